/* The main demo (make demo): a shard's life in a few steps.
 *
 *  1. append records to shard-0.aof with fsync=always
 *  2. a crash tears the last record; recovery keeps everything before it
 *  3. reopening the writer trims the torn tail, appends go on
 *  4. a snapshot that leaves the AOF alone: nothing is applied twice
 *  5. a rewrite (snapshot + AOF reset), then recovery again
 *
 * Files go to a fresh directory under $TMPDIR (or /tmp), removed at the end
 * unless EP_DEMO_KEEP=1. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int open_writer(const char *dir, ep_aof_writer **w, ep_error *err) {
    char path[512];
    ep_aof_writer_config cfg;
    ep_aof_writer_config_init(&cfg);
    cfg.fsync = EP_FSYNC_ALWAYS;  /* every call returns only once its record is on disk */
    ep_aof_path(dir, 0, path, sizeof path);
    return ep_aof_writer_open(path, &cfg, w, err) ? 1 : 0;
}

static long file_size(const char *dir, const char *name) {
    char path[512];
    FILE *f;
    long n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fclose(f);
    return n;
}

int main(void) {
    char dir[256], aof_path[512];
    const char *tmp = getenv("TMPDIR");
    ep_aof_writer *w = NULL;
    ep_keyspace *ks = NULL;
    ep_error err;
    ep_result r;
    ep_bytes list_vals[2] = {S("a"), S("b")};
    ep_bytes fields[2] = {S("name"), S("lang")}, values[2] = {S("ember"), S("C")};
    ep_bytes members[2] = {S("alice"), S("bob")};
    double scores[2] = {100, 250.5};
    FILE *f;

    printf("ember_persist.h %s: a shard's life\n", ep_version());
    snprintf(dir, sizeof dir, "%s/ember-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return fail("mkdtemp", EP_ERR_IO, NULL);
    ep_aof_path(dir, 0, aof_path, sizeof aof_path);
    printf("data directory: %s\n", dir);

    /* 1. appends, each synced before the call returns */
    if (open_writer(dir, &w, &err)) return fail("open AOF", err.code, &err);
    if ((r = ep_aof_set(w, S("greeting"), S("hello"), -1)) ||
        (r = ep_aof_rpush(w, S("list"), list_vals, 2)) ||
        (r = ep_aof_set(w, S("visits"), S("41"), -1)) || (r = ep_aof_incr(w, S("visits"))) ||
        (r = ep_aof_hset(w, S("project"), fields, values, 2)) ||
        (r = ep_aof_zadd(w, S("scores"), scores, members, 2)) ||
        (r = ep_aof_set(w, S("session"), S("xyz"), 60000)))
        return fail("append", r, ep_aof_writer_error(w));
    ep_aof_writer_close(w);
    printf("\n1. appended 7 records (fsync=always): shard-0.aof is %ld bytes\n", file_size(dir, "shard-0.aof"));

    /* 2. a crash in the middle of writing one more record leaves a torn tail */
    f = fopen(aof_path, "ab");
    if (!f) return fail("open for tearing", EP_ERR_IO, NULL);
    fwrite("\x01\x03\x00\x00\x00ke", 1, 7, f);  /* the first 7 bytes of a SET record */
    fclose(f);
    printf("2. simulated a crash mid-record: 7 stray bytes at the end\n");
    if (recover_and_print(dir, "recovery after the crash", NULL)) return 1;

    /* 3. reopening the writer trims the torn tail; appends continue */
    if (open_writer(dir, &w, &err)) return fail("reopen AOF", err.code, &err);
    {
        ep_aof_stats st;
        ep_aof_writer_stats(w, &st);
        printf("\n3. writer reopened: trimmed %llu torn bytes, appending again\n",
               (unsigned long long)st.trimmed_bytes);
    }
    if ((r = ep_aof_rpush(w, S("list"), list_vals, 1)) || (r = ep_aof_del(w, S("greeting"))))
        return fail("append", r, ep_aof_writer_error(w));

    /* 4. a snapshot of the recovered state that leaves the AOF alone */
    ep_aof_writer_close(w);
    if (recover_and_print(dir, "state before the snapshot", &ks)) return 1;
    if (open_writer(dir, &w, &err)) return fail("reopen AOF", err.code, &err);
    r = ep_shard_snapshot(dir, 0, ks, w, NULL, &err);
    if (r) return fail("snapshot", r, &err);
    printf("\n4. snapshot written (shard-0.snap, %ld bytes); AOF untouched (%ld bytes)\n",
           file_size(dir, "shard-0.snap"), file_size(dir, "shard-0.aof"));
    if ((r = ep_aof_rpush(w, S("list"), list_vals + 1, 1))) return fail("append", r, ep_aof_writer_error(w));
    ep_aof_writer_close(w);
    ep_keyspace_free(ks);
    ks = NULL;
    if (recover_and_print(dir, "recovery: snapshot + only the AOF records after it (ember would apply "
                               "the RPUSHes twice)", &ks))
        return 1;

    /* 5. a rewrite: snapshot, then the AOF goes back to its 5-byte header */
    if (open_writer(dir, &w, &err)) return fail("reopen AOF", err.code, &err);
    r = ep_shard_rewrite(dir, 0, ks, w, NULL, &err);
    if (r) return fail("rewrite", r, &err);
    printf("\n5. rewrite done: shard-0.aof is %ld bytes, shard-0.snap %ld bytes\n", file_size(dir, "shard-0.aof"),
           file_size(dir, "shard-0.snap"));
    ep_aof_writer_close(w);
    ep_keyspace_free(ks);
    if (recover_and_print(dir, "recovery after the rewrite", NULL)) return 1;

    if (!getenv("EP_DEMO_KEEP") || strcmp(getenv("EP_DEMO_KEEP"), "1") != 0) {
        char p[600];
        snprintf(p, sizeof p, "%s/shard-0.aof", dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/shard-0.snap", dir);
        unlink(p);
        rmdir(dir);
    }
    printf("\ndone. `ember-persist dump --json FILE` shows any of these files record by record.\n");
    return 0;
}
