/* The body of compact, encrypt, decrypt and rekey: parse DIR ID and the
 * keys, check the shard's format against the command, run the library's
 * ep_shard_compact / ep_shard_migrate, print what changed. */
#include "cli.h"

#include <string.h>

static const char *names[] = {"compact", "encrypt", "decrypt", "rekey"};

/* The shard's format now: 0 none found, 2 plaintext, 3 encrypted, -1 mixed. */
static int shard_format(const char *dir, uint16_t id) {
    char snap[4096], aof[4096];
    ep_probe_info a, s;
    int fa = 0, fs = 0;
    if (ep_snapshot_path(dir, id, snap, sizeof snap) || ep_aof_path(dir, id, aof, sizeof aof)) return 0;
    if (ep_probe_path(NULL, aof, &a, NULL) == EP_OK && a.kind == EP_PROBE_EMBER_AOF) fa = a.encrypted ? 3 : 2;
    if (ep_probe_path(NULL, snap, &s, NULL) == EP_OK && s.kind == EP_PROBE_EMBER_SNAPSHOT) fs = s.encrypted ? 3 : 2;
    if (fa && fs && fa != fs) return -1;
    return fa ? fa : fs;
}

static void side_json(const char *name, uint64_t snap, uint64_t aof, unsigned version) {
    printf(", \"%s\": {\"snapshot_bytes\": %llu, \"aof_bytes\": %llu, \"snapshot_version\": %u}", name,
           (unsigned long long)snap, (unsigned long long)aof, version);
}

static void print_report(int what, const char *dir, uint16_t id, const ep_maint_report *r, const char *suffix,
                         int json) {
    char snap[4096], aof[4096];
    ep_snapshot_path(dir, id, snap, sizeof snap);
    ep_aof_path(dir, id, aof, sizeof aof);
    if (json) {
        fputs("{\"dir\": ", stdout);
        cli_json_str(stdout, dir);
        printf(", \"shard\": %u, \"action\": \"%s\", \"keys\": %llu, \"records_replayed\": %llu, \"trimmed_bytes\": %llu",
               (unsigned)id, names[what], (unsigned long long)r->keys, (unsigned long long)r->records_replayed,
               (unsigned long long)r->trimmed_bytes);
        side_json("before", r->old_snapshot_bytes, r->old_aof_bytes, r->old_version);
        side_json("after", r->new_snapshot_bytes, r->new_aof_bytes, r->new_version);
        fputs(", \"backups\": [", stdout);
        if (r->backups && r->old_snapshot_bytes) {
            printf("\"%s%s\"", snap, suffix);
            if (r->old_aof_bytes) fputs(", ", stdout);
        }
        if (r->backups && r->old_aof_bytes) printf("\"%s%s\"", aof, suffix);
        fputs("]}\n", stdout);
        return;
    }
    printf("%s %s shard %u: %llu keys (%llu AOF records replayed", names[what], dir, (unsigned)id,
           (unsigned long long)r->keys, (unsigned long long)r->records_replayed);
    if (r->trimmed_bytes) printf(", a torn tail of %llu bytes trimmed", (unsigned long long)r->trimmed_bytes);
    printf(")\n  before: snapshot %llu bytes (v%u), AOF %llu bytes\n  after:  snapshot %llu bytes (v%u), AOF %llu bytes\n",
           (unsigned long long)r->old_snapshot_bytes, r->old_version, (unsigned long long)r->old_aof_bytes,
           (unsigned long long)r->new_snapshot_bytes, r->new_version, (unsigned long long)r->new_aof_bytes);
    if (r->backups)
        printf("  the old files are kept (synced): %s%s, %s%s\n  remove them once the new ones are checked\n",
               r->old_snapshot_bytes ? snap : "", r->old_snapshot_bytes ? suffix : "",
               r->old_aof_bytes ? aof : "", r->old_aof_bytes ? suffix : "");
}

/* Is the shard in the format the command starts from? */
static int check_format(const char *cmd, int what, const char *dir, uint16_t id) {
    int f = shard_format(dir, id);
    if (f == 0) {
        fprintf(stderr, "ember-persist %s: no shard %u in %s\n", cmd, (unsigned)id, dir);
        return CLI_EXIT_NOINPUT;
    }
    if (f < 0) {
        fprintf(stderr, "ember-persist %s: the snapshot and the AOF of shard %u differ in encryption; "
                        "recover and check them first\n", cmd, (unsigned)id);
        return CLI_EXIT_CORRUPT;
    }
    if (what == CLI_MAINT_ENCRYPT && f == 3) {
        fprintf(stderr, "ember-persist encrypt: shard %u is encrypted already (rekey changes its key)\n", (unsigned)id);
        return CLI_EXIT_USAGE;
    }
    if ((what == CLI_MAINT_DECRYPT || what == CLI_MAINT_REKEY) && f == 2) {
        fprintf(stderr, "ember-persist %s: shard %u is plaintext (encrypt gives it a key)\n", cmd, (unsigned)id);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* A backup suffix that names no existing file of the shard (-2, -3 ... within one second). */
static void pick_suffix(const char *dir, uint16_t id, char *out, size_t cap) {
    char base[32], snap[4096], aof[4096], a[4200], b[4200];
    ep_vfs os;
    int i;
    cli_backup_suffix(base, sizeof base);
    snprintf(out, cap, "%s", base);
    if (ep_vfs_os_init(&os) || ep_snapshot_path(dir, id, snap, sizeof snap) || ep_aof_path(dir, id, aof, sizeof aof))
        return;
    for (i = 2; i < 100; i++) {
        snprintf(a, sizeof a, "%s%s", snap, out);
        snprintf(b, sizeof b, "%s%s", aof, out);
        if (os.stat(&os, a, NULL, NULL) == EP_ERR_NOT_FOUND && os.stat(&os, b, NULL, NULL) == EP_ERR_NOT_FOUND) return;
        snprintf(out, cap, "%s-%d", base, i);
    }
}

int cli_maint_main(const char *cmd, int what, int argc, char **argv) {
    cli_opts o;
    uint16_t id;
    ep_key *key = NULL, *new_key = NULL;
    ep_maint_config cfg;
    ep_maint_report rep;
    ep_error err;
    ep_result r;
    char suffix[48];
    unsigned allowed = CLI_OPT_JSON | CLI_OPT_KEY | (what == CLI_MAINT_REKEY ? CLI_OPT_NEW_KEY : 0u);
    int rc = cli_parse(cmd, argc, argv, allowed, 2, 2, &o);
    if (rc >= 0) return rc;
    if (!cli_shard_arg(cmd, o.pos[1], &id)) return CLI_EXIT_USAGE;
    if (what != CLI_MAINT_COMPACT && !o.key_file) {
        fprintf(stderr, "ember-persist %s: --key-file is required\n", cmd);
        return CLI_EXIT_USAGE;
    }
    if (what == CLI_MAINT_REKEY && !o.new_key_file) {
        fprintf(stderr, "ember-persist rekey: --new-key-file is required\n");
        return CLI_EXIT_USAGE;
    }
    if (what != CLI_MAINT_COMPACT && (rc = check_format(cmd, what, o.pos[0], id)) >= 0) return rc;
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    if ((rc = cli_load_key_path(o.new_key_file, &new_key)) != 0) {
        ep_key_free(key);
        return rc;
    }
    ep_maint_config_init(&cfg);
    pick_suffix(o.pos[0], id, suffix, sizeof suffix);
    switch (what) {
    case CLI_MAINT_COMPACT: cfg.key = key; break;
    case CLI_MAINT_ENCRYPT: cfg.new_key = key; break;
    case CLI_MAINT_DECRYPT: cfg.key = key; break;
    default: cfg.key = key; cfg.new_key = new_key; break;
    }
    if (what != CLI_MAINT_COMPACT) cfg.backup_suffix = suffix;
    ep_error_clear(&err);
    r = what == CLI_MAINT_COMPACT ? ep_shard_compact(o.pos[0], id, &cfg, &rep, &err)
                                  : ep_shard_migrate(o.pos[0], id, &cfg, &rep, &err);
    ep_key_free(key);
    ep_key_free(new_key);
    if (r != EP_OK) {
        fprintf(stderr, "ember-persist %s: %s\n", cmd, err.message[0] ? err.message : ep_result_str(r));
        if (r == EP_ERR_LOCKED) fprintf(stderr, "  stop the process that writes this shard, then run it again\n");
        if (o.json) {
            printf("{\"dir\": ");
            cli_json_str(stdout, o.pos[0]);
            printf(", \"shard\": %u, \"action\": \"%s\", \"error\": \"%s\", \"message\": ", (unsigned)id, names[what],
                   cli_result_name(r));
            cli_json_str(stdout, err.message[0] ? err.message : ep_result_str(r));
            fputs("}\n", stdout);
        }
        return cli_exit_for(r);
    }
    print_report(what, o.pos[0], id, &rep, suffix, o.json);
    return CLI_EXIT_CLEAN;
}
