/* The keyspace alone on bench_redis's data set (1 M string keys x 64-byte
 * values plus 10 k each of lists, hashes, sets and sorted sets of 100
 * elements of about 21 bytes), with no file and no server: what the
 * collections' in-memory form costs.
 *   load   every key through ep_keyspace_load_entry (a snapshot's or an
 *          RDB's whole entries);
 *   apply  every key as one record (SET, RPUSH / HSET / SADD / ZADD of the
 *          whole collection: a rewritten AOF);
 *   apply1 the collections one element per record (an AOF of single-element
 *          writes), the strings as in apply;
 * each in a fresh child (its own heap): CPU seconds (user + sys, best of
 * BENCH_RUNS, default 3), ep_keyspace_memory and the peak RSS growth, both
 * against the data bytes (keys + values + elements, a score as 8 bytes, as
 * bench_redis counts them). Then point reads on the loaded keyspace (GET,
 * HGET, SISMEMBER, ZSCORE, ZRANK, LINDEX, LRANGE of 10): ns of CPU per call.
 *
 *   BENCH_STRINGS (1000000), BENCH_COLLECTIONS (10000 of each kind), BENCH_RUNS (3). */
#include "bench.h"
#include "ember_persist.h"

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define ELEMENTS 100
#define READS 2000000L

static uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The data set as snapshot entries; items encoded in one buffer. */
typedef struct dataset {
    long strings, colls;
    char *keys;      /* 24 bytes per key */
    uint8_t *values; /* 64 bytes per string */
    ep_buf items;
    size_t *item_off, *item_len; /* per collection */
    uint64_t data;
} dataset;

static const uint8_t coll_type[4] = {EP_TYPE_LIST, EP_TYPE_HASH, EP_TYPE_SET, EP_TYPE_ZSET};
static const uint8_t coll_kind[4] = {EP_ITEMS_BYTES, EP_ITEMS_FIELD_VALUE, EP_ITEMS_STR, EP_ITEMS_SCORE_MEMBER};

static char *key_of(dataset *d, long i) {
    return d->keys + 24 * i;
}

static void build(dataset *d) {
    static const char *const prefix[4] = {"list", "hash", "set", "zset"};
    static const char hex[] = "0123456789abcdef";
    uint64_t s = 42;
    long i, n = d->strings + 4 * d->colls;
    int kind, e;
    d->keys = (char *)malloc((size_t)n * 24);
    d->values = (uint8_t *)malloc((size_t)d->strings * 64);
    d->item_off = (size_t *)malloc(sizeof(size_t) * 4 * (size_t)d->colls);
    d->item_len = (size_t *)malloc(sizeof(size_t) * 4 * (size_t)d->colls);
    ep_buf_init(&d->items, NULL);
    if (!d->keys || !d->values || !d->item_off || !d->item_len) exit(1);
    for (i = 0; i < d->strings; i++) {
        int k;
        snprintf(key_of(d, i), 24, "key:%010ld", i);
        for (k = 0; k < 64; k += 16) {
            uint64_t v = rng_next(&s);
            int b;
            for (b = 0; b < 16; b++) d->values[64 * i + k + b] = (uint8_t)hex[(v >> (4 * b)) & 15];
        }
        d->data += strlen(key_of(d, i)) + 64;
    }
    for (kind = 0; kind < 4; kind++)
        for (i = 0; i < d->colls; i++) {
            long c = kind * d->colls + i;
            char *k = key_of(d, d->strings + c);
            snprintf(k, 24, "%s:%08ld", prefix[kind], i);
            d->data += strlen(k);
            d->item_off[c] = d->items.len;
            for (e = 0; e < ELEMENTS; e++) {
                char m[40], v[40];
                int mn = snprintf(m, sizeof m, "member-%03d-%08x", e, (unsigned)(rng_next(&s) & 0xffffffffu));
                if (kind == 3) ep_buf_f64(&d->items, (double)(e * 3 + (int)(i % 7)) + 0.5);
                ep_buf_lenbytes(&d->items, m, (size_t)mn);
                d->data += (uint64_t)mn + (kind == 3 ? 8u : 0u);
                if (kind == 1) {
                    int vn = snprintf(v, sizeof v, "v%08x", (unsigned)(rng_next(&s) & 0xffffffffu));
                    ep_buf_lenbytes(&d->items, v, (size_t)vn);
                    d->data += (uint64_t)vn;
                }
            }
            d->item_len[c] = d->items.len - d->item_off[c];
        }
    if (d->items.err) exit(1);
}

static void entry_of(const dataset *d, long i, ep_snap_entry *se) {
    memset(se, 0, sizeof *se);
    se->key = ep_bytes_of(d->keys + 24 * i, strlen(d->keys + 24 * i));
    se->expire_ms = -1;
    if (i < d->strings) {
        se->type = EP_TYPE_STRING;
        se->value = ep_bytes_of(d->values + 64 * i, 64);
    } else {
        long c = i - d->strings;
        int kind = (int)(c / d->colls);
        se->type = coll_type[kind];
        se->items.count = ELEMENTS;
        se->items.kind = coll_kind[kind];
        se->items.raw = ep_bytes_of(d->items.data + d->item_off[c], d->item_len[c]);
    }
}

/* The record that writes entry se (a whole collection, or with one >= 0
 * only its element number one). */
static ep_result record_of(const ep_snap_entry *se, long one, ep_aof_record *rec) {
    ep_items_iter it;
    ep_item item;
    long k = 0;
    memset(rec, 0, sizeof *rec);
    rec->key = se->key;
    rec->num = -1;
    switch (se->type) {
    case EP_TYPE_STRING: rec->tag = EP_AOF_SET; rec->value = se->value; return EP_OK;
    case EP_TYPE_LIST: rec->tag = EP_AOF_RPUSH; break;
    case EP_TYPE_HASH: rec->tag = EP_AOF_HSET; break;
    case EP_TYPE_SET: rec->tag = EP_AOF_SADD; break;
    default: rec->tag = EP_AOF_ZADD; break;
    }
    rec->items = se->items;
    if (one < 0) return EP_OK;
    /* one element: its bytes are the run from where it starts to where the next does */
    ep_items_iter_init(&it, &se->items);
    while (k < one && ep_items_next(&it, &item)) k++;
    {
        const uint8_t *start = it.p;
        if (!ep_items_next(&it, &item)) return EP_ERR_INVALID_ARG;
        rec->items.count = 1;
        rec->items.raw = ep_bytes_of(start, (size_t)(it.p - start));
    }
    return EP_OK;
}

typedef struct result {
    double cpu;
    size_t mem;
    long rss_kb;
    double read_ns[7];
} result;

enum { MODE_LOAD, MODE_APPLY, MODE_APPLY1 };
static const char *const mode_name[3] = {"load_entry", "apply (one record a key)", "apply (one element a record)"};
static const char *const read_name[7] = {"GET", "HGET", "SISMEMBER", "ZSCORE", "ZRANK", "LINDEX 50", "LRANGE 0 9"};

static double reads(const ep_keyspace *ks, const dataset *d, int what) {
    uint64_t s = 7 + (uint64_t)what;
    long r, sink = 0;
    double c0 = bench_cpu_seconds();
    for (r = 0; r < READS; r++) {
        uint64_t x = rng_next(&s);
        long i;
        const ep_ks_entry *e;
        char m[40];
        ep_bytes v;
        double sc;
        size_t rank, count;
        ep_ks_value_iter it;
        ep_item item;
        int mn = 0;
        if (what == 0) i = (long)(x % (uint64_t)d->strings);
        else i = d->strings + (long)(x % (uint64_t)d->colls) + d->colls * (what == 1 ? 1 : what == 2 ? 2 : what <= 4 ? 3 : 0);
        if (what >= 1 && what <= 4) {
            /* a member that may be there: the element numbers match, the hex part only sometimes */
            mn = snprintf(m, sizeof m, "member-%03d-%08x", (int)((x >> 32) % ELEMENTS), (unsigned)(x >> 40));
        }
        e = ep_keyspace_get(ks, key_of((dataset *)d, i), strlen(key_of((dataset *)d, i)));
        switch (what) {
        case 0: sink += (long)ep_ks_entry_value(e).len; break;
        case 1: sink += ep_ks_hash_get(ks, e, ep_bytes_of(m, (size_t)mn), &v); break;
        case 2: sink += ep_ks_set_contains(ks, e, ep_bytes_of(m, (size_t)mn)); break;
        case 3: sink += ep_ks_zset_score(ks, e, ep_bytes_of(m, (size_t)mn), &sc); break;
        case 4: sink += ep_ks_zset_rank(ks, e, ep_bytes_of(m, (size_t)mn), 0, &rank); break;
        case 5: sink += ep_ks_list_index(e, 50, &v) == EP_OK ? (long)v.len : 0; break;
        default:
            if (ep_ks_value_iter_range(&it, e, 0, 9, 0, &count) == EP_OK)
                while (ep_ks_value_next(&it, &item)) sink += (long)item.a.len;
            break;
        }
    }
    if (sink == 42) printf(" ");
    return (bench_cpu_seconds() - c0) / (double)READS * 1e9;
}

static result run(const dataset *d, int mode) {
    ep_keyspace *ks = NULL;
    result res;
    long i, n = d->strings + 4 * d->colls, rss0 = bench_status_kb("VmRSS:");
    double c0 = bench_cpu_seconds();
    memset(&res, 0, sizeof res);
    if (ep_keyspace_create(NULL, &ks) != EP_OK) exit(1);
    if (mode == MODE_LOAD && ep_keyspace_reserve(ks, (size_t)n) != EP_OK) exit(1);
    for (i = 0; i < n; i++) {
        ep_snap_entry se;
        ep_aof_record rec;
        entry_of(d, i, &se);
        if (mode == MODE_LOAD) {
            if (ep_keyspace_load_entry(ks, &se) != EP_OK) exit(1);
        } else if (mode == MODE_APPLY || se.type == EP_TYPE_STRING) {
            if (record_of(&se, -1, &rec) != EP_OK || ep_keyspace_apply(ks, &rec, 0) != EP_OK) exit(1);
        } else {
            long k;
            for (k = 0; k < ELEMENTS; k++)
                if (record_of(&se, k, &rec) != EP_OK || ep_keyspace_apply(ks, &rec, 0) != EP_OK) exit(1);
        }
    }
    res.cpu = bench_cpu_seconds() - c0;
    res.mem = ep_keyspace_memory(ks);
    res.rss_kb = bench_status_kb("VmHWM:") - rss0;
    if (ep_keyspace_count(ks) != (size_t)n) exit(1);
    if (mode == MODE_LOAD) {
        int w;
        for (w = 0; w < 7; w++) res.read_ns[w] = reads(ks, d, w);
    }
    ep_keyspace_free(ks);
    return res;
}

static result in_child(const dataset *d, int mode) {
    int fd[2];
    pid_t pid;
    result r;
    memset(&r, 0, sizeof r);
    if (pipe(fd) != 0) exit(1);
    fflush(stdout);
    if ((pid = fork()) < 0) exit(1);
    if (pid == 0) {
        close(fd[0]);
        r = run(d, mode);
        if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (read(fd[0], &r, sizeof r) != (ssize_t)sizeof r) memset(&r, 0, sizeof r);
    close(fd[0]);
    waitpid(pid, NULL, 0);
    return r;
}

int main(void) {
    static dataset d;
    const char *s = getenv("BENCH_STRINGS"), *c = getenv("BENCH_COLLECTIONS"), *rn = getenv("BENCH_RUNS");
    int runs = rn ? atoi(rn) : 3, mode, k, w;
    char cpu[128], label[96];
    d.strings = s ? atol(s) : 1000000L;
    d.colls = c ? atol(c) : 10000L;
    if (runs < 1) runs = 1;
    if (d.strings < 1 || d.colls < 1) return 1;
    bench_cpu_model(cpu, sizeof cpu);
    build(&d);
    printf("cpu: %s\nbench_keyspace: %ld strings x 64 B + %ld each of lists/hashes/sets/zsets x %d elements; "
           "data %.2f MB; best of %d\n",
           cpu, d.strings, d.colls, ELEMENTS, (double)d.data / 1e6, runs);
    for (mode = 0; mode < 3; mode++) {
        result best;
        memset(&best, 0, sizeof best);
        for (k = 0; k < runs; k++) {
            result r = in_child(&d, mode);
            if (r.cpu <= 0) return 1;
            if (k == 0 || r.cpu < best.cpu) {
                best.cpu = r.cpu;
                best.mem = r.mem; /* the same in every run */
            }
            if (k == 0 || r.rss_kb < best.rss_kb) best.rss_kb = r.rss_kb;
            for (w = 0; w < 7; w++)
                if (k == 0 || r.read_ns[w] < best.read_ns[w]) best.read_ns[w] = r.read_ns[w];
        }
        snprintf(label, sizeof label, "%s: CPU seconds", mode_name[mode]);
        bench_line(label, best.cpu, "s", (double)(d.strings + 4 * d.colls) / best.cpu / 1e6, "M keys/s");
        snprintf(label, sizeof label, "%s: ep_keyspace_memory", mode_name[mode]);
        bench_line(label, (double)best.mem / 1e6, "MB", (double)best.mem / (double)d.data, "x the data");
        snprintf(label, sizeof label, "%s: peak RSS growth", mode_name[mode]);
        bench_line(label, (double)best.rss_kb * 1024.0 / 1e6, "MB", (double)best.rss_kb * 1024.0 / (double)d.data,
                   "x the data");
        if (mode == MODE_LOAD)
            for (w = 0; w < 7; w++) {
                snprintf(label, sizeof label, "read: %s (CPU per call)", read_name[w]);
                bench_line(label, best.read_ns[w], "ns", 0, NULL);
            }
    }
    ep_buf_free(&d.items);
    free(d.keys);
    free(d.values);
    free(d.item_off);
    free(d.item_len);
    return 0;
}
