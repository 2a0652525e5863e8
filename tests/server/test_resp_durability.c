/* resp_server durability: a client counts acknowledged writes while the
 * server is killed with SIGKILL at a random moment; after each restart every
 * acknowledged write must be there. appendfsync always: 100 kills (10 under
 * EPT_QUICK), nothing acknowledged may be lost. everysec: at most about one
 * second of acknowledged writes may be lost. Seeded (printed). */
#define _POSIX_C_SOURCE 200809L
#ifndef _WIN32
#include "ember_persist.h"
#include "harness.h"
#include "support/procs.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* GET key as an integer (-1 if missing or not a number). */
static long long get_int(int fd, const char *key) {
    const char *argv[2] = {"GET", key};
    char *r = NULL;
    size_t n;
    long long v = -1;
    if (ept_call(fd, &r, &n, 2, argv) == 0 && r[0] == '$' && r[1] != '-') {
        const char *p = strchr(r, '\n');
        if (p) v = atoll(p + 1);
    }
    free(r);
    return v;
}

/* One round: pipelined INCRs and SETs, some acknowledged, then SIGKILL.
 * Returns the highest acknowledged counter value, and sets the keys of the
 * acknowledged SETs (as the count acked). */
typedef struct round_result {
    long long last_incr; /* highest INCR reply read */
    int acked_sets;      /* SET r<round>:<j> for j < acked_sets were acknowledged */
    int sent;
} round_result;

static int one_round(int port, int round, uint64_t *rng, ept_proc *p, round_result *out) {
    int fd = ept_connect(port), j, burst = 1 + (int)(ept_rand(rng) % 60), reads;
    char key[64], val[32];
    memset(out, 0, sizeof *out);
    out->last_incr = -1;
    if (fd < 0) return -1;
    for (j = 0; j < burst; j++) {
        const char *incr[2] = {"INCR", "counter"};
        const char *set[3];
        snprintf(key, sizeof key, "r%d:%d", round, j);
        snprintf(val, sizeof val, "%d", j);
        set[0] = "SET";
        set[1] = key;
        set[2] = val;
        if (ept_send(fd, 2, incr, NULL) || ept_send(fd, 3, set, NULL)) break;
        out->sent++;
    }
    /* read some of the replies (pairs), then kill while the rest are in flight */
    reads = (int)(ept_rand(rng) % (uint64_t)(out->sent + 1));
    for (j = 0; j < reads; j++) {
        char *a = NULL, *b = NULL;
        size_t an, bn;
        if (ept_read_reply(fd, &a, &an) || ept_read_reply(fd, &b, &bn)) {
            free(a);
            free(b);
            break;
        }
        if (a[0] == ':') out->last_incr = atoll(a + 1);
        if (strncmp(b, "+OK", 3) == 0 && j == out->acked_sets) out->acked_sets++;
        free(a);
        free(b);
    }
    if (ept_rand(rng) % 2) {
        struct timespec ts = {0, (long)(ept_rand(rng) % 2000) * 1000L};
        nanosleep(&ts, NULL);
    }
    ept_stop(p, 1); /* SIGKILL */
    close(fd);
    return 0;
}

EPT_CASE(always_sigkill_loses_no_acknowledged_write) {
    char dir[1024];
    const char *extra[] = {"--appendfsync", "always", NULL};
    uint64_t rng = ept_seed();
    /* 100 kills take minutes on a loaded 2-core machine: 10 by default, the
     * full 100 with EPT_SLOW=1 (make test-slow). */
    long kills = getenv("EPT_SLOW") ? 100 : ept_scale(10, 2), k;
    long long max_acked = -1;
    ept_proc p;
    if (!ept_need_servers(0)) return;
    snprintf(dir, sizeof dir, "%s/always", ept_tmpdir());
    mkdir(dir, 0700);
    for (k = 0; k < kills; k++) {
        round_result rr;
        int fd, j;
        long long v;
        EPT_CHECK_OK(ept_start_ours(&p, dir, extra));
        if (k > 0) { /* the previous round's acknowledged writes */
            fd = ept_connect(p.port);
            EPT_CHECK(fd >= 0);
            v = get_int(fd, "counter");
            if (v < max_acked) printf("    kill %ld: counter %lld < acknowledged %lld\n", k, v, max_acked);
            EPT_CHECK(v >= max_acked);
            if (v > max_acked) max_acked = v; /* unacknowledged but durable is fine */
            close(fd);
        }
        EPT_CHECK_OK(one_round(p.port, (int)k, &rng, &p, &rr));
        if (rr.last_incr > max_acked) max_acked = rr.last_incr;
        /* the SETs: restart and read every acknowledged one back */
        EPT_CHECK_OK(ept_start_ours(&p, dir, extra));
        fd = ept_connect(p.port);
        EPT_CHECK(fd >= 0);
        for (j = 0; j < rr.acked_sets; j++) {
            char key[64];
            snprintf(key, sizeof key, "r%ld:%d", k, j);
            v = get_int(fd, key);
            if (v != j) printf("    kill %ld: acknowledged %s missing (got %lld)\n", k, key, v);
            EPT_CHECK_EQ(v, j);
        }
        close(fd);
        ept_stop(&p, 1); /* a second kill, before any new write */
    }
    printf("    %ld SIGKILLs, counter reached %lld, no acknowledged write lost\n", kills, max_acked);
}

EPT_CASE(everysec_sigkill_loses_at_most_about_a_second) {
    char dir[1024];
    const char *extra[] = {"--appendfsync", "everysec", NULL};
    uint64_t rng = ept_seed();
    long rounds = ept_scale(3, 3), k;
    ept_proc p;
    if (!ept_need_servers(0)) return;
    snprintf(dir, sizeof dir, "%s/everysec", ept_tmpdir());
    mkdir(dir, 0700);
    for (k = 0; k < rounds; k++) {
        /* acknowledged INCR values and when they were acknowledged */
        static long long at[1 << 20];
        long long start, v, kill_at, lost_from = -1, base;
        long n = 0;
        int fd;
        const char *incr[2] = {"INCR", "counter"};
        EPT_CHECK_OK(ept_start_ours(&p, dir, extra));
        fd = ept_connect(p.port);
        EPT_CHECK(fd >= 0);
        base = get_int(fd, "counter");
        if (base < 0) base = 0;
        start = ept_ms();
        kill_at = start + 1200 + (long long)(ept_rand(&rng) % 800);
        while (ept_ms() < kill_at && n < (1 << 20)) {
            char *r = NULL;
            size_t rn;
            if (ept_call(fd, &r, &rn, 2, incr) != 0) {
                free(r);
                break;
            }
            at[n++] = ept_ms();
            free(r);
        }
        ept_stop(&p, 1);
        close(fd);
        EPT_CHECK_OK(ept_start_ours(&p, dir, extra));
        fd = ept_connect(p.port);
        EPT_CHECK(fd >= 0);
        v = get_int(fd, "counter");
        close(fd);
        ept_stop(&p, 0);
        if (v < 0) v = base;
        EPT_CHECK(v >= base && v <= base + n);
        if (v < base + n) lost_from = at[v - base]; /* the first acknowledged write that was lost */
        printf("    round %ld: %ld acknowledged, %lld lost%s%lld ms before the kill\n", k, n, base + n - v,
               lost_from >= 0 ? ", the oldest " : "", lost_from >= 0 ? kill_at - lost_from : 0);
        /* one second of writes plus the sync's own time on a loaded machine */
        EPT_CHECK(lost_from < 0 || kill_at - lost_from <= 1500);
    }
}

static long long wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One command with its reply's integer (or -2 when the reply is not one). */
static long long call_int(int fd, int argc, const char *const *argv) {
    char *r = NULL;
    size_t n;
    long long v = -2;
    if (ept_call(fd, &r, &n, argc, argv) == 0 && r[0] == ':') v = atoll(r + 1);
    free(r);
    return v;
}

/* Checks that key's deadline is exactly d: PTTL, read between t0 and t1
 * (wall ms), says the server holds a deadline in [t0 + p, t1 + p]. */
static int deadline_is(int fd, const char *key, long long d) {
    const char *pttl[2] = {"PTTL", key};
    long long t0 = wall_ms(), p = call_int(fd, 2, pttl), t1 = wall_ms();
    int ok = p >= 0 && t0 + p - 1 <= d && d <= t1 + p + 1;
    if (!ok) printf("    %s: deadline %lld, PTTL %lld read in [%lld, %lld]: off by %lld..%lld ms\n", key, d, p, t0, t1,
                    t0 + p - d, t1 + p - d);
    return ok;
}

/* A restart whose recovery takes a while (many keys) keeps every deadline
 * to the millisecond: one from the AOF (PEXPIREAT after the snapshot), one
 * from the snapshot and the deadlines logged after it. Before, recovery's
 * clock and the one that turned remaining ms back into deadlines were read
 * at its start and end: every deadline moved by the recovery's duration
 * (1.5 s at 1 M keys). */
EPT_CASE(deadlines_exact_after_a_long_recovery) {
    char dir[1024], snapd[32], aofd[32];
    const char *extra[] = {"--appendfsync", "always", NULL};
    long keys = ept_scale(200000, 10), i, j;
    long long d_snap = wall_ms() + 1000000000LL, d_aof = d_snap + 12345;
    const char *save[1] = {"SAVE"};
    ept_proc p;
    int fd;
    if (!ept_need_servers(0)) return;
    snprintf(dir, sizeof dir, "%s/deadlines", ept_tmpdir());
    mkdir(dir, 0700);
    EPT_CHECK_OK(ept_start_ours(&p, dir, extra));
    fd = ept_connect(p.port);
    EPT_CHECK(fd >= 0);
    for (i = 0; i < keys; i += 1000) { /* MSETs of 1000 keys */
        static char names[1000][24];
        const char *argv[2001];
        argv[0] = "MSET";
        for (j = 0; j < 1000; j++) {
            snprintf(names[j], sizeof names[j], "fill:%ld", i + j);
            argv[1 + 2 * j] = names[j];
            argv[2 + 2 * j] = "some value of a key";
        }
        {
            char *r = NULL;
            size_t n;
            int rc = ept_call(fd, &r, &n, 2001, argv);
            EPT_CHECK(rc == 0 && r[0] == '+');
            free(r);
        }
    }
    snprintf(snapd, sizeof snapd, "%lld", d_snap);
    snprintf(aofd, sizeof aofd, "%lld", d_aof);
    {
        const char *set_a[3] = {"SET", "from-snapshot", "1"}, *set_b[3] = {"SET", "from-aof", "1"};
        const char *at_a[3] = {"PEXPIREAT", "from-snapshot", snapd}, *at_b[3] = {"PEXPIREAT", "from-aof", aofd};
        char *r = NULL;
        size_t n;
        EPT_CHECK(ept_call(fd, &r, &n, 3, set_a) == 0);
        free(r);
        EPT_CHECK_EQ(call_int(fd, 3, at_a), 1);
        EPT_CHECK(ept_call(fd, &r, &n, 1, save) == 0 && r[0] == '+');
        free(r);
        r = NULL;
        EPT_CHECK(ept_call(fd, &r, &n, 3, set_b) == 0);
        free(r);
        EPT_CHECK_EQ(call_int(fd, 3, at_b), 1);
    }
    close(fd);
    ept_stop(&p, 1); /* SIGKILL: under always everything acknowledged is on disk */
    {
        long long t0 = ept_ms();
        EPT_CHECK_OK(ept_start_ours(&p, dir, extra));
        printf("    %ld keys: restart (recovery included) took %lld ms\n", keys + 2, ept_ms() - t0);
    }
    fd = ept_connect(p.port);
    EPT_CHECK(fd >= 0);
    EPT_EXPECT(deadline_is(fd, "from-snapshot", d_snap));
    EPT_EXPECT(deadline_is(fd, "from-aof", d_aof));
    close(fd);
    ept_stop(&p, 0);
}

EPT_MAIN()
#else
#include "harness.h"
EPT_CASE(windows) {
    ept_skip("resp_server and the test clients are POSIX (fork, signals, sockets)");
}
EPT_MAIN()
#endif /* _WIN32 */
