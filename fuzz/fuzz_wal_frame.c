/* libFuzzer: the WAL frame decoder, segment header and record-log frame on
 * arbitrary bytes. A decoded frame must re-encode to exactly the bytes it
 * came from, its records must walk to its count, and a decoder must never
 * claim more than its input. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frame(const uint8_t *data, size_t size) {
    ep_wal_frame f;
    size_t need = 0, pos = 0, n = 0;
    ep_bytes rec, recs[64];
    ep_buf b;
    ep_result r = ep_wal_frame_decode(data, size, 0, &f, &need);
    if (r == EP_ERR_EOF) {
        if (need <= size) abort();
        return;
    }
    if (r != EP_OK) return;
    if (f.size > size || f.count == 0) abort();
    ep_buf_init(&b, NULL);
    if (!f.batch) {
        if (ep_wal_frame_encode(&b, f.id, f.payload.data, f.payload.len) != EP_OK) abort();
    } else {
        while (ep_wal_frame_next(&f, &pos, &rec)) {
            if (n < 64) recs[n] = rec;
            n++;
        }
        if (n != f.count) abort();
        if (n <= 64 && ep_wal_batch_encode(&b, f.id, recs, n) != EP_OK) abort();
    }
    if (b.len && (b.len != f.size || memcmp(b.data, data, f.size) != 0)) abort();
    ep_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_wal_segment_header h;
    ep_bytes p;
    size_t used, need;
    check_frame(data, size);
    if (ep_wal_segment_header_decode(data, size, &h) == EP_OK) {
        uint8_t again[EP_WAL_SEGMENT_HEADER_SIZE];
        ep_wal_segment_header_encode(again, &h);
        if (memcmp(again, data, sizeof again) != 0) abort();
    }
    if (ep_recordlog_frame_decode(data, size, 0, &p, &used, &need) == EP_OK && used > size) abort();
    (void)ep_recordlog_header_decode(data, size);
    return 0;
}
