/* repair: a damaged ember AOF made readable again, the way an operator
 * wants it at 3 a.m. (redis-check-aof --fix, with more care):
 *
 *   - a torn tail (the last record cut short by a crash) is trimmed;
 *   - damage before the end (CRC mismatch, garbage, a record cut short with
 *     valid ones after it) refuses unless force is set; then everything from
 *     the first damage on is dropped, or with salvage only the damaged
 *     regions are, keeping the intact records after each;
 *   - the report says which regions (offset, bytes, records before) and how
 *     many intact records and bytes are dropped, before anything is written.
 *
 * Crash-safe: a byte-identical backup goes to backup_path first (written as
 * backup_path.tmp, synced, renamed, directory synced), then the repaired file
 * is written as path.repair.tmp (header and kept records copied verbatim, so
 * encrypted records stay as they were), synced, renamed over path and the
 * directory synced. At any crash path is the old file or the new one. The
 * AOF's writer lock is held throughout: a running writer makes it refuse
 * with EP_ERR_LOCKED. Allocates a copy buffer and the list of kept runs. */
#ifndef EP_REPAIR_H
#define EP_REPAIR_H

#include "base/base.h"
#include "vfs/vfs.h"
#include "crypto/crypto.h"
#include "file/aof.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One damaged region of the file. */
typedef struct ep_aof_repair_region {
    uint64_t offset;  /* its first byte */
    uint64_t bytes;   /* up to the next valid record, or to the end */
    uint64_t index;   /* good records before it */
    int torn;         /* the final record cut short (a crash in a write), nothing valid after it */
    ep_error error;   /* what the reader found at offset */
} ep_aof_repair_region;

typedef enum ep_aof_repair_action {
    EP_REPAIR_NOTHING = 0,  /* the file is clean */
    EP_REPAIR_TRIM = 1,     /* cut from the first damage to the end (a torn tail; or forced) */
    EP_REPAIR_SALVAGE = 2,  /* cut the damaged regions out, keep the intact records after them */
    EP_REPAIR_REFUSED = 3   /* damage before the end and no force: nothing written */
} ep_aof_repair_action;

typedef struct ep_aof_repair_config {
    ep_vfs *vfs;                /* NULL: the OS */
    const ep_allocator *alloc;  /* NULL: default */
    const ep_key *key;          /* for v3 files (their records are checked, then copied as they are) */
    int force;                  /* drop damage that is not a torn tail */
    int salvage;                /* with force: keep intact records after damaged regions */
    int dry_run;                /* scan and report, write nothing */
    const char *backup_path;    /* where the untouched copy goes; must not exist. Needed unless dry_run */
    /* Optional: each damaged region as it is found, and scan progress in bytes. */
    void (*on_region)(void *user, const ep_aof_repair_region *region);
    void (*on_progress)(void *user, uint64_t done, uint64_t total);
    void *user;
} ep_aof_repair_config;

typedef struct ep_aof_repair_report {
    ep_aof_repair_action action;
    int written;              /* the repaired file and the backup are in place and durable */
    uint8_t version;          /* the file's format version (kept) */
    uint64_t file_size;       /* before */
    uint64_t new_size;        /* after (or would be, for dry_run and refused) */
    uint64_t records_before;  /* intact records before the first damage */
    uint64_t good_offset;     /* the end of the last of them */
    uint64_t regions;         /* damaged regions, a torn tail included */
    uint64_t damaged_bytes;   /* bytes in them */
    uint64_t records_after;   /* intact records after the first damage */
    uint64_t bytes_after;     /* their bytes */
    uint64_t records_kept;    /* in the new file */
    uint64_t records_dropped; /* intact records not in it (records_after unless salvage) */
    uint64_t bytes_dropped;   /* file_size - new_size */
    ep_error first_damage;    /* code EP_OK if none */
} ep_aof_repair_report;

EP_API void ep_aof_repair_config_init(ep_aof_repair_config *cfg);
/* EP_OK: clean, repaired, or (dry_run) planned; the report says which.
 * EP_ERR_CORRUPT: refused (report filled). EP_ERR_LOCKED: a writer holds
 * the file. EP_ERR_EXISTS: backup_path exists. Header problems as the
 * reader's open gives them; I/O errors as they come (the file is then as
 * it was, or already the repaired one if the failure was the final
 * directory sync). */
EP_API ep_result ep_aof_repair(const char *path, const ep_aof_repair_config *cfg, ep_aof_repair_report *out,
                               ep_error *err);
EP_API const char *ep_aof_repair_action_name(ep_aof_repair_action a);

#ifdef __cplusplus
}
#endif

#endif /* EP_REPAIR_H */
