/* resp.c: requests in (RESP arrays of bulk strings, and inline commands as
 * redis-cli and telnet send them) and replies out (RESP2, or RESP3 after
 * HELLO 3). The limits and the error words are Redis 7's; a protocol error is
 * replied and the connection closed once the reply is sent, as Redis does.
 *
 * The request parser keeps its place between reads (mb_left, the bulks so
 * far as offsets into c->in), so a request that arrives in many pieces is
 * parsed once, and an argument array grows with the bulks that actually
 * arrive, never from the count a client claims. */
#include "server.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replies ------------------------------------------------------------ */

static void put(client *c, const void *p, size_t n) { ep_buf_put(&c->out, p, n); }

static void put_line(client *c, char type, int64_t v) {
    char b[32];
    int n = snprintf(b, sizeof b, "%c%lld\r\n", type, (long long)v);
    put(c, b, (size_t)n);
}

void reply_simple(client *c, const char *s) {
    put(c, "+", 1);
    put(c, s, strlen(s));
    put(c, "\r\n", 2);
}

void reply_ok(client *c) { put(c, "+OK\r\n", 5); }

/* An error line never holds CR or LF (they would end it early). */
void reply_error(client *c, const char *s) {
    size_t i, n = strlen(s);
    put(c, "-", 1);
    for (i = 0; i < n; i++) {
        char ch = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
        put(c, &ch, 1);
    }
    put(c, "\r\n", 2);
}

void reply_errorf(client *c, const char *fmt, ...) {
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    reply_error(c, b);
}

void reply_int(client *c, int64_t v) { put_line(c, ':', v); }

void reply_bulk(client *c, const void *p, size_t n) {
    put_line(c, '$', (int64_t)n);
    put(c, p, n);
    put(c, "\r\n", 2);
}

void reply_cstr(client *c, const char *s) { reply_bulk(c, s, strlen(s)); }

void reply_null(client *c) {
    if (c->resp == 3) put(c, "_\r\n", 3);
    else put(c, "$-1\r\n", 5);
}

void reply_null_array(client *c) {
    if (c->resp == 3) put(c, "_\r\n", 3);
    else put(c, "*-1\r\n", 5);
}

void reply_array(client *c, size_t n) { put_line(c, '*', (int64_t)n); }

void reply_map(client *c, size_t n) {
    if (c->resp == 3) put_line(c, '%', (int64_t)n);
    else put_line(c, '*', (int64_t)(2 * n));
}

void reply_set(client *c, size_t n) { put_line(c, c->resp == 3 ? '~' : '*', (int64_t)n); }

/* Redis 7.0's text for a double: inf/-inf, an integer form when the value is
 * integral and exact in a long long, else %.17g. */
static int format_double(char *b, size_t cap, double d) {
    if (d != d) return snprintf(b, cap, "nan");
    if (d > 1.7976931348623157e308) return snprintf(b, cap, "inf");
    if (d < -1.7976931348623157e308) return snprintf(b, cap, "-inf");
    if (d == 0.0) return snprintf(b, cap, (1.0 / d < 0) ? "-0" : "0");
    if (d > -4503599627370496.0 && d < 4503599627370496.0 && d == (double)(long long)d)
        return snprintf(b, cap, "%lld", (long long)d);
    return snprintf(b, cap, "%.17g", d);
}

void reply_double(client *c, double d) {
    char b[64];
    int n = format_double(b, sizeof b, d);
    if (c->resp == 3) {
        put(c, ",", 1);
        put(c, b, (size_t)n);
        put(c, "\r\n", 2);
    } else {
        reply_bulk(c, b, (size_t)n);
    }
}

/* ---- requests ------------------------------------------------------------ */

static int arg_push(client *c, size_t off, size_t n) {
    if (c->argc == c->argcap) {
        size_t cap = c->argcap ? c->argcap * 2 : 16;
        srv_arg *a = (srv_arg *)realloc(c->argv, cap * sizeof *a);
        if (!a) return -1;
        c->argv = a;
        c->argcap = cap;
    }
    /* offsets now, pointers once the request is complete (the buffer may move) */
    c->argv[c->argc].p = (const uint8_t *)(uintptr_t)off;
    c->argv[c->argc].n = n;
    c->argc++;
    return 0;
}

static void args_to_pointers(client *c) {
    size_t i;
    for (i = 0; i < c->argc; i++) c->argv[i].p = c->in.data + (size_t)(uintptr_t)c->argv[i].p;
}

/* A protocol error: reply, then close once the output is out. */
static int proto_error(client *c, const char *what) {
    reply_errorf(c, "Protocol error: %s", what);
    c->close_after = 1;
    c->mb_left = 0;
    c->argc = 0;
    return -1;
}

/* Position of the next LF at or after from, or NULL. */
static const uint8_t *find_lf(const client *c, size_t from) {
    return from < c->in.len ? (const uint8_t *)memchr(c->in.data + from, '\n', c->in.len - from) : NULL;
}

/* Redis's string2ll for the header numbers: digits, an optional '-'. */
static int parse_len(const uint8_t *p, size_t n, long long *out) {
    long long v = 0;
    size_t i = 0;
    int neg = 0;
    if (n == 0 || n > 20) return 0;
    if (p[0] == '-') {
        neg = 1;
        i = 1;
        if (n == 1) return 0;
    }
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        if (v > (LLONG_MAX - (p[i] - '0')) / 10) return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

static int hexval(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Splits an inline line the way redis-cli and Redis do (sdssplitargs):
 * whitespace separates, "..." with \n \t \xHH escapes, '...' literal with \'.
 * The unquoted arguments are decoded in place into the input buffer. */
static int inline_split(client *c, size_t start, size_t end) {
    uint8_t *d = c->in.data;
    size_t i = start;
    while (i < end) {
        size_t w;
        int inq = 0, insq = 0, done = 0;
        while (i < end && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n' || d[i] == '\v' ||
                           d[i] == '\f'))
            i++;
        if (i >= end) break;
        w = i; /* decoded bytes are written at w (never ahead of i) */
        {
            size_t a0 = w;
            while (!done) {
                if (inq) {
                    if (i >= end) return -2;
                    if (d[i] == '\\' && i + 3 < end && d[i + 1] == 'x' && hexval(d[i + 2]) >= 0 &&
                        hexval(d[i + 3]) >= 0) {
                        d[w++] = (uint8_t)(hexval(d[i + 2]) * 16 + hexval(d[i + 3]));
                        i += 4;
                    } else if (d[i] == '\\' && i + 1 < end) {
                        uint8_t e = d[i + 1];
                        d[w++] = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b'
                                 : e == 'a' ? '\a' : e;
                        i += 2;
                    } else if (d[i] == '"') {
                        if (i + 1 < end && d[i + 1] != ' ' && d[i + 1] != '\t' && d[i + 1] != '\r' &&
                            d[i + 1] != '\n')
                            return -2; /* closing quote must be followed by a space */
                        i++;
                        done = 1;
                    } else {
                        d[w++] = d[i++];
                    }
                } else if (insq) {
                    if (i >= end) return -2;
                    if (d[i] == '\\' && i + 1 < end && d[i + 1] == '\'') {
                        d[w++] = '\'';
                        i += 2;
                    } else if (d[i] == '\'') {
                        if (i + 1 < end && d[i + 1] != ' ' && d[i + 1] != '\t' && d[i + 1] != '\r' &&
                            d[i + 1] != '\n')
                            return -2;
                        i++;
                        done = 1;
                    } else {
                        d[w++] = d[i++];
                    }
                } else {
                    if (i >= end || d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n' ||
                        d[i] == '\v' || d[i] == '\f') {
                        done = 1;
                    } else if (d[i] == '"') {
                        inq = 1;
                        i++;
                    } else if (d[i] == '\'') {
                        insq = 1;
                        i++;
                    } else {
                        d[w++] = d[i++];
                    }
                }
            }
            if (c->argc >= (size_t)SRV_MAX_ARGS || arg_push(c, a0, w - a0)) return -1;
        }
    }
    return 0;
}

/* One request from the input, if it is complete: 1 (c->argv set), 0 (need
 * more bytes), -1 (protocol error replied; close). */
static int parse_one(client *c) {
    for (;;) {
        size_t pos = c->in_pos, avail = c->in.len - pos;
        const uint8_t *lf;
        long long n;
        if (avail == 0) return 0;
        if (c->mb_left == 0) {
            c->argc = 0;
            if (c->in.data[pos] != '*') { /* inline */
                size_t end;
                int r;
                lf = find_lf(c, pos);
                if (!lf) return avail > SRV_MAX_INLINE ? proto_error(c, "too big inline request") : 0;
                end = (size_t)(lf - c->in.data);
                c->in_pos = end + 1;
                r = inline_split(c, pos, end);
                if (r == -2) return proto_error(c, "unbalanced quotes in request");
                if (r < 0) return proto_error(c, "invalid multibulk length");
                if (c->argc == 0) continue; /* an empty line */
                args_to_pointers(c);
                return 1;
            }
            lf = find_lf(c, pos);
            if (!lf) return avail > SRV_MAX_INLINE ? proto_error(c, "too big mbulk count string") : 0;
            if (!parse_len(c->in.data + pos + 1, (size_t)(lf - c->in.data) - pos - 1 -
                                                     (lf > c->in.data + pos + 1 && lf[-1] == '\r'),
                           &n) ||
                n > SRV_MAX_ARGS)
                return proto_error(c, "invalid multibulk length");
            c->in_pos = (size_t)(lf - c->in.data) + 1;
            if (n <= 0) continue; /* *0 or *-1: nothing to run */
            c->mb_left = (long)n;
            continue;
        }
        /* a bulk string of the request in progress */
        lf = find_lf(c, pos);
        if (!lf) return avail > SRV_MAX_INLINE ? proto_error(c, "too big bulk count string") : 0;
        if (c->in.data[pos] != '$') {
            char m[64];
            snprintf(m, sizeof m, "expected '$', got '%c'", c->in.data[pos]);
            return proto_error(c, m);
        }
        if (!parse_len(c->in.data + pos + 1,
                       (size_t)(lf - c->in.data) - pos - 1 - (lf > c->in.data + pos + 1 && lf[-1] == '\r'), &n) ||
            n < 0 || (unsigned long long)n > SRV_MAX_BULK)
            return proto_error(c, "invalid bulk length");
        {
            size_t body = (size_t)(lf - c->in.data) + 1;
            if (c->in.len - body < (size_t)n + 2) {
                /* wait for the body; make room for it in one step */
                if (c->in.cap - c->in.len < (size_t)n + 2 - (c->in.len - body))
                    (void)ep_buf_reserve(&c->in, (size_t)n + 2 - (c->in.len - body));
                return 0;
            }
            if (arg_push(c, body, (size_t)n)) return proto_error(c, "out of memory");
            c->in_pos = body + (size_t)n + 2;
        }
        if (--c->mb_left == 0) {
            args_to_pointers(c);
            return 1;
        }
    }
}

int resp_process(server *s, client *c) {
    int r = 0;
    while (!c->close_after && !s->shutdown && c->out.len - c->out_pos < SRV_OUT_PAUSE) {
        r = parse_one(c);
        if (r <= 0) break;
        cmd_run(s, c);
        c->argc = 0;
    }
    /* drop what was parsed, unless a request is half way (its offsets point in) */
    if (c->mb_left == 0 && c->in_pos > 0) {
        memmove(c->in.data, c->in.data + c->in_pos, c->in.len - c->in_pos);
        c->in.len -= c->in_pos;
        c->in_pos = 0;
    }
    return r < 0 ? -1 : 0;
}
