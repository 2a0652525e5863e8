/* decrypt DIR ID: see tools/cli/maint.c and ep_shard_migrate in the library. */
#include "cli.h"

int cmd_decrypt(int argc, char **argv) { return cli_maint_main("decrypt", CLI_MAINT_DECRYPT, argc, argv); }
