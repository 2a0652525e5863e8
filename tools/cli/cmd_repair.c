/* repair FILE | DIR ID: makes a damaged AOF readable again through the
 * library's ep_aof_repair: a torn tail is trimmed; other damage refuses
 * unless --force (drop it and all after it) or --force --salvage (cut out
 * only the damaged regions). A byte-identical backup FILE.bak-<UTC time> is
 * written and synced before the file is replaced (tmp, sync, rename,
 * directory sync). Says exactly which regions and how many records and
 * bytes go. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct repair_ctx {
    ep_aof_repair_region *regions;
    size_t n, cap;
    cli_progress bar;
} repair_ctx;

static void on_region(void *user, const ep_aof_repair_region *reg) {
    repair_ctx *c = (repair_ctx *)user;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 8;
        ep_aof_repair_region *p = (ep_aof_repair_region *)realloc(c->regions, ncap * sizeof *p);
        if (!p) return; /* the counts in the report stay right; only the list is short */
        c->regions = p;
        c->cap = ncap;
    }
    c->regions[c->n++] = *reg;
}

static void on_progress(void *user, uint64_t done, uint64_t total) {
    repair_ctx *c = (repair_ctx *)user;
    c->bar.total = total;
    cli_progress_update(&c->bar, done);
}

/* FILE.bak-YYYYMMDDTHHMMSSZ, with -2, -3 ... if that exists. */
static int backup_name(const char *path, char *out, size_t cap) {
    char suffix[48];
    ep_vfs os;
    int i;
    cli_backup_suffix(suffix, sizeof suffix);
    if (ep_vfs_os_init(&os) != EP_OK) return 0;
    for (i = 1; i < 100; i++) {
        if (i == 1) snprintf(out, cap, "%s%s", path, suffix);
        else snprintf(out, cap, "%s%s-%d", path, suffix, i);
        if (os.stat(&os, out, NULL, NULL) == EP_ERR_NOT_FOUND) return 1;
    }
    return 0;
}

/* FILE, or DIR ID -> the AOF's path. */
static int aof_of(const cli_opts *o, char *out, size_t cap) {
    uint16_t id;
    if (o->npos == 1) {
        snprintf(out, cap, "%s", o->pos[0]);
        return -1;
    }
    if (!cli_shard_arg("repair", o->pos[1], &id)) return CLI_EXIT_USAGE;
    if (ep_aof_path(o->pos[0], id, out, cap) != EP_OK) {
        fprintf(stderr, "ember-persist repair: path too long\n");
        return CLI_EXIT_USAGE;
    }
    return -1;
}

static void print_region_json(FILE *out, const ep_aof_repair_region *r) {
    fprintf(out, "{\"offset\": %llu, \"bytes\": %llu, \"index\": %llu, \"torn\": %s, \"error\": \"%s\", \"message\": ",
            (unsigned long long)r->offset, (unsigned long long)r->bytes, (unsigned long long)r->index,
            r->torn ? "true" : "false", cli_result_name(r->error.code));
    cli_json_str(out, r->error.message[0] ? r->error.message : ep_result_str(r->error.code));
    fputc('}', out);
}

static void print_json(const char *path, const char *backup, const ep_aof_repair_report *rep, const repair_ctx *c,
                       int dry_run, ep_result res, const ep_error *err) {
    size_t i;
    fputs("{\"file\": ", stdout);
    cli_json_str(stdout, path);
    printf(", \"version\": %u, \"size\": %llu, \"action\": \"%s\", \"dry_run\": %s, \"written\": %s",
           (unsigned)rep->version, (unsigned long long)rep->file_size, ep_aof_repair_action_name(rep->action),
           dry_run ? "true" : "false", rep->written ? "true" : "false");
    fputs(", \"backup\": ", stdout);
    if (rep->written) cli_json_str(stdout, backup);
    else fputs("null", stdout);
    printf(", \"new_size\": %llu, \"records_before\": %llu, \"good_offset\": %llu, \"damaged_bytes\": %llu, "
           "\"records_after\": %llu, \"bytes_after\": %llu, \"records_kept\": %llu, \"records_dropped\": %llu, "
           "\"bytes_dropped\": %llu, \"regions\": [",
           (unsigned long long)rep->new_size, (unsigned long long)rep->records_before,
           (unsigned long long)rep->good_offset, (unsigned long long)rep->damaged_bytes,
           (unsigned long long)rep->records_after, (unsigned long long)rep->bytes_after,
           (unsigned long long)rep->records_kept, (unsigned long long)rep->records_dropped,
           (unsigned long long)rep->bytes_dropped);
    for (i = 0; i < c->n; i++) {
        if (i) fputs(", ", stdout);
        print_region_json(stdout, &c->regions[i]);
    }
    fputc(']', stdout);
    if (res != EP_OK && rep->action != EP_REPAIR_REFUSED) {
        printf(", \"error\": \"%s\", \"message\": ", cli_result_name(res));
        cli_json_str(stdout, err->message[0] ? err->message : ep_result_str(res));
    }
    fputs("}\n", stdout);
}

/* --json when the file is not an AOF that repair can read: still one document. */
static void print_not_repaired_json(const char *path, const char *error, const char *message) {
    fputs("{\"file\": ", stdout);
    cli_json_str(stdout, path);
    printf(", \"action\": \"refused\", \"written\": false, \"backup\": null, \"error\": \"%s\", \"message\": ", error);
    cli_json_str(stdout, message);
    fputs("}\n", stdout);
}

static void print_text(const char *path, const char *backup, const ep_aof_repair_report *rep, const repair_ctx *c,
                       int dry_run, ep_result res, const ep_error *err) {
    size_t i;
    printf("%s: ember AOF v%u, %llu bytes\n", path, (unsigned)rep->version, (unsigned long long)rep->file_size);
    if (rep->action == EP_REPAIR_NOTHING && res == EP_OK) {
        printf("clean: %llu records, nothing to repair\n", (unsigned long long)rep->records_before);
        return;
    }
    printf("  before the damage: %llu intact records, up to offset %llu (all kept)\n",
           (unsigned long long)rep->records_before, (unsigned long long)rep->good_offset);
    for (i = 0; i < c->n; i++) {
        const ep_aof_repair_region *r = &c->regions[i];
        printf("  damage at offset %llu (after %llu good records): %llu bytes, %s%s\n", (unsigned long long)r->offset,
               (unsigned long long)r->index, (unsigned long long)r->bytes, r->torn ? "torn tail: " : "",
               r->error.message[0] ? r->error.message : ep_result_str(r->error.code));
    }
    if (rep->records_after)
        printf("  after the damage: %llu intact records, %llu bytes\n", (unsigned long long)rep->records_after,
               (unsigned long long)rep->bytes_after);
    if (rep->action == EP_REPAIR_REFUSED) {
        printf("refused: the damage is not a torn tail (the file is unchanged).\n"
               "  --force drops everything from offset %llu (%llu intact records, %llu bytes);\n"
               "  --force --salvage cuts out only the %llu damaged bytes and keeps those records.\n",
               (unsigned long long)rep->good_offset, (unsigned long long)rep->records_after,
               (unsigned long long)(rep->file_size - rep->good_offset), (unsigned long long)rep->damaged_bytes);
        return;
    }
    if (res != EP_OK) {
        printf("failed: %s (the file is as it was unless said otherwise above)\n",
               err->message[0] ? err->message : ep_result_str(res));
        return;
    }
    printf("%s %s: %llu records kept, %llu intact records and %llu bytes dropped, new size %llu bytes\n",
           dry_run ? "would" : "done:", rep->action == EP_REPAIR_SALVAGE ? "salvage" : "trim",
           (unsigned long long)rep->records_kept, (unsigned long long)rep->records_dropped,
           (unsigned long long)rep->bytes_dropped, (unsigned long long)rep->new_size);
    if (rep->written) printf("backup of the original (synced): %s\n", backup);
}

int cmd_repair(int argc, char **argv) {
    cli_opts o;
    char path[4096], backup[4200];
    ep_key *key = NULL;
    ep_aof_repair_config cfg;
    ep_aof_repair_report rep;
    ep_probe_info pi;
    ep_error err;
    ep_result res;
    repair_ctx c;
    int rc = cli_parse("repair", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY | CLI_OPT_FORCE | CLI_OPT_SALVAGE | CLI_OPT_DRY_RUN,
                       1, 2, &o);
    if (rc >= 0) return rc;
    if ((rc = aof_of(&o, path, sizeof path)) >= 0) return rc;
    if (o.salvage && !o.force) {
        fprintf(stderr, "ember-persist repair: --salvage goes with --force\n");
        return CLI_EXIT_USAGE;
    }
    ep_error_clear(&err);
    if ((res = ep_probe_path(NULL, path, &pi, &err)) != EP_OK) {
        fprintf(stderr, "ember-persist repair: %s\n", err.message[0] ? err.message : ep_result_str(res));
        if (o.json) print_not_repaired_json(path, cli_result_name(res), err.message[0] ? err.message : ep_result_str(res));
        return CLI_EXIT_NOINPUT;
    }
    if (pi.kind != EP_PROBE_EMBER_AOF) {
        char why[4400];
        snprintf(why, sizeof why, "%s is %s, not an ember AOF%s", path, ep_probe_kind_name(pi.kind),
                 pi.kind == EP_PROBE_EMBER_SNAPSHOT ? " (snapshots are replaced whole, never repaired)" : "");
        fprintf(stderr, "ember-persist repair: %s\n", why);
        if (o.json) print_not_repaired_json(path, pi.is_dir ? "invalid_arg" : "bad_magic", why);
        return pi.is_dir ? CLI_EXIT_USAGE : CLI_EXIT_CORRUPT;
    }
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    if (!backup_name(path, backup, sizeof backup)) {
        fprintf(stderr, "ember-persist repair: no free backup name next to %s\n", path);
        ep_key_free(key);
        return CLI_EXIT_CANTCREAT;
    }
    memset(&c, 0, sizeof c);
    cli_progress_begin(&c.bar, "repair: scanning", pi.size);
    ep_aof_repair_config_init(&cfg);
    cfg.key = key;
    cfg.force = o.force;
    cfg.salvage = o.salvage;
    cfg.dry_run = o.dry_run;
    cfg.backup_path = backup;
    cfg.on_region = on_region;
    cfg.on_progress = on_progress;
    cfg.user = &c;
    res = ep_aof_repair(path, &cfg, &rep, &err);
    cli_progress_end(&c.bar);
    ep_key_free(key);
    if (o.json) print_json(path, backup, &rep, &c, o.dry_run, res, &err);
    else print_text(path, backup, &rep, &c, o.dry_run, res, &err);
    free(c.regions);
    if (rep.action == EP_REPAIR_REFUSED) return CLI_EXIT_CORRUPT;
    if (res != EP_OK) {
        if (!o.json) fprintf(stderr, "ember-persist repair: %s\n", err.message[0] ? err.message : ep_result_str(res));
        return cli_exit_for(res);
    }
    return o.dry_run && rep.action != EP_REPAIR_NOTHING ? CLI_EXIT_WARN : CLI_EXIT_CLEAN;
}
