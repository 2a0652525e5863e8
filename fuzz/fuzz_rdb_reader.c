/* libFuzzer: the RDB reader on any bytes, in memory and through an
 * in-memory file with a tiny window (so every step retries across refills):
 * both must end the same way with the same elements; every view a callback
 * gets lies inside what it may read. The CRC check is off half the time
 * (first byte), so mutations reach the decoders. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct acc {
    uint64_t h, n;
} acc;

static void mix(acc *a, ep_bytes b) {
    size_t i;
    volatile uint8_t sink = 0;
    for (i = 0; i < b.len; i++) sink = (uint8_t)(sink ^ b.data[i]);
    a->h = (a->h ^ b.len ^ sink) * 0x100000001b3ull;
    a->n++;
}
static ep_result on_el(void *u, const ep_rdb_key *k, const ep_item *e) {
    mix((acc *)u, k->key);
    mix((acc *)u, e->a);
    mix((acc *)u, e->b);
    return EP_OK;
}
static ep_result on_aux(void *u, ep_bytes a, ep_bytes b) {
    mix((acc *)u, a);
    mix((acc *)u, b);
    return EP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_rdb_visitor v;
    ep_rdb_reader_config cfg;
    acc a1, a2;
    ep_result r1, r2;
    ep_vfs *vfs;
    if (size < 1) return 0;
    memset(&v, 0, sizeof v);
    v.element = on_el;
    v.aux = on_aux;
    ep_rdb_reader_config_init(&cfg);
    cfg.skip_crc = data[0] & 1;
    cfg.max_string = 1u << 20;
    cfg.chunk_size = 64;
    data++;
    size--;
    memset(&a1, 0, sizeof a1);
    v.user = &a1;
    r1 = ep_rdb_read_mem(data, size, &cfg, &v, NULL, NULL);
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK) abort();
    if (ep_vfs_write_all(vfs, "d.rdb", data, size, NULL) != EP_OK) abort();
    cfg.vfs = vfs;
    memset(&a2, 0, sizeof a2);
    v.user = &a2;
    r2 = ep_rdb_read("d.rdb", &cfg, &v, NULL, NULL);
    ep_vfs_mem_free(vfs);
    if (r1 != r2 || a1.h != a2.h || a1.n != a2.n) abort();
    return 0;
}
