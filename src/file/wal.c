/* wal: the segmented WAL writer: open/resume with tail repair, buffered
 * appends and atomic batches, flush policies, rotation by size and age,
 * preallocation, recycling, group commit, truncation and publish (wal.h). */
#include "base/internal.h"
#include "base/thread.h"
#include "file/wal_internal.h"
#include "file/checkpoint.h"
#include "file/stream.h"

#ifndef EP_NO_WAL

#define EP__WAL_DEFAULT_SEGMENT ((uint64_t)64u * 1024u * 1024u)
#define EP__WAL_MIN_SEGMENT 64u
#define EP__WAL_DEFAULT_BUFFER (64u * 1024u)
/* Room past buffer_bytes, so that the frame that fills the buffer still
 * goes in before the aligned write (ep__wal_spill); a larger frame writes
 * the buffer out first. Buffers below 4 KiB are written whole. */
#define EP__WAL_SPILL_SLACK 4096u

typedef struct ep__wal_seg {
    uint64_t id;
    uint64_t first_id;
} ep__wal_seg;

struct ep_wal {
    ep_wal_config cfg;
    ep_vfs os_vfs;
    ep_vfs *vfs;
    const ep_allocator *alloc;
    char dir[EP__WAL_PATH_MAX];
    ep_file *lock;
    ep_file *f;                /* the current segment */
    ep__wstream ws;            /* its write stream: buffer, flush, sync, poisoning (file/stream.h) */
    uint64_t seg_id, seg_created_ms;
    uint64_t reserved;         /* its size on disk (preallocated or written) */
    uint64_t next_id, flushed_id, durable_id;
    uint64_t last_flush_ms;
    int dir_dirty;             /* a name was created, renamed or removed since the last dir sync */
    int seg_dirty;             /* the current segment has bytes or a size change not yet synced */
    ep_error err;
    ep__wal_seg *segs;         /* every segment in the directory, oldest first */
    size_t nsegs, capsegs;
    uint64_t *pool;            /* recycled files (recycle_<old id>.free), oldest first */
    size_t npool;
    ep_wal_stats stats;
    ep__mutex mu;
    /* Group commit without a thundering herd: a waiter sleeps on the
     * condition variable of the sync generation that will cover its id
     * (gen_cv[g & 1]); the end of sync g wakes g's waiters only, and one
     * waiter of g + 1 to lead it. Callers that only need the vfs free
     * (flush, rotation, close, publish) sleep on io_cv. */
    ep__cond gen_cv[2];
    ep__cond io_cv;
    uint64_t sync_gen;         /* syncs started; the running one is sync_gen */
    uint64_t sync_target;      /* the last id the running sync covers */
    int syncing;               /* a leader is syncing without the mutex: nobody else does I/O */
    size_t spill_align;        /* a full buffer is written in multiples of this; 0 = whole */
};

/* The handle's mutex, unless it was opened single-threaded. */
static void ep__wal_lock(ep_wal *w) {
    if (!w->cfg.single_threaded) ep__mutex_lock(&w->mu);
}

static void ep__wal_unlock(ep_wal *w) {
    if (!w->cfg.single_threaded) ep__mutex_unlock(&w->mu);
}

EP_API void ep_wal_config_init(ep_wal_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->segment_bytes = EP__WAL_DEFAULT_SEGMENT;
    cfg->buffer_bytes = EP__WAL_DEFAULT_BUFFER;
    cfg->flush = EP_WAL_FLUSH_MANUAL;
    cfg->flush_every_bytes = EP__WAL_DEFAULT_BUFFER;
    cfg->flush_interval_ms = 1000;
    cfg->first_id = 1;
}

static uint64_t ep__wal_now(ep_wal *w) {
    return w->cfg.clock_ms ? w->cfg.clock_ms(w->cfg.clock_user) : ep__clock_monotonic_ms();
}

/* ---- failure ------------------------------------------------------------------------ */

/* The handle refuses all further work (the stream's poisoning); err holds the detail. */
static ep_result ep__wal_poison(ep_wal *w, ep_result r) {
    return ep__ws_poison(&w->ws, r);
}

static ep_result ep__wal_refuse(ep_wal *w) {
    return ep__ws_usable(&w->ws);
}

static size_t ep__wal_buffered(const ep_wal *w) { return w->ws.buf.len; }

/* ---- paths and the segment list -------------------------------------------------------- */

static ep_result ep__wal_path(ep_wal *w, uint64_t seg, char *out) {
    ep_result r = ep__wal_seg_path(w->dir, seg, out, EP__WAL_PATH_MAX);
    if (r != EP_OK) ep_error_set(&w->err, EP_ERR_LIMIT, UINT64_MAX, "wal %s: path too long", w->dir);
    return r;
}

static ep_result ep__wal_pool_path(ep_wal *w, uint64_t old_id, char *out) {
    char name[48];
    snprintf(name, sizeof name, "recycle_%020llu.free", (unsigned long long)old_id);
    if (ep_path_join(out, EP__WAL_PATH_MAX, w->dir, name) != EP_OK)
        return ep_error_set(&w->err, EP_ERR_LIMIT, UINT64_MAX, "wal %s: path too long", w->dir);
    return EP_OK;
}

static ep_result ep__wal_segs_push(ep_wal *w, uint64_t id, uint64_t first_id) {
    if (w->nsegs == w->capsegs) {
        size_t ncap = w->capsegs ? w->capsegs * 2 : 16, bytes;
        ep__wal_seg *ns;
        if (!ep__mul_size(ncap, sizeof *ns, &bytes) || !(ns = (ep__wal_seg *)ep_realloc(w->alloc, w->segs, bytes)))
            return ep_error_set(&w->err, EP_ERR_NOMEM, UINT64_MAX, "wal: out of memory for the segment list");
        w->segs = ns;
        w->capsegs = ncap;
    }
    w->segs[w->nsegs].id = id;
    w->segs[w->nsegs].first_id = first_id;
    w->nsegs++;
    return EP_OK;
}

/* ---- the output path: buffer -> OS -> disk ------------------------------------------------ */

/* No other thread may touch the vfs while a leader syncs without the mutex. */
static void ep__wal_wait_io(ep_wal *w) {
    while (w->syncing) ep__cond_wait(&w->io_cv, &w->mu);
}

/* Hands the buffer to the OS. A failed write poisons: what reached the
 * file is unknown, and reopening repairs the tail. */
static ep_result ep__wal_write_out(ep_wal *w) {
    ep_result r;
    uint64_t n = (uint64_t)ep__wal_buffered(w);
    if (n == 0) return ep__wal_refuse(w);
    r = ep__ws_flush(&w->ws);
    if (r != EP_OK) return ep__wal_poison(w, r);
    if (w->ws.flushed > w->reserved) w->reserved = w->ws.flushed;
    w->flushed_id = w->next_id - 1;
    w->seg_dirty = 1;
    w->last_flush_ms = ep__wal_now(w);
    if (w->cfg.observer.on_flush) w->cfg.observer.on_flush(w->cfg.observer.user, w->flushed_id, n);
    return EP_OK;
}

/* A full buffer to the OS in aligned whole chunks (ep__ws_spill), the rest
 * kept. The last frame may go out in part: nothing is claimed for it
 * (flushed_id and on_flush wait for a flush), and a crash now leaves a torn
 * tail, which is unacknowledged by definition. Failure poisons as above. */
static ep_result ep__wal_spill(ep_wal *w) {
    ep_result r = ep__ws_spill(&w->ws, w->spill_align);
    if (r != EP_OK) return ep__wal_poison(w, r);
    if (w->ws.flushed > w->reserved) w->reserved = w->ws.flushed;
    w->seg_dirty = 1;
    return EP_OK;
}


static ep_result ep__wal_sync_dir(ep_wal *w) {
    ep_result r;
    if (!w->dir_dirty) return EP_OK;
    r = w->vfs->sync_dir(w->vfs, w->dir, &w->err);
    if (r != EP_OK) return ep__wal_poison(w, r);
    w->dir_dirty = 0;
    return EP_OK;
}

/* Everything of the current segment to disk, its preallocated tail cut off
 * when trim: the segment is then complete on disk. */
static ep_result ep__wal_settle(ep_wal *w, int trim) {
    ep_result r = ep__wal_write_out(w);
    if (r != EP_OK) return r;
    if (trim && w->reserved > w->ws.flushed) {
        r = w->vfs->truncate(w->vfs, w->f, w->ws.flushed, &w->err);
        if (r != EP_OK) return ep__wal_poison(w, r);
        w->reserved = w->ws.flushed;
        w->seg_dirty = 1;
    }
    if (w->seg_dirty) {
        r = ep__ws_sync(&w->ws); /* a failure poisons there */
        w->stats.syncs++;
        if (r != EP_OK) return r;
        w->seg_dirty = 0;
    }
    r = ep__wal_sync_dir(w);
    if (r != EP_OK) return r;
    w->durable_id = w->next_id - 1;
    return EP_OK;
}

/* ---- segments ------------------------------------------------------------------------------ */

static ep_result ep__wal_write_header(ep_wal *w, ep_file *f, uint64_t seg, uint64_t first_id) {
    uint8_t h[EP_WAL_SEGMENT_HEADER_SIZE];
    ep_wal_segment_header sh;
    memset(&sh, 0, sizeof sh);
    sh.segment_id = seg;
    sh.first_id = first_id;
    ep_wal_segment_header_encode(h, &sh);
    return w->vfs->write(w->vfs, f, 0, h, sizeof h, &w->err);
}

/* Real preallocation where the vfs has it; a vfs without it just goes on. */
static ep_result ep__wal_preallocate(ep_wal *w, ep_file *f) {
    uint64_t want = EP__MIN(w->cfg.preallocate_bytes, w->cfg.segment_bytes);
    ep_error e;
    ep_result r;
    if (want <= EP_WAL_SEGMENT_HEADER_SIZE) return EP_OK;
    r = ep_vfs_preallocate(w->vfs, f, want, &e);
    if (r == EP_ERR_UNSUPPORTED) return EP_OK;
    if (r != EP_OK) {
        w->err = e;
        return r;
    }
    w->reserved = want;
    return EP_OK;
}

/* A file from the recycle pool becomes segment seg: emptied, given its new
 * header, preallocated and synced under its pool name, and only then renamed,
 * so the segment name never points at old content. */
static ep_result ep__wal_reuse(ep_wal *w, uint64_t seg, uint64_t first_id, const char *path, ep_file **out) {
    char from[EP__WAL_PATH_MAX];
    uint64_t old = w->pool[0];
    ep_file *f = NULL;
    ep_result r = ep__wal_pool_path(w, old, from);
    memmove(w->pool, w->pool + 1, (w->npool - 1) * sizeof *w->pool);
    w->npool--;
    if (r == EP_OK) r = w->vfs->open(w->vfs, from, EP_OPEN_READ | EP_OPEN_WRITE, &f, &w->err);
    if (r != EP_OK) return r;
    r = w->vfs->truncate(w->vfs, f, 0, &w->err);
    if (r == EP_OK) r = ep__wal_write_header(w, f, seg, first_id);
    if (r == EP_OK) r = ep__wal_preallocate(w, f);
    /* The one sync outside a segment's own stream: the pool file, before its rename. */
    if (r == EP_OK) r = w->vfs->sync(w->vfs, f, &w->err);
    if (r == EP_OK) r = w->vfs->rename(w->vfs, from, path, &w->err);
    if (r != EP_OK) {
        w->vfs->close(w->vfs, f, NULL);
        return r;
    }
    w->stats.recycled++;
    *out = f;
    return EP_OK;
}

/* Creates segment seg whose first record will be first_id and makes it current. */
static ep_result ep__wal_create_segment(ep_wal *w, uint64_t seg, uint64_t first_id) {
    char path[EP__WAL_PATH_MAX];
    ep_file *f = NULL;
    ep_result r = ep__wal_path(w, seg, path);
    if (r != EP_OK) return r;
    w->reserved = EP_WAL_SEGMENT_HEADER_SIZE;
    if (w->npool > 0) {
        r = ep__wal_reuse(w, seg, first_id, path, &f);
    } else {
        r = w->vfs->open(w->vfs, path, EP_OPEN_READ | EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_EXCLUSIVE, &f,
                         &w->err);
        if (r == EP_OK) r = ep__wal_write_header(w, f, seg, first_id);
        if (r == EP_OK) r = ep__wal_preallocate(w, f);
        if (r != EP_OK && f) w->vfs->close(w->vfs, f, NULL);
    }
    w->dir_dirty = 1; /* even a failed create may have left a name */
    if (r != EP_OK) return r;
    if ((r = ep__wal_segs_push(w, seg, first_id)) != EP_OK) {
        w->vfs->close(w->vfs, f, NULL);
        return r;
    }
    w->f = f;
    ep__ws_retarget(&w->ws, f, EP_WAL_SEGMENT_HEADER_SIZE);
    w->seg_id = seg;
    w->seg_dirty = 1;
    w->seg_created_ms = ep__wal_now(w);
    w->stats.segments = w->nsegs;
    return EP_OK;
}

/* Seals the current segment (complete and synced, with its directory entry)
 * and starts the next. Any failure poisons. */
static ep_result ep__wal_rotate_locked(ep_wal *w) {
    uint64_t old = w->seg_id;
    ep_result r = ep__wal_settle(w, 1);
    if (r != EP_OK) return r;
    r = w->vfs->close(w->vfs, w->f, &w->err);
    w->f = NULL;
    ep__ws_retarget(&w->ws, NULL, 0);
    if (r != EP_OK) return ep__wal_poison(w, r);
    r = ep__wal_create_segment(w, old + 1, w->next_id);
    if (r != EP_OK) return ep__wal_poison(w, r);
    if (w->cfg.observer.on_rotate) w->cfg.observer.on_rotate(w->cfg.observer.user, old, old + 1, w->next_id);
    return EP_OK;
}

/* Would a frame of this size go into a new segment? Only a segment that
 * already holds a frame rotates, so one oversized frame still fits. */
static int ep__wal_should_rotate(ep_wal *w, uint64_t frame) {
    uint64_t used = ep__ws_size(&w->ws);
    if (used <= EP_WAL_SEGMENT_HEADER_SIZE) return 0;
    if (used + frame > w->cfg.segment_bytes) return 1;
    return w->cfg.segment_max_age_ms && ep__wal_now(w) - w->seg_created_ms >= w->cfg.segment_max_age_ms;
}

/* ---- appends --------------------------------------------------------------------------------- */

/* The flush policy after an append (skip: a durable append flushes at its sync). */
static ep_result ep__wal_apply_policy(ep_wal *w) {
    int go = 0;
    switch (w->cfg.flush) {
    case EP_WAL_FLUSH_EVERY_APPEND: go = 1; break;
    case EP_WAL_FLUSH_EVERY_N: go = (uint64_t)ep__wal_buffered(w) >= w->cfg.flush_every_bytes; break;
    case EP_WAL_FLUSH_INTERVAL: go = ep__wal_now(w) - w->last_flush_ms >= w->cfg.flush_interval_ms; break;
    default: break;
    }
    if (!go && ep__wal_buffered(w) < w->cfg.buffer_bytes) return EP_OK;
    ep__wal_wait_io(w);
    return go || !w->spill_align ? ep__wal_write_out(w) : ep__wal_spill(w);
}

/* What the buffer may hold before a frame must wait for it to be written. */
static uint64_t ep__wal_buffer_room(const ep_wal *w) {
    return (uint64_t)w->cfg.buffer_bytes + (w->spill_align ? EP__WAL_SPILL_SLACK : 0u);
}

/* Makes room for a frame of this size: rotation, or a full buffer written out. */
static ep_result ep__wal_room(ep_wal *w, uint64_t frame) {
    ep_result r;
    int full = ep__wal_buffered(w) > 0 && (uint64_t)ep__wal_buffered(w) + frame > ep__wal_buffer_room(w);
    if (!ep__wal_should_rotate(w, frame) && !full) return EP_OK;
    /* I/O needed: wait until no leader is syncing, then decide again (others
     * may have appended, flushed or rotated meanwhile). */
    ep__wal_wait_io(w);
    if ((r = ep__wal_refuse(w)) != EP_OK) return r;
    if (ep__wal_should_rotate(w, frame) && (r = ep__wal_rotate_locked(w)) != EP_OK) return r;
    if (ep__wal_buffered(w) > 0 && (uint64_t)ep__wal_buffered(w) + frame > ep__wal_buffer_room(w))
        return ep__wal_write_out(w);
    return EP_OK;
}

/* A single-record frame encoded straight into the stream's buffer: the
 * payload is copied once, then the whole frame is checked in one CRC pass
 * (header and payload adjacent). */
static ep_result ep__wal_frame_in_place(ep_wal *w, uint64_t id, const void *data, size_t len) {
    uint8_t *p = ep__ws_reserve(&w->ws, EP_WAL_FRAME_HEADER_SIZE + len);
    ep_result r;
    if (!p) return EP_ERR_NOMEM;
    if (len) memcpy(p + EP_WAL_FRAME_HEADER_SIZE, data, len);
    /* The CRC reads the caller's bytes, not the copy just stored (whose
     * stores may still be in flight: a load spanning them waits). */
    if ((r = ep_wal_frame_header_encode(p, id, data, len)) != EP_OK) return r;
    ep__ws_advance(&w->ws, EP_WAL_FRAME_HEADER_SIZE + len, 0); /* the record is counted below */
    return EP_OK;
}

/* One frame of n records (n = 0: the single record data/len). */
static ep_result ep__wal_append_locked(ep_wal *w, const void *data, size_t len, const ep_bytes *recs, size_t n,
                                       uint64_t *id, int policy) {
    uint64_t frame, first;
    ep_result r;
    if ((r = ep__wal_refuse(w)) != EP_OK) return r;
    if (n) {
        frame = (uint64_t)ep_wal_batch_size(recs, n);
        if (frame == 0 || frame - EP_WAL_FRAME_HEADER_SIZE > w->cfg.max_record)
            return ep_error_set(&w->err, EP_ERR_LIMIT, UINT64_MAX, "wal append_batch: %llu records pass the cap",
                                (unsigned long long)n);
    } else {
        if (len > w->cfg.max_record)
            return ep_error_set(&w->err, EP_ERR_LIMIT, UINT64_MAX, "wal append: %llu bytes pass the cap of %lu",
                                (unsigned long long)len, (unsigned long)w->cfg.max_record);
        frame = EP_WAL_FRAME_HEADER_SIZE + (uint64_t)len;
    }
    if ((r = ep__wal_room(w, frame)) != EP_OK) return r;
    /* Only now: making room may have waited (mutex released) while others appended. */
    first = w->next_id;
    ep__ws_mark(&w->ws);
    r = n ? ep_wal_batch_encode(ep__ws_buf(&w->ws), first, recs, n) : ep__wal_frame_in_place(w, first, data, len);
    if (r != EP_OK) { /* nothing of it stays: the handle is as it was */
        ep_error_set(&w->err, r, UINT64_MAX, "wal append: %s", ep_result_str(r));
        return ep__ws_rewind(&w->ws, r);
    }
    ep__ws_records(&w->ws, n ? (uint64_t)n : 1u);
    w->next_id += n ? (uint64_t)n : 1u;
    if (id) *id = first;
    if (w->cfg.observer.on_append)
        w->cfg.observer.on_append(w->cfg.observer.user, first, n ? (uint64_t)n : 1u, frame);
    return policy ? ep__wal_apply_policy(w) : EP_OK;
}

EP_API ep_result ep_wal_append(ep_wal *w, const void *data, size_t len, uint64_t *id) {
    ep_result r;
    if (!w || (len && !data)) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    r = ep__wal_append_locked(w, data, len, NULL, 0, id, 1);
    ep__wal_unlock(w);
    return r;
}

EP_API ep_result ep_wal_append_batch(ep_wal *w, const ep_bytes *records, size_t n, uint64_t *first_id) {
    ep_result r;
    if (!w || !records || n == 0) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    r = ep__wal_append_locked(w, NULL, 0, records, n, first_id, 1);
    ep__wal_unlock(w);
    return r;
}

/* ---- flush and sync (group commit) -------------------------------------------------------------- */

static void ep__wal_wake_all(ep_wal *w) {
    ep__cond_broadcast(&w->gen_cv[0]);
    ep__cond_broadcast(&w->gen_cv[1]);
    ep__cond_broadcast(&w->io_cv);
}

/* Until every id <= id is durable. The first caller that finds no sync
 * running becomes the leader: it writes the buffer out, then syncs without
 * the mutex while others append and wait; its result covers everything it
 * wrote out. A failure poisons and wakes everyone. */
static ep_result ep__wal_sync_to_locked(ep_wal *w, uint64_t id, int *waited) {
    for (;;) {
        ep_file *f;
        uint64_t target, synced;
        int dir;
        ep_error e;
        ep_result r;
        if ((r = ep__wal_refuse(w)) != EP_OK) return r;
        if (w->durable_id >= id) return EP_OK;
        if (w->syncing) {
            /* Covered by the running sync, or by the next one. */
            uint64_t gen = w->sync_gen + (id > w->sync_target ? 1u : 0u);
            *waited = 1;
            ep__cond_wait(&w->gen_cv[gen & 1u], &w->mu);
            continue;
        }
        if ((r = ep__wal_write_out(w)) != EP_OK) return r;
        w->syncing = 1;
        w->sync_gen++;
        w->sync_target = w->flushed_id;
        f = w->f;
        target = w->flushed_id;
        synced = w->ws.flushed;
        dir = w->dir_dirty;
        w->seg_dirty = 0;
        /* The fsync runs without the mutex so that others can append into
         * the stream's buffer meanwhile: the one vfs call the stream cannot
         * make for us (its sync would read the buffer they fill). Its
         * bookkeeping and poisoning go back through the stream below. */
        ep__wal_unlock(w);
        ep_error_clear(&e);
        r = w->vfs->sync(w->vfs, f, &e);
        if (r == EP_OK && dir) r = w->vfs->sync_dir(w->vfs, w->dir, &e);
        ep__wal_lock(w);
        w->syncing = 0;
        w->stats.syncs++;
        if (r != EP_OK) {
            w->err = e;
            ep__wal_poison(w, r);
            ep__wal_wake_all(w); /* every waiter fails */
            return r;
        }
        w->ws.synced = synced;
        w->ws.syncs++;
        if (dir) w->dir_dirty = 0;
        if (target > w->durable_id) w->durable_id = target;
        if (w->cfg.observer.on_sync) w->cfg.observer.on_sync(w->cfg.observer.user, w->durable_id);
        ep__cond_broadcast(&w->gen_cv[w->sync_gen & 1u]); /* this sync's waiters are done */
        ep__cond_signal(&w->gen_cv[(w->sync_gen + 1u) & 1u]); /* one of the next leads it */
        ep__cond_broadcast(&w->io_cv);
    }
}

static ep_result ep__wal_sync_to(ep_wal *w, uint64_t id) {
    int waited = 0;
    ep_result r;
    if (id > w->next_id - 1) id = w->next_id - 1;
    r = ep__wal_sync_to_locked(w, id, &waited);
    if (r == EP_OK && waited) w->stats.group_waits++;
    /* A waiter told to lead that fails instead (a dead handle, a failed
     * write) must not leave the others of its generation asleep. */
    if (r != EP_OK) ep__wal_wake_all(w);
    return r;
}

EP_API ep_result ep_wal_sync_to(ep_wal *w, uint64_t id) {
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    r = ep__wal_sync_to(w, id);
    ep__wal_unlock(w);
    return r;
}

EP_API ep_result ep_wal_sync(ep_wal *w) {
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    r = ep__wal_sync_to(w, w->next_id - 1);
    ep__wal_unlock(w);
    return r;
}

EP_API ep_result ep_wal_append_durable(ep_wal *w, const void *data, size_t len, uint64_t *id) {
    uint64_t mine = 0;
    ep_result r;
    if (!w || (len && !data)) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    r = ep__wal_append_locked(w, data, len, NULL, 0, &mine, 0);
    if (r == EP_OK) r = ep__wal_sync_to(w, mine);
    ep__wal_unlock(w);
    if (r == EP_OK && id) *id = mine;
    return r;
}

EP_API ep_result ep_wal_flush(ep_wal *w) {
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    ep__wal_wait_io(w);
    r = ep__wal_refuse(w);
    if (r == EP_OK) r = ep__wal_write_out(w);
    ep__wal_unlock(w);
    return r;
}

EP_API ep_result ep_wal_tick(ep_wal *w) {
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    ep__wal_wait_io(w);
    r = ep__wal_refuse(w);
    if (r == EP_OK && w->cfg.flush == EP_WAL_FLUSH_INTERVAL && ep__wal_buffered(w) &&
        ep__wal_now(w) - w->last_flush_ms >= w->cfg.flush_interval_ms)
        r = ep__wal_write_out(w);
    if (r == EP_OK && w->cfg.segment_max_age_ms && ep__wal_should_rotate(w, 0)) r = ep__wal_rotate_locked(w);
    ep__wal_unlock(w);
    return r;
}

EP_API ep_result ep_wal_rotate(ep_wal *w) {
    ep_result r;
    if (!w) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    ep__wal_wait_io(w);
    r = ep__wal_refuse(w);
    if (r == EP_OK) r = ep__wal_rotate_locked(w);
    ep__wal_unlock(w);
    return r;
}

/* ---- truncation and publish ----------------------------------------------------------------------- */

/* A covered segment leaves: renamed into the pool (when there is room) or
 * removed, and the directory synced before the next one goes. */
static ep_result ep__wal_retire(ep_wal *w, uint64_t seg) {
    char path[EP__WAL_PATH_MAX], to[EP__WAL_PATH_MAX];
    ep_result r = ep__wal_path(w, seg, path);
    if (r != EP_OK) return r;
    if (w->npool < w->cfg.recycle_segments) {
        if ((r = ep__wal_pool_path(w, seg, to)) != EP_OK) return r;
        r = w->vfs->rename(w->vfs, path, to, &w->err);
        if (r == EP_OK) w->pool[w->npool++] = seg;
    } else {
        r = w->vfs->remove(w->vfs, path, &w->err);
        if (r == EP_ERR_NOT_FOUND) r = EP_OK;
    }
    if (r != EP_OK) return r;
    /* One directory sync per segment: unsynced removals may survive a power
     * loss in any subset, and a newer one without an older one is a hole. */
    w->dir_dirty = 1;
    return ep__wal_sync_dir(w);
}

static ep_result ep__wal_truncate_locked(ep_wal *w, uint64_t upto, size_t *removed) {
    size_t k = 0;
    ep_result r = EP_OK, s;
    ep__wal_wait_io(w);
    if ((r = ep__wal_refuse(w)) != EP_OK) return r;
    /* Oldest first, never the current one: no hole can appear. */
    while (k + 1 < w->nsegs) {
        uint64_t last = w->segs[k + 1].first_id - 1;
        if (last > upto) break;
        if (w->cfg.observer.on_before_remove &&
            !w->cfg.observer.on_before_remove(w->cfg.observer.user, w->segs[k].id, last))
            break;
        if ((r = ep__wal_retire(w, w->segs[k].id)) != EP_OK) break;
        k++;
    }
    if (k) {
        memmove(w->segs, w->segs + k, (w->nsegs - k) * sizeof *w->segs);
        w->nsegs -= k;
        w->stats.segments = w->nsegs;
    }
    s = ep__wal_sync_dir(w);
    if (removed) *removed = k;
    return r != EP_OK ? r : s;
}

EP_API ep_result ep_wal_truncate_prefix(ep_wal *w, uint64_t upto, size_t *removed) {
    ep_result r;
    if (removed) *removed = 0;
    if (!w) return EP_ERR_INVALID_ARG;
    ep__wal_lock(w);
    r = ep__wal_truncate_locked(w, upto, removed);
    ep__wal_unlock(w);
    return r;
}

EP_API ep_result ep_wal_publish(ep_wal *w, const char *ckpt_path, uint64_t last_id, const void *state,
                                size_t state_len, const void *marker, size_t marker_len,
                                ep_wal_publish_result *out) {
    ep_checkpoint_config cc;
    ep_wal_publish_result res;
    ep_result r;
    if (!w || !ckpt_path || (state_len && !state) || (marker_len && !marker)) return EP_ERR_INVALID_ARG;
    memset(&res, 0, sizeof res);
    ep__wal_lock(w);
    ep__wal_wait_io(w);
    r = ep__wal_refuse(w);
    if (r == EP_OK && last_id > w->next_id - 1)
        r = ep_error_set(&w->err, EP_ERR_INVALID_ARG, UINT64_MAX,
                         "wal publish: checkpoint id %llu is past the last appended id %llu",
                         (unsigned long long)last_id, (unsigned long long)(w->next_id - 1));
    /* (0) the records the checkpoint covers are durable in the WAL first:
     * a checkpoint must never claim records a power loss can take back. */
    if (r == EP_OK) r = ep__wal_sync_to(w, last_id);
    if (r == EP_OK) {
        /* (1) the durable checkpoint: on failure nothing else happens. */
        ep_checkpoint_config_init(&cc);
        cc.vfs = w->vfs;
        cc.alloc = w->alloc;
        r = ep_checkpoint_write(&cc, ckpt_path, last_id, state, state_len, &w->err);
    }
    /* (2) the marker and (3) its sync: until they are durable nothing is removed. */
    if (r == EP_OK) r = ep__wal_append_locked(w, marker ? marker : "", marker_len, NULL, 0, &res.marker_id, 0);
    if (r == EP_OK) r = ep__wal_sync_to(w, res.marker_id);
    /* (4) the covered segments, oldest first, and the directory. */
    if (r == EP_OK) r = ep__wal_truncate_locked(w, last_id, &res.removed);
    ep__wal_unlock(w);
    res.checkpoint_id = last_id;
    if (out) *out = res;
    return r;
}

/* ---- open and close ---------------------------------------------------------------------------------- */

static void ep__wal_free(ep_wal *w) {
    if (w->f) w->vfs->close(w->vfs, w->f, NULL);
    if (w->lock) w->vfs->close(w->vfs, w->lock, NULL);
    ep__ws_free(&w->ws);
    ep_free(w->alloc, w->segs);
    ep_free(w->alloc, w->pool);
    ep__cond_destroy(&w->gen_cv[0]);
    ep__cond_destroy(&w->gen_cv[1]);
    ep__cond_destroy(&w->io_cv);
    ep__mutex_destroy(&w->mu);
    ep_free(w->alloc, w);
}

EP_API ep_result ep_wal_close(ep_wal *w) {
    ep_result r = EP_OK, q;
    if (!w) return EP_OK;
    ep__wal_lock(w);
    ep__wal_wait_io(w);
    if (ep__wal_refuse(w) != EP_OK) r = EP_ERR_POISONED; /* nothing more was written: say so */
    else if (w->f) r = ep__wal_settle(w, 1);
    if (w->f) {
        q = w->vfs->close(w->vfs, w->f, r == EP_OK ? &w->err : NULL);
        if (r == EP_OK) r = q;
        w->f = NULL;
    }
    ep__wal_unlock(w);
    ep__wal_free(w);
    return r;
}

EP_API const ep_error *ep_wal_error(const ep_wal *w) { return w ? &w->err : NULL; }

EP_API void ep_wal_stats_get(ep_wal *w, ep_wal_stats *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!w) return;
    ep__wal_lock(w);
    *out = w->stats;
    out->next_id = w->next_id;
    out->last_id = w->next_id - 1;
    out->flushed_id = w->flushed_id;
    out->durable_id = w->durable_id;
    out->first_segment = w->nsegs ? w->segs[0].id : 0;
    out->segment_id = w->seg_id;
    out->segments = w->nsegs;
    out->segment_bytes = ep__ws_size(&w->ws);
    ep__wal_unlock(w);
}

/* Recycle files a crashed writer left: kept for the pool (up to its size) or removed. */
typedef struct ep__wal_pool_scan {
    ep_wal *w;
    uint64_t extra[8];
    size_t nextra;
} ep__wal_pool_scan;

static int ep__wal_pool_fn(void *ctx, const char *name) {
    ep__wal_pool_scan *ps = (ep__wal_pool_scan *)ctx;
    ep_wal *w = ps->w;
    uint64_t id = 0;
    size_t i, n = strlen(name);
    if (n != 8 + 20 + 5 || memcmp(name, "recycle_", 8) != 0 || strcmp(name + 28, ".free") != 0) return 0;
    for (i = 8; i < 28; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        id = id * 10 + (uint64_t)(name[i] - '0');
    }
    if (w->npool < w->cfg.recycle_segments) w->pool[w->npool++] = id;
    else if (ps->nextra < EP__COUNTOF(ps->extra)) ps->extra[ps->nextra++] = id;
    return 0;
}

static ep_result ep__wal_adopt_pool(ep_wal *w) {
    ep__wal_pool_scan ps;
    ep_result r;
    size_t i;
    do {
        ps.w = w;
        ps.nextra = 0;
        w->npool = 0;
        r = w->vfs->list(w->vfs, w->dir, ep__wal_pool_fn, &ps, &w->err);
        if (r != EP_OK) return r;
        for (i = 0; i < ps.nextra; i++) {
            char path[EP__WAL_PATH_MAX];
            if ((r = ep__wal_pool_path(w, ps.extra[i], path)) != EP_OK) return r;
            r = w->vfs->remove(w->vfs, path, &w->err);
            if (r != EP_OK && r != EP_ERR_NOT_FOUND) return r;
            w->dir_dirty = 1;
        }
    } while (ps.nextra == EP__COUNTOF(ps.extra));
    return EP_OK;
}

/* The directory (and its missing parents, each entry synced) unless no_create. */
static ep_result ep__wal_make_dir(ep_wal *w) {
    ep_error e;
    ep_result r = w->vfs->stat(w->vfs, w->dir, NULL, &e);
    if (r == EP_OK) return EP_OK;
    if (r != EP_ERR_NOT_FOUND || w->cfg.no_create) {
        w->err = e;
        return r;
    }
    return ep__stream_make_dirs(w->vfs, w->alloc, w->dir, &w->err);
}

/* Reads every segment header into w->segs and checks the chain. The final
 * segment's header may be torn (a crash while creating it): *final_bad. */
static ep_result ep__wal_load_chain(ep_wal *w, const ep__wal_list *list, int *final_bad) {
    size_t i;
    ep_result r;
    *final_bad = 0;
    for (i = 0; i < list->n; i++) {
        char path[EP__WAL_PATH_MAX];
        ep_wal_segment_header h;
        uint64_t size = 0;
        ep_error e;
        if ((r = ep__wal_path(w, list->ids[i], path)) != EP_OK) return r;
        if (i > 0 && list->ids[i] != list->ids[i - 1] + 1)
            return ep_error_set(&w->err, EP_ERR_GAP, UINT64_MAX, "wal %s: segments %llu to %llu are missing", w->dir,
                                (unsigned long long)(list->ids[i - 1] + 1), (unsigned long long)(list->ids[i] - 1));
        r = ep__wal_read_header(w->vfs, path, list->ids[i], &h, &size, &e);
        if (r != EP_OK) {
            if (i + 1 == list->n && r != EP_ERR_IO && r != EP_ERR_NOMEM && r != EP_ERR_CORRUPT) {
                *final_bad = 1; /* the scan decides: a torn create, or damage */
                return EP_OK;
            }
            w->err = e;
            return r;
        }
        if (i > 0 && h.first_id < w->segs[w->nsegs - 1].first_id)
            return ep_error_set(&w->err, EP_ERR_CORRUPT, 16, "wal segment %s: first id %llu goes backwards", path,
                                (unsigned long long)h.first_id);
        if ((r = ep__wal_segs_push(w, list->ids[i], h.first_id)) != EP_OK) return r;
    }
    return EP_OK;
}

/* Scans the final segment with the tail rules, repairs it, opens it for appends. */
static ep_result ep__wal_resume_final(ep_wal *w, uint64_t seg, int *gone) {
    char path[EP__WAL_PATH_MAX];
    ep__wal_reader rd;
    ep__wal_scan sc;
    ep_wal_segment_info si;
    ep_result r;
    *gone = 0;
    if ((r = ep__wal_path(w, seg, path)) != EP_OK) return r;
    memset(&sc, 0, sizeof sc);
    sc.path = path;
    sc.segment_id = seg;
    sc.final = 1;
    sc.mode = EP_WAL_BEST_EFFORT;
    sc.repair = w->cfg.repair_tail;
    sc.max_record = w->cfg.max_record;
    ep__wal_reader_init(&rd, w->vfs, w->alloc, 0, w->cfg.max_record);
    r = ep__wal_scan_segment(&rd, &sc, &si, NULL, NULL, &w->err);
    ep__wal_reader_free(&rd);
    if (r != EP_OK) return r; /* damage: refuse, and leave the file as it is */
    if (si.end == EP_WAL_SEG_SHORT) {
        /* A torn create: the segment never held an acknowledged record. */
        r = w->vfs->remove(w->vfs, path, &w->err);
        if (r == EP_OK) r = w->vfs->sync_dir(w->vfs, w->dir, &w->err);
        w->stats.repaired_bytes += si.file_bytes;
        *gone = 1;
        return r;
    }
    r = w->vfs->open(w->vfs, path, EP_OPEN_READ | EP_OPEN_WRITE, &w->f, &w->err);
    if (r != EP_OK) return r;
    w->seg_id = seg;
    ep__ws_retarget(&w->ws, w->f, si.valid_bytes);
    w->reserved = si.file_bytes;
    if (si.end == EP_WAL_SEG_TORN) {
        /* Repair in place: cut the torn frame off (no copy). */
        r = w->vfs->truncate(w->vfs, w->f, si.valid_bytes, &w->err);
        if (r != EP_OK) return r;
        w->reserved = si.valid_bytes;
        w->stats.repaired_bytes += si.file_bytes - si.valid_bytes;
    }
    /* What the last process flushed may sit in the page cache only: sync it
     * so that everything found here counts as durable. */
    r = ep__ws_sync(&w->ws);
    w->stats.syncs++;
    if (r != EP_OK) return r;
    w->next_id = si.last_id + 1;
    w->flushed_id = w->durable_id = si.last_id;
    w->seg_created_ms = ep__wal_now(w);
    return EP_OK;
}

static ep_result ep__wal_open_dir(ep_wal *w) {
    ep__wal_list list;
    int final_bad = 0, gone = 0;
    ep_result r = ep__wal_make_dir(w);
    if (r != EP_OK) return r;
    if ((r = ep_vfs_lock_dir(w->vfs, w->dir, EP_WAL_LOCK_NAME, &w->lock, &w->err)) != EP_OK) return r;
    if (w->cfg.recycle_segments) {
        size_t bytes;
        if (!ep__mul_size(w->cfg.recycle_segments, sizeof *w->pool, &bytes) ||
            !(w->pool = (uint64_t *)ep_malloc(w->alloc, bytes)))
            return ep_error_set(&w->err, EP_ERR_NOMEM, UINT64_MAX, "wal: out of memory for the pool");
    }
    if ((r = ep__wal_adopt_pool(w)) != EP_OK) return r;
    if ((r = ep__wal_list_dir(w->vfs, w->alloc, w->dir, &list, &w->err)) != EP_OK) return r;
    r = ep__wal_load_chain(w, &list, &final_bad);
    if (r == EP_OK && list.n > 0) {
        uint64_t seg = list.ids[list.n - 1];
        r = ep__wal_resume_final(w, seg, &gone);
        if (r == EP_OK && gone) {
            if (!final_bad && w->nsegs) w->nsegs--; /* its header was whole, but it is gone now */
            if (w->nsegs > 0) {
                /* The one before is final now (sealed: synced when it was). */
                r = ep__wal_resume_final(w, w->segs[w->nsegs - 1].id, &gone);
                if (r == EP_OK && gone)
                    r = ep_error_set(&w->err, EP_ERR_CORRUPT, 0, "wal %s: two torn segments", w->dir);
            } else if (seg == 1) {
                w->next_id = w->cfg.first_id;
                r = ep__wal_create_segment(w, 1, w->cfg.first_id);
                if (r == EP_OK) r = ep__wal_settle(w, 0);
            } else {
                r = ep_error_set(&w->err, EP_ERR_CORRUPT, 0,
                                 "wal %s: the only segment (%llu) has a torn header; its first id is unknown",
                                 w->dir, (unsigned long long)seg);
            }
        }
    } else if (r == EP_OK) {
        w->next_id = w->cfg.first_id;
        r = ep__wal_create_segment(w, 1, w->cfg.first_id);
        if (r == EP_OK) r = ep__wal_settle(w, 0);
    }
    ep__wal_list_free(&list);
    if (r == EP_OK) r = ep__wal_sync_dir(w);
    w->stats.segments = w->nsegs;
    w->last_flush_ms = ep__wal_now(w);
    return r;
}

/* The three condition variables, or none (those made are destroyed). */
static ep_result ep__wal_conds_init(ep_wal *w) {
    if (ep__cond_init(&w->io_cv) != EP_OK) return EP_ERR_NOMEM;
    if (ep__cond_init(&w->gen_cv[0]) == EP_OK) {
        if (ep__cond_init(&w->gen_cv[1]) == EP_OK) return EP_OK;
        ep__cond_destroy(&w->gen_cv[0]);
    }
    ep__cond_destroy(&w->io_cv);
    return EP_ERR_NOMEM;
}

EP_API ep_result ep_wal_open(const char *dir, const ep_wal_config *cfg, ep_wal **out, ep_error *err) {
    ep_wal_config c;
    const ep_allocator *alloc;
    ep_wal *w;
    ep_result r;
    if (!dir || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "wal open: missing argument");
    *out = NULL;
    ep_wal_config_init(&c);
    if (cfg) c = *cfg;
    if (strlen(dir) + 48 >= EP__WAL_PATH_MAX)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "wal open: directory path too long");
    if (c.segment_bytes < EP__WAL_MIN_SEGMENT) c.segment_bytes = EP__WAL_MIN_SEGMENT;
    if (c.max_record == 0 || c.max_record > EP_WAL_MAX_RECORD) c.max_record = EP_WAL_MAX_RECORD;
    if (c.first_id == 0) c.first_id = 1;
    if (c.flush_every_bytes == 0) c.flush_every_bytes = 1;
    alloc = c.alloc ? c.alloc : ep_allocator_default();
    w = (ep_wal *)ep_malloc(alloc, sizeof *w);
    if (!w) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "wal open: out of memory");
    memset(w, 0, sizeof *w);
    w->cfg = c;
    w->alloc = alloc;
    ep__ws_init(&w->ws, NULL, NULL, alloc, 0, &w->err);
    memcpy(w->dir, dir, strlen(dir) + 1);
    if (ep__mutex_init(&w->mu) != EP_OK) {
        ep_free(alloc, w);
        return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "wal open: no mutex");
    }
    if (ep__wal_conds_init(w) != EP_OK) {
        ep__mutex_destroy(&w->mu);
        ep_free(alloc, w);
        return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "wal open: no condition variable");
    }
    if (ep__vfs_pick(c.vfs, &w->os_vfs, &w->vfs) != EP_OK) {
        ep__wal_free(w);
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "wal open: no OS file system in this build");
    }
    w->ws.vfs = w->vfs;
    /* buffer_bytes 0 (write each frame at once) is a one-byte threshold to the stream. */
    r = ep__ws_config(&w->ws, c.buffer_bytes ? c.buffer_bytes : 1, EP_FSYNC_NO, c.clock_ms, c.clock_user);
    if (r == EP_OK && c.buffer_bytes >= EP__WAL_SPILL_SLACK && c.buffer_bytes <= SIZE_MAX / 4) {
        for (w->spill_align = EP__WAL_SPILL_SLACK; w->spill_align * 2 <= c.buffer_bytes;) w->spill_align *= 2;
        if (!ep__ws_reserve(&w->ws, c.buffer_bytes + EP__WAL_SPILL_SLACK)) r = EP_ERR_NOMEM;
    }
    if (r != EP_OK) r = ep_error_set(&w->err, EP_ERR_NOMEM, UINT64_MAX, "wal open: out of memory for the buffer");
    if (r == EP_OK) r = ep__wal_open_dir(w);
    if (r != EP_OK) {
        if (err) *err = w->err;
        if (err && err->code == EP_OK) ep_error_set(err, r, UINT64_MAX, "wal open %s: %s", dir, ep_result_str(r));
        ep__wal_free(w);
        return r;
    }
    *out = w;
    return EP_OK;
}

#endif /* EP_NO_WAL */
