/* libFuzzer: ep_aof_decode on arbitrary bytes. A decoded record must
 * re-encode to exactly the bytes it was decoded from, and its items must
 * walk to exactly their count. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_aof_record rec;
    size_t used = 0;
    ep_result r = ep_aof_decode(data, size, &rec, &used);
    ep_buf b;
    ep_items_iter it;
    ep_item item;
    uint32_t n = 0;
    if (r != EP_OK) {
        /* frame alone must agree on structure errors */
        ep_result f = ep_aof_frame(data, size, &rec, &used);
        if (r == EP_ERR_EOF || r == EP_ERR_UNKNOWN_TAG || r == EP_ERR_LIMIT) {
            if (f != r) abort();
        } else if (f != EP_OK) {
            abort();
        }
        if (used > size) abort();
        return 0;
    }
    if (used > size || used == 0) abort();
    ep_buf_init(&b, NULL);
    if (ep_aof_encode(&b, &rec) != EP_OK) abort();
    if (b.len != used || memcmp(b.data, data, used) != 0) abort();
    ep_buf_free(&b);
    ep_items_iter_init(&it, &rec.items);
    while (ep_items_next(&it, &item)) n++;
    if (n != rec.items.count) abort();
    return 0;
}
