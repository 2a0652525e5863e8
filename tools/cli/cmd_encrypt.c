/* encrypt DIR ID: see tools/cli/maint.c and ep_shard_migrate in the library. */
#include "cli.h"

int cmd_encrypt(int argc, char **argv) { return cli_maint_main("encrypt", CLI_MAINT_ENCRYPT, argc, argv); }
