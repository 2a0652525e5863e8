/* maintain: whole-shard maintenance for tools (ember-persist compact,
 * encrypt, decrypt, rekey), on any vfs, crash-safe at every operation.
 *
 * Both first take the shard's AOF writer (its lock: a running writer makes
 * them refuse with EP_ERR_LOCKED; its open trims a torn tail and refuses a
 * damaged AOF, which `repair` handles), then recover the shard and refuse
 * (EP_ERR_CORRUPT) if the snapshot is there but does not load, or the AOF
 * stops at an error: acting on such a shard would make the loss permanent.
 *
 * compact: ep_shard_rewrite (snapshot + AOF into a fresh snapshot and an
 * AOF holding only its header).
 *
 * migrate (plaintext <-> v3, or one key to another), a crash leaving the old
 * state or the new one at every point, each whole:
 *   1. compact under the old key           old: snapshot(old) has everything
 *   2. remove the AOF, sync the directory  old: snapshot(old) alone
 *   3. write the snapshot under new_key    new: snapshot(new) alone
 *   4. a header-only AOF for new_key, as shard-ID.aof.migrate renamed into
 *      place, directory synced            new: snapshot(new) + empty AOF
 * With backup_suffix set, copies of the old shard-ID.snap and shard-ID.aof
 * are made first (synced, never overwritten) and are kept: the old files
 * stay on disk until the new ones are durable, and after. The lock is
 * released between steps 1 and 4 (the AOF does not exist in between): stop
 * the server first. */
/* copy (convert to ember): the recovered keys of shard ID in DIR as a
 * snapshot of shard DST_ID in DST_DIR under new_key (a snapshot alone is a
 * whole shard; its writer creates the AOF). Refuses (EP_ERR_EXISTS) if the
 * destination shard has a snapshot or an AOF; the source is only read. At
 * any crash the destination has no snapshot or the whole one. */
#ifndef EP_MAINTAIN_H
#define EP_MAINTAIN_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "crypto/crypto.h"
#include "recover/recovery.h"

#ifndef EP_NO_KEYSPACE

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_maint_config {
    ep_vfs *vfs;                 /* NULL: the OS */
    const ep_allocator *alloc;   /* NULL: default */
    const ep_key *key;           /* the shard's key now; NULL: plaintext */
    const ep_key *new_key;       /* migrate: the key it gets; NULL: plaintext */
    const char *backup_suffix;   /* migrate: copy the old files to <file><suffix> first; NULL: no copies */
    int64_t (*wall_clock_ms)(void *user); /* for recovery's PEXPIREAT; NULL: the OS clock */
    void *clock_user;
} ep_maint_config;

typedef struct ep_maint_report {
    uint64_t keys;               /* keys in the shard */
    uint64_t records_replayed;   /* AOF records applied by the recovery */
    uint64_t trimmed_bytes;      /* torn AOF tail cut by the writer's open */
    uint64_t old_snapshot_bytes, old_aof_bytes;  /* before (0 if absent) */
    uint64_t new_snapshot_bytes, new_aof_bytes;  /* after */
    uint8_t old_version, new_version;            /* the snapshot's format version, before and after (0: none) */
    int backups;                 /* copies made (migrate with backup_suffix) */
} ep_maint_report;

EP_API void ep_maint_config_init(ep_maint_config *cfg);
EP_API ep_result ep_shard_compact(const char *dir, ep_shard_id shard_id, const ep_maint_config *cfg,
                                  ep_maint_report *out, ep_error *err);
EP_API ep_result ep_shard_migrate(const char *dir, ep_shard_id shard_id, const ep_maint_config *cfg,
                                  ep_maint_report *out, ep_error *err);

EP_API ep_result ep_shard_copy(const char *dir, ep_shard_id shard_id, const char *dst_dir, ep_shard_id dst_id,
                               const ep_maint_config *cfg, ep_maint_report *out, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_KEYSPACE */
#endif /* EP_MAINTAIN_H */
