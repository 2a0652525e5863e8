/* snapshot: the ember snapshot writer and reader on a vfs (§3.1, §3.4-§3.6).
 * Writer: entries are encoded straight into one buffer that is written in
 * large pieces; the footer CRC is computed over each piece just before it is
 * written, so the hot path is one encode and one copy per entry. Reader: one
 * buffer refilled in large reads; an entry is decoded in place, and the
 * buffer grows only when an entry does not fit (never beyond the file). */
#include "base/internal.h"
#include "check/crc.h"
#include "crypto/crypto.h"
#include "vfs/vfs.h"
#include "file/stream.h"
#include "file/snapshot.h"

static const uint8_t ep__snap_magic[4] = {'E', 'S', 'N', 'P'};
#define EP__SNAP_ENVELOPE_HEAD (EP_NONCE_SIZE + 4)

/* Allocates and copies a NUL-terminated string. */
static char *ep__strdup(const ep_allocator *a, const char *s, size_t extra) {
    size_t n = strlen(s);
    char *p = (char *)ep_malloc(a, n + extra + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

EP_API ep_result ep_snapshot_path(const char *dir, ep_shard_id shard_id, char *out, size_t cap) {
    char name[32];
    if (!dir || !out) return EP_ERR_INVALID_ARG;
    snprintf(name, sizeof name, "shard-%lu.snap", (unsigned long)shard_id);
    return ep_path_join(out, cap, dir, name);
}

/* Rust's Path::with_extension("snap.tmp"): the last '.' of the file name
 * (not a leading one) starts the extension that is replaced. */
EP_API ep_result ep_snapshot_tmp_path(const char *path, char *out, size_t cap) {
    const char *name, *dot, *p;
    size_t stem;
    static const char ext[] = ".snap.tmp";
    if (!path || !out) return EP_ERR_INVALID_ARG;
    name = path;
    for (p = path; *p; p++)
        if (*p == '/' || *p == '\\') name = p + 1;
    dot = NULL;
    for (p = name + 1; *name && *p; p++)
        if (*p == '.') dot = p;
    stem = dot ? (size_t)(dot - path) : strlen(path);
    if (stem + sizeof ext > cap) return EP_ERR_LIMIT;
    memcpy(out, path, stem);
    memcpy(out + stem, ext, sizeof ext);
    return EP_OK;
}

/* ======================================================================== */
/* writer                                                                   */
/* ======================================================================== */

enum { EP__SW_OPEN = 0, EP__SW_FAILED = 1, EP__SW_DONE = 2 };

struct ep_snapshot_writer {
    ep_vfs os_vfs;           /* the OS table when the config gave none */
    ep_vfs *vfs;
    const ep_allocator *alloc;
    const ep_key *key;
    ep_file *file;
    char *path;
    char *tmp_path;
    ep_buf buf;              /* bytes not yet written; they go at file_off */
    size_t crc_from;         /* buf bytes before this are outside the CRC (header) or already in it */
    ep_buf plain;            /* v3: one entry's plaintext */
    ep_buf items;            /* convenience calls build their items here */
    uint64_t file_off;
    uint32_t crc;
    uint32_t count;
    size_t buffer_size;
    uint8_t *trailer;
    size_t trailer_len;
    ep_nonce_fn nonce_fn;
    void *nonce_user;
    int state;
    ep_result failed;        /* the error that failed the writer */
    ep_error err;
};

EP_API void ep_snapshot_writer_config_init(ep_snapshot_writer_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->buffer_size = EP_SNAPSHOT_DEFAULT_BUFFER;
}

/* Keeps the vfs's message (it has the errno text) behind our context. */
static ep_result ep__sw_io_fail(ep_snapshot_writer *w, ep_result r, const char *what) {
    char detail[sizeof w->err.message];
    memcpy(detail, w->err.message, sizeof detail);
    detail[sizeof detail - 1] = '\0';
    ep_error_set(&w->err, r, w->file_off, "%s: %s", what, detail[0] ? detail : ep_result_str(r));
    w->state = EP__SW_FAILED;
    w->failed = r;
    return r;
}

static ep_result ep__sw_ready(ep_snapshot_writer *w) {
    if (!w) return EP_ERR_INVALID_ARG;
    if (w->state == EP__SW_FAILED) return w->failed;
    if (w->state == EP__SW_DONE) return ep_error_set(&w->err, EP_ERR_STATE, UINT64_MAX, "snapshot already finished");
    return EP_OK;
}

/* Folds the entry bytes gathered since the last call into the footer CRC. */
static void ep__sw_crc_pending(ep_snapshot_writer *w) {
    if (w->buf.len > w->crc_from)
        w->crc = ep_crc32_update(w->crc, w->buf.data + w->crc_from, w->buf.len - w->crc_from);
    w->crc_from = w->buf.len;
}

/* Writes buf out and empties it; a buffer grown by one huge entry shrinks back. */
static ep_result ep__sw_write(ep_snapshot_writer *w) {
    ep_result r;
    if (w->buf.len == 0) return EP_OK;
    ep_error_clear(&w->err);
    r = w->vfs->write(w->vfs, w->file, w->file_off, w->buf.data, w->buf.len, &w->err);
    if (r) return ep__sw_io_fail(w, r, "snapshot write failed");
    w->file_off += w->buf.len;
    w->buf.len = 0;
    w->crc_from = 0;
    if (w->buf.cap > 2 * w->buffer_size) {
        ep_buf_free(&w->buf);
        (void)ep_buf_reserve(&w->buf, w->buffer_size);
        w->buf.err = EP_OK; /* a failed shrink-realloc only means the next append allocates */
    }
    return EP_OK;
}

static ep_result ep__sw_flush(ep_snapshot_writer *w) {
    ep__sw_crc_pending(w);
    return ep__sw_write(w);
}

static void ep__sw_free(ep_snapshot_writer *w);

EP_API ep_result ep_snapshot_writer_begin(const char *path, ep_shard_id shard_id, const ep_snapshot_writer_config *cfg,
                                          ep_snapshot_writer **out, ep_error *err) {
    ep_snapshot_writer_config def;
    ep_snapshot_writer *w;
    ep_result r;
    size_t tmp_cap;
    if (out) *out = NULL;
    if (!path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "path and out are required");
    if (!cfg) {
        ep_snapshot_writer_config_init(&def);
        cfg = &def;
    }
    w = (ep_snapshot_writer *)ep_malloc(cfg->alloc, sizeof *w);
    if (!w) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(w, 0, sizeof *w);
    ep_error_clear(&w->err);
    w->alloc = cfg->alloc;
    w->key = cfg->key;
    w->buffer_size = cfg->buffer_size ? cfg->buffer_size : EP_SNAPSHOT_DEFAULT_BUFFER;
    w->nonce_fn = cfg->nonce_fn;
    w->nonce_user = cfg->nonce_user;
    ep_buf_init(&w->buf, cfg->alloc);
    ep_buf_init(&w->plain, cfg->alloc);
    ep_buf_init(&w->items, cfg->alloc);
    w->vfs = cfg->vfs;
    r = EP_OK;
    if (!w->vfs) {
        r = ep_vfs_os_init(&w->os_vfs);
        w->vfs = &w->os_vfs;
    }
    tmp_cap = strlen(path) + 16;
    if (!r) {
        w->path = ep__strdup(w->alloc, path, 0);
        w->tmp_path = (char *)ep_malloc(w->alloc, tmp_cap);
        if (cfg->trailer.len) {
            w->trailer = (uint8_t *)ep_malloc(w->alloc, cfg->trailer.len);
            if (w->trailer) memcpy(w->trailer, cfg->trailer.data, cfg->trailer.len);
            w->trailer_len = cfg->trailer.len;
        }
        if (!w->path || !w->tmp_path || (cfg->trailer.len && !w->trailer) ||
            ep_buf_reserve(&w->buf, w->buffer_size + EP_SNAPSHOT_HEADER_SIZE))
            r = EP_ERR_NOMEM;
    }
    if (!r) r = ep_snapshot_tmp_path(path, w->tmp_path, tmp_cap);
    if (!r && cfg->create_dir) {
        char *dir = (char *)ep_malloc(w->alloc, tmp_cap);
        r = dir ? ep_path_dirname(dir, tmp_cap, path) : EP_ERR_NOMEM;
        if (!r) r = ep__stream_make_dirs(w->vfs, w->alloc, dir, &w->err);
        ep_free(w->alloc, dir);
    }
    if (!r) {
        r = w->vfs->open(w->vfs, w->tmp_path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &w->file, &w->err);
        if (r) w->file = NULL;
    }
    if (r) {
        if (err) {
            *err = w->err;
            if (err->code != r) ep_error_set(err, r, UINT64_MAX, "cannot create the snapshot's temporary file");
        }
        ep__sw_free(w); /* nothing of ours on disk to remove */
        return r;
    }
    /* The header goes out with the first entries; the count is patched at commit. */
    ep_buf_put(&w->buf, ep__snap_magic, 4);
    ep_buf_u8(&w->buf, (uint8_t)(w->key ? 3 : 2));
    ep_buf_u16(&w->buf, shard_id);
    ep_buf_u32(&w->buf, 0);
    w->crc_from = w->buf.len;
    *out = w;
    return EP_OK;
}

/* Codec refusals leave the writer usable; they are about one entry. */
static ep_result ep__sw_entry_err(ep_snapshot_writer *w, ep_result r) {
    ep_error_set(&w->err, r, UINT64_MAX, "entry %lu not written: %s", (unsigned long)w->count, ep_result_str(r));
    w->err.index = w->count;
    return r;
}

static ep_result ep__sw_seal(ep_snapshot_writer *w, const ep_snap_entry *e) {
    ep_result r;
    uint8_t *p;
    size_t n;
    ep_buf_reset(&w->plain);
    r = ep_snap_entry_encode(&w->plain, e);
    if (r) return r;
    n = w->plain.len;
    if (n > EP_MAX_FIELD_LEN - EP_TAG_SIZE) return EP_ERR_LIMIT; /* no reader would take it */
    if (ep_buf_reserve(&w->buf, EP__SNAP_ENVELOPE_HEAD + n + EP_TAG_SIZE)) {
        w->buf.err = EP_OK;
        return EP_ERR_NOMEM;
    }
    p = w->buf.data + w->buf.len;
    r = w->nonce_fn ? w->nonce_fn(w->nonce_user, p) : ep_random_bytes(p, EP_NONCE_SIZE);
    if (r) return r;
    ep_store_u32le(p + EP_NONCE_SIZE, (uint32_t)(n + EP_TAG_SIZE));
    r = ep_key_seal_nonce(w->key, p, w->plain.data, n, p + EP__SNAP_ENVELOPE_HEAD);
    if (r) return r;
    w->buf.len += EP__SNAP_ENVELOPE_HEAD + n + EP_TAG_SIZE;
    return EP_OK;
}

EP_API ep_result ep_snapshot_writer_add(ep_snapshot_writer *w, const ep_snap_entry *e) {
    ep_result r = ep__sw_ready(w);
    if (r) return r;
    if (!e) return ep__sw_entry_err(w, EP_ERR_INVALID_ARG);
    if (w->count == UINT32_MAX) return ep__sw_entry_err(w, EP_ERR_LIMIT);
    r = w->key ? ep__sw_seal(w, e) : ep_snap_entry_encode(&w->buf, e);
    if (r) return ep__sw_entry_err(w, r);
    w->count++;
    return w->buf.len >= w->buffer_size ? ep__sw_flush(w) : EP_OK;
}

static ep_snap_entry ep__sw_entry(ep_bytes key, uint8_t type, int64_t expire_ms) {
    ep_snap_entry e;
    memset(&e, 0, sizeof e);
    e.key = key;
    e.type = type;
    e.expire_ms = expire_ms;
    return e;
}

EP_API ep_result ep_snapshot_writer_add_string(ep_snapshot_writer *w, ep_bytes key, ep_bytes value,
                                               int64_t expire_ms) {
    ep_snap_entry e = ep__sw_entry(key, EP_TYPE_STRING, expire_ms);
    e.value = value;
    return ep_snapshot_writer_add(w, &e);
}

/* Builds the items of a collection into w->items, then adds the entry. */
static ep_result ep__sw_add_items(ep_snapshot_writer *w, ep_bytes key, uint8_t type, ep_items_kind kind,
                                  const ep_bytes *first, const ep_bytes *second, const double *scores,
                                  uint32_t count, int64_t expire_ms) {
    ep_snap_entry e = ep__sw_entry(key, type, expire_ms);
    ep_result r = ep__sw_ready(w);
    if (r) return r;
    ep_buf_reset(&w->items);
    r = ep_items_build(&w->items, kind, first, second, scores, count, &e.items);
    if (r) return ep__sw_entry_err(w, r);
    return ep_snapshot_writer_add(w, &e);
}

EP_API ep_result ep_snapshot_writer_add_list(ep_snapshot_writer *w, ep_bytes key, const ep_bytes *items,
                                             uint32_t count, int64_t expire_ms) {
    return ep__sw_add_items(w, key, EP_TYPE_LIST, EP_ITEMS_BYTES, items, NULL, NULL, count, expire_ms);
}

EP_API ep_result ep_snapshot_writer_add_zset(ep_snapshot_writer *w, ep_bytes key, const double *scores,
                                             const ep_bytes *members, uint32_t count, int64_t expire_ms) {
    return ep__sw_add_items(w, key, EP_TYPE_ZSET, EP_ITEMS_SCORE_MEMBER, members, NULL, scores, count, expire_ms);
}

EP_API ep_result ep_snapshot_writer_add_hash(ep_snapshot_writer *w, ep_bytes key, const ep_bytes *fields,
                                             const ep_bytes *values, uint32_t count, int64_t expire_ms) {
    return ep__sw_add_items(w, key, EP_TYPE_HASH, EP_ITEMS_FIELD_VALUE, fields, values, NULL, count, expire_ms);
}

EP_API ep_result ep_snapshot_writer_add_set(ep_snapshot_writer *w, ep_bytes key, const ep_bytes *members,
                                            uint32_t count, int64_t expire_ms) {
    return ep__sw_add_items(w, key, EP_TYPE_SET, EP_ITEMS_STR, members, NULL, NULL, count, expire_ms);
}

EP_API ep_result ep_snapshot_writer_add_proto(ep_snapshot_writer *w, ep_bytes key, ep_bytes type_name,
                                              ep_bytes data, int64_t expire_ms) {
    ep_snap_entry e = ep__sw_entry(key, EP_TYPE_PROTO, expire_ms);
    e.type_name = type_name;
    e.value = data;
    return ep_snapshot_writer_add(w, &e);
}

EP_API ep_result ep_snapshot_writer_add_vector(ep_snapshot_writer *w, ep_bytes key, uint8_t metric,
                                               uint8_t quantization, uint32_t connectivity, uint32_t expansion_add,
                                               uint32_t dim, const ep_bytes *names, const float *vectors,
                                               uint32_t count, int64_t expire_ms) {
    ep_snap_entry e = ep__sw_entry(key, EP_TYPE_VECTOR, expire_ms);
    ep_result r = ep__sw_ready(w);
    size_t floats, i, j;
    if (r) return r;
    if (count && (!names || (dim && !vectors))) return ep__sw_entry_err(w, EP_ERR_INVALID_ARG);
    if (!ep__mul_size(dim, count, &floats)) return ep__sw_entry_err(w, EP_ERR_LIMIT);
    e.metric = metric;
    e.quantization = quantization;
    e.connectivity = connectivity;
    e.expansion_add = expansion_add;
    e.dim = dim;
    /* Host floats -> LE bytes, element by element, into the items buffer. */
    ep_buf_reset(&w->items);
    for (i = 0; i < count && !w->items.err; i++) {
        ep_buf_lenbytes(&w->items, names[i].data, names[i].len);
        for (j = 0; j < dim; j++) ep_buf_f32(&w->items, vectors[i * dim + j]);
    }
    if (w->items.err) return ep__sw_entry_err(w, w->items.err);
    e.items.count = count;
    e.items.kind = EP_ITEMS_NAME_VECTOR;
    e.items.dim = dim;
    e.items.raw = ep_bytes_of(w->items.data, w->items.len);
    return ep_snapshot_writer_add(w, &e);
}

EP_API void ep_snapshot_writer_count(const ep_snapshot_writer *w, uint32_t *out) {
    if (out) *out = w ? w->count : 0;
}

/* Footer and trailer out, count patched, file synced and closed. */
static ep_result ep__sw_seal_file(ep_snapshot_writer *w) {
    uint8_t count[4];
    ep_result r;
    ep__sw_crc_pending(w);
    ep_buf_u32(&w->buf, w->crc);
    ep_buf_put(&w->buf, w->trailer, w->trailer_len);
    if (w->buf.err) {
        w->buf.err = EP_OK;
        return ep__sw_io_fail(w, EP_ERR_NOMEM, "snapshot footer");
    }
    r = ep__sw_write(w);
    if (r) return r;
    ep_store_u32le(count, w->count);
    ep_error_clear(&w->err);
    r = w->vfs->write(w->vfs, w->file, 7, count, 4, &w->err);
    if (r) return ep__sw_io_fail(w, r, "snapshot entry count write failed");
    /* One sync covers entries, footer and count: the file is not reachable
     * under its final name until the rename below. */
    ep_error_clear(&w->err);
    r = w->vfs->sync(w->vfs, w->file, &w->err);
    if (r) return ep__sw_io_fail(w, r, "snapshot sync failed");
    ep_error_clear(&w->err);
    r = w->vfs->close(w->vfs, w->file, &w->err);
    w->file = NULL;
    if (r) return ep__sw_io_fail(w, r, "snapshot close failed");
    return EP_OK;
}

static ep_result ep__sw_publish(ep_snapshot_writer *w) {
    ep_result r = ep__sw_ready(w);
    char *dir;
    size_t cap;
    if (r) return r;
    r = ep__sw_seal_file(w);
    if (r) return r;
    ep_error_clear(&w->err);
    r = w->vfs->rename(w->vfs, w->tmp_path, w->path, &w->err);
    if (r) return ep__sw_io_fail(w, r, "snapshot rename failed");
    w->state = EP__SW_DONE; /* the tmp file is gone: nothing for commit or abort to remove */
    cap = strlen(w->path) + 2;
    dir = (char *)ep_malloc(w->alloc, cap);
    if (!dir) return ep_error_set(&w->err, EP_ERR_NOMEM, UINT64_MAX, "snapshot in place; directory not synced");
    ep_error_clear(&w->err);
    r = ep_path_dirname(dir, cap, w->path);
    if (!r) r = w->vfs->sync_dir(w->vfs, dir, &w->err);
    ep_free(w->alloc, dir);
    if (r) {
        char detail[sizeof w->err.message];
        memcpy(detail, w->err.message, sizeof detail);
        detail[sizeof detail - 1] = '\0';
        return ep_error_set(&w->err, r, UINT64_MAX, "snapshot in place but the directory sync failed: %s", detail);
    }
    return EP_OK;
}

/* Frees the writer and everything it holds (not the files). */
static void ep__sw_free(ep_snapshot_writer *w) {
    if (w->file) (void)w->vfs->close(w->vfs, w->file, NULL);
    ep__wipe(w->plain.data, w->plain.cap); /* plaintext of an encrypted snapshot */
    ep_buf_free(&w->buf);
    ep_buf_free(&w->plain);
    ep_buf_free(&w->items);
    ep_free(w->alloc, w->trailer);
    ep_free(w->alloc, w->path);
    ep_free(w->alloc, w->tmp_path);
    ep_free(w->alloc, w);
}

/* Removes the temporary file unless the rename already consumed it. */
static ep_result ep__sw_remove_tmp(ep_snapshot_writer *w) {
    ep_result r;
    if (w->file) {
        (void)w->vfs->close(w->vfs, w->file, NULL);
        w->file = NULL;
    }
    if (w->state == EP__SW_DONE) return EP_OK;
    r = w->vfs->remove(w->vfs, w->tmp_path, NULL);
    return r == EP_ERR_NOT_FOUND ? EP_OK : r;
}

EP_API ep_result ep_snapshot_writer_commit(ep_snapshot_writer *w, ep_error *err) {
    ep_result r;
    if (!w) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "snapshot commit: NULL writer");
    r = ep__sw_publish(w);
    if (r != EP_OK && err) {
        *err = w->err;
        if (err->code != r) ep_error_set(err, r, UINT64_MAX, "snapshot commit: %s", ep_result_str(r));
    }
    (void)ep__sw_remove_tmp(w);
    ep__sw_free(w);
    return r;
}

EP_API ep_result ep_snapshot_writer_abort(ep_snapshot_writer *w) {
    ep_result r;
    if (!w) return EP_OK;
    r = ep__sw_remove_tmp(w);
    ep__sw_free(w);
    return r;
}

EP_API const ep_error *ep_snapshot_writer_error(const ep_snapshot_writer *w) {
    return w ? &w->err : NULL;
}

/* ======================================================================== */
/* reader                                                                   */
/* ======================================================================== */

struct ep_snapshot_reader {
    ep_vfs os_vfs;
    ep_vfs *vfs;
    const ep_allocator *alloc;
    const ep_key *key;
    ep_file *file;
    uint8_t *buf;            /* file bytes [buf_off, buf_off + len) */
    size_t cap, len, pos;
    uint64_t buf_off;
    size_t crc_pos;          /* buf bytes before this are already in crc */
    uint32_t crc;
    uint8_t *plain;          /* v3: decrypted entry */
    size_t plain_cap;
    uint8_t *trailer;
    size_t buffer_size;
    size_t max_trailer;
    ep_snapshot_info info;
    ep_result state;         /* EP_OK while entries remain; then END or the error, repeated */
    ep_error err;
    ep__views_hook views_hook; /* called before views handed out go stale */
    void *views_user;
};

static void ep__sr_views_end(ep_snapshot_reader *r) {
    if (r->views_hook) r->views_hook(r->views_user);
}

EP__PRIV void ep__snapshot_reader_set_views_hook(struct ep_snapshot_reader *r, ep__views_hook fn, void *user) {
    r->views_hook = fn;
    r->views_user = user;
}

EP_API void ep_snapshot_reader_config_init(ep_snapshot_reader_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->buffer_size = EP_SNAPSHOT_DEFAULT_BUFFER;
    cfg->max_trailer = EP_SNAPSHOT_DEFAULT_MAX_TRAILER;
}

static ep_result ep__sr_fail(ep_snapshot_reader *r, ep_result code, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static ep_result ep__sr_fail(ep_snapshot_reader *r, ep_result code, uint64_t offset, const char *fmt, ...) {
    va_list ap;
    r->err.code = code;
    r->err.offset = offset;
    r->err.index = r->info.entries_read;
    va_start(ap, fmt);
    ep__vformat(r->err.message, sizeof r->err.message, fmt, ap);
    va_end(ap);
    r->state = code;
    return code;
}

/* A vfs call failed and left its message in r->err: keep it behind ours. */
static ep_result ep__sr_vfs_fail(ep_snapshot_reader *r, ep_result code, uint64_t offset, const char *what) {
    char detail[sizeof r->err.message];
    memcpy(detail, r->err.message, sizeof detail);
    detail[sizeof detail - 1] = '\0';
    return ep__sr_fail(r, code, offset, "%s: %s", what, detail[0] ? detail : ep_result_str(code));
}

/* Bytes of the file not yet in the buffer. */
static uint64_t ep__sr_unread(const ep_snapshot_reader *r) {
    return r->info.file_size - (r->buf_off + r->len);
}

/* Makes buf[pos..] hold at least need bytes: EP_ERR_EOF if the file ends
 * first (nothing is allocated for bytes the file does not have). Reads as
 * much as fits, so small entries cost one read per buffer. */
static ep_result ep__sr_fill(ep_snapshot_reader *r, size_t need) {
    size_t avail = r->len - r->pos;
    if (avail >= need) return EP_OK;
    if ((uint64_t)(need - avail) > ep__sr_unread(r)) return EP_ERR_EOF;
    ep__sr_views_end(r);
    /* Drop consumed bytes (folding them into the CRC first). */
    if (r->pos > r->crc_pos) r->crc = ep_crc32_update(r->crc, r->buf + r->crc_pos, r->pos - r->crc_pos);
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, avail);
        r->buf_off += r->pos;
        r->len = avail;
        r->pos = 0;
    }
    r->crc_pos = 0;
    if (need > r->cap) {
        size_t cap = EP__MAX(need, r->cap > SIZE_MAX / 2 ? need : r->cap * 2);
        uint8_t *p;
        if ((uint64_t)cap > avail + ep__sr_unread(r)) cap = need; /* never beyond the file */
        p = (uint8_t *)ep_realloc(r->alloc, r->buf, cap);
        if (!p) return EP_ERR_NOMEM;
        r->buf = p;
        r->cap = cap;
    }
    while (r->len < need) {
        size_t want = r->cap - r->len, got = 0;
        ep_result res;
        if ((uint64_t)want > ep__sr_unread(r)) want = (size_t)ep__sr_unread(r);
        ep_error_clear(&r->err);
        res = r->vfs->read(r->vfs, r->file, r->buf_off + r->len, r->buf + r->len, want, &got, &r->err);
        if (res) return res;
        if (got == 0) return EP_ERR_EOF; /* the file shrank under us */
        r->len += got;
    }
    return EP_OK;
}

/* Turns a fill failure into the reader's error. */
static ep_result ep__sr_fill_fail(ep_snapshot_reader *r, ep_result res, uint64_t off, const char *what) {
    if (res == EP_ERR_EOF)
        return ep__sr_fail(r, res, off, "file ends inside %s %lu", what, (unsigned long)r->info.entries_read);
    if (res == EP_ERR_NOMEM) return ep__sr_fail(r, res, off, "out of memory reading %s", what);
    return ep__sr_vfs_fail(r, res, off, "read failed");
}

static ep_result ep__sr_plain_entry(ep_snapshot_reader *r, ep_snap_entry *out) {
    uint64_t off = r->buf_off + r->pos;
    for (;;) {
        size_t used = 0, avail = r->len - r->pos;
        ep_result res = ep_snap_entry_decode(r->buf + r->pos, avail, r->info.version, out, &used);
        if (res == EP_OK) {
            r->pos += used;
            return EP_OK;
        }
        if (res != EP_ERR_EOF)
            return ep__sr_fail(r, res, off, "entry %lu: %s", (unsigned long)r->info.entries_read,
                               ep_result_str(res));
        /* Incomplete: more of the file, or a bigger buffer if it is full. */
        res = ep__sr_fill(r, avail < r->cap ? avail + 1 : avail * 2);
        if (res == EP_ERR_EOF && ep__sr_unread(r) > 0) res = ep__sr_fill(r, avail + (size_t)ep__sr_unread(r));
        if (res) return ep__sr_fill_fail(r, res, off, "entry");
    }
}

static ep_result ep__sr_sealed_entry(ep_snapshot_reader *r, ep_snap_entry *out) {
    uint64_t off = r->buf_off + r->pos;
    uint32_t ct_len;
    size_t used = 0, n;
    ep_result res = ep__sr_fill(r, EP__SNAP_ENVELOPE_HEAD);
    const uint8_t *p;
    if (res) return ep__sr_fill_fail(r, res, off, "entry");
    ct_len = ep_load_u32le(r->buf + r->pos + EP_NONCE_SIZE);
    if (ct_len > EP_MAX_FIELD_LEN)
        return ep__sr_fail(r, EP_ERR_LIMIT, off, "entry %lu: ciphertext length %lu exceeds the maximum",
                           (unsigned long)r->info.entries_read, (unsigned long)ct_len);
    res = ep__sr_fill(r, EP__SNAP_ENVELOPE_HEAD + (size_t)ct_len);
    if (res) return ep__sr_fill_fail(r, res, off, "entry");
    p = r->buf + r->pos;
    if (ct_len < EP_TAG_SIZE)
        return ep__sr_fail(r, EP_ERR_DECRYPT, off, "entry %lu: ciphertext shorter than its tag",
                           (unsigned long)r->info.entries_read);
    n = ct_len - EP_TAG_SIZE;
    ep__sr_views_end(r); /* the plaintext buffer is about to be overwritten */
    if (n + 1 > r->plain_cap) {
        uint8_t *np = (uint8_t *)ep_malloc(r->alloc, n + 1);
        if (!np) return ep__sr_fail(r, EP_ERR_NOMEM, off, "out of memory for entry plaintext");
        if (r->plain) {
            ep__wipe(r->plain, r->plain_cap);
            ep_free(r->alloc, r->plain);
        }
        r->plain = np;
        r->plain_cap = n + 1;
    }
    res = ep_key_open(r->key, p, p + EP__SNAP_ENVELOPE_HEAD, ct_len, r->plain);
    if (res)
        return ep__sr_fail(r, res, off, "entry %lu: %s", (unsigned long)r->info.entries_read,
                           res == EP_ERR_DECRYPT ? "decryption failed (wrong key or tampered)" : ep_result_str(res));
    r->pos += EP__SNAP_ENVELOPE_HEAD + (size_t)ct_len;
    res = ep_snap_entry_decode(r->plain, n, 2, out, &used); /* bytes after the entry are ignored, as in ember */
    if (res == EP_ERR_EOF) /* authentic but cut short: the writer's fault, not a torn file */
        return ep__sr_fail(r, EP_ERR_CORRUPT, off, "entry %lu: decrypted entry is incomplete",
                           (unsigned long)r->info.entries_read);
    if (res)
        return ep__sr_fail(r, res, off, "entry %lu: %s", (unsigned long)r->info.entries_read, ep_result_str(res));
    return EP_OK;
}

/* After the last entry: the footer must match the CRC of every entry byte. */
static ep_result ep__sr_footer(ep_snapshot_reader *r) {
    uint64_t off = r->buf_off + r->pos;
    uint32_t stored;
    ep_result res = ep__sr_fill(r, 4);
    if (res) {
        if (res == EP_ERR_EOF) return ep__sr_fail(r, res, off, "file ends before the footer");
        return ep__sr_fill_fail(r, res, off, "footer");
    }
    if (r->pos > r->crc_pos) r->crc = ep_crc32_update(r->crc, r->buf + r->crc_pos, r->pos - r->crc_pos);
    r->crc_pos = r->pos;
    stored = ep_load_u32le(r->buf + r->pos);
    if (stored != r->crc)
        return ep__sr_fail(r, EP_ERR_CHECKSUM, off, "footer CRC 0x%08lx does not match the entries (0x%08lx)",
                           (unsigned long)stored, (unsigned long)r->crc);
    r->pos += 4;
    r->crc_pos = r->pos;
    r->info.footer_offset = off;
    r->info.trailer_len = r->info.file_size - (off + 4);
    r->state = EP_END;
    return EP_END;
}

EP_API ep_result ep_snapshot_reader_next(ep_snapshot_reader *r, ep_snap_entry *out) {
    ep_result res;
    uint64_t off;
    if (!r || !out) return EP_ERR_INVALID_ARG;
    if (r->state) return r->state;
    if (r->info.entries_read == r->info.entry_count) return ep__sr_footer(r);
    off = r->buf_off + r->pos;
    res = r->info.version == 3 ? ep__sr_sealed_entry(r, out) : ep__sr_plain_entry(r, out);
    if (res) return res;
    r->info.entry_offset = off;
    r->info.entries_read++;
    return EP_OK;
}

/* Header per §1.6 / §3.6, in ember's order of checks. */
static ep_result ep__sr_header(ep_snapshot_reader *r, const ep_snapshot_reader_config *cfg) {
    uint8_t h[EP_SNAPSHOT_HEADER_SIZE];
    size_t got = 0;
    ep_result res;
    ep_error_clear(&r->err);
    res = r->vfs->read(r->vfs, r->file, 0, h, sizeof h, &got, &r->err);
    if (res) return ep__sr_vfs_fail(r, res, 0, "read failed");
    if (got < 4) return ep__sr_fail(r, EP_ERR_EOF, got, "file too short for a snapshot header");
    if (memcmp(h, ep__snap_magic, 4) != 0) return ep__sr_fail(r, EP_ERR_BAD_MAGIC, 0, "not a snapshot (magic)");
    if (got < 5) return ep__sr_fail(r, EP_ERR_EOF, got, "file too short for a snapshot header");
    if (h[4] == 0 || h[4] > 3)
        return ep__sr_fail(r, EP_ERR_BAD_VERSION, 4, "unsupported snapshot version %u", (unsigned)h[4]);
    if (h[4] == 3 && !r->key)
        return ep__sr_fail(r, EP_ERR_ENCRYPTION_REQUIRED, 4, "encrypted snapshot (version 3): a key is required");
    if (got < sizeof h) return ep__sr_fail(r, EP_ERR_EOF, got, "file too short for a snapshot header");
    r->info.version = h[4];
    r->info.encrypted = h[4] == 3;
    r->info.shard_id = ep_load_u16le(h + 5);
    r->info.entry_count = ep_load_u32le(h + 7);
    if (cfg->check_shard && cfg->shard_id != r->info.shard_id)
        return ep__sr_fail(r, EP_ERR_SHARD_MISMATCH, 5, "snapshot is for shard %u, expected %u",
                           (unsigned)r->info.shard_id, (unsigned)cfg->shard_id);
    return EP_OK;
}

EP_API ep_result ep_snapshot_reader_open(const char *path, const ep_snapshot_reader_config *cfg,
                                         ep_snapshot_reader **out, ep_error *err) {
    ep_snapshot_reader_config def;
    ep_snapshot_reader *r;
    ep_result res = EP_OK;
    if (out) *out = NULL;
    if (!path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "path and out are required");
    if (!cfg) {
        ep_snapshot_reader_config_init(&def);
        cfg = &def;
    }
    r = (ep_snapshot_reader *)ep_malloc(cfg->alloc, sizeof *r);
    if (!r) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(r, 0, sizeof *r);
    ep_error_clear(&r->err);
    r->alloc = cfg->alloc;
    r->key = cfg->key;
    r->buffer_size = cfg->buffer_size ? cfg->buffer_size : EP_SNAPSHOT_DEFAULT_BUFFER;
    r->max_trailer = cfg->max_trailer;
    r->vfs = cfg->vfs;
    if (!r->vfs) {
        res = ep_vfs_os_init(&r->os_vfs);
        r->vfs = &r->os_vfs;
        if (res) ep__sr_fail(r, res, UINT64_MAX, "no OS file system in this build");
    }
    if (!res) {
        res = r->vfs->open(r->vfs, path, EP_OPEN_READ, &r->file, &r->err);
        if (res) {
            r->file = NULL;
            ep__sr_vfs_fail(r, res, UINT64_MAX, "cannot open the snapshot");
        }
    }
    if (!res) {
        res = r->vfs->size(r->vfs, r->file, &r->info.file_size, &r->err);
        if (res) ep__sr_vfs_fail(r, res, UINT64_MAX, "cannot get the snapshot's size");
    }
    if (!res) res = ep__sr_header(r, cfg);
    if (!res) {
        /* Small files get a small buffer (fuzzing, tiny shards). */
        uint64_t body = r->info.file_size - EP_SNAPSHOT_HEADER_SIZE;
        r->cap = body < r->buffer_size ? (size_t)body + 1 : r->buffer_size;
        r->buf = (uint8_t *)ep_malloc(r->alloc, r->cap);
        if (!r->buf) res = ep__sr_fail(r, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
        r->buf_off = EP_SNAPSHOT_HEADER_SIZE;
    }
    if (res) {
        if (err) *err = r->err;
        ep_snapshot_reader_close(r);
        return res;
    }
    *out = r;
    return EP_OK;
}

EP_API void ep_snapshot_reader_info(const ep_snapshot_reader *r, ep_snapshot_info *out) {
    if (!out) return;
    if (!r) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = r->info;
}

EP_API ep_result ep_snapshot_reader_trailer(ep_snapshot_reader *r, ep_bytes *out) {
    size_t n, done = 0;
    if (!r || !out) return EP_ERR_INVALID_ARG;
    out->data = NULL;
    out->len = 0;
    if (r->state != EP_END) return EP_ERR_STATE;
    if (r->info.trailer_len == 0) return EP_OK;
    if (r->info.trailer_len > r->max_trailer) return EP_ERR_LIMIT;
    n = (size_t)r->info.trailer_len;
    if (!r->trailer) {
        uint8_t *t = (uint8_t *)ep_malloc(r->alloc, n);
        if (!t) return EP_ERR_NOMEM;
        while (done < n) {
            size_t got = 0;
            ep_result res = r->vfs->read(r->vfs, r->file, r->info.footer_offset + 4 + done, t + done, n - done,
                                         &got, NULL);
            if (res || got == 0) {
                ep_free(r->alloc, t);
                return res ? res : EP_ERR_EOF;
            }
            done += got;
        }
        r->trailer = t;
    }
    out->data = r->trailer;
    out->len = n;
    return EP_OK;
}

EP_API const ep_error *ep_snapshot_reader_error(const ep_snapshot_reader *r) {
    return r ? &r->err : NULL;
}

EP_API void ep_snapshot_reader_close(ep_snapshot_reader *r) {
    if (!r) return;
    if (r->file) (void)r->vfs->close(r->vfs, r->file, NULL);
    if (r->plain) {
        ep__wipe(r->plain, r->plain_cap);
        ep_free(r->alloc, r->plain);
    }
    ep_free(r->alloc, r->buf);
    ep_free(r->alloc, r->trailer);
    ep_free(r->alloc, r);
}

/* ======================================================================== */
/* in memory                                                                */
/* ======================================================================== */

EP_API ep_result ep_snapshot_write_bytes(ep_shard_id shard_id, const ep_snap_entry *entries, size_t n,
                                         const ep_allocator *alloc, uint8_t **out, size_t *out_len) {
    ep_buf b;
    size_t i;
    ep_result r = EP_OK;
    if (!out || !out_len || (n && !entries)) return EP_ERR_INVALID_ARG;
    *out = NULL;
    *out_len = 0;
#if SIZE_MAX > UINT32_MAX
    if (n > UINT32_MAX) return EP_ERR_LIMIT;
#endif
    ep_buf_init(&b, alloc);
    ep_buf_put(&b, ep__snap_magic, 4);
    ep_buf_u8(&b, 2);
    ep_buf_u16(&b, shard_id);
    ep_buf_u32(&b, (uint32_t)n);
    for (i = 0; i < n && !r; i++) r = ep_snap_entry_encode(&b, &entries[i]);
    if (!r && b.err) r = b.err;
    if (!r) {
        ep_buf_u32(&b, ep_crc32_update(0, b.data + EP_SNAPSHOT_HEADER_SIZE, b.len - EP_SNAPSHOT_HEADER_SIZE));
        r = b.err;
    }
    if (r) {
        ep_buf_free(&b);
        return r;
    }
    *out = b.data;
    *out_len = b.len;
    return EP_OK;
}

/* Walks the entries of a v2 snapshot in data; with fn NULL it only checks
 * them and returns the footer's offset in *end. */
static ep_result ep__snap_bytes_walk(const uint8_t *data, size_t len, uint32_t count, ep_snapshot_entry_fn fn,
                                     void *ctx, size_t *end, ep_error *err) {
    size_t pos = EP_SNAPSHOT_HEADER_SIZE, used;
    uint32_t i;
    ep_snap_entry e;
    for (i = 0; i < count; i++) {
        ep_result r = ep_snap_entry_decode(data + pos, len - pos, 2, &e, &used);
        if (r) {
            ep_error_set(err, r, pos, "entry %lu: %s", (unsigned long)i, ep_result_str(r));
            if (err) err->index = i;
            return r;
        }
        if (fn && fn(ctx, &e)) return ep_error_set(err, EP_ERR_STATE, pos, "stopped by the callback");
        pos += used;
    }
    *end = pos;
    return EP_OK;
}

EP_API ep_result ep_snapshot_read_bytes(const uint8_t *data, size_t len, ep_shard_id *shard_id,
                                        ep_snapshot_entry_fn fn, void *ctx, ep_error *err) {
    uint32_t count;
    size_t end = 0;
    ep_result r;
    if (!data && len) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "no data");
    if (len < 4) return ep_error_set(err, EP_ERR_EOF, len, "too short for a snapshot header");
    if (memcmp(data, ep__snap_magic, 4) != 0) return ep_error_set(err, EP_ERR_BAD_MAGIC, 0, "not a snapshot");
    if (len < 5) return ep_error_set(err, EP_ERR_EOF, len, "too short for a snapshot header");
    if (data[4] != 2)
        return ep_error_set(err, EP_ERR_BAD_VERSION, 4, "in-memory snapshots are version 2, not %u", (unsigned)data[4]);
    if (len < EP_SNAPSHOT_HEADER_SIZE) return ep_error_set(err, EP_ERR_EOF, len, "too short for a snapshot header");
    count = ep_load_u32le(data + 7);
    r = ep__snap_bytes_walk(data, len, count, NULL, NULL, &end, err);
    if (r) return r;
    if (len - end < 4) return ep_error_set(err, EP_ERR_EOF, end, "ends before the footer");
    if (ep_load_u32le(data + end) != ep_crc32_update(0, data + EP_SNAPSHOT_HEADER_SIZE, end - EP_SNAPSHOT_HEADER_SIZE))
        return ep_error_set(err, EP_ERR_CHECKSUM, end, "footer CRC does not match the entries");
    if (shard_id) *shard_id = ep_load_u16le(data + 5);
    return fn ? ep__snap_bytes_walk(data, len, count, fn, ctx, &end, err) : EP_OK;
}
