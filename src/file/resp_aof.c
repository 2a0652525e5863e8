/* resp_aof: RESP AOF writer and reader. The writer is the stream core with
 * RESP framing; the reader is the stream core's read side feeding the RESP
 * command parser, which keeps its place inside a command across refills. */
#include "base/internal.h"
#include "codec/codec_resp.h"
#include "file/resp_aof.h"
#include "file/stream.h"

#ifndef EP_NO_REDIS

/* ---- reader ------------------------------------------------------------ */

struct ep_resp_aof_reader {
    ep_resp_aof_reader_config cfg;
    ep_vfs os_vfs, *vfs;
    ep_file *f;
    int own_file;
    ep__rstream rs;
    ep_resp_parser *p;
    ep_resp_aof_status st;
    uint64_t multi_at;       /* offset of an open MULTI */
    int in_multi;
    int done;
    ep_result last;
};

EP_API void ep_resp_aof_reader_config_init(ep_resp_aof_reader_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->chunk_size = (size_t)256 << 10;
    cfg->max_bulk = EP_RESP_MAX_BULK;
    cfg->max_args = EP_RESP_MAX_ARGS;
}

static int ep__resp_is(ep_bytes a, const char *name) {
    size_t i, n = strlen(name);
    if (a.len != n) return 0;
    for (i = 0; i < n; i++) {
        uint8_t c = a.data[i];
        if (c >= 'a' && c <= 'z') c = (uint8_t)(c - 32);
        if (c != (uint8_t)name[i]) return 0;
    }
    return 1;
}

/* A reader over an open file (the writer scans its own file with one). */
static ep_result ep__ra_init(ep_resp_aof_reader *r, const ep_resp_aof_reader_config *cfg, ep_vfs *vfs, ep_file *f,
                             ep_error *err) {
    ep_resp_parser_config pc;
    ep_result res;
    uint64_t max;
    if (cfg) r->cfg = *cfg;
    else ep_resp_aof_reader_config_init(&r->cfg);
    r->vfs = vfs;
    r->f = f;
    ep_resp_parser_config_init(&pc);
    pc.flags = EP_RESP_ACCEPT_ANNOTATIONS; /* "#TS:" lines; an AOF has no inline commands */
    pc.max_bulk = r->cfg.max_bulk;
    pc.max_args = r->cfg.max_args;
    pc.alloc = r->cfg.alloc;
    if ((res = ep_resp_parser_create(&pc, &r->p)) != EP_OK) return res;
    max = (r->cfg.max_bulk ? r->cfg.max_bulk : EP_RESP_MAX_BULK) + 65536u;
    res = ep__rs_init(&r->rs, vfs, f, r->cfg.alloc, r->cfg.start, r->cfg.chunk_size, (size_t)max, err);
    if (res != EP_OK) return res;
    r->st.file_size = r->rs.end;
    r->st.valid_bytes = r->cfg.start;
    ep_error_clear(&r->st.error);
    return EP_OK;
}

static void ep__ra_free(ep_resp_aof_reader *r) {
    ep__rs_free(&r->rs);
    ep_resp_parser_free(r->p);
    r->p = NULL;
}

EP_API ep_result ep_resp_aof_reader_next(ep_resp_aof_reader *r, ep_resp_command *out) {
    memset(out, 0, sizeof *out);
    if (r->done) return r->last;
    for (;;) {
        size_t avail = ep__rs_avail(&r->rs);
        uint64_t at = ep__rs_offset(&r->rs);
        ep_result res = ep_resp_parse_command(r->p, ep__rs_ptr(&r->rs), avail, out);
        if (res == EP_OK) {
            ep__rs_skip(&r->rs, out->consumed);
            r->st.commands++;
            if (ep__resp_is(out->argv[0], "MULTI")) {
                r->in_multi = 1;
                r->multi_at = at + (out->consumed - ep_resp_command_size(out->argc, out->argv));
            } else if (ep__resp_is(out->argv[0], "EXEC")) {
                r->in_multi = 0;
            }
            if (!r->in_multi) r->st.valid_bytes = ep__rs_offset(&r->rs);
            return EP_OK;
        }
        if (res == EP_END) {
            size_t need;
            ep__rs_skip(&r->rs, out->consumed);
            avail = ep__rs_avail(&r->rs);
            if ((uint64_t)avail >= ep__rs_left(&r->rs)) {
                /* Everything is loaded: the end. */
                r->done = 1;
                r->last = EP_END;
                /* valid_bytes is the end of the last complete command (as
                 * Redis's valid_up_to: annotations after it do not count),
                 * or the whole file when it ends clean. */
                if (avail > 0 || ep_resp_parser_in_command(r->p) || r->in_multi) r->st.end = EP_RESP_AOF_TRUNCATED;
                else r->st.valid_bytes = ep__rs_offset(&r->rs);
                if (r->in_multi) r->st.valid_bytes = r->multi_at;
                return EP_END;
            }
            need = out->need > avail ? out->need : avail + 1;
            /* A command cut by the end of the file asks for more than the
             * file holds: load what it has, and the next round ends. */
            if ((uint64_t)need > ep__rs_left(&r->rs)) need = (size_t)ep__rs_left(&r->rs);
            res = ep__rs_fill(&r->rs, need);
            if (res != EP_OK) {
                r->done = 1;
                r->last = res;
                r->st.end = EP_RESP_AOF_DAMAGED;
                ep_error_set(&r->st.error, res, ep__rs_offset(&r->rs), "AOF read failed: %s", ep_result_str(res));
                return res;
            }
            continue;
        }
        /* A protocol error: its offset is counted from cfg.start. */
        r->done = 1;
        r->last = res;
        r->st.end = EP_RESP_AOF_DAMAGED;
        r->st.error = *ep_resp_parser_error(r->p);
        r->st.error.offset += r->cfg.start;
        if (res == EP_ERR_PROTOCOL || res == EP_ERR_LIMIT)
            ep_error_set(&r->st.error, res, r->st.error.offset, "Bad file format reading the append only file at offset %llu: %s",
                         (unsigned long long)r->st.error.offset, ep_resp_parser_error(r->p)->message);
        return res;
    }
}

EP_API void ep_resp_aof_reader_status(const ep_resp_aof_reader *r, ep_resp_aof_status *out) { *out = r->st; }

EP_API uint64_t ep_resp_aof_reader_offset(const ep_resp_aof_reader *r) { return ep__rs_offset(&r->rs); }

EP_API ep_result ep_resp_aof_reader_open(const char *path, const ep_resp_aof_reader_config *cfg,
                                         ep_resp_aof_reader **out, ep_error *err) {
    ep_resp_aof_reader *r;
    ep_result res;
    const ep_allocator *alloc = cfg ? cfg->alloc : NULL;
    if (!path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "resp aof reader: NULL argument");
    *out = NULL;
    r = (ep_resp_aof_reader *)ep_malloc(alloc, sizeof *r);
    if (!r) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(r, 0, sizeof *r);
    res = ep__vfs_pick(cfg ? cfg->vfs : NULL, &r->os_vfs, &r->vfs);
    if (res == EP_OK) res = r->vfs->open(r->vfs, path, EP_OPEN_READ, &r->f, err);
    if (res == EP_OK) {
        r->own_file = 1;
        res = ep__ra_init(r, cfg, r->vfs, r->f, err);
    }
    if (res != EP_OK) {
        ep_resp_aof_reader_close(r);
        return res;
    }
    *out = r;
    return EP_OK;
}

EP_API void ep_resp_aof_reader_close(ep_resp_aof_reader *r) {
    const ep_allocator *alloc;
    if (!r) return;
    alloc = r->cfg.alloc;
    ep__ra_free(r);
    if (r->own_file && r->f) (void)r->vfs->close(r->vfs, r->f, NULL);
    ep_free(alloc, r);
}

EP_API ep_result ep_resp_aof_read_all(const char *path, const ep_resp_aof_reader_config *cfg,
                                      ep_result (*fn)(void *user, size_t argc, const ep_bytes *argv), void *user,
                                      ep_resp_aof_status *st, ep_error *err) {
    ep_resp_aof_reader *r;
    ep_resp_command c;
    ep_result res = ep_resp_aof_reader_open(path, cfg, &r, err);
    if (res != EP_OK) return res;
    while ((res = ep_resp_aof_reader_next(r, &c)) == EP_OK) {
        if (fn && (res = fn(user, c.argc, c.argv)) != EP_OK) break;
    }
    if (st) ep_resp_aof_reader_status(r, st);
    if (res == EP_END) res = EP_OK;
    else if (err && r->st.end == EP_RESP_AOF_DAMAGED) *err = r->st.error;
    ep_resp_aof_reader_close(r);
    return res;
}

/* ---- writer ------------------------------------------------------------ */

struct ep_resp_aof_writer {
    ep_resp_aof_writer_config cfg;
    ep_vfs os_vfs, *vfs;
    ep__wstream s;
    ep_error err;
    char *path;
    int64_t db;          /* the database the file is in; -1 unknown */
    uint64_t trimmed;
};

EP_API void ep_resp_aof_writer_config_init(ep_resp_aof_writer_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->fsync = EP_FSYNC_EVERYSEC;
    cfg->repair_tail = 1;
}

static void ep__rw2_free(ep_resp_aof_writer *w) {
    ep__ws_free(&w->s);
    ep_free(w->cfg.alloc, w->path);
    ep_free(w->cfg.alloc, w);
}

/* Scans the file's commands and settles where appends go. */
static ep_result ep__rw2_prepare(ep_resp_aof_writer *w, ep_file *f, uint64_t *end) {
    ep_resp_aof_reader r;
    ep_resp_aof_reader_config rc;
    ep_resp_command c;
    ep_result res;
    memset(&r, 0, sizeof r);
    ep_resp_aof_reader_config_init(&rc);
    rc.alloc = w->cfg.alloc;
    res = ep__ra_init(&r, &rc, w->vfs, f, &w->err);
    while (res == EP_OK && (res = ep_resp_aof_reader_next(&r, &c)) == EP_OK) {
    }
    ep__ra_free(&r);
    if (res != EP_END) {
        if (r.st.end == EP_RESP_AOF_DAMAGED) w->err = r.st.error;
        return res == EP_OK ? EP_ERR_IO : res;
    }
    *end = r.st.valid_bytes;
    if (r.st.end == EP_RESP_AOF_TRUNCATED) {
        if (!w->cfg.repair_tail)
            return ep_error_set(&w->err, EP_ERR_EOF, r.st.valid_bytes,
                                "AOF %s ends in a truncated command at offset %llu (repair_tail is off)", w->path,
                                (unsigned long long)r.st.valid_bytes);
        /* Redis's aof-load-truncated: the file is cut back to the last
         * complete command (before an unfinished MULTI). */
        w->trimmed = r.st.file_size - r.st.valid_bytes;
        if ((res = w->vfs->truncate(w->vfs, f, r.st.valid_bytes, &w->err)) != EP_OK) return res;
    }
    if (r.st.file_size == 0) {
        /* A new file: its directory entry must survive a power cut too. */
        char dir[1024];
        if (ep_path_dirname(dir, sizeof dir, w->path) == EP_OK &&
            (res = w->vfs->sync_dir(w->vfs, dir, &w->err)) != EP_OK)
            return res;
    }
    /* Earlier sessions may have left unsynced bytes: make them durable so
     * the synced offset is true from here on. */
    return w->vfs->sync(w->vfs, f, &w->err);
}

EP_API ep_result ep_resp_aof_writer_open(const char *path, const ep_resp_aof_writer_config *cfg,
                                         ep_resp_aof_writer **out, ep_error *err) {
    ep_resp_aof_writer_config def;
    ep_resp_aof_writer *w;
    ep_file *f = NULL;
    uint64_t end = 0;
    char dir[1024];
    ep_result r;
    if (!out || !path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "resp aof writer: NULL argument");
    *out = NULL;
    if (!cfg) {
        ep_resp_aof_writer_config_init(&def);
        cfg = &def;
    }
    if (cfg->fsync != EP_FSYNC_ALWAYS && cfg->fsync != EP_FSYNC_EVERYSEC && cfg->fsync != EP_FSYNC_NO)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "unknown fsync policy %d", (int)cfg->fsync);
    w = (ep_resp_aof_writer *)ep_malloc(cfg->alloc, sizeof *w);
    if (!w) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    w->db = -1;
    ep_error_clear(&w->err);
    r = ep__vfs_pick(cfg->vfs, &w->os_vfs, &w->vfs);
    ep__ws_init(&w->s, w->vfs, NULL, cfg->alloc, 0, &w->err);
    if (r == EP_OK) {
        size_t n = strlen(path) + 1;
        w->path = (char *)ep_malloc(cfg->alloc, n);
        if (w->path) memcpy(w->path, path, n);
        else r = ep_error_set(&w->err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    }
    if (r == EP_OK) r = ep__ws_config(&w->s, cfg->buffer_size, cfg->fsync, cfg->clock_ms, cfg->clock_user);
    if (r == EP_OK && cfg->create_dir) r = ep_path_dirname(dir, sizeof dir, path);
    if (r == EP_OK)
        r = ep__stream_open_locked(w->vfs, cfg->alloc, w->path, cfg->create_dir ? dir : NULL, EP__TEXT("AOF"), &f,
                                   &w->err);
    if (r == EP_OK) r = ep__rw2_prepare(w, f, &end);
    if (r != EP_OK) {
        if (err) {
            *err = w->err;
            err->code = r;
        }
        if (f) w->vfs->close(w->vfs, f, NULL);
        ep__rw2_free(w);
        return r;
    }
    ep__ws_retarget(&w->s, f, end);
    *out = w;
    return EP_OK;
}

static ep_result ep__rw2_usable(ep_resp_aof_writer *w) {
    if (!w) return EP_ERR_INVALID_ARG;
    return ep__ws_usable(&w->s);
}

EP_API ep_result ep_resp_aof_append_db(ep_resp_aof_writer *w, uint64_t db, size_t argc, const ep_bytes *argv) {
    ep_buf *b;
    ep_result r = ep__rw2_usable(w);
    uint64_t records = 1;
    if (r) return r;
    if (argc == 0 || !argv) return ep_error_set(&w->err, EP_ERR_INVALID_ARG, UINT64_MAX, "a command needs arguments");
    ep__ws_mark(&w->s);
    b = ep__ws_buf(&w->s);
    if (db != UINT64_MAX && (w->db < 0 || (uint64_t)w->db != db)) {
        char num[EP_RESP_NUM_MAX];
        ep_bytes sel[2];
        sel[0] = EP_LIT("SELECT");
        sel[1] = ep_bytes_of(num, ep_resp_format_i64((int64_t)db, num));
        ep_resp_write_command(b, 2, sel);
        records++;
    }
    ep_resp_write_command(b, argc, argv);
    if (b->err) return ep__ws_rewind(&w->s, b->err);
    ep__ws_records(&w->s, records);
    r = ep__ws_end_call(&w->s);
    if (r == EP_OK && db != UINT64_MAX) w->db = (int64_t)db;
    return r;
}

EP_API ep_result ep_resp_aof_append(ep_resp_aof_writer *w, size_t argc, const ep_bytes *argv) {
    return ep_resp_aof_append_db(w, UINT64_MAX, argc, argv);
}

EP_API ep_result ep_resp_aof_batch_begin(ep_resp_aof_writer *w) {
    ep_result r = ep__rw2_usable(w);
    return r ? r : ep__ws_batch_begin(&w->s);
}
EP_API ep_result ep_resp_aof_batch_end(ep_resp_aof_writer *w) {
    ep_result r = ep__rw2_usable(w);
    return r ? r : ep__ws_batch_end(&w->s);
}
EP_API ep_result ep_resp_aof_flush(ep_resp_aof_writer *w) {
    ep_result r = ep__rw2_usable(w);
    return r ? r : ep__ws_flush(&w->s);
}
EP_API ep_result ep_resp_aof_sync(ep_resp_aof_writer *w) {
    ep_result r = ep__rw2_usable(w);
    return r ? r : ep__ws_sync(&w->s);
}
EP_API ep_result ep_resp_aof_tick(ep_resp_aof_writer *w) {
    ep_result r = ep__rw2_usable(w);
    return r ? r : ep__ws_tick(&w->s);
}
EP_API uint64_t ep_resp_aof_size(const ep_resp_aof_writer *w) { return w ? ep__ws_size(&w->s) : 0; }
EP_API uint64_t ep_resp_aof_synced(const ep_resp_aof_writer *w) { return w ? w->s.synced : 0; }
EP_API uint64_t ep_resp_aof_trimmed(const ep_resp_aof_writer *w) { return w ? w->trimmed : 0; }
EP_API const ep_error *ep_resp_aof_writer_error(const ep_resp_aof_writer *w) { return w ? &w->err : NULL; }

EP_API ep_result ep_resp_aof_writer_close(ep_resp_aof_writer *w) {
    ep_result r;
    if (!w) return EP_OK;
    r = ep__ws_close(&w->s);
    ep__rw2_free(w);
    return r;
}

#endif /* EP_NO_REDIS */
