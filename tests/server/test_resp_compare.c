/* resp_server against a real redis-server 7, table-driven: the same command
 * sequence, from the same empty state, to both servers; the replies must be
 * the same bytes. Three passes: raw RESP2 over a socket, raw RESP3 after
 * HELLO 3, and through the real redis-cli (--no-raw, so reply types show).
 * Three rows can only match as sets of lines, marked 'U' and compared
 * sorted: SMEMBERS and the two KEYS rows. TTL rows, marked 'T', may differ
 * by one second in their integer: the two servers see each request at
 * different instants and TTL rounds to the nearest second, so a slow run
 * (valgrind, a loaded machine) crosses a rounding boundary on one server. Redis 7.0 keeps a set of strings
 * and the keyspace in a dict hashed with SipHash under a random seed drawn
 * at each start, so their order differs between two runs of redis-server
 * itself; no server can match it byte for byte. (A hash of up to 16 fields
 * comes back in insertion order here, as Redis's listpack gives it, so
 * HGETALL is compared exactly; Redis keeps insertion order up to 128
 * fields, this keyspace up to 16.) Every other row is byte for byte.
 * Skips when redis-server or redis-cli is not installed. */
#define _POSIX_C_SOURCE 200809L
#ifndef _WIN32
#include "ember_persist.h"
#include "harness.h"
#include "support/procs.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A row: 'U' compares sorted reply lines (no byte compare; see above), 'T'
 * the same bytes but for one integer that may differ by one, ' ' exact.
 * Arguments split on spaces; "~" is an empty argument. */
typedef struct row {
    char mode;
    const char *cmd;
} row;

static const row ROWS[] = {
    {' ', "PING"}, {' ', "PING hello"}, {' ', "PING a b"}, {' ', "ECHO hi"}, {' ', "ECHO"}, {' ', "SELECT 0"},
    {' ', "SELECT x"}, {' ', "DBSIZE"},
    /* strings */
    {' ', "SET k v"}, {' ', "GET k"}, {' ', "GET missing"}, {' ', "GET"}, {' ', "SET k v2 XX"}, {' ', "SET n1 v NX"},
    {' ', "SET n1 v NX"}, {' ', "SET nx2 v XX"}, {' ', "SET k v3 GET"}, {' ', "SET k"}, {' ', "SET k v EX 0"},
    {' ', "SET k v EX abc"}, {' ', "SET k v PX -5"}, {' ', "SET k v BADOPT"}, {' ', "SET k v NX XX"},
    {' ', "SET k v EX 100"}, {'T', "TTL k"}, {' ', "SET k v KEEPTTL"}, {'T', "TTL k"}, {' ', "PERSIST k"},
    {' ', "PERSIST k"}, {'T', "TTL k"}, {'T', "TTL missing"}, {' ', "PTTL k"}, {' ', "PTTL missing"},
    {' ', "EXISTS k missing k"}, {' ', "TYPE k"}, {' ', "TYPE missing"}, {' ', "MSET a 1 b 2"},
    {' ', "MGET a b missing"}, {' ', "MSET a"}, {' ', "MSET a 1 b"}, {' ', "INCR a"}, {' ', "INCRBY a 10"},
    {' ', "DECR a"}, {' ', "DECRBY a 5"}, {' ', "INCR k"}, {' ', "INCRBY a x"}, {' ', "INCR newcounter"},
    {' ', "SET big 9223372036854775807"}, {' ', "INCR big"}, {' ', "DECRBY a -9223372036854775808"},
    {' ', "SET neg -5"}, {' ', "INCRBY neg -9223372036854775807"}, {' ', "SET plus +5"}, {' ', "INCR plus"},
    {' ', "SET lead 007"}, {' ', "INCR lead"}, {' ', "APPEND a xyz"}, {' ', "APPEND newk abc"}, {' ', "STRLEN a"},
    {' ', "STRLEN missing"}, {' ', "GETRANGE a 0 1"}, {' ', "GETRANGE a -3 -1"}, {' ', "GETRANGE a 5 1"},
    {' ', "GETRANGE a 0 100"}, {' ', "GETRANGE missing 0 1"}, {' ', "GETRANGE a -1 -5"}, {' ', "SETRANGE newk 1 ZZ"},
    {' ', "GET newk"}, {' ', "SETRANGE s2 3 x"}, {' ', "GET s2"}, {' ', "SETRANGE s2 -1 x"}, {' ', "SETRANGE s3 5 ~"},
    {' ', "EXISTS s3"}, {' ', "SETRANGE s2 0 ~"},
    /* expiry */
    {' ', "EXPIRE k 100"}, {'T', "TTL k"}, {' ', "PEXPIRE k 200000"}, {'T', "TTL k"}, {' ', "EXPIRE missing 10"},
    {' ', "EXPIRE k 100 NX"}, {' ', "EXPIRE k 300 GT"}, {'T', "TTL k"}, {' ', "EXPIRE k 50 LT"}, {'T', "TTL k"},
    {' ', "EXPIRE k 10 XX NX"}, {' ', "EXPIRE k 10 GT LT"}, {' ', "EXPIRE k 10 foo"}, {' ', "EXPIRE k x"},
    {' ', "EXPIRE b 0"}, {' ', "EXISTS b"}, {' ', "EXPIREAT k 1"}, {' ', "EXISTS k"}, {' ', "SET k v"},
    {' ', "PEXPIREAT k 99999999999999"}, {' ', "PERSIST k"}, {' ', "EXPIRE k 9223372036854775807"},
    /* rename, copy */
    {' ', "RENAME a a2"}, {' ', "RENAME missing x"}, {' ', "EXISTS a a2"}, {' ', "RENAME a2 a2"}, {' ', "COPY a2 a3"},
    {' ', "COPY a2 a3"}, {' ', "COPY a2 a3 REPLACE"}, {' ', "GET a3"}, {' ', "COPY missing a4"}, {' ', "COPY a2 a2"},
    {' ', "COPY a2 a5 BAD"}, {' ', "SET tt v EX 500"}, {' ', "RENAME tt tt2"}, {'T', "TTL tt2"}, {' ', "COPY tt2 tt3"},
    {'T', "TTL tt3"},
    /* lists */
    {' ', "RPUSH l a b c"}, {' ', "LPUSH l z"}, {' ', "LRANGE l 0 -1"}, {' ', "LRANGE l 1 2"}, {' ', "LRANGE l 5 10"},
    {' ', "LRANGE l -100 100"}, {' ', "LRANGE l x 1"}, {' ', "LLEN l"}, {' ', "LLEN missing"}, {' ', "LINDEX l 0"},
    {' ', "LINDEX l -1"}, {' ', "LINDEX l 10"}, {' ', "LSET l 0 Z"}, {' ', "LSET l -1 C"}, {' ', "LSET l 10 x"},
    {' ', "LSET nolist 0 x"}, {' ', "LINSERT l BEFORE b bb"}, {' ', "LINSERT l AFTER nope x"},
    {' ', "LINSERT l MIDDLE b x"}, {' ', "LINSERT nolist BEFORE a b"}, {' ', "LRANGE l 0 -1"}, {' ', "RPUSH l b b"},
    {' ', "LREM l 2 b"}, {' ', "LRANGE l 0 -1"}, {' ', "LREM l -1 b"}, {' ', "LREM l 0 nope"}, {' ', "LRANGE l 0 -1"},
    {' ', "LTRIM l 1 -1"}, {' ', "LRANGE l 0 -1"}, {' ', "LPOP l"}, {' ', "RPOP l"}, {' ', "LPOP l 2"},
    {' ', "LPOP missing"}, {' ', "LPOP missing 2"}, {' ', "RPUSH l2 a b c d"}, {' ', "RPOP l2 2"}, {' ', "LPOP l2 0"},
    {' ', "LPOP l2 -1"}, {' ', "LPOP l2 1 2"}, {' ', "LPUSH a2 x"}, {' ', "LRANGE a2 0 1"}, {' ', "GET l2"},
    {' ', "RPUSH l3 a b"}, {' ', "LTRIM l3 0 -100"}, {' ', "EXISTS l3"}, {' ', "RPOP l2 10"}, {' ', "EXISTS l2"},
    /* hashes */
    {' ', "HSET h f v"}, {' ', "HSET h f v2 g w"}, {' ', "HGET h f"}, {' ', "HGET h nope"}, {' ', "HGET nokey f"},
    {' ', "HLEN h"}, {' ', "HEXISTS h f"}, {' ', "HEXISTS h nope"}, {' ', "HDEL h f nope"}, {' ', "HGETALL h"},
    {' ', "HGETALL nokey"}, {' ', "HINCRBY h n 5"}, {' ', "HINCRBY h n -2"}, {' ', "HINCRBY h g 1"},
    {' ', "HINCRBY h n x"}, {' ', "HSET h f"}, {' ', "HGET a2 f"}, {' ', "HSET h2 a 1 b 2 c 3"}, {' ', "HGETALL h2"},
    {' ', "HDEL h g n"}, {' ', "EXISTS h"}, {' ', "HSET h3 x 9223372036854775807"}, {' ', "HINCRBY h3 x 1"},
    /* sets */
    {' ', "SADD s a b c a"}, {' ', "SADD s a"}, {' ', "SCARD s"}, {' ', "SISMEMBER s a"}, {' ', "SISMEMBER s z"},
    {' ', "SREM s a z"}, {'U', "SMEMBERS s"}, {' ', "SMEMBERS missing"}, {' ', "SCARD missing"}, {' ', "SADD a2 x"},
    {' ', "SREM s b c"}, {' ', "EXISTS s"},
    /* sorted sets */
    {' ', "ZADD z 1 a 2 b 3 c"}, {' ', "ZADD z 1.5 a"}, {' ', "ZADD z NX 5 a 4 d"}, {' ', "ZADD z XX CH 10 b 7 e"},
    {' ', "ZADD z abc a"}, {' ', "ZADD z 1"}, {' ', "ZADD z NX XX 1 a"}, {' ', "ZADD z GT LT 1 a"},
    {' ', "ZADD z INCR 1 a 2 b"}, {' ', "ZADD z GT 1 a"}, {' ', "ZADD z LT CH 1 a"}, {' ', "ZSCORE z a"},
    {' ', "ZSCORE z nope"}, {' ', "ZSCORE z b"}, {' ', "ZCARD z"}, {' ', "ZRANGE z 0 -1"},
    {' ', "ZRANGE z 0 -1 WITHSCORES"}, {' ', "ZRANGE z 1 2 WITHSCORES"}, {' ', "ZRANGE z 0 -1 REV"},
    {' ', "ZRANGE z 0 1 REV WITHSCORES"}, {' ', "ZRANGE z 5 1"}, {' ', "ZRANGE z 0 -1 BAD"}, {' ', "ZREM z a nope"},
    {' ', "ZRANGE z 0 -1 WITHSCORES"}, {' ', "ZADD z 0.5 x"}, {' ', "ZSCORE z x"}, {' ', "ZADD z inf y -inf w"},
    {' ', "ZSCORE z y"}, {' ', "ZSCORE z w"}, {' ', "ZADD z INCR 2 d"}, {' ', "ZADD z INCR 2.5 newm"},
    {' ', "ZADD z 1 same 1 same"}, {' ', "ZADD z 2 tie 2 abc"}, {' ', "ZRANGE z 0 -1 WITHSCORES"}, {' ', "ZCARD nokey"},
    {' ', "ZRANK z a"}, {' ', "ZRANK z y"}, {' ', "ZREVRANK z y"}, {' ', "ZREVRANK z w"}, {' ', "ZRANK z nope"},
    {' ', "ZRANK nokey a"}, {' ', "ZRANK z"}, {' ', "ZADD a2 1 x"}, {' ', "ZSCORE a2 x"}, {' ', "ZRANK a2 x"}, {' ', "ZADD z nan x"}, {' ', "ZADD z1 1 a"}, {' ', "ZREM z1 a"},
    {' ', "EXISTS z1"},
    /* keys */
    {' ', "KEYS z*"}, {' ', "KEYS nomatch*"}, {' ', "KEYS [h]"}, {'U', "KEYS ?2"}, {'U', "KEYS *"},
    {' ', "SCAN 0 MATCH z COUNT 100000"}, {' ', "SCAN 0 MATCH z TYPE zset COUNT 100000"}, {' ', "SCAN x"},
    {' ', "SCAN 0 COUNT 0"}, {' ', "DBSIZE"}, {' ', "DEL a2 a3 missing"}, {' ', "DEL"}, {' ', "DBSIZE"},
    {' ', "TYPE z"}, {' ', "TYPE h"}, {' ', "TYPE s"}, {' ', "TYPE l"},
    /* DUMP/RESTORE: the payloads are each server's own (ember's value form here, RDB + CRC-64 there), so the
     * rows compare what does not depend on them: absent keys and every refusal, in Redis's order */
    {' ', "DUMP missing"}, {' ', "RESTORE z 0 junk"}, {' ', "RESTORE z -1 junk"}, {' ', "RESTORE z x junk"},
    {' ', "RESTORE rk x junk"}, {' ', "RESTORE rk -1 junk"}, {' ', "RESTORE rk 0 junk"}, {' ', "RESTORE rk 0 junk REPLACE"},
    {' ', "RESTORE rk 0 junk BAD"}, {' ', "RESTORE z 0 junk BAD"}, {' ', "RESTORE rk 0 junk IDLETIME -1"},
    {' ', "RESTORE rk 0 junk IDLETIME x"}, {' ', "RESTORE rk 0 junk FREQ 256"}, {' ', "RESTORE rk 0 junk FREQ 1 IDLETIME 1"},
    {' ', "RESTORE rk 0 junk IDLETIME"}, {' ', "RESTORE rk 0 ~"}, {' ', "RESTORE rk 0"}, {' ', "EXISTS rk"},
    {' ', "DUMP"},
    /* unknown command, arity */
    {' ', "FOO"}, {' ', "FOO bar baz"}, {' ', "HGET h"}, {' ', "LRANGE l 0"}, {' ', "CONFIG GET appendfsync"},
    {' ', "CONFIG BAD"}, {' ', "SAVE"}, {' ', "FLUSHDB BAD"}, {' ', "FLUSHDB"}, {' ', "DBSIZE"}, {' ', "KEYS *"},
};
#define NROWS (sizeof ROWS / sizeof ROWS[0])

/* Splits a row into args in buf; returns argc. */
static int split(const char *cmd, char *buf, size_t cap, const char **argv, int max) {
    int n = 0;
    char *p, *save = NULL;
    snprintf(buf, cap, "%s", cmd);
    for (p = strtok_r(buf, " ", &save); p && n < max; p = strtok_r(NULL, " ", &save)) argv[n++] = strcmp(p, "~") ? p : "";
    return n;
}

static int line_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Sorted lines of s, joined, into out (for the unordered rows). */
static void sorted_lines(const char *s, char *out, size_t cap) {
    char *copy = strdup(s), *p, *save = NULL;
    const char *lines[4096];
    size_t n = 0, i, len = 0;
    for (p = strtok_r(copy, "\r\n", &save); p && n < 4096; p = strtok_r(NULL, "\r\n", &save)) {
        /* redis-cli numbers array items ("1) "); the numbers follow the order, so drop them */
        char *q = p;
        while (*q == ' ' || (*q >= '0' && *q <= '9')) q++;
        if (*q == ')' && q != p) p = q + 2 <= p + strlen(p) ? q + 2 : q;
        lines[n++] = p;
    }
    qsort(lines, n, sizeof lines[0], line_cmp);
    out[0] = 0;
    for (i = 0; i < n; i++) len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s\n", lines[i]);
    free(copy);
}

typedef struct pair {
    ept_proc ours, redis;
    int ok;
} pair;

static int start_pair(pair *p) {
    char d1[1024], d2[1024];
    memset(p, 0, sizeof *p);
    if (!ept_need_servers(1)) return 0;
    snprintf(d1, sizeof d1, "%s/ours", ept_tmpdir());
    snprintf(d2, sizeof d2, "%s/redis", ept_tmpdir());
    mkdir(d1, 0700);
    mkdir(d2, 0700);
    if (ept_start_ours(&p->ours, d1, NULL) != 0) return -1;
    if (ept_start_redis(&p->redis, d2, NULL) != 0) {
        ept_stop(&p->ours, 1);
        return -1;
    }
    return 1;
}

static void stop_pair(pair *p) {
    ept_stop(&p->ours, 1);
    ept_stop(&p->redis, 1);
}

/* 'T' rows: equal but for the first number, which may differ by one (the
 * TTL's rounding, see the top). Prefix and suffix around it must match. */
static int same_but_clock(const char *a, size_t an, const char *b, size_t bn) {
    size_t i = 0, ja, jb;
    long na = 0, nb = 0;
    while (i < an && i < bn && a[i] == b[i] && (a[i] < '0' || a[i] > '9')) i++;
    if (i >= an || i >= bn) return an == bn && memcmp(a, b, an) == 0;
    for (ja = i; ja < an && a[ja] >= '0' && a[ja] <= '9' && ja - i < 12; ja++) na = na * 10 + (a[ja] - '0');
    for (jb = i; jb < bn && b[jb] >= '0' && b[jb] <= '9' && jb - i < 12; jb++) nb = nb * 10 + (b[jb] - '0');
    if (ja == i || jb == i || na - nb > 1 || nb - na > 1) return 0;
    return an - ja == bn - jb && memcmp(a + ja, b + jb, an - ja) == 0;
}

/* Sends every row over raw sockets (after HELLO 3 when resp3) and compares bytes. */
static int raw_pass(pair *p, int resp3, int *compared) {
    int fo = ept_connect(p->ours.port), fr = ept_connect(p->redis.port), bad = 0;
    size_t i;
    if (fo < 0 || fr < 0) return -1;
    {
        const char *flush[1] = {"FLUSHDB"}, *hello[2] = {"HELLO", "3"};
        char *a = NULL, *b = NULL;
        size_t an, bn;
        ept_call(fo, &a, &an, 1, flush);
        free(a);
        ept_call(fr, &b, &bn, 1, flush);
        free(b);
        if (resp3) {
            ept_call(fo, &a, &an, 2, hello);
            ept_call(fr, &b, &bn, 2, hello);
            if (!a || !b || a[0] != '%' || b[0] != '%') bad++;
            free(a);
            free(b);
        }
    }
    for (i = 0; i < NROWS; i++) {
        char buf[512], *a = NULL, *b = NULL;
        const char *argv[32];
        size_t an = 0, bn = 0;
        int argc = split(ROWS[i].cmd, buf, sizeof buf, argv, 32);
        int ra = ept_call(fo, &a, &an, argc, argv), rb = ept_call(fr, &b, &bn, argc, argv);
        if (ra || rb) {
            printf("    %s: no reply (ours %d, redis %d)\n", ROWS[i].cmd, ra, rb);
            bad++;
        } else if ((ROWS[i].mode == ' ' && (an != bn || memcmp(a, b, an) != 0)) ||
                   (ROWS[i].mode == 'T' && !same_but_clock(a, an, b, bn))) {
            printf("    RESP%d %s:\n      ours  %.*s\n      redis %.*s\n", resp3 ? 3 : 2, ROWS[i].cmd, (int)an, a,
                   (int)bn, b);
            bad++;
        } else if (ROWS[i].mode != 'U') {
            (*compared)++;
        }
        free(a);
        free(b);
    }
    close(fo);
    close(fr);
    return bad;
}

EPT_CASE(resp2_replies_byte_for_byte) {
    pair p;
    int r = start_pair(&p), compared = 0;
    if (r == 0) return;
    EPT_CHECK(r == 1);
    r = raw_pass(&p, 0, &compared);
    stop_pair(&p);
    printf("    %d rows compared byte for byte\n", compared);
    EPT_CHECK_EQ(r, 0);
}

EPT_CASE(resp3_replies_byte_for_byte) {
    pair p;
    int r = start_pair(&p), compared = 0;
    if (r == 0) return;
    EPT_CHECK(r == 1);
    r = raw_pass(&p, 1, &compared);
    stop_pair(&p);
    printf("    %d rows compared byte for byte\n", compared);
    EPT_CHECK_EQ(r, 0);
}

/* The same rows through the real redis-cli, output compared as text. */
EPT_CASE(redis_cli_output_identical) {
    pair p;
    size_t i;
    int r = start_pair(&p), bad = 0, same = 0;
    static char a[1 << 16], b[1 << 16], sa[1 << 16], sb[1 << 16];
    const char *flush[2] = {"FLUSHDB", NULL};
    if (r == 0) return;
    EPT_CHECK(r == 1);
    ept_cli(p.ours.port, "", flush, a, sizeof a);
    ept_cli(p.redis.port, "", flush, b, sizeof b);
    for (i = 0; i < NROWS && bad < 20; i++) {
        char buf[512];
        const char *argv[33];
        int argc = split(ROWS[i].cmd, buf, sizeof buf, argv, 32);
        argv[argc] = NULL;
        if (ept_cli(p.ours.port, "--no-raw", argv, a, sizeof a) < 0 ||
            ept_cli(p.redis.port, "--no-raw", argv, b, sizeof b) < 0) {
            bad++;
            continue;
        }
        if (ROWS[i].mode == 'U') {
            sorted_lines(a, sa, sizeof sa);
            sorted_lines(b, sb, sizeof sb);
            if (strcmp(sa, sb)) {
                printf("    cli %s (sorted):\n      ours  %s\n      redis %s\n", ROWS[i].cmd, sa, sb);
                bad++;
            }
        } else if (ROWS[i].mode == 'T' ? !same_but_clock(a, strlen(a), b, strlen(b)) : strcmp(a, b) != 0) {
            printf("    cli %s:\n      ours  %s\n      redis %s\n", ROWS[i].cmd, a, b);
            bad++;
        } else if (a[0]) {
            same++;
        }
    }
    stop_pair(&p);
    printf("    %d rows gave the same non-empty redis-cli output\n", same);
    EPT_CHECK_EQ(bad, 0);
}

/* The unordered rows, compared sorted over RESP2 (the raw passes skip them). */
EPT_CASE(unordered_rows_same_members) {
    pair p;
    int r = start_pair(&p);
    if (r == 0) return;
    EPT_CHECK(r == 1);
    {
        static char a[1 << 16], b[1 << 16], sa[1 << 16], sb[1 << 16];
        const char *setup[] = {"HSET h2 a 1 b 2 c 3", "SADD s a b c d e f", "SET k1 v", "SET k2 v"};
        const char *checks[] = {"HGETALL h2", "SMEMBERS s", "KEYS *"};
        size_t i;
        for (i = 0; i < 4; i++) {
            char buf[256];
            const char *argv[16];
            int argc = split(setup[i], buf, sizeof buf, argv, 15);
            argv[argc] = NULL;
            ept_cli(p.ours.port, "", argv, a, sizeof a);
            ept_cli(p.redis.port, "", argv, b, sizeof b);
        }
        for (i = 0; i < 3; i++) {
            char buf[256];
            const char *argv[16];
            int argc = split(checks[i], buf, sizeof buf, argv, 15);
            argv[argc] = NULL;
            ept_cli(p.ours.port, "--no-raw", argv, a, sizeof a);
            ept_cli(p.redis.port, "--no-raw", argv, b, sizeof b);
            sorted_lines(a, sa, sizeof sa);
            sorted_lines(b, sb, sizeof sb);
            EPT_EXPECT(strcmp(sa, sb) == 0);
        }
    }
    stop_pair(&p);
}

EPT_MAIN()
#else
#include "harness.h"
EPT_CASE(windows) {
    ept_skip("resp_server and the test clients are POSIX (fork, signals, sockets)");
}
EPT_MAIN()
#endif /* _WIN32 */
