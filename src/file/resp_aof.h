/* resp_aof: Redis's append-only file of RESP commands (a plain
 * appendonly.aof, or one incr file of a 7.0 multi-part AOF). A writer that
 * appends commands given as argument vectors (binary safe) on the same
 * stream core as the ember AOF (fsync always / everysec / no, batches,
 * poisoning after a failed sync, cut-back of a failed write, an exclusive
 * lock, a torn final command trimmed at open as Redis's aof-load-truncated
 * does); and a streaming reader that stops at a truncated final command and
 * reports its offset, and reports damage in the middle as an error with the
 * offset (Redis refuses such a file whatever aof-load-truncated says). */
#ifndef EP_RESP_AOF_H
#define EP_RESP_AOF_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "codec/codec_resp.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

/* ---- writer ------------------------------------------------------------ */

typedef struct ep_resp_aof_writer ep_resp_aof_writer;

typedef struct ep_resp_aof_writer_config {
    ep_vfs *vfs;                    /* NULL: the OS */
    const ep_allocator *alloc;
    ep_fsync_policy fsync;          /* default EP_FSYNC_EVERYSEC (Redis's appendfsync default) */
    size_t buffer_size;             /* default 64 KiB */
    uint64_t (*clock_ms)(void *user); /* EVERYSEC's clock; NULL: the OS monotonic clock */
    void *clock_user;
    int create_dir;                 /* create the file's missing directories */
    int repair_tail;                /* default 1: cut a torn final command (or an unfinished MULTI) at open */
} ep_resp_aof_writer_config;
EP_API void ep_resp_aof_writer_config_init(ep_resp_aof_writer_config *cfg);

/* Opens (creating) the file, takes its lock, and checks what is there: a
 * clean file is appended to; a torn tail is cut off (repair_tail) or
 * refused with EP_ERR_EOF; damage before the tail is refused with
 * EP_ERR_PROTOCOL and its offset (appending after it would hide it). */
EP_API ep_result ep_resp_aof_writer_open(const char *path, const ep_resp_aof_writer_config *cfg,
                                         ep_resp_aof_writer **out, ep_error *err);
/* One command. The fsync policy applies per call (ALWAYS: durable on
 * return), or once at batch_end. */
EP_API ep_result ep_resp_aof_append(ep_resp_aof_writer *w, size_t argc, const ep_bytes *argv);
/* The same in database db: a SELECT goes first when db is not the one the
 * file is in (always before the writer's first command, as Redis does). */
EP_API ep_result ep_resp_aof_append_db(ep_resp_aof_writer *w, uint64_t db, size_t argc, const ep_bytes *argv);
EP_API ep_result ep_resp_aof_batch_begin(ep_resp_aof_writer *w);
EP_API ep_result ep_resp_aof_batch_end(ep_resp_aof_writer *w);
EP_API ep_result ep_resp_aof_flush(ep_resp_aof_writer *w);
EP_API ep_result ep_resp_aof_sync(ep_resp_aof_writer *w);
/* EVERYSEC: call from the host's loop; syncs if a second has passed. */
EP_API ep_result ep_resp_aof_tick(ep_resp_aof_writer *w);
/* The file size with everything appended, and the prefix known durable. */
EP_API uint64_t ep_resp_aof_size(const ep_resp_aof_writer *w);
EP_API uint64_t ep_resp_aof_synced(const ep_resp_aof_writer *w);
/* Bytes the open cut off a torn tail (0 if none). */
EP_API uint64_t ep_resp_aof_trimmed(const ep_resp_aof_writer *w);
/* Flushes (and syncs unless the policy is NO), then closes. */
EP_API ep_result ep_resp_aof_writer_close(ep_resp_aof_writer *w);
EP_API const ep_error *ep_resp_aof_writer_error(const ep_resp_aof_writer *w);

/* ---- reader ------------------------------------------------------------ */

typedef struct ep_resp_aof_reader ep_resp_aof_reader;

typedef struct ep_resp_aof_reader_config {
    ep_vfs *vfs;
    const ep_allocator *alloc;
    size_t chunk_size;              /* default 256 KiB */
    uint64_t start;                 /* offset of the first command (after an RDB preamble) */
    uint64_t max_bulk;              /* default EP_RESP_MAX_BULK */
    uint32_t max_args;              /* default EP_RESP_MAX_ARGS */
} ep_resp_aof_reader_config;
EP_API void ep_resp_aof_reader_config_init(ep_resp_aof_reader_config *cfg);

typedef enum ep_resp_aof_end {
    EP_RESP_AOF_CLEAN = 0,          /* every command complete */
    EP_RESP_AOF_TRUNCATED = 1,      /* the last command is cut, or a MULTI has no EXEC: Redis loads the
                                       prefix up to valid_bytes (aof-load-truncated yes) */
    EP_RESP_AOF_DAMAGED = 2         /* a protocol error before the end: Redis refuses the file */
} ep_resp_aof_end;

typedef struct ep_resp_aof_status {
    ep_resp_aof_end end;
    uint64_t commands;              /* complete commands returned */
    uint64_t valid_bytes;           /* Redis's ok_up_to: the end of the last complete command (before an
                                       unfinished MULTI) */
    uint64_t file_size;
    uint64_t annotations;           /* "#TS:" lines skipped */
    ep_error error;                 /* DAMAGED: the message and offset */
} ep_resp_aof_status;

EP_API ep_result ep_resp_aof_reader_open(const char *path, const ep_resp_aof_reader_config *cfg,
                                         ep_resp_aof_reader **out, ep_error *err);
/* The next command: EP_OK (views valid until the next call), EP_END (see
 * the status: clean or truncated), EP_ERR_PROTOCOL / EP_ERR_LIMIT
 * (damaged), or an I/O error. Commands inside a MULTI are returned as they
 * come; a caller that applies them must hold them until EXEC (an
 * unfinished MULTI ends the file as TRUNCATED). */
EP_API ep_result ep_resp_aof_reader_next(ep_resp_aof_reader *r, ep_resp_command *out);
EP_API void ep_resp_aof_reader_status(const ep_resp_aof_reader *r, ep_resp_aof_status *out);
/* The file offset just after the last command returned (its start is this
 * minus ep_resp_command_size of its argv): where a dump says it is. */
EP_API uint64_t ep_resp_aof_reader_offset(const ep_resp_aof_reader *r);
EP_API void ep_resp_aof_reader_close(ep_resp_aof_reader *r);

/* Reads a whole RESP AOF (from cfg->start) and calls fn for every command
 * (a non-zero return stops it and is returned). Returns EP_OK for a clean
 * or truncated end (see st), the damage code otherwise. */
EP_API ep_result ep_resp_aof_read_all(const char *path, const ep_resp_aof_reader_config *cfg,
                                      ep_result (*fn)(void *user, size_t argc, const ep_bytes *argv), void *user,
                                      ep_resp_aof_status *st, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_RESP_AOF_H */
