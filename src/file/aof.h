/* aof: ember's append-only file (shard-{id}.aof), written and read through a
 * vfs. Layout in ember-format.md §2: "EAOF" + version byte, then records;
 * plaintext (v1/v2) record = tag + payload + CRC-32, encrypted (v3) record =
 * nonce(12) + ct_len(u32) + AES-256-GCM(tag + payload).
 *
 * Writer
 *   ep_aof_writer_config cfg; ep_aof_writer_config_init(&cfg);
 *   cfg.fsync = EP_FSYNC_ALWAYS;
 *   ep_aof_writer_open("data/shard-0.aof", &cfg, &w, &err);
 *   ep_aof_set(w, key, value, -1);             // one call per record kind
 *   ep_aof_writer_close(w);
 *
 * Durability words: "appended" = in the writer's buffer; "flushed" = handed
 * to the OS (survives a process crash); "synced" = fsync'd (survives power
 * loss). Policies: ALWAYS syncs before each append call returns (a batch
 * syncs once at its end); EVERYSEC syncs when >= 1 s has passed since the
 * last sync, checked on every append and on ep_aof_writer_tick (call it from
 * your idle loop); NO flushes only when the buffer fills and never syncs on
 * its own. ep_aof_writer_stats says what is synced.
 *
 * Open creates the file with a header (v2, or v3 with a key) and syncs it and
 * its directory. An existing file is checked: bad magic or version refuses;
 * a file whose version does not match the key setting refuses with
 * EP_ERR_FORMAT_MISMATCH (ember would mix formats, bug §4.5 - rewrite to
 * migrate); the records are scanned and a torn final record (a crash in the
 * middle of a write) is cut off so later appends stay readable (bug §8.4).
 * Real corruption (CRC mismatch, a cut record followed by valid ones ...)
 * refuses with the offset: the writer never truncates good data away.
 *
 * Every append call either adds all of its records or returns an error.
 * Errors: argument problems (bad UTF-8 key, negative EXPIRE ...) leave the
 * writer as it was; a failed write is cut back to the last complete record
 * and reported (ENOSPC -> EP_ERR_NO_SPACE), and the writer stays usable with
 * the earlier buffered records; a failed sync (or a write that cannot be cut
 * back) poisons the writer: every later call returns EP_ERR_POISONED and
 * ep_aof_writer_error keeps the original failure. fsync is never retried.
 *
 * A record larger than the buffer grows it for that record; the buffer
 * shrinks back once it is written.
 *
 * Peak allocation per call (all through cfg.alloc):
 *   open    the handle (~1 KiB) + 3 copies of the path + the write buffer
 *           (buffer_size + 64); with create_dir, 2 x strlen(dir) for a
 *           moment; for an existing file the scan adds min(scan_buffer_size,
 *           file size - 5), grown to the largest record if one is larger
 *           (v3: + a plaintext buffer of the largest record), freed before
 *           open returns.
 *   append  nothing, unless a record does not fit the buffer (then the
 *           buffer grows to hold it, and shrinks after the flush); the
 *           helpers that take arrays keep a scratch buffer of the largest
 *           item list they were given.
 *   flush, sync, tick, batch_*, close, drop_after_fork   nothing.
 *   rewrite 2 x strlen(path) for a moment.
 *
 * Reader
 *   ep_aof_reader_open(path, &rcfg, &r, &err);
 *   while ((res = ep_aof_reader_next(r, &rec)) == EP_OK) { ...rec... }
 *   if (res == EP_END) ep_aof_reader_status(r, &st);  // clean or torn
 * Peak allocation: open, the handle (~0.5 KiB); the first next, one buffer
 * of min(chunk_size, file size - 5) (256 KiB default: a 5-byte file gets
 * none), growing only for a record larger than it, never beyond the file
 * nor max_record_size; v3 adds a plaintext buffer of the largest record.
 * Nothing more per record. The views in rec are valid until the next
 * call. Checks in ember's order: caps as each length/count is read, then the
 * CRC (or GCM tag), then UTF-8 and value rules. Beyond ember: a record cut
 * short at the end of the file is a torn tail only if no complete record
 * with a valid CRC (or GCM tag) starts in the EP_AOF_RESYNC_WINDOW bytes
 * after it; otherwise a damaged length hid the rest of the file and the
 * reader reports EP_ERR_CORRUPT at that record. */
#ifndef EP_AOF_H
#define EP_AOF_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "crypto/crypto.h"
#include "codec/codec_aof.h"
#include "codec/aof_build.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_AOF_HEADER_SIZE 5
#define EP_AOF_VERSION_PLAIN 2
#define EP_AOF_VERSION_ENCRYPTED 3
/* How far past a cut-short record the reader looks for a valid one. */
#define EP_AOF_RESYNC_WINDOW (1024u * 1024u)


/* "dir/shard-{id}.aof" into out (cap bytes); EP_ERR_LIMIT if it does not fit. */
EP_API ep_result ep_aof_path(const char *dir, ep_shard_id shard_id, char *out, size_t cap);

/* ---- writer ---------------------------------------------------------------- */

typedef struct ep_aof_writer_config {
    ep_vfs *vfs;                    /* NULL: the OS file system */
    const ep_allocator *alloc;      /* NULL: default */
    ep_fsync_policy fsync;          /* default EP_FSYNC_EVERYSEC (ember's default) */
    size_t buffer_size;             /* default 64 KiB */
    /* Read buffer of open's scan of an existing file: default 256 KiB;
     * open allocates min(this, the file's size) and grows it only for a
     * record that does not fit (never beyond the file). */
    size_t scan_buffer_size;
    const ep_key *key;              /* NULL: plaintext v2; else encrypted v3 (caller keeps it alive) */
    /* Monotonic milliseconds for EVERYSEC; NULL: the OS monotonic clock. */
    uint64_t (*clock_ms)(void *user);
    void *clock_user;
    /* Nonces for v3 records; NULL: OS randomness (always, in real use).
     * Only for test vectors: a nonce must never repeat under one key. */
    ep_result (*nonce_fn)(void *user, uint8_t nonce[EP_NONCE_SIZE]);
    void *nonce_user;
    /* 0 (default): only a torn final record is cut at open; any other damage
     * refuses. 1: also cut a damaged final region (CRC mismatch, unknown
     * tag, garbage after a power loss) when no valid record follows it in
     * the EP_AOF_RESYNC_WINDOW bytes to the end of the file. Opt-in: a
     * damaged last record might have been acknowledged (bit rot). */
    int repair_tail;
    /* 0 (default): the file's directory must exist (EP_ERR_NOT_FOUND).
     * 1: open creates the missing directories of the path (mode 0700 on
     * POSIX) and syncs each parent it added an entry to. */
    int create_dir;
} ep_aof_writer_config;

typedef struct ep_aof_writer ep_aof_writer;

typedef struct ep_aof_stats {
    uint8_t version;          /* the file's format version */
    uint64_t records;         /* records appended through this handle */
    uint64_t size;            /* file size including what is still buffered */
    uint64_t flushed_offset;  /* bytes handed to the OS */
    uint64_t synced_offset;   /* bytes known durable (everything before is synced) */
    uint64_t syncs;           /* fsync calls made */
    uint64_t trimmed_bytes;   /* torn (or, with repair_tail, damaged) tail cut off at open */
} ep_aof_stats;

EP_API void ep_aof_writer_config_init(ep_aof_writer_config *cfg);
/* err (may be NULL) receives the detail when open fails. */
EP_API ep_result ep_aof_writer_open(const char *path, const ep_aof_writer_config *cfg, ep_aof_writer **out,
                                    ep_error *err);
/* Syncs (ALWAYS/EVERYSEC) or flushes (NO), closes and frees; w is gone even on error. */
EP_API ep_result ep_aof_writer_close(ep_aof_writer *w);
EP_API const ep_error *ep_aof_writer_error(const ep_aof_writer *w);
EP_API void ep_aof_writer_stats(const ep_aof_writer *w, ep_aof_stats *out);
/* For a child process after fork(): frees the writer and closes its file
 * without writing, flushing or syncing anything, so the child never adds
 * the parent's buffered records to the file (the parent still owns them)
 * and never touches the parent's lock (the lock belongs to the file
 * description the parent keeps open; closing the child's copy releases
 * nothing). NULL is fine. Never call it in the process that opened w. */
EP_API void ep_aof_writer_drop_after_fork(ep_aof_writer *w);

/* Buffer -> OS. */
EP_API ep_result ep_aof_writer_flush(ep_aof_writer *w);
/* Buffer -> OS -> disk. */
EP_API ep_result ep_aof_writer_sync(ep_aof_writer *w);
/* EVERYSEC: syncs if >= 1 s passed since the last sync. Cheap; call it when idle. */
EP_API ep_result ep_aof_writer_tick(ep_aof_writer *w);
/* ember's truncate() for BGREWRITEAOF: writes a header alone to path.tmp,
 * syncs it, renames it over the AOF, syncs the directory and continues on the
 * new file. The new file is v3 with a key, v2 without: this is how a file
 * migrates between plaintext and encrypted. On an error before the rename the
 * old file stays in use; after it, the writer is poisoned. */
EP_API ep_result ep_aof_writer_rewrite(ep_aof_writer *w);

/* Generic appends. A batch is synced once under ALWAYS. */
EP_API ep_result ep_aof_append(ep_aof_writer *w, const ep_aof_record *rec);
EP_API ep_result ep_aof_append_batch(ep_aof_writer *w, const ep_aof_record *recs, size_t n);
/* Between begin and end, appends are not synced one by one; end applies the
 * policy once. Not nestable. */
EP_API ep_result ep_aof_batch_begin(ep_aof_writer *w);
EP_API ep_result ep_aof_batch_end(ep_aof_writer *w);

/* One call per record kind (§2.2). Keys, members, fields, names must be
 * UTF-8 (EP_ERR_UTF8); values are raw bytes. expire_ms < 0 = no expiry.
 * Each is the codec's builder (codec/aof_build.h, ep_aof_rec_<kind>) then
 * ep_aof_append. To keep your own ep_keyspace in step with the file, build
 * the record once and hand it to both:
 *   ep_aof_rec_hincrby(&rec, key, field, 1);
 *   if (ep_aof_append(w, &rec) == EP_OK) ep_keyspace_apply(ks, &rec, now_ms);
 * (ep_store, recover/store.h, does exactly that for you.) */
EP_API ep_result ep_aof_set(ep_aof_writer *w, ep_bytes key, ep_bytes value, int64_t expire_ms);
EP_API ep_result ep_aof_del(ep_aof_writer *w, ep_bytes key);
EP_API ep_result ep_aof_expire(ep_aof_writer *w, ep_bytes key, int64_t seconds);
EP_API ep_result ep_aof_lpush(ep_aof_writer *w, ep_bytes key, const ep_bytes *values, uint32_t n);
EP_API ep_result ep_aof_rpush(ep_aof_writer *w, ep_bytes key, const ep_bytes *values, uint32_t n);
EP_API ep_result ep_aof_lpop(ep_aof_writer *w, ep_bytes key);
EP_API ep_result ep_aof_rpop(ep_aof_writer *w, ep_bytes key);
EP_API ep_result ep_aof_zadd(ep_aof_writer *w, ep_bytes key, const double *scores, const ep_bytes *members,
                             uint32_t n);
EP_API ep_result ep_aof_zrem(ep_aof_writer *w, ep_bytes key, const ep_bytes *members, uint32_t n);
EP_API ep_result ep_aof_persist(ep_aof_writer *w, ep_bytes key);
EP_API ep_result ep_aof_pexpire(ep_aof_writer *w, ep_bytes key, int64_t ms);
EP_API ep_result ep_aof_incr(ep_aof_writer *w, ep_bytes key);
EP_API ep_result ep_aof_decr(ep_aof_writer *w, ep_bytes key);
EP_API ep_result ep_aof_hset(ep_aof_writer *w, ep_bytes key, const ep_bytes *fields, const ep_bytes *values,
                             uint32_t n);
EP_API ep_result ep_aof_hdel(ep_aof_writer *w, ep_bytes key, const ep_bytes *fields, uint32_t n);
EP_API ep_result ep_aof_hincrby(ep_aof_writer *w, ep_bytes key, ep_bytes field, int64_t delta);
EP_API ep_result ep_aof_sadd(ep_aof_writer *w, ep_bytes key, const ep_bytes *members, uint32_t n);
EP_API ep_result ep_aof_srem(ep_aof_writer *w, ep_bytes key, const ep_bytes *members, uint32_t n);
EP_API ep_result ep_aof_incrby(ep_aof_writer *w, ep_bytes key, int64_t delta);
EP_API ep_result ep_aof_decrby(ep_aof_writer *w, ep_bytes key, int64_t delta);
/* The APPEND command (ep_aof_append is the generic record append). */
EP_API ep_result ep_aof_append_value(ep_aof_writer *w, ep_bytes key, ep_bytes value);
EP_API ep_result ep_aof_rename(ep_aof_writer *w, ep_bytes key, ep_bytes new_key);
EP_API ep_result ep_aof_proto_set(ep_aof_writer *w, ep_bytes key, ep_bytes type_name, ep_bytes data,
                                  int64_t expire_ms);
EP_API ep_result ep_aof_proto_register(ep_aof_writer *w, ep_bytes name, ep_bytes descriptor);
EP_API ep_result ep_aof_vadd(ep_aof_writer *w, ep_bytes key, ep_bytes element, const float *vector, uint32_t dim,
                             uint8_t metric, uint8_t quantization, uint32_t connectivity, uint32_t expansion_add);
EP_API ep_result ep_aof_vrem(ep_aof_writer *w, ep_bytes key, ep_bytes element);
EP_API ep_result ep_aof_copy(ep_aof_writer *w, ep_bytes source, ep_bytes destination, int replace);
EP_API ep_result ep_aof_lset(ep_aof_writer *w, ep_bytes key, int64_t index, ep_bytes value);
EP_API ep_result ep_aof_ltrim(ep_aof_writer *w, ep_bytes key, int64_t start, int64_t stop);
EP_API ep_result ep_aof_linsert(ep_aof_writer *w, ep_bytes key, int before, ep_bytes pivot, ep_bytes value);
EP_API ep_result ep_aof_lrem(ep_aof_writer *w, ep_bytes key, int64_t count, ep_bytes value);
EP_API ep_result ep_aof_setrange(ep_aof_writer *w, ep_bytes key, int64_t offset, ep_bytes value);
EP_API ep_result ep_aof_setbit(ep_aof_writer *w, ep_bytes key, uint64_t offset, uint8_t bit);
EP_API ep_result ep_aof_bitop(ep_aof_writer *w, uint8_t op, ep_bytes dest, const ep_bytes *keys, uint32_t n);
EP_API ep_result ep_aof_pexpireat(ep_aof_writer *w, ep_bytes key, int64_t unix_ms);

/* ---- reader ---------------------------------------------------------------- */

typedef struct ep_aof_reader_config {
    ep_vfs *vfs;                    /* NULL: the OS file system */
    const ep_allocator *alloc;      /* NULL: default */
    const ep_key *key;              /* needed for v3 files; ignored for v1/v2 */
    size_t chunk_size;              /* default 256 KiB */
    size_t max_record_size;         /* default 1 GiB (EP_ERR_LIMIT above it) */
} ep_aof_reader_config;

typedef enum ep_aof_end {
    EP_AOF_READING = 0,    /* not at the end yet */
    EP_AOF_END_CLEAN = 1,  /* every byte was a complete, valid record */
    EP_AOF_END_TORN = 2,   /* the last record was cut short (crash mid-write); tail_bytes follow good_offset */
    EP_AOF_END_ERROR = 3   /* stopped at an error; see error (code, offset, index, message) */
} ep_aof_end;

typedef struct ep_aof_status {
    ep_aof_end end;
    uint8_t version;
    uint64_t records;      /* records returned */
    uint64_t good_offset;  /* end of the last good record */
    uint64_t tail_bytes;   /* END_TORN: bytes after good_offset */
    ep_error error;        /* END_ERROR: the failure */
} ep_aof_status;

typedef struct ep_aof_reader ep_aof_reader;

EP_API void ep_aof_reader_config_init(ep_aof_reader_config *cfg);
/* Reads the header: EP_ERR_EOF (shorter than 5 bytes), EP_ERR_BAD_MAGIC,
 * EP_ERR_BAD_VERSION (0 or > 3), EP_ERR_ENCRYPTION_REQUIRED (v3, no key). */
EP_API ep_result ep_aof_reader_open(const char *path, const ep_aof_reader_config *cfg, ep_aof_reader **out,
                                    ep_error *err);
/* EP_OK and a record; EP_END at a clean end or a torn tail; or the error
 * (repeated on later calls). */
EP_API ep_result ep_aof_reader_next(ep_aof_reader *r, ep_aof_record *rec);
EP_API void ep_aof_reader_status(const ep_aof_reader *r, ep_aof_status *out);
EP_API const ep_error *ep_aof_reader_error(const ep_aof_reader *r);
/* Salvage (repair tools): after next returned a damage error (CRC, tag,
 * cap, UTF-8, value, decryption, a record cut short before valid ones),
 * looks for the next offset where a complete record with a valid CRC (or
 * GCM tag) starts, over the whole rest of the file, and goes on reading
 * there: EP_OK and *resume_offset (the damage is [error offset, resume)).
 * EP_END and *resume_offset = the file's size if nothing valid follows.
 * Record indexes go on counting good records only. EP_ERR_STATE if the
 * reader is not stopped at an error; I/O and memory errors are returned as
 * they are (never skipped). A record found this way passed its CRC but might
 * still be one a damaged length had hidden: the caller decides to keep it. */
EP_API ep_result ep_aof_reader_skip_damage(ep_aof_reader *r, uint64_t *resume_offset);
EP_API void ep_aof_reader_close(ep_aof_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* EP_AOF_H */
