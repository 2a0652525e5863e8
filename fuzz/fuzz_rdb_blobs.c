/* libFuzzer: the blob walkers (listpack, ziplist, intset, zipmap) on any
 * bytes; the first byte picks the kind. Every element lies inside the blob,
 * and a walk ends in EP_END or EP_ERR_CORRUPT. Then the RDB string decoder
 * (int and LZF forms) on the same bytes. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_rdb_blob_iter it;
    ep_rdb_elem e;
    ep_result r;
    ep_cursor c;
    ep_buf sc;
    ep_bytes out;
    int kind;
    if (size < 1) return 0;
    kind = 1 + data[0] % 4;
    data++;
    size--;
    r = ep_rdb_blob_init(&it, kind, ep_bytes_of(data, size));
    while (r == EP_OK && (r = ep_rdb_blob_next(&it, &e)) == EP_OK) {
        if (!e.is_int && e.str.len && (e.str.data < data || e.str.data + e.str.len > data + size)) abort();
    }
    if (r != EP_END && r != EP_ERR_CORRUPT) abort();
    ep_buf_init(&sc, NULL);
    ep_cursor_init(&c, data, size);
    while (ep_rdb_get_string(&c, &sc, 1u << 20, &out) == EP_OK) {
    }
    ep_buf_free(&sc);
    return 0;
}
