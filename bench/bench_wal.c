/* bench_wal: the generic WAL beside its peers and the physical limits, all
 * in the same run on the same file system (a directory under the current
 * one, not /tmp, which may be tmpfs):
 *   - durable appends of 100-byte records, one thread, a sync each:
 *     ep_wal_append_durable vs a bare pwrite + fdatasync loop, SQLite in WAL
 *     mode with synchronous=FULL (one INSERT per transaction), LMDB (one put
 *     per committed transaction);
 *   - group commit: durable appends from 1, 2, 4, 8, 16, 64 threads vs the
 *     one-thread rate;
 *   - buffered appends (manual flush) of 100-byte records vs raw write() of
 *     the same bytes in 64 KiB calls; replay vs raw read() of the same bytes;
 *   - replay of a large log (BENCH_WAL_MB, default 256 MiB; EP_BENCH_BIG=1
 *     or BENCH_WAL_MB=1024 for the 1 GiB): peak RSS growth, sampled
 *     and by getrusage's ru_maxrss before and after.
 * Figures only, never pass/fail. Set BENCH_WAL_QUICK=1 for a short run,
 * BENCH_WAL_ONLY=durable,group,big,buffered (any of them) for some parts. */
#include "bench.h"
#include "ember_persist.h"

#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC 100

static char g_root[512];
static int g_quick;

static void rm_rf(const char *p) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0) fprintf(stderr, "rm -rf %s failed\n", p);
}

static void sub(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", g_root, name);
    rm_rf(out);
}

/* ---- durable appends, one thread -------------------------------------------------- */

/* Sides: 0 bare loop, 1 ep_wal (defaults), 2 SQLite, 3 LMDB, 4 ep_wal with
 * preallocated segments, 5 and 6 bare loops into a preallocated file (5:
 * pwrite + fdatasync; 6: pwrite on an O_DSYNC descriptor, the cheapest
 * durable write the OS offers without O_DIRECT). The bare loop 0 appends to
 * a growing file, as a log without preallocation must: each fdatasync then
 * also commits the file's new size (a journal write). Into preallocated
 * blocks the sync carries the data alone, so side 4 can be ahead of loop 0;
 * loops 5 and 6 are the limit for any log on this file system. */
#define DURABLE_SIDES 7
#define DURABLE_PREALLOC ((off_t)64 << 20)

/* The four are open at once and take turns, one durable append each per
 * step, each timed on its own: the shared disk's fsync latency swings
 * several times within seconds, and taking turns puts every side under the
 * same swings (runs one after another measured mostly the drift). */
typedef struct durable_sides {
    int fd;                          /* bare pwrite + fdatasync */
    int fd_pre, fd_dsync;            /* the same into preallocated files; O_DSYNC */
    ep_wal *w;                       /* ep_wal_append_durable, default config */
    ep_wal *wp;                      /* the same with preallocate_bytes = segment_bytes */
    sqlite3 *db;                     /* WAL mode, synchronous=FULL, autocommit */
    sqlite3_stmt *st;
    MDB_env *env;                    /* default flags: synced on commit */
    MDB_dbi dbi;
    double t[DURABLE_SIDES];
    long done[DURABLE_SIDES];
} durable_sides;

static void be64(uint8_t *p, uint64_t v) {
    int b;
    for (b = 0; b < 8; b++) p[b] = (uint8_t)(v >> (56 - 8 * b));
}

/* One row of a PRAGMA's answer as text (checks the peer's configuration). */
static void sqlite_pragma(sqlite3 *db, const char *q, char *out, size_t cap) {
    sqlite3_stmt *st = NULL;
    snprintf(out, cap, "?");
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* A file of DURABLE_PREALLOC bytes of real blocks, synced with its
 * directory entry, then opened again with extra flags. */
static int bare_preallocated(const char *name, int flags) {
    char p[600];
    int fd;
    sub(p, sizeof p, name);
    if ((fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0) return -1;
    if (posix_fallocate(fd, 0, DURABLE_PREALLOC) != 0 || fsync(fd) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    if ((fd = open(g_root, O_RDONLY)) >= 0) {
        fsync(fd);
        close(fd);
    }
    return open(p, O_RDWR | flags);
}

static int durable_open(durable_sides *ds) {
    char p[600], mode[32], sync[32];
    ep_wal_config c;
    MDB_txn *txn;
    memset(ds, 0, sizeof *ds);
    ds->fd = ds->fd_pre = ds->fd_dsync = -1;
    sub(p, sizeof p, "bare.log");
    if ((ds->fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0) return -1;
    if ((ds->fd_pre = bare_preallocated("bare-pre.log", 0)) < 0) return -1;
    if ((ds->fd_dsync = bare_preallocated("bare-dsync.log", O_DSYNC)) < 0) return -1;
    sub(p, sizeof p, "wal1");
    ep_wal_config_init(&c);
    if (ep_wal_open(p, &c, &ds->w, NULL) != EP_OK) return -1;
    sub(p, sizeof p, "wal2");
    c.preallocate_bytes = c.segment_bytes;
    if (ep_wal_open(p, &c, &ds->wp, NULL) != EP_OK) return -1;
    sub(p, sizeof p, "sqlite.db");
    if (sqlite3_open(p, &ds->db) != SQLITE_OK) return -1;
    sqlite3_exec(ds->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE log(id INTEGER PRIMARY KEY, v BLOB);",
                 NULL, NULL, NULL);
    sqlite_pragma(ds->db, "PRAGMA journal_mode", mode, sizeof mode);
    sqlite_pragma(ds->db, "PRAGMA synchronous", sync, sizeof sync);
    if (strcmp(mode, "wal") != 0 || strcmp(sync, "2") != 0)
        printf("  SQLite is not as configured: journal_mode=%s synchronous=%s\n", mode, sync);
    if (sqlite3_prepare_v2(ds->db, "INSERT INTO log(v) VALUES (?)", -1, &ds->st, NULL) != SQLITE_OK) return -1;
    sub(p, sizeof p, "lmdb");
    mkdir(p, 0700);
    if (mdb_env_create(&ds->env) || mdb_env_set_mapsize(ds->env, (size_t)1 << 30) || mdb_env_open(ds->env, p, 0, 0600))
        return -1;
    if (mdb_txn_begin(ds->env, NULL, 0, &txn) || mdb_dbi_open(txn, NULL, 0, &ds->dbi) || mdb_txn_commit(txn)) return -1;
    return 0;
}

static void durable_close(durable_sides *ds) {
    if (ds->fd >= 0) close(ds->fd);
    if (ds->fd_pre >= 0) close(ds->fd_pre);
    if (ds->fd_dsync >= 0) close(ds->fd_dsync);
    ep_wal_close(ds->w);
    ep_wal_close(ds->wp);
    sqlite3_finalize(ds->st);
    sqlite3_close(ds->db);
    if (ds->env) mdb_env_close(ds->env);
}

/* Side k's i-th durable append of rec; 0 on success. */
static int durable_one(durable_sides *ds, int k, long i, const uint8_t *rec) {
    MDB_txn *txn;
    MDB_val key, val;
    uint8_t kb[8];
    int rc;
    switch (k) {
    case 0:
        return pwrite(ds->fd, rec, REC, (off_t)(i * REC)) != REC || fdatasync(ds->fd) != 0;
    case 1:
        return ep_wal_append_durable(ds->w, rec, REC, NULL) != EP_OK;
    case 4:
        return ep_wal_append_durable(ds->wp, rec, REC, NULL) != EP_OK;
    case 5:
        return pwrite(ds->fd_pre, rec, REC, (off_t)(i * REC)) != REC || fdatasync(ds->fd_pre) != 0;
    case 6:
        return pwrite(ds->fd_dsync, rec, REC, (off_t)(i * REC)) != REC;
    case 2: /* autocommit: one transaction, one WAL sync per insert */
        sqlite3_bind_blob(ds->st, 1, rec, REC, SQLITE_STATIC);
        rc = sqlite3_step(ds->st) != SQLITE_DONE;
        sqlite3_reset(ds->st);
        return rc;
    default:
        /* Big-endian keys: MDB_APPEND needs them ascending as memcmp sees
         * them. (Native little-endian keys fail from the 257th put on with
         * MDB_KEYEXIST, and an empty transaction commits without a sync:
         * the earlier figures timed that.) */
        be64(kb, (uint64_t)i);
        key.mv_size = sizeof kb;
        key.mv_data = kb;
        val.mv_size = REC;
        val.mv_data = (void *)rec;
        if (mdb_txn_begin(ds->env, NULL, 0, &txn)) return 1;
        if ((rc = mdb_put(txn, ds->dbi, &key, &val, MDB_APPEND)) != 0) {
            fprintf(stderr, "lmdb put %ld: %s\n", i, mdb_strerror(rc));
            mdb_txn_abort(txn);
            return 1;
        }
        return mdb_txn_commit(txn) != 0;
    }
}

/* rates[k]: durable appends per second of side k (see DURABLE_SIDES). */
static void durable_round(long n, double rates[DURABLE_SIDES]) {
    durable_sides ds;
    uint8_t rec[REC];
    long i;
    int k, failed[DURABLE_SIDES] = {0};
    memset(rec, 'x', sizeof rec);
    memset(rates, 0, DURABLE_SIDES * sizeof *rates);
    if (durable_open(&ds) != 0) {
        printf("  durable sides failed to open\n");
        durable_close(&ds);
        return;
    }
    for (i = 0; i < n; i++) {
        for (k = 0; k < DURABLE_SIDES; k++) {
            double t;
            if (failed[k]) continue;
            t = bench_now();
            failed[k] = durable_one(&ds, k, i, rec);
            ds.t[k] += bench_now() - t;
            if (!failed[k]) ds.done[k]++;
        }
    }
    durable_close(&ds);
    for (k = 0; k < DURABLE_SIDES; k++) rates[k] = ds.t[k] > 0 ? (double)ds.done[k] / ds.t[k] : 0;
}

/* ---- group commit ------------------------------------------------------------------- */

typedef struct gc_arg {
    ep_wal *w;
    long n;
} gc_arg;

static void *gc_fn(void *p) {
    gc_arg *a = (gc_arg *)p;
    uint8_t rec[REC];
    long i;
    memset(rec, 'y', sizeof rec);
    for (i = 0; i < a->n; i++)
        if (ep_wal_append_durable(a->w, rec, sizeof rec, NULL) != EP_OK) break;
    return NULL;
}

static double group_commit(int threads, long per_thread, uint64_t *syncs) {
    char d[600];
    ep_wal_config c;
    ep_wal *w = NULL;
    pthread_t t[64];
    gc_arg a;
    ep_wal_stats st;
    double t0;
    int i;
    sub(d, sizeof d, "walgc");
    ep_wal_config_init(&c);
    if (ep_wal_open(d, &c, &w, NULL) != EP_OK) return 0;
    a.w = w;
    a.n = per_thread;
    t0 = bench_now();
    for (i = 0; i < threads; i++) pthread_create(&t[i], NULL, gc_fn, &a);
    for (i = 0; i < threads; i++) pthread_join(t[i], NULL);
    t0 = bench_now() - t0;
    ep_wal_stats_get(w, &st);
    *syncs = st.syncs;
    ep_wal_close(w);
    return (double)(threads * per_thread) / t0;
}

/* ---- buffered appends and replay ---------------------------------------------------------- */

static ep_result count_fn(void *user, uint64_t id, const uint8_t *d, size_t len) {
    (void)id;
    (void)d;
    *(uint64_t *)user += len;
    return EP_OK;
}

/* Resident set now, in KiB (/proc/self/statm; 0 where it does not exist). */
static long rss_kb(void) {
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Peak resident set of the process so far, in KiB (Linux: ru_maxrss is KiB). */
static long max_rss_kb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (long)ru.ru_maxrss;
}

typedef struct rss_probe {
    uint64_t bytes, n;
    long peak;
} rss_probe;

static ep_result rss_fn(void *user, uint64_t id, const uint8_t *d, size_t len) {
    rss_probe *p = (rss_probe *)user;
    (void)id;
    (void)d;
    p->bytes += len;
    if ((++p->n & 1023) == 0) {
        long r = rss_kb();
        if (r > p->peak) p->peak = r;
    }
    return EP_OK;
}

/* CPU seconds of this process (user + system). The buffered and replay
 * comparisons are CPU-bound work in the page cache: on a shared machine
 * wall time mostly measures the other programs, CPU time does not. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define BUF_ROUNDS 4

/* One round: WAL appends, raw write() of as many bytes, WAL replay, raw
 * read(); each time the best (least) over the rounds. */
/* Raw write() of total bytes to a new file at p, in 64 KiB calls (the
 * WAL's buffer); CPU seconds. */
static double raw_write(const char *p, uint64_t total, const uint8_t *chunk) {
    uint64_t off;
    double t;
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    t = cpu_now();
    for (off = 0; off < total; off += 65536) {
        size_t k = total - off < 65536 ? (size_t)(total - off) : 65536;
        if (write(fd, chunk, k) != (ssize_t)k) break;
    }
    t = cpu_now() - t;
    close(fd);
    return t;
}

/* Odd rounds write the raw file first, even rounds the WAL first: neither
 * side always finds the page cache the other left. */
/* CPU seconds of n buffered appends of rec into a new WAL at d (manual
 * flush, one flush at the end); single: a handle without its mutex. */
static double wal_appends(const char *d, long n, const uint8_t *rec, int single) {
    ep_wal_config c;
    ep_wal *w = NULL;
    double t;
    long i;
    rm_rf(d);
    ep_wal_config_init(&c);
    c.flush = EP_WAL_FLUSH_MANUAL;
    c.segment_bytes = (uint64_t)1 << 30;
    c.single_threaded = single;
    if (ep_wal_open(d, &c, &w, NULL) != EP_OK) return 0;
    t = cpu_now();
    for (i = 0; i < n; i++) ep_wal_append(w, rec, REC, NULL);
    ep_wal_flush(w);
    t = cpu_now() - t;
    ep_wal_close(w);
    return t;
}

static void buffered_round(int round, long n, double best[6]) {
    char d[600], p[600];
    ep_wal_read_config rc;
    uint8_t rec[REC], *chunk;
    uint64_t bytes = 0, total = (uint64_t)n * (REC + EP_WAL_FRAME_HEADER_SIZE);
    long i;
    double t[6];
    uint32_t crc = 0;
    int fd, k;
    memset(rec, 'z', sizeof rec);
    chunk = (uint8_t *)malloc(65536);
    if (!chunk) return;
    memset(chunk, 'z', 65536);
    sub(p, sizeof p, "raw.bin");
    if (round & 1) t[1] = raw_write(p, total, chunk);
    sub(d, sizeof d, "walbuf");
    t[5] = wal_appends(d, n, rec, 1);
    t[0] = wal_appends(d, n, rec, 0);
    if (!(round & 1)) t[1] = raw_write(p, total, chunk);
    /* Replay vs raw read (both from the page cache). */
    ep_wal_read_config_init(&rc);
    t[2] = cpu_now();
    ep_wal_replay(d, &rc, count_fn, &bytes, NULL, NULL);
    t[2] = cpu_now() - t[2];
    fd = open(p, O_RDONLY);
    t[3] = cpu_now();
    while (read(fd, chunk, 65536) > 0) {
    }
    t[3] = cpu_now() - t[3];
    close(fd);
    /* The floor of any replay that checks each frame: the CRC of every
     * 112 checked bytes of each frame, nothing else, data in cache. */
    t[4] = cpu_now();
    for (i = 0; i < n; i++) crc ^= ep_crc32(chunk + (size_t)(i & 511) * 112, REC + 12);
    t[4] = cpu_now() - t[4];
    if (crc == 1) printf(" ");
    free(chunk);
    for (k = 0; k < 6; k++)
        if (best[k] == 0 || t[k] < best[k]) best[k] = t[k];
    rm_rf(d);
    rm_rf(p);
}

static void buffered_and_replay(long n) {
    double best[6] = {0, 0, 0, 0, 0, 0};
    int i;
    for (i = 0; i < BUF_ROUNDS; i++) buffered_round(i, n, best);
    printf("  (CPU time, best of %d rounds of %ld records)\n", BUF_ROUNDS, n);
    bench_line("buffered appends (manual flush), 100 B", (double)n / best[0] / 1e6, "M rec/s", best[1] / best[0],
               "of raw write() of the same bytes");
    bench_line("the same, single_threaded handle (no mutex)", (double)n / best[5] / 1e6, "M rec/s", best[1] / best[5],
               "of raw write() of the same bytes");
    bench_line("replay, 100 B records", (double)n / best[2] / 1e6, "M rec/s", best[3] / best[2],
               "of raw read() of the same bytes");
    bench_line("CRC-32 of each frame alone (no I/O)", (double)n / best[4] / 1e6, "M rec/s", 1.0, "(CPU floor)");
    /* Any checked replay does at least the read and the CRC: its best ratio. */
    bench_line("ceiling: raw read() + the CRC, no other work", (double)n / (best[3] + best[4]) / 1e6, "M rec/s",
               best[3] / (best[3] + best[4]), "of raw read(): the most a checked replay can reach");
    bench_line("ceiling: raw write() + the CRC, no other work", (double)n / (best[1] + best[4]) / 1e6, "M rec/s",
               best[1] / (best[1] + best[4]), "of raw write(): the most a checked append can reach");
}

static void big_replay(long mb) {
    char d[600];
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_wal_read_config rc;
    uint8_t *rec = (uint8_t *)calloc(1, 4096);
    uint64_t i, n = (uint64_t)mb * 1024 * 1024 / 4112;
    rss_probe pr;
    long before, max_before, max_after;
    ep_result r;
    double t;
    sub(d, sizeof d, "walbig");
    ep_wal_config_init(&c);
    ep_wal_open(d, &c, &w, NULL);
    for (i = 0; i < n; i++) ep_wal_append(w, rec, 4096, NULL);
    ep_wal_close(w);
    before = rss_kb();
    max_before = max_rss_kb();
    memset(&pr, 0, sizeof pr);
    pr.peak = before;
    ep_wal_read_config_init(&rc);
    t = bench_now();
    r = ep_wal_replay(d, &rc, rss_fn, &pr, NULL, NULL);
    t = bench_now() - t;
    max_after = max_rss_kb();
    printf("  replay of a %ld MiB log (%llu records of 4 KiB, %s): %.0f MiB/s, %.0f MiB replayed\n", mb,
           (unsigned long long)n, r == EP_OK ? "ok" : ep_result_str(r), (double)pr.bytes / t / 1048576.0,
           (double)pr.bytes / 1048576.0);
    printf("  RSS growth: sampled during it %.2f MiB; getrusage ru_maxrss %ld -> %ld KiB, growth %.2f MiB;\n"
           "  beyond the largest record (4 KiB) %.2f MiB (limit: 16 MiB)\n",
           (double)(pr.peak - before) / 1024.0, max_before, max_after, (double)(max_after - max_before) / 1024.0,
           (double)(max_after - max_before - 4) / 1024.0);
    free(rec);
    rm_rf(d);
}

#define DURABLE_ROUNDS 3

/* BENCH_WAL_ONLY=durable|group|buffered|big runs one part (profiling). */
static int want(const char *part) {
    const char *only = getenv("BENCH_WAL_ONLY");
    return !only || strstr(only, part) != NULL;
}

int main(void) {
    long n = getenv("BENCH_WAL_QUICK") ? 300 : 2000, mb;
    double one = 0;
    int threads[] = {1, 2, 4, 8, 16, 64}, k;
    g_quick = getenv("BENCH_WAL_QUICK") != NULL;
    mb = getenv("BENCH_WAL_MB") ? atol(getenv("BENCH_WAL_MB")) : getenv("EP_BENCH_BIG") ? 1024 : (g_quick ? 32 : 256);
    snprintf(g_root, sizeof g_root, "bench-wal-tmp.%ld", (long)getpid());
    mkdir(g_root, 0700);
    printf("bench_wal (files under ./%s; figures from a shared machine vary)\n", g_root);
    if (want("durable")) {
        for (k = 0; k < DURABLE_ROUNDS; k++) {
            double r[DURABLE_SIDES], fastest;
            durable_round(n, r);
            printf("  durable appends, round %d of %d (%ld records each side, the sides taking turns)\n", k + 1,
                   DURABLE_ROUNDS, n);
            bench_line("bare pwrite + fdatasync, 100 B, growing file", r[0], "ops/s", 1.0,
                       "(the limit for a log that grows its file)");
            bench_line("ep_wal_append_durable, defaults", r[1], "ops/s", r[1] / r[0], "of bare write+fdatasync");
            bench_line("ep_wal_append_durable, preallocated", r[4], "ops/s", r[4] / r[0], "of bare write+fdatasync");
            bench_line("SQLite WAL, synchronous=FULL, 1 insert/txn", r[2], "ops/s", r[1] / r[2],
                       "ep_wal (defaults) vs SQLite");
            bench_line("", r[2], "ops/s", r[4] / r[2], "ep_wal (preallocated) vs SQLite");
            bench_line("LMDB, 1 put/commit", r[3], "ops/s", r[1] / r[3], "ep_wal (defaults) vs LMDB");
            bench_line("", r[3], "ops/s", r[4] / r[3], "ep_wal (preallocated) vs LMDB");
            bench_line("bare pwrite + fdatasync, preallocated", r[5], "ops/s", r[4] / r[5],
                       "ep_wal (preallocated) of it");
            bench_line("bare pwrite, O_DSYNC, preallocated", r[6], "ops/s", r[4] / r[6],
                       "ep_wal (preallocated) of it");
            /* No log can be ahead of the fastest bare loop: that loop over
             * each peer is the most any WAL can be ahead of the peer here. */
            fastest = r[5] > r[6] ? r[5] : r[6];
            bench_line("  bound: fastest bare loop / SQLite", fastest / r[2], "x", fastest / r[2],
                       "the most any log can reach");
            bench_line("  bound: fastest bare loop / LMDB", fastest / r[3], "x", fastest / r[3],
                       "the most any log can reach");
        }
    }
    if (want("group")) {
        /* The disk's fsync latency drifts on a shared machine: the one-thread
         * rate is the mean of a run before and one after the sweep. */
        uint64_t syncs = 0;
        double rate[6], per_sync[6];
        rate[0] = group_commit(1, n, &syncs);
        for (k = 1; k < 6; k++) {
            long per = n / threads[k] < 50 ? 50 : n / threads[k];
            rate[k] = group_commit(threads[k], per, &syncs);
            per_sync[k] = (double)(threads[k] * per) / (double)(syncs ? syncs : 1);
        }
        one = (rate[0] + group_commit(1, n, &syncs)) / 2;
        bench_line("group commit, 1 thread (mean of first and last)", one, "ops/s", 1.0, "");
        for (k = 1; k < 6; k++) {
            char label[96];
            snprintf(label, sizeof label, "group commit, %d thr (%.1f rec/fsync, %.0f fsync/s)", threads[k],
                     per_sync[k], rate[k] / per_sync[k]);
            bench_line(label, rate[k], "ops/s", rate[k] / one, "of 1 thread");
        }
    }
    if (want("big")) big_replay(mb); /* first: the peak RSS before it is the writers' alone */
    if (want("buffered")) buffered_and_replay(g_quick ? 200000 : 2000000);
    rm_rf(g_root);
    return 0;
}
