/* resp_server under bad input: oversized and malformed requests, a client
 * that never reads, and many connections at once. Each bad request must get
 * Redis's error words and the connection closed (compared byte for byte with
 * a real redis-server 7 where both refuse the same bytes; the rows where
 * Redis 7.0 differs are listed with the reason); the server must stay up and
 * answer another client; its memory must stay bounded (VmRSS and the peak
 * VmHWM from /proc/<pid>/status, skipped off Linux). All servers on
 * 127.0.0.1 with OS-picked ports, in their own directories, stopped by pid;
 * every wait bounded. */
#define _POSIX_C_SOURCE 200809L
#ifndef _WIN32
#include "ember_persist.h"
#include "harness.h"
#include "support/procs.h"
#include "support/redis_util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A kB figure of /proc/<pid>/status ("VmRSS:", "VmHWM:"), -1 off Linux. */
static long status_kb(int pid, const char *field) {
    char path[64], line[256];
    size_t n = strlen(field);
    long v = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (!(f = fopen(path, "r"))) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) v = atol(line + n);
    fclose(f);
    return v;
}

/* Sends n bytes (stops early, without failing, if the peer closed or reset:
 * a server that refused the request stops reading). Returns bytes sent. */
static size_t send_some(int fd, const void *p, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t w = send(fd, (const char *)p + done, n - done, MSG_NOSIGNAL);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        break;
    }
    return done;
}

/* Reads until the peer closes (or resets), at most ms: the bytes in out
 * (cap, NUL-terminated). *closed 1 if it closed. */
static size_t read_until_close(int fd, char *out, size_t cap, int ms, int *closed) {
    size_t n = 0;
    long long end = ept_ms() + ms;
    *closed = 0;
    while (ept_ms() < end) {
        struct pollfd p;
        ssize_t r;
        p.fd = fd;
        p.events = POLLIN;
        if (poll(&p, 1, (int)(end - ept_ms())) <= 0) break;
        r = recv(fd, out + n, cap - 1 - n, 0);
        if (r > 0) {
            n += (size_t)r;
            if (n == cap - 1) break;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        *closed = 1; /* 0: closed; ECONNRESET: closed with our bytes unread */
        break;
    }
    out[n] = 0;
    return n;
}

static int ping_ok(int port) {
    const char *argv[1] = {"PING"};
    char *out = NULL;
    size_t n = 0;
    int fd = ept_connect(port), ok;
    if (fd < 0) return 0;
    ok = ept_call(fd, &out, &n, 1, argv) == 0 && n == 7 && memcmp(out, "+PONG\r\n", 7) == 0;
    free(out);
    close(fd);
    return ok;
}

/* Sends a request on a fresh connection; the reply and whether it closed. */
static void one_shot(int port, const void *req, size_t n, char *out, size_t cap, int *closed) {
    int fd = ept_connect(port);
    *closed = 0;
    out[0] = 0;
    if (fd < 0) return;
    send_some(fd, req, n);
    read_until_close(fd, out, cap, 3000, closed);
    close(fd);
}

static int start_ours(ept_proc *p, const char *name, const char *const *extra) {
    char d[1024];
    if (!ept_need_servers(0)) return 0;
    snprintf(d, sizeof d, "%s/%s", ept_tmpdir(), name);
    mkdir(d, 0700);
    return ept_start_ours(p, d, extra) == 0 ? 1 : -1;
}

typedef struct bad_row {
    const char *name;
    const char *req;
    size_t len;             /* 0: strlen(req) */
    const char *want;       /* our reply */
    int close;              /* we close the connection after it */
    int same_as_redis;      /* redis-server 7.0 answers these bytes the same way */
} bad_row;

/* Where Redis 7.0 differs, ours is the stricter (and the issue's) rule:
 *  - 1 M + 1 arguments: Redis 7.0 accepts any count up to INT_MAX (and waits
 *    for the arguments); the issue caps a command at 1 M arguments.
 *  - a bulk not followed by CRLF: Redis 7.0 skips the two bytes unread (so
 *    "$1\r\nbXX" is "b"); the codec refuses them. */
static const bad_row ROWS[] = {
    {"bulk over 512 MiB", "*1\r\n$536870913\r\n", 0, "-ERR Protocol error: invalid bulk length\r\n", 1, 1},
    {"negative bulk", "*1\r\n$-5\r\n", 0, "-ERR Protocol error: invalid bulk length\r\n", 1, 1},
    {"bulk length not a number", "*1\r\n$4xyz\r\n", 0, "-ERR Protocol error: invalid bulk length\r\n", 1, 1},
    {"multibulk over INT_MAX", "*2147483648\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n", 1, 1},
    {"multibulk absurd", "*99999999999999999999999\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n", 1, 1},
    {"multibulk not a number", "*abc\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n", 1, 1},
    {"1 M + 1 arguments", "*1048577\r\n", 0, "-ERR Protocol error: invalid multibulk length\r\n", 1, 0},
    {"negative multibulk is ignored", "*-5\r\nPING\r\n", 0, "+PONG\r\n", 0, 1},
    {"not a bulk inside a multibulk", "*1\r\n+foo\r\n", 0, "-ERR Protocol error: expected '$', got '+'\r\n", 1, 1},
    {"unbalanced quotes inline", "SET \"a\r\n", 0, "-ERR Protocol error: unbalanced quotes in request\r\n", 1, 1},
    {"bulk without CRLF", "*1\r\n$4\r\nPINGxx", 0, "-ERR Protocol error: bulk string not followed by CRLF\r\n", 1, 0},
    {"garbage then a command", "\x01\x02\xff\xfe\r\nPING\r\n", 0,
     "-ERR unknown command '\x01\x02\xff\xfe', with args beginning with: \r\n+PONG\r\n", 0, 1},
};
#define NROWS (sizeof ROWS / sizeof ROWS[0])

EPT_CASE(malformed_requests_get_redis_errors_and_close) {
    ept_proc ours, redis;
    char out[4096], rout[4096];
    size_t i;
    int closed, rclosed, have_redis = ept_have_program("redis-server"), r, compared = 0;
    if ((r = start_ours(&ours, "ours", NULL)) == 0) return;
    EPT_CHECK(r == 1);
    if (have_redis) {
        char d[1024];
        snprintf(d, sizeof d, "%s/redis", ept_tmpdir());
        mkdir(d, 0700);
        if (ept_start_redis(&redis, d, NULL) != 0) have_redis = 0;
    }
    for (i = 0; i < NROWS; i++) {
        const bad_row *row = &ROWS[i];
        size_t len = row->len ? row->len : strlen(row->req);
        one_shot(ours.port, row->req, len, out, sizeof out, &closed);
        if (strcmp(out, row->want) != 0 || closed != row->close)
            printf("    %s: got \"%s\" (closed %d), want \"%s\" (closed %d)\n", row->name, out, closed, row->want,
                   row->close);
        EPT_EXPECT(strcmp(out, row->want) == 0);
        EPT_EXPECT(closed == row->close);
        if (have_redis && row->same_as_redis) {
            one_shot(redis.port, row->req, len, rout, sizeof rout, &rclosed);
            if (strcmp(out, rout) != 0 || closed != rclosed)
                printf("    %s: redis-server said \"%s\" (closed %d)\n", row->name, rout, rclosed);
            EPT_EXPECT(strcmp(out, rout) == 0 && closed == rclosed);
            compared++;
        }
        EPT_EXPECT(ping_ok(ours.port));
    }
    printf("    %zu rows, %d compared with redis-server byte for byte%s\n", NROWS, compared,
           have_redis ? "" : " (redis-server not installed)");
    if (have_redis) ept_stop(&redis, 1);
    ept_stop(&ours, 1);
}

/* An inline line longer than Redis's 64 KiB: refused once 64 KiB arrived
 * (compared with redis-server on 70 000 bytes), and a 64 MiB + 1 line sent
 * in full costs the server no more than the cap. */
EPT_CASE(inline_line_over_the_cap) {
    ept_proc ours, redis;
    static const char want[] = "-ERR Protocol error: too big inline request\r\n";
    char out[4096];
    size_t big = ((size_t)64 << 20) + 1, sent;
    char *line = (char *)malloc(big);
    long rss0, hwm;
    int closed, fd, r;
    EPT_CHECK(line != NULL);
    memset(line, 'a', big);
    if ((r = start_ours(&ours, "ours", NULL)) == 0) {
        free(line);
        return;
    }
    EPT_CHECK(r == 1);
    one_shot(ours.port, line, 70000, out, sizeof out, &closed);
    EPT_EXPECT(strcmp(out, want) == 0 && closed);
    if (ept_have_program("redis-server")) {
        char d[1024];
        snprintf(d, sizeof d, "%s/redis", ept_tmpdir());
        mkdir(d, 0700);
        if (ept_start_redis(&redis, d, NULL) == 0) {
            one_shot(redis.port, line, 70000, out, sizeof out, &closed);
            EPT_EXPECT(strcmp(out, want) == 0 && closed);
            ept_stop(&redis, 1);
        }
    }
    rss0 = status_kb(ours.port ? (int)ours.pid : 0, "VmRSS:");
    fd = ept_connect(ours.port);
    EPT_CHECK(fd >= 0);
    sent = send_some(fd, line, big); /* stops when the server closes on us */
    read_until_close(fd, out, sizeof out, 3000, &closed);
    close(fd);
    free(line);
    EPT_EXPECT(closed);
    EPT_EXPECT(ping_ok(ours.port));
    hwm = status_kb((int)ours.pid, "VmHWM:");
    printf("    64 MiB + 1 line: %zu bytes taken before the close; server RSS %ld kB before, peak %ld kB\n", sent, rss0,
           hwm);
    if (hwm >= 0) EPT_EXPECT(hwm - rss0 < 16 * 1024); /* the line was never buffered */
    ept_stop(&ours, 1);
}

/* 20 clients each announce a 512 MiB argument (the largest allowed) and send
 * only part of it; 20 more announce 1 M arguments. The server keeps
 * answering, and its resident memory does not grow by what was announced. */
EPT_CASE(announced_but_unsent_sizes_cost_nothing) {
    ept_proc ours;
    int fds[40], i, r;
    long rss0, rss1;
    char chunk[65536];
    if ((r = start_ours(&ours, "ours", NULL)) == 0) return;
    EPT_CHECK(r == 1);
    rss0 = status_kb((int)ours.pid, "VmRSS:");
    memset(chunk, 'x', sizeof chunk);
    for (i = 0; i < 40; i++) {
        fds[i] = ept_connect(ours.port);
        EPT_CHECK(fds[i] >= 0);
        if (i < 20) {
            send_some(fds[i], "*2\r\n$3\r\nGET\r\n$536870912\r\n", 25);
            send_some(fds[i], chunk, sizeof chunk);
        } else {
            send_some(fds[i], "*1048576\r\n$4\r\nPING\r\n", 20);
        }
    }
    ept_sleep_ms(200);
    EPT_EXPECT(ping_ok(ours.port));
    rss1 = status_kb((int)ours.pid, "VmRSS:");
    printf("    40 half-sent giant requests: server RSS %ld kB -> %ld kB\n", rss0, rss1);
    if (rss0 >= 0) EPT_EXPECT(rss1 - rss0 < 64 * 1024);
    for (i = 0; i < 40; i++) close(fds[i]);
    EPT_EXPECT(ping_ok(ours.port));
    ept_stop(&ours, 1);
}

static int connected_clients(int port) {
    const char *argv[2] = {"INFO", "clients"};
    char *out = NULL, *p;
    size_t n = 0;
    int fd = ept_connect(port), v = -1;
    if (fd < 0) return -1;
    if (ept_call(fd, &out, &n, 2, argv) == 0 && (p = strstr(out, "connected_clients:")) != NULL)
        v = atoi(p + strlen("connected_clients:"));
    free(out);
    close(fd);
    return v; /* this connection included */
}

static int set_big(int port, size_t n) {
    char *v = (char *)malloc(n), *out = NULL;
    const char *argv[3];
    size_t len[3], on = 0;
    int fd = ept_connect(port), ok;
    if (!v || fd < 0) {
        free(v);
        if (fd >= 0) close(fd);
        return 0;
    }
    memset(v, 'v', n);
    argv[0] = "SET";
    argv[1] = "big";
    argv[2] = v;
    len[0] = 3;
    len[1] = 3;
    len[2] = n;
    ok = ept_send(fd, 3, argv, len) == 0 && ept_read_reply(fd, &out, &on) == 0 && on == 5;
    free(out);
    free(v);
    close(fd);
    return ok;
}

/* A client that pipelines 400 GETs of a 1 MiB value and never reads: the
 * server stops reading it once 1 MiB waits, so its memory stays near one
 * reply (not 400 MiB), and it answers others meanwhile. With a hard limit
 * (--client-output-limit 4 MiB, Redis's client-output-buffer-limit), a
 * client that asks for more than it reads is dropped. */
EPT_CASE(slow_client_is_bounded_then_dropped) {
    static const char get[] = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    const char *extra[] = {"--client-output-limit", "4194304", NULL};
    ept_proc ours;
    int fd, i, r, n = -1;
    long rss0, rss1;
    long long end;
    char *many;
    if ((r = start_ours(&ours, "paused", NULL)) == 0) return;
    EPT_CHECK(r == 1);
    EPT_CHECK(set_big(ours.port, (size_t)1 << 20));
    rss0 = status_kb((int)ours.pid, "VmRSS:");
    many = (char *)malloc(400 * (sizeof get - 1));
    EPT_CHECK(many != NULL);
    for (i = 0; i < 400; i++) memcpy(many + (size_t)i * (sizeof get - 1), get, sizeof get - 1);
    fd = ept_connect(ours.port);
    EPT_CHECK(fd >= 0);
    send_some(fd, many, 400 * (sizeof get - 1));
    ept_sleep_ms(300);
    EPT_EXPECT(ping_ok(ours.port));
    rss1 = status_kb((int)ours.pid, "VmRSS:");
    printf("    400 unread 1 MiB replies: server RSS %ld kB -> %ld kB, clients %d\n", rss0, rss1,
           connected_clients(ours.port));
    if (rss0 >= 0) EPT_EXPECT(rss1 - rss0 < 32 * 1024);
    EPT_EXPECT(connected_clients(ours.port) == 2); /* paused, not dropped: the default limit is 512 MiB */
    close(fd);
    ept_stop(&ours, 1);

    if ((r = start_ours(&ours, "limited", extra)) == 0) return;
    EPT_CHECK(r == 1);
    EPT_CHECK(set_big(ours.port, (size_t)1 << 20));
    fd = ept_connect(ours.port);
    EPT_CHECK(fd >= 0);
    /* one MGET of 16 MiB, more than the kernel's socket buffers and the limit together */
    {
        char req[512];
        size_t len = (size_t)snprintf(req, sizeof req, "*17\r\n$4\r\nMGET\r\n");
        for (i = 0; i < 16; i++) len += (size_t)snprintf(req + len, sizeof req - len, "$3\r\nbig\r\n");
        send_some(fd, req, len);
    }
    for (end = ept_ms() + 5000; ept_ms() < end; ept_sleep_ms(50))
        if ((n = connected_clients(ours.port)) == 1) break;
    EPT_EXPECT(n == 1); /* only the INFO connection: the reader was dropped */
    {
        char buf[1 << 16];
        int closed = 0;
        long long stop = ept_ms() + 5000;
        while (!closed && ept_ms() < stop) read_until_close(fd, buf, sizeof buf, 1000, &closed);
        EPT_EXPECT(closed);
    }
    close(fd);
    EPT_EXPECT(ping_ok(ours.port));
    free(many);
    ept_stop(&ours, 1);
}

/* 300 connections at once: 150 idle, 150 each sending a bad request. Every
 * bad one gets its error and is closed; the idle ones stay; the server
 * answers a new client and its memory stays bounded. */
EPT_CASE(many_connections) {
    enum { N = 300 };
    static int fds[N];
    ept_proc ours;
    int i, r, errors = 0, closes = 0;
    long rss0, rss1;
    if ((r = start_ours(&ours, "ours", NULL)) == 0) return;
    EPT_CHECK(r == 1);
    rss0 = status_kb((int)ours.pid, "VmRSS:");
    for (i = 0; i < N; i++) {
        fds[i] = ept_connect(ours.port);
        EPT_CHECK(fds[i] >= 0);
        if (i % 2) send_some(fds[i], "*1\r\n$-7\r\n", 9);
    }
    for (i = 1; i < N; i += 2) {
        char out[256];
        int closed;
        read_until_close(fds[i], out, sizeof out, 3000, &closed);
        errors += strcmp(out, "-ERR Protocol error: invalid bulk length\r\n") == 0;
        closes += closed;
    }
    EPT_EXPECT((errors) == (N / 2));
    EPT_EXPECT((closes) == (N / 2));
    EPT_EXPECT(ping_ok(ours.port));
    EPT_EXPECT((connected_clients(ours.port)) == (N / 2 + 1));
    rss1 = status_kb((int)ours.pid, "VmRSS:");
    printf("    %d connections (%d refused): server RSS %ld kB -> %ld kB\n", N, N / 2, rss0, rss1);
    if (rss0 >= 0) EPT_EXPECT(rss1 - rss0 < 32 * 1024);
    for (i = 0; i < N; i += 2) close(fds[i]);
    for (i = 1; i < N; i += 2) close(fds[i]);
    EPT_EXPECT(ping_ok(ours.port));
    ept_stop(&ours, 1);
}

/* The same event-loop cases against the poll loop (resp_server built with
 * -DSRV_USE_POLL, as on systems without epoll): bad requests closed, slow
 * clients bounded and dropped, 300 connections at once. */
EPT_CASE(poll_loop_passes_the_same_cases) {
    static const char poll_build[] = "build/examples/resp_server_poll";
    char saved[1024];
    const char *was = getenv("EP_RESP_SERVER");
    if (access(poll_build, X_OK) != 0) {
        ept_skip("build/examples/resp_server_poll not built (make)");
        return;
    }
    snprintf(saved, sizeof saved, "%s", was ? was : "");
    setenv("EP_RESP_SERVER", poll_build, 1);
    malformed_requests_get_redis_errors_and_close();
    slow_client_is_bounded_then_dropped();
    many_connections();
    if (was) setenv("EP_RESP_SERVER", saved, 1);
    else unsetenv("EP_RESP_SERVER");
}

EPT_MAIN()
#else
#include "harness.h"
EPT_CASE(windows) {
    ept_skip("resp_server and the test clients are POSIX (fork, signals, sockets, poll)");
}
EPT_MAIN()
#endif /* _WIN32 */
