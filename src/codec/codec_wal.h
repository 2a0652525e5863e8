/* codec_wal: the byte layouts of the generic write-ahead log, its checkpoint
 * files and the single-file record log. Pure functions, no I/O (fuzzed).
 * Little-endian, fixed widths. The CRC is zlib's CRC-32 (src/check/crc.c,
 * check value 0xCBF43926) and covers every byte of a header or frame except
 * the CRC field itself, so a flipped length, id or segment id is caught.
 *
 * Segment header, 32 bytes (file wal_<segment id, 20 digits>.log):
 *   0 magic "EPWL" | 4 version u32 (1) | 8 segment_id u64 | 16 first_id u64
 *   | 24 flags u32 (0) | 28 crc u32 over bytes 0..27
 * Frame, 16 bytes + payload:
 *   0 len u32 (bits 0..30 payload length, bit 31 batch) | 4 id u64
 *   | 12 crc u32 over bytes 0..11 and the payload | 16 payload
 *   A batch frame holds n >= 1 records with ids id .. id+n-1:
 *   payload = n u32, then n times (len u32, bytes); they must fill it exactly.
 *   One CRC over the whole batch makes it all-or-nothing after a crash.
 * Checkpoint header, 32 bytes, then the payload:
 *   0 magic "EPCK" | 4 version u32 (1) | 8 last_id u64 | 16 payload_len u64
 *   | 24 flags u32 (0) | 28 crc u32 over bytes 0..27 and the payload
 * Record log: header 16 bytes "EPRL" | version u32 (1) | flags u32 (0)
 *   | crc u32 over bytes 0..11; frame = len u32 | crc u32 over len and
 *   payload | payload. */
#ifndef EP_CODEC_WAL_H
#define EP_CODEC_WAL_H

#include "base/base.h"

#ifndef EP_NO_WAL

#ifdef __cplusplus
extern "C" {
#endif

#define EP_WAL_VERSION 1
#define EP_WAL_SEGMENT_HEADER_SIZE 32
#define EP_WAL_FRAME_HEADER_SIZE 16
#define EP_WAL_FRAME_BATCH 0x80000000u
#define EP_WAL_MAX_RECORD (16u * 1024u * 1024u)   /* payload cap of one frame */
#define EP_CHECKPOINT_VERSION 1
#define EP_CHECKPOINT_HEADER_SIZE 32
#define EP_CHECKPOINT_MAX_PAYLOAD ((uint64_t)256u * 1024u * 1024u)
#define EP_RECORDLOG_VERSION 1
#define EP_RECORDLOG_HEADER_SIZE 16
#define EP_RECORDLOG_FRAME_HEADER_SIZE 8
#define EP_RECORDLOG_MAX_RECORD (64u * 1024u * 1024u)

typedef struct ep_wal_segment_header {
    uint32_t version;
    uint64_t segment_id;   /* >= 1, +1 per segment */
    uint64_t first_id;     /* id of the segment's first record, >= 1 */
    uint32_t flags;
} ep_wal_segment_header;

/* One decoded frame; payload is a view into the input. For a batch frame
 * count > 1 is possible and payload holds the packed records (use
 * ep_wal_batch_next); for a single record count = 1 and payload is it. */
typedef struct ep_wal_frame {
    uint64_t id;           /* first record id */
    uint32_t count;        /* records in the frame */
    int batch;             /* non-zero: payload is a packed batch */
    ep_bytes payload;
    size_t size;           /* bytes of the whole frame */
} ep_wal_frame;

/* 32 bytes into out. */
EP_API void ep_wal_segment_header_encode(uint8_t out[EP_WAL_SEGMENT_HEADER_SIZE], const ep_wal_segment_header *h);
/* EP_ERR_EOF (fewer than 32 bytes), EP_ERR_BAD_MAGIC, EP_ERR_CHECKSUM,
 * EP_ERR_BAD_VERSION, EP_ERR_BAD_VALUE (segment or first id 0, flags). */
EP_API ep_result ep_wal_segment_header_decode(const uint8_t *data, size_t len, ep_wal_segment_header *out);

/* The 16-byte frame header of a single record (id, payload) into out, CRC
 * included; the payload follows it. EP_ERR_LIMIT above EP_WAL_MAX_RECORD. */
EP_API ep_result ep_wal_frame_header_encode(uint8_t out[EP_WAL_FRAME_HEADER_SIZE], uint64_t id, const void *payload,
                                            size_t len);
/* Appends a whole single-record frame to out. */
EP_API ep_result ep_wal_frame_encode(ep_buf *out, uint64_t id, const void *payload, size_t len);
/* Appends one batch frame holding n records (ids first_id ..). n >= 1;
 * EP_ERR_LIMIT if the packed payload passes EP_WAL_MAX_RECORD. */
EP_API ep_result ep_wal_batch_encode(ep_buf *out, uint64_t first_id, const ep_bytes *records, size_t n);
/* Bytes of the batch frame for these records; 0 if it passes the cap. */
EP_API size_t ep_wal_batch_size(const ep_bytes *records, size_t n);

/* Decodes the frame at data. Checks, in order: the 16-byte header is there
 * (EP_ERR_EOF, *need = 16), the length against max_payload (EP_ERR_LIMIT;
 * 0 means EP_WAL_MAX_RECORD), the payload is there (EP_ERR_EOF, *need =
 * its whole size), the CRC (EP_ERR_CHECKSUM), id >= 1 (EP_ERR_BAD_VALUE), and
 * for a batch that its records fill the payload exactly (EP_ERR_CORRUPT).
 * need may be NULL. Never reads past len, never allocates. */
EP_API ep_result ep_wal_frame_decode(const uint8_t *data, size_t len, uint32_t max_payload, ep_wal_frame *out,
                                     size_t *need);

/* Walks a frame's records. Start with *pos = 0; returns 1 and the next
 * record (a view), 0 at the end. The frame must come from ep_wal_frame_decode. */
EP_API int ep_wal_frame_next(const ep_wal_frame *f, size_t *pos, ep_bytes *record);

/* Checkpoint header (the CRC needs the payload: pass it whole). */
EP_API void ep_checkpoint_header_encode(uint8_t out[EP_CHECKPOINT_HEADER_SIZE], uint64_t last_id,
                                        const void *payload, size_t len);
/* The header's fields only, before the payload is read: EP_ERR_EOF,
 * EP_ERR_BAD_MAGIC, EP_ERR_BAD_VERSION, EP_ERR_LIMIT (payload_len above
 * max_payload, 0 = EP_CHECKPOINT_MAX_PAYLOAD), EP_ERR_BAD_VALUE (flags). */
EP_API ep_result ep_checkpoint_header_decode(const uint8_t *data, size_t len, uint64_t max_payload,
                                             uint64_t *last_id, uint64_t *payload_len, uint32_t *crc);
/* The CRC a checkpoint with this header and payload must carry. */
EP_API uint32_t ep_checkpoint_crc(const uint8_t header[EP_CHECKPOINT_HEADER_SIZE], const void *payload, size_t len);
/* A whole checkpoint file in memory: header, cap, payload present (bytes
 * after it are refused: EP_ERR_CORRUPT), CRC. payload is a view. */
EP_API ep_result ep_checkpoint_decode(const uint8_t *data, size_t len, uint64_t max_payload, uint64_t *last_id,
                                      ep_bytes *payload);

/* Record log. */
EP_API void ep_recordlog_header_encode(uint8_t out[EP_RECORDLOG_HEADER_SIZE]);
EP_API ep_result ep_recordlog_header_decode(const uint8_t *data, size_t len);
EP_API ep_result ep_recordlog_frame_encode(ep_buf *out, const void *payload, size_t len);
/* As ep_wal_frame_decode: EP_ERR_EOF (+ *need), EP_ERR_LIMIT, EP_ERR_CHECKSUM. */
EP_API ep_result ep_recordlog_frame_decode(const uint8_t *data, size_t len, uint32_t max_payload, ep_bytes *payload,
                                           size_t *size, size_t *need);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_WAL */
#endif /* EP_CODEC_WAL_H */
