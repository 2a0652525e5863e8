/* stream: the one file-layer core under every writer and reader of the
 * library (ember AOF and snapshot today; WAL segments, RESP AOF, RDB next).
 * Private (ep__*): the public API is each format's own. The core knows
 * nothing of record formats: a format encodes into the write buffer (or
 * hands finished bytes over), says where its records end, and frames what
 * the read side hands back.
 *
 * Write side (ep__wstream)
 *   ep__ws_init(&s, vfs, f, alloc, &handle->err); ep__ws_config(&s, ...);
 *   per call:   ep__ws_mark(&s);                    the last complete record
 *               p = ep__ws_reserve(&s, n) ... ep__ws_advance(&s, n, 1);
 *                 (or ep__ws_put(&s, bytes, n, 1): copied, or written
 *                 straight when n >= the buffer size)
 *               r = ep__ws_end_call(&s);            the fsync policy, once
 *   errors:     a failed call is rewound to its mark (ep__ws_rewind) and the
 *               file cut back there; a failed sync, or a cut-back that
 *               fails, poisons: every later call returns EP_ERR_POISONED
 *               and the first failure stays in the handle's ep_error.
 *   Bytes are written at the file offset the stream keeps (positional, no
 *   append mode), so a format may patch earlier bytes with the vfs.
 *   An observer sees every byte just before it is written, once, with its
 *   file offset (snapshot footer CRC; RDB's CRC-64 over the file).
 *   Memory: one buffer of buffer_size (+ slack), grown only for a record
 *   encoded in place that is larger, and shrunk back after it is written.
 *
 * Read side (ep__rstream)
 *   ep__rs_init(&s, vfs, f, alloc, start, chunk, max, &err);
 *   ep__rs_avail / ep__rs_ptr: the loaded bytes at the read position;
 *   ep__rs_fill(&s, need): at least need of them (EP_ERR_EOF if the file
 *   ends first, EP_ERR_LIMIT above max); ep__rs_skip consumes.
 *   The buffer starts at min(chunk, what the file holds) and grows only for
 *   a record that needs it, never beyond max nor beyond the file. Before it
 *   moves or frees bytes it handed out it calls the views hook; before it
 *   drops consumed bytes it shows them to the observer (footer CRCs).
 *
 * Also: "NULL vfs means the OS" (ep__vfs_pick), directory creation, the
 * writer lock, and the tmp + sync + rename + directory sync publish step of
 * snapshot-like files (ep__stream_publish), each in one place. */
#ifndef EP_STREAM_H
#define EP_STREAM_H

#include "base/internal.h"
#include "vfs/vfs.h"

/* ---- one place for each file-system rule ---------------------------------- */

/* given, or the OS's table filled into *os: the library's one reading of
 * "a NULL vfs means the OS file system". */
EP__PRIV ep_result ep__vfs_pick(ep_vfs *given, ep_vfs *os, ep_vfs **out);

/* Creates the missing directories of dir, shortest first ("a", "a/b" ...),
 * and syncs the parent of each one created so its entry survives power
 * loss. Directories that exist are left alone. */
EP__PRIV ep_result ep__stream_make_dirs(ep_vfs *vfs, const ep_allocator *alloc, const char *dir, ep_error *err);

/* The exclusive lock of a writer; a vfs without locks is fine. what names
 * the file in the message ("AOF %s is in use by another writer"). */
EP__PRIV ep_result ep__stream_lock(ep_vfs *vfs, ep_file *f, const char *what, const char *path, ep_error *err);

/* A writer's file: creates the missing directories of make_dir (NULL:
 * none), opens path read-write (creating it) and takes the lock. *f is NULL
 * on failure. */
EP__PRIV ep_result ep__stream_open_locked(ep_vfs *vfs, const ep_allocator *alloc, const char *path,
                                          const char *make_dir, const char *what, ep_file **f, ep_error *err);

/* Makes the file written at tmp_path the file at path: syncs *f, closes it
 * (*f = NULL), renames tmp_path over path and syncs path's directory.
 * *renamed says whether the rename happened (after it, path names the new
 * file even if the directory sync failed; before it, the old file is
 * untouched and tmp_path is left for the caller to remove). */
EP__PRIV ep_result ep__stream_publish(ep_vfs *vfs, const ep_allocator *alloc, ep_file **f, const char *tmp_path,
                                      const char *path, int *renamed, ep_error *err);
/* The rename and directory sync of ep__stream_publish alone, for a caller
 * that retries the rename after closing the file the target names (a vfs
 * that cannot rename over an open file says EP_ERR_LOCKED: Windows before
 * 10 1607, wine). */
EP__PRIV ep_result ep__stream_rename(ep_vfs *vfs, const ep_allocator *alloc, const char *tmp_path, const char *path,
                                     int *renamed, ep_error *err);

/* ---- write side ------------------------------------------------------------ */

typedef void (*ep__ws_observer)(void *user, uint64_t offset, const uint8_t *p, size_t n);

typedef struct ep__wstream {
    ep_vfs *vfs;
    ep_file *f;
    ep_error *err;             /* the owning handle's error */
    ep_buf buf;                /* bytes not yet flushed; buf.data[0] is at file offset flushed */
    size_t buffer_size;        /* flush when this much is buffered */
    size_t mark;               /* buf.len at the call's start (the last complete record) */
    uint64_t mark_off;         /* file offset of that boundary */
    uint64_t mark_records;
    uint64_t flushed, synced;  /* file offsets: handed to the OS, known durable */
    uint64_t records, syncs;
    ep_fsync_policy policy;
    uint64_t (*clock_ms)(void *user);
    void *clock_user;
    uint64_t last_sync_ms;
    int in_batch;
    int poisoned;
    ep__ws_observer observer;
    void *observer_user;
} ep__wstream;

/* A stream on f whose next byte goes at offset (everything before it counts
 * as flushed and synced); errors land in *err. No allocation. */
EP__PRIV void ep__ws_init(ep__wstream *s, ep_vfs *vfs, ep_file *f, const ep_allocator *alloc, uint64_t offset,
                          ep_error *err);
/* buffer_size 0 = 64 KiB; clock NULL = the OS monotonic clock. Allocates the buffer. */
EP__PRIV ep_result ep__ws_config(ep__wstream *s, size_t buffer_size, ep_fsync_policy policy,
                                 uint64_t (*clock_ms)(void *user), void *clock_user);
EP__PRIV void ep__ws_free(ep__wstream *s);
/* Continues on another file (a rewrite's new file) at offset, buffer emptied. */
EP__PRIV void ep__ws_retarget(ep__wstream *s, ep_file *f, uint64_t offset);

/* EP_ERR_POISONED once poisoned, else EP_OK. */
EP__PRIV ep_result ep__ws_usable(const ep__wstream *s);
/* Marks the stream dead with code (returned); the detail stays in *err. */
EP__PRIV ep_result ep__ws_poison(ep__wstream *s, ep_result code);

/* The start of a call: its records are taken back out if it fails. */
EP__PRIV void ep__ws_mark(ep__wstream *s);
/* Room for n more bytes at the end of the buffer (NULL: no memory; the
 * stream is unchanged). Encode there, then ep__ws_advance. */
EP__PRIV uint8_t *ep__ws_reserve(ep__wstream *s, size_t n);
/* n reserved bytes are written; records: how many records they complete. */
EP__PRIV void ep__ws_advance(ep__wstream *s, size_t n, uint64_t records);
/* The buffer itself, for encoders that append to an ep_buf; call
 * ep__ws_records after them. Its err is cleared by ep__ws_rewind. */
EP__PRIV ep_buf *ep__ws_buf(ep__wstream *s);
EP__PRIV void ep__ws_records(ep__wstream *s, uint64_t records);
/* Copies n bytes in, or (n >= buffer_size) flushes and writes them straight
 * from data; records as for ep__ws_advance. */
EP__PRIV ep_result ep__ws_put(ep__wstream *s, const void *data, size_t n, uint64_t records);
/* After each record of a long call: flushes if the buffer is full. */
EP__PRIV ep_result ep__ws_bound(ep__wstream *s);
/* The call's records are in: applies the fsync policy once (a batch defers
 * it to its end); on failure the call is rewound. */
EP__PRIV ep_result ep__ws_end_call(ep__wstream *s);
/* Takes the call's records back out (buffer and file); returns code. */
EP__PRIV ep_result ep__ws_rewind(ep__wstream *s, ep_result code);

/* Buffer -> OS. A failed write is cut back off the file (truncate; if that
 * fails, poison) and the buffer kept. */
EP__PRIV ep_result ep__ws_flush(ep__wstream *s);
/* A full buffer -> OS in whole multiples of align (a power of two) of file
 * offsets: writes the buffer up to the last such boundary and keeps the
 * rest (less than align) for the next write; with no boundary in the
 * buffer, everything. Aligned writes cost the kernel less (64 KiB at
 * 64 KiB offsets: ~1.5x less CPU than 65424-byte writes, ext4 on Linux 6).
 * A partly written record may then sit in the OS: only for writers that
 * claim nothing of a spill (flush and sync still write everything). */
EP__PRIV ep_result ep__ws_spill(ep__wstream *s, size_t align);
/* Buffer -> OS -> disk; a failed sync poisons (never retried). */
EP__PRIV ep_result ep__ws_sync(ep__wstream *s);
/* EVERYSEC: syncs if a second has passed since the last sync. */
EP__PRIV ep_result ep__ws_tick(ep__wstream *s);
/* Batches: between begin and end the policy is not applied per call. */
EP__PRIV ep_result ep__ws_batch_begin(ep__wstream *s);
EP__PRIV ep_result ep__ws_batch_end(ep__wstream *s);
/* Every byte, just before it is written, with its file offset. */
EP__PRIV void ep__ws_set_observer(ep__wstream *s, ep__ws_observer fn, void *user);
/* The end of an appending writer: flushes (and syncs unless the policy is
 * NO), then closes its file. The first failure is returned. */
EP__PRIV ep_result ep__ws_close(ep__wstream *s);
/* The stream's offset (flushed + buffered): where the next byte goes. */
EP__PRIV uint64_t ep__ws_size(const ep__wstream *s);

/* ---- read side ------------------------------------------------------------- */

/* A reader's views normally last until its next call. Recovery keeps a few
 * decoded records in flight and would otherwise copy each one; instead a
 * reader calls this hook just before it invalidates views it handed out (a
 * buffer compaction or growth, the next decryption into its plaintext
 * buffer), and recovery copies only then: once per buffer refill for
 * plaintext files, once per record for encrypted ones. */
typedef void (*ep__views_hook)(void *user);
struct ep_aof_reader;
struct ep_snapshot_reader;
EP__PRIV void ep__aof_reader_set_views_hook(struct ep_aof_reader *r, ep__views_hook fn, void *user);
EP__PRIV void ep__snapshot_reader_set_views_hook(struct ep_snapshot_reader *r, ep__views_hook fn, void *user);
/* Recovery after a damaged AOF prefix that a snapshot already holds: the
 * reader's next record is read at offset (>= the header) and counted after
 * `records` earlier ones. Only before the first ep_aof_reader_next
 * (EP_ERR_STATE otherwise). */
EP__PRIV ep_result ep__aof_reader_start_at(struct ep_aof_reader *r, uint64_t offset, uint64_t records);

typedef void (*ep__rs_observer)(void *user, const uint8_t *p, size_t n);

typedef struct ep__rstream {
    ep_vfs *vfs;
    ep_file *f;
    const ep_allocator *alloc;
    ep_error *err;             /* vfs errors land here */
    uint8_t *buf;              /* file bytes [base, base + len) */
    size_t cap, len, pos;
    uint64_t base;
    uint64_t end;              /* file size (as of init; less if a read finds the file shorter) */
    size_t chunk, max;         /* first buffer size; the largest the buffer may grow to */
    size_t seen;               /* buf bytes before this were shown to the observer */
    ep__views_hook hook;
    void *hook_user;
    ep__rs_observer observer;
    void *observer_user;
} ep__rstream;

/* A stream over f from offset start; asks the vfs for the size. chunk 0 =
 * 256 KiB, max 0 = 1 GiB. No allocation. */
EP__PRIV ep_result ep__rs_init(ep__rstream *s, ep_vfs *vfs, ep_file *f, const ep_allocator *alloc, uint64_t start,
                               size_t chunk, size_t max, ep_error *err);
EP__PRIV void ep__rs_free(ep__rstream *s);
EP__PRIV void ep__rs_set_hook(ep__rstream *s, ep__views_hook fn, void *user);
/* Shown every byte once, in order, as the read position passes it. */
EP__PRIV void ep__rs_set_observer(ep__rstream *s, ep__rs_observer fn, void *user);

/* Loaded bytes at the read position, and a pointer to them (NULL if none). */
EP__PRIV size_t ep__rs_avail(const ep__rstream *s);
EP__PRIV const uint8_t *ep__rs_ptr(const ep__rstream *s);
/* File offset of the read position. */
EP__PRIV uint64_t ep__rs_offset(const ep__rstream *s);
/* Bytes of the file after the read position, loaded or not. */
EP__PRIV uint64_t ep__rs_left(const ep__rstream *s);
/* Nothing of the file is left to load. */
EP__PRIV int ep__rs_at_eof(const ep__rstream *s);
/* Makes at least need bytes available: EP_OK; EP_ERR_EOF if the file ends
 * first (nothing allocated for bytes the file does not have); EP_ERR_LIMIT
 * if need is above max; EP_ERR_NOMEM; a vfs error. Reads as much as fits. */
EP__PRIV ep_result ep__rs_fill(ep__rstream *s, size_t need);
/* Consumes n available bytes. */
EP__PRIV void ep__rs_skip(ep__rstream *s, size_t n);
/* Shows the observer the consumed bytes it has not seen yet. */
EP__PRIV void ep__rs_observe(ep__rstream *s);
/* Calls the views hook (a format about to overwrite its own decoded bytes). */
EP__PRIV void ep__rs_views_end(ep__rstream *s);

#endif /* EP_STREAM_H */
