/* codec_snap: ember snapshot entries (value types 0-6) between bytes and
 * structs. Pure functions, no I/O; layout in ember-format.md §3.2-§3.3.
 * Decoded entries are views into the caller's buffer. */
#ifndef EP_CODEC_SNAP_H
#define EP_CODEC_SNAP_H

#include "base/base.h"
#include "codec/codec_aof.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ep_value_type {
    EP_TYPE_STRING = 0,
    EP_TYPE_LIST = 1,
    EP_TYPE_ZSET = 2,
    EP_TYPE_HASH = 3,
    EP_TYPE_SET = 4,
    EP_TYPE_PROTO = 5,
    EP_TYPE_VECTOR = 6
} ep_value_type;
#define EP_TYPE_MAX 6

/* A snapshot entry. value: STRING value or PROTO data; type_name: PROTO;
 * items: LIST (BYTES), ZSET (SCORE_MEMBER), HASH (FIELD_VALUE), SET (STR),
 * VECTOR (NAME_VECTOR, items.dim = dim); the vector config fields: VECTOR. */
typedef struct ep_snap_entry {
    ep_bytes key;
    uint8_t type;            /* ep_value_type */
    int64_t expire_ms;       /* remaining ms; -1 (any negative) none; 0 expired */
    ep_bytes value;
    ep_bytes type_name;
    ep_items items;
    uint8_t metric;
    uint8_t quantization;
    uint32_t connectivity;
    uint32_t expansion_add;
    uint32_t dim;
} ep_snap_entry;

EP_API const char *ep_value_type_name(uint8_t type);

/* Decodes one entry of snapshot format version 1 (untagged string) or 2 (and
 * the plaintext inside 3). Applies every cap of §1.4 (including vector metric
 * and quantization <= 2) and checks UTF-8. Returns EP_ERR_EOF if the input ends
 * inside the entry, EP_ERR_UNKNOWN_TAG for a type byte > 6, EP_ERR_LIMIT,
 * EP_ERR_UTF8, EP_ERR_BAD_VALUE. *consumed = the entry's size. */
EP_API ep_result ep_snap_entry_decode(const uint8_t *data, size_t len, int version, ep_snap_entry *out,
                                      size_t *consumed);
/* Appends the version-2 encoding of e to out. */
EP_API ep_result ep_snap_entry_encode(ep_buf *out, const ep_snap_entry *e);

/* One value alone, [type u8][payload] as in a v2 entry but without key and
 * expiry: ember's serialize_snap_value / deserialize_snap_value, the form of
 * DUMP and RESTORE (§3.7). encode ignores e->key and e->expire_ms and appends
 * nothing on an error. decode applies every cap and content rule of
 * ep_snap_entry_decode (vector metric and quantization <= 2 included); the
 * result has an empty key and expire_ms -1, *consumed the value's size (a
 * caller that holds exactly one value checks it equals len). */
EP_API ep_result ep_snap_value_encode(ep_buf *out, const ep_snap_entry *e);
EP_API ep_result ep_snap_value_decode(const uint8_t *data, size_t len, ep_snap_entry *out, size_t *consumed);

#ifdef __cplusplus
}
#endif

#endif /* EP_CODEC_SNAP_H */
