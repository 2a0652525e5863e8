/* One walk over an AOF or snapshot file for every subcommand: the library's
 * probe tells the kind and the header fields (so info works on an
 * encrypted file without a key), then stream every record or entry through
 * the library's reader and say how the file ended. */
#include "cli.h"

#include <string.h>

const char *cli_kind_name(int kind) {
    return kind == CLI_KIND_AOF ? "aof" : kind == CLI_KIND_SNAPSHOT ? "snapshot" : "unknown";
}

const char *cli_end_name(int state) {
    return state == CLI_END_CLEAN ? "clean" : state == CLI_END_TORN ? "torn" : "error";
}

const char *cli_result_name(ep_result r) {
    switch (r) {
    case EP_OK: return "ok";
    case EP_ERR_INVALID_ARG: return "invalid_arg";
    case EP_ERR_NOMEM: return "nomem";
    case EP_ERR_IO: return "io";
    case EP_ERR_NOT_FOUND: return "not_found";
    case EP_ERR_EOF: return "eof";
    case EP_ERR_BAD_MAGIC: return "bad_magic";
    case EP_ERR_BAD_VERSION: return "bad_version";
    case EP_ERR_CHECKSUM: return "checksum";
    case EP_ERR_UNKNOWN_TAG: return "unknown_tag";
    case EP_ERR_LIMIT: return "limit";
    case EP_ERR_UTF8: return "utf8";
    case EP_ERR_BAD_VALUE: return "bad_value";
    case EP_ERR_ENCRYPTION_REQUIRED: return "encryption_required";
    case EP_ERR_DECRYPT: return "decrypt";
    case EP_ERR_SHARD_MISMATCH: return "shard_mismatch";
    case EP_ERR_UNSUPPORTED: return "unsupported";
    case EP_ERR_CORRUPT: return "corrupt";
    case EP_ERR_EXISTS: return "exists";
    case EP_ERR_NO_SPACE: return "no_space";
    case EP_ERR_KEY_FILE: return "key_file";
    case EP_ERR_FORMAT_MISMATCH: return "format_mismatch";
    case EP_ERR_POISONED: return "poisoned";
    case EP_ERR_LOCKED: return "locked";
    case EP_ERR_STATE: return "state";
    case EP_ERR_NO_RANDOM: return "no_random";
    default: return "error";
    }
}

int cli_end_exit(const cli_end *end) {
    if (end->state == CLI_END_ERROR) return end->cannot_open ? CLI_EXIT_NOINPUT : CLI_EXIT_CORRUPT;
    if (end->state == CLI_END_TORN || end->trailer_ignored) return CLI_EXIT_WARN;
    return CLI_EXIT_CLEAN;
}

static void fail(cli_end *end, const ep_error *err) {
    end->state = CLI_END_ERROR;
    end->err = *err;
    end->offset = err->offset;
}

/* The library's probe -> the walker's kind and header fields. */
static void from_probe(const ep_probe_info *pi, cli_file *f) {
    f->kind = pi->kind == EP_PROBE_EMBER_SNAPSHOT ? CLI_KIND_SNAPSHOT
              : pi->kind == EP_PROBE_EMBER_AOF    ? CLI_KIND_AOF
                                                  : CLI_KIND_UNKNOWN;
    f->size = pi->size;
    f->version = (uint8_t)pi->version;
    f->header_ok = pi->header_ok;
    f->encrypted = pi->encrypted;
    f->shard_id = pi->shard_id;
    f->entry_count = pi->entry_count;
}

static void walk_snapshot(const char *path, const ep_key *key, const cli_visitor *v, cli_end *end, cli_progress *bar) {
    ep_snapshot_reader_config cfg;
    ep_snapshot_reader *r = NULL;
    ep_snapshot_info info;
    ep_snap_entry e;
    ep_error err;
    ep_result res;
    ep_bytes trailer;
    ep_snapshot_reader_config_init(&cfg);
    cfg.key = key;
    ep_error_clear(&err);
    res = ep_snapshot_reader_open(path, &cfg, &r, &err);
    if (res) {
        fail(end, &err);
        return;
    }
    while ((res = ep_snapshot_reader_next(r, &e)) == EP_OK) {
        ep_snapshot_reader_info(r, &info);
        if (v && v->snap) v->snap(v->ctx, info.entry_offset, info.entries_read - 1, &e);
        if ((++end->count & 1023u) == 0) cli_progress_update(bar, info.entry_offset);
    }
    ep_snapshot_reader_info(r, &info);
    if (res == EP_END) {
        end->state = CLI_END_CLEAN;
        end->footer_offset = info.footer_offset;
        end->offset = info.footer_offset + 4;
        end->trailer_len = info.trailer_len;
        end->trailer_ignored = ep_snapshot_reader_trailer(r, &trailer) == EP_ERR_LIMIT;
    } else {
        fail(end, ep_snapshot_reader_error(r));
    }
    ep_snapshot_reader_close(r);
}

static void walk_aof(const char *path, const ep_key *key, const cli_visitor *v, cli_end *end, cli_progress *bar) {
    ep_aof_reader_config cfg;
    ep_aof_reader *r = NULL;
    ep_aof_status st;
    ep_aof_record rec;
    ep_error err;
    ep_result res;
    uint64_t start;
    ep_aof_reader_config_init(&cfg);
    cfg.key = key;
    ep_error_clear(&err);
    res = ep_aof_reader_open(path, &cfg, &r, &err);
    if (res) {
        fail(end, &err);
        return;
    }
    for (;;) {
        ep_aof_reader_status(r, &st);
        start = st.good_offset;
        res = ep_aof_reader_next(r, &rec);
        if (res != EP_OK) break;
        if (v && v->aof) v->aof(v->ctx, start, end->count, &rec);
        if ((++end->count & 1023u) == 0) cli_progress_update(bar, start);
    }
    ep_aof_reader_status(r, &st);
    if (res == EP_END && st.end == EP_AOF_END_TORN) {
        end->state = CLI_END_TORN;
        end->offset = st.good_offset;
        end->tail_bytes = st.tail_bytes;
    } else if (res == EP_END) {
        end->state = CLI_END_CLEAN;
        end->offset = st.good_offset;
    } else {
        fail(end, ep_aof_reader_error(r));
    }
    ep_aof_reader_close(r);
}

void cli_walk(const char *path, const ep_key *key, const cli_visitor *v, cli_file *f, cli_end *end) {
    ep_probe_info pi;
    ep_result res;
    cli_progress bar;
    memset(f, 0, sizeof *f);
    memset(end, 0, sizeof *end);
    ep_error_clear(&end->err);
    res = ep_probe_path(NULL, path, &pi, &end->err);
    if (res == EP_OK && pi.is_dir) res = ep_error_set(&end->err, EP_ERR_INVALID_ARG, UINT64_MAX, "%s is a directory", path);
    if (res) {
        end->state = CLI_END_ERROR;
        end->cannot_open = 1;
        end->err.code = res;
        return;
    }
    from_probe(&pi, f);
    if (v && v->header) v->header(v->ctx, f);
    cli_progress_begin(&bar, "reading", pi.size);
    if (f->kind == CLI_KIND_SNAPSHOT) {
        walk_snapshot(path, key, v, end, &bar);
    } else if (f->kind == CLI_KIND_AOF) {
        walk_aof(path, key, v, end, &bar);
    } else {
        end->state = CLI_END_ERROR;
        ep_error_set(&end->err, pi.head_len < 4 ? EP_ERR_EOF : EP_ERR_BAD_MAGIC, 0,
                     "not an ember AOF (EAOF) or snapshot (ESNP) file (%s)", ep_probe_kind_name(pi.kind));
        end->offset = 0;
    }
    cli_progress_end(&bar);
}

void cli_print_file_json(FILE *out, const char *path, const cli_file *f) {
    fputs("\"file\": ", out);
    cli_json_str(out, path);
    fprintf(out, ", \"kind\": \"%s\", \"size\": %llu", cli_kind_name(f->kind), (unsigned long long)f->size);
    if (f->header_ok) {
        fprintf(out, ", \"version\": %u, \"encrypted\": %s", (unsigned)f->version, f->encrypted ? "true" : "false");
        if (f->kind == CLI_KIND_SNAPSHOT)
            fprintf(out, ", \"shard\": %u, \"entry_count\": %lu", (unsigned)f->shard_id,
                    (unsigned long)f->entry_count);
    }
}

void cli_print_end_json(FILE *out, const cli_end *end) {
    fprintf(out, "{\"status\": \"%s\", \"count\": %llu", cli_end_name(end->state), (unsigned long long)end->count);
    if (end->state == CLI_END_ERROR) {
        fprintf(out, ", \"error\": \"%s\", \"code\": %d", cli_result_name(end->err.code), (int)end->err.code);
        if (end->err.offset != UINT64_MAX) fprintf(out, ", \"offset\": %llu", (unsigned long long)end->err.offset);
        if (end->err.index != UINT64_MAX) fprintf(out, ", \"index\": %llu", (unsigned long long)end->err.index);
        fputs(", \"message\": ", out);
        cli_json_str(out, end->err.message[0] ? end->err.message : ep_result_str(end->err.code));
    } else {
        fprintf(out, ", \"offset\": %llu", (unsigned long long)end->offset);
        if (end->state == CLI_END_TORN) fprintf(out, ", \"tail_bytes\": %llu", (unsigned long long)end->tail_bytes);
    }
    if (end->state == CLI_END_CLEAN && end->footer_offset)
        fprintf(out, ", \"footer_offset\": %llu, \"trailer_bytes\": %llu%s", (unsigned long long)end->footer_offset,
                (unsigned long long)end->trailer_len, end->trailer_ignored ? ", \"trailer_ignored\": true" : "");
    fputc('}', out);
}

void cli_print_end_text(FILE *out, const cli_file *f, const cli_end *end) {
    const char *what = f->kind == CLI_KIND_SNAPSHOT ? "entries" : "records";
    if (end->state == CLI_END_CLEAN) {
        fprintf(out, "clean: %llu %s", (unsigned long long)end->count, what);
        if (f->kind == CLI_KIND_SNAPSHOT)
            fprintf(out, ", footer CRC ok at offset %llu, %llu trailer bytes%s", (unsigned long long)end->footer_offset,
                    (unsigned long long)end->trailer_len, end->trailer_ignored ? " (too long, ignored)" : "");
        else
            fprintf(out, ", ends at offset %llu", (unsigned long long)end->offset);
        fputc('\n', out);
    } else if (end->state == CLI_END_TORN) {
        fprintf(out, "torn tail at offset %llu: %llu %s, then %llu bytes of an incomplete record\n",
                (unsigned long long)end->offset, (unsigned long long)end->count, what,
                (unsigned long long)end->tail_bytes);
    } else {
        fprintf(out, "error: %s", cli_result_name(end->err.code));
        if (end->err.offset != UINT64_MAX) fprintf(out, " at offset %llu", (unsigned long long)end->err.offset);
        if (end->err.index != UINT64_MAX)
            fprintf(out, " (%s %llu)", f->kind == CLI_KIND_SNAPSHOT ? "entry" : "record",
                    (unsigned long long)end->err.index);
        fprintf(out, " after %llu %s: %s\n", (unsigned long long)end->count, what,
                end->err.message[0] ? end->err.message : ep_result_str(end->err.code));
    }
}
