/* ember-persist: the command-line tool over ember_persist.h.
 *
 * Subcommands live one per file (cmd_<name>.c) and are listed once in
 * CLI_COMMANDS below; adding a command is one line here plus its file.
 * Shared pieces: option parsing and key loading (common.c), the JSON and
 * base64 writers (json.c), and one walker over AOF and snapshot files
 * (walk.c) that info, verify and dump all use. */
#ifndef EP_CLI_H
#define EP_CLI_H

#include "ember_persist.h"

#include <stdio.h>

/* X(name, usage, summary) */
#define CLI_COMMANDS(X)                                                                                   \
    X(info, "FILE [--key-file PATH] [--json]", "kind, version, shard, counts, size, encryption")        \
    X(verify, "FILE [--key-file PATH] [--json]", "read everything and say how the file ends")           \
    X(dump, "FILE [--key-file PATH] [--json] [--base64]", "print every record or entry with its offset")     \
    X(recover, "DIR ID [--key-file PATH] [--json]", "recover shard ID (snapshot + AOF), print the keys sorted") \
    X(keygen, "PATH", "write a new random key file (64 hex digits, mode 0600)")                       \
    X(wal_info, "DIR [--json]", "WAL directory: segments, id range, how the final segment ends")          \
    X(wal_verify, "DIR [--json]", "read every WAL record strictly; say where and why it stops")            \
    X(wal_dump, "DIR [--json] [--base64]", "print every WAL record with its id")                           \
    X(checkpoint_info, "FILE [--json]", "checkpoint file: last id, payload size, CRC check")

#define CLI_DECLARE(name, usage, summary) int cmd_##name(int argc, char **argv);
CLI_COMMANDS(CLI_DECLARE)
#undef CLI_DECLARE

/* Exit codes (documented in tools/cli/README.md). */
#define CLI_EXIT_CLEAN 0     /* the file is complete and valid */
#define CLI_EXIT_WARN 1      /* readable, with a torn tail (AOF) or an ignored oversized trailer */
#define CLI_EXIT_CORRUPT 2   /* corrupt, unreadable, wrong key, unsupported */
#define CLI_EXIT_NOINPUT 66  /* the file cannot be opened */
#define CLI_EXIT_USAGE 64    /* bad command line */

/* ---- options ------------------------------------------------------------ */

enum { CLI_OPT_JSON = 1, CLI_OPT_BASE64 = 2, CLI_OPT_KEY = 4 };

typedef struct cli_opts {
    const char *file;
    const char *key_file;
    int json;
    int base64;
} cli_opts;

/* Parses "FILE" plus the options in allowed; prints usage and returns
 * CLI_EXIT_USAGE on a problem, else 0. */
int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, cli_opts *out);
void cli_usage(FILE *to);
/* Loads --key-file into *key (NULL when no key file was given). Prints the
 * problem and returns an exit code on failure. */
int cli_load_key(const cli_opts *o, ep_key **key);

/* ---- JSON --------------------------------------------------------------- */

/* Byte fields: valid UTF-8 is passed through; control bytes, DEL and bytes
 * that are not part of valid UTF-8 become \u00XX; " and \ are escaped. With
 * base64 set, the whole field is standard base64 instead. */
void cli_json_bytes(FILE *out, const uint8_t *p, size_t n, int base64);
void cli_json_str(FILE *out, const char *s);
/* Numbers; NaN and infinities (not JSON numbers) as "NaN", "Infinity", "-Infinity". */
void cli_json_f64(FILE *out, double v);
void cli_json_f32(FILE *out, float v);

/* ---- walking a file ----------------------------------------------------- */

enum { CLI_KIND_UNKNOWN = 0, CLI_KIND_AOF = 1, CLI_KIND_SNAPSHOT = 2 };
enum { CLI_END_CLEAN = 0, CLI_END_TORN = 1, CLI_END_ERROR = 2 };

typedef struct cli_file {
    int kind;
    uint8_t version;
    int encrypted;
    uint16_t shard_id;       /* snapshot */
    uint32_t entry_count;    /* snapshot header */
    uint64_t size;
    int header_ok;           /* the fields above past kind/size are known */
} cli_file;

typedef struct cli_end {
    int state;               /* CLI_END_* */
    uint64_t count;          /* records or entries read */
    uint64_t offset;         /* CLEAN: end of the data; TORN: end of the last good record; ERROR: where */
    uint64_t tail_bytes;     /* TORN: bytes after offset */
    uint64_t footer_offset;  /* snapshot, CLEAN */
    uint64_t trailer_len;    /* snapshot, CLEAN: bytes after the footer */
    int trailer_ignored;     /* longer than the reader's cap */
    int cannot_open;         /* the file itself could not be opened */
    ep_error err;            /* ERROR */
} cli_end;

/* Called once per record (aof set) or entry (snap set), with its offset and
 * index. Views are valid during the call. */
typedef struct cli_visitor {
    void *ctx;
    void (*header)(void *ctx, const cli_file *f);
    void (*aof)(void *ctx, uint64_t offset, uint64_t index, const ep_aof_record *rec);
    void (*snap)(void *ctx, uint64_t offset, uint64_t index, const ep_snap_entry *e);
} cli_visitor;

/* Detects the kind by magic and reads the whole file. Fills *f and *end. */
void cli_walk(const char *path, const ep_key *key, const cli_visitor *v, cli_file *f, cli_end *end);
/* Exit code for how a walk ended. */
int cli_end_exit(const cli_end *end);
const char *cli_kind_name(int kind);
const char *cli_end_name(int state);
/* A short lower-case name for a result: "checksum", "eof", "decrypt" ... */
const char *cli_result_name(ep_result r);

/* Shared printers for the file header and the end (text and JSON). */
void cli_print_file_json(FILE *out, const char *path, const cli_file *f);
void cli_print_end_json(FILE *out, const cli_end *end);
void cli_print_end_text(FILE *out, const cli_file *f, const cli_end *end);

#endif
