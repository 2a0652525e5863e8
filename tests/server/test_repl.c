/* Replication: resp_server as master of a real redis-server replica, as a
 * replica of a real redis-server master, and as an ember follower of
 * another resp_server. Keys of every type (100 k by default, 1 M with
 * EPT_SLOW=1, 5 k under EPT_QUICK) are written before the link comes up
 * and while the full sync runs (the writes continue: mutations of every
 * kind on the first keys), then, once the replica acknowledged the
 * master's whole stream, both keyspaces are read back key by key through
 * RESP (type, value, TTL within a tolerance; no DUMP) and compared. The
 * replica side also checks -READONLY, a reconnect after the master drops
 * the link, REPLICAOF NO ONE and that what it holds survives a SIGKILL; the
 * follower is checked after SIGKILLs of both: its recovered state equals
 * the leader's last acknowledged one (appendfsync always). Every server is
 * on 127.0.0.1, a port the OS picked, its own directory, stopped by pid;
 * every wait is bounded. */
#define _POSIX_C_SOURCE 200809L
#ifndef _WIN32
#include "ember_persist.h"
#include "harness.h"
#include "support/procs.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* TTLs are compared as deadlines: a replica applies the master's absolute
 * ones, so they differ only by clock reading and the PTTL's rounding. */
#define TTL_TOL 1500

/* Under ASan (make asan) only this client is instrumented, the servers are
 * the plain build; a fifth of the keys keeps that run short. */
#if defined(__SANITIZE_ADDRESS__)
#define EPT_REPL_KEYS 20000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EPT_REPL_KEYS 20000
#endif
#endif
#ifndef EPT_REPL_KEYS
#define EPT_REPL_KEYS 100000
#endif

static long nkeys(void) { return getenv("EPT_SLOW") ? 1000000L : ept_scale(EPT_REPL_KEYS, 20); }

/* ---- a pipelining client (replies buffered: several may arrive in one read) ---- */

typedef struct conn {
    int fd;
    char *b;
    size_t len, pos, cap;
} conn;

static int conn_open(conn *c, int port) {
    memset(c, 0, sizeof *c);
    c->fd = ept_connect(port);
    return c->fd >= 0 ? 0 : -1;
}

static void conn_close(conn *c) {
    if (c->fd >= 0) close(c->fd);
    free(c->b);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* The next complete reply: a view valid until the next call. 0 or -1. */
static int conn_reply(conn *c, const char **p, size_t *n) {
    for (;;) {
        long m = c->len > c->pos ? ept_resp_len(c->b + c->pos, c->len - c->pos) : 0;
        ssize_t r;
        if (m < 0) return -1;
        if (m > 0) {
            *p = c->b + c->pos;
            *n = (size_t)m;
            c->pos += (size_t)m;
            return 0;
        }
        if (c->pos > 0) {
            memmove(c->b, c->b + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        }
        if (c->cap - c->len < 65536) {
            size_t nc = c->cap ? c->cap * 2 : 1 << 20;
            char *nb = (char *)realloc(c->b, nc);
            if (!nb) return -1;
            c->b = nb;
            c->cap = nc;
        }
        r = recv(c->fd, c->b + c->len, c->cap - c->len, 0);
        if (r <= 0) return -1;
        c->len += (size_t)r;
    }
}

/* A reply's scalars (a bulk, simple, integer, or an array of them) as
 * (pointer, length) views into it; up to max. Returns the count, or -1 for
 * an error reply or another shape. A null is 0 items. */
typedef struct item {
    const char *p;
    size_t n;
} item;

static long scalar(const char *p, item *out, size_t *used) {
    const char *e = strstr(p, "\r\n");
    if (!e) return -1;
    if (p[0] == '+' || p[0] == ':') {
        out->p = p + 1;
        out->n = (size_t)(e - p - 1);
        *used = (size_t)(e - p) + 2;
        return 1;
    }
    if (p[0] == '$') {
        long len = atol(p + 1);
        *used = (size_t)(e - p) + 2;
        if (len < 0) return 0;
        out->p = e + 2;
        out->n = (size_t)len;
        *used += (size_t)len + 2;
        return 1;
    }
    return -1;
}

static long items_of(const char *p, item *out, long max) {
    size_t used;
    if (p[0] == '*') {
        long count = atol(p + 1), k, got = 0;
        const char *q = strstr(p, "\r\n") + 2;
        if (count < 0) return 0;
        for (k = 0; k < count; k++) {
            long r = scalar(q, got < max ? &out[got] : &out[max - 1], &used);
            if (r < 0) return -1;
            got += r;
            q += used;
        }
        return got > max ? -1 : got;
    }
    return scalar(p, out, &used);
}

static int call(conn *c, const char **p, size_t *n, int argc, const char *const *argv) {
    if (ept_send(c->fd, argc, argv, NULL)) return -1;
    return conn_reply(c, p, n);
}

/* ---- the workload ------------------------------------------------------------------ */

/* Sends the commands that make key i (of every type by i % 6; some with a
 * TTL, some string values binary); returns how many were sent. */
static int make_key(conn *c, long i) {
    char k[32], v[48], ttl[16];
    int t = (int)(i % 6);
    size_t vl;
    snprintf(k, sizeof k, "k:%ld", i);
    snprintf(ttl, sizeof ttl, "%ld", 7200 + i % 3600); /* hours: no key expires during a slow run */
    switch (t) {
    case 0: {
        const char *a[3] = {"SET", k, v};
        size_t l[3];
        vl = (size_t)snprintf(v, sizeof v, "v%ld", i);
        v[vl++] = 0, v[vl++] = (char)0xff, v[vl++] = '\n'; /* binary */
        l[0] = 3, l[1] = strlen(k), l[2] = vl;
        return ept_send(c->fd, 3, a, l) ? -1 : 1;
    }
    case 1: {
        const char *a[5] = {"SET", k, v, "EX", ttl};
        snprintf(v, sizeof v, "%ld", i * 7);
        return ept_send(c->fd, 5, a, NULL) ? -1 : 1;
    }
    case 2: {
        const char *a[6] = {"RPUSH", k, v, "b", "c", "b"}, *e[3] = {"EXPIRE", k, ttl};
        snprintf(v, sizeof v, "a%ld", i);
        if (ept_send(c->fd, 6, a, NULL)) return -1;
        if (i % 12 != 2) return 1;
        return ept_send(c->fd, 3, e, NULL) ? -1 : 2;
    }
    case 3: {
        const char *a[8] = {"HSET", k, "f1", v, "f2", "x", "f3", "7"};
        snprintf(v, sizeof v, "hv%ld", i);
        return ept_send(c->fd, 8, a, NULL) ? -1 : 1;
    }
    case 4: {
        const char *a[5] = {"SADD", k, v, "n", "o"};
        snprintf(v, sizeof v, "m%ld", i);
        return ept_send(c->fd, 5, a, NULL) ? -1 : 1;
    }
    default: {
        const char *a[8] = {"ZADD", k, "1.5", "a", v, "b", "-2.25", "c"};
        snprintf(v, sizeof v, "%ld", i);
        return ept_send(c->fd, 8, a, NULL) ? -1 : 1;
    }
    }
}

/* Changes key i by its type (the writes that continue during the sync). */
static int change_key(conn *c, long i) {
    char k[32], n[24];
    snprintf(k, sizeof k, "k:%ld", i);
    snprintf(n, sizeof n, "%ld", i);
    switch (i % 6) {
    case 0: { const char *a[3] = {"APPEND", k, "+more"}; return ept_send(c->fd, 3, a, NULL) ? -1 : 1; }
    case 1: { const char *a[2] = {"INCR", k}; return ept_send(c->fd, 2, a, NULL) ? -1 : 1; }
    case 2: {
        const char *a[2] = {"LPOP", k}, *b[5] = {"LINSERT", k, "BEFORE", "c", n}, *d[3] = {"PEXPIRE", k, "36000000"};
        if (i % 4 == 0) return ept_send(c->fd, 2, a, NULL) ? -1 : 1;
        if (i % 4 == 2) return ept_send(c->fd, 3, d, NULL) ? -1 : 1;
        return ept_send(c->fd, 5, b, NULL) ? -1 : 1;
    }
    case 3: { const char *a[4] = {"HINCRBY", k, "f3", n}; return ept_send(c->fd, 4, a, NULL) ? -1 : 1; }
    case 4: {
        const char *a[3] = {"SREM", k, "n"}, *d[2] = {"DEL", k};
        return ept_send(c->fd, i % 5 == 4 ? 2 : 3, i % 5 == 4 ? d : a, NULL) ? -1 : 1;
    }
    default: { const char *a[4] = {"ZADD", k, n, "d"}; return ept_send(c->fd, 4, a, NULL) ? -1 : 1; }
    }
}

/* The other changes a master makes, by type: SETRANGE, RENAME, MSET, DECRBY,
 * PERSIST, LSET, LTRIM, LREM, HDEL, COPY, ZREM, SREM of the last member. */
static int change_more(conn *c, long i) {
    char k[32], k2[40];
    snprintf(k, sizeof k, "k:%ld", i);
    snprintf(k2, sizeof k2, "k:%ld:2", i);
    switch (i % 6) {
    case 0: {
        const char *a[4] = {"SETRANGE", k, "1", "ZZ"}, *b[3] = {"RENAME", k, k2}, *m[5] = {"MSET", k, "m1", k2, "m2"};
        if (i % 18 == 0) return ept_send(c->fd, 3, b, NULL) ? -1 : 1;
        if (i % 18 == 6) return ept_send(c->fd, 5, m, NULL) ? -1 : 1;
        return ept_send(c->fd, 4, a, NULL) ? -1 : 1;
    }
    case 1: {
        const char *a[3] = {"DECRBY", k, "3"}, *b[2] = {"PERSIST", k};
        return ept_send(c->fd, i % 12 == 1 ? 2 : 3, i % 12 == 1 ? b : a, NULL) ? -1 : 1;
    }
    case 2: {
        const char *a[4] = {"LSET", k, "0", "set"}, *b[4] = {"LTRIM", k, "0", "1"}, *d[4] = {"LREM", k, "1", "b"};
        return ept_send(c->fd, 4, i % 3 == 0 ? a : i % 3 == 1 ? b : d, NULL) ? -1 : 1;
    }
    case 3: { const char *a[3] = {"HDEL", k, "f2"}; return ept_send(c->fd, 3, a, NULL) ? -1 : 1; }
    case 4: {
        const char *a[3] = {"COPY", k, k2}, *b[5] = {"SREM", k, "n", "o", NULL};
        char m[24];
        snprintf(m, sizeof m, "m%ld", i);
        b[4] = m; /* every member: the set goes away */
        return ept_send(c->fd, i % 2 ? 5 : 3, i % 2 ? b : a, NULL) ? -1 : 1;
    }
    default: { const char *a[3] = {"ZREM", k, "a"}; return ept_send(c->fd, 3, a, NULL) ? -1 : 1; }
    }
}

/* Runs fn for keys [from, to) pipelined 1000 at a time; every reply must not
 * be an error. 0 or -1. */
static int workload(int port, long from, long to, int (*fn)(conn *, long)) {
    conn c;
    long i = from;
    if (conn_open(&c, port)) return -1;
    while (i < to) {
        long sent = 0, j;
        for (; i < to && sent < 1000; i++) {
            int r = fn(&c, i);
            if (r < 0) goto fail;
            sent += r;
        }
        for (j = 0; j < sent; j++) {
            const char *p;
            size_t n;
            if (conn_reply(&c, &p, &n) || p[0] == '-') {
                if (n) fprintf(stderr, "    reply: %.*s\n", (int)(n > 200 ? 200 : n), p);
                goto fail;
            }
        }
    }
    conn_close(&c);
    return 0;
fail:
    conn_close(&c);
    return -1;
}

/* ---- reading a keyspace back -------------------------------------------------------- */

typedef struct entry {
    char *line;      /* key, type and elements, length-prefixed (binary-safe) */
    size_t len;
    long long deadline; /* -1: none; else wall-clock ms when read + PTTL (dumps take seconds) */
} entry;

typedef struct dump {
    entry *e;
    size_t n;
} dump;

static void dump_free(dump *d) {
    size_t i;
    for (i = 0; i < d->n; i++) free(d->e[i].line);
    free(d->e);
    memset(d, 0, sizeof *d);
}

static void put(ep_buf *b, const char *p, size_t n) {
    char h[24];
    int l = snprintf(h, sizeof h, "%zu:", n);
    ep_buf_put(b, h, (size_t)l);
    ep_buf_put(b, p, n);
}

static int cmp_item(const void *a, const void *b) {
    const item *x = (const item *)a, *y = (const item *)b;
    size_t n = x->n < y->n ? x->n : y->n;
    int r = memcmp(x->p, y->p, n);
    return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* The elements of a value reply in a canonical order (sets and hashes
 * sorted; hash pairs kept together; lists and zsets as they come). */
static int put_value(ep_buf *b, const char *type, const char *p, item *it, long max) {
    long n = items_of(p, it, max), i;
    if (n < 0) return -1;
    if (!strcmp(type, "set")) qsort(it, (size_t)n, sizeof *it, cmp_item);
    if (!strcmp(type, "hash")) { /* pair up as "f=v" items, then sort */
        static char pairs[64][256];
        for (i = 0; i + 1 < n && i / 2 < 64; i += 2) {
            int l = snprintf(pairs[i / 2], sizeof pairs[0], "%.*s=%.*s", (int)it[i].n, it[i].p, (int)it[i + 1].n,
                             it[i + 1].p);
            it[i / 2].p = pairs[i / 2];
            it[i / 2].n = (size_t)l;
        }
        n /= 2;
        qsort(it, (size_t)n, sizeof *it, cmp_item);
    }
    if (!strcmp(type, "zset")) { /* scores in one text form on both sides */
        static char sc[64][40];
        for (i = 1; i < n && i < 128; i += 2) {
            char t[64];
            snprintf(t, sizeof t, "%.*s", (int)it[i].n, it[i].p);
            it[i].n = (size_t)snprintf(sc[i / 2], sizeof sc[0], "%.17g", strtod(t, NULL));
            it[i].p = sc[i / 2];
        }
    }
    for (i = 0; i < n; i++) put(b, it[i].p, it[i].n);
    return 0;
}

static int cmp_entry(const void *a, const void *b) {
    const entry *x = (const entry *)a, *y = (const entry *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->line, y->line, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Every key, by SCAN (bounded replies; a million keys in one KEYS reply was
 * too slow to take in): views into *kb (freed by the caller), sorted, each once. */
static int scan_keys(conn *c, ep_buf *kb, item **out, size_t *count) {
    char cursor[32] = "0";
    size_t n = 0, cap = 0, i, w;
    size_t *off = NULL;
    item *ki;
    long long end = ept_ms() + 600000;
    static item batch[4096];
    do {
        const char *a[4] = {"SCAN", cursor, "COUNT", "1000"}, *p, *q;
        size_t len, used;
        item cur;
        long got, j;
        if (ept_ms() > end || call(c, &p, &len, 4, a) || p[0] != '*') goto fail;
        q = strstr(p, "\r\n") + 2;
        if (scalar(q, &cur, &used) != 1 || cur.n >= sizeof cursor) goto fail;
        memcpy(cursor, cur.p, cur.n);
        cursor[cur.n] = 0;
        got = items_of(q + used, batch, 4096);
        if (got < 0) goto fail;
        for (j = 0; j < got; j++) {
            if (n == cap) {
                size_t *no = (size_t *)realloc(off, (cap = cap ? cap * 2 : 65536) * 2 * sizeof *off);
                if (!no) goto fail;
                off = no;
            }
            off[2 * n] = kb->len;
            off[2 * n + 1] = batch[j].n;
            ep_buf_put(kb, batch[j].p, batch[j].n);
            n++;
        }
    } while (strcmp(cursor, "0") != 0);
    ki = (item *)malloc((n + 1) * sizeof *ki);
    if (!ki) goto fail;
    for (i = 0; i < n; i++) ki[i].p = (const char *)kb->data + off[2 * i], ki[i].n = off[2 * i + 1];
    free(off);
    qsort(ki, n, sizeof *ki, cmp_item);
    for (i = 0, w = 0; i < n; i++) /* SCAN may return a key twice */
        if (w == 0 || cmp_item(&ki[w - 1], &ki[i]) != 0) ki[w++] = ki[i];
    *out = ki;
    *count = w;
    return 0;
fail:
    free(off);
    return -1;
}

/* Every key of db 0: SCAN, then TYPE, PTTL and the value, pipelined 500 keys at a time. */
static int dump_server(int port, dump *d) {
    conn c;
    const char *p;
    size_t n, k, total = 0;
    ep_buf keys;
    item *ki = NULL, it[128];
    memset(d, 0, sizeof *d);
    ep_buf_init(&keys, NULL);
    if (conn_open(&c, port)) return -1;
    if (scan_keys(&c, &keys, &ki, &total)) goto fail;
    d->e = (entry *)calloc(total + 1, sizeof *d->e);
    if (!d->e) goto fail;
    for (k = 0; k < total; k += 500) {
        size_t m = total - k < 500 ? total - k : 500, j;
        char types[500][16];
        for (j = 0; j < m; j++) {
            const char *a[2] = {"TYPE", ki[k + j].p};
            size_t l[2] = {4, ki[k + j].n};
            if (ept_send(c.fd, 2, a, l)) goto fail;
        }
        for (j = 0; j < m; j++) {
            item t;
            if (conn_reply(&c, &p, &n) || items_of(p, &t, 1) != 1) goto fail;
            snprintf(types[j], sizeof types[j], "%.*s", (int)t.n, t.p);
        }
        for (j = 0; j < m; j++) {
            const char *a[5] = {"PTTL", ki[k + j].p, "0", "-1", "WITHSCORES"};
            size_t l[5] = {4, ki[k + j].n, 1, 2, 10};
            const char *ty = types[j];
            int argc = 2;
            if (ept_send(c.fd, 2, a, l)) goto fail;
            if (!strcmp(ty, "string")) a[0] = "GET", l[0] = 3;
            else if (!strcmp(ty, "list")) a[0] = "LRANGE", l[0] = 6, argc = 4;
            else if (!strcmp(ty, "set")) a[0] = "SMEMBERS", l[0] = 8;
            else if (!strcmp(ty, "hash")) a[0] = "HGETALL", l[0] = 7;
            else if (!strcmp(ty, "zset")) a[0] = "ZRANGE", l[0] = 6, argc = 5;
            else a[0] = "EXISTS", l[0] = 6; /* "none": expired meanwhile */
            if (ept_send(c.fd, argc, a, l)) goto fail;
        }
        for (j = 0; j < m; j++) {
            ep_buf b;
            entry *e = &d->e[d->n];
            if (conn_reply(&c, &p, &n)) goto fail;
            e->deadline = atoll(p + 1);
            if (e->deadline >= 0) e->deadline += wall_ms();
            if (conn_reply(&c, &p, &n)) goto fail;
            if (!strcmp(types[j], "none")) continue;
            ep_buf_init(&b, NULL);
            put(&b, ki[k + j].p, ki[k + j].n);
            put(&b, types[j], strlen(types[j]));
            if (put_value(&b, types[j], p, it, 128)) {
                ep_buf_free(&b);
                goto fail;
            }
            e->line = (char *)malloc(b.len ? b.len : 1);
            if (!e->line) {
                ep_buf_free(&b);
                goto fail;
            }
            memcpy(e->line, b.data, b.len);
            e->len = b.len;
            ep_buf_free(&b);
            d->n++;
        }
    }
    qsort(d->e, d->n, sizeof *d->e, cmp_entry);
    ep_buf_free(&keys);
    free(ki);
    conn_close(&c);
    return 0;
fail:
    fprintf(stderr, "    dump of port %d failed after %zu keys\n", port, d->n);
    ep_buf_free(&keys);
    free(ki);
    conn_close(&c);
    dump_free(d);
    return -1;
}

/* 0 when a and b hold the same keys, types and values, and TTLs within tol ms. */
static int compare(const dump *a, const dump *b, long long tol) {
    size_t i, ttls = 0;
    if (a->n != b->n) {
        printf("    %zu keys vs %zu\n", a->n, b->n);
        for (i = 0; i < a->n && i < b->n; i++)
            if (cmp_entry(&a->e[i], &b->e[i])) {
                printf("    first difference at %zu: %.*s | %.*s\n", i, (int)(a->e[i].len > 120 ? 120 : a->e[i].len),
                       a->e[i].line, (int)(b->e[i].len > 120 ? 120 : b->e[i].len), b->e[i].line);
                break;
            }
        return -1;
    }
    for (i = 0; i < a->n; i++) {
        long long x = a->e[i].deadline, y = b->e[i].deadline;
        if (cmp_entry(&a->e[i], &b->e[i])) {
            printf("    differs: %.*s | %.*s\n", (int)(a->e[i].len > 120 ? 120 : a->e[i].len), a->e[i].line,
                   (int)(b->e[i].len > 120 ? 120 : b->e[i].len), b->e[i].line);
            return -1;
        }
        if ((x < 0) != (y < 0) || (x >= 0 && (x - y > tol || y - x > tol))) {
            printf("    deadline of %.*s: %lld vs %lld ms\n", (int)(a->e[i].len > 60 ? 60 : a->e[i].len), a->e[i].line, x, y);
            return -1;
        }
        ttls += x >= 0;
    }
    printf("    %zu keys equal (type, value), %zu TTL deadlines within %lld ms\n", a->n, ttls, tol);
    return 0;
}

/* ---- waiting for the replica ----------------------------------------------------------- */

static int info_field(int port, const char *field, char *out, size_t cap) {
    conn c;
    const char *a[2] = {"INFO", "replication"}, *p, *f;
    size_t n;
    int rc = -1;
    if (conn_open(&c, port)) return -1;
    if (call(&c, &p, &n, 2, a) == 0 && p[0] == '$') {
        char *text = (char *)malloc(n + 1);
        if (text) {
            memcpy(text, p, n);
            text[n] = 0;
            if ((f = strstr(text, field)) != NULL) {
                size_t l = strcspn(f + strlen(field), "\r\n");
                snprintf(out, cap, "%.*s", (int)l, f + strlen(field));
                rc = 0;
            }
            free(text);
        }
    }
    conn_close(&c);
    return rc;
}

/* Until the master's first replica acknowledged the master's whole stream
 * (its offset, and online), or timeout_ms. The field names are Redis's, and
 * ours for an ember follower. 0 or -1. */
static int wait_acked(int master_port, int ember, long timeout_ms) {
    long long end = ept_ms() + timeout_ms;
    while (ept_ms() < end) {
        char s0[256], off[64];
        const char *o;
        if (info_field(master_port, ember ? "follower0:" : "slave0:", s0, sizeof s0) == 0 &&
            info_field(master_port, ember ? "ember_records_sent:" : "master_repl_offset:", off, sizeof off) == 0 &&
            (ember || strstr(s0, "state=online")) && (o = strstr(s0, "offset=")) != NULL &&
            strtoull(o + 7, NULL, 10) == strtoull(off, NULL, 10))
            return 0;
        ept_sleep_ms(100);
    }
    return -1;
}

static int command_ok(int port, int argc, const char *const *argv, const char *want) {
    conn c;
    const char *p;
    size_t n = 0;
    int ok;
    if (conn_open(&c, port)) return 0;
    ok = call(&c, &p, &n, argc, argv) == 0 && n >= strlen(want) && !memcmp(p, want, strlen(want));
    if (!ok && n) printf("    %s: %.*s\n", argv[0], (int)(n > 120 ? 120 : n), p);
    conn_close(&c);
    return ok;
}

static const char *subdir(const char *name) {
    static char b[4][1024];
    static int k;
    char *d = b[k++ % 4];
    snprintf(d, sizeof b[0], "%s/%s", ept_tmpdir(), name);
    mkdir(d, 0700);
    return d;
}

/* The replica's start: redis-server or ours with --replicaof, ours with --follow. */
enum { REDIS_REPLICA, OURS_REPLICA, OURS_FOLLOWER };

static int start_replica(int kind, ept_proc *r, const char *dir, int master_port) {
    char port[16];
    const char *extra[] = {kind == OURS_FOLLOWER ? "--follow" : "--replicaof", "127.0.0.1", port,
                           /* always: what our replica applied is durable when a SIGKILL comes */
                           kind == REDIS_REPLICA ? NULL : "--appendfsync", "always", NULL};
    snprintf(port, sizeof port, "%d", master_port);
    return kind == REDIS_REPLICA ? ept_start_redis(r, dir, extra) : ept_start_ours(r, dir, extra);
}

/* Half the keys on master m, then the replica starts (in rdir); the other
 * half and a quarter's changes are written while it syncs; then waits until
 * it acknowledged everything. 0, or -1 with the replica stopped. */
static int replicate(ept_proc *m, ept_proc *r, int kind, const char *rdir, long n) {
    long long t0;
    if (workload(m->port, 0, n / 2, make_key)) return -1;
    t0 = ept_ms();
    if (start_replica(kind, r, rdir, m->port)) return -1;
    if (workload(m->port, n / 2, n, make_key) || workload(m->port, 0, n / 4, change_key) ||
        workload(m->port, n / 4, n / 4 + n / 10, change_more) ||
        wait_acked(m->port, kind == OURS_FOLLOWER, 120000)) {
        ept_stop(r, 1);
        return -1;
    }
    printf("    %ld keys + %ld changes replicated and acknowledged in %lld ms\n", n, n / 4 + n / 10, ept_ms() - t0);
    return 0;
}

/* ---- cases ------------------------------------------------------------------------------ */

EPT_CASE(ours_master_to_redis_replica) {
    ept_proc m, r;
    char s0[256];
    dump a, b;
    int rc;
    if (!ept_need_servers(1)) return;
    EPT_CHECK_OK(ept_start_ours(&m, subdir("master"), NULL));
    EPT_CHECK_OK(replicate(&m, &r, REDIS_REPLICA, subdir("replica"), nkeys()));
    EPT_CHECK_OK(info_field(m.port, "slave0:", s0, sizeof s0));
    EPT_CHECK(strstr(s0, "state=online") != NULL);
    EPT_CHECK_OK(dump_server(m.port, &a));
    rc = dump_server(r.port, &b);
    ept_stop(&r, 0);
    ept_stop(&m, 0);
    EPT_CHECK_OK(rc);
    rc = compare(&a, &b, TTL_TOL);
    dump_free(&a);
    dump_free(&b);
    EPT_CHECK_OK(rc);
}

EPT_CASE(redis_master_to_ours_replica) {
    ept_proc m, r;
    long n = nkeys();
    char v[64];
    dump a, b;
    const char *dir = subdir("ours-replica");
    const char *set[3] = {"SET", "promoted", "1"}, *kill_link[4] = {"CLIENT", "KILL", "TYPE", "replica"},
               *no_one[3] = {"REPLICAOF", "NO", "ONE"}, *del[2] = {"DEL", "promoted"},
               *wait1[3] = {"WAIT", "1", "5000"};
    int rc;
    if (!ept_need_servers(1)) return;
    EPT_CHECK_OK(ept_start_redis(&m, subdir("redis-master"), NULL));
    EPT_CHECK_OK(replicate(&m, &r, OURS_REPLICA, dir, n));
    /* a write, then WAIT (the master sends REPLCONF GETACK; our ACK answers it) */
    EPT_CHECK(command_ok(m.port, 3, set, "+OK"));
    EPT_CHECK(command_ok(m.port, 3, wait1, ":1"));
    EPT_CHECK(command_ok(m.port, 2, del, ":1"));
    EPT_CHECK_OK(info_field(r.port, "master_link_status:", v, sizeof v));
    EPT_CHECK(strcmp(v, "up") == 0);
    /* a replica refuses client writes, in Redis's words */
    EPT_CHECK(command_ok(r.port, 3, set, "-READONLY You can't write against a read only replica."));
    EPT_CHECK_OK(dump_server(m.port, &a));
    EPT_CHECK_OK(dump_server(r.port, &b));
    rc = compare(&a, &b, TTL_TOL);
    dump_free(&a);
    dump_free(&b);
    EPT_CHECK_OK(rc);

    /* the master drops the link: we reconnect (full resync) and follow again */
    EPT_CHECK(command_ok(m.port, 4, kill_link, ":1"));
    EPT_CHECK_OK(workload(m.port, n / 4, n / 2, change_key));
    EPT_CHECK_OK(wait_acked(m.port, 0, 120000));
    EPT_CHECK_OK(info_field(r.port, "master_full_syncs:", v, sizeof v));
    printf("    full syncs after the link was dropped: %s\n", v);
    EPT_CHECK(atoi(v) >= 2);
    EPT_CHECK_OK(dump_server(m.port, &a));
    EPT_CHECK_OK(dump_server(r.port, &b));
    rc = compare(&a, &b, TTL_TOL);
    dump_free(&b);
    if (rc) dump_free(&a);
    EPT_CHECK_OK(rc);

    /* promoted, it takes writes; all it held survives a SIGKILL */
    EPT_CHECK(command_ok(r.port, 3, no_one, "+OK"));
    EPT_CHECK(command_ok(r.port, 3, set, "+OK"));
    ept_stop(&m, 0);
    ept_stop(&r, 1);
    EPT_CHECK_OK(ept_start_ours(&r, dir, NULL));
    rc = command_ok(r.port, 2, del, ":1");
    if (!rc) ept_stop(&r, 1), dump_free(&a);
    EPT_CHECK(rc);
    rc = dump_server(r.port, &b);
    ept_stop(&r, 0);
    if (rc) dump_free(&a);
    EPT_CHECK_OK(rc);
    rc = compare(&a, &b, TTL_TOL);
    dump_free(&a);
    dump_free(&b);
    EPT_CHECK_OK(rc);
}

EPT_CASE(ember_follower_converges_and_survives_leader_kill) {
    ept_proc l, f;
    long n = nkeys();
    dump a, b, c;
    const char *ldir = subdir("leader"), *fdir = subdir("follower"), *always[] = {"--appendfsync", "always", NULL};
    const char *set[3] = {"SET", "x", "1"};
    int rc;
    if (!ept_need_servers(0)) return;
    EPT_CHECK_OK(ept_start_ours(&l, ldir, always));
    EPT_CHECK_OK(replicate(&l, &f, OURS_FOLLOWER, fdir, n));
    EPT_CHECK(command_ok(f.port, 3, set, "-READONLY"));
    EPT_CHECK_OK(dump_server(l.port, &a));
    EPT_CHECK_OK(dump_server(f.port, &b));
    rc = compare(&a, &b, TTL_TOL);
    dump_free(&b);
    if (rc) dump_free(&a);
    EPT_CHECK_OK(rc);
    /* kill the leader, then the follower; both recover from their files */
    ept_stop(&l, 1);
    ept_stop(&f, 1);
    EPT_CHECK_OK(ept_start_ours(&f, fdir, NULL));
    EPT_CHECK_OK(ept_start_ours(&l, ldir, NULL));
    rc = dump_server(f.port, &b);
    if (rc == 0) rc = dump_server(l.port, &c);
    else memset(&c, 0, sizeof c);
    ept_stop(&f, 0);
    ept_stop(&l, 0);
    if (rc == 0) rc = compare(&c, &b, TTL_TOL);   /* the follower's recovered state = the leader's */
    if (rc == 0) rc = compare(&a, &b, TTL_TOL);   /* = what the leader had acknowledged */
    dump_free(&a);
    dump_free(&b);
    dump_free(&c);
    EPT_CHECK_OK(rc);
}

/* ---- a hostile master --------------------------------------------------------------- */

/* A listening socket on 127.0.0.1 at a port the OS picked. */
static int listen_any(int *port) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4) || getsockname(fd, (struct sockaddr *)&a, &len)) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* Serves one link from our replica or follower (bounded: 5 s): +PONG to
 * PING, +OK to REPLCONF, and to PSYNC / EMBER.SYNC the scenario's bytes;
 * then closes. 0 once the sync command was answered, -1 otherwise. */
static int serve_hostile(int lfd, const char *payload, size_t plen) {
    struct pollfd pf;
    char b[4096];
    size_t len = 0;
    long long end = ept_ms() + 5000;
    int fd, rc = -1;
    pf.fd = lfd;
    pf.events = POLLIN;
    if (poll(&pf, 1, 5000) <= 0 || (fd = accept(lfd, NULL, NULL)) < 0) return -1;
    while (rc != 0 && ept_ms() < end) {
        long m;
        ssize_t r;
        pf.fd = fd;
        pf.events = POLLIN;
        if (poll(&pf, 1, 200) <= 0) continue;
        r = recv(fd, b + len, sizeof b - len - 1, 0);
        if (r <= 0) break;
        len += (size_t)r;
        while (len && (m = ept_resp_len(b, len)) > 0) {
            /* the command's name: after "*N\r\n$L\r\n" */
            const char *name = strstr(b, "\r\n"), *name2 = name ? strstr(name + 2, "\r\n") : NULL;
            name = name2 ? name2 + 2 : "";
            if (!strncmp(name, "REPLCONF", 8)) (void)send(fd, "+OK\r\n", 5, MSG_NOSIGNAL);
            else if (!strncmp(name, "PSYNC", 5) || !strncmp(name, "EMBER.SYNC", 10)) {
                (void)send(fd, payload, plen, MSG_NOSIGNAL);
                rc = 0;
            } else (void)send(fd, "+PONG\r\n", 7, MSG_NOSIGNAL);
            memmove(b, b + m, len - (size_t)m);
            len -= (size_t)m;
        }
    }
    ept_sleep_ms(100);
    close(fd);
    return rc;
}

/* Our replica (and follower) against a master that sends bad bytes: it
 * refuses each, keeps its data, answers clients and retries. */
EPT_CASE(replica_and_follower_survive_a_hostile_master) {
    /* synced: the bad bytes came after a valid (empty) sync, which replaced the data */
    static const struct { int follow, synced; const char *bytes; size_t len; } cases[] = {
#define C(f, s) {f, 0, s, sizeof s - 1}
        C(0, "-ERR not today\r\n"),
        C(0, "+FULLRESYNC 0123 0\r\n$16\r\nREDIS0010garbage"),             /* not an RDB */
        C(0, "+FULLRESYNC 0123 0\r\n\n\n$EOF:0123456789012345678901234567890123456789\r\n"), /* diskless: not asked for */
        C(0, "+FULLRESYNC 0123 0\r\n$-7\r\n"),
        C(0, "+CONTINUE\r\n"),
        /* an empty RDB (no checksum), then a stream that is not RESP */
        {0, 1, "+FULLRESYNC 0123 0\r\n$18\r\nREDIS0010\xff\0\0\0\0\0\0\0\0*1\r\n$x\r\n", 51},
        C(1, "+EMBERSYNC 0\r\n$24\r\nthis is not a snapshot!!"),
        C(1, "+EMBERSYNC 0\r\n$99999999999999999\r\n"),                     /* over the cap */
        C(1, "+WHAT\r\n"),
        {1, 1, "", 0}, /* a valid empty snapshot, then a record that does not decode (filled in below) */
#undef C
    };
    size_t k;
    uint8_t *snap = NULL;
    size_t snap_len = 0;
    char tail[256];
    size_t tail_len = 0;
    if (!ept_need_servers(0)) return;
    EPT_CHECK_OK(ep_snapshot_write_bytes(0, NULL, 0, NULL, &snap, &snap_len));
    tail_len = (size_t)snprintf(tail, sizeof tail, "+EMBERSYNC 0\r\n$%zu\r\n", snap_len);
    if (tail_len + snap_len + 16 > sizeof tail) {
        ep_free(NULL, snap);
        EPT_CHECK(0);
    }
    memcpy(tail + tail_len, snap, snap_len);
    tail_len += snap_len;
    memcpy(tail + tail_len, "$3\r\n\xee\xee\xee\r\n", 9);
    tail_len += 9;
    ep_free(NULL, snap);
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ept_proc r;
        int port = 0, lfd = listen_any(&port), rc;
        char ps[16], v[64];
        const char *extra[] = {cases[k].follow ? "--follow" : "--replicaof", "127.0.0.1", ps, NULL};
        const char *ping[1] = {"PING"}, *get[2] = {"GET", "kept"}, *set[3] = {"SET", "kept", "1"};
        const char *dir = subdir(k % 2 ? "hostile-a" : "hostile-b");
        const char *bytes = cases[k].len ? cases[k].bytes : tail;
        size_t blen = cases[k].len ? cases[k].len : tail_len;
        EPT_CHECK(lfd >= 0);
        snprintf(ps, sizeof ps, "%d", port);
        /* data of its own first: a refused sync must not lose it */
        rc = ept_start_ours(&r, dir, NULL);
        if (rc == 0) {
            rc = command_ok(r.port, 3, set, "+OK") ? 0 : -1;
            ept_stop(&r, 0);
        }
        if (rc == 0) rc = ept_start_ours(&r, dir, extra);
        if (rc) close(lfd);
        EPT_CHECK_OK(rc);
        rc = serve_hostile(lfd, bytes, blen);
        if (rc == 0) rc = serve_hostile(lfd, bytes, blen); /* it came back */
        close(lfd);
        if (rc == 0) rc = command_ok(r.port, 1, ping, "+PONG") ? 0 : -1;
        if (rc == 0) rc = command_ok(r.port, 2, get, cases[k].synced ? "$-1" : "$1\r\n1") ? 0 : -1;
        if (rc == 0) rc = info_field(r.port, "master_link_attempts:", v, sizeof v);
        ept_stop(&r, 0);
        if (rc) printf("    case %zu failed\n", k);
        EPT_CHECK_OK(rc);
        EPT_CHECK(atoi(v) >= 2);
    }
    printf("    %zu hostile masters refused, each retried\n", k);
}

EPT_MAIN()
#else
#include "harness.h"
EPT_CASE(windows) {
    ept_skip("resp_server and the test clients are POSIX (fork, signals, sockets)");
}
EPT_MAIN()
#endif /* _WIN32 */
