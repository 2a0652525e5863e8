/* redis: Redis data in and out of the library's keyspace. Loading an RDB
 * file into one ep_keyspace per database (what a Redis master does with
 * dump.rdb at startup), with a per-key report of what the keyspace cannot
 * hold (streams, module values, and binary set members / hash fields /
 * sorted-set members, which ember keeps as UTF-8), counted, never dropped
 * silently. */
#ifndef EP_REDIS_H
#define EP_REDIS_H

#include "base/base.h"
#include "file/rdb.h"
#include "store/keyspace.h"

#if !defined(EP_NO_REDIS) && !defined(EP_NO_KEYSPACE)

#ifdef __cplusplus
extern "C" {
#endif

/* Databases by number; db[i] is NULL when database i holds nothing. */
typedef struct ep_redis_dbs {
    ep_keyspace **db;
    size_t count;
    const ep_allocator *alloc;
} ep_redis_dbs;
EP_API void ep_redis_dbs_free(ep_redis_dbs *d);
/* Database i, created if missing (i < max). */
EP_API ep_result ep_redis_dbs_get(ep_redis_dbs *d, uint64_t i, uint32_t max, ep_keyspace **out);

/* Why a key was not loaded (the report callback's why). */
typedef enum ep_redis_skip {
    EP_REDIS_SKIP_STREAM = 1,      /* a Redis stream: no ember type */
    EP_REDIS_SKIP_MODULE = 2,      /* a module value */
    EP_REDIS_SKIP_NOT_UTF8 = 3,    /* a set member, hash field or zset member that is not UTF-8 */
    EP_REDIS_SKIP_TOO_BIG = 4,     /* more elements than ember's caps */
    /* Used by the mapping (redis_map.h). */
    EP_REDIS_SKIP_VECTOR = 5,      /* an ember vector set: no Redis 7 type */
    EP_REDIS_SKIP_PROTO = 6,       /* an ember proto value: no Redis type */
    EP_REDIS_SKIP_FUNCTION = 7,    /* a Redis function library: ember has no scripts */
    EP_REDIS_SKIP_OTHER_DB = 8,    /* a key of a database that was not selected */
    EP_REDIS_SKIP_SCHEMA = 9,      /* an ember proto schema (PROTO.REGISTER): no Redis form */
    EP_REDIS_SKIP_NAN_SCORE = 10   /* an ember sorted set with a NaN score: Redis refuses NaN */
} ep_redis_skip;
#define EP_REDIS_SKIP_COUNT 11     /* size of the by_reason arrays */

typedef struct ep_redis_load_config {
    ep_rdb_reader_config reader;   /* vfs, allocator for the reader, caps */
    const ep_allocator *alloc;     /* keyspaces and loader buffers */
    uint32_t max_databases;        /* SELECTDB at or above: EP_ERR_LIMIT; default 16 (Redis's default) */
    int64_t now_ms;                /* wall clock for expiries; 0: the OS clock */
    int keep_expired;              /* 1: keep keys already expired (an AOF base does); 0: drop them (dump.rdb) */
    /* Called for every key not loaded; may be NULL. */
    void (*report)(void *user, uint64_t db, ep_bytes key, const char *kind, ep_redis_skip why);
    void *report_user;
} ep_redis_load_config;
EP_API void ep_redis_load_config_init(ep_redis_load_config *cfg);

typedef struct ep_redis_load_stats {
    uint64_t loaded;
    uint64_t expired;              /* dropped because already expired */
    uint64_t empty;                /* empty collections skipped (as Redis: "empty keys skipped") */
    uint64_t unmapped;             /* reported through cfg.report */
    uint64_t by_reason[EP_REDIS_SKIP_COUNT]; /* unmapped, per ep_redis_skip */
    uint64_t functions;            /* FUNCTION2 libraries seen (not loaded) */
    ep_rdb_info rdb;
} ep_redis_load_stats;

/* Loads an RDB file into out (which must be zeroed or freshly freed; its
 * databases are created on demand). A key present twice in one database is
 * EP_ERR_CORRUPT (Redis crashes on it). On error out holds what was loaded
 * before it; free it either way. st may be NULL. */
EP_API ep_result ep_redis_load_rdb(const char *path, const ep_redis_load_config *cfg, ep_redis_dbs *out,
                                   ep_redis_load_stats *st, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS, EP_NO_KEYSPACE */
#endif /* EP_REDIS_H */
