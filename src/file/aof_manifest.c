/* aof_manifest: the manifest parser and formatter, the directory reader,
 * and the crash-safe rewrite (new base, new incr, manifest switched by one
 * rename). File writes go through the RDB writer, the RESP AOF writer and
 * the stream core's publish step: no second copy of sync or rename rules. */
#include "file/aof_manifest.h"
#include "file/stream.h"

#ifndef EP_NO_REDIS

/* ---- manifest text --------------------------------------------------------- */

static int ep__mf_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }

static ep_result ep__mf_fail(ep_error *err, uint64_t at, const char *why) {
    return ep_error_set(err, EP_ERR_PROTOCOL, at, "AOF manifest line at offset %llu: %s", (unsigned long long)at, why);
}
/* its text through EP__TEXT (base.h: EP_NO_ERROR_TEXT drops it at every call) */
#define ep__mf_fail(err, at, why) ep__mf_fail((err), (at), EP__TEXT(why))


/* One "file X seq N type T" line (pairs in any order) into *f. */
static ep_result ep__mf_line(const uint8_t *p, size_t n, uint64_t at, ep_aof_manifest_file *f, ep_error *err) {
    const uint8_t *tok[16];
    size_t len[16], nt = 0, i = 0, k;
    int have_name = 0, have_seq = 0, have_type = 0;
    while (i < n) {
        while (i < n && ep__mf_space(p[i])) i++;
        if (i == n) break;
        if (nt == 16) return ep__mf_fail(err, at, "too many fields");
        if (p[i] == '"' || p[i] == '\'') return ep__mf_fail(err, at, "quoted file names are not supported");
        tok[nt] = p + i;
        while (i < n && !ep__mf_space(p[i])) i++;
        len[nt] = (size_t)(p + i - tok[nt]);
        nt++;
    }
    if (nt % 2) return ep__mf_fail(err, at, "a key without a value");
    memset(f, 0, sizeof *f);
    for (k = 0; k < nt; k += 2) {
        const uint8_t *v = tok[k + 1];
        size_t vl = len[k + 1], j;
        if (len[k] == 4 && memcmp(tok[k], "file", 4) == 0) {
            if (vl > EP_AOF_MANIFEST_NAME_MAX) return ep_error_set(err, EP_ERR_LIMIT, at, "AOF file name longer than %u bytes", EP_AOF_MANIFEST_NAME_MAX);
            for (j = 0; j < vl; j++)
                if (v[j] == '/' || v[j] == '\\' || v[j] == 0) return ep__mf_fail(err, at, "a file name must not hold a path");
            if ((vl == 1 && v[0] == '.') || (vl == 2 && v[0] == '.' && v[1] == '.')) return ep__mf_fail(err, at, "bad file name");
            memcpy(f->name, v, vl);
            f->name[vl] = 0;
            have_name = 1;
        } else if (len[k] == 3 && memcmp(tok[k], "seq", 3) == 0) {
            uint64_t s = 0;
            if (vl == 0 || vl > 19) return ep__mf_fail(err, at, "bad seq");
            for (j = 0; j < vl; j++) {
                if (v[j] < '0' || v[j] > '9') return ep__mf_fail(err, at, "bad seq");
                s = s * 10 + (uint64_t)(v[j] - '0');
            }
            if (s == 0) return ep__mf_fail(err, at, "seq must be positive");
            f->seq = s;
            have_seq = 1;
        } else if (len[k] == 4 && memcmp(tok[k], "type", 4) == 0) {
            if (vl != 1 || (v[0] != 'b' && v[0] != 'h' && v[0] != 'i')) return ep__mf_fail(err, at, "unknown file type");
            f->type = (ep_aof_file_type)v[0];
            have_type = 1;
        } /* other keys: ignored, as Redis does */
    }
    if (!have_name || !have_seq || !have_type) return ep__mf_fail(err, at, "file, seq and type are all required");
    return EP_OK;
}

EP_API ep_result ep_aof_manifest_parse(const uint8_t *text, size_t len, const ep_allocator *alloc,
                                       ep_aof_manifest *out, ep_error *err) {
    size_t pos = 0, cap = 0, bases = 0;
    ep_result r = EP_OK;
    memset(out, 0, sizeof *out);
    out->alloc = alloc;
    if (len > EP_AOF_MANIFEST_MAX_SIZE) return ep_error_set(err, EP_ERR_LIMIT, 0, "AOF manifest larger than %u bytes", EP_AOF_MANIFEST_MAX_SIZE);
    while (pos < len && r == EP_OK) {
        const uint8_t *nl = (const uint8_t *)memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos, b = 0;
        ep_aof_manifest_file f;
        if (n + 1 > EP_AOF_MANIFEST_MAX_LINE) return ep_aof_manifest_free(out), ep__mf_fail(err, pos, "line too long");
        if (!nl) return ep_aof_manifest_free(out), ep__mf_fail(err, pos, "the last line has no newline");
        while (b < n && ep__mf_space(text[pos + b])) b++;
        if (b == n || text[pos + b] == '#') {
            pos += n + 1;
            continue;
        }
        r = ep__mf_line(text + pos, n, pos, &f, err);
        if (r == EP_OK && f.type == EP_AOF_FILE_BASE && ++bases > 1) r = ep__mf_fail(err, pos, "two base files");
        if (r == EP_OK && out->n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            ep_aof_manifest_file *nf;
            if (out->n >= EP_AOF_MANIFEST_MAX_FILES) {
                r = ep_error_set(err, EP_ERR_LIMIT, pos, "AOF manifest lists more than %u files", EP_AOF_MANIFEST_MAX_FILES);
                break;
            }
            nf = (ep_aof_manifest_file *)ep_realloc(alloc, out->files, nc * sizeof *nf);
            if (!nf) r = ep_error_set(err, EP_ERR_NOMEM, pos, "out of memory");
            else out->files = nf, cap = nc;
        }
        if (r == EP_OK) out->files[out->n++] = f;
        pos += n + 1;
    }
    if (r != EP_OK) ep_aof_manifest_free(out);
    return r;
}

EP_API ep_result ep_aof_manifest_format(const ep_aof_manifest *m, ep_buf *out) {
    static const char order[3] = {'b', 'h', 'i'};
    size_t o, i;
    for (o = 0; o < 3; o++)
        for (i = 0; i < m->n; i++) {
            char line[EP_AOF_MANIFEST_NAME_MAX + 64];
            int k;
            if ((char)m->files[i].type != order[o]) continue;
            k = snprintf(line, sizeof line, "file %s seq %llu type %c\n", m->files[i].name,
                         (unsigned long long)m->files[i].seq, (char)m->files[i].type);
            if (k < 0 || (size_t)k >= sizeof line) return EP_ERR_LIMIT;
            ep_buf_put(out, line, (size_t)k);
        }
    return out->err;
}

EP_API void ep_aof_manifest_free(ep_aof_manifest *m) {
    if (!m) return;
    ep_free(m->alloc, m->files);
    m->files = NULL;
    m->n = 0;
}

EP_API const ep_aof_manifest_file *ep_aof_manifest_base(const ep_aof_manifest *m) {
    size_t i;
    for (i = 0; i < m->n; i++)
        if (m->files[i].type == EP_AOF_FILE_BASE) return &m->files[i];
    return NULL;
}

EP_API size_t ep_aof_manifest_load_order(const ep_aof_manifest *m, size_t *order) {
    const ep_aof_manifest_file *base = ep_aof_manifest_base(m);
    size_t i, k = 0;
    if (base) order[k++] = (size_t)(base - m->files);
    for (i = 0; i < m->n; i++)
        if (m->files[i].type == EP_AOF_FILE_INCR) order[k++] = i;
    return k;
}

/* Reads dir's manifest; EP_ERR_NOT_FOUND if there is none. */
static ep_result ep__mf_load(ep_vfs *vfs, const char *dir, const char *name, const ep_allocator *alloc,
                             ep_aof_manifest *m, ep_error *err) {
    char path[1200];
    uint8_t *text = NULL;
    size_t n = 0;
    ep_result r = ep_path_join(path, sizeof path, dir, name);
    if (r == EP_OK) r = ep_vfs_read_all(vfs, path, alloc, EP_AOF_MANIFEST_MAX_SIZE, &text, &n, err);
    if (r == EP_OK) r = ep_aof_manifest_parse(text, n, alloc, m, err);
    ep_free(alloc, text);
    return r;
}

/* ---- reading a directory --------------------------------------------------- */

EP_API void ep_aof_dir_config_init(ep_aof_dir_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->manifest_name = "appendonly.aof.manifest";
    ep_rdb_reader_config_init(&cfg->rdb);
    ep_resp_aof_reader_config_init(&cfg->resp);
}

typedef struct ep__dir_cmd {
    const ep_aof_dir_visitor *v;
    ep_aof_file_type from;
} ep__dir_cmd;

static ep_result ep__dir_on_cmd(void *user, size_t argc, const ep_bytes *argv) {
    ep__dir_cmd *c = (ep__dir_cmd *)user;
    return c->v && c->v->command ? c->v->command(c->v->user, c->from, argc, argv) : EP_OK;
}

/* Whether the file begins with "REDIS" (an RDB base or preamble). */
static ep_result ep__dir_is_rdb(ep_vfs *vfs, const char *path, int *is_rdb, ep_error *err) {
    ep_file *f = NULL;
    uint8_t head[5];
    size_t got = 0;
    ep_result r = vfs->open(vfs, path, EP_OPEN_READ, &f, err);
    if (r == EP_OK) r = vfs->read(vfs, f, 0, head, sizeof head, &got, err);
    if (f) (void)vfs->close(vfs, f, NULL);
    *is_rdb = r == EP_OK && got == 5 && memcmp(head, "REDIS", 5) == 0;
    return r;
}

static ep_result ep__dir_file(ep_vfs *vfs, const char *dir, const ep_aof_manifest_file *mf, const ep_aof_dir_config *cfg,
                              const ep_aof_dir_visitor *v, int last, ep_aof_dir_status *st, ep_error *err) {
    char path[1200];
    ep_resp_aof_reader_config rc = cfg->resp;
    ep_resp_aof_status rs;
    ep__dir_cmd dc;
    int is_rdb = 0;
    ep_result r = ep_path_join(path, sizeof path, dir, mf->name);
    if (r == EP_OK) r = ep__dir_is_rdb(vfs, path, &is_rdb, err);
    if (r != EP_OK) {
        if (r == EP_ERR_NOT_FOUND) ep_error_set(err, r, UINT64_MAX, "the AOF manifest names %s, which is missing", mf->name);
        return r;
    }
    rc.vfs = vfs;
    rc.alloc = cfg->alloc;
    rc.start = 0;
    if (is_rdb) {
        ep_rdb_reader_config dcfg = cfg->rdb;
        ep_rdb_visitor none;
        ep_rdb_info info;
        if (mf->type != EP_AOF_FILE_BASE)
            return ep_error_set(err, EP_ERR_CORRUPT, 0, "AOF incr file %s holds an RDB", mf->name);
        memset(&none, 0, sizeof none);
        dcfg.vfs = vfs;
        dcfg.alloc = cfg->alloc;
        r = ep_rdb_read(path, &dcfg, v && v->rdb ? v->rdb : &none, &info, err);
        if (r != EP_OK) return r;
        st->base_is_rdb = 1;
        st->base_keys = info.keys;
        rc.start = info.bytes; /* a RESP tail may follow the preamble */
    }
    dc.v = v;
    dc.from = mf->type;
    r = ep_resp_aof_read_all(path, &rc, ep__dir_on_cmd, &dc, &rs, err);
    st->files++;
    st->commands += rs.commands;
    st->end = rs.end;
    st->valid_bytes = rs.valid_bytes;
    memcpy(st->last_file, mf->name, sizeof st->last_file);
    if (r != EP_OK) return r;
    return ep_aof_dir_file_end(mf, last, rs.end, rs.valid_bytes, err);
}

EP_API ep_result ep_aof_dir_file_end(const ep_aof_manifest_file *mf, int last, ep_resp_aof_end end,
                                     uint64_t valid_bytes, ep_error *err) {
    if (!mf) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "aof dir: NULL argument");
    if (end == EP_RESP_AOF_TRUNCATED && !last)
        return ep_error_set(err, EP_ERR_EOF, valid_bytes, "AOF file %s is truncated at offset %llu but is not the last file",
                            mf->name, (unsigned long long)valid_bytes);
    return EP_OK;
}

EP_API ep_result ep_aof_dir_read(const char *dir, const ep_aof_dir_config *cfg, const ep_aof_dir_visitor *v,
                                 ep_aof_dir_status *st, ep_error *err) {
    ep_aof_dir_config def;
    ep_aof_dir_status local;
    ep_aof_manifest m;
    ep_vfs os, *vfs;
    size_t *order = NULL, i, k;
    ep_result r;
    if (!dir) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "aof dir: NULL argument");
    if (!cfg) ep_aof_dir_config_init(&def), cfg = &def;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    if ((r = ep__vfs_pick(cfg->vfs, &os, &vfs)) != EP_OK) return r;
    r = ep__mf_load(vfs, dir, cfg->manifest_name ? cfg->manifest_name : "appendonly.aof.manifest", cfg->alloc, &m, err);
    if (r != EP_OK) return r;
    /* m.n <= EP_AOF_MANIFEST_MAX_FILES: the product cannot overflow. */
    if (!(order = (size_t *)ep_malloc(cfg->alloc, (m.n ? m.n : 1) * sizeof *order))) {
        ep_aof_manifest_free(&m);
        return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "aof dir: out of memory");
    }
    k = ep_aof_manifest_load_order(&m, order);
    st->history = m.n - k;
    for (i = 0; r == EP_OK && i < k; i++) r = ep__dir_file(vfs, dir, &m.files[order[i]], cfg, v, i + 1 == k, st, err);
    ep_free(cfg->alloc, order);
    ep_aof_manifest_free(&m);
    return r;
}

/* ---- the rewrite ----------------------------------------------------------- */

struct ep_aof_rewrite {
    ep_aof_rewrite_config cfg;
    ep_vfs os, *vfs;
    char dir[1024];
    char prefix[128];
    ep_aof_manifest old;      /* empty for a new directory */
    uint64_t seq;
    char base_name[EP_AOF_MANIFEST_NAME_MAX + 1];
    char incr_name[EP_AOF_MANIFEST_NAME_MAX + 1];
    ep_rdb_writer *base;
};

EP_API void ep_aof_rewrite_config_init(ep_aof_rewrite_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->file_prefix = "appendonly.aof";
    ep_rdb_writer_config_init(&cfg->rdb);
}

static void ep__mrw_free(ep_aof_rewrite *rw) {
    ep_aof_manifest_free(&rw->old);
    ep_free(rw->cfg.alloc, rw);
}

static ep_result ep__mrw_path(const ep_aof_rewrite *rw, const char *name, char *out, size_t cap) {
    return ep_path_join(out, cap, rw->dir, name);
}

EP_API ep_result ep_aof_rewrite_begin(const char *dir, const ep_aof_rewrite_config *cfg, ep_aof_rewrite **out,
                                      ep_rdb_writer **base, ep_error *err) {
    ep_aof_rewrite_config def;
    ep_aof_rewrite *rw;
    ep_rdb_writer_config wc;
    char path[1200], manifest[EP_AOF_MANIFEST_NAME_MAX + 16];
    size_t i;
    ep_result r;
    if (!dir || !out || !base) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "aof rewrite: NULL argument");
    *out = NULL;
    *base = NULL;
    if (!cfg) ep_aof_rewrite_config_init(&def), cfg = &def;
    if (strlen(dir) >= sizeof rw->dir || !cfg->file_prefix || strlen(cfg->file_prefix) >= sizeof rw->prefix ||
        strchr(cfg->file_prefix, '/'))
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "aof rewrite: directory or file prefix too long");
    rw = (ep_aof_rewrite *)ep_malloc(cfg->alloc, sizeof *rw);
    if (!rw) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(rw, 0, sizeof *rw);
    rw->cfg = *cfg;
    rw->old.alloc = cfg->alloc;
    strcpy(rw->dir, dir);
    strcpy(rw->prefix, cfg->file_prefix);
    r = ep__vfs_pick(cfg->vfs, &rw->os, &rw->vfs);
    if (r == EP_OK) r = ep__stream_make_dirs(rw->vfs, cfg->alloc, dir, err);
    snprintf(manifest, sizeof manifest, "%s.manifest", rw->prefix);
    if (r == EP_OK) {
        r = ep__mf_load(rw->vfs, dir, manifest, cfg->alloc, &rw->old, err);
        if (r == EP_ERR_NOT_FOUND) r = EP_OK; /* a new directory */
    }
    /* The new seq is above every seq named, so no old file is overwritten. */
    rw->seq = 1;
    for (i = 0; i < rw->old.n; i++)
        if (rw->old.files[i].seq >= rw->seq) rw->seq = rw->old.files[i].seq + 1;
    snprintf(rw->base_name, sizeof rw->base_name, "%s.%llu.base.rdb", rw->prefix, (unsigned long long)rw->seq);
    snprintf(rw->incr_name, sizeof rw->incr_name, "%s.%llu.incr.aof", rw->prefix, (unsigned long long)rw->seq);
    if (r == EP_OK) r = ep__mrw_path(rw, rw->base_name, path, sizeof path);
    if (r == EP_OK) {
        wc = cfg->rdb;
        wc.vfs = rw->vfs;
        wc.alloc = cfg->alloc;
        wc.aof_base = 1;
        r = ep_rdb_writer_begin(path, &wc, &rw->base, err);
    }
    if (r != EP_OK) {
        ep__mrw_free(rw);
        return r;
    }
    *out = rw;
    *base = rw->base;
    return EP_OK;
}

EP_API void ep_aof_rewrite_abort(ep_aof_rewrite *rw) {
    if (!rw) return;
    if (rw->base) (void)ep_rdb_writer_abort(rw->base);
    ep__mrw_free(rw);
}

/* The empty incr file, created and synced, and its name made durable
 * before the manifest names it (directory changes may survive a power cut
 * out of order: the manifest's rename without the incr's create would name
 * a missing file). */
static ep_result ep__mrw_incr(ep_aof_rewrite *rw, const char *path, ep_error *err) {
    ep_file *f = NULL;
    ep_result r = rw->vfs->open(rw->vfs, path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, err);
    if (r == EP_OK) r = rw->vfs->sync(rw->vfs, f, err);
    if (f) {
        ep_result c = rw->vfs->close(rw->vfs, f, r ? NULL : err);
        if (r == EP_OK) r = c;
    }
    if (r == EP_OK) r = rw->vfs->sync_dir(rw->vfs, rw->dir, err);
    return r;
}

/* The new manifest: written to a tmp file, then the stream core's publish
 * (sync, rename over the manifest, directory sync). */
static ep_result ep__mrw_manifest(ep_aof_rewrite *rw, int *renamed, ep_error *err) {
    ep_aof_manifest m;
    ep_aof_manifest_file files[2];
    ep_buf text;
    char path[1200], tmp[1220], name[EP_AOF_MANIFEST_NAME_MAX + 16];
    ep_file *f = NULL;
    ep_aof_manifest_file *all = NULL;
    size_t i, n = 0;
    ep_result r;
    *renamed = 0;
    memset(files, 0, sizeof files);
    strcpy(files[0].name, rw->base_name);
    files[0].seq = rw->seq;
    files[0].type = EP_AOF_FILE_BASE;
    strcpy(files[1].name, rw->incr_name);
    files[1].seq = rw->seq;
    files[1].type = EP_AOF_FILE_INCR;
    m.alloc = rw->cfg.alloc;
    m.files = files;
    m.n = 2;
    if (rw->cfg.keep_history && rw->old.n) {
        all = (ep_aof_manifest_file *)ep_malloc(rw->cfg.alloc, (rw->old.n + 2) * sizeof *all);
        if (!all) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
        all[n++] = files[0];
        for (i = 0; i < rw->old.n; i++) {
            all[n] = rw->old.files[i];
            all[n++].type = EP_AOF_FILE_HISTORY;
        }
        all[n++] = files[1];
        m.files = all;
        m.n = n;
    }
    ep_buf_init(&text, rw->cfg.alloc);
    r = ep_aof_manifest_format(&m, &text);
    ep_free(rw->cfg.alloc, all);
    snprintf(name, sizeof name, "%s.manifest", rw->prefix);
    if (r == EP_OK) r = ep__mrw_path(rw, name, path, sizeof path);
    if (r == EP_OK) {
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        r = rw->vfs->open(rw->vfs, tmp, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, err);
    }
    if (r == EP_OK) r = rw->vfs->write(rw->vfs, f, 0, text.data, text.len, err);
    if (r == EP_OK) r = ep__stream_publish(rw->vfs, rw->cfg.alloc, &f, tmp, path, renamed, err);
    if (f) (void)rw->vfs->close(rw->vfs, f, NULL);
    if (r != EP_OK && !*renamed) (void)rw->vfs->remove(rw->vfs, tmp, NULL);
    ep_buf_free(&text);
    return r;
}

EP_API ep_result ep_aof_rewrite_commit(ep_aof_rewrite *rw, char *incr_path, size_t cap, ep_error *err) {
    char path[1200];
    size_t i;
    int renamed = 0;
    ep_result r;
    if (!rw) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "aof rewrite: NULL argument");
    r = ep_rdb_writer_commit(rw->base, err);
    rw->base = NULL;
    if (r == EP_OK) r = ep__mrw_path(rw, rw->incr_name, path, sizeof path);
    if (r == EP_OK) r = ep__mrw_incr(rw, path, err);
    if (r == EP_OK) r = ep__mrw_manifest(rw, &renamed, err);
    if (incr_path && ep__mrw_path(rw, rw->incr_name, incr_path, cap) != EP_OK && r == EP_OK)
        r = ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "incr path longer than %lu bytes", (unsigned long)cap);
    if (r != EP_OK && !renamed) {
        /* The old manifest still rules: drop what this rewrite made. */
        if (ep__mrw_path(rw, rw->incr_name, path, sizeof path) == EP_OK) (void)rw->vfs->remove(rw->vfs, path, NULL);
        if (ep__mrw_path(rw, rw->base_name, path, sizeof path) == EP_OK) (void)rw->vfs->remove(rw->vfs, path, NULL);
        ep__mrw_free(rw);
        return r;
    }
    if (r != EP_OK) { /* renamed, the directory sync failed: the new files stay */
        ep__mrw_free(rw);
        return r;
    }
    /* The new manifest is durable: the old files are garbage (Redis
     * removes them in the background too). A failure here loses nothing. */
    if (!rw->cfg.keep_history) {
        for (i = 0; i < rw->old.n; i++)
            if (ep__mrw_path(rw, rw->old.files[i].name, path, sizeof path) == EP_OK)
                (void)rw->vfs->remove(rw->vfs, path, NULL);
        if (rw->old.n) (void)rw->vfs->sync_dir(rw->vfs, rw->dir, NULL);
    }
    ep__mrw_free(rw);
    return EP_OK;
}

#endif /* EP_NO_REDIS */
