/* Power loss at every vfs operation (tests/support/sim_vfs) while appending
 * under ALWAYS, while taking a snapshot, and while rewriting: after each
 * crash, recovery holds every acknowledged record, applies none twice, and
 * equals the reference model after some record count between the
 * acknowledged and the attempted ones. */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"
#include "support/shard_fixture.h"
#include "support/sim_vfs.h"

#include <stdlib.h>

#define NOW EPT_FIXTURE_NOW
#define NREC 24

static ep_aof_record recs[NREC];
static char *prefix[NREC + 1]; /* model dump after k records (ttl 0 dropped) */

static void setup(uint64_t seed) {
    uint64_t rng = seed;
    ept_model *m = ept_model_new();
    int i;
    for (i = 0; i < NREC; i++) recs[i] = ept_random_record(&rng);
    for (i = 0; i <= NREC; i++) {
        ept_model *c = ept_model_clone(m);
        ept_model_drop_expired(c);
        prefix[i] = ept_model_dump(c);
        ept_model_free(c);
        if (i < NREC) ept_model_apply(m, &recs[i], NOW);
    }
    ept_model_free(m);
}

static void teardown(void) {
    int i;
    for (i = 0; i <= NREC; i++) free(prefix[i]);
    ept_pool_reset();
}

enum { W_APPEND = 0, W_SNAPSHOT = 1, W_REWRITE = 2 };

/* Runs the workload on vfs until something fails; *acked = records whose
 * append returned OK (synced under ALWAYS), *attempted = records tried. */
static void workload(ep_vfs *vfs, int kind, int *acked, int *attempted) {
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_shard_config sc;
    ep_keyspace *ks = NULL;
    int i;
    *acked = *attempted = 0;
    ep_aof_writer_config_init(&c);
    c.vfs = vfs;
    c.fsync = EP_FSYNC_ALWAYS;
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    if (ep_keyspace_create(NULL, &ks) != EP_OK) abort();
    if (ep_aof_writer_open("d/shard-0.aof", &c, &w, NULL) != EP_OK) goto out;
    for (i = 0; i < NREC; i++) {
        if (i == NREC / 2 && kind != W_APPEND) {
            ep_result r = kind == W_SNAPSHOT ? ep_shard_snapshot("d", 0, ks, w, &sc, NULL)
                                             : ep_shard_rewrite("d", 0, ks, w, &sc, NULL);
            if (r != EP_OK) goto out;
        }
        (*attempted)++;
        if (ep_aof_append(w, &recs[i]) != EP_OK) goto out;
        (void)ep_keyspace_apply(ks, &recs[i], NOW);
        (*acked)++;
    }
out:
    if (w) (void)ep_aof_writer_close(w);
    ep_keyspace_free(ks);
}

static int check_after_crash(ep_vfs *vfs, int acked, int attempted, uint64_t k, int kind) {
    ep_recover_config rc;
    ep_recover_result res;
    char *got;
    int j, ok = 0;
    ep_recover_config_init(&rc);
    rc.vfs = vfs;
    rc.wall_clock_ms = ept_fixed_clock;
    if (ep_recover_shard("d", 0, &rc, &res, NULL) != EP_OK) {
        fprintf(stderr, "kind %d crash at op %llu: recovery failed\n", kind, (unsigned long long)k);
        return 0;
    }
    got = ept_ks_dump(res.keyspace);
    for (j = acked; j <= attempted && !ok; j++) ok = strcmp(got, prefix[j]) == 0;
    if (!ok) {
        fprintf(stderr, "kind %d crash at op %llu: acked %d attempted %d, state matches no prefix:\n%s\n"
                        "prefix[acked]:\n%s\n", kind, (unsigned long long)k, acked, attempted, got, prefix[acked]);
    }
    free(got);
    ep_recover_result_free(&res);
    return ok;
}

static void crash_everywhere_once(int kind, uint64_t seed, int verbose) {
    uint64_t total, k, step;
    ep_vfs *vfs;
    int acked, attempted, crashes = 0;
    setup(seed);
    /* a clean run counts the operations */
    if (sim_vfs_create(&vfs) != EP_OK) abort();
    vfs->mkdir(vfs, "d", NULL);
    workload(vfs, kind, &acked, &attempted);
    EPT_EXPECT(acked == NREC);
    total = sim_vfs_op_count(vfs);
    EPT_EXPECT(check_after_crash(vfs, acked, attempted, total, kind));
    sim_vfs_destroy(vfs);
    step = (uint64_t)ept_scale(1, 1);
    if (getenv("EPT_QUICK")) step = 3;
    for (k = 0; k <= total && !ept_failed(); k += step) {
        uint64_t s = seed + k;
        if (sim_vfs_create(&vfs) != EP_OK) abort();
        vfs->mkdir(vfs, "d", NULL);
        vfs->sync_dir(vfs, ".", NULL);
        sim_vfs_set_crash_after(vfs, k);
        workload(vfs, kind, &acked, &attempted);
        sim_crash(vfs, ept_rand(&s));
        EPT_EXPECT(check_after_crash(vfs, acked, attempted, k, kind));
        crashes++;
        sim_vfs_destroy(vfs);
    }
    if (verbose) fprintf(stderr, "    kind %d: %llu operations, %d crashes per round\n", kind, (unsigned long long)total, crashes);
    EPT_EXPECT(crashes > 10);
    teardown();
}

/* Several record sets, each crashed at every operation with a seeded outcome. */
static void crash_everywhere(int kind) {
    uint64_t seed = ept_seed();
    long round, rounds = ept_scale(40, 10);
    for (round = 0; round < rounds && !ept_failed(); round++)
        crash_everywhere_once(kind, seed + (uint64_t)round * 7919u, round == 0);
}

EPT_CASE(power_loss_during_appends_under_always) {
    crash_everywhere(W_APPEND);
}

EPT_CASE(power_loss_during_a_snapshot) {
    crash_everywhere(W_SNAPSHOT);
}

EPT_CASE(power_loss_during_a_rewrite) {
    crash_everywhere(W_REWRITE);
}

EPT_MAIN()
