/* verify FILE: reads every record or entry (and a snapshot's footer) and
 * says how the file ends; the exit code is the verdict. */
#include "cli.h"

int cmd_verify(int argc, char **argv) {
    cli_opts o;
    cli_file f;
    cli_end end;
    ep_key *key = NULL;
    int rc = cli_parse("verify", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY, 1, 1, &o);
    if (rc >= 0) return rc;
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    cli_walk(o.file, key, NULL, &f, &end);
    ep_key_free(key);
    if (o.json) {
        fputc('{', stdout);
        cli_print_file_json(stdout, o.file, &f);
        fputs(", \"end\": ", stdout);
        cli_print_end_json(stdout, &end);
        fputs("}\n", stdout);
    } else {
        printf("%s: %s: ", o.file, cli_kind_name(f.kind));
        cli_print_end_text(stdout, &f, &end);
    }
    return cli_end_exit(&end);
}
