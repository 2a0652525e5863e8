/* recovery: ember shard recovery (snapshot + AOF replay) and snapshots whose
 * trailer names the AOF prefix they cover (see recovery.h, docs/recovery.md). */
#include "base/internal.h"
#include "check/crc.h"
#include "check/phash.h"
#include "vfs/vfs.h"
#include "codec/codec_aof.h"
#include "codec/codec_snap.h"
#include "codec/codec_trailer.h"
#include "file/stream.h"
#include "file/aof.h"
#include "file/snapshot.h"
#include "store/keyspace.h"
#include "recover/recovery.h"


#define EP__PATH_MAX 1024
#define EP__MAX_TRAILER (256u * 1024u * 1024u) /* schemas included */
/* The prefix hash of path's bytes [from, len), read in pieces of at most
 * chunk bytes (0: 256 KiB); EP_ERR_EOF if the file is shorter. */
static ep_result ep__hash_prefix(ep_vfs *vfs, const ep_allocator *alloc, const char *path, uint64_t from,
                                 uint64_t len, size_t chunk, uint64_t *out) {
    ep_file *f = NULL;
    uint8_t *buf;
    uint64_t off = from;
    ep_phash ph;
    ep_result r;
    ep_phash_init(&ph);
    *out = ep_phash_final(&ph);
    if (len <= from) return EP_OK;
    if (chunk == 0) chunk = 256u * 1024u;
    if ((uint64_t)chunk > len - from) chunk = (size_t)(len - from);
    buf = (uint8_t *)ep_malloc(alloc, chunk);
    if (!buf) return EP_ERR_NOMEM;
    r = vfs->open(vfs, path, EP_OPEN_READ, &f, NULL);
    while (r == EP_OK && off < len) {
        size_t want = (size_t)EP__MIN((uint64_t)chunk, len - off), got = 0;
        r = vfs->read(vfs, f, off, buf, want, &got, NULL);
        if (r == EP_OK && got < want) r = EP_ERR_EOF;
        if (r == EP_OK) ep_phash_update(&ph, buf, got);
        off += got;
    }
    if (f) (void)vfs->close(vfs, f, NULL);
    ep_free(alloc, buf);
    if (r == EP_OK) *out = ep_phash_final(&ph);
    return r;
}

/* ---- recovery --------------------------------------------------------------- */

typedef struct ep__rec {
    const ep_recover_config *cfg;
    ep_vfs *vfs;
    ep_recover_result *res;
    ep_keyspace *ks;
    int64_t now;
    ep_shard_id shard;
    ep_error *err;    /* the caller's, or ours: never NULL */
    uint8_t *trailer; /* our copy of the snapshot's trailer bytes */
    size_t trailer_len;
    ep_trailer_info ti;
    int trailer_present; /* bytes after the footer */
    int have_trailer;    /* ... and they decode (ti) */
    ep_result trailer_bad; /* ... else why not */
    char snap_path[EP__PATH_MAX];
    char aof_path[EP__PATH_MAX];
} ep__rec;

/* One line to the caller's log; the text through EP__FMT (EP_NO_ERROR_TEXT:
 * the line is empty, the level stays). */
static void ep__log_line(const ep__rec *c, ep_log_level level, const char *fmt, ...) EP__PRINTF(3, 4);
#define ep__log(c, level, ...) ep__log_line((c), (level), EP__FMT(__VA_ARGS__))

static void ep__log_line(const ep__rec *c, ep_log_level level, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    if (!c->cfg->log) return;
    va_start(ap, fmt);
    ep__vformat(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->cfg->log(c->cfg->log_user, level, msg);
}

EP_API void ep_recover_config_init(ep_recover_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = EP_RECOVER_KEYSPACE;
    cfg->keyspace_seed = 0x5eed0f5eed0f5eedull;
}

static int ep__exists(ep_vfs *vfs, const char *path) {
    uint64_t size;
    return vfs->stat(vfs, path, &size, NULL) != EP_ERR_NOT_FOUND;
}

/* " at offset N (record M)" for the parts of e that are set, else "". */
/* EP__UNUSED: under EP_NO_ERROR_TEXT it is only named inside sizeof. */
static EP__UNUSED const char *ep__where(char *buf, size_t cap, const ep_error *e) {
    buf[0] = '\0';
    if (e->offset != UINT64_MAX && e->index != UINT64_MAX)
        ep__textf(buf, cap, " at offset %llu (record %llu)", (unsigned long long)e->offset,
                  (unsigned long long)e->index);
    else if (e->offset != UINT64_MAX)
        ep__textf(buf, cap, " at offset %llu", (unsigned long long)e->offset);
    else if (e->index != UINT64_MAX)
        ep__textf(buf, cap, " (record %llu)", (unsigned long long)e->index);
    return buf;
}

static void ep__aof_reader_cfg(const ep__rec *c, ep_aof_reader_config *rc) {
    ep_aof_reader_config_init(rc);
    rc->vfs = c->vfs;
    rc->alloc = c->cfg->alloc;
    rc->key = c->cfg->key;
    if (c->cfg->read_buffer_size) rc->chunk_size = c->cfg->read_buffer_size;
}

static void ep__snapshot_reader_cfg(const ep__rec *c, ep_snapshot_reader_config *rc) {
    ep_snapshot_reader_config_init(rc);
    rc->vfs = c->vfs;
    rc->alloc = c->cfg->alloc;
    rc->key = c->cfg->key;
    rc->check_shard = 1;
    rc->shard_id = (ep_shard_id)c->shard;
    rc->max_trailer = EP__MAX_TRAILER;
    if (c->cfg->read_buffer_size) rc->buffer_size = c->cfg->read_buffer_size;
}

/* Keeps a copy of the trailer of a snapshot that read to its end. */
static ep_result ep__take_trailer(ep__rec *c, ep_snapshot_reader *rd) {
    ep_bytes t;
    ep_result r = ep_snapshot_reader_trailer(rd, &t);
    if (r == EP_OK && t.len == 0) return EP_OK; /* an ember snapshot */
    c->trailer_present = 1;
    if (r != EP_OK) { /* longer than any trailer we write */
        c->trailer_bad = r;
        return EP_OK;
    }
    c->trailer = (uint8_t *)ep_malloc(c->cfg->alloc, t.len);
    if (!c->trailer) return EP_ERR_NOMEM;
    memcpy(c->trailer, t.data, t.len);
    c->trailer_len = t.len;
    c->trailer_bad = ep_trailer_decode(c->trailer, c->trailer_len, &c->ti);
    c->have_trailer = c->trailer_bad == EP_OK;
    return EP_OK;
}

#ifndef EP_NO_KEYSPACE
/* ---- a short pipeline for keyspace mode --------------------------------------- */

/* Applying a record mostly waits for memory: the key's table slot, then its
 * entry, both random in a large keyspace. So replay keeps a few records in
 * flight: when a record is read its slot is prefetched, one record later
 * its entry, and it is applied one record after that. A snapshot entry
 * costs less work than an AOF record, so the snapshot load gives the slot
 * two entries' time instead of one (three in flight; measured: the AOF
 * replay gained nothing from it). The key is hashed once, when the record
 * is read, and the hash travels with it (prefetch, step 1, lookup and
 * insert would otherwise hash the key three or four times).
 *
 * Records are decoded straight into the pipeline's ring, and records in
 * flight keep pointing into the reader's buffer: the reader's views hook
 * (ep__views_hook) fires before those bytes move, and only then are the
 * records in flight copied into their slots. That is once per buffer refill
 * for a plaintext file instead of once per record. A record whose views do
 * not fit a slot's bytes is never held: the pipeline drains and it is
 * applied at once. */
#define EP__DEPTH_AOF 2  /* records in flight before the oldest is applied */
#define EP__STEP1_AOF 1  /* step 1 (the entry) this many records after step 0 */
#define EP__DEPTH_SNAP 3
#define EP__STEP1_SNAP 2
#define EP__DEPTH 3 /* at most */
#define EP__HOLD_BYTES 448u

typedef struct ep__held {
    ep_aof_record rec; /* AOF mode */
    ep_snap_entry ent; /* snapshot mode */
    uint64_t index;
    uint64_t hash;  /* the key's table hash: computed once, used by each step */
    int copied;     /* views point into bytes, not into the reader's buffer */
    uint8_t bytes[EP__HOLD_BYTES];
} ep__held;

/* A ring of depth + 1 slots: the records in flight, and the one being read. */
typedef struct ep__pipe {
    ep__held slot[EP__DEPTH + 1];
    size_t head, n; /* oldest at head; n records in flight */
    size_t depth;   /* records in flight before the oldest is applied */
    int snapshot;   /* which of rec / ent the slots hold */
} ep__pipe;

static void ep__pipe_init(ep__pipe *p, size_t depth, int snapshot) {
    p->head = p->n = 0;
    p->depth = depth;
    p->snapshot = snapshot;
}

/* Slot i counted from the oldest; i <= depth. */
static ep__held *ep__pipe_at(ep__pipe *p, size_t i) {
    i += p->head; /* i <= depth: one subtraction wraps it (no division) */
    return &p->slot[i > p->depth ? i - p->depth - 1 : i];
}

static ep__held *ep__pipe_pop(ep__pipe *p) {
    ep__held *h = &p->slot[p->head];
    p->head = p->head == p->depth ? 0 : p->head + 1;
    p->n--;
    return h;
}

/* The views of the record in h, so that they can be sized and moved. */
static size_t ep__held_views(ep__held *h, int snapshot, ep_bytes **v) {
    if (snapshot) {
        v[0] = &h->ent.key;
        v[1] = &h->ent.value;
        v[2] = &h->ent.type_name;
        v[3] = &h->ent.items.raw;
        return 4;
    }
    v[0] = &h->rec.key;
    v[1] = &h->rec.key2;
    v[2] = &h->rec.value;
    v[3] = &h->rec.pivot;
    v[4] = &h->rec.items.raw;
    v[5] = &h->rec.vector;
    return 6;
}

/* Can the record just decoded into h be held (its views fit h->bytes)? */
static int ep__held_fits(ep__held *h, int snapshot) {
    ep_bytes *v[6];
    size_t n = ep__held_views(h, snapshot, v), used = 0, i;
    for (i = 0; i < n; i++) {
        if (v[i]->len > EP__HOLD_BYTES - used) return 0;
        used += v[i]->len;
    }
    h->copied = 0;
    return 1;
}

/* Moves the views of a held record into its own bytes (they fit). */
static void ep__held_copy(ep__held *h, int snapshot) {
    ep_bytes *v[6];
    size_t n = ep__held_views(h, snapshot, v), used = 0, i;
    for (i = 0; i < n; i++) {
        if (v[i]->len) {
            memcpy(h->bytes + used, v[i]->data, v[i]->len);
            v[i]->data = h->bytes + used;
        }
        used += v[i]->len;
    }
    h->copied = 1;
}

/* The readers' views hook: the records in flight get their own copies. */
static void ep__pipe_views_end(void *user) {
    ep__pipe *p = (ep__pipe *)user;
    size_t i;
    for (i = 0; i < p->n; i++) {
        ep__held *h = ep__pipe_at(p, i);
        if (!h->copied) ep__held_copy(h, p->snapshot);
    }
}

/* Keyspace mode: every entry into the keyspace, through the pipeline. */
static ep_result ep__snapshot_load(ep__rec *c, ep_snapshot_reader *rd, ep_result *fatal) {
    ep__pipe p;
    ep_snapshot_info info;
    ep_result r;
    ep__held *h, *o;
    ep__pipe_init(&p, EP__DEPTH_SNAP, 1);
    /* Size the table once; the count is untrusted, so bound it by the file. */
    ep_snapshot_reader_info(rd, &info);
    (void)ep_keyspace_reserve(c->ks, (size_t)EP__MIN((uint64_t)info.entry_count, info.file_size / 17u));
    ep__snapshot_reader_set_views_hook(rd, ep__pipe_views_end, &p);
    while ((r = ep_snapshot_reader_next(rd, &(h = ep__pipe_at(&p, p.n))->ent)) == EP_OK) {
        c->res->snapshot_entries++;
        h->hash = ep_keyspace_key_hash(c->ks, h->ent.key.data, h->ent.key.len);
        ep_keyspace_prefetch_hashed(c->ks, h->hash, 0);
        if (p.n >= EP__STEP1_SNAP) ep_keyspace_prefetch_hashed(c->ks, ep__pipe_at(&p, p.n - EP__STEP1_SNAP)->hash, 1);
        if (ep__held_fits(h, 1)) {
            if (++p.n <= p.depth) continue;
            o = ep__pipe_pop(&p);
            if ((*fatal = ep_keyspace_load_entry_hashed(c->ks, &o->ent, o->hash)) != EP_OK) break;
            continue;
        }
        while (p.n && *fatal == EP_OK) {
            o = ep__pipe_pop(&p);
            *fatal = ep_keyspace_load_entry_hashed(c->ks, &o->ent, o->hash);
        }
        if (*fatal == EP_OK) *fatal = ep_keyspace_load_entry_hashed(c->ks, &h->ent, h->hash);
        if (*fatal != EP_OK) break;
    }
    /* The entries still held were read before the end (or a reader error, after
     * which the snapshot is dropped anyway). */
    while (p.n && *fatal == EP_OK) {
        o = ep__pipe_pop(&p);
        *fatal = ep_keyspace_load_entry_hashed(c->ks, &o->ent, o->hash);
    }
    ep__snapshot_reader_set_views_hook(rd, NULL, NULL); /* p ends here */
    return r;
}

#endif /* EP_NO_KEYSPACE */

/* One pass over the snapshot. deliver: hand entries on (keyspace or
 * visitor). *fatal gets an error that must stop recovery (NOMEM, visitor). */
static ep_result ep__snapshot_pass(ep__rec *c, int deliver, ep_result *fatal) {
    ep_snapshot_reader_config rc;
    ep_snapshot_reader *rd = NULL;
    ep_snap_entry e;
    ep_result r;
    ep__snapshot_reader_cfg(c, &rc);
    *fatal = EP_OK;
    r = ep_snapshot_reader_open(c->snap_path, &rc, &rd, &c->res->snapshot_error);
    if (r != EP_OK) return r == EP_ERR_NOMEM ? (*fatal = r) : r;
    c->res->snapshot_entries = 0;
#ifndef EP_NO_KEYSPACE
    if (deliver && c->ks) {
        r = ep__snapshot_load(c, rd, fatal);
    } else
#endif
    {
        while ((r = ep_snapshot_reader_next(rd, &e)) == EP_OK) {
            if (deliver && (*fatal = c->cfg->visitor.entry(c->cfg->visitor.user, &e)) != EP_OK) break;
            c->res->snapshot_entries++;
        }
    }
    if (*fatal == EP_OK && r == EP_END) {
        r = EP_OK;
        if (!deliver || c->ks) *fatal = ep__take_trailer(c, rd);
    } else if (*fatal == EP_OK) {
        c->res->snapshot_error = *ep_snapshot_reader_error(rd);
        if (r == EP_ERR_NOMEM) *fatal = r;
    }
    ep_snapshot_reader_close(rd);
    return *fatal ? *fatal : r;
}

static ep_result ep__load_snapshot(ep__rec *c) {
    ep_result r, fatal;
    c->res->snapshot_present = ep__exists(c->vfs, c->snap_path);
    if (!c->res->snapshot_present) return EP_OK;
    /* Keyspace: load as we read, clear on failure (it starts empty, so that
     * equals ember's "buffer, then insert"). Visitor: verify, then deliver. */
    r = ep__snapshot_pass(c, c->ks != NULL, &fatal);
    if (fatal == EP_OK && r == EP_OK && !c->ks) r = ep__snapshot_pass(c, 1, &fatal);
    if (fatal != EP_OK) return fatal;
    if (r != EP_OK) {
#ifndef EP_NO_KEYSPACE
        if (c->ks) ep_keyspace_clear(c->ks);
#endif
        c->res->snapshot_entries = 0;
        c->res->trailer = EP_TRAILER_NONE;
        c->have_trailer = c->trailer_present = 0;
        if (c->res->snapshot_error.code == EP_OK) c->res->snapshot_error.code = r;
        ep__log(c, EP_LOG_WARN, "failed to load snapshot %s, starting empty: %s (%s)", c->snap_path,
                ep_result_str(c->res->snapshot_error.code), c->res->snapshot_error.message);
        return EP_OK;
    }
    ep_error_clear(&c->res->snapshot_error);
    c->res->snapshot_loaded = 1;
    ep__log(c, EP_LOG_INFO, "loaded snapshot %s: %llu entries", c->snap_path,
            (unsigned long long)c->res->snapshot_entries);
    return EP_OK;
}

/* A record to the keyspace (key_hash: its key's ep_keyspace_key_hash) or the
 * visitor. Rule refusals are logged. */
static ep_result ep__deliver_h(ep__rec *c, const ep_aof_record *rec, uint64_t index, uint64_t key_hash) {
    ep_result r;
    if (!c->ks) return c->cfg->visitor.record(c->cfg->visitor.user, rec, index);
#ifdef EP_NO_KEYSPACE
    (void)r;
    (void)key_hash;
    return EP_ERR_UNSUPPORTED;
#else
    r = ep_keyspace_apply_hashed(c->ks, rec, c->now, key_hash);
    if (r == EP_OK) return EP_OK;
    if (r == EP_ERR_NOMEM) return r;
    c->res->record_warnings++;
    ep__log(c, EP_LOG_ERROR, "aof record %llu (%s): not applied: %s", (unsigned long long)index,
            ep_aof_tag_name(rec->tag) ? ep_aof_tag_name(rec->tag) : "?", ep_result_str(r));
    return EP_OK;
#endif
}

static ep_result ep__deliver(ep__rec *c, const ep_aof_record *rec, uint64_t index) {
#ifdef EP_NO_KEYSPACE
    return ep__deliver_h(c, rec, index, 0);
#else
    return ep__deliver_h(c, rec, index, c->ks ? ep_keyspace_key_hash(c->ks, rec->key.data, rec->key.len) : 0);
#endif
}

/* Schemas kept in the trailer, as PROTO.REGISTER records. */
static ep_result ep__trailer_schemas(ep__rec *c) {
    size_t pos = 0;
    ep_aof_record rec;
    ep_result r;
    memset(&rec, 0, sizeof rec);
    rec.tag = EP_AOF_PROTO_REGISTER;
    while (ep_trailer_schema_next(&c->ti, &pos, &rec.key, &rec.value))
        if ((r = ep__deliver(c, &rec, UINT64_MAX)) != EP_OK) return r;
    return EP_OK;
}

/* What the trailer means for the AOF: records ending at or before skip are
 * read and not applied; or reading starts at resume, after `before` records
 * (a damaged covered prefix). */
typedef struct ep__plan {
    uint64_t skip, resume, before;
} ep__plan;

/* Recovery will not guess: the trailer cannot say which records the
 * snapshot holds, and replaying them all could apply some twice. */
static ep_result ep__refuse(ep__rec *c, ep_trailer_state state, const char *why) {
    c->res->trailer = state;
    ep__log(c, EP_LOG_ERROR,
            "snapshot %s: %s: cannot tell which records of %s it already holds; refusing to recover rather than "
            "apply them twice (ignore_trailer replays all of the AOF, as ember does)",
            c->snap_path, why, c->aof_path);
    return ep_error_set(c->err, EP_ERR_CORRUPT, UINT64_MAX, "%s: %s: which AOF records it holds is unknown",
                        c->snap_path, why);
}

/* A present trailer that gives no coverage is harmless only if the AOF has
 * no record to apply twice. */
static ep_result ep__trailer_usable(ep__rec *c, uint64_t aof_size) {
    char why[120];
    if (!c->trailer_present || c->cfg->ignore_trailer) return EP_OK;
    if (c->have_trailer && c->ti.extra) {
        c->res->trailer_extra_bytes = c->ti.extra;
        ep__log(c, EP_LOG_WARN, "snapshot %s: %llu bytes after its trailer (appended later?) ignored", c->snap_path,
                (unsigned long long)c->ti.extra);
    }
    if (c->have_trailer && c->ti.covered_valid) return EP_OK;
    if (c->have_trailer)
        ep__textf(why, sizeof why, "both coverage slots of its trailer are damaged");
    else
        ep__textf(why, sizeof why, "the %llu bytes after its footer are not a readable trailer (%s)",
                  (unsigned long long)c->trailer_len, ep_result_str(c->trailer_bad));
    if (aof_size > EP_AOF_HEADER_SIZE) return ep__refuse(c, EP_TRAILER_INVALID, why);
    c->res->trailer = EP_TRAILER_INVALID;
    ep__log(c, EP_LOG_WARN, "snapshot %s: %s; the AOF holds no record, so nothing can be applied twice",
            c->snap_path, why);
    return EP_OK;
}

/* The format errors that mean damage (a vfs error says nothing about the bytes). */
static int ep__is_damage(ep_result r) {
    switch (r) {
    case EP_ERR_CHECKSUM: case EP_ERR_UNKNOWN_TAG: case EP_ERR_LIMIT: case EP_ERR_UTF8: case EP_ERR_BAD_VALUE:
    case EP_ERR_DECRYPT: case EP_ERR_CORRUPT: case EP_ERR_EOF:
        return 1;
    default:
        return 0;
    }
}

/* The AOF does not start with the covered bytes: read its records up to
 * covered_len. Intact up to there (or past it): a replaced AOF, replay it
 * all. A CRC or frame error before it: damage; the snapshot holds every
 * covered record, so apply none and resume at covered_len. Intact but ending
 * before it with records in it: a cut or a replaced file look the same. */
static ep_result ep__classify(ep__rec *c, uint64_t aof_size, ep__plan *p) {
    uint64_t len = c->ti.covered_len, n = 0;
    ep_aof_reader_config rc;
    ep_aof_reader *rd = NULL;
    ep_aof_record rec;
    ep_aof_status st;
    ep_error e;
    char where[64], why[120];
    ep_result r;
    ep__aof_reader_cfg(c, &rc);
    r = ep_aof_reader_open(c->aof_path, &rc, &rd, &e);
    if (r == EP_ERR_NOMEM) return r;
    if (r != EP_OK) { /* the header: replay below fails the same way and keeps the snapshot alone */
        c->res->trailer = EP_TRAILER_DAMAGED;
        c->res->covered_error = e;
        return EP_OK;
    }
    for (;;) {
        ep_aof_reader_status(rd, &st);
        if (st.good_offset >= len || ep_aof_reader_next(rd, &rec) != EP_OK) break;
        n++;
    }
    ep_aof_reader_status(rd, &st);
    ep_aof_reader_close(rd);
    if (st.good_offset >= len || (n == 0 && st.end != EP_AOF_END_ERROR)) {
        c->res->trailer = EP_TRAILER_STALE;
        ep__log(c, EP_LOG_WARN,
                "snapshot covers %llu AOF bytes that %s no longer starts with (its records are intact: the AOF was "
                "replaced): replaying all of it",
                (unsigned long long)len, c->aof_path);
        return EP_OK;
    }
    if (st.end != EP_AOF_END_ERROR && aof_size >= len) /* the bytes are there; a record in them runs past them */
        ep_error_set(&st.error, EP_ERR_CORRUPT, st.good_offset,
                     "AOF record %llu at offset %llu runs past the end of the file", (unsigned long long)n,
                     (unsigned long long)st.good_offset);
    if (st.end == EP_AOF_END_ERROR || aof_size >= len) {
        st.error.index = n;
        if (st.error.code == EP_ERR_NOMEM) return EP_ERR_NOMEM;
        if (!ep__is_damage(st.error.code))
            return ep_error_set(c->err, st.error.code, UINT64_MAX, "reading %s: %s", c->aof_path, st.error.message);
        c->res->trailer = EP_TRAILER_DAMAGED;
        c->res->covered_error = st.error;
        c->res->records_skipped = n;
        p->resume = len;
        p->before = n;
        ep__log(c, EP_LOG_WARN,
                "aof %s is damaged%s, inside the %llu bytes snapshot %s already holds (%s): none of their records "
                "applied, replay resumes at offset %llu",
                c->aof_path, ep__where(where, sizeof where, &st.error), (unsigned long long)len, c->snap_path,
                ep_result_str(st.error.code), (unsigned long long)len);
        return EP_OK;
    }
    ep__textf(why, sizeof why, "its trailer covers %llu AOF bytes, the AOF ends intact at %llu",
              (unsigned long long)len, (unsigned long long)st.good_offset);
    return ep__refuse(c, EP_TRAILER_SHORT_AOF, why);
}

/* How the AOF is to be read, given the trailer (see ep__plan). */
static ep_result ep__covered_prefix(ep__rec *c, uint64_t aof_size, ep__plan *p) {
    uint64_t hash;
    ep_result r;
    memset(p, 0, sizeof *p);
    if (!c->have_trailer || !c->ti.covered_valid || c->cfg->ignore_trailer) return EP_OK;
    if (c->ti.covered_len == 0) { /* covers nothing (after ep_shard_rewrite): every record is new */
        c->res->trailer = EP_TRAILER_APPLIED;
        return EP_OK;
    }
    r = ep__hash_prefix(c->vfs, c->cfg->alloc, c->aof_path, c->ti.hash_from, c->ti.covered_len,
                        c->cfg->read_buffer_size, &hash);
    if (r == EP_OK && hash == c->ti.covered_hash) {
        c->res->trailer = EP_TRAILER_APPLIED;
        p->skip = c->ti.covered_len;
        return EP_OK;
    }
    if (r == EP_ERR_NOMEM) return r;
    if (r != EP_OK && r != EP_ERR_EOF)
        return ep_error_set(c->err, r, UINT64_MAX, "reading %s: %s", c->aof_path, ep_result_str(r));
    return ep__classify(c, aof_size, p);
}

/* Records ending within the first skip bytes are read, not applied. */
static int ep__skipped(ep__rec *c, ep_aof_reader *rd, uint64_t skip) {
    ep_aof_status st;
    if (skip == 0) return 0;
    ep_aof_reader_status(rd, &st);
    if (st.good_offset > skip) return 0;
    c->res->records_skipped++;
    return 1;
}

#ifndef EP_NO_KEYSPACE
static ep_result ep__apply_held(ep__rec *c, ep__pipe *p) {
    ep__held *h = ep__pipe_pop(p);
    ep_result r = ep__deliver_h(c, &h->rec, h->index, h->hash);
    if (r == EP_OK) c->res->records_applied++;
    return r;
}

/* Keyspace mode, through the pipeline (see ep__pipe). */
static ep_result ep__replay_pipelined(ep__rec *c, ep_aof_reader *rd, uint64_t skip) {
    ep__pipe p;
    ep_result r, d = EP_OK;
    ep__held *h;
    ep__pipe_init(&p, EP__DEPTH_AOF, 0);
    ep__aof_reader_set_views_hook(rd, ep__pipe_views_end, &p);
    while ((r = ep_aof_reader_next(rd, &(h = ep__pipe_at(&p, p.n))->rec)) == EP_OK) {
        h->index = c->res->records_read++;
        if (ep__skipped(c, rd, skip)) continue;
        skip = 0;
        h->hash = ep_keyspace_key_hash(c->ks, h->rec.key.data, h->rec.key.len);
        ep_keyspace_prefetch_hashed(c->ks, h->hash, 0);
        if (p.n >= EP__STEP1_AOF) ep_keyspace_prefetch_hashed(c->ks, ep__pipe_at(&p, p.n - EP__STEP1_AOF)->hash, 1);
        if (ep__held_fits(h, 0)) {
            if (++p.n <= p.depth) continue;
            if ((d = ep__apply_held(c, &p)) != EP_OK) break;
            continue;
        }
        while (p.n && d == EP_OK) d = ep__apply_held(c, &p);
        if (d == EP_OK && (d = ep__deliver_h(c, &h->rec, h->index, h->hash)) == EP_OK) c->res->records_applied++;
        if (d != EP_OK) break;
    }
    /* Records held were read before the end or the error: they count. */
    while (p.n && d == EP_OK) d = ep__apply_held(c, &p);
    ep__aof_reader_set_views_hook(rd, NULL, NULL); /* p ends here */
    if (d != EP_OK) return d;
    return r == EP_END || r != EP_ERR_NOMEM ? EP_OK : r;
}
#endif /* EP_NO_KEYSPACE */

static ep_result ep__replay_loop(ep__rec *c, ep_aof_reader *rd, uint64_t skip) {
    ep_aof_record rec;
    ep_result r;
#ifndef EP_NO_KEYSPACE
    if (c->ks) return ep__replay_pipelined(c, rd, skip);
#endif
    while ((r = ep_aof_reader_next(rd, &rec)) == EP_OK) {
        uint64_t index = c->res->records_read++;
        if (ep__skipped(c, rd, skip)) continue;
        skip = 0;
        if ((r = ep__deliver(c, &rec, index)) != EP_OK) return r;
        c->res->records_applied++;
    }
    return r == EP_END || r != EP_ERR_NOMEM ? EP_OK : r;
}

static ep_result ep__replay_aof(ep__rec *c) {
    ep_aof_reader_config rc;
    ep_aof_reader *rd = NULL;
    ep_aof_status st;
    ep__plan plan;
    uint64_t aof_size = 0;
    char where[64];
    ep_result r;
    r = c->vfs->stat(c->vfs, c->aof_path, &aof_size, NULL);
    c->res->aof_present = r != EP_ERR_NOT_FOUND;
    if ((r = ep__trailer_usable(c, c->res->aof_present ? aof_size : 0)) != EP_OK) return r;
    if (c->have_trailer && (r = ep__trailer_schemas(c)) != EP_OK) return r;
    if (!c->res->aof_present) return EP_OK;
    if ((r = ep__covered_prefix(c, aof_size, &plan)) != EP_OK) return r;
    ep__aof_reader_cfg(c, &rc);
    r = ep_aof_reader_open(c->aof_path, &rc, &rd, &c->res->aof_error);
    if (r != EP_OK) {
        if (r == EP_ERR_NOMEM) return r;
        c->res->aof_end = EP_AOF_END_ERROR;
        ep__log(c, EP_LOG_WARN, "failed to replay aof %s, using snapshot state only: %s (%s)", c->aof_path,
                ep_result_str(r), c->res->aof_error.message);
        return EP_OK;
    }
    if (plan.resume) {
        (void)ep__aof_reader_start_at(rd, plan.resume, plan.before);
        c->res->records_read = plan.before;
    }
    r = ep__replay_loop(c, rd, plan.skip);
    ep_aof_reader_status(rd, &st);
    ep_aof_reader_close(rd);
    if (r != EP_OK) return r;
    c->res->aof_skipped_bytes = plan.resume ? plan.resume : plan.skip;
    c->res->aof_end = st.end;
    c->res->aof_good_offset = st.good_offset;
    c->res->aof_tail_bytes = st.tail_bytes;
    if (st.end == EP_AOF_END_ERROR) {
        c->res->aof_error = st.error;
        if (st.error.code == EP_ERR_NOMEM) return EP_ERR_NOMEM;
        ep__log(c, EP_LOG_WARN, "failed to replay aof %s%s, keeping the %llu records before it: %s (%s)",
                c->aof_path, ep__where(where, sizeof where, &st.error), (unsigned long long)c->res->records_read,
                ep_result_str(st.error.code), st.error.message);
    } else {
        c->res->replayed_aof = c->res->records_read > 0;
        if (st.end == EP_AOF_END_TORN)
            ep__log(c, EP_LOG_WARN, "aof %s ends in a torn record: %llu bytes after offset %llu ignored",
                    c->aof_path, (unsigned long long)st.tail_bytes, (unsigned long long)st.good_offset);
    }
    return EP_OK;
}

static ep_result ep__recover(ep__rec *c) {
    ep_result r;
    if ((r = ep__load_snapshot(c)) != EP_OK) return r;
    if ((r = ep__replay_aof(c)) != EP_OK) return r;
#ifndef EP_NO_KEYSPACE
    if (c->ks) c->res->expired_dropped = ep_keyspace_drop_expired(c->ks);
#endif
    return EP_OK;
}

static int ep__stop_listing(void *ctx, const char *name) {
    (void)ctx;
    (void)name;
    return 1;
}

/* dir must be a directory we can read: a missing one, or a file given as
 * the directory, would otherwise look like a shard with no files. */
static ep_result ep__check_dir(ep__rec *c, const char *dir) {
    ep_error e;
    ep_result r;
    if (!c->vfs->list) return EP_OK;
    ep_error_clear(&e);
    r = c->vfs->list(c->vfs, dir, ep__stop_listing, NULL, &e);
    if (r == EP_OK || r == EP_ERR_NOMEM) return r;
    return ep_error_set(c->err, r, UINT64_MAX, "%s is not a readable directory: %s", *dir ? dir : ".",
                        e.message[0] ? e.message : ep_result_str(r));
}

static ep_result ep__recover_shard(ep__rec *c, const char *dir, ep_vfs *os) {
    const ep_recover_config *cfg = c->cfg;
    ep_result r;
    if ((r = ep__vfs_pick(cfg->vfs, os, &c->vfs)) != EP_OK) return r;
    if ((r = ep__check_dir(c, dir)) != EP_OK) return r;
    c->now = cfg->wall_clock_ms ? cfg->wall_clock_ms(cfg->clock_user) : ep__clock_wall_ms();
    if ((r = ep_snapshot_path(dir, c->shard, c->snap_path, sizeof c->snap_path)) != EP_OK ||
        (r = ep_aof_path(dir, c->shard, c->aof_path, sizeof c->aof_path)) != EP_OK)
        return ep_error_set(c->err, r, UINT64_MAX, "%s: path too long", dir);
    if (cfg->mode == EP_RECOVER_KEYSPACE) {
#ifdef EP_NO_KEYSPACE
        return EP_ERR_UNSUPPORTED; /* built without the keyspace: visitor mode only */
#else
        ep_keyspace_config kc;
        ep_keyspace_config_init(&kc);
        kc.alloc = cfg->alloc;
        kc.seed = cfg->keyspace_seed;
        if ((r = ep_keyspace_create(&kc, &c->ks)) != EP_OK) return r;
#endif
    }
    return ep__recover(c);
}

EP_API ep_result ep_recover_shard(const char *dir, ep_shard_id shard_id, const ep_recover_config *cfg,
                                  ep_recover_result *out, ep_error *err) {
    ep_recover_config def;
    ep_error own;
    ep__rec c;
    ep_vfs os;
    ep_result r;
    if (!err) err = &own;
    ep_error_clear(err);
    if (!out || !dir) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "recover: NULL argument");
    memset(out, 0, sizeof *out);
    ep_error_clear(&out->snapshot_error);
    ep_error_clear(&out->aof_error);
    ep_error_clear(&out->covered_error);
    if (!cfg) {
        ep_recover_config_init(&def);
        cfg = &def;
    }
    if (cfg->mode == EP_RECOVER_VISIT && (!cfg->visitor.entry || !cfg->visitor.record))
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "recover: visitor mode needs both callbacks");
    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.res = out;
    c.shard = shard_id;
    c.err = err;
    r = ep__recover_shard(&c, dir, &os);
    ep_free(cfg->alloc, c.trailer);
#ifndef EP_NO_KEYSPACE
    if (r != EP_OK) {
        ep_keyspace_free(c.ks);
        c.ks = NULL;
        if (err->code == EP_OK)
            ep_error_set(err, r, UINT64_MAX, "recovering shard %u in %s: %s", (unsigned)shard_id, dir,
                         ep_result_str(r));
    }
#endif
    out->keyspace = c.ks;
    return r;
}

EP_API void ep_recover_result_free(ep_recover_result *res) {
    if (!res) return;
#ifndef EP_NO_KEYSPACE
    ep_keyspace_free(res->keyspace);
#endif
    res->keyspace = NULL;
}

/* ---- snapshots with a trailer ------------------------------------------------------ */

EP_API void ep_shard_config_init(ep_shard_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
}

/* The good-record prefix of the AOF file on disk (0 if there is none). */
static ep_result ep__aof_good_prefix(ep_vfs *vfs, const ep_shard_config *cfg, const char *path, uint64_t *len) {
    ep_aof_reader_config rc;
    ep_aof_reader *rd = NULL;
    ep_aof_status st;
    ep_aof_record rec;
    ep_result r;
    *len = 0;
    if (!ep__exists(vfs, path)) return EP_OK;
    ep_aof_reader_config_init(&rc);
    rc.vfs = vfs;
    rc.alloc = cfg->alloc;
    rc.key = cfg->key;
    if (cfg->read_buffer_size) rc.chunk_size = cfg->read_buffer_size;
    r = ep_aof_reader_open(path, &rc, &rd, NULL);
    if (r != EP_OK) return r == EP_ERR_NOMEM ? r : EP_OK; /* unreadable: covers nothing */
    while ((r = ep_aof_reader_next(rd, &rec)) == EP_OK) {
    }
    ep_aof_reader_status(rd, &st);
    ep_aof_reader_close(rd);
    if (r == EP_ERR_NOMEM) return r;
    *len = st.good_offset;
    return EP_OK;
}

/* The AOF prefix the caller's data reflects, and its hash (see ep_shard_snapshot). */
static ep_result ep__covered_now(ep_vfs *vfs, const ep_shard_config *cfg, const char *aof_path, ep_aof_writer *aof,
                                 uint64_t *len, uint64_t *hash, ep_error *err) {
    ep_result r;
    if (aof) {
        ep_aof_stats st;
        if ((r = ep_aof_writer_sync(aof)) != EP_OK) {
            if (err) *err = *ep_aof_writer_error(aof);
            return r;
        }
        ep_aof_writer_stats(aof, &st);
        *len = st.synced_offset;
    } else if ((r = ep__aof_good_prefix(vfs, cfg, aof_path, len)) != EP_OK) {
        return ep_error_set(err, r, UINT64_MAX, "reading %s: %s", aof_path, ep_result_str(r));
    }
    r = ep__hash_prefix(vfs, cfg->alloc, aof_path, EP_TRAILER_V2_HASH_FROM, *len, cfg->read_buffer_size, hash);
    if (r != EP_OK) return ep_error_set(err, r, UINT64_MAX, "reading %s: %s", aof_path, ep_result_str(r));
    return EP_OK;
}

struct ep_shard_snapshot_writer {
    ep_shard_config cfg;
    ep_vfs os, *vfs;
    ep_aof_writer *aof;
    ep_snapshot_writer *snap;
    uint64_t covered; /* AOF bytes the snapshot holds (the synced prefix at begin) */
    char snap_path[EP__PATH_MAX];
    char aof_path[EP__PATH_MAX];
};

static ep_result ep__shard_paths(ep_shard_snapshot_writer *w, const char *dir, ep_shard_id shard_id, ep_error *err) {
    ep_result r = ep_snapshot_path(dir, shard_id, w->snap_path, sizeof w->snap_path);
    if (r == EP_OK) r = ep_aof_path(dir, shard_id, w->aof_path, sizeof w->aof_path);
    if (r != EP_OK) return ep_error_set(err, r, UINT64_MAX, "%s: path too long", dir);
    return EP_OK;
}

/* The covered prefix, then the snapshot writer with a trailer holding it
 * and the schemas. */
static ep_result ep__shard_open(ep_shard_snapshot_writer *w, const char *dir, ep_shard_id shard_id,
                                const ep_trailer_schema *schemas, uint32_t n, ep_error *err) {
    ep_snapshot_writer_config wc;
    ep_buf trailer;
    uint64_t hash = 0;
    ep_result r;
    if ((r = ep__vfs_pick(w->cfg.vfs, &w->os, &w->vfs)) != EP_OK)
        return ep_error_set(err, r, UINT64_MAX, "no OS file system in this build");
    if ((r = ep__shard_paths(w, dir, shard_id, err)) != EP_OK) return r;
    if ((r = ep__covered_now(w->vfs, &w->cfg, w->aof_path, w->aof, &w->covered, &hash, err)) != EP_OK) return r;
    ep_buf_init(&trailer, w->cfg.alloc);
    if ((r = ep_trailer_encode(&trailer, schemas, n, w->covered, hash)) != EP_OK) {
        ep_buf_free(&trailer);
        return ep_error_set(err, r, UINT64_MAX, "snapshot trailer: %s", ep_result_str(r));
    }
    ep_snapshot_writer_config_init(&wc);
    wc.vfs = w->vfs;
    wc.alloc = w->cfg.alloc;
    wc.key = w->cfg.key;
    if (w->cfg.write_buffer_size) wc.buffer_size = w->cfg.write_buffer_size;
    wc.trailer = ep_bytes_of(trailer.data, trailer.len);
    r = ep_snapshot_writer_begin(w->snap_path, shard_id, &wc, &w->snap, err);
    ep_buf_free(&trailer); /* begin copied it */
    return r;
}

static ep_result ep__shard_begin(const char *dir, ep_shard_id shard_id, ep_aof_writer *aof, const ep_shard_config *cfg,
                                 const ep_trailer_schema *schemas, uint32_t n, ep_shard_snapshot_writer **out,
                                 ep_error *err) {
    const ep_allocator *a = cfg ? cfg->alloc : NULL;
    ep_shard_snapshot_writer *w;
    ep_result r;
    if (err) ep_error_clear(err);
    if (out) *out = NULL;
    if (!out || !dir) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "shard snapshot: NULL argument");
    if (cfg && cfg->rewrite && !aof)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "shard snapshot: rewrite needs the AOF writer");
    if (!(w = (ep_shard_snapshot_writer *)ep_malloc(a, sizeof *w)))
        return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "no memory for the shard snapshot writer");
    memset(w, 0, sizeof *w);
    if (cfg) w->cfg = *cfg;
    else ep_shard_config_init(&w->cfg);
    w->cfg.schemas = NULL; /* used by begin only: not kept */
    w->cfg.schema_count = 0;
    w->aof = aof;
    if ((r = ep__shard_open(w, dir, shard_id, schemas, n, err)) != EP_OK) {
        ep_free(a, w);
        return r;
    }
    *out = w;
    return EP_OK;
}

EP_API ep_result ep_shard_snapshot_begin(const char *dir, ep_shard_id shard_id, ep_aof_writer *aof,
                                         const ep_shard_config *cfg, ep_shard_snapshot_writer **out, ep_error *err) {
    return ep__shard_begin(dir, shard_id, aof, cfg, cfg ? cfg->schemas : NULL, cfg ? cfg->schema_count : 0, out, err);
}

EP_API ep_result ep_shard_snapshot_add(ep_shard_snapshot_writer *w, const ep_snap_entry *entry) {
    if (!w) return EP_ERR_INVALID_ARG;
    return ep_snapshot_writer_add(w->snap, entry);
}

EP_API void ep_shard_snapshot_entries(const ep_shard_snapshot_writer *w, ep_snapshot_writer **out) {
    *out = w ? w->snap : NULL;
}

EP_API void ep_shard_snapshot_covered(const ep_shard_snapshot_writer *w, uint64_t *covered_len) {
    *covered_len = w ? w->covered : 0;
}

EP_API const ep_error *ep_shard_snapshot_error(const ep_shard_snapshot_writer *w) {
    return w ? ep_snapshot_writer_error(w->snap) : NULL;
}

static void ep__shard_free(ep_shard_snapshot_writer *w) {
    ep_free(w->cfg.alloc, w);
}

EP_API ep_result ep_shard_snapshot_abort(ep_shard_snapshot_writer *w) {
    ep_result r;
    if (!w) return EP_OK;
    r = ep_snapshot_writer_abort(w->snap);
    ep__shard_free(w);
    return r;
}

/* Rewrites the trailer's slot 1 (its last 20 bytes: the snapshot was just
 * written by us) in place to cover nothing. Slot 0 keeps the old coverage,
 * so a torn write leaves a trailer that still reads: slot 0 covers the
 * whole old AOF, the AOF is now its header alone, and recovery replays that
 * (nothing). The schemas in the head are untouched. */
static ep_result ep__trailer_reset(ep_vfs *vfs, const char *path, ep_error *err) {
    uint8_t slot[EP_TRAILER_SLOT_SIZE];
    ep_file *f = NULL;
    uint64_t size = 0;
    ep_result r;
    ep_trailer_slot_encode(slot, 0, ep_phash_of(NULL, 0));
    r = vfs->open(vfs, path, EP_OPEN_WRITE, &f, err);
    if (r == EP_OK) r = vfs->size(vfs, f, &size, err);
    if (r == EP_OK && size < EP_TRAILER_SLOT_SIZE) r = EP_ERR_CORRUPT;
    if (r == EP_OK) r = vfs->write(vfs, f, size - EP_TRAILER_SLOT_SIZE, slot, sizeof slot, err);
    if (r == EP_OK) r = vfs->sync(vfs, f, err);
    if (f) {
        ep_result rc = vfs->close(vfs, f, NULL);
        if (r == EP_OK) r = rc;
    }
    if (r != EP_OK && err && err->code == EP_OK) ep_error_set(err, r, UINT64_MAX, "%s: %s", path, ep_result_str(r));
    return r;
}

/* file/aof.c: the writer refuses every later call. */
EP__PRIV ep_result ep__aof_writer_poison(ep_aof_writer *w, ep_result code, const ep_error *why);

/* After the snapshot covering the whole old AOF is durable: reset the AOF
 * (header-only file renamed over it, directory synced; a crash now leaves a
 * trailer the new AOF does not match: replay all of it, i.e. nothing old),
 * then the trailer covers nothing, before any new record can be appended (a
 * new AOF that happened to start with the old bytes must not be skipped).
 * If that last step fails the trailer may still cover the old AOF's length,
 * and records appended now would make the new AOF look like a cut copy of
 * the old one (recovery refuses that): the writer stops here. The files as
 * they are recover exactly (a record-less AOF: nothing to replay), and
 * ep_store_open settles such a trailer with a snapshot. */
static ep_result ep__shard_reset_aof(ep_shard_snapshot_writer *w, ep_error *err) {
    ep_error why;
    ep_result r = ep_aof_writer_rewrite(w->aof);
    if (r != EP_OK) {
        if (err) *err = *ep_aof_writer_error(w->aof);
        return r;
    }
    if ((r = ep__trailer_reset(w->vfs, w->snap_path, err)) == EP_OK) return EP_OK;
    ep_error_set(&why, r, UINT64_MAX, "the AOF was reset but the trailer of %s could not be (%s): reopen the shard",
                 w->snap_path, err && err->message[0] ? err->message : ep_result_str(r));
    return ep__aof_writer_poison(w->aof, r, &why);
}

EP_API ep_result ep_shard_snapshot_commit(ep_shard_snapshot_writer *w, ep_error *err) {
    ep_result r;
    if (err) ep_error_clear(err);
    if (!w) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "shard snapshot: NULL writer");
    if (w->cfg.rewrite) {
        ep_aof_stats st;
        ep_aof_writer_stats(w->aof, &st);
        if (st.size != w->covered) { /* the reset would drop them */
            (void)ep_shard_snapshot_abort(w);
            return ep_error_set(err, EP_ERR_STATE, UINT64_MAX,
                                "records were appended between begin and a rewriting commit; nothing written");
        }
    }
    r = ep_snapshot_writer_commit(w->snap, err);
    w->snap = NULL;
    if (r == EP_OK && w->cfg.rewrite) r = ep__shard_reset_aof(w, err);
    ep__shard_free(w);
    return r;
}

/* ---- the same from an ep_keyspace ---- */
#ifndef EP_NO_KEYSPACE

/* ks's schemas as an array for the trailer (*out NULL when there are none). */
static ep_result ep__ks_schemas(const ep_keyspace *ks, const ep_allocator *alloc, ep_trailer_schema **out,
                                uint32_t *n) {
    size_t i, count = ep_keyspace_schema_count(ks), bytes;
    ep_trailer_schema *s;
    *out = NULL;
    *n = 0;
    if (count == 0) return EP_OK;
    if (count > UINT32_MAX) return EP_ERR_LIMIT;
    if (!ep__mul_size(count, sizeof *s, &bytes) || !(s = (ep_trailer_schema *)ep_malloc(alloc, bytes)))
        return EP_ERR_NOMEM;
    for (i = 0; i < count; i++) {
        s[i].name = ep_bytes_of(NULL, 0);
        s[i].descriptor = ep_bytes_of(NULL, 0);
        (void)ep_keyspace_schema_at(ks, i, &s[i].name, &s[i].descriptor);
    }
    *out = s;
    *n = (uint32_t)count;
    return EP_OK;
}

/* Every key of ks into the shard snapshot writer. */
static ep_result ep__write_entries(ep_shard_snapshot_writer *w, const ep_keyspace *ks, ep_error *err) {
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    ep_buf scratch;
    ep_result r = EP_OK;
    ep_buf_init(&scratch, w->cfg.alloc);
    ep_keyspace_iter_init(&it);
    while (r == EP_OK && (e = ep_keyspace_next(ks, &it)) != NULL) {
        ep_snap_entry se;
        ep_buf_reset(&scratch);
        r = ep_ks_entry_to_snap(e, &scratch, &se);
        if (r == EP_OK) r = ep_shard_snapshot_add(w, &se);
    }
    ep_buf_free(&scratch);
    if (r != EP_OK && err) {
        *err = *ep_shard_snapshot_error(w);
        if (err->code == EP_OK) ep_error_set(err, r, UINT64_MAX, "snapshot: %s", ep_result_str(r));
    }
    return r;
}

static ep_result ep__shard_snapshot_ks(const char *dir, ep_shard_id shard_id, const ep_keyspace *ks,
                                       ep_aof_writer *aof, const ep_shard_config *cfg, int rewrite, ep_error *err) {
    ep_shard_config c;
    ep_shard_snapshot_writer *w = NULL;
    ep_trailer_schema *schemas = NULL;
    uint32_t n = 0;
    ep_result r;
    if (err) ep_error_clear(err);
    if (!dir || !ks) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "shard snapshot: NULL argument");
    if (cfg) c = *cfg;
    else ep_shard_config_init(&c);
    c.rewrite = rewrite;
    if ((r = ep__ks_schemas(ks, c.alloc, &schemas, &n)) != EP_OK)
        return ep_error_set(err, r, UINT64_MAX, "snapshot trailer: %s", ep_result_str(r));
    r = ep__shard_begin(dir, shard_id, aof, &c, schemas, n, &w, err);
    ep_free(c.alloc, schemas); /* the trailer holds copies */
    if (r != EP_OK) return r;
    if ((r = ep__write_entries(w, ks, err)) != EP_OK) {
        (void)ep_shard_snapshot_abort(w);
        return r;
    }
    return ep_shard_snapshot_commit(w, err);
}

EP_API ep_result ep_shard_snapshot(const char *dir, ep_shard_id shard_id, const ep_keyspace *ks, ep_aof_writer *aof,
                                   const ep_shard_config *cfg, ep_error *err) {
    return ep__shard_snapshot_ks(dir, shard_id, ks, aof, cfg, 0, err);
}

EP_API ep_result ep_shard_rewrite(const char *dir, ep_shard_id shard_id, const ep_keyspace *ks, ep_aof_writer *aof,
                                  const ep_shard_config *cfg, ep_error *err) {
    if (!aof) {
        if (err) ep_error_clear(err);
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "shard rewrite: no AOF writer");
    }
    return ep__shard_snapshot_ks(dir, shard_id, ks, aof, cfg, 1, err);
}
#endif /* EP_NO_KEYSPACE */
