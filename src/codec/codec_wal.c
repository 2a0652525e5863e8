/* codec_wal: WAL segment headers and frames, checkpoint headers, record-log
 * frames (layouts in codec_wal.h). */
#include "base/internal.h"
#include "check/crc_internal.h"
#include "codec/codec_wal.h"

#ifndef EP_NO_WAL

static const uint8_t EP__WAL_MAGIC[4] = {'E', 'P', 'W', 'L'};
static const uint8_t EP__CKPT_MAGIC[4] = {'E', 'P', 'C', 'K'};
static const uint8_t EP__RLOG_MAGIC[4] = {'E', 'P', 'R', 'L'};

/* A 32-byte header whose CRC sits in its last 4 bytes and covers the rest. */
static uint32_t ep__crc_head28(const uint8_t *h) { return ep_crc32(h, 28); }

EP_API void ep_wal_segment_header_encode(uint8_t out[EP_WAL_SEGMENT_HEADER_SIZE], const ep_wal_segment_header *h) {
    memcpy(out, EP__WAL_MAGIC, 4);
    ep_store_u32le(out + 4, h->version ? h->version : EP_WAL_VERSION);
    ep_store_u64le(out + 8, h->segment_id);
    ep_store_u64le(out + 16, h->first_id);
    ep_store_u32le(out + 24, h->flags);
    ep_store_u32le(out + 28, ep__crc_head28(out));
}

EP_API ep_result ep_wal_segment_header_decode(const uint8_t *data, size_t len, ep_wal_segment_header *out) {
    if (!data || len < EP_WAL_SEGMENT_HEADER_SIZE) return EP_ERR_EOF;
    if (memcmp(data, EP__WAL_MAGIC, 4) != 0) return EP_ERR_BAD_MAGIC;
    if (ep_load_u32le(data + 28) != ep__crc_head28(data)) return EP_ERR_CHECKSUM;
    out->version = ep_load_u32le(data + 4);
    out->segment_id = ep_load_u64le(data + 8);
    out->first_id = ep_load_u64le(data + 16);
    out->flags = ep_load_u32le(data + 24);
    if (out->version != EP_WAL_VERSION) return EP_ERR_BAD_VERSION;
    if (out->segment_id == 0 || out->first_id == 0 || out->flags != 0) return EP_ERR_BAD_VALUE;
    return EP_OK;
}

/* The frame CRC: header bytes 0..11, then the payload. A frame whole in
 * memory (decoding, encoding in place) is one pass that skips the CRC field. */
static uint32_t ep__wal_frame_crc(const uint8_t *head12, const void *payload, size_t len) {
    if ((const uint8_t *)payload == head12 + EP_WAL_FRAME_HEADER_SIZE) return ep__crc32_gap(head12, 12, 4, len);
    return ep__crc32_two(head12, 12, payload, len);
}

/* The same CRC from the header's fields: an encoder that has just stored
 * them does not read them back (ep__crc32_words12). */
static uint32_t ep__wal_frame_crc_fields(uint32_t len_flags, uint64_t id, const void *payload, size_t len) {
    return ep__crc32_words12((uint64_t)len_flags | (id << 32), (uint32_t)(id >> 32), payload, len);
}

static void ep__wal_frame_head(uint8_t out[EP_WAL_FRAME_HEADER_SIZE], uint32_t len_flags, uint64_t id) {
    ep_store_u32le(out, len_flags);
    ep_store_u64le(out + 4, id);
}

EP_API ep_result ep_wal_frame_header_encode(uint8_t out[EP_WAL_FRAME_HEADER_SIZE], uint64_t id, const void *payload,
                                            size_t len) {
    if (len > EP_WAL_MAX_RECORD) return EP_ERR_LIMIT;
    if (id == 0 || (len && !payload)) return EP_ERR_INVALID_ARG;
    ep__wal_frame_head(out, (uint32_t)len, id);
    ep_store_u32le(out + 12, ep__wal_frame_crc_fields((uint32_t)len, id, payload, len));
    return EP_OK;
}

EP_API ep_result ep_wal_frame_encode(ep_buf *out, uint64_t id, const void *payload, size_t len) {
    uint8_t head[EP_WAL_FRAME_HEADER_SIZE];
    ep_result r = ep_wal_frame_header_encode(head, id, payload, len);
    if (r != EP_OK) return r;
    if (ep_buf_reserve(out, sizeof head + len) != EP_OK) return out->err ? out->err : EP_ERR_NOMEM;
    ep_buf_put(out, head, sizeof head);
    if (len) ep_buf_put(out, payload, len);
    return out->err;
}

/* Packed batch payload bytes: 4 + sum(4 + len); 0 when it passes the cap. */
static size_t ep__wal_batch_payload(const ep_bytes *records, size_t n) {
    size_t total = 4, i;
    for (i = 0; i < n; i++) {
        if (records[i].len > EP_WAL_MAX_RECORD) return 0;
        total += 4 + records[i].len;
        if (total > EP_WAL_MAX_RECORD) return 0;
    }
    return total;
}

EP_API size_t ep_wal_batch_size(const ep_bytes *records, size_t n) {
    size_t p;
    if (!records || n == 0) return 0;
    p = ep__wal_batch_payload(records, n);
    return p ? p + EP_WAL_FRAME_HEADER_SIZE : 0;
}

EP_API ep_result ep_wal_batch_encode(ep_buf *out, uint64_t first_id, const ep_bytes *records, size_t n) {
    uint8_t head[EP_WAL_FRAME_HEADER_SIZE], word[4];
    size_t payload, start, i;
    uint32_t c;
    if (!out || !records || n == 0 || first_id == 0) return EP_ERR_INVALID_ARG;
    if (n > UINT32_MAX || first_id > UINT64_MAX - (uint64_t)n) return EP_ERR_LIMIT;
    payload = ep__wal_batch_payload(records, n);
    if (!payload) return EP_ERR_LIMIT;
    if (ep_buf_reserve(out, EP_WAL_FRAME_HEADER_SIZE + payload) != EP_OK) return out->err ? out->err : EP_ERR_NOMEM;
    ep__wal_frame_head(head, (uint32_t)payload | EP_WAL_FRAME_BATCH, first_id);
    ep_store_u32le(head + 12, 0);
    start = out->len;
    ep_buf_put(out, head, sizeof head);
    ep_store_u32le(word, (uint32_t)n);
    ep_buf_put(out, word, 4);
    for (i = 0; i < n; i++) {
        ep_store_u32le(word, (uint32_t)records[i].len);
        ep_buf_put(out, word, 4);
        if (records[i].len) ep_buf_put(out, records[i].data, records[i].len);
    }
    if (out->err) return out->err;
    c = ep__wal_frame_crc(out->data + start, out->data + start + EP_WAL_FRAME_HEADER_SIZE, payload);
    ep_store_u32le(out->data + start + 12, c);
    return EP_OK;
}

/* A batch payload must be n >= 1 records that fill it exactly. */
static ep_result ep__wal_batch_check(const uint8_t *p, size_t len, uint32_t *count) {
    size_t pos = 4;
    uint32_t n, i;
    if (len < 4) return EP_ERR_CORRUPT;
    n = ep_load_u32le(p);
    if (n == 0) return EP_ERR_CORRUPT;
    for (i = 0; i < n; i++) {
        uint32_t rl;
        if (len - pos < 4) return EP_ERR_CORRUPT;
        rl = ep_load_u32le(p + pos);
        pos += 4;
        if (rl > len - pos) return EP_ERR_CORRUPT;
        pos += rl;
    }
    if (pos != len) return EP_ERR_CORRUPT;
    *count = n;
    return EP_OK;
}

EP_API ep_result ep_wal_frame_decode(const uint8_t *data, size_t len, uint32_t max_payload, ep_wal_frame *out,
                                     size_t *need) {
    uint32_t lf, plen, count = 1;
    uint64_t id;
    size_t total;
    ep_result r;
    if (need) *need = EP_WAL_FRAME_HEADER_SIZE;
    if (!data || len < EP_WAL_FRAME_HEADER_SIZE) return EP_ERR_EOF;
    if (max_payload == 0 || max_payload > EP_WAL_MAX_RECORD) max_payload = EP_WAL_MAX_RECORD;
    lf = ep_load_u32le(data);
    plen = lf & ~EP_WAL_FRAME_BATCH;
    if (plen > max_payload) return EP_ERR_LIMIT;
    total = EP_WAL_FRAME_HEADER_SIZE + (size_t)plen;
    if (need) *need = total;
    if (len < total) return EP_ERR_EOF;
    if (ep_load_u32le(data + 12) != ep__wal_frame_crc(data, data + EP_WAL_FRAME_HEADER_SIZE, plen))
        return EP_ERR_CHECKSUM;
    id = ep_load_u64le(data + 4);
    if (id == 0) return EP_ERR_BAD_VALUE;
    if (lf & EP_WAL_FRAME_BATCH) {
        r = ep__wal_batch_check(data + EP_WAL_FRAME_HEADER_SIZE, plen, &count);
        if (r != EP_OK) return r;
        if (id > UINT64_MAX - count) return EP_ERR_BAD_VALUE;
    }
    out->id = id;
    out->count = count;
    out->batch = (lf & EP_WAL_FRAME_BATCH) != 0;
    out->payload = ep_bytes_of(data + EP_WAL_FRAME_HEADER_SIZE, plen);
    out->size = total;
    return EP_OK;
}

EP_API int ep_wal_frame_next(const ep_wal_frame *f, size_t *pos, ep_bytes *record) {
    uint32_t rl;
    if (!f->batch) {
        if (*pos != 0) return 0;
        *record = f->payload;
        *pos = 1;
        return 1;
    }
    if (*pos == 0) *pos = 4;
    if (*pos >= f->payload.len) return 0;
    rl = ep_load_u32le(f->payload.data + *pos);
    *record = ep_bytes_of(f->payload.data + *pos + 4, rl);
    *pos += 4 + (size_t)rl;
    return 1;
}

/* ---- checkpoint ---------------------------------------------------------------- */

EP_API uint32_t ep_checkpoint_crc(const uint8_t header[EP_CHECKPOINT_HEADER_SIZE], const void *payload, size_t len) {
    uint32_t c = ep_crc32_update(0, header, 28);
    return len ? ep_crc32_update(c, payload, len) : c;
}

EP_API void ep_checkpoint_header_encode(uint8_t out[EP_CHECKPOINT_HEADER_SIZE], uint64_t last_id,
                                        const void *payload, size_t len) {
    memcpy(out, EP__CKPT_MAGIC, 4);
    ep_store_u32le(out + 4, EP_CHECKPOINT_VERSION);
    ep_store_u64le(out + 8, last_id);
    ep_store_u64le(out + 16, (uint64_t)len);
    ep_store_u32le(out + 24, 0);
    ep_store_u32le(out + 28, ep_checkpoint_crc(out, payload, len));
}

EP_API ep_result ep_checkpoint_header_decode(const uint8_t *data, size_t len, uint64_t max_payload,
                                             uint64_t *last_id, uint64_t *payload_len, uint32_t *crc) {
    uint64_t pl;
    if (!data || len < EP_CHECKPOINT_HEADER_SIZE) return EP_ERR_EOF;
    if (memcmp(data, EP__CKPT_MAGIC, 4) != 0) return EP_ERR_BAD_MAGIC;
    if (ep_load_u32le(data + 4) != EP_CHECKPOINT_VERSION) return EP_ERR_BAD_VERSION;
    if (max_payload == 0 || max_payload > EP_CHECKPOINT_MAX_PAYLOAD) max_payload = EP_CHECKPOINT_MAX_PAYLOAD;
    pl = ep_load_u64le(data + 16);
    if (pl > max_payload || pl > (uint64_t)(SIZE_MAX - EP_CHECKPOINT_HEADER_SIZE)) return EP_ERR_LIMIT;
    if (ep_load_u32le(data + 24) != 0) return EP_ERR_BAD_VALUE;
    if (last_id) *last_id = ep_load_u64le(data + 8);
    if (payload_len) *payload_len = pl;
    if (crc) *crc = ep_load_u32le(data + 28);
    return EP_OK;
}

EP_API ep_result ep_checkpoint_decode(const uint8_t *data, size_t len, uint64_t max_payload, uint64_t *last_id,
                                      ep_bytes *payload) {
    uint64_t id, pl;
    uint32_t crc;
    ep_result r = ep_checkpoint_header_decode(data, len, max_payload, &id, &pl, &crc);
    if (r != EP_OK) return r;
    if (len - EP_CHECKPOINT_HEADER_SIZE < pl) return EP_ERR_EOF;
    if (len - EP_CHECKPOINT_HEADER_SIZE > pl) return EP_ERR_CORRUPT;
    if (crc != ep_checkpoint_crc(data, data + EP_CHECKPOINT_HEADER_SIZE, (size_t)pl)) return EP_ERR_CHECKSUM;
    if (last_id) *last_id = id;
    if (payload) *payload = ep_bytes_of(data + EP_CHECKPOINT_HEADER_SIZE, (size_t)pl);
    return EP_OK;
}

/* ---- record log ---------------------------------------------------------------- */

EP_API void ep_recordlog_header_encode(uint8_t out[EP_RECORDLOG_HEADER_SIZE]) {
    memcpy(out, EP__RLOG_MAGIC, 4);
    ep_store_u32le(out + 4, EP_RECORDLOG_VERSION);
    ep_store_u32le(out + 8, 0);
    ep_store_u32le(out + 12, ep_crc32(out, 12));
}

EP_API ep_result ep_recordlog_header_decode(const uint8_t *data, size_t len) {
    if (!data || len < EP_RECORDLOG_HEADER_SIZE) return EP_ERR_EOF;
    if (memcmp(data, EP__RLOG_MAGIC, 4) != 0) return EP_ERR_BAD_MAGIC;
    if (ep_load_u32le(data + 12) != ep_crc32(data, 12)) return EP_ERR_CHECKSUM;
    if (ep_load_u32le(data + 4) != EP_RECORDLOG_VERSION) return EP_ERR_BAD_VERSION;
    if (ep_load_u32le(data + 8) != 0) return EP_ERR_BAD_VALUE;
    return EP_OK;
}

static uint32_t ep__rlog_crc(const uint8_t *len4, const void *payload, size_t len) {
    uint32_t c = ep_crc32_update(0, len4, 4);
    return len ? ep_crc32_update(c, payload, len) : c;
}

EP_API ep_result ep_recordlog_frame_encode(ep_buf *out, const void *payload, size_t len) {
    uint8_t head[EP_RECORDLOG_FRAME_HEADER_SIZE];
    if (len > EP_RECORDLOG_MAX_RECORD) return EP_ERR_LIMIT;
    if (len && !payload) return EP_ERR_INVALID_ARG;
    ep_store_u32le(head, (uint32_t)len);
    ep_store_u32le(head + 4, ep__rlog_crc(head, payload, len));
    if (ep_buf_reserve(out, sizeof head + len) != EP_OK) return out->err ? out->err : EP_ERR_NOMEM;
    ep_buf_put(out, head, sizeof head);
    if (len) ep_buf_put(out, payload, len);
    return out->err;
}

EP_API ep_result ep_recordlog_frame_decode(const uint8_t *data, size_t len, uint32_t max_payload, ep_bytes *payload,
                                           size_t *size, size_t *need) {
    uint32_t plen;
    size_t total;
    if (need) *need = EP_RECORDLOG_FRAME_HEADER_SIZE;
    if (!data || len < EP_RECORDLOG_FRAME_HEADER_SIZE) return EP_ERR_EOF;
    if (max_payload == 0 || max_payload > EP_RECORDLOG_MAX_RECORD) max_payload = EP_RECORDLOG_MAX_RECORD;
    plen = ep_load_u32le(data);
    if (plen > max_payload) return EP_ERR_LIMIT;
    total = EP_RECORDLOG_FRAME_HEADER_SIZE + (size_t)plen;
    if (need) *need = total;
    if (len < total) return EP_ERR_EOF;
    if (ep_load_u32le(data + 4) != ep__rlog_crc(data, data + EP_RECORDLOG_FRAME_HEADER_SIZE, plen))
        return EP_ERR_CHECKSUM;
    if (payload) *payload = ep_bytes_of(data + EP_RECORDLOG_FRAME_HEADER_SIZE, plen);
    if (size) *size = total;
    return EP_OK;
}

#endif /* EP_NO_WAL */
