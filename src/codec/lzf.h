/* lzf: the LZF block format Redis uses for compressed RDB strings and
 * quicklist nodes. Our own compressor and decompressor (format facts only).
 * A block is a sequence of: a control byte c < 32 then c+1 literal bytes;
 * or a back-reference: length l = c >> 5 (7 means add the next byte), then
 * l + 2 bytes copied from ((c & 31) << 8 | next byte) + 1 bytes back (the
 * ranges may overlap). No header: the uncompressed length travels beside. */
#ifndef EP_LZF_H
#define EP_LZF_H

#include "base/base.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

/* The compressor's hash table: the caller gives this many uint32_t of
 * scratch (64 KiB), so compressing never allocates. Zero it once before
 * the first call; later calls reuse it as it is (no clearing per string). */
#define EP_LZF_WORK_ENTRIES (1u << 14)

/* Compresses in[0..n) into out[0..cap). Returns the compressed size, or 0
 * if it does not fit in cap (Redis stores such strings raw; with cap =
 * n - 4 that is its rule "only if it saves more than 4 bytes"). */
EP_API size_t ep_lzf_compress(const uint8_t *in, size_t n, uint8_t *out, size_t cap, uint32_t *work);

/* Decompresses in[0..n) into exactly out_len bytes at out. EP_OK, or
 * EP_ERR_CORRUPT if the block does not produce exactly out_len bytes or a
 * back-reference points before the start: never a write outside out. */
EP_API ep_result ep_lzf_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t out_len);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_LZF_H */
