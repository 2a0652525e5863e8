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

/* X(name, usage, summary, options): usage is the argument line, options the
 * lines --help prints under it. */
#define CLI_KEY_HELP "  --key-file PATH   key for encrypted (v3) files: 32 raw bytes or 64 hex digits\n"
#define CLI_JSON_HELP "  --json            one JSON document on stdout instead of text\n"
#define CLI_COMMANDS(X)                                                                                   \
    X(probe, "PATH [--json]", "what a file or directory is, by its content (ember, WAL, Redis kinds)",      \
      CLI_JSON_HELP)                                                                                        \
    X(info, "FILE [--key-file PATH] [--json]", "kind, version, shard, counts, size, encryption",            \
      CLI_KEY_HELP CLI_JSON_HELP)                                                                           \
    X(verify, "FILE [--key-file PATH] [--json]", "read everything and say how the file ends",               \
      CLI_KEY_HELP CLI_JSON_HELP)                                                                           \
    X(dump, "FILE [--key-file PATH] [--json] [--base64]", "print every record or entry with its offset",     \
      CLI_KEY_HELP CLI_JSON_HELP "  --base64          byte fields as base64\n")                             \
    X(recover, "DIR ID [--key-file PATH] [--json]", "recover shard ID (snapshot + AOF), print the keys sorted", \
      CLI_KEY_HELP CLI_JSON_HELP)                                                                           \
    X(keygen, "PATH", "write a new random key file (64 hex digits, mode 0600)", "")                         \
    X(repair, "FILE|DIR ID [--force] [--salvage] [--dry-run] [--key-file PATH] [--json]",                   \
      "trim a torn AOF tail (or, forced, damage) after a synced .bak-<time> backup",                        \
      "  --force           also drop mid-file damage and everything after it\n"                             \
      "  --salvage         with --force: keep the intact records after the damage\n"                        \
      "  --dry-run         say what would be done, write nothing\n" CLI_KEY_HELP CLI_JSON_HELP)             \
    X(compact, "DIR ID [--key-file PATH] [--json]", "snapshot + AOF into a fresh snapshot and an empty AOF", \
      CLI_KEY_HELP CLI_JSON_HELP)                                                                           \
    X(encrypt, "DIR ID --key-file K [--json]", "migrate a plaintext shard to encrypted (v3) under K",        \
      "  --key-file K      the new key\n" CLI_JSON_HELP)                                                    \
    X(decrypt, "DIR ID --key-file K [--json]", "migrate an encrypted shard to plaintext",                   \
      "  --key-file K      the shard's key\n" CLI_JSON_HELP)                                                \
    X(rekey, "DIR ID --key-file K --new-key-file K2 [--json]", "re-encrypt a shard from key K to key K2",    \
      "  --key-file K      the shard's key now\n  --new-key-file K2 the key it gets\n" CLI_JSON_HELP)       \
    X(stats, "FILE|DIR ID [--key-file PATH] [--json]",                                                      \
      "records per tag, keys per type, sizes, largest keys, expiring keys, dead bytes",                     \
      CLI_KEY_HELP CLI_JSON_HELP)                                                                           \
    X(bench, "[DIR] [--records N] [--value-size N] [--json]",                                               \
      "append, replay, recovery and durable-append figures on this disk beside bare write+fdatasync",      \
      "  DIR               where to write (default: a new directory under the current one), removed after\n" \
      "  --records N       records per figure (default 200000; durable appends: N/100)\n"                  \
      "  --value-size N    bytes per value (default 100)\n" CLI_JSON_HELP)                                 \
    X(convert, "--to KIND SRC DST [--db N] [--key-file PATH] [--new-key-file PATH] [--json]",               \
      "move a data set between ember shards, Redis RDB / RESP AOF files and WALs; unmapped keys listed (exit 1)",  \
      "  --to ember DIR:ID DIR2:ID2   ember shard -> ember shard (--new-key-file: encrypt the copy)\n"      \
      "  --to ember FILE.rdb DIR:ID   RDB -> ember: database N -> shard ID+N (--db N: that one -> ID)\n"   \
      "  --to rdb DIR:ID FILE.rdb     ember shard -> RDB, as database --db N (default 0)\n"               \
      "  --to resp-aof DIR:ID FILE    ember shard -> RESP AOF (SELECT, SET, RPUSH, HSET, ... PEXPIREAT)\n" \
      "  --to wal DIR:ID WALDIR       ember shard -> WAL of ember AOF records (one segment)\n"            \
      "  --to ember WALDIR DIR:ID     such a WAL -> ember shard\n"                                       \
      "  --to aof-dir DIR:ID AOFDIR   ember shard -> Redis 7 appendonlydir/ (base RDB + manifest)\n"     \
      "  The destination must not exist.\n"                                                              \
      "  --db N            the Redis database (see above)\n"                                              \
      "  --new-key-file K  encrypt the ember destination under K\n" CLI_KEY_HELP CLI_JSON_HELP)           \
    X(wal_info, "DIR [--json]", "WAL directory: segments, id range, how the final segment ends", CLI_JSON_HELP) \
    X(wal_verify, "DIR [--json]", "read every WAL record strictly; say where and why it stops", CLI_JSON_HELP) \
    X(wal_dump, "DIR [--json] [--base64]", "print every WAL record with its id",                            \
      CLI_JSON_HELP "  --base64          byte fields as base64\n")                                            \
    X(checkpoint_info, "FILE [--json]", "checkpoint file: last id, payload size, CRC check", CLI_JSON_HELP)

#define CLI_DECLARE(name, usage, summary, options) int cmd_##name(int argc, char **argv);
CLI_COMMANDS(CLI_DECLARE)
#undef CLI_DECLARE

/* info / verify / dump of a Redis file (RDB; RESP AOF and appendonlydir/
 * with the Redis part's reader): argv[0] is the command. Returns 1 and the
 * exit code in *rc when FILE probes as a Redis kind, else 0 (redis_files.c). */
int cli_redis_route(int argc, char **argv, int *rc);

/* Exit codes, the same for every command (tools/cli/README.md, the man page). */
#define CLI_EXIT_CLEAN 0     /* done; the input is complete and valid */
#define CLI_EXIT_WARN 1      /* done, with something to know: torn tail, ignored trailer, keys that did not map */
#define CLI_EXIT_CORRUPT 2   /* corrupt, unreadable, wrong key, unsupported; or refused because of damage */
#define CLI_EXIT_USAGE 64    /* bad command line */
#define CLI_EXIT_NOINPUT 66  /* an input (file, directory, key file) cannot be opened */
#define CLI_EXIT_SOFTWARE 70 /* out of memory or an internal failure */
#define CLI_EXIT_CANTCREAT 73 /* an output cannot be created (exists already, or no such directory) */
#define CLI_EXIT_IOERR 74    /* writing or syncing failed (disk full, I/O error); the files are as before */
#define CLI_EXIT_TEMPFAIL 75 /* another process holds the shard's writer lock: try again later */

/* The exit code for a library failure while acting (not a verdict on data). */
int cli_exit_for(ep_result r);

/* ---- options ------------------------------------------------------------ */

enum {
    CLI_OPT_JSON = 1u << 0,
    CLI_OPT_BASE64 = 1u << 1,
    CLI_OPT_KEY = 1u << 2,
    CLI_OPT_NEW_KEY = 1u << 3,
    CLI_OPT_FORCE = 1u << 4,
    CLI_OPT_SALVAGE = 1u << 5,
    CLI_OPT_DRY_RUN = 1u << 6,
    CLI_OPT_RECORDS = 1u << 7,
    CLI_OPT_VALUE_SIZE = 1u << 8,
    CLI_OPT_TO = 1u << 9,
    CLI_OPT_DB = 1u << 10
};

#define CLI_MAX_POS 4

typedef struct cli_opts {
    const char *pos[CLI_MAX_POS]; /* positional arguments */
    int npos;
    const char *file;             /* pos[0] */
    const char *key_file;
    const char *new_key_file;
    const char *to;
    int json, base64, force, salvage, dry_run;
    unsigned long records, value_size; /* 0: not given */
    unsigned long db;             /* --db N (has_db set) */
    int has_db;
} cli_opts;

/* Parses argv[1..] for command cmd: the options in allowed and between
 * min_pos and max_pos positional arguments. -h / --help print the command's
 * usage on stdout. Returns -1 to go on, else the exit code to return now
 * (0 after help, CLI_EXIT_USAGE after a problem, with the usage on stderr). */
int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, int min_pos, int max_pos, cli_opts *out);
void cli_usage(FILE *to);
void cli_exit_codes(FILE *to);
/* The usage of one command (its line, summary, options, exit codes). */
void cli_command_usage(const char *cmd, FILE *to);
/* Loads --key-file into *key (NULL when no key file was given). Prints the
 * problem and returns an exit code on failure. */
int cli_load_key(const cli_opts *o, ep_key **key);
/* Loads a key file by path (NULL path: *key = NULL, 0). */
int cli_load_key_path(const char *path, ep_key **key);
/* A shard id argument (0-65535); prints the problem and returns 0 if bad. */
int cli_shard_arg(const char *cmd, const char *s, uint16_t *id);

/* ".bak-YYYYMMDDTHHMMSSZ" (UTC now) into out: the suffix of every backup. */
void cli_backup_suffix(char *out, size_t cap);
/* Removes path if it is an empty directory; anything else stays. The vfs
 * has no directory removal, so a staging directory the library emptied
 * (ep_shard_to_wal's DST.tmp) is removed here. */
void cli_remove_empty_dir(const char *path);

/* ---- shard maintenance (compact, encrypt, decrypt, rekey) ------------------ */

enum { CLI_MAINT_COMPACT, CLI_MAINT_ENCRYPT, CLI_MAINT_DECRYPT, CLI_MAINT_REKEY };
/* Runs one of them on DIR ID from argv; the shared body of the four commands. */
int cli_maint_main(const char *cmd, int what, int argc, char **argv);

/* ---- progress on a terminal ----------------------------------------------- */

/* A one-line bar on stderr for work that takes over a second (bytes done,
 * rate, time left), drawn only when stderr is a terminal, cleared at the end.
 * EP_PROGRESS_AFTER_MS overrides the one-second delay, EP_PROGRESS_EVERY_MS
 * the 100 ms between redraws (tests). */
typedef struct cli_progress {
    const char *label;
    uint64_t total, done;
    double start, last_draw;
    double after;       /* seconds before the first draw */
    double every;       /* seconds between draws */
    int tty, drawn;
} cli_progress;

void cli_progress_begin(cli_progress *p, const char *label, uint64_t total);
void cli_progress_update(cli_progress *p, uint64_t done);
void cli_progress_end(cli_progress *p);
/* Seconds on a monotonic clock. */
double cli_now(void);

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
