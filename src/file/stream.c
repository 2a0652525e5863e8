/* stream: the file-layer core (see stream.h). */
#include "base/internal.h"
#include "vfs/vfs.h"
#include "file/stream.h"

#define EP__WS_DEFAULT_BUFFER (64u * 1024u)
#define EP__WS_SLACK 64u            /* room past buffer_size so a full buffer takes one more small record */
#define EP__RS_DEFAULT_CHUNK (256u * 1024u)
#define EP__RS_DEFAULT_MAX ((size_t)1 << 30)

/* ==== one place for each file-system rule =============================== */

EP__PRIV ep_result ep__vfs_pick(ep_vfs *given, ep_vfs *os, ep_vfs **out) {
    if (given) {
        *out = given;
        return EP_OK;
    }
    *out = os;
    return ep_vfs_os_init(os);
}

static int ep__stream_is_sep(char c) {
#ifdef _WIN32
    if (c == '\\') return 1;
#endif
    return c == '/';
}

/* Creates dir (whose parent exists) if it is missing, then syncs the parent;
 * parent has room for dir's length + 2. */
static ep_result ep__stream_make_one(ep_vfs *vfs, const char *dir, char *parent, size_t cap, ep_error *err) {
    uint64_t size;
    ep_result r = vfs->stat(vfs, dir, &size, NULL);
    if (r == EP_OK) return EP_OK;
    if (r != EP_ERR_NOT_FOUND) return vfs->stat(vfs, dir, &size, err);
    if ((r = vfs->mkdir(vfs, dir, err)) != EP_OK) return r;
    if ((r = ep_path_dirname(parent, cap, dir)) != EP_OK) return r;
    return vfs->sync_dir(vfs, parent, err);
}

EP__PRIV ep_result ep__stream_make_dirs(ep_vfs *vfs, const ep_allocator *alloc, const char *dir, ep_error *err) {
    size_t n = strlen(dir), i;
    ep_result r = EP_OK;
    char *p = (char *)ep_malloc(alloc, 2 * n + 3), *parent = p + n + 1;
    if (!p) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "no memory to create %s", dir);
    memcpy(p, dir, n + 1);
    /* Each prefix that ends before a separator, then the whole path. */
    for (i = 1; i <= n && r == EP_OK; i++) {
        if (i < n && (!ep__stream_is_sep(p[i]) || ep__stream_is_sep(p[i - 1]))) continue;
        p[i] = '\0';
        r = ep__stream_make_one(vfs, p, parent, n + 2, err);
        if (i < n) p[i] = dir[i];
    }
    ep_free(alloc, p);
    return r;
}

EP__PRIV ep_result ep__stream_lock(ep_vfs *vfs, ep_file *f, const char *what, const char *path, ep_error *err) {
    ep_error tmp;
    ep_result r = vfs->lock(vfs, f, &tmp);
    if (r == EP_ERR_UNSUPPORTED) return EP_OK;
    if (r) {
        if (err) *err = tmp;
        return ep_error_set(err, r, UINT64_MAX, "%s %s is in use by another writer (%s)", what, path,
                            ep_result_str(r));
    }
    return EP_OK;
}

EP__PRIV ep_result ep__stream_open_locked(ep_vfs *vfs, const ep_allocator *alloc, const char *path,
                                          const char *make_dir, const char *what, ep_file **f, ep_error *err) {
    ep_result r = EP_OK;
    *f = NULL;
    if (make_dir) r = ep__stream_make_dirs(vfs, alloc, make_dir, err);
    if (r == EP_OK) r = vfs->open(vfs, path, EP_OPEN_READ | EP_OPEN_WRITE | EP_OPEN_CREATE, f, err);
    if (r == EP_OK) r = ep__stream_lock(vfs, *f, what, path, err);
    if (r != EP_OK && *f) {
        (void)vfs->close(vfs, *f, NULL);
        *f = NULL;
    }
    return r;
}

EP__PRIV ep_result ep__stream_publish(ep_vfs *vfs, const ep_allocator *alloc, ep_file **f, const char *tmp_path,
                                      const char *path, int *renamed, ep_error *err) {
    ep_result r;
    *renamed = 0;
    /* One sync covers everything written: the file is not reachable under
     * its final name until the rename. */
    r = vfs->sync(vfs, *f, err);
    if (r) return r;
    r = vfs->close(vfs, *f, err);
    *f = NULL;
    if (r) return r;
    return ep__stream_rename(vfs, alloc, tmp_path, path, renamed, err);
}

EP__PRIV ep_result ep__stream_rename(ep_vfs *vfs, const ep_allocator *alloc, const char *tmp_path, const char *path,
                                     int *renamed, ep_error *err) {
    size_t cap = strlen(path) + 2;
    char *dir;
    ep_result r;
    *renamed = 0;
    if ((r = vfs->rename(vfs, tmp_path, path, err)) != EP_OK) return r;
    *renamed = 1;
    dir = (char *)ep_malloc(alloc, cap);
    if (!dir) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "no memory to sync the directory of %s", path);
    r = ep_path_dirname(dir, cap, path);
    if (!r) r = vfs->sync_dir(vfs, dir, err);
    ep_free(alloc, dir);
    return r;
}

/* ==== write side ========================================================== */

EP__PRIV void ep__ws_init(ep__wstream *s, ep_vfs *vfs, ep_file *f, const ep_allocator *alloc, uint64_t offset,
                          ep_error *err) {
    memset(s, 0, sizeof *s);
    s->vfs = vfs;
    s->f = f;
    s->err = err;
    ep_buf_init(&s->buf, alloc);
    s->buffer_size = EP__WS_DEFAULT_BUFFER;
    s->policy = EP_FSYNC_NO;
    s->flushed = s->synced = s->mark_off = offset;
}

static uint64_t ep__ws_now(const ep__wstream *s) {
    return s->clock_ms ? s->clock_ms(s->clock_user) : ep__clock_monotonic_ms();
}

EP__PRIV ep_result ep__ws_config(ep__wstream *s, size_t buffer_size, ep_fsync_policy policy,
                                 uint64_t (*clock_ms)(void *user), void *clock_user) {
    s->buffer_size = buffer_size ? buffer_size : EP__WS_DEFAULT_BUFFER;
    s->policy = policy;
    s->clock_ms = clock_ms;
    s->clock_user = clock_user;
    s->last_sync_ms = ep__ws_now(s);
    if (s->buffer_size > SIZE_MAX - EP__WS_SLACK || ep_buf_reserve(&s->buf, s->buffer_size + EP__WS_SLACK)) {
        s->buf.err = EP_OK;
        return ep_error_set(s->err, EP_ERR_NOMEM, UINT64_MAX, "no memory for a %lu-byte write buffer",
                            (unsigned long)s->buffer_size);
    }
    return EP_OK;
}

EP__PRIV void ep__ws_free(ep__wstream *s) {
    ep_buf_free(&s->buf);
}

EP__PRIV void ep__ws_retarget(ep__wstream *s, ep_file *f, uint64_t offset) {
    s->f = f;
    s->buf.len = 0;
    s->mark = 0;
    s->flushed = s->synced = s->mark_off = offset;
    s->mark_records = s->records;
    s->last_sync_ms = ep__ws_now(s);
}

EP__PRIV ep_result ep__ws_usable(const ep__wstream *s) {
    return s->poisoned ? EP_ERR_POISONED : EP_OK;
}

/* After a failed fsync the kernel may have dropped the dirty pages: a retry
 * that succeeds would lie. The stream stays dead. */
EP__PRIV ep_result ep__ws_poison(ep__wstream *s, ep_result code) {
    s->poisoned = 1;
    return code;
}

EP__PRIV void ep__ws_mark(ep__wstream *s) {
    s->mark = s->buf.len;
    s->mark_off = s->flushed + s->buf.len;
    s->mark_records = s->records;
}

EP__PRIV uint8_t *ep__ws_reserve(ep__wstream *s, size_t n) {
    if (s->buf.cap - s->buf.len >= n) return s->buf.data + s->buf.len;
    if (ep_buf_reserve(&s->buf, n) != EP_OK) {
        s->buf.err = EP_OK;
        return NULL;
    }
    return s->buf.data + s->buf.len;
}

EP__PRIV void ep__ws_advance(ep__wstream *s, size_t n, uint64_t records) {
    s->buf.len += n;
    s->records += records;
}

EP__PRIV ep_buf *ep__ws_buf(ep__wstream *s) {
    return &s->buf;
}

EP__PRIV void ep__ws_records(ep__wstream *s, uint64_t records) {
    s->records += records;
}

EP__PRIV void ep__ws_set_observer(ep__wstream *s, ep__ws_observer fn, void *user) {
    s->observer = fn;
    s->observer_user = user;
}

EP__PRIV uint64_t ep__ws_size(const ep__wstream *s) {
    return s->flushed + s->buf.len;
}

EP__PRIV ep_result ep__ws_close(ep__wstream *s) {
    ep_result r = s->policy == EP_FSYNC_NO ? ep__ws_flush(s) : ep__ws_sync(s), c;
    if (s->f) {
        c = s->vfs->close(s->vfs, s->f, r ? NULL : s->err);
        s->f = NULL;
        if (r == EP_OK) r = c;
    }
    return r;
}

/* Writes n bytes at the end of what is flushed. A failed write is cut back
 * off the file, so no later write lands behind half a record; if even the
 * cut fails, the stream is poisoned. */
static ep_result ep__ws_write(ep__wstream *s, const uint8_t *p, size_t n) {
    ep_result r;
    if (s->observer) s->observer(s->observer_user, s->flushed, p, n);
    r = s->vfs->write(s->vfs, s->f, s->flushed, p, n, s->err);
    if (r != EP_OK) {
        ep_error tmp;
        if (s->vfs->truncate(s->vfs, s->f, s->flushed, &tmp) != EP_OK) return ep__ws_poison(s, r);
        return r;
    }
    s->flushed += n;
    return EP_OK;
}

EP__PRIV ep_result ep__ws_flush(ep__wstream *s) {
    ep_result r;
    if (s->poisoned) return EP_ERR_POISONED;
    if (s->buf.len == 0) return EP_OK;
    if ((r = ep__ws_write(s, s->buf.data, s->buf.len)) != EP_OK) return r;
    s->buf.len = 0;
    s->mark = 0;
    /* Give back memory taken by one large record. */
    if (s->buf.cap > 4 * (s->buffer_size + EP__WS_SLACK)) {
        ep_buf_free(&s->buf);
        (void)ep_buf_reserve(&s->buf, s->buffer_size + EP__WS_SLACK);
        s->buf.err = EP_OK; /* a failed shrink only means the next record allocates */
    }
    return EP_OK;
}

EP__PRIV ep_result ep__ws_spill(ep__wstream *s, size_t align) {
    uint64_t end = s->flushed + s->buf.len, cut = end - (end & (uint64_t)(align - 1));
    size_t n, rest;
    ep_result r;
    if (s->poisoned) return EP_ERR_POISONED;
    if (cut <= s->flushed) return ep__ws_flush(s);
    n = (size_t)(cut - s->flushed);
    if ((r = ep__ws_write(s, s->buf.data, n)) != EP_OK) return r;
    rest = s->buf.len - n;
    memmove(s->buf.data, s->buf.data + n, rest);
    s->buf.len = rest;
    s->mark = s->mark > n ? s->mark - n : 0;
    return EP_OK;
}

EP__PRIV ep_result ep__ws_put(ep__wstream *s, const void *data, size_t n, uint64_t records) {
    uint8_t *p;
    ep_result r;
    if (n >= s->buffer_size) {
        /* Straight from the caller's memory: no copy, no growth. */
        if ((r = ep__ws_flush(s)) != EP_OK) return r;
        if ((r = ep__ws_write(s, (const uint8_t *)data, n)) != EP_OK) return r;
        s->records += records;
        return EP_OK;
    }
    if (!(p = ep__ws_reserve(s, n)))
        return ep_error_set(s->err, EP_ERR_NOMEM, UINT64_MAX, "no memory for %lu buffered bytes", (unsigned long)n);
    if (n) memcpy(p, data, n);
    ep__ws_advance(s, n, records);
    return EP_OK;
}

EP__PRIV ep_result ep__ws_bound(ep__wstream *s) {
    return s->buf.len >= s->buffer_size ? ep__ws_flush(s) : EP_OK;
}

EP__PRIV ep_result ep__ws_sync(ep__wstream *s) {
    ep_result r;
    if (s->poisoned) return EP_ERR_POISONED;
    if ((r = ep__ws_flush(s)) != EP_OK) return r;
    if ((r = s->vfs->sync(s->vfs, s->f, s->err)) != EP_OK) return ep__ws_poison(s, r);
    s->synced = s->flushed;
    s->syncs++;
    s->last_sync_ms = ep__ws_now(s);
    return EP_OK;
}

/* EVERYSEC: a sync once a second has passed (or the clock went back). */
static ep_result ep__ws_maybe_sync(ep__wstream *s) {
    uint64_t now = ep__ws_now(s);
    if (now - s->last_sync_ms < 1000 && now >= s->last_sync_ms) return EP_OK;
    if (s->flushed + s->buf.len == s->synced) {
        s->last_sync_ms = now;
        return EP_OK;
    }
    return ep__ws_sync(s);
}

EP__PRIV ep_result ep__ws_tick(ep__wstream *s) {
    if (s->poisoned) return EP_ERR_POISONED;
    if (s->policy != EP_FSYNC_EVERYSEC || s->in_batch) return EP_OK;
    return ep__ws_maybe_sync(s);
}

/* The policy for what is buffered now. */
static ep_result ep__ws_policy(ep__wstream *s) {
    ep_result r;
    if (s->in_batch) return ep__ws_bound(s);
    if (s->policy == EP_FSYNC_ALWAYS) return ep__ws_sync(s);
    if ((r = ep__ws_bound(s)) != EP_OK) return r;
    return s->policy == EP_FSYNC_EVERYSEC ? ep__ws_maybe_sync(s) : EP_OK;
}

EP__PRIV ep_result ep__ws_rewind(ep__wstream *s, ep_result code) {
    s->buf.err = EP_OK;
    s->records = s->mark_records;
    if (s->poisoned) {
        if (s->mark <= s->buf.len) s->buf.len = s->mark;
        return code;
    }
    if (s->mark_off >= s->flushed) {
        s->buf.len = (size_t)(s->mark_off - s->flushed);
        return code;
    }
    /* Part of the call was flushed already (a long batch): cut it off. */
    s->buf.len = 0;
    if (s->vfs->truncate(s->vfs, s->f, s->mark_off, NULL) != EP_OK) return ep__ws_poison(s, code);
    s->flushed = s->mark_off;
    return code;
}

EP__PRIV ep_result ep__ws_end_call(ep__wstream *s) {
    ep_result r;
    if (s->poisoned) return ep__ws_rewind(s, EP_ERR_POISONED); /* a dead stream takes nothing */
    r = ep__ws_policy(s);
    if (r != EP_OK && !s->poisoned) return ep__ws_rewind(s, r);
    return r;
}

EP__PRIV ep_result ep__ws_batch_begin(ep__wstream *s) {
    if (s->poisoned) return EP_ERR_POISONED;
    if (s->in_batch) return ep_error_set(s->err, EP_ERR_STATE, UINT64_MAX, "batch already open");
    s->in_batch = 1;
    return EP_OK;
}

EP__PRIV ep_result ep__ws_batch_end(ep__wstream *s) {
    if (s->poisoned) return EP_ERR_POISONED;
    if (!s->in_batch) return ep_error_set(s->err, EP_ERR_STATE, UINT64_MAX, "no batch open");
    s->in_batch = 0;
    ep__ws_mark(s); /* the batch's appends already returned OK: nothing to take back */
    return ep__ws_policy(s);
}

/* ==== read side =========================================================== */

EP__PRIV ep_result ep__rs_init(ep__rstream *s, ep_vfs *vfs, ep_file *f, const ep_allocator *alloc, uint64_t start,
                               size_t chunk, size_t max, ep_error *err) {
    uint64_t size = 0;
    ep_result r;
    memset(s, 0, sizeof *s);
    s->vfs = vfs;
    s->f = f;
    s->alloc = alloc;
    s->err = err;
    s->base = start;
    s->max = max ? max : EP__RS_DEFAULT_MAX;
    s->chunk = chunk ? chunk : EP__RS_DEFAULT_CHUNK;
    if (s->chunk < 64) s->chunk = 64;
    if (s->chunk > s->max) s->chunk = s->max;
    if ((r = vfs->size(vfs, f, &size, err)) != EP_OK) return r;
    s->end = size > start ? size : start;
    return EP_OK;
}

EP__PRIV void ep__rs_free(ep__rstream *s) {
    ep_free(s->alloc, s->buf);
    s->buf = NULL;
    s->cap = s->len = s->pos = 0;
}

EP__PRIV void ep__rs_set_hook(ep__rstream *s, ep__views_hook fn, void *user) {
    s->hook = fn;
    s->hook_user = user;
}

EP__PRIV void ep__rs_set_observer(ep__rstream *s, ep__rs_observer fn, void *user) {
    s->observer = fn;
    s->observer_user = user;
}

EP__PRIV size_t ep__rs_avail(const ep__rstream *s) {
    return s->len - s->pos;
}

EP__PRIV const uint8_t *ep__rs_ptr(const ep__rstream *s) {
    return s->buf ? s->buf + s->pos : NULL; /* no arithmetic on NULL before the first fill */
}

EP__PRIV uint64_t ep__rs_offset(const ep__rstream *s) {
    return s->base + s->pos;
}

EP__PRIV uint64_t ep__rs_left(const ep__rstream *s) {
    return s->end - (s->base + s->pos);
}

EP__PRIV int ep__rs_at_eof(const ep__rstream *s) {
    return s->base + s->len >= s->end;
}

EP__PRIV void ep__rs_skip(ep__rstream *s, size_t n) {
    s->pos += n;
}

EP__PRIV void ep__rs_views_end(ep__rstream *s) {
    if (s->hook) s->hook(s->hook_user);
}

EP__PRIV void ep__rs_observe(ep__rstream *s) {
    if (s->observer && s->pos > s->seen) s->observer(s->observer_user, s->buf + s->seen, s->pos - s->seen);
    if (s->pos > s->seen) s->seen = s->pos;
}

/* The buffer size for need bytes at pos: doubling, but never beyond max nor
 * beyond what the file still holds. */
static size_t ep__rs_grown_cap(const ep__rstream *s, size_t need) {
    uint64_t file_room = s->end - s->base; /* after compaction, buf[0] is at base */
    size_t cap = s->cap ? s->cap : s->chunk;
    while (cap < need && cap <= SIZE_MAX / 2) cap *= 2;
    if (cap < need) cap = need;
    if (cap > s->max) cap = s->max;
    if ((uint64_t)cap > file_room) cap = (size_t)file_room;
    return cap < need ? need : cap;
}

EP__PRIV ep_result ep__rs_fill(ep__rstream *s, size_t need) {
    size_t avail = s->len - s->pos;
    if (avail >= need) return EP_OK;
    if ((uint64_t)need > ep__rs_left(s)) return EP_ERR_EOF;
    if (need > s->max)
        return ep_error_set(s->err, EP_ERR_LIMIT, s->base + s->pos,
                            "record at offset %llu is larger than the reader's %lu-byte cap",
                            (unsigned long long)(s->base + s->pos), (unsigned long)s->max);
    ep__rs_views_end(s);
    ep__rs_observe(s);
    if (s->pos) { /* drop consumed bytes */
        memmove(s->buf, s->buf + s->pos, avail);
        s->base += s->pos;
        s->len = avail;
        s->pos = 0;
    }
    s->seen = 0;
    if (need > s->cap || !s->buf) {
        size_t cap = ep__rs_grown_cap(s, need);
        uint8_t *p = (uint8_t *)ep_realloc(s->alloc, s->buf, cap);
        if (!p)
            return ep_error_set(s->err, EP_ERR_NOMEM, s->base, "no memory for a %lu-byte read buffer",
                                (unsigned long)cap);
        s->buf = p;
        s->cap = cap;
    }
    while (s->len < need) {
        uint64_t unread = s->end - (s->base + s->len);
        size_t want = s->cap - s->len, got = 0;
        ep_result r;
        if ((uint64_t)want > unread) want = (size_t)unread;
        r = s->vfs->read(s->vfs, s->f, s->base + s->len, s->buf + s->len, want, &got, s->err);
        if (r) return r;
        s->len += got;
        if (got < want) { /* the file is shorter than it was */
            s->end = s->base + s->len;
            if (s->len < need) return EP_ERR_EOF;
        }
    }
    return EP_OK;
}
