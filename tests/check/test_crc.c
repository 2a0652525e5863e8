/* crc: CRC-32 against zlib's crc32 (the test-only oracle; a bitwise reference
 * CRC where a cross target has no zlib), on every path. */
#include "ember_persist.h"
#include "harness.h"

#include "support/oracle_crc.h"

#include <stdlib.h>

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);
#define NPATHS (sizeof paths / sizeof paths[0])

static const struct {
    const char *name;
    crc_fn fn;
} paths[] = {
    {"portable", ep_crc32_update_portable},
    {"hw", ep_crc32_update_hw},
    {"auto", ep_crc32_update},
};

static uint32_t oracle(uint32_t crc, const uint8_t *p, size_t n) { return ept_oracle_crc32(crc, p, n); }

static uint8_t *random_bytes(size_t n, uint64_t *st) {
    uint8_t *b = (uint8_t *)malloc(n ? n : 1);
    size_t i;
    if (!b) return NULL;
    for (i = 0; i < n; i++) b[i] = (uint8_t)(ept_rand(st) >> 24);
    return b;
}

EPT_CASE(check_value_on_every_path) {
    size_t i;
    for (i = 0; i < NPATHS; i++) {
        EPT_CHECK_EQ(paths[i].fn(0, "123456789", 9), 0xCBF43926u);
    }
    EPT_CHECK_EQ(ep_crc32("123456789", 9), 0xCBF43926u);
}

EPT_CASE(empty_input_is_identity) {
    size_t i;
    for (i = 0; i < NPATHS; i++) {
        EPT_CHECK_EQ(paths[i].fn(0, "", 0), 0);
        EPT_CHECK_EQ(paths[i].fn(0, NULL, 0), 0);
        EPT_CHECK_EQ(paths[i].fn(0xDEADBEEFu, NULL, 0), 0xDEADBEEFu);
    }
    EPT_CHECK_EQ(ep_crc32(NULL, 0), 0);
}

/* ember's spec vector: a v1 AOF record body (spec/ember-format.md). */
EPT_CASE(ember_spec_vector) {
    static const uint8_t rec[19] = {0x01, 0x01, 0x00, 0x00, 0x00, 0x61, 0x01, 0x00, 0x00, 0x00,
                                    0x62, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    size_t i;
    for (i = 0; i < NPATHS; i++) EPT_CHECK_EQ(paths[i].fn(0, rec, sizeof rec), 0x180FE15Bu);
}

EPT_CASE(known_long_inputs) {
    /* 1 MiB of zeros and of 0xFF: both cross the folding path's 64-byte
     * blocks, its 16-byte tail and the portable tail. */
    size_t n = 1u << 20, i;
    uint8_t *b = (uint8_t *)malloc(n);
    EPT_CHECK(b != NULL);
    memset(b, 0, n);
    for (i = 0; i < NPATHS; i++) EPT_EXPECT(paths[i].fn(0, b, n) == oracle(0, b, n));
    memset(b, 0xFF, n);
    for (i = 0; i < NPATHS; i++) EPT_EXPECT(paths[i].fn(0, b, n - 3) == oracle(0, b, n - 3));
    free(b);
}

/* Every length 0..4096 at every start alignment 0..15, with a random
 * starting CRC, on every path. */
EPT_CASE(every_length_and_alignment_matches_zlib) {
    uint64_t st = ept_seed() ^ 0xC3C3;
    size_t maxlen = (size_t)ept_scale(4096, 16);
    uint8_t *b = random_bytes(maxlen + 16, &st);
    size_t len, al, i;
    EPT_CHECK(b != NULL);
    for (len = 0; len <= maxlen; len++) {
        for (al = 0; al < 16; al++) {
            uint32_t init = (len & 1) ? (uint32_t)ept_rand(&st) : 0;
            uint32_t want = oracle(init, b + al, len);
            for (i = 0; i < NPATHS; i++) {
                uint32_t got = paths[i].fn(init, b + al, len);
                if (got != want) {
                    printf("    %s: len %u align %u: %08x, " EPT_ORACLE_CRC_NAME " %08x\n", paths[i].name, (unsigned)len,
                           (unsigned)al, (unsigned)got, (unsigned)want);
                    free(b);
                    EPT_CHECK(got == want);
                }
            }
        }
    }
    free(b);
}

/* Incremental updates at random split points equal one shot; the pieces
 * may go through different paths. */
EPT_CASE(incremental_equals_one_shot) {
    uint64_t st = ept_seed() ^ 0x1A1A;
    size_t n = 300000, rounds = (size_t)ept_scale(200, 10), r;
    uint8_t *b = random_bytes(n, &st);
    uint32_t whole;
    EPT_CHECK(b != NULL);
    whole = oracle(0, b, n);
    EPT_CHECK_EQ(ep_crc32(b, n), whole);
    for (r = 0; r < rounds; r++) {
        size_t pos = 0;
        uint32_t crc = 0;
        while (pos < n) {
            /* Mostly short pieces, sometimes long ones. */
            uint64_t v = ept_rand(&st);
            size_t step = (size_t)(v % ((v >> 40) & 1 ? 70000u : 200u));
            if (step > n - pos) step = n - pos;
            crc = paths[(v >> 50) % NPATHS].fn(crc, b + pos, step);
            pos += step;
        }
        if (crc != whole) free(b);
        EPT_CHECK_EQ(crc, whole);
    }
    free(b);
}

EPT_CASE(portable_equals_hw_on_big_buffers) {
    uint64_t st = ept_seed() ^ 0xB16B;
    size_t n = (size_t)ept_scale(8 << 20, 8) + 13, k;
    uint8_t *b = random_bytes(n, &st);
    EPT_CHECK(b != NULL);
    printf("    hw path %s\n", ep_crc32_hw_available() ? "available" : "not available");
    for (k = 0; k < 8; k++) {
        size_t off = (size_t)(ept_rand(&st) % 64), len = n - off - (size_t)(ept_rand(&st) % 4096);
        uint32_t init = (uint32_t)ept_rand(&st);
        uint32_t p = ep_crc32_update_portable(init, b + off, len);
        EPT_EXPECT(p == ep_crc32_update_hw(init, b + off, len));
        EPT_EXPECT(p == ep_crc32_update(init, b + off, len));
        EPT_EXPECT(p == oracle(init, b + off, len));
    }
    free(b);
}

/* The portable path runs three chains over blocks of 2^j bytes for inputs
 * of 3 KiB and more; probe the lengths where the block size changes. */
EPT_CASE(portable_three_chain_boundaries) {
    uint64_t st = ept_seed() ^ 0x3C3C;
    size_t maxlen = (size_t)3 << 18, j;
    uint8_t *b = random_bytes(maxlen + 1, &st);
    EPT_CHECK(b != NULL);
    for (j = 10; j <= 18; j++) {
        size_t base = (size_t)3 << j, d;
        for (d = 0; d < 5; d++) {
            size_t len = base + d - 2;
            uint32_t init = (uint32_t)ept_rand(&st);
            if (len > maxlen) continue;
            if (ep_crc32_update_portable(init, b + (d & 1), len) != oracle(init, b + (d & 1), len)) free(b);
            EPT_CHECK_EQ(ep_crc32_update_portable(init, b + (d & 1), len), oracle(init, b + (d & 1), len));
        }
    }
    for (j = 0; j < (size_t)ept_scale(40, 8); j++) {
        size_t len = 3000 + (size_t)(ept_rand(&st) % (maxlen - 3000));
        if (ep_crc32_update_portable(0, b, len) != oracle(0, b, len)) free(b);
        EPT_CHECK_EQ(ep_crc32_update_portable(0, b, len), oracle(0, b, len));
    }
    free(b);
}

/* Short inputs and partial last blocks: every length 0..200 (the folding
 * path's 16..63-byte path, then its 64-byte path with every tail t = 0..15;
 * the table path's 8-, 4- and 0..3-byte tail steps) with a non-zero starting
 * CRC, each copied into a heap block of exactly its size so that ASan and
 * valgrind see any read before the start or past the end (the folding
 * tail's 16-byte load ends at the last byte and must not start before the
 * first). ep_crc32_update_hw is called directly, so the folding path runs on
 * lengths that ep_crc32_update gives to the table path. */
EPT_CASE(short_lengths_and_tails_in_exact_blocks) {
    uint64_t st = ept_seed() ^ 0x5407;
    uint8_t *src = random_bytes(200, &st);
    size_t len, i;
    EPT_CHECK(src != NULL);
    printf("    hw path %s\n", ep_crc32_hw_available() ? "available" : "not available");
    for (len = 0; len <= 200; len++) {
        uint8_t *b = (uint8_t *)malloc(len ? len : 1);
        uint32_t init = (uint32_t)ept_rand(&st) | 1u, want;
        if (!b) free(src);
        EPT_CHECK(b != NULL);
        memcpy(b, src, len);
        want = oracle(init, b, len);
        for (i = 0; i < NPATHS; i++) {
            uint32_t got = paths[i].fn(init, b, len);
            if (got != want) {
                printf("    %s: len %u: %08x, " EPT_ORACLE_CRC_NAME " %08x\n", paths[i].name, (unsigned)len, (unsigned)got,
                       (unsigned)want);
                free(b);
                free(src);
                EPT_CHECK(got == want);
            }
        }
        free(b);
    }
    free(src);
}

/* Two pieces, split at every point of a 140-byte buffer, each piece through
 * every path: the second piece starts from the first's non-zero CRC, and
 * short pieces reach the folding path's short inputs and tails. */
EPT_CASE(split_in_two_every_way_and_path) {
    uint64_t st = ept_seed() ^ 0x2F2F;
    size_t n = 140, a, i, j;
    uint8_t *b = random_bytes(n, &st);
    uint32_t whole;
    EPT_CHECK(b != NULL);
    whole = oracle(0x12345678u, b, n);
    for (a = 0; a <= n; a++) {
        for (i = 0; i < NPATHS; i++) {
            for (j = 0; j < NPATHS; j++) {
                uint32_t crc = paths[j].fn(paths[i].fn(0x12345678u, b, a), b + a, n - a);
                if (crc != whole) {
                    printf("    split %u: %s then %s\n", (unsigned)a, paths[i].name, paths[j].name);
                    free(b);
                    EPT_CHECK_EQ(crc, whole);
                }
            }
        }
    }
    free(b);
}

/* A CRC over data with its own CRC appended (little-endian) is the same
 * constant residue whatever the data: a cheap structural check. */
EPT_CASE(residue_is_constant) {
    uint64_t st = ept_seed() ^ 0x5E5E;
    uint8_t b[600];
    int k;
    for (k = 0; k < 50; k++) {
        size_t n = (size_t)(ept_rand(&st) % 590), i;
        uint32_t c;
        for (i = 0; i < n; i++) b[i] = (uint8_t)ept_rand(&st);
        c = ep_crc32(b, n);
        ep_store_u32le(b + n, c);
        for (i = 0; i < NPATHS; i++) EPT_CHECK_EQ(paths[i].fn(0, b, n + 4), 0x2144DF1Cu);
    }
}

EPT_MAIN()
