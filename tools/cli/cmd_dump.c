/* dump FILE: every record (AOF) or entry (snapshot) with its byte offset and
 * all its fields, then how the file ended. --json prints one JSON document;
 * the default prints the same objects one per line between "#" lines. */
#include "cli.h"

#include <string.h>

typedef struct dump_ctx {
    FILE *out;
    int json;
    int b64;
    int opened;   /* the header was printed */
    uint64_t n;
} dump_ctx;

/* Which ep_aof_record fields a tag uses, and their names in the output. */
typedef struct aof_fields {
    const char *key, *key2, *value, *num, *num2, *flag, *flag2, *items;
    int pivot, vadd;
} aof_fields;

static aof_fields fields_of(uint8_t tag) {
    aof_fields f;
    memset(&f, 0, sizeof f);
    f.key = "key";
    switch (tag) {
    case EP_AOF_SET: f.value = "value"; f.num = "expire_ms"; break;
    case EP_AOF_EXPIRE: f.num = "seconds"; break;
    case EP_AOF_LPUSH: case EP_AOF_RPUSH: f.items = "values"; break;
    case EP_AOF_ZADD: case EP_AOF_ZREM: case EP_AOF_SADD: case EP_AOF_SREM: f.items = "members"; break;
    case EP_AOF_PEXPIRE: f.num = "ms"; break;
    case EP_AOF_HSET: case EP_AOF_HDEL: f.items = "fields"; break;
    case EP_AOF_HINCRBY: f.key2 = "field"; f.num = "delta"; break;
    case EP_AOF_INCRBY: case EP_AOF_DECRBY: f.num = "delta"; break;
    case EP_AOF_APPEND: f.value = "value"; break;
    case EP_AOF_RENAME: f.key2 = "new_key"; break;
    case EP_AOF_PROTO_SET: f.key2 = "type_name"; f.value = "data"; f.num = "expire_ms"; break;
    case EP_AOF_PROTO_REGISTER: f.key = "name"; f.value = "descriptor"; break;
    case EP_AOF_VADD: f.key2 = "element"; f.flag = "metric"; f.flag2 = "quantization"; f.vadd = 1; break;
    case EP_AOF_VREM: f.key2 = "element"; break;
    case EP_AOF_COPY: f.key = "source"; f.key2 = "destination"; f.flag = "replace"; break;
    case EP_AOF_LSET: f.num = "list_index"; f.value = "value"; break; /* "index" is the record's */
    case EP_AOF_LTRIM: f.num = "start"; f.num2 = "stop"; break;
    case EP_AOF_LINSERT: f.flag = "before"; f.pivot = 1; f.value = "value"; break;
    case EP_AOF_LREM: f.num = "count"; f.value = "value"; break;
    case EP_AOF_SETRANGE: f.num = "byte_offset"; f.value = "value"; break; /* "offset" is the record's */
    case EP_AOF_SETBIT: f.num = "bit_offset"; f.flag = "bit"; break;
    case EP_AOF_BITOP: f.key = "destination"; f.flag = "op"; f.items = "keys"; break;
    case EP_AOF_PEXPIREAT: f.num = "unix_ms"; break;
    default: break;
    }
    return f;
}

static void field_bytes(dump_ctx *c, const char *name, ep_bytes b) {
    fprintf(c->out, ", \"%s\": ", name);
    cli_json_bytes(c->out, b.data, b.len, c->b64);
}

/* dim little-endian f32 as a JSON array. */
static void floats(dump_ctx *c, const uint8_t *p, uint32_t dim) {
    uint32_t i;
    fputc('[', c->out);
    for (i = 0; i < dim; i++) {
        if (i) fputs(", ", c->out);
        cli_json_f32(c->out, ep_load_f32le(p + (size_t)i * 4));
    }
    fputc(']', c->out);
}

static void items(dump_ctx *c, const char *name, const ep_items *it) {
    ep_items_iter iter;
    ep_item item;
    int first = 1;
    fprintf(c->out, ", \"%s\": [", name);
    ep_items_iter_init(&iter, it);
    while (ep_items_next(&iter, &item)) {
        if (!first) fputs(", ", c->out);
        first = 0;
        switch (it->kind) {
        case EP_ITEMS_SCORE_MEMBER:
            fputs("{\"score\": ", c->out);
            cli_json_f64(c->out, item.score);
            fputs(", \"member\": ", c->out);
            cli_json_bytes(c->out, item.a.data, item.a.len, c->b64);
            fputc('}', c->out);
            break;
        case EP_ITEMS_FIELD_VALUE:
            fputs("{\"field\": ", c->out);
            cli_json_bytes(c->out, item.a.data, item.a.len, c->b64);
            fputs(", \"value\": ", c->out);
            cli_json_bytes(c->out, item.b.data, item.b.len, c->b64);
            fputc('}', c->out);
            break;
        case EP_ITEMS_NAME_VECTOR:
            fputs("{\"name\": ", c->out);
            cli_json_bytes(c->out, item.a.data, item.a.len, c->b64);
            fputs(", \"vector\": ", c->out);
            floats(c, item.b.data, it->dim);
            fputc('}', c->out);
            break;
        default:
            cli_json_bytes(c->out, item.a.data, item.a.len, c->b64);
            break;
        }
    }
    fputc(']', c->out);
}

static void begin_item(dump_ctx *c, uint64_t offset, uint64_t index) {
    if (c->json) fputs(c->n ? ",\n  " : "\n  ", c->out);
    fprintf(c->out, "{\"offset\": %llu, \"index\": %llu", (unsigned long long)offset, (unsigned long long)index);
    c->n++;
}

static void end_item(dump_ctx *c) {
    fputs(c->json ? "}" : "}\n", c->out);
}

static void on_aof(void *ctx, uint64_t offset, uint64_t index, const ep_aof_record *r) {
    dump_ctx *c = (dump_ctx *)ctx;
    aof_fields f = fields_of(r->tag);
    const char *name = ep_aof_tag_name(r->tag);
    begin_item(c, offset, index);
    fprintf(c->out, ", \"tag\": %u, \"op\": \"%s\"", (unsigned)r->tag, name ? name : "?");
    if (f.key) field_bytes(c, f.key, r->key);
    if (f.key2) field_bytes(c, f.key2, r->key2);
    if (f.pivot) field_bytes(c, "pivot", r->pivot);
    if (f.value) field_bytes(c, f.value, r->value);
    if (f.num) fprintf(c->out, ", \"%s\": %lld", f.num, (long long)r->num);
    if (f.num2) fprintf(c->out, ", \"%s\": %lld", f.num2, (long long)r->num2);
    if (f.flag) fprintf(c->out, ", \"%s\": %u", f.flag, (unsigned)r->flag);
    if (f.flag2) fprintf(c->out, ", \"%s\": %u", f.flag2, (unsigned)r->flag2);
    if (f.items) items(c, f.items, &r->items);
    if (f.vadd) {
        fprintf(c->out, ", \"connectivity\": %lu, \"expansion_add\": %lu, \"dim\": %lu, \"vector\": ",
                (unsigned long)r->connectivity, (unsigned long)r->expansion_add, (unsigned long)r->dim);
        floats(c, r->vector.data, r->vector.len / 4 < r->dim ? (uint32_t)(r->vector.len / 4) : r->dim);
    }
    end_item(c);
}

static void on_snap(void *ctx, uint64_t offset, uint64_t index, const ep_snap_entry *e) {
    dump_ctx *c = (dump_ctx *)ctx;
    const char *type = ep_value_type_name(e->type);
    begin_item(c, offset, index);
    field_bytes(c, "key", e->key);
    fprintf(c->out, ", \"type\": \"%s\", \"expire_ms\": %lld", type ? type : "?", (long long)e->expire_ms);
    switch (e->type) {
    case EP_TYPE_STRING: field_bytes(c, "value", e->value); break;
    case EP_TYPE_LIST: items(c, "items", &e->items); break;
    case EP_TYPE_ZSET: case EP_TYPE_SET: items(c, "members", &e->items); break;
    case EP_TYPE_HASH: items(c, "fields", &e->items); break;
    case EP_TYPE_PROTO:
        field_bytes(c, "type_name", e->type_name);
        field_bytes(c, "data", e->value);
        break;
    case EP_TYPE_VECTOR:
        fprintf(c->out, ", \"metric\": %u, \"quantization\": %u, \"connectivity\": %lu, \"expansion_add\": %lu",
                (unsigned)e->metric, (unsigned)e->quantization, (unsigned long)e->connectivity,
                (unsigned long)e->expansion_add);
        fprintf(c->out, ", \"dim\": %lu", (unsigned long)e->dim);
        items(c, "elements", &e->items);
        break;
    default: break;
    }
    end_item(c);
}

static void on_header(void *ctx, const cli_file *f) {
    dump_ctx *c = (dump_ctx *)ctx;
    c->opened = 1;
    if (!c->json) {
        printf("# %s", cli_kind_name(f->kind));
        if (f->header_ok) {
            printf(" version %u%s", (unsigned)f->version, f->encrypted ? " encrypted" : "");
            if (f->kind == CLI_KIND_SNAPSHOT)
                printf(" shard %u entries %lu", (unsigned)f->shard_id, (unsigned long)f->entry_count);
        }
        printf(" size %llu\n", (unsigned long long)f->size);
        return;
    }
    fputs(f->kind == CLI_KIND_SNAPSHOT ? ", \"entries\": [" : ", \"records\": [", c->out);
}

int cmd_dump(int argc, char **argv) {
    cli_opts o;
    cli_file f;
    cli_end end;
    ep_key *key = NULL;
    dump_ctx c;
    cli_visitor v;
    int rc = cli_parse("dump", argc, argv, CLI_OPT_JSON | CLI_OPT_BASE64 | CLI_OPT_KEY, 1, 1, &o);
    if (rc >= 0) return rc;
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    memset(&c, 0, sizeof c);
    c.out = stdout;
    c.json = o.json;
    c.b64 = o.base64;
    v.ctx = &c;
    v.header = on_header;
    v.aof = on_aof;
    v.snap = on_snap;
    if (c.json) {
        /* The file fields need the header: print them from the walk's first callback. */
        fputc('{', stdout);
        fputs("\"file\": ", stdout);
        cli_json_str(stdout, o.file);
    }
    cli_walk(o.file, key, &v, &f, &end);
    ep_key_free(key);
    if (c.json) {
        if (c.opened) fputs(c.n ? "\n]" : "]", stdout);
        fprintf(stdout, ", \"kind\": \"%s\", \"size\": %llu", cli_kind_name(f.kind), (unsigned long long)f.size);
        if (f.header_ok) {
            printf(", \"version\": %u, \"encrypted\": %s", (unsigned)f.version, f.encrypted ? "true" : "false");
            if (f.kind == CLI_KIND_SNAPSHOT)
                printf(", \"shard\": %u, \"entry_count\": %lu", (unsigned)f.shard_id, (unsigned long)f.entry_count);
        }
        fputs(", \"end\": ", stdout);
        cli_print_end_json(stdout, &end);
        fputs("}\n", stdout);
    } else {
        printf("# end: ");
        cli_print_end_text(stdout, &f, &end);
    }
    return cli_end_exit(&end);
}
