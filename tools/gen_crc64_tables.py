#!/usr/bin/env python3
"""Tables and folding constants for src/check/crc64.c (CRC-64/Jones as Redis
uses it: polynomial 0xad93d23594c935a9, reflected, init 0, no final xor;
check value crc64("123456789") = 0xe9c6d914c4b8d9ca).

  tools/gen_crc64_tables.py            print the slicing-by-8 tables as C
  tools/gen_crc64_tables.py --consts   print the folding constants
  tools/gen_crc64_tables.py --verify   bit-exact model of the folding path
                                       against a bitwise CRC on random inputs

Folding (reflected domain): a 128-bit register X = H*x^64 + L (H = the low
qword, the earlier bytes) followed by 128 more bits D becomes
X*x^128 + D = H*x^192 + L*x^128 + D (mod P). A carry-less product of two
reflected 64-bit values, read as a reflected 128-bit value, is x*A*B, so the
constants are x^191 and x^127 mod P (x^575 and x^511 to fold across four
lanes, 512 bits). The last register is the CRC of its own 16 bytes with init
0, which the table path computes; the tail bytes follow on the table path.
"""
import random
import sys

POLY = (1 << 64) | 0xAD93D23594C935A9
POLY_REFLECTED = 0x95AC9329AC4BC9B5
MASK = (1 << 64) - 1


def reflect(v, bits):
    r = 0
    for i in range(bits):
        if v >> i & 1:
            r |= 1 << (bits - 1 - i)
    return r


def xpow_mod(n):
    """x^n mod P, normal bit order."""
    r = 1
    for _ in range(n):
        r <<= 1
        if r >> 64 & 1:
            r ^= POLY
    return r


def const(n):
    return reflect(xpow_mod(n), 64)


def tables(n=8):
    t0 = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ (POLY_REFLECTED if c & 1 else 0)
        t0.append(c)
    ts = [t0]
    for _ in range(1, n):
        ts.append([(v >> 8) ^ t0[v & 0xFF] for v in ts[-1]])
    return ts


def crc_bitwise(data, crc=0):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (POLY_REFLECTED if crc & 1 else 0)
    return crc


def clmul(a, b):
    r = 0
    for i in range(64):
        if b >> i & 1:
            r ^= a << i
    return r


def fold(x, klo, khi, d):
    lo, hi = x & MASK, x >> 64
    return clmul(lo, klo) ^ clmul(hi, khi) ^ d


def model(data, crc=0):
    """Same steps as ep__crc64_clmul (one lane and four lanes)."""
    n = len(data)
    if n < 16:
        return crc_bitwise(data, crc)
    ld = lambda i: int.from_bytes(data[i:i + 16], "little")
    k128 = (const(191), const(127))
    k512 = (const(575), const(511))
    p = 0
    if n >= 64:
        x = [ld(0) ^ crc, ld(16), ld(32), ld(48)]
        p = 64
        while n - p >= 64:
            x = [fold(x[i], k512[0], k512[1], ld(p + 16 * i)) for i in range(4)]
            p += 64
        r = x[0]
        for i in range(1, 4):
            r = fold(r, k128[0], k128[1], x[i])
    else:
        r = ld(0) ^ crc
        p = 16
    while n - p >= 16:
        r = fold(r, k128[0], k128[1], ld(p))
        p += 16
    c = crc_bitwise(r.to_bytes(16, "little"), 0)
    return crc_bitwise(data[p:], c)


def main():
    arg = sys.argv[1] if len(sys.argv) > 1 else ""
    if arg == "--consts":
        for n in (191, 127, 575, 511):
            print("x^%d mod P (reflected): 0x%016xull" % (n, const(n)))
    elif arg == "--verify":
        assert crc_bitwise(b"123456789") == 0xE9C6D914C4B8D9CA
        rnd = random.Random(1)
        for n in list(range(0, 300)) + [1000, 4096, 4097]:
            d = bytes(rnd.randrange(256) for _ in range(n))
            c = rnd.randrange(1 << 64)
            assert model(d, c) == crc_bitwise(d, c), n
        print("ok: check value, folding model = bitwise CRC on 303 lengths")
    else:
        ts = tables()
        print("static const uint64_t ep__crc64_table[8][256] = {")
        for t in ts:
            print("    {")
            for i in range(0, 256, 4):
                print("        " + ", ".join("0x%016xull" % v for v in t[i:i + 4]) + ",")
            print("    },")
        print("};")


if __name__ == "__main__":
    main()
