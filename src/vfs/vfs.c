/* vfs: helpers shared by every vfs (whole-file read/write, paths), and the
 * ep_vfs_os_init stub for builds without an OS file system. */
#include "base/internal.h"
#include "vfs/vfs.h"

EP_API void ep_vfs_init(ep_vfs *v) {
    if (!v) return;
    memset(v, 0, sizeof *v);
    v->struct_size = (uint32_t)sizeof *v;
    v->version = EP_VFS_VERSION;
}

EP_API ep_result ep_vfs_preallocate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err) {
    if (!vfs || !f) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "preallocate: missing argument");
    if (!ep_vfs_has(vfs, preallocate))
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "preallocate: not in this vfs");
    return vfs->preallocate(vfs, f, size, err);
}

EP_API ep_result ep_vfs_lock_dir(ep_vfs *vfs, const char *dir, const char *name, ep_file **out, ep_error *err) {
    char path[1024];
    ep_file *f = NULL;
    ep_result r;
    if (!vfs || !dir || !name || !out)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "lock_dir: missing argument");
    *out = NULL;
    if (ep_path_join(path, sizeof path, dir, name) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "lock_dir: path too long");
    r = vfs->open(vfs, path, EP_OPEN_READ | EP_OPEN_WRITE | EP_OPEN_CREATE, &f, err);
    if (r != EP_OK) return r;
    r = vfs->lock(vfs, f, err);
    if (r != EP_OK) {
        vfs->close(vfs, f, NULL);
        if (r == EP_ERR_LOCKED)
            return ep_error_set(err, EP_ERR_LOCKED, UINT64_MAX, "%s is locked by another writer (%s)", dir, path);
        return r;
    }
    *out = f;
    return EP_OK;
}

#ifdef EP_NO_OS_VFS
/* vfs_posix.c and vfs_win32.c compile to nothing here; this is the one definition. */
EP_API ep_result ep_vfs_os_init(ep_vfs *out) {
    ep_vfs_init(out);
    return EP_ERR_UNSUPPORTED;
}
#endif

/* Reads exactly the first len bytes (fewer only if the file is shorter now). */
static ep_result ep__vfs_read_full(ep_vfs *vfs, ep_file *f, uint8_t *buf, size_t len,
                                   size_t *got, ep_error *err) {
    size_t done = 0;
    while (done < len) {
        size_t n = 0;
        ep_result r = vfs->read(vfs, f, (uint64_t)done, buf + done, len - done, &n, err);
        if (r != EP_OK) return r;
        if (n == 0) break;
        done += n;
    }
    *got = done;
    return EP_OK;
}

EP_API ep_result ep_vfs_read_all(ep_vfs *vfs, const char *path, const ep_allocator *alloc,
                                 size_t max_size, uint8_t **data, size_t *len, ep_error *err) {
    ep_file *f = NULL;
    uint64_t size = 0;
    uint8_t *buf;
    size_t got = 0;
    ep_result r;
    if (!vfs || !path || !data || !len)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "read_all: missing argument");
    *data = NULL;
    *len = 0;
    r = vfs->open(vfs, path, EP_OPEN_READ, &f, err);
    if (r != EP_OK) return r;
    r = vfs->size(vfs, f, &size, err);
    if (r == EP_OK && size > (uint64_t)max_size)
        r = ep_error_set(err, EP_ERR_LIMIT, size, "read_all %s: %llu bytes exceed the cap of %llu",
                         path, (unsigned long long)size, (unsigned long long)max_size);
    if (r != EP_OK) {
        vfs->close(vfs, f, NULL);
        return r;
    }
    buf = (uint8_t *)ep_malloc(alloc, (size_t)size);
    if (!buf) {
        vfs->close(vfs, f, NULL);
        return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "read_all %s: out of memory", path);
    }
    r = ep__vfs_read_full(vfs, f, buf, (size_t)size, &got, err);
    if (r == EP_OK) {
        r = vfs->close(vfs, f, err);
    } else {
        vfs->close(vfs, f, NULL);
    }
    if (r != EP_OK) {
        ep_free(alloc, buf);
        return r;
    }
    *data = buf;
    *len = got;
    return EP_OK;
}

EP_API ep_result ep_vfs_write_all(ep_vfs *vfs, const char *path, const void *data, size_t len,
                                  ep_error *err) {
    ep_file *f = NULL;
    ep_result r;
    if (!vfs || !path || (!data && len))
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "write_all: missing argument");
    r = vfs->open(vfs, path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, err);
    if (r != EP_OK) return r;
    if (len) r = vfs->write(vfs, f, 0, data, len, err);
    if (r != EP_OK) {
        vfs->close(vfs, f, NULL);
        return r;
    }
    return vfs->close(vfs, f, err);
}

static int ep__is_sep(char c) {
#ifdef _WIN32
    if (c == '\\') return 1;
#endif
    return c == '/';
}

EP_API ep_result ep_path_join(char *out, size_t cap, const char *dir, const char *name) {
    size_t dl, nl, need;
    int sep;
    if (!out || !dir || !name) return EP_ERR_INVALID_ARG;
    dl = strlen(dir);
    nl = strlen(name);
    sep = dl > 0 && !ep__is_sep(dir[dl - 1]);
    need = dl + (size_t)sep + nl + 1;
    if (need < nl || need > cap) {
        if (cap) out[0] = '\0';
        return EP_ERR_LIMIT;
    }
    memmove(out, dir, dl); /* memmove: out may be dir itself */
    if (sep) out[dl] = '/';
    memcpy(out + dl + (size_t)sep, name, nl);
    out[dl + (size_t)sep + nl] = '\0';
    return EP_OK;
}

/* POSIX dirname(3) rules: trailing separators are ignored, "a" -> ".", "/a" -> "/". */
EP_API ep_result ep_path_dirname(char *out, size_t cap, const char *path) {
    size_t n;
    const char *res = path;
    if (!out || !path) return EP_ERR_INVALID_ARG;
    n = strlen(path);
    while (n > 1 && ep__is_sep(path[n - 1])) n--;     /* drop trailing separators */
    while (n > 0 && !ep__is_sep(path[n - 1])) n--;    /* drop the last component */
    if (n == 0) {
        res = ".";
        n = 1;
    } else {
        while (n > 1 && ep__is_sep(path[n - 1])) n--; /* separators before it */
    }
    if (n + 1 > cap) {
        if (cap) out[0] = '\0';
        return EP_ERR_LIMIT;
    }
    memmove(out, res, n);
    out[n] = '\0';
    return EP_OK;
}

/* ---- durable copy ---------------------------------------------------------- */

#define EP__COPY_BUF (256u * 1024u)

EP_API ep_result ep_vfs_copy_range(ep_vfs *vfs, ep_file *src, uint64_t from, ep_file *dst, uint64_t to,
                                   uint64_t len, uint8_t *buf, size_t cap, ep_error *err) {
    ep_result r;
    if (!vfs || !src || !dst || !buf || !cap)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "copy: missing argument");
    while (len > 0) {
        size_t want = (size_t)EP__MIN((uint64_t)cap, len), got = 0;
        if ((r = vfs->read(vfs, src, from, buf, want, &got, err)) != EP_OK) return r;
        if (got != want) return ep_error_set(err, EP_ERR_IO, from, "copy: the file shrank while being copied");
        if ((r = vfs->write(vfs, dst, to, buf, got, err)) != EP_OK) return r;
        from += got;
        to += got;
        len -= got;
    }
    return EP_OK;
}

EP_API ep_result ep_vfs_copy_durable(ep_vfs *vfs, const char *from, const char *to, const ep_allocator *alloc,
                                     ep_error *err) {
    char tmp[4096], dir[4096];
    ep_file *src = NULL, *dst = NULL;
    uint64_t size = 0;
    uint8_t *buf;
    size_t n;
    ep_result r;
    if (!vfs || !from || !to) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "copy: missing argument");
    n = strlen(to);
    if (n + 5 > sizeof tmp || ep_path_dirname(dir, sizeof dir, to) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "copy: path too long");
    memcpy(tmp, to, n);
    memcpy(tmp + n, ".tmp", 5);
    if (vfs->stat(vfs, to, NULL, NULL) == EP_OK)
        return ep_error_set(err, EP_ERR_EXISTS, UINT64_MAX, "copy: %s exists already", to);
    if ((r = vfs->open(vfs, from, EP_OPEN_READ, &src, err)) != EP_OK) return r;
    buf = (uint8_t *)ep_malloc(alloc, EP__COPY_BUF);
    if (!buf) r = ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "copy: out of memory");
    if (r == EP_OK) r = vfs->size(vfs, src, &size, err);
    if (r == EP_OK) r = vfs->open(vfs, tmp, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &dst, err);
    if (r == EP_OK) {
        r = ep_vfs_copy_range(vfs, src, 0, dst, 0, size, buf, EP__COPY_BUF, err);
        if (r == EP_OK) r = vfs->sync(vfs, dst, err);
        if (r == EP_OK) r = vfs->close(vfs, dst, err);
        else (void)vfs->close(vfs, dst, NULL);
        if (r == EP_OK) r = vfs->rename(vfs, tmp, to, err);
        if (r != EP_OK) (void)vfs->remove(vfs, tmp, NULL);
    }
    (void)vfs->close(vfs, src, NULL);
    ep_free(alloc, buf);
    if (r == EP_OK) r = vfs->sync_dir(vfs, dir, err);
    return r;
}
