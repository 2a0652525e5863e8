/* crc_internal: what the CRC part offers other parts privately. */
#ifndef EP_CRC_INTERNAL_H
#define EP_CRC_INTERNAL_H

#include "base/internal.h"
#include "check/crc.h"

/* ep_crc32_update(ep_crc32(a, alen), b, blen): the CRC of a followed by b,
 * which need not be adjacent (a WAL frame's CRC skips its own field), in one
 * folding pass where the CPU has it. */
EP__PRIV uint32_t ep__crc32_two(const void *a, size_t alen, const void *b, size_t blen);

/* The same for bytes in one buffer that skip gap bytes in the middle: the
 * CRC of p[0..head) followed by p[head + gap .. head + gap + len) (a frame
 * in memory, its CRC field skipped). p[0..head + gap) must be readable. */
EP__PRIV uint32_t ep__crc32_gap(const void *p, size_t head, size_t gap, size_t len);

/* ep__crc32_two over 12 bytes given as little-endian words (h0 = bytes 0..7,
 * h1 = bytes 8..11) and then b: a header just built need not go through
 * memory (a 16-byte load over smaller stores still in flight waits for
 * them to retire, ~3 ns a WAL append). */
EP__PRIV uint32_t ep__crc32_words12(uint64_t h0, uint32_t h1, const void *b, size_t blen);

#endif /* EP_CRC_INTERNAL_H */
