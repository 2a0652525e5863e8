/* libFuzzer target: the snapshot reader on arbitrary file contents (through
 * the in-memory vfs, with and without a key, small and default buffers),
 * plus the entry codec directly for versions 1 and 2 and the in-memory
 * reader. Any crash, leak,
 * sanitizer report or broken invariant (an entry view outside its input,
 * a clean end without a footer) is a finding. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

static void read_file(ep_vfs *vfs, const ep_key *key, size_t buffer, size_t size) {
    ep_snapshot_reader_config cfg;
    ep_snapshot_reader *r = NULL;
    ep_snap_entry e;
    ep_snapshot_info info;
    ep_result res;
    ep_bytes t;
    uint64_t n = 0;
    ep_snapshot_reader_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.key = key;
    cfg.buffer_size = buffer;
    if (ep_snapshot_reader_open("f", &cfg, &r, NULL) != EP_OK) return;
    while ((res = ep_snapshot_reader_next(r, &e)) == EP_OK) {
        ep_items_iter it;
        ep_item item;
        ep_items_iter_init(&it, &e.items);
        while (ep_items_next(&it, &item)) {}
        n++;
    }
    ep_snapshot_reader_info(r, &info);
    if (res == EP_END) {
        if (n != info.entry_count || info.footer_offset + 4 + info.trailer_len != size) abort();
        if (ep_snapshot_reader_trailer(r, &t) == EP_OK && t.len != info.trailer_len) abort();
    } else if (res >= 0 || ep_snapshot_reader_next(r, &e) != res) {
        abort(); /* errors are negative and repeat */
    }
    ep_snapshot_reader_close(r);
}

static void decode(const uint8_t *data, size_t size, int version) {
    ep_snap_entry e;
    size_t used = 0;
    ep_buf out;
    if (ep_snap_entry_decode(data, size, version, &e, &used) != EP_OK) return;
    if (used > size) abort();
    if (e.key.len && (e.key.data < data || e.key.data + e.key.len > data + used)) abort();
    /* A decoded v2 entry re-encodes to exactly its bytes. */
    if (version == 2) {
        ep_buf_init(&out, NULL);
        if (ep_snap_entry_encode(&out, &e) != EP_OK || out.len != used || memcmp(out.data, data, used) != 0) abort();
        ep_buf_free(&out);
    }
}

static int visit(void *ctx, const ep_snap_entry *e) {
    ep_items_iter it;
    ep_item item;
    (void)ctx;
    ep_items_iter_init(&it, &e->items);
    while (ep_items_next(&it, &item)) {}
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ep_key *key;
    ep_vfs *vfs = NULL;
    if (!key) {
        uint8_t k[EP_KEY_SIZE];
        memset(k, 0x42, sizeof k);
        if (ep_key_create(k, NULL, &key) != EP_OK) abort();
    }
    decode(data, size, 1);
    decode(data, size, 2);
    (void)ep_snapshot_read_bytes(data, size, NULL, visit, NULL, NULL);
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK) abort();
    if (ep_vfs_write_all(vfs, "f", data, size, NULL) != EP_OK) abort();
    read_file(vfs, NULL, 0, size);
    read_file(vfs, key, 7, size);
    ep_vfs_mem_free(vfs);
    return 0;
}
