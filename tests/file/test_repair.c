/* repair: an AOF cut at every byte, with bit flips in every byte of a
 * record, with zeroed pages, plaintext and encrypted; the writer lock; the
 * backup; and power loss at every vfs operation (old file or new, never a
 * mix). The reader's skip_damage is exercised through it. */
#include "ember_persist.h"
#include "harness.h"
#include "support/sim_vfs.h"

#include <stdlib.h>

#define P "d/shard-0.aof"
#define BAK "d/shard-0.aof.bak-test"
#define NREC 12

static ep_bytes S(const char *s) { return ep_bytes_of(s, strlen(s)); }

/* The file's bytes and the end offset of each record. */
typedef struct golden {
    uint8_t *data;
    size_t len;
    uint64_t end[NREC + 1]; /* end[0] = header end */
} golden;

static ep_key *test_key(void) {
    uint8_t k[EP_KEY_SIZE];
    ep_key *key = NULL;
    size_t i;
    for (i = 0; i < sizeof k; i++) k[i] = (uint8_t)(i * 7 + 1);
    ep_key_create(k, NULL, &key);
    return key;
}

static ep_vfs *mem_vfs(void) {
    ep_vfs *v = NULL;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) return NULL;
    v->mkdir(v, "d", NULL);
    return v;
}

static int make_golden(const ep_key *key, golden *g) {
    ep_vfs *v = mem_vfs();
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_aof_stats st;
    char k[32], val[200];
    int i, ok = 1;
    ep_aof_writer_config_init(&c);
    c.vfs = v;
    c.key = key;
    c.fsync = EP_FSYNC_NO;
    if (ep_aof_writer_open(P, &c, &w, NULL) != EP_OK) return 0;
    g->end[0] = EP_AOF_HEADER_SIZE;
    for (i = 0; i < NREC; i++) {
        snprintf(k, sizeof k, "key:%d", i);
        memset(val, 'a' + i, sizeof val);
        ok &= ep_aof_set(w, S(k), ep_bytes_of(val, (size_t)(10 + i * 13)), -1) == EP_OK;
        ep_aof_writer_stats(w, &st);
        g->end[i + 1] = st.size;
    }
    ok &= ep_aof_writer_close(w) == EP_OK;
    ok &= ep_vfs_read_all(v, P, NULL, 1 << 20, &g->data, &g->len, NULL) == EP_OK;
    ep_vfs_mem_free(v);
    return ok && g->len == g->end[NREC];
}

/* The keys ("key:N" -> N) of the records in data, in order; -1 on a read problem. */
static int read_keys(ep_vfs *v, const char *path, const ep_key *key, int *keys, int cap) {
    ep_aof_reader_config rc;
    ep_aof_reader *r = NULL;
    ep_aof_record rec;
    ep_aof_status st;
    int n = 0;
    ep_result res;
    ep_aof_reader_config_init(&rc);
    rc.vfs = v;
    rc.key = key;
    if (ep_aof_reader_open(path, &rc, &r, NULL) != EP_OK) return -1;
    while ((res = ep_aof_reader_next(r, &rec)) == EP_OK && n < cap) {
        int v = 0;
        size_t i;
        for (i = 4; i < rec.key.len; i++) v = v * 10 + (rec.key.data[i] - '0');
        keys[n++] = v;
    }
    ep_aof_reader_status(r, &st);
    ep_aof_reader_close(r);
    return res == EP_END && st.end == EP_AOF_END_CLEAN ? n : -1;
}

static int file_is(ep_vfs *v, const char *path, const uint8_t *data, size_t len) {
    uint8_t *got = NULL;
    size_t n = 0;
    int same;
    if (ep_vfs_read_all(v, path, NULL, 1 << 24, &got, &n, NULL) != EP_OK) return 0;
    same = n == len && (len == 0 || memcmp(got, data, len) == 0);
    ep_free(NULL, got);
    return same;
}

static ep_result repair_on(ep_vfs *v, const ep_key *key, int force, int salvage, ep_aof_repair_report *rep) {
    ep_aof_repair_config c;
    ep_error err;
    ep_aof_repair_config_init(&c);
    c.vfs = v;
    c.key = key;
    c.force = force;
    c.salvage = salvage;
    c.backup_path = BAK;
    return ep_aof_repair(P, &c, rep, &err);
}

/* Every cut: a clean cut is left alone, any other trimmed to the last whole
 * record, the kept prefix byte-identical, the backup identical to the input. */
static void every_cut(const ep_key *key) {
    golden g;
    size_t cut;
    EPT_CHECK(make_golden(key, &g));
    for (cut = EP_AOF_HEADER_SIZE; cut <= g.len && !ept_failed(); cut++) {
        ep_vfs *v = mem_vfs();
        ep_aof_repair_report rep;
        int keys[NREC + 1], n, whole = 0, i, boundary = 0;
        for (i = 0; i <= NREC; i++) {
            if (g.end[i] <= cut) whole = i;
            if (g.end[i] == cut) boundary = 1;
        }
        EPT_CHECK_OK(ep_vfs_write_all(v, P, g.data, cut, NULL));
        EPT_CHECK_OK(repair_on(v, key, 0, 0, &rep));
        if (boundary) {
            EPT_CHECK_EQ(rep.action, EP_REPAIR_NOTHING);
            EPT_CHECK(v->stat(v, BAK, NULL, NULL) == EP_ERR_NOT_FOUND);
        } else {
            EPT_CHECK_EQ(rep.action, EP_REPAIR_TRIM);
            EPT_CHECK(rep.written);
            EPT_CHECK_EQ(rep.regions, 1);
            EPT_CHECK_EQ(rep.records_before, whole);
            EPT_CHECK_EQ(rep.records_dropped, 0);
            EPT_CHECK_EQ(rep.new_size, g.end[whole]);
            EPT_CHECK_EQ(rep.bytes_dropped, cut - g.end[whole]);
            EPT_CHECK(file_is(v, BAK, g.data, cut));
        }
        EPT_CHECK(file_is(v, P, g.data, (size_t)g.end[whole]));
        n = read_keys(v, P, key, keys, NREC + 1);
        EPT_CHECK_EQ(n, whole);
        for (i = 0; i < n; i++) EPT_CHECK_EQ(keys[i], i);
        ep_vfs_mem_free(v);
    }
    ep_free(NULL, g.data);
}

EPT_CASE(every_cut_plaintext) { every_cut(NULL); }
EPT_CASE(every_cut_encrypted) {
    ep_key *k = test_key();
    every_cut(k);
    ep_key_free(k);
}

/* The record a damaged offset falls in. */
static int rec_of(const golden *g, uint64_t off) {
    int i;
    for (i = 0; i < NREC; i++)
        if (off < g->end[i + 1]) return i;
    return NREC;
}

/* Damage [from, to) of the golden file (flip or zero), then: without force
 * refused (or trimmed if it reads as a torn tail) and the file untouched;
 * forced, the records before the damage kept byte for byte; salvaged, also
 * every record after the damaged ones, in order. */
static void damage_case(const ep_key *key, const golden *g, size_t from, size_t to, int zero) {
    ep_vfs *v = mem_vfs();
    ep_aof_repair_report rep;
    uint8_t *bad = (uint8_t *)malloc(g->len);
    int keys[NREC + 1], n, i, first = rec_of(g, from), last = rec_of(g, to - 1);
    ep_result r;
    size_t j;
    memcpy(bad, g->data, g->len);
    for (j = from; j < to; j++) bad[j] = zero ? 0 : (uint8_t)(bad[j] ^ 0x10);
    if (memcmp(bad, g->data, g->len) == 0) goto done; /* zeroing zeros */
    EPT_EXPECT(ep_vfs_write_all(v, P, bad, g->len, NULL) == EP_OK);
    r = repair_on(v, key, 0, 0, &rep);
    if (r == EP_ERR_CORRUPT) {
        EPT_EXPECT(rep.action == EP_REPAIR_REFUSED && !rep.written);
        EPT_EXPECT(file_is(v, P, bad, g->len));
        EPT_EXPECT(v->stat(v, BAK, NULL, NULL) == EP_ERR_NOT_FOUND);
        EPT_EXPECT(rep.records_before == (uint64_t)first && rep.good_offset == g->end[first]);
        /* forced, with salvage */
        EPT_EXPECT(repair_on(v, key, 1, 1, &rep) == EP_OK && rep.action == EP_REPAIR_SALVAGE);
        EPT_EXPECT(file_is(v, BAK, bad, g->len));
        n = read_keys(v, P, key, keys, NREC + 1);
        EPT_EXPECT(n >= first && (uint64_t)n == rep.records_kept);
        for (i = 0; i < first && i < n; i++) EPT_EXPECT(keys[i] == i);
        /* every record after the damaged ones is back (a record the damage hit may be too) */
        for (i = 1; i < n; i++) EPT_EXPECT(keys[i] > keys[i - 1]);
        for (i = last + 1; i < NREC; i++) {
            int k, found = 0;
            for (k = 0; k < n; k++) found |= keys[k] == i;
            EPT_EXPECT(found);
        }
        /* forced without salvage, on the original again */
        EPT_EXPECT(v->remove(v, BAK, NULL) == EP_OK);
        EPT_EXPECT(ep_vfs_write_all(v, P, bad, g->len, NULL) == EP_OK);
        EPT_EXPECT(repair_on(v, key, 1, 0, &rep) == EP_OK && rep.action == EP_REPAIR_TRIM);
        EPT_EXPECT(file_is(v, P, g->data, (size_t)g->end[first]));
        EPT_EXPECT(rep.records_kept == (uint64_t)first && rep.records_dropped == rep.records_after);
    } else {
        /* a flip that reads as a torn tail (in the last record's length) or changes nothing checked */
        EPT_EXPECT(r == EP_OK);
        if (rep.action != EP_REPAIR_NOTHING) EPT_EXPECT(rep.action == EP_REPAIR_TRIM && rep.written);
        n = read_keys(v, P, key, keys, NREC + 1);
        EPT_EXPECT(n >= first);
    }
done:
    free(bad);
    ep_vfs_mem_free(v);
}

static void flips(const ep_key *key) {
    golden g;
    size_t at;
    EPT_CHECK(make_golden(key, &g));
    for (at = EP_AOF_HEADER_SIZE; at < g.len && !ept_failed(); at += (size_t)ept_scale(1, 7))
        damage_case(key, &g, at, at + 1, 0);
    ep_free(NULL, g.data);
}

EPT_CASE(bit_flips_in_every_byte_plaintext) { flips(NULL); }
EPT_CASE(bit_flips_in_every_byte_encrypted) {
    ep_key *k = test_key();
    flips(k);
    ep_key_free(k);
}

EPT_CASE(zeroed_runs) {
    golden g;
    size_t at, len;
    EPT_CHECK(make_golden(NULL, &g));
    for (len = 8; len <= 64 && !ept_failed(); len *= 2)
        for (at = EP_AOF_HEADER_SIZE; at + len < g.len && !ept_failed(); at += 17) damage_case(NULL, &g, at, at + len, 1);
    ep_free(NULL, g.data);
}

/* A zeroed 4 KiB page in the middle of a bigger file: salvage keeps the rest. */
EPT_CASE(zeroed_page_salvaged) {
    ep_vfs *v = mem_vfs();
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_aof_repair_report rep;
    uint8_t *data = NULL;
    size_t len = 0;
    char k[32];
    int i, keys[2000], n;
    ep_aof_writer_config_init(&c);
    c.vfs = v;
    c.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open(P, &c, &w, NULL));
    for (i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "key:%d", i);
        EPT_CHECK_OK(ep_aof_set(w, S(k), S("some value of a few bytes"), -1));
    }
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(ep_vfs_read_all(v, P, NULL, 1 << 24, &data, &len, NULL));
    EPT_CHECK(len > 20000);
    memset(data + 8192, 0, 4096);
    EPT_CHECK_OK(ep_vfs_write_all(v, P, data, len, NULL));
    EPT_CHECK_EQ(repair_on(v, NULL, 0, 0, &rep), EP_ERR_CORRUPT);
    EPT_CHECK_OK(repair_on(v, NULL, 1, 1, &rep));
    EPT_CHECK_EQ(rep.regions, 1);
    EPT_CHECK(rep.damaged_bytes >= 4096 && rep.damaged_bytes < 4096 + 200);
    n = read_keys(v, P, NULL, keys, 2000);
    EPT_CHECK_EQ(n, rep.records_kept);
    EPT_CHECK(n > 1000 - 4096 / 30 - 3 && n < 1000);
    EPT_CHECK_EQ(keys[n - 1], 999);
    EPT_CHECK(file_is(v, BAK, data, len));
    ep_free(NULL, data);
    ep_vfs_mem_free(v);
}

EPT_CASE(locked_backup_exists_dry_run) {
    ep_vfs *v = mem_vfs();
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_aof_repair_config rc;
    ep_aof_repair_report rep;
    golden g;
    EPT_CHECK(make_golden(NULL, &g));
    EPT_CHECK_OK(ep_vfs_write_all(v, P, g.data, g.len - 3, NULL));
    /* a dry run says what it would do and writes nothing */
    ep_aof_repair_config_init(&rc);
    rc.vfs = v;
    rc.dry_run = 1;
    EPT_CHECK_OK(ep_aof_repair(P, &rc, &rep, NULL));
    EPT_CHECK(rep.action == EP_REPAIR_TRIM && !rep.written && rep.bytes_dropped > 0);
    EPT_CHECK(file_is(v, P, g.data, g.len - 3));
    /* an existing backup is never overwritten */
    EPT_CHECK_OK(ep_vfs_write_all(v, BAK, "x", 1, NULL));
    EPT_CHECK_EQ(repair_on(v, NULL, 0, 0, &rep), EP_ERR_EXISTS);
    EPT_CHECK(file_is(v, P, g.data, g.len - 3));
    EPT_CHECK_OK(v->remove(v, BAK, NULL));
    /* a writer holds the lock: refused (the writer itself trims at open, so make it clean first) */
    EPT_CHECK_OK(repair_on(v, NULL, 0, 0, &rep));
    ep_aof_writer_config_init(&c);
    c.vfs = v;
    EPT_CHECK_OK(ep_aof_writer_open(P, &c, &w, NULL));
    EPT_CHECK_OK(v->remove(v, BAK, NULL));
    EPT_CHECK_EQ(repair_on(v, NULL, 0, 0, &rep), EP_ERR_LOCKED);
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(repair_on(v, NULL, 0, 0, &rep));
    EPT_CHECK_EQ(rep.action, EP_REPAIR_NOTHING);
    ep_free(NULL, g.data);
    ep_vfs_mem_free(v);
}

/* A sim machine holding the damaged file, durable. */
static ep_vfs *sim_with(const uint8_t *data, size_t len) {
    ep_vfs *v = NULL;
    ep_file *f = NULL;
    if (sim_vfs_create(&v) != EP_OK) return NULL;
    if (v->mkdir(v, "d", NULL) || ep_vfs_write_all(v, P, data, len, NULL) || v->open(v, P, EP_OPEN_WRITE, &f, NULL) ||
        v->sync(v, f, NULL) || v->close(v, f, NULL) || v->sync_dir(v, ".", NULL) || v->sync_dir(v, "d", NULL)) {
        sim_vfs_destroy(v);
        return NULL;
    }
    return v;
}

/* Power loss at every vfs operation of a salvage repair: after the reboot
 * the AOF is the damaged original or the repaired file, byte for byte, and a
 * backup that exists is the whole original. */
EPT_CASE(power_loss_at_every_operation) {
    golden g;
    uint8_t *bad, *want = NULL;
    size_t want_len = 0;
    uint64_t k, seed = ept_seed();
    int saw_old = 0, saw_new = 0;
    ep_vfs *v;
    ep_aof_repair_report rep;
    EPT_CHECK(make_golden(NULL, &g));
    bad = (uint8_t *)malloc(g.len);
    memcpy(bad, g.data, g.len);
    bad[g.end[4] + 6] ^= 0x55; /* inside record 4 */
    EPT_CHECK((v = sim_with(bad, g.len)) != NULL);
    EPT_CHECK_OK(repair_on(v, NULL, 1, 1, &rep));
    EPT_CHECK_OK(sim_vfs_read_file(v, P, &want, &want_len));
    sim_vfs_destroy(v);
    EPT_CHECK(want_len < g.len && rep.records_kept == NREC - 1);
    for (k = 0; !ept_failed(); k++) {
        ep_result r;
        uint8_t *got = NULL, *b = NULL;
        size_t n = 0, bn = 0;
        EPT_CHECK((v = sim_with(bad, g.len)) != NULL);
        sim_vfs_set_crash_after(v, k);
        r = repair_on(v, NULL, 1, 1, &rep);
        if (!sim_vfs_is_dead(v)) {
            EPT_CHECK_OK(r);
            sim_vfs_destroy(v);
            break;
        }
        sim_crash(v, seed + k);
        EPT_CHECK_OK(sim_vfs_read_file(v, P, &got, &n));
        if (n == g.len && memcmp(got, bad, n) == 0) {
            saw_old++;
        } else {
            saw_new++;
            EPT_EXPECT(n == want_len && memcmp(got, want, n) == 0);
        }
        if (sim_vfs_read_file(v, BAK, &b, &bn) == EP_OK) {
            EPT_EXPECT(bn == g.len && memcmp(b, bad, bn) == 0);
            free(b);
        }
        free(got);
        sim_vfs_destroy(v);
    }
    printf("    %llu operations, %d crashes left the old file, %d the repaired one\n", (unsigned long long)k,
           saw_old, saw_new);
    EPT_CHECK(saw_old > 0 && saw_new > 0);
    free(want);
    free(bad);
    ep_free(NULL, g.data);
}

EPT_MAIN()
