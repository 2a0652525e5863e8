/* ember-persist: inspect and check ember AOF and snapshot files.
 * Usage: ember-persist COMMAND FILE [options]; see tools/cli/README.md. */
#include "cli.h"

#include <string.h>

typedef struct cli_command {
    const char *name;
    const char *usage;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

#define CLI_ROW(name, usage, summary) {#name, usage, summary, cmd_##name},
static const cli_command commands[] = {CLI_COMMANDS(CLI_ROW)};
#undef CLI_ROW

/* Command names are C identifiers in the table; on the command line a '-'
 * stands for each '_' (wal-info is cmd_wal_info). */
static int cli_name_eq(const char *arg, const char *name) {
    for (; *arg && *name; arg++, name++)
        if (*arg != *name && !(*arg == '-' && *name == '_')) return 0;
    return *arg == *name;
}

static void cli_print_name(FILE *to, const char *name) {
    int n = 0;
    for (; *name; name++, n++) fputc(*name == '_' ? '-' : *name, to);
    for (; n < 8; n++) fputc(' ', to);
}

void cli_usage(FILE *to) {
    size_t i;
    fprintf(to, "usage: ember-persist COMMAND ARGS\n\ncommands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fputs("  ", to);
        cli_print_name(to, commands[i].name);
        fprintf(to, " %s\n           %s\n", commands[i].usage, commands[i].summary);
    }
    fprintf(to, "\nexit codes: 0 clean, 1 torn tail or warning, 2 corrupt or unreadable, 64 usage,\n"
                "            66 cannot open the file\n");
}

int main(int argc, char **argv) {
    size_t i;
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        cli_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ember-persist %s\n", ep_version());
        return 0;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (cli_name_eq(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ember-persist: unknown command '%s'\n\n", argv[1]);
    cli_usage(stderr);
    return CLI_EXIT_USAGE;
}
