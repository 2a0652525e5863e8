/* recover DIR ID: runs ember shard recovery (ep_recover_shard) on
 * DIR/shard-ID.snap + DIR/shard-ID.aof and prints how it went and the
 * recovered keyspace sorted by key (hash fields and set members sorted too),
 * one key per line, or one JSON document with --json. Nothing is written. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct rec_item {
    ep_bytes a, b;
} rec_item;

static int item_cmp(const void *x, const void *y) {
    const rec_item *p = (const rec_item *)x, *q = (const rec_item *)y;
    size_t n = p->a.len < q->a.len ? p->a.len : q->a.len;
    int c = n ? memcmp(p->a.data, q->a.data, n) : 0;
    if (c) return c;
    return p->a.len < q->a.len ? -1 : p->a.len > q->a.len;
}

static void print_vector(FILE *out, ep_bytes v) {
    size_t i;
    fputc('[', out);
    for (i = 0; i + 4 <= v.len; i += 4) {
        if (i) fputs(", ", out);
        cli_json_f32(out, ep_load_f32le(v.data + i));
    }
    fputc(']', out);
}

/* The value as JSON: string/proto data as a string, collections as arrays
 * (hash as an object), in a deterministic order. */
static void print_value(FILE *out, const ep_ks_entry *e) {
    uint8_t type = ep_ks_entry_type(e);
    ep_ks_value_iter it;
    ep_item item;
    rec_item *items = NULL;
    size_t n = 0, cap = 0, i;
    if (type == EP_TYPE_STRING) {
        ep_bytes v = ep_ks_entry_value(e);
        cli_json_bytes(out, v.data, v.len, 0);
        return;
    }
    if (type == EP_TYPE_PROTO) {
        ep_bytes t = ep_ks_entry_type_name(e), v = ep_ks_entry_value(e);
        fputs("{\"type_name\": ", out);
        cli_json_bytes(out, t.data, t.len, 0);
        fputs(", \"data\": ", out);
        cli_json_bytes(out, v.data, v.len, 1);
        fputc('}', out);
        return;
    }
    if (type == EP_TYPE_VECTOR) {
        uint8_t m = 0, q = 0;
        uint32_t c = 0, x = 0, d = 0;
        ep_ks_entry_vector_config(e, &m, &q, &c, &x, &d);
        fprintf(out, "{\"metric\": %u, \"quantization\": %u, \"connectivity\": %lu, \"expansion_add\": %lu, "
                     "\"dim\": %lu, \"elements\": [", m, q, (unsigned long)c, (unsigned long)x, (unsigned long)d);
    } else {
        fputc(type == EP_TYPE_HASH ? '{' : '[', out);
    }
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) {
        if (type == EP_TYPE_HASH || type == EP_TYPE_SET) { /* sorted below */
            if (n == cap) {
                rec_item *g;
                cap = cap ? cap * 2 : 16;
                g = (rec_item *)realloc(items, cap * sizeof *items);
                if (!g) break;
                items = g;
            }
            items[n].a = item.a;
            items[n].b = item.b;
            n++;
            continue;
        }
        if (n++) fputs(", ", out);
        if (type == EP_TYPE_ZSET) {
            fputc('[', out);
            cli_json_f64(out, item.score);
            fputs(", ", out);
        } else if (type == EP_TYPE_VECTOR) {
            fputc('[', out);
        }
        cli_json_bytes(out, item.a.data, item.a.len, 0);
        if (type == EP_TYPE_VECTOR) {
            fputs(", ", out);
            print_vector(out, item.b);
        }
        if (type == EP_TYPE_ZSET || type == EP_TYPE_VECTOR) fputc(']', out);
    }
    if (items && n > 1) qsort(items, n, sizeof *items, item_cmp);
    for (i = 0; items && i < n; i++) {
        if (i) fputs(", ", out);
        cli_json_bytes(out, items[i].a.data, items[i].a.len, 0);
        if (type == EP_TYPE_HASH) {
            fputs(": ", out);
            cli_json_bytes(out, items[i].b.data, items[i].b.len, 0);
        }
    }
    free(items);
    if (type == EP_TYPE_VECTOR) fputs("]}", out);
    else fputc(type == EP_TYPE_HASH ? '}' : ']', out);
}

static const char *end_name(ep_aof_end e) {
    switch (e) {
    case EP_AOF_END_CLEAN: return "clean";
    case EP_AOF_END_TORN: return "torn";
    case EP_AOF_END_ERROR: return "error";
    default: return "none";
    }
}

static const char *trailer_name(ep_trailer_state t) {
    static const char *const names[] = {"none", "applied", "stale", "invalid", "damaged", "short_aof"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* " at offset N (record M)", leaving out what is unset (UINT64_MAX). */
static void print_where_text(FILE *out, const ep_error *e) {
    if (e->offset != UINT64_MAX) fprintf(out, " at offset %llu", (unsigned long long)e->offset);
    if (e->index != UINT64_MAX) fprintf(out, " (record %llu)", (unsigned long long)e->index);
}

static void print_where_json(FILE *out, const ep_error *e) {
    if (e->offset != UINT64_MAX) fprintf(out, ", \"offset\": %llu", (unsigned long long)e->offset);
    if (e->index != UINT64_MAX) fprintf(out, ", \"index\": %llu", (unsigned long long)e->index);
}

static void print_summary_json(FILE *out, const ep_recover_result *r) {
    fprintf(out, "\"snapshot\": {\"present\": %s, \"loaded\": %s, \"entries\": %llu",
            r->snapshot_present ? "true" : "false", r->snapshot_loaded ? "true" : "false",
            (unsigned long long)r->snapshot_entries);
    if (r->snapshot_present && !r->snapshot_loaded) {
        fprintf(out, ", \"error\": \"%s\", \"message\": ", cli_result_name(r->snapshot_error.code));
        cli_json_str(out, r->snapshot_error.message);
    }
    fprintf(out, ", \"trailer\": \"%s\", \"aof_bytes_covered\": %llu", trailer_name(r->trailer),
            (unsigned long long)r->aof_skipped_bytes);
    if (r->trailer_extra_bytes)
        fprintf(out, ", \"trailer_extra_bytes\": %llu", (unsigned long long)r->trailer_extra_bytes);
    if (r->trailer == EP_TRAILER_DAMAGED) {
        fprintf(out, ", \"covered_damage\": {\"error\": \"%s\"", cli_result_name(r->covered_error.code));
        print_where_json(out, &r->covered_error);
        fputs(", \"message\": ", out);
        cli_json_str(out, r->covered_error.message);
        fputc('}', out);
    }
    fputc('}', out);
    fprintf(out, ", \"aof\": {\"present\": %s, \"replayed\": %s, \"end\": \"%s\", \"records_read\": %llu, "
                 "\"records_skipped\": %llu, \"records_applied\": %llu, \"warnings\": %llu, \"good_offset\": %llu",
            r->aof_present ? "true" : "false", r->replayed_aof ? "true" : "false", end_name(r->aof_end),
            (unsigned long long)r->records_read, (unsigned long long)r->records_skipped,
            (unsigned long long)r->records_applied, (unsigned long long)r->record_warnings,
            (unsigned long long)r->aof_good_offset);
    if (r->aof_end == EP_AOF_END_TORN) fprintf(out, ", \"tail_bytes\": %llu", (unsigned long long)r->aof_tail_bytes);
    if (r->aof_end == EP_AOF_END_ERROR) {
        fprintf(out, ", \"error\": \"%s\"", cli_result_name(r->aof_error.code));
        print_where_json(out, &r->aof_error);
        fputs(", \"message\": ", out);
        cli_json_str(out, r->aof_error.message);
    }
    fprintf(out, "}, \"expired_dropped\": %llu", (unsigned long long)r->expired_dropped);
}

static void print_summary_text(FILE *out, const ep_recover_result *r) {
    if (!r->snapshot_present) {
        fputs("# snapshot: none\n", out);
    } else if (r->snapshot_loaded) {
        fprintf(out, "# snapshot: loaded, %llu entries, trailer %s", (unsigned long long)r->snapshot_entries,
                trailer_name(r->trailer));
        if (r->trailer_extra_bytes)
            fprintf(out, " (%llu bytes after it ignored)", (unsigned long long)r->trailer_extra_bytes);
        if (r->trailer == EP_TRAILER_DAMAGED) {
            fprintf(out, "; covered AOF prefix damaged: %s", cli_result_name(r->covered_error.code));
            print_where_text(out, &r->covered_error);
            fputs(" (its records are in the snapshot: none applied)", out);
        }
        fputc('\n', out);
    } else {
        fprintf(out, "# snapshot: NOT loaded (%s: %s)\n", cli_result_name(r->snapshot_error.code),
                r->snapshot_error.message);
    }
    if (!r->aof_present) {
        fputs("# aof: none\n", out);
    } else {
        fprintf(out, "# aof: %s, %llu records read, %llu skipped (in the snapshot), %llu applied, %llu warnings",
                end_name(r->aof_end), (unsigned long long)r->records_read, (unsigned long long)r->records_skipped,
                (unsigned long long)r->records_applied, (unsigned long long)r->record_warnings);
        if (r->aof_end == EP_AOF_END_TORN)
            fprintf(out, "; torn tail of %llu bytes at offset %llu", (unsigned long long)r->aof_tail_bytes,
                    (unsigned long long)r->aof_good_offset);
        if (r->aof_end == EP_AOF_END_ERROR) {
            fprintf(out, "; %s", cli_result_name(r->aof_error.code));
            print_where_text(out, &r->aof_error);
            fprintf(out, ": %s", r->aof_error.message);
        }
        fputc('\n', out);
    }
    fprintf(out, "# keys: %lu (%llu expired dropped)\n", (unsigned long)ep_keyspace_count(r->keyspace),
            (unsigned long long)r->expired_dropped);
}

static void print_keys(FILE *out, const ep_keyspace *ks, int json) {
    const ep_ks_entry **list = NULL;
    size_t n = 0, i;
    if (ep_keyspace_sorted(ks, &list, &n) != EP_OK) return;
    for (i = 0; i < n; i++) {
        ep_bytes k = ep_ks_entry_key(list[i]);
        if (json) fputs(i ? ",\n  {\"key\": " : "\n  {\"key\": ", out);
        cli_json_bytes(out, k.data, k.len, 0);
        if (json) fprintf(out, ", \"type\": \"%s\", \"ttl_ms\": %lld, \"value\": ",
                          ep_value_type_name(ep_ks_entry_type(list[i])), (long long)ep_ks_entry_ttl(list[i]));
        else fprintf(out, " %s %lld ", ep_value_type_name(ep_ks_entry_type(list[i])),
                     (long long)ep_ks_entry_ttl(list[i]));
        print_value(out, list[i]);
        fputs(json ? "}" : "\n", out);
    }
    ep_keyspace_sorted_free(ks, list);
}

static void print_schemas(FILE *out, const ep_keyspace *ks, int json) {
    size_t i, n = ep_keyspace_schema_count(ks);
    for (i = 0; i < n; i++) {
        ep_bytes name, desc;
        ep_keyspace_schema_at(ks, i, &name, &desc);
        fputs(json ? (i ? ", {\"name\": " : "{\"name\": ") : "# schema ", out);
        cli_json_bytes(out, name.data, name.len, 0);
        fputs(json ? ", \"descriptor\": " : " ", out);
        cli_json_bytes(out, desc.data, desc.len, 1);
        fputs(json ? "}" : "\n", out);
    }
}

static int exit_code(const ep_recover_result *r) {
    if ((r->snapshot_present && !r->snapshot_loaded) || r->aof_end == EP_AOF_END_ERROR) return CLI_EXIT_CORRUPT;
    if (r->aof_end == EP_AOF_END_TORN || r->trailer == EP_TRAILER_STALE || r->trailer == EP_TRAILER_INVALID ||
        r->trailer == EP_TRAILER_DAMAGED || r->trailer_extra_bytes || r->record_warnings)
        return CLI_EXIT_WARN;
    return CLI_EXIT_CLEAN;
}

int cmd_recover(int argc, char **argv) {
    cli_opts o;
    const char *dir;
    uint16_t id;
    ep_key *key = NULL;
    ep_recover_config cfg;
    ep_recover_result res;
    ep_error err;
    ep_result r;
    int rc = cli_parse("recover", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY, 2, 2, &o);
    if (rc >= 0) return rc;
    dir = o.pos[0];
    if (!cli_shard_arg("recover", o.pos[1], &id)) return CLI_EXIT_USAGE;
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    ep_recover_config_init(&cfg);
    cfg.key = key;
    r = ep_recover_shard(dir, (ep_shard_id)id, &cfg, &res, &err);
    ep_key_free(key);
    if (r != EP_OK) {
        fprintf(stderr, "ember-persist recover: %s\n", err.message[0] ? err.message : ep_result_str(r));
        /* a refused trailer is a verdict on the files; anything else: they could not be read */
        return r == EP_ERR_CORRUPT ? CLI_EXIT_CORRUPT : CLI_EXIT_NOINPUT;
    }
    if (o.json) {
        fputc('{', stdout);
        print_summary_json(stdout, &res);
        fputs(", \"keys\": [", stdout);
        print_keys(stdout, res.keyspace, 1);
        fputs("\n], \"schemas\": [", stdout);
        print_schemas(stdout, res.keyspace, 1);
        fputs("]}\n", stdout);
    } else {
        print_summary_text(stdout, &res);
        print_schemas(stdout, res.keyspace, 0);
        print_keys(stdout, res.keyspace, 0);
    }
    rc = exit_code(&res);
    ep_recover_result_free(&res);
    return rc;
}
