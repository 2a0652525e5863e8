/* codec_trailer: the snapshot trailer, bytes that ep_shard_snapshot puts
 * after a snapshot's footer CRC (ember stops reading at the footer) to say
 * which prefix of shard-{id}.aof the snapshot already contains, and the
 * PROTO.REGISTER schemas (docs/recovery.md). Pure functions, no I/O.
 *
 * Version 2 (written):
 *   4  magic "EPTR"
 *   1  version 2
 *   4  schema count u32 LE, then per schema: name (u32 length + UTF-8),
 *      descriptor (u32 length + bytes)
 *   4  CRC-32 of the bytes above (the head)
 *  20  coverage slot 0: covered_len u64 LE, covered_hash u64 LE, CRC-32 of those 16
 *  20  coverage slot 1: the same layout
 * covered_len counts AOF bytes from the start of the file (header
 * included); covered_hash is ep_phash of AOF bytes [5, covered_len), the
 * records without the 5-byte header (the v1 and v2 headers frame the same
 * records). Both slots are written equal. ep_shard_rewrite later rewrites
 * slot 1 alone in place ("covers nothing"), so a torn update leaves slot 0
 * intact, and a damaged byte in either slot leaves the other one readable:
 * the decoder takes slot 1 when its CRC matches, else slot 0.
 *
 * Version 1 (read): the same head, then one slot whose covered_hash is
 * ep_phash of AOF bytes [0, covered_len).
 *
 * The trailer is self-delimiting: the decoder parses it from its first byte
 * and reports any bytes after it (appended to the file later) in extra. */
#ifndef EP_CODEC_TRAILER_H
#define EP_CODEC_TRAILER_H

#include "base/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_TRAILER_MAGIC "EPTR"
#define EP_TRAILER_VERSION 2
#define EP_TRAILER_SLOT_SIZE 20
/* covered_hash of version 2 starts after the AOF header (5 bytes). */
#define EP_TRAILER_V2_HASH_FROM 5u

typedef struct ep_trailer_schema {
    ep_bytes name;        /* UTF-8 */
    ep_bytes descriptor;
} ep_trailer_schema;

typedef struct ep_trailer_info {
    uint8_t version;         /* 1 or 2 */
    uint32_t schema_count;
    ep_bytes schemas;        /* the encoded pairs; walk with ep_trailer_schema_next */
    int covered_valid;       /* a coverage slot's CRC matched (else covered_* are 0) */
    uint64_t covered_len;    /* from slot 1 if valid, else slot 0 */
    uint64_t covered_hash;
    uint64_t hash_from;      /* covered_hash is of AOF bytes [hash_from, covered_len) */
    unsigned slots_valid;    /* bit i: slot i's CRC matched (version 1 has slot 0 only) */
    size_t slot_offset[2];   /* where each slot starts, from the trailer's first byte */
    size_t length;           /* the trailer's own bytes */
    size_t extra;            /* bytes after it, not part of it */
} ep_trailer_info;

/* Parses data[0..len) from its first byte. EP_OK: *out describes the trailer
 * (a coverage slot may still be damaged: covered_valid, slots_valid). Errors:
 * EP_ERR_EOF (cut short), EP_ERR_BAD_MAGIC, EP_ERR_BAD_VERSION,
 * EP_ERR_CHECKSUM (head CRC), EP_ERR_LIMIT / EP_ERR_UTF8 (a schema field). */
EP_API ep_result ep_trailer_decode(const uint8_t *data, size_t len, ep_trailer_info *out);
/* 1 and the next pair while any remain (pos starts at 0), else 0. */
EP_API int ep_trailer_schema_next(const ep_trailer_info *t, size_t *pos, ep_bytes *name, ep_bytes *descriptor);

/* Appends a version-2 trailer (both slots = covered_len, covered_hash) to
 * out. EP_ERR_UTF8 / EP_ERR_LIMIT for a schema field the decoder would
 * refuse, EP_ERR_NOMEM; out is left as it was on an error. */
EP_API ep_result ep_trailer_encode(ep_buf *out, const ep_trailer_schema *schemas, uint32_t n, uint64_t covered_len,
                                   uint64_t covered_hash);
/* One coverage slot (the bytes an in-place update writes). */
EP_API void ep_trailer_slot_encode(uint8_t out[EP_TRAILER_SLOT_SIZE], uint64_t covered_len, uint64_t covered_hash);

#ifdef __cplusplus
}
#endif

#endif /* EP_CODEC_TRAILER_H */
