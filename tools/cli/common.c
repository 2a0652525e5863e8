/* Option parsing and key loading shared by the subcommands. */
#include "cli.h"

#include <string.h>

int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, cli_opts *out) {
    int i, opts_done = 0;
    memset(out, 0, sizeof *out);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && a[0] == '-' && a[1] == '-') {
            if (!strcmp(a, "--")) {
                opts_done = 1;
            } else if (!strcmp(a, "--json") && (allowed & CLI_OPT_JSON)) {
                out->json = 1;
            } else if (!strcmp(a, "--base64") && (allowed & CLI_OPT_BASE64)) {
                out->base64 = 1;
            } else if (!strcmp(a, "--key-file") && (allowed & CLI_OPT_KEY)) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "ember-persist %s: --key-file needs a path\n", cmd);
                    return CLI_EXIT_USAGE;
                }
                out->key_file = argv[++i];
            } else {
                fprintf(stderr, "ember-persist %s: unknown option '%s'\n", cmd, a);
                return CLI_EXIT_USAGE;
            }
        } else if (!out->file) {
            out->file = a;
        } else {
            fprintf(stderr, "ember-persist %s: one FILE only ('%s')\n", cmd, a);
            return CLI_EXIT_USAGE;
        }
    }
    if (!out->file) {
        fprintf(stderr, "ember-persist %s: FILE is required\n\n", cmd);
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Loads --key-file through the library (32 raw bytes or 64 hex digits). */
int cli_load_key(const cli_opts *o, ep_key **key) {
    ep_error err;
    ep_result r;
    *key = NULL;
    if (!o->key_file) return 0;
    ep_error_clear(&err);
    r = ep_key_load_file(NULL, o->key_file, NULL, key, &err);
    if (r) {
        fprintf(stderr, "ember-persist: %s\n", err.message[0] ? err.message : ep_result_str(r));
        *key = NULL;
        return r == EP_ERR_KEY_FILE ? CLI_EXIT_USAGE : CLI_EXIT_NOINPUT;
    }
    return 0;
}
