/* phash: the prefix hash, a streaming 64-bit hash of a file prefix (the
 * snapshot trailer's covered_hash, docs/recovery.md). Not CRC-32 on purpose:
 * every AOF record ends with the CRC-32 of its own bytes, and CRC's linearity
 * then makes the CRC-32 of "header + record + its CRC" the same for every
 * record of one length (RPUSH l a and RPUSH l b collide). Here each 8-byte
 * little-endian word w (the last one zero-padded) goes through
 * h = (h ^ w) * 0x9e3779b97f4a7c15; h ^= h >> 29, from 0x243f6a8885a308d3,
 * then one more round with the byte count, then murmur3's 64-bit finaliser.
 * Not cryptographic: it tells a rewritten file from the one it covered, it
 * does not resist an adversary.
 *
 *   ep_phash ph;
 *   ep_phash_init(&ph);
 *   ep_phash_update(&ph, bytes, n);       any split gives the same hash
 *   h = ep_phash_final(&ph);              == ep_phash_of(all bytes)      */
#ifndef EP_PHASH_H
#define EP_PHASH_H

#include "base/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_phash {
    uint64_t h, total;
    uint8_t tail[8]; /* bytes of an incomplete word */
    size_t ntail;
} ep_phash;

EP_API void ep_phash_init(ep_phash *p);
EP_API void ep_phash_update(ep_phash *p, const void *data, size_t n);
/* The hash of everything added so far; p is left as it was. */
EP_API uint64_t ep_phash_final(const ep_phash *p);
/* One call: init, update, final. */
EP_API uint64_t ep_phash_of(const void *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* EP_PHASH_H */
