/* The power-loss simulator behaves as documented in tests/support/sim_vfs.h. */
#include "ember_persist.h"
#include "harness.h"
#include "support/sim_vfs.h"
#include "support/vfs_conformance.h"

#include <stdlib.h>
#include <string.h>

/* Content of path, or NULL (len 0) if it does not exist; free() it. */
static uint8_t *slurp(ep_vfs *v, const char *path, size_t *len) {
    uint8_t *d = NULL;
    if (sim_vfs_read_file(v, path, &d, len) != EP_OK) return NULL;
    return d;
}

static int has_content(ep_vfs *v, const char *path, const char *want) {
    size_t len = 0;
    uint8_t *d = slurp(v, path, &len);
    int ok = d && len == strlen(want) && memcmp(d, want, len) == 0;
    free(d);
    return ok;
}

/* Writes and syncs a file and its directory entry. */
static ep_result put_durable(ep_vfs *v, const char *dir, const char *path, const char *text) {
    ep_file *f = NULL;
    ep_result r = v->open(v, path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, NULL);
    if (r != EP_OK) return r;
    r = v->write(v, f, 0, text, strlen(text), NULL);
    if (r == EP_OK) r = v->sync(v, f, NULL);
    v->close(v, f, NULL);
    if (r == EP_OK) r = v->sync_dir(v, dir, NULL);
    return r;
}

EPT_CASE(sim_is_a_conforming_vfs_before_a_crash) {
    ep_vfs *v = NULL;
    EPT_CHECK_OK(sim_vfs_create(&v));
    vfs_conformance_run(v, "");
    EPT_CHECK_OK(v->mkdir(v, "/abs", NULL));
    vfs_conformance_run(v, "/abs");
    sim_vfs_destroy(v);
}

EPT_CASE(sim_synced_data_survives_every_crash) {
    uint64_t seed = ept_seed(), i, n = (uint64_t)ept_scale(300, 10);
    for (i = 0; i < n; i++) {
        ep_vfs *v = NULL;
        ep_file *f = NULL;
        size_t len = 0;
        uint8_t *d;
        EPT_CHECK_OK(sim_vfs_create(&v));
        EPT_CHECK_OK(v->mkdir(v, "db", NULL));
        EPT_CHECK_OK(v->sync_dir(v, "", NULL));
        EPT_CHECK_OK(put_durable(v, "db", "db/a", "synced-part"));
        /* More, unsynced: appended, so it never touches the synced bytes. */
        EPT_CHECK_OK(v->open(v, "db/a", EP_OPEN_WRITE, &f, NULL));
        EPT_CHECK_OK(v->write(v, f, 11, "+tail1", 6, NULL));
        EPT_CHECK_OK(v->write(v, f, 17, "+tail2", 6, NULL));
        sim_crash(v, seed + i);
        d = slurp(v, "db/a", &len);
        EPT_CHECK(d != NULL);
        EPT_CHECK(len >= 11 && len <= 23);
        EPT_CHECK_MEM(d, "synced-part", 11);
        free(d);
        EPT_CHECK_EQ(v->close(v, f, NULL), EP_ERR_IO); /* the handle died; close frees it */
        sim_vfs_destroy(v);
    }
}

EPT_CASE(sim_each_outcome_occurs_and_matches_its_description) {
    static const char full[] = "base|one|two|three";
    uint64_t seed = ept_seed(), i, n = (uint64_t)ept_scale(400, 4), total[SIM_OUTCOME_COUNT];
    int seen[SIM_OUTCOME_COUNT] = {0, 0, 0, 0, 0}, o;
    for (i = 0; i < n; i++) {
        ep_vfs *v = NULL;
        ep_file *f = NULL;
        size_t len = 0;
        uint8_t *d;
        int out;
        EPT_CHECK_OK(sim_vfs_create(&v));
        EPT_CHECK_OK(put_durable(v, "", "f", "base"));
        EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE, &f, NULL));
        EPT_CHECK_OK(v->write(v, f, 4, "|one", 4, NULL));
        EPT_CHECK_OK(v->write(v, f, 8, "|two", 4, NULL));
        EPT_CHECK_OK(v->write(v, f, 12, "|three", 6, NULL));
        EPT_CHECK_OK(v->close(v, f, NULL));
        sim_crash(v, seed * 31u + i);
        out = sim_vfs_last_outcome(v, "f");
        EPT_CHECK(out >= SIM_OUTCOME_ALL && out <= SIM_OUTCOME_GARBAGE);
        seen[out]++;
        d = slurp(v, "f", &len);
        EPT_CHECK(d != NULL);
        switch (out) {
        case SIM_OUTCOME_ALL:
            EPT_CHECK_EQ(len, 18);
            EPT_CHECK_MEM(d, full, 18);
            break;
        case SIM_OUTCOME_NONE:
            EPT_CHECK_EQ(len, 4);
            EPT_CHECK_MEM(d, "base", 4);
            break;
        case SIM_OUTCOME_TORN: /* a strict prefix of the full content, never shorter than the synced part */
            EPT_CHECK(len >= 4 && len < 18);
            EPT_CHECK_MEM(d, full, len);
            break;
        case SIM_OUTCOME_GARBAGE: /* full length, synced part intact */
            EPT_CHECK_EQ(len, 18);
            EPT_CHECK_MEM(d, "base", 4);
            break;
        }
        free(d);
        sim_vfs_destroy(v);
    }
    for (o = SIM_OUTCOME_ALL; o <= SIM_OUTCOME_GARBAGE; o++) {
        if (!seen[o]) printf("    outcome %d never happened in %llu crashes\n", o, (unsigned long long)n);
        EPT_CHECK(seen[o] > 0);
    }
    /* The counters add up across crashes of one simulator too. */
    {
        ep_vfs *v = NULL;
        ep_file *f = NULL;
        EPT_CHECK_OK(sim_vfs_create(&v));
        for (i = 0; i < 40; i++) {
            EPT_CHECK_OK(v->open(v, "g", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
            EPT_CHECK_OK(v->write(v, f, 0, "xy", 2, NULL));
            EPT_CHECK_OK(v->sync_dir(v, "", NULL));
            sim_crash(v, seed + i);
        }
        sim_vfs_outcome_counts(v, total);
        EPT_CHECK_EQ(total[1] + total[2] + total[3] + total[4], 40);
        EPT_CHECK_EQ(sim_vfs_crash_count(v), 40);
        sim_vfs_destroy(v);
    }
}

EPT_CASE(sim_forced_outcomes) {
    ep_vfs *v = NULL;
    ep_file *f = NULL;
    sim_crash_opts o;
    size_t len = 0;
    uint8_t *d;
    EPT_CHECK_OK(sim_vfs_create(&v));
    EPT_CHECK_OK(put_durable(v, "", "f", "abc"));
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE, &f, NULL));
    EPT_CHECK_OK(v->write(v, f, 3, "def", 3, NULL));
    o.file_outcome = SIM_OUTCOME_ALL;
    o.dir_changes = SIM_DIR_KEEP_ALL;
    sim_crash_ex(v, 1, &o);
    EPT_CHECK(has_content(v, "f", "abcdef"));
    EPT_CHECK_EQ(sim_vfs_last_outcome(v, "f"), SIM_OUTCOME_ALL);
    v->close(v, f, NULL);
    /* After the crash the content is durable: another crash keeps it (CLEAN). */
    sim_crash(v, 2);
    EPT_CHECK(has_content(v, "f", "abcdef"));
    EPT_CHECK_EQ(sim_vfs_last_outcome(v, "f"), SIM_OUTCOME_CLEAN);
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE, &f, NULL));
    EPT_CHECK_OK(v->write(v, f, 0, "XYZ", 3, NULL));
    o.file_outcome = SIM_OUTCOME_GARBAGE;
    sim_crash_ex(v, 3, &o);
    d = slurp(v, "f", &len);
    EPT_CHECK(d != NULL);
    EPT_CHECK_EQ(len, 6);
    EPT_CHECK_MEM(d + 3, "def", 3); /* only the unsynced write's bytes are garbage */
    free(d);
    v->close(v, f, NULL);
    sim_vfs_destroy(v);
}

EPT_CASE(sim_unsynced_create_can_vanish_synced_dir_keeps_it) {
    uint64_t seed = ept_seed(), i, n = (uint64_t)ept_scale(100, 5);
    int gone = 0, kept = 0;
    for (i = 0; i < n; i++) {
        ep_vfs *v = NULL;
        ep_file *f = NULL;
        EPT_CHECK_OK(sim_vfs_create(&v));
        EPT_CHECK_OK(v->open(v, "new", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
        EPT_CHECK_OK(v->write(v, f, 0, "data", 4, NULL));
        EPT_CHECK_OK(v->sync(v, f, NULL)); /* content durable, the name is not */
        EPT_CHECK_OK(v->close(v, f, NULL));
        sim_crash(v, seed + i);
        if (sim_vfs_exists(v, "new")) {
            kept++;
            EPT_CHECK(has_content(v, "new", "data"));
        } else {
            gone++;
            EPT_CHECK_EQ(v->stat(v, "new", NULL, NULL), EP_ERR_NOT_FOUND);
        }
        /* Same again with the directory synced: always there. */
        EPT_CHECK_OK(put_durable(v, "", "safe", "kept"));
        sim_crash(v, seed + i + 1000);
        EPT_CHECK(has_content(v, "safe", "kept"));
        sim_vfs_destroy(v);
    }
    EPT_CHECK(gone > 0);
    EPT_CHECK(kept > 0);
}

EPT_CASE(sim_unsynced_rename_can_revert) {
    uint64_t seed = ept_seed(), i, n = (uint64_t)ept_scale(100, 5);
    int reverted = 0, kept = 0;
    for (i = 0; i < n; i++) {
        ep_vfs *v = NULL;
        EPT_CHECK_OK(sim_vfs_create(&v));
        EPT_CHECK_OK(put_durable(v, "", "final", "old"));
        EPT_CHECK_OK(put_durable(v, "", "tmp", "new"));
        EPT_CHECK_OK(v->rename(v, "tmp", "final", NULL));
        sim_crash(v, seed + i);
        if (has_content(v, "final", "old")) {
            reverted++;
            EPT_CHECK(has_content(v, "tmp", "new")); /* the old name is back */
        } else {
            kept++;
            EPT_CHECK(has_content(v, "final", "new"));
            EPT_CHECK(!sim_vfs_exists(v, "tmp"));
        }
        /* With the directory synced after the rename it cannot revert. */
        EPT_CHECK_OK(put_durable(v, "", "tmp2", "newer"));
        EPT_CHECK_OK(v->rename(v, "tmp2", "final", NULL));
        EPT_CHECK_OK(v->sync_dir(v, "", NULL));
        sim_crash(v, seed + i + 7);
        EPT_CHECK(has_content(v, "final", "newer"));
        EPT_CHECK(!sim_vfs_exists(v, "tmp2"));
        sim_vfs_destroy(v);
    }
    EPT_CHECK(reverted > 0);
    EPT_CHECK(kept > 0);
}

EPT_CASE(sim_unsynced_remove_and_truncate_can_revert) {
    uint64_t seed = ept_seed(), i, n = (uint64_t)ept_scale(100, 5);
    int back = 0, gone = 0, long_ = 0, short_ = 0;
    for (i = 0; i < n; i++) {
        ep_vfs *v = NULL;
        ep_file *f = NULL;
        EPT_CHECK_OK(sim_vfs_create(&v));
        EPT_CHECK_OK(put_durable(v, "", "victim", "still here"));
        EPT_CHECK_OK(put_durable(v, "", "t", "abcdef"));
        EPT_CHECK_OK(v->remove(v, "victim", NULL));
        EPT_CHECK_OK(v->open(v, "t", EP_OPEN_WRITE, &f, NULL));
        EPT_CHECK_OK(v->truncate(v, f, 2, NULL));
        EPT_CHECK_OK(v->close(v, f, NULL));
        sim_crash(v, seed + i);
        if (sim_vfs_exists(v, "victim")) {
            back++;
            EPT_CHECK(has_content(v, "victim", "still here"));
        } else {
            gone++;
        }
        if (has_content(v, "t", "abcdef")) long_++;
        else if (has_content(v, "t", "ab")) short_++;
        else EPT_CHECK(0);
        sim_vfs_destroy(v);
    }
    EPT_CHECK(back > 0 && gone > 0);
    EPT_CHECK(long_ > 0 && short_ > 0);
}

EPT_CASE(sim_reverted_mkdir_takes_its_files) {
    uint64_t seed = ept_seed(), i;
    int gone = 0, kept = 0;
    for (i = 0; i < 60; i++) {
        ep_vfs *v = NULL;
        EPT_CHECK_OK(sim_vfs_create(&v));
        EPT_CHECK_OK(v->mkdir(v, "d", NULL));              /* parent not synced */
        EPT_CHECK_OK(put_durable(v, "d", "d/f", "inside")); /* d itself synced */
        sim_crash(v, seed + i);
        if (sim_vfs_exists(v, "d")) {
            kept++;
            EPT_CHECK(has_content(v, "d/f", "inside"));
        } else {
            gone++;
            EPT_CHECK(!sim_vfs_exists(v, "d/f"));
        }
        sim_vfs_destroy(v);
    }
    EPT_CHECK(gone > 0 && kept > 0);
}

EPT_CASE(sim_rename_between_directories) {
    uint64_t seed = ept_seed(), i;
    int shapes[4] = {0, 0, 0, 0}; /* bit 0: under a/, bit 1: under b/ */
    for (i = 0; i < 80; i++) {
        ep_vfs *v = NULL;
        int where;
        EPT_CHECK_OK(sim_vfs_create(&v));
        EPT_CHECK_OK(v->mkdir(v, "a", NULL));
        EPT_CHECK_OK(v->mkdir(v, "b", NULL));
        EPT_CHECK_OK(v->sync_dir(v, "", NULL));
        EPT_CHECK_OK(put_durable(v, "a", "a/f", "moving"));
        EPT_CHECK_OK(v->rename(v, "a/f", "b/f", NULL));
        sim_crash(v, seed + i);
        /* Each directory's half is independent; the content is intact wherever it is. */
        where = sim_vfs_exists(v, "a/f") | (sim_vfs_exists(v, "b/f") << 1);
        shapes[where]++;
        if (where & 1) EPT_CHECK(has_content(v, "a/f", "moving"));
        if (where & 2) EPT_CHECK(has_content(v, "b/f", "moving"));
        /* With both directories synced the move is final. */
        EPT_CHECK_OK(put_durable(v, "a", "a/g", "moved"));
        EPT_CHECK_OK(v->rename(v, "a/g", "b/g", NULL));
        EPT_CHECK_OK(v->sync_dir(v, "b", NULL));
        EPT_CHECK_OK(v->sync_dir(v, "a", NULL));
        sim_crash(v, seed + i + 99);
        EPT_CHECK(!sim_vfs_exists(v, "a/g"));
        EPT_CHECK(has_content(v, "b/g", "moved"));
        sim_vfs_destroy(v);
    }
    EPT_CHECK(shapes[1] > 0 && shapes[2] > 0); /* reverted, and kept */
}

EPT_CASE(sim_handles_are_dead_after_a_crash) {
    ep_vfs *v = NULL;
    ep_file *f = NULL, *g = NULL;
    uint8_t buf[4];
    size_t got = 9;
    uint64_t sz = 9;
    EPT_CHECK_OK(sim_vfs_create(&v));
    EPT_CHECK_OK(put_durable(v, "", "f", "abc"));
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE, &f, NULL));
    EPT_CHECK_OK(v->lock(v, f, NULL));
    sim_crash(v, 5);
    EPT_CHECK_EQ(v->read(v, f, 0, buf, 3, &got, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(got, 0);
    EPT_CHECK_EQ(v->write(v, f, 0, "x", 1, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(v->size(v, f, &sz, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(v->sync(v, f, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(v->truncate(v, f, 0, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(v->lock(v, f, NULL), EP_ERR_IO);
    /* The rebooted machine works, and the dead handle's lock is gone. */
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE, &g, NULL));
    EPT_CHECK_OK(v->lock(v, g, NULL));
    EPT_CHECK_OK(v->read(v, g, 0, buf, 3, &got, NULL));
    EPT_CHECK_MEM(buf, "abc", 3);
    EPT_CHECK_EQ(v->close(v, f, NULL), EP_ERR_IO);
    EPT_CHECK_OK(v->close(v, g, NULL));
    sim_vfs_destroy(v);
}

EPT_CASE(sim_crash_after_k_operations) {
    ep_vfs *v = NULL;
    ep_file *f = NULL;
    uint64_t before;
    size_t files = 9, dcs = 9;
    EPT_CHECK_OK(sim_vfs_create(&v));
    before = sim_vfs_op_count(v);
    EPT_CHECK_EQ(before, 0);
    sim_vfs_set_crash_after(v, 2);
    EPT_CHECK_OK(v->open(v, "f", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL)); /* op 1 */
    EPT_CHECK_OK(v->write(v, f, 0, "a", 1, NULL));                         /* op 2 */
    EPT_CHECK(!sim_vfs_is_dead(v));
    EPT_CHECK_EQ(v->sync(v, f, NULL), EP_ERR_IO);                          /* op 3: the wall */
    EPT_CHECK(sim_vfs_is_dead(v));
    EPT_CHECK_EQ(v->stat(v, "f", NULL, NULL), EP_ERR_IO);
    EPT_CHECK_EQ(v->mkdir(v, "d", NULL), EP_ERR_IO);
    EPT_CHECK_EQ(sim_vfs_op_count(v), 5);
    sim_vfs_pending(v, &files, &dcs);
    EPT_CHECK_EQ(files, 1);
    EPT_CHECK_EQ(dcs, 1);
    EPT_CHECK(sim_vfs_exists(v, "f")); /* test accessors work on a dead machine */
    sim_crash(v, 1);
    EPT_CHECK(!sim_vfs_is_dead(v));
    EPT_CHECK_OK(v->mkdir(v, "d", NULL));
    sim_vfs_pending(v, &files, &dcs);
    EPT_CHECK_EQ(files, 0);
    EPT_CHECK_EQ(dcs, 1);
    EPT_CHECK_EQ(v->close(v, f, NULL), EP_ERR_IO);
    sim_vfs_destroy(v);
}

/* Replace "cfg" with new content the safe way (or, with sloppy set, without
 * syncing the file before the rename). Returns the first failure. */
static ep_result replace_file(ep_vfs *v, const char *text, int sloppy) {
    ep_file *f = NULL;
    ep_result r = v->open(v, "cfg.tmp", EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, NULL);
    if (r != EP_OK) return r;
    r = v->write(v, f, 0, text, strlen(text), NULL);
    if (r == EP_OK && !sloppy) r = v->sync(v, f, NULL);
    if (r == EP_OK) r = v->close(v, f, NULL);
    else v->close(v, f, NULL);
    if (r == EP_OK) r = v->rename(v, "cfg.tmp", "cfg", NULL);
    if (r == EP_OK) r = v->sync_dir(v, "", NULL);
    return r;
}

/* Crash at every operation of the replace, many seeds each: the safe
 * protocol always leaves the old or the new content; the sloppy one is
 * caught leaving something else. */
static int replace_crash_sweep(int sloppy, uint64_t seed, int *bad_out) {
    static const char old_text[] = "version-1 of the config";
    static const char new_text[] = "version-2 of the config, longer";
    ep_vfs *v = NULL;
    uint64_t total, k, s;
    int bad = 0, saw_new = 0;
    sim_vfs_create(&v);
    put_durable(v, "", "cfg", old_text);
    total = sim_vfs_op_count(v);
    replace_file(v, new_text, sloppy);
    total = sim_vfs_op_count(v) - total;
    sim_vfs_destroy(v);
    for (k = 0; k <= total; k++) {
        for (s = 0; s < 16; s++) {
            ep_result r;
            sim_vfs_create(&v);
            put_durable(v, "", "cfg", old_text);
            sim_vfs_set_crash_after(v, k);
            r = replace_file(v, new_text, sloppy);
            if (k < total && r != EP_ERR_IO) bad += 1000; /* it must hit the wall */
            sim_crash(v, seed + k * 100u + s);
            if (has_content(v, "cfg", new_text)) saw_new = 1;
            else if (!has_content(v, "cfg", old_text)) bad++;
            sim_vfs_destroy(v);
        }
    }
    *bad_out = bad;
    return saw_new;
}

EPT_CASE(sim_crash_at_every_operation_of_an_atomic_replace) {
    int bad = 0;
    uint64_t seed = ept_seed();
    EPT_CHECK(replace_crash_sweep(0, seed, &bad));
    EPT_CHECK_EQ(bad, 0);
    replace_crash_sweep(1, seed, &bad);
    EPT_CHECK(bad > 0); /* rename before sync: the simulator finds the lost data */
}

EPT_MAIN()
