/* crypto: AES-256-GCM (portable constant-time and AES-NI/PCLMUL paths), OS
 * randomness and the key object.
 *
 * Portable path: nothing secret ever picks a table entry, a branch or a loop
 * bound. AES is bitsliced (four blocks per 64-bit lane, two lanes where
 * compiler vectors map to 128-bit registers), fixsliced (ShiftRows lives in
 * MixColumns variants and the round keys), with a 136-gate S-box circuit;
 * GHASH multiplies with integer multiplies on "holey" operands so carries
 * cannot reach a bit that is kept, four blocks per reduction.
 *
 * Hardware path (x86-64): AES-NI in 8-block chunks with the GHASH of each
 * chunk stitched into the rounds of the next; VAES + VPCLMULQDQ in 16-block
 * runs where the CPU has them. AArch64: AESE/AESMC + PMULL. */
#include "base/internal.h"
#include "crypto/crypto.h"

#if !defined(EP_NO_ENCRYPTION)

/* Test builds (tests/ctcheck_gcm.c) define this to tell valgrind that the
 * final "tag matched" bit is public; normally it does nothing. */
#ifndef EP__CT_DECLASSIFY
#  define EP__CT_DECLASSIFY(p, n) ((void)0)
#endif

/* ---- hardware path selection ------------------------------------------- */
#if defined(EP_SMALL_AES)
/* the small portable path alone */
#elif !defined(EP_NO_SIMD) && (defined(__x86_64__) || defined(_M_X64)) && \
    (defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER))
#  define EP__GCM_X86 1
#  if defined(_MSC_VER) && !defined(__clang__)
#    include <intrin.h>
#    define EP__TARGET_AESNI
#  else
#    define EP__TARGET_AESNI __attribute__((target("aes,pclmul,sse4.1")))
#  endif
#  include <immintrin.h>
#  include <wmmintrin.h>
#elif !defined(EP_NO_SIMD) && defined(__aarch64__) && \
    (defined(__ARM_FEATURE_AES) || defined(__ARM_FEATURE_CRYPTO) || (defined(__GNUC__) && !defined(__clang__)))
/* gcc declares the crypto intrinsics for target("+crypto") functions; older
 * clang only when the whole build targets them (-march=armv8-a+crypto). */
#  define EP__GCM_ARM 1
#  include <arm_neon.h>
#  if defined(__clang__)
#    define EP__TARGET_ARMCE __attribute__((target("aes")))
#  else
#    define EP__TARGET_ARMCE __attribute__((target("+crypto")))
#  endif
#  if defined(__linux__)
#    include <sys/auxv.h>
#  endif
#endif
#if defined(EP__GCM_X86) || defined(EP__GCM_ARM)
#  define EP__GCM_HW 1
#endif

/* The bitsliced round and GHASH helpers are small and hot; gcc does not
 * inline them on its own inside the big single-header translation unit. */
#if defined(__GNUC__) || defined(__clang__)
#  define EP__HOT static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#  define EP__HOT static __forceinline
#else
#  define EP__HOT static inline
#endif

/* Layout of ep_gcm.opaque (uint64_t words). */
#define EP__GCM_RK 0         /* portable: 15 bitsliced round keys, 8 words each (fixsliced) */
#define EP__GCM_H 120        /* portable: H^1..H^4 as (hi, lo) */
#define EP__GCM_HW_RK 0      /* hardware: 15 round keys, 2 words each */
#define EP__GCM_HW_H 32      /* hardware: H^1..H^9, 2 words each */
#define EP__GCM_HW_HK 50     /* hardware: hi^lo of each power (Karatsuba), 2 words each */
#define EP__GCM_HW_HD 68     /* x86 VAES: H^16, H^15, ..., H^1, 2 words each */
#define EP__GCM_HW_FLAGS 127 /* x86: 1 if the VAES path is used */

EP__HOT uint64_t ep__load_be64(const uint8_t *p) {
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) | ((uint64_t)p[3] << 32) |
           ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) | ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

static void ep__store_be64(uint8_t *p, uint64_t v) {
    int i;
    for (i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Wipes per-message scratch on the fast paths: one memset, then a compiler
 * barrier that claims to read the memory so the stores are not dropped as
 * dead. ep__wipe (a volatile byte loop) elsewhere. */
static void ep__wipe_fast(void *p, size_t n) {
#if defined(__GNUC__) || defined(__clang__)
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    ep__wipe(p, n);
#endif
}

static void ep__store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#if defined(EP_SMALL_AES)
/* ======================================================================== */
/* Portable AES-256 and GHASH, small (EP_SMALL_AES)                         */
/* ======================================================================== */
/* For flash-sized builds: one block at a time, bytes and xtime, with the
 * S-box computed by ep_gcm_init into the context (256 bytes) instead of the
 * bitsliced circuit, and GHASH one bit at a time under masks. SubBytes looks
 * the S-box up with secret bytes: that is constant time only where a load's
 * time does not depend on its address (Cortex-M0/M3/M4 with no data cache,
 * the builds this option is for), not on CPUs with caches, where the
 * default bitsliced path is the one to use. The GHASH here is constant time
 * everywhere. No hardware path is compiled in. */
#define EP__BS_BYTES 16   /* one block per call of ep__aes_encrypt_bs */
#define EP__GCM_SBOX 30   /* words: the S-box after the 240-byte key schedule */
#define EP__GH_AGG 1      /* GHASH keeps H alone */
#define EP__GH_ENTRY 2    /* (hi, lo) */

typedef struct ep__bs_scratch {
    uint8_t t[4];
} ep__bs_scratch;

/* x * 2 in GF(2^8) mod x^8 + x^4 + x^3 + x + 1, without a branch. */
static uint8_t ep__xtime(uint8_t x) {
    return (uint8_t)(((unsigned)x << 1) ^ (0x1bu & (0u - (unsigned)(x >> 7))));
}

/* The AES S-box from its definition: the multiplicative inverse (p walks
 * the powers of 3, q those of its inverse, so q = 1/p), then the affine map.
 * Public data: no secret is involved. */
static void ep__small_sbox(uint8_t *s) {
    uint8_t p = 1, q = 1;
    do {
        uint8_t x;
        p = (uint8_t)(p ^ ep__xtime(p));                      /* p * 3 */
        q = (uint8_t)(q ^ (q << 1));                          /* q / 3 */
        q = (uint8_t)(q ^ (q << 2));
        q = (uint8_t)(q ^ (q << 4));
        if (q & 0x80) q ^= 0x09;
        x = (uint8_t)(q ^ (uint8_t)(q << 1 | q >> 7) ^ (uint8_t)(q << 2 | q >> 6) ^ (uint8_t)(q << 3 | q >> 5) ^
                      (uint8_t)(q << 4 | q >> 4));
        s[p] = (uint8_t)(x ^ 0x63);
    } while (p != 1);
    s[0] = 0x63;
}

/* AES-256 key schedule into 240 bytes with the S-box s. */
static void ep__small_schedule(const uint8_t *key, uint8_t *w, const uint8_t *s) {
    uint8_t rcon = 1;
    int i, j;
    memcpy(w, key, 32);
    for (i = 8; i < 60; i++) {
        uint8_t t[4];
        memcpy(t, w + 4 * (i - 1), 4);
        if (i % 8 == 0) {
            uint8_t t0 = t[0];
            t[0] = (uint8_t)(s[t[1]] ^ rcon);
            t[1] = s[t[2]];
            t[2] = s[t[3]];
            t[3] = s[t0];
            rcon = ep__xtime(rcon);
        } else if (i % 8 == 4) {
            for (j = 0; j < 4; j++) t[j] = s[t[j]];
        }
        for (j = 0; j < 4; j++) w[4 * i + j] = (uint8_t)(w[4 * (i - 8) + j] ^ t[j]);
    }
}

/* One block in place; rk is the context's words (schedule, then S-box). */
static void ep__aes_encrypt_bs(const uint64_t *rk, uint8_t *b, ep__bs_scratch *sc) {
    const uint8_t *w = (const uint8_t *)rk, *s = (const uint8_t *)(rk + EP__GCM_SBOX);
    uint8_t *t = sc->t;
    int r, i, c;
    for (i = 0; i < 16; i++) b[i] ^= w[i];
    for (r = 1; r < 15; r++) {
        uint8_t x;
        for (i = 0; i < 16; i++) b[i] = s[b[i]];
        /* ShiftRows: row i (bytes i, i+4, i+8, i+12) rotates left by i */
        x = b[1], b[1] = b[5], b[5] = b[9], b[9] = b[13], b[13] = x;
        x = b[2], b[2] = b[10], b[10] = x, x = b[6], b[6] = b[14], b[14] = x;
        x = b[15], b[15] = b[11], b[11] = b[7], b[7] = b[3], b[3] = x;
        if (r < 14)
            for (c = 0; c < 16; c += 4) { /* MixColumns */
                uint8_t all = (uint8_t)(b[c] ^ b[c + 1] ^ b[c + 2] ^ b[c + 3]);
                memcpy(t, b + c, 4);
                for (i = 0; i < 4; i++) b[c + i] = (uint8_t)(t[i] ^ all ^ ep__xtime((uint8_t)(t[i] ^ t[(i + 1) & 3])));
            }
        for (i = 0; i < 16; i++) b[i] ^= w[16 * r + i];
    }
}

/* y = y * H in GCM's bit order (the spec's right-shift algorithm), every
 * step under masks. */
static void ep__small_gmul(uint64_t *y, const uint64_t *h) {
    uint64_t z0 = 0, z1 = 0, v0 = h[0], v1 = h[1];
    int i;
    for (i = 0; i < 128; i++) {
        uint64_t bit = (i < 64 ? y[0] >> (63 - i) : y[1] >> (127 - i)) & 1u;
        uint64_t m = 0u - bit, lsb = 0u - (v1 & 1u);
        z0 ^= v0 & m;
        z1 ^= v1 & m;
        v1 = (v1 >> 1) | (v0 << 63);
        v0 = (v0 >> 1) ^ (0xE100000000000000ull & lsb);
    }
    y[0] = z0;
    y[1] = z1;
}

/* y ^= data (zero-padded to whole blocks), y *= H for each block. */
static void ep__ghash_update(uint64_t *y, const uint64_t *tab, const uint8_t *data, size_t len) {
    while (len) {
        uint8_t last[16];
        size_t n = EP__MIN(len, (size_t)16);
        memset(last, 0, sizeof last);
        memcpy(last, data, n);
        y[0] ^= ep__load_be64(last);
        y[1] ^= ep__load_be64(last + 8);
        ep__small_gmul(y, tab);
        data += n;
        len -= n;
    }
}

static void ep__ghash_table(uint64_t *tab, const uint64_t *powers, int n) {
    (void)n;
    tab[0] = powers[0];
    tab[1] = powers[1];
}

/* The S-box, the key schedule and H = E(0) into the context. */
static void ep__small_init(ep_gcm *ctx, const uint8_t *key) {
    uint8_t *s = (uint8_t *)(ctx->opaque + EP__GCM_SBOX), blk[16];
    ep__bs_scratch sc;
    ep__small_sbox(s);
    ep__small_schedule(key, (uint8_t *)(ctx->opaque + EP__GCM_RK), s);
    memset(blk, 0, sizeof blk);
    ep__aes_encrypt_bs(ctx->opaque + EP__GCM_RK, blk, &sc);
    ctx->opaque[EP__GCM_H] = ep__load_be64(blk);
    ctx->opaque[EP__GCM_H + 1] = ep__load_be64(blk + 8);
    ep__wipe(blk, sizeof blk);
    ep__wipe(&sc, sizeof sc);
}

#else /* !EP_SMALL_AES */
/* ======================================================================== */
/* Portable AES-256, bitsliced                                              */
/* ======================================================================== */
/* The bitsliced word. Where gcc/clang vectors map onto 128-bit registers
 * (x86-64 SSE2, AArch64 NEON) it is a pair of 64-bit lanes, so one pass
 * encrypts eight blocks; everywhere else (and under EP_NO_SIMD) a uint64_t.
 * Either way only XOR, AND, NOT, shifts and rotations by constants. */
#if !defined(EP_NO_SIMD) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__aarch64__))
typedef uint64_t ep__bsw __attribute__((vector_size(16)));
#  define EP__BS_LANES 2
#else
typedef uint64_t ep__bsw;
#  define EP__BS_LANES 1
#endif
#define EP__BS_BYTES (64 * EP__BS_LANES) /* blocks bytes per bitsliced pass */

/* Four blocks live in each lane of q[0..7]: q[i] holds bit i of 64 bytes. Byte j =
 * row + 4*col of block b sits at bit 16*row + 4*col + b, so rotating a whole
 * word by 16 moves every byte one row (MixColumns) and ShiftRows rotates
 * inside 16-bit fields. */

/* The AES S-box on all bytes at once, without its constant 0x63 (folded
 * into round keys 1..14, see ep_gcm_init; MixColumns maps a constant 0x63
 * state to itself). inv(x) is computed in the tower field
 * GF(((2^2)^2)^2): with x = hi y + lo,
 *   d = lam hi^2 + hi lo + lo^2,   x^-1 = hi d^-1 y + (hi + lo) d^-1,
 * where each GF(16) product is nine ANDs of linear forms of its operands.
 * So the circuit is: one linear layer giving every form of hi, lo and hi + lo
 * (and the linear part of d) from the input bits, nine ANDs and a linear
 * layer for d, the GF(16) inverse of d (through GF(4)), eighteen ANDs, and
 * one linear layer to the output bits (tower basis -> AES basis -> affine
 * map). tools/gen_aes_sbox.py derives it (choosing the field constants for
 * the fewest XORs) and checks it on all 256 inputs. */
EP__HOT void ep__aes_sbox(ep__bsw *q) {
    const ep__bsw x0 = q[0], x1 = q[1], x2 = q[2], x3 = q[3];
    const ep__bsw x4 = q[4], x5 = q[5], x6 = q[6], x7 = q[7];
/* generated by tools/gen_aes_sbox.py: mu=2 lam=15 beta=0x52, 100 XOR + 36 AND = 136 gates;
 * checked on all 256 inputs; the constant 0x63 is folded into the round keys. */
    /* Top: 34 XOR */
    const ep__bsw u0 = x1 ^ x2;
    const ep__bsw u1 = x4 ^ x7;
    const ep__bsw u2 = x5 ^ x6;
    const ep__bsw u3 = x3 ^ u0;
    const ep__bsw u4 = x0 ^ u2;
    const ep__bsw u5 = x3 ^ u1;
    const ep__bsw u6 = x1 ^ u5;
    const ep__bsw u7 = x2 ^ x3;
    const ep__bsw u8 = x4 ^ u2;
    const ep__bsw u9 = x5 ^ x7;
    const ep__bsw u10 = x6 ^ u3;
    const ep__bsw u11 = x2 ^ x4;
    const ep__bsw u12 = x5 ^ u1;
    const ep__bsw u13 = x7 ^ u4;
    const ep__bsw l0 = u9;
    const ep__bsw l1 = u1 ^ u10;
    const ep__bsw l2 = u3 ^ u8;
    const ep__bsw l3 = u7 ^ u9;
    const ep__bsw l4 = u3 ^ u9;
    const ep__bsw l5 = u7;
    const ep__bsw l6 = u8;
    const ep__bsw l7 = u7 ^ u8;
    const ep__bsw l8 = u11;
    const ep__bsw l9 = u1;
    const ep__bsw l10 = x2 ^ x7;
    const ep__bsw l11 = x1 ^ x7;
    const ep__bsw l12 = u13;
    const ep__bsw l13 = x1 ^ u4;
    const ep__bsw l14 = u0 ^ u1;
    const ep__bsw l15 = x4 ^ u4;
    const ep__bsw l16 = u0 ^ u13;
    const ep__bsw l17 = x2 ^ u12;
    const ep__bsw l18 = u10;
    const ep__bsw l19 = u2 ^ u6;
    const ep__bsw l20 = x5 ^ u3;
    const ep__bsw l21 = x0 ^ u10;
    const ep__bsw l22 = u4;
    const ep__bsw l23 = u6;
    const ep__bsw l24 = x0 ^ u6;
    const ep__bsw l25 = x0 ^ x6 ^ u5;
    const ep__bsw l26 = x6 ^ u11;
    const ep__bsw l27 = u0 ^ u12;
    const ep__bsw p0 = l0 & l8;
    const ep__bsw p1 = l1 & l9;
    const ep__bsw p2 = l2 & l10;
    const ep__bsw p3 = l3 & l11;
    const ep__bsw p4 = l4 & l12;
    const ep__bsw p5 = x1 & l13;
    const ep__bsw p6 = l5 & l14;
    const ep__bsw p7 = l6 & l15;
    const ep__bsw p8 = l7 & l16;
    /* Dsum: 14 XOR */
    const ep__bsw v0 = p2 ^ p4;
    const ep__bsw v1 = p4 ^ p7;
    const ep__bsw d0 = p1 ^ p3 ^ l25 ^ v0;
    const ep__bsw d1 = p0 ^ p5 ^ x4 ^ v0;
    const ep__bsw d2 = p3 ^ p6 ^ l26 ^ v1;
    const ep__bsw d3 = p5 ^ p8 ^ l27 ^ v1;
    const ep__bsw f0 = d3 ^ d2;
    const ep__bsw f1 = d1 ^ d0;
    const ep__bsw g0 = d3 & d1;
    const ep__bsw g1 = d2 & d0;
    const ep__bsw g2 = f0 & f1;
    /* Einv: 7 XOR */
    const ep__bsw w0 = g0 ^ d0;
    const ep__bsw w1 = g1 ^ d1;
    const ep__bsw w2 = g2 ^ d2;
    const ep__bsw w3 = d3 ^ w0;
    const ep__bsw e1 = w1 ^ w2;
    const ep__bsw e0 = w2 ^ w3;
    const ep__bsw e2 = w1 ^ w3;
    const ep__bsw f2 = d3 ^ d1;
    const ep__bsw f3 = d2 ^ d0;
    const ep__bsw f4 = f2 ^ f3;
    const ep__bsw h0 = d3 & e1;
    const ep__bsw h1 = d2 & e0;
    const ep__bsw h2 = f0 & e2;
    const ep__bsw h3 = f2 & e1;
    const ep__bsw h4 = f3 & e0;
    const ep__bsw h5 = f4 & e2;
    /* Ninv: 9 XOR */
    const ep__bsw z0 = h0 ^ h1;
    const ep__bsw z1 = h0 ^ h2;
    const ep__bsw z2 = h1 ^ h2;
    const ep__bsw z3 = h3 ^ h4;
    const ep__bsw z4 = h3 ^ h5;
    const ep__bsw z5 = h4 ^ h5;
    const ep__bsw n0 = z2;
    const ep__bsw n1 = z0;
    const ep__bsw n2 = z1;
    const ep__bsw n3 = z5;
    const ep__bsw n4 = z3;
    const ep__bsw n5 = z4;
    const ep__bsw n6 = z2 ^ z5;
    const ep__bsw n7 = z0 ^ z3;
    const ep__bsw n8 = z1 ^ z4;
    const ep__bsw k0 = l0 & n0;
    const ep__bsw k9 = l17 & n0;
    const ep__bsw k1 = l1 & n1;
    const ep__bsw k10 = l18 & n1;
    const ep__bsw k2 = l2 & n2;
    const ep__bsw k11 = l19 & n2;
    const ep__bsw k3 = l3 & n3;
    const ep__bsw k12 = l20 & n3;
    const ep__bsw k4 = l4 & n4;
    const ep__bsw k13 = l21 & n4;
    const ep__bsw k5 = x1 & n5;
    const ep__bsw k14 = l22 & n5;
    const ep__bsw k6 = l5 & n6;
    const ep__bsw k15 = l23 & n6;
    const ep__bsw k7 = l6 & n7;
    const ep__bsw k16 = x0 & n7;
    const ep__bsw k8 = l7 & n8;
    const ep__bsw k17 = l24 & n8;
    /* Bottom: 31 XOR */
    const ep__bsw y0 = k0 ^ k1;
    const ep__bsw y1 = k8 ^ y0;
    const ep__bsw y2 = k3 ^ k13;
    const ep__bsw y3 = k6 ^ y1;
    const ep__bsw y4 = k10 ^ k14;
    const ep__bsw y5 = k9 ^ y4;
    const ep__bsw y6 = k15 ^ k16;
    const ep__bsw y7 = k4 ^ y2;
    const ep__bsw y8 = k5 ^ y0;
    const ep__bsw y9 = k12 ^ y3;
    const ep__bsw y10 = k15 ^ k17;
    const ep__bsw y11 = y2 ^ y8;
    const ep__bsw y12 = y5 ^ y6;
    const ep__bsw o0 = y11 ^ y12;
    const ep__bsw o1 = k10 ^ k11 ^ k12 ^ y11;
    const ep__bsw o2 = k7 ^ k11 ^ y1 ^ y4 ^ y7 ^ y10;
    const ep__bsw o3 = k13 ^ y3 ^ y12;
    const ep__bsw o4 = y5 ^ y9;
    const ep__bsw o5 = k1 ^ k2 ^ k12 ^ y6 ^ y7;
    const ep__bsw o6 = y3;
    const ep__bsw o7 = k14 ^ y9 ^ y10;
    q[0] = o0;
    q[1] = o1;
    q[2] = o2;
    q[3] = o3;
    q[4] = o4;
    q[5] = o5;
    q[6] = o6;
    q[7] = o7;
}

/* Exchanges the bits of x selected by m with those s places above them. */
EP__HOT ep__bsw ep__delta_swap(ep__bsw x, uint64_t m, unsigned s) {
    ep__bsw t = ((x >> s) ^ x) & m;
    return x ^ t ^ (t << s);
}

/* ShiftRows rotates row r (a 16-bit field of four nibble columns) by r
 * columns. Two exchanges do all three rows: swapping the nibbles of each
 * byte in rows 1 and 3, then swapping nibbles 8 bits apart (row 1: columns
 * 1, 3; row 2: 0, 2 and 1, 3; row 3: 0, 2). The rounds themselves go
 * without it (fixsliced, see ep__aes_encrypt_bs); the key setup uses it. */
EP__HOT void ep__aes_shift_rows(ep__bsw *q) {
    int i;
    for (i = 0; i < 8; i++)
        q[i] = ep__delta_swap(ep__delta_swap(q[i], 0x0F0F00000F0F0000ull, 4), 0x000F00FF00F00000ull, 8);
}

EP__HOT ep__bsw ep__rotr64(ep__bsw x, unsigned n) {
    return (x >> n) | (x << (64 - n));
}

/* Two-lane words on little-endian targets can be viewed as 16- and 32-bit
 * lanes: rotating each 64-bit lane by 16 or 32 is then one or two shuffles
 * (pshufd, pshuflw + pshufhw) instead of two shifts and an OR, and rotating
 * inside the 16-bit rows needs no masks. */
#if EP__BS_LANES == 2 && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#  define EP__BS_SUBLANES 1
typedef uint16_t ep__bsw16 __attribute__((vector_size(16)));
typedef uint32_t ep__bsw32 __attribute__((vector_size(16)));
#endif

/* Each 64-bit lane rotated right by 16 (row r takes row r + 1). */
EP__HOT ep__bsw ep__rot_row1(ep__bsw x) {
#if defined(EP__BS_SUBLANES) && defined(__clang__)
    return (ep__bsw)__builtin_shufflevector((ep__bsw16)x, (ep__bsw16)x, 1, 2, 3, 0, 5, 6, 7, 4);
#elif defined(EP__BS_SUBLANES)
    const ep__bsw16 idx = {1, 2, 3, 0, 5, 6, 7, 4};
    return (ep__bsw)__builtin_shuffle((ep__bsw16)x, idx);
#else
    return ep__rotr64(x, 16);
#endif
}

/* Each 64-bit lane rotated by 32 (row r takes row r + 2). */
EP__HOT ep__bsw ep__rot_row2(ep__bsw x) {
#if defined(EP__BS_SUBLANES) && defined(__clang__)
    return (ep__bsw)__builtin_shufflevector((ep__bsw32)x, (ep__bsw32)x, 1, 0, 3, 2);
#elif defined(EP__BS_SUBLANES)
    const ep__bsw32 idx = {1, 0, 3, 2};
    return (ep__bsw)__builtin_shuffle((ep__bsw32)x, idx);
#else
    return ep__rotr64(x, 32);
#endif
}

/* Column c of every row takes column c + m (mod 4): a rotation inside each
 * row's 16-bit field. m is a constant wherever this is inlined. */
EP__HOT ep__bsw ep__rows_rot(ep__bsw x, int m) {
#ifdef EP__BS_SUBLANES
    const ep__bsw16 v = (ep__bsw16)x;
    switch (m & 3) {
    case 1: return (ep__bsw)((v >> 4) | (v << 12));
    case 2: return (ep__bsw)((v >> 8) | (v << 8));
    case 3: return (ep__bsw)((v >> 12) | (v << 4));
    default: return x;
    }
#else
    switch (m & 3) {
    case 1: return ((x >> 4) & 0x0FFF0FFF0FFF0FFFull) | ((x << 12) & 0xF000F000F000F000ull);
    case 2: return ((x >> 8) & 0x00FF00FF00FF00FFull) | ((x << 8) & 0xFF00FF00FF00FF00ull);
    case 3: return ((x >> 12) & 0x000F000F000F000Full) | ((x << 4) & 0xFFF0FFF0FFF0FFF0ull);
    default: return x;
    }
#endif
}

/* MixColumns on a state kept without its last m ShiftRows ("fixsliced"):
 * the bytes of a true column then sit in column c + m r of row r. With a1
 * the byte one row down and m columns on (rotate by 16, then by m inside the
 * rows) and t = a + a1, out = 2 a + 3 a1 + a2 + a3 = xtime(t) + a1 + t2,
 * t2 being t two rows down and 2m columns on. For m = 0 this is plain
 * MixColumns; leaving ShiftRows out (12 operations per word) costs 0, 10, 5
 * and 10 more operations per word here for m = 0, 1, 2, 3. */
EP__HOT void ep__aes_mix_columns(ep__bsw *q, int m) {
    ep__bsw a1[8], t[8], t2[8];
    /* written out: compilers then keep the words in registers */
#define EP__MC_PREP(i) a1[i] = ep__rows_rot(ep__rot_row1(q[i]), m); t[i] = q[i] ^ a1[i]; \
    t2[i] = ep__rows_rot(ep__rot_row2(t[i]), 2 * m)
    EP__MC_PREP(0); EP__MC_PREP(1); EP__MC_PREP(2); EP__MC_PREP(3);
    EP__MC_PREP(4); EP__MC_PREP(5); EP__MC_PREP(6); EP__MC_PREP(7);
#undef EP__MC_PREP
    q[0] = t[7] ^ a1[0] ^ t2[0];
    q[1] = t[0] ^ t[7] ^ a1[1] ^ t2[1];
    q[2] = t[1] ^ a1[2] ^ t2[2];
    q[3] = t[2] ^ t[7] ^ a1[3] ^ t2[3];
    q[4] = t[3] ^ t[7] ^ a1[4] ^ t2[4];
    q[5] = t[4] ^ a1[5] ^ t2[5];
    q[6] = t[5] ^ a1[6] ^ t2[6];
    q[7] = t[6] ^ a1[7] ^ t2[7];
}

/* Exchanges the bits of a selected by mask << n with those of b selected by
 * mask (either word type). */
#define EP__SWAPMOVE(a, b, mask, n) \
    do { ep__bsw ep_t_ = (((a) >> (n)) ^ (b)) & (mask); (b) ^= ep_t_; (a) ^= ep_t_ << (n); } while (0)

/* Transposes the 8x8 bit matrix in every byte of w[0..7] (every lane at
 * once): afterwards bit m of byte b of w[i] is what was bit i of byte b of
 * w[m]. Its own inverse. */
EP__HOT void ep__bs_transpose(ep__bsw *w) {
    EP__SWAPMOVE(w[0], w[1], 0x5555555555555555ull, 1);
    EP__SWAPMOVE(w[2], w[3], 0x5555555555555555ull, 1);
    EP__SWAPMOVE(w[4], w[5], 0x5555555555555555ull, 1);
    EP__SWAPMOVE(w[6], w[7], 0x5555555555555555ull, 1);
    EP__SWAPMOVE(w[0], w[2], 0x3333333333333333ull, 2);
    EP__SWAPMOVE(w[1], w[3], 0x3333333333333333ull, 2);
    EP__SWAPMOVE(w[4], w[6], 0x3333333333333333ull, 2);
    EP__SWAPMOVE(w[5], w[7], 0x3333333333333333ull, 2);
    EP__SWAPMOVE(w[0], w[4], 0x0F0F0F0F0F0F0F0Full, 4);
    EP__SWAPMOVE(w[1], w[5], 0x0F0F0F0F0F0F0F0Full, 4);
    EP__SWAPMOVE(w[2], w[6], 0x0F0F0F0F0F0F0F0Full, 4);
    EP__SWAPMOVE(w[3], w[7], 0x0F0F0F0F0F0F0F0Full, 4);
}

/* Before the transpose, byte 2*row + (col >> 1) of word 4*(col & 1) + blk
 * must hold byte row + 4*col of block blk; the transpose then puts its bit i
 * at bit 16 row + 4 col + blk of q[i]. With a block read as two little-endian
 * words lo (bytes 0..7) and hi (bytes 8..15), word blk interleaves the bytes
 * of the low halves of lo and hi (columns 0 and 2) and word 4 + blk those of
 * the high halves (columns 1 and 3). Every step is an exchange, so running
 * them backwards undoes them. */
EP__HOT void ep__bs_interleave(ep__bsw *lo, ep__bsw *hi) {
    EP__SWAPMOVE(*lo, *hi, 0x00000000FFFFFFFFull, 32); /* lo: lo.low, hi.low; hi: lo.high, hi.high */
    *lo = ep__delta_swap(ep__delta_swap(*lo, 0x00000000FFFF0000ull, 16), 0x0000FF000000FF00ull, 8);
    *hi = ep__delta_swap(ep__delta_swap(*hi, 0x00000000FFFF0000ull, 16), 0x0000FF000000FF00ull, 8);
}

EP__HOT void ep__bs_deinterleave(ep__bsw *lo, ep__bsw *hi) {
    *lo = ep__delta_swap(ep__delta_swap(*lo, 0x0000FF000000FF00ull, 8), 0x00000000FFFF0000ull, 16);
    *hi = ep__delta_swap(ep__delta_swap(*hi, 0x0000FF000000FF00ull, 8), 0x00000000FFFF0000ull, 16);
    EP__SWAPMOVE(*lo, *hi, 0x00000000FFFFFFFFull, 32);
}

/* Word j of block blk from every lane (lane l holds bytes 64l..64l+63). */
EP__HOT ep__bsw ep__bs_gather(const uint8_t *in, int blk, int j) {
    uint64_t lanes[EP__BS_LANES];
    ep__bsw v;
    int l;
    for (l = 0; l < EP__BS_LANES; l++) lanes[l] = ep_load_u64le(in + 64 * l + 16 * blk + 8 * j);
    memcpy(&v, lanes, sizeof v);
    return v;
}

EP__HOT void ep__bs_scatter(uint8_t *out, int blk, int j, ep__bsw v) {
    uint64_t lanes[EP__BS_LANES];
    int l;
    memcpy(lanes, &v, sizeof v);
    for (l = 0; l < EP__BS_LANES; l++) ep_store_u64le(out + 64 * l + 16 * blk + 8 * j, lanes[l]);
}

/* EP__BS_BYTES of blocks -> bitsliced q, and back. */
EP__HOT void ep__bs_pack(const uint8_t *in, ep__bsw *q) {
    int blk;
    for (blk = 0; blk < 4; blk++) {
        q[blk] = ep__bs_gather(in, blk, 0);
        q[4 + blk] = ep__bs_gather(in, blk, 1);
        ep__bs_interleave(&q[blk], &q[4 + blk]);
    }
    ep__bs_transpose(q);
}

EP__HOT void ep__bs_unpack(ep__bsw *q, uint8_t *out) {
    int blk;
    ep__bs_transpose(q);
    for (blk = 0; blk < 4; blk++) {
        ep__bs_deinterleave(&q[blk], &q[4 + blk]);
        ep__bs_scatter(out, blk, 0, q[blk]);
        ep__bs_scatter(out, blk, 1, q[4 + blk]);
    }
}

/* Working memory of a bitsliced pass; the caller wipes it once at the end
 * (wiping per pass would cost as much as a round). */
typedef struct ep__bs_scratch {
    ep__bsw q[8];
} ep__bs_scratch;

/* One middle round on a fixsliced state (see ep__aes_mix_columns). */
EP__HOT void ep__aes_round(ep__bsw *q, const uint64_t *rk, int m) {
    int i;
    ep__aes_sbox(q);
    ep__aes_mix_columns(q, m);
    for (i = 0; i < 8; i++) q[i] ^= rk[i];
}

/* Encrypts EP__BS_BYTES of blocks in place with bitsliced round keys rk
 * (one scalar word per bit; the same key for every lane). ShiftRows is left
 * out of rounds 1..13: after round r the state lacks r of them, which the
 * MixColumns variant r mod 4 and round key r (stored shifted back by r, see
 * ep_gcm_init) account for; the last round applies the 14 owed, SR^2 since
 * SR^4 is the identity. */
static void ep__aes_encrypt_bs(const uint64_t *rk, uint8_t *blocks, ep__bs_scratch *s) {
    ep__bsw *q = s->q;
    int i, r;
    ep__bs_pack(blocks, q);
    for (i = 0; i < 8; i++) q[i] ^= rk[i];
    for (r = 1; r < 13; r += 4) {
        ep__aes_round(q, rk + 8 * r, 1);
        ep__aes_round(q, rk + 8 * (r + 1), 2);
        ep__aes_round(q, rk + 8 * (r + 2), 3);
        ep__aes_round(q, rk + 8 * (r + 3), 0);
    }
    ep__aes_round(q, rk + 8 * 13, 1);
    ep__aes_sbox(q);
    for (i = 0; i < 8; i++) q[i] = ep__delta_swap(q[i], 0x00FF000000FF0000ull, 8) ^ rk[8 * 14 + i];
    ep__bs_unpack(q, blocks);
}

/* AES-256 key schedule into 240 bytes; SubWord goes through the bitsliced
 * S-box so no key byte ever indexes a table. */
static void ep__aes256_schedule(const uint8_t *key, uint8_t *w) {
    static const uint8_t rcon[7] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40};
    uint8_t blk[EP__BS_BYTES];
    ep__bs_scratch sc;
    int i, j;
    memcpy(w, key, 32);
    for (i = 8; i < 60; i++) {
        uint8_t t[4];
        memcpy(t, w + 4 * (i - 1), 4);
        if (i % 8 == 0 || i % 8 == 4) {
            memset(blk, 0, sizeof blk);
            for (j = 0; j < 4; j++) blk[j] = t[i % 8 == 0 ? (j + 1) & 3 : j]; /* RotWord */
            ep__bs_pack(blk, sc.q);
            ep__aes_sbox(sc.q);
            ep__bs_unpack(sc.q, blk);
            for (j = 0; j < 4; j++) t[j] = (uint8_t)(blk[j] ^ 0x63); /* the S-box constant */
            if (i % 8 == 0) t[0] ^= rcon[i / 8 - 1];
        }
        for (j = 0; j < 4; j++) w[4 * i + j] = (uint8_t)(w[4 * (i - 8) + j] ^ t[j]);
    }
    ep__wipe(blk, sizeof blk);
    ep__wipe(&sc, sizeof sc);
}

/* ======================================================================== */
/* Portable GHASH                                                           */
/* ======================================================================== */
/* A block loaded big-endian as (hi, lo) is GCM's polynomial bit-reflected:
 * coefficient i sits at bit 127 - i. The carry-less product of two such
 * values is then the reflected product shifted right by one, which the
 * reduction below accounts for. */

EP__HOT uint64_t ep__rev64(uint64_t x) {
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((x & 0x0F0F0F0F0F0F0F0Full) << 4);
    x = ((x >> 8) & 0x00FF00FF00FF00FFull) | ((x & 0x00FF00FF00FF00FFull) << 8);
    x = ((x >> 16) & 0x0000FFFF0000FFFFull) | ((x & 0x0000FFFF0000FFFFull) << 16);
    return (x >> 32) | (x << 32);
}

/* Low 64 bits of the carry-less product x * y, y given as its four holey
 * parts (y & m0..m3, split once per message). x is split the same way: set
 * bits 4 apart, so an integer product of two parts sums at most 15 one-bit
 * terms per kept position below bit 60 (16 at 60..63, whose carry leaves the
 * word) and no carry reaches another kept bit. (A 64x64 -> 128 multiply
 * variant on unsigned __int128 halves the multiplies but measured about 10%
 * slower here: more operations on two-word values.) */
EP__HOT uint64_t ep__bmul64s(uint64_t x, const uint64_t *yp) {
    const uint64_t m0 = 0x1111111111111111ull, m1 = 0x2222222222222222ull;
    const uint64_t m2 = 0x4444444444444444ull, m3 = 0x8888888888888888ull;
    uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
    uint64_t z0 = (x0 * yp[0]) ^ (x1 * yp[3]) ^ (x2 * yp[2]) ^ (x3 * yp[1]);
    uint64_t z1 = (x0 * yp[1]) ^ (x1 * yp[0]) ^ (x2 * yp[3]) ^ (x3 * yp[2]);
    uint64_t z2 = (x0 * yp[2]) ^ (x1 * yp[1]) ^ (x2 * yp[0]) ^ (x3 * yp[3]);
    uint64_t z3 = (x0 * yp[3]) ^ (x1 * yp[2]) ^ (x2 * yp[1]) ^ (x3 * yp[0]);
    return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}

/* GHASH aggregates up to this many blocks per reduction with H^1..H^4. */
#define EP__GH_AGG 4
/* Per power of H: hi, lo, hi^lo and the same three bit-reversed, each split
 * into its four holey parts. */
#define EP__GH_ENTRY 24

EP__HOT void ep__ghash_split(uint64_t *e, uint64_t v) {
    e[0] = v & 0x1111111111111111ull;
    e[1] = v & 0x2222222222222222ull;
    e[2] = v & 0x4444444444444444ull;
    e[3] = v & 0x8888888888888888ull;
}

static void ep__ghash_entry(uint64_t *e, uint64_t hi, uint64_t lo) {
    uint64_t rhi = ep__rev64(hi), rlo = ep__rev64(lo);
    ep__ghash_split(e, hi);
    ep__ghash_split(e + 4, lo);
    ep__ghash_split(e + 8, hi ^ lo);
    ep__ghash_split(e + 12, rhi);
    ep__ghash_split(e + 16, rlo);
    ep__ghash_split(e + 20, rhi ^ rlo);
}

/* y = (y + x_0) H^n + x_1 H^(n-1) + ... + x_(n-1) H for n = 1..4 blocks
 * (x as big-endian word pairs), with one reduction. Karatsuba per block:
 * hi*hi, lo*lo and (hi^lo)*(hi^lo); each 64x64 product is a low half
 * (holey multiply) and a high half (the low half of the bit-reversed
 * operands, reversed). Reversal and shifting are linear, so the high halves
 * of all n blocks are summed first and reversed once. */
EP__HOT void ep__ghash_agg(uint64_t *y, const uint64_t *tab, const uint64_t *x, int n) {
    uint64_t lhh = 0, lll = 0, lmm = 0, rhh = 0, rll = 0, rmm = 0;
    uint64_t p3, p2, p1, p0, m1, m0, z3, z2, z1, z0;
    int i;
    for (i = 0; i < n; i++) {
        const uint64_t *e = tab + EP__GH_ENTRY * (n - 1 - i);
        uint64_t x1 = x[2 * i], x0 = x[2 * i + 1], r1, r0;
        if (i == 0) {
            x1 ^= y[0];
            x0 ^= y[1];
        }
        r1 = ep__rev64(x1);
        r0 = ep__rev64(x0);
        lhh ^= ep__bmul64s(x1, e);
        lll ^= ep__bmul64s(x0, e + 4);
        lmm ^= ep__bmul64s(x1 ^ x0, e + 8);
        rhh ^= ep__bmul64s(r1, e + 12);
        rll ^= ep__bmul64s(r0, e + 16);
        rmm ^= ep__bmul64s(r1 ^ r0, e + 20);
    }
    p3 = ep__rev64(rhh) >> 1;
    p2 = lhh;
    p1 = ep__rev64(rll) >> 1;
    p0 = lll;
    m1 = (ep__rev64(rmm) >> 1) ^ p3 ^ p1;
    m0 = lmm ^ p2 ^ p0;
    p2 ^= m1;
    p1 ^= m0;
    /* shift the 256-bit product left by one: the reflected form */
    z3 = (p3 << 1) | (p2 >> 63);
    z2 = (p2 << 1) | (p1 >> 63);
    z1 = (p1 << 1) | (p0 >> 63);
    z0 = p0 << 1;
    /* reduce by x^128 + x^7 + x^2 + x + 1: (z1, z0) times x^128 folds to
     * (z1, z0) * (1 + x + x^2 + x^7), i.e. right shifts by 0, 1, 2, 7 of the
     * reflected value; what z0 shifts out comes back at the top of z1. */
    z1 ^= (z0 << 63) ^ (z0 << 62) ^ (z0 << 57);
    y[0] = z3 ^ z1 ^ (z1 >> 1) ^ (z1 >> 2) ^ (z1 >> 7);
    y[1] = z2 ^ z0 ^ (z0 >> 1) ^ (z0 >> 2) ^ (z0 >> 7) ^ (z1 << 63) ^ (z1 << 62) ^ (z1 << 57);
}

/* y ^= data (zero-padded to whole blocks), y *= H for each block. */
static void ep__ghash_update(uint64_t *y, const uint64_t *tab, const uint8_t *data, size_t len) {
    uint64_t x[2 * EP__GH_AGG];
    int i;
    while (len) {
        size_t n = EP__MIN(len, (size_t)16 * EP__GH_AGG);
        int nb = (int)((n + 15) / 16);
        if (n == 16 * (size_t)nb) {
            for (i = 0; i < 2 * nb; i++) x[i] = ep__load_be64(data + 8 * i);
        } else { /* the zero-padded end */
            uint8_t last[16 * EP__GH_AGG];
            memset(last, 0, sizeof last);
            memcpy(last, data, n);
            for (i = 0; i < 2 * nb; i++) x[i] = ep__load_be64(last + 8 * i);
            ep__wipe_fast(last, sizeof last);
        }
        ep__ghash_agg(y, tab, x, nb);
        data += n;
        len -= n;
    }
    ep__wipe_fast(x, sizeof x);
}

/* H^1..H^n as table entries, from (hi, lo) of each power kept in the context. */
static void ep__ghash_table(uint64_t *tab, const uint64_t *powers, int n) {
    int k;
    for (k = 0; k < n; k++) ep__ghash_entry(tab + EP__GH_ENTRY * k, powers[2 * k], powers[2 * k + 1]);
}
#endif /* EP_SMALL_AES */

/* One seal or open in progress. */
typedef struct ep__gcm_run {
    const ep_gcm *ctx;
    uint64_t aad_len;
    uint8_t j0[16];       /* the pre-counter block */
    uint64_t y[2];        /* GHASH state */
    int gh_n;             /* portable: powers of H in gh */
    uint64_t gh[EP__GH_ENTRY * EP__GH_AGG]; /* portable: split powers of H */
} ep__gcm_run;

/* ======================================================================== */
/* x86-64 AES-NI + PCLMULQDQ                                                */
/* ======================================================================== */
#ifdef EP__GCM_X86

/* Small helpers of the x86 CTR loop, inlined so that the GHASH accumulator
 * and the AES state stay in registers (gcc does not inline target functions
 * on its own in this big translation unit). */
#  if defined(_MSC_VER) && !defined(__clang__)
#    define EP__X86_HOT static __forceinline
#  else
#    define EP__X86_HOT static inline __attribute__((always_inline, target("aes,pclmul,sse4.1")))
#  endif

static int ep__x86_available(void) {
#  if defined(_MSC_VER) && !defined(__clang__)
    int r[4];
    __cpuid(r, 1);
    return (r[2] & (1 << 25)) && (r[2] & (1 << 1)) && (r[2] & (1 << 19)); /* AES, PCLMUL, SSE4.1 */
#  else
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
           __builtin_cpu_supports("sse4.1");
#  endif
}

/* Blocks are byte-reversed on load so the register holds GCM's reflected
 * polynomial as one 128-bit integer, the same form the portable code uses. */
EP__X86_HOT __m128i ep__x86_bswap(__m128i x) {
    return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* (hi:lo) is an unreduced 256-bit carry-less product; see ep__ghash_mul. */
EP__X86_HOT __m128i ep__x86_reduce(__m128i hi, __m128i lo) {
    __m128i clo = _mm_srli_epi64(lo, 63), chi = _mm_srli_epi64(hi, 63), t, u;
    lo = _mm_or_si128(_mm_slli_epi64(lo, 1), _mm_slli_si128(clo, 8));
    hi = _mm_or_si128(_mm_or_si128(_mm_slli_epi64(hi, 1), _mm_slli_si128(chi, 8)), _mm_srli_si128(clo, 8));
    t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(lo, 63), _mm_slli_epi64(lo, 62)), _mm_slli_epi64(lo, 57));
    lo = _mm_xor_si128(lo, _mm_slli_si128(t, 8));
    u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(lo, 1), _mm_srli_epi64(lo, 2)), _mm_srli_epi64(lo, 7));
    t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(lo, 63), _mm_slli_epi64(lo, 62)), _mm_slli_epi64(lo, 57));
    return _mm_xor_si128(_mm_xor_si128(hi, lo), _mm_xor_si128(u, _mm_srli_si128(t, 8)));
}

EP__X86_HOT __m128i ep__x86_hpow(const ep_gcm *ctx, int k) { /* H^k, k = 1..8 */
    return _mm_loadu_si128((const __m128i *)(const void *)(ctx->opaque + EP__GCM_HW_H + 2 * (k - 1)));
}

EP__X86_HOT __m128i ep__x86_hkar(const ep_gcm *ctx, int k) {
    return _mm_loadu_si128((const __m128i *)(const void *)(ctx->opaque + EP__GCM_HW_HK + 2 * (k - 1)));
}

/* Aggregated GHASH: y = (y + x[0]) H^n + x[1] H^(n-1) + ... + x[n-1] H, one
 * reduction for all n (1..8) blocks; x already byte-reversed. */
EP__TARGET_AESNI static __m128i ep__x86_ghash_n(const ep_gcm *ctx, __m128i y, const __m128i *x, int n) {
    __m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;
    int i;
    for (i = 0; i < n; i++) {
        __m128i a = i == 0 ? _mm_xor_si128(x[0], y) : x[i];
        __m128i h = ep__x86_hpow(ctx, n - i);
        lo = _mm_xor_si128(lo, _mm_clmulepi64_si128(a, h, 0x00));
        hi = _mm_xor_si128(hi, _mm_clmulepi64_si128(a, h, 0x11));
        mid = _mm_xor_si128(mid, _mm_clmulepi64_si128(_mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4E)),
                                                      ep__x86_hkar(ctx, n - i), 0x00));
    }
    mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    return ep__x86_reduce(hi, lo);
}

/* The same for exactly 8 blocks, written out so nothing goes through memory. */
EP__TARGET_AESNI static __m128i ep__x86_ghash8(const ep_gcm *ctx, __m128i y, const __m128i *x) {
    __m128i lo, hi, mid, a, h;
#define EP__GH(i, first) \
    a = (i) == 0 ? _mm_xor_si128(x[0], y) : x[i]; \
    h = ep__x86_hpow(ctx, 8 - (i)); \
    lo = first ? _mm_clmulepi64_si128(a, h, 0x00) : _mm_xor_si128(lo, _mm_clmulepi64_si128(a, h, 0x00)); \
    hi = first ? _mm_clmulepi64_si128(a, h, 0x11) : _mm_xor_si128(hi, _mm_clmulepi64_si128(a, h, 0x11)); \
    a = _mm_clmulepi64_si128(_mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4E)), ep__x86_hkar(ctx, 8 - (i)), 0x00); \
    mid = first ? a : _mm_xor_si128(mid, a)
    EP__GH(0, 1); EP__GH(1, 0); EP__GH(2, 0); EP__GH(3, 0);
    EP__GH(4, 0); EP__GH(5, 0); EP__GH(6, 0); EP__GH(7, 0);
#undef EP__GH
    mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    return ep__x86_reduce(hi, lo);
}

/* Plain multiply, for the key setup (H powers). */
EP__TARGET_AESNI static __m128i ep__x86_gmul(__m128i a, __m128i b) {
    __m128i lo = _mm_clmulepi64_si128(a, b, 0x00), hi = _mm_clmulepi64_si128(a, b, 0x11);
    __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));
    return ep__x86_reduce(_mm_xor_si128(hi, _mm_srli_si128(mid, 8)), _mm_xor_si128(lo, _mm_slli_si128(mid, 8)));
}

EP__TARGET_AESNI static __m128i ep__x86_load_y(const uint64_t *y) {
    return _mm_set_epi64x((long long)y[0], (long long)y[1]);
}

EP__TARGET_AESNI static void ep__x86_store_y(uint64_t *y, __m128i v) {
    uint64_t w[2];
    _mm_storeu_si128((__m128i *)(void *)w, v);
    y[0] = w[1];
    y[1] = w[0];
}

EP__TARGET_AESNI static void ep__x86_ghash(const ep_gcm *ctx, uint64_t *yv, const uint8_t *data, size_t len) {
    __m128i y = ep__x86_load_y(yv), x[8];
    int i;
    while (len >= 128) {
        for (i = 0; i < 8; i++) x[i] = ep__x86_bswap(_mm_loadu_si128((const __m128i *)(const void *)(data + 16 * i)));
        y = ep__x86_ghash8(ctx, y, x);
        data += 128;
        len -= 128;
    }
    while (len) {
        uint8_t last[16];
        size_t n = EP__MIN(len, (size_t)16);
        memset(last, 0, sizeof last);
        memcpy(last, data, n);
        x[0] = ep__x86_bswap(_mm_loadu_si128((const __m128i *)(void *)last));
        y = ep__x86_ghash_n(ctx, y, x, 1);
        data += n;
        len -= n;
    }
    ep__x86_store_y(yv, y);
}

EP__X86_HOT __m128i ep__x86_rk(const ep_gcm *ctx, int r) {
    return _mm_loadu_si128((const __m128i *)(const void *)(ctx->opaque + EP__GCM_HW_RK + 2 * r));
}

EP__TARGET_AESNI static __m128i ep__x86_aes(const ep_gcm *ctx, __m128i b) {
    int r;
    b = _mm_xor_si128(b, ep__x86_rk(ctx, 0));
    for (r = 1; r < 14; r++) b = _mm_aesenc_si128(b, ep__x86_rk(ctx, r));
    return _mm_aesenclast_si128(b, ep__x86_rk(ctx, 14));
}

/* acc (lo, hi, mid) += a * H^k, unreduced: Karatsuba, three carry-less products. */
EP__X86_HOT void ep__x86_gh_acc(const ep_gcm *ctx, __m128i *acc, __m128i a, int k) {
    __m128i h = ep__x86_hpow(ctx, k);
    __m128i m = _mm_clmulepi64_si128(_mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4E)), ep__x86_hkar(ctx, k), 0x00);
    acc[0] = _mm_xor_si128(acc[0], _mm_clmulepi64_si128(a, h, 0x00));
    acc[1] = _mm_xor_si128(acc[1], _mm_clmulepi64_si128(a, h, 0x11));
    acc[2] = _mm_xor_si128(acc[2], m);
}

/* The reduced value of an accumulator: one reduction however many products. */
EP__X86_HOT __m128i ep__x86_gh_fold(const __m128i *acc) {
    __m128i mid = _mm_xor_si128(acc[2], _mm_xor_si128(acc[0], acc[1]));
    return ep__x86_reduce(_mm_xor_si128(acc[1], _mm_srli_si128(mid, 8)),
                          _mm_xor_si128(acc[0], _mm_slli_si128(mid, 8)));
}

/* One 128-byte chunk of CTR: eight counter blocks through AES (the AES unit
 * pipelines independent blocks), XOR with in, into out; c becomes the chunk's
 * ciphertext, byte-reversed, for GHASH. With stitch, the GHASH of the
 * previous chunk's c (folded into *y) is spread over the rounds: the two are
 * independent, so carry-less multiplies fill the AES latency. The counter is
 * kept byte-reversed so inc32 is a 32-bit lane add that wraps as GCM says. */
EP__X86_HOT void ep__x86_chunk(const ep_gcm *ctx, __m128i *ctr, const uint8_t *in, uint8_t *out, int decrypt,
                               __m128i *c, __m128i *y, int stitch) {
    const __m128i one = _mm_set_epi32(0, 0, 0, 1);
    __m128i b0, b1, b2, b3, b4, b5, b6, b7, rk, acc[3];
    int r;
    /* Written out per block: compilers keep b0..b7 in registers this way. */
#  define EP__X8(op) op(0); op(1); op(2); op(3); op(4); op(5); op(6); op(7)
#  define EP__CTR(i) *ctr = _mm_add_epi32(*ctr, one); b##i = _mm_xor_si128(ep__x86_bswap(*ctr), rk)
#  define EP__ENC(i) b##i = _mm_aesenc_si128(b##i, rk)
#  define EP__LAST(i) do { \
        __m128i d_ = _mm_loadu_si128((const __m128i *)(const void *)(in + 16 * (i))); \
        __m128i o_ = _mm_xor_si128(_mm_aesenclast_si128(b##i, rk), d_); \
        _mm_storeu_si128((__m128i *)(void *)(out + 16 * (i)), o_); \
        c[i] = ep__x86_bswap(decrypt ? d_ : o_); } while (0)
    rk = ep__x86_rk(ctx, 0);
    EP__X8(EP__CTR);
    if (stitch) {
        acc[0] = acc[1] = acc[2] = _mm_setzero_si128();
        c[0] = _mm_xor_si128(c[0], *y);
    }
    /* Rounds 1..8 each carry one GHASH product: c[0] H^8 + ... + c[7] H. */
#  define EP__ROUND(r) rk = ep__x86_rk(ctx, r); EP__X8(EP__ENC); \
        if (stitch) ep__x86_gh_acc(ctx, acc, c[(r) - 1], 9 - (r))
    EP__ROUND(1); EP__ROUND(2); EP__ROUND(3); EP__ROUND(4);
    EP__ROUND(5); EP__ROUND(6); EP__ROUND(7); EP__ROUND(8);
#  undef EP__ROUND
    if (stitch) *y = ep__x86_gh_fold(acc);
    for (r = 9; r < 14; r++) {
        rk = ep__x86_rk(ctx, r);
        EP__X8(EP__ENC);
    }
    rk = ep__x86_rk(ctx, 14);
    EP__X8(EP__LAST);
#  undef EP__X8
#  undef EP__CTR
#  undef EP__ENC
#  undef EP__LAST
}

/* The last 0..127 bytes (nb blocks, at most width: 0, 4 or 8), E(J0) and
 * the tag. All the AES of the message end runs as one batch; the GHASH of
 * the last full chunk (if pending), the tail blocks and the lengths block
 * take one aggregated pass with one reduction when they are at most nine
 * blocks (H^1..H^9), else two. */
EP__X86_HOT void ep__x86_tail(const ep_gcm *ctx, const ep__gcm_run *run, __m128i ctr, __m128i y, const __m128i *c,
                              int pending, const uint8_t *in, size_t len, uint8_t *out, int decrypt,
                              uint64_t total, uint8_t *tag, int width) {
    const __m128i one = _mm_set_epi32(0, 0, 0, 1);
    __m128i k0, k1, k2, k3, k4, k5, k6, k7, k8, acc[3], x, rk;
    uint8_t buf[128], ob[128];
    const uint8_t *ghsrc = decrypt ? buf : ob;
    size_t nb = (len + 15) / 16, i;
    int r, pw;
    /* k0 = E(J0), k1.. the keystream; named registers, as in ep__x86_chunk */
#  define EP__K(op) if (width >= 4) { op(1); op(2); op(3); op(4); } if (width == 8) { op(5); op(6); op(7); op(8); }
#  define EP__CTR(i) ctr = _mm_add_epi32(ctr, one); k##i = _mm_xor_si128(ep__x86_bswap(ctr), rk)
#  define EP__ENC(i) k##i = _mm_aesenc_si128(k##i, rk)
#  define EP__LAST(i) k##i = _mm_aesenclast_si128(k##i, rk)
#  define EP__XOR(i) _mm_storeu_si128((__m128i *)(void *)(ob + 16 * ((i) - 1)), _mm_xor_si128(k##i, \
        _mm_loadu_si128((const __m128i *)(const void *)(buf + 16 * ((i) - 1)))))
    k1 = k2 = k3 = k4 = k5 = k6 = k7 = k8 = _mm_setzero_si128();
    rk = ep__x86_rk(ctx, 0);
    k0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)run->j0), rk);
    EP__K(EP__CTR);
    for (r = 1; r < 14; r++) {
        rk = ep__x86_rk(ctx, r);
        EP__ENC(0);
        EP__K(EP__ENC);
    }
    rk = ep__x86_rk(ctx, 14);
    EP__LAST(0);
    EP__K(EP__LAST);
    if (pending && nb) { /* 8 + nb + 1 > 9 blocks: the full chunk on its own */
        y = ep__x86_ghash8(ctx, y, c);
        pending = 0;
    }
    if (width) {
        memset(buf, 0, sizeof buf);
        if (len) memcpy(buf, in, len);
        EP__K(EP__XOR);
        if (len) memcpy(out, ob, len);
        memset(ob + len, 0, sizeof ob - len); /* ciphertext padded with zeros */
    }
#  undef EP__K
#  undef EP__CTR
#  undef EP__ENC
#  undef EP__LAST
#  undef EP__XOR
    /* y = (y + x_0) H^pw + ... + lengths H over [pending chunk] [tail] lengths */
    acc[0] = acc[1] = acc[2] = _mm_setzero_si128();
    x = _mm_setzero_si128();
    pw = (pending ? 8 : 0) + (int)nb + 1;
    for (r = 0; pending && r < 8; r++) {
        x = r == 0 ? _mm_xor_si128(c[0], y) : c[r];
        ep__x86_gh_acc(ctx, acc, x, pw--);
    }
    for (i = 0; i < nb; i++) {
        x = ep__x86_bswap(_mm_loadu_si128((const __m128i *)(const void *)(ghsrc + 16 * i)));
        if (i == 0) x = _mm_xor_si128(x, y);
        ep__x86_gh_acc(ctx, acc, x, pw--);
    }
    x = _mm_set_epi64x((long long)(run->aad_len * 8), (long long)(total * 8)); /* already reflected */
    if (!pending && nb == 0) x = _mm_xor_si128(x, y);
    ep__x86_gh_acc(ctx, acc, x, 1);
    y = ep__x86_bswap(ep__x86_gh_fold(acc));
    _mm_storeu_si128((__m128i *)(void *)tag, _mm_xor_si128(y, k0));
    if (width) {
        ep__wipe_fast(buf, sizeof buf);
        ep__wipe_fast(ob, sizeof ob);
    }
}

/* ---- VAES + VPCLMULQDQ (256-bit): two blocks per instruction -------------- */
#  if !defined(EP_NO_VAES) && \
      (defined(__clang__) ? (__clang_major__ >= 8) : defined(__GNUC__) ? (__GNUC__ >= 9) : (_MSC_VER >= 1920))
#    define EP__GCM_VAES 1
#    if defined(_MSC_VER) && !defined(__clang__)
#      define EP__TARGET_VAES
#      define EP__VAES_HOT static __forceinline
#    else
#      include <cpuid.h>
#      define EP__TARGET_VAES __attribute__((target("vaes,vpclmulqdq,avx2,aes,pclmul,sse4.1")))
#      define EP__VAES_HOT static inline __attribute__((always_inline, target("vaes,vpclmulqdq,avx2,aes,pclmul,sse4.1")))
#    endif

/* CPUID says VAES, VPCLMULQDQ and AVX2, and the OS saves the YMM registers. */
static int ep__x86_vaes_available(void) {
    unsigned b7, c7, c1, xcr0;
#    if defined(_MSC_VER) && !defined(__clang__)
    int r[4];
    __cpuid(r, 0);
    if (r[0] < 7) return 0;
    __cpuid(r, 1);
    c1 = (unsigned)r[2];
    if (!(c1 & (1u << 27))) return 0; /* OSXSAVE */
    xcr0 = (unsigned)_xgetbv(0);
    __cpuidex(r, 7, 0);
    b7 = (unsigned)r[1];
    c7 = (unsigned)r[2];
#    else
    unsigned a, b, d, lo, hi;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid(1, a, b, c1, d);
    if (!(c1 & (1u << 27))) return 0; /* OSXSAVE */
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    xcr0 = lo;
    __cpuid_count(7, 0, a, b7, c7, d);
#    endif
    return (xcr0 & 6u) == 6u && (b7 & (1u << 5)) && (c7 & (1u << 9)) && (c7 & (1u << 10));
}

EP__VAES_HOT __m256i ep__vaes_rk(const ep_gcm *ctx, int r) { /* round key r in both lanes */
    return _mm256_broadcastsi128_si256(ep__x86_rk(ctx, r));
}

/* The pair (H^(16-2i), H^(15-2i)) for blocks 2i, 2i+1 of a 16-block run. */
EP__VAES_HOT __m256i ep__vaes_hpair(const ep_gcm *ctx, int i) {
    return _mm256_loadu_si256((const __m256i *)(const void *)(ctx->opaque + EP__GCM_HW_HD + 4 * i));
}

/* acc += a * h lane by lane (Karatsuba; h's hi^lo made on the fly). */
EP__VAES_HOT void ep__vaes_gh_acc(__m256i *acc, __m256i a, __m256i h) {
    __m256i am = _mm256_xor_si256(a, _mm256_shuffle_epi32(a, 0x4E));
    __m256i hm = _mm256_xor_si256(h, _mm256_shuffle_epi32(h, 0x4E));
    acc[0] = _mm256_xor_si256(acc[0], _mm256_clmulepi64_epi128(a, h, 0x00));
    acc[1] = _mm256_xor_si256(acc[1], _mm256_clmulepi64_epi128(a, h, 0x11));
    acc[2] = _mm256_xor_si256(acc[2], _mm256_clmulepi64_epi128(am, hm, 0x00));
}

/* Both lanes summed and reduced. */
EP__VAES_HOT __m128i ep__vaes_gh_fold(const __m256i *acc) {
    __m128i f[3];
    int i;
    for (i = 0; i < 3; i++)
        f[i] = _mm_xor_si128(_mm256_castsi256_si128(acc[i]), _mm256_extracti128_si256(acc[i], 1));
    return ep__x86_gh_fold(f);
}

/* 256 bytes of CTR as in ep__x86_chunk, sixteen blocks in eight registers;
 * with stitch the GHASH of the previous run's c (16 blocks, one reduction)
 * rides on rounds 1..8. */
EP__VAES_HOT void ep__vaes_chunk(const ep_gcm *ctx, __m128i *ctr, const uint8_t *in, uint8_t *out, int decrypt,
                                 __m256i *c, __m128i *y, int stitch) {
    const __m256i bswap = _mm256_broadcastsi128_si256(
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m256i two = _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 2);
    __m256i b0, b1, b2, b3, b4, b5, b6, b7, rk, acc[3];
    __m256i cv = _mm256_add_epi32(_mm256_broadcastsi128_si256(*ctr), _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 1));
    int r;
#  define EP__V8(op) op(0); op(1); op(2); op(3); op(4); op(5); op(6); op(7)
#  define EP__VCTR(i) b##i = _mm256_xor_si256(_mm256_shuffle_epi8(cv, bswap), rk); cv = _mm256_add_epi32(cv, two)
#  define EP__VENC(i) b##i = _mm256_aesenc_epi128(b##i, rk)
#  define EP__VLAST(i) do { \
        __m256i d_ = _mm256_loadu_si256((const __m256i *)(const void *)(in + 32 * (i))); \
        __m256i o_ = _mm256_xor_si256(_mm256_aesenclast_epi128(b##i, rk), d_); \
        _mm256_storeu_si256((__m256i *)(void *)(out + 32 * (i)), o_); \
        c[i] = _mm256_shuffle_epi8(decrypt ? d_ : o_, bswap); } while (0)
#  define EP__VROUND(r) rk = ep__vaes_rk(ctx, r); EP__V8(EP__VENC); \
        if (stitch) ep__vaes_gh_acc(acc, c[(r) - 1], ep__vaes_hpair(ctx, (r) - 1))
    rk = ep__vaes_rk(ctx, 0);
    EP__V8(EP__VCTR);
    *ctr = _mm_add_epi32(*ctr, _mm_set_epi32(0, 0, 0, 16));
    if (stitch) {
        acc[0] = acc[1] = acc[2] = _mm256_setzero_si256();
        c[0] = _mm256_xor_si256(c[0], _mm256_set_m128i(_mm_setzero_si128(), *y)); /* y joins block 0 */
    }
    EP__VROUND(1); EP__VROUND(2); EP__VROUND(3); EP__VROUND(4);
    EP__VROUND(5); EP__VROUND(6); EP__VROUND(7); EP__VROUND(8);
    if (stitch) *y = ep__vaes_gh_fold(acc);
    for (r = 9; r < 14; r++) {
        rk = ep__vaes_rk(ctx, r);
        EP__V8(EP__VENC);
    }
    rk = ep__vaes_rk(ctx, 14);
    EP__V8(EP__VLAST);
#  undef EP__V8
#  undef EP__VCTR
#  undef EP__VENC
#  undef EP__VLAST
#  undef EP__VROUND
}

/* GHASH of the last 16-block run on its own. */
EP__VAES_HOT __m128i ep__vaes_ghash16(const ep_gcm *ctx, __m128i y, __m256i *c) {
    __m256i acc[3];
    int i;
    acc[0] = acc[1] = acc[2] = _mm256_setzero_si256();
    c[0] = _mm256_xor_si256(c[0], _mm256_set_m128i(_mm_setzero_si128(), y));
    for (i = 0; i < 8; i++) ep__vaes_gh_acc(acc, c[i], ep__vaes_hpair(ctx, i));
    return ep__vaes_gh_fold(acc);
}

/* The whole 256-byte runs of a message; returns the bytes done. */
EP__TARGET_VAES static size_t ep__vaes_bulk(const ep_gcm *ctx, __m128i *ctr, __m128i *y, const uint8_t *in,
                                            size_t len, uint8_t *out, int decrypt) {
    __m256i c[8];
    size_t done = 0;
    if (len < 256) return 0;
    ep__vaes_chunk(ctx, ctr, in, out, decrypt, c, y, 0);
    for (done = 256; len - done >= 256; done += 256)
        ep__vaes_chunk(ctx, ctr, in + done, out + done, decrypt, c, y, 1);
    *y = ep__vaes_ghash16(ctx, *y, c);
    ep__wipe_fast(c, sizeof c);
    return done;
}
#  endif /* VAES compilers */

EP__TARGET_AESNI static void ep__x86_init(ep_gcm *ctx, const uint8_t *schedule) {
    __m128i h, p;
    int k;
    memcpy(ctx->opaque + EP__GCM_HW_RK, schedule, 240);
    h = ep__x86_bswap(ep__x86_aes(ctx, _mm_setzero_si128()));
    p = h;
    for (k = 1; k <= 16; k++) {
        if (k <= 9) {
            _mm_storeu_si128((__m128i *)(void *)(ctx->opaque + EP__GCM_HW_H + 2 * (k - 1)), p);
            _mm_storeu_si128((__m128i *)(void *)(ctx->opaque + EP__GCM_HW_HK + 2 * (k - 1)),
                             _mm_xor_si128(p, _mm_shuffle_epi32(p, 0x4E)));
        }
        _mm_storeu_si128((__m128i *)(void *)(ctx->opaque + EP__GCM_HW_HD + 2 * (16 - k)), p);
        p = ep__x86_gmul(p, h);
    }
#  ifdef EP__GCM_VAES
    ctx->opaque[EP__GCM_HW_FLAGS] = (uint64_t)ep__x86_vaes_available();
#  endif
}

/* CTR + GHASH of a whole message and its tag. */
EP__TARGET_AESNI static void ep__x86_crypt(ep__gcm_run *run, const uint8_t *in, size_t len, uint8_t *out,
                                           int decrypt, uint8_t *tag) {
    const ep_gcm *ctx = run->ctx;
    __m128i ctr = ep__x86_bswap(_mm_loadu_si128((const __m128i *)(const void *)run->j0));
    __m128i y = ep__x86_load_y(run->y), c[8];
    uint64_t total = len;
    int pending = 0;
#  ifdef EP__GCM_VAES
    if (ctx->opaque[EP__GCM_HW_FLAGS] & 1) { /* whole 256-byte runs, then the rest below */
        size_t done = ep__vaes_bulk(ctx, &ctr, &y, in, len, out, decrypt);
        in += done;
        out += done;
        len -= done;
    }
#  endif
    if (len >= 128) {
        ep__x86_chunk(ctx, &ctr, in, out, decrypt, c, &y, 0);
        pending = 1;
        in += 128;
        out += 128;
        len -= 128;
    }
    while (len >= 128) {
        ep__x86_chunk(ctx, &ctr, in, out, decrypt, c, &y, 1);
        in += 128;
        out += 128;
        len -= 128;
    }
    if (len == 0)
        ep__x86_tail(ctx, run, ctr, y, c, pending, in, len, out, decrypt, total, tag, 0);
    else if (len <= 64)
        ep__x86_tail(ctx, run, ctr, y, c, pending, in, len, out, decrypt, total, tag, 4);
    else
        ep__x86_tail(ctx, run, ctr, y, c, pending, in, len, out, decrypt, total, tag, 8);
}

#define ep__hw_available ep__x86_available
#define ep__hw_init ep__x86_init
#define ep__hw_ghash ep__x86_ghash
#endif /* EP__GCM_X86 */

/* ======================================================================== */
/* AArch64 crypto extensions (AESE/AESMC + PMULL)                           */
/* ======================================================================== */
#ifdef EP__GCM_ARM

static int ep__arm_available(void) {
#  if defined(__APPLE__)
    return 1; /* every Apple AArch64 core has them */
#  elif defined(__linux__) && defined(AT_HWCAP)
    unsigned long caps = getauxval(AT_HWCAP);
    return (caps & (1ul << 3)) && (caps & (1ul << 4)); /* HWCAP_AES, HWCAP_PMULL */
#  else
    return 0;
#  endif
}

/* Byte-reversed block: the register is GCM's reflected polynomial as a
 * 128-bit integer (lane 0 the low half), as on x86. */
EP__TARGET_ARMCE static uint64x2_t ep__arm_load_rev(const uint8_t *p) {
    uint8x16_t b = vrev64q_u8(vld1q_u8(p));
    return vreinterpretq_u64_u8(vextq_u8(b, b, 8));
}

EP__TARGET_ARMCE static uint64x2_t ep__arm_up8(uint64x2_t x) { /* low lane -> high lane */
    return vreinterpretq_u64_u8(vextq_u8(vdupq_n_u8(0), vreinterpretq_u8_u64(x), 8));
}

EP__TARGET_ARMCE static uint64x2_t ep__arm_down8(uint64x2_t x) { /* high lane -> low lane */
    return vreinterpretq_u64_u8(vextq_u8(vreinterpretq_u8_u64(x), vdupq_n_u8(0), 8));
}

/* The reduction of ep__x86_reduce, lane for lane. */
EP__TARGET_ARMCE static uint64x2_t ep__arm_reduce(uint64x2_t hi, uint64x2_t lo) {
    uint64x2_t clo = vshrq_n_u64(lo, 63), chi = vshrq_n_u64(hi, 63), t, u;
    lo = vorrq_u64(vshlq_n_u64(lo, 1), ep__arm_up8(clo));
    hi = vorrq_u64(vorrq_u64(vshlq_n_u64(hi, 1), ep__arm_up8(chi)), ep__arm_down8(clo));
    t = veorq_u64(veorq_u64(vshlq_n_u64(lo, 63), vshlq_n_u64(lo, 62)), vshlq_n_u64(lo, 57));
    lo = veorq_u64(lo, ep__arm_up8(t));
    u = veorq_u64(veorq_u64(vshrq_n_u64(lo, 1), vshrq_n_u64(lo, 2)), vshrq_n_u64(lo, 7));
    t = veorq_u64(veorq_u64(vshlq_n_u64(lo, 63), vshlq_n_u64(lo, 62)), vshlq_n_u64(lo, 57));
    return veorq_u64(veorq_u64(hi, lo), veorq_u64(u, ep__arm_down8(t)));
}

/* 64x64 carry-less product of the chosen halves of a and b. */
EP__TARGET_ARMCE static uint64x2_t ep__arm_clmul(uint64x2_t a, uint64x2_t b, int hi_a, int hi_b) {
    poly64_t x = (poly64_t)(hi_a ? vgetq_lane_u64(a, 1) : vgetq_lane_u64(a, 0));
    poly64_t y = (poly64_t)(hi_b ? vgetq_lane_u64(b, 1) : vgetq_lane_u64(b, 0));
    return vreinterpretq_u64_p128(vmull_p64(x, y));
}

EP__TARGET_ARMCE static uint64x2_t ep__arm_hpow(const ep_gcm *ctx, int k) {
    return vld1q_u64(ctx->opaque + EP__GCM_HW_H + 2 * (k - 1));
}

/* y = (y + x[0]) H^n + ... + x[n-1] H, one reduction (n = 1..8). */
EP__TARGET_ARMCE static uint64x2_t ep__arm_ghash_n(const ep_gcm *ctx, uint64x2_t y, const uint64x2_t *x, int n) {
    uint64x2_t lo = vdupq_n_u64(0), hi = lo, mid = lo;
    int i;
    for (i = 0; i < n; i++) {
        uint64x2_t a = i == 0 ? veorq_u64(x[0], y) : x[i], h = ep__arm_hpow(ctx, n - i);
        uint64x2_t hk = vld1q_u64(ctx->opaque + EP__GCM_HW_HK + 2 * (n - i - 1));
        lo = veorq_u64(lo, ep__arm_clmul(a, h, 0, 0));
        hi = veorq_u64(hi, ep__arm_clmul(a, h, 1, 1));
        mid = veorq_u64(mid, ep__arm_clmul(veorq_u64(a, vextq_u64(a, a, 1)), hk, 0, 0));
    }
    mid = veorq_u64(mid, veorq_u64(lo, hi));
    return ep__arm_reduce(veorq_u64(hi, ep__arm_down8(mid)), veorq_u64(lo, ep__arm_up8(mid)));
}

EP__TARGET_ARMCE static uint64x2_t ep__arm_gmul(uint64x2_t a, uint64x2_t b) {
    uint64x2_t lo = ep__arm_clmul(a, b, 0, 0), hi = ep__arm_clmul(a, b, 1, 1);
    uint64x2_t mid = veorq_u64(ep__arm_clmul(a, b, 1, 0), ep__arm_clmul(a, b, 0, 1));
    return ep__arm_reduce(veorq_u64(hi, ep__arm_down8(mid)), veorq_u64(lo, ep__arm_up8(mid)));
}

EP__TARGET_ARMCE static void ep__arm_ghash(const ep_gcm *ctx, uint64_t *yv, const uint8_t *data, size_t len) {
    uint64x2_t y = vcombine_u64(vcreate_u64(yv[1]), vcreate_u64(yv[0])), x[8];
    int i;
    while (len >= 128) {
        for (i = 0; i < 8; i++) x[i] = ep__arm_load_rev(data + 16 * i);
        y = ep__arm_ghash_n(ctx, y, x, 8);
        data += 128;
        len -= 128;
    }
    while (len) {
        uint8_t last[16];
        size_t n = EP__MIN(len, (size_t)16);
        memset(last, 0, sizeof last);
        memcpy(last, data, n);
        x[0] = ep__arm_load_rev(last);
        y = ep__arm_ghash_n(ctx, y, x, 1);
        data += n;
        len -= n;
    }
    yv[0] = vgetq_lane_u64(y, 1);
    yv[1] = vgetq_lane_u64(y, 0);
}

EP__TARGET_ARMCE static uint8x16_t ep__arm_aes(const ep_gcm *ctx, uint8x16_t b) {
    const uint8_t *rk = (const uint8_t *)(const void *)(ctx->opaque + EP__GCM_HW_RK);
    int r;
    for (r = 0; r < 13; r++) b = vaesmcq_u8(vaeseq_u8(b, vld1q_u8(rk + 16 * r)));
    b = vaeseq_u8(b, vld1q_u8(rk + 16 * 13));
    return veorq_u8(b, vld1q_u8(rk + 16 * 14));
}

EP__TARGET_ARMCE static void ep__arm_init(ep_gcm *ctx, const uint8_t *schedule) {
    uint8_t z[16];
    uint64x2_t h, p;
    int k;
    memcpy(ctx->opaque + EP__GCM_HW_RK, schedule, 240);
    memset(z, 0, sizeof z);
    vst1q_u8(z, ep__arm_aes(ctx, vld1q_u8(z)));
    h = ep__arm_load_rev(z);
    ep__wipe(z, sizeof z);
    p = h;
    for (k = 1; k <= 8; k++) {
        vst1q_u64(ctx->opaque + EP__GCM_HW_H + 2 * (k - 1), p);
        vst1q_u64(ctx->opaque + EP__GCM_HW_HK + 2 * (k - 1), veorq_u64(p, vextq_u64(p, p, 1)));
        p = ep__arm_gmul(p, h);
    }
}

/* CTR four blocks at a time, GHASH of them with one reduction. */
EP__TARGET_ARMCE static void ep__arm_crypt(ep__gcm_run *run, const uint8_t *in, size_t len, uint8_t *out,
                                           int decrypt, uint8_t *tagmask) {
    const ep_gcm *ctx = run->ctx;
    uint32_t ctr = ((uint32_t)run->j0[12] << 24) | ((uint32_t)run->j0[13] << 16) | ((uint32_t)run->j0[14] << 8) |
                   run->j0[15];
    uint64x2_t y = vcombine_u64(vcreate_u64(run->y[1]), vcreate_u64(run->y[0])), c[4];
    uint8x16_t base = vld1q_u8(run->j0);
    int i;
    vst1q_u8(tagmask, ep__arm_aes(ctx, base));
    while (len) {
        size_t n = EP__MIN(len, (size_t)64), k;
        int nb = (int)((n + 15) / 16);
        uint8_t ks[64], cb[64];
        for (i = 0; i < nb; i++) {
            uint32x4_t v = vreinterpretq_u32_u8(base);
            ctr++;
            v = vsetq_lane_u32(__builtin_bswap32(ctr), v, 3);
            vst1q_u8(ks + 16 * i, ep__arm_aes(ctx, vreinterpretq_u8_u32(v)));
        }
        memset(cb, 0, sizeof cb);
        if (decrypt) memcpy(cb, in, n);
        for (k = 0; k < n; k++) out[k] = (uint8_t)(in[k] ^ ks[k]);
        if (!decrypt) memcpy(cb, out, n);
        for (i = 0; i < nb; i++) c[i] = ep__arm_load_rev(cb + 16 * i);
        y = ep__arm_ghash_n(ctx, y, c, nb);
        ep__wipe(ks, sizeof ks);
        in += n;
        out += n;
        len -= n;
    }
    run->y[0] = vgetq_lane_u64(y, 1);
    run->y[1] = vgetq_lane_u64(y, 0);
}

#define ep__hw_available ep__arm_available
#define ep__hw_init ep__arm_init
#define ep__hw_ghash ep__arm_ghash
#endif /* EP__GCM_ARM */

/* ======================================================================== */
/* GCM, shared by both paths                                                */
/* ======================================================================== */

/* Largest plaintext GCM allows: 2^32 - 2 blocks. */
#define EP__GCM_MAX_LEN ((((uint64_t)1 << 32) - 2) * 16)



static void ep__gcm_ghash(ep__gcm_run *run, const uint8_t *data, size_t len) {
#ifdef EP__GCM_HW
    if (run->ctx->impl == EP_CRYPTO_HW) {
        ep__hw_ghash(run->ctx, run->y, data, len);
        return;
    }
#endif
    ep__ghash_update(run->y, run->gh, data, len);
}

/* Portable CTR + GHASH. The keystream starts at J0 so its first block is the
 * tag mask E(J0); data uses the blocks after it. The counter is the last 32
 * bits of J0, big-endian, wrapping as GCM says. */
/* out = in ^ ks, a word at a time (in and out may be the same buffer). */
static void ep__xor_bytes(uint8_t *out, const uint8_t *in, const uint8_t *ks, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, in + i, 8);
        memcpy(&b, ks + i, 8);
        a ^= b;
        memcpy(out + i, &a, 8);
    }
    for (; i < n; i++) out[i] = (uint8_t)(in[i] ^ ks[i]);
}

static void ep__portable_crypt(ep__gcm_run *run, const uint8_t *in, size_t len, uint8_t *out, int decrypt,
                               uint8_t *tagmask) {
    const uint64_t *rk = run->ctx->opaque + EP__GCM_RK;
    const uint64_t *h = run->gh;
    uint32_t ctr = ((uint32_t)run->j0[12] << 24) | ((uint32_t)run->j0[13] << 16) | ((uint32_t)run->j0[14] << 8) |
                   run->j0[15];
    uint8_t ks[EP__BS_BYTES];
    ep__bs_scratch sc;
    size_t avail = 0, pos = 0, off = 0;
    int first = 1;
    while (first || pos < len) {
        size_t n;
        if (avail == 0) {
            int b;
            for (b = 0; b < EP__BS_BYTES / 16; b++) {
                memcpy(ks + 16 * b, run->j0, 12);
                ep__store_be32(ks + 16 * b + 12, ctr++);
            }
            ep__aes_encrypt_bs(rk, ks, &sc);
            off = 0;
            avail = EP__BS_BYTES;
            if (first) { /* the first block is E(J0), the tag mask */
                memcpy(tagmask, ks, 16);
                off = 16;
                avail -= 16;
                first = 0;
                continue;
            }
        }
        /* a multiple of 16 except at the very end, so GHASH pads only there */
        n = EP__MIN(avail, len - pos);
        if (decrypt) ep__ghash_update(run->y, h, in + pos, n);
        ep__xor_bytes(out + pos, in + pos, ks + off, n);
        if (!decrypt) ep__ghash_update(run->y, h, out + pos, n);
        pos += n;
        off += n;
        avail -= n;
    }
    ep__wipe_fast(ks, sizeof ks);
    ep__wipe_fast(&sc, sizeof sc);
}

/* The hardware path never fills the GHASH table. */
static void ep__gcm_run_wipe(ep__gcm_run *run) {
    size_t n = offsetof(ep__gcm_run, gh);
    if (run->ctx->impl == EP_CRYPTO_PORTABLE) n += sizeof(uint64_t) * EP__GH_ENTRY * (size_t)run->gh_n;
    ep__wipe_fast(run, n);
}

/* A function, so 32-bit builds do not warn that the test is always false. */
static int ep__over(uint64_t n, uint64_t max) {
    return n > max;
}

static ep_result ep__gcm_start(ep__gcm_run *run, const ep_gcm *ctx, const uint8_t *iv, size_t iv_len,
                               const uint8_t *aad, size_t aad_len, size_t len) {
    if (!ctx || !iv || iv_len == 0 || (aad_len && !aad)) return EP_ERR_INVALID_ARG;
    if (ctx->impl != EP_CRYPTO_PORTABLE && ctx->impl != EP_CRYPTO_HW) return EP_ERR_INVALID_ARG;
    if (ep__over(len, EP__GCM_MAX_LEN) || ep__over(aad_len, (uint64_t)1 << 60) ||
        ep__over(iv_len, (uint64_t)1 << 60))
        return EP_ERR_INVALID_ARG;
    run->ctx = ctx;
    if (ctx->impl == EP_CRYPTO_PORTABLE) {
        /* No GHASH call aggregates more blocks than its input has, so short
         * messages need only the first powers. */
        size_t most = EP__MAX(EP__MAX(aad_len, len), iv_len == 12 ? (size_t)16 : iv_len);
        run->gh_n = (int)EP__MIN((most + 15) / 16, (size_t)EP__GH_AGG);
        ep__ghash_table(run->gh, ctx->opaque + EP__GCM_H, run->gh_n);
    }
    run->aad_len = (uint64_t)aad_len;
    run->y[0] = run->y[1] = 0;
    if (iv_len == 12) {
        memcpy(run->j0, iv, 12);
        run->j0[12] = run->j0[13] = run->j0[14] = 0;
        run->j0[15] = 1;
    } else {
        /* J0 = GHASH(IV || pad || 0^64 || bitlen(IV)^64) */
        uint8_t lens[16];
        memset(lens, 0, 8);
        ep__store_be64(lens + 8, (uint64_t)iv_len * 8);
        ep__gcm_ghash(run, iv, iv_len);
        ep__gcm_ghash(run, lens, 16);
        ep__store_be64(run->j0, run->y[0]);
        ep__store_be64(run->j0 + 8, run->y[1]);
        run->y[0] = run->y[1] = 0;
    }
    ep__gcm_ghash(run, aad, aad_len);
    return EP_OK;
}

static void ep__gcm_finish(ep__gcm_run *run, size_t len, const uint8_t *tagmask, uint8_t *tag) {
    uint8_t lens[16];
    int i;
    ep__store_be64(lens, run->aad_len * 8);
    ep__store_be64(lens + 8, (uint64_t)len * 8);
    ep__gcm_ghash(run, lens, 16);
    ep__store_be64(tag, run->y[0]);
    ep__store_be64(tag + 8, run->y[1]);
    for (i = 0; i < 16; i++) tag[i] ^= tagmask[i];
}

/* CTR, GHASH and the tag on the context's path. The x86 path folds the
 * lengths block and E(J0) into its own last batch. */
static void ep__gcm_crypt(ep__gcm_run *run, const uint8_t *in, size_t len, uint8_t *out, int decrypt,
                          uint8_t *tag) {
    uint8_t tagmask[16];
#if defined(EP__GCM_X86)
    if (run->ctx->impl == EP_CRYPTO_HW) {
        ep__x86_crypt(run, in, len, out, decrypt, tag);
        return;
    }
#elif defined(EP__GCM_ARM)
    if (run->ctx->impl == EP_CRYPTO_HW)
        ep__arm_crypt(run, in, len, out, decrypt, tagmask);
    else
#endif
        ep__portable_crypt(run, in, len, out, decrypt, tagmask);
    ep__gcm_finish(run, len, tagmask, tag);
    ep__wipe_fast(tagmask, sizeof tagmask);
}

EP_API int ep_crypto_hw_available(void) {
#ifdef EP__GCM_HW
    return ep__hw_available();
#else
    return 0;
#endif
}

EP_API ep_result ep_gcm_init(ep_gcm *ctx, const uint8_t key[EP_KEY_SIZE], ep_crypto_impl impl) {
#ifndef EP_SMALL_AES
    uint8_t sched[240], blk[EP__BS_BYTES];
    int r, b;
#endif
    if (!ctx || !key) return EP_ERR_INVALID_ARG;
    if (impl == EP_CRYPTO_AUTO) impl = ep_crypto_hw_available() ? EP_CRYPTO_HW : EP_CRYPTO_PORTABLE;
    if (impl == EP_CRYPTO_HW && !ep_crypto_hw_available()) return EP_ERR_UNSUPPORTED;
    if (impl != EP_CRYPTO_PORTABLE && impl != EP_CRYPTO_HW) return EP_ERR_INVALID_ARG;
    memset(ctx, 0, sizeof *ctx);
    ctx->impl = (int)impl;
#ifdef EP_SMALL_AES
    ep__small_init(ctx, key);
    return EP_OK;
#else
    ep__aes256_schedule(key, sched);
#ifdef EP__GCM_HW
    if (impl == EP_CRYPTO_HW) {
        ep__hw_init(ctx, sched);
        ep__wipe(sched, sizeof sched);
        return EP_OK;
    }
#endif
    /* Each round key, repeated for the four block slots, bitsliced. */
    for (r = 0; r < 15; r++) {
        ep__bs_scratch sc;
        for (b = 0; b < EP__BS_BYTES / 16; b++) memcpy(blk + 16 * b, sched + 16 * r, 16);
        ep__bs_pack(blk, sc.q);
        /* rounds 1..13 see the state r ShiftRows short (ep__aes_encrypt_bs):
         * shift the key back as much, SR^-r = SR^(4 - r mod 4) */
        if (r < 14)
            for (b = 0; b < (4 - r % 4) % 4; b++) ep__aes_shift_rows(sc.q);
        for (b = 0; b < 8; b++) memcpy(ctx->opaque + EP__GCM_RK + 8 * r + b, &sc.q[b], 8); /* lane 0 */
        if (r > 0) { /* the S-box constant 0x63 (bits 0, 1, 5, 6) of the round before */
            uint64_t *k = ctx->opaque + EP__GCM_RK + 8 * r;
            k[0] = ~k[0];
            k[1] = ~k[1];
            k[5] = ~k[5];
            k[6] = ~k[6];
        }
        ep__wipe(&sc, sizeof sc);
    }
    /* H = E(0), then H^2..H^4 (for aggregated GHASH) as (hi, lo) pairs. */
    memset(blk, 0, sizeof blk);
    {
        ep__bs_scratch sc;
        uint64_t *pw = ctx->opaque + EP__GCM_H, tab[EP__GH_ENTRY], x[2];
        int k;
        ep__aes_encrypt_bs(ctx->opaque + EP__GCM_RK, blk, &sc);
        pw[0] = ep__load_be64(blk);
        pw[1] = ep__load_be64(blk + 8);
        ep__ghash_entry(tab, pw[0], pw[1]);
        for (k = 1; k < EP__GH_AGG; k++) { /* H^(k+1) = (0 + H^k) H */
            x[0] = pw[2 * k - 2];
            x[1] = pw[2 * k - 1];
            pw[2 * k] = pw[2 * k + 1] = 0;
            ep__ghash_agg(pw + 2 * k, tab, x, 1);
        }
        ep__wipe(&sc, sizeof sc);
        ep__wipe(tab, sizeof tab);
        ep__wipe(x, sizeof x);
    }
    ep__wipe(sched, sizeof sched);
    ep__wipe(blk, sizeof blk);
    return EP_OK;
#endif
}

EP_API void ep_gcm_wipe(ep_gcm *ctx) {
    if (ctx) ep__wipe(ctx, sizeof *ctx);
}

EP_API ep_result ep_gcm_seal(const ep_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                             size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
                             uint8_t tag[EP_TAG_SIZE]) {
    ep__gcm_run run;
    ep_result r;
    if (!tag || (len && (!pt || !ct))) return EP_ERR_INVALID_ARG;
    r = ep__gcm_start(&run, ctx, iv, iv_len, aad, aad_len, len);
    if (r != EP_OK) return r;
    ep__gcm_crypt(&run, pt, len, ct, 0, tag);
    ep__gcm_run_wipe(&run);
    return EP_OK;
}

EP_API ep_result ep_gcm_open(const ep_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                             size_t aad_len, const uint8_t *ct, size_t len, const uint8_t tag[EP_TAG_SIZE],
                             uint8_t *pt) {
    ep__gcm_run run;
    uint8_t want[16];
    unsigned diff = 0, ok;
    ep_result r;
    int i;
    if (!tag || (len && (!pt || !ct))) return EP_ERR_INVALID_ARG;
    r = ep__gcm_start(&run, ctx, iv, iv_len, aad, aad_len, len);
    if (r != EP_OK) return r;
    ep__gcm_crypt(&run, ct, len, pt, 1, want);
    /* Constant time: OR of all differences, then 1 iff it is zero. */
#ifdef EP_CTCHECK_SELFTEST
    /* Deliberately leaky (tests/ctcheck_gcm.c must catch it): early exit. */
    for (i = 0; i < 16; i++)
        if (want[i] != tag[i]) break;
    ok = i == 16;
    (void)diff;
#else
    for (i = 0; i < 16; i++) diff |= (unsigned)(want[i] ^ tag[i]);
    ok = 1u & ((diff - 1u) >> 8);
#endif
    ep__gcm_run_wipe(&run);
    ep__wipe_fast(want, sizeof want);
    EP__CT_DECLASSIFY(&ok, sizeof ok);
    if (!ok) {
        if (len) ep__wipe(pt, len);
        return EP_ERR_DECRYPT;
    }
    return EP_OK;
}

/* ======================================================================== */
/* OS randomness                                                            */
/* ======================================================================== */
#endif /* !EP_NO_ENCRYPTION */

#if defined(_WIN32)
#  include <windows.h>
#  include <bcrypt.h>
#else
#  include <errno.h>
#  include <fcntl.h>
#  include <unistd.h>
#  if defined(__linux__) && defined(__GLIBC__) && \
      (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#    include <sys/random.h>
#    define EP__HAVE_GETRANDOM 1
#  elif defined(__APPLE__) || defined(__OpenBSD__) || defined(__FreeBSD__) || defined(__NetBSD__)
#    include <sys/random.h>
#    define EP__HAVE_GETENTROPY 1
#  endif
#endif

#if !defined(_WIN32)
/* /dev/urandom: the fallback where no system call exists or it is blocked
 * (old kernels, seccomp filters returning ENOSYS/EPERM). */
static ep_result ep__urandom(uint8_t *p, size_t len) {
    int fd;
    do {
        fd = open("/dev/urandom", O_RDONLY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return EP_ERR_NO_RANDOM;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fd);
            return EP_ERR_NO_RANDOM;
        }
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return EP_OK;
}
#endif

EP_API ep_result ep_random_bytes(void *buf, size_t len) {
    uint8_t *p = (uint8_t *)buf;
    if (len == 0) return EP_OK;
    if (!buf) return EP_ERR_INVALID_ARG;
#if defined(_WIN32)
    while (len) {
        ULONG n = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (BCryptGenRandom(NULL, p, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return EP_ERR_NO_RANDOM;
        p += n;
        len -= n;
    }
    return EP_OK;
#else
#  if defined(EP__HAVE_GETRANDOM)
    while (len) {
        /* Partial reads happen above 256 bytes and on signals. */
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return ep__urandom(p, len);
        }
        p += n;
        len -= (size_t)n;
    }
    return EP_OK;
#  elif defined(EP__HAVE_GETENTROPY)
    while (len) {
        size_t n = len > 256 ? 256 : len; /* getentropy's limit per call */
        if (getentropy(p, n) != 0) return ep__urandom(p, len);
        p += n;
        len -= n;
    }
    return EP_OK;
#  else
    return ep__urandom(p, len);
#  endif
#endif
}

/* ======================================================================== */
/* Key object                                                               */
/* ======================================================================== */
#if !defined(EP_NO_ENCRYPTION)

struct ep_key {
    ep_allocator alloc; /* a copy, so freeing needs nothing from the caller */
    ep_gcm gcm;
};

EP_API ep_result ep_key_create_impl(const uint8_t bytes[EP_KEY_SIZE], ep_crypto_impl impl,
                                    const ep_allocator *alloc, ep_key **out) {
    ep_key *k;
    ep_result r;
    if (!out) return EP_ERR_INVALID_ARG;
    *out = NULL;
    if (!bytes) return EP_ERR_INVALID_ARG;
    k = (ep_key *)ep_malloc(alloc, sizeof *k);
    if (!k) return EP_ERR_NOMEM;
    k->alloc = alloc ? *alloc : *ep_allocator_default();
    r = ep_gcm_init(&k->gcm, bytes, impl);
    if (r != EP_OK) {
        ep_allocator a = k->alloc;
        ep__wipe(k, sizeof *k);
        ep_free(&a, k);
        return r;
    }
    *out = k;
    return EP_OK;
}

EP_API ep_result ep_key_create(const uint8_t bytes[EP_KEY_SIZE], const ep_allocator *alloc, ep_key **out) {
    return ep_key_create_impl(bytes, EP_CRYPTO_AUTO, alloc, out);
}

EP_API void ep_key_free(ep_key *key) {
    ep_allocator a;
    if (!key) return;
    a = key->alloc;
    ep__wipe(key, sizeof *key);
    ep_free(&a, key);
}

static int ep__is_key_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Value of one hex digit, or -1; no branch or table on the (secret) digit. */
static int ep__hex_value(uint8_t c) {
    int d = (int)c - '0';
    int l = (int)(c | 0x20) - 'a';
    /* (x >> 8) & 1 on a small int is 1 iff x < 0: a mask without comparisons */
    int is_d = ((d >> 8) ^ 1) & (((d - 10) >> 8) & 1); /* 0 <= d < 10 */
    int is_l = ((l >> 8) ^ 1) & (((l - 6) >> 8) & 1);  /* 0 <= l < 6 */
    return (is_d * d) + (is_l * (l + 10)) + ((is_d | is_l) - 1);
}

EP_API ep_result ep_key_parse(const uint8_t *content, size_t len, uint8_t out[EP_KEY_SIZE]) {
    size_t start = 0, end = len, i;
    int bad = 0;
    if (!out || (len && !content)) return EP_ERR_INVALID_ARG;
    if (len == EP_KEY_SIZE) { /* raw bytes, even if they look like text */
        memcpy(out, content, EP_KEY_SIZE);
        return EP_OK;
    }
    while (start < end && ep__is_key_space(content[start])) start++;
    while (end > start && ep__is_key_space(content[end - 1])) end--;
    if (end - start != 2 * EP_KEY_SIZE) return EP_ERR_KEY_FILE;
    for (i = 0; i < EP_KEY_SIZE; i++) {
        int hi = ep__hex_value(content[start + 2 * i]);
        int lo = ep__hex_value(content[start + 2 * i + 1]);
        bad |= (hi | lo) & 0x100; /* -1 has every bit set */
        out[i] = (uint8_t)(((unsigned)hi << 4) | ((unsigned)lo & 15u));
    }
    if (bad) {
        ep__wipe(out, EP_KEY_SIZE);
        return EP_ERR_KEY_FILE;
    }
    return EP_OK;
}

EP_API ep_result ep_key_seal_nonce(const ep_key *key, const uint8_t nonce[EP_NONCE_SIZE], const void *pt,
                                   size_t len, uint8_t *out_ct_and_tag) {
    if (!key || !nonce || !out_ct_and_tag) return EP_ERR_INVALID_ARG;
    return ep_gcm_seal(&key->gcm, nonce, EP_NONCE_SIZE, NULL, 0, (const uint8_t *)pt, len, out_ct_and_tag,
                       out_ct_and_tag + len);
}

EP_API ep_result ep_key_seal(const ep_key *key, const void *pt, size_t len, uint8_t *out) {
    ep_result r;
    if (!key || !out) return EP_ERR_INVALID_ARG;
    r = ep_random_bytes(out, EP_NONCE_SIZE);
    if (r != EP_OK) return r;
    return ep_key_seal_nonce(key, out, pt, len, out + EP_NONCE_SIZE);
}

EP_API ep_result ep_key_open(const ep_key *key, const uint8_t nonce[EP_NONCE_SIZE], const uint8_t *ct_and_tag,
                             size_t len, uint8_t *pt) {
    if (!key || !nonce || !ct_and_tag) return EP_ERR_INVALID_ARG;
    if (len < EP_TAG_SIZE) return EP_ERR_DECRYPT;
    return ep_gcm_open(&key->gcm, nonce, EP_NONCE_SIZE, NULL, 0, ct_and_tag, len - EP_TAG_SIZE,
                       ct_and_tag + len - EP_TAG_SIZE, pt);
}

#else /* EP_NO_ENCRYPTION: the calls exist so programs link, and say no. */

EP_API int ep_crypto_hw_available(void) { return 0; }
EP_API ep_result ep_gcm_init(ep_gcm *ctx, const uint8_t key[EP_KEY_SIZE], ep_crypto_impl impl) {
    (void)key;
    (void)impl;
    if (ctx) memset(ctx, 0, sizeof *ctx);
    return EP_ERR_UNSUPPORTED;
}
EP_API void ep_gcm_wipe(ep_gcm *ctx) {
    if (ctx) ep__wipe(ctx, sizeof *ctx);
}
EP_API ep_result ep_gcm_seal(const ep_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                             size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
                             uint8_t tag[EP_TAG_SIZE]) {
    (void)ctx; (void)iv; (void)iv_len; (void)aad; (void)aad_len; (void)pt; (void)len; (void)ct; (void)tag;
    return EP_ERR_UNSUPPORTED;
}
EP_API ep_result ep_gcm_open(const ep_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                             size_t aad_len, const uint8_t *ct, size_t len, const uint8_t tag[EP_TAG_SIZE],
                             uint8_t *pt) {
    (void)ctx; (void)iv; (void)iv_len; (void)aad; (void)aad_len; (void)ct; (void)len; (void)tag; (void)pt;
    return EP_ERR_UNSUPPORTED;
}
EP_API ep_result ep_key_create(const uint8_t bytes[EP_KEY_SIZE], const ep_allocator *alloc, ep_key **out) {
    (void)bytes; (void)alloc;
    if (out) *out = NULL;
    return EP_ERR_UNSUPPORTED;
}
EP_API ep_result ep_key_create_impl(const uint8_t bytes[EP_KEY_SIZE], ep_crypto_impl impl,
                                    const ep_allocator *alloc, ep_key **out) {
    (void)bytes; (void)impl; (void)alloc;
    if (out) *out = NULL;
    return EP_ERR_UNSUPPORTED;
}
EP_API void ep_key_free(ep_key *key) { (void)key; }
EP_API ep_result ep_key_parse(const uint8_t *content, size_t len, uint8_t out[EP_KEY_SIZE]) {
    (void)content; (void)len; (void)out;
    return EP_ERR_UNSUPPORTED;
}
EP_API ep_result ep_key_seal(const ep_key *key, const void *pt, size_t len, uint8_t *out) {
    (void)key; (void)pt; (void)len; (void)out;
    return EP_ERR_UNSUPPORTED;
}
EP_API ep_result ep_key_seal_nonce(const ep_key *key, const uint8_t nonce[EP_NONCE_SIZE], const void *pt,
                                   size_t len, uint8_t *out_ct_and_tag) {
    (void)key; (void)nonce; (void)pt; (void)len; (void)out_ct_and_tag;
    return EP_ERR_UNSUPPORTED;
}
EP_API ep_result ep_key_open(const ep_key *key, const uint8_t nonce[EP_NONCE_SIZE], const uint8_t *ct_and_tag,
                             size_t len, uint8_t *pt) {
    (void)key; (void)nonce; (void)ct_and_tag; (void)len; (void)pt;
    return EP_ERR_UNSUPPORTED;
}

#endif /* EP_NO_ENCRYPTION */
