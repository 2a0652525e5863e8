/* vfs_posix: the operating system's file system on POSIX systems.
 * Compiles to nothing on Windows and under EP_NO_OS_VFS (vfs_win32.c or
 * vfs.c then supply ep_vfs_os_init). */

/* Compiled on its own (make parts) nobody has asked for POSIX 2008 yet. */
#if defined(EP__PART_CHECK) && !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && \
    !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#  define _POSIX_C_SOURCE 200809L
#endif

#include "base/internal.h"
#include "vfs/vfs.h"

#if !defined(_WIN32) && !defined(EP_NO_OS_VFS)

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h> /* flock, where the feature macros let it through */
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* glibc hides pread, ftruncate, fdatasync and O_CLOEXEC unless POSIX 2008 was
 * requested before its first header; say so plainly instead of failing on
 * implicit declarations. */
#if defined(__GLIBC__) && !defined(__USE_XOPEN2K8)
#  error "ember_persist.h: the implementation needs POSIX 2008. Include ember_persist.h before any system header in the file that defines EMBER_PERSIST_IMPLEMENTATION, or compile it with -D_POSIX_C_SOURCE=200809L."
#endif

/* Older systems: set close-on-exec right after open instead. */
#ifdef O_CLOEXEC
#  define EP__O_CLOEXEC O_CLOEXEC
#else
#  define EP__O_CLOEXEC 0
#endif

/* The handle is the descriptor plus one, carried in the pointer: no
 * allocation (this vfs has no allocator) and never NULL. Several vfs live in
 * one translation unit, so none of them may define struct ep_file. */
#define EP__PFD(f) ((int)((uintptr_t)(void *)(f) - 1u))
#define EP__PFILE(fd) ((ep_file *)(void *)((uintptr_t)(unsigned)(fd) + 1u))

static ep_result ep__posix_code(int e) {
    switch (e) {
    case ENOENT: return EP_ERR_NOT_FOUND;
    case EEXIST: return EP_ERR_EXISTS;
    case ENOSPC: return EP_ERR_NO_SPACE;
#ifdef EDQUOT
    case EDQUOT: return EP_ERR_NO_SPACE;
#endif
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return EP_ERR_LOCKED;
#endif
    case EAGAIN: return EP_ERR_LOCKED;
    default: return EP_ERR_IO;
    }
}

/* Maps errno e to a result, fills err with "op path: strerror(e)". */
static ep_result ep__posix_fail(ep_error *err, int e, const char *op, const char *path) {
    ep_result r = ep__posix_code(e);
    if (path && *path) ep_error_set(err, r, UINT64_MAX, "%s %s: %s", op, path, strerror(e));
    else ep_error_set(err, r, UINT64_MAX, "%s: %s", op, strerror(e));
    if (err) err->sys_errno = e;
    return r;
}
/* its text through EP__TEXT (base.h: EP_NO_ERROR_TEXT drops it at every call) */
#define ep__posix_fail(err, e, op, path) ep__posix_fail((err), (e), EP__TEXT(op), (path))


/* Locks report EAGAIN/EACCES for a conflict; only here is EACCES "locked". */
static ep_result ep__posix_lock_fail(ep_error *err, int e) {
    if (e == EAGAIN || e == EACCES
#ifdef EWOULDBLOCK
        || e == EWOULDBLOCK
#endif
    ) {
        ep_error_set(err, EP_ERR_LOCKED, UINT64_MAX, "lock: %s", strerror(e));
        if (err) err->sys_errno = e;
        return EP_ERR_LOCKED;
    }
    return ep__posix_fail(err, e, "lock", NULL);
}

/* off_t may be 32 bits (32-bit builds without _FILE_OFFSET_BITS=64). */
static int ep__posix_off_ok(uint64_t off, size_t len) {
    uint64_t end = off + (uint64_t)len;
    if (end < off) return 0;
    if (sizeof(off_t) < 8 && end > (uint64_t)0x7fffffffu) return 0;
    if (end > (uint64_t)INT64_MAX) return 0;
    return 1;
}

static ep_result ep__posix_open(ep_vfs *vfs, const char *path, unsigned flags, ep_file **out,
                                ep_error *err) {
    int oflags = EP__O_CLOEXEC;
    int fd;
    (void)vfs;
    *out = NULL;
    oflags |= (flags & EP_OPEN_WRITE) ? O_RDWR : O_RDONLY;
    if (flags & EP_OPEN_CREATE) oflags |= O_CREAT;
    if (flags & EP_OPEN_TRUNCATE) oflags |= O_TRUNC;
    if ((flags & EP_OPEN_EXCLUSIVE) && (flags & EP_OPEN_CREATE)) oflags |= O_EXCL;
    do {
        fd = open(path, oflags, (mode_t)0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ep__posix_fail(err, errno, "open", path);
    if (EP__O_CLOEXEC == 0) (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    *out = EP__PFILE(fd);
    return EP_OK;
}

static ep_result ep__posix_close(ep_vfs *vfs, ep_file *f, ep_error *err) {
    int rc, e;
    (void)vfs;
    if (!f) return EP_OK;
    /* Never retry close: on Linux the descriptor is gone even after EINTR. */
    rc = close(EP__PFD(f));
    e = errno;
    if (rc != 0 && e != EINTR) return ep__posix_fail(err, e, "close", NULL);
    return EP_OK;
}

static ep_result ep__posix_read(ep_vfs *vfs, ep_file *f, uint64_t offset, void *buf, size_t len,
                                size_t *got, ep_error *err) {
    uint8_t *p = (uint8_t *)buf;
    size_t done = 0;
    (void)vfs;
    *got = 0;
    if (!ep__posix_off_ok(offset, len))
        return ep_error_set(err, EP_ERR_LIMIT, offset, "read: offset beyond off_t");
    while (done < len) {
        size_t want = EP__MIN(len - done, (size_t)0x40000000u);
        ssize_t n = pread(EP__PFD(f), p + done, want, (off_t)(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            *got = done;
            return ep__posix_fail(err, errno, "read", NULL);
        }
        if (n == 0) break; /* end of file */
        done += (size_t)n;
    }
    *got = done;
    return EP_OK;
}

static ep_result ep__posix_write(ep_vfs *vfs, ep_file *f, uint64_t offset, const void *buf,
                                 size_t len, ep_error *err) {
    const uint8_t *p = (const uint8_t *)buf;
    size_t done = 0;
    (void)vfs;
    if (!ep__posix_off_ok(offset, len))
        return ep_error_set(err, EP_ERR_LIMIT, offset, "write: offset beyond off_t");
    while (done < len) {
        size_t want = EP__MIN(len - done, (size_t)0x40000000u);
        ssize_t n = pwrite(EP__PFD(f), p + done, want, (off_t)(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return ep__posix_fail(err, errno, "write", NULL);
        }
        if (n == 0) { /* no progress and no error: treat as a full disk */
            ep_error_set(err, EP_ERR_NO_SPACE, offset + done, "write: no progress");
            if (err) err->sys_errno = ENOSPC;
            return EP_ERR_NO_SPACE;
        }
        done += (size_t)n;
    }
    return EP_OK;
}

static ep_result ep__posix_truncate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err) {
    int rc;
    (void)vfs;
    if (!ep__posix_off_ok(size, 0))
        return ep_error_set(err, EP_ERR_LIMIT, size, "truncate: size beyond off_t");
    do {
        rc = ftruncate(EP__PFD(f), (off_t)size);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return ep__posix_fail(err, errno, "truncate", NULL);
    return EP_OK;
}

static ep_result ep__posix_size(ep_vfs *vfs, ep_file *f, uint64_t *out, ep_error *err) {
    struct stat st;
    (void)vfs;
    *out = 0;
    if (fstat(EP__PFD(f), &st) != 0) return ep__posix_fail(err, errno, "fstat", NULL);
    *out = (uint64_t)st.st_size;
    return EP_OK;
}

/* fdatasync where it exists (Linux: the size is metadata it does flush);
 * macOS needs F_FULLFSYNC to get past the drive cache. */
static int ep__posix_fsync_fd(int fd) {
    int rc;
#if defined(__APPLE__) && defined(F_FULLFSYNC)
    do {
        rc = fcntl(fd, F_FULLFSYNC);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return 0;
    /* Some file systems (network, FAT) refuse F_FULLFSYNC; fsync is the best left. */
#endif
#if defined(__linux__) && defined(_POSIX_SYNCHRONIZED_IO) && _POSIX_SYNCHRONIZED_IO > 0
    do {
        rc = fdatasync(fd);
    } while (rc != 0 && errno == EINTR);
#else
    do {
        rc = fsync(fd);
    } while (rc != 0 && errno == EINTR);
#endif
    return rc;
}

static ep_result ep__posix_sync(ep_vfs *vfs, ep_file *f, ep_error *err) {
    (void)vfs;
    if (ep__posix_fsync_fd(EP__PFD(f)) != 0) return ep__posix_fail(err, errno, "sync", NULL);
    return EP_OK;
}

static ep_result ep__posix_lock(ep_vfs *vfs, ep_file *f, ep_error *err) {
    int fd = EP__PFD(f);
    int rc;
    (void)vfs;
#if defined(LOCK_EX) && defined(LOCK_NB)
    /* flock belongs to the open file description: a second open of the same
     * file in this process conflicts too, unlike process-wide fcntl locks. */
    do {
        rc = flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return EP_OK;
    if (errno != ENOSYS && errno != EOPNOTSUPP
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
        && errno != ENOTSUP
#endif
    )
        return ep__posix_lock_fail(err, errno);
#endif
    {
        /* Fallback: a process-wide fcntl lock (NFS and systems without flock). */
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        fl.l_start = 0;
        fl.l_len = 0;
        do {
            rc = fcntl(fd, F_SETLK, &fl);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) return ep__posix_lock_fail(err, errno);
    }
    return EP_OK;
}

static ep_result ep__posix_sync_dir(ep_vfs *vfs, const char *dir, ep_error *err) {
    int fd, rc, e;
    int oflags = O_RDONLY | EP__O_CLOEXEC;
    (void)vfs;
#ifdef O_DIRECTORY
    oflags |= O_DIRECTORY;
#endif
    if (!dir || !*dir) dir = ".";
    do {
        fd = open(dir, oflags);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ep__posix_fail(err, errno, "open dir", dir);
    do {
        rc = fsync(fd);
    } while (rc != 0 && errno == EINTR);
    e = errno;
    close(fd);
    /* Some file systems cannot fsync a directory (EINVAL); nothing more to do there. */
    if (rc != 0 && e != EINVAL) return ep__posix_fail(err, e, "sync dir", dir);
    return EP_OK;
}

static ep_result ep__posix_rename(ep_vfs *vfs, const char *from, const char *to, ep_error *err) {
    (void)vfs;
    if (rename(from, to) != 0) {
        int e = errno;
        ep_result r = ep__posix_code(e);
        ep_error_set(err, r, UINT64_MAX, "rename %s -> %s: %s", from, to, strerror(e));
        if (err) err->sys_errno = e;
        return r;
    }
    return EP_OK;
}

static ep_result ep__posix_remove(ep_vfs *vfs, const char *path, ep_error *err) {
    (void)vfs;
    if (unlink(path) != 0) return ep__posix_fail(err, errno, "remove", path);
    return EP_OK;
}

static ep_result ep__posix_mkdir(ep_vfs *vfs, const char *path, ep_error *err) {
    struct stat st;
    int e;
    (void)vfs;
    if (mkdir(path, (mode_t)0700) == 0) return EP_OK;
    e = errno;
    if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return EP_OK;
    return ep__posix_fail(err, e, "mkdir", path);
}

static ep_result ep__posix_list(ep_vfs *vfs, const char *dir, ep_list_fn fn, void *fn_ctx,
                                ep_error *err) {
    DIR *d;
    struct dirent *de;
    (void)vfs;
    if (!dir || !*dir) dir = ".";
    d = opendir(dir);
    if (!d) return ep__posix_fail(err, errno, "opendir", dir);
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            int e = errno;
            closedir(d);
            if (e != 0) return ep__posix_fail(err, e, "readdir", dir);
            return EP_OK;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (fn(fn_ctx, de->d_name) != 0) break;
    }
    closedir(d);
    return EP_OK;
}

static ep_result ep__posix_stat(ep_vfs *vfs, const char *path, uint64_t *size, ep_error *err) {
    struct stat st;
    (void)vfs;
    if (size) *size = 0;
    if (stat(path, &st) != 0) return ep__posix_fail(err, errno, "stat", path);
    if (size) *size = (uint64_t)st.st_size;
    return EP_OK;
}

/* Real blocks, never a sparse file: posix_fallocate (glibc writes zeros
 * itself where the file system has no fallocate), F_PREALLOCATE on macOS. */
static ep_result ep__posix_preallocate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err) {
    int fd = EP__PFD(f);
    struct stat st;
    (void)vfs;
    if (!ep__posix_off_ok(size, 0))
        return ep_error_set(err, EP_ERR_LIMIT, size, "preallocate: size beyond off_t");
    if (fstat(fd, &st) != 0) return ep__posix_fail(err, errno, "fstat", NULL);
    if ((uint64_t)st.st_size >= size) return EP_OK;
#if defined(__APPLE__) && defined(F_PREALLOCATE)
    {
        fstore_t fs;
        memset(&fs, 0, sizeof fs);
        fs.fst_flags = F_ALLOCATECONTIG;
        fs.fst_posmode = F_PEOFPOSMODE;
        fs.fst_offset = 0;
        fs.fst_length = (off_t)(size - (uint64_t)st.st_size);
        if (fcntl(fd, F_PREALLOCATE, &fs) != 0) {
            fs.fst_flags = F_ALLOCATEALL;
            if (fcntl(fd, F_PREALLOCATE, &fs) != 0) return ep__posix_fail(err, errno, "preallocate", NULL);
        }
        if (ftruncate(fd, (off_t)size) != 0) return ep__posix_fail(err, errno, "preallocate", NULL);
        return EP_OK;
    }
#elif (defined(_POSIX_ADVISORY_INFO) && _POSIX_ADVISORY_INFO > 0) || defined(__linux__)
    {
        int rc;
        do {
            rc = posix_fallocate(fd, 0, (off_t)size);
        } while (rc == EINTR);
        if (rc == 0) return EP_OK;
        if (rc == EINVAL || rc == EOPNOTSUPP)
            return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "preallocate: %s", strerror(rc));
        return ep__posix_fail(err, rc, "preallocate", NULL);
    }
#else
    return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "preallocate: no fallocate on this system");
#endif
}

EP_API ep_result ep_vfs_os_init(ep_vfs *out) {
    if (!out) return EP_ERR_INVALID_ARG;
    ep_vfs_init(out);
    out->open = ep__posix_open;
    out->close = ep__posix_close;
    out->read = ep__posix_read;
    out->write = ep__posix_write;
    out->truncate = ep__posix_truncate;
    out->size = ep__posix_size;
    out->sync = ep__posix_sync;
    out->lock = ep__posix_lock;
    out->sync_dir = ep__posix_sync_dir;
    out->rename = ep__posix_rename;
    out->remove = ep__posix_remove;
    out->mkdir = ep__posix_mkdir;
    out->list = ep__posix_list;
    out->stat = ep__posix_stat;
    out->preallocate = ep__posix_preallocate;
    return EP_OK;
}

#endif /* !_WIN32 && !EP_NO_OS_VFS */
