/* wal_counter DIR N: durability's quick start with ember_persist's WAL.
 * A counter whose every change is a WAL record ("add k", 8 bytes). The
 * program recovers the counter from DIR (checkpoint + WAL suffix), appends
 * N operations into small segments (so N = 10000 makes several), publishes
 * a checkpoint halfway (which removes the segments it covers), syncs, and
 * then recovers again *without closing the writer*: what a crash right now
 * would leave. It prints that recovered counter. Run it twice: the second
 * run starts from the first one's state. */
#include "ember_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counter {
    int64_t value;
} counter;

/* The checkpoint holds the counter as of its id. */
static ep_result on_init(void *user, int has_checkpoint, uint64_t id, const uint8_t *state, size_t len) {
    counter *c = (counter *)user;
    (void)id;
    c->value = 0;
    if (has_checkpoint) {
        if (len != 8) return EP_ERR_CORRUPT;
        c->value = ep_load_i64le(state);
    }
    return EP_OK;
}

/* Records: "add k" as an i64; the publish markers are empty records. */
static ep_result on_record(void *user, uint64_t id, const uint8_t *data, size_t len) {
    counter *c = (counter *)user;
    (void)id;
    if (len == 8) c->value += ep_load_i64le(data);
    else if (len != 0) return EP_ERR_CORRUPT;
    return EP_OK;
}

static int recover(const char *wal_dir, const char *ckpt, counter *c, uint64_t *last) {
    ep_wal_recover_config rc;
    ep_wal_recover_info info;
    ep_error err;
    ep_result r;
    ep_wal_recover_config_init(&rc);
    rc.checkpoint_path = ckpt;
    r = ep_wal_recover(wal_dir, &rc, on_init, on_record, c, &info, &err);
    if (r == EP_ERR_NOT_FOUND) { /* first run: nothing yet */
        c->value = 0;
        *last = 0;
        return 0;
    }
    if (r != EP_OK) {
        fprintf(stderr, "recover: %s\n", err.message);
        return 1;
    }
    *last = info.last_id;
    return 0;
}

int main(int argc, char **argv) {
    char wal_dir[512], ckpt[512];
    ep_wal_config cfg;
    ep_wal *w = NULL;
    ep_error err;
    counter c;
    uint64_t last = 0, i, n;
    uint8_t rec[8], state[8];
    if (argc != 3) {
        fprintf(stderr, "usage: wal_counter DIR N\n");
        return 64;
    }
    n = strtoull(argv[2], NULL, 10);
    snprintf(wal_dir, sizeof wal_dir, "%s/wal", argv[1]);
    snprintf(ckpt, sizeof ckpt, "%s/counter.ckpt", argv[1]);

    if (recover(wal_dir, ckpt, &c, &last)) return 2;
    printf("start: counter = %lld (last id %llu)\n", (long long)c.value, (unsigned long long)last);

    ep_wal_config_init(&cfg);
    cfg.segment_bytes = 16 * 1024; /* small segments, to show rotation and truncation */
    if (ep_wal_open(wal_dir, &cfg, &w, &err) != EP_OK) { /* makes DIR/wal and its parents */
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    for (i = 1; i <= n; i++) {
        int64_t k = (int64_t)(i % 7) - 2; /* some adds, some subtracts */
        uint64_t id;
        ep_store_i64le(rec, k);
        if (ep_wal_append(w, rec, sizeof rec, &id) != EP_OK) break;
        c.value += k;
        if (i == n / 2) {
            ep_wal_publish_result pr;
            /* The state as of id, durably; then the marker, sync, and the
             * segments it covers go. */
            ep_store_i64le(state, c.value);
            if (ep_wal_publish(w, ckpt, id, state, sizeof state, NULL, 0, &pr) != EP_OK) break;
            printf("published: checkpoint at id %llu, marker %llu, %lu segments removed\n",
                   (unsigned long long)pr.checkpoint_id, (unsigned long long)pr.marker_id, (unsigned long)pr.removed);
        }
    }
    if (i <= n || ep_wal_sync(w) != EP_OK) { /* sync: now it survives power loss */
        fprintf(stderr, "append: %s\n", ep_wal_error(w)->message);
        ep_wal_close(w);
        return 1;
    }
    printf("appended: %llu operations, counter = %lld\n", (unsigned long long)n, (long long)c.value);

    /* "Crash": recover from what is on disk while the writer is still open. */
    if (recover(wal_dir, ckpt, &c, &last)) return 2;
    printf("recovered: counter = %lld (last id %llu)\n", (long long)c.value, (unsigned long long)last);
    return ep_wal_close(w) == EP_OK ? 0 : 1;
}
