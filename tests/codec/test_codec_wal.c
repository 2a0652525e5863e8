/* codec_wal: byte-exact vectors (computed independently with Python's
 * zlib.crc32 and struct.pack), the CRC check value, round trips, every cap,
 * every cut of every header and frame, and every bit flip of them. */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>

static const uint8_t SEG1[] = {0x45, 0x50, 0x57, 0x4c, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                               0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0x2e, 0x8d, 0xb3};
static const uint8_t SEG7[] = {0x45, 0x50, 0x57, 0x4c, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                               0x39, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x75, 0xb8, 0xe1, 0x0d};
static const uint8_t FRAME_HELLO[] = {0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x2f, 0x95, 0xe5, 0x10, 0x68, 0x65, 0x6c, 0x6c, 0x6f};
static const uint8_t FRAME_EMPTY9[] = {0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x44, 0xdd, 0x9a, 0x64};
static const uint8_t FRAME_BATCH[] = {0x14, 0x00, 0x00, 0x80, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x33, 0xde, 0x74, 0x0d, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                      0x61, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x78, 0x79, 0x7a};
static const uint8_t CKPT42[] = {0x45, 0x50, 0x43, 0x4b, 0x01, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x2c, 0x19, 0xcb, 0xa8, 0x73, 0x74, 0x61, 0x74, 0x65};
static const uint8_t RLOG_HEAD[] = {0x45, 0x50, 0x52, 0x4c, 0x01, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x53, 0x7d, 0x46, 0xe2};
static const uint8_t RLOG_ABC[] = {0x03, 0x00, 0x00, 0x00, 0x33, 0x5d, 0xe1, 0x66, 0x61, 0x62, 0x63};

EPT_CASE(crc_check_value) {
    EPT_CHECK_EQ(ep_crc32("123456789", 9), 0xCBF43926u);
    EPT_CHECK_EQ(ep_crc32_update_portable(0, "123456789", 9), 0xCBF43926u);
}

EPT_CASE(segment_header_vectors) {
    uint8_t out[EP_WAL_SEGMENT_HEADER_SIZE];
    ep_wal_segment_header h;
    memset(&h, 0, sizeof h);
    h.segment_id = 1;
    h.first_id = 1;
    ep_wal_segment_header_encode(out, &h);
    EPT_CHECK_MEM(out, SEG1, sizeof SEG1);
    h.segment_id = 7;
    h.first_id = 12345;
    ep_wal_segment_header_encode(out, &h);
    EPT_CHECK_MEM(out, SEG7, sizeof SEG7);
    memset(&h, 0, sizeof h);
    EPT_CHECK_OK(ep_wal_segment_header_decode(SEG7, sizeof SEG7, &h));
    EPT_CHECK_EQ(h.segment_id, 7);
    EPT_CHECK_EQ(h.first_id, 12345);
    EPT_CHECK_EQ(h.version, 1);
}

EPT_CASE(segment_header_every_cut_and_flip) {
    uint8_t b[EP_WAL_SEGMENT_HEADER_SIZE];
    ep_wal_segment_header h;
    size_t i;
    int bit;
    for (i = 0; i < sizeof SEG7; i++) EPT_CHECK_EQ(ep_wal_segment_header_decode(SEG7, i, &h), EP_ERR_EOF);
    for (i = 0; i < sizeof SEG7; i++) {
        for (bit = 0; bit < 8; bit++) {
            ep_result r;
            memcpy(b, SEG7, sizeof b);
            b[i] ^= (uint8_t)(1u << bit);
            r = ep_wal_segment_header_decode(b, sizeof b, &h);
            EPT_CHECK(r == EP_ERR_BAD_MAGIC || r == EP_ERR_CHECKSUM);
        }
    }
}

EPT_CASE(segment_header_bad_fields_with_good_crc) {
    uint8_t b[EP_WAL_SEGMENT_HEADER_SIZE];
    ep_wal_segment_header h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.segment_id = 1;
    h.first_id = 1;
    ep_wal_segment_header_encode(b, &h);
    EPT_CHECK_EQ(ep_wal_segment_header_decode(b, sizeof b, &h), EP_ERR_BAD_VERSION);
    h.version = 1;
    h.segment_id = 0;
    ep_wal_segment_header_encode(b, &h);
    EPT_CHECK_EQ(ep_wal_segment_header_decode(b, sizeof b, &h), EP_ERR_BAD_VALUE);
    h.segment_id = 1;
    h.first_id = 0;
    ep_wal_segment_header_encode(b, &h);
    EPT_CHECK_EQ(ep_wal_segment_header_decode(b, sizeof b, &h), EP_ERR_BAD_VALUE);
    h.first_id = 1;
    h.flags = 1;
    ep_wal_segment_header_encode(b, &h);
    EPT_CHECK_EQ(ep_wal_segment_header_decode(b, sizeof b, &h), EP_ERR_BAD_VALUE);
}

EPT_CASE(frame_vectors) {
    ep_buf b;
    ep_wal_frame f;
    ep_bytes rec;
    size_t pos = 0;
    ep_bytes recs[3];
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_wal_frame_encode(&b, 1, "hello", 5));
    EPT_CHECK_EQ(b.len, sizeof FRAME_HELLO);
    EPT_CHECK_MEM(b.data, FRAME_HELLO, sizeof FRAME_HELLO);
    ep_buf_reset(&b);
    EPT_CHECK_OK(ep_wal_frame_encode(&b, 9, NULL, 0));
    EPT_CHECK_MEM(b.data, FRAME_EMPTY9, sizeof FRAME_EMPTY9);
    ep_buf_reset(&b);
    recs[0] = EP_LIT("a");
    recs[1] = ep_bytes_of(NULL, 0);
    recs[2] = EP_LIT("xyz");
    EPT_CHECK_EQ(ep_wal_batch_size(recs, 3), sizeof FRAME_BATCH);
    EPT_CHECK_OK(ep_wal_batch_encode(&b, 3, recs, 3));
    EPT_CHECK_EQ(b.len, sizeof FRAME_BATCH);
    EPT_CHECK_MEM(b.data, FRAME_BATCH, sizeof FRAME_BATCH);
    ep_buf_free(&b);

    EPT_CHECK_OK(ep_wal_frame_decode(FRAME_HELLO, sizeof FRAME_HELLO, 0, &f, NULL));
    EPT_CHECK(f.id == 1 && f.count == 1 && !f.batch && f.size == sizeof FRAME_HELLO);
    EPT_CHECK(ep_wal_frame_next(&f, &pos, &rec) && rec.len == 5 && memcmp(rec.data, "hello", 5) == 0);
    EPT_CHECK(!ep_wal_frame_next(&f, &pos, &rec));
    EPT_CHECK_OK(ep_wal_frame_decode(FRAME_BATCH, sizeof FRAME_BATCH, 0, &f, NULL));
    EPT_CHECK(f.id == 3 && f.count == 3 && f.batch);
    pos = 0;
    EPT_CHECK(ep_wal_frame_next(&f, &pos, &rec) && rec.len == 1 && rec.data[0] == 'a');
    EPT_CHECK(ep_wal_frame_next(&f, &pos, &rec) && rec.len == 0);
    EPT_CHECK(ep_wal_frame_next(&f, &pos, &rec) && rec.len == 3 && memcmp(rec.data, "xyz", 3) == 0);
    EPT_CHECK(!ep_wal_frame_next(&f, &pos, &rec));
}

EPT_CASE(frame_every_cut_reports_need) {
    ep_wal_frame f;
    size_t i, need;
    for (i = 0; i < sizeof FRAME_BATCH; i++) {
        EPT_CHECK_EQ(ep_wal_frame_decode(FRAME_BATCH, i, 0, &f, &need), EP_ERR_EOF);
        EPT_CHECK_EQ(need, i < 16 ? 16 : sizeof FRAME_BATCH);
    }
}

EPT_CASE(frame_every_bit_flip_is_caught) {
    const uint8_t *frames[2] = {FRAME_HELLO, FRAME_BATCH};
    size_t sizes[2] = {sizeof FRAME_HELLO, sizeof FRAME_BATCH};
    uint8_t b[64];
    int k;
    for (k = 0; k < 2; k++) {
        size_t i;
        for (i = 0; i < sizes[k] * 8; i++) {
            ep_wal_frame f;
            ep_result r;
            memcpy(b, frames[k], sizes[k]);
            b[i / 8] ^= (uint8_t)(1u << (i % 8));
            r = ep_wal_frame_decode(b, sizes[k], 0, &f, NULL);
            /* A flipped length either runs past the input, passes the cap, or fails the CRC. */
            EPT_CHECK(r == EP_ERR_CHECKSUM || r == EP_ERR_EOF || r == EP_ERR_LIMIT);
        }
    }
}

EPT_CASE(frame_caps_and_values) {
    uint8_t head[16], b[32];
    ep_wal_frame f;
    ep_buf buf;
    size_t need;
    ep_bytes big;
    EPT_CHECK_EQ(ep_wal_frame_header_encode(head, 1, "x", (size_t)EP_WAL_MAX_RECORD + 1), EP_ERR_LIMIT);
    EPT_CHECK_EQ(ep_wal_frame_header_encode(head, 0, "x", 1), EP_ERR_INVALID_ARG);
    /* A length just over a caller's cap is refused before the payload is wanted. */
    EPT_CHECK_OK(ep_wal_frame_header_encode(head, 1, "abcdefgh", 8));
    memcpy(b, head, 16);
    memcpy(b + 16, "abcdefgh", 8);
    EPT_CHECK_EQ(ep_wal_frame_decode(b, 24, 7, &f, &need), EP_ERR_LIMIT);
    EPT_CHECK_OK(ep_wal_frame_decode(b, 24, 8, &f, &need));
    /* Length 0x7fffffff (cap) on a 16-byte input: LIMIT, never a read past the end. */
    ep_store_u32le(b, 0x7fffffffu);
    EPT_CHECK_EQ(ep_wal_frame_decode(b, 16, 0, &f, &need), EP_ERR_LIMIT);
    /* id 0 with a valid CRC. */
    memset(b, 0, sizeof b);
    ep_store_u32le(b + 12, ep_crc32(b, 12));
    EPT_CHECK_EQ(ep_wal_frame_decode(b, 16, 0, &f, NULL), EP_ERR_BAD_VALUE);
    /* A batch too big for one frame. */
    big = ep_bytes_of(b, EP_WAL_MAX_RECORD);
    {
        ep_bytes two[2];
        two[0] = big;
        two[1] = big;
        EPT_CHECK_EQ(ep_wal_batch_size(two, 2), 0);
        ep_buf_init(&buf, NULL);
        EPT_CHECK_EQ(ep_wal_batch_encode(&buf, 1, two, 2), EP_ERR_LIMIT);
        EPT_CHECK_EQ(buf.len, 0);
        ep_buf_free(&buf);
    }
}

/* A batch whose records do not fill its payload exactly, under a valid CRC. */
static ep_result batch_with_payload(const uint8_t *payload, uint32_t len) {
    uint8_t b[64];
    ep_wal_frame f;
    ep_store_u32le(b, len | EP_WAL_FRAME_BATCH);
    ep_store_u64le(b + 4, 1);
    memcpy(b + 16, payload, len);
    ep_store_u32le(b + 12, ep_crc32_update(ep_crc32(b, 12), payload, len));
    return ep_wal_frame_decode(b, 16 + (size_t)len, 0, &f, NULL);
}

EPT_CASE(batch_layout_checked_under_valid_crc) {
    static const uint8_t zero_count[4] = {0, 0, 0, 0};
    static const uint8_t short_rec[9] = {1, 0, 0, 0, 5, 0, 0, 0, 'a'};
    static const uint8_t extra[10] = {1, 0, 0, 0, 1, 0, 0, 0, 'a', 'b'};
    static const uint8_t ok[9] = {1, 0, 0, 0, 1, 0, 0, 0, 'a'};
    EPT_CHECK_EQ(batch_with_payload(zero_count, 4), EP_ERR_CORRUPT);
    EPT_CHECK_EQ(batch_with_payload(zero_count, 2), EP_ERR_CORRUPT);
    EPT_CHECK_EQ(batch_with_payload(short_rec, 9), EP_ERR_CORRUPT);
    EPT_CHECK_EQ(batch_with_payload(extra, 10), EP_ERR_CORRUPT);
    EPT_CHECK_OK(batch_with_payload(ok, 9));
}

EPT_CASE(frame_round_trip_random) {
    uint64_t st = ept_seed() ^ 0x77a1u;
    long n = ept_scale(2000, 10), k;
    ep_buf b;
    uint8_t payload[600];
    ep_buf_init(&b, NULL);
    for (k = 0; k < n; k++) {
        size_t len = (size_t)(ept_rand(&st) % sizeof payload), i;
        uint64_t id = 1 + ept_rand(&st) % 1000000u;
        ep_wal_frame f;
        size_t pos = 0;
        ep_bytes rec;
        for (i = 0; i < len; i++) payload[i] = (uint8_t)ept_rand(&st);
        ep_buf_reset(&b);
        EPT_CHECK_OK(ep_wal_frame_encode(&b, id, payload, len));
        EPT_CHECK_OK(ep_wal_frame_decode(b.data, b.len, 0, &f, NULL));
        EPT_CHECK(f.id == id && f.size == b.len);
        EPT_CHECK(ep_wal_frame_next(&f, &pos, &rec) && rec.len == len);
        EPT_CHECK(len == 0 || memcmp(rec.data, payload, len) == 0);
    }
    ep_buf_free(&b);
}

EPT_CASE(checkpoint_vectors_and_errors) {
    uint8_t h[EP_CHECKPOINT_HEADER_SIZE], b[64];
    uint64_t id = 0, pl = 0;
    ep_bytes p;
    size_t i;
    ep_checkpoint_header_encode(h, 42, "state", 5);
    EPT_CHECK_MEM(h, CKPT42, sizeof h);
    EPT_CHECK_OK(ep_checkpoint_decode(CKPT42, sizeof CKPT42, 0, &id, &p));
    EPT_CHECK(id == 42 && p.len == 5 && memcmp(p.data, "state", 5) == 0);
    EPT_CHECK_OK(ep_checkpoint_header_decode(CKPT42, 32, 0, &id, &pl, NULL));
    EPT_CHECK_EQ(pl, 5);
    EPT_CHECK_EQ(ep_checkpoint_header_decode(CKPT42, 32, 4, &id, &pl, NULL), EP_ERR_LIMIT);
    for (i = 0; i < sizeof CKPT42; i++) EPT_CHECK(ep_checkpoint_decode(CKPT42, i, 0, &id, &p) == EP_ERR_EOF);
    memcpy(b, CKPT42, sizeof CKPT42);
    b[sizeof CKPT42] = 0;
    EPT_CHECK_EQ(ep_checkpoint_decode(b, sizeof CKPT42 + 1, 0, &id, &p), EP_ERR_CORRUPT);
    for (i = 0; i < sizeof CKPT42 * 8; i++) {
        ep_result r;
        memcpy(b, CKPT42, sizeof CKPT42);
        b[i / 8] ^= (uint8_t)(1u << (i % 8));
        r = ep_checkpoint_decode(b, sizeof CKPT42, 0, &id, &p);
        EPT_CHECK(r != EP_OK);
    }
}

EPT_CASE(recordlog_vectors_and_errors) {
    uint8_t h[EP_RECORDLOG_HEADER_SIZE], b[32];
    ep_buf buf;
    ep_bytes p;
    size_t size, need, i;
    ep_recordlog_header_encode(h);
    EPT_CHECK_MEM(h, RLOG_HEAD, sizeof h);
    EPT_CHECK_OK(ep_recordlog_header_decode(RLOG_HEAD, sizeof RLOG_HEAD));
    for (i = 0; i < sizeof RLOG_HEAD; i++) EPT_CHECK_EQ(ep_recordlog_header_decode(RLOG_HEAD, i), EP_ERR_EOF);
    for (i = 0; i < sizeof RLOG_HEAD * 8; i++) {
        memcpy(b, RLOG_HEAD, sizeof RLOG_HEAD);
        b[i / 8] ^= (uint8_t)(1u << (i % 8));
        EPT_CHECK(ep_recordlog_header_decode(b, sizeof RLOG_HEAD) != EP_OK);
    }
    ep_buf_init(&buf, NULL);
    EPT_CHECK_OK(ep_recordlog_frame_encode(&buf, "abc", 3));
    EPT_CHECK_MEM(buf.data, RLOG_ABC, sizeof RLOG_ABC);
    ep_buf_free(&buf);
    EPT_CHECK_OK(ep_recordlog_frame_decode(RLOG_ABC, sizeof RLOG_ABC, 0, &p, &size, &need));
    EPT_CHECK(size == sizeof RLOG_ABC && p.len == 3);
    for (i = 0; i < sizeof RLOG_ABC; i++)
        EPT_CHECK_EQ(ep_recordlog_frame_decode(RLOG_ABC, i, 0, &p, &size, &need), EP_ERR_EOF);
    for (i = 0; i < sizeof RLOG_ABC * 8; i++) {
        ep_result r;
        memcpy(b, RLOG_ABC, sizeof RLOG_ABC);
        b[i / 8] ^= (uint8_t)(1u << (i % 8));
        r = ep_recordlog_frame_decode(b, sizeof RLOG_ABC, 0, &p, &size, &need);
        EPT_CHECK(r == EP_ERR_CHECKSUM || r == EP_ERR_EOF || r == EP_ERR_LIMIT);
    }
}

EPT_MAIN()
