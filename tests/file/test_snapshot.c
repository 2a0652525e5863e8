/* snapshot files: spec vectors V4-V7 (and E2) both ways, the cases of
 * ember's snapshot.rs, every value type through a file, trailers, and
 * robustness: every cut, every flipped bit. Fault and crash tests live in
 * test_snapshot_crash.c. */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>

#include "support/fault_vfs.h"
#include "support/counting.h"
#include "support/sim_vfs.h"

static const uint8_t V4[] = {0x45, 0x53, 0x4e, 0x50, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
                             0x00, 0x00, 0x6b, 0x00, 0x01, 0x00, 0x00, 0x00, 0x76, 0xff, 0xff, 0xff, 0xff,
                             0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x68, 0x03, 0x01, 0x00, 0x00,
                             0x00, 0x01, 0x00, 0x00, 0x00, 0x66, 0x01, 0x00, 0x00, 0x00, 0x78, 0x88, 0x13,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xc4, 0xb7, 0x31};
static const uint8_t V5[] = {0x45, 0x53, 0x4e, 0x50, 0x02, 0x03, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t V6[] = {0x45, 0x53, 0x4e, 0x50, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
                             0x00, 0x00, 0x00, 0x6b, 0x00, 0x01, 0x00, 0x00, 0x00, 0x76, 0xff, 0xff,
                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x85, 0xc9, 0x69, 0x8b};
static const uint8_t V7[] = {0x45, 0x53, 0x4e, 0x50, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                             0x01, 0x00, 0x00, 0x00, 0x6b, 0x01, 0x00, 0x00, 0x00, 0x76, 0xff,
                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0xae, 0xe5, 0x51};

#define PATH "snap/shard-0.snap"
#define TMP "snap/shard-0.snap.tmp"

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }
static int eq(ep_bytes a, const char *s) { return a.len == strlen(s) && memcmp(a.data, s, a.len) == 0; }

static ep_vfs *mem(void) {
    ep_vfs *v = NULL;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) return NULL;
    if (v->mkdir(v, "snap", NULL) != EP_OK) {
        ep_vfs_mem_free(v);
        return NULL;
    }
    return v;
}

static int exists(ep_vfs *v, const char *path) {
    uint64_t size;
    return v->stat(v, path, &size, NULL) == EP_OK;
}

/* The whole file, or NULL; *len gets its size. Free with free(). */
static uint8_t *slurp(ep_vfs *v, const char *path, size_t *len) {
    uint8_t *data = NULL;
    if (ep_vfs_read_all(v, path, NULL, (size_t)1 << 30, &data, len, NULL) != EP_OK) return NULL;
    return data;
}

static ep_snapshot_writer *begin_cfg(ep_vfs *v, const char *path, uint16_t shard, size_t bufsize) {
    ep_snapshot_writer_config c;
    ep_snapshot_writer *w = NULL;
    ep_snapshot_writer_config_init(&c);
    c.vfs = v;
    if (bufsize) c.buffer_size = bufsize;
    if (ep_snapshot_writer_begin(path, shard, &c, &w, NULL) != EP_OK) return NULL;
    return w;
}

static ep_snapshot_reader *open_cfg(ep_vfs *v, const char *path, int32_t shard, size_t bufsize, ep_result *res) {
    ep_snapshot_reader_config c;
    ep_snapshot_reader *r = NULL;
    ep_snapshot_reader_config_init(&c);
    c.vfs = v;
    if (shard >= 0) {
        c.check_shard = 1;
        c.shard_id = (ep_shard_id)shard;
    }
    if (bufsize) c.buffer_size = bufsize;
    *res = ep_snapshot_reader_open(path, &c, &r, NULL);
    return r;
}

/* Reads every entry into out (each re-encoded as v2 bytes, which is a full
 * equality check); returns how the read ended. */
static ep_result read_all(ep_vfs *v, const char *path, int32_t shard, size_t bufsize, ep_buf *out, uint32_t *n) {
    ep_result res;
    ep_snapshot_reader *r = open_cfg(v, path, shard, bufsize, &res);
    ep_snap_entry e;
    *n = 0;
    if (!r) return res;
    while ((res = ep_snapshot_reader_next(r, &e)) == EP_OK) {
        if (out) ep_snap_entry_encode(out, &e);
        (*n)++;
    }
    ep_snapshot_reader_close(r);
    return res;
}

/* The V4 entries, in V4 order. */
static int write_v4_entries(ep_snapshot_writer *w) {
    ep_bytes f = B("f"), x = B("x");
    return ep_snapshot_writer_add_string(w, B("k"), B("v"), -1) == EP_OK &&
           ep_snapshot_writer_add_hash(w, B("h"), &f, &x, 1, 5000) == EP_OK;
}

EPT_CASE(paths) {
    char p[64];
    EPT_CHECK_OK(ep_snapshot_path("/data", 5, p, sizeof p));
    EPT_CHECK(strcmp(p, "/data/shard-5.snap") == 0);
    EPT_CHECK_OK(ep_snapshot_path("", 65535, p, sizeof p));
    EPT_CHECK(strcmp(p, "shard-65535.snap") == 0);
    EPT_CHECK_EQ(ep_snapshot_path("/data", 5, p, 10), EP_ERR_LIMIT);
    EPT_CHECK_OK(ep_snapshot_tmp_path("/data/shard-5.snap", p, sizeof p));
    EPT_CHECK(strcmp(p, "/data/shard-5.snap.tmp") == 0);
    EPT_CHECK_OK(ep_snapshot_tmp_path("a.b/file", p, sizeof p));
    EPT_CHECK(strcmp(p, "a.b/file.snap.tmp") == 0);
    EPT_CHECK_OK(ep_snapshot_tmp_path("dir/x.bin", p, sizeof p));
    EPT_CHECK(strcmp(p, "dir/x.snap.tmp") == 0);
    EPT_CHECK_OK(ep_snapshot_tmp_path("dir/.hidden", p, sizeof p));
    EPT_CHECK(strcmp(p, "dir/.hidden.snap.tmp") == 0);
    EPT_CHECK_EQ(ep_snapshot_tmp_path("dir/x.snap", p, 10), EP_ERR_LIMIT);
}

EPT_CASE(v4_v5_v6_written_byte_exact) {
    ep_vfs *v = mem();
    ep_snapshot_writer *w;
    uint8_t *d;
    size_t n;
    EPT_CHECK(v);
    w = begin_cfg(v, PATH, 0, 0);
    EPT_CHECK(w && write_v4_entries(w));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    d = slurp(v, PATH, &n);
    EPT_CHECK(d && n == sizeof V4 && memcmp(d, V4, n) == 0);
    free(d);
    EPT_CHECK(!exists(v, TMP));

    w = begin_cfg(v, "snap/shard-3.snap", 3, 0);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    d = slurp(v, "snap/shard-3.snap", &n);
    EPT_CHECK(d && n == sizeof V5 && memcmp(d, V5, n) == 0);
    free(d);

    w = begin_cfg(v, PATH, 0, 1); /* a one-byte buffer: every entry its own write */
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("k"), B("v"), -1));
    {
        uint32_t count = 0;
        ep_snapshot_writer_count(w, &count);
        EPT_CHECK_EQ(count, 1);
    }
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    d = slurp(v, PATH, &n);
    EPT_CHECK(d && n == sizeof V6 && memcmp(d, V6, n) == 0);
    free(d);
    ep_vfs_mem_free(v);
}

EPT_CASE(v4_v5_v6_v7_read) {
    ep_vfs *v = mem();
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_snapshot_info info;
    ep_result res;
    ep_items_iter it;
    ep_item item;
    EPT_CHECK(v);
    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/v4", V4, sizeof V4, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/v5", V5, sizeof V5, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/v6", V6, sizeof V6, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/v7", V7, sizeof V7, NULL));

    r = open_cfg(v, "snap/v4", 0, 0, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "k") && e.type == EP_TYPE_STRING && eq(e.value, "v") && e.expire_ms == -1);
    ep_snapshot_reader_info(r, &info);
    EPT_CHECK_EQ(info.entry_offset, 11);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "h") && e.type == EP_TYPE_HASH && e.expire_ms == 5000 && e.items.count == 1);
    ep_items_iter_init(&it, &e.items);
    EPT_CHECK(ep_items_next(&it, &item) && eq(item.a, "f") && eq(item.b, "x"));
    ep_snapshot_reader_info(r, &info);
    EPT_CHECK_EQ(info.entry_offset, 30);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END); /* repeats */
    ep_snapshot_reader_info(r, &info);
    EPT_CHECK(info.version == 2 && !info.encrypted && info.shard_id == 0 && info.entry_count == 2);
    EPT_CHECK(info.footer_offset == 58 && info.trailer_len == 0 && info.file_size == sizeof V4);
    ep_snapshot_reader_close(r);

    r = open_cfg(v, "snap/v5", 3, 0, &res);
    EPT_CHECK(r);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    ep_snapshot_reader_close(r);

    r = open_cfg(v, "snap/v7", 0, 0, &res);
    EPT_CHECK(r);
    ep_snapshot_reader_info(r, &info);
    EPT_CHECK_EQ(info.version, 1);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "k") && e.type == EP_TYPE_STRING && eq(e.value, "v") && e.expire_ms == -1);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    ep_snapshot_reader_close(r);

    /* V6 recovered as shard 1: mismatch */
    r = open_cfg(v, "snap/v6", 1, 0, &res);
    EPT_CHECK(!r);
    EPT_CHECK_EQ(res, EP_ERR_SHARD_MISMATCH);
    r = open_cfg(v, "snap/v6", 0, 0, &res);
    EPT_CHECK(r);
    ep_snapshot_reader_close(r);
    ep_vfs_mem_free(v);
}

EPT_CASE(header_errors) {
    static const struct {
        const char *bytes;
        size_t len;
        ep_result want;
    } cases[] = {
        {"", 0, EP_ERR_EOF},
        {"ESN", 3, EP_ERR_EOF},
        {"ESNP", 4, EP_ERR_EOF},
        {"EAOF\x02", 5, EP_ERR_BAD_MAGIC},
        {"NOT_A_SNAPSHOT", 14, EP_ERR_BAD_MAGIC},
        {"ESNP\x00\0\0\0\0\0\0", 11, EP_ERR_BAD_VERSION},
        {"ESNP\x04\0\0\0\0\0\0", 11, EP_ERR_BAD_VERSION},
        {"ESNP\x63\0\0\0\0\0\0", 11, EP_ERR_BAD_VERSION},
        {"ESNP\x03", 5, EP_ERR_ENCRYPTION_REQUIRED}, /* before the shard is read, as ember */
        {"ESNP\x02\0\0\0\0\0", 10, EP_ERR_EOF},
    };
    ep_vfs *v = mem();
    size_t i;
    EPT_CHECK(v);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ep_result res;
        ep_snapshot_reader *r;
        EPT_CHECK_OK(ep_vfs_write_all(v, "snap/x", cases[i].bytes, cases[i].len, NULL));
        r = open_cfg(v, "snap/x", -1, 0, &res);
        EPT_CHECK(!r);
        EPT_CHECK_EQ(res, cases[i].want);
    }
    {
        ep_result res;
        EPT_CHECK(!open_cfg(v, "snap/missing", -1, 0, &res));
        EPT_CHECK_EQ(res, EP_ERR_NOT_FOUND);
    }
    ep_vfs_mem_free(v);
}

/* snapshot.rs: 3 strings incl. TTL and an empty value, shard 7. */
EPT_CASE(rs_three_strings_shard_7_and_flipped_last_byte) {
    ep_vfs *v = mem();
    ep_snapshot_writer *w;
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_result res;
    uint8_t *d;
    size_t n;
    EPT_CHECK(v);
    w = begin_cfg(v, "snap/shard-7.snap", 7, 0);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("a"), B("1"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("b"), B("2"), 5000));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("c"), B(""), 42000));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    r = open_cfg(v, "snap/shard-7.snap", 7, 0, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "a") && eq(e.value, "1") && e.expire_ms == -1);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "b") && eq(e.value, "2") && e.expire_ms == 5000);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "c") && e.value.len == 0 && e.expire_ms == 42000);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    ep_snapshot_reader_close(r);

    d = slurp(v, "snap/shard-7.snap", &n);
    EPT_CHECK(d);
    d[n - 1] ^= 0xff;
    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/shard-7.snap", d, n, NULL));
    free(d);
    r = open_cfg(v, "snap/shard-7.snap", 7, 0, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_ERR_CHECKSUM);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->offset, n - 4);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_ERR_CHECKSUM);
    {
        ep_bytes t;
        EPT_CHECK_EQ(ep_snapshot_reader_trailer(r, &t), EP_ERR_STATE);
    }
    ep_snapshot_reader_close(r);
    ep_vfs_mem_free(v);
}

/* snapshot.rs: a finished snapshot, then an unfinished writer dropped. */
EPT_CASE(rs_dropped_writer_keeps_original_and_removes_tmp) {
    ep_vfs *v = mem();
    ep_snapshot_writer *w;
    uint8_t *d;
    size_t n;
    EPT_CHECK(v);
    w = begin_cfg(v, PATH, 0, 0);
    EPT_CHECK(w && write_v4_entries(w));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    w = begin_cfg(v, PATH, 0, 16);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("new"), B("0123456789abcdef0123456789"), -1));
    EPT_CHECK(exists(v, TMP));
    EPT_CHECK_OK(ep_snapshot_writer_abort(w));
    EPT_CHECK(!exists(v, TMP));
    d = slurp(v, PATH, &n);
    EPT_CHECK(d && n == sizeof V4 && memcmp(d, V4, n) == 0);
    free(d);
    /* abort reports the removal */
    w = begin_cfg(v, PATH, 0, 0);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_abort(w));
    EPT_CHECK(!exists(v, TMP));
    ep_vfs_mem_free(v);
}

/* snapshot.rs: 2-entry file with the last 20 bytes cut. */
EPT_CASE(rs_cut_20_bytes_second_entry_eof) {
    ep_vfs *v = mem();
    ep_snapshot_writer *w;
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_snapshot_info info;
    ep_result res;
    uint8_t *d;
    size_t n;
    EPT_CHECK(v);
    w = begin_cfg(v, PATH, 0, 0);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("first"), B("value one"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("second"), B("value two is longer"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    d = slurp(v, PATH, &n);
    EPT_CHECK(d);
    EPT_CHECK_OK(ep_vfs_write_all(v, PATH, d, n - 20, NULL));
    free(d);
    r = open_cfg(v, PATH, 0, 0, &res);
    EPT_CHECK(r);
    ep_snapshot_reader_info(r, &info);
    EPT_CHECK_EQ(info.entry_count, 2);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "first"));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_ERR_EOF);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->index, 1);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->offset, 11 + 4 + 5 + 1 + 4 + 9 + 8);
    ep_snapshot_reader_close(r);
    ep_vfs_mem_free(v);
}

/* One entry of every type, with edge values; written with writer buffer wb,
 * read with reader buffer rb, compared by re-encoding. */
static ep_buf g_expect;
static uint32_t g_expect_n;

static int write_every_type(ep_snapshot_writer *w) {
    static uint8_t big[100000];
    ep_bytes items[3], vals[3], names[2];
    double scores[3];
    float vec[6] = {1.0f, -2.5f, 0.0f, -0.0f, 1e-45f, 3.4e38f};
    uint64_t nan = 0x7ff8000000000001ull;
    size_t i;
    int ok = 1;
    for (i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 1);
    items[0] = B("");
    items[1] = ep_bytes_of("\x00\xff", 2);
    items[2] = ep_bytes_of(big, 1000);
    vals[0] = B("v0");
    vals[1] = ep_bytes_of("\xff\xfe", 2);
    vals[2] = B("");
    memcpy(&scores[0], &nan, 8);
    scores[1] = -0.0;
    scores[2] = 1.0 / 0.0;
    names[0] = B("e1");
    names[1] = B("\xc3\xa9");
    ok &= ep_snapshot_writer_add_string(w, B(""), B(""), -1) == EP_OK;
    ok &= ep_snapshot_writer_add_string(w, B("big"), ep_bytes_of(big, sizeof big), INT64_MAX) == EP_OK;
    ok &= ep_snapshot_writer_add_string(w, B("bin"), ep_bytes_of("\x00\xff\x00", 3), 0) == EP_OK;
    ok &= ep_snapshot_writer_add_string(w, B("min"), B("x"), INT64_MIN) == EP_OK;
    ok &= ep_snapshot_writer_add_list(w, B("l0"), NULL, 0, -1) == EP_OK;
    ok &= ep_snapshot_writer_add_list(w, B("l3"), items, 3, 1) == EP_OK;
    ok &= ep_snapshot_writer_add_zset(w, B("z"), scores, vals, 1, -1) == EP_OK;
    ok &= ep_snapshot_writer_add_zset(w, B("z3"), scores, names, 2, -1) == EP_OK;
    ok &= ep_snapshot_writer_add_hash(w, B("h"), names, vals, 2, 77) == EP_OK;
    ok &= ep_snapshot_writer_add_hash(w, B("h0"), NULL, NULL, 0, -1) == EP_OK;
    ok &= ep_snapshot_writer_add_set(w, B("s"), names, 2, -1) == EP_OK;
    ok &= ep_snapshot_writer_add_set(w, B("s1"), items, 1, -1) == EP_OK;
    ok &= ep_snapshot_writer_add_proto(w, B("p"), B("pkg.Msg"), ep_bytes_of("\x08\x96\x01", 3), -1) == EP_OK;
    ok &= ep_snapshot_writer_add_vector(w, B("v"), 1, 0, 16, 64, 3, names, vec, 2, -1) == EP_OK;
    ok &= ep_snapshot_writer_add_vector(w, B("v0"), 2, 2, 0, 0, 128, NULL, NULL, 0, 5000) == EP_OK;
    return ok;
}

/* The expected entries, encoded directly with the codec. */
static int expect_every_type(void) {
    ep_snapshot_writer *w;
    ep_vfs *v = mem();
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_result res;
    int ok;
    if (!v) return 0;
    w = begin_cfg(v, PATH, 0, 0);
    ok = w && write_every_type(w) && ep_snapshot_writer_commit(w, NULL) == EP_OK;
    ep_buf_init(&g_expect, NULL);
    g_expect_n = 0;
    r = ok ? open_cfg(v, PATH, 0, 0, &res) : NULL;
    while (r && ep_snapshot_reader_next(r, &e) == EP_OK) {
        ep_snap_entry_encode(&g_expect, &e);
        g_expect_n++;
    }
    ok = ok && r && ep_snapshot_reader_next(r, &e) == EP_END && g_expect_n == 15;
    ep_snapshot_reader_close(r);
    ep_vfs_mem_free(v);
    return ok;
}

EPT_CASE(every_type_round_trips_across_buffer_sizes) {
    static const size_t sizes[] = {0, 1, 7, 64, 4096};
    size_t wi, ri;
    ep_snap_entry e;
    size_t off = 0, used;
    uint32_t k = 0;
    EPT_CHECK(expect_every_type());
    /* spot-check what the codec gave back against the inputs */
    while (off < g_expect.len) {
        EPT_CHECK_OK(ep_snap_entry_decode(g_expect.data + off, g_expect.len - off, 2, &e, &used));
        if (k == 1) EPT_CHECK(e.value.len == 100000 && e.expire_ms == INT64_MAX);
        if (k == 3) EPT_CHECK(e.expire_ms == INT64_MIN);
        if (k == 13) EPT_CHECK(e.metric == 1 && e.dim == 3 && e.items.count == 2 && e.connectivity == 16);
        if (k == 14) EPT_CHECK(e.metric == 2 && e.quantization == 2 && e.dim == 128 && e.items.count == 0);
        off += used;
        k++;
    }
    for (wi = 0; wi < 5; wi++) {
        for (ri = 0; ri < 5; ri++) {
            ep_vfs *v = mem();
            ep_snapshot_writer *w;
            ep_buf got;
            uint32_t n;
            EPT_CHECK(v);
            w = begin_cfg(v, PATH, 9, sizes[wi]);
            EPT_CHECK(w && write_every_type(w));
            EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
            ep_buf_init(&got, NULL);
            EPT_CHECK_EQ(read_all(v, PATH, 9, sizes[ri], &got, &n), EP_END);
            EPT_CHECK_EQ(n, g_expect_n);
            EPT_CHECK(got.len == g_expect.len && memcmp(got.data, g_expect.data, got.len) == 0);
            ep_buf_free(&got);
            ep_vfs_mem_free(v);
        }
    }
    ep_buf_free(&g_expect);
}

EPT_CASE(writer_refusals_keep_it_usable_and_finish_is_final) {
    ep_vfs *v = mem();
    ep_snapshot_writer *w;
    ep_snap_entry e;
    ep_bytes name = B("n");
    float f = 1;
    uint32_t n;
    EPT_CHECK(v);
    w = begin_cfg(v, PATH, 0, 0);
    EPT_CHECK(w);
    EPT_CHECK_EQ(ep_snapshot_writer_add_vector(w, B("v"), 3, 0, 0, 0, 1, &name, &f, 1, -1), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_snapshot_writer_error(w)->code, EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_snapshot_writer_add_list(w, B("l"), NULL, 2, -1), EP_ERR_INVALID_ARG);
    memset(&e, 0, sizeof e);
    e.type = 9;
    EPT_CHECK_EQ(ep_snapshot_writer_add(w, &e), EP_ERR_INVALID_ARG);
    {
        uint32_t count = 1;
        ep_snapshot_writer_count(w, &count);
        EPT_CHECK_EQ(count, 0);
    }
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("k"), B("v"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL)); /* the refused entries left it usable */
    EPT_CHECK_EQ(read_all(v, PATH, 0, 0, NULL, &n), EP_END);
    EPT_CHECK_EQ(n, 1);
    ep_vfs_mem_free(v);
}

EPT_CASE(trailer_round_trip_and_garbage_after_footer) {
    ep_vfs *v = mem();
    ep_snapshot_writer_config c;
    ep_snapshot_writer *w = NULL;
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_snapshot_info info;
    ep_bytes t;
    ep_result res;
    uint8_t *big, *d;
    size_t n;
    EPT_CHECK(v);
    ep_snapshot_writer_config_init(&c);
    c.vfs = v;
    c.trailer = B("EPTR covered-prefix 1234");
    EPT_CHECK_OK(ep_snapshot_writer_begin(PATH, 0, &c, &w, NULL));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("k"), B("v"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    d = slurp(v, PATH, &n);
    EPT_CHECK(d && n == sizeof V6 + 24 && memcmp(d, V6, sizeof V6) == 0); /* ember sees V6 + garbage */
    free(d);
    r = open_cfg(v, PATH, 0, 0, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    EPT_CHECK_OK(ep_snapshot_reader_trailer(r, &t));
    EPT_CHECK(eq(t, "EPTR covered-prefix 1234"));
    ep_snapshot_reader_info(r, &info);
    EPT_CHECK_EQ(info.trailer_len, 24);
    ep_snapshot_reader_close(r);

    /* V6 plus arbitrary garbage still loads; a trailer over the cap is refused but the snapshot loads */
    big = (uint8_t *)calloc(1, sizeof V6 + 70000);
    EPT_CHECK(big);
    memcpy(big, V6, sizeof V6);
    memset(big + sizeof V6, 0xAB, 70000);
    EPT_CHECK_OK(ep_vfs_write_all(v, PATH, big, sizeof V6 + 70000, NULL));
    free(big);
    r = open_cfg(v, PATH, 0, 0, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "k"));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    EPT_CHECK_EQ(ep_snapshot_reader_trailer(r, &t), EP_ERR_LIMIT);
    EPT_CHECK(t.len == 0);
    ep_snapshot_reader_close(r);
    ep_vfs_mem_free(v);
}

/* Writes the every-type snapshot plus a few small ones; returns the file. */
static uint8_t *small_snapshot(ep_vfs *v, size_t *n) {
    ep_snapshot_writer *w = begin_cfg(v, PATH, 4, 0);
    ep_bytes items[2] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"bb", 2}};
    double sc[2] = {1.5, -2};
    float vec[4] = {1, 2, 3, 4};
    int ok = w != NULL;
    ok = ok && ep_snapshot_writer_add_string(w, B("k1"), B("value-1"), -1) == EP_OK;
    ok = ok && ep_snapshot_writer_add_list(w, B("l"), items, 2, 100) == EP_OK;
    ok = ok && ep_snapshot_writer_add_zset(w, B("z"), sc, items, 2, -1) == EP_OK;
    ok = ok && ep_snapshot_writer_add_hash(w, B("h"), items, items, 2, -1) == EP_OK;
    ok = ok && ep_snapshot_writer_add_set(w, B("s"), items, 2, -1) == EP_OK;
    ok = ok && ep_snapshot_writer_add_proto(w, B("p"), B("T"), B("d"), -1) == EP_OK;
    ok = ok && ep_snapshot_writer_add_vector(w, B("v"), 0, 1, 8, 9, 2, items, vec, 2, -1) == EP_OK;
    ok = ok && ep_snapshot_writer_commit(w, NULL) == EP_OK;
    return ok ? slurp(v, PATH, n) : NULL;
}

/* Every prefix of a snapshot is an error, and the entries it gave before
 * the error are a prefix of the real ones. */
EPT_CASE(cut_at_every_offset_is_an_error) {
    ep_vfs *v = mem();
    uint8_t *d;
    size_t n, cut;
    ep_buf want, got;
    uint32_t wn, gn;
    EPT_CHECK(v);
    d = small_snapshot(v, &n);
    EPT_CHECK(d);
    ep_buf_init(&want, NULL);
    ep_buf_init(&got, NULL);
    EPT_CHECK_EQ(read_all(v, PATH, 4, 0, &want, &wn), EP_END);
    EPT_CHECK_EQ(wn, 7);
    for (cut = 0; cut < n; cut++) {
        ep_result res;
        EPT_CHECK_OK(ep_vfs_write_all(v, "snap/cut", d, cut, NULL));
        ep_buf_reset(&got);
        res = read_all(v, "snap/cut", 4, cut % 3 ? 16 : 0, &got, &gn);
        if (res == EP_OK || res == EP_END) {
            fprintf(stderr, "cut %lu read cleanly\n", (unsigned long)cut);
            EPT_CHECK(0);
        }
        EPT_CHECK_EQ(res, EP_ERR_EOF);
        EPT_CHECK(gn < wn || cut >= n - 4);
        EPT_CHECK(got.len <= want.len && (got.len == 0 || memcmp(got.data, want.data, got.len) == 0));
    }
    ep_buf_free(&want);
    ep_buf_free(&got);
    free(d);
    ep_vfs_mem_free(v);
}

/* Every single-bit flip: an error, or exactly the same entries. */
EPT_CASE(flipped_bit_anywhere_is_an_error_or_harmless) {
    ep_vfs *v = mem();
    uint8_t *d;
    size_t n, bit;
    ep_buf want, got;
    uint32_t wn, gn;
    long errors = 0, same = 0;
    EPT_CHECK(v);
    d = small_snapshot(v, &n);
    EPT_CHECK(d);
    ep_buf_init(&want, NULL);
    ep_buf_init(&got, NULL);
    EPT_CHECK_EQ(read_all(v, PATH, 4, 0, &want, &wn), EP_END);
    for (bit = 0; bit < n * 8; bit++) {
        ep_result res;
        d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        EPT_CHECK_OK(ep_vfs_write_all(v, "snap/flip", d, n, NULL));
        d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ep_buf_reset(&got);
        res = read_all(v, "snap/flip", 4, 0, &got, &gn);
        if (res == EP_END) {
            EPT_CHECK(gn == wn && got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
            same++;
        } else {
            EPT_CHECK(res < 0);
            errors++;
        }
    }
    EPT_CHECK(errors > 0);
    printf("    %ld flips: %ld errors, %ld harmless\n", (long)(n * 8), errors, same);
    ep_buf_free(&want);
    ep_buf_free(&got);
    free(d);
    ep_vfs_mem_free(v);
}

EPT_CASE(errors_carry_entry_index_and_offset) {
    /* entry 2 of 2 has a key that is not UTF-8 (valid CRC): the error names it */
    ep_vfs *v = mem();
    ep_snapshot_writer *w;
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_result res;
    EPT_CHECK(v);
    w = begin_cfg(v, PATH, 0, 0);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("ok"), B("1"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, ep_bytes_of("\xff", 1), B("2"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    r = open_cfg(v, PATH, 0, 0, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_ERR_UTF8);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->index, 1);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->offset, 11 + 4 + 2 + 1 + 5 + 8);
    EPT_CHECK(strstr(ep_snapshot_reader_error(r)->message, "entry 1") != NULL);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_ERR_UTF8);
    ep_snapshot_reader_close(r);
    ep_vfs_mem_free(v);
}

/* A huge declared length in a tiny file: refused without a big allocation. */
static size_t g_max_alloc;
static void *count_malloc(size_t n, void *u) {
    (void)u;
    if (n > g_max_alloc) g_max_alloc = n;
    return malloc(n);
}
static void *count_realloc(void *p, size_t n, void *u) {
    (void)u;
    if (n > g_max_alloc) g_max_alloc = n;
    return realloc(p, n);
}
static void count_free(void *p, void *u) {
    (void)u;
    free(p);
}

EPT_CASE(hostile_lengths_do_not_allocate) {
    static const uint8_t f[] = {'E', 'S', 'N', 'P', 2, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x1f, 'k', 'e', 'y'};
    ep_allocator a = {NULL, count_malloc, count_realloc, count_free};
    ep_vfs *v = mem();
    ep_snapshot_reader_config c;
    ep_snapshot_reader *r = NULL;
    ep_snap_entry e;
    EPT_CHECK(v);
    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/h", f, sizeof f, NULL));
    ep_snapshot_reader_config_init(&c);
    c.vfs = v;
    c.alloc = &a;
    g_max_alloc = 0;
    EPT_CHECK_OK(ep_snapshot_reader_open("snap/h", &c, &r, NULL));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_ERR_EOF);
    ep_snapshot_reader_close(r);
    EPT_CHECK(g_max_alloc < 4096);
    ep_vfs_mem_free(v);
}

EPT_CASE(os_vfs_snapshot_in_a_directory) {
    const char *dir = ept_tmpdir();
    char path[512], tmp[512];
    ep_snapshot_writer *w = NULL;
    ep_snapshot_reader *r = NULL;
    ep_snap_entry e;
    ep_vfs os;
    uint64_t size;
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    EPT_CHECK_OK(ep_snapshot_path(dir, 2, path, sizeof path));
    EPT_CHECK_OK(ep_snapshot_tmp_path(path, tmp, sizeof tmp));
    EPT_CHECK_OK(ep_snapshot_writer_begin(path, 2, NULL, &w, NULL));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("k"), B("v"), -1));
    EPT_CHECK_OK(os.stat(&os, tmp, &size, NULL));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    EPT_CHECK_EQ(os.stat(&os, tmp, &size, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_OK(ep_snapshot_reader_open(path, NULL, &r, NULL));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "k") && eq(e.value, "v"));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    ep_snapshot_reader_close(r);
    /* begin in a directory that does not exist: an error, no handle */
    {
        ep_error err;
        char bad[600];
        snprintf(bad, sizeof bad, "%s/no/such/dir/shard-1.snap", dir);
        EPT_CHECK(ep_snapshot_writer_begin(bad, 1, NULL, &w, &err) != EP_OK);
        EPT_CHECK(w == NULL);
        EPT_CHECK(err.code != EP_OK && err.message[0]);
    }
}

/* ---- faults: fail the Nth vfs operation of a snapshot write ------------ */

static long g_live;
static void *live_malloc(size_t n, void *u) {
    void *p = malloc(n);
    (void)u;
    if (p) g_live++;
    return p;
}
static void *live_realloc(void *p, size_t n, void *u) {
    void *q = realloc(p, n);
    (void)u;
    if (q && !p) g_live++;
    return q;
}
static void live_free(void *p, void *u) {
    (void)u;
    if (p) g_live--;
    free(p);
}

/* begin, 40 entries through a small buffer (several writes), finish, free.
 * Returns the first failure (or EP_OK); *abort_res gets abort's result. */
static ep_result fault_workload(ep_vfs *fv, const ep_allocator *a, ep_result *abort_res) {
    ep_snapshot_writer_config c;
    ep_snapshot_writer *w = NULL;
    ep_result res;
    int i;
    char key[16];
    ep_snapshot_writer_config_init(&c);
    c.vfs = fv;
    c.alloc = a;
    c.buffer_size = 200;
    c.trailer = B("trailer");
    *abort_res = EP_OK;
    res = ep_snapshot_writer_begin(PATH, 0, &c, &w, NULL);
    if (res) return res;
    for (i = 0; i < 40 && !res; i++) {
        snprintf(key, sizeof key, "key%d", i);
        res = ep_snapshot_writer_add_string(w, B(key), B("some value bytes"), i);
    }
    if (!res) return ep_snapshot_writer_commit(w, NULL);
    *abort_res = ep_snapshot_writer_abort(w);
    return res;
}

static int is_old(ep_vfs *v) {
    size_t n;
    uint8_t *d = slurp(v, PATH, &n);
    int ok = d && n == sizeof V4 && memcmp(d, V4, n) == 0;
    free(d);
    return ok;
}

static int is_new(ep_vfs *v) {
    uint32_t n;
    return read_all(v, PATH, 0, 0, NULL, &n) == EP_END && n == 40;
}

EPT_CASE(fault_at_every_operation_keeps_old_or_new_snapshot) {
    ep_allocator a = {NULL, live_malloc, live_realloc, live_free};
    static const size_t partial[] = {0, FAULT_PARTIAL_HALF};
    ep_vfs *v = mem(), *fv = NULL;
    ep_result ar;
    uint64_t ops, nth;
    int sticky, pi;
    long runs = 0, failures = 0;
    EPT_CHECK(v);
    EPT_CHECK_OK(fault_vfs_create(v, &fv));
    EPT_CHECK_OK(ep_vfs_write_all(v, PATH, V4, sizeof V4, NULL));
    fault_vfs_reset_count(fv);
    EPT_CHECK_OK(fault_workload(fv, &a, &ar));
    ops = fault_vfs_count(fv, FAULT_ALL);
    EPT_CHECK(ops > 8);
    for (sticky = 0; sticky < 2; sticky++) {
        for (pi = 0; pi < 2; pi++) {
            for (nth = 1; nth <= ops; nth++) {
                ep_result res;
                EPT_CHECK_OK(ep_vfs_write_all(v, PATH, V4, sizeof V4, NULL));
                (void)v->remove(v, TMP, NULL);
                g_live = 0;
                fault_vfs_set_sticky(fv, sticky);
                fault_vfs_set_partial(fv, partial[pi]);
                fault_vfs_arm(fv, FAULT_ALL, nth, EP_ERR_IO);
                res = fault_workload(fv, &a, &ar);
                fault_vfs_disarm(fv);
                runs++;
                EPT_CHECK_EQ(g_live, 0); /* nothing leaked on any path */
                if (res == EP_OK) {
                    /* the fault hit something that does not matter (e.g. the close in abort) */
                    EPT_CHECK(is_new(v));
                } else {
                    failures++;
                    EPT_CHECK(is_old(v) || is_new(v));
                }
                /* the tmp file is gone, or abort said it could not remove it, or a failed
                 * commit's removal failed too (sticky faults: every later op fails) */
                EPT_CHECK(!exists(v, TMP) || ar != EP_OK || (res != EP_OK && sticky));
            }
        }
    }
    printf("    %ld fault runs over %lu operations, %ld reported failures\n", runs, (unsigned long)ops, failures);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(v);
}

EPT_CASE(fault_in_directory_sync_is_reported) {
    ep_vfs *v = mem(), *fv = NULL;
    ep_snapshot_writer *w = NULL;
    ep_snapshot_writer_config c;
    EPT_CHECK(v);
    EPT_CHECK_OK(fault_vfs_create(v, &fv));
    ep_snapshot_writer_config_init(&c);
    c.vfs = fv;
    EPT_CHECK_OK(ep_snapshot_writer_begin(PATH, 0, &c, &w, NULL));
    EPT_CHECK(write_v4_entries(w));
    fault_vfs_arm(fv, FAULT_SYNC_DIR, 1, EP_ERR_IO);
    {
        ep_error err;
        EPT_CHECK_EQ(ep_snapshot_writer_commit(w, &err), EP_ERR_IO);
        EPT_CHECK_EQ(err.code, EP_ERR_IO);
        EPT_CHECK(strstr(err.message, "directory") != NULL);
    }
    fault_vfs_disarm(fv);
    EPT_CHECK(is_old(v)); /* V4 is also the new content: renamed into place */
    EPT_CHECK(!exists(v, TMP));
    /* a failed file sync fails the writer for good */
    EPT_CHECK_OK(ep_snapshot_writer_begin(PATH, 0, &c, &w, NULL));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("x"), B("y"), -1));
    fault_vfs_arm(fv, FAULT_SYNC, 1, EP_ERR_IO);
    EPT_CHECK_EQ(ep_snapshot_writer_commit(w, NULL), EP_ERR_IO);
    fault_vfs_disarm(fv);
    /* a failed write fails the writer: later adds and the commit repeat it */
    c.buffer_size = 1; /* every add writes */
    EPT_CHECK_OK(ep_snapshot_writer_begin(PATH, 0, &c, &w, NULL));
    fault_vfs_arm(fv, FAULT_WRITE, 1, EP_ERR_IO);
    EPT_CHECK_EQ(ep_snapshot_writer_add_string(w, B("x"), B("y"), -1), EP_ERR_IO);
    fault_vfs_disarm(fv);
    EPT_CHECK_EQ(ep_snapshot_writer_add_string(w, B("x"), B("y"), -1), EP_ERR_IO);
    {
        ep_error err;
        EPT_CHECK_EQ(ep_snapshot_writer_commit(w, &err), EP_ERR_IO);
        EPT_CHECK_EQ(err.code, EP_ERR_IO);
    }
    EPT_CHECK(is_old(v) && !exists(v, TMP));
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(v);
}

/* Reading under faults: every failure is an error, never a wrong entry. */
EPT_CASE(fault_while_reading_is_an_error) {
    ep_vfs *v = mem(), *fv = NULL;
    uint8_t *d;
    size_t n;
    uint64_t ops, nth;
    ep_buf want, got;
    uint32_t wn, gn;
    EPT_CHECK(v);
    d = small_snapshot(v, &n);
    EPT_CHECK(d);
    free(d);
    EPT_CHECK_OK(fault_vfs_create(v, &fv));
    ep_buf_init(&want, NULL);
    ep_buf_init(&got, NULL);
    fault_vfs_reset_count(fv);
    EPT_CHECK_EQ(read_all(fv, PATH, 4, 16, &want, &wn), EP_END);
    ops = fault_vfs_count(fv, FAULT_ALL);
    for (nth = 1; nth <= ops; nth++) {
        ep_result res;
        fault_vfs_arm(fv, FAULT_ALL, nth, EP_ERR_IO);
        ep_buf_reset(&got);
        res = read_all(fv, PATH, 4, 16, &got, &gn);
        fault_vfs_disarm(fv);
        EPT_CHECK(res == EP_ERR_IO || (res == EP_END && gn == wn));
        EPT_CHECK(got.len <= want.len && (got.len == 0 || memcmp(got.data, want.data, got.len) == 0));
    }
    ep_buf_free(&want);
    ep_buf_free(&got);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(v);
}

/* ---- encryption (version 3) -------------------------------------------- */

static const uint8_t E2[] = {
    0x45, 0x53, 0x4e, 0x50, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x23, 0x00, 0x00, 0x00, 0xad, 0xbc, 0x2d, 0xdd, 0xce, 0x21, 0xfa,
    0xf2, 0xe2, 0x4d, 0xb2, 0x54, 0xc1, 0x78, 0xa9, 0x35, 0x7d, 0xf1, 0x8c, 0x8a, 0xa4, 0x39, 0x3a, 0x32,
    0xde, 0x86, 0xc1, 0xc6, 0x30, 0x1f, 0xc5, 0x9d, 0xba, 0xd3, 0x42, 0xef, 0xad, 0xa4, 0xe0};

static ep_key *make_key(uint8_t byte) {
    uint8_t k[EP_KEY_SIZE];
    ep_key *key = NULL;
    memset(k, byte, sizeof k);
    if (ep_key_create(k, NULL, &key) != EP_OK) return NULL;
    return key;
}

/* Nonces 0c 0d ... 17, then counting on from there (distinct per entry). */
static ep_result counting_nonce(void *user, uint8_t nonce[EP_NONCE_SIZE]) {
    uint8_t *next = (uint8_t *)user;
    int i;
    for (i = 0; i < EP_NONCE_SIZE; i++) nonce[i] = (uint8_t)(*next + i);
    *next = (uint8_t)(*next + EP_NONCE_SIZE);
    return EP_OK;
}

static ep_snapshot_writer *begin_enc(ep_vfs *v, const char *path, uint16_t shard, const ep_key *key, uint8_t *nonce) {
    ep_snapshot_writer_config c;
    ep_snapshot_writer *w = NULL;
    ep_snapshot_writer_config_init(&c);
    c.vfs = v;
    c.key = key;
    if (nonce) {
        c.nonce_fn = counting_nonce;
        c.nonce_user = nonce;
    }
    if (ep_snapshot_writer_begin(path, shard, &c, &w, NULL) != EP_OK) return NULL;
    return w;
}

static ep_snapshot_reader *open_enc(ep_vfs *v, const char *path, const ep_key *key, ep_result *res) {
    ep_snapshot_reader_config c;
    ep_snapshot_reader *r = NULL;
    ep_snapshot_reader_config_init(&c);
    c.vfs = v;
    c.key = key;
    *res = ep_snapshot_reader_open(path, &c, &r, NULL);
    return r;
}

EPT_CASE(e2_written_and_read_byte_exact) {
    ep_vfs *v = mem();
    ep_key *key = make_key(0x42);
    ep_snapshot_writer *w;
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_snapshot_info info;
    ep_result res;
    uint8_t nonce = 0x0c, *d;
    size_t n;
    EPT_CHECK(v && key);
    w = begin_enc(v, PATH, 0, key, &nonce);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("k"), B("v"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    d = slurp(v, PATH, &n);
    EPT_CHECK(d && n == sizeof E2 && memcmp(d, E2, n) == 0);
    free(d);

    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/e2", E2, sizeof E2, NULL));
    r = open_enc(v, "snap/e2", key, &res);
    EPT_CHECK(r);
    ep_snapshot_reader_info(r, &info);
    EPT_CHECK(info.version == 3 && info.encrypted && info.entry_count == 1);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "k") && eq(e.value, "v") && e.expire_ms == -1 && e.type == EP_TYPE_STRING);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    ep_snapshot_reader_close(r);
    /* without a key: refused before the shard is read */
    EPT_CHECK(!open_enc(v, "snap/e2", NULL, &res));
    EPT_CHECK_EQ(res, EP_ERR_ENCRYPTION_REQUIRED);
    ep_key_free(key);
    ep_vfs_mem_free(v);
}

/* snapshot.rs: encrypted round trip shard 7 (2 entries), wrong key, v2 with
 * a key, all basic types; random nonces. */
static const ep_bytes g_expect_key = {(const uint8_t *)"member", 6};

EPT_CASE(rs_encrypted_round_trips_and_wrong_key) {
    ep_vfs *v = mem();
    ep_key *key = make_key(0x42), *wrong = make_key(0xff);
    ep_snapshot_writer *w;
    ep_snapshot_reader *r;
    ep_snap_entry e;
    ep_result res;
    ep_buf want, got;
    uint32_t n;
    uint8_t *d;
    size_t len;
    EPT_CHECK(v && key && wrong);
    w = begin_enc(v, "snap/shard-7.snap", 7, key, NULL);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("a"), B("1"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("b"), B("2"), 5000));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    r = open_enc(v, "snap/shard-7.snap", key, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "a") && eq(e.value, "1"));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK(eq(e.key, "b") && e.expire_ms == 5000);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    ep_snapshot_reader_close(r);
    r = open_enc(v, "snap/shard-7.snap", wrong, &res);
    EPT_CHECK(r);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_ERR_DECRYPT);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->index, 0);
    ep_snapshot_reader_close(r);
    /* v2 read with a key */
    EPT_CHECK_OK(ep_vfs_write_all(v, "snap/v4", V4, sizeof V4, NULL));
    r = open_enc(v, "snap/v4", key, &res);
    EPT_CHECK(r);
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &e));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    ep_snapshot_reader_close(r);
    /* every type, encrypted: the same entries as plaintext */
    EPT_CHECK(expect_every_type());
    w = begin_enc(v, PATH, 0, key, NULL);
    EPT_CHECK(w && write_every_type(w));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    ep_buf_init(&got, NULL);
    r = open_enc(v, PATH, key, &res);
    EPT_CHECK(r);
    n = 0;
    while ((res = ep_snapshot_reader_next(r, &e)) == EP_OK) {
        ep_snap_entry_encode(&got, &e);
        n++;
    }
    EPT_CHECK_EQ(res, EP_END);
    ep_snapshot_reader_close(r);
    EPT_CHECK(n == g_expect_n && got.len == g_expect.len && memcmp(got.data, g_expect.data, got.len) == 0);
    /* A small encrypted file (the big value makes every read slow under
     * valgrind): every cut is an error, every flipped bit (a stride of them
     * under EPT_QUICK) an error or the same entries. */
    w = begin_enc(v, PATH, 0, key, NULL);
    EPT_CHECK(w);
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("a"), B("1"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_set(w, B("s"), &g_expect_key, 1, 7));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("b"), B("22"), 5000));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    d = slurp(v, PATH, &len);
    EPT_CHECK(d);
    ep_buf_init(&want, NULL);
    r = open_enc(v, PATH, key, &res);
    while (r && (res = ep_snapshot_reader_next(r, &e)) == EP_OK) ep_snap_entry_encode(&want, &e);
    ep_snapshot_reader_close(r);
    EPT_CHECK_EQ(res, EP_END);
    {
        size_t i, stride = (size_t)(ept_scale(1000, 1) == 1000 ? 1 : 7);
        for (i = 0; i < len; i++) {
            EPT_CHECK_OK(ep_vfs_write_all(v, "snap/c", d, i, NULL));
            r = open_enc(v, "snap/c", key, &res);
            while (r && (res = ep_snapshot_reader_next(r, &e)) == EP_OK) {}
            ep_snapshot_reader_close(r);
            EPT_CHECK(res < 0);
        }
        for (i = 0; i < len * 8; i += stride) {
            ep_buf_reset(&got);
            d[i / 8] ^= (uint8_t)(1u << (i % 8));
            EPT_CHECK_OK(ep_vfs_write_all(v, "snap/c", d, len, NULL));
            d[i / 8] ^= (uint8_t)(1u << (i % 8));
            r = open_enc(v, "snap/c", key, &res);
            while (r && (res = ep_snapshot_reader_next(r, &e)) == EP_OK) ep_snap_entry_encode(&got, &e);
            ep_snapshot_reader_close(r);
            EPT_CHECK(res < 0 || (got.len == want.len && memcmp(got.data, want.data, got.len) == 0));
        }
    }
    ep_buf_free(&want);
    free(d);
    ep_buf_free(&got);
    ep_buf_free(&g_expect);
    ep_key_free(key);
    ep_key_free(wrong);
    ep_vfs_mem_free(v);
}

/* ---- power loss: crash at every vfs operation of a snapshot write ------- */

/* The new snapshot: 40 entries through a small buffer, trailer, finish. */
static ep_result crash_workload(ep_vfs *v, int *finished) {
    ep_snapshot_writer_config c;
    ep_snapshot_writer *w = NULL;
    ep_result res;
    int i;
    char key[16];
    *finished = 0;
    ep_snapshot_writer_config_init(&c);
    c.vfs = v;
    c.buffer_size = 200;
    c.trailer = B("EPTR");
    res = ep_snapshot_writer_begin(PATH, 0, &c, &w, NULL);
    if (res) return res;
    for (i = 0; i < 40 && !res; i++) {
        snprintf(key, sizeof key, "key%d", i);
        res = ep_snapshot_writer_add_string(w, B(key), B("some value bytes"), i);
    }
    if (res) {
        (void)ep_snapshot_writer_abort(w);
        return res;
    }
    res = ep_snapshot_writer_commit(w, NULL);
    *finished = res == EP_OK;
    return res;
}

/* A sim vfs holding the old snapshot (V4), durable. */
static ep_vfs *sim_with_old(void) {
    ep_vfs *v = NULL;
    if (sim_vfs_create(&v) != EP_OK) return NULL;
    if (v->mkdir(v, "snap", NULL) || v->sync_dir(v, ".", NULL)) return NULL;
    {
        ep_snapshot_writer *w = begin_cfg(v, PATH, 0, 0);
        if (!w || !write_v4_entries(w) || ep_snapshot_writer_commit(w, NULL) != EP_OK) return NULL;
    }
    return v;
}

EPT_CASE(crash_at_every_operation_leaves_old_or_new) {
    uint64_t seed = ept_seed(), total, k, oc[SIM_OUTCOME_COUNT], all[SIM_OUTCOME_COUNT];
    ep_vfs *v = sim_with_old();
    int finished, rep, j;
    long runs = 0, olds = 0, news = 0;
    EPT_CHECK(v);
    total = sim_vfs_op_count(v);
    crash_workload(v, &finished);
    EPT_CHECK(finished);
    total = sim_vfs_op_count(v) - total;
    sim_vfs_destroy(v);
    memset(all, 0, sizeof all);
    for (k = 0; k <= total; k++) {
        for (rep = 0; rep < (int)ept_scale(6, 3); rep++) {
            v = sim_with_old();
            EPT_CHECK(v);
            sim_vfs_set_crash_after(v, k);
            (void)crash_workload(v, &finished);
            sim_crash(v, seed + k * 8 + (uint64_t)rep);
            sim_vfs_set_crash_after(v, SIM_NEVER);
            sim_vfs_outcome_counts(v, oc);
            for (j = 0; j < SIM_OUTCOME_COUNT; j++) all[j] += oc[j];
            runs++;
            if (is_new(v)) {
                news++;
            } else {
                /* a finish that returned OK must survive the crash */
                if (finished || !is_old(v)) {
                    char m[160];
                    snprintf(m, sizeof m, "crash after op %lu (rep %d, finished %d): neither old nor new",
                             (unsigned long)k, rep, finished);
                    ept_fail(__FILE__, __LINE__, m);
                    sim_vfs_destroy(v);
                    return;
                }
                olds++;
            }
            /* and a new snapshot can be written after the reboot */
            EPT_CHECK_OK(crash_workload(v, &finished));
            EPT_CHECK(is_new(v));
            sim_vfs_destroy(v);
        }
    }
    printf("    %ld crashes over %lu ops: %ld old, %ld new; file outcomes all %lu none %lu torn %lu garbage %lu\n",
           runs, (unsigned long)total, olds, news, (unsigned long)all[SIM_OUTCOME_ALL],
           (unsigned long)all[SIM_OUTCOME_NONE], (unsigned long)all[SIM_OUTCOME_TORN],
           (unsigned long)all[SIM_OUTCOME_GARBAGE]);
}

/* ---- in memory ---------------------------------------------------------- */

static int count_cb(void *ctx, const ep_snap_entry *e) {
    (void)e;
    return ++*(int *)ctx >= 100;
}

EPT_CASE(in_memory_write_and_read_bytes) {
    ep_snap_entry es[2];
    ep_buf ib;
    ep_bytes f = B("f"), x = B("x");
    uint8_t *d = NULL, *bad;
    size_t n = 0;
    uint16_t shard = 99;
    int calls = 0;
    ep_error err;
    memset(es, 0, sizeof es);
    es[0].key = B("k");
    es[0].value = B("v");
    es[0].expire_ms = -1;
    es[1].key = B("h");
    es[1].type = EP_TYPE_HASH;
    es[1].expire_ms = 5000;
    ep_buf_init(&ib, NULL);
    EPT_CHECK_OK(ep_items_build(&ib, EP_ITEMS_FIELD_VALUE, &f, &x, NULL, 1, &es[1].items));
    EPT_CHECK_OK(ep_snapshot_write_bytes(0, es, 1, NULL, &d, &n));
    EPT_CHECK(n == sizeof V6 && memcmp(d, V6, n) == 0);
    ep_free(NULL, d);
    EPT_CHECK_OK(ep_snapshot_write_bytes(0, es, 2, NULL, &d, &n));
    EPT_CHECK(n == sizeof V4 && memcmp(d, V4, n) == 0);
    ep_free(NULL, d);
    EPT_CHECK_OK(ep_snapshot_write_bytes(3, NULL, 0, NULL, &d, &n));
    EPT_CHECK(n == sizeof V5 && memcmp(d, V5, n) == 0);
    ep_free(NULL, d);
    ep_buf_free(&ib);

    EPT_CHECK_OK(ep_snapshot_read_bytes(V4, sizeof V4, &shard, count_cb, &calls, NULL));
    EPT_CHECK(calls == 2 && shard == 0);
    EPT_CHECK_EQ(ep_snapshot_read_bytes(V7, sizeof V7, NULL, count_cb, &calls, NULL), EP_ERR_BAD_VERSION);
    bad = (uint8_t *)malloc(sizeof V4 + 3);
    EPT_CHECK(bad);
    memcpy(bad, V4, sizeof V4);
    memcpy(bad + sizeof V4, "xyz", 3);
    calls = 0;
    EPT_CHECK_OK(ep_snapshot_read_bytes(bad, sizeof V4 + 3, NULL, count_cb, &calls, NULL)); /* garbage after */
    EPT_CHECK_EQ(calls, 2);
    calls = 0;
    bad[sizeof V4 - 1] ^= 1;
    EPT_CHECK_EQ(ep_snapshot_read_bytes(bad, sizeof V4, NULL, count_cb, &calls, &err), EP_ERR_CHECKSUM);
    EPT_CHECK(calls == 0 && err.offset == 58); /* nothing seen before the footer matched */
    for (n = 0; n < sizeof V4; n++) {
        EPT_CHECK(ep_snapshot_read_bytes(V4, n, NULL, count_cb, &calls, NULL) < 0);
        EPT_CHECK_EQ(calls, 0);
    }
    calls = 99;
    EPT_CHECK_EQ(ep_snapshot_read_bytes(V4, sizeof V4, NULL, count_cb, &calls, NULL), EP_ERR_STATE);
    free(bad);
}

/* create_dir: off, begin refuses a missing directory; on, begin makes it,
 * and commit's rename into it works. The reader's shard check is a flag. */
EPT_CASE(writer_creates_its_directory_when_asked_and_reader_checks_shard) {
    ep_vfs *v = mem();
    ep_snapshot_writer *w = NULL;
    ep_snapshot_writer_config c;
    ep_snapshot_reader *r;
    ep_result res;
    uint32_t n;
    EPT_CHECK(v);
    ep_snapshot_writer_config_init(&c);
    c.vfs = v;
    EPT_CHECK_EQ(ep_snapshot_writer_begin("new/dir/shard-4.snap", 4, &c, &w, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK(!w);
    c.create_dir = 1;
    EPT_CHECK_OK(ep_snapshot_writer_begin("new/dir/shard-4.snap", 4, &c, &w, NULL));
    EPT_CHECK(write_v4_entries(w));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    EPT_CHECK_EQ(read_all(v, "new/dir/shard-4.snap", 4, 0, NULL, &n), EP_END);
    EPT_CHECK(!exists(v, "new/dir/shard-4.snap.tmp"));
    r = open_cfg(v, "new/dir/shard-4.snap", 4, 0, &res);
    EPT_CHECK(r && res == EP_OK);
    ep_snapshot_reader_close(r);
    r = open_cfg(v, "new/dir/shard-4.snap", 5, 0, &res);
    EPT_CHECK(!r && res == EP_ERR_SHARD_MISMATCH);
    r = open_cfg(v, "new/dir/shard-4.snap", -1, 0, &res); /* check_shard 0: any */
    EPT_CHECK(r && res == EP_OK);
    ep_snapshot_reader_close(r);
    ep_snapshot_reader_close(NULL);
    EPT_CHECK_OK(ep_snapshot_writer_abort(NULL));
    ep_vfs_mem_free(v);
}

/* The reader's buffer follows the file: a small snapshot gets a buffer the
 * size of its body, not the configured 1 MiB. */
EPT_CASE(reader_buffer_follows_the_file_not_the_config) {
    ept_counting ca;
    ep_allocator a = ept_counting_alloc(&ca);
    ep_vfs *v = mem();
    ep_snapshot_reader_config c;
    ep_snapshot_reader *r = NULL;
    ep_snap_entry e;
    size_t base;
    EPT_CHECK(v);
    EPT_CHECK_OK(ep_vfs_write_all(v, PATH, V4, sizeof V4, NULL));
    ep_snapshot_reader_config_init(&c);
    c.vfs = v;
    c.alloc = &a;
    ca.peak = ca.live = 0;
    EPT_CHECK_OK(ep_snapshot_reader_open(PATH, &c, &r, NULL));
    base = ca.live;
    while (ep_snapshot_reader_next(r, &e) == EP_OK) {
    }
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &e), EP_END);
    EPT_CHECK_EQ(ca.peak - base, sizeof V4 - EP_SNAPSHOT_HEADER_SIZE);
    ep_snapshot_reader_close(r);
    EPT_CHECK_EQ(ca.live, 0);
    ep_vfs_mem_free(v);
}

EPT_MAIN()
