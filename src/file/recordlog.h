/* recordlog: a single-file log of opaque byte records (durability's
 * recordlog; layout in codec_wal.h): a 16-byte header, then frames of
 * len u32 | crc u32 (over len and payload) | payload. Records are numbered
 * 1, 2, 3 ... by position.
 *
 * Writer: append < flush < sync exactly as the WAL (wal.h); one writer per
 * file through the vfs lock on the file itself. Open validates the header
 * of an existing file and repairs a torn last record by truncating it and
 * syncing (no copy); damage followed by valid records is refused and the
 * file left as it is; repair_tail also cuts a damaged (not just torn) tail
 * when nothing valid follows it. A failed write or sync poisons the handle.
 * close = flush + sync.
 *
 * Reader: ep_recordlog_read streams every record through a callback with
 * one read buffer (grown to the largest record, at most max_record).
 * Strict: any truncation is an error. Best effort: a torn last record and a
 * file shorter than its header are a clean end; a CRC mismatch, a length
 * over the cap, and damage followed by a valid record are errors in both. */
#ifndef EP_RECORDLOG_H
#define EP_RECORDLOG_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "file/wal.h"

#ifndef EP_NO_WAL

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_recordlog_config {
    ep_vfs *vfs;                  /* NULL: the OS file system */
    const ep_allocator *alloc;    /* NULL: default */
    size_t buffer_bytes;          /* default 64 KiB */
    ep_wal_flush_policy flush;    /* EVERY_APPEND, EVERY_N or MANUAL (INTERVAL acts as MANUAL) */
    uint64_t flush_every_bytes;   /* EVERY_N: default 64 KiB */
    int repair_tail;              /* see above */
    ep_wal_mode mode;             /* reading: default EP_WAL_STRICT */
    uint32_t max_record;          /* 0 = EP_RECORDLOG_MAX_RECORD (64 MiB) */
} ep_recordlog_config;

typedef struct ep_recordlog ep_recordlog;

typedef struct ep_recordlog_info {
    uint64_t records;
    uint64_t file_bytes;
    uint64_t valid_bytes;
    ep_wal_seg_end end;           /* CLEAN, TORN or SHORT (as for WAL segments) */
} ep_recordlog_info;

EP_API void ep_recordlog_config_init(ep_recordlog_config *cfg);
EP_API ep_result ep_recordlog_open(const char *path, const ep_recordlog_config *cfg, ep_recordlog **out,
                                   ep_error *err);
/* index (may be NULL) receives the record's number (1-based). */
EP_API ep_result ep_recordlog_append(ep_recordlog *log, const void *data, size_t len, uint64_t *index);
EP_API ep_result ep_recordlog_flush(ep_recordlog *log);
EP_API ep_result ep_recordlog_sync(ep_recordlog *log);
/* Flush + sync, unlock, free; the handle is gone even on error
 * (EP_ERR_POISONED if it was poisoned: what was buffered is lost). */
EP_API ep_result ep_recordlog_close(ep_recordlog *log);
EP_API const ep_error *ep_recordlog_error(const ep_recordlog *log);
EP_API void ep_recordlog_info_get(const ep_recordlog *log, ep_recordlog_info *out);

/* fn gets (user, number, bytes, len) per record; EP_END from fn stops. */
EP_API ep_result ep_recordlog_read(const char *path, const ep_recordlog_config *cfg, ep_wal_record_fn fn, void *user,
                                   ep_recordlog_info *info, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_WAL */
#endif /* EP_RECORDLOG_H */
