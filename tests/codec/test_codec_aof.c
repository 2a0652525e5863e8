/* codec_aof: every AOF vector of ember-format.md §7 both ways, the aof.rs
 * record round trips of §6, every tag with edge values, caps, UTF-8 and
 * value checks, and frame on every prefix. zlib's crc32 is the CRC oracle. */
#include "ember_persist.h"
#include "harness.h"
#include "support/oracle_crc.h"
#include "ember_vectors.h"
#include "support/slow_decode.h"

#include <math.h>
#include <stdlib.h>

static ep_bytes S(const char *s) { return ep_bytes_of(s, strlen(s)); }

static int bytes_eq(ep_bytes a, ep_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static uint32_t zcrc(const uint8_t *p, size_t n) { return ept_oracle_crc32(0, p, n); }

/* A plaintext file vector: header 5 bytes, then records with CRCs. Checks
 * each record's CRC with zlib, decodes it, re-encodes it and compares. */
static int check_file_vector(const uint8_t *v, size_t n, int nrec, ep_aof_record *first) {
    size_t pos = 5;
    int i;
    ep_buf b;
    if (n < 5 || memcmp(v, "EAOF", 4) != 0) return 0;
    ep_buf_init(&b, NULL);
    for (i = 0; i < nrec; i++) {
        ep_aof_record rec;
        size_t used;
        if (ep_aof_decode(v + pos, n - pos, &rec, &used) != EP_OK) break;
        if (pos + used + 4 > n) break;
        if (zcrc(v + pos, used) != ep_load_u32le(v + pos + used)) break;
        ep_buf_reset(&b);
        if (ep_aof_encode(&b, &rec) != EP_OK || b.len != used || memcmp(b.data, v + pos, used) != 0) break;
        if (i == 0 && first) *first = rec;
        pos += used + 4;
    }
    ep_buf_free(&b);
    return i == nrec && pos == n;
}

static const uint8_t BITOP_PAYLOAD[] = {0x22, 0x02, 0x01, 0x00, 0x00, 0x00, 0x64, 0x02, 0x00, 0x00, 0x00,
                                        0x01, 0x00, 0x00, 0x00, 0x61, 0x01, 0x00, 0x00, 0x00, 0x62};
static const uint8_t VADD_PAYLOAD[] = {0x19, 0x01, 0x00, 0x00, 0x00, 0x76, 0x01, 0x00, 0x00, 0x00, 0x65,
                                       0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20,
                                       0xc0, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00};

EPT_CASE(vector_v1_set) {
    ep_aof_record r;
    EPT_CHECK(check_file_vector(V1, sizeof V1, 1, &r));
    EPT_CHECK_EQ(r.tag, EP_AOF_SET);
    EPT_CHECK(bytes_eq(r.key, S("a")) && bytes_eq(r.value, S("b")));
    EPT_CHECK_EQ(r.num, -1);
    EPT_CHECK(zcrc(V1 + 5, 19) == 0x180FE15Bu);
}

EPT_CASE(vector_v2_del) {
    ep_aof_record r;
    EPT_CHECK(check_file_vector(V2, sizeof V2, 1, &r));
    EPT_CHECK_EQ(r.tag, EP_AOF_DEL);
    EPT_CHECK(bytes_eq(r.key, S("a")));
}

EPT_CASE(vector_v3_zadd) {
    ep_aof_record r;
    ep_items_iter it;
    ep_item item;
    EPT_CHECK(check_file_vector(V3, sizeof V3, 1, &r));
    EPT_CHECK_EQ(r.tag, EP_AOF_ZADD);
    EPT_CHECK_EQ(r.items.count, 1);
    ep_items_iter_init(&it, &r.items);
    EPT_CHECK(ep_items_next(&it, &item));
    EPT_CHECK(item.score == 1.5 && bytes_eq(item.a, S("m")));
    EPT_CHECK(!ep_items_next(&it, &item));
}

EPT_CASE(vector_v3b_hset_expire) {
    ep_aof_record r;
    ep_items_iter it;
    ep_item item;
    size_t used;
    EPT_CHECK(check_file_vector(V3b, sizeof V3b, 2, &r));
    EPT_CHECK_EQ(r.tag, EP_AOF_HSET);
    ep_items_iter_init(&it, &r.items);
    EPT_CHECK(ep_items_next(&it, &item));
    EPT_CHECK(bytes_eq(item.a, S("f")) && bytes_eq(item.b, S("x")));
    EPT_CHECK_OK(ep_aof_decode(V3b + 29, sizeof V3b - 29, &r, &used));
    EPT_CHECK(r.tag == EP_AOF_EXPIRE && r.num == 60 && bytes_eq(r.key, S("h")));
}

EPT_CASE(vector_v3c_pexpireat) {
    ep_aof_record r;
    EPT_CHECK(check_file_vector(V3c, sizeof V3c, 1, &r));
    EPT_CHECK(r.tag == EP_AOF_PEXPIREAT && r.num == 1700000000000LL);
}

EPT_CASE(vector_v3d_lset_accepted) {
    ep_aof_record r;
    EPT_CHECK(check_file_vector(V3d, sizeof V3d, 1, &r));
    EPT_CHECK(r.tag == EP_AOF_LSET && r.num == -1 && bytes_eq(r.value, S("Z")));
}

EPT_CASE(vector_bitop_payload) {
    ep_aof_record r, built;
    size_t used;
    ep_buf b, items;
    ep_bytes keys[2];
    EPT_CHECK_OK(ep_aof_decode(BITOP_PAYLOAD, sizeof BITOP_PAYLOAD, &r, &used));
    EPT_CHECK_EQ(used, sizeof BITOP_PAYLOAD);
    EPT_CHECK(r.tag == EP_AOF_BITOP && r.flag == EP_BITOP_XOR && bytes_eq(r.key, S("d")));
    EPT_CHECK_EQ(r.items.count, 2);
    /* Build it from scratch too. */
    keys[0] = S("a");
    keys[1] = S("b");
    ep_buf_init(&items, NULL);
    ep_buf_init(&b, NULL);
    memset(&built, 0, sizeof built);
    built.tag = EP_AOF_BITOP;
    built.flag = EP_BITOP_XOR;
    built.key = S("d");
    EPT_CHECK_OK(ep_items_build(&items, EP_ITEMS_STR, keys, NULL, NULL, 2, &built.items));
    EPT_CHECK_OK(ep_aof_encode(&b, &built));
    EPT_CHECK_EQ(b.len, sizeof BITOP_PAYLOAD);
    EPT_CHECK_MEM(b.data, BITOP_PAYLOAD, b.len);
    ep_buf_free(&b);
    ep_buf_free(&items);
}

EPT_CASE(vector_vadd_payload) {
    ep_aof_record r, built;
    size_t used;
    ep_buf b;
    uint8_t vec[8];
    EPT_CHECK_OK(ep_aof_decode(VADD_PAYLOAD, sizeof VADD_PAYLOAD, &r, &used));
    EPT_CHECK_EQ(used, sizeof VADD_PAYLOAD);
    EPT_CHECK(r.tag == EP_AOF_VADD && bytes_eq(r.key, S("v")) && bytes_eq(r.key2, S("e")));
    EPT_CHECK(r.dim == 2 && ep_load_f32le(r.vector.data) == 1.0f && ep_load_f32le(r.vector.data + 4) == -2.5f);
    EPT_CHECK(r.flag == 1 && r.flag2 == 0 && r.connectivity == 16 && r.expansion_add == 64);
    memset(&built, 0, sizeof built);
    built.tag = EP_AOF_VADD;
    built.key = S("v");
    built.key2 = S("e");
    built.dim = 2;
    ep_store_f32le(vec, 1.0f);
    ep_store_f32le(vec + 4, -2.5f);
    built.vector = ep_bytes_of(vec, 8);
    built.flag = 1;
    built.connectivity = 16;
    built.expansion_add = 64;
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_aof_encode(&b, &built));
    EPT_CHECK_EQ(b.len, sizeof VADD_PAYLOAD);
    EPT_CHECK_MEM(b.data, VADD_PAYLOAD, b.len);
    ep_buf_free(&b);
}

EPT_CASE(encode_matches_vectors_from_scratch) {
    ep_aof_record r;
    ep_buf b;
    ep_buf_init(&b, NULL);
    memset(&r, 0, sizeof r);
    r.tag = EP_AOF_SET;
    r.key = S("a");
    r.value = S("b");
    r.num = -1;
    EPT_CHECK_OK(ep_aof_encode(&b, &r));
    EPT_CHECK(b.len == 19 && memcmp(b.data, V1 + 5, 19) == 0);
    ep_buf_reset(&b);
    memset(&r, 0, sizeof r);
    r.tag = EP_AOF_PEXPIREAT;
    r.key = S("a");
    r.num = 1700000000000LL;
    EPT_CHECK_OK(ep_aof_encode(&b, &r));
    EPT_CHECK(b.len == sizeof V3c - 9 && memcmp(b.data, V3c + 5, b.len) == 0);
    ep_buf_free(&b);
}

EPT_CASE(tag_names) {
    int t;
    EPT_CHECK(ep_aof_tag_name(0) == NULL && ep_aof_tag_name(36) == NULL && ep_aof_tag_name(255) == NULL);
    EPT_CHECK(strcmp(ep_aof_tag_name(1), "SET") == 0 && strcmp(ep_aof_tag_name(35), "PEXPIREAT") == 0);
    EPT_CHECK(strcmp(ep_aof_tag_name(23), "PROTO.SET") == 0 && strcmp(ep_aof_tag_name(34), "BITOP") == 0);
    for (t = 1; t <= 35; t++) EPT_CHECK(ep_aof_tag_name((uint8_t)t) != NULL);
}

/* ---- every tag, built from parameters --------------------------------- */

typedef struct sample {
    ep_aof_record rec;
    ep_buf items;
    uint8_t vec[4 * 64];
} sample;

static ep_items_kind kind_of(uint8_t tag) {
    switch (tag) {
    case EP_AOF_LPUSH: case EP_AOF_RPUSH: return EP_ITEMS_BYTES;
    case EP_AOF_ZADD: return EP_ITEMS_SCORE_MEMBER;
    case EP_AOF_HSET: return EP_ITEMS_FIELD_VALUE;
    case EP_AOF_ZREM: case EP_AOF_HDEL: case EP_AOF_SADD: case EP_AOF_SREM: case EP_AOF_BITOP:
        return EP_ITEMS_STR;
    default: return EP_ITEMS_NONE;
    }
}

/* Fills every field the tag uses with the given edge material. */
static int make_sample(sample *s, uint8_t tag, ep_bytes key, ep_bytes val, int64_t num, uint32_t n,
                       const ep_bytes *elems, const ep_bytes *vals, const double *scores, uint32_t dim) {
    ep_items_kind k = kind_of(tag);
    uint32_t i;
    memset(&s->rec, 0, sizeof s->rec);
    ep_buf_init(&s->items, NULL);
    s->rec.tag = tag;
    s->rec.key = key;
    s->rec.key2 = key;
    s->rec.value = val;
    s->rec.pivot = val;
    s->rec.num = num;
    s->rec.num2 = ~num;
    s->rec.flag = tag == EP_AOF_BITOP ? (uint8_t)(n % 4) : (uint8_t)(num & 0xff);
    s->rec.flag2 = (uint8_t)(num >> 8);
    if (k != EP_ITEMS_NONE && ep_items_build(&s->items, k, elems, vals, scores, n, &s->rec.items) != EP_OK)
        return 0;
    if (tag == EP_AOF_VADD) {
        s->rec.dim = dim;
        for (i = 0; i < dim; i++) ep_store_f32le(s->vec + 4 * i, scores ? (float)scores[i % (n ? n : 1)] : 1.0f);
        s->rec.vector = ep_bytes_of(s->vec, 4u * dim);
        s->rec.connectivity = 0xFFFFFFFFu;
        s->rec.expansion_add = 7;
    }
    return 1;
}

static int records_equal(const ep_aof_record *a, const ep_aof_record *b) {
    ep_items_iter ia, ib;
    ep_item x, y;
    if (a->tag != b->tag) return 0;
    if (!bytes_eq(a->key, b->key) || !bytes_eq(a->key2, b->key2) || !bytes_eq(a->value, b->value) ||
        !bytes_eq(a->pivot, b->pivot))
        return 0;
    if (a->num != b->num || a->num2 != b->num2 || a->flag != b->flag || a->flag2 != b->flag2) return 0;
    if (a->dim != b->dim || !bytes_eq(a->vector, b->vector)) return 0;
    if (a->connectivity != b->connectivity || a->expansion_add != b->expansion_add) return 0;
    if (a->items.count != b->items.count) return 0;
    ep_items_iter_init(&ia, &a->items);
    ep_items_iter_init(&ib, &b->items);
    for (;;) {
        int na = ep_items_next(&ia, &x), nb = ep_items_next(&ib, &y);
        uint64_t sx, sy;
        if (na != nb) return 0;
        if (!na) break;
        memcpy(&sx, &x.score, 8);
        memcpy(&sy, &y.score, 8);
        if (sx != sy || !bytes_eq(x.a, y.a) || !bytes_eq(x.b, y.b)) return 0;
    }
    return 1;
}

/* Blanks the fields a tag does not use, so a decoded record compares equal. */
static void keep_used_fields(ep_aof_record *r) {
    static const char *const layout[36] = {
        "", "kvn", "k", "kn", "kI", "kI", "k", "k", "kI", "kI", "k", "kn", "k", "k", "kI", "kI", "kKn", "kI",
        "kI", "kn", "kn", "kv", "kK", "kKvn", "kv", "kKVfgce", "kK", "kKf", "knv", "knm", "kfpv", "knv", "knv",
        "knf", "fkI", "kn"};
    const char *l = layout[r->tag];
    ep_bytes none = {NULL, 0};
    if (!strchr(l, 'K')) r->key2 = none;
    if (!strchr(l, 'v')) r->value = none;
    if (!strchr(l, 'p')) r->pivot = none;
    if (!strchr(l, 'n')) r->num = 0;
    if (!strchr(l, 'm')) r->num2 = 0;
    if (!strchr(l, 'f')) r->flag = 0;
    if (!strchr(l, 'g')) r->flag2 = 0;
    if (!strchr(l, 'V')) { r->dim = 0; r->vector = none; }
    if (!strchr(l, 'c')) r->connectivity = 0;
    if (!strchr(l, 'e')) r->expansion_add = 0;
}

/* encode -> decode -> compare -> re-encode identical; every prefix is EOF. */
static int round_trip(sample *s) {
    ep_buf b, b2;
    ep_aof_record d;
    size_t used, cut;
    int ok = 0;
    ep_buf_init(&b, NULL);
    ep_buf_init(&b2, NULL);
    keep_used_fields(&s->rec);
    if (ep_aof_encode(&b, &s->rec) != EP_OK) goto out;
    if (ep_aof_decode(b.data, b.len, &d, &used) != EP_OK || used != b.len) goto out;
    if (!records_equal(&s->rec, &d)) goto out;
    if (ep_aof_encode(&b2, &d) != EP_OK || b2.len != b.len || memcmp(b.data, b2.data, b.len) != 0) goto out;
    /* Every strict prefix frames as torn (EOF); short records get every cut,
     * long ones a sample of cuts. */
    for (cut = 0; cut < b.len; cut += (b.len > 4096 ? 997 : 1))
        if (ep_aof_frame(b.data, cut, &d, &used) != EP_ERR_EOF) goto out;
    ok = 1;
out:
    ep_buf_free(&b);
    ep_buf_free(&b2);
    return ok;
}

EPT_CASE(every_tag_round_trips_with_edge_values) {
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    static const uint8_t ff[3] = {0xff, 0x00, 0xff};
    uint8_t *big = (uint8_t *)malloc(100 * 1000);
    ep_bytes elems[5], vals[5];
    double scores[8];
    int64_t nums[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1700000000000LL};
    uint64_t bits;
    int tag, ni, shape;
    EPT_CHECK(big != NULL);
    memset(big, 0x5a, 100 * 1000);
    scores[0] = NAN;
    scores[1] = INFINITY;
    scores[2] = -INFINITY;
    scores[3] = -0.0;
    scores[4] = 4.9406564584124654e-324; /* smallest subnormal */
    bits = 0x7ff4000000000001ull;        /* a signalling NaN bit pattern */
    memcpy(&scores[5], &bits, 8);
    scores[6] = 1.5;
    scores[7] = -1e300;
    elems[0] = S("");
    elems[1] = S("member");
    elems[2] = S("\xc3\xa9t\xc3\xa9"); /* UTF-8 "été" */
    elems[3] = S("x");
    elems[4] = S("a longer member name");
    vals[0] = ep_bytes_of(zeros, 4);
    vals[1] = ep_bytes_of(ff, 3);
    vals[2] = S("");
    vals[3] = ep_bytes_of(big, 100 * 1000);
    vals[4] = S("v");
    for (tag = 1; tag <= 35; tag++) {
        for (ni = 0; ni < (int)(sizeof nums / sizeof nums[0]); ni++) {
            for (shape = 0; shape < 4; shape++) {
                sample s;
                uint32_t n = shape == 0 ? 0 : shape == 1 ? 1 : 5;
                ep_bytes key = shape == 0 ? S("") : shape == 3 ? S("k\xe2\x82\xac") : S("key");
                ep_bytes val = shape == 0 ? S("") : shape == 1 ? ep_bytes_of(ff, 3) : shape == 2 ? vals[3] : vals[0];
                int64_t num = nums[ni];
                if ((tag == EP_AOF_EXPIRE || tag == EP_AOF_PEXPIRE || tag == EP_AOF_PEXPIREAT) && num < 0) num = 0;
                EPT_CHECK(make_sample(&s, (uint8_t)tag, key, val, num, n, elems, vals, scores + shape,
                                      shape == 2 ? 64u : n));
                if (!round_trip(&s)) {
                    char m[96];
                    snprintf(m, sizeof m, "round trip of tag %d num %d shape %d", tag, ni, shape);
                    ept_fail(__FILE__, __LINE__, m);
                }
                ep_buf_free(&s.items);
            }
        }
    }
    free(big);
}

/* aof.rs record round trips (§6): the same records, checked field by field. */
EPT_CASE(ember_unit_record_round_trips) {
    sample s;
    ep_bytes ab[2], names[3];
    double sc[2];
    uint8_t vec[1536 * 4];
    ep_buf b;
    ep_aof_record d;
    size_t used;
    int i;
    ab[0] = S("a");
    ab[1] = S("b");
    names[0] = S("alice");
    names[1] = S("bob");
    names[2] = S("carol");
    sc[0] = 100.0;
    sc[1] = 200.5;
    EPT_CHECK(make_sample(&s, EP_AOF_SET, S("key"), S("val"), 5000, 0, NULL, NULL, NULL, 0) && round_trip(&s));
    EPT_CHECK(make_sample(&s, EP_AOF_SET, S("key"), S("val"), -1, 0, NULL, NULL, NULL, 0) && round_trip(&s));
    EPT_CHECK(make_sample(&s, EP_AOF_DEL, S("key"), S(""), 0, 0, NULL, NULL, NULL, 0) && round_trip(&s));
    EPT_CHECK(make_sample(&s, EP_AOF_EXPIRE, S("key"), S(""), 300, 0, NULL, NULL, NULL, 0) && round_trip(&s));
    EPT_CHECK(make_sample(&s, EP_AOF_LPUSH, S("l"), S(""), 0, 2, ab, NULL, NULL, 0) && round_trip(&s));
    ep_buf_free(&s.items);
    EPT_CHECK(make_sample(&s, EP_AOF_RPUSH, S("l"), S(""), 0, 1, ab, NULL, NULL, 0) && round_trip(&s));
    ep_buf_free(&s.items);
    EPT_CHECK(make_sample(&s, EP_AOF_ZADD, S("z"), S(""), 0, 2, names, NULL, sc, 0) && round_trip(&s));
    ep_buf_free(&s.items);
    EPT_CHECK(make_sample(&s, EP_AOF_ZREM, S("z"), S(""), 0, 1, names, NULL, NULL, 0) && round_trip(&s));
    ep_buf_free(&s.items);
    EPT_CHECK(make_sample(&s, EP_AOF_HSET, S("h"), S(""), 0, 2, names, ab, NULL, 0) && round_trip(&s));
    ep_buf_free(&s.items);
    EPT_CHECK(make_sample(&s, EP_AOF_HINCRBY, S("h"), S(""), -42, 0, NULL, NULL, NULL, 0) && round_trip(&s));
    EPT_CHECK(make_sample(&s, EP_AOF_SADD, S("s"), S(""), 0, 3, names, NULL, NULL, 0) && round_trip(&s));
    ep_buf_free(&s.items);
    /* VADD 1536-dim, metric 1, quantization 1 */
    memset(&d, 0, sizeof d);
    d.tag = EP_AOF_VADD;
    d.key = S("vecs");
    d.key2 = S("doc");
    d.dim = 1536;
    for (i = 0; i < 1536; i++) ep_store_f32le(vec + 4 * i, (float)i * 0.25f);
    d.vector = ep_bytes_of(vec, sizeof vec);
    d.flag = 1;
    d.flag2 = 1;
    d.connectivity = 16;
    d.expansion_add = 64;
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_aof_encode(&b, &d));
    EPT_CHECK_OK(ep_aof_decode(b.data, b.len, &s.rec, &used));
    EPT_CHECK(used == b.len && s.rec.dim == 1536 && s.rec.flag == 1 && s.rec.flag2 == 1);
    EPT_CHECK(ep_load_f32le(s.rec.vector.data + 4 * 1535) == 1535 * 0.25f);
    ep_buf_free(&b);
}

/* ---- structure errors ---------------------------------------------------- */

EPT_CASE(unknown_tags_and_empty_input) {
    uint8_t b[16];
    ep_aof_record r;
    size_t used;
    int t;
    EPT_CHECK_EQ(ep_aof_frame(b, 0, &r, &used), EP_ERR_EOF);
    EPT_CHECK_EQ(ep_aof_frame(NULL, 0, &r, &used), EP_ERR_EOF);
    memset(b, 0, sizeof b);
    for (t = 0; t < 256; t++) {
        if (t >= 1 && t <= 35) continue;
        b[0] = (uint8_t)t;
        EPT_CHECK_EQ(ep_aof_frame(b, sizeof b, &r, &used), EP_ERR_UNKNOWN_TAG);
        EPT_CHECK_EQ(ep_aof_frame(b, 1, &r, &used), EP_ERR_UNKNOWN_TAG);
    }
}

EPT_CASE(caps_are_checked_when_read) {
    /* V1's record followed by 01 ff ff ff ff: a SET whose key claims 4 GiB. */
    static const uint8_t huge_key[] = {0x01, 0xff, 0xff, 0xff, 0xff};
    /* SADD count 100,000,001 (§7) */
    static const uint8_t sadd[] = {0x11, 0x01, 0x00, 0x00, 0x00, 0x73, 0x01, 0xe1, 0xf5, 0x05};
    /* SADD count exactly 100,000,000: allowed, so the input is merely short. */
    static const uint8_t sadd_max[] = {0x11, 0x01, 0x00, 0x00, 0x00, 0x73, 0x00, 0xe1, 0xf5, 0x05};
    /* key length exactly 512 MiB: allowed (EOF); one more: limit. */
    static const uint8_t len_max[] = {0x02, 0x00, 0x00, 0x00, 0x20};
    static const uint8_t len_over[] = {0x02, 0x01, 0x00, 0x00, 0x20};
    uint8_t vadd[32];
    ep_aof_record r;
    size_t used;
    EPT_CHECK_EQ(ep_aof_frame(huge_key, sizeof huge_key, &r, &used), EP_ERR_LIMIT);
    EPT_CHECK_EQ(ep_aof_frame(sadd, sizeof sadd, &r, &used), EP_ERR_LIMIT);
    EPT_CHECK_EQ(ep_aof_frame(sadd_max, sizeof sadd_max, &r, &used), EP_ERR_EOF);
    EPT_CHECK_EQ(ep_aof_frame(len_max, sizeof len_max, &r, &used), EP_ERR_EOF);
    EPT_CHECK_EQ(ep_aof_frame(len_over, sizeof len_over, &r, &used), EP_ERR_LIMIT);
    /* VADD dim 65537 -> limit; 65536 -> just short. */
    memset(vadd, 0, sizeof vadd);
    vadd[0] = EP_AOF_VADD;
    ep_store_u32le(vadd + 1, 1);
    vadd[5] = 'v';
    ep_store_u32le(vadd + 6, 1);
    vadd[10] = 'e';
    ep_store_u32le(vadd + 11, 65537);
    EPT_CHECK_EQ(ep_aof_frame(vadd, sizeof vadd, &r, &used), EP_ERR_LIMIT);
    ep_store_u32le(vadd + 11, 65536);
    EPT_CHECK_EQ(ep_aof_frame(vadd, sizeof vadd, &r, &used), EP_ERR_EOF);
    /* An element length over the cap inside a collection. */
    {
        static const uint8_t lp[] = {0x04, 0x01, 0x00, 0x00, 0x00, 0x6c, 0x02, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x20};
        EPT_CHECK_EQ(ep_aof_frame(lp, sizeof lp, &r, &used), EP_ERR_LIMIT);
    }
}

/* A record with a valid layout but bytes that fail validate. */
EPT_CASE(validate_utf8_values_and_ops) {
    static const uint8_t del_ff[] = {0x02, 0x01, 0x00, 0x00, 0x00, 0xff};
    static const uint8_t expire_neg[] = {0x03, 0x01, 0x00, 0x00, 0x00, 0x68, 0xfb, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t bitop[sizeof BITOP_PAYLOAD];
    ep_aof_record r;
    size_t used;
    sample s;
    ep_bytes bad = S("\xc0\xaf"); /* overlong '/' */
    ep_bytes good[2], badl[2];
    double sc[2] = {1.0, 2.0};
    int tag;
    EPT_CHECK_OK(ep_aof_frame(del_ff, sizeof del_ff, &r, &used));
    EPT_CHECK_EQ(ep_aof_validate(&r), EP_ERR_UTF8);
    EPT_CHECK_EQ(ep_aof_decode(del_ff, sizeof del_ff, &r, &used), EP_ERR_UTF8);
    EPT_CHECK_EQ(ep_aof_decode(expire_neg, sizeof expire_neg, &r, &used), EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(r.num, -5);
    memcpy(bitop, BITOP_PAYLOAD, sizeof bitop);
    bitop[1] = 3;
    EPT_CHECK_OK(ep_aof_decode(bitop, sizeof bitop, &r, &used));
    bitop[1] = 4;
    EPT_CHECK_EQ(ep_aof_decode(bitop, sizeof bitop, &r, &used), EP_ERR_BAD_VALUE);
    bitop[1] = 0xff;
    EPT_CHECK_EQ(ep_aof_decode(bitop, sizeof bitop, &r, &used), EP_ERR_BAD_VALUE);
    /* Negative PEXPIRE / PEXPIREAT too; negative SET expiry and deltas are fine. */
    for (tag = 1; tag <= 35; tag++) {
        EPT_CHECK(make_sample(&s, (uint8_t)tag, S("k"), S("v"), -7, 0, NULL, NULL, NULL, 0));
        if (tag == EP_AOF_EXPIRE || tag == EP_AOF_PEXPIRE || tag == EP_AOF_PEXPIREAT)
            EPT_CHECK_EQ(ep_aof_validate(&s.rec), EP_ERR_BAD_VALUE);
        else if (tag != EP_AOF_BITOP) /* BITOP op = count % 4 here: valid */
            EPT_CHECK_OK(ep_aof_validate(&s.rec));
        ep_buf_free(&s.items);
    }
    /* Bad UTF-8 in the key of every tag, and in key2 where there is one:
     * always caught; in raw value fields: always accepted. */
    good[0] = good[1] = S("ok");
    badl[0] = S("ok");
    badl[1] = bad;
    for (tag = 1; tag <= 35; tag++) {
        EPT_CHECK(make_sample(&s, (uint8_t)tag, bad, bad, 1, 2, good, good, sc, 0));
        keep_used_fields(&s.rec);
        EPT_CHECK_EQ(ep_aof_validate(&s.rec), EP_ERR_UTF8);
        s.rec.key = S("k");
        if (s.rec.key2.data) EPT_CHECK_EQ(ep_aof_validate(&s.rec), EP_ERR_UTF8);
        s.rec.key2 = s.rec.key2.data ? S("k2") : s.rec.key2;
        EPT_CHECK_OK(ep_aof_validate(&s.rec)); /* value/pivot hold bad bytes: raw, fine */
        ep_buf_free(&s.items);
        /* Bad bytes in the items: caught for str kinds (first of a pair), not for list values. */
        if (kind_of((uint8_t)tag) != EP_ITEMS_NONE) {
            EPT_CHECK(make_sample(&s, (uint8_t)tag, S("k"), S("v"), 1, 2, badl, good, sc, 0));
            EPT_CHECK_EQ(ep_aof_validate(&s.rec), kind_of((uint8_t)tag) == EP_ITEMS_BYTES ? EP_OK : EP_ERR_UTF8);
            ep_buf_free(&s.items);
            if (tag == EP_AOF_HSET) { /* hash values are raw bytes */
                EPT_CHECK(make_sample(&s, (uint8_t)tag, S("k"), S("v"), 1, 2, good, badl, sc, 0));
                EPT_CHECK_OK(ep_aof_validate(&s.rec));
                ep_buf_free(&s.items);
            }
        }
    }
}

EPT_CASE(encode_rejects_bad_arguments) {
    ep_aof_record r;
    ep_buf b, items;
    ep_bytes one = S("x");
    uint8_t vec[8] = {0};
    ep_buf_init(&b, NULL);
    ep_buf_init(&items, NULL);
    memset(&r, 0, sizeof r);
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_INVALID_ARG); /* tag 0 */
    r.tag = 36;
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_INVALID_ARG);
    /* items of the wrong kind for the tag */
    r.tag = EP_AOF_SADD;
    r.key = one;
    EPT_CHECK_OK(ep_items_build(&items, EP_ITEMS_BYTES, &one, NULL, NULL, 1, &r.items));
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_INVALID_ARG);
    /* a count that does not match the bytes */
    r.tag = EP_AOF_LPUSH;
    r.items.count = 2;
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_INVALID_ARG);
    r.items.count = 1;
    EPT_CHECK_OK(ep_aof_encode(&b, &r));
    /* a field above the reader's cap is refused (ember writes it, then cannot read it) */
    ep_buf_reset(&b);
    r.tag = EP_AOF_DEL;
    r.key = ep_bytes_of(vec, (size_t)EP_MAX_FIELD_LEN + 1);
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_LIMIT);
    EPT_CHECK_EQ(b.len, 0);
    /* VADD: vector bytes must be dim * 4, dim within the cap */
    memset(&r, 0, sizeof r);
    r.tag = EP_AOF_VADD;
    r.dim = 2;
    r.vector = ep_bytes_of(vec, 4);
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_INVALID_ARG);
    r.vector = ep_bytes_of(vec, 8);
    EPT_CHECK_OK(ep_aof_encode(&b, &r));
    r.dim = 65537;
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_LIMIT);
    /* NULL data with a length */
    memset(&r, 0, sizeof r);
    r.tag = EP_AOF_SET;
    r.value.len = 3;
    EPT_CHECK_EQ(ep_aof_encode(&b, &r), EP_ERR_INVALID_ARG);
    ep_buf_free(&b);
    ep_buf_free(&items);
}

/* Random bytes through frame/decode: never a crash, consumed within input,
 * and a framed record re-encodes to exactly the consumed bytes. */
EPT_CASE(random_bytes_never_misframe) {
    uint64_t st = ept_seed();
    uint8_t buf[256];
    ep_buf b;
    long i, n = ept_scale(200000, 20);
    ep_buf_init(&b, NULL);
    for (i = 0; i < n; i++) {
        size_t len = (size_t)(ept_rand(&st) % sizeof buf), j, used;
        ep_aof_record r;
        for (j = 0; j < len; j++) {
            uint64_t x = ept_rand(&st);
            /* Mostly small numbers so lengths and counts often fit. */
            buf[j] = (uint8_t)((x & 3) ? (x >> 8) % 6 : (x >> 8));
        }
        if (len) buf[0] = (uint8_t)(1 + ept_rand(&st) % 35);
        if (ep_aof_frame(buf, len, &r, &used) == EP_OK) {
            EPT_CHECK(used <= len);
            ep_buf_reset(&b);
            EPT_CHECK_OK(ep_aof_encode(&b, &r));
            EPT_CHECK_EQ(b.len, used);
            EPT_CHECK_MEM(b.data, buf, used);
        }
    }
    ep_buf_free(&b);
}

/* ---- fast framing vs the general path ----------------------------------
 * ep_aof_frame frames the common layouts ("k", "kn", "kvn", "kI") without
 * the cursor. The general path (slow_aof_frame: the same library built with
 * EP__NO_FAST_DECODE) must give the same result, consumed and record for
 * any input: whole records, every truncation, lengths and counts at and
 * past their caps, and damaged bytes. */

/* A length prefix: mostly small, sometimes at, just past or far past the cap. */
static uint32_t gen_len(uint64_t *st, uint32_t cap, uint32_t small) {
    uint64_t r = ept_rand(st) % 64;
    if (r == 0) return cap;
    if (r == 1) return cap + 1;
    if (r == 2) return 0xFFFFFFFFu;
    return (uint32_t)(ept_rand(st) % small);
}

/* Field bytes: ASCII, sometimes a multibyte or an invalid byte. */
static void gen_text(uint64_t *st, ep_buf *b, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++) {
        uint64_t r = ept_rand(st) % 40;
        ep_buf_u8(b, r == 0 ? 0xFF : r == 1 ? 0xC3 : r == 2 ? 0xA9 : (uint8_t)('a' + r % 26));
    }
}

/* A u32 length then that many bytes (never more than small, so a capped
 * length is followed by a few bytes only, as in a damaged file). */
static void gen_field(uint64_t *st, ep_buf *b) {
    uint32_t n = gen_len(st, EP_MAX_FIELD_LEN, 24);
    ep_buf_u32(b, n);
    gen_text(st, b, n < 24 ? n : 3);
}

/* tag + payload following the tag's layout, loosely: the layouts below are
 * ember-format.md §2.2's; any other tag gets random bytes. */
static void gen_record(uint64_t *st, ep_buf *b, uint8_t tag) {
    static const char *const layout[36] = {
        NULL,  "kvn", "k",   "kn",  "kI",   "kI",   "k",    "k",   "kI",  "kI",  "k",  "kn",
        "k",   "k",   "kI",  "kI",  "kKn",  "kI",   "kI",   "kn",  "kn",  "kv",  "kK", "kKvn",
        "kv",  NULL,  "kK",  "kKf", "knv",  "knm",  "kfpv", "knv", "knv", "knf", "fkI", "kn"};
    const char *f = tag < 36 ? layout[tag] : NULL;
    ep_buf_u8(b, tag);
    if (!f) {
        gen_text(st, b, (uint32_t)(ept_rand(st) % 40));
        return;
    }
    for (; *f; f++) {
        switch (*f) {
        case 'n': case 'm': ep_buf_i64(b, (int64_t)(ept_rand(st) % 5) - 2); break;
        case 'f': ep_buf_u8(b, (uint8_t)(ept_rand(st) % 5)); break;
        case 'I': {
            uint32_t count = gen_len(st, EP_MAX_COLLECTION_COUNT, 4), i;
            ep_buf_u32(b, count);
            for (i = 0; i < (count < 4 ? count : 2); i++) {
                if (tag == EP_AOF_ZADD) ep_buf_f64(b, 1.5);
                gen_field(st, b);
                if (tag == EP_AOF_HSET) gen_field(st, b);
            }
            break;
        }
        default: gen_field(st, b); break;
        }
    }
    if (ept_rand(st) % 8 == 0) ep_buf_u8(b, 0x55); /* bytes after the record (the CRC, in a file) */
    if (ept_rand(st) % 16 == 0 && b->len > 1) b->data[1 + ept_rand(st) % (b->len - 1)] ^= (uint8_t)(1u << (ept_rand(st) % 8));
}

/* One input, own allocation of exactly len bytes (ASan sees any over-read). */
static int frame_agrees(const uint8_t *src, size_t len) {
    uint8_t *d = (uint8_t *)malloc(len ? len : 1);
    ep_aof_record fa, fb;
    size_t ua = 12345, ub = 12345;
    ep_result ra, rb, da, db;
    int ok;
    if (!d) return 0;
    if (len) memcpy(d, src, len);
    ra = ep_aof_frame(d, len, &fa, &ua);
    rb = slow_aof_frame(d, len, &fb, &ub);
    ok = ra == rb && ua == ub && ept_same_aof_record(&fa, &fb);
    da = ep_aof_decode(d, len, &fa, &ua);
    db = slow_aof_decode(d, len, &fb, &ub);
    ok = ok && da == db && ua == ub && ept_same_aof_record(&fa, &fb);
    free(d);
    return ok;
}

EPT_CASE(fast_frame_matches_general_path) {
    uint64_t st = ept_seed();
    long i, n = ept_scale(20000, 20), fast = 0;
    ep_buf b;
    ep_buf_init(&b, NULL);
    for (i = 0; i < n; i++) {
        uint8_t tag = (uint8_t)(i % 40 < 36 ? i % 36 : ept_rand(&st) % 256);
        size_t cut;
        ep_aof_record r;
        size_t used;
        ep_buf_reset(&b);
        gen_record(&st, &b, tag);
        EPT_CHECK(b.err == EP_OK);
        if (ep_aof_frame(b.data, b.len, &r, &used) == EP_OK) fast++;
        for (cut = 0; cut <= b.len; cut++) {
            if (!frame_agrees(b.data, cut)) {
                char m[128];
                snprintf(m, sizeof m, "tag %u, record %ld (%zu bytes) cut at %zu", (unsigned)tag, i, b.len, cut);
                ept_fail(__FILE__, __LINE__, m);
                ep_buf_free(&b);
                return;
            }
        }
    }
    ep_buf_free(&b);
    EPT_CHECK(fast > n / 4); /* the generator does reach the fast path */
}

/* The caps exactly: a key, value, member, field length or count at its cap
 * with too few bytes is EOF; one past it is LIMIT, at the same offset as the
 * general path reports. */
EPT_CASE(fast_frame_caps_match_general_path) {
    static const uint8_t tags[] = {EP_AOF_SET, EP_AOF_DEL, EP_AOF_PEXPIRE, EP_AOF_RPUSH, EP_AOF_HSET,
                                   EP_AOF_SADD, EP_AOF_ZADD, EP_AOF_INCR};
    static const uint32_t lens[] = {0, 1, EP_MAX_COLLECTION_COUNT, EP_MAX_COLLECTION_COUNT + 1u,
                                    EP_MAX_FIELD_LEN, EP_MAX_FIELD_LEN + 1u, 0xFFFFFFFFu};
    size_t t, k, slot;
    for (t = 0; t < sizeof tags; t++) {
        for (slot = 0; slot < 4; slot++) {
            for (k = 0; k < sizeof lens / sizeof lens[0]; k++) {
                /* tag, then four u32 slots each followed by 2 bytes: slot
                 * `slot` gets the length under test, the others 2. */
                uint8_t d[1 + 4 * 6 + 8];
                size_t j;
                memset(d, 'x', sizeof d);
                d[0] = tags[t];
                for (j = 0; j < 4; j++) ep_store_u32le(d + 1 + j * 6, j == slot ? lens[k] : 2u);
                for (j = 0; j <= sizeof d; j++) EPT_CHECK(frame_agrees(d, j));
            }
        }
    }
}

/* A key, value or item length one past its cap, or a count one past its
 * cap, with every byte it claims present (a sparse zero mapping): LIMIT must
 * come from the cap, on the fast path's tags as on the general path. */
EPT_CASE(fast_frame_caps_with_full_input) {
    static const uint8_t tags[] = {EP_AOF_SET, EP_AOF_DEL, EP_AOF_PEXPIRE, EP_AOF_RPUSH, EP_AOF_HSET,
                                   EP_AOF_SADD, EP_AOF_ZADD};
    size_t size = (size_t)EP_MAX_FIELD_LEN + 4096u * 4u, t, slot; /* > EP_MAX_COLLECTION_COUNT * 4 */
    uint8_t *m = SIZE_MAX > UINT32_MAX ? ept_zero_map(size) : NULL;
    if (!m) {
        char why[96];
        snprintf(why, sizeof why, "no %lu-byte zero mapping here (32-bit address space or no mmap)", (unsigned long)size);
        ept_skip(why);
        return;
    }
    for (t = 0; t < sizeof tags; t++) {
        for (slot = 0; slot < 3; slot++) {
            /* slot 0: the key's length; 1: the second field's (value,
             * count or, for SET, the value); 2: the first item's length */
            ep_aof_record ra, rb;
            size_t ua = 0, ub = 0, at2 = 1 + 4 + 1;
            ep_result xa, xb;
            int is_items = tags[t] != EP_AOF_SET && tags[t] != EP_AOF_DEL && tags[t] != EP_AOF_PEXPIRE;
            memset(m, 0, 64);
            m[0] = tags[t];
            ep_store_u32le(m + 1, slot == 0 ? EP_MAX_FIELD_LEN + 1u : 1u);
            m[5] = 'k';
            if (slot == 1) ep_store_u32le(m + at2, is_items ? EP_MAX_COLLECTION_COUNT + 1u : EP_MAX_FIELD_LEN + 1u);
            if (slot == 2) {
                if (!is_items) continue;
                ep_store_u32le(m + at2, 1u);
                ep_store_u32le(m + at2 + 4 + (tags[t] == EP_AOF_ZADD ? 8u : 0u), EP_MAX_FIELD_LEN + 1u);
            }
            xa = ep_aof_frame(m, size, &ra, &ua);
            xb = slow_aof_frame(m, size, &rb, &ub);
            EPT_EXPECT(xa == EP_ERR_LIMIT || (slot == 1 && (tags[t] == EP_AOF_PEXPIRE || tags[t] == EP_AOF_DEL)));
            EPT_EXPECT(xa == xb && ua == ub && ept_same_aof_record(&ra, &rb));
        }
    }
    memset(m, 0, 64);
    ept_zero_unmap(m, size);
}

EPT_MAIN()
