/* redis_persist: AiKv's persistence API shape in C, done right. A host keeps
 * its own databases; this handle saves them to an RDB (through a callback
 * that writes every key into an ep_rdb_writer, published atomically), logs
 * its write commands to a RESP AOF (fsync always / everysec / no: a real
 * sync about once a second), fires Redis-style "save <seconds> <changes>"
 * rules from the host's loop (ep_redis_persist_tick), and at startup
 * chooses what to load as redis-server does: the AOF when AOF is on and the
 * file is there, else the RDB (Redis 7.0 itself then loads nothing and
 * starts an empty AOF; set rdb_when_aof_missing = 0 for that). */
#ifndef EP_REDIS_PERSIST_H
#define EP_REDIS_PERSIST_H

#include "file/rdb.h"
#include "file/resp_aof.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

#define EP_REDIS_SAVE_RULES_MAX 16

typedef struct ep_redis_save_rule {
    uint64_t seconds;
    uint64_t changes;
} ep_redis_save_rule;

typedef struct ep_redis_persist_config {
    ep_vfs *vfs;                       /* NULL: the OS */
    const ep_allocator *alloc;
    int rdb_enabled;                   /* default 1 (AiKv's enable_rdb) */
    const char *rdb_path;              /* default "dump.rdb" */
    ep_redis_save_rule save[EP_REDIS_SAVE_RULES_MAX];
    size_t save_count;                 /* default Redis's: 3600 1, 300 100, 60 10000; 0: no timed saves */
    uint64_t save_interval_s;          /* AiKv's rdb_save_interval: a save every N s if anything changed; 0: off */
    ep_rdb_writer_config rdb;          /* version, LZF ... (vfs/alloc set from here) */
    int aof_enabled;                   /* default 0 */
    const char *aof_path;              /* default "appendonly.aof" */
    ep_fsync_policy aof_fsync;         /* default EP_FSYNC_EVERYSEC */
    int rdb_when_aof_missing;          /* default 1: AOF on but absent -> load the RDB */
    uint64_t (*clock_ms)(void *user);  /* save rules and everysec; NULL: the OS monotonic clock */
    void *clock_user;
    /* Writes every key of every database (select_db, then the keys). */
    ep_result (*dump)(void *user, ep_rdb_writer *w);
    void *user;
} ep_redis_persist_config;
EP_API void ep_redis_persist_config_init(ep_redis_persist_config *cfg);
/* Redis's `save` directive: "3600 1 300 100" (pairs), "" for none.
 * EP_ERR_INVALID_ARG for an odd count, a non-number or a zero seconds. */
EP_API ep_result ep_redis_persist_parse_save(ep_redis_persist_config *cfg, const char *text, ep_error *err);

typedef struct ep_redis_persist ep_redis_persist;

/* Opens the AOF writer when AOF is on (a torn tail is trimmed). */
EP_API ep_result ep_redis_persist_open(const ep_redis_persist_config *cfg, ep_redis_persist **out, ep_error *err);

/* "Save all databases": cfg.dump into a new RDB, published atomically. */
EP_API ep_result ep_redis_persist_save(ep_redis_persist *p);
/* "Log a command" (in database db) to the AOF when it is on; counts one
 * change for the save rules either way. */
EP_API ep_result ep_redis_persist_log(ep_redis_persist *p, uint64_t db, size_t argc, const ep_bytes *argv);
/* Changes the host made without logging them. */
EP_API void ep_redis_persist_changed(ep_redis_persist *p, uint64_t n);
/* From the host's loop: the AOF's everysec sync, and a save when a rule
 * fires (*saved = 1). */
EP_API ep_result ep_redis_persist_tick(ep_redis_persist *p, int *saved);
/* Changes since the last save. */
EP_API uint64_t ep_redis_persist_dirty(const ep_redis_persist *p);

typedef enum ep_redis_source {
    EP_REDIS_FROM_NOTHING = 0,
    EP_REDIS_FROM_AOF = 1,
    EP_REDIS_FROM_RDB = 2
} ep_redis_source;

/* Startup recovery: "load all commands" (the AOF, to command) or "load all
 * databases" (the RDB, through rdb), chosen as described above. Call it
 * before logging anything. A truncated AOF tail is loaded as Redis's
 * aof-load-truncated yes does (the writer trimmed it at open). */
EP_API ep_result ep_redis_persist_recover(ep_redis_persist *p, const ep_rdb_visitor *rdb,
                                          ep_result (*command)(void *user, size_t argc, const ep_bytes *argv),
                                          void *user, ep_redis_source *from);
/* Syncs the AOF (unless fsync no) and frees. */
EP_API ep_result ep_redis_persist_close(ep_redis_persist *p);
EP_API const ep_error *ep_redis_persist_error(const ep_redis_persist *p);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_REDIS_PERSIST_H */
