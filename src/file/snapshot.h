/* snapshot: ember snapshot files (shard-{id}.snap, ember-format.md §3) on a
 * vfs. The writer streams entries into "<stem>.snap.tmp" and makes it the
 * snapshot atomically (sync, rename, directory sync); the reader streams them
 * back and verifies the footer CRC at the end.
 *
 *   ep_snapshot_writer *w;
 *   ep_snapshot_writer_config wc;
 *   ep_snapshot_writer_config_init(&wc);
 *   ep_snapshot_path("data", 3, path, sizeof path);         data/shard-3.snap
 *   ep_snapshot_writer_begin(path, 3, &wc, &w, &err);
 *   ep_snapshot_writer_add_string(w, key, value, -1);       ... one per key
 *   ep_snapshot_writer_commit(w, &err);                     durable only if EP_OK; w is gone
 *   (or ep_snapshot_writer_abort(w): the old snapshot stays, w is gone)
 *
 *   ep_snapshot_reader *r;
 *   ep_snapshot_reader_config rc;
 *   ep_snapshot_reader_config_init(&rc);    rc.check_shard = 1; rc.shard_id = 3;
 *   ep_snapshot_reader_open(path, &rc, &r, &err);
 *   while ((res = ep_snapshot_reader_next(r, &e)) == EP_OK) { ... }
 *   res == EP_END: every entry read and the footer CRC matched.
 *   Anything else is an error (ep_snapshot_reader_error has offset/index).
 *   ep_snapshot_reader_close(r);
 *
 * Entries come back before the footer can be checked (ember's format puts
 * the CRC at the end), so a caller that must not act on a corrupt file
 * buffers the entries until EP_END, as ember's recovery does.
 *
 * Peak allocation per call (all through cfg.alloc):
 *   writer begin   the handle (~0.7 KiB) + 2 copies of path + a copy of the trailer +
 *                  the buffer (buffer_size + 64; default 1 MiB); with
 *                  create_dir, 2 x strlen(dir) for a moment.
 *   writer add     nothing, unless an entry does not fit the buffer (it
 *                  grows for that entry, and shrinks after the write); v3
 *                  keeps one plaintext buffer of the largest entry; the
 *                  add_* conveniences keep one buffer of the largest item
 *                  list.
 *   writer commit  strlen(path) + 2 for a moment; then everything is freed.
 *   reader open    the handle (~0.6 KiB).
 *   reader next    the first call: min(buffer_size, file size - 11), growing
 *                  only for an entry larger than it (never beyond the file);
 *                  v3 adds a plaintext buffer of the largest entry.
 *   reader trailer the trailer's length (at most max_trailer). */
#ifndef EP_SNAPSHOT_H
#define EP_SNAPSHOT_H

#include "base/base.h"
#include "crypto/crypto.h"
#include "vfs/vfs.h"
#include "codec/codec_snap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_SNAPSHOT_HEADER_SIZE 11
#define EP_SNAPSHOT_DEFAULT_BUFFER (1u << 20)
#define EP_SNAPSHOT_DEFAULT_MAX_TRAILER (64u * 1024u)

/* "dir/shard-{id}.snap" (just the name if dir is ""); EP_ERR_LIMIT if it does not fit in cap. */
EP_API ep_result ep_snapshot_path(const char *dir, ep_shard_id shard_id, char *out, size_t cap);
/* The temporary file the writer uses for path: the extension replaced by
 * "snap.tmp", as ember does (shard-3.snap -> shard-3.snap.tmp). */
EP_API ep_result ep_snapshot_tmp_path(const char *path, char *out, size_t cap);

/* ---- writer ------------------------------------------------------------ */

/* Supplies a 12-byte nonce per encrypted entry. Tests only (fixed vectors):
 * a nonce must never repeat under one key. NULL = OS randomness. */
typedef ep_result (*ep_nonce_fn)(void *user, uint8_t nonce[EP_NONCE_SIZE]);

typedef struct ep_snapshot_writer_config {
    ep_vfs *vfs;                /* NULL = the OS file system */
    const ep_allocator *alloc;  /* NULL = default */
    const ep_key *key;          /* NULL = plaintext (version 2); else encrypted (version 3). Not copied:
                                   keep it alive until the writer is freed */
    size_t buffer_size;         /* bytes gathered before each write; default 1 MiB */
    ep_bytes trailer;           /* written after the footer (ember ignores bytes there); copied at begin.
                                   A reader returns it only if it is <= its max_trailer (default 64 KiB) */
    ep_nonce_fn nonce_fn;       /* tests only, see above */
    void *nonce_user;
    int create_dir;             /* 1: begin creates the missing directories of path (synced); default 0 */
} ep_snapshot_writer_config;

typedef struct ep_snapshot_writer ep_snapshot_writer;

EP_API void ep_snapshot_writer_config_init(ep_snapshot_writer_config *cfg);

/* Creates (truncates) the temporary file and writes the header with a
 * placeholder count. The file at path itself is not touched until commit.
 * cfg may be NULL (defaults). err (optional) gets the detail of a failure. */
EP_API ep_result ep_snapshot_writer_begin(const char *path, ep_shard_id shard_id, const ep_snapshot_writer_config *cfg,
                                          ep_snapshot_writer **out, ep_error *err);

/* Appends one entry (v2 encoding, §3.2). An entry the codec refuses
 * (EP_ERR_INVALID_ARG, EP_ERR_LIMIT, EP_ERR_BAD_VALUE) is not written and
 * the writer stays usable. An I/O failure fails the writer: every later call
 * returns that error, and only abort (or a commit, which then fails) is left. */
EP_API ep_result ep_snapshot_writer_add(ep_snapshot_writer *w, const ep_snap_entry *e);

/* Conveniences that build the entry. expire_ms: remaining ms, -1 = none. */
EP_API ep_result ep_snapshot_writer_add_string(ep_snapshot_writer *w, ep_bytes key, ep_bytes value,
                                               int64_t expire_ms);
EP_API ep_result ep_snapshot_writer_add_list(ep_snapshot_writer *w, ep_bytes key, const ep_bytes *items,
                                             uint32_t count, int64_t expire_ms);
/* Ember writes members in ascending (score, member) order; any order reads back. */
EP_API ep_result ep_snapshot_writer_add_zset(ep_snapshot_writer *w, ep_bytes key, const double *scores,
                                             const ep_bytes *members, uint32_t count, int64_t expire_ms);
EP_API ep_result ep_snapshot_writer_add_hash(ep_snapshot_writer *w, ep_bytes key, const ep_bytes *fields,
                                             const ep_bytes *values, uint32_t count, int64_t expire_ms);
EP_API ep_result ep_snapshot_writer_add_set(ep_snapshot_writer *w, ep_bytes key, const ep_bytes *members,
                                            uint32_t count, int64_t expire_ms);
EP_API ep_result ep_snapshot_writer_add_proto(ep_snapshot_writer *w, ep_bytes key, ep_bytes type_name,
                                              ep_bytes data, int64_t expire_ms);
/* vectors: count * dim floats, element i at vectors[i * dim] (host floats; stored LE).
 * metric and quantization must be <= 2. */
EP_API ep_result ep_snapshot_writer_add_vector(ep_snapshot_writer *w, ep_bytes key, uint8_t metric,
                                               uint8_t quantization, uint32_t connectivity, uint32_t expansion_add,
                                               uint32_t dim, const ep_bytes *names, const float *vectors,
                                               uint32_t count, int64_t expire_ms);

/* Entries appended so far. */
EP_API void ep_snapshot_writer_count(const ep_snapshot_writer *w, uint32_t *out);

/* Publishes the snapshot and ends the writer (w is freed whatever the
 * result, as sqlite3_finalize or mdb_txn_commit do): writes the footer CRC
 * and the trailer, patches the entry count, syncs the temporary file,
 * renames it over path and syncs the directory. EP_OK means the new
 * snapshot is durable. A failure before the rename leaves the old snapshot
 * as it was and removes the temporary file; a failure of the directory sync
 * (after the rename) is reported: the new snapshot is in place but may not
 * survive power loss. err (may be NULL) receives the detail of a failure,
 * including one of an earlier add that failed the writer. */
EP_API ep_result ep_snapshot_writer_commit(ep_snapshot_writer *w, ep_error *err);

/* Abandons the snapshot and ends the writer: closes and removes the
 * temporary file (the result says whether that worked) and frees w. The
 * file at path is never touched. NULL is fine. */
EP_API ep_result ep_snapshot_writer_abort(ep_snapshot_writer *w);

/* The detail of the last failure of an add call. */
EP_API const ep_error *ep_snapshot_writer_error(const ep_snapshot_writer *w);

/* ---- reader ------------------------------------------------------------ */

typedef struct ep_snapshot_reader_config {
    ep_vfs *vfs;                /* NULL = the OS file system */
    const ep_allocator *alloc;  /* NULL = default */
    const ep_key *key;          /* needed for version 3 (else EP_ERR_ENCRYPTION_REQUIRED); ignored for 1 and 2 */
    int check_shard;            /* 0 (default): any shard; 1: EP_ERR_SHARD_MISMATCH unless the header says shard_id */
    ep_shard_id shard_id;       /* the expected shard when check_shard is 1 */
    size_t buffer_size;         /* read size; default 1 MiB */
    size_t max_trailer;         /* longest trailer returned; default 64 KiB */
} ep_snapshot_reader_config;

typedef struct ep_snapshot_info {
    uint8_t version;            /* 1, 2 or 3 */
    int encrypted;              /* version 3 */
    ep_shard_id shard_id;
    uint32_t entry_count;       /* from the header */
    uint64_t file_size;
    uint64_t entries_read;      /* so far */
    uint64_t entry_offset;      /* file offset of the entry last returned by next */
    uint64_t footer_offset;     /* valid once next returned EP_END */
    uint64_t trailer_len;       /* bytes after the footer; valid at EP_END */
} ep_snapshot_info;

typedef struct ep_snapshot_reader ep_snapshot_reader;

EP_API void ep_snapshot_reader_config_init(ep_snapshot_reader_config *cfg);

/* Opens path and reads the header (§1.6, §3.6): EP_ERR_EOF (short header),
 * EP_ERR_BAD_MAGIC, EP_ERR_BAD_VERSION (0 or > 3), EP_ERR_ENCRYPTION_REQUIRED
 * (version 3 without a key), EP_ERR_SHARD_MISMATCH. cfg may be NULL. */
EP_API ep_result ep_snapshot_reader_open(const char *path, const ep_snapshot_reader_config *cfg,
                                         ep_snapshot_reader **out, ep_error *err);

/* The next entry (views valid until the next call or close), then
 * EP_END once entry_count entries were read and the footer CRC
 * matched. Errors: EP_ERR_EOF (the file ends inside an entry or before the
 * footer), EP_ERR_CHECKSUM, EP_ERR_DECRYPT, and the codec's (EP_ERR_LIMIT,
 * EP_ERR_UNKNOWN_TAG, EP_ERR_UTF8, EP_ERR_BAD_VALUE); the error detail has
 * the entry's byte offset and index. Errors and END repeat on later calls. */
EP_API ep_result ep_snapshot_reader_next(ep_snapshot_reader *r, ep_snap_entry *out);

EP_API void ep_snapshot_reader_info(const ep_snapshot_reader *r, ep_snapshot_info *out);

/* The bytes after the footer (not interpreted), valid until close. Only after
 * EP_END (else EP_ERR_STATE). Empty if there are none;
 * EP_ERR_LIMIT (and an empty view) if there are more than max_trailer. */
EP_API ep_result ep_snapshot_reader_trailer(ep_snapshot_reader *r, ep_bytes *out);

EP_API const ep_error *ep_snapshot_reader_error(const ep_snapshot_reader *r);
/* Closes the file and frees the reader. NULL is fine. */
EP_API void ep_snapshot_reader_close(ep_snapshot_reader *r);

/* ---- in memory (ember §3.7: replication full sync) ----------------------- */

/* The whole snapshot file of version 2 for entries[0..n) in one allocation
 * (*out, free with ep_free(alloc, ...)): the same bytes the writer makes. */
EP_API ep_result ep_snapshot_write_bytes(ep_shard_id shard_id, const ep_snap_entry *entries, size_t n,
                                         const ep_allocator *alloc, uint8_t **out, size_t *out_len);

/* Called per entry; views point into the caller's data. Non-zero stops the read
 * (ep_snapshot_read_bytes then returns EP_ERR_STATE). */
typedef int (*ep_snapshot_entry_fn)(void *ctx, const ep_snap_entry *e);

/* Reads a version-2 snapshot held in memory (versions 1 and 3 give
 * EP_ERR_BAD_VERSION, as ember's read_snapshot_from_bytes). Unlike the file
 * reader, every entry and the footer are checked before the first callback,
 * so fn only ever sees a verified snapshot. Applies all the codec's caps
 * (ember skips the vector ones here). shard_id may be NULL. Allocates nothing. */
EP_API ep_result ep_snapshot_read_bytes(const uint8_t *data, size_t len, ep_shard_id *shard_id,
                                        ep_snapshot_entry_fn fn, void *ctx, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_SNAPSHOT_H */
