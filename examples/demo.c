/* The main demo (make demo): a shard's life, told to a newcomer.
 *
 *  1. records appended to shard-0.aof with fsync=always, each named
 *  2. a power cut in the middle of the next record (a real torn write)
 *  3. what survived: recovery keeps every acknowledged record
 *  4. what the tool says: verify, repair (with its backup), verify again
 *  5. appending goes on; compact turns it all into a snapshot
 *  6. the files, kept for you to look at
 *
 * Usage: demo [DIR [TOOL]]. DIR (default: a new directory under $TMPDIR)
 * is emptied of shard-0 files first and kept afterwards; TOOL is the
 * ember-persist program (make demo passes build/ember-persist); without
 * it the demo prints the commands instead of running them. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember_persist.h"

#define S(lit) ep_bytes_of(lit, sizeof(lit) - 1)

static int fail(const char *what, ep_result r, const ep_error *e) {
    fprintf(stderr, "demo: %s: %s%s%s\n", what, ep_result_str(r), e && e->message[0] ? ": " : "",
            e ? e->message : "");
    return 1;
}

static void print_value(const ep_ks_entry *e) {
    ep_ks_value_iter it;
    ep_item item;
    int first = 1;
    ep_bytes v;
    switch (ep_ks_entry_type(e)) {
    case EP_TYPE_STRING:
        v = ep_ks_entry_value(e);
        printf("\"%.*s\"", (int)v.len, (const char *)v.data);
        return;
    default:
        break;
    }
    printf("%s [", ep_value_type_name(ep_ks_entry_type(e)));
    ep_ks_value_iter_init(&it, e);
    while (ep_ks_value_next(&it, &item)) {
        printf("%s", first ? "" : ", ");
        first = 0;
        if (ep_ks_entry_type(e) == EP_TYPE_ZSET) printf("%g:", item.score);
        printf("%.*s", (int)item.a.len, (const char *)item.a.data);
        if (ep_ks_entry_type(e) == EP_TYPE_HASH) printf("=%.*s", (int)item.b.len, (const char *)item.b.data);
    }
    printf("]");
}

/* Recovers shard 0 and prints what came back; keeps the keyspace if asked. */
static int recover_and_print(const char *dir, const char *title, ep_keyspace **keep) {
    ep_recover_config cfg;
    ep_recover_result res;
    const ep_ks_entry **list;
    size_t n, i;
    ep_result r;
    static const char *ends[] = {"no AOF", "clean end", "torn tail", "error"};
    ep_recover_config_init(&cfg);
    r = ep_recover_shard(dir, 0, &cfg, &res, NULL);
    if (r) return fail("recover", r, NULL);
    printf("\n-- %s\n", title);
    printf("   snapshot %s; AOF: %llu records read",
           res.snapshot_loaded ? "loaded" : (res.snapshot_present ? "REJECTED" : "absent"),
           (unsigned long long)res.records_read);
    if (res.records_skipped)
        printf(" (%llu already in the snapshot, skipped)", (unsigned long long)res.records_skipped);
    printf(", %s", ends[res.aof_end]);
    if (res.aof_end == EP_AOF_END_TORN)
        printf(" (%llu stray bytes after offset %llu)", (unsigned long long)res.aof_tail_bytes,
               (unsigned long long)res.aof_good_offset);
    printf("\n");
    if (ep_keyspace_sorted(res.keyspace, &list, &n) == EP_OK) {
        for (i = 0; i < n; i++) {
            ep_bytes k = ep_ks_entry_key(list[i]);
            printf("   %-8.*s = ", (int)k.len, (const char *)k.data);
            print_value(list[i]);
            if (ep_ks_entry_ttl(list[i]) >= 0) printf("  (ttl %lld ms)", (long long)ep_ks_entry_ttl(list[i]));
            printf("\n");
        }
        ep_keyspace_sorted_free(res.keyspace, list);
    }
    if (keep) {
        *keep = res.keyspace;  /* the caller frees it */
        res.keyspace = NULL;
    }
    ep_recover_result_free(&res);
    return 0;
}

static const char *g_dir, *g_tool; /* set once in main */

static ep_result open_writer(ep_aof_writer **w, ep_error *err) {
    char path[512];
    ep_aof_writer_config cfg;
    ep_aof_writer_config_init(&cfg);
    cfg.fsync = EP_FSYNC_ALWAYS; /* every call returns only once its record is on disk */
    ep_aof_path(g_dir, 0, path, sizeof path);
    return ep_aof_writer_open(path, &cfg, w, err);
}

/* Prints the record's name and where it landed in the file. */
static ep_result named(ep_aof_writer *w, const char *name, ep_result r) {
    ep_aof_stats st;
    static uint64_t last = EP_AOF_HEADER_SIZE;
    if (r != EP_OK) return r;
    ep_aof_writer_stats(w, &st);
    printf("   %-40s bytes %4llu..%-4llu synced\n", name, (unsigned long long)last, (unsigned long long)st.size);
    last = st.size;
    return EP_OK;
}

static long file_size(const char *name) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Runs `ember-persist ARGS` (or only shows it without a tool). */
static void tool(const char *args, const char *why) {
    char cmd[1200];
    int st;
    printf("\n   $ ember-persist %s\n", args);
    if (!g_tool) return;
    fflush(stdout);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1 | sed 's/^/     /'", g_tool, args);
    st = system(cmd);
    (void)st;
    if (why) printf("     (%s)\n", why);
}

/* The bytes a record takes in an AOF: written once to an in-memory file. */
static int record_bytes(uint8_t *out, size_t cap, size_t *len) {
    ep_vfs *mem = NULL;
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    uint8_t *data = NULL;
    size_t n = 0;
    int ok = 0;
    if (ep_vfs_mem_create(NULL, &mem) != EP_OK) return 0;
    ep_aof_writer_config_init(&c);
    c.vfs = mem;
    if (ep_aof_writer_open("a.aof", &c, &w, NULL) == EP_OK && ep_aof_set(w, S("cart"), S("3 items"), -1) == EP_OK &&
        ep_aof_writer_close(w) == EP_OK && ep_vfs_read_all(mem, "a.aof", NULL, 4096, &data, &n, NULL) == EP_OK &&
        n - EP_AOF_HEADER_SIZE <= cap) {
        *len = n - EP_AOF_HEADER_SIZE;
        memcpy(out, data + EP_AOF_HEADER_SIZE, *len);
        ok = 1;
    }
    ep_free(NULL, data);
    ep_vfs_mem_free(mem);
    return ok;
}

/* DIR exists, without earlier shard-0 files and backups. */
static int fresh_dir(char *buf, size_t cap, const char *arg) {
    static const char *names[] = {"shard-0.aof", "shard-0.snap", "shard-0.snap.tmp"};
    char p[700];
    size_t i;
    if (!arg) {
        const char *tmp = getenv("TMPDIR");
        snprintf(buf, cap, "%s/ember-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        return mkdtemp(buf) != NULL;
    }
    snprintf(buf, cap, "%s", arg);
    mkdir(buf, 0700);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", buf, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "rm -f '%s'/shard-0.*.bak-* 2>/dev/null", buf);
    return system(p) >= 0;
}

int main(int argc, char **argv) {
    char dir[512], aof_path[600], args[1200];
    ep_aof_writer *w = NULL;
    ep_error err;
    ep_result r;
    ep_bytes list_vals[3] = {S("a"), S("b"), S("c")};
    ep_bytes fields[2] = {S("name"), S("lang")}, values[2] = {S("ember"), S("C")};
    ep_bytes members[2] = {S("alice"), S("bob")};
    double scores[2] = {100, 250.5};
    uint8_t torn[256];
    size_t torn_len = 0, cut;
    FILE *f;

    if (!fresh_dir(dir, sizeof dir, argc > 1 ? argv[1] : NULL)) return fail("make the data directory", EP_ERR_IO, NULL);
    g_dir = dir;
    g_tool = argc > 2 && access(argv[2], X_OK) == 0 ? argv[2] : NULL;
    ep_aof_path(dir, 0, aof_path, sizeof aof_path);
    printf("ember_persist.h %s: a shard's life, in %s\n", ep_version(), dir);

    printf("\n== 1. append: each call returns once its record is on disk (fsync=always)\n");
    if ((r = open_writer(&w, &err)) != EP_OK) return fail("open the AOF", r, &err);
    if ((r = named(w, "SET greeting \"hello\"", ep_aof_set(w, S("greeting"), S("hello"), -1))) ||
        (r = named(w, "RPUSH list a b", ep_aof_rpush(w, S("list"), list_vals, 2))) ||
        (r = named(w, "SET visits \"41\"", ep_aof_set(w, S("visits"), S("41"), -1))) ||
        (r = named(w, "INCR visits", ep_aof_incr(w, S("visits")))) ||
        (r = named(w, "HSET project name ember lang C", ep_aof_hset(w, S("project"), fields, values, 2))) ||
        (r = named(w, "ZADD scores 100 alice 250.5 bob", ep_aof_zadd(w, S("scores"), scores, members, 2))) ||
        (r = named(w, "SET session \"xyz\" PX 60000", ep_aof_set(w, S("session"), S("xyz"), 60000))))
        return fail("append", r, ep_aof_writer_error(w));
    ep_aof_writer_close(w);
    printf("   shard-0.aof: %ld bytes, 7 records, all acknowledged\n", file_size("shard-0.aof"));

    printf("\n== 2. the crash: power fails while SET cart \"3 items\" is being written\n");
    if (!record_bytes(torn, sizeof torn, &torn_len)) return fail("encode", EP_ERR_NOMEM, NULL);
    cut = torn_len / 2;
    f = fopen(aof_path, "ab");
    if (!f || fwrite(torn, 1, cut, f) != cut) return fail("write the torn record", EP_ERR_IO, NULL);
    fclose(f);
    printf("   %lu of its %lu bytes reached the disk; the call never returned, so it was never acknowledged\n",
           (unsigned long)cut, (unsigned long)torn_len);

    printf("\n== 3. what survived: recovery replays every whole record and stops at the torn one\n");
    if (recover_and_print(dir, "recovered keys", NULL)) return 1;

    printf("\n== 4. what the tool says\n");
    snprintf(args, sizeof args, "verify %s", aof_path);
    tool(args, "exit 1: a torn tail, what a crash leaves; nothing acknowledged is missing");
    snprintf(args, sizeof args, "repair %s 0", dir);
    tool(args, "the torn bytes are cut; the original is kept, synced, as the .bak file");
    snprintf(args, sizeof args, "verify %s", aof_path);
    tool(args, NULL);

    printf("\n== 5. life goes on: the writer reopens and appends\n");
    if ((r = open_writer(&w, &err)) != EP_OK) return fail("reopen the AOF", r, &err);
    if ((r = named(w, "RPUSH list c", ep_aof_rpush(w, S("list"), list_vals + 2, 1))) ||
        (r = named(w, "DEL greeting", ep_aof_del(w, S("greeting")))))
        return fail("append", r, ep_aof_writer_error(w));
    ep_aof_writer_close(w);
    snprintf(args, sizeof args, "compact %s 0", dir);
    tool(args, "the keys into a fresh snapshot, the AOF back to its 5-byte header, crash-safe at every step");
    snprintf(args, sizeof args, "recover %s 0", dir);
    tool(args, NULL);

    printf("\n== 6. the files are kept in %s:\n", dir);
    printf("   shard-0.snap %ld bytes, shard-0.aof %ld bytes, and the backup shard-0.aof.bak-<time>\n",
           file_size("shard-0.snap"), file_size("shard-0.aof"));
    printf("   look inside: %s dump %s/shard-0.snap   (or stats %s 0, info, --json)\n",
           g_tool ? g_tool : "ember-persist", dir, dir);
    return 0;
}
