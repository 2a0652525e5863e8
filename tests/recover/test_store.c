/* The store handle (recover/store.h):
 *  - every operation against the reference model (tests/support/model.c)
 *    with a printed seed: the answer Redis would give, computed from the
 *    model's state; the records it implies applied to the model; the whole
 *    keyspace compared after every call; reopen, snapshot and rewrite on the
 *    way; whatever logs nothing (refusals, no-ops, reads) leaves the AOF's
 *    size alone, and whatever changes something grows it;
 *  - WRONGTYPE, non-integer, overflow and NaN refusals log nothing;
 *  - TTLs as deadlines: across reopen, snapshot and rewrite; lazy and active expiry;
 *  - power loss (sim_vfs) at every vfs operation of open / writes / snapshot /
 *    rewrite / close: every acknowledged (synced) write survives, nothing is
 *    applied twice;
 *  - fault_vfs fail-Nth and failing-allocator loops: clean errors, no leak. */
#include "ember_persist.h"
#include "harness.h"
#include "support/counting.h"
#include "support/fault_vfs.h"
#include "support/model.h"
#include "support/sim_vfs.h"

#include <math.h>
#include <stdlib.h>

#define T0 1700000000000LL

static int64_t g_now = T0;
static int64_t wall(void *u) {
    (void)u;
    return g_now;
}
static uint64_t mono(void *u) {
    (void)u;
    return (uint64_t)g_now;
}

static void config(ep_store_config *c, ep_vfs *vfs, ep_fsync_policy policy) {
    ep_store_config_init(c);
    c->vfs = vfs;
    c->fsync = policy;
    c->create_dir = 1;
    c->wall_clock_ms = wall;
    c->clock_ms = mono;
}

static uint64_t aof_size(ep_vfs *vfs) {
    uint64_t n = 0;
    (void)vfs->stat(vfs, "d/shard-0.aof", &n, NULL);
    return n;
}

static int beq(ep_bytes a, ep_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static int same_dump(const ep_store *st, const ept_model *m) {
    char *a = ept_ks_dump(ep_store_keyspace(st)), *b = ept_model_dump(m);
    int same = strcmp(a, b) == 0;
    if (!same) fprintf(stderr, "store:\n%s\nmodel:\n%s\n", a, b);
    free(a);
    free(b);
    return same;
}

/* ---- the model side of each operation ---- */

static const char *const K[] = {"k0", "k1", "k2", "k3"};
static const char *const M[] = {"a", "b", "c"};
static const char *const V[] = {"", "1", "-3", "x", "9223372036854775807", "abc", "b"};

static uint64_t rnd(uint64_t *s, uint64_t n) {
    return ept_rand(s) % n;
}

static int mtype(const ept_model *m, ep_bytes k) {
    int t = -1;
    return ept_model_key(m, k, &t, NULL, NULL) ? t : -1;
}

static size_t mlen(const ept_model *m, ep_bytes k) {
    static ep_item items[512];
    int t = mtype(m, k);
    ep_bytes s;
    if (t == EP_TYPE_STRING) {
        ept_model_key(m, k, NULL, NULL, &s);
        return s.len;
    }
    return t < 0 ? 0 : ept_model_elems(m, k, items, 512);
}

/* The element named a of the model's key, or NULL. */
static const ep_item *mfind(const ept_model *m, ep_bytes k, ep_bytes a) {
    static ep_item items[512];
    size_t n = ept_model_elems(m, k, items, 512), i;
    for (i = 0; i < n; i++)
        if (beq(items[i].a, a)) return &items[i];
    return NULL;
}

/* distinct names among n that are (present=1) or are not (0) in the model key */
static size_t mcount(const ept_model *m, ep_bytes k, const ep_bytes *names, uint32_t n, int present) {
    size_t c = 0;
    uint32_t i, j;
    for (i = 0; i < n; i++) {
        int dup = 0;
        for (j = 0; j < i; j++) dup |= beq(names[i], names[j]);
        if (!dup && (mfind(m, k, names[i]) != NULL) == present) c++;
    }
    return c;
}

/* One random operation on both sides; *logged says whether it should have
 * grown the AOF. */
static void one_op(ep_store *st, ept_model *m, uint64_t *rng, int *logged) {
    ep_bytes k = ept_b(K[rnd(rng, 4)]), k2 = ept_b(K[rnd(rng, 4)]), v = ept_b(V[rnd(rng, 7)]);
    ep_bytes mem[2];
    int op = (int)rnd(rng, 34), t = mtype(m, k), i1 = 0;
    size_t z = 0, len0 = mlen(m, k);
    int64_t i64 = 0, idx = (int64_t)rnd(rng, 7) - 3;
    ep_result r;
    ep_aof_record rec[2];
    int nrec = 0;
    ep_bytes out;
    ep_buf b;
    uint32_t nm = 1 + (uint32_t)rnd(rng, 2);
    mem[0] = ept_b(M[rnd(rng, 3)]);
    mem[1] = ept_b(M[rnd(rng, 3)]);
    *logged = 0;
#define WANT_TYPE(ty) if (t >= 0 && t != (ty)) { EPT_CHECK_EQ(r, EP_ERR_WRONG_TYPE); return; }
    switch (op) {
    case 0: { /* SET [ttl] [NX|XX|KEEPTTL] */
        static const unsigned fl[] = {0, 0, EP_STORE_NX, EP_STORE_XX, EP_STORE_KEEPTTL};
        unsigned f = fl[rnd(rng, 5)];
        int64_t ttl = f == EP_STORE_KEEPTTL || rnd(rng, 2) ? -1 : 5000, oldttl = -1;
        if (t >= 0) ept_model_key(m, k, NULL, &oldttl, NULL);
        r = ep_store_set(st, k, v, ttl, f);
        if (f == EP_STORE_NX && t >= 0) { EPT_CHECK_EQ(r, EP_ERR_EXISTS); return; }
        if (f == EP_STORE_XX && t < 0) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        EPT_CHECK_OK(r);
        if (f == EP_STORE_KEEPTTL && t >= 0 && oldttl > 0) ttl = oldttl;
        rec[nrec] = ept_rec(EP_AOF_SET, K[0]);
        rec[nrec].key = k;
        rec[nrec].value = v;
        rec[nrec++].num = ttl;
        if (ttl > 0) {
            rec[nrec] = ept_rec(EP_AOF_PEXPIREAT, NULL);
            rec[nrec].key = k;
            rec[nrec++].num = g_now + ttl;
        }
        break;
    }
    case 1: /* GET */
        r = ep_store_get(st, k, &out);
        WANT_TYPE(EP_TYPE_STRING);
        if (t < 0) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        EPT_CHECK_OK(r);
        {
            ep_bytes want;
            ept_model_key(m, k, NULL, NULL, &want);
            EPT_CHECK(beq(out, want));
        }
        return;
    case 2: /* DEL */
        EPT_CHECK_OK(ep_store_del(st, k, &i1));
        EPT_CHECK_EQ(i1, t >= 0);
        if (t < 0) return;
        rec[nrec] = ept_rec(EP_AOF_DEL, NULL);
        rec[nrec++].key = k;
        break;
    case 3: case 4: { /* INCR DECR INCRBY DECRBY */
        static const int64_t deltas[] = {1, -1, 5, INT64_MAX, INT64_MIN};
        int kind = (int)rnd(rng, 4);
        int64_t d = kind < 2 ? 1 : deltas[rnd(rng, 5)], add, cur = 0;
        uint8_t tag = kind == 0 ? EP_AOF_INCR : kind == 1 ? EP_AOF_DECR : kind == 2 ? EP_AOF_INCRBY : EP_AOF_DECRBY;
        int ok = 1;
        switch (kind) {
        case 0: r = ep_store_incr(st, k, &i64); add = 1; break;
        case 1: r = ep_store_decr(st, k, &i64); add = -1; break;
        case 2: r = ep_store_incrby(st, k, d, &i64); add = d; break;
        default:
            r = ep_store_decrby(st, k, d, &i64);
            add = d == INT64_MIN ? 0 : -d;
            ok = d != INT64_MIN;
            break;
        }
        if (!ok) { EPT_CHECK_EQ(r, EP_ERR_BAD_VALUE); return; } /* Redis checks DECRBY's range first */
        WANT_TYPE(EP_TYPE_STRING);
        if (t >= 0) {
            ep_bytes s;
            ept_model_key(m, k, NULL, NULL, &s);
            ok = ok && ep_parse_i64(s.data, s.len, &cur);
        }
        ok = ok && !((add > 0 && cur > INT64_MAX - add) || (add < 0 && cur < INT64_MIN - add));
        if (!ok) { EPT_CHECK_EQ(r, EP_ERR_BAD_VALUE); return; }
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(i64, cur + add);
        rec[nrec] = ept_rec(tag, NULL);
        rec[nrec].key = k;
        rec[nrec++].num = d;
        break;
    }
    case 5: /* APPEND */
        r = ep_store_append(st, k, v, &z);
        WANT_TYPE(EP_TYPE_STRING);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, len0 + v.len);
        rec[nrec] = ept_rec(EP_AOF_APPEND, NULL);
        rec[nrec].key = k;
        rec[nrec++].value = v;
        break;
    case 6: { /* EXPIRE / PEXPIRE */
        static const int64_t secs[] = {-1, 0, 10, 100};
        int ms = (int)rnd(rng, 2);
        int64_t amount = ms ? secs[rnd(rng, 4)] * 150 : secs[rnd(rng, 4)];
        int64_t total = ms ? amount : amount * 1000;
        r = ms ? ep_store_pexpire(st, k, amount, &i1) : ep_store_expire(st, k, amount, &i1);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(i1, t >= 0);
        if (t < 0) return;
        rec[nrec] = ept_rec(total <= 0 ? EP_AOF_DEL : EP_AOF_PEXPIREAT, NULL);
        rec[nrec].key = k;
        rec[nrec++].num = g_now + total;
        break;
    }
    case 7: { /* PERSIST */
        int64_t ttl = -1;
        if (t >= 0) ept_model_key(m, k, NULL, &ttl, NULL);
        EPT_CHECK_OK(ep_store_persist(st, k, &i1));
        EPT_CHECK_EQ(i1, t >= 0 && ttl >= 0);
        if (!i1) return;
        rec[nrec] = ept_rec(EP_AOF_PERSIST, NULL);
        rec[nrec++].key = k;
        break;
    }
    case 8: { /* TTL */
        int64_t ttl = -1;
        r = ep_store_ttl(st, k, &i64);
        if (t < 0) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        ept_model_key(m, k, NULL, &ttl, NULL);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(i64, ttl);
        return;
    }
    case 9: /* RENAME */
        r = ep_store_rename(st, k, k2);
        if (t < 0) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        EPT_CHECK_OK(r);
        if (beq(k, k2)) return;
        rec[nrec] = ept_rec(EP_AOF_RENAME, NULL);
        rec[nrec].key = k;
        rec[nrec++].key2 = k2;
        break;
    case 10: { /* COPY */
        int rep = (int)rnd(rng, 2);
        r = ep_store_copy(st, k, k2, rep, &i1);
        if (t >= 0 && beq(k, k2)) { EPT_CHECK_EQ(r, EP_ERR_INVALID_ARG); return; }
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(i1, t >= 0 && (rep || mtype(m, k2) < 0));
        if (!i1) return;
        rec[nrec] = ept_rec(EP_AOF_COPY, NULL);
        rec[nrec].key = k;
        rec[nrec].key2 = k2;
        rec[nrec++].flag = (uint8_t)rep;
        break;
    }
    case 11: case 12: { /* LPUSH / RPUSH */
        const char *vs[2];
        ep_bytes vb[2];
        vs[0] = V[rnd(rng, 7)];
        vs[1] = V[rnd(rng, 7)];
        vb[0] = ept_b(vs[0]);
        vb[1] = ept_b(vs[1]);
        r = op == 11 ? ep_store_lpush(st, k, vb, nm, &z) : ep_store_rpush(st, k, vb, nm, &z);
        WANT_TYPE(EP_TYPE_LIST);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, len0 + nm);
        rec[nrec] = ept_rec(op == 11 ? EP_AOF_LPUSH : EP_AOF_RPUSH, NULL);
        rec[nrec].key = k;
        rec[nrec++].items = ept_items_strs(EP_ITEMS_BYTES, (int)nm, vs);
        break;
    }
    case 13: { /* LPOP / RPOP */
        int front = (int)rnd(rng, 2);
        static ep_item items[512];
        ep_buf_init(&b, NULL);
        r = front ? ep_store_lpop(st, k, &b) : ep_store_rpop(st, k, &b);
        if (t >= 0 && t != EP_TYPE_LIST) { ep_buf_free(&b); EPT_CHECK_EQ(r, EP_ERR_WRONG_TYPE); return; }
        if (t < 0) { ep_buf_free(&b); EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        ept_model_elems(m, k, items, 512);
        i1 = r == EP_OK && beq(ep_bytes_of(b.data, b.len), items[front ? 0 : len0 - 1].a);
        ep_buf_free(&b);
        EPT_CHECK(i1);
        rec[nrec] = ept_rec(front ? EP_AOF_LPOP : EP_AOF_RPOP, NULL);
        rec[nrec++].key = k;
        break;
    }
    case 14: { /* LLEN / LINDEX */
        static ep_item items[512];
        r = ep_store_llen(st, k, &z);
        WANT_TYPE(EP_TYPE_LIST);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, len0);
        r = ep_store_lindex(st, k, idx, &out);
        ept_model_elems(m, k, items, 512);
        {
            int64_t p = idx < 0 ? idx + (int64_t)len0 : idx;
            if (p < 0 || p >= (int64_t)len0) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
            EPT_CHECK(r == EP_OK && beq(out, items[p].a));
        }
        return;
    }
    case 15: { /* LSET */
        int64_t p = idx < 0 ? idx + (int64_t)len0 : idx;
        r = ep_store_lset(st, k, idx, v);
        WANT_TYPE(EP_TYPE_LIST);
        if (t < 0) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        if (p < 0 || p >= (int64_t)len0) { EPT_CHECK_EQ(r, EP_ERR_LIMIT); return; }
        EPT_CHECK_OK(r);
        rec[nrec] = ept_rec(EP_AOF_LSET, NULL);
        rec[nrec].key = k;
        rec[nrec].num = idx;
        rec[nrec++].value = v;
        break;
    }
    case 16: { /* LTRIM */
        int64_t e = (int64_t)rnd(rng, 7) - 3;
        r = ep_store_ltrim(st, k, idx, e);
        WANT_TYPE(EP_TYPE_LIST);
        EPT_CHECK_OK(r);
        if (t < 0) return;
        rec[nrec] = ept_rec(EP_AOF_LTRIM, NULL);
        rec[nrec].key = k;
        rec[nrec].num = idx;
        rec[nrec++].num2 = e;
        break;
    }
    case 17: { /* LINSERT */
        int before = (int)rnd(rng, 2);
        ep_bytes pivot = ept_b(V[rnd(rng, 7)]);
        r = ep_store_linsert(st, k, before, pivot, v, &i64);
        WANT_TYPE(EP_TYPE_LIST);
        EPT_CHECK_OK(r);
        if (t < 0) { EPT_CHECK_EQ(i64, 0); return; }
        if (!mfind(m, k, pivot)) { EPT_CHECK_EQ(i64, -1); return; }
        EPT_CHECK_EQ(i64, (int64_t)len0 + 1);
        rec[nrec] = ept_rec(EP_AOF_LINSERT, NULL);
        rec[nrec].key = k;
        rec[nrec].flag = (uint8_t)before;
        rec[nrec].pivot = pivot;
        rec[nrec++].value = v;
        break;
    }
    case 18: { /* LREM */
        static ep_item items[512];
        int64_t count = (int64_t)rnd(rng, 5) - 2;
        size_t n = t == EP_TYPE_LIST ? ept_model_elems(m, k, items, 512) : 0, i, matches = 0, want;
        for (i = 0; i < n; i++) matches += beq(items[i].a, v) ? 1u : 0u;
        r = ep_store_lrem(st, k, count, v, &z);
        WANT_TYPE(EP_TYPE_LIST);
        EPT_CHECK_OK(r);
        want = count == 0 ? matches : (size_t)(count < 0 ? -count : count);
        if (want > matches) want = matches;
        EPT_CHECK_EQ(z, want);
        if (!matches) return;
        rec[nrec] = ept_rec(EP_AOF_LREM, NULL);
        rec[nrec].key = k;
        rec[nrec].num = count;
        rec[nrec++].value = v;
        break;
    }
    case 19: { /* HSET */
        const char *p[4];
        ep_bytes vals[2];
        p[0] = M[rnd(rng, 3)];
        p[1] = V[rnd(rng, 7)];
        p[2] = M[rnd(rng, 3)];
        p[3] = V[rnd(rng, 7)];
        mem[0] = ept_b(p[0]);
        mem[1] = ept_b(p[2]);
        vals[0] = ept_b(p[1]);
        vals[1] = ept_b(p[3]);
        r = ep_store_hset(st, k, mem, vals, nm, &z);
        WANT_TYPE(EP_TYPE_HASH);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, mcount(m, k, mem, nm, 0));
        rec[nrec] = ept_rec(EP_AOF_HSET, NULL);
        rec[nrec].key = k;
        rec[nrec++].items = ept_items_pairs((int)nm, p);
        break;
    }
    case 20: { /* HGET */
        const ep_item *it;
        r = ep_store_hget(st, k, mem[0], &out);
        WANT_TYPE(EP_TYPE_HASH);
        it = t < 0 ? NULL : mfind(m, k, mem[0]);
        if (!it) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        EPT_CHECK(r == EP_OK && beq(out, it->b));
        return;
    }
    case 21: case 24: case 28: { /* HDEL SREM ZREM */
        uint8_t ty = op == 21 ? EP_TYPE_HASH : op == 24 ? EP_TYPE_SET : EP_TYPE_ZSET;
        const char *s[2];
        size_t want = t == ty ? mcount(m, k, mem, nm, 1) : 0;
        s[0] = (const char *)mem[0].data;
        s[1] = (const char *)mem[1].data;
        r = op == 21 ? ep_store_hdel(st, k, mem, nm, &z) : op == 24 ? ep_store_srem(st, k, mem, nm, &z)
                                                                  : ep_store_zrem(st, k, mem, nm, &z);
        WANT_TYPE(ty);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, want);
        if (!want) return;
        rec[nrec] = ept_rec(op == 21 ? EP_AOF_HDEL : op == 24 ? EP_AOF_SREM : EP_AOF_ZREM, NULL);
        rec[nrec].key = k;
        rec[nrec++].items = ept_items_strs(EP_ITEMS_STR, (int)nm, s);
        break;
    }
    case 22: { /* HINCRBY */
        static const int64_t deltas[] = {1, -2, INT64_MAX, INT64_MIN};
        int64_t d = deltas[rnd(rng, 4)], cur = 0;
        const ep_item *it = t == EP_TYPE_HASH ? mfind(m, k, mem[0]) : NULL;
        int ok = 1;
        r = ep_store_hincrby(st, k, mem[0], d, &i64);
        WANT_TYPE(EP_TYPE_HASH);
        if (it) ok = ep_parse_i64(it->b.data, it->b.len, &cur);
        ok = ok && !((d > 0 && cur > INT64_MAX - d) || (d < 0 && cur < INT64_MIN - d));
        if (!ok) { EPT_CHECK_EQ(r, EP_ERR_BAD_VALUE); return; }
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(i64, cur + d);
        rec[nrec] = ept_rec(EP_AOF_HINCRBY, NULL);
        rec[nrec].key = k;
        rec[nrec].key2 = mem[0];
        rec[nrec++].num = d;
        break;
    }
    case 23: { /* SADD */
        const char *s[2];
        s[0] = (const char *)mem[0].data;
        s[1] = (const char *)mem[1].data;
        r = ep_store_sadd(st, k, mem, nm, &z);
        WANT_TYPE(EP_TYPE_SET);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, mcount(m, k, mem, nm, 0));
        rec[nrec] = ept_rec(EP_AOF_SADD, NULL);
        rec[nrec].key = k;
        rec[nrec++].items = ept_items_strs(EP_ITEMS_STR, (int)nm, s);
        break;
    }
    case 25: /* SISMEMBER */
        r = ep_store_sismember(st, k, mem[0], &i1);
        WANT_TYPE(EP_TYPE_SET);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(i1, t >= 0 && mfind(m, k, mem[0]) != NULL);
        return;
    case 26: case 30: case 33: { /* SCARD ZCARD HLEN */
        uint8_t ty = op == 26 ? EP_TYPE_SET : op == 30 ? EP_TYPE_ZSET : EP_TYPE_HASH;
        r = op == 26 ? ep_store_scard(st, k, &z) : op == 30 ? ep_store_zcard(st, k, &z) : ep_store_hlen(st, k, &z);
        WANT_TYPE(ty);
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, len0);
        return;
    }
    case 27: { /* ZADD */
        static const double sc[] = {1, 2, -1, 2.5};
        double s2[2];
        const char *s[2];
        int nan = rnd(rng, 12) == 0;
        s2[0] = nan ? NAN : sc[rnd(rng, 4)];
        s2[1] = sc[rnd(rng, 4)];
        s[0] = (const char *)mem[0].data;
        s[1] = (const char *)mem[1].data;
        r = ep_store_zadd(st, k, s2, mem, nm, &z);
        WANT_TYPE(EP_TYPE_ZSET);
        if (nan) { EPT_CHECK_EQ(r, EP_ERR_BAD_VALUE); return; }
        EPT_CHECK_OK(r);
        EPT_CHECK_EQ(z, mcount(m, k, mem, nm, 0));
        rec[nrec] = ept_rec(EP_AOF_ZADD, NULL);
        rec[nrec].key = k;
        rec[nrec++].items = ept_items_zadd((int)nm, s2, s);
        break;
    }
    case 29: { /* ZSCORE */
        const ep_item *it;
        double s = 0;
        r = ep_store_zscore(st, k, mem[0], &s);
        WANT_TYPE(EP_TYPE_ZSET);
        it = t < 0 ? NULL : mfind(m, k, mem[0]);
        if (!it) { EPT_CHECK_EQ(r, EP_ERR_NOT_FOUND); return; }
        EPT_CHECK(r == EP_OK && s == it->score);
        return;
    }
    case 31: { /* ZRANGE / LRANGE 0 -1, both directions for zsets */
        static ep_item items[512];
        ep_ks_value_iter it;
        ep_item item;
        size_t n, i;
        int rev = (int)rnd(rng, 2), list = t == EP_TYPE_LIST;
        r = list ? ep_store_lrange(st, k, 0, -1, &it, &z) : ep_store_zrange(st, k, 0, -1, rev, &it, &z);
        if (!list) WANT_TYPE(EP_TYPE_ZSET);
        EPT_CHECK_OK(r);
        n = t < 0 ? 0 : ept_model_elems(m, k, items, 512);
        EPT_CHECK_EQ(z, n);
        for (i = 0; i < n; i++) {
            size_t w = rev && !list ? n - 1 - i : i;
            EPT_CHECK(ep_ks_value_next(&it, &item));
            EPT_CHECK(beq(item.a, items[w].a));
        }
        EPT_CHECK(!ep_ks_value_next(&it, &item));
        return;
    }
    default: { /* HGETALL / SMEMBERS: every element once */
        ep_ks_value_iter it;
        ep_item item;
        int hash = t == EP_TYPE_HASH;
        size_t n = 0;
        r = hash ? ep_store_hgetall(st, k, &it) : ep_store_smembers(st, k, &it);
        if (!hash) WANT_TYPE(EP_TYPE_SET);
        EPT_CHECK_OK(r);
        while (ep_ks_value_next(&it, &item)) {
            const ep_item *w = mfind(m, k, item.a);
            EPT_CHECK(w != NULL);
            if (hash) EPT_CHECK(beq(item.b, w->b));
            n++;
        }
        EPT_CHECK_EQ(n, len0);
        return;
    }
    }
#undef WANT_TYPE
    {
        int i;
        for (i = 0; i < nrec; i++) ept_model_apply(m, &rec[i], g_now);
    }
    *logged = 1;
}

EPT_CASE(every_operation_matches_the_model) {
    uint64_t rng = ept_seed();
    long rounds = ept_scale(6, 3), ops = ept_scale(1500, 5), r, i;
    for (r = 0; r < rounds && !ept_failed(); r++) {
        ep_vfs *vfs = NULL;
        ep_store_config c;
        ep_store *st = NULL;
        ept_model *m = ept_model_new();
        g_now = T0;
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
        config(&c, vfs, EP_FSYNC_ALWAYS);
        EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
        for (i = 0; i < ops && !ept_failed(); i++) {
            uint64_t before = aof_size(vfs);
            int logged = 0;
            one_op(st, m, &rng, &logged);
            if (ept_failed()) {
                fprintf(stderr, "    at op %ld of round %ld\n", i, r);
                break;
            }
            if (logged) EPT_CHECK(aof_size(vfs) > before);
            else EPT_CHECK_EQ(aof_size(vfs), before);
            EPT_CHECK(same_dump(st, m));
            if (i % 97 == 96) {
                switch (rnd(&rng, 3)) {
                case 0: EPT_CHECK_OK(ep_store_snapshot(st)); break;
                case 1: EPT_CHECK_OK(ep_store_rewrite(st)); break;
                default: break;
                }
                EPT_CHECK_OK(ep_store_close(st));
                st = NULL;
                EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
                EPT_CHECK(same_dump(st, m));
            }
            if (i % 64 == 63) {
                char *d = ept_model_dump(m); /* keep the model, drop the pool's old items */
                free(d);
            }
        }
        ep_store_close(st);
        ept_model_free(m);
        ept_pool_reset();
        ep_vfs_mem_free(vfs);
    }
    printf("    %ld rounds x %ld operations, each checked against the model\n", rounds, ops);
}

/* Each write that Redis refuses logs nothing and changes nothing. */
EPT_CASE(refusals_log_nothing) {
    ep_vfs *vfs = NULL;
    ep_store_config c;
    ep_store *st = NULL;
    ep_bytes s = EP_LIT("s"), l = EP_LIT("l"), h = EP_LIT("h"), one = EP_LIT("x");
    double nan = NAN, sc = 1;
    int64_t v;
    size_t n;
    uint64_t size;
    char *before;
    ep_buf b;
    g_now = T0;
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    config(&c, vfs, EP_FSYNC_ALWAYS);
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_set(st, s, EP_LIT("text"), -1, 0));
    EPT_CHECK_OK(ep_store_rpush(st, l, &one, 1, &n));
    EPT_CHECK_OK(ep_store_hset(st, h, &one, &one, 1, &n));
    EPT_CHECK_OK(ep_store_set(st, EP_LIT("max"), EP_LIT("9223372036854775807"), -1, 0));
    size = aof_size(vfs);
    before = ept_ks_dump(ep_store_keyspace(st));
    EPT_CHECK_EQ(ep_store_lpush(st, s, &one, 1, &n), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_rpop(st, s, &b), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_hset(st, l, &one, &one, 1, &n), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_sadd(st, h, &one, 1, &n), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_zadd(st, s, &sc, &one, 1, &n), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_incr(st, l, &v), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_append(st, h, one, &n), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_get(st, l, &one), EP_ERR_WRONG_TYPE);
    EPT_CHECK_EQ(ep_store_incr(st, s, &v), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_store_incr(st, EP_LIT("max"), &v), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_store_decrby(st, EP_LIT("new"), INT64_MIN, &v), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_store_hincrby(st, h, one, 1, &v), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_store_zadd(st, EP_LIT("z"), &nan, &one, 1, &n), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_store_set(st, s, one, 0, 0), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_store_set(st, s, one, -1, EP_STORE_NX), EP_ERR_EXISTS);
    EPT_CHECK_EQ(ep_store_set(st, EP_LIT("nope"), one, -1, EP_STORE_XX), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(ep_store_expire(st, s, INT64_MAX, NULL), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_store_lset(st, l, 5, one), EP_ERR_LIMIT);
    EPT_CHECK_EQ(ep_store_rename(st, EP_LIT("nope"), s), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(ep_store_set(st, EP_LIT("\xff"), one, -1, 0), EP_ERR_UTF8);
    EPT_CHECK_EQ(ep_store_error(st)->code, EP_ERR_UTF8);
    EPT_CHECK_EQ(aof_size(vfs), size);
    {
        char *after = ept_ks_dump(ep_store_keyspace(st));
        int same = strcmp(before, after) == 0;
        free(after);
        EPT_CHECK(same);
    }
    free(before);
    ep_buf_free(&b);
    EPT_CHECK_OK(ep_store_close(st));
    ep_vfs_mem_free(vfs);
}

EPT_CASE(ttls_are_deadlines_across_reopen_snapshot_and_rewrite) {
    ep_vfs *vfs = NULL;
    ep_store_config c;
    ep_store *st = NULL;
    int64_t ms;
    int x;
    size_t n;
    ep_bytes v;
    g_now = T0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    config(&c, vfs, EP_FSYNC_ALWAYS);
    c.expire_scan = 0; /* active expiry is tested below */
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_set(st, EP_LIT("a"), EP_LIT("1"), 10000, 0));
    EPT_CHECK_OK(ep_store_set(st, EP_LIT("b"), EP_LIT("2"), -1, 0));
    EPT_CHECK_OK(ep_store_expire(st, EP_LIT("b"), 20, &x));
    EPT_CHECK_EQ(x, 1);
    g_now += 4000;
    EPT_CHECK_OK(ep_store_ttl(st, EP_LIT("a"), &ms));
    EPT_CHECK_EQ(ms, 6000);
    EPT_CHECK_OK(ep_store_close(st));
    g_now += 1000; /* closed for a second: the deadline does not move */
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_ttl(st, EP_LIT("a"), &ms));
    EPT_CHECK_EQ(ms, 5000);
    EPT_CHECK_OK(ep_store_ttl(st, EP_LIT("b"), &ms));
    EPT_CHECK_EQ(ms, 15000);
    g_now += 1000;
    EPT_CHECK_OK(ep_store_snapshot(st));
    g_now += 1000;
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_ttl(st, EP_LIT("a"), &ms));
    EPT_CHECK_EQ(ms, 3000);
    EPT_CHECK_OK(ep_store_rewrite(st));
    g_now += 2999;
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_ttl(st, EP_LIT("a"), &ms));
    EPT_CHECK_EQ(ms, 1);
    /* KEEPTTL keeps the deadline; a plain SET clears it */
    EPT_CHECK_OK(ep_store_set(st, EP_LIT("b"), EP_LIT("3"), -1, EP_STORE_KEEPTTL));
    EPT_CHECK_OK(ep_store_ttl(st, EP_LIT("b"), &ms));
    EPT_CHECK_EQ(ms, 20000 - 9999);
    g_now += 1; /* a expires: reads see nothing, a write starts afresh */
    EPT_CHECK_EQ(ep_store_get(st, EP_LIT("a"), &v), EP_ERR_NOT_FOUND);
    EPT_CHECK_OK(ep_store_exists(st, EP_LIT("a"), &x));
    EPT_CHECK_EQ(x, 0);
    EPT_CHECK_EQ(ep_store_ttl(st, EP_LIT("a"), &ms), EP_ERR_NOT_FOUND);
    v = EP_LIT("x");
    EPT_CHECK_OK(ep_store_rpush(st, EP_LIT("a"), &v, 1, &n));
    EPT_CHECK_EQ(n, 1);
    EPT_CHECK_OK(ep_store_ttl(st, EP_LIT("a"), &ms));
    EPT_CHECK_EQ(ms, -1);
    EPT_CHECK_OK(ep_store_persist(st, EP_LIT("b"), &x));
    EPT_CHECK_EQ(x, 1);
    EPT_CHECK_OK(ep_store_pexpire(st, EP_LIT("b"), 0, &x)); /* <= 0 deletes */
    EPT_CHECK_OK(ep_store_exists(st, EP_LIT("b"), &x));
    EPT_CHECK_EQ(x, 0);
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_EQ(ep_keyspace_count(ep_store_keyspace(st)), 1);
    EPT_CHECK_OK(ep_store_close(st));
    ep_vfs_mem_free(vfs);
}

EPT_CASE(tick_expires_keys_and_rewrites_a_grown_aof) {
    ep_vfs *vfs = NULL;
    ep_store_config c;
    ep_store *st = NULL;
    uint64_t big;
    int i;
    g_now = T0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    config(&c, vfs, EP_FSYNC_EVERYSEC);
    c.rewrite_factor = 2;
    c.rewrite_min_bytes = 4096;
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    for (i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof k, "t%d", i);
        EPT_CHECK_OK(ep_store_set(st, ep_bytes_str(k), EP_LIT("v"), i < 50 ? 100 : -1, 0));
    }
    g_now += 200;
    for (i = 0; i < 20; i++) EPT_CHECK_OK(ep_store_tick(st));
    EPT_CHECK_EQ(ep_keyspace_count(ep_store_keyspace(st)), 50);
    /* overwrite one key until the AOF is 2x the snapshot and > 4 KiB */
    for (i = 0; i < 400; i++) EPT_CHECK_OK(ep_store_set(st, EP_LIT("t99"), EP_LIT("0123456789"), -1, 0));
    EPT_CHECK_OK(ep_store_sync(st));
    big = aof_size(vfs);
    g_now += 1000;
    EPT_CHECK_OK(ep_store_tick(st));
    EPT_CHECK(aof_size(vfs) < big / 4);
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_EQ(ep_keyspace_count(ep_store_keyspace(st)), 50);
    EPT_CHECK_OK(ep_store_close(st));
    ep_vfs_mem_free(vfs);
}

EPT_CASE(open_refuses_what_it_cannot_write_over) {
    ep_vfs *vfs = NULL;
    ep_store_config c;
    ep_store *st = NULL;
    ep_error err;
    g_now = T0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    config(&c, vfs, EP_FSYNC_ALWAYS);
    c.error_out = &err;
    c.create_dir = 0;
    EPT_CHECK_EQ(ep_store_open("d", 0, &c, &st), EP_ERR_NOT_FOUND);
    EPT_CHECK(st == NULL && err.code == EP_ERR_NOT_FOUND);
    c.create_dir = 1;
    EPT_CHECK_OK(ep_store_open("d/e/f", 0, &c, &st));
    EPT_CHECK_OK(ep_store_set(st, EP_LIT("k"), EP_LIT("v"), -1, 0));
    EPT_CHECK_OK(ep_store_snapshot(st));
    {
        ep_store *second = NULL; /* one store per shard: the AOF is locked */
        EPT_CHECK(ep_store_open("d/e/f", 0, &c, &second) != EP_OK);
        EPT_CHECK(second == NULL);
    }
    EPT_CHECK_OK(ep_store_close(st));
    /* a damaged snapshot is not written over */
    {
        uint8_t *data;
        size_t len;
        ep_error e2;
        EPT_CHECK_OK(ep_vfs_read_all(vfs, "d/e/f/shard-0.snap", NULL, 1 << 20, &data, &len, &e2));
        data[len / 2] ^= 0x40;
        EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/e/f/shard-0.snap", data, len, &e2));
        ep_free(ep_allocator_default(), data);
    }
    EPT_CHECK(ep_store_open("d/e/f", 0, &c, &st) != EP_OK);
    EPT_CHECK(st == NULL && err.code != EP_OK);
    EPT_CHECK_EQ(ep_store_open(NULL, 0, &c, &st), EP_ERR_INVALID_ARG);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(encrypted_store_round_trips_and_refuses_without_its_key) {
    ep_vfs *vfs = NULL;
    ep_store_config c;
    ep_store *st = NULL;
    ep_key *key = NULL;
    uint8_t kb[EP_KEY_SIZE];
    ep_bytes v;
    int64_t n;
    memset(kb, 0x5a, sizeof kb);
    g_now = T0;
    EPT_CHECK_OK(ep_key_create(kb, NULL, &key));
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    config(&c, vfs, EP_FSYNC_ALWAYS);
    c.key = key;
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_set(st, EP_LIT("secret"), EP_LIT("v1"), -1, 0));
    EPT_CHECK_OK(ep_store_incr(st, EP_LIT("n"), &n));
    EPT_CHECK_OK(ep_store_snapshot(st));
    EPT_CHECK_OK(ep_store_incr(st, EP_LIT("n"), &n));
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_get(st, EP_LIT("secret"), &v));
    EPT_CHECK(v.len == 2 && memcmp(v.data, "v1", 2) == 0);
    EPT_CHECK_OK(ep_store_incr(st, EP_LIT("n"), &n));
    EPT_CHECK_EQ(n, 3);
    EPT_CHECK_OK(ep_store_rewrite(st));
    EPT_CHECK_OK(ep_store_close(st));
    c.key = NULL; /* no key: refused, never opened as an empty store */
    EPT_CHECK(ep_store_open("d", 0, &c, &st) != EP_OK);
    EPT_CHECK(st == NULL);
    c.key = key;
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    EPT_CHECK_OK(ep_store_get(st, EP_LIT("n"), &v));
    EPT_CHECK(v.len == 1 && v.data[0] == '3');
    EPT_CHECK_OK(ep_store_close(st));
    ep_vfs_mem_free(vfs);
    ep_key_free(key);
}

/* Damage to any byte of the AOF, inside the prefix a snapshot covers or
 * after it: open either refuses or recovers a state the writes allow
 * (5 or 6 increments); never one with covered records applied twice. */
EPT_CASE(damaged_aof_byte_never_doubles_covered_records) {
    ep_vfs *vfs = NULL;
    ep_store_config c;
    ep_store *st = NULL;
    uint8_t *orig = NULL, *data = NULL;
    size_t len = 0, i;
    ep_error e;
    long refused = 0, opened = 0;
    int k;
    g_now = T0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    config(&c, vfs, EP_FSYNC_ALWAYS);
    EPT_CHECK_OK(ep_store_open("d", 0, &c, &st));
    for (k = 0; k < 5; k++) EPT_CHECK_OK(ep_store_incr(st, EP_LIT("c"), NULL));
    EPT_CHECK_OK(ep_store_snapshot(st));
    EPT_CHECK_OK(ep_store_incr(st, EP_LIT("c"), NULL));
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "d/shard-0.aof", NULL, 1 << 20, &orig, &len, &e));
    data = (uint8_t *)malloc(len);
    for (i = 0; i < len && !ept_failed(); i++) {
        ep_bytes v;
        int64_t n = -1;
        memcpy(data, orig, len);
        data[i] ^= 0x20;
        EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/shard-0.aof", data, len, &e));
        if (ep_store_open("d", 0, &c, &st) != EP_OK) {
            refused++;
            continue;
        }
        opened++;
        if (ep_store_get(st, EP_LIT("c"), &v) == EP_OK) ep_parse_i64(v.data, v.len, &n);
        if (n != 5 && n != 6) {
            fprintf(stderr, "    byte %lu flipped: c = %lld\n", (unsigned long)i, (long long)n);
            ept_fail(__FILE__, __LINE__, "a state the writes do not allow");
        }
        EPT_CHECK_OK(ep_store_close(st));
    }
    printf("    %lu bytes flipped: %ld refused, %ld recovered 5 or 6\n", (unsigned long)len, refused, opened);
    free(data);
    ep_free(ep_allocator_default(), orig);
    ep_vfs_mem_free(vfs);
}

/* ---- power loss ------------------------------------------------------------ */

#define CRASH_STEPS 14

/* Step i: INCR c on even steps, RPUSH l "i" on odd ones; a snapshot after
 * step 4, a rewrite after step 9, close at the end. *acked: steps whose
 * call returned OK (synced under ALWAYS); *attempted: steps tried. */
static ep_fsync_policy g_policy = EP_FSYNC_ALWAYS;

/* Under EVERYSEC a step is acknowledged by the ep_store_sync after every
 * third one (and the close); under ALWAYS by its own call. */
static void crash_workload(ep_vfs *vfs, int *acked, int *attempted) {
    ep_store_config c;
    ep_store *st = NULL;
    int i, done = 0;
    *acked = *attempted = 0;
    config(&c, vfs, g_policy);
    if (ep_store_open("d", 0, &c, &st) != EP_OK) return;
    for (i = 0; i < CRASH_STEPS; i++) {
        char v[8];
        ep_bytes b;
        ep_result r;
        snprintf(v, sizeof v, "%d", i);
        b = ep_bytes_str(v);
        *attempted = i + 1;
        r = i % 2 == 0 ? ep_store_incr(st, EP_LIT("c"), NULL) : ep_store_rpush(st, EP_LIT("l"), &b, 1, NULL);
        if (r != EP_OK) break;
        done = i + 1;
        if (g_policy == EP_FSYNC_ALWAYS) *acked = done;
        if (i == 4 && ep_store_snapshot(st) != EP_OK) break; /* a snapshot syncs the AOF first */
        if (i == 4) *acked = done;
        if (i == 9 && ep_store_rewrite(st) != EP_OK) break;
        if (i == 9) *acked = done;
        if (i % 3 == 2 && g_policy != EP_FSYNC_ALWAYS) {
            if (ep_store_sync(st) != EP_OK) break;
            *acked = done;
        }
    }
    if (ep_store_close(st) == EP_OK && st) *acked = done;
}

/* The state after the first j steps. */
static void crash_state(int j, int64_t *c, char *list, size_t cap) {
    int i;
    size_t n = 0;
    *c = 0;
    list[0] = 0;
    for (i = 0; i < j; i++) {
        if (i % 2 == 0) (*c)++;
        else n += (size_t)snprintf(list + n, cap - n, "%d,", i);
    }
}

static void power_loss_run(void);

EPT_CASE(power_loss_at_every_operation_keeps_acknowledged_writes_once) {
    g_policy = EP_FSYNC_ALWAYS;
    power_loss_run();
}

EPT_CASE(power_loss_under_everysec_keeps_what_was_synced_once) {
    g_policy = EP_FSYNC_EVERYSEC;
    power_loss_run();
    g_policy = EP_FSYNC_ALWAYS;
}

static void power_loss_run(void) {
    uint64_t seed = ept_seed(), total, k;
    ep_vfs *vfs = NULL;
    int acked, attempted;
    long checked = 0;
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    crash_workload(vfs, &acked, &attempted);
    EPT_CHECK_EQ(acked, CRASH_STEPS);
    total = sim_vfs_op_count(vfs);
    sim_vfs_destroy(vfs);
    for (k = 0; k <= total && !ept_failed(); k++) {
        int rep;
        for (rep = 0; rep < 3 && !ept_failed(); rep++) {
            ep_store_config c;
            ep_store *st = NULL;
            ep_ks_value_iter it;
            ep_item item;
            size_t cnt, n = 0;
            int64_t cv = 0;
            char got[128], want[128];
            int j, ok = 0;
            ep_bytes v;
            ep_error oerr;
            g_now = T0;
            EPT_CHECK_OK(sim_vfs_create(&vfs));
            sim_vfs_set_crash_after(vfs, k);
            crash_workload(vfs, &acked, &attempted);
            sim_crash(vfs, seed + k * 7 + (uint64_t)rep);
            sim_vfs_set_crash_after(vfs, SIM_NEVER);
            config(&c, vfs, g_policy);
            c.error_out = &oerr;
            if (ep_store_open("d", 0, &c, &st) != EP_OK) {
                fprintf(stderr, "    k=%llu rep=%d: open: %s\n", (unsigned long long)k, rep, oerr.message);
                EPT_CHECK(0);
            }
            if (ep_store_get(st, EP_LIT("c"), &v) == EP_OK) EPT_CHECK(ep_parse_i64(v.data, v.len, &cv));
            EPT_CHECK_OK(ep_store_lrange(st, EP_LIT("l"), 0, -1, &it, &cnt));
            got[0] = 0;
            while (ep_ks_value_next(&it, &item)) {
                memcpy(got + n, item.a.data, item.a.len);
                n += item.a.len;
                got[n++] = ',';
                got[n] = 0;
            }
            for (j = acked; j <= attempted && !ok; j++) {
                int64_t wc;
                crash_state(j, &wc, want, sizeof want);
                ok = wc == cv && strcmp(want, got) == 0;
            }
            if (!ok) {
                fprintf(stderr, "    k=%llu rep=%d acked=%d attempted=%d: c=%lld l=%s\n", (unsigned long long)k, rep,
                        acked, attempted, (long long)cv, got);
                ept_fail(__FILE__, __LINE__, "recovered state is not one the acknowledged writes allow");
            }
            /* and the store goes on: what it appends after the crash is
             * read back once more (a trailer left stale by a rewrite cut
             * short must not make the next recovery refuse or skip it) */
            EPT_CHECK_OK(ep_store_incr(st, EP_LIT("c"), &cv));
            EPT_CHECK_OK(ep_store_close(st));
            st = NULL;
            if (ep_store_open("d", 0, &c, &st) != EP_OK) {
                fprintf(stderr, "    k=%llu rep=%d: second open: %s\n", (unsigned long long)k, rep, oerr.message);
                ept_fail(__FILE__, __LINE__, "the store does not reopen after going on");
            } else {
                int64_t again = -1;
                if (ep_store_get(st, EP_LIT("c"), &v) == EP_OK) EPT_CHECK(ep_parse_i64(v.data, v.len, &again));
                EPT_CHECK_EQ(again, cv);
                EPT_CHECK_OK(ep_store_close(st));
            }
            sim_vfs_destroy(vfs);
            checked++;
        }
    }
    printf("    %llu crash points x 3 outcomes, %ld recoveries checked\n", (unsigned long long)total + 1, checked);
}

/* ---- faults and allocation failures --------------------------------------- */

/* open, writes, snapshot, writes, rewrite, a write, close; every INCR counted. */
static void fault_workload(ep_vfs *vfs, const ep_allocator *alloc, int *acked, int *attempted) {
    ep_store_config c;
    ep_store *st = NULL;
    ep_bytes f = EP_LIT("f"), x = EP_LIT("x");
    double one = 1;
    int i;
    *acked = *attempted = 0;
    config(&c, vfs, EP_FSYNC_ALWAYS);
    c.alloc = alloc;
    if (ep_store_open("d", 0, &c, &st) != EP_OK) return;
    for (i = 0; i < 6; i++) {
        (*attempted)++;
        if (ep_store_incr(st, EP_LIT("c"), NULL) == EP_OK) (*acked)++;
        (void)ep_store_hset(st, EP_LIT("h"), &f, &x, 1, NULL);
        (void)ep_store_sadd(st, EP_LIT("s"), &x, 1, NULL);
        (void)ep_store_zadd(st, EP_LIT("z"), &one, &x, 1, NULL);
        (void)ep_store_rpush(st, EP_LIT("l"), &x, 1, NULL);
        (void)ep_store_set(st, EP_LIT("t"), x, 5000, 0);
        if (i == 2) (void)ep_store_snapshot(st);
        if (i == 4) (void)ep_store_rewrite(st);
    }
    (void)ep_store_close(st);
}

static int64_t counter_after(ep_vfs *vfs) {
    ep_store_config c;
    ep_store *st = NULL;
    ep_bytes v;
    int64_t n = -1;
    ep_error err;
    config(&c, vfs, EP_FSYNC_ALWAYS);
    c.error_out = &err;
    if (ep_store_open("d", 0, &c, &st) != EP_OK) {
        fprintf(stderr, "    reopen: %s\n", err.message);
        return -2;
    }
    if (ep_store_get(st, EP_LIT("c"), &v) != EP_OK) n = 0;
    else if (!ep_parse_i64(v.data, v.len, &n)) n = -3;
    ep_store_close(st);
    return n;
}

EPT_CASE(fault_at_every_vfs_operation_is_clean) {
    ep_vfs *mem = NULL, *fv = NULL;
    uint64_t total, n;
    int acked, attempted;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
    EPT_CHECK_OK(fault_vfs_create(mem, &fv));
    fault_workload(fv, NULL, &acked, &attempted);
    EPT_CHECK_EQ(acked, 6);
    total = fault_vfs_count(fv, FAULT_ALL);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(mem);
    for (n = 1; n <= total && !ept_failed(); n++) {
        int64_t c;
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
        EPT_CHECK_OK(fault_vfs_create(mem, &fv));
        fault_vfs_arm(fv, FAULT_ALL, n, EP_ERR_IO);
        fault_workload(fv, NULL, &acked, &attempted);
        fault_vfs_destroy(fv);
        c = counter_after(mem);
        if (c < acked || c > attempted) {
            fprintf(stderr, "    fault at op %llu: counter %lld, acked %d, attempted %d\n", (unsigned long long)n,
                    (long long)c, acked, attempted);
            ept_fail(__FILE__, __LINE__, "counter outside [acked, attempted]");
        }
        ep_vfs_mem_free(mem);
    }
    printf("    %llu fault points\n", (unsigned long long)total);
}

EPT_CASE(allocation_failure_at_every_call_is_clean) {
    long n;
    int done = 0;
    for (n = 0; !done && !ept_failed() && n < 100000; n++) {
        ept_counting f;
        ep_allocator a = ept_counting_alloc(&f);
        ep_vfs *mem = NULL;
        int acked, attempted;
        int64_t c;
        f.fail_after = n;
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
        fault_workload(mem, &a, &acked, &attempted);
        EPT_CHECK_EQ(f.live, 0);
        done = f.fail_after > 0; /* the whole workload ran within n allocations */
        c = counter_after(mem);
        if (c < acked || c > attempted) {
            fprintf(stderr, "    failing allocation %ld: counter %lld, acked %d, attempted %d\n", n, (long long)c,
                    acked, attempted);
            ept_fail(__FILE__, __LINE__, "counter outside [acked, attempted]");
        }
        ep_vfs_mem_free(mem);
    }
    EPT_CHECK(done);
    printf("    %ld allocation failure points\n", n);
}

EPT_MAIN()
