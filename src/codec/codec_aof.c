/* codec_aof: ember AOF records <-> ep_aof_record, and the ep_items walker
 * shared with the snapshot codec. */
#include "base/internal.h"
#include "codec/codec_aof.h"

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
        if (!ep__utf8_valid(item.a.data, item.a.len)) return EP_ERR_UTF8;
    }
    return EP_OK;
}

EP_API void ep_items_iter_init(ep_items_iter *it, const ep_items *items) {
    /* No pointer arithmetic on a NULL raw (undefined even for + 0). */
    it->p = items->raw.data;
    it->end = items->raw.data ? items->raw.data + items->raw.len : NULL;
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
    out->raw.data = buf->data ? buf->data + start : NULL;
    out->raw.len = buf->len - start;
    return EP_OK;
}

/* ---- records ----------------------------------------------------------- */

/* Each tag's payload as a string of field codes, in file order (§2.2):
 *   k key (str)     K key2 (str)    v value (bytes)  p pivot (bytes)
 *   n num (i64)     m num2 (i64)    f flag (u8)      g flag2 (u8)
 *   I items (u32 count + elements, kind from ep__aof_items_kind)
 *   V VADD dim (u32) + dim x f32    c connectivity (u32)  e expansion_add (u32)
 * One table drives frame, validate, size and encode, so they cannot drift.
 * Arrays, not pointers: the table is then its own section (-fdata-sections),
 * not a user of the compiler's shared string section, which would keep the
 * unrelated names of every other part in a firmware link (0.4 KiB). */
static const char ep__aof_layout[EP_AOF_TAG_MAX + 1][8] = {
    "",        "kvn", "k",    "kn",      "kI", "kI", "k",   "k",   "kI",  "kI",  "k",  "kn",
    "k",       "k",   "kI",   "kI",      "kKn", "kI", "kI",  "kn",  "kn",  "kv",  "kK", "kKvn",
    "kv",      "kKVfgce",     "kK",      "kKf", "knv", "knm", "kfpv", "knv", "knv", "knf", "fkI",
    "kn"};

static const char *const ep__aof_names[EP_AOF_TAG_MAX + 1] = {
    NULL,      "SET",     "DEL",     "EXPIRE",  "LPUSH",   "RPUSH",          "LPOP",
    "RPOP",    "ZADD",    "ZREM",    "PERSIST", "PEXPIRE", "INCR",           "DECR",
    "HSET",    "HDEL",    "HINCRBY", "SADD",    "SREM",    "INCRBY",         "DECRBY",
    "APPEND",  "RENAME",  "PROTO.SET", "PROTO.REGISTER", "VADD", "VREM",     "COPY",
    "LSET",    "LTRIM",   "LINSERT", "LREM",    "SETRANGE", "SETBIT",        "BITOP",
    "PEXPIREAT"};

static ep_items_kind ep__aof_items_kind(uint8_t tag) {
    switch (tag) {
    case EP_AOF_LPUSH:
    case EP_AOF_RPUSH: return EP_ITEMS_BYTES;
    case EP_AOF_ZADD: return EP_ITEMS_SCORE_MEMBER;
    case EP_AOF_HSET: return EP_ITEMS_FIELD_VALUE;
    case EP_AOF_ZREM:
    case EP_AOF_HDEL:
    case EP_AOF_SADD:
    case EP_AOF_SREM:
    case EP_AOF_BITOP: return EP_ITEMS_STR;
    default: return EP_ITEMS_NONE;
    }
}

EP_API const char *ep_aof_tag_name(uint8_t tag) {
    return (tag >= EP_AOF_TAG_MIN && tag <= EP_AOF_TAG_MAX) ? ep__aof_names[tag] : NULL;
}

static ep_bytes *ep__aof_field_bytes(ep_aof_record *rec, char code) {
    switch (code) {
    case 'k': return &rec->key;
    case 'K': return &rec->key2;
    case 'v': return &rec->value;
    default: return &rec->pivot;
    }
}

/* Reads one field of the layout into rec; caps checked as each number is read. */
static void ep__aof_frame_field(ep_cursor *c, char code, ep_aof_record *rec) {
    uint32_t n;
    switch (code) {
    case 'k': case 'K': case 'v': case 'p':
        *ep__aof_field_bytes(rec, code) = ep_cursor_lenbytes(c, EP_MAX_FIELD_LEN);
        break;
    case 'n': rec->num = ep_cursor_i64(c); break;
    case 'm': rec->num2 = ep_cursor_i64(c); break;
    case 'f': rec->flag = ep_cursor_u8(c); break;
    case 'g': rec->flag2 = ep_cursor_u8(c); break;
    case 'c': rec->connectivity = ep_cursor_u32(c); break;
    case 'e': rec->expansion_add = ep_cursor_u32(c); break;
    case 'I':
        n = ep_cursor_u32(c);
        if (c->err) break;
        if (n > EP_MAX_COLLECTION_COUNT) { ep_cursor_fail(c, EP_ERR_LIMIT); break; }
        ep__items_read(c, ep__aof_items_kind(rec->tag), n, 0, &rec->items);
        break;
    case 'V':
        n = ep_cursor_u32(c);
        if (c->err) break;
        if (n > EP_MAX_VECTOR_DIMS) { ep_cursor_fail(c, EP_ERR_LIMIT); break; }
        rec->dim = n;
        rec->vector.data = ep_cursor_take(c, (size_t)n * 4u);
        rec->vector.len = rec->vector.data ? (size_t)n * 4u : 0;
        break;
    default: ep_cursor_fail(c, EP_ERR_INVALID_ARG); break;
    }
}

/* ---- fast framing ------------------------------------------------------
 * The tags a real AOF is made of (SET, DEL, INCR, PEXPIRE, RPUSH, HSET, SADD
 * ... every tag whose layout is "k", "kn", "kvn" or "kI") are framed here
 * with plain loads and one bounds check per field, no cursor. Each returns 0
 * when the record is not complete and within every cap; ep_aof_frame then
 * runs the general walk, which reports exactly what is wrong, so errors,
 * their kinds and offsets come from one place only. */

/* Every field zero, one store each: a memset of the whole record becomes
 * `rep stos` at -O2, whose start-up cost was a quarter of a small record's
 * framing. */
static void ep__aof_record_clear(ep_aof_record *rec, uint8_t tag) {
    rec->tag = tag;
    rec->flag = rec->flag2 = 0;
    rec->key.data = rec->key2.data = rec->value.data = rec->pivot.data = NULL;
    rec->key.len = rec->key2.len = rec->value.len = rec->pivot.len = 0;
    rec->num = rec->num2 = 0;
    rec->items.count = rec->items.dim = 0;
    rec->items.kind = EP_ITEMS_NONE;
    rec->items.raw.data = NULL;
    rec->items.raw.len = 0;
    rec->dim = rec->connectivity = rec->expansion_add = 0;
    rec->vector.data = NULL;
    rec->vector.len = 0;
}

/* One u32-prefixed field at p: its end, or NULL if it passes end or its cap. */
static const uint8_t *ep__aof_fast_field(const uint8_t *p, const uint8_t *end, ep_bytes *out) {
    uint32_t n;
    if ((size_t)(end - p) < 4) return NULL;
    n = ep_load_u32le(p);
    if (n > EP_MAX_FIELD_LEN || (size_t)(end - p) - 4 < n) return NULL;
    out->data = p + 4;
    out->len = n;
    return p + 4 + n;
}

/* The elements of an items run (count already capped); their end or NULL. */
static const uint8_t *ep__aof_fast_items(const uint8_t *p, const uint8_t *end, ep_items_kind kind, uint32_t count) {
    ep_bytes b;
    uint32_t i;
    for (i = 0; i < count && p; i++) {
        if (kind == EP_ITEMS_SCORE_MEMBER) {
            if ((size_t)(end - p) < 8) return NULL;
            p += 8;
        }
        p = ep__aof_fast_field(p, end, &b);
        if (p && kind == EP_ITEMS_FIELD_VALUE) p = ep__aof_fast_field(p, end, &b);
    }
    return p;
}

/* The layouts the fast path takes, read off the tag's layout string (so the
 * one table stays the only description of a tag). */
typedef enum ep__aof_shape { EP__SHAPE_OTHER, EP__SHAPE_K, EP__SHAPE_KN, EP__SHAPE_KVN, EP__SHAPE_KI } ep__aof_shape;

static ep__aof_shape ep__aof_shape_of(const char *l) {
    if (l[0] != 'k') return EP__SHAPE_OTHER;
    if (l[1] == '\0') return EP__SHAPE_K;
    if (l[1] == 'n' && l[2] == '\0') return EP__SHAPE_KN;
    if (l[1] == 'I' && l[2] == '\0') return EP__SHAPE_KI;
    if (l[1] == 'v' && l[2] == 'n' && l[3] == '\0') return EP__SHAPE_KVN;
    return EP__SHAPE_OTHER;
}

/* d[0] is a known tag. Fills rec and *consumed and returns 1, or returns 0
 * for the general path (which clears rec again). The fields are read
 * straight into rec, with no copies on the stack to move over afterwards. */
static int ep__aof_frame_fast(const uint8_t *d, size_t len, ep_aof_record *rec, size_t *consumed) {
    const uint8_t *end = d + len, *p;
    ep__aof_shape shape = ep__aof_shape_of(ep__aof_layout[d[0]]);
    if (shape == EP__SHAPE_OTHER) return 0;
    ep__aof_record_clear(rec, d[0]);
    if ((p = ep__aof_fast_field(d + 1, end, &rec->key)) == NULL) return 0;
    if (shape == EP__SHAPE_KVN && (p = ep__aof_fast_field(p, end, &rec->value)) == NULL) return 0;
    if (shape == EP__SHAPE_KN || shape == EP__SHAPE_KVN) {
        if ((size_t)(end - p) < 8) return 0;
        rec->num = ep_load_i64le(p);
        p += 8;
    } else if (shape == EP__SHAPE_KI) {
        uint32_t count;
        ep_items_kind kind = ep__aof_items_kind(d[0]);
        if ((size_t)(end - p) < 4) return 0;
        count = ep_load_u32le(p);
        if (count > EP_MAX_COLLECTION_COUNT) return 0;
        rec->items.raw.data = p + 4;
        if ((p = ep__aof_fast_items(p + 4, end, kind, count)) == NULL) return 0;
        rec->items.count = count;
        rec->items.kind = (uint8_t)kind;
        rec->items.raw.len = (size_t)(p - rec->items.raw.data);
    }
    *consumed = (size_t)(p - d);
    return 1;
}

EP_API ep_result ep_aof_frame(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed) {
    ep_cursor c;
    const char *f;
    uint8_t tag;
    if (EP__FAST_DECODE && len && data[0] >= EP_AOF_TAG_MIN && data[0] <= EP_AOF_TAG_MAX &&
        ep__aof_frame_fast(data, len, rec, consumed))
        return EP_OK;
    memset(rec, 0, sizeof *rec);
    *consumed = 0;
    ep_cursor_init(&c, data, len);
    tag = ep_cursor_u8(&c);
    if (c.err) return EP_ERR_EOF;
    rec->tag = tag;
    if (tag < EP_AOF_TAG_MIN || tag > EP_AOF_TAG_MAX) {
        *consumed = 1;
        return EP_ERR_UNKNOWN_TAG;
    }
    for (f = ep__aof_layout[tag]; *f && !c.err; f++) ep__aof_frame_field(&c, *f, rec);
    /* On failure consumed tells where it was noticed (for error offsets). */
    *consumed = c.err == EP_ERR_EOF ? len : c.pos;
    return c.err;
}

static int ep__aof_negative_forbidden(uint8_t tag) {
    return tag == EP_AOF_EXPIRE || tag == EP_AOF_PEXPIRE || tag == EP_AOF_PEXPIREAT;
}

EP_API ep_result ep_aof_validate(const ep_aof_record *rec) {
    const char *f;
    if (rec->tag < EP_AOF_TAG_MIN || rec->tag > EP_AOF_TAG_MAX) return EP_ERR_UNKNOWN_TAG;
    /* ember reads BITOP's op first and rejects it before the keys. */
    if (rec->tag == EP_AOF_BITOP && rec->flag > EP_BITOP_NOT) return EP_ERR_BAD_VALUE;
    for (f = ep__aof_layout[rec->tag]; *f; f++) {
        if (*f == 'k' && !ep__utf8_valid(rec->key.data, rec->key.len)) return EP_ERR_UTF8;
        if (*f == 'K' && !ep__utf8_valid(rec->key2.data, rec->key2.len)) return EP_ERR_UTF8;
        if (*f == 'I' && ep__items_check_utf8(&rec->items) != EP_OK) return EP_ERR_UTF8;
    }
    if (ep__aof_negative_forbidden(rec->tag) && rec->num < 0) return EP_ERR_BAD_VALUE;
    return EP_OK;
}

EP_API ep_result ep_aof_decode(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed) {
    ep_result r = ep_aof_frame(data, len, rec, consumed);
    return r ? r : ep_aof_validate(rec);
}

/* The items of rec must be exactly count elements of the tag's kind filling
 * raw, and within the reader's caps: the writer never produces a record its
 * own reader would refuse (ember's writer does, bug §8.14). */
static ep_result ep__aof_items_check(const ep_aof_record *rec) {
    ep_items_kind kind = ep__aof_items_kind(rec->tag);
    ep_items chk;
    ep_cursor c;
    if (rec->items.count > EP_MAX_COLLECTION_COUNT) return EP_ERR_LIMIT;
    if (rec->items.count == 0 && rec->items.raw.len == 0) return EP_OK;
    if (rec->items.kind != (uint8_t)kind) return EP_ERR_INVALID_ARG;
    ep_cursor_init(&c, rec->items.raw.data, rec->items.raw.len);
    ep__items_read(&c, kind, rec->items.count, 0, &chk);
    if (c.err == EP_ERR_LIMIT) return EP_ERR_LIMIT;
    if (c.err || c.pos != rec->items.raw.len) return EP_ERR_INVALID_ARG;
    return EP_OK;
}

/* Encoded size of tag + payload, checking every argument on the way. */
static ep_result ep__aof_encoded_size(const ep_aof_record *rec, size_t *out) {
    size_t total = 1, add = 0;
    const char *f;
    ep_result r;
    if (rec->tag < EP_AOF_TAG_MIN || rec->tag > EP_AOF_TAG_MAX) return EP_ERR_INVALID_ARG;
    for (f = ep__aof_layout[rec->tag]; *f; f++) {
        switch (*f) {
        case 'k': case 'K': case 'v': case 'p': {
            ep_bytes b = *f == 'k' ? rec->key : *f == 'K' ? rec->key2 : *f == 'v' ? rec->value : rec->pivot;
            if (b.len > EP_MAX_FIELD_LEN) return EP_ERR_LIMIT;
            if (b.len && !b.data) return EP_ERR_INVALID_ARG;
            add = 4 + b.len;
            break;
        }
        case 'n': case 'm': add = 8; break;
        case 'f': case 'g': add = 1; break;
        case 'c': case 'e': add = 4; break;
        case 'I':
            if ((r = ep__aof_items_check(rec)) != EP_OK) return r;
            add = 4 + rec->items.raw.len;
            break;
        case 'V':
            if (rec->dim > EP_MAX_VECTOR_DIMS) return EP_ERR_LIMIT;
            if (rec->vector.len != (size_t)rec->dim * 4u || (rec->dim && !rec->vector.data))
                return EP_ERR_INVALID_ARG;
            add = 4 + rec->vector.len;
            break;
        default: return EP_ERR_INVALID_ARG;
        }
        if (!ep__add_size(total, add, &total)) return EP_ERR_LIMIT;
    }
    *out = total;
    return EP_OK;
}

static uint8_t *ep__aof_put_bytes(uint8_t *p, ep_bytes b) {
    ep_store_u32le(p, (uint32_t)b.len);
    if (b.len) memcpy(p + 4, b.data, b.len);
    return p + 4 + b.len;
}

/* SET's bytes (tag, key, value, expire_ms), in the one place that writes
 * them: ep__aof_write and the AOF writer's SET fast path (file/aof.c), which
 * reserves ep__aof_set_size bytes and adds the CRC itself. */
EP__PRIV size_t ep__aof_set_size(size_t key_len, size_t value_len) {
    return 1 + 4 + key_len + 4 + value_len + 8;
}

EP__PRIV uint8_t *ep__aof_write_set(uint8_t *p, ep_bytes key, ep_bytes value, int64_t expire_ms) {
    *p++ = EP_AOF_SET;
    p = ep__aof_put_bytes(p, key);
    p = ep__aof_put_bytes(p, value);
    ep_store_i64le(p, expire_ms);
    return p + 8;
}

/* Writes tag + payload to p (size already checked by ep__aof_encoded_size). */
static uint8_t *ep__aof_write(uint8_t *p, const ep_aof_record *rec) {
    const char *f;
    if (rec->tag == EP_AOF_SET) return ep__aof_write_set(p, rec->key, rec->value, rec->num);
    *p++ = rec->tag;
    for (f = ep__aof_layout[rec->tag]; *f; f++) {
        switch (*f) {
        case 'k': p = ep__aof_put_bytes(p, rec->key); break;
        case 'K': p = ep__aof_put_bytes(p, rec->key2); break;
        case 'v': p = ep__aof_put_bytes(p, rec->value); break;
        case 'p': p = ep__aof_put_bytes(p, rec->pivot); break;
        case 'n': ep_store_i64le(p, rec->num); p += 8; break;
        case 'm': ep_store_i64le(p, rec->num2); p += 8; break;
        case 'f': *p++ = rec->flag; break;
        case 'g': *p++ = rec->flag2; break;
        case 'c': ep_store_u32le(p, rec->connectivity); p += 4; break;
        case 'e': ep_store_u32le(p, rec->expansion_add); p += 4; break;
        case 'I':
            ep_store_u32le(p, rec->items.count);
            if (rec->items.raw.len) memcpy(p + 4, rec->items.raw.data, rec->items.raw.len);
            p += 4 + rec->items.raw.len;
            break;
        case 'V':
            ep_store_u32le(p, rec->dim);
            if (rec->vector.len) memcpy(p + 4, rec->vector.data, rec->vector.len);
            p += 4 + rec->vector.len;
            break;
        default: break;
        }
    }
    return p;
}

/* Encodes into out at its end, growing it once. Shared with the AOF writer,
 * which encodes straight into its write buffer. */
EP__PRIV ep_result ep__aof_encode_into(ep_buf *out, const ep_aof_record *rec, size_t *size) {
    ep_result r;
    size_t n;
    if (out->err) return out->err;
    if ((r = ep__aof_encoded_size(rec, &n)) != EP_OK) return r;
    if ((r = ep_buf_reserve(out, n)) != EP_OK) {
        out->err = EP_OK; /* nothing was written; leave the buffer usable */
        return r;
    }
    ep__aof_write(out->data + out->len, rec);
    out->len += n;
    if (size) *size = n;
    return EP_OK;
}

EP_API ep_result ep_aof_encode(ep_buf *out, const ep_aof_record *rec) {
    return ep__aof_encode_into(out, rec, NULL);
}
