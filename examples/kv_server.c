/* A key-value server that keeps ITS OWN map (not ep_keyspace): at start it
 * recovers shard 0 of DIR into that map through visitor-mode recovery, logs
 * every change to the ember AOF, and writes snapshots from the map, entry by
 * entry, with the covering snapshot writer (ep_shard_snapshot_begin / commit),
 * which records the AOF prefix the snapshot holds so that no record is ever
 * applied twice on the next start.
 *
 * The protocol is one command per line on stdin, one reply per line on
 * stdout (the network part is examples/resp_server's; this is the storage
 * part a server needs):
 *   SET key value | GET key | DEL key | INCR key | COUNT | SNAPSHOT | QUIT
 *   CRASH (exit at once, nothing closed: what a kill -9 leaves)
 * Replies: OK, the value, (nil), the new integer, ERR <why>.
 *
 *   kv_server DIR < commands
 */
#include "ember_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the server's own map: chained hash table of strings ---- */

typedef struct node {
    struct node *next;
    char *key, *value;
} node;

typedef struct map {
    node **slot;
    size_t cap, count;
} map;

static size_t hash_of(const char *k, size_t n) {
    size_t h = 1469598103934665603u, i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 1099511628211u;
    return h;
}

static char *dup_n(const void *p, size_t n) {
    char *s = (char *)malloc(n + 1);
    if (!s) exit(1);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static node **map_find(map *m, const char *k, size_t n) {
    node **pp = &m->slot[hash_of(k, n) & (m->cap - 1)];
    while (*pp && !(strlen((*pp)->key) == n && memcmp((*pp)->key, k, n) == 0)) pp = &(*pp)->next;
    return pp;
}

static void map_grow(map *m) {
    map n;
    size_t i;
    n.cap = m->cap ? m->cap * 2 : 64;
    n.count = 0;
    n.slot = (node **)calloc(n.cap, sizeof *n.slot);
    if (!n.slot) exit(1);
    for (i = 0; i < m->cap; i++) {
        node *x = m->slot[i];
        while (x) {
            node *next = x->next, **pp = &n.slot[hash_of(x->key, strlen(x->key)) & (n.cap - 1)];
            x->next = *pp;
            *pp = x;
            n.count++;
            x = next;
        }
    }
    free(m->slot);
    *m = n;
}

static void map_put(map *m, const void *k, size_t kn, const void *v, size_t vn) {
    node **pp;
    if (m->count + 1 > m->cap / 2) map_grow(m);
    pp = map_find(m, (const char *)k, kn);
    if (*pp) {
        free((*pp)->value);
        (*pp)->value = dup_n(v, vn);
        return;
    }
    *pp = (node *)malloc(sizeof **pp);
    if (!*pp) exit(1);
    (*pp)->next = NULL;
    (*pp)->key = dup_n(k, kn);
    (*pp)->value = dup_n(v, vn);
    m->count++;
}

static int map_del(map *m, const void *k, size_t kn) {
    node **pp, *x;
    if (!m->cap) return 0;
    pp = map_find(m, (const char *)k, kn);
    if (!(x = *pp)) return 0;
    *pp = x->next;
    free(x->key);
    free(x->value);
    free(x);
    m->count--;
    return 1;
}

static const char *map_get(map *m, const char *k) {
    node **pp;
    if (!m->cap) return NULL;
    pp = map_find(m, k, strlen(k));
    return *pp ? (*pp)->value : NULL;
}

static void map_free(map *m) {
    size_t i;
    for (i = 0; i < m->cap; i++)
        while (m->slot[i]) {
            node *x = m->slot[i];
            m->slot[i] = x->next;
            free(x->key);
            free(x->value);
            free(x);
        }
    free(m->slot);
}

/* INCR's rule on the map (the same as the replay rule: a missing key is 0,
 * text or an overflow is refused). */
static int map_incr(map *m, const void *k, size_t kn, int64_t *out) {
    char buf[32];
    const char *cur;
    int64_t v = 0;
    node **pp;
    if (m->count + 1 > m->cap / 2) map_grow(m);
    pp = map_find(m, (const char *)k, kn);
    cur = *pp ? (*pp)->value : NULL;
    if (cur && !ep_parse_i64((const uint8_t *)cur, strlen(cur), &v)) return 0;
    if (v == INT64_MAX) return 0;
    v++;
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    map_put(m, k, kn, buf, strlen(buf));
    *out = v;
    return 1;
}

/* ---- recovery into the map (visitor mode) ---- */

static ep_result on_entry(void *user, const ep_snap_entry *e) {
    map *m = (map *)user;
    if (e->type != EP_TYPE_STRING) return EP_ERR_UNSUPPORTED_TYPE; /* this server writes strings only */
    if (e->expire_ms == 0) return EP_OK;                        /* expired: the visitor's to drop */
    map_put(m, e->key.data, e->key.len, e->value.data, e->value.len);
    return EP_OK;
}

static ep_result on_record(void *user, const ep_aof_record *r, uint64_t index) {
    map *m = (map *)user;
    int64_t v;
    (void)index;
    switch (r->tag) {
    case EP_AOF_SET: map_put(m, r->key.data, r->key.len, r->value.data, r->value.len); return EP_OK;
    case EP_AOF_DEL: map_del(m, r->key.data, r->key.len); return EP_OK;
    case EP_AOF_INCR: (void)map_incr(m, r->key.data, r->key.len, &v); return EP_OK;
    default: return EP_ERR_UNSUPPORTED; /* not a record this server writes */
    }
}

/* ---- the covering snapshot, from the map ----
 * ep_shard_snapshot_begin syncs the AOF writer and takes what it holds as
 * the prefix the snapshot covers; the map's entries go in one by one; commit
 * publishes shard-0.snap with a trailer naming that prefix, so the next
 * start loads the snapshot and replays only the records after it. */
static ep_result snapshot(const char *dir, map *m, ep_aof_writer *aof, ep_error *err) {
    ep_shard_snapshot_writer *w = NULL;
    ep_snapshot_writer *entries = NULL;
    ep_result r = ep_shard_snapshot_begin(dir, 0, aof, NULL, &w, err);
    size_t i;
    if (r != EP_OK) return r;
    ep_shard_snapshot_entries(w, &entries);
    for (i = 0; r == EP_OK && i < m->cap; i++) {
        node *x;
        for (x = m->slot[i]; r == EP_OK && x; x = x->next)
            r = ep_snapshot_writer_add_string(entries, ep_bytes_str(x->key), ep_bytes_str(x->value), -1);
    }
    if (r != EP_OK) {
        if (err) *err = *ep_shard_snapshot_error(w);
        (void)ep_shard_snapshot_abort(w);
        return r;
    }
    return ep_shard_snapshot_commit(w, err);
}

int main(int argc, char **argv) {
    char aof_path[1024], line[4096];
    map m = {NULL, 0, 0};
    ep_recover_config rc;
    ep_recover_result res;
    ep_aof_writer_config wc;
    ep_aof_writer *aof = NULL;
    ep_error err;
    ep_result r;
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR < commands\n", argv[0]);
        return 2;
    }
    ep_aof_writer_config_init(&wc);
    wc.fsync = EP_FSYNC_ALWAYS; /* a reply is sent once its change is on disk */
    wc.create_dir = 1;
    if (ep_aof_path(argv[1], 0, aof_path, sizeof aof_path) != EP_OK ||
        ep_aof_writer_open(aof_path, &wc, &aof, &err) != EP_OK) { /* the lock, and a torn tail cut */
        fprintf(stderr, "open %s: %s\n", aof_path, err.message);
        return 1;
    }
    ep_recover_config_init(&rc);
    rc.mode = EP_RECOVER_VISIT;
    rc.visitor.entry = on_entry;
    rc.visitor.record = on_record;
    rc.visitor.user = &m;
    if ((r = ep_recover_shard(argv[1], 0, &rc, &res, &err)) != EP_OK || res.aof_end == EP_AOF_END_ERROR ||
        (res.snapshot_present && !res.snapshot_loaded)) {
        fprintf(stderr, "recover %s: %s\n", argv[1],
                r != EP_OK ? err.message : res.snapshot_error.code ? res.snapshot_error.message : res.aof_error.message);
        ep_recover_result_free(&res);
        ep_aof_writer_close(aof);
        map_free(&m);
        return 1;
    }
    printf("recovered %lu keys (%llu records replayed, %llu covered by the snapshot)\n", (unsigned long)m.count,
           (unsigned long long)res.records_applied, (unsigned long long)res.records_skipped);
    /* A stale trailer (the AOF was reset or replaced after the snapshot)
     * covers bytes this AOF does not start with: settle it with a covering
     * snapshot before appending (see EP_TRAILER_STALE in recovery.h). */
    if (res.trailer == EP_TRAILER_STALE && (r = snapshot(argv[1], &m, aof, &err)) != EP_OK) {
        fprintf(stderr, "snapshot %s: %s\n", argv[1], err.message);
        ep_recover_result_free(&res);
        ep_aof_writer_close(aof);
        map_free(&m);
        return 1;
    }
    ep_recover_result_free(&res);
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        char *cmd = strtok(line, " \r\n"), *k = strtok(NULL, " \r\n"), *v = strtok(NULL, "\r\n");
        int64_t n;
        r = EP_OK;
        if (!cmd) continue;
        if (strcmp(cmd, "QUIT") == 0) break;
        if (strcmp(cmd, "CRASH") == 0) exit(3); /* every reply sent so far was synced (ALWAYS) */
        if (strcmp(cmd, "COUNT") == 0) {
            printf("%lu\n", (unsigned long)m.count);
        } else if (strcmp(cmd, "SNAPSHOT") == 0) {
            r = snapshot(argv[1], &m, aof, &err);
            if (r == EP_OK) puts("OK");
        } else if (!k) {
            puts("ERR missing key");
        } else if (strcmp(cmd, "GET") == 0) {
            const char *val = map_get(&m, k);
            puts(val ? val : "(nil)");
        } else if (strcmp(cmd, "SET") == 0 && v) {
            /* log first, then change the map: a reply means both */
            if ((r = ep_aof_set(aof, ep_bytes_str(k), ep_bytes_str(v), -1)) == EP_OK) {
                map_put(&m, k, strlen(k), v, strlen(v));
                puts("OK");
            }
        } else if (strcmp(cmd, "DEL") == 0) {
            int had = map_get(&m, k) != NULL;
            if (had && (r = ep_aof_del(aof, ep_bytes_str(k))) == EP_OK) map_del(&m, k, strlen(k));
            if (r == EP_OK) printf("%d\n", had);
        } else if (strcmp(cmd, "INCR") == 0) {
            const char *cur = map_get(&m, k);
            int64_t c = 0;
            if (cur && (!ep_parse_i64((const uint8_t *)cur, strlen(cur), &c) || c == INT64_MAX)) {
                puts("ERR value is not an integer or out of range"); /* refused before it is logged */
            } else if ((r = ep_aof_incr(aof, ep_bytes_str(k))) == EP_OK && map_incr(&m, k, strlen(k), &n)) {
                printf("%lld\n", (long long)n);
            }
        } else {
            puts("ERR unknown command");
        }
        if (r != EP_OK) printf("ERR %s\n", ep_result_str(r));
        fflush(stdout);
    }
    r = ep_aof_writer_close(aof);
    map_free(&m);
    return r == EP_OK ? 0 : 1;
}
