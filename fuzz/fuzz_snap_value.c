/* libFuzzer: ep_snap_value_decode (ember's DUMP/RESTORE value form,
 * [type][payload]) on arbitrary bytes. A decoded value re-encodes to exactly
 * the bytes it came from, its items walk to their count, and the entry
 * decoder agrees on the same bytes wrapped as an entry with an empty key and
 * no expiry (one set of rules for both forms). */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_snap_entry v, e;
    size_t used = 0, eused = 0;
    ep_result r = ep_snap_value_decode(data, size, &v, &used), re;
    ep_buf b;
    ep_items_iter it;
    ep_item item;
    uint32_t n = 0;
    ep_buf_init(&b, NULL);
    ep_buf_u32(&b, 0);
    ep_buf_put(&b, data, size);
    ep_buf_i64(&b, -1);
    if (b.err) abort();
    re = ep_snap_entry_decode(b.data, b.len, 2, &e, &eused);
    if (r != EP_OK) {
        /* the entry form may fail only where the value form did, or later
         * (its expiry can be cut off by the bytes the value took) */
        if (re == EP_OK && r != EP_ERR_EOF) abort();
        ep_buf_free(&b);
        return 0;
    }
    if (used > size || used == 0) abort();
    if (re != EP_OK || eused != 4 + used + 8 || e.type != v.type || e.items.count != v.items.count) abort();
    ep_buf_reset(&b);
    if (ep_snap_value_encode(&b, &v) != EP_OK) abort();
    if (b.len != used || memcmp(b.data, data, used) != 0) abort();
    ep_buf_free(&b);
    ep_items_iter_init(&it, &v.items);
    while (ep_items_next(&it, &item)) n++;
    if (n != v.items.count) abort();
    return 0;
}
