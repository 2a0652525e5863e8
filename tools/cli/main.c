/* ember-persist: inspect and check ember AOF and snapshot files.
 * Usage: ember-persist COMMAND FILE [options]; see tools/cli/README.md. */
#include "cli.h"

#include <string.h>

typedef struct cli_command {
    const char *name;
    const char *usage;
    const char *summary;
    const char *options;
    int (*run)(int argc, char **argv);
} cli_command;

#define CLI_ROW(name, usage, summary, options) {#name, usage, summary, options, cmd_##name},
static const cli_command commands[] = {CLI_COMMANDS(CLI_ROW)};
#undef CLI_ROW

/* Command names are C identifiers in the table; on the command line a '-'
 * stands for each '_' (wal-info is cmd_wal_info). */
static int cli_name_eq(const char *arg, const char *name) {
    for (; *arg && *name; arg++, name++)
        if (*arg != *name && !(*arg == '-' && *name == '_')) return 0;
    return *arg == *name;
}

/* A table name as typed (wal_info -> wal-info), padded to width. */
static void cli_print_name(FILE *to, const char *name, int width) {
    int n = 0;
    for (; *name; name++, n++) fputc(*name == '_' ? '-' : *name, to);
    for (; n < width; n++) fputc(' ', to);
}

void cli_usage(FILE *to) {
    size_t i;
    fprintf(to, "usage: ember-persist COMMAND ARGS\n\ncommands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fputs("  ", to);
        cli_print_name(to, commands[i].name, 8);
        fprintf(to, " %s\n           %s\n", commands[i].usage, commands[i].summary);
    }
    fprintf(to, "\n'ember-persist COMMAND --help' for a command's options; 'man ember-persist' for more.\n");
    cli_exit_codes(to);
}

static const char exit_codes[] =
    "exit codes: 0 done, clean; 1 done with a warning (torn tail, ignored trailer, unmapped keys);\n"
    "            2 corrupt or unreadable, or refused because of damage; 64 usage; 66 cannot open an input;\n"
    "            70 internal (out of memory); 73 cannot create an output; 74 write or sync failed;\n"
    "            75 the shard is locked by another process\n";

void cli_exit_codes(FILE *to) { fputs(exit_codes, to); }

void cli_command_usage(const char *cmd, FILE *to) {
    size_t i;
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!cli_name_eq(cmd, commands[i].name)) continue;
        fputs("usage: ember-persist ", to);
        cli_print_name(to, commands[i].name, 0);
        fprintf(to, " %s\n  %s\n", commands[i].usage, commands[i].summary);
        if (commands[i].options[0]) fprintf(to, "\noptions:\n%s", commands[i].options);
        fprintf(to, "  -h, --help        this text\n\n");
        cli_exit_codes(to);
        return;
    }
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
    {
        int rc;
        if (cli_redis_route(argc - 1, argv + 1, &rc)) return rc; /* a Redis file: its own readers */
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (cli_name_eq(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ember-persist: unknown command '%s'\n\n", argv[1]);
    cli_usage(stderr);
    return CLI_EXIT_USAGE;
}
