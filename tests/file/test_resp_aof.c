/* resp_aof: random binary commands across databases round-trip (printed
 * seed) with SELECT where Redis puts it; a cut at every byte reads as the
 * complete prefix and TRUNCATED (never damaged), and the writer trims it on
 * open and goes on; mid-file damage is an error with Redis's offset (and
 * the writer refuses to append); an unfinished MULTI ends before the MULTI;
 * the fsync policies with a clock (always: one sync per call, everysec:
 * about one per second of the clock, no: none); a failed sync poisons; a
 * failure at every vfs op of an append loses nothing acknowledged; a power
 * cut at every vfs op keeps every acknowledged command (a torn tail reads
 * as TRUNCATED; only garbage past the acknowledged prefix reads as damage).
 * Interop: redis-check-aof accepts our files and agrees with our
 * valid_bytes on mkaof.py's truncated files (ok_up_to); redis-server 7
 * migrates and loads our appendonly.aof and every value reads back. */
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/sim_vfs.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct cmdlog {
    ep_buf text;      /* every command rendered: "arg|arg|...\n" with hex escapes */
    uint64_t n;
} cmdlog;

static void render(cmdlog *l, size_t argc, const ep_bytes *argv) {
    size_t i, j;
    for (i = 0; i < argc; i++) {
        if (i) ep_buf_put(&l->text, "|", 1);
        for (j = 0; j < argv[i].len; j++) {
            char hx[4];
            snprintf(hx, sizeof hx, "%02x", argv[i].data[j]);
            ep_buf_put(&l->text, hx, 2);
        }
    }
    ep_buf_put(&l->text, "\n", 1);
    l->n++;
}

static ep_result on_cmd(void *u, size_t argc, const ep_bytes *argv) {
    render((cmdlog *)u, argc, argv);
    return EP_OK;
}

static ep_vfs *memfs(void) {
    ep_vfs *v = NULL;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) abort();
    return v;
}

EPT_CASE(random_round_trip_with_select) {
    uint64_t st = ept_seed();
    ep_vfs *vfs = memfs();
    ep_resp_aof_writer_config wc;
    ep_resp_aof_writer *w;
    ep_resp_aof_reader_config rc;
    ep_resp_aof_status s;
    cmdlog want, got;
    ep_error err;
    int i;
    int64_t db = -1;
    memset(&want, 0, sizeof want);
    memset(&got, 0, sizeof got);
    ep_buf_init(&want.text, NULL);
    ep_buf_init(&got.text, NULL);
    ep_resp_aof_writer_config_init(&wc);
    wc.vfs = vfs;
    wc.fsync = EP_FSYNC_NO;
    wc.buffer_size = 256;
    EPT_CHECK_OK(ep_resp_aof_writer_open("a.aof", &wc, &w, &err));
    for (i = 0; i < (int)ept_scale(2000, 10); i++) {
        uint8_t store[6][300];
        ep_bytes argv[6];
        size_t argc = 1 + (size_t)(ept_rand(&st) % 6), k, j;
        uint64_t d = ept_rand(&st) % 3;
        for (k = 0; k < argc; k++) {
            size_t n = (size_t)(ept_rand(&st) % (k == 0 ? 8 : 300));
            for (j = 0; j < n; j++) store[k][j] = (uint8_t)ept_rand(&st);
            argv[k] = ep_bytes_of(store[k], n);
        }
        if (db < 0 || (uint64_t)db != d) {
            ep_bytes sel[2];
            char num[8];
            sel[0] = EP_LIT("SELECT");
            sel[1] = ep_bytes_of(num, (size_t)snprintf(num, sizeof num, "%u", (unsigned)d));
            render(&want, 2, sel);
            db = (int64_t)d;
        }
        render(&want, argc, argv);
        EPT_CHECK_OK(ep_resp_aof_append_db(w, d, argc, argv));
    }
    EPT_CHECK_OK(ep_resp_aof_writer_close(w));
    ep_resp_aof_reader_config_init(&rc);
    rc.vfs = vfs;
    rc.chunk_size = 64;
    EPT_CHECK_OK(ep_resp_aof_read_all("a.aof", &rc, on_cmd, &got, &s, &err));
    EPT_CHECK(s.end == EP_RESP_AOF_CLEAN && s.commands == want.n && s.valid_bytes == s.file_size);
    EPT_CHECK(got.text.len == want.text.len && memcmp(got.text.data, want.text.data, got.text.len) == 0);
    ep_buf_free(&want.text);
    ep_buf_free(&got.text);
    ep_vfs_mem_free(vfs);
}

/* A small file: the commands of mkaof.py, built here. */
static size_t small_file(ep_vfs *vfs, const char *path, uint64_t *ends, size_t max_ends) {
    ep_resp_aof_writer_config wc;
    ep_resp_aof_writer *w;
    const char *cmds[][4] = {{"SET", "str", "hello", NULL}, {"RPUSH", "list", "a", "b"}, {"SADD", "set", "x", NULL},
                             {"HSET", "hash", "f1", "v1"}, {"ZADD", "zset", "1.5", "m1"}, {"INCR", "counter", NULL, NULL}};
    size_t i, n = 0;
    ep_resp_aof_writer_config_init(&wc);
    wc.vfs = vfs;
    wc.fsync = EP_FSYNC_ALWAYS;
    if (ep_resp_aof_writer_open(path, &wc, &w, NULL) != EP_OK) abort();
    for (i = 0; i < 6; i++) {
        ep_bytes argv[4];
        size_t argc = 0;
        while (argc < 4 && cmds[i][argc]) {
            argv[argc] = ep_bytes_str(cmds[i][argc]);
            argc++;
        }
        if (ep_resp_aof_append_db(w, 0, argc, argv) != EP_OK) abort();
        if (n < max_ends) ends[n++] = ep_resp_aof_size(w);
    }
    ep_resp_aof_writer_close(w);
    return n;
}

EPT_CASE(truncation_at_every_byte) {
    ep_vfs *vfs = memfs();
    uint64_t ends[8];
    uint8_t *d;
    size_t n, cut, i, ne = small_file(vfs, "a.aof", ends, 8);
    EPT_CHECK(ne == 6);
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "a.aof", NULL, 1 << 20, &d, &n, NULL));
    for (cut = 0; cut <= n; cut++) {
        ep_resp_aof_reader_config rc;
        ep_resp_aof_status s;
        ep_resp_aof_writer_config wc;
        ep_resp_aof_writer *w;
        uint64_t want_valid = 0, want_cmds = 0;
        ep_error err;
        ep_bytes argv[2];
        EPT_CHECK_OK(ep_vfs_write_all(vfs, "t.aof", d, cut, NULL));
        /* the SELECT is the first command (ends[0] includes it) */
        for (i = 0; i < ne; i++)
            if (ends[i] <= cut) want_valid = ends[i], want_cmds = i + 2;
        if (want_valid == 0 && cut >= 23) want_cmds = 1, want_valid = 23; /* "*2 $6 SELECT $1 0" is 23 bytes */
        ep_resp_aof_reader_config_init(&rc);
        rc.vfs = vfs;
        rc.chunk_size = 64;
        EPT_CHECK_OK(ep_resp_aof_read_all("t.aof", &rc, NULL, NULL, &s, &err));
        EPT_CHECK(s.valid_bytes == want_valid && s.commands == want_cmds);
        EPT_CHECK(s.end == (cut == want_valid ? EP_RESP_AOF_CLEAN : EP_RESP_AOF_TRUNCATED));
        /* the writer trims and appends */
        ep_resp_aof_writer_config_init(&wc);
        wc.vfs = vfs;
        EPT_CHECK_OK(ep_resp_aof_writer_open("t.aof", &wc, &w, &err));
        EPT_CHECK(ep_resp_aof_trimmed(w) == cut - want_valid);
        argv[0] = EP_LIT("DEL");
        argv[1] = EP_LIT("x");
        EPT_CHECK_OK(ep_resp_aof_append_db(w, 0, 2, argv));
        EPT_CHECK_OK(ep_resp_aof_writer_close(w));
        EPT_CHECK_OK(ep_resp_aof_read_all("t.aof", &rc, NULL, NULL, &s, &err));
        EPT_CHECK(s.end == EP_RESP_AOF_CLEAN && s.commands == want_cmds + 2);
    }
    ep_free(NULL, d);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(damage_and_unfinished_multi) {
    ep_vfs *vfs = memfs();
    uint64_t ends[8];
    uint8_t *d;
    size_t n;
    ep_resp_aof_reader_config rc;
    ep_resp_aof_status s;
    ep_resp_aof_writer *w;
    ep_error err;
    small_file(vfs, "a.aof", ends, 8);
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "a.aof", NULL, 1 << 20, &d, &n, NULL));
    /* '$' -> '%' inside the third command */
    d[ends[1] + 4] = '%';
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "bad.aof", d, n, NULL));
    ep_resp_aof_reader_config_init(&rc);
    rc.vfs = vfs;
    EPT_CHECK(ep_resp_aof_read_all("bad.aof", &rc, NULL, NULL, &s, &err) == EP_ERR_PROTOCOL);
    EPT_CHECK(s.end == EP_RESP_AOF_DAMAGED && err.offset == ends[1] + 4 && s.valid_bytes == ends[1]);
    EPT_CHECK(strstr(err.message, "expected '$', got '%'") != NULL);
    {
        ep_resp_aof_writer_config wc;
        ep_resp_aof_writer_config_init(&wc);
        wc.vfs = vfs;
        EPT_CHECK(ep_resp_aof_writer_open("bad.aof", &wc, &w, &err) == EP_ERR_PROTOCOL);
        EPT_CHECK(err.offset == ends[1] + 4);
    }
    ep_free(NULL, d);
    /* MULTI + SET and no EXEC: truncated before the MULTI */
    {
        ep_resp_aof_writer_config wc;
        ep_bytes m[1], set[3];
        uint64_t before;
        ep_resp_aof_writer_config_init(&wc);
        wc.vfs = vfs;
        EPT_CHECK_OK(ep_resp_aof_writer_open("a.aof", &wc, &w, &err));
        before = ep_resp_aof_size(w);
        m[0] = EP_LIT("MULTI");
        set[0] = EP_LIT("SET");
        set[1] = EP_LIT("inmulti");
        set[2] = EP_LIT("1");
        EPT_CHECK_OK(ep_resp_aof_append(w, 1, m));
        EPT_CHECK_OK(ep_resp_aof_append(w, 3, set));
        EPT_CHECK_OK(ep_resp_aof_writer_close(w));
        EPT_CHECK_OK(ep_resp_aof_read_all("a.aof", &rc, NULL, NULL, &s, &err));
        EPT_CHECK(s.end == EP_RESP_AOF_TRUNCATED && s.valid_bytes == before);
        EPT_CHECK_OK(ep_resp_aof_writer_open("a.aof", &wc, &w, &err));
        EPT_CHECK(ep_resp_aof_size(w) == before && ep_resp_aof_trimmed(w) > 0);
        EPT_CHECK_OK(ep_resp_aof_writer_close(w));
    }
    ep_vfs_mem_free(vfs);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *u) {
    (void)u;
    return fake_now;
}

/* Syncs counted by a fault_vfs that never fires. */
static uint64_t syncs_for(ep_fsync_policy pol, int appends, uint64_t step_ms) {
    ep_vfs *mem = memfs(), *fv;
    ep_resp_aof_writer_config wc;
    ep_resp_aof_writer *w;
    uint64_t n0, n;
    int i;
    ep_bytes argv[3];
    argv[0] = EP_LIT("SET");
    argv[1] = EP_LIT("k");
    argv[2] = EP_LIT("v");
    if (fault_vfs_create(mem, &fv) != EP_OK) abort();
    ep_resp_aof_writer_config_init(&wc);
    wc.vfs = fv;
    wc.fsync = pol;
    wc.clock_ms = fake_clock;
    fake_now = 1000;
    if (ep_resp_aof_writer_open("a.aof", &wc, &w, NULL) != EP_OK) abort();
    n0 = fault_vfs_count(fv, FAULT_SYNC);
    for (i = 0; i < appends; i++) {
        if (ep_resp_aof_append(w, 3, argv) != EP_OK) abort();
        fake_now += step_ms;
        if (ep_resp_aof_tick(w) != EP_OK) abort();
    }
    n = fault_vfs_count(fv, FAULT_SYNC) - n0;
    ep_resp_aof_writer_close(w);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(mem);
    return n;
}

EPT_CASE(fsync_policies_with_a_clock) {
    uint64_t always = syncs_for(EP_FSYNC_ALWAYS, 50, 100);
    uint64_t everysec = syncs_for(EP_FSYNC_EVERYSEC, 50, 100);  /* 5 seconds of clock */
    uint64_t no = syncs_for(EP_FSYNC_NO, 50, 100);
    printf("    syncs for 50 appends over 5 s of clock: always %lu, everysec %lu, no %lu\n", (unsigned long)always,
           (unsigned long)everysec, (unsigned long)no);
    EPT_CHECK(always == 50);
    EPT_CHECK(everysec >= 4 && everysec <= 6);
    EPT_CHECK(no == 0);
}

EPT_CASE(failed_sync_poisons) {
    ep_vfs *mem = memfs(), *fv;
    ep_resp_aof_writer_config wc;
    ep_resp_aof_writer *w;
    ep_bytes argv[2];
    argv[0] = EP_LIT("DEL");
    argv[1] = EP_LIT("k");
    EPT_CHECK_OK(fault_vfs_create(mem, &fv));
    ep_resp_aof_writer_config_init(&wc);
    wc.vfs = fv;
    wc.fsync = EP_FSYNC_ALWAYS;
    EPT_CHECK_OK(ep_resp_aof_writer_open("a.aof", &wc, &w, NULL));
    EPT_CHECK_OK(ep_resp_aof_append(w, 2, argv));
    fault_vfs_arm(fv, FAULT_SYNC, 1, 0);
    EPT_CHECK(ep_resp_aof_append(w, 2, argv) != EP_OK);
    fault_vfs_disarm(fv);
    EPT_CHECK(ep_resp_aof_append(w, 2, argv) == EP_ERR_POISONED);
    EPT_CHECK(ep_resp_aof_sync(w) == EP_ERR_POISONED);
    ep_resp_aof_writer_close(w);
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(mem);
}

EPT_CASE(fault_at_every_op_loses_nothing_acknowledged) {
    ep_vfs *mem = memfs(), *fv;
    uint64_t total, k;
    EPT_CHECK_OK(fault_vfs_create(mem, &fv));
    {
        uint64_t ends[8];
        fault_vfs_reset_count(fv);
        small_file(fv, "a.aof", ends, 8);
        total = fault_vfs_count(fv, FAULT_ALL);
    }
    for (k = 1; k <= total; k++) {
        ep_resp_aof_writer_config wc;
        ep_resp_aof_writer *w = NULL;
        ep_resp_aof_reader_config rc;
        ep_resp_aof_status s;
        ep_error err;
        int acked = 0, i;
        ep_bytes argv[3];
        (void)mem->remove(mem, "f.aof", NULL);
        ep_resp_aof_writer_config_init(&wc);
        wc.vfs = fv;
        wc.fsync = EP_FSYNC_ALWAYS;
        fault_vfs_arm(fv, FAULT_ALL, k, 0);
        if (ep_resp_aof_writer_open("f.aof", &wc, &w, NULL) == EP_OK) {
            for (i = 0; i < 6; i++) {
                argv[0] = EP_LIT("SET");
                argv[1] = EP_LIT("key");
                argv[2] = EP_LIT("value");
                if (ep_resp_aof_append(w, 3, argv) != EP_OK) break;
                acked++;
            }
            ep_resp_aof_writer_close(w);
        }
        fault_vfs_disarm(fv);
        ep_resp_aof_reader_config_init(&rc);
        rc.vfs = mem;
        if (ep_resp_aof_read_all("f.aof", &rc, NULL, NULL, &s, &err) == EP_OK) {
            EPT_CHECK(s.commands >= (uint64_t)acked);
            EPT_CHECK(s.end != EP_RESP_AOF_DAMAGED);
        } else {
            EPT_CHECK(acked == 0);
        }
    }
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(mem);
}

/* Writes up to n SETs with fsync ALWAYS; returns how many were acknowledged. */
static int append_sets(ep_vfs *vfs, const char *path, int n) {
    ep_resp_aof_writer_config wc;
    ep_resp_aof_writer *w = NULL;
    int acked = 0, i;
    ep_resp_aof_writer_config_init(&wc);
    wc.vfs = vfs;
    wc.fsync = EP_FSYNC_ALWAYS;
    if (ep_resp_aof_writer_open(path, &wc, &w, NULL) != EP_OK) return 0;
    for (i = 0; i < n; i++) {
        char key[16];
        ep_bytes argv[3];
        argv[0] = EP_LIT("SET");
        argv[1] = ep_bytes_of(key, (size_t)snprintf(key, sizeof key, "key%d", i));
        argv[2] = EP_LIT("a-value-of-some-length");
        if (ep_resp_aof_append_db(w, 0, 3, argv) != EP_OK) break;
        acked++;
    }
    ep_resp_aof_writer_close(w);
    return acked;
}

static ep_result count_sets(void *u, size_t argc, const ep_bytes *argv) {
    int *n = (int *)u;
    char key[16];
    if (argc == 2) return EP_OK; /* SELECT */
    if (argc != 3 || argv[1].len != (size_t)snprintf(key, sizeof key, "key%d", *n) ||
        memcmp(argv[1].data, key, argv[1].len) != 0)
        return EP_ERR_CORRUPT;
    (*n)++;
    return EP_OK;
}

EPT_CASE(power_cut_at_every_operation) {
    uint64_t total, k, seed = ept_seed();
    ep_vfs *vfs;
    long truncated = 0, clean = 0, damaged = 0;
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    total = sim_vfs_op_count(vfs);
    EPT_CHECK(append_sets(vfs, "a.aof", 5) == 5);
    total = sim_vfs_op_count(vfs) - total;
    sim_vfs_destroy(vfs);
    for (k = 0; k <= total; k++) {
        int rep;
        for (rep = 0; rep < 4; rep++) {
            ep_resp_aof_reader_config rc;
            ep_resp_aof_status s;
            ep_error err;
            ep_result r;
            sim_crash_opts o;
            int acked, seen = 0;
            EPT_CHECK_OK(sim_vfs_create(&vfs));
            sim_vfs_set_crash_after(vfs, k);
            acked = append_sets(vfs, "a.aof", 5);
            o.file_outcome = rep < 3 ? SIM_OUTCOME_ALL + rep : -1; /* ALL, NONE, TORN, then the seed's pick */
            o.dir_changes = SIM_DIR_RANDOM;
            sim_crash_ex(vfs, seed + k * 5 + (uint64_t)rep, &o);
            ep_resp_aof_reader_config_init(&rc);
            rc.vfs = vfs;
            rc.chunk_size = 32;
            r = ep_resp_aof_read_all("a.aof", &rc, count_sets, &seen, &s, &err);
            if (r == EP_ERR_NOT_FOUND) {
                EPT_CHECK(acked == 0); /* the file's name was never made durable */
            } else if (r == EP_OK) {
                EPT_CHECK(seen >= acked);
                if (s.end == EP_RESP_AOF_TRUNCATED) truncated++;
                else clean++;
                /* the writer trims a torn tail and goes on */
                if (s.end == EP_RESP_AOF_TRUNCATED) {
                    int more = append_sets(vfs, "a.aof", 1);
                    EPT_CHECK(more == 1);
                }
            } else {
                /* Only garbage over unsynced bytes, after every acknowledged command. */
                EPT_CHECK(r == EP_ERR_PROTOCOL || r == EP_ERR_LIMIT || r == EP_ERR_CORRUPT);
                EPT_CHECK(seen >= acked);
                EPT_CHECK(sim_vfs_last_outcome(vfs, "a.aof") == SIM_OUTCOME_GARBAGE);
                damaged++;
            }
            sim_vfs_destroy(vfs);
        }
    }
    printf("    %lu operations x 4 cuts: %ld clean, %ld truncated (trimmed, appended after), %ld garbage tails\n",
           (unsigned long)total, clean, truncated, damaged);
    EPT_CHECK(truncated > 0 && clean > 0);
}

EPT_CASE(redis_check_aof_agrees) {
    char dir[600], path[700], cmd[1600], out[8192];
    int cut;
    const char *py = ept_shared_path("tools/redis-probe/mkaof.py");
    ep_vfs os;
    if (!ept_have_program("redis-check-aof") || !py) {
        ept_skip("redis-check-aof or mkaof.py (../shared) missing");
        return;
    }
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    snprintf(dir, sizeof dir, "%s", ept_tmpdir());
    /* our file: valid for redis-check-aof */
    snprintf(path, sizeof path, "%s/ours.aof", dir);
    {
        uint64_t ends[8];
        small_file(&os, path, ends, 8);
    }
    snprintf(cmd, sizeof cmd, "redis-check-aof '%s' 2>&1", path);
    EPT_CHECK(ept_run_cmd(cmd, out, sizeof out) == 0);
    EPT_CHECK(strstr(out, "is valid") != NULL);
    /* mkaof.py's truncated files: our valid_bytes is redis-check-aof's ok_up_to */
    for (cut = 0; cut <= 20; cut += 5) {
        ep_resp_aof_reader_config rc;
        ep_resp_aof_status s;
        ep_error err;
        char *p;
        char args[32];
        snprintf(path, sizeof path, "%s/trunc%d.aof", dir, cut);
        if (cut) snprintf(args, sizeof args, "--truncate %d", cut);
        else args[0] = '\0';
        snprintf(cmd, sizeof cmd, "python3 '%s' '%s' %s", py, path, args);
        EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
        ep_resp_aof_reader_config_init(&rc);
        EPT_CHECK_OK(ep_resp_aof_read_all(path, &rc, NULL, NULL, &s, &err));
        snprintf(cmd, sizeof cmd, "redis-check-aof '%s' 2>&1", path);
        (void)ept_run_cmd(cmd, out, sizeof out);
        if (cut == 0) {
            EPT_CHECK(s.end == EP_RESP_AOF_CLEAN && strstr(out, "is valid"));
            continue;
        }
        p = strstr(out, "ok_up_to=");
        EPT_CHECK(p != NULL);
        EPT_CHECK(s.end == EP_RESP_AOF_TRUNCATED && (uint64_t)atoll(p + 9) == s.valid_bytes);
    }
    /* an unfinished MULTI: both cut before it */
    {
        ep_resp_aof_reader_config rc;
        ep_resp_aof_status s;
        ep_error err;
        char *p;
        snprintf(path, sizeof path, "%s/multi.aof", dir);
        snprintf(cmd, sizeof cmd, "python3 '%s' '%s' --multi-open", py, path);
        EPT_CHECK(ept_run_cmd(cmd, NULL, 0) == 0);
        ep_resp_aof_reader_config_init(&rc);
        EPT_CHECK_OK(ep_resp_aof_read_all(path, &rc, NULL, NULL, &s, &err));
        snprintf(cmd, sizeof cmd, "redis-check-aof '%s' 2>&1", path);
        (void)ept_run_cmd(cmd, out, sizeof out);
        p = strstr(out, "ok_up_to=");
        EPT_CHECK(p && (uint64_t)atoll(p + 9) == s.valid_bytes && s.end == EP_RESP_AOF_TRUNCATED);
    }
}

EPT_CASE(redis_loads_our_single_file_aof) {
    char dir[600], path[700];
    ep_vfs os;
    ep_resp_aof_writer_config wc;
    ep_resp_aof_writer *w;
    ept_redis r;
    ept_flat f;
    const char *bin = "a\r\nb\0c\xff";
    ep_bytes c1[3], c2[5], c3[3], c4[4], c5[3];
    if (!ept_have_program("redis-server")) {
        ept_skip("redis-server not installed");
        return;
    }
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    snprintf(dir, sizeof dir, "%s", ept_tmpdir());
    snprintf(path, sizeof path, "%s/appendonly.aof", dir);
    ep_resp_aof_writer_config_init(&wc);
    EPT_CHECK_OK(ep_resp_aof_writer_open(path, &wc, &w, NULL));
    c1[0] = EP_LIT("SET"), c1[1] = EP_LIT("bin"), c1[2] = ep_bytes_of(bin, 7);
    EPT_CHECK_OK(ep_resp_aof_append_db(w, 0, 3, c1));
    c2[0] = EP_LIT("RPUSH"), c2[1] = EP_LIT("list"), c2[2] = EP_LIT("a"), c2[3] = EP_LIT("b"), c2[4] = EP_LIT("c");
    EPT_CHECK_OK(ep_resp_aof_append_db(w, 0, 5, c2));
    c3[0] = EP_LIT("PEXPIREAT"), c3[1] = EP_LIT("list"), c3[2] = EP_LIT("4102444800000");
    EPT_CHECK_OK(ep_resp_aof_append_db(w, 0, 3, c3));
    c4[0] = EP_LIT("HSET"), c4[1] = EP_LIT("h"), c4[2] = EP_LIT("f"), c4[3] = EP_LIT("v");
    EPT_CHECK_OK(ep_resp_aof_append_db(w, 3, 4, c4));
    c5[0] = EP_LIT("INCRBY"), c5[1] = EP_LIT("counter"), c5[2] = EP_LIT("5");
    EPT_CHECK_OK(ep_resp_aof_append_db(w, 0, 3, c5));
    EPT_CHECK_OK(ep_resp_aof_append_db(w, 0, 3, c5));
    EPT_CHECK_OK(ep_resp_aof_writer_close(w));
    EPT_CHECK(ept_redis_start(&r, dir, "--appendonly yes", 10000) == 0);
    EPT_EXPECT(ept_redis_log_has(&r, "Successfully migrated an old-style AOF"));
    EPT_CHECK(ept_redis_flatv(&r, &f, "GET", "bin", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 1 && f.len[0] == 7 && memcmp(f.item[0], bin, 7) == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "LRANGE", "list", "0", "-1", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 3 && strcmp(f.item[2], "c") == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "PEXPIRETIME", "list", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 1 && strcmp(f.item[0], "4102444800000") == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "GET", "counter", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 1 && strcmp(f.item[0], "10") == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "SELECT", "3", (const char *)NULL) == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "HGET", "h", "f", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 1 && strcmp(f.item[0], "v") == 0);
    ept_flat_free(&f);
    ept_redis_stop(&r);
}

EPT_MAIN()
