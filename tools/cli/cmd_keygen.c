/* keygen PATH: writes a fresh random AES-256 key as 64 hex digits and a
 * newline, mode 0600, synced; refuses to overwrite an existing file (a lost
 * key makes every encrypted file unreadable). */
#include "cli.h"

#include <string.h>

int cmd_keygen(int argc, char **argv) {
    ep_error err;
    ep_result r;
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: ember-persist keygen PATH\n");
        return CLI_EXIT_USAGE;
    }
    ep_error_clear(&err);
    r = ep_key_generate_file(NULL, argv[1], &err);
    if (r) {
        fprintf(stderr, "ember-persist keygen: %s\n", err.message[0] ? err.message : ep_result_str(r));
        return r == EP_ERR_EXISTS ? CLI_EXIT_USAGE : CLI_EXIT_CORRUPT;
    }
    printf("wrote a new 256-bit key to %s (mode 0600); keep a copy: without it encrypted files are unreadable\n",
           argv[1]);
    return CLI_EXIT_CLEAN;
}
