/* The sorted set's rank-spanned skiplist: ZADD / ZREM (score changes in
 * place, ties, -0.0, infinities) against a naive sorted-array model, with
 * every rank (ep_ks_zset_rank, both directions) and random ZRANGE / ZREVRANGE
 * windows (ep_ks_value_iter_range) checked after each step (printed seed);
 * and the costs proved by counting skiplist steps through the keyspace's
 * test hook (EP__KS_STEP): ZRANK, ZADD and a ZRANGE that starts in the
 * middle take O(log n) steps, so growing the set 100x adds a few steps
 * instead of multiplying them. This file holds its own (static) copy of the
 * implementation so that the hook counts here; nothing is timed. */
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
static unsigned long long g_steps;
#define EP__KS_STEP() (g_steps++)
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000000LL

typedef struct zel {
    double score;
    char m[16];
} zel;

typedef struct zmodel {
    zel *a;
    size_t n, cap;
} zmodel;

/* The keyspace's order: scores as doubles (-0.0 == 0.0), then member bytes. */
static int zel_cmp(const zel *x, const zel *y) {
    size_t lx = strlen(x->m), ly = strlen(y->m), n = lx < ly ? lx : ly;
    int c;
    if (x->score < y->score) return -1;
    if (x->score > y->score) return 1;
    c = memcmp(x->m, y->m, n);
    if (c) return c;
    return lx < ly ? -1 : lx > ly;
}

static long model_find(const zmodel *z, const char *m) {
    size_t i;
    for (i = 0; i < z->n; i++)
        if (!strcmp(z->a[i].m, m)) return (long)i;
    return -1;
}

static void model_rem(zmodel *z, const char *m) {
    long i = model_find(z, m);
    if (i < 0) return;
    memmove(z->a + i, z->a + i + 1, (z->n - (size_t)i - 1) * sizeof *z->a);
    z->n--;
}

static void model_add(zmodel *z, double score, const char *m) {
    size_t i = 0;
    zel e;
    model_rem(z, m);
    e.score = score;
    snprintf(e.m, sizeof e.m, "%s", m);
    if (z->n == z->cap) {
        z->cap = z->cap ? z->cap * 2 : 64;
        z->a = (zel *)realloc(z->a, z->cap * sizeof *z->a);
    }
    while (i < z->n && zel_cmp(&z->a[i], &e) < 0) i++;
    memmove(z->a + i + 1, z->a + i, (z->n - i) * sizeof *z->a);
    z->a[i] = e;
    z->n++;
}

static void zadd(ep_keyspace *ks, double score, const char *m) {
    ep_aof_record rec = ept_rec(EP_AOF_ZADD, "z");
    const char *ms[1];
    ms[0] = m;
    rec.items = ept_items_zadd(1, &score, ms);
    EPT_CHECK_OK(ep_keyspace_apply(ks, &rec, NOW));
    ept_pool_reset();
}

static void zrem(ep_keyspace *ks, const char *m) {
    ep_aof_record rec = ept_rec(EP_AOF_ZREM, "z");
    const char *ms[1];
    ms[0] = m;
    rec.items = ept_items_strs(EP_ITEMS_STR, 1, ms);
    EPT_CHECK_OK(ep_keyspace_apply(ks, &rec, NOW));
    ept_pool_reset();
}

static const double SCORES[] = {-INFINITY, -2.5, -1, -0.0, 0.0, 0.5, 1, 1, 2, 3, 1e300, INFINITY};

static double random_score(uint64_t *rng) {
    uint64_t r = ept_rand(rng);
    if (r % 3 == 0) return SCORES[(r >> 8) % (sizeof SCORES / sizeof SCORES[0])];
    return (double)((int64_t)((r >> 8) % 41) - 20); /* many ties */
}

/* Redis's clamp of start..stop over n, as the model sees it. */
static void clamp(int64_t start, int64_t stop, int64_t n, int64_t *first, int64_t *count) {
    if (start < 0) start = start < -n ? 0 : start + n;
    if (stop < 0) stop = stop < -n ? -1 : stop + n;
    if (stop >= n) stop = n - 1;
    *first = start;
    *count = (start >= n || start > stop) ? 0 : stop - start + 1;
}

static void check_all(const ep_keyspace *ks, const zmodel *z, uint64_t *rng) {
    const ep_ks_entry *e = ep_keyspace_get(ks, "z", 1);
    size_t i, rank;
    int k;
    if (z->n == 0) {
        EPT_CHECK(e == NULL);
        return;
    }
    EPT_CHECK(e != NULL);
    EPT_CHECK_EQ(ep_ks_entry_len(e), z->n);
    for (i = 0; i < z->n; i++) {
        ep_bytes m = ep_bytes_str(z->a[i].m);
        EPT_CHECK_OK(ep_ks_zset_rank(ks, e, m, 0, &rank));
        EPT_CHECK_EQ(rank, i);
        EPT_CHECK_OK(ep_ks_zset_rank(ks, e, m, 1, &rank));
        EPT_CHECK_EQ(rank, z->n - 1 - i);
    }
    EPT_CHECK_EQ(ep_ks_zset_rank(ks, e, ep_bytes_str("absent"), 0, &rank), EP_ERR_NOT_FOUND);
    for (k = 0; k < 8; k++) {
        int64_t n = (int64_t)z->n, start = (int64_t)(ept_rand(rng) % (uint64_t)(2 * n + 3)) - n - 1,
                stop = (int64_t)(ept_rand(rng) % (uint64_t)(2 * n + 3)) - n - 1, first, count, j;
        int rev = (int)(ept_rand(rng) & 1);
        ep_ks_value_iter it;
        ep_item item;
        size_t got;
        clamp(start, stop, n, &first, &count);
        EPT_CHECK_OK(ep_ks_value_iter_range(&it, e, start, stop, rev, &got));
        EPT_CHECK_EQ(got, count);
        for (j = 0; j < count; j++) {
            const zel *want = &z->a[rev ? n - 1 - (first + j) : first + j];
            EPT_CHECK(ep_ks_value_next(&it, &item));
            EPT_CHECK(item.a.len == strlen(want->m) && memcmp(item.a.data, want->m, item.a.len) == 0);
            EPT_CHECK(item.score == want->score);
        }
        EPT_CHECK(!ep_ks_value_next(&it, &item));
    }
}

EPT_CASE(ranks_and_ranges_match_a_sorted_array) {
    uint64_t rng = ept_seed() ^ 0x5a5e7u;
    long rounds = ept_scale(6, 3), steps = ept_scale(1500, 5), r, s;
    for (r = 0; r < rounds && !ept_failed(); r++) {
        ep_keyspace *ks;
        zmodel z = {NULL, 0, 0};
        unsigned universe = (unsigned)(r % 2 ? 40 : 400); /* small: many score changes; large: growth */
        EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
        for (s = 0; s < steps && !ept_failed(); s++) {
            char m[16];
            uint64_t x = ept_rand(&rng);
            snprintf(m, sizeof m, "m%u", (unsigned)(x % universe));
            if ((x >> 32) % 4 == 0) {
                zrem(ks, m);
                model_rem(&z, m);
            } else {
                double sc = random_score(&rng);
                zadd(ks, sc, m);
                model_add(&z, sc, m);
            }
            if (s % 25 == 0 || s == steps - 1) check_all(ks, &z, &rng);
        }
        ep_keyspace_free(ks);
        free(z.a);
    }
}

/* Average steps per operation on a set of n members (scores 0..n-1). */
typedef struct costs {
    double rank, range_mid, add, rem;
} costs;

static void measure(size_t n, uint64_t *rng, costs *out) {
    ep_keyspace *ks;
    const ep_ks_entry *e;
    size_t i, probes = 2000, rank, got;
    char m[24];
    ep_ks_value_iter it;
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    for (i = 0; i < n; i++) {
        snprintf(m, sizeof m, "k%zu", i);
        zadd(ks, (double)i, m);
    }
    e = ep_keyspace_get(ks, "z", 1);
    EPT_CHECK(e != NULL);
    g_steps = 0;
    for (i = 0; i < probes; i++) {
        size_t j = (size_t)(ept_rand(rng) % n);
        snprintf(m, sizeof m, "k%zu", j);
        EPT_CHECK_OK(ep_ks_zset_rank(ks, e, ep_bytes_str(m), 0, &rank));
        EPT_CHECK_EQ(rank, j);
    }
    out->rank = (double)g_steps / (double)probes;
    g_steps = 0;
    for (i = 0; i < probes; i++) {
        int64_t start = (int64_t)(n / 2 + (size_t)(ept_rand(rng) % (n / 4)));
        EPT_CHECK_OK(ep_ks_value_iter_range(&it, e, start, start + 9, (int)(i & 1), &got));
        EPT_CHECK_EQ(got, 10);
    }
    out->range_mid = (double)g_steps / (double)probes;
    /* a score change is an unlink and a link: both walks counted */
    g_steps = 0;
    for (i = 0; i < probes; i++) {
        size_t j = (size_t)(ept_rand(rng) % n);
        snprintf(m, sizeof m, "k%zu", j);
        zadd(ks, (double)(ept_rand(rng) % n) + 0.5, m);
    }
    out->add = (double)g_steps / (double)probes;
    g_steps = 0;
    for (i = 0; i < probes; i++) {
        snprintf(m, sizeof m, "k%zu", i * (n / probes));
        zrem(ks, m);
    }
    out->rem = (double)g_steps / (double)probes;
    ep_keyspace_free(ks);
}

EPT_CASE(rank_range_and_add_cost_log_n_steps) {
    uint64_t rng = ept_seed() ^ 0xc057u;
    size_t small = 2000, big = (size_t)ept_scale(200000, 4);
    double lg_small = log2((double)small), lg_big = log2((double)big);
    costs a, b;
    measure(small, &rng, &a);
    measure(big, &rng, &b);
    printf("    steps per op, n=%zu / n=%zu: ZRANK %.1f / %.1f, ZRANGE from the middle %.1f / %.1f, "
           "ZADD (score change) %.1f / %.1f, ZREM %.1f / %.1f\n",
           small, big, a.rank, b.rank, a.range_mid, b.range_mid, a.add, b.add, a.rem, b.rem);
    /* p = 1/4: the expected walk is about 2 log2 n steps; 4 log2 n leaves room */
    EPT_CHECK(a.rank <= 4 * lg_small && b.rank <= 4 * lg_big);
    EPT_CHECK(a.range_mid <= 4 * lg_small && b.range_mid <= 4 * lg_big);
    EPT_CHECK(a.add <= 8 * lg_small && b.add <= 8 * lg_big);
    EPT_CHECK(a.rem <= 4 * lg_small && b.rem <= 4 * lg_big);
    /* growth: n grew big/small times; a linear walk would grow as much */
    EPT_CHECK(b.rank < a.rank * 2.5 && b.range_mid < a.range_mid * 2.5 && b.add < a.add * 2.5);
}

EPT_MAIN()
