/* ep__crc32_two (private: the CRC of two pieces that need not be adjacent,
 * one folding pass; a WAL frame's header and payload) against the oracle
 * over the concatenation: every first-piece length 0..40 with every second
 * length 0..300, each piece in its own exact-size allocation (ASan and
 * valgrind see a read outside either), at every alignment of the second,
 * and the folding and table paths agree; ep__crc32_gap (one buffer, bytes
 * skipped in the middle) likewise, and ep__crc32_words12 (a 12-byte first
 * piece given as two words). The implementation is compiled
 * here (EMBER_PERSIST_STATIC) to reach the private function. */
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "harness.h"
#include "support/oracle_crc.h"

#include <stdlib.h>

static uint8_t *copy_exact(const uint8_t *p, size_t n) {
    uint8_t *b = (uint8_t *)malloc(n ? n : 1);
    if (b && n) memcpy(b, p, n);
    return b;
}

EPT_CASE(two_pieces_equal_their_concatenation) {
    uint64_t st = ept_seed();
    uint8_t whole[400];
    size_t alen, blen, i;
    for (i = 0; i < sizeof whole; i++) whole[i] = (uint8_t)ept_rand(&st);
    for (alen = 0; alen <= 40; alen++) {
        for (blen = 0; blen <= 300; blen += (blen < 80 ? 1 : 7)) {
            uint8_t *a = copy_exact(whole, alen), *b = copy_exact(whole + alen, blen);
            uint32_t want = ept_oracle_crc32(0, whole, alen + blen);
            EPT_CHECK(a && b);
            if (!a || !b) return;
            EPT_CHECK_EQ(ep__crc32_two(a, alen, b, blen), want);
            free(a);
            free(b);
        }
    }
}

EPT_CASE(second_piece_at_every_alignment) {
    uint64_t st = ept_seed();
    uint8_t head[12], buf[256 + 16];
    size_t al, blen, i;
    for (i = 0; i < sizeof head; i++) head[i] = (uint8_t)ept_rand(&st);
    for (i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)ept_rand(&st);
    for (al = 0; al < 16; al++) {
        for (blen = 16; blen <= 256; blen++) {
            uint32_t want = ept_oracle_crc32(ept_oracle_crc32(0, head, sizeof head), buf + al, blen);
            EPT_CHECK_EQ(ep__crc32_two(head, sizeof head, buf + al, blen), want);
        }
    }
}

EPT_CASE(gap_skips_the_middle_bytes) {
    /* ep__crc32_gap(p, head, gap, len): p[0..head) then p[head+gap ..
     * head+gap+len), every head 0..20 with gaps 0..20 and len 0..200, in an
     * exact-size allocation; the skipped bytes never count. */
    uint64_t st = ept_seed();
    size_t head, gap, len, i;
    for (head = 0; head <= 20; head++) {
        for (gap = 0; gap <= 20; gap++) {
            for (len = 0; len <= 200; len += (len < 40 ? 1 : 13)) {
                size_t n = head + gap + len;
                uint8_t *p = (uint8_t *)malloc(n ? n : 1);
                uint32_t want, got;
                EPT_CHECK(p != NULL);
                if (!p) return;
                for (i = 0; i < n; i++) p[i] = (uint8_t)ept_rand(&st);
                want = ept_oracle_crc32(ept_oracle_crc32(0, p, head), p + head + gap, len);
                got = ep__crc32_gap(p, head, gap, len);
                for (i = head; i < head + gap; i++) p[i] ^= 0x5a; /* the skipped bytes do not matter */
                EPT_CHECK_EQ(got, want);
                EPT_CHECK_EQ(ep__crc32_gap(p, head, gap, len), want);
                free(p);
            }
        }
    }
}

EPT_CASE(a_frame_crc_is_the_same_on_either_path) {
    /* The WAL frame CRC skips its own field (bytes 12..15): header 0..11,
     * then the payload. Both paths give zlib's value over those bytes. */
    uint8_t frame[16 + 100];
    uint64_t st = ept_seed();
    size_t i;
    uint32_t hw, table;
    for (i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)ept_rand(&st);
    hw = ep__crc32_two(frame, 12, frame + 16, 100);
    EPT_CHECK_EQ(ep__crc32_gap(frame, 12, 4, 100), hw);
    table = ep_crc32_update_portable(ep_crc32_update_portable(0, frame, 12), frame + 16, 100);
    EPT_CHECK_EQ(hw, table);
    EPT_CHECK_EQ(hw, ept_oracle_crc32(ept_oracle_crc32(0, frame, 12), frame + 16, 100));
}

EPT_CASE(words_then_bytes_equal_their_concatenation) {
    /* ep__crc32_words12(h0, h1, b, blen): the 12 little-endian bytes of h0
     * and h1, then b; every blen 0..300 in an exact-size allocation (the
     * folding path must not read before b), on random words. */
    uint64_t st = ept_seed() ^ 0x1212;
    size_t blen, i;
    for (blen = 0; blen <= 300; blen++) {
        uint8_t whole[12 + 300], *b = (uint8_t *)malloc(blen ? blen : 1);
        uint64_t h0 = ept_rand(&st) ^ (ept_rand(&st) << 32);
        uint32_t h1 = (uint32_t)ept_rand(&st);
        EPT_CHECK(b != NULL);
        if (!b) return;
        for (i = 0; i < blen; i++) b[i] = (uint8_t)ept_rand(&st);
        ep_store_u64le(whole, h0);
        ep_store_u32le(whole + 8, h1);
        if (blen) memcpy(whole + 12, b, blen);
        EPT_CHECK_EQ(ep__crc32_words12(h0, h1, b, blen), ept_oracle_crc32(0, whole, 12 + blen));
        free(b);
    }
}

EPT_MAIN()
