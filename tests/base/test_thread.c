/* thread: the private mutex and condition variable (the whole library is
 * compiled into this program as static functions to reach them): 8 threads
 * count under the mutex without losing an increment; a condition-variable
 * relay passes a token round all threads in order. */
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "harness.h"

#include <pthread.h>

#define NT 8

typedef struct shared {
    ep__mutex m;
    ep__cond c;
    long counter;
    int turn;
    long rounds;
} shared;

typedef struct arg {
    shared *s;
    int me;
} arg;

static void *count_fn(void *p) {
    shared *s = ((arg *)p)->s;
    long i;
    for (i = 0; i < 20000; i++) {
        ep__mutex_lock(&s->m);
        s->counter++;
        ep__mutex_unlock(&s->m);
    }
    return NULL;
}

static void *relay_fn(void *p) {
    arg *a = (arg *)p;
    shared *s = a->s;
    long r;
    for (r = 0; r < s->rounds; r++) {
        ep__mutex_lock(&s->m);
        while (s->turn != a->me) ep__cond_wait(&s->c, &s->m);
        s->counter++;
        s->turn = (s->turn + 1) % NT;
        ep__cond_broadcast(&s->c);
        ep__mutex_unlock(&s->m);
    }
    return NULL;
}

static void run(void *(*fn)(void *), shared *s) {
    pthread_t t[NT];
    arg a[NT];
    int i;
    for (i = 0; i < NT; i++) {
        a[i].s = s;
        a[i].me = i;
        EPT_CHECK(pthread_create(&t[i], NULL, fn, &a[i]) == 0);
    }
    for (i = 0; i < NT; i++) pthread_join(t[i], NULL);
}

EPT_CASE(mutex_counts_exactly) {
    shared s;
    memset(&s, 0, sizeof s);
    EPT_CHECK(EP__HAVE_THREADS);
    EPT_CHECK_OK(ep__mutex_init(&s.m));
    run(count_fn, &s);
    EPT_CHECK_EQ(s.counter, NT * 20000L);
    ep__mutex_destroy(&s.m);
}

EPT_CASE(cond_relay_in_order) {
    shared s;
    memset(&s, 0, sizeof s);
    s.rounds = ept_scale(500, 10);
    EPT_CHECK_OK(ep__mutex_init(&s.m));
    EPT_CHECK_OK(ep__cond_init(&s.c));
    run(relay_fn, &s);
    EPT_CHECK_EQ(s.counter, NT * s.rounds);
    EPT_CHECK_EQ(s.turn, 0);
    ep__cond_destroy(&s.c);
    ep__mutex_destroy(&s.m);
}

EPT_MAIN()
