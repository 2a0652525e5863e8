/* sim_vfs: a power-loss simulator (test-only). A complete in-memory vfs that
 * remembers what is durable and what is not, in the strict POSIX model:
 *
 *   - file content is durable as of the file's last successful sync; the
 *     writes and truncates since then are kept in order;
 *   - directory entries (create, rename, remove, mkdir) are durable only after
 *     sync_dir of their directory; a file's sync does not make its name
 *     durable. A rename between directories counts as a link in the target
 *     directory and an unlink in the source.
 *
 * sim_crash() is the power cut. Every handle dies (later calls on it return
 * EP_ERR_IO; close still frees it). Each file with unsynced changes gets one
 * outcome, chosen by the seed: ALL kept, NONE kept, a TORN prefix of its
 * unsynced operations (the last one cut at a random byte), or GARBAGE (the
 * length all of them would give, random bytes over every unsynced write).
 * Each unsynced directory change is kept or reverted independently; the
 * result stays consistent: a reverted create takes the file and its content
 * with it, a reverted rename puts back the old name and the replaced target,
 * a reverted mkdir takes everything below it. The vfs then goes on as the
 * rebooted machine.
 *
 * sim_vfs_set_crash_after(k) lets the next k operations succeed and fails
 * every later one with EP_ERR_IO (the machine is dead), so a test can run a
 * workload into the wall at every operation k, call sim_crash and recover.
 * Not thread-safe. Memory comes from malloc. */
#ifndef SIM_VFS_H
#define SIM_VFS_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SIM_OUTCOME_CLEAN = 0, /* nothing unsynced: the file is as it was */
    SIM_OUTCOME_ALL = 1,
    SIM_OUTCOME_NONE = 2,
    SIM_OUTCOME_TORN = 3,
    SIM_OUTCOME_GARBAGE = 4,
    SIM_OUTCOME_COUNT = 5
};

enum {
    SIM_DIR_RANDOM = 0,     /* each unsynced directory change kept with probability 1/2 */
    SIM_DIR_KEEP_ALL = 1,
    SIM_DIR_REVERT_ALL = 2
};

typedef struct sim_crash_opts {
    int file_outcome;  /* -1: chosen by the seed; else force SIM_OUTCOME_ALL/NONE/TORN/GARBAGE */
    int dir_changes;   /* SIM_DIR_* */
} sim_crash_opts;

#define SIM_NEVER UINT64_MAX

ep_result sim_vfs_create(ep_vfs **out);
void sim_vfs_destroy(ep_vfs *vfs);

/* Power loss with outcomes chosen by seed (random files, random directory changes). */
void sim_crash(ep_vfs *vfs, uint64_t seed);
void sim_crash_ex(ep_vfs *vfs, uint64_t seed, const sim_crash_opts *opts);

/* The next k operations succeed, every later one fails with EP_ERR_IO until
 * sim_crash. SIM_NEVER (the default) turns it off. */
void sim_vfs_set_crash_after(ep_vfs *vfs, uint64_t k);
/* Non-zero once an operation has hit the wall. */
int sim_vfs_is_dead(ep_vfs *vfs);
/* Operations made through the table since create (failed ones included). */
uint64_t sim_vfs_op_count(ep_vfs *vfs);
uint64_t sim_vfs_crash_count(ep_vfs *vfs);

/* Files per outcome over all crashes so far (index SIM_OUTCOME_*). */
void sim_vfs_outcome_counts(ep_vfs *vfs, uint64_t counts[SIM_OUTCOME_COUNT]);
/* Directory changes kept and reverted over all crashes so far. */
void sim_vfs_dir_change_counts(ep_vfs *vfs, uint64_t *kept, uint64_t *reverted);
/* The outcome the last crash picked for the file now at path; -1 if there is none. */
int sim_vfs_last_outcome(ep_vfs *vfs, const char *path);
/* Files with unsynced content and directory changes not yet synced. */
void sim_vfs_pending(ep_vfs *vfs, size_t *files, size_t *dir_changes);

/* The current content of the file at path (malloc'd; free()). Not counted as
 * an operation and works on a dead machine. EP_ERR_NOT_FOUND if absent. */
ep_result sim_vfs_read_file(ep_vfs *vfs, const char *path, uint8_t **data, size_t *len);
/* Whether path names a file or directory now (0/1), also uncounted. */
int sim_vfs_exists(ep_vfs *vfs, const char *path);

#ifdef __cplusplus
}
#endif

#endif
