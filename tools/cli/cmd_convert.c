/* convert SRC DST --to KIND: moves a data set between formats through the
 * library. Every conversion goes source -> recovered keys -> destination, so
 * each source and each destination is one row in the tables below; a key the
 * destination cannot hold is listed with its reason and counted (exit 1),
 * never dropped silently.
 *
 * Here: ember shard (DIR:ID) -> ember shard (DIR:ID), e.g. to renumber a
 * shard or to give the copy a key (--new-key-file). The Redis (rdb,
 * resp-aof, aof-dir) and WAL kinds are rows to add when those parts land. */
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

typedef struct convert_kind {
    const char *name;
    convert_fn run;       /* NULL: needs a part this build does not have yet */
    const char *needs;
} convert_kind;

static const convert_kind kinds[] = {
    {"ember", to_ember, NULL},
    {"rdb", NULL, "the Redis part (RDB writer)"},
    {"resp-aof", NULL, "the Redis part (RESP AOF writer)"},
    {"aof-dir", NULL, "the Redis part (multi-part appendonlydir)"},
    {"wal", NULL, "the WAL part (record log)"},
};

int cmd_convert(int argc, char **argv) {
    cli_opts o;
    size_t i;
    int rc = cli_parse("convert", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY | CLI_OPT_NEW_KEY | CLI_OPT_TO, 2, 2, &o);
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
