/* Memory a small device can plan (issue 8 item 2): the store opens,
 * appends, snapshots, rewrites and recovers inside one fixed heap given
 * through the allocator callbacks (a static arena that fails beyond its
 * size), with the buffer knobs set small; a heap too small for open fails
 * cleanly. And the peak allocation of each store call, measured and
 * printed (the figures store.h documents). */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>

/* ---- a fixed arena: first fit over [size|free] headers, neighbours merged on free ---- */

#define ARENA_BYTES (256u << 10)
#define AHDR 16u

static unsigned char arena_mem[ARENA_BYTES] __attribute__((aligned(16)));

typedef struct arena {
    size_t limit; /* bytes of arena_mem in use as the heap */
    size_t live, peak;
    long fails;
} arena;

static size_t blk_size(size_t off) {
    size_t s;
    memcpy(&s, arena_mem + off, sizeof s);
    return s & ~(size_t)1;
}
static int blk_free(size_t off) {
    size_t s;
    memcpy(&s, arena_mem + off, sizeof s);
    return (int)(s & 1u);
}
static void blk_set(size_t off, size_t size, int is_free) {
    size_t s = size | (is_free ? 1u : 0u);
    memcpy(arena_mem + off, &s, sizeof s);
}

static void arena_init(arena *a, size_t limit) {
    a->limit = limit & ~(size_t)15;
    a->live = a->peak = 0;
    a->fails = 0;
    blk_set(0, a->limit, 1);
}

static void *arena_malloc(size_t n, void *u) {
    arena *a = (arena *)u;
    size_t need = ((n + 15) & ~(size_t)15) + AHDR, off = 0;
    while (off < a->limit) {
        size_t s = blk_size(off);
        if (blk_free(off)) { /* merge the free blocks that follow */
            while (off + s < a->limit && blk_free(off + s)) s += blk_size(off + s);
            blk_set(off, s, 1);
            if (s >= need) {
                if (s - need >= 2 * AHDR) {
                    blk_set(off + need, s - need, 1);
                    s = need;
                }
                blk_set(off, s, 0);
                a->live += s;
                if (a->live > a->peak) a->peak = a->live;
                return arena_mem + off + AHDR;
            }
        }
        off += s;
    }
    a->fails++;
    return NULL;
}

static void arena_free(void *p, void *u) {
    arena *a = (arena *)u;
    size_t off;
    if (!p) return;
    off = (size_t)((unsigned char *)p - arena_mem) - AHDR;
    a->live -= blk_size(off);
    blk_set(off, blk_size(off), 1);
}

static void *arena_realloc(void *p, size_t n, void *u) {
    size_t off, have;
    void *q;
    if (!p) return arena_malloc(n, u);
    off = (size_t)((unsigned char *)p - arena_mem) - AHDR;
    have = blk_size(off) - AHDR;
    if (n <= have) return p;
    if (!(q = arena_malloc(n, u))) return NULL;
    memcpy(q, p, have);
    arena_free(p, u);
    return q;
}

static ep_allocator arena_alloc(arena *a) {
    ep_allocator al;
    al.user = a;
    al.malloc_fn = arena_malloc;
    al.realloc_fn = arena_realloc;
    al.free_fn = arena_free;
    return al;
}

static void small_config(ep_store_config *c, const ep_allocator *al) {
    ep_store_config_init(c);
    c->alloc = al;
    c->create_dir = 1;
    c->fsync = EP_FSYNC_EVERYSEC;
    c->aof_buffer_size = 4096;
    c->read_buffer_size = 4096;
    c->snapshot_buffer_size = 4096;
}

/* The workload: n records of a few kinds, snapshot half way, rewrite at the end. */
static ep_result workload(ep_store *st, int n) {
    ep_result r = EP_OK;
    int i;
    for (i = 0; i < n && r == EP_OK; i++) {
        char k[32], v[32];
        ep_bytes vb;
        snprintf(k, sizeof k, "key:%d", i % 200);
        snprintf(v, sizeof v, "value-%d", i);
        vb = ep_bytes_str(v);
        switch (i % 4) {
        case 0: r = ep_store_set(st, ep_bytes_str(k), vb, -1, 0); break;
        case 1: r = ep_store_incr(st, EP_LIT("counter"), NULL); break;
        case 2: r = ep_store_rpush(st, EP_LIT("log"), &vb, 1, NULL); break;
        default: r = ep_store_hset(st, EP_LIT("h"), &vb, &vb, 1, NULL); break;
        }
        if (r == EP_OK && i == n / 2) r = ep_store_snapshot(st);
    }
    if (r == EP_OK) r = ep_store_rewrite(st);
    if (r == EP_OK) r = ep_store_sync(st);
    return r;
}

EPT_CASE(open_append_snapshot_recover_in_a_fixed_heap) {
    static arena a;
    ep_allocator al = arena_alloc(&a);
    ep_store_config c;
    ep_store *st = NULL;
    ep_bytes v;
    size_t len = 0;
    const char *dir = ept_tmpdir();
    char path[512];
    int n = (int)ept_scale(2000, 4);
    snprintf(path, sizeof path, "%s/s", dir);
    arena_init(&a, ARENA_BYTES);
    small_config(&c, &al);
    EPT_CHECK_OK(ep_store_open(path, 0, &c, &st));
    EPT_CHECK_OK(workload(st, n));
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_EQ(a.live, 0);
    EPT_CHECK_EQ(a.fails, 0);
    /* recover inside the same heap */
    EPT_CHECK_OK(ep_store_open(path, 0, &c, &st));
    EPT_CHECK_OK(ep_store_get(st, EP_LIT("counter"), &v));
    {
        int64_t cnt = 0;
        EPT_CHECK(ep_parse_i64(v.data, v.len, &cnt));
        EPT_CHECK_EQ(cnt, (n + 2) / 4);
    }
    EPT_CHECK_OK(ep_store_llen(st, EP_LIT("log"), &len));
    EPT_CHECK_EQ(len, (size_t)(n + 1) / 4);
    EPT_CHECK_OK(ep_store_close(st));
    EPT_CHECK_EQ(a.live, 0);
    EPT_CHECK_EQ(a.fails, 0);
    printf("    %d records, snapshot, rewrite, recover: peak %lu bytes of a %u-byte heap\n", n,
           (unsigned long)a.peak, ARENA_BYTES);
}

/* Heaps too small for the store: open (or a later call) fails with
 * EP_ERR_NOMEM and gives back every byte; a heap that fits gives a store
 * whose data survives. */
EPT_CASE(a_heap_too_small_fails_cleanly) {
    static arena a;
    ep_allocator al = arena_alloc(&a);
    const char *dir = ept_tmpdir();
    size_t limit;
    int ok_seen = 0;
    for (limit = 4096; limit <= ARENA_BYTES && !ept_failed(); limit = limit * 3 / 2) {
        ep_store_config c;
        ep_store *st = NULL;
        char path[512];
        ep_result r;
        snprintf(path, sizeof path, "%s/s%lu", dir, (unsigned long)limit);
        arena_init(&a, limit);
        small_config(&c, &al);
        r = ep_store_open(path, 0, &c, &st);
        if (r == EP_OK) {
            r = workload(st, 200);
            EPT_CHECK(r == EP_OK || r == EP_ERR_NOMEM || r == EP_ERR_POISONED);
            (void)ep_store_close(st);
            if (r == EP_OK) ok_seen = 1;
        } else {
            EPT_CHECK_EQ(r, EP_ERR_NOMEM);
            EPT_CHECK(st == NULL);
        }
        EPT_CHECK_EQ(a.live, 0);
    }
    EPT_CHECK(ok_seen);
}

/* ---- peak per call ---- */

typedef struct tracker {
    size_t live, peak;
} tracker;

/* A size header in front of each block, so free knows what it gives back. */
static void *tr_malloc(size_t n, void *u) {
    tracker *t = (tracker *)u;
    size_t *p = (size_t *)malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    t->live += n;
    if (t->live > t->peak) t->peak = t->live;
    return (unsigned char *)p + 16;
}
static void tr_free(void *q, void *u) {
    tracker *t = (tracker *)u;
    size_t *p;
    if (!q) return;
    p = (size_t *)(void *)((unsigned char *)q - 16);
    t->live -= p[0];
    free(p);
}
static void *tr_realloc(void *q, size_t n, void *u) {
    tracker *t = (tracker *)u;
    size_t *p, old;
    if (!q) return tr_malloc(n, u);
    p = (size_t *)(void *)((unsigned char *)q - 16);
    old = p[0];
    p = (size_t *)realloc(p, n + 16);
    if (!p) return NULL;
    p[0] = n;
    t->live = t->live - old + n;
    if (t->live > t->peak) t->peak = t->live;
    return (unsigned char *)p + 16;
}

/* Peak bytes above what was live before the call, and what stays after it. */
#define MEASURE(label, call)                                                                     \
    do {                                                                                         \
        size_t before = t.live;                                                                  \
        t.peak = t.live;                                                                         \
        EPT_CHECK_OK(call);                                                                      \
        printf("    %-34s peak +%7lu  kept %+8ld\n", label, (unsigned long)(t.peak - before),   \
               (long)t.live - (long)before);                                                     \
    } while (0)

EPT_CASE(peak_allocation_per_call) {
    tracker t = {0, 0};
    ep_allocator al;
    ep_store_config c;
    ep_store *st = NULL;
    const char *dir = ept_tmpdir();
    char path[512];
    ep_bytes v = EP_LIT("a value of some thirty bytes..");
    ep_bytes many[64];
    int i;
    for (i = 0; i < 64; i++) many[i] = v;
    al.user = &t;
    al.malloc_fn = tr_malloc;
    al.realloc_fn = tr_realloc;
    al.free_fn = tr_free;
    snprintf(path, sizeof path, "%s/p", dir);
    small_config(&c, &al);
    MEASURE("open (empty directory)", ep_store_open(path, 0, &c, &st));
    MEASURE("set (first key)", ep_store_set(st, EP_LIT("k"), v, -1, 0));
    MEASURE("set (overwrite)", ep_store_set(st, EP_LIT("k"), v, -1, 0));
    MEASURE("rpush 64 values", ep_store_rpush(st, EP_LIT("l"), many, 64, NULL));
    MEASURE("hset 1 field", ep_store_hset(st, EP_LIT("h"), &v, &v, 1, NULL));
    MEASURE("get", ep_store_get(st, EP_LIT("k"), &v));
    for (i = 0; i < 1000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        EPT_CHECK_OK(ep_store_set(st, ep_bytes_str(k), v, -1, 0));
    }
    MEASURE("snapshot (1003 keys)", ep_store_snapshot(st));
    MEASURE("rewrite (1003 keys)", ep_store_rewrite(st));
    MEASURE("sync", ep_store_sync(st));
    MEASURE("close", ep_store_close(st));
    EPT_CHECK_EQ(t.live, 0);
    MEASURE("open (recover 1003 keys)", ep_store_open(path, 0, &c, &st));
    MEASURE("close", ep_store_close(st));
    EPT_CHECK_EQ(t.live, 0);
}

EPT_MAIN()
