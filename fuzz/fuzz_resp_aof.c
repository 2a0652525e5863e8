/* libFuzzer: the RESP AOF reader on any bytes, through an in-memory file
 * read with a window the first byte picks (1..64 bytes, so every command
 * crosses refills) and with a large one: both must return the same
 * commands and end the same way (clean, truncated with the same
 * valid_bytes, or damaged at the same offset). Then the writer opens the
 * file: it must refuse damage, and after trimming a torn tail and appending
 * one command the file must read back clean with that command last. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct acc {
    uint64_t h, n;
    size_t last_argc;
} acc;

static ep_result on_cmd(void *u, size_t argc, const ep_bytes *argv) {
    acc *a = (acc *)u;
    size_t i, j;
    if (argc == 0) abort();
    for (i = 0; i < argc; i++) {
        for (j = 0; j < argv[i].len; j++) a->h = (a->h ^ argv[i].data[j]) * 0x100000001b3ull;
        a->h = (a->h ^ argv[i].len) * 0x100000001b3ull;
    }
    a->n++;
    a->last_argc = argc;
    return EP_OK;
}

static ep_result read_with(ep_vfs *vfs, size_t chunk, acc *a, ep_resp_aof_status *st) {
    ep_resp_aof_reader_config rc;
    ep_error err;
    ep_resp_aof_reader_config_init(&rc);
    rc.vfs = vfs;
    rc.chunk_size = chunk;
    /* the default caps, as the writer's own scan uses */
    memset(a, 0, sizeof *a);
    return ep_resp_aof_read_all("f.aof", &rc, on_cmd, a, st, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_vfs *vfs = NULL;
    acc a1, a2;
    ep_resp_aof_status s1, s2;
    ep_result r1, r2;
    size_t chunk;
    if (size < 1) return 0;
    chunk = (size_t)(data[0] % 64) + 1;
    data++, size--;
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK) abort();
    if (ep_vfs_write_all(vfs, "f.aof", data, size, NULL) != EP_OK) abort();
    r1 = read_with(vfs, chunk, &a1, &s1);
    r2 = read_with(vfs, 1u << 20, &a2, &s2);
    if (r1 != r2 || a1.h != a2.h || a1.n != a2.n || s1.end != s2.end || s1.valid_bytes != s2.valid_bytes) abort();
    if (s1.end == EP_RESP_AOF_DAMAGED && s1.error.offset != s2.error.offset) abort();
    if (s1.valid_bytes > size) abort();
    {
        ep_resp_aof_writer_config wc;
        ep_resp_aof_writer *w;
        ep_bytes argv[2];
        ep_result r;
        ep_resp_aof_writer_config_init(&wc);
        wc.vfs = vfs;
        wc.fsync = EP_FSYNC_NO;
        r = ep_resp_aof_writer_open("f.aof", &wc, &w, NULL);
        if (r1 != EP_OK) {
            if (r == EP_OK) abort(); /* appending after damage would hide it */
        } else {
            if (r != EP_OK) abort();
            if (ep_resp_aof_trimmed(w) != size - s1.valid_bytes) abort();
            argv[0] = EP_LIT("DEL");
            argv[1] = EP_LIT("x");
            if (ep_resp_aof_append(w, 2, argv) != EP_OK) abort();
            if (ep_resp_aof_writer_close(w) != EP_OK) abort();
            r2 = read_with(vfs, chunk, &a2, &s2);
            if (r2 != EP_OK || s2.end != EP_RESP_AOF_CLEAN || a2.last_argc != 2) abort();
            /* MULTI's commands before the cut are dropped with the tail */
            if (a2.n > a1.n + 1) abort();
        }
    }
    ep_vfs_mem_free(vfs);
    return 0;
}
