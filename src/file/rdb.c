/* rdb: the streaming RDB reader. Each step parses from a window of the
 * file with a bounded cursor and has no side effect; when the cursor runs
 * out before the file does, the window grows by what the file really holds
 * (never by what a length claims) and the step runs again. Callbacks run
 * after a step succeeds, on views into the window, which stay put until the
 * next step. Consumed bytes feed the CRC-64 when the window moves. */
#include "base/internal.h"
#include "check/crc64.h"
#include "codec/codec_rdb.h"
#include "file/rdb.h"
#include "file/stream.h"

#include <math.h>

#ifndef EP_NO_REDIS

EP_API void ep_rdb_reader_config_init(ep_rdb_reader_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->chunk_size = (size_t)1 << 20;
    cfg->max_string = EP_RDB_MAX_STRING;
}

/* The window is the stream core's read buffer (a file) or the caller's
 * bytes (ep_rdb_read_mem). */
typedef struct ep__rdb_rd {
    ep_rdb_reader_config cfg;
    ep__rstream rs;        /* file mode */
    const uint8_t *mem;    /* memory mode: the bytes, mem_len of them, mem_pos read */
    size_t mem_len, mem_pos;
    int eof;               /* nothing more to load */
    uint64_t crc;          /* file mode: CRC-64 of the bytes the read position passed */
    ep_buf sa, sb;         /* decoded strings (two may be alive at once) */
    ep_buf keybuf;         /* the current key, stable for its whole visit */
    ep_error *err;
    ep_rdb_visitor v;
    ep_rdb_info info;
    ep_rdb_key key;
    uint64_t fail_at;      /* offset of the failing byte */
} ep__rdb_rd;

typedef ep_result (*ep__rdb_op)(ep__rdb_rd *r, ep_cursor *c, void *arg);

static const uint8_t *ep__rdb_ptr(const ep__rdb_rd *r) { return r->mem ? r->mem + r->mem_pos : ep__rs_ptr(&r->rs); }
static size_t ep__rdb_avail(const ep__rdb_rd *r) { return r->mem ? r->mem_len - r->mem_pos : ep__rs_avail(&r->rs); }
static uint64_t ep__rdb_offset(const ep__rdb_rd *r) { return r->mem ? r->mem_pos : ep__rs_offset(&r->rs); }
static void ep__rdb_consume(ep__rdb_rd *r, size_t n) {
    if (r->mem) r->mem_pos += n;
    else ep__rs_skip(&r->rs, n);
}

static void ep__rdb_crc_observer(void *user, const uint8_t *p, size_t n) {
    ep__rdb_rd *r = (ep__rdb_rd *)user;
    r->crc = ep_crc64_update(r->crc, p, n);
}

/* The CRC-64 of every byte before the read position. */
static uint64_t ep__rdb_crc_so_far(ep__rdb_rd *r) {
    if (r->mem) return ep_crc64(r->mem, r->mem_pos);
    ep__rs_observe(&r->rs);
    return r->crc;
}

/* At least one more byte than the window holds, or the end of the file. */
static ep_result ep__rdb_more(ep__rdb_rd *r) {
    ep_result res;
    if (r->mem || r->eof) {
        r->eof = 1;
        return EP_OK;
    }
    res = ep__rs_fill(&r->rs, ep__rdb_avail(r) + 1);
    if (res == EP_ERR_EOF) {
        r->eof = 1;
        return EP_OK;
    }
    return res;
}

/* Runs op on the window until it has its bytes or the file ends. */
static ep_result ep__rdb_step(ep__rdb_rd *r, ep__rdb_op op, void *arg) {
    for (;;) {
        ep_cursor c;
        ep_result res;
        ep_cursor_init(&c, ep__rdb_ptr(r), ep__rdb_avail(r));
        res = op(r, &c, arg);
        if (res == EP_OK && c.err == EP_OK) {
            ep__rdb_consume(r, c.pos);
            return EP_OK;
        }
        if (res == EP_OK) res = c.err;
        if (res != EP_ERR_EOF || r->eof) {
            r->fail_at = ep__rdb_offset(r) + c.pos;
            return res;
        }
        res = ep__rdb_more(r);
        if (res != EP_OK) {
            r->fail_at = ep__rdb_offset(r) + ep__rdb_avail(r);
            return res;
        }
    }
}

/* ---- steps ------------------------------------------------------------- */

typedef struct ep__rdb_nums {
    uint64_t n[2];
    int count;
} ep__rdb_nums;

static ep_result ep__op_u8(ep__rdb_rd *r, ep_cursor *c, void *arg) {
    (void)r;
    *(uint8_t *)arg = ep_cursor_u8(c);
    return c->err;
}
static ep_result ep__op_u64(ep__rdb_rd *r, ep_cursor *c, void *arg) {
    (void)r;
    *(uint64_t *)arg = ep_cursor_u64(c);
    return c->err;
}
static ep_result ep__op_u32(ep__rdb_rd *r, ep_cursor *c, void *arg) {
    (void)r;
    *(uint64_t *)arg = ep_cursor_u32(c);
    return c->err;
}
static ep_result ep__op_counts(ep__rdb_rd *r, ep_cursor *c, void *arg) {
    ep__rdb_nums *n = (ep__rdb_nums *)arg;
    int i;
    (void)r;
    for (i = 0; i < n->count; i++)
        if (ep_rdb_get_count(c, &n->n[i]) != EP_OK) return c->err;
    return EP_OK;
}
static ep_result ep__op_skip(ep__rdb_rd *r, ep_cursor *c, void *arg) {
    (void)r;
    (void)ep_cursor_take(c, *(size_t *)arg);
    return c->err;
}

/* One or two strings, and what may follow them in the same record. */
typedef struct ep__rdb_strs {
    int count;            /* 1 or 2 strings */
    int score;            /* 0 none, 1 an 8-byte double, 2 a zset v1 text score */
    int container;        /* a quicklist2 container length before the string */
    uint64_t cont;
    ep_bytes s[2];
    double d;
} ep__rdb_strs;

static ep_result ep__op_strs(ep__rdb_rd *r, ep_cursor *c, void *arg) {
    ep__rdb_strs *s = (ep__rdb_strs *)arg;
    int i;
    if (s->container && ep_rdb_get_count(c, &s->cont) != EP_OK) return c->err;
    for (i = 0; i < s->count; i++)
        if (ep_rdb_get_string(c, i ? &r->sb : &r->sa, r->cfg.max_string, &s->s[i]) != EP_OK) return c->err;
    if (s->score == 1) {
        s->d = ep_cursor_f64(c);
    } else if (s->score == 2) {
        uint8_t l = ep_cursor_u8(c);
        if (c->err) return c->err;
        if (l == 253) s->d = NAN;
        else if (l == 254) s->d = HUGE_VAL;
        else if (l == 255) s->d = -HUGE_VAL;
        else {
            const uint8_t *p = ep_cursor_take(c, l);
            if (!p) return c->err;
            if (!ep_rdb_parse_double(p, l, &s->d)) return EP_ERR_CORRUPT;
        }
    }
    return c->err;
}

static ep_result ep__rdb_strings(ep__rdb_rd *r, ep__rdb_strs *s, int count, int score) {
    memset(s, 0, sizeof *s);
    s->count = count;
    s->score = score;
    return ep__rdb_step(r, ep__op_strs, s);
}

static ep_result ep__rdb_count(ep__rdb_rd *r, uint64_t *out) {
    ep__rdb_nums n;
    ep_result res;
    n.count = 1;
    res = ep__rdb_step(r, ep__op_counts, &n);
    *out = n.n[0];
    return res;
}

static ep_result ep__rdb_skip(ep__rdb_rd *r, size_t n) { return ep__rdb_step(r, ep__op_skip, &n); }

/* ---- values ------------------------------------------------------------ */

static ep_result ep__rdb_emit(ep__rdb_rd *r, ep_bytes a, ep_bytes b, double score) {
    ep_item it;
    if (!r->v.element) return EP_OK;
    it.a = a;
    it.b = b;
    it.score = score;
    return r->v.element(r->v.user, &r->key, &it);
}

/* The elements of one blob: singles (list, set), pairs (hash) or member +
 * score (zset). */
static ep_result ep__rdb_blob(ep__rdb_rd *r, int kind, int shape, ep_bytes blob) {
    ep_rdb_blob_iter it;
    ep_rdb_elem e[2];
    char num[2][EP_RDB_NUM_TEXT];
    ep_result res = ep_rdb_blob_init(&it, kind, blob);
    if (res != EP_OK) return res;
    for (;;) {
        ep_bytes a, b = {NULL, 0};
        double score = 0;
        res = ep_rdb_blob_next(&it, &e[0]);
        if (res == EP_END) return EP_OK;
        if (res != EP_OK) return res;
        a = ep_rdb_elem_text(&e[0], num[0]);
        if (shape != 0) {
            res = ep_rdb_blob_next(&it, &e[1]);
            if (res != EP_OK) return EP_ERR_CORRUPT; /* an odd element count */
            if (shape == 1) {
                b = ep_rdb_elem_text(&e[1], num[1]);
            } else if (e[1].is_int) {
                score = (double)e[1].num;
            } else if (!ep_rdb_parse_double(e[1].str.data, e[1].str.len, &score)) {
                return EP_ERR_CORRUPT;
            }
        }
        res = ep__rdb_emit(r, a, b, score);
        if (res != EP_OK) return res;
    }
}

/* A value stored as one blob string. */
static ep_result ep__rdb_blob_value(ep__rdb_rd *r, int kind, int shape) {
    ep__rdb_strs s;
    ep_result res = ep__rdb_strings(r, &s, 1, 0);
    if (res != EP_OK) return res;
    res = ep__rdb_blob(r, kind, shape, s.s[0]);
    if (res != EP_OK && res != EP_ERR_NOMEM && r->fail_at < ep__rdb_offset(r)) r->fail_at = ep__rdb_offset(r);
    return res;
}

static ep_result ep__rdb_plain(ep__rdb_rd *r, int strings, int score) {
    uint64_t n, i;
    ep_result res = ep__rdb_count(r, &n);
    for (i = 0; res == EP_OK && i < n; i++) {
        ep__rdb_strs s;
        res = ep__rdb_strings(r, &s, strings, score);
        if (res == EP_OK) res = ep__rdb_emit(r, s.s[0], strings == 2 ? s.s[1] : ep_bytes_of(NULL, 0), s.d);
    }
    return res;
}

static ep_result ep__rdb_quicklist(ep__rdb_rd *r, int v2) {
    uint64_t n, i;
    ep_result res = ep__rdb_count(r, &n);
    for (i = 0; res == EP_OK && i < n; i++) {
        ep__rdb_strs s;
        memset(&s, 0, sizeof s);
        s.count = 1;
        s.container = v2;
        res = ep__rdb_step(r, ep__op_strs, &s);
        if (res != EP_OK) break;
        if (!v2) res = ep__rdb_blob(r, EP_RDB_BLOB_ZIPLIST, 0, s.s[0]);
        else if (s.cont == 1) res = ep__rdb_emit(r, s.s[0], ep_bytes_of(NULL, 0), 0); /* PLAIN: one element */
        else if (s.cont == 2) res = ep__rdb_blob(r, EP_RDB_BLOB_LISTPACK, 0, s.s[0]);
        else res = EP_ERR_CORRUPT;
        if (res != EP_OK && res != EP_ERR_NOMEM && r->fail_at < ep__rdb_offset(r)) r->fail_at = ep__rdb_offset(r);
    }
    return res;
}

/* A module's typed opcode stream, to its EOF opcode. */
static ep_result ep__rdb_module_data(ep__rdb_rd *r) {
    for (;;) {
        uint64_t op, dummy;
        ep__rdb_strs s;
        ep_result res = ep__rdb_count(r, &op);
        if (res != EP_OK) return res;
        switch (op) {
        case 0: return EP_OK;                                   /* EOF */
        case 1: case 2: res = ep__rdb_count(r, &dummy); break;  /* SINT, UINT */
        case 3: res = ep__rdb_skip(r, 4); break;                /* FLOAT */
        case 4: res = ep__rdb_skip(r, 8); break;                /* DOUBLE */
        case 5: res = ep__rdb_strings(r, &s, 1, 0); break;      /* STRING */
        default: r->fail_at = ep__rdb_offset(r); return EP_ERR_CORRUPT;
        }
        if (res != EP_OK) return res;
    }
}

/* Streams are walked to their end and skipped (spec B.1, type 19). */
static ep_result ep__rdb_stream(ep__rdb_rd *r, int type) {
    uint64_t n, i, groups, g;
    ep__rdb_nums nums;
    ep__rdb_strs s;
    ep_result res = ep__rdb_count(r, &n);
    for (i = 0; res == EP_OK && i < n; i++) res = ep__rdb_strings(r, &s, 2, 0);
    if (res != EP_OK) return res;
    nums.count = 2;
    res = ep__rdb_count(r, &nums.n[0]);                      /* length */
    if (res == EP_OK) res = ep__rdb_step(r, ep__op_counts, &nums); /* last id */
    if (res == EP_OK && type >= EP_RDB_STREAM_LISTPACKS_2) {
        res = ep__rdb_step(r, ep__op_counts, &nums);        /* first id */
        if (res == EP_OK) res = ep__rdb_step(r, ep__op_counts, &nums); /* max deleted id */
        if (res == EP_OK) res = ep__rdb_count(r, &nums.n[0]); /* entries added */
    }
    if (res == EP_OK) res = ep__rdb_count(r, &groups);
    for (g = 0; res == EP_OK && g < groups; g++) {
        uint64_t pel, p, consumers, k;
        res = ep__rdb_strings(r, &s, 1, 0);
        if (res == EP_OK) res = ep__rdb_step(r, ep__op_counts, &nums); /* last id */
        if (res == EP_OK && type >= EP_RDB_STREAM_LISTPACKS_2) res = ep__rdb_count(r, &nums.n[0]); /* entries read */
        if (res == EP_OK) res = ep__rdb_count(r, &pel);
        for (p = 0; res == EP_OK && p < pel; p++) {
            res = ep__rdb_skip(r, 16 + 8);
            if (res == EP_OK) res = ep__rdb_count(r, &nums.n[0]);
        }
        if (res == EP_OK) res = ep__rdb_count(r, &consumers);
        for (k = 0; res == EP_OK && k < consumers; k++) {
            uint64_t cpel, q;
            res = ep__rdb_strings(r, &s, 1, 0);
            if (res == EP_OK) res = ep__rdb_skip(r, 8);
            if (res == EP_OK) res = ep__rdb_count(r, &cpel);
            for (q = 0; res == EP_OK && q < cpel; q++) res = ep__rdb_skip(r, 16);
        }
    }
    return res;
}

static ep_result ep__rdb_value(ep__rdb_rd *r, int type) {
    switch (type) {
    case EP_RDB_STRING: {
        ep__rdb_strs s;
        ep_result res = ep__rdb_strings(r, &s, 1, 0);
        return res == EP_OK ? ep__rdb_emit(r, s.s[0], ep_bytes_of(NULL, 0), 0) : res;
    }
    case EP_RDB_LIST:
    case EP_RDB_SET: return ep__rdb_plain(r, 1, 0);
    case EP_RDB_ZSET: return ep__rdb_plain(r, 1, 2);
    case EP_RDB_ZSET_2: return ep__rdb_plain(r, 1, 1);
    case EP_RDB_HASH: return ep__rdb_plain(r, 2, 0);
    case EP_RDB_HASH_ZIPMAP: return ep__rdb_blob_value(r, EP_RDB_BLOB_ZIPMAP, 1);
    case EP_RDB_LIST_ZIPLIST: return ep__rdb_blob_value(r, EP_RDB_BLOB_ZIPLIST, 0);
    case EP_RDB_SET_INTSET: return ep__rdb_blob_value(r, EP_RDB_BLOB_INTSET, 0);
    case EP_RDB_ZSET_ZIPLIST: return ep__rdb_blob_value(r, EP_RDB_BLOB_ZIPLIST, 2);
    case EP_RDB_HASH_ZIPLIST: return ep__rdb_blob_value(r, EP_RDB_BLOB_ZIPLIST, 1);
    case EP_RDB_LIST_QUICKLIST: return ep__rdb_quicklist(r, 0);
    case EP_RDB_HASH_LISTPACK: return ep__rdb_blob_value(r, EP_RDB_BLOB_LISTPACK, 1);
    case EP_RDB_ZSET_LISTPACK: return ep__rdb_blob_value(r, EP_RDB_BLOB_LISTPACK, 2);
    case EP_RDB_LIST_QUICKLIST_2: return ep__rdb_quicklist(r, 1);
    default: return EP_ERR_UNKNOWN_TAG;
    }
}

/* One key record after its type byte. */
static ep_result ep__rdb_key(ep__rdb_rd *r, int type, uint64_t start) {
    ep__rdb_strs s;
    ep_result res = ep__rdb_strings(r, &s, 1, 0);
    if (res != EP_OK) return res;
    ep_buf_reset(&r->keybuf);
    ep_buf_put(&r->keybuf, s.s[0].data, s.s[0].len);
    if (r->keybuf.err) return r->keybuf.err;
    r->key.key = ep_bytes_of(r->keybuf.data, s.s[0].len);
    r->key.type = type;
    r->key.kind = ep_rdb_type_kind(type);
    r->key.offset = start;
    r->info.keys++;
    if (type == EP_RDB_STREAM_LISTPACKS || type == EP_RDB_STREAM_LISTPACKS_2 || type == EP_RDB_MODULE_2) {
        if (type == EP_RDB_MODULE_2) {
            uint64_t id;
            res = ep__rdb_count(r, &id);
            if (res == EP_OK) res = ep__rdb_module_data(r);
        } else {
            res = ep__rdb_stream(r, type);
        }
        if (res != EP_OK) return res;
        r->info.skipped++;
        return r->v.skipped ? r->v.skipped(r->v.user, &r->key, EP_ERR_UNSUPPORTED_TYPE) : EP_OK;
    }
    if (r->v.key_begin && (res = r->v.key_begin(r->v.user, &r->key)) != EP_OK) return res;
    res = ep__rdb_value(r, type);
    if (res != EP_OK) return res;
    return r->v.key_end ? r->v.key_end(r->v.user, &r->key) : EP_OK;
}

static ep_result ep__rdb_header(ep__rdb_rd *r, ep_cursor *c, void *arg) {
    const uint8_t *p = ep_cursor_take(c, 9);
    int i, v = 0;
    (void)r;
    if (!p) return c->err;
    if (memcmp(p, "REDIS", 5) != 0) return EP_ERR_BAD_MAGIC;
    for (i = 5; i < 9; i++) {
        if (p[i] < '0' || p[i] > '9') return EP_ERR_BAD_MAGIC;
        v = v * 10 + (p[i] - '0');
    }
    *(int *)arg = v;
    return EP_OK;
}

static ep_result ep__rdb_fail(ep__rdb_rd *r, ep_result res) {
    const char *what;
    if (r->err && r->err->code == res && res == EP_ERR_IO) return res; /* the vfs said why */
    switch (res) {
    case EP_ERR_EOF: what = "RDB truncated (Unexpected EOF)"; break;
    case EP_ERR_CORRUPT: what = "RDB damaged: bad length, encoding or blob"; break;
    case EP_ERR_BAD_MAGIC: what = "not an RDB file (no REDISnnnn header)"; break;
    case EP_ERR_LIMIT: what = "RDB string or window above the cap"; break;
    case EP_ERR_UNKNOWN_TAG: what = "unknown RDB opcode or value type"; break;
    default: what = ep_result_str(res); break;
    }
    if (r->err && r->err->code == res) return res; /* a callback set its own detail */
    if (r->key.key.data && res != EP_ERR_BAD_MAGIC)
        ep_error_set(r->err, res, r->fail_at, "%s at offset %llu (key '%.*s')", what, (unsigned long long)r->fail_at,
                     (int)(r->key.key.len > 60 ? 60 : r->key.key.len), (const char *)r->key.key.data);
    else
        ep_error_set(r->err, res, r->fail_at, "%s at offset %llu", what, (unsigned long long)r->fail_at);
    return res;
}

static ep_result ep__rdb_run(ep__rdb_rd *r) {
    ep_result res;
    int version = 0;
    res = ep__rdb_step(r, ep__rdb_header, &version);
    if (res != EP_OK) return ep__rdb_fail(r, res == EP_ERR_EOF ? EP_ERR_BAD_MAGIC : res);
    r->info.version = version;
    if (version < 1 || version > EP_RDB_VERSION_MAX) {
        r->fail_at = 5;
        return ep_error_set(r->err, EP_ERR_VERSION, 5, "Can't handle RDB format version %d", version);
    }
    r->key.expire_ms = -1;
    r->key.idle = -1;
    r->key.freq = -1;
    for (;;) {
        uint8_t op = 0;
        uint64_t start = ep__rdb_offset(r);
        res = ep__rdb_step(r, ep__op_u8, &op);
        if (res != EP_OK) return ep__rdb_fail(r, res);
        switch (op) {
        case EP_RDB_OP_AUX: {
            ep__rdb_strs s;
            res = ep__rdb_strings(r, &s, 2, 0);
            if (res == EP_OK && s.s[0].len == 8 && memcmp(s.s[0].data, "aof-base", 8) == 0)
                r->info.aof_base = s.s[1].len == 1 && s.s[1].data[0] == '1';
            if (res == EP_OK && r->v.aux) res = r->v.aux(r->v.user, s.s[0], s.s[1]);
            break;
        }
        case EP_RDB_OP_RESIZEDB: {
            ep__rdb_nums n;
            n.count = 2;
            res = ep__rdb_step(r, ep__op_counts, &n);
            if (res == EP_OK && r->v.resize_db) res = r->v.resize_db(r->v.user, n.n[0], n.n[1]);
            break;
        }
        case EP_RDB_OP_SELECTDB:
            res = ep__rdb_count(r, &r->key.db);
            r->info.dbs++;
            if (res == EP_OK && r->v.select_db) res = r->v.select_db(r->v.user, r->key.db);
            break;
        case EP_RDB_OP_EXPIRETIME_MS: {
            uint64_t ms = 0;
            res = ep__rdb_step(r, ep__op_u64, &ms);
            if (res != EP_OK) return ep__rdb_fail(r, res);
            r->key.expire_ms = (int64_t)ms;
            continue; /* applies to the next key */
        }
        case EP_RDB_OP_EXPIRETIME: {
            uint64_t s = 0;
            res = ep__rdb_step(r, ep__op_u32, &s);
            if (res != EP_OK) return ep__rdb_fail(r, res);
            /* 32-bit signed seconds, as Redis reads them (B.1). */
            r->key.expire_ms = (int64_t)(int32_t)(uint32_t)s * 1000;
            continue;
        }
        case EP_RDB_OP_IDLE: {
            uint64_t idle = 0;
            res = ep__rdb_count(r, &idle);
            r->key.idle = (int64_t)(idle > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : idle);
            if (res != EP_OK) return ep__rdb_fail(r, res);
            continue;
        }
        case EP_RDB_OP_FREQ: {
            uint8_t f = 0;
            res = ep__rdb_step(r, ep__op_u8, &f);
            r->key.freq = f;
            if (res != EP_OK) return ep__rdb_fail(r, res);
            continue;
        }
        case EP_RDB_OP_FUNCTION2: {
            ep__rdb_strs s;
            res = ep__rdb_strings(r, &s, 1, 0);
            r->info.functions++;
            if (res == EP_OK && r->v.function) res = r->v.function(r->v.user, s.s[0]);
            break;
        }
        case EP_RDB_OP_FUNCTION:
            r->fail_at = start;
            return ep_error_set(r->err, EP_ERR_UNSUPPORTED_TYPE, start,
                                "pre-release FUNCTION record (Redis 7.0 rc) at offset %llu", (unsigned long long)start);
        case EP_RDB_OP_MODULE_AUX: {
            ep__rdb_nums n;
            n.count = 2;
            res = ep__rdb_count(r, &n.n[0]);
            if (res == EP_OK) {
                uint64_t id = n.n[0];
                res = ep__rdb_step(r, ep__op_counts, &n); /* when-opcode, when */
                if (res == EP_OK) res = ep__rdb_module_data(r);
                if (res == EP_OK && r->v.module_aux) res = r->v.module_aux(r->v.user, id);
            }
            break;
        }
        case EP_RDB_OP_EOF: {
            uint64_t stored = 0, calc = ep__rdb_crc_so_far(r);
            if (version >= 5) {
                res = ep__rdb_step(r, ep__op_u64, &stored);
                if (res != EP_OK) return ep__rdb_fail(r, res);
                if (stored == 0) r->info.crc = EP_RDB_CRC_ZERO;
                else if (r->cfg.skip_crc) r->info.crc = EP_RDB_CRC_SKIPPED;
                else if (stored != calc) {
                    r->fail_at = ep__rdb_offset(r) - 8;
                    return ep_error_set(r->err, EP_ERR_CHECKSUM, r->fail_at,
                                        "Wrong RDB checksum: stored %016llx, computed %016llx",
                                        (unsigned long long)stored, (unsigned long long)calc);
                }
            } else {
                r->info.crc = EP_RDB_CRC_NONE;
            }
            r->info.bytes = ep__rdb_offset(r);
            return EP_OK;
        }
        default:
            if (op == EP_RDB_MODULE) {
                r->fail_at = start;
                return ep_error_set(r->err, EP_ERR_UNSUPPORTED_TYPE, start,
                                    "pre-release module value (type 6) at offset %llu", (unsigned long long)start);
            }
            if (!ep_rdb_type_known(op) && op != EP_RDB_STREAM_LISTPACKS && op != EP_RDB_STREAM_LISTPACKS_2 &&
                op != EP_RDB_MODULE_2) {
                r->fail_at = start;
                return ep_error_set(r->err, EP_ERR_UNKNOWN_TAG, start, "unknown RDB opcode or type %u at offset %llu",
                                    (unsigned)op, (unsigned long long)start);
            }
            res = ep__rdb_key(r, op, start);
            r->key.expire_ms = -1;
            r->key.idle = -1;
            r->key.freq = -1;
            if (res != EP_OK) return ep__rdb_fail(r, res);
            r->key.key.data = NULL;
            r->key.key.len = 0;
            continue;
        }
        if (res != EP_OK) return ep__rdb_fail(r, res);
    }
}

static ep_result ep__rdb_go(ep__rdb_rd *r, const ep_rdb_reader_config *cfg, const ep_rdb_visitor *v,
                            ep_rdb_info *info, ep_error *err) {
    ep_result res;
    if (v) r->v = *v;
    r->err = err;
    ep_buf_init(&r->sa, r->cfg.alloc);
    ep_buf_init(&r->sb, r->cfg.alloc);
    ep_buf_init(&r->keybuf, r->cfg.alloc);
    res = ep__rdb_run(r);
    if (res == EP_OK) r->info.trailing = r->mem ? r->mem_len - r->mem_pos : ep__rs_left(&r->rs);
    ep_buf_free(&r->sa);
    ep_buf_free(&r->sb);
    ep_buf_free(&r->keybuf);
    if (info) *info = r->info;
    (void)cfg;
    return res;
}

static void ep__rdb_config(ep__rdb_rd *r, const ep_rdb_reader_config *cfg) {
    if (cfg) r->cfg = *cfg;
    else ep_rdb_reader_config_init(&r->cfg);
    if (r->cfg.chunk_size < 64) r->cfg.chunk_size = 64;
    if (r->cfg.max_string == 0 || r->cfg.max_string > EP_RDB_MAX_STRING) r->cfg.max_string = EP_RDB_MAX_STRING;
}

EP_API ep_result ep_rdb_read_mem(const uint8_t *data, size_t len, const ep_rdb_reader_config *cfg,
                                 const ep_rdb_visitor *v, ep_rdb_info *info, ep_error *err) {
    ep__rdb_rd r;
    static const uint8_t none[1] = {0};
    memset(&r, 0, sizeof r);
    ep_error_clear(err);
    ep__rdb_config(&r, cfg);
    r.mem = data ? data : none;
    r.mem_len = data ? len : 0;
    r.eof = 1;
    return ep__rdb_go(&r, cfg, v, info, err);
}

EP_API ep_result ep_rdb_read(const char *path, const ep_rdb_reader_config *cfg, const ep_rdb_visitor *v,
                             ep_rdb_info *info, ep_error *err) {
    ep__rdb_rd r;
    ep_vfs os, *vfs;
    ep_file *f = NULL;
    ep_result res;
    memset(&r, 0, sizeof r);
    ep_error_clear(err);
    if (info) memset(info, 0, sizeof *info);
    ep__rdb_config(&r, cfg);
    res = ep__vfs_pick(r.cfg.vfs, &os, &vfs);
    if (res != EP_OK) return ep_error_set(err, res, UINT64_MAX, "no OS file system in this build");
    res = vfs->open(vfs, path, EP_OPEN_READ, &f, err);
    if (res != EP_OK) return res;
    /* The window holds the largest string and its header, never more. */
    res = ep__rs_init(&r.rs, vfs, f, r.cfg.alloc, 0, r.cfg.chunk_size, (size_t)(r.cfg.max_string + 65536u), err);
    if (res == EP_OK) {
        ep__rs_set_observer(&r.rs, ep__rdb_crc_observer, &r);
        res = ep__rdb_go(&r, cfg, v, info, err);
    }
    ep__rs_free(&r.rs);
    vfs->close(vfs, f, NULL);
    return res;
}

#endif /* EP_NO_REDIS */
