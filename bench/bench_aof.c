/* AOF append and replay against the physical limits of the same machine:
 *   append: SET records with 64-byte values, policy NO, into a file in the
 *           target directory (argument, $BENCH_DIR, else the current one:
 *           printed with its file system kind), beside a raw write() of the
 *           same total bytes in 64 KiB chunks; no fsync, so both land in the
 *           page cache whatever the disk;
 *   replay: the reader decoding every record, beside a raw read() of the
 *           same bytes in 256 KiB chunks (warm page cache for both);
 *   encrypted append of 1 KiB values beside plaintext 1 KiB appends.
 * Prints figures and ratios; never fails on speed. */
#include "bench.h" /* first: it asks for POSIX 2008 */
#include "ember_persist.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static double raw_write(const char *path, uint64_t total) {
    static uint8_t chunk[64 * 1024];
    uint64_t done = 0;
    double t;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    memset(chunk, 'x', sizeof chunk);
    t = bench_now();
    while (done < total) {
        size_t n = total - done < sizeof chunk ? (size_t)(total - done) : sizeof chunk;
        if (write(fd, chunk, n) != (ssize_t)n) break;
        done += n;
    }
    t = bench_now() - t;
    close(fd);
    return t;
}

static double raw_read(const char *path, uint64_t *bytes) {
    static uint8_t chunk[256 * 1024];
    double t;
    ssize_t n;
    int fd = open(path, O_RDONLY);
    *bytes = 0;
    if (fd < 0) return 0;
    t = bench_now();
    while ((n = read(fd, chunk, sizeof chunk)) > 0) *bytes += (uint64_t)n;
    t = bench_now() - t;
    close(fd);
    return t;
}

/* Appends n SET records (value_len bytes) under policy NO; returns seconds. */
static double append_sets(const char *path, long n, size_t value_len, const ep_key *key, uint64_t *size) {
    ep_aof_writer_config cfg;
    ep_aof_writer *w;
    ep_aof_stats s;
    uint8_t *val = (uint8_t *)malloc(value_len);
    char keybuf[32];
    double t;
    long i;
    memset(val, 'v', value_len);
    remove(path);
    ep_aof_writer_config_init(&cfg);
    cfg.fsync = EP_FSYNC_NO;
    cfg.key = key;
    if (ep_aof_writer_open(path, &cfg, &w, NULL) != EP_OK) {
        free(val);
        return 0;
    }
    memcpy(keybuf, "key:0000000000", 14);
    t = bench_now();
    for (i = 0; i < n; i++) {
        keybuf[13] = (char)('0' + i % 10);
        keybuf[12] = (char)('0' + (i / 10) % 10);
        ep_aof_set(w, ep_bytes_of(keybuf, 14), ep_bytes_of(val, value_len), -1);
    }
    ep_aof_writer_flush(w);
    t = bench_now() - t;
    ep_aof_writer_stats(w, &s);
    *size = s.size;
    ep_aof_writer_close(w);
    free(val);
    return t;
}

static double replay(const char *path, const ep_key *key, long *count) {
    ep_aof_reader_config cfg;
    ep_aof_reader *r;
    ep_aof_record rec;
    double t;
    uint64_t sum = 0;
    ep_aof_reader_config_init(&cfg);
    cfg.key = key;
    *count = 0;
    if (ep_aof_reader_open(path, &cfg, &r, NULL) != EP_OK) return 0;
    t = bench_now();
    while (ep_aof_reader_next(r, &rec) == EP_OK) {
        sum += rec.value.len;
        (*count)++;
    }
    t = bench_now() - t;
    ep_aof_reader_close(r);
    if (sum == 0) printf("  (no values?)\n");
    return t;
}

/* bench_aof [plain] [dir]: dir (or $BENCH_DIR; default: the current
 * directory, on disk) holds the files. */
int main(int argc, char **argv) {
    int plain = argc > 1 && strcmp(argv[1], "plain") == 0;
    const char *dir = bench_target_dir(argc > 1 + plain ? argv[1 + plain] : NULL);
    char path[512], raw[512];
    long n = 5000000, got;
    uint64_t size = 0, rbytes;
    double ta, tw, tr, trr;
    uint8_t kb[32];
    ep_key *key = NULL;
    if (getenv("EPT_QUICK")) n = 200000;
    snprintf(path, sizeof path, "%s/ep_bench_aof.aof", dir);
    snprintf(raw, sizeof raw, "%s/ep_bench_aof.raw", dir);
    printf("AOF append / replay (%ld SET records, 14-byte key, 64-byte value, policy NO)\n", n);
    ta = append_sets(path, n, 64, NULL, &size);
    tw = raw_write(raw, size);
    bench_line("append (records/s)", (double)n / ta / 1e6, "M/s", 0, NULL);
    bench_line("append (MB/s)", (double)size / ta / 1e6, "MB/s", tw / ta, "of raw write() 64 KiB");
    bench_line("raw write() of the same bytes (MB/s)", (double)size / tw / 1e6, "MB/s", 1.0, "physical limit");
    trr = raw_read(path, &rbytes);
    tr = replay(path, NULL, &got);
    if (got != n) printf("  replay read %ld of %ld records!\n", got, n);
    bench_line("replay (records/s)", (double)got / tr / 1e6, "M/s", 0, NULL);
    bench_line("replay (MB/s)", (double)size / tr / 1e6, "MB/s", trr / tr, "of raw read() 256 KiB");
    bench_line("raw read() of the same bytes (MB/s)", (double)rbytes / trr / 1e6, "MB/s", 1.0, "physical limit");
    {
        /* The CRC alone over records of this size: a floor for both paths. */
        static uint8_t rec[95];
        uint32_t acc = 0;
        long i;
        double tc;
        memset(rec, 'r', sizeof rec);
        tc = bench_now();
        for (i = 0; i < n; i++) {
            rec[0] = (uint8_t)i;
            acc ^= ep_crc32(rec, sizeof rec);
        }
        tc = bench_now() - tc;
        bench_line("ep_crc32 alone, 95-byte records (records/s)", (double)n / tc / 1e6, "M/s", tc / ta,
                   acc ? "of append time" : "of append time ");
    }
    memset(kb, 0x42, sizeof kb);
    if (!plain && ep_key_create(kb, NULL, &key) == EP_OK) {
        long m = n / 10;
        uint64_t s1, s2;
        double tp = append_sets(path, m, 1024, NULL, &s1);
        double te = append_sets(path, m, 1024, key, &s2);
        printf("AOF encrypted append (%ld SET records, 1 KiB values, policy NO, crypto %s)\n", m,
               ep_crypto_hw_available() ? "hw" : "portable");
        bench_line("plaintext append (MB/s)", (double)s1 / tp / 1e6, "MB/s", 1.0, "baseline");
        bench_line("encrypted append (MB/s)", (double)s2 / te / 1e6, "MB/s", tp / te, "of plaintext");
        tr = replay(path, key, &got);
        bench_line("encrypted replay (records/s)", (double)got / tr / 1e6, "M/s", 0, NULL);
        ep_key_free(key);
    }
    remove(path);
    remove(raw);
    return 0;
}
