/* repl_master.c: the master side of replication.
 *
 * A real redis-server started with --replicaof (or REPLICAOF) connects and
 * sends PING, REPLCONF listening-port / capa, then PSYNC. We answer
 * +FULLRESYNC <replid> <offset>, write the keyspace as an RDB with the
 * library's RDB writer to a file in the data directory (in the loop: no
 * fork, so the RDB is exactly the state at the PSYNC), and send it as
 * "$<len>\r\n" + bytes in 1 MiB pieces, each only once the previous ones
 * left (the loop never blocks on it). Records propagated meanwhile wait in
 * the replica's sync_pending buffer and follow the file.
 *
 * The stream: every record persist_apply logs, as the Redis command that
 * has the same effect (so TTLs travel as absolute PEXPIREAT, pops as the
 * pops that happened, nothing random is re-run), a SELECT 0 first after
 * every new full sync, and PING every 10 s. master_repl_offset counts the
 * stream's bytes; the replica's REPLCONF ACK <offset> is read (no reply)
 * and shown by INFO replication. Replies to a replica leave only with the
 * loop's group commit, so under appendfsync always a replica never holds a
 * write the master could lose. */
#define _POSIX_C_SOURCE 200809L
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPL_CHUNK ((size_t)1 << 20)       /* file bytes queued per step */
#define REPL_PING_MS 10000                  /* repl-ping-replica-period */

static int is(ep_bytes a, const char *s) { return a.len == strlen(s) && strncasecmp((const char *)a.data, s, a.len) == 0; }

void repl_new_replid(server *s) {
    /* 40 hex characters; uniqueness is what matters (a new history), not secrecy */
    uint8_t r[20];
    size_t i;
    int fd = open("/dev/urandom", O_RDONLY);
    uint64_t x = (uint64_t)srv_now_ms() ^ ((uint64_t)getpid() << 32);
    if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r)
        for (i = 0; i < sizeof r; i++) x = x * 6364136223846793005ull + 1442695040888963407ull, r[i] = (uint8_t)(x >> 56);
    if (fd >= 0) close(fd);
    for (i = 0; i < sizeof r; i++) snprintf(s->repl.replid + 2 * i, 3, "%02x", r[i]);
}

void repl_init(server *s) {
    repl_new_replid(s);
    s->repl.seldb = -1;
    s->repl.connect_fd = -1;
    s->repl.transfer_fd = -1;
    s->repl.backoff_ms = 100;
    ep_buf_init(&s->repl.cmd, NULL);
}

void repl_free(server *s) {
    repl_set_master(s, 0, NULL, 0);
    ep_buf_free(&s->repl.cmd);
}

/* ---- records -> Redis commands --------------------------------------------- */

static void arg(ep_buf *b, ep_bytes a) { ep_resp_bulk(b, a); }
static void arg_s(ep_buf *b, const char *s) { ep_resp_bulk(b, ep_bytes_str(s)); }
static void arg_i(ep_buf *b, int64_t v) {
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)v);
    arg_s(b, t);
}
static void arg_d(ep_buf *b, double d) {
    char t[40];
    if (isinf(d)) snprintf(t, sizeof t, "%s", d > 0 ? "inf" : "-inf");
    else snprintf(t, sizeof t, "%.17g", d);
    arg_s(b, t);
}

/* The elements of an items list as arguments: members, values, fields and
 * values, or score and member (ZADD). */
static void arg_items(ep_buf *b, const ep_items *items) {
    ep_items_iter it;
    ep_item x;
    ep_items_iter_init(&it, items);
    while (ep_items_next(&it, &x)) {
        if (items->kind == EP_ITEMS_SCORE_MEMBER) {
            arg_d(b, x.score);
            arg(b, x.a);
        } else {
            arg(b, x.a);
            if (items->kind == EP_ITEMS_FIELD_VALUE) arg(b, x.b);
        }
    }
}

static size_t items_args(const ep_items *items) {
    size_t per = items->kind == EP_ITEMS_SCORE_MEMBER || items->kind == EP_ITEMS_FIELD_VALUE ? 2 : 1;
    return (size_t)items->count * per;
}

/* The command for one record into b; 0, or -1 when Redis has none. */
static int record_command(ep_buf *b, const ep_aof_record *r) {
    const char *name = ep_aof_tag_name(r->tag);
    switch (r->tag) {
    case EP_AOF_SET:
        ep_resp_array(b, r->num > 0 ? 5 : 3);
        arg_s(b, "SET"), arg(b, r->key), arg(b, r->value);
        if (r->num > 0) arg_s(b, "PX"), arg_i(b, r->num);
        return 0;
    case EP_AOF_DEL: case EP_AOF_PERSIST: case EP_AOF_INCR: case EP_AOF_DECR:
    case EP_AOF_LPOP: case EP_AOF_RPOP:
        ep_resp_array(b, 2);
        arg_s(b, name), arg(b, r->key);
        return 0;
    case EP_AOF_EXPIRE: case EP_AOF_PEXPIRE: case EP_AOF_PEXPIREAT: case EP_AOF_INCRBY: case EP_AOF_DECRBY:
        ep_resp_array(b, 3);
        arg_s(b, name), arg(b, r->key), arg_i(b, r->num);
        return 0;
    case EP_AOF_APPEND:
        ep_resp_array(b, 3);
        arg_s(b, "APPEND"), arg(b, r->key), arg(b, r->value);
        return 0;
    case EP_AOF_LPUSH: case EP_AOF_RPUSH: case EP_AOF_ZADD: case EP_AOF_ZREM: case EP_AOF_HSET:
    case EP_AOF_HDEL: case EP_AOF_SADD: case EP_AOF_SREM:
        if (r->items.count == 0) return -1;
        ep_resp_array(b, 2 + items_args(&r->items));
        arg_s(b, name), arg(b, r->key);
        arg_items(b, &r->items);
        return 0;
    case EP_AOF_HINCRBY:
        ep_resp_array(b, 4);
        arg_s(b, "HINCRBY"), arg(b, r->key), arg(b, r->key2), arg_i(b, r->num);
        return 0;
    case EP_AOF_RENAME:
        ep_resp_array(b, 3);
        arg_s(b, "RENAME"), arg(b, r->key), arg(b, r->key2);
        return 0;
    case EP_AOF_COPY:
        ep_resp_array(b, r->flag ? 4 : 3);
        arg_s(b, "COPY"), arg(b, r->key), arg(b, r->key2);
        if (r->flag) arg_s(b, "REPLACE");
        return 0;
    case EP_AOF_LSET: case EP_AOF_LREM: case EP_AOF_SETRANGE:
        ep_resp_array(b, 4);
        arg_s(b, name), arg(b, r->key), arg_i(b, r->num), arg(b, r->value);
        return 0;
    case EP_AOF_LTRIM:
        ep_resp_array(b, 4);
        arg_s(b, "LTRIM"), arg(b, r->key), arg_i(b, r->num), arg_i(b, r->num2);
        return 0;
    case EP_AOF_LINSERT:
        ep_resp_array(b, 5);
        arg_s(b, "LINSERT"), arg(b, r->key), arg_s(b, r->flag ? "BEFORE" : "AFTER"), arg(b, r->pivot),
            arg(b, r->value);
        return 0;
    default:
        return -1; /* vectors, proto values, bit operations: no Redis command of ours to carry them */
    }
}

/* Appends bytes to every Redis replica (after its file, while it has one). */
static void feed_replicas(server *s, const uint8_t *p, size_t n) {
    client *c;
    for (c = s->clients; c; c = c->next)
        if (c->role == CLIENT_REPLICA) ep_buf_put(c->sync_left || c->sync_fd >= 0 ? &c->sync_pending : &c->out, p, n);
    s->repl.offset += n;
}

static void feed_command(server *s) {
    if (s->repl.seldb != 0) {
        static const char sel[] = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
        feed_replicas(s, (const uint8_t *)sel, sizeof sel - 1);
        s->repl.seldb = 0;
    }
    feed_replicas(s, s->repl.cmd.data, s->repl.cmd.len);
}

void repl_propagate(server *s, const ep_aof_record *log, size_t n) {
    size_t i;
    if (s->repl.nfollowers) follow_propagate(s, log, n);
    if (!s->repl.nreplicas) return;
    for (i = 0; i < n; i++) {
        s->repl.cmd.len = 0;
        if (record_command(&s->repl.cmd, &log[i]) != 0) {
            s->repl.skipped++;
            continue;
        }
        feed_command(s);
    }
}

void repl_propagate_flush(server *s) {
    if (s->repl.nfollowers) follow_propagate_flush(s);
    if (!s->repl.nreplicas) return;
    s->repl.cmd.len = 0;
    ep_resp_array(&s->repl.cmd, 1);
    arg_s(&s->repl.cmd, "FLUSHDB");
    feed_command(s);
}

/* ---- full sync ------------------------------------------------------------------ */

void repl_send_file(client *c, int fd, uint64_t size) {
    char h[32];
    snprintf(h, sizeof h, "$%llu\r\n", (unsigned long long)size);
    ep_buf_put(&c->out, h, strlen(h));
    c->sync_fd = fd;
    c->sync_left = size;
}

/* One more piece of each pending file, when the previous ones have left. */
static void feed_files(server *s) {
    client *c;
    for (c = s->clients; c; c = c->next) {
        if (c->sync_fd < 0 || c->out.len - c->out_pos >= REPL_CHUNK) continue;
        if (c->sync_left) {
            size_t want = c->sync_left < REPL_CHUNK ? (size_t)c->sync_left : REPL_CHUNK;
            ssize_t got;
            if (ep_buf_reserve(&c->out, want) != EP_OK) {
                c->closed = 1;
                continue;
            }
            got = read(c->sync_fd, c->out.data + c->out.len, want);
            if (got <= 0) {
                c->closed = 1; /* the file shrank under us: the replica retries */
                continue;
            }
            c->out.len += (size_t)got;
            c->sync_left -= (uint64_t)got;
        }
        if (!c->sync_left) { /* the file is queued: what was propagated meanwhile follows it */
            close(c->sync_fd);
            c->sync_fd = -1;
            ep_buf_put(&c->out, c->sync_pending.data, c->sync_pending.len);
            ep_buf_free(&c->sync_pending);
            ep_buf_init(&c->sync_pending, NULL);
        }
    }
}

/* The keyspace as an RDB (TTLs absolute, as the running keyspace holds them). */
static int write_rdb(server *s, const char *path, char *why, size_t cap) {
    ep_rdb_writer_config wc;
    ep_rdb_writer *w;
    ep_error err;
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    ep_bytes *a = NULL, *b = NULL;
    double *sc = NULL;
    size_t acap = 0;
    int64_t now = srv_now_ms();
    ep_result r;
    ep_rdb_writer_config_init(&wc);
    wc.check_duplicates = 0; /* the keyspace holds each key and member once */
    memset(&err, 0, sizeof err);
    if ((r = ep_rdb_writer_begin(path, &wc, &w, &err)) != EP_OK) goto fail;
    if (ep_keyspace_count(s->ks) && (r = ep_rdb_writer_select_db(w, 0, ep_keyspace_count(s->ks), 0)) != EP_OK)
        goto fail_w;
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(s->ks, &it)) != NULL) {
        ep_bytes k = ep_ks_entry_key(e);
        int64_t ttl = ep_ks_entry_ttl(e);
        uint8_t t = ep_ks_entry_type(e);
        size_t n = ep_ks_entry_len(e), i = 0;
        ep_ks_value_iter vi;
        ep_item x;
        if (ttl >= 0 && ttl <= now) continue; /* expired: not sent (Redis does the same) */
        if (t == EP_TYPE_STRING) {
            r = ep_rdb_writer_string(w, k, ep_ks_entry_value(e), ttl);
        } else if (t == EP_TYPE_LIST || t == EP_TYPE_SET || t == EP_TYPE_HASH || t == EP_TYPE_ZSET) {
            if (n == 0) continue;
            if (n > acap) {
                acap = n;
                free(a), free(b), free(sc);
                a = (ep_bytes *)malloc(n * sizeof *a);
                b = (ep_bytes *)malloc(n * sizeof *b);
                sc = (double *)malloc(n * sizeof *sc);
                if (!a || !b || !sc) {
                    r = EP_ERR_NOMEM;
                    goto fail_w;
                }
            }
            ep_ks_value_iter_init(&vi, e);
            while (i < n && ep_ks_value_next(&vi, &x)) a[i] = x.a, b[i] = x.b, sc[i] = x.score, i++;
            r = t == EP_TYPE_LIST  ? ep_rdb_writer_list(w, k, a, i, ttl)
                : t == EP_TYPE_SET ? ep_rdb_writer_set(w, k, a, i, ttl)
                : t == EP_TYPE_HASH ? ep_rdb_writer_hash(w, k, a, b, i, ttl)
                                    : ep_rdb_writer_zset(w, k, a, sc, i, ttl);
        } else {
            continue; /* vectors and proto values have no Redis type */
        }
        if (r != EP_OK && r != EP_ERR_INVALID) goto fail_w; /* INVALID: that key alone is refused */
    }
    free(a), free(b), free(sc);
    a = b = NULL, sc = NULL;
    if ((r = ep_rdb_writer_commit(w, &err)) != EP_OK) goto fail;
    return 0;
fail_w:
    if (ep_rdb_writer_error(w) && ep_rdb_writer_error(w)->message[0]) err = *ep_rdb_writer_error(w);
    (void)ep_rdb_writer_abort(w);
fail:
    free(a), free(b), free(sc);
    snprintf(why, cap, "%s", err.message[0] ? err.message : ep_result_str(r));
    return -1;
}

/* Opens path for sending and removes its name (the open fd keeps the bytes). */
int repl_open_unlinked(const char *path, uint64_t *size) {
    struct stat st;
    int fd = open(path, O_RDONLY);
    unlink(path);
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static void psync(server *s, client *c) {
    char path[1200], why[256], line[128];
    uint64_t size;
    int fd;
    if (c->role != CLIENT_NORMAL) {
        reply_error(c, "ERR PSYNC on a replication link");
        return;
    }
    snprintf(path, sizeof path, "%s/repl-sync-%d.rdb", s->dir, c->fd);
    if (write_rdb(s, path, why, sizeof why) != 0 || (fd = repl_open_unlinked(path, &size)) < 0) {
        fprintf(stderr, "resp_server: full sync: cannot write the RDB: %s\n", why);
        reply_error(c, "ERR full sync failed: can't write the RDB");
        return;
    }
    /* only partial resync from our own history would be possible; full it is */
    snprintf(line, sizeof line, "+FULLRESYNC %s %llu\r\n", s->repl.replid, (unsigned long long)s->repl.offset);
    ep_buf_put(&c->out, line, strlen(line));
    repl_send_file(c, fd, size);
    c->role = CLIENT_REPLICA;
    c->ack_ms = srv_now_ms();
    s->repl.nreplicas++;
    s->repl.seldb = -1; /* its stream starts with a SELECT */
    if (s->verbose)
        fprintf(stderr, "resp_server: replica (port %d) full sync: %llu RDB bytes at offset %llu\n", c->listening_port,
                (unsigned long long)size, (unsigned long long)s->repl.offset);
}

/* ---- commands ------------------------------------------------------------------- */

static void replconf(server *s, client *c) {
    size_t i;
    if (c->argc % 2 == 0) {
        reply_error(c, "ERR syntax error");
        return;
    }
    for (i = 1; i + 1 < c->argc; i += 2) {
        ep_bytes o = c->argv[i], v = c->argv[i + 1];
        int64_t n = 0;
        if (is(o, "ack")) { /* from a replica: recorded, never answered */
            if (ep_resp_parse_i64(v.data, v.len, &n) && n >= 0) c->ack = (uint64_t)n;
            c->ack_ms = srv_now_ms();
            return;
        }
        if (is(o, "getack")) {
            if (c->role == CLIENT_MASTER) { /* our master asks: the offset we applied */
                char t[24];
                int l = snprintf(t, sizeof t, "%llu", (unsigned long long)s->repl.link_offset);
                ep_resp_array(&c->out, 3);
                arg_s(&c->out, "REPLCONF"), arg_s(&c->out, "ACK"), arg(&c->out, ep_bytes_of(t, (size_t)l));
            }
            return;
        }
        if (is(o, "listening-port") && ep_resp_parse_i64(v.data, v.len, &n) && n > 0 && n < 65536)
            c->listening_port = (int)n;
        /* capa eof/psync2, ip-address and the rest: accepted (we send "$len", which every replica reads) */
    }
    (void)s;
    reply_ok(c);
}

static void replicaof(server *s, client *c) {
    int64_t port = 0;
    char host[256];
    if (c->argc != 3) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", "replicaof");
        return;
    }
    if (is(c->argv[1], "no") && is(c->argv[2], "one")) {
        if (s->repl.mode) {
            repl_set_master(s, 0, NULL, 0);
            repl_new_replid(s); /* a new history starts here */
            s->repl.seldb = -1;
        }
        reply_ok(c);
        return;
    }
    if (!ep_resp_parse_i64(c->argv[2].data, c->argv[2].len, &port) || port <= 0 || port > 65535) {
        reply_error(c, "ERR Invalid master port");
        return;
    }
    snprintf(host, sizeof host, "%.*s", (int)(c->argv[1].len > 255 ? 255 : c->argv[1].len),
             (const char *)c->argv[1].data);
    repl_set_master(s, CLIENT_MASTER, host, (int)port);
    reply_simple(c, "OK Connected to master"); /* Redis 7's words (the link comes up in the loop) */
}

int repl_command(server *s, client *c) {
    ep_bytes n = c->argv[0];
    if (is(n, "replconf")) replconf(s, c);
    else if (is(n, "psync") || is(n, "sync")) psync(s, c);
    else if (is(n, "replicaof") || is(n, "slaveof")) replicaof(s, c);
    else if (is(n, "ember.sync")) follow_sync(s, c);
    else return 0;
    return 1;
}

/* A write command (the command table's write flag, commands.c) from a
 * client while we replicate: refused, as a Redis replica does. */
int repl_refuse_write(server *s, client *c) {
    if (!s->repl.mode || c->role == CLIENT_MASTER || c->role == CLIENT_LEADER) return 0;
    reply_error(c, "READONLY You can't write against a read only replica.");
    return 1;
}

/* ---- loop ------------------------------------------------------------------------- */

void repl_cron(server *s) {
    int64_t now = srv_now_ms();
    feed_files(s);
    if (s->repl.nreplicas && now - s->repl.last_ping_ms >= REPL_PING_MS) {
        s->repl.last_ping_ms = now;
        s->repl.cmd.len = 0;
        ep_resp_array(&s->repl.cmd, 1);
        arg_s(&s->repl.cmd, "PING");
        feed_command(s);
    }
    repl_link_cron(s);
}

void repl_client_gone(server *s, client *c) {
    if (c->role == CLIENT_REPLICA && s->repl.nreplicas) s->repl.nreplicas--;
    if (c->role == CLIENT_FOLLOWER && s->repl.nfollowers) s->repl.nfollowers--;
    if (c == s->repl.link) {
        s->repl.link = NULL;
        repl_set_master(s, s->repl.mode, s->repl.host, s->repl.port); /* reconnect, after the backoff */
    }
}

void repl_info(server *s, char *b, size_t cap, size_t *n) {
    client *c;
    size_t k = 0;
    int64_t now = srv_now_ms();
#define ADD(...) (*n += (*n < cap ? (size_t)snprintf(b + *n, cap - *n, __VA_ARGS__) : 0), *n = *n > cap ? cap : *n)
    ADD("# Replication\r\n");
    if (s->repl.mode) {
        ADD("role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n"
            "master_last_io_seconds_ago:%lld\r\nmaster_sync_in_progress:%d\r\nslave_read_repl_offset:%llu\r\n"
            "slave_repl_offset:%llu\r\nslave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\n"
            "master_link_attempts:%llu\r\nmaster_full_syncs:%llu\r\nember_follow:%d\r\n",
            s->repl.host, s->repl.port, repl_link_up(s) ? "up" : "down",
            s->repl.link ? (long long)((now - s->repl.last_io_ms) / 1000) : -1LL, repl_link_syncing(s),
            (unsigned long long)s->repl.link_offset, (unsigned long long)s->repl.link_offset,
            (unsigned long long)s->repl.attempts, (unsigned long long)s->repl.full_syncs,
            s->repl.mode == CLIENT_LEADER);
    } else {
        ADD("role:master\r\n");
    }
    ADD("connected_slaves:%zu\r\n", s->repl.nreplicas);
    for (c = s->clients; c; c = c->next)
        if (c->role == CLIENT_REPLICA)
            ADD("slave%zu:ip=127.0.0.1,port=%d,state=%s,offset=%llu,lag=%lld\r\n", k++, c->listening_port,
                c->sync_fd >= 0 ? "wait_bgsave" : "online", (unsigned long long)c->ack,
                (long long)((now - c->ack_ms) / 1000));
    ADD("ember_followers:%zu\r\nember_records_sent:%llu\r\n", s->repl.nfollowers, (unsigned long long)s->repl.records);
    for (c = s->clients, k = 0; c; c = c->next)
        if (c->role == CLIENT_FOLLOWER) ADD("follower%zu:offset=%llu\r\n", k++, (unsigned long long)c->ack);
    ADD("master_failover_state:no-failover\r\nmaster_replid:%s\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n"
        "master_repl_offset:%llu\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_records_not_sent:%llu\r\n\r\n",
        s->repl.replid, (unsigned long long)s->repl.offset, (unsigned long long)s->repl.skipped);
#undef ADD
}
