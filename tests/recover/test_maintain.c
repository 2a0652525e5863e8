/* maintain: ep_shard_compact and ep_shard_migrate (encrypt, rekey,
 * decrypt) keep the recovered state exactly, refuse while a writer holds
 * the lock or when the shard does not recover cleanly, keep byte-identical
 * backups, and under power loss at every vfs operation leave the old state
 * or the new one, whole: never a mix, never neither. */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"
#include "support/shard_fixture.h"
#include "support/sim_vfs.h"

#include <stdlib.h>

#define NREC 80

/* Shard 0 in "d": NREC random records, a snapshot halfway, all synced. */
static int build(ep_vfs *vfs, const ep_key *key, uint64_t seed) {
    ept_shard_spec s;
    ept_shard_spec_init(&s, seed, NREC);
    s.key = key;
    return ept_shard_build(vfs, &s);
}

/* The recovered state of shard 0 in "d" with key, or NULL. */
static char *state(ep_vfs *vfs, const ep_key *key) { return ept_shard_state(vfs, "d", 0, key); }

static void config(ep_maint_config *mc, ep_vfs *vfs, const ep_key *key, const ep_key *new_key) {
    ep_maint_config_init(mc);
    mc->vfs = vfs;
    mc->key = key;
    mc->new_key = new_key;
    mc->wall_clock_ms = ept_fixed_clock;
}

static int same(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

EPT_CASE(compact_keeps_the_state) {
    ep_vfs *vfs = NULL;
    ep_maint_config mc;
    ep_maint_report rep;
    ep_error err;
    char *before, *after;
    ep_key *k = ept_test_key(9);
    int round;
    for (round = 0; round < 2 && !ept_failed(); round++) {
        const ep_key *key = round ? k : NULL;
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
        EPT_CHECK(build(vfs, key, ept_seed() + (uint64_t)round));
        EPT_CHECK((before = state(vfs, key)) != NULL);
        config(&mc, vfs, key, NULL);
        EPT_CHECK_OK(ep_shard_compact("d", 0, &mc, &rep, &err));
        after = state(vfs, key);
        EPT_CHECK(same(before, after));
        EPT_CHECK_EQ(rep.new_aof_bytes, EP_AOF_HEADER_SIZE);
        EPT_CHECK(rep.old_aof_bytes > rep.new_aof_bytes);
        EPT_CHECK_EQ(rep.new_version, key ? 3 : 2);
        free(before);
        free(after);
        ep_vfs_mem_free(vfs);
    }
    ep_key_free(k);
}

EPT_CASE(refuses_locked_and_damaged) {
    ep_vfs *vfs = NULL;
    ep_maint_config mc;
    ep_maint_report rep;
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_error err;
    uint8_t *snap = NULL, *after = NULL;
    size_t n = 0, m = 0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK(build(vfs, NULL, 5));
    config(&mc, vfs, NULL, NULL);
    ep_aof_writer_config_init(&c);
    c.vfs = vfs;
    EPT_CHECK_OK(ep_aof_writer_open("d/shard-0.aof", &c, &w, NULL));
    EPT_CHECK_EQ(ep_shard_compact("d", 0, &mc, &rep, &err), EP_ERR_LOCKED);
    EPT_CHECK_EQ(ep_shard_migrate("d", 0, &mc, &rep, &err), EP_ERR_LOCKED);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    /* a snapshot that does not load: compacting would lose its keys */
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "d/shard-0.snap", NULL, 1 << 24, &snap, &n, NULL));
    snap[n / 2] ^= 1;
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "d/shard-0.snap", snap, n, NULL));
    EPT_CHECK_EQ(ep_shard_compact("d", 0, &mc, &rep, &err), EP_ERR_CORRUPT);
    EPT_CHECK(strstr(err.message, "snapshot") != NULL);
    EPT_CHECK_OK(ep_vfs_read_all(vfs, "d/shard-0.snap", NULL, 1 << 24, &after, &m, NULL));
    EPT_CHECK(m == n && memcmp(after, snap, n) == 0);
    EPT_CHECK_EQ(ep_shard_compact("none", 0, &mc, &rep, &err), EP_ERR_NOT_FOUND);
    ep_free(NULL, snap);
    ep_free(NULL, after);
    ep_vfs_mem_free(vfs);
}

static int file_eq(ep_vfs *vfs, const char *a, const char *b) {
    uint8_t *x = NULL, *y = NULL;
    size_t n = 0, m = 0;
    int ok = ep_vfs_read_all(vfs, a, NULL, 1 << 24, &x, &n, NULL) == EP_OK &&
             ep_vfs_read_all(vfs, b, NULL, 1 << 24, &y, &m, NULL) == EP_OK && n == m && memcmp(x, y, n) == 0;
    ep_free(NULL, x);
    ep_free(NULL, y);
    return ok;
}

EPT_CASE(migrate_encrypt_rekey_decrypt) {
    ep_vfs *vfs = NULL;
    ep_maint_config mc;
    ep_maint_report rep;
    ep_error err;
    ep_key *k1 = ept_test_key(1), *k2 = ept_test_key(2);
    const ep_key *chain[4];
    char *want, *got;
    int i;
    chain[0] = NULL;
    chain[1] = k1;
    chain[2] = k2;
    chain[3] = NULL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK(build(vfs, NULL, ept_seed()));
    EPT_CHECK((want = state(vfs, NULL)) != NULL);
    for (i = 0; i < 3 && !ept_failed(); i++) {
        char snap_copy[64], aof_copy[64], suffix[16];
        uint8_t *s0 = NULL, *a0 = NULL;
        size_t sn = 0, an = 0;
        snprintf(suffix, sizeof suffix, ".bak-%d", i);
        snprintf(snap_copy, sizeof snap_copy, "d/shard-0.snap%s", suffix);
        snprintf(aof_copy, sizeof aof_copy, "d/shard-0.aof%s", suffix);
        EPT_CHECK_OK(ep_vfs_read_all(vfs, "d/shard-0.snap", NULL, 1 << 24, &s0, &sn, NULL));
        EPT_CHECK_OK(ep_vfs_read_all(vfs, "d/shard-0.aof", NULL, 1 << 24, &a0, &an, NULL));
        config(&mc, vfs, chain[i], chain[i + 1]);
        mc.backup_suffix = suffix;
        EPT_CHECK_OK(ep_shard_migrate("d", 0, &mc, &rep, &err));
        EPT_CHECK_EQ(rep.backups, 2);
        EPT_CHECK_EQ(rep.new_version, chain[i + 1] ? 3 : 2);
        got = state(vfs, chain[i + 1]);
        EPT_CHECK(same(want, got));
        free(got);
        /* after a rekey the old key no longer reads it (a key is ignored for plaintext files) */
        if (chain[i] && chain[i + 1]) EPT_CHECK(state(vfs, chain[i]) == NULL);
        /* backups are the old files, byte for byte */
        {
            ep_vfs_write_all(vfs, "d/orig.snap", s0, sn, NULL);
            ep_vfs_write_all(vfs, "d/orig.aof", a0, an, NULL);
            EPT_CHECK(file_eq(vfs, "d/orig.snap", snap_copy));
            EPT_CHECK(file_eq(vfs, "d/orig.aof", aof_copy));
            vfs->remove(vfs, "d/orig.snap", NULL);
            vfs->remove(vfs, "d/orig.aof", NULL);
        }
        ep_free(NULL, s0);
        ep_free(NULL, a0);
    }
    /* migrating with the wrong current key refuses and changes nothing */
    config(&mc, vfs, k1, k2);
    EPT_CHECK(ep_shard_migrate("d", 0, &mc, &rep, &err) != EP_OK);
    got = state(vfs, NULL);
    EPT_CHECK(same(want, got));
    free(got);
    free(want);
    ep_key_free(k1);
    ep_key_free(k2);
    ep_vfs_mem_free(vfs);
}

/* Power loss at every operation of op (0 compact, 1 migrate) from key to
 * new_key: the state after each crash is the one before, read with key, or
 * (migrate) with new_key, and equal to it. */
static void crash_everywhere(int op, const ep_key *key, const ep_key *new_key) {
    uint64_t seed = ept_seed(), k, total;
    ep_vfs *vfs = NULL;
    ep_maint_config mc;
    ep_maint_report rep;
    char *want;
    int olds = 0, news = 0;
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    EPT_CHECK(build(vfs, key, seed));
    EPT_CHECK((want = state(vfs, key)) != NULL);
    total = sim_vfs_op_count(vfs);
    sim_vfs_destroy(vfs);
    for (k = 0; !ept_failed(); k++) {
        ep_result r;
        char *a, *b;
        int done;
        EPT_CHECK_OK(sim_vfs_create(&vfs));
        EPT_CHECK(build(vfs, key, seed));
        config(&mc, vfs, key, op ? new_key : NULL);
        sim_vfs_set_crash_after(vfs, k);
        r = op ? ep_shard_migrate("d", 0, &mc, &rep, NULL) : ep_shard_compact("d", 0, &mc, &rep, NULL);
        done = !sim_vfs_is_dead(vfs);
        if (done) EPT_CHECK_OK(r);
        sim_crash(vfs, seed ^ (k * 0x9e3779b97f4a7c15ull));
        a = state(vfs, key);
        b = op ? state(vfs, new_key) : NULL;
        if (same(want, a)) olds++;
        else if (same(want, b)) news++;
        else {
            printf("    crash after %llu operations: neither the old nor the new state\n%s\n---\n%s\n",
                   (unsigned long long)k, a ? a : "(old key: does not recover)", b ? b : "(new key: does not recover)");
            EPT_EXPECT(0);
        }
        free(a);
        free(b);
        sim_vfs_destroy(vfs);
        if (done) break;
    }
    printf("    %llu operations to build, %llu in the %s; crashes: %d read with the old key, %d with the new\n",
           (unsigned long long)total, (unsigned long long)k, op ? "migration" : "compaction", olds, news);
    free(want);
}

EPT_CASE(power_loss_compact) {
    ep_key *k = ept_test_key(4);
    crash_everywhere(0, NULL, NULL);
    crash_everywhere(0, k, NULL);
    ep_key_free(k);
}

EPT_CASE(power_loss_encrypt_rekey_decrypt) {
    ep_key *k1 = ept_test_key(1), *k2 = ept_test_key(2);
    crash_everywhere(1, NULL, k1);
    crash_everywhere(1, k1, k2);
    crash_everywhere(1, k2, NULL);
    ep_key_free(k1);
    ep_key_free(k2);
}

/* The destination's state (shard 7 in e/), or NULL. */
static char *dst_state(ep_vfs *vfs, const ep_key *key) { return ept_shard_snapshot_state(vfs, "e", 7, key); }

EPT_CASE(copy_to_another_shard) {
    ep_vfs *vfs = NULL;
    ep_maint_config mc;
    ep_maint_report rep;
    ep_error err;
    ep_key *k = ept_test_key(3);
    char *want, *got;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK(build(vfs, NULL, ept_seed()));
    EPT_CHECK((want = state(vfs, NULL)) != NULL);
    config(&mc, vfs, NULL, k);
    EPT_CHECK_OK(ep_shard_copy("d", 0, "e", 7, &mc, &rep, &err));
    EPT_CHECK_EQ(rep.new_version, 3);
    got = dst_state(vfs, k);
    EPT_CHECK(same(want, got));
    free(got);
    EPT_CHECK_EQ(ep_shard_copy("d", 0, "e", 7, &mc, &rep, &err), EP_ERR_EXISTS);
    got = state(vfs, NULL); /* the source is unchanged */
    EPT_CHECK(same(want, got));
    free(got);
    free(want);
    ep_key_free(k);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(power_loss_copy) {
    uint64_t seed = ept_seed(), k;
    ep_vfs *vfs = NULL;
    ep_maint_config mc;
    ep_maint_report rep;
    char *want, *src;
    int absent = 0, whole = 0;
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    EPT_CHECK(build(vfs, NULL, seed));
    EPT_CHECK((want = state(vfs, NULL)) != NULL);
    sim_vfs_destroy(vfs);
    for (k = 0; !ept_failed(); k++) {
        char *got;
        int done;
        ep_result r;
        EPT_CHECK_OK(sim_vfs_create(&vfs));
        EPT_CHECK(build(vfs, NULL, seed));
        config(&mc, vfs, NULL, NULL);
        sim_vfs_set_crash_after(vfs, k);
        r = ep_shard_copy("d", 0, "e", 7, &mc, &rep, NULL);
        done = !sim_vfs_is_dead(vfs);
        if (done) EPT_CHECK_OK(r);
        sim_crash(vfs, seed + k);
        got = dst_state(vfs, NULL);
        if (!got) {
            absent++;
            EPT_EXPECT(!done); /* a finished copy is durable */
            EPT_EXPECT(!sim_vfs_exists(vfs, "e/shard-7.snap")); /* no half snapshot under the name */
        } else if (same(want, got)) {
            whole++;
        } else {
            EPT_EXPECT(0);
        }
        src = state(vfs, NULL);
        EPT_EXPECT(same(want, src)); /* the source is never touched */
        free(src);
        free(got);
        sim_vfs_destroy(vfs);
        if (done) break;
    }
    printf("    %llu operations; crashes: %d without the copy, %d with all of it\n", (unsigned long long)k, absent, whole);
    EPT_CHECK(whole > 0);
    free(want);
}

EPT_MAIN()
