/* recordlog: the single-file record log (recordlog.h), on the stream core. */
#include "base/internal.h"
#include "file/stream.h"
#include "file/recordlog.h"

#ifndef EP_NO_WAL

#define EP__RLOG_DEFAULT_BUFFER (64u * 1024u)

struct ep_recordlog {
    ep_recordlog_config cfg;
    ep_vfs os_vfs;
    ep_vfs *vfs;
    const ep_allocator *alloc;
    ep_file *f;
    ep__wstream ws;
    uint64_t count;
    ep_recordlog_info opened;
    ep_error err;
};

EP_API void ep_recordlog_config_init(ep_recordlog_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->buffer_bytes = EP__RLOG_DEFAULT_BUFFER;
    cfg->flush = EP_WAL_FLUSH_MANUAL;
    cfg->flush_every_bytes = EP__RLOG_DEFAULT_BUFFER;
}

static uint32_t ep__rlog_cap(const ep_recordlog_config *c) {
    return c->max_record && c->max_record < EP_RECORDLOG_MAX_RECORD ? c->max_record : EP_RECORDLOG_MAX_RECORD;
}

/* Does a frame with a valid CRC start anywhere in [from, EOF)? */
static ep_result ep__rlog_valid_after(ep_vfs *vfs, ep_file *f, const ep_allocator *alloc, uint64_t from,
                                      uint32_t cap, int *found, ep_error *err) {
    ep__rstream s;
    ep_result r = ep__rs_init(&s, vfs, f, alloc, from, 0, (size_t)cap + EP_RECORDLOG_FRAME_HEADER_SIZE, err);
    *found = 0;
    while (r == EP_OK && ep__rs_left(&s) >= EP_RECORDLOG_FRAME_HEADER_SIZE) {
        uint32_t plen;
        if ((r = ep__rs_fill(&s, EP_RECORDLOG_FRAME_HEADER_SIZE)) != EP_OK) break;
        plen = ep_load_u32le(ep__rs_ptr(&s));
        if (plen <= cap && (uint64_t)plen <= ep__rs_left(&s) - EP_RECORDLOG_FRAME_HEADER_SIZE) {
            size_t need = EP_RECORDLOG_FRAME_HEADER_SIZE + (size_t)plen;
            if ((r = ep__rs_fill(&s, need)) != EP_OK) break;
            if (ep_recordlog_frame_decode(ep__rs_ptr(&s), need, cap, NULL, NULL, NULL) == EP_OK) {
                *found = 1;
                break;
            }
        }
        ep__rs_skip(&s, 1);
    }
    ep__rs_free(&s);
    return r;
}

/* The one scan: every record through fn (may be NULL), the end classified. */
static ep_result ep__rlog_scan(ep_vfs *vfs, ep_file *f, const ep_allocator *alloc, const ep_recordlog_config *c,
                               int best, int repair, const char *path, ep_wal_record_fn fn, void *user,
                               ep_recordlog_info *info, ep_error *err) {
    ep__rstream s;
    uint32_t cap = ep__rlog_cap(c);
    ep_result r;
    memset(info, 0, sizeof *info);
    r = ep__rs_init(&s, vfs, f, alloc, 0, 0, (size_t)cap + EP_RECORDLOG_FRAME_HEADER_SIZE, err);
    if (r != EP_OK) return r;
    info->file_bytes = ep__rs_left(&s);
    if (info->file_bytes < EP_RECORDLOG_HEADER_SIZE) {
        ep__rs_free(&s);
        if (best || repair) {
            info->end = EP_WAL_SEG_SHORT;
            return EP_OK;
        }
        return ep_error_set(err, EP_ERR_EOF, 0, "record log %s: shorter than its header", path);
    }
    if ((r = ep__rs_fill(&s, EP_RECORDLOG_HEADER_SIZE)) == EP_OK &&
        (r = ep_recordlog_header_decode(ep__rs_ptr(&s), EP_RECORDLOG_HEADER_SIZE)) != EP_OK)
        ep_error_set(err, r, 0, "record log %s: bad header (%s)", path, ep_result_str(r));
    if (r != EP_OK) {
        ep__rs_free(&s);
        return r;
    }
    ep__rs_skip(&s, EP_RECORDLOG_HEADER_SIZE);
    info->valid_bytes = EP_RECORDLOG_HEADER_SIZE;
    while (ep__rs_left(&s) > 0) {
        uint64_t pos = ep__rs_offset(&s), left = ep__rs_left(&s);
        size_t need = EP_RECORDLOG_FRAME_HEADER_SIZE, got;
        ep_bytes payload;
        int found = 0;
        got = left < (uint64_t)need ? (size_t)left : need;
        if ((r = ep__rs_fill(&s, got)) != EP_OK) break;
        r = ep_recordlog_frame_decode(ep__rs_ptr(&s), got, cap, &payload, &need, &need);
        if (r == EP_ERR_EOF && got == EP_RECORDLOG_FRAME_HEADER_SIZE) {
            got = left < (uint64_t)need ? (size_t)left : need;
            if ((r = ep__rs_fill(&s, got)) != EP_OK) break;
            r = ep_recordlog_frame_decode(ep__rs_ptr(&s), got, cap, &payload, &need, &need);
        }
        if (r != EP_OK) {
            ep_result code = r;
            int cut_short = code == EP_ERR_EOF;
            if (cut_short || repair) r = ep__rlog_valid_after(vfs, f, alloc, pos + 1, cap, &found, err);
            else r = EP_OK;
            if (r != EP_OK) break;
            if ((cut_short && !found && (best || repair)) || (repair && !found)) {
                info->end = EP_WAL_SEG_TORN;
                break;
            }
            r = ep_error_set(err, cut_short && !found ? EP_ERR_EOF : code == EP_ERR_EOF ? EP_ERR_CORRUPT : code, pos,
                             "record log %s: %s at offset %llu (record %llu)", path,
                             cut_short ? (found ? "record cut short, valid records follow" : "torn last record")
                                       : code == EP_ERR_CHECKSUM ? "CRC mismatch" : "length over the cap",
                             (unsigned long long)pos, (unsigned long long)(info->records + 1));
            if (err) err->index = info->records + 1;
            ep__rs_free(&s);
            return r;
        }
        info->records++;
        if (fn) {
            r = fn(user, info->records, payload.data, payload.len);
            if (r == EP_END) {
                r = EP_OK;
                break;
            }
            if (r != EP_OK) break;
        }
        ep__rs_skip(&s, need);
        info->valid_bytes = pos + need;
    }
    if (r == EP_OK && info->end != EP_WAL_SEG_TORN) info->end = EP_WAL_SEG_CLEAN;
    ep__rs_free(&s);
    return r;
}

EP_API ep_result ep_recordlog_read(const char *path, const ep_recordlog_config *cfg, ep_wal_record_fn fn, void *user,
                                   ep_recordlog_info *info, ep_error *err) {
    ep_recordlog_config c;
    ep_recordlog_info dummy;
    ep_vfs os, *vfs = NULL;
    ep_file *f = NULL;
    ep_result r;
    if (!path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "record log read: no path");
    ep_recordlog_config_init(&c);
    if (cfg) c = *cfg;
    if (!info) info = &dummy;
    if (ep__vfs_pick(c.vfs, &os, &vfs) != EP_OK)
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "record log: no OS file system in this build");
    if ((r = vfs->open(vfs, path, EP_OPEN_READ, &f, err)) != EP_OK) return r;
    r = ep__rlog_scan(vfs, f, c.alloc, &c, c.mode == EP_WAL_BEST_EFFORT, 0, path, fn, user, info, err);
    vfs->close(vfs, f, NULL);
    return r;
}

/* ---- writer ----------------------------------------------------------------- */

static void ep__rlog_free(ep_recordlog *l) {
    if (l->f) l->vfs->close(l->vfs, l->f, NULL);
    ep__ws_free(&l->ws);
    ep_free(l->alloc, l);
}

static ep_result ep__rlog_start(ep_recordlog *l, const char *path) {
    ep_recordlog_info info;
    uint64_t size = 0;
    ep_result r = l->vfs->open(l->vfs, path, EP_OPEN_READ | EP_OPEN_WRITE | EP_OPEN_CREATE, &l->f, &l->err);
    if (r != EP_OK) return r;
    if ((r = ep__stream_lock(l->vfs, l->f, EP__TEXT("record log"), path, &l->err)) != EP_OK) return r;
    if ((r = l->vfs->size(l->vfs, l->f, &size, &l->err)) != EP_OK) return r;
    if (size > 0) {
        r = ep__rlog_scan(l->vfs, l->f, l->alloc, &l->cfg, 1, l->cfg.repair_tail, path, NULL, NULL, &info, &l->err);
        if (r != EP_OK) return r; /* damage: refuse, the file as it was */
    } else {
        memset(&info, 0, sizeof info);
        info.end = EP_WAL_SEG_SHORT;
    }
    l->opened = info;
    l->count = info.records;
    if (info.end == EP_WAL_SEG_SHORT) {
        /* New, or a torn create: a fresh header, synced with its directory entry. */
        uint8_t h[EP_RECORDLOG_HEADER_SIZE];
        char dir[1024];
        ep_recordlog_header_encode(h);
        if ((r = l->vfs->truncate(l->vfs, l->f, 0, &l->err)) != EP_OK) return r;
        if ((r = l->vfs->write(l->vfs, l->f, 0, h, sizeof h, &l->err)) != EP_OK) return r;
        ep__ws_retarget(&l->ws, l->f, EP_RECORDLOG_HEADER_SIZE);
        if ((r = ep__ws_sync(&l->ws)) != EP_OK) return r;
        if (ep_path_dirname(dir, sizeof dir, path) == EP_OK) r = l->vfs->sync_dir(l->vfs, dir, &l->err);
        return r;
    }
    if (info.end == EP_WAL_SEG_TORN &&
        (r = l->vfs->truncate(l->vfs, l->f, info.valid_bytes, &l->err)) != EP_OK) /* in place, no copy */
        return r;
    ep__ws_retarget(&l->ws, l->f, info.valid_bytes);
    return ep__ws_sync(&l->ws);
}

EP_API ep_result ep_recordlog_open(const char *path, const ep_recordlog_config *cfg, ep_recordlog **out,
                                   ep_error *err) {
    ep_recordlog_config c;
    const ep_allocator *alloc;
    ep_recordlog *l;
    ep_result r;
    if (!path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "record log open: missing argument");
    *out = NULL;
    ep_recordlog_config_init(&c);
    if (cfg) c = *cfg;
    if (c.flush_every_bytes == 0) c.flush_every_bytes = 1;
    alloc = c.alloc ? c.alloc : ep_allocator_default();
    if (!(l = (ep_recordlog *)ep_malloc(alloc, sizeof *l)))
        return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "record log open: out of memory");
    memset(l, 0, sizeof *l);
    l->cfg = c;
    l->alloc = alloc;
    ep__ws_init(&l->ws, NULL, NULL, alloc, 0, &l->err);
    if (ep__vfs_pick(c.vfs, &l->os_vfs, &l->vfs) != EP_OK) {
        ep__rlog_free(l);
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "record log: no OS file system in this build");
    }
    l->ws.vfs = l->vfs;
    r = ep__ws_config(&l->ws, c.buffer_bytes ? c.buffer_bytes : 1, EP_FSYNC_NO, NULL, NULL);
    if (r == EP_OK) r = ep__rlog_start(l, path);
    if (r != EP_OK) {
        if (err) *err = l->err;
        ep__rlog_free(l);
        return r;
    }
    *out = l;
    return EP_OK;
}

EP_API ep_result ep_recordlog_append(ep_recordlog *l, const void *data, size_t len, uint64_t *index) {
    ep_result r;
    int go;
    if (!l || (len && !data)) return EP_ERR_INVALID_ARG;
    if ((r = ep__ws_usable(&l->ws)) != EP_OK) return r;
    if (len > ep__rlog_cap(&l->cfg))
        return ep_error_set(&l->err, EP_ERR_LIMIT, UINT64_MAX, "record log append: %llu bytes pass the cap",
                            (unsigned long long)len);
    ep__ws_mark(&l->ws);
    if ((r = ep_recordlog_frame_encode(ep__ws_buf(&l->ws), data, len)) != EP_OK) {
        ep_error_set(&l->err, r, UINT64_MAX, "record log append: %s", ep_result_str(r));
        return ep__ws_rewind(&l->ws, r);
    }
    ep__ws_records(&l->ws, 1);
    l->count++;
    if (index) *index = l->count;
    go = l->cfg.flush == EP_WAL_FLUSH_EVERY_APPEND ||
         (l->cfg.flush == EP_WAL_FLUSH_EVERY_N && (uint64_t)l->ws.buf.len >= l->cfg.flush_every_bytes) ||
         l->ws.buf.len >= l->ws.buffer_size;
    /* A failed write poisons, as in the WAL: reopening repairs the tail. */
    if (go && (r = ep__ws_flush(&l->ws)) != EP_OK) return ep__ws_poison(&l->ws, r);
    return EP_OK;
}

EP_API ep_result ep_recordlog_flush(ep_recordlog *l) {
    ep_result r;
    if (!l) return EP_ERR_INVALID_ARG;
    if ((r = ep__ws_flush(&l->ws)) != EP_OK && r != EP_ERR_POISONED) ep__ws_poison(&l->ws, r);
    return r;
}

EP_API ep_result ep_recordlog_sync(ep_recordlog *l) {
    ep_result r;
    if (!l) return EP_ERR_INVALID_ARG;
    if ((r = ep__ws_sync(&l->ws)) != EP_OK && r != EP_ERR_POISONED) ep__ws_poison(&l->ws, r);
    return r;
}

EP_API ep_result ep_recordlog_close(ep_recordlog *l) {
    ep_result r;
    if (!l) return EP_OK;
    r = ep__ws_sync(&l->ws);
    if (r == EP_OK) {
        r = l->vfs->close(l->vfs, l->f, &l->err);
        l->f = NULL;
    }
    ep__rlog_free(l);
    return r;
}

EP_API const ep_error *ep_recordlog_error(const ep_recordlog *l) { return l ? &l->err : NULL; }

EP_API void ep_recordlog_info_get(const ep_recordlog *l, ep_recordlog_info *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!l) return;
    *out = l->opened;
    out->records = l->count;
    out->valid_bytes = ep__ws_size(&l->ws);
}

#endif /* EP_NO_WAL */
