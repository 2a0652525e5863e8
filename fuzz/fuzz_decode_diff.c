/* libFuzzer, differential: the decoders' fast paths (small AOF records,
 * string snapshot entries) against the general path they stand in for
 * (tests/support/slow_decode.c: the library built again without them). For
 * any bytes both must give the same result, the same length consumed and
 * the same fields. The first input byte picks the decoder. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "slow_decode.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void aof_agrees(const uint8_t *d, size_t n, int decode) {
    ep_aof_record a, b;
    size_t ua = 777, ub = 777;
    ep_result ra, rb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ra = decode ? ep_aof_decode(d, n, &a, &ua) : ep_aof_frame(d, n, &a, &ua);
    rb = decode ? slow_aof_decode(d, n, &b, &ub) : slow_aof_frame(d, n, &b, &ub);
    if (ra != rb || ua != ub) abort();
    if (ra == EP_OK && !ept_same_aof_record(&a, &b)) abort();
}

static void snap_agrees(const uint8_t *d, size_t n, int version) {
    ep_snap_entry a, b;
    size_t ua = 777, ub = 777;
    ep_result ra, rb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ra = ep_snap_entry_decode(d, n, version, &a, &ua);
    rb = slow_snap_entry_decode(d, n, version, &b, &ub);
    if (ra != rb || ua != ub) abort();
    if (ra == EP_OK && !ept_same_snap_entry(&a, &b)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *d;
    size_t n;
    if (size == 0) return 0;
    n = size - 1;
    d = (uint8_t *)malloc(n ? n : 1); /* an exact-size copy: ASan sees any over-read */
    if (!d) return 0;
    if (n) memcpy(d, data + 1, n);
    switch (data[0] & 3) {
    case 0: aof_agrees(d, n, 0); break;
    case 1: aof_agrees(d, n, 1); break;
    case 2: snap_agrees(d, n, 1); break;
    default: snap_agrees(d, n, 2); break;
    }
    free(d);
    return 0;
}
