/* rdb: Redis RDB files (dump.rdb, an AOF's base). A streaming reader that
 * walks a file through a visitor, record by record and element by
 * element, in memory bounded by the largest single string (never by the
 * file), checking the CRC-64 trailer; and a writer that publishes a file
 * atomically (tmp, sync, rename, directory sync) that redis-server 7.0
 * loads. Formats: ../shared/spec/redis-formats.md B.1 and C. */
#ifndef EP_RDB_H
#define EP_RDB_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "codec/codec_aof.h"
#include "codec/codec_rdb.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reader ------------------------------------------------------------ */

typedef struct ep_rdb_reader_config {
    ep_vfs *vfs;               /* NULL: the OS */
    const ep_allocator *alloc;
    size_t chunk_size;         /* bytes per read; default 1 MiB */
    uint64_t max_string;       /* longest string or blob; default EP_RDB_MAX_STRING */
    int skip_crc;              /* 1: do not verify the trailer (it is still read) */
} ep_rdb_reader_config;
EP_API void ep_rdb_reader_config_init(ep_rdb_reader_config *cfg);

/* The key being visited. expire_ms is absolute (Unix ms), -1 for none; a
 * seconds expiry (0xFD) is converted. idle / freq: -1 if the file has none. */
typedef struct ep_rdb_key {
    uint64_t db;
    ep_bytes key;
    int type;                  /* ep_rdb_type: the encoding in the file */
    const char *kind;          /* "string", "list", "set", "zset", "hash", "stream", "module" */
    int64_t expire_ms;
    int64_t idle;
    int freq;
    uint64_t offset;           /* of the key's first byte (its expiry or type) in the file */
} ep_rdb_key;

/* Callbacks; any may be NULL. A non-zero return stops the read, and
 * ep_rdb_read returns it. Views (ep_bytes) last until the callback returns.
 * For each key: key_begin, then element for every element (string: a =
 * value; list and set: a; hash: a = field, b = value; zset: a = member,
 * score), then key_end. A stream or module value is walked to its end and
 * reported through skipped (why = EP_ERR_UNSUPPORTED_TYPE) instead. */
typedef struct ep_rdb_visitor {
    void *user;
    ep_result (*aux)(void *user, ep_bytes name, ep_bytes value);
    ep_result (*select_db)(void *user, uint64_t db);
    ep_result (*resize_db)(void *user, uint64_t db_size, uint64_t expires_size);
    ep_result (*function)(void *user, ep_bytes library_code);   /* FUNCTION2, opaque */
    ep_result (*module_aux)(void *user, uint64_t module_id);    /* walked and skipped */
    ep_result (*key_begin)(void *user, const ep_rdb_key *k);
    ep_result (*element)(void *user, const ep_rdb_key *k, const ep_item *e);
    ep_result (*key_end)(void *user, const ep_rdb_key *k);
    ep_result (*skipped)(void *user, const ep_rdb_key *k, ep_result why);
} ep_rdb_visitor;

/* How the trailer was found. */
typedef enum ep_rdb_crc_state {
    EP_RDB_CRC_OK = 0,         /* verified */
    EP_RDB_CRC_ZERO = 1,       /* 8 zero bytes: saved with rdbchecksum no; not checked (as Redis) */
    EP_RDB_CRC_NONE = 2,       /* version < 5: the format has no checksum */
    EP_RDB_CRC_SKIPPED = 3     /* cfg.skip_crc */
} ep_rdb_crc_state;

typedef struct ep_rdb_info {
    int version;
    uint64_t keys;             /* keys visited (skipped ones included) */
    uint64_t skipped;          /* stream and module values */
    uint64_t dbs;              /* SELECTDB records */
    uint64_t functions;
    uint64_t bytes;            /* file bytes up to and including the trailer */
    uint64_t trailing;         /* bytes after the trailer (Redis ignores them) */
    ep_rdb_crc_state crc;
    int aof_base;              /* the aof-base AUX field said 1 */
} ep_rdb_info;

/* Reads a whole RDB file through v. EP_OK at a clean end (EOF opcode and a
 * good or absent CRC). Errors, with err->offset: EP_ERR_BAD_MAGIC,
 * EP_ERR_VERSION (newer than EP_RDB_VERSION_MAX), EP_ERR_EOF (truncated),
 * EP_ERR_CHECKSUM, EP_ERR_CORRUPT (a bad length, encoding or blob),
 * EP_ERR_UNKNOWN_TAG (an opcode or type this format does not have),
 * EP_ERR_UNSUPPORTED_TYPE (a pre-GA module value or 7.0-rc function record,
 * which cannot be skipped), EP_ERR_LIMIT, EP_ERR_NOMEM, EP_ERR_IO; or what
 * a callback returned. info may be NULL. */
EP_API ep_result ep_rdb_read(const char *path, const ep_rdb_reader_config *cfg, const ep_rdb_visitor *v,
                             ep_rdb_info *info, ep_error *err);
/* The same over bytes in memory (a DUMP payload's body, a fuzzer). */
EP_API ep_result ep_rdb_read_mem(const uint8_t *data, size_t len, const ep_rdb_reader_config *cfg,
                                 const ep_rdb_visitor *v, ep_rdb_info *info, ep_error *err);

/* ---- writer ------------------------------------------------------------ */
/* Writes a dump that Redis 7.0 (and, at version 9, 5.0 through 7.4) loads:
 * the simple types 0/1/2/4/5 (Redis re-encodes them on load), strings
 * with Redis's integer forms and optional LZF, millisecond expiries,
 * SELECTDB + RESIZEDB, AUX fields, FUNCTION2 libraries, the CRC-64 trailer.
 * The file appears atomically: everything goes to "<path>.tmp", which is
 * synced, renamed over path, and the directory synced (commit); abort, or a
 * failed commit, removes it and leaves path as it was.
 * It refuses, with EP_ERR_INVALID and the key in the error, what crashes or
 * confuses Redis: a key written twice in one database, an empty collection,
 * a member or field twice in one set, hash or zset, a NaN score. Such a
 * refusal is about one key: the writer stays usable. An I/O failure
 * poisons it (the stream core's rule): later calls return EP_ERR_POISONED. */
typedef struct ep_rdb_writer ep_rdb_writer;

typedef struct ep_rdb_writer_config {
    ep_vfs *vfs;               /* NULL: the OS */
    const ep_allocator *alloc;
    int version;               /* 10 (default, Redis 7.0) or 9 (Redis 5.0-6.2) */
    int compress;              /* LZF for strings over 20 bytes that shrink (rdbcompression); default 1 */
    int aof_base;              /* the aof-base AUX field is 1 (a multi-part AOF's base) */
    int check_duplicates;      /* default 1: keys per database and members per key (16 bytes per key kept) */
    int64_t ctime;             /* the ctime AUX (Unix seconds); 0: the clock; < 0: no AUX fields at all */
    size_t buffer_size;        /* default 1 MiB */
} ep_rdb_writer_config;
EP_API void ep_rdb_writer_config_init(ep_rdb_writer_config *cfg);

EP_API ep_result ep_rdb_writer_begin(const char *path, const ep_rdb_writer_config *cfg, ep_rdb_writer **out,
                                     ep_error *err);
/* An extra AUX field (before the first database). */
EP_API ep_result ep_rdb_writer_aux(ep_rdb_writer *w, ep_bytes name, ep_bytes value);
/* A function library's source ("#!lua name=..."), before the first database. */
EP_API ep_result ep_rdb_writer_function(ep_rdb_writer *w, ep_bytes code);
/* Starts database db (each at most once, any order); the sizes are the
 * RESIZEDB hint (0, 0: none written). */
EP_API ep_result ep_rdb_writer_select_db(ep_rdb_writer *w, uint64_t db, uint64_t db_size, uint64_t expires_size);
/* The same for a database whose keys all come from one source that holds
 * each key, and each member or field of a key, once by construction (an
 * ep_keyspace): the writer keeps no fingerprints for it and does not check
 * them (two CRCs per key and per member saved, and 16 bytes per key). The
 * caller vouches for that: a repeated key or member in it is written as
 * given (Redis then refuses or crashes on the file). The other refusals
 * stay. */
EP_API ep_result ep_rdb_writer_select_db_unique(ep_rdb_writer *w, uint64_t db, uint64_t db_size,
                                                uint64_t expires_size);
/* expire_ms: absolute Unix ms, or -1 for none. */
EP_API ep_result ep_rdb_writer_string(ep_rdb_writer *w, ep_bytes key, ep_bytes value, int64_t expire_ms);
EP_API ep_result ep_rdb_writer_list(ep_rdb_writer *w, ep_bytes key, const ep_bytes *items, size_t n, int64_t expire_ms);
EP_API ep_result ep_rdb_writer_set(ep_rdb_writer *w, ep_bytes key, const ep_bytes *members, size_t n,
                                   int64_t expire_ms);
EP_API ep_result ep_rdb_writer_hash(ep_rdb_writer *w, ep_bytes key, const ep_bytes *fields, const ep_bytes *values,
                                    size_t n, int64_t expire_ms);
EP_API ep_result ep_rdb_writer_zset(ep_rdb_writer *w, ep_bytes key, const ep_bytes *members, const double *scores,
                                    size_t n, int64_t expire_ms);
/* Keys written so far. */
EP_API uint64_t ep_rdb_writer_count(const ep_rdb_writer *w);
/* EOF + CRC-64, then publish; frees the writer. */
EP_API ep_result ep_rdb_writer_commit(ep_rdb_writer *w, ep_error *err);
/* Removes the temporary file; frees the writer. */
EP_API ep_result ep_rdb_writer_abort(ep_rdb_writer *w);
EP_API const ep_error *ep_rdb_writer_error(const ep_rdb_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_RDB_H */
