/* Recovery of a 1 M-key snapshot plus a 1 M-record AOF: records/s and peak
 * memory, beside the time to just read (and to just decode) the same bytes.
 * BENCH_N sets the size (default 1000000). */
#include "bench.h"
#include "ember_persist.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void fill_value(char *v, size_t n, uint64_t seed) {
    size_t i;
    for (i = 0; i < n; i++) v[i] = (char)('a' + (seed + i * 7) % 26);
}

/* The snapshot: n string keys with 48-byte values (every 10th with a TTL). */
static void write_snapshot(const char *dir, long n) {
    char path[512], key[32], val[48];
    ep_snapshot_writer *w;
    long i;
    ep_snapshot_path(dir, 0, path, sizeof path);
    if (ep_snapshot_writer_begin(path, 0, NULL, &w, NULL) != EP_OK) exit(1);
    for (i = 0; i < n; i++) {
        int kl = snprintf(key, sizeof key, "key:%08ld", i);
        fill_value(val, sizeof val, (uint64_t)i);
        if (ep_snapshot_writer_add_string(w, ep_bytes_of(key, (size_t)kl), ep_bytes_of(val, sizeof val),
                                          i % 10 ? -1 : 60000) != EP_OK)
            exit(1);
    }
    if (ep_snapshot_writer_finish(w) != EP_OK) exit(1);
    ep_snapshot_writer_free(w);
}

/* The AOF: n records over the same key range plus new keys: SET 40%,
 * INCR 10%, RPUSH 15%, HSET 15%, SADD 10%, DEL 5%, PEXPIRE 5%. */
static void write_aof(const char *dir, long n, long nkeys) {
    char path[512], key[32], val[48], f[16];
    ep_aof_writer_config c;
    ep_aof_writer *w;
    long i;
    ep_aof_writer_config_init(&c);
    c.fsync = EP_FSYNC_NO;
    c.buffer_size = 1u << 20;
    ep_aof_path(dir, 0, path, sizeof path);
    if (ep_aof_writer_open(path, &c, &w, NULL) != EP_OK) exit(1);
    for (i = 0; i < n; i++) {
        uint64_t r = rnd();
        unsigned op = (unsigned)(r % 100);
        long k = (long)((r >> 8) % (uint64_t)(nkeys + nkeys / 2));
        int kl, fl;
        ep_bytes kb, vb, fb;
        ep_result res;
        if (op >= 10 && op < 25) k = k % 50000 + nkeys * 2;          /* lists: their own keys */
        else if (op >= 25 && op < 40) k = k % 50000 + nkeys * 3;     /* hashes */
        else if (op >= 40 && op < 50) k = k % 50000 + nkeys * 4;     /* sets */
        else if (op >= 50 && op < 60) k = k % 50000 + nkeys * 5;     /* counters */
        kl = snprintf(key, sizeof key, "key:%08ld", k);
        kb = ep_bytes_of(key, (size_t)kl);
        fill_value(val, sizeof val, r);
        vb = ep_bytes_of(val, 16 + (size_t)(r >> 40) % 32);
        fl = snprintf(f, sizeof f, "f%u", (unsigned)((r >> 20) % 64));
        fb = ep_bytes_of(f, (size_t)fl);
        if (op < 10) res = ep_aof_set(w, kb, vb, -1);
        else if (op < 25) res = ep_aof_rpush(w, kb, &vb, 1);
        else if (op < 40) res = ep_aof_hset(w, kb, &fb, &vb, 1);
        else if (op < 50) res = ep_aof_sadd(w, kb, &fb, 1);
        else if (op < 60) res = ep_aof_incr(w, kb);
        else if (op < 90) res = ep_aof_set(w, kb, vb, -1);
        else if (op < 95) res = ep_aof_del(w, kb);
        else res = ep_aof_pexpire(w, kb, 5000);
        if (res != EP_OK) exit(1);
    }
    if (ep_aof_writer_close(w) != EP_OK) exit(1);
}

static double read_bytes(const char *path, uint64_t *total) {
    static char buf[1 << 20];
    double t0 = bench_now();
    FILE *f = fopen(path, "rb");
    size_t n;
    *total = 0;
    if (!f) return 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) *total += n;
    fclose(f);
    return bench_now() - t0;
}

/* Decode only: the snapshot and AOF readers without applying anything. */
static double decode_only(const char *dir, uint64_t *count) {
    char path[512];
    ep_snapshot_reader *sr;
    ep_aof_reader *ar;
    ep_snap_entry e;
    ep_aof_record rec;
    double t0 = bench_now();
    *count = 0;
    ep_snapshot_path(dir, 0, path, sizeof path);
    if (ep_snapshot_reader_open(path, NULL, &sr, NULL) == EP_OK) {
        while (ep_snapshot_reader_next(sr, &e) == EP_OK) (*count)++;
        ep_snapshot_reader_free(sr);
    }
    ep_aof_path(dir, 0, path, sizeof path);
    if (ep_aof_reader_open(path, NULL, &ar, NULL) == EP_OK) {
        while (ep_aof_reader_next(ar, &rec) == EP_OK) (*count)++;
        ep_aof_reader_close(ar);
    }
    return bench_now() - t0;
}

/* Key and value bytes the keyspace holds (the "recovered data size"). */
static uint64_t data_bytes(const ep_keyspace *ks) {
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    uint64_t n = 0;
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(ks, &it)) != NULL) {
        ep_ks_value_iter vi;
        ep_item item;
        n += ep_ks_entry_key(e).len + ep_ks_entry_value(e).len;
        ep_ks_value_iter_init(&vi, e);
        while (ep_ks_value_next(&vi, &item)) n += item.a.len + item.b.len + (ep_ks_entry_type(e) == EP_TYPE_ZSET ? 8 : 0);
    }
    return n;
}

int main(void) {
    const char *env = getenv("BENCH_N");
    long n = env ? atol(env) : 1000000;
    char dir[] = "/tmp/ep_bench_recovery_XXXXXX";
    char snap[512], aof[512];
    uint64_t snap_bytes, aof_bytes, decoded;
    double t_read_s, t_read_a, t_decode, t_rec, t_snap;
    uint64_t snap_entries;
    long rss0, rss1;
    ep_recover_config rc;
    ep_recover_result res;
    uint64_t data, mem, records, aof_records, keys;
    if (!mkdtemp(dir)) return 1;
    printf("bench_recovery: %ld-key snapshot + %ld-record AOF\n", n, n);
    write_snapshot(dir, n);
    write_aof(dir, n, n);
    ep_snapshot_path(dir, 0, snap, sizeof snap);
    ep_aof_path(dir, 0, aof, sizeof aof);
    t_read_s = read_bytes(snap, &snap_bytes);
    t_read_a = read_bytes(aof, &aof_bytes);
    t_decode = decode_only(dir, &decoded);

    ep_recover_config_init(&rc);
    rss0 = maxrss_kb();
    {
        double t0 = bench_now();
        if (ep_recover_shard(dir, 0, &rc, &res) != EP_OK) return 1;
        t_rec = bench_now() - t0;
    }
    rss1 = maxrss_kb();
    records = res.snapshot_entries + res.records_read;
    data = data_bytes(res.keyspace);
    mem = ep_keyspace_memory(res.keyspace);
    aof_records = res.records_read;
    keys = ep_keyspace_count(res.keyspace);
    ep_recover_result_free(&res);
    {   /* the snapshot alone (AOF moved away), to split the time */
        char off[600];
        double t0;
        snprintf(off, sizeof off, "%s.off", aof);
        rename(aof, off);
        t0 = bench_now();
        if (ep_recover_shard(dir, 0, &rc, &res) != EP_OK) return 1;
        t_snap = bench_now() - t0;
        snap_entries = res.snapshot_entries;
        ep_recover_result_free(&res);
        rename(off, aof);
    }

    bench_line("file bytes (snapshot + aof)", (double)(snap_bytes + aof_bytes) / 1e6, "MB", 0, NULL);
    bench_line("read the bytes (page cache)", (t_read_s + t_read_a) * 1e3, "ms", 0, NULL);
    bench_line("decode only (readers, CRC, no apply)", t_decode * 1e3, "ms", t_decode / (t_read_s + t_read_a),
               "vs read");
    bench_line("recover (snapshot + replay + expiry)", t_rec * 1e3, "ms", t_rec / (t_read_s + t_read_a), "vs read");
    bench_line("  same, vs decode only", t_rec * 1e3, "ms", t_rec / t_decode, "vs decode");
    bench_line("records/s (entries + AOF records)", (double)records / t_rec / 1e6, "M/s", (double)records / t_rec / 5e6,
               "vs 5 M/s target");
    bench_line("  snapshot alone", t_snap * 1e3, "ms", (double)snap_entries / t_snap / 1e6, "M entries/s");
    bench_line("  AOF part (total - snapshot alone)", (t_rec - t_snap) * 1e3, "ms",
               (double)aof_records / (t_rec - t_snap) / 1e6, "M records/s");
    bench_line("keys recovered", (double)keys, "", 0, NULL);
    bench_line("recovered data (key + value bytes)", (double)data / 1e6, "MB", 0, NULL);
    bench_line("keyspace accounting (allocated bytes)", (double)mem / 1e6, "MB", (double)mem / (double)data,
               "vs data");
    bench_line("peak RSS growth during recovery", (double)(rss1 - rss0) / 1e3, "MB",
               (double)(rss1 - rss0) * 1024.0 / (double)data, "vs data (target <= 2x)");
    if (getenv("BENCH_KEEP")) {
        printf("  files kept in %s\n", dir);
    } else {
        remove(snap);
        remove(aof);
        remove(dir);
    }
    return 0;
}
