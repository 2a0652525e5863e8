/* codec_resp: exact bytes of every encoder in RESP2 and RESP3; the command
 * parser on whole, pipelined and byte-by-byte input (random commands with a
 * printed seed: every split gives the same commands), inline commands with
 * Redis's quoting rules, errors with offsets and Redis's wording, caps that
 * fail before any allocation, "need more" sizes; the reply reader on every
 * type. */
#include "ember_persist.h"
#include "harness.h"
#include "support/counting.h"

#include <math.h>
#include <stdlib.h>

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }
static int eqs(ep_bytes a, const char *s) { return a.len == strlen(s) && memcmp(a.data, s, a.len) == 0; }
static int bufeq(const ep_buf *b, const char *s) { return b->len == strlen(s) && memcmp(b->data, s, b->len) == 0; }

/* ---- encoders ---------------------------------------------------------- */

EPT_CASE(encode_resp2_and_resp3) {
    ep_buf b;
    ep_buf_init(&b, NULL);
    ep_resp_simple(&b, B("OK"));
    EPT_CHECK(bufeq(&b, "+OK\r\n"));
    ep_buf_reset(&b);
    ep_resp_error(&b, B("ERR bad\r\nthing"));
    EPT_CHECK(bufeq(&b, "-ERR bad  thing\r\n"));
    ep_buf_reset(&b);
    ep_resp_integer(&b, INT64_MIN);
    EPT_CHECK(bufeq(&b, ":-9223372036854775808\r\n"));
    ep_buf_reset(&b);
    ep_resp_integer(&b, 0);
    EPT_CHECK(bufeq(&b, ":0\r\n"));
    ep_buf_reset(&b);
    ep_resp_bulk(&b, ep_bytes_of("a\r\n\0b", 5));
    EPT_CHECK(b.len == 11 && memcmp(b.data, "$5\r\na\r\n\0b\r\n", 11) == 0);
    ep_buf_reset(&b);
    ep_resp_bulk(&b, ep_bytes_of(NULL, 0));
    EPT_CHECK(bufeq(&b, "$0\r\n\r\n"));
    ep_buf_reset(&b);
    ep_resp_null(&b, 2);
    ep_resp_null(&b, 3);
    ep_resp_null_array(&b, 2);
    ep_resp_null_array(&b, 3);
    EPT_CHECK(bufeq(&b, "$-1\r\n_\r\n*-1\r\n_\r\n"));
    ep_buf_reset(&b);
    ep_resp_array(&b, 3);
    ep_resp_map(&b, 2, 2);
    ep_resp_map(&b, 3, 2);
    ep_resp_set(&b, 2, 1);
    ep_resp_set(&b, 3, 1);
    ep_resp_push(&b, 2, 4);
    ep_resp_push(&b, 3, 4);
    EPT_CHECK(bufeq(&b, "*3\r\n*4\r\n%2\r\n*1\r\n~1\r\n*4\r\n>4\r\n"));
    ep_buf_reset(&b);
    ep_resp_double(&b, 3, 1.5);
    ep_resp_double(&b, 2, 1.5);
    ep_resp_double(&b, 3, INFINITY);
    ep_resp_double(&b, 3, -INFINITY);
    ep_resp_double(&b, 3, 0.1);
    ep_resp_double(&b, 3, 3.0);
    EPT_CHECK(bufeq(&b, ",1.5\r\n$3\r\n1.5\r\n,inf\r\n,-inf\r\n,0.1\r\n,3\r\n"));
    ep_buf_reset(&b);
    ep_resp_boolean(&b, 3, 1);
    ep_resp_boolean(&b, 3, 0);
    ep_resp_boolean(&b, 2, 1);
    ep_resp_bignum(&b, 3, B("123456789012345678901234567890"));
    ep_resp_bignum(&b, 2, B("12"));
    EPT_CHECK(bufeq(&b, "#t\r\n#f\r\n:1\r\n(123456789012345678901234567890\r\n$2\r\n12\r\n"));
    ep_buf_reset(&b);
    ep_resp_blob_error(&b, 3, B("SYNTAX x"));
    ep_resp_blob_error(&b, 2, B("SYNTAX x"));
    ep_resp_verbatim(&b, 3, "txt", B("Some string"));
    ep_resp_verbatim(&b, 2, "txt", B("Some"));
    EPT_CHECK(bufeq(&b, "!8\r\nSYNTAX x\r\n-SYNTAX x\r\n=15\r\ntxt:Some string\r\n$4\r\nSome\r\n"));
    EPT_CHECK(b.err == EP_OK);
    ep_buf_free(&b);
}

EPT_CASE(encode_command_and_size) {
    ep_buf b;
    ep_bytes argv[3];
    argv[0] = B("SET");
    argv[1] = B("key");
    argv[2] = ep_bytes_of("v\0\r\n", 4);
    ep_buf_init(&b, NULL);
    ep_resp_write_command(&b, 3, argv);
    EPT_CHECK(b.len == ep_resp_command_size(3, argv));
    EPT_CHECK(b.len == 32 && memcmp(b.data, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$4\r\nv\0\r\n\r\n", 32) == 0);
    ep_buf_free(&b);
}

EPT_CASE(format_numbers) {
    char s[EP_RESP_NUM_MAX];
    double vals[] = {0.0, -0.0, 1.0, -2.5, 0.1, 1e300, 5e-324, 1.7976931348623157e308, 3.14159265358979};
    size_t i;
    int64_t v;
    EPT_CHECK(ep_resp_format_i64(INT64_MAX, s) == 19 && strcmp(s, "9223372036854775807") == 0);
    EPT_CHECK(ep_resp_format_i64(-7, s) == 2 && strcmp(s, "-7") == 0);
    EPT_CHECK(ep_resp_format_double(NAN, s) == 3 && strcmp(s, "nan") == 0);
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double back; /* compared bit for bit: exact round trip, x87 or not */
        ep_resp_format_double(vals[i], s);
        back = strtod(s, NULL);
        if (memcmp(&back, &vals[i], sizeof back) != 0) printf("    %s -> %a, want %a\n", s, back, vals[i]);
        EPT_CHECK(memcmp(&back, &vals[i], sizeof back) == 0);
    }
    ep_resp_format_double(0.1, s);
    EPT_CHECK(strcmp(s, "0.1") == 0);
    /* integral scores print as integers, as Redis does (not "1e+01") */
    ep_resp_format_double(10.0, s);
    EPT_CHECK(strcmp(s, "10") == 0);
    ep_resp_format_double(-1000000.0, s);
    EPT_CHECK(strcmp(s, "-1000000") == 0);
    ep_resp_format_double(-0.0, s);
    EPT_CHECK(strcmp(s, "-0") == 0);
    EPT_CHECK(ep_resp_parse_i64((const uint8_t *)"-12", 3, &v) && v == -12);
    EPT_CHECK(ep_resp_parse_i64((const uint8_t *)"0", 1, &v) && v == 0);
    EPT_CHECK(!ep_resp_parse_i64((const uint8_t *)"+1", 2, &v));
    EPT_CHECK(!ep_resp_parse_i64((const uint8_t *)"01", 2, &v));
    EPT_CHECK(!ep_resp_parse_i64((const uint8_t *)"-0", 2, &v));
    EPT_CHECK(!ep_resp_parse_i64((const uint8_t *)"", 0, &v));
    EPT_CHECK(!ep_resp_parse_i64((const uint8_t *)"9223372036854775808", 19, &v));
    EPT_CHECK(ep_resp_parse_i64((const uint8_t *)"-9223372036854775808", 20, &v) && v == INT64_MIN);
}

/* ---- command parser ---------------------------------------------------- */

static ep_resp_parser *parser(uint32_t flags) {
    ep_resp_parser_config cfg;
    ep_resp_parser *p = NULL;
    ep_resp_parser_config_init(&cfg);
    cfg.flags = flags;
    if (ep_resp_parser_create(&cfg, &p) != EP_OK) return NULL;
    return p;
}

EPT_CASE(parse_multibulk_pipelined) {
    const char *in = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    ep_resp_parser *p = parser(EP_RESP_ACCEPT_INLINE);
    ep_resp_command c;
    size_t off = 0, len = strlen(in);
    EPT_CHECK(p);
    EPT_CHECK_OK(ep_resp_parse_command(p, (const uint8_t *)in, len, &c));
    EPT_CHECK(c.argc == 1 && eqs(c.argv[0], "PING") && c.consumed == 14 && !c.is_inline);
    off += c.consumed;
    EPT_CHECK_OK(ep_resp_parse_command(p, (const uint8_t *)in + off, len - off, &c));
    EPT_CHECK(c.argc == 3 && eqs(c.argv[0], "SET") && eqs(c.argv[1], "k") && c.argv[2].len == 0);
    EPT_CHECK(c.argv[1].data == (const uint8_t *)in + off + 17);   /* a view, no copy */
    off += c.consumed;
    EPT_CHECK_OK(ep_resp_parse_command(p, (const uint8_t *)in + off, len - off, &c));
    EPT_CHECK(c.argc == 2 && eqs(c.argv[0], "GET"));
    off += c.consumed;
    EPT_CHECK(off == len);
    EPT_CHECK(ep_resp_parser_offset(p) == len);
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)in + off, 0, &c) == EP_END);
    EPT_CHECK(c.need == 1 && c.consumed == 0 && !ep_resp_parser_in_command(p));
    ep_resp_parser_free(p);
}

EPT_CASE(parse_need_more_sizes) {
    /* A big argument: after its "$" line the parser asks for all of it. */
    const char *head = "*2\r\n$3\r\nSET\r\n$100000\r\n";
    size_t hl = strlen(head), total = hl + 100000 + 2;
    uint8_t *buf = (uint8_t *)malloc(total);
    ep_resp_parser *p = parser(0);
    ep_resp_command c;
    size_t have;
    EPT_CHECK(buf && p);
    memcpy(buf, head, hl);
    memset(buf + hl, 'x', 100000);
    memcpy(buf + hl + 100000, "\r\n", 2);
    EPT_CHECK(ep_resp_parse_command(p, buf, 3, &c) == EP_END);
    EPT_CHECK(c.need == 4 && ep_resp_parser_in_command(p) == 0);
    EPT_CHECK(ep_resp_parse_command(p, buf, hl, &c) == EP_END);
    EPT_CHECK(c.need == total && ep_resp_parser_in_command(p));
    for (have = hl + 1; have < total; have += 4096) {
        EPT_CHECK(ep_resp_parse_command(p, buf, have, &c) == EP_END);
        EPT_CHECK(c.need == total);
    }
    EPT_CHECK_OK(ep_resp_parse_command(p, buf, total, &c));
    EPT_CHECK(c.argc == 2 && c.argv[1].len == 100000 && c.argv[1].data == buf + hl);
    ep_resp_parser_free(p);
    free(buf);
}

EPT_CASE(parse_skips_empty_and_annotations) {
    const char *in = "*0\r\n*-1\r\n#TS:1700000000\r\n*1\r\n$4\r\nPING\r\n";
    ep_resp_parser *p = parser(EP_RESP_ACCEPT_ANNOTATIONS);
    ep_resp_command c;
    EPT_CHECK(p);
    EPT_CHECK_OK(ep_resp_parse_command(p, (const uint8_t *)in, strlen(in), &c));
    EPT_CHECK(c.argc == 1 && eqs(c.argv[0], "PING") && c.consumed == strlen(in));
    ep_resp_parser_free(p);
    /* Without the flag an annotation is a protocol error... */
    p = parser(0);
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)"#TS:1\r\n", 7, &c) == EP_ERR_PROTOCOL);
    EPT_CHECK(strcmp(ep_resp_parser_error(p)->message, "Protocol error: expected '*', got '#'") == 0);
    ep_resp_parser_free(p);
    /* ...and skipped bytes before a partial command are handed back. */
    p = parser(EP_RESP_ACCEPT_INLINE);
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)"\r\n\r\n*1\r\n$4\r\nPI", 15, &c) == EP_END);
    EPT_CHECK(c.consumed == 4 && ep_resp_parser_offset(p) == 4 && c.need == 14);
    EPT_CHECK_OK(ep_resp_parse_command(p, (const uint8_t *)"*1\r\n$4\r\nPING\r\n", 14, &c));
    EPT_CHECK(c.argc == 1 && eqs(c.argv[0], "PING"));
    ep_resp_parser_free(p);
}

EPT_CASE(parse_inline_redis_rules) {
    struct {
        const char *in;
        int argc;
        const char *args[4];
        size_t lens[4];
    } ok[] = {
        {"PING\r\n", 1, {"PING"}, {4}},
        {"  set   k  v \n", 3, {"set", "k", "v"}, {3, 1, 1}},
        {"set \"a b\" 'c d'\r\n", 3, {"set", "a b", "c d"}, {3, 3, 3}},
        {"set k \"\\x41\\n\\t\\\\\\\"\\q\"\r\n", 3, {"set", "k", "A\n\t\\\"q"}, {3, 1, 6}},
        {"set k 'it\\'s'\r\n", 3, {"set", "k", "it's"}, {3, 1, 4}},
        {"set k \"\"\r\n", 3, {"set", "k", ""}, {3, 1, 0}},
        {"set k foo\"bar\"\r\n", 3, {"set", "k", "foobar"}, {3, 1, 6}},
        {"get \"\\x00\"\r\n", 2, {"get", "\0"}, {3, 1}},
    };
    const char *bad[] = {"set \"abc\r\n", "set 'abc\r\n", "set \"a\"b\r\n", "set 'a'b\r\n"};
    size_t i;
    int j;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ep_resp_parser *p = parser(EP_RESP_ACCEPT_INLINE);
        ep_resp_command c;
        EPT_CHECK(p);
        EPT_CHECK_OK(ep_resp_parse_command(p, (const uint8_t *)ok[i].in, strlen(ok[i].in), &c));
        EPT_CHECK(c.is_inline && (int)c.argc == ok[i].argc && c.consumed == strlen(ok[i].in));
        for (j = 0; j < ok[i].argc; j++)
            EPT_CHECK(c.argv[j].len == ok[i].lens[j] && memcmp(c.argv[j].data, ok[i].args[j], ok[i].lens[j]) == 0);
        ep_resp_parser_free(p);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ep_resp_parser *p = parser(EP_RESP_ACCEPT_INLINE);
        ep_resp_command c;
        EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)bad[i], strlen(bad[i]), &c) == EP_ERR_PROTOCOL);
        EPT_CHECK(strcmp(ep_resp_parser_error(p)->message, "Protocol error: unbalanced quotes in request") == 0);
        /* sticky */
        EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)"PING\r\n", 6, &c) == EP_ERR_PROTOCOL);
        ep_resp_parser_reset(p);
        EPT_CHECK_OK(ep_resp_parse_command(p, (const uint8_t *)"PING\r\n", 6, &c));
        ep_resp_parser_free(p);
    }
}

EPT_CASE(parse_errors_with_offsets) {
    struct {
        const char *in;
        ep_result code;
        uint64_t off;
        const char *msg;
    } cases[] = {
        {"*1\r\n$4\r\nPING\r\n*x\r\n", EP_ERR_PROTOCOL, 14, "Protocol error: invalid multibulk length"},
        {"*2\r\n$3\r\nGET\r\n%1\r\nk\r\n", EP_ERR_PROTOCOL, 13, "Protocol error: expected '$', got '%'"},
        {"*1\r\n$-1\r\n", EP_ERR_PROTOCOL, 4, "Protocol error: invalid bulk length"},
        {"*1\r\n$01\r\nx\r\n", EP_ERR_PROTOCOL, 4, "Protocol error: invalid bulk length"},
        {"*1\r\n$4\r\nPINGxx", EP_ERR_PROTOCOL, 12, "Protocol error: bulk string not followed by CRLF"},
        {"*1\r$4\r\n", EP_ERR_PROTOCOL, 0, "Protocol error: invalid multibulk length"},
        {"*1048577\r\n", EP_ERR_LIMIT, 0, "Protocol error: invalid multibulk length"},
        {"*1\r\n$536870913\r\n", EP_ERR_LIMIT, 4, "Protocol error: invalid bulk length"},
        {"*111111111111111111111111111111111\r\n", EP_ERR_PROTOCOL, 0, "Protocol error: invalid multibulk length"},
        {"SET k v\r\n", EP_ERR_PROTOCOL, 0, "Protocol error: expected '*', got 'S'"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ep_resp_parser *p = parser(0);
        ep_resp_command c;
        size_t len = strlen(cases[i].in), off = 0;
        ep_result r;
        EPT_CHECK(p);
        while ((r = ep_resp_parse_command(p, (const uint8_t *)cases[i].in + off, len - off, &c)) == EP_OK) off += c.consumed;
        if (r != cases[i].code || ep_resp_parser_error(p)->offset != cases[i].off ||
            strcmp(ep_resp_parser_error(p)->message, cases[i].msg) != 0) {
            fprintf(stderr, "case %u: r=%d off=%llu msg=%s\n", (unsigned)i, r,
                    (unsigned long long)ep_resp_parser_error(p)->offset, ep_resp_parser_error(p)->message);
            EPT_CHECK(0);
        }
        ep_resp_parser_free(p);
    }
}

EPT_CASE(parse_caps_before_allocation) {
    /* A peer that announces a million arguments or a 512 MiB bulk gets no
     * memory for them until the bytes arrive. */
    ept_counting cnt;
    ep_allocator a = ept_counting_alloc(&cnt);
    ep_resp_parser_config cfg;
    ep_resp_parser *p;
    ep_resp_command c;
    const char *in = "*1048576\r\n$536870912\r\nabc";
    ep_resp_parser_config_init(&cfg);
    cfg.alloc = &a;
    EPT_CHECK_OK(ep_resp_parser_create(&cfg, &p));
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)in, strlen(in), &c) == EP_END);
    EPT_CHECK(c.need == 10 + 12 + 536870912u + 2);
    EPT_CHECK(cnt.peak < 1024);
    ep_resp_parser_free(p);
    EPT_CHECK(cnt.live == 0);
    /* Inline: a line without its end beyond the cap is refused. */
    cfg.max_inline = 16;
    cfg.flags = EP_RESP_ACCEPT_INLINE;
    EPT_CHECK_OK(ep_resp_parser_create(&cfg, &p));
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)"SET k vvvvvvvv", 14, &c) == EP_END);
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)"SET k vvvvvvvvvvvvvv", 20, &c) == EP_ERR_LIMIT);
    EPT_CHECK(strcmp(ep_resp_parser_error(p)->message, "Protocol error: too big inline request") == 0);
    ep_resp_parser_free(p);
    /* Lowered caps apply. */
    ep_resp_parser_config_init(&cfg);
    cfg.max_args = 2;
    cfg.max_bulk = 3;
    EPT_CHECK_OK(ep_resp_parser_create(&cfg, &p));
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)"*3\r\n", 4, &c) == EP_ERR_LIMIT);
    ep_resp_parser_reset(p);
    EPT_CHECK(ep_resp_parse_command(p, (const uint8_t *)"*1\r\n$4\r\n", 8, &c) == EP_ERR_LIMIT);
    ep_resp_parser_free(p);
}

EPT_CASE(parse_failing_allocator) {
    ept_counting cnt;
    ep_allocator a = ept_counting_alloc(&cnt);
    long n;
    const char *in = "*10\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n"
                     "set \"q u\" v\r\n";
    for (n = 0; n < 20; n++) {
        ep_resp_parser_config cfg;
        ep_resp_parser *p = NULL;
        ep_resp_command c;
        ep_result r;
        size_t off = 0, got = 0;
        cnt.fail_after = n;
        ep_resp_parser_config_init(&cfg);
        cfg.alloc = &a;
        if (ep_resp_parser_create(&cfg, &p) != EP_OK) continue;
        while ((r = ep_resp_parse_command(p, (const uint8_t *)in + off, strlen(in) - off, &c)) == EP_OK) {
            off += c.consumed;
            got++;
        }
        EPT_CHECK(r == EP_END || r == EP_ERR_NOMEM);
        if (r == EP_END) EPT_CHECK(got == 2);
        ep_resp_parser_free(p);
        EPT_CHECK(cnt.live == 0);
    }
}

/* Random commands (binary arguments, some inline), fed whole, in random
 * chunks, and one byte at a time through a buffer the test compacts like a
 * server: the same commands come out every way. */
typedef struct gen_cmd {
    size_t argc;
    ep_bytes argv[8];
    uint8_t store[8][64];
} gen_cmd;

static void gen(uint64_t *st, gen_cmd *g, ep_buf *out, int allow_inline) {
    size_t i, j;
    int as_inline = allow_inline && (ept_rand(st) % 4 == 0);
    g->argc = 1 + ept_rand(st) % 8;
    for (i = 0; i < g->argc; i++) {
        size_t n = ept_rand(st) % (as_inline ? 10 : 64);
        if (as_inline && n == 0) n = 1;
        for (j = 0; j < n; j++)
            g->store[i][j] = as_inline ? (uint8_t)('a' + ept_rand(st) % 26) : (uint8_t)ept_rand(st);
        g->argv[i] = ep_bytes_of(g->store[i], n);
    }
    if (as_inline) {
        for (i = 0; i < g->argc; i++) {
            if (i) ep_buf_put(out, " ", 1);
            ep_buf_put(out, g->argv[i].data, g->argv[i].len);
        }
        ep_buf_put(out, "\r\n", 2);
    } else {
        ep_resp_write_command(out, g->argc, g->argv);
    }
}

static int same(const ep_resp_command *c, const gen_cmd *g) {
    size_t i;
    if (c->argc != g->argc) return 0;
    for (i = 0; i < c->argc; i++)
        if (c->argv[i].len != g->argv[i].len || (c->argv[i].len && memcmp(c->argv[i].data, g->argv[i].data, c->argv[i].len)))
            return 0;
    return 1;
}

EPT_CASE(parse_random_splits_property) {
    uint64_t seed = ept_seed(), st = seed;
    long round, rounds = ept_scale(200, 10);
    for (round = 0; round < rounds && !ept_failed(); round++) {
        enum { N = 20 };
        static gen_cmd cmds[N];
        ep_buf stream;
        size_t i, k;
        int mode;
        ep_buf_init(&stream, NULL);
        for (i = 0; i < N; i++) gen(&st, &cmds[i], &stream, 1);
        for (mode = 0; mode < 3; mode++) {
            ep_resp_parser *p = parser(EP_RESP_ACCEPT_INLINE);
            uint8_t *win = (uint8_t *)malloc(stream.len + 1);
            size_t have = 0, fed = 0;
            ep_resp_command c;
            ep_result r;
            k = 0;
            while (k < N) {
                r = ep_resp_parse_command(p, win, have, &c);
                if (r == EP_OK && !same(&c, &cmds[k])) {
                    fprintf(stderr, "seed %llu round %ld mode %d command %u differs\n", (unsigned long long)seed, round,
                            mode, (unsigned)k);
                    EPT_CHECK(0);
                }
                if (r == EP_OK || r == EP_END) {
                    /* drop consumed bytes, as a server compacts its buffer */
                    memmove(win, win + c.consumed, have - c.consumed);
                    have -= c.consumed;
                }
                if (r == EP_OK) {
                    k++;
                    continue;
                }
                EPT_CHECK(r == EP_END);
                EPT_CHECK(fed < stream.len);
                {
                    size_t step = mode == 0 ? stream.len - fed : mode == 1 ? 1 + ept_rand(&st) % 50 : 1;
                    if (step > stream.len - fed) step = stream.len - fed;
                    memcpy(win + have, stream.data + fed, step);
                    have += step;
                    fed += step;
                }
            }
            EPT_CHECK(have == 0 && fed == stream.len && ep_resp_parser_offset(p) == stream.len);
            free(win);
            ep_resp_parser_free(p);
        }
        ep_buf_free(&stream);
    }
}

/* ---- reply reader ------------------------------------------------------ */

EPT_CASE(read_every_reply_type) {
    const char *in = "+OK\r\n-ERR x\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n*-1\r\n_\r\n#t\r\n,1.5\r\n,inf\r\n(12345\r\n"
                     "!3\r\nbad\r\n=8\r\ntxt:abcd\r\n%1\r\n~2\r\n|1\r\n>3\r\n";
    struct {
        ep_resp_type t;
        int is_null;
        int64_t n;
        const char *s;
    } want[] = {
        {EP_RESP_SIMPLE, 0, 0, "OK"}, {EP_RESP_ERROR, 0, 0, "ERR x"}, {EP_RESP_INTEGER, 0, 42, ""},
        {EP_RESP_BULK, 0, 0, "abc"}, {EP_RESP_BULK, 1, 0, ""}, {EP_RESP_ARRAY, 0, 2, ""}, {EP_RESP_ARRAY, 1, 0, ""},
        {EP_RESP_NULL, 1, 0, ""}, {EP_RESP_BOOLEAN, 0, 1, ""}, {EP_RESP_DOUBLE, 0, 0, "1.5"},
        {EP_RESP_DOUBLE, 0, 0, "inf"}, {EP_RESP_BIGNUM, 0, 0, "12345"}, {EP_RESP_BLOB_ERROR, 0, 0, "bad"},
        {EP_RESP_VERBATIM, 0, 0, "abcd"}, {EP_RESP_MAP, 0, 1, ""}, {EP_RESP_SET, 0, 2, ""},
        {EP_RESP_ATTRIBUTE, 0, 1, ""}, {EP_RESP_PUSH, 0, 3, ""},
    };
    size_t off = 0, len = strlen(in), i, used, cut;
    ep_resp_value v;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        EPT_CHECK_OK(ep_resp_read_value((const uint8_t *)in + off, len - off, 0, &v, &used, NULL));
        EPT_CHECK(v.type == want[i].t && v.is_null == want[i].is_null);
        if (want[i].t == EP_RESP_INTEGER || want[i].t == EP_RESP_BOOLEAN || want[i].n) EPT_CHECK(v.integer == want[i].n);
        if (*want[i].s) EPT_CHECK(eqs(v.str, want[i].s));
        /* every cut of this value asks for more */
        for (cut = 0; cut < used; cut++) {
            size_t u2;
            ep_resp_value v2;
            EPT_CHECK(ep_resp_read_value((const uint8_t *)in + off, cut, 0, &v2, &u2, NULL) == EP_END);
        }
        off += used;
    }
    EPT_CHECK(off == len);
    EPT_CHECK(ep_resp_read_value((const uint8_t *)",1.5\r\n", 6, 0, &v, &used, NULL) == EP_OK && v.dbl == 1.5);
    EPT_CHECK(ep_resp_read_value((const uint8_t *)"?x\r\n", 4, 0, &v, &used, NULL) == EP_ERR_PROTOCOL);
    EPT_CHECK(ep_resp_read_value((const uint8_t *)"$5\r\nab\r\n", 8, 4, &v, &used, NULL) == EP_ERR_LIMIT);
    EPT_CHECK(ep_resp_read_value((const uint8_t *)"$2\r\nabc\r\n", 9, 0, &v, &used, NULL) == EP_ERR_PROTOCOL);
    EPT_CHECK(ep_resp_read_value((const uint8_t *)":1x\r\n", 5, 0, &v, &used, NULL) == EP_ERR_PROTOCOL);
    EPT_CHECK(ep_resp_read_value((const uint8_t *)"*3000000\r\n", 10, 0, &v, &used, NULL) == EP_ERR_LIMIT);
}

EPT_MAIN()
