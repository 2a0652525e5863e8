/* The covering snapshot written entry by entry from the caller's own map
 * (ep_shard_snapshot_begin / add / commit / abort), for a program that
 * recovers by visitor into its own data: recover by visitor, snapshot from
 * the map, append more, recover again: every value exact, nothing applied
 * twice (INCR and APPEND would show it), with and without the AOF's reset
 * at commit, with the writer or from the AOF on disk; a power cut at every
 * vfs operation of a workload with both kinds of snapshot leaves a state
 * some acknowledged prefix allows, and the program goes on from it. */
#include "ember_persist.h"
#include "harness.h"
#include "support/sim_vfs.h"

#include <stdlib.h>

/* ---- the user's own map: eight string keys ---------------------------------- */

#define UKEYS 8
#define UVAL 600

typedef struct umap {
    int present[UKEYS];
    char val[UKEYS][UVAL];
    int schemas; /* PROTO.REGISTER records seen (the trailer's schemas) */
} umap;

static int ukey(ep_bytes k) {
    if (k.len != 2 || k.data[0] != 'k' || k.data[1] < '0' || k.data[1] >= '0' + UKEYS) return -1;
    return k.data[1] - '0';
}

static void uput(umap *m, int i, const uint8_t *v, size_t n) {
    if (n >= UVAL) n = UVAL - 1;
    memcpy(m->val[i], v, n);
    m->val[i][n] = 0;
    m->present[i] = 1;
}

/* The replay rules for the four kinds this program logs. */
static ep_result uapply(umap *m, const ep_aof_record *r) {
    int i = ukey(r->key);
    char buf[32];
    int64_t v = 0;
    if (r->tag == EP_AOF_PROTO_REGISTER) {
        m->schemas++;
        return EP_OK;
    }
    if (i < 0) return EP_ERR_UNSUPPORTED;
    switch (r->tag) {
    case EP_AOF_SET: uput(m, i, r->value.data, r->value.len); return EP_OK;
    case EP_AOF_DEL: m->present[i] = 0; return EP_OK;
    case EP_AOF_INCR:
        if (m->present[i] && !ep_parse_i64((const uint8_t *)m->val[i], strlen(m->val[i]), &v)) return EP_OK;
        snprintf(buf, sizeof buf, "%lld", (long long)(v + 1));
        uput(m, i, (const uint8_t *)buf, strlen(buf));
        return EP_OK;
    case EP_AOF_APPEND: {
        size_t have = m->present[i] ? strlen(m->val[i]) : 0;
        char tmp[UVAL];
        memcpy(tmp, m->present[i] ? m->val[i] : "", have);
        if (have + r->value.len >= UVAL) return EP_ERR_LIMIT;
        memcpy(tmp + have, r->value.data, r->value.len);
        uput(m, i, (const uint8_t *)tmp, have + r->value.len);
        return EP_OK;
    }
    default: return EP_ERR_UNSUPPORTED;
    }
}

static void udump(const umap *m, char *out, size_t cap) {
    size_t n = 0;
    int i;
    out[0] = 0;
    for (i = 0; i < UKEYS; i++)
        if (m->present[i]) n += (size_t)snprintf(out + n, cap - n, "k%d=%s;", i, m->val[i]);
}

static ep_result on_entry(void *user, const ep_snap_entry *e) {
    umap *m = (umap *)user;
    int i = ukey(e->key);
    if (e->type != EP_TYPE_STRING || i < 0) return EP_ERR_UNSUPPORTED_TYPE;
    if (e->expire_ms == 0) return EP_OK;
    uput(m, i, e->value.data, e->value.len);
    return EP_OK;
}

static ep_result on_record(void *user, const ep_aof_record *r, uint64_t index) {
    (void)index;
    return uapply((umap *)user, r);
}

/* Visitor recovery into a fresh map. */
static ep_result urecover(ep_vfs *vfs, umap *m, ep_recover_result *res, ep_error *err) {
    ep_recover_config rc;
    memset(m, 0, sizeof *m);
    ep_recover_config_init(&rc);
    rc.vfs = vfs;
    rc.mode = EP_RECOVER_VISIT;
    rc.visitor.entry = on_entry;
    rc.visitor.record = on_record;
    rc.visitor.user = m;
    rc.read_buffer_size = 64; /* small pieces: the prefix hash and readers refill often */
    return ep_recover_shard("d", 0, &rc, res, err);
}

/* The covering snapshot from the map: half the keys through the generic
 * entry call, half through the snapshot writer's convenience. */
static ep_result usnapshot(ep_vfs *vfs, ep_aof_writer *w, const umap *m, int rewrite, ep_error *err) {
    ep_shard_config sc;
    ep_shard_snapshot_writer *sw = NULL;
    ep_snapshot_writer *entries = NULL;
    ep_result r;
    int i;
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    sc.rewrite = rewrite;
    sc.read_buffer_size = 16;
    sc.write_buffer_size = 128;
    if ((r = ep_shard_snapshot_begin("d", 0, w, &sc, &sw, err)) != EP_OK) return r;
    ep_shard_snapshot_entries(sw, &entries);
    for (i = 0; r == EP_OK && i < UKEYS; i++) {
        char k[3] = {'k', (char)('0' + i), 0};
        ep_bytes v;
        if (!m->present[i]) continue;
        v = ep_bytes_str(m->val[i]);
        if (i % 2) {
            r = ep_snapshot_writer_add_string(entries, ep_bytes_str(k), v, -1);
        } else {
            ep_snap_entry e;
            memset(&e, 0, sizeof e);
            e.key = ep_bytes_str(k);
            e.type = EP_TYPE_STRING;
            e.expire_ms = -1;
            e.value = v;
            r = ep_shard_snapshot_add(sw, &e);
        }
    }
    if (r != EP_OK) {
        (void)ep_shard_snapshot_abort(sw);
        return r;
    }
    return ep_shard_snapshot_commit(sw, err);
}

static const ep_snap_entry *string_entry(ep_snap_entry *e, const char *k, const char *v) {
    memset(e, 0, sizeof *e);
    e->key = ep_bytes_str(k);
    e->type = EP_TYPE_STRING;
    e->expire_ms = -1;
    e->value = ep_bytes_str(v);
    return e;
}

/* ---- records ---------------------------------------------------------------- */

#define NREC 30

typedef struct urec {
    ep_aof_record rec;
    char key[3], value[8];
} urec;

static urec recs[NREC];
static char prefix[NREC + 1][UKEYS * (UVAL + 8)];

/* INCR on k0..k3 (never anything else there), APPEND / SET / DEL on k4..k7. */
static void make_records(uint64_t seed) {
    uint64_t s = seed;
    umap m;
    int i;
    memset(&m, 0, sizeof m);
    for (i = 0; i < NREC; i++) {
        urec *u = &recs[i];
        unsigned kind = (unsigned)(ept_rand(&s) % 8);
        u->key[0] = 'k';
        u->key[2] = 0;
        snprintf(u->value, sizeof u->value, "%c%d", 'a' + i % 26, i);
        if (kind < 4) {
            u->key[1] = (char)('0' + ept_rand(&s) % 4);
            ep_aof_rec_incr(&u->rec, ep_bytes_str(u->key));
        } else {
            u->key[1] = (char)('4' + ept_rand(&s) % 4);
            if (kind < 6) ep_aof_rec_append(&u->rec, ep_bytes_str(u->key), ep_bytes_str(u->value));
            else if (kind == 6) ep_aof_rec_set(&u->rec, ep_bytes_str(u->key), ep_bytes_str(u->value), -1);
            else ep_aof_rec_del(&u->rec, ep_bytes_str(u->key));
        }
    }
    for (i = 0; i <= NREC; i++) {
        udump(&m, prefix[i], sizeof prefix[i]);
        if (i < NREC) (void)uapply(&m, &recs[i].rec);
    }
}

static ep_result open_writer(ep_vfs *vfs, ep_aof_writer **w) {
    ep_aof_writer_config c;
    ep_aof_writer_config_init(&c);
    c.vfs = vfs;
    c.fsync = EP_FSYNC_ALWAYS;
    c.create_dir = 1;
    c.repair_tail = 1; /* after a power cut: an unsynced tail may be garbage */
    return ep_aof_writer_open("d/shard-0.aof", &c, w, NULL);
}

/* Appends every record to the map as it is acknowledged; at `snap` a
 * covering snapshot from the map, at `rw` one that also resets the AOF. */
static void workload(ep_vfs *vfs, int snap, int rw, int *acked, int *attempted) {
    ep_aof_writer *w = NULL;
    umap m;
    int i;
    memset(&m, 0, sizeof m);
    *acked = *attempted = 0;
    if (open_writer(vfs, &w) != EP_OK) return;
    for (i = 0; i < NREC; i++) {
        if (i == snap && usnapshot(vfs, w, &m, 0, NULL) != EP_OK) break;
        if (i == rw && usnapshot(vfs, w, &m, 1, NULL) != EP_OK) break;
        (*attempted)++;
        if (ep_aof_append(w, &recs[i].rec) != EP_OK) break;
        (void)uapply(&m, &recs[i].rec);
        (*acked)++;
    }
    (void)ep_aof_writer_close(w);
}

static int state_in(const umap *m, int from, int to) {
    char got[sizeof prefix[0]];
    int j;
    udump(m, got, sizeof got);
    for (j = from; j <= to; j++)
        if (strcmp(got, prefix[j]) == 0) return 1;
    return 0;
}

/* ---- cases -------------------------------------------------------------------- */

EPT_CASE(visitor_round_trip_nothing_applied_twice) {
    uint64_t seed = ept_seed();
    long round, rounds = ept_scale(60, 6);
    for (round = 0; round < rounds && !ept_failed(); round++) {
        uint64_t s = seed + (uint64_t)round * 7919u;
        ep_vfs *mem = NULL;
        ep_aof_writer *w = NULL;
        ep_recover_result res;
        ep_error err;
        umap m, again;
        int acked, attempted, snap, rw;
        make_records(s);
        snap = (int)(ept_rand(&s) % NREC);
        rw = (int)(ept_rand(&s) % (NREC + 1)); /* NREC: no rewrite */
        EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
        workload(mem, snap, rw, &acked, &attempted);
        EPT_CHECK_EQ(acked, NREC);
        /* recover by visitor: every value exact */
        EPT_CHECK_OK(urecover(mem, &m, &res, &err));
        EPT_CHECK(res.snapshot_loaded);
        EPT_CHECK(res.trailer == EP_TRAILER_APPLIED);
        EPT_CHECK(state_in(&m, NREC, NREC));
        /* snapshot from the recovered map, alternately through the writer
         * and from the AOF on disk (no writer), and with a reset */
        if (round % 2) {
            EPT_CHECK_OK(usnapshot(mem, NULL, &m, 0, &err));
            EPT_CHECK_OK(open_writer(mem, &w));
        } else {
            EPT_CHECK_OK(open_writer(mem, &w));
            EPT_CHECK_OK(usnapshot(mem, w, &m, round % 4 == 0, &err));
        }
        /* append more: recovered again, the new ones once, the old ones once */
        {
            ep_aof_record r;
            EPT_CHECK_OK(ep_aof_rec_incr(&r, EP_LIT("k0")));
            EPT_CHECK_OK(ep_aof_append(w, &r));
            (void)uapply(&m, &r);
            EPT_CHECK_OK(ep_aof_rec_append(&r, EP_LIT("k5"), EP_LIT("zz")));
            EPT_CHECK_OK(ep_aof_append(w, &r));
            (void)uapply(&m, &r);
        }
        EPT_CHECK_OK(ep_aof_writer_close(w));
        EPT_CHECK_OK(urecover(mem, &again, &res, &err));
        EPT_CHECK(res.trailer == EP_TRAILER_APPLIED);
        EPT_CHECK_EQ(res.records_applied, 2);
        {
            char a[sizeof prefix[0]], b[sizeof prefix[0]];
            udump(&m, a, sizeof a);
            udump(&again, b, sizeof b);
            if (strcmp(a, b) != 0) {
                fprintf(stderr, "    round %ld: want %s\n    got  %s\n", round, a, b);
                ept_fail(__FILE__, __LINE__, "second recovery differs from the map");
            }
        }
        ep_vfs_mem_free(mem);
    }
}

EPT_CASE(schemas_given_at_begin_come_back_before_the_records) {
    ep_vfs *mem = NULL;
    ep_aof_writer *w = NULL;
    ep_shard_config sc;
    ep_shard_snapshot_writer *sw = NULL;
    ep_trailer_schema s[2];
    ep_recover_result res;
    ep_aof_record r;
    umap m;
    uint64_t covered = 0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
    EPT_CHECK_OK(open_writer(mem, &w));
    EPT_CHECK_OK(ep_aof_rec_incr(&r, EP_LIT("k1")));
    EPT_CHECK_OK(ep_aof_append(w, &r));
    s[0].name = EP_LIT("a.A");
    s[0].descriptor = EP_LIT("\x01\x02");
    s[1].name = EP_LIT("b.B");
    s[1].descriptor = EP_LIT("");
    ep_shard_config_init(&sc);
    sc.vfs = mem;
    sc.schemas = s;
    sc.schema_count = 2;
    EPT_CHECK_OK(ep_shard_snapshot_begin("d", 0, w, &sc, &sw, NULL));
    ep_shard_snapshot_covered(sw, &covered);
    EPT_CHECK(covered > EP_AOF_HEADER_SIZE);
    {
        ep_snapshot_writer *entries = NULL;
        ep_shard_snapshot_entries(sw, &entries);
        EPT_CHECK_OK(ep_snapshot_writer_add_string(entries, EP_LIT("k1"), EP_LIT("1"), -1));
    }
    EPT_CHECK_OK(ep_shard_snapshot_commit(sw, NULL));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(urecover(mem, &m, &res, NULL));
    EPT_CHECK_EQ(m.schemas, 2);
    EPT_CHECK_EQ(res.records_applied, 0); /* not the covered INCR */
    EPT_CHECK_EQ(res.records_skipped, 1);
    EPT_CHECK(m.present[1] && strcmp(m.val[1], "1") == 0);
    ep_vfs_mem_free(mem);
}

/* A rewriting commit refuses when records were appended since begin (the
 * reset would lose them); abort leaves the old snapshot; both leave no tmp. */
EPT_CASE(rewrite_commit_refuses_appends_since_begin_and_abort_keeps_the_old) {
    ep_vfs *mem = NULL;
    ep_aof_writer *w = NULL;
    ep_shard_config sc;
    ep_shard_snapshot_writer *sw = NULL;
    ep_recover_result res;
    ep_aof_record r;
    ep_snap_entry e;
    ep_error err;
    umap m;
    uint64_t before = 0, after = 0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
    EPT_CHECK_OK(open_writer(mem, &w));
    EPT_CHECK_OK(ep_aof_rec_incr(&r, EP_LIT("k0")));
    EPT_CHECK_OK(ep_aof_append(w, &r));
    memset(&m, 0, sizeof m);
    (void)uapply(&m, &r);
    EPT_CHECK_OK(usnapshot(mem, w, &m, 0, NULL));
    EPT_CHECK_OK(mem->stat(mem, "d/shard-0.snap", &before, NULL));
    /* rewrite + an append in between: refused, nothing written */
    ep_shard_config_init(&sc);
    sc.vfs = mem;
    sc.rewrite = 1;
    EPT_CHECK_OK(ep_shard_snapshot_begin("d", 0, w, &sc, &sw, NULL));
    EPT_CHECK_OK(ep_shard_snapshot_add(sw, string_entry(&e, "k0", "9")));
    EPT_CHECK_OK(ep_aof_append(w, &r));
    (void)uapply(&m, &r);
    EPT_CHECK_EQ(ep_shard_snapshot_commit(sw, &err), EP_ERR_STATE);
    EPT_CHECK(err.message[0] != 0);
    EPT_CHECK(mem->stat(mem, "d/shard-0.snap.tmp", NULL, NULL) != EP_OK);
    EPT_CHECK_OK(mem->stat(mem, "d/shard-0.snap", &after, NULL));
    EPT_CHECK_EQ(after, before);
    /* abort: the old snapshot stays */
    EPT_CHECK_OK(ep_shard_snapshot_begin("d", 0, w, &sc, &sw, NULL));
    EPT_CHECK_OK(ep_shard_snapshot_add(sw, string_entry(&e, "k0", "9")));
    EPT_CHECK_OK(ep_shard_snapshot_abort(sw));
    EPT_CHECK(mem->stat(mem, "d/shard-0.snap.tmp", NULL, NULL) != EP_OK);
    /* rewrite without a writer is refused at begin */
    EPT_CHECK_EQ(ep_shard_snapshot_begin("d", 0, NULL, &sc, &sw, &err), EP_ERR_INVALID_ARG);
    EPT_CHECK(sw == NULL);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    {
        umap got;
        EPT_CHECK_OK(urecover(mem, &got, &res, NULL));
        EPT_CHECK(strcmp(got.val[0], "2") == 0);
        EPT_CHECK_EQ(res.records_applied, 1);
    }
    ep_vfs_mem_free(mem);
}

/* The shard's directory exists and is durable before the workload. */
static void fresh_dir(ep_vfs *vfs) {
    (void)vfs->mkdir(vfs, "d", NULL);
    (void)vfs->sync_dir(vfs, ".", NULL);
}

/* A power cut at every vfs operation of: appends, a covering snapshot from
 * the map, more appends, a covering snapshot with the AOF's reset, more
 * appends. Each recovery is a state an acknowledged prefix allows (old or
 * new snapshot, never a record twice, never an acknowledged one lost);
 * then the program goes on as the docs say (a stale trailer: a covering
 * snapshot first), appends, and recovers that exactly. */
EPT_CASE(power_loss_at_every_operation_old_or_new_never_twice) {
    uint64_t seed = ept_seed(), total, k;
    long checked = 0, settled = 0;
    ep_vfs *vfs = NULL;
    int acked, attempted;
    const int snap = NREC / 3, rw = 2 * NREC / 3;
    make_records(seed);
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    fresh_dir(vfs);
    workload(vfs, snap, rw, &acked, &attempted);
    EPT_CHECK_EQ(acked, NREC);
    total = sim_vfs_op_count(vfs);
    sim_vfs_destroy(vfs);
    for (k = 0; k <= total && !ept_failed(); k++) {
        int rep;
        for (rep = 0; rep < 3 && !ept_failed(); rep++) {
            ep_recover_result res;
            ep_aof_writer *w = NULL;
            ep_aof_record r;
            ep_error err;
            umap m, again;
            char a[sizeof prefix[0]], b[sizeof prefix[0]];
            EPT_CHECK_OK(sim_vfs_create(&vfs));
            fresh_dir(vfs);
            sim_vfs_set_crash_after(vfs, k);
            workload(vfs, snap, rw, &acked, &attempted);
            sim_crash(vfs, seed ^ (k * 31 + (uint64_t)rep));
            sim_vfs_set_crash_after(vfs, SIM_NEVER);
            if (urecover(vfs, &m, &res, &err) != EP_OK) {
                fprintf(stderr, "    k=%llu rep=%d: %s\n", (unsigned long long)k, rep, err.message);
                ept_fail(__FILE__, __LINE__, "recovery refused after a power cut");
                break;
            }
            if (!state_in(&m, acked, attempted)) {
                udump(&m, a, sizeof a);
                fprintf(stderr, "    k=%llu rep=%d acked=%d attempted=%d: %s\n", (unsigned long long)k, rep, acked,
                        attempted, a);
                ept_fail(__FILE__, __LINE__, "recovered state is not one the acknowledged appends allow");
                break;
            }
            /* go on */
            EPT_CHECK_OK(open_writer(vfs, &w));
            if (res.trailer == EP_TRAILER_STALE) {
                EPT_CHECK_OK(usnapshot(vfs, w, &m, 0, &err));
                settled++;
            }
            EPT_CHECK_OK(ep_aof_rec_append(&r, EP_LIT("k4"), EP_LIT("!")));
            EPT_CHECK_OK(ep_aof_append(w, &r));
            (void)uapply(&m, &r);
            EPT_CHECK_OK(ep_aof_writer_close(w));
            if (urecover(vfs, &again, &res, &err) != EP_OK) {
                fprintf(stderr, "    k=%llu rep=%d: second recovery: %s\n", (unsigned long long)k, rep, err.message);
                ept_fail(__FILE__, __LINE__, "second recovery refused");
                break;
            }
            udump(&m, a, sizeof a);
            udump(&again, b, sizeof b);
            if (strcmp(a, b) != 0) {
                fprintf(stderr, "    k=%llu rep=%d: want %s\n    got  %s\n", (unsigned long long)k, rep, a, b);
                ept_fail(__FILE__, __LINE__, "going on after the crash lost or doubled a record");
                break;
            }
            sim_vfs_destroy(vfs);
            vfs = NULL;
            checked++;
        }
        if (vfs) sim_vfs_destroy(vfs);
        vfs = NULL;
    }
    printf("    %llu crash points x 3 outcomes, %ld recoveries checked, %ld stale trailers settled\n",
           (unsigned long long)total + 1, checked, settled);
}

EPT_MAIN()
