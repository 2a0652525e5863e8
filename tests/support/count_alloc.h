/* count_alloc: an allocator that counts the bytes it has out and their peak
 * (test-only), for checks of what a call allocates. */
#ifndef COUNT_ALLOC_H
#define COUNT_ALLOC_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct count_alloc {
    size_t live; /* bytes allocated and not yet freed */
    size_t peak; /* the most live bytes so far (reset it to start a measure) */
} count_alloc;

/* An ep_allocator (malloc underneath) that keeps *c up to date. */
ep_allocator count_alloc_make(count_alloc *c);

#ifdef __cplusplus
}
#endif

#endif
