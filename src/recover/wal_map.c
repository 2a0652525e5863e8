/* wal_map: ember shard <-> WAL of ember AOF records. The shard side goes
 * through recovery (ep__recover_clean) and ep_shard_snapshot; the WAL side
 * through the WAL writer and ep_wal_replay. */
#include "base/internal.h"
#include "file/stream.h"
#include "file/aof.h"
#include "file/snapshot.h"
#include "file/wal.h"
#include "codec/codec_aof.h"
#include "codec/aof_build.h"
#include "recover/recovery.h"
#include "recover/recover_internal.h"
#include "recover/wal_recover.h"
#include "recover/wal_map.h"

#if !defined(EP_NO_WAL) && !defined(EP_NO_KEYSPACE)

/* Raw items per record: big collections are cut at element boundaries. */
#define EP__WM_CHUNK (1u << 20)

EP_API void ep_wal_map_config_init(ep_wal_map_config *cfg) { memset(cfg, 0, sizeof *cfg); }

static int64_t ep__wm_now(const ep_wal_map_config *cfg) { return cfg->now_ms ? cfg->now_ms : ep__clock_wall_ms(); }

/* ---- shard -> WAL ------------------------------------------------------------ */

typedef struct ep__wm_out {
    ep_wal *w;
    ep_buf rec;        /* one encoded record */
    ep_wal_map_result *res;
    ep_error *err;
} ep__wm_out;

static ep_result ep__wm_put(ep__wm_out *o, const ep_aof_record *rec) {
    ep_result r;
    uint64_t id = 0;
    ep_buf_reset(&o->rec);
    if ((r = ep_aof_encode(&o->rec, rec)) != EP_OK || (r = o->rec.err) != EP_OK)
        return ep_error_set(o->err, r, UINT64_MAX, "encoding a %s record: %s", ep_aof_tag_name(rec->tag), ep_result_str(r));
    if ((r = ep_wal_append(o->w, o->rec.data, o->rec.len, &id)) != EP_OK) {
        const ep_error *we = ep_wal_error(o->w);
        if (o->err && we && we->code != EP_OK) *o->err = *we;
        else ep_error_set(o->err, r, UINT64_MAX, "WAL append: %s", ep_result_str(r));
        return r;
    }
    if (!o->res->records) o->res->first_id = id;
    o->res->last_id = id;
    o->res->records++;
    o->res->bytes += o->rec.len;
    return EP_OK;
}

/* A collection as records of tag, each cut after the element that takes it
 * past EP__WM_CHUNK raw bytes. An empty collection is one record of no
 * items: replay's "create" makes the empty key, as recovery kept it. */
static ep_result ep__wm_items(ep__wm_out *o, uint8_t tag, ep_bytes key, const ep_items *items) {
    ep_items_iter it;
    ep_item item;
    ep_aof_record rec;
    const uint8_t *start = items->raw.data;
    uint32_t n = 0;
    int sent = 0;
    ep_result r = EP_OK;
    memset(&rec, 0, sizeof rec);
    rec.tag = tag;
    rec.key = key;
    rec.items.kind = items->kind;
    rec.items.dim = items->dim;
    ep_items_iter_init(&it, items);
    while (r == EP_OK && ep_items_next(&it, &item)) {
        n++;
        if ((size_t)(it.p - start) < EP__WM_CHUNK) continue;
        rec.items.count = n;
        rec.items.raw = ep_bytes_of(start, (size_t)(it.p - start));
        r = ep__wm_put(o, &rec);
        start = it.p;
        n = 0;
        sent = 1;
    }
    if (r == EP_OK && (n || !sent)) {
        rec.items.count = n;
        rec.items.raw = n ? ep_bytes_of(start, (size_t)(it.p - start)) : ep_bytes_of(NULL, 0);
        r = ep__wm_put(o, &rec);
    }
    return r;
}

static ep_result ep__wm_entry(ep__wm_out *o, const ep_ks_entry *e, ep_buf *scratch, int64_t now) {
    ep_snap_entry se;
    ep_aof_record rec;
    ep_bytes key = ep_ks_entry_key(e);
    int64_t ttl = ep_ks_entry_ttl(e);
    ep_result r;
    ep_buf_reset(scratch);
    if ((r = ep_ks_entry_to_snap(e, scratch, &se)) != EP_OK) return ep_error_set(o->err, r, UINT64_MAX, "out of memory");
    switch (se.type) {
    case EP_TYPE_STRING: ep_aof_rec_set(&rec, key, se.value, -1); r = ep__wm_put(o, &rec); break;
    case EP_TYPE_PROTO: ep_aof_rec_proto_set(&rec, key, se.type_name, se.value, -1); r = ep__wm_put(o, &rec); break;
    case EP_TYPE_LIST: r = ep__wm_items(o, EP_AOF_RPUSH, key, &se.items); break;
    case EP_TYPE_ZSET: r = ep__wm_items(o, EP_AOF_ZADD, key, &se.items); break;
    case EP_TYPE_HASH: r = ep__wm_items(o, EP_AOF_HSET, key, &se.items); break;
    case EP_TYPE_SET: r = ep__wm_items(o, EP_AOF_SADD, key, &se.items); break;
    default: { /* VECTOR: one VADD per element, with the set's configuration */
        ep_items_iter it;
        ep_item item;
        ep_items_iter_init(&it, &se.items);
        while (r == EP_OK && ep_items_next(&it, &item)) {
            r = ep_aof_rec_vadd(&rec, scratch, key, item.a, NULL, 0, se.metric, se.quantization, se.connectivity,
                                se.expansion_add);
            rec.dim = se.dim;
            rec.vector = item.b;
            if (r == EP_OK) r = ep__wm_put(o, &rec);
        }
        break;
    }
    }
    if (r == EP_OK && ttl >= 0) {
        /* an absolute deadline, so replaying later does not extend it; a ttl
         * too far out for one stays relative (PEXPIRE), exactly as it is */
        if (ep__deadline(now, ttl) == INT64_MAX) ep_aof_rec_pexpire(&rec, key, ttl);
        else ep_aof_rec_pexpireat(&rec, key, now + ttl);
        r = ep__wm_put(o, &rec);
    }
    return r;
}

/* Removes every file in dir (a staging directory's leftovers). */
typedef struct ep__wm_clean {
    ep_vfs *vfs;
    const char *dir;
    int failed;
} ep__wm_clean;

static int ep__wm_clean_one(void *u, const char *name) {
    ep__wm_clean *c = (ep__wm_clean *)u;
    char path[4200];
    if (ep_path_join(path, sizeof path, c->dir, name) != EP_OK) return c->failed = 1;
    if (c->vfs->remove(c->vfs, path, NULL) != EP_OK) c->failed = 1;
    return 0;
}

static int ep__wm_has_segment(void *u, const char *name) {
    uint64_t id;
    if (ep_wal_parse_segment_name(name, &id)) *(int *)u = 1;
    return 0;
}

static ep_result ep__wm_write(ep_vfs *vfs, const ep_wal_map_config *cfg, const ep_keyspace *ks, const char *stage,
                              int64_t now, char *segment, size_t cap, ep_wal_map_result *res, ep_error *err) {
    ep_wal_config wc;
    ep__wm_out o;
    ep_wal_stats ws;
    ep_buf scratch;
    const ep_ks_entry **list = NULL;
    size_t count = 0, i;
    ep_result r, c;
    ep_wal_config_init(&wc);
    wc.vfs = vfs;
    wc.alloc = cfg->alloc;
    wc.segment_bytes = UINT64_MAX / 4; /* one segment: one rename publishes it */
    memset(&o, 0, sizeof o);
    o.res = res;
    o.err = err;
    ep_buf_init(&o.rec, cfg->alloc);
    ep_buf_init(&scratch, cfg->alloc);
    if ((r = ep_wal_open(stage, &wc, &o.w, err)) != EP_OK) return r;
    for (i = 0; r == EP_OK && i < ep_keyspace_schema_count(ks); i++) {
        ep_bytes name, desc;
        ep_aof_record rec;
        if (!ep_keyspace_schema_at(ks, i, &name, &desc)) continue;
        ep_aof_rec_proto_register(&rec, name, desc);
        r = ep__wm_put(&o, &rec);
    }
    if (r == EP_OK && (r = ep_keyspace_sorted(ks, &list, &count)) != EP_OK)
        ep_error_set(err, r, UINT64_MAX, "sorting the keys: %s", ep_result_str(r));
    for (i = 0; r == EP_OK && i < count; i++) {
        r = ep__wm_entry(&o, list[i], &scratch, now);
        if (r == EP_OK) res->keys++;
    }
    if (list) ep_keyspace_sorted_free(ks, list);
    ep_wal_stats_get(o.w, &ws);
    c = ep_wal_close(o.w); /* flush + sync */
    if (r == EP_OK && c != EP_OK) r = ep_error_set(err, c, UINT64_MAX, "closing the WAL: %s", ep_result_str(c));
    if (r == EP_OK) r = ep_wal_segment_name(ws.segment_id, segment, cap);
    ep_buf_free(&o.rec);
    ep_buf_free(&scratch);
    return r;
}

EP_API ep_result ep_shard_to_wal(const char *dir, ep_shard_id shard_id, const char *wal_dir, const ep_wal_map_config *cfg,
                                 ep_wal_map_result *out, ep_error *err) {
    ep_wal_map_config def;
    ep_recover_config rc;
    ep_recover_result rec;
    ep_vfs os, *vfs;
    char stage[4096], seg[64], from[4200], to[4200];
    int have = 0, exists = 0;
    int64_t now;
    ep__wm_clean clean;
    ep_result r;
    if (err) ep_error_clear(err);
    if (!cfg) {
        ep_wal_map_config_init(&def);
        cfg = &def;
    }
    if (!dir || !wal_dir || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    memset(out, 0, sizeof *out);
    if ((r = ep__vfs_pick(cfg->vfs, &os, &vfs)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "no OS file system");
    if ((size_t)snprintf(stage, sizeof stage, "%s.tmp", wal_dir) >= sizeof stage)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "path too long");
    if (vfs->list(vfs, wal_dir, ep__wm_has_segment, &exists, NULL) == EP_OK && exists)
        return ep_error_set(err, EP_ERR_EXISTS, UINT64_MAX, "%s holds a WAL already", wal_dir);
    now = ep__wm_now(cfg);
    ep_recover_config_init(&rc);
    rc.vfs = vfs;
    rc.alloc = cfg->alloc;
    rc.key = cfg->key;
    rc.wall_clock_ms = ep__fixed_clock; /* the ttls are remaining from now */
    rc.clock_user = &now;
    r = ep__recover_clean(dir, shard_id, &rc, &rec, &have, err);
    if (r == EP_OK && !rec.snapshot_present && !rec.aof_present)
        r = ep_error_set(err, EP_ERR_NOT_FOUND, UINT64_MAX, "no shard %u in %s", (unsigned)shard_id, dir);
    if (r == EP_OK) {
        out->aof_torn = rec.aof_end == EP_AOF_END_TORN;
        clean.vfs = vfs;
        clean.dir = stage;
        clean.failed = 0;
        (void)vfs->list(vfs, stage, ep__wm_clean_one, &clean, NULL); /* an earlier crash's staging files */
        if (clean.failed) r = ep_error_set(err, EP_ERR_IO, UINT64_MAX, "cannot empty %s", stage);
    }
    if (r == EP_OK) r = ep__wm_write(vfs, cfg, rec.keyspace, stage, now, seg, sizeof seg, out, err);
    if (have) ep_recover_result_free(&rec);
    if (r == EP_OK) r = ep__stream_make_dirs(vfs, cfg->alloc, wal_dir, err);
    if (r == EP_OK && (ep_path_join(from, sizeof from, stage, seg) != EP_OK || ep_path_join(to, sizeof to, wal_dir, seg) != EP_OK))
        r = ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "path too long");
    if (r == EP_OK) r = vfs->rename(vfs, from, to, err);
    if (r == EP_OK) r = vfs->sync_dir(vfs, wal_dir, err);
    if (r == EP_OK) {
        (void)vfs->list(vfs, stage, ep__wm_clean_one, &clean, NULL); /* the lock file */
        (void)vfs->sync_dir(vfs, stage, NULL);
    }
    return r;
}

/* ---- WAL -> shard -------------------------------------------------------------- */

typedef struct ep__wm_in {
    ep_keyspace *ks;
    int64_t now;
    ep_wal_map_result *res;
    ep_error *err;
} ep__wm_in;

static ep_result ep__wm_apply(void *u, uint64_t id, const uint8_t *data, size_t len) {
    ep__wm_in *in = (ep__wm_in *)u;
    ep_aof_record rec;
    size_t used = 0;
    ep_result r = ep_aof_decode(data, len, &rec, &used);
    if (r == EP_OK && used != len) r = EP_ERR_CORRUPT;
    if (r != EP_OK)
        return ep_error_set(in->err, EP_ERR_CORRUPT, UINT64_MAX, "WAL record %llu is not an ember AOF record (%s)",
                            (unsigned long long)id, ep_result_str(r));
    in->res->records++;
    in->res->bytes += len;
    if (!in->res->first_id) in->res->first_id = id;
    in->res->last_id = id;
    r = ep_keyspace_apply(in->ks, &rec, in->now);
    if (r == EP_ERR_NOMEM) return ep_error_set(in->err, r, UINT64_MAX, "out of memory");
    if (r != EP_OK) in->res->record_warnings++;
    return EP_OK;
}

EP_API ep_result ep_wal_to_shard(const char *wal_dir, const char *dir, ep_shard_id shard_id, const ep_wal_map_config *cfg,
                                 ep_wal_map_result *out, ep_error *err) {
    ep_wal_map_config def;
    ep_wal_read_config rc;
    ep_wal_replay_info info;
    ep_keyspace_config kc;
    ep_shard_config sc;
    ep__wm_in in;
    ep_vfs os, *vfs;
    char snap[4096], aof[4096];
    ep_result r;
    if (err) ep_error_clear(err);
    if (!cfg) {
        ep_wal_map_config_init(&def);
        cfg = &def;
    }
    if (!wal_dir || !dir || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "missing argument");
    memset(out, 0, sizeof *out);
    if ((r = ep__vfs_pick(cfg->vfs, &os, &vfs)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "no OS file system");
    if (ep_snapshot_path(dir, shard_id, snap, sizeof snap) != EP_OK || ep_aof_path(dir, shard_id, aof, sizeof aof) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "path too long");
    if (vfs->stat(vfs, snap, NULL, NULL) == EP_OK || vfs->stat(vfs, aof, NULL, NULL) == EP_OK)
        return ep_error_set(err, EP_ERR_EXISTS, UINT64_MAX, "shard %u exists in %s already", (unsigned)shard_id, dir);
    memset(&in, 0, sizeof in);
    in.now = ep__wm_now(cfg);
    in.res = out;
    in.err = err;
    ep_keyspace_config_init(&kc);
    kc.alloc = cfg->alloc;
    if ((r = ep_keyspace_create(&kc, &in.ks)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "out of memory");
    ep_wal_read_config_init(&rc);
    rc.vfs = vfs;
    rc.alloc = cfg->alloc;
    rc.mode = cfg->best_effort ? EP_WAL_BEST_EFFORT : EP_WAL_STRICT;
    memset(&info, 0, sizeof info);
    r = ep_wal_replay(wal_dir, &rc, ep__wm_apply, &in, &info, err);
    out->wal_torn = info.end == EP_WAL_SEG_TORN || info.end == EP_WAL_SEG_SHORT;
    if (r == EP_OK) {
        out->expired = ep_keyspace_drop_expired(in.ks);
        out->keys = ep_keyspace_count(in.ks);
        r = ep__stream_make_dirs(vfs, cfg->alloc, dir, err);
    }
    if (r == EP_OK) {
        ep_shard_config_init(&sc);
        sc.vfs = vfs;
        sc.alloc = cfg->alloc;
        sc.key = cfg->key;
        r = ep_shard_snapshot(dir, shard_id, in.ks, NULL, &sc, err);
    }
    ep_keyspace_free(in.ks);
    return r;
}

#endif /* EP_NO_WAL, EP_NO_KEYSPACE */
