/* crc64: Redis's check value and RDB trailer; the folding path equals the
 * table path on every length 0..1100 at every alignment 0..15 and across
 * random incremental splits (printed seed), and on random long lengths at
 * random alignments; both equal an independent Python CRC-64 (the
 * redis-probe rdbdump.py's) on random lengths. Under make cross's aarch64
 * target (EPT_TARGET=aarch64, qemu -cpu max) the PMULL path must be the one
 * that runs. */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>

EPT_CASE(check_value) {
    EPT_CHECK(ep_crc64("123456789", 9) == 0xe9c6d914c4b8d9caull);
    EPT_CHECK(ep_crc64_update_portable(0, "123456789", 9) == 0xe9c6d914c4b8d9caull);
    EPT_CHECK(ep_crc64_update_hw(0, "123456789", 9) == 0xe9c6d914c4b8d9caull);
    EPT_CHECK(ep_crc64(NULL, 0) == 0);
    EPT_CHECK(ep_crc64_update(0x1234, NULL, 0) == 0x1234);
}

/* A DUMP payload from Redis 7.0 (spec A.1): "hello" as type 0, version 10,
 * then the CRC-64 of the bytes before it, little-endian. */
EPT_CASE(redis_dump_payload) {
    static const uint8_t dump[] = {0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0x0a, 0x00,
                                   0x63, 0x72, 0xdf, 0x76, 0x65, 0x34, 0x20, 0x0a};
    EPT_CHECK(ep_crc64(dump, 9) == ep_load_u64le(dump + 9));
}

/* The RDB Redis 7.0 wrote in the probe (if ../shared is here): the trailer
 * is the CRC of everything before it. */
EPT_CASE(redis_rdb_trailer) {
    const char *p = ept_shared_path("tools/redis-probe/redis70-small.rdb");
    size_t n;
    uint8_t *d;
    if (!p) {
        ept_skip("redis70-small.rdb not found in ../shared (set EP_SHARED_DIR)");
        return;
    }
    d = ept_read_file(p, &n);
    EPT_CHECK(d && n == 327);
    EPT_CHECK(ep_crc64(d, n - 8) == ep_load_u64le(d + n - 8));
    EPT_CHECK(ep_load_u64le(d + n - 8) == 0x69cf89d6859c9816ull);
    free(d);
}

EPT_CASE(paths_agree_every_length_and_alignment) {
    uint64_t st = ept_seed();
    uint8_t *buf = (uint8_t *)malloc(1100 + 16);
    size_t len, al, i;
    EPT_CHECK(buf);
    for (i = 0; i < 1116; i++) buf[i] = (uint8_t)ept_rand(&st);
    if (!ep_crc64_hw_available()) printf("    (no folding path on this CPU: the hw calls take the table path)\n");
    for (len = 0; len <= 1100; len++) {
        for (al = 0; al < 16; al++) {
            uint64_t init = len & 1 ? 0 : ept_rand(&st);
            uint64_t a = ep_crc64_update_portable(init, buf + al, len);
            uint64_t b = ep_crc64_update_hw(init, buf + al, len);
            uint64_t c = ep_crc64_update(init, buf + al, len);
            if (a != b || a != c) {
                printf("    len %u align %u differ\n", (unsigned)len, (unsigned)al);
                EPT_CHECK(0);
            }
        }
    }
    free(buf);
}

/* The folding path runs where it is compiled in: on aarch64 under qemu
 * -cpu max (PMULL), and on x86-64 CPUs with PCLMULQDQ. */
EPT_CASE(folding_path_runs_where_expected) {
    const char *target = getenv("EPT_TARGET");
    printf("    folding path %s\n", ep_crc64_hw_available() ? "available" : "not available");
#if defined(__aarch64__) && !defined(EP_NO_SIMD)
    if (target && strcmp(target, "aarch64") == 0) EPT_CHECK(ep_crc64_hw_available());
#else
    (void)target;
#endif
}

/* Long random inputs at random alignments: hw and table paths agree. */
EPT_CASE(paths_agree_random_long_lengths) {
    uint64_t st = ept_seed();
    long round, rounds = ept_scale(200, 20);
    size_t cap = 1u << 20;
    uint8_t *buf = (uint8_t *)malloc(cap + 64);
    size_t i;
    EPT_CHECK(buf);
    for (i = 0; i < cap + 64; i++) buf[i] = (uint8_t)ept_rand(&st);
    for (round = 0; round < rounds; round++) {
        size_t al = (size_t)(ept_rand(&st) % 64);
        size_t n = (size_t)(ept_rand(&st) % (round & 1 ? cap : 5000));
        uint64_t init = ept_rand(&st);
        uint64_t a = ep_crc64_update_portable(init, buf + al, n);
        if (a != ep_crc64_update_hw(init, buf + al, n) || a != ep_crc64_update(init, buf + al, n)) {
            printf("    len %u align %u differ\n", (unsigned)n, (unsigned)al);
            EPT_CHECK(0);
        }
    }
    free(buf);
}

EPT_CASE(incremental_splits) {
    uint64_t st = ept_seed();
    long round, rounds = ept_scale(300, 10);
    size_t cap = 70000;
    uint8_t *buf = (uint8_t *)malloc(cap);
    EPT_CHECK(buf);
    for (round = 0; round < rounds; round++) {
        size_t n = (size_t)(ept_rand(&st) % cap), i, off = 0;
        uint64_t whole, inc = 0;
        for (i = 0; i < n; i++) buf[i] = (uint8_t)ept_rand(&st);
        whole = ep_crc64(buf, n);
        while (off < n) {
            size_t k = (size_t)(ept_rand(&st) % 300);
            if (k > n - off) k = n - off;
            inc = ep_crc64_update(inc, buf + off, k);
            off += k;
        }
        EPT_CHECK(inc == whole);
    }
    free(buf);
}

EPT_CASE(python_oracle_random_lengths) {
    const char *py = ept_shared_path("tools/redis-probe/rdbdump.py");
    char cmd[2048], out[65536], path[600];
    uint64_t st = ept_seed();
    uint64_t want[40];
    int i;
    char *line;
    char tmp[600];
    if (!py || !ept_have_program("python3")) {
        ept_skip("rdbdump.py (../shared) or python3 missing");
        return;
    }
    snprintf(tmp, sizeof tmp, "%s", ept_tmpdir());
    for (i = 0; i < 40; i++) {
        size_t n = i < 20 ? (size_t)i * 7 : (size_t)(ept_rand(&st) % 200000), k;
        uint8_t *d = (uint8_t *)malloc(n + 1);
        EPT_CHECK(d);
        for (k = 0; k < n; k++) d[k] = (uint8_t)ept_rand(&st);
        snprintf(path, sizeof path, "%s/r%02d", tmp, i);
        EPT_CHECK(ept_write_file(path, d, n) == 0);
        want[i] = ep_crc64(d, n);
        free(d);
    }
    {
        char dir[1024];
        char *s;
        snprintf(dir, sizeof dir, "%s", py);
        s = strrchr(dir, '/');
        if (s) *s = '\0';
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && python3 -c \"import sys; sys.path.insert(0, '%.900s'); import rdbdump\n"
                 "for i in range(40): print('%%016x' %% rdbdump.crc64(open('r%%02d' %% i, 'rb').read()))\"",
                 tmp, dir);
    }
    EPT_CHECK(ept_run_cmd(cmd, out, sizeof out) == 0);
    line = out;
    for (i = 0; i < 40; i++) {
        unsigned long long v;
        EPT_CHECK(sscanf(line, "%16llx", &v) == 1);
        EPT_CHECK((uint64_t)v == want[i]);
        line = strchr(line, '\n');
        EPT_CHECK(line);
        line++;
    }
}

EPT_MAIN()
