/* phash: the prefix hash (see phash.h). */
#include "base/internal.h"
#include "check/phash.h"

static uint64_t ep__phash_round(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

EP_API void ep_phash_init(ep_phash *p) {
    memset(p, 0, sizeof *p);
    p->h = 0x243f6a8885a308d3ull;
}

EP_API void ep_phash_update(ep_phash *p, const void *data, size_t n) {
    const uint8_t *d = (const uint8_t *)data;
    p->total += n;
    while (n && p->ntail) { /* complete a word left from the last call */
        p->tail[p->ntail++] = *d++;
        n--;
        if (p->ntail == 8) {
            p->h = ep__phash_round(p->h, ep_load_u64le(p->tail));
            p->ntail = 0;
        }
    }
    for (; n >= 8; d += 8, n -= 8) p->h = ep__phash_round(p->h, ep_load_u64le(d));
    while (n--) p->tail[p->ntail++] = *d++;
}

EP_API uint64_t ep_phash_final(const ep_phash *p) {
    uint64_t h = p->h;
    if (p->ntail) {
        uint8_t last[8];
        memset(last, 0, sizeof last);
        memcpy(last, p->tail, p->ntail);
        h = ep__phash_round(h, ep_load_u64le(last));
    }
    h = ep__phash_round(h, p->total);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

EP_API uint64_t ep_phash_of(const void *data, size_t n) {
    ep_phash p;
    ep_phash_init(&p);
    ep_phash_update(&p, data, n);
    return ep_phash_final(&p);
}
