/* Canonical dumps, the reference model, and record builders. The model is
 * deliberately plain: arrays and linear search, a different shape from
 * src/keyspace.c, implementing the same ember-format.md §5.2 rules. */
#include "model.h"
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text buffer ---- */
typedef struct tbuf {
    char *d;
    size_t n, cap;
} tbuf;

static void tb_put(tbuf *t, const char *s, size_t n) {
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->d = (char *)realloc(t->d, t->cap);
        if (!t->d) abort();
    }
    memcpy(t->d + t->n, s, n);
    t->n += n;
    t->d[t->n] = 0;
}
static void tb_str(tbuf *t, const char *s) { tb_put(t, s, strlen(s)); }
static void tb_fmt(tbuf *t, const char *fmt, ...) {
    char b[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    tb_str(t, b);
}
static void tb_esc(tbuf *t, const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        char c = (char)p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
            c == '-' || c == '+')
            tb_put(t, &c, 1);
        else
            tb_fmt(t, "\\x%02x", p[i]);
    }
    if (!t->d) tb_put(t, "", 0);
}
static void tb_score(tbuf *t, double s) {
    if (s != s) tb_str(t, "nan");
    else tb_fmt(t, "%.17g", s);
}
static char *tb_take(tbuf *t) {
    if (!t->d) tb_put(t, "", 0);
    return t->d;
}

static const char *type_name(int type) {
    static const char *names[] = {"string", "list", "zset", "hash", "set", "proto", "vector"};
    return type >= 0 && type <= 6 ? names[type] : "?";
}

/* ---- keyspace dump ---- */
typedef struct pair {
    ep_bytes a, b;
} pair;

static int bcmp_(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}
static int pair_cmp(const void *x, const void *y) {
    const pair *p = (const pair *)x, *q = (const pair *)y;
    return bcmp_(p->a.data, p->a.len, q->a.data, q->a.len);
}

static void dump_entry(tbuf *t, const ep_ks_entry *e) {
    ep_bytes k = ep_ks_entry_key(e);
    uint8_t type = ep_ks_entry_type(e);
    ep_ks_value_iter it;
    ep_item item;
    pair *ps = NULL;
    size_t n = 0, cap = 0, i;
    tb_esc(t, k.data, k.len);
    tb_fmt(t, "|%s|%lld|", type_name(type), (long long)ep_ks_entry_ttl(e));
    if (type == EP_TYPE_STRING) {
        ep_bytes v = ep_ks_entry_value(e);
        tb_esc(t, v.data, v.len);
        return;
    }
    if (type == EP_TYPE_PROTO) {
        ep_bytes tn = ep_ks_entry_type_name(e), v = ep_ks_entry_value(e);
        tb_esc(t, tn.data, tn.len);
        tb_str(t, ":");
        tb_esc(t, v.data, v.len);
        return;
    }
    if (type == EP_TYPE_VECTOR) {
        uint8_t m, q;
        uint32_t c, x;
        ep_ks_entry_vector_config(e, &m, &q, &c, &x, NULL);
        tb_fmt(t, "%u,%u,%u,%u", m, q, c, x);
    }
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            ps = (pair *)realloc(ps, cap * sizeof *ps);
        }
        ps[n].a = item.a;
        ps[n].b = item.b;
        if (type == EP_TYPE_ZSET) {
            tbuf s = {0, 0, 0};
            /* zset order is the keyspace's own: print as we go */
            tb_str(t, n ? "," : "[");
            tb_score(t, item.score);
            tb_str(t, ":");
            tb_esc(t, item.a.data, item.a.len);
            free(s.d);
        }
        n++;
    }
    if (type == EP_TYPE_ZSET) {
        tb_str(t, n ? "]" : "[]");
        free(ps);
        return;
    }
    if ((type == EP_TYPE_HASH || type == EP_TYPE_SET) && n > 1) qsort(ps, n, sizeof *ps, pair_cmp);
    tb_str(t, type == EP_TYPE_LIST || type == EP_TYPE_VECTOR ? "[" : "{");
    for (i = 0; i < n; i++) {
        if (i) tb_str(t, ",");
        tb_esc(t, ps[i].a.data, ps[i].a.len);
        if (type == EP_TYPE_HASH || type == EP_TYPE_VECTOR) {
            tb_str(t, "=");
            tb_esc(t, ps[i].b.data, ps[i].b.len);
        }
    }
    tb_str(t, type == EP_TYPE_LIST || type == EP_TYPE_VECTOR ? "]" : "}");
    free(ps);
}

static void dump_schemas_ks(tbuf *t, const ep_keyspace *ks) {
    size_t i, n = ep_keyspace_schema_count(ks);
    pair *ps = (pair *)calloc(n + 1, sizeof *ps);
    for (i = 0; i < n; i++) ep_keyspace_schema_at(ks, i, &ps[i].a, &ps[i].b);
    if (n > 1) qsort(ps, n, sizeof *ps, pair_cmp);
    for (i = 0; i < n; i++) {
        tb_str(t, "schema ");
        tb_esc(t, ps[i].a.data, ps[i].a.len);
        tb_str(t, "=");
        tb_esc(t, ps[i].b.data, ps[i].b.len);
        tb_str(t, "\n");
    }
    free(ps);
}

char *ept_ks_dump(const ep_keyspace *ks) {
    tbuf t = {0, 0, 0};
    const ep_ks_entry **list;
    size_t n, i;
    if (ep_keyspace_sorted(ks, &list, &n) != EP_OK) abort();
    for (i = 0; i < n; i++) {
        dump_entry(&t, list[i]);
        tb_str(&t, "\n");
    }
    ep_keyspace_sorted_free(ks, list);
    dump_schemas_ks(&t, ks);
    return tb_take(&t);
}

char *ept_ks_dump_key(const ep_keyspace *ks, const char *key) {
    tbuf t = {0, 0, 0};
    const ep_ks_entry *e = ep_keyspace_get(ks, key, strlen(key));
    if (!e) tb_str(&t, "(none)");
    else dump_entry(&t, e);
    return tb_take(&t);
}

/* ---- pool and builders ---- */
#define POOL_MAX 4096
static ep_buf pool[POOL_MAX];
static int pool_n;

static ep_buf *pool_buf(void) {
    ep_buf *b;
    if (pool_n == POOL_MAX) abort();
    b = &pool[pool_n++];
    ep_buf_init(b, NULL);
    return b;
}

void ept_pool_reset(void) {
    int i;
    for (i = 0; i < pool_n; i++) ep_buf_free(&pool[i]);
    pool_n = 0;
}

ep_bytes ept_pool_bytes(const void *data, size_t len) {
    ep_buf *b = pool_buf();
    ep_buf_put(b, data, len);
    return ep_bytes_of(len ? b->data : (const uint8_t *)"", len);
}

ep_bytes ept_b(const char *s) {
    return ep_bytes_of(s, strlen(s));
}

ep_aof_record ept_rec(uint8_t tag, const char *key) {
    ep_aof_record r;
    memset(&r, 0, sizeof r);
    r.tag = tag;
    if (key) r.key = ept_b(key);
    return r;
}

ep_items ept_items_strs(ep_items_kind kind, int n, const char *const *s) {
    ep_bytes v[64];
    ep_items out;
    int i;
    for (i = 0; i < n; i++) v[i] = ept_b(s[i]);
    memset(&out, 0, sizeof out);
    if (ep_items_build(pool_buf(), kind, v, NULL, NULL, (uint32_t)n, &out) != EP_OK) abort();
    return out;
}

ep_items ept_items_zadd(int n, const double *scores, const char *const *members) {
    ep_bytes v[64];
    ep_items out;
    int i;
    for (i = 0; i < n; i++) v[i] = ept_b(members[i]);
    memset(&out, 0, sizeof out);
    if (ep_items_build(pool_buf(), EP_ITEMS_SCORE_MEMBER, v, NULL, scores, (uint32_t)n, &out) != EP_OK) abort();
    return out;
}

ep_items ept_items_pairs(int n, const char *const *s) {
    ep_bytes f[64], v[64];
    ep_items out;
    int i;
    for (i = 0; i < n; i++) {
        f[i] = ept_b(s[2 * i]);
        v[i] = ept_b(s[2 * i + 1]);
    }
    memset(&out, 0, sizeof out);
    if (ep_items_build(pool_buf(), EP_ITEMS_FIELD_VALUE, f, v, NULL, (uint32_t)n, &out) != EP_OK) abort();
    return out;
}

/* ---- the model ---- */
typedef struct mstr {
    uint8_t *d;
    size_t n;
} mstr;

typedef struct melem {
    mstr a, b;
    double score;
} melem;

typedef struct mentry {
    mstr key;
    int type;
    int64_t ttl;
    mstr s, tname;     /* string value / proto data; proto type name */
    melem *el;         /* list items, zset pairs, hash pairs, set members, vector elements */
    size_t nel;
    uint8_t metric, quant;
    uint32_t conn, ef;
} mentry;

struct ept_model {
    mentry *e;
    size_t n;
    melem *sch; /* a = name, b = descriptor */
    size_t nsch;
};

static mstr ms_of(const uint8_t *p, size_t n) {
    mstr s;
    s.d = (uint8_t *)malloc(n ? n : 1);
    if (n) memcpy(s.d, p, n);
    s.n = n;
    return s;
}
static mstr ms_b(ep_bytes b) { return ms_of(b.data, b.len); }
static mstr ms_dup(mstr s) { return ms_of(s.d, s.n); }
static int ms_eq(mstr s, ep_bytes b) { return s.n == b.len && (!b.len || memcmp(s.d, b.data, b.len) == 0); }

static void el_free(melem *x) {
    free(x->a.d);
    free(x->b.d);
}

static void ent_clear_value(mentry *e) {
    size_t i;
    for (i = 0; i < e->nel; i++) el_free(&e->el[i]);
    free(e->el);
    e->el = NULL;
    e->nel = 0;
    free(e->s.d);
    free(e->tname.d);
    e->s.d = e->tname.d = NULL;
    e->s.n = e->tname.n = 0;
}

static long m_find(const ept_model *m, ep_bytes k) {
    size_t i;
    for (i = 0; i < m->n; i++)
        if (ms_eq(m->e[i].key, k)) return (long)i;
    return -1;
}

static void m_del(ept_model *m, long i) {
    ent_clear_value(&m->e[i]);
    free(m->e[i].key.d);
    memmove(&m->e[i], &m->e[i + 1], (m->n - (size_t)i - 1) * sizeof(mentry));
    m->n--;
}

static mentry *m_new(ept_model *m, ep_bytes k, int type) {
    mentry *e;
    m->e = (mentry *)realloc(m->e, (m->n + 1) * sizeof(mentry));
    e = &m->e[m->n++];
    memset(e, 0, sizeof *e);
    e->key = ms_b(k);
    e->type = type;
    e->ttl = -1;
    return e;
}

/* Existing entry of type, a new one if absent, NULL if another type. */
static mentry *m_create(ept_model *m, ep_bytes k, int type) {
    long i = m_find(m, k);
    if (i < 0) return m_new(m, k, type);
    return m->e[i].type == type ? &m->e[i] : NULL;
}
static mentry *m_typed(ept_model *m, ep_bytes k, int type) {
    long i = m_find(m, k);
    return i >= 0 && m->e[i].type == type ? &m->e[i] : NULL;
}

static void m_drop_if_empty(ept_model *m, mentry *e) {
    if (e->nel == 0) m_del(m, (long)(e - m->e));
}

static void el_insert(mentry *e, size_t at, melem x) {
    e->el = (melem *)realloc(e->el, (e->nel + 1) * sizeof(melem));
    memmove(&e->el[at + 1], &e->el[at], (e->nel - at) * sizeof(melem));
    e->el[at] = x;
    e->nel++;
}
static void el_remove(mentry *e, size_t at) {
    el_free(&e->el[at]);
    memmove(&e->el[at], &e->el[at + 1], (e->nel - at - 1) * sizeof(melem));
    e->nel--;
}
static long el_find(const mentry *e, ep_bytes a) {
    size_t i;
    for (i = 0; i < e->nel; i++)
        if (ms_eq(e->el[i].a, a)) return (long)i;
    return -1;
}
static melem mel(ep_bytes a, ep_bytes b, double score) {
    melem x;
    x.a = ms_b(a);
    x.b = ms_b(b);
    x.score = score;
    return x;
}

/* Insert or replace by name (zset score / hash value / vector). */
static void el_upsert(mentry *e, ep_bytes a, ep_bytes b, double score) {
    long i = el_find(e, a);
    if (i >= 0) {
        free(e->el[i].b.d);
        e->el[i].b = ms_b(b);
        e->el[i].score = score;
    } else {
        el_insert(e, e->nel, mel(a, b, score));
    }
}

static int m_parse(const uint8_t *p, size_t n, int64_t *out) {
    char buf[64];
    size_t i = 0;
    char *end;
    long long v;
    if (n == 0 || n >= sizeof buf) {
        /* long inputs: only leading zeros could keep them in range */
        size_t z;
        if (n == 0) return 0;
        z = (p[0] == '+' || p[0] == '-') ? 1 : 0;
        while (z < n && p[z] == '0' && n - z > 25) z++;
        if (n - z >= 30) return 0;
        /* rebuild the shortened text */
        buf[0] = 0;
        if (p[0] == '+' || p[0] == '-') buf[i++] = (char)p[0];
        memcpy(buf + i, p + z, n - z);
        buf[i + n - z] = 0;
        n = i + n - z;
        i = 0;
    } else {
        memcpy(buf, p, n);
        buf[n] = 0;
    }
    if (buf[0] == '+' || buf[0] == '-') i = 1;
    if (!buf[i]) return 0;
    for (; buf[i]; i++)
        if (buf[i] < '0' || buf[i] > '9') return 0;
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno == ERANGE || (size_t)(end - buf) != n) return 0;
    *out = (int64_t)v;
    return 1;
}

static void set_str(mentry *e, const char *s) {
    free(e->s.d);
    e->s = ms_of((const uint8_t *)s, strlen(s));
}

static void m_incr(ept_model *m, ep_bytes k, int64_t d) {
    long i = m_find(m, k);
    mentry *e;
    int64_t v, r;
    char buf[32];
    if (i < 0) {
        e = m_new(m, k, EP_TYPE_STRING);
        set_str(e, "0");
    } else {
        e = &m->e[i];
    }
    if (e->type != EP_TYPE_STRING) return;
    if (!m_parse(e->s.d, e->s.n, &v)) return;
    if (__builtin_add_overflow(v, d, &r)) return;
    snprintf(buf, sizeof buf, "%lld", (long long)r);
    set_str(e, buf);
}

static void m_string_grow(mentry *e, size_t n) {
    if (n <= e->s.n) return;
    e->s.d = (uint8_t *)realloc(e->s.d, n);
    memset(e->s.d + e->s.n, 0, n - e->s.n);
    e->s.n = n;
}

static void m_setrange(ept_model *m, ep_bytes k, int64_t off, ep_bytes v) {
    long i = m_find(m, k);
    uint64_t o = (uint64_t)off, end = o + v.len;
    mentry *e;
    if (i >= 0 && m->e[i].type != EP_TYPE_STRING) return;
    if (end < o || (end > (i >= 0 ? m->e[i].s.n : 0) && end > 536870912u)) return;
    e = i >= 0 ? &m->e[i] : m_new(m, k, EP_TYPE_STRING);
    m_string_grow(e, (size_t)end);
    if (v.len) memcpy(e->s.d + o, v.data, v.len);
}

static void m_setbit(ept_model *m, ep_bytes k, int64_t off, uint8_t bit) {
    long i = m_find(m, k);
    uint64_t o = (uint64_t)off;
    size_t byte;
    mentry *e;
    if (i >= 0 && m->e[i].type != EP_TYPE_STRING) return;
    if (o / 8 + 1 > (i >= 0 ? m->e[i].s.n : 0) && o / 8 + 1 > 536870912u) return;
    e = i >= 0 ? &m->e[i] : m_new(m, k, EP_TYPE_STRING);
    byte = (size_t)(o / 8);
    m_string_grow(e, byte + 1);
    if (bit == 1) e->s.d[byte] |= (uint8_t)(1u << (7 - o % 8));
    else e->s.d[byte] &= (uint8_t)~(1u << (7 - o % 8));
}

static void m_bitop(ept_model *m, const ep_aof_record *r) {
    ep_items_iter it;
    ep_item item;
    mstr src[64];
    size_t ns = 0, maxlen = 0, i, j;
    uint8_t *res;
    long d;
    mentry *e;
    ep_items_iter_init(&it, &r->items);
    while (ep_items_next(&it, &item) && ns < 64) {
        long x = m_find(m, item.a);
        src[ns].d = NULL;
        src[ns].n = 0;
        if (x >= 0 && m->e[x].type == EP_TYPE_STRING) src[ns] = m->e[x].s;
        if (src[ns].n > maxlen) maxlen = src[ns].n;
        ns++;
    }
    res = (uint8_t *)calloc(maxlen + 1, 1);
    for (i = 0; i < maxlen; i++) {
        uint8_t acc = 0;
        for (j = 0; j < ns; j++) {
            uint8_t b = i < src[j].n ? src[j].d[i] : 0;
            if (r->flag == EP_BITOP_NOT) { acc = (uint8_t)~b; break; }
            if (j == 0) acc = b;
            else if (r->flag == EP_BITOP_AND) acc &= b;
            else if (r->flag == EP_BITOP_OR) acc |= b;
            else acc ^= b;
        }
        res[i] = acc;
    }
    d = m_find(m, r->key);
    if (d >= 0) m_del(m, d);
    e = m_new(m, r->key, EP_TYPE_STRING);
    e->s.d = res;
    e->s.n = maxlen;
}

static void m_ltrim(ept_model *m, ep_bytes k, int64_t start, int64_t stop) {
    mentry *e = m_typed(m, k, EP_TYPE_LIST);
    int64_t len, i;
    if (!e) return;
    len = (int64_t)e->nel;
    if (start < 0) start += len;
    if (stop < 0) stop += len;
    if (start < 0) start = 0;
    if (start > stop || start >= len) {
        while (e->nel) el_remove(e, 0);
    } else {
        if (stop >= len) stop = len - 1;
        for (i = len - 1; i > stop; i--) el_remove(e, (size_t)i);
        for (i = 0; i < start; i++) el_remove(e, 0);
    }
    m_drop_if_empty(m, e);
}

static void m_lrem(ept_model *m, ep_bytes k, int64_t count, ep_bytes v) {
    mentry *e = m_typed(m, k, EP_TYPE_LIST);
    long i;
    uint64_t done = 0;
    if (!e) return;
    if (count >= 0) {
        for (i = 0; i < (long)e->nel;) {
            if (ms_eq(e->el[i].a, v) && (count == 0 || done < (uint64_t)count)) {
                el_remove(e, (size_t)i);
                done++;
            } else {
                i++;
            }
        }
    } else {
        uint64_t lim = count == INT64_MIN ? (uint64_t)1 << 63 : (uint64_t)(-count);
        for (i = (long)e->nel - 1; i >= 0; i--) {
            if (done < lim && ms_eq(e->el[i].a, v)) {
                el_remove(e, (size_t)i);
                done++;
            }
        }
    }
    m_drop_if_empty(m, e);
}

static void m_clone_into(mentry *d, const mentry *s) {
    size_t i;
    d->type = s->type;
    d->ttl = s->ttl;
    d->s = ms_dup(s->s);
    d->tname = ms_dup(s->tname);
    d->metric = s->metric;
    d->quant = s->quant;
    d->conn = s->conn;
    d->ef = s->ef;
    d->nel = s->nel;
    d->el = (melem *)malloc((s->nel + 1) * sizeof(melem));
    for (i = 0; i < s->nel; i++) {
        d->el[i].a = ms_dup(s->el[i].a);
        d->el[i].b = ms_dup(s->el[i].b);
        d->el[i].score = s->el[i].score;
    }
}

static void m_items(mentry *e, const ep_items *items, int mode) {
    ep_items_iter it;
    ep_item item;
    ep_items_iter_init(&it, items);
    while (ep_items_next(&it, &item)) {
        switch (mode) {
        case 0: el_insert(e, 0, mel(item.a, item.b, 0)); break;              /* LPUSH */
        case 1: el_insert(e, e->nel, mel(item.a, item.b, 0)); break;         /* RPUSH / list load */
        case 2: el_upsert(e, item.a, item.b, item.score); break;             /* ZADD/HSET/vector */
        case 3: if (el_find(e, item.a) < 0) el_insert(e, e->nel, mel(item.a, item.b, 0)); break; /* SADD */
        default: { long x = el_find(e, item.a); if (x >= 0) el_remove(e, (size_t)x); } /* removals */
        }
    }
}

void ept_model_apply(ept_model *m, const ep_aof_record *r, int64_t now) {
    mentry *e;
    long i, j;
    switch (r->tag) {
    case EP_AOF_SET:
        i = m_find(m, r->key);
        if (i >= 0) m_del(m, i);
        e = m_new(m, r->key, EP_TYPE_STRING);
        e->s = ms_b(r->value);
        e->ttl = r->num < 0 ? -1 : r->num;
        break;
    case EP_AOF_DEL:
        if ((i = m_find(m, r->key)) >= 0) m_del(m, i);
        break;
    case EP_AOF_EXPIRE:
        if ((i = m_find(m, r->key)) >= 0)
            m->e[i].ttl = r->num < 0 ? -1 : (r->num > INT64_MAX / 1000 ? INT64_MAX : r->num * 1000);
        break;
    case EP_AOF_PEXPIRE:
        if ((i = m_find(m, r->key)) >= 0) m->e[i].ttl = r->num < 0 ? -1 : r->num;
        break;
    case EP_AOF_PEXPIREAT:
        if ((i = m_find(m, r->key)) >= 0) m->e[i].ttl = r->num <= now ? 0 : r->num - now;
        break;
    case EP_AOF_PERSIST:
        if ((i = m_find(m, r->key)) >= 0) m->e[i].ttl = -1;
        break;
    case EP_AOF_INCR: m_incr(m, r->key, 1); break;
    case EP_AOF_DECR: m_incr(m, r->key, -1); break;
    case EP_AOF_INCRBY: m_incr(m, r->key, r->num); break;
    case EP_AOF_DECRBY: m_incr(m, r->key, r->num == INT64_MIN ? INT64_MAX : -r->num); break;
    case EP_AOF_APPEND:
        if ((e = m_create(m, r->key, EP_TYPE_STRING)) != NULL) {
            e->s.d = (uint8_t *)realloc(e->s.d, e->s.n + r->value.len + 1);
            if (r->value.len) memcpy(e->s.d + e->s.n, r->value.data, r->value.len);
            e->s.n += r->value.len;
        }
        break;
    case EP_AOF_SETRANGE: m_setrange(m, r->key, r->num, r->value); break;
    case EP_AOF_SETBIT: m_setbit(m, r->key, r->num, r->flag); break;
    case EP_AOF_BITOP: m_bitop(m, r); break;
    case EP_AOF_LPUSH:
    case EP_AOF_RPUSH:
        if ((e = m_create(m, r->key, EP_TYPE_LIST)) != NULL) m_items(e, &r->items, r->tag == EP_AOF_LPUSH ? 0 : 1);
        break;
    case EP_AOF_LPOP:
    case EP_AOF_RPOP:
        if ((e = m_typed(m, r->key, EP_TYPE_LIST)) != NULL) {
            if (e->nel) el_remove(e, r->tag == EP_AOF_LPOP ? 0 : e->nel - 1);
            m_drop_if_empty(m, e);
        }
        break;
    case EP_AOF_LSET:
        if ((e = m_typed(m, r->key, EP_TYPE_LIST)) != NULL) {
            int64_t idx = r->num < 0 ? (int64_t)e->nel + r->num : r->num;
            if (idx >= 0 && idx < (int64_t)e->nel) {
                free(e->el[idx].a.d);
                e->el[idx].a = ms_b(r->value);
            }
        }
        break;
    case EP_AOF_LTRIM: m_ltrim(m, r->key, r->num, r->num2); break;
    case EP_AOF_LINSERT:
        if ((e = m_typed(m, r->key, EP_TYPE_LIST)) != NULL && (j = el_find(e, r->pivot)) >= 0)
            el_insert(e, (size_t)j + (r->flag ? 0 : 1), mel(r->value, ep_bytes_of(NULL, 0), 0));
        break;
    case EP_AOF_LREM: m_lrem(m, r->key, r->num, r->value); break;
    case EP_AOF_ZADD:
        if ((e = m_create(m, r->key, EP_TYPE_ZSET)) != NULL) m_items(e, &r->items, 2);
        break;
    case EP_AOF_HSET:
        if ((e = m_create(m, r->key, EP_TYPE_HASH)) != NULL) m_items(e, &r->items, 2);
        break;
    case EP_AOF_SADD:
        if ((e = m_create(m, r->key, EP_TYPE_SET)) != NULL) m_items(e, &r->items, 3);
        break;
    case EP_AOF_ZREM:
    case EP_AOF_HDEL:
    case EP_AOF_SREM: {
        int t = r->tag == EP_AOF_ZREM ? EP_TYPE_ZSET : r->tag == EP_AOF_HDEL ? EP_TYPE_HASH : EP_TYPE_SET;
        if ((e = m_typed(m, r->key, t)) != NULL) {
            m_items(e, &r->items, 4);
            m_drop_if_empty(m, e);
        }
        break;
    }
    case EP_AOF_HINCRBY:
        if ((e = m_create(m, r->key, EP_TYPE_HASH)) != NULL) {
            int64_t cur = 0, nv;
            char buf[32];
            long x = el_find(e, r->key2);
            if (x < 0 || !m_parse(e->el[x].b.d, e->el[x].b.n, &cur)) cur = 0;
            if (__builtin_add_overflow(cur, r->num, &nv)) nv = r->num > 0 ? INT64_MAX : INT64_MIN;
            snprintf(buf, sizeof buf, "%lld", (long long)nv);
            el_upsert(e, r->key2, ept_b(buf), 0);
        }
        break;
    case EP_AOF_RENAME:
        if ((i = m_find(m, r->key)) >= 0 && !ms_eq(m->e[i].key, r->key2)) {
            mentry moved = m->e[i];
            free(moved.key.d);
            memmove(&m->e[i], &m->e[i + 1], (m->n - (size_t)i - 1) * sizeof(mentry));
            m->n--;
            if ((j = m_find(m, r->key2)) >= 0) m_del(m, j);
            moved.key = ms_b(r->key2);
            m->e = (mentry *)realloc(m->e, (m->n + 1) * sizeof(mentry));
            m->e[m->n++] = moved;
        }
        break;
    case EP_AOF_COPY:
        if ((i = m_find(m, r->key)) >= 0 && !ms_eq(m->e[i].key, r->key2)) {
            mentry c;
            j = m_find(m, r->key2);
            if (j >= 0 && !r->flag) break;
            memset(&c, 0, sizeof c);
            m_clone_into(&c, &m->e[i]);
            if (j >= 0) m_del(m, j);
            c.key = ms_b(r->key2);
            m->e = (mentry *)realloc(m->e, (m->n + 1) * sizeof(mentry));
            m->e[m->n++] = c;
        }
        break;
    case EP_AOF_VADD:
        i = m_find(m, r->key);
        if (i >= 0 && m->e[i].type != EP_TYPE_VECTOR) break;
        if (i < 0) {
            e = m_new(m, r->key, EP_TYPE_VECTOR);
            e->metric = r->flag;
            e->quant = r->flag2;
            e->conn = r->connectivity;
            e->ef = r->expansion_add;
        } else {
            e = &m->e[i];
        }
        el_upsert(e, r->key2, r->vector, 0);
        break;
    case EP_AOF_VREM:
        if ((e = m_typed(m, r->key, EP_TYPE_VECTOR)) != NULL) {
            if ((j = el_find(e, r->key2)) >= 0) el_remove(e, (size_t)j);
            m_drop_if_empty(m, e);
        }
        break;
    case EP_AOF_PROTO_SET:
        if ((i = m_find(m, r->key)) >= 0) m_del(m, i);
        e = m_new(m, r->key, EP_TYPE_PROTO);
        e->tname = ms_b(r->key2);
        e->s = ms_b(r->value);
        e->ttl = r->num < 0 ? -1 : r->num;
        break;
    case EP_AOF_PROTO_REGISTER: {
        size_t x;
        for (x = 0; x < m->nsch; x++) {
            if (ms_eq(m->sch[x].a, r->key)) {
                free(m->sch[x].b.d);
                m->sch[x].b = ms_b(r->value);
                return;
            }
        }
        m->sch = (melem *)realloc(m->sch, (m->nsch + 1) * sizeof(melem));
        m->sch[m->nsch++] = mel(r->key, r->value, 0);
        break;
    }
    default: break;
    }
}

void ept_model_load_entry(ept_model *m, const ep_snap_entry *se) {
    long i = m_find(m, se->key);
    mentry *e;
    if (i >= 0) m_del(m, i);
    e = m_new(m, se->key, se->type);
    e->ttl = se->expire_ms < 0 ? -1 : se->expire_ms;
    switch (se->type) {
    case EP_TYPE_STRING: e->s = ms_b(se->value); break;
    case EP_TYPE_PROTO:
        e->s = ms_b(se->value);
        e->tname = ms_b(se->type_name);
        break;
    case EP_TYPE_LIST: m_items(e, &se->items, 1); break;
    case EP_TYPE_SET: m_items(e, &se->items, 3); break;
    case EP_TYPE_VECTOR:
        e->metric = se->metric;
        e->quant = se->quantization;
        e->conn = se->connectivity;
        e->ef = se->expansion_add;
        m_items(e, &se->items, 2);
        break;
    default: m_items(e, &se->items, 2); break;
    }
}

void ept_model_drop_expired(ept_model *m) {
    size_t i = 0;
    while (i < m->n) {
        if (m->e[i].ttl == 0) m_del(m, (long)i);
        else i++;
    }
}

ept_model *ept_model_new(void) {
    return (ept_model *)calloc(1, sizeof(ept_model));
}

void ept_model_free(ept_model *m) {
    size_t i;
    if (!m) return;
    while (m->n) m_del(m, (long)m->n - 1);
    free(m->e);
    for (i = 0; i < m->nsch; i++) el_free(&m->sch[i]);
    free(m->sch);
    free(m);
}

ept_model *ept_model_clone(const ept_model *m) {
    ept_model *c = ept_model_new();
    size_t i;
    c->e = (mentry *)calloc(m->n + 1, sizeof(mentry));
    for (i = 0; i < m->n; i++) {
        m_clone_into(&c->e[i], &m->e[i]);
        c->e[i].key = ms_dup(m->e[i].key);
    }
    c->n = m->n;
    c->sch = (melem *)calloc(m->nsch + 1, sizeof(melem));
    for (i = 0; i < m->nsch; i++) {
        c->sch[i].a = ms_dup(m->sch[i].a);
        c->sch[i].b = ms_dup(m->sch[i].b);
    }
    c->nsch = m->nsch;
    return c;
}

/* Model dump: same format as ept_ks_dump, computed from the arrays. */
static int ment_cmp(const void *x, const void *y) {
    const mentry *a = *(const mentry *const *)x, *b = *(const mentry *const *)y;
    return bcmp_(a->key.d, a->key.n, b->key.d, b->key.n);
}
static int mel_cmp(const void *x, const void *y) {
    const melem *a = (const melem *)x, *b = (const melem *)y;
    return bcmp_(a->a.d, a->a.n, b->a.d, b->a.n);
}
static int mz_cmp(const void *x, const void *y) {
    const melem *a = (const melem *)x, *b = (const melem *)y;
    int an = isnan(a->score), bn = isnan(b->score);
    if (an && !bn) return 1;
    if (bn && !an) return -1;
    if (!an && a->score != b->score) return a->score < b->score ? -1 : 1;
    return bcmp_(a->a.d, a->a.n, b->a.d, b->a.n);
}

static void mdump_entry(tbuf *t, const mentry *e) {
    melem *els;
    size_t i;
    tb_esc(t, e->key.d, e->key.n);
    tb_fmt(t, "|%s|%lld|", type_name(e->type), (long long)e->ttl);
    if (e->type == EP_TYPE_STRING) {
        tb_esc(t, e->s.d, e->s.n);
        return;
    }
    if (e->type == EP_TYPE_PROTO) {
        tb_esc(t, e->tname.d, e->tname.n);
        tb_str(t, ":");
        tb_esc(t, e->s.d, e->s.n);
        return;
    }
    if (e->type == EP_TYPE_VECTOR) tb_fmt(t, "%u,%u,%u,%u", e->metric, e->quant, e->conn, e->ef);
    els = (melem *)malloc((e->nel + 1) * sizeof(melem));
    if (e->nel) memcpy(els, e->el, e->nel * sizeof(melem));
    if (e->type == EP_TYPE_ZSET && e->nel > 1) qsort(els, e->nel, sizeof(melem), mz_cmp);
    if ((e->type == EP_TYPE_HASH || e->type == EP_TYPE_SET) && e->nel > 1) qsort(els, e->nel, sizeof(melem), mel_cmp);
    tb_str(t, e->type == EP_TYPE_HASH || e->type == EP_TYPE_SET ? "{" : "[");
    for (i = 0; i < e->nel; i++) {
        if (i) tb_str(t, ",");
        if (e->type == EP_TYPE_ZSET) {
            tb_score(t, els[i].score);
            tb_str(t, ":");
        }
        tb_esc(t, els[i].a.d, els[i].a.n);
        if (e->type == EP_TYPE_HASH || e->type == EP_TYPE_VECTOR) {
            tb_str(t, "=");
            tb_esc(t, els[i].b.d, els[i].b.n);
        }
    }
    tb_str(t, e->type == EP_TYPE_HASH || e->type == EP_TYPE_SET ? "}" : "]");
    free(els);
}

char *ept_model_dump(const ept_model *m) {
    tbuf t = {0, 0, 0};
    const mentry **es = (const mentry **)malloc((m->n + 1) * sizeof *es);
    melem *sch = (melem *)malloc((m->nsch + 1) * sizeof(melem));
    size_t i;
    for (i = 0; i < m->n; i++) es[i] = &m->e[i];
    if (m->n > 1) qsort(es, m->n, sizeof *es, ment_cmp);
    for (i = 0; i < m->n; i++) {
        mdump_entry(&t, es[i]);
        tb_str(&t, "\n");
    }
    if (m->nsch) memcpy(sch, m->sch, m->nsch * sizeof(melem));
    if (m->nsch > 1) qsort(sch, m->nsch, sizeof(melem), mel_cmp);
    for (i = 0; i < m->nsch; i++) {
        tb_str(&t, "schema ");
        tb_esc(&t, sch[i].a.d, sch[i].a.n);
        tb_str(&t, "=");
        tb_esc(&t, sch[i].b.d, sch[i].b.n);
        tb_str(&t, "\n");
    }
    free(es);
    free(sch);
    return tb_take(&t);
}

int ept_model_key(const ept_model *m, ep_bytes key, int *type, int64_t *ttl, ep_bytes *str) {
    long i = m_find(m, key);
    if (i < 0) return 0;
    if (type) *type = m->e[i].type;
    if (ttl) *ttl = m->e[i].ttl;
    if (str) *str = ep_bytes_of(m->e[i].s.d, m->e[i].s.n);
    return 1;
}

size_t ept_model_elems(const ept_model *m, ep_bytes key, ep_item *out, size_t max) {
    long i = m_find(m, key);
    const mentry *e;
    melem *els;
    size_t k;
    if (i < 0) return 0;
    e = &m->e[i];
    els = (melem *)malloc((e->nel + 1) * sizeof(melem));
    if (e->nel) memcpy(els, e->el, e->nel * sizeof(melem));
    if (e->type == EP_TYPE_ZSET && e->nel > 1) qsort(els, e->nel, sizeof(melem), mz_cmp);
    for (k = 0; k < e->nel && k < max; k++) {
        out[k].a = ep_bytes_of(els[k].a.d, els[k].a.n);
        out[k].b = ep_bytes_of(els[k].b.d, els[k].b.n);
        out[k].score = els[k].score;
    }
    free(els);
    return e->nel;
}

/* ---- random records ---- */
static uint64_t rnd(uint64_t *s, uint64_t n) {
    return ept_rand(s) % n;
}



static const char *const r_keys[] = {"a", "b", "c", "d", "e", "f"};
static const char *const r_vals[] = {"", "x", "yz", "1", "-5", "+7", "007", "99999999999999999999",
                                     "9223372036854775807", "-9223372036854775808", "a b", "\xff\x01"};
static const char *const r_mem[] = {"m1", "m2", "m3", "m4", "m5"};

static int64_t r_num(uint64_t *s) {
    switch (rnd(s, 10)) {
    case 0: return INT64_MAX;
    case 1: return INT64_MIN;
    case 2: return -(int64_t)rnd(s, 5);
    default: return (int64_t)rnd(s, 8);
    }
}

static ep_items r_strs(uint64_t *s, ep_items_kind kind, const char *const *pool_, int npool) {
    const char *v[6];
    int n = (int)rnd(s, 4), i;
    if (rnd(s, 8)) n = n ? n : 1; /* an empty run now and then */
    for (i = 0; i < n; i++) v[i] = pool_[rnd(s, (uint64_t)npool)];
    return ept_items_strs(kind, n, v);
}

ep_aof_record ept_random_record(uint64_t *s) {
    static const double scores[] = {0.0, -0.0, 1.5, -3, 1e300, -1e300, 2, 1.5};
    ep_aof_record r = ept_rec((uint8_t)(1 + rnd(s, 35)), r_keys[rnd(s, 6)]);
    int i, n;
    r.key2 = ept_b(r_keys[rnd(s, 6)]);
    r.value = ept_b(r_vals[rnd(s, 12)]);
    r.pivot = ept_b(r_vals[rnd(s, 6)]);
    r.num = r_num(s);
    r.num2 = r_num(s);
    r.flag = (uint8_t)rnd(s, 3);
    switch (r.tag) {
    case EP_AOF_SET:
    case EP_AOF_PROTO_SET: {
        static const int64_t t[] = {-1, -1, -1, 0, 5000, 60000, -7};
        r.num = t[rnd(s, 7)];
        if (r.tag == EP_AOF_PROTO_SET) r.key2 = ept_b(rnd(s, 2) ? "T1" : "T2");
        break;
    }
    case EP_AOF_EXPIRE:
    case EP_AOF_PEXPIRE: r.num = rnd(s, 4) ? (int64_t)rnd(s, 100000) : (rnd(s, 2) ? 0 : INT64_MAX); break;
    case EP_AOF_PEXPIREAT: r.num = 1700000000000 + (int64_t)rnd(s, 2000) - 1000; break;
    case EP_AOF_LPUSH:
    case EP_AOF_RPUSH: r.items = r_strs(s, EP_ITEMS_BYTES, r_vals, 6); break;
    case EP_AOF_ZADD: {
        const char *m[4];
        double sc[4];
        n = (int)rnd(s, 4);
        if (rnd(s, 8)) n = n ? n : 1;
        for (i = 0; i < n; i++) {
            m[i] = r_mem[rnd(s, 5)];
            sc[i] = rnd(s, 10) == 0 ? NAN : scores[rnd(s, 8)];
        }
        r.items = ept_items_zadd(n, sc, m);
        break;
    }
    case EP_AOF_ZREM:
    case EP_AOF_SADD:
    case EP_AOF_SREM:
    case EP_AOF_HDEL: r.items = r_strs(s, EP_ITEMS_STR, r_mem, 5); break;
    case EP_AOF_HSET: {
        const char *p[8];
        n = 1 + (int)rnd(s, 3);
        for (i = 0; i < n; i++) {
            p[2 * i] = r_mem[rnd(s, 5)];
            p[2 * i + 1] = r_vals[rnd(s, 12)];
        }
        r.items = ept_items_pairs(n, p);
        break;
    }
    case EP_AOF_HINCRBY:
        r.key2 = ept_b(r_mem[rnd(s, 5)]);
        if (rnd(s, 2)) r.num = (int64_t)rnd(s, 10) - 5;
        break;
    case EP_AOF_INCRBY:
    case EP_AOF_DECRBY:
        if (rnd(s, 2)) r.num = (int64_t)rnd(s, 10) - 5;
        break;
    case EP_AOF_PROTO_REGISTER:
        r.key = ept_b(rnd(s, 2) ? "T1" : "T2");
        break;
    case EP_AOF_VADD: {
        float v[2];
        uint8_t raw[8];
        v[0] = (float)rnd(s, 4);
        v[1] = (float)rnd(s, 4) - 2.0f;
        ep_store_f32le(raw, v[0]);
        ep_store_f32le(raw + 4, v[1]);
        r.key2 = ept_b(r_mem[rnd(s, 5)]);
        r.dim = 2;
        r.vector = ept_pool_bytes(raw, 8);
        r.flag = (uint8_t)rnd(s, 3);
        r.flag2 = (uint8_t)rnd(s, 3);
        r.connectivity = (uint32_t)rnd(s, 32);
        r.expansion_add = (uint32_t)rnd(s, 64);
        break;
    }
    case EP_AOF_VREM: r.key2 = ept_b(r_mem[rnd(s, 5)]); break;
    case EP_AOF_LSET:
    case EP_AOF_LTRIM:
    case EP_AOF_LREM:
        r.num = (int64_t)rnd(s, 9) - 4;
        r.num2 = (int64_t)rnd(s, 9) - 4;
        if (rnd(s, 10) == 0) r.num2 = INT64_MIN;
        break;
    case EP_AOF_SETRANGE:
        r.num = rnd(s, 20) ? (int64_t)rnd(s, 12) : -1;
        break;
    case EP_AOF_SETBIT: r.num = rnd(s, 20) ? (int64_t)rnd(s, 40) : -1; break;
    case EP_AOF_BITOP: {
        r.flag = (uint8_t)rnd(s, 4);
        r.items = r_strs(s, EP_ITEMS_STR, r_keys, 6);
        break;
    }
    default: break;
    }
    return r;
}

/* Redis's range rule written as a filter: element i is in start..stop when
 * it lies between the two after negative ones are counted from the end. */
static int ept__in_range(int64_t i, int64_t start, int64_t stop, int64_t len) {
    int64_t s = start < 0 ? start + len : start, e = stop < 0 ? stop + len : stop;
    return i >= s && i <= e;
}

void ept_check_window(ep_ks_value_iter *it, const ep_item *want, size_t n, int64_t start, int64_t stop, int rev,
                      int scores, size_t count) {
    ep_item item;
    size_t got = 0, x;
    for (x = 0; x < n; x++) {
        size_t w = rev ? n - 1 - x : x; /* rank x of the chosen direction */
        if (!ept__in_range((int64_t)x, start, stop, (int64_t)n)) continue;
        EPT_CHECK(ep_ks_value_next(it, &item));
        EPT_CHECK(item.a.len == want[w].a.len && (item.a.len == 0 || memcmp(item.a.data, want[w].a.data, item.a.len) == 0));
        if (scores) EPT_CHECK(memcmp(&item.score, &want[w].score, sizeof item.score) == 0);
        got++;
    }
    EPT_CHECK(!ep_ks_value_next(it, &item));
    EPT_CHECK_EQ(count, got);
}
