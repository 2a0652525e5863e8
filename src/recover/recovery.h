/* recovery: ember shard recovery (ember-format.md §5): load shard-{id}.snap
 * if present, replay shard-{id}.aof on top, drop keys whose ttl is 0.
 *
 *   ep_recover_config cfg;
 *   ep_recover_result res;
 *   ep_recover_config_init(&cfg);
 *   ep_recover_shard("data", 0, &cfg, &res, &err);
 *   ... res.keyspace (see keyspace.h), res.snapshot_*, res.aof_* ...
 *   ep_recover_result_free(&res);
 *
 * Like ember, recovery logs and goes on: a snapshot that fails in any way
 * (magic, version, shard id, truncation, caps, CRC, decryption) is reported
 * and skipped as a whole; an AOF error stops replay at that record, keeping
 * what was applied before it. Neither makes ep_recover_shard fail: it
 * returns an error for bad arguments, a missing directory, a snapshot
 * trailer that cannot say what the snapshot holds (below), EP_ERR_NOMEM, or
 * a visitor that returned an error. Recovery never changes a file.
 *
 * Two modes: build an ep_keyspace (res.keyspace, the caller frees it with
 * ep_recover_result_free), or hand every snapshot entry and AOF record to the
 * caller's visitor (for their own store). In visitor mode the snapshot is read
 * twice - once to verify its footer, once to deliver - so that no entry of a
 * snapshot that turns out bad reaches the visitor; ttl==0 entries are the
 * visitor's to drop.
 *
 * No record applied twice (fixes ember §5.4 / §8.5). ember replays the whole
 * AOF over a snapshot even when the snapshot already contains its records.
 * ep_shard_snapshot puts a trailer after the snapshot's footer (ember ignores
 * bytes there) that names the AOF prefix the snapshot covers: its length and
 * a 64-bit hash, plus the protobuf schemas. Recovery skips exactly that prefix
 * when the AOF's first bytes still have that hash. Otherwise it reads the
 * prefix's records: intact ones (the AOF was replaced) are all replayed; a
 * CRC or frame error inside it (damage) applies none of them and resumes at
 * the prefix's end. A trailer that is present but unreadable, or an intact
 * AOF shorter than the prefix, makes recovery refuse (EP_ERR_CORRUPT) rather
 * than guess, whenever the AOF has records. Files stay readable by ember.
 * The format and every crash window are in docs/recovery.md. */
#ifndef EP_RECOVERY_H
#define EP_RECOVERY_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "crypto/crypto.h"
#include "codec/codec_aof.h"
#include "codec/codec_snap.h"
#include "codec/codec_trailer.h"
#include "file/aof.h"
#include "file/snapshot.h"
#include "store/keyspace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ep_log_level {
    EP_LOG_INFO = 0,
    EP_LOG_WARN = 1,
    EP_LOG_ERROR = 2
} ep_log_level;

typedef void (*ep_log_fn)(void *user, ep_log_level level, const char *message);

typedef enum ep_recover_mode {
    EP_RECOVER_KEYSPACE = 0, /* build res.keyspace (EP_NO_KEYSPACE: EP_ERR_UNSUPPORTED) */
    EP_RECOVER_VISIT = 1     /* call the visitor instead */
} ep_recover_mode;

/* Visitor callbacks; a non-OK return stops recovery with that result. The
 * views are valid only during the call. Schemas kept in a snapshot trailer
 * arrive as PROTO.REGISTER records (index UINT64_MAX) before the AOF's. */
typedef struct ep_recover_visitor {
    ep_result (*entry)(void *user, const ep_snap_entry *entry);
    ep_result (*record)(void *user, const ep_aof_record *record, uint64_t index);
    void *user;
} ep_recover_visitor;

typedef struct ep_recover_config {
    ep_vfs *vfs;                /* NULL: the OS file system */
    const ep_allocator *alloc;  /* NULL: default */
    const ep_key *key;          /* for encrypted (v3) files; NULL: plaintext only */
    /* Unix epoch ms that PEXPIREAT is measured against; NULL: the OS clock. */
    int64_t (*wall_clock_ms)(void *user);
    void *clock_user;
    ep_log_fn log;              /* NULL: silent */
    void *log_user;
    ep_recover_mode mode;
    ep_recover_visitor visitor; /* EP_RECOVER_VISIT */
    uint64_t keyspace_seed;     /* EP_RECOVER_KEYSPACE: ep_keyspace_config.seed */
    int ignore_trailer;         /* non-zero: replay the whole AOF as ember does */
    /* Read buffer of the snapshot and AOF readers and of the prefix hash
     * (each grows to the largest entry or record; never more than the file
     * holds). 0: the readers' defaults (1 MiB snapshot, 256 KiB AOF). */
    size_t read_buffer_size;
} ep_recover_config;

/* How the snapshot trailer was used (docs/recovery.md). */
typedef enum ep_trailer_state {
    EP_TRAILER_NONE = 0,     /* no trailer (an ember snapshot), no snapshot loaded, or ignore_trailer */
    EP_TRAILER_APPLIED = 1,  /* the AOF still starts with the prefix it covers: those records were skipped */
    EP_TRAILER_STALE = 2,    /* the AOF was replaced or reset (its records are intact but not the covered
                                ones): replayed all. Before appending to it, write a covering snapshot
                                (ep_shard_snapshot, ep_shard_snapshot_begin; ep_store_open does): while
                                the AOF is shorter than the old coverage, records appended behind this
                                trailer would read as a cut copy of the covered ones (SHORT_AOF) */
    EP_TRAILER_INVALID = 3,  /* bytes after the footer that are not a readable trailer: recovery refused
                                (EP_ERR_CORRUPT), unless the AOF holds no record (then nothing to decide) */
    EP_TRAILER_DAMAGED = 4,  /* a CRC or frame error inside the covered prefix (covered_error): none of its
                                records applied, replay resumed at the prefix's end */
    EP_TRAILER_SHORT_AOF = 5 /* the AOF ends, intact and with records, inside the covered prefix: cut or
                                replaced, no way to tell: recovery refused (EP_ERR_CORRUPT) */
} ep_trailer_state;

typedef struct ep_recover_result {
    ep_keyspace *keyspace;       /* EP_RECOVER_KEYSPACE; freed by ep_recover_result_free */

    int snapshot_present;        /* shard-{id}.snap exists */
    int snapshot_loaded;         /* ember's loaded_snapshot */
    ep_error snapshot_error;     /* why not loaded (code EP_OK if loaded or absent) */
    uint64_t snapshot_entries;

    ep_trailer_state trailer;
    uint64_t trailer_extra_bytes; /* bytes after a valid trailer (appended later): ignored, logged */
    uint64_t aof_skipped_bytes;  /* prefix covered by the snapshot (not applied) */
    uint64_t records_skipped;    /* records read in that prefix */
    ep_error covered_error;      /* EP_TRAILER_DAMAGED: the damage (code, offset, index, message) */

    int aof_present;             /* shard-{id}.aof exists */
    int replayed_aof;            /* ember's replayed_aof: no error and >= 1 record read */
    ep_aof_end aof_end;          /* CLEAN, TORN or ERROR (READING if no AOF) */
    uint64_t aof_good_offset;    /* end of the last good record */
    uint64_t aof_tail_bytes;     /* TORN: bytes after it */
    ep_error aof_error;          /* ERROR: code, offset, index (0-based record), message */
    uint64_t records_read;       /* every record read (skipped and no-ops included) */
    uint64_t records_applied;    /* records handed to the keyspace or visitor */
    uint64_t record_warnings;    /* records the keyspace refused by rule (INCR on text ...) */

    uint64_t expired_dropped;    /* keys with ttl 0 removed at the end */
} ep_recover_result;

EP_API void ep_recover_config_init(ep_recover_config *cfg);
/* Recovers shard_id from dir. EP_OK: *out says what happened (its keyspace
 * is yours: ep_recover_result_free). Errors (err, may be NULL, gets the
 * detail and names the file): EP_ERR_INVALID_ARG; dir missing or not a
 * directory (EP_ERR_NOT_FOUND or the vfs's error); EP_ERR_CORRUPT when a
 * snapshot trailer cannot say which AOF records the snapshot holds and the
 * AOF has records (out->trailer INVALID or SHORT_AOF: recovery refuses to
 * guess rather than apply records twice; ignore_trailer replays all, as
 * ember); an I/O error while deciding that; EP_ERR_NOMEM; a visitor's error.
 * Peak allocation: the keyspace, plus the larger of (the snapshot reader:
 * read_buffer_size or the file if smaller, grown to the largest entry, and
 * a plaintext buffer of that bound for v3) and (the trailer copy, plus the
 * AOF reader: read_buffer_size or the file if smaller, grown to the largest
 * record, a v3 plaintext buffer); the prefix hash's buffer (at most
 * read_buffer_size) is freed before the AOF reader opens. */
EP_API ep_result ep_recover_shard(const char *dir, ep_shard_id shard_id, const ep_recover_config *cfg,
                                  ep_recover_result *out, ep_error *err);
EP_API void ep_recover_result_free(ep_recover_result *res);

/* ---- snapshots that cover an AOF prefix ------------------------------------ */

typedef struct ep_shard_config {
    ep_vfs *vfs;                /* NULL: the OS file system */
    const ep_allocator *alloc;  /* NULL: default */
    const ep_key *key;          /* encrypt the snapshot (v3) */
    /* Read buffer of the covered prefix's hash and, without a writer, of the
     * scan of the AOF on disk; 0: 256 KiB. Never more than the prefix. */
    size_t read_buffer_size;
    /* The snapshot writer's buffer; 0: its default (1 MiB, EP_SNAPSHOT_DEFAULT_BUFFER). */
    size_t write_buffer_size;
    /* ep_shard_snapshot_begin only (ep_shard_snapshot and ep_shard_rewrite
     * take the keyspace's): the PROTO.REGISTER schemas the trailer keeps,
     * copied at begin. */
    const ep_trailer_schema *schemas;
    uint32_t schema_count;
    /* ep_shard_snapshot_begin only: commit also resets the AOF to its
     * header, as ep_shard_rewrite does (needs the writer). */
    int rewrite;
} ep_shard_config;

EP_API void ep_shard_config_init(ep_shard_config *cfg);

/* Writes shard-{id}.snap from ks, leaving the AOF as it is. The trailer
 * records the AOF prefix ks reflects: with a writer, everything appended to
 * it (the writer is synced first, so that prefix is durable before the
 * snapshot is); without one, the good records of the AOF file on disk (if
 * any). ks must reflect exactly that prefix (snapshot + those records).
 * ttl==0 keys are written with expire 0 so later records still act on them
 * as they would in a full replay. (ep_shard_snapshot_begin, the entries of
 * ks, ep_shard_snapshot_commit.) */
#ifndef EP_NO_KEYSPACE
EP_API ep_result ep_shard_snapshot(const char *dir, ep_shard_id shard_id, const ep_keyspace *ks,
                                   ep_aof_writer *aof, const ep_shard_config *cfg, ep_error *err);

/* Snapshot, then reset the AOF to its header (ember's BGREWRITEAOF), crash
 * safe at every point: the snapshot's trailer covers the whole old AOF until
 * the reset is durable, then it is rewritten to cover nothing. aof must be the
 * open writer of that shard's AOF. If the reset succeeds and that last
 * rewrite of the trailer fails, the writer is poisoned (appending behind a
 * trailer that still covers the old AOF would leave a shard recovery
 * refuses); the files recover exactly. */
EP_API ep_result ep_shard_rewrite(const char *dir, ep_shard_id shard_id, const ep_keyspace *ks, ep_aof_writer *aof,
                                  const ep_shard_config *cfg, ep_error *err);
#endif /* EP_NO_KEYSPACE */

/* ---- the covering snapshot from the caller's own data (visitor mode) ----
 *
 * For a program that recovers into its own map (EP_RECOVER_VISIT) and so
 * has no ep_keyspace to give ep_shard_snapshot:
 *
 *   ep_shard_snapshot_writer *w;
 *   ep_snapshot_writer *sw;
 *   ep_shard_snapshot_begin(dir, 0, aof, &cfg, &w, &err);  // syncs aof: the covered prefix
 *   ep_shard_snapshot_entries(w, &sw);
 *   for each key of the map: ep_snapshot_writer_add_string(sw, key, value, -1) ...
 *       (or ep_shard_snapshot_add(w, &entry))
 *   ep_shard_snapshot_commit(w, &err);  // or ep_shard_snapshot_abort(w)
 *
 * begin syncs the writer (or, with aof NULL, reads the AOF on disk to its
 * last good record) and takes that prefix as the one the snapshot covers:
 * the entries must be the map's state after exactly those records. The
 * next recovery loads the snapshot and replays only the records after it,
 * so nothing is applied twice. Records appended between begin and commit
 * are not covered (they are replayed after the snapshot): the entries must
 * not include their effects. With cfg.rewrite, commit also resets the AOF
 * (ep_shard_rewrite's steps) and refuses (EP_ERR_STATE, nothing written)
 * if records were appended since begin. Until commit the old snapshot
 * stays; commit publishes the new one atomically (the snapshot writer's
 * tmp, sync, rename, directory sync).
 *
 * Peak allocation: the handle (~2.2 KiB), the snapshot writer's (see
 * snapshot.h: write_buffer_size + 64, a copy of the trailer), at begin the
 * prefix hash's buffer (read_buffer_size or the prefix if smaller, freed)
 * and, with aof NULL, the AOF reader's buffer (freed). */
typedef struct ep_shard_snapshot_writer ep_shard_snapshot_writer;

EP_API ep_result ep_shard_snapshot_begin(const char *dir, ep_shard_id shard_id, ep_aof_writer *aof,
                                         const ep_shard_config *cfg, ep_shard_snapshot_writer **out, ep_error *err);
/* One entry (ep_snapshot_writer_add's rules). */
EP_API ep_result ep_shard_snapshot_add(ep_shard_snapshot_writer *w, const ep_snap_entry *entry);
/* The snapshot writer the entries go to, for its ep_snapshot_writer_add_*
 * conveniences. Owned by w: never commit, abort or free it yourself. */
EP_API void ep_shard_snapshot_entries(const ep_shard_snapshot_writer *w, ep_snapshot_writer **out);
/* The AOF bytes (header included) the snapshot covers. */
EP_API void ep_shard_snapshot_covered(const ep_shard_snapshot_writer *w, uint64_t *covered_len);
/* The detail of the last failed add. */
EP_API const ep_error *ep_shard_snapshot_error(const ep_shard_snapshot_writer *w);
/* Publishes the snapshot (then, with cfg.rewrite, resets the AOF); w is
 * gone even on error. A failure before the snapshot's rename leaves the old
 * snapshot. */
EP_API ep_result ep_shard_snapshot_commit(ep_shard_snapshot_writer *w, ep_error *err);
/* Drops the temporary file; the old snapshot stays. w is gone. */
EP_API ep_result ep_shard_snapshot_abort(ep_shard_snapshot_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* EP_RECOVERY_H */
