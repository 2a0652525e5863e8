/* base layer: result strings, LE codec, cursor, buffer, UTF-8, allocator. */
#include "ember_persist.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>

EPT_CASE(result_strings_are_distinct_and_named) {
    int r;
    for (r = (int)EP_END; r >= (int)EP_ERR_WRONG_TYPE; r--) {
        const char *s = ep_result_str((ep_result)r);
        int q;
        EPT_CHECK(s && *s);
        EPT_CHECK(strcmp(s, "unknown result code") != 0);
        for (q = r + 1; q <= (int)EP_END; q++) EPT_CHECK(strcmp(s, ep_result_str((ep_result)q)) != 0);
    }
    EPT_CHECK(strcmp(ep_result_str((ep_result)-999), "unknown result code") == 0);
    EPT_CHECK(strcmp(ep_result_str((ep_result)((int)EP_ERR_WRONG_TYPE - 1)), "unknown result code") == 0);
    EPT_CHECK(strcmp(ep_result_str((ep_result)2), "unknown result code") == 0);
}

/* ep_result_str walks one array of names: each code at its place. */
EPT_CASE(result_strings_each_at_its_code) {
    EPT_CHECK(strcmp(ep_result_str(EP_END), "end of data") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_OK), "ok") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_ERR_INVALID_ARG), "invalid argument") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_ERR_CHECKSUM), "checksum mismatch") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_ERR_POISONED), "handle poisoned by an earlier sync failure") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_ERR_STATE), "invalid state") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_ERR_TIMEOUT), "timed out") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_ERR_WRONG_TYPE), "wrong type of value for this operation") == 0);
    EPT_CHECK(strcmp(ep_result_str(EP_ERR_INVALID), ep_result_str(EP_ERR_INVALID_ARG)) == 0);
}

EPT_CASE(version_matches_macros) {
    EPT_CHECK(strcmp(ep_version(), EP_VERSION_STRING) == 0);
    EPT_CHECK_EQ(ep_version_number(), EP_VERSION_NUMBER);
}

EPT_CASE(le_codec_round_trips_and_is_little_endian) {
    uint8_t b[8];
    ep_store_u16le(b, 0xBEEF);
    EPT_CHECK(b[0] == 0xEF && b[1] == 0xBE);
    EPT_CHECK_EQ(ep_load_u16le(b), 0xBEEF);
    ep_store_u32le(b, 0xDEADBEEFu);
    EPT_CHECK(b[0] == 0xEF && b[3] == 0xDE);
    EPT_CHECK(ep_load_u32le(b) == 0xDEADBEEFu);
    ep_store_u64le(b, 0x0102030405060708ull);
    EPT_CHECK(b[0] == 8 && b[7] == 1);
    EPT_CHECK(ep_load_u64le(b) == 0x0102030405060708ull);
    ep_store_i64le(b, -1);
    EPT_CHECK(b[0] == 0xff && b[7] == 0xff);
    EPT_CHECK(ep_load_i64le(b) == -1);
    ep_store_i64le(b, INT64_MAX);
    EPT_CHECK(ep_load_i64le(b) == INT64_MAX);
    ep_store_i64le(b, INT64_MIN);
    EPT_CHECK(ep_load_i64le(b) == INT64_MIN);
    ep_store_f64le(b, 1.5);  /* 00 00 00 00 00 00 f8 3f (vector V3) */
    EPT_CHECK(b[6] == 0xf8 && b[7] == 0x3f && b[0] == 0);
    EPT_CHECK(ep_load_f64le(b) == 1.5);
    ep_store_f32le(b, -2.5f);  /* 00 00 20 c0 */
    EPT_CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0x20 && b[3] == 0xc0);
    EPT_CHECK(ep_load_f32le(b) == -2.5f);
    ep_store_f64le(b, -0.0);
    EPT_CHECK(b[7] == 0x80 && signbit(ep_load_f64le(b)));
}

EPT_CASE(cursor_reads_fields_and_error_sticks) {
    static const uint8_t d[] = {1, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE, 2, 0, 0, 0, 'h', 'i', 9};
    ep_cursor c;
    ep_bytes s;
    ep_cursor_init(&c, d, sizeof d);
    EPT_CHECK_EQ(ep_cursor_u8(&c), 1);
    EPT_CHECK_EQ(ep_cursor_u16(&c), 0x1234);
    EPT_CHECK(ep_cursor_u32(&c) == 0xDEADBEEFu);
    s = ep_cursor_lenbytes(&c, 100);
    EPT_CHECK(s.len == 2 && memcmp(s.data, "hi", 2) == 0);
    EPT_CHECK_EQ(ep_cursor_remaining(&c), 1);
    EPT_CHECK_EQ(ep_cursor_u32(&c), 0);      /* only 1 byte left */
    EPT_CHECK_EQ(c.err, EP_ERR_EOF);
    EPT_CHECK_EQ(ep_cursor_u8(&c), 0);       /* sticky: even the byte that is there */
    EPT_CHECK_EQ(c.pos, 13);                 /* never moved past the failure */
    EPT_CHECK_EQ(ep_cursor_remaining(&c), 0);
}

EPT_CASE(cursor_u32_from_two_bytes_is_eof_and_empty_u8_is_eof) {
    static const uint8_t d[] = {1, 2};
    ep_cursor c;
    ep_cursor_init(&c, d, 2);
    (void)ep_cursor_u32(&c);
    EPT_CHECK_EQ(c.err, EP_ERR_EOF);
    ep_cursor_init(&c, NULL, 0);
    (void)ep_cursor_u8(&c);
    EPT_CHECK_EQ(c.err, EP_ERR_EOF);
}

EPT_CASE(cursor_lenbytes_cap_checked_before_data) {
    uint8_t d[4];
    ep_cursor c;
    ep_store_u32le(d, 536870913u); /* MAX_FIELD_LEN + 1, and no data follows */
    ep_cursor_init(&c, d, 4);
    (void)ep_cursor_lenbytes(&c, 536870912u);
    EPT_CHECK_EQ(c.err, EP_ERR_LIMIT);
    ep_store_u32le(d, 0xFFFFFFFFu);
    ep_cursor_init(&c, d, 4);
    (void)ep_cursor_lenbytes(&c, 0xFFFFFFFFu);
    EPT_CHECK_EQ(c.err, EP_ERR_EOF);
}

EPT_CASE(cursor_lenstr_rejects_bad_utf8) {
    static const uint8_t d[] = {1, 0, 0, 0, 0xFF};
    ep_cursor c;
    ep_cursor_init(&c, d, sizeof d);
    (void)ep_cursor_lenstr(&c, 100);
    EPT_CHECK_EQ(c.err, EP_ERR_UTF8);
}

EPT_CASE(utf8_validation_follows_rust_rules) {
    static const struct { const char *s; size_t n; int ok; } v[] = {
        {"", 0, 1}, {"hello world, plain ascii text", 29, 1},
        {"\xc3\xa9", 2, 1}, {"\xe2\x82\xac", 3, 1}, {"\xf0\x9f\x98\x80", 4, 1},
        {"\xf4\x8f\xbf\xbf", 4, 1},                       /* U+10FFFF */
        {"\xc0\x80", 2, 0}, {"\xc1\xbf", 2, 0},           /* overlong */
        {"\xe0\x80\x80", 3, 0}, {"\xf0\x80\x80\x80", 4, 0},
        {"\xed\xa0\x80", 3, 0},                           /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0},                       /* > U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0}, {"\xff", 1, 0}, {"\x80", 1, 0},
        {"\xc3", 1, 0}, {"\xe2\x82", 2, 0}, {"abcdefgh\xc3", 9, 0},
        {"\xc3\x28", 2, 0},
    };
    size_t i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        int got = ep_utf8_valid((const uint8_t *)v[i].s, v[i].n);
        if (got != v[i].ok) {
            char m[64];
            snprintf(m, sizeof m, "utf8 case %zu", i);
            ept_fail(__FILE__, __LINE__, m);
        }
    }
}

/* Reference for the fast validator: one code point at a time, written from
 * the rules (RFC 3629 table), no word tricks. */
static int ref_utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint8_t lo = 0x80, hi = 0xBF;
        size_t k, need;
        if (c <= 0x7F) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) need = 2;
        else if (c >= 0xF0 && c <= 0xF4) need = 3;
        else return 0;
        if (c == 0xE0) lo = 0xA0;      /* overlong */
        if (c == 0xED) hi = 0x9F;      /* surrogates */
        if (c == 0xF0) lo = 0x90;      /* overlong */
        if (c == 0xF4) hi = 0x8F;      /* > U+10FFFF */
        if (n - i - 1 < need) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
        i += need + 1;
    }
    return 1;
}

/* Every length 0..40, every offset, one odd sequence placed there (cut short
 * where it runs past the end): the ASCII words, the overlapping last word and
 * the short tail must all hand over to the exact rules at the right place.
 * Each buffer is its own allocation, so ASan sees any read past the end. */
EPT_CASE(utf8_fast_path_matches_reference_at_every_offset) {
    static const struct { const char *s; size_t n; } seq[] = {
        {"\x80", 1}, {"\xff", 1}, {"\xc2", 1}, {"\xc0\x80", 2}, {"\xc3\xa9", 2}, {"\xc3\x28", 2},
        {"\xe2\x82\xac", 3}, {"\xe2\x82", 2}, {"\xed\xa0\x80", 3}, {"\xed\x9f\xbf", 3},
        {"\xe0\x80\x80", 3}, {"\xe0\xa0\x80", 3}, {"\xf0\x9f\x98\x80", 4}, {"\xf0\x8f\xbf\xbf", 4},
        {"\xf4\x8f\xbf\xbf", 4}, {"\xf4\x90\x80\x80", 4}, {"\xf5\x80\x80\x80", 4}, {"\x7f", 1},
    };
    size_t n, off, q, checked = 0;
    for (n = 0; n <= 40; n++) {
        for (off = 0; off <= n; off++) {
            for (q = 0; q < sizeof seq / sizeof seq[0]; q++) {
                uint8_t *b = (uint8_t *)malloc(n ? n : 1);
                size_t i, m = seq[q].n;
                int want, got;
                if (!b) { EPT_CHECK(b != NULL); }
                for (i = 0; i < n; i++) b[i] = (uint8_t)('a' + i % 26);
                if (off < n) memcpy(b + off, seq[q].s, m < n - off ? m : n - off);
                want = ref_utf8_valid(b, n);
                got = ep_utf8_valid(b, n);
                free(b);
                if (got != want) {
                    char msg[96];
                    snprintf(msg, sizeof msg, "len %zu, sequence %zu at %zu: got %d, want %d", n, q, off, got, want);
                    ept_fail(__FILE__, __LINE__, msg);
                    return;
                }
                checked++;
            }
        }
    }
    EPT_CHECK(checked > 10000);
}

/* Two odd bytes in one buffer, the second after a valid first: the exact
 * validator, entered mid-buffer, must still see the second. */
EPT_CASE(utf8_fast_path_two_sequences) {
    uint8_t b[40];
    size_t n, a, z;
    for (n = 2; n <= 40; n += 3) {
        for (a = 0; a + 2 <= n; a++) {
            for (z = a + 2; z < n; z++) {
                size_t i;
                for (i = 0; i < n; i++) b[i] = (uint8_t)('A' + i % 26);
                b[a] = 0xC3; b[a + 1] = 0xA9;   /* valid é */
                b[z] = 0xFE;                    /* never valid */
                EPT_CHECK_EQ(ep_utf8_valid(b, n), 0);
                EPT_CHECK_EQ(ref_utf8_valid(b, n), 0);
                b[z] = 'x';
                EPT_CHECK_EQ(ep_utf8_valid(b, n), 1);
            }
        }
    }
}

EPT_CASE(buf_encodes_fields_and_grows) {
    ep_buf b;
    int i;
    ep_buf_init(&b, NULL);
    ep_buf_u8(&b, 7);
    ep_buf_u16(&b, 0x0102);
    ep_buf_u32(&b, 0x03040506u);
    ep_buf_i64(&b, -1);
    ep_buf_lenbytes(&b, "ab", 2);
    ep_buf_f64(&b, 1.5);
    ep_buf_f32(&b, -2.5f);
    EPT_CHECK_EQ(b.err, EP_OK);
    EPT_CHECK_EQ(b.len, 1 + 2 + 4 + 8 + 6 + 8 + 4);
    EPT_CHECK(b.data[1] == 2 && b.data[2] == 1);
    for (i = 0; i < 100000; i++) ep_buf_u8(&b, (uint8_t)i);
    EPT_CHECK_EQ(b.len, 33 + 100000);
    EPT_CHECK_EQ(b.data[33 + 99999], (uint8_t)99999);
    ep_buf_reset(&b);
    EPT_CHECK_EQ(b.len, 0);
    ep_buf_free(&b);
}

static int failing_calls;
static void *fail_malloc(size_t n, void *u) { (void)n; (void)u; failing_calls++; return NULL; }
static void *fail_realloc(void *p, size_t n, void *u) { (void)p; (void)n; (void)u; failing_calls++; return NULL; }
static void fail_free(void *p, void *u) { (void)p; (void)u; }

EPT_CASE(buf_allocation_failure_sticks) {
    ep_allocator a = {NULL, fail_malloc, fail_realloc, fail_free};
    ep_buf b;
    ep_buf_init(&b, &a);
    ep_buf_u32(&b, 1);
    EPT_CHECK_EQ(b.err, EP_ERR_NOMEM);
    ep_buf_u32(&b, 2);
    EPT_CHECK_EQ(b.len, 0);
    EPT_CHECK(failing_calls >= 1);
    ep_buf_free(&b);
}

static size_t counted_bytes;
static void *count_malloc(size_t n, void *u) { *(int *)u += 1; counted_bytes += n; return malloc(n); }
static void *count_realloc(void *p, size_t n, void *u) { *(int *)u += 1; return realloc(p, n); }
static void count_free(void *p, void *u) { *(int *)u -= 1; free(p); }

EPT_CASE(allocator_user_pointer_reaches_callbacks) {
    int live = 0;
    ep_allocator a;
    void *p;
    a.user = &live;
    a.malloc_fn = count_malloc;
    a.realloc_fn = count_realloc;
    a.free_fn = count_free;
    p = ep_malloc(&a, 10);
    EPT_CHECK(p != NULL);
    EPT_CHECK_EQ(live, 1);
    ep_free(&a, p);
    EPT_CHECK_EQ(live, 0);
    EPT_CHECK(ep_allocator_default() != NULL);
    p = ep_malloc(NULL, 3);
    EPT_CHECK(p != NULL);
    ep_free(NULL, p);
}

EPT_CASE(error_detail_is_filled) {
    ep_error e;
    ep_error_clear(&e);
    EPT_CHECK_EQ(e.code, EP_OK);
    EPT_CHECK(e.offset == UINT64_MAX);
    EPT_CHECK_EQ(ep_error_set(&e, EP_ERR_CHECKSUM, 42, "record %d bad", 3), EP_ERR_CHECKSUM);
    EPT_CHECK(e.offset == 42);
    EPT_CHECK(strcmp(e.message, "record 3 bad") == 0);
    EPT_CHECK_EQ(ep_error_set(&e, EP_ERR_EOF, 0, NULL), EP_ERR_EOF);
    EPT_CHECK(strcmp(e.message, "unexpected end of data") == 0);
    EPT_CHECK_EQ(ep_error_set(NULL, EP_ERR_IO, 0, "x"), EP_ERR_IO);
}

EPT_MAIN()
