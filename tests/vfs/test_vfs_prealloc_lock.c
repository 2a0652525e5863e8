/* vfs version 2: real preallocation (blocks reserved, zeros read back, never
 * sparse) on the OS, memory, power-loss and fault vfs; the struct_size check
 * for tables from an older version; the directory lock (a kernel lock: a
 * second holder gets EP_ERR_LOCKED with the path, and it dies with its
 * process). */
#define _POSIX_C_SOURCE 200809L
#include "ember_persist.h"
#include "harness.h"
#include "support/fault_vfs.h"
#include "support/sim_vfs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifndef _WIN32
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

static int all_zero(const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* Writes 5 bytes, preallocates 64 KiB, checks size, zeros and the data. */
static void check_preallocate(ep_vfs *v, const char *path) {
    ep_file *f = NULL;
    uint64_t size = 0;
    uint8_t *buf = (uint8_t *)malloc(65536);
    size_t got = 0;
    EPT_CHECK(buf != NULL);
    EPT_CHECK_OK(v->open(v, path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, NULL));
    EPT_CHECK_OK(v->write(v, f, 0, "hello", 5, NULL));
    EPT_CHECK_OK(ep_vfs_preallocate(v, f, 65536, NULL));
    EPT_CHECK_OK(v->size(v, f, &size, NULL));
    EPT_CHECK_EQ(size, 65536);
    EPT_CHECK_OK(v->read(v, f, 0, buf, 65536, &got, NULL));
    EPT_CHECK_EQ(got, 65536);
    EPT_CHECK_MEM(buf, "hello", 5);
    EPT_CHECK(all_zero(buf + 5, 65536 - 5));
    /* Smaller than the file: nothing changes. */
    EPT_CHECK_OK(ep_vfs_preallocate(v, f, 10, NULL));
    EPT_CHECK_OK(v->size(v, f, &size, NULL));
    EPT_CHECK_EQ(size, 65536);
    EPT_CHECK_OK(v->close(v, f, NULL));
    free(buf);
}

EPT_CASE(os_preallocate_reserves_real_blocks) {
    ep_vfs v;
    char p[600];
    struct stat st;
    EPT_CHECK_OK(ep_vfs_os_init(&v));
    EPT_CHECK(ep_vfs_has(&v, preallocate));
    EPT_CHECK_OK(ep_path_join(p, sizeof p, ept_tmpdir(), "pre"));
#ifdef _WIN32
    { /* FileAllocationInfo is missing under wine 8: the vfs says so */
        ep_file *f = NULL;
        ep_result r;
        EPT_CHECK_OK(v.open(&v, p, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &f, NULL));
        r = ep_vfs_preallocate(&v, f, 4096, NULL);
        EPT_CHECK_OK(v.close(&v, f, NULL));
        if (r == EP_ERR_UNSUPPORTED) {
            ept_skip("SetFileInformationByHandle(FileAllocationInfo) is not implemented here (wine 8)");
            return;
        }
        EPT_CHECK_OK(r);
    }
#endif
    check_preallocate(&v, p);
    if (ept_failed()) return;
    EPT_CHECK(stat(p, &st) == 0);
#ifdef _WIN32
    /* No st_blocks: the size is what can be checked (SetFileInformationByHandle
     * with FileAllocationInfo reserves; NTFS files are not sparse unless asked). */
    EPT_CHECK((uint64_t)st.st_size >= 65536u);
#else
    /* Not sparse: the blocks are there (st_blocks counts 512-byte units). */
    EPT_CHECK((uint64_t)st.st_blocks * 512u >= 65536u);
#endif
}

EPT_CASE(mem_preallocate) {
    ep_vfs *v = NULL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &v));
    check_preallocate(v, "pre");
    ep_vfs_mem_free(v);
}

EPT_CASE(sim_preallocate_is_unsynced_until_sync) {
    ep_vfs *v = NULL;
    ep_file *f = NULL;
    sim_crash_opts o;
    uint8_t *data = NULL;
    size_t len = 0;
    EPT_CHECK_OK(sim_vfs_create(&v));
    check_preallocate(v, "pre");
    EPT_CHECK_OK(v->sync_dir(v, "", NULL));
    o.file_outcome = SIM_OUTCOME_NONE;
    o.dir_changes = SIM_DIR_KEEP_ALL;
    sim_crash_ex(v, 1, &o);
    EPT_CHECK_OK(sim_vfs_read_file(v, "pre", &data, &len));
    EPT_CHECK_EQ(len, 0); /* nothing was synced */
    free(data);
    EPT_CHECK_OK(v->open(v, "pre", EP_OPEN_WRITE, &f, NULL));
    EPT_CHECK_OK(ep_vfs_preallocate(v, f, 4096, NULL));
    EPT_CHECK_OK(v->sync(v, f, NULL));
    EPT_CHECK_OK(v->close(v, f, NULL));
    sim_crash_ex(v, 2, &o);
    EPT_CHECK_OK(sim_vfs_read_file(v, "pre", &data, &len));
    EPT_CHECK_EQ(len, 4096);
    EPT_CHECK(all_zero(data, len));
    free(data);
    sim_vfs_destroy(v);
}

EPT_CASE(fault_vfs_counts_and_fails_preallocate) {
    ep_vfs *m = NULL, *v = NULL;
    ep_file *f = NULL;
    ep_error err;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(fault_vfs_create(m, &v));
    EPT_CHECK(ep_vfs_has(v, preallocate));
    EPT_CHECK_OK(v->open(v, "x", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    fault_vfs_arm(v, FAULT_PREALLOCATE, 1, EP_ERR_NO_SPACE);
    EPT_CHECK_EQ(ep_vfs_preallocate(v, f, 100, &err), EP_ERR_NO_SPACE);
    EPT_CHECK(strstr(err.message, "preallocate") != NULL);
    EPT_CHECK_OK(ep_vfs_preallocate(v, f, 100, NULL));
    EPT_CHECK_EQ(fault_vfs_count(v, FAULT_PREALLOCATE), 2);
    EPT_CHECK_OK(v->close(v, f, NULL));
    fault_vfs_destroy(v);
    ep_vfs_mem_free(m);
}

EPT_CASE(old_table_without_preallocate_is_unsupported) {
    ep_vfs *m = NULL;
    ep_vfs old;
    ep_file *f = NULL;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    old = *m;
    old.struct_size = (uint32_t)offsetof(ep_vfs, preallocate); /* built against version 1 */
    old.version = 1;
    EPT_CHECK(!ep_vfs_has(&old, preallocate));
    EPT_CHECK_OK(old.open(&old, "x", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK_EQ(ep_vfs_preallocate(&old, f, 100, NULL), EP_ERR_UNSUPPORTED);
    EPT_CHECK_OK(old.close(&old, f, NULL));
    ep_vfs_mem_free(m);
}

static void check_lock_dir(ep_vfs *v, const char *dir) {
    ep_file *a = NULL, *b = NULL;
    ep_error err;
    EPT_CHECK_OK(ep_vfs_lock_dir(v, dir, "wal.lock", &a, NULL));
    ep_error_clear(&err);
    EPT_CHECK_EQ(ep_vfs_lock_dir(v, dir, "wal.lock", &b, &err), EP_ERR_LOCKED);
    EPT_CHECK(b == NULL);
    EPT_CHECK(strstr(err.message, dir) != NULL);
    EPT_CHECK_OK(v->close(v, a, NULL));
    EPT_CHECK_OK(ep_vfs_lock_dir(v, dir, "wal.lock", &b, NULL));
    EPT_CHECK_OK(v->close(v, b, NULL));
}

EPT_CASE(lock_dir_os_mem_sim) {
    ep_vfs os, *m = NULL, *s = NULL;
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    check_lock_dir(&os, ept_tmpdir());
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &m));
    EPT_CHECK_OK(m->mkdir(m, "d", NULL));
    check_lock_dir(m, "d");
    ep_vfs_mem_free(m);
    EPT_CHECK_OK(sim_vfs_create(&s));
    EPT_CHECK_OK(s->mkdir(s, "d", NULL));
    check_lock_dir(s, "d");
    sim_vfs_destroy(s);
}

/* The lock is the kernel's: held by a child, it goes when the child dies
 * (no stale lock file to clean up); a stale wal.lock file blocks nobody. */
#ifdef _WIN32
EPT_CASE(lock_dir_dies_with_the_process) {
    ept_skip("the case forks a child to hold the lock: no fork on Windows (LockFileEx is covered by lock_dir_os_mem_sim)");
}
#else
EPT_CASE(lock_dir_dies_with_the_process) {
    ep_vfs os;
    ep_file *a = NULL;
    int fds[2], status = 0;
    char c = 0;
    pid_t pid;
    EPT_CHECK_OK(ep_vfs_os_init(&os));
    EPT_CHECK(pipe(fds) == 0);
    pid = fork();
    EPT_CHECK(pid >= 0);
    if (pid == 0) {
        ep_file *f = NULL;
        close(fds[0]);
        if (ep_vfs_lock_dir(&os, ept_tmpdir(), "wal.lock", &f, NULL) != EP_OK) _exit(2);
        if (write(fds[1], "x", 1) != 1) _exit(3);
        pause(); /* until killed */
        _exit(0);
    }
    close(fds[1]);
    EPT_CHECK(read(fds[0], &c, 1) == 1);
    close(fds[0]);
    EPT_CHECK_EQ(ep_vfs_lock_dir(&os, ept_tmpdir(), "wal.lock", &a, NULL), EP_ERR_LOCKED);
    kill(pid, SIGKILL);
    EPT_CHECK(waitpid(pid, &status, 0) == pid);
    EPT_CHECK_OK(ep_vfs_lock_dir(&os, ept_tmpdir(), "wal.lock", &a, NULL));
    EPT_CHECK_OK(os.close(&os, a, NULL));
}
#endif

EPT_MAIN()
