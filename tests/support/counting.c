#include "support/counting.h"

#include <stdlib.h>
#include <string.h>

/* Each block carries its size in front, so free can subtract it. */
static int ept__may(ept_counting *c) {
    if (c->fail_after == 0) return 0;
    if (c->fail_after > 0) c->fail_after--;
    return 1;
}
static void ept__note(ept_counting *c, size_t old, size_t n) {
    c->live = c->live - old + n;
    c->calls++;
    if (c->live > c->peak) c->peak = c->live;
}
static void *ept__c_realloc(void *ptr, size_t n, void *u) {
    ept_counting *c = (ept_counting *)u;
    size_t *p = ptr ? (size_t *)ptr - 1 : NULL, old = p ? *p : 0;
    if (!ept__may(c)) return NULL;
    p = (size_t *)realloc(p, n + sizeof(size_t));
    if (!p) return NULL;
    *p = n;
    ept__note(c, old, n);
    return p + 1;
}
static void *ept__c_malloc(size_t n, void *u) { return ept__c_realloc(NULL, n, u); }
static void ept__c_free(void *ptr, void *u) {
    ept_counting *c = (ept_counting *)u;
    size_t *p;
    if (!ptr) return;
    p = (size_t *)ptr - 1;
    c->live -= *p;
    free(p);
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
