/* probe PATH: what a file or a directory is, told by its content through
 * the library's probe (ep_probe_path): an ember AOF, snapshot or shard
 * directory, a WAL segment, checkpoint, record log or directory, a Redis
 * RDB, RESP AOF or appendonlydir. The first step at 3 a.m.: which command
 * reads this? Exit 0 for a kind the probe knows (an empty file and a
 * directory with nothing known included), 2 for a file of unknown bytes,
 * 66 when PATH cannot be opened. */
#include "cli.h"

static void print_json(const char *path, const ep_probe_info *pi) {
    fputs("{\"path\": ", stdout);
    cli_json_str(stdout, path);
    printf(", \"kind\": \"%s\", \"kind_id\": %d, \"is_dir\": %s, \"size\": %llu, \"version\": %lu, "
           "\"header_ok\": %s, \"encrypted\": %s",
           ep_probe_kind_name(pi->kind), (int)pi->kind, pi->is_dir ? "true" : "false", (unsigned long long)pi->size,
           (unsigned long)pi->version, pi->header_ok ? "true" : "false", pi->encrypted ? "true" : "false");
    if (pi->kind == EP_PROBE_EMBER_SNAPSHOT)
        printf(", \"shard\": %u, \"entry_count\": %lu", (unsigned)pi->shard_id, (unsigned long)pi->entry_count);
    if (pi->kind == EP_PROBE_EMBER_DIR)
        printf(", \"shard\": %u, \"shard_count\": %lu", (unsigned)pi->shard_id, (unsigned long)pi->shard_count);
    fputs("}\n", stdout);
}

static void print_text(const char *path, const ep_probe_info *pi) {
    printf("%s: %s", path, ep_probe_kind_name(pi->kind));
    if (pi->version) printf(" v%lu", (unsigned long)pi->version);
    if (pi->header_ok) printf(pi->encrypted ? ", encrypted" : ", plaintext");
    else if (pi->version) printf(", a version this library does not read");
    if (pi->kind == EP_PROBE_EMBER_SNAPSHOT)
        printf(", shard %u, %lu entries (header)", (unsigned)pi->shard_id, (unsigned long)pi->entry_count);
    if (pi->kind == EP_PROBE_EMBER_DIR)
        printf(", %lu shard%s (lowest id %u)", (unsigned long)pi->shard_count, pi->shard_count == 1 ? "" : "s",
               (unsigned)pi->shard_id);
    if (!pi->is_dir) printf(", %llu bytes", (unsigned long long)pi->size);
    fputc('\n', stdout);
}

int cmd_probe(int argc, char **argv) {
    cli_opts o;
    ep_probe_info pi;
    ep_error err;
    ep_result r;
    int rc = cli_parse("probe", argc, argv, CLI_OPT_JSON, 1, 1, &o);
    if (rc >= 0) return rc;
    ep_error_clear(&err);
    if ((r = ep_probe_path(NULL, o.file, &pi, &err)) != EP_OK) {
        fprintf(stderr, "ember-persist probe: %s\n", err.message[0] ? err.message : ep_result_str(r));
        if (o.json) {
            fputs("{\"path\": ", stdout);
            cli_json_str(stdout, o.file);
            printf(", \"error\": \"%s\", \"message\": ", cli_result_name(r));
            cli_json_str(stdout, err.message[0] ? err.message : ep_result_str(r));
            fputs("}\n", stdout);
        }
        return r == EP_ERR_NOT_FOUND ? CLI_EXIT_NOINPUT : cli_exit_for(r);
    }
    if (o.json) print_json(o.file, &pi);
    else print_text(o.file, &pi);
    return pi.kind == EP_PROBE_UNKNOWN ? CLI_EXIT_CORRUPT : CLI_EXIT_CLEAN;
}
