/* Power loss (tests/support/sim_vfs) at every vfs operation of the library
 * calls behind the tool's repair, compact and encrypt/rekey/decrypt, run the
 * way the tool runs them: repair in each of its modes (a torn tail trimmed,
 * --force, --force --salvage), plaintext and encrypted, with the backup;
 * migrations with backup copies (the tool always asks for them). After each
 * crash, under three crash models (outcomes by the seed; every unsynced
 * change kept; every unsynced change lost), the shard is the old one or the
 * new one, whole, never a mix and never neither; both outcomes are seen; a
 * backup that exists is byte-identical to the file it copies.
 *
 * tests/file/test_repair.c and tests/recover/test_maintain.c cover salvage
 * and migrations without backups under random crashes; this adds what the
 * tool does beyond them. */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"
#include "support/shard_fixture.h"
#include "support/sim_vfs.h"

#include <stdlib.h>

#define AOF "d/shard-0.aof"
#define SNAP "d/shard-0.snap"
#define BAK_AOF "d/shard-0.aof.bak-t"
#define BAK_SNAP "d/shard-0.snap.bak-t"
#define NREC 40

/* The three crash models a case runs at every operation. */
static void crash(ep_vfs *v, uint64_t seed, int model) {
    sim_crash_opts o;
    o.file_outcome = -1;
    o.dir_changes = SIM_DIR_RANDOM;
    if (model == 1) o.file_outcome = SIM_OUTCOME_ALL, o.dir_changes = SIM_DIR_KEEP_ALL;
    if (model == 2) o.file_outcome = SIM_OUTCOME_NONE, o.dir_changes = SIM_DIR_REVERT_ALL;
    sim_crash_ex(v, seed, &o);
}

static const char *const model_names[] = {"random outcomes", "all kept", "all lost"};

static int same_bytes(ep_vfs *v, const char *path, const uint8_t *want, size_t n) {
    uint8_t *got = NULL;
    size_t gn = 0;
    int ok = sim_vfs_read_file(v, path, &got, &gn) == EP_OK && gn == n && memcmp(got, want, n) == 0;
    free(got);
    return ok;
}

/* ---- repair ------------------------------------------------------------- */

/* An AOF of NREC SETs (with key, if any), made durable on a new sim
 * machine, damaged by damage(); NULL on failure. */
typedef struct damaged {
    uint8_t *data;
    size_t len;
} damaged;

static int write_aof(const ep_key *key, damaged *out, uint64_t *ends) {
    ep_vfs *v = NULL;
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_aof_stats st;
    char k[32], val[64];
    int i, ok = 1;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) return 0;
    v->mkdir(v, "d", NULL);
    ep_aof_writer_config_init(&c);
    c.vfs = v;
    c.key = key;
    c.fsync = EP_FSYNC_NO;
    if (ep_aof_writer_open(AOF, &c, &w, NULL) != EP_OK) return 0;
    for (i = 0; i < NREC; i++) {
        snprintf(k, sizeof k, "key:%d", i);
        snprintf(val, sizeof val, "value %d", i * 37);
        ok &= ep_aof_set(w, ep_bytes_str(k), ep_bytes_str(val), -1) == EP_OK;
        ep_aof_writer_stats(w, &st);
        ends[i] = st.size;
    }
    ok &= ep_aof_writer_close(w) == EP_OK;
    ok &= ep_vfs_read_all(v, AOF, NULL, 1 << 20, &out->data, &out->len, NULL) == EP_OK;
    ep_vfs_mem_free(v);
    return ok;
}

static ep_vfs *machine_with(const uint8_t *aof, size_t aof_len) {
    ep_vfs *v = NULL;
    ep_file *f = NULL;
    if (sim_vfs_create(&v) != EP_OK) return NULL;
    if (v->mkdir(v, "d", NULL) || ep_vfs_write_all(v, AOF, aof, aof_len, NULL) ||
        v->open(v, AOF, EP_OPEN_WRITE, &f, NULL) || v->sync(v, f, NULL) || v->close(v, f, NULL) ||
        v->sync_dir(v, ".", NULL) || v->sync_dir(v, "d", NULL)) {
        sim_vfs_destroy(v);
        return NULL;
    }
    return v;
}

static ep_result repair(ep_vfs *v, const ep_key *key, int mode, ep_aof_repair_report *rep) {
    ep_aof_repair_config c;
    ep_aof_repair_config_init(&c);
    c.vfs = v;
    c.key = key;
    c.force = mode >= 1;
    c.salvage = mode == 2;
    c.backup_path = BAK_AOF;
    return ep_aof_repair(AOF, &c, rep, NULL);
}

/* mode 0: a torn tail (no --force); 1: --force over a flipped byte; 2: --force --salvage. */
static void repair_everywhere(const ep_key *key, int mode) {
    damaged g;
    uint64_t ends[NREC], seed = ept_seed(), k;
    uint8_t *bad, *want = NULL;
    size_t bad_len, want_len = 0;
    int model;
    ep_aof_repair_report rep;
    ep_vfs *v;
    EPT_CHECK(write_aof(key, &g, ends));
    bad = (uint8_t *)malloc(g.len);
    memcpy(bad, g.data, g.len);
    if (mode == 0) {
        bad_len = (size_t)ends[NREC - 2] + 7; /* the last record cut after 7 bytes */
    } else {
        bad_len = g.len;
        bad[ends[NREC / 2] + 9] ^= 0x20; /* inside record NREC/2 + 1 */
    }
    /* the new state: the no-crash result */
    EPT_CHECK((v = machine_with(bad, bad_len)) != NULL);
    EPT_CHECK_OK(repair(v, key, mode, &rep));
    EPT_CHECK(rep.written);
    EPT_CHECK_EQ(rep.records_kept, mode == 0 ? NREC - 1 : mode == 1 ? NREC / 2 + 1 : NREC - 1);
    EPT_CHECK_OK(sim_vfs_read_file(v, AOF, &want, &want_len));
    EPT_CHECK(memcmp(want, g.data, (size_t)ends[mode == 0 ? NREC - 2 : NREC / 2]) == 0); /* nothing before the damage lost */
    sim_vfs_destroy(v);
    for (model = 0; model < 3 && !ept_failed(); model++) {
        int olds = 0, news = 0, backups = 0;
        for (k = 0; !ept_failed(); k++) {
            ep_result r;
            int done;
            uint8_t *b = NULL;
            size_t bn = 0;
            EPT_CHECK((v = machine_with(bad, bad_len)) != NULL);
            sim_vfs_set_crash_after(v, k);
            r = repair(v, key, mode, &rep);
            done = !sim_vfs_is_dead(v);
            if (done) EPT_CHECK_OK(r);
            crash(v, seed + k * 7919 + (uint64_t)model, model);
            if (same_bytes(v, AOF, bad, bad_len)) {
                olds++;
            } else if (same_bytes(v, AOF, want, want_len)) {
                news++;
            } else {
                printf("    mode %d, %s, crash after %llu operations: the AOF is neither the damaged one nor the repaired one\n",
                       mode, model_names[model], (unsigned long long)k);
                EPT_EXPECT(0);
            }
            if (sim_vfs_read_file(v, BAK_AOF, &b, &bn) == EP_OK) {
                /* a backup under its name is the whole original */
                if (!(bn == bad_len && memcmp(b, bad, bn) == 0))
                    printf("    mode %d, %s, crash after %llu operations: a backup of %zu bytes, not the %zu of the original\n",
                           mode, model_names[model], (unsigned long long)k, bn, bad_len);
                EPT_EXPECT(bn == bad_len && memcmp(b, bad, bn) == 0);
                backups++;
                free(b);
            }
            sim_vfs_destroy(v);
            if (done) break;
        }
        printf("    repair mode %d%s, %s: %llu operations; crashes left %d the damaged file, %d the repaired one (%d with a backup)\n",
               mode, key ? " (encrypted)" : "", model_names[model], (unsigned long long)k, olds, news, backups);
        EPT_EXPECT(news > 0);
        EPT_EXPECT(olds > 0 || model == 1);
    }
    free(want);
    free(bad);
    ep_free(NULL, g.data);
}

EPT_CASE(repair_trim_torn_tail) { repair_everywhere(NULL, 0); }
EPT_CASE(repair_force) { repair_everywhere(NULL, 1); }
EPT_CASE(repair_force_salvage) { repair_everywhere(NULL, 2); }
EPT_CASE(repair_encrypted) {
    ep_key *k = ept_test_key(3);
    repair_everywhere(k, 0);
    repair_everywhere(k, 2);
    ep_key_free(k);
}

/* ---- compact and migrations ------------------------------------------------- */

/* The state of shard 0 in d/ with key, or NULL (ept_shard_state). */
static char *state(ep_vfs *v, const ep_key *key) { return ept_shard_state(v, "d", 0, key); }

/* A new machine holding a shard with a snapshot (after NREC/2 records) and
 * an AOF, durable; NULL on failure. */
static ep_vfs *shard_machine(const ep_key *key, uint64_t seed) {
    ep_vfs *v = NULL;
    ept_shard_spec s;
    ept_shard_spec_init(&s, seed, NREC);
    s.key = key;
    if (sim_vfs_create(&v) != EP_OK) return NULL;
    if (!ept_shard_build(v, &s)) {
        sim_vfs_destroy(v);
        return NULL;
    }
    return v;
}

static int same(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Both files of the shard (where present) in format version ver. */
static int versions_are(ep_vfs *v, int ver) {
    const char *paths[2] = {SNAP, AOF};
    int i, ok = 1;
    for (i = 0; i < 2; i++) {
        uint8_t *d = NULL;
        size_t n = 0;
        if (sim_vfs_read_file(v, paths[i], &d, &n) == EP_OK) ok &= n > 4 && d[4] == ver;
        free(d);
    }
    return ok;
}

/* op 0: compact (as `compact DIR ID`); op 1: migrate from key to new_key
 * with backups (as encrypt, rekey, decrypt). */
static void maint_everywhere(int op, const ep_key *key, const ep_key *new_key) {
    uint64_t seed = ept_seed(), k;
    ep_vfs *v;
    ep_maint_config mc;
    ep_maint_report rep;
    uint8_t *snap0 = NULL, *aof0 = NULL;
    size_t sn = 0, an = 0;
    char *want;
    int model;
    EPT_CHECK((v = shard_machine(key, seed)) != NULL);
    EPT_CHECK((want = state(v, key)) != NULL);
    EPT_CHECK_OK(sim_vfs_read_file(v, SNAP, &snap0, &sn));
    EPT_CHECK_OK(sim_vfs_read_file(v, AOF, &aof0, &an));
    sim_vfs_destroy(v);
    for (model = 0; model < 3 && !ept_failed(); model++) {
        int olds = 0, news = 0, backups = 0;
        for (k = 0; !ept_failed(); k++) {
            ep_result r;
            char *a, *b = NULL;
            int done, is_old, is_new;
            uint8_t *bk = NULL;
            size_t bn = 0;
            EPT_CHECK((v = shard_machine(key, seed)) != NULL);
            /* this machine's files (encrypted ones differ per build: random nonces) */
            free(snap0);
            free(aof0);
            EPT_CHECK_OK(sim_vfs_read_file(v, SNAP, &snap0, &sn));
            EPT_CHECK_OK(sim_vfs_read_file(v, AOF, &aof0, &an));
            ep_maint_config_init(&mc);
            mc.vfs = v;
            mc.key = key;
            mc.new_key = op ? new_key : NULL; /* as the tool: compact passes only --key-file */
            mc.wall_clock_ms = ept_fixed_clock;
            if (op) mc.backup_suffix = ".bak-t";
            sim_vfs_set_crash_after(v, k);
            r = op ? ep_shard_migrate("d", 0, &mc, &rep, NULL) : ep_shard_compact("d", 0, &mc, &rep, NULL);
            done = !sim_vfs_is_dead(v);
            if (done) EPT_CHECK_OK(r);
            crash(v, seed ^ (k * 0x9e3779b97f4a7c15ull) ^ (uint64_t)model, model);
            a = state(v, key);
            if (op) b = state(v, new_key);
            /* old: readable with the old key as before (a migration's first step
             * may rewrite the files under the old key); new: compacted (an
             * empty AOF) or readable with the new key */
            {
                uint8_t *cur = NULL;
                size_t cn = 0;
                int empty_aof = sim_vfs_read_file(v, AOF, &cur, &cn) == EP_OK && cn == EP_AOF_HEADER_SIZE;
                free(cur);
                if (!op) {
                    is_new = same(want, a) && empty_aof;
                    is_old = !is_new && same(want, a);
                } else if (same(want, a) && same(want, b)) {
                    /* a plaintext side reads with any key: the format tells */
                    is_new = versions_are(v, new_key ? 3 : 2);
                    is_old = !is_new;
                } else {
                    is_new = same(want, b);
                    is_old = same(want, a);
                }
            }
            if (is_old) {
                olds++;
            } else if (is_new) {
                news++;
            } else {
                printf("    %s, %s, crash after %llu operations: neither the old shard nor the new one\n%s\n---\n%s\n",
                       op ? "migrate" : "compact", model_names[model], (unsigned long long)k,
                       a ? a : "(old key: does not recover)", b ? b : "(new key: does not recover)");
                EPT_EXPECT(0);
            }
            if (op && sim_vfs_read_file(v, BAK_SNAP, &bk, &bn) == EP_OK) {
                if (!(bn == sn && memcmp(bk, snap0, sn) == 0))
                    printf("    migrate, %s, crash after %llu operations: the snapshot backup has %zu bytes, not %zu\n",
                           model_names[model], (unsigned long long)k, bn, sn);
                EPT_EXPECT(bn == sn && memcmp(bk, snap0, sn) == 0);
                free(bk);
                backups++;
            }
            if (op && sim_vfs_read_file(v, BAK_AOF, &bk, &bn) == EP_OK) {
                if (!(bn == an && memcmp(bk, aof0, an) == 0))
                    printf("    migrate, %s, crash after %llu operations: the AOF backup has %zu bytes, not %zu\n",
                           model_names[model], (unsigned long long)k, bn, an);
                EPT_EXPECT(bn == an && memcmp(bk, aof0, an) == 0);
                free(bk);
            }
            if (done) {
                /* finished: the new files and (migrate) both backups, durable */
                EPT_EXPECT(is_new);
                if (op) EPT_EXPECT(sim_vfs_exists(v, BAK_SNAP) && sim_vfs_exists(v, BAK_AOF));
            }
            free(a);
            free(b);
            sim_vfs_destroy(v);
            if (done) break;
        }
        printf("    %s%s, %s: %llu operations; crashes left %d the old shard, %d the new one (%d with a backup)\n",
               op ? "migrate" : "compact", key ? " from encrypted" : "", model_names[model], (unsigned long long)k,
               olds, news, backups);
        EPT_EXPECT(news > 0);
        EPT_EXPECT(olds > 0 || model == 1);
    }
    free(want);
    free(snap0);
    free(aof0);
}

EPT_CASE(compact_plaintext) { maint_everywhere(0, NULL, NULL); }
EPT_CASE(compact_encrypted) {
    ep_key *k = ept_test_key(5);
    maint_everywhere(0, k, NULL);
    ep_key_free(k);
}
EPT_CASE(encrypt_with_backups) {
    ep_key *k = ept_test_key(6);
    maint_everywhere(1, NULL, k);
    ep_key_free(k);
}
EPT_CASE(rekey_with_backups) {
    ep_key *k1 = ept_test_key(7), *k2 = ept_test_key(8);
    maint_everywhere(1, k1, k2);
    ep_key_free(k1);
    ep_key_free(k2);
}
EPT_CASE(decrypt_with_backups) {
    ep_key *k = ept_test_key(9);
    maint_everywhere(1, k, NULL);
    ep_key_free(k);
}

EPT_MAIN()
