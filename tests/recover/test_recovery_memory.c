/* Memory a small device can plan (issue 8 item 2, recovery's share): the
 * read buffers of recovery (its readers and the covered prefix's hash) and
 * the buffers of a covering snapshot (prefix hash, snapshot writer) follow
 * ep_recover_config.read_buffer_size and ep_shard_config.read_buffer_size /
 * write_buffer_size, so the peaks documented in recovery.h hold: with 4 KiB
 * buffers a shard of ~300 KB recovers and snapshots in a few tens of KiB of
 * heap (no keyspace: visitor mode), where the defaults take 256 KiB / 1 MiB. */
#include "ember_persist.h"
#include "harness.h"
#include "support/counting.h"

#define NREC 6000
#define SMALL 4096u

static ep_result nop_entry(void *u, const ep_snap_entry *e) {
    (void)e;
    ++*(uint64_t *)u;
    return EP_OK;
}

static ep_result nop_record(void *u, const ep_aof_record *r, uint64_t index) {
    (void)r;
    (void)index;
    ++*(uint64_t *)u;
    return EP_OK;
}

/* n SET records over 400 keys into the writer and the keyspace. */
static ep_result fill(ep_aof_writer *w, ep_keyspace *ks, int from, int n) {
    char k[16], v[48];
    int i;
    for (i = from; i < from + n; i++) {
        ep_aof_record rec;
        ep_result r;
        snprintf(k, sizeof k, "key:%04d", i % 400);
        snprintf(v, sizeof v, "value-%08d-................", i);
        ep_aof_rec_set(&rec, ep_bytes_str(k), ep_bytes_str(v), -1);
        if ((r = ep_aof_append(w, &rec)) != EP_OK) return r;
        if ((r = ep_keyspace_apply(ks, &rec, 0)) != EP_OK) return r;
    }
    return EP_OK;
}

/* Peak of a visitor recovery (no keyspace: only recovery's own buffers). */
static size_t recover_peak(ep_vfs *vfs, size_t read_buffer, uint64_t *delivered, ep_recover_result *res) {
    ept_counting c;
    ep_allocator a = ept_counting_alloc(&c);
    ep_recover_config rc;
    ep_recover_config_init(&rc);
    rc.vfs = vfs;
    rc.alloc = &a;
    rc.mode = EP_RECOVER_VISIT;
    rc.visitor.entry = nop_entry;
    rc.visitor.record = nop_record;
    rc.visitor.user = delivered;
    rc.read_buffer_size = read_buffer;
    *delivered = 0;
    if (ep_recover_shard("d", 0, &rc, res, NULL) != EP_OK) return (size_t)-1;
    if (c.live != 0) return (size_t)-2; /* everything given back */
    return c.peak;
}

/* Peak of ep_shard_snapshot beyond the keyspace (which is allocated elsewhere). */
static size_t snapshot_peak(ep_vfs *vfs, const ep_keyspace *ks, ep_aof_writer *w, size_t read_buffer,
                            size_t write_buffer) {
    ept_counting c;
    ep_allocator a = ept_counting_alloc(&c);
    ep_shard_config sc;
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    sc.alloc = &a;
    sc.read_buffer_size = read_buffer;
    sc.write_buffer_size = write_buffer;
    if (ep_shard_snapshot("d", 0, ks, w, &sc, NULL) != EP_OK) return (size_t)-1;
    if (c.live != 0) return (size_t)-2;
    return c.peak;
}

EPT_CASE(buffers_follow_the_config_and_the_documented_peaks_hold) {
    ep_vfs *mem = NULL;
    ep_aof_writer_config wc;
    ep_aof_writer *w = NULL;
    ep_keyspace *ks = NULL;
    ep_recover_result res;
    uint64_t aof_size = 0, snap_size = 0, got_small = 0, got_default = 0;
    size_t snap_small, snap_default, rec_small, rec_default;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
    EPT_CHECK_OK(mem->mkdir(mem, "d", NULL));
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    ep_aof_writer_config_init(&wc);
    wc.vfs = mem;
    EPT_CHECK_OK(ep_aof_writer_open("d/shard-0.aof", &wc, &w, NULL));
    EPT_CHECK_OK(fill(w, ks, 0, NREC));
    /* the covering snapshot: ~2 x 4 KiB + the handles with small buffers,
     * the 1 MiB writer buffer + the prefix hash's 256 KiB by default */
    snap_small = snapshot_peak(mem, ks, w, SMALL, SMALL);
    snap_default = snapshot_peak(mem, ks, w, 0, 0);
    EPT_CHECK_OK(fill(w, ks, NREC, NREC / 2)); /* records after the snapshot */
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(mem->stat(mem, "d/shard-0.aof", &aof_size, NULL));
    EPT_CHECK_OK(mem->stat(mem, "d/shard-0.snap", &snap_size, NULL));
    rec_small = recover_peak(mem, SMALL, &got_small, &res);
    EPT_CHECK(res.trailer == EP_TRAILER_APPLIED && res.records_skipped == NREC && res.records_applied == NREC / 2);
    rec_default = recover_peak(mem, 0, &got_default, &res);
    EPT_CHECK_EQ(got_small, got_default);
    printf("    shard: AOF %llu bytes, snapshot %llu bytes (%llu keys)\n", (unsigned long long)aof_size,
           (unsigned long long)snap_size, (unsigned long long)ep_keyspace_count(ks));
    printf("    ep_shard_snapshot peak: %lu bytes with 4 KiB buffers, %lu with the defaults\n",
           (unsigned long)snap_small, (unsigned long)snap_default);
    printf("    ep_recover_shard (visitor) peak: %lu bytes with read_buffer_size 4 KiB, %lu with the default\n",
           (unsigned long)rec_small, (unsigned long)rec_default);
    /* the larger of (prefix hash buffer) and (handles + writer buffer +
     * 64 + trailer): one buffer's worth, never twice it */
    EPT_CHECK(snap_small < 3u * SMALL);
    EPT_CHECK(snap_default > 1024u * 1024u && snap_default < 1024u * 1024u + 32u * 1024u);
    /* recovery: trailer copy + a reader's buffer of 4 KiB (one at a time) +
     * handles; the default reads the AOF in 256 KiB pieces */
    EPT_CHECK(rec_small < 3u * SMALL);
    EPT_CHECK(rec_default > 256u * 1024u && rec_default < 256u * 1024u + 32u * 1024u);
    ep_keyspace_free(ks);
    ep_vfs_mem_free(mem);
}

EPT_MAIN()
