/* wal_util: helpers the WAL tests share: deterministic record contents by
 * id, and a replay collector that checks each record against them. */
#ifndef WAL_UTIL_H
#define WAL_UTIL_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The record with this id in every WAL test: length 0..(spread-1) derived
 * from the id (and the salt), bytes derived from both. out must hold spread + 16. */
size_t walu_record(uint64_t id, uint32_t salt, size_t spread, uint8_t *out);

typedef struct walu_collect {
    uint32_t salt;
    size_t spread;
    uint64_t count;        /* records seen */
    uint64_t first, last;  /* ids */
    uint64_t bad;          /* records whose bytes differ from walu_record, or out of order */
    uint64_t stop_at;      /* return EP_END at this id (0: never) */
} walu_collect;

void walu_collect_init(walu_collect *c, uint32_t salt, size_t spread);
ep_result walu_collect_fn(void *user, uint64_t id, const uint8_t *data, size_t len);

/* Appends ids next..next+n-1 (the writer must be at next). */
ep_result walu_append_n(ep_wal *w, uint64_t n, uint32_t salt, size_t spread);

/* Strict or best-effort replay of dir on vfs into c. */
ep_result walu_replay(ep_vfs *vfs, const char *dir, ep_wal_mode mode, walu_collect *c, ep_wal_replay_info *info,
                      ep_error *err);

#ifdef __cplusplus
}
#endif

#endif
