/* redis_map: ember <-> Redis. Both ember-to-Redis paths walk the recovered
 * keyspace in key order and gather each key's elements once (ep__rm_key);
 * the RDB path hands them to the RDB writer, the command path cuts them
 * into commands of EP_REDIS_ITEMS_PER_CMD elements. Redis-to-ember loads
 * the RDB into keyspaces (redis_load.c) and snapshots each one. */
#include "base/internal.h"
#include "file/stream.h"
#include "file/aof.h"
#include "file/snapshot.h"
#include "file/aof_manifest.h"
#include "codec/codec_resp.h"
#include "recover/recovery.h"
#include "recover/recover_internal.h"
#include "recover/redis.h"
#include "recover/redis_map.h"

#if !defined(EP_NO_REDIS) && !defined(EP_NO_KEYSPACE)

EP_API void ep_redis_map_config_init(ep_redis_map_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->db = 0;
    cfg->rdb_version = 10;
    cfg->rdb_compress = 1;
}

EP_API const char *ep_redis_skip_name(ep_redis_skip why) {
    switch (why) {
    case EP_REDIS_SKIP_STREAM: return "stream";
    case EP_REDIS_SKIP_MODULE: return "module";
    case EP_REDIS_SKIP_NOT_UTF8: return "not-utf8";
    case EP_REDIS_SKIP_TOO_BIG: return "too-big";
    case EP_REDIS_SKIP_VECTOR: return "vector";
    case EP_REDIS_SKIP_PROTO: return "proto";
    case EP_REDIS_SKIP_FUNCTION: return "function";
    case EP_REDIS_SKIP_OTHER_DB: return "other-db";
    case EP_REDIS_SKIP_SCHEMA: return "proto-schema";
    case EP_REDIS_SKIP_NAN_SCORE: return "nan-score";
    }
    return "unknown";
}

static int64_t ep__rm_now(const ep_redis_map_config *cfg) { return cfg->now_ms ? cfg->now_ms : ep__clock_wall_ms(); }

static void ep__rm_report(const ep_redis_map_config *cfg, ep_redis_map_result *out, uint64_t db, ep_bytes key,
                          const char *kind, ep_redis_skip why) {
    out->unmapped++;
    out->by_reason[why]++;
    if (cfg->report) cfg->report(cfg->report_user, db, key, kind, why);
}

/* ---- one key's elements, gathered --------------------------------------- */

typedef struct ep__rm_key {
    const ep_allocator *alloc;
    ep_bytes *a, *b;       /* items / members / fields; values */
    double *score;
    size_t n, cap;
} ep__rm_key;

static void ep__rm_key_free(ep__rm_key *k) {
    ep_free(k->alloc, k->a);
    ep_free(k->alloc, k->b);
    ep_free(k->alloc, k->score);
    memset(k, 0, sizeof *k);
}

static ep_result ep__rm_key_grow(ep__rm_key *k, size_t need) {
    size_t cap = k->cap ? k->cap : 16, bytes_b, bytes_d;
    ep_bytes *na, *nb;
    double *nd;
    if (need <= k->cap) return EP_OK;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return EP_ERR_NOMEM;
        cap *= 2;
    }
    if (!ep__mul_size(cap, sizeof(ep_bytes), &bytes_b) || !ep__mul_size(cap, sizeof(double), &bytes_d))
        return EP_ERR_NOMEM;
    na = (ep_bytes *)ep_realloc(k->alloc, k->a, bytes_b);
    if (!na) return EP_ERR_NOMEM;
    k->a = na;
    nb = (ep_bytes *)ep_realloc(k->alloc, k->b, bytes_b);
    if (!nb) return EP_ERR_NOMEM;
    k->b = nb;
    nd = (double *)ep_realloc(k->alloc, k->score, bytes_d);
    if (!nd) return EP_ERR_NOMEM;
    k->score = nd;
    k->cap = cap;
    return EP_OK;
}

/* Gathers the elements of a collection entry (views into the keyspace). */
static ep_result ep__rm_key_gather(ep__rm_key *k, const ep_ks_entry *e) {
    ep_ks_value_iter it;
    ep_item item;
    ep_result r;
    k->n = 0;
    if ((r = ep__rm_key_grow(k, ep_ks_entry_len(e))) != EP_OK) return r;
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) {
        if (k->n == k->cap && (r = ep__rm_key_grow(k, k->n + 1)) != EP_OK) return r;
        k->a[k->n] = item.a;
        k->b[k->n] = item.b;
        k->score[k->n] = item.score;
        k->n++;
    }
    return EP_OK;
}

/* The Redis kind of an ember type, or 0 (and the reason) if it has none. */
static int ep__rm_maps(uint8_t type, ep_redis_skip *why, const char **kind) {
    switch (type) {
    case EP_TYPE_STRING: *kind = "string"; return 1;
    case EP_TYPE_LIST: *kind = "list"; return 1;
    case EP_TYPE_ZSET: *kind = "zset"; return 1;
    case EP_TYPE_HASH: *kind = "hash"; return 1;
    case EP_TYPE_SET: *kind = "set"; return 1;
    case EP_TYPE_VECTOR: *kind = "vector"; *why = EP_REDIS_SKIP_VECTOR; return 0;
    default: *kind = "proto"; *why = EP_REDIS_SKIP_PROTO; return 0;
    }
}

/* A NaN score (ember keeps it after +inf; Redis has no such score). The
 * keyspace orders NaN last, so the last element tells. */
static int ep__rm_has_nan(const ep_ks_entry *e) {
    ep_ks_value_iter it;
    ep_item item;
    size_t n = 0;
    if (ep_ks_value_iter_range(&it, e, -1, -1, 0, &n) != EP_OK || n == 0) return 0;
    return ep_ks_value_next(&it, &item) && item.score != item.score;
}

/* Walks ks in key order: mappable entries to each(), the others (and the
 * schemas) reported. */
typedef ep_result (*ep__rm_each_fn)(void *u, const ep_ks_entry *e, uint8_t type, int64_t deadline);
/* Called once, after the sort and before the first entry: the key count and
 * how many have a ttl. */
typedef ep_result (*ep__rm_start_fn)(void *u, size_t keys, uint64_t ttls);

/* An entry with its key's first 16 bytes as two big-endian numbers (zero
 * padded): most comparisons of the sort are then two integer compares in
 * one array, not two dereferences into the keyspace. Equal heads (a key of
 * 16 bytes or more, or a shorter one that ends in zero bytes) fall back to
 * the whole keys; the order is the bytes' (a shorter key that is a prefix
 * of a longer one first), which the keyspace's own sort also gives. */
typedef struct ep__rm_sorted {
    uint64_t hi, lo;
    const ep_ks_entry *e;
} ep__rm_sorted;

static uint64_t ep__rm_be8(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < 8; i++) v = (v << 8) | (i < n ? p[i] : 0u);
    return v;
}

static int ep__rm_sorted_cmp(const void *a, const void *b) {
    const ep__rm_sorted *x = (const ep__rm_sorted *)a, *y = (const ep__rm_sorted *)b;
    ep_bytes kx, ky;
    size_t n;
    int c;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    kx = ep_ks_entry_key(x->e);
    ky = ep_ks_entry_key(y->e);
    n = kx.len < ky.len ? kx.len : ky.len;
    c = n ? memcmp(kx.data, ky.data, n) : 0;
    if (c) return c;
    return kx.len < ky.len ? -1 : kx.len > ky.len;
}

/* How many entries ahead the walks start loading one. */
#define EP__RM_AHEAD 8

/* ks's entries in key order; free *out with ep_free(alloc, ...). */
static ep_result ep__rm_sort(const ep_keyspace *ks, const ep_allocator *alloc, ep__rm_sorted **out, size_t *count,
                             uint64_t *ttls) {
    ep__rm_sorted *list;
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    size_t n = 0, i, bytes, cap = ep_keyspace_count(ks);
    *out = NULL;
    *count = 0;
    *ttls = 0;
    if (!ep__mul_size(cap ? cap : 1, sizeof *list, &bytes)) return EP_ERR_NOMEM;
    if (!(list = (ep__rm_sorted *)ep_malloc(alloc, bytes))) return EP_ERR_NOMEM;
    ep_keyspace_iter_init(&it);
    while (n < cap && (e = ep_keyspace_next(ks, &it)) != NULL) list[n++].e = e;
    /* The heads in a second pass, the entries EP__RM_AHEAD places ahead
     * already on their way from memory (each is a cache miss otherwise). */
    for (i = 0; i < n; i++) {
        ep_bytes k;
        if (i + EP__RM_AHEAD < n) EP__PREFETCH(list[i + EP__RM_AHEAD].e);
        k = ep_ks_entry_key(list[i].e);
        list[i].hi = ep__rm_be8(k.data, k.len);
        list[i].lo = ep__rm_be8(k.data + (k.len > 8 ? 8 : k.len), k.len > 8 ? k.len - 8 : 0);
        if (ep_ks_entry_ttl(list[i].e) >= 0) ++*ttls;
    }
    if (n > 1) qsort(list, n, sizeof *list, ep__rm_sorted_cmp);
    *out = list;
    *count = n;
    return EP_OK;
}

static ep_result ep__rm_walk(const ep_keyspace *ks, const ep_redis_map_config *cfg, ep_redis_map_result *out,
                             ep__rm_start_fn start, ep__rm_each_fn each, void *u, ep_error *err) {
    ep__rm_sorted *list = NULL;
    size_t count = 0, i;
    uint64_t ttls = 0;
    int64_t now = ep__rm_now(cfg);
    ep_result r;
    if ((r = ep__rm_sort(ks, cfg->alloc, &list, &count, &ttls)) != EP_OK)
        return ep_error_set(err, r, UINT64_MAX, "sorting the keys: %s", ep_result_str(r));
    if (start && (r = start(u, count, ttls)) != EP_OK) {
        ep_free(cfg->alloc, list);
        return r;
    }
    for (i = 0; i < count && r == EP_OK; i++) {
        const ep_ks_entry *e = list[i].e;
        if (i + EP__RM_AHEAD < count) { /* its header, key and a short inline value: two lines */
            EP__PREFETCH(list[i + EP__RM_AHEAD].e);
            EP__PREFETCH((const uint8_t *)list[i + EP__RM_AHEAD].e + 64);
        }
        uint8_t type = ep_ks_entry_type(e);
        int64_t ttl = ep_ks_entry_ttl(e);
        ep_redis_skip why = (ep_redis_skip)0;
        const char *kind;
        out->keys++;
        if (!ep__rm_maps(type, &why, &kind) || (type == EP_TYPE_ZSET && ep__rm_has_nan(e))) {
            ep__rm_report(cfg, out, cfg->db, ep_ks_entry_key(e), kind, why ? why : EP_REDIS_SKIP_NAN_SCORE);
            continue;
        }
        r = each(u, e, type, ttl < 0 ? -1 : ep__deadline(now, ttl));
        if (r == EP_OK) out->converted++;
    }
    ep_free(cfg->alloc, list);
    for (i = 0; r == EP_OK && i < ep_keyspace_schema_count(ks); i++) {
        ep_bytes name, desc;
        if (ep_keyspace_schema_at(ks, i, &name, &desc)) ep__rm_report(cfg, out, cfg->db, name, "proto-schema", EP_REDIS_SKIP_SCHEMA);
    }
    return r;
}

/* ---- keyspace -> RDB writer ---------------------------------------------- */

typedef struct ep__rm_rdb {
    ep_rdb_writer *w;
    uint64_t db;
    ep__rm_key k;
    ep_error *err;
} ep__rm_rdb;

static ep_result ep__rm_rdb_each(void *u, const ep_ks_entry *e, uint8_t type, int64_t deadline) {
    ep__rm_rdb *c = (ep__rm_rdb *)u;
    ep_bytes key = ep_ks_entry_key(e);
    ep_result r;
    if (type == EP_TYPE_STRING) {
        r = ep_rdb_writer_string(c->w, key, ep_ks_entry_value(e), deadline);
    } else {
        if ((r = ep__rm_key_gather(&c->k, e)) != EP_OK) return ep_error_set(c->err, r, UINT64_MAX, "out of memory");
        switch (type) {
        case EP_TYPE_LIST: r = ep_rdb_writer_list(c->w, key, c->k.a, c->k.n, deadline); break;
        case EP_TYPE_SET: r = ep_rdb_writer_set(c->w, key, c->k.a, c->k.n, deadline); break;
        case EP_TYPE_HASH: r = ep_rdb_writer_hash(c->w, key, c->k.a, c->k.b, c->k.n, deadline); break;
        default: r = ep_rdb_writer_zset(c->w, key, c->k.a, c->k.score, c->k.n, deadline); break;
        }
    }
    if (r != EP_OK && c->err) {
        const ep_error *we = ep_rdb_writer_error(c->w);
        if (we && we->code != EP_OK) *c->err = *we;
        else ep_error_set(c->err, r, UINT64_MAX, "RDB writer: %s", ep_result_str(r));
    }
    return r;
}

/* The SELECTDB record with the RESIZEDB hint: keys and keys with a ttl. A
 * keyspace holds each key and member once: the writer need not check. */
static ep_result ep__rm_rdb_start(void *u, size_t keys, uint64_t ttls) {
    ep__rm_rdb *c = (ep__rm_rdb *)u;
    ep_result r = ep_rdb_writer_select_db_unique(c->w, c->db, (uint64_t)keys, ttls);
    if (r != EP_OK) return ep_error_set(c->err, r, UINT64_MAX, "RDB writer: %s", ep_result_str(r));
    return EP_OK;
}

EP_API ep_result ep_redis_keyspace_to_rdb(const ep_keyspace *ks, ep_rdb_writer *w, const ep_redis_map_config *cfg,
                                          ep_redis_map_result *out, ep_error *err) {
    ep__rm_rdb c;
    ep_result r;
    if (!ks || !w || !cfg || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    if (ep_keyspace_count(ks) == 0) return EP_OK; /* no SELECTDB for an empty database, as Redis */
    memset(&c, 0, sizeof c);
    c.w = w;
    c.db = cfg->db;
    c.k.alloc = cfg->alloc;
    c.err = err;
    r = ep__rm_walk(ks, cfg, out, ep__rm_rdb_start, ep__rm_rdb_each, &c, err);
    ep__rm_key_free(&c.k);
    return r;
}

/* ---- keyspace -> commands ------------------------------------------------- */

typedef struct ep__rm_cmd {
    ep_redis_command_fn fn;
    void *user;
    ep_redis_map_result *out;
    ep__rm_key k;
    ep_bytes argv[2 + 2 * EP_REDIS_ITEMS_PER_CMD];
    char num[EP_REDIS_ITEMS_PER_CMD][EP_RESP_NUM_MAX];
    ep_error *err;
} ep__rm_cmd;

static ep_result ep__rm_emit(ep__rm_cmd *c, size_t argc) {
    ep_result r = c->fn(c->user, argc, c->argv);
    if (r != EP_OK) return ep_error_set(c->err, r, UINT64_MAX, "the command callback stopped the conversion: %s",
                                        ep_result_str(r));
    c->out->commands++;
    return EP_OK;
}

static ep_result ep__rm_cmd_each(void *u, const ep_ks_entry *e, uint8_t type, int64_t deadline) {
    ep__rm_cmd *c = (ep__rm_cmd *)u;
    ep_bytes key = ep_ks_entry_key(e);
    ep_result r;
    size_t i, argc;
    c->argv[1] = key;
    if (type == EP_TYPE_STRING) {
        c->argv[0] = EP_LIT("SET");
        c->argv[2] = ep_ks_entry_value(e);
        if ((r = ep__rm_emit(c, 3)) != EP_OK) return r;
    } else {
        if ((r = ep__rm_key_gather(&c->k, e)) != EP_OK) return ep_error_set(c->err, r, UINT64_MAX, "out of memory");
        for (i = 0; i < c->k.n; i += EP_REDIS_ITEMS_PER_CMD) {
            size_t j, end = c->k.n - i < EP_REDIS_ITEMS_PER_CMD ? c->k.n : i + EP_REDIS_ITEMS_PER_CMD;
            argc = 2;
            for (j = i; j < end; j++) {
                switch (type) {
                case EP_TYPE_LIST: c->argv[argc++] = c->k.a[j]; break;
                case EP_TYPE_SET: c->argv[argc++] = c->k.a[j]; break;
                case EP_TYPE_HASH:
                    c->argv[argc++] = c->k.a[j];
                    c->argv[argc++] = c->k.b[j];
                    break;
                default: {
                    char *num = c->num[j - i];
                    size_t len = ep_resp_format_double(c->k.score[j], num);
                    c->argv[argc++] = ep_bytes_of(num, len);
                    c->argv[argc++] = c->k.a[j];
                    break;
                }
                }
            }
            c->argv[0] = type == EP_TYPE_LIST   ? EP_LIT("RPUSH")
                         : type == EP_TYPE_SET  ? EP_LIT("SADD")
                         : type == EP_TYPE_HASH ? EP_LIT("HSET")
                                                : EP_LIT("ZADD");
            if ((r = ep__rm_emit(c, argc)) != EP_OK) return r;
        }
    }
    if (deadline >= 0) {
        size_t len = ep_resp_format_i64(deadline, c->num[0]);
        c->argv[0] = EP_LIT("PEXPIREAT");
        c->argv[1] = key;
        c->argv[2] = ep_bytes_of(c->num[0], len);
        if ((r = ep__rm_emit(c, 3)) != EP_OK) return r;
    }
    return EP_OK;
}

EP_API ep_result ep_redis_keyspace_to_commands(const ep_keyspace *ks, const ep_redis_map_config *cfg,
                                               ep_redis_command_fn fn, void *user, ep_redis_map_result *out,
                                               ep_error *err) {
    ep__rm_cmd *c;
    ep_result r;
    size_t len;
    if (!ks || !cfg || !fn || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    c = (ep__rm_cmd *)ep_malloc(cfg->alloc, sizeof *c);
    if (!c) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(c, 0, sizeof *c);
    c->fn = fn;
    c->user = user;
    c->out = out;
    c->k.alloc = cfg->alloc;
    c->err = err;
    len = ep_resp_format_i64((int64_t)cfg->db, c->num[0]);
    c->argv[0] = EP_LIT("SELECT");
    c->argv[1] = ep_bytes_of(c->num[0], len);
    r = ep_keyspace_count(ks) ? ep__rm_emit(c, 2) : EP_OK;
    if (r == EP_OK) r = ep__rm_walk(ks, cfg, out, NULL, ep__rm_cmd_each, c, err);
    ep__rm_key_free(&c->k);
    ep_free(cfg->alloc, c);
    return r;
}

/* ---- ember shard -> Redis -------------------------------------------------- */

/* The shard, recovered with the same now as the deadlines are measured from. */
static ep_result ep__rm_recover(const char *dir, ep_shard_id shard_id, const ep_redis_map_config *cfg, int64_t *now,
                                ep_recover_result *rec, int *have, ep_redis_map_result *out, ep_error *err) {
    ep_recover_config rc;
    ep_result r;
    ep_recover_config_init(&rc);
    rc.vfs = cfg->vfs;
    rc.alloc = cfg->alloc;
    rc.key = cfg->key;
    rc.wall_clock_ms = ep__fixed_clock;
    rc.clock_user = now;
    r = ep__recover_clean(dir, shard_id, &rc, rec, have, err);
    if (r != EP_OK) return r;
    if (!rec->snapshot_present && !rec->aof_present)
        return ep_error_set(err, EP_ERR_NOT_FOUND, UINT64_MAX, "no shard %u in %s", (unsigned)shard_id, dir);
    out->aof_torn = rec->aof_end == EP_AOF_END_TORN;
    out->aof_tail_bytes = out->aof_torn ? rec->aof_tail_bytes : 0;
    return EP_OK;
}

static void ep__rm_begin(const ep_redis_map_config **cfg, ep_redis_map_config *def, ep_redis_map_result *out,
                         ep_error *err) {
    if (err) ep_error_clear(err);
    if (!*cfg) {
        ep_redis_map_config_init(def);
        *cfg = def;
    }
    if (out) memset(out, 0, sizeof *out);
}

EP_API ep_result ep_redis_shard_to_rdb(const char *dir, ep_shard_id shard_id, const char *rdb_path,
                                       const ep_redis_map_config *cfg, ep_redis_map_result *out, ep_error *err) {
    ep_redis_map_config def, local;
    ep_recover_result rec;
    ep_rdb_writer_config wc;
    ep_rdb_writer *w = NULL;
    int have = 0;
    ep_result r;
    ep__rm_begin(&cfg, &def, out, err);
    if (!dir || !rdb_path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    local = *cfg;
    local.now_ms = ep__rm_now(cfg); /* one now for recovery and deadlines */
    r = ep__rm_recover(dir, shard_id, &local, &local.now_ms, &rec, &have, out, err);
    if (r == EP_OK) {
        ep_rdb_writer_config_init(&wc);
        wc.vfs = cfg->vfs;
        wc.alloc = cfg->alloc;
        wc.version = cfg->rdb_version ? cfg->rdb_version : 10;
        wc.compress = cfg->rdb_compress;
        wc.ctime = local.now_ms / 1000;
        r = ep_rdb_writer_begin(rdb_path, &wc, &w, err);
    }
    if (r == EP_OK) r = ep_redis_keyspace_to_rdb(rec.keyspace, w, &local, out, err);
    if (w) {
        if (r == EP_OK) r = ep_rdb_writer_commit(w, err);
        else (void)ep_rdb_writer_abort(w);
    }
    if (have) ep_recover_result_free(&rec);
    if (r == EP_OK) {
        ep_vfs os, *vfs;
        if (ep__vfs_pick(cfg->vfs, &os, &vfs) == EP_OK) (void)vfs->stat(vfs, rdb_path, &out->bytes, NULL);
    }
    return r;
}

EP_API ep_result ep_redis_shard_to_commands(const char *dir, ep_shard_id shard_id, const ep_redis_map_config *cfg,
                                            ep_redis_command_fn fn, void *user, ep_redis_map_result *out,
                                            ep_error *err) {
    ep_redis_map_config def, local;
    ep_recover_result rec;
    int have = 0;
    ep_result r;
    ep__rm_begin(&cfg, &def, out, err);
    if (!dir || !fn || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    local = *cfg;
    local.now_ms = ep__rm_now(cfg);
    r = ep__rm_recover(dir, shard_id, &local, &local.now_ms, &rec, &have, out, err);
    if (r == EP_OK) r = ep_redis_keyspace_to_commands(rec.keyspace, &local, fn, user, out, err);
    if (have) ep_recover_result_free(&rec);
    return r;
}

/* ---- ember shard -> appendonlydir/ ------------------------------------------- */

static int ep__rm_has_manifest(void *u, const char *name) {
    size_t n = strlen(name);
    if (n > 9 && strcmp(name + n - 9, ".manifest") == 0) *(int *)u = 1;
    return 0;
}

#define EP__RM_AOF_NAME "appendonly.aof"

/* Written by the library's multi-part AOF rewrite (one place for the
 * manifest's text and for the publish order: base, incr, then the manifest
 * as the one switch): into a directory without a manifest it starts at
 * seq 1, so the files are appendonly.aof.1.base.rdb and .1.incr.aof. */
EP_API ep_result ep_redis_shard_to_aof_dir(const char *dir, ep_shard_id shard_id, const char *aof_dir,
                                           const ep_redis_map_config *cfg, ep_redis_map_result *out, ep_error *err) {
    ep_redis_map_config def, local;
    ep_recover_result rec;
    ep_aof_rewrite_config rc;
    ep_aof_rewrite *rw = NULL;
    ep_rdb_writer *w = NULL;
    ep_vfs os, *vfs;
    char base[4200], incr[4200];
    int have = 0, exists = 0;
    ep_result r;
    ep__rm_begin(&cfg, &def, out, err);
    if (!dir || !aof_dir || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    if ((r = ep__vfs_pick(cfg->vfs, &os, &vfs)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "no OS file system");
    if (ep_path_join(base, sizeof base, aof_dir, EP__RM_AOF_NAME ".1.base.rdb") != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "path too long");
    if (vfs->list(vfs, aof_dir, ep__rm_has_manifest, &exists, NULL) == EP_OK && exists)
        return ep_error_set(err, EP_ERR_EXISTS, UINT64_MAX, "%s holds an AOF manifest already", aof_dir);
    local = *cfg;
    local.vfs = vfs;
    local.now_ms = ep__rm_now(cfg);
    r = ep__rm_recover(dir, shard_id, &local, &local.now_ms, &rec, &have, out, err);
    if (r == EP_OK) {
        ep_aof_rewrite_config_init(&rc);
        rc.vfs = vfs;
        rc.alloc = cfg->alloc;
        rc.file_prefix = EP__RM_AOF_NAME;
        rc.rdb.version = cfg->rdb_version ? cfg->rdb_version : 10;
        rc.rdb.compress = cfg->rdb_compress;
        rc.rdb.ctime = local.now_ms / 1000;
        r = ep_aof_rewrite_begin(aof_dir, &rc, &rw, &w, err);
    }
    if (r == EP_OK) r = ep_redis_keyspace_to_rdb(rec.keyspace, w, &local, out, err);
    if (rw) {
        if (r == EP_OK) r = ep_aof_rewrite_commit(rw, incr, sizeof incr, err);
        else ep_aof_rewrite_abort(rw);
    }
    if (have) ep_recover_result_free(&rec);
    if (r == EP_OK) (void)vfs->stat(vfs, base, &out->bytes, NULL);
    return r;
}

/* ---- RDB -> ember shard(s) ------------------------------------------------- */

typedef struct ep__rm_load {
    const ep_redis_map_config *cfg;
    ep_redis_map_result *out;
} ep__rm_load;

static void ep__rm_load_report(void *user, uint64_t db, ep_bytes key, const char *kind, ep_redis_skip why) {
    ep__rm_load *l = (ep__rm_load *)user;
    ep__rm_report(l->cfg, l->out, db, key, kind, why);
}

/* Keys of a database that is not taken: each reported. */
static void ep__rm_report_db(const ep_redis_map_config *cfg, ep_redis_map_result *out, uint64_t db,
                             const ep_keyspace *ks) {
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    static const char *const kinds[] = {"string", "list", "zset", "hash", "set", "proto", "vector"};
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(ks, &it)) != NULL) {
        uint8_t t = ep_ks_entry_type(e);
        ep__rm_report(cfg, out, db, ep_ks_entry_key(e), t <= EP_TYPE_MAX ? kinds[t] : "unknown", EP_REDIS_SKIP_OTHER_DB);
    }
}

/* The shard id database db goes to, or 0 if it is not taken. */
static int ep__rm_target(const ep_redis_map_config *cfg, ep_shard_id base, uint64_t db, uint32_t *id) {
    if (cfg->db != EP_REDIS_ALL_DBS) {
        *id = base;
        return db == cfg->db;
    }
    *id = (uint32_t)base + (uint32_t)db;
    return 1;
}

static ep_result ep__rm_check_free(ep_vfs *vfs, const char *dir, uint32_t id, ep_error *err) {
    char snap[4096], aof[4096];
    if (id > 65535) return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "shard id %lu is over 65535", (unsigned long)id);
    if (ep_snapshot_path(dir, (ep_shard_id)id, snap, sizeof snap) != EP_OK ||
        ep_aof_path(dir, (ep_shard_id)id, aof, sizeof aof) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "path too long");
    if (vfs->stat(vfs, snap, NULL, NULL) == EP_OK || vfs->stat(vfs, aof, NULL, NULL) == EP_OK)
        return ep_error_set(err, EP_ERR_EXISTS, UINT64_MAX, "shard %lu exists in %s already", (unsigned long)id, dir);
    return EP_OK;
}

EP_API ep_result ep_redis_rdb_to_shard(const char *rdb_path, const char *dir, ep_shard_id shard_id,
                                       const ep_redis_map_config *cfg, ep_redis_map_result *out, ep_error *err) {
    ep_redis_map_config def;
    ep_redis_load_config lc;
    ep_redis_load_stats ls;
    ep_redis_dbs dbs;
    ep__rm_load l;
    ep_vfs os, *vfs;
    ep_shard_config sc;
    ep_result r;
    uint64_t i, f;
    uint32_t id;
    ep__rm_begin(&cfg, &def, out, err);
    if (!rdb_path || !dir || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    if ((r = ep__vfs_pick(cfg->vfs, &os, &vfs)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "no OS file system");
    memset(&dbs, 0, sizeof dbs);
    ep_redis_load_config_init(&lc);
    lc.reader.vfs = vfs;
    lc.reader.alloc = cfg->alloc;
    lc.alloc = cfg->alloc;
    lc.now_ms = ep__rm_now(cfg);
    lc.max_databases = cfg->db != EP_REDIS_ALL_DBS && cfg->db >= 16 ? (uint32_t)(cfg->db + 1) : 16;
    l.cfg = cfg;
    l.out = out;
    lc.report = ep__rm_load_report;
    lc.report_user = &l;
    memset(&ls, 0, sizeof ls);
    r = ep_redis_load_rdb(rdb_path, &lc, &dbs, &ls, err);
    out->expired = ls.expired;
    out->empty = ls.empty;
    out->keys = ls.loaded + ls.expired + ls.empty + ls.unmapped;
    for (f = 0; r == EP_OK && f < ls.functions; f++)
        ep__rm_report(cfg, out, EP_REDIS_ALL_DBS, ep_bytes_of(NULL, 0), "function", EP_REDIS_SKIP_FUNCTION);
    /* Everything checked before anything is written. */
    for (i = 0; r == EP_OK && i < dbs.count; i++) {
        if (!dbs.db[i] || ep_keyspace_count(dbs.db[i]) == 0) continue;
        if (ep__rm_target(cfg, shard_id, i, &id)) r = ep__rm_check_free(vfs, dir, id, err);
    }
    if (r == EP_OK) r = ep__stream_make_dirs(vfs, cfg->alloc, dir, err);
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    sc.alloc = cfg->alloc;
    sc.key = cfg->key;
    for (i = 0; r == EP_OK && i < dbs.count; i++) {
        char snap[4096];
        uint64_t n = 0;
        if (!dbs.db[i] || ep_keyspace_count(dbs.db[i]) == 0) continue;
        if (!ep__rm_target(cfg, shard_id, i, &id)) {
            ep__rm_report_db(cfg, out, i, dbs.db[i]);
            continue;
        }
        r = ep_shard_snapshot(dir, (ep_shard_id)id, dbs.db[i], NULL, &sc, err);
        if (r != EP_OK) break;
        out->shards++;
        out->converted += ep_keyspace_count(dbs.db[i]);
        if (ep_snapshot_path(dir, (ep_shard_id)id, snap, sizeof snap) == EP_OK && vfs->stat(vfs, snap, &n, NULL) == EP_OK)
            out->bytes += n;
    }
    if (r == EP_OK && out->shards == 0) { /* nothing to take: the shard exists, empty */
        ep_keyspace *empty = NULL;
        ep_keyspace_config kc;
        ep_keyspace_config_init(&kc);
        kc.alloc = cfg->alloc;
        r = ep__rm_check_free(vfs, dir, shard_id, err);
        if (r == EP_OK) r = ep_keyspace_create(&kc, &empty);
        if (r == EP_OK) r = ep_shard_snapshot(dir, shard_id, empty, NULL, &sc, err);
        if (r == EP_OK) out->shards = 1;
        ep_keyspace_free(empty);
    }
    ep_redis_dbs_free(&dbs);
    return r;
}

#endif /* EP_NO_REDIS, EP_NO_KEYSPACE */
