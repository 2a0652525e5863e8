/* wal_map: an ember shard as a WAL of ember AOF records and back.
 *
 *   ep_shard_to_wal   shard (snapshot + AOF, recovered) -> WAL directory
 *   ep_wal_to_shard   WAL directory -> shard (a snapshot)
 *
 * Each WAL record is one ember AOF record's bytes (tag + payload, no CRC:
 * ep_aof_encode, ember's replication form), so any ember AOF record can be
 * logged in a WAL and replayed with ep_keyspace_apply. A shard becomes, in
 * key order, PROTO.REGISTER for each schema, then per key SET, RPUSH, ZADD,
 * HSET or SADD (collections cut into records of about 1 MiB), VADD per
 * vector element or PROTO.SET, and PEXPIREAT (now + ttl) for a key with a
 * ttl. Nothing is lost: every ember type has its records.
 *
 * Crash safety, to the WAL: the records go to one segment in the staging
 * directory "<wal_dir>.tmp" (its leftovers removed first), which the WAL
 * writer syncs on close; the segment is then renamed into wal_dir and
 * wal_dir synced. A crash leaves wal_dir without a segment or with the
 * whole one (the staging directory may stay behind, empty). wal_dir must
 * not hold a segment already (EP_ERR_EXISTS).
 * From the WAL: every record is read (strictly; best_effort accepts a torn
 * final frame, reported in wal_torn) and applied before the snapshot is
 * written through ep_shard_snapshot (tmp, sync, rename, directory sync);
 * the destination shard must not exist (EP_ERR_EXISTS). A record that is
 * not an ember AOF record is EP_ERR_CORRUPT with its id; one the keyspace
 * refuses by rule (INCR on text ...) is counted in record_warnings, as
 * recovery does. */
#ifndef EP_WAL_MAP_H
#define EP_WAL_MAP_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "crypto/crypto.h"
#include "file/wal.h"
#include "store/keyspace.h"

#if !defined(EP_NO_WAL) && !defined(EP_NO_KEYSPACE)

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_wal_map_config {
    ep_vfs *vfs;                 /* NULL: the OS */
    const ep_allocator *alloc;   /* NULL: default */
    const ep_key *key;           /* the shard's key (to the WAL) or the new shard's key (from it); NULL: plaintext */
    int64_t now_ms;              /* Unix ms for ttls <-> PEXPIREAT; 0: the OS clock */
    int best_effort;             /* from the WAL: accept a torn final frame (default 0: strict) */
} ep_wal_map_config;
EP_API void ep_wal_map_config_init(ep_wal_map_config *cfg);

typedef struct ep_wal_map_result {
    uint64_t keys;               /* keys converted */
    uint64_t records;            /* WAL records written or read */
    uint64_t bytes;              /* their payload bytes */
    uint64_t first_id, last_id;  /* WAL ids */
    uint64_t record_warnings;    /* from the WAL: records the keyspace refused by rule */
    uint64_t expired;            /* from the WAL: keys whose deadline had passed (dropped, as recovery) */
    int aof_torn;                /* to the WAL: the shard's AOF ended in a torn tail (what was before it is converted) */
    int wal_torn;                /* from the WAL (best effort): its final frame was torn */
} ep_wal_map_result;

EP_API ep_result ep_shard_to_wal(const char *dir, ep_shard_id shard_id, const char *wal_dir, const ep_wal_map_config *cfg,
                                 ep_wal_map_result *out, ep_error *err);
EP_API ep_result ep_wal_to_shard(const char *wal_dir, const char *dir, ep_shard_id shard_id, const ep_wal_map_config *cfg,
                                 ep_wal_map_result *out, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_WAL, EP_NO_KEYSPACE */
#endif /* EP_WAL_MAP_H */
