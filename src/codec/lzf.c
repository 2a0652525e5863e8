/* lzf: greedy compressor over a hash of 3-byte prefixes, and a bounded
 * decompressor. */
#include "base/internal.h"
#include "codec/lzf.h"

#ifndef EP_NO_REDIS

#define EP__LZF_MAX_LIT 32u            /* literals per control byte */
#define EP__LZF_MAX_OFF 8192u          /* 13 bits + 1 */
#define EP__LZF_MAX_REF (7u + 255u + 2u) /* longest back-reference */

static uint32_t ep__lzf_hash(const uint8_t *p) {
    uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
    return (v * 2654435761u) >> (32 - 14);
}

/* Appends the literals in[s..e) in runs of at most 32; 0 if out is full. */
static int ep__lzf_literals(const uint8_t *in, size_t s, size_t e, uint8_t *out, size_t cap, size_t *op) {
    while (s < e) {
        size_t k = e - s > EP__LZF_MAX_LIT ? EP__LZF_MAX_LIT : e - s;
        if (cap - *op < k + 1) return 0;
        out[(*op)++] = (uint8_t)(k - 1);
        memcpy(out + *op, in + s, k);
        *op += k;
        s += k;
    }
    return 1;
}

EP_API size_t ep_lzf_compress(const uint8_t *in, size_t n, uint8_t *out, size_t cap, uint32_t *work) {
    size_t ip = 0, lit = 0, op = 0;
    if (n == 0 || !work) return 0;
    /* Entries hold a position + 1 (0 = empty). One left by an earlier
     * input is harmless: a reference is taken only if it lies before ip,
     * within reach, and its bytes really match. */
    while (n >= 3 && ip < n - 2) {
        uint32_t h = ep__lzf_hash(in + ip);
        size_t ref = work[h];
        work[h] = (uint32_t)(ip + 1);
        if (ref && ref - 1 < ip && ip - (ref - 1) <= EP__LZF_MAX_OFF && memcmp(in + ref - 1, in + ip, 3) == 0) {
            size_t r = ref - 1, len = 3, max = n - ip, off, l;
            if (max > EP__LZF_MAX_REF) max = EP__LZF_MAX_REF;
            while (len < max && in[r + len] == in[ip + len]) len++;
            if (!ep__lzf_literals(in, lit, ip, out, cap, &op)) return 0;
            off = ip - r - 1;
            l = len - 2;
            if (l < 7) {
                if (cap - op < 2) return 0;
                out[op++] = (uint8_t)((l << 5) | (off >> 8));
            } else {
                if (cap - op < 3) return 0;
                out[op++] = (uint8_t)((7u << 5) | (off >> 8));
                out[op++] = (uint8_t)(l - 7);
            }
            out[op++] = (uint8_t)(off & 0xffu);
            /* Remember the match's last positions too: runs keep matching. */
            if (ip + len + 2 < n) {
                size_t q;
                for (q = ip + len - 2; q < ip + len; q++) work[ep__lzf_hash(in + q)] = (uint32_t)(q + 1);
            }
            ip += len;
            lit = ip;
        } else {
            ip++;
        }
    }
    if (!ep__lzf_literals(in, lit, n, out, cap, &op)) return 0;
    return op;
}

EP_API ep_result ep_lzf_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t out_len) {
    size_t ip = 0, op = 0;
    while (ip < n) {
        unsigned c = in[ip++];
        if (c < 32) {
            size_t k = (size_t)c + 1;
            if (n - ip < k || out_len - op < k) return EP_ERR_CORRUPT;
            memcpy(out + op, in + ip, k);
            ip += k;
            op += k;
        } else {
            size_t len = c >> 5, back;
            if (len == 7) {
                if (ip >= n) return EP_ERR_CORRUPT;
                len += in[ip++];
            }
            len += 2;
            if (ip >= n) return EP_ERR_CORRUPT;
            back = (((size_t)c & 31u) << 8 | in[ip++]) + 1;
            if (back > op || out_len - op < len) return EP_ERR_CORRUPT;
            if (back >= len) {
                memcpy(out + op, out + op - back, len);
                op += len;
            } else {
                /* Overlap: each byte may be one this copy just wrote. */
                size_t i;
                for (i = 0; i < len; i++, op++) out[op] = out[op - back];
            }
        }
    }
    return op == out_len ? EP_OK : EP_ERR_CORRUPT;
}

#endif /* EP_NO_REDIS */
