/* codec_aof: ember AOF records (tags 1-35) between bytes and structs. Pure
 * functions, no I/O. The byte layout is ../shared/spec/ember-format.md §2.2.
 * A decoded record is a set of views into the caller's buffer: decoding never
 * allocates. Multi-element payloads (LPUSH values, ZADD pairs ...) are kept as
 * an ep_items view, validated once at decode, and walked with ep_items_next. */
#ifndef EP_CODEC_AOF_H
#define EP_CODEC_AOF_H

#include "base/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reader caps (§1.4). Writers do not check them except the u32 limit. */
#define EP_MAX_FIELD_LEN 536870912u             /* 512 MiB, inclusive */
#define EP_MAX_COLLECTION_COUNT 100000000u
#define EP_MAX_VECTOR_DIMS 65536u
#define EP_MAX_VECTOR_COUNT 10000000u
#define EP_MAX_VECTOR_TOTAL_FLOATS 1000000000u

typedef enum ep_aof_tag {
    EP_AOF_SET = 1, EP_AOF_DEL = 2, EP_AOF_EXPIRE = 3, EP_AOF_LPUSH = 4, EP_AOF_RPUSH = 5,
    EP_AOF_LPOP = 6, EP_AOF_RPOP = 7, EP_AOF_ZADD = 8, EP_AOF_ZREM = 9, EP_AOF_PERSIST = 10,
    EP_AOF_PEXPIRE = 11, EP_AOF_INCR = 12, EP_AOF_DECR = 13, EP_AOF_HSET = 14, EP_AOF_HDEL = 15,
    EP_AOF_HINCRBY = 16, EP_AOF_SADD = 17, EP_AOF_SREM = 18, EP_AOF_INCRBY = 19, EP_AOF_DECRBY = 20,
    EP_AOF_APPEND = 21, EP_AOF_RENAME = 22, EP_AOF_PROTO_SET = 23, EP_AOF_PROTO_REGISTER = 24,
    EP_AOF_VADD = 25, EP_AOF_VREM = 26, EP_AOF_COPY = 27, EP_AOF_LSET = 28, EP_AOF_LTRIM = 29,
    EP_AOF_LINSERT = 30, EP_AOF_LREM = 31, EP_AOF_SETRANGE = 32, EP_AOF_SETBIT = 33,
    EP_AOF_BITOP = 34, EP_AOF_PEXPIREAT = 35
} ep_aof_tag;
#define EP_AOF_TAG_MIN 1
#define EP_AOF_TAG_MAX 35

/* BITOP op byte. */
#define EP_BITOP_AND 0
#define EP_BITOP_OR 1
#define EP_BITOP_XOR 2
#define EP_BITOP_NOT 3

/* The shape of each element in an ep_items run. */
typedef enum ep_items_kind {
    EP_ITEMS_NONE = 0,
    EP_ITEMS_BYTES = 1,         /* bytes: list values */
    EP_ITEMS_STR = 2,           /* str (UTF-8): set members, zrem members, hash fields, bitop keys */
    EP_ITEMS_SCORE_MEMBER = 3,  /* f64 score, str member: sorted-set pairs */
    EP_ITEMS_FIELD_VALUE = 4,   /* str field, bytes value: hash pairs */
    EP_ITEMS_NAME_VECTOR = 5    /* str name, dim x f32: vector elements (snapshot) */
} ep_items_kind;

/* count elements of one kind, encoded back to back in raw (the bytes after
 * the u32 count). Already validated when it came out of a decoder. */
typedef struct ep_items {
    uint32_t count;
    uint8_t kind;       /* ep_items_kind */
    uint32_t dim;       /* EP_ITEMS_NAME_VECTOR only */
    ep_bytes raw;
} ep_items;

/* One element. Which fields are set depends on the kind:
 * BYTES/STR: a; SCORE_MEMBER: score, a = member; FIELD_VALUE: a = field,
 * b = value; NAME_VECTOR: a = name, b = dim*4 bytes of LE f32. */
typedef struct ep_item {
    ep_bytes a;
    ep_bytes b;
    double score;
} ep_item;

typedef struct ep_items_iter {
    const uint8_t *p;
    const uint8_t *end;
    uint32_t left;
    uint8_t kind;
    uint32_t dim;
} ep_items_iter;

EP_API void ep_items_iter_init(ep_items_iter *it, const ep_items *items);
/* 1 and fills out while elements remain, then 0. Safe on validated items. */
EP_API int ep_items_next(ep_items_iter *it, ep_item *out);

/* A decoded (or to-be-encoded) record. Field use per tag:
 *  key    SET..PEXPIREAT: the key; COPY: source; BITOP: destination;
 *         PROTO.REGISTER: name
 *  key2   RENAME: new key; COPY: destination; HINCRBY: field;
 *         VADD/VREM: element; PROTO.SET: type name
 *  value  SET, APPEND, SETRANGE, LSET, LINSERT, LREM: the value;
 *         PROTO.SET: data; PROTO.REGISTER: descriptor
 *  pivot  LINSERT
 *  num    SET/PROTO.SET expire_ms; EXPIRE seconds; PEXPIRE ms; PEXPIREAT
 *         unix ms; INCRBY/DECRBY/HINCRBY delta; LSET index; LTRIM start;
 *         LREM count; SETRANGE offset; SETBIT offset
 *  num2   LTRIM stop
 *  flag   COPY replace; LINSERT before; SETBIT bit; BITOP op; VADD metric
 *  flag2  VADD quantization
 *  items  LPUSH/RPUSH values; ZADD pairs; ZREM/SADD/SREM members; HSET
 *         pairs; HDEL fields; BITOP source keys
 *  dim, vector, connectivity, expansion_add   VADD (vector = dim*4 bytes LE f32) */
typedef struct ep_aof_record {
    uint8_t tag;
    uint8_t flag;
    uint8_t flag2;
    ep_bytes key;
    ep_bytes key2;
    ep_bytes value;
    ep_bytes pivot;
    int64_t num;
    int64_t num2;
    ep_items items;
    uint32_t dim;
    uint32_t connectivity;
    uint32_t expansion_add;
    ep_bytes vector;
} ep_aof_record;

/* "SET", "DEL" ... or NULL for an unknown tag. */
EP_API const char *ep_aof_tag_name(uint8_t tag);

/* Structure only: walks tag + payload in data[0..len), applying the caps as
 * each length or count is read. Fills *rec with views and *consumed with the
 * record's size (no CRC here). Returns
 *   EP_ERR_EOF          the input ends inside the record (a torn tail, to a file reader)
 *   EP_ERR_UNKNOWN_TAG  tag 0 or > 35
 *   EP_ERR_LIMIT        a length or count above its cap
 * It does not check UTF-8 or value ranges: that is ep_aof_validate, which a
 * file reader runs after the CRC matched (the order ember uses). */
EP_API ep_result ep_aof_frame(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed);
/* Semantic checks on a framed record: UTF-8 of keys/members/fields/names
 * (EP_ERR_UTF8), negative EXPIRE/PEXPIRE/PEXPIREAT (EP_ERR_BAD_VALUE), BITOP
 * op > 3 (EP_ERR_BAD_VALUE). */
EP_API ep_result ep_aof_validate(const ep_aof_record *rec);
/* frame + validate. */
EP_API ep_result ep_aof_decode(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed);

/* Appends tag + payload (no CRC) to out: a record's replication bytes
 * (ember's AofRecord::to_bytes, §3.7); ep_aof_decode reads them back (ember's
 * from_bytes: trailing bytes are left to the caller through *consumed). A
 * file record is exactly these bytes followed by their CRC-32. items.raw is copied as it is, so a
 * decoded record re-encodes to the same bytes. EP_ERR_INVALID_ARG for an
 * unknown tag or an items kind that does not fit the tag. */
EP_API ep_result ep_aof_encode(ep_buf *out, const ep_aof_record *rec);

/* Build an items run from arrays (for encoding). Allocates raw in buf; the
 * returned items point into buf, so keep buf alive while they are used.
 * second may be NULL for BYTES/STR; scores only for SCORE_MEMBER. */
EP_API ep_result ep_items_build(ep_buf *buf, ep_items_kind kind, const ep_bytes *first, const ep_bytes *second,
                                const double *scores, uint32_t count, ep_items *out);

#ifdef __cplusplus
}
#endif

#endif /* EP_CODEC_AOF_H */
