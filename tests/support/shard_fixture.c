/* shard_fixture: see shard_fixture.h. */
#include "shard_fixture.h"
#include "model.h"

#include <string.h>

int64_t ept_fixed_clock(void *u) {
    (void)u;
    return EPT_FIXTURE_NOW;
}

ep_key *ept_test_key(uint8_t seed) {
    uint8_t k[EP_KEY_SIZE];
    ep_key *key = NULL;
    size_t i;
    for (i = 0; i < sizeof k; i++) k[i] = (uint8_t)(seed * 31 + i * 5);
    return ep_key_create(k, NULL, &key) == EP_OK ? key : NULL;
}

void ept_shard_spec_init(ept_shard_spec *s, uint64_t seed, int nrec) {
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->nrec = nrec;
    s->fsync = EP_FSYNC_ALWAYS;
}

/* 30 RPUSHes of 100 items of 500 bytes to "biglist". 1 on success. */
static int append_big_list(ep_aof_writer *w) {
    static char item[500];
    ep_bytes v[100];
    ep_buf scratch;
    ep_aof_record rec;
    int i, k, ok = 1;
    ep_buf_init(&scratch, NULL);
    for (k = 0; k < 100; k++) v[k] = ep_bytes_of(item, sizeof item);
    for (i = 0; i < 30 && ok; i++) {
        memset(item, 'a' + i % 26, sizeof item);
        ok = ep_aof_rec_rpush(&rec, &scratch, ep_bytes_of("biglist", 7), v, 100) == EP_OK && ep_aof_append(w, &rec) == EP_OK;
    }
    ep_buf_free(&scratch);
    return ok;
}

int ept_shard_build(ep_vfs *vfs, const ept_shard_spec *s) {
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_shard_config sc;
    ep_keyspace *ks = NULL;
    uint64_t rng = s->seed;
    int i, ok = 1;
    vfs->mkdir(vfs, "d", NULL);
    vfs->sync_dir(vfs, ".", NULL);
    ep_aof_writer_config_init(&c);
    c.vfs = vfs;
    c.key = s->key;
    c.fsync = s->fsync;
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    sc.key = s->key;
    if (ep_keyspace_create(NULL, &ks) != EP_OK) return 0;
    if (ep_aof_writer_open("d/shard-0.aof", &c, &w, NULL) != EP_OK) {
        ep_keyspace_free(ks);
        return 0;
    }
    for (i = 0; i < s->nrec && ok; i++) {
        ep_aof_record rec = ept_random_record(&rng);
        if (i == s->nrec / 2) ok = ep_shard_snapshot("d", 0, ks, w, &sc, NULL) == EP_OK;
        if (ep_aof_append(w, &rec) == EP_OK) (void)ep_keyspace_apply(ks, &rec, EPT_FIXTURE_NOW);
        ept_pool_reset();
    }
    if (ok && s->big_list) ok = append_big_list(w);
    ok &= ep_aof_writer_sync(w) == EP_OK;
    ok &= ep_aof_writer_close(w) == EP_OK;
    ep_keyspace_free(ks);
    return ok;
}

/* Recovers shard id in dir; its state when accept says the result counts. */
static char *recovered_state(ep_vfs *vfs, const char *dir, ep_shard_id id, const ep_key *key,
                             int (*accept)(const ep_recover_result *res)) {
    ep_recover_config rc;
    ep_recover_result res;
    char *d = NULL;
    ep_recover_config_init(&rc);
    rc.vfs = vfs;
    rc.key = key;
    rc.wall_clock_ms = ept_fixed_clock;
    if (ep_recover_shard(dir, id, &rc, &res, NULL) != EP_OK) return NULL;
    if (accept(&res)) d = ept_ks_dump(res.keyspace);
    ep_recover_result_free(&res);
    return d;
}

static int recovered_cleanly(const ep_recover_result *res) {
    return !(res->snapshot_present && !res->snapshot_loaded) && res->aof_end != EP_AOF_END_ERROR &&
           (res->snapshot_present || res->aof_present);
}

static int snapshot_loaded(const ep_recover_result *res) { return res->snapshot_loaded; }

char *ept_shard_state(ep_vfs *vfs, const char *dir, ep_shard_id id, const ep_key *key) {
    return recovered_state(vfs, dir, id, key, recovered_cleanly);
}

char *ept_shard_snapshot_state(ep_vfs *vfs, const char *dir, ep_shard_id id, const ep_key *key) {
    return recovered_state(vfs, dir, id, key, snapshot_loaded);
}
