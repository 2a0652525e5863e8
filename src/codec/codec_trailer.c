/* codec_trailer: the snapshot trailer (see codec_trailer.h). */
#include "base/internal.h"
#include "check/crc.h"
#include "codec/codec_aof.h"
#include "codec/codec_trailer.h"

EP_API void ep_trailer_slot_encode(uint8_t out[EP_TRAILER_SLOT_SIZE], uint64_t covered_len, uint64_t covered_hash) {
    ep_store_u64le(out, covered_len);
    ep_store_u64le(out + 8, covered_hash);
    ep_store_u32le(out + 16, ep_crc32(out, 16));
}

static int ep__trailer_slot_valid(const uint8_t *s) {
    return ep_crc32(s, 16) == ep_load_u32le(s + 16);
}

EP_API ep_result ep_trailer_encode(ep_buf *out, const ep_trailer_schema *schemas, uint32_t n, uint64_t covered_len,
                                   uint64_t covered_hash) {
    size_t start, i;
    uint8_t slot[EP_TRAILER_SLOT_SIZE];
    if (!out || (n && !schemas)) return EP_ERR_INVALID_ARG;
    for (i = 0; i < n; i++) {
        const ep_trailer_schema *s = &schemas[i];
        if (s->name.len > EP_MAX_FIELD_LEN || s->descriptor.len > EP_MAX_FIELD_LEN) return EP_ERR_LIMIT;
        if (!ep_utf8_valid(s->name.data, s->name.len)) return EP_ERR_UTF8;
    }
    if (out->err) return out->err;
    start = out->len;
    ep_buf_put(out, EP_TRAILER_MAGIC, 4);
    ep_buf_u8(out, EP_TRAILER_VERSION);
    ep_buf_u32(out, n);
    for (i = 0; i < n; i++) {
        ep_buf_lenbytes(out, schemas[i].name.data, schemas[i].name.len);
        ep_buf_lenbytes(out, schemas[i].descriptor.data, schemas[i].descriptor.len);
    }
    if (!out->err) ep_buf_u32(out, ep_crc32(out->data + start, out->len - start));
    ep_trailer_slot_encode(slot, covered_len, covered_hash);
    ep_buf_put(out, slot, sizeof slot);
    ep_buf_put(out, slot, sizeof slot);
    if (out->err) {
        ep_result r = out->err;
        out->len = start;
        out->err = EP_OK;
        return r;
    }
    return EP_OK;
}

/* The head: magic, version, schemas, CRC. Sets version, schemas and the
 * offset just after the head in *head_len. */
static ep_result ep__trailer_head(const uint8_t *data, size_t len, ep_trailer_info *out, size_t *head_len) {
    ep_cursor c;
    const uint8_t *magic;
    size_t start;
    uint32_t i;
    ep_cursor_init(&c, data, len);
    magic = ep_cursor_take(&c, 4);
    if (!magic) return EP_ERR_EOF;
    if (memcmp(magic, EP_TRAILER_MAGIC, 4) != 0) return EP_ERR_BAD_MAGIC;
    out->version = ep_cursor_u8(&c);
    if (c.err) return c.err;
    if (out->version != 1 && out->version != 2) return EP_ERR_BAD_VERSION;
    out->schema_count = ep_cursor_u32(&c);
    start = c.pos;
    for (i = 0; i < out->schema_count && !c.err; i++) {
        (void)ep_cursor_lenstr(&c, EP_MAX_FIELD_LEN);
        (void)ep_cursor_lenbytes(&c, EP_MAX_FIELD_LEN);
    }
    if (c.err) return c.err;
    out->schemas = ep_bytes_of(data + start, c.pos - start);
    if (ep_cursor_remaining(&c) < 4) return EP_ERR_EOF;
    if (ep_crc32(data, c.pos) != ep_load_u32le(data + c.pos)) return EP_ERR_CHECKSUM;
    *head_len = c.pos + 4;
    return EP_OK;
}

EP_API ep_result ep_trailer_decode(const uint8_t *data, size_t len, ep_trailer_info *out) {
    size_t head = 0, nslots, i;
    ep_result r;
    if (!out || (!data && len)) return EP_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if ((r = ep__trailer_head(data, len, out, &head)) != EP_OK) {
        uint8_t v = out->version;
        memset(out, 0, sizeof *out);
        out->version = v;
        return r;
    }
    nslots = out->version == 1 ? 1 : 2;
    if (len - head < nslots * EP_TRAILER_SLOT_SIZE) {
        out->schema_count = 0;
        out->schemas = ep_bytes_of(NULL, 0);
        return EP_ERR_EOF;
    }
    out->hash_from = out->version == 1 ? 0 : EP_TRAILER_V2_HASH_FROM;
    for (i = 0; i < nslots; i++) {
        out->slot_offset[i] = head + i * EP_TRAILER_SLOT_SIZE;
        if (ep__trailer_slot_valid(data + out->slot_offset[i])) out->slots_valid |= 1u << i;
    }
    /* The newest slot that reads: slot 1 holds ep_shard_rewrite's update. */
    for (i = nslots; i-- > 0;) {
        if (out->slots_valid & (1u << i)) {
            out->covered_valid = 1;
            out->covered_len = ep_load_u64le(data + out->slot_offset[i]);
            out->covered_hash = ep_load_u64le(data + out->slot_offset[i] + 8);
            break;
        }
    }
    out->length = head + nslots * EP_TRAILER_SLOT_SIZE;
    out->extra = len - out->length;
    return EP_OK;
}

EP_API int ep_trailer_schema_next(const ep_trailer_info *t, size_t *pos, ep_bytes *name, ep_bytes *descriptor) {
    ep_cursor c;
    if (!t || !pos || *pos >= t->schemas.len) return 0;
    ep_cursor_init(&c, t->schemas.data, t->schemas.len);
    c.pos = *pos;
    *name = ep_cursor_lenbytes(&c, EP_MAX_FIELD_LEN);
    *descriptor = ep_cursor_lenbytes(&c, EP_MAX_FIELD_LEN);
    if (c.err) return 0;
    *pos = c.pos;
    return 1;
}
