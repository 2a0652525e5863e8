/* aof: the ember AOF writer and reader on the stream core (see aof.h for the
 * contract). This file holds the AOF's own rules (header, record framing,
 * CRC / GCM, torn tail or damage, the resync window); buffering, flush,
 * sync, fsync policy, poisoning and cut-back live in file/stream.c. */
#include "base/internal.h"
#include "check/crc.h"
#include "crypto/crypto.h"
#include "vfs/vfs.h"
#include "codec/codec_aof.h"
#include "file/stream.h"
#include "file/aof.h"


/* From codec_aof.c. */
EP__PRIV ep_result ep__aof_encode_into(ep_buf *out, const ep_aof_record *rec, size_t *size);

static const uint8_t ep__aof_magic[4] = {'E', 'A', 'O', 'F'};

/* Records of this version are sealed (v3); never under EP_NO_ENCRYPTION,
 * where the opens refuse a key and so never read or write v3 records. */
#define EP__AOF_SEALED(version) (EP__CRYPTO && (version) == EP_AOF_VERSION_ENCRYPTED)

#define EP__AOF_DEFAULT_CHUNK (256u * 1024u)
#define EP__AOF_DEFAULT_MAX_RECORD ((size_t)1 << 30)

EP_API ep_result ep_aof_path(const char *dir, ep_shard_id shard_id, char *out, size_t cap) {
    char name[32];
    if (!dir || !out) return EP_ERR_INVALID_ARG;
    snprintf(name, sizeof name, "shard-%lu.aof", (unsigned long)shard_id);
    return ep_path_join(out, cap, dir, name);
}

static char *ep__aof_strdup(const ep_allocator *a, const char *s, const char *suffix) {
    size_t n = strlen(s), m = suffix ? strlen(suffix) : 0;
    char *p = (char *)ep_malloc(a, n + m + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    if (m) memcpy(p + n, suffix, m);
    p[n + m] = '\0';
    return p;
}

/* ==== reading (shared by the reader and the writer's open scan) ========== */

typedef struct ep__aof_rd {
    ep__rstream rs;      /* the file's bytes after the header */
    const ep_allocator *alloc;
    const ep_key *key;
    uint8_t version;
    uint8_t *plain;      /* v3: the decrypted record */
    size_t plain_cap;
    uint64_t records;
    ep_aof_end end;
    ep_result fail;
    uint64_t good_end, tail;
    ep_error err;
} ep__aof_rd;

/* The records start after the header; rd must not move afterwards. */
static ep_result ep__aof_rd_init(ep__aof_rd *rd, ep_vfs *vfs, ep_file *f, const ep_allocator *alloc,
                                 const ep_key *key, uint8_t version, size_t chunk, size_t max_record) {
    memset(rd, 0, sizeof *rd);
    rd->alloc = alloc;
    rd->key = key;
    rd->version = version;
    rd->good_end = EP_AOF_HEADER_SIZE;
    ep_error_clear(&rd->err);
    return ep__rs_init(&rd->rs, vfs, f, alloc, EP_AOF_HEADER_SIZE, chunk ? chunk : EP__AOF_DEFAULT_CHUNK,
                       max_record ? max_record : EP__AOF_DEFAULT_MAX_RECORD, &rd->err);
}

static void ep__aof_rd_free(ep__aof_rd *rd) {
    ep__rs_free(&rd->rs);
    if (rd->plain) ep__wipe(rd->plain, rd->plain_cap);
    ep_free(rd->alloc, rd->plain);
    rd->plain = NULL;
}

/* Header check shared by reader and writer; buf holds got (<= 5) bytes. */
static ep_result ep__aof_check_header(const uint8_t *h, size_t got, ep_error *err) {
    if (got < 4 && memcmp(h, ep__aof_magic, got) == 0)
        return ep_error_set(err, EP_ERR_EOF, got, "AOF file too short for its header (%lu bytes)", (unsigned long)got);
    if (memcmp(h, ep__aof_magic, got < 4 ? got : 4) != 0)
        return ep_error_set(err, EP_ERR_BAD_MAGIC, 0, "not an ember AOF file (magic is not EAOF)");
    if (got < 5) return ep_error_set(err, EP_ERR_EOF, got, "AOF header ends before its version byte");
    if (h[4] == 0 || h[4] > EP_AOF_VERSION_ENCRYPTED)
        return ep_error_set(err, EP_ERR_BAD_VERSION, 4, "unsupported AOF format version %u", (unsigned)h[4]);
    return EP_OK;
}

/* The extent of the record at p: EP_OK and *total (CRC or envelope
 * included), EP_ERR_EOF if it needs more bytes, or a structure error. */
static EP__INLINE_HOT ep_result ep__aof_rd_extent(const ep__aof_rd *rd, const uint8_t *p, size_t avail, ep_aof_record *rec,
                                   size_t *total) {
    if (EP__AOF_SEALED(rd->version)) {
        uint32_t ct;
        if (avail < EP_NONCE_SIZE + 4) return EP_ERR_EOF;
        ct = ep_load_u32le(p + EP_NONCE_SIZE);
        if (ct > EP_MAX_FIELD_LEN) return EP_ERR_LIMIT;
        if (avail - (EP_NONCE_SIZE + 4) < ct) return EP_ERR_EOF;
        *total = EP_NONCE_SIZE + 4 + (size_t)ct;
        return EP_OK;
    } else {
        size_t n;
        ep_result r = ep_aof_frame(p, avail, rec, &n);
        if (r) return r;
        if (avail - n < 4) return EP_ERR_EOF;
        *total = n + 4;
        return EP_OK;
    }
}

/* Decrypts the envelope at p (extent known) and decodes it into rec. */
static ep_result ep__aof_rd_open_sealed(ep__aof_rd *rd, const uint8_t *p, size_t total, ep_aof_record *rec) {
    size_t ct = total - EP_NONCE_SIZE - 4, used;
    ep_result r;
    if (ct < EP_TAG_SIZE) return EP_ERR_DECRYPT;
    ep__rs_views_end(&rd->rs); /* the plaintext buffer is about to be overwritten */
    if (rd->plain_cap < ct) {
        uint8_t *np = (uint8_t *)ep_malloc(rd->alloc, ct);
        if (!np) return EP_ERR_NOMEM;
        if (rd->plain) ep__wipe(rd->plain, rd->plain_cap);
        ep_free(rd->alloc, rd->plain);
        rd->plain = np;
        rd->plain_cap = ct;
    }
    if (ep_key_open(rd->key, p, p + EP_NONCE_SIZE + 4, ct, rd->plain) != EP_OK) return EP_ERR_DECRYPT;
    /* ember ignores plaintext after the record; a short one is an error. */
    r = ep_aof_decode(rd->plain, ct - EP_TAG_SIZE, rec, &used);
    return r == EP_ERR_EOF ? EP_ERR_CORRUPT : r;
}

/* Full check of the record at p: CRC or GCM, then validate. */
static ep_result ep__aof_rd_verify(ep__aof_rd *rd, const uint8_t *p, size_t total, ep_aof_record *rec) {
    if (EP__AOF_SEALED(rd->version)) return ep__aof_rd_open_sealed(rd, p, total, rec);
    if (ep_crc32(p, total - 4) != ep_load_u32le(p + total - 4)) return EP_ERR_CHECKSUM;
    return ep_aof_validate(rec);
}

/* Does a complete record with a valid CRC / GCM tag start at p (avail bytes loaded)? */
static int ep__aof_rd_valid_at(ep__aof_rd *rd, const uint8_t *p, size_t avail) {
    ep_aof_record rec;
    size_t total;
    if (ep__aof_rd_extent(rd, p, avail, &rec, &total) != EP_OK) return 0;
    if (EP__AOF_SEALED(rd->version)) return ep__aof_rd_open_sealed(rd, p, total, &rec) == EP_OK;
    return ep_crc32(p, total - 4) == ep_load_u32le(p + total - 4);
}

/* The AOF's resync rule: the first offset in (0, EP_AOF_RESYNC_WINDOW] of
 * the loaded bytes after the read position where a valid record starts, or
 * 0 if none. */
static size_t ep__aof_rd_resync(ep__aof_rd *rd) {
    const uint8_t *p = ep__rs_ptr(&rd->rs);
    size_t at, last = ep__rs_avail(&rd->rs);
    if (last > EP_AOF_RESYNC_WINDOW) last = EP_AOF_RESYNC_WINDOW;
    for (at = 1; at < last; at++)
        if (ep__aof_rd_valid_at(rd, p + at, ep__rs_avail(&rd->rs) - at)) return at;
    return 0;
}

static const char *ep__aof_what(ep_result r) {
    switch (r) {
    case EP_ERR_CHECKSUM: return EP__TEXT("CRC mismatch");
    case EP_ERR_UNKNOWN_TAG: return EP__TEXT("unknown record tag");
    case EP_ERR_LIMIT: return EP__TEXT("length or count above the format's cap");
    case EP_ERR_UTF8: return EP__TEXT("key, member, field or name is not valid UTF-8");
    case EP_ERR_BAD_VALUE: return EP__TEXT("forbidden value (negative expiry or BITOP op > 3)");
    case EP_ERR_DECRYPT: return EP__TEXT("decryption failed (wrong key or tampered record)");
    case EP_ERR_CORRUPT: return EP__TEXT("decrypted record is shorter than its fields");
    default: return ep_result_str(r);
    }
}

static ep_result ep__aof_rd_fail(ep__aof_rd *rd, ep_result code, uint64_t off, const char *why, uint8_t tag) {
    const char *name = EP__AOF_SEALED(rd->version) ? NULL : ep_aof_tag_name(tag);
    unsigned long long idx = (unsigned long long)rd->records, o = (unsigned long long)off;
    if (code == EP_ERR_UNKNOWN_TAG && !EP__AOF_SEALED(rd->version))
        ep_error_set(&rd->err, code, off, "AOF record %llu at offset %llu: unknown record tag %u", idx, o,
                     (unsigned)tag);
    else if (name)
        ep_error_set(&rd->err, code, off, "AOF record %llu (%s) at offset %llu: %s", idx, name, o, why);
    else
        ep_error_set(&rd->err, code, off, "AOF record %llu at offset %llu: %s", idx, o, why);
    rd->err.index = rd->records;
    rd->end = EP_AOF_END_ERROR;
    rd->fail = code;
    rd->good_end = off;
    return code;
}

/* The record at the read position is cut short by the end of the file:
 * torn tail, or a damaged length that hides later records? */
static ep_result ep__aof_rd_short(ep__aof_rd *rd) {
    size_t later = ep__aof_rd_resync(rd);
    uint64_t off = ep__rs_offset(&rd->rs);
    if (later) {
        char why[96];
        ep__textf(why, sizeof why, "runs past the end, yet a valid record starts at %llu (damaged length?)",
                  (unsigned long long)(off + later));
        return ep__aof_rd_fail(rd, EP_ERR_CORRUPT, off, why, 0);
    }
    rd->end = EP_AOF_END_TORN;
    rd->good_end = off;
    rd->tail = ep__rs_left(&rd->rs);
    return EP_END;
}

/* The record at the read position needs more bytes than are loaded: the
 * end of the file (torn tail or damage), or a refill. Out of the loop below
 * so that its hot path stays small. */
static ep_result ep__aof_rd_more(ep__aof_rd *rd, size_t avail) {
    ep_result r;
    if (ep__rs_at_eof(&rd->rs)) return ep__aof_rd_short(rd);
    r = ep__rs_fill(&rd->rs, avail + 1);
    if (r == EP_OK || r == EP_ERR_EOF) return EP_OK; /* EOF: the file shrank; the loop sees the end */
    rd->end = EP_AOF_END_ERROR;
    rd->fail = r;
    rd->good_end = ep__rs_offset(&rd->rs);
    rd->err.index = rd->records;
    return r;
}

/* The reading loop: EP_OK with a record, EP_END, or an error. */
static ep_result ep__aof_rd_next(ep__aof_rd *rd, ep_aof_record *rec) {
    for (;;) {
        size_t avail = ep__rs_avail(&rd->rs), total = 0;
        const uint8_t *p = ep__rs_ptr(&rd->rs);
        ep_result r;
        if (rd->end == EP_AOF_END_ERROR) return rd->fail;
        if (rd->end != EP_AOF_READING) return EP_END;
        if (avail == 0 && ep__rs_at_eof(&rd->rs)) {
            rd->end = EP_AOF_END_CLEAN;
            rd->good_end = ep__rs_offset(&rd->rs);
            return EP_END;
        }
        r = avail ? ep__aof_rd_extent(rd, p, avail, rec, &total) : EP_ERR_EOF;
        if (r == EP_ERR_EOF) {
            if ((r = ep__aof_rd_more(rd, avail)) != EP_OK) return r;
            continue;
        }
        if (r) return ep__aof_rd_fail(rd, r, ep__rs_offset(&rd->rs), ep__aof_what(r), p[0]);
        if ((r = ep__aof_rd_verify(rd, p, total, rec)) != EP_OK)
            return ep__aof_rd_fail(rd, r, ep__rs_offset(&rd->rs), ep__aof_what(r), p[0]);
        ep__rs_skip(&rd->rs, total);
        rd->records++;
        rd->good_end = ep__rs_offset(&rd->rs);
        return EP_OK;
    }
}

/* ==== reader ============================================================== */

struct ep_aof_reader {
    ep_vfs os_vfs;
    ep_vfs *vfs;
    ep_file *f;
    ep__aof_rd rd;
};

EP_API void ep_aof_reader_config_init(ep_aof_reader_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->chunk_size = EP__AOF_DEFAULT_CHUNK;
    cfg->max_record_size = EP__AOF_DEFAULT_MAX_RECORD;
}

/* Reads and checks the header of an open file. */
static ep_result ep__aof_read_header(ep_vfs *vfs, ep_file *f, uint8_t *version, ep_error *err) {
    uint8_t h[EP_AOF_HEADER_SIZE];
    size_t got = 0;
    ep_result r = vfs->read(vfs, f, 0, h, sizeof h, &got, err);
    if (r) return r;
    if ((r = ep__aof_check_header(h, got, err)) != EP_OK) return r;
    *version = h[4];
    return EP_OK;
}

EP_API ep_result ep_aof_reader_open(const char *path, const ep_aof_reader_config *cfg, ep_aof_reader **out,
                                    ep_error *err) {
    ep_aof_reader_config def;
    const ep_allocator *alloc;
    ep_aof_reader *r;
    ep_error e;
    uint8_t version = 0;
    ep_result res;
    if (!out || !path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "reader open: NULL argument");
    *out = NULL;
    if (!cfg) {
        ep_aof_reader_config_init(&def);
        cfg = &def;
    }
    if (EP__KEY_REFUSED(cfg->key))
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "a key given, but built with EP_NO_ENCRYPTION");
    alloc = cfg->alloc;
    r = (ep_aof_reader *)ep_malloc(alloc, sizeof *r);
    if (!r) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "no memory for the AOF reader");
    memset(r, 0, sizeof *r);
    ep_error_clear(&e);
    res = ep__vfs_pick(cfg->vfs, &r->os_vfs, &r->vfs);
    if (res) ep_error_set(&e, res, UINT64_MAX, "no OS file system in this build");
    if (res == EP_OK) res = r->vfs->open(r->vfs, path, EP_OPEN_READ, &r->f, &e);
    if (res == EP_OK) res = ep__aof_read_header(r->vfs, r->f, &version, &e);
    if (res == EP_OK && version == EP_AOF_VERSION_ENCRYPTED && !cfg->key)
        res = ep_error_set(&e, EP_ERR_ENCRYPTION_REQUIRED, 4,
                           "AOF file is encrypted (version 3); a key is needed to read it");
    if (res == EP_OK)
        res = ep__aof_rd_init(&r->rd, r->vfs, r->f, alloc, cfg->key, version, cfg->chunk_size, cfg->max_record_size);
    if (res != EP_OK) {
        if (err) {
            *err = r->rd.err.code ? r->rd.err : e;
            err->code = res;
        }
        if (r->f) r->vfs->close(r->vfs, r->f, NULL);
        ep__aof_rd_free(&r->rd);
        ep_free(alloc, r);
        return res;
    }
    *out = r;
    return EP_OK;
}

EP_API ep_result ep_aof_reader_next(ep_aof_reader *r, ep_aof_record *rec) {
    if (!r || !rec) return EP_ERR_INVALID_ARG;
    return ep__aof_rd_next(&r->rd, rec);
}

EP__PRIV void ep__aof_reader_set_views_hook(struct ep_aof_reader *r, ep__views_hook fn, void *user) {
    ep__rs_set_hook(&r->rd.rs, fn, user);
}

EP__PRIV ep_result ep__aof_reader_start_at(struct ep_aof_reader *r, uint64_t offset, uint64_t records) {
    ep__aof_rd *rd = &r->rd;
    if (rd->records || rd->end != EP_AOF_READING || rd->rs.len || offset < EP_AOF_HEADER_SIZE) return EP_ERR_STATE;
    rd->rs.base = offset;
    if (rd->rs.end < offset) rd->rs.end = offset; /* nothing there: a clean end at offset */
    rd->good_end = offset;
    rd->records = records;
    return EP_OK;
}

EP_API void ep_aof_reader_status(const ep_aof_reader *r, ep_aof_status *out) {
    memset(out, 0, sizeof *out);
    out->end = r->rd.end;
    out->version = r->rd.version;
    out->records = r->rd.records;
    out->good_offset = r->rd.good_end;
    out->tail_bytes = r->rd.tail;
    if (r->rd.end == EP_AOF_END_ERROR) out->error = r->rd.err;
    else ep_error_clear(&out->error);
}

/* Errors that describe the file's bytes (not the machine): salvage may
 * look past them. */
static int ep__aof_damage(ep_result r) {
    switch (r) {
    case EP_ERR_CHECKSUM: case EP_ERR_UNKNOWN_TAG: case EP_ERR_LIMIT: case EP_ERR_UTF8: case EP_ERR_BAD_VALUE:
    case EP_ERR_DECRYPT: case EP_ERR_CORRUPT: case EP_ERR_EOF:
        return 1;
    default:
        return 0;
    }
}

EP_API ep_result ep_aof_reader_skip_damage(ep_aof_reader *r, uint64_t *resume_offset) {
    ep__aof_rd *rd;
    int first = 1;
    if (!r || !resume_offset) return EP_ERR_INVALID_ARG;
    rd = &r->rd;
    if (rd->end != EP_AOF_END_ERROR) return rd->end == EP_AOF_READING ? EP_ERR_STATE : EP_END;
    if (!ep__aof_damage(rd->fail)) return rd->fail;
    for (;;) {
        ep_aof_record rec;
        size_t total, avail = ep__rs_avail(&rd->rs);
        const uint8_t *p;
        ep_result x;
        if (avail == 0) {
            if (ep__rs_at_eof(&rd->rs)) break;
            if ((x = ep__rs_fill(&rd->rs, 1)) != EP_OK && x != EP_ERR_EOF) return x;
            continue;
        }
        if (first) { /* the damaged record's own start is no candidate */
            ep__rs_skip(&rd->rs, 1);
            first = 0;
            continue;
        }
        p = ep__rs_ptr(&rd->rs);
        x = ep__aof_rd_extent(rd, p, avail, &rec, &total);
        if (x == EP_ERR_EOF && !ep__rs_at_eof(&rd->rs)) {
            /* maybe a record longer than what is loaded: load it (capped by max_record_size) */
            x = ep__rs_fill(&rd->rs, avail + 1);
            if (x == EP_ERR_LIMIT) ep__rs_skip(&rd->rs, 1);
            else if (x != EP_OK && x != EP_ERR_EOF) return x;
            continue;
        }
        if (x == EP_OK && ep__aof_rd_valid_at(rd, p, avail)) {
            rd->end = EP_AOF_READING;
            rd->fail = EP_OK;
            rd->good_end = ep__rs_offset(&rd->rs);
            ep_error_clear(&rd->err);
            *resume_offset = rd->good_end;
            return EP_OK;
        }
        ep__rs_skip(&rd->rs, 1);
    }
    *resume_offset = ep__rs_offset(&rd->rs); /* the file's end: nothing valid after the damage */
    return EP_END;
}

EP_API const ep_error *ep_aof_reader_error(const ep_aof_reader *r) {
    return &r->rd.err;
}

EP_API void ep_aof_reader_close(ep_aof_reader *r) {
    if (!r) return;
    if (r->f) r->vfs->close(r->vfs, r->f, NULL);
    ep__aof_rd_free(&r->rd);
    ep_free(r->rd.alloc, r);
}

/* ==== writer ============================================================== */

struct ep_aof_writer {
    ep_vfs os_vfs;
    ep_vfs *vfs;
    const ep_allocator *alloc;
    ep_aof_writer_config cfg;
    char *path, *tmp_path, *dir;
    uint8_t version;
    ep__wstream s;        /* the file, its buffer, policy, stats and poisoning */
    ep_buf scratch;       /* items built by the per-kind helpers */
    uint64_t trimmed;
    uint8_t nonce_pool[EP_NONCE_SIZE * 32];
    size_t nonce_left;
    ep_error err;
};

EP_API void ep_aof_writer_config_init(ep_aof_writer_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->fsync = EP_FSYNC_EVERYSEC;
    cfg->buffer_size = 64u * 1024u;
    cfg->scan_buffer_size = EP__AOF_DEFAULT_CHUNK;
}

static ep_result ep__aof_usable(ep_aof_writer *w) {
    if (!w) return EP_ERR_INVALID_ARG;
    return ep__ws_usable(&w->s);
}

/* A fresh nonce: from the caller's hook, else from a pool of OS random
 * bytes (one syscall per 32 records; every pool byte is used once). */
static ep_result ep__aof_nonce(ep_aof_writer *w, uint8_t *out) {
    ep_result r;
    if (w->cfg.nonce_fn) return w->cfg.nonce_fn(w->cfg.nonce_user, out);
    if (w->nonce_left == 0) {
        if ((r = ep_random_bytes(w->nonce_pool, sizeof w->nonce_pool)) != EP_OK) return r;
        w->nonce_left = sizeof w->nonce_pool / EP_NONCE_SIZE;
    }
    w->nonce_left--;
    memcpy(out, w->nonce_pool + w->nonce_left * EP_NONCE_SIZE, EP_NONCE_SIZE);
    ep__wipe(w->nonce_pool + w->nonce_left * EP_NONCE_SIZE, EP_NONCE_SIZE);
    return EP_OK;
}

/* v3: [nonce][ct_len][ct + tag]. The plaintext is encoded in place where
 * the ciphertext goes and sealed over itself: no copy, and no plaintext
 * left behind in memory. */
static ep_result ep__aof_put_sealed(ep_aof_writer *w, ep_buf *b, const ep_aof_record *rec) {
    size_t start = b->len, n = 0;
    uint8_t *env;
    ep_result r;
    if ((r = ep_buf_reserve(b, EP_NONCE_SIZE + 4)) != EP_OK) return r;
    b->len += EP_NONCE_SIZE + 4;
    if ((r = ep__aof_encode_into(b, rec, &n)) != EP_OK) return r;
    if ((r = ep_buf_reserve(b, EP_TAG_SIZE)) != EP_OK) return r;
    env = b->data + start;
    if ((r = ep__aof_nonce(w, env)) != EP_OK) return r;
    ep_store_u32le(env + EP_NONCE_SIZE, (uint32_t)(n + EP_TAG_SIZE));
    r = ep_key_seal_nonce(w->cfg.key, env, env + EP_NONCE_SIZE + 4, n, env + EP_NONCE_SIZE + 4);
    if (r != EP_OK) return r;
    b->len += EP_TAG_SIZE;
    return EP_OK;
}

/* Encodes one record (sealed for v3) into the stream's buffer. On failure
 * the caller rewinds the call; plaintext is wiped first. */
static ep_result ep__aof_put(ep_aof_writer *w, const ep_aof_record *rec) {
    ep_buf *b = ep__ws_buf(&w->s);
    size_t start = b->len, n = 0;
    ep_result r = ep_aof_validate(rec);
    if (r) return ep_error_set(&w->err, r, UINT64_MAX, "refusing to write a %s record: %s",
                               ep_aof_tag_name(rec->tag) ? ep_aof_tag_name(rec->tag) : "?", ep__aof_what(r));
    if (!EP__AOF_SEALED(w->version)) {
        if ((r = ep__aof_encode_into(b, rec, &n)) == EP_OK && (r = ep_buf_reserve(b, 4)) == EP_OK) {
            ep_store_u32le(b->data + b->len, ep_crc32(b->data + start, n));
            b->len += 4;
        }
    } else {
        r = ep__aof_put_sealed(w, b, rec);
        if (r && b->len > start && b->data) ep__wipe(b->data + start, b->len - start);
    }
    if (r)
        return ep_error_set(&w->err, r, UINT64_MAX, "cannot encode a %s record: %s",
                            ep_aof_tag_name(rec->tag) ? ep_aof_tag_name(rec->tag) : "?", ep_result_str(r));
    ep__ws_records(&w->s, 1);
    return EP_OK;
}

EP_API ep_result ep_aof_append_batch(ep_aof_writer *w, const ep_aof_record *recs, size_t n) {
    ep_result r = ep__aof_usable(w);
    size_t i;
    if (r) return r;
    if (n && !recs) return EP_ERR_INVALID_ARG;
    ep__ws_mark(&w->s);
    for (i = 0; i < n; i++) {
        if ((r = ep__aof_put(w, &recs[i])) != EP_OK) return ep__ws_rewind(&w->s, r);
        if ((r = ep__ws_bound(&w->s)) != EP_OK) return ep__ws_rewind(&w->s, r); /* long batches stay bounded */
    }
    return ep__ws_end_call(&w->s);
}

EP_API ep_result ep_aof_append(ep_aof_writer *w, const ep_aof_record *rec) {
    return ep_aof_append_batch(w, rec, 1);
}

EP_API ep_result ep_aof_batch_begin(ep_aof_writer *w) {
    ep_result r = ep__aof_usable(w);
    return r ? r : ep__ws_batch_begin(&w->s);
}

EP_API ep_result ep_aof_batch_end(ep_aof_writer *w) {
    ep_result r = ep__aof_usable(w);
    return r ? r : ep__ws_batch_end(&w->s);
}

EP_API ep_result ep_aof_writer_flush(ep_aof_writer *w) {
    ep_result r = ep__aof_usable(w);
    return r ? r : ep__ws_flush(&w->s);
}

EP_API ep_result ep_aof_writer_sync(ep_aof_writer *w) {
    ep_result r = ep__aof_usable(w);
    return r ? r : ep__ws_sync(&w->s);
}

EP_API ep_result ep_aof_writer_tick(ep_aof_writer *w) {
    ep_result r = ep__aof_usable(w);
    return r ? r : ep__ws_tick(&w->s);
}

EP_API const ep_error *ep_aof_writer_error(const ep_aof_writer *w) {
    return &w->err;
}

EP_API void ep_aof_writer_stats(const ep_aof_writer *w, ep_aof_stats *out) {
    memset(out, 0, sizeof *out);
    out->version = w->version;
    out->records = w->s.records;
    out->size = ep__ws_size(&w->s);
    out->flushed_offset = w->s.flushed;
    out->synced_offset = w->s.synced;
    out->syncs = w->s.syncs;
    out->trimmed_bytes = w->trimmed;
}

/* A fresh header at offset 0 of f, synced (before any record can follow it). */
static ep_result ep__aof_write_header(ep_aof_writer *w, ep_file *f, uint8_t version) {
    uint8_t h[EP_AOF_HEADER_SIZE];
    ep__wstream hs;
    ep_result r;
    memcpy(h, ep__aof_magic, 4);
    h[4] = version;
    ep__ws_init(&hs, w->vfs, f, w->alloc, 0, &w->err);
    r = ep__ws_put(&hs, h, sizeof h, 0);
    if (r == EP_OK) r = ep__ws_sync(&hs);
    ep__ws_free(&hs);
    return r;
}

/* After an error at the read position: is the rest of the file (at most the
 * resync window) damage with no valid record in it? */
static int ep__aof_rd_damaged_tail(ep__aof_rd *rd) {
    uint64_t left = ep__rs_left(&rd->rs);
    if (rd->end != EP_AOF_END_ERROR || rd->fail == EP_ERR_IO || rd->fail == EP_ERR_NOMEM) return 0;
    if (left > EP_AOF_RESYNC_WINDOW || ep__rs_fill(&rd->rs, (size_t)left) != EP_OK) return 0;
    return ep__aof_rd_resync(rd) == 0;
}

/* Scans the records of an existing file and cuts a torn tail off; *end is
 * where appends continue. */
static ep_result ep__aof_scan(ep_aof_writer *w, ep_file *f, uint64_t *end) {
    ep__aof_rd rd;
    ep_aof_record rec;
    ep_result r = ep__aof_rd_init(&rd, w->vfs, f, w->alloc, w->cfg.key, w->version, w->cfg.scan_buffer_size, 0);
    if (r == EP_OK)
        while ((r = ep__aof_rd_next(&rd, &rec)) == EP_OK) {
        }
    if (r == EP_END) r = EP_OK;
    if (r != EP_OK && w->cfg.repair_tail && ep__aof_rd_damaged_tail(&rd)) {
        rd.end = EP_AOF_END_TORN;
        rd.good_end = ep__rs_offset(&rd.rs);
        rd.tail = ep__rs_left(&rd.rs);
        r = EP_OK;
    }
    if (r != EP_OK) {
        w->err = rd.err;
        if (rd.end == EP_AOF_END_ERROR && r != EP_ERR_NOMEM && r != EP_ERR_IO)
            ep_error_set(&w->err, r, rd.err.offset, "refusing to append: %s", rd.err.message);
        w->err.index = rd.err.index;
    } else {
        *end = rd.good_end;
        if (rd.end == EP_AOF_END_TORN) {
            w->trimmed = rd.tail;
            r = w->vfs->truncate(w->vfs, f, rd.good_end, &w->err);
        }
    }
    ep__aof_rd_free(&rd);
    return r;
}

/* Creates the header of an empty (or torn-header) file, or checks the
 * existing one and scans its records; *end is where appends continue. */
static ep_result ep__aof_prepare(ep_aof_writer *w, ep_file *f, uint64_t *end) {
    uint8_t h[EP_AOF_HEADER_SIZE], want = w->cfg.key ? EP_AOF_VERSION_ENCRYPTED : EP_AOF_VERSION_PLAIN;
    uint64_t size = 0;
    size_t got = 0;
    ep_result r;
    int fresh;
    if ((r = w->vfs->size(w->vfs, f, &size, &w->err)) != EP_OK) return r;
    if (size > 0 && (r = w->vfs->read(w->vfs, f, 0, h, sizeof h, &got, &w->err)) != EP_OK) return r;
    /* Empty, or a header cut short by a crash while creating it: nothing
     * was ever acknowledged in such a file, so a fresh header is safe. */
    fresh = size < EP_AOF_HEADER_SIZE && memcmp(h, ep__aof_magic, got < 4 ? got : 4) == 0;
    /* With repair_tail, a damaged header alone (no room for any record)
     * is replaced too: it is what a power cut during creation leaves. */
    if (w->cfg.repair_tail && size <= EP_AOF_HEADER_SIZE && (got < 5 || ep__aof_check_header(h, got, NULL) != EP_OK))
        fresh = 1;
    if (fresh) {
        if (size && (r = w->vfs->truncate(w->vfs, f, 0, &w->err)) != EP_OK) return r;
        if ((r = ep__aof_write_header(w, f, want)) != EP_OK) return r;
        if ((r = w->vfs->sync_dir(w->vfs, w->dir, &w->err)) != EP_OK) return r;
        w->version = want;
        *end = EP_AOF_HEADER_SIZE;
        return EP_OK;
    }
    if ((r = ep__aof_check_header(h, got, &w->err)) != EP_OK) return r;
    w->version = h[4];
    if ((w->version == EP_AOF_VERSION_ENCRYPTED) != (w->cfg.key != NULL))
        return ep_error_set(&w->err, EP_ERR_FORMAT_MISMATCH, 4,
                            w->cfg.key ? "AOF %s is plaintext (version %u) but the writer has a key; appending "
                                         "encrypted records would make it unreadable - rewrite it to migrate"
                                       : "AOF %s is encrypted (version %u) but the writer has no key; appending "
                                         "plaintext records would make it unreadable - rewrite it to migrate",
                            w->path, (unsigned)w->version);
    if ((r = ep__aof_scan(w, f, end)) != EP_OK) return r;
    /* Earlier sessions may have left unsynced bytes; make them durable so
     * synced_offset is true from here on. */
    return w->vfs->sync(w->vfs, f, &w->err);
}

static void ep__aof_writer_free(ep_aof_writer *w) {
    ep__wipe(w->nonce_pool, sizeof w->nonce_pool);
    ep__ws_free(&w->s);
    ep_buf_free(&w->scratch);
    ep_free(w->alloc, w->path);
    ep_free(w->alloc, w->tmp_path);
    ep_free(w->alloc, w->dir);
    ep_free(w->alloc, w);
}

EP_API ep_result ep_aof_writer_open(const char *path, const ep_aof_writer_config *cfg, ep_aof_writer **out,
                                    ep_error *err) {
    ep_aof_writer_config def;
    ep_aof_writer *w;
    ep_file *f = NULL;
    uint64_t end = EP_AOF_HEADER_SIZE;
    ep_result r;
    size_t dlen;
    if (!out || !path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "writer open: NULL argument");
    *out = NULL;
    if (!cfg) {
        ep_aof_writer_config_init(&def);
        cfg = &def;
    }
    if (cfg->fsync != EP_FSYNC_ALWAYS && cfg->fsync != EP_FSYNC_EVERYSEC && cfg->fsync != EP_FSYNC_NO)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "unknown fsync policy %d", (int)cfg->fsync);
    if (EP__KEY_REFUSED(cfg->key))
        return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "a key given, but built with EP_NO_ENCRYPTION");
    w = (ep_aof_writer *)ep_malloc(cfg->alloc, sizeof *w);
    if (!w) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "no memory for the AOF writer");
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    w->alloc = cfg->alloc;
    ep_buf_init(&w->scratch, w->alloc);
    ep_error_clear(&w->err);
    r = ep__vfs_pick(cfg->vfs, &w->os_vfs, &w->vfs);
    ep__ws_init(&w->s, w->vfs, NULL, w->alloc, EP_AOF_HEADER_SIZE, &w->err);
    dlen = strlen(path) + 1;
    w->path = ep__aof_strdup(w->alloc, path, NULL);
    w->tmp_path = ep__aof_strdup(w->alloc, path, ".tmp");
    w->dir = (char *)ep_malloc(w->alloc, dlen + 1);
    if (r == EP_OK && (!w->path || !w->tmp_path || !w->dir))
        r = ep_error_set(&w->err, EP_ERR_NOMEM, UINT64_MAX, "no memory for the AOF writer");
    if (r == EP_OK) r = ep__ws_config(&w->s, cfg->buffer_size, cfg->fsync, cfg->clock_ms, cfg->clock_user);
    if (r == EP_OK) r = ep_path_dirname(w->dir, dlen + 1, path);
    if (r == EP_OK)
        r = ep__stream_open_locked(w->vfs, w->alloc, w->path, cfg->create_dir ? w->dir : NULL, EP__TEXT("AOF"), &f,
                                   &w->err);
    if (r == EP_OK) r = ep__aof_prepare(w, f, &end);
    if (r != EP_OK) {
        if (err) {
            *err = w->err;
            err->code = r;
        }
        if (f) w->vfs->close(w->vfs, f, NULL);
        ep__aof_writer_free(w);
        return r;
    }
    ep__ws_retarget(&w->s, f, end);
    *out = w;
    return EP_OK;
}

EP_API ep_result ep_aof_writer_close(ep_aof_writer *w) {
    ep_result r;
    if (!w) return EP_OK;
    r = ep__ws_close(&w->s);
    ep__aof_writer_free(w);
    return r;
}

EP_API void ep_aof_writer_drop_after_fork(ep_aof_writer *w) {
    if (!w) return;
    /* close(2) of the child's descriptor: no write, no sync, and no unlock
     * (flock belongs to the description the parent still holds open; an
     * fcntl lock was never the child's). */
    if (w->s.f) (void)w->vfs->close(w->vfs, w->s.f, NULL);
    ep__aof_writer_free(w);
}

/* For a caller above the file layer (ep_shard_rewrite) whose own step after
 * a successful rewrite failed, so that appending on would put records where
 * no reader can tell them from covered ones: the writer refuses from here,
 * with why as its error. */
EP__PRIV ep_result ep__aof_writer_poison(ep_aof_writer *w, ep_result code, const ep_error *why) {
    if (why) w->err = *why;
    if (w->err.code == EP_OK) ep_error_set(&w->err, code, UINT64_MAX, "poisoned: %s", ep_result_str(code));
    return ep__ws_poison(&w->s, code);
}

/* The vfs cannot rename over a file a handle holds open (EP_ERR_LOCKED:
 * Windows before 10 1607, wine): close the old AOF, everything of it already
 * flushed, and rename again. Between the close and the reopen the writer's
 * lock is released; the reopen takes it again or the writer is poisoned. */
static ep_result ep__aof_rename_closed(ep_aof_writer *w, int *renamed) {
    (void)w->vfs->close(w->vfs, w->s.f, NULL);
    w->s.f = NULL;
    return ep__stream_rename(w->vfs, w->alloc, w->tmp_path, w->path, renamed, &w->err);
}

/* The rename failed after ep__aof_rename_closed closed the old AOF: open it
 * again where it was (its flushed and synced marks stay), or poison. */
static ep_result ep__aof_reopen_old(ep_aof_writer *w, ep_result why) {
    ep_file *f = NULL;
    ep_error e;
    ep_result r = w->vfs->open(w->vfs, w->path, EP_OPEN_READ | EP_OPEN_WRITE, &f, &e);
    if (r == EP_OK) r = ep__stream_lock(w->vfs, f, EP__TEXT("AOF"), w->path, &e);
    if (r != EP_OK) {
        if (f) (void)w->vfs->close(w->vfs, f, NULL);
        return ep__ws_poison(&w->s, why);
    }
    w->s.f = f;
    return why;
}

EP_API ep_result ep_aof_writer_rewrite(ep_aof_writer *w) {
    uint8_t version, h[EP_AOF_HEADER_SIZE];
    ep_file *tmp = NULL, *nf = NULL;
    int renamed = 0;
    ep_result r = ep__aof_usable(w);
    if (r) return r;
    if (w->s.in_batch) return ep_error_set(&w->err, EP_ERR_STATE, UINT64_MAX, "rewrite inside a batch");
    version = w->cfg.key ? EP_AOF_VERSION_ENCRYPTED : EP_AOF_VERSION_PLAIN;
    if ((r = ep__ws_flush(&w->s)) != EP_OK) return r;
    memcpy(h, ep__aof_magic, 4);
    h[4] = version;
    r = w->vfs->open(w->vfs, w->tmp_path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &tmp, &w->err);
    if (r == EP_OK) r = w->vfs->write(w->vfs, tmp, 0, h, sizeof h, &w->err);
    if (r == EP_OK) r = ep__stream_publish(w->vfs, w->alloc, &tmp, w->tmp_path, w->path, &renamed, &w->err);
    if (r == EP_ERR_LOCKED && !tmp && !renamed) r = ep__aof_rename_closed(w, &renamed);
    if (tmp) (void)w->vfs->close(w->vfs, tmp, NULL);
    if (!renamed) {
        (void)w->vfs->remove(w->vfs, w->tmp_path, NULL);
        /* the old file is untouched and still in use (reopened if it was closed) */
        return w->s.f ? r : ep__aof_reopen_old(w, r);
    }
    /* From here the path names the new file: any failure poisons. */
    if (r != EP_OK) return ep__ws_poison(&w->s, r);
    r = w->vfs->open(w->vfs, w->path, EP_OPEN_READ | EP_OPEN_WRITE, &nf, &w->err);
    if (r == EP_OK) r = ep__stream_lock(w->vfs, nf, EP__TEXT("AOF"), w->path, &w->err);
    /* The replaced file's content is obsolete: a failed close of it changes
     * nothing, and reporting it would say the rewrite failed when it did not. */
    if (w->s.f) (void)w->vfs->close(w->vfs, w->s.f, NULL);
    ep__ws_retarget(&w->s, nf, EP_AOF_HEADER_SIZE);
    if (r != EP_OK) return ep__ws_poison(&w->s, r);
    w->version = version;
    return EP_OK;
}

/* ---- per-kind helpers ------------------------------------------------------ */

/* Each builds its record with the codec (codec/aof_build.h: the one layout)
 * and appends it. The SET layout's bytes come from the codec too. */
EP__PRIV size_t ep__aof_set_size(size_t key_len, size_t value_len);
EP__PRIV uint8_t *ep__aof_write_set(uint8_t *p, ep_bytes key, ep_bytes value, int64_t expire_ms);

/* Appends a record a builder made, or reports why it could not be built. */
static ep_result ep__aof_built(ep_aof_writer *w, const ep_aof_record *rec, ep_result built) {
    ep_result r;
    if (built == EP_OK) return ep_aof_append(w, rec);
    if ((r = ep__aof_usable(w)) != EP_OK) return r;
    return ep_error_set(&w->err, built, UINT64_MAX, "cannot build the %s record: %s", ep_aof_tag_name(rec->tag),
                        ep_result_str(built));
}

/* The writer's scratch for the builders that encode elements (NULL without
 * a writer: the builder refuses, ep__aof_built reports). */
static ep_buf *ep__aof_build_scratch(ep_aof_writer *w) {
    return w ? &w->scratch : NULL;
}

/* SET is most of a real AOF: encoded straight into the write buffer, with
 * one reserve and one CRC over the contiguous record. */
EP_API ep_result ep_aof_set(ep_aof_writer *w, ep_bytes key, ep_bytes value, int64_t expire_ms) {
    ep_aof_record rec;
    size_t n;
    uint8_t *p;
    if (!w || w->s.poisoned || w->version == EP_AOF_VERSION_ENCRYPTED || key.len > EP_MAX_FIELD_LEN ||
        value.len > EP_MAX_FIELD_LEN || (key.len && !key.data) || (value.len && !value.data) ||
        !ep_utf8_valid(key.data, key.len))
        return ep__aof_built(w, &rec, ep_aof_rec_set(&rec, key, value, expire_ms)); /* the general path reports */
    n = ep__aof_set_size(key.len, value.len);
    if (!(p = ep__ws_reserve(&w->s, n + 4)))
        return ep_error_set(&w->err, EP_ERR_NOMEM, UINT64_MAX, "no memory for a SET record");
    ep__ws_mark(&w->s);
    ep__aof_write_set(p, key, value, expire_ms);
    ep_store_u32le(p + n, ep_crc32(p, n));
    ep__ws_advance(&w->s, n + 4, 1);
    return ep__ws_end_call(&w->s);
}
EP_API ep_result ep_aof_del(ep_aof_writer *w, ep_bytes key) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_del(&rec, key));
}
EP_API ep_result ep_aof_expire(ep_aof_writer *w, ep_bytes key, int64_t seconds) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_expire(&rec, key, seconds));
}
EP_API ep_result ep_aof_lpush(ep_aof_writer *w, ep_bytes key, const ep_bytes *values, uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_lpush(&rec, ep__aof_build_scratch(w), key, values, n));
}
EP_API ep_result ep_aof_rpush(ep_aof_writer *w, ep_bytes key, const ep_bytes *values, uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_rpush(&rec, ep__aof_build_scratch(w), key, values, n));
}
EP_API ep_result ep_aof_lpop(ep_aof_writer *w, ep_bytes key) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_lpop(&rec, key));
}
EP_API ep_result ep_aof_rpop(ep_aof_writer *w, ep_bytes key) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_rpop(&rec, key));
}
EP_API ep_result ep_aof_zadd(ep_aof_writer *w, ep_bytes key, const double *scores, const ep_bytes *members,
                             uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_zadd(&rec, ep__aof_build_scratch(w), key, scores, members, n));
}
EP_API ep_result ep_aof_zrem(ep_aof_writer *w, ep_bytes key, const ep_bytes *members, uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_zrem(&rec, ep__aof_build_scratch(w), key, members, n));
}
EP_API ep_result ep_aof_persist(ep_aof_writer *w, ep_bytes key) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_persist(&rec, key));
}
EP_API ep_result ep_aof_pexpire(ep_aof_writer *w, ep_bytes key, int64_t ms) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_pexpire(&rec, key, ms));
}
EP_API ep_result ep_aof_incr(ep_aof_writer *w, ep_bytes key) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_incr(&rec, key));
}
EP_API ep_result ep_aof_decr(ep_aof_writer *w, ep_bytes key) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_decr(&rec, key));
}
EP_API ep_result ep_aof_hset(ep_aof_writer *w, ep_bytes key, const ep_bytes *fields, const ep_bytes *values,
                             uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_hset(&rec, ep__aof_build_scratch(w), key, fields, values, n));
}
EP_API ep_result ep_aof_hdel(ep_aof_writer *w, ep_bytes key, const ep_bytes *fields, uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_hdel(&rec, ep__aof_build_scratch(w), key, fields, n));
}
EP_API ep_result ep_aof_hincrby(ep_aof_writer *w, ep_bytes key, ep_bytes field, int64_t delta) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_hincrby(&rec, key, field, delta));
}
EP_API ep_result ep_aof_sadd(ep_aof_writer *w, ep_bytes key, const ep_bytes *members, uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_sadd(&rec, ep__aof_build_scratch(w), key, members, n));
}
EP_API ep_result ep_aof_srem(ep_aof_writer *w, ep_bytes key, const ep_bytes *members, uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_srem(&rec, ep__aof_build_scratch(w), key, members, n));
}
EP_API ep_result ep_aof_incrby(ep_aof_writer *w, ep_bytes key, int64_t delta) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_incrby(&rec, key, delta));
}
EP_API ep_result ep_aof_decrby(ep_aof_writer *w, ep_bytes key, int64_t delta) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_decrby(&rec, key, delta));
}
EP_API ep_result ep_aof_append_value(ep_aof_writer *w, ep_bytes key, ep_bytes value) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_append(&rec, key, value));
}
EP_API ep_result ep_aof_rename(ep_aof_writer *w, ep_bytes key, ep_bytes new_key) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_rename(&rec, key, new_key));
}
EP_API ep_result ep_aof_proto_set(ep_aof_writer *w, ep_bytes key, ep_bytes type_name, ep_bytes data,
                                  int64_t expire_ms) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_proto_set(&rec, key, type_name, data, expire_ms));
}
EP_API ep_result ep_aof_proto_register(ep_aof_writer *w, ep_bytes name, ep_bytes descriptor) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_proto_register(&rec, name, descriptor));
}
EP_API ep_result ep_aof_vadd(ep_aof_writer *w, ep_bytes key, ep_bytes element, const float *vector, uint32_t dim,
                             uint8_t metric, uint8_t quantization, uint32_t connectivity, uint32_t expansion_add) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec,
                         ep_aof_rec_vadd(&rec, ep__aof_build_scratch(w), key, element, vector, dim, metric, quantization,
                                         connectivity, expansion_add));
}
EP_API ep_result ep_aof_vrem(ep_aof_writer *w, ep_bytes key, ep_bytes element) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_vrem(&rec, key, element));
}
EP_API ep_result ep_aof_copy(ep_aof_writer *w, ep_bytes source, ep_bytes destination, int replace) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_copy(&rec, source, destination, replace));
}
EP_API ep_result ep_aof_lset(ep_aof_writer *w, ep_bytes key, int64_t index, ep_bytes value) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_lset(&rec, key, index, value));
}
EP_API ep_result ep_aof_ltrim(ep_aof_writer *w, ep_bytes key, int64_t start, int64_t stop) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_ltrim(&rec, key, start, stop));
}
EP_API ep_result ep_aof_linsert(ep_aof_writer *w, ep_bytes key, int before, ep_bytes pivot, ep_bytes value) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_linsert(&rec, key, before, pivot, value));
}
EP_API ep_result ep_aof_lrem(ep_aof_writer *w, ep_bytes key, int64_t count, ep_bytes value) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_lrem(&rec, key, count, value));
}
EP_API ep_result ep_aof_setrange(ep_aof_writer *w, ep_bytes key, int64_t offset, ep_bytes value) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_setrange(&rec, key, offset, value));
}
EP_API ep_result ep_aof_setbit(ep_aof_writer *w, ep_bytes key, uint64_t offset, uint8_t bit) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_setbit(&rec, key, offset, bit));
}
EP_API ep_result ep_aof_bitop(ep_aof_writer *w, uint8_t op, ep_bytes dest, const ep_bytes *keys, uint32_t n) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_bitop(&rec, ep__aof_build_scratch(w), op, dest, keys, n));
}
EP_API ep_result ep_aof_pexpireat(ep_aof_writer *w, ep_bytes key, int64_t unix_ms) {
    ep_aof_record rec;
    return ep__aof_built(w, &rec, ep_aof_rec_pexpireat(&rec, key, unix_ms));
}
