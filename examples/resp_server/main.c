/* resp_server: a single-threaded Redis-protocol server that keeps its data
 * in an ember AOF + snapshot (shard 0 of --dir).
 *
 *   resp_server [--dir DIR] [--port N] [--bind ADDR] [--appendfsync always|everysec|no]
 *               [--key-file PATH] [--client-output-limit BYTES] [--verbose]
 *
 * One poll loop. Each iteration: accept, read every readable client and run
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
                    "[--appendfsync always|everysec|no] [--key-file PATH] [--client-output-limit BYTES] [--verbose]\n");
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

static void client_free(server *s, client *c) {
    close(c->fd);
    ep_buf_free(&c->in);
    ep_buf_free(&c->out);
    ep_resp_parser_free(c->parser);
    free(c);
    s->nclients--;
}

static void accept_clients(server *s) {
    for (;;) {
        int one = 1, fd = accept(s->listen_fd, NULL, NULL);
        client *c;
        if (fd < 0) return;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c = (client *)calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->resp = 2;
        ep_buf_init(&c->in, NULL);
        ep_buf_init(&c->out, NULL);
        c->next = s->clients;
        s->clients = c;
        s->nclients++;
    }
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
    if (!c->closed && resp_process(s, c) < 0) c->close_after = 1;
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
    struct pollfd *pfd = NULL;
    size_t pcap = 0;
    int64_t last_cycle = mono_ms();
    while (!s->shutdown && !g_stop) {
        client *c, **pp;
        size_t n = 1, i;
        int timeout = 100, r;
        if (pcap < s->nclients + 1) {
            pcap = (s->nclients + 1) * 2;
            free(pfd);
            pfd = (struct pollfd *)malloc(pcap * sizeof *pfd);
            if (!pfd) return -1;
        }
        pfd[0].fd = s->listen_fd;
        pfd[0].events = POLLIN;
        for (c = s->clients; c; c = c->next, n++) {
            pfd[n].fd = c->fd;
            pfd[n].events = 0;
            if (!c->close_after && c->out.len - c->out_pos < SRV_OUT_PAUSE) pfd[n].events |= POLLIN;
            if (c->out_pos < c->out_ready) pfd[n].events |= POLLOUT;
            /* requests already buffered (paused by output) run without waiting for input */
            if (c->in.len > c->in_pos && (pfd[n].events & POLLIN)) timeout = 0;
        }
        r = poll(pfd, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) break;
        for (c = s->clients, i = 1; c; c = c->next, i++) {
            if (r > 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) read_client(s, c);
            else if ((pfd[i].events & POLLIN) && c->in.len > c->in_pos && resp_process(s, c) < 0)
                c->close_after = 1;
        }
        /* group commit: one sync, then this iteration's replies may leave */
        if (persist_commit(s) != 0) {
            fprintf(stderr, "resp_server: can't persist the AOF (fsync failed) under appendfsync always: exiting\n");
            free(pfd);
            return -1;
        }
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
        if (r > 0 && (pfd[0].revents & POLLIN)) accept_clients(s);
        if (mono_ms() - last_cycle >= 100) {
            last_cycle = mono_ms();
            expire_cycle(s, 200);
            (void)persist_commit(s); /* expiry writes DEL records */
        }
        persist_tick(s);
    }
    free(pfd);
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
    s.out_hard = SRV_OUT_HARD;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--verbose")) { s.verbose = 1; continue; }
        if (!v) return usage();
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
    if (persist_open(&s) != 0) return 1;
    if (listen_on(&s) != 0) {
        fprintf(stderr, "resp_server: cannot listen on %s:%d\n", s.bind, s.port);
        persist_close(&s);
        return 1;
    }
    if (s.verbose) fprintf(stderr, "resp_server: ready on %s:%d, dir %s\n", s.bind, s.port, s.dir);
    fprintf(stdout, "ready %d\n", s.port);
    fflush(stdout);
    rc = run(&s);
    while (s.clients) {
        client *c = s.clients;
        s.clients = c->next;
        client_free(&s, c);
    }
    close(s.listen_fd);
    persist_close(&s);
    ep_buf_free(&s.scratch);
    ep_buf_free(&s.scratch2);
    ep_key_free(s.key);
    return rc == 0 ? 0 : 1;
}
