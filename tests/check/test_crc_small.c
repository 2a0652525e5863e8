/* EP_SMALL_CRC (one 1 KiB table, a byte per step) against the oracle (zlib,
 * or the bitwise reference on cross targets): every length to 1 KiB at every
 * alignment, split points, and the ember spec vector. The implementation is
 * compiled here with the option and EMBER_PERSIST_STATIC, beside the one the
 * test programs link. */
#define EP_SMALL_CRC
#define EP_NO_SIMD /* the table path alone: no folding path to hand lengths to */
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "harness.h"
#include "support/oracle_crc.h"

#include <stdlib.h>

EPT_CASE(small_table_is_one_kib) {
    EPT_CHECK_EQ(sizeof ep__crc32_table, 1024);
    EPT_CHECK_EQ(ep_crc32("123456789", 9), 0xCBF43926u);
    EPT_CHECK_EQ(ep_crc32(NULL, 0), 0);
    EPT_CHECK_EQ(ep_crc32_update(0xDEADBEEFu, NULL, 0), 0xDEADBEEFu);
}

EPT_CASE(small_every_length_alignment_and_split) {
    uint64_t st = ept_seed();
    uint8_t b[1024 + 8];
    size_t len, al, cut, i;
    for (i = 0; i < sizeof b; i++) b[i] = (uint8_t)ept_rand(&st);
    for (len = 0; len <= 1024; len++) {
        for (al = 0; al < 8; al++) {
            uint32_t init = (uint32_t)ept_rand(&st);
            EPT_CHECK_EQ(ep_crc32_update(init, b + al, len), ept_oracle_crc32(init, b + al, len));
            EPT_CHECK_EQ(ep_crc32_update_portable(init, b + al, len), ept_oracle_crc32(init, b + al, len));
        }
        cut = len ? (size_t)(ept_rand(&st) % len) : 0;
        EPT_CHECK_EQ(ep_crc32_update(ep_crc32(b, cut), b + cut, len - cut), ep_crc32(b, len));
    }
}

EPT_CASE(small_long_input) {
    size_t n = (size_t)ept_scale(3 << 20, 8);
    uint8_t *b = (uint8_t *)malloc(n);
    uint64_t st = ept_seed() ^ 7u;
    size_t i;
    EPT_CHECK(b != NULL);
    for (i = 0; i < n; i++) b[i] = (uint8_t)(ept_rand(&st) >> 13);
    EPT_EXPECT(ep_crc32(b, n) == ept_oracle_crc32(0, b, n));
    free(b);
}

EPT_MAIN()
