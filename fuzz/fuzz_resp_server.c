/* libFuzzer: any bytes as one client's requests to resp_server's command
 * dispatcher (examples/resp_server/{resp,commands,persist}.c, linked here),
 * with a fake client (no socket) and the data directory in a memory vfs:
 * parsing through the codec, every command with every argument shape,
 * replies, AOF appends under appendfsync always (group commit per batch),
 * SAVE / BGREWRITEAOF / FLUSHDB snapshots. After the input, the server is
 * closed and a second one recovers the directory: every key the first held
 * (and had not expired) must come back with its type, length and string
 * value, and no other key; recovery must never fail on what the server
 * wrote. Time stands still (srv_now_ms is this file's), so runs repeat.
 *
 * Inputs naming SETRANGE or SETBIT are skipped: a 512 MiB offset is legal
 * and would spend the run on one allocation (test_resp_compare covers
 * them). */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "../examples/resp_server/server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* main.c (left out: the target has no sockets) owns accepting clients; the
 * replica's link code calls it only after a connect, which never happens here. */
client *server_add_client(server *s, int fd) {
    (void)s;
    (void)fd;
    return NULL;
}

#define FZ_NOW 1700000000000LL

int64_t srv_now_ms(void) { return FZ_NOW; }

static int mentions(const uint8_t *d, size_t n, const char *word) {
    size_t w = strlen(word), i, j;
    for (i = 0; i + w <= n; i++) {
        for (j = 0; j < w && tolower(d[i + j]) == word[j]; j++) {
        }
        if (j == w) return 1;
    }
    return 0;
}

static int server_open(server *s, ep_vfs *vfs) {
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/fz");
    s->vfs = vfs;
    s->fsync = EP_FSYNC_ALWAYS;
    s->out_hard = SRV_OUT_HARD;
    s->bind = "127.0.0.1";
    s->listen_fd = -1;
    ep_buf_init(&s->scratch, NULL);
    ep_buf_init(&s->scratch2, NULL);
    ep_keyspace_iter_init(&s->expire_cursor);
    return persist_open(s);
}

static void server_close(server *s) {
    persist_close(s);
    ep_buf_free(&s->scratch);
    ep_buf_free(&s->scratch2);
}

/* Live keys (not expired at FZ_NOW) of a against b: same type, length and
 * string bytes; returns how many a holds. */
static size_t check_keys(const ep_keyspace *a, const ep_keyspace *b) {
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    size_t n = 0;
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(a, &it)) != NULL) {
        ep_bytes k = ep_ks_entry_key(e), v = ep_ks_entry_value(e), w;
        const ep_ks_entry *f;
        int64_t ttl = ep_ks_entry_ttl(e);
        if (ttl >= 0 && ttl <= FZ_NOW) continue; /* due: either side may have dropped it */
        f = ep_keyspace_get(b, k.data, k.len);
        if (!f || ep_ks_entry_type(f) != ep_ks_entry_type(e) || ep_ks_entry_len(f) != ep_ks_entry_len(e)) abort();
        w = ep_ks_entry_value(f);
        if (v.len != w.len || (v.len && memcmp(v.data, w.data, v.len) != 0)) abort();
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_vfs *vfs;
    server s, r;
    client c;
    int rounds = 0;
    if (mentions(data, size, "setrange") || mentions(data, size, "setbit")) return 0;
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK || vfs->mkdir(vfs, "/fz", NULL) != EP_OK) abort();
    if (server_open(&s, vfs) != 0) abort();
    memset(&c, 0, sizeof c);
    c.fd = -1;
    c.resp = 2;
    ep_buf_init(&c.in, NULL);
    ep_buf_init(&c.out, NULL);
    ep_buf_put(&c.in, data, size);
    if (c.in.err) abort();
    /* as the loop runs it: requests until the output pauses them, the group
     * commit, the output "sent" (dropped here), again */
    while (!c.close_after && !s.shutdown && c.in.len > 0 && rounds++ < 100000) {
        size_t before = c.in.len;
        (void)resp_process(&s, &c);
        if (persist_commit(&s) != 0) abort(); /* a memory vfs never fails a sync */
        c.out.len = c.out_pos = c.out_ready = 0;
        if (c.in.len == before) break; /* an incomplete request: nothing more will come */
    }
    ep_resp_parser_free(c.parser);
    ep_buf_free(&c.in);
    ep_buf_free(&c.out);
    /* what recovery rebuilds is what the server held */
    {
        ep_keyspace *live = s.ks;
        s.ks = NULL;
        persist_close(&s);
        if (server_open(&r, vfs) != 0) abort();
        if (check_keys(live, r.ks) != check_keys(r.ks, live)) abort();
        ep_keyspace_free(live);
        server_close(&r);
    }
    ep_buf_free(&s.scratch);
    ep_buf_free(&s.scratch2);
    ep_vfs_mem_free(vfs);
    return 0;
}
