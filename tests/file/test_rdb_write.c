/* rdb writer: random data sets (printed seed) written and read back exactly;
 * redis-server 7 starts from our dump.rdb (versions 9 and 10, with and
 * without LZF) and every key, type, value and TTL reads back through a RESP
 * client; redis-check-rdb accepts every file; the refusals (duplicate key,
 * empty collection, duplicate member, NaN) name the key and leave the writer
 * usable; a failure at every vfs operation leaves the old file or the new
 * one, never a mix, and no temporary file; a power cut at every operation
 * leaves a file that reads back whole (old or new). */
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/redis_util.h"
#include "support/sim_vfs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- a random data set -------------------------------------------------- */

typedef struct gkey {
    int db;
    int kind;          /* 0 string, 1 list, 2 set, 3 hash, 4 zset */
    ep_bytes key;
    ep_bytes *a, *b;
    double *score;
    size_t n;
    int64_t expire;
} gkey;

typedef struct gset {
    gkey *k;
    size_t n;
    uint8_t *arena;
    size_t used, cap;
} gset;

static ep_bytes g_bytes(gset *g, uint64_t *st, size_t maxlen, int text) {
    size_t n = (size_t)(ept_rand(st) % (maxlen + 1)), i;
    uint8_t *p = g->arena + g->used;
    unsigned shape = (unsigned)(ept_rand(st) % 4);
    if (g->used + 64 + maxlen > g->cap) abort();
    if (shape == 0) {
        /* integers: Redis's int encodings */
        int m = snprintf((char *)p, 32, "%lld", (long long)((int64_t)ept_rand(st) >> (ept_rand(st) % 64)));
        n = (size_t)m;
    } else {
        for (i = 0; i < n; i++) p[i] = text || shape == 1 ? (uint8_t)('a' + ept_rand(st) % (shape == 1 ? 2 : 26)) : (uint8_t)ept_rand(st);
    }
    g->used += n;
    return ep_bytes_of(p, n);
}

/* Keys unique per db (an index in the name), members unique per key. */
static void gen(gset *g, uint64_t *st, size_t nkeys, int64_t now) {
    size_t i, j;
    g->cap = 64u << 20;
    g->arena = (uint8_t *)malloc(g->cap);
    g->used = 0;
    g->k = (gkey *)calloc(nkeys, sizeof *g->k);
    g->n = nkeys;
    for (i = 0; i < nkeys; i++) {
        gkey *k = &g->k[i];
        char name[40];
        size_t big = ept_rand(st) % 10 == 0 ? 700 : 12;
        k->db = (int)(ept_rand(st) % 3) * 2;
        k->kind = (int)(ept_rand(st) % 5);
        snprintf(name, sizeof name, "k%u:%llx", (unsigned)i, (unsigned long long)(ept_rand(st) & 0xffff));
        memcpy(g->arena + g->used, name, strlen(name));
        k->key = ep_bytes_of(g->arena + g->used, strlen(name));
        g->used += strlen(name);
        k->expire = ept_rand(st) % 3 == 0 ? now + 86400000 + (int64_t)(ept_rand(st) % 1000000) : -1;
        k->n = k->kind == 0 ? 1 : 1 + (size_t)(ept_rand(st) % big);
        k->a = (ep_bytes *)calloc(k->n, sizeof *k->a);
        k->b = (ep_bytes *)calloc(k->n, sizeof *k->b);
        k->score = (double *)calloc(k->n, sizeof *k->score);
        for (j = 0; j < k->n; j++) {
            if (k->kind >= 2) {
                /* unique: an index prefix */
                char pre[16];
                ep_bytes rest = g_bytes(g, st, 30, 0);
                int m = snprintf(pre, sizeof pre, "%u.", (unsigned)j);
                uint8_t *p = g->arena + g->used;
                memcpy(p, pre, (size_t)m);
                memcpy(p + m, rest.data, rest.len);
                g->used += (size_t)m + rest.len;
                k->a[j] = ep_bytes_of(p, (size_t)m + rest.len);
            } else {
                k->a[j] = g_bytes(g, st, j == 0 && ept_rand(st) % 4 == 0 ? 300 : 40, 0);
            }
            k->b[j] = g_bytes(g, st, 90, 0);
            switch (ept_rand(st) % 6) {
            case 0: k->score[j] = (double)(int64_t)(ept_rand(st) % 1000); break;
            case 1: k->score[j] = (ept_rand(st) & 1) ? INFINITY : -INFINITY; break;
            default: k->score[j] = ((double)(int64_t)ept_rand(st)) / 1e6; break;
            }
        }
    }
}

static void gfree(gset *g) {
    size_t i;
    for (i = 0; i < g->n; i++) {
        free(g->k[i].a);
        free(g->k[i].b);
        free(g->k[i].score);
    }
    free(g->k);
    free(g->arena);
}

static ep_result write_set(const gset *g, const char *path, const ep_rdb_writer_config *cfg, ep_error *err) {
    ep_rdb_writer *w;
    ep_result r = ep_rdb_writer_begin(path, cfg, &w, err);
    int db;
    size_t i;
    if (r) return r;
    for (db = 0; db <= 4 && !r; db += 2) {
        int any = 0;
        for (i = 0; i < g->n && !r; i++) {
            const gkey *k = &g->k[i];
            if (k->db != db) continue;
            if (!any) r = ep_rdb_writer_select_db(w, (uint64_t)db, 0, 0);
            any = 1;
            if (r) break;
            switch (k->kind) {
            case 0: r = ep_rdb_writer_string(w, k->key, k->a[0], k->expire); break;
            case 1: r = ep_rdb_writer_list(w, k->key, k->a, k->n, k->expire); break;
            case 2: r = ep_rdb_writer_set(w, k->key, k->a, k->n, k->expire); break;
            case 3: r = ep_rdb_writer_hash(w, k->key, k->a, k->b, k->n, k->expire); break;
            default: r = ep_rdb_writer_zset(w, k->key, k->a, k->score, k->n, k->expire); break;
            }
        }
    }
    if (r) {
        if (err) *err = *ep_rdb_writer_error(w);
        ep_rdb_writer_abort(w);
        return r;
    }
    return ep_rdb_writer_commit(w, err);
}

/* The canonical text the reader must give for g. */
static char *expect_text(const gset *g) {
    ept_canon c;
    size_t i, j;
    char path[700];
    /* Build it with the same canonical helper: a second file written
     * without any encoding tricks is not independent, so build lines by
     * hand instead. */
    (void)path;
    memset(&c, 0, sizeof c);
    for (i = 0; i < g->n; i++) {
        const gkey *k = &g->k[i];
        static const char *kinds[] = {"string", "list", "set", "hash", "zset"};
        size_t cap = 256 + k->key.len * 4, pos;
        char *line;
        for (j = 0; j < k->n; j++) cap += (k->a[j].len + k->b[j].len) * 4 + 48;
        line = (char *)malloc(cap);
        pos = (size_t)snprintf(line, cap, "%d\t", k->db);
#define ESC(b_)                                                                                     \
    do {                                                                                            \
        size_t q_;                                                                                  \
        for (q_ = 0; q_ < (b_).len; q_++) {                                                         \
            uint8_t c_ = (b_).data[q_];                                                             \
            if (c_ >= 0x21 && c_ < 0x7f && c_ != '\\' && c_ != ',' && c_ != '=') line[pos++] = (char)c_; \
            else pos += (size_t)snprintf(line + pos, cap - pos, "\\x%02x", c_);                     \
        }                                                                                           \
    } while (0)
        ESC(k->key);
        pos += (size_t)snprintf(line + pos, cap - pos, "\t%s\t%lld\t", kinds[k->kind], (long long)k->expire);
        {
            /* elements, sorted for set/hash/zset */
            char **el = (char **)calloc(k->n, sizeof *el);
            size_t m;
            for (j = 0; j < k->n; j++) {
                size_t start = pos;
                ESC(k->a[j]);
                if (k->kind == 3) {
                    line[pos++] = '=';
                    ESC(k->b[j]);
                } else if (k->kind == 4) {
                    char num[EP_RESP_NUM_MAX];
                    size_t nn = ep_resp_format_double(k->score[j], num);
                    line[pos++] = '=';
                    memcpy(line + pos, num, nn);
                    pos += nn;
                }
                el[j] = (char *)malloc(pos - start + 1);
                memcpy(el[j], line + start, pos - start);
                el[j][pos - start] = 0;
                pos = start;
            }
            if (k->kind >= 2) {
                size_t x, y;
                for (x = 1; x < k->n; x++)
                    for (y = x; y > 0 && strcmp(el[y - 1], el[y]) > 0; y--) {
                        char *t = el[y];
                        el[y] = el[y - 1];
                        el[y - 1] = t;
                    }
            }
            for (m = 0; m < k->n; m++) {
                size_t l = strlen(el[m]);
                if (m) line[pos++] = ',';
                memcpy(line + pos, el[m], l);
                pos += l;
                free(el[m]);
            }
            free(el);
        }
        line[pos] = 0;
#undef ESC
        if (c.n == c.cap) {
            c.cap = c.cap ? c.cap * 2 : 64;
            c.line = (char **)realloc(c.line, c.cap * sizeof *c.line);
        }
        c.line[c.n++] = line;
    }
    {
        char *t = ept_canon_text(&c);
        ept_canon_free(&c);
        return t;
    }
}

EPT_CASE(random_round_trip) {
    uint64_t seed = ept_seed(), st = seed;
    long round, rounds = ept_scale(12, 4);
    char path[700];
    snprintf(path, sizeof path, "%s/dump.rdb", ept_tmpdir());
    for (round = 0; round < rounds && !ept_failed(); round++) {
        gset g;
        ep_rdb_writer_config cfg;
        ep_error err;
        ept_canon c;
        char *want, *got;
        gen(&g, &st, 20 + (size_t)(ept_rand(&st) % 200), 1700000000000ll);
        ep_rdb_writer_config_init(&cfg);
        cfg.compress = (int)(round & 1);
        cfg.version = round % 3 == 0 ? 9 : 10;
        EPT_CHECK_OK(write_set(&g, path, &cfg, &err));
        EPT_CHECK_OK(ept_canon_from_rdb(path, &c, &err));
        got = ept_canon_text(&c);
        want = expect_text(&g);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "    seed %llu round %ld\n", (unsigned long long)seed, round);
            ept_canon_diff(got, want);
            EPT_EXPECT(0);
        }
        free(got);
        free(want);
        ept_canon_free(&c);
        gfree(&g);
    }
}

EPT_CASE(redis_starts_from_our_rdb) {
    uint64_t st = ept_seed();
    int variant;
    if (!ept_have_program("redis-server") || !ept_have_program("redis-check-rdb")) {
        ept_skip("redis-server / redis-check-rdb not installed");
        return;
    }
    for (variant = 0; variant < 3 && !ept_failed(); variant++) {
        char dir[600], path[700], cmd[1500], out[8192];
        gset g;
        ep_rdb_writer_config cfg;
        ep_error err;
        ept_redis r;
        ept_canon ours, theirs;
        char *a, *b;
        snprintf(dir, sizeof dir, "%s", ept_tmpdir());
        snprintf(path, sizeof path, "%s/dump.rdb", dir);
        gen(&g, &st, 150, 1800000000000ll);
        ep_rdb_writer_config_init(&cfg);
        cfg.version = variant == 1 ? 9 : 10;
        cfg.compress = variant != 2;
        EPT_CHECK_OK(write_set(&g, path, &cfg, &err));
        snprintf(cmd, sizeof cmd, "redis-check-rdb '%s' 2>&1", path);
        if (ept_run_cmd(cmd, out, sizeof out) != 0 || !strstr(out, "RDB looks OK")) {
            fprintf(stderr, "    redis-check-rdb: %s\n", out);
            EPT_CHECK(0);
        }
        EPT_CHECK(ept_redis_start(&r, dir, NULL, 10000) == 0);
        if (ept_canon_from_server(&r, 6, &theirs) != 0) {
            ept_redis_stop(&r);
            EPT_CHECK(0);
        }
        EPT_EXPECT(ept_redis_log_has(&r, "Done loading RDB"));
        ept_redis_stop(&r);
        EPT_CHECK_OK(ept_canon_from_rdb(path, &ours, &err));
        a = ept_canon_text(&ours);
        b = ept_canon_text(&theirs);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "    variant %d\n", variant);
            ept_canon_diff(a, b);
            EPT_EXPECT(0);
        }
        EPT_CHECK(ours.n == 150);
        free(a);
        free(b);
        ept_canon_free(&ours);
        ept_canon_free(&theirs);
        gfree(&g);
    }
}

/* A writer on name in the test directory (its path into path), or NULL. */
static ep_rdb_writer *begin_at(char *path, size_t cap, const char *name) {
    ep_rdb_writer *w = NULL;
    snprintf(path, cap, "%s/%s", ept_tmpdir(), name);
    EPT_EXPECT(ep_rdb_writer_begin(path, NULL, &w, NULL) == EP_OK);
    return w;
}

/* Commits w and gives the canonical text of the file (free it); "" if
 * either fails (the failure is reported). */
static char *committed_text(ep_rdb_writer *w, const char *path) {
    ep_error err;
    ept_canon c;
    char *t;
    EPT_EXPECT(ep_rdb_writer_commit(w, &err) == EP_OK);
    if (ept_canon_from_rdb(path, &c, &err) != EP_OK) {
        EPT_EXPECT(!"the file reads back");
        t = (char *)calloc(1, 1);
        return t;
    }
    t = ept_canon_text(&c);
    ept_canon_free(&c);
    return t;
}

EPT_CASE(refusals_name_the_key_and_keep_the_writer) {
    ep_rdb_writer *w;
    char path[700];
    ep_bytes two[2];
    double sc[2] = {1, NAN};
    char *t;
    EPT_CHECK((w = begin_at(path, sizeof path, "r.rdb")) != NULL);
    EPT_CHECK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("v"), -1) == EP_ERR_STATE);
    EPT_CHECK_OK(ep_rdb_writer_select_db(w, 0, 0, 0));
    EPT_CHECK_OK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("v"), -1));
    EPT_CHECK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("again"), -1) == EP_ERR_INVALID);
    EPT_CHECK(strstr(ep_rdb_writer_error(w)->message, "'k'") && strstr(ep_rdb_writer_error(w)->message, "duplicate"));
    EPT_CHECK(ep_rdb_writer_list(w, EP_LIT("empty"), NULL, 0, -1) == EP_ERR_INVALID);
    two[0] = EP_LIT("m");
    two[1] = EP_LIT("m");
    EPT_CHECK(ep_rdb_writer_set(w, EP_LIT("dupset"), two, 2, -1) == EP_ERR_INVALID);
    two[1] = EP_LIT("n");
    EPT_CHECK(ep_rdb_writer_zset(w, EP_LIT("nan"), two, sc, 2, -1) == EP_ERR_INVALID);
    EPT_CHECK(strstr(ep_rdb_writer_error(w)->message, "'nan'") != NULL);
    /* a refused key may be written properly afterwards */
    sc[1] = 2;
    EPT_CHECK_OK(ep_rdb_writer_zset(w, EP_LIT("nan"), two, sc, 2, -1));
    EPT_CHECK_OK(ep_rdb_writer_set(w, EP_LIT("dupset"), two, 2, -1));
    EPT_CHECK_OK(ep_rdb_writer_select_db(w, 1, 1, 0));
    EPT_CHECK_OK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("other db"), -1)); /* same name, other db: fine */
    EPT_CHECK(ep_rdb_writer_count(w) == 4);
    t = committed_text(w, path);
    EPT_CHECK(strcmp(t, "0\tdupset\tset\t-1\tm,n\n0\tk\tstring\t-1\tv\n0\tnan\tzset\t-1\tm=1,n=2\n1\tk\tstring\t-1\tother\\x20db\n") == 0);
    free(t);
}

/* A database selected as unique keeps no fingerprints: what its caller
 * vouches for is written as given (the reader sees both copies), the other
 * refusals stay, and the next database selected normally is checked again. */
EPT_CASE(unique_database_skips_only_the_duplicate_checks) {
    double sc[2] = {1, NAN};
    ep_bytes two[2];
    char path[700], *t;
    ep_rdb_writer *w = begin_at(path, sizeof path, "u.rdb");
    EPT_CHECK(w != NULL);
    EPT_CHECK_OK(ep_rdb_writer_select_db_unique(w, 0, 2, 0));
    EPT_CHECK_OK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("v"), -1));
    EPT_CHECK_OK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("again"), -1)); /* not checked: as given */
    two[0] = EP_LIT("m");
    two[1] = EP_LIT("m");
    EPT_CHECK_OK(ep_rdb_writer_set(w, EP_LIT("s"), two, 2, -1));
    EPT_CHECK(ep_rdb_writer_list(w, EP_LIT("empty"), NULL, 0, -1) == EP_ERR_INVALID);
    two[1] = EP_LIT("n");
    EPT_CHECK(ep_rdb_writer_zset(w, EP_LIT("nan"), two, sc, 2, -1) == EP_ERR_INVALID);
    EPT_CHECK_OK(ep_rdb_writer_select_db(w, 1, 1, 0));
    EPT_CHECK_OK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("v"), -1));
    EPT_CHECK(ep_rdb_writer_string(w, EP_LIT("k"), EP_LIT("again"), -1) == EP_ERR_INVALID);
    EPT_CHECK(ep_rdb_writer_count(w) == 4);
    t = committed_text(w, path);
    EPT_CHECK(strstr(t, "0\tk\tstring\t-1\tv\n") && strstr(t, "0\tk\tstring\t-1\tagain\n"));
    EPT_CHECK(strstr(t, "0\ts\tset\t-1\tm,m\n") && strstr(t, "1\tk\tstring\t-1\tv\n"));
    EPT_CHECK(!strstr(t, "nan") && !strstr(t, "empty") && !strstr(t, "1\tk\tstring\t-1\tagain"));
    free(t);
}

/* The workload for the failure loops: an old file, then a new one. */
static ep_result write_small(ep_vfs *vfs, const char *path, const char *value) {
    ep_rdb_writer_config cfg;
    ep_rdb_writer *w;
    ep_result r;
    ep_bytes items[3];
    items[0] = EP_LIT("a");
    items[1] = ep_bytes_str(value);
    items[2] = EP_LIT("c");
    ep_rdb_writer_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.buffer_size = 64;
    cfg.compress = 0;
    r = ep_rdb_writer_begin(path, &cfg, &w, NULL);
    if (r) return r;
    r = ep_rdb_writer_select_db(w, 0, 2, 0);
    if (!r) r = ep_rdb_writer_string(w, EP_LIT("s"), ep_bytes_str(value), -1);
    if (!r) r = ep_rdb_writer_list(w, EP_LIT("l"), items, 3, -1);
    if (r) {
        ep_rdb_writer_abort(w);
        return r;
    }
    return ep_rdb_writer_commit(w, NULL);
}

/* "old", "new", or "" if the file does not read back whole. */
static const char *which(ep_vfs *vfs, const char *path) {
    ep_rdb_reader_config rc;
    ept_canon c;
    static char v[32];
    uint8_t *d;
    size_t n;
    ep_error err;
    ep_result r;
    (void)c;
    if (ep_vfs_read_all(vfs, path, NULL, 1 << 20, &d, &n, NULL) != EP_OK) return "";
    ep_rdb_reader_config_init(&rc);
    r = ep_rdb_read_mem(d, n, &rc, NULL, NULL, &err);
    v[0] = 0;
    if (r == EP_OK) {
        const char *p = (const char *)memchr(d, 0, n);
        (void)p;
        /* the string value: "old-value..." or "new-value..." appears raw */
        if (n > 20) {
            size_t i;
            for (i = 0; i + 3 <= n; i++) {
                if (memcmp(d + i, "old", 3) == 0) snprintf(v, sizeof v, "old");
                if (memcmp(d + i, "new", 3) == 0) snprintf(v, sizeof v, "new");
            }
        }
    }
    ep_free(NULL, d);
    return v;
}

EPT_CASE(fault_at_every_operation_old_or_new) {
    ep_vfs *mem, *fv;
    uint64_t total, k;
    const char *P = "d/dump.rdb";
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &mem));
    EPT_CHECK_OK(mem->mkdir(mem, "d", NULL));
    EPT_CHECK_OK(fault_vfs_create(mem, &fv));
    EPT_CHECK_OK(write_small(fv, P, "old-value-that-is-long-enough"));
    fault_vfs_reset_count(fv);
    EPT_CHECK_OK(write_small(fv, P, "new-value-that-is-long-enough"));
    total = fault_vfs_count(fv, FAULT_ALL);
    EPT_CHECK(total > 5);
    for (k = 1; k <= total; k++) {
        ep_result r;
        const char *w;
        uint64_t tmp;
        EPT_CHECK_OK(write_small(mem, P, "old-value-that-is-long-enough"));
        fault_vfs_arm(fv, FAULT_ALL, k, 0);
        r = write_small(fv, P, "new-value-that-is-long-enough");
        fault_vfs_disarm(fv);
        w = which(mem, P);
        if (r == EP_OK) EPT_CHECK(strcmp(w, "new") == 0);
        else EPT_CHECK(strcmp(w, "old") == 0 || strcmp(w, "new") == 0); /* a failed dir sync after the rename */
        EPT_CHECK(mem->stat(mem, "d/dump.rdb.tmp", &tmp, NULL) == EP_ERR_NOT_FOUND);
    }
    fault_vfs_destroy(fv);
    ep_vfs_mem_free(mem);
}

EPT_CASE(power_cut_at_every_operation) {
    uint64_t total, k, seed = ept_seed();
    ep_vfs *vfs;
    const char *P = "d/dump.rdb";
    long olds = 0, news = 0;
    EPT_CHECK_OK(sim_vfs_create(&vfs));
    EPT_CHECK_OK(vfs->mkdir(vfs, "d", NULL));
    EPT_CHECK_OK(vfs->sync_dir(vfs, ".", NULL));
    EPT_CHECK_OK(write_small(vfs, P, "old-value-that-is-long-enough"));
    total = sim_vfs_op_count(vfs);
    EPT_CHECK_OK(write_small(vfs, P, "new-value-that-is-long-enough"));
    total = sim_vfs_op_count(vfs) - total;
    sim_vfs_destroy(vfs);
    for (k = 0; k <= total; k++) {
        int rep;
        for (rep = 0; rep < 3; rep++) {
            ep_result r;
            const char *w;
            uint8_t *d;
            size_t n;
            EPT_CHECK_OK(sim_vfs_create(&vfs));
            EPT_CHECK_OK(vfs->mkdir(vfs, "d", NULL));
            EPT_CHECK_OK(vfs->sync_dir(vfs, ".", NULL));
            EPT_CHECK_OK(write_small(vfs, P, "old-value-that-is-long-enough"));
            sim_vfs_set_crash_after(vfs, k);
            r = write_small(vfs, P, "new-value-that-is-long-enough");
            sim_crash(vfs, seed + k * 3 + (uint64_t)rep);
            EPT_CHECK(sim_vfs_read_file(vfs, P, &d, &n) == EP_OK);
            free(d);
            w = which(vfs, P);
            if (r == EP_OK) EPT_CHECK(strcmp(w, "new") == 0);
            else EPT_CHECK(strcmp(w, "old") == 0 || strcmp(w, "new") == 0);
            if (w[0] == 'o') olds++;
            else news++;
            sim_vfs_destroy(vfs);
        }
    }
    printf("    %lu operations x 3 cuts: %ld old, %ld new, never a mix\n", (unsigned long)total, olds, news);
    EPT_CHECK(olds > 0 && news > 0);
}

EPT_MAIN()
