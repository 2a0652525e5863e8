/* aof writer and reader: §7 file vectors both ways (E1 included), the §7
 * behaviour vectors, the aof.rs tests of §6, every cut and every bit flip of
 * a multi-record file, torn-tail trimming, version mismatch, policies,
 * poisoning and a fail-the-Nth-operation loop. */
#include "ember_persist.h"
#include "harness.h"
#include "ember_vectors.h"
#include "support/fault_vfs.h"
#include "support/sim_vfs.h"
#include "support/counting.h"

#include <math.h>
#include <stdlib.h>
#ifndef _WIN32
#include <sys/wait.h>
#include <unistd.h>
#endif

static ep_bytes S(const char *s) { return ep_bytes_of(s, strlen(s)); }

static ep_vfs *mem_vfs(void) {
    ep_vfs *v = NULL;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) return NULL;
    if (v->mkdir(v, "d", NULL) != EP_OK) return NULL;
    return v;
}

#define P "d/shard-0.aof"

/* ---- record lists: what was written vs what was read ------------------- */

typedef struct reclist {
    ep_buf *enc; /* each record's tag + payload */
    size_t n, cap;
} reclist;

static void rl_free(reclist *l) {
    size_t i;
    for (i = 0; i < l->n; i++) ep_buf_free(&l->enc[i]);
    free(l->enc);
    memset(l, 0, sizeof *l);
}

static int rl_add(reclist *l, const ep_aof_record *rec) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        ep_buf *p = (ep_buf *)realloc(l->enc, nc * sizeof *p);
        if (!p) return 0;
        l->enc = p;
        l->cap = nc;
    }
    ep_buf_init(&l->enc[l->n], NULL);
    if (ep_aof_encode(&l->enc[l->n], rec) != EP_OK) return 0;
    l->n++;
    return 1;
}

/* Reads every record of path; returns what next() ended with. */
static ep_result read_all(ep_vfs *vfs, const char *path, const ep_key *key, reclist *out, ep_aof_status *st,
                          size_t chunk) {
    ep_aof_reader_config cfg;
    ep_aof_reader *r;
    ep_aof_record rec;
    ep_result res;
    ep_aof_reader_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.key = key;
    if (chunk) cfg.chunk_size = chunk;
    memset(out, 0, sizeof *out);
    if ((res = ep_aof_reader_open(path, &cfg, &r, NULL)) != EP_OK) return res;
    while ((res = ep_aof_reader_next(r, &rec)) == EP_OK)
        if (!rl_add(out, &rec)) break;
    if (st) ep_aof_reader_status(r, st);
    ep_aof_reader_close(r);
    return res;
}

static int rl_equal_prefix(const reclist *got, const reclist *want) {
    size_t i;
    if (got->n > want->n) return 0;
    for (i = 0; i < got->n; i++)
        if (got->enc[i].len != want->enc[i].len || memcmp(got->enc[i].data, want->enc[i].data, got->enc[i].len))
            return 0;
    return 1;
}

static int file_equals(ep_vfs *vfs, const char *path, const uint8_t *want, size_t n) {
    uint8_t *d = NULL;
    size_t len = 0;
    int ok;
    if (ep_vfs_read_all(vfs, path, NULL, 1u << 30, &d, &len, NULL) != EP_OK) return 0;
    ok = len == n && memcmp(d, want, n) == 0;
    ep_free(NULL, d);
    return ok;
}

static ep_aof_writer *open_writer(ep_vfs *vfs, const char *path, ep_fsync_policy pol, const ep_key *key) {
    ep_aof_writer_config cfg;
    ep_aof_writer *w = NULL;
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.fsync = pol;
    cfg.key = key;
    return ep_aof_writer_open(path, &cfg, &w, NULL) == EP_OK ? w : NULL;
}

/* ---- §7 vectors -------------------------------------------------------------- */

static const uint8_t E1[] = {0x45, 0x41, 0x4f, 0x46, 0x03, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                             0x09, 0x0a, 0x0b, 0x23, 0x00, 0x00, 0x00, 0x04, 0xdf, 0x91, 0xdd, 0xb1, 0x4d, 0xf3,
                             0x0b, 0x9d, 0x06, 0x26, 0xec, 0x2e, 0x22, 0xa4, 0xc4, 0xcd, 0x62, 0x31, 0x88, 0x7c,
                             0x96, 0x82, 0x5a, 0x7f, 0x8a, 0x7a, 0x9e, 0xf1, 0x80, 0x01, 0xe7, 0xf0, 0x44, 0xc9};

/* Writes the vector's records through the writer, compares the file, then
 * reads the vector back and compares the records. */
static int vector_both_ways(const uint8_t *v, size_t n, void (*writes)(ep_aof_writer *), size_t nrec) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer *w = open_writer(vfs, P, EP_FSYNC_ALWAYS, NULL);
    reclist got;
    ep_aof_status st;
    int ok;
    if (!w) return 0;
    writes(w);
    if (ep_aof_writer_close(w) != EP_OK) return 0;
    ok = file_equals(vfs, P, v, n);
    ok = ok && ep_vfs_write_all(vfs, "d/v.aof", v, n, NULL) == EP_OK;
    ok = ok && read_all(vfs, "d/v.aof", NULL, &got, &st, 0) == EP_END;
    ok = ok && got.n == nrec && st.end == EP_AOF_END_CLEAN && st.good_offset == n;
    rl_free(&got);
    ep_vfs_mem_free(vfs);
    return ok;
}

static void w_v1(ep_aof_writer *w) { ep_aof_set(w, S("a"), S("b"), -1); }
static void w_v2(ep_aof_writer *w) { ep_aof_del(w, S("a")); }
static void w_v3(ep_aof_writer *w) {
    double s = 1.5;
    ep_bytes m = S("m");
    ep_aof_zadd(w, S("z"), &s, &m, 1);
}
static void w_v3b(ep_aof_writer *w) {
    ep_bytes f = S("f"), x = S("x");
    ep_aof_hset(w, S("h"), &f, &x, 1);
    ep_aof_expire(w, S("h"), 60);
}
static void w_v3c(ep_aof_writer *w) { ep_aof_pexpireat(w, S("a"), 1700000000000LL); }
static void w_v3d(ep_aof_writer *w) { ep_aof_lset(w, S("l"), -1, S("Z")); }

EPT_CASE(vectors_v1_to_v3d_both_ways) {
    EPT_CHECK(vector_both_ways(V1, sizeof V1, w_v1, 1));
    EPT_CHECK(vector_both_ways(V2, sizeof V2, w_v2, 1));
    EPT_CHECK(vector_both_ways(V3, sizeof V3, w_v3, 1));
    EPT_CHECK(vector_both_ways(V3b, sizeof V3b, w_v3b, 2));
    EPT_CHECK(vector_both_ways(V3c, sizeof V3c, w_v3c, 1));
    EPT_CHECK(vector_both_ways(V3d, sizeof V3d, w_v3d, 1));
}

static ep_result fixed_nonce(void *user, uint8_t nonce[EP_NONCE_SIZE]) {
    int i;
    (void)user;
    for (i = 0; i < EP_NONCE_SIZE; i++) nonce[i] = (uint8_t)i;
    return EP_OK;
}

static ep_key *key_of(uint8_t b) {
    uint8_t k[32];
    ep_key *key = NULL;
    memset(k, b, sizeof k);
    return ep_key_create(k, NULL, &key) == EP_OK ? key : NULL;
}

EPT_CASE(vector_e1_encrypted_both_ways) {
    ep_vfs *vfs = mem_vfs();
    ep_key *key = key_of(0x42), *wrong = key_of(0xFF);
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    reclist got;
    ep_aof_status st;
    ep_aof_reader *r;
    ep_error err;
    EPT_CHECK(vfs && key && wrong);
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.key = key;
    cfg.nonce_fn = fixed_nonce;
    cfg.fsync = EP_FSYNC_ALWAYS;
    EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, NULL));
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("b"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK(file_equals(vfs, P, E1, sizeof E1));
    EPT_CHECK_EQ(read_all(vfs, P, key, &got, &st, 0), EP_END);
    EPT_CHECK(got.n == 1 && st.end == EP_AOF_END_CLEAN && st.version == 3);
    EPT_CHECK(got.enc[0].len == 19 && memcmp(got.enc[0].data, V1 + 5, 19) == 0);
    rl_free(&got);
    /* no key: refused at open; wrong key: decryption error at record 0 */
    {
        ep_aof_reader_config rc;
        ep_aof_reader_config_init(&rc);
        rc.vfs = vfs;
        EPT_CHECK_EQ(ep_aof_reader_open(P, &rc, &r, &err), EP_ERR_ENCRYPTION_REQUIRED);
    }
    EPT_CHECK_EQ(read_all(vfs, P, wrong, &got, &st, 0), EP_ERR_DECRYPT);
    EPT_CHECK(st.end == EP_AOF_END_ERROR && st.error.offset == 5 && st.error.index == 0 && got.n == 0);
    rl_free(&got);
    ep_key_free(key);
    ep_key_free(wrong);
    ep_vfs_mem_free(vfs);
}

/* ---- §7 behaviour vectors -------------------------------------------------------- */

static ep_result read_bytes(const uint8_t *d, size_t n, reclist *got, ep_aof_status *st) {
    ep_vfs *vfs = mem_vfs();
    ep_result r;
    memset(got, 0, sizeof *got);
    if (ep_vfs_write_all(vfs, "d/x.aof", d, n, NULL) != EP_OK) return EP_ERR_IO;
    r = read_all(vfs, "d/x.aof", NULL, got, st, 0);
    ep_vfs_mem_free(vfs);
    return r;
}

EPT_CASE(behaviour_vectors) {
    uint8_t b[64];
    reclist got;
    ep_aof_status st;
    static const uint8_t sadd[] = {0x45, 0x41, 0x4f, 0x46, 0x02, 0x11, 0x01, 0x00, 0x00,
                                   0x00, 0x73, 0x01, 0xe1, 0xf5, 0x05};
    /* lone trailing 01 */
    memcpy(b, V1, sizeof V1);
    b[sizeof V1] = 0x01;
    EPT_CHECK_EQ(read_bytes(b, sizeof V1 + 1, &got, &st), EP_END);
    EPT_CHECK(got.n == 1 && st.end == EP_AOF_END_TORN && st.good_offset == sizeof V1 && st.tail_bytes == 1);
    rl_free(&got);
    /* last byte flipped */
    memcpy(b, V1, sizeof V1);
    b[sizeof V1 - 1] ^= 0xFF;
    EPT_CHECK_EQ(read_bytes(b, sizeof V1, &got, &st), EP_ERR_CHECKSUM);
    EPT_CHECK(got.n == 0 && st.error.offset == 5 && st.error.index == 0);
    rl_free(&got);
    /* 01 ff ff ff ff after V1: a limit error, not the end */
    memcpy(b, V1, sizeof V1);
    memcpy(b + sizeof V1, "\x01\xff\xff\xff\xff", 5);
    EPT_CHECK_EQ(read_bytes(b, sizeof V1 + 5, &got, &st), EP_ERR_LIMIT);
    EPT_CHECK(got.n == 1 && st.error.offset == sizeof V1 && st.error.index == 1);
    rl_free(&got);
    /* SADD count 100,000,001 */
    EPT_CHECK_EQ(read_bytes(sadd, sizeof sadd, &got, &st), EP_ERR_LIMIT);
    rl_free(&got);
    /* 0- and 4-byte files: EOF at open; EAOF 00: bad version; EAOF 04 too */
    EPT_CHECK_EQ(read_bytes(V1, 0, &got, &st), EP_ERR_EOF);
    EPT_CHECK_EQ(read_bytes(V1, 4, &got, &st), EP_ERR_EOF);
    memcpy(b, V1, 5);
    b[4] = 0;
    EPT_CHECK_EQ(read_bytes(b, 5, &got, &st), EP_ERR_BAD_VERSION);
    b[4] = 4;
    EPT_CHECK_EQ(read_bytes(b, 5, &got, &st), EP_ERR_BAD_VERSION);
    EPT_CHECK_EQ(read_bytes((const uint8_t *)"NOT_AOF_DATA", 12, &got, &st), EP_ERR_BAD_MAGIC);
    /* EAOF 01 reads as v2 */
    memcpy(b, V1, sizeof V1);
    b[4] = 1;
    EPT_CHECK_EQ(read_bytes(b, sizeof V1, &got, &st), EP_END);
    EPT_CHECK(got.n == 1 && st.version == 1 && st.end == EP_AOF_END_CLEAN);
    rl_free(&got);
    /* header only: END at once */
    EPT_CHECK_EQ(read_bytes(V1, 5, &got, &st), EP_END);
    EPT_CHECK(got.n == 0 && st.end == EP_AOF_END_CLEAN);
}

/* A plaintext record with a valid CRC around an arbitrary payload. */
static size_t with_crc(uint8_t *out, const uint8_t *payload, size_t n) {
    memcpy(out, "EAOF\x02", 5);
    memcpy(out + 5, payload, n);
    ep_store_u32le(out + 5 + n, ep_crc32(payload, n));
    return 5 + n + 4;
}

EPT_CASE(behaviour_vectors_checked_after_crc) {
    static const uint8_t expire_neg[] = {0x03, 0x01, 0x00, 0x00, 0x00, 0x68, 0xfb, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t del_ff[] = {0x02, 0x01, 0x00, 0x00, 0x00, 0xff};
    uint8_t b[64];
    reclist got;
    ep_aof_status st;
    size_t n = with_crc(b, expire_neg, sizeof expire_neg);
    EPT_CHECK_EQ(read_bytes(b, n, &got, &st), EP_ERR_BAD_VALUE);
    EPT_CHECK(strstr(st.error.message, "EXPIRE") != NULL);
    n = with_crc(b, del_ff, sizeof del_ff);
    EPT_CHECK_EQ(read_bytes(b, n, &got, &st), EP_ERR_UTF8);
    /* Same bytes with a bad CRC: the CRC is reported first (ember's order). */
    b[n - 1] ^= 1;
    EPT_CHECK_EQ(read_bytes(b, n, &got, &st), EP_ERR_CHECKSUM);
    /* Unknown tag 36 with its offset. */
    memcpy(b, V1, sizeof V1);
    b[sizeof V1] = 36;
    EPT_CHECK_EQ(read_bytes(b, sizeof V1 + 1, &got, &st), EP_ERR_UNKNOWN_TAG);
    EPT_CHECK(got.n == 1 && st.error.offset == sizeof V1 && strstr(st.error.message, "36") != NULL);
    rl_free(&got);
}

/* ---- §6 aof.rs file tests -------------------------------------------------------- */

EPT_CASE(ember_unit_writer_reader_round_trips) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer *w;
    ep_aof_reader_config rc;
    ep_aof_reader *r;
    ep_aof_record rec;
    ep_bytes ab[2], names[2];
    double sc[2] = {1.0, 2.0};
    char path[64];
    EPT_CHECK_OK(ep_aof_path("/data", 3, path, sizeof path));
    EPT_CHECK(strcmp(path, "/data/shard-3.aof") == 0);
    EPT_CHECK_EQ(ep_aof_path("/data", 3, path, 10), EP_ERR_LIMIT);
    ab[0] = S("a");
    ab[1] = S("b");
    names[0] = S("alice");
    names[1] = S("bob");
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_NO, NULL)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("1"), -1));
    EPT_CHECK_OK(ep_aof_set(w, S("b"), S("2"), 10000));
    EPT_CHECK_OK(ep_aof_del(w, S("a")));
    EPT_CHECK_OK(ep_aof_expire(w, S("b"), 60));
    EPT_CHECK_OK(ep_aof_lpush(w, S("l"), ab, 2));
    EPT_CHECK_OK(ep_aof_rpush(w, S("l"), ab, 1));
    EPT_CHECK_OK(ep_aof_lpop(w, S("l")));
    EPT_CHECK_OK(ep_aof_rpop(w, S("l")));
    EPT_CHECK_OK(ep_aof_zadd(w, S("z"), sc, names, 2));
    EPT_CHECK_OK(ep_aof_zrem(w, S("z"), names, 1));
    EPT_CHECK_OK(ep_aof_set(w, S("k"), S("v"), 5000));
    EPT_CHECK_OK(ep_aof_persist(w, S("k")));
    EPT_CHECK_OK(ep_aof_pexpire(w, S("k"), 3000));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_aof_reader_config_init(&rc);
    rc.vfs = vfs;
    EPT_CHECK_OK(ep_aof_reader_open(P, &rc, &r, NULL));
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_SET && rec.num == -1 && rec.value.len == 1 && rec.value.data[0] == '1');
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_SET && rec.num == 10000);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_DEL);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_EXPIRE && rec.num == 60);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_LPUSH && rec.items.count == 2);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_RPUSH && rec.items.count == 1);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_LPOP);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_RPOP);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_ZADD && rec.items.count == 2);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_ZREM && rec.items.count == 1);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_PERSIST);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.tag == EP_AOF_PEXPIRE && rec.num == 3000);
    EPT_CHECK_EQ(ep_aof_reader_next(r, &rec), EP_END);
    EPT_CHECK_EQ(ep_aof_reader_next(r, &rec), EP_END);
    ep_aof_reader_close(r);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(rewrite_keeps_only_new_records) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer *w;
    reclist got;
    ep_aof_stats s;
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("old"), S("x"), -1));
    EPT_CHECK_OK(ep_aof_writer_rewrite(w));
    EPT_CHECK_OK(ep_aof_set(w, S("new"), S("y"), -1));
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.synced_offset == s.size && s.version == 2);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, NULL, 0), EP_END);
    EPT_CHECK(got.n == 1 && got.enc[0].data[5] == 'n');
    rl_free(&got);
    {
        uint64_t sz;
        EPT_CHECK_EQ(vfs->stat(vfs, P ".tmp", &sz, NULL), EP_ERR_NOT_FOUND);
    }
    ep_vfs_mem_free(vfs);
}

EPT_CASE(encryption_round_trip_mismatch_and_migration) {
    ep_vfs *vfs = mem_vfs();
    ep_key *key = key_of(0x42);
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    ep_error err;
    reclist got;
    ep_aof_status st;
    ep_bytes ab[2];
    double sc[1] = {3.25};
    uint8_t before[256];
    size_t before_len;
    uint8_t *d;
    size_t dl;
    ab[0] = S("a");
    ab[1] = S("b");
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_ALWAYS, key)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("k"), S("v"), -1));
    EPT_CHECK_OK(ep_aof_del(w, S("k")));
    EPT_CHECK_OK(ep_aof_lpush(w, S("l"), ab, 2));
    EPT_CHECK_OK(ep_aof_zadd(w, S("z"), sc, ab, 1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(vfs, P, key, &got, &st, 0), EP_END);
    EPT_CHECK(got.n == 4 && st.version == 3 && st.end == EP_AOF_END_CLEAN);
    rl_free(&got);
    /* A writer without a key refuses the v3 file and leaves it alone. */
    EPT_CHECK_OK(ep_vfs_read_all(vfs, P, NULL, 1 << 20, &d, &dl, NULL));
    EPT_CHECK(dl < sizeof before);
    memcpy(before, d, dl);
    before_len = dl;
    ep_free(NULL, d);
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    EPT_CHECK_EQ(ep_aof_writer_open(P, &cfg, &w, &err), EP_ERR_FORMAT_MISMATCH);
    EPT_CHECK(strstr(err.message, "rewrite") != NULL);
    EPT_CHECK(file_equals(vfs, P, before, before_len));
    /* Encrypted rewrite keeps v3 with only the new record. */
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_ALWAYS, key)) != NULL);
    EPT_CHECK_OK(ep_aof_writer_rewrite(w));
    EPT_CHECK_OK(ep_aof_set(w, S("n"), S("1"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(vfs, P, key, &got, &st, 0), EP_END);
    EPT_CHECK(got.n == 1 && st.version == 3);
    rl_free(&got);
    /* Plaintext file: readable with a key; a writer with a key refuses it;
     * a keyless writer's rewrite... and a keyed writer's rewrite migrates. */
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, V1, sizeof V1, NULL));
    EPT_CHECK_EQ(read_all(vfs, P, key, &got, &st, 0), EP_END);
    EPT_CHECK(got.n == 1 && st.version == 2);
    rl_free(&got);
    cfg.key = key;
    EPT_CHECK_EQ(ep_aof_writer_open(P, &cfg, &w, &err), EP_ERR_FORMAT_MISMATCH);
    EPT_CHECK(strstr(err.message, "rewrite") != NULL);
    EPT_CHECK(file_equals(vfs, P, V1, sizeof V1));
    ep_key_free(key);
    ep_vfs_mem_free(vfs);
}

/* ---- a random multi-record workload ----------------------------------------- */

/* One random record (various tags and sizes) through the per-kind calls,
 * and its expected encoding into want. */
static ep_result random_record(ep_aof_writer *w, uint64_t *st, reclist *want) {
    static const char *keys[] = {"", "a", "key:1", "user:\xc3\xa9", "a-rather-long-key-name-for-testing"};
    uint8_t val[300];
    ep_bytes k = S(keys[ept_rand(st) % 5]), v, arr[3], arr2[3];
    double sc[3];
    size_t vl = (size_t)(ept_rand(st) % 300), i;
    ep_aof_record rec;
    ep_buf items;
    ep_result r;
    unsigned pick = (unsigned)(ept_rand(st) % 8);
    for (i = 0; i < vl; i++) val[i] = (uint8_t)ept_rand(st);
    v = ep_bytes_of(val, vl);
    for (i = 0; i < 3; i++) {
        arr[i] = S(keys[ept_rand(st) % 5]);
        arr2[i] = ep_bytes_of(val, vl / (i + 1));
        sc[i] = (double)(int64_t)ept_rand(st) / 7.0;
    }
    memset(&rec, 0, sizeof rec);
    rec.key = k;
    ep_buf_init(&items, NULL);
    switch (pick) {
    case 0: rec.tag = EP_AOF_SET; rec.value = v; rec.num = (int64_t)(ept_rand(st) % 100000) - 1;
        r = ep_aof_set(w, k, v, rec.num); break;
    case 1: rec.tag = EP_AOF_DEL; r = ep_aof_del(w, k); break;
    case 2: rec.tag = EP_AOF_HSET;
        ep_items_build(&items, EP_ITEMS_FIELD_VALUE, arr, arr2, NULL, 3, &rec.items);
        r = ep_aof_hset(w, k, arr, arr2, 3); break;
    case 3: rec.tag = EP_AOF_ZADD;
        ep_items_build(&items, EP_ITEMS_SCORE_MEMBER, arr, NULL, sc, 2, &rec.items);
        r = ep_aof_zadd(w, k, sc, arr, 2); break;
    case 4: rec.tag = EP_AOF_RPUSH;
        ep_items_build(&items, EP_ITEMS_BYTES, arr2, NULL, NULL, 3, &rec.items);
        r = ep_aof_rpush(w, k, arr2, 3); break;
    case 5: rec.tag = EP_AOF_PEXPIRE; rec.num = (int64_t)(ept_rand(st) >> 2);
        r = ep_aof_pexpire(w, k, rec.num); break;
    case 6: rec.tag = EP_AOF_LINSERT; rec.flag = 1; rec.pivot = arr2[1]; rec.value = v;
        r = ep_aof_linsert(w, k, 1, arr2[1], v); break;
    default: rec.tag = EP_AOF_INCRBY; rec.num = (int64_t)ept_rand(st);
        r = ep_aof_incrby(w, k, rec.num); break;
    }
    if (r == EP_OK && want) rl_add(want, &rec);
    ep_buf_free(&items);
    return r;
}

/* Writes n random records to path; want gets their encodings. */
static int write_workload(ep_vfs *vfs, const char *path, uint64_t seed, int n, reclist *want, const ep_key *key) {
    ep_aof_writer *w = open_writer(vfs, path, EP_FSYNC_NO, key);
    uint64_t st = seed;
    int i;
    memset(want, 0, sizeof *want);
    if (!w) return 0;
    for (i = 0; i < n; i++)
        if (random_record(w, &st, want) != EP_OK) return 0;
    return ep_aof_writer_close(w) == EP_OK;
}

EPT_CASE(workload_round_trips_with_small_chunks) {
    ep_vfs *vfs = mem_vfs();
    reclist want, got;
    ep_aof_status st;
    size_t chunks[] = {64, 100, 4096, 0};
    size_t i;
    EPT_CHECK(write_workload(vfs, P, ept_seed(), 300, &want, NULL));
    for (i = 0; i < 4; i++) {
        EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, &st, chunks[i]), EP_END);
        EPT_CHECK(got.n == want.n && rl_equal_prefix(&got, &want) && st.end == EP_AOF_END_CLEAN);
        rl_free(&got);
    }
    rl_free(&want);
    ep_vfs_mem_free(vfs);
}

/* Every cut of a multi-record file reads as a prefix ending torn or clean. */
static void every_cut(const ep_key *key) {
    ep_vfs *vfs = mem_vfs();
    reclist want, got;
    uint8_t *d;
    size_t len, cut, step;
    ep_aof_status st;
    EPT_CHECK(write_workload(vfs, P, ept_seed() ^ 1, (int)ept_scale(40, 4), &want, key));
    EPT_CHECK_OK(ep_vfs_read_all(vfs, P, NULL, 1 << 26, &d, &len, NULL));
    step = len > 40000 ? len / 4000 : 1;
    for (cut = 5; cut <= len; cut += step) {
        ep_result r;
        EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/cut.aof", d, cut, NULL));
        r = read_all(vfs, "d/cut.aof", key, &got, &st, 64);
        if (r != EP_END || !rl_equal_prefix(&got, &want) ||
            (cut == len ? st.end != EP_AOF_END_CLEAN || got.n != want.n : 0) ||
            st.good_offset + st.tail_bytes != cut) {
            char m[160];
            snprintf(m, sizeof m, "cut at %lu of %lu: result %d, %lu records, end %d (%s)", (unsigned long)cut,
                     (unsigned long)len, (int)r, (unsigned long)got.n, (int)st.end, st.error.message);
            ept_fail(__FILE__, __LINE__, m);
            rl_free(&got);
            break;
        }
        rl_free(&got);
    }
    ep_free(NULL, d);
    rl_free(&want);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(every_cut_is_a_torn_prefix) { every_cut(NULL); }
EPT_CASE(every_cut_is_a_torn_prefix_encrypted) {
    ep_key *key = key_of(7);
    every_cut(key);
    ep_key_free(key);
}

/* Every single-bit flip: an error, or records all of which were written. */
static void every_flip(const ep_key *key) {
    ep_vfs *vfs = mem_vfs();
    reclist want, got;
    uint8_t *d;
    size_t len, byte;
    int bit;
    long errors = 0, silent_torn = 0;
    ep_aof_status st;
    EPT_CHECK(write_workload(vfs, P, ept_seed() ^ 2, (int)ept_scale(12, 3), &want, key));
    EPT_CHECK_OK(ep_vfs_read_all(vfs, P, NULL, 1 << 26, &d, &len, NULL));
    for (byte = 5; byte < len; byte++) {
        for (bit = 0; bit < 8; bit++) {
            ep_result r;
            d[byte] ^= (uint8_t)(1u << bit);
            EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/flip.aof", d, len, NULL));
            d[byte] ^= (uint8_t)(1u << bit);
            r = read_all(vfs, "d/flip.aof", key, &got, &st, 0);
            if (!rl_equal_prefix(&got, &want)) {
                char m[96];
                snprintf(m, sizeof m, "flip of bit %d at byte %lu returned a record never written", bit,
                         (unsigned long)byte);
                ept_fail(__FILE__, __LINE__, m);
                rl_free(&got);
                goto out;
            }
            if (r != EP_END) errors++;
            else if (got.n < want.n) silent_torn++;
            rl_free(&got);
        }
    }
    /* A flip may only pass silently as a torn tail in the last record. */
    printf("    %ld flips: %ld errors, %ld read as a torn last record\n", (long)(len - 5) * 8, errors, silent_torn);
out:
    ep_free(NULL, d);
    rl_free(&want);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(every_bit_flip_is_caught_or_harmless) { every_flip(NULL); }
EPT_CASE(every_bit_flip_is_caught_or_harmless_encrypted) {
    ep_key *key = key_of(9);
    every_flip(key);
    ep_key_free(key);
}

/* A damaged length mid-file must not pass as a torn tail. */
EPT_CASE(damaged_length_mid_file_is_corrupt_not_torn) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer *w;
    uint8_t *d;
    size_t len;
    reclist got;
    ep_aof_status st;
    int i;
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_NO, NULL)) != NULL);
    for (i = 0; i < 10; i++) EPT_CHECK_OK(ep_aof_set(w, S("key"), S("value"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(ep_vfs_read_all(vfs, P, NULL, 1 << 20, &d, &len, NULL));
    /* Records are 29 bytes; record 2's value length (after the tag and key
     * "key") goes from 5 to 0x00100005. */
    EPT_CHECK_EQ(len, 5 + 10 * 29);
    d[5 + 2 * 29 + 1 + 7 + 2] = 0x10;
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, d, len, NULL));
    EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, &st, 0), EP_ERR_CORRUPT);
    EPT_CHECK(got.n == 2 && st.error.offset == 5 + 2 * 29 && st.error.index == 2);
    rl_free(&got);
    /* The writer refuses it too and does not cut it. */
    EPT_CHECK(open_writer(vfs, P, EP_FSYNC_NO, NULL) == NULL);
    EPT_CHECK(file_equals(vfs, P, d, len));
    ep_free(NULL, d);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(torn_tail_is_trimmed_before_appending) {
    ep_vfs *vfs = mem_vfs();
    reclist want, got;
    uint8_t *d;
    size_t len;
    ep_aof_writer *w;
    ep_aof_stats s;
    ep_aof_status st;
    EPT_CHECK(write_workload(vfs, P, ept_seed() ^ 3, 20, &want, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(vfs, P, NULL, 1 << 26, &d, &len, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, d, len - 3, NULL)); /* tear the last record */
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.trimmed_bytes > 0 && s.size == len - 3 - s.trimmed_bytes);
    EPT_CHECK_OK(ep_aof_set(w, S("after"), S("tear"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, &st, 0), EP_END);
    EPT_CHECK(st.end == EP_AOF_END_CLEAN && got.n == want.n);
    EPT_CHECK(rl_equal_prefix(&got, &want) == 0); /* last one differs: it is the new record */
    want.n--;
    got.n--;
    EPT_CHECK(rl_equal_prefix(&got, &want));
    got.n++;
    want.n++;
    EPT_CHECK(got.enc[got.n - 1].data[5] == 'a');
    rl_free(&got);
    rl_free(&want);
    ep_free(NULL, d);
    /* A torn header (crash while creating): rewritten fresh. */
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, "EA", 2, NULL));
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK(file_equals(vfs, P, V1, 5));
    ep_vfs_mem_free(vfs);
}

EPT_CASE(writer_refuses_bad_files) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    ep_error err;
    uint8_t b[64];
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, "NOT_AOF_DATA", 12, NULL));
    EPT_CHECK_EQ(ep_aof_writer_open(P, &cfg, &w, &err), EP_ERR_BAD_MAGIC);
    memcpy(b, V1, sizeof V1);
    b[4] = 9;
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, b, sizeof V1, NULL));
    EPT_CHECK_EQ(ep_aof_writer_open(P, &cfg, &w, &err), EP_ERR_BAD_VERSION);
    b[4] = 2;
    b[sizeof V1 - 1] ^= 0x40; /* CRC of the only (last) record */
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, b, sizeof V1, NULL));
    EPT_CHECK_EQ(ep_aof_writer_open(P, &cfg, &w, &err), EP_ERR_CHECKSUM);
    EPT_CHECK(err.offset == 5 && strstr(err.message, "refusing") != NULL);
    EPT_CHECK(file_equals(vfs, P, b, sizeof V1));
    /* v1 file: accepted, records appended in the same (plaintext) format */
    memcpy(b, V1, sizeof V1);
    b[4] = 1;
    EPT_CHECK_OK(ep_vfs_write_all(vfs, P, b, sizeof V1, NULL));
    EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, &err));
    EPT_CHECK_OK(ep_aof_del(w, S("a")));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    memcpy(b + sizeof V1, V2 + 5, sizeof V2 - 5);
    EPT_CHECK(file_equals(vfs, P, b, sizeof V1 + sizeof V2 - 5));
    /* a second writer on a locked file */
    EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, &err));
    {
        ep_aof_writer *w2;
        EPT_CHECK_EQ(ep_aof_writer_open(P, &cfg, &w2, &err), EP_ERR_LOCKED);
    }
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_vfs_mem_free(vfs);
}

EPT_CASE(bad_arguments_write_nothing) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer *w;
    ep_aof_stats s;
    ep_bytes bad = S("\xff");
    ep_aof_record rec;
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    EPT_CHECK_EQ(ep_aof_set(w, bad, S("v"), -1), EP_ERR_UTF8);
    EPT_CHECK_EQ(ep_aof_sadd(w, S("k"), &bad, 1), EP_ERR_UTF8);
    EPT_CHECK_EQ(ep_aof_expire(w, S("k"), -1), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_aof_bitop(w, 4, S("d"), &bad, 0), EP_ERR_BAD_VALUE);
    memset(&rec, 0, sizeof rec);
    EPT_CHECK(ep_aof_append(w, &rec) != EP_OK);
    {
        ep_aof_record two[2];
        memset(two, 0, sizeof two);
        two[0].tag = EP_AOF_DEL;
        two[0].key = S("ok");
        two[1].tag = EP_AOF_DEL;
        two[1].key = bad;
        EPT_CHECK_EQ(ep_aof_append_batch(w, two, 2), EP_ERR_UTF8); /* all or nothing */
    }
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.size == 5 && s.records == 0);
    EPT_CHECK_OK(ep_aof_set(w, S("k"), S("v"), -1)); /* still usable */
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_vfs_mem_free(vfs);
}

/* Every per-kind call writes what the generic record would. */
EPT_CASE(every_helper_matches_the_generic_record) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer *w;
    reclist got;
    ep_bytes two[2];
    double sc[2] = {-0.0, INFINITY};
    float vec[3] = {1.0f, -2.5f, 0.125f};
    ep_aof_record rec;
    size_t used;
    static const uint8_t vadd_payload[] = {0x19, 0x01, 0x00, 0x00, 0x00, 0x76, 0x01, 0x00, 0x00, 0x00, 0x65,
                                           0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20,
                                           0xc0, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00};
    static const uint8_t bitop_payload[] = {0x22, 0x02, 0x01, 0x00, 0x00, 0x00, 0x64, 0x02, 0x00, 0x00, 0x00,
                                            0x01, 0x00, 0x00, 0x00, 0x61, 0x01, 0x00, 0x00, 0x00, 0x62};
    two[0] = S("a");
    two[1] = S("b");
    EPT_CHECK((w = open_writer(vfs, P, EP_FSYNC_NO, NULL)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("k"), S("v"), 5));
    EPT_CHECK_OK(ep_aof_del(w, S("k")));
    EPT_CHECK_OK(ep_aof_expire(w, S("k"), 1));
    EPT_CHECK_OK(ep_aof_lpush(w, S("k"), two, 2));
    EPT_CHECK_OK(ep_aof_rpush(w, S("k"), two, 2));
    EPT_CHECK_OK(ep_aof_lpop(w, S("k")));
    EPT_CHECK_OK(ep_aof_rpop(w, S("k")));
    EPT_CHECK_OK(ep_aof_zadd(w, S("k"), sc, two, 2));
    EPT_CHECK_OK(ep_aof_zrem(w, S("k"), two, 2));
    EPT_CHECK_OK(ep_aof_persist(w, S("k")));
    EPT_CHECK_OK(ep_aof_pexpire(w, S("k"), 2));
    EPT_CHECK_OK(ep_aof_incr(w, S("k")));
    EPT_CHECK_OK(ep_aof_decr(w, S("k")));
    EPT_CHECK_OK(ep_aof_hset(w, S("k"), two, two, 2));
    EPT_CHECK_OK(ep_aof_hdel(w, S("k"), two, 2));
    EPT_CHECK_OK(ep_aof_hincrby(w, S("k"), S("f"), -42));
    EPT_CHECK_OK(ep_aof_sadd(w, S("k"), two, 2));
    EPT_CHECK_OK(ep_aof_srem(w, S("k"), two, 1));
    EPT_CHECK_OK(ep_aof_incrby(w, S("k"), INT64_MIN));
    EPT_CHECK_OK(ep_aof_decrby(w, S("k"), INT64_MAX));
    EPT_CHECK_OK(ep_aof_append_value(w, S("k"), S("tail")));
    EPT_CHECK_OK(ep_aof_rename(w, S("k"), S("k2")));
    EPT_CHECK_OK(ep_aof_proto_set(w, S("k"), S("pkg.Type"), S("\x08\x01"), -1));
    EPT_CHECK_OK(ep_aof_proto_register(w, S("users"), S("desc")));
    EPT_CHECK_OK(ep_aof_vadd(w, S("v"), S("e"), vec, 2, 1, 0, 16, 64));
    EPT_CHECK_OK(ep_aof_vrem(w, S("v"), S("e")));
    EPT_CHECK_OK(ep_aof_copy(w, S("a"), S("b"), 7));
    EPT_CHECK_OK(ep_aof_lset(w, S("l"), -1, S("Z")));
    EPT_CHECK_OK(ep_aof_ltrim(w, S("l"), 1, -2));
    EPT_CHECK_OK(ep_aof_linsert(w, S("l"), 0, S("p"), S("v")));
    EPT_CHECK_OK(ep_aof_lrem(w, S("l"), -3, S("v")));
    EPT_CHECK_OK(ep_aof_setrange(w, S("s"), 10, S("xy")));
    EPT_CHECK_OK(ep_aof_setbit(w, S("s"), UINT64_MAX, 1));
    EPT_CHECK_OK(ep_aof_bitop(w, EP_BITOP_XOR, S("d"), two, 2));
    EPT_CHECK_OK(ep_aof_pexpireat(w, S("a"), 1700000000000LL));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, NULL, 0), EP_END);
    EPT_CHECK_EQ(got.n, 35);
    for (used = 0; used < 35; used++) EPT_CHECK_EQ(got.enc[used].data[0], used + 1);
    EPT_CHECK(got.enc[24].len == sizeof vadd_payload && memcmp(got.enc[24].data, vadd_payload, sizeof vadd_payload) == 0);
    EPT_CHECK(got.enc[33].len == sizeof bitop_payload &&
              memcmp(got.enc[33].data, bitop_payload, sizeof bitop_payload) == 0);
    EPT_CHECK_OK(ep_aof_decode(got.enc[26].data, got.enc[26].len, &rec, &used));
    EPT_CHECK(rec.flag == 1); /* COPY replace normalised to 1 */
    EPT_CHECK_OK(ep_aof_decode(got.enc[32].data, got.enc[32].len, &rec, &used));
    EPT_CHECK(rec.num == -1 && rec.flag == 1); /* SETBIT u64 max bit-cast */
    EPT_CHECK_OK(ep_aof_decode(got.enc[7].data, got.enc[7].len, &rec, &used));
    {
        ep_items_iter it;
        ep_item item;
        ep_items_iter_init(&it, &rec.items);
        EPT_CHECK(ep_items_next(&it, &item) && signbit(item.score) && item.score == 0.0);
        EPT_CHECK(ep_items_next(&it, &item) && isinf(item.score));
    }
    rl_free(&got);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(records_larger_than_buffer_and_chunk) {
    ep_vfs *vfs = mem_vfs();
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    ep_aof_reader_config rc;
    ep_aof_reader *r;
    ep_aof_record rec;
    size_t big = 3u << 20, i;
    uint8_t *v = (uint8_t *)malloc(big);
    EPT_CHECK(v != NULL);
    for (i = 0; i < big; i++) v[i] = (uint8_t)(i * 7);
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.buffer_size = 4096;
    cfg.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, NULL));
    EPT_CHECK_OK(ep_aof_set(w, S("small"), S("1"), -1));
    EPT_CHECK_OK(ep_aof_set(w, S("big"), ep_bytes_of(v, big), -1));
    EPT_CHECK_OK(ep_aof_set(w, S("small2"), S("2"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_aof_reader_config_init(&rc);
    rc.vfs = vfs;
    rc.chunk_size = 1024;
    EPT_CHECK_OK(ep_aof_reader_open(P, &rc, &r, NULL));
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.value.len == big && memcmp(rec.value.data, v, big) == 0);
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK(rec.key.len == 6);
    EPT_CHECK_EQ(ep_aof_reader_next(r, &rec), EP_END);
    ep_aof_reader_close(r);
    /* The reader's record cap. */
    rc.max_record_size = 1u << 20;
    EPT_CHECK_OK(ep_aof_reader_open(P, &rc, &r, NULL));
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK_EQ(ep_aof_reader_next(r, &rec), EP_ERR_LIMIT);
    EPT_CHECK(ep_aof_reader_error(r)->offset == 5 + 27 && ep_aof_reader_error(r)->index == 1);
    ep_aof_reader_close(r);
    free(v);
    ep_vfs_mem_free(vfs);
}

/* ---- policies ------------------------------------------------------------------ */

typedef struct fake_clock { uint64_t ms; } fake_clock;
static uint64_t fake_now(void *u) { return ((fake_clock *)u)->ms; }

EPT_CASE(policies_sync_when_they_should) {
    ep_vfs *vfs = mem_vfs(), *fv;
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    ep_aof_stats s;
    fake_clock clk = {1000};
    ep_aof_record recs[5];
    int i;
    EPT_CHECK_OK(fault_vfs_create(vfs, &fv));
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = fv;
    cfg.clock_ms = fake_now;
    cfg.clock_user = &clk;
    /* ALWAYS: synced after every call; a batch syncs once. */
    cfg.fsync = EP_FSYNC_ALWAYS;
    EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, NULL));
    fault_vfs_reset_count(fv);
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("1"), -1));
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.synced_offset == s.size && fault_vfs_count(fv, FAULT_SYNC) == 1);
    memset(recs, 0, sizeof recs);
    for (i = 0; i < 5; i++) {
        recs[i].tag = EP_AOF_INCR;
        recs[i].key = S("n");
    }
    EPT_CHECK_OK(ep_aof_append_batch(w, recs, 5));
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.synced_offset == s.size && fault_vfs_count(fv, FAULT_SYNC) == 2);
    EPT_CHECK_OK(ep_aof_batch_begin(w));
    EPT_CHECK_OK(ep_aof_incr(w, S("n")));
    EPT_CHECK_OK(ep_aof_incr(w, S("n")));
    EPT_CHECK_EQ(fault_vfs_count(fv, FAULT_SYNC), 2);
    EPT_CHECK_OK(ep_aof_batch_end(w));
    EPT_CHECK_EQ(fault_vfs_count(fv, FAULT_SYNC), 3);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    /* EVERYSEC: nothing until a second passes; tick syncs when idle. */
    cfg.fsync = EP_FSYNC_EVERYSEC;
    EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, NULL));
    fault_vfs_reset_count(fv);
    EPT_CHECK_OK(ep_aof_set(w, S("b"), S("2"), -1));
    clk.ms += 999;
    EPT_CHECK_OK(ep_aof_set(w, S("c"), S("3"), -1));
    EPT_CHECK_OK(ep_aof_writer_tick(w));
    EPT_CHECK_EQ(fault_vfs_count(fv, FAULT_SYNC | FAULT_WRITE), 0);
    clk.ms += 1;
    EPT_CHECK_OK(ep_aof_set(w, S("d"), S("4"), -1));
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.synced_offset == s.size && fault_vfs_count(fv, FAULT_SYNC) == 1);
    EPT_CHECK_OK(ep_aof_set(w, S("e"), S("5"), -1));
    clk.ms += 1500;
    EPT_CHECK_OK(ep_aof_writer_tick(w));
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.synced_offset == s.size && fault_vfs_count(fv, FAULT_SYNC) == 2);
    clk.ms += 5000;
    EPT_CHECK_OK(ep_aof_writer_tick(w)); /* nothing new: no sync */
    EPT_CHECK_EQ(fault_vfs_count(fv, FAULT_SYNC), 2);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    /* NO: never syncs; writes when the buffer fills; close flushes. */
    cfg.fsync = EP_FSYNC_NO;
    cfg.buffer_size = 256;
    EPT_CHECK_OK(ep_aof_writer_open(P, &cfg, &w, NULL));
    fault_vfs_reset_count(fv);
    for (i = 0; i < 100; i++) EPT_CHECK_OK(ep_aof_set(w, S("key"), S("0123456789"), -1));
    clk.ms += 10000;
    EPT_CHECK_OK(ep_aof_writer_tick(w));
    EPT_CHECK_EQ(fault_vfs_count(fv, FAULT_SYNC), 0);
    EPT_CHECK(fault_vfs_count(fv, FAULT_WRITE) >= 10);
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.flushed_offset < s.size && s.records == 100);
    EPT_CHECK_OK(ep_aof_writer_flush(w));
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.flushed_offset == s.size && s.synced_offset < s.size);
    EPT_CHECK_OK(ep_aof_writer_sync(w));
    ep_aof_writer_stats(w, &s);
    EPT_CHECK(s.synced_offset == s.size);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(vfs);
}

/* ---- faults ------------------------------------------------------------------- */

EPT_CASE(failed_sync_poisons) {
    ep_vfs *vfs = mem_vfs(), *fv;
    ep_aof_writer *w;
    ep_aof_status st;
    reclist got;
    EPT_CHECK_OK(fault_vfs_create(vfs, &fv));
    EPT_CHECK((w = open_writer(fv, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("1"), -1));
    fault_vfs_arm(fv, FAULT_SYNC, 1, EP_ERR_IO);
    EPT_CHECK_EQ(ep_aof_set(w, S("b"), S("2"), -1), EP_ERR_IO);
    EPT_CHECK(ep_aof_writer_error(w)->code == EP_ERR_IO);
    fault_vfs_disarm(fv);
    EPT_CHECK_EQ(ep_aof_set(w, S("c"), S("3"), -1), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_aof_writer_sync(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_aof_writer_flush(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_aof_writer_tick(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_aof_writer_rewrite(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_aof_batch_begin(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_aof_lpush(w, S("l"), NULL, 0), EP_ERR_POISONED);
    EPT_CHECK(ep_aof_writer_error(w)->code == EP_ERR_IO); /* the original failure is kept */
    EPT_CHECK_EQ(ep_aof_writer_close(w), EP_ERR_POISONED);
    EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, &st, 0), EP_END);
    EPT_CHECK(got.n >= 1 && got.n <= 2);
    rl_free(&got);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(failed_write_is_cut_back_and_writer_stays_usable) {
    ep_vfs *vfs = mem_vfs(), *fv;
    ep_aof_writer *w;
    reclist got;
    ep_aof_status st;
    EPT_CHECK_OK(fault_vfs_create(vfs, &fv));
    EPT_CHECK((w = open_writer(fv, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("1"), -1));
    fault_vfs_set_partial(fv, FAULT_PARTIAL_HALF);
    fault_vfs_arm(fv, FAULT_WRITE, 1, EP_ERR_NO_SPACE);
    EPT_CHECK_EQ(ep_aof_set(w, S("b"), S("2"), -1), EP_ERR_NO_SPACE);
    EPT_CHECK(ep_aof_writer_error(w)->code == EP_ERR_NO_SPACE);
    fault_vfs_disarm(fv);
    EPT_CHECK_OK(ep_aof_set(w, S("c"), S("3"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, &st, 0), EP_END);
    EPT_CHECK(got.n == 2 && st.end == EP_AOF_END_CLEAN);
    EPT_CHECK(got.enc[1].data[5] == 'c');
    rl_free(&got);
    /* Write and the cut-back both fail: poisoned, and the half record is
     * a torn tail that the next open trims. */
    EPT_CHECK((w = open_writer(fv, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    fault_vfs_arm(fv, FAULT_WRITE | FAULT_TRUNCATE, 1, EP_ERR_IO);
    fault_vfs_set_sticky(fv, 1);
    EPT_CHECK_EQ(ep_aof_set(w, S("d"), S("4"), -1), EP_ERR_IO);
    EPT_CHECK_EQ(ep_aof_set(w, S("e"), S("5"), -1), EP_ERR_POISONED);
    ep_aof_writer_close(w);
    fault_vfs_set_sticky(fv, 0);
    fault_vfs_disarm(fv);
    EPT_CHECK((w = open_writer(fv, P, EP_FSYNC_ALWAYS, NULL)) != NULL);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(vfs, P, NULL, &got, &st, 0), EP_END);
    EPT_CHECK(got.n == 2 && st.end == EP_AOF_END_CLEAN);
    rl_free(&got);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(vfs);
}

/* The workload used by the fail-the-Nth-op loop: open, appends under each
 * policy, sync, rewrite, more appends, close. Returns the first error. */
static ep_result nth_workload(ep_vfs *vfs, const ep_key *key, int *acked) {
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    ep_result r;
    ep_bytes two[2];
    double sc[2] = {1, 2};
    int i;
    two[0] = S("x");
    two[1] = S("y");
    *acked = 0;
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.key = key;
    cfg.fsync = EP_FSYNC_ALWAYS;
    cfg.buffer_size = 64;
    if ((r = ep_aof_writer_open(P, &cfg, &w, NULL)) != EP_OK) return r;
    for (i = 0; i < 4 && r == EP_OK; i++) {
        r = ep_aof_set(w, S("k"), S("some value bytes"), i);
        if (r == EP_OK) r = ep_aof_zadd(w, S("z"), sc, two, 2);
        if (r == EP_OK) (*acked)++;
    }
    if (r == EP_OK) r = ep_aof_writer_sync(w);
    if (r == EP_OK) r = ep_aof_writer_rewrite(w);
    if (r == EP_OK) r = ep_aof_hset(w, S("h"), two, two, 2);
    if (r == EP_OK) r = ep_aof_writer_flush(w);
    if (r != EP_OK) {
        ep_result c = ep_aof_writer_close(w);
        (void)c;
        return r;
    }
    return ep_aof_writer_close(w);
}

static void nth_loop(const ep_key *key) {
    ep_vfs *vfs, *fv;
    uint64_t total, n;
    int acked;
    long failures = 0;
    /* Learn the number of operations. */
    vfs = mem_vfs();
    EPT_CHECK_OK(fault_vfs_create(vfs, &fv));
    EPT_CHECK_OK(nth_workload(fv, key, &acked));
    total = fault_vfs_count(fv, FAULT_ALL);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(vfs);
    for (n = 1; n <= total; n++) {
        int sticky;
        for (sticky = 0; sticky < 2; sticky++) {
            ep_result r;
            reclist got;
            ep_aof_status st;
            vfs = mem_vfs();
            EPT_CHECK_OK(fault_vfs_create(vfs, &fv));
            fault_vfs_arm(fv, FAULT_ALL, n, EP_ERR_IO);
            fault_vfs_set_sticky(fv, sticky);
            fault_vfs_set_partial(fv, 3);
            r = nth_workload(fv, key, &acked);
            if (fault_vfs_fired(fv)) {
                /* The one fault not reported: closing the file a rewrite has
                 * just replaced (its content is obsolete; rewrite succeeded). */
                failures += r != EP_OK;

            }
            fault_vfs_disarm(fv);
            fault_vfs_set_sticky(fv, 0);
            /* Whatever happened, the file reads cleanly or as a torn tail,
             * and a new writer can open and append to it. */
            r = read_all(vfs, P, key, &got, &st, 0);
            rl_free(&got);
            if (r != EP_END && r != EP_ERR_EOF && r != EP_ERR_NOT_FOUND) {
                char m[160];
                snprintf(m, sizeof m, "fault at op %lu (sticky %d): reading gave %d: %s", (unsigned long)n, sticky,
                         (int)r, st.error.message);
                ept_fail(__FILE__, __LINE__, m);
            } else {
                ep_aof_writer *w = open_writer(vfs, P, EP_FSYNC_ALWAYS, key);
                EPT_CHECK(w != NULL);
                EPT_CHECK_OK(ep_aof_set(w, S("after"), S("fault"), -1));
                EPT_CHECK_OK(ep_aof_writer_close(w));
                EPT_CHECK_EQ(read_all(vfs, P, key, &got, &st, 0), EP_END);
                EPT_CHECK(st.end == EP_AOF_END_CLEAN && got.n >= 1);
                rl_free(&got);
            }
            fault_vfs_destroy(fv);
            ep_vfs_mem_free(vfs);
        }
    }
    printf("    %lu operations, %ld runs reported the fault\n", (unsigned long)total, failures);
}

EPT_CASE(fail_every_nth_operation) { nth_loop(NULL); }
EPT_CASE(fail_every_nth_operation_encrypted) {
    ep_key *key = key_of(0x11);
    nth_loop(key);
    ep_key_free(key);
}

/* The OS vfs end to end in a real directory. */
EPT_CASE(os_vfs_round_trip) {
    char path[512];
    ep_aof_writer *w;
    ep_aof_writer_config cfg;
    reclist got;
    ep_aof_status st;
    ep_vfs os;
    EPT_CHECK_OK(ep_aof_path(ept_tmpdir(), 7, path, sizeof path));
    ep_aof_writer_config_init(&cfg);
    cfg.fsync = EP_FSYNC_ALWAYS;
    EPT_CHECK_OK(ep_aof_writer_open(path, &cfg, &w, NULL));
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("b"), -1));
    EPT_CHECK_OK(ep_aof_writer_rewrite(w));
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("b"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    EPT_CHECK(file_equals(&os, path, V1, sizeof V1));
    EPT_CHECK_EQ(read_all(&os, path, NULL, &got, &st, 0), EP_END);
    EPT_CHECK(got.n == 1);
    rl_free(&got);
}

/* create_dir: off, a missing directory is an error; on, open makes every
 * missing level and its entry survives a power cut right after open. */
EPT_CASE(writer_creates_its_directory_when_asked) {
    ep_vfs *v = NULL;
    ep_aof_writer *w = NULL;
    ep_aof_writer_config cfg;
    reclist got;
    ep_aof_status st;
    uint64_t size, seed = ept_seed(), k;
    sim_crash_opts revert = {-1, SIM_DIR_REVERT_ALL};
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &v));
    ep_aof_writer_config_init(&cfg);
    cfg.vfs = v;
    cfg.fsync = EP_FSYNC_ALWAYS;
    EPT_CHECK_EQ(ep_aof_writer_open("x/y/z/shard-0.aof", &cfg, &w, NULL), EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(v->stat(v, "x", &size, NULL), EP_ERR_NOT_FOUND);
    cfg.create_dir = 1;
    EPT_CHECK_OK(ep_aof_writer_open("x/y/z/shard-0.aof", &cfg, &w, NULL));
    EPT_CHECK_OK(ep_aof_set(w, S("k"), S("v"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(v->stat(v, "x/y/z", &size, NULL));
    /* again with the directories there: nothing changes */
    EPT_CHECK_OK(ep_aof_writer_open("x/y/z/shard-0.aof", &cfg, &w, NULL));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(v, "x/y/z/shard-0.aof", NULL, &got, &st, 0), EP_END);
    EPT_CHECK_EQ(got.n, 1);
    rl_free(&got);
    ep_vfs_mem_free(v);
    /* power loss at every operation of open + one synced SET: once the SET
     * returned, the file is found with its record after the crash */
    for (k = 0;; k++) {
        int acked = 0, dead;
        EPT_CHECK_OK(sim_vfs_create(&v));
        cfg.vfs = v;
        sim_vfs_set_crash_after(v, k);
        if (ep_aof_writer_open("a/b/shard-0.aof", &cfg, &w, NULL) == EP_OK) {
            acked = ep_aof_set(w, S("k"), S("v"), -1) == EP_OK;
            ep_aof_writer_drop_after_fork(w); /* no close: the machine died */
        }
        dead = sim_vfs_is_dead(v);
        sim_crash_ex(v, seed + k, &revert); /* every unsynced directory entry lost */
        if (acked) {
            EPT_CHECK_EQ(read_all(v, "a/b/shard-0.aof", NULL, &got, &st, 0), EP_END);
            EPT_CHECK_EQ(got.n, 1);
            rl_free(&got);
        }
        sim_vfs_destroy(v);
        if (!dead) break;
        if (k > 1000) {
            EPT_CHECK(!"the workload never completed");
            break;
        }
    }
    printf("    power cut at each of %lu operations\n", (unsigned long)k);
}

#ifndef _WIN32
/* A child after fork() drops the writer: the parent's buffered records are
 * not written by the child, the parent's lock stays held, and the parent
 * goes on appending as if nothing happened. */
EPT_CASE(child_drops_writer_after_fork) {
    char path[512];
    ep_aof_writer *w, *w2 = NULL;
    ep_aof_writer_config cfg;
    reclist got;
    ep_aof_status st;
    ep_vfs os;
    uint64_t size = 0;
    pid_t pid;
    int status = 0;
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    EPT_CHECK_OK(ep_aof_path(ept_tmpdir(), 9, path, sizeof path));
    (void)os.remove(&os, path, NULL);
    ep_aof_writer_config_init(&cfg);
    cfg.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open(path, &cfg, &w, NULL));
    EPT_CHECK_OK(ep_aof_set(w, S("a"), S("1"), -1));
    EPT_CHECK_OK(ep_aof_set(w, S("b"), S("2"), -1)); /* both still in the buffer */
    EPT_CHECK_OK(os.stat(&os, path, &size, NULL));
    EPT_CHECK_EQ(size, EP_AOF_HEADER_SIZE);
    fflush(stdout);
    pid = fork();
    EPT_CHECK(pid >= 0);
    if (pid == 0) {
        ep_aof_writer *c = NULL;
        int code = 0;
        ep_aof_writer_drop_after_fork(w);
        /* the parent still holds the lock */
        if (ep_aof_writer_open(path, &cfg, &c, NULL) != EP_ERR_LOCKED) code = 1;
        _exit(code);
    }
    EPT_CHECK(waitpid(pid, &status, 0) == pid);
    EPT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EPT_CHECK_OK(os.stat(&os, path, &size, NULL));
    EPT_CHECK_EQ(size, EP_AOF_HEADER_SIZE); /* the child flushed nothing */
    EPT_CHECK_EQ(ep_aof_writer_open(path, &cfg, &w2, NULL), EP_ERR_LOCKED); /* still ours */
    EPT_CHECK_OK(ep_aof_set(w, S("c"), S("3"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(read_all(&os, path, NULL, &got, &st, 0), EP_END);
    EPT_CHECK_EQ(got.n, 3);
    EPT_CHECK_EQ(st.end, EP_AOF_END_CLEAN);
    rl_free(&got);
    ep_aof_writer_drop_after_fork(NULL);
}
#endif

/* Memory a small device can plan: read buffers follow the file, not the
 * configured (256 KiB) size, and the write buffer is the configured one. */
EPT_CASE(peak_allocation_follows_the_file_not_the_config) {
    ept_counting ca;
    ep_allocator a = ept_counting_alloc(&ca);
    ep_vfs *v = mem_vfs();
    ep_aof_writer_config wc;
    ep_aof_reader_config rc;
    ep_aof_writer *w;
    ep_aof_reader *r;
    ep_aof_record rec;
    size_t base;
    EPT_CHECK(v);
    ep_aof_writer_config_init(&wc);
    wc.vfs = v;
    wc.alloc = &a;
    wc.buffer_size = 256;
    ca.peak = ca.live = 0;
    EPT_CHECK_OK(ep_aof_writer_open(P, &wc, &w, NULL)); /* a new, 5-byte file */
    EPT_CHECK(ca.peak < 4096);                           /* handle + paths + 256 + 64 */
    EPT_CHECK_OK(ep_aof_set(w, S("k"), S("v"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_EQ(ca.live, 0);
    /* reopen: the scan reads a 23-byte body with a 23-byte buffer, not 256 KiB */
    ca.peak = 0;
    EPT_CHECK_OK(ep_aof_writer_open(P, &wc, &w, NULL));
    EPT_CHECK(ca.peak < 4096);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    /* the reader: the handle, then one buffer the size of the body */
    ep_aof_reader_config_init(&rc);
    rc.vfs = v;
    rc.alloc = &a;
    ca.peak = 0;
    EPT_CHECK_OK(ep_aof_reader_open(P, &rc, &r, NULL));
    base = ca.live;
    EPT_CHECK_OK(ep_aof_reader_next(r, &rec));
    EPT_CHECK_EQ(ep_aof_reader_next(r, &rec), EP_END);
    EPT_CHECK_EQ(ca.peak - base, 23); /* 1 + 4+1 + 4+1 + 8 + CRC 4 */
    ep_aof_reader_close(r);
    EPT_CHECK_EQ(ca.live, 0);
    ep_vfs_mem_free(v);
}

EPT_MAIN()
