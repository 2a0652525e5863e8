/* convert --to KIND SRC DST: moves a data set between formats through the
 * library. Every conversion goes source -> recovered keys -> destination, so
 * each destination is one row in the table below; a key the destination
 * cannot hold is listed with its reason and counted (exit 1), never dropped
 * silently. The destination must not exist (exit 73); it appears whole or
 * not at all (tmp, sync, rename, directory sync).
 *
 *   --to ember  DIR:ID   DIR2:ID2   ember shard -> ember shard (renumber; --new-key-file)
 *   --to ember  FILE.rdb DIR:ID     RDB -> ember shard(s): database N -> shard ID+N,
 *                                   or with --db N that database alone -> shard ID
 *   --to rdb    DIR:ID   FILE.rdb   ember shard -> RDB (as database --db N, default 0)
 *   --to aof-dir DIR:ID AOFDIR      ember shard -> Redis 7 appendonlydir/ (base RDB,
 *                                   empty incr, manifest last)
 *   --to resp-aof DIR:ID FILE.aof   ember shard -> RESP AOF (the commands Redis's
 *                                   rewrite would write; redis-server loads it with
 *                                   appendonly yes, aof-use-rdb-preamble irrelevant) */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct shard_ref {
    char dir[4096];
    uint16_t id;
} shard_ref;

/* "DIR:ID" (the last ':' splits). */
static int parse_shard(const char *s, shard_ref *out) {
    const char *colon = strrchr(s, ':');
    size_t n;
    if (!colon || colon == s) return 0;
    n = (size_t)(colon - s);
    if (n >= sizeof out->dir) return 0;
    memcpy(out->dir, s, n);
    out->dir[n] = '\0';
    return cli_shard_arg("convert", colon + 1, &out->id);
}

typedef int (*convert_fn)(const cli_opts *o, const char *src, const char *dst);

static int to_ember(const cli_opts *o, const char *src, const char *dst) {
    shard_ref a, b;
    ep_key *key = NULL, *new_key = NULL;
    ep_maint_config cfg;
    ep_maint_report rep;
    ep_error err;
    ep_result r;
    int rc;
    if (!parse_shard(src, &a) || !parse_shard(dst, &b)) {
        fprintf(stderr, "ember-persist convert: an ember shard is DIR:ID (e.g. data:0)\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_load_key(o, &key)) != 0) return rc;
    if ((rc = cli_load_key_path(o->new_key_file, &new_key)) != 0) {
        ep_key_free(key);
        return rc;
    }
    ep_maint_config_init(&cfg);
    cfg.key = key;
    cfg.new_key = new_key;
    ep_error_clear(&err);
    r = ep_shard_copy(a.dir, a.id, b.dir, b.id, &cfg, &rep, &err);
    ep_key_free(key);
    ep_key_free(new_key);
    if (r != EP_OK) {
        fprintf(stderr, "ember-persist convert: %s\n", err.message[0] ? err.message : ep_result_str(r));
        return cli_exit_for(r);
    }
    if (o->json) {
        fputs("{\"from\": ", stdout);
        cli_json_str(stdout, src);
        fputs(", \"to\": ", stdout);
        cli_json_str(stdout, dst);
        printf(", \"kind\": \"ember\", \"keys\": %llu, \"converted\": %llu, \"unmapped\": [], \"unmapped_count\": 0, "
               "\"snapshot_bytes\": %llu, \"snapshot_version\": %u}\n",
               (unsigned long long)rep.keys, (unsigned long long)rep.keys,
               (unsigned long long)rep.new_snapshot_bytes, (unsigned)rep.new_version);
    } else {
        printf("convert %s -> %s (ember): %llu keys, all converted; snapshot %llu bytes (v%u)\n", src, dst,
               (unsigned long long)rep.keys, (unsigned long long)rep.new_snapshot_bytes, (unsigned)rep.new_version);
    }
    return CLI_EXIT_CLEAN;
}

/* ---- Redis kinds ---------------------------------------------------------- */

/* Unmapped keys as JSON objects into a side file (listed after the counts)
 * and as text lines on stdout. */
typedef struct unmapped_list {
    FILE *side;
    int json;
    uint64_t n;
} unmapped_list;

static void on_unmapped(void *u, uint64_t db, ep_bytes key, const char *kind, ep_redis_skip why) {
    unmapped_list *l = (unmapped_list *)u;
    FILE *out = l->json ? l->side : stdout;
    if (!out) return;
    if (l->json) {
        fputs(l->n ? ", " : "", out);
        if (db == EP_REDIS_ALL_DBS) fputs("{\"db\": null", out);
        else fprintf(out, "{\"db\": %llu", (unsigned long long)db);
        fputs(", \"key\": ", out);
        cli_json_bytes(out, key.data, key.len, 0);
        fprintf(out, ", \"kind\": \"%s\", \"why\": \"%s\"}", kind, ep_redis_skip_name(why));
    } else {
        fputs("  unmapped: ", out);
        if (db != EP_REDIS_ALL_DBS) fprintf(out, "db %llu ", (unsigned long long)db);
        cli_json_bytes(out, key.data, key.len, 0);
        fprintf(out, " (%s): %s\n", kind, ep_redis_skip_name(why));
    }
    l->n++;
}

static void unmapped_begin(unmapped_list *l, const cli_opts *o, ep_redis_map_config *mc) {
    memset(l, 0, sizeof *l);
    l->json = o->json;
    if (l->json) l->side = tmpfile();
    mc->report = on_unmapped;
    mc->report_user = l;
}

static void copy_file(FILE *from, FILE *to) {
    char buf[4096];
    size_t n;
    rewind(from);
    while ((n = fread(buf, 1, sizeof buf, from)) > 0) fwrite(buf, 1, n, to);
}

/* The result, text or JSON, and the exit code: 1 when something did not map. */
static int report_result(const cli_opts *o, const char *kind, const char *src, const char *dst,
                         const ep_redis_map_result *res, unmapped_list *l) {
    size_t i;
    if (o->json) {
        fputs("{\"from\": ", stdout);
        cli_json_str(stdout, src);
        fputs(", \"to\": ", stdout);
        cli_json_str(stdout, dst);
        printf(", \"kind\": \"%s\", \"keys\": %llu, \"converted\": %llu, \"unmapped\": [", kind,
               (unsigned long long)res->keys, (unsigned long long)res->converted);
        if (l->side) copy_file(l->side, stdout);
        printf("], \"unmapped_count\": %llu, \"unmapped_by_reason\": {", (unsigned long long)res->unmapped);
        {
            int first = 1;
            for (i = 1; i < EP_REDIS_SKIP_COUNT; i++) {
                if (!res->by_reason[i]) continue;
                printf("%s\"%s\": %llu", first ? "" : ", ", ep_redis_skip_name((ep_redis_skip)i),
                       (unsigned long long)res->by_reason[i]);
                first = 0;
            }
        }
        printf("}, \"expired\": %llu, \"empty\": %llu, \"commands\": %llu, \"shards\": %llu, \"bytes\": %llu, "
               "\"aof_torn\": %s, \"aof_tail_bytes\": %llu}\n",
               (unsigned long long)res->expired, (unsigned long long)res->empty, (unsigned long long)res->commands,
               (unsigned long long)res->shards, (unsigned long long)res->bytes, res->aof_torn ? "true" : "false",
               (unsigned long long)res->aof_tail_bytes);
    } else {
        printf("convert %s -> %s (%s): %llu keys, %llu converted", src, dst, kind, (unsigned long long)res->keys,
               (unsigned long long)res->converted);
        if (res->unmapped) {
            printf(", %llu not mapped (", (unsigned long long)res->unmapped);
            {
                int first = 1;
                for (i = 1; i < EP_REDIS_SKIP_COUNT; i++) {
                    if (!res->by_reason[i]) continue;
                    printf("%s%s %llu", first ? "" : ", ", ep_redis_skip_name((ep_redis_skip)i),
                           (unsigned long long)res->by_reason[i]);
                    first = 0;
                }
            }
            printf(", listed above)");
        }
        if (res->expired) printf(", %llu already expired (dropped, as Redis)", (unsigned long long)res->expired);
        if (res->empty) printf(", %llu empty (skipped, as Redis)", (unsigned long long)res->empty);
        if (res->shards) printf("; %llu shard(s)", (unsigned long long)res->shards);
        if (res->commands) printf("; %llu commands", (unsigned long long)res->commands);
        printf("; %llu bytes\n", (unsigned long long)res->bytes);
        if (res->aof_torn)
            printf("note: the shard's AOF ends in a torn tail of %llu bytes; everything before it was converted\n",
                   (unsigned long long)res->aof_tail_bytes);
    }
    if (l->side) fclose(l->side);
    return res->unmapped ? CLI_EXIT_WARN : CLI_EXIT_CLEAN;
}

static int fail(const char *what, ep_result r, const ep_error *err, unmapped_list *l) {
    if (l && l->side) fclose(l->side);
    fprintf(stderr, "ember-persist convert: %s: %s\n", what, err->message[0] ? err->message : ep_result_str(r));
    return cli_exit_for(r);
}

/* An output file must not exist yet. */
static int refuse_existing(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    fprintf(stderr, "ember-persist convert: %s exists already (convert never overwrites)\n", path);
    return CLI_EXIT_CANTCREAT;
}

/* An ember shard as the source of a Redis kind: one pass over its
 * recovered keys into write(), which publishes dst. */
typedef ep_result (*redis_writer)(const shard_ref *a, const char *dst, const ep_redis_map_config *mc,
                                  ep_redis_map_result *res, ep_error *err);

static ep_result write_aof_dir(const shard_ref *a, const char *dst, const ep_redis_map_config *mc,
                               ep_redis_map_result *res, ep_error *err) {
    return ep_redis_shard_to_aof_dir(a->dir, a->id, dst, mc, res, err);
}

static int from_shard(const cli_opts *o, const char *kind, const char *src, const char *dst, redis_writer write) {
    shard_ref a;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    unmapped_list l;
    ep_key *key = NULL;
    ep_error err;
    ep_result r;
    int rc;
    if (!parse_shard(src, &a)) {
        fprintf(stderr, "ember-persist convert: --to %s takes an ember shard DIR:ID as SRC\n", kind);
        return CLI_EXIT_USAGE;
    }
    if (write != write_aof_dir && (rc = refuse_existing(dst)) != 0) return rc; /* a directory: the library checks */
    if ((rc = cli_load_key(o, &key)) != 0) return rc;
    ep_redis_map_config_init(&mc);
    mc.key = key;
    mc.db = o->has_db ? o->db : 0;
    unmapped_begin(&l, o, &mc);
    ep_error_clear(&err);
    r = write(&a, dst, &mc, &res, &err);
    ep_key_free(key);
    if (r != EP_OK) return fail(src, r, &err, &l);
    return report_result(o, kind, src, dst, &res, &l);
}

static ep_result write_rdb(const shard_ref *a, const char *dst, const ep_redis_map_config *mc, ep_redis_map_result *res,
                           ep_error *err) {
    return ep_redis_shard_to_rdb(a->dir, a->id, dst, mc, res, err);
}

/* Commands streamed through the library's RESP AOF writer into dst.tmp
 * (no whole-file buffer), synced once at the end, then published: close,
 * rename over nothing (dst was refused if present), directory sync. */
static ep_result append_command(void *u, size_t argc, const ep_bytes *argv) {
    return ep_resp_aof_append((ep_resp_aof_writer *)u, argc, argv);
}

static ep_result write_resp_aof(const shard_ref *a, const char *dst, const ep_redis_map_config *mc,
                                ep_redis_map_result *res, ep_error *err) {
    ep_resp_aof_writer_config wc;
    ep_resp_aof_writer *w = NULL;
    char tmp[4200], dir[4200];
    ep_vfs os;
    ep_result r;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", dst) >= sizeof tmp || ep_path_dirname(dir, sizeof dir, dst) != EP_OK)
        return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "path too long: %s", dst);
    if ((r = ep_vfs_os_init(&os)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "no OS file system");
    (void)os.remove(&os, tmp, NULL); /* an earlier crash's */
    ep_resp_aof_writer_config_init(&wc);
    wc.vfs = &os;
    wc.fsync = EP_FSYNC_NO; /* one sync below, before the rename */
    if ((r = ep_resp_aof_writer_open(tmp, &wc, &w, err)) != EP_OK) return r;
    r = ep_redis_shard_to_commands(a->dir, a->id, mc, append_command, w, res, err);
    if (r != EP_OK && ep_resp_aof_writer_error(w)->code != EP_OK) *err = *ep_resp_aof_writer_error(w);
    if (r == EP_OK && (r = ep_resp_aof_sync(w)) != EP_OK) *err = *ep_resp_aof_writer_error(w);
    if (r == EP_OK) res->bytes = ep_resp_aof_size(w);
    {
        ep_result c = ep_resp_aof_writer_close(w);
        if (r == EP_OK && c != EP_OK) r = ep_error_set(err, c, UINT64_MAX, "closing %s failed", tmp);
    }
    if (r == EP_OK) r = os.rename(&os, tmp, dst, err);
    if (r == EP_OK) r = os.sync_dir(&os, dir, err);
    else (void)os.remove(&os, tmp, NULL);
    return r;
}

static int to_rdb(const cli_opts *o, const char *src, const char *dst) { return from_shard(o, "rdb", src, dst, write_rdb); }

static int to_aof_dir(const cli_opts *o, const char *src, const char *dst) {
    return from_shard(o, "aof-dir", src, dst, write_aof_dir);
}

static int to_resp_aof(const cli_opts *o, const char *src, const char *dst) {
    return from_shard(o, "resp-aof", src, dst, write_resp_aof);
}

static int rdb_to_ember(const cli_opts *o, const char *src, const char *dst) {
    shard_ref b;
    ep_redis_map_config mc;
    ep_redis_map_result res;
    unmapped_list l;
    ep_key *key;
    ep_error err;
    ep_result r;
    int rc;
    if (!parse_shard(dst, &b)) {
        fprintf(stderr, "ember-persist convert: an ember shard is DIR:ID (e.g. data:0)\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_load_key_path(o->new_key_file, &key)) != 0) return rc;
    ep_redis_map_config_init(&mc);
    mc.key = key;
    mc.db = o->has_db ? o->db : EP_REDIS_ALL_DBS;
    unmapped_begin(&l, o, &mc);
    ep_error_clear(&err);
    r = ep_redis_rdb_to_shard(src, b.dir, b.id, &mc, &res, &err);
    ep_key_free(key);
    if (r != EP_OK) return fail(src, r, &err, &l);
    return report_result(o, "ember", src, dst, &res, &l);
}

/* ---- WAL kinds ------------------------------------------------------------ */

static void wal_result(const cli_opts *o, const char *src, const char *dst, const ep_wal_map_result *res) {
    if (o->json) {
        fputs("{\"from\": ", stdout);
        cli_json_str(stdout, src);
        fputs(", \"to\": ", stdout);
        cli_json_str(stdout, dst);
        printf(", \"kind\": \"%s\", \"keys\": %llu, \"converted\": %llu, \"unmapped\": [], \"unmapped_count\": 0, "
               "\"records\": %llu, \"bytes\": %llu, \"first_id\": %llu, \"last_id\": %llu, \"record_warnings\": %llu, "
               "\"expired\": %llu, \"aof_torn\": %s}\n",
               o->to, (unsigned long long)res->keys, (unsigned long long)res->keys, (unsigned long long)res->records,
               (unsigned long long)res->bytes, (unsigned long long)res->first_id, (unsigned long long)res->last_id,
               (unsigned long long)res->record_warnings, (unsigned long long)res->expired, res->aof_torn ? "true" : "false");
        return;
    }
    printf("convert %s -> %s (%s): %llu keys, all converted; WAL records %llu..%llu (%llu records, %llu bytes)", src, dst,
           o->to, (unsigned long long)res->keys, (unsigned long long)res->first_id, (unsigned long long)res->last_id,
           (unsigned long long)res->records, (unsigned long long)res->bytes);
    if (res->record_warnings) printf("; %llu records refused by rule", (unsigned long long)res->record_warnings);
    if (res->expired) printf("; %llu keys already expired (dropped)", (unsigned long long)res->expired);
    putchar('\n');
    if (res->aof_torn) printf("note: the shard's AOF ends in a torn tail; everything before it was converted\n");
}

/* ep_shard_to_wal publishes its segment from DST.tmp and empties it; the
 * empty directory is the tool's to remove. */
static void remove_wal_stage(const char *dst) {
    char stage[4200];
    if ((size_t)snprintf(stage, sizeof stage, "%s.tmp", dst) < sizeof stage) cli_remove_empty_dir(stage);
}

/* to_wal: shard SRC -> WAL DST under --key-file; else WAL SRC -> shard DST
 * under --new-key-file. */
static int wal_convert(const cli_opts *o, const char *src, const char *dst, int to_wal) {
    shard_ref sh;
    ep_wal_map_config wc;
    ep_wal_map_result res;
    ep_key *key = NULL;
    ep_error err;
    ep_result r;
    int rc;
    if (!parse_shard(to_wal ? src : dst, &sh)) {
        fprintf(stderr, "ember-persist convert: the shard side is DIR:ID (e.g. data:0)\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_load_key_path(to_wal ? o->key_file : o->new_key_file, &key)) != 0) return rc;
    ep_wal_map_config_init(&wc);
    wc.key = key;
    ep_error_clear(&err);
    r = to_wal ? ep_shard_to_wal(sh.dir, sh.id, dst, &wc, &res, &err) : ep_wal_to_shard(src, sh.dir, sh.id, &wc, &res, &err);
    ep_key_free(key);
    if (r != EP_OK) return fail(src, r, &err, NULL);
    if (to_wal) remove_wal_stage(dst);
    wal_result(o, src, dst, &res);
    return res.record_warnings ? CLI_EXIT_WARN : CLI_EXIT_CLEAN;
}

static int to_wal(const cli_opts *o, const char *src, const char *dst) { return wal_convert(o, src, dst, 1); }
static int wal_to_ember(const cli_opts *o, const char *src, const char *dst) { return wal_convert(o, src, dst, 0); }

/* SRC is an RDB file (by content), not a shard. */
static int is_rdb(const char *src) {
    ep_probe_info pi;
    return ep_probe_path(NULL, src, &pi, NULL) == EP_OK && pi.kind == EP_PROBE_REDIS_RDB;
}

/* SRC of --to ember: an RDB file, a shard DIR:ID, or else a WAL directory. */
static int to_ember_any(const cli_opts *o, const char *src, const char *dst) {
    shard_ref a;
    if (is_rdb(src)) return rdb_to_ember(o, src, dst);
    if (parse_shard(src, &a)) return to_ember(o, src, dst);
    return wal_to_ember(o, src, dst);
}

typedef struct convert_kind {
    const char *name;
    convert_fn run;       /* NULL: needs a part this build does not have yet */
    const char *needs;
} convert_kind;

static const convert_kind kinds[] = {
    {"ember", to_ember_any, NULL},
    {"rdb", to_rdb, NULL},
    {"resp-aof", to_resp_aof, NULL},
    {"aof-dir", to_aof_dir, NULL},
    {"wal", to_wal, NULL},
};

int cmd_convert(int argc, char **argv) {
    cli_opts o;
    size_t i;
    int rc = cli_parse("convert", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY | CLI_OPT_NEW_KEY | CLI_OPT_TO | CLI_OPT_DB, 2, 2,
                       &o);
    if (rc >= 0) return rc;
    if (!o.to) {
        fprintf(stderr, "ember-persist convert: --to KIND is required (ember");
        for (i = 1; i < sizeof kinds / sizeof kinds[0]; i++) fprintf(stderr, ", %s", kinds[i].name);
        fprintf(stderr, ")\n");
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(o.to, kinds[i].name) != 0) continue;
        if (!kinds[i].run) {
            fprintf(stderr, "ember-persist convert: --to %s needs %s, which this build does not have yet\n", o.to,
                    kinds[i].needs);
            return CLI_EXIT_SOFTWARE;
        }
        return kinds[i].run(&o, o.pos[0], o.pos[1]);
    }
    fprintf(stderr, "ember-persist convert: unknown kind '%s'\n", o.to);
    return CLI_EXIT_USAGE;
}
