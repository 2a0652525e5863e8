#!/usr/bin/env python3
"""Derives the bitsliced AES S-box circuit used by src/crypto.c.

The S-box is inv(x) in GF(2^8) followed by the affine map. Inversion is done
in a tower field GF(((2^2)^2)^2):

  GF(4)   = GF(2)[w] / (w^2 + w + 1)
  GF(16)  = GF(4)[z] / (z^2 + z + mu)      mu in GF(4)
  GF(256) = GF(16)[y] / (y^2 + y + lam)    lam in GF(16)

With x = hi y + lo:  d = lam hi^2 + hi lo + lo^2  and
x^-1 = hi d^-1 y + (hi + lo) d^-1. A Karatsuba GF(16) product is nine ANDs of
linear forms of the operands (per GF(4) part u: u1, u0, u1 + u0), so the
circuit is

  top     linear: x bits -> the nine forms of hi, lo, hi + lo, and lam hi^2 + lo^2
  d       nine ANDs, then linear
  d^-1    through GF(4): three ANDs, linear, six ANDs, linear -> nine forms of d^-1
  bottom  eighteen ANDs (forms of hi and of hi + lo times forms of d^-1), then
          linear to the S-box output bits (without the constant 0x63)

Every signal is kept as its truth table over all 256 inputs (a 256-bit
integer), so each linear layer's coefficients are found by Gaussian
elimination and the finished circuit is checked on every input. The linear
layers are turned into XOR programs by Paar's common-pair elimination (with
random tie-breaking, best of N tries), and mu, lam and the root beta that
fixes the isomorphism are chosen for the fewest gates.

Usage: tools/gen_aes_sbox.py [tries]   (prints the C body; gate counts on stderr)
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


# ---- the circuit, simulated on all 256 inputs at once ------------------------
# A signal is its truth table: a 256-bit integer whose bit x is the signal's
# value when the S-box input is x. XOR and AND of signals are then integer
# operations, and checking the whole circuit is one comparison per output bit.
ALL = (1 << 256) - 1


def input_bit(j):
    return sum(1 << x for x in range(256) if (x >> j) & 1)


X = [input_bit(j) for j in range(8)]


def form(mask, sigs):
    """XOR of the signals picked by mask."""
    v = 0
    for j, s in enumerate(sigs):
        if (mask >> j) & 1:
            v ^= s
    return v


def solve(target, basis):
    """A set of basis indices whose XOR is target (Gaussian elimination)."""
    rows = []  # (pivot value, mask of basis indices)
    for i, b in enumerate(basis):
        v, m = b, 1 << i
        for pv, pm in rows:
            if v ^ pv < v:
                v, m = v ^ pv, m ^ pm
        if v:
            rows.append((v, m))
            rows.sort(reverse=True)
    v, m = target, 0
    for pv, pm in rows:
        if v ^ pv < v:
            v, m = v ^ pv, m ^ pm
    assert v == 0, "not in the span"
    return [i for i in range(len(basis)) if (m >> i) & 1]


# Nine linear forms of a GF(16) element (b3 b2 | b1 b0) over which a Karatsuba
# GF(16) product is nine ANDs: per GF(4) part u (high, low, high+low) the
# forms u1, u0, u1+u0.
NINE = [0b1000, 0b0100, 0b1100, 0b0010, 0b0001, 0b0011, 0b1010, 0b0101, 0b1111]


# ---- linear layers as XOR programs: Paar's common-pair elimination ----------
def xor_program(targets, n_in, rng=None):
    """targets: sets of input indices. Returns (prog, final sets, XOR count).
    With rng, ties between equally common pairs are broken at random."""
    targets = [set(t) for t in targets]
    n = n_in
    prog = []
    while True:
        counts = {}
        for t in targets:
            ts = sorted(t)
            for ai in range(len(ts)):
                for bi in range(ai + 1, len(ts)):
                    k = (ts[ai], ts[bi])
                    counts[k] = counts.get(k, 0) + 1
        if not counts:
            break
        top = max(counts.values())
        if top < 2:
            break
        cands = sorted(k for k, c in counts.items() if c == top)
        a, b = rng.choice(cands) if rng else cands[0]
        prog.append((n, a, b))
        for t in targets:
            if a in t and b in t:
                t -= {a, b}
                t.add(n)
        n += 1
    cost = len(prog) + sum(max(len(t) - 1, 0) for t in targets)
    return prog, targets, cost


def best_program(targets, n_in, tries):
    import random
    best = xor_program(targets, n_in)
    rng = random.Random(1)
    for _ in range(tries):
        r = xor_program(targets, n_in, rng)
        if r[2] < best[2]:
            best = r
    return best


class Circuit:
    """Straight-line program: names, truth tables, C lines, gate counts."""

    def __init__(self):
        self.val, self.lines, self.gates = {}, [], {"xor": 0, "and": 0, "not": 0}

    def add(self, name, v, expr, kind, n=1):
        self.val[name] = v
        self.lines.append("    const ep__bsw %s = %s;" % (name, expr))
        self.gates[kind] += n

    def linear(self, label, tmp, in_names, targets, out_names, tries):
        """out_names[i] = XOR of in_names picked by targets[i], sharing XORs."""
        prog, final, cost = best_program(targets, len(in_names), tries)
        names = list(in_names)
        self.lines.append("    /* %s: %d XOR */" % (label, cost))
        for k, a, b in prog:
            nm = "%s%d" % (tmp, k - len(in_names))
            self.add(nm, self.val[names[a]] ^ self.val[names[b]], "%s ^ %s" % (names[a], names[b]), "xor")
            names.append(nm)
        for t, out in zip(final, out_names):
            terms = sorted(t)
            v = 0
            for j in terms:
                v ^= self.val[names[j]]
            if out in self.val:  # an input that is its own target
                continue
            self.add(out, v, " ^ ".join(names[j] for j in terms), "xor", len(terms) - 1)
        return cost


def build(mu, lam, beta, tries):
    gf16_mul, make256 = make_field(mu)
    mul = make256(lam)
    pw = [1]
    for _ in range(7):
        pw.append(mul(pw[-1], beta))
    in_rows = rows_from_columns(pw, 8)  # AES bits -> tower bits
    inv_rows = invert_rows(in_rows)
    A_rows = [sum(1 << ((i + k) % 8) for k in (0, 4, 5, 6, 7)) for i in range(8)]
    out_rows = []  # tower bits -> affine(AES bits), without the constant
    for r in A_rows:
        acc = 0
        for j in range(8):
            if (r >> j) & 1:
                acc ^= inv_rows[j]
        out_rows.append(acc)
    # tower bit j of the input as a mask over x bits
    tmask = in_rows
    hi = [tmask[4 + j] for j in range(4)]
    lo = [tmask[j] for j in range(4)]
    sm = [hi[j] ^ lo[j] for j in range(4)]

    def forms(el):  # nine masks over x of a GF(16) element given by 4 masks over x
        return [form(f, el) for f in NINE]

    # lam a1^2 + a0^2, linear in the tower bits
    sql = []
    for i in range(4):
        m = 0
        for j in range(8):
            a1, a0 = (1 << j) >> 4, (1 << j) & 15
            if ((gf16_mul(lam, gf16_mul(a1, a1)) ^ gf16_mul(a0, a0)) >> i) & 1:
                m ^= tmask[j]
        sql.append(m)
    top = []
    for m in forms(hi) + forms(lo) + forms(sm) + sql:
        if m not in top:
            top.append(m)
    c = Circuit()
    xn = ["x%d" % j for j in range(8)]
    for j in range(8):
        c.val[xn[j]] = X[j]
    tnames = {}
    for m in top:
        if bin(m).count("1") == 1:
            tnames[m] = xn[m.bit_length() - 1]
    need = [m for m in top if m not in tnames]
    for i, m in enumerate(need):
        tnames[m] = "l%d" % i
    c.linear("Top", "u", xn, [set(j for j in range(8) if (m >> j) & 1) for m in need],
             [tnames[m] for m in need], tries)

    def and_(name, a, b):
        c.add(name, c.val[a] & c.val[b], "%s & %s" % (a, b), "and")

    # d = lam hi^2 + hi lo + lo^2: nine ANDs, then a linear layer
    fh, fl, fs = forms(hi), forms(lo), forms(sm)
    for i in range(9):
        and_("p%d" % i, tnames[fh[i]], tnames[fl[i]])
    tow = [form(tmask[j], X) for j in range(8)]  # tower bits as truth tables

    def tower_val(x):
        return matvec_rows(in_rows, x)
    dtab = [0] * 4
    for x in range(256):
        t = tower_val(x)
        a1, a0 = t >> 4, t & 15
        d = gf16_mul(lam, gf16_mul(a1, a1)) ^ gf16_mul(a1, a0) ^ gf16_mul(a0, a0)
        for i in range(4):
            if (d >> i) & 1:
                dtab[i] |= 1 << x
    basis = ["p%d" % i for i in range(9)] + [tnames[m] for m in sql]
    c.linear("Dsum", "v", basis, [set(solve(dtab[i], [c.val[b] for b in basis])) for i in range(4)],
             ["d%d" % i for i in range(4)], tries)
    # d^-1 in GF(16) through GF(4): e = mu d1^2 + d1 d0 + d0^2, e^-1 = e^2,
    # d^-1 = (d1 e^-1, (d1 + d0) e^-1)
    dn = ["d%d" % i for i in range(4)]
    # d1 * d0 in GF(4): three ANDs
    c.add("f0", c.val["d3"] ^ c.val["d2"], "d3 ^ d2", "xor")
    c.add("f1", c.val["d1"] ^ c.val["d0"], "d1 ^ d0", "xor")
    and_("g0", "d3", "d1")
    and_("g1", "d2", "d0")
    and_("g2", "f0", "f1")
    # e (2 bits) = linear in g and d; einv = e^2; solve e^-1's bits and forms
    etab, dinvtab = [0, 0], [0] * 4
    for x in range(256):
        t = tower_val(x)
        a1, a0 = t >> 4, t & 15
        d = gf16_mul(lam, gf16_mul(a1, a1)) ^ gf16_mul(a1, a0) ^ gf16_mul(a0, a0)
        d1, d0 = d >> 2, d & 3
        e = gf4_mul(mu, gf4_mul(d1, d1)) ^ gf4_mul(d1, d0) ^ gf4_mul(d0, d0)
        ei = gf4_mul(e, e)
        di = (gf4_mul(d1, ei) << 2) | gf4_mul(d1 ^ d0, ei)
        for i in range(2):
            if (ei >> i) & 1:
                etab[i] |= 1 << x
        for i in range(4):
            if (di >> i) & 1:
                dinvtab[i] |= 1 << x
    basis = ["g0", "g1", "g2"] + dn + ["f0", "f1"]
    # e^-1 forms: bit1, bit0, bit1^bit0
    eforms = [etab[1], etab[0], etab[1] ^ etab[0]]
    c.linear("Einv", "w", basis, [set(solve(v, [c.val[b] for b in basis])) for v in eforms], ["e1", "e0", "e2"], tries)
    # d1 e^-1 and (d1 + d0) e^-1: six ANDs on forms of d1 = (d3, d2), d1 + d0 = (d3^d1, d2^d0)
    c.add("f2", c.val["d3"] ^ c.val["d1"], "d3 ^ d1", "xor")
    c.add("f3", c.val["d2"] ^ c.val["d0"], "d2 ^ d0", "xor")
    c.add("f4", c.val["f2"] ^ c.val["f3"], "f2 ^ f3", "xor")
    pairs = [("d3", "e1"), ("d2", "e0"), ("f0", "e2"), ("f2", "e1"), ("f3", "e0"), ("f4", "e2")]
    for i, (a, b) in enumerate(pairs):
        and_("h%d" % i, a, b)
    basis = ["h%d" % i for i in range(6)]
    dinv = [0] * 4
    # forms of d^-1 = its nine forms
    dforms = [form(f, dinvtab) for f in NINE]
    nn = ["n%d" % i for i in range(9)]
    c.linear("Ninv", "z", basis, [set(solve(v, [c.val[b] for b in basis])) for v in dforms], nn, tries)
    # the two final products: hi d^-1 and (hi + lo) d^-1, eighteen ANDs
    for i in range(9):
        and_("k%d" % i, tnames[fh[i]], nn[i])
        and_("k%d" % (9 + i), tnames[fs[i]], nn[i])
    basis = ["k%d" % i for i in range(18)]
    # output bit i of affine(inv(x)) without 0x63
    otab = [0] * 8
    for x in range(256):
        v = SBOX[x] ^ 0x63
        for i in range(8):
            if (v >> i) & 1:
                otab[i] |= 1 << x
    c.linear("Bottom", "y", basis, [set(solve(v, [c.val[b] for b in basis])) for v in otab],
             ["o%d" % i for i in range(8)], tries)
    for i in range(8):
        assert c.val["o%d" % i] == otab[i]
    return c


def main():
    import sys
    tries = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    best = None
    for mu in (2, 3):
        gf16_mul, make256 = make_field(mu)
        if not irreducible(lambda a, b: gf4_mul(a, b), 4, mu):
            continue
        for lam in range(1, 16):
            if not irreducible(gf16_mul, 16, lam):
                continue
            mul = make256(lam)
            for beta in [b for b in range(256) if aes_poly_at(mul, b) == 0]:
                c = build(mu, lam, beta, tries)
                n = sum(c.gates.values())
                if best is None or n < best[0]:
                    best = (n, mu, lam, beta, c)
                    print("mu=%d lam=%d beta=0x%02x: %s = %d" % (mu, lam, beta, c.gates, n), file=sys.stderr)
    n, mu, lam, beta, c = best
    print("/* generated by tools/gen_aes_sbox.py: mu=%d lam=%d beta=0x%02x, %d XOR + %d AND = %d gates;"
          % (mu, lam, beta, c.gates["xor"], c.gates["and"], n))
    print(" * checked on all 256 inputs; the constant 0x63 is folded into the round keys. */")
    print("\n".join(c.lines))


if __name__ == "__main__":
    main()
