/* The tool on Redis files and conversions, run as a program: info, verify
 * and dump --json of an RDB (every type, expiries, two databases, a
 * function) checked field by field by python3; a truncated, a bit-flipped
 * and a trailing-bytes RDB give 2, 2 and 1; convert --to rdb / resp-aof /
 * ember between an ember shard and Redis files: the unmapped key listed
 * with its reason (exit 1), the destination read back (dump of the RDB,
 * recovery of the new shard), an existing destination refused (73), a
 * damaged shard refused (2). */
#include "ember_persist.h"
#include "harness.h"
#include "support/run_cmd.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>

#define DEADLINE 4102444800123LL /* 2100-01-01: never expires during a test */

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }

/* Staging files a convert left in the case's directory: every name ending
 * ".tmp" that is a file, or a directory that is not empty (the library's
 * ep_shard_to_wal leaves its emptied staging directory WALDIR.tmp, as the
 * vfs has no directory removal; the tool removes it, checked by name). */
typedef struct tmp_scan {
    ep_vfs *vfs;
    const char *dir;
    int left, inner;
} tmp_scan;

static int count_inner(void *u, const char *name) {
    (void)name;
    ((tmp_scan *)u)->inner++;
    return 0;
}

static int scan_one(void *u, const char *name) {
    tmp_scan *t = (tmp_scan *)u;
    size_t n = strlen(name);
    char path[1200];
    if (n < 4 || strcmp(name + n - 4, ".tmp") != 0) return 0;
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    t->inner = 0;
    if (t->vfs->list(t->vfs, path, count_inner, t, NULL) == EP_OK && t->inner == 0) return 0; /* empty staging dir */
    printf("    left behind: %s\n", path);
    t->left++;
    return 0;
}

static int tmp_left_in(const char *dir) {
    ep_vfs os;
    tmp_scan t;
    if (ep_vfs_os_init(&os) != EP_OK) return -1;
    t.vfs = &os;
    t.dir = dir;
    t.left = 0;
    if (os.list(&os, dir, scan_one, &t, NULL) != EP_OK) return -1;
    return t.left;
}

/* The same in the case's directory. */
static int tmp_left(void) {
    char dir[700];
    ept_tool_file(dir, sizeof dir, ".");
    return tmp_left_in(dir);
}

/* 1 if path does not exist. */
static int absent(const char *path) {
    ep_vfs os;
    return ep_vfs_os_init(&os) == EP_OK && os.stat(&os, path, NULL, NULL) == EP_ERR_NOT_FOUND;
}

/* An RDB with every type the writer has, in two databases. */
static int write_rdb(const char *path) {
    ep_rdb_writer_config c;
    ep_rdb_writer *w = NULL;
    ep_bytes items[3], vals[3];
    double sc[3];
    int ok;
    ep_rdb_writer_config_init(&c);
    c.ctime = 1700000000;
    if (ep_rdb_writer_begin(path, &c, &w, NULL) != EP_OK) return 0;
    ok = ep_rdb_writer_function(w, B("#!lua name=lib\nredis.register_function('f', function() return 1 end)")) == EP_OK;
    ok &= ep_rdb_writer_select_db(w, 0, 5, 1) == EP_OK;
    ok &= ep_rdb_writer_string(w, B("s"), B("hello"), DEADLINE) == EP_OK;
    items[0] = B("a"), items[1] = B("b"), items[2] = B("a");
    ok &= ep_rdb_writer_list(w, B("l"), items, 3, -1) == EP_OK;
    items[2] = B("c");
    ok &= ep_rdb_writer_set(w, B("set"), items, 3, -1) == EP_OK;
    vals[0] = B("1"), vals[1] = B("2"), vals[2] = B("3");
    ok &= ep_rdb_writer_hash(w, B("h"), items, vals, 3, -1) == EP_OK;
    sc[0] = -2.5, sc[1] = 1, sc[2] = 1e300;
    ok &= ep_rdb_writer_zset(w, B("z"), items, sc, 3, -1) == EP_OK;
    ok &= ep_rdb_writer_select_db(w, 7, 1, 0) == EP_OK;
    ok &= ep_rdb_writer_string(w, B("n"), B("12345"), -1) == EP_OK;
    ok &= ep_rdb_writer_commit(w, NULL) == EP_OK;
    return ok;
}

EPT_CASE(rdb_info_verify_dump) {
    char rdb[600], out[600], args[1400], bad[600];
    uint8_t *d;
    size_t n;
    if (!ept_tool_ready()) return;
    ept_tool_file(rdb, sizeof rdb, "dump.rdb");
    ept_tool_file(out, sizeof out, "out.json");
    ept_tool_file(bad, sizeof bad, "bad.rdb");
    EPT_CHECK(write_rdb(rdb));
    snprintf(args, sizeof args, "info --json %s", rdb);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'redis_rdb' and d['version'] == 10, d\n"
                               "assert d['keys'] == 6 and d['databases'] == 2 and d['functions'] == 1, d\n"
                               "assert d['by_type'] == {'string': 2, 'list': 1, 'set': 1, 'zset': 1, 'hash': 1, "
                               "'stream': 0, 'module': 0}, d\n"
                               "assert d['expiring'] == 1 and d['end']['status'] == 'clean' and d['end']['crc'] == 'ok'"));
    snprintf(args, sizeof args, "verify --json %s", rdb);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'clean' and d['end']['count'] == 6, d"));
    snprintf(args, sizeof args, "dump --json %s", rdb);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out,
                          "k = {(x['db'], x['key']): x for x in d['keys']}\n"
                          "assert len(k) == 6, k\n"
                          "s = k[(0, 's')]\n"
                          "assert s['type'] == 'string' and s['value'] == 'hello' and s['expire_ms'] == 4102444800123, s\n"
                          "assert k[(0, 'l')]['value'] == ['a', 'b', 'a'] and k[(0, 'l')]['expire_ms'] is None\n"
                          "assert k[(0, 'set')]['value'] == ['a', 'b', 'c']\n"
                          "assert k[(0, 'h')]['value'] == [{'field': 'a', 'value': '1'}, {'field': 'b', 'value': '2'}, "
                          "{'field': 'c', 'value': '3'}]\n"
                          "z = k[(0, 'z')]['value']\n"
                          "assert [m['member'] for m in z] == ['a', 'b', 'c'] and [m['score'] for m in z] == [-2.5, 1, 1e300], z\n"
                          "assert all(type(m['score']) in (int, float) for m in z)\n"
                          "assert k[(7, 'n')]['value'] == '12345'\n"
                          "assert d['functions'] == 1 and d['aux']['ctime'] == '1700000000', d['aux']\n"
                          "assert d['end']['status'] == 'clean'"));
    /* text forms exit the same way */
    snprintf(args, sizeof args, "dump %s", rdb);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "info %s", rdb);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
    d = ept_read_file(rdb, &n);
    EPT_CHECK(d && n > 40);
    /* truncated: 2, with the offset */
    EPT_CHECK(ept_write_file(bad, d, n - 3) == 0);
    snprintf(args, sizeof args, "verify --json %s", bad);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'error' and d['end']['error'] == 'eof' and "
                               "d['end']['offset'] <= " "10000, d"));
    /* one flipped bit in a value: the CRC-64 catches it */
    d[n - 20] ^= 0x01;
    EPT_CHECK(ept_write_file(bad, d, n) == 0);
    d[n - 20] ^= 0x01;
    snprintf(args, sizeof args, "verify --json %s", bad);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    snprintf(args, sizeof args, "dump --json %s", bad);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'error', d['end']"));
    /* bytes after the trailer: readable with a warning */
    {
        uint8_t *e = (uint8_t *)malloc(n + 2);
        memcpy(e, d, n);
        e[n] = 'x', e[n + 1] = 'y';
        EPT_CHECK(ept_write_file(bad, e, n + 2) == 0);
        free(e);
    }
    snprintf(args, sizeof args, "verify --json %s", bad);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'trailing' and d['end']['trailing_bytes'] == 2, d"));
    free(d);
}

/* Shard 0 in dir: one key of each type, a ttl, and a vector set (no Redis type). */
static int write_shard(const char *dir) {
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_aof_record rec;
    ep_buf scratch;
    ep_bytes m[2], v[2];
    double sc[2] = {1.5, 2};
    static const float vec[2] = {0.5f, 1.0f};
    char path[700];
    int ok;
    snprintf(path, sizeof path, "%s/shard-0.aof", dir);
    ep_aof_writer_config_init(&c);
    c.create_dir = 1;
    if (ep_aof_writer_open(path, &c, &w, NULL) != EP_OK) return 0;
    ep_buf_init(&scratch, NULL);
    m[0] = B("x"), m[1] = B("y"), v[0] = B("1"), v[1] = B("2");
    ok = ep_aof_set(w, B("str"), B("value"), -1) == EP_OK;
    ok &= ep_aof_append(w, (ep_aof_rec_rpush(&rec, &scratch, B("list"), m, 2), &rec)) == EP_OK;
    ok &= ep_aof_append(w, (ep_aof_rec_hset(&rec, &scratch, B("hash"), m, v, 2), &rec)) == EP_OK;
    ok &= ep_aof_append(w, (ep_aof_rec_sadd(&rec, &scratch, B("set"), m, 2), &rec)) == EP_OK;
    ok &= ep_aof_append(w, (ep_aof_rec_zadd(&rec, &scratch, B("zset"), sc, m, 2), &rec)) == EP_OK;
    ok &= ep_aof_append(w, (ep_aof_rec_pexpireat(&rec, B("str"), DEADLINE), &rec)) == EP_OK;
    ok &= ep_aof_append(w, (ep_aof_rec_vadd(&rec, &scratch, B("vec"), B("e"), vec, 2, 0, 0, 16, 64), &rec)) == EP_OK;
    ok &= ep_aof_writer_close(w) == EP_OK;
    ep_buf_free(&scratch);
    return ok;
}

EPT_CASE(convert_shard_rdb_resp_aof_and_back) {
    char dir[600], rdb[600], aof[600], out[600], args[2000], dst[600];
    ep_recover_result res;
    ep_recover_config rc;
    const ep_ks_entry *e;
    uint8_t *d;
    size_t n;
    if (!ept_tool_ready()) return;
    ept_tool_file(dir, sizeof dir, "shard");
    ept_tool_file(rdb, sizeof rdb, "out.rdb");
    ept_tool_file(aof, sizeof aof, "out.aof");
    ept_tool_file(out, sizeof out, "out.json");
    ept_tool_file(dst, sizeof dst, "back");
    EPT_CHECK(write_shard(dir));
    /* ember -> RDB: the vector set is listed, exit 1 */
    snprintf(args, sizeof args, "convert --to rdb %s:0 %s --json --db 2", dir, rdb);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
    EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'rdb' and d['keys'] == 6 and d['converted'] == 5, d\n"
                               "assert d['unmapped'] == [{'db': 2, 'key': 'vec', 'kind': 'vector', 'why': 'vector'}], d\n"
                               "assert d['unmapped_count'] == 1 and d['unmapped_by_reason'] == {'vector': 1}, d\n"
                               "assert d['bytes'] > 0 and d['aof_torn'] is False"));
    snprintf(args, sizeof args, "dump --json %s", rdb);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "k = {x['key']: x for x in d['keys']}\n"
                               "assert sorted(k) == ['hash', 'list', 'set', 'str', 'zset'], k\n"
                               "assert all(x['db'] == 2 for x in d['keys'])\n"
                               "assert k['str']['value'] == 'value' and k['str']['expire_ms'] == 4102444800123\n"
                               "assert k['list']['value'] == ['x', 'y']\n"
                               "assert k['zset']['value'] == [{'member': 'x', 'score': 1.5}, {'member': 'y', 'score': 2}]"));
    EPT_CHECK_EQ(tmp_left(), 0);
    /* an existing destination is never overwritten */
    snprintf(args, sizeof args, "convert --to rdb %s:0 %s", dir, rdb);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 73);
    /* RDB -> ember: database 2 alone, into shard 5; it recovers to the same keys */
    snprintf(args, sizeof args, "convert --to ember %s %s:5 --db 2 --json", rdb, dst);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'ember' and d['converted'] == 5 and d['shards'] == 1, d\n"
                               "assert d['unmapped'] == [] and d['unmapped_count'] == 0"));
    ep_recover_config_init(&rc);
    EPT_CHECK_OK(ep_recover_shard(dst, 5, &rc, &res, NULL));
    EPT_CHECK(res.snapshot_loaded);
    EPT_CHECK_EQ(ep_keyspace_count(res.keyspace), 5);
    e = ep_keyspace_get(res.keyspace, "str", 3);
    EPT_CHECK(e && ep_ks_entry_ttl(e) > 0);
    e = ep_keyspace_get(res.keyspace, "zset", 4);
    EPT_CHECK(e && ep_ks_entry_type(e) == EP_TYPE_ZSET && ep_ks_entry_len(e) == 2);
    ep_recover_result_free(&res);
    snprintf(args, sizeof args, "convert --to ember %s %s:5 --db 2", rdb, dst);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 73); /* the shard exists now */
    snprintf(args, sizeof args, "convert --to ember %s %s:3", rdb, dst);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 73); /* every database: db 2 -> shard 3 + 2, which exists */
    /* ember -> RESP AOF */
    snprintf(args, sizeof args, "convert --to resp-aof %s:0 %s --json", dir, aof);
    {
        char errf[600], *msg;
        int rc;
        ept_tool_file(errf, sizeof errf, "err.txt");
        rc = ept_tool_run(args, out, errf);
        if (rc != 1 && (msg = (char *)ept_read_file(errf, &n)) != NULL) {
            fprintf(stderr, "    %.*s", (int)n, msg);
            free(msg);
        }
        EPT_CHECK_EQ(rc, 1);
    }
    EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'resp-aof' and d['converted'] == 5 and d['commands'] == 7, d\n"
                               "assert d['unmapped'][0]['key'] == 'vec'"));
    {
        char tmp[700];
        snprintf(tmp, sizeof tmp, "%s.tmp", aof);
        EPT_CHECK(absent(tmp)); /* DST.tmp was renamed into place */
        EPT_CHECK_EQ(tmp_left(), 0);
    }
    d = ept_read_file(aof, &n);
    EPT_CHECK(d && n > 20 && memcmp(d, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", 23) == 0);
    {
        ep_probe_info pi;
        EPT_CHECK_OK(ep_probe_path(NULL, aof, &pi, NULL));
        EPT_CHECK(pi.kind == EP_PROBE_REDIS_AOF && pi.header_ok);
    }
    /* the tool reads it back: verify clean, dump gives every command's argv */
    snprintf(args, sizeof args, "verify --json %s", aof);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'redis_aof' and d['commands'] == 7 and d['end']['status'] == 'clean', d"));
    snprintf(args, sizeof args, "dump --json %s", aof);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "a = [c['argv'] for c in d['commands']]\n"
                               "assert a[0] == ['SELECT', '0'], a\n"
                               "assert ['RPUSH', 'list', 'x', 'y'] in a and ['SET', 'str', 'value'] in a, a\n"
                               "assert ['PEXPIREAT', 'str', '4102444800123'] in a, a\n"
                               "assert ['ZADD', 'zset', '1.5', 'x', '2', 'y'] in a, a"));
    {
        char cut[600];
        ept_tool_file(cut, sizeof cut, "cut.aof");
        EPT_CHECK(ept_write_file(cut, d, n - 5) == 0); /* the last command cut short */
        snprintf(args, sizeof args, "verify --json %s", cut);
        EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
        EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'torn' and d['end']['count'] == 6, d\n"
                                   "assert d['end']['offset'] + d['end']['tail_bytes'] == d['size'], d"));
        memcpy(d + 23, "xx", 2); /* damage in the second command */
        EPT_CHECK(ept_write_file(cut, d, n) == 0);
        snprintf(args, sizeof args, "verify --json %s", cut);
        EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
        EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'error' and d['end']['offset'] >= 23, d"));
    }
    free(d);
    if (ept_have_program("redis-check-aof")) {
        char cmd[800];
        snprintf(cmd, sizeof cmd, "redis-check-aof '%s' >/dev/null 2>&1", aof);
        EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
    }
    /* ember -> appendonlydir/: base RDB, empty incr, manifest */
    {
        char aod[600], mf[700];
        ep_probe_info pi;
        ept_tool_file(aod, sizeof aod, "appendonlydir");
        snprintf(args, sizeof args, "convert --to aof-dir %s:0 %s --json", dir, aod);
        EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
        EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'aof-dir' and d['converted'] == 5 and d['unmapped_count'] == 1, d"));
        EPT_CHECK_OK(ep_probe_path(NULL, aod, &pi, NULL));
        EPT_CHECK_EQ(pi.kind, EP_PROBE_REDIS_AOF_DIR);
        EPT_CHECK_EQ(tmp_left_in(aod), 0);
        EPT_CHECK_EQ(tmp_left(), 0);
        snprintf(mf, sizeof mf, "%s/appendonly.aof.manifest", aod);
        d = ept_read_file(mf, &n);
        EPT_CHECK(d && n == 88 && memcmp(d, "file appendonly.aof.1.base.rdb seq 1 type b\n", 44) == 0);
        free(d);
        snprintf(args, sizeof args, "verify %s/appendonly.aof.1.base.rdb", aod);
        EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
        snprintf(args, sizeof args, "convert --to aof-dir %s:0 %s", dir, aod);
        EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 73);
        /* the tool reads the directory back: the manifest, the base's keys, the empty incr */
        snprintf(args, sizeof args, "verify --json %s", aod);
        EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
        EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'redis_aof_dir' and d['manifest'] == 'appendonly.aof.manifest', d\n"
                                   "assert [f['type'] for f in d['manifest_files']] == ['b', 'i'], d\n"
                                   "assert d['files'][0]['kind'] == 'redis_rdb' and d['files'][0]['keys'] == 5, d\n"
                                   "assert d['files'][1]['commands'] == 0 and d['end']['status'] == 'clean', d"));
        snprintf(args, sizeof args, "dump --json %s", aod);
        EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
        EPT_CHECK(ept_tool_py(out, "assert sorted(k['key'] for k in d['files'][0]['keys']) == "
                                   "['hash', 'list', 'set', 'str', 'zset'], d"));
        /* a manifest whose last line has no newline: Redis refuses it, so do we */
        d = (uint8_t *)"file appendonly.aof.1.base.rdb seq 1 type b";
        EPT_CHECK(ept_write_file(mf, d, strlen((const char *)d)) == 0);
        snprintf(args, sizeof args, "verify %s", aod);
        EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 2);
    }
    /* ember -> WAL -> ember: everything maps, the vector set too */
    {
        char wal[600], back2[600];
        ept_tool_file(wal, sizeof wal, "wal");
        ept_tool_file(back2, sizeof back2, "back2");
        snprintf(args, sizeof args, "convert --to wal %s:0 %s --json", dir, wal);
        EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
        EPT_CHECK(ept_tool_py(out, "assert d['kind'] == 'wal' and d['keys'] == 6 and d['unmapped_count'] == 0, d\n"
                                   "assert d['records'] == 7 and d['first_id'] == 1 and d['last_id'] == 7, d"));
        EPT_CHECK_EQ(tmp_left(), 0);
        {
            char stage[700];
            snprintf(stage, sizeof stage, "%s.tmp", wal);
            EPT_CHECK(absent(stage)); /* the tool removes the emptied staging directory */
        }
        snprintf(args, sizeof args, "wal-verify %s", wal);
        EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
        snprintf(args, sizeof args, "convert --to wal %s:0 %s", dir, wal);
        EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 73);
        snprintf(args, sizeof args, "convert --to ember %s %s:0 --json", wal, back2);
        EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
        EPT_CHECK(ept_tool_py(out, "assert d['keys'] == 6 and d['records'] == 7 and d['record_warnings'] == 0, d"));
        EPT_CHECK_OK(ep_recover_shard(back2, 0, &rc, &res, NULL));
        EPT_CHECK_EQ(ep_keyspace_count(res.keyspace), 6);
        e = ep_keyspace_get(res.keyspace, "vec", 3);
        EPT_CHECK(e && ep_ks_entry_type(e) == EP_TYPE_VECTOR && ep_ks_entry_len(e) == 1);
        e = ep_keyspace_get(res.keyspace, "str", 3);
        EPT_CHECK(e && ep_ks_entry_ttl(e) > 0);
        ep_recover_result_free(&res);
    }
    /* a damaged shard is refused */
    {
        char p[700];
        snprintf(p, sizeof p, "%s/shard-0.aof", dir);
        d = ept_read_file(p, &n);
        EPT_CHECK(d && n > 30);
        d[n / 2] ^= 0xff;
        EPT_CHECK(ept_write_file(p, d, n) == 0);
        free(d);
    }
    ept_tool_file(rdb, sizeof rdb, "out2.rdb");
    snprintf(args, sizeof args, "convert --to rdb %s:0 %s", dir, rdb);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 2);
    snprintf(args, sizeof args, "convert --to rdb %s %s", dir, rdb);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 64);
    EPT_CHECK(absent(rdb)); /* the refused converts left nothing */
    EPT_CHECK_EQ(tmp_left(), 0);
}

/* A directory redis-server 7 wrote itself (appendonly yes): its base, and
 * an incr holding the writes; then the incr cut short: readable, exit 1. */
EPT_CASE(redis_server_appendonlydir) {
    ept_redis r;
    char rdir[600], aod[700], out[600], args[1600], incr[800], cmd[900];
    uint8_t *d;
    size_t n;
    if (!ept_tool_ready() || !ept_need_redis()) return;
    ept_tool_file(rdir, sizeof rdir, "redis");
    ept_tool_file(out, sizeof out, "out.json");
    snprintf(aod, sizeof aod, "%s/appendonlydir", rdir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", rdir);
    EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
    EPT_CHECK(ept_redis_start(&r, rdir, "--appendonly yes --appenddirname appendonlydir --appendfsync always", 10000) == 0);
    {
        char o[128];
        if (ept_redis_cmdv(&r, o, sizeof o, "SET", "a", "1", (const char *)NULL) ||
            ept_redis_cmdv(&r, o, sizeof o, "RPUSH", "l", "x", "y", (const char *)NULL) ||
            ept_redis_cmdv(&r, o, sizeof o, "SET", "b", "2", (const char *)NULL)) {
            ept_redis_stop(&r);
            EPT_CHECK(0);
        }
    }
    ept_redis_stop(&r);
    snprintf(args, sizeof args, "verify --json %s", aod);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'clean', d\n"
                               "assert d['files'][0]['kind'] == 'redis_rdb' and d['files'][-1]['kind'] == 'redis_aof', d\n"
                               "assert d['files'][-1]['commands'] >= 3, d"));
    snprintf(args, sizeof args, "dump --json %s", aod);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "a = [c['argv'] for c in d['files'][-1]['commands']]\n"
                               "assert ['SET', 'a', '1'] in a and ['RPUSH', 'l', 'x', 'y'] in a and ['SET', 'b', '2'] in a, a"));
    snprintf(incr, sizeof incr, "%s/appendonly.aof.1.incr.aof", aod);
    d = ept_read_file(incr, &n);
    EPT_CHECK(d && n > 10);
    EPT_CHECK(ept_write_file(incr, d, n - 4) == 0);
    free(d);
    snprintf(args, sizeof args, "verify --json %s", aod);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['status'] == 'torn' and d['files'][-1]['end']['status'] == 'torn', d"));
}

EPT_MAIN()
