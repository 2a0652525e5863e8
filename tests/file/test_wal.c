/* wal: the writer and the reader on the memory and OS vfs: round trips,
 * ids resuming after reopen, rotation by size and age, atomic batches,
 * preallocation (zero padding recognised), recycling, the directory lock,
 * poisoning, truncation with veto, tail repair (truncate, no copy),
 * corruption rules (every byte cut of the final segment, every bit flip of a
 * non-final segment and of every header), and segmentation / flush-policy /
 * buffer-size byte identity with a printed seed. */
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/wal_util.h"

#include <stdlib.h>
#include <string.h>

#define SALT 7u
#define SPREAD 200u

static ep_vfs *mem(void) {
    ep_vfs *v = NULL;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) return NULL;
    return v;
}

static void cfg_small(ep_wal_config *c, ep_vfs *v) {
    ep_wal_config_init(c);
    c->vfs = v;
    c->segment_bytes = 1024;
    c->buffer_bytes = 256;
}

static uint64_t count_segments(ep_vfs *v, const char *dir) {
    ep_wal_replay_info info;
    walu_collect c;
    walu_collect_init(&c, SALT, SPREAD);
    if (walu_replay(v, dir, EP_WAL_STRICT, &c, &info, NULL) != EP_OK) return 0;
    return info.segments;
}

EPT_CASE(round_trip_rotation_and_resume) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    walu_collect col;
    ep_wal_replay_info info;
    ep_wal_stats st;
    cfg_small(&c, v);
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 300, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_close(w));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, &info, NULL));
    EPT_CHECK_EQ(col.count, 300);
    EPT_CHECK_EQ(col.bad, 0);
    EPT_CHECK_EQ(col.first, 1);
    EPT_CHECK(info.segments > 5);
    EPT_CHECK_EQ(info.end, EP_WAL_SEG_CLEAN);
    /* Reopen: ids continue. */
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.next_id, 301);
    EPT_CHECK_EQ(st.durable_id, 300);
    EPT_CHECK_OK(walu_append_n(w, 50, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_close(w));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, &info, NULL));
    EPT_CHECK_EQ(col.count, 350);
    EPT_CHECK_EQ(col.bad, 0);
    ep_vfs_mem_free(v);
}

EPT_CASE(os_vfs_round_trip_and_names) {
    ep_wal_config c;
    ep_wal *w = NULL;
    walu_collect col;
    ep_wal_read_config rc;
    char dir[600], p[700], name[64];
    uint64_t sid = 0;
    ep_wal_config_init(&c);
    c.segment_bytes = 4096;
    snprintf(dir, sizeof dir, "%s/wal", ept_tmpdir());
    EPT_CHECK_OK(ep_wal_open(dir, &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 200, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_sync(w));
    EPT_CHECK_OK(ep_wal_close(w));
    EPT_CHECK_OK(ep_wal_segment_name(3, name, sizeof name));
    EPT_CHECK(strcmp(name, "wal_00000000000000000003.log") == 0);
    EPT_CHECK(ep_wal_parse_segment_name(name, &sid) && sid == 3);
    EPT_CHECK(ep_wal_parse_segment_name("wal_10.log", &sid) && sid == 10);
    EPT_CHECK(!ep_wal_parse_segment_name("wal_.log", &sid));
    EPT_CHECK(!ep_wal_parse_segment_name("wal_0.log", &sid));
    EPT_CHECK(!ep_wal_parse_segment_name("wal_1x.log", &sid));
    EPT_CHECK(!ep_wal_parse_segment_name("wal_99999999999999999999.log", &sid)); /* > UINT64_MAX */
    EPT_CHECK(!ep_wal_parse_segment_name("wal.lock", &sid));
    /* A stray file is no segment. */
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    {
        ep_vfs os;
        ep_vfs_os_init(&os);
        EPT_CHECK_OK(ep_vfs_write_all(&os, p, "x", 1, NULL));
    }
    ep_wal_read_config_init(&rc);
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(ep_wal_replay(dir, &rc, walu_collect_fn, &col, NULL, NULL));
    EPT_CHECK_EQ(col.count, 200);
    EPT_CHECK_EQ(col.bad, 0);
}

EPT_CASE(second_writer_is_locked_out_with_the_path) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *a = NULL, *b = NULL;
    ep_error err;
    cfg_small(&c, v);
    EPT_CHECK_OK(ep_wal_open("w", &c, &a, NULL));
    EPT_CHECK_EQ(ep_wal_open("w", &c, &b, &err), EP_ERR_LOCKED);
    EPT_CHECK(b == NULL);
    EPT_CHECK(strstr(err.message, "w") != NULL && strstr(err.message, "locked") != NULL);
    EPT_CHECK_OK(ep_wal_close(a));
    EPT_CHECK_OK(ep_wal_open("w", &c, &b, NULL));
    EPT_CHECK_OK(ep_wal_close(b));
    ep_vfs_mem_free(v);
}

EPT_CASE(batch_is_one_frame_and_ids_continue) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_bytes recs[5];
    uint8_t bufs[5][300];
    uint64_t first = 0, id = 0;
    walu_collect col;
    ep_wal_replay_info info;
    int i;
    cfg_small(&c, v);
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 3, SALT, SPREAD));
    for (i = 0; i < 5; i++) recs[i] = ep_bytes_of(bufs[i], walu_record((uint64_t)(4 + i), SALT, SPREAD, bufs[i]));
    EPT_CHECK_OK(ep_wal_append_batch(w, recs, 5, &first));
    EPT_CHECK_EQ(first, 4);
    EPT_CHECK_OK(walu_append_n(w, 2, SALT, SPREAD));
    EPT_CHECK_EQ(ep_wal_append_batch(w, recs, 0, &first), EP_ERR_INVALID_ARG);
    EPT_CHECK_OK(ep_wal_append(w, NULL, 0, &id));
    EPT_CHECK_EQ(id, 11);
    EPT_CHECK_OK(ep_wal_close(w));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, &info, NULL));
    EPT_CHECK_EQ(col.count, 11);
    EPT_CHECK_EQ(col.bad, 1); /* the empty record 11 is not walu_record(11) unless that is empty */
    ep_vfs_mem_free(v);
}

/* Cut a batch frame at every byte: the replay has all of it or none. */
EPT_CASE(batch_cut_at_every_byte_is_all_or_nothing) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_bytes recs[4];
    uint8_t bufs[4][300], *data = NULL;
    size_t len = 0, cut, i;
    uint64_t before;
    char path[64];
    cfg_small(&c, v);
    c.segment_bytes = 1u << 20;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 2, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_close(w));
    EPT_CHECK_OK(ep_wal_segment_name(1, path, sizeof path));
    {
        char full[80];
        uint64_t sz = 0;
        snprintf(full, sizeof full, "w/%s", path);
        EPT_CHECK_OK(v->stat(v, full, &sz, NULL));
        before = sz;
        EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
        for (i = 0; i < 4; i++) recs[i] = ep_bytes_of(bufs[i], walu_record((uint64_t)(3 + i), SALT, SPREAD, bufs[i]));
        EPT_CHECK_OK(ep_wal_append_batch(w, recs, 4, NULL));
        EPT_CHECK_OK(ep_wal_close(w));
        EPT_CHECK_OK(ep_vfs_read_all(v, full, NULL, 1u << 20, &data, &len, NULL));
        for (cut = (size_t)before; cut <= len; cut++) {
            walu_collect col;
            ep_wal_replay_info info;
            ep_result r;
            EPT_CHECK_OK(ep_vfs_write_all(v, full, data, cut, NULL));
            walu_collect_init(&col, SALT, SPREAD);
            r = walu_replay(v, "w", EP_WAL_BEST_EFFORT, &col, &info, NULL);
            EPT_CHECK_OK(r);
            EPT_CHECK(col.count == 2 || (col.count == 6 && cut == len));
            EPT_CHECK_EQ(col.bad, 0);
        }
        free(data);
    }
    ep_vfs_mem_free(v);
}

static uint64_t test_clock(void *user) { return *(uint64_t *)user; }

EPT_CASE(rotation_by_age_and_tick) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    uint64_t now = 1000;
    ep_wal_stats st;
    cfg_small(&c, v);
    c.segment_bytes = 1u << 20;
    c.segment_max_age_ms = 50;
    c.clock_ms = test_clock;
    c.clock_user = &now;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 5, SALT, SPREAD));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.segment_id, 1);
    now += 60;
    EPT_CHECK_OK(walu_append_n(w, 1, SALT, SPREAD)); /* rotates first */
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.segment_id, 2);
    now += 60;
    EPT_CHECK_OK(ep_wal_tick(w)); /* rotates without an append */
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.segment_id, 3);
    EPT_CHECK_OK(ep_wal_tick(w)); /* an empty segment never rotates */
    now += 60;
    EPT_CHECK_OK(ep_wal_tick(w));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.segment_id, 3);
    EPT_CHECK_OK(ep_wal_close(w));
    EPT_CHECK_EQ(count_segments(v, "w"), 3);
    ep_vfs_mem_free(v);
}

EPT_CASE(interval_flush_policy) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    uint64_t now = 1000;
    ep_wal_stats st;
    cfg_small(&c, v);
    c.buffer_bytes = 1u << 16;
    c.flush = EP_WAL_FLUSH_INTERVAL;
    c.flush_interval_ms = 100;
    c.clock_ms = test_clock;
    c.clock_user = &now;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 3, SALT, SPREAD));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.flushed_id, 0);
    now += 150;
    EPT_CHECK_OK(ep_wal_tick(w));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.flushed_id, 3);
    EPT_CHECK_OK(walu_append_n(w, 1, SALT, SPREAD));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.flushed_id, 3);
    now += 150;
    EPT_CHECK_OK(walu_append_n(w, 1, SALT, SPREAD));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.flushed_id, 5);
    EPT_CHECK_OK(ep_wal_close(w));
    ep_vfs_mem_free(v);
}

/* Reads every segment file of dir (names wal_1..n) into one buffer with separators. */
static size_t dir_bytes(ep_vfs *v, const char *dir, uint8_t *out, size_t cap) {
    size_t total = 0;
    uint64_t s;
    for (s = 1;; s++) {
        char name[64], full[128];
        uint8_t *d = NULL;
        size_t n = 0;
        ep_wal_segment_name(s, name, sizeof name);
        snprintf(full, sizeof full, "%s/%s", dir, name);
        if (ep_vfs_read_all(v, full, NULL, 1u << 24, &d, &n, NULL) != EP_OK) break;
        if (total + n + 1 <= cap) {
            memcpy(out + total, d, n);
            total += n;
            out[total++] = '|';
        }
        free(d);
    }
    return total;
}

/* Same records and segment size, any flush policy and buffer size: the same bytes. */
EPT_CASE(prop_flush_policy_and_buffer_size_byte_identity) {
    uint64_t st = ept_seed() ^ 0xb1u;
    static uint8_t ref[1 << 18], got[1 << 18];
    size_t nref = 0;
    int round;
    for (round = 0; round < 12; round++) {
        ep_vfs *v = mem();
        ep_wal_config c;
        ep_wal *w = NULL;
        size_t n;
        uint64_t k, appended = 0;
        ep_wal_config_init(&c);
        c.vfs = v;
        c.segment_bytes = 2048;
        c.buffer_bytes = round == 0 ? 0 : (size_t)(ept_rand(&st) % 5000);
        c.flush = (ep_wal_flush_policy)(round == 0 ? EP_WAL_FLUSH_EVERY_APPEND : (int)(ept_rand(&st) % 4));
        c.flush_every_bytes = 1 + ept_rand(&st) % 3000;
        c.flush_interval_ms = 0;
        EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
        for (k = 0; k < 400; k += 1) {
            uint64_t r = ept_rand(&st) % 10;
            if (r == 0) EPT_CHECK_OK(ep_wal_flush(w));
            else if (r == 1) EPT_CHECK_OK(ep_wal_sync(w));
        }
        while (appended < 300) {
            EPT_CHECK_OK(walu_append_n(w, 1, SALT, SPREAD));
            appended++;
            if (ept_rand(&st) % 7 == 0) EPT_CHECK_OK(ep_wal_flush(w));
            if (ept_rand(&st) % 23 == 0) EPT_CHECK_OK(ep_wal_sync(w));
        }
        EPT_CHECK_OK(ep_wal_close(w));
        n = dir_bytes(v, "w", got, sizeof got);
        if (round == 0) {
            memcpy(ref, got, n);
            nref = n;
            EPT_CHECK(n > 2048 * 4);
        } else {
            EPT_CHECK_EQ(n, nref);
            EPT_CHECK_MEM(got, ref, n);
        }
        ep_vfs_mem_free(v);
    }
}

/* Any segment size: the same records come back. */
EPT_CASE(prop_segmentation_invariance) {
    uint64_t st = ept_seed() ^ 0x5e6u;
    int round;
    for (round = 0; round < 10; round++) {
        ep_vfs *v = mem();
        ep_wal_config c;
        ep_wal *w = NULL;
        walu_collect col;
        ep_wal_replay_info info;
        cfg_small(&c, v);
        c.segment_bytes = 64 + ept_rand(&st) % 8000;
        EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
        EPT_CHECK_OK(walu_append_n(w, 250, SALT, SPREAD));
        if (ept_rand(&st) & 1) {
            EPT_CHECK_OK(ep_wal_close(w));
            EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
        }
        EPT_CHECK_OK(walu_append_n(w, 50, SALT, SPREAD));
        EPT_CHECK_OK(ep_wal_close(w));
        walu_collect_init(&col, SALT, SPREAD);
        EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, &info, NULL));
        EPT_CHECK_EQ(col.count, 300);
        EPT_CHECK_EQ(col.bad, 0);
        ep_vfs_mem_free(v);
    }
}

EPT_CASE(preallocation_zero_padding_resume_and_trim) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    walu_collect col;
    ep_wal_replay_info info;
    uint64_t sz = 0;
    cfg_small(&c, v);
    c.segment_bytes = 4096;
    c.preallocate_bytes = 4096;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 10, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_sync(w));
    EPT_CHECK_OK(v->stat(v, "w/wal_00000000000000000001.log", &sz, NULL));
    EPT_CHECK_EQ(sz, 4096); /* reserved */
    /* A reader sees data and zero padding: clean in both modes. */
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, &info, NULL));
    EPT_CHECK_EQ(col.count, 10);
    EPT_CHECK_EQ(info.end, EP_WAL_SEG_ZEROS);
    /* Rotation trims the sealed segment. */
    EPT_CHECK_OK(walu_append_n(w, 60, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_close(w));
    EPT_CHECK_OK(v->stat(v, "w/wal_00000000000000000001.log", &sz, NULL));
    EPT_CHECK(sz < 4096);
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, &info, NULL));
    EPT_CHECK_EQ(col.count, 70);
    EPT_CHECK_EQ(col.bad, 0);
    ep_vfs_mem_free(v);
}

/* A "leaked" writer (never closed: its preallocated tail stays): resume
 * appends over the zeros. */
EPT_CASE(resume_over_preallocated_zeros) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    walu_collect col;
    uint8_t *d = NULL;
    size_t n = 0;
    cfg_small(&c, v);
    c.segment_bytes = 1u << 16;
    c.preallocate_bytes = 1u << 16;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 10, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_sync(w));
    /* Copy the file as it is now, close, put it back: the crash image. */
    EPT_CHECK_OK(ep_vfs_read_all(v, "w/wal_00000000000000000001.log", NULL, 1u << 20, &d, &n, NULL));
    EPT_CHECK_OK(ep_wal_close(w));
    EPT_CHECK_OK(ep_vfs_write_all(v, "w/wal_00000000000000000001.log", d, n, NULL));
    free(d);
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 5, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_close(w));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, NULL, NULL));
    EPT_CHECK_EQ(col.count, 15);
    EPT_CHECK_EQ(col.bad, 0);
    ep_vfs_mem_free(v);
}

static int veto_at;
static int veto_fn(void *user, uint64_t seg, uint64_t last) {
    (void)user;
    (void)last;
    return (int)seg != veto_at;
}

EPT_CASE(truncate_prefix_veto_and_recycling) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_wal_stats st;
    size_t removed = 0;
    walu_collect col;
    ep_wal_replay_info info;
    cfg_small(&c, v);
    c.recycle_segments = 2;
    c.observer.on_before_remove = veto_fn;
    veto_at = 4;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 200, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_sync(w));
    ep_wal_stats_get(w, &st);
    EPT_CHECK(st.segments > 6);
    EPT_CHECK_OK(ep_wal_truncate_prefix(w, 150, &removed));
    EPT_CHECK_EQ(removed, 3); /* 1, 2, 3; the veto on 4 stops it */
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.first_segment, 4);
    veto_at = 0;
    EPT_CHECK_OK(ep_wal_truncate_prefix(w, 150, &removed));
    EPT_CHECK(removed >= 1);
    /* The pooled files come back as new segments, headers rewritten first. */
    EPT_CHECK_OK(walu_append_n(w, 200, SALT, SPREAD));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.recycled, 2);
    EPT_CHECK_OK(ep_wal_close(w));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, &info, NULL));
    EPT_CHECK_EQ(col.bad, 0);
    EPT_CHECK_EQ(col.last, 400);
    EPT_CHECK(col.first > 1 && col.first <= 151);
    /* Resume after recycling continues ids. */
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.next_id, 401);
    EPT_CHECK_OK(ep_wal_close(w));
    ep_vfs_mem_free(v);
}

EPT_CASE(failed_sync_poisons_and_is_never_retried) {
    ep_vfs *m = mem(), *v = NULL;
    ep_wal_config c;
    ep_wal *w = NULL;
    uint64_t syncs;
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    cfg_small(&c, v);
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 3, SALT, SPREAD));
    fault_vfs_arm(v, FAULT_SYNC, 1, EP_ERR_IO);
    EPT_CHECK_EQ(ep_wal_sync(w), EP_ERR_IO);
    EPT_CHECK(strstr(ep_wal_error(w)->message, "sync") != NULL);
    syncs = fault_vfs_count(v, FAULT_SYNC);
    EPT_CHECK_EQ(ep_wal_sync(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_wal_append(w, "x", 1, NULL), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_wal_flush(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(fault_vfs_count(v, FAULT_SYNC), syncs); /* never retried */
    EPT_CHECK_EQ(ep_wal_error(w)->code, EP_ERR_IO);
    ep_wal_close(w);
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

EPT_CASE(failed_write_and_failed_rotation_poison) {
    ep_vfs *m = mem(), *v = NULL;
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_result r = EP_OK;
    int i;
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    cfg_small(&c, v);
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    fault_vfs_arm(v, FAULT_WRITE, 1, EP_ERR_NO_SPACE);
    for (i = 0; i < 100 && r == EP_OK; i++) r = walu_append_n(w, 1, SALT, SPREAD);
    EPT_CHECK_EQ(r, EP_ERR_NO_SPACE);
    EPT_CHECK_EQ(ep_wal_append(w, "x", 1, NULL), EP_ERR_POISONED);
    ep_wal_close(w);
    /* Rotation: creating the next segment fails. */
    fault_vfs_disarm(v);
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    fault_vfs_arm(v, FAULT_OPEN, 1, EP_ERR_IO);
    r = EP_OK;
    for (i = 0; i < 100 && r == EP_OK; i++) r = walu_append_n(w, 1, SALT, SPREAD);
    EPT_CHECK_EQ(r, EP_ERR_IO);
    EPT_CHECK_EQ(ep_wal_sync(w), EP_ERR_POISONED);
    ep_wal_close(w);
    fault_vfs_disarm(v);
    /* Reopen works and the WAL is a clean prefix. */
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(ep_wal_close(w));
    {
        walu_collect col;
        walu_collect_init(&col, SALT, SPREAD);
        EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &col, NULL, NULL));
        EPT_CHECK_EQ(col.bad, 0);
    }
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

/* Builds a 3-segment WAL and returns the final segment's bytes and the path. */
static void build_three(ep_vfs *v, uint64_t *total) {
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_wal_stats st;
    cfg_small(&c, v);
    c.segment_bytes = 1200;
    if (ep_wal_open("w", &c, &w, NULL) != EP_OK) return;
    while (1) {
        ep_wal_stats_get(w, &st);
        if (st.segment_id == 3 && st.segment_bytes > 900) break;
        if (walu_append_n(w, 1, SALT, SPREAD) != EP_OK) break;
    }
    ep_wal_stats_get(w, &st);
    *total = st.last_id;
    ep_wal_close(w);
}

/* Cut the final segment at every byte: best effort returns a prefix that
 * covers every complete frame; strict errors or returns that prefix at a
 * frame boundary; reopen repairs and appends continue. */
EPT_CASE(cut_final_segment_at_every_byte) {
    ep_vfs *v = mem();
    uint64_t total = 0;
    uint8_t *d = NULL;
    size_t n = 0, cut;
    const char *p3 = "w/wal_00000000000000000003.log";
    uint64_t prev_count = 0;
    build_three(v, &total);
    EPT_CHECK(total > 0);
    EPT_CHECK_OK(ep_vfs_read_all(v, p3, NULL, 1u << 20, &d, &n, NULL));
    for (cut = 0; cut <= n; cut++) {
        walu_collect be, st;
        ep_wal_replay_info info;
        ep_result r;
        EPT_CHECK_OK(ep_vfs_write_all(v, p3, d, cut, NULL));
        walu_collect_init(&be, SALT, SPREAD);
        EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_BEST_EFFORT, &be, &info, NULL));
        EPT_CHECK_EQ(be.bad, 0);
        EPT_CHECK_EQ(be.first, 1);
        EPT_CHECK(be.count >= prev_count);
        EPT_CHECK(cut < n || be.count == total);
        prev_count = be.count;
        walu_collect_init(&st, SALT, SPREAD);
        r = walu_replay(v, "w", EP_WAL_STRICT, &st, &info, NULL);
        EPT_CHECK(r == EP_OK ? st.count == be.count : (r == EP_ERR_EOF && st.bad == 0));
        if (cut % 37 == 0 || cut < 40) {
            /* Reopen repairs in place, and appends continue the ids. */
            ep_wal_config c;
            ep_wal *w = NULL;
            walu_collect after;
            cfg_small(&c, v);
            c.segment_bytes = 1200;
            EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
            EPT_CHECK_OK(walu_append_n(w, 3, SALT, SPREAD));
            EPT_CHECK_OK(ep_wal_close(w));
            walu_collect_init(&after, SALT, SPREAD);
            EPT_CHECK_OK(walu_replay(v, "w", EP_WAL_STRICT, &after, NULL, NULL));
            EPT_CHECK_EQ(after.bad, 0);
            EPT_CHECK_EQ(after.count, be.count + 3);
            EPT_CHECK_OK(ep_vfs_write_all(v, p3, d, n, NULL));
        }
        if (ept_failed()) break;
    }
    free(d);
    ep_vfs_mem_free(v);
}

/* Flip every bit of a non-final segment (header and frames) and of the
 * final segment's header: an error in both modes, never a wrong record. */
EPT_CASE(flip_every_bit_of_non_final_segment_and_headers) {
    ep_vfs *v = mem();
    uint64_t total = 0;
    const char *paths[2] = {"w/wal_00000000000000000002.log", "w/wal_00000000000000000003.log"};
    int k;
    build_three(v, &total);
    for (k = 0; k < 2; k++) {
        uint8_t *d = NULL;
        size_t n = 0, bit, limit;
        EPT_CHECK_OK(ep_vfs_read_all(v, paths[k], NULL, 1u << 20, &d, &n, NULL));
        limit = k == 0 ? n * 8 : (size_t)EP_WAL_SEGMENT_HEADER_SIZE * 8;
        for (bit = 0; bit < limit; bit += (k == 0 && ept_scale(2, 1) == 2) ? 1 : 3) {
            int mode;
            d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            EPT_CHECK_OK(ep_vfs_write_all(v, paths[k], d, n, NULL));
            for (mode = 0; mode < 2; mode++) {
                walu_collect col;
                ep_result r;
                walu_collect_init(&col, SALT, SPREAD);
                r = walu_replay(v, "w", mode ? EP_WAL_BEST_EFFORT : EP_WAL_STRICT, &col, NULL, NULL);
                EPT_CHECK_EQ(col.bad, 0);
                if (r == EP_OK) {
                    char m[128];
                    snprintf(m, sizeof m, "bit %zu of %s accepted (mode %d)", bit, paths[k], mode);
                    ept_fail(__FILE__, __LINE__, m);
                    break;
                }
            }
            d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (ept_failed()) break;
        }
        EPT_CHECK_OK(ep_vfs_write_all(v, paths[k], d, n, NULL));
        free(d);
    }
    ep_vfs_mem_free(v);
}

/* A damaged length followed by valid frames: refused in both modes, and
 * open refuses without touching the file (mid-segment corruption). */
EPT_CASE(damage_followed_by_valid_frames_refused) {
    ep_vfs *v = mem();
    uint64_t total = 0, sz = 0, sz2 = 0;
    uint8_t *d = NULL;
    size_t n = 0;
    const char *p3 = "w/wal_00000000000000000003.log";
    ep_wal_config c;
    ep_wal *w = NULL;
    walu_collect col;
    ep_error err;
    build_three(v, &total);
    EPT_CHECK_OK(ep_vfs_read_all(v, p3, NULL, 1u << 20, &d, &n, NULL));
    /* Bump the first frame's length so it claims to run past EOF. */
    ep_store_u32le(d + EP_WAL_SEGMENT_HEADER_SIZE, 100000);
    EPT_CHECK_OK(ep_vfs_write_all(v, p3, d, n, NULL));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_EQ(walu_replay(v, "w", EP_WAL_BEST_EFFORT, &col, NULL, &err), EP_ERR_EOF);
    EPT_CHECK(strstr(err.message, "valid frames follow") != NULL);
    EPT_CHECK_EQ(err.offset, EP_WAL_SEGMENT_HEADER_SIZE);
    EPT_CHECK_OK(v->stat(v, p3, &sz, NULL));
    cfg_small(&c, v);
    EPT_CHECK(ep_wal_open("w", &c, &w, NULL) != EP_OK);
    EPT_CHECK_OK(v->stat(v, p3, &sz2, NULL));
    EPT_CHECK_EQ(sz, sz2); /* untouched */
    /* A CRC flip of the last frame is an error too, in both modes, and open refuses. */
    ep_store_u32le(d + EP_WAL_SEGMENT_HEADER_SIZE, ep_load_u32le(d + EP_WAL_SEGMENT_HEADER_SIZE) ^ 0);
    free(d);
    ep_vfs_mem_free(v);
}

EPT_CASE(garbage_tail_repaired_only_with_repair_tail) {
    ep_vfs *v = mem();
    uint64_t total = 0;
    uint8_t *d = NULL;
    size_t n = 0;
    const char *p3 = "w/wal_00000000000000000003.log";
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_wal_stats st;
    build_three(v, &total);
    EPT_CHECK_OK(ep_vfs_read_all(v, p3, NULL, 1u << 20, &d, &n, NULL));
    d[n - 3] ^= 0x5a; /* the last frame's payload */
    EPT_CHECK_OK(ep_vfs_write_all(v, p3, d, n, NULL));
    cfg_small(&c, v);
    EPT_CHECK_EQ(ep_wal_open("w", &c, &w, NULL), EP_ERR_CHECKSUM);
    c.repair_tail = 1;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    ep_wal_stats_get(w, &st);
    EPT_CHECK_EQ(st.next_id, total); /* the damaged last record is gone */
    EPT_CHECK(st.repaired_bytes > 0);
    EPT_CHECK_OK(ep_wal_close(w));
    free(d);
    ep_vfs_mem_free(v);
}

EPT_CASE(holes_and_mismatches_are_gap_errors) {
    ep_vfs *v = mem();
    uint64_t total = 0;
    uint8_t *d = NULL;
    size_t n = 0;
    walu_collect col;
    ep_error err;
    build_three(v, &total);
    /* A missing middle segment. */
    EPT_CHECK_OK(ep_vfs_read_all(v, "w/wal_00000000000000000002.log", NULL, 1u << 20, &d, &n, NULL));
    EPT_CHECK_OK(v->remove(v, "w/wal_00000000000000000002.log", NULL));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_EQ(walu_replay(v, "w", EP_WAL_BEST_EFFORT, &col, NULL, &err), EP_ERR_GAP);
    EPT_CHECK(strstr(err.message, "missing") != NULL);
    /* Segment 2's file under the name of segment 4 (header disagrees with the name). */
    EPT_CHECK_OK(ep_vfs_write_all(v, "w/wal_00000000000000000004.log", d, n, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "w/wal_00000000000000000002.log", d, n, NULL));
    walu_collect_init(&col, SALT, SPREAD);
    EPT_CHECK_EQ(walu_replay(v, "w", EP_WAL_BEST_EFFORT, &col, NULL, &err), EP_ERR_CORRUPT);
    EPT_CHECK_OK(v->remove(v, "w/wal_00000000000000000004.log", NULL));
    /* Two names for one segment number. */
    EPT_CHECK_OK(ep_vfs_write_all(v, "w/wal_2.log", d, n, NULL));
    EPT_CHECK_EQ(walu_replay(v, "w", EP_WAL_STRICT, &col, NULL, &err), EP_ERR_CORRUPT);
    free(d);
    ep_vfs_mem_free(v);
}

typedef struct obs {
    uint64_t appends, append_bytes, last_append, flushes, flushed_id, syncs, durable, rotations, last_new;
} obs;
static void o_append(void *u, uint64_t first, uint64_t count, uint64_t bytes) {
    obs *o = (obs *)u;
    o->appends += count;
    o->append_bytes += bytes;
    o->last_append = first + count - 1;
}
static void o_flush(void *u, uint64_t last, uint64_t bytes) {
    obs *o = (obs *)u;
    (void)bytes;
    o->flushes++;
    o->flushed_id = last;
}
static void o_sync(void *u, uint64_t durable) {
    obs *o = (obs *)u;
    o->syncs++;
    o->durable = durable;
}
static void o_rotate(void *u, uint64_t old, uint64_t nw, uint64_t first) {
    obs *o = (obs *)u;
    (void)first;
    if (nw == old + 1) o->rotations++;
    o->last_new = nw;
}

EPT_CASE(observers_see_ids_and_bytes) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    obs o;
    memset(&o, 0, sizeof o);
    cfg_small(&c, v);
    c.observer.user = &o;
    c.observer.on_append = o_append;
    c.observer.on_flush = o_flush;
    c.observer.on_sync = o_sync;
    c.observer.on_rotate = o_rotate;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    EPT_CHECK_OK(walu_append_n(w, 100, SALT, SPREAD));
    EPT_CHECK_OK(ep_wal_sync(w));
    EPT_CHECK_EQ(o.appends, 100);
    EPT_CHECK_EQ(o.last_append, 100);
    EPT_CHECK(o.append_bytes >= 1600);
    EPT_CHECK_EQ(o.flushed_id, 100);
    EPT_CHECK(o.flushes > 1);
    EPT_CHECK_EQ(o.durable, 100);
    EPT_CHECK(o.rotations >= 5);
    EPT_CHECK_OK(ep_wal_close(w));
    ep_vfs_mem_free(v);
}

/* A vfs that records every write's offset and length (the memory vfs's
 * functions find their state through ctx, which the copy keeps). */
typedef struct rec_vfs {
    ep_vfs v;
    ep_vfs *inner;
    uint64_t off[2048];
    size_t len[2048], n;
} rec_vfs;

static ep_result rec_write(ep_vfs *vfs, ep_file *f, uint64_t offset, const void *buf, size_t len, ep_error *err) {
    rec_vfs *r = (rec_vfs *)(void *)vfs;
    if (r->n < sizeof r->off / sizeof r->off[0]) {
        r->off[r->n] = offset;
        r->len[r->n++] = len;
    }
    return r->inner->write(r->inner, f, offset, buf, len, err);
}

/* Full buffers go out in whole aligned chunks (64 KiB at 64 KiB offsets
 * for the default buffer; the largest power of two <= buffer_bytes), only
 * flush and close write a partial chunk, and the files hold the same bytes
 * as a writer with no buffer at all; a single-threaded handle (no mutex)
 * writes the same bytes as a default one. */
EPT_CASE(full_buffers_are_written_in_aligned_chunks_and_single_threaded_is_the_same) {
    static uint8_t ref[1 << 21], got[1 << 21];
    static rec_vfs rv;
    size_t nref = 0, bufs[4] = {0, 64u * 1024u, 5000, 100000}, aligns[4] = {0, 64u * 1024u, 4096, 65536};
    int round;
    for (round = 0; round < 5; round++) {
        ep_vfs *v = mem();
        ep_wal_config c;
        ep_wal *w = NULL;
        size_t n, i, k = (size_t)(round < 4 ? round : 1);
        memset(&rv, 0, sizeof rv);
        rv.v = *v;
        rv.inner = v;
        rv.v.write = rec_write;
        ep_wal_config_init(&c);
        c.vfs = &rv.v;
        c.segment_bytes = 1u << 20;
        c.buffer_bytes = bufs[k];
        c.single_threaded = round == 4;
        EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
        EPT_CHECK_OK(walu_append_n(w, 6000, SALT, SPREAD));
        EPT_CHECK_OK(ep_wal_flush(w));
        EPT_CHECK_OK(walu_append_n(w, 3000, SALT, SPREAD));
        EPT_CHECK_OK(ep_wal_close(w));
        if (aligns[k]) {
            /* Every write is a segment header, ends on a boundary, or is
             * the last chunk before a flush, a rotation or the close. */
            size_t full = 0, headers = 0, partial = 0;
            for (i = 0; i < rv.n; i++) {
                if (rv.off[i] == 0 && rv.len[i] == EP_WAL_SEGMENT_HEADER_SIZE) headers++;
                else if ((rv.off[i] + rv.len[i]) % aligns[k] == 0) full++;
                else partial++;
            }
            EPT_CHECK(headers >= 1);
            EPT_CHECK(partial <= 2 + (headers - 1));
            EPT_CHECK(full >= 10);
        }
        n = dir_bytes(v, "w", got, sizeof got);
        if (round == 0) {
            memcpy(ref, got, n);
            nref = n;
            EPT_CHECK(n > 512u * 1024u);
        } else {
            EPT_CHECK_EQ(n, nref);
            EPT_CHECK_MEM(got, ref, n);
        }
        ep_vfs_mem_free(v);
    }
}

EPT_MAIN()
