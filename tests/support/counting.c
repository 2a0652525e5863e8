#include "support/counting.h"

#include <stdlib.h>
#include <string.h>

/* Each block carries its size in front, so free can subtract it; two size_t
 * keep the caller's pointer as aligned as malloc's (16 bytes on 64-bit). */
#define EPT__HEAD (sizeof(size_t) * 2)

static int ept__may(ept_counting *c) {
    if (c->fail_after == 0) return 0;
    if (c->fail_after > 0) c->fail_after--;
    return 1;
}
static void *ept__c_malloc(size_t n, void *u) {
    ept_counting *c = (ept_counting *)u;
    size_t *p;
    if (!ept__may(c)) return NULL;
    if ((p = (size_t *)malloc(n + EPT__HEAD)) == NULL) return NULL;
    p[0] = n;
    c->live += n;
    c->calls++;
    if (c->live > c->peak) c->peak = c->live;
    return (unsigned char *)p + EPT__HEAD;
}
static size_t ept__size(void *ptr) { return ((size_t *)(void *)((unsigned char *)ptr - EPT__HEAD))[0]; }
static void ept__c_free(void *ptr, void *u) {
    ept_counting *c = (ept_counting *)u;
    if (!ptr) return;
    c->live -= ept__size(ptr);
    free((unsigned char *)ptr - EPT__HEAD);
}
/* The new block first, then the copy and the old one freed: the peak counts
 * both, as a realloc may need. One call. */
static void *ept__c_realloc(void *ptr, size_t n, void *u) {
    size_t old;
    void *q;
    if (!ptr) return ept__c_malloc(n, u);
    old = ept__size(ptr);
    if ((q = ept__c_malloc(n, u)) == NULL) return NULL;
    memcpy(q, ptr, n < old ? n : old);
    ept__c_free(ptr, u);
    return q;
}

ep_allocator ept_counting_alloc(ept_counting *c) {
    ep_allocator a;
    memset(c, 0, sizeof *c);
    c->fail_after = -1;
    a.user = c;
    a.malloc_fn = ept__c_malloc;
    a.realloc_fn = ept__c_realloc;
    a.free_fn = ept__c_free;
    return a;
}
