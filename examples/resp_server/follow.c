/* follow.c: the ember-native follower (--follow HOST PORT), between two
 * resp_servers, carried by ember's in-memory forms (ember-format §3.7).
 *
 * The follower sends EMBER.SYNC. The leader answers "+EMBERSYNC <n>\r\n"
 * (n: records sent to followers so far, the follower's starting offset),
 * then "$<len>\r\n" + a version-2 snapshot of its keyspace (written by the
 * library's snapshot writer to a file in its directory, streamed like the
 * RDB of a Redis full sync), then every record it logs, each as a RESP bulk
 * of its replication bytes (tag + payload, ep_aof_encode); an empty bulk is
 * FLUSHDB (which is not a record). The follower checks the snapshot as a
 * whole (ep_snapshot_read_bytes verifies every entry and the footer before
 * the first one is used), makes it its durable state, then logs and applies
 * each record exactly as the leader did (TTLs absolute: PEXPIREAT), and
 * acknowledges its record count with REPLCONF ACK every 100 ms. */
#define _POSIX_C_SOURCE 200809L
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FOLLOW_MAX_SNAPSHOT ((uint64_t)768 << 20) /* under the input cap (SRV_MAX_QUERY) */

/* ---- leader side ---------------------------------------------------------------- */

static int write_snapshot(server *s, const char *path, char *why, size_t cap) {
    ep_snapshot_writer *w;
    ep_error err;
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    ep_buf scratch;
    int64_t now = srv_now_ms();
    ep_result r;
    memset(&err, 0, sizeof err);
    if ((r = ep_snapshot_writer_begin(path, 0, NULL, &w, &err)) != EP_OK) goto fail;
    ep_buf_init(&scratch, NULL);
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(s->ks, &it)) != NULL) {
        ep_snap_entry se;
        int64_t ttl = ep_ks_entry_ttl(e);
        if (ttl >= 0 && ttl <= now) continue; /* expired */
        scratch.len = 0;
        if ((r = ep_ks_entry_to_snap(e, &scratch, &se)) != EP_OK) break;
        se.expire_ms = ttl >= 0 ? ttl - now : -1; /* the snapshot holds remaining ms */
        if ((r = ep_snapshot_writer_add(w, &se)) != EP_OK) break;
    }
    ep_buf_free(&scratch);
    if (r != EP_OK) {
        if (ep_snapshot_writer_error(w) && ep_snapshot_writer_error(w)->message[0]) err = *ep_snapshot_writer_error(w);
        (void)ep_snapshot_writer_abort(w);
        goto fail;
    }
    if ((r = ep_snapshot_writer_commit(w, &err)) != EP_OK) goto fail;
    return 0;
fail:
    snprintf(why, cap, "%s", err.message[0] ? err.message : ep_result_str(r));
    return -1;
}

void follow_sync(server *s, client *c) {
    char path[1200], why[256], line[64];
    uint64_t size;
    int fd;
    if (c->role != CLIENT_NORMAL) {
        reply_error(c, "ERR EMBER.SYNC on a replication link");
        return;
    }
    snprintf(path, sizeof path, "%s/follow-sync-%d.snap", s->dir, c->fd);
    if (write_snapshot(s, path, why, sizeof why) != 0 || (fd = repl_open_unlinked(path, &size)) < 0) {
        fprintf(stderr, "resp_server: EMBER.SYNC: cannot write the snapshot: %s\n", why);
        reply_error(c, "ERR EMBER.SYNC failed: can't write the snapshot");
        return;
    }
    snprintf(line, sizeof line, "+EMBERSYNC %llu\r\n", (unsigned long long)s->repl.records);
    ep_buf_put(&c->out, line, strlen(line));
    repl_send_file(c, fd, size);
    c->role = CLIENT_FOLLOWER;
    c->ack = s->repl.records;
    c->ack_ms = srv_now_ms();
    s->repl.nfollowers++;
}

static void feed_followers(server *s, const uint8_t *p, size_t n) {
    client *c;
    for (c = s->clients; c; c = c->next)
        if (c->role == CLIENT_FOLLOWER) ep_buf_put(c->sync_fd >= 0 ? &c->sync_pending : &c->out, p, n);
}

void follow_propagate(server *s, const ep_aof_record *log, size_t n) {
    size_t i;
    ep_buf *b = &s->repl.cmd;
    for (i = 0; i < n; i++) {
        char h[24];
        size_t start;
        int hl;
        b->len = 0;
        if (ep_buf_reserve(b, 24) != EP_OK) return;
        b->len = 24; /* room for the header, written once the length is known */
        start = b->len;
        if (ep_aof_encode(b, &log[i]) != EP_OK) {
            s->repl.skipped++;
            continue;
        }
        hl = snprintf(h, sizeof h, "$%zu\r\n", b->len - start);
        memcpy(b->data + start - (size_t)hl, h, (size_t)hl);
        ep_buf_put(b, "\r\n", 2);
        feed_followers(s, b->data + start - (size_t)hl, b->len - (start - (size_t)hl));
        s->repl.records++;
    }
}

void follow_propagate_flush(server *s) {
    feed_followers(s, (const uint8_t *)"$0\r\n\r\n", 6);
    s->repl.records++;
}

/* ---- follower side ------------------------------------------------------------ */

static int load_entry(void *ctx, const ep_snap_entry *e) {
    return ep_keyspace_load_entry((ep_keyspace *)ctx, e) == EP_OK ? 0 : 1;
}

static int take_snapshot(server *s, client *c) {
    ep_keyspace *ks = NULL;
    ep_error err;
    ep_result r;
    int64_t t0;
    size_t len = (size_t)s->repl.transfer_left;
    if (c->in.len - c->in_pos < len) { /* wait for all of it, in one allocation */
        if (c->in.cap - c->in_pos < len) (void)ep_buf_reserve(&c->in, len - (c->in.len - c->in_pos));
        return 0;
    }
    memset(&err, 0, sizeof err);
    if (ep_keyspace_create(NULL, &ks) != EP_OK) {
        repl_link_failed(s, "out of memory");
        return -1;
    }
    t0 = srv_now_ms(); /* the snapshot's remaining ms count from its arrival, not from after the load */
    r = ep_snapshot_read_bytes(c->in.data + c->in_pos, len, NULL, load_entry, ks, &err);
    c->in_pos += len;
    if (r != EP_OK) {
        ep_keyspace_free(ks);
        fprintf(stderr, "resp_server: EMBER.SYNC: the leader's snapshot: %s\n", err.message[0] ? err.message : ep_result_str(r));
        repl_link_failed(s, NULL);
        return -1;
    }
    return repl_link_synced(s, ks, t0, "EMBER.SYNC") == 0 ? 1 : -1;
}

/* The in-memory form of a logged record: the running keyspace holds
 * absolute deadlines (persist.c), the log holds ember's forms. */
static ep_aof_record memory_form(const ep_aof_record *r, int64_t now) {
    ep_aof_record m = *r;
    switch (r->tag) {
    case EP_AOF_SET: case EP_AOF_PROTO_SET: if (r->num >= 0) m.num = now + r->num; break;
    case EP_AOF_PEXPIREAT: m.tag = EP_AOF_PEXPIRE; break;
    case EP_AOF_PEXPIRE: m.num = now + r->num; break;
    case EP_AOF_EXPIRE: m.tag = EP_AOF_PEXPIRE; m.num = now + r->num * 1000; break;
    default: break;
    }
    return m;
}

static int flush_all(server *s, client *c) {
    static const ep_bytes argv[1] = {{(const uint8_t *)"FLUSHDB", 7}};
    size_t mark = c->out.len;
    c->argv = argv;
    c->argc = 1;
    cmd_run(s, c); /* the one FLUSHDB rule (commands.c) */
    c->out.len = mark;
    c->argv = NULL;
    c->argc = 0;
    return 0;
}

static int records(server *s, client *c) {
    for (;;) {
        char line[32];
        uint64_t n;
        size_t save = c->in_pos, used = 0;
        ep_aof_record rec, mem;
        int r = repl_take_line(c, line, sizeof line);
        if (r == 0) return 0;
        if (r < 0 || repl_parse_len(line, SRV_MAX_BULK, &n) != 0) {
            repl_link_failed(s, "malformed record stream");
            return -1;
        }
        if (c->in.len - c->in_pos < n + 2) { /* the record is not all here yet */
            c->in_pos = save;
            return 0;
        }
        if (n == 0) {
            flush_all(s, c);
        } else {
            if (ep_aof_decode(c->in.data + c->in_pos, (size_t)n, &rec, &used) != EP_OK || used != n) {
                repl_link_failed(s, "a record the leader sent does not decode");
                return -1;
            }
            mem = memory_form(&rec, srv_now_ms());
            if (persist_apply(s, NULL, &rec, 1, &mem, 1) != 0) { /* not logged, not applied: resync later */
                repl_link_failed(s, "cannot log a record from the leader");
                return -1;
            }
        }
        c->in_pos += (size_t)n + 2;
        s->repl.link_offset++;
    }
}

int follow_link_input(server *s, client *c) {
    char line[128];
    int r;
    if (s->repl.state == LINK_HANDSHAKE) {
        unsigned long long off;
        if ((r = repl_take_line(c, line, sizeof line)) <= 0) {
            if (r < 0) repl_link_failed(s, "malformed EMBER.SYNC reply");
            return r;
        }
        if (sscanf(line, "+EMBERSYNC %llu", &off) != 1) {
            repl_link_failed(s, line);
            return -1;
        }
        s->repl.link_offset = off;
        s->repl.state = LINK_TRANSFER_HDR;
    }
    if (s->repl.state == LINK_TRANSFER_HDR) {
        uint64_t len;
        if ((r = repl_take_line(c, line, sizeof line)) <= 0) {
            if (r < 0) repl_link_failed(s, "malformed snapshot header");
            return r;
        }
        if (repl_parse_len(line, FOLLOW_MAX_SNAPSHOT, &len) != 0) {
            repl_link_failed(s, "bad snapshot header");
            return -1;
        }
        s->repl.transfer_left = len;
        s->repl.state = LINK_TRANSFER;
    }
    if (s->repl.state == LINK_TRANSFER && (r = take_snapshot(s, c)) <= 0) return r;
    if (s->repl.state == LINK_UP) return records(s, c);
    return 0;
}
