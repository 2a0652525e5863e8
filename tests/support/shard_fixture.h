/* A shard to work on, for the tests of what runs on whole shards (compact,
 * migrate, the WAL mapping, the tool's repair/compact/encrypt under power
 * loss): shard 0 in "d" of random records (every type, printed seed) with a
 * snapshot halfway, built through the public API on any vfs, and its
 * recovered state as text, to compare whole states as strings. */
#ifndef EPT_SHARD_FIXTURE_H
#define EPT_SHARD_FIXTURE_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The wall clock every build and recovery reads (fixed: ttls compare). */
#define EPT_FIXTURE_NOW 1700000000000LL
int64_t ept_fixed_clock(void *u);

/* A test key made from seed (different seeds, different keys); NULL on
 * failure. ep_key_free it. */
ep_key *ept_test_key(uint8_t seed);

typedef struct ept_shard_spec {
    const ep_key *key;   /* NULL: plaintext */
    uint64_t seed;       /* of the random records */
    int nrec;            /* random records; the snapshot is taken before record nrec / 2 */
    ep_fsync_policy fsync; /* the AOF writer's (default EP_FSYNC_ALWAYS); the AOF is synced at the end either way */
    int big_list;        /* then a list "biglist" of 3000 x 500 bytes (one record over 1 MiB in a WAL) */
} ept_shard_spec;
void ept_shard_spec_init(ept_shard_spec *s, uint64_t seed, int nrec);

/* Makes "d" (and syncs "."), then builds shard 0 in it as s says. 1 on
 * success, 0 on any failure. */
int ept_shard_build(ep_vfs *vfs, const ept_shard_spec *s);

/* The recovered state of shard id in dir (ept_ks_dump text, malloc'd), or
 * NULL when it does not recover cleanly: recovery fails, the snapshot is
 * there but not loaded, the AOF ends in an error, or neither file is there. */
char *ept_shard_state(ep_vfs *vfs, const char *dir, ep_shard_id id, const ep_key *key);
/* The same when the snapshot loaded (whatever the AOF holds), else NULL: a
 * copy's destination, which is a snapshot alone. */
char *ept_shard_snapshot_state(ep_vfs *vfs, const char *dir, ep_shard_id id, const ep_key *key);

#ifdef __cplusplus
}
#endif

#endif
