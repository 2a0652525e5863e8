/* ember's in-memory forms (ember-format.md §3.7): a record's replication
 * bytes (tag + payload, no CRC), one value as [type][payload] (DUMP/RESTORE),
 * and a whole snapshot as bytes. Each is checked byte for byte against what
 * the file writers put on disk (the spec vectors and files written through
 * the in-memory vfs), round tripped for every type, and cut, flipped and
 * capped to show the readers refuse what they must. */
#include "ember_persist.h"
#include "harness.h"
#include "ember_vectors.h"

#include <stdlib.h>

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }
static int eqb(ep_bytes a, ep_bytes b) { return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0); }

/* ---- records ------------------------------------------------------------ */

/* In a spec vector file every record is its replication bytes followed by
 * their CRC; walk them all. */
static void check_vector_records(const uint8_t *file, size_t n) {
    size_t pos = EP_AOF_HEADER_SIZE;
    ep_buf out;
    ep_buf_init(&out, NULL);
    while (pos < n) {
        ep_aof_record r;
        size_t used = 0;
        EPT_CHECK_OK(ep_aof_decode(file + pos, n - pos, &r, &used));
        EPT_CHECK(used + 4 <= n - pos);
        ep_buf_reset(&out);
        EPT_CHECK_OK(ep_aof_encode(&out, &r));
        EPT_CHECK_EQ(out.len, used);
        EPT_CHECK_MEM(out.data, file + pos, used);
        EPT_CHECK_EQ(ep_crc32(out.data, out.len), ep_load_u32le(file + pos + used));
        pos += used + 4;
    }
    EPT_CHECK_EQ(pos, n);
    ep_buf_free(&out);
}

EPT_CASE(record_bytes_spec_vectors) {
    check_vector_records(V1, sizeof V1);
    check_vector_records(V2, sizeof V2);
    check_vector_records(V3, sizeof V3);
    check_vector_records(V3b, sizeof V3b);
    check_vector_records(V3c, sizeof V3c);
    check_vector_records(V3d, sizeof V3d);
}

/* One record of every tag, written by the AOF writer to a file; the file
 * must be the header then, per record, its replication bytes and their CRC. */
EPT_CASE(record_bytes_equal_file_records_every_tag) {
    ep_vfs *vfs;
    ep_aof_writer_config wc;
    ep_aof_writer *w;
    ep_buf items, want, one;
    ep_aof_record recs[EP_AOF_TAG_MAX];
    ep_bytes vals[3] = {B("a"), B(""), B("ccc")}, flds[2] = {B("f1"), B("f2")};
    double scores[2] = {1.5, -0.0};
    float vec[3] = {1.0f, -2.0f, 0.25f};
    uint8_t *file = NULL;
    size_t flen = 0, i, pos;
    uint8_t t;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_aof_writer_config_init(&wc);
    wc.vfs = vfs;
    wc.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open("a.aof", &wc, &w, NULL));
    ep_buf_init(&items, NULL);
    EPT_CHECK_OK(ep_buf_reserve(&items, 4096)); /* items point into it: no moves */
    for (t = EP_AOF_TAG_MIN; t <= EP_AOF_TAG_MAX; t++) {
        ep_aof_record *r = &recs[t - 1];
        memset(r, 0, sizeof *r);
        r->tag = t;
        r->key = B("key:1");
        r->key2 = B("other");
        r->value = B("value\0x");
        r->pivot = B("piv");
        r->num = 1234;
        r->num2 = -7;
        r->flag = 1;
        switch (t) {
        case EP_AOF_LPUSH: case EP_AOF_RPUSH:
            EPT_CHECK_OK(ep_items_build(&items, EP_ITEMS_BYTES, vals, NULL, NULL, 3, &r->items));
            break;
        case EP_AOF_ZADD:
            EPT_CHECK_OK(ep_items_build(&items, EP_ITEMS_SCORE_MEMBER, flds, NULL, scores, 2, &r->items));
            break;
        case EP_AOF_ZREM: case EP_AOF_SADD: case EP_AOF_SREM: case EP_AOF_HDEL: case EP_AOF_BITOP:
            EPT_CHECK_OK(ep_items_build(&items, EP_ITEMS_STR, flds, NULL, NULL, 2, &r->items));
            break;
        case EP_AOF_HSET:
            EPT_CHECK_OK(ep_items_build(&items, EP_ITEMS_FIELD_VALUE, flds, vals, NULL, 2, &r->items));
            break;
        case EP_AOF_VADD:
            r->dim = 3;
            r->vector = ep_bytes_of(vec, sizeof vec); /* LE hosts; a BE host stores other bytes, equally on both sides */
            r->connectivity = 16;
            r->expansion_add = 64;
            break;
        default: break;
        }
        EPT_CHECK_OK(ep_aof_append(w, r));
    }
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "a.aof", NULL, 1u << 20, &file, &flen, NULL));
    ep_buf_init(&want, NULL);
    ep_buf_put(&want, "EAOF\x02", 5);
    ep_buf_init(&one, NULL);
    for (i = 0; i < EP_AOF_TAG_MAX; i++) {
        ep_buf_reset(&one);
        EPT_CHECK_OK(ep_aof_encode(&one, &recs[i]));
        ep_buf_put(&want, one.data, one.len);
        ep_buf_u32(&want, ep_crc32(one.data, one.len));
    }
    EPT_CHECK_EQ(flen, want.len);
    EPT_CHECK_MEM(file, want.data, flen);
    /* And back: each record's bytes decode to a record that encodes to them. */
    for (pos = EP_AOF_HEADER_SIZE, i = 0; i < EP_AOF_TAG_MAX; i++) {
        ep_aof_record r;
        size_t used;
        EPT_CHECK_OK(ep_aof_decode(file + pos, flen - pos, &r, &used));
        EPT_CHECK_EQ(r.tag, recs[i].tag);
        ep_buf_reset(&one);
        EPT_CHECK_OK(ep_aof_encode(&one, &r));
        EPT_CHECK_EQ(one.len, used);
        EPT_CHECK_MEM(one.data, file + pos, used);
        pos += used + 4;
    }
    EPT_CHECK_EQ(pos, flen);
    ep_free(NULL, file);
    ep_buf_free(&items);
    ep_buf_free(&want);
    ep_buf_free(&one);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(record_bytes_cut_short_is_eof) {
    const uint8_t *rec = V3 + EP_AOF_HEADER_SIZE; /* one ZADD record */
    size_t len = sizeof V3 - EP_AOF_HEADER_SIZE - 4, cut, used;
    ep_aof_record r;
    for (cut = 0; cut < len; cut++) EPT_CHECK_EQ(ep_aof_decode(rec, cut, &r, &used), EP_ERR_EOF);
}

/* ---- one value ------------------------------------------------------------ */

typedef struct sample {
    ep_snap_entry e;
    ep_buf scratch;
} sample;

/* Entry n of a set that covers every type, empty collections included. */
static int make_sample(int n, sample *s) {
    ep_bytes a[3] = {B("x"), B(""), B("zz\xff")}, m[3] = {B("m1"), B("m2"), B("\xc3\xa9")};
    double sc[3] = {-1.0, 0.0, 1e300};
    float vec[4] = {0.5f, 1.5f, -3.0f, 4.0f};
    uint8_t vb[16];
    ep_bytes names[2] = {B("e1"), B("e2")};
    ep_items_kind kinds[4] = {EP_ITEMS_BYTES, EP_ITEMS_SCORE_MEMBER, EP_ITEMS_FIELD_VALUE, EP_ITEMS_STR};
    int i;
    memset(&s->e, 0, sizeof s->e);
    ep_buf_init(&s->scratch, NULL);
    if (ep_buf_reserve(&s->scratch, 1024)) return 0;
    s->e.key = B("the key");
    s->e.expire_ms = n * 1000 - 1;
    switch (n) {
    case 0: s->e.type = EP_TYPE_STRING; s->e.value = B("hello\0world"); return 1;
    case 1: s->e.type = EP_TYPE_STRING; return 1; /* empty string */
    case 2: case 3: case 4: case 5:
        s->e.type = (uint8_t)(n - 1); /* list, zset, hash, set */
        return ep_items_build(&s->scratch, kinds[n - 2], kinds[n - 2] == EP_ITEMS_BYTES ? a : m,
                              kinds[n - 2] == EP_ITEMS_FIELD_VALUE ? a : NULL, sc, 3, &s->e.items) == EP_OK;
    case 6: s->e.type = EP_TYPE_LIST; return 1; /* empty list */
    case 7: s->e.type = EP_TYPE_PROTO; s->e.type_name = B("pkg.Msg"); s->e.value = B("\x08\x01"); return 1;
    case 8:
        s->e.type = EP_TYPE_VECTOR;
        s->e.metric = 2;
        s->e.quantization = 1;
        s->e.connectivity = 16;
        s->e.expansion_add = 128;
        s->e.dim = 2;
        for (i = 0; i < 4; i++) ep_store_f32le(vb + 4 * i, vec[i]);
        {
            ep_bytes v[2];
            v[0] = ep_bytes_of(vb, 8);
            v[1] = ep_bytes_of(vb + 8, 8);
            if (ep_items_build(&s->scratch, EP_ITEMS_NAME_VECTOR, names, v, NULL, 2, &s->e.items)) return 0;
            s->e.items.dim = 2;
        }
        return 1;
    default: ep_buf_free(&s->scratch); return 0;
    }
}

EPT_CASE(value_form_is_entry_without_key_and_expiry) {
    int n;
    for (n = 0;; n++) {
        sample s;
        ep_buf ent, val;
        ep_snap_entry d;
        size_t used = 0;
        if (!make_sample(n, &s)) break;
        ep_buf_init(&ent, NULL);
        ep_buf_init(&val, NULL);
        EPT_CHECK_OK(ep_snap_entry_encode(&ent, &s.e));
        EPT_CHECK_OK(ep_snap_value_encode(&val, &s.e));
        /* entry = [u32 key len][key][value form][i64 expire] */
        EPT_CHECK_EQ(ent.len, 4 + s.e.key.len + val.len + 8);
        EPT_CHECK_MEM(ent.data + 4 + s.e.key.len, val.data, val.len);
        EPT_CHECK_EQ(val.data[0], s.e.type);
        EPT_CHECK_OK(ep_snap_value_decode(val.data, val.len, &d, &used));
        EPT_CHECK_EQ(used, val.len);
        EPT_CHECK_EQ(d.type, s.e.type);
        EPT_CHECK_EQ(d.key.len, 0);
        EPT_CHECK_EQ(d.expire_ms, -1);
        EPT_CHECK(eqb(d.value, s.e.value) && eqb(d.type_name, s.e.type_name));
        EPT_CHECK_EQ(d.items.count, s.e.items.count);
        EPT_CHECK(eqb(d.items.raw, s.e.items.raw));
        EPT_CHECK_EQ(d.metric, s.e.metric);
        EPT_CHECK_EQ(d.quantization, s.e.quantization);
        EPT_CHECK_EQ(d.dim, s.e.dim);
        /* trailing bytes are left for the caller */
        ep_buf_put(&val, "junk", 4);
        EPT_CHECK_OK(ep_snap_value_decode(val.data, val.len, &d, &used));
        EPT_CHECK_EQ(used, val.len - 4);
        /* every cut is EP_ERR_EOF, never a value */
        {
            size_t cut;
            for (cut = 0; cut < val.len - 4; cut++)
                EPT_CHECK_EQ(ep_snap_value_decode(val.data, cut, &d, &used), EP_ERR_EOF);
        }
        ep_buf_free(&ent);
        ep_buf_free(&val);
        ep_buf_free(&s.scratch);
    }
    EPT_CHECK_EQ(n, 9);
}

EPT_CASE(value_form_refusals) {
    ep_snap_entry d, e;
    ep_buf b;
    size_t used;
    /* unknown type */
    EPT_CHECK_EQ(ep_snap_value_decode((const uint8_t *)"\x07", 1, &d, &used), EP_ERR_UNKNOWN_TAG);
    /* string over 512 MiB: refused at the length, before anything is read */
    EPT_CHECK_EQ(ep_snap_value_decode((const uint8_t *)"\x00\x01\x00\x00\x20", 5, &d, &used), EP_ERR_LIMIT);
    EPT_CHECK_EQ(ep_snap_value_decode((const uint8_t *)"\x00\x00\x00\x00\x20", 5, &d, &used), EP_ERR_EOF);
    /* list count over 100 M */
    EPT_CHECK_EQ(ep_snap_value_decode((const uint8_t *)"\x01\x01\xe1\xf5\x05", 5, &d, &used), EP_ERR_LIMIT);
    /* set member that is not UTF-8 */
    EPT_CHECK_EQ(ep_snap_value_decode((const uint8_t *)"\x04\x01\x00\x00\x00\x01\x00\x00\x00\xff", 10, &d, &used),
                 EP_ERR_UTF8);
    /* vector metric 3 */
    EPT_CHECK_EQ(ep_snap_value_decode((const uint8_t *)"\x06\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                                       "\x00\x00\x00\x00\x00\x00\x00\x00",
                                      19, &d, &used),
                 EP_ERR_BAD_VALUE);
    EPT_CHECK_EQ(ep_snap_value_decode(NULL, 0, &d, &used), EP_ERR_EOF);
    /* the encoder refuses what no reader takes, and appends nothing */
    memset(&e, 0, sizeof e);
    e.type = 9;
    ep_buf_init(&b, NULL);
    EPT_CHECK_EQ(ep_snap_value_encode(&b, &e), EP_ERR_INVALID_ARG);
    e.type = EP_TYPE_LIST;
    e.items.count = 2; /* claims elements it does not hold */
    EPT_CHECK_EQ(ep_snap_value_encode(&b, &e), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(b.len, 0);
    ep_buf_free(&b);
}

/* ---- whole snapshot ----------------------------------------------------- */

typedef struct collected {
    int n;
    ep_buf enc; /* the entries re-encoded, back to back */
} collected;

static int collect(void *ctx, const ep_snap_entry *e) {
    collected *c = (collected *)ctx;
    c->n++;
    return ep_snap_entry_encode(&c->enc, e) != EP_OK;
}

static int stop_at_two(void *ctx, const ep_snap_entry *e) {
    (void)e;
    return ++*(int *)ctx == 2;
}

EPT_CASE(snapshot_bytes_equal_the_file_writer) {
    sample s[9];
    ep_snap_entry es[9];
    ep_vfs *vfs;
    ep_snapshot_writer_config wc;
    ep_snapshot_writer *w;
    uint8_t *mem = NULL, *file = NULL;
    size_t mlen = 0, flen = 0, i;
    uint16_t shard = 0;
    collected c;
    int stopped = 0;
    for (i = 0; i < 9; i++) {
        EPT_CHECK(make_sample((int)i, &s[i]));
        es[i] = s[i].e;
        es[i].key = ep_bytes_of(&"k0k1k2k3k4k5k6k7k8"[2 * i], 2);
    }
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_snapshot_writer_config_init(&wc);
    wc.vfs = vfs;
    EPT_CHECK_OK(ep_snapshot_writer_begin("shard-7.snap", 7, &wc, &w, NULL));
    for (i = 0; i < 9; i++) EPT_CHECK_OK(ep_snapshot_writer_add(w, &es[i]));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "shard-7.snap", NULL, 1u << 20, &file, &flen, NULL));
    EPT_CHECK_OK(ep_snapshot_write_bytes(7, es, 9, NULL, &mem, &mlen));
    EPT_CHECK_EQ(mlen, flen);
    EPT_CHECK_MEM(mem, file, mlen);
    /* back: every entry, in order, to the same bytes */
    c.n = 0;
    ep_buf_init(&c.enc, NULL);
    EPT_CHECK_OK(ep_snapshot_read_bytes(mem, mlen, &shard, collect, &c, NULL));
    EPT_CHECK_EQ(shard, 7);
    EPT_CHECK_EQ(c.n, 9);
    EPT_CHECK_EQ(c.enc.len, mlen - EP_SNAPSHOT_HEADER_SIZE - 4);
    EPT_CHECK_MEM(c.enc.data, mem + EP_SNAPSHOT_HEADER_SIZE, c.enc.len);
    /* a callback that stops */
    EPT_CHECK_EQ(ep_snapshot_read_bytes(mem, mlen, NULL, stop_at_two, &stopped, NULL), EP_ERR_STATE);
    EPT_CHECK_EQ(stopped, 2);
    ep_buf_free(&c.enc);
    ep_free(NULL, mem);
    ep_free(NULL, file);
    ep_vfs_mem_free(vfs);
    for (i = 0; i < 9; i++) ep_buf_free(&s[i].scratch);
}

static int count_cb(void *ctx, const ep_snap_entry *e) {
    (void)e;
    ++*(int *)ctx;
    return 0;
}

EPT_CASE(snapshot_bytes_refusals) {
    sample s[3];
    ep_snap_entry es[3];
    uint8_t *mem = NULL, *cp;
    size_t mlen = 0, cut, i;
    ep_error err;
    int seen;
    for (i = 0; i < 3; i++) {
        EPT_CHECK(make_sample((int)i * 2, &s[i]));
        es[i] = s[i].e;
    }
    EPT_CHECK_OK(ep_snapshot_write_bytes(1, es, 3, NULL, &mem, &mlen));
    cp = (uint8_t *)malloc(mlen + 8);
    EPT_CHECK(cp != NULL);
    /* every cut fails, and no callback ever runs on an unverified snapshot */
    for (cut = 0; cut < mlen; cut++) {
        seen = 0;
        EPT_EXPECT(ep_snapshot_read_bytes(mem, cut, NULL, count_cb, &seen, &err) < 0);
        EPT_EXPECT(seen == 0);
    }
    /* every single bit flip past the magic and version fails or (in the shard id,
     * which no CRC covers) reads the same entries */
    for (i = 5; i < mlen; i++) {
        ep_result r;
        memcpy(cp, mem, mlen);
        cp[i] ^= 0x10;
        seen = 0;
        r = ep_snapshot_read_bytes(cp, mlen, NULL, count_cb, &seen, &err);
        if (i == 5 || i == 6) EPT_EXPECT(r == EP_OK && seen == 3);
        else EPT_EXPECT(r < 0 && seen == 0);
    }
    /* versions 1 and 3 are not in-memory snapshots; bad magic */
    memcpy(cp, mem, mlen);
    cp[4] = 1;
    EPT_CHECK_EQ(ep_snapshot_read_bytes(cp, mlen, NULL, NULL, NULL, &err), EP_ERR_BAD_VERSION);
    cp[4] = 3;
    EPT_CHECK_EQ(ep_snapshot_read_bytes(cp, mlen, NULL, NULL, NULL, &err), EP_ERR_BAD_VERSION);
    cp[4] = 2;
    cp[0] = 'X';
    EPT_CHECK_EQ(ep_snapshot_read_bytes(cp, mlen, NULL, NULL, NULL, &err), EP_ERR_BAD_MAGIC);
    /* a count above the entries present: the file ends inside the next "entry" */
    memcpy(cp, mem, mlen);
    ep_store_u32le(cp + 7, 0xffffffffu);
    EPT_CHECK(ep_snapshot_read_bytes(cp, mlen, NULL, NULL, NULL, &err) < 0);
    /* bytes after the footer are ignored, as ember does */
    memcpy(cp, mem, mlen);
    memcpy(cp + mlen, "trailer!", 8);
    seen = 0;
    EPT_CHECK_OK(ep_snapshot_read_bytes(cp, mlen + 8, NULL, count_cb, &seen, &err));
    EPT_CHECK_EQ(seen, 3);
    /* an empty snapshot is 15 bytes and reads back */
    ep_free(NULL, mem);
    EPT_CHECK_OK(ep_snapshot_write_bytes(0, NULL, 0, NULL, &mem, &mlen));
    EPT_CHECK_EQ(mlen, 15);
    EPT_CHECK_OK(ep_snapshot_read_bytes(mem, mlen, NULL, count_cb, &seen, &err));
    free(cp);
    ep_free(NULL, mem);
    for (i = 0; i < 3; i++) ep_buf_free(&s[i].scratch);
}

EPT_MAIN()
