/* count_alloc: see count_alloc.h. Each block carries its size in front. */
#include "count_alloc.h"

#include <stdlib.h>
#include <string.h>

#define COUNT_HEAD (sizeof(size_t) * 2) /* keeps the caller's pointer 16-byte aligned where malloc's is */

static void *count_malloc(size_t n, void *user) {
    count_alloc *c = (count_alloc *)user;
    size_t *p = (size_t *)malloc(n + COUNT_HEAD);
    if (!p) return NULL;
    p[0] = n;
    c->live += n;
    if (c->live > c->peak) c->peak = c->live;
    return (uint8_t *)p + COUNT_HEAD;
}

static void count_free(void *q, void *user) {
    count_alloc *c = (count_alloc *)user;
    size_t *p;
    if (!q) return;
    p = (size_t *)(void *)((uint8_t *)q - COUNT_HEAD);
    c->live -= p[0];
    free(p);
}

static void *count_realloc(void *q, size_t n, void *user) {
    void *r;
    size_t old;
    if (!q) return count_malloc(n, user);
    old = ((size_t *)(void *)((uint8_t *)q - COUNT_HEAD))[0];
    r = count_malloc(n, user); /* new block first: the peak counts both, as realloc may need */
    if (!r) return NULL;
    memcpy(r, q, n < old ? n : old);
    count_free(q, user);
    return r;
}

ep_allocator count_alloc_make(count_alloc *c) {
    ep_allocator a;
    a.user = c;
    a.malloc_fn = count_malloc;
    a.realloc_fn = count_realloc;
    a.free_fn = count_free;
    return a;
}
