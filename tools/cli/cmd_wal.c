/* wal-info, wal-verify, wal-dump DIR and checkpoint-info FILE: the generic
 * WAL's directories and checkpoint files, on the public API only.
 * Exit codes as the other commands: 0 clean, 1 readable with a torn or
 * short final segment (best effort), 2 damage, 66 cannot open. */
#include "cli.h"

#include <string.h>

static const char *cli_wal_end_name(ep_wal_seg_end e) {
    switch (e) {
    case EP_WAL_SEG_CLEAN: return "clean";
    case EP_WAL_SEG_ZEROS: return "zero padding";
    case EP_WAL_SEG_TORN: return "torn last frame";
    case EP_WAL_SEG_SHORT: return "shorter than its header";
    default: return "error";
    }
}

static int cli_wal_open_fail(ep_result r) { return r == EP_ERR_NOT_FOUND || r == EP_ERR_IO ? CLI_EXIT_NOINPUT : CLI_EXIT_CORRUPT; }

/* Strict first; if that fails, best effort tells a torn tail (exit 1) from damage (2). */
static int cli_wal_verdict(const char *dir, ep_wal_replay_info *info, ep_error *err, ep_result *res) {
    ep_wal_read_config rc;
    ep_error e2;
    ep_wal_read_config_init(&rc);
    *res = ep_wal_replay(dir, &rc, NULL, NULL, info, err);
    if (*res == EP_OK) return CLI_EXIT_CLEAN;
    rc.mode = EP_WAL_BEST_EFFORT;
    if (*res != EP_ERR_NOT_FOUND && ep_wal_replay(dir, &rc, NULL, NULL, info, &e2) == EP_OK) return CLI_EXIT_WARN;
    return cli_wal_open_fail(*res);
}

typedef struct cli_seg_ctx {
    int json, n;
} cli_seg_ctx;

static int cli_seg_fn(void *user, const ep_wal_segment_info *s) {
    cli_seg_ctx *c = (cli_seg_ctx *)user;
    if (c->json) {
        printf("%s{\"segment\": %llu, \"first_id\": %llu, \"last_id\": %llu, \"records\": %llu, \"bytes\": %llu, "
               "\"valid_bytes\": %llu, \"end\": ",
               c->n ? ", " : "", (unsigned long long)s->segment_id, (unsigned long long)s->first_id,
               (unsigned long long)s->last_id, (unsigned long long)s->records, (unsigned long long)s->file_bytes,
               (unsigned long long)s->valid_bytes);
        cli_json_str(stdout, cli_wal_end_name(s->end));
        fputc('}', stdout);
    } else {
        printf("  segment %-6llu ids %llu..%llu  %llu records  %llu bytes  %s\n", (unsigned long long)s->segment_id,
               (unsigned long long)s->first_id, (unsigned long long)s->last_id, (unsigned long long)s->records,
               (unsigned long long)s->file_bytes, cli_wal_end_name(s->end));
    }
    c->n++;
    return 0;
}

static void cli_wal_status(const char *dir, int json, int code, const ep_wal_replay_info *info, const ep_error *err) {
    if (json) {
        printf("\"dir\": ");
        cli_json_str(stdout, dir);
        printf(", \"segments\": %llu, \"first_id\": %llu, \"last_id\": %llu, \"final_end\": ",
               (unsigned long long)info->segments, (unsigned long long)info->first_id,
               (unsigned long long)info->last_id);
        cli_json_str(stdout, cli_wal_end_name(info->end));
        printf(", \"status\": ");
        cli_json_str(stdout, code == CLI_EXIT_CLEAN ? "clean" : code == CLI_EXIT_WARN ? "torn" : "error");
        if (code != CLI_EXIT_CLEAN) {
            printf(", \"error\": ");
            cli_json_str(stdout, err->message);
            printf(", \"offset\": %lld, \"id\": %lld", err->offset == UINT64_MAX ? -1LL : (long long)err->offset,
                   err->index == UINT64_MAX ? -1LL : (long long)err->index);
        }
    } else {
        printf("dir:       %s\n", dir);
        printf("segments:  %llu\n", (unsigned long long)info->segments);
        printf("ids:       %llu..%llu\n", (unsigned long long)info->first_id, (unsigned long long)info->last_id);
        printf("status:    %s%s%s\n", code == CLI_EXIT_CLEAN ? "clean" : code == CLI_EXIT_WARN ? "torn (best effort reads it): " : "error: ",
               code == CLI_EXIT_CLEAN ? "" : err->message, "");
    }
}

static int cli_wal_report(int argc, char **argv, const char *cmd, int list) {
    cli_opts o;
    ep_wal_replay_info info;
    ep_error err;
    ep_result r;
    int rc = cli_parse(cmd, argc, argv, CLI_OPT_JSON, 1, 1, &o), code;
    if (rc >= 0) return rc;
    ep_error_clear(&err);
    memset(&info, 0, sizeof info);
    code = cli_wal_verdict(o.file, &info, &err, &r);
    if (code == CLI_EXIT_NOINPUT) {
        fprintf(stderr, "ember-persist %s: %s\n", cmd, err.message);
        return code;
    }
    if (o.json) fputc('{', stdout);
    cli_wal_status(o.file, o.json, code, &info, &err);
    if (list) {
        ep_wal_read_config rc2;
        cli_seg_ctx c;
        ep_wal_read_config_init(&rc2);
        rc2.mode = EP_WAL_BEST_EFFORT;
        c.json = o.json;
        c.n = 0;
        if (o.json) printf(", \"segment_list\": [");
        (void)ep_wal_segments(o.file, &rc2, cli_seg_fn, &c, NULL);
        if (o.json) fputc(']', stdout);
    }
    if (o.json) fputs("}\n", stdout);
    return code;
}

int cmd_wal_info(int argc, char **argv) { return cli_wal_report(argc, argv, "wal-info", 1); }
int cmd_wal_verify(int argc, char **argv) { return cli_wal_report(argc, argv, "wal-verify", 0); }

typedef struct cli_dump_ctx {
    int json, base64;
    uint64_t n;
} cli_dump_ctx;

static ep_result cli_dump_fn(void *user, uint64_t id, const uint8_t *d, size_t len) {
    cli_dump_ctx *c = (cli_dump_ctx *)user;
    if (c->json) {
        printf("%s{\"id\": %llu, \"len\": %lu, \"data\": ", c->n ? ",\n " : "", (unsigned long long)id, (unsigned long)len);
        cli_json_bytes(stdout, d, len, c->base64);
        fputc('}', stdout);
    } else {
        printf("%llu\t%lu\t", (unsigned long long)id, (unsigned long)len);
        cli_json_bytes(stdout, d, len, c->base64);
        fputc('\n', stdout);
    }
    c->n++;
    return EP_OK;
}

int cmd_wal_dump(int argc, char **argv) {
    cli_opts o;
    ep_wal_read_config rc;
    ep_wal_replay_info info;
    ep_error err;
    cli_dump_ctx c;
    ep_result r;
    int code, rcode = cli_parse("wal-dump", argc, argv, CLI_OPT_JSON | CLI_OPT_BASE64, 1, 1, &o);
    if (rcode >= 0) return rcode;
    ep_error_clear(&err);
    code = cli_wal_verdict(o.file, &info, &err, &r);
    if (code == CLI_EXIT_NOINPUT) {
        fprintf(stderr, "ember-persist wal-dump: %s\n", err.message);
        return code;
    }
    /* Best effort prints the prefix a torn tail leaves; damage stops where it is. */
    ep_wal_read_config_init(&rc);
    rc.mode = EP_WAL_BEST_EFFORT;
    c.json = o.json;
    c.base64 = o.base64;
    c.n = 0;
    if (o.json) printf("{\"records\": [");
    (void)ep_wal_replay(o.file, &rc, cli_dump_fn, &c, &info, NULL);
    if (o.json) {
        printf("], ");
        cli_wal_status(o.file, 1, code, &info, &err);
        fputs("}\n", stdout);
    } else if (code != CLI_EXIT_CLEAN) {
        fprintf(stderr, "ember-persist wal-dump: %s\n", err.message);
    }
    return code;
}

int cmd_checkpoint_info(int argc, char **argv) {
    cli_opts o;
    ep_error err;
    uint64_t id = 0, pl = 0;
    uint8_t *payload = NULL;
    size_t len = 0;
    ep_result r, s;
    int rc = cli_parse("checkpoint-info", argc, argv, CLI_OPT_JSON, 1, 1, &o);
    if (rc >= 0) return rc;
    ep_error_clear(&err);
    s = ep_checkpoint_stat(NULL, o.file, &id, &pl, &err);
    if (s == EP_ERR_NOT_FOUND || s == EP_ERR_IO) {
        fprintf(stderr, "ember-persist checkpoint-info: %s\n", err.message);
        return CLI_EXIT_NOINPUT;
    }
    r = s == EP_OK ? ep_checkpoint_read(NULL, o.file, &id, &payload, &len, &err) : s;
    ep_free(NULL, payload);
    if (o.json) {
        printf("{\"file\": ");
        cli_json_str(stdout, o.file);
        if (s == EP_OK) printf(", \"last_id\": %llu, \"payload_bytes\": %llu", (unsigned long long)id, (unsigned long long)pl);
        printf(", \"status\": ");
        cli_json_str(stdout, r == EP_OK ? "clean" : "error");
        if (r != EP_OK) {
            printf(", \"error\": ");
            cli_json_str(stdout, err.message);
        }
        fputs("}\n", stdout);
    } else {
        printf("file:      %s\n", o.file);
        if (s == EP_OK) {
            printf("last id:   %llu\n", (unsigned long long)id);
            printf("payload:   %llu bytes\n", (unsigned long long)pl);
        }
        printf("status:    %s%s\n", r == EP_OK ? "clean (CRC ok)" : "error: ", r == EP_OK ? "" : err.message);
    }
    return r == EP_OK ? CLI_EXIT_CLEAN : CLI_EXIT_CORRUPT;
}
