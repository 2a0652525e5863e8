/* stats FILE | DIR ID: what is in an AOF (records and bytes per tag), a
 * snapshot or a recovered shard (keys and bytes per type, key sizes, the
 * largest keys, expiring keys) and, for a shard, how many bytes a
 * compaction would reclaim (the files now against a fresh snapshot of the
 * same keys, made in memory). Aligned tables with bar charts on a terminal,
 * one JSON document with --json. */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOP_N 10

typedef struct tag_stat {
    uint64_t count, bytes;
} tag_stat;

typedef struct big_key {
    uint8_t *key;
    size_t key_len;
    uint8_t type;
    uint64_t bytes, items;
} big_key;

typedef struct key_stats {
    uint64_t keys, key_bytes, max_key_len, value_bytes, expiring, expired;
    tag_stat by_type[EP_TYPE_MAX + 1];
    big_key top[TOP_N];
    int ntop;
} key_stats;

typedef struct stats_ctx {
    tag_stat by_tag[EP_AOF_TAG_MAX + 1];
    uint64_t records, record_bytes, last_offset;
    uint8_t last_tag;
    int have_last;
    key_stats ks;
    ep_buf scratch, enc;
} stats_ctx;

/* ---- gathering ------------------------------------------------------------ */

static void keep_top(key_stats *s, ep_bytes key, uint8_t type, uint64_t bytes, uint64_t items) {
    int i = s->ntop < TOP_N ? s->ntop++ : TOP_N - 1;
    if (i == TOP_N - 1 && s->ntop == TOP_N && s->top[i].key && s->top[i].bytes >= bytes) return;
    free(s->top[i].key);
    s->top[i].key = (uint8_t *)malloc(key.len ? key.len : 1);
    if (!s->top[i].key) {
        s->ntop = i;
        return;
    }
    if (key.len) memcpy(s->top[i].key, key.data, key.len);
    s->top[i].key_len = key.len;
    s->top[i].type = type;
    s->top[i].bytes = bytes;
    s->top[i].items = items;
    for (; i > 0 && s->top[i].bytes > s->top[i - 1].bytes; i--) { /* keep sorted, largest first */
        big_key t = s->top[i];
        s->top[i] = s->top[i - 1];
        s->top[i - 1] = t;
    }
}

/* One key (a snapshot entry, or a recovered key as one). */
static void add_key(stats_ctx *c, const ep_snap_entry *e) {
    key_stats *s = &c->ks;
    uint64_t bytes, items = e->type == EP_TYPE_STRING || e->type == EP_TYPE_PROTO ? 1 : e->items.count;
    ep_buf_reset(&c->enc);
    bytes = ep_snap_entry_encode(&c->enc, e) == EP_OK ? c->enc.len : 0;
    s->keys++;
    s->key_bytes += e->key.len;
    if (e->key.len > s->max_key_len) s->max_key_len = e->key.len;
    s->value_bytes += bytes > e->key.len ? bytes - e->key.len : 0;
    if (e->expire_ms > 0) s->expiring++;
    if (e->expire_ms == 0) s->expired++;
    if (e->type <= EP_TYPE_MAX) {
        s->by_type[e->type].count++;
        s->by_type[e->type].bytes += bytes;
    }
    keep_top(s, e->key, e->type, bytes, items);
}

static void on_snap(void *ctx, uint64_t offset, uint64_t index, const ep_snap_entry *e) {
    stats_ctx *c = (stats_ctx *)ctx;
    (void)index;
    (void)offset;
    add_key(c, e);
}

/* A record's size is known once the next one starts (or the file ends):
 * close_record gives the pending one its bytes. */
static void close_record(stats_ctx *c, uint64_t end_offset) {
    uint64_t n;
    if (!c->have_last) return;
    n = end_offset - c->last_offset;
    c->record_bytes += n;
    if (c->last_tag <= EP_AOF_TAG_MAX) c->by_tag[c->last_tag].bytes += n;
    c->have_last = 0;
}

static void on_aof(void *ctx, uint64_t offset, uint64_t index, const ep_aof_record *rec) {
    stats_ctx *c = (stats_ctx *)ctx;
    (void)index;
    close_record(c, offset);
    c->records++;
    if (rec->tag <= EP_AOF_TAG_MAX) c->by_tag[rec->tag].count++;
    c->last_offset = offset;
    c->last_tag = rec->tag;
    c->have_last = 1;
}

/* ---- printing ------------------------------------------------------------- */

static int g_tty; /* set once in cmd_stats from isatty(stdout); read-only after */

static void bar(uint64_t v, uint64_t max) {
    int n = max ? (int)((double)v / (double)max * 30.0 + 0.5) : 0, i;
    if (!g_tty) return;
    fputs("  ", stdout);
    for (i = 0; i < n; i++) fputs("#", stdout);
    if (v && n == 0) fputs(".", stdout);
}

static void row(const char *name, uint64_t count, uint64_t bytes, uint64_t max) {
    printf("  %-16s %12llu %14llu", name, (unsigned long long)count, (unsigned long long)bytes);
    bar(bytes, max);
    fputc('\n', stdout);
}

static void print_tags_text(const stats_ctx *c) {
    uint64_t max = 0;
    int t;
    for (t = 0; t <= EP_AOF_TAG_MAX; t++) if (c->by_tag[t].bytes > max) max = c->by_tag[t].bytes;
    printf("\nAOF records by command: %llu records, %llu bytes\n  %-16s %12s %14s\n", (unsigned long long)c->records,
           (unsigned long long)c->record_bytes, "command", "records", "bytes");
    for (t = 0; t <= EP_AOF_TAG_MAX; t++)
        if (c->by_tag[t].count) row(ep_aof_tag_name((uint8_t)t), c->by_tag[t].count, c->by_tag[t].bytes, max);
}

static void print_keys_text(const key_stats *s, const char *what) {
    uint64_t max = 0;
    int t;
    for (t = 0; t <= EP_TYPE_MAX; t++) if (s->by_type[t].bytes > max) max = s->by_type[t].bytes;
    printf("\n%s by type: %llu keys\n  %-16s %12s %14s\n", what, (unsigned long long)s->keys, "type", "keys", "bytes");
    for (t = 0; t <= EP_TYPE_MAX; t++)
        if (s->by_type[t].count) row(ep_value_type_name((uint8_t)t), s->by_type[t].count, s->by_type[t].bytes, max);
    printf("\nsizes: keys %llu bytes (longest %llu, mean %.1f), values %llu bytes\n", (unsigned long long)s->key_bytes,
           (unsigned long long)s->max_key_len, s->keys ? (double)s->key_bytes / (double)s->keys : 0.0,
           (unsigned long long)s->value_bytes);
    printf("expiring keys: %llu (with a ttl), %llu expired\n", (unsigned long long)s->expiring,
           (unsigned long long)s->expired);
    if (!s->ntop) return;
    printf("\nlargest keys:\n  %-32s %-8s %10s %12s\n", "key", "type", "items", "bytes");
    for (t = 0; t < s->ntop; t++) {
        int n = (int)(s->top[t].key_len > 32 ? 32 : s->top[t].key_len), i;
        fputs("  ", stdout);
        for (i = 0; i < n; i++) fputc(s->top[t].key[i] >= 0x20 && s->top[t].key[i] < 0x7f ? s->top[t].key[i] : '?', stdout);
        printf("%*s %-8s %10llu %12llu", 32 - n, "", ep_value_type_name(s->top[t].type),
               (unsigned long long)s->top[t].items, (unsigned long long)s->top[t].bytes);
        bar(s->top[t].bytes, s->top[0].bytes);
        fputc('\n', stdout);
    }
}

static void print_tags_json(const stats_ctx *c) {
    int t, first = 1;
    printf("\"records\": {\"total\": %llu, \"bytes\": %llu, \"by_tag\": [", (unsigned long long)c->records,
           (unsigned long long)c->record_bytes);
    for (t = 0; t <= EP_AOF_TAG_MAX; t++) {
        if (!c->by_tag[t].count) continue;
        printf("%s{\"op\": \"%s\", \"tag\": %d, \"count\": %llu, \"bytes\": %llu}", first ? "" : ", ",
               ep_aof_tag_name((uint8_t)t), t, (unsigned long long)c->by_tag[t].count,
               (unsigned long long)c->by_tag[t].bytes);
        first = 0;
    }
    fputs("]}", stdout);
}

static void print_keys_json(const key_stats *s) {
    int t, first = 1;
    printf("\"keys\": {\"total\": %llu, \"key_bytes\": %llu, \"max_key_len\": %llu, \"value_bytes\": %llu, "
           "\"expiring\": %llu, \"expired\": %llu, \"by_type\": [",
           (unsigned long long)s->keys, (unsigned long long)s->key_bytes, (unsigned long long)s->max_key_len,
           (unsigned long long)s->value_bytes, (unsigned long long)s->expiring, (unsigned long long)s->expired);
    for (t = 0; t <= EP_TYPE_MAX; t++) {
        if (!s->by_type[t].count) continue;
        printf("%s{\"type\": \"%s\", \"count\": %llu, \"bytes\": %llu}", first ? "" : ", ",
               ep_value_type_name((uint8_t)t), (unsigned long long)s->by_type[t].count,
               (unsigned long long)s->by_type[t].bytes);
        first = 0;
    }
    fputs("], \"largest\": [", stdout);
    for (t = 0; t < s->ntop; t++) {
        printf("%s{\"key\": ", t ? ", " : "");
        cli_json_bytes(stdout, s->top[t].key, s->top[t].key_len, 0);
        printf(", \"type\": \"%s\", \"items\": %llu, \"bytes\": %llu}", ep_value_type_name(s->top[t].type),
               (unsigned long long)s->top[t].items, (unsigned long long)s->top[t].bytes);
    }
    fputs("]}", stdout);
}

/* ---- the walks ------------------------------------------------------------ */

/* One file through the shared walker; the last record's size comes from the end offset. */
static int walk_file(stats_ctx *c, const char *path, const ep_key *key, cli_file *f, cli_end *end) {
    cli_visitor v;
    memset(&v, 0, sizeof v);
    v.ctx = c;
    v.aof = on_aof;
    v.snap = on_snap;
    c->have_last = 0;
    cli_walk(path, key, &v, f, end);
    /* the last record ends where the good data ends (the error offset is the start of the bad one) */
    close_record(c, end->state == CLI_END_ERROR ? end->err.offset : end->offset);
    return cli_end_exit(end);
}

static void file_json(const char *path, const cli_file *f, const cli_end *end) {
    fputc('{', stdout);
    cli_print_file_json(stdout, path, f);
    fputs(", \"end\": ", stdout);
    cli_print_end_json(stdout, end);
    fputc('}', stdout);
}

static void file_text(const char *path, const cli_file *f, const cli_end *end) {
    printf("%s: %s v%u, %llu bytes, ", path, cli_kind_name(f->kind), (unsigned)f->version, (unsigned long long)f->size);
    cli_print_end_text(stdout, f, end);
}

/* Bytes a fresh snapshot of ks would take (written to an in-memory vfs). */
static uint64_t compacted_size(const ep_keyspace *ks, const ep_key *key, uint16_t id) {
    ep_vfs *mem = NULL;
    ep_shard_config sc;
    char path[64];
    uint64_t n = 0;
    if (ep_vfs_mem_create(NULL, &mem) != EP_OK) return 0;
    ep_shard_config_init(&sc);
    sc.vfs = mem;
    sc.key = key;
    if (mem->mkdir(mem, "s", NULL) == EP_OK && ep_shard_snapshot("s", id, ks, NULL, &sc, NULL) == EP_OK &&
        ep_snapshot_path("s", id, path, sizeof path) == EP_OK)
        (void)mem->stat(mem, path, &n, NULL);
    ep_vfs_mem_free(mem);
    return n;
}

/* The recovered keys, each as its snapshot entry. */
static void add_recovered(stats_ctx *c, const ep_keyspace *ks) {
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    ep_snap_entry se;
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(ks, &it)) != NULL) {
        ep_buf_reset(&c->scratch);
        if (ep_ks_entry_to_snap(e, &c->scratch, &se) == EP_OK) add_key(c, &se);
    }
}

static void stats_free(stats_ctx *c) {
    int i;
    for (i = 0; i < c->ks.ntop; i++) free(c->ks.top[i].key);
    ep_buf_free(&c->scratch);
    ep_buf_free(&c->enc);
}

static int stats_shard(stats_ctx *c, const cli_opts *o, uint16_t id, const ep_key *key) {
    char snap[4096], aof[4096];
    cli_file fs, fa;
    cli_end es, ea;
    stats_ctx files; /* the files' own counts (snapshot entries are not the keys) */
    ep_recover_config rc;
    ep_recover_result res;
    ep_error err;
    uint64_t now_bytes, fresh;
    int rc_exit = CLI_EXIT_CLEAN, has_snap, has_aof;
    ep_vfs os;
    ep_snapshot_path(o->pos[0], id, snap, sizeof snap);
    ep_aof_path(o->pos[0], id, aof, sizeof aof);
    ep_vfs_os_init(&os);
    has_snap = os.stat(&os, snap, NULL, NULL) == EP_OK;
    has_aof = os.stat(&os, aof, NULL, NULL) == EP_OK;
    if (!has_snap && !has_aof) {
        fprintf(stderr, "ember-persist stats: no shard %u in %s\n", (unsigned)id, o->pos[0]);
        return CLI_EXIT_NOINPUT;
    }
    memset(&files, 0, sizeof files);
    memset(&fs, 0, sizeof fs);
    memset(&fa, 0, sizeof fa);
    memset(&es, 0, sizeof es);
    memset(&ea, 0, sizeof ea);
    ep_buf_init(&files.scratch, NULL);
    ep_buf_init(&files.enc, NULL);
    if (has_snap) rc_exit = walk_file(&files, snap, key, &fs, &es);
    if (has_aof) {
        int r = walk_file(c, aof, key, &fa, &ea);
        if (r > rc_exit) rc_exit = r;
    }
    ep_recover_config_init(&rc);
    rc.key = key;
    if (ep_recover_shard(o->pos[0], id, &rc, &res, &err) != EP_OK) {
        fprintf(stderr, "ember-persist stats: recovery failed: %s\n", err.message);
        return CLI_EXIT_SOFTWARE;
    }
    add_recovered(c, res.keyspace);
    c->ks.expired += res.expired_dropped;
    now_bytes = (has_snap ? fs.size : 0) + (has_aof ? fa.size : 0);
    fresh = compacted_size(res.keyspace, key, id) + EP_AOF_HEADER_SIZE;
    ep_recover_result_free(&res);
    if (o->json) {
        fputs("{\"dir\": ", stdout);
        cli_json_str(stdout, o->pos[0]);
        printf(", \"shard\": %u, \"files\": [", (unsigned)id);
        if (has_snap) file_json(snap, &fs, &es);
        if (has_snap && has_aof) fputs(", ", stdout);
        if (has_aof) file_json(aof, &fa, &ea);
        fputs("], ", stdout);
        print_tags_json(c);
        fputs(", ", stdout);
        print_keys_json(&c->ks);
        printf(", \"reclaimable\": {\"current_bytes\": %llu, \"compacted_bytes\": %llu, \"dead_bytes\": %llu}}\n",
               (unsigned long long)now_bytes, (unsigned long long)fresh,
               (unsigned long long)(now_bytes > fresh ? now_bytes - fresh : 0));
    } else {
        printf("shard %u in %s\n", (unsigned)id, o->pos[0]);
        if (has_snap) file_text(snap, &fs, &es);
        if (has_aof) file_text(aof, &fa, &ea);
        if (has_aof) print_tags_text(c);
        print_keys_text(&c->ks, "recovered keys");
        printf("\nreclaimable by compact: %llu of %llu bytes (a fresh snapshot and an empty AOF take %llu)\n",
               (unsigned long long)(now_bytes > fresh ? now_bytes - fresh : 0), (unsigned long long)now_bytes,
               (unsigned long long)fresh);
    }
    stats_free(&files);
    return rc_exit;
}

static int stats_file(stats_ctx *c, const cli_opts *o, const ep_key *key) {
    cli_file f;
    cli_end end;
    int rc = walk_file(c, o->pos[0], key, &f, &end);
    if (end.cannot_open) {
        fprintf(stderr, "ember-persist stats: cannot open %s: %s\n", o->pos[0],
                end.err.message[0] ? end.err.message : ep_result_str(end.err.code));
        return rc;
    }
    if (o->json) {
        fputs("{\"files\": [", stdout);
        file_json(o->pos[0], &f, &end);
        fputs("], ", stdout);
        if (f.kind == CLI_KIND_AOF) print_tags_json(c);
        else print_keys_json(&c->ks);
        fputs("}\n", stdout);
    } else {
        file_text(o->pos[0], &f, &end);
        if (f.kind == CLI_KIND_AOF) print_tags_text(c);
        else if (f.kind == CLI_KIND_SNAPSHOT) print_keys_text(&c->ks, "snapshot entries");
    }
    return rc;
}

int cmd_stats(int argc, char **argv) {
    cli_opts o;
    ep_key *key = NULL;
    uint16_t id = 0;
    stats_ctx *c;
    ep_probe_info pi;
    int rc = cli_parse("stats", argc, argv, CLI_OPT_JSON | CLI_OPT_KEY, 1, 2, &o);
    if (rc >= 0) return rc;
    if (ep_probe_path(NULL, o.pos[0], &pi, NULL) != EP_OK) {
        fprintf(stderr, "ember-persist stats: cannot open %s\n", o.pos[0]);
        return CLI_EXIT_NOINPUT;
    }
    if (pi.is_dir && o.npos < 2) {
        fprintf(stderr, "ember-persist stats: %s is a directory: give the shard ID too\n", o.pos[0]);
        return CLI_EXIT_USAGE;
    }
    if (o.npos == 2 && !cli_shard_arg("stats", o.pos[1], &id)) return CLI_EXIT_USAGE;
    if ((rc = cli_load_key(&o, &key)) != 0) return rc;
    c = (stats_ctx *)calloc(1, sizeof *c);
    if (!c) return CLI_EXIT_SOFTWARE;
    ep_buf_init(&c->scratch, NULL);
    ep_buf_init(&c->enc, NULL);
    g_tty = isatty(fileno(stdout));
    rc = o.npos == 2 ? stats_shard(c, &o, id, key) : stats_file(c, &o, key);
    stats_free(c);
    free(c);
    ep_key_free(key);
    return rc;
}
