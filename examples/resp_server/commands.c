/* commands.c: the commands, on ep_keyspace. Reads go through the keyspace's
 * lookup and value iterators; every change is one or more ember AOF records
 * (persist_apply logs them, then applies them), made only once the command
 * is known to succeed, so a refused command leaves no record.
 *
 * Error replies are Redis 7.0's words. Keys, set and sorted-set members and
 * hash fields must be UTF-8 (ember's format); others get an error naming that. */
#define _POSIX_C_SOURCE 200809L
#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_SYNTAX "ERR syntax error"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_NO_KEY "ERR no such key"
#define ERR_TOO_BIG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

typedef void (*cmd_fn)(server *s, client *c);
typedef struct command {
    const char *name; /* lower case, as Redis prints it */
    int arity;        /* > 0 exactly, < 0 at least -arity (the name included) */
    cmd_fn fn;
    int write;        /* changes data: refused on a replica (-READONLY) */
} command;

/* ---- small helpers ------------------------------------------------------- */

static ep_bytes A(const client *c, size_t i) { return c->argv[i]; }

static int arg_is(const client *c, size_t i, const char *s) {
    size_t n = strlen(s), k;
    if (c->argv[i].len != n) return 0;
    for (k = 0; k < n; k++)
        if (tolower(c->argv[i].data[k]) != s[k]) return 0;
    return 1;
}

static int bytes_eq(ep_bytes a, ep_bytes b) { return a.len == b.len && (a.len == 0 || !memcmp(a.data, b.data, a.len)); }

/* Redis's string2ll (the codec's): what it accepts as an integer argument or value. */
static int parse_ll(const uint8_t *p, size_t n, int64_t *out) { return ep_resp_parse_i64(p, n, out); }

static int arg_ll(client *c, size_t i, int64_t *out) {
    if (parse_ll(c->argv[i].data, c->argv[i].len, out)) return 1;
    reply_error(c, ERR_NOT_INT);
    return 0;
}

/* Redis's strtod rules for a score: no spaces, no NaN. */
static int parse_double(const uint8_t *p, size_t n, double *out) {
    char b[128], *end;
    double d;
    if (n == 0 || n >= sizeof b) return 0;
    memcpy(b, p, n);
    b[n] = 0;
    if (isspace((unsigned char)b[0])) return 0;
    if (!strcasecmp(b, "inf") || !strcasecmp(b, "+inf") || !strcasecmp(b, "infinity") ||
        !strcasecmp(b, "+infinity")) {
        *out = INFINITY;
        return 1;
    }
    if (!strcasecmp(b, "-inf") || !strcasecmp(b, "-infinity")) {
        *out = -INFINITY;
        return 1;
    }
    errno = 0;
    d = strtod(b, &end);
    if (*end || d != d || (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || d == 0))) return 0;
    *out = d;
    return 1;
}

static ep_aof_record rec_of(uint8_t tag, ep_bytes key) {
    ep_aof_record r;
    memset(&r, 0, sizeof r);
    r.tag = tag;
    r.key = key;
    return r;
}

/* The live entry of key, expiring it first if its deadline passed (lazy expiry). */
static const ep_ks_entry *lookup(server *s, ep_bytes key) {
    const ep_ks_entry *e = ep_keyspace_get(s->ks, key.data, key.len);
    if (e && ep_ks_entry_ttl(e) >= 0 && ep_ks_entry_ttl(e) <= srv_now_ms()) {
        ep_aof_record d = rec_of(EP_AOF_DEL, key);
        (void)persist_apply(s, NULL, &d, 1, NULL, 0);
        e = ep_keyspace_get(s->ks, key.data, key.len);
        if (e) (void)ep_keyspace_apply(s->ks, &d, 0); /* the log refused it: drop it in memory anyway */
        return NULL;
    }
    return e;
}

/* Lookup that answers WRONGTYPE itself; *ok = 0 after an error reply. */
static const ep_ks_entry *lookup_type(server *s, client *c, ep_bytes key, uint8_t type, int *ok) {
    const ep_ks_entry *e = lookup(s, key);
    *ok = 1;
    if (e && ep_ks_entry_type(e) != type) {
        reply_error(c, ERR_WRONGTYPE);
        *ok = 0;
        return NULL;
    }
    return e;
}

/* The element whose first field is a: O(1) for a hash field, set or zset
 * member (the keyspace's reads); a list pivot is a scan, as in Redis. */
static int find_item(server *s, const ep_ks_entry *e, ep_bytes a, ep_item *out) {
    ep_ks_value_iter it;
    if (!e) return 0;
    out->a = a;
    switch (ep_ks_entry_type(e)) {
    case EP_TYPE_HASH: return ep_ks_hash_get(s->ks, e, a, &out->b) == EP_OK;
    case EP_TYPE_SET: return ep_ks_set_contains(s->ks, e, a) == EP_OK;
    case EP_TYPE_ZSET: return ep_ks_zset_score(s->ks, e, a, &out->score) == EP_OK;
    default:
        ep_ks_value_iter_init(&it, e);
        while (ep_ks_value_next(&it, out))
            if (out->a.len == a.len && (a.len == 0 || !memcmp(out->a.data, a.data, a.len))) return 1;
        return 0;
    }
}

/* Arguments [from, from+n) as byte views (freed by the caller). */
static ep_bytes *args_bytes(client *c, size_t from, size_t n, size_t step) {
    ep_bytes *v = (ep_bytes *)malloc((n ? n : 1) * sizeof *v);
    size_t i;
    if (!v) return NULL;
    for (i = 0; i < n; i++) v[i] = A(c, from + i * step);
    return v;
}

/* A deadline's log record (absolute, so a restart does not extend it) and
 * its in-memory form (the keyspace holds absolute deadlines). */
static void ttl_records(ep_bytes key, int64_t deadline, ep_aof_record *log, ep_aof_record *mem) {
    *log = rec_of(EP_AOF_PEXPIREAT, key);
    log->num = deadline;
    *mem = rec_of(EP_AOF_PEXPIRE, key);
    mem->num = deadline;
}

static int del_key(server *s, client *c, ep_bytes key) {
    ep_aof_record d = rec_of(EP_AOF_DEL, key);
    return persist_apply(s, c, &d, 1, NULL, 0);
}

/* Reply an array of the elements in [start, stop] of a list or sorted set
 * (Redis's clamping; rev: rank 0 is the highest score). The keyspace
 * positions the iterator: O(count) for a list, no copy. */
static void reply_range(client *c, const ep_ks_entry *e, int64_t start, int64_t stop, int withscores, int rev) {
    ep_ks_value_iter it;
    ep_item item;
    size_t n = 0;
    if (ep_ks_value_iter_range(&it, e, start, stop, rev, &n) != EP_OK) n = 0;
    reply_array(c, n * (withscores && c->resp == 2 ? 2 : 1));
    while (n-- > 0 && ep_ks_value_next(&it, &item)) {
        if (withscores && c->resp == 3) reply_array(c, 2);
        reply_bulk(c, item.a.data, item.a.len);
        if (withscores) reply_double(c, item.score);
    }
}

/* Redis's glob (stringmatchlen): * ? [set] [^set] [a-z] and \ escapes. */
static int glob(const uint8_t *p, size_t pn, const uint8_t *s, size_t sn, int depth) {
    if (depth > 64) return 0;
    while (pn && sn) {
        switch (p[0]) {
        case '*':
            while (pn > 1 && p[1] == '*') p++, pn--;
            if (pn == 1) return 1;
            while (sn) {
                if (glob(p + 1, pn - 1, s, sn, depth + 1)) return 1;
                s++, sn--;
            }
            return 0;
        case '?':
            s++, sn--;
            break;
        case '[': {
            int neg, match = 0;
            p++, pn--;
            neg = pn && p[0] == '^';
            if (neg) p++, pn--;
            while (pn && p[0] != ']') {
                if (p[0] == '\\' && pn >= 2) {
                    p++, pn--;
                    if (p[0] == s[0]) match = 1;
                } else if (pn >= 3 && p[1] == '-') {
                    uint8_t lo = p[0], hi = p[2];
                    if (lo > hi) { uint8_t t = lo; lo = hi; hi = t; }
                    if (s[0] >= lo && s[0] <= hi) match = 1;
                    p += 2, pn -= 2;
                } else if (p[0] == s[0]) {
                    match = 1;
                }
                p++, pn--;
            }
            if (neg) match = !match;
            if (!match) return 0;
            s++, sn--;
            if (!pn) return sn == 0; /* unterminated class: Redis stops here */
            break;
        }
        case '\\':
            if (pn >= 2) p++, pn--;
            /* fall through */
        default:
            if (p[0] != s[0]) return 0;
            s++, sn--;
            break;
        }
        p++, pn--;
        if (sn == 0) {
            while (pn && p[0] == '*') p++, pn--;
            break;
        }
    }
    return pn == 0 && sn == 0;
}

static const char *type_word(uint8_t t) {
    switch (t) {
    case EP_TYPE_STRING: return "string";
    case EP_TYPE_LIST: return "list";
    case EP_TYPE_ZSET: return "zset";
    case EP_TYPE_HASH: return "hash";
    case EP_TYPE_SET: return "set";
    case EP_TYPE_PROTO: return "proto";
    default: return "vectorset";
    }
}

/* ---- connection and server ---------------------------------------------- */

static void c_ping(server *s, client *c) {
    (void)s;
    if (c->argc > 2) {
        reply_error(c, "ERR wrong number of arguments for 'ping' command");
        return;
    }
    if (c->argc == 2) reply_bulk(c, c->argv[1].data, c->argv[1].len);
    else reply_simple(c, "PONG");
}

static void c_echo(server *s, client *c) {
    (void)s;
    reply_bulk(c, c->argv[1].data, c->argv[1].len);
}

static void c_select(server *s, client *c) {
    int64_t db;
    (void)s;
    if (!parse_ll(c->argv[1].data, c->argv[1].len, &db)) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    if (db != 0) reply_error(c, "ERR DB index is out of range");
    else reply_ok(c);
}

static void c_quit(server *s, client *c) {
    (void)s;
    reply_ok(c);
    c->close_after = 1;
}

static void c_hello(server *s, client *c) {
    int64_t v = c->resp;
    size_t i = 2;
    if (c->argc >= 2) {
        if (!parse_ll(c->argv[1].data, c->argv[1].len, &v)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (v < 2 || v > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    while (i < c->argc) { /* AUTH and SETNAME are accepted and ignored */
        if (arg_is(c, i, "auth") && i + 2 < c->argc) i += 3;
        else if (arg_is(c, i, "setname") && i + 1 < c->argc) i += 2;
        else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[i].len, c->argv[i].data);
            return;
        }
    }
    c->resp = (int)v;
    reply_map(c, 7);
    reply_cstr(c, "server");
    reply_cstr(c, "redis");
    reply_cstr(c, "version");
    reply_cstr(c, "7.0.15");
    reply_cstr(c, "proto");
    reply_int(c, v);
    reply_cstr(c, "id");
    reply_int(c, c->fd);
    reply_cstr(c, "mode");
    reply_cstr(c, "standalone");
    reply_cstr(c, "role");
    reply_cstr(c, "master");
    reply_cstr(c, "modules");
    reply_array(c, 0);
    (void)s;
}

static void c_command(server *s, client *c) {
    (void)s;
    reply_array(c, 0);
}

static void c_dbsize(server *s, client *c) { reply_int(c, (int64_t)ep_keyspace_count(s->ks)); }

static void c_flushdb(server *s, client *c) {
    char why[256];
    if (c->argc > 2 || (c->argc == 2 && !arg_is(c, 1, "sync") && !arg_is(c, 1, "async"))) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    ep_keyspace_clear(s->ks);
    repl_propagate_flush(s);
    /* Not a record in ember's format: an empty snapshot and an AOF reset, crash safe at every step. */
    if (persist_rewrite(s, why, sizeof why) != 0) {
        reply_errorf(c, "ERR flush could not be made durable: %s", why);
        return;
    }
    reply_ok(c);
}

static void c_save(server *s, client *c) {
    char why[256];
    if (persist_save(s, why, sizeof why) != 0) reply_errorf(c, "ERR %s", why);
    else reply_ok(c);
}

static void c_bgsave(server *s, client *c) {
    char why[256];
    /* Done in the loop, before the reply: no fork, and the words Redis uses. */
    if (persist_save(s, why, sizeof why) != 0) reply_errorf(c, "ERR %s", why);
    else reply_simple(c, "Background saving started");
}

static void c_bgrewriteaof(server *s, client *c) {
    char why[256];
    if (persist_rewrite(s, why, sizeof why) != 0) reply_errorf(c, "ERR %s", why);
    else reply_simple(c, "Background append only file rewriting started");
}

static void c_lastsave(server *s, client *c) { reply_int(c, s->last_save_unix); }

static void c_shutdown(server *s, client *c) {
    char why[256];
    if (c->argc > 2 || (c->argc == 2 && !arg_is(c, 1, "nosave") && !arg_is(c, 1, "save"))) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 2 && arg_is(c, 1, "save") && persist_save(s, why, sizeof why) != 0) {
        reply_errorf(c, "ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    s->shutdown = 1; /* the AOF is synced and closed on the way out */
    c->close_after = 1;
}

static const char *fsync_word(ep_fsync_policy p) {
    return p == EP_FSYNC_ALWAYS ? "always" : p == EP_FSYNC_EVERYSEC ? "everysec" : "no";
}

static void c_config(server *s, client *c) {
    const char *names[] = {"appendfsync", "appendonly", "dir", "port", "bind", "save", "databases"};
    char port[16], vals_dir[1100];
    const char *vals[7];
    size_t i, k, hits = 0;
    int match[7];
    if (!arg_is(c, 1, "get")) {
        reply_errorf(c, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.", (int)c->argv[1].len, c->argv[1].data);
        return;
    }
    if (c->argc < 3) {
        reply_error(c, "ERR wrong number of arguments for 'config|get' command");
        return;
    }
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(vals_dir, sizeof vals_dir, "%s", s->dir);
    vals[0] = fsync_word(s->fsync);
    vals[1] = "yes";
    vals[2] = vals_dir;
    vals[3] = port;
    vals[4] = s->bind;
    vals[5] = "";
    vals[6] = "1";
    for (k = 0; k < 7; k++) {
        match[k] = 0;
        for (i = 2; i < c->argc; i++) {
            char low[64];
            size_t j, n = c->argv[i].len < 63 ? c->argv[i].len : 63;
            for (j = 0; j < n; j++) low[j] = (char)tolower(c->argv[i].data[j]);
            if (glob((const uint8_t *)low, n, (const uint8_t *)names[k], strlen(names[k]), 0)) match[k] = 1;
        }
        hits += (size_t)match[k];
    }
    reply_map(c, hits);
    for (k = 0; k < 7; k++)
        if (match[k]) {
            reply_cstr(c, names[k]);
            reply_cstr(c, vals[k]);
        }
}

static void c_info(server *s, client *c) {
    char b[4096];
    size_t n = 0, i;
    int all = c->argc == 1, want[5] = {0, 0, 0, 0, 0};
    const char *sec[5] = {"server", "clients", "persistence", "replication", "keyspace"};
    ep_aof_stats st;
    for (i = 1; i < c->argc; i++) {
        size_t k;
        if (arg_is(c, i, "all") || arg_is(c, i, "everything") || arg_is(c, i, "default")) all = 1;
        for (k = 0; k < 5; k++)
            if (arg_is(c, i, sec[k])) want[k] = 1;
    }
    if (all) want[0] = want[1] = want[2] = want[3] = want[4] = 1;
    memset(&st, 0, sizeof st);
    if (s->aof) ep_aof_writer_stats(s->aof, &st);
#define ADD(...) n += (size_t)snprintf(b + n, sizeof b - n, __VA_ARGS__)
    if (want[0])
        ADD("# Server\r\nredis_version:7.0.15\r\nember_persist_version:%s\r\nredis_mode:standalone\r\n"
            "multiplexing_api:poll\r\nprocess_id:%ld\r\ntcp_port:%d\r\nuptime_in_seconds:%lld\r\n\r\n",
            ep_version(), (long)getpid(), s->port, (long long)((srv_now_ms() - s->start_ms) / 1000));
    if (want[1]) ADD("# Clients\r\nconnected_clients:%zu\r\n\r\n", s->nclients);
    if (want[2])
        ADD("# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:%llu\r\nrdb_last_save_time:%lld\r\n"
            "aof_enabled:%d\r\nappendfsync:%s\r\naof_current_size:%llu\r\naof_synced_offset:%llu\r\n"
            "aof_fsyncs:%llu\r\n\r\n",
            (unsigned long long)s->dirty, (long long)s->last_save_unix, s->aof != NULL, fsync_word(s->fsync),
            (unsigned long long)st.size, (unsigned long long)st.synced_offset, (unsigned long long)st.syncs);
    if (want[3]) repl_info(s, b, sizeof b, &n);
    if (want[4]) {
        ADD("# Keyspace\r\n");
        if (ep_keyspace_count(s->ks)) ADD("db0:keys=%zu,expires=0,avg_ttl=0\r\n", ep_keyspace_count(s->ks));
        ADD("\r\n");
    }
#undef ADD
    if (n >= 2) n -= 2; /* no blank line at the very end */
    reply_bulk(c, b, n);
}

/* ---- keys ------------------------------------------------------------------ */

static void c_exists(server *s, client *c) {
    size_t i;
    int64_t n = 0;
    for (i = 1; i < c->argc; i++) n += lookup(s, A(c, i)) != NULL;
    reply_int(c, n);
}

static void c_del(server *s, client *c) {
    size_t i;
    int64_t n = 0;
    for (i = 1; i < c->argc; i++)
        if (lookup(s, A(c, i))) {
            if (del_key(s, c, A(c, i))) return;
            n++;
        }
    reply_int(c, n);
}

static void c_type(server *s, client *c) {
    const ep_ks_entry *e = lookup(s, A(c, 1));
    reply_simple(c, e ? type_word(ep_ks_entry_type(e)) : "none");
}

static int live(const ep_ks_entry *e, int64_t now) { return ep_ks_entry_ttl(e) < 0 || ep_ks_entry_ttl(e) > now; }

static void c_keys(server *s, client *c) {
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    size_t n = 0;
    int64_t now = srv_now_ms();
    ep_buf hdr;
    /* count first, then emit (the keyspace is not changed meanwhile) */
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(s->ks, &it)) != NULL) {
        ep_bytes k = ep_ks_entry_key(e);
        if (live(e, now) && glob(c->argv[1].data, c->argv[1].len, k.data, k.len, 0)) n++;
    }
    reply_array(c, n);
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(s->ks, &it)) != NULL && n) {
        ep_bytes k = ep_ks_entry_key(e);
        if (live(e, now) && glob(c->argv[1].data, c->argv[1].len, k.data, k.len, 0)) {
            reply_bulk(c, k.data, k.len);
            n--;
        }
    }
    (void)hdr;
}

/* SCAN's filters, applied to each key the cursor step gives. */
typedef struct scan_ctx {
    const ep_bytes *pat, *type;
    int64_t now;
    ep_buf keys; /* u32 length + bytes, back to back */
    size_t nk;
} scan_ctx;

static void scan_one(void *user, const ep_ks_entry *e) {
    scan_ctx *x = (scan_ctx *)user;
    ep_bytes k = ep_ks_entry_key(e);
    const char *tw = type_word(ep_ks_entry_type(e));
    if (!live(e, x->now)) return;
    if (x->pat && !glob(x->pat->data, x->pat->len, k.data, k.len, 0)) return;
    if (x->type && !(x->type->len == strlen(tw) && !strncasecmp((const char *)x->type->data, tw, x->type->len)))
        return;
    ep_buf_lenbytes(&x->keys, k.data, k.len);
    x->nk++;
}

static void c_scan(server *s, client *c) {
    scan_ctx ctx;
    int64_t cursor, count = 10, now = srv_now_ms();
    const ep_bytes *pat = NULL, *type = NULL;
    size_t i;
    char cur[32];
    if (!parse_ll(c->argv[1].data, c->argv[1].len, &cursor) || cursor < 0) {
        reply_error(c, "ERR invalid cursor");
        return;
    }
    for (i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        if (arg_is(c, i, "match")) pat = &c->argv[i + 1];
        else if (arg_is(c, i, "type")) type = &c->argv[i + 1];
        else if (arg_is(c, i, "count")) {
            if (!arg_ll(c, i + 1, &count)) return;
            if (count < 1) {
                reply_error(c, ERR_SYNTAX);
                return;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    ctx.pat = pat;
    ctx.type = type;
    ctx.now = now;
    ctx.nk = 0;
    ep_buf_init(&ctx.keys, NULL);
    /* Redis's cursor (ep_keyspace_scan): a key present for the whole scan is returned at least once */
    snprintf(cur, sizeof cur, "%llu",
             (unsigned long long)ep_keyspace_scan(s->ks, (uint64_t)cursor, (size_t)count, scan_one, &ctx));
    reply_array(c, 2);
    reply_cstr(c, cur);
    reply_array(c, ctx.nk);
    for (i = 0; i + 4 <= ctx.keys.len;) {
        uint32_t n = ep_load_u32le(ctx.keys.data + i);
        reply_bulk(c, ctx.keys.data + i + 4, n);
        i += 4 + n;
    }
    ep_buf_free(&ctx.keys);
}

static void c_rename(server *s, client *c) {
    ep_aof_record r;
    if (!lookup(s, A(c, 1))) {
        reply_error(c, ERR_NO_KEY);
        return;
    }
    if (bytes_eq(A(c, 1), A(c, 2))) {
        reply_ok(c);
        return;
    }
    r = rec_of(EP_AOF_RENAME, A(c, 1));
    r.key2 = A(c, 2);
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_ok(c);
}

static void c_copy(server *s, client *c) {
    ep_aof_record r;
    int replace = 0;
    size_t i;
    for (i = 3; i < c->argc; i++) {
        if (arg_is(c, i, "replace")) replace = 1;
        else if (arg_is(c, i, "db") && i + 1 < c->argc) {
            int64_t db;
            if (!arg_ll(c, ++i, &db)) return;
            if (db != 0) {
                reply_error(c, "ERR DB index is out of range");
                return;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (bytes_eq(A(c, 1), A(c, 2))) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    if (!lookup(s, A(c, 1)) || (!replace && lookup(s, A(c, 2)))) {
        reply_int(c, 0);
        return;
    }
    r = rec_of(EP_AOF_COPY, A(c, 1));
    r.key2 = A(c, 2);
    r.flag = (uint8_t)replace;
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, 1);
}

/* ---- expiry ---------------------------------------------------------------- */

/* EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT: unit 1000 or 1, absolute or not. */
static void expire_generic(server *s, client *c, int64_t unit, int absolute, const char *name) {
    const ep_ks_entry *e;
    int64_t v, now = srv_now_ms(), deadline, cur;
    int nx = 0, xx = 0, gt = 0, lt = 0;
    size_t i;
    ep_aof_record log, mem;
    if (!arg_ll(c, 2, &v)) return;
    for (i = 3; i < c->argc; i++) {
        if (arg_is(c, i, "nx")) nx = 1;
        else if (arg_is(c, i, "xx")) xx = 1;
        else if (arg_is(c, i, "gt")) gt = 1;
        else if (arg_is(c, i, "lt")) lt = 1;
        else {
            reply_errorf(c, "ERR Unsupported option %.*s", (int)c->argv[i].len, c->argv[i].data);
            return;
        }
    }
    if (nx && (xx || gt || lt)) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if (gt && lt) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return;
    }
    if ((unit > 1 && (v > INT64_MAX / unit || v < INT64_MIN / unit)) ||
        (!absolute && ((v * unit > 0 && now > INT64_MAX - v * unit) || (v * unit < 0 && now < INT64_MIN - v * unit)))) {
        reply_errorf(c, "ERR invalid expire time in '%s' command", name);
        return;
    }
    deadline = absolute ? v * unit : now + v * unit;
    e = lookup(s, A(c, 1));
    if (!e) {
        reply_int(c, 0);
        return;
    }
    cur = ep_ks_entry_ttl(e);
    if ((nx && cur >= 0) || (xx && cur < 0) || (gt && (cur < 0 || deadline <= cur)) || (lt && cur >= 0 && deadline >= cur)) {
        reply_int(c, 0);
        return;
    }
    if (deadline <= now) {
        if (del_key(s, c, A(c, 1)) == 0) reply_int(c, 1);
        return;
    }
    ttl_records(A(c, 1), deadline, &log, &mem);
    if (persist_apply(s, c, &log, 1, &mem, 1) == 0) reply_int(c, 1);
}

static void c_expire(server *s, client *c) { expire_generic(s, c, 1000, 0, "expire"); }
static void c_pexpire(server *s, client *c) { expire_generic(s, c, 1, 0, "pexpire"); }
static void c_expireat(server *s, client *c) { expire_generic(s, c, 1000, 1, "expireat"); }
static void c_pexpireat(server *s, client *c) { expire_generic(s, c, 1, 1, "pexpireat"); }

static void ttl_generic(server *s, client *c, int ms) {
    const ep_ks_entry *e = lookup(s, A(c, 1));
    int64_t t;
    if (!e) {
        reply_int(c, -2);
        return;
    }
    t = ep_ks_entry_ttl(e);
    if (t < 0) {
        reply_int(c, -1);
        return;
    }
    t -= srv_now_ms();
    if (t < 0) t = 0;
    reply_int(c, ms ? t : (t + 500) / 1000);
}

static void c_ttl(server *s, client *c) { ttl_generic(s, c, 0); }
static void c_pttl(server *s, client *c) { ttl_generic(s, c, 1); }

static void c_persist(server *s, client *c) {
    const ep_ks_entry *e = lookup(s, A(c, 1));
    ep_aof_record r;
    if (!e || ep_ks_entry_ttl(e) < 0) {
        reply_int(c, 0);
        return;
    }
    r = rec_of(EP_AOF_PERSIST, A(c, 1));
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, 1);
}

/* ---- strings ----------------------------------------------------------------- */

static void c_get(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_STRING, &ok);
    ep_bytes v;
    if (!ok) return;
    if (!e) {
        reply_null(c);
        return;
    }
    v = ep_ks_entry_value(e);
    reply_bulk(c, v.data, v.len);
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] */
static void c_set(server *s, client *c) {
    int nx = 0, xx = 0, get = 0, keepttl = 0, has_exp = 0, ok = 1;
    int64_t deadline = -1, now = srv_now_ms();
    size_t i;
    const ep_ks_entry *e;
    ep_aof_record log[2], mem;
    ep_buf old;
    for (i = 3; i < c->argc; i++) {
        int is_ex = arg_is(c, i, "ex"), is_px = arg_is(c, i, "px"), is_exat = arg_is(c, i, "exat"),
            is_pxat = arg_is(c, i, "pxat");
        if (arg_is(c, i, "nx") && !xx) nx = 1;
        else if (arg_is(c, i, "xx") && !nx) xx = 1;
        else if (arg_is(c, i, "get")) get = 1;
        else if (arg_is(c, i, "keepttl") && !has_exp) keepttl = 1;
        else if ((is_ex || is_px || is_exat || is_pxat) && !keepttl && !has_exp && i + 1 < c->argc) {
            int64_t v, unit = (is_ex || is_exat) ? 1000 : 1;
            if (!arg_ll(c, ++i, &v)) return;
            if (v <= 0 || v > INT64_MAX / unit || (!(is_exat || is_pxat) && now > INT64_MAX - v * unit)) {
                reply_error(c, "ERR invalid expire time in 'set' command");
                return;
            }
            deadline = (is_exat || is_pxat) ? v * unit : now + v * unit;
            has_exp = 1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    e = get ? lookup_type(s, c, A(c, 1), EP_TYPE_STRING, &ok) : lookup(s, A(c, 1));
    if (!ok) return;
    ep_buf_init(&old, NULL);
    if (get && e) ep_buf_put(&old, ep_ks_entry_value(e).data, ep_ks_entry_value(e).len);
    if ((nx && e) || (xx && !e)) {
        if (get && e) reply_bulk(c, old.data, old.len);
        else reply_null(c);
        ep_buf_free(&old);
        return;
    }
    if (keepttl && e && ep_ks_entry_ttl(e) >= 0) deadline = ep_ks_entry_ttl(e);
    log[0] = rec_of(EP_AOF_SET, A(c, 1));
    log[0].value = A(c, 2);
    log[0].num = deadline >= 0 ? (deadline > now ? deadline - now : 1) : -1; /* ember's relative form... */
    mem = log[0];
    mem.num = deadline;
    if (deadline >= 0) {
        ep_aof_record m2;
        ttl_records(A(c, 1), deadline, &log[1], &m2); /* ...and the absolute deadline that wins on replay */
    }
    if (persist_apply(s, c, log, deadline >= 0 ? 2 : 1, &mem, 1) == 0) {
        if (get) {
            if (e) reply_bulk(c, old.data, old.len);
            else reply_null(c);
        } else {
            reply_ok(c);
        }
    }
    ep_buf_free(&old);
}

static void c_mget(server *s, client *c) {
    size_t i;
    reply_array(c, c->argc - 1);
    for (i = 1; i < c->argc; i++) {
        const ep_ks_entry *e = lookup(s, A(c, i));
        if (e && ep_ks_entry_type(e) == EP_TYPE_STRING) reply_bulk(c, ep_ks_entry_value(e).data, ep_ks_entry_len(e));
        else reply_null(c);
    }
}

static void c_mset(server *s, client *c) {
    size_t i, n = (c->argc - 1) / 2;
    ep_aof_record *r;
    if ((c->argc - 1) % 2) {
        reply_error(c, "ERR wrong number of arguments for 'mset' command");
        return;
    }
    r = (ep_aof_record *)malloc(n * sizeof *r);
    if (!r) {
        reply_error(c, "ERR out of memory");
        return;
    }
    for (i = 0; i < n; i++) {
        r[i] = rec_of(EP_AOF_SET, A(c, 1 + 2 * i));
        r[i].value = A(c, 2 + 2 * i);
        r[i].num = -1;
    }
    if (persist_apply(s, c, r, n, NULL, 0) == 0) reply_ok(c);
    free(r);
}

static void incr_generic(server *s, client *c, int64_t delta, uint8_t tag) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_STRING, &ok);
    int64_t cur = 0;
    ep_aof_record r;
    if (!ok) return;
    if (e && !parse_ll(ep_ks_entry_value(e).data, ep_ks_entry_len(e), &cur)) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    if ((delta > 0 && cur > INT64_MAX - delta) || (delta < 0 && cur < INT64_MIN - delta)) {
        reply_error(c, ERR_OVERFLOW);
        return;
    }
    r = rec_of(tag, A(c, 1));
    r.num = tag == EP_AOF_DECRBY ? -delta : delta;
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, cur + delta);
}

static void c_incr(server *s, client *c) { incr_generic(s, c, 1, EP_AOF_INCR); }
static void c_decr(server *s, client *c) { incr_generic(s, c, -1, EP_AOF_DECR); }
static void c_incrby(server *s, client *c) {
    int64_t d;
    if (arg_ll(c, 2, &d)) incr_generic(s, c, d, EP_AOF_INCRBY);
}
static void c_decrby(server *s, client *c) {
    int64_t d;
    if (!arg_ll(c, 2, &d)) return;
    if (d == INT64_MIN) {
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(s, c, -d, EP_AOF_DECRBY);
}

static void c_append(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_STRING, &ok);
    size_t cur = e ? ep_ks_entry_len(e) : 0;
    ep_aof_record r;
    if (!ok) return;
    if (cur + c->argv[2].len > SRV_MAX_BULK) {
        reply_error(c, ERR_TOO_BIG);
        return;
    }
    r = rec_of(EP_AOF_APPEND, A(c, 1));
    r.value = A(c, 2);
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, (int64_t)(cur + c->argv[2].len));
}

static void c_strlen(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_STRING, &ok);
    if (ok) reply_int(c, e ? (int64_t)ep_ks_entry_len(e) : 0);
}

static void c_getrange(server *s, client *c) {
    int ok;
    int64_t a, b, len;
    const ep_ks_entry *e;
    if (!arg_ll(c, 2, &a) || !arg_ll(c, 3, &b)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_STRING, &ok);
    if (!ok) return;
    len = e ? (int64_t)ep_ks_entry_len(e) : 0;
    if (a < 0 && b < 0 && a > b) {
        reply_bulk(c, "", 0);
        return;
    }
    if (a < 0) a += len;
    if (b < 0) b += len;
    if (a < 0) a = 0;
    if (b < 0) b = 0;
    if (b >= len) b = len - 1;
    if (!e || len == 0 || a > b) reply_bulk(c, "", 0);
    else reply_bulk(c, ep_ks_entry_value(e).data + a, (size_t)(b - a + 1));
}

static void c_setrange(server *s, client *c) {
    int ok;
    int64_t off;
    const ep_ks_entry *e;
    size_t cur, n = c->argv[3].len;
    ep_aof_record r;
    if (!arg_ll(c, 2, &off)) return;
    if (off < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }
    e = lookup_type(s, c, A(c, 1), EP_TYPE_STRING, &ok);
    if (!ok) return;
    cur = e ? ep_ks_entry_len(e) : 0;
    if (n == 0) { /* no change, and no key made */
        reply_int(c, (int64_t)cur);
        return;
    }
    if ((uint64_t)off + n > SRV_MAX_BULK) {
        reply_error(c, ERR_TOO_BIG);
        return;
    }
    r = rec_of(EP_AOF_SETRANGE, A(c, 1));
    r.num = off;
    r.value = A(c, 3);
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0)
        reply_int(c, (int64_t)((size_t)off + n > cur ? (size_t)off + n : cur));
}

/* ---- lists ------------------------------------------------------------------ */

static void push_generic(server *s, client *c, uint8_t tag) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    size_t n = c->argc - 2, cur = e ? ep_ks_entry_len(e) : 0;
    ep_bytes *v;
    ep_aof_record r;
    if (!ok) return;
    v = args_bytes(c, 2, n, 1);
    ep_buf_reset(&s->scratch);
    r = rec_of(tag, A(c, 1));
    if (!v || ep_items_build(&s->scratch, EP_ITEMS_BYTES, v, NULL, NULL, (uint32_t)n, &r.items)) {
        free(v);
        reply_error(c, "ERR out of memory");
        return;
    }
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, (int64_t)(cur + n));
    free(v);
}

static void c_lpush(server *s, client *c) { push_generic(s, c, EP_AOF_LPUSH); }
static void c_rpush(server *s, client *c) { push_generic(s, c, EP_AOF_RPUSH); }

static void pop_generic(server *s, client *c, int left) {
    int ok, with_count = c->argc == 3;
    int64_t count = 1, i, len;
    const ep_ks_entry *e;
    ep_aof_record *r;
    ep_buf vals;
    if (c->argc > 3) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", left ? "lpop" : "rpop");
        return;
    }
    if (with_count && (!parse_ll(c->argv[2].data, c->argv[2].len, &count) || count < 0)) {
        reply_error(c, "ERR value is out of range, must be positive");
        return;
    }
    e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (!ok) return;
    if (!e) {
        if (with_count) reply_null_array(c);
        else reply_null(c);
        return;
    }
    len = (int64_t)ep_ks_entry_len(e);
    if (count > len) count = len;
    if (with_count && count == 0) {
        reply_array(c, 0);
        return;
    }
    /* copy the values out before the records change the list */
    ep_buf_init(&vals, NULL);
    {
        ep_ks_value_iter it;
        ep_item item;
        int64_t k = 0, from = left ? 0 : len - count;
        ep_ks_value_iter_init(&it, e);
        while (ep_ks_value_next(&it, &item)) {
            if (k >= from && k < from + count) ep_buf_lenbytes(&vals, item.a.data, item.a.len);
            k++;
        }
    }
    r = (ep_aof_record *)malloc((size_t)count * sizeof *r);
    if (!r || vals.err) {
        free(r);
        ep_buf_free(&vals);
        reply_error(c, "ERR out of memory");
        return;
    }
    for (i = 0; i < count; i++) r[i] = rec_of(left ? EP_AOF_LPOP : EP_AOF_RPOP, A(c, 1));
    if (persist_apply(s, c, r, (size_t)count, NULL, 0) == 0) {
        size_t pos;
        if (with_count) reply_array(c, (size_t)count);
        if (left) {
            for (pos = 0; pos + 4 <= vals.len;) {
                uint32_t n = ep_load_u32le(vals.data + pos);
                reply_bulk(c, vals.data + pos + 4, n);
                pos += 4 + n;
            }
        } else { /* RPOP gives the tail first */
            size_t *offs = (size_t *)malloc((size_t)count * sizeof *offs), k = 0;
            for (pos = 0; offs && pos + 4 <= vals.len; k++) {
                offs[k] = pos;
                pos += 4 + ep_load_u32le(vals.data + pos);
            }
            while (offs && k-- > 0) reply_bulk(c, vals.data + offs[k] + 4, ep_load_u32le(vals.data + offs[k]));
            free(offs);
        }
    }
    free(r);
    ep_buf_free(&vals);
}

static void c_lpop(server *s, client *c) { pop_generic(s, c, 1); }
static void c_rpop(server *s, client *c) { pop_generic(s, c, 0); }

static void c_llen(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (ok) reply_int(c, e ? (int64_t)ep_ks_entry_len(e) : 0);
}

static void c_lrange(server *s, client *c) {
    int ok;
    int64_t a, b;
    const ep_ks_entry *e;
    if (!arg_ll(c, 2, &a) || !arg_ll(c, 3, &b)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (!ok) return;
    if (!e) reply_array(c, 0);
    else reply_range(c, e, a, b, 0, 0);
}

static void c_lindex(server *s, client *c) {
    int ok;
    int64_t i;
    const ep_ks_entry *e;
    ep_item item;
    if (!arg_ll(c, 2, &i)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (!ok) return;
    if (!e || ep_ks_list_index(e, i, &item.a) != EP_OK) reply_null(c);
    else reply_bulk(c, item.a.data, item.a.len);
}

static void c_lset(server *s, client *c) {
    int ok;
    int64_t i, len;
    const ep_ks_entry *e;
    ep_aof_record r;
    if (!arg_ll(c, 2, &i)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (!ok) return;
    if (!e) {
        reply_error(c, ERR_NO_KEY);
        return;
    }
    len = (int64_t)ep_ks_entry_len(e);
    if ((i < 0 ? i + len : i) < 0 || (i < 0 ? i + len : i) >= len) {
        reply_error(c, "ERR index out of range");
        return;
    }
    r = rec_of(EP_AOF_LSET, A(c, 1));
    r.num = i;
    r.value = A(c, 3);
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_ok(c);
}

static void c_ltrim(server *s, client *c) {
    int ok;
    int64_t a, b;
    const ep_ks_entry *e;
    ep_aof_record r;
    if (!arg_ll(c, 2, &a) || !arg_ll(c, 3, &b)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (!ok) return;
    if (!e) {
        reply_ok(c);
        return;
    }
    r = rec_of(EP_AOF_LTRIM, A(c, 1));
    r.num = a;
    r.num2 = b;
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_ok(c);
}

static void c_lrem(server *s, client *c) {
    int ok;
    int64_t count, matches = 0, removed;
    const ep_ks_entry *e;
    ep_aof_record r;
    if (!arg_ll(c, 2, &count)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (!ok) return;
    if (e) {
        ep_ks_value_iter it;
        ep_item item;
        ep_ks_value_iter_init(&it, e);
        while (ep_ks_value_next(&it, &item)) matches += bytes_eq(item.a, A(c, 3));
    }
    removed = count == 0 ? matches : (count > 0 ? (count < matches ? count : matches)
                                                 : (-count < matches ? -count : matches));
    if (removed == 0) {
        reply_int(c, 0);
        return;
    }
    r = rec_of(EP_AOF_LREM, A(c, 1));
    r.num = count;
    r.value = A(c, 3);
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, removed);
}

static void c_linsert(server *s, client *c) {
    int ok, before;
    const ep_ks_entry *e;
    ep_aof_record r;
    ep_item item;
    if (arg_is(c, 2, "before")) before = 1;
    else if (arg_is(c, 2, "after")) before = 0;
    else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    e = lookup_type(s, c, A(c, 1), EP_TYPE_LIST, &ok);
    if (!ok) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    if (!find_item(s, e, A(c, 3), &item)) {
        reply_int(c, -1);
        return;
    }
    r = rec_of(EP_AOF_LINSERT, A(c, 1));
    r.flag = (uint8_t)before;
    r.pivot = A(c, 3);
    r.value = A(c, 4);
    {
        int64_t len = (int64_t)ep_ks_entry_len(e);
        if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, len + 1);
    }
}

/* ---- hashes -------------------------------------------------------------------- */

static void c_hset(server *s, client *c) {
    int ok;
    const ep_ks_entry *e;
    size_t n = (c->argc - 2) / 2, i, j;
    int64_t added = 0;
    ep_bytes *f, *v;
    ep_aof_record r;
    ep_item item;
    if ((c->argc - 2) % 2) {
        reply_error(c, "ERR wrong number of arguments for 'hset' command");
        return;
    }
    e = lookup_type(s, c, A(c, 1), EP_TYPE_HASH, &ok);
    if (!ok) return;
    f = args_bytes(c, 2, n, 2);
    v = args_bytes(c, 3, n, 2);
    for (i = 0; f && i < n; i++) { /* new fields, counting a repeated one once */
        int dup = 0;
        for (j = 0; j < i && !dup; j++) dup = bytes_eq(f[j], f[i]);
        if (!dup && !find_item(s, e, f[i], &item)) added++;
    }
    ep_buf_reset(&s->scratch);
    r = rec_of(EP_AOF_HSET, A(c, 1));
    if (!f || !v || ep_items_build(&s->scratch, EP_ITEMS_FIELD_VALUE, f, v, NULL, (uint32_t)n, &r.items))
        reply_error(c, "ERR out of memory");
    else if (persist_apply(s, c, &r, 1, NULL, 0) == 0)
        reply_int(c, added);
    free(f);
    free(v);
}

static void c_hget(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_HASH, &ok);
    ep_item item;
    if (!ok) return;
    if (find_item(s, e, A(c, 2), &item)) reply_bulk(c, item.b.data, item.b.len);
    else reply_null(c);
}

/* HDEL / SREM / ZREM: remove the members present, log those. */
static void remove_generic(server *s, client *c, uint8_t type, uint8_t tag) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), type, &ok);
    size_t n = c->argc - 2, i, j, k = 0;
    ep_bytes *m;
    ep_aof_record r;
    ep_item item;
    if (!ok) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    m = args_bytes(c, 2, n, 1);
    if (!m) {
        reply_error(c, "ERR out of memory");
        return;
    }
    for (i = 0; i < n; i++) {
        int dup = 0;
        for (j = 0; j < k && !dup; j++) dup = bytes_eq(m[j], m[i]);
        if (!dup && find_item(s, e, m[i], &item)) m[k++] = m[i];
    }
    if (k == 0) {
        reply_int(c, 0);
        free(m);
        return;
    }
    ep_buf_reset(&s->scratch);
    r = rec_of(tag, A(c, 1));
    if (ep_items_build(&s->scratch, EP_ITEMS_STR, m, NULL, NULL, (uint32_t)k, &r.items))
        reply_error(c, "ERR out of memory");
    else if (persist_apply(s, c, &r, 1, NULL, 0) == 0)
        reply_int(c, (int64_t)k);
    free(m);
}

static void c_hdel(server *s, client *c) { remove_generic(s, c, EP_TYPE_HASH, EP_AOF_HDEL); }

static void c_hgetall(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_HASH, &ok);
    ep_ks_value_iter it;
    ep_item item;
    if (!ok) return;
    reply_map(c, e ? ep_ks_entry_len(e) : 0);
    if (!e) return;
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) {
        reply_bulk(c, item.a.data, item.a.len);
        reply_bulk(c, item.b.data, item.b.len);
    }
}

static void card_generic(server *s, client *c, uint8_t type) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), type, &ok);
    if (ok) reply_int(c, e ? (int64_t)ep_ks_entry_len(e) : 0);
}

static void c_hlen(server *s, client *c) { card_generic(s, c, EP_TYPE_HASH); }

static void member_generic(server *s, client *c, uint8_t type) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), type, &ok);
    ep_item item;
    if (ok) reply_int(c, find_item(s, e, A(c, 2), &item));
}

static void c_hexists(server *s, client *c) { member_generic(s, c, EP_TYPE_HASH); }

static void c_hincrby(server *s, client *c) {
    int ok;
    const ep_ks_entry *e;
    int64_t d, cur = 0;
    ep_item item;
    ep_aof_record r;
    if (!arg_ll(c, 3, &d)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_HASH, &ok);
    if (!ok) return;
    if (find_item(s, e, A(c, 2), &item) && !parse_ll(item.b.data, item.b.len, &cur)) {
        reply_error(c, "ERR hash value is not an integer");
        return;
    }
    if ((d > 0 && cur > INT64_MAX - d) || (d < 0 && cur < INT64_MIN - d)) {
        reply_error(c, ERR_OVERFLOW);
        return;
    }
    r = rec_of(EP_AOF_HINCRBY, A(c, 1));
    r.key2 = A(c, 2);
    r.num = d;
    if (persist_apply(s, c, &r, 1, NULL, 0) == 0) reply_int(c, cur + d);
}

/* ---- sets ------------------------------------------------------------------------ */

static void c_sadd(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_SET, &ok);
    size_t n = c->argc - 2, i, j, k = 0;
    ep_bytes *m;
    ep_aof_record r;
    ep_item item;
    if (!ok) return;
    m = args_bytes(c, 2, n, 1);
    if (!m) {
        reply_error(c, "ERR out of memory");
        return;
    }
    for (i = 0; i < n; i++) { /* the new members, once each */
        int dup = 0;
        for (j = 0; j < k && !dup; j++) dup = bytes_eq(m[j], m[i]);
        if (!dup && !find_item(s, e, m[i], &item)) m[k++] = m[i];
    }
    if (k == 0) {
        reply_int(c, 0);
        free(m);
        return;
    }
    ep_buf_reset(&s->scratch);
    r = rec_of(EP_AOF_SADD, A(c, 1));
    if (ep_items_build(&s->scratch, EP_ITEMS_STR, m, NULL, NULL, (uint32_t)k, &r.items))
        reply_error(c, "ERR out of memory");
    else if (persist_apply(s, c, &r, 1, NULL, 0) == 0)
        reply_int(c, (int64_t)k);
    free(m);
}

static void c_srem(server *s, client *c) { remove_generic(s, c, EP_TYPE_SET, EP_AOF_SREM); }

static void c_smembers(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_SET, &ok);
    ep_ks_value_iter it;
    ep_item item;
    if (!ok) return;
    reply_set(c, e ? ep_ks_entry_len(e) : 0);
    if (!e) return;
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) reply_bulk(c, item.a.data, item.a.len);
}

static void c_sismember(server *s, client *c) { member_generic(s, c, EP_TYPE_SET); }
static void c_scard(server *s, client *c) { card_generic(s, c, EP_TYPE_SET); }

/* ---- sorted sets ------------------------------------------------------------------ */

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
static void c_zadd(server *s, client *c) {
    int ok, nx = 0, xx = 0, gt = 0, lt = 0, ch = 0, incr = 0;
    size_t i = 2, n, k, j, out = 0;
    const ep_ks_entry *e;
    double *sc;
    ep_bytes *m;
    int64_t added = 0, changed = 0;
    ep_aof_record r;
    for (; i < c->argc; i++) {
        if (arg_is(c, i, "nx")) nx = 1;
        else if (arg_is(c, i, "xx")) xx = 1;
        else if (arg_is(c, i, "gt")) gt = 1;
        else if (arg_is(c, i, "lt")) lt = 1;
        else if (arg_is(c, i, "ch")) ch = 1;
        else if (arg_is(c, i, "incr")) incr = 1;
        else break;
    }
    n = (c->argc - i) / 2;
    if ((c->argc - i) % 2 || n == 0) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (nx && xx) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if (incr && n > 1) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    sc = (double *)malloc(n * sizeof *sc);
    m = (ep_bytes *)malloc(n * sizeof *m);
    if (!sc || !m) {
        free(sc);
        free(m);
        reply_error(c, "ERR out of memory");
        return;
    }
    for (k = 0; k < n; k++) {
        if (!parse_double(c->argv[i + 2 * k].data, c->argv[i + 2 * k].len, &sc[k])) {
            reply_error(c, ERR_NOT_FLOAT);
            free(sc);
            free(m);
            return;
        }
        m[k] = A(c, i + 2 * k + 1);
    }
    e = lookup_type(s, c, A(c, 1), EP_TYPE_ZSET, &ok);
    if (!ok) {
        free(sc);
        free(m);
        return;
    }
    /* resolve the flags into the pairs to apply (a later duplicate wins) */
    for (k = 0; k < n; k++) {
        ep_item item;
        int exists = 0, earlier = -1;
        double cur = 0, nsc = sc[k];
        for (j = 0; j < out; j++)
            if (bytes_eq(m[j], m[k])) earlier = (int)j;
        if (earlier >= 0) {
            exists = 1;
            cur = sc[earlier];
        } else if (find_item(s, e, m[k], &item)) {
            exists = 1;
            cur = item.score;
        }
        if (incr) {
            nsc = (exists ? cur : 0) + sc[k];
            if (nsc != nsc) {
                reply_error(c, "ERR resulting score is not a number (NaN)");
                free(sc);
                free(m);
                return;
            }
        }
        if ((nx && exists) || (xx && !exists) || (exists && gt && !(nsc > cur)) || (exists && lt && !(nsc < cur))) {
            if (incr) {
                reply_null(c);
                free(sc);
                free(m);
                return;
            }
            continue;
        }
        if (!exists) added++;
        else if (cur != nsc) changed++;
        else if (!incr) continue; /* same score: nothing to log */
        if (earlier >= 0) {
            sc[earlier] = nsc;
        } else {
            sc[out] = nsc;
            m[out] = m[k];
            out++;
        }
    }
    if (out == 0) {
        if (incr) reply_double(c, sc[0]); /* INCR by 0 on an existing member... */
        else reply_int(c, ch ? added + changed : added);
        free(sc);
        free(m);
        return;
    }
    ep_buf_reset(&s->scratch);
    r = rec_of(EP_AOF_ZADD, A(c, 1));
    if (ep_items_build(&s->scratch, EP_ITEMS_SCORE_MEMBER, m, NULL, sc, (uint32_t)out, &r.items))
        reply_error(c, "ERR out of memory");
    else if (persist_apply(s, c, &r, 1, NULL, 0) == 0) {
        if (incr) reply_double(c, sc[0]);
        else reply_int(c, ch ? added + changed : added);
    }
    free(sc);
    free(m);
}

static void c_zrem(server *s, client *c) { remove_generic(s, c, EP_TYPE_ZSET, EP_AOF_ZREM); }

static void c_zscore(server *s, client *c) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_ZSET, &ok);
    ep_item item;
    if (!ok) return;
    if (find_item(s, e, A(c, 2), &item)) reply_double(c, item.score);
    else reply_null(c);
}

/* ZRANK / ZREVRANK key member (Redis 7.0: no WITHSCORE): O(log n). */
static void zrank_generic(server *s, client *c, int reverse) {
    int ok;
    const ep_ks_entry *e = lookup_type(s, c, A(c, 1), EP_TYPE_ZSET, &ok);
    size_t rank;
    if (!ok) return;
    if (ep_ks_zset_rank(s->ks, e, A(c, 2), reverse, &rank) == EP_OK) reply_int(c, (int64_t)rank);
    else reply_null(c);
}

static void c_zrank(server *s, client *c) { zrank_generic(s, c, 0); }
static void c_zrevrank(server *s, client *c) { zrank_generic(s, c, 1); }

static void c_zrange(server *s, client *c) {
    int ok, ws = 0, rev = 0;
    int64_t a, b;
    size_t i;
    const ep_ks_entry *e;
    for (i = 4; i < c->argc; i++) {
        if (arg_is(c, i, "withscores")) ws = 1;
        else if (arg_is(c, i, "rev")) rev = 1;
        else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (!arg_ll(c, 2, &a) || !arg_ll(c, 3, &b)) return;
    e = lookup_type(s, c, A(c, 1), EP_TYPE_ZSET, &ok);
    if (!ok) return;
    if (!e) reply_array(c, 0);
    else reply_range(c, e, a, b, ws, rev);
}

static void c_zcard(server *s, client *c) { card_generic(s, c, EP_TYPE_ZSET); }

/* ---- DUMP / RESTORE (ember's value form) --------------------------------------- */

static void c_dump(server *s, client *c) {
    const ep_ks_entry *e = lookup(s, A(c, 1));
    ep_snap_entry se;
    ep_buf out;
    if (!e) {
        reply_null(c);
        return;
    }
    ep_buf_reset(&s->scratch);
    ep_buf_init(&out, NULL);
    if (ep_ks_entry_to_snap(e, &s->scratch, &se) != EP_OK || ep_snap_value_encode(&out, &se) != EP_OK)
        reply_error(c, "ERR out of memory");
    else
        reply_bulk(c, out.data, out.len);
    ep_buf_free(&out);
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s | FREQ f]: the value becomes the records
 * that build it (DEL first, then one SET/RPUSH/ZADD/HSET/SADD/PROTO.SET, then its ttl). */
static void c_restore(server *s, client *c) {
    int64_t ttl, now = srv_now_ms(), deadline = -1;
    int replace = 0, absttl = 0, n = 0;
    size_t i, used = 0;
    ep_snap_entry v;
    ep_aof_record log[3], mem[3];
    int64_t idle = -1, freq = -1; /* checked as Redis does; no eviction here to use them */
    /* Redis's order: options, then BUSYKEY, then the ttl, then the payload */
    for (i = 4; i < c->argc; i++) {
        if (arg_is(c, i, "replace")) replace = 1;
        else if (arg_is(c, i, "absttl")) absttl = 1;
        else if (arg_is(c, i, "idletime") && i + 1 < c->argc && freq == -1) {
            if (!arg_ll(c, ++i, &idle)) return;
            if (idle < 0) {
                reply_error(c, "ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
        } else if (arg_is(c, i, "freq") && i + 1 < c->argc && idle == -1) {
            if (!arg_ll(c, ++i, &freq)) return;
            if (freq < 0 || freq > 255) {
                reply_error(c, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (!replace && lookup(s, A(c, 1))) {
        reply_error(c, "BUSYKEY Target key name already exists.");
        return;
    }
    if (!arg_ll(c, 2, &ttl)) return;
    if (ttl < 0) {
        reply_error(c, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    if (ep_snap_value_decode(c->argv[3].data, c->argv[3].len, &v, &used) != EP_OK || used != c->argv[3].len ||
        v.type == EP_TYPE_VECTOR || (v.type != EP_TYPE_STRING && v.type != EP_TYPE_PROTO && v.items.count == 0)) {
        reply_error(c, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    if (ttl > 0) deadline = absttl ? ttl : now + ttl;
    if (deadline >= 0 && deadline <= now) { /* already expired: Redis deletes and says OK */
        if (lookup(s, A(c, 1)) && del_key(s, c, A(c, 1))) return;
        reply_ok(c);
        return;
    }
    log[n++] = rec_of(EP_AOF_DEL, A(c, 1));
    log[n] = rec_of(EP_AOF_SET, A(c, 1));
    switch (v.type) {
    case EP_TYPE_STRING: log[n].value = v.value; log[n].num = -1; break;
    case EP_TYPE_LIST: log[n].tag = EP_AOF_RPUSH; log[n].items = v.items; break;
    case EP_TYPE_ZSET: log[n].tag = EP_AOF_ZADD; log[n].items = v.items; break;
    case EP_TYPE_HASH: log[n].tag = EP_AOF_HSET; log[n].items = v.items; break;
    case EP_TYPE_SET: log[n].tag = EP_AOF_SADD; log[n].items = v.items; break;
    default: log[n].tag = EP_AOF_PROTO_SET; log[n].key2 = v.type_name; log[n].value = v.value; log[n].num = -1; break;
    }
    n++;
    memcpy(mem, log, sizeof log);
    if (deadline >= 0) ttl_records(A(c, 1), deadline, &log[n], &mem[n]), n++;
    if (persist_apply(s, c, log, (size_t)n, mem, (size_t)n) == 0) reply_ok(c);
}

/* ---- table and dispatch -------------------------------------------------------- */

/* The replication commands answer for themselves (repl_master.c, follow.c). */
static void c_repl(server *s, client *c) { (void)repl_command(s, c); }

static const command commands[] = {
    {"ping", -1, c_ping, 0},
    {"echo", 2, c_echo, 0},
    {"select", 2, c_select, 0},
    {"quit", -1, c_quit, 0},
    {"hello", -1, c_hello, 0},
    {"command", -1, c_command, 0},
    {"dbsize", 1, c_dbsize, 0},
    {"flushdb", -1, c_flushdb, 1},
    {"save", 1, c_save, 0},
    {"bgsave", -1, c_bgsave, 0},
    {"bgrewriteaof", 1, c_bgrewriteaof, 0},
    {"lastsave", 1, c_lastsave, 0},
    {"shutdown", -1, c_shutdown, 0},
    {"config", -2, c_config, 0},
    {"info", -1, c_info, 0},
    {"exists", -2, c_exists, 0},
    {"del", -2, c_del, 1},
    {"type", 2, c_type, 0},
    {"keys", 2, c_keys, 0},
    {"scan", -2, c_scan, 0},
    {"rename", 3, c_rename, 1},
    {"copy", -3, c_copy, 1},
    {"expire", -3, c_expire, 1},
    {"pexpire", -3, c_pexpire, 1},
    {"expireat", -3, c_expireat, 1},
    {"pexpireat", -3, c_pexpireat, 1},
    {"ttl", 2, c_ttl, 0},
    {"pttl", 2, c_pttl, 0},
    {"persist", 2, c_persist, 1},
    {"get", 2, c_get, 0},
    {"set", -3, c_set, 1},
    {"mget", -2, c_mget, 0},
    {"mset", -3, c_mset, 1},
    {"incr", 2, c_incr, 1},
    {"decr", 2, c_decr, 1},
    {"incrby", 3, c_incrby, 1},
    {"decrby", 3, c_decrby, 1},
    {"append", 3, c_append, 1},
    {"strlen", 2, c_strlen, 0},
    {"getrange", 4, c_getrange, 0},
    {"setrange", 4, c_setrange, 1},
    {"lpush", -3, c_lpush, 1},
    {"rpush", -3, c_rpush, 1},
    {"lpop", -2, c_lpop, 1},
    {"rpop", -2, c_rpop, 1},
    {"llen", 2, c_llen, 0},
    {"lrange", 4, c_lrange, 0},
    {"lindex", 3, c_lindex, 0},
    {"lset", 4, c_lset, 1},
    {"ltrim", 4, c_ltrim, 1},
    {"lrem", 4, c_lrem, 1},
    {"linsert", 5, c_linsert, 1},
    {"hset", -4, c_hset, 1},
    {"hget", 3, c_hget, 0},
    {"hdel", -3, c_hdel, 1},
    {"hgetall", 2, c_hgetall, 0},
    {"hlen", 2, c_hlen, 0},
    {"hexists", 3, c_hexists, 0},
    {"hincrby", 4, c_hincrby, 1},
    {"sadd", -3, c_sadd, 1},
    {"srem", -3, c_srem, 1},
    {"smembers", 2, c_smembers, 0},
    {"sismember", 3, c_sismember, 0},
    {"scard", 2, c_scard, 0},
    {"zadd", -4, c_zadd, 1},
    {"zrem", -3, c_zrem, 1},
    {"zscore", 3, c_zscore, 0},
    {"zrange", -4, c_zrange, 0},
    {"zcard", 2, c_zcard, 0},
    {"zrank", 3, c_zrank, 0},
    {"zrevrank", 3, c_zrevrank, 0},
    {"dump", 2, c_dump, 0},
    {"restore", -4, c_restore, 1},
    {"replconf", -1, c_repl, 0},
    {"psync", -1, c_repl, 0},
    {"sync", -1, c_repl, 0},
    {"replicaof", -1, c_repl, 0},
    {"slaveof", -1, c_repl, 0},
    {"ember.sync", -1, c_repl, 0},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])
/* at most half the slots taken, and an index fits a slot's byte */
typedef char command_slots_enough[NCOMMANDS <= SRV_CMD_SLOTS / 2 && NCOMMANDS < 255 ? 1 : -1];

/* Command lookup: a case-folded FNV-1a hash of the name into an
 * open-addressed table of SRV_CMD_SLOTS slots (server.h), built on first
 * use in the server's own state (no global), so a request costs one hash
 * and one compare instead of a scan of the table (the scan's strlen and
 * compares were ~13% of the server's CPU at -P 16). */
static uint32_t name_hash(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (uint32_t)(uint8_t)tolower(p[i])) * 16777619u;
    return h;
}

static void build_command_slots(server *s) {
    size_t i;
    memset(s->cmd_slots, 0, sizeof s->cmd_slots);
    for (i = 0; i < NCOMMANDS; i++) {
        const char *name = commands[i].name;
        uint32_t h = name_hash((const uint8_t *)name, strlen(name)) & (SRV_CMD_SLOTS - 1);
        while (s->cmd_slots[h]) h = (h + 1) & (SRV_CMD_SLOTS - 1);
        s->cmd_slots[h] = (uint8_t)(i + 1);
    }
    s->cmd_slots_built = 1;
}

static const command *find_command(server *s, const client *c) {
    ep_bytes n = c->argv[0];
    uint32_t h;
    if (!s->cmd_slots_built) build_command_slots(s);
    if (n.len > SRV_CMD_NAME_MAX) return NULL;
    h = name_hash(n.data, n.len) & (SRV_CMD_SLOTS - 1);
    while (s->cmd_slots[h]) {
        const command *cmd = &commands[s->cmd_slots[h] - 1];
        if (arg_is(c, 0, cmd->name)) return cmd;
        h = (h + 1) & (SRV_CMD_SLOTS - 1);
    }
    return NULL;
}

static void unknown_command(client *c) {
    char b[1024];
    size_t i, n;
    n = (size_t)snprintf(b, sizeof b, "ERR unknown command '%.*s', with args beginning with: ",
                         (int)(c->argv[0].len > 128 ? 128 : c->argv[0].len), c->argv[0].data);
    for (i = 1; i < c->argc && n < sizeof b - 140; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, "'%.*s' ", (int)(c->argv[i].len > 128 ? 128 : c->argv[i].len),
                              c->argv[i].data);
    reply_error(c, b);
}

void cmd_run(server *s, client *c) {
    const command *cmd = find_command(s, c);
    s->cmds++;
    if (!cmd) {
        unknown_command(c);
        return;
    }
    if ((cmd->arity > 0 && c->argc != (size_t)cmd->arity) || (cmd->arity < 0 && c->argc < (size_t)-cmd->arity)) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    if (cmd->write && repl_refuse_write(s, c)) return;
    cmd->fn(s, c);
}

void expire_cycle(server *s, size_t budget) {
    const ep_ks_entry *e;
    ep_buf keys;
    size_t seen = 0, pos;
    int64_t now = srv_now_ms();
    if (budget == (size_t)-1) ep_keyspace_iter_init(&s->expire_cursor);
    ep_buf_init(&keys, NULL);
    while (seen < budget && (e = ep_keyspace_next(s->ks, &s->expire_cursor)) != NULL) {
        seen++;
        if (ep_ks_entry_ttl(e) >= 0 && ep_ks_entry_ttl(e) <= now) {
            ep_bytes k = ep_ks_entry_key(e);
            ep_buf_lenbytes(&keys, k.data, k.len);
        }
    }
    if (seen < budget || budget == (size_t)-1) ep_keyspace_iter_init(&s->expire_cursor); /* wrapped */
    for (pos = 0; pos + 4 <= keys.len;) {
        uint32_t n = ep_load_u32le(keys.data + pos);
        ep_aof_record d = rec_of(EP_AOF_DEL, ep_bytes_of(keys.data + pos + 4, n));
        (void)persist_apply(s, NULL, &d, 1, NULL, 0);
        if (ep_keyspace_get(s->ks, keys.data + pos + 4, n)) (void)ep_keyspace_apply(s->ks, &d, 0);
        pos += 4 + n;
    }
    ep_buf_free(&keys);
}
