/* libFuzzer: the checkpoint decoder on arbitrary bytes. Never reads past the
 * input; a decoded checkpoint re-encodes to exactly its bytes. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t id = 0, pl = 0;
    ep_bytes p;
    uint8_t h[EP_CHECKPOINT_HEADER_SIZE];
    if (ep_checkpoint_decode(data, size, 0, &id, &p) == EP_OK) {
        if (p.len + EP_CHECKPOINT_HEADER_SIZE != size) abort();
        ep_checkpoint_header_encode(h, id, p.data, p.len);
        if (memcmp(h, data, sizeof h) != 0) abort();
    }
    (void)ep_checkpoint_header_decode(data, size, 1024, &id, &pl, NULL);
    return 0;
}
