/* codec_snap: snapshot entries v1/v2 against the spec vectors, every value
 * type round trip with edge values, every cap, UTF-8 rules, torn input. */
#include "ember_persist.h"
#include "harness.h"
#include "support/slow_decode.h"

#include <math.h>
#include <stdlib.h>

static const uint8_t V4_ENTRIES[] = {
    0x01, 0x00, 0x00, 0x00, 0x6b, 0x00, 0x01, 0x00, 0x00, 0x00, 0x76, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x68, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x66, 0x01, 0x00, 0x00, 0x00, 0x78, 0x88, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t V7_ENTRY[] = {0x01, 0x00, 0x00, 0x00, 0x6b, 0x01, 0x00, 0x00, 0x00, 0x76,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }
static int eq(ep_bytes a, const char *s) { return a.len == strlen(s) && memcmp(a.data, s, a.len) == 0; }
static int eqb(ep_bytes a, ep_bytes b) { return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0); }

static ep_snap_entry entry(const char *key, uint8_t type, int64_t expire) {
    ep_snap_entry e;
    memset(&e, 0, sizeof e);
    e.key = B(key);
    e.type = type;
    e.expire_ms = expire;
    return e;
}

EPT_CASE(type_names) {
    EPT_CHECK(strcmp(ep_value_type_name(EP_TYPE_STRING), "string") == 0);
    EPT_CHECK(strcmp(ep_value_type_name(EP_TYPE_PROTO), "proto") == 0);
    EPT_CHECK(strcmp(ep_value_type_name(EP_TYPE_VECTOR), "vector") == 0);
    EPT_CHECK(ep_value_type_name(7) == NULL);
    EPT_CHECK(ep_value_type_name(255) == NULL);
}

EPT_CASE(v4_entries_decode) {
    ep_snap_entry e;
    size_t used, used2;
    ep_items_iter it;
    ep_item item;
    EPT_CHECK_OK(ep_snap_entry_decode(V4_ENTRIES, sizeof V4_ENTRIES, 2, &e, &used));
    EPT_CHECK_EQ(used, 19);
    EPT_CHECK(eq(e.key, "k") && e.type == EP_TYPE_STRING && eq(e.value, "v") && e.expire_ms == -1);
    EPT_CHECK_OK(ep_snap_entry_decode(V4_ENTRIES + used, sizeof V4_ENTRIES - used, 2, &e, &used2));
    EPT_CHECK_EQ(used + used2, sizeof V4_ENTRIES);
    EPT_CHECK(eq(e.key, "h") && e.type == EP_TYPE_HASH && e.expire_ms == 5000);
    EPT_CHECK_EQ(e.items.count, 1);
    EPT_CHECK_EQ(e.items.kind, EP_ITEMS_FIELD_VALUE);
    ep_items_iter_init(&it, &e.items);
    EPT_CHECK(ep_items_next(&it, &item));
    EPT_CHECK(eq(item.a, "f") && eq(item.b, "x"));
    EPT_CHECK(!ep_items_next(&it, &item));
}

EPT_CASE(v4_entries_encode_byte_exact) {
    ep_buf out, ib;
    ep_snap_entry e;
    ep_bytes f = B("f"), x = B("x");
    ep_buf_init(&out, NULL);
    ep_buf_init(&ib, NULL);
    e = entry("k", EP_TYPE_STRING, -1);
    e.value = B("v");
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    e = entry("h", EP_TYPE_HASH, 5000);
    EPT_CHECK_OK(ep_items_build(&ib, EP_ITEMS_FIELD_VALUE, &f, &x, NULL, 1, &e.items));
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    EPT_CHECK_EQ(out.len, sizeof V4_ENTRIES);
    EPT_CHECK_MEM(out.data, V4_ENTRIES, sizeof V4_ENTRIES);
    ep_buf_free(&out);
    ep_buf_free(&ib);
}

EPT_CASE(v7_v1_entry_decodes_as_string) {
    ep_snap_entry e;
    size_t used;
    EPT_CHECK_OK(ep_snap_entry_decode(V7_ENTRY, sizeof V7_ENTRY, 1, &e, &used));
    EPT_CHECK_EQ(used, sizeof V7_ENTRY);
    EPT_CHECK(eq(e.key, "k") && e.type == EP_TYPE_STRING && eq(e.value, "v") && e.expire_ms == -1);
    /* The same bytes as v2: 0x01 is the list type, whose count eats "\0\0\0v" -> too big or EOF. */
    EPT_CHECK(ep_snap_entry_decode(V7_ENTRY, sizeof V7_ENTRY, 2, &e, &used) != EP_OK);
    EPT_CHECK_EQ(ep_snap_entry_decode(V7_ENTRY, sizeof V7_ENTRY, 3, &e, &used), EP_ERR_INVALID_ARG);
}

/* Encodes e, checks it decodes back equal field by field, and that every
 * shorter prefix is EP_ERR_EOF. */
static int round_trip(const ep_snap_entry *e) {
    ep_buf out;
    ep_snap_entry d;
    size_t used = 0, cut;
    int ok = 1;
    ep_buf_init(&out, NULL);
    if (ep_snap_entry_encode(&out, e) != EP_OK) ok = 0;
    if (ok && ep_snap_entry_decode(out.data, out.len, 2, &d, &used) != EP_OK) ok = 0;
    if (ok) {
        ok = used == out.len && eqb(d.key, e->key) && d.type == e->type && d.expire_ms == e->expire_ms &&
             eqb(d.value, e->value) && eqb(d.type_name, e->type_name) && d.items.count == e->items.count &&
             eqb(d.items.raw, e->items.raw);
        if (e->type == EP_TYPE_VECTOR)
            ok = ok && d.metric == e->metric && d.quantization == e->quantization &&
                 d.connectivity == e->connectivity && d.expansion_add == e->expansion_add && d.dim == e->dim &&
                 d.items.dim == e->dim;
    }
    /* Every cut (a few hundred for big entries, all for small ones) is EOF. */
    for (cut = 0; ok && cut < out.len; cut += (out.len > 4096 ? out.len / 257 + 1 : 1))
        if (ep_snap_entry_decode(out.data, cut, 2, &d, &used) != EP_ERR_EOF) ok = 0;
    ep_buf_free(&out);
    return ok;
}

EPT_CASE(string_edges_round_trip) {
    static const int64_t expires[] = {-1, 0, 1, 42000, INT64_MAX, INT64_MIN, -2};
    static const uint8_t odd[] = {0x00, 0xff, 0x00, 0x80};
    uint8_t *big = (uint8_t *)malloc(100000);
    size_t i;
    ep_snap_entry e;
    EPT_CHECK(big != NULL);
    for (i = 0; i < 100000; i++) big[i] = (uint8_t)(i * 131 + 7);
    for (i = 0; i < sizeof expires / sizeof expires[0]; i++) {
        e = entry("", EP_TYPE_STRING, expires[i]);
        EPT_EXPECT(round_trip(&e));
        e.value = ep_bytes_of(odd, sizeof odd);
        EPT_EXPECT(round_trip(&e));
    }
    e = entry("k\xc3\xa9y", EP_TYPE_STRING, 7);
    e.value = ep_bytes_of(big, 100000);
    EPT_EXPECT(round_trip(&e));
    e.key = ep_bytes_of(big, 0);
    EPT_EXPECT(round_trip(&e));
    free(big);
}

EPT_CASE(collections_round_trip_counts_0_1_many) {
    static const uint32_t counts[] = {0, 1, 2, 1000};
    ep_bytes a[1000], b[1000];
    double scores[1000];
    char names[1000][8];
    size_t ci;
    uint32_t i;
    uint64_t bits[] = {0x7ff8000000000001ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
                       0x8000000000000000ull, 0x0000000000000001ull, 0x3ff8000000000000ull};
    for (i = 0; i < 1000; i++) {
        snprintf(names[i], sizeof names[i], "m%u", (unsigned)i);
        a[i] = B(names[i]);
        b[i] = ep_bytes_of("\x00\xff", i % 3);
        memcpy(&scores[i], &bits[i % 6], 8);
    }
    for (ci = 0; ci < 4; ci++) {
        uint32_t n = counts[ci];
        uint8_t t;
        for (t = EP_TYPE_LIST; t <= EP_TYPE_SET; t++) {
            static const ep_items_kind kinds[] = {EP_ITEMS_NONE, EP_ITEMS_BYTES, EP_ITEMS_SCORE_MEMBER,
                                                  EP_ITEMS_FIELD_VALUE, EP_ITEMS_STR};
            ep_buf ib;
            ep_snap_entry e = entry("coll", t, (int64_t)n - 1);
            ep_buf_init(&ib, NULL);
            EPT_CHECK_OK(ep_items_build(&ib, kinds[t], t == EP_TYPE_LIST ? b : a, b, scores, n, &e.items));
            EPT_EXPECT(round_trip(&e));
            ep_buf_free(&ib);
        }
    }
}

EPT_CASE(zset_scores_kept_by_bit_pattern) {
    uint64_t bits[] = {0x7ff8000000000001ull, 0xfff8dead00000000ull, 0x7ff0000000000000ull,
                       0xfff0000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull};
    double s[6];
    ep_bytes m[6];
    ep_buf ib, out;
    ep_snap_entry e = entry("z", EP_TYPE_ZSET, -1), d;
    ep_items_iter it;
    ep_item item;
    size_t used;
    int i;
    for (i = 0; i < 6; i++) {
        memcpy(&s[i], &bits[i], 8);
        m[i] = B("m");
    }
    ep_buf_init(&ib, NULL);
    ep_buf_init(&out, NULL);
    EPT_CHECK_OK(ep_items_build(&ib, EP_ITEMS_SCORE_MEMBER, m, NULL, s, 6, &e.items));
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    EPT_CHECK_OK(ep_snap_entry_decode(out.data, out.len, 2, &d, &used));
    ep_items_iter_init(&it, &d.items);
    for (i = 0; i < 6; i++) {
        uint64_t got;
        EPT_CHECK(ep_items_next(&it, &item));
        memcpy(&got, &item.score, 8);
        EPT_CHECK(got == bits[i]);
    }
    ep_buf_free(&ib);
    ep_buf_free(&out);
}

EPT_CASE(proto_and_vector_round_trip) {
    ep_snap_entry e = entry("p", EP_TYPE_PROTO, 9);
    ep_bytes names[2];
    ep_bytes vecs[2];
    float v1[3] = {1.0f, -2.5f, 0.0f}, v2[3];
    ep_buf ib;
    uint32_t nan_bits = 0x7fc00001u;
    e.type_name = B("users.User");
    e.value = ep_bytes_of("\x00\x01\xff", 3);
    EPT_EXPECT(round_trip(&e));
    e.type_name = B("");
    e.value = B("");
    EPT_EXPECT(round_trip(&e));

    memcpy(&v2[0], &nan_bits, 4);
    v2[1] = -0.0f;
    v2[2] = 1e-45f;
    names[0] = B("a");
    names[1] = B("");
    vecs[0] = ep_bytes_of(v1, 12);
    vecs[1] = ep_bytes_of(v2, 12);
    ep_buf_init(&ib, NULL);
    e = entry("v", EP_TYPE_VECTOR, -1);
    e.metric = 1;
    e.quantization = 2;
    e.connectivity = 16;
    e.expansion_add = 64;
    e.dim = 3;
    EPT_CHECK_OK(ep_items_build(&ib, EP_ITEMS_NAME_VECTOR, names, vecs, NULL, 2, &e.items));
    EPT_EXPECT(round_trip(&e));
    ep_buf_free(&ib);
    /* the empty vector set of snapshot.rs: metric 2, quant 2, dim 128, expire 5000 */
    e = entry("empty", EP_TYPE_VECTOR, 5000);
    e.metric = 2;
    e.quantization = 2;
    e.dim = 128;
    EPT_EXPECT(round_trip(&e));
}

/* Builds an entry header then a u32 count / field for the cap tests. */
static size_t mk(uint8_t *p, uint8_t type) {
    ep_store_u32le(p, 1);
    p[4] = 'k';
    p[5] = type;
    return 6;
}

EPT_CASE(caps_and_bad_values) {
    uint8_t in[64];
    ep_snap_entry e;
    size_t used, n;
    uint8_t t;
    /* collection counts: 100 M ok (then EOF), 100 M + 1 is the cap */
    for (t = EP_TYPE_LIST; t <= EP_TYPE_SET; t++) {
        n = mk(in, t);
        ep_store_u32le(in + n, 100000000u);
        EPT_CHECK_EQ(ep_snap_entry_decode(in, n + 4, 2, &e, &used), EP_ERR_EOF);
        ep_store_u32le(in + n, 100000001u);
        EPT_CHECK_EQ(ep_snap_entry_decode(in, n + 4, 2, &e, &used), EP_ERR_LIMIT);
    }
    /* field length: 512 MiB allowed (EOF), one more is the cap; key too */
    n = mk(in, EP_TYPE_STRING);
    ep_store_u32le(in + n, 536870912u);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n + 4, 2, &e, &used), EP_ERR_EOF);
    ep_store_u32le(in + n, 536870913u);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n + 4, 2, &e, &used), EP_ERR_LIMIT);
    ep_store_u32le(in, 0xffffffffu);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, 4, 2, &e, &used), EP_ERR_LIMIT);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, 4, 1, &e, &used), EP_ERR_LIMIT);
    /* unknown types */
    n = mk(in, 7);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n + 20, 2, &e, &used), EP_ERR_UNKNOWN_TAG);
    n = mk(in, 255);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n + 20, 2, &e, &used), EP_ERR_UNKNOWN_TAG);
}

/* A vector header: metric, quant, M, ef, dim, count, then nothing. */
static size_t vec_hdr(uint8_t *p, uint8_t metric, uint8_t quant, uint32_t dim, uint32_t count) {
    size_t n = mk(p, EP_TYPE_VECTOR);
    p[n] = metric;
    p[n + 1] = quant;
    ep_store_u32le(p + n + 2, 16);
    ep_store_u32le(p + n + 6, 64);
    ep_store_u32le(p + n + 10, dim);
    ep_store_u32le(p + n + 14, count);
    ep_store_u64le(p + n + 18, 0); /* expire, if count is 0 */
    return n + 26;
}

EPT_CASE(vector_caps) {
    uint8_t in[64];
    ep_snap_entry e;
    size_t used, n;
    n = vec_hdr(in, 2, 2, 65536, 0);
    EPT_CHECK_OK(ep_snap_entry_decode(in, n, 2, &e, &used));
    EPT_CHECK_EQ(e.dim, 65536);
    n = vec_hdr(in, 0, 0, 65537, 0);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n, 2, &e, &used), EP_ERR_LIMIT);
    n = vec_hdr(in, 0, 0, 1, 10000000u);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n, 2, &e, &used), EP_ERR_EOF);
    n = vec_hdr(in, 0, 0, 1, 10000001u);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n, 2, &e, &used), EP_ERR_LIMIT);
    n = vec_hdr(in, 0, 0, 100, 10000000u); /* exactly 1e9 floats: allowed */
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n, 2, &e, &used), EP_ERR_EOF);
    n = vec_hdr(in, 0, 0, 101, 10000000u);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n, 2, &e, &used), EP_ERR_LIMIT);
    n = vec_hdr(in, 3, 0, 1, 0);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n, 2, &e, &used), EP_ERR_BAD_VALUE);
    n = vec_hdr(in, 0, 3, 1, 0);
    EPT_CHECK_EQ(ep_snap_entry_decode(in, n, 2, &e, &used), EP_ERR_BAD_VALUE);
    /* and the encoder refuses to write them */
    {
        ep_buf out;
        ep_snap_entry v = entry("v", EP_TYPE_VECTOR, -1);
        ep_buf_init(&out, NULL);
        v.metric = 3;
        EPT_CHECK_EQ(ep_snap_entry_encode(&out, &v), EP_ERR_BAD_VALUE);
        EPT_CHECK_EQ(out.len, 0);
        ep_buf_free(&out);
    }
}

/* UTF-8 rules of §1.3: keys, members, fields, names, type names are checked;
 * values, list items, proto data are not. */
EPT_CASE(utf8_rules) {
    ep_bytes bad = ep_bytes_of("\xff", 1), ok = B("ok"), surrogate = ep_bytes_of("\xed\xa0\x80", 3);
    ep_snap_entry e, d;
    ep_buf out, ib;
    size_t used;
    float f = 1.0f;
    ep_bytes vec = ep_bytes_of(&f, 4);
    double score = 1;
    uint8_t t;
    ep_buf_init(&out, NULL);
    ep_buf_init(&ib, NULL);
    /* bad key */
    e = entry("", EP_TYPE_STRING, -1);
    e.key = surrogate;
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    EPT_CHECK_EQ(ep_snap_entry_decode(out.data, out.len, 2, &d, &used), EP_ERR_UTF8);
    /* raw value is fine */
    ep_buf_reset(&out);
    e.key = ok;
    e.value = bad;
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    EPT_CHECK_OK(ep_snap_entry_decode(out.data, out.len, 2, &d, &used));
    /* proto: bad type name fails, bad data is fine */
    e = entry("p", EP_TYPE_PROTO, -1);
    e.type_name = bad;
    ep_buf_reset(&out);
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    EPT_CHECK_EQ(ep_snap_entry_decode(out.data, out.len, 2, &d, &used), EP_ERR_UTF8);
    e.type_name = ok;
    e.value = bad;
    ep_buf_reset(&out);
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    EPT_CHECK_OK(ep_snap_entry_decode(out.data, out.len, 2, &d, &used));
    /* collections: the string part of each element */
    for (t = EP_TYPE_LIST; t <= EP_TYPE_VECTOR; t++) {
        static const ep_items_kind kinds[] = {EP_ITEMS_NONE, EP_ITEMS_BYTES, EP_ITEMS_SCORE_MEMBER,
                                              EP_ITEMS_FIELD_VALUE, EP_ITEMS_STR, EP_ITEMS_NONE,
                                              EP_ITEMS_NAME_VECTOR};
        ep_bytes second = t == EP_TYPE_VECTOR ? vec : bad;
        if (t == EP_TYPE_PROTO) continue;
        e = entry("c", t, -1);
        e.dim = 1;
        ep_buf_reset(&ib);
        ep_buf_reset(&out);
        EPT_CHECK_OK(ep_items_build(&ib, kinds[t], &bad, &second, &score, 1, &e.items));
        EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
        EPT_CHECK_EQ(ep_snap_entry_decode(out.data, out.len, 2, &d, &used),
                     t == EP_TYPE_LIST ? EP_OK : EP_ERR_UTF8);
        if (t == EP_TYPE_HASH) { /* field fine, value bad: fine */
            ep_buf_reset(&ib);
            ep_buf_reset(&out);
            EPT_CHECK_OK(ep_items_build(&ib, kinds[t], &ok, &bad, NULL, 1, &e.items));
            EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
            EPT_CHECK_OK(ep_snap_entry_decode(out.data, out.len, 2, &d, &used));
        }
    }
    ep_buf_free(&out);
    ep_buf_free(&ib);
}

EPT_CASE(encode_rejects_inconsistent_items) {
    ep_buf out, ib;
    ep_snap_entry e = entry("l", EP_TYPE_LIST, -1);
    ep_bytes v[2] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"b", 1}};
    ep_buf_init(&out, NULL);
    ep_buf_init(&ib, NULL);
    EPT_CHECK_OK(ep_items_build(&ib, EP_ITEMS_BYTES, v, NULL, NULL, 2, &e.items));
    e.items.count = 3; /* count disagrees with raw */
    EPT_CHECK_EQ(ep_snap_entry_encode(&out, &e), EP_ERR_INVALID_ARG);
    e.items.count = 1;
    EPT_CHECK_EQ(ep_snap_entry_encode(&out, &e), EP_ERR_INVALID_ARG);
    e.items.count = 2;
    e.type = EP_TYPE_HASH; /* kind does not fit the type */
    EPT_CHECK_EQ(ep_snap_entry_encode(&out, &e), EP_ERR_INVALID_ARG);
    e.type = 7;
    EPT_CHECK_EQ(ep_snap_entry_encode(&out, &e), EP_ERR_INVALID_ARG);
    e.type = EP_TYPE_LIST;
    EPT_CHECK_OK(ep_snap_entry_encode(&out, &e));
    EPT_CHECK_EQ(out.len, 4 + 1 + 1 + 4 + 10 + 8);
    ep_buf_free(&out);
    ep_buf_free(&ib);
}

/* Random bytes and mutated valid entries: never a crash; a success always
 * consumes a prefix and yields views inside the input. */
EPT_CASE(random_and_mutated_inputs_are_safe) {
    uint64_t st = ept_seed();
    uint8_t buf[256];
    long iters = ept_scale(200000, 20), i;
    for (i = 0; i < iters; i++) {
        size_t len = (size_t)(ept_rand(&st) % sizeof buf), j, used = 0;
        ep_snap_entry e;
        ep_result r;
        if (i & 1) {
            for (j = 0; j < len; j++) buf[j] = (uint8_t)ept_rand(&st);
            if (len > 5) buf[4] = (uint8_t)(ept_rand(&st) % 8); /* plausible type bytes more often */
        } else {
            len = sizeof V4_ENTRIES;
            memcpy(buf, V4_ENTRIES, len);
            buf[ept_rand(&st) % len] ^= (uint8_t)(1u << (ept_rand(&st) % 8));
            len -= (size_t)(ept_rand(&st) % 4);
        }
        r = ep_snap_entry_decode(buf, len, 1 + (int)(i % 2), &e, &used);
        if (r == EP_OK) {
            EPT_CHECK(used <= len);
            EPT_CHECK(e.key.len == 0 || (e.key.data >= buf && e.key.data + e.key.len <= buf + used));
            EPT_CHECK(e.items.raw.len == 0 ||
                      (e.items.raw.data >= buf && e.items.raw.data + e.items.raw.len <= buf + used));
        }
    }
}

/* ---- the string fast path vs the general path ---------------------------
 * ep_snap_entry_decode reads string entries (v2 type 0, v1) with plain
 * loads. The general path (slow_snap_entry_decode: the library built with
 * EP__NO_FAST_DECODE) must give the same result, consumed and entry for any
 * input: whole entries of every type, every truncation, lengths at and past
 * the cap, damaged bytes, both versions. */

/* Decodes src[0..len) both ways from an allocation of exactly len bytes. */
static int snap_decode_agrees(const uint8_t *src, size_t len, int version) {
    uint8_t *d = (uint8_t *)malloc(len ? len : 1);
    ep_snap_entry ea, eb;
    size_t ua = 777, ub = 777;
    ep_result ra, rb;
    int ok;
    if (!d) return 0;
    if (len) memcpy(d, src, len);
    ra = ep_snap_entry_decode(d, len, version, &ea, &ua);
    rb = slow_snap_entry_decode(d, len, version, &eb, &ub);
    ok = ra == rb && ua == ub && ept_same_snap_entry(&ea, &eb);
    free(d);
    return ok;
}

static uint32_t snap_gen_len(uint64_t *st) {
    uint64_t r = ept_rand(st) % 48;
    if (r == 0) return EP_MAX_FIELD_LEN;
    if (r == 1) return EP_MAX_FIELD_LEN + 1u;
    if (r == 2) return 0xFFFFFFFFu;
    return (uint32_t)(ept_rand(st) % 20);
}

static void snap_gen_field(uint64_t *st, ep_buf *b) {
    uint32_t n = snap_gen_len(st), i;
    ep_buf_u32(b, n);
    for (i = 0; i < (n < 20 ? n : 2); i++) {
        uint64_t r = ept_rand(st) % 30;
        ep_buf_u8(b, r == 0 ? 0xFF : r == 1 ? 0xE2 : (uint8_t)('0' + r));
    }
}

EPT_CASE(string_fast_path_matches_general_path) {
    uint64_t st = ept_seed();
    long i, n = ept_scale(20000, 20), ok_entries = 0;
    ep_buf b;
    ep_buf_init(&b, NULL);
    for (i = 0; i < n; i++) {
        int version = ept_rand(&st) % 4 == 0 ? 1 : 2;
        uint8_t type = (uint8_t)(ept_rand(&st) % 3 ? 0 : ept_rand(&st) % 9);
        size_t cut;
        ep_snap_entry e;
        size_t used;
        ep_buf_reset(&b);
        snap_gen_field(&st, &b);                         /* key */
        if (version == 2) ep_buf_u8(&b, type);
        if (version == 1 || type == 0) snap_gen_field(&st, &b); /* value */
        else {                                           /* another type: some plausible bytes */
            uint32_t k = (uint32_t)(ept_rand(&st) % 30);
            ep_buf_u32(&b, (uint32_t)(ept_rand(&st) % 3));
            while (k--) ep_buf_u8(&b, (uint8_t)(ept_rand(&st) % 4));
        }
        ep_buf_i64(&b, (int64_t)(ept_rand(&st) % 3) - 1);
        if (ept_rand(&st) % 8 == 0) ep_buf_u8(&b, 0x42);  /* the next entry's first byte */
        if (ept_rand(&st) % 16 == 0) b.data[ept_rand(&st) % b.len] ^= (uint8_t)(1u << (ept_rand(&st) % 8));
        EPT_CHECK(b.err == EP_OK);
        if (ep_snap_entry_decode(b.data, b.len, version, &e, &used) == EP_OK) ok_entries++;
        for (cut = 0; cut <= b.len; cut++) {
            if (!snap_decode_agrees(b.data, cut, version)) {
                char m[128];
                snprintf(m, sizeof m, "entry %ld (v%d, type %u, %zu bytes) cut at %zu", i, version, (unsigned)type,
                         b.len, cut);
                ept_fail(__FILE__, __LINE__, m);
                ep_buf_free(&b);
                return;
            }
        }
    }
    ep_buf_free(&b);
    EPT_CHECK(ok_entries > n / 4);
}

/* A key or value length at the cap or one past it, with every byte present
 * (zero pages of a sparse mapping, so it costs no memory): LIMIT must come
 * from the length, not from running out of input. */
EPT_CASE(string_fast_path_caps_with_full_input) {
    size_t size = (size_t)EP_MAX_FIELD_LEN + 4096u * 4u;
    uint8_t *m = SIZE_MAX > UINT32_MAX ? ept_zero_map(size) : NULL;
    int version, which, extra;
    if (!m) {
        char why[96];
        snprintf(why, sizeof why, "no %lu-byte zero mapping here (32-bit address space or no mmap)", (unsigned long)size);
        ept_skip(why);
        return;
    }
    for (version = 1; version <= 2; version++) {
        for (which = 0; which < 2; which++) {
            for (extra = 0; extra <= 1; extra++) {
                uint32_t big = EP_MAX_FIELD_LEN + (uint32_t)extra;
                size_t vat = 4 + (which == 0 ? big : 1u) + (version == 2 ? 1u : 0u); /* value length at */
                ep_snap_entry ea, eb;
                size_t ua = 0, ub = 0, len = vat + 4 + (which == 1 ? big : 1u) + 8;
                ep_result ra, rb;
                if (which == 0 && extra == 0 && ept_scale(2, 2) < 2) continue; /* a 512 MiB UTF-8 scan: not under valgrind */
                ep_store_u32le(m, which == 0 ? big : 1u);
                m[4] = 'k';
                if (version == 2) m[vat - 1] = EP_TYPE_STRING;
                ep_store_u32le(m + vat, which == 1 ? big : 1u);
                ra = ep_snap_entry_decode(m, len, version, &ea, &ua);
                rb = slow_snap_entry_decode(m, len, version, &eb, &ub);
                ep_store_u32le(m + vat, 0); /* back to zeros for the next layout */
                if (version == 2) m[vat - 1] = 0;
                EPT_EXPECT(ra == rb);
                EPT_EXPECT(ra == (extra ? EP_ERR_LIMIT : EP_OK));
                EPT_EXPECT(ua == ub && ept_same_snap_entry(&ea, &eb));
            }
        }
    }
    ept_zero_unmap(m, size);
}

EPT_MAIN()
