/* Helpers for the Redis interop tests: the shared probe scripts, shell
 * commands with captured output, a redis-server on 127.0.0.1 at a free port
 * in its own directory (stopped by its pid), and a tiny RESP client built on
 * the library's reply reader. */
#ifndef EPT_REDIS_UTIL_H
#define EPT_REDIS_UTIL_H

#include "ember_persist.h"

#include <stddef.h>

/* Path of a file in ../shared (or $EP_SHARED_DIR), e.g.
 * "tools/redis-probe/rdbdump.py"; NULL when absent. Static buffer. */
const char *ept_shared_path(const char *rel);
/* 1 if the program is on PATH. */
int ept_have_program(const char *name);
/* 1 if redis-server and redis-cli are installed; else ept_skip() and 0. */
int ept_need_redis(void);
/* Runs cmd through /bin/sh; its stdout (up to cap-1 bytes, NUL-ended) in
 * out if out is not NULL. Returns the exit status (-1 on failure to run). */
int ept_run_cmd(const char *cmd, char *out, size_t cap);
/* Writes bytes to a file; 0 on success. */
int ept_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file (malloc'd, caller frees); NULL on failure. */
uint8_t *ept_read_file(const char *path, size_t *n);

/* A free TCP port on 127.0.0.1 (bind port 0, read it back). 0 on failure. */
int ept_free_port(void);

typedef struct ept_redis {
    int port;
    long pid;
    char dir[512];
    char log[600];
    int fd;            /* client connection, -1 if none */
    uint8_t *in;       /* reply buffer */
    size_t in_len, in_cap;
} ept_redis;

/* Starts redis-server in dir (which must exist and hold the files it should
 * load) with extra arguments (e.g. "--appendonly yes"), waits until it
 * answers PING (bounded: timeout_ms) and connects. 0 on success; on failure
 * the server is stopped and its log is printed. */
int ept_redis_start(ept_redis *r, const char *dir, const char *extra_args, int timeout_ms);
/* Stops the server by its pid (SIGTERM, then SIGKILL after a bounded wait). */
void ept_redis_stop(ept_redis *r);
/* Sends a command, reads one whole reply (nested aggregates included) and
 * returns it rendered as text: bulk/simple as their bytes, integers in
 * decimal, nulls as "(nil)", errors as "-ERR ...", aggregates as
 * "[a,b,...]" (elements rendered the same way, bytes outside 0x20..0x7e as
 * \xHH). Returns 0 on success. */
int ept_redis_cmd(ept_redis *r, char *out, size_t cap, int argc, const char *const *argv, const size_t *lens);
/* The same with a NULL-terminated list of C strings. */
int ept_redis_cmdv(ept_redis *r, char *out, size_t cap, ...);
/* A flat reply: a scalar as one item (integers in decimal, a null as no
 * item and is_null = 1), an array of scalars as its items. Items are
 * malloc'd copies; free with ept_flat_free. */
typedef struct ept_flat {
    size_t n;
    char **item;
    size_t *len;
    int is_null;
    int is_error;
} ept_flat;
int ept_redis_flat(ept_redis *r, ept_flat *out, int argc, const char *const *argv, const size_t *lens);
int ept_redis_flatv(ept_redis *r, ept_flat *out, ...);
void ept_flat_free(ept_flat *f);

/* 1 if the server's log contains s. */
int ept_redis_log_has(const ept_redis *r, const char *s);


/* A canonical text form of a whole data set, to compare what our reader
 * sees with what a live redis-server holds: one line per key,
 * "db<TAB>key<TAB>kind<TAB>expire_ms<TAB>elements", elements escaped and
 * joined by ',' (lists in order; sets, hashes and zsets sorted; hash as
 * field=value, zset as member=score with the score in shortest text).
 * Lines are sorted by ept_canon_text. */
typedef struct ept_canon {
    char **line;
    size_t n, cap;
    uint64_t skipped;     /* streams / modules our reader reported */
    uint64_t functions;
} ept_canon;
void ept_canon_free(ept_canon *c);
/* From an RDB file through ep_rdb_read; returns its result. */
ep_result ept_canon_from_rdb(const char *path, ept_canon *out, ep_error *err);
/* From the server, databases 0..dbs-1 (streams are left out: our reader
 * skips them). Returns 0 on success. */
int ept_canon_from_server(ept_redis *r, int dbs, ept_canon *out);
/* From a keyspace as database db: a key's expiry is now_ms + its ttl
 * (-1 without one); vector and proto keys and NaN-scored sorted sets are
 * left out (they have no Redis form) and counted in skipped. */
void ept_canon_from_keyspace(const ep_keyspace *ks, uint64_t db, int64_t now_ms, ept_canon *out);
/* All lines sorted and joined by '\n' (malloc'd). */
char *ept_canon_text(ept_canon *c);
/* Prints the first difference of two canonical texts to stderr. */
void ept_canon_diff(const char *a, const char *b);

#endif
