/* probe: what a path is, told by content (never by its name alone): an
 * ember AOF or snapshot (with the header's version, shard and count), a
 * directory of ember shards, a Redis RDB, RESP AOF or appendonlydir/, or a
 * kind reserved for the WAL part.
 * Tools use it to pick a reader; it reads at most EP_PROBE_HEAD_SIZE bytes
 * of a file and lists a directory once. Allocates nothing.
 *
 *   ep_probe_info pi;
 *   if (ep_probe_path(NULL, "data/shard-0.aof", &pi, &err) == EP_OK)
 *       printf("%s v%u\n", ep_probe_kind_name(pi.kind), (unsigned)pi.version);
 *
 * Adding a kind: a member below, its name in ep_probe_kind_name, and a line
 * in the file detectors (by the first bytes) or the directory detectors (by
 * the names inside) in probe.c. */
#ifndef EP_PROBE_H
#define EP_PROBE_H

#include "base/base.h"
#include "vfs/vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The numbers are stable (tools print them in JSON); gaps leave room per family. */
typedef enum ep_probe_kind {
    EP_PROBE_UNKNOWN = 0,          /* a file no detector recognises */
    EP_PROBE_EMPTY = 1,            /* a file of 0 bytes */
    EP_PROBE_DIR = 2,              /* a directory holding nothing a detector recognises */
    EP_PROBE_EMBER_AOF = 10,       /* "EAOF" + version */
    EP_PROBE_EMBER_SNAPSHOT = 11,  /* "ESNP" + version + shard + count */
    EP_PROBE_EMBER_DIR = 12,       /* a directory with shard-{id}.snap / shard-{id}.aof */
    /* Reserved for the WAL part. */
    EP_PROBE_WAL_SEGMENT = 20,
    EP_PROBE_WAL_CHECKPOINT = 21,
    EP_PROBE_RECORD_LOG = 22,
    EP_PROBE_WAL_DIR = 23,
    /* Redis. */
    EP_PROBE_REDIS_RDB = 30,       /* "REDIS" + 4 digits: version = the RDB version, header_ok if this library reads it */
    EP_PROBE_REDIS_AOF = 31,       /* RESP commands ("*<n>\r\n"); header_ok once "$" follows */
    EP_PROBE_REDIS_AOF_DIR = 32    /* a directory with a "*.manifest" file (Redis 7 appendonlydir/) */
} ep_probe_kind;

/* Bytes of a file's start that the probe reads and keeps. */
#define EP_PROBE_HEAD_SIZE 64

typedef struct ep_probe_info {
    ep_probe_kind kind;
    int is_dir;
    uint64_t size;            /* file: its size in bytes; directory: 0 */
    uint32_t version;         /* the header's format version (0: none read) */
    int header_ok;            /* the header is complete and its version one this library reads */
    int encrypted;            /* header_ok and an encrypted version (ember v3) */
    uint16_t shard_id;        /* snapshot: from the header; EMBER_DIR: the lowest shard found */
    uint32_t entry_count;     /* snapshot: the header's entry count */
    uint32_t shard_count;     /* EMBER_DIR: distinct shard ids with a .snap or an .aof */
    size_t head_len;          /* file: bytes in head */
    uint8_t head[EP_PROBE_HEAD_SIZE];
} ep_probe_info;

/* Classifies a file from its first n bytes (head) and its size. Never fails
 * on any bytes; EP_ERR_INVALID_ARG only for a NULL out or head with n > 0. */
EP_API ep_result ep_probe_bytes(const uint8_t *head, size_t n, uint64_t size, ep_probe_info *out);

/* Probes path on vfs (NULL: the OS): a directory if vfs->list accepts it,
 * else a file. EP_ERR_NOT_FOUND if neither exists; other vfs errors as
 * they come (err has the detail). */
EP_API ep_result ep_probe_path(ep_vfs *vfs, const char *path, ep_probe_info *out, ep_error *err);

/* "ember_aof", "ember_snapshot", "ember_dir", "empty", "dir", "unknown",
 * "wal_segment" ... (lower case, stable). */
EP_API const char *ep_probe_kind_name(ep_probe_kind kind);

/* 1 and *id if name is "shard-{id}.{ext}" with id a decimal u16 without
 * sign or leading zeros (as ember names them), else 0. ext without the dot. */
EP_API int ep_probe_shard_name(const char *name, const char *ext, uint16_t *id);

#ifdef __cplusplus
}
#endif

#endif /* EP_PROBE_H */
