/* vfs_win32: the operating system's file system on Windows. Paths are UTF-8
 * and converted to UTF-16 for the wide API. Compiles to nothing elsewhere
 * and under EP_NO_OS_VFS.
 *
 * sync_dir only checks that the directory exists: Windows has no directory
 * fsync; NTFS journals metadata, and MoveFileEx(MOVEFILE_WRITE_THROUGH)
 * returns only after the rename is on disk.
 *
 * Rename and remove keep POSIX meaning where Windows can: a rename over a
 * file that another handle holds open, and a remove whose name vanishes at
 * once, use the POSIX-semantics forms of SetFileInformationByHandle (Windows
 * 10 1607 and later, NTFS) when the classic calls refuse. Older Windows, and
 * wine 8, refuse a rename over an open file: that is reported as
 * EP_ERR_LOCKED, and ep_aof_writer_rewrite then closes the old AOF and
 * renames again. */
#include "base/internal.h"
#include "vfs/vfs.h"

#if defined(_WIN32) && !defined(EP_NO_OS_VFS)

#include <windows.h>

/* An open file: the handle, and whether it holds the lock (LockFileEx on a
 * range the same handle already locked fails; the vfs contract lets the
 * holder ask again). */
typedef struct {
    HANDLE h;
    int locked;
} ep__w32_file;
#define EP__WF(f) ((ep__w32_file *)(void *)(f))
#define EP__WH(f) (EP__WF(f)->h)

/* Converted paths up to this many UTF-16 units stay on the stack. */
#define EP__W32_STACK_PATH 520

static ep_result ep__w32_code(DWORD e) {
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
        return EP_ERR_NOT_FOUND;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
        return EP_ERR_EXISTS;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
        return EP_ERR_NO_SPACE;
    case ERROR_LOCK_VIOLATION:
        return EP_ERR_LOCKED;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return EP_ERR_NOMEM;
    default:
        return EP_ERR_IO;
    }
}

/* Fills err with "op path: Windows error N" and the code in sys_errno. */
static ep_result ep__w32_fail(ep_error *err, DWORD e, const char *op, const char *path) {
    ep_result r = ep__w32_code(e);
    if (path && *path)
        ep_error_set(err, r, UINT64_MAX, "%s %s: Windows error %lu", op, path, (unsigned long)e);
    else
        ep_error_set(err, r, UINT64_MAX, "%s: Windows error %lu", op, (unsigned long)e);
    if (err) err->sys_errno = (int)e;
    return r;
}
/* its text through EP__TEXT (base.h: EP_NO_ERROR_TEXT drops it at every call) */
#define ep__w32_fail(err, e, op, path) ep__w32_fail((err), (e), EP__TEXT(op), (path))


/* UTF-8 path to a NUL-terminated UTF-16 path with '\\' separators, in buf
 * when it fits, else on the heap (free with ep__w32_unwiden). */
static ep_result ep__w32_widen(const char *path, WCHAR *buf, WCHAR **out, ep_error *err) {
    int n, i;
    WCHAR *w = buf;
    *out = NULL;
    n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
    if (n <= 0) return ep_error_set(err, EP_ERR_UTF8, UINT64_MAX, "path is not valid UTF-8: %s", path);
    if (n > EP__W32_STACK_PATH) {
        w = (WCHAR *)ep_malloc(NULL, (size_t)n * sizeof(WCHAR));
        if (!w) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "path %s: out of memory", path);
    }
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n) != n) {
        if (w != buf) ep_free(NULL, w);
        return ep_error_set(err, EP_ERR_UTF8, UINT64_MAX, "path is not valid UTF-8: %s", path);
    }
    for (i = 0; i < n; i++)
        if (w[i] == L'/') w[i] = L'\\';
    *out = w;
    return EP_OK;
}

static void ep__w32_unwiden(WCHAR *w, WCHAR *buf) {
    if (w && w != buf) ep_free(NULL, w);
}

static OVERLAPPED ep__w32_at(uint64_t offset) {
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)(offset & 0xffffffffu);
    ov.OffsetHigh = (DWORD)(offset >> 32);
    return ov;
}

static ep_result ep__w32_open(ep_vfs *vfs, const char *path, unsigned flags, ep_file **out,
                              ep_error *err) {
    WCHAR buf[EP__W32_STACK_PATH];
    WCHAR *w;
    DWORD access = GENERIC_READ, disposition;
    /* Share everything, so other handles may read, rename and delete (POSIX-like). */
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    HANDLE h;
    ep__w32_file *wf;
    ep_result r;
    (void)vfs;
    *out = NULL;
    if (flags & (EP_OPEN_WRITE | EP_OPEN_TRUNCATE)) access |= GENERIC_WRITE;
    if ((flags & EP_OPEN_CREATE) && (flags & EP_OPEN_EXCLUSIVE)) disposition = CREATE_NEW;
    else if ((flags & EP_OPEN_CREATE) && (flags & EP_OPEN_TRUNCATE)) disposition = CREATE_ALWAYS;
    else if (flags & EP_OPEN_CREATE) disposition = OPEN_ALWAYS;
    else if (flags & EP_OPEN_TRUNCATE) disposition = TRUNCATE_EXISTING;
    else disposition = OPEN_EXISTING;
    r = ep__w32_widen(path, buf, &w, err);
    if (r != EP_OK) return r;
    /* NULL security attributes: the handle is not inherited (like O_CLOEXEC). */
    h = CreateFileW(w, access, share, NULL, disposition, FILE_ATTRIBUTE_NORMAL, NULL);
    ep__w32_unwiden(w, buf);
    if (h == INVALID_HANDLE_VALUE) return ep__w32_fail(err, GetLastError(), "open", path);
    wf = (ep__w32_file *)ep_malloc(NULL, sizeof *wf);
    if (!wf) {
        CloseHandle(h);
        return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "open %s: out of memory", path);
    }
    wf->h = h;
    wf->locked = 0;
    *out = (ep_file *)(void *)wf;
    return EP_OK;
}

static ep_result ep__w32_close(ep_vfs *vfs, ep_file *f, ep_error *err) {
    BOOL ok;
    (void)vfs;
    if (!f) return EP_OK;
    ok = CloseHandle(EP__WH(f));
    ep_free(NULL, f);
    if (!ok) return ep__w32_fail(err, GetLastError(), "close", "");
    return EP_OK;
}

static ep_result ep__w32_read(ep_vfs *vfs, ep_file *f, uint64_t offset, void *buf, size_t len,
                             size_t *got, ep_error *err) {
    uint8_t *p = (uint8_t *)buf;
    size_t done = 0;
    (void)vfs;
    *got = 0;
    while (done < len) {
        DWORD want = (DWORD)EP__MIN(len - done, (size_t)0x40000000u);
        DWORD n = 0;
        OVERLAPPED ov = ep__w32_at(offset + done);
        if (!ReadFile(EP__WH(f), p + done, want, &n, &ov)) {
            DWORD e = GetLastError();
            if (e == ERROR_HANDLE_EOF) break;
            *got = done;
            return ep__w32_fail(err, e, "read", "");
        }
        if (n == 0) break;
        done += n;
    }
    *got = done;
    return EP_OK;
}

static ep_result ep__w32_write(ep_vfs *vfs, ep_file *f, uint64_t offset, const void *buf,
                               size_t len, ep_error *err) {
    const uint8_t *p = (const uint8_t *)buf;
    size_t done = 0;
    (void)vfs;
    while (done < len) {
        DWORD want = (DWORD)EP__MIN(len - done, (size_t)0x40000000u);
        DWORD n = 0;
        OVERLAPPED ov = ep__w32_at(offset + done);
        if (!WriteFile(EP__WH(f), p + done, want, &n, &ov))
            return ep__w32_fail(err, GetLastError(), "write", "");
        if (n == 0) {
            ep_error_set(err, EP_ERR_NO_SPACE, offset + done, "write: no progress");
            if (err) err->sys_errno = (int)ERROR_DISK_FULL;
            return EP_ERR_NO_SPACE;
        }
        done += n;
    }
    return EP_OK;
}

static ep_result ep__w32_truncate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err) {
    LARGE_INTEGER li;
    (void)vfs;
    if (size > (uint64_t)INT64_MAX) return ep_error_set(err, EP_ERR_LIMIT, size, "truncate: too large");
    li.QuadPart = (LONGLONG)size;
    /* The file pointer matters only here: reads and writes carry their own offsets. */
    if (!SetFilePointerEx(EP__WH(f), li, NULL, FILE_BEGIN) || !SetEndOfFile(EP__WH(f)))
        return ep__w32_fail(err, GetLastError(), "truncate", "");
    return EP_OK;
}

static ep_result ep__w32_size(ep_vfs *vfs, ep_file *f, uint64_t *out, ep_error *err) {
    LARGE_INTEGER li;
    (void)vfs;
    *out = 0;
    if (!GetFileSizeEx(EP__WH(f), &li)) return ep__w32_fail(err, GetLastError(), "size", "");
    *out = (uint64_t)li.QuadPart;
    return EP_OK;
}

static ep_result ep__w32_sync(ep_vfs *vfs, ep_file *f, ep_error *err) {
    (void)vfs;
    if (!FlushFileBuffers(EP__WH(f))) return ep__w32_fail(err, GetLastError(), "sync", "");
    return EP_OK;
}

/* Windows locks are mandatory: locking the data would block other handles'
 * reads. One byte far past any real data is locked instead (as SQLite does). */
static ep_result ep__w32_lock(ep_vfs *vfs, ep_file *f, ep_error *err) {
    OVERLAPPED ov = ep__w32_at(0x7ffffffffffffffeull);
    (void)vfs;
    if (EP__WF(f)->locked) return EP_OK;
    if (!LockFileEx(EP__WH(f), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)) {
        DWORD e = GetLastError();
        if (e == ERROR_LOCK_VIOLATION || e == ERROR_IO_PENDING) {
            ep_error_set(err, EP_ERR_LOCKED, UINT64_MAX, "lock: held by another handle");
            if (err) err->sys_errno = (int)e;
            return EP_ERR_LOCKED;
        }
        return ep__w32_fail(err, e, "lock", "");
    }
    EP__WF(f)->locked = 1;
    return EP_OK;
}

static ep_result ep__w32_sync_dir(ep_vfs *vfs, const char *dir, ep_error *err) {
    WCHAR buf[EP__W32_STACK_PATH];
    WCHAR *w;
    DWORD attr;
    ep_result r;
    (void)vfs;
    if (!dir || !*dir) dir = ".";
    r = ep__w32_widen(dir, buf, &w, err);
    if (r != EP_OK) return r;
    /* Nothing to flush (see the top of this part), but a missing directory
     * is reported as on POSIX. */
    attr = GetFileAttributesW(w);
    if (attr == INVALID_FILE_ATTRIBUTES) r = ep__w32_fail(err, GetLastError(), "sync dir", dir);
    else if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) r = ep__w32_fail(err, ERROR_DIRECTORY, "sync dir", dir);
    ep__w32_unwiden(w, buf);
    return r;
}

/* FILE_RENAME_INFO with its Flags form (FileRenameInfoEx) and the flags of
 * FileDispositionInfoEx, declared here because older SDK headers (and
 * mingw-w64's) lack them. */
#define EP__W32_RENAME_INFO_EX 22
#define EP__W32_DISPOSITION_INFO_EX 21
#define EP__W32_RENAME_REPLACE 0x1u
#define EP__W32_RENAME_POSIX 0x2u
#define EP__W32_DISPOSE_DELETE 0x1u
#define EP__W32_DISPOSE_POSIX 0x2u
typedef struct {
    DWORD flags;
    HANDLE root;
    DWORD name_bytes;
    WCHAR name[1];
} ep__w32_rename_info;

/* The classic calls refused because a handle is open: worth the POSIX form. */
static int ep__w32_busy(DWORD e) { return e == ERROR_ACCESS_DENIED || e == ERROR_SHARING_VIOLATION; }

/* Renames over an open target with POSIX semantics (Windows 10 1607+).
 * Returns 0 and sets *e where it is refused or not implemented. */
static int ep__w32_rename_posix(const WCHAR *from, const WCHAR *to, DWORD *e) {
    size_t n = wcslen(to), size = sizeof(ep__w32_rename_info) + n * sizeof(WCHAR);
    ep__w32_rename_info *ri;
    HANDLE h;
    BOOL ok;
    if (n > 32767) return *e = ERROR_FILENAME_EXCED_RANGE, 0;
    ri = (ep__w32_rename_info *)ep_malloc(NULL, size);
    if (!ri) return *e = ERROR_NOT_ENOUGH_MEMORY, 0;
    memset(ri, 0, size);
    ri->flags = EP__W32_RENAME_REPLACE | EP__W32_RENAME_POSIX;
    ri->name_bytes = (DWORD)(n * sizeof(WCHAR));
    memcpy(ri->name, to, n * sizeof(WCHAR));
    h = CreateFileW(from, DELETE | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    ok = h != INVALID_HANDLE_VALUE &&
         SetFileInformationByHandle(h, (FILE_INFO_BY_HANDLE_CLASS)EP__W32_RENAME_INFO_EX, ri, (DWORD)size);
    if (!ok) *e = GetLastError();
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
    ep_free(NULL, ri);
    return ok != 0;
}

static ep_result ep__w32_rename(ep_vfs *vfs, const char *from, const char *to, ep_error *err) {
    WCHAR bf[EP__W32_STACK_PATH], bt[EP__W32_STACK_PATH];
    WCHAR *wf = NULL, *wt = NULL;
    ep_result r;
    (void)vfs;
    r = ep__w32_widen(from, bf, &wf, err);
    if (r == EP_OK) r = ep__w32_widen(to, bt, &wt, err);
    if (r == EP_OK && !MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        DWORD e = GetLastError(), e2 = e;
        if (ep__w32_busy(e) && ep__w32_rename_posix(wf, wt, &e2)) goto done;
        /* EP_ERR_LOCKED: a handle holds the target open (a caller that can
         * close it, as the AOF rewrite does, retries after closing). */
        r = ep__w32_busy(e) ? EP_ERR_LOCKED : ep__w32_code(e);
        ep_error_set(err, r, UINT64_MAX, "rename %s -> %s: Windows error %lu%s", from, to, (unsigned long)e,
                     r == EP_ERR_LOCKED ? " (the target is open)" : "");
        if (err) err->sys_errno = (int)e;
    }
done:
    ep__w32_unwiden(wf, bf);
    ep__w32_unwiden(wt, bt);
    return r;
}

/* Deletes with POSIX semantics (Windows 10 1607+): the name goes at once,
 * even while other handles keep the file open. 0 where that is not
 * implemented; DeleteFileW then leaves the name until the last close. */
static int ep__w32_remove_posix(const WCHAR *path) {
    DWORD flags = EP__W32_DISPOSE_DELETE | EP__W32_DISPOSE_POSIX;
    BOOL ok;
    HANDLE h = CreateFileW(path, DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    if (h == INVALID_HANDLE_VALUE) return 0;
    ok = SetFileInformationByHandle(h, (FILE_INFO_BY_HANDLE_CLASS)EP__W32_DISPOSITION_INFO_EX, &flags, sizeof flags);
    CloseHandle(h);
    return ok != 0;
}

static ep_result ep__w32_remove(ep_vfs *vfs, const char *path, ep_error *err) {
    WCHAR buf[EP__W32_STACK_PATH];
    WCHAR *w;
    ep_result r;
    (void)vfs;
    r = ep__w32_widen(path, buf, &w, err);
    if (r != EP_OK) return r;
    if (!ep__w32_remove_posix(w) && !DeleteFileW(w)) r = ep__w32_fail(err, GetLastError(), "remove", path);
    ep__w32_unwiden(w, buf);
    return r;
}

static ep_result ep__w32_mkdir(ep_vfs *vfs, const char *path, ep_error *err) {
    WCHAR buf[EP__W32_STACK_PATH];
    WCHAR *w;
    ep_result r;
    (void)vfs;
    r = ep__w32_widen(path, buf, &w, err);
    if (r != EP_OK) return r;
    if (!CreateDirectoryW(w, NULL)) {
        DWORD e = GetLastError();
        DWORD attr = GetFileAttributesW(w);
        if (!(e == ERROR_ALREADY_EXISTS && attr != INVALID_FILE_ATTRIBUTES &&
              (attr & FILE_ATTRIBUTE_DIRECTORY)))
            r = ep__w32_fail(err, e, "mkdir", path);
    }
    ep__w32_unwiden(w, buf);
    return r;
}

static ep_result ep__w32_list(ep_vfs *vfs, const char *dir, ep_list_fn fn, void *fn_ctx,
                              ep_error *err) {
    char pattern[EP__W32_STACK_PATH];
    WCHAR buf[EP__W32_STACK_PATH];
    WCHAR *w;
    WIN32_FIND_DATAW fd;
    HANDLE h;
    ep_result r;
    (void)vfs;
    if (!dir || !*dir) dir = ".";
    if (ep_path_join(pattern, sizeof pattern, dir, "*") != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "list %s: path too long", dir);
    r = ep__w32_widen(pattern, buf, &w, err);
    if (r != EP_OK) return r;
    h = FindFirstFileW(w, &fd);
    ep__w32_unwiden(w, buf);
    if (h == INVALID_HANDLE_VALUE) return ep__w32_fail(err, GetLastError(), "list", dir);
    do {
        /* A name is at most 260 UTF-16 units: 3 bytes each in UTF-8 at most. */
        char name[MAX_PATH * 3 + 1];
        int n = WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, (int)sizeof name, NULL, NULL);
        if (n <= 0) continue;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if (fn(fn_ctx, name) != 0) break;
    } while (FindNextFileW(h, &fd));
    FindClose(h);
    return EP_OK;
}

static ep_result ep__w32_stat(ep_vfs *vfs, const char *path, uint64_t *size, ep_error *err) {
    WCHAR buf[EP__W32_STACK_PATH];
    WCHAR *w;
    WIN32_FILE_ATTRIBUTE_DATA ad;
    ep_result r;
    (void)vfs;
    if (size) *size = 0;
    r = ep__w32_widen(path, buf, &w, err);
    if (r != EP_OK) return r;
    if (!GetFileAttributesExW(w, GetFileExInfoStandard, &ad)) {
        r = ep__w32_fail(err, GetLastError(), "stat", path);
    } else if (size) {
        *size = ((uint64_t)ad.nFileSizeHigh << 32) | (uint64_t)ad.nFileSizeLow;
    }
    ep__w32_unwiden(w, buf);
    return r;
}

/* Reserves the clusters (FileAllocationInfo), then moves the end of file.
 * NTFS reads the bytes past the valid data length as zeros. SetFileValidData
 * would skip that zeroing but needs a privilege and exposes old disk
 * contents, so it is not used. */
static ep_result ep__w32_preallocate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err) {
    FILE_ALLOCATION_INFO ai;
    FILE_END_OF_FILE_INFO eof;
    LARGE_INTEGER cur;
    (void)vfs;
    if (!GetFileSizeEx(EP__WH(f), &cur)) return ep__w32_fail(err, GetLastError(), "preallocate", "");
    if ((uint64_t)cur.QuadPart >= size) return EP_OK;
    ai.AllocationSize.QuadPart = (LONGLONG)size;
    if (!SetFileInformationByHandle(EP__WH(f), FileAllocationInfo, &ai, sizeof ai)) {
        DWORD e = GetLastError();
        /* wine 8 and some file systems do not implement it: never fall back
         * to a sparse extension (the vfs contract) */
        if (e == ERROR_CALL_NOT_IMPLEMENTED || e == ERROR_NOT_SUPPORTED || e == ERROR_INVALID_FUNCTION ||
            e == ERROR_INVALID_PARAMETER)
            return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "preallocate: Windows error %lu",
                                (unsigned long)e);
        return ep__w32_fail(err, e, "preallocate", "");
    }
    eof.EndOfFile.QuadPart = (LONGLONG)size;
    if (!SetFileInformationByHandle(EP__WH(f), FileEndOfFileInfo, &eof, sizeof eof))
        return ep__w32_fail(err, GetLastError(), "preallocate", "");
    return EP_OK;
}

EP_API ep_result ep_vfs_os_init(ep_vfs *out) {
    if (!out) return EP_ERR_INVALID_ARG;
    ep_vfs_init(out);
    out->open = ep__w32_open;
    out->close = ep__w32_close;
    out->read = ep__w32_read;
    out->write = ep__w32_write;
    out->truncate = ep__w32_truncate;
    out->size = ep__w32_size;
    out->sync = ep__w32_sync;
    out->lock = ep__w32_lock;
    out->sync_dir = ep__w32_sync_dir;
    out->rename = ep__w32_rename;
    out->remove = ep__w32_remove;
    out->mkdir = ep__w32_mkdir;
    out->list = ep__w32_list;
    out->stat = ep__w32_stat;
    out->preallocate = ep__w32_preallocate;
    return EP_OK;
}

#endif /* _WIN32 && !EP_NO_OS_VFS */
