/* A second, private copy of the implementation (every function static), built
 * without the decoders' fast paths; see slow_decode.h. */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE /* MAP_ANONYMOUS and MAP_NORESERVE under -std=c99 */
#endif
#define EMBER_PERSIST_IMPLEMENTATION
#define EMBER_PERSIST_STATIC
#define EP__NO_FAST_DECODE
#include "ember_persist.h"
#include "slow_decode.h"

#if !defined(_WIN32)
#  include <sys/mman.h>
#endif

ep_result slow_aof_frame(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed) {
    return ep_aof_frame(data, len, rec, consumed);
}

ep_result slow_aof_decode(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed) {
    return ep_aof_decode(data, len, rec, consumed);
}

ep_result slow_snap_entry_decode(const uint8_t *data, size_t len, int version, ep_snap_entry *out,
                                 size_t *consumed) {
    return ep_snap_entry_decode(data, len, version, out, consumed);
}

static int ept_same_view(ep_bytes a, ep_bytes b) {
    return a.data == b.data && a.len == b.len;
}

static int ept_same_items(const ep_items *a, const ep_items *b) {
    return a->count == b->count && a->kind == b->kind && a->dim == b->dim && ept_same_view(a->raw, b->raw);
}

int ept_same_aof_record(const ep_aof_record *a, const ep_aof_record *b) {
    return a->tag == b->tag && a->flag == b->flag && a->flag2 == b->flag2 && ept_same_view(a->key, b->key) &&
           ept_same_view(a->key2, b->key2) && ept_same_view(a->value, b->value) &&
           ept_same_view(a->pivot, b->pivot) && a->num == b->num && a->num2 == b->num2 &&
           ept_same_items(&a->items, &b->items) && a->dim == b->dim && a->connectivity == b->connectivity &&
           a->expansion_add == b->expansion_add && ept_same_view(a->vector, b->vector);
}

int ept_same_snap_entry(const ep_snap_entry *a, const ep_snap_entry *b) {
    return ept_same_view(a->key, b->key) && a->type == b->type && a->expire_ms == b->expire_ms &&
           ept_same_view(a->value, b->value) && ept_same_view(a->type_name, b->type_name) &&
           ept_same_items(&a->items, &b->items) && a->metric == b->metric && a->quantization == b->quantization &&
           a->connectivity == b->connectivity && a->expansion_add == b->expansion_add && a->dim == b->dim;
}

uint8_t *ept_zero_map(size_t size) {
#if !defined(_WIN32) && defined(MAP_ANONYMOUS) && defined(MAP_NORESERVE)
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? NULL : (uint8_t *)m;
#else
    (void)size;
    return NULL;
#endif
}

void ept_zero_unmap(uint8_t *p, size_t size) {
#if !defined(_WIN32) && defined(MAP_ANONYMOUS) && defined(MAP_NORESERVE)
    if (p) munmap(p, size);
#else
    (void)p;
    (void)size;
#endif
}
