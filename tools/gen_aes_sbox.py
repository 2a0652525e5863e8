#!/usr/bin/env python3
"""Derives the bitsliced AES S-box circuit used by src/crypto.c.

The S-box is inv(x) in GF(2^8) followed by the affine map. Inversion is done
in a tower field GF(((2^2)^2)^2), where it costs a few small multiplications:

  GF(4)   = GF(2)[w] / (w^2 + w + 1)
  GF(16)  = GF(4)[z] / (z^2 + z + mu)      mu in GF(4)
  GF(256) = GF(16)[y] / (y^2 + y + lam)    lam in GF(16)

and (a1 y + a0)^-1 = a1 d^-1 y + (a1 + a0) d^-1 with d = lam a1^2 + a1 a0 + a0^2
(the same formula one level down, where GF(4) inversion is squaring).

What is left are three GF(2)-linear maps, chosen here (over mu, lam and the
root beta that fixes the isomorphism) for the fewest XORs, and printed as
straight-line C for crypto.c:
  IN   AES polynomial basis -> tower basis
  SQL  tower (a1, a0) -> lam a1^2 + a0^2 (the linear part of d)
  OUT  tower basis -> AES basis, times the affine matrix (0x63 is added in C)
The whole circuit is then simulated on all 256 inputs against the S-box
computed from its definition.

Usage: tools/gen_aes_sbox.py   (prints the C fragment and the gate counts)
"""
import itertools


# ---- reference AES S-box from its definition ------------------------------
def aes_mul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return r


def aes_inv(a):
    return 0 if a == 0 else next(b for b in range(1, 256) if aes_mul(a, b) == 1)


def affine(x):
    r = 0
    for i in range(8):
        bit = (x >> i) ^ (x >> ((i + 4) % 8)) ^ (x >> ((i + 5) % 8)) ^ (x >> ((i + 6) % 8)) ^ (x >> ((i + 7) % 8))
        r |= (bit & 1) << i
    return r ^ 0x63


SBOX = [affine(aes_inv(x)) for x in range(256)]


# ---- tower field -----------------------------------------------------------
def gf4_mul(a, b):
    a1, a0, b1, b0 = a >> 1, a & 1, b >> 1, b & 1
    p = a0 & b0
    return ((((a1 ^ a0) & (b1 ^ b0)) ^ p) << 1) | ((a1 & b1) ^ p)


def make_field(mu):
    def gf16_mul(a, b):
        a1, a0, b1, b0 = a >> 2, a & 3, b >> 2, b & 3
        hh, ll, mm = gf4_mul(a1, b1), gf4_mul(a0, b0), gf4_mul(a1 ^ a0, b1 ^ b0)
        return ((mm ^ ll) << 2) | (gf4_mul(mu, hh) ^ ll)

    def make256(lam):
        def gf256_mul(a, b):
            a1, a0, b1, b0 = a >> 4, a & 15, b >> 4, b & 15
            hh, ll, mm = gf16_mul(a1, b1), gf16_mul(a0, b0), gf16_mul(a1 ^ a0, b1 ^ b0)
            return ((mm ^ ll) << 4) | (gf16_mul(lam, hh) ^ ll)
        return gf256_mul
    return gf16_mul, make256


def irreducible(mul, size, c):
    return all(mul(y, y) ^ y != c for y in range(size))


def aes_poly_at(mul, b):
    """x^8 + x^4 + x^3 + x + 1 evaluated at b in the tower field."""
    p = [1]
    for _ in range(8):
        p.append(mul(p[-1], b))
    return p[8] ^ p[4] ^ p[3] ^ p[1] ^ 1


def matvec_rows(rows, x):
    return sum(((bin(r & x).count("1") & 1) << i) for i, r in enumerate(rows))


def rows_from_columns(cols, n_out):
    return [sum(((cols[j] >> i) & 1) << j for j in range(len(cols))) for i in range(n_out)]


def invert_rows(rows):
    n = len(rows)
    aug = [rows[i] | (1 << (n + i)) for i in range(n)]
    for c in range(n):
        p = next(i for i in range(c, n) if (aug[i] >> c) & 1)
        aug[c], aug[p] = aug[p], aug[c]
        for i in range(n):
            if i != c and (aug[i] >> c) & 1:
                aug[i] ^= aug[c]
    return [a >> n for a in aug]


# ---- linear maps as XOR programs (Paar's greedy common-pair elimination) ---
def xor_program(rows, n_in):
    sigs = [frozenset([i]) for i in range(n_in)]
    targets = [set(j for j in range(n_in) if (r >> j) & 1) for r in rows]
    prog = []
    while True:
        best, count = None, 1
        for a, b in itertools.combinations(range(len(sigs)), 2):
            c = sum(1 for t in targets if a in t and b in t)
            if c > count:
                best, count = (a, b), c
        if not best:
            break
        a, b = best
        sigs.append(None)
        k = len(sigs) - 1
        prog.append((k, a, b))
        for t in targets:
            if a in t and b in t:
                t -= {a, b}
                t.add(k)
    cost = len(prog) + sum(max(len(t) - 1, 0) for t in targets)
    return prog, targets, cost


def emit(name, prog, targets, n_in, in_fmt, out_fmt, tmp):
    lines = []
    label = {i: in_fmt % i for i in range(n_in)}
    for k, a, b in prog:
        label[k] = "%s%d" % (tmp, k - n_in)
        lines.append("    const uint64_t %s = %s ^ %s;" % (label[k], label[a], label[b]))
    for i, t in enumerate(targets):
        expr = " ^ ".join(label[j] for j in sorted(t)) if t else "0"
        lines.append("    %s = %s;" % (out_fmt % i, expr))
    return "/* %s */\n" % name + "\n".join(lines)


def main():
    A_rows = [sum(1 << ((i + k) % 8) for k in (0, 4, 5, 6, 7)) for i in range(8)]
    best = None
    for mu in (2, 3):
        gf16_mul, make256 = make_field(mu)
        if not irreducible(lambda a, b: gf4_mul(a, b), 4, mu):
            continue
        for lam in range(1, 16):
            if not irreducible(gf16_mul, 16, lam):
                continue
            mul = make256(lam)
            sq = lambda a: mul(a, a)
            roots = [b for b in range(256) if aes_poly_at(mul, b) == 0]
            # SQL: (a1, a0) -> lam a1^2 + a0^2, as 4 rows over the 8 tower bits
            sql_cols = []
            for j in range(8):
                v = 1 << j
                a1, a0 = v >> 4, v & 15
                sql_cols.append(gf16_mul(lam, gf16_mul(a1, a1)) ^ gf16_mul(a0, a0))
            sql_rows = rows_from_columns(sql_cols, 4)
            for beta in roots:
                pw = [1]
                for _ in range(7):
                    pw.append(mul(pw[-1], beta))
                in_rows = rows_from_columns(pw, 8)
                inv_rows = invert_rows(in_rows)
                # OUT = A * M^-1 (row i of a product: xor of rows of M^-1 picked by A's row i)
                out_rows = []
                for r in A_rows:
                    acc = 0
                    for j in range(8):
                        if (r >> j) & 1:
                            acc ^= inv_rows[j]
                    out_rows.append(acc)
                pi, ti, ci = xor_program(in_rows, 8)
                ps, ts, cs = xor_program(sql_rows, 8)
                po, to, co = xor_program(out_rows, 8)
                cost = ci + cs + co
                if best is None or cost < best[0]:
                    best = (cost, mu, lam, beta, in_rows, sql_rows, out_rows, (pi, ti), (ps, ts), (po, to))
    cost, mu, lam, beta, in_rows, sql_rows, out_rows, pin, psq, pout = best
    gf16_mul, make256 = make_field(mu)
    mul = make256(lam)

    # Simulate the circuit exactly as crypto.c computes it, all 256 inputs at once.
    def inv_tower(t):
        a1, a0 = t >> 4, t & 15
        d = matvec_rows(sql_rows, t) ^ gf16_mul(a1, a0)
        d1, d0 = d >> 2, d & 3
        e = gf4_mul(mu, gf4_mul(d1, d1)) ^ gf4_mul(d1, d0) ^ gf4_mul(d0, d0)
        einv = gf4_mul(e, e)
        dinv = (gf4_mul(d1, einv) << 2) | gf4_mul(d1 ^ d0, einv)
        return (gf16_mul(a1, dinv) << 4) | gf16_mul(a1 ^ a0, dinv)
    for x in range(256):
        t = matvec_rows(in_rows, x)
        assert mul(inv_tower(t), t) == (1 if x else 0)
        assert matvec_rows(out_rows, inv_tower(t)) ^ 0x63 == SBOX[x], x
    print("/* generated by tools/gen_aes_sbox.py: mu=%d lam=%d beta=0x%02x, %d XORs in the linear maps */"
          % (mu, lam, beta, cost))
    print(emit("IN", pin[0], pin[1], 8, "x%d", "t[%d]", "u"))
    print(emit("SQL", psq[0], psq[1], 8, "t[%d]", "s[%d]", "v"))
    print(emit("OUT", pout[0], pout[1], 8, "r[%d]", "q[%d]", "w"))


if __name__ == "__main__":
    main()
