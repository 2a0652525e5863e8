/* redis_load: RDB -> ep_keyspace per database. Each key's elements are
 * gathered in ember's items encoding (codec_aof.h) and inserted as one
 * snapshot entry, so the keyspace's own load path (and its caps) applies. */
#include "base/internal.h"
#include "file/stream.h"
#include "recover/redis.h"

#ifndef EP_NO_KEYSPACE /* the keyspace and what needs it: see recovery.h */

#ifndef EP_NO_REDIS

EP_API void ep_redis_dbs_free(ep_redis_dbs *d) {
    size_t i;
    if (!d) return;
    for (i = 0; i < d->count; i++) ep_keyspace_free(d->db[i]);
    ep_free(d->alloc, d->db);
    d->db = NULL;
    d->count = 0;
}

EP_API ep_result ep_redis_dbs_get(ep_redis_dbs *d, uint64_t i, uint32_t max, ep_keyspace **out) {
    ep_keyspace_config kc;
    ep_result res;
    if (i >= max) return EP_ERR_LIMIT;
    if (i >= d->count) {
        size_t n = (size_t)i + 1, k;
        ep_keyspace **nd = (ep_keyspace **)ep_realloc(d->alloc, d->db, n * sizeof *nd);
        if (!nd) return EP_ERR_NOMEM;
        for (k = d->count; k < n; k++) nd[k] = NULL;
        d->db = nd;
        d->count = n;
    }
    if (!d->db[i]) {
        ep_keyspace_config_init(&kc);
        kc.alloc = d->alloc;
        res = ep_keyspace_create(&kc, &d->db[i]);
        if (res != EP_OK) return res;
    }
    *out = d->db[i];
    return EP_OK;
}

EP_API void ep_redis_load_config_init(ep_redis_load_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    ep_rdb_reader_config_init(&cfg->reader);
    cfg->max_databases = 16;
}

typedef struct ep__rl {
    const ep_redis_load_config *cfg;
    ep_redis_dbs *dbs;
    ep_redis_load_stats st;
    ep_error *err;
    ep_buf items;
    ep_buf value;
    uint64_t count;
    ep_redis_skip bad;      /* 0 while the key maps */
    uint8_t type;           /* ep_value_type */
    ep_items_kind ikind;
    int64_t now;
    uint64_t db;            /* the last SELECTDB */
    uint64_t reserve;       /* its RESIZEDB size, capped by what the file can hold */
    uint64_t max_keys;      /* file bytes / 3: a key takes at least 3 bytes (type, lengths) */
} ep__rl;

static ep_result ep__rl_select(void *u, uint64_t db) {
    ep__rl *l = (ep__rl *)u;
    l->db = db;
    l->reserve = 0;
    return EP_OK;
}

/* Redis's RESIZEDB hint sizes the database's key table once (no rehash
 * while it fills); a hostile hint is capped by the file's size. */
static ep_result ep__rl_resize(void *u, uint64_t db_size, uint64_t expires_size) {
    ep__rl *l = (ep__rl *)u;
    (void)expires_size;
    l->reserve = db_size < l->max_keys ? db_size : l->max_keys;
    return EP_OK;
}

static ep_result ep__rl_begin(void *u, const ep_rdb_key *k) {
    ep__rl *l = (ep__rl *)u;
    const char *kind = k->kind;
    ep_buf_reset(&l->items);
    ep_buf_reset(&l->value);
    l->count = 0;
    l->bad = (ep_redis_skip)0;
    if (kind[0] == 's' && kind[1] == 't') l->type = EP_TYPE_STRING, l->ikind = EP_ITEMS_NONE;
    else if (kind[0] == 'l') l->type = EP_TYPE_LIST, l->ikind = EP_ITEMS_BYTES;
    else if (kind[0] == 's') l->type = EP_TYPE_SET, l->ikind = EP_ITEMS_STR;
    else if (kind[0] == 'h') l->type = EP_TYPE_HASH, l->ikind = EP_ITEMS_FIELD_VALUE;
    else l->type = EP_TYPE_ZSET, l->ikind = EP_ITEMS_SCORE_MEMBER;
    return EP_OK;
}

static ep_result ep__rl_element(void *u, const ep_rdb_key *k, const ep_item *e) {
    ep__rl *l = (ep__rl *)u;
    (void)k;
    if (l->bad) return EP_OK;
    l->count++;
    if (l->count > EP_MAX_COLLECTION_COUNT) {
        l->bad = EP_REDIS_SKIP_TOO_BIG;
        return EP_OK;
    }
    switch (l->ikind) {
    case EP_ITEMS_NONE:
        ep_buf_put(&l->value, e->a.data, e->a.len);
        break;
    case EP_ITEMS_BYTES:
        ep_buf_lenbytes(&l->items, e->a.data, e->a.len);
        break;
    case EP_ITEMS_STR:
        if (!ep_utf8_valid(e->a.data, e->a.len)) l->bad = EP_REDIS_SKIP_NOT_UTF8;
        ep_buf_lenbytes(&l->items, e->a.data, e->a.len);
        break;
    case EP_ITEMS_FIELD_VALUE:
        if (!ep_utf8_valid(e->a.data, e->a.len)) l->bad = EP_REDIS_SKIP_NOT_UTF8;
        ep_buf_lenbytes(&l->items, e->a.data, e->a.len);
        ep_buf_lenbytes(&l->items, e->b.data, e->b.len);
        break;
    default:
        if (!ep_utf8_valid(e->a.data, e->a.len)) l->bad = EP_REDIS_SKIP_NOT_UTF8;
        ep_buf_f64(&l->items, e->score);
        ep_buf_lenbytes(&l->items, e->a.data, e->a.len);
        break;
    }
    return l->items.err ? l->items.err : l->value.err;
}

static void ep__rl_report(ep__rl *l, const ep_rdb_key *k, ep_redis_skip why) {
    l->st.unmapped++;
    l->st.by_reason[why]++;
    if (l->cfg->report) l->cfg->report(l->cfg->report_user, k->db, k->key, k->kind, why);
}

static ep_result ep__rl_end(void *u, const ep_rdb_key *k) {
    ep__rl *l = (ep__rl *)u;
    ep_keyspace *ks;
    ep_snap_entry se;
    ep_result res;
    size_t before;
    int fresh;
    if (l->bad) {
        ep__rl_report(l, k, l->bad);
        return EP_OK;
    }
    if (l->count == 0 && l->type != EP_TYPE_STRING) {
        l->st.empty++;
        return EP_OK;
    }
    memset(&se, 0, sizeof se);
    se.key = k->key;
    se.type = l->type;
    se.expire_ms = -1;
    if (k->expire_ms >= 0) {
        if (k->expire_ms <= l->now) {
            if (!l->cfg->keep_expired) {
                l->st.expired++;
                return EP_OK;
            }
            se.expire_ms = 0; /* expired: the keyspace drops it on its next sweep */
        } else {
            se.expire_ms = k->expire_ms - l->now;
        }
    }
    fresh = k->db >= l->dbs->count || !l->dbs->db[k->db];
    res = ep_redis_dbs_get(l->dbs, k->db, l->cfg->max_databases, &ks);
    if (res == EP_ERR_LIMIT)
        return ep_error_set(l->err, res, k->offset, "database %llu at or above max_databases (%u)",
                            (unsigned long long)k->db, (unsigned)l->cfg->max_databases);
    if (res != EP_OK) return res;
    if (fresh && k->db == l->db && l->reserve && (res = ep_keyspace_reserve(ks, (size_t)l->reserve)) != EP_OK)
        return res;
    if (l->type == EP_TYPE_STRING) {
        se.value = ep_bytes_of(l->value.data, l->value.len);
    } else {
        se.items.count = (uint32_t)l->count;
        se.items.kind = (uint8_t)l->ikind;
        se.items.raw = ep_bytes_of(l->items.data, l->items.len);
    }
    /* One lookup per key: the load replaces a key it already holds, so a
     * count that did not grow is a duplicate (the file's later copy is what
     * out holds for that key then). */
    before = ep_keyspace_count(ks);
    res = ep_keyspace_load_entry(ks, &se);
    if (res != EP_OK) return res;
    if (ep_keyspace_count(ks) == before)
        return ep_error_set(l->err, EP_ERR_CORRUPT, k->offset, "RDB has duplicated key '%.*s' in DB %llu",
                            (int)(k->key.len > 60 ? 60 : k->key.len), (const char *)k->key.data,
                            (unsigned long long)k->db);
    l->st.loaded++;
    return EP_OK;
}

static ep_result ep__rl_skipped(void *u, const ep_rdb_key *k, ep_result why) {
    ep__rl *l = (ep__rl *)u;
    (void)why;
    ep__rl_report(l, k, k->kind[0] == 's' ? EP_REDIS_SKIP_STREAM : EP_REDIS_SKIP_MODULE);
    return EP_OK;
}

static ep_result ep__rl_function(void *u, ep_bytes code) {
    (void)code;
    ((ep__rl *)u)->st.functions++;
    return EP_OK;
}

EP_API ep_result ep_redis_load_rdb(const char *path, const ep_redis_load_config *cfg, ep_redis_dbs *out,
                                   ep_redis_load_stats *st, ep_error *err) {
    ep_redis_load_config def;
    ep_rdb_visitor v;
    ep__rl l;
    ep_result res;
    if (!path || !out) return EP_ERR_INVALID_ARG;
    if (!cfg) {
        ep_redis_load_config_init(&def);
        cfg = &def;
    }
    memset(&l, 0, sizeof l);
    l.cfg = cfg;
    l.dbs = out;
    l.err = err;
    l.now = cfg->now_ms ? cfg->now_ms : ep__clock_wall_ms();
    if (!out->db) out->alloc = cfg->alloc;
    ep_buf_init(&l.items, cfg->alloc);
    ep_buf_init(&l.value, cfg->alloc);
    {
        ep_vfs os, *vfs;
        uint64_t size = 0;
        if (ep__vfs_pick(cfg->reader.vfs, &os, &vfs) == EP_OK && vfs->stat(vfs, path, &size, NULL) == EP_OK)
            l.max_keys = size / 3;
    }
    memset(&v, 0, sizeof v);
    v.user = &l;
    v.select_db = ep__rl_select;
    v.resize_db = ep__rl_resize;
    v.key_begin = ep__rl_begin;
    v.element = ep__rl_element;
    v.key_end = ep__rl_end;
    v.skipped = ep__rl_skipped;
    v.function = ep__rl_function;
    res = ep_rdb_read(path, &cfg->reader, &v, &l.st.rdb, err);
    ep_buf_free(&l.items);
    ep_buf_free(&l.value);
    if (st) *st = l.st;
    return res;
}

#endif /* EP_NO_REDIS */

#endif /* EP_NO_KEYSPACE */
