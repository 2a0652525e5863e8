/* libFuzzer: a whole WAL directory from one input. Byte 0: flags (bit 0
 * best effort; bit 1 a checkpoint blob first), then up to 16 blocks of
 * [u16 length][blob] (each at most 4 KiB) written into the in-memory vfs as
 * wal_1 .. wal_n (and the checkpoint). Runs replay (both modes), the segment
 * listing, recovery with the checkpoint, and the writer's open (which may
 * repair): never a crash, never an allocation past the caps, and the same
 * answer twice. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ep_result count_fn(void *user, uint64_t id, const uint8_t *d, size_t len) {
    uint64_t *n = (uint64_t *)user;
    (void)id;
    (void)d;
    (void)len;
    (*n)++;
    return EP_OK;
}

static int seg_fn(void *user, const ep_wal_segment_info *info) {
    (void)user;
    if (info->valid_bytes > info->file_bytes) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_vfs *v = NULL;
    size_t pos = 1;
    uint8_t flags;
    int seg = 0, have_ckpt;
    ep_wal_read_config rc;
    ep_wal_replay_info a, b;
    ep_result r1, r2;
    uint64_t n1 = 0, n2 = 0;
    if (size < 1) return 0;
    flags = data[0];
    have_ckpt = (flags & 2) != 0;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) return 0;
    v->mkdir(v, "w", NULL);
    while (pos + 2 <= size && seg < 17) {
        size_t len = ep_load_u16le(data + pos) & 0x0fffu;
        char path[64];
        pos += 2;
        if (len > size - pos) len = size - pos;
        if (have_ckpt && seg == 0) snprintf(path, sizeof path, "w/state.ckpt");
        else snprintf(path, sizeof path, "w/wal_%d.log", have_ckpt ? seg : seg + 1);
        ep_vfs_write_all(v, path, data + pos, len, NULL);
        pos += len;
        seg++;
    }
    ep_wal_read_config_init(&rc);
    rc.vfs = v;
    rc.mode = (flags & 1) ? EP_WAL_BEST_EFFORT : EP_WAL_STRICT;
    r1 = ep_wal_replay("w", &rc, count_fn, &n1, &a, NULL);
    r2 = ep_wal_replay("w", &rc, count_fn, &n2, &b, NULL);
    if (r1 != r2 || n1 != n2 || a.last_id != b.last_id) abort();
    (void)ep_wal_segments("w", &rc, seg_fn, NULL, NULL);
    {
        ep_wal_recover_config c;
        ep_wal_recover_info info;
        ep_wal_recover_config_init(&c);
        c.read = rc;
        c.checkpoint_path = have_ckpt ? "w/state.ckpt" : NULL;
        c.ignore_corrupt_checkpoint = (flags & 4) != 0;
        (void)ep_wal_recover("w", &c, NULL, NULL, NULL, &info, NULL);
    }
    if (flags & 8) {
        ep_wal_config wc;
        ep_wal *w = NULL;
        ep_wal_config_init(&wc);
        wc.vfs = v;
        wc.repair_tail = (flags & 16) != 0;
        if (ep_wal_open("w", &wc, &w, NULL) == EP_OK) {
            ep_wal_append(w, "x", 1, NULL);
            ep_wal_close(w);
            /* After the writer, strict replay must accept what it left. */
            rc.mode = EP_WAL_STRICT;
            if (ep_wal_replay("w", &rc, NULL, NULL, NULL, NULL) != EP_OK) abort();
        }
    }
    ep_vfs_mem_free(v);
    return 0;
}
