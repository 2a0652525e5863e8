/* stream: the file-layer core (see stream.h). */
#include "base/internal.h"
#include "vfs/vfs.h"
#include "file/stream.h"

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
