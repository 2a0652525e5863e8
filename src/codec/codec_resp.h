/* codec_resp: the Redis protocol (RESP2 and RESP3) between bytes and values.
 * Pure functions and one small parser object, no I/O.
 *
 * Encoding: replies of every RESP2/RESP3 type and commands (arrays of bulk
 * strings, the form Redis writes to its AOF), appended to an ep_buf. Calls
 * that take `proto` (2 or 3) write the RESP3 form for 3 and the RESP2 form
 * Redis falls back to for 2 (a map becomes a flat array, a double a bulk
 * string, a boolean an integer, null a null bulk).
 *
 * Decoding: an incremental, binary-safe command parser built for a server's
 * input buffer. It parses in place: a command comes back as views into the
 * caller's bytes (inline commands with quoted escapes are the one exception:
 * those arguments are unescaped into the parser's scratch space). It keeps
 * its progress inside a command between calls, so a 512 MiB argument that
 * arrives in 4 KiB reads is scanned once, and it says how many bytes it needs
 * before it can finish ("need more") apart from a protocol error with the
 * byte offset. It allocates only for arguments that have really arrived,
 * never for a count or a length announced by the peer.
 *
 * And a one-value reader for replies (a client's side, RESP2 and RESP3). */
#ifndef EP_CODEC_RESP_H
#define EP_CODEC_RESP_H

#include "base/base.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

/* Redis's own caps (proto-max-bulk-len, the multibulk count limit) and the
 * inline line cap of this library. A parser config may lower them. */
#define EP_RESP_MAX_BULK (512ull * 1024 * 1024)
#define EP_RESP_MAX_ARGS (1024u * 1024)
#define EP_RESP_MAX_INLINE ((size_t)64 * 1024 * 1024)

/* The type byte of each RESP value. */
typedef enum ep_resp_type {
    EP_RESP_SIMPLE = '+',     /* simple string */
    EP_RESP_ERROR = '-',      /* simple error */
    EP_RESP_INTEGER = ':',
    EP_RESP_BULK = '$',       /* bulk string (RESP2 null: length -1) */
    EP_RESP_ARRAY = '*',      /* (RESP2 null: count -1) */
    EP_RESP_NULL = '_',       /* RESP3 */
    EP_RESP_BOOLEAN = '#',    /* RESP3 */
    EP_RESP_DOUBLE = ',',     /* RESP3 */
    EP_RESP_BIGNUM = '(',     /* RESP3 */
    EP_RESP_BLOB_ERROR = '!', /* RESP3 */
    EP_RESP_VERBATIM = '=',   /* RESP3: "txt:" or "mkd:" then the text */
    EP_RESP_MAP = '%',        /* RESP3: count = pairs */
    EP_RESP_SET = '~',        /* RESP3 */
    EP_RESP_ATTRIBUTE = '|',  /* RESP3: count = pairs, then the value they describe */
    EP_RESP_PUSH = '>'        /* RESP3 */
} ep_resp_type;

/* ---- numbers as Redis prints them -------------------------------------- */
/* Enough for any double and any int64 in text, with the NUL. */
#define EP_RESP_NUM_MAX 32
/* Decimal int64; returns the length (no NUL written past it... one is). */
EP_API size_t ep_resp_format_i64(int64_t v, char out[EP_RESP_NUM_MAX]);
/* The shortest text that reads back as the same double ("1.5", "3",
 * "0.1"), "inf", "-inf" and "nan" as Redis writes them. Returns the length. */
EP_API size_t ep_resp_format_double(double d, char out[EP_RESP_NUM_MAX]);
/* Redis's strict integer text (string2ll): optional '-', digits, no leading
 * zeros, no '+', no spaces, in int64 range. 1 and *out, or 0. */
EP_API int ep_resp_parse_i64(const uint8_t *s, size_t n, int64_t *out);

/* ---- encoders ---------------------------------------------------------- */
/* Each appends one value to b; an allocation failure sticks in b->err. */
/* "+s\r\n" / "-s\r\n". CR and LF in s become spaces (as Redis does), so the
 * reply always stays one line. An error text should start with its code
 * ("ERR ...", "WRONGTYPE ..."). */
EP_API void ep_resp_simple(ep_buf *b, ep_bytes s);
EP_API void ep_resp_error(ep_buf *b, ep_bytes s);
EP_API void ep_resp_integer(ep_buf *b, int64_t v);
EP_API void ep_resp_bulk(ep_buf *b, ep_bytes s);
/* Null: "$-1" in RESP2, "_" in RESP3. */
EP_API void ep_resp_null(ep_buf *b, int proto);
/* Null array (Redis's reply to a timed-out BLPOP ...): "*-1" / "_". */
EP_API void ep_resp_null_array(ep_buf *b, int proto);
/* Aggregate headers; the caller then appends n values (2n for a map). */
EP_API void ep_resp_array(ep_buf *b, size_t n);
EP_API void ep_resp_map(ep_buf *b, int proto, size_t pairs);   /* RESP2: array of 2n */
EP_API void ep_resp_set(ep_buf *b, int proto, size_t n);       /* RESP2: array */
EP_API void ep_resp_push(ep_buf *b, int proto, size_t n);      /* RESP2: array */
EP_API void ep_resp_double(ep_buf *b, int proto, double d);    /* RESP2: bulk string */
EP_API void ep_resp_boolean(ep_buf *b, int proto, int v);      /* RESP2: integer 1/0 */
EP_API void ep_resp_bignum(ep_buf *b, int proto, ep_bytes digits); /* RESP2: bulk */
EP_API void ep_resp_blob_error(ep_buf *b, int proto, ep_bytes s);  /* RESP2: simple error */
/* Verbatim text with a 3-letter format ("txt", "mkd"). RESP2: bulk of s. */
EP_API void ep_resp_verbatim(ep_buf *b, int proto, const char *format3, ep_bytes s);
/* A command as Redis sends and logs it: "*argc" then each argument as a
 * bulk string. Binary safe. */
EP_API void ep_resp_write_command(ep_buf *b, size_t argc, const ep_bytes *argv);
/* The number of bytes ep_resp_write_command appends (for sizing a batch). */
EP_API size_t ep_resp_command_size(size_t argc, const ep_bytes *argv);

/* ---- command parser ---------------------------------------------------- */
#define EP_RESP_ACCEPT_INLINE 1u      /* "SET k v\r\n" lines (telnet, redis-cli pipes); servers want it */
#define EP_RESP_ACCEPT_ANNOTATIONS 2u /* "#..." lines between commands (AOF "#TS:"), skipped */

typedef struct ep_resp_parser_config {
    uint32_t flags;          /* EP_RESP_ACCEPT_*; default INLINE */
    uint64_t max_bulk;       /* one argument; default EP_RESP_MAX_BULK */
    uint32_t max_args;       /* arguments in one command; default EP_RESP_MAX_ARGS */
    size_t max_inline;       /* an inline line, without its end; default EP_RESP_MAX_INLINE */
    const ep_allocator *alloc;
} ep_resp_parser_config;

typedef struct ep_resp_parser ep_resp_parser;

/* One parsed command. argv[i] are views into the bytes given to the call
 * (or the parser's scratch for unescaped inline arguments); they stay valid
 * until the next call on the parser, as long as the caller keeps those bytes. */
typedef struct ep_resp_command {
    size_t argc;
    const ep_bytes *argv;
    size_t consumed;    /* bytes of the buffer this call used up: drop them */
    size_t need;        /* EP_END only: the buffer must hold at least this many bytes
                           (counted from its start) before the next call can progress */
    int is_inline;      /* 1 if it came as an inline line */
} ep_resp_command;

EP_API void ep_resp_parser_config_init(ep_resp_parser_config *cfg);
EP_API ep_result ep_resp_parser_create(const ep_resp_parser_config *cfg, ep_resp_parser **out);
EP_API void ep_resp_parser_free(ep_resp_parser *p);
/* Forget any partial command and a sticky error; the stream offset restarts at 0. */
EP_API void ep_resp_parser_reset(ep_resp_parser *p);

/* Parses the next command from buf[0..len).
 *   EP_OK      out->argc >= 1 arguments, out->consumed bytes used.
 *   EP_END     no complete command yet: out->consumed bytes may still be
 *              dropped (empty lines, empty "*0" commands, annotations) and
 *              out->need says how much the buffer must hold next time.
 *   EP_ERR_PROTOCOL, EP_ERR_LIMIT  the bytes break the protocol or a cap;
 *              ep_resp_parser_error() has the message (Redis's wording) and
 *              the offset in the stream. The error sticks until reset.
 *   EP_ERR_NOMEM
 * Contract: the next call's buf starts where this one's did, plus
 * out->consumed, and holds the same bytes there (the caller may move them,
 * e.g. compact its buffer, and append more). */
EP_API ep_result ep_resp_parse_command(ep_resp_parser *p, const uint8_t *buf, size_t len,
                                       ep_resp_command *out);
/* The offset in the stream (sum of everything consumed) of buf[0]. */
EP_API uint64_t ep_resp_parser_offset(const ep_resp_parser *p);
/* 1 while a command has started but is not complete (a truncated tail when
 * the input ends here). */
EP_API int ep_resp_parser_in_command(const ep_resp_parser *p);
EP_API const ep_error *ep_resp_parser_error(const ep_resp_parser *p);

/* ---- reply reader (one value at a time) --------------------------------- */
/* One RESP value: scalars carry their payload; aggregates carry only their
 * count, and the caller reads that many values (2x for maps and attributes)
 * next. Views point into the caller's buffer. */
typedef struct ep_resp_value {
    ep_resp_type type;
    int is_null;       /* RESP3 '_', RESP2 "$-1" / "*-1" */
    int64_t integer;   /* INTEGER; BOOLEAN (0/1); aggregate count */
    double dbl;        /* DOUBLE */
    ep_bytes str;      /* SIMPLE, ERROR, BULK, BIGNUM, BLOB_ERROR, VERBATIM (without "txt:"), DOUBLE's text */
    char format[4];    /* VERBATIM: "txt", "mkd" */
} ep_resp_value;

/* Reads one value from buf[0..len): EP_OK and *consumed, EP_END when more
 * bytes are needed, EP_ERR_PROTOCOL / EP_ERR_LIMIT (bulk above max_bulk, an
 * aggregate count above EP_RESP_MAX_ARGS * 2) with the offset in err. */
EP_API ep_result ep_resp_read_value(const uint8_t *buf, size_t len, uint64_t max_bulk, ep_resp_value *out,
                                    size_t *consumed, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_CODEC_RESP_H */
