/* libFuzzer: LZF. The input's first two bytes give an output length; the
 * rest is decompressed into exactly that many bytes (ASan checks that no
 * write leaves the buffer). Then the input is compressed and must round
 * trip. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint32_t work[EP_LZF_WORK_ENTRIES];
    size_t out_len, cn;
    uint8_t *out, *c, *back;
    if (size < 2) return 0;
    out_len = (size_t)data[0] << 8 | data[1];
    out = (uint8_t *)malloc(out_len + 1);
    if (!out) abort();
    (void)ep_lzf_decompress(data + 2, size - 2, out, out_len);
    free(out);
    c = (uint8_t *)malloc(size * 2 + 64);
    back = (uint8_t *)malloc(size);
    if (!c || !back) abort();
    cn = ep_lzf_compress(data, size, c, size * 2 + 64, work);
    if (cn == 0 || ep_lzf_decompress(c, cn, back, size) != EP_OK || memcmp(back, data, size) != 0) abort();
    free(c);
    free(back);
    return 0;
}
