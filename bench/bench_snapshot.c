/* Snapshot write and read throughput with 1 KiB string values, beside raw
 * write()/read() of the same number of bytes on the same file system (the
 * physical limit of this path). Write includes finish (fsync + rename +
 * directory fsync); the raw write is write() + fsync. Reads come from the
 * page cache for both. Size: BENCH_MB (default 256). Where: the argument,
 * $BENCH_DIR, else the current directory (on disk), then /dev/shm (tmpfs)
 * for the CPU path; each printed with its file system kind. */
#include "bench.h"
#include "ember_persist.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VALUE 1024

/* Returns the total time; *t_write gets the part before fsync. */
static double raw_write(const char *path, const uint8_t *chunk, size_t chunk_len, uint64_t total, double *t_write) {
    double t0 = bench_now();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    uint64_t done = 0;
    if (fd < 0) exit(1);
    while (done < total) {
        size_t n = (size_t)(total - done < chunk_len ? total - done : chunk_len);
        if (write(fd, chunk, n) != (ssize_t)n) exit(1);
        done += n;
    }
    *t_write = bench_now() - t0;
    if (fsync(fd) != 0) exit(1);
    close(fd);
    return bench_now() - t0;
}

static double raw_read(const char *path, uint8_t *buf, size_t cap, uint64_t *total) {
    double t0 = bench_now();
    int fd = open(path, O_RDONLY);
    ssize_t n;
    *total = 0;
    if (fd < 0) exit(1);
    while ((n = read(fd, buf, cap)) > 0) *total += (uint64_t)n;
    close(fd);
    return bench_now() - t0;
}

/* "key:" + 10 digits, without printf (the bench measures the library). */
static void make_key(char *k, uint64_t i) {
    int d;
    memcpy(k, "key:", 4);
    for (d = 13; d >= 4; d--) {
        k[d] = (char)('0' + i % 10);
        i /= 10;
    }
}

/* Returns the total time (begin..finish), *t_add the part before finish. */
static double snap_write(const char *path, uint64_t entries, const uint8_t *value, double *t_add) {
    ep_snapshot_writer *w = NULL;
    char key[14];
    uint64_t i;
    double t0 = bench_now();
    if (ep_snapshot_writer_begin(path, 0, NULL, &w, NULL)) exit(1);
    for (i = 0; i < entries; i++) {
        make_key(key, i);
        if (ep_snapshot_writer_add_string(w, ep_bytes_of(key, sizeof key), ep_bytes_of(value, VALUE), -1)) exit(1);
    }
    *t_add = bench_now() - t0;
    if (ep_snapshot_writer_commit(w, NULL)) exit(1);
    return bench_now() - t0;
}

static double snap_read(const char *path, uint64_t entries, uint64_t *file_size) {
    ep_snapshot_reader_config rc;
    ep_snapshot_reader *r = NULL;
    ep_snapshot_info info;
    ep_snap_entry e;
    ep_result res;
    uint64_t n = 0;
    double t0 = bench_now();
    ep_snapshot_reader_config_init(&rc);
    if (getenv("BENCH_RBUF")) rc.buffer_size = (size_t)atoll(getenv("BENCH_RBUF"));
    if (ep_snapshot_reader_open(path, &rc, &r, NULL)) exit(1);
    while ((res = ep_snapshot_reader_next(r, &e)) == EP_OK) n++;
    ep_snapshot_reader_info(r, &info);
    ep_snapshot_reader_close(r);
    if (res != EP_END || n != entries) exit(1);
    *file_size = info.file_size;
    return bench_now() - t0;
}

#define MIN_OF(a, b) ((a) < (b) ? (a) : (b))

/* Three alternating rounds of each; the best time of each counts, so the
 * order (page cache, writeback of the previous file) favours neither. */
static int run(const char *base, uint64_t mb) {
    uint64_t entries = mb * 1024, i, file_size = 0, got;
    char dir[256], path[256], raw[256];
    uint8_t *value = (uint8_t *)malloc(VALUE), *buf = (uint8_t *)malloc(1 << 20);
    double tw = 1e9, tadd = 1e9, tr = 1e9, trw = 1e9, trw_nosync = 1e9, trr = 1e9, gb, a, b;
    int round;
    snprintf(dir, sizeof dir, "%s/ep-bench-snap-XXXXXX", base);
    if (!value || !buf || !mkdtemp(dir)) return 1;
    for (i = 0; i < VALUE; i++) value[i] = (uint8_t)(i * 31 + 7);
    memset(buf, 0x5a, 1 << 20);
    ep_snapshot_path(dir, 0, path, sizeof path);
    snprintf(raw, sizeof raw, "%s/raw.bin", dir);
    printf("snapshot in %s: %llu entries of 1 KiB string values (%llu MiB), crc32 %s, best of 3\n", base,
           (unsigned long long)entries, (unsigned long long)mb, ep_crc32_hw_available() ? "hw" : "portable");
    for (round = 0; round < 3; round++) {
        a = snap_write(path, entries, value, &b);
        tw = MIN_OF(tw, a);
        tadd = MIN_OF(tadd, b);
        tr = MIN_OF(tr, snap_read(path, entries, &file_size));
        a = raw_write(raw, buf, 1 << 20, file_size, &b); /* 1 MiB writes: raw's best case */
        trw = MIN_OF(trw, a);
        trw_nosync = MIN_OF(trw_nosync, b);
        trr = MIN_OF(trr, raw_read(raw, buf, 1 << 20, &got));
    }
    gb = (double)file_size / 1e9;

    bench_line("snapshot write (add + finish, fsync)", gb / tw, "GB/s", trw / tw, "of raw write()+fsync");
    bench_line("raw write() 1 MiB chunks + fsync", gb / trw, "GB/s", 1.0, "of raw");
    bench_line("snapshot add phase (encode+CRC+write)", gb / tadd, "GB/s", trw_nosync / tadd,
               "of raw write() w/o fsync");
    bench_line("raw write() 1 MiB chunks, before fsync", gb / trw_nosync, "GB/s", 1.0, "of raw");
    bench_line("snapshot read (next until END, CRC)", gb / tr, "GB/s", trr / tr, "of raw read()");
    bench_line("raw read() 1 MiB chunks", gb / trr, "GB/s", 1.0, "of raw");
    bench_line("entries written per second", (double)entries / tw / 1e6, "M/s", 0, NULL);
    bench_line("entries read per second", (double)entries / tr / 1e6, "M/s", 0, NULL);

    unlink(path);
    unlink(raw);
    rmdir(dir);
    free(value);
    free(buf);
    return 0;
}

/* The disk (fsync-bound) and, where there is one, tmpfs (the CPU path:
 * encode, CRC and copies against the kernel's own copy into the page cache). */
int main(int argc, char **argv) {
    const char *mb_env = getenv("BENCH_MB"), *dir = bench_target_dir(argc > 1 ? argv[1] : NULL);
    uint64_t mb = mb_env ? (uint64_t)atoll(mb_env) : 256;
    if (run(dir, mb)) return 1;
    if (bench_is_tmpfs(dir) != 1 && access("/dev/shm", W_OK) == 0 && bench_is_tmpfs("/dev/shm") == 1) {
        printf("files in: /dev/shm (tmpfs: page cache only)\n");
        if (run("/dev/shm", mb)) return 1;
    }
    return 0;
}
