/* fault_vfs: a test-only wrapper around any ep_vfs that makes the Nth
 * operation fail. A test first runs its workload once to learn how many
 * operations it makes (fault_vfs_count), then reruns it with the fault armed
 * at N = 1, 2, 3 ... and checks that every failure is reported cleanly and
 * nothing is lost or leaked.
 *
 * The failing operation does not happen (it returns the armed code and fills
 * the ep_error), except:
 *   - close: the inner close still happens (as on POSIX, the descriptor is
 *     gone either way), then the failure is reported;
 *   - write with a partial prefix set: that many bytes are written first.
 * Handles are the inner vfs's own; the wrapper adds no state to them. */
#ifndef FAULT_VFS_H
#define FAULT_VFS_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Operation kinds, as bits of a mask. */
enum {
    FAULT_OPEN = 1u << 0,
    FAULT_CLOSE = 1u << 1,
    FAULT_READ = 1u << 2,
    FAULT_WRITE = 1u << 3,
    FAULT_TRUNCATE = 1u << 4,
    FAULT_SIZE = 1u << 5,
    FAULT_SYNC = 1u << 6,
    FAULT_LOCK = 1u << 7,
    FAULT_SYNC_DIR = 1u << 8,
    FAULT_RENAME = 1u << 9,
    FAULT_REMOVE = 1u << 10,
    FAULT_MKDIR = 1u << 11,
    FAULT_LIST = 1u << 12,
    FAULT_STAT = 1u << 13,
    FAULT_PREALLOCATE = 1u << 14,
    FAULT_ALL = (1u << 15) - 1u,
    /* Operations that change what is on disk. */
    FAULT_MUTATING = FAULT_WRITE | FAULT_TRUNCATE | FAULT_SYNC | FAULT_SYNC_DIR | FAULT_RENAME |
                     FAULT_REMOVE | FAULT_MKDIR | FAULT_PREALLOCATE
};

/* For fault_vfs_set_partial: write half of the failing write's bytes. */
#define FAULT_PARTIAL_HALF ((size_t)-1)

/* Wraps inner (not owned; it must outlive the wrapper). */
ep_result fault_vfs_create(ep_vfs *inner, ep_vfs **out);
void fault_vfs_destroy(ep_vfs *vfs);

/* The nth operation (1-based) among those in kinds, counted from this call,
 * fails with code (0 means EP_ERR_IO). nth = 0 disarms. One shot unless
 * sticky is set. */
void fault_vfs_arm(ep_vfs *vfs, unsigned kinds, uint64_t nth, ep_result code);
/* Sticky: once the fault fired, every later operation in kinds fails too
 * (a disk that stays dead). */
void fault_vfs_set_sticky(ep_vfs *vfs, int sticky);
/* A failing write first writes this many bytes of its data (clamped to one
 * less than its length; FAULT_PARTIAL_HALF for half). 0 (default) = none. */
void fault_vfs_set_partial(ep_vfs *vfs, size_t prefix);
void fault_vfs_disarm(ep_vfs *vfs);

/* Operations seen (including failed ones) among kinds since create or the last reset. */
uint64_t fault_vfs_count(ep_vfs *vfs, unsigned kinds);
void fault_vfs_reset_count(ep_vfs *vfs);
/* How many operations the armed fault has failed so far. */
uint64_t fault_vfs_fired(ep_vfs *vfs);

#ifdef __cplusplus
}
#endif

#endif
