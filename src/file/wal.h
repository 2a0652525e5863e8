/* wal: a generic segmented write-ahead log of opaque byte records in one
 * directory (layouts in codec_wal.h). Records get ids 1, 2, 3 ... (or from
 * cfg.first_id in an empty directory), contiguous across segments and across
 * reopen. Segments are wal_<segment id, 20 digits>.log, parsed numerically.
 *
 *   ep_wal_config cfg; ep_wal_config_init(&cfg);
 *   ep_wal_open("data/wal", &cfg, &w, &err);     // create or resume; repairs the tail
 *   ep_wal_append(w, bytes, len, &id);             // appended: in our buffer
 *   ep_wal_flush(w);                               // flushed: handed to the OS
 *   ep_wal_sync(w);                                // synced: survives power loss
 *   ep_wal_close(w);
 *
 * What a successful return guarantees:
 *   append / append_batch  the record(s) have their ids and sit in the
 *                          writer's buffer (or the OS, by the flush policy).
 *                          Nothing survives a crash yet.
 *   flush                  every appended byte was handed to the OS: it
 *                          survives a crash of this process (not power loss)
 *                          and readers see it. A visibility boundary, not a
 *                          durability guarantee.
 *   sync / sync_to(id)     every record up to the id (sync: everything
 *                          appended before the call) survives power loss:
 *                          fdatasync of the segment (segments sealed by
 *                          rotation were synced when they were sealed) and a
 *                          directory sync when a segment was created,
 *                          renamed or removed since the last one.
 *   append_durable         append + sync_to(its id), sharing one fsync with
 *                          concurrent callers (group commit).
 *   close                  flush + sync + release the lock (durable close).
 *
 * append_batch is atomic: the n records go into one frame under one CRC, so
 * after a crash all of them are there or none.
 *
 * A failed write, a failed segment creation or a failed sync poisons the
 * handle: every later call returns EP_ERR_POISONED (ep_wal_error keeps the
 * first failure) and fsync is never retried (after a writeback error the
 * kernel may have dropped the dirty pages). Close it and open again: open
 * repairs the tail by truncating the torn last frame and syncing (no copy).
 *
 * One writer per directory: open takes a kernel lock on <dir>/wal.lock
 * through the vfs (flock / LockFileEx; it dies with the process, a stale
 * file blocks nobody). A second writer gets EP_ERR_LOCKED with the path.
 *
 * Threads: every call takes the handle's mutex, so one handle may be shared.
 * Durable appends from many threads share fsyncs: the first waiter becomes
 * the leader, flushes, and syncs without the mutex while the others append
 * into the buffer and wait on the durable watermark; when the sync returns
 * every waiter whose id it covers returns. A failed sync fails every waiter
 * and poisons. No vfs call on the handle ever runs concurrently with
 * another. Under EP_NO_THREADS the handle is single-threaded, and so is a
 * handle opened with cfg.single_threaded: it takes no mutex (appends are
 * ~8 ns cheaper each), and the caller keeps every call on one thread at a
 * time.
 *
 * Allocates: the handle, its buffer (buffer_bytes, or one larger frame), the
 * list of segments (16 bytes each) and the read buffer used at open. */
#ifndef EP_WAL_H
#define EP_WAL_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "codec/codec_wal.h"

#ifndef EP_NO_WAL

#ifdef __cplusplus
extern "C" {
#endif

#define EP_WAL_LOCK_NAME "wal.lock"

typedef enum ep_wal_flush_policy {
    EP_WAL_FLUSH_EVERY_APPEND = 0, /* hand each append call's bytes to the OS */
    EP_WAL_FLUSH_EVERY_N = 1,      /* when flush_every_bytes are buffered */
    EP_WAL_FLUSH_INTERVAL = 2,     /* on an append or ep_wal_tick once flush_interval_ms passed */
    EP_WAL_FLUSH_MANUAL = 3        /* only when the buffer is full, on flush/sync/rotate/close */
} ep_wal_flush_policy;

typedef enum ep_wal_mode {
    EP_WAL_STRICT = 0,      /* any damage, truncation or hole is an error */
    EP_WAL_BEST_EFFORT = 1  /* also accept a torn last frame / torn header of the final segment */
} ep_wal_mode;

/* Observers run on the caller's thread with the handle's mutex held: they
 * must not call back into the handle. Any may be NULL. */
typedef struct ep_wal_observer {
    void *user;
    void (*on_append)(void *user, uint64_t first_id, uint64_t count, uint64_t bytes);
    void (*on_flush)(void *user, uint64_t last_id, uint64_t bytes);
    void (*on_sync)(void *user, uint64_t durable_id);
    void (*on_rotate)(void *user, uint64_t old_segment, uint64_t new_segment, uint64_t first_id);
    /* Before truncation removes (or recycles) a segment: return 0 to veto,
     * which stops the truncation there (the older segments already removed
     * stay removed; no hole is ever left). */
    int (*on_before_remove)(void *user, uint64_t segment_id, uint64_t last_id);
} ep_wal_observer;

typedef struct ep_wal_config {
    ep_vfs *vfs;                   /* NULL: the OS file system */
    const ep_allocator *alloc;     /* NULL: default */
    uint64_t segment_bytes;        /* rotate before a frame would pass this; default 64 MiB, min 64 */
    uint64_t segment_max_age_ms;   /* rotate a segment older than this (checked on append/tick); 0 = never */
    size_t buffer_bytes;           /* default 64 KiB; 0 = write each frame at once. A full buffer is
                                      written in whole multiples of the largest power of two <= it
                                      (file offsets), the rest kept: flush and sync write everything */
    ep_wal_flush_policy flush;     /* default EP_WAL_FLUSH_MANUAL */
    uint64_t flush_every_bytes;    /* EVERY_N: default 64 KiB */
    uint64_t flush_interval_ms;    /* INTERVAL: default 1000 */
    uint64_t preallocate_bytes;    /* reserve each new segment to this size (real blocks); 0 = none */
    size_t recycle_segments;       /* keep up to this many truncated segments for reuse; 0 = remove them */
    int repair_tail;               /* also cut a damaged (not just torn) tail of the final segment at
                                      open when no valid frame follows it (garbage after power loss).
                                      Opt-in: the damaged frame may have been acknowledged. */
    uint32_t max_record;           /* 0 = EP_WAL_MAX_RECORD */
    uint64_t first_id;             /* id of the first record of an empty directory; default 1 */
    int no_create;                 /* non-zero: EP_ERR_NOT_FOUND instead of creating the directory */
    int single_threaded;           /* non-zero: one thread at a time calls the handle; no mutex is taken */
    uint64_t (*clock_ms)(void *user); /* monotonic ms for INTERVAL and age; NULL: the OS clock */
    void *clock_user;
    ep_wal_observer observer;
} ep_wal_config;

typedef struct ep_wal ep_wal;

typedef struct ep_wal_stats {
    uint64_t next_id;          /* id the next record gets */
    uint64_t last_id;          /* last id appended (next_id - 1) */
    uint64_t flushed_id;       /* last id handed to the OS */
    uint64_t durable_id;       /* last id known durable */
    uint64_t first_segment;    /* oldest segment id in the directory */
    uint64_t segment_id;       /* the segment appended to */
    uint64_t segments;         /* segments in the directory */
    uint64_t segment_bytes;    /* bytes of the current segment (buffered included) */
    uint64_t syncs;            /* fsyncs of segment files made */
    uint64_t group_waits;      /* durable appends satisfied by another caller's sync */
    uint64_t repaired_bytes;   /* tail bytes cut off at open */
    uint64_t recycled;         /* segments reused from the pool */
} ep_wal_stats;

EP_API void ep_wal_config_init(ep_wal_config *cfg);
/* cfg may be NULL (defaults). err receives the detail when open fails. */
EP_API ep_result ep_wal_open(const char *dir, const ep_wal_config *cfg, ep_wal **out, ep_error *err);
/* Flushes, trims preallocation, syncs, releases the lock and frees; w is
 * gone even on error. A poisoned handle is just released, and close returns
 * EP_ERR_POISONED: what was still buffered is lost. */
EP_API ep_result ep_wal_close(ep_wal *w);
EP_API const ep_error *ep_wal_error(const ep_wal *w);
EP_API void ep_wal_stats_get(ep_wal *w, ep_wal_stats *out);

/* id (may be NULL) receives the record's id. */
EP_API ep_result ep_wal_append(ep_wal *w, const void *data, size_t len, uint64_t *id);
/* n >= 1 records in one atomic frame; first_id receives the first id. */
EP_API ep_result ep_wal_append_batch(ep_wal *w, const ep_bytes *records, size_t n, uint64_t *first_id);
EP_API ep_result ep_wal_flush(ep_wal *w);
EP_API ep_result ep_wal_sync(ep_wal *w);
/* Returns once every record up to id is durable (group commit). */
EP_API ep_result ep_wal_sync_to(ep_wal *w, uint64_t id);
EP_API ep_result ep_wal_append_durable(ep_wal *w, const void *data, size_t len, uint64_t *id);
/* Flush by interval and rotate by age without an append; cheap. */
EP_API ep_result ep_wal_tick(ep_wal *w);
/* Seals the current segment (flush, trim, sync) and starts the next one. */
EP_API ep_result ep_wal_rotate(ep_wal *w);

/* Removes, oldest first, every segment whose records all have ids <= upto
 * (never the current one), asking on_before_remove first and stopping at a
 * veto or at the first segment not covered; then syncs the directory.
 * With recycle_segments, covered segments go to the pool instead. */
EP_API ep_result ep_wal_truncate_prefix(ep_wal *w, uint64_t upto, size_t *removed);

typedef struct ep_wal_publish_result {
    uint64_t checkpoint_id;    /* the checkpoint's last id */
    uint64_t marker_id;        /* id of the marker record */
    size_t removed;            /* segments removed (or recycled) */
} ep_wal_publish_result;

/* The publish protocol: (1) the checkpoint (state as of ids <= last_id, which
 * must be <= the last appended id) written durably to ckpt_path (tmp, sync,
 * rename, directory sync); (2) the marker record (bytes of the caller's
 * choosing, e.g. the checkpoint's name and id) appended; (3) sync; (4) the
 * segments the checkpoint covers removed oldest first, with the veto, and
 * the directory synced. A failure before (3) completes removes nothing;
 * every crash point leaves a recoverable directory. out may be NULL. */
EP_API ep_result ep_wal_publish(ep_wal *w, const char *ckpt_path, uint64_t last_id, const void *state,
                                size_t state_len, const void *marker, size_t marker_len,
                                ep_wal_publish_result *out);

/* ---- reading ------------------------------------------------------------------ */

typedef enum ep_wal_seg_end {
    EP_WAL_SEG_CLEAN = 0,     /* the last frame ends at the end of the file */
    EP_WAL_SEG_ZEROS = 1,     /* zero padding (preallocation) from valid_bytes to the end */
    EP_WAL_SEG_TORN = 2,      /* a torn last frame after valid_bytes (final segment, best effort) */
    EP_WAL_SEG_SHORT = 3,     /* shorter than its header or a torn header (final segment, best effort) */
    EP_WAL_SEG_ERROR = 4      /* damage: see the error */
} ep_wal_seg_end;

typedef struct ep_wal_segment_info {
    uint64_t segment_id;      /* from the file name (the header must agree) */
    uint64_t first_id;        /* header's first id (0 when SHORT) */
    uint64_t last_id;         /* last record id, first_id - 1 if none */
    uint64_t records;
    uint64_t frames;
    uint64_t file_bytes;
    uint64_t valid_bytes;     /* end of the last valid frame (or of the header) */
    ep_wal_seg_end end;
} ep_wal_segment_info;

/* Called once per record in id order; return EP_OK to go on, EP_END to stop
 * cleanly, or an error to abort with it. data is valid during the call. */
typedef ep_result (*ep_wal_record_fn)(void *user, uint64_t id, const uint8_t *data, size_t len);

typedef struct ep_wal_read_config {
    ep_vfs *vfs;                /* NULL: the OS file system */
    const ep_allocator *alloc;  /* NULL: default */
    ep_wal_mode mode;           /* default EP_WAL_STRICT */
    uint64_t after_id;          /* deliver only ids > after_id (a checkpoint's id); default 0 */
    uint64_t ceiling;           /* deliver only ids <= ceiling, and stop reading there; 0 = none */
    uint32_t max_record;        /* 0 = EP_WAL_MAX_RECORD */
    size_t read_bytes;          /* read buffer; default 256 KiB (grows to one frame, at most max_record) */
} ep_wal_read_config;

typedef struct ep_wal_replay_info {
    uint64_t segments;
    uint64_t first_id;          /* first id in the WAL (0 if it has no segment) */
    uint64_t last_id;           /* last valid id seen (first_id - 1 if none); stops at the ceiling */
    uint64_t delivered;         /* records passed to the callback */
    uint64_t last_delivered;    /* id of the last one (after_id if none) */
    ep_wal_seg_end end;         /* how the final segment ended */
    uint64_t tail_bytes;        /* TORN / SHORT / ZEROS: bytes after the valid end */
} ep_wal_replay_info;

EP_API void ep_wal_read_config_init(ep_wal_read_config *cfg);

/* "wal_%020llu.log" for segment id into out. */
EP_API ep_result ep_wal_segment_name(uint64_t segment_id, char *out, size_t cap);
/* 1 and the id if name is a segment name (digits parsed numerically, any
 * count from 1 to 20), else 0. */
EP_API int ep_wal_parse_segment_name(const char *name, uint64_t *segment_id);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_WAL */
#endif /* EP_WAL_H */
