/* examples/wal_counter run as a program (N = 10000: several segments, a
 * publish halfway, recovery while the writer is open), twice; then the
 * tool's wal-info / wal-verify / wal-dump / checkpoint-info on its
 * directory: JSON checked with python3, exit codes 0 clean, 1 torn, 2
 * damage, 66 missing. Skips when the programs or python3 are not built. */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"
#include "support/run_cmd.h"

#ifdef _WIN32
EPT_CASE(wal_tool_needs_a_posix_shell) { ept_skip("the tool and wal_counter are run as programs, through sh: POSIX only"); }
#else
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *counter_bin(void) {
    const char *p = getenv("EP_WAL_COUNTER");
    return p ? p : "build/examples/wal_counter";
}

/* A shell snippet (the counter's runs, file surgery); its exit code. */
static int sh(const char *cmd) { return ept_run_cmd(cmd, NULL, 0); }

/* The counter the example must print: sum of (i % 7) - 2 over i = 1..n. */
static long long expect(long long n) {
    long long i, s = 0;
    for (i = 1; i <= n; i++) s += i % 7 - 2;
    return s;
}

EPT_CASE(wal_counter_example_and_tool) {
    const char *d;
    char cmd[1600], out[700], args[1400], line[256], want[64];
    FILE *f;
    int found = 0;
    if (!ept_tool_ready()) return;
    d = ept_tool_dir();
    if (access(counter_bin(), X_OK) != 0) {
        ept_skip("wal_counter not built");
        return;
    }
    snprintf(out, sizeof out, "%s/out.txt", d);
    snprintf(cmd, sizeof cmd, "%s %s/data 10000 > %s && %s %s/data 10 >> %s", counter_bin(), d, out, counter_bin(), d, out);
    EPT_CHECK_EQ(sh(cmd), 0);
    snprintf(want, sizeof want, "recovered: counter = %lld ", expect(10000) + expect(10));
    f = fopen(out, "r");
    EPT_CHECK(f != NULL);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, want, strlen(want)) == 0) found = 1;
    fclose(f);
    EPT_CHECK(found);

    snprintf(out, sizeof out, "%s/info.json", d);
    snprintf(args, sizeof args, "wal-info %s/data/wal --json", d);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['status'] == 'clean' and d['last_id'] == 10012 and d['segments'] >= 1\n"
                          "assert d['segment_list'][-1]['last_id'] == 10012"));
    snprintf(args, sizeof args, "wal-verify %s/data/wal", d);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 0);
    snprintf(out, sizeof out, "%s/dump.json", d);
    snprintf(args, sizeof args, "wal-dump %s/data/wal --json --base64", d);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "ids = [r['id'] for r in d['records']]\n"
                          "assert ids == list(range(ids[0], 10013)), 'contiguous'\n"));
    snprintf(out, sizeof out, "%s/ck.json", d);
    snprintf(args, sizeof args, "checkpoint-info %s/data/counter.ckpt --json", d);
    EPT_CHECK_EQ(ept_tool_run(args, out, NULL), 0);
    EPT_CHECK(ept_tool_py(out, "assert d['last_id'] == 10006 and d['payload_bytes'] == 8 and d['status'] == 'clean'"));

    /* A torn final frame: 1; damage: 2; nothing there: 66. */
    snprintf(cmd, sizeof cmd,
             "f=$(ls %s/data/wal/wal_*.log | tail -1); s=$(stat -c %%s $f); truncate -s $((s - 3)) $f", d);
    EPT_CHECK_EQ(sh(cmd), 0);
    snprintf(args, sizeof args, "wal-verify %s/data/wal", d);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 1);
    snprintf(cmd, sizeof cmd, "f=$(ls %s/data/wal/wal_*.log | tail -1); printf 'XX' | dd of=$f bs=1 seek=40 conv=notrunc 2>/dev/null", d);
    EPT_CHECK_EQ(sh(cmd), 0);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 2);
    snprintf(args, sizeof args, "checkpoint-info %s/data/none.ckpt", d);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 66);
    snprintf(cmd, sizeof cmd, "printf 'Z' | dd of=%s/data/counter.ckpt bs=1 seek=33 conv=notrunc 2>/dev/null", d);
    EPT_CHECK_EQ(sh(cmd), 0);
    snprintf(args, sizeof args, "checkpoint-info %s/data/counter.ckpt", d);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 2);
    snprintf(args, sizeof args, "wal-info %s/nothing", d);
    EPT_CHECK_EQ(ept_tool_run(args, NULL, NULL), 66);
}

#endif /* _WIN32 */

EPT_MAIN()
