/* checkpoint: a whole-state snapshot file for the WAL (layout in
 * codec_wal.h): magic, version, the last WAL id it covers, the payload
 * length and a CRC over all of it.
 *
 * ep_checkpoint_write is always durable: it writes <path>.<16 hex>.tmp (a
 * name from OS randomness, created exclusively, so two writers never share
 * one), syncs it, closes it, renames it over path and syncs the directory.
 * When it returns EP_OK the new checkpoint survives power loss; on any error
 * before the rename the old file is untouched and the tmp file is removed;
 * an error from the final directory sync means "not proven durable" (the
 * rename may or may not survive a power loss). Stale tmp files of the same
 * path (a crash mid-write) are swept first: one writer per checkpoint path.
 *
 * ep_checkpoint_read checks the header, the cap (before allocating), that
 * the file is exactly header + payload, and the CRC; truncation or any
 * damage is an error (there is no best-effort mode for a checkpoint). */
#ifndef EP_CHECKPOINT_H
#define EP_CHECKPOINT_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "codec/codec_wal.h"

#ifndef EP_NO_WAL

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_checkpoint_config {
    ep_vfs *vfs;                /* NULL: the OS file system */
    const ep_allocator *alloc;  /* NULL: default */
    uint64_t max_payload;       /* read cap; 0 = EP_CHECKPOINT_MAX_PAYLOAD (256 MiB) */
} ep_checkpoint_config;

EP_API void ep_checkpoint_config_init(ep_checkpoint_config *cfg);

/* cfg may be NULL (defaults). */
EP_API ep_result ep_checkpoint_write(const ep_checkpoint_config *cfg, const char *path, uint64_t last_id,
                                     const void *payload, size_t len, ep_error *err);
/* *payload is allocated (free with ep_free(cfg->alloc, ...)); NULL when len is 0.
 * EP_ERR_NOT_FOUND if there is no file. */
EP_API ep_result ep_checkpoint_read(const ep_checkpoint_config *cfg, const char *path, uint64_t *last_id,
                                    uint8_t **payload, size_t *len, ep_error *err);
/* The header alone (for tools): last id and payload length, CRC not checked. */
EP_API ep_result ep_checkpoint_stat(const ep_checkpoint_config *cfg, const char *path, uint64_t *last_id,
                                    uint64_t *payload_len, ep_error *err);
/* Removes <path>.<16 hex>.tmp files left by crashed writes; *removed may be NULL. */
EP_API ep_result ep_checkpoint_sweep(const ep_checkpoint_config *cfg, const char *path, size_t *removed,
                                     ep_error *err);

/* The durable replace under the checkpoint: the parts, concatenated, become
 * path's content (unique tmp -> sync -> close -> rename -> sync dir). */
EP_API ep_result ep_atomic_write(ep_vfs *vfs, const char *path, const ep_bytes *parts, size_t nparts, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_WAL */
#endif /* EP_CHECKPOINT_H */
