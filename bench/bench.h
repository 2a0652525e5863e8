/* Shared helpers for the benchmarks: a monotonic clock and a line printer.
 * Benchmarks print figures and ratios; they never pass or fail on speed. */
#ifndef EP_BENCH_H
#define EP_BENCH_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdint.h>
#include <time.h>

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

#endif
