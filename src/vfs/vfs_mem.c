/* vfs_mem: an in-memory file system that ships in the library, for tests and
 * for users who want persistence code without a disk. POSIX-like semantics:
 * names point at file objects (inodes); handles refer to the object, so they
 * survive rename and remove; a file object dies with its last name and handle.
 * Everything is "durable" at once; tests wrap it to model crashes. */
#include "base/internal.h"
#include "vfs/vfs.h"

typedef struct ep__mem_inode {
    uint8_t *data;
    size_t len;
    size_t cap;
    unsigned links;           /* names pointing here (0 or 1: no hard links) */
    unsigned handles;         /* open handles */
    const void *lock_holder;  /* the handle holding the lock, or NULL */
} ep__mem_inode;

typedef struct ep__mem_entry {
    char *path;               /* normalized: no "." or empty components, no trailing '/' */
    ep__mem_inode *inode;     /* NULL for a directory */
} ep__mem_entry;

typedef struct ep__mem_handle {
    ep__mem_inode *inode;
    int writable;
    struct ep__mem_handle *prev, *next; /* all open handles, so destroy frees them */
} ep__mem_handle;

typedef struct ep__mem_fs {
    ep_vfs vfs;               /* first, so the table pointer is the state pointer */
    ep_allocator alloc;
    ep__mem_entry *entries;
    size_t count;
    size_t cap;
    ep__mem_handle *handles;
} ep__mem_fs;

#define EP__MEMFS(v) ((ep__mem_fs *)(v)->ctx)
#define EP__MEMH(f) ((ep__mem_handle *)(void *)(f))

/* ---- paths ---------------------------------------------------------------- */

/* Copies path without "." and empty components; keeps a leading '/'.
 * "" and "." become "" (the current directory), "/" stays "/". */
static char *ep__mem_normalize(ep__mem_fs *fs, const char *path) {
    size_t n = strlen(path), i = 0, o = 0;
    char *out = (char *)ep_malloc(&fs->alloc, n + 1);
    if (!out) return NULL;
    if (n > 0 && path[0] == '/') out[o++] = '/';
    while (i < n) {
        size_t start, len;
        while (i < n && path[i] == '/') i++;
        start = i;
        while (i < n && path[i] != '/') i++;
        len = i - start;
        if (len == 0 || (len == 1 && path[start] == '.')) continue;
        if (o > 0 && out[o - 1] != '/') out[o++] = '/';
        memcpy(out + o, path + start, len);
        o += len;
    }
    out[o] = '\0';
    return out;
}

/* Length of the parent part of a normalized path ("a/b" -> 1, "b" -> 0, "/b" -> 1). */
static size_t ep__mem_parent_len(const char *p) {
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] != '/') n--;
    if (n > 1) n--; /* drop the separator unless it is the root */
    return n;
}

static int ep__mem_is_root(const char *p, size_t n) {
    return n == 0 || (n == 1 && p[0] == '/');
}

static ep__mem_entry *ep__mem_find_n(ep__mem_fs *fs, const char *p, size_t n) {
    size_t i;
    for (i = 0; i < fs->count; i++) {
        if (strlen(fs->entries[i].path) == n && memcmp(fs->entries[i].path, p, n) == 0)
            return &fs->entries[i];
    }
    return NULL;
}

static ep__mem_entry *ep__mem_find(ep__mem_fs *fs, const char *p) {
    return ep__mem_find_n(fs, p, strlen(p));
}

/* Is the directory p[0..n) there (the root always is)? */
static int ep__mem_dir_exists(ep__mem_fs *fs, const char *p, size_t n) {
    ep__mem_entry *e;
    if (ep__mem_is_root(p, n)) return 1;
    e = ep__mem_find_n(fs, p, n);
    return e && !e->inode;
}

static int ep__mem_parent_exists(ep__mem_fs *fs, const char *p) {
    return ep__mem_dir_exists(fs, p, ep__mem_parent_len(p));
}

/* ---- inodes and entries ---------------------------------------------------- */

static void ep__mem_inode_release(ep__mem_fs *fs, ep__mem_inode *ino) {
    if (ino->links == 0 && ino->handles == 0) {
        ep_free(&fs->alloc, ino->data);
        ep_free(&fs->alloc, ino);
    }
}

/* Takes ownership of path. */
static ep_result ep__mem_add_entry(ep__mem_fs *fs, char *path, ep__mem_inode *ino) {
    if (fs->count == fs->cap) {
        size_t ncap = fs->cap ? fs->cap * 2 : 16, bytes;
        ep__mem_entry *ne;
        if (!ep__mul_size(ncap, sizeof *ne, &bytes)) return EP_ERR_NOMEM;
        ne = (ep__mem_entry *)ep_realloc(&fs->alloc, fs->entries, bytes);
        if (!ne) return EP_ERR_NOMEM;
        fs->entries = ne;
        fs->cap = ncap;
    }
    fs->entries[fs->count].path = path;
    fs->entries[fs->count].inode = ino;
    fs->count++;
    if (ino) ino->links++;
    return EP_OK;
}

/* Removes the entry (keeps the order of the others: list order = creation order). */
static void ep__mem_drop_entry(ep__mem_fs *fs, ep__mem_entry *e) {
    size_t i = (size_t)(e - fs->entries);
    ep__mem_inode *ino = e->inode;
    ep_free(&fs->alloc, e->path);
    memmove(&fs->entries[i], &fs->entries[i + 1], (fs->count - i - 1) * sizeof *e);
    fs->count--;
    if (ino) {
        ino->links--;
        ep__mem_inode_release(fs, ino);
    }
}

static ep_result ep__mem_nomem(ep_error *err, const char *op) {
    return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "%s: out of memory", op);
}

static ep_result ep__mem_fail(ep_error *err, ep_result code, const char *op, const char *path,
                              const char *why) {
    ep_error_set(err, code, UINT64_MAX, "%s %s: %s", op, path, why);
    if (err) err->sys_errno = 0;
    return code;
}
/* its text through EP__TEXT (base.h: EP_NO_ERROR_TEXT drops it at every call) */
#define ep__mem_nomem(err, op) ep__mem_nomem((err), EP__TEXT(op))
#define ep__mem_fail(err, code, op, path, why) ep__mem_fail((err), (code), EP__TEXT(op), (path), EP__TEXT(why))


/* Grows the file's buffer to hold at least need bytes. */
static ep_result ep__mem_reserve(ep__mem_fs *fs, ep__mem_inode *ino, size_t need) {
    size_t ncap;
    uint8_t *nd;
    if (need <= ino->cap) return EP_OK;
    ncap = ino->cap ? ino->cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    nd = (uint8_t *)ep_realloc(&fs->alloc, ino->data, ncap);
    if (!nd) return EP_ERR_NOMEM;
    ino->data = nd;
    ino->cap = ncap;
    return EP_OK;
}

/* Sets the length, zero-filling any growth. */
static ep_result ep__mem_set_len(ep__mem_fs *fs, ep__mem_inode *ino, size_t len) {
    if (len > ino->len) {
        if (ep__mem_reserve(fs, ino, len) != EP_OK) return EP_ERR_NOMEM;
        memset(ino->data + ino->len, 0, len - ino->len);
    }
    ino->len = len;
    return EP_OK;
}

/* ---- the table --------------------------------------------------------------- */

static ep_result ep__mem_open(ep_vfs *vfs, const char *path, unsigned flags, ep_file **out,
                              ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    char *p;
    ep__mem_entry *e;
    ep__mem_inode *ino;
    ep__mem_handle *h;
    *out = NULL;
    p = ep__mem_normalize(fs, path);
    if (!p) return ep__mem_nomem(err, "open");
    e = ep__mem_find(fs, p);
    if (e && (flags & EP_OPEN_CREATE) && (flags & EP_OPEN_EXCLUSIVE)) {
        ep_free(&fs->alloc, p);
        return ep__mem_fail(err, EP_ERR_EXISTS, "open", path, "file exists");
    }
    if (e && !e->inode) {
        ep_free(&fs->alloc, p);
        return ep__mem_fail(err, EP_ERR_IO, "open", path, "is a directory");
    }
    if (!e && (!(flags & EP_OPEN_CREATE) || !ep__mem_parent_exists(fs, p))) {
        ep_free(&fs->alloc, p);
        return ep__mem_fail(err, EP_ERR_NOT_FOUND, "open", path, "no such file or directory");
    }
    h = (ep__mem_handle *)ep_malloc(&fs->alloc, sizeof *h);
    if (!h) {
        ep_free(&fs->alloc, p);
        return ep__mem_nomem(err, "open");
    }
    if (e) {
        ino = e->inode;
        ep_free(&fs->alloc, p);
    } else {
        ino = (ep__mem_inode *)ep_malloc(&fs->alloc, sizeof *ino);
        if (!ino || ep__mem_add_entry(fs, p, ino) != EP_OK) {
            ep_free(&fs->alloc, ino);
            ep_free(&fs->alloc, p);
            ep_free(&fs->alloc, h);
            return ep__mem_nomem(err, "open");
        }
        ino->data = NULL;
        ino->len = ino->cap = 0;
        ino->links = 1;
        ino->handles = 0;
        ino->lock_holder = NULL;
    }
    if (flags & EP_OPEN_TRUNCATE) ino->len = 0;
    ino->handles++;
    h->inode = ino;
    h->writable = (flags & EP_OPEN_WRITE) != 0;
    h->prev = NULL;
    h->next = fs->handles;
    if (fs->handles) fs->handles->prev = h;
    fs->handles = h;
    *out = (ep_file *)(void *)h;
    return EP_OK;
}

static void ep__mem_free_handle(ep__mem_fs *fs, ep__mem_handle *h) {
    if (h->inode->lock_holder == (const void *)h) h->inode->lock_holder = NULL;
    h->inode->handles--;
    ep__mem_inode_release(fs, h->inode);
    if (h->prev) h->prev->next = h->next;
    else fs->handles = h->next;
    if (h->next) h->next->prev = h->prev;
    ep_free(&fs->alloc, h);
}

static ep_result ep__mem_close(ep_vfs *vfs, ep_file *f, ep_error *err) {
    (void)err;
    if (f) ep__mem_free_handle(EP__MEMFS(vfs), EP__MEMH(f));
    return EP_OK;
}

static ep_result ep__mem_read(ep_vfs *vfs, ep_file *f, uint64_t offset, void *buf, size_t len,
                              size_t *got, ep_error *err) {
    ep__mem_inode *ino = EP__MEMH(f)->inode;
    size_t n;
    (void)vfs;
    (void)err;
    *got = 0;
    if (offset >= (uint64_t)ino->len) return EP_OK;
    n = EP__MIN(len, ino->len - (size_t)offset);
    if (n) memcpy(buf, ino->data + (size_t)offset, n);
    *got = n;
    return EP_OK;
}

static ep_result ep__mem_write(ep_vfs *vfs, ep_file *f, uint64_t offset, const void *buf,
                               size_t len, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    ep__mem_handle *h = EP__MEMH(f);
    ep__mem_inode *ino = h->inode;
    uint64_t end = offset + (uint64_t)len;
    if (!h->writable) return ep__mem_fail(err, EP_ERR_IO, "write", "", "handle is read-only");
    if (end < offset || end > (uint64_t)SIZE_MAX)
        return ep_error_set(err, EP_ERR_LIMIT, offset, "write: offset too large");
    if (len == 0) return EP_OK;
    if ((size_t)end > ino->len && ep__mem_set_len(fs, ino, (size_t)end) != EP_OK)
        return ep__mem_nomem(err, "write");
    memcpy(ino->data + (size_t)offset, buf, len);
    return EP_OK;
}

static ep_result ep__mem_truncate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    ep__mem_handle *h = EP__MEMH(f);
    if (!h->writable) return ep__mem_fail(err, EP_ERR_IO, "truncate", "", "handle is read-only");
    if (size > (uint64_t)SIZE_MAX) return ep_error_set(err, EP_ERR_LIMIT, size, "truncate: too large");
    if (ep__mem_set_len(fs, h->inode, (size_t)size) != EP_OK) return ep__mem_nomem(err, "truncate");
    return EP_OK;
}

static ep_result ep__mem_size(ep_vfs *vfs, ep_file *f, uint64_t *out, ep_error *err) {
    (void)vfs;
    (void)err;
    *out = (uint64_t)EP__MEMH(f)->inode->len;
    return EP_OK;
}

static ep_result ep__mem_sync(ep_vfs *vfs, ep_file *f, ep_error *err) {
    (void)vfs;
    (void)f;
    (void)err;
    return EP_OK;
}

static ep_result ep__mem_lock(ep_vfs *vfs, ep_file *f, ep_error *err) {
    ep__mem_handle *h = EP__MEMH(f);
    (void)vfs;
    if (h->inode->lock_holder && h->inode->lock_holder != (const void *)h)
        return ep__mem_fail(err, EP_ERR_LOCKED, "lock", "", "held by another handle");
    h->inode->lock_holder = h;
    return EP_OK;
}

/* EP_OK if dir exists; NOT_FOUND (or NOMEM) otherwise, reported as op. */
static ep_result ep__mem_dir_check(ep_vfs *vfs, const char *dir, const char *op, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    char *p = ep__mem_normalize(fs, dir);
    int ok;
    if (!p) return ep__mem_nomem(err, op);
    ok = ep__mem_dir_exists(fs, p, strlen(p));
    ep_free(&fs->alloc, p);
    if (!ok) return ep__mem_fail(err, EP_ERR_NOT_FOUND, op, dir, "no such directory");
    return EP_OK;
}

static ep_result ep__mem_sync_dir(ep_vfs *vfs, const char *dir, ep_error *err) {
    return ep__mem_dir_check(vfs, dir, "sync_dir", err);
}

static ep_result ep__mem_rename(ep_vfs *vfs, const char *from, const char *to, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    char *pf = ep__mem_normalize(fs, from);
    char *pt = ep__mem_normalize(fs, to);
    ep__mem_entry *ef, *et;
    ep_result r = EP_OK;
    if (!pf || !pt) {
        r = ep__mem_nomem(err, "rename");
        goto done;
    }
    ef = ep__mem_find(fs, pf);
    if (!ef) {
        r = ep__mem_fail(err, EP_ERR_NOT_FOUND, "rename", from, "no such file");
        goto done;
    }
    if (!ef->inode) {
        r = ep__mem_fail(err, EP_ERR_UNSUPPORTED, "rename", from, "directories cannot be renamed");
        goto done;
    }
    if (strcmp(pf, pt) == 0) goto done;
    if (!ep__mem_parent_exists(fs, pt)) {
        r = ep__mem_fail(err, EP_ERR_NOT_FOUND, "rename", to, "no such directory");
        goto done;
    }
    et = ep__mem_find(fs, pt);
    if (et && !et->inode) {
        r = ep__mem_fail(err, EP_ERR_IO, "rename", to, "is a directory");
        goto done;
    }
    if (et) {
        /* Replace: the target's object loses its name; the entry takes the new object. */
        ep__mem_inode *old = et->inode;
        et->inode = ef->inode;
        et->inode->links++;
        old->links--;
        ep__mem_inode_release(fs, old);
        ep__mem_drop_entry(fs, ef);
    } else {
        ep_free(&fs->alloc, ef->path);
        ef->path = pt;
        pt = NULL;
    }
done:
    ep_free(&fs->alloc, pf);
    ep_free(&fs->alloc, pt);
    return r;
}

static ep_result ep__mem_remove(ep_vfs *vfs, const char *path, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    char *p = ep__mem_normalize(fs, path);
    ep__mem_entry *e;
    if (!p) return ep__mem_nomem(err, "remove");
    e = ep__mem_find(fs, p);
    ep_free(&fs->alloc, p);
    if (!e) return ep__mem_fail(err, EP_ERR_NOT_FOUND, "remove", path, "no such file");
    if (!e->inode) return ep__mem_fail(err, EP_ERR_IO, "remove", path, "is a directory");
    ep__mem_drop_entry(fs, e);
    return EP_OK;
}

static ep_result ep__mem_mkdir(ep_vfs *vfs, const char *path, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    char *p = ep__mem_normalize(fs, path);
    ep__mem_entry *e;
    if (!p) return ep__mem_nomem(err, "mkdir");
    if (ep__mem_is_root(p, strlen(p))) {
        ep_free(&fs->alloc, p);
        return EP_OK;
    }
    e = ep__mem_find(fs, p);
    if (e) {
        ep_free(&fs->alloc, p);
        if (e->inode) return ep__mem_fail(err, EP_ERR_EXISTS, "mkdir", path, "a file has that name");
        return EP_OK;
    }
    if (!ep__mem_parent_exists(fs, p)) {
        ep_free(&fs->alloc, p);
        return ep__mem_fail(err, EP_ERR_NOT_FOUND, "mkdir", path, "no parent directory");
    }
    if (ep__mem_add_entry(fs, p, NULL) != EP_OK) {
        ep_free(&fs->alloc, p);
        return ep__mem_nomem(err, "mkdir");
    }
    return EP_OK;
}

/* The names are copied out first so the callback may create or remove files. */
static ep_result ep__mem_list(ep_vfs *vfs, const char *dir, ep_list_fn fn, void *fn_ctx,
                              ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    char *p = ep__mem_normalize(fs, dir);
    char **names = NULL;
    size_t n = 0, i, pl, bytes;
    ep_result r = EP_OK;
    if (!p) return ep__mem_nomem(err, "list");
    pl = strlen(p);
    if (!ep__mem_dir_exists(fs, p, pl)) {
        ep_free(&fs->alloc, p);
        return ep__mem_fail(err, EP_ERR_NOT_FOUND, "list", dir, "no such directory");
    }
    if (fs->count && ep__mul_size(fs->count, sizeof *names, &bytes))
        names = (char **)ep_malloc(&fs->alloc, bytes);
    if (fs->count && !names) r = ep__mem_nomem(err, "list");
    for (i = 0; r == EP_OK && i < fs->count; i++) {
        const char *ep = fs->entries[i].path;
        size_t par = ep__mem_parent_len(ep), skip, nl;
        if (par != pl || memcmp(ep, p, pl) != 0 || ep__mem_is_root(ep, strlen(ep))) continue;
        skip = (pl == 0) ? 0 : (pl == 1 && p[0] == '/') ? 1 : pl + 1;
        nl = strlen(ep + skip);
        names[n] = (char *)ep_malloc(&fs->alloc, nl + 1);
        if (!names[n]) {
            r = ep__mem_nomem(err, "list");
            break;
        }
        memcpy(names[n], ep + skip, nl + 1);
        n++;
    }
    for (i = 0; i < n; i++) {
        if (r == EP_OK && fn(fn_ctx, names[i]) != 0) r = (ep_result)1; /* stop, not an error */
        ep_free(&fs->alloc, names[i]);
    }
    ep_free(&fs->alloc, names);
    ep_free(&fs->alloc, p);
    return r == (ep_result)1 ? EP_OK : r;
}

static ep_result ep__mem_stat(ep_vfs *vfs, const char *path, uint64_t *size, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    char *p = ep__mem_normalize(fs, path);
    ep__mem_entry *e;
    int root;
    if (size) *size = 0;
    if (!p) return ep__mem_nomem(err, "stat");
    root = ep__mem_is_root(p, strlen(p));
    e = ep__mem_find(fs, p);
    ep_free(&fs->alloc, p);
    if (root) return EP_OK;
    if (!e) return ep__mem_fail(err, EP_ERR_NOT_FOUND, "stat", path, "no such file");
    if (size && e->inode) *size = (uint64_t)e->inode->len;
    return EP_OK;
}

static ep_result ep__mem_preallocate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err) {
    ep__mem_fs *fs = EP__MEMFS(vfs);
    ep__mem_handle *h = EP__MEMH(f);
    if (!h->writable) return ep__mem_fail(err, EP_ERR_IO, "preallocate", "", "handle is read-only");
    if (size > (uint64_t)SIZE_MAX) return ep_error_set(err, EP_ERR_LIMIT, size, "preallocate: too large");
    if ((size_t)size <= h->inode->len) return EP_OK;
    if (ep__mem_set_len(fs, h->inode, (size_t)size) != EP_OK) return ep__mem_nomem(err, "preallocate");
    return EP_OK;
}

EP_API ep_result ep_vfs_mem_create(const ep_allocator *alloc, ep_vfs **out) {
    ep__mem_fs *fs;
    if (!out) return EP_ERR_INVALID_ARG;
    *out = NULL;
    if (!alloc) alloc = ep_allocator_default();
    fs = (ep__mem_fs *)ep_malloc(alloc, sizeof *fs);
    if (!fs) return EP_ERR_NOMEM;
    memset(fs, 0, sizeof *fs);
    fs->alloc = *alloc;
    ep_vfs_init(&fs->vfs);
    fs->vfs.ctx = fs;
    fs->vfs.open = ep__mem_open;
    fs->vfs.close = ep__mem_close;
    fs->vfs.read = ep__mem_read;
    fs->vfs.write = ep__mem_write;
    fs->vfs.truncate = ep__mem_truncate;
    fs->vfs.size = ep__mem_size;
    fs->vfs.sync = ep__mem_sync;
    fs->vfs.lock = ep__mem_lock;
    fs->vfs.sync_dir = ep__mem_sync_dir;
    fs->vfs.rename = ep__mem_rename;
    fs->vfs.remove = ep__mem_remove;
    fs->vfs.mkdir = ep__mem_mkdir;
    fs->vfs.list = ep__mem_list;
    fs->vfs.stat = ep__mem_stat;
    fs->vfs.preallocate = ep__mem_preallocate;
    *out = &fs->vfs;
    return EP_OK;
}

/* Frees every file and every handle still open (they become invalid). */
EP_API void ep_vfs_mem_free(ep_vfs *vfs) {
    ep__mem_fs *fs;
    ep_allocator alloc;
    if (!vfs) return;
    fs = EP__MEMFS(vfs);
    while (fs->handles) ep__mem_free_handle(fs, fs->handles);
    while (fs->count) ep__mem_drop_entry(fs, &fs->entries[fs->count - 1]);
    alloc = fs->alloc;
    ep_free(&alloc, fs->entries);
    ep_free(&alloc, fs);
}
