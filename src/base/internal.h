/* internal: private helpers shared by the implementation parts. Nothing here
 * is public API; names start with ep__ / EP__. */
#ifndef EP_INTERNAL_H
#define EP_INTERNAL_H

#include "base/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

/* The implementation needs POSIX 2008 (clock_gettime, pread, fdatasync ...),
 * which strict -std=c99 hides unless it is asked for before the first system
 * header. base.h asks for it, but too late if a system header came first:
 * say so plainly instead of failing on incomplete types further down. */
#if !defined(_WIN32) && defined(__GLIBC__) && !defined(__USE_XOPEN2K8)
#  error "ember_persist.h: the implementation needs POSIX 2008, hidden here by a strict -std= and a system header included before ember_persist.h. Include ember_persist.h first in the file that defines EMBER_PERSIST_IMPLEMENTATION, or compile that file with -D_POSIX_C_SOURCE=200809L (or -D_GNU_SOURCE)."
#endif

/* Private functions are static in the single header. When a part is compiled
 * on its own (make parts), EP__PART_CHECK makes them extern so that a
 * declaration without a definition in that file is not an error. */
#if defined(__GNUC__) || defined(__clang__)
#  define EP__UNUSED __attribute__((unused))
#else
#  define EP__UNUSED
#endif
/* For the few small functions on a per-record path that gcc stops inlining
 * once their caller grows (measured with callgrind, not guessed). */
#if defined(__GNUC__) || defined(__clang__)
#  define EP__INLINE_HOT inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#  define EP__INLINE_HOT __forceinline
#else
#  define EP__INLINE_HOT inline
#endif
#ifdef EP__PART_CHECK
#  define EP__PRIV extern
#else
#  define EP__PRIV static EP__UNUSED
#endif

/* The allocator macros: all three or none. */
#if defined(EP_MALLOC) || defined(EP_REALLOC) || defined(EP_FREE)
#  if !defined(EP_MALLOC) || !defined(EP_REALLOC) || !defined(EP_FREE)
#    error "define all of EP_MALLOC, EP_REALLOC and EP_FREE, or none"
#  endif
#else
#  define EP_MALLOC(sz) malloc(sz)
#  define EP_REALLOC(p, sz) realloc(p, sz)
#  define EP_FREE(p) free(p)
#endif

#define EP__MIN(a, b) ((a) < (b) ? (a) : (b))
#define EP__MAX(a, b) ((a) > (b) ? (a) : (b))
#define EP__COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Overflow-checked size arithmetic: returns 0 and leaves *out alone on overflow. */
EP__PRIV int ep__mul_size(size_t a, size_t b, size_t *out);
EP__PRIV int ep__add_size(size_t a, size_t b, size_t *out);

/* snprintf into a fixed buffer, always NUL-terminated, never fails. */
EP__PRIV void ep__vformat(char *dst, size_t cap, const char *fmt, va_list ap);

/* Message texts (the rule is EP__FMT's, in base.h): without EP_NO_ERROR_TEXT
 * EP__FMT is its arguments. EP__TEXT("...") is a text handed to a helper;
 * ep__textf(dst, cap, fmt, ...) formats a message into a buffer, or leaves
 * it empty under EP_NO_ERROR_TEXT (a NULL format: ep__vformat writes ""). */
#if !defined(EP__FMT)
#define EP__FMT(...) __VA_ARGS__
#define EP__TEXT(s) (s)
#endif
EP__PRIV void ep__format(char *dst, size_t cap, const char *fmt, ...) EP__PRINTF(3, 4);
#define ep__textf(dst, cap, ...) ep__format((dst), (cap), EP__FMT(__VA_ARGS__))

/* Milliseconds from the OS: monotonic (EVERYSEC intervals; arbitrary epoch)
 * and wall clock (Unix epoch, for PEXPIREAT). 0 if the OS gives nothing. */
EP__PRIV uint64_t ep__clock_monotonic_ms(void);
EP__PRIV int64_t ep__clock_wall_ms(void);

/* The views hook readers call before their views go stale: file/stream.h. */

/* Tests only: EP__NO_FAST_DECODE compiles the decoders' fast paths (small
 * AOF records, string snapshot entries) out, so a test can compare them with
 * the general path they stand in for (tests/support/slow_decode.c). */
#ifdef EP__NO_FAST_DECODE
#  define EP__FAST_DECODE 0
#else
#  define EP__FAST_DECODE 1
#endif

/* ep_utf8_valid as a static function for the decoders: their calls stay
 * direct (and inlinable) even in a -fPIC build, where an exported name may
 * be interposed and is called through the PLT. */
EP__PRIV int ep__utf8_valid(const uint8_t *s, size_t n);

/* Zero memory in a way the optimiser may not remove (keys, plaintext). */
EP__PRIV void ep__wipe(void *p, size_t n);

#endif /* EP_INTERNAL_H */
