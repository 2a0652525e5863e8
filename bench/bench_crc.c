/* CRC-32 throughput: portable and carry-less paths against zlib's crc32 and
 * against a plain read of the same memory (the physical limit). */
#include "bench.h"
#include "ember_persist.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef uint32_t (*crc_fn)(uint32_t, const uint8_t *, size_t);

static uint32_t run_portable(uint32_t c, const uint8_t *p, size_t n) { return ep_crc32_update_portable(c, p, n); }
static uint32_t run_hw(uint32_t c, const uint8_t *p, size_t n) { return ep_crc32_update_hw(c, p, n); }
static uint32_t run_auto(uint32_t c, const uint8_t *p, size_t n) { return ep_crc32_update(c, p, n); }
static uint32_t run_zlib(uint32_t c, const uint8_t *p, size_t n) { return (uint32_t)crc32(c, p, (uInt)n); }

/* Reads every byte once (64-bit xor), the floor any checksum pays. */
static uint32_t run_read(uint32_t c, const uint8_t *p, size_t n) {
    uint64_t acc = c, w;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        acc ^= w;
    }
    return (uint32_t)(acc ^ (acc >> 32));
}

static volatile uint32_t sink;

/* MB/s of one timed round of `calls` calls of `len` bytes. */
static double round_mbs(crc_fn f, const uint8_t *buf, size_t len, size_t calls) {
    uint32_t c = 0;
    size_t i;
    double t0 = bench_now(), dt;
    for (i = 0; i < calls; i++) c = f(c, buf + (i & 7), len);
    dt = bench_now() - t0;
    sink = c;
    return (double)len * (double)calls / 1e6 / dt;
}

/* Best of `reps` rounds for each function; the rounds alternate between the
 * functions so that a noisy neighbour or a clock change hits all alike. */
static void measure(const crc_fn *fs, double *best, int nf, const uint8_t *buf, size_t len, size_t calls,
                    int reps) {
    int r, k;
    for (k = 0; k < nf; k++) best[k] = 0;
    for (r = 0; r < reps; r++) {
        for (k = 0; k < nf; k++) {
            double v = round_mbs(fs[k], buf, len, calls);
            if (v > best[k]) best[k] = v;
        }
    }
}

/* ns per call over a short round. Chained: each call starts from the
 * previous result, the latency of one check after another. Independent:
 * each starts from its index, so the CPU may overlap calls, as it can when
 * a reader checks records whose CRCs do not depend on each other. */
static double ns_per_call(crc_fn f, const uint8_t *buf, size_t len, int chained) {
    const size_t calls = 1u << 16;
    uint32_t c = 0;
    size_t i;
    double t0 = bench_now(), dt;
    if (chained)
        for (i = 0; i < calls; i++) c = f(c, buf + (i & 7), len);
    else
        for (i = 0; i < calls; i++) c ^= f((uint32_t)i, buf + (i & 7), len);
    dt = bench_now() - t0;
    sink = c;
    return dt * 1e9 / (double)calls;
}

/* Record-sized calls on every path: best of 31 short rounds that alternate
 * between the paths (the machine is shared and noisy). */
static void record_sized(const uint8_t *buf, int chained) {
    static const size_t lens[] = {1, 3, 4, 8, 12, 15, 16, 24, 32, 40, 48, 52, 63, 64, 100, 256};
    static const crc_fn fs[4] = {run_zlib, run_portable, run_hw, run_auto};
    size_t i;
    int r, k;
    printf("record-sized calls, ns per %s call, best of 31\n", chained ? "chained" : "independent");
    printf("  %5s %8s %8s %8s %8s\n", "bytes", "zlib", "portable", "hw", "auto");
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        double best[4] = {1e9, 1e9, 1e9, 1e9};
        for (r = 0; r < 31; r++) {
            for (k = 0; k < 4; k++) {
                double v = ns_per_call(fs[k], buf, lens[i], chained);
                if (v < best[k]) best[k] = v;
            }
        }
        printf("  %5u %8.2f %8.2f %8.2f %8.2f\n", (unsigned)lens[i], best[0], best[1], best[2], best[3]);
    }
}

int main(int argc, char **argv) {
    size_t n = (size_t)64 << 20, i;
    uint8_t *buf = (uint8_t *)malloc(n + 8);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    static const size_t sizes[] = {16, 64, 256, 1024, 4096};
    if (!buf) return 1;
    for (i = 0; i < n + 8; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        buf[i] = (uint8_t)(s >> 24);
    }
    if (ep_crc32_update_portable(0, buf, n) != run_zlib(0, buf, n) || ep_crc32(buf, n) != run_zlib(0, buf, n)) {
        printf("crc mismatch against zlib\n");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "small") == 0) { /* only the record-sized table */
        record_sized(buf, 1);
        record_sized(buf, 0);
        free(buf);
        return 0;
    }
    printf("crc32, 64 MiB random buffer, best of 5 (hw path %s)\n",
           ep_crc32_hw_available() ? "available" : "NOT available");
    {
        static const crc_fn fs[5] = {run_read, run_zlib, run_portable, run_hw, run_auto};
        double v[5];
        measure(fs, v, 5, buf, n, 1, 5);
        bench_line("memory read (physical limit)", v[0], "MB/s", 1.0, "");
        bench_line("zlib crc32", v[1], "MB/s", v[1] / v[0], "of memory read");
        bench_line("ep portable (slicing-by-16, 3 chains)", v[2], "MB/s", v[2] / v[1], "vs zlib");
        bench_line("ep hw (carry-less folding)", v[3], "MB/s", v[3] / v[1], "vs zlib");
        bench_line("ep_crc32_update (auto)", v[4], "MB/s", v[4] / v[1], "vs zlib");
        bench_line("ep hw vs memory read", v[3], "MB/s", v[3] / v[0], "of memory read");
    }
    {
        /* In cache (256 KiB calls): the compute cost without the memory wall. */
        static const crc_fn fs[3] = {run_zlib, run_portable, run_hw};
        double v[3];
        measure(fs, v, 3, buf, (size_t)256 << 10, 256, 7);
        printf("in cache: 256 KiB calls, best of 7\n");
        bench_line("zlib crc32", v[0], "MB/s", 1.0, "");
        bench_line("ep portable (slicing-by-16, 3 chains)", v[1], "MB/s", v[1] / v[0], "vs zlib");
        bench_line("ep hw (carry-less folding)", v[2], "MB/s", v[2] / v[0], "vs zlib");
    }
    printf("small buffers (record-sized), auto path vs zlib, best of 5\n");
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        static const crc_fn fs[2] = {run_zlib, run_auto};
        double v[2];
        char label[64];
        measure(fs, v, 2, buf, sizes[i], ((size_t)64 << 20) / sizes[i], 5);
        snprintf(label, sizeof label, "ep_crc32_update, %u-byte calls", (unsigned)sizes[i]);
        bench_line(label, v[1], "MB/s", v[1] / v[0], "vs zlib");
    }
    record_sized(buf, 1);
    record_sized(buf, 0);
    free(buf);
    return 0;
}
