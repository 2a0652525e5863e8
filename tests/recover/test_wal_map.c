/* wal_map: an ember shard of random records (every type, schemas, ttls,
 * printed seed) plus a list of over 1 MiB becomes a WAL whose every record
 * is an ember AOF record, and that WAL becomes a shard that recovers to
 * exactly the source keyspace; a non-AOF record, an existing WAL and an
 * existing shard are refused; power loss at every vfs operation of both
 * directions leaves no output or the whole one, the source untouched. */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"
#include "support/shard_fixture.h"
#include "support/sim_vfs.h"

#include <stdlib.h>

/* Shard 0 in "d": nrec random records, a snapshot halfway, a big list. */
static int build(ep_vfs *vfs, uint64_t seed, int nrec, int big) {
    ept_shard_spec s;
    ept_shard_spec_init(&s, seed, nrec);
    s.fsync = EP_FSYNC_NO;
    s.big_list = big;
    return ept_shard_build(vfs, &s);
}

static char *state(ep_vfs *vfs, const char *dir) { return ept_shard_state(vfs, dir, 0, NULL); }

static void config(ep_wal_map_config *c, ep_vfs *vfs) {
    ep_wal_map_config_init(c);
    c->vfs = vfs;
    c->now_ms = EPT_FIXTURE_NOW;
}

typedef struct decoded {
    uint64_t n, bad, max_len;
} decoded;

static ep_result check_record(void *u, uint64_t id, const uint8_t *data, size_t len) {
    decoded *d = (decoded *)u;
    ep_aof_record rec;
    size_t used = 0;
    d->n++;
    if (len > d->max_len) d->max_len = len;
    {
        ep_result r = ep_aof_decode(data, len, &rec, &used);
        if (r != EP_OK || used != len) {
            d->bad++;
            fprintf(stderr, "    record %llu (tag %u, %llu bytes) does not decode: %s (used %llu)\n", (unsigned long long)id,
                    (unsigned)data[0], (unsigned long long)len, ep_result_str(r), (unsigned long long)used);
        }
    }
    return EP_OK;
}

EPT_CASE(round_trip_every_type) {
    ep_vfs *vfs = NULL;
    ep_wal_map_config c;
    ep_wal_map_result res, back;
    ep_error err;
    decoded d;
    char *want, *got;
    int i;
    for (i = 0; i < 3; i++) {
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
        EPT_CHECK(build(vfs, ept_seed() + (uint64_t)i, (int)ept_scale(300, 3), i == 0));
        EPT_CHECK((want = state(vfs, "d")) != NULL);
        config(&c, vfs);
        EPT_CHECK_OK(ep_shard_to_wal("d", 0, "w/log", &c, &res, &err));
        EPT_CHECK(res.records >= res.keys && res.first_id == 1 && res.last_id == res.records);
        /* every WAL record is an ember AOF record */
        memset(&d, 0, sizeof d);
        {
            ep_wal_read_config rc;
            ep_wal_read_config_init(&rc);
            rc.vfs = vfs;
            EPT_CHECK_OK(ep_wal_replay("w/log", &rc, check_record, &d, NULL, &err));
        }
        EPT_CHECK_EQ(d.n, res.records);
        EPT_CHECK_EQ(d.bad, 0);
        if (i == 0) EPT_CHECK(d.max_len < (2u << 20)); /* the 1.5 MB list was cut */
        EPT_CHECK_OK(ep_wal_to_shard("w/log", "e", 0, &c, &back, &err));
        EPT_CHECK_EQ(back.records, res.records);
        EPT_CHECK_EQ(back.record_warnings, 0);
        got = state(vfs, "e");
        EPT_CHECK(got != NULL);
        if (strcmp(want, got) != 0) {
            fprintf(stderr, "    want:\n%s    got:\n%s", want, got);
            EPT_CHECK(0);
        }
        if (i == 0)
            printf("    %llu keys -> %llu WAL records (%llu bytes, largest %llu) -> the same keyspace\n",
                   (unsigned long long)res.keys, (unsigned long long)res.records, (unsigned long long)res.bytes,
                   (unsigned long long)d.max_len);
        /* both directions refuse an existing destination */
        EPT_CHECK_EQ(ep_shard_to_wal("d", 0, "w/log", &c, &res, &err), EP_ERR_EXISTS);
        EPT_CHECK_EQ(ep_wal_to_shard("w/log", "e", 0, &c, &back, &err), EP_ERR_EXISTS);
        free(want);
        free(got);
        ep_vfs_mem_free(vfs);
    }
}

/* The shape of seeds 1802634356030353 and 1716642222741300: a collection
 * record with no items ("create" makes an empty key, spec §5.2), which
 * recovery keeps, so shard -> WAL -> shard must keep it too; one of each
 * collection type, half of them in the snapshot, one with a ttl. */
EPT_CASE(empty_collections_survive) {
    ep_vfs *vfs = NULL;
    ep_aof_writer_config ac;
    ep_aof_writer *w = NULL;
    ep_shard_config sc;
    ep_keyspace *ks = NULL;
    ep_wal_map_config c;
    ep_wal_map_result res, back;
    ep_error err;
    ep_aof_record rec[6];
    ep_buf scratch;
    char *want, *got;
    int i;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_buf_init(&scratch, NULL);
    EPT_CHECK_OK(ep_aof_rec_set(&rec[0], ep_bytes_of("a", 1), ep_bytes_of("+7", 2), -1));
    EPT_CHECK_OK(ep_aof_rec_zadd(&rec[1], &scratch, ep_bytes_of("b", 1), NULL, NULL, 0));
    EPT_CHECK_OK(ep_aof_rec_rpush(&rec[2], &scratch, ep_bytes_of("l", 1), NULL, 0));
    EPT_CHECK_OK(ep_aof_rec_hset(&rec[3], &scratch, ep_bytes_of("h", 1), NULL, NULL, 0));
    EPT_CHECK_OK(ep_aof_rec_sadd(&rec[4], &scratch, ep_bytes_of("s", 1), NULL, 0));
    EPT_CHECK_OK(ep_aof_rec_pexpire(&rec[5], ep_bytes_of("s", 1), 5000));
    vfs->mkdir(vfs, "d", NULL);
    ep_aof_writer_config_init(&ac);
    ac.vfs = vfs;
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    EPT_CHECK_OK(ep_aof_writer_open("d/shard-0.aof", &ac, &w, NULL));
    for (i = 0; i < 6; i++) {
        if (i == 3) EPT_CHECK_OK(ep_shard_snapshot("d", 0, ks, w, &sc, NULL));
        EPT_CHECK_OK(ep_aof_append(w, &rec[i]));
        EPT_CHECK_OK(ep_keyspace_apply(ks, &rec[i], EPT_FIXTURE_NOW));
    }
    EPT_CHECK_OK(ep_aof_writer_sync(w));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_keyspace_free(ks);
    ep_buf_free(&scratch);
    EPT_CHECK((want = state(vfs, "d")) != NULL);
    EPT_CHECK(strstr(want, "b|zset|-1|[]") != NULL); /* recovery keeps the empty zset */
    EPT_CHECK(strstr(want, "\nl|list|") != NULL && strstr(want, "\nh|hash|") != NULL && strstr(want, "\ns|set|") != NULL);
    config(&c, vfs);
    EPT_CHECK_OK(ep_shard_to_wal("d", 0, "w/log", &c, &res, &err));
    EPT_CHECK_EQ(res.keys, 5);
    EPT_CHECK_OK(ep_wal_to_shard("w/log", "e", 0, &c, &back, &err));
    EPT_CHECK_EQ(back.record_warnings, 0);
    EPT_CHECK_EQ(back.keys, 5);
    EPT_CHECK((got = state(vfs, "e")) != NULL);
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "    want:\n%s    got:\n%s", want, got);
        EPT_CHECK(0);
    }
    free(want);
    free(got);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(foreign_records_refused) {
    ep_vfs *vfs = NULL;
    ep_wal_config wc;
    ep_wal *w = NULL;
    ep_wal_map_config c;
    ep_wal_map_result res;
    ep_error err;
    uint64_t id;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_wal_config_init(&wc);
    wc.vfs = vfs;
    EPT_CHECK_OK(ep_wal_open("w", &wc, &w, NULL));
    EPT_CHECK_OK(ep_wal_append(w, "\x01\x00", 2, &id)); /* a SET cut short */
    EPT_CHECK_OK(ep_wal_close(w));
    config(&c, vfs);
    EPT_CHECK_EQ(ep_wal_to_shard("w", "e", 0, &c, &res, &err), EP_ERR_CORRUPT);
    EPT_CHECK(strstr(err.message, "record 1") != NULL);
    EPT_CHECK(vfs->stat(vfs, "e/shard-0.snap", NULL, NULL) == EP_ERR_NOT_FOUND);
    EPT_CHECK_EQ(ep_shard_to_wal("nope", 0, "w2", &c, &res, &err), EP_ERR_NOT_FOUND);
    ep_vfs_mem_free(vfs);
}

static int wal_records(ep_vfs *vfs, const char *dir, uint64_t *n) {
    ep_wal_read_config rc;
    decoded d;
    ep_result r;
    memset(&d, 0, sizeof d);
    ep_wal_read_config_init(&rc);
    rc.vfs = vfs;
    r = ep_wal_replay(dir, &rc, check_record, &d, NULL, NULL);
    *n = d.n;
    return r == EP_OK || r == EP_ERR_NOT_FOUND;
}

EPT_CASE(power_loss_shard_to_wal) {
    uint64_t seed = ept_seed(), k, total = 0, n;
    ep_vfs *vfs = NULL;
    ep_wal_map_config c;
    ep_wal_map_result res;
    char *want;
    int absent = 0, whole = 0;
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    EPT_CHECK(build(vfs, seed, 60, 0));
    EPT_CHECK((want = state(vfs, "d")) != NULL);
    config(&c, vfs);
    EPT_CHECK_OK(ep_shard_to_wal("d", 0, "w", &c, &res, NULL));
    total = res.records;
    sim_vfs_destroy(vfs);
    for (k = 0; !ept_failed(); k++) {
        ep_result r;
        int done;
        char *src;
        sim_crash_opts so;
        EPT_CHECK_OK(sim_vfs_create(&vfs));
        EPT_CHECK(build(vfs, seed, 60, 0));
        so.file_outcome = SIM_OUTCOME_ALL;
        so.dir_changes = SIM_DIR_KEEP_ALL;
        sim_crash_ex(vfs, seed, &so);
        config(&c, vfs);
        sim_vfs_set_crash_after(vfs, k);
        r = ep_shard_to_wal("d", 0, "w", &c, &res, NULL);
        done = !sim_vfs_is_dead(vfs);
        if (done) EPT_CHECK_OK(r);
        sim_crash(vfs, seed + k);
        EPT_CHECK(wal_records(vfs, "w", &n));
        if (n == 0) {
            absent++;
            EPT_EXPECT(!done);
        } else {
            EPT_EXPECT(n == total);
            whole++;
        }
        src = state(vfs, "d");
        EPT_EXPECT(src && strcmp(src, want) == 0);
        free(src);
        sim_vfs_destroy(vfs);
        if (done) break;
    }
    printf("    %llu operations; crashes: %d without the WAL, %d with all %llu records\n", (unsigned long long)k, absent,
           whole, (unsigned long long)total);
    EPT_CHECK(whole > 0 && absent > 0);
    free(want);
}

EPT_CASE(power_loss_wal_to_shard) {
    uint64_t seed = ept_seed(), k;
    ep_vfs *vfs = NULL;
    ep_wal_map_config c;
    ep_wal_map_result res;
    char *want;
    int absent = 0, whole = 0;
    for (k = 0; !ept_failed(); k++) {
        ep_result r;
        int done;
        char *got;
        sim_crash_opts so;
        EPT_CHECK_OK(sim_vfs_create(&vfs));
        EPT_CHECK(build(vfs, seed, 60, 0));
        config(&c, vfs);
        EPT_CHECK_OK(ep_shard_to_wal("d", 0, "w", &c, &res, NULL));
        want = state(vfs, "d");
        so.file_outcome = SIM_OUTCOME_ALL;
        so.dir_changes = SIM_DIR_KEEP_ALL;
        sim_crash_ex(vfs, seed, &so);
        sim_vfs_set_crash_after(vfs, k);
        r = ep_wal_to_shard("w", "e/f", 0, &c, &res, NULL);
        done = !sim_vfs_is_dead(vfs);
        if (done) EPT_CHECK_OK(r);
        sim_crash(vfs, seed + k);
        got = state(vfs, "e/f");
        if (!got) {
            absent++;
            EPT_EXPECT(!done);
            EPT_EXPECT(!sim_vfs_exists(vfs, "e/f/shard-0.snap"));
        } else {
            EPT_EXPECT(strcmp(got, want) == 0);
            whole++;
        }
        free(got);
        free(want);
        sim_vfs_destroy(vfs);
        if (done) break;
    }
    printf("    %llu operations; crashes: %d without the shard, %d with all of it\n", (unsigned long long)k, absent, whole);
    EPT_CHECK(whole > 0 && absent > 0);
}

EPT_MAIN()
