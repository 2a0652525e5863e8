/* libFuzzer: ep_trailer_decode on arbitrary bytes. A decoded trailer must
 * account for every byte (length + extra), take its coverage from a slot
 * whose CRC matched, walk to exactly schema_count pairs, and, when both
 * slots of a version-2 trailer agree, re-encode to exactly its bytes. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_trailer_info t;
    ep_trailer_schema *s = NULL;
    ep_bytes n, d;
    size_t pos = 0;
    uint32_t count = 0;
    ep_buf b;
    if (ep_trailer_decode(data, size, &t) != EP_OK) return 0;
    if (t.length + t.extra != size || t.length > size) abort();
    if (t.version != 1 && t.version != 2) abort();
    if (t.covered_valid != (t.slots_valid != 0)) abort();
    if (!t.covered_valid && (t.covered_len || t.covered_hash)) abort();
    if (t.schema_count > size) abort(); /* each pair takes at least 8 bytes */
    s = (ep_trailer_schema *)calloc(t.schema_count + 1, sizeof *s);
    if (!s) return 0;
    while (ep_trailer_schema_next(&t, &pos, &n, &d)) {
        if (count >= t.schema_count) abort();
        s[count].name = n;
        s[count].descriptor = d;
        count++;
    }
    if (count != t.schema_count || pos != t.schemas.len) abort();
    if (t.version == 2 && t.slots_valid == 3 &&
        memcmp(data + t.slot_offset[0], data + t.slot_offset[1], EP_TRAILER_SLOT_SIZE) == 0) {
        ep_buf_init(&b, NULL);
        if (ep_trailer_encode(&b, s, count, t.covered_len, t.covered_hash) != EP_OK) abort();
        if (b.len != t.length || memcmp(b.data, data, b.len) != 0) abort();
        ep_buf_free(&b);
    }
    free(s);
    return 0;
}
