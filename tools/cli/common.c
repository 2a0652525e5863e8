/* Option parsing, key loading, exit codes and the progress bar shared by
 * the subcommands. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, isatty, fileno */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#  include <direct.h>
#  include <io.h>
#  define cli_rmdir _rmdir
#  define cli_isatty _isatty
#  define cli_fileno _fileno
#else
#  include <unistd.h>
#  define cli_rmdir rmdir
#  define cli_isatty isatty
#  define cli_fileno fileno
#endif

typedef struct cli_flag {
    const char *name;
    unsigned bit;
    int takes_value;
} cli_flag;

static const cli_flag flags[] = {
    {"--json", CLI_OPT_JSON, 0},           {"--base64", CLI_OPT_BASE64, 0},   {"--key-file", CLI_OPT_KEY, 1},
    {"--new-key-file", CLI_OPT_NEW_KEY, 1}, {"--force", CLI_OPT_FORCE, 0},     {"--salvage", CLI_OPT_SALVAGE, 0},
    {"--dry-run", CLI_OPT_DRY_RUN, 0},     {"--records", CLI_OPT_RECORDS, 1}, {"--value-size", CLI_OPT_VALUE_SIZE, 1},
    {"--to", CLI_OPT_TO, 1},               {"--db", CLI_OPT_DB, 1},
};

static int usage_error(const char *cmd) {
    fputc('\n', stderr);
    cli_command_usage(cmd, stderr);
    return CLI_EXIT_USAGE;
}

static int parse_count(const char *cmd, const char *name, const char *v, unsigned long *out) {
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || *v == '-' || n == 0) {
        fprintf(stderr, "ember-persist %s: %s needs a positive number, not '%s'\n", cmd, name, v);
        return 0;
    }
    *out = n;
    return 1;
}

/* Stores one option's effect; 0 on a bad value. */
static int set_flag(const char *cmd, const cli_flag *f, const char *v, cli_opts *o) {
    switch (f->bit) {
    case CLI_OPT_JSON: o->json = 1; return 1;
    case CLI_OPT_BASE64: o->base64 = 1; return 1;
    case CLI_OPT_KEY: o->key_file = v; return 1;
    case CLI_OPT_NEW_KEY: o->new_key_file = v; return 1;
    case CLI_OPT_FORCE: o->force = 1; return 1;
    case CLI_OPT_SALVAGE: o->salvage = 1; return 1;
    case CLI_OPT_DRY_RUN: o->dry_run = 1; return 1;
    case CLI_OPT_RECORDS: return parse_count(cmd, f->name, v, &o->records);
    case CLI_OPT_VALUE_SIZE: return parse_count(cmd, f->name, v, &o->value_size);
    case CLI_OPT_TO: o->to = v; return 1;
    case CLI_OPT_DB: {
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (!*v || *end || *v == '-' || *v == '+' || n > 65535) {
            fprintf(stderr, "ember-persist %s: --db needs a database number (0-65535), not '%s'\n", cmd, v);
            return 0;
        }
        o->db = n;
        o->has_db = 1;
        return 1;
    }
    }
    return 0;
}

int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, int min_pos, int max_pos, cli_opts *out) {
    int i, opts_done = 0;
    size_t k;
    memset(out, 0, sizeof *out);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            cli_command_usage(cmd, stdout);
            return 0;
        }
        if (!opts_done && !strcmp(a, "--")) {
            opts_done = 1;
            continue;
        }
        if (!opts_done && a[0] == '-' && a[1] != '\0') {
            const cli_flag *f = NULL;
            for (k = 0; k < sizeof flags / sizeof flags[0]; k++)
                if (!strcmp(a, flags[k].name) && (allowed & flags[k].bit)) f = &flags[k];
            if (!f) {
                fprintf(stderr, "ember-persist %s: unknown option '%s'\n", cmd, a);
                return usage_error(cmd);
            }
            if (f->takes_value && i + 1 >= argc) {
                fprintf(stderr, "ember-persist %s: %s needs a value\n", cmd, a);
                return usage_error(cmd);
            }
            if (!set_flag(cmd, f, f->takes_value ? argv[i + 1] : NULL, out)) return usage_error(cmd);
            i += f->takes_value;
            continue;
        }
        if (out->npos >= max_pos) {
            fprintf(stderr, "ember-persist %s: unexpected argument '%s'\n", cmd, a);
            return usage_error(cmd);
        }
        out->pos[out->npos++] = a;
    }
    if (out->npos < min_pos) {
        fprintf(stderr, "ember-persist %s: missing arguments\n", cmd);
        return usage_error(cmd);
    }
    out->file = out->pos[0];
    return -1;
}

int cli_shard_arg(const char *cmd, const char *s, uint16_t *id) {
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || *s == '-' || *s == '+' || v > 65535) {
        fprintf(stderr, "ember-persist %s: ID must be a shard number (0-65535), not '%s'\n", cmd, s);
        return 0;
    }
    *id = (uint16_t)v;
    return 1;
}

int cli_exit_for(ep_result r) {
    switch (r) {
    case EP_OK: return CLI_EXIT_CLEAN;
    case EP_ERR_NOT_FOUND: return CLI_EXIT_NOINPUT;
    case EP_ERR_EXISTS: return CLI_EXIT_CANTCREAT;
    case EP_ERR_LOCKED: return CLI_EXIT_TEMPFAIL;
    case EP_ERR_IO: case EP_ERR_NO_SPACE: case EP_ERR_POISONED: return CLI_EXIT_IOERR;
    case EP_ERR_NOMEM: case EP_ERR_INVALID_ARG: case EP_ERR_STATE: return CLI_EXIT_SOFTWARE;
    case EP_ERR_KEY_FILE: return CLI_EXIT_USAGE;
    default: return CLI_EXIT_CORRUPT;
    }
}

/* Loads a key file through the library (32 raw bytes or 64 hex digits). */
int cli_load_key_path(const char *path, ep_key **key) {
    ep_error err;
    ep_result r;
    *key = NULL;
    if (!path) return 0;
    ep_error_clear(&err);
    r = ep_key_load_file(NULL, path, NULL, key, &err);
    if (r) {
        fprintf(stderr, "ember-persist: %s\n", err.message[0] ? err.message : ep_result_str(r));
        *key = NULL;
        return r == EP_ERR_KEY_FILE ? CLI_EXIT_USAGE : CLI_EXIT_NOINPUT;
    }
    return 0;
}

int cli_load_key(const cli_opts *o, ep_key **key) { return cli_load_key_path(o->key_file, key); }

void cli_backup_suffix(char *out, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
#ifdef _WIN32
    gmtime_s(&tm, &now);
#else
    gmtime_r(&now, &tm);
#endif
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, cap, ".bak-%s", stamp);
}

void cli_remove_empty_dir(const char *path) { (void)cli_rmdir(path); }

/* ---- progress ------------------------------------------------------------- */

double cli_now(void) {
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
    return (double)clock() / CLOCKS_PER_SEC;
}

static void human_bytes(char *out, size_t cap, double b) {
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024.0 && i < 4) {
        b /= 1024.0;
        i++;
    }
    snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

void cli_progress_begin(cli_progress *p, const char *label, uint64_t total) {
    const char *after = getenv("EP_PROGRESS_AFTER_MS"), *every = getenv("EP_PROGRESS_EVERY_MS");
    memset(p, 0, sizeof *p);
    p->every = every ? atof(every) / 1000.0 : 0.1;
    p->label = label;
    p->total = total;
    p->start = cli_now();
    p->after = after ? atof(after) / 1000.0 : 1.0;
    p->tty = cli_isatty(cli_fileno(stderr));
}

static void draw(cli_progress *p, double now) {
    char done[32], total[32], rate[32], left[32];
    double secs = now - p->start, r = secs > 0 ? (double)p->done / secs : 0;
    double frac = p->total ? (double)p->done / (double)p->total : 0;
    int width = 24, fill, i;
    if (frac > 1) frac = 1;
    fill = (int)(frac * width);
    human_bytes(done, sizeof done, (double)p->done);
    human_bytes(total, sizeof total, (double)p->total);
    human_bytes(rate, sizeof rate, r);
    if (r > 0 && p->total > p->done) snprintf(left, sizeof left, "%.0f s left", (double)(p->total - p->done) / r);
    else snprintf(left, sizeof left, "-");
    fprintf(stderr, "\r%s [", p->label);
    for (i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3.0f%% %s / %s, %s/s, %s\033[K", frac * 100.0, done, total, rate, left);
    fflush(stderr);
    p->drawn = 1;
    p->last_draw = now;
}

void cli_progress_update(cli_progress *p, uint64_t done) {
    double now;
    p->done = done;
    if (!p->tty) return;
    now = cli_now();
    if (now - p->start < p->after) return;
    if (p->drawn && now - p->last_draw < p->every) return;
    draw(p, now);
}

void cli_progress_end(cli_progress *p) {
    if (!p->drawn) return;
    fputs("\r\033[K", stderr); /* the line is cleared: what follows starts clean */
    fflush(stderr);
    p->drawn = 0;
}
