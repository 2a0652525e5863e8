/* snapshot: the ember snapshot writer and reader (§3.1, §3.4-§3.6) on the
 * stream core (file/stream.h), which does the buffering, writing, reading,
 * growth and the tmp + sync + rename + directory sync publish.
 * Writer: entries are encoded straight into the stream's buffer, written in
 * large pieces; the footer CRC is folded over each piece as the stream
 * writes it, so the hot path is one encode and one copy per entry. Reader:
 * an entry is decoded in place in the stream's buffer; the CRC is folded
 * over the bytes the stream drops. */
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
    char *path;
    char *tmp_path;
    ep__wstream s;           /* the temporary file and its buffer */
    ep_buf plain;            /* v3: one entry's plaintext */
    ep_buf items;            /* convenience calls build their items here */
    uint32_t crc;            /* footer CRC of the entry bytes written so far */
    int crc_done;            /* the footer is taken: later bytes are not entries */
    uint32_t count;
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
    ep_error_set(&w->err, r, ep__ws_size(&w->s), "%s: %s", what, detail[0] ? detail : ep_result_str(r));
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

/* The stream shows every piece just before it writes it: the entry bytes
 * (after the header, before the footer) go into the footer CRC. */
static void ep__sw_observe(void *user, uint64_t offset, const uint8_t *p, size_t n) {
    ep_snapshot_writer *w = (ep_snapshot_writer *)user;
    if (w->crc_done) return;
    if (offset < EP_SNAPSHOT_HEADER_SIZE) {
        size_t skip = (size_t)EP__MIN((uint64_t)n, EP_SNAPSHOT_HEADER_SIZE - offset);
        p += skip;
        n -= skip;
    }
    if (n) w->crc = ep_crc32_update(w->crc, p, n);
}

static void ep__sw_free(ep_snapshot_writer *w);

EP_API ep_result ep_snapshot_writer_begin(const char *path, ep_shard_id shard_id, const ep_snapshot_writer_config *cfg,
                                          ep_snapshot_writer **out, ep_error *err) {
    ep_snapshot_writer_config def;
    ep_snapshot_writer *w;
    ep_file *f = NULL;
    uint8_t h[EP_SNAPSHOT_HEADER_SIZE];
    ep_result r;
    size_t tmp_cap;
    if (out) *out = NULL;
    if (!path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "path and out are required");
    if (!cfg) {
        ep_snapshot_writer_config_init(&def);
        cfg = &def;
    }
    if (EP__KEY_REFUSED(cfg->key))
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "a key given, but built with EP_NO_ENCRYPTION");
    w = (ep_snapshot_writer *)ep_malloc(cfg->alloc, sizeof *w);
    if (!w) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(w, 0, sizeof *w);
    ep_error_clear(&w->err);
    w->alloc = cfg->alloc;
    w->key = cfg->key;
    w->nonce_fn = cfg->nonce_fn;
    w->nonce_user = cfg->nonce_user;
    ep_buf_init(&w->plain, cfg->alloc);
    ep_buf_init(&w->items, cfg->alloc);
    r = ep__vfs_pick(cfg->vfs, &w->os_vfs, &w->vfs);
    ep__ws_init(&w->s, w->vfs, NULL, w->alloc, 0, &w->err);
    ep__ws_set_observer(&w->s, ep__sw_observe, w);
    tmp_cap = strlen(path) + 16;
    if (!r) {
        w->path = ep__strdup(w->alloc, path, 0);
        w->tmp_path = (char *)ep_malloc(w->alloc, tmp_cap);
        if (cfg->trailer.len) {
            w->trailer = (uint8_t *)ep_malloc(w->alloc, cfg->trailer.len);
            if (w->trailer) memcpy(w->trailer, cfg->trailer.data, cfg->trailer.len);
            w->trailer_len = cfg->trailer.len;
        }
        if (!w->path || !w->tmp_path || (cfg->trailer.len && !w->trailer)) r = EP_ERR_NOMEM;
    }
    if (!r) r = ep__ws_config(&w->s, cfg->buffer_size ? cfg->buffer_size : EP_SNAPSHOT_DEFAULT_BUFFER, EP_FSYNC_NO,
                              NULL, NULL);
    if (!r) r = ep_snapshot_tmp_path(path, w->tmp_path, tmp_cap);
    if (!r && cfg->create_dir) {
        char *dir = (char *)ep_malloc(w->alloc, tmp_cap);
        r = dir ? ep_path_dirname(dir, tmp_cap, path) : EP_ERR_NOMEM;
        if (!r) r = ep__stream_make_dirs(w->vfs, w->alloc, dir, &w->err);
        ep_free(w->alloc, dir);
    }
    if (!r) r = w->vfs->open(w->vfs, w->tmp_path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, &w->err);
    if (r) {
        if (err) {
            *err = w->err;
            if (err->code != r) ep_error_set(err, r, UINT64_MAX, "cannot create the snapshot's temporary file");
        }
        ep__sw_free(w); /* nothing of ours on disk to remove */
        return r;
    }
    ep__ws_retarget(&w->s, f, 0);
    /* The header goes out with the first entries; the count is patched at commit. */
    memcpy(h, ep__snap_magic, 4);
    h[4] = (uint8_t)(w->key ? 3 : 2);
    ep_store_u16le(h + 5, shard_id);
    ep_store_u32le(h + 7, 0);
    r = ep__ws_put(&w->s, h, sizeof h, 0);
    if (r) {
        (void)ep__sw_io_fail(w, r, EP__TEXT("snapshot header"));
        if (err) *err = w->err;
        (void)ep_snapshot_writer_abort(w);
        return r;
    }
    *out = w;
    return EP_OK;
}

/* Codec refusals leave the writer usable; they are about one entry. */
static ep_result ep__sw_entry_err(ep_snapshot_writer *w, ep_result r) {
    (void)ep__ws_rewind(&w->s, r); /* nothing of the entry stays in the buffer */
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
    if (!(p = ep__ws_reserve(&w->s, EP__SNAP_ENVELOPE_HEAD + n + EP_TAG_SIZE))) return EP_ERR_NOMEM;
    r = w->nonce_fn ? w->nonce_fn(w->nonce_user, p) : ep_random_bytes(p, EP_NONCE_SIZE);
    if (r) return r;
    ep_store_u32le(p + EP_NONCE_SIZE, (uint32_t)(n + EP_TAG_SIZE));
    r = ep_key_seal_nonce(w->key, p, w->plain.data, n, p + EP__SNAP_ENVELOPE_HEAD);
    if (r) return r;
    ep__ws_advance(&w->s, EP__SNAP_ENVELOPE_HEAD + n + EP_TAG_SIZE, 1);
    return EP_OK;
}

static ep_result ep__sw_plain(ep_snapshot_writer *w, const ep_snap_entry *e) {
    ep_result r = ep_snap_entry_encode(ep__ws_buf(&w->s), e);
    if (r == EP_OK) ep__ws_records(&w->s, 1);
    return r;
}

EP_API ep_result ep_snapshot_writer_add(ep_snapshot_writer *w, const ep_snap_entry *e) {
    ep_result r = ep__sw_ready(w);
    if (r) return r;
    if (!e) return ep__sw_entry_err(w, EP_ERR_INVALID_ARG);
    if (w->count == UINT32_MAX) return ep__sw_entry_err(w, EP_ERR_LIMIT);
    ep__ws_mark(&w->s);
    r = EP__CRYPTO && w->key ? ep__sw_seal(w, e) : ep__sw_plain(w, e);
    if (r) return ep__sw_entry_err(w, r);
    w->count++;
    r = ep__ws_bound(&w->s);
    return r ? ep__sw_io_fail(w, r, EP__TEXT("snapshot write failed")) : EP_OK;
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


/* Every entry out, then the footer CRC and the trailer, then the count. */
static ep_result ep__sw_seal_file(ep_snapshot_writer *w) {
    uint8_t tail[4], count[4];
    ep_result r;
    if ((r = ep__ws_flush(&w->s)) != EP_OK) return ep__sw_io_fail(w, r, EP__TEXT("snapshot write failed"));
    w->crc_done = 1;
    ep_store_u32le(tail, w->crc);
    r = ep__ws_put(&w->s, tail, 4, 0);
    if (!r && w->trailer_len) r = ep__ws_put(&w->s, w->trailer, w->trailer_len, 0);
    if (!r) r = ep__ws_flush(&w->s);
    if (r) return ep__sw_io_fail(w, r, EP__TEXT("snapshot footer write failed"));
    ep_store_u32le(count, w->count);
    ep_error_clear(&w->err);
    r = w->vfs->write(w->vfs, w->s.f, 7, count, 4, &w->err);
    if (r) return ep__sw_io_fail(w, r, EP__TEXT("snapshot entry count write failed"));
    return EP_OK;
}

static ep_result ep__sw_publish(ep_snapshot_writer *w) {
    ep_result r = ep__sw_ready(w);
    int renamed = 0;
    if (r) return r;
    if ((r = ep__sw_seal_file(w)) != EP_OK) return r;
    ep_error_clear(&w->err);
    r = ep__stream_publish(w->vfs, w->alloc, &w->s.f, w->tmp_path, w->path, &renamed, &w->err);
    if (renamed) w->state = EP__SW_DONE; /* the tmp file is gone: nothing for commit or abort to remove */
    if (r && !renamed) return ep__sw_io_fail(w, r, EP__TEXT("snapshot sync, close or rename failed"));
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
    if (w->s.f) (void)w->vfs->close(w->vfs, w->s.f, NULL);
    ep__wipe(w->plain.data, w->plain.cap); /* plaintext of an encrypted snapshot */
    ep__ws_free(&w->s);
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
    if (w->s.f) {
        (void)w->vfs->close(w->vfs, w->s.f, NULL);
        w->s.f = NULL;
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
    ep__rstream rs;          /* the file's bytes after the header */
    uint32_t crc;            /* of the entry bytes the stream has passed over */
    uint8_t *plain;          /* v3: decrypted entry */
    size_t plain_cap;
    uint8_t *trailer;
    size_t buffer_size;
    size_t max_trailer;
    ep_snapshot_info info;
    ep_result state;         /* EP_OK while entries remain; then END or the error, repeated */
    ep_error err;
};

EP__PRIV void ep__snapshot_reader_set_views_hook(struct ep_snapshot_reader *r, ep__views_hook fn, void *user) {
    ep__rs_set_hook(&r->rs, fn, user);
}

EP_API void ep_snapshot_reader_config_init(ep_snapshot_reader_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->buffer_size = EP_SNAPSHOT_DEFAULT_BUFFER;
    cfg->max_trailer = EP_SNAPSHOT_DEFAULT_MAX_TRAILER;
}

/* The reader fails with code: the message through ep_error_set (so
 * EP_NO_ERROR_TEXT drops it there), then the entry index and the state that
 * every later call repeats. */
static ep_result ep__sr_failed(ep_snapshot_reader *r, ep_result code) {
    r->err.index = r->info.entries_read;
    r->state = code;
    return code;
}
#define ep__sr_fail(r, code, offset, ...) ep__sr_failed((r), ep_error_set(&(r)->err, (code), (offset), __VA_ARGS__))

/* A vfs call failed and left its message in r->err: keep it behind ours. */
static ep_result ep__sr_vfs_fail(ep_snapshot_reader *r, ep_result code, uint64_t offset, const char *what) {
    char detail[sizeof r->err.message];
    memcpy(detail, r->err.message, sizeof detail);
    detail[sizeof detail - 1] = '\0';
    return ep__sr_fail(r, code, offset, "%s: %s", what, detail[0] ? detail : ep_result_str(code));
}

static void ep__sr_observe(void *user, const uint8_t *p, size_t n) {
    ep_snapshot_reader *r = (ep_snapshot_reader *)user;
    r->crc = ep_crc32_update(r->crc, p, n);
}

/* Turns a fill failure into the reader's error. */
static ep_result ep__sr_fill_fail(ep_snapshot_reader *r, ep_result res, uint64_t off, const char *what) {
    if (res == EP_ERR_EOF)
        return ep__sr_fail(r, res, off, "file ends inside %s %lu", what, (unsigned long)r->info.entries_read);
    if (res == EP_ERR_NOMEM) return ep__sr_fail(r, res, off, "out of memory reading %s", what);
    return ep__sr_vfs_fail(r, res, off, EP__TEXT("read failed"));
}

static ep_result ep__sr_fill(ep_snapshot_reader *r, size_t need) {
    ep_error_clear(&r->err);
    return ep__rs_fill(&r->rs, need);
}

static ep_result ep__sr_plain_entry(ep_snapshot_reader *r, ep_snap_entry *out) {
    uint64_t off = ep__rs_offset(&r->rs);
    for (;;) {
        size_t used = 0, avail = ep__rs_avail(&r->rs);
        ep_result res = avail ? ep_snap_entry_decode(ep__rs_ptr(&r->rs), avail, r->info.version, out, &used)
                              : EP_ERR_EOF;
        if (res == EP_OK) {
            ep__rs_skip(&r->rs, used);
            return EP_OK;
        }
        if (res != EP_ERR_EOF)
            return ep__sr_fail(r, res, off, "entry %lu: %s", (unsigned long)r->info.entries_read,
                               ep_result_str(res));
        /* Incomplete: more of the file (the buffer grows when it is full). */
        if ((res = ep__sr_fill(r, avail + 1)) != EP_OK) return ep__sr_fill_fail(r, res, off, EP__TEXT("entry"));
    }
}

static ep_result ep__sr_sealed_entry(ep_snapshot_reader *r, ep_snap_entry *out) {
    uint64_t off = ep__rs_offset(&r->rs);
    uint32_t ct_len;
    size_t used = 0, n;
    ep_result res = ep__sr_fill(r, EP__SNAP_ENVELOPE_HEAD);
    const uint8_t *p;
    if (res) return ep__sr_fill_fail(r, res, off, EP__TEXT("entry"));
    ct_len = ep_load_u32le(ep__rs_ptr(&r->rs) + EP_NONCE_SIZE);
    if (ct_len > EP_MAX_FIELD_LEN)
        return ep__sr_fail(r, EP_ERR_LIMIT, off, "entry %lu: ciphertext length %lu exceeds the maximum",
                           (unsigned long)r->info.entries_read, (unsigned long)ct_len);
    res = ep__sr_fill(r, EP__SNAP_ENVELOPE_HEAD + (size_t)ct_len);
    if (res) return ep__sr_fill_fail(r, res, off, EP__TEXT("entry"));
    p = ep__rs_ptr(&r->rs);
    if (ct_len < EP_TAG_SIZE)
        return ep__sr_fail(r, EP_ERR_DECRYPT, off, "entry %lu: ciphertext shorter than its tag",
                           (unsigned long)r->info.entries_read);
    n = ct_len - EP_TAG_SIZE;
    ep__rs_views_end(&r->rs); /* the plaintext buffer is about to be overwritten */
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
    ep__rs_skip(&r->rs, EP__SNAP_ENVELOPE_HEAD + (size_t)ct_len);
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
    uint64_t off = ep__rs_offset(&r->rs);
    uint32_t stored;
    ep_result res = ep__sr_fill(r, 4);
    if (res) {
        if (res == EP_ERR_EOF) return ep__sr_fail(r, res, off, "file ends before the footer");
        return ep__sr_fill_fail(r, res, off, EP__TEXT("footer"));
    }
    ep__rs_observe(&r->rs); /* every entry byte is in the CRC now */
    stored = ep_load_u32le(ep__rs_ptr(&r->rs));
    if (stored != r->crc)
        return ep__sr_fail(r, EP_ERR_CHECKSUM, off, "footer CRC 0x%08lx does not match the entries (0x%08lx)",
                           (unsigned long)stored, (unsigned long)r->crc);
    ep__rs_set_observer(&r->rs, NULL, NULL); /* the footer and trailer are not entries */
    ep__rs_skip(&r->rs, 4);
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
    off = ep__rs_offset(&r->rs);
    /* v3 never reaches here under EP_NO_ENCRYPTION: open refuses a key */
    res = EP__CRYPTO && r->info.version == 3 ? ep__sr_sealed_entry(r, out) : ep__sr_plain_entry(r, out);
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
    if (res) return ep__sr_vfs_fail(r, res, 0, EP__TEXT("read failed"));
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
    if (EP__KEY_REFUSED(cfg->key))
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "a key given, but built with EP_NO_ENCRYPTION");
    r = (ep_snapshot_reader *)ep_malloc(cfg->alloc, sizeof *r);
    if (!r) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(r, 0, sizeof *r);
    ep_error_clear(&r->err);
    r->alloc = cfg->alloc;
    r->key = cfg->key;
    r->buffer_size = cfg->buffer_size ? cfg->buffer_size : EP_SNAPSHOT_DEFAULT_BUFFER;
    r->max_trailer = cfg->max_trailer;
    res = ep__vfs_pick(cfg->vfs, &r->os_vfs, &r->vfs);
    if (res) ep__sr_fail(r, res, UINT64_MAX, "no OS file system in this build");
    if (!res) {
        res = r->vfs->open(r->vfs, path, EP_OPEN_READ, &r->file, &r->err);
        if (res) {
            r->file = NULL;
            ep__sr_vfs_fail(r, res, UINT64_MAX, EP__TEXT("cannot open the snapshot"));
        }
    }
    if (!res) {
        res = r->vfs->size(r->vfs, r->file, &r->info.file_size, &r->err);
        if (res) ep__sr_vfs_fail(r, res, UINT64_MAX, EP__TEXT("cannot get the snapshot's size"));
    }
    if (!res) res = ep__sr_header(r, cfg);
    if (!res) {
        /* Entries may be as large as the file: no cap but the file's size
         * (the stream never allocates beyond it). */
        res = ep__rs_init(&r->rs, r->vfs, r->file, r->alloc, EP_SNAPSHOT_HEADER_SIZE, r->buffer_size, SIZE_MAX,
                          &r->err);
        if (res) ep__sr_vfs_fail(r, res, UINT64_MAX, EP__TEXT("cannot get the snapshot's size"));
        ep__rs_set_observer(&r->rs, ep__sr_observe, r);
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
    ep__rs_free(&r->rs);
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
