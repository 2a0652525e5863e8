/* keyspace: hash table of keys, typed values, and the §5.2 replay rules. */
#include "base/internal.h"
#include "codec/codec_aof.h"
#include "codec/codec_snap.h"
#include "store/keyspace.h"

#ifndef EP_NO_KEYSPACE /* the keyspace and what needs it: see recovery.h */

/* Transparent huge pages are asked for with madvise(MADV_HUGEPAGE), which
 * strict POSIX feature macros hide (and <sys/mman.h> is Linux's here).
 * glibc's and musl's posix_madvise pass every advice but DONTNEED through
 * to the madvise system call, and MADV_HUGEPAGE is 14 in every Linux uapi,
 * so that is the way in when the name is hidden. */
#if defined(__linux__) && !defined(__hppa__)
#  include <sys/mman.h>
#  if defined(MADV_HUGEPAGE)
#    define EP__ADVISE_HUGE(p, n) madvise((p), (n), MADV_HUGEPAGE)
#  elif defined(POSIX_MADV_NORMAL)
#    define EP__ADVISE_HUGE(p, n) posix_madvise((p), (n), 14)
#  endif
#endif

/* ---- storage types ------------------------------------------------------ */

/* An owned byte run. Every object kept in an ep__map starts with one of
 * these (its key), so the map can compare keys without a callback. */
typedef struct ep__str {
    uint8_t *data;
    size_t len;
} ep__str;

/* Open addressing, linear probing, backward-shift deletion (no tombstones),
 * so a replay that deletes as much as it inserts never degrades. A slot is
 * 12 bytes in two arrays of one block: the object pointer, and the low 32
 * bits of its key's hash (the home slot, and a filter that keeps a probe
 * from touching objects whose key cannot match). */
typedef struct ep__map {
    void **p;      /* NULL: empty */
    uint32_t *tag; /* after p[cap] in the same block */
    size_t cap;    /* 0 or a power of two, at most 2^32 */
    size_t count;
} ep__map;

#define EP__SLOT_BYTES (sizeof(void *) + sizeof(uint32_t))

/* One allocation: this header, the key bytes, then icap bytes where a
 * string value lives inline while it fits (a SET or a snapshot string costs
 * one block, an overwrite that fits costs none), then - only for a key that
 * has or had a ttl - the ttl (8 bytes, unaligned). The header is 24 bytes on
 * 64-bit (16 on 32-bit): with keys and values of tens of bytes, per-key
 * overhead is what decides recovery's memory, and most keys have no ttl. */
struct ep_ks_entry {
    size_t vlen; /* STRING: value length; PROTO: data length */
    union {
        uint8_t *heap; /* STRING: NULL (value inline) or a block [size_t cap][bytes] */
        void *obj;     /* LIST ep__list, ZSET ep__zset, HASH/SET ep__map, VECTOR ep__vset, PROTO ep__proto */
    } u;
    uint32_t klen;
    uint32_t meta; /* type (bits 0-6), EP__PACKED, EP__HAS_TTL, inline capacity (bits 9-31) */
};

#define EP__PACKED 0x80u /* LIST/ZSET/HASH/SET: the value is an ep__pack */
#define EP__HAS_TTL 0x100u
#define EP__ICAP_MAX 0x7FFFFFu
#define EP__HCAP sizeof(size_t) /* a heap string block starts with its capacity */

/* then cap bytes, used of them (see ep__coll_add and ep__zpack_at). u16
 * counters are enough: the largest pack, 128 hash pairs of two 64-byte
 * parts, is 16640 bytes, 20800 with ep__pack_splice's slack. */
typedef struct ep__pack {
    uint16_t n, used, cap, pad;
} ep__pack;

typedef struct ep__proto { /* then the type name bytes, then the data bytes */
    size_t tlen, dlen;
} ep__proto;

static uint8_t ep__etype(const ep_ks_entry *e) {
    return (uint8_t)(e->meta & 0x7Fu);
}

/* Also clears EP__PACKED. */
static void ep__set_etype(ep_ks_entry *e, uint8_t type) {
    e->meta = (e->meta & ~(uint32_t)0xFFu) | type;
}

static int ep__packed(const ep_ks_entry *e) {
    return (e->meta & EP__PACKED) != 0;
}

static size_t ep__icap(const ep_ks_entry *e) {
    return e->meta >> 9;
}

static int ep__has_ttl(const ep_ks_entry *e) {
    return (e->meta & EP__HAS_TTL) != 0;
}

static const uint8_t *ep__ekey(const ep_ks_entry *e) {
    return (const uint8_t *)(const void *)(e + 1);
}

static uint8_t *ep__inline_area(ep_ks_entry *e) {
    return (uint8_t *)(void *)(e + 1) + e->klen;
}

static size_t ep__entry_size(const ep_ks_entry *e) {
    return sizeof(ep_ks_entry) + e->klen + ep__icap(e) + (ep__has_ttl(e) ? 8u : 0u);
}

static int64_t ep__ttl(const ep_ks_entry *e) {
    int64_t t = -1;
    if (ep__has_ttl(e)) memcpy(&t, (const uint8_t *)(const void *)(e + 1) + e->klen + ep__icap(e), sizeof t);
    return t;
}

/* Only for an entry with room for it (EP__HAS_TTL). */
static void ep__store_ttl(ep_ks_entry *e, int64_t t) {
    memcpy((uint8_t *)(void *)(e + 1) + e->klen + ep__icap(e), &t, sizeof t);
}

/* STRING: where the value's bytes are, and how many fit there. */
static uint8_t *ep__sdata(ep_ks_entry *e) {
    return e->u.heap ? e->u.heap + EP__HCAP : ep__inline_area(e);
}

static const uint8_t *ep__sdata_c(const ep_ks_entry *e) {
    return e->u.heap ? e->u.heap + EP__HCAP : ep__ekey(e) + e->klen;
}

static size_t ep__scap(const ep_ks_entry *e) {
    size_t cap;
    if (!e->u.heap) return ep__icap(e);
    memcpy(&cap, e->u.heap, sizeof cap);
    return cap;
}

static const uint8_t *ep__proto_name(const ep__proto *p) {
    return (const uint8_t *)(const void *)(p + 1);
}

typedef struct ep__list { /* ring buffer deque */
    ep__str *a;
    size_t head, len, cap; /* cap 0 or a power of two */
} ep__list;

#define EP__ZMAXLEVEL 32
/* One block: this header, level forward links, level spans (how many
 * elements a link steps over: rank(fwd[i]) - rank(this), kept only for
 * links that are not NULL), then the member's bytes. The spans give rank
 * reads (ZRANK, ZRANGE by rank) in O(log n), as Redis's skiplist. */
typedef struct ep__znode {
    ep__str member;
    double score;
    struct ep__znode *back;
    uint32_t level;
} ep__znode;

typedef struct ep__zset {
    ep__map map; /* member -> node */
    ep__znode *head; /* sentinel with EP__ZMAXLEVEL links */
    ep__znode *tail;
    uint32_t level;
} ep__zset;

typedef struct ep__hnode { /* hash field; field bytes inline, value apart */
    ep__str field;
    ep__str value;
} ep__hnode;

typedef struct ep__vnode {
    ep__str name; /* bytes inline */
    ep__str vec;  /* dim x f32 LE */
    struct ep__vnode *prev, *next;
} ep__vnode;

typedef struct ep__vset {
    ep__map map;
    ep__vnode *first, *last;
    uint8_t metric, quantization;
    uint32_t connectivity, expansion_add;
} ep__vset;

typedef struct ep__schema {
    ep__str name, desc;
} ep__schema;

#define EP__GRAIN 8u
#define EP__ARENA_MAX 512u
#define EP__CLASS(n) ((n) ? ((n) + EP__GRAIN - 1) / EP__GRAIN : 1u)
#define EP__SLAB_HEAD 16u /* keeps blocks 16-byte aligned when the slab is */
#define EP__SLAB_FIRST 4096u
/* A big keyspace (a table of 128 K slots, or 32 MiB in slabs) takes 32 MiB
 * slabs for the huge-page hint: the hint covers only whole 2 MiB pages
 * inside a slab, and an allocator's header costs a slab at most its first
 * one (Linux puts large anonymous mappings on 2 MiB boundaries). Pages of a
 * slab tail never touched cost no memory. */
#define EP__HUGE ((size_t)2u << 20)
#define EP__SLAB_BIG ((size_t)32u << 20)
#define EP__BIG_SLOTS ((size_t)128u << 10)
#define EP__BIG_RESERVED ((size_t)32u << 20)

typedef struct ep__slab { /* fits in EP__SLAB_HEAD */
    struct ep__slab *next;
    size_t size;
} ep__slab;

typedef struct ep__arena {
    ep__slab *slabs;
    uint8_t *bump, *end;                        /* unused part of the newest slab */
    void *free[EP__ARENA_MAX / EP__GRAIN + 1]; /* per size class, linked through the blocks */
    size_t first_slab, next_slab, reserved;
} ep__arena;

struct ep_keyspace {
    ep_allocator alloc;
    uint64_t seed;
    uint64_t rng;
    size_t mem;
    size_t slab_max; /* 0: every block from the allocator */
    int zero_ttl; /* some key may have ttl 0 (saves drop_expired a full scan) */
    size_t prefetches; /* ep_keyspace_prefetch calls (see there) */
    /* The hash of the key of the record being applied, from the caller's
     * pipeline (ep_keyspace_apply_hashed): a lookup of exactly these bytes
     * (same pointer and length, so the same key) uses it instead of hashing
     * again. Set for one apply only. */
    const uint8_t *hint_key;
    size_t hint_len;
    uint64_t hint_hash;
    ep__map keys;
    ep__schema *schemas;
    size_t nschemas, schemas_cap;
    ep__arena arena;
};

/* ---- memory ------------------------------------------------------------- */

/* Asks for huge pages on the 2 MiB pages inside [p, p + n): the random
 * accesses of a large keyspace then miss the TLB far less, and faulting the
 * memory in costs one fault per 2 MiB instead of per 4 KiB. Only a hint,
 * and only on whole huge pages of a block that is ours. */
static void ep__hugepage_hint(void *p, size_t n) {
#if defined(EP__ADVISE_HUGE)
    uintptr_t a = ((uintptr_t)p + (EP__HUGE - 1)) & ~(uintptr_t)(EP__HUGE - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)(EP__HUGE - 1);
    if (e > a) (void)EP__ADVISE_HUGE((void *)a, (size_t)(e - a));
#else
    (void)p;
    (void)n;
#endif
}

/* Under AddressSanitizer the arena poisons what it does not hand out (free
 * blocks, the unused part of a slab), so a use after ep__ks_release or a
 * block handed out twice is reported where it happens, as with malloc. */
#if defined(__SANITIZE_ADDRESS__)
#  define EP__ASAN_ARENA 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define EP__ASAN_ARENA 1
#  endif
#endif
#if defined(EP__ASAN_ARENA)
#  include <sanitizer/asan_interface.h>
#  define EP__POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#  define EP__UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#  define EP__POISON(p, n) ((void)(p), (void)(n))
#  define EP__UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Pushes a free block of class c (the link lives in its first word). */
static void ep__arena_push(ep__arena *a, void *p, size_t c) {
    *(void **)p = a->free[c];
    a->free[c] = p;
    EP__POISON(p, c * EP__GRAIN);
}

/* Small blocks (entries, elements, small tables) come from slabs: no
 * per-block allocator header, a bump pointer instead of a malloc call, and
 * dense pages. Every caller knows the size of what it frees, so a freed block
 * goes onto the free list of its 8-byte size class and the next block of that
 * class reuses it (DEL and overwrite do not leak). Slabs go back to the
 * allocator only in ep_keyspace_clear / ep_keyspace_free. */
static void *ep__arena_alloc(ep_keyspace *ks, size_t n) {
    ep__arena *a = &ks->arena;
    size_t c = EP__CLASS(n), bytes = c * EP__GRAIN;
    void *p = a->free[c];
    ep__slab *slab;
    size_t size;
    if (p) {
        EP__UNPOISON(p, bytes);
        a->free[c] = *(void **)p;
        return p;
    }
    if ((size_t)(a->end - a->bump) >= bytes) {
        p = a->bump;
        a->bump += bytes;
        EP__UNPOISON(p, bytes);
        return p;
    }
    size = a->next_slab;
    if (ks->keys.cap >= EP__BIG_SLOTS || a->reserved >= EP__BIG_RESERVED) size = EP__SLAB_BIG - 64u;
    slab = (ep__slab *)ep_malloc(&ks->alloc, size);
    if (!slab) return NULL; /* the old slab's tail stays at the bump pointer */
    /* The tail of the old slab goes to its class only now that the bump
     * pointer moves on: pushed before a failed malloc, the same bytes would
     * be handed out twice (once from the free list, once from the bump). */
    if ((size_t)(a->end - a->bump) >= EP__GRAIN) {
        size_t tc = (size_t)(a->end - a->bump) / EP__GRAIN;
        EP__UNPOISON(a->bump, tc * EP__GRAIN);
        ep__arena_push(a, a->bump, tc);
    }
    if (size >= EP__SLAB_BIG / 2) ep__hugepage_hint(slab, size);
    if (size < ks->slab_max) a->next_slab = size * 2 > ks->slab_max ? ks->slab_max : size * 2;
    slab->next = a->slabs;
    slab->size = size;
    a->slabs = slab;
    a->reserved += size;
    a->bump = (uint8_t *)(void *)slab + EP__SLAB_HEAD;
    a->end = (uint8_t *)(void *)slab + size;
    EP__POISON(a->bump, (size_t)(a->end - a->bump));
    p = a->bump;
    a->bump += bytes;
    EP__UNPOISON(p, bytes);
    return p;
}

static void ep__arena_release_all(ep_keyspace *ks) {
    ep__slab *s = ks->arena.slabs;
    size_t first = ks->arena.first_slab;
    while (s) {
        ep__slab *next = s->next;
        EP__UNPOISON(s, s->size); /* the allocator owns all of it again */
        ep_free(&ks->alloc, s);
        s = next;
    }
    memset(&ks->arena, 0, sizeof ks->arena);
    ks->arena.first_slab = ks->arena.next_slab = first;
}

static int ep__small(const ep_keyspace *ks, size_t n) {
    return n <= EP__ARENA_MAX && ks->slab_max;
}

static void *ep__ks_alloc(ep_keyspace *ks, size_t n) {
    void *p;
    if (ep__small(ks, n)) {
        p = ep__arena_alloc(ks, n);
        if (p) ks->mem += EP__CLASS(n) * EP__GRAIN;
        return p;
    }
    p = ep_malloc(&ks->alloc, n);
    if (p) ks->mem += n;
    return p;
}

/* n must be the size p was allocated with. */
static void ep__ks_release(ep_keyspace *ks, void *p, size_t n) {
    if (!p) return;
    if (ep__small(ks, n)) {
        size_t c = EP__CLASS(n);
        ep__arena_push(&ks->arena, p, c);
        ks->mem -= c * EP__GRAIN;
        return;
    }
    ep_free(&ks->alloc, p);
    ks->mem -= n;
}

/* Copies n bytes into out (NULL data for n == 0, so empty costs nothing). */
static ep_result ep__ks_dup(ep_keyspace *ks, const uint8_t *d, size_t n, ep__str *out) {
    out->data = NULL;
    out->len = n;
    if (n == 0) return EP_OK;
    out->data = (uint8_t *)ep__ks_alloc(ks, n);
    if (!out->data) return EP_ERR_NOMEM;
    memcpy(out->data, d, n);
    return EP_OK;
}

static void ep__ks_strfree(ep_keyspace *ks, ep__str *s) {
    ep__ks_release(ks, s->data, s->len);
    s->data = NULL;
    s->len = 0;
}

/* One block: a struct of `head` bytes followed by n key bytes. */
static void *ep__ks_alloc_keyed(ep_keyspace *ks, size_t head, const uint8_t *k, size_t n, ep__str *key_field_out,
                                size_t key_offset) {
    size_t total;
    uint8_t *p;
    if (!ep__add_size(head, n, &total)) return NULL;
    p = (uint8_t *)ep__ks_alloc(ks, total);
    if (!p) return NULL;
    memset(p, 0, head);
    if (n) memcpy(p + key_offset, k, n);
    key_field_out->data = p + key_offset;
    key_field_out->len = n;
    return p;
}

/* ---- hashing -------------------------------------------------------------- */

static uint64_t ep__fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* 8 bytes per multiply, then a full avalanche: fast and well spread. */
static uint64_t ep__hash(uint64_t seed, const uint8_t *p, size_t n) {
    uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
    uint64_t w;
    while (n >= 8) {
        w = ep_load_u64le(p) * 0x87c37b91114253d5ull;
        w ^= w >> 31;
        h = (h ^ w) * 0x4cf5ad432745937full;
        h = (h << 27) | (h >> 37);
        p += 8;
        n -= 8;
    }
    /* The last 0-7 bytes in at most two loads (overlapping for 4-7): with n
     * mixed in above, every tail of one length still gives its own w. */
    if (n >= 4) w = (uint64_t)ep_load_u32le(p) | ((uint64_t)ep_load_u32le(p + n - 4) << 32);
    else if (n) w = (uint64_t)p[0] | ((uint64_t)p[n / 2] << 8) | ((uint64_t)p[n - 1] << 16);
    else w = 0;
    h ^= w * 0x87c37b91114253d5ull;
    return ep__fmix64(h);
}

static int ep__str_eq(const ep__str *s, const uint8_t *k, size_t n) {
    return s->len == n && (n == 0 || memcmp(s->data, k, n) == 0);
}

static int ep__bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return an < bn ? -1 : (an > bn ? 1 : 0);
}

/* ---- map -------------------------------------------------------------------- */


#define EP__NOSLOT ((size_t)-1)

static size_t ep__map_find(const ep__map *m, uint64_t h, const uint8_t *k, size_t n) {
    size_t i;
    if (!m->cap) return EP__NOSLOT;
    i = (size_t)h & (m->cap - 1);
    while (m->p[i]) {
        if (m->tag[i] == (uint32_t)h && ep__str_eq((const ep__str *)m->p[i], k, n)) return i;
        i = (i + 1) & (m->cap - 1);
    }
    return EP__NOSLOT;
}

static void ep__map_put(ep__map *m, uint64_t h, void *p) {
    size_t i = (size_t)h & (m->cap - 1);
    while (m->p[i]) i = (i + 1) & (m->cap - 1);
    m->tag[i] = (uint32_t)h;
    m->p[i] = p;
    m->count++;
}

static ep_result ep__map_resize(ep_keyspace *ks, ep__map *m, size_t cap) {
    ep__map n;
    size_t i, bytes;
    /* the tag holds 32 hash bits: enough for the home slot up to 2^32 slots */
    if ((cap - 1) >> 16 >> 16 || !ep__mul_size(cap, EP__SLOT_BYTES, &bytes)) return EP_ERR_NOMEM;
    n.p = (void **)ep__ks_alloc(ks, bytes);
    if (!n.p) return EP_ERR_NOMEM;
    if (bytes >= 2 * EP__HUGE) ep__hugepage_hint(n.p, bytes); /* before the memset faults it in */
    memset(n.p, 0, bytes);
    n.tag = (uint32_t *)(void *)(n.p + cap);
    n.cap = cap;
    n.count = 0;
    for (i = 0; i < m->cap; i++)
        if (m->p[i]) ep__map_put(&n, m->tag[i], m->p[i]);
    ep__ks_release(ks, m->p, m->cap * EP__SLOT_BYTES);
    *m = n;
    return EP_OK;
}

/* Room for one more at a load factor of at most 3/4 (small maps start with
 * 4 slots: most hashes and sets in a keyspace hold a few elements). */
static ep_result ep__map_reserve1(ep_keyspace *ks, ep__map *m) {
    size_t cap;
    if ((m->count + 1) * 4 <= m->cap * 3) return EP_OK;
    cap = m->cap ? m->cap * 2 : 4;
    if (cap < m->cap) return EP_ERR_NOMEM;
    return ep__map_resize(ks, m, cap);
}

/* Backward shift: later members of the probe run move up into the hole
 * unless their home slot lies cyclically after it. */
static void ep__map_del(ep__map *m, size_t i) {
    size_t mask = m->cap - 1, j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (!m->p[j]) break;
        home = (size_t)m->tag[j] & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->p[i] = m->p[j];
            m->tag[i] = m->tag[j];
            i = j;
        }
    }
    m->p[i] = NULL;
    m->tag[i] = 0;
    m->count--;
}

static void ep__map_free(ep_keyspace *ks, ep__map *m) {
    ep__ks_release(ks, m->p, m->cap * EP__SLOT_BYTES);
    m->p = NULL;
    m->tag = NULL;
    m->cap = m->count = 0;
}

/* ---- list (deque) ------------------------------------------------------------ */

#define EP__LAT(l, i) ((l)->a[((l)->head + (i)) & ((l)->cap - 1)])

static ep_result ep__list_grow(ep_keyspace *ks, ep__list *l) {
    size_t cap = l->cap ? l->cap * 2 : 4, bytes, i;
    ep__str *a;
    if (cap < l->cap || !ep__mul_size(cap, sizeof(ep__str), &bytes)) return EP_ERR_NOMEM;
    a = (ep__str *)ep__ks_alloc(ks, bytes);
    if (!a) return EP_ERR_NOMEM;
    for (i = 0; i < l->len; i++) a[i] = EP__LAT(l, i);
    ep__ks_release(ks, l->a, l->cap * sizeof(ep__str));
    l->a = a;
    l->cap = cap;
    l->head = 0;
    return EP_OK;
}

static ep_result ep__list_push(ep_keyspace *ks, ep__list *l, ep_bytes v, int front) {
    ep__str s;
    ep_result r;
    if (l->len == l->cap && (r = ep__list_grow(ks, l)) != EP_OK) return r;
    if ((r = ep__ks_dup(ks, v.data, v.len, &s)) != EP_OK) return r;
    if (front) {
        l->head = (l->head + l->cap - 1) & (l->cap - 1);
        l->a[l->head] = s;
    } else {
        EP__LAT(l, l->len) = s;
    }
    l->len++;
    return EP_OK;
}

/* Inserts at position pos (0..len), moving the shorter side. */
static ep_result ep__list_insert(ep_keyspace *ks, ep__list *l, size_t pos, ep_bytes v) {
    ep__str s;
    ep_result r;
    size_t i;
    if (l->len == l->cap && (r = ep__list_grow(ks, l)) != EP_OK) return r;
    if ((r = ep__ks_dup(ks, v.data, v.len, &s)) != EP_OK) return r;
    if (pos < l->len / 2) {
        l->head = (l->head + l->cap - 1) & (l->cap - 1);
        for (i = 0; i < pos; i++) EP__LAT(l, i) = EP__LAT(l, i + 1);
    } else {
        for (i = l->len; i > pos; i--) EP__LAT(l, i) = EP__LAT(l, i - 1);
    }
    EP__LAT(l, pos) = s;
    l->len++;
    return EP_OK;
}

static void ep__list_pop(ep_keyspace *ks, ep__list *l, int front) {
    if (!l->len) return;
    if (front) {
        ep__ks_strfree(ks, &l->a[l->head]);
        l->head = (l->head + 1) & (l->cap - 1);
    } else {
        ep__ks_strfree(ks, &EP__LAT(l, l->len - 1));
    }
    l->len--;
}

static void ep__list_free(ep_keyspace *ks, ep__list *l) {
    size_t i;
    for (i = 0; i < l->len; i++) ep__ks_strfree(ks, &EP__LAT(l, i));
    ep__ks_release(ks, l->a, l->cap * sizeof(ep__str));
    ep__ks_release(ks, l, sizeof *l);
}

/* ---- sorted set (hash + skiplist) ----------------------------------------- */

/* Total order: scores as doubles (so -0.0 == 0.0), NaN after everything,
 * then member bytes. */
static int ep__zorder(double s1, ep_bytes m1, double s2, ep_bytes m2) {
    int n1 = s1 != s1, n2 = s2 != s2;
    if (n1 != n2) return n1 ? 1 : -1;
    if (!n1) {
        if (s1 < s2) return -1;
        if (s1 > s2) return 1;
    }
    return ep__bytes_cmp(m1.data, m1.len, m2.data, m2.len);
}

static int ep__zcmp(double s1, const ep__str *m1, double s2, const ep__str *m2) {
    return ep__zorder(s1, ep_bytes_of(m1->data, m1->len), s2, ep_bytes_of(m2->data, m2->len));
}

/* A test that proves the skiplist's costs counts steps through this hook
 * (it includes the implementation with its own definition). */
#ifndef EP__KS_STEP
#  define EP__KS_STEP() ((void)0)
#endif

static size_t ep__znode_size(uint32_t level, size_t mlen) {
    return sizeof(ep__znode) + (size_t)level * (sizeof(ep__znode *) + sizeof(uint32_t)) + mlen;
}

static ep__znode **ep__zfwd(const ep__znode *z) {
    return (ep__znode **)(void *)((uint8_t *)(void *)(uintptr_t)z + sizeof(ep__znode));
}

static uint32_t *ep__zspan(const ep__znode *z) {
    return (uint32_t *)(void *)(ep__zfwd(z) + z->level);
}

static uint32_t ep__zrandom_level(ep_keyspace *ks) {
    uint64_t x = ks->rng;
    uint32_t level = 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ks->rng = x;
    while ((x & 3u) == 0 && level < EP__ZMAXLEVEL) { /* p = 1/4 */
        level++;
        x >>= 2;
    }
    return level;
}

static ep__znode *ep__znode_new(ep_keyspace *ks, uint32_t level, const uint8_t *m, size_t n) {
    size_t head = ep__znode_size(level, 0);
    ep__znode *z;
    ep__str key;
    z = (ep__znode *)ep__ks_alloc_keyed(ks, head, m, n, &key, head);
    if (!z) return NULL;
    z->member = key;
    z->level = level;
    return z;
}

/* node before other in the set's order? */
static int ep__zbefore(const ep__znode *node, const ep__znode *other) {
    return ep__zcmp(node->score, &node->member, other->score, &other->member) < 0;
}

/* Links node (not in the list; its level set) in order, keeping the spans:
 * rank[i] is the rank of update[i], the last node before node at level i. */
static void ep__zlink(ep__zset *zs, ep__znode *node) {
    ep__znode *update[EP__ZMAXLEVEL];
    uint32_t rank[EP__ZMAXLEVEL];
    ep__znode *x = zs->head;
    uint32_t i = zs->level;
    while (i-- > 0) {
        rank[i] = i + 1 == zs->level ? 0 : rank[i + 1];
        while (ep__zfwd(x)[i] && ep__zbefore(ep__zfwd(x)[i], node)) {
            EP__KS_STEP();
            rank[i] += ep__zspan(x)[i];
            x = ep__zfwd(x)[i];
        }
        update[i] = x;
    }
    for (i = zs->level; i < node->level; i++) {
        update[i] = zs->head;
        rank[i] = 0;
        ep__zfwd(zs->head)[i] = NULL;
    }
    for (i = 0; i < node->level; i++) {
        ep__znode **ufwd = ep__zfwd(update[i]);
        uint32_t *uspan = ep__zspan(update[i]);
        ep__zfwd(node)[i] = ufwd[i];
        if (ufwd[i]) ep__zspan(node)[i] = uspan[i] - (rank[0] - rank[i]);
        ufwd[i] = node;
        uspan[i] = rank[0] - rank[i] + 1u;
    }
    for (i = node->level; i < zs->level; i++)
        if (ep__zfwd(update[i])[i]) ep__zspan(update[i])[i]++; /* it now steps over node too */
    if (node->level > zs->level) zs->level = node->level;
    node->back = update[0] == zs->head ? NULL : update[0];
    if (ep__zfwd(node)[0]) ep__zfwd(node)[0]->back = node;
    else zs->tail = node;
}

static void ep__zunlink(ep__zset *zs, ep__znode *node) {
    ep__znode *update[EP__ZMAXLEVEL];
    ep__znode *x = zs->head;
    uint32_t i = zs->level;
    while (i-- > 0) {
        while (ep__zfwd(x)[i] && ep__zfwd(x)[i] != node && ep__zbefore(ep__zfwd(x)[i], node)) {
            EP__KS_STEP();
            x = ep__zfwd(x)[i];
        }
        update[i] = x;
    }
    for (i = 0; i < zs->level; i++) {
        ep__znode **ufwd = ep__zfwd(update[i]);
        if (ufwd[i] == node) {
            if (ep__zfwd(node)[i]) ep__zspan(update[i])[i] += ep__zspan(node)[i] - 1u;
            ufwd[i] = ep__zfwd(node)[i];
        } else if (ufwd[i]) {
            ep__zspan(update[i])[i]--;
        }
    }
    if (ep__zfwd(node)[0]) ep__zfwd(node)[0]->back = node->back;
    else zs->tail = node->back;
    while (zs->level > 1 && !ep__zfwd(zs->head)[zs->level - 1]) zs->level--;
}

/* The node of 1-based rank r (1 <= r <= count), in O(log n). */
static const ep__znode *ep__zby_rank(const ep__zset *zs, size_t r) {
    const ep__znode *x = zs->head;
    size_t passed = 0;
    uint32_t i = zs->level;
    while (i-- > 0) {
        while (ep__zfwd(x)[i] && passed + ep__zspan(x)[i] <= r) {
            EP__KS_STEP();
            passed += ep__zspan(x)[i];
            x = ep__zfwd(x)[i];
        }
        if (passed == r) return x;
    }
    return NULL;
}

/* The 1-based rank of node (in the list), in O(log n). */
static size_t ep__zrank_of(const ep__zset *zs, const ep__znode *node) {
    const ep__znode *x = zs->head;
    size_t rank = 0;
    uint32_t i = zs->level;
    while (i-- > 0) {
        while (ep__zfwd(x)[i] && (ep__zfwd(x)[i] == node || ep__zbefore(ep__zfwd(x)[i], node))) {
            EP__KS_STEP();
            rank += ep__zspan(x)[i];
            x = ep__zfwd(x)[i];
        }
        if (x == node) return rank;
    }
    return 0;
}

static ep_result ep__zset_add(ep_keyspace *ks, ep__zset *zs, double score, ep_bytes m) {
    uint64_t h = ep__hash(ks->seed, m.data, m.len);
    size_t i = ep__map_find(&zs->map, h, m.data, m.len);
    ep__znode *z;
    ep_result r;
    if (i != EP__NOSLOT) { /* replace the score in place */
        z = (ep__znode *)zs->map.p[i];
        if (memcmp(&z->score, &score, sizeof score) != 0) {
            ep__zunlink(zs, z);
            z->score = score;
            ep__zlink(zs, z);
        }
        return EP_OK;
    }
    if ((r = ep__map_reserve1(ks, &zs->map)) != EP_OK) return r;
    z = ep__znode_new(ks, ep__zrandom_level(ks), m.data, m.len);
    if (!z) return EP_ERR_NOMEM;
    z->score = score;
    ep__map_put(&zs->map, h, z);
    ep__zlink(zs, z);
    return EP_OK;
}

static void ep__zset_rem(ep_keyspace *ks, ep__zset *zs, ep_bytes m) {
    uint64_t h = ep__hash(ks->seed, m.data, m.len);
    size_t i = ep__map_find(&zs->map, h, m.data, m.len);
    ep__znode *z;
    if (i == EP__NOSLOT) return;
    z = (ep__znode *)zs->map.p[i];
    ep__map_del(&zs->map, i);
    ep__zunlink(zs, z);
    ep__ks_release(ks, z, ep__znode_size(z->level, z->member.len));
}

static ep__zset *ep__zset_new(ep_keyspace *ks) {
    ep__zset *zs = (ep__zset *)ep__ks_alloc(ks, sizeof(ep__zset));
    uint32_t i;
    if (!zs) return NULL;
    memset(zs, 0, sizeof *zs);
    zs->head = ep__znode_new(ks, EP__ZMAXLEVEL, NULL, 0);
    if (!zs->head) {
        ep__ks_release(ks, zs, sizeof *zs);
        return NULL;
    }
    for (i = 0; i < EP__ZMAXLEVEL; i++) ep__zfwd(zs->head)[i] = NULL;
    zs->level = 1;
    return zs;
}

static void ep__zset_free(ep_keyspace *ks, ep__zset *zs) {
    ep__znode *z = ep__zfwd(zs->head)[0];
    while (z) {
        ep__znode *next = ep__zfwd(z)[0];
        ep__ks_release(ks, z, ep__znode_size(z->level, z->member.len));
        z = next;
    }
    ep__ks_release(ks, zs->head, ep__znode_size(EP__ZMAXLEVEL, 0));
    ep__map_free(ks, &zs->map);
    ep__ks_release(ks, zs, sizeof *zs);
}

/* ---- hash and set ------------------------------------------------------------ */

static ep_result ep__hash_set(ep_keyspace *ks, ep__map *m, ep_bytes f, ep_bytes v) {
    uint64_t h = ep__hash(ks->seed, f.data, f.len);
    size_t i = ep__map_find(m, h, f.data, f.len);
    ep__hnode *n;
    ep__str nv;
    ep_result r;
    if (i != EP__NOSLOT) {
        n = (ep__hnode *)m->p[i];
        if ((r = ep__ks_dup(ks, v.data, v.len, &nv)) != EP_OK) return r;
        ep__ks_strfree(ks, &n->value);
        n->value = nv;
        return EP_OK;
    }
    if ((r = ep__map_reserve1(ks, m)) != EP_OK) return r;
    n = (ep__hnode *)ep__ks_alloc_keyed(ks, sizeof(ep__hnode), f.data, f.len, &nv, sizeof(ep__hnode));
    if (!n) return EP_ERR_NOMEM;
    n->field = nv;
    if ((r = ep__ks_dup(ks, v.data, v.len, &n->value)) != EP_OK) {
        ep__ks_release(ks, n, sizeof(ep__hnode) + f.len);
        return r;
    }
    ep__map_put(m, h, n);
    return EP_OK;
}

static void ep__hnode_free(ep_keyspace *ks, ep__hnode *n) {
    ep__ks_strfree(ks, &n->value);
    ep__ks_release(ks, n, sizeof(ep__hnode) + n->field.len);
}

static ep_result ep__set_add(ep_keyspace *ks, ep__map *m, ep_bytes v) {
    uint64_t h = ep__hash(ks->seed, v.data, v.len);
    ep__str *n;
    ep__str key;
    ep_result r;
    if (ep__map_find(m, h, v.data, v.len) != EP__NOSLOT) return EP_OK;
    if ((r = ep__map_reserve1(ks, m)) != EP_OK) return r;
    n = (ep__str *)ep__ks_alloc_keyed(ks, sizeof(ep__str), v.data, v.len, &key, sizeof(ep__str));
    if (!n) return EP_ERR_NOMEM;
    *n = key;
    ep__map_put(m, h, n);
    return EP_OK;
}

/* Removes key k from a HASH (is_hash) or SET map. */
static void ep__map_remove_obj(ep_keyspace *ks, ep__map *m, ep_bytes k, int is_hash) {
    uint64_t h = ep__hash(ks->seed, k.data, k.len);
    size_t i = ep__map_find(m, h, k.data, k.len);
    void *p;
    if (i == EP__NOSLOT) return;
    p = m->p[i];
    ep__map_del(m, i);
    if (is_hash) ep__hnode_free(ks, (ep__hnode *)p);
    else ep__ks_release(ks, p, sizeof(ep__str) + ((ep__str *)p)->len);
}

static void ep__objmap_free(ep_keyspace *ks, ep__map *m, int is_hash) {
    size_t i;
    for (i = 0; i < m->cap; i++) {
        void *p = m->p[i];
        if (!p) continue;
        if (is_hash) ep__hnode_free(ks, (ep__hnode *)p);
        else ep__ks_release(ks, p, sizeof(ep__str) + ((ep__str *)p)->len);
    }
    ep__map_free(ks, m);
    ep__ks_release(ks, m, sizeof *m);
}

/* ---- small hashes and sets, packed ---------------------------------------------- */

/* A hash or set of up to EP__PACK_MAX_N elements whose parts are each at
 * most EP__PACK_MAX_LEN bytes lives in one block: [u8 len][bytes] per member,
 * [u8 len][field][u8 len][value] per hash pair, in insertion order (lists
 * and sorted sets likewise, see ep__list_add and ep__zpack_at). Most
 * collections in a keyspace are that small, and a table plus a node per
 * element costs several times their bytes. Past either limit it takes the
 * general form (for good). The limits are Redis's listpack ones
 * (hash-max-listpack-entries 128 / -value 64, the same for sorted sets):
 * lookups scan at most 128 elements of at most 64 bytes in one block, and
 * data that fits Redis's compact forms fits ours. */
#define EP__PACK_MAX_N 128u
#define EP__PACK_MAX_LEN 64u
typedef char ep__pack_fits_u16[(EP__PACK_MAX_N * (2u + 2u * EP__PACK_MAX_LEN)) * 5u / 4u + 16u <= 0xFFFFu ? 1 : -1];

static const uint8_t *ep__pack_data(const ep__pack *p) {
    return (const uint8_t *)(const void *)(p + 1);
}

/* The element at pos (a, and b for a hash); returns the next pos. */
static size_t ep__pack_elem(const ep__pack *p, size_t pos, int is_hash, ep_bytes *a, ep_bytes *b) {
    const uint8_t *d = ep__pack_data(p);
    size_t n = d[pos];
    *a = ep_bytes_of(d + pos + 1, n);
    pos += 1 + n;
    *b = ep_bytes_of(NULL, 0);
    if (is_hash) {
        n = d[pos];
        *b = ep_bytes_of(d + pos + 1, n);
        pos += 1 + n;
    }
    return pos;
}

/* A packed part equal to k? The last bytes first: members and fields of one
 * collection often share a prefix, and a scan of up to 128 of them should
 * not call memcmp for each. */
static int ep__part_eq(ep_bytes a, ep_bytes k) {
    return a.len == k.len && (k.len == 0 || (a.data[k.len - 1] == k.data[k.len - 1] && memcmp(a.data, k.data, k.len) == 0));
}

/* Offset of the element whose first part is k (*end: just after it), or EP__NOSLOT. */
static size_t ep__pack_find(const ep__pack *p, int is_hash, ep_bytes k, size_t *end, ep_bytes *b) {
    size_t pos = 0;
    while (pos < p->used) {
        ep_bytes a;
        size_t next = ep__pack_elem(p, pos, is_hash, &a, b);
        if (ep__part_eq(a, k)) {
            *end = next;
            return pos;
        }
        pos = next;
    }
    return EP__NOSLOT;
}

/* Replaces bytes [at, at + old) of e's pack by the n bytes at src, moving
 * the pack to a bigger block when they do not fit. */
static ep_result ep__pack_splice(ep_keyspace *ks, ep_ks_entry *e, size_t at, size_t old, const uint8_t *src,
                                 size_t n) {
    ep__pack *p = (ep__pack *)e->u.obj, *q;
    size_t used = p->used - old + n, cap;
    uint8_t *d = (uint8_t *)(void *)(p + 1);
    if (used > p->cap) {
        /* exact fit (to 8 bytes) while small: with slabs a move is a short
         * copy, and packs are where most of a small collection's bytes are;
         * past 256 bytes a quarter more, so that filling a pack of 128
         * elements one by one copies it O(log n) times, not n times */
        cap = used > 256u ? used + used / 4u : used;
        cap = (cap + 7) & ~(size_t)7; /* fits a u16: see ep__pack */
        q = (ep__pack *)ep__ks_alloc(ks, sizeof *q + cap);
        if (!q) return EP_ERR_NOMEM;
        *q = *p;
        q->cap = (uint16_t)cap;
        memcpy(q + 1, d, at);
        memcpy((uint8_t *)(void *)(q + 1) + at + n, d + at + old, p->used - at - old);
        ep__ks_release(ks, p, sizeof *p + p->cap);
        e->u.obj = p = q;
        d = (uint8_t *)(void *)(p + 1);
    } else if (n != old) {
        memmove(d + at + n, d + at + old, p->used - at - old);
    }
    if (n) memcpy(d + at, src, n);
    p->used = (uint16_t)used;
    return EP_OK;
}

/* A pack block for used bytes (its cap rounded to 8), n and used set. */
static ep__pack *ep__pack_new(ep_keyspace *ks, size_t used, size_t n) {
    size_t cap = (used + 7) & ~(size_t)7;
    ep__pack *p = (ep__pack *)ep__ks_alloc(ks, sizeof *p + cap);
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->n = (uint16_t)n;
    p->used = (uint16_t)used;
    p->cap = (uint16_t)cap;
    return p;
}

/* Frees e's pack and puts obj, its general form, in its place. */
static void ep__pack_drop(ep_keyspace *ks, ep_ks_entry *e, void *obj) {
    ep__pack *p = (ep__pack *)e->u.obj;
    ep__ks_release(ks, p, sizeof *p + p->cap);
    e->u.obj = obj;
    e->meta &= ~(uint32_t)EP__PACKED;
}

/* Puts q in place of e's pack (a fresh entry's empty one). */
static void ep__pack_install(ep_keyspace *ks, ep_ks_entry *e, ep__pack *q) {
    ep__pack_drop(ks, e, q);
    e->meta |= EP__PACKED;
}

/* One element of a collection of type at d, in its pack layout:
 * [len][a] (LIST, SET), [len][a][len][b] (HASH), [score][len][a][len]
 * (ZSET); returns its size. */
static size_t ep__pack_put(uint8_t *d, uint8_t type, const ep_item *it) {
    size_t n = 0;
    if (type == EP_TYPE_ZSET) {
        memcpy(d, &it->score, sizeof it->score);
        n = sizeof it->score;
    }
    d[n++] = (uint8_t)it->a.len;
    if (it->a.len) memcpy(d + n, it->a.data, it->a.len);
    n += it->a.len;
    if (type == EP_TYPE_HASH) {
        d[n++] = (uint8_t)it->b.len;
        if (it->b.len) memcpy(d + n, it->b.data, it->b.len);
        n += it->b.len;
    }
    if (type == EP_TYPE_ZSET) d[n++] = (uint8_t)it->a.len;
    return n;
}

/* Turns e's pack into an ep__map (nothing changes on failure). */
static ep_result ep__unpack(ep_keyspace *ks, ep_ks_entry *e) {
    int is_hash = ep__etype(e) == EP_TYPE_HASH;
    ep__pack *p = (ep__pack *)e->u.obj;
    ep__map *m = (ep__map *)ep__ks_alloc(ks, sizeof *m);
    size_t pos = 0;
    ep_result r = EP_OK;
    if (!m) return EP_ERR_NOMEM;
    memset(m, 0, sizeof *m);
    while (r == EP_OK && pos < p->used) {
        ep_bytes a, b;
        pos = ep__pack_elem(p, pos, is_hash, &a, &b);
        r = is_hash ? ep__hash_set(ks, m, a, b) : ep__set_add(ks, m, a);
    }
    if (r != EP_OK) {
        ep__objmap_free(ks, m, is_hash);
        return r;
    }
    ep__pack_drop(ks, e, m);
    return EP_OK;
}

/* HSET of one pair (b) or SADD of one member (b unused) on e. */
static ep_result ep__coll_add(ep_keyspace *ks, ep_ks_entry *e, ep_bytes a, ep_bytes b) {
    int is_hash = ep__etype(e) == EP_TYPE_HASH;
    uint8_t el[2 + 2 * EP__PACK_MAX_LEN];
    size_t n, pos, end = 0;
    ep_bytes old;
    ep_result r;
    if (ep__packed(e)) {
        const ep__pack *p = (const ep__pack *)e->u.obj;
        pos = ep__pack_find(p, is_hash, a, &end, &old);
        if (pos != EP__NOSLOT && !is_hash) return EP_OK;
        if (a.len <= EP__PACK_MAX_LEN && (!is_hash || b.len <= EP__PACK_MAX_LEN) &&
            (pos != EP__NOSLOT || p->n < EP__PACK_MAX_N)) {
            ep_item item;
            item.a = a;
            item.b = b;
            item.score = 0;
            n = ep__pack_put(el, ep__etype(e), &item);
            if (pos == EP__NOSLOT) pos = end = p->used;
            if ((r = ep__pack_splice(ks, e, pos, end - pos, el, n)) != EP_OK) return r;
            if (end == pos) ((ep__pack *)e->u.obj)->n++;
            return EP_OK;
        }
        if ((r = ep__unpack(ks, e)) != EP_OK) return r;
    }
    return is_hash ? ep__hash_set(ks, (ep__map *)e->u.obj, a, b) : ep__set_add(ks, (ep__map *)e->u.obj, a);
}

/* HDEL / SREM of one field or member. */
static void ep__coll_rem(ep_keyspace *ks, ep_ks_entry *e, ep_bytes a) {
    int is_hash = ep__etype(e) == EP_TYPE_HASH;
    size_t pos, end = 0;
    ep_bytes b;
    if (!ep__packed(e)) {
        ep__map_remove_obj(ks, (ep__map *)e->u.obj, a, is_hash);
        return;
    }
    pos = ep__pack_find((const ep__pack *)e->u.obj, is_hash, a, &end, &b);
    if (pos == EP__NOSLOT) return;
    (void)ep__pack_splice(ks, e, pos, end - pos, NULL, 0); /* shrinking never allocates */
    ((ep__pack *)e->u.obj)->n--;
}

/* A hash field's value, or 0 if absent. */
static int ep__hash_get(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes f, ep_bytes *v) {
    size_t i, end;
    if (ep__packed(e)) return ep__pack_find((const ep__pack *)e->u.obj, 1, f, &end, v) != EP__NOSLOT;
    i = ep__map_find((const ep__map *)e->u.obj, ep__hash(ks->seed, f.data, f.len), f.data, f.len);
    if (i == EP__NOSLOT) return 0;
    *v = ep_bytes_of(((const ep__hnode *)((const ep__map *)e->u.obj)->p[i])->value.data,
                     ((const ep__hnode *)((const ep__map *)e->u.obj)->p[i])->value.len);
    return 1;
}

/* ---- small sorted sets, packed ---------------------------------------------------- */

/* A sorted set of up to EP__PACK_MAX_N members of at most EP__PACK_MAX_LEN
 * bytes is a pack of [f64 score][u8 len][member][u8 len] in ascending
 * (score, member) order (the score native-endian: memory only); the
 * trailing length lets ZREVRANGE walk from the tail. */
#define EP__ZEL(len) (10u + (size_t)(len))

/* The element at pos; returns the next pos. */
static size_t ep__zpack_at(const ep__pack *p, size_t pos, double *score, ep_bytes *m) {
    const uint8_t *d = ep__pack_data(p) + pos;
    memcpy(score, d, sizeof *score);
    *m = ep_bytes_of(d + 9, d[8]);
    return pos + EP__ZEL(d[8]);
}

/* Where the element that ends at end starts. */
static size_t ep__zpack_before(const ep__pack *p, size_t end) {
    return end - EP__ZEL(ep__pack_data(p)[end - 1]);
}

/* Offset of member m (its index in *idx, its score in *score), or EP__NOSLOT. */
static size_t ep__zpack_find(const ep__pack *p, ep_bytes m, size_t *idx, double *score) {
    size_t pos = 0, i = 0;
    while (pos < p->used) {
        ep_bytes a;
        size_t next = ep__zpack_at(p, pos, score, &a);
        if (ep__part_eq(a, m)) {
            *idx = i;
            return pos;
        }
        pos = next;
        i++;
    }
    return EP__NOSLOT;
}

/* Turns a packed sorted set into the skiplist form (nothing changes on failure). */
static ep_result ep__zunpack(ep_keyspace *ks, ep_ks_entry *e) {
    ep__pack *p = (ep__pack *)e->u.obj;
    ep__zset *zs = ep__zset_new(ks);
    size_t pos = 0;
    ep_result r = EP_OK;
    if (!zs) return EP_ERR_NOMEM;
    while (r == EP_OK && pos < p->used) {
        double s;
        ep_bytes m;
        pos = ep__zpack_at(p, pos, &s, &m);
        r = ep__zset_add(ks, zs, s, m);
    }
    if (r != EP_OK) {
        ep__zset_free(ks, zs);
        return r;
    }
    ep__pack_drop(ks, e, zs);
    return EP_OK;
}

/* ZADD of one member on a ZSET entry of either form. */
static ep_result ep__zadd_one(ep_keyspace *ks, ep_ks_entry *e, double score, ep_bytes m) {
    uint8_t el[EP__ZEL(EP__PACK_MAX_LEN)];
    ep__pack *p = (ep__pack *)e->u.obj;
    size_t pos, idx, end;
    double old;
    ep_item item;
    ep_result r;
    if (!ep__packed(e)) return ep__zset_add(ks, (ep__zset *)e->u.obj, score, m);
    pos = ep__zpack_find(p, m, &idx, &old);
    if (pos != EP__NOSLOT) {
        if (memcmp(&old, &score, sizeof score) == 0) return EP_OK;
        /* out, then back in at its new place: the same bytes, no allocation */
        (void)ep__pack_splice(ks, e, pos, EP__ZEL(m.len), NULL, 0);
        p->n--;
    } else if (m.len > EP__PACK_MAX_LEN || p->n >= EP__PACK_MAX_N) {
        if ((r = ep__zunpack(ks, e)) != EP_OK) return r;
        return ep__zset_add(ks, (ep__zset *)e->u.obj, score, m);
    }
    for (pos = 0; pos < p->used; pos = end) {
        double s;
        ep_bytes a;
        end = ep__zpack_at(p, pos, &s, &a);
        if (ep__zorder(score, m, s, a) < 0) break;
    }
    item.a = m;
    item.b = ep_bytes_of(NULL, 0);
    item.score = score;
    if ((r = ep__pack_splice(ks, e, pos, 0, el, ep__pack_put(el, EP_TYPE_ZSET, &item))) != EP_OK) return r;
    ((ep__pack *)e->u.obj)->n++;
    return EP_OK;
}

/* ZREM of one member on a ZSET entry of either form. */
static void ep__zrem_one(ep_keyspace *ks, ep_ks_entry *e, ep_bytes m) {
    size_t pos, idx;
    double s;
    if (!ep__packed(e)) {
        ep__zset_rem(ks, (ep__zset *)e->u.obj, m);
        return;
    }
    pos = ep__zpack_find((const ep__pack *)e->u.obj, m, &idx, &s);
    if (pos == EP__NOSLOT) return;
    (void)ep__pack_splice(ks, e, pos, EP__ZEL(m.len), NULL, 0); /* shrinking never allocates */
    ((ep__pack *)e->u.obj)->n--;
}

/* The items of a snapshot entry or of a record that fill an empty packed
 * collection e (of type), built in one block when they fit: they are
 * gathered (a duplicate member's last value or score wins at the first
 * one's place, as ep__coll_add does), a sorted set's sorted, then written
 * once; no per-element search of the pack, no growing it. Returns 0
 * (nothing done) if they do not fit, else 1 and *r. */
#define EP__DEDUP_SLOTS 256u /* > EP__PACK_MAX_N: a probe always ends */
static int ep__pack_fill(ep_keyspace *ks, ep_ks_entry *e, const ep_items *items, ep_result *r) {
    ep_item el[EP__PACK_MAX_N];
    uint8_t slot[EP__DEDUP_SLOTS];
    ep_items_iter it;
    ep_item item;
    size_t n = 0, bytes = 0, i, j, pos = 0;
    uint8_t type = ep__etype(e);
    int keyed = type != EP_TYPE_LIST;
    ep__pack *q;
    if (items->count > EP__PACK_MAX_N || !ep__packed(e) || ((ep__pack *)e->u.obj)->n) return 0;
    memset(slot, 0, sizeof slot);
    ep_items_iter_init(&it, items);
    while (ep_items_next(&it, &item)) {
        if (item.a.len > EP__PACK_MAX_LEN || item.b.len > EP__PACK_MAX_LEN || n == EP__PACK_MAX_N) return 0;
        if (keyed) {
            size_t h = (size_t)ep__hash(ks->seed, item.a.data, item.a.len) & (EP__DEDUP_SLOTS - 1u);
            while (slot[h] && ep__bytes_cmp(el[slot[h] - 1u].a.data, el[slot[h] - 1u].a.len, item.a.data,
                                            item.a.len) != 0)
                h = (h + 1u) & (EP__DEDUP_SLOTS - 1u);
            if (slot[h]) {
                el[slot[h] - 1u].b = item.b;
                el[slot[h] - 1u].score = item.score;
                continue;
            }
            slot[h] = (uint8_t)(n + 1u);
        }
        el[n++] = item;
    }
    for (i = 1; type == EP_TYPE_ZSET && i < n; i++) { /* insertion sort: a snapshot's are in order */
        item = el[i];
        for (j = i; j > 0 && ep__zorder(item.score, item.a, el[j - 1].score, el[j - 1].a) < 0; j--) el[j] = el[j - 1];
        el[j] = item;
    }
    for (i = 0; i < n; i++)
        bytes += 1u + el[i].a.len + (type == EP_TYPE_HASH ? 1u + el[i].b.len : 0u) + (type == EP_TYPE_ZSET ? 9u : 0u);
    if (!(q = ep__pack_new(ks, bytes, n))) {
        *r = EP_ERR_NOMEM;
        return 1;
    }
    for (i = 0; i < n; i++) pos += ep__pack_put((uint8_t *)(void *)(q + 1) + pos, type, &el[i]);
    ep__pack_install(ks, e, q);
    *r = EP_OK;
    return 1;
}

/* ---- vector set --------------------------------------------------------------- */

static ep_result ep__vset_add(ep_keyspace *ks, ep__vset *vs, ep_bytes name, ep_bytes vec) {
    uint64_t h = ep__hash(ks->seed, name.data, name.len);
    size_t i = ep__map_find(&vs->map, h, name.data, name.len);
    ep__vnode *n;
    ep__str nv;
    ep_result r;
    if (i != EP__NOSLOT) { /* replace the vector, keep the position */
        n = (ep__vnode *)vs->map.p[i];
        if ((r = ep__ks_dup(ks, vec.data, vec.len, &nv)) != EP_OK) return r;
        ep__ks_strfree(ks, &n->vec);
        n->vec = nv;
        return EP_OK;
    }
    if ((r = ep__map_reserve1(ks, &vs->map)) != EP_OK) return r;
    n = (ep__vnode *)ep__ks_alloc_keyed(ks, sizeof(ep__vnode), name.data, name.len, &nv, sizeof(ep__vnode));
    if (!n) return EP_ERR_NOMEM;
    n->name = nv;
    if ((r = ep__ks_dup(ks, vec.data, vec.len, &n->vec)) != EP_OK) {
        ep__ks_release(ks, n, sizeof(ep__vnode) + name.len);
        return r;
    }
    ep__map_put(&vs->map, h, n);
    n->prev = vs->last;
    n->next = NULL;
    if (vs->last) vs->last->next = n;
    else vs->first = n;
    vs->last = n;
    return EP_OK;
}

static void ep__vnode_free(ep_keyspace *ks, ep__vnode *n) {
    ep__ks_strfree(ks, &n->vec);
    ep__ks_release(ks, n, sizeof(ep__vnode) + n->name.len);
}

static void ep__vset_rem(ep_keyspace *ks, ep__vset *vs, ep_bytes name) {
    uint64_t h = ep__hash(ks->seed, name.data, name.len);
    size_t i = ep__map_find(&vs->map, h, name.data, name.len);
    ep__vnode *n;
    if (i == EP__NOSLOT) return;
    n = (ep__vnode *)vs->map.p[i];
    ep__map_del(&vs->map, i);
    if (n->prev) n->prev->next = n->next;
    else vs->first = n->next;
    if (n->next) n->next->prev = n->prev;
    else vs->last = n->prev;
    ep__vnode_free(ks, n);
}

static void ep__vset_free(ep_keyspace *ks, ep__vset *vs) {
    ep__vnode *n = vs->first;
    while (n) {
        ep__vnode *next = n->next;
        ep__vnode_free(ks, n);
        n = next;
    }
    ep__map_free(ks, &vs->map);
    ep__ks_release(ks, vs, sizeof *vs);
}

/* ---- entries ------------------------------------------------------------------- */

static size_t ep__entry_len(const ep_ks_entry *e) {
    switch (ep__etype(e)) {
    case EP_TYPE_STRING:
    case EP_TYPE_PROTO: return e->vlen;
    case EP_TYPE_LIST:
        return ep__packed(e) ? ((const ep__pack *)e->u.obj)->n : ((const ep__list *)e->u.obj)->len;
    case EP_TYPE_ZSET:
        return ep__packed(e) ? ((const ep__pack *)e->u.obj)->n : ((const ep__zset *)e->u.obj)->map.count;
    case EP_TYPE_HASH:
    case EP_TYPE_SET:
        return ep__packed(e) ? ((const ep__pack *)e->u.obj)->n : ((const ep__map *)e->u.obj)->count;
    case EP_TYPE_VECTOR: return ((const ep__vset *)e->u.obj)->map.count;
    default: return 0;
    }
}

/* Frees the value (not the entry) and leaves an empty inline string. */
static void ep__value_free(ep_keyspace *ks, ep_ks_entry *e) {
    if (ep__packed(e)) {
        ep__ks_release(ks, e->u.obj, sizeof(ep__pack) + ((ep__pack *)e->u.obj)->cap);
        e->u.obj = NULL;
    }
    switch (ep__etype(e)) {
    case EP_TYPE_LIST:
        if (e->u.obj) ep__list_free(ks, (ep__list *)e->u.obj);
        break;
    case EP_TYPE_ZSET:
        if (e->u.obj) ep__zset_free(ks, (ep__zset *)e->u.obj);
        break;
    case EP_TYPE_HASH:
    case EP_TYPE_SET:
        if (e->u.obj) ep__objmap_free(ks, (ep__map *)e->u.obj, ep__etype(e) == EP_TYPE_HASH);
        break;
    case EP_TYPE_VECTOR: ep__vset_free(ks, (ep__vset *)e->u.obj); break;
    case EP_TYPE_PROTO: {
        ep__proto *p = (ep__proto *)e->u.obj; /* NULL if filling it failed */
        if (p) ep__ks_release(ks, p, sizeof *p + p->tlen + p->dlen);
        break;
    }
    default:
        if (e->u.heap) ep__ks_release(ks, e->u.heap, EP__HCAP + ep__scap(e));
        break;
    }
    e->u.heap = NULL;
    e->vlen = 0;
    ep__set_etype(e, EP_TYPE_STRING);
}

static void ep__entry_free(ep_keyspace *ks, ep_ks_entry *e) {
    ep__value_free(ks, e);
    ep__ks_release(ks, e, ep__entry_size(e));
}

/* An empty value of a collection type (STRING/PROTO need nothing here). */
static ep_result ep__value_init(ep_keyspace *ks, ep_ks_entry *e, uint8_t type) {
    size_t sz = 0;
    ep__set_etype(e, type);
    e->u.obj = NULL;
    switch (type) {
    case EP_TYPE_STRING: e->u.heap = NULL; return EP_OK;
    case EP_TYPE_PROTO: return EP_OK;
    case EP_TYPE_LIST:
    case EP_TYPE_ZSET:
    case EP_TYPE_HASH:
    case EP_TYPE_SET: /* start packed */
        sz = sizeof(ep__pack);
        e->meta |= EP__PACKED;
        break;
    case EP_TYPE_VECTOR: sz = sizeof(ep__vset); break;
    default: return EP_ERR_INVALID_ARG;
    }
    if (sz) {
        e->u.obj = ep__ks_alloc(ks, sz);
        if (e->u.obj) memset(e->u.obj, 0, sz);
    }
    if (!e->u.obj) {
        ep__set_etype(e, EP_TYPE_STRING); /* clears EP__PACKED */
        e->u.heap = NULL;
        return EP_ERR_NOMEM;
    }
    return EP_OK;
}

/* A string entry whose own size class has no free block takes one from the
 * next few classes when they have one, and keeps the difference as inline
 * capacity: blocks freed by DEL and by first-ttl moves (in a keyspace loaded
 * from a snapshot mostly of one size) are reused instead of staying on their
 * lists. Returns the extra bytes (0: allocate as asked). */
#define EP__FIT_CLASSES 4u
static size_t ep__spare_room(const ep_keyspace *ks, size_t size) {
    size_t c = EP__CLASS(size), k;
    if (!ep__small(ks, size) || ks->arena.free[c]) return 0;
    for (k = c + 1; k <= c + EP__FIT_CLASSES && k <= EP__ARENA_MAX / EP__GRAIN; k++)
        if (ks->arena.free[k]) return k * EP__GRAIN - size;
    return 0;
}

/* A new entry outside the table, with an empty value of type, room for an
 * inline string of icap bytes (the value to come), and ttl (room for one only
 * if ttl >= 0). */
static ep_result ep__entry_new(ep_keyspace *ks, ep_bytes key, uint8_t type, size_t icap, int64_t ttl,
                               ep_ks_entry **out) {
    ep_ks_entry *e;
    size_t size;
    ep_result r;
    if (key.len > UINT32_MAX) return EP_ERR_LIMIT;
    if (icap > EP__ICAP_MAX) icap = 0; /* such a value lives on the heap */
    if (!ep__add_size(sizeof(ep_ks_entry) + icap + (ttl >= 0 ? 8u : 0u), key.len, &size)) return EP_ERR_NOMEM;
    if (type == EP_TYPE_STRING && icap) {
        size_t extra = ep__spare_room(ks, size);
        icap += extra;
        size += extra;
    }
    e = (ep_ks_entry *)ep__ks_alloc(ks, size);
    if (!e) return EP_ERR_NOMEM;
    memset(e, 0, sizeof *e);
    if (key.len) memcpy(e + 1, key.data, key.len);
    e->klen = (uint32_t)key.len;
    e->meta = ((uint32_t)icap << 9) | (ttl >= 0 ? EP__HAS_TTL : 0u);
    if (ttl >= 0) {
        ep__store_ttl(e, ttl);
        if (ttl == 0) ks->zero_ttl = 1;
    }
    if ((r = ep__value_init(ks, e, type)) != EP_OK) {
        ep__ks_release(ks, e, ep__entry_size(e));
        return r;
    }
    *out = e;
    return EP_OK;
}

/* The key table's lookup: the stored hash first, so a miss rarely touches
 * an entry. */
static size_t ep__keys_find(const ep_keyspace *ks, uint64_t h, const uint8_t *k, size_t n) {
    const ep__map *m = &ks->keys;
    size_t i;
    if (!m->cap) return EP__NOSLOT;
    i = (size_t)h & (m->cap - 1);
    while (m->p[i]) {
        if (m->tag[i] == (uint32_t)h) {
            const ep_ks_entry *e = (const ep_ks_entry *)m->p[i];
            if (e->klen == n && (n == 0 || memcmp(ep__ekey(e), k, n) == 0)) return i;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return EP__NOSLOT;
}

/* Puts a detached entry into the table, replacing (and freeing) any entry
 * with the same key. On failure the caller still owns e. */
static ep_result ep__attach_h(ep_keyspace *ks, ep_ks_entry *e, uint64_t h) {
    size_t i = ep__keys_find(ks, h, ep__ekey(e), e->klen);
    ep_result r;
    if (i != EP__NOSLOT) {
        ep_ks_entry *old = (ep_ks_entry *)ks->keys.p[i];
        ks->keys.p[i] = e;
        ep__entry_free(ks, old);
        return EP_OK;
    }
    if ((r = ep__map_reserve1(ks, &ks->keys)) != EP_OK) return r;
    ep__map_put(&ks->keys, h, e);
    return EP_OK;
}

static ep_result ep__attach(ep_keyspace *ks, ep_ks_entry *e) {
    return ep__attach_h(ks, e, ep__hash(ks->seed, ep__ekey(e), e->klen));
}

/* A top-level key's hash: the caller's (see hint_key) when key is the
 * record's key, else computed. */
static uint64_t ep__key_hash(const ep_keyspace *ks, ep_bytes key) {
    if (key.data == ks->hint_key && key.len == ks->hint_len && key.data) return ks->hint_hash;
    return ep__hash(ks->seed, key.data, key.len);
}

/* ep__attach for an entry made under key (its bytes equal e's key). */
static ep_result ep__attach_key(ep_keyspace *ks, ep_ks_entry *e, ep_bytes key) {
    return ep__attach_h(ks, e, ep__key_hash(ks, key));
}

static ep_ks_entry *ep__find(const ep_keyspace *ks, ep_bytes key, size_t *slot) {
    uint64_t h = ep__key_hash(ks, key);
    size_t i = ep__keys_find(ks, h, key.data, key.len);
    if (slot) *slot = i;
    return i == EP__NOSLOT ? NULL : (ep_ks_entry *)ks->keys.p[i];
}

static void ep__remove_slot(ep_keyspace *ks, size_t i) {
    ep_ks_entry *e = (ep_ks_entry *)ks->keys.p[i];
    ep__map_del(&ks->keys, i);
    ep__entry_free(ks, e);
}

static void ep__remove_key(ep_keyspace *ks, ep_bytes key) {
    size_t i;
    if (ep__find(ks, key, &i)) ep__remove_slot(ks, i);
}

/* Sets the ttl of the entry in table slot i. An entry without room for one
 * is moved to a block 8 bytes longer (nothing points into an entry but its
 * slot); *e follows it. */
static ep_result ep__entry_set_ttl(ep_keyspace *ks, size_t i, ep_ks_entry **e, int64_t ttl) {
    ep_ks_entry *o = *e, *n;
    size_t size;
    if (!ep__has_ttl(o)) {
        if (ttl < 0) return EP_OK;
        size = ep__entry_size(o);
        n = (ep_ks_entry *)ep__ks_alloc(ks, size + 8u);
        if (!n) return EP_ERR_NOMEM;
        memcpy(n, o, size);
        n->meta |= EP__HAS_TTL;
        ks->keys.p[i] = n;
        ep__ks_release(ks, o, size);
        *e = o = n;
    }
    ep__store_ttl(o, ttl);
    if (ttl == 0) ks->zero_ttl = 1;
    return EP_OK;
}

/* "Create" of §5.2: an absent key gets an empty value of type (ttl -1); a key
 * of another type gives *out = NULL (the record is ignored). */
static ep_result ep__get_or_create(ep_keyspace *ks, ep_bytes key, uint8_t type, ep_ks_entry **out) {
    ep_ks_entry *e = ep__find(ks, key, NULL);
    ep_result r;
    *out = NULL;
    if (e) {
        if (ep__etype(e) == type) *out = e;
        return EP_OK;
    }
    if ((r = ep__entry_new(ks, key, type, 0, -1, &e)) != EP_OK) return r;
    if ((r = ep__attach_key(ks, e, key)) != EP_OK) {
        ep__entry_free(ks, e);
        return r;
    }
    *out = e;
    return EP_OK;
}

/* Removes the key if its collection became empty. */
static void ep__drop_if_empty(ep_keyspace *ks, ep_ks_entry *e) {
    if (ep__entry_len(e) == 0) ep__remove_key(ks, ep_bytes_of(ep__ekey(e), e->klen));
}

static int64_t ep__norm_ttl(int64_t t) {
    return t < 0 ? -1 : t;
}

/* ---- strings ---------------------------------------------------------------------- */

/* Room for need bytes in a string value, keeping its content (a value that
 * outgrows the inline space moves to the heap). */
static ep_result ep__str_reserve(ep_keyspace *ks, ep_ks_entry *e, size_t need) {
    size_t cap = ep__scap(e), ncap, bytes;
    uint8_t *p;
    if (need <= cap) return EP_OK;
    ncap = cap * 2 > need ? cap * 2 : need;
    if (!ep__add_size(EP__HCAP, ncap, &bytes)) return EP_ERR_NOMEM;
    p = (uint8_t *)ep__ks_alloc(ks, bytes);
    if (!p) return EP_ERR_NOMEM;
    memcpy(p, &ncap, sizeof ncap);
    if (e->vlen) memcpy(p + EP__HCAP, ep__sdata(e), e->vlen);
    if (e->u.heap) ep__ks_release(ks, e->u.heap, EP__HCAP + cap);
    e->u.heap = p;
    return EP_OK;
}

/* Replaces e's value (any type) with a string copy of v (v must not point
 * into e's own value). A heap buffer is kept while v fills half of it. */
static ep_result ep__entry_set_string(ep_keyspace *ks, ep_ks_entry *e, ep_bytes v) {
    size_t bytes;
    uint8_t *p;
    if (ep__etype(e) == EP_TYPE_STRING && v.len <= ep__scap(e) && (!e->u.heap || v.len * 2 >= ep__scap(e))) {
        if (v.len) memmove(ep__sdata(e), v.data, v.len);
        e->vlen = v.len;
        return EP_OK;
    }
    if (v.len <= ep__icap(e)) {
        ep__value_free(ks, e);
        if (v.len) memcpy(ep__inline_area(e), v.data, v.len);
        e->vlen = v.len;
        return EP_OK;
    }
    if (!ep__add_size(EP__HCAP, v.len, &bytes)) return EP_ERR_NOMEM;
    p = (uint8_t *)ep__ks_alloc(ks, bytes);
    if (!p) return EP_ERR_NOMEM;
    memcpy(p, &v.len, sizeof v.len);
    memcpy(p + EP__HCAP, v.data, v.len);
    ep__value_free(ks, e);
    e->u.heap = p;
    e->vlen = v.len;
    return EP_OK;
}

/* Inserts or overwrites key with a string; ttl as given. */
static ep_result ep__put_string(ep_keyspace *ks, ep_bytes key, ep_bytes v, int64_t ttl) {
    size_t i;
    ep_ks_entry *e = ep__find(ks, key, &i);
    ep_result r;
    if (!e) {
        if ((r = ep__entry_new(ks, key, EP_TYPE_STRING, v.len, ttl, &e)) != EP_OK) return r;
        if ((r = ep__entry_set_string(ks, e, v)) != EP_OK || (r = ep__attach_key(ks, e, key)) != EP_OK) {
            ep__entry_free(ks, e);
            return r;
        }
        return EP_OK;
    }
    /* the ttl first: it is the step that can fail without changing anything */
    if ((r = ep__entry_set_ttl(ks, i, &e, ttl)) != EP_OK) return r;
    return ep__entry_set_string(ks, e, v);
}


/* Decimal text of v into buf (at least 20 bytes); returns the length. */
static size_t ep__fmt_i64(int64_t v, uint8_t *buf) {
    uint8_t tmp[24];
    size_t n = 0, i = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (uint8_t)('0' + (u % 10u));
        u /= 10u;
    } while (u);
    if (v < 0) buf[i++] = '-';
    while (n) buf[i++] = tmp[--n];
    return i;
}

static int ep__checked_add(int64_t a, int64_t b, int64_t *out) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return 0;
    *out = a + b;
    return 1;
}

static int64_t ep__saturating_add(int64_t a, int64_t b) {
    int64_t r;
    if (ep__checked_add(a, b, &r)) return r;
    return b > 0 ? INT64_MAX : INT64_MIN;
}

/* INCR / DECR / INCRBY / DECRBY: create "0"; checked add; errors leave the value. */
static ep_result ep__incr(ep_keyspace *ks, ep_bytes key, int64_t delta) {
    ep_ks_entry *e = ep__find(ks, key, NULL);
    int64_t cur = 0, next;
    uint8_t buf[24];
    if (e) {
        if (ep__etype(e) != EP_TYPE_STRING) return EP_OK;
        if (!ep_parse_i64(ep__sdata(e), e->vlen, &cur)) return EP_ERR_BAD_VALUE;
        if (!ep__checked_add(cur, delta, &next)) return EP_ERR_BAD_VALUE;
        return ep__entry_set_string(ks, e, ep_bytes_of(buf, ep__fmt_i64(next, buf)));
    }
    return ep__put_string(ks, key, ep_bytes_of(buf, ep__fmt_i64(delta, buf)), -1);
}

static ep_result ep__append(ep_keyspace *ks, ep_bytes key, ep_bytes v) {
    ep_ks_entry *e;
    ep_result r = ep__get_or_create(ks, key, EP_TYPE_STRING, &e);
    size_t need;
    if (r || !e) return r;
    if (!ep__add_size(e->vlen, v.len, &need)) return EP_ERR_NOMEM;
    if ((r = ep__str_reserve(ks, e, need)) != EP_OK) return r;
    if (v.len) memcpy(ep__sdata(e) + e->vlen, v.data, v.len);
    e->vlen = need;
    return EP_OK;
}

/* The shared first half of SETRANGE and SETBIT: the string entry, grown and
 * zero-filled to at least need bytes, or NULL if the key has another type. */
static ep_result ep__string_extend(ep_keyspace *ks, ep_bytes key, uint64_t need, ep_ks_entry **out) {
    ep_ks_entry *e = ep__find(ks, key, NULL);
    ep_result r;
    *out = NULL;
    if (e && ep__etype(e) != EP_TYPE_STRING) return EP_OK;
    /* Ember would try to allocate and abort; refuse beyond the field cap. */
    if (need > (e ? e->vlen : 0) && need > EP_MAX_FIELD_LEN) return EP_ERR_LIMIT;
    if ((r = ep__get_or_create(ks, key, EP_TYPE_STRING, &e)) != EP_OK || !e) return r;
    if (need > e->vlen) {
        if ((r = ep__str_reserve(ks, e, (size_t)need)) != EP_OK) return r;
        memset(ep__sdata(e) + e->vlen, 0, (size_t)need - e->vlen);
        e->vlen = (size_t)need;
    }
    *out = e;
    return EP_OK;
}

static ep_result ep__setrange(ep_keyspace *ks, ep_bytes key, int64_t off, ep_bytes v) {
    uint64_t o = (uint64_t)off; /* a negative offset is a huge usize in ember */
    ep_ks_entry *e;
    ep_result r;
    if (o > UINT64_MAX - v.len) return EP_ERR_LIMIT;
    if ((r = ep__string_extend(ks, key, o + v.len, &e)) != EP_OK || !e) return r;
    if (v.len) memcpy(ep__sdata(e) + (size_t)o, v.data, v.len);
    return EP_OK;
}

static ep_result ep__setbit(ep_keyspace *ks, ep_bytes key, int64_t off, uint8_t bit) {
    uint64_t o = (uint64_t)off, at = o / 8u;
    uint8_t mask = (uint8_t)(0x80u >> (o % 8u));
    ep_ks_entry *e;
    ep_result r;
    uint8_t *d;
    if ((r = ep__string_extend(ks, key, at + 1u, &e)) != EP_OK || !e) return r;
    d = ep__sdata(e);
    if (bit == 1) d[at] = (uint8_t)(d[at] | mask);
    else d[at] = (uint8_t)(d[at] & (uint8_t)~mask);
    return EP_OK;
}

/* A BITOP source: the string value, or empty if missing or another type. */
static ep_bytes ep__bitop_src(const ep_keyspace *ks, ep_bytes key) {
    const ep_ks_entry *e = ep__find(ks, key, NULL);
    if (!e || ep__etype(e) != EP_TYPE_STRING) return ep_bytes_of(NULL, 0);
    return ep_bytes_of(ep__sdata_c(e), e->vlen);
}

static void ep__bitop_fold(uint8_t *res, size_t n, ep_bytes s, uint8_t op, int first) {
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t b = i < s.len ? s.data[i] : 0;
        if (first || op == EP_BITOP_NOT) res[i] = op == EP_BITOP_NOT ? (uint8_t)~b : b;
        else if (op == EP_BITOP_AND) res[i] = (uint8_t)(res[i] & b);
        else if (op == EP_BITOP_OR) res[i] = (uint8_t)(res[i] | b);
        else res[i] = (uint8_t)(res[i] ^ b);
    }
}

static ep_result ep__bitop(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_items_iter it;
    ep_item item;
    size_t n = 0;
    uint8_t *res = NULL;
    int first = 1;
    ep_result r;
    if (rec->items.count && rec->items.kind != EP_ITEMS_STR) return EP_ERR_INVALID_ARG;
    if (rec->flag > EP_BITOP_NOT) return EP_ERR_INVALID_ARG;
    ep_items_iter_init(&it, &rec->items);
    while (ep_items_next(&it, &item)) {
        ep_bytes s = ep__bitop_src(ks, item.a);
        if (s.len > n) n = s.len;
    }
    if (n) {
        res = (uint8_t *)ep_malloc(&ks->alloc, n);
        if (!res) return EP_ERR_NOMEM;
    }
    ep_items_iter_init(&it, &rec->items);
    while (n && ep_items_next(&it, &item)) {
        ep__bitop_fold(res, n, ep__bitop_src(ks, item.a), rec->flag, first);
        first = 0;
        if (rec->flag == EP_BITOP_NOT) break; /* NOT reads the first source only */
    }
    r = ep__put_string(ks, rec->key, ep_bytes_of(res, n), -1);
    ep_free(&ks->alloc, res);
    return r;
}

/* ---- lists -------------------------------------------------------------------------- */


/* Items of kind want (BYTES and STR share a layout, so either is taken). */
static int ep__kind_ok(const ep_items *it, ep_items_kind want) {
    if (it->count == 0 || it->kind == (uint8_t)want) return 1;
    if (want == EP_ITEMS_BYTES || want == EP_ITEMS_STR)
        return it->kind == EP_ITEMS_BYTES || it->kind == EP_ITEMS_STR;
    return 0;
}

/* Small lists are packed too ([u8 len][bytes] per item, head first; see
 * ep__coll_add). Pushes and pops work on the pack; the rarer LSET, LTRIM,
 * LINSERT and LREM turn it into an ep__list first. */
static ep_result ep__list_unpack(ep_keyspace *ks, ep_ks_entry *e) {
    ep__pack *p = (ep__pack *)e->u.obj;
    ep__list *l = (ep__list *)ep__ks_alloc(ks, sizeof *l);
    size_t pos = 0;
    ep_result r = EP_OK;
    if (!l) return EP_ERR_NOMEM;
    memset(l, 0, sizeof *l);
    while (r == EP_OK && pos < p->used) {
        ep_bytes a, b;
        pos = ep__pack_elem(p, pos, 0, &a, &b);
        r = ep__list_push(ks, l, a, 0);
    }
    if (r != EP_OK) {
        ep__list_free(ks, l);
        return r;
    }
    ep__pack_drop(ks, e, l);
    return EP_OK;
}

/* The ep__list of a LIST entry (unpacking it), or NULL and *r. */
static ep__list *ep__list_of(ep_keyspace *ks, ep_ks_entry *e, ep_result *r) {
    *r = EP_OK;
    if (ep__packed(e) && (*r = ep__list_unpack(ks, e)) != EP_OK) return NULL;
    return (ep__list *)e->u.obj;
}

/* LPUSH / RPUSH of one item. */
static ep_result ep__list_add(ep_keyspace *ks, ep_ks_entry *e, ep_bytes v, int front) {
    uint8_t el[1 + EP__PACK_MAX_LEN];
    ep__list *l;
    ep_result r;
    if (ep__packed(e)) {
        ep__pack *p = (ep__pack *)e->u.obj;
        if (v.len <= EP__PACK_MAX_LEN && p->n < EP__PACK_MAX_N) {
            ep_item item;
            memset(&item, 0, sizeof item);
            item.a = v;
            if ((r = ep__pack_splice(ks, e, front ? 0 : p->used, 0, el, ep__pack_put(el, EP_TYPE_LIST, &item))) !=
                EP_OK)
                return r;
            ((ep__pack *)e->u.obj)->n++;
            return EP_OK;
        }
    }
    if (!(l = ep__list_of(ks, e, &r))) return r;
    return ep__list_push(ks, l, v, front);
}

static void ep__list_remove_end(ep_keyspace *ks, ep_ks_entry *e, int front) {
    ep__pack *p = (ep__pack *)e->u.obj;
    size_t pos = 0, next;
    if (!ep__packed(e)) {
        ep__list_pop(ks, (ep__list *)e->u.obj, front);
        return;
    }
    if (!p->n) return;
    next = pos + 1u + ep__pack_data(p)[pos];
    if (!front)
        while (next < p->used) {
            pos = next;
            next = pos + 1u + ep__pack_data(p)[pos];
        }
    (void)ep__pack_splice(ks, e, pos, next - pos, NULL, 0); /* shrinking never allocates */
    ((ep__pack *)e->u.obj)->n--;
}

static ep_ks_entry *ep__list_entry(ep_keyspace *ks, ep_bytes key) {
    ep_ks_entry *e = ep__find(ks, key, NULL);
    return e && ep__etype(e) == EP_TYPE_LIST ? e : NULL;
}

static ep_result ep__push(ep_keyspace *ks, const ep_aof_record *rec, int front) {
    ep_ks_entry *e;
    ep_items_iter it;
    ep_item item;
    ep_result r;
    if (!ep__kind_ok(&rec->items, EP_ITEMS_BYTES)) return EP_ERR_INVALID_ARG;
    if ((r = ep__get_or_create(ks, rec->key, EP_TYPE_LIST, &e)) != EP_OK || !e) return r;
    if (!front && ep__pack_fill(ks, e, &rec->items, &r)) return r; /* a new list, in one go */
    ep_items_iter_init(&it, &rec->items);
    while (ep_items_next(&it, &item))
        if ((r = ep__list_add(ks, e, item.a, front)) != EP_OK) return r;
    return EP_OK;
}

static ep_result ep__pop(ep_keyspace *ks, ep_bytes key, int front) {
    ep_ks_entry *e = ep__list_entry(ks, key);
    if (!e) return EP_OK;
    ep__list_remove_end(ks, e, front);
    ep__drop_if_empty(ks, e);
    return EP_OK;
}

static ep_result ep__lset(ep_keyspace *ks, ep_bytes key, int64_t i, ep_bytes v) {
    ep_ks_entry *e = ep__list_entry(ks, key);
    ep__list *l;
    int64_t len, idx;
    ep__str s;
    ep_result r;
    if (!e) return EP_OK;
    if (!(l = ep__list_of(ks, e, &r))) return r;
    len = (int64_t)l->len;
    idx = i >= 0 ? i : len + i;
    if (idx < 0 || idx >= len) return EP_OK;
    if ((r = ep__ks_dup(ks, v.data, v.len, &s)) != EP_OK) return r;
    ep__ks_strfree(ks, &EP__LAT(l, (size_t)idx));
    EP__LAT(l, (size_t)idx) = s;
    return EP_OK;
}

/* Redis LTRIM. Where ember panics (stop < -len) the list is emptied. */
static ep_result ep__ltrim(ep_keyspace *ks, ep_bytes key, int64_t s, int64_t e) {
    ep_ks_entry *ent = ep__find(ks, key, NULL);
    ep__list *l;
    int64_t len, s2, e2;
    size_t front, back;
    ep_result r;
    if (!ent || ep__etype(ent) != EP_TYPE_LIST) return EP_OK;
    if (!(l = ep__list_of(ks, ent, &r))) return r;
    len = (int64_t)l->len;
    s2 = s < 0 ? EP__MAX(s + len, 0) : EP__MIN(s, len);
    e2 = e < 0 ? e + len : EP__MIN(e, len - 1);
    if (e2 < 0 || s2 > e2 || s2 >= len) {
        front = l->len;
        back = 0;
    } else {
        front = (size_t)s2;
        back = (size_t)(len - 1 - e2);
    }
    while (front--) ep__list_pop(ks, l, 1);
    while (back--) ep__list_pop(ks, l, 0);
    ep__drop_if_empty(ks, ent);
    return EP_OK;
}

static ep_result ep__linsert(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e = ep__list_entry(ks, rec->key);
    ep__list *l;
    size_t i;
    ep_result r;
    if (!e) return EP_OK;
    if (!(l = ep__list_of(ks, e, &r))) return r;
    for (i = 0; i < l->len; i++) {
        ep__str *s = &EP__LAT(l, i);
        if (ep__str_eq(s, rec->pivot.data, rec->pivot.len))
            return ep__list_insert(ks, l, rec->flag ? i : i + 1, rec->value);
    }
    return EP_OK;
}

/* LREM: count > 0 from the head, < 0 from the tail, 0 all. */
static ep_result ep__lrem(ep_keyspace *ks, ep_bytes key, int64_t count, ep_bytes v) {
    ep_ks_entry *ent = ep__find(ks, key, NULL);
    ep__list *l;
    uint64_t limit, removed = 0;
    size_t r, w;
    ep_result res;
    if (!ent || ep__etype(ent) != EP_TYPE_LIST) return EP_OK;
    if (!(l = ep__list_of(ks, ent, &res))) return res;
    limit = count == 0 ? UINT64_MAX : (count > 0 ? (uint64_t)count : (uint64_t)(-(count + 1)) + 1u);
    if (count >= 0) {
        for (r = w = 0; r < l->len; r++) {
            ep__str s = EP__LAT(l, r);
            if (removed < limit && ep__str_eq(&s, v.data, v.len)) {
                ep__ks_strfree(ks, &s);
                removed++;
            } else {
                EP__LAT(l, w++) = s;
            }
        }
        l->len = w;
    } else {
        size_t kept = 0;
        for (r = w = l->len; r-- > 0;) {
            ep__str s = EP__LAT(l, r);
            if (removed < limit && ep__str_eq(&s, v.data, v.len)) {
                ep__ks_strfree(ks, &s);
                removed++;
            } else {
                EP__LAT(l, --w) = s;
                kept++;
            }
        }
        l->head = (l->head + w) & (l->cap ? l->cap - 1 : 0);
        l->len = kept;
    }
    ep__drop_if_empty(ks, ent);
    return EP_OK;
}

/* ---- zset, hash, set, vector records ----------------------------------------------- */

static ep_result ep__zadd(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e;
    ep_items_iter it;
    ep_item item;
    ep_result r;
    if (!ep__kind_ok(&rec->items, EP_ITEMS_SCORE_MEMBER)) return EP_ERR_INVALID_ARG;
    if ((r = ep__get_or_create(ks, rec->key, EP_TYPE_ZSET, &e)) != EP_OK || !e) return r;
    if (ep__pack_fill(ks, e, &rec->items, &r)) return r; /* a new sorted set, in one go */
    ep_items_iter_init(&it, &rec->items);
    while (ep_items_next(&it, &item))
        if ((r = ep__zadd_one(ks, e, item.score, item.a)) != EP_OK) return r;
    return EP_OK;
}

/* ZREM / HDEL / SREM: remove members, then the key if it became empty. */
static ep_result ep__remove_members(ep_keyspace *ks, const ep_aof_record *rec, uint8_t type) {
    ep_ks_entry *e = ep__find(ks, rec->key, NULL);
    ep_items_iter it;
    ep_item item;
    if (!ep__kind_ok(&rec->items, EP_ITEMS_STR)) return EP_ERR_INVALID_ARG;
    if (!e || ep__etype(e) != type) return EP_OK;
    ep_items_iter_init(&it, &rec->items);
    while (ep_items_next(&it, &item)) {
        if (type == EP_TYPE_ZSET) ep__zrem_one(ks, e, item.a);
        else ep__coll_rem(ks, e, item.a);
    }
    ep__drop_if_empty(ks, e);
    return EP_OK;
}

static ep_result ep__hset(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e;
    ep_items_iter it;
    ep_item item;
    ep_result r;
    if (!ep__kind_ok(&rec->items, EP_ITEMS_FIELD_VALUE)) return EP_ERR_INVALID_ARG;
    if ((r = ep__get_or_create(ks, rec->key, EP_TYPE_HASH, &e)) != EP_OK || !e) return r;
    if (ep__pack_fill(ks, e, &rec->items, &r)) return r; /* a new hash, in one go */
    ep_items_iter_init(&it, &rec->items);
    while (ep_items_next(&it, &item))
        if ((r = ep__coll_add(ks, e, item.a, item.b)) != EP_OK) return r;
    return EP_OK;
}

/* HINCRBY: a missing or non-integer field counts as 0; saturating add. */
static ep_result ep__hincrby(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e;
    ep_bytes v;
    int64_t cur = 0;
    uint8_t buf[24];
    ep_result r;
    if ((r = ep__get_or_create(ks, rec->key, EP_TYPE_HASH, &e)) != EP_OK || !e) return r;
    if (ep__hash_get(ks, e, rec->key2, &v) && !ep_parse_i64(v.data, v.len, &cur)) cur = 0;
    cur = ep__saturating_add(cur, rec->num);
    return ep__coll_add(ks, e, rec->key2, ep_bytes_of(buf, ep__fmt_i64(cur, buf)));
}

static ep_result ep__sadd(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e;
    ep_items_iter it;
    ep_item item;
    ep_result r;
    if (!ep__kind_ok(&rec->items, EP_ITEMS_STR)) return EP_ERR_INVALID_ARG;
    if ((r = ep__get_or_create(ks, rec->key, EP_TYPE_SET, &e)) != EP_OK || !e) return r;
    if (ep__pack_fill(ks, e, &rec->items, &r)) return r; /* a new set, in one go */
    ep_items_iter_init(&it, &rec->items);
    while (ep_items_next(&it, &item))
        if ((r = ep__coll_add(ks, e, item.a, item.b)) != EP_OK) return r;
    return EP_OK;
}

static ep_result ep__vadd(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e = ep__find(ks, rec->key, NULL);
    ep_result r;
    if (rec->vector.len != (size_t)rec->dim * 4u) return EP_ERR_INVALID_ARG;
    if (e && ep__etype(e) != EP_TYPE_VECTOR) return EP_OK;
    if (!e) { /* the creating record's config is kept; later ones are ignored */
        ep__vset *vs;
        if ((r = ep__entry_new(ks, rec->key, EP_TYPE_VECTOR, 0, -1, &e)) != EP_OK) return r;
        vs = (ep__vset *)e->u.obj;
        vs->metric = rec->flag;
        vs->quantization = rec->flag2;
        vs->connectivity = rec->connectivity;
        vs->expansion_add = rec->expansion_add;
        if ((r = ep__attach_key(ks, e, rec->key)) != EP_OK) {
            ep__entry_free(ks, e);
            return r;
        }
    }
    return ep__vset_add(ks, (ep__vset *)e->u.obj, rec->key2, rec->vector);
}

static ep_result ep__vrem(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e = ep__find(ks, rec->key, NULL);
    if (!e || ep__etype(e) != EP_TYPE_VECTOR) return EP_OK;
    ep__vset_rem(ks, (ep__vset *)e->u.obj, rec->key2);
    ep__drop_if_empty(ks, e);
    return EP_OK;
}

/* ---- proto ------------------------------------------------------------------------------ */

/* PROTO: the type name and data in one block of their own. */
static ep_result ep__proto_fill(ep_keyspace *ks, ep_ks_entry *e, ep_bytes type_name, ep_bytes data) {
    size_t bytes;
    ep__proto *p;
    if (!ep__add_size(sizeof *p + type_name.len, data.len, &bytes)) return EP_ERR_NOMEM;
    p = (ep__proto *)ep__ks_alloc(ks, bytes);
    if (!p) return EP_ERR_NOMEM;
    p->tlen = type_name.len;
    p->dlen = data.len;
    if (type_name.len) memcpy(p + 1, type_name.data, type_name.len);
    if (data.len) memcpy((uint8_t *)(void *)(p + 1) + type_name.len, data.data, data.len);
    e->u.obj = p;
    e->vlen = data.len;
    return EP_OK;
}

static ep_result ep__proto_set(ep_keyspace *ks, const ep_aof_record *rec) {
    ep_ks_entry *e;
    ep_result r;
    if ((r = ep__entry_new(ks, rec->key, EP_TYPE_PROTO, 0, ep__norm_ttl(rec->num), &e)) != EP_OK) return r;
    if ((r = ep__proto_fill(ks, e, rec->key2, rec->value)) != EP_OK || (r = ep__attach_key(ks, e, rec->key)) != EP_OK) {
        ep__entry_free(ks, e);
        return r;
    }
    return EP_OK;
}

static ep_result ep__schema_put(ep_keyspace *ks, ep_bytes name, ep_bytes desc) {
    size_t i;
    ep__str d, n;
    for (i = 0; i < ks->nschemas; i++) {
        if (ep__str_eq(&ks->schemas[i].name, name.data, name.len)) {
            if (ep__ks_dup(ks, desc.data, desc.len, &d) != EP_OK) return EP_ERR_NOMEM;
            ep__ks_strfree(ks, &ks->schemas[i].desc);
            ks->schemas[i].desc = d;
            return EP_OK;
        }
    }
    if (ks->nschemas == ks->schemas_cap) {
        size_t cap = ks->schemas_cap ? ks->schemas_cap * 2 : 4, bytes;
        ep__schema *a;
        if (!ep__mul_size(cap, sizeof(ep__schema), &bytes)) return EP_ERR_NOMEM;
        a = (ep__schema *)ep__ks_alloc(ks, bytes);
        if (!a) return EP_ERR_NOMEM;
        if (ks->nschemas) memcpy(a, ks->schemas, ks->nschemas * sizeof(ep__schema));
        ep__ks_release(ks, ks->schemas, ks->schemas_cap * sizeof(ep__schema));
        ks->schemas = a;
        ks->schemas_cap = cap;
    }
    if (ep__ks_dup(ks, name.data, name.len, &n) != EP_OK) return EP_ERR_NOMEM;
    if (ep__ks_dup(ks, desc.data, desc.len, &d) != EP_OK) {
        ep__ks_strfree(ks, &n);
        return EP_ERR_NOMEM;
    }
    ks->schemas[ks->nschemas].name = n;
    ks->schemas[ks->nschemas].desc = d;
    ks->nschemas++;
    return EP_OK;
}

/* ---- key records ------------------------------------------------------------------------- */

/* Deep copy of src's value into dst (a fresh entry whose type equals src's). */
static ep_result ep__value_clone(ep_keyspace *ks, ep_ks_entry *dst, const ep_ks_entry *src) {
    ep_ks_value_iter it;
    ep_item item;
    ep_result r = EP_OK;
    if (ep__etype(src) == EP_TYPE_STRING) return ep__entry_set_string(ks, dst, ep_bytes_of(ep__sdata_c(src), src->vlen));
    if (ep__etype(src) == EP_TYPE_PROTO) {
        const ep__proto *p = (const ep__proto *)src->u.obj;
        return ep__proto_fill(ks, dst, ep_bytes_of(ep__proto_name(p), p->tlen),
                              ep_bytes_of(ep__proto_name(p) + p->tlen, p->dlen));
    }
    if (ep__etype(src) == EP_TYPE_VECTOR) {
        const ep__vset *s = (const ep__vset *)src->u.obj;
        ep__vset *d = (ep__vset *)dst->u.obj;
        d->metric = s->metric;
        d->quantization = s->quantization;
        d->connectivity = s->connectivity;
        d->expansion_add = s->expansion_add;
    }
    if (ep__packed(src)) { /* one block, copied */
        const ep__pack *p = (const ep__pack *)src->u.obj;
        ep__pack *q = ep__pack_new(ks, p->used, p->n);
        if (!q) return EP_ERR_NOMEM;
        if (p->used) memcpy(q + 1, p + 1, p->used);
        ep__pack_install(ks, dst, q);
        return EP_OK;
    }
    ep_ks_value_iter_init(&it, src);
    while (r == EP_OK && ep_ks_value_next(&it, &item)) {
        switch (ep__etype(src)) {
        case EP_TYPE_LIST: r = ep__list_add(ks, dst, item.a, 0); break;
        case EP_TYPE_ZSET: r = ep__zadd_one(ks, dst, item.score, item.a); break;
        case EP_TYPE_HASH:
        case EP_TYPE_SET: r = ep__coll_add(ks, dst, item.a, item.b); break;
        case EP_TYPE_VECTOR: r = ep__vset_add(ks, (ep__vset *)dst->u.obj, item.a, item.b); break;
        default: break;
        }
    }
    return r;
}

static ep_result ep__copy(ep_keyspace *ks, const ep_aof_record *rec) {
    const ep_ks_entry *src = ep__find(ks, rec->key, NULL);
    ep_ks_entry *e;
    ep_result r;
    if (!src) return EP_OK;
    if (ep__bytes_cmp(ep__ekey(src), src->klen, rec->key2.data, rec->key2.len) == 0)
        return EP_OK; /* a copy onto itself changes nothing */
    if (!rec->flag && ep__find(ks, rec->key2, NULL)) return EP_OK;
    if ((r = ep__entry_new(ks, rec->key2, ep__etype(src), ep__etype(src) == EP_TYPE_STRING ? src->vlen : 0,
                           ep__ttl(src), &e)) != EP_OK)
        return r;
    if ((r = ep__value_clone(ks, e, src)) != EP_OK || (r = ep__attach(ks, e)) != EP_OK) {
        ep__entry_free(ks, e);
        return r;
    }
    return EP_OK;
}

/* RENAME: the value and ttl move under the new key, replacing it. The entry
 * is re-made (the key lives in its block); an inline value moves with it. */
static ep_result ep__rename(ep_keyspace *ks, const ep_aof_record *rec) {
    size_t i, icap, size;
    ep_ks_entry *old = ep__find(ks, rec->key, &i), *e;
    int inl;
    ep_result r;
    if (!old || ep__bytes_cmp(ep__ekey(old), old->klen, rec->key2.data, rec->key2.len) == 0) return EP_OK;
    if (rec->key2.len > UINT32_MAX) return EP_ERR_LIMIT;
    inl = ep__etype(old) == EP_TYPE_STRING && !old->u.heap;
    icap = inl ? old->vlen : 0;
    if (!ep__add_size(sizeof(ep_ks_entry) + icap + (ep__has_ttl(old) ? 8u : 0u), rec->key2.len, &size))
        return EP_ERR_NOMEM;
    e = (ep_ks_entry *)ep__ks_alloc(ks, size);
    if (!e) return EP_ERR_NOMEM;
    *e = *old;
    e->klen = (uint32_t)rec->key2.len;
    e->meta = ((uint32_t)icap << 9) | (old->meta & (EP__HAS_TTL | 0xFFu));
    if (rec->key2.len) memcpy(e + 1, rec->key2.data, rec->key2.len);
    if (icap) memcpy(ep__inline_area(e), ep__inline_area(old), icap);
    if (ep__has_ttl(e)) ep__store_ttl(e, ep__ttl(old));
    ep__map_del(&ks->keys, i);
    ep__ks_release(ks, old, ep__entry_size(old));
    r = ep__attach(ks, e); /* cannot need to grow: one slot was just freed */
    if (r != EP_OK) ep__entry_free(ks, e);
    return r;
}

static ep_result ep__set_ttl(ep_keyspace *ks, ep_bytes key, int64_t ttl) {
    size_t i;
    ep_ks_entry *e = ep__find(ks, key, &i);
    return e ? ep__entry_set_ttl(ks, i, &e, ep__norm_ttl(ttl)) : EP_OK;
}

static int64_t ep__expire_ms(int64_t secs) {
    if (secs > INT64_MAX / 1000) return INT64_MAX;
    if (secs < 0) return -1; /* the decoder rejects these; a hand-built record means "none" */
    return secs * 1000;
}

static int64_t ep__pexpireat_ttl(int64_t ts, int64_t now) {
    if (ts <= now) return 0;
    if (now < 0 && ts > INT64_MAX + now) return INT64_MAX;
    return ts - now;
}

/* ---- public --------------------------------------------------------------------------------- */

EP_API void ep_keyspace_config_init(ep_keyspace_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 0x5eed0f5eed0f5eedull;
    cfg->slab_size = 256u * 1024u - 64u; /* a malloc header still fits in 64 pages */
}

EP_API ep_result ep_keyspace_create(const ep_keyspace_config *cfg, ep_keyspace **out) {
    ep_keyspace_config def;
    const ep_allocator *a;
    ep_keyspace *ks;
    if (!out) return EP_ERR_INVALID_ARG;
    *out = NULL;
    if (!cfg) {
        ep_keyspace_config_init(&def);
        cfg = &def;
    }
    a = cfg->alloc ? cfg->alloc : ep_allocator_default();
    ks = (ep_keyspace *)ep_malloc(a, sizeof *ks);
    if (!ks) return EP_ERR_NOMEM;
    memset(ks, 0, sizeof *ks);
    ks->alloc = *a;
    ks->seed = cfg->seed;
    if (cfg->slab_size) { /* at least a few blocks of the largest class per slab */
        ks->slab_max = cfg->slab_size < 4 * EP__ARENA_MAX ? 4 * EP__ARENA_MAX : cfg->slab_size;
        ks->arena.first_slab = ks->slab_max < EP__SLAB_FIRST ? ks->slab_max : EP__SLAB_FIRST;
        ks->arena.next_slab = ks->arena.first_slab;
    }
    ks->rng = ep__fmix64(cfg->seed ^ 0x2545f4914f6cdd1dull) | 1u; /* xorshift state must not be 0 */
    *out = ks;
    return EP_OK;
}

EP_API void ep_keyspace_clear(ep_keyspace *ks) {
    size_t i;
    if (!ks) return;
    for (i = 0; i < ks->keys.cap; i++)
        if (ks->keys.p[i]) ep__entry_free(ks, (ep_ks_entry *)ks->keys.p[i]);
    ep__map_free(ks, &ks->keys);
    for (i = 0; i < ks->nschemas; i++) {
        ep__ks_strfree(ks, &ks->schemas[i].name);
        ep__ks_strfree(ks, &ks->schemas[i].desc);
    }
    ep__ks_release(ks, ks->schemas, ks->schemas_cap * sizeof(ep__schema));
    ks->schemas = NULL;
    ks->nschemas = ks->schemas_cap = 0;
    ep__arena_release_all(ks);
}

EP_API void ep_keyspace_free(ep_keyspace *ks) {
    ep_allocator a;
    if (!ks) return;
    ep_keyspace_clear(ks);
    a = ks->alloc;
    ep_free(&a, ks);
}

static ep_result ep__apply_list(ep_keyspace *ks, const ep_aof_record *rec) {
    switch (rec->tag) {
    case EP_AOF_LPUSH: return ep__push(ks, rec, 1);
    case EP_AOF_RPUSH: return ep__push(ks, rec, 0);
    case EP_AOF_LPOP: return ep__pop(ks, rec->key, 1);
    case EP_AOF_RPOP: return ep__pop(ks, rec->key, 0);
    case EP_AOF_LSET: return ep__lset(ks, rec->key, rec->num, rec->value);
    case EP_AOF_LTRIM: return ep__ltrim(ks, rec->key, rec->num, rec->num2);
    case EP_AOF_LINSERT: return ep__linsert(ks, rec);
    case EP_AOF_LREM: return ep__lrem(ks, rec->key, rec->num, rec->value);
    default: return EP_ERR_INVALID_ARG;
    }
}

static ep_result ep__apply_string(ep_keyspace *ks, const ep_aof_record *rec) {
    switch (rec->tag) {
    case EP_AOF_SET: return ep__put_string(ks, rec->key, rec->value, ep__norm_ttl(rec->num));
    case EP_AOF_INCR: return ep__incr(ks, rec->key, 1);
    case EP_AOF_DECR: return ep__incr(ks, rec->key, -1);
    case EP_AOF_INCRBY: return ep__incr(ks, rec->key, rec->num);
    /* saturating_neg: DECRBY i64::MIN adds i64::MAX */
    case EP_AOF_DECRBY: return ep__incr(ks, rec->key, rec->num == INT64_MIN ? INT64_MAX : -rec->num);
    case EP_AOF_APPEND: return ep__append(ks, rec->key, rec->value);
    case EP_AOF_SETRANGE: return ep__setrange(ks, rec->key, rec->num, rec->value);
    case EP_AOF_SETBIT: return ep__setbit(ks, rec->key, rec->num, rec->flag);
    case EP_AOF_BITOP: return ep__bitop(ks, rec);
    default: return EP_ERR_INVALID_ARG;
    }
}

EP_API ep_result ep_keyspace_apply(ep_keyspace *ks, const ep_aof_record *rec, int64_t now_unix_ms) {
    if (!ks || !rec) return EP_ERR_INVALID_ARG;
    switch (rec->tag) {
    case EP_AOF_DEL: ep__remove_key(ks, rec->key); return EP_OK;
    case EP_AOF_EXPIRE: return ep__set_ttl(ks, rec->key, ep__expire_ms(rec->num));
    case EP_AOF_PEXPIRE: return ep__set_ttl(ks, rec->key, rec->num);
    case EP_AOF_PEXPIREAT: return ep__set_ttl(ks, rec->key, ep__pexpireat_ttl(rec->num, now_unix_ms));
    case EP_AOF_PERSIST: return ep__set_ttl(ks, rec->key, -1);
    case EP_AOF_RENAME: return ep__rename(ks, rec);
    case EP_AOF_COPY: return ep__copy(ks, rec);
    case EP_AOF_ZADD: return ep__zadd(ks, rec);
    case EP_AOF_ZREM: return ep__remove_members(ks, rec, EP_TYPE_ZSET);
    case EP_AOF_HSET: return ep__hset(ks, rec);
    case EP_AOF_HDEL: return ep__remove_members(ks, rec, EP_TYPE_HASH);
    case EP_AOF_HINCRBY: return ep__hincrby(ks, rec);
    case EP_AOF_SADD: return ep__sadd(ks, rec);
    case EP_AOF_SREM: return ep__remove_members(ks, rec, EP_TYPE_SET);
    case EP_AOF_VADD: return ep__vadd(ks, rec);
    case EP_AOF_VREM: return ep__vrem(ks, rec);
    case EP_AOF_PROTO_SET: return ep__proto_set(ks, rec);
    case EP_AOF_PROTO_REGISTER: return ep__schema_put(ks, rec->key, rec->value);
    case EP_AOF_LPUSH: case EP_AOF_RPUSH: case EP_AOF_LPOP: case EP_AOF_RPOP:
    case EP_AOF_LSET: case EP_AOF_LTRIM: case EP_AOF_LINSERT: case EP_AOF_LREM:
        return ep__apply_list(ks, rec);
    default: return ep__apply_string(ks, rec);
    }
}

/* The record's key was hashed by the caller's pipeline: every lookup of
 * rec->key during this apply uses key_hash (see hint_key). */
EP_API ep_result ep_keyspace_apply_hashed(ep_keyspace *ks, const ep_aof_record *rec, int64_t now_unix_ms,
                                          uint64_t key_hash) {
    ep_result r;
    if (!ks || !rec) return EP_ERR_INVALID_ARG;
    ks->hint_key = rec->key.data;
    ks->hint_len = rec->key.len;
    ks->hint_hash = key_hash;
    r = ep_keyspace_apply(ks, rec, now_unix_ms);
    ks->hint_key = NULL;
    return r;
}

/* Turns a packed collection into its general form (nothing changes on failure). */
static ep_result ep__to_big(ep_keyspace *ks, ep_ks_entry *e) {
    if (!ep__packed(e)) return EP_OK;
    switch (ep__etype(e)) {
    case EP_TYPE_LIST: return ep__list_unpack(ks, e);
    case EP_TYPE_ZSET: return ep__zunpack(ks, e);
    default: return ep__unpack(ks, e);
    }
}

/* Fills a fresh entry from a snapshot entry's elements. */
static ep_result ep__load_items(ep_keyspace *ks, ep_ks_entry *e, const ep_snap_entry *se) {
    static const uint8_t kinds[7] = {0, EP_ITEMS_BYTES, EP_ITEMS_SCORE_MEMBER, EP_ITEMS_FIELD_VALUE,
                                     EP_ITEMS_STR, 0, EP_ITEMS_NAME_VECTOR};
    ep_items_iter it;
    ep_item item;
    ep_result r = EP_OK;
    if (!ep__kind_ok(&se->items, (ep_items_kind)kinds[se->type])) return EP_ERR_INVALID_ARG;
    if (ep__pack_fill(ks, e, &se->items, &r)) return r;
    /* too many elements even if some are duplicates: the general form at once */
    if (se->items.count > EP__PACK_MAX_N && (r = ep__to_big(ks, e)) != EP_OK) return r;
    ep_items_iter_init(&it, &se->items);
    while (r == EP_OK && ep_items_next(&it, &item)) {
        switch (se->type) {
        case EP_TYPE_LIST: r = ep__list_add(ks, e, item.a, 0); break;
        case EP_TYPE_ZSET: r = ep__zadd_one(ks, e, item.score, item.a); break;
        case EP_TYPE_HASH:
        case EP_TYPE_SET: r = ep__coll_add(ks, e, item.a, item.b); break;
        default: r = ep__vset_add(ks, (ep__vset *)e->u.obj, item.a, item.b); break;
        }
    }
    return r;
}

static ep_result ep__load_entry_h(ep_keyspace *ks, const ep_snap_entry *se, uint64_t h) {
    ep_ks_entry *e;
    ep_result r;
    if (!ks || !se || se->type > EP_TYPE_MAX) return EP_ERR_INVALID_ARG;
    /* Start fetching the key's slot now; building the entry hides the miss. */
    if (ks->keys.cap) {
        EP__PREFETCH(&ks->keys.tag[(size_t)h & (ks->keys.cap - 1)]);
        EP__PREFETCH(&ks->keys.p[(size_t)h & (ks->keys.cap - 1)]);
    }
    if ((r = ep__entry_new(ks, se->key, se->type, se->type == EP_TYPE_STRING ? se->value.len : 0,
                           ep__norm_ttl(se->expire_ms), &e)) != EP_OK)
        return r;
    if (se->type == EP_TYPE_STRING) {
        r = ep__entry_set_string(ks, e, se->value);
    } else if (se->type == EP_TYPE_PROTO) {
        r = ep__proto_fill(ks, e, se->type_name, se->value);
    } else {
        if (se->type == EP_TYPE_VECTOR) {
            ep__vset *vs = (ep__vset *)e->u.obj;
            vs->metric = se->metric;
            vs->quantization = se->quantization;
            vs->connectivity = se->connectivity;
            vs->expansion_add = se->expansion_add;
        }
        r = ep__load_items(ks, e, se);
    }
    if (r == EP_OK) r = ep__attach_h(ks, e, h);
    if (r != EP_OK) ep__entry_free(ks, e);
    return r;
}

EP_API ep_result ep_keyspace_load_entry(ep_keyspace *ks, const ep_snap_entry *se) {
    if (!ks || !se) return EP_ERR_INVALID_ARG;
    return ep__load_entry_h(ks, se, ep__hash(ks->seed, se->key.data, se->key.len));
}

EP_API ep_result ep_keyspace_load_entry_hashed(ep_keyspace *ks, const ep_snap_entry *se, uint64_t key_hash) {
    return ep__load_entry_h(ks, se, key_hash);
}

EP_API size_t ep_keyspace_drop_expired(ep_keyspace *ks) {
    size_t i = 0, n = 0;
    if (!ks || !ks->zero_ttl) return 0;
    ks->zero_ttl = 0;
    /* Backward shift may pull a later entry into slot i: look at i again. */
    while (i < ks->keys.cap) {
        const ep_ks_entry *e = (const ep_ks_entry *)ks->keys.p[i];
        if (e && ep__ttl(e) == 0) {
            ep__remove_slot(ks, i);
            n++;
            continue;
        }
        i++;
    }
    return n;
}

EP_API void ep_keyspace_age_ttls(ep_keyspace *ks, int64_t elapsed_ms) {
    size_t i;
    if (!ks || elapsed_ms <= 0) return;
    for (i = 0; i < ks->keys.cap; i++) {
        ep_ks_entry *e = (ep_ks_entry *)ks->keys.p[i];
        int64_t t;
        if (!e || !ep__has_ttl(e) || (t = ep__ttl(e)) <= 0) continue;
        t = t > elapsed_ms ? t - elapsed_ms : 0;
        ep__store_ttl(e, t);
        if (t == 0) ks->zero_ttl = 1;
    }
}

EP_API ep_result ep_keyspace_reserve(ep_keyspace *ks, size_t n) {
    size_t cap = 8;
    if (!ks) return EP_ERR_INVALID_ARG;
    if (n > ((size_t)-1) / 8) return EP_ERR_NOMEM;
    while (cap * 3 < n * 4) cap *= 2;
    if (cap <= ks->keys.cap) return EP_OK;
    return ep__map_resize(ks, &ks->keys, cap);
}

EP_API uint64_t ep_keyspace_key_hash(const ep_keyspace *ks, const void *key, size_t len) {
    if (!ks || (!key && len)) return 0;
    return ep__hash(ks->seed, (const uint8_t *)key, len);
}

EP_API void ep_keyspace_prefetch(ep_keyspace *ks, const void *key, size_t len, int step) {
    if (!ks || !ks->keys.cap || (!key && len)) return;
    ep_keyspace_prefetch_hashed(ks, ep__hash(ks->seed, (const uint8_t *)key, len), step);
}

EP_API void ep_keyspace_prefetch_hashed(ep_keyspace *ks, uint64_t h, int step) {
    size_t i, mask, n;
    if (!ks || !ks->keys.cap) return;
    /* A prefetch has no side effect to a compiler, which then drops calls
     * to this whole function as useless; counting them keeps them. */
    ks->prefetches++;
    mask = ks->keys.cap - 1;
    i = (size_t)h & mask;
    if (step == 0) {
        EP__PREFETCH(&ks->keys.tag[i]);
        EP__PREFETCH(&ks->keys.p[i]);
        return;
    }
    /* The slot is (nearly) in cache now: fetch the entry a hit compares,
     * two lines of it: entries sit at any 8-byte offset, and one with an
     * inline value (88 bytes for a 12-byte key and a 48-byte value) always
     * spans two; a SET overwrites the value, a collection record reads the
     * object pointer at the start. */
    for (n = 0; n < 4 && ks->keys.p[i]; n++, i = (i + 1) & mask) {
        if (ks->keys.tag[i] == (uint32_t)h) {
            EP__PREFETCH(ks->keys.p[i]);
            EP__PREFETCH((const uint8_t *)ks->keys.p[i] + 64);
            return;
        }
    }
}

EP_API size_t ep_keyspace_count(const ep_keyspace *ks) {
    return ks ? ks->keys.count : 0;
}

EP_API size_t ep_keyspace_memory(const ep_keyspace *ks) {
    return ks ? ks->mem + sizeof *ks : 0;
}

EP_API const ep_ks_entry *ep_keyspace_get(const ep_keyspace *ks, const void *key, size_t len) {
    if (!ks || (!key && len)) return NULL;
    return ep__find(ks, ep_bytes_of(key, len), NULL);
}

EP_API void ep_keyspace_iter_init(ep_keyspace_iter *it) {
    it->slot = 0;
}

EP_API const ep_ks_entry *ep_keyspace_next(const ep_keyspace *ks, ep_keyspace_iter *it) {
    while (ks && it->slot < ks->keys.cap) {
        const ep_ks_entry *e = (const ep_ks_entry *)ks->keys.p[it->slot++];
        if (e) return e;
    }
    return NULL;
}

/* Bits 0-31 of v in reverse order. */
static uint64_t ep__rev32(uint64_t v) {
    uint32_t x = (uint32_t)v;
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    x = ((x >> 8) & 0x00FF00FFu) | ((x & 0x00FF00FFu) << 8);
    return (uint64_t)((x >> 16) | (x << 16));
}

/* The cursor names a home slot (low bits) and advances in reverse-bit
 * order, Redis's SCAN cursor: when the table doubles, the slots not yet
 * visited are exactly the ones that split from slots not yet visited. A
 * key is found through its home slot, never its position (probing and
 * backward-shift deletion move keys; their home stays), by walking the
 * probe run from the home slot to the first empty one. */
EP_API uint64_t ep_keyspace_scan(const ep_keyspace *ks, uint64_t cursor, size_t count,
                                 void (*fn)(void *user, const ep_ks_entry *e), void *user) {
    const ep__map *m = &ks->keys;
    size_t mask, found = 0, visited = 0, budget = count < SIZE_MAX / 10u ? (count ? count : 1) * 10u : SIZE_MAX;
    uint64_t v = cursor & 0xFFFFFFFFu;
    if (!m->cap || !m->count || !fn) return 0;
    mask = m->cap - 1;
    do {
        size_t home = (size_t)v & mask, i = home, walked = 0;
        while (m->p[i] && walked++ < m->cap) {
            if (((size_t)m->tag[i] & mask) == home) {
                fn(user, (const ep_ks_entry *)m->p[i]);
                found++;
            }
            i = (i + 1) & mask;
        }
        v |= ~(uint64_t)mask & 0xFFFFFFFFu; /* count only the bits of the table's size */
        v = ep__rev32((ep__rev32(v) + 1u) & 0xFFFFFFFFu);
        visited++;
    } while (v != 0 && found < count && visited < budget);
    return v;
}

static int ep__entry_key_cmp(const void *a, const void *b) {
    const ep_ks_entry *x = *(const ep_ks_entry *const *)a;
    const ep_ks_entry *y = *(const ep_ks_entry *const *)b;
    return ep__bytes_cmp(ep__ekey(x), x->klen, ep__ekey(y), y->klen);
}

EP_API ep_result ep_keyspace_sorted(const ep_keyspace *ks, const ep_ks_entry ***out, size_t *count) {
    const ep_ks_entry **list;
    const ep_ks_entry *e;
    ep_keyspace_iter it;
    size_t n = 0, bytes;
    if (!ks || !out || !count) return EP_ERR_INVALID_ARG;
    *out = NULL;
    *count = 0;
    if (!ep__mul_size(ks->keys.count ? ks->keys.count : 1, sizeof *list, &bytes)) return EP_ERR_NOMEM;
    list = (const ep_ks_entry **)ep_malloc(&ks->alloc, bytes);
    if (!list) return EP_ERR_NOMEM;
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(ks, &it)) != NULL) list[n++] = e;
    if (n > 1) qsort((void *)list, n, sizeof *list, ep__entry_key_cmp);
    *out = list;
    *count = n;
    return EP_OK;
}

EP_API void ep_keyspace_sorted_free(const ep_keyspace *ks, const ep_ks_entry **list) {
    if (ks && list) ep_free(&ks->alloc, (void *)list);
}

EP_API ep_bytes ep_ks_entry_key(const ep_ks_entry *e) {
    return ep_bytes_of(ep__ekey(e), e->klen);
}

EP_API uint8_t ep_ks_entry_type(const ep_ks_entry *e) {
    return ep__etype(e);
}

EP_API int64_t ep_ks_entry_ttl(const ep_ks_entry *e) {
    return ep__ttl(e);
}

EP_API size_t ep_ks_entry_len(const ep_ks_entry *e) {
    return ep__entry_len(e);
}

EP_API ep_bytes ep_ks_entry_value(const ep_ks_entry *e) {
    const ep__proto *p;
    if (ep__etype(e) == EP_TYPE_STRING) return ep_bytes_of(ep__sdata_c(e), e->vlen);
    if (ep__etype(e) != EP_TYPE_PROTO) return ep_bytes_of(NULL, 0);
    p = (const ep__proto *)e->u.obj;
    return ep_bytes_of(ep__proto_name(p) + p->tlen, p->dlen);
}

EP_API ep_bytes ep_ks_entry_type_name(const ep_ks_entry *e) {
    const ep__proto *p;
    if (ep__etype(e) != EP_TYPE_PROTO) return ep_bytes_of(NULL, 0);
    p = (const ep__proto *)e->u.obj;
    return ep_bytes_of(ep__proto_name(p), p->tlen);
}

EP_API int ep_ks_entry_vector_config(const ep_ks_entry *e, uint8_t *metric, uint8_t *quantization,
                                     uint32_t *connectivity, uint32_t *expansion_add, uint32_t *dim) {
    const ep__vset *vs;
    if (ep__etype(e) != EP_TYPE_VECTOR) return 0;
    vs = (const ep__vset *)e->u.obj;
    if (metric) *metric = vs->metric;
    if (quantization) *quantization = vs->quantization;
    if (connectivity) *connectivity = vs->connectivity;
    if (expansion_add) *expansion_add = vs->expansion_add;
    if (dim) *dim = vs->first ? (uint32_t)(vs->first->vec.len / 4u) : 0;
    return 1;
}

EP_API void ep_ks_value_iter_init(ep_ks_value_iter *it, const ep_ks_entry *e) {
    it->e = e;
    it->pos = 0;
    it->node = NULL;
    it->left = SIZE_MAX;
    it->reverse = 0;
    if (!e) return;
    if (ep__etype(e) == EP_TYPE_ZSET && !ep__packed(e)) it->node = ep__zfwd(((const ep__zset *)e->u.obj)->head)[0];
    if (ep__etype(e) == EP_TYPE_VECTOR) it->node = ((const ep__vset *)e->u.obj)->first;
}

/* The next occupied slot of a HASH/SET map at or after it->pos. */
static const void *ep__iter_slot(ep_ks_value_iter *it) {
    const ep__map *m = (const ep__map *)it->e->u.obj;
    while (it->pos < m->cap) {
        const void *p = m->p[it->pos++];
        if (p) return p;
    }
    return NULL;
}

static int ep__value_next(ep_ks_value_iter *it, ep_item *out) {
    const ep_ks_entry *e = it->e;
    switch (ep__etype(e)) {
    case EP_TYPE_LIST: {
        const ep__list *l = (const ep__list *)e->u.obj;
        const ep__str *s;
        if (ep__packed(e)) {
            const ep__pack *p = (const ep__pack *)e->u.obj;
            if (it->pos >= p->used) return 0;
            it->pos = ep__pack_elem(p, it->pos, 0, &out->a, &out->b);
            return 1;
        }
        if (it->pos >= l->len) return 0;
        s = &EP__LAT(l, it->pos);
        it->pos++;
        out->a = ep_bytes_of(s->data, s->len);
        return 1;
    }
    case EP_TYPE_ZSET: {
        const ep__znode *z = (const ep__znode *)it->node;
        if (ep__packed(e)) { /* reverse: pos is where the next one ends */
            const ep__pack *p = (const ep__pack *)e->u.obj;
            if (!it->reverse) {
                if (it->pos >= p->used) return 0;
                it->pos = ep__zpack_at(p, it->pos, &out->score, &out->a);
                return 1;
            }
            if (it->pos == 0) return 0;
            it->pos = ep__zpack_before(p, it->pos);
            (void)ep__zpack_at(p, it->pos, &out->score, &out->a);
            return 1;
        }
        if (!z) return 0;
        out->score = z->score;
        out->a = ep_bytes_of(z->member.data, z->member.len);
        it->node = it->reverse ? (const void *)z->back : (const void *)ep__zfwd(z)[0];
        return 1;
    }
    case EP_TYPE_HASH:
    case EP_TYPE_SET:
        if (ep__packed(e)) {
            const ep__pack *p = (const ep__pack *)e->u.obj;
            if (it->pos >= p->used) return 0;
            it->pos = ep__pack_elem(p, it->pos, ep__etype(e) == EP_TYPE_HASH, &out->a, &out->b);
            return 1;
        }
        if (ep__etype(e) == EP_TYPE_SET) {
            const ep__str *s = (const ep__str *)ep__iter_slot(it);
            if (!s) return 0;
            out->a = ep_bytes_of(s->data, s->len);
        } else {
            const ep__hnode *n = (const ep__hnode *)ep__iter_slot(it);
            if (!n) return 0;
            out->a = ep_bytes_of(n->field.data, n->field.len);
            out->b = ep_bytes_of(n->value.data, n->value.len);
        }
        return 1;
    case EP_TYPE_VECTOR: {
        const ep__vnode *n = (const ep__vnode *)it->node;
        if (!n) return 0;
        out->a = ep_bytes_of(n->name.data, n->name.len);
        out->b = ep_bytes_of(n->vec.data, n->vec.len);
        it->node = n->next;
        return 1;
    }
    default: return 0;
    }
}

EP_API int ep_ks_value_next(ep_ks_value_iter *it, ep_item *out) {
    memset(out, 0, sizeof *out);
    if (!it->e || !it->left || !ep__value_next(it, out)) return 0;
    if (it->left != SIZE_MAX) it->left--;
    return 1;
}

/* ---- point and range reads ---------------------------------------------------------------- */

static ep_result ep__typed(const ep_ks_entry *e, uint8_t type) {
    if (!e) return EP_ERR_NOT_FOUND;
    return ep__etype(e) == type ? EP_OK : EP_ERR_WRONG_TYPE;
}

EP_API ep_result ep_ks_hash_get(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes field, ep_bytes *value) {
    ep_bytes v;
    ep_result r;
    if (!ks || !value) return EP_ERR_INVALID_ARG;
    if ((r = ep__typed(e, EP_TYPE_HASH)) != EP_OK) return r;
    if (!ep__hash_get(ks, e, field, &v)) return EP_ERR_NOT_FOUND;
    *value = v;
    return EP_OK;
}

EP_API ep_result ep_ks_set_contains(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes member) {
    size_t end;
    ep_bytes unused;
    ep_result r;
    if (!ks) return EP_ERR_INVALID_ARG;
    if ((r = ep__typed(e, EP_TYPE_SET)) != EP_OK) return r;
    if (ep__packed(e)) {
        if (ep__pack_find((const ep__pack *)e->u.obj, 0, member, &end, &unused) == EP__NOSLOT) return EP_ERR_NOT_FOUND;
        return EP_OK;
    }
    if (ep__map_find((const ep__map *)e->u.obj, ep__hash(ks->seed, member.data, member.len), member.data,
                     member.len) == EP__NOSLOT)
        return EP_ERR_NOT_FOUND;
    return EP_OK;
}

EP_API ep_result ep_ks_zset_score(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes member, double *score) {
    const ep__zset *zs;
    size_t i;
    ep_result r;
    if (!ks || !score) return EP_ERR_INVALID_ARG;
    if ((r = ep__typed(e, EP_TYPE_ZSET)) != EP_OK) return r;
    if (ep__packed(e)) {
        double s;
        if (ep__zpack_find((const ep__pack *)e->u.obj, member, &i, &s) == EP__NOSLOT) return EP_ERR_NOT_FOUND;
        *score = s;
        return EP_OK;
    }
    zs = (const ep__zset *)e->u.obj;
    i = ep__map_find(&zs->map, ep__hash(ks->seed, member.data, member.len), member.data, member.len);
    if (i == EP__NOSLOT) return EP_ERR_NOT_FOUND;
    *score = ((const ep__znode *)zs->map.p[i])->score;
    return EP_OK;
}

EP_API ep_result ep_ks_zset_rank(const ep_keyspace *ks, const ep_ks_entry *e, ep_bytes member, int reverse,
                                 size_t *rank) {
    const ep__zset *zs;
    size_t i, r;
    ep_result res;
    if (!ks || !rank) return EP_ERR_INVALID_ARG;
    if ((res = ep__typed(e, EP_TYPE_ZSET)) != EP_OK) return res;
    if (ep__packed(e)) {
        const ep__pack *p = (const ep__pack *)e->u.obj;
        double s;
        if (ep__zpack_find(p, member, &i, &s) == EP__NOSLOT) return EP_ERR_NOT_FOUND;
        *rank = reverse ? p->n - 1u - i : i;
        return EP_OK;
    }
    zs = (const ep__zset *)e->u.obj;
    i = ep__map_find(&zs->map, ep__hash(ks->seed, member.data, member.len), member.data, member.len);
    if (i == EP__NOSLOT) return EP_ERR_NOT_FOUND;
    r = ep__zrank_of(zs, (const ep__znode *)zs->map.p[i]);
    *rank = reverse ? zs->map.count - r : r - 1u;
    return EP_OK;
}

/* A Redis index (negative from the end) into len elements; 0 if outside. */
static int ep__index(int64_t index, size_t len, size_t *out) {
    uint64_t n = (uint64_t)len;
    if (index < 0) {
        uint64_t back = (uint64_t)(-(index + 1)) + 1u; /* no overflow at INT64_MIN */
        if (back > n) return 0;
        *out = (size_t)(n - back);
        return 1;
    }
    if ((uint64_t)index >= n) return 0;
    *out = (size_t)index;
    return 1;
}

/* Byte offset of element i of a packed list (i < n). */
static size_t ep__pack_list_pos(const ep__pack *p, size_t i) {
    size_t pos = 0;
    while (i--) pos += 1u + ep__pack_data(p)[pos];
    return pos;
}

EP_API ep_result ep_ks_list_index(const ep_ks_entry *e, int64_t index, ep_bytes *item) {
    size_t i;
    ep_result r;
    if (!item) return EP_ERR_INVALID_ARG;
    if ((r = ep__typed(e, EP_TYPE_LIST)) != EP_OK) return r;
    if (!ep__index(index, ep__entry_len(e), &i)) return EP_ERR_NOT_FOUND;
    if (ep__packed(e)) {
        const ep__pack *p = (const ep__pack *)e->u.obj;
        size_t pos = ep__pack_list_pos(p, i);
        *item = ep_bytes_of(ep__pack_data(p) + pos + 1, ep__pack_data(p)[pos]);
    } else {
        const ep__list *l = (const ep__list *)e->u.obj;
        const ep__str *s = &EP__LAT(l, i);
        *item = ep_bytes_of(s->data, s->len);
    }
    return EP_OK;
}

/* Redis's clamping of an inclusive start..stop over len elements: the first
 * position and how many; 0 for an empty range. */
static size_t ep__range(int64_t start, int64_t stop, size_t len, size_t *first) {
    int64_t n = (int64_t)len; /* a collection never holds 2^63 elements */
    if (start < 0) start = start < -n ? 0 : start + n;
    if (stop < 0) stop = stop < -n ? -1 : stop + n;
    if (stop >= n) stop = n - 1;
    *first = 0;
    if (start >= n || start > stop) return 0;
    *first = (size_t)start;
    return (size_t)(stop - start) + 1u;
}

EP_API ep_result ep_ks_value_iter_range(ep_ks_value_iter *it, const ep_ks_entry *e, int64_t start, int64_t stop,
                                        int reverse, size_t *count) {
    size_t first, n;
    if (!it || !count) return EP_ERR_INVALID_ARG;
    *count = 0;
    ep_ks_value_iter_init(it, e);
    it->left = 0;
    if (!e) return EP_OK;
    if (ep__etype(e) != EP_TYPE_LIST && ep__etype(e) != EP_TYPE_ZSET) return EP_ERR_WRONG_TYPE;
    if (reverse && ep__etype(e) != EP_TYPE_ZSET) return EP_ERR_INVALID_ARG;
    n = ep__range(start, stop, ep__entry_len(e), &first);
    if (n == 0) return EP_OK;
    if (ep__etype(e) == EP_TYPE_LIST) {
        it->pos = ep__packed(e) ? ep__pack_list_pos((const ep__pack *)e->u.obj, first) : first;
    } else if (ep__packed(e)) { /* forward: start of rank first; reverse: end of it */
        const ep__pack *p = (const ep__pack *)e->u.obj;
        size_t k, pos = reverse ? p->used : 0;
        double s;
        ep_bytes m;
        for (k = 0; k < first; k++) pos = reverse ? ep__zpack_before(p, pos) : ep__zpack_at(p, pos, &s, &m);
        it->pos = pos;
        it->reverse = reverse != 0;
    } else {
        const ep__zset *zs = (const ep__zset *)e->u.obj;
        size_t len = ep__entry_len(e);
        it->node = ep__zby_rank(zs, reverse ? len - first : first + 1u);
        it->reverse = reverse != 0;
    }
    it->left = n;
    *count = n;
    return EP_OK;
}

/* Encodes e's elements as an items run at the end of scratch. A vector set
 * keeps only elements of the first element's dim (a snapshot has one dim;
 * ember's restore also drops the others). */
static void ep__encode_items(const ep_ks_entry *e, ep_buf *b, ep_snap_entry *out) {
    static const uint8_t kinds[7] = {0, EP_ITEMS_BYTES, EP_ITEMS_SCORE_MEMBER, EP_ITEMS_FIELD_VALUE,
                                     EP_ITEMS_STR, 0, EP_ITEMS_NAME_VECTOR};
    ep_ks_value_iter it;
    ep_item item;
    size_t start = b->len;
    uint32_t n = 0;
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) {
        if (ep__etype(e) == EP_TYPE_VECTOR && item.b.len != (size_t)out->dim * 4u) continue;
        if (ep__etype(e) == EP_TYPE_ZSET) ep_buf_f64(b, item.score);
        ep_buf_lenbytes(b, item.a.data, item.a.len);
        if (ep__etype(e) == EP_TYPE_HASH) ep_buf_lenbytes(b, item.b.data, item.b.len);
        if (ep__etype(e) == EP_TYPE_VECTOR) ep_buf_put(b, item.b.data, item.b.len);
        n++;
    }
    out->items.count = n;
    out->items.kind = kinds[ep__etype(e)];
    out->items.dim = out->dim;
    /* b->data stays NULL while nothing was written (an empty collection) */
    out->items.raw = ep_bytes_of(b->err || !b->data ? NULL : b->data + start, b->len - start);
}

EP_API ep_result ep_ks_entry_to_snap(const ep_ks_entry *e, ep_buf *scratch, ep_snap_entry *out) {
    if (!e || !scratch || !out) return EP_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->key = ep_bytes_of(ep__ekey(e), e->klen);
    out->type = ep__etype(e);
    out->expire_ms = ep__ttl(e);
    if (ep__etype(e) == EP_TYPE_STRING || ep__etype(e) == EP_TYPE_PROTO) {
        out->value = ep_ks_entry_value(e);
        out->type_name = ep_ks_entry_type_name(e);
        return EP_OK;
    }
    ep_ks_entry_vector_config(e, &out->metric, &out->quantization, &out->connectivity, &out->expansion_add,
                              &out->dim);
    ep__encode_items(e, scratch, out);
    return scratch->err ? scratch->err : EP_OK;
}

EP_API size_t ep_keyspace_schema_count(const ep_keyspace *ks) {
    return ks ? ks->nschemas : 0;
}

EP_API int ep_keyspace_schema_at(const ep_keyspace *ks, size_t i, ep_bytes *name, ep_bytes *descriptor) {
    if (!ks || i >= ks->nschemas) return 0;
    if (name) *name = ep_bytes_of(ks->schemas[i].name.data, ks->schemas[i].name.len);
    if (descriptor) *descriptor = ep_bytes_of(ks->schemas[i].desc.data, ks->schemas[i].desc.len);
    return 1;
}

#endif /* EP_NO_KEYSPACE */
