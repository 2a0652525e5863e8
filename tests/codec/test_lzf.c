/* lzf: the block Redis 7.0 wrote for 100 x 'a' decodes; random inputs of
 * many shapes round-trip (printed seed) and decode the same with the
 * probe's Python LZF (an independent decoder); the Redis rule (compress only
 * when it saves 4+ bytes) leaves random data raw; every corrupt form is
 * refused without writing outside the output (truncations, bad offsets,
 * wrong lengths). */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"

#include <stdio.h>
#include <stdlib.h>

static uint32_t work[EP_LZF_WORK_ENTRIES];

EPT_CASE(redis_block) {
    static const uint8_t blk[] = {0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61};
    uint8_t out[100], want[100];
    memset(want, 'a', sizeof want);
    EPT_CHECK_OK(ep_lzf_decompress(blk, sizeof blk, out, sizeof out));
    EPT_CHECK_MEM(out, want, 100);
    EPT_CHECK(ep_lzf_decompress(blk, sizeof blk, out, 99) == EP_ERR_CORRUPT);
    {
        uint8_t big[101];
        EPT_CHECK(ep_lzf_decompress(blk, sizeof blk, big, 101) == EP_ERR_CORRUPT);
    }
}

/* Inputs with structure: runs, repeats at every distance, text, random. */
static size_t make_input(uint64_t *st, uint8_t *d, size_t cap) {
    size_t n = (size_t)(ept_rand(st) % cap), i;
    unsigned shape = (unsigned)(ept_rand(st) % 5);
    size_t period = 1 + (size_t)(ept_rand(st) % 9000);
    for (i = 0; i < n; i++) {
        switch (shape) {
        case 0: d[i] = (uint8_t)ept_rand(st); break;
        case 1: d[i] = (uint8_t)('a' + (i / 7) % 3); break;
        case 2: d[i] = i < period ? (uint8_t)ept_rand(st) : d[i - period]; break;
        case 3: d[i] = (uint8_t)("the quick brown fox "[ept_rand(st) % 20]); break;
        default: d[i] = (uint8_t)(ept_rand(st) % 4 == 0 ? ept_rand(st) : 'x'); break;
        }
    }
    return n;
}

EPT_CASE(round_trip_random) {
    uint64_t st = ept_seed();
    long round, rounds = ept_scale(3000, 20);
    size_t cap = 40000;
    uint8_t *in = (uint8_t *)malloc(cap), *c = (uint8_t *)malloc(cap * 2 + 64), *back = (uint8_t *)malloc(cap);
    EPT_CHECK(in && c && back);
    memset(work, 0, sizeof work);
    for (round = 0; round < rounds && !ept_failed(); round++) {
        size_t n = make_input(&st, in, round < 100 ? 64 : cap);
        size_t cn = ep_lzf_compress(in, n, c, cap * 2 + 64, work);
        EPT_CHECK(n == 0 || cn > 0);
        EPT_CHECK_OK(ep_lzf_decompress(c, cn, back, n));
        EPT_CHECK(n == 0 || memcmp(in, back, n) == 0);
        /* a cap one byte short of the output refuses */
        if (cn > 1) EPT_CHECK(ep_lzf_compress(in, n, c, cn - 1, work) == 0);
    }
    /* Redis's rule: random data does not save 4 bytes, runs do. */
    {
        size_t i;
        for (i = 0; i < 100; i++) in[i] = (uint8_t)ept_rand(&st);
        EPT_CHECK(ep_lzf_compress(in, 100, c, 96, work) == 0);
        memset(in, 'a', 21);
        EPT_CHECK(ep_lzf_compress(in, 21, c, 17, work) > 0);
    }
    free(in);
    free(c);
    free(back);
}

EPT_CASE(corrupt_blocks_refused) {
    uint64_t st = ept_seed();
    uint8_t in[3000], c[4000], out[3000];
    size_t n, cn, cut;
    long round;
    memset(work, 0, sizeof work);
    for (n = 0; n < sizeof in; n++) in[n] = (uint8_t)("abcabcabd"[n % 9] + (n % 500 == 0));
    cn = ep_lzf_compress(in, sizeof in, c, sizeof c, work);
    EPT_CHECK(cn > 0 && cn < 400);
    for (cut = 0; cut < cn; cut++) EPT_CHECK(ep_lzf_decompress(c, cut, out, sizeof in) == EP_ERR_CORRUPT);
    /* a reference before the start */
    {
        static const uint8_t bad1[] = {0x00, 0x61, 0x20, 0x01};   /* back 2 with 1 byte out */
        static const uint8_t bad2[] = {0xe0};                     /* missing length byte */
        static const uint8_t bad3[] = {0x05, 0x61};               /* literal run past the input */
        EPT_CHECK(ep_lzf_decompress(bad1, 4, out, 4) == EP_ERR_CORRUPT);
        EPT_CHECK(ep_lzf_decompress(bad2, 1, out, 10) == EP_ERR_CORRUPT);
        EPT_CHECK(ep_lzf_decompress(bad3, 2, out, 6) == EP_ERR_CORRUPT);
    }
    /* bit flips: an error or some output of the right size, never a crash */
    for (round = 0; round < ept_scale(20000, 20); round++) {
        uint8_t m[4000];
        size_t at = (size_t)(ept_rand(&st) % cn);
        memcpy(m, c, cn);
        m[at] ^= (uint8_t)(1u << (ept_rand(&st) % 8));
        (void)ep_lzf_decompress(m, cn, out, sizeof in);
    }
}

EPT_CASE(python_decoder_oracle) {
    const char *py = ept_shared_path("tools/redis-probe/rdbdump.py");
    char dir[1024], tmp[600], path[700], cmd[3000], out[4096];
    uint64_t st = ept_seed();
    int i;
    char *s;
    if (!py || !ept_have_program("python3")) {
        ept_skip("rdbdump.py (../shared) or python3 missing");
        return;
    }
    snprintf(dir, sizeof dir, "%s", py);
    s = strrchr(dir, '/');
    if (s) *s = '\0';
    snprintf(tmp, sizeof tmp, "%s", ept_tmpdir());
    memset(work, 0, sizeof work);
    for (i = 0; i < 30; i++) {
        static uint8_t in[40000], c[90000];
        size_t n = make_input(&st, in, sizeof in), cn;
        if (n == 0) n = 1, in[0] = 'z';
        cn = ep_lzf_compress(in, n, c, sizeof c, work);
        EPT_CHECK(cn > 0);
        snprintf(path, sizeof path, "%s/u%02d", tmp, i);
        EPT_CHECK(ept_write_file(path, in, n) == 0);
        snprintf(path, sizeof path, "%s/c%02d", tmp, i);
        EPT_CHECK(ept_write_file(path, c, cn) == 0);
    }
    snprintf(cmd, sizeof cmd,
             "cd '%s' && python3 -c \"import sys; sys.path.insert(0, '%.900s'); import rdbdump\n"
             "bad = 0\nfor i in range(30):\n  u = open('u%%02d' %% i, 'rb').read()\n"
             "  if rdbdump.lzf_decompress(open('c%%02d' %% i, 'rb').read(), len(u)) != u: bad += 1\n"
             "print('bad', bad)\"",
             tmp, dir);
    EPT_CHECK(ept_run_cmd(cmd, out, sizeof out) == 0);
    EPT_CHECK(strcmp(out, "bad 0\n") == 0);
}

EPT_MAIN()
