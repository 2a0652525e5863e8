/* store: the user's handle (store.h). Open = recovery into a keyspace +
 * the AOF writer; every change = Redis's checks, then the record built by
 * the codec, logged, then applied to the keyspace. */
#include "base/internal.h"
#include "vfs/vfs.h"
#include "codec/codec_aof.h"
#include "codec/aof_build.h"
#include "file/stream.h"
#include "file/aof.h"
#include "file/snapshot.h"
#include "store/keyspace.h"
#include "recover/recovery.h"
#include "recover/store.h"

#ifndef EP_NO_KEYSPACE /* the keyspace and what needs it: see recovery.h */

#define EP__STORE_PATH_MAX 1024
#define EP__ANY_TYPE 0xFFu

struct ep_store {
    ep_allocator alloc;
    ep_vfs os; /* the OS table when cfg.vfs is NULL */
    ep_vfs *vfs;
    ep_store_config cfg;
    char dir[EP__STORE_PATH_MAX];
    char snap_path[EP__STORE_PATH_MAX];
    ep_shard_id shard;
    ep_keyspace *ks;
    ep_aof_writer *aof;
    /* The keyspace's ttls are ms remaining from this wall-clock instant: the
     * recovery's "now", moved on (ep_keyspace_age_ttls) before a snapshot. */
    int64_t base_ms;
    uint64_t snap_size; /* bytes of the snapshot file, for the auto-rewrite */
    size_t expire_slot; /* where active expiry scans next */
    ep_buf scratch;     /* the elements of the record being built */
    ep_buf keys;        /* active expiry: the keys it will delete */
    ep_error err;
    /* EP_ERR_POISONED once a logged record could not be applied (no memory):
     * the keyspace no longer matches the AOF; reopening recovers it. */
    ep_result broken;
    /* Recovery found a trailer that covers no prefix of this AOF (EP_TRAILER_STALE:
     * a rewrite cut short after the AOF's reset, or a replaced AOF). */
    int stale_trailer;
};

/* ---- small helpers ---------------------------------------------------------------- */

static int64_t ep__st_now(const ep_store *st) {
    return st->cfg.wall_clock_ms ? st->cfg.wall_clock_ms(st->cfg.clock_user) : ep__clock_wall_ms();
}

static ep_result ep__st_usable(ep_store *st) {
    if (!st) return EP_ERR_INVALID_ARG;
    return st->broken;
}

static ep_result ep__st_fail(ep_store *st, ep_result r, const char *what, ep_bytes key) {
    return ep_error_set(&st->err, r, UINT64_MAX, "%s (key of %lu bytes)", what, (unsigned long)key.len);
}
/* its text through EP__TEXT (base.h: EP_NO_ERROR_TEXT drops it at every call) */
#define ep__st_fail(st, r, what, key) ep__st_fail((st), (r), EP__TEXT(what), (key))


static int ep__st_checked_add(int64_t a, int64_t b, int64_t *out) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return 0;
    *out = a + b;
    return 1;
}

/* True when e's deadline has passed (its ttl counts from base_ms). The
 * clock is read only for a key with a ttl: on some virtual machines reading
 * it is a system call, several times the cost of the lookup itself. */
static int ep__st_expired(const ep_store *st, const ep_ks_entry *e) {
    int64_t t = ep_ks_entry_ttl(e), now;
    if (t < 0) return 0;
    now = ep__st_now(st);
    return now >= st->base_ms && t <= now - st->base_ms;
}

/* Remaining ms of e's ttl (> 0 for a live key), or -1 for none. */
static int64_t ep__st_remaining(const ep_store *st, const ep_ks_entry *e) {
    int64_t t = ep_ks_entry_ttl(e), now = ep__st_now(st);
    if (t < 0) return -1;
    if (now <= st->base_ms) return t;
    return t - (now - st->base_ms);
}

/* A deadline now + ms as unix ms; 0 on overflow. */
static int ep__st_deadline(const ep_store *st, int64_t ms, int64_t *at) {
    return ep__st_checked_add(ep__st_now(st), ms, at);
}

static size_t ep__st_len(const ep_store *st, ep_bytes key) {
    const ep_ks_entry *e = ep_keyspace_get(st->ks, key.data, key.len);
    return e ? ep_ks_entry_len(e) : 0;
}

/* Logs recs (one batch: one sync under ALWAYS), then applies them. */
static ep_result ep__st_log(ep_store *st, const ep_aof_record *recs, size_t n) {
    ep_result r;
    size_t i;
    if (n > 1) r = ep_aof_append_batch(st->aof, recs, n);
    else if (recs->tag == EP_AOF_SET) r = ep_aof_set(st->aof, recs->key, recs->value, recs->num); /* its fast path */
    else r = ep_aof_append(st->aof, recs);
    if (r != EP_OK) {
        const ep_error *we = ep_aof_writer_error(st->aof);
        if (we && we->code != EP_OK) st->err = *we;
        else ep_error_set(&st->err, r, UINT64_MAX, "AOF append: %s", ep_result_str(r));
        return r;
    }
    for (i = 0; i < n; i++) {
        r = ep_keyspace_apply(st->ks, &recs[i], st->base_ms);
        if (r == EP_ERR_NOMEM) {
            st->broken = EP_ERR_POISONED;
            return ep_error_set(&st->err, r, UINT64_MAX,
                                "no memory to apply a logged %s record: the store must be reopened",
                                ep_aof_tag_name(recs[i].tag));
        }
    }
    return EP_OK;
}

static ep_result ep__st_log1(ep_store *st, const ep_aof_record *rec, ep_result built) {
    if (built != EP_OK)
        return ep_error_set(&st->err, built, UINT64_MAX, "cannot build a %s record: %s", ep_aof_tag_name(rec->tag),
                            ep_result_str(built));
    return ep__st_log(st, rec, 1);
}

/* The live entry of key for a read: NULL if absent or expired. */
static const ep_ks_entry *ep__st_peek(const ep_store *st, ep_bytes key) {
    const ep_ks_entry *e;
    if (key.len && !key.data) return NULL;
    e = ep_keyspace_get(st->ks, key.data, key.len);
    return e && ep__st_expired(st, e) ? NULL : e;
}

/* For a read: the live entry (NULL if absent), EP_ERR_WRONG_TYPE if it
 * holds another type than `type` (EP__ANY_TYPE: any). */
static ep_result ep__st_read(ep_store *st, ep_bytes key, uint8_t type, const ep_ks_entry **out) {
    const ep_ks_entry *e;
    ep_result r = ep__st_usable(st);
    *out = NULL;
    if (r != EP_OK) return r;
    e = ep__st_peek(st, key);
    if (e && type != EP__ANY_TYPE && ep_ks_entry_type(e) != type)
        return ep__st_fail(st, EP_ERR_WRONG_TYPE, "the key holds a value of another type", key);
    *out = e;
    return EP_OK;
}

/* For a write: as ep__st_read, but an expired key is deleted first (its DEL
 * logged), as Redis does on access. */
static ep_result ep__st_write(ep_store *st, ep_bytes key, uint8_t type, const ep_ks_entry **out) {
    const ep_ks_entry *e;
    ep_result r = ep__st_usable(st);
    *out = NULL;
    if (r != EP_OK) return r;
    if (key.len && !key.data) return EP_ERR_INVALID_ARG;
    e = ep_keyspace_get(st->ks, key.data, key.len);
    if (e && ep__st_expired(st, e)) {
        ep_aof_record rec;
        if ((r = ep__st_log1(st, &rec, ep_aof_rec_del(&rec, key))) != EP_OK) return r;
        e = NULL;
    }
    if (e && type != EP__ANY_TYPE && ep_ks_entry_type(e) != type)
        return ep__st_fail(st, EP_ERR_WRONG_TYPE, "the key holds a value of another type", key);
    *out = e;
    return EP_OK;
}

/* ---- open and close ---------------------------------------------------------------- */

EP_API void ep_store_config_init(ep_store_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->fsync = EP_FSYNC_EVERYSEC;
    cfg->keyspace_seed = 0x5eed0f5eed0f5eedull;
    cfg->rewrite_min_bytes = (uint64_t)1 << 20;
    cfg->expire_scan = 20;
    cfg->repair_tail = 1;
}

/* Recovery reads the wall clock once; it must be the store's base. */
static int64_t ep__st_base_clock(void *user) {
    return *(const int64_t *)user;
}

/* The directory: present, or created when asked (the file layer's one
 * make-dirs rule: every missing level, each parent synced). */
static ep_result ep__st_dir(ep_store *st, ep_error *err) {
    ep_result r = st->vfs->stat(st->vfs, st->dir, NULL, NULL);
    if (r == EP_OK) return EP_OK;
    if (r != EP_ERR_NOT_FOUND || !st->cfg.create_dir)
        return ep_error_set(err, r, UINT64_MAX, "store directory %s: %s", st->dir, ep_result_str(r));
    return ep__stream_make_dirs(st->vfs, &st->alloc, st->dir, err);
}

/* Recovery into st->ks, refusing any outcome that would lose or double data
 * once the store starts writing over it. */
static ep_result ep__st_recover(ep_store *st, int damaged_tail_ok, uint64_t *good_offset, ep_error *err) {
    ep_recover_config rc;
    ep_recover_result res;
    ep_result r;
    ep_recover_config_init(&rc);
    rc.vfs = st->vfs;
    rc.alloc = &st->alloc;
    rc.key = st->cfg.key;
    rc.wall_clock_ms = ep__st_base_clock;
    rc.clock_user = &st->base_ms;
    rc.log = st->cfg.log;
    rc.log_user = st->cfg.log_user;
    rc.keyspace_seed = st->cfg.keyspace_seed;
    rc.read_buffer_size = st->cfg.read_buffer_size;
    memset(&res, 0, sizeof res);
    r = ep_recover_shard(st->dir, st->shard, &rc, &res, err);
    if (r == EP_OK && res.snapshot_present && !res.snapshot_loaded) {
        r = res.snapshot_error.code != EP_OK ? res.snapshot_error.code : EP_ERR_CORRUPT;
        ep_error_set(err, r, res.snapshot_error.offset, "snapshot %s not loaded (%s): refusing to write over it",
                     st->snap_path, res.snapshot_error.message);
    } else if (r == EP_OK && res.trailer == EP_TRAILER_INVALID) {
        r = ep_error_set(err, EP_ERR_CORRUPT, UINT64_MAX,
                         "snapshot %s has an unreadable trailer: which AOF records it holds is unknown", st->snap_path);
    } else if (r == EP_OK && res.aof_end == EP_AOF_END_ERROR && damaged_tail_ok &&
               (res.trailer == EP_TRAILER_APPLIED || res.trailer == EP_TRAILER_NONE)) {
        /* damage after everything the snapshot holds: the records before it
         * are the store; the writer's repair cuts the rest */
        *good_offset = res.aof_good_offset;
    } else if (r == EP_OK && res.aof_end == EP_AOF_END_ERROR) {
        if (err) *err = res.aof_error;
        r = res.aof_error.code != EP_OK ? res.aof_error.code : EP_ERR_CORRUPT;
    } /* r != EP_OK: recovery filled err (it names the file) */
    if (r == EP_OK) {
        st->ks = res.keyspace;
        res.keyspace = NULL;
        st->stale_trailer = res.trailer == EP_TRAILER_STALE;
    }
    ep_recover_result_free(&res);
    return r;
}

static ep_result ep__st_open_aof(ep_store *st, int repair, ep_error *err) {
    char path[EP__STORE_PATH_MAX];
    ep_aof_writer_config wc;
    ep_result r = ep_aof_path(st->dir, st->shard, path, sizeof path);
    if (r != EP_OK) return ep_error_set(err, r, UINT64_MAX, "AOF path too long");
    ep_aof_writer_config_init(&wc);
    wc.vfs = st->vfs;
    wc.alloc = &st->alloc;
    wc.key = st->cfg.key;
    wc.fsync = st->cfg.fsync;
    if (st->cfg.aof_buffer_size) wc.buffer_size = st->cfg.aof_buffer_size;
    wc.clock_ms = st->cfg.clock_ms;
    wc.clock_user = st->cfg.clock_user;
    wc.repair_tail = repair;
    return ep_aof_writer_open(path, &wc, &st->aof, err);
}

/* Errors of the writer's open that say nothing about the AOF's bytes. */
static int ep__st_not_damage(ep_result r) {
    return r == EP_ERR_NOMEM || r == EP_ERR_LOCKED || r == EP_ERR_NOT_FOUND || r == EP_ERR_INVALID_ARG ||
           r == EP_ERR_FORMAT_MISMATCH || r == EP_ERR_ENCRYPTION_REQUIRED || r == EP_ERR_IO ||
           r == EP_ERR_NO_SPACE || r == EP_ERR_UNSUPPORTED;
}

/* The writer first: it takes the AOF's lock (no second store recovers the
 * shard meanwhile) and cuts a cleanly torn final record, so that recovery
 * then reads exactly the records later appends follow. When the writer
 * refuses a damaged AOF and repair_tail is set, recovery decides: damage
 * after everything the snapshot covers (trailer applied, or no trailer) is
 * a tail to cut, and the writer reopens with its repair; damage anywhere a
 * snapshot covers refuses (its records would otherwise be replayed twice). */
static ep_result ep__st_open_and_recover(ep_store *st, ep_error *err) {
    ep_error local;
    uint64_t good = UINT64_MAX;
    ep_aof_stats ws;
    ep_result r = ep__st_open_aof(st, 0, err ? err : &local), first = r;
    if (r == EP_OK) return ep__st_recover(st, 0, &good, err);
    if (!st->cfg.repair_tail || ep__st_not_damage(r)) return r;
    if ((r = ep__st_recover(st, 1, &good, err)) != EP_OK) return r;
    if (good == UINT64_MAX) /* recovery read the whole AOF: the writer's refusal stands */
        return ep_error_set(err, first, UINT64_MAX, "the AOF writer refused %s: %s", st->dir, ep_result_str(first));
    if ((r = ep__st_open_aof(st, 1, err)) != EP_OK) return r;
    ep_aof_writer_stats(st->aof, &ws);
    if (good < EP_AOF_HEADER_SIZE) good = EP_AOF_HEADER_SIZE; /* a damaged header: the repair writes a fresh one */
    if (ws.size != good)
        return ep_error_set(err, EP_ERR_CORRUPT, good, "the AOF's repair cut at %llu, recovery stopped at %llu",
                            (unsigned long long)ws.size, (unsigned long long)good);
    return EP_OK;
}

/* A stale trailer covers bytes this AOF does not start with. Records
 * appended behind it could leave an AOF shorter than that coverage, which
 * recovery cannot tell from a cut copy of the covered one and refuses: a
 * covering snapshot first (tmp + rename: crash safe) settles it. */
static ep_result ep__st_settle(ep_store *st, ep_error *err) {
    ep_result r = ep_store_snapshot(st);
    if (r != EP_OK && err) *err = st->err;
    return r;
}

static void ep__st_measure_snapshot(ep_store *st) {
    uint64_t size = 0;
    if (st->vfs->stat(st->vfs, st->snap_path, &size, NULL) == EP_OK) st->snap_size = size;
}

static void ep__st_free(ep_store *st) {
    ep_allocator a = st->alloc;
    ep_keyspace_free(st->ks);
    ep_buf_free(&st->scratch);
    ep_buf_free(&st->keys);
    ep_free(&a, st);
}

EP_API ep_result ep_store_open(const char *dir, ep_shard_id shard_id, const ep_store_config *cfg, ep_store **out) {
    ep_store_config def;
    const ep_allocator *a;
    ep_error *err;
    ep_store *st;
    size_t dl;
    ep_result r;
    if (!cfg) {
        ep_store_config_init(&def);
        cfg = &def;
    }
    err = cfg->error_out;
    if (err) ep_error_clear(err);
    if (!out || !dir || !*dir) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "no directory or no out");
    *out = NULL;
    if ((dl = strlen(dir)) >= EP__STORE_PATH_MAX)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "directory path too long");
    a = cfg->alloc ? cfg->alloc : ep_allocator_default();
    st = (ep_store *)ep_malloc(a, sizeof *st);
    if (!st) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "no memory for the store");
    memset(st, 0, sizeof *st);
    st->alloc = *a;
    st->cfg = *cfg;
    st->cfg.error_out = NULL;
    st->cfg.alloc = &st->alloc;
    memcpy(st->dir, dir, dl + 1);
    st->shard = shard_id;
    ep_buf_init(&st->scratch, &st->alloc);
    ep_buf_init(&st->keys, &st->alloc);
    st->vfs = cfg->vfs;
    if (!st->vfs) {
        if ((r = ep_vfs_os_init(&st->os)) != EP_OK) {
            ep__st_free(st);
            return ep_error_set(err, r, UINT64_MAX, "no OS file system in this build");
        }
        st->vfs = &st->os;
    }
    st->base_ms = ep__st_now(st);
    r = ep_snapshot_path(st->dir, shard_id, st->snap_path, sizeof st->snap_path);
    if (r != EP_OK) ep_error_set(err, r, UINT64_MAX, "snapshot path too long");
    if (r == EP_OK) r = ep__st_dir(st, err);
    if (r == EP_OK) r = ep__st_open_and_recover(st, err);
    if (r == EP_OK && st->stale_trailer) r = ep__st_settle(st, err);
    if (r != EP_OK) {
        if (st->aof) (void)ep_aof_writer_close(st->aof); /* nothing was appended */
        ep__st_free(st);
        return r;
    }
    ep__st_measure_snapshot(st);
    *out = st;
    return EP_OK;
}

EP_API ep_result ep_store_close(ep_store *st) {
    ep_result r;
    if (!st) return EP_OK;
    r = ep_aof_writer_close(st->aof);
    ep__st_free(st);
    return r;
}

EP_API const ep_error *ep_store_error(const ep_store *st) {
    return st ? &st->err : NULL;
}

EP_API const ep_keyspace *ep_store_keyspace(const ep_store *st) {
    return st ? st->ks : NULL;
}

EP_API int64_t ep_store_ttl_base(const ep_store *st) {
    return st ? st->base_ms : 0;
}

/* ---- whole store ------------------------------------------------------------------- */

static ep_result ep__st_writer_result(ep_store *st, ep_result r) {
    if (r != EP_OK) {
        const ep_error *we = ep_aof_writer_error(st->aof);
        if (we && we->code != EP_OK) st->err = *we;
    }
    return r;
}

EP_API ep_result ep_store_sync(ep_store *st) {
    ep_result r = ep__st_usable(st);
    if (r != EP_OK) return r;
    return ep__st_writer_result(st, ep_aof_writer_sync(st->aof));
}

/* Snapshots count ttls from their own time: move the base to now. */
static void ep__st_rebase(ep_store *st) {
    int64_t now = ep__st_now(st);
    if (now <= st->base_ms) return;
    ep_keyspace_age_ttls(st->ks, now - st->base_ms);
    st->base_ms = now;
}

static void ep__st_shard_config(const ep_store *st, ep_shard_config *sc) {
    ep_shard_config_init(sc);
    sc->vfs = st->vfs;
    sc->alloc = &st->alloc;
    sc->key = st->cfg.key;
    sc->read_buffer_size = st->cfg.read_buffer_size;
    sc->write_buffer_size = st->cfg.snapshot_buffer_size;
}

/* Copies into st->keys ([u64 len][bytes] each) the keys of up to `scan`
 * entries from table slot *slot on (all of them for scan SIZE_MAX) that
 * pass keep; *slot moves on (0 after the last). Deleting or re-linking keys
 * moves entries in the table, so callers act on the copies. */
static ep_result ep__st_collect(ep_store *st, size_t *slot, size_t scan,
                                int (*keep)(const ep_store *, const ep_ks_entry *)) {
    ep_keyspace_iter it;
    const ep_ks_entry *e = NULL;
    size_t seen;
    ep_buf_reset(&st->keys);
    ep_keyspace_iter_init(&it);
    it.slot = *slot;
    for (seen = 0; seen < scan; seen++) {
        if ((e = ep_keyspace_next(st->ks, &it)) == NULL) break;
        if (keep(st, e)) {
            ep_bytes k = ep_ks_entry_key(e);
            uint64_t n = (uint64_t)k.len;
            ep_buf_put(&st->keys, &n, sizeof n);
            ep_buf_put(&st->keys, k.data, k.len);
        }
    }
    *slot = e ? it.slot : 0;
    if (st->keys.err) {
        st->keys.err = EP_OK;
        return EP_ERR_NOMEM;
    }
    return EP_OK;
}

/* The next collected key at *pos, or 0 when none is left. */
static int ep__st_next_key(const ep_store *st, size_t *pos, ep_bytes *key) {
    uint64_t n;
    if (*pos >= st->keys.len) return 0;
    memcpy(&n, st->keys.data + *pos, sizeof n);
    *key = ep_bytes_of(st->keys.data + *pos + sizeof n, (size_t)n);
    *pos += sizeof n + (size_t)n;
    return 1;
}

static int ep__st_has_deadline(const ep_store *st, const ep_ks_entry *e) {
    (void)st;
    return ep_ks_entry_ttl(e) > 0;
}

/* A snapshot holds ttls as ms remaining at its own time, and recovery counts
 * them from the moment it runs (ember's format): after the snapshot the
 * store logs each key's deadline as PEXPIREAT, so time the process spends
 * down is not added to them. (A crash before these are synced gives ember's
 * behaviour for those keys: the ttl counts from the restart.) */
static ep_result ep__st_log_deadlines(ep_store *st) {
    size_t slot = 0, pos = 0;
    ep_bytes key;
    ep_result r = ep__st_collect(st, &slot, SIZE_MAX, ep__st_has_deadline);
    if (r != EP_OK) return ep_error_set(&st->err, r, UINT64_MAX, "no memory to log the deadlines after a snapshot");
    if ((r = ep_aof_batch_begin(st->aof)) != EP_OK) return ep__st_writer_result(st, r);
    while (r == EP_OK && ep__st_next_key(st, &pos, &key)) {
        const ep_ks_entry *e = ep_keyspace_get(st->ks, key.data, key.len);
        ep_aof_record rec;
        r = ep__st_log1(st, &rec, ep_aof_rec_pexpireat(&rec, key, st->base_ms + ep_ks_entry_ttl(e)));
    }
    if (r == EP_OK) return ep__st_writer_result(st, ep_aof_batch_end(st->aof));
    (void)ep_aof_batch_end(st->aof);
    return r;
}

EP_API ep_result ep_store_snapshot(ep_store *st) {
    ep_shard_config sc;
    ep_result r = ep__st_usable(st);
    if (r != EP_OK) return r;
    ep__st_rebase(st);
    ep__st_shard_config(st, &sc);
    r = ep_shard_snapshot(st->dir, st->shard, st->ks, st->aof, &sc, &st->err);
    if (r != EP_OK) return r;
    ep__st_measure_snapshot(st);
    return ep__st_log_deadlines(st);
}

EP_API ep_result ep_store_rewrite(ep_store *st) {
    ep_shard_config sc;
    ep_result r = ep__st_usable(st);
    if (r != EP_OK) return r;
    ep__st_rebase(st);
    ep__st_shard_config(st, &sc);
    r = ep_shard_rewrite(st->dir, st->shard, st->ks, st->aof, &sc, &st->err);
    if (r != EP_OK) return r;
    ep__st_measure_snapshot(st);
    return ep__st_log_deadlines(st);
}

static int ep__st_is_expired(const ep_store *st, const ep_ks_entry *e) {
    return ep__st_expired(st, e);
}

/* Redis's active expiry, bounded: examines up to expire_scan keys from
 * where the last tick stopped and deletes (logs DEL for) the expired ones.
 * No memory for the list: a later tick tries again. */
static ep_result ep__st_expire_some(ep_store *st) {
    size_t pos = 0;
    ep_bytes key;
    ep_result r = EP_OK;
    if (!st->cfg.expire_scan || ep__st_collect(st, &st->expire_slot, st->cfg.expire_scan, ep__st_is_expired) != EP_OK)
        return EP_OK;
    while (r == EP_OK && ep__st_next_key(st, &pos, &key)) {
        ep_aof_record rec;
        r = ep__st_log1(st, &rec, ep_aof_rec_del(&rec, key));
    }
    return r;
}

static int ep__st_rewrite_due(const ep_store *st) {
    ep_aof_stats ws;
    if (!st->cfg.rewrite_factor) return 0;
    ep_aof_writer_stats(st->aof, &ws);
    if (ws.size <= st->cfg.rewrite_min_bytes) return 0;
    return ws.size / st->cfg.rewrite_factor > st->snap_size;
}

EP_API ep_result ep_store_tick(ep_store *st) {
    ep_result r = ep__st_usable(st);
    if (r != EP_OK) return r;
    if ((r = ep__st_writer_result(st, ep_aof_writer_tick(st->aof))) != EP_OK) return r;
    if ((r = ep__st_expire_some(st)) != EP_OK) return r;
    if (ep__st_rewrite_due(st)) return ep_store_rewrite(st);
    return EP_OK;
}

/* ---- keys ------------------------------------------------------------------------ */

EP_API ep_result ep_store_set(ep_store *st, ep_bytes key, ep_bytes value, int64_t ttl_ms, unsigned flags) {
    ep_aof_record recs[2];
    const ep_ks_entry *e;
    size_t n = 1;
    int64_t at = 0, rel = -1;
    ep_result r = ep__st_usable(st);
    if (r != EP_OK) return r;
    if ((flags & EP_STORE_NX) && (flags & EP_STORE_XX)) return EP_ERR_INVALID_ARG;
    if ((flags & EP_STORE_KEEPTTL) && ttl_ms >= 0) return EP_ERR_INVALID_ARG;
    if (ttl_ms == 0 || (ttl_ms > 0 && !ep__st_deadline(st, ttl_ms, &at)))
        return ep__st_fail(st, EP_ERR_BAD_VALUE, "invalid expire time in SET", key);
    if ((r = ep__st_write(st, key, EP__ANY_TYPE, &e)) != EP_OK) return r;
    if ((flags & EP_STORE_NX) && e) return EP_ERR_EXISTS;
    if ((flags & EP_STORE_XX) && !e) return EP_ERR_NOT_FOUND;
    if (ttl_ms > 0) rel = ttl_ms;
    if ((flags & EP_STORE_KEEPTTL) && e && (rel = ep__st_remaining(st, e)) > 0) {
        if (!ep__st_deadline(st, rel, &at)) at = INT64_MAX;
    }
    ep_aof_rec_set(&recs[0], key, value, rel);
    if (rel > 0) ep_aof_rec_pexpireat(&recs[n++], key, at);
    return ep__st_log(st, recs, n);
}

EP_API ep_result ep_store_get(ep_store *st, ep_bytes key, ep_bytes *value) {
    const ep_ks_entry *e;
    ep_result r = ep__st_read(st, key, EP_TYPE_STRING, &e);
    if (r != EP_OK) return r;
    if (!e) return EP_ERR_NOT_FOUND;
    if (value) *value = ep_ks_entry_value(e);
    return EP_OK;
}

EP_API ep_result ep_store_del(ep_store *st, ep_bytes key, int *deleted) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP__ANY_TYPE, &e);
    if (deleted) *deleted = 0;
    if (r != EP_OK || !e) return r;
    if ((r = ep__st_log1(st, &rec, ep_aof_rec_del(&rec, key))) == EP_OK && deleted) *deleted = 1;
    return r;
}

EP_API ep_result ep_store_exists(ep_store *st, ep_bytes key, int *exists) {
    const ep_ks_entry *e;
    ep_result r = ep__st_read(st, key, EP__ANY_TYPE, &e);
    if (exists) *exists = e != NULL;
    return r;
}

EP_API ep_result ep_store_type(ep_store *st, ep_bytes key, uint8_t *type) {
    const ep_ks_entry *e;
    ep_result r = ep__st_read(st, key, EP__ANY_TYPE, &e);
    if (r != EP_OK) return r;
    if (!e) return EP_ERR_NOT_FOUND;
    if (type) *type = ep_ks_entry_type(e);
    return EP_OK;
}

/* INCR, DECR, INCRBY, DECRBY: rec is the record to log, delta what it adds. */
static ep_result ep__st_incr(ep_store *st, ep_bytes key, ep_aof_record *rec, int64_t delta, int64_t *value) {
    const ep_ks_entry *e;
    int64_t cur = 0, next;
    ep_result r = ep__st_write(st, key, EP_TYPE_STRING, &e);
    if (r != EP_OK) return r;
    if (e) {
        ep_bytes v = ep_ks_entry_value(e);
        if (!ep_parse_i64(v.data, v.len, &cur))
            return ep__st_fail(st, EP_ERR_BAD_VALUE, "value is not an integer or out of range", key);
    }
    if (!ep__st_checked_add(cur, delta, &next))
        return ep__st_fail(st, EP_ERR_BAD_VALUE, "increment or decrement would overflow", key);
    if ((r = ep__st_log(st, rec, 1)) == EP_OK && value) *value = next;
    return r;
}

EP_API ep_result ep_store_incr(ep_store *st, ep_bytes key, int64_t *value) {
    ep_aof_record rec;
    ep_aof_rec_incr(&rec, key);
    return ep__st_incr(st, key, &rec, 1, value);
}

EP_API ep_result ep_store_decr(ep_store *st, ep_bytes key, int64_t *value) {
    ep_aof_record rec;
    ep_aof_rec_decr(&rec, key);
    return ep__st_incr(st, key, &rec, -1, value);
}

EP_API ep_result ep_store_incrby(ep_store *st, ep_bytes key, int64_t delta, int64_t *value) {
    ep_aof_record rec;
    ep_aof_rec_incrby(&rec, key, delta);
    return ep__st_incr(st, key, &rec, delta, value);
}

EP_API ep_result ep_store_decrby(ep_store *st, ep_bytes key, int64_t delta, int64_t *value) {
    ep_aof_record rec;
    ep_result r = ep__st_usable(st);
    if (r != EP_OK) return r;
    if (delta == INT64_MIN) return ep__st_fail(st, EP_ERR_BAD_VALUE, "decrement would overflow", key);
    ep_aof_rec_decrby(&rec, key, delta);
    return ep__st_incr(st, key, &rec, -delta, value);
}

EP_API ep_result ep_store_append(ep_store *st, ep_bytes key, ep_bytes value, size_t *len) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP_TYPE_STRING, &e);
    if (r != EP_OK) return r;
    if ((e ? ep_ks_entry_len(e) : 0) + (uint64_t)value.len > EP_MAX_FIELD_LEN)
        return ep__st_fail(st, EP_ERR_LIMIT, "string exceeds maximum allowed size", key);
    if ((r = ep__st_log1(st, &rec, ep_aof_rec_append(&rec, key, value))) == EP_OK && len) *len = ep__st_len(st, key);
    return r;
}

/* EXPIRE / PEXPIRE in ms: a deadline as PEXPIREAT, or DEL for ms <= 0. */
static ep_result ep__st_expire_ms(ep_store *st, ep_bytes key, int64_t ms, int ok, int *set) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    int64_t at = 0;
    ep_result r = ep__st_usable(st);
    if (set) *set = 0;
    if (r != EP_OK) return r;
    if (!ok || (ms > 0 && !ep__st_deadline(st, ms, &at)))
        return ep__st_fail(st, EP_ERR_BAD_VALUE, "invalid expire time", key);
    if ((r = ep__st_write(st, key, EP__ANY_TYPE, &e)) != EP_OK || !e) return r;
    if (ms <= 0) r = ep__st_log1(st, &rec, ep_aof_rec_del(&rec, key));
    else r = ep__st_log1(st, &rec, ep_aof_rec_pexpireat(&rec, key, at));
    if (r == EP_OK && set) *set = 1;
    return r;
}

EP_API ep_result ep_store_expire(ep_store *st, ep_bytes key, int64_t seconds, int *set) {
    int ok = seconds <= INT64_MAX / 1000 && seconds >= INT64_MIN / 1000;
    return ep__st_expire_ms(st, key, ok ? seconds * 1000 : 0, ok, set);
}

EP_API ep_result ep_store_pexpire(ep_store *st, ep_bytes key, int64_t ms, int *set) {
    return ep__st_expire_ms(st, key, ms, 1, set);
}

EP_API ep_result ep_store_persist(ep_store *st, ep_bytes key, int *removed) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP__ANY_TYPE, &e);
    if (removed) *removed = 0;
    if (r != EP_OK || !e || ep_ks_entry_ttl(e) < 0) return r;
    if ((r = ep__st_log1(st, &rec, ep_aof_rec_persist(&rec, key))) == EP_OK && removed) *removed = 1;
    return r;
}

EP_API ep_result ep_store_ttl(ep_store *st, ep_bytes key, int64_t *ms) {
    const ep_ks_entry *e;
    ep_result r = ep__st_read(st, key, EP__ANY_TYPE, &e);
    if (r != EP_OK) return r;
    if (!e) return EP_ERR_NOT_FOUND;
    if (ms) *ms = ep__st_remaining(st, e);
    return EP_OK;
}

static int ep__st_same(ep_bytes a, ep_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

EP_API ep_result ep_store_rename(ep_store *st, ep_bytes key, ep_bytes new_key) {
    const ep_ks_entry *e, *d;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP__ANY_TYPE, &e);
    if (r != EP_OK) return r;
    if (!e) return EP_ERR_NOT_FOUND;
    if (ep__st_same(key, new_key)) return EP_OK;
    if ((r = ep__st_write(st, new_key, EP__ANY_TYPE, &d)) != EP_OK) return r;
    return ep__st_log1(st, &rec, ep_aof_rec_rename(&rec, key, new_key));
}

EP_API ep_result ep_store_copy(ep_store *st, ep_bytes src, ep_bytes dst, int replace, int *copied) {
    const ep_ks_entry *e, *d;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, src, EP__ANY_TYPE, &e);
    if (copied) *copied = 0;
    if (r != EP_OK || !e) return r;
    if (ep__st_same(src, dst)) return ep__st_fail(st, EP_ERR_INVALID_ARG, "source and destination are the same", src);
    if ((r = ep__st_write(st, dst, EP__ANY_TYPE, &d)) != EP_OK) return r;
    if (d && !replace) return EP_OK;
    if ((r = ep__st_log1(st, &rec, ep_aof_rec_copy(&rec, src, dst, replace))) == EP_OK && copied) *copied = 1;
    return r;
}

/* ---- lists ------------------------------------------------------------------------ */

static ep_result ep__st_push(ep_store *st, ep_bytes key, const ep_bytes *values, uint32_t n, int front, size_t *len) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP_TYPE_LIST, &e);
    if (r != EP_OK) return r;
    if (n == 0 || !values) return EP_ERR_INVALID_ARG;
    r = front ? ep_aof_rec_lpush(&rec, &st->scratch, key, values, n) : ep_aof_rec_rpush(&rec, &st->scratch, key, values, n);
    if ((r = ep__st_log1(st, &rec, r)) == EP_OK && len) *len = ep__st_len(st, key);
    return r;
}

EP_API ep_result ep_store_lpush(ep_store *st, ep_bytes key, const ep_bytes *values, uint32_t n, size_t *len) {
    return ep__st_push(st, key, values, n, 1, len);
}

EP_API ep_result ep_store_rpush(ep_store *st, ep_bytes key, const ep_bytes *values, uint32_t n, size_t *len) {
    return ep__st_push(st, key, values, n, 0, len);
}

static ep_result ep__st_pop(ep_store *st, ep_bytes key, int front, ep_buf *out) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_bytes item;
    ep_result r = ep__st_write(st, key, EP_TYPE_LIST, &e);
    if (r != EP_OK) return r;
    if (!e || ep_ks_list_index(e, front ? 0 : -1, &item) != EP_OK) return EP_ERR_NOT_FOUND;
    if (out) { /* copied before the pop frees it; no memory: nothing logged */
        ep_buf_reset(out);
        if (item.len && ep_buf_reserve(out, item.len) != EP_OK) {
            out->err = EP_OK;
            return ep__st_fail(st, EP_ERR_NOMEM, "no memory for the popped element", key);
        }
        ep_buf_put(out, item.data, item.len);
    }
    return ep__st_log1(st, &rec, front ? ep_aof_rec_lpop(&rec, key) : ep_aof_rec_rpop(&rec, key));
}

EP_API ep_result ep_store_lpop(ep_store *st, ep_bytes key, ep_buf *out) {
    return ep__st_pop(st, key, 1, out);
}

EP_API ep_result ep_store_rpop(ep_store *st, ep_bytes key, ep_buf *out) {
    return ep__st_pop(st, key, 0, out);
}

/* LLEN, HLEN, SCARD, ZCARD: 0 for an absent key. */
static ep_result ep__st_card(ep_store *st, ep_bytes key, uint8_t type, size_t *len) {
    const ep_ks_entry *e;
    ep_result r = ep__st_read(st, key, type, &e);
    if (len) *len = r == EP_OK && e ? ep_ks_entry_len(e) : 0;
    return r;
}

EP_API ep_result ep_store_llen(ep_store *st, ep_bytes key, size_t *len) {
    return ep__st_card(st, key, EP_TYPE_LIST, len);
}

EP_API ep_result ep_store_lindex(ep_store *st, ep_bytes key, int64_t index, ep_bytes *item) {
    const ep_ks_entry *e;
    ep_bytes v;
    ep_result r = ep__st_read(st, key, EP_TYPE_LIST, &e);
    if (r != EP_OK) return r;
    if ((r = ep_ks_list_index(e, index, &v)) == EP_OK && item) *item = v;
    return r;
}

EP_API ep_result ep_store_lrange(ep_store *st, ep_bytes key, int64_t start, int64_t stop, ep_ks_value_iter *it,
                                 size_t *count) {
    const ep_ks_entry *e;
    ep_result r;
    if (!it || !count) return EP_ERR_INVALID_ARG;
    ep_ks_value_iter_range(it, NULL, 0, -1, 0, count); /* empty until positioned */
    if ((r = ep__st_read(st, key, EP_TYPE_LIST, &e)) != EP_OK) return r;
    return ep_ks_value_iter_range(it, e, start, stop, 0, count);
}

EP_API ep_result ep_store_lset(ep_store *st, ep_bytes key, int64_t index, ep_bytes value) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_bytes v;
    ep_result r = ep__st_write(st, key, EP_TYPE_LIST, &e);
    if (r != EP_OK) return r;
    if (!e) return ep__st_fail(st, EP_ERR_NOT_FOUND, "no such key", key);
    if (ep_ks_list_index(e, index, &v) != EP_OK) return ep__st_fail(st, EP_ERR_LIMIT, "index out of range", key);
    return ep__st_log1(st, &rec, ep_aof_rec_lset(&rec, key, index, value));
}

EP_API ep_result ep_store_ltrim(ep_store *st, ep_bytes key, int64_t start, int64_t stop) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP_TYPE_LIST, &e);
    if (r != EP_OK || !e) return r;
    return ep__st_log1(st, &rec, ep_aof_rec_ltrim(&rec, key, start, stop));
}

EP_API ep_result ep_store_linsert(ep_store *st, ep_bytes key, int before, ep_bytes pivot, ep_bytes value,
                                  int64_t *len) {
    const ep_ks_entry *e;
    ep_ks_value_iter it;
    ep_aof_record rec;
    ep_item item;
    int found = 0;
    ep_result r = ep__st_write(st, key, EP_TYPE_LIST, &e);
    if (len) *len = 0;
    if (r != EP_OK || !e) return r;
    ep_ks_value_iter_init(&it, e);
    while (!found && ep_ks_value_next(&it, &item)) found = ep__st_same(item.a, pivot);
    if (!found) {
        if (len) *len = -1;
        return EP_OK;
    }
    if ((r = ep__st_log1(st, &rec, ep_aof_rec_linsert(&rec, key, before, pivot, value))) == EP_OK && len)
        *len = (int64_t)ep__st_len(st, key);
    return r;
}

EP_API ep_result ep_store_lrem(ep_store *st, ep_bytes key, int64_t count, ep_bytes value, size_t *removed) {
    const ep_ks_entry *e;
    ep_ks_value_iter it;
    ep_aof_record rec;
    ep_item item;
    size_t matches = 0, before;
    ep_result r = ep__st_write(st, key, EP_TYPE_LIST, &e);
    if (removed) *removed = 0;
    if (r != EP_OK || !e) return r;
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) if (ep__st_same(item.a, value)) matches++;
    if (matches == 0) return EP_OK;
    before = ep_ks_entry_len(e);
    if ((r = ep__st_log1(st, &rec, ep_aof_rec_lrem(&rec, key, count, value))) == EP_OK && removed)
        *removed = before - ep__st_len(st, key);
    return r;
}

/* ---- hashes, sets, sorted sets ----------------------------------------------------- */

/* Logs rec (built into scratch with result `built`) on a collection of
 * `type`; *delta gets how much its length grew (grow) or shrank. */
static ep_result ep__st_coll_log(ep_store *st, ep_bytes key, ep_aof_record *rec, ep_result built, int grow,
                                 size_t *delta) {
    size_t before = ep__st_len(st, key), after;
    ep_result r = ep__st_log1(st, rec, built);
    if (r != EP_OK) return r;
    after = ep__st_len(st, key);
    if (delta) *delta = grow ? after - before : before - after;
    return EP_OK;
}

/* The removals of HDEL / SREM / ZREM: nothing logged when none is present. */
static int ep__st_any_present(const ep_store *st, const ep_ks_entry *e, const ep_bytes *names, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++) {
        ep_bytes v;
        double s;
        switch (ep_ks_entry_type(e)) {
        case EP_TYPE_HASH: if (ep_ks_hash_get(st->ks, e, names[i], &v) == EP_OK) return 1; break;
        case EP_TYPE_SET: if (ep_ks_set_contains(st->ks, e, names[i]) == EP_OK) return 1; break;
        default: if (ep_ks_zset_score(st->ks, e, names[i], &s) == EP_OK) return 1; break;
        }
    }
    return 0;
}

static ep_result ep__st_remove(ep_store *st, ep_bytes key, uint8_t type, const ep_bytes *names, uint32_t n,
                               size_t *removed) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, type, &e), b;
    if (removed) *removed = 0;
    if (r != EP_OK) return r;
    if (n && !names) return EP_ERR_INVALID_ARG;
    if (!e || !ep__st_any_present(st, e, names, n)) return EP_OK;
    if (type == EP_TYPE_HASH) b = ep_aof_rec_hdel(&rec, &st->scratch, key, names, n);
    else if (type == EP_TYPE_SET) b = ep_aof_rec_srem(&rec, &st->scratch, key, names, n);
    else b = ep_aof_rec_zrem(&rec, &st->scratch, key, names, n);
    return ep__st_coll_log(st, key, &rec, b, 0, removed);
}

EP_API ep_result ep_store_hset(ep_store *st, ep_bytes key, const ep_bytes *fields, const ep_bytes *values,
                               uint32_t n, size_t *added) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP_TYPE_HASH, &e);
    if (added) *added = 0;
    if (r != EP_OK) return r;
    if (n == 0 || !fields || !values) return EP_ERR_INVALID_ARG;
    return ep__st_coll_log(st, key, &rec, ep_aof_rec_hset(&rec, &st->scratch, key, fields, values, n), 1, added);
}

EP_API ep_result ep_store_hget(ep_store *st, ep_bytes key, ep_bytes field, ep_bytes *value) {
    const ep_ks_entry *e;
    ep_bytes v;
    ep_result r = ep__st_read(st, key, EP_TYPE_HASH, &e);
    if (r != EP_OK) return r;
    if ((r = ep_ks_hash_get(st->ks, e, field, &v)) == EP_OK && value) *value = v;
    return r;
}

EP_API ep_result ep_store_hdel(ep_store *st, ep_bytes key, const ep_bytes *fields, uint32_t n, size_t *removed) {
    return ep__st_remove(st, key, EP_TYPE_HASH, fields, n, removed);
}

EP_API ep_result ep_store_hincrby(ep_store *st, ep_bytes key, ep_bytes field, int64_t delta, int64_t *value) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_bytes v;
    int64_t cur = 0, next;
    ep_result r = ep__st_write(st, key, EP_TYPE_HASH, &e);
    if (r != EP_OK) return r;
    if (e && ep_ks_hash_get(st->ks, e, field, &v) == EP_OK && !ep_parse_i64(v.data, v.len, &cur))
        return ep__st_fail(st, EP_ERR_BAD_VALUE, "hash value is not an integer", key);
    if (!ep__st_checked_add(cur, delta, &next))
        return ep__st_fail(st, EP_ERR_BAD_VALUE, "increment or decrement would overflow", key);
    if ((r = ep__st_log1(st, &rec, ep_aof_rec_hincrby(&rec, key, field, delta))) == EP_OK && value) *value = next;
    return r;
}

EP_API ep_result ep_store_hlen(ep_store *st, ep_bytes key, size_t *len) {
    return ep__st_card(st, key, EP_TYPE_HASH, len);
}

/* HGETALL / SMEMBERS: every element; absent key: an empty iteration. */
static ep_result ep__st_all(ep_store *st, ep_bytes key, uint8_t type, ep_ks_value_iter *it) {
    const ep_ks_entry *e;
    ep_result r;
    if (!it) return EP_ERR_INVALID_ARG;
    ep_ks_value_iter_init(it, NULL);
    if ((r = ep__st_read(st, key, type, &e)) != EP_OK) return r;
    ep_ks_value_iter_init(it, e);
    return EP_OK;
}

EP_API ep_result ep_store_hgetall(ep_store *st, ep_bytes key, ep_ks_value_iter *it) {
    return ep__st_all(st, key, EP_TYPE_HASH, it);
}

EP_API ep_result ep_store_sadd(ep_store *st, ep_bytes key, const ep_bytes *members, uint32_t n, size_t *added) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    ep_result r = ep__st_write(st, key, EP_TYPE_SET, &e);
    if (added) *added = 0;
    if (r != EP_OK) return r;
    if (n == 0 || !members) return EP_ERR_INVALID_ARG;
    return ep__st_coll_log(st, key, &rec, ep_aof_rec_sadd(&rec, &st->scratch, key, members, n), 1, added);
}

EP_API ep_result ep_store_srem(ep_store *st, ep_bytes key, const ep_bytes *members, uint32_t n, size_t *removed) {
    return ep__st_remove(st, key, EP_TYPE_SET, members, n, removed);
}

EP_API ep_result ep_store_sismember(ep_store *st, ep_bytes key, ep_bytes member, int *is_member) {
    const ep_ks_entry *e;
    ep_result r = ep__st_read(st, key, EP_TYPE_SET, &e);
    if (is_member) *is_member = r == EP_OK && ep_ks_set_contains(st->ks, e, member) == EP_OK;
    return r;
}

EP_API ep_result ep_store_smembers(ep_store *st, ep_bytes key, ep_ks_value_iter *it) {
    return ep__st_all(st, key, EP_TYPE_SET, it);
}

EP_API ep_result ep_store_scard(ep_store *st, ep_bytes key, size_t *len) {
    return ep__st_card(st, key, EP_TYPE_SET, len);
}

EP_API ep_result ep_store_zadd(ep_store *st, ep_bytes key, const double *scores, const ep_bytes *members,
                               uint32_t n, size_t *added) {
    const ep_ks_entry *e;
    ep_aof_record rec;
    uint32_t i;
    ep_result r = ep__st_write(st, key, EP_TYPE_ZSET, &e);
    if (added) *added = 0;
    if (r != EP_OK) return r;
    if (n == 0 || !scores || !members) return EP_ERR_INVALID_ARG;
    for (i = 0; i < n; i++)
        if (scores[i] != scores[i]) return ep__st_fail(st, EP_ERR_BAD_VALUE, "value is not a valid float", key);
    return ep__st_coll_log(st, key, &rec, ep_aof_rec_zadd(&rec, &st->scratch, key, scores, members, n), 1, added);
}

EP_API ep_result ep_store_zrem(ep_store *st, ep_bytes key, const ep_bytes *members, uint32_t n, size_t *removed) {
    return ep__st_remove(st, key, EP_TYPE_ZSET, members, n, removed);
}

EP_API ep_result ep_store_zscore(ep_store *st, ep_bytes key, ep_bytes member, double *score) {
    const ep_ks_entry *e;
    double s;
    ep_result r = ep__st_read(st, key, EP_TYPE_ZSET, &e);
    if (r != EP_OK) return r;
    if ((r = ep_ks_zset_score(st->ks, e, member, &s)) == EP_OK && score) *score = s;
    return r;
}

EP_API ep_result ep_store_zrange(ep_store *st, ep_bytes key, int64_t start, int64_t stop, int reverse,
                                 ep_ks_value_iter *it, size_t *count) {
    const ep_ks_entry *e;
    ep_result r;
    if (!it || !count) return EP_ERR_INVALID_ARG;
    ep_ks_value_iter_range(it, NULL, 0, -1, 0, count);
    if ((r = ep__st_read(st, key, EP_TYPE_ZSET, &e)) != EP_OK) return r;
    return ep_ks_value_iter_range(it, e, start, stop, reverse, count);
}

EP_API ep_result ep_store_zcard(ep_store *st, ep_bytes key, size_t *len) {
    return ep__st_card(st, key, EP_TYPE_ZSET, len);
}

#endif /* EP_NO_KEYSPACE */
