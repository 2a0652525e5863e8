/* Cross-platform files: one shard (AOF and snapshot, plaintext and
 * encrypted) written on x86-64 and committed under tests/data/golden/, read
 * on every target of tools/cross.sh byte for byte; and each target's own
 * files, read back by the host build in the same run.
 *
 *   plain/shard-0.aof, plain/shard-0.snap   plaintext (AOF v2, snapshot v2)
 *   enc/shard-0.aof, enc/shard-0.snap       encrypted (v3) under a fixed key
 *                                           with counter nonces (test-only)
 *
 * Every record type that carries numbers in a byte order (i64, f64, f32
 * vectors, u32 counts) is in them.
 *
 * Environment: EPT_WRITE_GOLDEN=1 rewrites the committed files (x86-64 only);
 * EPT_EXPORT_DIR=d writes this build's set to d/plain and d/enc;
 * EPT_IMPORT_DIRS=d1:d2... reads the sets other builds exported. */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define GOLDEN_DIR "tests/data/golden"
#define FAR_FUTURE_MS 4102444800000ll /* 2100-01-01: never expires in a test */

static ep_bytes S(const char *s) { return ep_bytes_str(s); }

static ep_result counter_nonce(void *user, uint8_t nonce[EP_NONCE_SIZE]) {
    uint32_t *n = (uint32_t *)user;
    memset(nonce, 0, EP_NONCE_SIZE);
    nonce[0] = (uint8_t)*n, nonce[1] = (uint8_t)(*n >> 8), nonce[11] = 0xa5;
    (*n)++;
    return EP_OK;
}

static ep_key *golden_key(void) {
    uint8_t raw[EP_KEY_SIZE];
    ep_key *k = NULL;
    int i;
    for (i = 0; i < EP_KEY_SIZE; i++) raw[i] = (uint8_t)(0x40 + i);
    return ep_key_create(raw, NULL, &k) == EP_OK ? k : NULL;
}

/* The records: every value kind, negative and large numbers, doubles with a
 * fraction, a 4-dimensional f32 vector, non-ASCII UTF-8. */
static ep_result write_aof(const char *path, const ep_key *key) {
    static const ep_bytes items[3] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"bb", 2},
                                      {(const uint8_t *)"\xc3\xa9t\xc3\xa9", 5}};
    static const double scores[3] = {-1.5, 0.0, 3.141592653589793};
    static const float vec[4] = {0.25f, -1.0f, 1e-7f, 65504.0f};
    ep_aof_writer_config cfg;
    ep_aof_writer *w = NULL;
    uint32_t nonce = 1;
    ep_result r;
    ep_aof_writer_config_init(&cfg);
    cfg.fsync = EP_FSYNC_NO;
    cfg.key = key;
    cfg.nonce_fn = counter_nonce;
    cfg.nonce_user = &nonce;
    if ((r = ep_aof_writer_open(path, &cfg, &w, NULL)) != EP_OK) return r;
    if (!r) r = ep_aof_set(w, S("user:1"), S("ada \xe2\x9c\x93"), -1);
    if (!r) r = ep_aof_set(w, S("temp"), S("x"), 123456789);
    if (!r) r = ep_aof_incrby(w, S("n"), -9000000000ll);
    if (!r) r = ep_aof_decrby(w, S("n"), 7);
    if (!r) r = ep_aof_rpush(w, S("list"), items, 3);
    if (!r) r = ep_aof_lpush(w, S("list"), items, 1);
    if (!r) r = ep_aof_zadd(w, S("z"), scores, items, 3);
    if (!r) r = ep_aof_hset(w, S("h"), items, items + 1, 2);
    if (!r) r = ep_aof_hincrby(w, S("h"), S("count"), 1ll << 40);
    if (!r) r = ep_aof_sadd(w, S("s"), items, 3);
    if (!r) r = ep_aof_vadd(w, S("v"), S("e1"), vec, 4, 1, 0, 16, 200);
    if (!r) r = ep_aof_pexpireat(w, S("user:1"), FAR_FUTURE_MS);
    if (!r) r = ep_aof_setrange(w, S("temp"), 3, S("yz"));
    if (!r) r = ep_aof_lset(w, S("list"), -1, S("last"));
    if (!r) r = ep_aof_del(w, S("gone"));
    if (!r) r = ep_aof_writer_close(w);
    else (void)ep_aof_writer_close(w);
    return r;
}

static ep_result write_snap(const char *path, const ep_key *key) {
    static const ep_bytes items[3] = {{(const uint8_t *)"m1", 2}, {(const uint8_t *)"m2", 2},
                                      {(const uint8_t *)"\xf0\x9f\x92\xbe", 4}};
    static const double scores[3] = {2.5, -0.125, 1e300};
    static const float vecs[2 * 3] = {1.0f, 0.5f, -0.5f, 3.0f, -2.0f, 1e-3f};
    ep_snapshot_writer_config cfg;
    ep_snapshot_writer *w = NULL;
    uint32_t nonce = 1000;
    ep_result r;
    ep_snapshot_writer_config_init(&cfg);
    cfg.key = key;
    cfg.nonce_fn = counter_nonce;
    cfg.nonce_user = &nonce;
    if ((r = ep_snapshot_writer_begin(path, 0, &cfg, &w, NULL)) != EP_OK) return r;
    if (!r) r = ep_snapshot_writer_add_string(w, S("k"), S("v"), -1);
    if (!r) r = ep_snapshot_writer_add_string(w, S("ttl"), S("soon"), 86400000);
    if (!r) r = ep_snapshot_writer_add_list(w, S("l"), items, 3, -1);
    if (!r) r = ep_snapshot_writer_add_zset(w, S("z"), scores, items, 3, -1);
    if (!r) r = ep_snapshot_writer_add_hash(w, S("h"), items, items + 1, 2, -1);
    if (!r) r = ep_snapshot_writer_add_set(w, S("s"), items, 3, -1);
    if (!r) r = ep_snapshot_writer_add_proto(w, S("p"), S("pkg.Msg"), S("\x08\x96\x01"), -1);
    if (!r) r = ep_snapshot_writer_add_vector(w, S("vec"), 1, 0, 16, 200, 3, items, vecs, 2, -1);
    if (!r) r = ep_snapshot_writer_commit(w, NULL);
    else (void)ep_snapshot_writer_abort(w);
    return r;
}

/* Writes both sets under dir: dir/plain and dir/enc. */
static ep_result write_sets(const char *dir) {
    ep_vfs os;
    char sub[600], p[700];
    ep_key *key = golden_key();
    ep_result r = key ? EP_OK : EP_ERR_NOMEM;
    int enc;
    if (!r) r = ep_vfs_os_init(&os);
    for (enc = 0; enc < 2 && !r; enc++) {
        r = ep_path_join(sub, sizeof sub, dir, enc ? "enc" : "plain");
        if (!r) (void)os.mkdir(&os, dir, NULL), r = os.mkdir(&os, sub, NULL);
        if (!r) r = ep_aof_path(sub, 0, p, sizeof p);
        if (!r) (void)os.remove(&os, p, NULL), r = write_aof(p, enc ? key : NULL);
        if (!r) r = ep_snapshot_path(sub, 0, p, sizeof p);
        if (!r) r = write_snap(p, enc ? key : NULL);
    }
    ep_key_free(key);
    return r;
}

static int same_file(const char *a, const char *b) {
    ep_vfs os;
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int same;
    if (ep_vfs_os_init(&os) || ep_vfs_read_all(&os, a, NULL, 1u << 20, &x, &nx, NULL)) return 0;
    if (ep_vfs_read_all(&os, b, NULL, 1u << 20, &y, &ny, NULL)) {
        ep_free(NULL, x);
        return 0;
    }
    same = nx == ny && memcmp(x, y, nx) == 0;
    if (!same) printf("    %s (%lu bytes) differs from %s (%lu bytes)\n", a, (unsigned long)nx, b, (unsigned long)ny);
    ep_free(NULL, x);
    ep_free(NULL, y);
    return same;
}

/* Every file of set dir equals the committed one, byte for byte. */
static void check_same_as_golden(const char *dir) {
    static const char *const names[4] = {"plain/shard-0.aof", "plain/shard-0.snap", "enc/shard-0.aof",
                                         "enc/shard-0.snap"};
    int i;
    for (i = 0; i < 4; i++) {
        char a[700], b[700];
        EPT_CHECK_OK(ep_path_join(a, sizeof a, dir, names[i]));
        EPT_CHECK_OK(ep_path_join(b, sizeof b, GOLDEN_DIR, names[i]));
        EPT_EXPECT(same_file(a, b));
    }
}

/* Reads the AOF at path and appends each record re-encoded, with its CRC, to
 * out: equal to the plaintext file's records only if every field decoded
 * right. */
static ep_result reencode_aof(const char *path, const ep_key *key, ep_buf *out, size_t *n) {
    ep_aof_reader_config cfg;
    ep_aof_reader *r = NULL;
    ep_aof_record rec;
    ep_result x;
    ep_aof_reader_config_init(&cfg);
    cfg.key = key;
    *n = 0;
    if ((x = ep_aof_reader_open(path, &cfg, &r, NULL)) != EP_OK) return x;
    while ((x = ep_aof_reader_next(r, &rec)) == EP_OK) {
        size_t start = out->len;
        if ((x = ep_aof_encode(out, &rec)) != EP_OK) break;
        ep_buf_u32(out, ep_crc32(out->data + start, out->len - start));
        (*n)++;
    }
    ep_aof_reader_close(r);
    return x == EP_END ? EP_OK : x;
}

static ep_result reencode_snap(const char *path, const ep_key *key, ep_buf *out, size_t *n) {
    ep_snapshot_reader_config cfg;
    ep_snapshot_reader *r = NULL;
    ep_snap_entry e;
    ep_result x;
    ep_snapshot_reader_config_init(&cfg);
    cfg.key = key;
    *n = 0;
    if ((x = ep_snapshot_reader_open(path, &cfg, &r, NULL)) != EP_OK) return x;
    while ((x = ep_snapshot_reader_next(r, &e)) == EP_OK) {
        if ((x = ep_snap_entry_encode(out, &e)) != EP_OK) break;
        (*n)++;
    }
    ep_snapshot_reader_close(r);
    return x == EP_END ? EP_OK : x;
}

/* Reads set dir with this build's readers: the plaintext AOF re-encodes to
 * its own bytes after the 5-byte header; the encrypted AOF decrypts to the
 * same records; both snapshots give the same entries, found in the
 * plaintext file as written; recovery sees every key. */
static void check_reads(const char *dir) {
    char p[700];
    ep_key *key = golden_key();
    ep_buf a, b;
    ep_vfs os;
    uint8_t *file = NULL;
    size_t len = 0, na = 0, nb = 0, i;
    int found = 0;
    ep_recover_config rc;
    ep_recover_result res;
    EPT_CHECK(key != NULL);
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    ep_buf_init(&a, NULL);
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_path_join(p, sizeof p, dir, "plain/shard-0.aof"));
    EPT_CHECK_OK(reencode_aof(p, NULL, &a, &na));
    EPT_CHECK_OK(ep_vfs_read_all(&os, p, NULL, 1u << 20, &file, &len, NULL));
    EPT_CHECK_EQ(na, 15);
    EPT_CHECK_EQ(len, a.len + 5);
    EPT_CHECK_MEM(file + 5, a.data, a.len);
    ep_free(NULL, file);
    EPT_CHECK_OK(ep_path_join(p, sizeof p, dir, "enc/shard-0.aof"));
    EPT_CHECK_OK(reencode_aof(p, key, &b, &nb));
    EPT_CHECK_EQ(nb, na);
    EPT_CHECK_EQ(b.len, a.len);
    EPT_CHECK_MEM(b.data, a.data, a.len);
    ep_buf_reset(&a);
    ep_buf_reset(&b);
    EPT_CHECK_OK(ep_path_join(p, sizeof p, dir, "plain/shard-0.snap"));
    EPT_CHECK_OK(reencode_snap(p, NULL, &a, &na));
    EPT_CHECK_OK(ep_vfs_read_all(&os, p, NULL, 1u << 20, &file, &len, NULL));
    for (i = 0; i + a.len <= len && !found; i++) found = memcmp(file + i, a.data, a.len) == 0;
    ep_free(NULL, file);
    EPT_CHECK_EQ(na, 8);
    EPT_CHECK(found);
    EPT_CHECK_OK(ep_path_join(p, sizeof p, dir, "enc/shard-0.snap"));
    EPT_CHECK_OK(reencode_snap(p, key, &b, &nb));
    EPT_CHECK_EQ(nb, na);
    EPT_CHECK_EQ(b.len, a.len);
    EPT_CHECK_MEM(b.data, a.data, a.len);
    ep_buf_free(&a);
    ep_buf_free(&b);
    /* Recovery: the snapshot's 8 keys, then the AOF's (k, ttl, l, z, h, s, p,
     * vec and user:1, temp, n, list, z, h, s, v: z, h, s overlap): 13. */
    ep_recover_config_init(&rc);
    rc.key = key;
    EPT_CHECK_OK(ep_path_join(p, sizeof p, dir, "enc"));
    EPT_CHECK_OK(ep_recover_shard(p, 0, &rc, &res, NULL));
    EPT_EXPECT(res.snapshot_loaded && res.aof_end == EP_AOF_END_CLEAN);
    EPT_EXPECT(ep_keyspace_count(res.keyspace) == 13);
    EPT_EXPECT(ep_keyspace_get(res.keyspace, "user:1", 6) != NULL);
    EPT_EXPECT(ep_keyspace_get(res.keyspace, "vec", 3) != NULL);
    ep_recover_result_free(&res);
    ep_key_free(key);
}

EPT_CASE(committed_files_read_here) { check_reads(GOLDEN_DIR); }

EPT_CASE(files_written_here_equal_the_committed_ones) {
    const char *dir = ept_tmpdir();
    if (getenv("EPT_WRITE_GOLDEN")) {
        EPT_CHECK_OK(write_sets(GOLDEN_DIR));
        printf("    wrote %s/{plain,enc}\n", GOLDEN_DIR);
    }
    EPT_CHECK_OK(write_sets(dir));
    check_same_as_golden(dir);
}

EPT_CASE(export_for_the_host) {
    const char *dir = getenv("EPT_EXPORT_DIR");
    if (!dir || !*dir) {
        ept_skip("EPT_EXPORT_DIR not set (tools/cross.sh sets it)");
        return;
    }
    EPT_CHECK_OK(write_sets(dir));
}

EPT_CASE(files_other_builds_wrote_read_here) {
    const char *dirs = getenv("EPT_IMPORT_DIRS");
    char one[600];
    int n = 0;
    if (!dirs || !*dirs) {
        ept_skip("EPT_IMPORT_DIRS not set (tools/cross.sh sets it)");
        return;
    }
    while (*dirs && !ept_failed()) {
        size_t k = strcspn(dirs, ":");
        EPT_CHECK(k < sizeof one);
        memcpy(one, dirs, k);
        one[k] = 0;
        dirs += k + (dirs[k] == ':');
        printf("    %s\n", one);
        check_reads(one);
        check_same_as_golden(one);
        n++;
    }
    printf("    %d exported sets read, each equal to the committed files\n", n);
}

EPT_MAIN()
