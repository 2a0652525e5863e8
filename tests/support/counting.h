/* A counting allocator for tests: live and peak bytes, and a failure after
 * the Nth call (a failing-allocator loop sets fail_after = 0, 1, 2 ...). */
#ifndef EPT_COUNTING_H
#define EPT_COUNTING_H

#include "ember_persist.h"

typedef struct ept_counting {
    size_t live, peak, calls;
    long fail_after;   /* calls left before one fails; < 0 never */
} ept_counting;

/* Resets c and returns an allocator that counts into it. */
ep_allocator ept_counting_alloc(ept_counting *c);

#endif
