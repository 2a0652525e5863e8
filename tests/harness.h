/* A small test harness: each tests/test_*.c is one program that registers its
 * cases with EPT_CASE and calls ept_run(). It prints one line per case and a
 * closing "RESULT <passed> <failed> <skipped>" line that tests/run.sh adds up.
 *
 * Environment:
 *   EPT_SEED=n     seed for property tests (printed by every run that uses one)
 *   EPT_QUICK=1    smaller workloads (set by `make check` for valgrind)
 *   EPT_FILTER=s   run only cases whose name contains s */
#ifndef EPT_HARNESS_H
#define EPT_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*ept_fn)(void);

/* Marks the current case failed and prints where. */
void ept_fail(const char *file, int line, const char *what);
/* Marks the current case skipped (it could not run here: a missing tool,
 * data file or platform feature) and prints why. Counted apart from passes;
 * a case that fails after skipping still fails. Use as `ept_skip(...); return;`. */
void ept_skip(const char *why);
/* Non-zero once the current case has failed (stop early in loops). */
int ept_failed(void);
/* The run's seed (from EPT_SEED or the clock); printed once on first use. */
uint64_t ept_seed(void);
/* n, or n/scale_down (at least 1) under EPT_QUICK. */
long ept_scale(long n, long scale_down);
/* splitmix64 / xorshift-style PRNG for property tests. */
uint64_t ept_rand(uint64_t *state);
/* A fresh empty directory under $TMPDIR for this case; removed at exit. */
const char *ept_tmpdir(void);
/* Non-zero where the OS cannot rename over a file that another handle holds
 * open (Windows before 10 1607, and wine 8: no POSIX-semantics rename),
 * probed once in a scratch directory. Zero on POSIX. The cases that need that
 * skip with EPT_NEEDS_POSIX_RENAME(). */
int ept_os_lacks_posix_rename(void);
#define EPT_NEEDS_POSIX_RENAME()                                                                     \
    do {                                                                                             \
        if (ept_os_lacks_posix_rename()) {                                                           \
            ept_skip("this OS cannot rename over an open file (no POSIX-semantics rename; wine 8)"); \
            return;                                                                                  \
        }                                                                                            \
    } while (0)
/* Registers and runs cases. */
void ept_register(const char *name, ept_fn fn);
int ept_run(int argc, char **argv);

#define EPT_CHECK(cond) \
    do { if (!(cond)) { ept_fail(__FILE__, __LINE__, #cond); return; } } while (0)
/* Same, but keeps going (use in loops where later output helps). */
#define EPT_EXPECT(cond) \
    do { if (!(cond)) ept_fail(__FILE__, __LINE__, #cond); } while (0)
#define EPT_CHECK_EQ(a, b) \
    do { long long ept_a_ = (long long)(a), ept_b_ = (long long)(b); \
         if (ept_a_ != ept_b_) { char ept_m_[256]; \
             snprintf(ept_m_, sizeof ept_m_, "%s == %s (%lld vs %lld)", #a, #b, ept_a_, ept_b_); \
             ept_fail(__FILE__, __LINE__, ept_m_); return; } } while (0)
#define EPT_CHECK_OK(expr) \
    do { int ept_r_ = (int)(expr); if (ept_r_ != 0) { char ept_m_[256]; \
             snprintf(ept_m_, sizeof ept_m_, "%s returned %d", #expr, ept_r_); \
             ept_fail(__FILE__, __LINE__, ept_m_); return; } } while (0)
#define EPT_CHECK_MEM(a, b, n) \
    do { if (memcmp((a), (b), (n)) != 0) { ept_fail(__FILE__, __LINE__, "memcmp(" #a ", " #b ")"); return; } } while (0)

/* Defines a case and registers it before main() runs. */
#if defined(__GNUC__) || defined(__clang__)
#define EPT_CASE(name) \
    static void name(void); \
    __attribute__((constructor)) static void ept_reg_##name(void) { ept_register(#name, name); } \
    static void name(void)
#else
#error "the test harness needs gcc or clang (constructor attribute)"
#endif

#define EPT_MAIN() int main(int argc, char **argv) { return ept_run(argc, argv); }

#ifdef __cplusplus
}
#endif

#endif
