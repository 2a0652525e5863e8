/* probe: tells a file's kind by its first bytes and a directory's by the
 * names in it. Two small tables of detectors; each family (ember, WAL,
 * Redis) adds its lines there. */
#include "base/internal.h"
#include "vfs/vfs.h"
#include "file/probe.h"
#include "codec/codec_rdb.h"

/* ---- files: by the first bytes ------------------------------------------ */

/* Fills out and returns 1 if the head is this detector's kind. */
typedef int (*ep__probe_file_fn)(const uint8_t *h, size_t n, ep_probe_info *out);

static int ep__probe_ember_aof(const uint8_t *h, size_t n, ep_probe_info *out) {
    if (n < 4 || memcmp(h, "EAOF", 4) != 0) return 0;
    out->kind = EP_PROBE_EMBER_AOF;
    if (n >= 5) { /* EP_AOF_HEADER_SIZE: magic + version */
        out->version = h[4];
        out->header_ok = h[4] >= 1 && h[4] <= 3;
        out->encrypted = out->header_ok && h[4] == 3;
    }
    return 1;
}

static int ep__probe_ember_snapshot(const uint8_t *h, size_t n, ep_probe_info *out) {
    if (n < 4 || memcmp(h, "ESNP", 4) != 0) return 0;
    out->kind = EP_PROBE_EMBER_SNAPSHOT;
    if (n >= 5) out->version = h[4];
    if (n >= 11) { /* EP_SNAPSHOT_HEADER_SIZE: magic, version, shard u16, count u32 */
        out->shard_id = ep_load_u16le(h + 5);
        out->entry_count = ep_load_u32le(h + 7);
        out->header_ok = h[4] >= 1 && h[4] <= 3;
        out->encrypted = out->header_ok && h[4] == 3;
    }
    return 1;
}

/* "REDIS" + 4 decimal digits (the RDB version; also a Redis AOF with an RDB
 * preamble, which an RDB reader reads up to its EOF opcode). */
static int ep__probe_redis_rdb(const uint8_t *h, size_t n, ep_probe_info *out) {
    size_t i;
    uint32_t v = 0;
    if (n < 5 || memcmp(h, "REDIS", 5) != 0) return 0;
    out->kind = EP_PROBE_REDIS_RDB;
    if (n < 9) return 1;
    for (i = 5; i < 9; i++) {
        if (h[i] < '0' || h[i] > '9') return 1; /* not a version: header_ok stays 0 */
        v = v * 10u + (uint32_t)(h[i] - '0');
    }
    out->version = v;
#ifndef EP_NO_REDIS
    out->header_ok = v >= 1 && v <= EP_RDB_VERSION_MAX;
#endif
    return 1;
}

/* A RESP command: '*', a decimal count, CRLF, then '$' (a bulk string) once
 * the head holds that much; "*" alone is kept as a guess only with digits. */
static int ep__probe_redis_aof(const uint8_t *h, size_t n, ep_probe_info *out) {
    size_t i = 1;
    if (n < 2 || h[0] != '*' || h[1] < '0' || h[1] > '9') return 0;
    while (i < n && i < 12 && h[i] >= '0' && h[i] <= '9') i++;
    if (i < n && h[i] != '\r') return 0;
    out->kind = EP_PROBE_REDIS_AOF;
    out->header_ok = i + 2 < n && h[i + 1] == '\n' && h[i + 2] == '$';
    return 1;
}

static const ep__probe_file_fn ep__probe_file_detectors[] = {
    ep__probe_ember_aof,
    ep__probe_ember_snapshot,
    ep__probe_redis_rdb,
    ep__probe_redis_aof,
    /* WAL: segment, checkpoint, record log. */
};

EP_API ep_result ep_probe_bytes(const uint8_t *head, size_t n, uint64_t size, ep_probe_info *out) {
    size_t i;
    if (!out || (!head && n)) return EP_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->size = size;
    out->head_len = EP__MIN(n, (size_t)EP_PROBE_HEAD_SIZE);
    if (out->head_len) memcpy(out->head, head, out->head_len);
    out->kind = size == 0 && n == 0 ? EP_PROBE_EMPTY : EP_PROBE_UNKNOWN;
    for (i = 0; i < EP__COUNTOF(ep__probe_file_detectors); i++)
        if (ep__probe_file_detectors[i](out->head, out->head_len, out)) break;
    return EP_OK;
}

/* ---- directories: by the names inside ------------------------------------ */

EP_API int ep_probe_shard_name(const char *name, const char *ext, uint16_t *id) {
    const char *p;
    uint32_t v = 0;
    size_t digits = 0;
    if (!name || !ext || strncmp(name, "shard-", 6) != 0) return 0;
    for (p = name + 6; *p >= '0' && *p <= '9'; p++, digits++) {
        v = v * 10u + (uint32_t)(*p - '0');
        if (v > 0xffffu) return 0;
    }
    if (digits == 0 || (digits > 1 && name[6] == '0')) return 0;
    if (*p != '.' || strcmp(p + 1, ext) != 0) return 0;
    if (id) *id = (uint16_t)v;
    return 1;
}

typedef struct ep__probe_dir_scan {
    ep_probe_info *out;
    uint8_t seen[65536 / 8]; /* shard ids with a file */
} ep__probe_dir_scan;

/* Looks at one name; returns 1 if it belongs to this detector's kind. */
typedef int (*ep__probe_name_fn)(ep__probe_dir_scan *s, const char *name);

static int ep__probe_ember_name(ep__probe_dir_scan *s, const char *name) {
    uint16_t id;
    unsigned bit;
    if (!ep_probe_shard_name(name, "snap", &id) && !ep_probe_shard_name(name, "aof", &id)) return 0;
    bit = 1u << (id & 7u);
    if (!(s->seen[id >> 3] & bit)) {
        s->seen[id >> 3] = (uint8_t)(s->seen[id >> 3] | bit);
        if (s->out->shard_count == 0 || id < s->out->shard_id) s->out->shard_id = id;
        s->out->shard_count++;
    }
    if (s->out->kind == EP_PROBE_DIR) s->out->kind = EP_PROBE_EMBER_DIR;
    return 1;
}

/* A Redis 7 appendonlydir/: its manifest, "<appendfilename>.manifest". */
static int ep__probe_redis_manifest(ep__probe_dir_scan *s, const char *name) {
    size_t n = strlen(name);
    if (n <= 9 || strcmp(name + n - 9, ".manifest") != 0) return 0;
    if (s->out->kind == EP_PROBE_DIR) s->out->kind = EP_PROBE_REDIS_AOF_DIR;
    return 1;
}

static const ep__probe_name_fn ep__probe_name_detectors[] = {
    ep__probe_ember_name,
    ep__probe_redis_manifest,
    /* WAL: segments and checkpoints. */
};

static int ep__probe_dir_entry(void *ctx, const char *name) {
    ep__probe_dir_scan *s = (ep__probe_dir_scan *)ctx;
    size_t i;
    for (i = 0; i < EP__COUNTOF(ep__probe_name_detectors); i++)
        if (ep__probe_name_detectors[i](s, name)) break;
    return 0;
}

/* ---- a path ------------------------------------------------------------- */

static ep_result ep__probe_file(ep_vfs *vfs, const char *path, ep_probe_info *out, ep_error *err) {
    ep_file *f = NULL;
    uint8_t head[EP_PROBE_HEAD_SIZE];
    uint64_t size = 0;
    size_t got = 0;
    ep_result r = vfs->open(vfs, path, EP_OPEN_READ, &f, err);
    if (r != EP_OK) return r;
    r = vfs->size(vfs, f, &size, err);
    if (r == EP_OK) r = vfs->read(vfs, f, 0, head, sizeof head, &got, err); /* short only at EOF */
    if (r != EP_OK) {
        (void)vfs->close(vfs, f, NULL);
        return r;
    }
    r = vfs->close(vfs, f, err);
    if (r != EP_OK) return r;
    return ep_probe_bytes(head, got, size, out);
}

EP_API ep_result ep_probe_path(ep_vfs *vfs, const char *path, ep_probe_info *out, ep_error *err) {
    ep_vfs os;
    ep__probe_dir_scan scan; /* 8 KiB of shard bits on the stack: no allocation, no global */
    ep_result r;
    if (!path || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "probe: missing argument");
    memset(out, 0, sizeof *out);
    if (!vfs) {
        r = ep_vfs_os_init(&os);
        if (r != EP_OK) return ep_error_set(err, r, UINT64_MAX, "probe %s: no OS file system", path);
        vfs = &os;
    }
    memset(&scan, 0, sizeof scan);
    scan.out = out;
    out->kind = EP_PROBE_DIR;
    out->is_dir = 1;
    if (vfs->list(vfs, path, ep__probe_dir_entry, &scan, NULL) == EP_OK) return EP_OK;
    memset(out, 0, sizeof *out);
    return ep__probe_file(vfs, path, out, err);
}

EP_API const char *ep_probe_kind_name(ep_probe_kind kind) {
    switch (kind) {
    case EP_PROBE_UNKNOWN: return "unknown";
    case EP_PROBE_EMPTY: return "empty";
    case EP_PROBE_DIR: return "dir";
    case EP_PROBE_EMBER_AOF: return "ember_aof";
    case EP_PROBE_EMBER_SNAPSHOT: return "ember_snapshot";
    case EP_PROBE_EMBER_DIR: return "ember_dir";
    case EP_PROBE_WAL_SEGMENT: return "wal_segment";
    case EP_PROBE_WAL_CHECKPOINT: return "wal_checkpoint";
    case EP_PROBE_RECORD_LOG: return "record_log";
    case EP_PROBE_WAL_DIR: return "wal_dir";
    case EP_PROBE_REDIS_RDB: return "redis_rdb";
    case EP_PROBE_REDIS_AOF: return "redis_aof";
    case EP_PROBE_REDIS_AOF_DIR: return "redis_aof_dir";
    }
    return "unknown";
}
