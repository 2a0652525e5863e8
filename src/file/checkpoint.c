/* checkpoint: durable whole-file writes and checked reads (checkpoint.h). */
#include "base/internal.h"
#include "crypto/crypto.h"
#include "file/checkpoint.h"
#include "file/stream.h"

#ifndef EP_NO_WAL

#define EP__TMP_HEX 16
#define EP__PATH_MAX 1024

EP_API void ep_checkpoint_config_init(ep_checkpoint_config *cfg) {
    if (cfg) memset(cfg, 0, sizeof *cfg);
}

/* The vfs to use: the caller's, or the OS one in os (filled here). */
static ep_vfs *ep__ckpt_vfs(const ep_checkpoint_config *cfg, ep_vfs *os, ep_error *err) {
    ep_vfs *v = NULL;
    if (ep__vfs_pick(cfg ? cfg->vfs : NULL, os, &v) != EP_OK) {
        ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "checkpoint: no OS file system in this build");
        return NULL;
    }
    return v;
}

/* The file name part of path. */
static const char *ep__base_name(const char *path) {
    const char *s = strrchr(path, '/');
#ifdef _WIN32
    const char *b = strrchr(path, '\\');
    if (b && (!s || b > s)) s = b;
#endif
    return s ? s + 1 : path;
}

/* path + "." + 16 random hex digits + ".tmp". */
static ep_result ep__tmp_name(const char *path, char *out, size_t cap) {
    static const char hex[] = "0123456789abcdef";
    uint8_t rnd[EP__TMP_HEX / 2];
    char tail[EP__TMP_HEX + 6];
    size_t i, n = strlen(path);
    if (ep_random_bytes(rnd, sizeof rnd) != EP_OK) return EP_ERR_NO_RANDOM;
    tail[0] = '.';
    for (i = 0; i < sizeof rnd; i++) {
        tail[1 + 2 * i] = hex[rnd[i] >> 4];
        tail[2 + 2 * i] = hex[rnd[i] & 15];
    }
    memcpy(tail + 1 + EP__TMP_HEX, ".tmp", 5);
    if (n + strlen(tail) + 1 > cap) return EP_ERR_LIMIT;
    memcpy(out, path, n);
    memcpy(out + n, tail, strlen(tail) + 1);
    return EP_OK;
}

/* Is name "<base>.<16 hex>.tmp"? */
static int ep__is_tmp_of(const char *name, const char *base) {
    size_t bl = strlen(base), nl = strlen(name), i;
    if (nl != bl + 1 + EP__TMP_HEX + 4 || memcmp(name, base, bl) != 0 || name[bl] != '.') return 0;
    for (i = 0; i < EP__TMP_HEX; i++) {
        char c = name[bl + 1 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
    }
    return strcmp(name + bl + 1 + EP__TMP_HEX, ".tmp") == 0;
}

typedef struct ep__sweep {
    const char *base;
    char (*names)[EP__PATH_MAX / 4];
    size_t n, cap;
    int overflow;
} ep__sweep;

static int ep__sweep_fn(void *ctx, const char *name) {
    ep__sweep *s = (ep__sweep *)ctx;
    if (!ep__is_tmp_of(name, s->base)) return 0;
    if (s->n == s->cap || strlen(name) >= sizeof s->names[0]) {
        s->overflow = 1;
        return 1;
    }
    memcpy(s->names[s->n++], name, strlen(name) + 1);
    return 0;
}

EP_API ep_result ep_checkpoint_sweep(const ep_checkpoint_config *cfg, const char *path, size_t *removed,
                                     ep_error *err) {
    ep_vfs os, *vfs;
    char dir[EP__PATH_MAX], full[EP__PATH_MAX];
    char names[16][EP__PATH_MAX / 4];
    ep__sweep s;
    ep_result r;
    size_t i, total = 0;
    if (removed) *removed = 0;
    if (!path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "checkpoint sweep: no path");
    if (!(vfs = ep__ckpt_vfs(cfg, &os, err))) return EP_ERR_UNSUPPORTED;
    if (ep_path_dirname(dir, sizeof dir, path) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "checkpoint sweep: path too long");
    do { /* in rounds of 16 names, without allocating */
        s.base = ep__base_name(path);
        s.names = names;
        s.n = 0;
        s.cap = 16;
        s.overflow = 0;
        r = vfs->list(vfs, dir, ep__sweep_fn, &s, err);
        if (r == EP_ERR_NOT_FOUND) return EP_OK;
        if (r != EP_OK) return r;
        for (i = 0; i < s.n; i++) {
            if (ep_path_join(full, sizeof full, dir, names[i]) != EP_OK) continue;
            r = vfs->remove(vfs, full, err);
            if (r != EP_OK && r != EP_ERR_NOT_FOUND) return r;
            total++;
        }
    } while (s.overflow && s.n > 0);
    if (total) {
        r = vfs->sync_dir(vfs, dir, err);
        if (r != EP_OK) return r;
    }
    if (removed) *removed = total;
    return EP_OK;
}

EP_API ep_result ep_atomic_write(ep_vfs *vfs, const char *path, const ep_bytes *parts, size_t nparts, ep_error *err) {
    char tmp[EP__PATH_MAX];
    ep_file *f = NULL;
    ep_result r = EP_ERR_EXISTS;
    uint64_t off = 0;
    size_t i;
    int tries, renamed = 0;
    if (!vfs || !path || (nparts && !parts))
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "atomic_write: missing argument");
    for (tries = 0; tries < 4 && r == EP_ERR_EXISTS; tries++) {
        r = ep__tmp_name(path, tmp, sizeof tmp);
        if (r != EP_OK) return ep_error_set(err, r, UINT64_MAX, "atomic_write %s: no tmp name", path);
        r = vfs->open(vfs, tmp, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_EXCLUSIVE, &f, err);
    }
    if (r != EP_OK) return r;
    for (i = 0; r == EP_OK && i < nparts; i++) {
        if (parts[i].len) r = vfs->write(vfs, f, off, parts[i].data, parts[i].len, err);
        off += parts[i].len;
    }
    /* sync -> close -> rename -> directory sync: the stream core's one publish step. */
    if (r == EP_OK) r = ep__stream_publish(vfs, NULL, &f, tmp, path, &renamed, err);
    if (f) vfs->close(vfs, f, NULL);
    if (r != EP_OK && !renamed) (void)vfs->remove(vfs, tmp, NULL);
    return r;
}

EP_API ep_result ep_checkpoint_write(const ep_checkpoint_config *cfg, const char *path, uint64_t last_id,
                                     const void *payload, size_t len, ep_error *err) {
    ep_vfs os, *vfs;
    uint8_t head[EP_CHECKPOINT_HEADER_SIZE];
    ep_bytes parts[2];
    ep_checkpoint_config c;
    ep_result r;
    if (!path || (len && !payload))
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "checkpoint write: missing argument");
    if ((uint64_t)len > EP_CHECKPOINT_MAX_PAYLOAD)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "checkpoint write: %llu bytes pass the cap",
                            (unsigned long long)len);
    if (!(vfs = ep__ckpt_vfs(cfg, &os, err))) return EP_ERR_UNSUPPORTED;
    ep_checkpoint_config_init(&c);
    if (cfg) c = *cfg;
    c.vfs = vfs;
    r = ep_checkpoint_sweep(&c, path, NULL, err);
    if (r != EP_OK) return r;
    ep_checkpoint_header_encode(head, last_id, payload, len);
    parts[0] = ep_bytes_of(head, sizeof head);
    parts[1] = ep_bytes_of(payload, len);
    return ep_atomic_write(vfs, path, parts, 2, err);
}

/* Opens path and reads the header; the file's size in *size. */
static ep_result ep__ckpt_open(ep_vfs *vfs, const char *path, uint64_t cap, ep_file **f, uint64_t *size,
                               uint8_t head[EP_CHECKPOINT_HEADER_SIZE], uint64_t *last_id, uint64_t *pl,
                               uint32_t *crc, ep_error *err) {
    size_t got = 0;
    ep_result r = vfs->open(vfs, path, EP_OPEN_READ, f, err);
    if (r != EP_OK) return r;
    r = vfs->size(vfs, *f, size, err);
    if (r == EP_OK) r = vfs->read(vfs, *f, 0, head, EP_CHECKPOINT_HEADER_SIZE, &got, err);
    if (r == EP_OK) {
        r = ep_checkpoint_header_decode(head, got, cap, last_id, pl, crc);
        if (r != EP_OK) ep_error_set(err, r, 0, "checkpoint %s: bad header (%s)", path, ep_result_str(r));
    }
    if (r != EP_OK) {
        vfs->close(vfs, *f, NULL);
        *f = NULL;
    }
    return r;
}

EP_API ep_result ep_checkpoint_stat(const ep_checkpoint_config *cfg, const char *path, uint64_t *last_id,
                                    uint64_t *payload_len, ep_error *err) {
    ep_vfs os, *vfs;
    ep_file *f = NULL;
    uint8_t head[EP_CHECKPOINT_HEADER_SIZE];
    uint64_t size = 0;
    uint32_t crc;
    ep_result r;
    if (!path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "checkpoint stat: no path");
    if (!(vfs = ep__ckpt_vfs(cfg, &os, err))) return EP_ERR_UNSUPPORTED;
    r = ep__ckpt_open(vfs, path, cfg ? cfg->max_payload : 0, &f, &size, head, last_id, payload_len, &crc, err);
    if (r == EP_OK) vfs->close(vfs, f, NULL);
    return r;
}

EP_API ep_result ep_checkpoint_read(const ep_checkpoint_config *cfg, const char *path, uint64_t *last_id,
                                    uint8_t **payload, size_t *len, ep_error *err) {
    ep_vfs os, *vfs;
    ep_file *f = NULL;
    uint8_t head[EP_CHECKPOINT_HEADER_SIZE];
    uint64_t size = 0, id = 0, pl = 0;
    uint32_t crc = 0;
    uint8_t *buf = NULL;
    size_t got = 0;
    const ep_allocator *alloc = cfg ? cfg->alloc : NULL;
    ep_result r;
    if (!path || !payload || !len)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "checkpoint read: missing argument");
    *payload = NULL;
    *len = 0;
    if (!(vfs = ep__ckpt_vfs(cfg, &os, err))) return EP_ERR_UNSUPPORTED;
    r = ep__ckpt_open(vfs, path, cfg ? cfg->max_payload : 0, &f, &size, head, &id, &pl, &crc, err);
    if (r != EP_OK) return r;
    /* The size is checked against the file before anything is allocated. */
    if (size - EP_CHECKPOINT_HEADER_SIZE != pl) {
        r = size - EP_CHECKPOINT_HEADER_SIZE < pl ? EP_ERR_EOF : EP_ERR_CORRUPT;
        ep_error_set(err, r, size, "checkpoint %s: %llu payload bytes, header says %llu", path,
                     (unsigned long long)(size - EP_CHECKPOINT_HEADER_SIZE), (unsigned long long)pl);
    }
    if (r == EP_OK && pl) {
        buf = (uint8_t *)ep_malloc(alloc, (size_t)pl);
        if (!buf) r = ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "checkpoint %s: out of memory", path);
    }
    if (r == EP_OK && pl) r = vfs->read(vfs, f, EP_CHECKPOINT_HEADER_SIZE, buf, (size_t)pl, &got, err);
    if (r == EP_OK && got != (size_t)pl) r = ep_error_set(err, EP_ERR_EOF, size, "checkpoint %s: short read", path);
    if (r == EP_OK && crc != ep_checkpoint_crc(head, buf, (size_t)pl))
        r = ep_error_set(err, EP_ERR_CHECKSUM, 0, "checkpoint %s: CRC mismatch", path);
    vfs->close(vfs, f, NULL);
    if (r != EP_OK) {
        ep_free(alloc, buf);
        return r;
    }
    if (last_id) *last_id = id;
    *payload = buf;
    *len = (size_t)pl;
    return EP_OK;
}

#endif /* EP_NO_WAL */
