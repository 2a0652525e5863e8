/* wal recovery: checkpoint files (round trip, every cut and flip refused,
 * unique tmp names, stale tmps swept, fault loop), publish then recover,
 * the gap rule (every case of checkpoint present/absent/damaged x WAL prefix
 * kept/removed), point-in-time ceilings = prefixes, checkpoint-cadence
 * invariance, and a model-based test (append / batch / flush / sync / rotate
 * / publish / crash / reopen) whose model is never updated from recovered
 * output; printed seeds. */
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/sim_vfs.h"
#include "support/wal_util.h"

#include <stdlib.h>
#include <string.h>

#define SALT 11u
#define SPREAD 60u

static ep_vfs *mem(void) {
    ep_vfs *v = NULL;
    return ep_vfs_mem_create(NULL, &v) == EP_OK ? v : NULL;
}

EPT_CASE(checkpoint_round_trip_and_damage) {
    ep_vfs *v = mem();
    ep_checkpoint_config cc;
    uint8_t *p = NULL, *d = NULL;
    size_t n = 0, dn = 0, i;
    uint64_t id = 0, pl = 0;
    ep_checkpoint_config_init(&cc);
    cc.vfs = v;
    EPT_CHECK_OK(v->mkdir(v, "c", NULL));
    EPT_CHECK_OK(ep_checkpoint_write(&cc, "c/x.ckpt", 42, "hello state", 11, NULL));
    EPT_CHECK_OK(ep_checkpoint_read(&cc, "c/x.ckpt", &id, &p, &n, NULL));
    EPT_CHECK(id == 42 && n == 11 && memcmp(p, "hello state", 11) == 0);
    free(p);
    EPT_CHECK_OK(ep_checkpoint_stat(&cc, "c/x.ckpt", &id, &pl, NULL));
    EPT_CHECK(id == 42 && pl == 11);
    EPT_CHECK_EQ(ep_checkpoint_read(&cc, "c/none", &id, &p, &n, NULL), EP_ERR_NOT_FOUND);
    /* Replace: the new one wins; empty payload allowed. */
    EPT_CHECK_OK(ep_checkpoint_write(&cc, "c/x.ckpt", 50, NULL, 0, NULL));
    EPT_CHECK_OK(ep_checkpoint_read(&cc, "c/x.ckpt", &id, &p, &n, NULL));
    EPT_CHECK(id == 50 && n == 0 && p == NULL);
    EPT_CHECK_OK(ep_checkpoint_write(&cc, "c/x.ckpt", 42, "hello state", 11, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(v, "c/x.ckpt", NULL, 1024, &d, &dn, NULL));
    for (i = 0; i < dn; i++) { /* every cut */
        EPT_CHECK_OK(ep_vfs_write_all(v, "c/y.ckpt", d, i, NULL));
        EPT_CHECK(ep_checkpoint_read(&cc, "c/y.ckpt", &id, &p, &n, NULL) != EP_OK);
    }
    for (i = 0; i < dn * 8; i++) { /* every bit */
        d[i / 8] ^= (uint8_t)(1u << (i % 8));
        EPT_CHECK_OK(ep_vfs_write_all(v, "c/y.ckpt", d, dn, NULL));
        EPT_CHECK(ep_checkpoint_read(&cc, "c/y.ckpt", &id, &p, &n, NULL) != EP_OK);
        d[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* A trailing byte is refused. */
    {
        uint8_t *e = (uint8_t *)malloc(dn + 1);
        memcpy(e, d, dn);
        e[dn] = 0;
        EPT_CHECK_OK(ep_vfs_write_all(v, "c/y.ckpt", e, dn + 1, NULL));
        EPT_CHECK_EQ(ep_checkpoint_read(&cc, "c/y.ckpt", &id, &p, &n, NULL), EP_ERR_CORRUPT);
        free(e);
    }
    /* A header claiming more than the cap: refused before any allocation. */
    cc.max_payload = 4;
    EPT_CHECK_EQ(ep_checkpoint_read(&cc, "c/x.ckpt", &id, &p, &n, NULL), EP_ERR_LIMIT);
    free(d);
    ep_vfs_mem_free(v);
}

static int count_fn(void *ctx, const char *name) {
    size_t *n = (size_t *)ctx;
    if (strstr(name, ".tmp")) (*n)++;
    return 0;
}

EPT_CASE(checkpoint_stale_tmps_swept_and_names_unique) {
    ep_vfs *v = mem();
    ep_checkpoint_config cc;
    size_t tmps = 0, removed = 0;
    ep_checkpoint_config_init(&cc);
    cc.vfs = v;
    EPT_CHECK_OK(v->mkdir(v, "c", NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "c/x.ckpt.0123456789abcdef.tmp", "junk", 4, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "c/x.ckpt.fedcba9876543210.tmp", "junk", 4, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "c/x.ckpt.tmp", "not ours", 8, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "c/other.0123456789abcdef.tmp", "not ours", 8, NULL));
    EPT_CHECK_OK(ep_checkpoint_sweep(&cc, "c/x.ckpt", &removed, NULL));
    EPT_CHECK_EQ(removed, 2);
    EPT_CHECK_OK(v->list(v, "c", count_fn, &tmps, NULL));
    EPT_CHECK_EQ(tmps, 2); /* only the other names are left */
    EPT_CHECK_OK(ep_checkpoint_write(&cc, "c/x.ckpt", 1, "a", 1, NULL));
    tmps = 0;
    EPT_CHECK_OK(v->list(v, "c", count_fn, &tmps, NULL));
    EPT_CHECK_EQ(tmps, 2);
    ep_vfs_mem_free(v);
}

/* Power loss at every op of a checkpoint replace: the old or the new one, whole. */
EPT_CASE(checkpoint_power_loss_at_every_op) {
    uint64_t k, seed = ept_seed();
    for (k = 0; k < 40; k++) {
        ep_vfs *v = NULL;
        ep_checkpoint_config cc;
        uint8_t *p = NULL;
        size_t n = 0;
        uint64_t id = 0;
        ep_result r;
        EPT_CHECK_OK(sim_vfs_create(&v));
        ep_checkpoint_config_init(&cc);
        cc.vfs = v;
        EPT_CHECK_OK(v->mkdir(v, "c", NULL));
        EPT_CHECK_OK(v->sync_dir(v, "", NULL));
        EPT_CHECK_OK(ep_checkpoint_write(&cc, "c/x.ckpt", 1, "old", 3, NULL));
        sim_vfs_set_crash_after(v, k);
        r = ep_checkpoint_write(&cc, "c/x.ckpt", 2, "new!", 4, NULL);
        sim_crash(v, seed + k);
        EPT_CHECK_OK(ep_checkpoint_read(&cc, "c/x.ckpt", &id, &p, &n, NULL));
        EPT_CHECK((id == 1 && n == 3 && memcmp(p, "old", 3) == 0) || (id == 2 && n == 4 && memcmp(p, "new!", 4) == 0));
        if (r == EP_OK) EPT_CHECK_EQ(id, 2);
        free(p);
        sim_vfs_destroy(v);
        if (r == EP_OK) break;
    }
}

typedef struct sum_state {
    uint64_t base, sum, count, last;
    int has;
} sum_state;

static ep_result s_init(void *user, int has, uint64_t id, const uint8_t *st, size_t len) {
    sum_state *s = (sum_state *)user;
    memset(s, 0, sizeof *s);
    s->has = has;
    if (has) {
        if (len != 16) return EP_ERR_CORRUPT;
        s->sum = ep_load_u64le(st);
        s->count = ep_load_u64le(st + 8);
        s->base = s->last = id;
    }
    return EP_OK;
}

/* Records are 8-byte values; the marker records of publish are empty. */
static ep_result s_apply(void *user, uint64_t id, const uint8_t *d, size_t len) {
    sum_state *s = (sum_state *)user;
    if (id != s->last + 1 && !(s->last == 0 && s->count == 0)) return EP_ERR_GAP;
    s->last = id;
    if (len == 8) {
        s->sum += ep_load_u64le(d);
        s->count++;
    } else if (len != 0) {
        return EP_ERR_CORRUPT;
    }
    return EP_OK;
}

static uint64_t value_of(uint64_t id) { return id * 2654435761u % 1000u; }

static ep_result add(ep_wal *w, uint64_t *sum, uint64_t *count) {
    uint8_t b[8];

    /* By record number, not id: publish markers take ids, and the state must
     * not depend on where they fell. */
    ep_store_u64le(b, value_of(*count + 1));
    *sum += value_of(*count + 1);
    (*count)++;
    return ep_wal_append(w, b, 8, NULL);
}

static ep_result publish(ep_wal *w, const char *ckpt, uint64_t sum, uint64_t count) {
    uint8_t st[16];
    ep_wal_stats s;
    ep_wal_stats_get(w, &s);
    ep_store_u64le(st, sum);
    ep_store_u64le(st + 8, count);
    return ep_wal_publish(w, ckpt, s.last_id, st, 16, NULL, 0, NULL);
}

static ep_result recover(ep_vfs *v, const char *ckpt, ep_wal_mode mode, int ignore, uint64_t ceiling, sum_state *s,
                         ep_wal_recover_info *info, ep_error *err) {
    ep_wal_recover_config rc;
    ep_wal_recover_config_init(&rc);
    rc.read.vfs = v;
    rc.read.mode = mode;
    rc.read.ceiling = ceiling;
    rc.checkpoint_path = ckpt;
    rc.ignore_corrupt_checkpoint = ignore;
    return ep_wal_recover("w", &rc, s_init, s_apply, s, info, err);
}

EPT_CASE(publish_then_recover_and_cadence_invariance) {
    uint64_t st = ept_seed() ^ 0xcadu;
    int round;
    uint64_t ref_sum = 0, ref_count = 0;
    for (round = 0; round < 8; round++) {
        ep_vfs *v = mem();
        ep_wal_config c;
        ep_wal *w = NULL;
        uint64_t sum = 0, count = 0, i, cadence = round == 0 ? 0 : 5 + ept_rand(&st) % 60;
        sum_state s;
        ep_wal_recover_info info;
        ep_wal_config_init(&c);
        c.vfs = v;
        c.segment_bytes = 256;
        EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
        for (i = 1; i <= 300; i++) {
            EPT_CHECK_OK(add(w, &sum, &count));
            if (cadence && i % cadence == 0) EPT_CHECK_OK(publish(w, "w/state.ckpt", sum, count));
        }
        EPT_CHECK_OK(ep_wal_close(w));
        EPT_CHECK_OK(recover(v, "w/state.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, NULL));
        EPT_CHECK(s.sum == sum && s.count == count);
        if (round == 0) {
            ref_sum = sum;
            ref_count = count;
        } else {
            EPT_CHECK(s.sum == ref_sum && s.count == ref_count); /* any cadence, the same state */
            EPT_CHECK(info.has_checkpoint);
            EPT_CHECK(info.replay.first_id > 1); /* segments were truncated */
        }
        ep_vfs_mem_free(v);
    }
}

/* The gap rule, every combination. */
EPT_CASE(gap_rule_matrix) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    uint64_t sum = 0, count = 0, i;
    sum_state s;
    ep_wal_recover_info info;
    ep_error err;
    uint8_t *ck = NULL;
    size_t ckn = 0;
    ep_wal_config_init(&c);
    c.vfs = v;
    c.segment_bytes = 256;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    for (i = 1; i <= 100; i++) EPT_CHECK_OK(add(w, &sum, &count));
    EPT_CHECK_OK(publish(w, "w/state.ckpt", sum, count)); /* checkpoint at 100, marker 101, prefix removed */
    for (i = 1; i <= 20; i++) EPT_CHECK_OK(add(w, &sum, &count));
    EPT_CHECK_OK(ep_wal_close(w));
    /* checkpoint present + suffix present: fine. */
    EPT_CHECK_OK(recover(v, "w/state.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, NULL));
    EPT_CHECK(s.sum == sum && info.checkpoint_id == 100 && info.last_id == 121);
    /* checkpoint missing, prefix truncated: refused, never an incomplete state. */
    EPT_CHECK_OK(ep_vfs_read_all(v, "w/state.ckpt", NULL, 1024, &ck, &ckn, NULL));
    EPT_CHECK_OK(v->remove(v, "w/state.ckpt", NULL));
    EPT_CHECK_EQ(recover(v, "w/state.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, &err), EP_ERR_GAP);
    EPT_CHECK_EQ(recover(v, NULL, EP_WAL_BEST_EFFORT, 1, 0, &s, &info, NULL), EP_ERR_GAP);
    /* checkpoint damaged: strict refuses; ignoring it falls to the gap rule. */
    ck[ckn - 1] ^= 1;
    EPT_CHECK_OK(ep_vfs_write_all(v, "w/state.ckpt", ck, ckn, NULL));
    EPT_CHECK_EQ(recover(v, "w/state.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, NULL), EP_ERR_CHECKSUM);
    EPT_CHECK_EQ(recover(v, "w/state.ckpt", EP_WAL_BEST_EFFORT, 1, 0, &s, &info, NULL), EP_ERR_GAP);
    EPT_CHECK(info.checkpoint_ignored);
    ck[ckn - 1] ^= 1;
    EPT_CHECK_OK(ep_vfs_write_all(v, "w/state.ckpt", ck, ckn, NULL));
    /* An older checkpoint (id 10) across the truncated prefix: refused. */
    {
        ep_checkpoint_config cc;
        uint8_t st[16] = {0};
        ep_checkpoint_config_init(&cc);
        cc.vfs = v;
        EPT_CHECK_OK(ep_checkpoint_write(&cc, "w/old.ckpt", 10, st, 16, NULL));
        EPT_CHECK_EQ(recover(v, "w/old.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, &err), EP_ERR_GAP);
        EPT_CHECK(strstr(err.message, "missing") != NULL);
        /* A checkpoint past the WAL's end (the WAL lost records it claims). */
        EPT_CHECK_OK(ep_checkpoint_write(&cc, "w/ahead.ckpt", 500, st, 16, NULL));
        EPT_CHECK_EQ(recover(v, "w/ahead.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, NULL), EP_ERR_GAP);
    }
    free(ck);
    ep_vfs_mem_free(v);
}

EPT_CASE(ceiling_is_a_prefix) {
    ep_vfs *v = mem();
    ep_wal_config c;
    ep_wal *w = NULL;
    uint64_t sum = 0, count = 0, i, ceil;
    sum_state s;
    ep_wal_recover_info info;
    ep_wal_config_init(&c);
    c.vfs = v;
    c.segment_bytes = 300;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    for (i = 1; i <= 80; i++) EPT_CHECK_OK(add(w, &sum, &count));
    EPT_CHECK_OK(ep_wal_close(w));
    for (ceil = 1; ceil <= 80; ceil += 7) {
        uint64_t want = 0;
        for (i = 1; i <= ceil; i++) want += value_of(i);
        EPT_CHECK_OK(recover(v, NULL, EP_WAL_STRICT, 0, ceil, &s, &info, NULL));
        EPT_CHECK(s.sum == want && s.last == ceil && info.last_id == ceil);
    }
    /* Damage after the ceiling is never read. */
    {
        uint8_t *d = NULL;
        size_t n = 0;
        ep_wal_replay_info ri;
        ep_wal_read_config rc;
        ep_wal_read_config_init(&rc);
        rc.vfs = v;
        EPT_CHECK_OK(ep_wal_replay("w", &rc, NULL, NULL, &ri, NULL));
        EPT_CHECK(ri.segments >= 3);
        EPT_CHECK_OK(ep_vfs_read_all(v, "w/wal_00000000000000000003.log", NULL, 1u << 20, &d, &n, NULL));
        d[n - 1] ^= 0xff;
        EPT_CHECK_OK(ep_vfs_write_all(v, "w/wal_00000000000000000003.log", d, n, NULL));
        EPT_CHECK_OK(recover(v, NULL, EP_WAL_STRICT, 0, 5, &s, &info, NULL));
        EPT_CHECK(s.last == 5);
        EPT_CHECK(recover(v, NULL, EP_WAL_STRICT, 0, 0, &s, &info, NULL) != EP_OK);
        free(d);
    }
    ep_vfs_mem_free(v);
}

/* Model-based: random append / batch / flush / sync / rotate / publish /
 * crash (power loss on the simulator) / reopen. The model records only what
 * the calls acknowledged; after every crash, recovery must hold every synced
 * record and be a prefix of the appended ones, checked against the model's
 * own running sums. The model is never updated from recovered output: after
 * a crash it is only cut back to the recovered length, which must lie in
 * [durable, appended], and the writer must continue right after it. */
EPT_CASE(prop_model_based_crash) {
    uint64_t st = ept_seed() ^ 0x3a3au;
    long runs = ept_scale(30, 6), run;
    for (run = 0; run < runs; run++) {
        ep_vfs *v = NULL;
        ep_wal_config c;
        ep_wal *w = NULL;
        uint64_t appended = 0, durable = 0, steps, k;
        uint64_t sums[2048];
        EPT_CHECK_OK(sim_vfs_create(&v));
        ep_wal_config_init(&c);
        c.vfs = v;
        c.segment_bytes = 200 + ept_rand(&st) % 800;
        c.buffer_bytes = (size_t)(ept_rand(&st) % 512);
        c.preallocate_bytes = ept_rand(&st) & 1 ? c.segment_bytes : 0;
        c.recycle_segments = (size_t)(ept_rand(&st) % 3);
        c.repair_tail = 1; /* the simulator may leave garbage past the last sync */
        sums[0] = 0;
        EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
        steps = 100 + ept_rand(&st) % 200;
        for (k = 0; k < steps && appended < 2000; k++) {
            uint64_t op = ept_rand(&st) % 100;
            ep_result r = EP_OK;
            if (op < 50) {
                uint8_t b[8];
                ep_store_u64le(b, value_of(appended + 1));
                r = ep_wal_append(w, b, 8, NULL);
                if (r == EP_OK) {
                    appended++;
                    sums[appended] = sums[appended - 1] + value_of(appended);
                }
            } else if (op < 60 && appended + 3 < 2000) {
                uint8_t b[3][8];
                ep_bytes recs[3];
                int i;
                for (i = 0; i < 3; i++) {
                    ep_store_u64le(b[i], value_of(appended + 1 + (uint64_t)i));
                    recs[i] = ep_bytes_of(b[i], 8);
                }
                r = ep_wal_append_batch(w, recs, 3, NULL);
                if (r == EP_OK)
                    for (i = 0; i < 3; i++) {
                        appended++;
                        sums[appended] = sums[appended - 1] + value_of(appended);
                    }
            } else if (op < 70) {
                r = ep_wal_flush(w);
            } else if (op < 80) {
                r = ep_wal_sync(w);
                if (r == EP_OK) durable = appended;
            } else if (op < 85) {
                r = ep_wal_rotate(w);
            } else if (op < 90) {
                uint8_t s16[16];
                ep_store_u64le(s16, sums[appended]);
                ep_store_u64le(s16 + 8, appended);
                r = ep_wal_publish(w, "w/state.ckpt", appended, s16, 16, NULL, 0, NULL);
                if (r == EP_OK) {
                    appended++; /* the marker: an empty record */
                    sums[appended] = sums[appended - 1];
                    durable = appended;
                }
            } else {
                /* Power loss at a random point of the next few operations, or now. */
                sum_state s;
                ep_wal_recover_info info;
                uint64_t n = ept_rand(&st) % 6, i;
                sim_vfs_set_crash_after(v, n);
                for (i = 0; i < 3; i++) {
                    uint8_t b[8];
                    ep_store_u64le(b, value_of(appended + 1));
                    if (ep_wal_append(w, b, 8, NULL) == EP_OK) {
                        appended++;
                        sums[appended] = sums[appended - 1] + value_of(appended);
                    }
                    if (ep_wal_sync(w) == EP_OK) durable = appended;
                }
                ep_wal_close(w);
                w = NULL;
                sim_crash(v, ept_rand(&st));
                EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
                ep_wal_close(w);
                EPT_CHECK_OK(recover(v, "w/state.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, NULL));
                EPT_CHECK(info.last_id >= durable && info.last_id <= appended);
                EPT_CHECK_EQ(s.sum, sums[info.last_id]);
                /* The log now ends at what was recovered; the model's own
                 * history up to there stays valid, later entries are dropped
                 * because the calls that made them were not durable. */
                appended = info.last_id;
                durable = info.last_id;
                EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
                {
                    ep_wal_stats ws;
                    ep_wal_stats_get(w, &ws);
                    EPT_CHECK_EQ(ws.next_id, appended + 1);
                }
            }
            if (r != EP_OK) {
                char m[120];
                snprintf(m, sizeof m, "run %ld step %llu op %llu: %d %s", run, (unsigned long long)k,
                         (unsigned long long)op, (int)r, ep_wal_error(w)->message);
                ept_fail(__FILE__, __LINE__, m);
                break;
            }
        }
        if (w) EPT_CHECK_OK(ep_wal_close(w));
        {
            sum_state s;
            ep_wal_recover_info info;
            EPT_CHECK_OK(recover(v, "w/state.ckpt", EP_WAL_STRICT, 0, 0, &s, &info, NULL));
            EPT_CHECK_EQ(info.last_id, appended);
            EPT_CHECK_EQ(s.sum, sums[appended]);
        }
        sim_vfs_destroy(v);
        if (ept_failed()) break;
    }
}

EPT_MAIN()
