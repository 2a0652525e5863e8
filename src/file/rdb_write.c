/* rdb_write: the RDB writer on the stream core (buffer, flush, cut-back on
 * a failed write, poisoning) and its publish step (tmp, sync, rename,
 * directory sync). Its own rules are the Redis ones: what to refuse, and the
 * CRC-64 over every byte (the stream's write observer). */
#include "base/internal.h"
#include "check/crc.h"
#include "check/crc64.h"
#include "codec/codec_rdb.h"
#include "codec/lzf.h"
#include "file/rdb.h"
#include "file/stream.h"

#ifndef EP_NO_REDIS

#include <math.h>

/* A set of 96-bit fingerprints (CRC-64 and CRC-32 of the bytes): the
 * duplicate checks keep 16 bytes per key, not the keys. */
typedef struct ep__fp {
    uint64_t a;
    uint32_t b;
    uint32_t used;
} ep__fp;

typedef struct ep__fpset {
    ep__fp *t;
    size_t cap, n;
} ep__fpset;

static void ep__fp_clear(ep__fpset *s) {
    if (s->t && s->n) memset(s->t, 0, s->cap * sizeof *s->t);
    s->n = 0;
}

/* The table size that holds n fingerprints under the 3/4 load. */
static size_t ep__fp_cap_for(size_t n) {
    size_t cap = 16;
    while (cap * 3 < (n + 1) * 4 && cap < ((size_t)1 << (sizeof(size_t) * 8 - 6))) cap *= 2;
    return cap;
}

static ep_result ep__fp_add(ep__fpset *s, const ep_allocator *alloc, ep_bytes b, int *dup);

/* Moves s into an empty table of cap slots (a power of two that holds them). */
static ep_result ep__fp_resize(ep__fpset *s, const ep_allocator *alloc, size_t cap) {
    ep__fpset ns;
    size_t i;
    ns.cap = cap;
    ns.n = 0;
    if (!ep__mul_size(ns.cap, sizeof *ns.t, &i)) return EP_ERR_NOMEM;
    ns.t = (ep__fp *)ep_malloc(alloc, i);
    if (!ns.t) return EP_ERR_NOMEM;
    memset(ns.t, 0, i);
    for (i = 0; i < s->cap; i++) {
        if (s->t[i].used) {
            size_t j = (size_t)(s->t[i].a & (ns.cap - 1));
            while (ns.t[j].used) j = (j + 1) & (ns.cap - 1);
            ns.t[j] = s->t[i];
            ns.n++;
        }
    }
    ep_free(alloc, s->t);
    *s = ns;
    return EP_OK;
}

static ep_result ep__fp_grow(ep__fpset *s, const ep_allocator *alloc) {
    return ep__fp_resize(s, alloc, s->cap ? s->cap * 2 : 16);
}

/* An empty set sized for n more (a hint: it still grows past it). A table
 * far larger than that (left by an earlier big key) is replaced by a small
 * one, so clearing it costs what this key needs, not what the largest did. */
static ep_result ep__fp_prepare(ep__fpset *s, const ep_allocator *alloc, size_t n) {
    size_t want = ep__fp_cap_for(n);
    if (s->cap > want * 4 || s->cap < want) {
        ep_free(alloc, s->t);
        s->t = NULL;
        s->cap = s->n = 0;
        return ep__fp_resize(s, alloc, want);
    }
    ep__fp_clear(s);
    return EP_OK;
}

static ep_result ep__fp_add(ep__fpset *s, const ep_allocator *alloc, ep_bytes b, int *dup) {
    uint64_t a = ep_crc64(b.data, b.len);
    uint32_t c = ep_crc32(b.data, b.len) ^ (uint32_t)b.len;
    size_t j;
    *dup = 0;
    if ((s->n + 1) * 4 > s->cap * 3) {
        ep_result r = ep__fp_grow(s, alloc);
        if (r != EP_OK) return r;
    }
    j = (size_t)(a & (s->cap - 1));
    while (s->t[j].used) {
        if (s->t[j].used == 1 && s->t[j].a == a && s->t[j].b == c) {
            *dup = 1;
            return EP_OK;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->t[j].a = a;
    s->t[j].b = c;
    s->t[j].used = 1;
    s->n++;
    return EP_OK;
}

struct ep_rdb_writer {
    ep_rdb_writer_config cfg;
    ep_vfs os_vfs, *vfs;
    ep__wstream s;
    ep_error err;
    char *path, *tmp_path;
    uint64_t crc;
    uint64_t keys;
    int in_db;
    int unique;            /* this database's keys and members are unique by construction: not checked */
    ep__fpset keyset, members;
    uint32_t *lzf;         /* LZF hash table, when compressing */
    int done;              /* renamed: nothing left to remove */
};

EP_API void ep_rdb_writer_config_init(ep_rdb_writer_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->version = 10;
    cfg->compress = 1;
    cfg->check_duplicates = 1;
    cfg->buffer_size = (size_t)1 << 20;
}

static void ep__rw_observe(void *user, uint64_t offset, const uint8_t *p, size_t n) {
    ep_rdb_writer *w = (ep_rdb_writer *)user;
    (void)offset;
    w->crc = ep_crc64_update(w->crc, p, n);
}

static void ep__rw_free(ep_rdb_writer *w) {
    if (w->s.f) (void)w->vfs->close(w->vfs, w->s.f, NULL);
    w->s.f = NULL;
    ep__ws_free(&w->s);
    ep_free(w->cfg.alloc, w->keyset.t);
    ep_free(w->cfg.alloc, w->members.t);
    ep_free(w->cfg.alloc, w->lzf);
    ep_free(w->cfg.alloc, w->path);
    ep_free(w->cfg.alloc, w->tmp_path);
    ep_free(w->cfg.alloc, w);
}

static char *ep__rw_strdup(const ep_allocator *a, const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    char *d = (char *)ep_malloc(a, n + k + 1);
    if (d) {
        memcpy(d, s, n);
        memcpy(d + n, suffix, k + 1);
    }
    return d;
}

/* ---- records ------------------------------------------------------------ */

/* A record went wrong inside the encoder or a check: take it back out. */
static ep_result ep__rw_refuse(ep_rdb_writer *w, ep_result r, ep_bytes key, const char *why) {
    (void)ep__ws_rewind(&w->s, r);
    return ep_error_set(&w->err, r, UINT64_MAX, "key '%.*s' not written: %s", (int)(key.len > 60 ? 60 : key.len),
                        (const char *)key.data, why);
}
/* its text through EP__TEXT (base.h: EP_NO_ERROR_TEXT drops it at every call) */
#define ep__rw_refuse(w, r, key, why) ep__rw_refuse((w), (r), (key), EP__TEXT(why))


/* The end of a record: errors in the buffer or the stream are the call's. */
static ep_result ep__rw_done(ep_rdb_writer *w) {
    ep_buf *b = ep__ws_buf(&w->s);
    ep_result r;
    if (b->err) return ep__ws_rewind(&w->s, b->err);
    ep__ws_records(&w->s, 1);
    r = ep__ws_bound(&w->s);
    return r;
}

static ep_result ep__rw_start(ep_rdb_writer *w) {
    ep_result r = ep__ws_usable(&w->s);
    if (r != EP_OK) return r;
    ep_error_clear(&w->err);
    ep__ws_mark(&w->s);
    return EP_OK;
}

/* Fingerprints are kept unless the configuration or the database says
 * its keys and members are unique (ep_rdb_writer_select_db_unique). */
static int ep__rw_checks(const ep_rdb_writer *w) {
    return w->cfg.check_duplicates && !w->unique;
}

/* Checks shared by every key: a database selected, not a duplicate, and
 * then the key's expiry, type and name into the buffer. */
static ep_result ep__rw_key(ep_rdb_writer *w, ep_bytes key, int type, int64_t expire_ms, size_t n, int collection) {
    ep_buf *b;
    ep_result r = ep__rw_start(w);
    int dup = 0;
    if (r != EP_OK) return r;
    if (!w->in_db) return ep_error_set(&w->err, EP_ERR_STATE, UINT64_MAX, "no database selected (ep_rdb_writer_select_db)");
    if (collection && n == 0) return ep__rw_refuse(w, EP_ERR_INVALID, key, "empty collection (Redis skips it, redis-check-rdb rejects it)");
    if (key.len > EP_RDB_MAX_STRING) return ep__rw_refuse(w, EP_ERR_LIMIT, key, "key above 512 MiB");
    if (ep__rw_checks(w)) {
        r = ep__fp_add(&w->keyset, w->cfg.alloc, key, &dup);
        if (r != EP_OK) return ep__rw_refuse(w, r, key, "out of memory");
        if (dup) return ep__rw_refuse(w, EP_ERR_INVALID, key, "duplicate key in this database (Redis crashes on it)");
    }
    b = ep__ws_buf(&w->s);
    if (expire_ms >= 0) {
        ep_buf_u8(b, EP_RDB_OP_EXPIRETIME_MS);
        ep_buf_u64(b, (uint64_t)expire_ms);
    }
    ep_buf_u8(b, (uint8_t)type);
    ep_rdb_put_string(b, key, w->lzf);
    return EP_OK;
}

/* A member or field seen twice in one key is refused (Redis reports the
 * file corrupt). The key itself was already counted: undo that. */
static ep_result ep__rw_members(ep_rdb_writer *w, ep_bytes key, const ep_bytes *m, size_t n) {
    size_t i;
    ep_result pr;
    if (!ep__rw_checks(w)) return EP_OK;
    if ((pr = ep__fp_prepare(&w->members, w->cfg.alloc, n)) != EP_OK) return ep__rw_refuse(w, pr, key, "out of memory");
    for (i = 0; i < n; i++) {
        int dup;
        ep_result r = ep__fp_add(&w->members, w->cfg.alloc, m[i], &dup);
        if (r != EP_OK) return ep__rw_refuse(w, r, key, "out of memory");
        if (dup) return ep__rw_refuse(w, EP_ERR_INVALID, key, "the same member or field twice");
    }
    return EP_OK;
}

static void ep__rw_forget_key(ep_rdb_writer *w, ep_bytes key) {
    /* A refused key may be written again: take its fingerprint out by
     * rebuilding is costly, so mark it free in place (linear probing keeps
     * working if a deleted slot is a tombstone: used = 2 matches nothing). */
    uint64_t a;
    uint32_t c;
    size_t j;
    if (!ep__rw_checks(w) || !w->keyset.cap) return;
    a = ep_crc64(key.data, key.len);
    c = ep_crc32(key.data, key.len) ^ (uint32_t)key.len;
    for (j = (size_t)(a & (w->keyset.cap - 1)); w->keyset.t[j].used; j = (j + 1) & (w->keyset.cap - 1)) {
        if (w->keyset.t[j].used == 1 && w->keyset.t[j].a == a && w->keyset.t[j].b == c) {
            w->keyset.t[j].a = ~a;
            w->keyset.t[j].b = ~c;
            w->keyset.t[j].used = 2;
            return;
        }
    }
}

EP_API ep_result ep_rdb_writer_begin(const char *path, const ep_rdb_writer_config *cfg, ep_rdb_writer **out,
                                     ep_error *err) {
    ep_rdb_writer_config def;
    ep_rdb_writer *w;
    ep_file *f = NULL;
    ep_result r;
    char head[10];
    if (!path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "rdb writer: NULL argument");
    *out = NULL;
    if (!cfg) {
        ep_rdb_writer_config_init(&def);
        cfg = &def;
    }
    if (cfg->version != 9 && cfg->version != 10)
        return ep_error_set(err, EP_ERR_VERSION, UINT64_MAX, "rdb writer: version %d (9 or 10)", cfg->version);
    w = (ep_rdb_writer *)ep_malloc(cfg->alloc, sizeof *w);
    if (!w) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    ep_error_clear(&w->err);
    r = ep__vfs_pick(cfg->vfs, &w->os_vfs, &w->vfs);
    ep__ws_init(&w->s, w->vfs, NULL, cfg->alloc, 0, &w->err);
    ep__ws_set_observer(&w->s, ep__rw_observe, w);
    if (!r) {
        w->path = ep__rw_strdup(cfg->alloc, path, "");
        w->tmp_path = ep__rw_strdup(cfg->alloc, path, ".tmp");
        if (cfg->compress) {
            w->lzf = (uint32_t *)ep_malloc(cfg->alloc, EP_LZF_WORK_ENTRIES * sizeof *w->lzf);
            if (w->lzf) memset(w->lzf, 0, EP_LZF_WORK_ENTRIES * sizeof *w->lzf);
        }
        if (!w->path || !w->tmp_path || (cfg->compress && !w->lzf)) r = EP_ERR_NOMEM;
    }
    if (!r) r = ep__ws_config(&w->s, cfg->buffer_size ? cfg->buffer_size : (size_t)1 << 20, EP_FSYNC_NO, NULL, NULL);
    if (!r) r = w->vfs->open(w->vfs, w->tmp_path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, &w->err);
    if (r) {
        if (err) {
            *err = w->err;
            if (err->code != r) ep_error_set(err, r, UINT64_MAX, "cannot create the RDB's temporary file");
        }
        ep__rw_free(w);
        return r;
    }
    ep__ws_retarget(&w->s, f, 0);
    snprintf(head, sizeof head, "REDIS%04d", cfg->version);
    ep__ws_mark(&w->s);
    ep_buf_put(ep__ws_buf(&w->s), head, 9);
    if (cfg->ctime >= 0) {
        char num[EP_RDB_NUM_TEXT];
        int64_t now = cfg->ctime ? cfg->ctime : ep__clock_wall_ms() / 1000;
        ep_buf *b = ep__ws_buf(&w->s);
        ep_buf_u8(b, EP_RDB_OP_AUX);
        ep_rdb_put_string(b, EP_LIT("redis-bits"), NULL);
        ep_rdb_put_string(b, sizeof(void *) == 8 ? EP_LIT("64") : EP_LIT("32"), NULL);
        ep_buf_u8(b, EP_RDB_OP_AUX);
        ep_rdb_put_string(b, EP_LIT("ctime"), NULL);
        {
            int n = snprintf(num, sizeof num, "%lld", (long long)now);
            ep_rdb_put_string(b, ep_bytes_of(num, (size_t)(n > 0 ? n : 0)), NULL);
        }
        ep_buf_u8(b, EP_RDB_OP_AUX);
        ep_rdb_put_string(b, EP_LIT("ember-persist-ver"), NULL);
        ep_rdb_put_string(b, EP_LIT(EP_VERSION_STRING), NULL);
        ep_buf_u8(b, EP_RDB_OP_AUX);
        ep_rdb_put_string(b, EP_LIT("aof-base"), NULL);
        ep_rdb_put_string(b, cfg->aof_base ? EP_LIT("1") : EP_LIT("0"), NULL);
    }
    r = ep__rw_done(w);
    if (r) {
        if (err) *err = w->err;
        (void)ep_rdb_writer_abort(w);
        return r;
    }
    *out = w;
    return EP_OK;
}

EP_API ep_result ep_rdb_writer_aux(ep_rdb_writer *w, ep_bytes name, ep_bytes value) {
    ep_buf *b;
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    if ((r = ep__rw_start(w)) != EP_OK) return r;
    if (w->in_db) return ep_error_set(&w->err, EP_ERR_STATE, UINT64_MAX, "AUX fields go before the first database");
    b = ep__ws_buf(&w->s);
    ep_buf_u8(b, EP_RDB_OP_AUX);
    ep_rdb_put_string(b, name, NULL);
    ep_rdb_put_string(b, value, NULL);
    return ep__rw_done(w);
}

EP_API ep_result ep_rdb_writer_function(ep_rdb_writer *w, ep_bytes code) {
    ep_buf *b;
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    if ((r = ep__rw_start(w)) != EP_OK) return r;
    if (w->in_db) return ep_error_set(&w->err, EP_ERR_STATE, UINT64_MAX, "functions go before the first database");
    if (w->cfg.version < 10) return ep_error_set(&w->err, EP_ERR_UNSUPPORTED, UINT64_MAX, "functions need RDB version 10");
    b = ep__ws_buf(&w->s);
    ep_buf_u8(b, EP_RDB_OP_FUNCTION2);
    ep_rdb_put_string(b, code, NULL);
    return ep__rw_done(w);
}

static ep_result ep__rw_select(ep_rdb_writer *w, uint64_t db, uint64_t db_size, uint64_t expires_size, int unique) {
    ep_buf *b;
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    if ((r = ep__rw_start(w)) != EP_OK) return r;
    b = ep__ws_buf(&w->s);
    ep_buf_u8(b, EP_RDB_OP_SELECTDB);
    ep_rdb_put_len(b, db);
    if (db_size || expires_size) {
        ep_buf_u8(b, EP_RDB_OP_RESIZEDB);
        ep_rdb_put_len(b, db_size);
        ep_rdb_put_len(b, expires_size);
    }
    r = ep__rw_done(w);
    if (r == EP_OK) {
        w->in_db = 1;
        w->unique = unique;
        /* The caller's RESIZEDB size, capped (4 M keys: 128 MiB of
         * fingerprints at most), sizes the key checks once. */
        if (ep__rw_checks(w))
            r = ep__fp_prepare(&w->keyset, w->cfg.alloc, (size_t)(db_size < (1u << 22) ? db_size : (1u << 22)));
    }
    return r;
}

EP_API ep_result ep_rdb_writer_select_db(ep_rdb_writer *w, uint64_t db, uint64_t db_size, uint64_t expires_size) {
    return ep__rw_select(w, db, db_size, expires_size, 0);
}

EP_API ep_result ep_rdb_writer_select_db_unique(ep_rdb_writer *w, uint64_t db, uint64_t db_size,
                                                uint64_t expires_size) {
    return ep__rw_select(w, db, db_size, expires_size, 1);
}

/* The end of a key record. */
static ep_result ep__rw_key_done(ep_rdb_writer *w, ep_bytes key) {
    ep_result r = ep__rw_done(w);
    if (r == EP_OK) w->keys++;
    else ep__rw_forget_key(w, key);
    return r;
}

static ep_result ep__rw_refuse_key(ep_rdb_writer *w, ep_bytes key, ep_result r) {
    ep__rw_forget_key(w, key);
    return r;
}

EP_API ep_result ep_rdb_writer_string(ep_rdb_writer *w, ep_bytes key, ep_bytes value, int64_t expire_ms) {
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    if ((r = ep__rw_key(w, key, EP_RDB_STRING, expire_ms, 0, 0)) != EP_OK) return r;
    if (value.len > EP_RDB_MAX_STRING) return ep__rw_refuse_key(w, key, ep__rw_refuse(w, EP_ERR_LIMIT, key, "value above 512 MiB"));
    ep_rdb_put_string(ep__ws_buf(&w->s), value, w->lzf);
    return ep__rw_key_done(w, key);
}

/* n strings, each followed by a flush check so a huge collection is never
 * all in memory. */
static ep_result ep__rw_strings(ep_rdb_writer *w, const ep_bytes *s, const ep_bytes *t, const double *d, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        ep_buf *b = ep__ws_buf(&w->s);
        ep_rdb_put_string(b, s[i], w->lzf);
        if (t) ep_rdb_put_string(b, t[i], w->lzf);
        if (d) ep_buf_f64(b, d[i]);
        if (b->err) return b->err;
        if ((i & 63) == 63) {
            ep_result r = ep__ws_bound(&w->s);
            if (r != EP_OK) return r;
        }
    }
    return EP_OK;
}

static ep_result ep__rw_collection(ep_rdb_writer *w, ep_bytes key, int type, const ep_bytes *a, const ep_bytes *b,
                                   const double *d, size_t n, int64_t expire_ms, int unique) {
    ep_result r;
    if (!w || (n && !a)) return EP_ERR_INVALID_ARG;
    if ((r = ep__rw_key(w, key, type, expire_ms, n, 1)) != EP_OK) return r;
    if (unique && (r = ep__rw_members(w, key, a, n)) != EP_OK) return ep__rw_refuse_key(w, key, r);
    if (d) {
        size_t i;
        for (i = 0; i < n; i++)
            if (d[i] != d[i]) return ep__rw_refuse_key(w, key, ep__rw_refuse(w, EP_ERR_INVALID, key, "NaN score"));
    }
    ep_rdb_put_len(ep__ws_buf(&w->s), n);
    r = ep__rw_strings(w, a, b, d, n);
    if (r != EP_OK) {
        ep__rw_forget_key(w, key);
        if (ep__ws_usable(&w->s) == EP_OK) (void)ep__ws_rewind(&w->s, r);
        return r;
    }
    return ep__rw_key_done(w, key);
}

EP_API ep_result ep_rdb_writer_list(ep_rdb_writer *w, ep_bytes key, const ep_bytes *items, size_t n, int64_t expire_ms) {
    return ep__rw_collection(w, key, EP_RDB_LIST, items, NULL, NULL, n, expire_ms, 0);
}
EP_API ep_result ep_rdb_writer_set(ep_rdb_writer *w, ep_bytes key, const ep_bytes *members, size_t n,
                                   int64_t expire_ms) {
    return ep__rw_collection(w, key, EP_RDB_SET, members, NULL, NULL, n, expire_ms, 1);
}
EP_API ep_result ep_rdb_writer_hash(ep_rdb_writer *w, ep_bytes key, const ep_bytes *fields, const ep_bytes *values,
                                    size_t n, int64_t expire_ms) {
    if (n && !values) return EP_ERR_INVALID_ARG;
    return ep__rw_collection(w, key, EP_RDB_HASH, fields, values, NULL, n, expire_ms, 1);
}
EP_API ep_result ep_rdb_writer_zset(ep_rdb_writer *w, ep_bytes key, const ep_bytes *members, const double *scores,
                                    size_t n, int64_t expire_ms) {
    if (n && !scores) return EP_ERR_INVALID_ARG;
    return ep__rw_collection(w, key, EP_RDB_ZSET_2, members, NULL, scores, n, expire_ms, 1);
}

EP_API uint64_t ep_rdb_writer_count(const ep_rdb_writer *w) { return w ? w->keys : 0; }

static ep_result ep__rw_publish(ep_rdb_writer *w) {
    uint8_t tail[8];
    int renamed = 0;
    ep_result r = ep__rw_start(w);
    if (r != EP_OK) return r;
    ep_buf_u8(ep__ws_buf(&w->s), EP_RDB_OP_EOF);
    if ((r = ep__rw_done(w)) != EP_OK) return r;
    /* The observer has seen every byte once they are all handed over. */
    if ((r = ep__ws_flush(&w->s)) != EP_OK) return r;
    ep_store_u64le(tail, w->crc);
    if ((r = ep__ws_put(&w->s, tail, 8, 0)) != EP_OK) return r;
    if ((r = ep__ws_flush(&w->s)) != EP_OK) return r;
    ep_error_clear(&w->err);
    r = ep__stream_publish(w->vfs, w->cfg.alloc, &w->s.f, w->tmp_path, w->path, &renamed, &w->err);
    if (renamed) w->done = 1;
    return r;
}

static ep_result ep__rw_remove_tmp(ep_rdb_writer *w) {
    ep_result r;
    if (w->s.f) {
        (void)w->vfs->close(w->vfs, w->s.f, NULL);
        w->s.f = NULL;
    }
    if (w->done) return EP_OK;
    r = w->vfs->remove(w->vfs, w->tmp_path, NULL);
    return r == EP_ERR_NOT_FOUND ? EP_OK : r;
}

EP_API ep_result ep_rdb_writer_commit(ep_rdb_writer *w, ep_error *err) {
    ep_result r;
    if (!w) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "rdb commit: NULL writer");
    r = ep__rw_publish(w);
    if (r != EP_OK && err) {
        *err = w->err;
        if (err->code != r) ep_error_set(err, r, UINT64_MAX, "rdb commit: %s", ep_result_str(r));
    }
    (void)ep__rw_remove_tmp(w);
    ep__rw_free(w);
    return r;
}

EP_API ep_result ep_rdb_writer_abort(ep_rdb_writer *w) {
    ep_result r;
    if (!w) return EP_OK;
    r = ep__rw_remove_tmp(w);
    ep__rw_free(w);
    return r;
}

EP_API const ep_error *ep_rdb_writer_error(const ep_rdb_writer *w) { return w ? &w->err : NULL; }

#endif /* EP_NO_REDIS */
