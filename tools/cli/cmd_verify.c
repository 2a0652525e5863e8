/* verify FILE: reads every record or entry (and a snapshot's footer) and
 * says how the file ends; the exit code is the verdict. For a snapshot with
 * a trailer (the AOF prefix it covers): the trailer decoded (version,
 * schemas, covered length and the slot it comes from, damaged slots, bytes
 * after it), and when FILE is dir/shard-{id}.snap beside its AOF, what
 * recovery makes of that coverage (applied, stale, damaged, or refused) with
 * the exit code `recover` gives, so that the two commands agree. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct trailer_check {
    int present;               /* bytes after the footer */
    ep_result decoded;         /* ep_trailer_decode's result */
    ep_trailer_info ti;
    int have_shard;            /* FILE is its shard's snapshot and the AOF is beside it */
    ep_result recovered;       /* ep_recover_shard's result */
    ep_recover_result res;
    ep_error err;
    int exit;                  /* CLI_EXIT_* for the trailer alone */
} trailer_check;

static const char *trailer_state_name(ep_trailer_state t) {
    static const char *const names[] = {"none", "applied", "stale", "invalid", "damaged", "short_aof"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static ep_result nop_entry(void *u, const ep_snap_entry *e) {
    (void)u;
    (void)e;
    return EP_OK;
}

static ep_result nop_record(void *u, const ep_aof_record *r, uint64_t index) {
    (void)u;
    (void)r;
    (void)index;
    return EP_OK;
}

/* The last n bytes of path (the trailer: they follow the footer). */
static ep_result read_tail(const char *path, uint64_t size, uint64_t n, uint8_t **out) {
    ep_vfs os;
    ep_file *f = NULL;
    size_t got = 0;
    ep_result r;
    *out = NULL;
    if (n > size || n > SIZE_MAX) return EP_ERR_LIMIT;
    if ((r = ep_vfs_os_init(&os)) != EP_OK) return r;
    if (!(*out = (uint8_t *)malloc(n ? (size_t)n : 1))) return EP_ERR_NOMEM;
    r = os.open(&os, path, EP_OPEN_READ, &f, NULL);
    if (r == EP_OK) r = os.read(&os, f, size - n, *out, (size_t)n, &got, NULL);
    if (r == EP_OK && got != n) r = EP_ERR_EOF;
    if (f) (void)os.close(&os, f, NULL);
    return r;
}

/* dir and shard id of path when its name is that shard's snapshot name and
 * the shard's AOF exists beside it. */
static int shard_of(const char *path, uint16_t shard, char *dir, size_t cap) {
    char want[64], aof[4096];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t dl = slash ? (size_t)(slash - path) : 0;
    ep_vfs os;
    if (ep_snapshot_path("", shard, want, sizeof want) != EP_OK || strcmp(base, want) != 0 || dl + 1 > cap) return 0;
    memcpy(dir, path, dl);
    dir[dl] = 0;
    if (dl == 0) strcpy(dir, slash ? "/" : ".");
    if (ep_vfs_os_init(&os) != EP_OK || ep_aof_path(dir, shard, aof, sizeof aof) != EP_OK) return 0;
    return os.stat(&os, aof, NULL, NULL) == EP_OK;
}

/* What recovery's exit code would be for the trailer (cmd_recover's rule). */
static int recovered_exit(const trailer_check *t) {
    if (t->recovered != EP_OK) return CLI_EXIT_CORRUPT; /* refused: it cannot say what the snapshot holds */
    if (t->res.trailer == EP_TRAILER_STALE || t->res.trailer == EP_TRAILER_INVALID ||
        t->res.trailer == EP_TRAILER_DAMAGED || t->res.trailer_extra_bytes)
        return CLI_EXIT_WARN;
    return CLI_EXIT_CLEAN;
}

static void check_trailer(const char *path, const cli_file *f, const cli_end *end, const ep_key *key,
                          trailer_check *t) {
    uint8_t *bytes = NULL;
    char dir[4096];
    int warn;
    memset(t, 0, sizeof *t);
    t->present = f->kind == CLI_KIND_SNAPSHOT && end->state == CLI_END_CLEAN && end->trailer_len > 0;
    if (!t->present) return;
    t->decoded = read_tail(path, f->size, end->trailer_len, &bytes);
    if (t->decoded == EP_OK) t->decoded = ep_trailer_decode(bytes, (size_t)end->trailer_len, &t->ti);
    free(bytes); /* ti's views are not used past here */
    t->ti.schemas = ep_bytes_of(NULL, 0);
    /* something to know about the file itself: bytes after the trailer, a damaged slot */
    warn = t->decoded == EP_OK && (t->ti.extra || (t->ti.version >= 2 && t->ti.slots_valid != 3u));
    /* alone, a trailer that gives no coverage is damage */
    t->exit = t->decoded != EP_OK || !t->ti.covered_valid ? CLI_EXIT_CORRUPT : warn ? CLI_EXIT_WARN : CLI_EXIT_CLEAN;
    if (!f->header_ok || !shard_of(path, f->shard_id, dir, sizeof dir)) return;
    {
        ep_recover_config rc;
        ep_recover_config_init(&rc);
        rc.key = key;
        rc.mode = EP_RECOVER_VISIT;
        rc.visitor.entry = nop_entry;
        rc.visitor.record = nop_record;
        t->have_shard = 1;
        t->recovered = ep_recover_shard(dir, (ep_shard_id)f->shard_id, &rc, &t->res, &t->err);
        /* beside its AOF: recover's verdict, so the two commands agree */
        t->exit = recovered_exit(t);
        if (warn && t->exit < CLI_EXIT_WARN) t->exit = CLI_EXIT_WARN;
    }
}

static void print_trailer_text(const trailer_check *t) {
    if (!t->present) return;
    if (t->decoded != EP_OK) {
        printf("trailer: unreadable (%s)\n", cli_result_name(t->decoded));
    } else {
        printf("trailer: version %u, %lu schema(s), ", (unsigned)t->ti.version, (unsigned long)t->ti.schema_count);
        if (t->ti.covered_valid)
            printf("covers %llu AOF bytes (slot %u)", (unsigned long long)t->ti.covered_len,
                   (t->ti.slots_valid & 2u) ? 1u : 0u);
        else
            printf("no readable coverage slot");
        if (t->ti.version >= 2 && t->ti.slots_valid != 3u)
            printf(", slot %u damaged", (t->ti.slots_valid & 1u) ? 1u : 0u);
        if (t->ti.extra) printf(", %llu bytes after it", (unsigned long long)t->ti.extra);
        printf("\n");
    }
    if (!t->have_shard) return;
    if (t->recovered != EP_OK) printf("against the AOF: refused: %s\n", t->err.message);
    else printf("against the AOF: %s\n", trailer_state_name(t->res.trailer));
}

static void print_trailer_json(const trailer_check *t) {
    if (!t->present) return;
    fputs(", \"trailer\": {", stdout);
    if (t->decoded != EP_OK) {
        printf("\"readable\": false, \"error\": \"%s\"", cli_result_name(t->decoded));
    } else {
        printf("\"readable\": true, \"version\": %u, \"schemas\": %lu, \"covered_valid\": %s", (unsigned)t->ti.version,
               (unsigned long)t->ti.schema_count, t->ti.covered_valid ? "true" : "false");
        if (t->ti.covered_valid)
            printf(", \"covered_len\": %llu, \"slot\": %u", (unsigned long long)t->ti.covered_len,
                   (t->ti.slots_valid & 2u) ? 1u : 0u);
        printf(", \"slots_valid\": [%s, %s], \"extra_bytes\": %llu", (t->ti.slots_valid & 1u) ? "true" : "false",
               (t->ti.slots_valid & 2u) ? "true" : "false", (unsigned long long)t->ti.extra);
    }
    if (t->have_shard) {
        fputs(", \"against_aof\": ", stdout);
        if (t->recovered != EP_OK) {
            fputs("\"refused\", \"message\": ", stdout);
            cli_json_bytes(stdout, (const uint8_t *)t->err.message, strlen(t->err.message), 0);
        } else {
            printf("\"%s\"", trailer_state_name(t->res.trailer));
        }
    }
    fputc('}', stdout);
}

int cmd_verify(int argc, char **argv) {
    cli_opts o;
    cli_file f;
    cli_end end;
    trailer_check t;
    ep_key *key = NULL;
    int rc = cli_parse("verify", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY, 1, 1, &o);
    if (rc >= 0) return rc;
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    cli_walk(o.file, key, NULL, &f, &end);
    check_trailer(o.file, &f, &end, key, &t);
    ep_key_free(key);
    if (o.json) {
        fputc('{', stdout);
        cli_print_file_json(stdout, o.file, &f);
        fputs(", \"end\": ", stdout);
        cli_print_end_json(stdout, &end);
        print_trailer_json(&t);
        fputs("}\n", stdout);
    } else {
        printf("%s: %s: ", o.file, cli_kind_name(f.kind));
        cli_print_end_text(stdout, &f, &end);
        print_trailer_text(&t);
    }
    ep_recover_result_free(&t.res);
    rc = cli_end_exit(&end);
    return t.exit > rc ? t.exit : rc;
}
