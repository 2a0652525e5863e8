/* Snapshot write and read throughput with 1 KiB string values, beside raw
 * write()/read() of the same number of bytes on the same file system (the
 * physical limit of this path). Write includes finish (fsync + rename +
 * directory fsync); the raw write is write() + fsync. Reads come from the
 * page cache for both. Size: BENCH_MB (default 256). */
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

static int run(const char *base, uint64_t mb) {
    uint64_t entries = mb * 1024, i, file_size, got;
    char dir[256], path[256], raw[256];
    uint8_t *value = (uint8_t *)malloc(VALUE), *buf = (uint8_t *)malloc(1 << 20);
    ep_snapshot_writer *w = NULL;
    ep_snapshot_reader *r = NULL;
    ep_snap_entry e;
    ep_snapshot_info info;
    double tw, tadd, tr, trw, trw_nosync, trr, gb;
    char key[32];
    ep_result res;
    snprintf(dir, sizeof dir, "%s/ep-bench-snap-XXXXXX", base);
    if (!value || !buf || !mkdtemp(dir)) return 1;
    for (i = 0; i < VALUE; i++) value[i] = (uint8_t)(i * 31 + 7);
    ep_snapshot_path(dir, 0, path, sizeof path);
    snprintf(raw, sizeof raw, "%s/raw.bin", dir);
    printf("snapshot in %s: %llu entries of 1 KiB string values (%llu MiB), crc32 %s\n", base,
           (unsigned long long)entries, (unsigned long long)mb, ep_crc32_hw_available() ? "hw" : "portable");

    tw = bench_now();
    if (ep_snapshot_writer_begin(path, 0, NULL, &w, NULL)) return 1;
    for (i = 0; i < entries; i++) {
        int n = snprintf(key, sizeof key, "key:%010llu", (unsigned long long)i);
        if (ep_snapshot_writer_add_string(w, ep_bytes_of(key, (size_t)n), ep_bytes_of(value, VALUE), -1)) return 1;
    }
    tadd = bench_now() - tw;
    if (ep_snapshot_writer_finish(w)) return 1;
    ep_snapshot_writer_free(w);
    tw = bench_now() - tw;

    tr = bench_now();
    {
        ep_snapshot_reader_config rc;
        ep_snapshot_reader_config_init(&rc);
        if (getenv("BENCH_RBUF")) rc.buffer_size = (size_t)atoll(getenv("BENCH_RBUF"));
        if (ep_snapshot_reader_open(path, &rc, &r, NULL)) return 1;
    }
    i = 0;
    while ((res = ep_snapshot_reader_next(r, &e)) == EP_OK) i++;
    ep_snapshot_reader_info(r, &info);
    ep_snapshot_reader_free(r);
    tr = bench_now() - tr;
    if (res != EP_SNAPSHOT_END || i != entries) return 1;
    file_size = info.file_size;

    memset(buf, 0x5a, 1 << 20);
    trw = raw_write(raw, buf, 1 << 20, file_size, &trw_nosync); /* 1 MiB writes: raw's best case */
    trr = raw_read(raw, buf, 1 << 20, &got);
    trr = raw_read(raw, buf, 1 << 20, &got); /* warm */
    gb = (double)file_size / 1e9;

    bench_line("snapshot write (add + finish, fsync)", gb / tw, "GB/s", tw > 0 ? trw / tw : 0,
               "of raw write()+fsync");
    bench_line("raw write() 1 MiB chunks + fsync", gb / trw, "GB/s", 1.0, "of raw");
    bench_line("snapshot add phase (encode+CRC+write, no sync)", gb / tadd, "GB/s", trw_nosync / tadd,
               "of raw write() w/o fsync");
    bench_line("raw write() 1 MiB chunks, before fsync", gb / trw_nosync, "GB/s", 1.0, "of raw");
    bench_line("snapshot read (next until END, CRC)", gb / tr, "GB/s", tr > 0 ? trr / tr : 0, "of raw read()");
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
int main(void) {
    const char *mb_env = getenv("BENCH_MB"), *dir = getenv("BENCH_DIR");
    uint64_t mb = mb_env ? (uint64_t)atoll(mb_env) : 256;
    if (dir) return run(dir, mb);
    if (run("/tmp", mb)) return 1;
    if (access("/dev/shm", W_OK) == 0 && run("/dev/shm", mb)) return 1;
    return 0;
}
