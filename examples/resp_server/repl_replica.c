/* repl_replica.c: the replica side (--replicaof HOST PORT, REPLICAOF), and
 * the link machinery the ember follower (follow.c) shares.
 *
 * The link is a client on the poll loop (role CLIENT_MASTER or
 * CLIENT_LEADER) whose input goes to repl_link_input instead of the request
 * parser. Connecting is non-blocking (checked once per loop iteration). With
 * a Redis master the handshake is one command at a time (Redis refuses a
 * PSYNC while replies are pending): PING, REPLCONF listening-port, REPLCONF
 * capa psync2, PSYNC ? -1; after
 * +FULLRESYNC <replid> <offset> comes "$<len>\r\n" and the RDB, written to a
 * file in the data directory as it arrives (newlines before it are the
 * master's keepalives), then loaded with the library's RDB loader into a
 * new keyspace that becomes the durable state (snapshot + AOF reset). The
 * command stream that follows runs through the command table (its replies
 * dropped), each change logged to our AOF as a client's would be; REPLCONF
 * GETACK is answered with REPLCONF ACK <offset>, and an ACK goes every
 * second. Clients get -READONLY for writes (repl_refuse_write).
 *
 * A dropped link is retried after a backoff (100 ms doubling to 5 s, reset
 * by a completed sync), always with a full resync. A link silent for 60 s
 * (the master pings every 10 s) is dropped. */
#define _POSIX_C_SOURCE 200809L
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINK_TIMEOUT_MS 60000
#define CONNECT_TIMEOUT_MS 5000
#define BACKOFF_MAX_MS 5000

static int64_t now_ms(void) { return srv_now_ms(); }

static void drop_link(server *s) {
    client *c = s->repl.link;
    if (c) {
        c->closed = 1;  /* freed by the loop's sweep */
        c->role = CLIENT_NORMAL;
        s->repl.link = NULL;
    }
    if (s->repl.connect_fd >= 0) close(s->repl.connect_fd);
    s->repl.connect_fd = -1;
    if (s->repl.transfer_fd >= 0) close(s->repl.transfer_fd);
    s->repl.transfer_fd = -1;
    ep_resp_parser_free(s->repl.parser);
    s->repl.parser = NULL;
}

static void schedule(server *s, int backoff) {
    s->repl.state = LINK_WAIT;
    s->repl.next_try_ms = now_ms() + (backoff ? s->repl.backoff_ms : 0);
    if (backoff) s->repl.backoff_ms = s->repl.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->repl.backoff_ms * 2;
}

void repl_set_master(server *s, int mode, const char *host, int port) {
    int again = host && s->repl.mode == mode && !strcmp(host, s->repl.host) && port == s->repl.port &&
                s->repl.state != LINK_NONE;
    drop_link(s);
    if (!host || !mode) {
        s->repl.mode = 0;
        s->repl.state = LINK_NONE;
        return;
    }
    if (host != s->repl.host) snprintf(s->repl.host, sizeof s->repl.host, "%s", host);
    s->repl.port = port;
    s->repl.mode = mode;
    if (!again) s->repl.backoff_ms = 100;
    schedule(s, again);
}

int repl_link_up(const server *s) { return s->repl.link && s->repl.state == LINK_UP; }
int repl_link_syncing(const server *s) { return s->repl.link && s->repl.state >= LINK_HANDSHAKE && s->repl.state < LINK_UP; }

void repl_link_failed(server *s, const char *why) {
    if (why) fprintf(stderr, "resp_server: replication link to %s:%d: %s\n", s->repl.host, s->repl.port, why);
    drop_link(s);
    schedule(s, 1);
}

/* ---- connecting ----------------------------------------------------------------- */

static int start_connect(server *s) {
    struct sockaddr_in a;
    int fd;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)s->repl.port);
    if (inet_pton(AF_INET, s->repl.host, &a.sin_addr) != 1) {
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_INET;
        if (getaddrinfo(s->repl.host, NULL, &hints, &res) != 0 || !res) return -1;
        a.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    s->repl.connect_fd = fd;
    s->repl.state = LINK_CONNECTING;
    s->repl.state_ms = now_ms();
    s->repl.attempts++;
    return 0;
}

static void put_cmd(ep_buf *b, int argc, const char *const *argv) {
    int i;
    ep_resp_array(b, (size_t)argc);
    for (i = 0; i < argc; i++) ep_resp_bulk(b, ep_bytes_str(argv[i]));
}

/* The handshake command for the step reached (its reply comes before the next). */
static void handshake_send(server *s, client *c) {
    char port[16];
    const char *ping[] = {"PING"}, *lp[] = {"REPLCONF", "listening-port", port},
               *capa[] = {"REPLCONF", "capa", "psync2"}, *ps[] = {"PSYNC", "?", "-1"};
    snprintf(port, sizeof port, "%d", s->port);
    switch (s->repl.hs_step) {
    case 0: put_cmd(&c->out, 1, ping); break;
    case 1: put_cmd(&c->out, 3, lp); break;
    case 2: put_cmd(&c->out, 3, capa); break;
    default: put_cmd(&c->out, 3, ps); break;
    }
}

static void link_established(server *s, int fd) {
    client *c = server_add_client(s, fd);
    s->repl.connect_fd = -1;
    if (!c) {
        repl_link_failed(s, "out of memory");
        return;
    }
    c->role = s->repl.mode;
    s->repl.link = c;
    s->repl.state = LINK_HANDSHAKE;
    s->repl.state_ms = s->repl.last_io_ms = now_ms();
    s->repl.link_db = 0;
    if (s->repl.mode == CLIENT_MASTER) {
        s->repl.hs_step = 0;
        handshake_send(s, c);
    } else {
        const char *sync[] = {"EMBER.SYNC"};
        put_cmd(&c->out, 1, sync);
    }
}

static void poll_connect(server *s) {
    struct pollfd p;
    int err = 0;
    socklen_t len = sizeof err;
    p.fd = s->repl.connect_fd;
    p.events = POLLOUT;
    p.revents = 0;
    if (poll(&p, 1, 0) <= 0) {
        if (now_ms() - s->repl.state_ms > CONNECT_TIMEOUT_MS) repl_link_failed(s, "connect timed out");
        return;
    }
    if (getsockopt(s->repl.connect_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        if (s->verbose) fprintf(stderr, "resp_server: connect to %s:%d: %s\n", s->repl.host, s->repl.port, strerror(err));
        repl_link_failed(s, NULL);
        return;
    }
    link_established(s, s->repl.connect_fd);
}

static void send_ack(server *s) {
    char off[24];
    const char *ack[] = {"REPLCONF", "ACK", off};
    snprintf(off, sizeof off, "%llu", (unsigned long long)s->repl.link_offset);
    put_cmd(&s->repl.link->out, 3, ack);
    s->repl.last_ack_ms = now_ms();
}

void repl_link_cron(server *s) {
    int64_t now = now_ms();
    if (!s->repl.mode) return;
    switch (s->repl.state) {
    case LINK_WAIT:
        if (now >= s->repl.next_try_ms && start_connect(s) != 0) repl_link_failed(s, "cannot connect");
        break;
    case LINK_CONNECTING: poll_connect(s); break;
    case LINK_UP:
        if (now - s->repl.last_ack_ms >= (s->repl.mode == CLIENT_MASTER ? 1000 : 100)) send_ack(s);
        if (s->repl.mode == CLIENT_MASTER && now - s->repl.last_io_ms > LINK_TIMEOUT_MS)
            repl_link_failed(s, "timeout (no data from the master for 60 s)");
        break;
    default: /* handshake and transfer: progress or give up */
        if (s->repl.link && now - s->repl.last_io_ms > LINK_TIMEOUT_MS) repl_link_failed(s, "sync timed out");
        break;
    }
}

/* ---- input -------------------------------------------------------------------- */

/* One line (without CR LF) from the link's input: 1, 0 when incomplete, -1 too long. */
int repl_take_line(client *c, char *out, size_t cap) {
    const uint8_t *p = c->in.data + c->in_pos, *nl;
    size_t avail = c->in.len - c->in_pos, n;
    nl = avail ? (const uint8_t *)memchr(p, '\n', avail) : NULL;
    if (!nl) return avail > 4096 ? -1 : 0;
    n = (size_t)(nl - p);
    c->in_pos += n + 1;
    if (n && p[n - 1] == '\r') n--;
    if (n >= cap) return -1;
    memcpy(out, p, n);
    out[n] = 0;
    return 1;
}

int repl_parse_len(const char *line, uint64_t cap, uint64_t *out) {
    uint64_t v = 0;
    const char *p = line + 1;
    if (line[0] != '$' || !*p) return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > (cap - (uint64_t)(*p - '0')) / 10) return -1; /* digits only, at most cap */
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 0;
}

/* The handshake replies, in the order sent. 1 done (FULLRESYNC read), 0 more needed, -1 fail. */
static int handshake(server *s, client *c) {
    char line[512];
    int r;
    while ((r = repl_take_line(c, line, sizeof line)) == 1) {
        int step = s->repl.hs_step++;
        if (step == 0 && line[0] == '-' && (strstr(line, "NOAUTH") || strstr(line, "NOPERM"))) {
            repl_link_failed(s, line);
            return -1;
        }
        if (step == 1 || step == 2) {
            if (line[0] == '-' && s->verbose) fprintf(stderr, "resp_server: master refused REPLCONF: %s\n", line);
        }
        if (step < 3) {
            handshake_send(s, c);
            continue;
        }
        if (step == 3) {
            char id[64];
            unsigned long long off;
            if (sscanf(line, "+FULLRESYNC %63s %llu", id, &off) != 2) {
                repl_link_failed(s, line);
                return -1;
            }
            s->repl.link_offset = off;
            s->repl.state = LINK_TRANSFER_HDR;
            return 1;
        }
    }
    if (r < 0) repl_link_failed(s, "malformed handshake reply");
    return r < 0 ? -1 : 0;
}

static void transfer_path(server *s, char *out, size_t cap) { snprintf(out, cap, "%s/repl-transfer.rdb", s->dir); }

static int transfer_header(server *s, client *c) {
    char line[128], path[1200];
    uint64_t len;
    int r;
    while ((r = repl_take_line(c, line, sizeof line)) == 1) {
        if (!line[0]) continue; /* keepalive while the master writes its RDB */
        if (repl_parse_len(line, UINT64_MAX >> 1, &len) != 0) { /* "$EOF:<mark>" too: we did not ask for it */
            repl_link_failed(s, "unexpected full sync header");
            return -1;
        }
        transfer_path(s, path, sizeof path);
        s->repl.transfer_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (s->repl.transfer_fd < 0) {
            repl_link_failed(s, "cannot create the transfer file");
            return -1;
        }
        s->repl.transfer_left = len;
        s->repl.state = LINK_TRANSFER;
        return 1;
    }
    if (r < 0) repl_link_failed(s, "malformed full sync header");
    return r < 0 ? -1 : 0;
}

static void report_skip(void *user, uint64_t db, ep_bytes key, const char *kind, ep_redis_skip why) {
    server *s = (server *)user;
    (void)why;
    if (s->verbose) fprintf(stderr, "resp_server: full sync: db %llu key '%.*s' (%s) not kept\n",
                            (unsigned long long)db, (int)(key.len > 64 ? 64 : key.len), key.data, kind);
}

int repl_link_synced(server *s, ep_keyspace *ks, int64_t base_ms, const char *what) {
    char why[256];
    if (persist_replace(s, ks, base_ms, why, sizeof why) != 0) {
        fprintf(stderr, "resp_server: %s: cannot persist the loaded data: %s\n", what, why);
        repl_link_failed(s, NULL);
        return -1;
    }
    s->repl.full_syncs++;
    s->repl.backoff_ms = 100; /* a sync completed: the next failure retries quickly again */
    s->repl.state = LINK_UP;
    s->repl.last_ack_ms = 0;
    if (s->verbose)
        fprintf(stderr, "resp_server: %s from %s:%d: %zu keys at offset %llu\n", what, s->repl.host, s->repl.port,
                ep_keyspace_count(s->ks), (unsigned long long)s->repl.link_offset);
    return 0;
}

/* The RDB is complete: load it, make it ours (durably), start the stream. */
static int load_transfer(server *s) {
    char path[1200];
    ep_redis_load_config lc;
    ep_redis_dbs dbs;
    ep_redis_load_stats st;
    ep_error err;
    ep_keyspace *ks = NULL;
    ep_result r;
    size_t i;
    transfer_path(s, path, sizeof path);
    close(s->repl.transfer_fd);
    s->repl.transfer_fd = -1;
    ep_redis_load_config_init(&lc);
    lc.now_ms = srv_now_ms(); /* the RDB's deadlines become ms remaining from here, and back */
    lc.report = report_skip;
    lc.report_user = s;
    memset(&dbs, 0, sizeof dbs);
    memset(&err, 0, sizeof err);
    r = ep_redis_load_rdb(path, &lc, &dbs, &st, &err);
    unlink(path);
    if (r != EP_OK) {
        ep_redis_dbs_free(&dbs);
        fprintf(stderr, "resp_server: full sync: the master's RDB: %s\n", err.message[0] ? err.message : ep_result_str(r));
        repl_link_failed(s, NULL);
        return -1;
    }
    for (i = 1; i < dbs.count; i++)
        if (dbs.db[i] && ep_keyspace_count(dbs.db[i]))
            fprintf(stderr, "resp_server: full sync: database %zu not kept (this server has only db 0)\n", i);
    if (dbs.count && dbs.db[0]) {
        ks = dbs.db[0];
        dbs.db[0] = NULL;
    } else if (ep_keyspace_create(NULL, &ks) != EP_OK) {
        ep_redis_dbs_free(&dbs);
        repl_link_failed(s, "out of memory");
        return -1;
    }
    ep_redis_dbs_free(&dbs);
    return repl_link_synced(s, ks, lc.now_ms, "full sync");
}

static int transfer(server *s, client *c) {
    while (c->in.len > c->in_pos && s->repl.transfer_left) {
        size_t n = c->in.len - c->in_pos;
        ssize_t w;
        if (n > s->repl.transfer_left) n = (size_t)s->repl.transfer_left;
        w = write(s->repl.transfer_fd, c->in.data + c->in_pos, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            repl_link_failed(s, "cannot write the transfer file");
            return -1;
        }
        c->in_pos += (size_t)w;
        s->repl.transfer_left -= (uint64_t)w;
    }
    if (s->repl.transfer_left) return 0;
    return load_transfer(s) == 0 ? 1 : -1;
}

static int arg_is(const ep_resp_command *cmd, size_t i, const char *s) {
    return i < cmd->argc && cmd->argv[i].len == strlen(s) && !strncasecmp((const char *)cmd->argv[i].data, s, cmd->argv[i].len);
}

/* The master's commands: run through the command table, replies dropped. */
static int stream(server *s, client *c) {
    if (!s->repl.parser) {
        ep_resp_parser_config pc;
        ep_resp_parser_config_init(&pc);
        if (ep_resp_parser_create(&pc, &s->repl.parser) != EP_OK) return -1;
    }
    for (;;) {
        ep_resp_command cmd;
        size_t avail = c->in.len - c->in_pos, mark;
        ep_result r = ep_resp_parse_command(s->repl.parser, c->in.data + c->in_pos, avail, &cmd);
        c->in_pos += cmd.consumed;
        s->repl.link_offset += cmd.consumed;
        if (r == EP_END) return 0;
        if (r != EP_OK) {
            repl_link_failed(s, "malformed command stream");
            return -1;
        }
        if (cmd.argc == 0) continue;
        if (arg_is(&cmd, 0, "select")) {
            int64_t db = -1;
            if (cmd.argc == 2) (void)ep_resp_parse_i64(cmd.argv[1].data, cmd.argv[1].len, &db);
            s->repl.link_db = (int)(db < 0 || db > 1000000 ? -1 : db);
            continue;
        }
        if (arg_is(&cmd, 0, "ping") || arg_is(&cmd, 0, "multi") || arg_is(&cmd, 0, "exec")) continue;
        if (arg_is(&cmd, 0, "replconf")) {
            if (arg_is(&cmd, 1, "getack")) send_ack(s);
            continue;
        }
        if (s->repl.link_db != 0) continue; /* only db 0 exists here */
        c->argv = cmd.argv;
        c->argc = cmd.argc;
        mark = c->out.len;
        cmd_run(s, c);
        /* a replica does not answer its master; but a change it could not
         * log (MISCONF: the AOF failed) must not be skipped silently */
        c->argv = NULL;
        c->argc = 0;
        if (c->out.len - mark >= 8 && !memcmp(c->out.data + mark, "-MISCONF", 8)) {
            c->out.len = mark;
            repl_link_failed(s, "cannot log the master's command (AOF write failed)");
            return -1;
        }
        c->out.len = mark;
        if (!s->repl.link) return -1; /* the command dropped the link (REPLICAOF) */
    }
}

static void compact(client *c) {
    if (c->in_pos > 0) {
        memmove(c->in.data, c->in.data + c->in_pos, c->in.len - c->in_pos);
        c->in.len -= c->in_pos;
        c->in_pos = 0;
    }
}

int repl_link_input(server *s, client *c) {
    int r = 0;
    if (c != s->repl.link) return -1;
    s->repl.last_io_ms = now_ms();
    if (c->role == CLIENT_LEADER) {
        r = follow_link_input(s, c);
    } else {
        if (s->repl.state == LINK_HANDSHAKE) r = handshake(s, c);
        if (r >= 0 && s->repl.state == LINK_TRANSFER_HDR) r = transfer_header(s, c);
        if (r >= 0 && s->repl.state == LINK_TRANSFER) r = transfer(s, c);
        if (r >= 0 && s->repl.state == LINK_UP) r = stream(s, c);
    }
    if (s->repl.link == c) compact(c);
    return r < 0 ? -1 : 0;
}
