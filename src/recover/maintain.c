/* maintain: compact and migrate a shard, composed from the writer (lock,
 * torn tail), recovery, ep_shard_rewrite and ep_shard_snapshot. */
#include "base/internal.h"
#include "vfs/vfs.h"
#include "file/aof.h"
#include "file/snapshot.h"
#include "file/probe.h"
#include "recover/recovery.h"
#include "recover/maintain.h"
#include "recover/recover_internal.h"

#ifndef EP_NO_KEYSPACE /* the keyspace and what needs it: see recovery.h */

EP_API void ep_maint_config_init(ep_maint_config *cfg) { memset(cfg, 0, sizeof *cfg); }

typedef struct ep__maint {
    const ep_maint_config *cfg;
    ep_maint_report *rep;
    ep_vfs *vfs;
    ep_vfs os;
    const char *dir;
    ep_shard_id shard;
    char snap[4096], aof[4096];
    ep_aof_writer *w;
    ep_recover_result rec;
    int have_rec;
    ep_error *err;
} ep__maint;

static uint64_t ep__maint_size(ep__maint *m, const char *path) {
    uint64_t n = 0;
    return m->vfs->stat(m->vfs, path, &n, NULL) == EP_OK ? n : 0;
}

static uint8_t ep__maint_snap_version(ep__maint *m) {
    ep_probe_info pi;
    if (ep_probe_path(m->vfs, m->snap, &pi, NULL) != EP_OK || pi.kind != EP_PROBE_EMBER_SNAPSHOT) return 0;
    return (uint8_t)pi.version;
}

static ep_result ep__maint_begin(ep__maint *m, const char *dir, ep_shard_id shard, const ep_maint_config *cfg,
                                 ep_maint_report *out, ep_error *err) {
    ep_result r;
    memset(m, 0, sizeof *m);
    if (!dir || !cfg || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "shard: missing argument");
    memset(out, 0, sizeof *out);
    m->cfg = cfg;
    m->rep = out;
    m->dir = dir;
    m->shard = shard;
    m->err = err;
    m->vfs = cfg->vfs;
    if (!m->vfs) {
        if ((r = ep_vfs_os_init(&m->os)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "no OS file system");
        m->vfs = &m->os;
    }
    if (ep_snapshot_path(dir, shard, m->snap, sizeof m->snap) != EP_OK ||
        ep_aof_path(dir, shard, m->aof, sizeof m->aof) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "shard: path too long");
    out->old_snapshot_bytes = ep__maint_size(m, m->snap);
    out->old_aof_bytes = ep__maint_size(m, m->aof);
    out->old_version = ep__maint_snap_version(m);
    if (!out->old_snapshot_bytes && !out->old_aof_bytes)
        return ep_error_set(err, EP_ERR_NOT_FOUND, UINT64_MAX, "no shard %lu in %s (neither %s nor %s)",
                            (unsigned long)shard, dir, m->snap, m->aof);
    return EP_OK;
}

EP__PRIV int64_t ep__fixed_clock(void *user) { return *(const int64_t *)user; }

EP__PRIV int64_t ep__deadline(int64_t now, int64_t ttl_ms) { return ttl_ms > INT64_MAX - now ? INT64_MAX : now + ttl_ms; }

EP__PRIV ep_result ep__recover_clean(const char *dir, ep_shard_id shard_id, const ep_recover_config *rc,
                                     ep_recover_result *res, int *have_out, ep_error *err) {
    ep_result r;
    *have_out = 0;
    if ((r = ep_recover_shard(dir, shard_id, rc, res, err)) != EP_OK) return r; /* err names the file */
    *have_out = 1;
    if (res->snapshot_present && !res->snapshot_loaded)
        return ep_error_set(err, EP_ERR_CORRUPT, res->snapshot_error.offset,
                            "the snapshot does not load (%s): acting now would lose its keys", res->snapshot_error.message);
    if (res->aof_end == EP_AOF_END_ERROR)
        return ep_error_set(err, EP_ERR_CORRUPT, res->aof_error.offset,
                            "the AOF stops at an error (%s): run repair first", res->aof_error.message);
    return EP_OK;
}

/* Recovery of the shard; refuses one that does not recover cleanly. */
static ep_result ep__maint_recover(ep__maint *m) {
    ep_recover_config rc;
    ep_result r;
    ep_recover_config_init(&rc);
    rc.vfs = m->vfs;
    rc.alloc = m->cfg->alloc;
    rc.key = m->cfg->key;
    rc.wall_clock_ms = m->cfg->wall_clock_ms;
    rc.clock_user = m->cfg->clock_user;
    if ((r = ep__recover_clean(m->dir, m->shard, &rc, &m->rec, &m->have_rec, m->err)) != EP_OK) return r;
    m->rep->keys = ep_keyspace_count(m->rec.keyspace);
    m->rep->records_replayed = m->rec.records_applied;
    return EP_OK;
}

/* The writer (lock, torn tail), then recovery of what it guards. */
static ep_result ep__maint_load(ep__maint *m) {
    ep_aof_writer_config wc;
    ep_aof_stats st;
    ep_result r;
    ep_aof_writer_config_init(&wc);
    wc.vfs = m->vfs;
    wc.alloc = m->cfg->alloc;
    wc.key = m->cfg->key;
    wc.fsync = EP_FSYNC_ALWAYS;
    if ((r = ep_aof_writer_open(m->aof, &wc, &m->w, m->err)) != EP_OK) return r;
    ep_aof_writer_stats(m->w, &st);
    m->rep->trimmed_bytes = st.trimmed_bytes;
    return ep__maint_recover(m);
}

static ep_result ep__maint_rewrite(ep__maint *m, const ep_key *key) {
    ep_shard_config sc;
    ep_shard_config_init(&sc);
    sc.vfs = m->vfs;
    sc.alloc = m->cfg->alloc;
    sc.key = key;
    return ep_shard_rewrite(m->dir, m->shard, m->rec.keyspace, m->w, &sc, m->err);
}

static ep_result ep__maint_end(ep__maint *m, ep_result r) {
    if (m->w) {
        ep_result c = ep_aof_writer_close(m->w);
        if (r == EP_OK && c != EP_OK) r = ep_error_set(m->err, c, UINT64_MAX, "closing the AOF: %s", ep_result_str(c));
    }
    if (m->have_rec) ep_recover_result_free(&m->rec);
    m->rep->new_snapshot_bytes = ep__maint_size(m, m->snap);
    m->rep->new_aof_bytes = ep__maint_size(m, m->aof);
    m->rep->new_version = ep__maint_snap_version(m);
    return r;
}

EP_API ep_result ep_shard_compact(const char *dir, ep_shard_id shard_id, const ep_maint_config *cfg,
                                  ep_maint_report *out, ep_error *err) {
    ep__maint m;
    ep_result r;
    if (err) ep_error_clear(err);
    if ((r = ep__maint_begin(&m, dir, shard_id, cfg, out, err)) != EP_OK) return r;
    r = ep__maint_load(&m);
    if (r == EP_OK) r = ep__maint_rewrite(&m, cfg->key);
    return ep__maint_end(&m, r);
}

/* <path><suffix> into to; 0 if it does not fit. */
static int ep__maint_backup_name(ep__maint *m, const char *path, char *to, size_t cap) {
    size_t n = strlen(path), k = strlen(m->cfg->backup_suffix);
    if (n + k + 1 > cap) return 0;
    memcpy(to, path, n);
    memcpy(to + n, m->cfg->backup_suffix, k + 1);
    return 1;
}

/* <path><suffix>, copied durably, if path exists. */
static ep_result ep__maint_backup(ep__maint *m, const char *path) {
    char to[4200];
    if (m->vfs->stat(m->vfs, path, NULL, NULL) != EP_OK) return EP_OK;
    if (!ep__maint_backup_name(m, path, to, sizeof to))
        return ep_error_set(m->err, EP_ERR_LIMIT, UINT64_MAX, "backup: path too long");
    m->rep->backups++;
    return ep_vfs_copy_durable(m->vfs, path, to, m->cfg->alloc, m->err);
}

/* The shard was refused before anything changed: the copies just made are
 * not needed (unless the writer's open trimmed a torn tail: then they are
 * the only whole original). */
static void ep__maint_drop_backups(ep__maint *m) {
    char to[4200];
    if (!m->cfg->backup_suffix || m->rep->trimmed_bytes) return;
    if (ep__maint_backup_name(m, m->snap, to, sizeof to)) (void)m->vfs->remove(m->vfs, to, NULL);
    if (ep__maint_backup_name(m, m->aof, to, sizeof to)) (void)m->vfs->remove(m->vfs, to, NULL);
    m->rep->backups = 0;
}

/* Step 4: a header-only AOF for new_key, renamed into place. */
static ep_result ep__maint_new_aof(ep__maint *m) {
    char tmp[sizeof m->aof + 8];
    ep_aof_writer_config wc;
    ep_aof_writer *w = NULL;
    ep_result r;
    size_t n = strlen(m->aof);
    memcpy(tmp, m->aof, n);
    memcpy(tmp + n, ".migrate", 9);
    (void)m->vfs->remove(m->vfs, tmp, NULL); /* left by an earlier crash */
    ep_aof_writer_config_init(&wc);
    wc.vfs = m->vfs;
    wc.alloc = m->cfg->alloc;
    wc.key = m->cfg->new_key;
    if ((r = ep_aof_writer_open(tmp, &wc, &w, m->err)) != EP_OK) return r; /* header synced, with its directory */
    if ((r = ep_aof_writer_close(w)) != EP_OK) return ep_error_set(m->err, r, UINT64_MAX, "new AOF: %s", ep_result_str(r));
    if ((r = m->vfs->rename(m->vfs, tmp, m->aof, m->err)) != EP_OK) return r;
    return m->vfs->sync_dir(m->vfs, m->dir, m->err);
}

EP_API ep_result ep_shard_migrate(const char *dir, ep_shard_id shard_id, const ep_maint_config *cfg,
                                  ep_maint_report *out, ep_error *err) {
    ep__maint m;
    ep_shard_config sc;
    ep_result r;
    if (err) ep_error_clear(err);
    if ((r = ep__maint_begin(&m, dir, shard_id, cfg, out, err)) != EP_OK) return r;
    if (cfg->backup_suffix) {
        r = ep__maint_backup(&m, m.snap);
        if (r == EP_OK) r = ep__maint_backup(&m, m.aof);
        if (r != EP_OK) return ep__maint_end(&m, r);
    }
    r = ep__maint_load(&m);
    if (r != EP_OK) ep__maint_drop_backups(&m);
    if (r == EP_OK) r = ep__maint_rewrite(&m, cfg->key); /* 1 */
    if (m.w) {
        ep_result c = ep_aof_writer_close(m.w);
        m.w = NULL;
        if (r == EP_OK && c != EP_OK) r = ep_error_set(err, c, UINT64_MAX, "closing the AOF: %s", ep_result_str(c));
    }
    if (r == EP_OK) r = m.vfs->remove(m.vfs, m.aof, err); /* 2 */
    if (r == EP_OK) r = m.vfs->sync_dir(m.vfs, dir, err);
    if (r == EP_OK) { /* 3: no AOF now, so the trailer covers nothing */
        ep_shard_config_init(&sc);
        sc.vfs = m.vfs;
        sc.alloc = cfg->alloc;
        sc.key = cfg->new_key;
        r = ep_shard_snapshot(dir, shard_id, m.rec.keyspace, NULL, &sc, err);
    }
    if (r == EP_OK) r = ep__maint_new_aof(&m); /* 4 */
    return ep__maint_end(&m, r);
}

EP_API ep_result ep_shard_copy(const char *dir, ep_shard_id shard_id, const char *dst_dir, ep_shard_id dst_id,
                               const ep_maint_config *cfg, ep_maint_report *out, ep_error *err) {
    ep__maint m;
    ep_shard_config sc;
    char snap[4096], aof[4096];
    ep_result r;
    if (err) ep_error_clear(err);
    if (!dst_dir) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "copy: missing argument");
    if ((r = ep__maint_begin(&m, dir, shard_id, cfg, out, err)) != EP_OK) return r;
    if (ep_snapshot_path(dst_dir, dst_id, snap, sizeof snap) != EP_OK || ep_aof_path(dst_dir, dst_id, aof, sizeof aof) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "copy: path too long");
    if (m.vfs->stat(m.vfs, snap, NULL, NULL) == EP_OK || m.vfs->stat(m.vfs, aof, NULL, NULL) == EP_OK)
        return ep_error_set(err, EP_ERR_EXISTS, UINT64_MAX, "copy: shard %u exists in %s already", (unsigned)dst_id,
                            dst_dir);
    r = ep__maint_recover(&m);
    if (r == EP_OK && m.vfs->stat(m.vfs, dst_dir, NULL, NULL) == EP_ERR_NOT_FOUND) {
        char parent[4096];
        r = m.vfs->mkdir(m.vfs, dst_dir, err); /* and its entry made durable */
        if (r == EP_OK && ep_path_dirname(parent, sizeof parent, dst_dir) == EP_OK)
            r = m.vfs->sync_dir(m.vfs, parent, err);
    }
    if (r == EP_OK) {
        ep_shard_config_init(&sc);
        sc.vfs = m.vfs;
        sc.alloc = cfg->alloc;
        sc.key = cfg->new_key;
        r = ep_shard_snapshot(dst_dir, dst_id, m.rec.keyspace, NULL, &sc, err);
    }
    r = ep__maint_end(&m, r);
    out->new_snapshot_bytes = ep__maint_size(&m, snap);
    out->new_aof_bytes = 0;
    {
        ep_probe_info pi;
        out->new_version = ep_probe_path(m.vfs, snap, &pi, NULL) == EP_OK ? (uint8_t)pi.version : 0;
    }
    return r;
}

#endif /* EP_NO_KEYSPACE */
