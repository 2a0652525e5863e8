/* redis_map: an ember shard as Redis data and Redis data as an ember shard.
 *
 *   ember shard (snapshot + AOF)  ->  RDB file          ep_redis_shard_to_rdb
 *   ember shard                   ->  appendonlydir/    ep_redis_shard_to_aof_dir
 *   ember shard                   ->  Redis commands    ep_redis_shard_to_commands
 *                                     (argv vectors, as Redis's AOF rewrite
 *                                     writes them: what a RESP AOF holds)
 *   RDB file                      ->  ember shard(s)    ep_redis_rdb_to_shard
 *
 * The ember side is always recovered through the library (the shard must
 * recover cleanly: a snapshot that does not load or an AOF that stops at
 * an error is refused with EP_ERR_CORRUPT, as the maintenance calls do; a
 * torn AOF tail is what recovery keeps, and is reported in aof_torn).
 *
 * What cannot map is never dropped silently: each such key goes to the
 * report callback with its database, name, kind and reason, and is counted
 * per reason in ep_redis_map_result. Ember to Redis: vector sets, proto
 * values, proto schemas (kind "proto-schema") and sorted sets holding a NaN
 * score (Redis has none). Redis to
 * ember: streams, module values, function libraries (reported with an
 * empty key, kind "function"), members / fields that are not UTF-8, and
 * keys of databases not selected.
 *
 * Expiry: ember holds remaining milliseconds, Redis absolute ones. To Redis,
 * a key's deadline is now + its ttl after recovery (now: cfg.now_ms or the
 * clock); from Redis, keys already expired at now are dropped and counted,
 * the others get deadline - now (ember snapshots hold remaining ttls).
 *
 * Publishing: an RDB through the RDB writer (tmp, sync, rename, directory
 * sync); ember shards through ep_shard_snapshot (the same), one shard per
 * database in database order, each whole or absent after a crash. The
 * destination shard must not exist (EP_ERR_EXISTS, nothing written). */
#ifndef EP_REDIS_MAP_H
#define EP_REDIS_MAP_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "crypto/crypto.h"
#include "file/rdb.h"
#include "store/keyspace.h"
#include "recover/redis.h"

#if !defined(EP_NO_REDIS) && !defined(EP_NO_KEYSPACE)

#ifdef __cplusplus
extern "C" {
#endif

/* Redis's AOF rewrite puts at most this many elements in one command. */
#define EP_REDIS_ITEMS_PER_CMD 64

/* Every database (ep_redis_map_config.db). */
#define EP_REDIS_ALL_DBS UINT64_MAX

typedef struct ep_redis_map_config {
    ep_vfs *vfs;                 /* NULL: the OS */
    const ep_allocator *alloc;   /* NULL: default */
    const ep_key *key;           /* ember source (to Redis): its key; ember destination: encrypt under it; NULL: plaintext */
    int64_t now_ms;              /* Unix ms for ttls <-> deadlines; 0: the OS clock */
    /* To Redis: the database the shard becomes (default 0).
     * From Redis: the database to take (its keys go to shard_id), or
     * EP_REDIS_ALL_DBS (the default): database N goes to shard shard_id + N. */
    uint64_t db;
    int rdb_version;             /* to RDB: 10 (default) or 9 */
    int rdb_compress;            /* to RDB: LZF for long strings; default 1 */
    /* Called for every key (or library) that does not map; may be NULL. */
    void (*report)(void *user, uint64_t db, ep_bytes key, const char *kind, ep_redis_skip why);
    void *report_user;
} ep_redis_map_config;
EP_API void ep_redis_map_config_init(ep_redis_map_config *cfg);

typedef struct ep_redis_map_result {
    uint64_t keys;               /* keys in the source */
    uint64_t converted;          /* keys written to the destination */
    uint64_t unmapped;           /* reported through cfg.report */
    uint64_t by_reason[EP_REDIS_SKIP_COUNT];
    uint64_t expired;            /* from Redis: already expired at now, dropped (as Redis's load) */
    uint64_t empty;              /* from Redis: empty collections (Redis skips them too) */
    uint64_t commands;           /* to commands: argv vectors given to the callback */
    uint64_t shards;             /* from Redis: shards written */
    uint64_t bytes;              /* the destination file's size (to RDB; from RDB: all snapshots) */
    int aof_torn;                /* ember source: its AOF ended in a torn tail (what was before it is converted) */
    uint64_t aof_tail_bytes;     /* the torn tail's size */
} ep_redis_map_result;

/* One command, argv[0] the name ("SET"). Views last until it returns; a
 * non-OK return stops the conversion with that result. */
typedef ep_result (*ep_redis_command_fn)(void *user, size_t argc, const ep_bytes *argv);

/* The keys of ks (sorted by key: deterministic output) into an open RDB
 * writer, as database cfg->db, selected with ep_rdb_writer_select_db_unique
 * (a keyspace holds each key and member once): keys the caller adds to that
 * database afterwards are not checked against these. Adds to *out (not
 * cleared). */
EP_API ep_result ep_redis_keyspace_to_rdb(const ep_keyspace *ks, ep_rdb_writer *w, const ep_redis_map_config *cfg,
                                          ep_redis_map_result *out, ep_error *err);
/* The keys of ks as commands: SELECT db, then per key (sorted) SET, or
 * RPUSH / SADD / HSET / ZADD of at most EP_REDIS_ITEMS_PER_CMD elements
 * each, then PEXPIREAT for a key with a ttl. Scores as the shortest text
 * that reads back as the same double. Adds to *out (not cleared). */
EP_API ep_result ep_redis_keyspace_to_commands(const ep_keyspace *ks, const ep_redis_map_config *cfg,
                                               ep_redis_command_fn fn, void *user, ep_redis_map_result *out,
                                               ep_error *err);

/* Shard shard_id of dir, recovered, as an RDB file at rdb_path. */
EP_API ep_result ep_redis_shard_to_rdb(const char *dir, ep_shard_id shard_id, const char *rdb_path,
                                       const ep_redis_map_config *cfg, ep_redis_map_result *out, ep_error *err);
/* Shard shard_id of dir, recovered, as commands (see above). */
EP_API ep_result ep_redis_shard_to_commands(const char *dir, ep_shard_id shard_id, const ep_redis_map_config *cfg,
                                            ep_redis_command_fn fn, void *user, ep_redis_map_result *out,
                                            ep_error *err);
/* Shard shard_id of dir, recovered, as a Redis 7 appendonlydir/ in aof_dir
 * (created if missing): appendonly.aof.1.base.rdb (an RDB with aof-base 1),
 * an empty appendonly.aof.1.incr.aof and appendonly.aof.manifest naming
 * both, each published whole (tmp, sync, rename, directory sync), the
 * manifest last: until it is durable redis-server sees no AOF there.
 * Refuses a directory that holds a manifest already (EP_ERR_EXISTS).
 * redis-server 7 starts from it with appendonly yes. */
EP_API ep_result ep_redis_shard_to_aof_dir(const char *dir, ep_shard_id shard_id, const char *aof_dir,
                                           const ep_redis_map_config *cfg, ep_redis_map_result *out, ep_error *err);
/* An RDB file as ember shard(s) in dir (created if missing). Refuses, before
 * writing anything, if a destination shard has a snapshot or an AOF
 * (EP_ERR_EXISTS), or a database would need a shard id over 65535
 * (EP_ERR_LIMIT). RDB damage (CRC, encoding, truncation) fails before
 * anything is written: the whole file is read first. */
EP_API ep_result ep_redis_rdb_to_shard(const char *rdb_path, const char *dir, ep_shard_id shard_id,
                                       const ep_redis_map_config *cfg, ep_redis_map_result *out, ep_error *err);

/* "stream", "module", "not-utf8", "too-big", "vector", "proto", "function",
 * "other-db", "proto-schema", "nan-score". */
EP_API const char *ep_redis_skip_name(ep_redis_skip why);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS, EP_NO_KEYSPACE */
#endif /* EP_REDIS_MAP_H */
