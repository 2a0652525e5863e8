/* codec_rdb: RDB lengths, strings and compact blobs. */
#include "base/internal.h"
#include "codec/codec_rdb.h"
#include "codec/codec_resp.h"
#include "codec/lzf.h"

#ifndef EP_NO_REDIS

EP_API int ep_rdb_type_known(int type) {
    return (type >= 0 && type <= 5) || (type >= 9 && type <= 14) || type == 16 || type == 17 || type == 18;
}

EP_API const char *ep_rdb_type_kind(int type) {
    switch (type) {
    case EP_RDB_STRING: return "string";
    case EP_RDB_LIST: case EP_RDB_LIST_ZIPLIST: case EP_RDB_LIST_QUICKLIST: case EP_RDB_LIST_QUICKLIST_2: return "list";
    case EP_RDB_SET: case EP_RDB_SET_INTSET: return "set";
    case EP_RDB_ZSET: case EP_RDB_ZSET_2: case EP_RDB_ZSET_ZIPLIST: case EP_RDB_ZSET_LISTPACK: return "zset";
    case EP_RDB_HASH: case EP_RDB_HASH_ZIPMAP: case EP_RDB_HASH_ZIPLIST: case EP_RDB_HASH_LISTPACK: return "hash";
    case EP_RDB_STREAM_LISTPACKS: case EP_RDB_STREAM_LISTPACKS_2: return "stream";
    case EP_RDB_MODULE: case EP_RDB_MODULE_2: return "module";
    default: return "?";
    }
}

/* ---- encoders ---------------------------------------------------------- */

EP_API void ep_rdb_put_len(ep_buf *b, uint64_t v) {
    uint8_t t[9];
    if (v < 64) {
        ep_buf_u8(b, (uint8_t)v);
    } else if (v < 16384) {
        t[0] = (uint8_t)(0x40 | (v >> 8));
        t[1] = (uint8_t)v;
        ep_buf_put(b, t, 2);
    } else if (v <= 0xffffffffu) {
        t[0] = 0x80;
        t[1] = (uint8_t)(v >> 24);
        t[2] = (uint8_t)(v >> 16);
        t[3] = (uint8_t)(v >> 8);
        t[4] = (uint8_t)v;
        ep_buf_put(b, t, 5);
    } else {
        int i;
        t[0] = 0x81;
        for (i = 0; i < 8; i++) t[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        ep_buf_put(b, t, 9);
    }
}

EP_API void ep_rdb_put_raw(ep_buf *b, ep_bytes s) {
    ep_rdb_put_len(b, s.len);
    ep_buf_put(b, s.data, s.len);
}

/* Redis's rule for the integer forms: the text is a canonical integer
 * (strict string2ll, so it prints back the same) that fits in 32 bits. */
static int ep__rdb_int_form(ep_bytes s, int32_t *v) {
    int64_t x;
    if (s.len == 0 || s.len > 11 || !ep_resp_parse_i64(s.data, s.len, &x)) return 0;
    if (x < INT32_MIN || x > INT32_MAX) return 0;
    *v = (int32_t)x;
    return 1;
}

EP_API void ep_rdb_put_string(ep_buf *b, ep_bytes s, uint32_t *lzf_work) {
    int32_t v;
    if (ep__rdb_int_form(s, &v)) {
        uint8_t t[5];
        uint32_t u = (uint32_t)v;
        if (v >= -128 && v <= 127) {
            t[0] = 0xC0;
            t[1] = (uint8_t)u;
            ep_buf_put(b, t, 2);
        } else if (v >= -32768 && v <= 32767) {
            t[0] = 0xC1;
            ep_store_u16le(t + 1, (uint16_t)u);
            ep_buf_put(b, t, 3);
        } else {
            t[0] = 0xC2;
            ep_store_u32le(t + 1, u);
            ep_buf_put(b, t, 5);
        }
        return;
    }
    if (lzf_work && s.len > 20) {
        /* Room for the widest header (1 + 2 x 9 bytes) and the block. */
        size_t head = 19, cap = s.len - 4;
        if (ep_buf_reserve(b, head + cap) == EP_OK) {
            size_t cn = ep_lzf_compress(s.data, s.len, b->data + b->len + head, cap, lzf_work);
            if (cn) {
                ep_buf hb;
                uint8_t tmp[19];
                /* The header goes in front of the block already in place. */
                hb.data = tmp;
                hb.len = 0;
                hb.cap = sizeof tmp;
                hb.alloc = NULL;
                hb.err = EP_OK;
                ep_buf_u8(&hb, 0xC3);
                ep_rdb_put_len(&hb, cn);
                ep_rdb_put_len(&hb, s.len);
                memmove(b->data + b->len + hb.len, b->data + b->len + head, cn);
                memcpy(b->data + b->len, tmp, hb.len);
                b->len += hb.len + cn;
                return;
            }
        }
    }
    ep_rdb_put_raw(b, s);
}

/* Listpack back-length: the entry's size in 7-bit groups, readable from
 * its last byte backwards. */
static void ep__lp_backlen(ep_buf *b, size_t l) {
    uint8_t t[5];
    size_t n = l < 128 ? 1 : l < 16384 ? 2 : l < 2097152 ? 3 : l < 268435456 ? 4 : 5, i;
    for (i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        t[i] = (uint8_t)(((l >> shift) & 127u) | (i > 0 ? 128u : 0u));
    }
    ep_buf_put(b, t, n);
}

EP_API void ep_rdb_lp_begin(ep_buf *b, size_t *mark) {
    static const uint8_t hdr[6] = {0, 0, 0, 0, 0, 0};
    *mark = b->len;
    ep_buf_put(b, hdr, 6);
}

EP_API void ep_rdb_lp_add_int(ep_buf *b, int64_t v) {
    uint8_t t[9];
    size_t n;
    uint64_t u = (uint64_t)v;
    if (v >= 0 && v <= 127) {
        t[0] = (uint8_t)v;
        n = 1;
    } else if (v >= -4096 && v <= 4095) {
        t[0] = (uint8_t)(0xC0 | ((u >> 8) & 0x1F));
        t[1] = (uint8_t)u;
        n = 2;
    } else if (v >= -32768 && v <= 32767) {
        t[0] = 0xF1;
        ep_store_u16le(t + 1, (uint16_t)u);
        n = 3;
    } else if (v >= -8388608 && v <= 8388607) {
        t[0] = 0xF2;
        t[1] = (uint8_t)u;
        t[2] = (uint8_t)(u >> 8);
        t[3] = (uint8_t)(u >> 16);
        n = 4;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        t[0] = 0xF3;
        ep_store_u32le(t + 1, (uint32_t)u);
        n = 5;
    } else {
        t[0] = 0xF4;
        ep_store_u64le(t + 1, u);
        n = 9;
    }
    ep_buf_put(b, t, n);
    ep__lp_backlen(b, n);
}

EP_API void ep_rdb_lp_add(ep_buf *b, ep_bytes s) {
    int64_t v;
    uint8_t t[5];
    size_t h;
    if (s.len <= 20 && ep_resp_parse_i64(s.data, s.len, &v)) {
        ep_rdb_lp_add_int(b, v);
        return;
    }
    if (s.len < 64) {
        t[0] = (uint8_t)(0x80 | s.len);
        h = 1;
    } else if (s.len < 4096) {
        t[0] = (uint8_t)(0xE0 | (s.len >> 8));
        t[1] = (uint8_t)s.len;
        h = 2;
    } else {
        t[0] = 0xF0;
        ep_store_u32le(t + 1, (uint32_t)s.len);
        h = 5;
    }
    ep_buf_put(b, t, h);
    ep_buf_put(b, s.data, s.len);
    ep__lp_backlen(b, h + s.len);
}

EP_API void ep_rdb_lp_end(ep_buf *b, size_t mark, size_t count) {
    ep_buf_u8(b, 0xFF);
    if (b->err) return;
    ep_store_u32le(b->data + mark, (uint32_t)(b->len - mark));
    ep_store_u16le(b->data + mark + 4, (uint16_t)(count < 65535 ? count : 65535));
}

static int ep__cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

EP_API ep_result ep_rdb_intset_build(ep_buf *b, int64_t *vals, size_t n) {
    uint32_t width = 2;
    size_t i;
    qsort(vals, n, sizeof *vals, ep__cmp_i64);
    for (i = 0; i < n; i++) {
        if (i && vals[i] == vals[i - 1]) return EP_ERR_INVALID;
        if (vals[i] < INT32_MIN || vals[i] > INT32_MAX) width = 8;
        else if ((vals[i] < -32768 || vals[i] > 32767) && width < 4) width = 4;
    }
    if (n > 0xffffffffu) return EP_ERR_LIMIT;
    ep_buf_u32(b, width);
    ep_buf_u32(b, (uint32_t)n);
    for (i = 0; i < n; i++) {
        uint64_t u = (uint64_t)vals[i];
        if (width == 2) ep_buf_u16(b, (uint16_t)u);
        else if (width == 4) ep_buf_u32(b, (uint32_t)u);
        else ep_buf_u64(b, u);
    }
    return b->err;
}

/* ---- decoders ---------------------------------------------------------- */

EP_API ep_result ep_rdb_get_len(ep_cursor *c, uint64_t *v, int *special) {
    uint8_t b0 = ep_cursor_u8(c);
    const uint8_t *p;
    *special = 0;
    *v = 0;
    if (c->err) return c->err;
    switch (b0 >> 6) {
    case 0:
        *v = b0 & 0x3Fu;
        return EP_OK;
    case 1:
        *v = ((uint64_t)(b0 & 0x3Fu) << 8) | ep_cursor_u8(c);
        return c->err;
    case 3:
        *special = 1;
        *v = b0 & 0x3Fu;
        return EP_OK;
    default:
        if (b0 == 0x80) {
            p = ep_cursor_take(c, 4);
            if (!p) return c->err;
            *v = ((uint64_t)p[0] << 24) | ((uint64_t)p[1] << 16) | ((uint64_t)p[2] << 8) | p[3];
            return EP_OK;
        }
        if (b0 == 0x81) {
            int i;
            p = ep_cursor_take(c, 8);
            if (!p) return c->err;
            for (i = 0; i < 8; i++) *v = (*v << 8) | p[i];
            return EP_OK;
        }
        ep_cursor_fail(c, EP_ERR_CORRUPT);
        return EP_ERR_CORRUPT;
    }
}

EP_API ep_result ep_rdb_get_count(ep_cursor *c, uint64_t *v) {
    int special;
    ep_result r = ep_rdb_get_len(c, v, &special);
    if (r == EP_OK && special) {
        ep_cursor_fail(c, EP_ERR_CORRUPT);
        return EP_ERR_CORRUPT;
    }
    return r;
}

EP_API ep_result ep_rdb_get_string(ep_cursor *c, ep_buf *scratch, uint64_t cap, ep_bytes *out) {
    uint64_t n;
    int special;
    ep_result r = ep_rdb_get_len(c, &n, &special);
    out->data = NULL;
    out->len = 0;
    if (r != EP_OK) return r;
    if (!special) {
        const uint8_t *p;
        if (n > cap || n > (uint64_t)SIZE_MAX) {
            ep_cursor_fail(c, EP_ERR_LIMIT);
            return EP_ERR_LIMIT;
        }
        p = ep_cursor_take(c, (size_t)n);
        if (!p) return c->err;
        *out = ep_bytes_of(p, (size_t)n);
        return EP_OK;
    }
    ep_buf_reset(scratch);
    if (n <= 2) {
        const uint8_t *p = ep_cursor_take(c, (size_t)1 << n);
        int64_t v;
        char num[EP_RESP_NUM_MAX];
        size_t k;
        if (!p) return c->err;
        v = n == 0 ? (int64_t)(int8_t)p[0] : n == 1 ? (int64_t)(int16_t)ep_load_u16le(p) : (int64_t)(int32_t)ep_load_u32le(p);
        k = ep_resp_format_i64(v, num);
        ep_buf_put(scratch, num, k);
        if (scratch->err) return scratch->err;
        *out = ep_bytes_of(scratch->data, k);
        return EP_OK;
    }
    if (n == 3) {
        uint64_t clen, ulen;
        const uint8_t *p;
        if (ep_rdb_get_count(c, &clen) != EP_OK || ep_rdb_get_count(c, &ulen) != EP_OK) return c->err;
        if (ulen > cap || clen > cap || ulen > (uint64_t)SIZE_MAX / 2) {
            ep_cursor_fail(c, EP_ERR_LIMIT);
            return EP_ERR_LIMIT;
        }
        /* Never trust ulen beyond what clen can produce (a back-reference
         * of 2-3 input bytes gives at most 264 output bytes). */
        if (ulen > clen * 264u + 32u || (ulen > 0 && clen == 0)) {
            ep_cursor_fail(c, EP_ERR_CORRUPT);
            return EP_ERR_CORRUPT;
        }
        p = ep_cursor_take(c, (size_t)clen);
        if (!p) return c->err;
        if (ep_buf_reserve(scratch, (size_t)ulen + 1) != EP_OK) return scratch->err;
        if (ep_lzf_decompress(p, (size_t)clen, scratch->data, (size_t)ulen) != EP_OK) {
            ep_cursor_fail(c, EP_ERR_CORRUPT);
            return EP_ERR_CORRUPT;
        }
        scratch->len = (size_t)ulen;
        *out = ep_bytes_of(scratch->data, (size_t)ulen);
        return EP_OK;
    }
    ep_cursor_fail(c, EP_ERR_CORRUPT);
    return EP_ERR_CORRUPT;
}

EP_API ep_bytes ep_rdb_elem_text(const ep_rdb_elem *e, char buf[EP_RDB_NUM_TEXT]) {
    if (!e->is_int) return e->str;
    return ep_bytes_of(buf, ep_resp_format_i64(e->num, buf));
}

EP_API int ep_rdb_parse_double(const uint8_t *s, size_t n, double *out) {
    char tmp[400];
    char *end;
    if (n == 0 || n >= sizeof tmp) return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (tmp[0] == ' ' || tmp[0] == '\t' || tmp[0] == '\n') return 0;
    *out = strtod(tmp, &end);
    return end == tmp + n;
}

/* ---- blobs ------------------------------------------------------------- */

EP_API ep_result ep_rdb_blob_init(ep_rdb_blob_iter *it, int kind, ep_bytes blob) {
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->base = blob.data;
    it->p = blob.data;
    it->end = blob.data + blob.len;
    it->count = UINT64_MAX;
    switch (kind) {
    case EP_RDB_BLOB_LISTPACK:
        if (blob.len < 7 || ep_load_u32le(blob.data) != blob.len || blob.data[blob.len - 1] != 0xFF) return EP_ERR_CORRUPT;
        if (ep_load_u16le(blob.data + 4) != 65535) it->count = ep_load_u16le(blob.data + 4);
        it->p += 6;
        it->end--;
        return EP_OK;
    case EP_RDB_BLOB_ZIPLIST:
        if (blob.len < 11 || ep_load_u32le(blob.data) != blob.len || blob.data[blob.len - 1] != 0xFF ||
            ep_load_u32le(blob.data + 4) > blob.len - 1)
            return EP_ERR_CORRUPT;
        if (ep_load_u16le(blob.data + 8) != 65535) it->count = ep_load_u16le(blob.data + 8);
        it->p += 10;
        it->end--;
        return EP_OK;
    case EP_RDB_BLOB_INTSET: {
        uint32_t w, n;
        if (blob.len < 8) return EP_ERR_CORRUPT;
        w = ep_load_u32le(blob.data);
        n = ep_load_u32le(blob.data + 4);
        if ((w != 2 && w != 4 && w != 8) || (uint64_t)n * w != blob.len - 8) return EP_ERR_CORRUPT;
        it->width = w;
        it->count = n;
        it->p += 8;
        return EP_OK;
    }
    case EP_RDB_BLOB_ZIPMAP:
        if (blob.len < 2 || blob.data[blob.len - 1] != 0xFF) return EP_ERR_CORRUPT;
        if (blob.data[0] < 254) it->count = (uint64_t)blob.data[0] * 2;
        it->p += 1;
        it->end--;
        return EP_OK;
    default:
        return EP_ERR_INVALID;
    }
}

EP_API uint64_t ep_rdb_blob_count(const ep_rdb_blob_iter *it) { return it->count; }

static ep_result ep__blob_done(ep_rdb_blob_iter *it) {
    if (it->count != UINT64_MAX && it->seen != it->count) return EP_ERR_CORRUPT;
    return EP_END;
}

static int64_t ep__sext(uint64_t v, unsigned bits) {
    uint64_t m = (uint64_t)1 << (bits - 1);
    return (int64_t)((v ^ m) - m);
}

static ep_result ep__lp_next(ep_rdb_blob_iter *it, ep_rdb_elem *out) {
    const uint8_t *p = it->p;
    size_t left = (size_t)(it->end - p), h = 0, dl = 0, ent;
    uint8_t b;
    uint8_t bl[5];
    ep_buf tb;
    if (left == 0) return ep__blob_done(it);
    b = p[0];
    memset(out, 0, sizeof *out);
    if ((b & 0x80) == 0) {
        out->is_int = 1, out->num = b & 0x7F, h = 1;
    } else if ((b & 0xC0) == 0x80) {
        h = 1, dl = b & 0x3Fu;
    } else if ((b & 0xE0) == 0xC0) {
        if (left < 2) return EP_ERR_CORRUPT;
        out->is_int = 1, out->num = ep__sext(((uint64_t)(b & 0x1F) << 8) | p[1], 13), h = 2;
    } else if ((b & 0xF0) == 0xE0) {
        if (left < 2) return EP_ERR_CORRUPT;
        h = 2, dl = ((size_t)(b & 0x0F) << 8) | p[1];
    } else if (b == 0xF0) {
        if (left < 5) return EP_ERR_CORRUPT;
        h = 5, dl = ep_load_u32le(p + 1);
    } else if (b >= 0xF1 && b <= 0xF4) {
        static const size_t w[4] = {2, 3, 4, 8};
        size_t k = w[b - 0xF1], i;
        uint64_t v = 0;
        if (left < 1 + k) return EP_ERR_CORRUPT;
        for (i = 0; i < k; i++) v |= (uint64_t)p[1 + i] << (8 * i);
        out->is_int = 1;
        out->num = ep__sext(v, (unsigned)(8 * k));
        h = 1 + k;
    } else {
        return EP_ERR_CORRUPT; /* 0xF5..0xFE, or the terminator before the end */
    }
    if (dl > left - h) return EP_ERR_CORRUPT;
    if (!out->is_int) out->str = ep_bytes_of(p + h, dl);
    ent = h + dl;
    /* The back-length must be the one Redis writes for this entry. */
    tb.data = bl;
    tb.len = 0;
    tb.cap = sizeof bl;
    tb.alloc = NULL;
    tb.err = EP_OK;
    ep__lp_backlen(&tb, ent);
    if (tb.err || tb.len > left - ent || memcmp(p + ent, bl, tb.len) != 0) return EP_ERR_CORRUPT;
    it->p = p + ent + tb.len;
    it->seen++;
    return EP_OK;
}

static ep_result ep__zl_next(ep_rdb_blob_iter *it, ep_rdb_elem *out) {
    const uint8_t *p = it->p, *e;
    size_t left = (size_t)(it->end - p), pl, h, dl = 0, prev;
    uint8_t b;
    if (left == 0) return ep__blob_done(it);
    memset(out, 0, sizeof *out);
    if (p[0] < 254) {
        pl = 1, prev = p[0];
    } else if (p[0] == 254) {
        if (left < 5) return EP_ERR_CORRUPT;
        pl = 5, prev = ep_load_u32le(p + 1);
    } else {
        return EP_ERR_CORRUPT;
    }
    if (prev != it->prev) return EP_ERR_CORRUPT;
    if (left < pl + 1) return EP_ERR_CORRUPT;
    e = p + pl;
    left -= pl;
    b = e[0];
    switch (b >> 6) {
    case 0:
        h = 1, dl = b & 0x3Fu;
        break;
    case 1:
        if (left < 2) return EP_ERR_CORRUPT;
        h = 2, dl = ((size_t)(b & 0x3F) << 8) | e[1];
        break;
    case 2:
        if (b != 0x80 || left < 5) return EP_ERR_CORRUPT;
        h = 5, dl = ((size_t)e[1] << 24) | ((size_t)e[2] << 16) | ((size_t)e[3] << 8) | e[4];
        break;
    default: {
        size_t k;
        uint64_t v = 0;
        out->is_int = 1;
        if (b == 0xC0) k = 2;
        else if (b == 0xD0) k = 4;
        else if (b == 0xE0) k = 8;
        else if (b == 0xF0) k = 3;
        else if (b == 0xFE) k = 1;
        else if (b >= 0xF1 && b <= 0xFD) k = 0;
        else return EP_ERR_CORRUPT;
        if (left < 1 + k) return EP_ERR_CORRUPT;
        if (k == 0) {
            out->num = (int64_t)(b & 0x0F) - 1;
        } else {
            size_t i;
            for (i = 0; i < k; i++) v |= (uint64_t)e[1 + i] << (8 * i);
            out->num = ep__sext(v, (unsigned)(8 * k));
        }
        h = 1 + k;
        break;
    }
    }
    if (dl > left - h) return EP_ERR_CORRUPT;
    if (!out->is_int) out->str = ep_bytes_of(e + h, dl);
    it->prev = pl + h + dl;
    it->p = e + h + dl;
    it->seen++;
    return EP_OK;
}

static ep_result ep__is_next(ep_rdb_blob_iter *it, ep_rdb_elem *out) {
    int64_t v;
    if (it->seen == it->count) return EP_END;
    memset(out, 0, sizeof *out);
    if (it->width == 2) v = (int16_t)ep_load_u16le(it->p);
    else if (it->width == 4) v = (int32_t)ep_load_u32le(it->p);
    else v = ep_load_i64le(it->p);
    /* Sorted and unique, as Redis keeps it (a duplicate would be two members). */
    if (it->seen && v <= it->last) return EP_ERR_CORRUPT;
    it->last = v;
    it->p += it->width;
    it->seen++;
    out->is_int = 1;
    out->num = v;
    return EP_OK;
}

/* zipmap: <len>key <len><free>value ... ; a length is one byte < 254 or
 * 254 + u32 LE. Yields key, value, key, value ... */
static ep_result ep__zm_len(const uint8_t **pp, const uint8_t *end, size_t *n) {
    const uint8_t *p = *pp;
    if (p >= end) return EP_ERR_CORRUPT;
    if (p[0] < 254) {
        *n = p[0];
        *pp = p + 1;
        return EP_OK;
    }
    if (p[0] != 254 || end - p < 5) return EP_ERR_CORRUPT;
    *n = ep_load_u32le(p + 1);
    *pp = p + 5;
    return EP_OK;
}

static ep_result ep__zm_next(ep_rdb_blob_iter *it, ep_rdb_elem *out) {
    const uint8_t *p = it->p;
    size_t n, fr = 0;
    int value = (int)(it->seen & 1);
    if (p == it->end) {
        if (value) return EP_ERR_CORRUPT;
        return ep__blob_done(it);
    }
    memset(out, 0, sizeof *out);
    if (ep__zm_len(&p, it->end, &n) != EP_OK) return EP_ERR_CORRUPT;
    if (value) {
        if (p >= it->end) return EP_ERR_CORRUPT;
        fr = *p++;
    }
    if ((size_t)(it->end - p) < n || (size_t)(it->end - p) - n < fr) return EP_ERR_CORRUPT;
    out->str = ep_bytes_of(p, n);
    it->p = p + n + fr;
    it->seen++;
    return EP_OK;
}

EP_API ep_result ep_rdb_blob_next(ep_rdb_blob_iter *it, ep_rdb_elem *out) {
    switch (it->kind) {
    case EP_RDB_BLOB_LISTPACK: return ep__lp_next(it, out);
    case EP_RDB_BLOB_ZIPLIST: return ep__zl_next(it, out);
    case EP_RDB_BLOB_INTSET: return ep__is_next(it, out);
    case EP_RDB_BLOB_ZIPMAP: return ep__zm_next(it, out);
    default: return EP_ERR_INVALID;
    }
}

#endif /* EP_NO_REDIS */
