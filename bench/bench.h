/* Shared helpers for the benchmarks: a monotonic clock and a line printer.
 * Benchmarks print figures and ratios; they never pass or fail on speed. */
#ifndef EP_BENCH_H
#define EP_BENCH_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Prints "  label  value unit  (ratio x vs what)" with aligned columns. */
static void bench_line(const char *label, double value, const char *unit, double ratio, const char *vs) {
    if (vs)
        printf("  %-44s %12.2f %-8s %6.2fx %s\n", label, value, unit, ratio, vs);
    else
        printf("  %-44s %12.2f %s\n", label, value, unit);
    fflush(stdout);
}

/* CPU seconds (user + sys) of this process so far. */
static double bench_cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec * 1e-6;
}

/* A "Field:  N kB" line of /proc/self/status (VmRSS:, VmHWM:), or -1. */
static long bench_status_kb(const char *field) {
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, strlen(field))) v = atol(line + strlen(field));
    fclose(f);
    return v;
}

/* The CPU the figures come from (/proc/cpuinfo "model name"), or "unknown". */
static void bench_cpu_model(char *out, size_t cap) {
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(out, cap, "unknown");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon) continue;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(out, cap, "%s", colon);
        break;
    }
    fclose(f);
}

/* 1 if dir is on a tmpfs (page cache only, no disk under it), 0 if not,
 * -1 if unknown. */
static int bench_is_tmpfs(const char *dir) {
#ifdef __linux__
    struct statfs st;
    if (statfs(dir, &st) != 0) return -1;
    return (unsigned long)st.f_type == 0x01021994ul; /* TMPFS_MAGIC */
#else
    (void)dir;
    return -1;
#endif
}

/* Where a benchmark writes: the argument if given, else $BENCH_DIR, else
 * the current directory (on disk for `make bench`, unlike /tmp on systems
 * where it is a tmpfs). Prints it with the file system kind and the CPU. */
static const char *bench_target_dir(const char *arg) {
    const char *dir = arg && *arg ? arg : getenv("BENCH_DIR");
    char cpu[128];
    int tmpfs;
    if (!dir || !*dir) dir = ".";
    tmpfs = bench_is_tmpfs(dir);
    bench_cpu_model(cpu, sizeof cpu);
    printf("cpu: %s\nfiles in: %s (%s)\n", cpu, dir,
           tmpfs == 1 ? "tmpfs: page cache only" : tmpfs == 0 ? "a disk file system" : "file system unknown");
    return dir;
}

#endif
