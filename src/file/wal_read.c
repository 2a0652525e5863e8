/* wal_read: segment names, the directory's segment list and the segment
 * scanner shared by the writer's open and by recovery (wal_internal.h).
 * Every rule about what a frame sequence may look like lives here. */
#include "base/internal.h"
#include "file/wal_internal.h"

#ifndef EP_NO_WAL

#define EP__WAL_DEFAULT_READ (256u * 1024u)

EP_API ep_result ep_wal_segment_name(uint64_t segment_id, char *out, size_t cap) {
    int n;
    if (!out || cap == 0) return EP_ERR_INVALID_ARG;
    n = snprintf(out, cap, "wal_%020llu.log", (unsigned long long)segment_id);
    if (n < 0 || (size_t)n >= cap) return EP_ERR_LIMIT;
    return EP_OK;
}

EP_API int ep_wal_parse_segment_name(const char *name, uint64_t *segment_id) {
    size_t n, i, digits;
    uint64_t v = 0;
    if (!name) return 0;
    n = strlen(name);
    if (n < 9 || memcmp(name, "wal_", 4) != 0 || strcmp(name + n - 4, ".log") != 0) return 0;
    digits = n - 8;
    if (digits > 20) return 0;
    for (i = 0; i < digits; i++) {
        char c = name[4 + i];
        unsigned d;
        if (c < '0' || c > '9') return 0;
        d = (unsigned)(c - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (v == 0) return 0;
    if (segment_id) *segment_id = v;
    return 1;
}

EP__PRIV ep_result ep__wal_seg_path(const char *dir, uint64_t seg_id, char *out, size_t cap) {
    char name[40];
    ep_result r = ep_wal_segment_name(seg_id, name, sizeof name);
    return r != EP_OK ? r : ep_path_join(out, cap, dir, name);
}

EP_API void ep_wal_read_config_init(ep_wal_read_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = EP_WAL_STRICT;
    cfg->read_bytes = EP__WAL_DEFAULT_READ;
}

/* ---- the segment list ------------------------------------------------------------ */

typedef struct ep__wal_list_ctx {
    ep__wal_list *l;
    ep_result r;
    uint64_t dup;
} ep__wal_list_ctx;

static int ep__wal_list_fn(void *ctx, const char *name) {
    ep__wal_list_ctx *c = (ep__wal_list_ctx *)ctx;
    ep__wal_list *l = c->l;
    uint64_t id;
    if (!ep_wal_parse_segment_name(name, &id)) return 0; /* stray names are not segments */
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16, bytes;
        uint64_t *ni;
        if (!ep__mul_size(ncap, sizeof *ni, &bytes) ||
            !(ni = (uint64_t *)ep_realloc(l->alloc, l->ids, bytes))) {
            c->r = EP_ERR_NOMEM;
            return 1;
        }
        l->ids = ni;
        l->cap = ncap;
    }
    l->ids[l->n++] = id;
    return 0;
}

static int ep__u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

EP__PRIV ep_result ep__wal_list_dir(ep_vfs *vfs, const ep_allocator *alloc, const char *dir, ep__wal_list *out,
                                    ep_error *err) {
    ep__wal_list_ctx c;
    ep_result r;
    size_t i;
    memset(out, 0, sizeof *out);
    out->alloc = alloc;
    c.l = out;
    c.r = EP_OK;
    c.dup = 0;
    r = vfs->list(vfs, dir, ep__wal_list_fn, &c, err);
    if (r == EP_OK && c.r != EP_OK) r = ep_error_set(err, c.r, UINT64_MAX, "wal %s: out of memory listing", dir);
    if (r != EP_OK) {
        ep__wal_list_free(out);
        return r;
    }
    if (out->n > 1) qsort(out->ids, out->n, sizeof *out->ids, ep__u64_cmp);
    /* Two names for one number (wal_7.log and wal_0007.log): which is it? */
    for (i = 1; i < out->n; i++) {
        if (out->ids[i] == out->ids[i - 1]) {
            uint64_t id = out->ids[i];
            ep__wal_list_free(out);
            return ep_error_set(err, EP_ERR_CORRUPT, UINT64_MAX, "wal %s: two files name segment %llu", dir,
                                (unsigned long long)id);
        }
    }
    return EP_OK;
}

EP__PRIV void ep__wal_list_free(ep__wal_list *l) {
    ep_free(l->alloc, l->ids);
    l->ids = NULL;
    l->n = l->cap = 0;
}

/* ---- the read window ----------------------------------------------------------------- */

EP__PRIV void ep__wal_reader_init(ep__wal_reader *rd, ep_vfs *vfs, const ep_allocator *alloc, size_t read_bytes,
                                  uint32_t max_record) {
    memset(rd, 0, sizeof *rd);
    rd->vfs = vfs;
    rd->alloc = alloc;
    if (max_record == 0 || max_record > EP_WAL_MAX_RECORD) max_record = EP_WAL_MAX_RECORD;
    rd->max = (size_t)max_record + EP_WAL_FRAME_HEADER_SIZE;
    rd->chunk = read_bytes ? read_bytes : EP__WAL_DEFAULT_READ;
    if (rd->chunk < 4096) rd->chunk = 4096;
}

EP__PRIV void ep__wal_reader_free(ep__wal_reader *rd) { (void)rd; }

/* Loads min(n, what the file has left) bytes at the read position. */
static ep_result ep__wal_load(ep__rstream *s, size_t n, size_t *avail) {
    uint64_t left = ep__rs_left(s);
    size_t want = left < (uint64_t)n ? (size_t)left : n;
    *avail = want;
    return want && ep__rs_avail(s) < want ? ep__rs_fill(s, want) : EP_OK;
}

/* Eight bytes a step: every frame's first 16 bytes pass through here. */
static int ep__all_zero(const uint8_t *p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (v) return 0;
    }
    for (; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* Are all bytes of f from `from` to its end zero? (A stream of its own.) */
static ep_result ep__wal_zeros_to_eof(ep__wal_reader *rd, ep_file *f, uint64_t from, int *yes, ep_error *err) {
    ep__rstream s;
    ep_result r = ep__rs_init(&s, rd->vfs, f, rd->alloc, from, rd->chunk, rd->max, err);
    *yes = 1;
    while (r == EP_OK && ep__rs_left(&s) > 0) {
        size_t avail;
        if ((r = ep__wal_load(&s, rd->chunk, &avail)) != EP_OK) break;
        if (!ep__all_zero(ep__rs_ptr(&s), avail)) {
            *yes = 0;
            break;
        }
        ep__rs_skip(&s, avail);
    }
    ep__rs_free(&s);
    return r;
}

/* Does a valid frame with an id after last_id start anywhere in [from, EOF)?
 * (Damage followed by valid frames is corruption, never a torn tail.) Only
 * plausible headers are CRC-checked: id in range, length fits. */
static ep_result ep__wal_valid_after(ep__wal_reader *rd, ep_file *f, uint64_t from, uint64_t last_id,
                                     uint32_t max_record, int *found, ep_error *err) {
    ep__rstream s;
    ep_result r = ep__rs_init(&s, rd->vfs, f, rd->alloc, from, rd->chunk, rd->max, err);
    *found = 0;
    while (r == EP_OK) {
        const uint8_t *p;
        size_t avail, need;
        uint64_t id, left = ep__rs_left(&s);
        uint32_t plen;
        ep_wal_frame fr;
        if ((r = ep__wal_load(&s, EP_WAL_FRAME_HEADER_SIZE, &avail)) != EP_OK || avail < EP_WAL_FRAME_HEADER_SIZE)
            break;
        p = ep__rs_ptr(&s);
        plen = ep_load_u32le(p) & ~EP_WAL_FRAME_BATCH;
        id = ep_load_u64le(p + 4);
        if (id > last_id && id - last_id <= left / EP_WAL_FRAME_HEADER_SIZE + 1 && plen <= max_record &&
            (uint64_t)plen <= left - EP_WAL_FRAME_HEADER_SIZE) {
            need = EP_WAL_FRAME_HEADER_SIZE + (size_t)plen;
            if ((r = ep__rs_fill(&s, need)) != EP_OK) break;
            if (ep_wal_frame_decode(ep__rs_ptr(&s), need, max_record, &fr, NULL) == EP_OK) {
                *found = 1;
                break;
            }
        }
        ep__rs_skip(&s, 1);
    }
    ep__rs_free(&s);
    return r;
}

static ep_result ep__wal_scan_fail(ep_error *err, ep_wal_segment_info *info, ep_result code, uint64_t off,
                                   uint64_t id, const char *path, const char *what) {
    info->end = EP_WAL_SEG_ERROR;
    ep_error_set(err, code, off, "wal segment %s: %s at offset %llu (id %llu)", path, what,
                 (unsigned long long)off, (unsigned long long)id);
    if (err) err->index = id;
    return code;
}

EP__PRIV ep_result ep__wal_read_header(ep_vfs *vfs, const char *path, uint64_t seg_id, ep_wal_segment_header *h,
                                       uint64_t *size, ep_error *err) {
    uint8_t b[EP_WAL_SEGMENT_HEADER_SIZE];
    ep_file *f = NULL;
    size_t got = 0;
    ep_result r = vfs->open(vfs, path, EP_OPEN_READ, &f, err);
    if (r != EP_OK) return r;
    r = vfs->size(vfs, f, size, err);
    if (r == EP_OK) r = vfs->read(vfs, f, 0, b, sizeof b, &got, err);
    vfs->close(vfs, f, NULL);
    if (r != EP_OK) return r;
    r = ep_wal_segment_header_decode(b, got, h);
    if (r != EP_OK) return ep_error_set(err, r, 0, "wal segment %s: bad header (%s)", path, ep_result_str(r));
    if (h->segment_id != seg_id)
        return ep_error_set(err, EP_ERR_CORRUPT, 8, "wal segment %s: header says segment %llu", path,
                            (unsigned long long)h->segment_id);
    return EP_OK;
}

/* The bytes at pos failed as a frame (code); is it the torn end of the
 * final segment, tolerated by this scan? frame_end is where the frame claims
 * to end (past EOF for a frame cut short). */
static ep_result ep__wal_torn_ok(ep__wal_reader *rd, ep_file *f, uint64_t size, const ep__wal_scan *sc,
                                 uint64_t pos, uint64_t frame_end, ep_result code, uint64_t last_id,
                                 uint32_t max_record, int *torn, ep_error *err) {
    int found = 0, zeros = 0;
    ep_result r;
    *torn = 0;
    if (!sc->final) return EP_OK;
    if (frame_end > size) {
        /* Cut short at EOF: torn unless a valid frame starts in what follows. */
        r = ep__wal_valid_after(rd, f, pos + 1, last_id, max_record, &found, err);
        if (r != EP_OK) return r;
        *torn = !found;
        return EP_OK;
    }
    /* A torn write into preallocated space: the frame's own last byte and
     * everything after it are zeros. */
    if (code != EP_ERR_LIMIT) {
        r = ep__wal_zeros_to_eof(rd, f, frame_end - 1, &zeros, err);
        if (r != EP_OK) return r;
        if (zeros) {
            *torn = 1;
            return EP_OK;
        }
    }
    if (sc->repair) {
        r = ep__wal_valid_after(rd, f, pos + 1, last_id, max_record, &found, err);
        if (r != EP_OK) return r;
        *torn = !found;
    }
    return EP_OK;
}

/* Passes the frame's records through the scan's filter; EP_END at the ceiling or when fn stops. */
static ep_result ep__wal_deliver(const ep__wal_scan *sc, const ep_wal_frame *fr, uint64_t *delivered,
                                 uint64_t *last_delivered, uint64_t *last_id) {
    size_t pos = 0;
    ep_bytes rec;
    uint64_t id = fr->id;
    if (!fr->batch) { /* the common frame: one record, the payload itself */
        if (sc->ceiling && id > sc->ceiling) return EP_END;
        *last_id = id;
        if (id <= sc->after_id || !sc->fn) return EP_OK;
        (*delivered)++;
        *last_delivered = id;
        return sc->fn(sc->user, id, fr->payload.data, fr->payload.len);
    }
    while (ep_wal_frame_next(fr, &pos, &rec)) {
        if (sc->ceiling && id > sc->ceiling) return EP_END;
        *last_id = id;
        if (id > sc->after_id && sc->fn) {
            ep_result r = sc->fn(sc->user, id, rec.data, rec.len);
            (*delivered)++;
            *last_delivered = id;
            if (r != EP_OK) return r;
        }
        id++;
    }
    return EP_OK;
}

EP__PRIV ep_result ep__wal_scan_segment(ep__wal_reader *rd, const ep__wal_scan *sc, ep_wal_segment_info *info,
                                        uint64_t *delivered, uint64_t *last_delivered, ep_error *err) {
    ep_vfs *vfs = rd->vfs;
    ep_wal_segment_header h;
    ep__rstream s;
    ep_file *f = NULL;
    size_t avail;
    uint64_t next, size;
    uint32_t max_record = sc->max_record ? sc->max_record : EP_WAL_MAX_RECORD;
    int best = sc->mode == EP_WAL_BEST_EFFORT;
    ep_result r;
    uint64_t dummy_d = 0, dummy_l = 0;
    if (!delivered) delivered = &dummy_d;
    if (!last_delivered) last_delivered = &dummy_l;
    if (max_record > EP_WAL_MAX_RECORD) max_record = EP_WAL_MAX_RECORD;
    memset(info, 0, sizeof *info);
    memset(&s, 0, sizeof s);
    info->segment_id = sc->segment_id;
    r = vfs->open(vfs, sc->path, EP_OPEN_READ, &f, err);
    if (r != EP_OK) return r;
    r = ep__rs_init(&s, vfs, f, rd->alloc, 0, rd->chunk, rd->max, err);
    if (r != EP_OK) goto done;
    size = ep__rs_left(&s);
    info->file_bytes = size;
    if ((r = ep__wal_load(&s, EP_WAL_SEGMENT_HEADER_SIZE, &avail)) != EP_OK) goto done;
    r = ep_wal_segment_header_decode(ep__rs_ptr(&s), avail, &h);
    if (r != EP_OK) {
        /* A torn create: the header never fully reached the disk. */
        int torn = sc->final && (avail < EP_WAL_SEGMENT_HEADER_SIZE || sc->repair);
        if (torn && (best || sc->repair)) {
            info->end = EP_WAL_SEG_SHORT;
            r = EP_OK;
            goto done;
        }
        r = ep__wal_scan_fail(err, info, avail < EP_WAL_SEGMENT_HEADER_SIZE ? EP_ERR_EOF : r, 0, 0, sc->path,
                              avail < EP_WAL_SEGMENT_HEADER_SIZE ? "shorter than its header" : "bad header");
        goto done;
    }
    if (h.segment_id != sc->segment_id) {
        r = ep__wal_scan_fail(err, info, EP_ERR_CORRUPT, 8, 0, sc->path, "header names another segment");
        goto done;
    }
    if (sc->expect_first && h.first_id != sc->expect_first) {
        r = ep__wal_scan_fail(err, info, EP_ERR_GAP, 16, h.first_id, sc->path,
                              "first id does not continue the previous segment");
        goto done;
    }
    ep__rs_skip(&s, EP_WAL_SEGMENT_HEADER_SIZE);
    info->first_id = h.first_id;
    info->last_id = h.first_id - 1;
    info->valid_bytes = EP_WAL_SEGMENT_HEADER_SIZE;
    next = h.first_id;
    for (;;) {
        ep_wal_frame fr;
        uint64_t pos = ep__rs_offset(&s);
        size_t need = EP_WAL_FRAME_HEADER_SIZE;
        int torn = 0, zeros = 0;
        if (pos == size) {
            info->end = EP_WAL_SEG_CLEAN;
            break;
        }
        if ((r = ep__wal_load(&s, EP_WAL_FRAME_HEADER_SIZE, &avail)) != EP_OK) goto done;
        /* Everything loaded: a frame already in the buffer decodes (and
         * is CRC-checked) once, in place. A valid frame is never zeros
         * (its id is >= 1), so the padding test waits for a failure. */
        avail = ep__rs_avail(&s);
        r = ep_wal_frame_decode(ep__rs_ptr(&s), avail, max_record, &fr, &need);
        if (r != EP_OK && ep__all_zero(ep__rs_ptr(&s), EP__MIN(avail, (size_t)EP_WAL_FRAME_HEADER_SIZE))) {
            /* Zero padding runs to the end (preallocation), in every mode. */
            if ((r = ep__wal_zeros_to_eof(rd, f, pos, &zeros, err)) != EP_OK) goto done;
            if (zeros) {
                info->end = EP_WAL_SEG_ZEROS;
                break;
            }
            if (avail >= EP_WAL_FRAME_HEADER_SIZE) {
                r = ep__wal_scan_fail(err, info, EP_ERR_CORRUPT, pos, next, sc->path, "zeros followed by data");
                goto done;
            }
        }
        if (r == EP_ERR_EOF && avail >= EP_WAL_FRAME_HEADER_SIZE && need > avail) {
            ep_result q = ep__wal_load(&s, need, &avail);
            if (q != EP_OK) {
                r = q;
                goto done;
            }
            r = ep_wal_frame_decode(ep__rs_ptr(&s), avail, max_record, &fr, &need);
        }
        if (r != EP_OK) {
            ep_result code = r;
            r = ep__wal_torn_ok(rd, f, size, sc, pos, pos + need, code, next - 1, max_record, &torn, err);
            if (r != EP_OK) goto done;
            if (torn && (best || sc->repair)) {
                info->end = EP_WAL_SEG_TORN;
                break;
            }
            r = ep__wal_scan_fail(err, info, torn ? EP_ERR_EOF : code, pos, next, sc->path,
                                  torn ? "torn last frame (strict mode)"
                                  : code == EP_ERR_CHECKSUM ? "CRC mismatch"
                                  : code == EP_ERR_LIMIT ? "frame length over the cap"
                                  : code == EP_ERR_EOF ? "frame cut short, valid frames follow"
                                                       : "bad frame");
            goto done;
        }
        if (fr.id != next) {
            r = ep__wal_scan_fail(err, info, EP_ERR_GAP, pos, fr.id, sc->path, "id does not follow the previous one");
            goto done;
        }
        r = ep__wal_deliver(sc, &fr, delivered, last_delivered, &info->last_id);
        if (r == EP_END) goto done;
        if (r != EP_OK) {
            info->end = EP_WAL_SEG_ERROR;
            goto done;
        }
        next += fr.count;
        info->records += fr.count;
        info->frames++;
        ep__rs_skip(&s, fr.size);
        info->valid_bytes = pos + fr.size;
    }
    r = EP_OK;
done:
    ep__rs_free(&s);
    vfs->close(vfs, f, NULL);
    return r;
}

#endif /* EP_NO_WAL */
