#include "cli.h"

int cmd_decrypt(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse("decrypt", argc, argv, 0, 0, 4, &o);
    if (rc >= 0) return rc;
    return CLI_EXIT_SOFTWARE;
}
