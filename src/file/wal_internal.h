/* wal_internal: what the WAL writer (file layer) and WAL recovery (recover
 * layer) share: the segment list of a directory and the one segment scanner
 * (every frame rule lives there). Private. */
#ifndef EP_WAL_INTERNAL_H
#define EP_WAL_INTERNAL_H

#include "base/internal.h"
#include "file/wal.h"
#include "file/stream.h"

#ifndef EP_NO_WAL

#define EP__WAL_PATH_MAX 1024

/* Segment ids found in a directory, sorted ascending (allocated). */
typedef struct ep__wal_list {
    uint64_t *ids;
    size_t n, cap;
    const ep_allocator *alloc;
} ep__wal_list;

EP__PRIV ep_result ep__wal_list_dir(ep_vfs *vfs, const ep_allocator *alloc, const char *dir, ep__wal_list *out,
                                    ep_error *err);
EP__PRIV void ep__wal_list_free(ep__wal_list *l);
EP__PRIV ep_result ep__wal_seg_path(const char *dir, uint64_t seg_id, char *out, size_t cap);

/* How segments are read: each scan runs one read stream (file/stream.h)
 * over its file; memory is that stream's buffer, freed after the segment. */
typedef struct ep__wal_reader {
    ep_vfs *vfs;
    const ep_allocator *alloc;
    size_t chunk, max;
} ep__wal_reader;

EP__PRIV void ep__wal_reader_init(ep__wal_reader *rd, ep_vfs *vfs, const ep_allocator *alloc, size_t read_bytes,
                                  uint32_t max_record);
EP__PRIV void ep__wal_reader_free(ep__wal_reader *rd);

/* What to do with one segment. */
typedef struct ep__wal_scan {
    const char *path;
    uint64_t segment_id;
    int final;               /* the last segment of the directory */
    ep_wal_mode mode;
    int repair;              /* final segment: damage with nothing valid after it counts as torn */
    uint64_t expect_first;   /* the header's first id must be this; 0 = any */
    uint64_t after_id;       /* deliver ids > after_id ... */
    uint64_t ceiling;        /* ... and <= ceiling (0 = none); stop at the ceiling */
    uint32_t max_record;
    ep_wal_record_fn fn;     /* NULL: only scan */
    void *user;
} ep__wal_scan;

/* Scans one segment. EP_OK with info (end CLEAN, ZEROS, TORN, SHORT), or
 * EP_END when fn stopped or the ceiling was reached (*stopped), or the
 * error (info->end = ERROR, err with offset and id). */
EP__PRIV ep_result ep__wal_scan_segment(ep__wal_reader *rd, const ep__wal_scan *sc, ep_wal_segment_info *info,
                                        uint64_t *delivered, uint64_t *last_delivered, ep_error *err);

/* The header alone (for the writer's segment chain). */
EP__PRIV ep_result ep__wal_read_header(ep_vfs *vfs, const char *path, uint64_t seg_id, ep_wal_segment_header *h,
                                       uint64_t *size, ep_error *err);

#endif /* EP_NO_WAL */
#endif /* EP_WAL_INTERNAL_H */
