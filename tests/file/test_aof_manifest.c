/* aof_manifest: the manifest lines Redis 7.0 accepts and refuses (B.3's
 * experiments), format round trip; a new directory and rewrites read back
 * (RDB base keys, then the incr's commands), history kept or removed; a
 * power cut at every vfs op of a rewrite leaves the old or the new
 * directory, never a mix; redis-server 7 starts from our directory and
 * every key reads back; we read a directory redis-server wrote
 * (BGREWRITEAOF, then writes into the incr) exactly. */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"
#include "support/sim_vfs.h"

#include <stdio.h>
#include <stdlib.h>

static ep_result parse_str(const char *s, ep_aof_manifest *m, ep_error *err) {
    return ep_aof_manifest_parse((const uint8_t *)s, strlen(s), NULL, m, err);
}

EPT_CASE(manifest_lines_redis_accepts_and_refuses) {
    ep_aof_manifest m;
    ep_error err;
    ep_buf b;
    const char *ok =
        "# a comment\n"
        "file appendonly.aof.4.base.aof seq 4 type b\n"
        "seq 3 type h file appendonly.aof.3.incr.aof\n"
        "\n"
        "type i file appendonly.aof.4.incr.aof seq 4\n"
        "file appendonly.aof.5.incr.aof seq 5 type i\n";
    const char *bad[] = {"file a seq 1 type b",              /* no newline on the last line */
                         "file a seq 1\n",                    /* no type */
                         "file a seq 1 type x\n",             /* unknown type */
                         "file ../a seq 1 type b\n",          /* a path */
                         "file a seq 0 type b\n",             /* seq 0 */
                         "file a seq 1 type b\nfile b seq 2 type b\n", /* two bases */
                         "file a seq\n"};
    size_t i;
    EPT_CHECK_OK(parse_str(ok, &m, &err));
    EPT_CHECK(m.n == 4);
    EPT_CHECK(ep_aof_manifest_base(&m) && ep_aof_manifest_base(&m)->seq == 4);
    EPT_CHECK(m.files[1].type == EP_AOF_FILE_HISTORY && strcmp(m.files[1].name, "appendonly.aof.3.incr.aof") == 0);
    EPT_CHECK(m.files[3].type == EP_AOF_FILE_INCR && m.files[3].seq == 5);
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_aof_manifest_format(&m, &b));
    ep_aof_manifest_free(&m);
    {
        const char *want = "file appendonly.aof.4.base.aof seq 4 type b\n"
                           "file appendonly.aof.3.incr.aof seq 3 type h\n"
                           "file appendonly.aof.4.incr.aof seq 4 type i\n"
                           "file appendonly.aof.5.incr.aof seq 5 type i\n";
        EPT_CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
    }
    ep_buf_free(&b);
    EPT_CHECK_OK(parse_str("file appendonly.aof.1.incr.aof seq 1 type i\n", &m, &err)); /* only an incr */
    EPT_CHECK(ep_aof_manifest_base(&m) == NULL);
    ep_aof_manifest_free(&m);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ep_result r = parse_str(bad[i], &m, &err);
        EPT_CHECK(r == EP_ERR_PROTOCOL);
        EPT_CHECK(m.n == 0 && m.files == NULL);
    }
    {
        char line[1100];
        memset(line, 'a', sizeof line);
        line[sizeof line - 1] = '\n';
        EPT_CHECK(ep_aof_manifest_parse((const uint8_t *)line, sizeof line, NULL, &m, &err) == EP_ERR_PROTOCOL);
    }
}

/* What a directory read sees, as text: RDB keys "k=v" and commands. */
typedef struct seen {
    ep_buf text;
} seen;

static ep_result on_el(void *u, const ep_rdb_key *k, const ep_item *e) {
    seen *s = (seen *)u;
    ep_buf_put(&s->text, "K ", 2);
    ep_buf_put(&s->text, k->key.data, k->key.len);
    ep_buf_put(&s->text, "=", 1);
    ep_buf_put(&s->text, e->a.data, e->a.len);
    ep_buf_put(&s->text, "\n", 1);
    return EP_OK;
}

static ep_result on_cmd(void *u, ep_aof_file_type from, size_t argc, const ep_bytes *argv) {
    seen *s = (seen *)u;
    size_t i;
    ep_buf_put(&s->text, from == EP_AOF_FILE_INCR ? "I" : "B", 1);
    for (i = 0; i < argc; i++) {
        ep_buf_put(&s->text, " ", 1);
        ep_buf_put(&s->text, argv[i].data, argv[i].len);
    }
    ep_buf_put(&s->text, "\n", 1);
    return EP_OK;
}

/* The directory's content as text ("" and a code on failure). */
static ep_result read_dir(ep_vfs *vfs, const char *dir, char *out, size_t cap, ep_aof_dir_status *st) {
    ep_aof_dir_config cfg;
    ep_aof_dir_visitor v;
    ep_rdb_visitor rv;
    seen s;
    ep_error err;
    ep_result r;
    ep_aof_dir_config_init(&cfg);
    cfg.vfs = vfs;
    memset(&rv, 0, sizeof rv);
    rv.element = on_el;
    ep_buf_init(&s.text, NULL);
    rv.user = &s;
    v.rdb = &rv;
    v.command = on_cmd;
    v.user = &s;
    r = ep_aof_dir_read(dir, &cfg, &v, st, &err);
    snprintf(out, cap, "%.*s", (int)s.text.len, s.text.data ? (const char *)s.text.data : "");
    ep_buf_free(&s.text);
    return r;
}

/* A rewrite whose base holds key=value; then cmd appended to the incr. */
static ep_result rewrite(ep_vfs *vfs, const char *dir, const char *value, const char *cmd_value, int keep) {
    ep_aof_rewrite_config cfg;
    ep_aof_rewrite *rw;
    ep_rdb_writer *w;
    char incr[1200];
    ep_result r;
    ep_aof_rewrite_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.keep_history = keep;
    cfg.rdb.ctime = 1700000000;
    if ((r = ep_aof_rewrite_begin(dir, &cfg, &rw, &w, NULL)) != EP_OK) return r;
    r = ep_rdb_writer_select_db(w, 0, 1, 0);
    if (r == EP_OK) r = ep_rdb_writer_string(w, EP_LIT("key"), ep_bytes_str(value), -1);
    if (r != EP_OK) {
        ep_aof_rewrite_abort(rw);
        return r;
    }
    if ((r = ep_aof_rewrite_commit(rw, incr, sizeof incr, NULL)) != EP_OK) return r;
    if (cmd_value) {
        ep_resp_aof_writer_config wc;
        ep_resp_aof_writer *aw;
        ep_bytes argv[3];
        ep_resp_aof_writer_config_init(&wc);
        wc.vfs = vfs;
        wc.fsync = EP_FSYNC_ALWAYS;
        if ((r = ep_resp_aof_writer_open(incr, &wc, &aw, NULL)) != EP_OK) return r;
        argv[0] = EP_LIT("SET");
        argv[1] = EP_LIT("other");
        argv[2] = ep_bytes_str(cmd_value);
        r = ep_resp_aof_append_db(aw, 0, 3, argv);
        if (r == EP_OK) r = ep_resp_aof_writer_close(aw);
        else ep_resp_aof_writer_close(aw);
    }
    return r;
}

EPT_CASE(new_dir_and_rewrites_read_back) {
    ep_vfs *vfs = NULL;
    char text[4096];
    ep_aof_dir_status st;
    uint8_t *d;
    size_t n;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK_OK(rewrite(vfs, "data/appendonlydir", "v1", "o1", 0));
    EPT_CHECK_OK(read_dir(vfs, "data/appendonlydir", text, sizeof text, &st));
    EPT_CHECK(strcmp(text, "K key=v1\nI SELECT 0\nI SET other o1\n") == 0);
    EPT_CHECK(st.base_is_rdb && st.base_keys == 1 && st.files == 2 && st.commands == 2 && st.end == EP_RESP_AOF_CLEAN);
    EPT_CHECK_OK(rewrite(vfs, "data/appendonlydir", "v2", NULL, 0));
    EPT_CHECK_OK(read_dir(vfs, "data/appendonlydir", text, sizeof text, &st));
    EPT_CHECK(strcmp(text, "K key=v2\n") == 0);
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "data/appendonlydir/appendonly.aof.manifest", NULL, 4096, &d, &n, NULL));
    EPT_CHECK(n == strlen("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n") &&
              memcmp(d, "file appendonly.aof.2.base.rdb seq 2 type b\n", 44) == 0);
    ep_free(NULL, d);
    EPT_CHECK(vfs->stat(vfs, "data/appendonlydir/appendonly.aof.1.base.rdb", NULL, NULL) == EP_ERR_NOT_FOUND);
    /* keep_history: the old files stay as type h, skipped when read */
    EPT_CHECK_OK(rewrite(vfs, "data/appendonlydir", "v3", "o3", 1));
    EPT_CHECK_OK(read_dir(vfs, "data/appendonlydir", text, sizeof text, &st));
    EPT_CHECK(strcmp(text, "K key=v3\nI SELECT 0\nI SET other o3\n") == 0 && st.history == 2);
    EPT_CHECK_OK(vfs->stat(vfs, "data/appendonlydir/appendonly.aof.2.base.rdb", NULL, NULL));
    /* a missing file the manifest names: an error naming it */
    EPT_CHECK_OK(vfs->remove(vfs, "data/appendonlydir/appendonly.aof.3.incr.aof", NULL));
    EPT_CHECK(read_dir(vfs, "data/appendonlydir", text, sizeof text, &st) == EP_ERR_NOT_FOUND);
    ep_vfs_mem_free(vfs);
}

/* The one rule for torn tails: Redis's load order is the base, then the incr
 * files as listed (a base listed last still loads first), and a cut tail is
 * tolerated only in the last file of that order. */
EPT_CASE(torn_tail_only_in_the_last_file_loaded) {
    static const char *man = "file appendonly.aof.1.incr.aof seq 1 type i\n"
                             "file old.rdb seq 1 type h\n"
                             "file appendonly.aof.2.incr.aof seq 2 type i\n"
                             "file appendonly.aof.1.base.aof seq 1 type b\n";
    static const char set1[] = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    static const char set2[] = "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";
    ep_vfs *vfs = NULL;
    ep_aof_manifest m;
    ep_aof_dir_status st;
    ep_error err;
    size_t order[4], k;
    char text[1024];
    EPT_CHECK_OK(parse_str(man, &m, NULL));
    k = ep_aof_manifest_load_order(&m, order);
    EPT_CHECK(k == 3 && order[0] == 3 && order[1] == 0 && order[2] == 2);
    EPT_CHECK(ep_aof_dir_file_end(&m.files[order[2]], 1, EP_RESP_AOF_TRUNCATED, 9, NULL) == EP_OK);
    EPT_CHECK(ep_aof_dir_file_end(&m.files[order[1]], 0, EP_RESP_AOF_TRUNCATED, 9, &err) == EP_ERR_EOF);
    EPT_CHECK(err.offset == 9 && strstr(err.message, "appendonly.aof.1.incr.aof") != NULL);
    EPT_CHECK(ep_aof_dir_file_end(&m.files[order[1]], 0, EP_RESP_AOF_CLEAN, 9, NULL) == EP_OK);
    ep_aof_manifest_free(&m);

    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK_OK(vfs->mkdir(vfs, "d", NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/appendonly.aof.manifest", man, strlen(man), NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/appendonly.aof.1.base.aof", set1, sizeof set1 - 1, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/appendonly.aof.1.incr.aof", set2, sizeof set2 - 1, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/appendonly.aof.2.incr.aof", set1, sizeof set1 - 4, NULL));
    /* the last file loaded is cut: the commands before it load */
    EPT_CHECK_OK(read_dir(vfs, "d", text, sizeof text, &st));
    EPT_CHECK(st.end == EP_RESP_AOF_TRUNCATED && st.files == 3 && st.commands == 2 && st.history == 1);
    EPT_CHECK(strcmp(st.last_file, "appendonly.aof.2.incr.aof") == 0);
    /* the middle one cut: an error naming it */
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/appendonly.aof.2.incr.aof", set1, sizeof set1 - 1, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/appendonly.aof.1.incr.aof", set2, sizeof set2 - 3, NULL));
    EPT_CHECK(read_dir(vfs, "d", text, sizeof text, &st) == EP_ERR_EOF);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(power_cut_at_every_op_of_a_rewrite) {
    uint64_t total, k, seed = ept_seed();
    ep_vfs *vfs;
    long olds = 0, news = 0;
    const char *D = "appendonlydir";
    const char *OLD = "K key=old-value\nI SELECT 0\nI SET other o\n", *NEW = "K key=new-value\n";
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    EPT_CHECK_OK(rewrite(vfs, D, "old-value", "o", 0));
    total = sim_vfs_op_count(vfs);
    EPT_CHECK_OK(rewrite(vfs, D, "new-value", NULL, 0));
    total = sim_vfs_op_count(vfs) - total;
    sim_vfs_destroy(vfs);
    for (k = 0; k <= total; k++) {
        int rep;
        for (rep = 0; rep < 8; rep++) {
            char text[4096];
            ep_aof_dir_status st;
            ep_result r;
            EPT_CHECK_OK(sim_vfs_create(&vfs));
            EPT_CHECK_OK(rewrite(vfs, D, "old-value", "o", 0));
            sim_vfs_set_crash_after(vfs, k);
            r = rewrite(vfs, D, "new-value", NULL, 0);
            sim_crash(vfs, seed + k * 8 + (uint64_t)rep);
            EPT_CHECK_OK(read_dir(vfs, D, text, sizeof text, &st));
            if (r == EP_OK) EPT_CHECK(strcmp(text, NEW) == 0);
            else EPT_CHECK(strcmp(text, OLD) == 0 || strcmp(text, NEW) == 0);
            if (strcmp(text, OLD) == 0) olds++;
            else if (strcmp(text, NEW) == 0) news++;
            /* and the next rewrite works from whatever survived */
            EPT_CHECK_OK(rewrite(vfs, D, "after", NULL, 0));
            EPT_CHECK_OK(read_dir(vfs, D, text, sizeof text, &st));
            EPT_CHECK(strcmp(text, "K key=after\n") == 0);
            sim_vfs_destroy(vfs);
        }
    }
    printf("    %lu operations x 8 cuts: %ld old, %ld new, never a mix\n", (unsigned long)total, olds, news);
    EPT_CHECK(olds > 0 && news > 0);
}

EPT_CASE(redis_starts_from_our_dir) {
    char dir[600], aofdir[700];
    ep_vfs os;
    ept_redis r;
    ept_flat f;
    if (!ept_have_program("redis-server")) {
        ept_skip("redis-server not installed");
        return;
    }
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    snprintf(dir, sizeof dir, "%s", ept_tmpdir());
    snprintf(aofdir, sizeof aofdir, "%s/appendonlydir", dir);
    EPT_CHECK_OK(rewrite(&os, aofdir, "v1", "o1", 0));
    EPT_CHECK_OK(rewrite(&os, aofdir, "base-value", "incr-value", 0)); /* seq 2, old files gone */
    {
        char cmd[1600], out[4096];
        snprintf(cmd, sizeof cmd, "redis-check-aof '%s/appendonly.aof.manifest' 2>&1", aofdir);
        EPT_CHECK(ept_run_cmd(cmd, out, sizeof out) == 0);
        EPT_EXPECT(strstr(out, "All AOF files and manifest are valid") != NULL);
    }
    EPT_CHECK(ept_redis_start(&r, dir, "--appendonly yes", 10000) == 0);
    EPT_CHECK(ept_redis_flatv(&r, &f, "GET", "key", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 1 && strcmp(f.item[0], "base-value") == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "GET", "other", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 1 && strcmp(f.item[0], "incr-value") == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "DBSIZE", (const char *)NULL) == 0);
    EPT_EXPECT(f.n == 1 && strcmp(f.item[0], "2") == 0);
    ept_flat_free(&f);
    ept_redis_stop(&r);
}

EPT_CASE(we_read_a_dir_redis_wrote) {
    char dir[600], aofdir[700], text[8192];
    ep_vfs os;
    ept_redis r;
    ept_flat f;
    ep_aof_dir_status st;
    int i;
    if (!ept_have_program("redis-server")) {
        ept_skip("redis-server not installed");
        return;
    }
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    snprintf(dir, sizeof dir, "%s", ept_tmpdir());
    snprintf(aofdir, sizeof aofdir, "%s/appendonlydir", dir);
    EPT_CHECK(ept_redis_start(&r, dir, "--appendonly yes --appendfsync always", 10000) == 0);
    EPT_CHECK(ept_redis_flatv(&r, &f, "SET", "a", "1", (const char *)NULL) == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "BGREWRITEAOF", (const char *)NULL) == 0);
    ept_flat_free(&f);
    /* bounded wait for the rewrite to finish */
    for (i = 0; i < 200; i++) {
        char out[8192];
        EPT_CHECK(ept_redis_cmdv(&r, out, sizeof out, "INFO", "persistence", (const char *)NULL) == 0);
        if (strstr(out, "aof_rewrite_in_progress:0") && strstr(out, "aof_rewrite_scheduled:0")) break;
        (void)ept_run_cmd("sleep 0.05", NULL, 0);
    }
    EPT_CHECK(ept_redis_flatv(&r, &f, "SET", "b", "2", (const char *)NULL) == 0);
    ept_flat_free(&f);
    EPT_CHECK(ept_redis_flatv(&r, &f, "RPUSH", "l", "x", "y", (const char *)NULL) == 0);
    ept_flat_free(&f);
    ept_redis_stop(&r);
    EPT_CHECK_OK(read_dir(&os, aofdir, text, sizeof text, &st));
    EPT_CHECK(st.base_is_rdb == 1);
    EPT_CHECK(strcmp(text, "K a=1\nI SELECT 0\nI SET b 2\nI RPUSH l x y\n") == 0);
    if (strcmp(text, "K a=1\nI SELECT 0\nI SET b 2\nI RPUSH l x y\n") != 0) fprintf(stderr, "got:\n%s\n", text);
}

EPT_MAIN()
