/* aof_manifest: Redis 7's multi-part AOF directory (appendonlydir/): the
 * text manifest (one "file <name> seq <n> type <b|h|i>" line per file,
 * pairs in any order, '#' comments, every line ended by '\n'), a reader that
 * loads the base (RDB, or RESP when it does not start with "REDIS"; an RDB
 * base may have a RESP tail) and then the incr files in order, and a rewrite
 * that publishes a new base, a new empty incr and a new manifest
 * crash-safely: the manifest's rename is the one switch, so a power cut
 * leaves the old directory or the new one, never a mix. */
#ifndef EP_AOF_MANIFEST_H
#define EP_AOF_MANIFEST_H

#include "file/rdb.h"
#include "file/resp_aof.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

#define EP_AOF_MANIFEST_MAX_SIZE  (1u << 20)   /* bytes of manifest text read */
#define EP_AOF_MANIFEST_MAX_LINE  1024u        /* Redis's own line limit */
#define EP_AOF_MANIFEST_MAX_FILES 4096u
#define EP_AOF_MANIFEST_NAME_MAX  255u

typedef enum ep_aof_file_type {
    EP_AOF_FILE_BASE = 'b',
    EP_AOF_FILE_HISTORY = 'h',
    EP_AOF_FILE_INCR = 'i'
} ep_aof_file_type;

typedef struct ep_aof_manifest_file {
    char name[EP_AOF_MANIFEST_NAME_MAX + 1];   /* a plain file name (no '/') */
    uint64_t seq;
    ep_aof_file_type type;
} ep_aof_manifest_file;

typedef struct ep_aof_manifest {
    ep_aof_manifest_file *files;  /* in manifest order */
    size_t n;
    const ep_allocator *alloc;
} ep_aof_manifest;

/* Parses manifest text. EP_ERR_PROTOCOL with the offset for a malformed
 * line (a missing field, an unknown type, a name with '/', a last line
 * without '\n' as Redis refuses it, two bases), EP_ERR_LIMIT above the caps. */
EP_API ep_result ep_aof_manifest_parse(const uint8_t *text, size_t len, const ep_allocator *alloc,
                                       ep_aof_manifest *out, ep_error *err);
/* The text Redis writes (base first, then history, then incr files). */
EP_API ep_result ep_aof_manifest_format(const ep_aof_manifest *m, ep_buf *out);
EP_API void ep_aof_manifest_free(ep_aof_manifest *m);
/* The base entry, or NULL. */
EP_API const ep_aof_manifest_file *ep_aof_manifest_base(const ep_aof_manifest *m);
/* Redis's load order: order[0..count) gets the indices into m->files of the
 * base, then of the incr files as listed (history entries are skipped).
 * order must hold m->n entries. Returns count. */
EP_API size_t ep_aof_manifest_load_order(const ep_aof_manifest *m, size_t *order);
/* Redis's rule for how one loaded file ended (the one place for it): a
 * truncated tail (aof-load-truncated) is tolerated only in the last file
 * loaded (last != 0); anywhere else EP_ERR_EOF naming the file and the
 * offset valid_bytes. Any other end is EP_OK. */
EP_API ep_result ep_aof_dir_file_end(const ep_aof_manifest_file *mf, int last, ep_resp_aof_end end,
                                     uint64_t valid_bytes, ep_error *err);

/* ---- reading a directory --------------------------------------------------- */

typedef struct ep_aof_dir_config {
    ep_vfs *vfs;
    const ep_allocator *alloc;
    const char *manifest_name;    /* default "appendonly.aof.manifest" */
    ep_rdb_reader_config rdb;     /* for an RDB base (its vfs/alloc are set from here) */
    ep_resp_aof_reader_config resp;
} ep_aof_dir_config;
EP_API void ep_aof_dir_config_init(ep_aof_dir_config *cfg);

typedef struct ep_aof_dir_visitor {
    const ep_rdb_visitor *rdb;    /* an RDB base's keys (NULL: walked and dropped) */
    ep_result (*command)(void *user, ep_aof_file_type from, size_t argc, const ep_bytes *argv);
    void *user;
} ep_aof_dir_visitor;

typedef struct ep_aof_dir_status {
    int base_is_rdb;
    uint64_t base_keys;           /* keys of an RDB base */
    uint64_t commands;            /* RESP commands (base tail, RESP base, incr files) */
    uint64_t files;               /* base + incr files read (history entries are not) */
    uint64_t history;             /* history entries skipped */
    ep_resp_aof_end end;          /* of the last file: TRUNCATED is what Redis loads with aof-load-truncated */
    char last_file[EP_AOF_MANIFEST_NAME_MAX + 1];
    uint64_t valid_bytes;         /* of the last file */
} ep_aof_dir_status;

/* Reads dir's manifest and its files in Redis's order
 * (ep_aof_manifest_load_order). A truncated tail is accepted only in the last
 * file (status.end; ep_aof_dir_file_end); a truncated earlier file, damage,
 * or a missing file is an error naming the file. */
EP_API ep_result ep_aof_dir_read(const char *dir, const ep_aof_dir_config *cfg, const ep_aof_dir_visitor *v,
                                 ep_aof_dir_status *st, ep_error *err);

/* ---- writing: a new directory, or a rewrite of one ------------------------- */

typedef struct ep_aof_rewrite ep_aof_rewrite;

typedef struct ep_aof_rewrite_config {
    ep_vfs *vfs;
    const ep_allocator *alloc;
    const char *file_prefix;      /* default "appendonly.aof" (Redis's appendfilename) */
    ep_rdb_writer_config rdb;     /* the base's writer (aof_base is forced to 1) */
    int keep_history;             /* 1: old files stay as type h (aof-disable-auto-gc yes); 0: removed */
} ep_aof_rewrite_config;
EP_API void ep_aof_rewrite_config_init(ep_aof_rewrite_config *cfg);

/* Starts a rewrite of dir (created if missing; an absent manifest starts at
 * seq 1): *base is the RDB writer of <prefix>.<seq>.base.rdb, for the host
 * to fill with every key. Nothing the old manifest names is touched. */
EP_API ep_result ep_aof_rewrite_begin(const char *dir, const ep_aof_rewrite_config *cfg, ep_aof_rewrite **out,
                                      ep_rdb_writer **base, ep_error *err);
/* Publishes: the base (tmp, sync, rename), an empty incr
 * <prefix>.<seq>.incr.aof (synced), the manifest (tmp, sync, rename,
 * directory sync), then removes the old files unless keep_history. The
 * incr's path is copied to incr_path (cap bytes) for ep_resp_aof_writer_open.
 * The handle is freed whatever the result. */
EP_API ep_result ep_aof_rewrite_commit(ep_aof_rewrite *rw, char *incr_path, size_t cap, ep_error *err);
/* Drops the new base; the old directory stays as it was. */
EP_API void ep_aof_rewrite_abort(ep_aof_rewrite *rw);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_AOF_MANIFEST_H */
