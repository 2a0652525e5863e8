/* compact DIR ID: see tools/cli/maint.c and ep_shard_compact in the library. */
#include "cli.h"

int cmd_compact(int argc, char **argv) { return cli_maint_main("compact", CLI_MAINT_COMPACT, argc, argv); }
