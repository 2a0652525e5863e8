/* wal_recover: reading a whole WAL directory (streaming replay with every
 * check) and recovery = checkpoint + replay of the suffix, with the gap rule.
 *
 * The gap rule: with a checkpoint at L the WAL must hold id L+1 (its first id
 * <= L+1) or end exactly at L; without a usable checkpoint it must start at
 * id 1 (or be empty). Anything else is EP_ERR_GAP: records between the
 * checkpoint and the WAL are missing, and recovery never falls back to an
 * older state across a truncated prefix. */
#ifndef EP_WAL_RECOVER_H
#define EP_WAL_RECOVER_H

#include "base/base.h"
#include "file/wal.h"
#include "file/checkpoint.h"

#ifndef EP_NO_WAL

#ifdef __cplusplus
extern "C" {
#endif

/* Streams every record of the WAL in dir through fn, segment by segment,
 * with every check: headers, CRCs, ids contiguous inside and across
 * segments, segment ids without holes, header ids agreeing with names.
 * Best effort tolerates only a torn last frame of the final segment, a final
 * segment shorter than its header, and zero padding to a segment's end
 * (zero padding is accepted in both modes). Damage followed by a valid frame
 * is an error in both modes. On an error err has the segment file, the
 * offset (err.offset) and the id (err.index). Memory: one read buffer.
 * info may be NULL. A missing directory: EP_ERR_NOT_FOUND. */
EP_API ep_result ep_wal_replay(const char *dir, const ep_wal_read_config *cfg, ep_wal_record_fn fn, void *user,
                               ep_wal_replay_info *info, ep_error *err);

/* Scans every segment (strictly, the final one by cfg->mode) and calls fn
 * with each one's info; fn returns non-zero to stop. */
typedef int (*ep_wal_segment_fn)(void *user, const ep_wal_segment_info *info);
EP_API ep_result ep_wal_segments(const char *dir, const ep_wal_read_config *cfg, ep_wal_segment_fn fn, void *user,
                                 ep_error *err);

typedef struct ep_wal_recover_config {
    ep_wal_read_config read;        /* vfs, alloc, mode, ceiling, max_record (read.after_id is set here) */
    const char *checkpoint_path;    /* NULL: no checkpoint */
    int ignore_corrupt_checkpoint;  /* a damaged checkpoint counts as none (then the gap rule decides) */
    uint64_t max_checkpoint;        /* 0 = EP_CHECKPOINT_MAX_PAYLOAD */
} ep_wal_recover_config;

/* Called once, before any record: has_checkpoint says whether one was
 * loaded; state is its payload (valid during the call). */
typedef ep_result (*ep_wal_init_fn)(void *user, int has_checkpoint, uint64_t checkpoint_id, const uint8_t *state,
                                    size_t len);

typedef struct ep_wal_recover_info {
    int has_checkpoint;
    int checkpoint_ignored;          /* it was damaged and ignore_corrupt_checkpoint was set */
    uint64_t checkpoint_id;
    uint64_t last_id;                /* the state's last applied id: checkpoint or last record */
    uint64_t applied;                /* records passed to apply */
    ep_wal_replay_info replay;
} ep_wal_recover_info;

EP_API void ep_wal_recover_config_init(ep_wal_recover_config *cfg);
/* init (may be NULL), then apply for every record after the checkpoint. */
EP_API ep_result ep_wal_recover(const char *dir, const ep_wal_recover_config *cfg, ep_wal_init_fn init,
                                ep_wal_record_fn apply, void *user, ep_wal_recover_info *info, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_WAL */
#endif /* EP_WAL_RECOVER_H */
