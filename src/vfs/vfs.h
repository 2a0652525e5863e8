/* vfs: the one table of file-system functions that every file operation in
 * the library goes through. Implementations: the OS (POSIX or Windows),
 * chosen at compile time, and an in-memory one that ships in the library so
 * users can test with it. Tests wrap a vfs to inject faults and power loss. */
#ifndef EP_VFS_H
#define EP_VFS_H

#include "base/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* When a writer on a vfs syncs (the AOF's policies; every log writer's):
 * ALWAYS before each call returns (a batch once at its end), EVERYSEC once
 * a second has passed (checked on each call and on tick), NO never on its
 * own (flushes when its buffer fills). */
#ifndef EP_FSYNC_POLICY_DEFINED
#define EP_FSYNC_POLICY_DEFINED
typedef enum ep_fsync_policy {
    EP_FSYNC_ALWAYS = 0,
    EP_FSYNC_EVERYSEC = 1,
    EP_FSYNC_NO = 2
} ep_fsync_policy;
#endif

/* Open flags. Files created get mode 0600 on POSIX (the umask still applies). */
#define EP_OPEN_READ      0x01u
#define EP_OPEN_WRITE     0x02u  /* read and write */
#define EP_OPEN_CREATE    0x04u  /* create if missing */
#define EP_OPEN_TRUNCATE  0x08u  /* size 0 after open */
#define EP_OPEN_EXCLUSIVE 0x10u  /* with CREATE: fail with EP_ERR_EXISTS if present */

typedef struct ep_file ep_file;  /* opaque; each vfs defines its own */
typedef struct ep_vfs ep_vfs;

/* Called once per directory entry ("." and ".." excluded). Return non-zero to stop. */
typedef int (*ep_list_fn)(void *ctx, const char *name);

/* Paths are UTF-8; '/' separates components on every platform.
 * Every function takes an optional ep_error* that receives errno and a
 * message on failure. Durability: write() hands bytes to the OS (they survive
 * a process crash); only sync() (and sync_dir() for the directory entry after
 * create, rename or remove) makes them survive power loss. */
/* The table's head says which fields it has, so later versions of the
 * library can add operations without breaking tables users built against
 * an older one: fill struct_size and version with ep_vfs_init (or
 * EP_VFS_VERSION and sizeof(ep_vfs)) before setting the functions. */
#define EP_VFS_VERSION 2
struct ep_vfs {
    uint32_t struct_size;  /* sizeof(ep_vfs) as the table's author compiled it */
    uint32_t version;      /* EP_VFS_VERSION the table's author compiled against */
    void *ctx;  /* the implementation's own state */
    ep_result (*open)(ep_vfs *vfs, const char *path, unsigned flags, ep_file **out, ep_error *err);
    ep_result (*close)(ep_vfs *vfs, ep_file *f, ep_error *err);
    /* Reads up to len bytes at offset; *got < len only at end of file. */
    ep_result (*read)(ep_vfs *vfs, ep_file *f, uint64_t offset, void *buf, size_t len, size_t *got,
                      ep_error *err);
    /* Writes all len bytes at offset (extending the file) or fails. */
    ep_result (*write)(ep_vfs *vfs, ep_file *f, uint64_t offset, const void *buf, size_t len,
                       ep_error *err);
    ep_result (*truncate)(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err);
    ep_result (*size)(ep_vfs *vfs, ep_file *f, uint64_t *out, ep_error *err);
    /* fdatasync/fsync (F_FULLFSYNC on macOS, FlushFileBuffers on Windows). */
    ep_result (*sync)(ep_vfs *vfs, ep_file *f, ep_error *err);
    /* Exclusive advisory lock held until close; EP_ERR_LOCKED if another holder has it. */
    ep_result (*lock)(ep_vfs *vfs, ep_file *f, ep_error *err);
    /* Makes creates, renames and removes inside dir durable. */
    ep_result (*sync_dir)(ep_vfs *vfs, const char *dir, ep_error *err);
    /* Atomically replaces `to` with `from`. EP_ERR_LOCKED: refused because
     * a handle holds `to` open (Windows without POSIX renames); nothing
     * changed. */
    ep_result (*rename)(ep_vfs *vfs, const char *from, const char *to, ep_error *err);
    /* EP_ERR_NOT_FOUND if the file does not exist. */
    ep_result (*remove)(ep_vfs *vfs, const char *path, ep_error *err);
    /* EP_OK if the directory already exists. */
    ep_result (*mkdir)(ep_vfs *vfs, const char *path, ep_error *err);
    ep_result (*list)(ep_vfs *vfs, const char *dir, ep_list_fn fn, void *fn_ctx, ep_error *err);
    /* Size of a file by path; EP_ERR_NOT_FOUND if it does not exist. */
    ep_result (*stat)(ep_vfs *vfs, const char *path, uint64_t *size, ep_error *err);
    /* ---- version 2 (check struct_size before use: ep_vfs_has / ep_vfs_preallocate) ---- */
    /* Reserves real blocks so that the file is at least size bytes long; the
     * bytes past the old end read as zeros. Never makes a sparse file: where
     * the OS cannot reserve, EP_ERR_UNSUPPORTED. NULL: not supported. */
    ep_result (*preallocate)(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err);
};

/* Non-zero if the table has field `member` (its author compiled a version
 * that has it) and it is set. */
#define ep_vfs_has(v, member) \
    ((v)->struct_size >= offsetof(ep_vfs, member) + sizeof((v)->member) && (v)->member != NULL)

/* vfs->preallocate when the table has it; EP_ERR_UNSUPPORTED otherwise. */
EP_API ep_result ep_vfs_preallocate(ep_vfs *vfs, ep_file *f, uint64_t size, ep_error *err);

/* One writer per directory: opens (creating) dir/name and takes the vfs
 * lock on it, a kernel lock (flock / LockFileEx) that dies with the process;
 * the file's existence means nothing. EP_ERR_LOCKED, with the path in err,
 * if another handle holds it. Close the handle to release it. */
EP_API ep_result ep_vfs_lock_dir(ep_vfs *vfs, const char *dir, const char *name, ep_file **out, ep_error *err);

/* Zeroes v and fills its head (struct_size, version): the start of a table
 * of your own. */
EP_API void ep_vfs_init(ep_vfs *v);

/* The operating system's file system (POSIX or Windows). Fills a table the
 * caller owns; it holds no state. EP_ERR_UNSUPPORTED under EP_NO_OS_VFS. */
EP_API ep_result ep_vfs_os_init(ep_vfs *out);

/* An in-memory file system. Everything written is immediately "durable";
 * use the test wrappers to model crashes. Not thread-safe. */
EP_API ep_result ep_vfs_mem_create(const ep_allocator *alloc, ep_vfs **out);
EP_API void ep_vfs_mem_free(ep_vfs *vfs);

/* Convenience wrappers that read or write a whole file through a vfs.
 * read_all allocates *data (free with ep_free(alloc, ...)); it refuses files
 * larger than max_size with EP_ERR_LIMIT. */
EP_API ep_result ep_vfs_read_all(ep_vfs *vfs, const char *path, const ep_allocator *alloc, size_t max_size,
                                 uint8_t **data, size_t *len, ep_error *err);
EP_API ep_result ep_vfs_write_all(ep_vfs *vfs, const char *path, const void *data, size_t len,
                                  ep_error *err);

/* Copies len bytes of src at from to dst at to through buf (cap bytes);
 * EP_ERR_IO if src ends early. */
EP_API ep_result ep_vfs_copy_range(ep_vfs *vfs, ep_file *src, uint64_t from, ep_file *dst, uint64_t to,
                                   uint64_t len, uint8_t *buf, size_t cap, ep_error *err);
/* Copies from to `to` so that `to` is whole or absent at any crash: writes
 * to.tmp, syncs it, renames it to `to` and syncs the directory. Refuses
 * (EP_ERR_EXISTS) if `to` exists; never overwrites. For backups. */
EP_API ep_result ep_vfs_copy_durable(ep_vfs *vfs, const char *from, const char *to, const ep_allocator *alloc,
                                     ep_error *err);

/* dir + "/" + name into out (cap bytes); EP_ERR_LIMIT if it does not fit.
 * An empty dir gives just name. */
EP_API ep_result ep_path_join(char *out, size_t cap, const char *dir, const char *name);
/* The directory part of path ("." if none) into out. */
EP_API ep_result ep_path_dirname(char *out, size_t cap, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* EP_VFS_H */
