/* libFuzzer: the input is an AOF file in an in-memory vfs; read every record
 * (small chunks, so refills and growth run), then open a writer on it. The
 * writer must either refuse or leave a file that reads back cleanly with the
 * same records plus the one it appended. The first input byte picks a key
 * (odd: encrypted, a fixed test key). */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t read_all(ep_vfs *vfs, const ep_key *key, ep_result *end, ep_aof_status *st) {
    ep_aof_reader_config cfg;
    ep_aof_reader *r;
    ep_aof_record rec;
    uint64_t n = 0;
    ep_aof_reader_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.key = key;
    cfg.chunk_size = 64;
    cfg.max_record_size = 1u << 20;
    *end = ep_aof_reader_open("f.aof", &cfg, &r, NULL);
    if (*end != EP_OK) return 0;
    while ((*end = ep_aof_reader_next(r, &rec)) == EP_OK) {
        ep_items_iter it;
        ep_item item;
        if (ep_aof_validate(&rec) != EP_OK) abort();
        ep_items_iter_init(&it, &rec.items);
        while (ep_items_next(&it, &item)) {
        }
        n++;
    }
    ep_aof_reader_status(r, st);
    if (*end == EP_END && st->end != EP_AOF_END_CLEAN && st->end != EP_AOF_END_TORN) abort();
    if (*end != EP_END && st->end != EP_AOF_END_ERROR) abort();
    ep_aof_reader_close(r);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ep_key *key;
    ep_vfs *vfs;
    ep_aof_writer_config wc;
    ep_aof_writer *w;
    ep_aof_status st, st2;
    ep_result end, end2;
    uint64_t n, n2;
    const ep_key *use;
    if (!key) {
        uint8_t k[32];
        memset(k, 0x42, sizeof k);
        if (ep_key_create(k, NULL, &key) != EP_OK) abort();
    }
    if (size == 0) return 0;
    use = (data[0] & 1) ? key : NULL;
    data++;
    size--;
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK) abort();
    if (ep_vfs_write_all(vfs, "f.aof", data, size, NULL) != EP_OK) abort();
    n = read_all(vfs, use, &end, &st);
    ep_aof_writer_config_init(&wc);
    wc.vfs = vfs;
    wc.key = use;
    wc.fsync = EP_FSYNC_NO;
    wc.repair_tail = (int)(size & 1);
    if (ep_aof_writer_open("f.aof", &wc, &w, NULL) == EP_OK) {
        if (ep_aof_set(w, ep_bytes_of("k", 1), ep_bytes_of("v", 1), -1) != EP_OK) abort();
        if (ep_aof_writer_close(w) != EP_OK) abort();
        n2 = read_all(vfs, use, &end2, &st2);
        if (end2 != EP_END || st2.end != EP_AOF_END_CLEAN) abort();
        /* Everything that read before is still there, plus the new record. */
        if (end == EP_END && n2 != n + 1) abort();
        if (n2 < n + 1) abort();
    }
    ep_vfs_mem_free(vfs);
    return 0;
}
