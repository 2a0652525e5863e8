/* probe: the kind of a file by its first bytes (every prefix of real
 * headers, every version byte, random bytes) and of a directory by its
 * names, on the in-memory vfs and the OS. */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>

static ep_bytes B(const char *s) { return ep_bytes_of(s, strlen(s)); }

/* Every prefix of a snapshot header: magic recognised from 4 bytes, the
 * header fields only once all 11 are there. */
EPT_CASE(snapshot_header_every_prefix) {
    const uint8_t h[11] = {'E', 'S', 'N', 'P', 2, 0x34, 0x12, 5, 0, 0, 0};
    ep_probe_info pi;
    size_t n;
    for (n = 0; n <= sizeof h; n++) {
        EPT_CHECK_OK(ep_probe_bytes(h, n, 100, &pi));
        EPT_CHECK_EQ(pi.size, 100);
        EPT_CHECK_EQ(pi.head_len, n);
        EPT_CHECK_EQ(pi.kind, n < 4 ? EP_PROBE_UNKNOWN : EP_PROBE_EMBER_SNAPSHOT);
        EPT_CHECK_EQ(pi.header_ok, n == 11);
        EPT_CHECK_EQ(pi.version, n >= 5 ? 2 : 0);
        EPT_CHECK_EQ(pi.shard_id, n == 11 ? 0x1234 : 0);
        EPT_CHECK_EQ(pi.entry_count, n == 11 ? 5 : 0);
        EPT_CHECK_EQ(pi.encrypted, 0);
    }
}

EPT_CASE(version_bytes) {
    uint8_t a[5] = {'E', 'A', 'O', 'F', 0}, s[11] = {'E', 'S', 'N', 'P', 0, 1, 0, 0, 0, 0, 0};
    ep_probe_info pi;
    unsigned v;
    for (v = 0; v < 256; v++) {
        a[4] = s[4] = (uint8_t)v;
        EPT_CHECK_OK(ep_probe_bytes(a, sizeof a, sizeof a, &pi));
        EPT_CHECK_EQ(pi.kind, EP_PROBE_EMBER_AOF);
        EPT_CHECK_EQ(pi.version, v);
        EPT_CHECK_EQ(pi.header_ok, v >= 1 && v <= 3);
        EPT_CHECK_EQ(pi.encrypted, v == 3);
        EPT_CHECK_OK(ep_probe_bytes(s, sizeof s, sizeof s, &pi));
        EPT_CHECK_EQ(pi.kind, EP_PROBE_EMBER_SNAPSHOT);
        EPT_CHECK_EQ(pi.header_ok, v >= 1 && v <= 3);
        EPT_CHECK_EQ(pi.encrypted, v == 3);
        EPT_CHECK_EQ(pi.shard_id, 1);
    }
}

EPT_CASE(empty_unknown_and_args) {
    ep_probe_info pi;
    const uint8_t junk[4] = {'E', 'A', 'O', 'G'};
    EPT_CHECK_OK(ep_probe_bytes(NULL, 0, 0, &pi));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_EMPTY);
    EPT_CHECK_OK(ep_probe_bytes(junk, 4, 4, &pi));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_UNKNOWN);
    EPT_CHECK_EQ(ep_probe_bytes(NULL, 3, 3, &pi), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_probe_bytes(junk, 4, 4, NULL), EP_ERR_INVALID_ARG);
    EPT_CHECK(strcmp(ep_probe_kind_name(EP_PROBE_EMBER_AOF), "ember_aof") == 0);
    EPT_CHECK(strcmp(ep_probe_kind_name(EP_PROBE_REDIS_AOF_DIR), "redis_aof_dir") == 0);
    EPT_CHECK(strcmp(ep_probe_kind_name((ep_probe_kind)999), "unknown") == 0);
}

/* Random heads never crash, and only the two magics give ember kinds. */
EPT_CASE(random_heads) {
    uint64_t st = ept_seed();
    uint8_t h[EP_PROBE_HEAD_SIZE + 8];
    ep_probe_info pi;
    long i, iters = ept_scale(200000, 20);
    size_t j, n;
    for (i = 0; i < iters; i++) {
        n = (size_t)(ept_rand(&st) % sizeof h);
        for (j = 0; j < n; j++) h[j] = (uint8_t)ept_rand(&st);
        if (n >= 4 && (ept_rand(&st) & 3) == 0) memcpy(h, (ept_rand(&st) & 1) ? "EAOF" : "ESNP", 4);
        EPT_CHECK_OK(ep_probe_bytes(h, n, n, &pi));
        EPT_CHECK(pi.head_len == (n < EP_PROBE_HEAD_SIZE ? n : EP_PROBE_HEAD_SIZE));
        if (pi.kind == EP_PROBE_EMBER_AOF) EPT_CHECK(n >= 4 && !memcmp(h, "EAOF", 4));
        else if (pi.kind == EP_PROBE_EMBER_SNAPSHOT) EPT_CHECK(n >= 4 && !memcmp(h, "ESNP", 4));
        /* random bytes may spell a RESP command head ("*3" is enough):
         * a Redis kind is fine exactly when the bytes start as one does */
        else if (pi.kind == EP_PROBE_REDIS_AOF) EPT_CHECK(n >= 2 && h[0] == '*');
        else if (pi.kind == EP_PROBE_REDIS_RDB) EPT_CHECK(n >= 5 && !memcmp(h, "REDIS", 5));
        else EPT_CHECK_EQ(pi.kind, n == 0 ? EP_PROBE_EMPTY : EP_PROBE_UNKNOWN);
    }
}

EPT_CASE(shard_names) {
    uint16_t id = 7;
    EPT_CHECK(ep_probe_shard_name("shard-0.aof", "aof", &id) && id == 0);
    EPT_CHECK(ep_probe_shard_name("shard-65535.snap", "snap", &id) && id == 65535);
    EPT_CHECK(!ep_probe_shard_name("shard-65536.snap", "snap", &id));
    EPT_CHECK(!ep_probe_shard_name("shard-01.aof", "aof", &id));
    EPT_CHECK(!ep_probe_shard_name("shard-.aof", "aof", &id));
    EPT_CHECK(!ep_probe_shard_name("shard-1.aof.tmp", "aof", &id));
    EPT_CHECK(!ep_probe_shard_name("shard-1.snap", "aof", &id));
    EPT_CHECK(!ep_probe_shard_name("shard-+1.aof", "aof", &id));
    EPT_CHECK(!ep_probe_shard_name("Shard-1.aof", "aof", &id));
    EPT_CHECK(!ep_probe_shard_name("shard-99999999999999999999.aof", "aof", &id));
}

/* Real files written by the library, probed through a vfs. */
static void probe_files_on(ep_vfs *vfs, const char *dir) {
    char aof[600], snap[600], other[600];
    ep_aof_writer_config ac;
    ep_snapshot_writer_config sc;
    ep_aof_writer *w = NULL;
    ep_snapshot_writer *sw = NULL;
    ep_probe_info pi;
    ep_error err;
    EPT_CHECK_OK(ep_aof_path(dir, 3, aof, sizeof aof));
    EPT_CHECK_OK(ep_snapshot_path(dir, 9, snap, sizeof snap));
    EPT_CHECK_OK(ep_path_join(other, sizeof other, dir, "notes.txt"));
    ep_aof_writer_config_init(&ac);
    ac.vfs = vfs;
    EPT_CHECK_OK(ep_aof_writer_open(aof, &ac, &w, NULL));
    EPT_CHECK_OK(ep_aof_set(w, B("k"), B("v"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    ep_snapshot_writer_config_init(&sc);
    sc.vfs = vfs;
    EPT_CHECK_OK(ep_snapshot_writer_begin(snap, 9, &sc, &sw, NULL));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(sw, B("k"), B("v"), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(sw, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, other, "hello", 5, NULL));

    EPT_CHECK_OK(ep_probe_path(vfs, aof, &pi, NULL));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_EMBER_AOF);
    EPT_CHECK_EQ(pi.version, 2);
    EPT_CHECK(pi.header_ok && !pi.encrypted && !pi.is_dir && pi.size > 5);
    EPT_CHECK_OK(ep_probe_path(vfs, snap, &pi, NULL));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_EMBER_SNAPSHOT);
    EPT_CHECK_EQ(pi.shard_id, 9);
    EPT_CHECK_EQ(pi.entry_count, 1);
    EPT_CHECK_OK(ep_probe_path(vfs, other, &pi, NULL));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_UNKNOWN);
    EPT_CHECK_EQ(pi.size, 5);
    EPT_CHECK_OK(ep_probe_path(vfs, dir, &pi, NULL));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_EMBER_DIR);
    EPT_CHECK(pi.is_dir);
    EPT_CHECK_EQ(pi.shard_count, 2);
    EPT_CHECK_EQ(pi.shard_id, 3);
    EPT_CHECK_OK(ep_path_join(other, sizeof other, dir, "missing"));
    ep_error_clear(&err);
    EPT_CHECK_EQ(ep_probe_path(vfs, other, &pi, &err), EP_ERR_NOT_FOUND);
    EPT_CHECK(err.message[0] != 0);
}

EPT_CASE(files_and_dirs_in_memory) {
    ep_vfs *vfs = NULL;
    ep_probe_info pi;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK_OK(vfs->mkdir(vfs, "d", NULL));
    EPT_CHECK_OK(vfs->mkdir(vfs, "e", NULL));
    EPT_EXPECT(ep_probe_path(vfs, "e", &pi, NULL) == EP_OK && pi.kind == EP_PROBE_DIR && pi.shard_count == 0);
    probe_files_on(vfs, "d");
    ep_vfs_mem_free(vfs);
}

EPT_CASE(files_and_dirs_on_the_os) {
    ep_vfs os;
    ep_probe_info pi;
    const char *dir = ept_tmpdir();
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    probe_files_on(&os, dir);
    /* NULL vfs is the OS */
    EPT_CHECK_OK(ep_probe_path(NULL, dir, &pi, NULL));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_EMBER_DIR);
}

/* Redis kinds: the RDB magic and version digits, a RESP command's start,
 * an appendonlydir/ by its manifest; every prefix of each header. */
EPT_CASE(redis_kinds) {
    const char *rdb = "REDIS0010\xfa\x09redis-ver";
    const char *aof = "*2\r\n$6\r\nSELECT\r\n";
    ep_probe_info pi;
    ep_vfs *vfs = NULL;
    size_t n;
    for (n = 0; n <= strlen(rdb); n++) {
        EPT_CHECK_OK(ep_probe_bytes((const uint8_t *)rdb, n, 100, &pi));
        EPT_CHECK_EQ(pi.kind, n < 5 ? EP_PROBE_UNKNOWN : EP_PROBE_REDIS_RDB);
        EPT_CHECK_EQ(pi.header_ok, n >= 9);
        EPT_CHECK_EQ(pi.version, n >= 9 ? 10 : 0);
    }
    for (n = 0; n <= strlen(aof); n++) {
        EPT_CHECK_OK(ep_probe_bytes((const uint8_t *)aof, n, 100, &pi));
        EPT_CHECK_EQ(pi.kind, n < 2 ? EP_PROBE_UNKNOWN : EP_PROBE_REDIS_AOF);
        EPT_CHECK_EQ(pi.header_ok, n >= 5);
    }
    EPT_CHECK_OK(ep_probe_bytes((const uint8_t *)"REDIS0009", 9, 9, &pi));
    EPT_CHECK(pi.kind == EP_PROBE_REDIS_RDB && pi.version == 9 && pi.header_ok);
    EPT_CHECK_OK(ep_probe_bytes((const uint8_t *)"REDIS0099", 9, 9, &pi));
    EPT_CHECK(pi.kind == EP_PROBE_REDIS_RDB && pi.version == 99 && !pi.header_ok); /* newer than this library reads */
    EPT_CHECK_OK(ep_probe_bytes((const uint8_t *)"REDIS00x9", 9, 9, &pi));
    EPT_CHECK(pi.kind == EP_PROBE_REDIS_RDB && !pi.header_ok);
    EPT_CHECK_OK(ep_probe_bytes((const uint8_t *)"*x\r\n", 5, 5, &pi));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_UNKNOWN);
    EPT_CHECK_OK(ep_probe_bytes((const uint8_t *)"*3x", 3, 3, &pi));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_UNKNOWN);
    EPT_CHECK(strcmp(ep_probe_kind_name(EP_PROBE_REDIS_RDB), "redis_rdb") == 0);
    /* an appendonlydir/ and the files in it */
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK_OK(vfs->mkdir(vfs, "aod", NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "aod/appendonly.aof.1.base.rdb", "REDIS0010", 9, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "aod/appendonly.aof.1.incr.aof", aof, strlen(aof), NULL));
    EPT_CHECK_OK(ep_probe_path(vfs, "aod", &pi, NULL));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_DIR); /* no manifest yet */
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "aod/appendonly.aof.manifest", "file appendonly.aof.1.base.rdb seq 1 type b\n", 44,
                                  NULL));
    EPT_CHECK_OK(ep_probe_path(vfs, "aod", &pi, NULL));
    EPT_CHECK(pi.kind == EP_PROBE_REDIS_AOF_DIR && pi.is_dir);
    EPT_CHECK_OK(ep_probe_path(vfs, "aod/appendonly.aof.1.base.rdb", &pi, NULL));
    EPT_CHECK_EQ(pi.kind, EP_PROBE_REDIS_RDB);
    EPT_CHECK_OK(ep_probe_path(vfs, "aod/appendonly.aof.1.incr.aof", &pi, NULL));
    EPT_CHECK(pi.kind == EP_PROBE_REDIS_AOF && pi.header_ok);
    ep_vfs_mem_free(vfs);
}

EPT_MAIN()
