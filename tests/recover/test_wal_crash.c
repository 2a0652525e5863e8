/* wal under power loss: a scripted workload (appends, batches, flushes,
 * syncs, rotations, publishes; with and without preallocation and
 * recycling) runs into the wall at every vfs operation k of the power-loss
 * simulator; after the crash, reopen + recovery must give: every record
 * acknowledged by a sync (or a publish) present, a prefix of what was
 * appended (every byte checked), ids continuing after reopen. Then a second
 * crash at every operation of that reopen + recovery, and a clean one after
 * it: the same. fail-the-Nth-operation of the fault vfs and a failing
 * allocator over the same workload: a clean error, a usable or poisoned
 * handle, a recoverable directory, no leak (valgrind / ASan). */
#include "ember_persist.h"
#include "harness.h"
#include "support/counting.h"
#include "support/fault_vfs.h"
#include "support/sim_vfs.h"
#include "support/wal_util.h"

#include <stdlib.h>
#include <string.h>

#define SALT 3u
#define SPREAD 90u
#define CKPT "w/state.ckpt"
#define EP__MAX(a, b) ((a) > (b) ? (a) : (b))

typedef struct model {
    uint64_t appended;   /* last id appended (acknowledged by append) */
    uint64_t durable;    /* last id acknowledged by a sync or publish */
    uint64_t maybe;      /* a publish was cut short: its marker may be there */
} model;

static void wcfg(ep_wal_config *c, ep_vfs *v, int variant) {
    ep_wal_config_init(c);
    c->vfs = v;
    c->segment_bytes = 600;
    c->buffer_bytes = 128;
    if (variant == 1) {
        c->preallocate_bytes = 600;
        c->recycle_segments = 2;
    }
    if (variant == 2) c->flush = EP_WAL_FLUSH_EVERY_APPEND;
}

/* The workload; stops at the first failure (the machine died). */
static void workload(ep_vfs *v, int variant, model *m) {
    ep_wal_config c;
    ep_wal *w = NULL;
    int step;
    uint8_t bufs[3][SPREAD + 16];
    memset(m, 0, sizeof *m);
    wcfg(&c, v, variant);
    if (ep_wal_open("w", &c, &w, NULL) != EP_OK) return;
    for (step = 1; step <= 80; step++) {
        ep_result r;
        if (step % 4 == 0) {
            ep_bytes recs[3];
            int i;
            for (i = 0; i < 3; i++)
                recs[i] = ep_bytes_of(bufs[i], walu_record(m->appended + 1 + (uint64_t)i, SALT, SPREAD, bufs[i]));
            r = ep_wal_append_batch(w, recs, 3, NULL);
            if (r == EP_OK) m->appended += 3;
        } else {
            r = walu_append_n(w, 1, SALT, SPREAD);
            if (r == EP_OK) m->appended += 1;
        }
        if (r != EP_OK) break;
        if (step % 11 == 0 && ep_wal_flush(w) != EP_OK) break;
        if (step % 5 == 0) {
            if (ep_wal_sync(w) != EP_OK) break;
            m->durable = m->appended;
        }
        if (step % 17 == 0) {
            uint8_t state[8], marker[SPREAD + 16];
            size_t ml = walu_record(m->appended + 1, SALT, SPREAD, marker);
            ep_store_u64le(state, m->appended);
            m->maybe = m->appended + 1;
            if (ep_wal_publish(w, CKPT, m->appended, state, 8, marker, ml, NULL) != EP_OK) break;
            m->appended++;
            m->durable = m->appended;
        }
    }
    if (ep_wal_close(w) == EP_OK) m->durable = m->appended;
}

typedef struct rstate {
    uint64_t base;       /* checkpoint id */
    walu_collect col;
} rstate;

static ep_result r_init(void *user, int has, uint64_t id, const uint8_t *st, size_t len) {
    rstate *s = (rstate *)user;
    s->base = 0;
    if (has) {
        if (len != 8 || ep_load_u64le(st) != id) return EP_ERR_CORRUPT;
        s->base = id;
    }
    return EP_OK;
}

static ep_result r_apply(void *user, uint64_t id, const uint8_t *data, size_t len) {
    return walu_collect_fn(&((rstate *)user)->col, id, data, len);
}

static ep_error last_err;

/* Reopen (repairs), append one, close, recover strictly. Returns the
 * result; *last the recovered last id; checks done by the caller. */
static ep_result reopen_and_recover(ep_vfs *v, int variant, int repair, uint64_t *last, rstate *rs,
                                    uint64_t *appended_after) {
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_wal_recover_config rc;
    ep_wal_recover_info info;
    ep_wal_stats st;
    ep_result r;
    memset(rs, 0, sizeof *rs);
    ep_error_clear(&last_err);
    wcfg(&c, v, variant);
    c.repair_tail = repair;
    r = ep_wal_open("w", &c, &w, &last_err);
    if (r != EP_OK) return r;
    ep_wal_stats_get(w, &st);
    *appended_after = st.next_id;
    r = walu_append_n(w, 1, SALT, SPREAD);
    if (r == EP_OK) r = ep_wal_close(w);
    else ep_wal_close(w);
    if (r != EP_OK) return r;
    ep_wal_recover_config_init(&rc);
    rc.read.vfs = v;
    rc.checkpoint_path = CKPT;

    walu_collect_init(&rs->col, SALT, SPREAD);
    r = ep_wal_recover("w", &rc, r_init, r_apply, rs, &info, &last_err);
    *last = info.last_id;
    return r;
}

/* The invariants after a crash of a run that had model m. */
static void check_after(ep_vfs *v, int variant, int repair, const model *m, const char *what, uint64_t k) {
    uint64_t last = 0, next_at_open = 0;
    rstate rs;
    ep_result r = reopen_and_recover(v, variant, repair, &last, &rs, &next_at_open);
    char msg[200];
    if (r != EP_OK || rs.col.bad || next_at_open - 1 < m->durable || next_at_open - 1 > EP__MAX(m->appended, m->maybe) ||
        last != next_at_open || (rs.col.count && rs.col.first != rs.base + 1)) {
        snprintf(msg, sizeof msg,
                 "%s k=%llu variant %d: r=%d bad=%llu durable=%llu appended=%llu resumed at %llu recovered %llu (base %llu)",
                 what, (unsigned long long)k, variant, (int)r, (unsigned long long)rs.col.bad,
                 (unsigned long long)m->durable, (unsigned long long)m->appended,
                 (unsigned long long)next_at_open, (unsigned long long)last, (unsigned long long)rs.base);
        ept_fail(__FILE__, __LINE__, msg);
        printf("    %s\n", last_err.message);
    }
}

static uint64_t garbage_total(ep_vfs *v) {
    uint64_t c[SIM_OUTCOME_COUNT];
    sim_vfs_outcome_counts(v, c);
    return c[SIM_OUTCOME_GARBAGE];
}

static void power_loss_every_op(int variant) {
    ep_vfs *v = NULL;
    model m;
    uint64_t ops, k, seed = ept_seed();
    long second_every = ept_scale(2, 2) == 2 ? 1 : 5;
    EPT_CHECK_OK(sim_vfs_create(&v));
    workload(v, variant, &m);
    ops = sim_vfs_op_count(v);
    sim_vfs_destroy(v);
    EPT_CHECK(ops > 150);
    EPT_CHECK(m.durable == m.appended && m.appended > 100);
    for (k = 0; k <= ops; k++) {
        uint64_t g, rops, j, seed_k = seed + k * 7919u;
        model mk;
        EPT_CHECK_OK(sim_vfs_create(&v));
        sim_vfs_set_crash_after(v, k);
        workload(v, variant, &mk);
        sim_crash(v, seed_k);
        g = garbage_total(v);
        if ((long)(k % (uint64_t)second_every) == 0) {
            /* A second crash at every operation of the reopen + recovery. */
            uint64_t start = sim_vfs_op_count(v), last = 0, at = 0;
            rstate rs;
            ep_vfs *probe = NULL;
            (void)probe;
            {
                /* count the recovery's operations on a copy-free rerun: run it once, then restart from scratch */
                ep_vfs *v2 = NULL;
                model mm;
                EPT_CHECK_OK(sim_vfs_create(&v2));
                sim_vfs_set_crash_after(v2, k);
                workload(v2, variant, &mm);
                sim_crash(v2, seed_k);
                start = sim_vfs_op_count(v2);
                (void)reopen_and_recover(v2, variant, garbage_total(v2) > 0, &last, &rs, &at);
                rops = sim_vfs_op_count(v2) - start;
                sim_vfs_destroy(v2);
            }
            for (j = 0; j < rops; j += 1) {
                ep_vfs *v3 = NULL;
                model m3;
                EPT_CHECK_OK(sim_vfs_create(&v3));
                sim_vfs_set_crash_after(v3, k);
                workload(v3, variant, &m3);
                sim_crash(v3, seed_k);
                sim_vfs_set_crash_after(v3, j);
                (void)reopen_and_recover(v3, variant, 1, &last, &rs, &at);
                sim_crash(v3, seed_k ^ (j * 31u + 1u));
                /* The appended record of a crashed reopen may or may not survive: allow one more. */
                m3.appended = EP__MAX(m3.appended, m3.maybe) + 1;
                check_after(v3, variant, 1, &m3, "second crash", k * 1000 + j);
                sim_vfs_destroy(v3);
                if (ept_failed()) break;
            }
        }
        check_after(v, variant, g > 0, &mk, "crash", k);
        sim_vfs_destroy(v);
        if (ept_failed()) break;
    }
    printf("    %llu operations, each crashed (second crash at every recovery operation of every %ld-th)\n",
           (unsigned long long)ops, second_every);
}

EPT_CASE(power_loss_at_every_op_plain) { power_loss_every_op(0); }
EPT_CASE(power_loss_at_every_op_prealloc_recycle) { power_loss_every_op(1); }
EPT_CASE(power_loss_at_every_op_flush_every_append) { power_loss_every_op(2); }

/* Fail the Nth vfs operation of the workload for every N (one shot and a
 * dead disk): a clean error, then the directory recovers to a prefix that
 * holds every acknowledged record. */
EPT_CASE(fail_nth_op_every_n) {
    ep_vfs *m0 = NULL, *f0 = NULL;
    model m;
    uint64_t ops, n;
    int sticky;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m0));
    EPT_CHECK_OK(fault_vfs_create(m0, &f0));
    workload(f0, 1, &m);
    ops = fault_vfs_count(f0, FAULT_ALL);
    fault_vfs_destroy(f0);
    ep_vfs_mem_free(m0);
    for (sticky = 0; sticky < 2; sticky++) {
        for (n = 1; n <= ops; n++) {
            ep_vfs *mv = NULL, *fv = NULL;
            EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mv));
            EPT_CHECK_OK(fault_vfs_create(mv, &fv));
            fault_vfs_set_sticky(fv, sticky);
            fault_vfs_arm(fv, FAULT_ALL, n, EP_ERR_IO);
            workload(fv, 1, &m);
            fault_vfs_disarm(fv);
            /* The memory vfs keeps everything written: the durable set is a lower bound. */
            {
                uint64_t last = 0, at = 0;
                rstate rs;
                ep_result r = reopen_and_recover(fv, 1, 0, &last, &rs, &at);
                if (r != EP_OK || rs.col.bad || at - 1 < m.durable || at - 1 > EP__MAX(m.appended, m.maybe)) {
                    char msg[160];
                    snprintf(msg, sizeof msg, "n=%llu sticky=%d r=%d bad=%llu durable=%llu appended=%llu resumed %llu",
                             (unsigned long long)n, sticky, (int)r, (unsigned long long)rs.col.bad, (unsigned long long)m.durable,
                             (unsigned long long)m.appended, (unsigned long long)at);
                    ept_fail(__FILE__, __LINE__, msg);
                }
            }
            fault_vfs_destroy(fv);
            ep_vfs_mem_free(mv);
            if (ept_failed()) return;
        }
    }
}

/* A failing allocator at every N over open, appends, rotation, publish, recovery. */
EPT_CASE(failing_allocator_every_n) {
    long n;
    for (n = 0; n < 400; n++) {
        ept_counting fs;
        ep_allocator a = ept_counting_alloc(&fs);
        ep_vfs *v = NULL;
        ep_wal_config c;
        ep_wal *w = NULL;
        ep_result r;
        int done = 0;
        fs.fail_after = n;
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &v));
        wcfg(&c, v, 1);
        c.alloc = &a;
        r = ep_wal_open("w", &c, &w, NULL);
        if (r == EP_OK) {
            uint8_t st[8] = {0};
            r = walu_append_n(w, 40, SALT, SPREAD);
            if (r == EP_OK) r = ep_wal_publish(w, CKPT, 40, st, 8, "m", 1, NULL);
            if (r == EP_OK) r = walu_append_n(w, 10, SALT, SPREAD);
            EPT_CHECK(r == EP_OK || r == EP_ERR_NOMEM || r == EP_ERR_POISONED);
            r = ep_wal_close(w);
            if (r == EP_OK) done = 1;
        } else {
            EPT_CHECK_EQ(r, EP_ERR_NOMEM);
        }
        if (done) {
            ep_wal_recover_config rc;
            ep_wal_recover_info info;
            ep_wal_recover_config_init(&rc);
            rc.read.vfs = v;
            rc.read.alloc = &a;
            rc.checkpoint_path = CKPT;
            r = ep_wal_recover("w", &rc, NULL, NULL, NULL, &info, NULL);
            EPT_CHECK(r == EP_OK || r == EP_ERR_NOMEM);
        }
        EPT_CHECK_EQ(fs.live, 0);
        ep_vfs_mem_free(v);
        if (fs.fail_after > 0) break; /* a run that never hit the failure: every N covered */
    }
}

EPT_MAIN()
