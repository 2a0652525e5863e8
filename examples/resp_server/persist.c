/* persist.c: the server's data directory through the library.
 *
 * Start: ep_recover_shard (snapshot + AOF) builds the keyspace; then the AOF
 * writer opens (it trims a torn tail). Every change is an AOF record,
 * appended then applied. TTLs: files hold ember's forms (relative ms in the
 * snapshot, absolute PEXPIREAT in our records, so a restart does not extend
 * a TTL); the running keyspace holds absolute Unix ms, converted after
 * recovery and around each snapshot.
 *
 * Group commit: under appendfsync always the writer is in a batch for the
 * whole loop iteration; persist_commit ends it (one fsync for everything
 * appended by every client) before any reply that depends on it is sent. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Recovery's clock: the one instant, read before it starts, that its
 * remaining ms are measured from and that turns them back into deadlines
 * (recovery reads it once; reading the clock again after a 1 M-key recovery
 * moved every deadline by the recovery's ~1.5 s). */
static int64_t fixed_wall(void *u) { return *(const int64_t *)u; }

static void log_fn(void *user, ep_log_level level, const char *msg) {
    server *s = (server *)user;
    if (s->verbose || level != EP_LOG_INFO) fprintf(stderr, "resp_server: %s\n", msg);
}

/* Collected keys and their ttls, so the keyspace is not changed while it is iterated. */
typedef struct ttl_list {
    ep_buf keys;    /* u32 len + bytes, back to back */
    size_t n;
} ttl_list;

static void ttl_collect(server *s, ttl_list *l) {
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    ep_buf_init(&l->keys, NULL);
    l->n = 0;
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(s->ks, &it)) != NULL) {
        if (ep_ks_entry_ttl(e) >= 0) {
            ep_bytes k = ep_ks_entry_key(e);
            ep_buf_lenbytes(&l->keys, k.data, k.len);
            l->n++;
        }
    }
}

/* Adds delta to every ttl in the list (in memory only: never logged). */
static void ttl_shift(server *s, ttl_list *l, int64_t delta) {
    size_t pos = 0;
    while (pos + 4 <= l->keys.len) {
        uint32_t n = ep_load_u32le(l->keys.data + pos);
        ep_bytes k = ep_bytes_of(l->keys.data + pos + 4, n);
        const ep_ks_entry *e = ep_keyspace_get(s->ks, k.data, k.len);
        if (e && ep_ks_entry_ttl(e) >= 0) {
            ep_aof_record r;
            int64_t t = ep_ks_entry_ttl(e) + delta;
            memset(&r, 0, sizeof r);
            r.tag = EP_AOF_PEXPIRE;
            r.key = k;
            r.num = t < 1 ? 1 : t; /* 0 would mean "expired"; the expiry pass decides that */
            (void)ep_keyspace_apply(s->ks, &r, 0);
        }
        pos += 4 + n;
    }
}

int persist_open(server *s) {
    ep_recover_config rc;
    ep_recover_result res;
    ep_aof_writer_config wc;
    ep_error err;
    char path[1200];
    ttl_list l;
    ep_result r;
    int64_t t0 = srv_now_ms();
    ep_recover_config_init(&rc);
    rc.vfs = s->vfs;
    rc.key = s->key;
    rc.wall_clock_ms = fixed_wall;
    rc.clock_user = &t0;
    rc.log = log_fn;
    rc.log_user = s;
    rc.keyspace_seed = (uint64_t)srv_now_ms();
    r = ep_recover_shard(s->dir, 0, &rc, &res, &err);
    if (r != EP_OK) {
        fprintf(stderr, "resp_server: recovery failed: %s\n", err.message);
        return -1;
    }
    if (res.aof_end == EP_AOF_END_ERROR) {
        /* Refuse rather than append behind a record that cannot be read: the
         * writer would refuse too, and running without the AOF loses data. */
        fprintf(stderr, "resp_server: the AOF has an error at offset %llu: %s\n",
                (unsigned long long)res.aof_error.offset, res.aof_error.message);
        ep_recover_result_free(&res);
        return -1;
    }
    s->ks = res.keyspace;
    res.keyspace = NULL;
    if (s->verbose)
        fprintf(stderr, "resp_server: recovered %zu keys (snapshot %s, %llu records)\n", ep_keyspace_count(s->ks),
                res.snapshot_loaded ? "loaded" : "none", (unsigned long long)res.records_applied);
    ep_recover_result_free(&res);
    /* remaining ms (from t0) -> absolute deadlines */
    ttl_collect(s, &l);
    ttl_shift(s, &l, t0);
    ep_buf_free(&l.keys);

    if (ep_aof_path(s->dir, 0, path, sizeof path)) return -1;
    ep_aof_writer_config_init(&wc);
    wc.vfs = s->vfs;
    wc.fsync = s->fsync;
    wc.key = s->key;
    r = ep_aof_writer_open(path, &wc, &s->aof, &err);
    if (r != EP_OK) {
        fprintf(stderr, "resp_server: cannot open %s: %s\n", path, err.message);
        return -1;
    }
    if (s->fsync == EP_FSYNC_ALWAYS) (void)ep_aof_batch_begin(s->aof);
    return 0;
}

void persist_close(server *s) {
    if (s->aof) {
        if (s->fsync == EP_FSYNC_ALWAYS) (void)ep_aof_batch_end(s->aof);
        (void)ep_aof_writer_close(s->aof);
        s->aof = NULL;
    }
    ep_keyspace_free(s->ks);
    s->ks = NULL;
}

static int append_failed(server *s, client *c, ep_result r) {
    if (!c) return -1;
    const ep_error *e = ep_aof_writer_error(s->aof);
    if (r == EP_ERR_UTF8)
        reply_error(c, "ERR ember keys, members and fields must be valid UTF-8");
    else if (r == EP_ERR_NO_SPACE)
        reply_error(c, "MISCONF disk full, write rejected");
    else
        reply_errorf(c, "MISCONF error writing the AOF: %s", e && e->message[0] ? e->message : ep_result_str(r));
    return -1;
}

int persist_apply(server *s, client *c, const ep_aof_record *log, size_t nlog, const ep_aof_record *mem,
                  size_t nmem) {
    size_t i;
    int64_t now = srv_now_ms();
    if (s->aof && nlog) {
        ep_result r = nlog == 1 ? ep_aof_append(s->aof, &log[0]) : ep_aof_append_batch(s->aof, log, nlog);
        if (r != EP_OK) return append_failed(s, c, r);
        s->aof_records += nlog;
    }
    if (!mem) {
        mem = log;
        nmem = nlog;
    }
    for (i = 0; i < nmem; i++) (void)ep_keyspace_apply(s->ks, &mem[i], now);
    s->dirty += nmem;
    repl_propagate(s, log, nlog); /* what was logged is what replicas get */
    return 0;
}

int persist_change(server *s, client *c, const ep_aof_record *rec, const ep_aof_record *mem) {
    return persist_apply(s, c, rec, 1, mem, mem ? 1 : 0);
}

int persist_commit(server *s) {
    ep_result r;
    if (!s->aof || s->fsync != EP_FSYNC_ALWAYS || s->aof_records == 0) return 0;
    r = ep_aof_batch_end(s->aof); /* the one sync of this iteration */
    s->aof_records = 0;
    if (r != EP_OK) return -1;
    return ep_aof_batch_begin(s->aof) == EP_OK ? 0 : -1;
}

void persist_tick(server *s) {
    if (s->aof && s->fsync == EP_FSYNC_EVERYSEC) (void)ep_aof_writer_tick(s->aof);
}

/* The snapshot holds remaining ms and no time of writing, so a restart
 * from it alone would extend every TTL by the time since it was written.
 * The absolute deadlines follow it in the AOF (not a change: not
 * replicated), and replay puts them back exactly. */
static void log_deadlines(server *s, const ttl_list *l) {
    size_t pos = 0;
    if (!s->aof) return;
    while (pos + 4 <= l->keys.len) {
        uint32_t n = ep_load_u32le(l->keys.data + pos);
        const ep_ks_entry *e = ep_keyspace_get(s->ks, l->keys.data + pos + 4, n);
        if (e && ep_ks_entry_ttl(e) >= 0) {
            ep_aof_record r;
            memset(&r, 0, sizeof r);
            r.tag = EP_AOF_PEXPIREAT;
            r.key = ep_bytes_of(l->keys.data + pos + 4, n);
            r.num = ep_ks_entry_ttl(e);
            if (ep_aof_append(s->aof, &r) != EP_OK) return; /* the writer keeps the error; the next write reports it */
            s->aof_records++;
        }
        pos += 4 + n;
    }
}

/* A snapshot wants remaining ms: expire what is due, shift to relative,
 * write, shift back by the same amount. */
static int snapshot_with(server *s, int rewrite, char *why, size_t cap) {
    ep_shard_config sc;
    ep_error err;
    ep_result r;
    ttl_list l;
    int64_t now;
    expire_cycle(s, (size_t)-1);
    if (s->aof && s->fsync == EP_FSYNC_ALWAYS) (void)ep_aof_batch_end(s->aof);
    now = srv_now_ms();
    ttl_collect(s, &l);
    ttl_shift(s, &l, -now);
    ep_shard_config_init(&sc);
    sc.vfs = s->vfs;
    sc.key = s->key;
    memset(&err, 0, sizeof err);
    r = rewrite ? ep_shard_rewrite(s->dir, 0, s->ks, s->aof, &sc, &err)
                : ep_shard_snapshot(s->dir, 0, s->ks, s->aof, &sc, &err);
    ttl_shift(s, &l, now);
    if (s->aof && s->fsync == EP_FSYNC_ALWAYS) (void)ep_aof_batch_begin(s->aof);
    s->aof_records = 0; /* the snapshot synced the AOF first */
    if (r == EP_OK) log_deadlines(s, &l);
    ep_buf_free(&l.keys);
    if (r != EP_OK) {
        snprintf(why, cap, "%s", err.message[0] ? err.message : ep_result_str(r));
        return -1;
    }
    s->dirty = 0;
    s->last_save_unix = now / 1000;
    return 0;
}

int persist_save(server *s, char *why, size_t cap) { return snapshot_with(s, 0, why, cap); }
int persist_rewrite(server *s, char *why, size_t cap) {
    if (!s->aof) return snapshot_with(s, 0, why, cap);
    return snapshot_with(s, 1, why, cap);
}

int persist_replace(server *s, ep_keyspace *ks, int64_t base_ms, char *why, size_t cap) {
    ttl_list l;
    ep_keyspace_free(s->ks);
    s->ks = ks;
    ep_keyspace_iter_init(&s->expire_cursor);
    ttl_collect(s, &l);
    ttl_shift(s, &l, base_ms); /* remaining ms -> absolute deadlines */
    ep_buf_free(&l.keys);
    return persist_rewrite(s, why, cap);
}
