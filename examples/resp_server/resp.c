/* resp.c: requests in and replies out through the library's RESP codec
 * (codec_resp.h): one ep_resp_parser per client (multibulk and inline, the
 * caps of 512 MiB per argument, 1 M arguments and Redis's 64 KiB per inline line,
 * Redis's words for protocol errors), and the codec's encoders for every
 * reply in the client's protocol (2, or 3 after HELLO 3). A protocol error is
 * replied and the connection closed once the reply is sent, as Redis does. */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- replies ------------------------------------------------------------ */

void reply_simple(client *c, const char *s) { ep_resp_simple(&c->out, ep_bytes_str(s)); }
void reply_ok(client *c) { ep_resp_simple(&c->out, EP_LIT("OK")); }
void reply_error(client *c, const char *s) { ep_resp_error(&c->out, ep_bytes_str(s)); }

void reply_errorf(client *c, const char *fmt, ...) {
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    reply_error(c, b);
}

void reply_int(client *c, int64_t v) { ep_resp_integer(&c->out, v); }
void reply_bulk(client *c, const void *p, size_t n) { ep_resp_bulk(&c->out, ep_bytes_of(p, n)); }
void reply_cstr(client *c, const char *s) { ep_resp_bulk(&c->out, ep_bytes_str(s)); }
void reply_null(client *c) { ep_resp_null(&c->out, c->resp); }
void reply_null_array(client *c) { ep_resp_null_array(&c->out, c->resp); }
void reply_array(client *c, size_t n) { ep_resp_array(&c->out, n); }
void reply_map(client *c, size_t n) { ep_resp_map(&c->out, c->resp, n); }
void reply_set(client *c, size_t n) { ep_resp_set(&c->out, c->resp, n); }
void reply_double(client *c, double d) { ep_resp_double(&c->out, c->resp, d); }

/* ---- requests ------------------------------------------------------------ */

int resp_process(server *s, client *c) {
    int rc = 0;
    if (!c->parser) {
        ep_resp_parser_config pc;
        ep_resp_parser_config_init(&pc);
        pc.flags = EP_RESP_ACCEPT_INLINE;
        pc.max_inline = SRV_MAX_INLINE;
        if (ep_resp_parser_create(&pc, &c->parser) != EP_OK) return -1;
    }
    while (!c->close_after && !s->shutdown && c->out.len - c->out_pos < SRV_OUT_PAUSE) {
        ep_resp_command cmd;
        size_t avail = c->in.len - c->in_pos;
        ep_result r = ep_resp_parse_command(c->parser, c->in.data + c->in_pos, avail, &cmd);
        c->in_pos += cmd.consumed;
        if (r == EP_END) {
            /* room for what the command needs, in one step (bounded by the parser's caps) */
            if (cmd.need > avail && cmd.need - cmd.consumed < SRV_MAX_QUERY)
                (void)ep_buf_reserve(&c->in, cmd.need - cmd.consumed - (c->in.len - c->in_pos));
            break;
        }
        if (r != EP_OK) {
            const ep_error *e = ep_resp_parser_error(c->parser);
            if (r == EP_ERR_NOMEM) reply_error(c, "ERR out of memory");
            else reply_errorf(c, "ERR %s", e->message);
            c->close_after = 1;
            rc = -1;
            break;
        }
        c->argv = cmd.argv;
        c->argc = cmd.argc;
        cmd_run(s, c);
        c->argc = 0;
        c->argv = NULL;
    }
    /* the parser allows the unparsed bytes to move: keep the buffer compact */
    if (c->in_pos > 0) {
        memmove(c->in.data, c->in.data + c->in_pos, c->in.len - c->in_pos);
        c->in.len -= c->in_pos;
        c->in_pos = 0;
    }
    return rc;
}
