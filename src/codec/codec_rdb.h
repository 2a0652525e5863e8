/* codec_rdb: the pieces of Redis's RDB format (../shared/spec/redis-formats.md
 * B.1) between bytes and values. Pure functions, no I/O: length and string
 * encodings (6/14/32/64-bit lengths, int8/16/32 strings, LZF), and walkers
 * over the compact blobs Redis stores as one string (listpack, ziplist,
 * intset, zipmap), each validated as it is walked and refusing rather than
 * guessing. Plus the encoders a writer needs (lengths, strings with Redis's
 * integer and LZF rules, listpacks, intsets). */
#ifndef EP_CODEC_RDB_H
#define EP_CODEC_RDB_H

#include "base/base.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

/* Opcodes (the byte before a record). */
#define EP_RDB_OP_FUNCTION2 0xF5
#define EP_RDB_OP_FUNCTION 0xF6   /* 7.0 release candidates */
#define EP_RDB_OP_MODULE_AUX 0xF7
#define EP_RDB_OP_IDLE 0xF8
#define EP_RDB_OP_FREQ 0xF9
#define EP_RDB_OP_AUX 0xFA
#define EP_RDB_OP_RESIZEDB 0xFB
#define EP_RDB_OP_EXPIRETIME_MS 0xFC
#define EP_RDB_OP_EXPIRETIME 0xFD
#define EP_RDB_OP_SELECTDB 0xFE
#define EP_RDB_OP_EOF 0xFF

/* Value types. */
typedef enum ep_rdb_type {
    EP_RDB_STRING = 0, EP_RDB_LIST = 1, EP_RDB_SET = 2, EP_RDB_ZSET = 3, EP_RDB_HASH = 4,
    EP_RDB_ZSET_2 = 5, EP_RDB_MODULE = 6, EP_RDB_MODULE_2 = 7, EP_RDB_HASH_ZIPMAP = 9,
    EP_RDB_LIST_ZIPLIST = 10, EP_RDB_SET_INTSET = 11, EP_RDB_ZSET_ZIPLIST = 12, EP_RDB_HASH_ZIPLIST = 13,
    EP_RDB_LIST_QUICKLIST = 14, EP_RDB_STREAM_LISTPACKS = 15, EP_RDB_HASH_LISTPACK = 16,
    EP_RDB_ZSET_LISTPACK = 17, EP_RDB_LIST_QUICKLIST_2 = 18, EP_RDB_STREAM_LISTPACKS_2 = 19
} ep_rdb_type;

/* The newest RDB version read (Redis 7.0 writes 10; 7.2 writes 11, which
 * 7.0 refuses too). */
#define EP_RDB_VERSION_MAX 10
/* A string longer than this is refused before anything is allocated
 * (Redis's proto-max-bulk-len default). */
#define EP_RDB_MAX_STRING (512ull * 1024 * 1024)

/* 1 if the type is one this codec reads into elements (not a stream or a
 * module value). */
EP_API int ep_rdb_type_known(int type);
/* "string", "list", "set", "zset", "hash", "stream", "module" or "?". */
EP_API const char *ep_rdb_type_kind(int type);

/* ---- encoders ---------------------------------------------------------- */
/* The shortest length form. */
EP_API void ep_rdb_put_len(ep_buf *b, uint64_t v);
/* A string as Redis writes it: int8/16/32 when the text is an integer that
 * prints back the same and fits in 32 bits (at most 11 chars); else LZF if
 * lzf_work is given (EP_LZF_WORK_ENTRIES uint32_t, zeroed once), the string
 * is longer than 20 bytes and compressing saves more than 4; else raw. */
EP_API void ep_rdb_put_string(ep_buf *b, ep_bytes s, uint32_t *lzf_work);
/* Raw bytes with a length, no integer or LZF form (blobs). */
EP_API void ep_rdb_put_raw(ep_buf *b, ep_bytes s);

/* A listpack built element by element: ep_rdb_lp_begin, then _add for
 * each element (strings that are integers are stored as integers, as
 * Redis does), then _end, which fills the header. */
EP_API void ep_rdb_lp_begin(ep_buf *b, size_t *mark);
EP_API void ep_rdb_lp_add(ep_buf *b, ep_bytes s);
EP_API void ep_rdb_lp_add_int(ep_buf *b, int64_t v);
EP_API void ep_rdb_lp_end(ep_buf *b, size_t mark, size_t count);
/* An intset of n values (sorted here; duplicates are the caller's error:
 * EP_ERR_INVALID). */
EP_API ep_result ep_rdb_intset_build(ep_buf *b, int64_t *vals, size_t n);

/* ---- decoders ---------------------------------------------------------- */
/* A length. *special = 1 for the 11xxxxxx forms (then *v is the kind:
 * 0 int8, 1 int16, 2 int32, 3 LZF). EP_ERR_CORRUPT for an unknown first
 * byte; EP_ERR_EOF if the cursor runs out. */
EP_API ep_result ep_rdb_get_len(ep_cursor *c, uint64_t *v, int *special);
/* A plain length (a special form is EP_ERR_CORRUPT). */
EP_API ep_result ep_rdb_get_count(ep_cursor *c, uint64_t *v);
/* A string: raw bytes come back as a view into the cursor's data; an
 * integer form as its decimal text and an LZF form decompressed, both in
 * scratch (reset first: a view from an earlier call on the same scratch
 * dies). Lengths above cap are EP_ERR_LIMIT before any allocation. */
EP_API ep_result ep_rdb_get_string(ep_cursor *c, ep_buf *scratch, uint64_t cap, ep_bytes *out);

/* One element of a blob: a string (str) or an integer (is_int, num); use
 * ep_rdb_elem_text for the text of either. */
typedef struct ep_rdb_elem {
    ep_bytes str;
    int64_t num;
    int is_int;
} ep_rdb_elem;
#define EP_RDB_NUM_TEXT 32 /* = EP_RESP_NUM_MAX */
EP_API ep_bytes ep_rdb_elem_text(const ep_rdb_elem *e, char buf[EP_RDB_NUM_TEXT]);

typedef enum ep_rdb_blob_kind {
    EP_RDB_BLOB_LISTPACK = 1, EP_RDB_BLOB_ZIPLIST = 2, EP_RDB_BLOB_INTSET = 3, EP_RDB_BLOB_ZIPMAP = 4
} ep_rdb_blob_kind;

/* Walks a blob. init checks the header against the blob's size; next
 * checks each element as it goes (lengths inside the blob, listpack
 * back-lengths, ziplist prev-lengths, intset order) and, at the end, the
 * terminator and the element count: EP_OK per element, EP_END once, or
 * EP_ERR_CORRUPT. Element views point into the blob. */
typedef struct ep_rdb_blob_iter {
    const uint8_t *base, *p, *end;
    uint64_t count;     /* from the header; UINT64_MAX if the header does not say */
    uint64_t seen;
    int kind;
    uint32_t width;     /* intset */
    size_t prev;        /* ziplist: the previous entry's size */
    int64_t last;       /* intset: the previous value */
} ep_rdb_blob_iter;

EP_API ep_result ep_rdb_blob_init(ep_rdb_blob_iter *it, int kind, ep_bytes blob);
EP_API ep_result ep_rdb_blob_next(ep_rdb_blob_iter *it, ep_rdb_elem *out);
/* The element count the header claims (UINT64_MAX: unknown, walk to learn). */
EP_API uint64_t ep_rdb_blob_count(const ep_rdb_blob_iter *it);

/* Text forms of numbers as Redis stores them in listpacks and zset v1
 * records: strict integer text, and a double from text ("inf", "-inf",
 * "nan" included). 1 and *out, or 0. */
EP_API int ep_rdb_parse_double(const uint8_t *s, size_t n, double *out);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_CODEC_RDB_H */
