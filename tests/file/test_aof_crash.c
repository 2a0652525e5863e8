/* aof under power loss (tests/support/sim_vfs): a workload under each fsync
 * policy is cut at every vfs operation, the machine crashes with seeded
 * outcomes, and after the reboot: every record the writer acknowledged as
 * durable is there, nothing that was not written appears, the writer opens
 * (or, after garbage past the last sync, refuses and repair_tail fixes it)
 * and appending works. A rewrite cut at every operation leaves the old file
 * or the new one, never a broken one. */
#include "ember_persist.h"
#include "harness.h"
#include "support/sim_vfs.h"

#include <stdlib.h>

#define P "shard-0.aof"

static ep_bytes S(const char *s) { return ep_bytes_of(s, strlen(s)); }

typedef struct fake_clock { uint64_t ms; } fake_clock;
static uint64_t fake_now(void *u) {
    fake_clock *c = (fake_clock *)u;
    c->ms += 300; /* every look at the clock moves it: EVERYSEC syncs now and then */
    return c->ms;
}

/* Encodings of the records written, in order, and the file offset after each. */
typedef struct wlog {
    ep_buf enc[64];
    uint64_t end[64];
    int n;
} wlog;

static void wlog_free(wlog *l) {
    int i;
    for (i = 0; i < l->n; i++) ep_buf_free(&l->enc[i]);
    l->n = 0;
}

static void make_rec(ep_aof_record *rec, int i, ep_bytes *vals, char *keybuf) {
    memset(rec, 0, sizeof *rec);
    snprintf(keybuf, 16, "key%d", i);
    rec->key = S(keybuf);
    switch (i % 3) {
    case 0: rec->tag = EP_AOF_SET; rec->value = vals[i % 2]; rec->num = -1; break;
    case 1: rec->tag = EP_AOF_INCRBY; rec->num = i; break;
    default: rec->tag = EP_AOF_APPEND; rec->value = vals[(i + 1) % 2]; break;
    }
}

typedef struct run_result {
    int acked;          /* records known durable when the machine died */
    int attempted;      /* records whose append call was made */
} run_result;

/* Appends records one call at a time until an error; acked counts records
 * the writer reported as synced (stats.synced_offset covers them). */
static void workload(ep_vfs *vfs, ep_fsync_policy pol, int nrec, wlog *log, run_result *rr) {
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    fake_clock clk = {0};
    static uint8_t big[3000];
    ep_bytes vals[2];
    int i;
    memset(big, 'x', sizeof big);
    vals[0] = S("small");
    vals[1] = ep_bytes_of(big, sizeof big);
    rr->acked = rr->attempted = 0;
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.fsync = pol;
    cfg.buffer_size = 4096;
    cfg.clock_ms = fake_now;
    cfg.clock_user = &clk;
    if (ep_aof_writer_open(P, &cfg, &w, NULL) != EP_OK) return;
    for (i = 0; i < nrec; i++) {
        ep_aof_record rec;
        ep_aof_stats s;
        char kb[16];
        int j;
        make_rec(&rec, i, vals, kb);
        if (log) {
            ep_buf_init(&log->enc[i], NULL);
            ep_aof_encode(&log->enc[i], &rec);
            log->n = i + 1;
        }
        rr->attempted = i + 1;
        if (ep_aof_append(w, &rec) != EP_OK) break;
        ep_aof_writer_stats(w, &s);
        if (log) log->end[i] = s.size;
        for (j = 0; j <= i; j++)
            if (log && log->end[j] <= s.synced_offset) rr->acked = j + 1;
        if (pol == EP_FSYNC_ALWAYS && s.synced_offset != s.size) rr->acked = -1000; /* contract broken */
    }
    ep_aof_writer_close(w);
}

/* Reads the file; records must be a prefix of log. Returns how many, or -1. */
static int read_prefix(ep_vfs *vfs, const wlog *log, int max, ep_result *end, ep_aof_status *st) {
    ep_aof_reader_config cfg;
    ep_aof_reader *r;
    ep_aof_record rec;
    ep_buf b;
    int n = 0;
    ep_aof_reader_config_init(&cfg);
    cfg.vfs = vfs;
    *end = ep_aof_reader_open(P, &cfg, &r, NULL);
    if (*end != EP_OK) return 0;
    ep_buf_init(&b, NULL);
    while ((*end = ep_aof_reader_next(r, &rec)) == EP_OK) {
        ep_buf_reset(&b);
        ep_aof_encode(&b, &rec);
        if (n >= max || b.len != log->enc[n].len || memcmp(b.data, log->enc[n].data, b.len) != 0) {
            n = -1;
            break;
        }
        n++;
    }
    ep_aof_reader_status(r, st);
    ep_aof_reader_close(r);
    ep_buf_free(&b);
    return n;
}

static void crash_every_op(ep_fsync_policy pol) {
    ep_vfs *vfs;
    wlog log;
    run_result rr;
    uint64_t total, k, seed = ept_seed();
    int nrec = (int)ept_scale(40, 4);
    long refused = 0, repaired = 0, runs = 0;
    uint64_t outcomes[SIM_OUTCOME_COUNT];
    memset(&log, 0, sizeof log);
    memset(outcomes, 0, sizeof outcomes);
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    workload(vfs, pol, nrec, &log, &rr);
    total = sim_vfs_op_count(vfs);
    sim_vfs_destroy(vfs);
    EPT_CHECK(rr.acked >= 0);
    for (k = 0; k <= total; k++) {
        int rep;
        for (rep = 0; rep < 6; rep++) {
            ep_result end;
            ep_aof_status st;
            ep_aof_writer_config cfg;
            ep_aof_writer *w;
            ep_error err;
            uint64_t oc[SIM_OUTCOME_COUNT];
            int n, j;
            wlog fresh;
            memset(&fresh, 0, sizeof fresh);
            EPT_CHECK_OK(sim_vfs_create(&vfs));
            sim_vfs_set_crash_after(vfs, k);
            workload(vfs, pol, nrec, &fresh, &rr);
            EPT_CHECK(rr.acked >= 0);
            sim_crash(vfs, seed + k * 6 + (uint64_t)rep);
            sim_vfs_outcome_counts(vfs, oc);
            for (j = 0; j < SIM_OUTCOME_COUNT; j++) outcomes[j] += oc[j];
            runs++;
            if (!sim_vfs_exists(vfs, P)) {
                /* only possible if nothing was ever acknowledged */
                EPT_CHECK_EQ(rr.acked, 0);
                wlog_free(&fresh);
                sim_vfs_destroy(vfs);
                continue;
            }
            n = read_prefix(vfs, &log, nrec, &end, &st);
            if (n < 0 || n < rr.acked) {
                char m[200];
                snprintf(m, sizeof m, "crash after op %lu: read %d records (acked %d), end %d: %s",
                         (unsigned long)k, n, rr.acked, (int)end, st.error.message);
                ept_fail(__FILE__, __LINE__, m);
                wlog_free(&fresh);
                sim_vfs_destroy(vfs);
                return;
            }
            /* Reopen for appending. */
            ep_aof_writer_config_init(&cfg);
            cfg.vfs = vfs;
            cfg.fsync = EP_FSYNC_ALWAYS;
            if (ep_aof_writer_open(P, &cfg, &w, &err) != EP_OK) {
                /* Refusing is right only for damage past the acknowledged records. */
                refused++;
                EPT_CHECK(end != EP_END);
                /* (a garbage header is fine while nothing was acknowledged) */
                if (rr.acked > 0 && !(err.offset == UINT64_MAX || err.offset >= log.end[rr.acked - 1])) {
                    char m[300];
                    snprintf(m, sizeof m, "op %lu rep %d: refused at %llu, acked %d ending at %llu: %s",
                             (unsigned long)k, rep, (unsigned long long)err.offset, rr.acked,
                             (unsigned long long)(rr.acked ? log.end[rr.acked - 1] : 5), err.message);
                    ept_fail(__FILE__, __LINE__, m);
                    return;
                }
                cfg.repair_tail = 1;
                EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, &err));
                repaired++;
            }
            EPT_CHECK_OK(ep_aof_set(w, S("after"), S("crash"), -1));
            EPT_CHECK_OK(ep_aof_writer_close(w));
            {
                ep_aof_reader_config rc;
                ep_aof_reader *r;
                ep_aof_record rec;
                int got = 0, last_after = 0;
                ep_aof_reader_config_init(&rc);
                rc.vfs = vfs;
                EPT_CHECK_OK(ep_aof_reader_open(P, &rc, &r, NULL));
                while (ep_aof_reader_next(r, &rec) == EP_OK) {
                    got++;
                    last_after = rec.key.len == 5 && memcmp(rec.key.data, "after", 5) == 0;
                }
                ep_aof_reader_status(r, &st);
                ep_aof_reader_close(r);
                EPT_CHECK(st.end == EP_AOF_END_CLEAN && last_after && got >= rr.acked + 1);
            }
            wlog_free(&fresh);
            sim_vfs_destroy(vfs);
        }
    }
    printf("    %lu ops x 6 seeds: %ld runs, outcomes all %lu none %lu torn %lu garbage %lu; %ld refused then "
           "repaired\n",
           (unsigned long)total, runs, (unsigned long)outcomes[SIM_OUTCOME_ALL],
           (unsigned long)outcomes[SIM_OUTCOME_NONE], (unsigned long)outcomes[SIM_OUTCOME_TORN],
           (unsigned long)outcomes[SIM_OUTCOME_GARBAGE], refused);
    (void)repaired;
    wlog_free(&log);
}

EPT_CASE(crash_at_every_op_always) { crash_every_op(EP_FSYNC_ALWAYS); }
EPT_CASE(crash_at_every_op_everysec) { crash_every_op(EP_FSYNC_EVERYSEC); }
EPT_CASE(crash_at_every_op_no) { crash_every_op(EP_FSYNC_NO); }

/* ---- rewrite ---------------------------------------------------------------- */

/* Old file: 3 records, synced. Then rewrite and one new record. Returns
 * whether rewrite returned OK and whether the new record was acknowledged. */
static void rewrite_workload(ep_vfs *vfs, uint64_t crash_after, int *rewrote, int *new_acked) {
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    *rewrote = *new_acked = 0;
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.fsync = EP_FSYNC_ALWAYS;
    if (ep_aof_writer_open(P, &cfg, &w, NULL) != EP_OK) return;
    if (ep_aof_set(w, S("old1"), S("a"), -1) || ep_aof_set(w, S("old2"), S("b"), -1) ||
        ep_aof_set(w, S("old3"), S("c"), -1)) {
        ep_aof_writer_close(w);
        return;
    }
    if (crash_after != SIM_NEVER) sim_vfs_set_crash_after(vfs, crash_after);
    if (ep_aof_writer_rewrite(w) == EP_OK) {
        *rewrote = 1;
        *new_acked = ep_aof_set(w, S("new1"), S("z"), -1) == EP_OK;
    }
    ep_aof_writer_close(w);
}

EPT_CASE(rewrite_crashed_at_every_op_leaves_old_or_new) {
    ep_vfs *vfs;
    uint64_t before, total, k, seed = ept_seed();
    int rewrote, acked;
    long olds = 0, news = 0;
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    rewrite_workload(vfs, SIM_NEVER, &rewrote, &acked);
    EPT_CHECK(rewrote && acked);
    total = sim_vfs_op_count(vfs);
    sim_vfs_destroy(vfs);
    /* Ops before the rewrite: measured with a run that stops there. */
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    rewrite_workload(vfs, 0, &rewrote, &acked);
    before = sim_vfs_op_count(vfs);
    sim_vfs_destroy(vfs);
    for (k = 0; k + before <= total + 1; k++) {
        int rep;
        for (rep = 0; rep < 4; rep++) {
            ep_aof_reader_config rc;
            ep_aof_reader *r;
            ep_aof_record rec;
            ep_aof_status st;
            ep_result res;
            int n = 0, old = 0, neu = 0;
            EPT_CHECK_OK(sim_vfs_create(&vfs));
            rewrite_workload(vfs, k, &rewrote, &acked);
            sim_crash(vfs, seed ^ (k * 4 + (uint64_t)rep));
            ep_aof_reader_config_init(&rc);
            rc.vfs = vfs;
            res = ep_aof_reader_open(P, &rc, &r, NULL);
            if (res != EP_OK) {
                char m[120];
                snprintf(m, sizeof m, "rewrite crashed after op %lu: AOF unreadable (%d)", (unsigned long)k, (int)res);
                ept_fail(__FILE__, __LINE__, m);
                sim_vfs_destroy(vfs);
                return;
            }
            while ((res = ep_aof_reader_next(r, &rec)) == EP_OK) {
                n++;
                if (rec.key.len == 4 && memcmp(rec.key.data, "old", 3) == 0) old++;
                if (rec.key.len == 4 && memcmp(rec.key.data, "new", 3) == 0) neu++;
            }
            ep_aof_reader_status(r, &st);
            ep_aof_reader_close(r);
            /* Old file complete (its records were synced) or the new one. */
            /* Garbage over the unsynced new record is an error at its offset,
             * never inside what was synced. */
            if (st.end == EP_AOF_END_ERROR && !acked && old == 0 && n == 0 && st.error.offset == 5) {
                news++;
                sim_vfs_destroy(vfs);
                continue;
            }
            if (!(st.end == EP_AOF_END_CLEAN || st.end == EP_AOF_END_TORN)) {
                char m[300];
                snprintf(m, sizeof m, "rewrite op %lu rep %d: %d records then %s", (unsigned long)k, rep, n,
                         st.error.message);
                ept_fail(__FILE__, __LINE__, m);
                return;
            }
            EPT_CHECK((old == 3 && neu == 0 && n == 3) || (old == 0 && neu == n && n <= 1));
            if (rewrote) EPT_CHECK(old == 0); /* the rename was made durable */
            if (acked) EPT_CHECK(neu == 1);
            if (old) olds++;
            else news++;
            sim_vfs_destroy(vfs);
        }
    }
    printf("    %lu crash points x 4 seeds: %ld old file, %ld new file\n", (unsigned long)(total + 2 - before), olds,
           news);
}

EPT_MAIN()
