/* The store handle's cost against doing its work by hand, in the same run:
 *   SET   ep_store_set  vs  ep_aof_set + ep_keyspace_apply of the same record
 *         (the pair a user kept in step before the store), policy NO, into
 *         the target directory (argument, $BENCH_DIR, else the current one);
 *   INCR  ep_store_incr vs ep_aof_incr + ep_keyspace_apply;
 *   GET   ep_store_get  vs ep_keyspace_get + ep_ks_entry_value.
 * The difference is the store's checks (type, integer, expiry) and lookups
 * before it logs. Prints figures and ratios; never fails on speed. */
#include "bench.h" /* first: it asks for POSIX 2008 */
#include "ember_persist.h"

#define NKEYS 100000
#define ROUNDS 3

static char keys[NKEYS][16];
static uint8_t value[64];

static double by_hand_set(const char *dir, long n, int incr) {
    char path[1024];
    ep_aof_writer_config wc;
    ep_aof_writer *w = NULL;
    ep_keyspace *ks = NULL;
    double t;
    long i;
    snprintf(path, sizeof path, "%s/bench-hand.aof", dir);
    remove(path);
    ep_aof_writer_config_init(&wc);
    wc.fsync = EP_FSYNC_NO;
    if (ep_aof_writer_open(path, &wc, &w, NULL) != EP_OK || ep_keyspace_create(NULL, &ks) != EP_OK) return 0;
    t = bench_now();
    for (i = 0; i < n; i++) {
        ep_aof_record rec;
        ep_bytes k = ep_bytes_of(keys[i % NKEYS], strlen(keys[i % NKEYS]));
        if (incr) ep_aof_rec_incr(&rec, k);
        else ep_aof_rec_set(&rec, k, ep_bytes_of(value, sizeof value), -1);
        if ((incr ? ep_aof_incr(w, k) : ep_aof_set(w, k, rec.value, -1)) != EP_OK) break;
        ep_keyspace_apply(ks, &rec, 0);
    }
    ep_aof_writer_flush(w);
    t = bench_now() - t;
    ep_aof_writer_close(w);
    ep_keyspace_free(ks);
    remove(path);
    return t;
}

static ep_store *open_store(const char *dir) {
    char sub[1024], path[1100];
    ep_store_config c;
    ep_store *st = NULL;
    snprintf(sub, sizeof sub, "%s/bench-store", dir);
    snprintf(path, sizeof path, "%s/shard-0.aof", sub);
    remove(path);
    snprintf(path, sizeof path, "%s/shard-0.snap", sub);
    remove(path);
    ep_store_config_init(&c);
    c.fsync = EP_FSYNC_NO;
    c.create_dir = 1;
    c.expire_scan = 0;
    if (ep_store_open(sub, 0, &c, &st) != EP_OK) return NULL;
    return st;
}

static double store_set(ep_store *st, long n, int incr) {
    double t = bench_now();
    long i;
    for (i = 0; i < n; i++) {
        ep_bytes k = ep_bytes_of(keys[i % NKEYS], strlen(keys[i % NKEYS]));
        if ((incr ? ep_store_incr(st, k, NULL) : ep_store_set(st, k, ep_bytes_of(value, sizeof value), -1, 0)) != EP_OK)
            break;
    }
    ep_store_sync(st); /* flushes what is buffered (policy NO: the sync itself is the cost of one fsync) */
    return bench_now() - t;
}

static double store_get(ep_store *st, long n, int by_hand) {
    const ep_keyspace *ks = ep_store_keyspace(st);
    size_t total = 0;
    double t = bench_now();
    long i;
    for (i = 0; i < n; i++) {
        const char *k = keys[(i * 7919) % NKEYS];
        ep_bytes v = ep_bytes_of(NULL, 0);
        if (by_hand) {
            const ep_ks_entry *e = ep_keyspace_get(ks, k, strlen(k));
            if (e) v = ep_ks_entry_value(e);
        } else {
            ep_store_get(st, ep_bytes_of(k, strlen(k)), &v);
        }
        total += v.len;
    }
    t = bench_now() - t;
    if (total == 0) printf("  (no values read)\n");
    return t;
}

int main(int argc, char **argv) {
    const char *dir = bench_target_dir(argc > 1 ? argv[1] : NULL);
    long n = 1000000, i;
    int round, incr;
    memset(value, 'v', sizeof value);
    for (i = 0; i < NKEYS; i++) snprintf(keys[i], sizeof keys[i], "key:%ld", i);
    printf("store: %ld operations over %d keys, best of %d\n", n, NKEYS, ROUNDS);
    for (incr = 0; incr < 2; incr++) {
        double hand = 1e9, store = 1e9;
        for (round = 0; round < ROUNDS; round++) {
            ep_store *st = open_store(dir);
            double a = by_hand_set(dir, n, incr), b;
            if (!st) return 1;
            b = store_set(st, n, incr);
            ep_store_close(st);
            if (a < hand) hand = a;
            if (b < store) store = b;
        }
        bench_line(incr ? "INCR by hand (ep_aof_incr + keyspace apply)" : "SET by hand (ep_aof_set + keyspace apply)",
                   (double)n / hand / 1e6, "M ops/s", 0, NULL);
        bench_line(incr ? "INCR ep_store_incr" : "SET ep_store_set (64-byte values)", (double)n / store / 1e6,
                   "M ops/s", hand / store, "of by hand");
    }
    {
        ep_store *st = open_store(dir);
        double hand = 1e9, store = 1e9;
        if (!st) return 1;
        store_set(st, NKEYS, 0);
        for (round = 0; round < ROUNDS; round++) {
            double a = store_get(st, n, 1), b = store_get(st, n, 0);
            if (a < hand) hand = a;
            if (b < store) store = b;
        }
        bench_line("GET by hand (ep_keyspace_get)", (double)n / hand / 1e6, "M ops/s", 0, NULL);
        bench_line("GET ep_store_get", (double)n / store / 1e6, "M ops/s", hand / store, "of by hand");
        ep_store_close(st);
    }
    return 0;
}
