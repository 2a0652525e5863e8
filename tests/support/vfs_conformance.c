/* The shared vfs conformance suite (see vfs_conformance.h). */
#include "vfs_conformance.h"
#include "../harness.h"

#include <stdlib.h>
#include <string.h>

typedef struct conf_names {
    char names[16][64];
    int n;
    int stop_after; /* 0 = never stop */
} conf_names;

static int conf_collect(void *ctx, const char *name) {
    conf_names *c = (conf_names *)ctx;
    if (c->n < 16) {
        strncpy(c->names[c->n], name, 63);
        c->names[c->n][63] = '\0';
    }
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

static int conf_has(const conf_names *c, const char *name) {
    int i;
    for (i = 0; i < c->n && i < 16; i++)
        if (strcmp(c->names[i], name) == 0) return 1;
    return 0;
}

static void conf_path(char *out, const char *root, const char *name) {
    ep_path_join(out, 512, root, name);
}

static void conf_read_write(ep_vfs *v, const char *root) {
    char p[512];
    ep_file *f = NULL;
    uint8_t buf[32];
    size_t got = 99;
    uint64_t sz = 0;
    static const uint8_t want[12] = {'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 'X', 'Y'};
    conf_path(p, root, "rw");
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK(f != NULL);
    EPT_CHECK_OK(v->size(v, f, &sz, NULL));
    EPT_CHECK_EQ(sz, 0);
    EPT_CHECK_OK(v->write(v, f, 0, "hello", 5, NULL));
    EPT_CHECK_OK(v->write(v, f, 10, "XY", 2, NULL)); /* extends, the hole reads as zeros */
    EPT_CHECK_OK(v->size(v, f, &sz, NULL));
    EPT_CHECK_EQ(sz, 12);
    EPT_CHECK_OK(v->read(v, f, 0, buf, sizeof buf, &got, NULL));
    EPT_CHECK_EQ(got, 12);
    EPT_CHECK_MEM(buf, want, 12);
    EPT_CHECK_OK(v->read(v, f, 3, buf, 4, &got, NULL));
    EPT_CHECK_EQ(got, 4);
    EPT_CHECK_MEM(buf, "lo\0\0", 4);
    EPT_CHECK_OK(v->read(v, f, 12, buf, 4, &got, NULL)); /* at EOF: nothing */
    EPT_CHECK_EQ(got, 0);
    EPT_CHECK_OK(v->read(v, f, 1000, buf, 4, &got, NULL));
    EPT_CHECK_EQ(got, 0);
    EPT_CHECK_OK(v->write(v, f, 1, "EL", 2, NULL)); /* overwrite in place */
    EPT_CHECK_OK(v->read(v, f, 0, buf, 5, &got, NULL));
    EPT_CHECK_MEM(buf, "hELlo", 5);
    EPT_CHECK_OK(v->write(v, f, 4, "", 0, NULL)); /* empty write is fine */
    EPT_CHECK_OK(v->sync(v, f, NULL));
    EPT_CHECK_OK(v->sync_dir(v, root, NULL));
    EPT_CHECK_OK(v->close(v, f, NULL));
    /* A second handle sees the same bytes. */
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_READ, &f, NULL));
    EPT_CHECK_OK(v->read(v, f, 0, buf, sizeof buf, &got, NULL));
    EPT_CHECK_EQ(got, 12);
    EPT_CHECK_MEM(buf, "hELlo", 5);
    EPT_CHECK_OK(v->close(v, f, NULL));
    EPT_CHECK_OK(v->stat(v, p, &sz, NULL));
    EPT_CHECK_EQ(sz, 12);
}

static void conf_truncate(ep_vfs *v, const char *root) {
    char p[512];
    ep_file *f = NULL;
    uint8_t buf[16];
    size_t got = 0;
    uint64_t sz = 0;
    conf_path(p, root, "tr");
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK_OK(v->write(v, f, 0, "abcdefgh", 8, NULL));
    EPT_CHECK_OK(v->truncate(v, f, 3, NULL));
    EPT_CHECK_OK(v->size(v, f, &sz, NULL));
    EPT_CHECK_EQ(sz, 3);
    EPT_CHECK_OK(v->truncate(v, f, 6, NULL)); /* growing fills with zeros */
    EPT_CHECK_OK(v->read(v, f, 0, buf, sizeof buf, &got, NULL));
    EPT_CHECK_EQ(got, 6);
    EPT_CHECK_MEM(buf, "abc\0\0\0", 6);
    EPT_CHECK_OK(v->close(v, f, NULL));
    /* EP_OPEN_TRUNCATE empties an existing file. */
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, NULL));
    EPT_CHECK_OK(v->size(v, f, &sz, NULL));
    EPT_CHECK_EQ(sz, 0);
    EPT_CHECK_OK(v->close(v, f, NULL));
}

static void conf_open_errors(ep_vfs *v, const char *root) {
    char p[512];
    ep_file *f = NULL;
    ep_error err;
    conf_path(p, root, "missing");
    ep_error_clear(&err);
    EPT_CHECK_EQ(v->open(v, p, EP_OPEN_READ, &f, &err), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(err.code, EP_ERR_NOT_FOUND);
    EPT_CHECK(err.message[0] != '\0');
    EPT_CHECK_EQ(v->open(v, p, EP_OPEN_WRITE, &f, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(v->stat(v, p, NULL, NULL), EP_ERR_NOT_FOUND);
    conf_path(p, root, "nodir/file");
    EPT_CHECK_EQ(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL), EP_ERR_NOT_FOUND);
    conf_path(p, root, "excl");
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_EXCLUSIVE, &f, NULL));
    EPT_CHECK_OK(v->close(v, f, NULL));
    EPT_CHECK_EQ(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_EXCLUSIVE, &f, NULL),
                 EP_ERR_EXISTS);
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL)); /* no EXCLUSIVE: fine */
    EPT_CHECK_OK(v->close(v, f, NULL));
}

/* The OS vfs (it may lack POSIX rename: see ept_os_lacks_posix_rename). */
static int is_os_vfs(const ep_vfs *v) {
    ep_vfs os;
    return ep_vfs_os_init(&os) == EP_OK && os.rename == v->rename;
}

static void conf_rename(ep_vfs *v, const char *root) {
    char a[512], b[512];
    ep_file *f = NULL, *g = NULL;
    uint8_t *data = NULL;
    size_t len = 0, got = 0;
    uint8_t buf[8];
    if (is_os_vfs(v)) EPT_NEEDS_POSIX_RENAME();
    conf_path(a, root, "ren_a");
    conf_path(b, root, "ren_b");
    EPT_CHECK_OK(ep_vfs_write_all(v, a, "AAAA", 4, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, b, "BB", 2, NULL));
    EPT_CHECK_OK(v->open(v, a, EP_OPEN_WRITE, &f, NULL)); /* follows the file, not the name */
    EPT_CHECK_OK(v->open(v, b, EP_OPEN_READ, &g, NULL));  /* the replaced file stays readable */
    EPT_CHECK_OK(v->rename(v, a, b, NULL));
    EPT_CHECK_EQ(v->stat(v, a, NULL, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_OK(ep_vfs_read_all(v, b, NULL, 100, &data, &len, NULL));
    EPT_CHECK_EQ(len, 4);
    EPT_CHECK_MEM(data, "AAAA", 4);
    ep_free(NULL, data);
    EPT_CHECK_OK(v->write(v, f, 4, "Z", 1, NULL));
    EPT_CHECK_OK(v->read(v, g, 0, buf, sizeof buf, &got, NULL));
    EPT_CHECK_EQ(got, 2);
    EPT_CHECK_MEM(buf, "BB", 2);
    EPT_CHECK_OK(v->close(v, f, NULL));
    EPT_CHECK_OK(v->close(v, g, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(v, b, NULL, 100, &data, &len, NULL));
    EPT_CHECK_EQ(len, 5);
    EPT_CHECK_MEM(data, "AAAAZ", 5);
    ep_free(NULL, data);
    EPT_CHECK_EQ(v->rename(v, a, b, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_OK(v->rename(v, b, a, NULL)); /* to a free name */
    EPT_CHECK_OK(v->stat(v, a, NULL, NULL));
    EPT_CHECK_EQ(v->stat(v, b, NULL, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_OK(v->sync_dir(v, root, NULL));
}

static void conf_remove(ep_vfs *v, const char *root) {
    char p[512];
    ep_file *f = NULL, *g = NULL;
    uint8_t buf[8];
    size_t got = 0;
    conf_path(p, root, "rm");
    if (is_os_vfs(v)) EPT_NEEDS_POSIX_RENAME(); /* the same OS support: POSIX-semantics delete */
    EPT_CHECK_OK(ep_vfs_write_all(v, p, "xyz", 3, NULL));
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE, &f, NULL));
    EPT_CHECK_OK(v->remove(v, p, NULL));
    EPT_CHECK_EQ(v->stat(v, p, NULL, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(v->remove(v, p, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(v->open(v, p, EP_OPEN_READ, &g, NULL), EP_ERR_NOT_FOUND);
    /* The open handle keeps the orphaned file until closed. */
    EPT_CHECK_OK(v->write(v, f, 3, "!", 1, NULL));
    EPT_CHECK_OK(v->read(v, f, 0, buf, sizeof buf, &got, NULL));
    EPT_CHECK_EQ(got, 4);
    EPT_CHECK_MEM(buf, "xyz!", 4);
    EPT_CHECK_OK(v->close(v, f, NULL));
    EPT_CHECK_EQ(v->stat(v, p, NULL, NULL), EP_ERR_NOT_FOUND);
}

static void conf_dirs_and_list(ep_vfs *v, const char *root) {
    char d[512], p[512];
    conf_names names;
    uint64_t sz = 1;
    conf_path(d, root, "sub");
    EPT_CHECK_EQ(v->stat(v, d, NULL, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_OK(v->mkdir(v, d, NULL));
    EPT_CHECK_OK(v->mkdir(v, d, NULL)); /* already there: fine */
    EPT_CHECK_OK(v->stat(v, d, NULL, NULL));
    memset(&names, 0, sizeof names);
    EPT_CHECK_OK(v->list(v, d, conf_collect, &names, NULL));
    EPT_CHECK_EQ(names.n, 0);
    conf_path(p, d, "one");
    EPT_CHECK_OK(ep_vfs_write_all(v, p, "1", 1, NULL));
    conf_path(p, d, "two");
    EPT_CHECK_OK(ep_vfs_write_all(v, p, "22", 2, NULL));
    EPT_CHECK_OK(v->stat(v, p, &sz, NULL));
    EPT_CHECK_EQ(sz, 2);
    conf_path(p, d, "inner");
    EPT_CHECK_OK(v->mkdir(v, p, NULL));
    conf_path(p, p, "deep");
    EPT_CHECK_OK(ep_vfs_write_all(v, p, "", 0, NULL));
    EPT_CHECK_OK(v->sync_dir(v, d, NULL));
    memset(&names, 0, sizeof names);
    EPT_CHECK_OK(v->list(v, d, conf_collect, &names, NULL));
    EPT_CHECK_EQ(names.n, 3); /* direct children only */
    EPT_CHECK(conf_has(&names, "one"));
    EPT_CHECK(conf_has(&names, "two"));
    EPT_CHECK(conf_has(&names, "inner"));
    memset(&names, 0, sizeof names);
    names.stop_after = 2;
    EPT_CHECK_OK(v->list(v, d, conf_collect, &names, NULL));
    EPT_CHECK_EQ(names.n, 2);
    memset(&names, 0, sizeof names);
    EPT_CHECK_OK(v->list(v, root, conf_collect, &names, NULL));
    EPT_CHECK(conf_has(&names, "sub"));
    conf_path(p, root, "nodir");
    EPT_CHECK_EQ(v->list(v, p, conf_collect, &names, NULL), EP_ERR_NOT_FOUND);
    conf_path(p, d, "one");
    EPT_CHECK_EQ(v->mkdir(v, p, NULL), EP_ERR_EXISTS); /* a file has that name */
    conf_path(p, root, "no/such/dir");
    EPT_CHECK_EQ(v->mkdir(v, p, NULL), EP_ERR_NOT_FOUND);
}

static void conf_lock(ep_vfs *v, const char *root) {
    char p[512];
    ep_file *f = NULL, *g = NULL;
    conf_path(p, root, "LOCK");
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK_OK(v->open(v, p, EP_OPEN_WRITE | EP_OPEN_CREATE, &g, NULL));
    EPT_CHECK_OK(v->lock(v, f, NULL));
    EPT_CHECK_OK(v->lock(v, f, NULL)); /* the holder may ask again */
    EPT_CHECK_EQ(v->lock(v, g, NULL), EP_ERR_LOCKED);
    EPT_CHECK_OK(v->close(v, f, NULL)); /* closing releases it */
    EPT_CHECK_OK(v->lock(v, g, NULL));
    EPT_CHECK_OK(v->close(v, g, NULL));
}

static void conf_whole_file(ep_vfs *v, const char *root) {
    char p[512];
    uint8_t src[300];
    uint8_t *data = NULL;
    size_t len = 7, i;
    ep_error err;
    for (i = 0; i < sizeof src; i++) src[i] = (uint8_t)(i * 7u + 1u);
    conf_path(p, root, "whole");
    EPT_CHECK_OK(ep_vfs_write_all(v, p, src, sizeof src, NULL));
    ep_error_clear(&err);
    EPT_CHECK_EQ(ep_vfs_read_all(v, p, NULL, sizeof src - 1, &data, &len, &err), EP_ERR_LIMIT);
    EPT_CHECK(data == NULL);
    EPT_CHECK_EQ(err.code, EP_ERR_LIMIT);
    EPT_CHECK_OK(ep_vfs_read_all(v, p, NULL, sizeof src, &data, &len, NULL));
    EPT_CHECK_EQ(len, sizeof src);
    EPT_CHECK_MEM(data, src, sizeof src);
    ep_free(NULL, data);
    data = NULL;
    /* write_all replaces the whole content. */
    EPT_CHECK_OK(ep_vfs_write_all(v, p, "short", 5, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(v, p, NULL, 1000, &data, &len, NULL));
    EPT_CHECK_EQ(len, 5);
    EPT_CHECK_MEM(data, "short", 5);
    ep_free(NULL, data);
    data = NULL;
    EPT_CHECK_OK(ep_vfs_write_all(v, p, NULL, 0, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(v, p, NULL, 0, &data, &len, NULL));
    EPT_CHECK_EQ(len, 0);
    ep_free(NULL, data);
    conf_path(p, root, "absent");
    EPT_CHECK_EQ(ep_vfs_read_all(v, p, NULL, 10, &data, &len, NULL), EP_ERR_NOT_FOUND);
}

void vfs_conformance_run(ep_vfs *vfs, const char *root) {
    conf_read_write(vfs, root);
    conf_truncate(vfs, root);
    conf_open_errors(vfs, root);
    conf_rename(vfs, root);
    conf_remove(vfs, root);
    conf_dirs_and_list(vfs, root);
    conf_lock(vfs, root);
    conf_whole_file(vfs, root);
}
