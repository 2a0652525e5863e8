/* vfs layer: the conformance suite on the OS vfs and the memory vfs, the
 * path helpers, POSIX specifics, and allocator use of the memory vfs. */
#define _POSIX_C_SOURCE 200809L /* umask, mode_t under -std=c99 */
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/vfs_conformance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <windows.h>
#endif

EPT_CASE(os_vfs_conformance) {
    ep_vfs v;
    char root[600];
    EPT_CHECK_OK(ep_vfs_os_init(&v));
    snprintf(root, sizeof root, "%s", ept_tmpdir());
    vfs_conformance_run(&v, root);
}

EPT_CASE(mem_vfs_conformance) {
    ep_vfs *v = NULL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &v));
    EPT_CHECK_OK(v->mkdir(v, "/data", NULL));
    vfs_conformance_run(v, "/data");
    ep_vfs_mem_free(v);
}

EPT_CASE(mem_vfs_conformance_relative_root) {
    ep_vfs *v = NULL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &v));
    vfs_conformance_run(v, "");
    ep_vfs_mem_free(v);
}

EPT_CASE(os_vfs_creates_mode_0600_and_reports_errno) {
#ifdef _WIN32
    ept_skip("POSIX file modes and errno: Windows has neither (os_vfs_utf8_names_sync_lock_rename checks its errors)");
}
#else
    ep_vfs v;
    char p[600];
    ep_file *f = NULL;
    ep_error err;
    struct stat st;
    mode_t old = umask(022);
    EPT_CHECK_OK(ep_vfs_os_init(&v));
    EPT_CHECK_OK(ep_path_join(p, sizeof p, ept_tmpdir(), "secret"));
    EPT_CHECK_OK(v.open(&v, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK_OK(v.close(&v, f, NULL));
    umask(old);
    EPT_CHECK(stat(p, &st) == 0);
    EPT_CHECK_EQ(st.st_mode & 0777, 0600);
    EPT_CHECK_OK(ep_path_join(p, sizeof p, ept_tmpdir(), "nope"));
    ep_error_clear(&err);
    EPT_CHECK_EQ(v.open(&v, p, EP_OPEN_READ, &f, &err), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(err.sys_errno, ENOENT);
    EPT_CHECK(strstr(err.message, "nope") != NULL); /* "open <path>: <strerror>" */
    EPT_CHECK(strstr(err.message, "open") == err.message);
    EPT_CHECK_OK(ep_path_join(p, sizeof p, ept_tmpdir(), "sub"));
    EPT_CHECK_OK(v.mkdir(&v, p, NULL));
    EPT_CHECK(stat(p, &st) == 0);
    EPT_CHECK_EQ(st.st_mode & 0777, 0700);
}
#endif

static int find_name(void *ctx, const char *name) {
    const char **want = (const char **)ctx;
    if (strcmp(name, want[0]) == 0) want[1] = name; /* non-NULL: found */
    return 0;
}

/* The OS vfs with non-ASCII UTF-8 names (on Windows converted to UTF-16 and
 * checked here through the wide API), sync (FlushFileBuffers on Windows), a
 * lock against a second handle (LockFileEx), rename over an existing closed
 * file (MoveFileEx REPLACE_EXISTING), and list giving the UTF-8 name back. */
EPT_CASE(os_vfs_utf8_names_sync_lock_rename) {
    /* "über" and "déjà-日本-💾.aof": 2-, 3- and 4-byte UTF-8 (a surrogate pair in UTF-16) */
    static const char sub_name[] = "\xc3\xbc" "ber";
    static const char name[] = "d\xc3\xa9j\xc3\xa0-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x92\xbe.aof";
    char sub[600], path[700], other[700];
    const char *want[2];
    ep_vfs v;
    ep_file *f = NULL, *g = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    EPT_CHECK_OK(ep_vfs_os_init(&v));
    EPT_CHECK_OK(ep_path_join(sub, sizeof sub, ept_tmpdir(), sub_name));
    EPT_CHECK_OK(v.mkdir(&v, sub, NULL));
    EPT_CHECK_OK(ep_path_join(path, sizeof path, sub, name));
    EPT_CHECK_OK(ep_path_join(other, sizeof other, sub, "other"));
    EPT_CHECK_OK(ep_vfs_write_all(&v, path, "hello", 5, NULL));
    EPT_CHECK_OK(v.open(&v, path, EP_OPEN_READ | EP_OPEN_WRITE, &f, NULL));
    EPT_CHECK_OK(v.write(&v, f, 5, " world", 6, NULL));
    EPT_CHECK_OK(v.sync(&v, f, NULL));
    EPT_CHECK_OK(v.lock(&v, f, NULL));
    EPT_CHECK_OK(v.open(&v, path, EP_OPEN_READ, &g, NULL));
    EPT_CHECK_EQ(v.lock(&v, g, NULL), EP_ERR_LOCKED);
    EPT_CHECK_OK(v.lock(&v, f, NULL)); /* the holder may ask again */
    EPT_CHECK_OK(v.close(&v, g, NULL));
    EPT_CHECK_OK(v.close(&v, f, NULL));
    EPT_CHECK_OK(v.sync_dir(&v, sub, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(&v, other, "old", 3, NULL));
    EPT_CHECK_OK(v.rename(&v, path, other, NULL)); /* over an existing file */
    EPT_CHECK_EQ(v.stat(&v, path, NULL, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_OK(ep_vfs_read_all(&v, other, NULL, 100, &data, &len, NULL));
    EPT_CHECK_EQ(len, 11);
    EPT_CHECK_MEM(data, "hello world", 11);
    ep_free(NULL, data);
    EPT_CHECK_OK(v.rename(&v, other, path, NULL));
    want[0] = name, want[1] = NULL;
    EPT_CHECK_OK(v.list(&v, sub, find_name, (void *)want, NULL));
    EPT_CHECK(want[1] != NULL);
#ifdef _WIN32
    {
        /* The same file through the wide API, named in UTF-16. */
        WCHAR wsub[600], wpath[700];
        ep_error err;
        EPT_CHECK(MultiByteToWideChar(CP_UTF8, 0, sub, -1, wsub, 600) > 0);
        _snwprintf(wpath, 700, L"%ls\\d\u00e9j\u00e0-\u65e5\u672c-\xd83d\xdcbe.aof", wsub);
        EPT_CHECK(GetFileAttributesW(wpath) != INVALID_FILE_ATTRIBUTES);
        EPT_CHECK(wcsstr(wsub, L"\u00fcber") != NULL);
        /* errors carry the Windows code */
        ep_error_clear(&err);
        EPT_CHECK_EQ(v.open(&v, other, EP_OPEN_READ, &f, &err), EP_ERR_NOT_FOUND);
        EPT_CHECK_EQ(err.sys_errno, ERROR_FILE_NOT_FOUND);
        EPT_CHECK(strstr(err.message, "Windows error 2") != NULL);
        EPT_CHECK_EQ(v.sync_dir(&v, other, NULL), EP_ERR_NOT_FOUND);
    }
#endif
}

EPT_CASE(os_vfs_lock_conflicts_between_two_opens) {
    /* A lock taken through a second vfs table (no shared state) still conflicts. */
    ep_vfs a, b;
    char p[600];
    ep_file *f = NULL, *g = NULL;
    EPT_CHECK_OK(ep_vfs_os_init(&a));
    EPT_CHECK_OK(ep_vfs_os_init(&b));
    EPT_CHECK_OK(ep_path_join(p, sizeof p, ept_tmpdir(), "LOCK"));
    EPT_CHECK_OK(a.open(&a, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK_OK(b.open(&b, p, EP_OPEN_READ, &g, NULL));
    EPT_CHECK_OK(a.lock(&a, f, NULL));
    EPT_CHECK_EQ(b.lock(&b, g, NULL), EP_ERR_LOCKED);
    EPT_CHECK_OK(a.close(&a, f, NULL));
    EPT_CHECK_OK(b.lock(&b, g, NULL));
    EPT_CHECK_OK(b.close(&b, g, NULL));
}

EPT_CASE(os_vfs_sync_dir_errors) {
    ep_vfs v;
    char p[600];
    EPT_CHECK_OK(ep_vfs_os_init(&v));
    EPT_CHECK_OK(v.sync_dir(&v, ept_tmpdir(), NULL));
    EPT_CHECK_OK(v.sync_dir(&v, "", NULL)); /* the current directory */
    EPT_CHECK_OK(ep_path_join(p, sizeof p, ept_tmpdir(), "absent"));
    EPT_CHECK_EQ(v.sync_dir(&v, p, NULL), EP_ERR_NOT_FOUND);
}

EPT_CASE(path_join) {
    char out[16];
    EPT_CHECK_OK(ep_path_join(out, sizeof out, "dir", "name"));
    EPT_CHECK(strcmp(out, "dir/name") == 0);
    EPT_CHECK_OK(ep_path_join(out, sizeof out, "dir/", "name"));
    EPT_CHECK(strcmp(out, "dir/name") == 0);
    EPT_CHECK_OK(ep_path_join(out, sizeof out, "", "name"));
    EPT_CHECK(strcmp(out, "name") == 0);
    EPT_CHECK_OK(ep_path_join(out, sizeof out, "/", "x"));
    EPT_CHECK(strcmp(out, "/x") == 0);
    EPT_CHECK_OK(ep_path_join(out, 9, "dir", "name")); /* exactly fits with the NUL */
    EPT_CHECK_EQ(ep_path_join(out, 8, "dir", "name"), EP_ERR_LIMIT);
    EPT_CHECK_EQ(out[0], 0);
    EPT_CHECK_EQ(ep_path_join(out, sizeof out, NULL, "x"), EP_ERR_INVALID_ARG);
    strcpy(out, "ab");
    EPT_CHECK_OK(ep_path_join(out, sizeof out, out, "c")); /* in place */
    EPT_CHECK(strcmp(out, "ab/c") == 0);
}

EPT_CASE(path_dirname) {
    static const char *cases[][2] = {
        {"a/b/c", "a/b"}, {"a/b/", "a"}, {"name", "."}, {"", "."}, {"/x", "/"}, {"/", "/"},
        {"//x", "/"}, {"a//b", "a"}, {"/a/b", "/a"}, {"./f", "."}, {"a/", "."},
    };
    char out[32];
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EPT_CHECK_OK(ep_path_dirname(out, sizeof out, cases[i][0]));
        if (strcmp(out, cases[i][1]) != 0) {
            printf("    dirname(%s) = %s, want %s\n", cases[i][0], out, cases[i][1]);
            EPT_CHECK(0);
        }
    }
    EPT_CHECK_EQ(ep_path_dirname(out, 3, "abc/d"), EP_ERR_LIMIT);
    EPT_CHECK_OK(ep_path_dirname(out, 4, "abc/d"));
    EPT_CHECK(strcmp(out, "abc") == 0);
    EPT_CHECK_EQ(ep_path_dirname(out, 1, "x"), EP_ERR_LIMIT);
}

/* ---- the memory vfs uses only its allocator, and tolerates its failure ---- */

typedef struct count_alloc {
    long live;
    long calls;
    long fail_at; /* fail the allocation with this call number (1-based); 0 = never */
} count_alloc;

static void *ca_malloc(size_t n, void *u) {
    count_alloc *c = (count_alloc *)u;
    if (++c->calls == c->fail_at) return NULL;
    c->live++;
    return malloc(n);
}
static void *ca_realloc(void *p, size_t n, void *u) {
    count_alloc *c = (count_alloc *)u;
    if (++c->calls == c->fail_at) return NULL;
    if (!p) c->live++;
    return realloc(p, n);
}
static void ca_free(void *p, void *u) {
    count_alloc *c = (count_alloc *)u;
    if (p) c->live--;
    free(p);
}

/* A workload touching every allocating path; returns the first failure. */
static ep_result mem_workload(ep_vfs *v) {
    ep_file *f = NULL, *g = NULL;
    ep_result r;
    int i;
    if ((r = v->mkdir(v, "/d", NULL)) != EP_OK) return r;
    if ((r = v->open(v, "/d/a", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL)) != EP_OK) return r;
    for (i = 0; i < 20 && r == EP_OK; i++) r = v->write(v, f, (uint64_t)i * 50u, "0123456789", 10, NULL);
    if (r == EP_OK) r = v->open(v, "/d/b", EP_OPEN_WRITE | EP_OPEN_CREATE, &g, NULL);
    if (r == EP_OK) r = v->rename(v, "/d/a", "/d/b", NULL);
    if (r == EP_OK) r = v->remove(v, "/d/b", NULL);
    if (g) v->close(v, g, NULL);
    /* f stays open: destroy must free it and its orphaned file. */
    (void)f;
    return r;
}

EPT_CASE(mem_vfs_allocator_only_and_no_leaks_on_failure) {
    count_alloc c;
    ep_allocator a;
    ep_vfs *v = NULL;
    long total, k;
    memset(&c, 0, sizeof c);
    a.user = &c;
    a.malloc_fn = ca_malloc;
    a.realloc_fn = ca_realloc;
    a.free_fn = ca_free;
    EPT_CHECK_OK(ep_vfs_mem_create(&a, &v));
    EPT_CHECK_OK(mem_workload(v));
    ep_vfs_mem_free(v);
    EPT_CHECK_EQ(c.live, 0);
    total = c.calls;
    EPT_CHECK(total > 5);
    for (k = 1; k <= total; k++) {
        memset(&c, 0, sizeof c);
        c.fail_at = k;
        v = NULL;
        if (ep_vfs_mem_create(&a, &v) != EP_OK) {
            EPT_CHECK(v == NULL);
        } else {
            ep_result r = mem_workload(v);
            EPT_CHECK(r == EP_OK || r == EP_ERR_NOMEM);
            ep_vfs_mem_free(v);
        }
        EPT_CHECK_EQ(c.live, 0);
    }
}

EPT_CASE(mem_vfs_read_only_handle_refuses_writes) {
    ep_vfs *v = NULL;
    ep_file *f = NULL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &v));
    EPT_CHECK_OK(ep_vfs_write_all(v, "f", "x", 1, NULL));
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_READ, &f, NULL));
    EPT_CHECK(v->write(v, f, 0, "y", 1, NULL) != EP_OK);
    EPT_CHECK(v->truncate(v, f, 0, NULL) != EP_OK);
    EPT_CHECK_OK(v->close(v, f, NULL));
    EPT_CHECK_OK(v->stat(v, "./f", NULL, NULL)); /* "." components are ignored */
    ep_vfs_mem_free(v);
}

EPT_CASE(os_init_fills_every_slot) {
    ep_vfs v;
    EPT_CHECK_OK(ep_vfs_os_init(&v));
    EPT_CHECK(v.open && v.close && v.read && v.write && v.truncate && v.size && v.sync);
    EPT_CHECK(v.lock && v.sync_dir && v.rename && v.remove && v.mkdir && v.list && v.stat);
    EPT_CHECK_EQ(ep_vfs_os_init(NULL), EP_ERR_INVALID_ARG);
}

/* ---- fault_vfs ---------------------------------------------------------- */

EPT_CASE(fault_vfs_unarmed_is_transparent) {
    ep_vfs *m = NULL, *v = NULL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    vfs_conformance_run(v, "");
    EPT_CHECK(fault_vfs_count(v, FAULT_ALL) > 50);
    EPT_CHECK(fault_vfs_count(v, FAULT_WRITE) > 5);
    EPT_CHECK_EQ(fault_vfs_fired(v), 0);
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

EPT_CASE(fault_vfs_nth_write_fails_once_and_does_not_happen) {
    ep_vfs *m = NULL, *v = NULL;
    ep_file *f = NULL;
    ep_error err;
    uint8_t *data = NULL;
    size_t len = 0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    fault_vfs_arm(v, FAULT_WRITE, 2, EP_OK);
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK_OK(v->sync(v, f, NULL)); /* not a write: not counted for the fault */
    EPT_CHECK_OK(v->write(v, f, 0, "one", 3, NULL));
    ep_error_clear(&err);
    EPT_CHECK_EQ(v->write(v, f, 3, "two", 3, &err), EP_ERR_IO);
    EPT_CHECK_EQ(err.code, EP_ERR_IO);
    EPT_CHECK_EQ(err.sys_errno, EIO);
    EPT_CHECK(strstr(err.message, "write") != NULL);
    EPT_CHECK_OK(v->write(v, f, 3, "six", 3, NULL)); /* one shot */
    EPT_CHECK_EQ(fault_vfs_fired(v), 1);
    EPT_CHECK_OK(v->close(v, f, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(m, "f", NULL, 100, &data, &len, NULL));
    EPT_CHECK_EQ(len, 6);
    EPT_CHECK_MEM(data, "onesix", 6);
    ep_free(NULL, data);
    EPT_CHECK_EQ(fault_vfs_count(v, FAULT_WRITE), 3);
    EPT_CHECK_EQ(fault_vfs_count(v, FAULT_OPEN | FAULT_CLOSE | FAULT_SYNC), 3);
    fault_vfs_reset_count(v);
    EPT_CHECK_EQ(fault_vfs_count(v, FAULT_ALL), 0);
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

EPT_CASE(fault_vfs_partial_write_and_no_space) {
    ep_vfs *m = NULL, *v = NULL;
    ep_file *f = NULL;
    ep_error err;
    uint64_t sz = 0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    fault_vfs_arm(v, FAULT_WRITE, 1, EP_ERR_NO_SPACE);
    fault_vfs_set_partial(v, FAULT_PARTIAL_HALF);
    ep_error_clear(&err);
    EPT_CHECK_EQ(v->write(v, f, 0, "abcdefgh", 8, &err), EP_ERR_NO_SPACE);
    EPT_CHECK_EQ(err.sys_errno, ENOSPC);
    EPT_CHECK_OK(v->size(v, f, &sz, NULL));
    EPT_CHECK_EQ(sz, 4); /* the torn prefix landed */
    fault_vfs_arm(v, FAULT_WRITE, 1, EP_ERR_IO);
    fault_vfs_set_partial(v, 100); /* clamped: never the whole write */
    EPT_CHECK_EQ(v->write(v, f, 0, "XYZ", 3, NULL), EP_ERR_IO);
    EPT_CHECK_OK(v->size(v, f, &sz, NULL));
    EPT_CHECK_EQ(sz, 4);
    EPT_CHECK_OK(v->close(v, f, NULL));
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

EPT_CASE(fault_vfs_sticky_and_close_still_closes) {
    count_alloc c;
    ep_allocator a;
    ep_vfs *m = NULL, *v = NULL;
    ep_file *f = NULL;
    memset(&c, 0, sizeof c);
    a.user = &c;
    a.malloc_fn = ca_malloc;
    a.realloc_fn = ca_realloc;
    a.free_fn = ca_free;
    EPT_CHECK_OK(ep_vfs_mem_create(&a, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    fault_vfs_arm(v, FAULT_SYNC | FAULT_CLOSE, 1, EP_ERR_IO);
    fault_vfs_set_sticky(v, 1);
    EPT_CHECK_EQ(v->sync(v, f, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(v->sync(v, f, NULL), EP_ERR_IO);
    EPT_CHECK_OK(v->write(v, f, 0, "a", 1, NULL)); /* other kinds unaffected */
    EPT_CHECK_EQ(v->close(v, f, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(fault_vfs_fired(v), 3);
    fault_vfs_disarm(v);
    EPT_CHECK_OK(v->stat(v, "f", NULL, NULL));
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
    EPT_CHECK_EQ(c.live, 0); /* the failed close released the handle */
}

/* A small workload; every error is passed up unchanged. */
static ep_result fault_workload(ep_vfs *v) {
    ep_file *f = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    ep_result r;
    if ((r = v->mkdir(v, "d", NULL)) != EP_OK) return r;
    if ((r = v->open(v, "d/tmp", EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, NULL)) != EP_OK)
        return r;
    r = v->write(v, f, 0, "payload", 7, NULL);
    if (r == EP_OK) r = v->sync(v, f, NULL);
    if (r == EP_OK) r = v->close(v, f, NULL);
    else v->close(v, f, NULL);
    if (r == EP_OK) r = v->rename(v, "d/tmp", "d/final", NULL);
    if (r == EP_OK) r = v->sync_dir(v, "d", NULL);
    if (r == EP_OK) r = ep_vfs_read_all(v, "d/final", NULL, 100, &data, &len, NULL);
    if (r == EP_OK && (len != 7 || memcmp(data, "payload", 7) != 0)) r = EP_ERR_CORRUPT;
    ep_free(NULL, data);
    return r;
}

EPT_CASE(fault_vfs_fail_every_operation_in_turn) {
    ep_vfs *m = NULL, *v = NULL;
    uint64_t total, k;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    EPT_CHECK_OK(fault_workload(v));
    total = fault_vfs_count(v, FAULT_ALL);
    EPT_CHECK(total >= 10);
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
    for (k = 1; k <= total; k++) {
        ep_result r;
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
        EPT_CHECK_OK(fault_vfs_create(m, &v));
        fault_vfs_arm(v, FAULT_ALL, k, EP_ERR_NO_SPACE);
        r = fault_workload(v);
        EPT_CHECK_EQ(fault_vfs_fired(v), 1);
        EPT_CHECK_EQ(r, EP_ERR_NO_SPACE); /* every injected failure surfaces */
        fault_vfs_destroy(v);
        ep_vfs_mem_free(m);
    }
    /* One past the end: nothing fires. */
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    fault_vfs_arm(v, FAULT_ALL, total + 1, EP_ERR_IO);
    EPT_CHECK_OK(fault_workload(v));
    EPT_CHECK_EQ(fault_vfs_fired(v), 0);
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

EPT_MAIN()
