/* redis_load: RDB -> one ep_keyspace per database. The probe's 7.0 dump
 * loads with its values and TTLs; files from mkrdb.py (an independent,
 * hand-made writer: types 0-5, ASCII and binary zset scores, FC expiries,
 * versions 1/9/10/11, zero and bad CRCs, AiKv's layout) load as Redis 7.0
 * loads them (B.2's table): already-expired keys dropped and counted, empty
 * collections skipped, a duplicate key refused, version 11 refused; streams
 * and binary members are reported per key; a failing allocator at every
 * step leaves nothing leaked. */
#include "ember_persist.h"
#include "harness.h"
#include "support/counting.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>

static int mkrdb(const char *out, const char *args) {
    const char *py = ept_shared_path("tools/redis-probe/mkrdb.py");
    char cmd[2048];
    if (!py || !ept_have_program("python3")) return -1;
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' %s", py, out, args);
    return ept_run_cmd(cmd, NULL, 0);
}

static const ep_ks_entry *get(ep_redis_dbs *d, size_t db, const char *key) {
    if (db >= d->count || !d->db[db]) return NULL;
    return ep_keyspace_get(d->db[db], key, strlen(key));
}

EPT_CASE(probe_dump_loads) {
    const char *p = ept_shared_path("tools/redis-probe/redis70-small.rdb");
    ep_redis_load_config cfg;
    ep_redis_dbs d;
    ep_redis_load_stats st;
    ep_error err;
    const ep_ks_entry *e;
    if (!p) {
        ept_skip("redis70-small.rdb not found in ../shared");
        return;
    }
    memset(&d, 0, sizeof d);
    ep_redis_load_config_init(&cfg);
    cfg.now_ms = 1800000000000ll;
    EPT_CHECK_OK(ep_redis_load_rdb(p, &cfg, &d, &st, &err));
    EPT_CHECK(st.loaded == 13 && st.expired == 0 && st.unmapped == 0);
    EPT_CHECK(d.count == 2 && ep_keyspace_count(d.db[0]) == 12 && ep_keyspace_count(d.db[1]) == 1);
    e = get(&d, 0, "pxkey");
    EPT_CHECK(e && ep_ks_entry_ttl(e) == 100000000000ll);
    e = get(&d, 0, "intset");
    EPT_CHECK(e && ep_ks_entry_type(e) == EP_TYPE_SET && ep_ks_entry_len(e) == 3);
    e = get(&d, 0, "zset");
    EPT_CHECK(e && ep_ks_entry_type(e) == EP_TYPE_ZSET);
    {
        ep_ks_value_iter it;
        ep_item item;
        ep_ks_value_iter_init(&it, e);
        EPT_CHECK(ep_ks_value_next(&it, &item) && item.score == 1.0 && item.a.len == 1 && item.a.data[0] == 'a');
        EPT_CHECK(ep_ks_value_next(&it, &item) && item.score == 2.5);
    }
    e = get(&d, 0, "lzfstr");
    EPT_CHECK(e && ep_ks_entry_len(e) == 100);
    e = get(&d, 1, "db1key");
    EPT_CHECK(e && ep_ks_entry_value(e).len == 6);
    ep_redis_dbs_free(&d);
    /* later: pxkey is already expired and dropped, as a master does */
    cfg.now_ms = 1900000000001ll;
    memset(&d, 0, sizeof d);
    EPT_CHECK_OK(ep_redis_load_rdb(p, &cfg, &d, &st, &err));
    EPT_CHECK(st.loaded == 12 && st.expired == 1 && !get(&d, 0, "pxkey"));
    ep_redis_dbs_free(&d);
    /* an AOF base keeps it (with ttl 0, for the caller's sweep) */
    cfg.keep_expired = 1;
    memset(&d, 0, sizeof d);
    EPT_CHECK_OK(ep_redis_load_rdb(p, &cfg, &d, &st, &err));
    EPT_CHECK(st.loaded == 13 && get(&d, 0, "pxkey") && ep_ks_entry_ttl(get(&d, 0, "pxkey")) == 0);
    ep_redis_dbs_free(&d);
}

EPT_CASE(mkrdb_variants_as_redis_loads_them) {
    char dir[600], path[700];
    struct {
        const char *args;
        ep_result want;
        uint64_t loaded, expired, empty;
        int crc;
    } t[] = {
        {"", EP_OK, 13, 1, 0, EP_RDB_CRC_OK},
        {"--version 9", EP_OK, 13, 1, 0, EP_RDB_CRC_OK},
        {"--version 6", EP_OK, 13, 1, 0, EP_RDB_CRC_OK},
        {"--version 1", EP_OK, 13, 1, 0, EP_RDB_CRC_NONE},
        {"--zero-crc", EP_OK, 13, 1, 0, EP_RDB_CRC_ZERO},
        {"--bad-crc", EP_ERR_CHECKSUM, 0, 0, 0, 0},
        {"--dup", EP_ERR_CORRUPT, 0, 0, 0, 0},
        {"--empty", EP_OK, 13, 1, 1, EP_RDB_CRC_OK},
        {"--version 11", EP_ERR_VERSION, 0, 0, 0, 0},
        {"--aikv", EP_OK, 3, 0, 0, EP_RDB_CRC_NONE},
    };
    size_t i;
    snprintf(dir, sizeof dir, "%s", ept_tmpdir());
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        ep_redis_load_config cfg;
        ep_redis_dbs d;
        ep_redis_load_stats st;
        ep_error err;
        ep_result r;
        snprintf(path, sizeof path, "%s/v%u.rdb", dir, (unsigned)i);
        if (mkrdb(path, t[i].args) != 0) {
            ept_skip("mkrdb.py (../shared) or python3 missing");
            return;
        }
        memset(&d, 0, sizeof d);
        ep_redis_load_config_init(&cfg);
        r = ep_redis_load_rdb(path, &cfg, &d, &st, &err);
        if (r != t[i].want) {
            fprintf(stderr, "    %s: %d %s\n", t[i].args, r, err.message);
            EPT_CHECK(0);
        }
        if (r == EP_OK) {
            EPT_CHECK(st.loaded == t[i].loaded && st.expired == t[i].expired && st.empty == t[i].empty);
            EPT_CHECK((int)st.rdb.crc == t[i].crc);
            if (i == 0) {
                const ep_ks_entry *e = get(&d, 0, "zold");
                ep_ks_value_iter it;
                ep_item item;
                EPT_CHECK(e && ep_ks_entry_len(e) == 2);
                ep_ks_value_iter_init(&it, e);
                EPT_CHECK(ep_ks_value_next(&it, &item) && item.score == 1.5);
                EPT_CHECK(ep_ks_value_next(&it, &item) && item.score > 1e308);
                EPT_CHECK(get(&d, 0, "bin") && ep_ks_entry_len(get(&d, 0, "bin")) == 256);
                EPT_CHECK(get(&d, 0, "bighash") && ep_ks_entry_len(get(&d, 0, "bighash")) == 1000);
                EPT_CHECK(get(&d, 0, "exp") && ep_ks_entry_ttl(get(&d, 0, "exp")) > 0);
            }
        }
        if (r == EP_ERR_CORRUPT) EPT_CHECK(strstr(err.message, "duplicated key 'str'") != NULL);
        ep_redis_dbs_free(&d);
    }
}

typedef struct seen {
    int n[5];
    char last[64];
} seen;
static void on_report(void *u, uint64_t db, ep_bytes key, const char *kind, ep_redis_skip why) {
    seen *s = (seen *)u;
    (void)db;
    (void)kind;
    s->n[why]++;
    snprintf(s->last, sizeof s->last, "%.*s", (int)key.len, (const char *)key.data);
}

/* A file built with the codec: a stream and binary members are reported
 * per key, the rest loads. */
EPT_CASE(unmappable_reported_per_key) {
    ep_buf b;
    char path[700];
    ep_redis_load_config cfg;
    ep_redis_dbs d;
    ep_redis_load_stats st;
    ep_error err;
    seen s;
    const char *sp = ept_shared_path("tools/redis-probe/redis70-small.rdb");
    (void)sp;
    ep_buf_init(&b, NULL);
    ep_buf_put(&b, "REDIS0010", 9);
    ep_buf_u8(&b, 0xFE);
    ep_rdb_put_len(&b, 0);
    ep_buf_u8(&b, 2); /* set with a binary member */
    ep_rdb_put_string(&b, EP_LIT("binset"), NULL);
    ep_rdb_put_len(&b, 2);
    ep_rdb_put_string(&b, EP_LIT("ok"), NULL);
    ep_rdb_put_string(&b, ep_bytes_of("\xff\xfe", 2), NULL);
    ep_buf_u8(&b, 4); /* hash with a binary value: fine */
    ep_rdb_put_string(&b, EP_LIT("binval"), NULL);
    ep_rdb_put_len(&b, 1);
    ep_rdb_put_string(&b, EP_LIT("f"), NULL);
    ep_rdb_put_string(&b, ep_bytes_of("\xff\x00", 2), NULL);
    ep_buf_u8(&b, 19); /* a minimal stream: no listpacks, no groups */
    ep_rdb_put_string(&b, EP_LIT("mystream"), NULL);
    ep_rdb_put_len(&b, 0);
    {
        int i;
        for (i = 0; i < 8; i++) ep_rdb_put_len(&b, 0);
    }
    ep_rdb_put_len(&b, 0);
    ep_buf_u8(&b, 0xFF);
    ep_buf_u64(&b, ep_crc64(b.data, b.len));
    snprintf(path, sizeof path, "%s/u.rdb", ept_tmpdir());
    EPT_CHECK(ept_write_file(path, b.data, b.len) == 0);
    ep_buf_free(&b);
    memset(&d, 0, sizeof d);
    memset(&s, 0, sizeof s);
    ep_redis_load_config_init(&cfg);
    cfg.report = on_report;
    cfg.report_user = &s;
    {
        ep_result r = ep_redis_load_rdb(path, &cfg, &d, &st, &err);
        if (r) fprintf(stderr, "    %s\n", err.message);
        EPT_CHECK_OK(r);
    }
    EPT_CHECK(st.loaded == 1 && st.unmapped == 2 && st.by_reason[EP_REDIS_SKIP_STREAM] == 1 &&
              st.by_reason[EP_REDIS_SKIP_NOT_UTF8] == 1);
    EPT_CHECK(s.n[EP_REDIS_SKIP_STREAM] == 1 && s.n[EP_REDIS_SKIP_NOT_UTF8] == 1);
    EPT_CHECK(get(&d, 0, "binval") && !get(&d, 0, "binset"));
    ep_redis_dbs_free(&d);
}

/* RESIZEDB sizes the key table once; a hint far above what the file can
 * hold (2^40 keys in a file of a few dozen bytes) allocates by the file. */
EPT_CASE(resizedb_hint_capped_by_the_file) {
    char path[700];
    ep_rdb_writer_config wc;
    ep_rdb_writer *w;
    ep_redis_load_config cfg;
    ep_redis_dbs d;
    ept_counting ca;
    ep_allocator a = ept_counting_alloc(&ca);
    snprintf(path, sizeof path, "%s/hint.rdb", ept_tmpdir());
    ep_rdb_writer_config_init(&wc);
    wc.check_duplicates = 0; /* the writer trusts the hint: keep it from sizing by it */
    EPT_CHECK_OK(ep_rdb_writer_begin(path, &wc, &w, NULL));
    EPT_CHECK_OK(ep_rdb_writer_select_db(w, 0, (uint64_t)1 << 40, 0));
    EPT_CHECK_OK(ep_rdb_writer_string(w, EP_LIT("a"), EP_LIT("1"), -1));
    EPT_CHECK_OK(ep_rdb_writer_string(w, EP_LIT("b"), EP_LIT("2"), -1));
    EPT_CHECK_OK(ep_rdb_writer_commit(w, NULL));
    memset(&d, 0, sizeof d);
    ep_redis_load_config_init(&cfg);
    cfg.alloc = &a;
    cfg.reader.alloc = &a;
    EPT_CHECK_OK(ep_redis_load_rdb(path, &cfg, &d, NULL, NULL));
    EPT_CHECK(d.count == 1 && d.db[0] && ep_keyspace_count(d.db[0]) == 2);
    EPT_CHECK(ca.peak < ((size_t)1 << 20));
    ep_redis_dbs_free(&d);
    EPT_CHECK(ca.live == 0);
}

EPT_CASE(failing_allocator) {
    const char *p = ept_shared_path("tools/redis-probe/redis70-small.rdb");
    ept_counting cnt;
    ep_allocator a = ept_counting_alloc(&cnt);
    long n;
    int done = 0;
    if (!p) {
        ept_skip("redis70-small.rdb not found in ../shared");
        return;
    }
    for (n = 0; n < 400 && !done; n++) {
        ep_redis_load_config cfg;
        ep_redis_dbs d;
        ep_error err;
        ep_result r;
        memset(&d, 0, sizeof d);
        ep_redis_load_config_init(&cfg);
        cfg.alloc = &a;
        cfg.reader.alloc = &a;
        cfg.reader.chunk_size = 64;
        cnt.fail_after = n;
        r = ep_redis_load_rdb(p, &cfg, &d, NULL, &err);
        EPT_CHECK(r == EP_OK || r == EP_ERR_NOMEM);
        if (r == EP_OK) done = 1;
        ep_redis_dbs_free(&d);
        EPT_CHECK(cnt.live == 0);
    }
    EPT_CHECK(done);
}

EPT_MAIN()
