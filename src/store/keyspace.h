/* keyspace: the in-memory map that ember shard recovery builds: byte keys ->
 * typed values (string, list, sorted set, hash, set, vector set, proto) with a
 * per-key TTL, plus the protobuf schema map. ep_keyspace_apply implements the
 * replay rules of ember-format.md §5.2 for one AOF record;
 * ep_keyspace_load_entry inserts one snapshot entry (§3.2).
 *
 * TTLs are ember's recovery TTLs: -1 none, 0 expired (dropped by
 * ep_keyspace_drop_expired at the end of replay; records still act on such a
 * key before that), > 0 remaining ms counted from the moment of restore.
 *
 * Everything allocates through the keyspace's allocator. On EP_ERR_NOMEM the
 * keyspace stays consistent (it can be read and freed) but the record may be
 * partly applied. Not thread-safe; no global state. */
#ifndef EP_KEYSPACE_H
#define EP_KEYSPACE_H

#include "base/base.h"
#include "codec/codec_aof.h"
#include "codec/codec_snap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_keyspace ep_keyspace;
typedef struct ep_ks_entry ep_ks_entry; /* one key; owned by the keyspace */

/* EP_NO_KEYSPACE: only the handle's name stays (ep_recover_result.keyspace,
 * always NULL); the keyspace, keyspace-mode recovery, ep_shard_snapshot /
 * ep_shard_rewrite, maintain, the store and the Redis loader are left out. */
#ifndef EP_NO_KEYSPACE

typedef struct ep_keyspace_config {
    const ep_allocator *alloc; /* NULL: the default allocator */
    uint64_t seed;             /* hash seed and skiplist levels; any value */
    /* Blocks up to 512 bytes (entries, elements, small tables) are carved
     * from slabs of up to this many bytes (the first is 4 KiB, each next one
     * twice as big), with no per-block header; freed ones are reused for
     * blocks of their size. Slabs return to the allocator only on clear or
     * free. 0: every block from the allocator. Default 256 KiB - 64. */
    size_t slab_size;
} ep_keyspace_config;

EP_API void ep_keyspace_config_init(ep_keyspace_config *cfg);
/* cfg may be NULL (defaults). */
EP_API ep_result ep_keyspace_create(const ep_keyspace_config *cfg, ep_keyspace **out);
EP_API void ep_keyspace_free(ep_keyspace *ks);

/* Applies one AOF record by the §5.2 rules. now_unix_ms is the wall clock that
 * PEXPIREAT is measured against (ember reads SystemTime at replay).
 * EP_OK: applied, or ignored by rule (wrong type, missing key ...).
 * EP_ERR_BAD_VALUE: INCR/DECR/INCRBY/DECRBY on a non-integer or overflowing
 *   value; the value is unchanged (ember logs an error and goes on).
 * EP_ERR_LIMIT: SETRANGE/SETBIT beyond 512 MiB (ember would abort trying to
 *   allocate); nothing changed.
 * EP_ERR_INVALID_ARG: unknown tag, or items of the wrong kind; nothing changed.
 * EP_ERR_NOMEM: allocation failed (see above). */
EP_API ep_result ep_keyspace_apply(ep_keyspace *ks, const ep_aof_record *rec, int64_t now_unix_ms);
/* Inserts (or replaces) one snapshot entry; a negative expire_ms means none.
 * Duplicate members in the entry: the last one wins, as ember's restore. */
EP_API ep_result ep_keyspace_load_entry(ep_keyspace *ks, const ep_snap_entry *e);
/* Removes every key whose ttl is 0; returns how many. */
EP_API size_t ep_keyspace_drop_expired(ep_keyspace *ks);
/* Counts every ttl > 0 down by elapsed_ms (>= 0); one that reaches 0 or
 * below becomes 0 (expired). For a holder whose ttls are "remaining from a
 * moment" when that moment moves on: the store handle does this before it
 * writes a snapshot, whose ttls must be remaining from the snapshot's time. */
EP_API void ep_keyspace_age_ttls(ep_keyspace *ks, int64_t elapsed_ms);
/* Removes every key and schema. */
EP_API void ep_keyspace_clear(ep_keyspace *ks);

/* Sizes the key table for n keys in all, so that loading them does not
 * rehash (recovery passes a snapshot's entry count). Only a hint. */
EP_API ep_result ep_keyspace_reserve(ep_keyspace *ks, size_t n);
/* A hint for code that applies a stream of records: step 0 starts loading
 * the table slot of key, step 1 (some work later, once that slot is likely
 * in cache) the entry it holds, so that the record's own lookup does not
 * wait for memory. Changes nothing; any arguments are safe. */
EP_API void ep_keyspace_prefetch(ep_keyspace *ks, const void *key, size_t len, int step);
/* The same pipeline with the key hashed once: ep_keyspace_key_hash gives
 * the hash the table uses for key; the _hashed calls take it instead of
 * hashing the key again (each is exactly its plain form when hash is
 * ep_keyspace_key_hash(ks, the record's or entry's key); another value
 * gives wrong results). */
EP_API uint64_t ep_keyspace_key_hash(const ep_keyspace *ks, const void *key, size_t len);
EP_API void ep_keyspace_prefetch_hashed(ep_keyspace *ks, uint64_t hash, int step);
EP_API ep_result ep_keyspace_apply_hashed(ep_keyspace *ks, const ep_aof_record *rec, int64_t now_unix_ms,
                                          uint64_t key_hash);
EP_API ep_result ep_keyspace_load_entry_hashed(ep_keyspace *ks, const ep_snap_entry *e, uint64_t key_hash);
EP_API size_t ep_keyspace_count(const ep_keyspace *ks);
/* Bytes in use for keys, values, tables and schemas (blocks from slabs
 * counted at their 8-byte-rounded size; free slab space and allocator
 * overhead not included). */
EP_API size_t ep_keyspace_memory(const ep_keyspace *ks);

/* Lookup: NULL if absent. The pointer stays valid until the next call that
 * changes the keyspace. */
EP_API const ep_ks_entry *ep_keyspace_get(const ep_keyspace *ks, const void *key, size_t len);

/* Iteration over keys in table order. Do not change the keyspace meanwhile. */
typedef struct ep_keyspace_iter {
    size_t slot;
} ep_keyspace_iter;
EP_API void ep_keyspace_iter_init(ep_keyspace_iter *it);
EP_API const ep_ks_entry *ep_keyspace_next(const ep_keyspace *ks, ep_keyspace_iter *it);
/* SCAN: one step of a cursor walk over the keys (start and end at 0).
 * Calls fn for the keys of some table slots, at least count of them when
 * that many remain (at most 10 x count slots are looked at), and returns
 * the cursor to pass next (0: the walk is complete). A key present from the
 * first call to the last is given at least once, whatever was inserted or
 * removed and however the table grew between calls (Redis's guarantee;
 * a key may be given twice). fn must not change the keyspace. Cursors are
 * below 2^32. */
EP_API uint64_t ep_keyspace_scan(const ep_keyspace *ks, uint64_t cursor, size_t count,
                                 void (*fn)(void *user, const ep_ks_entry *e), void *user);
/* Every entry sorted by key bytes (memcmp order, shorter first on a tie):
 * for deterministic output. *out is allocated with the keyspace's allocator;
 * release it with ep_keyspace_sorted_free. */
EP_API ep_result ep_keyspace_sorted(const ep_keyspace *ks, const ep_ks_entry ***out, size_t *count);
EP_API void ep_keyspace_sorted_free(const ep_keyspace *ks, const ep_ks_entry **list);

/* Entry accessors. */
EP_API ep_bytes ep_ks_entry_key(const ep_ks_entry *e);
EP_API uint8_t ep_ks_entry_type(const ep_ks_entry *e); /* ep_value_type */
EP_API int64_t ep_ks_entry_ttl(const ep_ks_entry *e);  /* -1, 0 or remaining ms */
/* STRING: byte length; PROTO: data length; others: number of elements. */
EP_API size_t ep_ks_entry_len(const ep_ks_entry *e);
/* STRING: the value; PROTO: the data; others: empty. */
EP_API ep_bytes ep_ks_entry_value(const ep_ks_entry *e);
/* PROTO: the type name; others: empty. */
EP_API ep_bytes ep_ks_entry_type_name(const ep_ks_entry *e);
/* VECTOR: the set's configuration; dim is the first element's (0 if none).
 * Returns 0 (and leaves the outputs alone) for other types. Any pointer may be NULL. */
EP_API int ep_ks_entry_vector_config(const ep_ks_entry *e, uint8_t *metric, uint8_t *quantization,
                                     uint32_t *connectivity, uint32_t *expansion_add, uint32_t *dim);

/* The elements of a collection value, as ep_item (codec_aof.h):
 *   LIST   a = item, head to tail
 *   ZSET   score, a = member; ascending (score, member); scores compare as
 *          doubles (-0.0 == 0.0), NaN after +inf, ties by member bytes
 *   HASH   a = field, b = value (table order)
 *   SET    a = member (table order)
 *   VECTOR a = name, b = the vector as dim x f32 little-endian (insertion order)
 * STRING and PROTO have no elements. */
typedef struct ep_ks_value_iter {
    const ep_ks_entry *e;
    size_t pos;
    const void *node;
    size_t left;  /* elements still to give (SIZE_MAX: all) */
    int reverse;  /* ZSET: tail to head */
} ep_ks_value_iter;
EP_API void ep_ks_value_iter_init(ep_ks_value_iter *it, const ep_ks_entry *e);
EP_API int ep_ks_value_next(ep_ks_value_iter *it, ep_item *out);

/* ---- point and range reads (what a server's GET, HGET, LRANGE ... need) ----
 * Per key: ep_keyspace_get is EXISTS (NULL: absent), then ep_ks_entry_type
 * is TYPE, ep_ks_entry_ttl the ttl, ep_ks_entry_value a string's GET,
 * ep_ks_entry_len STRLEN / LLEN / HLEN / SCARD / ZCARD.
 *
 * The calls below take the entry as ep_keyspace_get gave it, NULL included,
 * so `ep_ks_hash_get(ks, ep_keyspace_get(ks, k, n), f, &v)` is one HGET.
 * They return EP_OK (found; outputs set), EP_ERR_NOT_FOUND (no such key,
 * field, member or index; outputs untouched), EP_ERR_WRONG_TYPE (the key
 * holds another type), EP_ERR_INVALID_ARG (NULL ks or output). Views stay
 * valid until the next change to the keyspace. No call allocates.
 *
 * Cost: O(1) expected for hash field, set member and zset score; a small
 * (packed) collection is scanned: at most 128 elements, each part at most
 * 64 bytes (Redis's listpack limits; a collection that ever crossed one
 * keeps the general form). */
EP_API ep_result ep_ks_hash_get(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes field, ep_bytes *value);
EP_API ep_result ep_ks_set_contains(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes member);
EP_API ep_result ep_ks_zset_score(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes member, double *score);
/* ZRANK / ZREVRANK: member's 0-based rank in ascending (score, member)
 * order, or with reverse non-zero from the highest. O(log n) expected (the
 * skiplist keeps spans, as Redis's); packed (<= 128 members): a scan. */
EP_API ep_result ep_ks_zset_rank(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes member, int reverse,
                                 size_t *rank);
/* LINDEX: index 0 is the head, -1 the tail (Redis). O(1) (packed: <= 128 steps). */
EP_API ep_result ep_ks_list_index(const ep_ks_entry *e, int64_t index, ep_bytes *item);
/* LRANGE / ZRANGE / ZREVRANGE by rank: positions it (then ep_ks_value_next)
 * on the elements start..stop inclusive, negative counting from the end, as
 * Redis clamps them; *count gets how many that is (0: empty, also for a
 * NULL e). LIST: head to tail (reverse must be 0). ZSET: ascending (score,
 * member), or with reverse non-zero rank 0 is the highest (ZREVRANGE); items
 * carry their scores. Other types: EP_ERR_WRONG_TYPE. Cost: O(count) for a
 * list; O(log n + count) for a sorted set (positioned by rank through the
 * skiplist's spans); a packed one (<= 128 elements) is walked to start. */
EP_API ep_result ep_ks_value_iter_range(ep_ks_value_iter *it, const ep_ks_entry *e, int64_t start, int64_t stop,
                                        int reverse, size_t *count);

/* Builds the snapshot entry for e (items encoded into scratch, which must stay
 * alive and unchanged while out is used). ttl is written as e's ttl. */
EP_API ep_result ep_ks_entry_to_snap(const ep_ks_entry *e, ep_buf *scratch, ep_snap_entry *out);

/* The protobuf schema map (PROTO.REGISTER; last descriptor per name wins),
 * in order of first registration. */
EP_API size_t ep_keyspace_schema_count(const ep_keyspace *ks);
EP_API int ep_keyspace_schema_at(const ep_keyspace *ks, size_t i, ep_bytes *name, ep_bytes *descriptor);


#endif /* EP_NO_KEYSPACE */

#ifdef __cplusplus
}
#endif

#endif /* EP_KEYSPACE_H */
