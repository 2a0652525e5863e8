#define _XOPEN_SOURCE 700
#include "support/redis_util.h"
#include "support/run_cmd.h"
#include "support/procs.h"
#include "harness.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#else
/* Windows: no redis-server, no shell to ask (the tests that need them skip
 * as "not installed"); the file and RDB helpers work as everywhere. */
#include <io.h>
#ifndef R_OK
#define R_OK 4
#endif
#define realpath(p, resolved) _fullpath(resolved, p, 0)
#define recv(fd, p, n, f) ((void)(fd), (void)(p), (void)(n), -1)
#define send(fd, p, n, f) ((void)(fd), (void)(p), (void)(n), -1)
#endif

const char *ept_shared_path(const char *rel) {
    static char path[1024];
    const char *dirs[3];
    int i;
    dirs[0] = getenv("EP_SHARED_DIR");
    dirs[1] = "../shared";
    dirs[2] = "../../shared";
    for (i = 0; i < 3; i++) {
        if (!dirs[i]) continue;
        snprintf(path, sizeof path, "%s/%s", dirs[i], rel);
        if (access(path, R_OK) == 0) {
            char *abs = realpath(path, NULL);
            if (abs) {
                snprintf(path, sizeof path, "%s", abs);
                free(abs);
            }
            return path;
        }
    }
    return NULL;
}

int ept_have_program(const char *name) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return ept_run_cmd(cmd, NULL, 0) == 0;
}

int ept_need_redis(void) {
    if (!ept_have_program("redis-server") || !ept_have_program("redis-cli")) {
        ept_skip("redis-server / redis-cli not installed");
        return 0;
    }
    return 1;
}

/* Through the one runner (run_cmd.h): sh -c cmd, bounded to 10 minutes;
 * what it wrote to stderr is passed on to ours. */
int ept_run_cmd(const char *cmd, char *out, size_t cap) {
    const char *argv[4];
    ept_cmd_out o;
    int rc;
    argv[0] = "/bin/sh", argv[1] = "-c", argv[2] = cmd, argv[3] = NULL;
    rc = ept_run_argv(argv, NULL, NULL, 600000, &o);
    if (out && cap) {
        size_t k = o.out_len < cap - 1 ? o.out_len : cap - 1;
        if (k) memcpy(out, o.out, k);
        out[k] = '\0';
    }
    if (o.err_len) fputs(o.err, stderr);
    ept_cmd_out_free(&o);
    return rc;
}

int ept_write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    if (n && fwrite(data, 1, n, f) != n) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

uint8_t *ept_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0, k;
    if (!f) return NULL;
    for (;;) {
        if (len == cap) {
            uint8_t *nb = (uint8_t *)realloc(buf, cap ? cap * 2 : 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = cap ? cap * 2 : 65536;
        }
        k = fread(buf + len, 1, cap - len, f);
        if (k == 0) break;
        len += k;
    }
    fclose(f);
    *n = len;
    return buf;
}

#ifndef _WIN32
int ept_free_port(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    if (fd < 0) return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void ept__print_log(const ept_redis *r) {
    size_t n;
    uint8_t *t = ept_read_file(r->log, &n);
    if (t) {
        fprintf(stderr, "---- %s\n%.*s----\n", r->log, (int)(n > 4000 ? 4000 : n), (const char *)t + (n > 4000 ? n - 4000 : 0));
        free(t);
    }
}

/* Through procs.h's starter (a child on a free port, answering PING, stopped
 * by its pid at the latest at exit), with the log in dir for
 * ept_redis_log_has; extra_args split at spaces (no quoting). */
int ept_redis_start(ept_redis *r, const char *dir, const char *extra_args, int timeout_ms) {
    const char *argv[40];
    char words[1024];
    ept_proc p;
    int n = 0;
    memset(r, 0, sizeof *r);
    r->fd = -1;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    snprintf(r->log, sizeof r->log, "%s/redis.log", dir);
    argv[n++] = "--logfile";
    argv[n++] = r->log;
    if (extra_args) {
        char *tok, *save = NULL;
        snprintf(words, sizeof words, "%s", extra_args);
        for (tok = strtok_r(words, " ", &save); tok && n < 38; tok = strtok_r(NULL, " ", &save)) argv[n++] = tok;
    }
    argv[n] = NULL;
    if (ept_start_redis_timeout(&p, dir, argv, timeout_ms) == 0) {
        r->pid = (long)p.pid;
        r->port = p.port;
        if ((r->fd = ept_connect_timeout(r->port, 10)) >= 0) return 0; /* every read bounded: 10 s */
    }
    ept__print_log(r);
    ept_redis_stop(r);
    return -1;
}

void ept_redis_stop(ept_redis *r) {
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    if (r->pid > 0) {
        ept_proc p;
        p.pid = (pid_t)r->pid;
        p.port = r->port;
        ept_stop(&p, 0);
    }
    r->pid = 0;
    free(r->in);
    r->in = NULL;
    r->in_len = r->in_cap = 0;
}
#else
int ept_free_port(void) { return 0; }

int ept_redis_start(ept_redis *r, const char *dir, const char *extra_args, int timeout_ms) {
    (void)dir;
    (void)extra_args;
    (void)timeout_ms;
    memset(r, 0, sizeof *r);
    r->fd = -1;
    return -1;
}

void ept_redis_stop(ept_redis *r) {
    free(r->in);
    r->in = NULL;
    r->in_len = r->in_cap = 0;
    r->fd = -1;
}
#endif

int ept_redis_log_has(const ept_redis *r, const char *s) {
    size_t n;
    uint8_t *t = ept_read_file(r->log, &n);
    int found = 0;
    if (!t) return 0;
    if (n) {
        uint8_t *z = (uint8_t *)realloc(t, n + 1);
        if (z) {
            t = z;
            t[n] = 0;
            found = strstr((const char *)t, s) != NULL;
        }
    }
    free(t);
    return found;
}

/* Appends text to out (bounded). */
static void ept__app(char *out, size_t cap, size_t *pos, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n && *pos + 1 < cap; i++) out[(*pos)++] = s[i];
    out[*pos] = '\0';
}

static void ept__app_bytes(char *out, size_t cap, size_t *pos, ep_bytes b) {
    size_t i;
    for (i = 0; i < b.len; i++) {
        char hx[8];
        uint8_t c = b.data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') ept__app(out, cap, pos, (const char *)&b.data[i], 1);
        else {
            snprintf(hx, sizeof hx, "\\x%02x", c);
            ept__app(out, cap, pos, hx, 4);
        }
    }
}

/* Reads one value at r->in[*off], receiving more bytes as needed (bounded
 * in time); views in v point into r->in. */
static int ept__read_value(ept_redis *r, size_t *off, ep_resp_value *v) {
    size_t used;
    ep_result res;
    long long t0 = ept_ms();
    for (;;) {
        ssize_t k;
        res = ep_resp_read_value(r->in + *off, r->in_len - *off, 0, v, &used, NULL);
        if (res == EP_OK) break;
        if (res != EP_END || ept_ms() - t0 > 20000) return -1;
        if (r->in_len == r->in_cap) {
            size_t nc = r->in_cap ? r->in_cap * 2 : 65536;
            uint8_t *nb = (uint8_t *)realloc(r->in, nc);
            if (!nb) return -1;
            r->in = nb;
            r->in_cap = nc;
        }
        k = recv(r->fd, r->in + r->in_len, r->in_cap - r->in_len, 0);
        if (k <= 0) return -1;
        r->in_len += (size_t)k;
    }
    *off += used;
    return 0;
}

/* Renders one value starting at r->in[*off], reading more as needed. */
static int ept__render(ept_redis *r, size_t *off, char *out, size_t cap, size_t *pos, int depth) {
    ep_resp_value v;
    if (ept__read_value(r, off, &v)) return -1;
    switch (v.type) {
    case EP_RESP_ARRAY:
    case EP_RESP_SET:
    case EP_RESP_PUSH:
    case EP_RESP_MAP: {
        int64_t i, n = v.type == EP_RESP_MAP ? v.integer * 2 : v.integer;
        if (v.is_null) {
            ept__app(out, cap, pos, "(nil)", 5);
            return 0;
        }
        if (depth > 16) return -1;
        ept__app(out, cap, pos, "[", 1);
        for (i = 0; i < n; i++) {
            if (i) ept__app(out, cap, pos, ",", 1);
            if (ept__render(r, off, out, cap, pos, depth + 1)) return -1;
        }
        ept__app(out, cap, pos, "]", 1);
        return 0;
    }
    case EP_RESP_INTEGER: {
        char num[32];
        int n = snprintf(num, sizeof num, "%lld", (long long)v.integer);
        ept__app(out, cap, pos, num, (size_t)n);
        return 0;
    }
    case EP_RESP_ERROR:
        ept__app(out, cap, pos, "-", 1);
        ept__app_bytes(out, cap, pos, v.str);
        return 0;
    default:
        if (v.is_null) ept__app(out, cap, pos, "(nil)", 5);
        else ept__app_bytes(out, cap, pos, v.str);
        return 0;
    }
}

int ept_redis_cmd(ept_redis *r, char *out, size_t cap, int argc, const char *const *argv, const size_t *lens) {
    ep_buf b;
    ep_bytes *av;
    size_t sent = 0, off = 0, pos = 0;
    int i, rc;
    if (r->fd < 0 || argc <= 0 || argc > 100000) return -1;
    av = (ep_bytes *)malloc((size_t)argc * sizeof *av);
    if (!av) return -1;
    for (i = 0; i < argc; i++) av[i] = ep_bytes_of(argv[i], lens ? lens[i] : strlen(argv[i]));
    ep_buf_init(&b, NULL);
    ep_resp_write_command(&b, (size_t)argc, av);
    free(av);
    while (sent < b.len) {
        ssize_t k = send(r->fd, b.data + sent, b.len - sent, 0);
        if (k <= 0) {
            ep_buf_free(&b);
            return -1;
        }
        sent += (size_t)k;
    }
    ep_buf_free(&b);
    if (cap) out[0] = '\0';
    rc = ept__render(r, &off, out, cap, &pos, 0);
    memmove(r->in, r->in + off, r->in_len - off);
    r->in_len -= off;
    return rc;
}

int ept_redis_cmdv(ept_redis *r, char *out, size_t cap, ...) {
    const char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, cap);
    while (argc < 64 && (argv[argc] = va_arg(ap, const char *)) != NULL) argc++;
    va_end(ap);
    return ept_redis_cmd(r, out, cap, argc, argv, NULL);
}

static int ept__flat_push(ept_flat *f, const void *p, size_t n) {
    char **ni = (char **)realloc(f->item, (f->n + 1) * sizeof *ni);
    size_t *nl;
    if (!ni) return -1;
    f->item = ni;
    nl = (size_t *)realloc(f->len, (f->n + 1) * sizeof *nl);
    if (!nl) return -1;
    f->len = nl;
    f->item[f->n] = (char *)malloc(n + 1);
    if (!f->item[f->n]) return -1;
    if (n) memcpy(f->item[f->n], p, n);
    f->item[f->n][n] = 0;
    f->len[f->n] = n;
    f->n++;
    return 0;
}

/* Reads one value (waiting for bytes) into f; aggregates flatten. */
static int ept__flat_value(ept_redis *r, size_t *off, ept_flat *f, int depth) {
    ep_resp_value v;
    if (ept__read_value(r, off, &v)) return -1;
    if (v.type == EP_RESP_ARRAY || v.type == EP_RESP_SET || v.type == EP_RESP_MAP || v.type == EP_RESP_PUSH) {
        int64_t i, n = v.type == EP_RESP_MAP ? v.integer * 2 : v.integer;
        if (v.is_null) {
            if (depth == 0) f->is_null = 1;
            return 0;
        }
        for (i = 0; i < n; i++)
            if (ept__flat_value(r, off, f, depth + 1)) return -1;
        return 0;
    }
    if (v.type == EP_RESP_INTEGER) {
        char num[32];
        int n = snprintf(num, sizeof num, "%lld", (long long)v.integer);
        return ept__flat_push(f, num, (size_t)n);
    }
    if (v.type == EP_RESP_ERROR) f->is_error = 1;
    if (v.is_null) {
        if (depth == 0) f->is_null = 1;
        return 0;
    }
    return ept__flat_push(f, v.str.data, v.str.len);
}

int ept_redis_flat(ept_redis *r, ept_flat *out, int argc, const char *const *argv, const size_t *lens) {
    ep_buf b;
    ep_bytes av[64];
    size_t sent = 0, off = 0;
    int i, rc;
    memset(out, 0, sizeof *out);
    if (r->fd < 0 || argc > 64) return -1;
    for (i = 0; i < argc; i++) av[i] = ep_bytes_of(argv[i], lens ? lens[i] : strlen(argv[i]));
    ep_buf_init(&b, NULL);
    ep_resp_write_command(&b, (size_t)argc, av);
    while (sent < b.len) {
        ssize_t k = send(r->fd, b.data + sent, b.len - sent, 0);
        if (k <= 0) {
            ep_buf_free(&b);
            return -1;
        }
        sent += (size_t)k;
    }
    ep_buf_free(&b);
    rc = ept__flat_value(r, &off, out, 0);
    memmove(r->in, r->in + off, r->in_len - off);
    r->in_len -= off;
    return rc;
}

int ept_redis_flatv(ept_redis *r, ept_flat *out, ...) {
    const char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, out);
    while (argc < 64 && (argv[argc] = va_arg(ap, const char *)) != NULL) argc++;
    va_end(ap);
    return ept_redis_flat(r, out, argc, argv, NULL);
}

void ept_flat_free(ept_flat *f) {
    size_t i;
    for (i = 0; i < f->n; i++) free(f->item[i]);
    free(f->item);
    free(f->len);
    memset(f, 0, sizeof *f);
}

/* ---- canonical data sets ------------------------------------------------ */

typedef struct ept__sb {
    char *p;
    size_t n, cap;
} ept__sb;

static void ept__sb_put(ept__sb *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 256);
        while (nc < b->n + n + 1) nc *= 2;
        b->p = (char *)realloc(b->p, nc);
        if (!b->p) abort();
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void ept__sb_esc(ept__sb *b, const uint8_t *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] >= 0x21 && s[i] < 0x7f && s[i] != '\\' && s[i] != ',' && s[i] != '=') ept__sb_put(b, (const char *)s + i, 1);
        else {
            char hx[8];
            snprintf(hx, sizeof hx, "\\x%02x", s[i]);
            ept__sb_put(b, hx, 4);
        }
    }
}

static int ept__cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void ept__canon_add(ept_canon *c, char *line) {
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->line = (char **)realloc(c->line, c->cap * sizeof *c->line);
        if (!c->line) abort();
    }
    c->line[c->n++] = line;
}

void ept_canon_free(ept_canon *c) {
    size_t i;
    for (i = 0; i < c->n; i++) free(c->line[i]);
    free(c->line);
    memset(c, 0, sizeof *c);
}

/* One key being collected: its elements as escaped strings. */
typedef struct ept__key {
    ept__sb head;
    char **el;
    size_t n, cap;
    int sorted;
} ept__key;

static void ept__key_el(ept__key *k, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int has_b) {
    ept__sb e;
    memset(&e, 0, sizeof e);
    ept__sb_esc(&e, a, an);
    if (has_b) {
        ept__sb_put(&e, "=", 1);
        ept__sb_esc(&e, b, bn);
    }
    if (!e.p) ept__sb_put(&e, "", 0);
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 16;
        k->el = (char **)realloc(k->el, k->cap * sizeof *k->el);
        if (!k->el) abort();
    }
    k->el[k->n++] = e.p;
}

static void ept__key_begin(ept__key *k, uint64_t db, const uint8_t *key, size_t kn, const char *kind, int64_t exp) {
    char num[64];
    memset(k, 0, sizeof *k);
    snprintf(num, sizeof num, "%llu\t", (unsigned long long)db);
    ept__sb_put(&k->head, num, strlen(num));
    ept__sb_esc(&k->head, key, kn);
    snprintf(num, sizeof num, "\t%s\t%lld\t", kind, (long long)exp);
    ept__sb_put(&k->head, num, strlen(num));
    k->sorted = strcmp(kind, "list") != 0 && strcmp(kind, "string") != 0;
}

static void ept__key_end(ept__key *k, ept_canon *c) {
    size_t i;
    if (k->sorted) qsort(k->el, k->n, sizeof *k->el, ept__cmp_str);
    for (i = 0; i < k->n; i++) {
        if (i) ept__sb_put(&k->head, ",", 1);
        ept__sb_put(&k->head, k->el[i], strlen(k->el[i]));
        free(k->el[i]);
    }
    free(k->el);
    ept__canon_add(c, k->head.p);
}

typedef struct ept__rdbc {
    ept_canon *c;
    ept__key k;
} ept__rdbc;

static ep_result ept__c_begin(void *u, const ep_rdb_key *k) {
    ept__rdbc *x = (ept__rdbc *)u;
    ept__key_begin(&x->k, k->db, k->key.data, k->key.len, k->kind, k->expire_ms);
    return EP_OK;
}
static ep_result ept__c_el(void *u, const ep_rdb_key *k, const ep_item *e) {
    ept__rdbc *x = (ept__rdbc *)u;
    if (strcmp(k->kind, "zset") == 0) {
        char num[EP_RESP_NUM_MAX];
        size_t n = ep_resp_format_double(e->score, num);
        ept__key_el(&x->k, e->a.data, e->a.len, (const uint8_t *)num, n, 1);
    } else {
        ept__key_el(&x->k, e->a.data, e->a.len, e->b.data, e->b.len, strcmp(k->kind, "hash") == 0);
    }
    return EP_OK;
}
static ep_result ept__c_end(void *u, const ep_rdb_key *k) {
    ept__rdbc *x = (ept__rdbc *)u;
    (void)k;
    ept__key_end(&x->k, x->c);
    return EP_OK;
}
static ep_result ept__c_skip(void *u, const ep_rdb_key *k, ep_result why) {
    ept__rdbc *x = (ept__rdbc *)u;
    (void)k;
    (void)why;
    x->c->skipped++;
    return EP_OK;
}
static ep_result ept__c_fn(void *u, ep_bytes code) {
    ept__rdbc *x = (ept__rdbc *)u;
    (void)code;
    x->c->functions++;
    return EP_OK;
}

ep_result ept_canon_from_rdb(const char *path, ept_canon *out, ep_error *err) {
    ep_rdb_visitor v;
    ept__rdbc x;
    memset(out, 0, sizeof *out);
    memset(&v, 0, sizeof v);
    memset(&x, 0, sizeof x);
    x.c = out;
    v.user = &x;
    v.key_begin = ept__c_begin;
    v.element = ept__c_el;
    v.key_end = ept__c_end;
    v.skipped = ept__c_skip;
    v.function = ept__c_fn;
    return ep_rdb_read(path, NULL, &v, NULL, err);
}

int ept_canon_from_server(ept_redis *r, int dbs, ept_canon *out) {
    int db;
    memset(out, 0, sizeof *out);
    for (db = 0; db < dbs; db++) {
        char dbs_[16];
        ept_flat keys, sel;
        size_t i;
        snprintf(dbs_, sizeof dbs_, "%d", db);
        if (ept_redis_flatv(r, &sel, "SELECT", dbs_, (const char *)NULL)) return -1;
        ept_flat_free(&sel);
        if (ept_redis_flatv(r, &keys, "KEYS", "*", (const char *)NULL)) return -1;
        for (i = 0; i < keys.n; i++) {
            const char *av[8];
            size_t al[8];
            ept_flat t, e, v;
            ept__key k;
            char kind[16];
            av[1] = keys.item[i];
            al[1] = keys.len[i];
            av[0] = "TYPE";
            al[0] = 4;
            if (ept_redis_flat(r, &t, 2, av, al) || t.n != 1) return -1;
            snprintf(kind, sizeof kind, "%s", t.item[0]);
            ept_flat_free(&t);
            if (strcmp(kind, "stream") == 0) continue;
            av[0] = "PEXPIRETIME";
            al[0] = 11;
            if (ept_redis_flat(r, &e, 2, av, al) || e.n != 1) return -1;
            ept__key_begin(&k, (uint64_t)db, (const uint8_t *)keys.item[i], keys.len[i], kind, atoll(e.item[0]));
            ept_flat_free(&e);
            if (strcmp(kind, "string") == 0) {
                av[0] = "GET", al[0] = 3;
                if (ept_redis_flat(r, &v, 2, av, al)) return -1;
            } else if (strcmp(kind, "list") == 0) {
                av[0] = "LRANGE", al[0] = 6, av[2] = "0", al[2] = 1, av[3] = "-1", al[3] = 2;
                if (ept_redis_flat(r, &v, 4, av, al)) return -1;
            } else if (strcmp(kind, "set") == 0) {
                av[0] = "SMEMBERS", al[0] = 8;
                if (ept_redis_flat(r, &v, 2, av, al)) return -1;
            } else if (strcmp(kind, "hash") == 0) {
                av[0] = "HGETALL", al[0] = 7;
                if (ept_redis_flat(r, &v, 2, av, al)) return -1;
            } else if (strcmp(kind, "zset") == 0) {
                av[0] = "ZRANGE", al[0] = 6, av[2] = "0", al[2] = 1, av[3] = "-1", al[3] = 2, av[4] = "WITHSCORES", al[4] = 10;
                if (ept_redis_flat(r, &v, 5, av, al)) return -1;
            } else {
                return -1;
            }
            if (strcmp(kind, "hash") == 0 || strcmp(kind, "zset") == 0) {
                size_t j;
                for (j = 0; j + 1 < v.n; j += 2) {
                    if (kind[0] == 'z') {
                        char num[EP_RESP_NUM_MAX];
                        size_t nn = ep_resp_format_double(strtod(v.item[j + 1], NULL), num);
                        ept__key_el(&k, (const uint8_t *)v.item[j], v.len[j], (const uint8_t *)num, nn, 1);
                    } else {
                        ept__key_el(&k, (const uint8_t *)v.item[j], v.len[j], (const uint8_t *)v.item[j + 1], v.len[j + 1], 1);
                    }
                }
            } else {
                size_t j;
                for (j = 0; j < v.n; j++) ept__key_el(&k, (const uint8_t *)v.item[j], v.len[j], NULL, 0, 0);
            }
            ept_flat_free(&v);
            ept__key_end(&k, out);
        }
        ept_flat_free(&keys);
    }
    {
        ept_flat sel;
        if (ept_redis_flatv(r, &sel, "SELECT", "0", (const char *)NULL)) return -1;
        ept_flat_free(&sel);
    }
    return 0;
}

void ept_canon_from_keyspace(const ep_keyspace *ks, uint64_t db, int64_t now_ms, ept_canon *out) {
    static const char *const kinds[] = {"string", "list", "zset", "hash", "set"};
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    memset(out, 0, sizeof *out);
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(ks, &it)) != NULL) {
        uint8_t t = ep_ks_entry_type(e);
        int64_t ttl = ep_ks_entry_ttl(e);
        ep_bytes key = ep_ks_entry_key(e);
        ep_ks_value_iter vi;
        ep_item item;
        ept__key k;
        int nan = 0;
        if (t > EP_TYPE_SET) {
            out->skipped++;
            continue;
        }
        ept__key_begin(&k, db, key.data, key.len, kinds[t], ttl < 0 ? -1 : now_ms + ttl);
        if (t == EP_TYPE_STRING) {
            ep_bytes v = ep_ks_entry_value(e);
            ept__key_el(&k, v.data, v.len, NULL, 0, 0);
        }
        ep_ks_value_iter_init(&vi, e);
        while (t != EP_TYPE_STRING && ep_ks_value_next(&vi, &item)) {
            if (t == EP_TYPE_ZSET) {
                char num[EP_RESP_NUM_MAX];
                size_t n = ep_resp_format_double(item.score, num);
                if (item.score != item.score) nan = 1;
                ept__key_el(&k, item.a.data, item.a.len, (const uint8_t *)num, n, 1);
            } else {
                ept__key_el(&k, item.a.data, item.a.len, item.b.data, item.b.len, t == EP_TYPE_HASH);
            }
        }
        if (nan) {
            size_t i;
            for (i = 0; i < k.n; i++) free(k.el[i]);
            free(k.el);
            free(k.head.p);
            out->skipped++;
            continue;
        }
        ept__key_end(&k, out);
    }
}

char *ept_canon_text(ept_canon *c) {
    ept__sb b;
    size_t i;
    memset(&b, 0, sizeof b);
    qsort(c->line, c->n, sizeof *c->line, ept__cmp_str);
    ept__sb_put(&b, "", 0);
    for (i = 0; i < c->n; i++) {
        ept__sb_put(&b, c->line[i], strlen(c->line[i]));
        ept__sb_put(&b, "\n", 1);
    }
    return b.p;
}

void ept_canon_diff(const char *a, const char *b) {
    size_t line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    fprintf(stderr, "    first difference on line %u:\n    ours:   %.300s\n    theirs: %.300s\n", (unsigned)line, la, lb);
}
