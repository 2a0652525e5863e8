/* Test processes and clients (procs.h). */
#define _POSIX_C_SOURCE 200809L
#include "procs.h"

/* The clock and the sleep every bounded wait of the support code uses
 * (run_cmd, redis_util too), on every system. */
#ifdef _WIN32
#include <windows.h>
long long ept_ms(void) { return (long long)GetTickCount64(); }
void ept_sleep_ms(int ms) { Sleep((DWORD)(ms > 0 ? ms : 0)); }
#else
#include <time.h>
long long ept_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ept_sleep_ms(int ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}
#endif

/* The rest is POSIX only (fork, signals, sockets); on Windows the server
 * tests that use it say they skip. */
#ifndef _WIN32
#include "redis_util.h"
#include "run_cmd.h"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* Test-only state: every child still running, for the atexit hook. */
#define EPT_MAX_PROCS 64
static pid_t ept_live[EPT_MAX_PROCS];
static int ept_hook_set;

static void ept_kill_all(void) {
    int i;
    for (i = 0; i < EPT_MAX_PROCS; i++)
        if (ept_live[i] > 0) {
            kill(ept_live[i], SIGKILL);
            waitpid(ept_live[i], NULL, 0);
            ept_live[i] = 0;
        }
}

static void ept_track(pid_t pid, int add) {
    int i;
    if (!ept_hook_set) {
        atexit(ept_kill_all);
        ept_hook_set = 1;
    }
    for (i = 0; i < EPT_MAX_PROCS; i++) {
        if (add && ept_live[i] == 0) {
            ept_live[i] = pid;
            return;
        }
        if (!add && ept_live[i] == pid) {
            ept_live[i] = 0;
            return;
        }
    }
}

const char *ept_resp_server_path(void) {
    const char *p = getenv("EP_RESP_SERVER");
    return p && *p ? p : "build/examples/resp_server";
}

int ept_need_servers(int need_redis) {
    if (access(ept_resp_server_path(), X_OK) != 0) {
        ept_skip("build/examples/resp_server not built");
        return 0;
    }
    return !need_redis || ept_need_redis();
}

/* In a freshly forked child: die with the test. The atexit hook stops
 * servers when a test returns or fails a check, but not when it is killed
 * or crashes (SIGKILL from a timeout, SIGSEGV, an ASan abort): on Linux the
 * kernel then sends the server SIGKILL, so no server outlives its test. */
static void ept_die_with_parent(pid_t parent) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent) _exit(127); /* the parent died before prctl */
}

static pid_t ept_spawn(const char *const *argv, int *out_fd) {
    int pfd[2] = {-1, -1};
    pid_t pid;
    pid_t parent = getpid();
    if (out_fd && pipe(pfd) != 0) return -1;
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int devnull;
        ept_die_with_parent(parent);
        devnull = open("/dev/null", O_RDWR);
        if (out_fd) {
            dup2(pfd[1], 1);
            close(pfd[0]);
            close(pfd[1]);
        } else {
            dup2(devnull, 1);
        }
        if (!getenv("EPT_SERVER_STDERR")) dup2(devnull, 2);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    ept_track(pid, 1);
    if (out_fd) {
        close(pfd[1]);
        *out_fd = pfd[0];
    }
    return pid;
}

int ept_wait_exit(ept_proc *p, int ms) {
    long long end = ept_ms() + ms;
    if (p->pid <= 0) return 1;
    for (;;) {
        pid_t r = waitpid(p->pid, NULL, WNOHANG);
        if (r == p->pid || (r < 0 && errno == ECHILD)) {
            ept_track(p->pid, 0);
            p->pid = 0;
            return 1;
        }
        if (ept_ms() >= end) return 0;
        ept_sleep_ms(5);
    }
}

void ept_stop(ept_proc *p, int hard) {
    if (p->pid <= 0) return;
    kill(p->pid, hard ? SIGKILL : SIGTERM);
    if (!ept_wait_exit(p, 5000)) {
        kill(p->pid, SIGKILL);
        (void)ept_wait_exit(p, 5000);
    }
}

int ept_start_ours(ept_proc *p, const char *dir, const char *const *extra) {
    const char *argv[32];
    int n = 0, fd = -1;
    char line[64];
    size_t got = 0;
    long long end = ept_ms() + 10000;
    argv[n++] = ept_resp_server_path();
    argv[n++] = "--dir";
    argv[n++] = dir;
    argv[n++] = "--port";
    argv[n++] = "0";
    while (extra && *extra && n < 30) argv[n++] = *extra++;
    argv[n] = NULL;
    p->pid = ept_spawn(argv, &fd);
    p->port = -1;
    if (p->pid < 0) return -1;
    while (got < sizeof line - 1 && ept_ms() < end) {
        struct pollfd pf;
        ssize_t r;
        pf.fd = fd;
        pf.events = POLLIN;
        if (poll(&pf, 1, 100) <= 0) continue;
        r = read(fd, line + got, 1);
        if (r <= 0) break;
        if (line[got] == '\n') {
            line[got] = 0;
            if (sscanf(line, "ready %d", &p->port) == 1) break;
            got = 0;
            continue;
        }
        got++;
    }
    close(fd);
    if (p->port <= 0) {
        ept_stop(p, 1);
        return -1;
    }
    return 0;
}

int ept_start_redis(ept_proc *p, const char *dir, const char *const *extra) {
    return ept_start_redis_timeout(p, dir, extra, 10000);
}

int ept_start_redis_timeout(ept_proc *p, const char *dir, const char *const *extra, int timeout_ms) {
    const char *argv[40];
    char port[16];
    int n = 0, attempt;
    for (attempt = 0; attempt < 3; attempt++) {
        long long end = ept_ms() + timeout_ms;
        p->port = ept_free_port();
        snprintf(port, sizeof port, "%d", p->port);
        n = 0;
        argv[n++] = "redis-server";
        argv[n++] = "--port";
        argv[n++] = port;
        argv[n++] = "--bind";
        argv[n++] = "127.0.0.1";
        argv[n++] = "--dir";
        argv[n++] = dir;
        argv[n++] = "--save";
        argv[n++] = "";
        argv[n++] = "--daemonize";
        argv[n++] = "no";
        argv[n++] = "--logfile";
        argv[n++] = "";
        while (extra && *extra && n < 38) argv[n++] = *extra++;
        argv[n] = NULL;
        p->pid = ept_spawn(argv, NULL);
        if (p->pid < 0) return -1;
        while (ept_ms() < end) {
            int fd = ept_connect(p->port);
            if (fd >= 0) {
                const char *ping[1] = {"PING"};
                char *r = NULL;
                size_t rn;
                int ok = ept_call(fd, &r, &rn, 1, ping) == 0 && rn >= 5 && memcmp(r, "+PONG", 5) == 0;
                free(r);
                close(fd);
                if (ok) return 0;
            }
            if (ept_wait_exit(p, 0)) break; /* exited: the port was taken meanwhile */
            ept_sleep_ms(20);
        }
        ept_stop(p, 1);
    }
    return -1;
}

int ept_connect(int port) { return ept_connect_timeout(port, 5); }

int ept_connect_timeout(int port, int seconds) {
    struct sockaddr_in a;
    struct timeval tv;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tv.tv_sec = seconds;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int ept_write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One write per command: pieces sent apart meet Nagle and delayed ACKs (40 ms each). */
int ept_send(int fd, int argc, const char *const *argv, const size_t *len) {
    size_t cap = 32, n = 0, i;
    char *b;
    int r;
    for (i = 0; i < (size_t)argc; i++) cap += 32 + (len ? len[i] : strlen(argv[i]));
    b = (char *)malloc(cap);
    if (!b) return -1;
    n += (size_t)snprintf(b + n, cap - n, "*%d\r\n", argc);
    for (i = 0; i < (size_t)argc; i++) {
        size_t m = len ? len[i] : strlen(argv[i]);
        n += (size_t)snprintf(b + n, cap - n, "$%zu\r\n", m);
        memcpy(b + n, argv[i], m);
        n += m;
        b[n++] = '\r';
        b[n++] = '\n';
    }
    r = ept_write_all(fd, b, n);
    free(b);
    return r;
}

static long ept_line_end(const char *p, size_t n) {
    size_t i;
    for (i = 0; i + 1 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n') return (long)i;
    return -1;
}

long ept_resp_len(const char *p, size_t n) {
    long le, total, k, count;
    if (n == 0) return 0;
    le = ept_line_end(p, n);
    if (le < 0) return 0;
    switch (p[0]) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        return le + 2;
    case '$': case '!': case '=': {
        long len = atol(p + 1);
        if (len < 0) return le + 2;
        if ((size_t)(le + 2 + len + 2) > n) return 0;
        return le + 2 + len + 2;
    }
    case '*': case '~': case '>': case '%': case '|':
        count = atol(p + 1);
        if (count < 0) return le + 2;
        if (p[0] == '%' || p[0] == '|') count *= 2;
        total = le + 2;
        for (k = 0; k < count; k++) {
            long m = ept_resp_len(p + total, n - (size_t)total);
            if (m <= 0) return m;
            total += m;
        }
        if (p[0] == '|') { /* attributes come before the value they describe */
            long m = ept_resp_len(p + total, n - (size_t)total);
            if (m <= 0) return m;
            total += m;
        }
        return total;
    default:
        return -1;
    }
}

int ept_read_reply(int fd, char **out, size_t *n) {
    size_t cap = 4096, len = 0;
    char *b = (char *)malloc(cap + 1);
    *out = NULL;
    *n = 0;
    if (!b) return -1;
    for (;;) {
        long m = ept_resp_len(b, len);
        ssize_t r;
        if (m < 0) break;
        if (m > 0) {
            /* exactly one reply: the caller sends one command at a time */
            b[m] = 0;
            *out = b;
            *n = (size_t)m;
            return 0;
        }
        if (len == cap) {
            char *nb;
            if (cap >= (64u << 20)) break;
            cap *= 2;
            nb = (char *)realloc(b, cap + 1);
            if (!nb) break;
            b = nb;
        }
        r = recv(fd, b + len, cap - len, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            break;
        }
        len += (size_t)r;
    }
    free(b);
    return -1;
}

int ept_call(int fd, char **out, size_t *n, int argc, const char *const *argv) {
    *out = NULL;
    *n = 0;
    if (ept_send(fd, argc, argv, NULL)) return -1;
    return ept_read_reply(fd, out, n);
}

int ept_cli(int port, const char *flags, const char *const *args, char *out, size_t cap) {
    const char *argv[64];
    char portbuf[16], flagbuf[256];
    int n = 0, status;
    ept_cmd_out o;
    snprintf(portbuf, sizeof portbuf, "%d", port);
    argv[n++] = "redis-cli";
    argv[n++] = "-p";
    argv[n++] = portbuf;
    if (flags && *flags) { /* space-separated, no quoting */
        char *tok, *save = NULL;
        snprintf(flagbuf, sizeof flagbuf, "%s", flags);
        for (tok = strtok_r(flagbuf, " ", &save); tok && n < 10; tok = strtok_r(NULL, " ", &save)) argv[n++] = tok;
    }
    while (args && *args && n < 62) argv[n++] = *args++;
    argv[n] = NULL;
    status = ept_run_argv(argv, NULL, NULL, 10000, &o);
    if (out && cap) {
        size_t k = o.out_len < cap - 1 ? o.out_len : cap - 1;
        if (k) memcpy(out, o.out, k);
        out[k] = 0;
    }
    ept_cmd_out_free(&o);
    return status;
}

#else
typedef int ept_procs_none; /* ISO C: a translation unit is not empty */
#endif /* _WIN32 */
