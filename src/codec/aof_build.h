/* aof_build: one pure function per ember AOF record kind (ember-format.md
 * §2.2, tags 1-35) that fills an ep_aof_record. The record is then encoded
 * by ep_aof_encode / appended by ep_aof_append and applied by
 * ep_keyspace_apply: build it once, log it and apply it, and the file and a
 * keyspace kept beside it see the same record.
 *
 *   ep_aof_record rec;
 *   ep_aof_rec_incrby(&rec, EP_LIT("visits"), 1);
 *   ep_aof_append(w, &rec);
 *   ep_keyspace_apply(ks, &rec, now_ms);
 *
 * The record holds views of the caller's bytes (key, value ...): keep them
 * alive while it is used. Kinds with several elements (LPUSH values, ZADD
 * pairs, HSET pairs, SADD/SREM/ZREM/HDEL members, BITOP keys) and VADD's
 * vector are encoded into scratch, which the builder resets first: the
 * record points into it until scratch is next changed or freed. A builder
 * checks only what it must to build (NULL arguments, element counts); the
 * format's own rules (UTF-8 keys, caps, negative EXPIRE) are checked by
 * ep_aof_encode and the writer. EP_ERR_NOMEM when scratch cannot grow
 * (scratch stays usable). Nothing here does I/O. */
#ifndef EP_AOF_BUILD_H
#define EP_AOF_BUILD_H

#include "base/base.h"
#include "codec/codec_aof.h"

#ifdef __cplusplus
extern "C" {
#endif

/* expire_ms < 0: no expiry (ember stores it relative: see ep_store for a
 * clock-correct TTL). */
EP_API ep_result ep_aof_rec_set(ep_aof_record *rec, ep_bytes key, ep_bytes value, int64_t expire_ms);
EP_API ep_result ep_aof_rec_del(ep_aof_record *rec, ep_bytes key);
EP_API ep_result ep_aof_rec_expire(ep_aof_record *rec, ep_bytes key, int64_t seconds);
EP_API ep_result ep_aof_rec_pexpire(ep_aof_record *rec, ep_bytes key, int64_t ms);
EP_API ep_result ep_aof_rec_pexpireat(ep_aof_record *rec, ep_bytes key, int64_t unix_ms);
EP_API ep_result ep_aof_rec_persist(ep_aof_record *rec, ep_bytes key);
EP_API ep_result ep_aof_rec_incr(ep_aof_record *rec, ep_bytes key);
EP_API ep_result ep_aof_rec_decr(ep_aof_record *rec, ep_bytes key);
EP_API ep_result ep_aof_rec_incrby(ep_aof_record *rec, ep_bytes key, int64_t delta);
EP_API ep_result ep_aof_rec_decrby(ep_aof_record *rec, ep_bytes key, int64_t delta);
/* The APPEND command. */
EP_API ep_result ep_aof_rec_append(ep_aof_record *rec, ep_bytes key, ep_bytes value);
EP_API ep_result ep_aof_rec_setrange(ep_aof_record *rec, ep_bytes key, int64_t offset, ep_bytes value);
EP_API ep_result ep_aof_rec_setbit(ep_aof_record *rec, ep_bytes key, uint64_t offset, uint8_t bit);
EP_API ep_result ep_aof_rec_bitop(ep_aof_record *rec, ep_buf *scratch, uint8_t op, ep_bytes dest,
                                  const ep_bytes *keys, uint32_t n);
EP_API ep_result ep_aof_rec_rename(ep_aof_record *rec, ep_bytes key, ep_bytes new_key);
EP_API ep_result ep_aof_rec_copy(ep_aof_record *rec, ep_bytes source, ep_bytes destination, int replace);

EP_API ep_result ep_aof_rec_lpush(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *values,
                                  uint32_t n);
EP_API ep_result ep_aof_rec_rpush(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *values,
                                  uint32_t n);
EP_API ep_result ep_aof_rec_lpop(ep_aof_record *rec, ep_bytes key);
EP_API ep_result ep_aof_rec_rpop(ep_aof_record *rec, ep_bytes key);
EP_API ep_result ep_aof_rec_lset(ep_aof_record *rec, ep_bytes key, int64_t index, ep_bytes value);
EP_API ep_result ep_aof_rec_ltrim(ep_aof_record *rec, ep_bytes key, int64_t start, int64_t stop);
EP_API ep_result ep_aof_rec_linsert(ep_aof_record *rec, ep_bytes key, int before, ep_bytes pivot, ep_bytes value);
EP_API ep_result ep_aof_rec_lrem(ep_aof_record *rec, ep_bytes key, int64_t count, ep_bytes value);

EP_API ep_result ep_aof_rec_zadd(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const double *scores,
                                 const ep_bytes *members, uint32_t n);
EP_API ep_result ep_aof_rec_zrem(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *members,
                                 uint32_t n);
EP_API ep_result ep_aof_rec_hset(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *fields,
                                 const ep_bytes *values, uint32_t n);
EP_API ep_result ep_aof_rec_hdel(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *fields,
                                 uint32_t n);
EP_API ep_result ep_aof_rec_hincrby(ep_aof_record *rec, ep_bytes key, ep_bytes field, int64_t delta);
EP_API ep_result ep_aof_rec_sadd(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *members,
                                 uint32_t n);
EP_API ep_result ep_aof_rec_srem(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *members,
                                 uint32_t n);

EP_API ep_result ep_aof_rec_proto_set(ep_aof_record *rec, ep_bytes key, ep_bytes type_name, ep_bytes data,
                                      int64_t expire_ms);
EP_API ep_result ep_aof_rec_proto_register(ep_aof_record *rec, ep_bytes name, ep_bytes descriptor);
/* vector: dim floats, stored little-endian into scratch. EP_ERR_LIMIT above
 * EP_MAX_VECTOR_DIMS. */
EP_API ep_result ep_aof_rec_vadd(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, ep_bytes element,
                                 const float *vector, uint32_t dim, uint8_t metric, uint8_t quantization,
                                 uint32_t connectivity, uint32_t expansion_add);
EP_API ep_result ep_aof_rec_vrem(ep_aof_record *rec, ep_bytes key, ep_bytes element);

#ifdef __cplusplus
}
#endif

#endif /* EP_AOF_BUILD_H */
