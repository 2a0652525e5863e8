/* store: the user's handle on one shard: open recovers it (snapshot + AOF)
 * into a keyspace and opens the AOF writer; every change after that is
 * logged to the AOF and applied to the keyspace as it is logged, one call
 * per operation.
 *
 *   ep_store_config cfg;
 *   ep_store *st;
 *   int64_t n;
 *   ep_store_config_init(&cfg);
 *   cfg.create_dir = 1;
 *   if (ep_store_open("save", 0, &cfg, &st) != EP_OK) ...cfg.error_out...
 *   ep_store_set(st, EP_LIT("player"), EP_LIT("ada"), -1, 0);
 *   ep_store_incr(st, EP_LIT("level"), &n);
 *   ep_store_sync(st);                       // durable from here
 *   ep_store_close(st);
 *
 * Semantics are Redis's. An operation Redis would refuse is refused before
 * anything is logged: EP_ERR_WRONG_TYPE (the key holds another type),
 * EP_ERR_BAD_VALUE (INCR on text, an overflow, a NaN score, a bad expire).
 * Answers Redis gives come back through out-parameters (may be NULL where
 * they are counts). Absent keys: reads return EP_ERR_NOT_FOUND. SET with
 * EP_STORE_NX on an existing key returns EP_ERR_EXISTS, with EP_STORE_XX on a
 * missing one EP_ERR_NOT_FOUND; nothing is logged then.
 *
 * Durability: with fsync EP_FSYNC_ALWAYS a call that returns EP_OK is
 * synced; with EVERYSEC (the default) call ep_store_tick from your loop and
 * at most about a second of acknowledged calls is at risk; ep_store_sync
 * makes everything so far durable. A failed write or sync poisons the
 * store (EP_ERR_POISONED from then on; ep_store_error keeps the cause):
 * close it and open it again, which recovers what was synced.
 *
 * TTLs: the store keeps real deadlines. It logs PEXPIREAT (absolute unix
 * ms) for EXPIRE / PEXPIRE and for SET with a ttl (SET carrying the relative
 * ttl, then PEXPIREAT: a crash between the two leaves the longer, relative
 * ttl). An expired key reads as absent; a write to it first logs its DEL;
 * ep_store_tick deletes a few expired keys per call (Redis's active expiry).
 * Snapshots hold remaining ms counted from their own time.
 *
 * Views (ep_bytes out-parameters, iterators) point into the keyspace and
 * stay valid until the next call that changes the store. Not thread-safe;
 * one store per shard directory and id at a time (the AOF is locked).
 *
 * Memory: see ep_store_config (buffer sizes) and "Peak allocation" below. */
#ifndef EP_STORE_H
#define EP_STORE_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "crypto/crypto.h"
#include "codec/codec_aof.h"
#include "file/aof.h"
#include "store/keyspace.h"
#include "recover/recovery.h"

#ifndef EP_NO_KEYSPACE

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_store ep_store;

typedef struct ep_store_config {
    ep_vfs *vfs;                /* NULL: the OS file system */
    const ep_allocator *alloc;  /* NULL: default */
    const ep_key *key;          /* encrypt the AOF and snapshots (v3); NULL: plaintext */
    ep_fsync_policy fsync;      /* default EP_FSYNC_EVERYSEC */
    size_t aof_buffer_size;     /* the AOF writer's buffer; 0: its default (64 KiB) */
    /* Recovery's read buffers at open and the covered prefix's hash at a
     * snapshot (ep_recover_config / ep_shard_config.read_buffer_size); 0: 256 KiB
     * (the snapshot reader 1 MiB), never more than the file holds. */
    size_t read_buffer_size;
    size_t snapshot_buffer_size; /* the snapshot writer's buffer; 0: 1 MiB */
    int create_dir;             /* non-zero: create dir (every missing level) if missing */
    /* Unix epoch ms (TTLs) and monotonic ms (EVERYSEC, tick); NULL: the OS clocks. */
    int64_t (*wall_clock_ms)(void *user);
    uint64_t (*clock_ms)(void *user);
    void *clock_user;
    ep_log_fn log;              /* recovery's messages; NULL: silent */
    void *log_user;
    uint64_t keyspace_seed;
    /* ep_store_tick rewrites (ep_store_rewrite) when the AOF is larger than
     * rewrite_min_bytes and than rewrite_factor times the snapshot. 0: never. */
    unsigned rewrite_factor;    /* default 0 (off) */
    uint64_t rewrite_min_bytes; /* default 1 MiB */
    /* Keys examined for expiry per ep_store_tick (0: none). Default 20. */
    unsigned expire_scan;
    /* 1 (default): open cuts a damaged final region of the AOF (what a
     * power cut during an append leaves: garbage or a half-written record)
     * when no valid record follows it, as SQLite's WAL ignores frames after
     * a bad checksum. Such a record was never acknowledged under ALWAYS.
     * 0: only a cleanly torn record is cut; any damage refuses to open. */
    int repair_tail;
    /* Where ep_store_open puts the detail of a failure (may be NULL). */
    ep_error *error_out;
} ep_store_config;

EP_API void ep_store_config_init(ep_store_config *cfg);
/* Recovers dir/shard-{shard_id}.snap + .aof into a keyspace and opens the
 * AOF writer. Refuses (no store) when recovery would lose or double data: a
 * snapshot present but unreadable (EP_ERR_CORRUPT or the reader's error), an
 * AOF error before its end, a snapshot trailer that cannot be read. A torn
 * final record is cut; a damaged final region is cut (repair_tail) only
 * when it lies after everything the snapshot covers, else open refuses. EP_ERR_NOT_FOUND: dir
 * missing (and create_dir not set). cfg may be NULL (defaults). */
EP_API ep_result ep_store_open(const char *dir, ep_shard_id shard_id, const ep_store_config *cfg, ep_store **out);
/* Syncs (ALWAYS/EVERYSEC) or flushes (NO), closes the AOF, frees everything.
 * The store is gone even on error. NULL is a no-op. */
EP_API ep_result ep_store_close(ep_store *st);
EP_API const ep_error *ep_store_error(const ep_store *st);

/* ---- whole store ---- */
EP_API ep_result ep_store_sync(ep_store *st);
/* Call from your loop: EVERYSEC's sync, active expiry, auto-rewrite. */
EP_API ep_result ep_store_tick(ep_store *st);
/* Writes shard-{id}.snap covering everything logged so far (the AOF stays). */
EP_API ep_result ep_store_snapshot(ep_store *st);
/* Compaction: snapshot, then reset the AOF (ep_shard_rewrite: crash safe at
 * every step, no record applied twice after any crash). */
EP_API ep_result ep_store_rewrite(ep_store *st);
/* The keyspace, for iteration (ep_keyspace_next ...). Its ttls count from
 * ep_store_ttl_base (use ep_store_ttl for remaining time); expired keys may
 * still be in it. Do not change it. */
EP_API const ep_keyspace *ep_store_keyspace(const ep_store *st);
EP_API int64_t ep_store_ttl_base(const ep_store *st);

/* ---- keys ---- */
#define EP_STORE_NX 0x1u      /* set only if absent (else EP_ERR_EXISTS) */
#define EP_STORE_XX 0x2u      /* set only if present (else EP_ERR_NOT_FOUND) */
#define EP_STORE_KEEPTTL 0x4u /* keep the key's ttl (ttl_ms must be < 0) */
/* ttl_ms < 0: no ttl (SET clears one unless KEEPTTL); > 0: expire after it. */
EP_API ep_result ep_store_set(ep_store *st, ep_bytes key, ep_bytes value, int64_t ttl_ms, unsigned flags);
EP_API ep_result ep_store_get(ep_store *st, ep_bytes key, ep_bytes *value);
EP_API ep_result ep_store_del(ep_store *st, ep_bytes key, int *deleted);
EP_API ep_result ep_store_exists(ep_store *st, ep_bytes key, int *exists);
/* The key's ep_value_type (EP_TYPE_STRING ...); EP_ERR_NOT_FOUND if absent. */
EP_API ep_result ep_store_type(ep_store *st, ep_bytes key, uint8_t *type);
EP_API ep_result ep_store_incr(ep_store *st, ep_bytes key, int64_t *value);
EP_API ep_result ep_store_decr(ep_store *st, ep_bytes key, int64_t *value);
EP_API ep_result ep_store_incrby(ep_store *st, ep_bytes key, int64_t delta, int64_t *value);
EP_API ep_result ep_store_decrby(ep_store *st, ep_bytes key, int64_t delta, int64_t *value);
/* APPEND; *len gets the new length. */
EP_API ep_result ep_store_append(ep_store *st, ep_bytes key, ep_bytes value, size_t *len);
/* EXPIRE / PEXPIRE: *set = 0 if the key is absent. A ttl <= 0 deletes it. */
EP_API ep_result ep_store_expire(ep_store *st, ep_bytes key, int64_t seconds, int *set);
EP_API ep_result ep_store_pexpire(ep_store *st, ep_bytes key, int64_t ms, int *set);
/* *removed = 1 if a ttl was removed. */
EP_API ep_result ep_store_persist(ep_store *st, ep_bytes key, int *removed);
/* Remaining ms, or -1 for none; EP_ERR_NOT_FOUND if absent. */
EP_API ep_result ep_store_ttl(ep_store *st, ep_bytes key, int64_t *ms);
/* EP_ERR_NOT_FOUND if key is absent; the value and ttl move, replacing new_key. */
EP_API ep_result ep_store_rename(ep_store *st, ep_bytes key, ep_bytes new_key);
/* *copied = 0 when dst exists and replace is 0, or src is absent. */
EP_API ep_result ep_store_copy(ep_store *st, ep_bytes src, ep_bytes dst, int replace, int *copied);

/* ---- lists ---- */
/* *len gets the list's new length. */
EP_API ep_result ep_store_lpush(ep_store *st, ep_bytes key, const ep_bytes *values, uint32_t n, size_t *len);
EP_API ep_result ep_store_rpush(ep_store *st, ep_bytes key, const ep_bytes *values, uint32_t n, size_t *len);
/* The popped element is copied into out (reset first); EP_ERR_NOT_FOUND if
 * the key is absent. out may be NULL. */
EP_API ep_result ep_store_lpop(ep_store *st, ep_bytes key, ep_buf *out);
EP_API ep_result ep_store_rpop(ep_store *st, ep_bytes key, ep_buf *out);
EP_API ep_result ep_store_llen(ep_store *st, ep_bytes key, size_t *len);
EP_API ep_result ep_store_lindex(ep_store *st, ep_bytes key, int64_t index, ep_bytes *item);
/* Positions it on elements start..stop (Redis rules); walk with ep_ks_value_next. */
EP_API ep_result ep_store_lrange(ep_store *st, ep_bytes key, int64_t start, int64_t stop, ep_ks_value_iter *it,
                                 size_t *count);
/* EP_ERR_NOT_FOUND: no such key; EP_ERR_LIMIT: index out of range. */
EP_API ep_result ep_store_lset(ep_store *st, ep_bytes key, int64_t index, ep_bytes value);
EP_API ep_result ep_store_ltrim(ep_store *st, ep_bytes key, int64_t start, int64_t stop);
/* *len: the new length, -1 if pivot was not found, 0 if the key is absent. */
EP_API ep_result ep_store_linsert(ep_store *st, ep_bytes key, int before, ep_bytes pivot, ep_bytes value,
                                  int64_t *len);
EP_API ep_result ep_store_lrem(ep_store *st, ep_bytes key, int64_t count, ep_bytes value, size_t *removed);

/* ---- hashes ---- */
/* *added: fields that were new. */
EP_API ep_result ep_store_hset(ep_store *st, ep_bytes key, const ep_bytes *fields, const ep_bytes *values,
                               uint32_t n, size_t *added);
EP_API ep_result ep_store_hget(ep_store *st, ep_bytes key, ep_bytes field, ep_bytes *value);
EP_API ep_result ep_store_hdel(ep_store *st, ep_bytes key, const ep_bytes *fields, uint32_t n, size_t *removed);
/* EP_ERR_BAD_VALUE if the field holds no integer or the sum overflows. */
EP_API ep_result ep_store_hincrby(ep_store *st, ep_bytes key, ep_bytes field, int64_t delta, int64_t *value);
EP_API ep_result ep_store_hlen(ep_store *st, ep_bytes key, size_t *len);
/* Positions it on every (field, value) pair: item.a field, item.b value. An
 * absent key gives an empty iteration (EP_OK). */
EP_API ep_result ep_store_hgetall(ep_store *st, ep_bytes key, ep_ks_value_iter *it);

/* ---- sets ---- */
EP_API ep_result ep_store_sadd(ep_store *st, ep_bytes key, const ep_bytes *members, uint32_t n, size_t *added);
EP_API ep_result ep_store_srem(ep_store *st, ep_bytes key, const ep_bytes *members, uint32_t n, size_t *removed);
EP_API ep_result ep_store_sismember(ep_store *st, ep_bytes key, ep_bytes member, int *is_member);
EP_API ep_result ep_store_smembers(ep_store *st, ep_bytes key, ep_ks_value_iter *it);
EP_API ep_result ep_store_scard(ep_store *st, ep_bytes key, size_t *len);

/* ---- sorted sets ---- */
/* EP_ERR_BAD_VALUE for a NaN score. *added: members that were new. */
EP_API ep_result ep_store_zadd(ep_store *st, ep_bytes key, const double *scores, const ep_bytes *members,
                               uint32_t n, size_t *added);
EP_API ep_result ep_store_zrem(ep_store *st, ep_bytes key, const ep_bytes *members, uint32_t n, size_t *removed);
EP_API ep_result ep_store_zscore(ep_store *st, ep_bytes key, ep_bytes member, double *score);
/* By rank, ascending (reverse: descending); items carry their scores. */
EP_API ep_result ep_store_zrange(ep_store *st, ep_bytes key, int64_t start, int64_t stop, int reverse,
                                 ep_ks_value_iter *it, size_t *count);
EP_API ep_result ep_store_zcard(ep_store *st, ep_bytes key, size_t *len);

/* ---- Peak allocation -------------------------------------------------------
 * Through cfg.alloc, measured by tests/recover/test_store_heap.c (64-bit,
 * aof_buffer_size, read_buffer_size and snapshot_buffer_size 4 KiB; "kept"
 * stays allocated after the call):
 *   open, empty dir    peak ~9 KiB, kept ~9 KiB (store, writer + its buffer,
 *                      keyspace); the file layer's read buffers follow the file
 *   open, recovering   peak ~165 KiB for 1000 keys of 30-byte values (read
 *                      buffers of read_buffer_size, freed, + the data), kept ~160 KiB
 *   a write            the keyspace's growth for the new data (slabs of 4 KiB
 *                      doubling to 256 KiB, tables doubling), the record's
 *                      elements in the store's scratch (kept for reuse), the AOF
 *                      buffer's growth for a record larger than aof_buffer_size
 *   a read             nothing
 *   snapshot, rewrite  peak ~16 KiB: the snapshot writer's buffer
 *                      (snapshot_buffer_size + 64; default 1 MiB), a copy of
 *                      the trailer, the shard snapshot handle (~2.2 KiB), one
 *                      entry's encoding; before them, for a moment, the
 *                      covered prefix's hash buffer (read_buffer_size, default
 *                      256 KiB, at most the AOF), all freed
 *   close              nothing; everything is freed
 * Everything else is sized by the data. The store runs open / appends /
 * snapshot / rewrite / recovery of 2000 records in a fixed 256 KiB heap
 * (test_store_heap: peak ~134 KiB). */

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_KEYSPACE */
#endif /* EP_STORE_H */
