/* stream: the file-layer core on its own (src/file/stream.h), with no
 * record format above it. Every fsync policy under a fake clock, the
 * cut-back of a failed write at every operation (fault_vfs), poisoning,
 * records larger than the buffer, the reader's growth cap and its
 * allocation on small files, the views hook firing before bytes move, the
 * observers, and the tmp + rename publish under power loss at every
 * operation (sim_vfs).
 *
 * The core is private (ep__*), so this file compiles its own static copy of
 * the implementation, as tests/support/slow_decode.c does. */
#define EMBER_PERSIST_IMPLEMENTATION
#define EMBER_PERSIST_STATIC
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/sim_vfs.h"
#include "support/counting.h"

#include <stdlib.h>

static uint64_t g_now;
static uint64_t fake_clock(void *user) {
    (void)user;
    return g_now;
}

/* A mem vfs with a fault wrapper over it; the stream works on *fv. */
typedef struct rig {
    ep_vfs *mem, *fv;
    ep_file *f;
    ep_error err;
    ep__wstream s;
} rig;

static int rig_open(rig *g, size_t buffer, ep_fsync_policy policy) {
    memset(g, 0, sizeof *g);
    if (ep_vfs_mem_create(NULL, &g->mem) || fault_vfs_create(g->mem, &g->fv)) return 0;
    if (g->fv->open(g->fv, "f", EP_OPEN_READ | EP_OPEN_WRITE | EP_OPEN_CREATE, &g->f, NULL)) return 0;
    ep__ws_init(&g->s, g->fv, g->f, NULL, 0, &g->err);
    g_now = 0;
    return ep__ws_config(&g->s, buffer, policy, fake_clock, NULL) == EP_OK;
}

static void rig_close(rig *g) {
    ep__ws_free(&g->s);
    if (g->f) g->fv->close(g->fv, g->f, NULL);
    fault_vfs_destroy(g->fv);
    ep_vfs_mem_free(g->mem);
}

/* The whole file as the inner vfs has it (malloc'd; *n its length). */
static uint8_t *file_bytes(ep_vfs *v, const char *path, size_t *n) {
    uint8_t *d = NULL;
    if (ep_vfs_read_all(v, path, NULL, 1u << 24, &d, n, NULL) != EP_OK) return NULL;
    return d;
}

/* Record i: its length byte, then i's bytes; lengths 5..44, some beyond a
 * 32-byte buffer. */
static size_t rec_len(unsigned i) { return 5u + (i * 7u) % 40u; }
static void rec_fill(uint8_t *p, unsigned i) {
    size_t n = rec_len(i), k;
    p[0] = (uint8_t)n;
    for (k = 1; k < n; k++) p[k] = (uint8_t)(i * 31u + k);
}

/* One call of one record (in place, or put straight when big). */
static ep_result call_one(ep__wstream *s, unsigned i) {
    uint8_t tmp[64];
    ep_result r;
    ep__ws_mark(s);
    if (i % 2) {
        uint8_t *p = ep__ws_reserve(s, rec_len(i));
        if (!p) return ep__ws_rewind(s, EP_ERR_NOMEM);
        rec_fill(p, i);
        ep__ws_advance(s, rec_len(i), 1);
    } else {
        rec_fill(tmp, i);
        if ((r = ep__ws_put(s, tmp, rec_len(i), 1)) != EP_OK) return ep__ws_rewind(s, r);
    }
    return ep__ws_end_call(s);
}

/* One call of three records, bounded after each. */
static ep_result call_three(ep__wstream *s, unsigned i) {
    unsigned k;
    ep_result r;
    ep__ws_mark(s);
    for (k = 0; k < 3; k++) {
        uint8_t tmp[64];
        rec_fill(tmp, i + k);
        if ((r = ep__ws_put(s, tmp, rec_len(i + k), 1)) != EP_OK) return ep__ws_rewind(s, r);
        if ((r = ep__ws_bound(s)) != EP_OK) return ep__ws_rewind(s, r);
    }
    return ep__ws_end_call(s);
}

/* ---- the fsync policies ------------------------------------------------- */

static ep_result call_bytes(ep__wstream *s, size_t n) {
    uint8_t b[16];
    memset(b, 0xab, sizeof b);
    ep__ws_mark(s);
    if (ep__ws_put(s, b, n, 1) != EP_OK) return ep__ws_rewind(s, EP_ERR_NOMEM);
    return ep__ws_end_call(s);
}

EPT_CASE(policy_always_syncs_each_call_and_a_batch_once) {
    rig g;
    int i;
    EPT_CHECK(rig_open(&g, 64, EP_FSYNC_ALWAYS));
    for (i = 0; i < 5; i++) EPT_CHECK_OK(call_bytes(&g.s, 10));
    EPT_CHECK_EQ(g.s.syncs, 5);
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 5);
    EPT_CHECK_EQ(g.s.synced, 50);
    EPT_CHECK_EQ(g.s.records, 5);
    EPT_CHECK_OK(ep__ws_batch_begin(&g.s));
    EPT_CHECK_EQ(ep__ws_batch_begin(&g.s), EP_ERR_STATE);
    for (i = 0; i < 3; i++) EPT_CHECK_OK(call_bytes(&g.s, 10));
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 5);
    EPT_CHECK_OK(ep__ws_batch_end(&g.s));
    EPT_CHECK_EQ(ep__ws_batch_end(&g.s), EP_ERR_STATE);
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 6);
    EPT_CHECK_EQ(g.s.synced, 80);
    rig_close(&g);
}

EPT_CASE(policy_everysec_follows_the_clock_and_tick) {
    rig g;
    EPT_CHECK(rig_open(&g, 64, EP_FSYNC_EVERYSEC));
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    g_now = 999;
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 0);
    EPT_CHECK_EQ(g.s.flushed, 0); /* all still buffered */
    g_now = 1000;
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 1);
    EPT_CHECK_EQ(g.s.synced, 30);
    g_now = 1500;
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    g_now = 1999;
    EPT_CHECK_OK(ep__ws_tick(&g.s));
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 1);
    g_now = 2000;
    EPT_CHECK_OK(ep__ws_tick(&g.s)); /* idle: the tick syncs the record of 1500 */
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 2);
    EPT_CHECK_EQ(g.s.synced, 40);
    g_now = 9000;
    EPT_CHECK_OK(ep__ws_tick(&g.s)); /* nothing unsynced: no sync */
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 2);
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    g_now = 100; /* the clock went back: sync rather than wait forever */
    EPT_CHECK_OK(ep__ws_tick(&g.s));
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 3);
    rig_close(&g);
}

EPT_CASE(policy_no_flushes_when_full_and_never_syncs) {
    rig g;
    int i;
    EPT_CHECK(rig_open(&g, 64, EP_FSYNC_NO));
    for (i = 0; i < 6; i++) EPT_CHECK_OK(call_bytes(&g.s, 10));
    EPT_CHECK_EQ(g.s.flushed, 0);
    EPT_CHECK_OK(call_bytes(&g.s, 10)); /* 70 >= 64 */
    EPT_CHECK_EQ(g.s.flushed, 70);
    EPT_CHECK_EQ(ep__ws_size(&g.s), 70);
    g_now = 100000;
    EPT_CHECK_OK(ep__ws_tick(&g.s));
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 0);
    EPT_CHECK_EQ(g.s.synced, 0);
    EPT_CHECK_OK(ep__ws_sync(&g.s)); /* only when asked */
    EPT_CHECK_EQ(g.s.synced, 80);
    EPT_CHECK_EQ(g.s.syncs, 1);
    rig_close(&g);
}

/* ---- cut-back and poisoning --------------------------------------------- */

typedef struct expect {
    uint8_t *b;
    size_t len, cap;
} expect;

static void expect_add(expect *e, unsigned i, unsigned n) {
    unsigned k;
    for (k = 0; k < n; k++) {
        size_t m = rec_len(i + k);
        if (e->len + m > e->cap) {
            e->cap = (e->len + m) * 2;
            e->b = (uint8_t *)realloc(e->b, e->cap);
        }
        rec_fill(e->b + e->len, i + k);
        e->len += m;
    }
}

/* Calls of one and three records; *want gets the bytes of those that
 * returned EP_OK. Returns the final flush's result. */
static ep_result workload(ep__wstream *s, expect *want, int *poisoned) {
    unsigned i;
    ep_result r;
    for (i = 0; i < 24; i++) {
        int three = i % 5 == 4;
        r = three ? call_three(s, i * 3) : call_one(s, i * 3);
        if (r == EP_OK) expect_add(want, i * 3, three ? 3 : 1);
        else if (r == EP_ERR_POISONED || s->poisoned) break;
    }
    r = ep__ws_flush(s);
    *poisoned = s->poisoned;
    return r;
}

EPT_CASE(failed_write_is_cut_back_at_every_operation) {
    static const size_t partial[] = {0, FAULT_PARTIAL_HALF};
    rig g;
    expect want;
    uint64_t ops, nth;
    int sticky, pi, poisoned;
    long runs = 0, cut = 0, dead = 0;
    memset(&want, 0, sizeof want);
    EPT_CHECK(rig_open(&g, 32, EP_FSYNC_NO));
    fault_vfs_reset_count(g.fv);
    EPT_CHECK_OK(workload(&g.s, &want, &poisoned));
    ops = fault_vfs_count(g.fv, FAULT_ALL);
    rig_close(&g);
    EPT_CHECK(ops > 10);
    for (sticky = 0; sticky < 2; sticky++)
        for (pi = 0; pi < 2; pi++)
            for (nth = 1; nth <= ops; nth++) {
                ep_result last;
                uint8_t *d;
                size_t n = 0;
                want.len = 0;
                EPT_CHECK(rig_open(&g, 32, EP_FSYNC_NO));
                fault_vfs_set_sticky(g.fv, sticky);
                fault_vfs_set_partial(g.fv, partial[pi]);
                fault_vfs_arm(g.fv, FAULT_ALL, nth, EP_ERR_IO);
                last = workload(&g.s, &want, &poisoned);
                fault_vfs_disarm(g.fv);
                runs++;
                d = file_bytes(g.mem, "f", &n);
                EPT_CHECK(d || n == 0);
                if (poisoned) {
                    /* dead for good: nothing more is written */
                    dead++;
                    EPT_CHECK_EQ(call_one(&g.s, 1), EP_ERR_POISONED);
                    EPT_CHECK_EQ(ep__ws_flush(&g.s), EP_ERR_POISONED);
                    EPT_CHECK_EQ(ep__ws_sync(&g.s), EP_ERR_POISONED);
                } else {
                    /* every acknowledged record, whole, in order, nothing else */
                    if (last != EP_OK) EPT_CHECK_OK(ep__ws_flush(&g.s)); /* buffered ones go out later */
                    free(d);
                    d = file_bytes(g.mem, "f", &n);
                    EPT_CHECK_EQ(n, want.len);
                    EPT_CHECK(n == 0 || memcmp(d, want.b, n) == 0);
                    EPT_CHECK_EQ(g.s.flushed, n);
                    cut++;
                }
                free(d);
                rig_close(&g);
            }
    printf("    %ld fault runs over %lu operations: %ld cut back and went on, %ld poisoned\n", runs,
           (unsigned long)ops, cut, dead);
    free(want.b);
}

EPT_CASE(failed_sync_poisons_and_is_never_retried) {
    rig g;
    uint64_t writes;
    EPT_CHECK(rig_open(&g, 64, EP_FSYNC_ALWAYS));
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    fault_vfs_arm(g.fv, FAULT_SYNC, 1, EP_ERR_IO);
    EPT_CHECK_EQ(call_bytes(&g.s, 10), EP_ERR_IO);
    fault_vfs_disarm(g.fv);
    EPT_CHECK(g.s.poisoned);
    EPT_CHECK_EQ(g.err.code, EP_ERR_IO); /* the first failure stays */
    writes = fault_vfs_count(g.fv, FAULT_WRITE);
    EPT_CHECK_EQ(call_bytes(&g.s, 10), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep__ws_sync(&g.s), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep__ws_flush(&g.s), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep__ws_tick(&g.s), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep__ws_batch_begin(&g.s), EP_ERR_POISONED);
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_SYNC), 2); /* the good one and the failed one */
    EPT_CHECK_EQ(fault_vfs_count(g.fv, FAULT_WRITE), writes);
    EPT_CHECK_EQ(g.s.synced, 10);
    EPT_CHECK_EQ(g.err.code, EP_ERR_IO);
    rig_close(&g);
    /* a write that fails and cannot be cut back poisons too */
    EPT_CHECK(rig_open(&g, 64, EP_FSYNC_NO));
    EPT_CHECK_OK(call_bytes(&g.s, 10));
    fault_vfs_arm(g.fv, FAULT_WRITE | FAULT_TRUNCATE, 1, EP_ERR_IO);
    fault_vfs_set_sticky(g.fv, 1);
    EPT_CHECK_EQ(ep__ws_flush(&g.s), EP_ERR_IO);
    fault_vfs_disarm(g.fv);
    EPT_CHECK(g.s.poisoned);
    EPT_CHECK_EQ(ep__ws_flush(&g.s), EP_ERR_POISONED);
    rig_close(&g);
}

/* ---- records larger than the buffer -------------------------------------- */

EPT_CASE(records_larger_than_the_buffer) {
    rig g;
    uint8_t big[1000], *d, *p;
    size_t n, i, cap0;
    for (i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
    EPT_CHECK(rig_open(&g, 16, EP_FSYNC_NO));
    cap0 = g.s.buf.cap;
    EPT_CHECK_OK(call_bytes(&g.s, 5));
    /* handed over: written straight after the 5 buffered bytes, no growth */
    ep__ws_mark(&g.s);
    EPT_CHECK_OK(ep__ws_put(&g.s, big, 100, 1));
    EPT_CHECK_OK(ep__ws_end_call(&g.s));
    EPT_CHECK_EQ(g.s.buf.cap, cap0);
    EPT_CHECK_EQ(g.s.flushed, 105);
    /* encoded in place: the buffer grows for it, then shrinks back */
    ep__ws_mark(&g.s);
    p = ep__ws_reserve(&g.s, sizeof big);
    EPT_CHECK(p);
    memcpy(p, big, sizeof big);
    ep__ws_advance(&g.s, sizeof big, 1);
    EPT_CHECK_OK(ep__ws_end_call(&g.s));
    EPT_CHECK(g.s.buf.cap <= 4 * (16 + 64));
    EPT_CHECK_EQ(g.s.records, 3);
    d = file_bytes(g.mem, "f", &n);
    EPT_CHECK(d && n == 1105);
    EPT_CHECK(memcmp(d + 5, big, 100) == 0 && memcmp(d + 105, big, sizeof big) == 0);
    free(d);
    /* a failed straight write leaves the file at the last complete record */
    fault_vfs_arm(g.fv, FAULT_WRITE, 1, EP_ERR_NO_SPACE);
    fault_vfs_set_partial(g.fv, FAULT_PARTIAL_HALF);
    ep__ws_mark(&g.s);
    EPT_CHECK_EQ(ep__ws_put(&g.s, big, 500, 1), EP_ERR_NO_SPACE);
    EPT_CHECK_EQ(ep__ws_rewind(&g.s, EP_ERR_NO_SPACE), EP_ERR_NO_SPACE);
    fault_vfs_disarm(g.fv);
    EPT_CHECK(!g.s.poisoned);
    EPT_CHECK_EQ(g.s.records, 3);
    d = file_bytes(g.mem, "f", &n);
    EPT_CHECK_EQ(n, 1105);
    free(d);
    rig_close(&g);
}

/* ---- the write observer --------------------------------------------------- */

typedef struct seen_w {
    uint8_t b[4096];
    uint64_t next;
    int ok;
} seen_w;

static void observe_w(void *user, uint64_t off, const uint8_t *p, size_t n) {
    seen_w *s = (seen_w *)user;
    if (off != s->next || off + n > sizeof s->b) s->ok = 0;
    else memcpy(s->b + off, p, n);
    s->next = off + n;
}

EPT_CASE(write_observer_sees_every_byte_once_in_order) {
    rig g;
    seen_w sw;
    expect want;
    int poisoned;
    uint8_t *d;
    size_t n;
    memset(&sw, 0, sizeof sw);
    memset(&want, 0, sizeof want);
    sw.ok = 1;
    EPT_CHECK(rig_open(&g, 32, EP_FSYNC_NO));
    ep__ws_set_observer(&g.s, observe_w, &sw);
    EPT_CHECK_OK(workload(&g.s, &want, &poisoned));
    d = file_bytes(g.mem, "f", &n);
    EPT_CHECK(sw.ok && d && sw.next == n && memcmp(sw.b, d, n) == 0);
    free(d);
    free(want.b);
    rig_close(&g);
}

/* ---- read side ---------------------------------------------------------- */

static ep_vfs *mem_with(const char *path, size_t n) {
    ep_vfs *v = NULL;
    uint8_t *b = (uint8_t *)malloc(n ? n : 1);
    size_t i;
    for (i = 0; i < n; i++) b[i] = (uint8_t)(i * 13 + (i >> 8));
    if (ep_vfs_mem_create(NULL, &v) || ep_vfs_write_all(v, path, b, n, NULL)) v = NULL;
    free(b);
    return v;
}

static uint8_t byte_at(uint64_t i) { return (uint8_t)(i * 13 + (i >> 8)); }

EPT_CASE(reader_allocates_what_a_small_file_needs) {
    ept_counting ca;
    ep_allocator a = ept_counting_alloc(&ca);
    ep_vfs *v = mem_with("small", 10);
    ep_file *f = NULL;
    ep__rstream rs;
    ep_error err;
    EPT_CHECK(v);
    EPT_CHECK_OK(v->open(v, "small", EP_OPEN_READ, &f, NULL));
    ca.peak = ca.live = 0;
    EPT_CHECK_OK(ep__rs_init(&rs, v, f, &a, 5, 256 * 1024, 0, &err)); /* a 5-byte body */
    EPT_CHECK_EQ(ca.peak, 0);
    EPT_CHECK_OK(ep__rs_fill(&rs, 1));
    EPT_CHECK_EQ(rs.cap, 5);
    EPT_CHECK_EQ(ca.peak, 5); /* not 256 KiB */
    EPT_CHECK_EQ(ep__rs_avail(&rs), 5);
    EPT_CHECK(ep__rs_at_eof(&rs));
    EPT_CHECK_EQ(ep__rs_ptr(&rs)[0], byte_at(5));
    EPT_CHECK_EQ(ep__rs_fill(&rs, 6), EP_ERR_EOF);
    EPT_CHECK_EQ(rs.cap, 5);
    ep__rs_skip(&rs, 5);
    EPT_CHECK_EQ(ep__rs_left(&rs), 0);
    ep__rs_free(&rs);
    EPT_CHECK_EQ(ca.live, 0);
    /* an empty body allocates nothing at all */
    EPT_CHECK_OK(ep__rs_init(&rs, v, f, &a, 10, 0, 0, &err));
    EPT_CHECK_EQ(ep__rs_fill(&rs, 1), EP_ERR_EOF);
    EPT_CHECK(ep__rs_at_eof(&rs) && ep__rs_ptr(&rs) == NULL);
    EPT_CHECK_EQ(ca.peak, 5);
    ep__rs_free(&rs);
    v->close(v, f, NULL);
    ep_vfs_mem_free(v);
}

EPT_CASE(reader_grows_within_its_cap_and_never_beyond_the_file) {
    ep_vfs *v = mem_with("f", 10000);
    ep_file *f = NULL;
    ep__rstream rs;
    ep_error err;
    uint64_t off = 0, seed = ept_seed(), st = seed;
    EPT_CHECK(v);
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_READ, &f, NULL));
    EPT_CHECK_OK(ep__rs_init(&rs, v, f, NULL, 0, 64, 1000, &err));
    EPT_CHECK_OK(ep__rs_fill(&rs, 10));
    EPT_CHECK_EQ(rs.cap, 64);
    EPT_CHECK_OK(ep__rs_fill(&rs, 500));
    EPT_CHECK(rs.cap >= 500 && rs.cap <= 1000);
    EPT_CHECK_OK(ep__rs_fill(&rs, 1000));
    EPT_CHECK_EQ(rs.cap, 1000);
    EPT_CHECK_EQ(ep__rs_fill(&rs, 1001), EP_ERR_LIMIT);
    EPT_CHECK_EQ(err.code, EP_ERR_LIMIT);
    EPT_CHECK_EQ(rs.cap, 1000);
    /* random reads of random sizes: the bytes are the file's, in order */
    while (off < 10000) {
        size_t need = (size_t)(ept_rand(&st) % 300) + 1, k;
        ep_result r = ep__rs_fill(&rs, need);
        if ((uint64_t)need > 10000 - off) {
            EPT_CHECK_EQ(r, EP_ERR_EOF);
            need = (size_t)(10000 - off);
            EPT_CHECK_OK(ep__rs_fill(&rs, need));
        } else {
            EPT_CHECK_OK(r);
        }
        EPT_CHECK_EQ(ep__rs_offset(&rs), off);
        for (k = 0; k < need; k++) EPT_CHECK_EQ(ep__rs_ptr(&rs)[k], byte_at(off + k));
        ep__rs_skip(&rs, need);
        off += need;
        EPT_CHECK_EQ(ep__rs_left(&rs), 10000 - off);
    }
    EPT_CHECK(ep__rs_at_eof(&rs));
    ep__rs_free(&rs);
    /* near the end, the buffer grows only to what the file still holds */
    EPT_CHECK_OK(ep__rs_init(&rs, v, f, NULL, 9900, 64, 0, &err));
    EPT_CHECK_OK(ep__rs_fill(&rs, 90));
    EPT_CHECK(rs.cap <= 100);
    EPT_CHECK_EQ(ep__rs_fill(&rs, 101), EP_ERR_EOF);
    EPT_CHECK(rs.cap <= 100);
    ep__rs_free(&rs);
    v->close(v, f, NULL);
    ep_vfs_mem_free(v);
}

EPT_CASE(reader_sees_a_file_that_shrank) {
    ep_vfs *v = mem_with("f", 1000);
    ep_file *f = NULL, *w = NULL;
    ep__rstream rs;
    ep_error err;
    EPT_CHECK(v);
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_READ, &f, NULL));
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_READ | EP_OPEN_WRITE, &w, NULL));
    EPT_CHECK_OK(ep__rs_init(&rs, v, f, NULL, 0, 64, 0, &err));
    EPT_CHECK_OK(ep__rs_fill(&rs, 64));
    EPT_CHECK_OK(v->truncate(v, w, 100, NULL));
    ep__rs_skip(&rs, 64);
    EPT_CHECK_EQ(ep__rs_fill(&rs, 64), EP_ERR_EOF); /* 36 left, not 936 */
    EPT_CHECK_EQ(ep__rs_left(&rs), 36);
    EPT_CHECK(ep__rs_at_eof(&rs));
    ep__rs_free(&rs);
    v->close(v, w, NULL);
    v->close(v, f, NULL);
    ep_vfs_mem_free(v);
}

/* The hook runs while the views it guards still hold their bytes. */
typedef struct hook_ctx {
    const uint8_t *view;
    uint8_t copy[16];
    int calls, intact;
} hook_ctx;

static void on_views_end(void *user) {
    hook_ctx *h = (hook_ctx *)user;
    h->calls++;
    if (h->view && memcmp(h->view, h->copy, sizeof h->copy) != 0) h->intact = 0;
    h->view = NULL;
}

typedef struct seen_r {
    uint8_t b[4096];
    size_t n;
} seen_r;

static void observe_r(void *user, const uint8_t *p, size_t n) {
    seen_r *s = (seen_r *)user;
    if (s->n + n <= sizeof s->b) memcpy(s->b + s->n, p, n);
    s->n += n;
}

EPT_CASE(views_hook_fires_before_bytes_move_and_observer_sees_each_byte) {
    ep_vfs *v = mem_with("f", 3000);
    ep_file *f = NULL;
    ep__rstream rs;
    ep_error err;
    hook_ctx h;
    seen_r sr;
    uint64_t off = 0, k;
    EPT_CHECK(v);
    memset(&h, 0, sizeof h);
    memset(&sr, 0, sizeof sr);
    h.intact = 1;
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_READ, &f, NULL));
    EPT_CHECK_OK(ep__rs_init(&rs, v, f, NULL, 0, 64, 0, &err));
    ep__rs_set_hook(&rs, on_views_end, &h);
    ep__rs_set_observer(&rs, observe_r, &sr);
    EPT_CHECK_OK(ep__rs_fill(&rs, 16));
    EPT_CHECK_EQ(h.calls, 1); /* the first load (nothing handed out yet) */
    while (off + 16 <= 3000) {
        int before = h.calls;
        EPT_CHECK_OK(ep__rs_fill(&rs, 16));
        if (h.calls == before) EPT_CHECK(h.view == NULL || h.intact); /* no move: views still valid */
        EPT_CHECK(h.intact);
        h.view = ep__rs_ptr(&rs); /* hand out a view */
        memcpy(h.copy, h.view, 16);
        ep__rs_skip(&rs, 16);
        off += 16;
        if (off % 160 == 0) { /* now and then a fill that needs more than the buffer: growth */
            if (ep__rs_fill(&rs, 100 + (size_t)(off % 7)) == EP_OK) EPT_CHECK(h.intact && h.view == NULL);
        }
    }
    EPT_CHECK(h.calls > 10);
    ep__rs_observe(&rs);
    EPT_CHECK_EQ(sr.n, off);
    for (k = 0; k < off; k++) EPT_CHECK_EQ(sr.b[k], byte_at(k));
    ep__rs_free(&rs);
    v->close(v, f, NULL);
    ep_vfs_mem_free(v);
}

/* ---- publish: tmp + sync + rename + directory sync ----------------------- */

static const char OLD[] = "the old contents of the file, durable";
static const char NEW[] = "the new contents, written to the temporary file first and then renamed";

/* Writes NEW to d/p.tmp through a stream and publishes it as d/p. */
static ep_result publish_workload(ep_vfs *v, int *renamed) {
    ep_file *f = NULL;
    ep_error err;
    ep__wstream s;
    ep_result r;
    *renamed = 0;
    r = v->open(v, "d/p.tmp", EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, &err);
    if (r) return r;
    ep__ws_init(&s, v, f, NULL, 0, &err);
    r = ep__ws_config(&s, 16, EP_FSYNC_NO, NULL, NULL);
    if (!r) r = ep__ws_put(&s, NEW, 10, 0);
    if (!r) r = ep__ws_put(&s, NEW + 10, sizeof NEW - 10, 0);
    if (!r) r = ep__ws_flush(&s);
    ep__ws_free(&s);
    if (!r) r = ep__stream_publish(v, NULL, &f, "d/p.tmp", "d/p", renamed, &err);
    if (f) v->close(v, f, NULL);
    return r;
}

static int content_is(ep_vfs *v, const char *want, size_t n) {
    uint8_t *d = NULL;
    size_t len = 0;
    int ok;
    if (ep_vfs_read_all(v, "d/p", NULL, 4096, &d, &len, NULL) != EP_OK) return 0;
    ok = len == n && memcmp(d, want, n) == 0;
    ep_free(NULL, d);
    return ok;
}

EPT_CASE(publish_under_power_loss_at_every_operation) {
    uint64_t seed = ept_seed(), k, oc[SIM_OUTCOME_COUNT];
    long olds = 0, news = 0;
    int round;
    for (round = 0; round < 3; round++) {
        for (k = 0;; k++) {
            ep_vfs *v = NULL;
            ep_file *f = NULL;
            int renamed, dead;
            ep_result r;
            EPT_CHECK_OK(sim_vfs_create(&v));
            EPT_CHECK_OK(v->mkdir(v, "d", NULL));
            EPT_CHECK_OK(v->sync_dir(v, ".", NULL));
            EPT_CHECK_OK(v->open(v, "d/p", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
            EPT_CHECK_OK(v->write(v, f, 0, OLD, sizeof OLD, NULL));
            EPT_CHECK_OK(v->sync(v, f, NULL));
            EPT_CHECK_OK(v->close(v, f, NULL));
            EPT_CHECK_OK(v->sync_dir(v, "d", NULL));
            sim_vfs_set_crash_after(v, k);
            r = publish_workload(v, &renamed);
            dead = sim_vfs_is_dead(v);
            sim_crash(v, seed + k * 3 + (uint64_t)round);
            if (r == EP_OK) {
                EPT_CHECK(content_is(v, NEW, sizeof NEW)); /* acknowledged: durable */
                news++;
            } else if (content_is(v, NEW, sizeof NEW)) {
                news++;
            } else {
                EPT_CHECK(content_is(v, OLD, sizeof OLD)); /* never a mix, never gone */
                olds++;
            }
            if (!dead) {
                sim_vfs_outcome_counts(v, oc);
                sim_vfs_destroy(v);
                break;
            }
            sim_vfs_destroy(v);
            EPT_CHECK(k < 1000);
        }
    }
    printf("    power cut at each of %lu operations, 3 rounds: %ld old, %ld new\n", (unsigned long)k, olds, news);
}

/* ---- one place for "NULL vfs means the OS" -------------------------------- */

EPT_CASE(vfs_pick_and_make_dirs) {
    ep_vfs os, *got = NULL, *m = NULL;
    uint64_t size;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(ep__vfs_pick(m, &os, &got));
    EPT_CHECK(got == m);
    EPT_CHECK_OK(ep__vfs_pick(NULL, &os, &got));
    EPT_CHECK(got == &os && os.open != NULL && os.struct_size == sizeof os);
    EPT_CHECK_OK(ep__stream_make_dirs(m, NULL, "a//b/c/", NULL));
    EPT_CHECK_OK(m->stat(m, "a/b/c", &size, NULL));
    EPT_CHECK_OK(ep__stream_make_dirs(m, NULL, "a/b/c", NULL)); /* there already */
    EPT_CHECK_OK(ep_vfs_write_all(m, "a/file", "x", 1, NULL));
    EPT_CHECK(ep__stream_make_dirs(m, NULL, "a/file/d", NULL) != EP_OK); /* a file is in the way */
    ep_vfs_mem_free(m);
}

EPT_MAIN()
