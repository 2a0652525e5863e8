/* codec_rdb: exact bytes of every length form and of Redis's string rules
 * (spec B.1 examples), the spec's listpack hash and intset examples built by
 * our encoders and walked back, hand-built ziplists and zipmaps (6.x), random
 * listpack round trips (printed seed), and every truncation and bit flip of
 * a blob: an error, or elements that still lie inside the blob. */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }

static int hexeq(const ep_buf *b, size_t from, const char *hex) {
    size_t i = from, n = strlen(hex), k;
    for (k = 0; k + 1 < n; k += 2) {
        unsigned v;
        while (hex[k] == ' ') k++;
        if (sscanf(hex + k, "%2x", &v) != 1) return 0;
        if (i >= b->len || b->data[i] != v) return 0;
        i++;
    }
    return i == b->len;
}

EPT_CASE(length_forms) {
    struct {
        uint64_t v;
        const char *hex;
    } t[] = {{0, "00"}, {63, "3f"}, {64, "4040"}, {16383, "7fff"}, {16384, "8000004000"}, {0xffffffffu, "80ffffffff"},
             {0x100000000ull, "810000000100000000"}, {UINT64_MAX, "81ffffffffffffffff"}};
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        ep_buf b;
        ep_cursor c;
        uint64_t v;
        int sp;
        ep_buf_init(&b, NULL);
        ep_rdb_put_len(&b, t[i].v);
        EPT_CHECK(hexeq(&b, 0, t[i].hex));
        ep_cursor_init(&c, b.data, b.len);
        EPT_CHECK_OK(ep_rdb_get_len(&c, &v, &sp));
        EPT_CHECK(v == t[i].v && !sp && c.pos == b.len);
        ep_buf_free(&b);
    }
    {
        /* non-minimal forms load (Redis accepts them), 0x82 does not */
        static const uint8_t nm[] = {0x80, 0, 0, 0, 5, 0x81, 0, 0, 0, 0, 0, 0, 0, 7, 0x82};
        ep_cursor c;
        uint64_t v;
        int sp;
        ep_cursor_init(&c, nm, sizeof nm);
        EPT_CHECK(ep_rdb_get_len(&c, &v, &sp) == EP_OK && v == 5);
        EPT_CHECK(ep_rdb_get_len(&c, &v, &sp) == EP_OK && v == 7);
        EPT_CHECK(ep_rdb_get_len(&c, &v, &sp) == EP_ERR_CORRUPT);
    }
}

EPT_CASE(string_rules) {
    static uint32_t work[EP_LZF_WORK_ENTRIES];
    struct {
        const char *s;
        const char *hex;
    } t[] = {{"123", "c07b"}, {"12", "c00c"}, {"-1000", "c118fc"}, {"100000", "c2a0860100"}, {"-2147483648", "c200000080"},
             {"007", "03303037"}, {"+5", "022b35"}, {"2147483648", "0a32313437343833363438"},
             {"12345678901", "0b3132333435363738393031"}, {"-0", "022d30"}, {"", "00"}};
    size_t i;
    char a21[22], a20[21];
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        ep_buf b, sc;
        ep_cursor c;
        ep_bytes out;
        ep_buf_init(&b, NULL);
        ep_buf_init(&sc, NULL);
        ep_rdb_put_string(&b, B(t[i].s), work);
        if (!hexeq(&b, 0, t[i].hex)) {
            fprintf(stderr, "    %s\n", t[i].s);
            EPT_CHECK(0);
        }
        ep_cursor_init(&c, b.data, b.len);
        EPT_CHECK_OK(ep_rdb_get_string(&c, &sc, EP_RDB_MAX_STRING, &out));
        EPT_CHECK(out.len == strlen(t[i].s) && memcmp(out.data, t[i].s, out.len) == 0);
        ep_buf_free(&b);
        ep_buf_free(&sc);
    }
    memset(a21, 'a', 21);
    a21[21] = 0;
    memset(a20, 'a', 20);
    a20[20] = 0;
    {
        ep_buf b, sc;
        ep_cursor c;
        ep_bytes out;
        ep_buf_init(&b, NULL);
        ep_buf_init(&sc, NULL);
        ep_rdb_put_string(&b, B(a20), work);
        EPT_CHECK(b.len == 21 && b.data[0] == 20);   /* 20 x 'a': raw */
        ep_buf_reset(&b);
        ep_rdb_put_string(&b, B(a21), work);
        EPT_CHECK(b.data[0] == 0xC3 && b.len < 21);  /* 21 x 'a': LZF */
        ep_cursor_init(&c, b.data, b.len);
        EPT_CHECK_OK(ep_rdb_get_string(&c, &sc, EP_RDB_MAX_STRING, &out));
        EPT_CHECK(out.len == 21 && memcmp(out.data, a21, 21) == 0);
        ep_buf_reset(&b);
        ep_rdb_put_string(&b, B(a21), NULL);           /* no LZF when not asked */
        EPT_CHECK(b.len == 22);
        /* a length above the cap is refused before anything is read */
        ep_cursor_init(&c, b.data, b.len);
        EPT_CHECK(ep_rdb_get_string(&c, &sc, 20, &out) == EP_ERR_LIMIT);
        ep_buf_free(&b);
        ep_buf_free(&sc);
    }
}

/* The spec's listpack hash example, built with our encoder. */
EPT_CASE(listpack_spec_example) {
    const char *items[] = {"a", "1", "b", "1000", "100000", "-5", "12345678901234", "-4096", "4095", "8388607", "8388608",
                           "127", "128"};
    ep_buf b;
    size_t mark, i;
    ep_rdb_blob_iter it;
    ep_rdb_elem e;
    char num[EP_RDB_NUM_TEXT];
    ep_buf_init(&b, NULL);
    ep_rdb_lp_begin(&b, &mark);
    for (i = 0; i < 13; i++) ep_rdb_lp_add(&b, B(items[i]));
    ep_rdb_lp_end(&b, mark, 13);
    {
        ep_buf body;
        body = b;
        EPT_CHECK(hexeq(&body, 6,
                        "816102 0101 816202 c3e802 f2a0860104 dffb02 f4f22fce733a0b000009 d00002 cfff02 f2ffff7f04 "
                        "f300008000 05 7f01 c08002 ff"));
    }
    EPT_CHECK(ep_load_u32le(b.data) == b.len && ep_load_u16le(b.data + 4) == 13);
    EPT_CHECK_OK(ep_rdb_blob_init(&it, EP_RDB_BLOB_LISTPACK, ep_bytes_of(b.data, b.len)));
    for (i = 0; i < 13; i++) {
        ep_bytes t;
        EPT_CHECK_OK(ep_rdb_blob_next(&it, &e));
        t = ep_rdb_elem_text(&e, num);
        EPT_CHECK(t.len == strlen(items[i]) && memcmp(t.data, items[i], t.len) == 0);
    }
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_END);
    ep_buf_free(&b);
}

EPT_CASE(intset_widths) {
    int64_t a[] = {300, 1, 2}, b2[] = {100000, 1}, c[] = {12345678901234ll, 1}, d[] = {1, 1};
    ep_buf b;
    ep_rdb_blob_iter it;
    ep_rdb_elem e;
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_rdb_intset_build(&b, a, 3));
    EPT_CHECK(hexeq(&b, 0, "02000000 03000000 0100 0200 2c01"));  /* the spec's {1,2,300} */
    EPT_CHECK_OK(ep_rdb_blob_init(&it, EP_RDB_BLOB_INTSET, ep_bytes_of(b.data, b.len)));
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.num == 1);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.num == 2);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.num == 300);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_END);
    ep_buf_reset(&b);
    EPT_CHECK_OK(ep_rdb_intset_build(&b, b2, 2));
    EPT_CHECK(ep_load_u32le(b.data) == 4);
    ep_buf_reset(&b);
    EPT_CHECK_OK(ep_rdb_intset_build(&b, c, 2));
    EPT_CHECK(ep_load_u32le(b.data) == 8);
    ep_buf_reset(&b);
    EPT_CHECK(ep_rdb_intset_build(&b, d, 2) == EP_ERR_INVALID);
    ep_buf_free(&b);
    {
        /* unsorted or duplicate members in a file: damaged */
        static const uint8_t bad[] = {2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0};
        EPT_CHECK_OK(ep_rdb_blob_init(&it, EP_RDB_BLOB_INTSET, ep_bytes_of(bad, sizeof bad)));
        EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK);
        EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_ERR_CORRUPT);
    }
}

/* A ziplist as Redis 6.2 wrote them: "hello", 12 (immediate), -1000
 * (int16), 100000 (int32), 8388607 (int24), -7 (int8), 2^40 (int64), and a
 * 70-byte string (14-bit length). */
static size_t zl_entry(uint8_t *p, size_t prev, const uint8_t *enc, size_t n) {
    size_t k = 0;
    if (prev < 254) p[k++] = (uint8_t)prev;
    else {
        p[k++] = 254;
        ep_store_u32le(p + k, (uint32_t)prev);
        k += 4;
    }
    memcpy(p + k, enc, n);
    return k + n;
}

EPT_CASE(ziplist_6x) {
    uint8_t zl[400], long70[72];
    size_t n = 10, prev = 0, sz, i;
    const char *want[] = {"hello", "12", "-1000", "100000", "8388607", "-7", "1099511627776", NULL};
    ep_rdb_blob_iter it;
    ep_rdb_elem e;
    char num[EP_RDB_NUM_TEXT];
    static const uint8_t e0[] = {0x05, 'h', 'e', 'l', 'l', 'o'}, e1[] = {0xFD}, e2[] = {0xC0, 0x18, 0xfc},
                         e3[] = {0xD0, 0xa0, 0x86, 0x01, 0x00}, e4[] = {0xF0, 0xff, 0xff, 0x7f}, e5[] = {0xFE, 0xf9},
                         e6[] = {0xE0, 0, 0, 0, 0, 0, 1, 0, 0};
    const uint8_t *es[] = {e0, e1, e2, e3, e4, e5, e6};
    size_t ls[] = {sizeof e0, sizeof e1, sizeof e2, sizeof e3, sizeof e4, sizeof e5, sizeof e6};
    for (i = 0; i < 7; i++) {
        sz = zl_entry(zl + n, prev, es[i], ls[i]);
        prev = sz;
        n += sz;
    }
    long70[0] = 0x40;
    long70[1] = 70;
    memset(long70 + 2, 'z', 70);
    sz = zl_entry(zl + n, prev, long70, 72);
    n += sz;
    zl[n++] = 0xFF;
    ep_store_u32le(zl, (uint32_t)n);
    ep_store_u32le(zl + 4, (uint32_t)(n - 1 - sz));
    ep_store_u16le(zl + 8, 8);
    EPT_CHECK_OK(ep_rdb_blob_init(&it, EP_RDB_BLOB_ZIPLIST, ep_bytes_of(zl, n)));
    for (i = 0; i < 7; i++) {
        ep_bytes t;
        EPT_CHECK_OK(ep_rdb_blob_next(&it, &e));
        t = ep_rdb_elem_text(&e, num);
        EPT_CHECK(t.len == strlen(want[i]) && memcmp(t.data, want[i], t.len) == 0);
    }
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.str.len == 70 && e.str.data[0] == 'z');
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_END);
    /* a wrong prevlen is damage */
    zl[10 + 6 + 1] ^= 1;
    EPT_CHECK_OK(ep_rdb_blob_init(&it, EP_RDB_BLOB_ZIPLIST, ep_bytes_of(zl, n)));
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_ERR_CORRUPT);
}

EPT_CASE(zipmap_old) {
    /* {"foo": "bar", "k": "value"} with a free byte of 2 on the second */
    static const uint8_t zm[] = {2, 3, 'f', 'o', 'o', 3, 0, 'b', 'a', 'r', 1, 'k', 5, 2, 'v', 'a', 'l', 'u', 'e', 0, 0, 0xFF};
    ep_rdb_blob_iter it;
    ep_rdb_elem e;
    EPT_CHECK_OK(ep_rdb_blob_init(&it, EP_RDB_BLOB_ZIPMAP, ep_bytes_of(zm, sizeof zm)));
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.str.len == 3 && memcmp(e.str.data, "foo", 3) == 0);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.str.len == 3 && memcmp(e.str.data, "bar", 3) == 0);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.str.len == 1);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_OK && e.str.len == 5 && memcmp(e.str.data, "value", 5) == 0);
    EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_END);
}

EPT_CASE(listpack_random_round_trip_and_damage) {
    uint64_t st = ept_seed();
    long round, rounds = ept_scale(400, 10);
    for (round = 0; round < rounds && !ept_failed(); round++) {
        enum { N = 40 };
        char store[N][5000];
        size_t lens[N], n = 1 + (size_t)(ept_rand(&st) % N), i, mark, cut;
        ep_buf b;
        ep_rdb_blob_iter it;
        ep_rdb_elem e;
        char num[EP_RDB_NUM_TEXT];
        ep_buf_init(&b, NULL);
        ep_rdb_lp_begin(&b, &mark);
        for (i = 0; i < n; i++) {
            unsigned shape = (unsigned)(ept_rand(&st) % 4);
            if (shape == 0) {
                int64_t v = (int64_t)ept_rand(&st) >> (ept_rand(&st) % 63);
                lens[i] = (size_t)snprintf(store[i], sizeof store[i], "%lld", (long long)v);
            } else {
                size_t k, l = shape == 1 ? ept_rand(&st) % 64 : shape == 2 ? ept_rand(&st) % 4200 : 4096 + ept_rand(&st) % 600;
                for (k = 0; k < l; k++) store[i][k] = (char)('a' + ept_rand(&st) % 26);
                lens[i] = l;
            }
            ep_rdb_lp_add(&b, ep_bytes_of(store[i], lens[i]));
        }
        ep_rdb_lp_end(&b, mark, n);
        EPT_CHECK_OK(ep_rdb_blob_init(&it, EP_RDB_BLOB_LISTPACK, ep_bytes_of(b.data, b.len)));
        for (i = 0; i < n; i++) {
            ep_bytes t;
            EPT_CHECK_OK(ep_rdb_blob_next(&it, &e));
            t = ep_rdb_elem_text(&e, num);
            EPT_CHECK(t.len == lens[i] && memcmp(t.data, store[i], t.len) == 0);
        }
        EPT_CHECK(ep_rdb_blob_next(&it, &e) == EP_END);
        /* every cut fails at init (size in the header) */
        for (cut = 0; cut < b.len; cut += 1 + b.len / 50)
            EPT_CHECK(ep_rdb_blob_init(&it, EP_RDB_BLOB_LISTPACK, ep_bytes_of(b.data, cut)) != EP_OK);
        /* bit flips: errors, or elements inside the blob */
        for (i = 0; i < 30; i++) {
            size_t at = (size_t)(ept_rand(&st) % b.len);
            ep_result r;
            b.data[at] ^= (uint8_t)(1u << (ept_rand(&st) % 8));
            r = ep_rdb_blob_init(&it, EP_RDB_BLOB_LISTPACK, ep_bytes_of(b.data, b.len));
            while (r == EP_OK && (r = ep_rdb_blob_next(&it, &e)) == EP_OK)
                if (!e.is_int) EPT_CHECK(e.str.data >= b.data && e.str.data + e.str.len <= b.data + b.len);
            b.data[at] ^= (uint8_t)(1u << 0); /* not restored exactly: next round builds anew */
        }
        ep_buf_free(&b);
    }
}

EPT_MAIN()
