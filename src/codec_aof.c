/* codec_aof: ember AOF records <-> ep_aof_record, and the ep_items walker
 * shared with the snapshot codec. */
#include "internal.h"
#include "codec_aof.h"

/* ---- items ------------------------------------------------------------- */

/* Reads the elements of an items run whose count the caller has already read
 * and capped. Structure only: lengths and caps, no UTF-8 (see
 * ep__items_check_utf8). On success out->raw spans exactly the elements. */
EP__PRIV void ep__items_read(ep_cursor *c, ep_items_kind kind, uint32_t count, uint32_t dim, ep_items *out) {
    size_t start = c->pos;
    uint32_t i;
    out->count = count;
    out->kind = (uint8_t)kind;
    out->dim = dim;
    out->raw.data = NULL;
    out->raw.len = 0;
    for (i = 0; i < count && !c->err; i++) {
        switch (kind) {
        case EP_ITEMS_BYTES:
        case EP_ITEMS_STR:
            (void)ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
            break;
        case EP_ITEMS_SCORE_MEMBER:
            (void)ep_cursor_take(c, 8);
            (void)ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
            break;
        case EP_ITEMS_FIELD_VALUE:
            (void)ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
            (void)ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
            break;
        case EP_ITEMS_NAME_VECTOR:
            (void)ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
            (void)ep_cursor_take(c, (size_t)dim * 4u);
            break;
        default:
            ep_cursor_fail(c, EP_ERR_INVALID_ARG);
            break;
        }
    }
    if (!c->err) {
        out->raw.data = c->data + start;
        out->raw.len = c->pos - start;
    }
}

/* The UTF-8 rule of each kind: which parts must be valid strings. */
EP__PRIV ep_result ep__items_check_utf8(const ep_items *items) {
    ep_items_iter it;
    ep_item item;
    if (items->kind == EP_ITEMS_BYTES || items->kind == EP_ITEMS_NONE) return EP_OK;
    ep_items_iter_init(&it, items);
    while (ep_items_next(&it, &item)) {
        if (!ep_utf8_valid(item.a.data, item.a.len)) return EP_ERR_UTF8;
    }
    return EP_OK;
}

EP_API void ep_items_iter_init(ep_items_iter *it, const ep_items *items) {
    it->p = items->raw.data;
    it->end = items->raw.data + items->raw.len;
    it->left = items->raw.data ? items->count : 0;
    it->kind = items->kind;
    it->dim = items->dim;
}

/* Reads one u32-prefixed field, never past end (items may come from a caller
 * who built them by hand, so stay bounded even then). */
static int ep__items_field(ep_items_iter *it, ep_bytes *out) {
    uint32_t n;
    if ((size_t)(it->end - it->p) < 4) return 0;
    n = ep_load_u32le(it->p);
    if ((size_t)(it->end - it->p) - 4 < n) return 0;
    out->data = it->p + 4;
    out->len = n;
    it->p += 4 + (size_t)n;
    return 1;
}

EP_API int ep_items_next(ep_items_iter *it, ep_item *out) {
    int ok = 1;
    if (it->left == 0) return 0;
    out->a.data = out->b.data = NULL;
    out->a.len = out->b.len = 0;
    out->score = 0.0;
    switch (it->kind) {
    case EP_ITEMS_BYTES:
    case EP_ITEMS_STR:
        ok = ep__items_field(it, &out->a);
        break;
    case EP_ITEMS_SCORE_MEMBER:
        if ((size_t)(it->end - it->p) < 8) { ok = 0; break; }
        out->score = ep_load_f64le(it->p);
        it->p += 8;
        ok = ep__items_field(it, &out->a);
        break;
    case EP_ITEMS_FIELD_VALUE:
        ok = ep__items_field(it, &out->a) && ep__items_field(it, &out->b);
        break;
    case EP_ITEMS_NAME_VECTOR: {
        size_t vbytes = (size_t)it->dim * 4u;
        ok = ep__items_field(it, &out->a);
        if (ok && (size_t)(it->end - it->p) >= vbytes) {
            out->b.data = it->p;
            out->b.len = vbytes;
            it->p += vbytes;
        } else {
            ok = 0;
        }
        break;
    }
    default:
        ok = 0;
    }
    if (!ok) {
        it->left = 0;
        return 0;
    }
    it->left--;
    return 1;
}

EP_API ep_result ep_items_build(ep_buf *buf, ep_items_kind kind, const ep_bytes *first, const ep_bytes *second,
                                const double *scores, uint32_t count, ep_items *out) {
    size_t start = buf->len;
    uint32_t i;
    if (count && !first) return EP_ERR_INVALID_ARG;
    if ((kind == EP_ITEMS_FIELD_VALUE || kind == EP_ITEMS_NAME_VECTOR) && count && !second)
        return EP_ERR_INVALID_ARG;
    if (kind == EP_ITEMS_SCORE_MEMBER && count && !scores) return EP_ERR_INVALID_ARG;
    if (kind == EP_ITEMS_NONE || kind > EP_ITEMS_NAME_VECTOR) return EP_ERR_INVALID_ARG;
    for (i = 0; i < count; i++) {
        if (kind == EP_ITEMS_SCORE_MEMBER) ep_buf_f64(buf, scores[i]);
        ep_buf_lenbytes(buf, first[i].data, first[i].len);
        if (kind == EP_ITEMS_FIELD_VALUE) ep_buf_lenbytes(buf, second[i].data, second[i].len);
        if (kind == EP_ITEMS_NAME_VECTOR) {
            if (i > 0 && second[i].len != second[0].len) return EP_ERR_INVALID_ARG;
            ep_buf_put(buf, second[i].data, second[i].len);
        }
    }
    if (buf->err) return buf->err;
    out->count = count;
    out->kind = (uint8_t)kind;
    out->dim = (kind == EP_ITEMS_NAME_VECTOR && count) ? (uint32_t)(second[0].len / 4u) : 0;
    /* Views into buf: valid until buf grows again. */
    out->raw.data = buf->data + start;
    out->raw.len = buf->len - start;
    return EP_OK;
}

/* ---- records: the AOF helper fills in frame/validate/encode below ------- */
