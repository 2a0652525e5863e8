/* codec_resp: RESP2/RESP3 encoders, the incremental command parser and the
 * one-value reply reader. Wording of protocol errors follows Redis, so a
 * client sees what it would see from redis-server. */
#include "base/internal.h"
#include "codec/codec_resp.h"

#ifndef EP_NO_REDIS

#include <math.h>

/* A "*<count>" or "$<len>" line longer than this cannot hold a valid number. */
#define EP__RESP_HEADER_CAP 32u

/* ---- numbers ----------------------------------------------------------- */

EP_API size_t ep_resp_format_i64(int64_t v, char out[EP_RESP_NUM_MAX]) {
    char tmp[24];
    size_t n = 0, i;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10u));
        u /= 10u;
    } while (u);
    i = 0;
    if (v < 0) out[i++] = '-';
    while (n) out[i++] = tmp[--n];
    out[i] = '\0';
    return i;
}

EP_API size_t ep_resp_format_double(double d, char out[EP_RESP_NUM_MAX]) {
    int prec;
    if (d != d) {
        memcpy(out, "nan", 4);
        return 3;
    }
    /* Infinite (x - x is NaN only for infinities here). Not a comparison with
     * the DBL_MAX literal: on x87 that literal is a long double a hair below
     * DBL_MAX, and DBL_MAX itself printed as "inf". */
    if (d - d != 0) {
        if (d > 0) {
            memcpy(out, "inf", 4);
            return 3;
        }
        memcpy(out, "-inf", 5);
        return 4;
    }
    /* Integral values as integers, as every Redis version prints them ("10",
     * not the "1e+01" that the shortest %g form below would give). */
    if (d > -4503599627370496.0 && d < 4503599627370496.0 && d == (double)(int64_t)d) {
        if (d == 0 && 1.0 / d < 0) {
            memcpy(out, "-0", 3);
            return 2;
        }
        return ep_resp_format_i64((int64_t)d, out);
    }
    /* The shortest %g form that reads back exactly: 0.1 stays "0.1". The
     * values compared go through memory so that x87 (32-bit x86) compares
     * doubles, not 80-bit registers. */
    for (prec = 1; prec <= 17; prec++) {
        int n = snprintf(out, EP_RESP_NUM_MAX, "%.*g", prec, d);
        volatile double back = n > 0 && n < EP_RESP_NUM_MAX ? strtod(out, NULL) : 0.0;
        volatile double want = d;
        if (n > 0 && n < EP_RESP_NUM_MAX && back == want) return (size_t)n;
    }
    return (size_t)snprintf(out, EP_RESP_NUM_MAX, "%.17g", d);
}

EP_API int ep_resp_parse_i64(const uint8_t *s, size_t n, int64_t *out) {
    if (n == 0 || n > 20) return 0;
    if (s[0] == '+') return 0;
    if (s[0] == '-' ? (n > 1 && s[1] == '0') : (s[0] == '0' && n > 1)) return 0;
    return ep_parse_i64(s, n, out);
}

/* ---- encoders ---------------------------------------------------------- */

static void ep__resp_crlf(ep_buf *b) { ep_buf_put(b, "\r\n", 2); }

/* "<type><number>\r\n" */
static void ep__resp_head(ep_buf *b, char type, int64_t n) {
    char num[EP_RESP_NUM_MAX + 3];
    size_t k;
    num[0] = type;
    k = ep_resp_format_i64(n, num + 1);
    num[k + 1] = '\r';
    num[k + 2] = '\n';
    ep_buf_put(b, num, k + 3);
}

static int64_t ep__resp_count(size_t n) { return n > (size_t)INT64_MAX ? INT64_MAX : (int64_t)n; }

/* One line: CR and LF would end it early, so they become spaces. */
static void ep__resp_line(ep_buf *b, char type, ep_bytes s) {
    size_t i;
    uint8_t *p;
    ep_buf_u8(b, (uint8_t)type);
    if (s.len && ep_buf_reserve(b, s.len) == EP_OK) {
        p = b->data + b->len;
        memcpy(p, s.data, s.len);
        for (i = 0; i < s.len; i++)
            if (p[i] == '\r' || p[i] == '\n') p[i] = ' ';
        b->len += s.len;
    }
    ep__resp_crlf(b);
}

static void ep__resp_blob(ep_buf *b, char type, ep_bytes s) {
    ep__resp_head(b, type, ep__resp_count(s.len));
    ep_buf_put(b, s.data, s.len);
    ep__resp_crlf(b);
}

EP_API void ep_resp_simple(ep_buf *b, ep_bytes s) { ep__resp_line(b, '+', s); }
EP_API void ep_resp_error(ep_buf *b, ep_bytes s) { ep__resp_line(b, '-', s); }
EP_API void ep_resp_integer(ep_buf *b, int64_t v) { ep__resp_head(b, ':', v); }
EP_API void ep_resp_bulk(ep_buf *b, ep_bytes s) { ep__resp_blob(b, '$', s); }

EP_API void ep_resp_null(ep_buf *b, int proto) {
    if (proto >= 3) ep_buf_put(b, "_\r\n", 3);
    else ep_buf_put(b, "$-1\r\n", 5);
}
EP_API void ep_resp_null_array(ep_buf *b, int proto) {
    if (proto >= 3) ep_buf_put(b, "_\r\n", 3);
    else ep_buf_put(b, "*-1\r\n", 5);
}
EP_API void ep_resp_array(ep_buf *b, size_t n) { ep__resp_head(b, '*', ep__resp_count(n)); }
EP_API void ep_resp_map(ep_buf *b, int proto, size_t pairs) {
    if (proto >= 3) ep__resp_head(b, '%', ep__resp_count(pairs));
    else ep__resp_head(b, '*', pairs > (size_t)INT64_MAX / 2 ? INT64_MAX : (int64_t)pairs * 2);
}
EP_API void ep_resp_set(ep_buf *b, int proto, size_t n) { ep__resp_head(b, proto >= 3 ? '~' : '*', ep__resp_count(n)); }
EP_API void ep_resp_push(ep_buf *b, int proto, size_t n) { ep__resp_head(b, proto >= 3 ? '>' : '*', ep__resp_count(n)); }

EP_API void ep_resp_double(ep_buf *b, int proto, double d) {
    char num[EP_RESP_NUM_MAX];
    size_t n = ep_resp_format_double(d, num);
    if (proto >= 3) {
        ep__resp_line(b, ',', ep_bytes_of(num, n));
    } else {
        ep__resp_blob(b, '$', ep_bytes_of(num, n));
    }
}
EP_API void ep_resp_boolean(ep_buf *b, int proto, int v) {
    if (proto >= 3) ep_buf_put(b, v ? "#t\r\n" : "#f\r\n", 4);
    else ep_buf_put(b, v ? ":1\r\n" : ":0\r\n", 4);
}
EP_API void ep_resp_bignum(ep_buf *b, int proto, ep_bytes digits) {
    if (proto >= 3) ep__resp_line(b, '(', digits);
    else ep__resp_blob(b, '$', digits);
}
EP_API void ep_resp_blob_error(ep_buf *b, int proto, ep_bytes s) {
    if (proto >= 3) ep__resp_blob(b, '!', s);
    else ep__resp_line(b, '-', s);
}
EP_API void ep_resp_verbatim(ep_buf *b, int proto, const char *format3, ep_bytes s) {
    char fmt[4] = {'t', 'x', 't', ':'};
    size_t i;
    if (proto < 3) {
        ep__resp_blob(b, '$', s);
        return;
    }
    for (i = 0; format3 && i < 3 && format3[i]; i++) fmt[i] = format3[i];
    ep__resp_head(b, '=', s.len > (size_t)INT64_MAX - 4 ? INT64_MAX : (int64_t)(s.len + 4));
    ep_buf_put(b, fmt, 4);
    ep_buf_put(b, s.data, s.len);
    ep__resp_crlf(b);
}

EP_API void ep_resp_write_command(ep_buf *b, size_t argc, const ep_bytes *argv) {
    size_t i, total = ep_resp_command_size(argc, argv);
    if (ep_buf_reserve(b, total) != EP_OK) return;
    ep_resp_array(b, argc);
    for (i = 0; i < argc; i++) ep_resp_bulk(b, argv[i]);
}

static size_t ep__resp_digits(uint64_t v) {
    size_t n = 1;
    while (v >= 10u) {
        v /= 10u;
        n++;
    }
    return n;
}

EP_API size_t ep_resp_command_size(size_t argc, const ep_bytes *argv) {
    size_t i, total = 3 + ep__resp_digits(argc);
    for (i = 0; i < argc; i++) total += 5 + ep__resp_digits(argv[i].len) + argv[i].len;
    return total;
}

/* ---- command parser ---------------------------------------------------- */

typedef struct ep__resp_arg {
    size_t off;
    size_t len;
    int in_scratch;  /* inline argument rebuilt from quotes and escapes */
} ep__resp_arg;

struct ep_resp_parser {
    ep_resp_parser_config cfg;
    ep_error err;
    int failed;          /* sticky: an error was reported */
    uint64_t base;       /* stream offset of the caller's buf[0] */
    /* A multibulk in progress; every offset is relative to buf[0]. */
    int in_cmd;
    size_t pos;          /* next byte to parse */
    int64_t left;        /* arguments still to come */
    int64_t bulk;        /* length of the argument being read, -1 before its "$" line */
    size_t inline_scan;  /* inline: bytes already searched for '\n' */
    ep__resp_arg *args;
    ep_bytes *argv;
    size_t nargs, cap;
    ep_buf scratch;
};

EP_API void ep_resp_parser_config_init(ep_resp_parser_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->flags = EP_RESP_ACCEPT_INLINE;
    cfg->max_bulk = EP_RESP_MAX_BULK;
    cfg->max_args = EP_RESP_MAX_ARGS;
    cfg->max_inline = EP_RESP_MAX_INLINE;
}

EP_API ep_result ep_resp_parser_create(const ep_resp_parser_config *cfg, ep_resp_parser **out) {
    ep_resp_parser_config def;
    ep_resp_parser *p;
    if (!out) return EP_ERR_INVALID_ARG;
    *out = NULL;
    if (!cfg) {
        ep_resp_parser_config_init(&def);
        cfg = &def;
    }
    p = (ep_resp_parser *)ep_malloc(cfg->alloc, sizeof *p);
    if (!p) return EP_ERR_NOMEM;
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    if (p->cfg.max_bulk == 0 || p->cfg.max_bulk > EP_RESP_MAX_BULK) p->cfg.max_bulk = EP_RESP_MAX_BULK;
    if (p->cfg.max_args == 0 || p->cfg.max_args > EP_RESP_MAX_ARGS) p->cfg.max_args = EP_RESP_MAX_ARGS;
    if (p->cfg.max_inline == 0 || p->cfg.max_inline > EP_RESP_MAX_INLINE) p->cfg.max_inline = EP_RESP_MAX_INLINE;
    ep_buf_init(&p->scratch, cfg->alloc);
    ep_resp_parser_reset(p);
    *out = p;
    return EP_OK;
}

EP_API void ep_resp_parser_free(ep_resp_parser *p) {
    if (!p) return;
    ep_free(p->cfg.alloc, p->args);
    ep_free(p->cfg.alloc, p->argv);
    ep_buf_free(&p->scratch);
    ep_free(p->cfg.alloc, p);
}

static void ep__resp_clear_cmd(ep_resp_parser *p) {
    p->in_cmd = 0;
    p->pos = 0;
    p->left = 0;
    p->bulk = -1;
    p->nargs = 0;
    p->inline_scan = 0;
}

EP_API void ep_resp_parser_reset(ep_resp_parser *p) {
    ep_error_clear(&p->err);
    p->failed = 0;
    p->base = 0;
    ep__resp_clear_cmd(p);
}

EP_API uint64_t ep_resp_parser_offset(const ep_resp_parser *p) { return p->base; }
EP_API int ep_resp_parser_in_command(const ep_resp_parser *p) { return p->in_cmd || p->inline_scan > 0; }
EP_API const ep_error *ep_resp_parser_error(const ep_resp_parser *p) { return &p->err; }

static ep_result ep__resp_fail(ep_resp_parser *p, ep_result code, size_t at, const char *msg, int ch) {
    p->failed = 1;
    if (ch >= 0) ep_error_set(&p->err, code, p->base + at, "Protocol error: %s '%c'", msg, ch);
    else ep_error_set(&p->err, code, p->base + at, "Protocol error: %s", msg);
    return code;
}
/* its text through EP__TEXT (base.h: EP_NO_ERROR_TEXT drops it at every call) */
#define ep__resp_fail(p, code, at, msg, ch) ep__resp_fail((p), (code), (at), EP__TEXT(msg), (ch))


/* Room for one more argument. Grows with what has arrived, never with the
 * count the peer announced. */
static ep_result ep__resp_grow(ep_resp_parser *p) {
    size_t ncap;
    ep__resp_arg *na;
    ep_bytes *nv;
    if (p->nargs < p->cap) return EP_OK;
    ncap = p->cap ? p->cap * 2 : 8;
    if (ncap > p->cfg.max_args) ncap = p->cfg.max_args;
    if (ncap <= p->nargs) return EP_ERR_LIMIT;
    na = (ep__resp_arg *)ep_realloc(p->cfg.alloc, p->args, ncap * sizeof *na);
    if (!na) return EP_ERR_NOMEM;
    p->args = na;
    nv = (ep_bytes *)ep_realloc(p->cfg.alloc, p->argv, ncap * sizeof *nv);
    if (!nv) return EP_ERR_NOMEM;
    p->argv = nv;
    p->cap = ncap;
    return EP_OK;
}

static ep_result ep__resp_push_arg(ep_resp_parser *p, size_t off, size_t len, int in_scratch) {
    ep_result r = ep__resp_grow(p);
    if (r != EP_OK) return r;
    p->args[p->nargs].off = off;
    p->args[p->nargs].len = len;
    p->args[p->nargs].in_scratch = in_scratch;
    p->nargs++;
    return EP_OK;
}

static void ep__resp_views(ep_resp_parser *p, const uint8_t *buf) {
    size_t i;
    for (i = 0; i < p->nargs; i++) {
        const uint8_t *src = p->args[i].in_scratch ? p->scratch.data : buf;
        p->argv[i] = ep_bytes_of(src ? src + p->args[i].off : buf, p->args[i].len);
    }
}

/* A header line "<c><digits>\r\n" at buf[at]: 1 and *value and *next, 0 if
 * more bytes are needed, -1 if it cannot be a number. */
static int ep__resp_header(const uint8_t *buf, size_t len, size_t at, int64_t *value, size_t *next) {
    size_t end = at + 1, lim = len < at + EP__RESP_HEADER_CAP ? len : at + EP__RESP_HEADER_CAP;
    while (end < lim && buf[end] != '\r') end++;
    if (end == lim) return lim == len && len < at + EP__RESP_HEADER_CAP ? 0 : -1;
    if (end + 1 == len) return 0;
    if (buf[end + 1] != '\n') return -1;
    if (!ep_resp_parse_i64(buf + at + 1, end - at - 1, value)) return -1;
    *next = end + 2;
    return 1;
}

static int ep__resp_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int ep__resp_hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Splits one inline line buf[s..e) into arguments the way redis-cli and
 * redis-server do (sdssplitargs): blanks separate, "..." takes \n \r \t \b
 * \a \xHH and \<c> escapes, '...' takes \', and a closing quote must be
 * followed by a blank or the end. Plain arguments stay views into buf; an
 * argument with quotes is rebuilt in the scratch buffer. Returns EP_OK or
 * EP_ERR_PROTOCOL (unbalanced quotes) or EP_ERR_NOMEM / EP_ERR_LIMIT. */
static ep_result ep__resp_split_inline(ep_resp_parser *p, const uint8_t *buf, size_t s, size_t e) {
    size_t i = s;
    ep_buf_reset(&p->scratch);
    for (;;) {
        size_t tok = i, soff = p->scratch.len;
        int quoted = 0;
        ep_result r;
        while (i < e && ep__resp_space(buf[i])) i++;
        if (i == e || buf[i] == 0) return EP_OK;   /* a NUL ends the line for Redis too */
        tok = i;
        /* Plain token: the common case, a view. */
        while (i < e && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != 0 &&
               buf[i] != '"' && buf[i] != '\'')
            i++;
        if (i == e || (buf[i] != '"' && buf[i] != '\'')) {
            r = ep__resp_push_arg(p, tok, i - tok, 0);
            if (r != EP_OK) return r;
            continue;
        }
        /* A quote somewhere in the token: rebuild the whole token. */
        quoted = 1;
        ep_buf_put(&p->scratch, buf + tok, i - tok);
        while (quoted) {
            uint8_t q = buf[i++];
            int closed = 0;
            while (i < e && !closed) {
                uint8_t c = buf[i];
                if (c == 0) return EP_ERR_PROTOCOL;
                if (q == '"' && c == '\\' && i + 3 < e && buf[i + 1] == 'x' && ep__resp_hexval(buf[i + 2]) >= 0 &&
                    ep__resp_hexval(buf[i + 3]) >= 0) {
                    ep_buf_u8(&p->scratch, (uint8_t)(ep__resp_hexval(buf[i + 2]) * 16 + ep__resp_hexval(buf[i + 3])));
                    i += 4;
                } else if (q == '"' && c == '\\' && i + 1 < e) {
                    uint8_t x = buf[i + 1];
                    switch (x) {
                    case 'n': x = '\n'; break;
                    case 'r': x = '\r'; break;
                    case 't': x = '\t'; break;
                    case 'b': x = '\b'; break;
                    case 'a': x = '\a'; break;
                    default: break;
                    }
                    ep_buf_u8(&p->scratch, x);
                    i += 2;
                } else if (q == '\'' && c == '\\' && i + 1 < e && buf[i + 1] == '\'') {
                    ep_buf_u8(&p->scratch, '\'');
                    i += 2;
                } else if (c == q) {
                    /* The closing quote must end the token. */
                    if (i + 1 < e && !ep__resp_space(buf[i + 1])) return EP_ERR_PROTOCOL;
                    closed = 1;
                    i++;
                } else {
                    ep_buf_u8(&p->scratch, c);
                    i++;
                }
            }
            if (!closed) return EP_ERR_PROTOCOL;
            quoted = 0;
        }
        if (p->scratch.err) return p->scratch.err;
        r = ep__resp_push_arg(p, soff, p->scratch.len - soff, 1);
        if (r != EP_OK) return r;
    }
}

/* An inline command from buf[pos]: EP_OK (a command or an empty line, see
 * p->nargs), EP_END (no '\n' yet), or an error. */
static ep_result ep__resp_inline(ep_resp_parser *p, const uint8_t *buf, size_t len, size_t pos, size_t *next) {
    size_t from = pos + p->inline_scan, end;
    const uint8_t *nl = from < len ? (const uint8_t *)memchr(buf + from, '\n', len - from) : NULL;
    ep_result r;
    if (!nl) {
        if (len - pos > p->cfg.max_inline)
            return ep__resp_fail(p, EP_ERR_LIMIT, pos, "too big inline request", -1);
        p->inline_scan = len - pos;
        return EP_END;
    }
    end = (size_t)(nl - buf);
    if (end - pos > p->cfg.max_inline) return ep__resp_fail(p, EP_ERR_LIMIT, pos, "too big inline request", -1);
    *next = end + 1;
    if (end > pos && buf[end - 1] == '\r') end--;
    p->inline_scan = 0;
    p->nargs = 0;
    r = ep__resp_split_inline(p, buf, pos, end);
    if (r == EP_ERR_PROTOCOL) return ep__resp_fail(p, r, pos, "unbalanced quotes in request", -1);
    if (r == EP_ERR_LIMIT) return ep__resp_fail(p, r, pos, "too many arguments in inline request", -1);
    if (r != EP_OK) {
        p->nargs = 0;
        return r;
    }
    return EP_OK;
}

/* Continues the multibulk in progress. EP_OK when complete, EP_END when
 * more bytes are needed (*need set), or an error. */
static ep_result ep__resp_multibulk(ep_resp_parser *p, const uint8_t *buf, size_t len, size_t *need) {
    while (p->left > 0) {
        if (p->bulk < 0) {
            int64_t n;
            size_t next;
            int h;
            if (p->pos >= len) {
                *need = p->pos + 1;
                return EP_END;
            }
            if (buf[p->pos] != '$') return ep__resp_fail(p, EP_ERR_PROTOCOL, p->pos, "expected '$', got", buf[p->pos]);
            h = ep__resp_header(buf, len, p->pos, &n, &next);
            if (h == 0) {
                *need = len + 1;
                return EP_END;
            }
            if (h < 0 || n < 0) return ep__resp_fail(p, EP_ERR_PROTOCOL, p->pos, "invalid bulk length", -1);
            if ((uint64_t)n > p->cfg.max_bulk) return ep__resp_fail(p, EP_ERR_LIMIT, p->pos, "invalid bulk length", -1);
            p->bulk = n;
            p->pos = next;
        }
        if (len - p->pos < (size_t)p->bulk + 2u) {
            *need = p->pos + (size_t)p->bulk + 2u;
            return EP_END;
        }
        if (buf[p->pos + (size_t)p->bulk] != '\r' || buf[p->pos + (size_t)p->bulk + 1] != '\n')
            return ep__resp_fail(p, EP_ERR_PROTOCOL, p->pos + (size_t)p->bulk, "bulk string not followed by CRLF", -1);
        {
            ep_result r = ep__resp_push_arg(p, p->pos, (size_t)p->bulk, 0);
            if (r != EP_OK) return r == EP_ERR_LIMIT ? ep__resp_fail(p, r, p->pos, "invalid multibulk length", -1) : r;
        }
        p->pos += (size_t)p->bulk + 2u;
        p->bulk = -1;
        p->left--;
    }
    return EP_OK;
}

/* Moves every offset back by n after the caller dropped n bytes. */
static void ep__resp_rebase(ep_resp_parser *p, size_t n) {
    size_t i;
    p->base += n;
    if (p->in_cmd) {
        p->pos -= n;
        for (i = 0; i < p->nargs; i++) p->args[i].off -= n;
    }
}

EP_API ep_result ep_resp_parse_command(ep_resp_parser *p, const uint8_t *buf, size_t len, ep_resp_command *out) {
    size_t pos = 0, start = 0, need = 0;
    ep_result r;
    memset(out, 0, sizeof *out);
    if (p->failed) return p->err.code;
    if (!buf && len) return EP_ERR_INVALID_ARG;
    for (;;) {
        if (!p->in_cmd) {
            uint8_t c;
            start = pos;
            if (pos >= len) {
                need = pos + 1;
                break;
            }
            c = buf[pos];
            if (c == '*') {
                int64_t n;
                size_t next;
                int h = ep__resp_header(buf, len, pos, &n, &next);
                if (h == 0) {
                    need = len + 1;
                    break;
                }
                if (h < 0) return ep__resp_fail(p, EP_ERR_PROTOCOL, pos, "invalid multibulk length", -1);
                if (n > (int64_t)p->cfg.max_args) return ep__resp_fail(p, EP_ERR_LIMIT, pos, "invalid multibulk length", -1);
                if (n <= 0) {
                    pos = next;   /* "*0" and "*-1": nothing to run, as in Redis */
                    continue;
                }
                p->in_cmd = 1;
                p->left = n;
                p->bulk = -1;
                p->nargs = 0;
                p->pos = next;
            } else if (c == '#' && (p->cfg.flags & EP_RESP_ACCEPT_ANNOTATIONS)) {
                const uint8_t *nl = (const uint8_t *)memchr(buf + pos, '\n', len - pos);
                if (!nl) {
                    if (len - pos > p->cfg.max_inline) return ep__resp_fail(p, EP_ERR_LIMIT, pos, "too big annotation", -1);
                    need = len + 1;
                    break;
                }
                pos = (size_t)(nl - buf) + 1;
                continue;
            } else if (p->cfg.flags & EP_RESP_ACCEPT_INLINE) {
                size_t next = 0;
                r = ep__resp_inline(p, buf, len, pos, &next);
                if (r == EP_END) {
                    need = len + 1;
                    break;
                }
                if (r != EP_OK) return r;
                if (p->nargs == 0) {
                    pos = next;
                    continue;
                }
                ep__resp_views(p, buf);
                out->argc = p->nargs;
                out->argv = p->argv;
                out->consumed = next;
                out->is_inline = 1;
                p->base += next;
                p->nargs = 0;
                return EP_OK;
            } else {
                return ep__resp_fail(p, EP_ERR_PROTOCOL, pos, "expected '*', got", c);
            }
        }
        r = ep__resp_multibulk(p, buf, len, &need);
        if (r == EP_END) break;
        if (r != EP_OK) return r;
        ep__resp_views(p, buf);
        out->argc = p->nargs;
        out->argv = p->argv;
        out->consumed = p->pos;
        p->base += p->pos;
        ep__resp_clear_cmd(p);
        return EP_OK;
    }
    /* Need more: give back what was skipped before the partial command. */
    out->consumed = start;
    out->need = need - start;
    ep__resp_rebase(p, start);
    return EP_END;
}

/* ---- reply reader ------------------------------------------------------ */

/* The end of the line that starts at buf[at]: the index of its '\r', or
 * len (need more) or SIZE_MAX (a bare CR or a line beyond cap). */
static size_t ep__resp_line_end(const uint8_t *buf, size_t len, size_t at, uint64_t cap) {
    const uint8_t *cr = at < len ? (const uint8_t *)memchr(buf + at, '\r', len - at) : NULL;
    size_t end;
    if (!cr) return (uint64_t)(len - at) > cap ? SIZE_MAX : len;
    end = (size_t)(cr - buf);
    if ((uint64_t)(end - at) > cap) return SIZE_MAX;
    if (end + 1 == len) return len;
    return buf[end + 1] == '\n' ? end : SIZE_MAX;
}

EP_API ep_result ep_resp_read_value(const uint8_t *buf, size_t len, uint64_t max_bulk, ep_resp_value *out,
                                    size_t *consumed, ep_error *err) {
    size_t end;
    uint8_t t;
    ep_bytes line;
    memset(out, 0, sizeof *out);
    *consumed = 0;
    if (max_bulk == 0 || max_bulk > EP_RESP_MAX_BULK) max_bulk = EP_RESP_MAX_BULK;
    if (len == 0) return EP_END;
    t = buf[0];
    end = ep__resp_line_end(buf, len, 1, max_bulk);
    if (end == len) return EP_END;
    if (end == SIZE_MAX) return ep_error_set(err, EP_ERR_PROTOCOL, 0, "Protocol error: bad line in reply");
    line = ep_bytes_of(buf + 1, end - 1);
    out->type = (ep_resp_type)t;
    switch (t) {
    case '+':
    case '-':
    case '(':
        out->str = line;
        *consumed = end + 2;
        return EP_OK;
    case ':':
        if (!ep_resp_parse_i64(line.data, line.len, &out->integer))
            return ep_error_set(err, EP_ERR_PROTOCOL, 1, "Protocol error: bad integer");
        *consumed = end + 2;
        return EP_OK;
    case '_':
        if (line.len) return ep_error_set(err, EP_ERR_PROTOCOL, 1, "Protocol error: bad null");
        out->is_null = 1;
        *consumed = end + 2;
        return EP_OK;
    case '#':
        if (line.len != 1 || (line.data[0] != 't' && line.data[0] != 'f'))
            return ep_error_set(err, EP_ERR_PROTOCOL, 1, "Protocol error: bad boolean");
        out->integer = line.data[0] == 't';
        *consumed = end + 2;
        return EP_OK;
    case ',': {
        char tmp[64];
        char *stop;
        if (line.len == 0 || line.len >= sizeof tmp) return ep_error_set(err, EP_ERR_PROTOCOL, 1, "Protocol error: bad double");
        memcpy(tmp, line.data, line.len);
        tmp[line.len] = '\0';
        out->dbl = strtod(tmp, &stop);
        if (stop != tmp + line.len) return ep_error_set(err, EP_ERR_PROTOCOL, 1, "Protocol error: bad double");
        out->str = line;
        *consumed = end + 2;
        return EP_OK;
    }
    case '*':
    case '%':
    case '~':
    case '|':
    case '>':
        if (!ep_resp_parse_i64(line.data, line.len, &out->integer) || out->integer < -1 ||
            (out->integer == -1 && t != '*'))
            return ep_error_set(err, EP_ERR_PROTOCOL, 1, "Protocol error: bad aggregate count");
        if (out->integer > (int64_t)EP_RESP_MAX_ARGS * 2)
            return ep_error_set(err, EP_ERR_LIMIT, 1, "Protocol error: aggregate count above the cap");
        if (out->integer == -1) {
            out->is_null = 1;
            out->integer = 0;
        }
        *consumed = end + 2;
        return EP_OK;
    case '$':
    case '!':
    case '=': {
        int64_t n;
        size_t body = end + 2;
        if (!ep_resp_parse_i64(line.data, line.len, &n) || n < -1 || (n == -1 && t != '$'))
            return ep_error_set(err, EP_ERR_PROTOCOL, 1, "Protocol error: bad bulk length");
        if (n == -1) {
            out->is_null = 1;
            *consumed = body;
            return EP_OK;
        }
        if ((uint64_t)n > max_bulk) return ep_error_set(err, EP_ERR_LIMIT, 1, "Protocol error: bulk length above the cap");
        if (len - body < (size_t)n + 2u) return EP_END;
        if (buf[body + (size_t)n] != '\r' || buf[body + (size_t)n + 1] != '\n')
            return ep_error_set(err, EP_ERR_PROTOCOL, body + (size_t)n, "Protocol error: bulk not followed by CRLF");
        out->str = ep_bytes_of(buf + body, (size_t)n);
        if (t == '=') {
            if (n < 4 || buf[body + 3] != ':') return ep_error_set(err, EP_ERR_PROTOCOL, body, "Protocol error: bad verbatim string");
            memcpy(out->format, buf + body, 3);
            out->format[3] = '\0';
            out->str = ep_bytes_of(buf + body + 4, (size_t)n - 4);
        }
        *consumed = body + (size_t)n + 2;
        return EP_OK;
    }
    default:
        return ep_error_set(err, EP_ERR_PROTOCOL, 0, "Protocol error: unknown reply type '%c'", t);
    }
}

#endif /* EP_NO_REDIS */
