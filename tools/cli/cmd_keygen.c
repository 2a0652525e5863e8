/* keygen PATH: writes a fresh random AES-256 key as 64 hex digits and a
 * newline, mode 0600, synced; refuses to overwrite an existing file (a lost
 * key makes every encrypted file unreadable). */
#include "cli.h"

#include <string.h>

int cmd_keygen(int argc, char **argv) {
    ep_error err;
    ep_result r;
    cli_opts o;
    int rc = cli_parse("keygen", argc, argv, 0, 1, 1, &o);
    if (rc >= 0) return rc;
    ep_error_clear(&err);
    r = ep_key_generate_file(NULL, o.file, &err);
    if (r) {
        fprintf(stderr, "ember-persist keygen: %s\n", err.message[0] ? err.message : ep_result_str(r));
        /* an existing file is never overwritten (73); a missing directory cannot be opened (66) */
        return r == EP_ERR_NOT_FOUND ? CLI_EXIT_NOINPUT : cli_exit_for(r);
    }
    printf("wrote a new 256-bit key to %s (mode 0600); keep a copy: without it encrypted files are unreadable\n",
           o.file);
    return CLI_EXIT_CLEAN;
}
