#!/usr/bin/env python3
"""Tables and folding constants for src/check/crc.c (CRC-32/ISO-HDLC, zlib's crc32).

  tools/gen_crc_tables.py            print the slicing tables as C
  tools/gen_crc_tables.py --consts   print the carry-less folding constants
  tools/gen_crc_tables.py --verify   check tables and constants against zlib
  tools/gen_crc_tables.py --update   rewrite the generated block in src/check/crc.c

--verify runs a bit-exact model of the folding code in src/check/crc.c (same
registers, same carry-less products, same shifts and masks) over random
inputs and compares with zlib.crc32, so a wrong constant or a misplaced
shift shows up here before it shows up in C.
"""
import random
import sys
import zlib

POLY = 0x104C11DB7          # x^32 + x^26 + ... + 1, normal bit order
POLY_REFLECTED = 0xEDB88320
SLICES = 16


# ---- slicing tables ----------------------------------------------------

def slicing_tables(n=SLICES):
    t0 = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ (POLY_REFLECTED if c & 1 else 0)
        t0.append(c)
    tables = [t0]
    for _ in range(1, n):
        prev = tables[-1]
        tables.append([(v >> 8) ^ t0[v & 0xFF] for v in prev])
    return tables


def slicing_crc(data, crc=0):
    """Model of the table path: 16 bytes per step, then one step each of 8,
    4 and 0..3 bytes. A k-byte step looks up byte j of (register xor the k
    bytes) in table k-1-j and keeps the register bits no byte reached."""
    t = slicing_tables()
    crc ^= 0xFFFFFFFF
    i = 0

    def step(k):
        w = int.from_bytes(data[i:i + k], "little") ^ crc
        r = crc >> (8 * k) if k < 4 else 0
        for j in range(k):
            r ^= t[k - 1 - j][(w >> (8 * j)) & 0xFF]
        return r

    while len(data) - i >= 16:
        # Four words: the first carries the register, the others do not.
        words = [int.from_bytes(data[i + 4 * k:i + 4 * k + 4], "little") for k in range(4)]
        words[0] ^= crc
        crc = 0
        for k, w in enumerate(words):
            for j in range(4):
                crc ^= t[15 - 4 * k - j][(w >> (8 * j)) & 0xFF]
        i += 16
    rest = len(data) - i
    if rest & 8:
        # Two words: the register goes into the first, looked up in t[7..4].
        w = int.from_bytes(data[i:i + 4], "little") ^ crc
        v = int.from_bytes(data[i + 4:i + 8], "little")
        crc = 0
        for j in range(4):
            crc ^= t[7 - j][(w >> (8 * j)) & 0xFF] ^ t[3 - j][(v >> (8 * j)) & 0xFF]
        i += 8
    if rest & 4:
        crc = step(4)
        i += 4
    if rest & 3:
        crc = step(rest & 3)
    return crc ^ 0xFFFFFFFF


# ---- polynomial arithmetic over GF(2) ---------------------------------

def xpow_mod(n):
    """x^n mod P, as a normal-order integer of degree < 32."""
    r = 1
    for _ in range(n):
        r <<= 1
        if r >> 32:
            r ^= POLY
    return r


def mul_mod(a, b):
    """a * b mod P (normal order)."""
    r = 0
    for i in range(32):
        if (b >> i) & 1:
            r ^= a << i
    for i in range(63, 31, -1):
        if (r >> i) & 1:
            r ^= POLY << (i - 32)
    return r


def pow2_table():
    """x^(8 * 2^j) mod P for j = 0..63, by repeated squaring."""
    out = [xpow_mod(8)]
    while len(out) < 64:
        out.append(mul_mod(out[-1], out[-1]))
    return out


def poly_div(a, b):
    """Quotient of a / b (normal order)."""
    q = 0
    db = b.bit_length() - 1
    while a and a.bit_length() - 1 >= db:
        s = a.bit_length() - 1 - db
        q |= 1 << s
        a ^= b << s
    return q


def poly_mod(a, b=POLY):
    """Remainder of a / b (normal order)."""
    db = b.bit_length() - 1
    while a and a.bit_length() - 1 >= db:
        a ^= b << (a.bit_length() - 1 - db)
    return a


def reflect(v, width):
    return int(format(v, "0%db" % width)[::-1], 2)


def k33(v):
    """A polynomial of degree <= 32 as a 33-bit reflected value: bit i holds
    the coefficient of x^(32-i). Multiplying a w-bit reflected register by it
    gives a (w+32)-bit reflected product."""
    return reflect(v, 33)


def constants():
    # Fold distance D: a 64-bit half L at the high-degree end of a 128-bit
    # block stands for L * x^(D+64) once moved D bits on; the product with a
    # 33-bit constant lands x^32 higher, hence x^(D+32) and x^(D-32).
    return {
        "K512_LO": k33(xpow_mod(512 + 32)),  # fold by 4 blocks, low half
        "K512_HI": k33(xpow_mod(512 - 32)),  # fold by 4 blocks, high half
        "K128_LO": k33(xpow_mod(128 + 32)),  # fold by 1 block
        "K128_HI": k33(xpow_mod(128 - 32)),
        "K96": k33(xpow_mod(96)),            # 128 -> 96 bits (times x^32)
        # Barrett on 96 bits: floor(x^96 / P) has degree 64; reflected in 65
        # bits its x^64 term is bit 0, which the code adds as yh itself.
        "MU96": reflect(poly_div(1 << 96, POLY), 65) >> 1,
        "P": k33(POLY),
    }


# ---- model of the folding path -----------------------------------------

M64 = (1 << 64) - 1
M32 = 0xFFFFFFFF


def clmul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    return r


def fold(x, k_lo, k_hi, d):
    """_mm_clmulepi64_si128(x, k, 0x00) ^ (x, k, 0x11) ^ d."""
    return clmul(x & M64, k_lo) ^ clmul(x >> 64, k_hi) ^ d


def reduce128(x, c):
    """Model of ep__crc_reduce: x * x^32 mod P, three multiplies."""
    y = clmul(x & M64, c["K96"]) ^ (x >> 64)          # 96 bits
    q = ((clmul(y & M64, c["MU96"]) << 1) ^ y) & M64  # Barrett quotient
    return ((y >> 64) ^ (clmul(q >> 32, c["P"]) >> 32)) & M32


# ep__crc_shuf in src/check/crc.c: pshufb / tbl indices for the last partial block.
SHUF = [0x80 | j for j in range(16)] + list(range(16))


def pshufb(x, idx):
    """Byte j of the result is byte idx[j] & 15 of x, or 0 if idx[j] & 0x80."""
    out = 0
    for j, v in enumerate(idx):
        if not v & 0x80:
            out |= ((x >> (8 * (v & 15))) & 0xFF) << (8 * j)
    return out


def fold_tail(x, last16, t, c):
    """Model of ep__crc_tail: the last t = 1..15 bytes; last16 is the
    buffer's final 16 bytes. x's first t bytes are folded by 128 bits onto
    x's other bytes moved down t places with the t new bytes after them."""
    up = SHUF[t:t + 16]
    down = [v ^ 0x80 for v in up]
    from_x = sum(0xFF << (8 * j) for j in range(16) if up[j] & 0x80)
    rest = pshufb(x, down) | (last16 & ~from_x)
    return fold(pshufb(x, up), c["K128_LO"], c["K128_HI"], rest)


def fold_crc(data, crc=0):
    """Model of the hardware path (ep__crc32_clmul) for len(data) >= 16."""
    c = constants()
    n = len(data)
    blk = lambda i: int.from_bytes(data[i:i + 16], "little")
    acc = blk(0) ^ (crc ^ M32)
    i = 16
    if n >= 64:
        x = [acc, blk(16), blk(32), blk(48)]
        i = 64
        while n - i >= 64:
            x = [fold(x[k], c["K512_LO"], c["K512_HI"], blk(i + 16 * k)) for k in range(4)]
            i += 64
        acc = x[0]
        for k in range(1, 4):
            acc = fold(acc, c["K128_LO"], c["K128_HI"], x[k])
    while n - i >= 16:
        acc = fold(acc, c["K128_LO"], c["K128_HI"], blk(i))
        i += 16
    if n > i:
        acc = fold_tail(acc, blk(n - 16), n - i, c)
    return reduce128(acc, c) ^ M32


def shuf_in_source(path="src/check/crc.c"):
    """The 32 indices of ep__crc_shuf as written in src/check/crc.c."""
    import os
    import re
    full = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), path)
    text = open(full, encoding="utf-8").read()
    body = text[text.index("ep__crc_shuf[32] = {"):]
    body = body[:body.index("};")]
    return [int(v, 16) for v in re.findall(r"0x[0-9a-fA-F]{2}\b", body)]


def mul_reflected(a, b):
    """Model of ep__crc32_mulmod: a * b mod P on reflected registers."""
    prod = 0
    for i in range(31, -1, -1):
        if (a >> i) & 1:
            prod ^= b
        b = (b >> 1) ^ (POLY_REFLECTED if b & 1 else 0)
    return prod


# ---- output --------------------------------------------------------------

BEGIN = "/* BEGIN tables generated by tools/gen_crc_tables.py; do not edit */"
END = "/* END generated tables */"


def tables_c():
    t = slicing_tables()
    out = ["/* ep__crc32_table[k][b]: CRC register of byte b followed by k zero bytes.",
           " * EP_SMALL_CRC keeps only table 0 (1 KiB) and the byte-at-a-time path. */",
           "#if defined(EP_SMALL_CRC)",
           "#  define EP__CRC_TABLES 1",
           "#else",
           "#  define EP__CRC_TABLES %d" % SLICES,
           "#endif",
           "static const uint32_t ep__crc32_table[EP__CRC_TABLES][256] = {"]
    for k, row in enumerate(t):
        if k == 1:
            out.append("#if EP__CRC_TABLES > 1")
        out.append("    {")
        for i in range(0, 256, 8):
            out.append("        " + ", ".join("0x%08x" % v for v in row[i:i + 8]) + ",")
        out.append("    }%s" % ("," if k + 1 < len(t) else ""))
    out.append("#endif")
    out.append("};")
    out.append("#if !defined(EP_SMALL_CRC)")
    pw = [reflect(v, 32) for v in pow2_table()]
    out.append("/* ep__crc32_pow2[j] = x^(8 * 2^j) mod P, reflected: multiplying a register")
    out.append(" * by it moves the register past 2^j zero bytes. */")
    out.append("static const uint32_t ep__crc32_pow2[64] = {")
    for i in range(0, 64, 8):
        out.append("    " + ", ".join("0x%08x" % v for v in pw[i:i + 8]) + ",")
    out.append("};")
    out.append("#endif")
    return "\n".join(out)


def print_tables():
    print(tables_c())


def update(path="src/check/crc.c"):
    import os
    full = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), path)
    text = open(full, encoding="utf-8").read()
    a = text.index(BEGIN) + len(BEGIN)
    b = text.index(END)
    text = text[:a] + "\n" + tables_c() + "\n" + text[b:]
    open(full, "w", encoding="utf-8").write(text)


def print_consts():
    for name, v in constants().items():
        print("#define EP__CRC_%-8s 0x%09x /* %s */" % (name, v, name))


def verify():
    t = slicing_tables()
    assert t[0][1] == 0x77073096 and t[0][255] == 0x2D02EF8D
    assert slicing_crc(b"123456789") == 0xCBF43926
    c = constants()
    # Known reference points of this polynomial (reflected P and mu).
    assert c["P"] == 0x1DB710641 and k33(poly_div(1 << 64, POLY)) == 0x1F7011641
    rnd = random.Random(1)
    assert shuf_in_source() == SHUF, "ep__crc_shuf in src/check/crc.c differs from the model"
    # The reduction (one-step Barrett on 96 bits) against plain remainders:
    # reflected, x * x^32 mod P.
    for _ in range(2000):
        x = rnd.getrandbits(128)
        assert reflect(reduce128(x, c), 32) == poly_mod(reflect(x, 128) << 32), "reduce"
    # Every tail length on both paths, each short length, then random sizes.
    for n in list(range(0, 160)) + [rnd.randrange(64, 2000) for _ in range(200)]:
        data = bytes(rnd.randrange(256) for _ in range(n))
        seed = rnd.randrange(1 << 32)
        want = zlib.crc32(data, seed)
        assert slicing_crc(data, seed) == want, ("slicing", n)
        if n >= 16:
            assert fold_crc(data, seed) == want, ("fold", n)
    pw = pow2_table()
    for j in range(12):
        assert pw[j] == xpow_mod(8 << j)
    # Moving a register past 2^j zero bytes by multiplication equals running
    # the CRC over those zero bytes.
    for j in (0, 3, 10):
        reg = rnd.randrange(1 << 32)
        want = zlib.crc32(b"\0" * (1 << j), reg ^ M32) ^ M32
        assert mul_reflected(reg, reflect(pw[j], 32)) == want, ("pow2", j)
    print("ok: tables and folding constants agree with zlib")


if __name__ == "__main__":
    if "--verify" in sys.argv:
        verify()
    elif "--update" in sys.argv:
        update()
    elif "--consts" in sys.argv:
        print_consts()
    else:
        print_tables()
