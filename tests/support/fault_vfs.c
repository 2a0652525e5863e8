/* fault_vfs: failure injection around any vfs (see fault_vfs.h). */
#include "fault_vfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_KINDS 15

typedef struct fault_state {
    ep_vfs vfs; /* first: the table pointer is the state pointer */
    ep_vfs *inner;
    uint64_t counts[FAULT_KINDS];
    unsigned arm_kinds;
    uint64_t arm_nth;    /* 0 = disarmed */
    uint64_t arm_seen;   /* matching operations since arming */
    ep_result arm_code;
    int sticky;
    size_t partial;
    uint64_t fired;
} fault_state;

static const char *const fault_names[FAULT_KINDS] = {
    "open", "close", "read", "write", "truncate", "size", "sync",
    "lock", "sync_dir", "rename", "remove", "mkdir", "list", "stat", "preallocate",
};

#define FS(v) ((fault_state *)(v)->ctx)

static int fault_bit_index(unsigned kind) {
    int i = 0;
    while (i < FAULT_KINDS && !(kind & (1u << i))) i++;
    return i;
}

/* Counts the operation and decides whether it fails now. Fills err if so. */
static ep_result fault_check(fault_state *s, unsigned kind, ep_error *err) {
    int idx = fault_bit_index(kind);
    ep_result code;
    s->counts[idx]++;
    if (!s->arm_nth || !(s->arm_kinds & kind)) return EP_OK;
    s->arm_seen++;
    if (s->arm_seen < s->arm_nth) return EP_OK;
    if (s->arm_seen > s->arm_nth && !s->sticky) return EP_OK;
    s->fired++;
    code = s->arm_code ? s->arm_code : EP_ERR_IO;
    ep_error_set(err, code, UINT64_MAX, "fault_vfs: injected failure of %s (matching op #%llu)",
                 fault_names[idx], (unsigned long long)s->arm_seen);
    if (err) err->sys_errno = code == EP_ERR_NO_SPACE ? ENOSPC : EIO;
    return code;
}

static ep_result f_open(ep_vfs *v, const char *path, unsigned flags, ep_file **out, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_OPEN, err);
    if (r != EP_OK) {
        *out = NULL;
        return r;
    }
    return s->inner->open(s->inner, path, flags, out, err);
}

static ep_result f_close(ep_vfs *v, ep_file *f, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_CLOSE, err);
    ep_result q = s->inner->close(s->inner, f, r == EP_OK ? err : NULL);
    return r != EP_OK ? r : q;
}

static ep_result f_read(ep_vfs *v, ep_file *f, uint64_t off, void *buf, size_t len, size_t *got,
                        ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_READ, err);
    if (r != EP_OK) {
        *got = 0;
        return r;
    }
    return s->inner->read(s->inner, f, off, buf, len, got, err);
}

static ep_result f_write(ep_vfs *v, ep_file *f, uint64_t off, const void *buf, size_t len,
                         ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_WRITE, err);
    if (r != EP_OK) {
        size_t pre = s->partial == FAULT_PARTIAL_HALF ? len / 2 : s->partial;
        if (pre >= len) pre = len ? len - 1 : 0;
        if (pre) s->inner->write(s->inner, f, off, buf, pre, NULL);
        return r;
    }
    return s->inner->write(s->inner, f, off, buf, len, err);
}

static ep_result f_truncate(ep_vfs *v, ep_file *f, uint64_t size, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_TRUNCATE, err);
    return r != EP_OK ? r : s->inner->truncate(s->inner, f, size, err);
}

static ep_result f_size(ep_vfs *v, ep_file *f, uint64_t *out, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_SIZE, err);
    if (r != EP_OK) {
        *out = 0;
        return r;
    }
    return s->inner->size(s->inner, f, out, err);
}

static ep_result f_sync(ep_vfs *v, ep_file *f, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_SYNC, err);
    return r != EP_OK ? r : s->inner->sync(s->inner, f, err);
}

static ep_result f_lock(ep_vfs *v, ep_file *f, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_LOCK, err);
    return r != EP_OK ? r : s->inner->lock(s->inner, f, err);
}

static ep_result f_sync_dir(ep_vfs *v, const char *dir, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_SYNC_DIR, err);
    return r != EP_OK ? r : s->inner->sync_dir(s->inner, dir, err);
}

static ep_result f_rename(ep_vfs *v, const char *from, const char *to, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_RENAME, err);
    return r != EP_OK ? r : s->inner->rename(s->inner, from, to, err);
}

static ep_result f_remove(ep_vfs *v, const char *path, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_REMOVE, err);
    return r != EP_OK ? r : s->inner->remove(s->inner, path, err);
}

static ep_result f_mkdir(ep_vfs *v, const char *path, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_MKDIR, err);
    return r != EP_OK ? r : s->inner->mkdir(s->inner, path, err);
}

static ep_result f_list(ep_vfs *v, const char *dir, ep_list_fn fn, void *ctx, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_LIST, err);
    return r != EP_OK ? r : s->inner->list(s->inner, dir, fn, ctx, err);
}

static ep_result f_stat(ep_vfs *v, const char *path, uint64_t *size, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_STAT, err);
    if (r != EP_OK) {
        if (size) *size = 0;
        return r;
    }
    return s->inner->stat(s->inner, path, size, err);
}

static ep_result f_preallocate(ep_vfs *v, ep_file *f, uint64_t size, ep_error *err) {
    fault_state *s = FS(v);
    ep_result r = fault_check(s, FAULT_PREALLOCATE, err);
    return r != EP_OK ? r : ep_vfs_preallocate(s->inner, f, size, err);
}

ep_result fault_vfs_create(ep_vfs *inner, ep_vfs **out) {
    fault_state *s;
    if (!inner || !out) return EP_ERR_INVALID_ARG;
    s = (fault_state *)calloc(1, sizeof *s);
    if (!s) return EP_ERR_NOMEM;
    s->inner = inner;
    ep_vfs_init(&s->vfs);
    s->vfs.ctx = s;
    s->vfs.open = f_open;
    s->vfs.close = f_close;
    s->vfs.read = f_read;
    s->vfs.write = f_write;
    s->vfs.truncate = f_truncate;
    s->vfs.size = f_size;
    s->vfs.sync = f_sync;
    s->vfs.lock = f_lock;
    s->vfs.sync_dir = f_sync_dir;
    s->vfs.rename = f_rename;
    s->vfs.remove = f_remove;
    s->vfs.mkdir = f_mkdir;
    s->vfs.list = f_list;
    s->vfs.stat = f_stat;
    /* Only where the inner table has it, so the wrapper says what the inner vfs can do. */
    if (ep_vfs_has(inner, preallocate)) s->vfs.preallocate = f_preallocate;
    *out = &s->vfs;
    return EP_OK;
}

void fault_vfs_destroy(ep_vfs *vfs) {
    if (vfs) free(FS(vfs));
}

void fault_vfs_arm(ep_vfs *vfs, unsigned kinds, uint64_t nth, ep_result code) {
    fault_state *s = FS(vfs);
    s->arm_kinds = kinds & FAULT_ALL;
    s->arm_nth = nth;
    s->arm_seen = 0;
    s->arm_code = code;
    s->fired = 0;
}

void fault_vfs_set_sticky(ep_vfs *vfs, int sticky) { FS(vfs)->sticky = sticky; }
void fault_vfs_set_partial(ep_vfs *vfs, size_t prefix) { FS(vfs)->partial = prefix; }

void fault_vfs_disarm(ep_vfs *vfs) {
    fault_state *s = FS(vfs);
    s->arm_nth = 0;
    s->arm_seen = 0;
}

uint64_t fault_vfs_count(ep_vfs *vfs, unsigned kinds) {
    fault_state *s = FS(vfs);
    uint64_t n = 0;
    int i;
    for (i = 0; i < FAULT_KINDS; i++)
        if (kinds & (1u << i)) n += s->counts[i];
    return n;
}

void fault_vfs_reset_count(ep_vfs *vfs) { memset(FS(vfs)->counts, 0, sizeof FS(vfs)->counts); }
uint64_t fault_vfs_fired(ep_vfs *vfs) { return FS(vfs)->fired; }
