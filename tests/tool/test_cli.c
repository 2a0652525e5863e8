/* The ember-persist tool, run as a program on generated files. Its JSON is
 * checked with python3's json module; exit codes directly. The tool is
 * build/ember-persist (or $EP_CLI); the cases skip if it is not built. */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"
#include "support/run_cmd.h"

#ifdef _WIN32
/* The cases run the tool and python3 as programs (tests/support/run_cmd:
 * fork, pipes), which a Windows build under wine does not have; the tool's
 * code runs on the public API that the rest of the suite covers. */
EPT_CASE(cli_needs_a_posix_shell) { ept_skip("test_cli runs the tool and python3 as programs: POSIX only"); }
#else
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }
static const ep_bytes cfg_dummy_value = {(const uint8_t *)"x", 1};

EPT_CASE(dump_json_snapshot_every_type) {
    char snap[512], out[512], args[1200];
    ep_snapshot_writer *w = NULL;
    ep_bytes names[2] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"\xc3\xa9", 2}};
    ep_bytes vals[2] = {{(const uint8_t *)"\x00\xff", 2}, {(const uint8_t *)"q\"\\", 3}};
    double scores[2] = {1.5, 0};
    float vec[4] = {1.0f, -2.5f, 0.0f, 0.25f};
    uint64_t nan = 0x7ff8000000000000ull;
    if (!ept_tool_ready()) return;
    memcpy(&scores[1], &nan, 8);
    ept_tool_file(snap, sizeof snap, "shard-5.snap");
    ept_tool_file(out, sizeof out, "dump.json");
    EPT_CHECK_OK(ep_snapshot_writer_begin(snap, 5, NULL, &w, NULL));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("s"), ep_bytes_of("\x00\xff\x01" "ok", 5), 1234));
    EPT_CHECK_OK(ep_snapshot_writer_add_list(w, B("l"), vals, 2, -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_zset(w, B("z"), scores, names, 2, -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_hash(w, B("h"), names, vals, 2, -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_set(w, B("st"), names, 2, -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_proto(w, B("p"), B("pkg.T"), B("data"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_add_vector(w, B("v"), 1, 2, 16, 64, 2, names, vec, 2, -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));

    snprintf(args, sizeof args, "dump --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['kind']=='snapshot' and d['version']==2 and d['shard']==5\n"
                      "assert d['entry_count']==7 and len(d['entries'])==7\n"
                      "e=d['entries']\n"
                      "assert e[0]['offset']==11 and e[0]['index']==0 and e[0]['expire_ms']==1234\n"
                      "assert e[0]['type']=='string' and e[0]['value']=='\\u0000\\u00ff\\u0001ok'\n"
                      "assert e[1]['items']==['\\u0000\\u00ff', 'q\"\\\\']\n"
                      "assert e[2]['members'][0]=={'score':1.5,'member':'a'} and e[2]['members'][1]['score']=='NaN'\n"
                      "assert e[2]['members'][1]['member']=='\\u00e9'\n"
                      "assert e[3]['fields'][1]=={'field':'\\u00e9','value':'q\"\\\\'}\n"
                      "assert e[4]['members']==['a','\\u00e9']\n"
                      "assert e[5]['type_name']=='pkg.T' and e[5]['data']=='data'\n"
                      "assert e[6]['metric']==1 and e[6]['quantization']==2 and e[6]['dim']==2\n"
                      "assert e[6]['elements'][0]=={'name':'a','vector':[1.0,-2.5]}\n"
                      "assert all(e[i]['offset']<e[i+1]['offset'] for i in range(6))\n"
                      "assert d['end']['status']=='clean' and d['end']['count']==7\n"
                      "assert d['end']['offset']==d['size'] and d['end']['footer_offset']==d['size']-4\n"));
    snprintf(args, sizeof args, "dump --json --base64 %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "import base64\ne=d['entries']\n"
                      "assert base64.b64decode(e[0]['value'])==bytes([0,255,1])+b'ok'\n"
                      "assert base64.b64decode(e[0]['key'])==b's'\n"));
    snprintf(args, sizeof args, "info --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['kind']=='snapshot' and d['count']==7 and d['encrypted']==False\n"));
    /* text dump: one JSON object per line between # lines */
    snprintf(args, sizeof args, "dump %s", snap);
    {
        char txt[512];
        snprintf(txt, sizeof txt, "%s/dump.txt", ept_tool_dir());
        EPT_CHECK_EQ(ept_tool_run(args, txt, NULL), 0);
        /* d is unused here: point it at a JSON file we know is valid */
        EPT_CHECK(ept_tool_py(out, "L = open(sys.argv[1].replace('dump.json', 'dump.txt')).read().splitlines()\n"
                          "assert L[0].startswith('# snapshot') and L[-1].startswith('# end: clean')\n"
                          "assert len([json.loads(l) for l in L[1:-1]]) == 7"));
    }
}

EPT_CASE(verify_exit_codes_and_error_offsets) {
    static const uint8_t V4[] = {0x45, 0x53, 0x4e, 0x50, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
                                 0x00, 0x00, 0x6b, 0x00, 0x01, 0x00, 0x00, 0x00, 0x76, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x68, 0x03, 0x01, 0x00, 0x00,
                                 0x00, 0x01, 0x00, 0x00, 0x00, 0x66, 0x01, 0x00, 0x00, 0x00, 0x78, 0x88, 0x13,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xc4, 0xb7, 0x31};
    uint8_t bad[sizeof V4];
    char f[512], out[512], args[1200];
    if (!ept_tool_ready()) return;
    ept_tool_file(f, sizeof f, "v4.snap");
    ept_tool_file(out, sizeof out, "v.json");
    EPT_CHECK(ept_write_file(f, V4, sizeof V4) == 0);
    snprintf(args, sizeof args, "verify --json %s", f);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['end']=={'status':'clean','count':2,'offset':62,'footer_offset':58,'trailer_bytes':0}"));
    /* flipped footer: checksum error at the footer's offset, exit 2 */
    memcpy(bad, V4, sizeof V4);
    bad[sizeof V4 - 1] ^= 0xff;
    EPT_CHECK(ept_write_file(f, bad, sizeof bad) == 0);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['status']=='error' and d['end']['error']=='checksum'\n"
                      "assert d['end']['offset']==58 and d['end']['count']==2"));
    /* cut inside entry 2: eof at its offset */
    EPT_CHECK(ept_write_file(f, V4, 40) == 0);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['error']=='eof' and d['end']['offset']==30 and d['end']['index']==1"));
    /* usage and missing files */
    EPT_CHECK_EQ(ept_tool_run("verify", NULL, NULL), 64);
    EPT_CHECK_EQ(ept_tool_run("frobnicate x", NULL, NULL), 64);
    EPT_CHECK_EQ(ept_tool_run("verify --bogus x", NULL, NULL), 64);
    snprintf(args, sizeof args, "verify %s/does-not-exist", ept_tool_dir());
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 66);
    EPT_CHECK_EQ(ept_tool_run("--help", NULL, NULL), 0);
}

EPT_CASE(aof_dump_clean_torn_and_corrupt) {
    /* V1 (SET a b) + V3d's LSET record + a lone torn byte */
    static const uint8_t v1[] = {0x45, 0x41, 0x4f, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x61, 0x01, 0x00, 0x00,
                                 0x00, 0x62, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5b, 0xe1, 0x0f, 0x18};
    static const uint8_t lset[] = {0x1c, 0x01, 0x00, 0x00, 0x00, 0x6c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x5a, 0x91, 0x89, 0x5a, 0x3f};
    uint8_t buf[128];
    char f[512], out[512], args[1200];
    if (!ept_tool_ready()) return;
    ept_tool_file(f, sizeof f, "shard-0.aof");
    ept_tool_file(out, sizeof out, "a.json");
    memcpy(buf, v1, sizeof v1);
    memcpy(buf + sizeof v1, lset, sizeof lset);
    EPT_CHECK(ept_write_file(f, buf, sizeof v1 + sizeof lset) == 0);
    snprintf(args, sizeof args, "dump --json %s", f);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "r=d['records']\nassert d['kind']=='aof' and len(r)==2\n"
                      "assert r[0]=={'offset':5,'index':0,'tag':1,'op':'SET','key':'a','value':'b','expire_ms':-1}\n"
                      "assert r[1]['offset']==28 and r[1]['op']=='LSET' and r[1]['index']==1 and r[1]['list_index']==-1 and r[1]['value']=='Z'\n"
                      "assert d['end']['status']=='clean' and d['end']['offset']==51"));
    buf[sizeof v1 + sizeof lset] = 0x01;
    EPT_CHECK(ept_write_file(f, buf, sizeof v1 + sizeof lset + 1) == 0);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
    EPT_CHECK(ept_tool_py(out, "assert d['end']=={'status':'torn','count':2,'offset':51,'tail_bytes':1}"));
    buf[sizeof v1 - 1] ^= 0xff; /* V1's CRC */
    EPT_CHECK(ept_write_file(f, buf, sizeof v1) == 0);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['error']=='checksum' and d['end']['offset']==5"));
}

EPT_CASE(encrypted_snapshot_needs_key_file) {
    char snap[512], key[512], out[512], args[1500];
    uint8_t kb[EP_KEY_SIZE];
    ep_key *k = NULL;
    ep_snapshot_writer_config c;
    ep_snapshot_writer *w = NULL;
    static const char hex[] = "4242424242424242424242424242424242424242424242424242424242424242\n";
    if (!ept_tool_ready()) return;
    memset(kb, 0x42, sizeof kb);
    EPT_CHECK_OK(ep_key_create(kb, NULL, &k));
    ept_tool_file(snap, sizeof snap, "shard-2.snap");
    ept_tool_file(key, sizeof key, "key.hex");
    ept_tool_file(out, sizeof out, "e.json");
    EPT_CHECK(ept_write_file(key, hex, strlen(hex)) == 0);
    ep_snapshot_writer_config_init(&c);
    c.key = k;
    EPT_CHECK_OK(ep_snapshot_writer_begin(snap, 2, &c, &w, NULL));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(w, B("secret"), B("value"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(w, NULL));
    ep_key_free(k);
    snprintf(args, sizeof args, "info --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['encrypted']==True and d['version']==3 and d['count'] is None"));
    snprintf(args, sizeof args, "verify --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['error']=='encryption_required'"));
    snprintf(args, sizeof args, "dump --json %s --key-file %s", snap, key);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "e=d['entries']\nassert len(e)==1 and e[0]['key']=='secret' and e[0]['value']=='value'"));
    /* a wrong key: decrypt error at entry 0 */
    EPT_CHECK(ept_write_file(key, "ff", 2) == 0 && ept_write_file(key, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 64) == 0);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "assert d['end']['error']=='decrypt' and d['end']['index']==0 and d['end']['offset']==11"));
    /* not a key file */
    EPT_CHECK(ept_write_file(key, "short", 5) == 0);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 64);
}

/* keygen writes a 0600 key file that the library loads; an encrypted AOF
 * written with it recovers through the tool only with --key-file. */
EPT_CASE(keygen_then_encrypted_aof_recovers_with_key_file_only) {
    char keyf[512], aof[512], out[512], args[1400];
    ep_key *key = NULL;
    ep_aof_writer *w = NULL;
    ep_aof_writer_config cfg;
    ep_error err;
    struct stat st;
    if (!ept_tool_ready()) return;
    ept_tool_file(keyf, sizeof keyf, "k.key");
    ept_tool_file(aof, sizeof aof, "shard-2.aof");
    ept_tool_file(out, sizeof out, "rec.json");
    snprintf(args, sizeof args, "keygen %s", keyf);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
    EPT_CHECK_EQ(stat(keyf, &st), 0);
    EPT_CHECK_EQ(st.st_mode & 0777, 0600);
    EPT_CHECK_EQ(st.st_size, 65);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 73); /* refuses to overwrite: cannot create */
    EPT_CHECK_OK(ep_key_load_file(NULL, keyf, NULL, &key, &err));
    ep_aof_writer_config_init(&cfg);
    cfg.key = key;
    cfg.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open(aof, &cfg, &w, &err));
    EPT_CHECK_OK(ep_aof_set(w, B("secret"), B("v1"), -1));
    EPT_CHECK_OK(ep_aof_rpush(w, B("l"), &cfg_dummy_value, 1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_key_free(key);
    snprintf(args, sizeof args, "recover %s 2 --json --key-file %s", ept_tool_dir(), keyf);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['aof']['records_read'] == 2, d\n"
                      "keys = [k['key'] for k in d['keys']]\n"
                      "assert keys == ['l', 'secret'], keys"));
    snprintf(args, sizeof args, "recover %s 2 --json", ept_tool_dir());
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2); /* recovered what it could (nothing), said why */
    EPT_CHECK(ept_tool_py(out, "assert d['aof']['end'] == 'error', d\nassert d['keys'] == [], d"));
    snprintf(args, sizeof args, "dump %s", aof);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 2); /* encrypted, no key */
    snprintf(args, sizeof args, "dump %s --key-file %s", aof, keyf);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
}

/* verify decodes a snapshot's trailer (version, covered length, slot, bytes
 * after it) and, beside its AOF, gives recover's verdict on the coverage with
 * recover's exit code: the reported case (5 INCR, snapshot, 1 INCR, 8 bytes
 * appended to the .snap) is a warning for both, an unreadable trailer while
 * the AOF has records an error for both. */
EPT_CASE(verify_decodes_the_trailer_and_agrees_with_recover) {
    char dir[512], snap[600], out[600], args[1500];
    static uint8_t orig[4096], buf[4096];
    ep_aof_writer *w = NULL;
    ep_keyspace *ks = NULL;
    ep_aof_record rec;
    ep_aof_stats st;
    uint64_t covered;
    size_t n;
    FILE *f;
    int i;
    if (!ept_tool_ready()) return;
    ept_tool_file(dir, sizeof dir, "t");
    snprintf(snap, sizeof snap, "%s/shard-0.snap", dir);
    ept_tool_file(out, sizeof out, "v.json");
    EPT_CHECK(mkdir(dir, 0700) == 0);
    snprintf(args, sizeof args, "%s/shard-0.aof", dir);
    EPT_CHECK_OK(ep_aof_writer_open(args, NULL, &w, NULL));
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    EPT_CHECK_OK(ep_aof_rec_incr(&rec, B("c")));
    for (i = 0; i < 5; i++) {
        EPT_CHECK_OK(ep_aof_append(w, &rec));
        EPT_CHECK_OK(ep_keyspace_apply(ks, &rec, 0));
    }
    EPT_CHECK_OK(ep_shard_snapshot(dir, 0, ks, w, NULL, NULL));
    ep_aof_writer_stats(w, &st);
    covered = st.size;
    EPT_CHECK_OK(ep_aof_append(w, &rec));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_keyspace_free(ks);
    f = fopen(snap, "rb");
    EPT_CHECK(f != NULL);
    n = fread(orig, 1, sizeof orig, f);
    fclose(f);
    EPT_CHECK(n > 60 && n < sizeof orig);
    /* as written: clean, slot 1, the prefix of the 5 INCR, applied */
    snprintf(args, sizeof args, "verify --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    snprintf(args, sizeof args,
             "t=d['trailer']\nassert t['readable'] and t['version']==2 and t['covered_len']==%llu, t\n"
             "assert t['slot']==1 and t['slots_valid']==[True,True] and t['extra_bytes']==0\n"
             "assert t['against_aof']=='applied'",
             (unsigned long long)covered);
    EPT_CHECK(ept_tool_py(out, args));
    snprintf(args, sizeof args, "recover %s 0", dir);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
    /* 8 bytes appended: both warn, the counter is still 6 */
    memcpy(buf, orig, n);
    memcpy(buf + n, "appended", 8);
    EPT_CHECK(ept_write_file(snap, buf, n + 8) == 0);
    snprintf(args, sizeof args, "verify --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
    EPT_CHECK(ept_tool_py(out, "t=d['trailer']\nassert t['extra_bytes']==8 and t['against_aof']=='applied', t"));
    snprintf(args, sizeof args, "recover --json %s 0", dir);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
    EPT_CHECK(ept_tool_py(out, "assert [k['value'] for k in d['keys'] if k['key']=='c']==['6'], d['keys']"));
    /* slot 1 damaged: slot 0 still covers the prefix (a warning for verify) */
    memcpy(buf, orig, n);
    buf[n - 3] ^= 0x40;
    EPT_CHECK(ept_write_file(snap, buf, n) == 0);
    snprintf(args, sizeof args, "verify --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 1);
    EPT_CHECK(ept_tool_py(out, "t=d['trailer']\nassert t['slot']==0 and t['slots_valid']==[True,False], t\n"
                      "assert t['against_aof']=='applied'"));
    /* the trailer's head damaged while the AOF has records: both refuse */
    memcpy(buf, orig, n);
    buf[n - 40 - 6] ^= 0x01; /* inside the head's CRC (the head ends 40 bytes before the end) */
    EPT_CHECK(ept_write_file(snap, buf, n) == 0);
    snprintf(args, sizeof args, "verify --json %s", snap);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 2);
    EPT_CHECK(ept_tool_py(out, "t=d['trailer']\nassert t['readable']==False and t['against_aof']=='refused', t"));
    snprintf(args, sizeof args, "recover %s 0", dir);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 2);
    /* the text form says the same */
    EPT_CHECK(ept_write_file(snap, orig, n) == 0);
    {
        char txt[600], line[200];
        size_t tn = 0;
        uint8_t *said;
        ept_tool_file(txt, sizeof txt, "v.txt");
        snprintf(args, sizeof args, "verify %s", snap);
        EPT_CHECK_EQ(ept_tool_run(args, txt, NULL), 0);
        snprintf(line, sizeof line, "trailer: version 2, 0 schema(s), covers %llu AOF bytes (slot 1)", (unsigned long long)covered);
        said = ept_read_file(txt, &tn);
        EPT_CHECK(said != NULL);
        said = (uint8_t *)realloc(said, tn + 1); /* NUL-terminated for strstr */
        EPT_CHECK(said != NULL);
        said[tn] = 0;
        EPT_EXPECT(strstr((char *)said, line) != NULL && strstr((char *)said, "against the AOF: applied") != NULL);
        free(said);
    }
}

#endif /* _WIN32 */

EPT_MAIN()
