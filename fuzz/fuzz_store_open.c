/* libFuzzer: ep_store_open on hostile files. The first byte is flags; the
 * rest is shard-0.aof in an in-memory vfs (flag bit 0: the second half of
 * the rest is shard-0.snap instead). Open must never crash, leak or allocate
 * without bound, and decides between refusing, cutting a damaged tail and
 * recovering; when it opens, the store takes a write and closes, and a
 * second open must then succeed with the same keys plus that write. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t fixed_wall_clock(void *user) {
    (void)user;
    return 1700000000000;
}

static void config(ep_store_config *c, ep_vfs *vfs) {
    ep_store_config_init(c);
    c->vfs = vfs;
    c->fsync = EP_FSYNC_ALWAYS;
    c->wall_clock_ms = fixed_wall_clock;
    c->expire_scan = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_vfs *vfs = NULL;
    ep_store_config c;
    ep_store *st = NULL;
    ep_error err;
    size_t keys, keys2, aof_len;
    int64_t n1 = 0, n2 = 0;
    uint8_t flags;
    if (size < 1 || size > (1u << 16)) return 0;
    flags = data[0];
    data++;
    size--;
    aof_len = (flags & 1) ? size / 2 : size;
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK) return 0;
    (void)vfs->mkdir(vfs, "d", NULL);
    (void)ep_vfs_write_all(vfs, "d/shard-0.aof", data, aof_len, &err);
    if (flags & 1) (void)ep_vfs_write_all(vfs, "d/shard-0.snap", data + aof_len, size - aof_len, &err);
    config(&c, vfs);
    if (ep_store_open("d", 0, &c, &st) == EP_OK) {
        ep_ks_value_iter it;
        ep_item item;
        const ep_keyspace *ks = ep_store_keyspace(st);
        const ep_ks_entry *e;
        ep_keyspace_iter ki;
        ep_keyspace_iter_init(&ki);
        while ((e = ep_keyspace_next(ks, &ki)) != NULL) { /* every view readable */
            (void)ep_ks_entry_value(e);
            ep_ks_value_iter_init(&it, e);
            while (ep_ks_value_next(&it, &item)) {
            }
        }
        if (ep_store_incr(st, EP_LIT("fz:counter"), &n1) != EP_OK) n1 = -1;
        keys = ep_keyspace_count(ep_store_keyspace(st));
        if (ep_store_close(st) != EP_OK) abort();
        st = NULL;
        if (ep_store_open("d", 0, &c, &st) != EP_OK) abort(); /* what it wrote it must read */
        keys2 = ep_keyspace_count(ep_store_keyspace(st));
        if (n1 >= 0) {
            ep_bytes v;
            if (ep_store_get(st, EP_LIT("fz:counter"), &v) != EP_OK || !ep_parse_i64(v.data, v.len, &n2) || n2 != n1)
                abort();
        }
        if (keys2 != keys) abort();
        if (ep_store_close(st) != EP_OK) abort();
    }
    ep_vfs_mem_free(vfs);
    return 0;
}
