/* Acceptance tests of the ember-persist tool (issue 12): the built program
 * ($EP_CLI or build/ember-persist) run on the golden shard
 * (tests/data/golden), on damaged copies (every cut of an AOF, a bit flip in
 * every byte, every zeroed 4 KiB page) and on the encrypted golden shard.
 * Exit codes as documented; every --json document parsed by python3 (with
 * duplicate keys refused) and checked field by field; backups byte-identical
 * to the input; repaired files keep every byte before the damage.
 *
 * Rows of tables run through one runner (tests/support/run_cmd.h: timeout,
 * stdout, stderr, exit code); the python checks of a case run in one batch. */
/* 64-bit readdir on 32-bit targets (find_backup): glibc's plain readdir
 * fails with EOVERFLOW once a d_off does not fit 32 bits, as ext4's 64-bit
 * hash cookies do under qemu-user armhf, and no backup would be found. */
#if !defined(_WIN32) && !defined(_FILE_OFFSET_BITS)
#define _FILE_OFFSET_BITS 64
#endif
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"
#include "support/run_cmd.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN "tests/data/golden"
#define TIMEOUT_MS 60000


static char D[600]; /* this case's directory: p/ (plain golden copy), e/ (encrypted), key files */

/* Copies src to dst; 1 on success. */
static int copy_file(const char *src, const char *dst) {
    size_t n = 0;
    uint8_t *b = ept_read_file(src, &n);
    int ok = b && ept_write_file(dst, b, n) == 0;
    free(b);
    return ok;
}

static int file_is(const char *path, const uint8_t *want, size_t n) {
    size_t got_n = 0;
    uint8_t *got = ept_read_file(path, &got_n);
    int ok = got && got_n == n && (n == 0 || memcmp(got, want, n) == 0);
    free(got);
    return ok;
}

/* Skips (and returns 0) without the tool, python3 or the golden files;
 * otherwise makes D with the copies and the key files. */
static int setup(void) {
    static const char *names[] = {"shard-0.aof", "shard-0.snap"};
    char src[700], dst[700], hex[65];
    const char *sets[] = {"plain", "enc"}, *sub[] = {"p", "e"};
    ept_cmd_out o;
    int i, j;
    snprintf(D, sizeof D, "%s", ept_tmpdir());
    if (!ept_cmd_supported()) {
        ept_skip("running the tool needs fork/exec (POSIX)");
        return 0;
    }
    if (ept_run_line(ept_cli_path(), TIMEOUT_MS, &o) != 64) { /* no command: usage, 64 */
        char why[700];
        snprintf(why, sizeof why, "%s is not built (make)", ept_cli_path());
        ept_cmd_out_free(&o);
        ept_skip(why);
        return 0;
    }
    ept_cmd_out_free(&o);
    if (!ept_have_python()) {
        ept_skip("python3 is not installed: the JSON checks need it");
        return 0;
    }
    for (i = 0; i < 2; i++) {
        snprintf(dst, sizeof dst, "%s/%s", D, sub[i]);
        {
            ep_vfs os;
            if (ep_vfs_os_init(&os) != EP_OK || os.mkdir(&os, dst, NULL) != EP_OK) return 0;
        }
        for (j = 0; j < 2; j++) {
            snprintf(src, sizeof src, "%s/%s/%s", GOLDEN, sets[i], names[j]);
            snprintf(dst, sizeof dst, "%s/%s/%s", D, sub[i], names[j]);
            if (!copy_file(src, dst)) {
                ept_skip("tests/data/golden is missing");
                return 0;
            }
        }
    }
    /* the golden key: bytes 0x40, 0x41 ... 0x5f (test_golden.c) */
    for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", 0x40 + i);
    snprintf(dst, sizeof dst, "%s/key.hex", D);
    ept_write_file(dst, hex, 64);
    for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", 0x90 + i);
    snprintf(dst, sizeof dst, "%s/wrong.hex", D);
    ept_write_file(dst, hex, 64);
    snprintf(dst, sizeof dst, "%s/bad.key", D);
    ept_write_file(dst, "not a key", 9);
    return 1;
}

/* "$D" in t becomes the case's directory. */
static void expand(const char *t, char *out, size_t cap) {
    size_t n = 0;
    for (; *t && n + 1 < cap; t++) {
        if (t[0] == '$' && t[1] == 'D') {
            n += (size_t)snprintf(out + n, cap - n, "%s", D);
            if (n >= cap) n = cap - 1;
            t++;
        } else {
            out[n++] = *t;
        }
    }
    out[n] = 0;
}

/* Runs the tool with args ($D expanded). */
static int tool_run(const char *args, ept_cmd_out *o) {
    char line[4096], a[3500];
    expand(args, a, sizeof a);
    snprintf(line, sizeof line, "%s %s", ept_cli_path(), a);
    return ept_run_line(line, TIMEOUT_MS, o);
}

static void p_(char *out, size_t cap, const char *rel) {
    char t[600];
    snprintf(t, sizeof t, "$D/%s", rel);
    expand(t, out, cap);
}

/* One row: the arguments, the exit code, the python block on the JSON
 * stdout (NULL: not JSON), and text stdout must contain (NULL: anything). */
typedef struct row {
    const char *args;
    int exit;
    const char *py;
    const char *text;
} row;

/* Runs the rows; the python blocks go into p. */
static void run_rows(const row *rows, size_t n, ept_py *p) {
    size_t i;
    for (i = 0; i < n; i++) {
        ept_cmd_out o;
        int rc = tool_run(rows[i].args, &o);
        if (rc != rows[i].exit) {
            printf("    ember-persist %s: exit %d, expected %d\n    stdout: %.600s\n    stderr: %.600s\n", rows[i].args,
                   rc, rows[i].exit, o.out, o.err);
            EPT_EXPECT(rc == rows[i].exit);
        }
        if (o.timed_out) EPT_EXPECT(!o.timed_out);
        if (rows[i].py) ept_py_add(p, rows[i].args, o.out, o.out_len, rows[i].py);
        if (rows[i].text && !strstr(o.out, rows[i].text)) {
            printf("    ember-persist %s: stdout lacks '%s':\n%.800s\n", rows[i].args, rows[i].text, o.out);
            EPT_EXPECT(0);
        }
        ept_cmd_out_free(&o);
    }
}

static void run_py(ept_py *p) {
    int failed = ept_py_run(p);
    if (failed != 0) printf("    %d python checks failed\n", failed);
    EPT_EXPECT(failed == 0);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- every command: help, usage, missing inputs -------------------------- */

static const char *const commands[] = {"probe", "info",  "verify",  "dump",  "recover", "keygen",   "repair",   "compact",
                                       "encrypt", "decrypt", "rekey", "stats",   "bench",    "convert",  "wal-info",
                                       "wal-verify", "wal-dump", "checkpoint-info"};

EPT_CASE(help_on_every_command) {
    size_t i;
    int h;
    if (!setup()) return;
    for (i = 0; i < N_OF(commands); i++) {
        for (h = 0; h < 2; h++) {
            char args[200], want[200];
            ept_cmd_out o;
            int rc;
            snprintf(args, sizeof args, "%s %s", commands[i], h ? "-h" : "--help");
            rc = tool_run(args, &o);
            snprintf(want, sizeof want, "usage: ember-persist %s ", commands[i]);
            if (rc != 0 || strncmp(o.out, want, strlen(want)) != 0 || o.err_len != 0 || !strstr(o.out, "exit codes")) {
                printf("    %s: exit %d, stdout '%.200s', stderr '%.200s'\n", args, rc, o.out, o.err);
                EPT_EXPECT(0);
            }
            ept_cmd_out_free(&o);
        }
        if (strcmp(commands[i], "bench") != 0) { /* bench without arguments runs */
            ept_cmd_out o;
            char want[200];
            int rc = tool_run(commands[i], &o);
            snprintf(want, sizeof want, "usage: ember-persist %s ", commands[i]);
            if (rc != 64 || o.out_len != 0 || !strstr(o.err, want)) {
                printf("    %s without arguments: exit %d, stderr '%.300s'\n", commands[i], rc, o.err);
                EPT_EXPECT(0);
            }
            ept_cmd_out_free(&o);
        }
    }
}

EPT_CASE(usage_and_missing_inputs) {
    static const row rows[] = {
        {"", 64, NULL, NULL},
        {"--help", 0, NULL, "commands:"},
        {"help", 0, NULL, "commands:"},
        {"--version", 0, NULL, "ember-persist "},
        {"frobnicate x", 64, NULL, NULL},
        {"verify --bogus $D/p/shard-0.aof", 64, NULL, NULL},
        {"verify $D/p/shard-0.aof $D/p/shard-0.snap", 64, NULL, NULL},
        {"verify $D/none.aof", 66, NULL, NULL},
        {"info $D/none.aof", 66, NULL, NULL},
        {"dump $D/none.aof", 66, NULL, NULL},
        {"verify $D/p", 66, NULL, NULL},
        {"verify $D/e/shard-0.aof --key-file $D/none.key", 66, NULL, NULL},
        {"verify $D/e/shard-0.aof --key-file $D/bad.key", 64, NULL, NULL},
        {"verify $D/e/shard-0.aof --key-file", 64, NULL, NULL},
        {"recover $D/p", 64, NULL, NULL},
        {"recover $D/p x", 64, NULL, NULL},
        {"recover $D/p 70000", 64, NULL, NULL},
        {"recover $D/none 0", 66, NULL, NULL},
        {"recover $D/p/shard-0.aof 0", 66, NULL, NULL},
        {"repair $D/p/shard-0.aof --salvage", 64, NULL, NULL},
        {"repair $D/none.aof", 66, NULL, NULL},
        {"repair $D/p/shard-0.snap", 2, NULL, NULL},
        {"compact $D/p", 64, NULL, NULL},
        {"encrypt $D/p 0", 64, NULL, NULL},
        {"rekey $D/e 0 --key-file $D/key.hex", 64, NULL, NULL},
        {"encrypt $D/e 0 --key-file $D/key.hex", 64, NULL, NULL},
        {"decrypt $D/p 0 --key-file $D/key.hex", 64, NULL, NULL},
        {"encrypt $D/none 0 --key-file $D/key.hex", 66, NULL, NULL},
        {"keygen", 64, NULL, NULL},
        {"keygen $D/no/such/dir/k.key", 66, NULL, NULL},
        {"stats $D/none.aof", 66, NULL, NULL},
        {"bench --records 0", 64, NULL, NULL},
    };
    ept_py p;
    if (!setup()) return;
    EPT_CHECK(ept_py_begin(&p, D));
    run_rows(rows, N_OF(rows), &p);
    run_py(&p);
}

/* ---- the golden shard, plaintext and encrypted ---------------------------- */

#define AOF_OPS "['SET','SET','INCRBY','DECRBY','RPUSH','LPUSH','ZADD','HSET','HINCRBY','SADD','VADD','PEXPIREAT','SETRANGE','LSET','DEL']"
#define AOF_OFFSETS "[5,39,65,83,101,138,160,218,258,285,319,365,388,415,444]"
#define SNAP_KEYS "['k','ttl','l','z','h','s','p','vec']"
#define RECOVERED_KEYS "['h','k','l','list','n','p','s','temp','ttl','user:1','v','vec','z']"

static const char py_info_aof[] =
    "assert d['kind']=='aof' and d['version']==2 and d['encrypted']==False and d['size']==457 and d['count']==15\n"
    "assert d['end']=={'status':'clean','count':15,'offset':457}\n";
static const char py_info_snap[] =
    "assert d['kind']=='snapshot' and d['version']==2 and d['encrypted']==False and d['size']==342\n"
    "assert d['shard']==0 and d['entry_count']==8 and d['count']==8\n"
    "assert d['end']=={'status':'clean','count':8,'offset':342,'footer_offset':338,'trailer_bytes':0}\n";
static const char py_dump_aof[] =
    "r=d['records']\nassert [x['op'] for x in r]==" AOF_OPS "\n"
    "assert [x['offset'] for x in r]==" AOF_OFFSETS "\n"
    "assert [x['index'] for x in r]==list(range(15))\n"
    "assert r[0]=={'offset':5,'index':0,'tag':1,'op':'SET','key':'user:1','value':'ada \\u2713','expire_ms':-1}\n"
    "assert r[1]['expire_ms']==123456789 and r[2]['delta']==-9000000000 and r[3]['delta']==7\n"
    "assert r[4]['values']==['a','bb','\\u00e9t\\u00e9'] and r[5]['values']==['a']\n"
    "assert r[6]['members']==[{'score':-1.5,'member':'a'},{'score':0,'member':'bb'},{'score':3.141592653589793,'member':'\\u00e9t\\u00e9'}]\n"
    "assert r[7]['fields']==[{'field':'a','value':'bb'},{'field':'bb','value':'\\u00e9t\\u00e9'}]\n"
    "assert r[8]['field']=='count' and r[8]['delta']==1<<40\n"
    "assert r[10]['element']=='e1' and r[10]['dim']==4 and r[10]['vector']==[0.25,-1.0,1.00000001e-07,65504.0]\n"
    "assert r[11]['unix_ms']==4102444800000\n"
    "assert r[12]['byte_offset']==3 and r[12]['value']=='yz' and r[13]['list_index']==-1 and r[13]['value']=='last'\n"
    "assert r[14]=={'offset':444,'index':14,'tag':2,'op':'DEL','key':'gone'}\n"
    "assert d['end']=={'status':'clean','count':15,'offset':457}\n";
static const char py_dump_snap[] =
    "e=d['entries']\nassert [x['key'] for x in e]==" SNAP_KEYS "\n"
    "assert [x['type'] for x in e]==['string','string','list','zset','hash','set','proto','vector']\n"
    "assert e[0]['value']=='v' and e[1]['expire_ms']==86400000 and e[2]['items']==['m1','m2','\\U0001f4be']\n"
    "assert e[3]['members'][2]=={'score':1e300,'member':'\\U0001f4be'}\n"
    "assert e[6]['type_name']=='pkg.Msg' and e[6]['data']=='\\x08\\x96\\x01'\n"
    "assert e[7]['dim']==3 and e[7]['elements'][0]=={'name':'m1','vector':[1.0,0.5,-0.5]}\n"
    "assert d['end']['status']=='clean' and d['end']['count']==8\n";
static const char py_recover[] =
    "assert d['snapshot']['present'] and d['snapshot']['loaded'] and d['snapshot']['entries']==8\n"
    "a=d['aof']\nassert a['present'] and a['replayed'] and a['end']=='clean' and a['records_read']==15\n"
    "assert a['records_applied']==15 and a['good_offset']==a['good_offset']\n"
    "k={x['key']:x for x in d['keys']}\nassert [x['key'] for x in d['keys']]==" RECOVERED_KEYS "\n"
    "assert k['n']['value']=='-9000000007' and k['list']['value']==['a','a','bb','last']\n"
    "assert k['temp']['value']=='x\\x00\\x00yz' and k['h']['value']['count']=='1099511627776'\n"
    "assert k['k']['ttl_ms']==-1 and 0<k['ttl']['ttl_ms']<=86400000\n";
static const char py_stats[] =
    "assert d['records']['total']==15 and d['keys']['total']==13 and d['keys']['expiring']==3\n"
    "t={x['op']:x['count'] for x in d['records']['by_tag']}\nassert t['SET']==2 and sum(t.values())==15\n"
    "assert sum(x['count'] for x in d['keys']['by_type'])==13 and d['keys']['max_key_len']==6\n"
    "assert len(d['files'])==2\n";
static const char py_repair_nothing[] =
    "assert d['action']=='nothing' and d['written']==False and d['backup'] is None and d['regions']==[]\n"
    "assert d['records_before']==15 and d['records_kept']==15 and d['records_dropped']==0 and d['new_size']==d['size']\n";

EPT_CASE(golden_plaintext) {
    static const row rows[] = {
        {"info --json $D/p/shard-0.aof", 0, py_info_aof, NULL},
        {"info --json $D/p/shard-0.snap", 0, py_info_snap, NULL},
        {"info $D/p/shard-0.aof", 0, NULL, "records:   15"},
        {"verify --json $D/p/shard-0.aof", 0, "assert d['end']=={'status':'clean','count':15,'offset':457}", NULL},
        {"verify --json $D/p/shard-0.snap", 0, "assert d['end']['status']=='clean' and d['end']['count']==8", NULL},
        {"verify $D/p/shard-0.aof", 0, NULL, "clean: 15 records"},
        {"dump --json $D/p/shard-0.aof", 0, py_dump_aof, NULL},
        {"dump --json $D/p/shard-0.snap", 0, py_dump_snap, NULL},
        {"dump --json --base64 $D/p/shard-0.aof", 0,
         "r=d['records']\nassert base64.b64decode(r[0]['key'])==b'user:1'\n"
         "assert base64.b64decode(r[0]['value'])=='ada \\u2713'.encode()\n", NULL},
        {"dump $D/p/shard-0.aof", 0, NULL, "# end: clean"},
        {"recover $D/p 0 --json", 0, py_recover, NULL},
        {"recover $D/p 0 --json", 0, "assert d['aof']['good_offset']==457", NULL},
        {"stats $D/p 0 --json", 0, py_stats, NULL},
        {"stats $D/p/shard-0.aof --json", 0, "assert d['records']['total']==15", NULL},
        {"stats $D/p 0", 0, NULL, NULL},
        {"repair $D/p/shard-0.aof --json", 0, py_repair_nothing, NULL},
        {"repair $D/p 0 --json --dry-run", 0, py_repair_nothing, NULL},
        {"repair $D/p 0", 0, NULL, "clean: 15 records, nothing to repair"},
        {"probe --json $D/p/shard-0.aof", 0,
         "assert d['kind']=='ember_aof' and d['kind_id']==10 and d['version']==2 and d['header_ok'] and not d['encrypted']\n"
         "assert d['size']==457 and d['is_dir']==False\n", NULL},
        {"probe --json $D/p/shard-0.snap", 0,
         "assert d['kind']=='ember_snapshot' and d['shard']==0 and d['entry_count']==8 and d['size']==342", NULL},
        {"probe --json $D/p", 0, "assert d['kind']=='ember_dir' and d['is_dir'] and d['shard_count']==1", NULL},
        {"probe --json $D/e/shard-0.aof", 0, "assert d['kind']=='ember_aof' and d['version']==3 and d['encrypted']", NULL},
        {"probe $D/p/shard-0.aof", 0, NULL, "ember_aof v2, plaintext, 457 bytes"},
        {"probe --json $D/bad.key", 2, "assert d['kind']=='unknown' and d['size']==9", NULL},
        {"probe --json $D/none", 66, "assert d['error']=='not_found'", NULL},
    };
    ept_py p;
    char aof[700], snap[700];
    size_t an = 0, sn = 0;
    uint8_t *a0, *s0;
    if (!setup()) return;
    p_(aof, sizeof aof, "p/shard-0.aof");
    p_(snap, sizeof snap, "p/shard-0.snap");
    a0 = ept_read_file(aof, &an);
    s0 = ept_read_file(snap, &sn);
    EPT_CHECK(a0 && s0);
    EPT_CHECK(ept_py_begin(&p, D));
    run_rows(rows, N_OF(rows), &p);
    run_py(&p);
    /* none of these wrote anything */
    EPT_EXPECT(file_is(aof, a0, an) && file_is(snap, s0, sn));
    free(a0);
    free(s0);
}

static const char py_enc_locked[] =
    "assert d['encrypted']==True and d['version']==3 and d['count'] is None\n"
    "assert d['end']['error']=='encryption_required'\n";

EPT_CASE(golden_encrypted) {
    static const row rows[] = {
        {"info --json $D/e/shard-0.aof", 0, py_enc_locked, NULL},
        {"info --json $D/e/shard-0.snap", 0, py_enc_locked, NULL},
        {"info $D/e/shard-0.aof", 0, NULL, "unknown (encrypted; pass --key-file)"},
        {"info --json $D/e/shard-0.aof --key-file $D/key.hex", 0,
         "assert d['encrypted']==True and d['count']==15 and d['end']['status']=='clean'", NULL},
        {"verify --json $D/e/shard-0.aof", 2, "assert d['end']['error']=='encryption_required' and d['end']['count']==0", NULL},
        {"verify --json $D/e/shard-0.snap", 2, "assert d['end']['error']=='encryption_required'", NULL},
        {"verify --json $D/e/shard-0.aof --key-file $D/key.hex", 0,
         "assert d['end']=={'status':'clean','count':15,'offset':877}", NULL},
        {"verify --json $D/e/shard-0.snap --key-file $D/key.hex", 0,
         "assert d['end']['status']=='clean' and d['end']['count']==8", NULL},
        {"verify --json $D/e/shard-0.aof --key-file $D/wrong.hex", 2,
         "assert d['end']['error']=='decrypt' and d['end']['count']==0 and d['end']['offset']==5", NULL},
        {"verify --json $D/e/shard-0.snap --key-file $D/wrong.hex", 2,
         "assert d['end']['error']=='decrypt' and d['end']['index']==0 and d['end']['offset']==11", NULL},
        /* a key file for a plaintext file is ignored */
        {"verify --json $D/p/shard-0.aof --key-file $D/wrong.hex", 0, "assert d['end']['count']==15", NULL},
        {"recover $D/e 0 --json --key-file $D/key.hex", 0, py_recover, NULL},
        {"recover $D/e 0 --json --key-file $D/key.hex", 0, "assert d['aof']['good_offset']==877", NULL},
        {"recover $D/e 0 --json", 2, "assert d['keys']==[]", NULL},
        {"stats $D/e 0 --json --key-file $D/key.hex", 0, py_stats, NULL},
        {"stats $D/e 0 --json", 2, NULL, NULL},
        {"repair $D/e/shard-0.aof --json --key-file $D/key.hex", 0, py_repair_nothing, NULL},
    };
    ept_py p;
    ept_cmd_out a, b;
    if (!setup()) return;
    EPT_CHECK(ept_py_begin(&p, D));
    run_rows(rows, N_OF(rows), &p);
    /* the encrypted files hold the same records and entries as the plaintext ones */
    {
        static const char *pairs[][2] = {{"dump --json $D/p/shard-0.aof", "dump --json $D/e/shard-0.aof --key-file $D/key.hex"},
                                         {"dump --json $D/p/shard-0.snap", "dump --json $D/e/shard-0.snap --key-file $D/key.hex"}};
        size_t i;
        for (i = 0; i < 2; i++) {
            char block[600];
            int n;
            EPT_EXPECT(tool_run(pairs[i][0], &a) == 0);
            EPT_EXPECT(tool_run(pairs[i][1], &b) == 0);
            n = ept_py_add(&p, pairs[i][0], a.out, a.out_len, "pass");
            snprintf(block, sizeof block,
                     "k='records' if 'records' in d else 'entries'\n"
                     "strip=lambda L: [{f: v for f, v in x.items() if f != 'offset'} for x in L]\n"
                     "assert len(d[k]) in (8, 15) and strip(d[k])==strip(load(%d)[k])\n"
                     "assert d['version']==3 and load(%d)['version']==2\n",
                     n, n);
            ept_py_add(&p, pairs[i][1], b.out, b.out_len, block);
            ept_cmd_out_free(&a);
            ept_cmd_out_free(&b);
        }
    }
    run_py(&p);
}

static uint8_t *read_at(const char *rel, size_t *n);

/* ---- damage ---------------------------------------------------------------- */

/* The record boundaries of an AOF (ends[i] = end of record i; ends[-1] is
 * the header) through the library's reader. */
static int boundaries(const char *path, const ep_key *key, uint64_t *starts, uint64_t *ends, int cap) {
    ep_aof_reader_config c;
    ep_aof_reader *r = NULL;
    ep_aof_record rec;
    ep_aof_status st;
    int n = 0;
    ep_aof_reader_config_init(&c);
    c.key = key;
    if (ep_aof_reader_open(path, &c, &r, NULL) != EP_OK) return -1;
    for (;;) {
        ep_aof_reader_status(r, &st);
        if (n < cap) starts[n] = st.good_offset;
        if (ep_aof_reader_next(r, &rec) != EP_OK) break;
        ep_aof_reader_status(r, &st);
        if (n < cap) ends[n] = st.good_offset;
        n++;
    }
    ep_aof_reader_close(r);
    return n;
}

static ep_key *golden_key(void) {
    uint8_t raw[EP_KEY_SIZE];
    ep_key *k = NULL;
    int i;
    for (i = 0; i < EP_KEY_SIZE; i++) raw[i] = (uint8_t)(0x40 + i);
    return ep_key_create(raw, NULL, &k) == EP_OK ? k : NULL;
}

/* The backups repair wrote next to path (path.bak-*): how many, the name
 * of one in out. */
static int find_backup(const char *path, char *out, size_t cap, int remove_them) {
    char dir[700];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    DIR *d;
    struct dirent *e;
    int n = 0;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if ((d = opendir(dir)) == NULL) return 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".bak-", 5) != 0) continue;
        snprintf(out, cap, "%s/%s", dir, e->d_name);
        if (remove_them) remove(out);
        n++;
    }
    closedir(d);
    return n;
}

static void remove_backups(const char *path) {
    char name[1600];
    find_backup(path, name, sizeof name, 1);
}

/* repair (args after "repair --json FILE") on a damaged copy, input bytes
 * in: returns the exit code; checks that a written repair left a backup
 * byte-identical to the input, that no backup exists otherwise, and that
 * the repaired file starts with the original's first keep bytes. The JSON
 * goes to p with the python block. */
static int repair_check(ept_py *p, const char *file, const uint8_t *in, size_t in_len, const uint8_t *orig,
                        uint64_t keep, const char *opts, const char *label, const char *block) {
    char args[1600], bak[1600];
    ept_cmd_out o;
    int rc, has_bak;
    size_t n = 0;
    uint8_t *now;
    remove_backups(file);
    EPT_EXPECT(ept_write_file(file, in, in_len) == 0);
    snprintf(args, sizeof args, "repair --json %s %s", file, opts);
    rc = tool_run(args, &o);
    ept_py_add(p, label, o.out, o.out_len, block);
    has_bak = find_backup(file, bak, sizeof bak, 0);
    if (has_bak > 1) printf("    %s: %d backups\n", label, has_bak);
    EPT_EXPECT(has_bak <= 1);
    now = ept_read_file(file, &n);
    if (strstr(o.out, "\"written\": true")) {
        EPT_EXPECT(has_bak && file_is(bak, in, in_len));
        EPT_EXPECT(now && n >= keep && memcmp(now, orig, (size_t)keep) == 0);
        if (!(now && n >= keep && memcmp(now, orig, (size_t)keep) == 0))
            printf("    %s: the repaired file lost bytes before the damage (%zu bytes, %llu wanted)\n", label, n,
                   (unsigned long long)keep);
    } else {
        EPT_EXPECT(!has_bak);
        EPT_EXPECT(now && n == in_len && memcmp(now, in, n) == 0); /* unchanged */
    }
    free(now);
    ept_cmd_out_free(&o);
    return rc;
}

/* Every cut of an AOF: verify says clean at a record boundary (count = the
 * records before) and torn elsewhere (offset = the last boundary, tail =
 * the rest), a cut inside the header is an error; repair trims a torn tail
 * to exactly the records before it, with the backup, and does nothing to a
 * clean cut. */
static void every_cut(const char *set, const ep_key *key) {
    char src[700], file[700], opts[800];
    uint64_t starts[64], ends[64];
    int boundary_doc[64], rdir_made = 0; /* the recover document of the cut at the end of each record count */
    uint8_t *orig;
    size_t len = 0, cut, step;
    int nrec, checked = 0;
    ept_py p;
    if (!setup()) return;
    snprintf(src, sizeof src, "%s/%s/shard-0.aof", GOLDEN, set);
    p_(file, sizeof file, "cut.aof");
    orig = ept_read_file(src, &len);
    EPT_CHECK(orig != NULL);
    EPT_CHECK((nrec = boundaries(src, key, starts, ends, 64)) == 15);
    step = len / (size_t)ept_scale((long)len, 7); /* EPT_QUICK: every 7th cut */
    memset(boundary_doc, 0xff, sizeof boundary_doc);
    snprintf(opts, sizeof opts, "%s%s", key ? "--key-file " : "", key ? D : "");
    if (key) strcat(opts, "/key.hex");
    EPT_CHECK(ept_py_begin(&p, D));
    for (cut = 0; cut < len && !ept_failed(); cut += step) {
        char args[1600], label[64], block[700];
        ept_cmd_out o;
        int before = 0, rc, want;
        uint64_t good = EP_AOF_HEADER_SIZE;
        while (before < nrec && ends[before] <= cut) good = ends[before++];
        EPT_CHECK(ept_write_file(file, orig, cut) == 0);
        snprintf(args, sizeof args, "verify --json %s %s", file, opts);
        rc = tool_run(args, &o);
        snprintf(label, sizeof label, "%s cut %zu verify", set, cut);
        if (cut < EP_AOF_HEADER_SIZE) {
            want = 2;
            snprintf(block, sizeof block, "assert d['end']['status']=='error' and d['end']['count']==0");
        } else if (cut == good) {
            want = 0;
            snprintf(block, sizeof block, "assert d['end']=={'status':'clean','count':%d,'offset':%llu}", before,
                     (unsigned long long)good);
        } else {
            want = 1;
            snprintf(block, sizeof block,
                     "assert d['end']=={'status':'torn','count':%d,'offset':%llu,'tail_bytes':%llu}", before,
                     (unsigned long long)good, (unsigned long long)(cut - good));
        }
        if (rc != want) printf("    %s: exit %d, expected %d: %.300s\n", label, rc, want, o.out);
        EPT_EXPECT(rc == want);
        ept_py_add(&p, label, o.out, o.out_len, block);
        ept_cmd_out_free(&o);
        /* repair: the torn tail goes, every record before it stays */
        snprintf(label, sizeof label, "%s cut %zu repair", set, cut);
        if (want == 1)
            snprintf(block, sizeof block,
                     "assert d['action']=='trim' and d['written']==True and d['new_size']==%llu\n"
                     "assert d['records_before']==%d and d['records_kept']==%d and d['bytes_dropped']==%llu\n"
                     "assert len(d['regions'])==1 and d['regions'][0]['torn']==True and d['regions'][0]['offset']==%llu\n",
                     (unsigned long long)good, before, before, (unsigned long long)(cut - good),
                     (unsigned long long)good);
        else if (want == 0)
            snprintf(block, sizeof block, "assert d['action']=='nothing' and d['written']==False");
        else
            snprintf(block, sizeof block, "pass");
        rc = repair_check(&p, file, orig, cut, orig, want == 1 ? good : 0, opts, label, block);
        if (want == 1) {
            size_t n = 0;
            uint8_t *now = ept_read_file(file, &n);
            EPT_EXPECT(now && n == good); /* exactly the records before the cut */
            free(now);
        }
        EPT_EXPECT(rc == (want == 2 ? 2 : 0));
        /* recover: a shard (the golden snapshot and this cut AOF) gives
         * exactly the keys of the records before the cut */
        if (cut >= EP_AOF_HEADER_SIZE) {
            char rdir[700], raof[800], snap_src[700], snap_dst[800];
            int n;
            p_(rdir, sizeof rdir, "r");
            snprintf(raof, sizeof raof, "%s/shard-0.aof", rdir);
            snprintf(snap_src, sizeof snap_src, "%s/%s/shard-0.snap", GOLDEN, set);
            snprintf(snap_dst, sizeof snap_dst, "%s/shard-0.snap", rdir);
            if (!rdir_made) {
                ep_vfs os;
                EPT_CHECK(ep_vfs_os_init(&os) == EP_OK && os.mkdir(&os, rdir, NULL) == EP_OK);
                EPT_CHECK(copy_file(snap_src, snap_dst));
                rdir_made = 1;
            }
            EPT_CHECK(ept_write_file(raof, orig, cut) == 0);
            snprintf(args, sizeof args, "recover %s 0 --json %s", rdir, opts);
            rc = tool_run(args, &o);
            snprintf(label, sizeof label, "%s cut %zu recover", set, cut);
            EPT_EXPECT(rc == (want == 1 ? 1 : 0));
            if (want == 0) {
                n = ept_py_add(&p, label, o.out, o.out_len, "assert d['aof']['end']=='clean'");
                boundary_doc[before] = n;
            } else if (boundary_doc[before] >= 0) { /* (EPT_QUICK may skip the boundary) */
                snprintf(block, sizeof block,
                         "A=d['keys']\nB=load(%d)['keys']\nassert d['aof']['end']=='torn' and d['aof']['records_applied']==%d\n"
                         "assert [(x['key'],x['type'],x['value']) for x in A]==[(x['key'],x['type'],x['value']) for x in B]\n",
                         boundary_doc[before], before);
                ept_py_add(&p, label, o.out, o.out_len, block);
            }
            ept_cmd_out_free(&o);
        }
        checked++;
    }
    printf("    %s: %d cuts, verify, repair and recover each\n", set, checked);
    run_py(&p);
    free(orig);
}

EPT_CASE(every_cut_plaintext_aof) { every_cut("plain", NULL); }
EPT_CASE(every_cut_encrypted_aof) {
    ep_key *k = golden_key();
    every_cut("enc", k);
    ep_key_free(k);
}

/* Every cut of a snapshot is an error (a snapshot has no torn state), found
 * where the cut entry starts, with the entries before it counted. */
EPT_CASE(every_cut_snapshot) {
    static const uint64_t starts[] = {11, 30, 54, 92, 154, 198, 236, 268}; /* dump --json offsets */
    char src[700], file[700];
    uint8_t *orig;
    size_t len = 0, cut;
    ept_py p;
    if (!setup()) return;
    snprintf(src, sizeof src, "%s/plain/shard-0.snap", GOLDEN);
    p_(file, sizeof file, "cut.snap");
    orig = ept_read_file(src, &len);
    EPT_CHECK(orig && len == 342);
    EPT_CHECK(ept_py_begin(&p, D));
    for (cut = 0; cut < len && !ept_failed(); cut++) {
        char args[800], label[64], block[300];
        ept_cmd_out o;
        int rc, before = 0;
        while (before < 8 && starts[before] + 1 <= cut && (before == 7 ? 338 : starts[before + 1]) <= cut) before++;
        EPT_CHECK(ept_write_file(file, orig, cut) == 0);
        snprintf(args, sizeof args, "verify --json %s", file);
        rc = tool_run(args, &o);
        snprintf(label, sizeof label, "snapshot cut %zu", cut);
        if (cut >= 11)
            snprintf(block, sizeof block, "assert d['end']['status']=='error' and d['end']['count']==%d", before);
        else
            snprintf(block, sizeof block, "assert d['end']['status']=='error' and d['end']['count']==0");
        EPT_EXPECT(rc == 2);
        ept_py_add(&p, label, o.out, o.out_len, block);
        ept_cmd_out_free(&o);
    }
    run_py(&p);
    free(orig);
}

/* A bit flipped in every byte of the AOF (plaintext; the bit chosen by the
 * seed): verify finds the damage in the record that holds the byte, with
 * every record before it read; repair refuses mid-file damage unless
 * --force (which keeps exactly the records before it) and --force
 * --salvage keeps at least those; a damage that reads as a torn tail is
 * trimmed without --force. */
EPT_CASE(bit_flip_in_every_byte) {
    char src[700], file[700];
    uint64_t starts[64], ends[64], seed = ept_seed();
    uint8_t *orig, *bad;
    size_t len = 0, i, step;
    int nrec, refused = 0, torn = 0;
    ept_py p;
    if (!setup()) return;
    snprintf(src, sizeof src, "%s/plain/shard-0.aof", GOLDEN);
    p_(file, sizeof file, "flip.aof");
    orig = ept_read_file(src, &len);
    EPT_CHECK(orig != NULL);
    EPT_CHECK((nrec = boundaries(src, NULL, starts, ends, 64)) == 15);
    bad = (uint8_t *)malloc(len);
    step = len / (size_t)ept_scale((long)len, 5); /* EPT_QUICK: every 5th byte */
    EPT_CHECK(ept_py_begin(&p, D));
    for (i = 0; i < len && !ept_failed(); i += step) {
        char args[900], label[64], block[600];
        ept_cmd_out o;
        int rc, rec = 0;
        uint64_t start;
        memcpy(bad, orig, len);
        bad[i] ^= (uint8_t)(1u << ((seed + i) % 8));
        while (rec < nrec && ends[rec] <= i) rec++;
        start = i < EP_AOF_HEADER_SIZE ? 0 : starts[rec];
        EPT_CHECK(ept_write_file(file, bad, len) == 0);
        snprintf(args, sizeof args, "verify --json %s", file);
        rc = tool_run(args, &o);
        snprintf(label, sizeof label, "flip byte %zu verify", i);
        if (i < EP_AOF_HEADER_SIZE) {
            snprintf(block, sizeof block, "assert d['end']['status']=='error' and d['end']['count']==0");
            EPT_EXPECT(rc == 2);
        } else {
            snprintf(block, sizeof block,
                     "e=d['end']\nassert e['count']==%d, e\n"
                     "assert (e['status']=='error' and e['offset']>=%llu) or (e['status']=='torn' and e['offset']==%llu), e\n",
                     rec, (unsigned long long)start, (unsigned long long)start);
            EPT_EXPECT(rc == 1 || rc == 2);
        }
        ept_py_add(&p, label, o.out, o.out_len, block);
        ept_cmd_out_free(&o);
        if (i < EP_AOF_HEADER_SIZE) continue; /* not an AOF any more: repair refuses (row in usage_and_missing_inputs) */
        snprintf(label, sizeof label, "flip byte %zu repair", i);
        if (rc == 2) {
            refused++;
            rc = repair_check(&p, file, bad, len, orig, 0, "", label,
                              "assert d['action']=='refused' and d['written']==False");
            EPT_EXPECT(rc == 2);
            snprintf(label, sizeof label, "flip byte %zu repair --force", i);
            snprintf(block, sizeof block,
                     "assert d['action']=='trim' and d['written']==True and d['new_size']==%llu\n"
                     "assert d['records_kept']==%d and d['records_before']==%d\n",
                     (unsigned long long)start, rec, rec);
            rc = repair_check(&p, file, bad, len, orig, start, "--force", label, block);
            EPT_EXPECT(rc == 0);
            snprintf(label, sizeof label, "flip byte %zu repair --force --salvage", i);
            snprintf(block, sizeof block,
                     "assert d['action'] in ('salvage','trim') and d['written']==True\n"
                     "assert d['records_kept']>=%d and d['records_kept']<=%d\n"
                     "assert d['records_kept']+d['records_dropped']<=%d\n",
                     rec, nrec - 1, nrec);
            rc = repair_check(&p, file, bad, len, orig, start, "--force --salvage", label, block);
            EPT_EXPECT(rc == 0);
        } else {
            torn++;
            snprintf(block, sizeof block, "assert d['action']=='trim' and d['new_size']==%llu and d['records_kept']==%d",
                     (unsigned long long)start, rec);
            rc = repair_check(&p, file, bad, len, orig, start, "", label, block);
            EPT_EXPECT(rc == 0);
        }
    }
    printf("    bytes flipped (seed %llu): %d mid-file damages refused then forced and salvaged, %d read as torn tails\n",
           (unsigned long long)seed, refused, torn);
    run_py(&p);
    free(bad);
    free(orig);
}

/* A bit flipped in every byte of the snapshot: verify never says clean. */
EPT_CASE(bit_flip_in_every_snapshot_byte) {
    char src[700], file[700], snap0[700];
    uint8_t *orig, *bad;
    size_t len = 0, i;
    uint64_t seed = ept_seed();
    if (!setup()) return;
    snprintf(src, sizeof src, "%s/plain/shard-0.snap", GOLDEN);
    p_(file, sizeof file, "flip.snap");
    p_(snap0, sizeof snap0, "shard-0.snap");
    orig = ept_read_file(src, &len);
    EPT_CHECK(orig != NULL);
    bad = (uint8_t *)malloc(len);
    for (i = 0; i < len && !ept_failed(); i++) {
        char args[900];
        ept_cmd_out o;
        int rc;
        memcpy(bad, orig, len);
        bad[i] ^= (uint8_t)(1u << ((seed + i) % 8));
        EPT_CHECK(ept_write_file(file, bad, len) == 0);
        snprintf(args, sizeof args, "verify %s", file);
        rc = tool_run(args, &o);
        if (i == 5 || i == 6) {
            /* shard_id: ember's footer CRC covers the entries only, so a file
             * alone cannot show it; verify names the other shard, and recovery
             * as shard 0 refuses it (shard_mismatch) */
            EPT_EXPECT(rc == 0 && strstr(o.out, "\"shard\": 0,") == NULL);
            ept_cmd_out_free(&o);
            snprintf(args, sizeof args, "recover %s 0", D);
            EPT_CHECK(ept_write_file(snap0, bad, len) == 0);
            rc = tool_run(args, &o);
            if (rc != 2) printf("    shard id byte %zu flipped: recover exit %d: %.300s%.300s", i, rc, o.out, o.err);
            EPT_EXPECT(rc == 2);
            remove(snap0);
        } else {
            if (rc != 2) printf("    snapshot byte %zu flipped: exit %d: %s", i, rc, o.out);
            EPT_EXPECT(rc == 2);
        }
        ept_cmd_out_free(&o);
    }
    free(bad);
    free(orig);
}

/* A larger AOF (written here, ~20 pages) with each 4 KiB page zeroed in
 * turn: verify stops in the first record the page touches, with every
 * record before it; repair --force keeps exactly those; --force --salvage
 * also keeps every record wholly after the page. */
EPT_CASE(zeroed_4k_pages) {
    enum { NREC = 1200, MAXREC = 2000 };
    char file[700], big[700], k[32], v[64];
    static uint64_t starts[MAXREC], ends[MAXREC];
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    uint8_t *orig, *bad;
    size_t len = 0, page;
    int i, nrec, pages = 0;
    ept_py p;
    if (!setup()) return;
    p_(big, sizeof big, "big.aof");
    p_(file, sizeof file, "zero.aof");
    ep_aof_writer_config_init(&c);
    c.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open(big, &c, &w, NULL));
    for (i = 0; i < NREC; i++) {
        snprintf(k, sizeof k, "key:%d", i);
        snprintf(v, sizeof v, "value %d of the zeroed-page test %d", i, i * 7919);
        EPT_CHECK_OK(ep_aof_set(w, ep_bytes_str(k), ep_bytes_str(v), -1));
    }
    EPT_CHECK_OK(ep_aof_writer_close(w));
    orig = ept_read_file(big, &len);
    EPT_CHECK(orig && len > 16 * 4096);
    EPT_CHECK((nrec = boundaries(big, NULL, starts, ends, MAXREC)) == NREC);
    bad = (uint8_t *)malloc(len);
    EPT_CHECK(ept_py_begin(&p, D));
    for (page = 0; page < len && !ept_failed(); page += 4096, pages++) {
        size_t end = page + 4096 < len ? page + 4096 : len;
        int first = 0, after = 0;
        char args[900], label[64], block[600];
        ept_cmd_out o;
        int rc;
        while (first < nrec && ends[first] <= page) first++;
        for (i = 0; i < nrec; i++)
            if (starts[i] >= end) after++;
        memcpy(bad, orig, len);
        memset(bad + page, 0, end - page);
        EPT_CHECK(ept_write_file(file, bad, len) == 0);
        snprintf(args, sizeof args, "verify --json %s", file);
        rc = tool_run(args, &o);
        snprintf(label, sizeof label, "page %zu verify", page / 4096);
        snprintf(block, sizeof block, "assert d['end']['status'] in ('error','torn') and d['end']['count']==%d, d['end']",
                 page == 0 ? 0 : first);
        EPT_EXPECT(rc == 2 || (rc == 1 && end == len));
        ept_py_add(&p, label, o.out, o.out_len, block);
        ept_cmd_out_free(&o);
        if (page == 0) continue; /* the header is gone: not an AOF */
        snprintf(label, sizeof label, "page %zu repair --force", page / 4096);
        snprintf(block, sizeof block, "assert d['written']==True and d['records_kept']==%d and d['new_size']==%llu",
                 first, (unsigned long long)starts[first]);
        rc = repair_check(&p, file, bad, len, orig, starts[first], "--force", label, block);
        EPT_EXPECT(rc == 0);
        snprintf(label, sizeof label, "page %zu repair --force --salvage", page / 4096);
        snprintf(block, sizeof block,
                 "assert d['written']==True and d['records_kept']>=%d, (d['records_kept'], %d)\n"
                 "assert d['records_kept']<=%d\n",
                 first + after, first + after, nrec);
        rc = repair_check(&p, file, bad, len, orig, starts[first], "--force --salvage", label, block);
        EPT_EXPECT(rc == 0);
        /* the salvaged file reads clean to its end */
        snprintf(args, sizeof args, "verify %s", file);
        EPT_EXPECT(tool_run(args, &o) == 0);
        ept_cmd_out_free(&o);
    }
    printf("    %d pages of a %zu-byte AOF (%d records) zeroed in turn\n", pages, len, nrec);
    run_py(&p);
    free(bad);
    free(orig);
}

/* A torn shard (t: the AOF cut 6 bytes into its last record) and a
 * corrupt one (c: a byte in record 4 changed) through the reading and the
 * maintenance commands: the torn one reads with exit 1 and every record
 * before the cut, compact folds it (trimming the tail); the corrupt one is
 * refused by every command that would rewrite it, and left as it was. */
EPT_CASE(damaged_shards_through_every_command) {
    static const row rows[] = {
        {"info --json $D/t/shard-0.aof", 1, "assert d['count']==14 and d['end']=={'status':'torn','count':14,'offset':444,'tail_bytes':6}", NULL},
        {"verify $D/t/shard-0.aof", 1, NULL, "torn tail at offset 444: 14 records, then 6 bytes"},
        {"stats $D/t 0 --json", 1, "assert d['records']['total']==14 and d['files'][1]['end']['status']=='torn'", NULL},
        {"stats $D/c 0 --json", 2, "assert d['files'][1]['end']['error']=='checksum' and d['files'][1]['end']['offset']==101", NULL},
        {"recover $D/c 0 --json", 2, "assert d['aof']['end']=='error' and d['aof']['records_applied']==4", NULL},
        {"repair $D/c 0 --json --dry-run", 2,
         "assert d['action']=='refused' and d['records_before']==4 and d['good_offset']==101 and d['written']==False", NULL},
        {"compact $D/c 0 --json", 2, "assert d['action']=='compact' and 'error' in d", NULL},
        {"encrypt $D/c 0 --key-file $D/key.hex", 2, NULL, NULL},
        {"compact $D/t 0 --json", 0, "assert d['keys']==13 and d['records_replayed']==14 and d['trimmed_bytes']==6 and d['after']['aof_bytes']==5", NULL},
        {"recover $D/t 0 --json", 0, "assert d['aof']['end']=='clean' and len(d['keys'])==13", NULL},
    };
    static const char *sub[] = {"t", "c"};
    char path[800];
    uint8_t *aof, *snap, *c_aof;
    size_t an = 0, sn = 0;
    ept_py p;
    int i, n;
    ept_cmd_out o;
    if (!setup()) return;
    aof = read_at("p/shard-0.aof", &an);
    snap = read_at("p/shard-0.snap", &sn);
    EPT_CHECK(aof && snap && an == 457);
    for (i = 0; i < 2; i++) {
        ep_vfs os;
        p_(path, sizeof path, sub[i]);
        EPT_CHECK(ep_vfs_os_init(&os) == EP_OK && os.mkdir(&os, path, NULL) == EP_OK);
        strcat(path, "/shard-0.snap");
        EPT_CHECK(ept_write_file(path, snap, sn) == 0);
    }
    p_(path, sizeof path, "t/shard-0.aof");
    EPT_CHECK(ept_write_file(path, aof, 450) == 0);
    aof[110] ^= 0x01; /* inside record 4 (101..138) */
    p_(path, sizeof path, "c/shard-0.aof");
    EPT_CHECK(ept_write_file(path, aof, an) == 0);
    c_aof = aof;
    EPT_CHECK(ept_py_begin(&p, D));
    /* the torn file's records are the golden file's first 14, field by field */
    EPT_EXPECT(tool_run("dump --json $D/p/shard-0.aof", &o) == 0);
    n = ept_py_add(&p, "golden dump", o.out, o.out_len, "pass");
    ept_cmd_out_free(&o);
    EPT_EXPECT(tool_run("dump --json $D/t/shard-0.aof", &o) == 1);
    {
        char block[300];
        snprintf(block, sizeof block, "assert d['records']==load(%d)['records'][:14] and d['end']['status']=='torn'", n);
        ept_py_add(&p, "torn dump", o.out, o.out_len, block);
    }
    ept_cmd_out_free(&o);
    run_rows(rows, N_OF(rows), &p);
    /* the corrupt shard was left as it was */
    p_(path, sizeof path, "c/shard-0.aof");
    EPT_EXPECT(file_is(path, c_aof, an));
    p_(path, sizeof path, "c/shard-0.snap");
    EPT_EXPECT(file_is(path, snap, sn));
    run_py(&p);
    free(aof);
    free(snap);
}

/* ---- maintenance: compact, encrypt, rekey, decrypt, keygen ---------------- */

/* The recovered keys of DIR 0 (with key file kf or none) as a python
 * expression source: the JSON document's index in p. */
static int recover_doc(ept_py *p, const char *dir, const char *kf, int want_exit) {
    char args[1600];
    ept_cmd_out o;
    int rc, n;
    snprintf(args, sizeof args, "recover %s 0 --json%s%s", dir, kf ? " --key-file " : "", kf ? kf : "");
    rc = tool_run(args, &o);
    if (rc != want_exit) printf("    %s: exit %d, expected %d\n%.400s%.400s", args, rc, want_exit, o.out, o.err);
    EPT_EXPECT(rc == want_exit);
    n = ept_py_add(p, args, o.out, o.out_len, "pass");
    ept_cmd_out_free(&o);
    return n;
}

/* The same keys, types and values (TTLs move with the clock: within 60 s). */
static void same_keys(ept_py *p, int a, int b, const char *label) {
    char block[700];
    snprintf(block, sizeof block,
             "A=load(%d)['keys']\nB=load(%d)['keys']\n"
             "assert [(x['key'],x['type'],x['value']) for x in A]==[(x['key'],x['type'],x['value']) for x in B]\n"
             "assert all((x['ttl_ms']<0)==(y['ttl_ms']<0) and abs(x['ttl_ms']-y['ttl_ms'])<60000 for x,y in zip(A,B))\n"
             "assert len(A)==13\n",
             a, b);
    ept_py_add(p, label, "{}", 2, block);
}

/* Runs a maintenance command on $D/p: exit, JSON fields, and that each
 * backup it names is byte-identical to the file it replaced. */
static void maint(ept_py *p, const char *args, int want, const char *block, const uint8_t *snap0, size_t sn,
                  const uint8_t *aof0, size_t an) {
    ept_cmd_out o;
    int rc = tool_run(args, &o);
    if (rc != want) printf("    %s: exit %d, expected %d\n%.400s%.400s", args, rc, want, o.out, o.err);
    EPT_EXPECT(rc == want);
    ept_py_add(p, args, o.out, o.out_len, block);
    if (rc == 0 && strstr(o.out, "\"backups\": [\"")) {
        char *b = strstr(o.out, "\"backups\": [\"") + 13, *q;
        while (b && (q = strchr(b, '"')) != NULL) {
            *q = 0;
            if (strstr(b, ".snap.bak-")) EPT_EXPECT(file_is(b, snap0, sn));
            else if (strstr(b, ".aof.bak-")) EPT_EXPECT(file_is(b, aof0, an));
            else EPT_EXPECT(0);
            b = strstr(q + 1, ", \"");
            if (b) b += 3;
        }
    }
    ept_cmd_out_free(&o);
}

static uint8_t *read_at(const char *rel, size_t *n) {
    char path[700];
    p_(path, sizeof path, rel);
    return ept_read_file(path, n);
}

EPT_CASE(compact_encrypt_rekey_decrypt) {
    char key2[700], dir[700], kf[700], block[800];
    uint8_t *s0, *a0;
    size_t sn = 0, an = 0;
    int base, n;
    ept_cmd_out o;
    ept_py p;
    if (!setup()) return;
    p_(dir, sizeof dir, "p");
    p_(kf, sizeof kf, "key.hex");
    p_(key2, sizeof key2, "key2.hex");
    EPT_CHECK(ept_py_begin(&p, D));
    /* keygen: a new key; not over an existing file */
    {
        char args[800];
        snprintf(args, sizeof args, "keygen %s", key2);
        EPT_EXPECT(tool_run(args, &o) == 0);
        ept_cmd_out_free(&o);
        EPT_EXPECT(tool_run(args, &o) == 73);
        ept_cmd_out_free(&o);
    }
    base = recover_doc(&p, dir, NULL, 0);

    /* compact: a fresh snapshot and an empty AOF, the same keys */
    s0 = read_at("p/shard-0.snap", &sn);
    a0 = read_at("p/shard-0.aof", &an);
    maint(&p, "compact $D/p 0 --json", 0,
          "assert d['action']=='compact' and d['shard']==0 and d['keys']==13 and d['records_replayed']==15\n"
          "assert d['before']=={'snapshot_bytes':342,'aof_bytes':457,'snapshot_version':2}\n"
          "assert d['after']['aof_bytes']==5 and d['after']['snapshot_version']==2\n",
          s0, sn, a0, an);
    free(s0);
    free(a0);
    n = recover_doc(&p, dir, NULL, 0);
    same_keys(&p, base, n, "compact keeps the keys");
    EPT_EXPECT(tool_run("verify $D/p/shard-0.aof", &o) == 0);
    ept_cmd_out_free(&o);

    /* encrypt under key.hex: old files kept byte-identical, new ones v3 */
    s0 = read_at("p/shard-0.snap", &sn);
    a0 = read_at("p/shard-0.aof", &an);
    maint(&p, "encrypt $D/p 0 --key-file $D/key.hex --json", 0,
          "assert d['action']=='encrypt' and d['keys']==13 and d['after']['snapshot_version']==3\n"
          "assert len(d['backups'])>=1\n",
          s0, sn, a0, an);
    free(s0);
    free(a0);
    n = recover_doc(&p, dir, kf, 0);
    same_keys(&p, base, n, "encrypt keeps the keys");
    recover_doc(&p, dir, NULL, 2); /* no key: nothing */
    EPT_EXPECT(tool_run("encrypt $D/p 0 --key-file $D/key.hex", &o) == 64); /* already encrypted */
    ept_cmd_out_free(&o);
    EPT_EXPECT(tool_run("decrypt $D/p 0 --key-file $D/wrong.hex", &o) == 2); /* wrong key: refused */
    ept_cmd_out_free(&o);

    /* rekey to key2.hex */
    s0 = read_at("p/shard-0.snap", &sn);
    a0 = read_at("p/shard-0.aof", &an);
    maint(&p, "rekey $D/p 0 --key-file $D/key.hex --new-key-file $D/key2.hex --json", 0,
          "assert d['action']=='rekey' and d['keys']==13 and d['after']['snapshot_version']==3\n", s0, sn, a0, an);
    free(s0);
    free(a0);
    n = recover_doc(&p, dir, key2, 0);
    same_keys(&p, base, n, "rekey keeps the keys");
    recover_doc(&p, dir, kf, 2); /* the old key no longer reads it */

    /* decrypt with key2.hex */
    s0 = read_at("p/shard-0.snap", &sn);
    a0 = read_at("p/shard-0.aof", &an);
    maint(&p, "decrypt $D/p 0 --key-file $D/key2.hex --json", 0,
          "assert d['action']=='decrypt' and d['keys']==13 and d['after']['snapshot_version']==2\n", s0, sn, a0, an);
    free(s0);
    free(a0);
    n = recover_doc(&p, dir, NULL, 0);
    same_keys(&p, base, n, "decrypt keeps the keys");
    snprintf(block, sizeof block, "assert d['encrypted']==False and d['count']>=1");
    {
        const row r[] = {{"info --json $D/p/shard-0.snap", 0, block, NULL}};
        run_rows(r, 1, &p);
    }
    run_py(&p);
}

/* compact refuses while another process holds the shard's writer lock
 * (here: this test holds an AOF writer open), and leaves the files alone. */
EPT_CASE(compact_refuses_while_locked) {
    char aof[700];
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    uint8_t *s0, *a0;
    size_t sn = 0, an = 0;
    ept_py p;
    if (!setup()) return;
    p_(aof, sizeof aof, "p/shard-0.aof");
    s0 = read_at("p/shard-0.snap", &sn);
    a0 = read_at("p/shard-0.aof", &an);
    ep_aof_writer_config_init(&c);
    c.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open(aof, &c, &w, NULL));
    EPT_CHECK(ept_py_begin(&p, D));
    {
        const row rows[] = {
            {"compact $D/p 0 --json", 75, "assert d['error']=='locked' and d['action']=='compact'", NULL},
            {"compact $D/p 0", 75, NULL, NULL},
            {"encrypt $D/p 0 --key-file $D/key.hex", 75, NULL, NULL},
        };
        run_rows(rows, N_OF(rows), &p);
    }
    {
        const row rows[] = {
            {"repair $D/p/shard-0.aof --json", 75, "assert d['written']==False", NULL},
            {"repair $D/p 0 --force --salvage", 75, NULL, NULL},
        };
        run_rows(rows, N_OF(rows), &p);
    }
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_EXPECT(file_is(aof, a0, an));
    {
        char snap[700];
        p_(snap, sizeof snap, "p/shard-0.snap");
        EPT_EXPECT(file_is(snap, s0, sn));
    }
    run_py(&p);
    free(s0);
    free(a0);
}

EPT_MAIN()
