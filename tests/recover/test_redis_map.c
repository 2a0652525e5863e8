/* redis_map: an ember shard (snapshot + AOF) of random data (printed seed)
 * becomes an RDB file that our reader and a real redis-server 7 read back
 * key for key (type, value, elements in order, absolute expiry), and a
 * command stream that, sent to an empty redis-server, gives the same data;
 * an RDB becomes an ember shard that recovers to the source keyspace, one
 * shard per database; what cannot map (vector sets, proto values and
 * schemas, NaN scores; Redis streams, function libraries, other databases)
 * is reported per key and counted; damaged inputs and existing destinations
 * are refused before anything is written; the power-loss simulator at every
 * vfs operation of both directions leaves no output or the whole one, the
 * source untouched. */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"
#include "support/sim_vfs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

static int64_t now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int64_t g_now;
static int64_t the_clock(void *u) {
    (void)u;
    return g_now;
}

/* ---- random ember data --------------------------------------------------- */

typedef struct gen {
    uint64_t rng;
    ep_buf scratch;
    char bytes[8][300];
    ep_bytes v[200], f[200];
    double sc[200];
} gen;

static uint64_t rnd(gen *g, uint64_t n) { return ept_rand(&g->rng) % n; }

/* Random bytes (binary when bin) or ASCII text of up to max bytes. */
static ep_bytes rbytes(gen *g, int slot, size_t max, int bin) {
    size_t n = (size_t)rnd(g, max + 1), i;
    char *p = g->bytes[slot % 8];
    for (i = 0; i < n; i++) p[i] = bin ? (char)rnd(g, 256) : (char)('a' + rnd(g, 26));
    return ep_bytes_of(p, n);
}

/* Element i of a collection: distinct text ("m<i>-<random>"). */
static ep_bytes relem(gen *g, char *buf, size_t cap, size_t i) {
    int n = snprintf(buf, cap, "m%u-%llu", (unsigned)i, (unsigned long long)rnd(g, 1000000));
    return ep_bytes_of(buf, (size_t)n);
}

/* One random record that creates or changes a key of any type. */
static int rrecord(gen *g, ep_aof_record *rec, char keybuf[64], char el[][32]) {
    uint64_t kind = rnd(g, 9);
    ep_bytes key;
    size_t n = 1 + (size_t)rnd(g, rnd(g, 4) == 0 ? 150 : 6), i;
    int kn = snprintf(keybuf, 64, "%c%llu", "slzhsvpe"[kind % 8], (unsigned long long)rnd(g, 40));
    if (rnd(g, 5) == 0) keybuf[kn++] = (char)0xff, keybuf[kn++] = '\n'; /* binary key bytes */
    key = ep_bytes_of(keybuf, (size_t)kn);
    ep_buf_reset(&g->scratch);
    for (i = 0; i < n; i++) g->v[i] = relem(g, el[i], 32, i);
    switch (kind) {
    case 0: return ep_aof_rec_set(rec, key, rbytes(g, 0, 200, 1), -1) == EP_OK;
    case 1:
        for (i = 0; i < n; i++)
            if (rnd(g, 3) == 0) g->v[i] = rbytes(g, (int)i, 20, 1); /* list items: any bytes, repeats */
        return ep_aof_rec_rpush(rec, &g->scratch, key, g->v, n) == EP_OK;
    case 2:
        for (i = 0; i < n; i++) {
            uint64_t k = rnd(g, 12);
            g->sc[i] = k == 0 ? INFINITY : k == 1 ? -INFINITY : (double)(int64_t)rnd(g, 2000000) / 8.0 - 1000.0;
        }
        if (rnd(g, 40) == 0) g->sc[0] = NAN;
        return ep_aof_rec_zadd(rec, &g->scratch, key, g->sc, g->v, n) == EP_OK;
    case 3:
        for (i = 0; i < n; i++) g->f[i] = rbytes(g, (int)i, 40, 1);
        return ep_aof_rec_hset(rec, &g->scratch, key, g->v, g->f, n) == EP_OK;
    case 4: return ep_aof_rec_sadd(rec, &g->scratch, key, g->v, n) == EP_OK;
    case 5: {
        static const float vec[3] = {1.0f, 2.0f, 3.0f};
        if (rnd(g, 3)) return 0;
        return ep_aof_rec_vadd(rec, &g->scratch, key, g->v[0], vec, 3, 0, 0, 16, 64) == EP_OK;
    }
    case 6:
        if (rnd(g, 3)) return 0;
        return ep_aof_rec_proto_set(rec, key, EP_LIT("T1"), EP_LIT("\x08\x01"), -1) == EP_OK;
    default: {
        /* a deadline on an earlier key: far ahead (a live server must not expire it) */
        int kk = snprintf(keybuf, 64, "%c%llu", "slzhs"[rnd(g, 5)], (unsigned long long)rnd(g, 40));
        return ep_aof_rec_pexpireat(rec, ep_bytes_of(keybuf, (size_t)kk), g_now + 3600000 + (int64_t)rnd(g, 86400000)) ==
               EP_OK;
    }
    }
}

/* Shard 0 in dir on vfs: nrec random records, a snapshot halfway (covering
 * them), the rest in the AOF; plus a proto schema. The source keyspace in
 * *ks_out (caller frees) is what recovery must give. */
static int build_shard(ep_vfs *vfs, const char *dir, uint64_t seed, int nrec, ep_keyspace **ks_out) {
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_shard_config sc;
    ep_keyspace *ks = NULL;
    gen *g = (gen *)calloc(1, sizeof *g);
    char path[512], keybuf[64];
    static char el[200][32];
    ep_aof_record rec;
    int i, ok = 1;
    ep_vfs os;
    if (!vfs) {
        ep_vfs_os_init(&os);
        vfs = &os;
    }
    g->rng = seed;
    ep_buf_init(&g->scratch, NULL);
    vfs->mkdir(vfs, dir, NULL);
    vfs->sync_dir(vfs, ".", NULL);
    ep_aof_writer_config_init(&c);
    c.vfs = vfs;
    c.fsync = EP_FSYNC_NO;
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    snprintf(path, sizeof path, "%s/shard-0.aof", dir);
    if (ep_keyspace_create(NULL, &ks) != EP_OK || ep_aof_writer_open(path, &c, &w, NULL) != EP_OK) return 0;
    ep_aof_rec_proto_register(&rec, EP_LIT("T1"), EP_LIT("descriptor"));
    ok &= ep_aof_append(w, &rec) == EP_OK && ep_keyspace_apply(ks, &rec, g_now) == EP_OK;
    for (i = 0; i < nrec && ok; i++) {
        if (i == nrec / 2) ok = ep_shard_snapshot(dir, 0, ks, w, &sc, NULL) == EP_OK;
        if (!rrecord(g, &rec, keybuf, el)) continue;
        if (ep_aof_append(w, &rec) == EP_OK) (void)ep_keyspace_apply(ks, &rec, g_now);
    }
    ok &= ep_aof_writer_sync(w) == EP_OK;
    ok &= ep_aof_writer_close(w) == EP_OK;
    ep_buf_free(&g->scratch);
    free(g);
    *ks_out = ks;
    return ok;
}

static int count_unmappable(const ep_keyspace *ks) {
    ept_canon c;
    int n;
    ept_canon_from_keyspace(ks, 0, 0, &c);
    n = (int)c.skipped;
    ept_canon_free(&c);
    return n;
}

typedef struct reports {
    int n;
    int by[EP_REDIS_SKIP_COUNT];
    char last_kind[32];
} reports;

static void on_report(void *u, uint64_t db, ep_bytes key, const char *kind, ep_redis_skip why) {
    reports *r = (reports *)u;
    (void)db;
    (void)key;
    r->n++;
    if ((int)why < EP_REDIS_SKIP_COUNT) r->by[why]++;
    snprintf(r->last_kind, sizeof r->last_kind, "%s", kind);
}

static void map_config(ep_redis_map_config *mc, ep_vfs *vfs, reports *rep) {
    ep_redis_map_config_init(mc);
    mc->vfs = vfs;
    mc->now_ms = g_now;
    mc->report = on_report;
    mc->report_user = rep;
}

static int same_text(char *a, char *b) {
    int eq = strcmp(a, b) == 0;
    if (!eq) ept_canon_diff(a, b);
    free(a);
    free(b);
    return eq;
}

static char *canon_ks(const ep_keyspace *ks, uint64_t db) {
    ept_canon c;
    char *t;
    ept_canon_from_keyspace(ks, db, g_now, &c);
    t = ept_canon_text(&c);
    ept_canon_free(&c);
    return t;
}

static char *canon_rdb(const char *path) {
    ept_canon c;
    ep_error err;
    char *t;
    if (ept_canon_from_rdb(path, &c, &err) != EP_OK) {
        fprintf(stderr, "    %s: %s\n", path, err.message);
        return NULL;
    }
    t = ept_canon_text(&c);
    ept_canon_free(&c);
    return t;
}

/* The recovered keyspace of shard id in dir (OS or vfs), as canon text. */
static char *canon_shard(ep_vfs *vfs, const char *dir, uint32_t id, uint64_t db, int *loaded) {
    ep_recover_config rc;
    ep_recover_result res;
    char *t = NULL;
    ep_recover_config_init(&rc);
    rc.vfs = vfs;
    rc.wall_clock_ms = the_clock;
    *loaded = 0;
    if (ep_recover_shard(dir, (ep_shard_id)id, &rc, &res, NULL) != EP_OK) return NULL;
    *loaded = res.snapshot_loaded;
    if (res.snapshot_loaded || res.aof_present) t = canon_ks(res.keyspace, db);
    ep_recover_result_free(&res);
    return t;
}

/* ---- ember -> RDB -------------------------------------------------------- */

/* Keys come out in the keyspace's own sorted order (ep_keyspace_sorted):
 * random keys of 0..24 bytes from {0, 1, 'a', 0xff} (many equal 16-byte
 * heads, zero bytes at the end, prefixes of each other), printed seed. */
typedef struct order_seen {
    ep_bytes *keys;
    size_t n;
} order_seen;

static ep_result order_cmd(void *u, size_t argc, const ep_bytes *argv) {
    order_seen *o = (order_seen *)u;
    if (argc >= 2 && argv[0].len == 3 && memcmp(argv[0].data, "SET", 3) == 0) {
        uint8_t *d = (uint8_t *)malloc(argv[1].len + 1);
        if (!d) return EP_ERR_NOMEM;
        if (argv[1].len) memcpy(d, argv[1].data, argv[1].len);
        o->keys[o->n++] = ep_bytes_of(d, argv[1].len);
    }
    return EP_OK;
}

EPT_CASE(keys_in_the_keyspace_sort_order) {
    static const uint8_t alphabet[4] = {0, 1, 'a', 0xff};
    uint64_t st = ept_seed();
    ep_keyspace *ks = NULL;
    ep_keyspace_config kc;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    const ep_ks_entry **sorted = NULL;
    size_t count = 0, i, want = (size_t)ept_scale(3000, 300);
    order_seen o;
    ep_keyspace_config_init(&kc);
    EPT_CHECK_OK(ep_keyspace_create(&kc, &ks));
    for (i = 0; i < want; i++) {
        uint8_t key[24];
        size_t len = (size_t)(ept_rand(&st) % 25), k;
        ep_aof_record rec;
        for (k = 0; k < len; k++) key[k] = alphabet[ept_rand(&st) % 4];
        EPT_CHECK_OK(ep_aof_rec_set(&rec, ep_bytes_of(key, len), EP_LIT("v"), -1));
        EPT_CHECK_OK(ep_keyspace_apply(ks, &rec, 0));
    }
    o.n = 0;
    o.keys = (ep_bytes *)malloc(ep_keyspace_count(ks) * sizeof *o.keys);
    EPT_CHECK(o.keys != NULL);
    ep_redis_map_config_init(&mc);
    memset(&res, 0, sizeof res);
    EPT_CHECK_OK(ep_redis_keyspace_to_commands(ks, &mc, order_cmd, &o, &res, NULL));
    EPT_CHECK_OK(ep_keyspace_sorted(ks, &sorted, &count));
    EPT_CHECK(count == o.n && count == ep_keyspace_count(ks));
    for (i = 0; i < count && i < o.n; i++) {
        ep_bytes k = ep_ks_entry_key(sorted[i]);
        if (k.len != o.keys[i].len || (k.len && memcmp(k.data, o.keys[i].data, k.len) != 0)) {
            printf("    key %u out of order\n", (unsigned)i);
            EPT_CHECK(0);
            break;
        }
    }
    for (i = 0; i < o.n; i++) free((void *)o.keys[i].data);
    free(o.keys);
    ep_keyspace_sorted_free(ks, sorted);
    ep_keyspace_free(ks);
}

EPT_CASE(shard_to_rdb_reads_back) {
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    ep_error err;
    char dir[600], rdb[700];
    char *a, *b;
    int i;
    g_now = now_ms();
    for (i = 0; i < 4; i++) {
        uint64_t seed = ept_seed() + (uint64_t)i;
        snprintf(dir, sizeof dir, "%s/s%d", ept_tmpdir(), i);
        snprintf(rdb, sizeof rdb, "%s/s%d.rdb", ept_tmpdir(), i);
        EPT_CHECK(build_shard(NULL, dir, seed, (int)ept_scale(400, 4), &src));
        memset(&rep, 0, sizeof rep);
        map_config(&mc, NULL, &rep);
        mc.rdb_compress = i & 1;
        mc.rdb_version = i < 2 ? 10 : 9;
        EPT_CHECK_OK(ep_redis_shard_to_rdb(dir, 0, rdb, &mc, &res, &err));
        a = canon_rdb(rdb);
        EPT_CHECK(a != NULL);
        b = canon_ks(src, 0);
        EPT_CHECK(same_text(a, b));
        /* every key accounted for: converted + reported (+1 schema) */
        EPT_CHECK_EQ(res.keys, (uint64_t)ep_keyspace_count(src));
        EPT_CHECK_EQ(res.converted + res.unmapped, res.keys + 1);
        EPT_CHECK_EQ(res.unmapped, (uint64_t)count_unmappable(src) + 1);
        EPT_CHECK_EQ((uint64_t)rep.n, res.unmapped);
        EPT_CHECK_EQ(res.by_reason[EP_REDIS_SKIP_SCHEMA], 1);
        EPT_CHECK_EQ(res.by_reason[EP_REDIS_SKIP_VECTOR] + res.by_reason[EP_REDIS_SKIP_PROTO] +
                         res.by_reason[EP_REDIS_SKIP_NAN_SCORE] + 1,
                     res.unmapped);
        EPT_CHECK(res.bytes > 9 && !res.aof_torn);
        if (i == 0)
            printf("    %llu keys: %llu converted, %llu unmapped (vector %llu, proto %llu, nan %llu, schema 1); %llu bytes\n",
                   (unsigned long long)res.keys, (unsigned long long)res.converted, (unsigned long long)res.unmapped,
                   (unsigned long long)res.by_reason[EP_REDIS_SKIP_VECTOR],
                   (unsigned long long)res.by_reason[EP_REDIS_SKIP_PROTO],
                   (unsigned long long)res.by_reason[EP_REDIS_SKIP_NAN_SCORE], (unsigned long long)res.bytes);
        ep_keyspace_free(src);
    }
}

EPT_CASE(shard_to_rdb_redis_server_loads) {
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    ep_error err;
    ept_redis r;
    ept_canon theirs;
    char dir[600], rdir[600], rdb[700];
    char *a, *b;
    if (!ept_need_redis()) return;
    g_now = now_ms();
    snprintf(dir, sizeof dir, "%s/src", ept_tmpdir());
    snprintf(rdir, sizeof rdir, "%s/redis", ept_tmpdir());
    snprintf(rdb, sizeof rdb, "%s/dump.rdb", rdir);
    EPT_CHECK(build_shard(NULL, dir, ept_seed(), (int)ept_scale(600, 4), &src));
    {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", rdir);
        EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
    }
    memset(&rep, 0, sizeof rep);
    map_config(&mc, NULL, &rep);
    mc.db = 3;
    EPT_CHECK_OK(ep_redis_shard_to_rdb(dir, 0, rdb, &mc, &res, &err));
    EPT_CHECK(ept_redis_start(&r, rdir, "", 10000) == 0);
    if (ept_canon_from_server(&r, 4, &theirs) != 0) {
        ept_redis_stop(&r);
        EPT_CHECK(0);
    }
    ept_redis_stop(&r);
    a = ept_canon_text(&theirs);
    b = canon_ks(src, 3);
    EPT_CHECK(same_text(a, b));
    EPT_CHECK_EQ((uint64_t)theirs.n, res.converted);
    ept_canon_free(&theirs);
    if (ept_have_program("redis-check-rdb")) {
        char cmd[800];
        snprintf(cmd, sizeof cmd, "redis-check-rdb '%s' >/dev/null 2>&1", rdb);
        EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
    }
    printf("    redis-server 7 loaded %llu keys into db 3, every type, value and deadline as the shard's\n",
           (unsigned long long)res.converted);
    ep_keyspace_free(src);
}

/* ---- ember -> appendonlydir/ ----------------------------------------------- */

EPT_CASE(shard_to_aof_dir_redis_server_starts) {
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    ep_error err;
    ept_redis r;
    ept_canon theirs;
    char dir[600], rdir[600], aofdir[700], cmd[1600];
    char *a, *b;
    if (!ept_need_redis()) return;
    g_now = now_ms();
    snprintf(dir, sizeof dir, "%s/src", ept_tmpdir());
    snprintf(rdir, sizeof rdir, "%s/redis", ept_tmpdir());
    snprintf(aofdir, sizeof aofdir, "%s/appendonlydir", rdir);
    EPT_CHECK(build_shard(NULL, dir, ept_seed(), (int)ept_scale(400, 4), &src));
    memset(&rep, 0, sizeof rep);
    map_config(&mc, NULL, &rep);
    EPT_CHECK_OK(ep_redis_shard_to_aof_dir(dir, 0, aofdir, &mc, &res, &err));
    EPT_CHECK_EQ(ep_redis_shard_to_aof_dir(dir, 0, aofdir, &mc, &res, &err), EP_ERR_EXISTS);
    {
        ep_probe_info pi;
        EPT_CHECK_OK(ep_probe_path(NULL, aofdir, &pi, NULL));
        EPT_CHECK_EQ(pi.kind, EP_PROBE_REDIS_AOF_DIR);
    }
    if (ept_have_program("redis-check-aof")) {
        snprintf(cmd, sizeof cmd, "redis-check-aof '%s/appendonly.aof.manifest' 2>&1 | grep -q 'are valid'", aofdir);
        EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
    }
    EPT_CHECK(ept_redis_start(&r, rdir, "--appendonly yes --appenddirname appendonlydir", 10000) == 0);
    if (ept_canon_from_server(&r, 1, &theirs) != 0) {
        ept_redis_stop(&r);
        EPT_CHECK(0);
    }
    ept_redis_stop(&r);
    a = ept_canon_text(&theirs);
    b = canon_ks(src, 0);
    EPT_CHECK(same_text(a, b));
    printf("    redis-server 7 started from the appendonlydir with all %llu keys\n", (unsigned long long)theirs.n);
    ept_canon_free(&theirs);
    ep_keyspace_free(src);
}

EPT_CASE(power_loss_shard_to_aof_dir) {
    uint64_t seed = ept_seed(), k;
    ep_vfs *vfs = NULL, *mem = NULL;
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    uint8_t *want = NULL, *got;
    size_t want_n = 0, got_n;
    int absent = 0, whole = 0;
    g_now = 1700000000000LL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
    EPT_CHECK(build_shard(mem, "d", seed, 60, &src));
    ep_keyspace_free(src);
    memset(&rep, 0, sizeof rep);
    map_config(&mc, mem, &rep);
    EPT_CHECK_OK(ep_redis_shard_to_aof_dir("d", 0, "a/aod", &mc, &res, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(mem, "a/aod/appendonly.aof.1.base.rdb", NULL, (size_t)1 << 30, &want, &want_n, NULL));
    ep_vfs_mem_free(mem);
    for (k = 0; !ept_failed(); k++) {
        ep_result r;
        int done;
        sim_crash_opts so;
        EPT_CHECK_OK(sim_vfs_create(&vfs));
        EPT_CHECK(build_shard(vfs, "d", seed, 60, &src));
        ep_keyspace_free(src);
        so.file_outcome = SIM_OUTCOME_ALL;
        so.dir_changes = SIM_DIR_KEEP_ALL;
        sim_crash_ex(vfs, seed, &so);
        map_config(&mc, vfs, &rep);
        sim_vfs_set_crash_after(vfs, k);
        r = ep_redis_shard_to_aof_dir("d", 0, "a/aod", &mc, &res, NULL);
        done = !sim_vfs_is_dead(vfs);
        if (done) EPT_CHECK_OK(r);
        sim_crash(vfs, seed + k);
        if (!sim_vfs_exists(vfs, "a/aod/appendonly.aof.manifest")) {
            absent++;
            EPT_EXPECT(!done);
        } else {
            /* a manifest only with everything it names, whole */
            EPT_EXPECT(sim_vfs_read_file(vfs, "a/aod/appendonly.aof.1.base.rdb", &got, &got_n) == EP_OK);
            EPT_EXPECT(got_n == want_n && memcmp(got, want, want_n) == 0);
            free(got);
            EPT_EXPECT(sim_vfs_exists(vfs, "a/aod/appendonly.aof.1.incr.aof"));
            EPT_EXPECT(sim_vfs_read_file(vfs, "a/aod/appendonly.aof.manifest", &got, &got_n) == EP_OK && got_n == 88);
            free(got);
            whole++;
        }
        sim_vfs_destroy(vfs);
        if (done) break;
    }
    printf("    %llu operations; crashes: %d without a manifest, %d with the whole directory\n", (unsigned long long)k,
           absent, whole);
    EPT_CHECK(whole > 0 && absent > 0);
    ep_free(NULL, want);
}

/* ---- ember -> commands ---------------------------------------------------- */

typedef struct cmd_sink {
    ept_redis *r;
    uint64_t n, max_argc, errors;
    ep_buf resp;      /* the stream as RESP, as an AOF would hold it */
} cmd_sink;

static ep_result send_cmd(void *u, size_t argc, const ep_bytes *argv) {
    cmd_sink *s = (cmd_sink *)u;
    const char *av[2 + 2 * EP_REDIS_ITEMS_PER_CMD];
    size_t al[2 + 2 * EP_REDIS_ITEMS_PER_CMD], i;
    char out[256];
    s->n++;
    if (argc > s->max_argc) s->max_argc = argc;
    ep_resp_write_command(&s->resp, argc, argv);
    if (!s->r) return EP_OK;
    for (i = 0; i < argc; i++) {
        av[i] = (const char *)argv[i].data;
        al[i] = argv[i].len;
    }
    if (ept_redis_cmd(s->r, out, sizeof out, (int)argc, av, al) != 0) return EP_ERR_IO;
    if (out[0] == '-') {
        fprintf(stderr, "    redis: %.*s: %s\n", (int)argv[0].len, (const char *)argv[0].data, out);
        s->errors++;
    }
    return EP_OK;
}

EPT_CASE(shard_to_commands_redis_server) {
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    ep_error err;
    ept_redis r;
    ept_canon theirs;
    cmd_sink sink;
    char dir[600], rdir[600], cmd[700];
    char *a, *b;
    g_now = now_ms();
    snprintf(dir, sizeof dir, "%s/src", ept_tmpdir());
    snprintf(rdir, sizeof rdir, "%s/redis", ept_tmpdir());
    EPT_CHECK(build_shard(NULL, dir, ept_seed(), (int)ept_scale(600, 4), &src));
    memset(&sink, 0, sizeof sink);
    ep_buf_init(&sink.resp, NULL);
    memset(&rep, 0, sizeof rep);
    map_config(&mc, NULL, &rep);
    mc.db = 2;
    /* without a server: the stream alone (counts, chunking) */
    EPT_CHECK_OK(ep_redis_shard_to_commands(dir, 0, &mc, send_cmd, &sink, &res, &err));
    EPT_CHECK_EQ(sink.n, res.commands);
    EPT_CHECK(sink.max_argc <= 2 + 2 * EP_REDIS_ITEMS_PER_CMD);
    EPT_CHECK(res.commands > res.converted); /* SELECT + one or more per key */
    EPT_CHECK_EQ(res.unmapped, (uint64_t)count_unmappable(src) + 1);
    if (!ept_need_redis()) {
        ep_buf_free(&sink.resp);
        ep_keyspace_free(src);
        return;
    }
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", rdir);
    EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
    EPT_CHECK(ept_redis_start(&r, rdir, "", 10000) == 0);
    sink.r = &r;
    sink.n = 0;
    if (ep_redis_shard_to_commands(dir, 0, &mc, send_cmd, &sink, &res, &err) != EP_OK ||
        ept_canon_from_server(&r, 3, &theirs) != 0) {
        fprintf(stderr, "    %s\n", err.message);
        ept_redis_stop(&r);
        EPT_CHECK(0);
    }
    ept_redis_stop(&r);
    EPT_CHECK_EQ(sink.errors, 0);
    a = ept_canon_text(&theirs);
    b = canon_ks(src, 2);
    EPT_CHECK(same_text(a, b));
    ept_canon_free(&theirs);
    /* the same stream as a RESP AOF: redis-check-aof accepts it */
    if (ept_have_program("redis-check-aof")) {
        char path[700], c2[900];
        snprintf(path, sizeof path, "%s/convert.aof", ept_tmpdir());
        EPT_CHECK(ept_write_file(path, sink.resp.data, sink.resp.len) == 0);
        snprintf(c2, sizeof c2, "redis-check-aof '%s' >/dev/null 2>&1", path);
        EPT_CHECK(ept_run_cmd(c2, NULL, 0) == 0);
    }
    printf("    %llu commands (largest %llu arguments) rebuilt %llu keys in redis-server 7\n",
           (unsigned long long)res.commands, (unsigned long long)sink.max_argc, (unsigned long long)res.converted);
    ep_buf_free(&sink.resp);
    ep_keyspace_free(src);
}

/* ---- RDB -> ember ---------------------------------------------------------- */

EPT_CASE(rdb_to_shard_round_trip) {
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res, back;
    reports rep;
    ep_error err;
    char dir[600], dst[600], rdb[700];
    int loaded, i;
    g_now = now_ms();
    for (i = 0; i < 3; i++) {
        char *a, *b;
        snprintf(dir, sizeof dir, "%s/a%d", ept_tmpdir(), i);
        snprintf(dst, sizeof dst, "%s/b%d/deeper", ept_tmpdir(), i);
        snprintf(rdb, sizeof rdb, "%s/a%d.rdb", ept_tmpdir(), i);
        EPT_CHECK(build_shard(NULL, dir, ept_seed() + (uint64_t)i * 77, (int)ept_scale(400, 4), &src));
        memset(&rep, 0, sizeof rep);
        map_config(&mc, NULL, &rep);
        EPT_CHECK_OK(ep_redis_shard_to_rdb(dir, 0, rdb, &mc, &res, &err));
        mc.db = 0;
        EPT_CHECK_OK(ep_redis_rdb_to_shard(rdb, dst, 9, &mc, &back, &err));
        EPT_CHECK_EQ(back.shards, 1);
        EPT_CHECK_EQ(back.converted, res.converted);
        EPT_CHECK_EQ(back.unmapped, 0);
        a = canon_shard(NULL, dst, 9, 0, &loaded);
        EPT_CHECK(a && loaded);
        b = canon_ks(src, 0);
        EPT_CHECK(same_text(a, b));
        /* a second convert into the same shard is refused, nothing changed */
        EPT_CHECK_EQ(ep_redis_rdb_to_shard(rdb, dst, 9, &mc, &back, &err), EP_ERR_EXISTS);
        ep_keyspace_free(src);
    }
}

EPT_CASE(rdb_from_redis_server_to_shards) {
    ept_redis r;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    ep_error err;
    char rdir[600], rdb[700], dst[600], dst2[600], cmd[700], out[256];
    int loaded;
    char *t;
    if (!ept_need_redis()) return;
    g_now = now_ms();
    snprintf(rdir, sizeof rdir, "%s/redis", ept_tmpdir());
    snprintf(rdb, sizeof rdb, "%s/dump.rdb", rdir);
    snprintf(dst, sizeof dst, "%s/all", ept_tmpdir());
    snprintf(dst2, sizeof dst2, "%s/one", ept_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", rdir);
    EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
    EPT_CHECK(ept_redis_start(&r, rdir, "", 10000) == 0);
    if (ept_redis_cmdv(&r, out, sizeof out, "SET", "a", "1", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "RPUSH", "l", "x", "y", "z", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "SET", "gone", "v", "PX", "1", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "SET", "ttl", "v", "PX", "100000000", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "XADD", "stream", "1-1", "f", "v", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "FUNCTION", "LOAD",
                       "#!lua name=lib\nredis.register_function('f', function(keys, args) return 1 end)",
                       (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "SADD", "binset", "ok", "\xff\xfe", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "SELECT", "1", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "HSET", "h", "f", "v", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "SELECT", "5", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "ZADD", "z", "1.5", "m", (const char *)NULL) ||
        ept_redis_cmdv(&r, out, sizeof out, "SAVE", (const char *)NULL)) {
        ept_redis_stop(&r);
        EPT_CHECK(0);
    }
    ept_redis_stop(&r);
    g_now = now_ms() + 10; /* "gone" (PX 1) has expired by now */
    /* every database: db N -> shard 10 + N */
    memset(&rep, 0, sizeof rep);
    map_config(&mc, NULL, &rep);
    mc.db = EP_REDIS_ALL_DBS;
    EPT_CHECK_OK(ep_redis_rdb_to_shard(rdb, dst, 10, &mc, &res, &err));
    EPT_CHECK_EQ(res.shards, 3);
    EPT_CHECK_EQ(res.by_reason[EP_REDIS_SKIP_STREAM], 1);
    EPT_CHECK_EQ(res.by_reason[EP_REDIS_SKIP_FUNCTION], 1);
    EPT_CHECK_EQ(res.by_reason[EP_REDIS_SKIP_NOT_UTF8], 1);
    EPT_CHECK_EQ(res.unmapped, 3);
    EPT_CHECK_EQ((uint64_t)rep.n, 3);
    EPT_CHECK_EQ(res.converted, 5);
    EPT_CHECK_EQ(res.keys, 7 + res.expired); /* "gone" may be in the dump, expired */
    t = canon_shard(NULL, dst, 10, 0, &loaded);
    EPT_CHECK(t && loaded && strstr(t, "0\ta\tstring\t-1\t1\n") && strstr(t, "0\tl\tlist\t-1\tx,y,z\n") &&
              strstr(t, "\tttl\tstring\t") && !strstr(t, "gone") && !strstr(t, "stream"));
    free(t);
    t = canon_shard(NULL, dst, 11, 0, &loaded);
    EPT_CHECK(t && strcmp(t, "0\th\thash\t-1\tf=v\n") == 0);
    free(t);
    t = canon_shard(NULL, dst, 15, 0, &loaded);
    EPT_CHECK(t && strcmp(t, "0\tz\tzset\t-1\tm=1.5\n") == 0);
    free(t);
    /* one database: the others' keys are reported, not dropped */
    memset(&rep, 0, sizeof rep);
    mc.db = 5;
    EPT_CHECK_OK(ep_redis_rdb_to_shard(rdb, dst2, 0, &mc, &res, &err));
    EPT_CHECK_EQ(res.shards, 1);
    EPT_CHECK_EQ(res.converted, 1);
    EPT_CHECK_EQ(res.by_reason[EP_REDIS_SKIP_OTHER_DB], 4);
    EPT_CHECK_EQ((uint64_t)rep.n, res.unmapped);
}

/* Where recovery of the intact shard in dir says the snapshot's covered
 * AOF prefix ends; 0 when it cannot tell. */
static uint64_t covered_prefix(const char *dir) {
    ep_recover_config rc;
    ep_recover_result rr;
    uint64_t covered = 0;
    ep_recover_config_init(&rc);
    if (ep_recover_shard(dir, 0, &rc, &rr, NULL) != EP_OK) return 0;
    if (rr.trailer == EP_TRAILER_APPLIED && rr.aof_end == EP_AOF_END_CLEAN) covered = rr.aof_skipped_bytes;
    ep_recover_result_free(&rr);
    return covered;
}

/* Two bytes flipped in the AOF of the shard in dir (built by build_shard,
 * whose snapshot covers the first half of the records) at pos. */
static int damage_aof(const char *dir, const uint8_t *orig, size_t n, size_t pos) {
    char aof[700];
    uint8_t *d = (uint8_t *)malloc(n);
    int ok;
    if (!d || pos + 1 >= n) {
        free(d);
        return 0;
    }
    memcpy(d, orig, n);
    d[pos] ^= 0x55;
    d[pos + 1] ^= 0x55;
    snprintf(aof, sizeof aof, "%s/shard-0.aof", dir);
    ok = ept_write_file(aof, d, n) == 0;
    free(d);
    return ok;
}

/* Damage the AOF of the shard in dir (src is what it holds) in the two
 * places that differ in kind. Inside the prefix the snapshot covers, the
 * damaged records are never replayed (recovery: EP_TRAILER_DAMAGED, the
 * snapshot holds their effect), so the data is whole and the conversion
 * gives exactly src. After that prefix, with records after the damage,
 * recovery stops at an error: the converter refuses and writes nothing.
 * (The test used to flip at 3/4 of the file's bytes, which for some seeds
 * lies inside the covered prefix: the snapshot is taken by record count.) */
static void check_aof_damage(const char *dir, uint64_t seed, const ep_keyspace *src) {
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    ep_error err;
    ep_vfs os;
    char aof[700], out[700];
    uint8_t *orig;
    size_t n, covered, pos;
    ep_vfs_os_init(&os);
    snprintf(aof, sizeof aof, "%s/shard-0.aof", dir);
    snprintf(out, sizeof out, "%s/damaged-%llu.rdb", ept_tmpdir(), (unsigned long long)seed);
    covered = (size_t)covered_prefix(dir);
    orig = ept_read_file(aof, &n);
    EPT_CHECK(orig && covered > 40 && n > covered + 40);
    if (!orig || covered <= 40 || n <= covered + 40) {
        free(orig);
        return;
    }
    memset(&rep, 0, sizeof rep);
    map_config(&mc, NULL, &rep);
    mc.db = 0;
    /* inside the covered prefix (past the first record, the schema): harmless */
    pos = 20 + (size_t)(seed % (uint64_t)(covered - 40));
    EPT_CHECK(damage_aof(dir, orig, n, pos));
    EPT_CHECK_OK(ep_redis_shard_to_rdb(dir, 0, out, &mc, &res, &err));
    EPT_CHECK(!res.aof_torn);
    EPT_CHECK(same_text(canon_rdb(out), canon_ks(src, 0)));
    (void)os.remove(&os, out, NULL);
    /* after it, in the middle of what is replayed: refused, nothing written */
    pos = covered + (n - covered) / 2;
    EPT_CHECK(damage_aof(dir, orig, n, pos));
    EPT_CHECK_EQ(ep_redis_shard_to_rdb(dir, 0, out, &mc, &res, &err), EP_ERR_CORRUPT);
    EPT_CHECK(os.stat(&os, out, NULL, NULL) == EP_ERR_NOT_FOUND);
    free(orig);
}

/* The shape of seed 1690982542292655 (3/4 of the bytes fell inside the
 * covered prefix), fixed: both places checked for that seed and two others. */
EPT_CASE(aof_damage_covered_or_replayed) {
    static const uint64_t seeds[] = {1690982542292655ULL, 1ULL, 42ULL};
    size_t i;
    g_now = now_ms();
    for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        ep_keyspace *src = NULL;
        char dir[600];
        snprintf(dir, sizeof dir, "%s/fixed-%u", ept_tmpdir(), (unsigned)i);
        EPT_CHECK(build_shard(NULL, dir, seeds[i], 100, &src));
        check_aof_damage(dir, seeds[i], src);
        ep_keyspace_free(src);
    }
}

EPT_CASE(refusals_write_nothing) {
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    ep_error err;
    char dir[600], rdb[700], bad[700], dst[600];
    uint8_t *d;
    size_t n;
    ep_vfs os;
    g_now = now_ms();
    ep_vfs_os_init(&os);
    snprintf(dir, sizeof dir, "%s/src", ept_tmpdir());
    snprintf(rdb, sizeof rdb, "%s/x.rdb", ept_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.rdb", ept_tmpdir());
    snprintf(dst, sizeof dst, "%s/dst", ept_tmpdir());
    EPT_CHECK(build_shard(NULL, dir, ept_seed(), 100, &src));
    memset(&rep, 0, sizeof rep);
    map_config(&mc, NULL, &rep);
    EPT_CHECK_OK(ep_redis_shard_to_rdb(dir, 0, rdb, &mc, &res, &err));
    /* a damaged RDB: every 7th byte flipped in turn, never a shard written */
    d = ept_read_file(rdb, &n);
    EPT_CHECK(d && n > 20);
    {
        size_t i;
        int refused = 0;
        for (i = 9; i < n; i += 7) {
            ep_result r;
            d[i] ^= 0x20;
            EPT_CHECK(ept_write_file(bad, d, n) == 0);
            d[i] ^= 0x20;
            mc.db = EP_REDIS_ALL_DBS;
            r = ep_redis_rdb_to_shard(bad, dst, 0, &mc, &res, &err);
            EPT_CHECK(r != EP_OK);
            EPT_CHECK(os.stat(&os, dst, NULL, NULL) == EP_ERR_NOT_FOUND);
            refused++;
        }
        printf("    %d damaged RDBs refused, no destination created\n", refused);
    }
    free(d);
    /* an ember shard whose AOF has damage after what the snapshot covers:
     * refused (check_aof_damage, both places of the damage) */
    check_aof_damage(dir, ept_seed(), src);
    mc.db = 0;
    EPT_CHECK_EQ(ep_redis_shard_to_rdb("/nonexistent-dir-xyz", 0, bad, &mc, &res, &err), EP_ERR_NOT_FOUND);
    ep_keyspace_free(src);
}

/* ---- power loss -------------------------------------------------------------- */

static int vfs_put(ep_vfs *v, const char *path, const uint8_t *d, size_t n) {
    ep_file *f = NULL;
    int ok = v->open(v, path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, NULL) == EP_OK;
    ok = ok && v->write(v, f, 0, d, n, NULL) == EP_OK && v->sync(v, f, NULL) == EP_OK;
    if (f) v->close(v, f, NULL);
    return ok && v->sync_dir(v, ".", NULL) == EP_OK;
}

EPT_CASE(power_loss_shard_to_rdb) {
    uint64_t seed = ept_seed(), k;
    ep_vfs *vfs = NULL, *mem = NULL;
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    uint8_t *want = NULL, *got;
    size_t want_n = 0, got_n;
    int absent = 0, whole = 0;
    g_now = 1700000000000LL;
    /* the reference output on a plain in-memory vfs */
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
    EPT_CHECK(build_shard(mem, "d", seed, 60, &src));
    ep_keyspace_free(src);
    memset(&rep, 0, sizeof rep);
    map_config(&mc, mem, &rep);
    EPT_CHECK_OK(ep_redis_shard_to_rdb("d", 0, "out.rdb", &mc, &res, NULL));
    EPT_CHECK_OK(ep_vfs_read_all(mem, "out.rdb", NULL, (size_t)1 << 30, &want, &want_n, NULL));
    ep_vfs_mem_free(mem);
    for (k = 0; !ept_failed(); k++) {
        ep_result r;
        int done;
        EPT_CHECK_OK(sim_vfs_create(&vfs));
        EPT_CHECK(build_shard(vfs, "d", seed, 60, &src));
        ep_keyspace_free(src);
        {
            sim_crash_opts so;
            so.file_outcome = SIM_OUTCOME_ALL;
            so.dir_changes = SIM_DIR_KEEP_ALL;
            sim_crash_ex(vfs, seed, &so); /* the build settled as it is */
        }
        map_config(&mc, vfs, &rep);
        sim_vfs_set_crash_after(vfs, k);
        r = ep_redis_shard_to_rdb("d", 0, "out.rdb", &mc, &res, NULL);
        done = !sim_vfs_is_dead(vfs);
        if (done) EPT_CHECK_OK(r);
        sim_crash(vfs, seed + k);
        if (sim_vfs_read_file(vfs, "out.rdb", &got, &got_n) != EP_OK) {
            absent++;
            EPT_EXPECT(!done);
        } else {
            EPT_EXPECT(got_n == want_n && memcmp(got, want, want_n) == 0);
            whole++;
            free(got);
        }
        EPT_EXPECT(!sim_vfs_exists(vfs, "out.rdb.tmp") || !done);
        sim_vfs_destroy(vfs);
        if (done) break;
    }
    printf("    %llu operations; crashes: %d without the RDB, %d with all of it\n", (unsigned long long)k, absent, whole);
    EPT_CHECK(whole > 0 && absent > 0);
    ep_free(NULL, want);
}

EPT_CASE(power_loss_rdb_to_shard) {
    uint64_t seed = ept_seed(), k;
    ep_vfs *vfs = NULL;
    ep_keyspace *src = NULL;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    reports rep;
    char dir[600], rdb[700];
    uint8_t *bytes;
    size_t n;
    char *want;
    int absent = 0, whole = 0, loaded;
    g_now = 1700000000000LL;
    snprintf(dir, sizeof dir, "%s/src", ept_tmpdir());
    snprintf(rdb, sizeof rdb, "%s/src.rdb", ept_tmpdir());
    EPT_CHECK(build_shard(NULL, dir, seed, 60, &src));
    memset(&rep, 0, sizeof rep);
    map_config(&mc, NULL, &rep);
    EPT_CHECK_OK(ep_redis_shard_to_rdb(dir, 0, rdb, &mc, &res, NULL));
    want = canon_ks(src, 0);
    ep_keyspace_free(src);
    bytes = ept_read_file(rdb, &n);
    EPT_CHECK(bytes);
    for (k = 0; !ept_failed(); k++) {
        ep_result r;
        int done;
        char *got;
        EPT_CHECK_OK(sim_vfs_create(&vfs));
        EPT_CHECK(vfs_put(vfs, "in.rdb", bytes, n));
        map_config(&mc, vfs, &rep);
        mc.db = 0;
        sim_vfs_set_crash_after(vfs, k);
        r = ep_redis_rdb_to_shard("in.rdb", "e/f", 4, &mc, &res, NULL);
        done = !sim_vfs_is_dead(vfs);
        if (done) EPT_CHECK_OK(r);
        sim_crash(vfs, seed + k);
        got = canon_shard(vfs, "e/f", 4, 0, &loaded);
        if (!got || !loaded) {
            absent++;
            EPT_EXPECT(!done);
            EPT_EXPECT(!sim_vfs_exists(vfs, "e/f/shard-4.snap"));
        } else {
            EPT_EXPECT(strcmp(got, want) == 0);
            whole++;
        }
        free(got);
        sim_vfs_destroy(vfs);
        if (done) break;
    }
    printf("    %llu operations; crashes: %d without the shard, %d with all of it\n", (unsigned long long)k, absent, whole);
    EPT_CHECK(whole > 0 && absent > 0);
    free(want);
    free(bytes);
}

EPT_MAIN()
