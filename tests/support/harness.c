/* The harness implementation (see tests/harness.h). POSIX, and Windows for
 * the mingw-w64 builds that tools/cross.sh runs under wine: only the scratch
 * directory, its removal and the seed's clock differ. */
#ifndef _WIN32
#define _GNU_SOURCE
/* 64-bit readdir on 32-bit targets: without it, glibc's readdir fails with
 * EOVERFLOW once a d_off or inode does not fit 32 bits (ext4's 64-bit hash
 * cookies under qemu-user armhf), and the scratch directory is never removed. */
#define _FILE_OFFSET_BITS 64
#endif
#include "../harness.h"

#include <stdlib.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

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

#ifdef _WIN32
static uint64_t ept_clock_seed(void) {
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (uint64_t)t.QuadPart * 1000003u ^ (uint64_t)time(NULL) ^ ((uint64_t)GetCurrentProcessId() << 32);
}
#else
static uint64_t ept_clock_seed(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
}
#endif

uint64_t ept_seed(void) {
    if (!ept_have_seed) {
        const char *s = getenv("EPT_SEED");
        if (s && *s) {
            ept_the_seed = strtoull(s, NULL, 0);
        } else {
            ept_the_seed = ept_clock_seed();
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

#ifdef _WIN32
/* Windows: the names are the 8-bit strings the tests made (ASCII, or UTF-8
 * that the tests only create through the library, whose vfs converts them);
 * removal goes through the wide API so those are found too. */
static void ept_rmtree_w(const wchar_t *path) {
    wchar_t pat[1024];
    WIN32_FIND_DATAW fd;
    HANDLE h;
    DWORD attr = GetFileAttributesW(path);
    if (attr == INVALID_FILE_ATTRIBUTES) return;
    if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) {
        SetFileAttributesW(path, FILE_ATTRIBUTE_NORMAL);
        DeleteFileW(path);
        return;
    }
    _snwprintf(pat, 1024, L"%ls\\*", path);
    h = FindFirstFileW(pat, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            wchar_t sub[1024];
            if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L"..")) continue;
            _snwprintf(sub, 1024, L"%ls\\%ls", path, fd.cFileName);
            ept_rmtree_w(sub);
        } while (FindNextFileW(h, &fd));
        FindClose(h);
    }
    RemoveDirectoryW(path);
}

static void ept_rmtree(const char *path) {
    wchar_t w[1024];
    if (MultiByteToWideChar(CP_UTF8, 0, path, -1, w, 1024) > 0) ept_rmtree_w(w);
}

/* A new directory under the Windows temporary folder (GetTempPath: TMP,
 * TEMP, the profile), named after the process and the clock. */
static int ept_make_root(char *out, size_t cap) {
    char base[MAX_PATH + 1];
    DWORD n = GetTempPathA(sizeof base, base);
    int tries;
    if (n == 0 || n > MAX_PATH) return 0;
    for (tries = 0; tries < 100; tries++) {
        snprintf(out, cap, "%sept-%lu-%u", base, (unsigned long)GetCurrentProcessId(),
                 (unsigned)(ept_clock_seed() & 0xffffffu));
        if (CreateDirectoryA(out, NULL)) return 1;
    }
    return 0;
}

static void ept_make_dir(const char *path) { CreateDirectoryA(path, NULL); }
#define EPT_SEP "\\"
#else
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

static int ept_make_root(char *out, size_t cap) {
    const char *t = getenv("TMPDIR");
    snprintf(out, cap, "%s/ept-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(out) != NULL;
}

static void ept_make_dir(const char *path) { mkdir(path, 0700); }
#define EPT_SEP "/"
#endif

static void ept_cleanup(void) {
    if (ept_dir[0]) ept_rmtree(ept_dir);
}

const char *ept_tmpdir(void) {
    static char sub[600];
    if (!ept_dir[0]) {
        if (!ept_make_root(ept_dir, sizeof ept_dir)) {
            perror("ept_tmpdir");
            exit(2);
        }
        atexit(ept_cleanup);
    }
    snprintf(sub, sizeof sub, "%s" EPT_SEP "%d", ept_dir, ++ept_dir_counter);
    ept_make_dir(sub);
    return sub;
}

#ifdef _WIN32
/* Two files, the target held open (sharing delete, as the library's vfs
 * opens), one renamed over the other: first the classic way, then with
 * POSIX semantics (FileRenameInfoEx, flags REPLACE_IF_EXISTS | POSIX). */
static int ept_probe_posix_rename(void) {
    struct { DWORD flags; HANDLE root; DWORD len; WCHAR name[MAX_PATH]; } ri;
    char a[700], b[700];
    WCHAR wa[MAX_PATH], wb[MAX_PATH];
    HANDLE ha, hb, h;
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    int ok = 0;
    snprintf(a, sizeof a, "%s\\probe_a", ept_tmpdir());
    snprintf(b, sizeof b, "%s\\probe_b", ept_tmpdir());
    MultiByteToWideChar(CP_UTF8, 0, a, -1, wa, MAX_PATH);
    MultiByteToWideChar(CP_UTF8, 0, b, -1, wb, MAX_PATH);
    ha = CreateFileW(wa, GENERIC_WRITE, share, NULL, CREATE_ALWAYS, 0, NULL);
    hb = CreateFileW(wb, GENERIC_WRITE, share, NULL, CREATE_ALWAYS, 0, NULL);
    if (ha != INVALID_HANDLE_VALUE) CloseHandle(ha);
    if (MoveFileExW(wa, wb, MOVEFILE_REPLACE_EXISTING)) ok = 1;
    if (!ok) {
        memset(&ri, 0, sizeof ri);
        ri.flags = 0x3;
        ri.len = (DWORD)(wcslen(wb) * sizeof(WCHAR));
        memcpy(ri.name, wb, ri.len);
        h = CreateFileW(wa, DELETE | SYNCHRONIZE, share, NULL, OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            ok = SetFileInformationByHandle(h, (FILE_INFO_BY_HANDLE_CLASS)22, &ri, (DWORD)sizeof ri) != 0;
            CloseHandle(h);
        }
    }
    if (hb != INVALID_HANDLE_VALUE) CloseHandle(hb);
    return ok;
}
#endif

int ept_os_lacks_posix_rename(void) {
#ifdef _WIN32
    static int probed = -1;
    if (probed < 0) probed = !ept_probe_posix_rename();
    return probed;
#else
    return 0;
#endif
}

/* The program's name without its directory (and without .exe). */
static const char *ept_basename(const char *path) {
    static char name[128];
    const char *p = path, *q;
    size_t n;
    for (q = path; *q; q++)
        if (*q == '/' || *q == '\\') p = q + 1;
    n = strlen(p);
    if (n > 4 && !strcmp(p + n - 4, ".exe")) n -= 4;
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, p, n);
    name[n] = 0;
    return name;
}

int ept_run(int argc, char **argv) {
    const char *filter = getenv("EPT_FILTER");
    const char *prog = argc > 0 ? ept_basename(argv[0]) : "test";
    int passed = 0, failed = 0, skipped = 0, i;
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
