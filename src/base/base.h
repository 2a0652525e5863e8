/* base: configuration, sized types, result codes, error detail, allocator,
 * little-endian codec, byte views, the bounded read cursor and the growable
 * write buffer. Every other part stands on this one. */
#ifndef EP_BASE_H
#define EP_BASE_H

/* The implementation uses POSIX calls (pread, fdatasync ...) that strict
 * -std=c99 hides unless asked for before the first system header. Include
 * this header first in the file that defines EMBER_PERSIST_IMPLEMENTATION, or
 * compile that file with -D_POSIX_C_SOURCE=200809L (or -D_GNU_SOURCE). */
#if (defined(EMBER_PERSIST_IMPLEMENTATION) || defined(EP__PART_CHECK)) && !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && \
    !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#  define _POSIX_C_SOURCE 200809L
#endif
/* 64-bit file offsets on 32-bit systems too (AOF files pass 2 GiB). */
#if defined(EMBER_PERSIST_IMPLEMENTATION) && !defined(_WIN32) && !defined(_FILE_OFFSET_BITS)
#  define _FILE_OFFSET_BITS 64
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memcpy in the inline codec */

#define EP_VERSION_MAJOR 0
#define EP_VERSION_MINOR 1
#define EP_VERSION_PATCH 0
#define EP_VERSION_STRING "0.1.0"
/* One comparable number: major * 10000 + minor * 100 + patch. */
#define EP_VERSION_NUMBER (EP_VERSION_MAJOR * 10000 + EP_VERSION_MINOR * 100 + EP_VERSION_PATCH)

/* EMBER_PERSIST_STATIC makes every function static to the including file.
 * The unused attribute keeps -Wunused-function quiet for calls a user never makes. */
#ifndef EP_API
#  ifdef EMBER_PERSIST_STATIC
#    if defined(__GNUC__) || defined(__clang__)
#      define EP_API static __attribute__((unused))
#    else
#      define EP_API static
#    endif
#  else
#    define EP_API extern
#  endif
#endif

/* C89 has no inline: a file that only includes the declarations may be
 * strict C89 (make matrix checks -std=c89 -pedantic); gcc and clang spell
 * it __inline__ there, other compilers get plain static. */
#if defined(__cplusplus)
#  define EP_INLINE inline
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#  define EP_INLINE static inline
#elif defined(__GNUC__) || defined(__clang__)
#  define EP_INLINE static __inline__
#else
#  define EP_INLINE static
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- result codes ------------------------------------------------------ */
/* 0 is success; every failure is negative; EP_END (positive) says "no more"
 * from a reader's next call, which is neither. ep_result_str() names each. */
typedef enum ep_result {
    EP_OK = 0,
    EP_END = 1,                   /* a reader has no more records or entries (see its status) */
    EP_ERR_INVALID_ARG = -1,      /* a caller passed something unusable */
    EP_ERR_NOMEM = -2,            /* the allocator said no */
    EP_ERR_IO = -3,               /* the OS reported an I/O error (see ep_error.sys_errno) */
    EP_ERR_NOT_FOUND = -4,        /* file or directory does not exist */
    EP_ERR_EXISTS = -5,           /* file exists where it must not */
    EP_ERR_NO_SPACE = -6,         /* disk full or quota exceeded */
    EP_ERR_EOF = -7,              /* input ended inside a structure that must be complete */
    EP_ERR_BAD_MAGIC = -8,        /* file does not start with the expected magic */
    EP_ERR_BAD_VERSION = -9,      /* format version not supported */
    EP_ERR_CHECKSUM = -10,        /* CRC mismatch */
    EP_ERR_UNKNOWN_TAG = -11,     /* record tag or value type not known */
    EP_ERR_LIMIT = -12,           /* a length or count exceeds the format's cap */
    EP_ERR_UTF8 = -13,            /* a field that must be UTF-8 is not */
    EP_ERR_BAD_VALUE = -14,       /* a field holds a value the format forbids */
    EP_ERR_ENCRYPTION_REQUIRED = -15, /* encrypted file, no key given */
    EP_ERR_DECRYPT = -16,         /* authentication failed: wrong key or tampered data */
    EP_ERR_NO_RANDOM = -17,       /* the OS gave no randomness for a nonce */
    EP_ERR_KEY_FILE = -18,        /* key file is not 32 raw bytes or 64 hex characters */
    EP_ERR_SHARD_MISMATCH = -19,  /* snapshot belongs to another shard */
    EP_ERR_FORMAT_MISMATCH = -20, /* appending would mix versions in one file */
    EP_ERR_POISONED = -21,        /* an earlier sync failed; the handle refuses further work */
    EP_ERR_UNSUPPORTED = -22,     /* not available in this build or on this platform */
    EP_ERR_LOCKED = -23,          /* another holder has the lock */
    EP_ERR_CORRUPT = -24,         /* structure is inconsistent in a way no other code names */
    EP_ERR_STATE = -25,           /* call not valid in the handle's current state */
    EP_ERR_GAP = -26,             /* a log's ids or segments have a hole, or do not meet its checkpoint */
    EP_ERR_UNSUPPORTED_TYPE = -27,/* a value of a type this library does not represent (Redis stream, module) */
    EP_ERR_PROTOCOL = -28,        /* a peer broke the wire protocol (RESP, replication) */
    EP_ERR_TIMEOUT = -29,         /* a peer or a wait took longer than allowed */
    EP_ERR_WRONG_TYPE = -30,      /* the key holds a value of another type (Redis's WRONGTYPE) */

    /* Other names for the codes above, as the Redis and WAL parts speak of them. */
    EP_ERR_INVALID = EP_ERR_INVALID_ARG,
    EP_ERR_VERSION = EP_ERR_BAD_VERSION
} ep_result;

EP_API const char *ep_result_str(ep_result r);
EP_API const char *ep_version(void);
EP_API uint32_t ep_version_number(void);

/* ---- error detail ------------------------------------------------------ */
/* Handles keep the detail of their last failure here (never a global).
 * offset/index are UINT64_MAX when they do not apply. */
typedef struct ep_error {
    ep_result code;
    int sys_errno;        /* OS error number behind EP_ERR_IO and friends, else 0 */
    uint64_t offset;      /* byte offset in the file where the problem was found */
    uint64_t index;       /* record or entry number (0-based) */
    char message[160];    /* human readable, NUL-terminated */
} ep_error;

EP_API void ep_error_clear(ep_error *e);
/* Private: printf checking for a function that takes a format, except under
 * EP_NO_ERROR_TEXT, where every format it gets is NULL (EP__FMT below). */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(EP_NO_ERROR_TEXT)
#define EP__PRINTF(fmt_arg, first_arg) __attribute__((format(printf, fmt_arg, first_arg)))
#else
#define EP__PRINTF(fmt_arg, first_arg)
#endif
/* Fill e (if not NULL) and return code, so callers can `return ep_error_set(...)`. */
EP_API ep_result ep_error_set(ep_error *e, ep_result code, uint64_t offset, const char *fmt, ...) EP__PRINTF(4, 5);
/* Private: the one place EP_NO_ERROR_TEXT drops message texts. Every
 * message of the library passes through EP__FMT or EP__TEXT: ep_error_set's
 * format and its arguments (the macro below), a helper's printf-style
 * arguments (a one-line macro over EP__FMT: ep__log, ep__textf into a
 * buffer, never snprintf), a text handed down to a helper as an argument
 * (EP__TEXT("...") at the call, or in the helper's one-line macro).
 * Flash-sized builds: EP__FMT(fmt, ...) is one NULL format; the format and
 * its arguments only appear inside sizeof (never evaluated, no code, no
 * string kept; none of the library's has a side effect), so they still
 * count as used, and are still printf-checked. ep_error keeps code, offset
 * and index; message is ep_result_str(code). */
#if defined(EP_NO_ERROR_TEXT)
#if defined(__GNUC__) || defined(__clang__)
int ep__error_text_unused(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* declared only */
#else
int ep__error_text_unused(const char *fmt, ...); /* declared only */
#endif
#define EP__FMT(...) ((void)sizeof(ep__error_text_unused(__VA_ARGS__)), (const char *)0)
#define EP__TEXT(s) ((void)sizeof(s), (const char *)0)
#define ep_error_set(e, code, offset, ...) ep_error_set((e), (code), (offset), EP__FMT(__VA_ARGS__))
#endif /* else both are their arguments (internal.h: the declarations stay C89) */

/* ---- allocator --------------------------------------------------------- */
/* All allocation goes through one of these. NULL anywhere an allocator is
 * taken means the default (EP_MALLOC / EP_REALLOC / EP_FREE, which are
 * malloc / realloc / free unless all three are defined before inclusion). */
typedef struct ep_allocator {
    void *user;
    void *(*malloc_fn)(size_t size, void *user);
    void *(*realloc_fn)(void *ptr, size_t size, void *user);
    void (*free_fn)(void *ptr, void *user);
} ep_allocator;

EP_API const ep_allocator *ep_allocator_default(void);
EP_API void *ep_malloc(const ep_allocator *a, size_t size);
EP_API void *ep_realloc(const ep_allocator *a, void *ptr, size_t size);
EP_API void ep_free(const ep_allocator *a, void *ptr);

/* ---- byte views -------------------------------------------------------- */
/* A borrowed run of bytes. Decoders hand these out pointing into their input. */
typedef struct ep_bytes {
    const uint8_t *data;
    size_t len;
} ep_bytes;

EP_INLINE ep_bytes ep_bytes_of(const void *data, size_t len) {
    ep_bytes b;
    b.data = (const uint8_t *)data;
    b.len = len;
    return b;
}
/* A NUL-terminated string as bytes (without the NUL); NULL gives an empty view. */
EP_INLINE ep_bytes ep_bytes_str(const char *s) { return ep_bytes_of(s, s ? strlen(s) : 0); }
/* A string literal as bytes, its length known at compile time: EP_LIT("user:1"). */
#define EP_LIT(s) ep_bytes_of("" s, sizeof(s) - 1)

/* ---- shard ids ---------------------------------------------------------- */
/* ember's shard id: a u16 in the snapshot header, the {id} of shard-{id}.aof. */
typedef uint16_t ep_shard_id;

/* ---- integers in text --------------------------------------------------- */
/* Rust's i64 parse (str::parse::<i64>), which ember's INCR uses: an optional
 * '+' or '-', then one or more ASCII digits, nothing else, in range.
 * Returns 1 and *out, or 0. */
EP_API int ep_parse_i64(const uint8_t *s, size_t n, int64_t *out);

/* ---- little-endian codec ----------------------------------------------- */
/* Byte-at-a-time on purpose: correct on any host byte order and alignment;
 * gcc and clang turn each into one load or store. */
EP_INLINE uint16_t ep_load_u16le(const uint8_t *p) {
    return (uint16_t)(p[0] | (uint16_t)(p[1] << 8));
}
EP_INLINE uint32_t ep_load_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
EP_INLINE uint64_t ep_load_u64le(const uint8_t *p) {
    return (uint64_t)ep_load_u32le(p) | ((uint64_t)ep_load_u32le(p + 4) << 32);
}
EP_INLINE int64_t ep_load_i64le(const uint8_t *p) {
    uint64_t u = ep_load_u64le(p);
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}
EP_INLINE float ep_load_f32le(const uint8_t *p) {
    uint32_t u = ep_load_u32le(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
EP_INLINE double ep_load_f64le(const uint8_t *p) {
    uint64_t u = ep_load_u64le(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
EP_INLINE void ep_store_u16le(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
EP_INLINE void ep_store_u32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
EP_INLINE void ep_store_u64le(uint8_t *p, uint64_t v) {
    ep_store_u32le(p, (uint32_t)v);
    ep_store_u32le(p + 4, (uint32_t)(v >> 32));
}
EP_INLINE void ep_store_i64le(uint8_t *p, int64_t v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    ep_store_u64le(p, u);
}
EP_INLINE void ep_store_f32le(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    ep_store_u32le(p, u);
}
EP_INLINE void ep_store_f64le(uint8_t *p, double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    ep_store_u64le(p, u);
}

/* ---- UTF-8 ------------------------------------------------------------- */
/* Strict validation with Rust's rules (no overlongs, no surrogates, <= U+10FFFF). */
EP_API int ep_utf8_valid(const uint8_t *s, size_t n);

/* ---- bounded read cursor ----------------------------------------------- */
/* Reads little-endian fields from a byte range. The first failure sticks:
 * err becomes EP_ERR_EOF (or what the caller sets), every later read returns
 * zero / an empty view, and pos never moves past len. So a decoder can read
 * a whole structure and check err once at the end. */
typedef struct ep_cursor {
    const uint8_t *data;
    size_t len;
    size_t pos;
    ep_result err;
} ep_cursor;

EP_API void ep_cursor_init(ep_cursor *c, const void *data, size_t len);
EP_API size_t ep_cursor_remaining(const ep_cursor *c);
EP_API void ep_cursor_fail(ep_cursor *c, ep_result err);  /* keeps the first error */
EP_API uint8_t ep_cursor_u8(ep_cursor *c);
EP_API uint16_t ep_cursor_u16(ep_cursor *c);
EP_API uint32_t ep_cursor_u32(ep_cursor *c);
EP_API uint64_t ep_cursor_u64(ep_cursor *c);
EP_API int64_t ep_cursor_i64(ep_cursor *c);
EP_API float ep_cursor_f32(ep_cursor *c);
EP_API double ep_cursor_f64(ep_cursor *c);
/* n raw bytes; NULL (and EP_ERR_EOF) if fewer remain. */
EP_API const uint8_t *ep_cursor_take(ep_cursor *c, size_t n);
/* A u32 length prefix then that many bytes. A length above cap fails with
 * EP_ERR_LIMIT before anything else happens. */
EP_API ep_bytes ep_cursor_lenbytes(ep_cursor *c, uint32_t cap);
/* Same, and the bytes must be valid UTF-8 (EP_ERR_UTF8). */
EP_API ep_bytes ep_cursor_lenstr(ep_cursor *c, uint32_t cap);

/* ---- growable write buffer --------------------------------------------- */
/* Encoders append here. Allocation failure sticks in err like the cursor. */
typedef struct ep_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    const ep_allocator *alloc;
    ep_result err;
} ep_buf;

EP_API void ep_buf_init(ep_buf *b, const ep_allocator *alloc);
EP_API void ep_buf_free(ep_buf *b);
EP_API void ep_buf_reset(ep_buf *b);              /* len = 0, keeps memory, clears err */
EP_API ep_result ep_buf_reserve(ep_buf *b, size_t extra);
EP_API void ep_buf_put(ep_buf *b, const void *data, size_t n);
EP_API void ep_buf_u8(ep_buf *b, uint8_t v);
EP_API void ep_buf_u16(ep_buf *b, uint16_t v);
EP_API void ep_buf_u32(ep_buf *b, uint32_t v);
EP_API void ep_buf_u64(ep_buf *b, uint64_t v);
EP_API void ep_buf_i64(ep_buf *b, int64_t v);
EP_API void ep_buf_f32(ep_buf *b, float v);
EP_API void ep_buf_f64(ep_buf *b, double v);
/* u32 length prefix + bytes; EP_ERR_LIMIT if n > UINT32_MAX. */
EP_API void ep_buf_lenbytes(ep_buf *b, const void *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* EP_BASE_H */
