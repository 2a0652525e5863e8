/* One walk over an AOF or snapshot file for every subcommand: detect the
 * kind by magic, read the header bytes directly (so info works on an
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

/* Raw header bytes -> kind, version, shard, count. */
static void sniff(const uint8_t *h, size_t n, cli_file *f) {
    if (n >= 4 && !memcmp(h, "ESNP", 4)) {
        f->kind = CLI_KIND_SNAPSHOT;
        if (n >= EP_SNAPSHOT_HEADER_SIZE) {
            f->version = h[4];
            f->shard_id = ep_load_u16le(h + 5);
            f->entry_count = ep_load_u32le(h + 7);
            f->header_ok = h[4] >= 1 && h[4] <= 3;
        }
    } else if (n >= 4 && !memcmp(h, "EAOF", 4)) {
        f->kind = CLI_KIND_AOF;
        if (n >= EP_AOF_HEADER_SIZE) {
            f->version = h[4];
            f->header_ok = h[4] >= 1 && h[4] <= 3;
        }
    }
    f->encrypted = f->header_ok && f->version == 3;
}

static void walk_snapshot(const char *path, const ep_key *key, const cli_visitor *v, cli_end *end) {
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
        end->count++;
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

static void walk_aof(const char *path, const ep_key *key, const cli_visitor *v, cli_end *end) {
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
        end->count++;
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
    ep_vfs os;
    ep_file *file = NULL;
    uint8_t h[EP_SNAPSHOT_HEADER_SIZE];
    size_t got = 0;
    ep_result res;
    memset(f, 0, sizeof *f);
    memset(end, 0, sizeof *end);
    ep_error_clear(&end->err);
    res = ep_vfs_os_init(&os);
    if (!res) res = os.open(&os, path, EP_OPEN_READ, &file, &end->err);
    if (!res) {
        res = os.size(&os, file, &f->size, &end->err);
        if (!res) res = os.read(&os, file, 0, h, sizeof h, &got, &end->err);
        (void)os.close(&os, file, NULL);
    }
    if (res) {
        end->state = CLI_END_ERROR;
        end->cannot_open = 1;
        end->err.code = res;
        return;
    }
    sniff(h, got, f);
    if (v && v->header) v->header(v->ctx, f);
    if (f->kind == CLI_KIND_SNAPSHOT) {
        walk_snapshot(path, key, v, end);
    } else if (f->kind == CLI_KIND_AOF) {
        walk_aof(path, key, v, end);
    } else {
        end->state = CLI_END_ERROR;
        ep_error_set(&end->err, got < 4 ? EP_ERR_EOF : EP_ERR_BAD_MAGIC, 0,
                     "not an ember AOF (EAOF) or snapshot (ESNP) file");
        end->offset = 0;
    }
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
