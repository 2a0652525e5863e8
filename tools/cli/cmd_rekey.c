/* rekey DIR ID: see tools/cli/maint.c and ep_shard_migrate in the library. */
#include "cli.h"

int cmd_rekey(int argc, char **argv) { return cli_maint_main("rekey", CLI_MAINT_REKEY, argc, argv); }
