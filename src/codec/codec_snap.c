/* codec_snap: ember snapshot entries (§3.2 v2, §3.3 v1) <-> ep_snap_entry.
 * The decoder reads structure first (lengths, counts, caps: EOF and LIMIT win
 * over content errors, so a torn entry always reads as EP_ERR_EOF), then the
 * content rules (vector metric/quantization, UTF-8). */
#include "base/internal.h"
#include "codec/codec_snap.h"

/* Private: from codec_aof.c. */
EP__PRIV void ep__items_read(ep_cursor *c, ep_items_kind kind, uint32_t count, uint32_t dim, ep_items *out);
EP__PRIV ep_result ep__items_check_utf8(const ep_items *items);

EP_API const char *ep_value_type_name(uint8_t type) {
    static const char *const names[] = {"string", "list", "zset", "hash", "set", "proto", "vector"};
    return type <= EP_TYPE_MAX ? names[type] : NULL;
}

/* The items kind each collection type carries (NONE for the others). */
static ep_items_kind ep__snap_items_kind(uint8_t type) {
    switch (type) {
    case EP_TYPE_LIST: return EP_ITEMS_BYTES;
    case EP_TYPE_ZSET: return EP_ITEMS_SCORE_MEMBER;
    case EP_TYPE_HASH: return EP_ITEMS_FIELD_VALUE;
    case EP_TYPE_SET: return EP_ITEMS_STR;
    case EP_TYPE_VECTOR: return EP_ITEMS_NAME_VECTOR;
    default: return EP_ITEMS_NONE;
    }
}

/* A collection count, capped before any element is read. */
static uint32_t ep__snap_count(ep_cursor *c, uint32_t cap) {
    uint32_t n = ep_cursor_u32(c);
    if (!c->err && n > cap) ep_cursor_fail(c, EP_ERR_LIMIT);
    return n;
}

/* Vector header; the caps in the order ember applies them. Metric and
 * quantization are content (EP_ERR_BAD_VALUE), reported after the structure. */
static void ep__snap_vector(ep_cursor *c, ep_snap_entry *e) {
    uint32_t count;
    e->metric = ep_cursor_u8(c);
    e->quantization = ep_cursor_u8(c);
    e->connectivity = ep_cursor_u32(c);
    e->expansion_add = ep_cursor_u32(c);
    e->dim = ep__snap_count(c, EP_MAX_VECTOR_DIMS);
    count = ep__snap_count(c, EP_MAX_VECTOR_COUNT);
    if (c->err) return;
    if ((uint64_t)e->dim * count > EP_MAX_VECTOR_TOTAL_FLOATS) {
        ep_cursor_fail(c, EP_ERR_LIMIT);
        return;
    }
    ep__items_read(c, EP_ITEMS_NAME_VECTOR, count, e->dim, &e->items);
}

static void ep__snap_payload(ep_cursor *c, ep_snap_entry *e) {
    uint32_t count;
    switch (e->type) {
    case EP_TYPE_STRING:
        e->value = ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
        break;
    case EP_TYPE_LIST:
    case EP_TYPE_ZSET:
    case EP_TYPE_HASH:
    case EP_TYPE_SET:
        count = ep__snap_count(c, EP_MAX_COLLECTION_COUNT);
        if (!c->err) ep__items_read(c, ep__snap_items_kind(e->type), count, 0, &e->items);
        break;
    case EP_TYPE_PROTO:
        e->type_name = ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
        e->value = ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
        break;
    case EP_TYPE_VECTOR:
        ep__snap_vector(c, e);
        break;
    default:
        ep_cursor_fail(c, EP_ERR_UNKNOWN_TAG);
        break;
    }
}

static ep_result ep__snap_check_content(const ep_snap_entry *e) {
    if (e->type == EP_TYPE_VECTOR && (e->metric > 2 || e->quantization > 2)) return EP_ERR_BAD_VALUE;
    if (!ep__utf8_valid(e->key.data, e->key.len)) return EP_ERR_UTF8;
    if (e->type == EP_TYPE_PROTO && !ep__utf8_valid(e->type_name.data, e->type_name.len)) return EP_ERR_UTF8;
    return ep__items_check_utf8(&e->items);
}

/* Every field zero, one store each: a memset of the whole struct becomes
 * `rep stos` at -O2, whose start-up cost was a third of a small entry's decode. */
static void ep__snap_entry_clear(ep_snap_entry *e) {
    e->key.data = e->value.data = e->type_name.data = e->items.raw.data = NULL;
    e->key.len = e->value.len = e->type_name.len = e->items.raw.len = 0;
    e->type = 0;
    e->expire_ms = 0;
    e->items.count = e->items.dim = 0;
    e->items.kind = 0;
    e->metric = e->quantization = 0;
    e->connectivity = e->expansion_add = e->dim = 0;
}

/* A string entry (version 2 type 0, or version 1), the bulk of a real
 * snapshot, read with plain loads: one bounds check per field and no
 * cursor. 0 when the entry is anything else, incomplete or above a cap: the
 * general path then decodes it or reports exactly what is wrong. */
static int ep__snap_string_fast(const uint8_t *d, size_t len, int version, ep_snap_entry *out, size_t *consumed) {
    size_t at, head = version == 2 ? 5 : 4; /* the value's length prefix starts at key + head */
    uint32_t kl, vl;
    if (len < 4) return 0;
    kl = ep_load_u32le(d);
    if (kl > EP_MAX_FIELD_LEN || len - 4 < kl || len - 4 - kl < head) return 0;
    at = 4 + (size_t)kl;
    if (version == 2 && d[at] != EP_TYPE_STRING) return 0;
    at += head - 4;
    vl = ep_load_u32le(d + at);
    if (vl > EP_MAX_FIELD_LEN || len - at - 4 < (size_t)vl + 8) return 0;
    ep__snap_entry_clear(out);
    out->key.data = d + 4;
    out->key.len = kl;
    out->type = EP_TYPE_STRING;
    out->value.data = d + at + 4;
    out->value.len = vl;
    at += 4 + (size_t)vl;
    out->expire_ms = ep_load_i64le(d + at);
    *consumed = at + 8;
    return 1;
}

EP_API ep_result ep_snap_entry_decode(const uint8_t *data, size_t len, int version, ep_snap_entry *out,
                                      size_t *consumed) {
    ep_cursor c;
    size_t used;
    if (!out || (!data && len) || (version != 1 && version != 2)) return EP_ERR_INVALID_ARG;
    if (EP__FAST_DECODE && ep__snap_string_fast(data, len, version, out, &used)) {
        if (consumed) *consumed = used;
        /* The only content rule of a string entry (same as the general path's). */
        return ep__utf8_valid(out->key.data, out->key.len) ? EP_OK : EP_ERR_UTF8;
    }
    memset(out, 0, sizeof *out);
    if (consumed) *consumed = 0;
    ep_cursor_init(&c, data, len);
    out->key = ep_cursor_lenbytes(&c, EP_MAX_FIELD_LEN);
    if (version == 1) {
        out->type = EP_TYPE_STRING;
        out->value = ep_cursor_lenbytes(&c, EP_MAX_FIELD_LEN);
    } else {
        out->type = ep_cursor_u8(&c);
        if (!c.err) ep__snap_payload(&c, out);
    }
    out->expire_ms = ep_cursor_i64(&c);
    if (c.err) return c.err;
    if (consumed) *consumed = c.pos;
    return ep__snap_check_content(out);
}

/* ---- encode ------------------------------------------------------------ */

/* Hand-built items must hold exactly count well-formed elements in raw, so
 * the file never gets bytes that disagree with their own count. */
static int ep__snap_items_consistent(const ep_items *items, ep_items_kind want, uint32_t dim) {
    ep_items_iter it;
    ep_item item;
    uint32_t n = 0;
    if (items->count == 0) return items->raw.len == 0;
    if (items->kind != (uint8_t)want || !items->raw.data) return 0;
    if (want == EP_ITEMS_NAME_VECTOR && items->dim != dim) return 0;
    ep_items_iter_init(&it, items);
    while (ep_items_next(&it, &item)) n++;
    return n == items->count && it.p == it.end;
}

/* Encoded size, saturating (the u32 checks in ep_buf_lenbytes reject the rest). */
static size_t ep__snap_entry_size(const ep_snap_entry *e) {
    size_t n = 4 + 1 + 8, m = 0;
    if (!ep__add_size(n, e->key.len, &n)) return SIZE_MAX;
    if (e->type == EP_TYPE_STRING) m = 4 + e->value.len;
    else if (e->type == EP_TYPE_PROTO) m = 8 + e->type_name.len + e->value.len;
    else if (e->type == EP_TYPE_VECTOR) m = 18 + e->items.raw.len;
    else m = 4 + e->items.raw.len;
    if (m < 4 || !ep__add_size(n, m, &n)) return SIZE_MAX;
    return n;
}

/* Checks that e can be written (every reader would accept its structure). */
static ep_result ep__snap_value_check(const ep_snap_entry *e) {
    ep_items_kind kind;
    if (!e || e->type > EP_TYPE_MAX) return EP_ERR_INVALID_ARG;
    kind = ep__snap_items_kind(e->type);
    if (kind != EP_ITEMS_NONE && !ep__snap_items_consistent(&e->items, kind, e->dim)) return EP_ERR_INVALID_ARG;
    /* Every reader rejects these; never write an entry nobody can read. */
    if (e->type == EP_TYPE_VECTOR && (e->metric > 2 || e->quantization > 2)) return EP_ERR_BAD_VALUE;
#if SIZE_MAX > UINT32_MAX /* a 32-bit size_t cannot exceed the u32 prefix */
    if (e->key.len > UINT32_MAX || e->value.len > UINT32_MAX || e->type_name.len > UINT32_MAX) return EP_ERR_LIMIT;
#endif
    return EP_OK;
}

/* [type][payload]: the part an entry and the DUMP form share. */
static void ep__snap_value_put(ep_buf *out, const ep_snap_entry *e) {
    ep_buf_u8(out, e->type);
    switch (e->type) {
    case EP_TYPE_STRING:
        ep_buf_lenbytes(out, e->value.data, e->value.len);
        break;
    case EP_TYPE_PROTO:
        ep_buf_lenbytes(out, e->type_name.data, e->type_name.len);
        ep_buf_lenbytes(out, e->value.data, e->value.len);
        break;
    case EP_TYPE_VECTOR:
        ep_buf_u8(out, e->metric);
        ep_buf_u8(out, e->quantization);
        ep_buf_u32(out, e->connectivity);
        ep_buf_u32(out, e->expansion_add);
        ep_buf_u32(out, e->dim);
        ep_buf_u32(out, e->items.count);
        ep_buf_put(out, e->items.raw.data, e->items.raw.len);
        break;
    default: /* the four collections */
        ep_buf_u32(out, e->items.count);
        ep_buf_put(out, e->items.raw.data, e->items.raw.len);
        break;
    }
}

/* A sticky buffer error undoes what this call appended. */
static ep_result ep__snap_put_done(ep_buf *out, size_t start) {
    ep_result r = out->err;
    if (r) {
        out->len = start; /* leave no half entry behind */
        out->err = EP_OK;
    }
    return r;
}

EP_API ep_result ep_snap_entry_encode(ep_buf *out, const ep_snap_entry *e) {
    size_t start;
    ep_result r;
    if (!out) return EP_ERR_INVALID_ARG;
    if ((r = ep__snap_value_check(e)) != EP_OK) return r;
    if (out->err) return out->err;
    start = out->len;
    (void)ep_buf_reserve(out, ep__snap_entry_size(e)); /* one allocation; a failure sticks below */
    ep_buf_lenbytes(out, e->key.data, e->key.len);
    ep__snap_value_put(out, e);
    ep_buf_i64(out, e->expire_ms);
    return ep__snap_put_done(out, start);
}

/* ---- one value: [type][payload] (ember's serialize_snap_value) ------------ */

EP_API ep_result ep_snap_value_encode(ep_buf *out, const ep_snap_entry *e) {
    size_t start, size;
    ep_result r;
    if (!out) return EP_ERR_INVALID_ARG;
    if ((r = ep__snap_value_check(e)) != EP_OK) return r;
    if (out->err) return out->err;
    start = out->len;
    size = ep__snap_entry_size(e);
    (void)ep_buf_reserve(out, size == SIZE_MAX ? size : size - 12 - e->key.len);
    ep__snap_value_put(out, e);
    return ep__snap_put_done(out, start);
}

EP_API ep_result ep_snap_value_decode(const uint8_t *data, size_t len, ep_snap_entry *out, size_t *consumed) {
    ep_cursor c;
    ep_result r;
    if (!out || (!data && len)) return EP_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (consumed) *consumed = 0;
    ep_cursor_init(&c, data, len);
    out->type = ep_cursor_u8(&c);
    if (!c.err) ep__snap_payload(&c, out);
    out->expire_ms = -1;
    if (c.err) return c.err;
    /* The key is empty, which is valid UTF-8: the entry's content rules apply as they are. */
    if ((r = ep__snap_check_content(out)) != EP_OK) return r;
    if (consumed) *consumed = c.pos;
    return EP_OK;
}
