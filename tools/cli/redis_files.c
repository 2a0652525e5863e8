/* info | verify | dump on Redis files. main() routes these commands here
 * when their FILE probes as a Redis kind (by content: ep_probe_path), so
 * the ember commands stay as they are. Same exit codes as for ember files:
 * 0 clean, 1 readable with a warning (bytes after the RDB trailer, which
 * Redis ignores), 2 damaged (CRC-64 mismatch, bad encoding, truncation).
 *
 * dump --json: {"file", "kind", "size", "version", "keys": [one object per
 * key: offset, db, key, type, encoding (the RDB type byte), expire_ms
 * (absolute Unix ms, null for none), value: a string, or the elements in
 * file order (list items; set members; hash {"field","value"}; zset
 * {"member","score"} with the score as a JSON number), streams and module
 * values as "skipped": true], "aux": {name: value}, "functions": [code],
 * "end": {status, count, offset | error ...}}. Keys stream out as they are
 * read: memory stays bounded by the largest string. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#ifndef EP_NO_REDIS

typedef struct rdb_stats {
    uint64_t by_kind[7]; /* string list set zset hash stream module */
    uint64_t expiring;
} rdb_stats;

static const char *const kind_names[7] = {"string", "list", "set", "zset", "hash", "stream", "module"};

static int kind_index(const char *kind) {
    int i;
    for (i = 0; i < 7; i++)
        if (!strcmp(kind, kind_names[i])) return i;
    return 6;
}

typedef struct rdb_ctx {
    FILE *out;
    FILE *side;          /* aux and functions, printed after the keys */
    int json, b64, dump;
    uint64_t keys, n_aux, n_fn, elements;
    int string_kind;
    rdb_stats st;
    cli_progress bar;
} rdb_ctx;

static void key_head(rdb_ctx *c, const ep_rdb_key *k) {
    if (c->json) fputs(c->keys ? ",\n  " : "\n  ", c->out);
    fprintf(c->out, "{\"offset\": %llu, \"db\": %llu, \"key\": ", (unsigned long long)k->offset,
            (unsigned long long)k->db);
    cli_json_bytes(c->out, k->key.data, k->key.len, c->b64);
    fprintf(c->out, ", \"type\": \"%s\", \"encoding\": %d, \"expire_ms\": ", k->kind, k->type);
    if (k->expire_ms >= 0) fprintf(c->out, "%lld", (long long)k->expire_ms);
    else fputs("null", c->out);
}

static void count_key(rdb_ctx *c, const ep_rdb_key *k) {
    c->st.by_kind[kind_index(k->kind)]++;
    if (k->expire_ms >= 0) c->st.expiring++;
    cli_progress_update(&c->bar, k->offset);
}

static ep_result on_begin(void *u, const ep_rdb_key *k) {
    rdb_ctx *c = (rdb_ctx *)u;
    count_key(c, k);
    c->elements = 0;
    c->string_kind = !strcmp(k->kind, "string");
    if (!c->dump) return EP_OK;
    key_head(c, k);
    fputs(c->string_kind ? ", \"value\": " : ", \"value\": [", c->out);
    return EP_OK;
}

static ep_result on_element(void *u, const ep_rdb_key *k, const ep_item *e) {
    rdb_ctx *c = (rdb_ctx *)u;
    if (!c->dump) return EP_OK;
    if (c->string_kind) {
        cli_json_bytes(c->out, e->a.data, e->a.len, c->b64);
        c->elements++;
        return EP_OK;
    }
    if (c->elements++) fputs(", ", c->out);
    if (!strcmp(k->kind, "hash")) {
        fputs("{\"field\": ", c->out);
        cli_json_bytes(c->out, e->a.data, e->a.len, c->b64);
        fputs(", \"value\": ", c->out);
        cli_json_bytes(c->out, e->b.data, e->b.len, c->b64);
        fputc('}', c->out);
    } else if (!strcmp(k->kind, "zset")) {
        fputs("{\"member\": ", c->out);
        cli_json_bytes(c->out, e->a.data, e->a.len, c->b64);
        fputs(", \"score\": ", c->out);
        cli_json_f64(c->out, e->score);
        fputc('}', c->out);
    } else {
        cli_json_bytes(c->out, e->a.data, e->a.len, c->b64);
    }
    return EP_OK;
}

static ep_result on_end(void *u, const ep_rdb_key *k) {
    rdb_ctx *c = (rdb_ctx *)u;
    (void)k;
    if (c->dump) {
        if (c->string_kind && !c->elements) fputs("\"\"", c->out);
        fputs(c->string_kind ? "}" : "]}", c->out);
        if (!c->json) fputc('\n', c->out);
    }
    c->keys++;
    return EP_OK;
}

static ep_result on_skipped(void *u, const ep_rdb_key *k, ep_result why) {
    rdb_ctx *c = (rdb_ctx *)u;
    count_key(c, k);
    if (c->dump) {
        key_head(c, k);
        fprintf(c->out, ", \"skipped\": true, \"why\": \"%s\"}", cli_result_name(why));
        if (!c->json) fputc('\n', c->out);
    }
    c->keys++;
    return EP_OK;
}

static ep_result on_aux(void *u, ep_bytes name, ep_bytes value) {
    rdb_ctx *c = (rdb_ctx *)u;
    if (!c->side) return EP_OK;
    fputs(c->n_aux++ ? ", " : "", c->side);
    cli_json_bytes(c->side, name.data, name.len, 0);
    fputs(": ", c->side);
    cli_json_bytes(c->side, value.data, value.len, c->b64);
    return EP_OK;
}

static ep_result on_function(void *u, ep_bytes code) {
    (void)code;
    ((rdb_ctx *)u)->n_fn++;
    return EP_OK;
}

/* The whole file through the reader; aux fields collected into c->side. */
static ep_result rdb_walk(const char *path, uint64_t size, rdb_ctx *c, ep_rdb_info *info, ep_error *err) {
    ep_rdb_visitor v;
    ep_result r;
    memset(&v, 0, sizeof v);
    v.user = c;
    v.aux = on_aux;
    v.function = on_function;
    v.key_begin = on_begin;
    v.element = on_element;
    v.key_end = on_end;
    v.skipped = on_skipped;
    cli_progress_begin(&c->bar, "reading", size);
    memset(info, 0, sizeof *info);
    ep_error_clear(err);
    r = ep_rdb_read(path, NULL, &v, info, err);
    cli_progress_end(&c->bar);
    return r;
}

static int rdb_exit(ep_result r, const ep_rdb_info *info) {
    if (r == EP_ERR_NOT_FOUND || r == EP_ERR_IO) return CLI_EXIT_NOINPUT;
    if (r == EP_ERR_NOMEM) return CLI_EXIT_SOFTWARE;
    if (r != EP_OK) return CLI_EXIT_CORRUPT;
    return info->trailing ? CLI_EXIT_WARN : CLI_EXIT_CLEAN;
}

static const char *crc_name(ep_rdb_crc_state s) {
    switch (s) {
    case EP_RDB_CRC_OK: return "ok";
    case EP_RDB_CRC_ZERO: return "zero";
    case EP_RDB_CRC_NONE: return "none";
    case EP_RDB_CRC_SKIPPED: return "skipped";
    }
    return "?";
}

static void end_json(FILE *out, ep_result r, const ep_rdb_info *info, const ep_error *err) {
    if (r == EP_OK) {
        fprintf(out, "{\"status\": \"%s\", \"count\": %llu, \"offset\": %llu, \"crc\": \"%s\", \"trailing_bytes\": %llu}",
                info->trailing ? "trailing" : "clean", (unsigned long long)info->keys, (unsigned long long)info->bytes,
                crc_name(info->crc), (unsigned long long)info->trailing);
        return;
    }
    fprintf(out, "{\"status\": \"error\", \"count\": %llu, \"error\": \"%s\", \"code\": %d", (unsigned long long)info->keys,
            cli_result_name(r), (int)r);
    if (err->offset != UINT64_MAX) fprintf(out, ", \"offset\": %llu", (unsigned long long)err->offset);
    fputs(", \"message\": ", out);
    cli_json_str(out, err->message[0] ? err->message : ep_result_str(r));
    fputc('}', out);
}

static void end_text(FILE *out, ep_result r, const ep_rdb_info *info, const ep_error *err) {
    if (r == EP_OK) {
        fprintf(out, "clean: %llu keys, CRC-64 %s", (unsigned long long)info->keys,
                info->crc == EP_RDB_CRC_OK     ? "ok"
                : info->crc == EP_RDB_CRC_ZERO ? "zero (saved with rdbchecksum no: not checked, as Redis)"
                                               : "absent (RDB version < 5)");
        if (info->trailing)
            fprintf(out, "; %llu bytes after the trailer (Redis ignores them)", (unsigned long long)info->trailing);
        fputc('\n', out);
        return;
    }
    fprintf(out, "damaged");
    if (err->offset != UINT64_MAX) fprintf(out, " at offset %llu", (unsigned long long)err->offset);
    fprintf(out, " (%s): %s; %llu keys read before it\n", cli_result_name(r), err->message[0] ? err->message : ep_result_str(r),
            (unsigned long long)info->keys);
}

static void file_json(FILE *out, const char *path, const ep_probe_info *pi) {
    fputs("\"file\": ", out);
    cli_json_str(out, path);
    fprintf(out, ", \"kind\": \"%s\", \"size\": %llu", ep_probe_kind_name(pi->kind), (unsigned long long)pi->size);
    if (pi->version) fprintf(out, ", \"version\": %u", (unsigned)pi->version);
}

static void stats_json(FILE *out, const rdb_ctx *c, const ep_rdb_info *info) {
    int i;
    fprintf(out, ", \"keys\": %llu, \"by_type\": {", (unsigned long long)info->keys);
    for (i = 0; i < 7; i++) fprintf(out, "%s\"%s\": %llu", i ? ", " : "", kind_names[i], (unsigned long long)c->st.by_kind[i]);
    fprintf(out, "}, \"expiring\": %llu, \"databases\": %llu, \"functions\": %llu, \"skipped\": %llu, \"aof_base\": %s",
            (unsigned long long)c->st.expiring, (unsigned long long)info->dbs, (unsigned long long)info->functions,
            (unsigned long long)info->skipped, info->aof_base ? "true" : "false");
}

static int rdb_info_cmd(const cli_opts *o, const ep_probe_info *pi, int verify) {
    rdb_ctx c;
    ep_rdb_info info;
    ep_error err;
    ep_result r;
    int i;
    memset(&c, 0, sizeof c);
    c.out = stdout;
    r = rdb_walk(o->file, pi->size, &c, &info, &err);
    if (o->json) {
        fputc('{', stdout);
        file_json(stdout, o->file, pi);
        if (!verify || r == EP_OK) stats_json(stdout, &c, &info);
        fputs(", \"end\": ", stdout);
        end_json(stdout, r, &info, &err);
        fputs("}\n", stdout);
    } else if (verify) {
        printf("%s: %s: ", o->file, ep_probe_kind_name(pi->kind));
        end_text(stdout, r, &info, &err);
    } else {
        printf("file:      %s\n", o->file);
        printf("kind:      %s\n", ep_probe_kind_name(pi->kind));
        printf("size:      %llu bytes\n", (unsigned long long)pi->size);
        printf("version:   %u%s\n", (unsigned)pi->version, pi->header_ok ? "" : " (not one this tool reads)");
        printf("keys:      %llu (", (unsigned long long)info.keys);
        for (i = 0; i < 7; i++) printf("%s%s %llu", i ? ", " : "", kind_names[i], (unsigned long long)c.st.by_kind[i]);
        printf(")\nexpiring:  %llu\n", (unsigned long long)c.st.expiring);
        printf("databases: %llu\nfunctions: %llu\naof-base:  %s\n", (unsigned long long)info.dbs,
               (unsigned long long)info.functions, info.aof_base ? "yes" : "no");
        printf("status:    ");
        end_text(stdout, r, &info, &err);
    }
    return rdb_exit(r, &info);
}

/* The side file's text (aux fields) into out. */
static void copy_side(FILE *side, FILE *out) {
    char buf[4096];
    size_t n;
    rewind(side);
    while ((n = fread(buf, 1, sizeof buf, side)) > 0) fwrite(buf, 1, n, out);
}

static int rdb_dump_cmd(const cli_opts *o, const ep_probe_info *pi) {
    rdb_ctx c;
    ep_rdb_info info;
    ep_error err;
    ep_result r;
    memset(&c, 0, sizeof c);
    c.out = stdout;
    c.json = o->json;
    c.b64 = o->base64;
    c.dump = 1;
    c.side = tmpfile(); /* NULL: aux fields are left out of the output */
    if (c.json) {
        fputc('{', stdout);
        file_json(stdout, o->file, pi);
        fputs(", \"keys\": [", stdout);
    } else {
        printf("# %s version %u size %llu\n", ep_probe_kind_name(pi->kind), (unsigned)pi->version,
               (unsigned long long)pi->size);
    }
    r = rdb_walk(o->file, pi->size, &c, &info, &err);
    if (c.json) {
        fputs(c.keys ? "\n], \"aux\": {" : "], \"aux\": {", stdout);
        if (c.side) copy_side(c.side, stdout);
        fprintf(stdout, "}, \"functions\": %llu, \"end\": ", (unsigned long long)c.n_fn);
        end_json(stdout, r, &info, &err);
        fputs("}\n", stdout);
    } else {
        if (c.side && c.n_aux) {
            fputs("# aux {", stdout);
            copy_side(c.side, stdout);
            fputs("}\n", stdout);
        }
        printf("# end: ");
        end_text(stdout, r, &info, &err);
    }
    if (c.side) fclose(c.side);
    return rdb_exit(r, &info);
}

/* ---- RESP AOF: commands through the library's RESP AOF reader ------------
 * The reader keeps Redis's AOF loading rules (one place for them): a command
 * cut short at the end, or a MULTI whose EXEC never came, is a truncated tail
 * (Redis loads what is before it under aof-load-truncated); anything else
 * that breaks the protocol is damage at an offset. */

typedef struct aof_walk {
    uint64_t commands, good_end, bytes;
    int torn, open_multi;
    ep_result r;
    ep_error err;
} aof_walk;

typedef void (*aof_cmd_fn)(void *u, uint64_t offset, const ep_resp_command *c);

static void aof_walk_file(const char *path, aof_walk *w, aof_cmd_fn fn, void *u) {
    ep_resp_aof_reader_config rc;
    ep_resp_aof_reader *rd = NULL;
    ep_resp_aof_status st;
    ep_resp_command c;
    uint64_t returned = 0, before_open = 0; /* commands, and those up to the last valid end */
    memset(w, 0, sizeof *w);
    ep_error_clear(&w->err);
    ep_resp_aof_reader_config_init(&rc);
    if ((w->r = ep_resp_aof_reader_open(path, &rc, &rd, &w->err)) != EP_OK) return;
    while ((w->r = ep_resp_aof_reader_next(rd, &c)) == EP_OK) {
        uint64_t end = ep_resp_aof_reader_offset(rd);
        returned++;
        if (fn) fn(u, end - ep_resp_command_size(c.argc, c.argv), &c);
        ep_resp_aof_reader_status(rd, &st);
        if (st.valid_bytes == end) before_open = returned; /* not inside a MULTI */
    }
    ep_resp_aof_reader_status(rd, &st);
    ep_resp_aof_reader_close(rd);
    w->bytes = st.file_size;
    w->good_end = st.valid_bytes;
    w->commands = st.commands;
    if (w->r != EP_END) {
        w->err = st.error;
        return;
    }
    w->r = EP_OK;
    w->torn = st.end == EP_RESP_AOF_TRUNCATED;
    w->open_multi = w->torn && before_open != returned;
    if (w->open_multi) w->commands = before_open; /* Redis reverts the open transaction */
}

static int aof_exit(const aof_walk *w) {
    if (w->r == EP_ERR_NOT_FOUND) return CLI_EXIT_NOINPUT;
    if (w->r == EP_ERR_NOMEM) return CLI_EXIT_SOFTWARE;
    if (w->r != EP_OK) return CLI_EXIT_CORRUPT;
    return w->torn ? CLI_EXIT_WARN : CLI_EXIT_CLEAN;
}

static void aof_end_json(FILE *out, const aof_walk *w) {
    if (w->r != EP_OK) {
        fprintf(out, "{\"status\": \"error\", \"count\": %llu, \"error\": \"%s\", \"code\": %d",
                (unsigned long long)w->commands, cli_result_name(w->r), (int)w->r);
        if (w->err.offset != UINT64_MAX) fprintf(out, ", \"offset\": %llu", (unsigned long long)w->err.offset);
        fputs(", \"message\": ", out);
        cli_json_str(out, w->err.message[0] ? w->err.message : ep_result_str(w->r));
        fputc('}', out);
        return;
    }
    fprintf(out, "{\"status\": \"%s\", \"count\": %llu, \"offset\": %llu", w->torn ? "torn" : "clean",
            (unsigned long long)w->commands, (unsigned long long)w->good_end);
    if (w->torn) fprintf(out, ", \"tail_bytes\": %llu", (unsigned long long)(w->bytes - w->good_end));
    if (w->open_multi) fputs(", \"open_multi\": true", out);
    fputc('}', out);
}

static void aof_end_text(FILE *out, const aof_walk *w) {
    if (w->r != EP_OK) {
        fprintf(out, "damaged");
        if (w->err.offset != UINT64_MAX) fprintf(out, " at offset %llu", (unsigned long long)w->err.offset);
        fprintf(out, " (%s): %s; %llu commands before it\n", cli_result_name(w->r),
                w->err.message[0] ? w->err.message : ep_result_str(w->r), (unsigned long long)w->commands);
    } else if (w->torn) {
        fprintf(out, "torn tail: %llu commands up to offset %llu, then %llu bytes %s (Redis loads the commands before it "
                     "with aof-load-truncated yes)\n",
                (unsigned long long)w->commands, (unsigned long long)w->good_end,
                (unsigned long long)(w->bytes - w->good_end),
                w->open_multi ? "of a MULTI that never reached EXEC" : "of a command cut short");
    } else {
        fprintf(out, "clean: %llu commands\n", (unsigned long long)w->commands);
    }
}

typedef struct aof_dump {
    FILE *out;
    int json, b64;
    uint64_t n;
} aof_dump;

static void aof_dump_cmd(void *u, uint64_t offset, const ep_resp_command *c) {
    aof_dump *d = (aof_dump *)u;
    size_t i;
    if (d->json) fputs(d->n ? ",\n  " : "\n  ", d->out);
    fprintf(d->out, "{\"offset\": %llu, \"argv\": [", (unsigned long long)offset);
    for (i = 0; i < c->argc; i++) {
        if (i) fputs(", ", d->out);
        cli_json_bytes(d->out, c->argv[i].data, c->argv[i].len, d->b64);
    }
    fputs(d->json ? "]}" : "]}\n", d->out);
    d->n++;
}

static int aof_cmd(const cli_opts *o, const ep_probe_info *pi, const char *cmd) {
    aof_walk w;
    aof_dump d;
    int dump = cmd[0] == 'd', verify = cmd[0] == 'v';
    memset(&d, 0, sizeof d);
    d.out = stdout;
    d.json = o->json;
    d.b64 = o->base64;
    if (dump && d.json) {
        fputc('{', stdout);
        file_json(stdout, o->file, pi);
        fputs(", \"commands\": [", stdout);
    } else if (dump) {
        printf("# %s size %llu\n", ep_probe_kind_name(pi->kind), (unsigned long long)pi->size);
    }
    aof_walk_file(o->file, &w, dump ? aof_dump_cmd : NULL, &d);
    if (o->json) {
        if (dump) fputs(d.n ? "\n]" : "]", stdout);
        else {
            fputc('{', stdout);
            file_json(stdout, o->file, pi);
            fprintf(stdout, ", \"commands\": %llu", (unsigned long long)w.commands);
        }
        fputs(", \"end\": ", stdout);
        aof_end_json(stdout, &w);
        fputs("}\n", stdout);
    } else if (dump) {
        printf("# end: ");
        aof_end_text(stdout, &w);
    } else if (verify) {
        printf("%s: %s: ", o->file, ep_probe_kind_name(pi->kind));
        aof_end_text(stdout, &w);
    } else {
        printf("file:      %s\nkind:      %s\nsize:      %llu bytes\ncommands:  %llu\nstatus:    ", o->file,
               ep_probe_kind_name(pi->kind), (unsigned long long)pi->size, (unsigned long long)w.commands);
        aof_end_text(stdout, &w);
    }
    return aof_exit(&w);
}

/* ---- appendonlydir/: the manifest, then each file it names ------------------
 * As Redis 7 loads it: "file NAME seq N type b|h|i" lines (pairs in any
 * order, "#" comments), every line ending in "\n"; history files (h) are
 * skipped; the base (an RDB, or RESP) first, then the incr files in manifest
 * order (ep_aof_manifest_load_order). A truncated tail is a warning only in
 * the last file (Redis cuts it there; ep_aof_dir_file_end is the rule);
 * anywhere else, or a file the manifest names that is missing, is damage. */

typedef struct mf_find {
    char name[256];
    int found;
} mf_find;

static int mf_find_one(void *u, const char *name) {
    mf_find *m = (mf_find *)u;
    size_t n = strlen(name);
    if (n > 9 && n < sizeof m->name && !strcmp(name + n - 9, ".manifest") && !m->found) {
        memcpy(m->name, name, n + 1);
        m->found = 1;
    }
    return 0;
}

/* Reads and parses the manifest with the library's parser (Redis's rules:
 * one place for them); 0 and a reason in why when Redis would refuse it. */
static int mf_parse(const char *path, ep_aof_manifest *m, char *why, size_t cap) {
    FILE *f = fopen(path, "rb");
    uint8_t *text;
    size_t len;
    ep_error err;
    ep_result r;
    if (!f) return snprintf(why, cap, "cannot open the manifest"), 0;
    if (!(text = (uint8_t *)malloc(EP_AOF_MANIFEST_MAX_SIZE + 1u))) {
        fclose(f);
        return snprintf(why, cap, "out of memory"), 0;
    }
    len = fread(text, 1, EP_AOF_MANIFEST_MAX_SIZE + 1u, f);
    fclose(f);
    ep_error_clear(&err);
    if (len > EP_AOF_MANIFEST_MAX_SIZE) r = ep_error_set(&err, EP_ERR_LIMIT, UINT64_MAX, "the manifest is larger than %u bytes", EP_AOF_MANIFEST_MAX_SIZE);
    else r = ep_aof_manifest_parse(text, len, NULL, m, &err);
    free(text);
    if (r != EP_OK) return snprintf(why, cap, "%s", err.message[0] ? err.message : ep_result_str(r)), 0;
    return 1;
}

static int aof_dir_cmd(const cli_opts *o, const ep_probe_info *pi, const char *cmd) {
    mf_find mf;
    ep_aof_manifest man;
    size_t n = 0, i, *order, k = 0;
    char mpath[4200], why[200];
    ep_vfs os;
    int worst = CLI_EXIT_CLEAN, first = 1;
    memset(&mf, 0, sizeof mf);
    memset(&man, 0, sizeof man);
    if (ep_vfs_os_init(&os) == EP_OK) (void)os.list(&os, o->file, mf_find_one, &mf, NULL);
    snprintf(mpath, sizeof mpath, "%s/%s", o->file, mf.name);
    why[0] = '\0';
    if (!mf.found || !mf_parse(mpath, &man, why, sizeof why)) {
        if (!why[0]) snprintf(why, sizeof why, "no manifest");
        if (o->json) {
            fputc('{', stdout);
            file_json(stdout, o->file, pi);
            fputs(", \"end\": {\"status\": \"error\", \"error\": \"corrupt\", \"message\": ", stdout);
            cli_json_str(stdout, why);
            fputs("}}\n", stdout);
        } else {
            printf("%s: %s: damaged: %s\n", o->file, ep_probe_kind_name(pi->kind), why);
        }
        return CLI_EXIT_CORRUPT;
    }
    n = man.n;
    if (!(order = (size_t *)malloc((n ? n : 1) * sizeof *order))) {
        ep_aof_manifest_free(&man);
        fprintf(stderr, "ember-persist %s: out of memory\n", cmd);
        return CLI_EXIT_SOFTWARE;
    }
    k = ep_aof_manifest_load_order(&man, order); /* the base, then the incr files */
    if (o->json) {
        fputc('{', stdout);
        file_json(stdout, o->file, pi);
        fputs(", \"manifest\": ", stdout);
        cli_json_str(stdout, mf.name);
        fputs(", \"manifest_files\": [", stdout);
        for (i = 0; i < n; i++)
            printf("%s{\"name\": \"%s\", \"seq\": %llu, \"type\": \"%c\"}", i ? ", " : "", man.files[i].name,
                   (unsigned long long)man.files[i].seq, (char)man.files[i].type);
        fputs("], \"files\": [\n", stdout);
    } else {
        printf("%s: %s: manifest %s, %lu files (%lu loaded)\n", o->file, ep_probe_kind_name(pi->kind), mf.name,
               (unsigned long)n, (unsigned long)k);
    }
    fflush(stdout);
    for (i = 0; i < k; i++) {
        const ep_aof_manifest_file *m = &man.files[order[i]];
        char path[4300];
        cli_opts fo = *o;
        ep_probe_info fpi;
        int rc;
        snprintf(path, sizeof path, "%s/%s", o->file, m->name);
        fo.file = path;
        if (!first && o->json) fputs(",\n", stdout);
        first = 0;
        if (ep_probe_path(NULL, path, &fpi, NULL) != EP_OK) {
            if (o->json) {
                fputs("{\"file\": ", stdout);
                cli_json_str(stdout, path);
                fputs(", \"end\": {\"status\": \"error\", \"error\": \"not_found\", \"message\": \"the manifest names a missing file\"}}", stdout);
            } else {
                printf("%s: missing (the manifest names it)\n", path);
            }
            worst = CLI_EXIT_CORRUPT;
            continue;
        }
        if (fpi.kind == EP_PROBE_REDIS_RDB) rc = cmd[0] == 'd' ? rdb_dump_cmd(&fo, &fpi) : rdb_info_cmd(&fo, &fpi, cmd[0] == 'v');
        else if (fpi.kind == EP_PROBE_REDIS_AOF || fpi.kind == EP_PROBE_EMPTY) rc = aof_cmd(&fo, &fpi, cmd);
        else {
            printf(o->json ? "{\"file\": \"%s\", \"end\": {\"status\": \"error\", \"error\": \"bad_magic\"}}"
                           : "%s: neither RDB nor RESP\n", path);
            rc = CLI_EXIT_CORRUPT;
        }
        /* WARN is a torn tail: the library's rule says where it is tolerated. */
        if (rc == CLI_EXIT_WARN && ep_aof_dir_file_end(m, i + 1 == k, EP_RESP_AOF_TRUNCATED, 0, NULL) != EP_OK)
            rc = CLI_EXIT_CORRUPT;
        if (rc > worst) worst = rc;
        fflush(stdout);
    }
    free(order);
    ep_aof_manifest_free(&man);
    if (o->json)
        printf("], \"end\": {\"status\": \"%s\"}}\n",
               worst == CLI_EXIT_CLEAN ? "clean" : worst == CLI_EXIT_WARN ? "torn" : "error");
    else
        printf("%s: %s\n", o->file, worst == CLI_EXIT_CLEAN ? "clean" : worst == CLI_EXIT_WARN ? "readable, with a torn tail in the last file" : "damaged");
    return worst;
}

#endif /* EP_NO_REDIS */

/* The FILE argument of info / verify / dump: the first positional one. */
static const char *file_arg(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--key-file")) {
            i++;
            continue;
        }
        if (!strcmp(argv[i], "--")) return i + 1 < argc ? argv[i + 1] : NULL;
        if (argv[i][0] != '-') return argv[i];
    }
    return NULL;
}

int cli_redis_route(int argc, char **argv, int *rc) {
    const char *cmd = argv[0], *path;
    ep_probe_info pi;
    cli_opts o;
    int verify;
    if (strcmp(cmd, "info") != 0 && strcmp(cmd, "verify") != 0 && strcmp(cmd, "dump") != 0) return 0;
    if (!(path = file_arg(argc, argv)) || ep_probe_path(NULL, path, &pi, NULL) != EP_OK) return 0;
    if (pi.kind != EP_PROBE_REDIS_RDB && pi.kind != EP_PROBE_REDIS_AOF && pi.kind != EP_PROBE_REDIS_AOF_DIR) return 0;
    verify = !strcmp(cmd, "verify");
    *rc = cli_parse(cmd, argc, argv, CLI_OPT_JSON | CLI_OPT_KEY | (cmd[0] == 'd' ? CLI_OPT_BASE64 : 0u), 1, 1, &o);
    if (*rc >= 0) return 1;
#ifndef EP_NO_REDIS
    if (pi.kind == EP_PROBE_REDIS_RDB) {
        *rc = cmd[0] == 'd' ? rdb_dump_cmd(&o, &pi) : rdb_info_cmd(&o, &pi, verify);
        return 1;
    }
    if (pi.kind == EP_PROBE_REDIS_AOF) {
        *rc = aof_cmd(&o, &pi, cmd);
        return 1;
    }
    *rc = aof_dir_cmd(&o, &pi, cmd);
    return 1;
#else
    fprintf(stderr, "ember-persist %s: %s is a %s: this build has no Redis part (EP_NO_REDIS)\n", cmd, path,
            ep_probe_kind_name(pi.kind));
    (void)verify;
    *rc = CLI_EXIT_SOFTWARE;
    return 1;
#endif
}
