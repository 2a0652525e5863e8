/* resp_server's DUMP / RESTORE and SCAN over a socket.
 *
 * DUMP gives ember's value form (`[type][payload]`, §3.7): for a key of every
 * type the payload is byte for byte what the codec (ep_snap_value_encode)
 * makes of the same value built in a local keyspace; RESTORE of it under
 * another name gives the same value (its DUMP is the same bytes), with a ttl
 * (relative or ABSTTL, past ones delete), REPLACE over another type, and
 * every cut or altered payload refused with Redis's words.
 *
 * SCAN: a key present for the whole scan is returned at least once while a
 * second client inserts and deletes other keys between the steps (the
 * table grows several times during the walk). */
#define _POSIX_C_SOURCE 200809L
#ifndef _WIN32
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"
#include "support/procs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1700000000000LL

static int start(ept_proc *p) {
    char d[1024];
    if (!ept_need_servers(0)) return 0;
    snprintf(d, sizeof d, "%s/ours", ept_tmpdir());
    mkdir(d, 0700);
    return ept_start_ours(p, d, NULL) == 0 ? 1 : -1;
}

/* Splits cmd on spaces and calls; the reply (malloc'd) or NULL. */
static char *call(int fd, const char *cmd, size_t *n) {
    char buf[4096], *save = NULL, *p, *out = NULL;
    const char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", cmd);
    for (p = strtok_r(buf, " ", &save); p && argc < 64; p = strtok_r(NULL, " ", &save)) argv[argc++] = p;
    if (ept_call(fd, &out, n, argc, argv) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int call_is(int fd, const char *cmd, const char *want) {
    size_t n;
    char *r = call(fd, cmd, &n);
    int ok = r && n == strlen(want) && memcmp(r, want, n) == 0;
    if (!ok) printf("    %s: got %s, want %s\n", cmd, r ? r : "(none)", want);
    free(r);
    return ok;
}

/* The payload of a RESP2 bulk reply "$n\r\n...\r\n" (into *p, *n); 0 if not one. */
static int bulk_of(const char *r, size_t rn, const char **p, size_t *n) {
    char *end;
    long len;
    if (!r || rn < 4 || r[0] != '$') return 0;
    len = strtol(r + 1, &end, 10);
    if (len < 0 || end[0] != '\r') return 0;
    *p = end + 2;
    *n = (size_t)len;
    return (size_t)(*p - r) + *n + 2 == rn;
}

/* DUMP key; the payload into out (malloc'd). */
static int dump(int fd, const char *key, char **out, size_t *n) {
    const char *argv[2] = {"DUMP", key}, *p;
    char *r = NULL;
    size_t rn;
    int ok = ept_call(fd, &r, &rn, 2, argv) == 0 && bulk_of(r, rn, &p, n);
    *out = NULL;
    if (ok && (*out = (char *)malloc(*n + 1)) != NULL) memcpy(*out, p, *n);
    free(r);
    return ok && *out;
}

/* RESTORE key ttl payload [opt...]; 1 if the reply is want. */
static int restore(int fd, const char *key, const char *ttl, const char *payload, size_t plen, const char *opt1,
                   const char *opt2, const char *want) {
    const char *argv[6] = {"RESTORE", key, ttl, payload, opt1, opt2};
    size_t len[6];
    char *r = NULL;
    size_t rn = 0;
    int argc = opt2 ? 6 : opt1 ? 5 : 4, i, ok;
    for (i = 0; i < argc; i++) len[i] = i == 3 ? plen : strlen(argv[i]);
    ok = ept_send(fd, argc, argv, len) == 0 && ept_read_reply(fd, &r, &rn) == 0 && rn == strlen(want) &&
         memcmp(r, want, rn) == 0;
    if (!ok) printf("    RESTORE %s %s: got %.*s, want %s\n", key, ttl, (int)rn, r ? r : "", want);
    free(r);
    return ok;
}

/* The same value built in a local keyspace, as the codec encodes it. */
static void expect_payload(const char *const *cmds, size_t ncmds, const char *key, ep_buf *out) {
    ep_keyspace *ks;
    ep_buf scratch;
    ep_snap_entry se;
    size_t i;
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    for (i = 0; i < ncmds; i++) {
        /* "TAG key a b c ..." as records */
        char buf[512], *save = NULL, *p;
        const char *w[32];
        int n = 0;
        ep_aof_record rec;
        snprintf(buf, sizeof buf, "%s", cmds[i]);
        for (p = strtok_r(buf, " ", &save); p && n < 32; p = strtok_r(NULL, " ", &save)) w[n++] = p;
        if (!strcmp(w[0], "SET")) {
            rec = ept_rec(EP_AOF_SET, w[1]);
            rec.value = ept_b(w[2]);
            rec.num = -1;
        } else if (!strcmp(w[0], "RPUSH")) {
            rec = ept_rec(EP_AOF_RPUSH, w[1]);
            rec.items = ept_items_strs(EP_ITEMS_BYTES, n - 2, w + 2);
        } else if (!strcmp(w[0], "HSET")) {
            rec = ept_rec(EP_AOF_HSET, w[1]);
            rec.items = ept_items_pairs((n - 2) / 2, w + 2);
        } else if (!strcmp(w[0], "SADD")) {
            rec = ept_rec(EP_AOF_SADD, w[1]);
            rec.items = ept_items_strs(EP_ITEMS_STR, n - 2, w + 2);
        } else {
            double sc[16];
            const char *m[16];
            int j;
            for (j = 0; j + 3 < n + 1 && j / 2 < 16; j += 2) {
                sc[j / 2] = atof(w[2 + j]);
                m[j / 2] = w[3 + j];
            }
            rec = ept_rec(EP_AOF_ZADD, w[1]);
            rec.items = ept_items_zadd((n - 2) / 2, sc, m);
        }
        EPT_CHECK_OK(ep_keyspace_apply(ks, &rec, NOW));
    }
    ep_buf_init(&scratch, NULL);
    EPT_CHECK_OK(ep_ks_entry_to_snap(ep_keyspace_get(ks, key, strlen(key)), &scratch, &se));
    EPT_CHECK_OK(ep_snap_value_encode(out, &se));
    ep_buf_free(&scratch);
    ep_keyspace_free(ks);
    ept_pool_reset();
}

typedef struct dump_row {
    const char *cmds[3];
    const char *key;
} dump_row;

static const dump_row DUMPS[] = {
    {{"SET ds hello", NULL, NULL}, "ds"},
    {{"SET dn 12345", NULL, NULL}, "dn"},
    {{"RPUSH dl a b c", "RPUSH dl d", NULL}, "dl"},
    {{"HSET dh f1 v1 f2 v2", NULL, NULL}, "dh"},
    {{"SADD dset x y z", NULL, NULL}, "dset"},
    {{"ZADD dz 1 a 2.5 b -3 c", NULL, NULL}, "dz"},
    {{"RPUSH dbig a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 b0 b1 b2 b3 b4 b5 b6 b7 b8 b9", NULL, NULL}, "dbig"},
};
#define NDUMPS (sizeof DUMPS / sizeof DUMPS[0])

EPT_CASE(dump_is_embers_value_form_and_restores) {
    ept_proc srv;
    int fd, r;
    size_t i;
    if ((r = start(&srv)) == 0) return;
    EPT_CHECK(r == 1);
    fd = ept_connect(srv.port);
    EPT_CHECK(fd >= 0);
    for (i = 0; i < NDUMPS && !ept_failed(); i++) {
        const dump_row *row = &DUMPS[i];
        char *pay = NULL, *pay2 = NULL, copy[64], *bad;
        size_t n = 0, n2 = 0, j, ncmds = 0;
        ep_buf want;
        for (j = 0; j < 3 && row->cmds[j]; j++, ncmds++) {
            size_t rn;
            free(call(fd, row->cmds[j], &rn));
        }
        EPT_CHECK(dump(fd, row->key, &pay, &n));
        ep_buf_init(&want, NULL);
        expect_payload(row->cmds, ncmds, row->key, &want);
        EPT_EXPECT(want.len == n && memcmp(want.data, pay, n) == 0); /* byte for byte the codec's form */
        ep_buf_free(&want);
        snprintf(copy, sizeof copy, "%s_copy", row->key);
        EPT_EXPECT(restore(fd, copy, "0", pay, n, NULL, NULL, "+OK\r\n"));
        EPT_EXPECT(restore(fd, copy, "0", pay, n, NULL, NULL, "-BUSYKEY Target key name already exists.\r\n"));
        EPT_EXPECT(dump(fd, copy, &pay2, &n2) && n2 == n && memcmp(pay, pay2, n) == 0);
        free(pay2);
        /* with a ttl; REPLACE over a key of another type */
        EPT_EXPECT(call_is(fd, "SET other x", "+OK\r\n"));
        EPT_EXPECT(restore(fd, "other", "5000", pay, n, "REPLACE", NULL, "+OK\r\n"));
        {
            size_t rn;
            char *t = call(fd, "PTTL other", &rn);
            long ms = t && t[0] == ':' ? atol(t + 1) : -9;
            EPT_EXPECT(ms > 0 && ms <= 5000);
            free(t);
        }
        EPT_EXPECT(restore(fd, "other", "1", pay, n, "REPLACE", "ABSTTL", "+OK\r\n")); /* 1 ms after 1970 */
        EPT_EXPECT(call_is(fd, "EXISTS other", ":0\r\n"));
        /* every cut, and the type byte altered to an unknown one, are refused */
        for (j = 0; j < n; j++)
            EPT_EXPECT(restore(fd, "cut", "0", pay, j, NULL, NULL, "-ERR DUMP payload version or checksum are wrong\r\n"));
        bad = (char *)malloc(n);
        memcpy(bad, pay, n);
        bad[0] = (char)0x7f;
        EPT_EXPECT(restore(fd, "cut", "0", bad, n, NULL, NULL, "-ERR DUMP payload version or checksum are wrong\r\n"));
        free(bad);
        EPT_EXPECT(call_is(fd, "EXISTS cut", ":0\r\n"));
        free(pay);
    }
    close(fd);
    ept_stop(&srv, 1);
}

/* Counts the stable keys ("s:<i>") in a SCAN reply; returns the next cursor, -1 on a bad reply. */
static long long scan_step(int fd, long long cur, unsigned *seen, size_t nstable) {
    char cmd[64], *r, *p;
    size_t rn;
    long long next;
    long n, i;
    snprintf(cmd, sizeof cmd, "SCAN %lld COUNT 10", cur);
    r = call(fd, cmd, &rn);
    if (!r || strncmp(r, "*2\r\n$", 5) != 0) {
        free(r);
        return -1;
    }
    p = strchr(r + 4, '\n') + 1;
    next = atoll(p);
    p = strchr(p, '\n') + 1;
    n = atol(p + 1);
    p = strchr(p, '\n') + 1;
    for (i = 0; i < n; i++) {
        long len = atol(p + 1);
        p = strchr(p, '\n') + 1;
        if (len > 2 && p[0] == 's' && p[1] == ':') {
            unsigned long k = strtoul(p + 2, NULL, 10);
            if (k < nstable) seen[k]++;
        }
        p += len + 2;
    }
    free(r);
    return next;
}

EPT_CASE(scan_returns_every_stable_key_while_others_change) {
    enum { NSTABLE = 1000 };
    static unsigned seen[NSTABLE];
    ept_proc srv;
    int fd, fw, r;
    size_t i, steps = 0, vol = 0;
    long long cur = 0;
    char cmd[128];
    if ((r = start(&srv)) == 0) return;
    EPT_CHECK(r == 1);
    fd = ept_connect(srv.port);
    fw = ept_connect(srv.port);
    EPT_CHECK(fd >= 0 && fw >= 0);
    for (i = 0; i < NSTABLE; i++) {
        size_t rn;
        snprintf(cmd, sizeof cmd, "SET s:%zu v", i);
        free(call(fw, cmd, &rn));
    }
    memset(seen, 0, sizeof seen);
    do {
        size_t j, rn;
        cur = scan_step(fd, cur, seen, NSTABLE);
        EPT_CHECK(cur >= 0);
        for (j = 0; j < 30; j++) { /* 30 in, 15 out per step: the table doubles a few times */
            snprintf(cmd, sizeof cmd, "SET v:%zu x", vol++);
            free(call(fw, cmd, &rn));
        }
        for (j = 0; j < 15; j++) {
            snprintf(cmd, sizeof cmd, "DEL v:%zu", (vol * 7 + j * 13) % vol);
            free(call(fw, cmd, &rn));
        }
        EPT_CHECK(++steps < 20000);
    } while (cur != 0);
    for (i = 0; i < NSTABLE; i++) EPT_EXPECT(seen[i] >= 1);
    printf("    %zu SCAN steps, %zu keys inserted meanwhile; all %d stable keys returned\n", steps, vol, NSTABLE);
    close(fd);
    close(fw);
    ept_stop(&srv, 1);
}

EPT_MAIN()
#else
#include "harness.h"
EPT_CASE(windows) {
    ept_skip("resp_server and the test clients are POSIX (fork, signals, sockets)");
}
EPT_MAIN()
#endif /* _WIN32 */
