/* base: result strings, error detail, allocator, UTF-8, cursor, buffer, clocks. */
/* clock_gettime needs POSIX 2008 when this part is compiled on its own
 * (the single header asks for it in base.h). */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#  define _POSIX_C_SOURCE 200809L
#endif
#include "base/internal.h"

#if defined(_WIN32)
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <windows.h>
#else
#  include <time.h>
#endif

EP__PRIV int ep__mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

EP__PRIV int ep__add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}

/* A NULL format (EP__FMT's under EP_NO_ERROR_TEXT) leaves dst empty. */
EP__PRIV void ep__vformat(char *dst, size_t cap, const char *fmt, va_list ap) {
    int n;
    if (cap == 0) return;
    dst[0] = '\0';
    if (!fmt) return;
    n = vsnprintf(dst, cap, fmt, ap);
    if (n < 0) dst[0] = '\0';
}

EP__PRIV void ep__format(char *dst, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ep__vformat(dst, cap, fmt, ap);
    va_end(ap);
}

EP__PRIV void ep__wipe(void *p, size_t n) {
    /* A volatile pointer makes each store observable, so it cannot be elided. */
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--) *v++ = 0;
}

/* Targets without an OS clock (bare metal: not Windows, not a Unix with
 * clock_gettime) get 0 from both: give the AOF writer clock_ms for
 * EVERYSEC, and recovery wall_clock_ms for PEXPIREAT, in their configs. */
#if !defined(_WIN32) && (defined(__unix__) || defined(__unix) || defined(__APPLE__)) && defined(CLOCK_MONOTONIC)
#  define EP__OS_CLOCK 1
#endif

EP__PRIV uint64_t ep__clock_monotonic_ms(void) {
#if defined(_WIN32)
    return (uint64_t)GetTickCount64();
#elif !defined(EP__OS_CLOCK)
    return 0;
#else
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
}

EP__PRIV int64_t ep__clock_wall_ms(void) {
#if defined(_WIN32)
    FILETIME ft;
    ULARGE_INTEGER u;
    GetSystemTimeAsFileTime(&ft);
    u.LowPart = ft.dwLowDateTime;
    u.HighPart = ft.dwHighDateTime;
    return (int64_t)((u.QuadPart - 116444736000000000ull) / 10000u); /* 100 ns since 1601 */
#elif !defined(EP__OS_CLOCK)
    return 0;
#else
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 0;
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
#endif
}

/* The names of the codes from EP_END (1) down to EP_ERR_WRONG_TYPE (-30),
 * then the one for any other value, each NUL-terminated, in one array: with
 * -fdata-sections it is a section of its own, kept or dropped whole. (Strings
 * returned from a switch go to the compiler's shared string section, which
 * then keeps the unrelated names of every other part in a firmware link:
 * ~0.4 KiB on Cortex-M4.) */
static const char ep__result_names[] =
    "end of data\0" /* EP_END */
    "ok\0" /* EP_OK */
    "invalid argument\0" /* EP_ERR_INVALID_ARG */
    "out of memory\0" /* EP_ERR_NOMEM */
    "I/O error\0" /* EP_ERR_IO */
    "not found\0" /* EP_ERR_NOT_FOUND */
    "already exists\0" /* EP_ERR_EXISTS */
    "no space left on device\0" /* EP_ERR_NO_SPACE */
    "unexpected end of data\0" /* EP_ERR_EOF */
    "bad magic\0" /* EP_ERR_BAD_MAGIC */
    "unsupported format version\0" /* EP_ERR_BAD_VERSION */
    "checksum mismatch\0" /* EP_ERR_CHECKSUM */
    "unknown tag\0" /* EP_ERR_UNKNOWN_TAG */
    "length or count exceeds limit\0" /* EP_ERR_LIMIT */
    "invalid UTF-8\0" /* EP_ERR_UTF8 */
    "invalid field value\0" /* EP_ERR_BAD_VALUE */
    "encryption key required\0" /* EP_ERR_ENCRYPTION_REQUIRED */
    "decryption failed\0" /* EP_ERR_DECRYPT */
    "no randomness available\0" /* EP_ERR_NO_RANDOM */
    "invalid key file\0" /* EP_ERR_KEY_FILE */
    "shard id mismatch\0" /* EP_ERR_SHARD_MISMATCH */
    "file format does not match writer\0" /* EP_ERR_FORMAT_MISMATCH */
    "handle poisoned by an earlier sync failure\0" /* EP_ERR_POISONED */
    "unsupported\0" /* EP_ERR_UNSUPPORTED */
    "locked\0" /* EP_ERR_LOCKED */
    "corrupt data\0" /* EP_ERR_CORRUPT */
    "invalid state\0" /* EP_ERR_STATE */
    "gap in the log\0" /* EP_ERR_GAP */
    "value type not supported\0" /* EP_ERR_UNSUPPORTED_TYPE */
    "protocol error\0" /* EP_ERR_PROTOCOL */
    "timed out\0" /* EP_ERR_TIMEOUT */
    "wrong type of value for this operation\0" /* EP_ERR_WRONG_TYPE */
    "unknown result code";

EP_API const char *ep_result_str(ep_result r) {
    const char *s = ep__result_names;
    int code = (int)r, i;
    if (code > (int)EP_END || code < (int)EP_ERR_WRONG_TYPE) code = (int)EP_ERR_WRONG_TYPE - 1;
    for (i = (int)EP_END; i > code; i--) s += strlen(s) + 1;
    return s;
}

EP_API const char *ep_version(void) { return EP_VERSION_STRING; }
EP_API uint32_t ep_version_number(void) { return (uint32_t)EP_VERSION_NUMBER; }

EP_API void ep_error_clear(ep_error *e) {
    if (!e) return;
    e->code = EP_OK;
    e->sys_errno = 0;
    e->offset = UINT64_MAX;
    e->index = UINT64_MAX;
    e->message[0] = '\0';
}

/* The name in parentheses: EP_NO_ERROR_TEXT's macro of the same name stays out. */
EP_API ep_result(ep_error_set)(ep_error *e, ep_result code, uint64_t offset, const char *fmt, ...) {
    va_list ap;
    if (!e) return code;
    e->code = code;
    e->offset = offset;
#if defined(EP_NO_ERROR_TEXT)
    fmt = NULL; /* the macro in base.h passes none; no vsnprintf in the link */
#endif
    if (fmt) {
        va_start(ap, fmt);
        ep__vformat(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
    } else {
        const char *s = ep_result_str(code);
        size_t n = strlen(s);
        if (n >= sizeof e->message) n = sizeof e->message - 1;
        memcpy(e->message, s, n);
        e->message[n] = '\0';
    }
    return code;
}

/* ---- allocator --------------------------------------------------------- */
static void *ep__default_malloc(size_t size, void *user) {
    (void)user;
    return EP_MALLOC(size);
}
static void *ep__default_realloc(void *ptr, size_t size, void *user) {
    (void)user;
    return EP_REALLOC(ptr, size);
}
static void ep__default_free(void *ptr, void *user) {
    (void)user;
    EP_FREE(ptr);
}

static const ep_allocator ep__default_allocator = {
    NULL, ep__default_malloc, ep__default_realloc, ep__default_free
};

EP_API const ep_allocator *ep_allocator_default(void) { return &ep__default_allocator; }

EP_API void *ep_malloc(const ep_allocator *a, size_t size) {
    if (!a) a = &ep__default_allocator;
    return a->malloc_fn(size ? size : 1, a->user);
}

EP_API void *ep_realloc(const ep_allocator *a, void *ptr, size_t size) {
    if (!a) a = &ep__default_allocator;
    return a->realloc_fn(ptr, size ? size : 1, a->user);
}

EP_API void ep_free(const ep_allocator *a, void *ptr) {
    if (!ptr) return;
    if (!a) a = &ep__default_allocator;
    a->free_fn(ptr, a->user);
}

/* ---- UTF-8 ------------------------------------------------------------- */
/* The exact validator, from index i (a character boundary) on. */
static int ep__utf8_valid_from(const uint8_t *s, size_t n, size_t i) {
    while (i < n) {
        uint8_t c = s[i];
        size_t need;
        uint32_t cp;
        if (c < 0x80) {
            /* Skip ASCII eight bytes at a time: most keys are plain ASCII. */
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ull) break;
                i += 8;
            }
            if (i < n && s[i] < 0x80) i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1Fu; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0Fu; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07u; }
        else return 0;
        if (n - i - 1 < need) return 0;
        {
            size_t k;
            for (k = 1; k <= need; k++) {
                uint8_t cc = s[i + k];
                if ((cc & 0xC0) != 0x80) return 0;
                cp = (cp << 6) | (cc & 0x3Fu);
            }
        }
        if (need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
        if (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

/* The high bits of s[0..n), n < 8, OR-ed into one byte. Whole loads where
 * they fit, so a short key costs a few instructions, not a loop. */
static uint8_t ep__utf8_tail_bits(const uint8_t *s, size_t n) {
    uint32_t acc = 0;
    if (n & 4) {
        acc |= ep_load_u32le(s);
        s += 4;
    }
    if (n & 2) {
        acc |= ep_load_u16le(s);
        s += 2;
    }
    if (n & 1) acc |= s[0];
    return (uint8_t)((acc | acc >> 8 | acc >> 16 | acc >> 24) & 0x80u);
}

/* Decoders call this for every key: an all-ASCII field (the common case) is
 * settled 8 bytes per load, the tail with one overlapping load; only a field
 * with a byte >= 0x80 goes to the exact validator, from the first word that
 * has one (all bytes before it are ASCII, so it starts a character). */
EP__PRIV int ep__utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    uint64_t w;
    if (n < 8) return ep__utf8_tail_bits(s, n) == 0 || ep__utf8_valid_from(s, n, 0);
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) return ep__utf8_valid_from(s, n, i);
    }
    if (i == n) return 1;
    memcpy(&w, s + n - 8, 8); /* the last 8 bytes: re-reads some, never past n */
    return !(w & 0x8080808080808080ull) || ep__utf8_valid_from(s, n, i);
}

EP_API int ep_utf8_valid(const uint8_t *s, size_t n) {
    return ep__utf8_valid(s, n);
}

/* ---- cursor ------------------------------------------------------------ */
EP_API void ep_cursor_init(ep_cursor *c, const void *data, size_t len) {
    c->data = (const uint8_t *)data;
    c->len = data ? len : 0;
    c->pos = 0;
    c->err = EP_OK;
}

EP_API size_t ep_cursor_remaining(const ep_cursor *c) {
    return c->err ? 0 : c->len - c->pos;
}

EP_API void ep_cursor_fail(ep_cursor *c, ep_result err) {
    if (c->err == EP_OK) c->err = err;
}

EP_API const uint8_t *ep_cursor_take(ep_cursor *c, size_t n) {
    const uint8_t *p;
    if (c->err) return NULL;
    if (n > c->len - c->pos) {
        c->err = EP_ERR_EOF;
        return NULL;
    }
    p = c->data + c->pos;
    c->pos += n;
    return p;
}

EP_API uint8_t ep_cursor_u8(ep_cursor *c) {
    const uint8_t *p = ep_cursor_take(c, 1);
    return p ? p[0] : 0;
}
EP_API uint16_t ep_cursor_u16(ep_cursor *c) {
    const uint8_t *p = ep_cursor_take(c, 2);
    return p ? ep_load_u16le(p) : 0;
}
EP_API uint32_t ep_cursor_u32(ep_cursor *c) {
    const uint8_t *p = ep_cursor_take(c, 4);
    return p ? ep_load_u32le(p) : 0;
}
EP_API uint64_t ep_cursor_u64(ep_cursor *c) {
    const uint8_t *p = ep_cursor_take(c, 8);
    return p ? ep_load_u64le(p) : 0;
}
EP_API int64_t ep_cursor_i64(ep_cursor *c) {
    const uint8_t *p = ep_cursor_take(c, 8);
    return p ? ep_load_i64le(p) : 0;
}
EP_API float ep_cursor_f32(ep_cursor *c) {
    const uint8_t *p = ep_cursor_take(c, 4);
    return p ? ep_load_f32le(p) : 0.0f;
}
EP_API double ep_cursor_f64(ep_cursor *c) {
    const uint8_t *p = ep_cursor_take(c, 8);
    return p ? ep_load_f64le(p) : 0.0;
}

EP_API ep_bytes ep_cursor_lenbytes(ep_cursor *c, uint32_t cap) {
    ep_bytes out = {NULL, 0};
    uint32_t n = ep_cursor_u32(c);
    const uint8_t *p;
    if (c->err) return out;
    if (n > cap) {
        c->err = EP_ERR_LIMIT;
        return out;
    }
    p = ep_cursor_take(c, n);
    if (!p) return out;
    out.data = p;
    out.len = n;
    return out;
}

EP_API ep_bytes ep_cursor_lenstr(ep_cursor *c, uint32_t cap) {
    ep_bytes b = ep_cursor_lenbytes(c, cap);
    if (!c->err && !ep_utf8_valid(b.data, b.len)) {
        c->err = EP_ERR_UTF8;
        b.data = NULL;
        b.len = 0;
    }
    return b;
}

/* ---- buffer ------------------------------------------------------------ */
EP_API void ep_buf_init(ep_buf *b, const ep_allocator *alloc) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->alloc = alloc;
    b->err = EP_OK;
}

EP_API void ep_buf_free(ep_buf *b) {
    ep_free(b->alloc, b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = EP_OK;
}

EP_API void ep_buf_reset(ep_buf *b) {
    b->len = 0;
    b->err = EP_OK;
}

EP_API ep_result ep_buf_reserve(ep_buf *b, size_t extra) {
    size_t need, cap;
    uint8_t *p;
    if (b->err) return b->err;
    if (!ep__add_size(b->len, extra, &need)) return b->err = EP_ERR_NOMEM;
    if (need <= b->cap) return EP_OK;
    /* A first reservation gets what it asks for (a buffer sized once, as the
     * file layer's write buffers are, must not take twice its size); growth
     * after that doubles. */
    cap = b->cap ? b->cap : (need > 64 ? need : 64);
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    p = (uint8_t *)ep_realloc(b->alloc, b->data, cap);
    if (!p) return b->err = EP_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return EP_OK;
}

EP_API void ep_buf_put(ep_buf *b, const void *data, size_t n) {
    if (n == 0 || ep_buf_reserve(b, n)) return;
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

EP_API void ep_buf_u8(ep_buf *b, uint8_t v) {
    if (ep_buf_reserve(b, 1)) return;
    b->data[b->len++] = v;
}
EP_API void ep_buf_u16(ep_buf *b, uint16_t v) {
    if (ep_buf_reserve(b, 2)) return;
    ep_store_u16le(b->data + b->len, v);
    b->len += 2;
}
EP_API void ep_buf_u32(ep_buf *b, uint32_t v) {
    if (ep_buf_reserve(b, 4)) return;
    ep_store_u32le(b->data + b->len, v);
    b->len += 4;
}
EP_API void ep_buf_u64(ep_buf *b, uint64_t v) {
    if (ep_buf_reserve(b, 8)) return;
    ep_store_u64le(b->data + b->len, v);
    b->len += 8;
}
EP_API void ep_buf_i64(ep_buf *b, int64_t v) {
    if (ep_buf_reserve(b, 8)) return;
    ep_store_i64le(b->data + b->len, v);
    b->len += 8;
}
EP_API void ep_buf_f32(ep_buf *b, float v) {
    if (ep_buf_reserve(b, 4)) return;
    ep_store_f32le(b->data + b->len, v);
    b->len += 4;
}
EP_API void ep_buf_f64(ep_buf *b, double v) {
    if (ep_buf_reserve(b, 8)) return;
    ep_store_f64le(b->data + b->len, v);
    b->len += 8;
}

EP_API void ep_buf_lenbytes(ep_buf *b, const void *data, size_t n) {
    if (b->err) return;
#if SIZE_MAX > UINT32_MAX
    if (n > UINT32_MAX) {
        b->err = EP_ERR_LIMIT;
        return;
    }
#endif
    if (ep_buf_reserve(b, 4 + n)) return;
    ep_store_u32le(b->data + b->len, (uint32_t)n);
    if (n) memcpy(b->data + b->len + 4, data, n);
    b->len += 4 + n;
}

EP_API int ep_parse_i64(const uint8_t *s, size_t n, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0, lim;
    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return 0;
    lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9') return 0;
        d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10u) return 0;
        v = v * 10u + d;
    }
    if (neg) *out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
    else *out = (int64_t)v;
    return 1;
}
