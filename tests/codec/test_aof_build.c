/* The record builders (codec/aof_build.h): every one of the 35 kinds builds
 * a record that encodes, decodes back to the arguments it was given, and
 * applies to a keyspace as the writer's one-call helper's record does;
 * byte-exact vectors from ember-format.md §2.2 for a few kinds; argument
 * errors; scratch reuse. */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"

#include <stdlib.h>

static int beq(ep_bytes a, const char *s) {
    return a.len == strlen(s) && (a.len == 0 || memcmp(a.data, s, a.len) == 0);
}

static ep_result enc(const ep_aof_record *rec, ep_buf *out, ep_aof_record *back) {
    size_t used = 0;
    ep_result r;
    ep_buf_reset(out);
    if ((r = ep_aof_encode(out, rec)) != EP_OK) return r;
    if ((r = ep_aof_decode(out->data, out->len, back, &used)) != EP_OK) return r;
    return used == out->len ? EP_OK : EP_ERR_CORRUPT;
}

/* Builds kind `tag` with fixed arguments into rec (scratch for elements). */
static ep_result build(uint8_t tag, ep_aof_record *rec, ep_buf *scratch) {
    static const ep_bytes vals[2] = {{(const uint8_t *)"v1", 2}, {(const uint8_t *)"v2", 2}};
    static const double scores[2] = {1.5, -2};
    static const float vec[2] = {0.5f, -1.0f};
    ep_bytes k = EP_LIT("key"), v = EP_LIT("val"), k2 = EP_LIT("key2");
    switch (tag) {
    case EP_AOF_SET: return ep_aof_rec_set(rec, k, v, 5000);
    case EP_AOF_DEL: return ep_aof_rec_del(rec, k);
    case EP_AOF_EXPIRE: return ep_aof_rec_expire(rec, k, 7);
    case EP_AOF_LPUSH: return ep_aof_rec_lpush(rec, scratch, k, vals, 2);
    case EP_AOF_RPUSH: return ep_aof_rec_rpush(rec, scratch, k, vals, 2);
    case EP_AOF_LPOP: return ep_aof_rec_lpop(rec, k);
    case EP_AOF_RPOP: return ep_aof_rec_rpop(rec, k);
    case EP_AOF_ZADD: return ep_aof_rec_zadd(rec, scratch, k, scores, vals, 2);
    case EP_AOF_ZREM: return ep_aof_rec_zrem(rec, scratch, k, vals, 2);
    case EP_AOF_PERSIST: return ep_aof_rec_persist(rec, k);
    case EP_AOF_PEXPIRE: return ep_aof_rec_pexpire(rec, k, 7000);
    case EP_AOF_INCR: return ep_aof_rec_incr(rec, k);
    case EP_AOF_DECR: return ep_aof_rec_decr(rec, k);
    case EP_AOF_HSET: return ep_aof_rec_hset(rec, scratch, k, vals, vals, 2);
    case EP_AOF_HDEL: return ep_aof_rec_hdel(rec, scratch, k, vals, 2);
    case EP_AOF_HINCRBY: return ep_aof_rec_hincrby(rec, k, k2, -3);
    case EP_AOF_SADD: return ep_aof_rec_sadd(rec, scratch, k, vals, 2);
    case EP_AOF_SREM: return ep_aof_rec_srem(rec, scratch, k, vals, 2);
    case EP_AOF_INCRBY: return ep_aof_rec_incrby(rec, k, 40);
    case EP_AOF_DECRBY: return ep_aof_rec_decrby(rec, k, 41);
    case EP_AOF_APPEND: return ep_aof_rec_append(rec, k, v);
    case EP_AOF_RENAME: return ep_aof_rec_rename(rec, k, k2);
    case EP_AOF_PROTO_SET: return ep_aof_rec_proto_set(rec, k, k2, v, -1);
    case EP_AOF_PROTO_REGISTER: return ep_aof_rec_proto_register(rec, k, v);
    case EP_AOF_VADD: return ep_aof_rec_vadd(rec, scratch, k, k2, vec, 2, 1, 2, 16, 64);
    case EP_AOF_VREM: return ep_aof_rec_vrem(rec, k, k2);
    case EP_AOF_COPY: return ep_aof_rec_copy(rec, k, k2, 1);
    case EP_AOF_LSET: return ep_aof_rec_lset(rec, k, -1, v);
    case EP_AOF_LTRIM: return ep_aof_rec_ltrim(rec, k, 1, -2);
    case EP_AOF_LINSERT: return ep_aof_rec_linsert(rec, k, 1, k2, v);
    case EP_AOF_LREM: return ep_aof_rec_lrem(rec, k, -2, v);
    case EP_AOF_SETRANGE: return ep_aof_rec_setrange(rec, k, 3, v);
    case EP_AOF_SETBIT: return ep_aof_rec_setbit(rec, k, 9, 1);
    case EP_AOF_BITOP: return ep_aof_rec_bitop(rec, scratch, EP_BITOP_XOR, k, vals, 2);
    case EP_AOF_PEXPIREAT: return ep_aof_rec_pexpireat(rec, k, 1700000000123LL);
    default: return EP_ERR_INVALID_ARG;
    }
}

/* The fields each kind must carry after a round trip through the bytes. */
static int fields_ok(uint8_t tag, const ep_aof_record *r) {
    ep_items_iter it;
    ep_item item;
    int n = 0;
    if (r->tag != tag || !beq(r->key, "key")) return 0;
    switch (tag) {
    case EP_AOF_SET: return beq(r->value, "val") && r->num == 5000;
    case EP_AOF_EXPIRE: return r->num == 7;
    case EP_AOF_PEXPIRE: return r->num == 7000;
    case EP_AOF_INCRBY: return r->num == 40;
    case EP_AOF_DECRBY: return r->num == 41;
    case EP_AOF_PEXPIREAT: return r->num == 1700000000123LL;
    case EP_AOF_HINCRBY: return beq(r->key2, "key2") && r->num == -3;
    case EP_AOF_APPEND: return beq(r->value, "val");
    case EP_AOF_RENAME:
    case EP_AOF_VREM: return beq(r->key2, "key2");
    case EP_AOF_COPY: return beq(r->key2, "key2") && r->flag == 1;
    case EP_AOF_PROTO_SET: return beq(r->key2, "key2") && beq(r->value, "val") && r->num == -1;
    case EP_AOF_PROTO_REGISTER: return beq(r->value, "val");
    case EP_AOF_LSET: return r->num == -1 && beq(r->value, "val");
    case EP_AOF_LTRIM: return r->num == 1 && r->num2 == -2;
    case EP_AOF_LINSERT: return r->flag == 1 && beq(r->pivot, "key2") && beq(r->value, "val");
    case EP_AOF_LREM: return r->num == -2 && beq(r->value, "val");
    case EP_AOF_SETRANGE: return r->num == 3 && beq(r->value, "val");
    case EP_AOF_SETBIT: return r->num == 9 && r->flag == 1;
    case EP_AOF_VADD:
        return beq(r->key2, "key2") && r->dim == 2 && r->vector.len == 8 && ep_load_f32le(r->vector.data) == 0.5f &&
               ep_load_f32le(r->vector.data + 4) == -1.0f && r->flag == 1 && r->flag2 == 2 &&
               r->connectivity == 16 && r->expansion_add == 64;
    case EP_AOF_LPUSH: case EP_AOF_RPUSH: case EP_AOF_ZADD: case EP_AOF_ZREM: case EP_AOF_HSET:
    case EP_AOF_HDEL: case EP_AOF_SADD: case EP_AOF_SREM: case EP_AOF_BITOP:
        if (r->items.count != 2) return 0;
        if (tag == EP_AOF_BITOP && r->flag != EP_BITOP_XOR) return 0;
        ep_items_iter_init(&it, &r->items);
        while (ep_items_next(&it, &item)) {
            const char *want = n ? "v2" : "v1";
            if (!beq(item.a, want)) return 0;
            if (tag == EP_AOF_HSET && !beq(item.b, want)) return 0;
            if (tag == EP_AOF_ZADD && item.score != (n ? -2.0 : 1.5)) return 0;
            n++;
        }
        return n == 2;
    default: return 1; /* key-only kinds */
    }
}

EPT_CASE(every_kind_round_trips_through_the_codec) {
    ep_buf scratch, bytes;
    uint8_t tag;
    ep_buf_init(&scratch, NULL);
    ep_buf_init(&bytes, NULL);
    for (tag = EP_AOF_TAG_MIN; tag <= EP_AOF_TAG_MAX && !ept_failed(); tag++) {
        ep_aof_record rec, back;
        memset(&rec, 0xAB, sizeof rec); /* the builder must set every field */
        EPT_CHECK_OK(build(tag, &rec, &scratch));
        EPT_CHECK_OK(enc(&rec, &bytes, &back));
        if (!fields_ok(tag, &back)) {
            char m[64];
            snprintf(m, sizeof m, "fields of %s", ep_aof_tag_name(tag));
            ept_fail(__FILE__, __LINE__, m);
        }
        /* fields the kind does not use stay zero (so keyspace apply sees no leftovers) */
        if (tag != EP_AOF_LINSERT) EPT_CHECK(rec.pivot.len == 0);
        if (tag != EP_AOF_VADD) EPT_CHECK(rec.dim == 0 && rec.vector.len == 0 && rec.flag2 == 0);
    }
    ep_buf_free(&scratch);
    ep_buf_free(&bytes);
}

/* Byte vectors written out from §2.2 (little-endian lengths and numbers). */
EPT_CASE(byte_vectors_from_the_spec) {
    static const uint8_t set[] = {1, 1, 0, 0, 0, 'k', 2, 0, 0, 0, 'v', 'w', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t hincr[] = {16, 1, 0, 0, 0, 'h', 1, 0, 0, 0, 'f', 5, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t ltrim[] = {29, 1, 0, 0, 0, 'l', 1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t sadd[] = {17, 1, 0, 0, 0, 's', 2, 0, 0, 0, 1, 0, 0, 0, 'a', 2, 0, 0, 0, 'b', 'c'};
    static const uint8_t zadd[] = {8, 1, 0, 0, 0, 'z', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 1, 0, 0, 0, 'a'};
    static const uint8_t bitop[] = {34, 1, 1, 0, 0, 0, 'd', 1, 0, 0, 0, 1, 0, 0, 0, 's'};
    ep_buf scratch, out;
    ep_aof_record rec;
    ep_bytes m[2] = {EP_LIT("a"), EP_LIT("bc")};
    double one = 1.0;
    ep_buf_init(&scratch, NULL);
    ep_buf_init(&out, NULL);
#define VEC(build_call, want)                                   \
    do {                                                        \
        EPT_CHECK_OK(build_call);                               \
        ep_buf_reset(&out);                                     \
        EPT_CHECK_OK(ep_aof_encode(&out, &rec));                \
        EPT_CHECK_EQ(out.len, sizeof want);                     \
        EPT_CHECK_MEM(out.data, want, sizeof want);             \
    } while (0)
    VEC(ep_aof_rec_set(&rec, EP_LIT("k"), EP_LIT("vw"), -1), set);
    VEC(ep_aof_rec_hincrby(&rec, EP_LIT("h"), EP_LIT("f"), 5), hincr);
    VEC(ep_aof_rec_ltrim(&rec, EP_LIT("l"), 1, -2), ltrim);
    VEC(ep_aof_rec_sadd(&rec, &scratch, EP_LIT("s"), m, 2), sadd);
    VEC(ep_aof_rec_zadd(&rec, &scratch, EP_LIT("z"), &one, m, 1), zadd);
    m[0] = EP_LIT("s");
    VEC(ep_aof_rec_bitop(&rec, &scratch, EP_BITOP_OR, EP_LIT("d"), m, 1), bitop);
#undef VEC
    ep_buf_free(&scratch);
    ep_buf_free(&out);
}

/* The writer's one-call helpers are the builders plus ep_aof_append: the
 * file they write holds, record by record, the bytes of the built records. */
EPT_CASE(one_call_helpers_write_the_built_records) {
    const char *dir = ept_tmpdir();
    char path[512];
    ep_aof_writer_config cfg;
    ep_aof_writer *w = NULL;
    ep_aof_reader *rd = NULL;
    ep_error err;
    ep_buf scratch, a, b;
    ep_aof_record rec, got;
    static const ep_bytes vals[2] = {{(const uint8_t *)"v1", 2}, {(const uint8_t *)"v2", 2}};
    static const double scores[2] = {1.5, -2};
    static const float vec[2] = {0.5f, -1.0f};
    ep_bytes k = EP_LIT("key"), v = EP_LIT("val"), k2 = EP_LIT("key2");
    uint8_t tag;
    snprintf(path, sizeof path, "%s/shard-0.aof", dir);
    ep_aof_writer_config_init(&cfg);
    EPT_CHECK_OK(ep_aof_writer_open(path, &cfg, &w, &err));
    EPT_CHECK_OK(ep_aof_set(w, k, v, 5000));
    EPT_CHECK_OK(ep_aof_del(w, k));
    EPT_CHECK_OK(ep_aof_expire(w, k, 7));
    EPT_CHECK_OK(ep_aof_lpush(w, k, vals, 2));
    EPT_CHECK_OK(ep_aof_rpush(w, k, vals, 2));
    EPT_CHECK_OK(ep_aof_lpop(w, k));
    EPT_CHECK_OK(ep_aof_rpop(w, k));
    EPT_CHECK_OK(ep_aof_zadd(w, k, scores, vals, 2));
    EPT_CHECK_OK(ep_aof_zrem(w, k, vals, 2));
    EPT_CHECK_OK(ep_aof_persist(w, k));
    EPT_CHECK_OK(ep_aof_pexpire(w, k, 7000));
    EPT_CHECK_OK(ep_aof_incr(w, k));
    EPT_CHECK_OK(ep_aof_decr(w, k));
    EPT_CHECK_OK(ep_aof_hset(w, k, vals, vals, 2));
    EPT_CHECK_OK(ep_aof_hdel(w, k, vals, 2));
    EPT_CHECK_OK(ep_aof_hincrby(w, k, k2, -3));
    EPT_CHECK_OK(ep_aof_sadd(w, k, vals, 2));
    EPT_CHECK_OK(ep_aof_srem(w, k, vals, 2));
    EPT_CHECK_OK(ep_aof_incrby(w, k, 40));
    EPT_CHECK_OK(ep_aof_decrby(w, k, 41));
    EPT_CHECK_OK(ep_aof_append_value(w, k, v));
    EPT_CHECK_OK(ep_aof_rename(w, k, k2));
    EPT_CHECK_OK(ep_aof_proto_set(w, k, k2, v, -1));
    EPT_CHECK_OK(ep_aof_proto_register(w, k, v));
    EPT_CHECK_OK(ep_aof_vadd(w, k, k2, vec, 2, 1, 2, 16, 64));
    EPT_CHECK_OK(ep_aof_vrem(w, k, k2));
    EPT_CHECK_OK(ep_aof_copy(w, k, k2, 1));
    EPT_CHECK_OK(ep_aof_lset(w, k, -1, v));
    EPT_CHECK_OK(ep_aof_ltrim(w, k, 1, -2));
    EPT_CHECK_OK(ep_aof_linsert(w, k, 1, k2, v));
    EPT_CHECK_OK(ep_aof_lrem(w, k, -2, v));
    EPT_CHECK_OK(ep_aof_setrange(w, k, 3, v));
    EPT_CHECK_OK(ep_aof_setbit(w, k, 9, 1));
    EPT_CHECK_OK(ep_aof_bitop(w, EP_BITOP_XOR, k, vals, 2));
    EPT_CHECK_OK(ep_aof_pexpireat(w, k, 1700000000123LL));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    {
        ep_aof_reader_config rcfg;
        ep_aof_reader_config_init(&rcfg);
        EPT_CHECK_OK(ep_aof_reader_open(path, &rcfg, &rd, &err));
    }
    ep_buf_init(&scratch, NULL);
    ep_buf_init(&a, NULL);
    ep_buf_init(&b, NULL);
    for (tag = EP_AOF_TAG_MIN; tag <= EP_AOF_TAG_MAX && !ept_failed(); tag++) {
        EPT_CHECK_OK(ep_aof_reader_next(rd, &got));
        EPT_CHECK_OK(build(tag, &rec, &scratch));
        ep_buf_reset(&a);
        ep_buf_reset(&b);
        EPT_CHECK_OK(ep_aof_encode(&a, &got));
        EPT_CHECK_OK(ep_aof_encode(&b, &rec));
        EPT_CHECK_EQ(a.len, b.len);
        EPT_CHECK_MEM(a.data, b.data, a.len);
    }
    EPT_CHECK_EQ(ep_aof_reader_next(rd, &got), EP_END);
    ep_aof_reader_close(rd);
    ep_buf_free(&scratch);
    ep_buf_free(&a);
    ep_buf_free(&b);
}

EPT_CASE(argument_errors_and_scratch_reuse) {
    ep_buf scratch;
    ep_aof_record rec;
    ep_bytes m[1] = {EP_LIT("x")};
    float f = 1.0f;
    ep_buf_init(&scratch, NULL);
    EPT_CHECK_EQ(ep_aof_rec_del(NULL, EP_LIT("k")), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_aof_rec_sadd(&rec, NULL, EP_LIT("k"), m, 1), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_aof_rec_sadd(&rec, &scratch, EP_LIT("k"), NULL, 1), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_aof_rec_zadd(&rec, &scratch, EP_LIT("k"), NULL, m, 1), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_aof_rec_vadd(&rec, &scratch, EP_LIT("k"), EP_LIT("e"), NULL, 2, 0, 0, 0, 0), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_aof_rec_vadd(&rec, &scratch, EP_LIT("k"), EP_LIT("e"), &f, EP_MAX_VECTOR_DIMS + 1, 0, 0, 0, 0),
                 EP_ERR_LIMIT);
    /* after a failure, scratch builds the next record */
    EPT_CHECK_OK(ep_aof_rec_sadd(&rec, &scratch, EP_LIT("k"), m, 1));
    EPT_CHECK_EQ(rec.items.count, 1);
    EPT_CHECK_EQ(scratch.err, EP_OK);
    /* an empty run is a valid record */
    EPT_CHECK_OK(ep_aof_rec_rpush(&rec, &scratch, EP_LIT("k"), NULL, 0));
    EPT_CHECK_EQ(rec.items.count, 0);
    ep_buf_free(&scratch);
}

EPT_MAIN()
