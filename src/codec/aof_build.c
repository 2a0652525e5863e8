/* aof_build: the record builders (aof_build.h). Each sets the fields its
 * tag's layout uses (codec_aof.h lists them) and leaves the rest zero. */
#include "base/internal.h"
#include "codec/codec_aof.h"
#include "codec/aof_build.h"

static ep_result ep__build(ep_aof_record *rec, uint8_t tag, ep_bytes key) {
    if (!rec) return EP_ERR_INVALID_ARG;
    memset(rec, 0, sizeof *rec);
    rec->tag = tag;
    rec->key = key;
    return EP_OK;
}

static ep_result ep__build_num(ep_aof_record *rec, uint8_t tag, ep_bytes key, int64_t num) {
    ep_result r = ep__build(rec, tag, key);
    if (r == EP_OK) rec->num = num;
    return r;
}

static ep_result ep__build_num_value(ep_aof_record *rec, uint8_t tag, ep_bytes key, int64_t num, ep_bytes value) {
    ep_result r = ep__build(rec, tag, key);
    if (r != EP_OK) return r;
    rec->num = num;
    rec->value = value;
    return EP_OK;
}

static ep_result ep__build_key2(ep_aof_record *rec, uint8_t tag, ep_bytes key, ep_bytes key2) {
    ep_result r = ep__build(rec, tag, key);
    if (r == EP_OK) rec->key2 = key2;
    return r;
}

/* The elements of a multi-element kind, encoded into scratch (reset first). */
static ep_result ep__build_items(ep_aof_record *rec, ep_buf *scratch, uint8_t tag, ep_bytes key, ep_items_kind kind,
                               const ep_bytes *a, const ep_bytes *b, const double *scores, uint32_t n) {
    ep_result r = ep__build(rec, tag, key);
    if (r != EP_OK) return r;
    if (!scratch) return EP_ERR_INVALID_ARG;
    ep_buf_reset(scratch);
    r = ep_items_build(scratch, kind, a, b, scores, n, &rec->items);
    if (r != EP_OK) {
        scratch->err = EP_OK; /* usable for the next record */
        memset(&rec->items, 0, sizeof rec->items);
    }
    return r;
}

EP_API ep_result ep_aof_rec_set(ep_aof_record *rec, ep_bytes key, ep_bytes value, int64_t expire_ms) {
    return ep__build_num_value(rec, EP_AOF_SET, key, expire_ms, value);
}
EP_API ep_result ep_aof_rec_del(ep_aof_record *rec, ep_bytes key) { return ep__build(rec, EP_AOF_DEL, key); }
EP_API ep_result ep_aof_rec_expire(ep_aof_record *rec, ep_bytes key, int64_t seconds) {
    return ep__build_num(rec, EP_AOF_EXPIRE, key, seconds);
}
EP_API ep_result ep_aof_rec_pexpire(ep_aof_record *rec, ep_bytes key, int64_t ms) {
    return ep__build_num(rec, EP_AOF_PEXPIRE, key, ms);
}
EP_API ep_result ep_aof_rec_pexpireat(ep_aof_record *rec, ep_bytes key, int64_t unix_ms) {
    return ep__build_num(rec, EP_AOF_PEXPIREAT, key, unix_ms);
}
EP_API ep_result ep_aof_rec_persist(ep_aof_record *rec, ep_bytes key) { return ep__build(rec, EP_AOF_PERSIST, key); }
EP_API ep_result ep_aof_rec_incr(ep_aof_record *rec, ep_bytes key) { return ep__build(rec, EP_AOF_INCR, key); }
EP_API ep_result ep_aof_rec_decr(ep_aof_record *rec, ep_bytes key) { return ep__build(rec, EP_AOF_DECR, key); }
EP_API ep_result ep_aof_rec_incrby(ep_aof_record *rec, ep_bytes key, int64_t delta) {
    return ep__build_num(rec, EP_AOF_INCRBY, key, delta);
}
EP_API ep_result ep_aof_rec_decrby(ep_aof_record *rec, ep_bytes key, int64_t delta) {
    return ep__build_num(rec, EP_AOF_DECRBY, key, delta);
}
EP_API ep_result ep_aof_rec_append(ep_aof_record *rec, ep_bytes key, ep_bytes value) {
    return ep__build_num_value(rec, EP_AOF_APPEND, key, 0, value);
}
EP_API ep_result ep_aof_rec_setrange(ep_aof_record *rec, ep_bytes key, int64_t offset, ep_bytes value) {
    return ep__build_num_value(rec, EP_AOF_SETRANGE, key, offset, value);
}
EP_API ep_result ep_aof_rec_setbit(ep_aof_record *rec, ep_bytes key, uint64_t offset, uint8_t bit) {
    ep_result r = ep__build(rec, EP_AOF_SETBIT, key);
    if (r != EP_OK) return r;
    memcpy(&rec->num, &offset, sizeof offset); /* ember stores the u64 bit-cast */
    rec->flag = bit;
    return EP_OK;
}
EP_API ep_result ep_aof_rec_bitop(ep_aof_record *rec, ep_buf *scratch, uint8_t op, ep_bytes dest,
                                  const ep_bytes *keys, uint32_t n) {
    ep_result r = ep__build_items(rec, scratch, EP_AOF_BITOP, dest, EP_ITEMS_STR, keys, NULL, NULL, n);
    if (r == EP_OK) rec->flag = op;
    return r;
}
EP_API ep_result ep_aof_rec_rename(ep_aof_record *rec, ep_bytes key, ep_bytes new_key) {
    return ep__build_key2(rec, EP_AOF_RENAME, key, new_key);
}
EP_API ep_result ep_aof_rec_copy(ep_aof_record *rec, ep_bytes source, ep_bytes destination, int replace) {
    ep_result r = ep__build_key2(rec, EP_AOF_COPY, source, destination);
    if (r == EP_OK) rec->flag = replace ? 1 : 0;
    return r;
}

EP_API ep_result ep_aof_rec_lpush(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *values,
                                  uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_LPUSH, key, EP_ITEMS_BYTES, values, NULL, NULL, n);
}
EP_API ep_result ep_aof_rec_rpush(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *values,
                                  uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_RPUSH, key, EP_ITEMS_BYTES, values, NULL, NULL, n);
}
EP_API ep_result ep_aof_rec_lpop(ep_aof_record *rec, ep_bytes key) { return ep__build(rec, EP_AOF_LPOP, key); }
EP_API ep_result ep_aof_rec_rpop(ep_aof_record *rec, ep_bytes key) { return ep__build(rec, EP_AOF_RPOP, key); }
EP_API ep_result ep_aof_rec_lset(ep_aof_record *rec, ep_bytes key, int64_t index, ep_bytes value) {
    return ep__build_num_value(rec, EP_AOF_LSET, key, index, value);
}
EP_API ep_result ep_aof_rec_ltrim(ep_aof_record *rec, ep_bytes key, int64_t start, int64_t stop) {
    ep_result r = ep__build_num(rec, EP_AOF_LTRIM, key, start);
    if (r == EP_OK) rec->num2 = stop;
    return r;
}
EP_API ep_result ep_aof_rec_linsert(ep_aof_record *rec, ep_bytes key, int before, ep_bytes pivot, ep_bytes value) {
    ep_result r = ep__build_num_value(rec, EP_AOF_LINSERT, key, 0, value);
    if (r != EP_OK) return r;
    rec->flag = before ? 1 : 0;
    rec->pivot = pivot;
    return EP_OK;
}
EP_API ep_result ep_aof_rec_lrem(ep_aof_record *rec, ep_bytes key, int64_t count, ep_bytes value) {
    return ep__build_num_value(rec, EP_AOF_LREM, key, count, value);
}

EP_API ep_result ep_aof_rec_zadd(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const double *scores,
                                 const ep_bytes *members, uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_ZADD, key, EP_ITEMS_SCORE_MEMBER, members, NULL, scores, n);
}
EP_API ep_result ep_aof_rec_zrem(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *members,
                                 uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_ZREM, key, EP_ITEMS_STR, members, NULL, NULL, n);
}
EP_API ep_result ep_aof_rec_hset(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *fields,
                                 const ep_bytes *values, uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_HSET, key, EP_ITEMS_FIELD_VALUE, fields, values, NULL, n);
}
EP_API ep_result ep_aof_rec_hdel(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *fields,
                                 uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_HDEL, key, EP_ITEMS_STR, fields, NULL, NULL, n);
}
EP_API ep_result ep_aof_rec_hincrby(ep_aof_record *rec, ep_bytes key, ep_bytes field, int64_t delta) {
    ep_result r = ep__build_key2(rec, EP_AOF_HINCRBY, key, field);
    if (r == EP_OK) rec->num = delta;
    return r;
}
EP_API ep_result ep_aof_rec_sadd(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *members,
                                 uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_SADD, key, EP_ITEMS_STR, members, NULL, NULL, n);
}
EP_API ep_result ep_aof_rec_srem(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, const ep_bytes *members,
                                 uint32_t n) {
    return ep__build_items(rec, scratch, EP_AOF_SREM, key, EP_ITEMS_STR, members, NULL, NULL, n);
}

EP_API ep_result ep_aof_rec_proto_set(ep_aof_record *rec, ep_bytes key, ep_bytes type_name, ep_bytes data,
                                      int64_t expire_ms) {
    ep_result r = ep__build_num_value(rec, EP_AOF_PROTO_SET, key, expire_ms, data);
    if (r == EP_OK) rec->key2 = type_name;
    return r;
}
EP_API ep_result ep_aof_rec_proto_register(ep_aof_record *rec, ep_bytes name, ep_bytes descriptor) {
    return ep__build_num_value(rec, EP_AOF_PROTO_REGISTER, name, 0, descriptor);
}
EP_API ep_result ep_aof_rec_vadd(ep_aof_record *rec, ep_buf *scratch, ep_bytes key, ep_bytes element,
                                 const float *vector, uint32_t dim, uint8_t metric, uint8_t quantization,
                                 uint32_t connectivity, uint32_t expansion_add) {
    ep_result r = ep__build_key2(rec, EP_AOF_VADD, key, element);
    uint32_t i;
    if (r != EP_OK) return r;
    if (!scratch || (dim && !vector)) return EP_ERR_INVALID_ARG;
    if (dim > EP_MAX_VECTOR_DIMS) return EP_ERR_LIMIT;
    ep_buf_reset(scratch);
    if ((r = ep_buf_reserve(scratch, (size_t)dim * 4u)) != EP_OK) {
        scratch->err = EP_OK;
        return r;
    }
    for (i = 0; i < dim; i++) ep_store_f32le(scratch->data + 4u * i, vector[i]); /* LE whatever the host */
    scratch->len = (size_t)dim * 4u;
    rec->dim = dim;
    rec->vector = ep_bytes_of(dim ? scratch->data : NULL, (size_t)dim * 4u);
    rec->flag = metric;
    rec->flag2 = quantization;
    rec->connectivity = connectivity;
    rec->expansion_add = expansion_add;
    return EP_OK;
}
EP_API ep_result ep_aof_rec_vrem(ep_aof_record *rec, ep_bytes key, ep_bytes element) {
    return ep__build_key2(rec, EP_AOF_VREM, key, element);
}
