/* wal group commit: 16 threads of durable appends share fsyncs (fewer
 * syncs than appends; every acknowledged record recovered, ids unique and
 * contiguous); a failed sync fails every waiter and poisons (nothing is
 * acknowledged after it); mixed appends, flushes, syncs and a rotation per
 * few hundred records from many threads; with the first sync held until
 * every other thread has appended, exactly one more sync covers all of them
 * (followers never sync; the next leader takes everything that arrived
 * during the previous sync). Clean under ThreadSanitizer
 * (make tsan): the vfs is never called by two threads at once. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/wal_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#define NT 16

typedef struct targ {
    ep_wal *w;
    int me;
    long n;
    uint64_t *ids;   /* acknowledged ids */
    long acked;
    ep_result first_err;
    int mode;        /* 0 durable appends, 1 mixed */
} targ;

static void *durable_fn(void *p) {
    targ *a = (targ *)p;
    long i;
    for (i = 0; i < a->n; i++) {
        uint8_t b[16];
        uint64_t id = 0;
        ep_result r;
        memset(b, a->me, sizeof b);
        ep_store_u32le(b, (uint32_t)i);
        if (a->mode == 0) {
            r = ep_wal_append_durable(a->w, b, sizeof b, &id);
        } else {
            r = ep_wal_append(a->w, b, sizeof b, &id);
            if (r == EP_OK && i % 7 == 0) r = ep_wal_sync_to(a->w, id);
            if (r == EP_OK && i % 13 == 0) r = ep_wal_flush(a->w);
            if (r == EP_OK && i % 101 == 0 && a->me == 0) r = ep_wal_rotate(a->w);
        }
        if (r != EP_OK) {
            a->first_err = r;
            break;
        }
        a->ids[a->acked++] = id;
    }
    return NULL;
}

static void run_threads(ep_wal *w, targ *a, long n, int mode) {
    pthread_t t[NT];
    int i;
    for (i = 0; i < NT; i++) {
        a[i].w = w;
        a[i].me = i;
        a[i].n = n;
        a[i].acked = 0;
        a[i].first_err = EP_OK;
        a[i].mode = mode;
        a[i].ids = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)n);
        pthread_create(&t[i], NULL, durable_fn, &a[i]);
    }
    for (i = 0; i < NT; i++) pthread_join(t[i], NULL);
}

typedef struct seen {
    uint8_t *who;     /* per id: thread + 1 */
    uint32_t *seq;
    uint64_t max, count, bad;
} seen;

static ep_result seen_fn(void *user, uint64_t id, const uint8_t *d, size_t len) {
    seen *s = (seen *)user;
    if (len != 16 || id > s->max) {
        s->bad++;
        return EP_OK;
    }
    s->who[id] = (uint8_t)(d[15] + 1);
    s->seq[id] = ep_load_u32le(d);
    s->count++;
    return EP_OK;
}

static void check_recovered(ep_vfs *v, const char *dir, targ *a, uint64_t max) {
    seen s;
    ep_wal_read_config rc;
    ep_error err;
    ep_result r;
    int i, bad = 0;
    long j;
    s.who = (uint8_t *)calloc((size_t)max + 1, 1);
    s.seq = (uint32_t *)calloc((size_t)max + 1, sizeof(uint32_t));
    s.max = max;
    s.count = s.bad = 0;
    ep_wal_read_config_init(&rc);
    rc.vfs = v;
    r = ep_wal_replay(dir, &rc, seen_fn, &s, NULL, &err);
    if (r != EP_OK) printf("    replay: %s\n", err.message);
    EPT_EXPECT(r == EP_OK);
    EPT_EXPECT(s.bad == 0);
    for (i = 0; i < NT && !bad; i++)
        for (j = 0; j < a[i].acked && !bad; j++) {
            uint64_t id = a[i].ids[j];
            if (!(id <= max && s.who[id] == (uint8_t)(i + 1) && s.seq[id] == (uint32_t)j)) bad = 1;
        }
    EPT_EXPECT(!bad);
    free(s.who);
    free(s.seq);
}

EPT_CASE(group_commit_16_threads_os) {
    ep_wal_config c;
    ep_wal *w = NULL;
    targ a[NT];
    ep_wal_stats st;
    char dir[600];
    long n = ept_scale(60, 4);
    int i;
    ep_vfs os;
    ep_wal_config_init(&c);
    c.segment_bytes = 16384; /* rotations while threads wait */
    snprintf(dir, sizeof dir, "%s/gc", ept_tmpdir());
    EPT_CHECK_OK(ep_wal_open(dir, &c, &w, NULL));
    run_threads(w, a, n, 0);
    ep_wal_stats_get(w, &st);
    for (i = 0; i < NT; i++) EPT_EXPECT(a[i].first_err == EP_OK && a[i].acked == n);
    EPT_EXPECT(st.last_id == (uint64_t)(NT * n));
    EPT_EXPECT(st.durable_id == st.last_id);
    printf("    %ld durable appends, %llu fsyncs, %llu satisfied by another's sync\n", NT * n,
           (unsigned long long)st.syncs, (unsigned long long)st.group_waits);
    EPT_EXPECT(st.syncs < (uint64_t)(NT * n)); /* shared */
    EPT_EXPECT(st.group_waits > 0);
    EPT_CHECK_OK(ep_wal_close(w));
    ep_vfs_os_init(&os);
    check_recovered(&os, dir, a, (uint64_t)(NT * n));
    for (i = 0; i < NT; i++) free(a[i].ids);
}

EPT_CASE(mixed_calls_16_threads_mem) {
    ep_vfs *v = NULL;
    ep_wal_config c;
    ep_wal *w = NULL;
    targ a[NT];
    long n = ept_scale(400, 10);
    int i;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &v));
    ep_wal_config_init(&c);
    c.vfs = v;
    c.segment_bytes = 4096;
    c.buffer_bytes = 512;
    c.flush = EP_WAL_FLUSH_EVERY_N;
    c.flush_every_bytes = 300;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    run_threads(w, a, n, 1);
    for (i = 0; i < NT; i++) EPT_EXPECT(a[i].first_err == EP_OK && a[i].acked == n);
    EPT_CHECK_OK(ep_wal_close(w));
    check_recovered(v, "w", a, (uint64_t)(NT * n));
    for (i = 0; i < NT; i++) free(a[i].ids);
    ep_vfs_mem_free(v);
}

/* The 5th sync fails: its waiters fail with it, every later call is
 * refused, nothing after the failure is acknowledged, and everything
 * acknowledged before it is in the file. */
EPT_CASE(sync_failure_fails_every_waiter_and_poisons) {
    ep_vfs *m = NULL, *v = NULL;
    ep_wal_config c;
    ep_wal *w = NULL;
    targ a[NT];
    long n = ept_scale(50, 5), total = 0;
    int i, failed = 0;
    ep_wal_stats st;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    ep_wal_config_init(&c);
    c.vfs = v;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    fault_vfs_arm(v, FAULT_SYNC, 5, EP_ERR_IO);
    run_threads(w, a, n, 0);
    ep_wal_stats_get(w, &st);
    for (i = 0; i < NT; i++) {
        total += a[i].acked;
        if (a[i].first_err != EP_OK) failed++;
        EPT_EXPECT(a[i].first_err == EP_OK || a[i].first_err == EP_ERR_IO || a[i].first_err == EP_ERR_POISONED);
        EPT_EXPECT(a[i].acked < n); /* everybody hit it */
    }
    EPT_EXPECT(failed == NT);
    EPT_EXPECT((uint64_t)total <= st.durable_id);
    EPT_EXPECT(fault_vfs_fired(v) == 1); /* never retried */
    EPT_CHECK_EQ(ep_wal_append_durable(w, "x", 1, NULL), EP_ERR_POISONED);
    EPT_CHECK_EQ(ep_wal_close(w), EP_ERR_POISONED);
    fault_vfs_disarm(v);
    check_recovered(v, "w", a, st.last_id);
    for (i = 0; i < NT; i++) free(a[i].ids);
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

/* A vfs whose syncs are counted and checked never to overlap; while held,
 * a sync waits (bounded) until `want` appends have been seen. */
typedef struct gate_vfs {
    ep_vfs v;           /* the inner table and ctx, sync replaced */
    ep_vfs *inner;
    pthread_mutex_t mu;
    int hold, in_sync, overlap, entered;
    long syncs, appends, want;
} gate_vfs;

static void nap_ms(long ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
#endif
}

static ep_result gate_sync(ep_vfs *v, ep_file *f, ep_error *err) {
    gate_vfs *g = (gate_vfs *)(void *)v;
    int held, k;
    pthread_mutex_lock(&g->mu);
    if (g->in_sync) g->overlap = 1;
    g->in_sync = 1;
    g->syncs++;
    held = g->hold;
    g->hold = 0;
    g->entered = 1;
    pthread_mutex_unlock(&g->mu);
    for (k = 0; held && k < 10000; k++) { /* at most 10 s */
        long seen;
        pthread_mutex_lock(&g->mu);
        seen = g->appends;
        pthread_mutex_unlock(&g->mu);
        if (seen >= g->want) break;
        nap_ms(1);
    }
    pthread_mutex_lock(&g->mu);
    g->in_sync = 0;
    pthread_mutex_unlock(&g->mu);
    return g->inner->sync(g->inner, f, err);
}

static void gate_on_append(void *user, uint64_t first_id, uint64_t count, uint64_t bytes) {
    gate_vfs *g = (gate_vfs *)user;
    (void)first_id;
    (void)bytes;
    pthread_mutex_lock(&g->mu);
    g->appends += (long)count;
    pthread_mutex_unlock(&g->mu);
}

static void *one_durable(void *p) {
    targ *a = (targ *)p;
    uint8_t b[16];
    uint64_t id = 0;
    memset(b, a->me, sizeof b);
    ep_store_u32le(b, 0);
    a->first_err = ep_wal_append_durable(a->w, b, sizeof b, &id);
    if (a->first_err == EP_OK) a->ids[a->acked++] = id;
    return NULL;
}

EPT_CASE(next_leader_takes_every_append_of_the_previous_sync) {
    ep_vfs *m = NULL;
    gate_vfs g;
    ep_wal_config c;
    ep_wal *w = NULL;
    ep_wal_stats st;
    targ a[NT];
    pthread_t t[NT];
    int i, k;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    memset(&g, 0, sizeof g);
    g.v = *m;
    g.v.sync = gate_sync;
    g.inner = m;
    g.want = NT;
    pthread_mutex_init(&g.mu, NULL);
    ep_wal_config_init(&c);
    c.vfs = &g.v;
    c.observer.on_append = gate_on_append;
    c.observer.user = &g;
    EPT_CHECK_OK(ep_wal_open("w", &c, &w, NULL));
    pthread_mutex_lock(&g.mu);
    g.syncs = 0;
    g.hold = 1;
    pthread_mutex_unlock(&g.mu);
    for (i = 0; i < NT; i++) {
        memset(&a[i], 0, sizeof a[i]);
        a[i].w = w;
        a[i].me = i;
        a[i].ids = (uint64_t *)malloc(sizeof(uint64_t));
    }
    /* Thread 0 leads the first sync, which is held until the other 15 have
     * appended (they wait behind it); then one sync must cover all 15. */
    pthread_create(&t[0], NULL, one_durable, &a[0]);
    for (k = 0; k < 10000; k++) {
        int in;
        pthread_mutex_lock(&g.mu);
        in = g.entered;
        pthread_mutex_unlock(&g.mu);
        if (in) break;
        nap_ms(1);
    }
    for (i = 1; i < NT; i++) pthread_create(&t[i], NULL, one_durable, &a[i]);
    for (i = 0; i < NT; i++) pthread_join(t[i], NULL);
    for (i = 0; i < NT; i++) EPT_EXPECT(a[i].first_err == EP_OK && a[i].acked == 1);
    ep_wal_stats_get(w, &st);
    printf("    %d durable appends, %ld syncs (the first held until all had appended)\n", NT, g.syncs);
    EPT_EXPECT(g.appends == NT);
    EPT_CHECK_EQ(g.syncs, 2);     /* the held one, then one for all 15 followers */
    EPT_EXPECT(!g.overlap);       /* never two at once */
    EPT_EXPECT(st.durable_id == st.last_id && st.last_id == NT);
    EPT_EXPECT(st.group_waits >= NT - 2); /* all but the two leaders waited */
    EPT_CHECK_OK(ep_wal_close(w));
    check_recovered(m, "w", a, NT);
    for (i = 0; i < NT; i++) free(a[i].ids);
    pthread_mutex_destroy(&g.mu);
    ep_vfs_mem_free(m);
}

EPT_MAIN()
