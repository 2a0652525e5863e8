/* info FILE: what a file is (kind, version, shard, counts, size, encrypted)
 * and, when it can be read, how it ends. An encrypted file without
 * --key-file still shows its header; only the count is unknown. */
#include "cli.h"

int cmd_info(int argc, char **argv) {
    cli_opts o;
    cli_file f;
    cli_end end;
    ep_key *key = NULL;
    int rc = cli_parse("info", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY, 1, 1, &o), locked;
    if (rc >= 0) return rc;
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    cli_walk(o.file, key, NULL, &f, &end);
    ep_key_free(key);
    /* No key for an encrypted file is not a fault of the file. */
    locked = end.state == CLI_END_ERROR && end.err.code == EP_ERR_ENCRYPTION_REQUIRED;
    if (o.json) {
        fputc('{', stdout);
        cli_print_file_json(stdout, o.file, &f);
        if (locked) fputs(", \"count\": null", stdout);
        else if (end.state != CLI_END_ERROR) printf(", \"count\": %llu", (unsigned long long)end.count);
        fputs(", \"end\": ", stdout);
        cli_print_end_json(stdout, &end);
        fputs("}\n", stdout);
    } else {
        printf("file:      %s\n", o.file);
        printf("kind:      %s\n", cli_kind_name(f.kind));
        printf("size:      %llu bytes\n", (unsigned long long)f.size);
        if (f.header_ok) {
            printf("version:   %u\n", (unsigned)f.version);
            printf("encrypted: %s\n", f.encrypted ? "yes (AES-256-GCM)" : "no");
            if (f.kind == CLI_KIND_SNAPSHOT) {
                printf("shard:     %u\n", (unsigned)f.shard_id);
                printf("entries:   %lu (header)\n", (unsigned long)f.entry_count);
            }
        }
        if (locked) {
            printf("%s:   unknown (encrypted; pass --key-file)\n", f.kind == CLI_KIND_SNAPSHOT ? "read" : "records");
        } else {
            if (f.kind == CLI_KIND_AOF && end.state != CLI_END_ERROR)
                printf("records:   %llu\n", (unsigned long long)end.count);
            printf("status:    ");
            cli_print_end_text(stdout, &f, &end);
        }
    }
    return locked ? CLI_EXIT_CLEAN : cli_end_exit(&end);
}
