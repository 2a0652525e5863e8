/* resp_server: a single-threaded Redis-protocol server that keeps its data
 * in an ember AOF + snapshot (shard 0 of --dir).
 *
 *   resp_server [--dir DIR] [--port N] [--bind ADDR] [--appendfsync always|everysec|no]
 *               [--key-file PATH] [--client-output-limit BYTES] [--replicaof HOST PORT]
 *               [--follow HOST PORT] [--verbose]
 *
 * One event loop (epoll on Linux, else poll). Each iteration: accept, read every readable client and run
 * its complete requests, then the group commit (under appendfsync always one
 * fsync covers every write of the iteration, and only then do the replies
 * of that iteration become sendable), then write, then timers (everysec
 * sync, active expiry). Output is bounded per client: a client with 1 MiB
 * unsent is not read until it drains; one with more than 512 MiB
 * (--client-output-limit, Redis's client-output-buffer-limit normal hard)
 * still unsent after a write is dropped. */
#define _POSIX_C_SOURCE 200809L
#include "server.h"

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
#include <time.h>
#include <unistd.h>
#if defined(__linux__) && !defined(SRV_USE_POLL) /* -DSRV_USE_POLL: the poll loop (tests it on Linux) */
#include <sys/epoll.h>
#define SRV_EPOLL 1
#endif

int64_t srv_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t g_stop; /* the one piece of process state: a signal asked us to stop */
static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static int usage(void) {
    fprintf(stderr, "usage: resp_server [--dir DIR] [--port N] [--bind ADDR] "
                    "[--appendfsync always|everysec|no] [--key-file PATH] [--client-output-limit BYTES]\n"
                    "                   [--replicaof HOST PORT] [--follow HOST PORT] [--verbose]\n");
    return 2;
}

static int listen_on(server *s) {
    struct sockaddr_in a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)s->port);
    if (inet_pton(AF_INET, s->bind, &a.sin_addr) != 1 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(fd, 511) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->listen_fd = fd;
    { /* --port 0: the OS picked one; say which */
        socklen_t len = sizeof a;
        if (getsockname(fd, (struct sockaddr *)&a, &len) == 0) s->port = ntohs(a.sin_port);
    }
    return 0;
}

/* ---- readiness --------------------------------------------------------
 * Which sockets can be read. On Linux an epoll instance: a socket is
 * registered once, its interest changed only when it changes (input paused
 * behind a full output, output blocked by the kernel), so a wait costs per
 * ready socket. poll costs per watched socket on every wait: at -P 1 with 50
 * clients a wait returns after a few requests, and poll's visit of all 51
 * sockets (sock_poll, tcp_poll, a wait-queue entry each, added and removed)
 * was ~17% of the server's CPU under perf. Elsewhere poll, the same loop. */
enum { EV_IN = 1, EV_OUT = 2 }; /* interest; revents has EV_IN for readable, hung up or failed */

typedef struct waiter {
#ifdef SRV_EPOLL
    struct epoll_event *ev;
#else
    struct pollfd *pfd;
#endif
    size_t cap;
    int listen_ready;
} waiter;

#ifdef SRV_EPOLL
static int ev_ctl(server *s, int op, int fd, unsigned want, void *ptr) {
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = (want & EV_IN ? (uint32_t)EPOLLIN : 0u) | (want & EV_OUT ? (uint32_t)EPOLLOUT : 0u);
    e.data.ptr = ptr;
    return epoll_ctl(s->ev_fd, op, fd, &e);
}
#endif

/* The wait's state and the listening socket in it. 0 or -1. */
static int ev_open(server *s) {
    s->ev_fd = -1;
#ifdef SRV_EPOLL
    s->ev_fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->ev_fd < 0) return -1;
    return ev_ctl(s, EPOLL_CTL_ADD, s->listen_fd, EV_IN, NULL); /* NULL: the listener */
#else
    return 0;
#endif
}

static void ev_close(server *s) {
    if (s->ev_fd >= 0) close(s->ev_fd);
    s->ev_fd = -1;
}

/* A new client, watched for input. 0 or -1. */
static int ev_add(server *s, client *c) {
    c->ev_want = EV_IN;
#ifdef SRV_EPOLL
    return ev_ctl(s, EPOLL_CTL_ADD, c->fd, EV_IN, c);
#else
    (void)s;
    return 0;
#endif
}

/* The client's interest becomes want (a system call only when it changes). 0 or -1. */
static int ev_set(server *s, client *c, unsigned want) {
    if (want == c->ev_want) return 0;
#ifdef SRV_EPOLL
    if (ev_ctl(s, EPOLL_CTL_MOD, c->fd, want, c) != 0) return -1;
#else
    (void)s;
#endif
    c->ev_want = want;
    return 0;
}

/* Waits at most timeout ms for what the clients want; sets each client's
 * revents and w->listen_ready. 0 (also when a signal cut the wait short),
 * or -1. */
static int ev_wait(server *s, waiter *w, int timeout) {
    client *c;
    int n, i;
    w->listen_ready = 0;
    for (c = s->clients; c; c = c->next) c->revents = 0;
    if (w->cap < s->nclients + 1) {
        size_t cap = (s->nclients + 1) * 2;
#ifdef SRV_EPOLL
        void *p = realloc(w->ev, cap * sizeof *w->ev);
        if (!p) return -1;
        w->ev = (struct epoll_event *)p;
#else
        void *p = realloc(w->pfd, cap * sizeof *w->pfd);
        if (!p) return -1;
        w->pfd = (struct pollfd *)p;
#endif
        w->cap = cap;
    }
#ifdef SRV_EPOLL
    n = epoll_wait(s->ev_fd, w->ev, (int)w->cap, timeout);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (i = 0; i < n; i++) {
        int in = (w->ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
        if (!w->ev[i].data.ptr) w->listen_ready = in;
        else if (in) ((client *)w->ev[i].data.ptr)->revents = EV_IN;
    }
#else
    w->pfd[0].fd = s->listen_fd;
    w->pfd[0].events = POLLIN;
    for (c = s->clients, i = 1; c; c = c->next, i++) {
        w->pfd[i].fd = c->fd;
        w->pfd[i].events = (short)((c->ev_want & EV_IN ? POLLIN : 0) | (c->ev_want & EV_OUT ? POLLOUT : 0));
    }
    n = poll(w->pfd, (nfds_t)i, timeout);
    if (n < 0) return errno == EINTR ? 0 : -1;
    w->listen_ready = (w->pfd[0].revents & POLLIN) != 0;
    for (c = s->clients, i = 1; c; c = c->next, i++)
        if (w->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) c->revents = EV_IN;
#endif
    return 0;
}

static void ev_free(waiter *w) {
#ifdef SRV_EPOLL
    free(w->ev);
#else
    free(w->pfd);
#endif
}

/* ---- clients ------------------------------------------------------------ */

static void client_free(server *s, client *c) {
    repl_client_gone(s, c);
#ifdef SRV_EPOLL
    (void)ev_ctl(s, EPOLL_CTL_DEL, c->fd, 0, NULL); /* before the fd can be reused */
#endif
    close(c->fd);
    ep_buf_free(&c->in);
    ep_buf_free(&c->out);
    ep_buf_free(&c->sync_pending);
    if (c->sync_fd >= 0) close(c->sync_fd);
    ep_resp_parser_free(c->parser);
    free(c);
    s->nclients--;
}

client *server_add_client(server *s, int fd) {
    int one = 1;
    client *c;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c = (client *)calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    if (ev_add(s, c) != 0) {
        close(fd);
        free(c);
        return NULL;
    }
    c->resp = 2;
    c->sync_fd = -1;
    ep_buf_init(&c->in, NULL);
    ep_buf_init(&c->out, NULL);
    ep_buf_init(&c->sync_pending, NULL);
    c->next = s->clients;
    s->clients = c;
    s->nclients++;
    return c;
}

static void accept_clients(server *s) {
    for (;;) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) return;
        (void)server_add_client(s, fd);
    }
}

/* Requests from a client; the replication link's bytes are not requests. */
static int client_input(server *s, client *c) {
    if (c->role == CLIENT_MASTER || c->role == CLIENT_LEADER) return repl_link_input(s, c) < 0 ? (c->closed = 1, 0) : 0;
    return resp_process(s, c);
}

static void read_client(server *s, client *c) {
    for (;;) {
        size_t room;
        ssize_t n;
        if (c->in.len >= SRV_MAX_QUERY) { /* Redis closes such a client without a reply */
            c->closed = 1;
            return;
        }
        if (c->in.cap - c->in.len < 16384 && ep_buf_reserve(&c->in, 16384) != EP_OK) {
            c->closed = 1;
            return;
        }
        room = c->in.cap - c->in.len;
        n = read(c->fd, c->in.data + c->in.len, room);
        if (n > 0) {
            c->in.len += (size_t)n;
            if ((size_t)n == room) continue; /* maybe more waiting */
            break;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) c->closed = 1;
        break;
    }
    if (!c->closed && client_input(s, c) < 0) c->close_after = 1;
}

static void write_client(client *c) {
    while (c->out_pos < c->out_ready) {
        ssize_t n = write(c->fd, c->out.data + c->out_pos, c->out_ready - c->out_pos);
        if (n > 0) {
            c->out_pos += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == EINTR) continue;
        c->closed = 1;
        return;
    }
    if (c->out_pos == c->out.len) {
        c->out.len = c->out_pos = c->out_ready = 0;
        if (c->close_after) c->closed = 1;
    } else if (c->out_pos > (1u << 20)) {
        memmove(c->out.data, c->out.data + c->out_pos, c->out.len - c->out_pos);
        c->out.len -= c->out_pos;
        c->out_ready -= c->out_pos;
        c->out_pos = 0;
    }
}

static int run(server *s) {
    waiter w;
    int64_t last_cycle = mono_ms();
    memset(&w, 0, sizeof w);
    while (!s->shutdown && !g_stop) {
        client *c, **pp;
        int timeout = 100;
        for (c = s->clients; c; c = c->next) {
            unsigned want = 0;
            if (!c->close_after && c->out.len - c->out_pos < SRV_OUT_PAUSE) want |= EV_IN;
            if (c->out_pos < c->out_ready) want |= EV_OUT;
            if (ev_set(s, c, want) != 0) c->closed = 1;
            /* requests already buffered (paused by output) run without waiting for input */
            if (c->in.len > c->in_pos && (want & EV_IN)) timeout = 0;
            /* a full sync's file waits for the output to drain: don't sleep once it has */
            if (c->sync_fd >= 0 && c->out_pos == c->out.len) timeout = 0;
        }
        if (ev_wait(s, &w, timeout) != 0) break;
        for (c = s->clients; c; c = c->next) {
            if (c->closed) continue;
            if (c->revents & EV_IN) read_client(s, c);
            else if ((c->ev_want & EV_IN) && c->in.len > c->in_pos && c->role != CLIENT_MASTER &&
                     c->role != CLIENT_LEADER && resp_process(s, c) < 0)
                c->close_after = 1;
        }
        /* group commit: one sync, then this iteration's replies may leave */
        if (persist_commit(s) != 0) {
            fprintf(stderr, "resp_server: can't persist the AOF (fsync failed) under appendfsync always: exiting\n");
            ev_free(&w);
            return -1;
        }
        repl_cron(s); /* full syncs fed, pings and acks queued, the link kept */
        for (c = s->clients; c; c = c->next) {
            c->out_ready = c->out.len;
            if (!c->closed) write_client(c);
            /* a client that does not read what it asked for (the kernel's buffers already took their share) */
            if (c->out.len - c->out_pos > s->out_hard) c->closed = 1;
        }
        for (pp = &s->clients; *pp;) {
            c = *pp;
            if (c->closed) {
                *pp = c->next;
                client_free(s, c);
            } else {
                pp = &c->next;
            }
        }
        if (w.listen_ready) accept_clients(s);
        if (mono_ms() - last_cycle >= 100) {
            last_cycle = mono_ms();
            expire_cycle(s, 200);
            (void)persist_commit(s); /* expiry writes DEL records */
        }
        persist_tick(s);
    }
    ev_free(&w);
    return 0;
}

int main(int argc, char **argv) {
    server s;
    int i, rc;
    const char *key_file = NULL;
    memset(&s, 0, sizeof s);
    strcpy(s.dir, ".");
    s.port = 6379;
    s.bind = "127.0.0.1";
    s.fsync = EP_FSYNC_EVERYSEC;
    s.listen_fd = -1;
    s.ev_fd = -1;
    s.out_hard = SRV_OUT_HARD;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--verbose")) { s.verbose = 1; continue; }
        if (!v) return usage();
        if (!strcmp(a, "--replicaof") || !strcmp(a, "--slaveof") || !strcmp(a, "--follow")) {
            /* HOST PORT, or "HOST PORT" in one argument as redis-server takes it */
            char host[256];
            int port = 0, mode = strcmp(a, "--follow") ? CLIENT_MASTER : CLIENT_LEADER;
            if (strchr(v, ' ')) {
                if (sscanf(v, "%255s %d", host, &port) != 2) return usage();
            } else {
                if (i + 2 >= argc) return usage();
                snprintf(host, sizeof host, "%s", v);
                port = atoi(argv[i + 2]);
                i++;
            }
            if (port <= 0 || port > 65535) return usage();
            snprintf(s.repl.host, sizeof s.repl.host, "%s", host);
            s.repl.port = port;
            s.repl.mode = mode;
            i++;
            continue;
        }
        if (!strcmp(a, "--dir")) snprintf(s.dir, sizeof s.dir, "%s", v);
        else if (!strcmp(a, "--port")) s.port = atoi(v);
        else if (!strcmp(a, "--bind")) s.bind = v;
        else if (!strcmp(a, "--key-file")) key_file = v;
        else if (!strcmp(a, "--client-output-limit")) s.out_hard = (size_t)strtoull(v, NULL, 10);
        else if (!strcmp(a, "--appendfsync")) {
            if (!strcmp(v, "always")) s.fsync = EP_FSYNC_ALWAYS;
            else if (!strcmp(v, "everysec")) s.fsync = EP_FSYNC_EVERYSEC;
            else if (!strcmp(v, "no")) s.fsync = EP_FSYNC_NO;
            else return usage();
        } else return usage();
        i++;
    }
    if (s.port < 0 || s.port > 65535 || s.out_hard == 0) return usage();
    mkdir(s.dir, 0700);
    if (key_file) {
        ep_error err;
        if (ep_key_load_file(NULL, key_file, NULL, &s.key, &err) != EP_OK) {
            fprintf(stderr, "resp_server: key file %s: %s\n", key_file, err.message);
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    s.start_ms = srv_now_ms();
    ep_buf_init(&s.scratch, NULL);
    ep_buf_init(&s.scratch2, NULL);
    ep_keyspace_iter_init(&s.expire_cursor);
    repl_init(&s);
    if (persist_open(&s) != 0) return 1;
    if (listen_on(&s) != 0 || ev_open(&s) != 0) {
        fprintf(stderr, "resp_server: cannot listen on %s:%d\n", s.bind, s.port);
        persist_close(&s);
        return 1;
    }
    if (s.verbose) fprintf(stderr, "resp_server: ready on %s:%d, dir %s\n", s.bind, s.port, s.dir);
    fprintf(stdout, "ready %d\n", s.port);
    fflush(stdout);
    if (s.repl.mode) repl_set_master(&s, s.repl.mode, s.repl.host, s.repl.port);
    rc = run(&s);
    while (s.clients) {
        client *c = s.clients;
        s.clients = c->next;
        client_free(&s, c);
    }
    close(s.listen_fd);
    ev_close(&s);
    repl_free(&s);
    persist_close(&s);
    ep_buf_free(&s.scratch);
    ep_buf_free(&s.scratch2);
    ep_key_free(s.key);
    return rc == 0 ? 0 : 1;
}
