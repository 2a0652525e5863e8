/* The harness implementation (see tests/harness.h). */
#define _GNU_SOURCE
#include "../harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EPT_MAX_CASES 1024

static struct { const char *name; ept_fn fn; } ept_cases[EPT_MAX_CASES];
static int ept_ncases;
static int ept_case_failed;
static int ept_case_skipped;
static int ept_have_seed;
static uint64_t ept_the_seed;
static char ept_dir[512];
static int ept_dir_counter;

void ept_register(const char *name, ept_fn fn) {
    if (ept_ncases < EPT_MAX_CASES) {
        ept_cases[ept_ncases].name = name;
        ept_cases[ept_ncases].fn = fn;
        ept_ncases++;
    }
}

void ept_fail(const char *file, int line, const char *what) {
    ept_case_failed = 1;
    printf("    %s:%d: check failed: %s\n", file, line, what);
    fflush(stdout);
}

int ept_failed(void) { return ept_case_failed; }

void ept_skip(const char *why) {
    ept_case_skipped = 1;
    printf("    skipped: %s\n", why ? why : "");
    fflush(stdout);
}

uint64_t ept_seed(void) {
    if (!ept_have_seed) {
        const char *s = getenv("EPT_SEED");
        if (s && *s) {
            ept_the_seed = strtoull(s, NULL, 0);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ept_the_seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
        }
        ept_have_seed = 1;
        printf("    seed: EPT_SEED=%llu\n", (unsigned long long)ept_the_seed);
    }
    return ept_the_seed;
}

long ept_scale(long n, long scale_down) {
    const char *q = getenv("EPT_QUICK");
    if (q && *q && *q != '0') {
        long r = n / (scale_down > 0 ? scale_down : 1);
        return r > 0 ? r : 1;
    }
    return n;
}

uint64_t ept_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void ept_rmtree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char sub[1024];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            ept_rmtree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void ept_cleanup(void) {
    if (ept_dir[0]) ept_rmtree(ept_dir);
}

const char *ept_tmpdir(void) {
    static char sub[600];
    if (!ept_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(ept_dir, sizeof ept_dir, "%s/ept-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(ept_dir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(ept_cleanup);
    }
    snprintf(sub, sizeof sub, "%s/%d", ept_dir, ++ept_dir_counter);
    mkdir(sub, 0700);
    return sub;
}

int ept_run(int argc, char **argv) {
    const char *filter = getenv("EPT_FILTER");
    const char *prog = argc > 0 ? strrchr(argv[0], '/') : NULL;
    int passed = 0, failed = 0, skipped = 0, i;
    prog = prog ? prog + 1 : (argc > 0 ? argv[0] : "test");
    if (argc > 1) filter = argv[1];
    for (i = 0; i < ept_ncases; i++) {
        clock_t t0;
        double ms;
        if (filter && *filter && !strstr(ept_cases[i].name, filter)) continue;
        ept_case_failed = 0;
        ept_case_skipped = 0;
        t0 = clock();
        ept_cases[i].fn();
        ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
        if (ept_case_failed) {
            failed++;
            printf("FAIL %s/%s\n", prog, ept_cases[i].name);
        } else if (ept_case_skipped) {
            skipped++;
            printf("skip %s/%s\n", prog, ept_cases[i].name);
        } else {
            passed++;
            printf("ok   %s/%s (%.0f ms)\n", prog, ept_cases[i].name, ms);
        }
        fflush(stdout);
    }
    printf("RESULT %d %d %d\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
