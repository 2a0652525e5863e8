/* keyspace point and range reads (ep_ks_hash_get, ep_ks_set_contains,
 * ep_ks_zset_score, ep_ks_list_index, ep_ks_value_iter_range) against the
 * reference model (tests/support/model.c): random records applied to both,
 * every read of every key checked after each record; collections in their
 * packed and general forms; wrong-type and absent-key answers. */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"

#include <math.h>
#include <stdlib.h>

#define NOW 1700000000000LL
#define MAXEL 256

static const char *const keys[] = {"a", "b", "c", "d", "e", "f", "absent"};
static const char *const members[] = {"m1", "m2", "m3", "m4", "m5", "zz", ""};

static int beq(ep_bytes a, ep_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static const int64_t bounds[] = {0, 1, 2, -1, -2, -3, 5, 15, 16, 17, -17, 100, -100, INT64_MAX, INT64_MIN};
#define NB (sizeof bounds / sizeof bounds[0])

/* Every read of one key, keyspace against model; returns 0 on a mismatch. */
static void check_key(const ep_keyspace *ks, const ept_model *m, const char *key) {
    ep_bytes k = ept_b(key), mstr, v;
    const ep_ks_entry *e = ep_keyspace_get(ks, k.data, k.len);
    static ep_item want[MAXEL];
    int mtype = -1;
    int64_t mttl = 0;
    size_t n, i, j, count;
    double score;
    ep_ks_value_iter it;
    ep_item item;
    int present = ept_model_key(m, k, &mtype, &mttl, &mstr);
    EPT_CHECK(present == (e != NULL));
    n = ept_model_elems(m, k, want, MAXEL);
    EPT_CHECK(n <= MAXEL);
    if (!e) {
        EPT_CHECK_EQ(ep_ks_hash_get(ks, e, ept_b("m1"), &v), EP_ERR_NOT_FOUND);
        EPT_CHECK_EQ(ep_ks_set_contains(ks, e, ept_b("m1")), EP_ERR_NOT_FOUND);
        EPT_CHECK_EQ(ep_ks_zset_score(ks, e, ept_b("m1"), &score), EP_ERR_NOT_FOUND);
        EPT_CHECK_EQ(ep_ks_list_index(e, 0, &v), EP_ERR_NOT_FOUND);
        EPT_CHECK_OK(ep_ks_value_iter_range(&it, e, 0, -1, 0, &count));
        EPT_CHECK_EQ(count, 0);
        EPT_CHECK(!ep_ks_value_next(&it, &item));
        return;
    }
    EPT_CHECK_EQ(ep_ks_entry_type(e), mtype);
    EPT_CHECK_EQ(ep_ks_entry_ttl(e), mttl);
    if (mtype == EP_TYPE_STRING || mtype == EP_TYPE_PROTO) {
        EPT_CHECK(beq(ep_ks_entry_value(e), mstr));
        EPT_CHECK_EQ(ep_ks_entry_len(e), mstr.len);
    } else {
        EPT_CHECK_EQ(ep_ks_entry_len(e), n);
    }
    /* point reads: each answers for its own type, WRONG_TYPE for the rest */
    for (j = 0; j < sizeof members / sizeof members[0]; j++) {
        ep_bytes mb = ept_b(members[j]);
        long found = -1;
        ep_result r;
        for (i = 0; i < n; i++)
            if (beq(want[i].a, mb)) found = (long)i;
        r = ep_ks_hash_get(ks, e, mb, &v);
        if (mtype != EP_TYPE_HASH) EPT_CHECK_EQ(r, EP_ERR_WRONG_TYPE);
        else if (found < 0) EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND);
        else EPT_CHECK(r == EP_OK && beq(v, want[found].b));
        r = ep_ks_set_contains(ks, e, mb);
        if (mtype != EP_TYPE_SET) EPT_CHECK_EQ(r, EP_ERR_WRONG_TYPE);
        else EPT_CHECK_EQ(r, found < 0 ? EP_ERR_NOT_FOUND : EP_OK);
        r = ep_ks_zset_score(ks, e, mb, &score);
        if (mtype != EP_TYPE_ZSET) EPT_CHECK_EQ(r, EP_ERR_WRONG_TYPE);
        else if (found < 0) EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND);
        else EPT_CHECK(r == EP_OK && memcmp(&score, &want[found].score, sizeof score) == 0);
    }
    /* LINDEX at every position and just past both ends */
    for (i = 0; i < n + 4; i++) {
        int64_t idx = (int64_t)i - (int64_t)n - 2; /* -n-2 .. 1 */
        int64_t pos = idx < 0 ? idx + (int64_t)n : idx;
        ep_result r = ep_ks_list_index(e, idx, &v);
        if (mtype != EP_TYPE_LIST) {
            EPT_CHECK_EQ(r, EP_ERR_WRONG_TYPE);
            break;
        }
        if (pos < 0 || pos >= (int64_t)n) EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND);
        else EPT_CHECK(r == EP_OK && beq(v, want[pos].a));
        r = ep_ks_list_index(e, (int64_t)i, &v);
        if (i >= n) EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND);
        else EPT_CHECK(r == EP_OK && beq(v, want[i].a));
    }
    /* LRANGE / ZRANGE / ZREVRANGE over a grid of bounds */
    for (i = 0; i < NB * NB; i++) {
        int64_t s = bounds[i / NB], t = bounds[i % NB];
        int rev;
        for (rev = 0; rev < 2; rev++) {
            ep_result r = ep_ks_value_iter_range(&it, e, s, t, rev, &count);
            if (mtype != EP_TYPE_LIST && mtype != EP_TYPE_ZSET) {
                EPT_CHECK_EQ(r, EP_ERR_WRONG_TYPE);
                EPT_CHECK(!ep_ks_value_next(&it, &item));
                continue;
            }
            if (rev && mtype == EP_TYPE_LIST) {
                EPT_CHECK_EQ(r, EP_ERR_INVALID_ARG);
                continue;
            }
            EPT_CHECK_OK(r);
            ept_check_window(&it, want, n, s, t, rev, mtype == EP_TYPE_ZSET, count);
        }
    }
}

static void check_all(const ep_keyspace *ks, const ept_model *m) {
    size_t i;
    for (i = 0; i < sizeof keys / sizeof keys[0] && !ept_failed(); i++) check_key(ks, m, keys[i]);
}

EPT_CASE(reads_match_the_model_on_random_records) {
    uint64_t rng = ept_seed();
    long rounds = ept_scale(40, 8), ops = 400, r, i;
    for (r = 0; r < rounds && !ept_failed(); r++) {
        ep_keyspace *ks = NULL;
        ept_model *m = ept_model_new();
        EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
        for (i = 0; i < ops && !ept_failed(); i++) {
            ep_aof_record rec = ept_random_record(&rng);
            (void)ep_keyspace_apply(ks, &rec, NOW);
            ept_model_apply(m, &rec, NOW);
            check_all(ks, m);
            if (i % 64 == 63) ept_pool_reset();
        }
        ept_pool_reset();
        ept_model_free(m);
        ep_keyspace_free(ks);
    }
}

/* Collections past the packed limits (a part longer than 64 bytes here;
 * test_keyspace_pack also crosses 128 elements) take the general form: the
 * same reads must hold there. */
EPT_CASE(reads_match_the_model_on_big_collections) {
    uint64_t rng = ept_seed() ^ 0x9e37u;
    ep_keyspace *ks = NULL;
    ept_model *m = ept_model_new();
    static char longv[300];
    long i;
    memset(longv, 'L', sizeof longv - 1);
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    for (i = 0; i < 120 && !ept_failed(); i++) {
        char mem[16], val[16];
        const char *v1[1], *p[2];
        double sc = (double)(ept_rand(&rng) % 7) - 3.0;
        ep_aof_record rec;
        int k;
        snprintf(mem, sizeof mem, "m%ld", (long)(ept_rand(&rng) % 40));
        snprintf(val, sizeof val, "v%ld", i);
        v1[0] = i == 50 ? longv : val;
        p[0] = mem;
        p[1] = i == 60 ? longv : val;
        for (k = 0; k < 6; k++) {
            switch (k) {
            case 0: rec = ept_rec(EP_AOF_RPUSH, "a"); rec.items = ept_items_strs(EP_ITEMS_BYTES, 1, v1); break;
            case 1: rec = ept_rec(EP_AOF_LPUSH, "a"); rec.items = ept_items_strs(EP_ITEMS_BYTES, 1, v1); break;
            case 2: rec = ept_rec(EP_AOF_ZADD, "b"); rec.items = ept_items_zadd(1, &sc, p); break;
            case 3: rec = ept_rec(EP_AOF_HSET, "c"); rec.items = ept_items_pairs(1, p); break;
            case 4: rec = ept_rec(EP_AOF_SADD, "d"); rec.items = ept_items_strs(EP_ITEMS_STR, 1, p); break;
            default:
                rec = ept_rec(ept_rand(&rng) % 2 ? EP_AOF_LPOP : EP_AOF_ZREM, ept_rand(&rng) % 2 ? "a" : "b");
                rec.items = ept_items_strs(EP_ITEMS_STR, 1, p);
                break;
            }
            EPT_CHECK_OK(ep_keyspace_apply(ks, &rec, NOW));
            ept_model_apply(m, &rec, NOW);
        }
        check_all(ks, m);
        /* the members the fixed list of check_key does not name */
        {
            const ep_ks_entry *e;
            ep_bytes v;
            double s;
            e = ep_keyspace_get(ks, "c", 1);
            EPT_CHECK_OK(ep_ks_hash_get(ks, e, ept_b(mem), &v));
            EPT_CHECK(beq(v, ept_b(i == 60 ? longv : val)));
            e = ep_keyspace_get(ks, "d", 1);
            EPT_CHECK_OK(ep_ks_set_contains(ks, e, ept_b(mem)));
            EPT_CHECK_EQ(ep_ks_set_contains(ks, e, ept_b("nope")), EP_ERR_NOT_FOUND);
            e = ep_keyspace_get(ks, "b", 1);
            if (ep_ks_zset_score(ks, e, ept_b(mem), &s) == EP_OK) EPT_CHECK(s == sc);
        }
        if (i % 16 == 15) {
            char *a = ept_ks_dump(ks), *b = ept_model_dump(m);
            int same = strcmp(a, b) == 0;
            free(a);
            free(b);
            EPT_CHECK(same);
        }
        ept_pool_reset();
    }
    EPT_CHECK(ep_ks_entry_len(ep_keyspace_get(ks, "c", 1)) > 16);
    ept_model_free(m);
    ep_keyspace_free(ks);
}

EPT_CASE(bad_arguments_are_refused) {
    ep_keyspace *ks = NULL;
    const char *v = "x";
    ep_aof_record rec = ept_rec(EP_AOF_RPUSH, "l");
    const ep_ks_entry *e;
    ep_ks_value_iter it;
    size_t count = 7;
    double s;
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    rec.items = ept_items_strs(EP_ITEMS_BYTES, 1, &v);
    EPT_CHECK_OK(ep_keyspace_apply(ks, &rec, NOW));
    e = ep_keyspace_get(ks, "l", 1);
    EPT_CHECK_EQ(ep_ks_hash_get(NULL, e, ept_b("x"), NULL), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_ks_set_contains(NULL, e, ept_b("x")), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_ks_zset_score(ks, e, ept_b("x"), NULL), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_ks_zset_score(ks, e, ept_b("x"), &s), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_ks_list_index(e, 0, NULL), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_ks_value_iter_range(NULL, e, 0, 1, 0, &count), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_ks_value_iter_range(&it, e, 0, 1, 0, NULL), EP_ERR_INVALID_ARG);
    EPT_CHECK_OK(ep_ks_value_iter_range(&it, e, 0, -1, 0, &count));
    EPT_CHECK_EQ(count, 1);
    ept_pool_reset();
    ep_keyspace_free(ks);
}

EPT_MAIN()
