/* libFuzzer: recovery on hostile files. The input becomes shard-0.aof in an
 * in-memory vfs (flag bit 0: the input is the whole file; otherwise it is a
 * stream of tag+payload records that this target frames and gives valid
 * CRCs behind an "EAOF 02" header, so the replay rules see every record the
 * fuzzer can shape) and, with flag bit 1, also shard-0.snap. Recovery must never crash, leak or
 * allocate without bound; then the recovered keyspace is snapshotted to
 * another directory and recovered again, which must give the same keys. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t fixed_wall_clock(void *user) {
    (void)user;
    return 1700000000000; /* PEXPIREAT records compare against this */
}

static void touch_everything(const ep_keyspace *ks) {
    const ep_ks_entry **list;
    size_t n, i;
    if (ep_keyspace_sorted(ks, &list, &n) != EP_OK) return;
    for (i = 0; i < n; i++) {
        ep_ks_value_iter it;
        ep_item item;
        (void)ep_ks_entry_ttl(list[i]);
        (void)ep_ks_entry_value(list[i]);
        ep_ks_value_iter_init(&it, list[i]);
        while (ep_ks_value_next(&it, &item)) {
        }
    }
    ep_keyspace_sorted_free(ks, list);
}

static ep_result recover(ep_vfs *vfs, const char *dir, ep_recover_result *res) {
    ep_recover_config cfg;
    ep_recover_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.wall_clock_ms = fixed_wall_clock;
    return ep_recover_shard(dir, 0, &cfg, res, NULL);
}

/* Strings may legally grow to the 512 MiB cap (SETRANGE, SETBIT); that path
 * is unit-tested. Here such records are left out so that one input stays far
 * below libFuzzer's 2 GB memory limit and runs fast. */
static int grows_string_too_far(const ep_aof_record *rec) {
    const int64_t limit = 1 << 20;
    if (rec->tag == EP_AOF_SETRANGE)
        return rec->num < 0 || rec->num > limit || (int64_t)rec->value.len > limit;
    if (rec->tag == EP_AOF_SETBIT) return rec->num < 0 || rec->num / 8 > limit;
    return 0;
}

/* Each structurally valid record of the input, in order, with its CRC. */
static void write_framed_aof(ep_vfs *vfs, const uint8_t *data, size_t size) {
    ep_buf file;
    size_t pos = 0, used;
    ep_aof_record rec;
    ep_buf_init(&file, NULL);
    ep_buf_put(&file, "EAOF\x02", 5);
    while (pos < size && ep_aof_frame(data + pos, size - pos, &rec, &used) == EP_OK) {
        if (grows_string_too_far(&rec)) {
            pos += used;
            continue;
        }
        ep_buf_put(&file, data + pos, used);
        ep_buf_u32(&file, ep_crc32(data + pos, used));
        pos += used;
    }
    if (file.err || ep_vfs_write_all(vfs, "a/shard-0.aof", file.data, file.len, NULL) != EP_OK) abort();
    ep_buf_free(&file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_vfs *vfs;
    ep_recover_result res, again;
    ep_shard_config sc;
    uint8_t flags;
    if (size == 0) return 0;
    flags = data[0];
    data++;
    size--;
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK) abort();
    if (vfs->mkdir(vfs, "a", NULL) != EP_OK || vfs->mkdir(vfs, "b", NULL) != EP_OK) abort();
    if (flags & 1) {
        if (ep_vfs_write_all(vfs, "a/shard-0.aof", data, size, NULL) != EP_OK) abort();
    } else {
        write_framed_aof(vfs, data, size);
    }
    if ((flags & 2) && ep_vfs_write_all(vfs, "a/shard-0.snap", data, size, NULL) != EP_OK) abort();

    if (recover(vfs, "a", &res) == EP_OK) {
        touch_everything(res.keyspace);
        ep_shard_config_init(&sc);
        sc.vfs = vfs;
        if (ep_shard_snapshot("b", 0, res.keyspace, NULL, &sc, NULL) == EP_OK) {
            if (recover(vfs, "b", &again) != EP_OK) abort();
            /* ttl-0 keys are written (expire 0) and dropped again on recovery */
            if (!again.snapshot_loaded) abort();
            if (ep_keyspace_count(again.keyspace) != ep_keyspace_count(res.keyspace)) abort();
            ep_recover_result_free(&again);
        }
        ep_recover_result_free(&res);
    }
    ep_vfs_mem_free(vfs);
    return 0;
}
