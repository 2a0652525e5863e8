/* The keyspace's packed collections (lists, sorted sets, hashes and sets of
 * at most 128 elements whose parts are at most 64 bytes, one block each)
 * and their conversion to the general form, against the reference model
 * (tests/support/model.c): random records and snapshot entries drive every
 * collection type back and forth across both limits (128/129 elements,
 * 64/65-byte parts), and after each step the whole keyspace's dump, lengths,
 * every zset rank both ways, random LRANGE / ZRANGE / ZREVRANGE windows,
 * LINDEX, HGET, SISMEMBER and ZSCORE are compared with the model (printed
 * seed). The form itself is checked too: a collection is packed exactly
 * when it never crossed a limit since it was created (conversion is for
 * good). Then a failing-allocator loop over every conversion path: each
 * failure leaves the keyspace as it was, and nothing leaks.
 *
 * This file holds its own (static) copy of the implementation, to read an
 * entry's form (ep__packed); the calls it checks are the public ones. */
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "harness.h"
#include "support/counting.h"
#include "support/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000000LL
#define POOL 200      /* members: enough to pass 128 in one collection */
#define MAXEL 400
#define LIMIT_N 128
#define LIMIT_LEN 64

static const char *const tkeys[4] = {"l", "z", "h", "s"};
static const uint8_t ttypes[4] = {EP_TYPE_LIST, EP_TYPE_ZSET, EP_TYPE_HASH, EP_TYPE_SET};

/* Member i of the pool: "m<i>" padded with x to a length of 1..64 (a few
 * exactly 64); with is_long, 65 bytes. */
static char pool[POOL][LIMIT_LEN + 2];
static char pool_long[POOL][LIMIT_LEN + 2];

static void pool_init(void) {
    int i;
    for (i = 0; i < POOL; i++) {
        size_t len = i % 10 == 0 ? LIMIT_LEN : 1u + (size_t)(i * 37 % LIMIT_LEN), n;
        n = (size_t)snprintf(pool[i], sizeof pool[i], "m%d", i);
        if (n < len) memset(pool[i] + n, 'x', len - n);
        pool[i][len > n ? len : n] = '\0';
        memset(pool_long[i], 'y', LIMIT_LEN + 1);
        n = (size_t)snprintf(pool_long[i], sizeof pool_long[i], "L%d", i);
        pool_long[i][n] = 'y';
        pool_long[i][LIMIT_LEN + 1] = '\0';
    }
}

static int beq(ep_bytes a, ep_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* Whether each key's collection has crossed a limit since it was created:
 * then it must be in the general form, else packed. */
typedef struct pk_state {
    int crossed[8];
} pk_state;

static int key_index(const char *k) {
    static const char *const all[8] = {"l", "z", "h", "s", "c", "L", "Z", "H"};
    int i;
    for (i = 0; i < 8; i++)
        if (strcmp(all[i], k) == 0) return i;
    return -1;
}

static const char *member(uint64_t *rng, int allow_long) {
    int i = (int)(ept_rand(rng) % POOL);
    if (allow_long && ept_rand(rng) % 400 == 0) return pool_long[i];
    return pool[i];
}

static const char *value(uint64_t *rng, char *buf, size_t cap) {
    uint64_t r = ept_rand(rng) % 1000;
    if (r < 3) { /* 65 bytes: crosses */
        memset(buf, 'V', LIMIT_LEN + 1);
        buf[LIMIT_LEN + 1] = '\0';
    } else if (r < 100) {
        memset(buf, 'v', LIMIT_LEN);
        buf[LIMIT_LEN] = '\0';
    } else {
        snprintf(buf, cap, "%d", (int)(r % 97));
    }
    return buf;
}

static double score_of(uint64_t *rng) {
    static const double special[] = {0.0, -0.0, 1.5, -1.5, 1e300, -1e300};
    uint64_t r = ept_rand(rng) % 100;
    if (r < 6) return special[r];
    if (r == 6) return INFINITY;
    if (r == 7) return -INFINITY;
    return (double)(int)(ept_rand(rng) % 40) - 20.0; /* many ties */
}

/* Records the crossings a record on key k makes (sizes are checked after). */
static void note_parts(pk_state *st, const char *k, const char *const *parts, int n) {
    int i, ki = key_index(k);
    for (i = 0; i < n && ki >= 0; i++)
        if (strlen(parts[i]) > LIMIT_LEN) st->crossed[ki] = 1;
}

/* One random record on one of the four collections; returns it applied to
 * both sides (and the model's state kept in st). */
static void random_step(ep_keyspace *ks, ept_model *m, pk_state *st, uint64_t *rng, const int *target) {
    int t = (int)(ept_rand(rng) % 4), n = 1 + (int)(ept_rand(rng) % 3), i;
    const char *k = tkeys[t];
    const ep_ks_entry *e = ep_keyspace_get(ks, k, 1);
    size_t len = e ? ep_ks_entry_len(e) : 0;
    int grow = (int)len < target[t] || ept_rand(rng) % 5 == 0;
    const char *parts[6];
    char vals[3][LIMIT_LEN + 8];
    double sc[3];
    ep_aof_record r;
    uint64_t rare = ept_rand(rng) % 1000;
    if (rare < 3) { /* DEL: the key comes back packed */
        r = ept_rec(EP_AOF_DEL, k);
    } else if (t == 0) {
        if (rare < 10) { /* LSET, LTRIM, LINSERT, LREM: these take the general form */
            static const uint8_t tags[4] = {EP_AOF_LSET, EP_AOF_LTRIM, EP_AOF_LINSERT, EP_AOF_LREM};
            r = ept_rec(tags[rare % 4], k);
            r.num = (int64_t)(ept_rand(rng) % 9) - 4;
            r.num2 = -1 - (int64_t)(ept_rand(rng) % 4);
            r.value = ept_b(member(rng, 0));
            r.pivot = ept_b(member(rng, 0));
            r.flag = (uint8_t)(ept_rand(rng) % 2);
            if (e && ep_ks_entry_type(e) == EP_TYPE_LIST) st->crossed[0] = 1;
        } else if (grow) {
            for (i = 0; i < n; i++) parts[i] = member(rng, 1);
            r = ept_rec(ept_rand(rng) % 2 ? EP_AOF_RPUSH : EP_AOF_LPUSH, k);
            r.items = ept_items_strs(EP_ITEMS_BYTES, n, parts);
            note_parts(st, k, parts, n);
        } else {
            r = ept_rec(ept_rand(rng) % 2 ? EP_AOF_RPOP : EP_AOF_LPOP, k);
        }
    } else if (t == 1) {
        for (i = 0; i < n; i++) {
            parts[i] = member(rng, grow);
            sc[i] = score_of(rng);
        }
        if (grow) {
            r = ept_rec(EP_AOF_ZADD, k);
            r.items = ept_items_zadd(n, sc, parts);
            note_parts(st, k, parts, n);
        } else {
            r = ept_rec(EP_AOF_ZREM, k);
            r.items = ept_items_strs(EP_ITEMS_STR, n, parts);
        }
    } else if (t == 2) {
        if (grow && rare < 100) {
            r = ept_rec(EP_AOF_HINCRBY, k);
            r.key2 = ept_b(member(rng, 0));
            r.num = (int64_t)(ept_rand(rng) % 100);
        } else if (grow) {
            for (i = 0; i < n; i++) {
                parts[2 * i] = member(rng, 1);
                parts[2 * i + 1] = value(rng, vals[i], sizeof vals[i]);
            }
            r = ept_rec(EP_AOF_HSET, k);
            r.items = ept_items_pairs(n, parts);
            note_parts(st, k, parts, 2 * n);
        } else {
            for (i = 0; i < n; i++) parts[i] = member(rng, 0);
            r = ept_rec(EP_AOF_HDEL, k);
            r.items = ept_items_strs(EP_ITEMS_STR, n, parts);
        }
    } else {
        for (i = 0; i < n; i++) parts[i] = member(rng, grow);
        r = ept_rec(grow ? EP_AOF_SADD : EP_AOF_SREM, k);
        r.items = ept_items_strs(EP_ITEMS_STR, n, parts);
        if (grow) note_parts(st, k, parts, n);
    }
    EPT_CHECK_OK(ep_keyspace_apply(ks, &r, NOW));
    ept_model_apply(m, &r, NOW);
}

/* Items of any count (the model's builders take up to 64): a = members or
 * fields, b = hash values (or NULL), sc = scores (or NULL). The view lasts
 * until the next call; big_items_free releases the buffer. */
static ep_buf big_buf;
static ep_items big_items(ep_items_kind kind, int n, const char *const *a, const char *const *b, const double *sc) {
    static ep_bytes va[MAXEL], vb[MAXEL];
    ep_items out;
    int i;
    for (i = 0; i < n; i++) {
        va[i] = ept_b(a[i]);
        if (b) vb[i] = ept_b(b[i]);
    }
    if (!big_buf.data) ep_buf_init(&big_buf, NULL);
    big_buf.len = 0;
    memset(&out, 0, sizeof out);
    if (ep_items_build(&big_buf, kind, va, b ? vb : NULL, sc, (uint32_t)n, &out) != EP_OK) abort();
    return out;
}

static void big_items_free(void) {
    ep_buf_free(&big_buf);
    memset(&big_buf, 0, sizeof big_buf);
}

/* A snapshot entry of type with n random items (duplicates likely, a long
 * part now and then) loaded under key on both sides. */
static void random_load(ep_keyspace *ks, ept_model *m, pk_state *st, uint64_t *rng, const char *key, int t) {
    static const char *parts[MAXEL], *vs[MAXEL];
    static double sc[MAXEL];
    static char vals[MAXEL][LIMIT_LEN + 8];
    int n = (int)(ept_rand(rng) % 3 == 0 ? 100 + ept_rand(rng) % 60 : ept_rand(rng) % 140), i;
    int dup_pool = (int)(ept_rand(rng) % 2 ? POOL : 90); /* 90: many duplicates */
    ep_snap_entry se;
    memset(&se, 0, sizeof se);
    se.key = ept_b(key);
    se.type = ttypes[t];
    se.expire_ms = ept_rand(rng) % 4 == 0 ? 5000 : -1;
    for (i = 0; i < n; i++) {
        parts[i] = ept_rand(rng) % 500 == 0 ? pool_long[i % POOL] : pool[(int)(ept_rand(rng) % (uint64_t)dup_pool)];
        sc[i] = score_of(rng);
    }
    switch (t) {
    case 0: se.items = big_items(EP_ITEMS_BYTES, n, parts, NULL, NULL); break;
    case 1: se.items = big_items(EP_ITEMS_SCORE_MEMBER, n, parts, NULL, sc); break;
    case 2:
        for (i = 0; i < n; i++) vs[i] = value(rng, vals[i], sizeof vals[i]);
        se.items = big_items(EP_ITEMS_FIELD_VALUE, n, parts, vs, NULL);
        break;
    default: se.items = big_items(EP_ITEMS_STR, n, parts, NULL, NULL); break;
    }
    st->crossed[key_index(key)] = n > LIMIT_N; /* more items than fit: the general form at once */
    note_parts(st, key, parts, n);
    if (t == 2) note_parts(st, key, vs, n);
    EPT_CHECK_OK(ep_keyspace_load_entry(ks, &se));
    ept_model_load_entry(m, &se);
}

/* Whether e's elements fit a pack (what a copy of it becomes). */
static int fits_pack(const ep_ks_entry *e) {
    ep_ks_value_iter it;
    ep_item item;
    if (ep_ks_entry_len(e) > LIMIT_N) return 0;
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item))
        if (item.a.len > LIMIT_LEN || (ep_ks_entry_type(e) == EP_TYPE_HASH && item.b.len > LIMIT_LEN)) return 0;
    return 1;
}

/* Every read of key against the model, and its form against st. */
static void check_key(const ep_keyspace *ks, const ept_model *m, pk_state *st, const char *key, uint64_t *rng) {
    static ep_item want[MAXEL];
    ep_bytes k = ept_b(key), v;
    const ep_ks_entry *e = ep_keyspace_get(ks, k.data, k.len);
    int mtype = -1, ki = key_index(key);
    size_t n, i, count;
    ep_ks_value_iter it;
    if (!ept_model_key(m, k, &mtype, NULL, NULL)) {
        EPT_CHECK(e == NULL);
        if (ki >= 0) st->crossed[ki] = 0; /* gone: a new one starts packed */
        return;
    }
    EPT_CHECK(e != NULL);
    if (!e) return;
    n = ept_model_elems(m, k, want, MAXEL);
    EPT_CHECK(n <= MAXEL);
    EPT_CHECK_EQ(ep_ks_entry_type(e), mtype);
    EPT_CHECK_EQ(ep_ks_entry_len(e), n);
    if (n > LIMIT_N && ki >= 0) st->crossed[ki] = 1;
    if (ki >= 0 && mtype != EP_TYPE_STRING) {
        if (ep__packed(e) != !st->crossed[ki])
            printf("    key %s: packed %d, crossed %d, len %zu\n", key, ep__packed(e), st->crossed[ki], n);
        EPT_CHECK(ep__packed(e) == !st->crossed[ki]);
    }
    if (mtype == EP_TYPE_ZSET) {
        for (i = 0; i < n; i++) { /* every rank, both ways, and every score */
            size_t rank = 0;
            double s = 0;
            EPT_CHECK_OK(ep_ks_zset_rank(ks, e, want[i].a, 0, &rank));
            EPT_CHECK_EQ(rank, i);
            EPT_CHECK_OK(ep_ks_zset_rank(ks, e, want[i].a, 1, &rank));
            EPT_CHECK_EQ(rank, n - 1 - i);
            EPT_CHECK_OK(ep_ks_zset_score(ks, e, want[i].a, &s));
            EPT_CHECK(memcmp(&s, &want[i].score, sizeof s) == 0);
        }
        EPT_CHECK_EQ(ep_ks_zset_rank(ks, e, ept_b("nope"), 0, &count), EP_ERR_NOT_FOUND);
    }
    if (mtype == EP_TYPE_LIST)
        for (i = 0; i < 4 && n; i++) {
            size_t at = (size_t)(ept_rand(rng) % n);
            EPT_CHECK_OK(ep_ks_list_index(e, (int64_t)at, &v));
            EPT_CHECK(beq(v, want[at].a));
            EPT_CHECK_OK(ep_ks_list_index(e, (int64_t)at - (int64_t)n, &v));
            EPT_CHECK(beq(v, want[at].a));
        }
    if (mtype == EP_TYPE_HASH || mtype == EP_TYPE_SET)
        for (i = 0; i < n; i++) {
            if (mtype == EP_TYPE_HASH) {
                EPT_CHECK_OK(ep_ks_hash_get(ks, e, want[i].a, &v));
                EPT_CHECK(beq(v, want[i].b));
            } else {
                EPT_CHECK_OK(ep_ks_set_contains(ks, e, want[i].a));
            }
        }
    if (mtype == EP_TYPE_LIST || mtype == EP_TYPE_ZSET) {
        int round;
        for (round = 0; round < 4; round++) {
            int64_t a = (int64_t)(ept_rand(rng) % (n + 6)) - 3, b = (int64_t)(ept_rand(rng) % (n + 6)) - 3;
            int rev = mtype == EP_TYPE_ZSET && round % 2;
            if (round == 3) {
                a = 0;
                b = -1;
            }
            EPT_CHECK_OK(ep_ks_value_iter_range(&it, e, a, b, rev, &count));
            ept_check_window(&it, want, n, a, b, rev, mtype == EP_TYPE_ZSET, count);
        }
    }
}

static void check_all(const ep_keyspace *ks, const ept_model *m, pk_state *st, uint64_t *rng) {
    static const char *const all[8] = {"l", "z", "h", "s", "c", "L", "Z", "H"};
    char *a = ept_ks_dump(ks), *b = ept_model_dump(m);
    int i, same = strcmp(a, b) == 0;
    if (!same) printf("    keyspace:\n%s    model:\n%s", a, b);
    EPT_CHECK(same);
    free(a);
    free(b);
    for (i = 0; i < 8 && !ept_failed(); i++) check_key(ks, m, st, all[i], rng);
}

/* The entry's snapshot form loaded into another keyspace reads back the
 * same (entry_to_snap and load_entry on both forms). */
static void check_snap_round_trip(const ep_keyspace *ks, const char *key) {
    const ep_ks_entry *e = ep_keyspace_get(ks, key, strlen(key));
    ep_keyspace *ks2 = NULL;
    ep_buf scratch;
    ep_snap_entry se;
    char *a, *b;
    if (!e) return;
    ep_buf_init(&scratch, NULL);
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks2));
    EPT_CHECK_OK(ep_ks_entry_to_snap(e, &scratch, &se));
    EPT_CHECK_OK(ep_keyspace_load_entry(ks2, &se));
    a = ept_ks_dump_key(ks, key);
    b = ept_ks_dump_key(ks2, key);
    EPT_CHECK(strcmp(a, b) == 0);
    EPT_CHECK(!ep__packed(e) || ep__packed(ep_keyspace_get(ks2, key, strlen(key)))); /* a pack stays one */
    free(a);
    free(b);
    ep_buf_free(&scratch);
    ep_keyspace_free(ks2);
}

EPT_CASE(collections_cross_the_packing_limits_like_the_model) {
    uint64_t rng = ept_seed();
    long steps = ept_scale(30000, 6), i;
    int target[4] = {0, 0, 0, 0}, seen_packed[4] = {0}, seen_big[4] = {0}, t;
    ep_keyspace *ks = NULL;
    ept_model *m = ept_model_new();
    pk_state st;
    memset(&st, 0, sizeof st);
    pool_init();
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    for (i = 0; i < steps && !ept_failed(); i++) {
        if (i % 300 == 0) /* a new size to aim at: below, around or above 128 */
            for (t = 0; t < 4; t++) {
                static const int aims[6] = {5, 60, 124, 130, 180, 127};
                target[t] = aims[ept_rand(&rng) % 6];
            }
        random_step(ks, m, &st, &rng, target);
        if (ept_rand(&rng) % 200 == 0) { /* COPY: a new collection, packed if it fits */
            ep_aof_record r = ept_rec(EP_AOF_COPY, tkeys[ept_rand(&rng) % 4]);
            const ep_ks_entry *src = ep_keyspace_get(ks, r.key.data, r.key.len);
            r.key2 = ept_b("c");
            r.flag = 1;
            if (src) st.crossed[key_index("c")] = !fits_pack(src);
            EPT_CHECK_OK(ep_keyspace_apply(ks, &r, NOW));
            ept_model_apply(m, &r, NOW);
        }
        if (ept_rand(&rng) % 100 == 0) {
            static const char *const lk[4] = {"L", "Z", "H", "L"};
            t = (int)(ept_rand(&rng) % 4);
            random_load(ks, m, &st, &rng, t == 3 ? "L" : lk[t], t == 3 ? 0 : t); /* "L": lists and sets */
            if (t == 0 && ept_rand(&rng) % 2) { /* the same key again as a set */
                random_load(ks, m, &st, &rng, "L", 3);
            }
        }
        if (i % 500 == 499) {
            for (t = 0; t < 4; t++) check_snap_round_trip(ks, tkeys[t]);
            check_snap_round_trip(ks, "Z");
        }
        check_all(ks, m, &st, &rng);
        for (t = 0; t < 4; t++) {
            const ep_ks_entry *e = ep_keyspace_get(ks, tkeys[t], 1);
            if (e && ep__packed(e)) seen_packed[t]++;
            if (e && !ep__packed(e)) seen_big[t]++;
        }
        if (i % 64 == 63) ept_pool_reset();
    }
    for (t = 0; t < 4; t++) { /* both forms were exercised for every type */
        EPT_CHECK(seen_packed[t] > 0);
        EPT_CHECK(seen_big[t] > 0);
    }
    printf("    steps %ld; packed/general observations: list %d/%d zset %d/%d hash %d/%d set %d/%d\n", steps,
           seen_packed[0], seen_big[0], seen_packed[1], seen_big[1], seen_packed[2], seen_big[2], seen_packed[3],
           seen_big[3]);
    ept_pool_reset();
    big_items_free();
    ept_model_free(m);
    ep_keyspace_free(ks);
}

/* A keyspace (no slabs, so every block is an allocator call) holding a
 * packed collection of each type at 128 elements, each fed a record that
 * converts it; with the allocator failing at call k for k = 0, 1, 2 ...
 * every failure must leave the dump as it was, the success the model's, and
 * nothing may leak. */
static void fill_at_limit(ep_keyspace *ks, ept_model *m, int t) {
    int i;
    for (i = 0; i < LIMIT_N; i++) {
        const char *p[2];
        double sc = (double)(i % 7);
        ep_aof_record r;
        p[0] = pool[i];
        p[1] = pool[(i * 7) % POOL];
        switch (t) {
        case 0: r = ept_rec(EP_AOF_RPUSH, "l"); r.items = ept_items_strs(EP_ITEMS_BYTES, 1, p); break;
        case 1: r = ept_rec(EP_AOF_ZADD, "z"); r.items = ept_items_zadd(1, &sc, p); break;
        case 2: r = ept_rec(EP_AOF_HSET, "h"); r.items = ept_items_pairs(1, p); break;
        default: r = ept_rec(EP_AOF_SADD, "s"); r.items = ept_items_strs(EP_ITEMS_STR, 1, p); break;
        }
        if (ep_keyspace_apply(ks, &r, NOW) != EP_OK) abort();
        ept_model_apply(m, &r, NOW);
    }
}

/* One conversion run: variant bit 0 turns slabs on, bit 1 loads 128
 * items (packed in one go) instead of 129; the allocator fails at its call
 * fail_at (< 0: never). *ok: whether the record or entry went in. */
static void convert_once(int t, int how, int variant, long fail_at, int *ok) {
    static const char *many[LIMIT_N + 1], *ws[LIMIT_N + 1];
    static double scs[LIMIT_N + 1];
    ept_counting c;
    ep_allocator a = ept_counting_alloc(&c);
    ep_keyspace_config cfg;
    ep_keyspace *ks = NULL;
    ept_model *m = ept_model_new();
    const char *p[2];
    double sc = 3.25;
    ep_aof_record r;
    ep_snap_entry se;
    char *before, *after, *want;
    ep_result res;
    int i, cnt = LIMIT_N + 1 - (variant >> 1);
    *ok = 0;
    ep_keyspace_config_init(&cfg);
    cfg.alloc = &a;
    cfg.slab_size = (size_t)(variant & 1) * 4096u;
    EPT_CHECK_OK(ep_keyspace_create(&cfg, &ks));
    fill_at_limit(ks, m, t);
    before = ept_ks_dump(ks);
    p[0] = how == 1 ? pool_long[1] : pool[LIMIT_N + 5];
    p[1] = how == 1 ? pool_long[2] : "v";
    switch (t) {
    case 0: r = ept_rec(EP_AOF_LPUSH, "l"); r.items = ept_items_strs(EP_ITEMS_BYTES, 1, p); break;
    case 1: r = ept_rec(EP_AOF_ZADD, "z"); r.items = ept_items_zadd(1, &sc, p); break;
    case 2: r = ept_rec(EP_AOF_HSET, "h"); r.items = ept_items_pairs(1, p); break;
    default: r = ept_rec(EP_AOF_SADD, "s"); r.items = ept_items_strs(EP_ITEMS_STR, 1, p); break;
    }
    if (how == 3) {
        r = ept_rec(EP_AOF_COPY, tkeys[t]);
        r.key2 = ept_b("c");
    }
    memset(&se, 0, sizeof se);
    for (i = 0; i < cnt; i++) {
        many[i] = pool[i];
        ws[i] = "w";
        scs[i] = (double)(cnt - i);
    }
    se.key = ept_b("q");
    se.type = ttypes[t];
    se.expire_ms = -1;
    switch (t) {
    case 0: se.items = big_items(EP_ITEMS_BYTES, cnt, many, NULL, NULL); break;
    case 1: se.items = big_items(EP_ITEMS_SCORE_MEMBER, cnt, many, NULL, scs); break;
    case 2: se.items = big_items(EP_ITEMS_FIELD_VALUE, cnt, many, ws, NULL); break;
    default: se.items = big_items(EP_ITEMS_STR, cnt, many, NULL, NULL); break;
    }
    c.fail_after = fail_at;
    res = how == 2 ? ep_keyspace_load_entry(ks, &se) : ep_keyspace_apply(ks, &r, NOW);
    c.fail_after = -1;
    after = ept_ks_dump(ks);
    if (how == 2) ept_model_load_entry(m, &se);
    else ept_model_apply(m, &r, NOW);
    want = ept_model_dump(m);
    if (res == EP_OK) {
        EPT_CHECK(strcmp(after, want) == 0);
    } else {
        EPT_CHECK_EQ(res, EP_ERR_NOMEM);
        EPT_CHECK(strcmp(after, before) == 0);
    }
    free(before);
    free(after);
    free(want);
    ep_keyspace_free(ks);
    ept_model_free(m);
    ept_pool_reset();
    EPT_CHECK_EQ(c.live, 0);
    *ok = res == EP_OK;
}

EPT_CASE(conversion_under_failing_allocations_changes_nothing) {
    int t, how, variant, runs = 0, failures = 0;
    pool_init();
    for (t = 0; t < 4 && !ept_failed(); t++)
        for (how = 0; how < 4 && !ept_failed(); how++) /* 129th element; a 65-byte part; load; COPY */
            for (variant = 0; variant < (how == 2 ? 4 : 2) && !ept_failed(); variant++) {
                long k;
                for (k = 0; k < 100000 && !ept_failed(); k++) {
                    int ok;
                    runs++;
                    convert_once(t, how, variant, k, &ok);
                    if (ok) break;
                    failures++;
                }
                EPT_CHECK(k > 0); /* the step allocates: at least one failure was tried */
            }
    big_items_free();
    printf("    %d runs with a failing allocator, %d of them failed cleanly\n", runs, failures);
}

EPT_MAIN()
