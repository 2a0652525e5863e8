/* ep_aof_writer_rewrite over a vfs that cannot rename over an open file
 * (Windows before 10 1607, wine 8: the Windows vfs says EP_ERR_LOCKED). The
 * rewrite then closes the old AOF and renames again. A wrapper around the
 * memory vfs plays that file system on every platform: it remembers which
 * paths have an open handle and refuses a rename onto one of them, and it
 * can fail the retried rename and the reopen that follows. */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define P "d/shard-0.aof"
#define MAX_OPEN 8

typedef struct busy_vfs {
    ep_vfs self;
    ep_vfs *inner;
    ep_file *file[MAX_OPEN];
    char path[MAX_OPEN][64];
    int refused;          /* renames refused with EP_ERR_LOCKED */
    int target_open_seen; /* a rename happened while its target was open */
    int fail_retry;       /* the rename after a refusal fails with EP_ERR_IO */
    int fail_reopen;      /* opens of P after a failed retry fail */
    int retry_failed;
} busy_vfs;

static busy_vfs *B(ep_vfs *v) { return (busy_vfs *)v->ctx; }

static int open_slot(busy_vfs *b, const char *path) {
    int i;
    for (i = 0; i < MAX_OPEN; i++)
        if (b->file[i] && strcmp(b->path[i], path) == 0) return i;
    return -1;
}

static ep_result b_open(ep_vfs *v, const char *path, unsigned flags, ep_file **out, ep_error *err) {
    busy_vfs *b = B(v);
    int i;
    ep_result r;
    if (b->fail_reopen && b->retry_failed && strcmp(path, P) == 0)
        return ep_error_set(err, EP_ERR_IO, UINT64_MAX, "open %s: injected", path);
    r = b->inner->open(b->inner, path, flags, out, err);
    if (r != EP_OK) return r;
    for (i = 0; i < MAX_OPEN; i++)
        if (!b->file[i]) {
            b->file[i] = *out;
            strncpy(b->path[i], path, sizeof b->path[i] - 1);
            b->path[i][sizeof b->path[i] - 1] = 0;
            break;
        }
    return EP_OK;
}

static ep_result b_close(ep_vfs *v, ep_file *f, ep_error *err) {
    busy_vfs *b = B(v);
    int i;
    for (i = 0; i < MAX_OPEN; i++)
        if (b->file[i] == f) b->file[i] = NULL;
    return b->inner->close(b->inner, f, err);
}

static ep_result b_rename(ep_vfs *v, const char *from, const char *to, ep_error *err) {
    busy_vfs *b = B(v);
    if (open_slot(b, to) >= 0) {
        b->refused++;
        return ep_error_set(err, EP_ERR_LOCKED, UINT64_MAX, "rename %s -> %s: the target is open", from, to);
    }
    if (b->fail_retry && b->refused) {
        b->retry_failed = 1;
        return ep_error_set(err, EP_ERR_IO, UINT64_MAX, "rename %s -> %s: injected", from, to);
    }
    return b->inner->rename(b->inner, from, to, err);
}

/* The other operations go straight to the inner vfs, with its own table
 * (the memory vfs finds its state through vfs->ctx). */
#define FWD(name, params, args) \
    static ep_result b_##name params { return B(v)->inner->name args; }
FWD(read, (ep_vfs * v, ep_file *f, uint64_t off, void *buf, size_t n, size_t *got, ep_error *err),
    (B(v)->inner, f, off, buf, n, got, err))
FWD(write, (ep_vfs * v, ep_file *f, uint64_t off, const void *buf, size_t n, ep_error *err),
    (B(v)->inner, f, off, buf, n, err))
FWD(truncate, (ep_vfs * v, ep_file *f, uint64_t size, ep_error *err), (B(v)->inner, f, size, err))
FWD(size, (ep_vfs * v, ep_file *f, uint64_t *out, ep_error *err), (B(v)->inner, f, out, err))
FWD(sync, (ep_vfs * v, ep_file *f, ep_error *err), (B(v)->inner, f, err))
FWD(sync_dir, (ep_vfs * v, const char *dir, ep_error *err), (B(v)->inner, dir, err))
FWD(remove, (ep_vfs * v, const char *path, ep_error *err), (B(v)->inner, path, err))
FWD(stat, (ep_vfs * v, const char *path, uint64_t *size, ep_error *err), (B(v)->inner, path, size, err))
FWD(lock, (ep_vfs * v, ep_file *f, ep_error *err), (B(v)->inner, f, err))

static void busy_init(busy_vfs *b) {
    memset(b, 0, sizeof *b);
    b->inner = NULL;
    (void)ep_vfs_mem_create(NULL, &b->inner);
    (void)b->inner->mkdir(b->inner, "d", NULL);
    b->self = *b->inner;
    b->self.ctx = b;
    b->self.open = b_open;
    b->self.close = b_close;
    b->self.rename = b_rename;
    b->self.read = b_read;
    b->self.write = b_write;
    b->self.truncate = b_truncate;
    b->self.size = b_size;
    b->self.sync = b_sync;
    b->self.sync_dir = b_sync_dir;
    b->self.remove = b_remove;
    b->self.stat = b_stat;
    b->self.lock = b_lock;
    /* The rest (mkdir, list, preallocate ...) are not used by the AOF writer
     * and reader; they must not be reached with the wrapper's ctx. */
    b->self.mkdir = NULL;
    b->self.list = NULL;
    b->self.preallocate = NULL;
}

static ep_bytes S(const char *s) { return ep_bytes_of(s, strlen(s)); }

static ep_aof_writer *open_writer(busy_vfs *b) {
    ep_aof_writer_config cfg;
    ep_aof_writer *w = NULL;
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = &b->self;
    cfg.fsync = EP_FSYNC_ALWAYS;
    return ep_aof_writer_open(P, &cfg, &w, NULL) == EP_OK ? w : NULL;
}

/* The keys of the SET records in P, joined by ','. */
static ep_result keys_in(busy_vfs *b, char *out, size_t cap) {
    ep_aof_reader_config cfg;
    ep_aof_reader *r = NULL;
    ep_aof_record rec;
    ep_result res;
    size_t n = 0;
    ep_aof_reader_config_init(&cfg);
    cfg.vfs = b->inner;
    if ((res = ep_aof_reader_open(P, &cfg, &r, NULL)) != EP_OK) return res;
    out[0] = 0;
    while ((res = ep_aof_reader_next(r, &rec)) == EP_OK) {
        if (n + rec.key.len + 2 > cap) break;
        if (n) out[n++] = ',';
        memcpy(out + n, rec.key.data, rec.key.len);
        n += rec.key.len;
        out[n] = 0;
    }
    ep_aof_reader_close(r);
    return res;
}

static int tmp_exists(busy_vfs *b) {
    uint64_t sz;
    return b->inner->stat(b->inner, P ".tmp", &sz, NULL) == EP_OK;
}

EPT_CASE(rewrite_closes_the_old_file_and_renames_again) {
    busy_vfs b;
    ep_aof_writer *w;
    char keys[64];
    busy_init(&b);
    EPT_CHECK((w = open_writer(&b)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("old"), S("x"), -1));
    EPT_CHECK_OK(ep_aof_writer_rewrite(w));
    EPT_CHECK_EQ(b.refused, 1); /* the first rename met the open AOF */
    EPT_CHECK_OK(ep_aof_set(w, S("new"), S("y"), -1));
    EPT_CHECK_OK(ep_aof_writer_rewrite(w)); /* again, on the reopened file */
    EPT_CHECK_EQ(b.refused, 2);
    EPT_CHECK_OK(ep_aof_set(w, S("newer"), S("z"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(keys_in(&b, keys, sizeof keys), EP_END);
    EPT_CHECK(strcmp(keys, "newer") == 0);
    EPT_CHECK(!tmp_exists(&b));
    EPT_CHECK(open_slot(&b, P) < 0); /* nothing left open */
    ep_vfs_mem_free(b.inner);
}

EPT_CASE(a_failed_retry_reopens_the_old_file_and_keeps_writing) {
    busy_vfs b;
    ep_aof_writer *w;
    char keys[64];
    busy_init(&b);
    b.fail_retry = 1;
    EPT_CHECK((w = open_writer(&b)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("1"), -1));
    EPT_CHECK_EQ(ep_aof_writer_rewrite(w), EP_ERR_IO);
    EPT_CHECK(strstr(ep_aof_writer_error(w)->message, "injected") != NULL);
    EPT_CHECK(!tmp_exists(&b));
    EPT_CHECK(open_slot(&b, P) >= 0); /* the old AOF is open again */
    EPT_CHECK_OK(ep_aof_set(w, S("b"), S("2"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(keys_in(&b, keys, sizeof keys), EP_END);
    EPT_CHECK(strcmp(keys, "a,b") == 0);
    ep_vfs_mem_free(b.inner);
}

EPT_CASE(a_failed_retry_and_reopen_poison_the_writer) {
    busy_vfs b;
    ep_aof_writer *w;
    char keys[64];
    busy_init(&b);
    b.fail_retry = 1;
    b.fail_reopen = 1;
    EPT_CHECK((w = open_writer(&b)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("1"), -1));
    EPT_CHECK_EQ(ep_aof_writer_rewrite(w), EP_ERR_IO);
    EPT_CHECK_EQ(ep_aof_set(w, S("b"), S("2"), -1), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_aof_writer_close(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(keys_in(&b, keys, sizeof keys), EP_END);
    EPT_CHECK(strcmp(keys, "a") == 0); /* the synced record stays */
    EPT_CHECK(open_slot(&b, P) < 0);
    ep_vfs_mem_free(b.inner);
}

int main(int argc, char **argv) { return ept_run(argc, argv); }
