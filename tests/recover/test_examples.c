/* The user programs of issue 8, run as programs: examples/game_save (save
 * points, a crash between runs, compaction) and examples/config_store
 * (settings, expiry of an override, compaction as the log grows). Each is
 * build/examples/<name>; a case skips when its program is not built. */
#define _DEFAULT_SOURCE /* usleep under -std=c99 */
#include "ember_persist.h"
#include "harness.h"
#include "support/run_cmd.h"

#ifdef _WIN32
EPT_CASE(examples_need_a_posix_shell) { ept_skip("the examples are run as programs (tests/support/run_cmd: fork, pipes): POSIX only"); }
#else
#include <stdlib.h>
#include <unistd.h>

static char g_out[4096];
static char g_tmp[600]; /* this case's directory (ept_tmpdir reuses its buffer) */

static const char *case_dir(void) {
    snprintf(g_tmp, sizeof g_tmp, "%s", ept_tmpdir());
    return g_tmp;
}

/* Runs prog with args (split at spaces) and stdin from in (NULL: none);
 * what it printed (stdout, then stderr) into g_out. Its exit code, or -1 if
 * it did not exit by itself. */
static int run_in(const char *prog, const char *args, const char *in) {
    ept_cmd_out o;
    int rc = ept_run_words(prog, args, in, 600000, &o);
    snprintf(g_out, sizeof g_out, "%s%s", o.out ? o.out : "", o.err ? o.err : "");
    ept_cmd_out_free(&o);
    return rc;
}

static int run(const char *prog, const char *args) { return run_in(prog, args, NULL); }

static int have(const char *prog) {
    if (access(prog, X_OK) == 0) return 1;
    ept_skip("example program not built (run make)");
    return 0;
}

#define GAME "build/examples/game_save"
#define CONF "build/examples/config_store"
#define KV "build/examples/kv_server"

/* Runs kv_server on dir with the given command lines on its stdin. */
static int kv(const char *dir, const char *commands) {
    char in[700], a[1400];
    FILE *f;
    snprintf(in, sizeof in, "%s/in.txt", g_tmp);
    if (!(f = fopen(in, "wb"))) return -1;
    fputs(commands, f);
    fclose(f);
    snprintf(a, sizeof a, "%s/kv", dir);
    return run_in(KV, a, in);
}

EPT_CASE(game_save_keeps_saved_turns_across_a_crash) {
    char a[1024];
    const char *dir = case_dir();
    if (!have(GAME)) return;
    snprintf(a, sizeof a, "%s/save play 3", dir);
    EPT_CHECK_EQ(run(GAME, a), 0);
    EPT_CHECK(strstr(g_out, "level=3 gold=21 items=3 last=item-3 hp=97") != NULL);
    snprintf(a, sizeof a, "%s/save crash 2", dir); /* exits without closing the store */
    EPT_CHECK_EQ(run(GAME, a), 3);
    snprintf(a, sizeof a, "%s/save show", dir);
    EPT_CHECK_EQ(run(GAME, a), 0);
    EPT_CHECK(strstr(g_out, "level=5 gold=35 items=5 last=item-5 hp=95") != NULL);
    snprintf(a, sizeof a, "%s/save compact", dir);
    EPT_CHECK_EQ(run(GAME, a), 0);
    snprintf(a, sizeof a, "%s/save play 1", dir); /* after compaction: nothing counted twice */
    EPT_CHECK_EQ(run(GAME, a), 0);
    EPT_CHECK(strstr(g_out, "level=6 gold=42 items=6 last=item-6 hp=94") != NULL);
    snprintf(a, sizeof a, "%s/save bogus", dir);
    EPT_CHECK_EQ(run(GAME, a), 2);
}

EPT_CASE(config_store_settings_override_and_compaction) {
    char a[1024];
    const char *dir = case_dir();
    int i;
    if (!have(CONF)) return;
    snprintf(a, sizeof a, "%s/cfg set wifi.ssid home", dir);
    EPT_CHECK_EQ(run(CONF, a), 0);
    snprintf(a, sizeof a, "%s/cfg set volume 7", dir);
    EPT_CHECK_EQ(run(CONF, a), 0);
    snprintf(a, sizeof a, "%s/cfg get volume", dir);
    EPT_CHECK_EQ(run(CONF, a), 0);
    EPT_CHECK(strcmp(g_out, "7\n") == 0);
    snprintf(a, sizeof a, "%s/cfg override quiet 300", dir);
    EPT_CHECK_EQ(run(CONF, a), 0);
    snprintf(a, sizeof a, "%s/cfg list", dir);
    EPT_CHECK_EQ(run(CONF, a), 0);
    EPT_CHECK(strcmp(g_out, "volume=7\nwifi.ssid=home\nmode=quiet (override)\nversion 3\n") == 0);
    usleep(400 * 1000); /* the override expires, also across processes */
    EPT_CHECK_EQ(run(CONF, a), 0);
    EPT_CHECK(strcmp(g_out, "volume=7\nwifi.ssid=home\nversion 3\n") == 0);
    snprintf(a, sizeof a, "%s/cfg del volume", dir);
    EPT_CHECK_EQ(run(CONF, a), 0);
    snprintf(a, sizeof a, "%s/cfg get volume", dir);
    EPT_CHECK_EQ(run(CONF, a), 1);
    /* enough changes to make the log outgrow the (empty) snapshot: it is compacted */
    for (i = 0; i < 200 && !ept_failed(); i++) {
        snprintf(a, sizeof a, "%s/cfg set counter value-%d-with-some-padding-to-grow-the-log", dir, i);
        EPT_CHECK_EQ(run(CONF, a), 0);
    }
    {
        char p[600];
        FILE *f;
        long size = -1;
        snprintf(p, sizeof p, "%s/cfg/shard-0.snap", dir);
        EPT_CHECK((f = fopen(p, "rb")) != NULL);
        fclose(f);
        snprintf(p, sizeof p, "%s/cfg/shard-0.aof", dir);
        if ((f = fopen(p, "rb")) != NULL) {
            fseek(f, 0, SEEK_END);
            size = ftell(f);
            fclose(f);
        }
        EPT_CHECK(size >= 0 && size < 16384 + 200);
    }
    snprintf(a, sizeof a, "%s/cfg list", dir);
    EPT_CHECK_EQ(run(CONF, a), 0);
    EPT_CHECK(strstr(g_out, "counter=value-199-with-some-padding-to-grow-the-log\nwifi.ssid=home\nversion 204\n") != NULL);
}

/* A server with its own map: visitor recovery into it, covering snapshots
 * from it, a crash after them: every value exact, none applied twice. */
EPT_CASE(kv_server_recovers_its_own_map_without_double_applying) {
    const char *dir = case_dir();
    if (!have(KV)) return;
    EPT_CHECK_EQ(kv(dir, "SET a 1\nINCR a\nINCR n\nINCR n\nSET s hello\nDEL s\nSET t text\nINCR t\nQUIT\n"), 0);
    EPT_CHECK(strstr(g_out, "recovered 0 keys") != NULL);
    EPT_CHECK(strstr(g_out, "ERR value is not an integer") != NULL);
    EPT_CHECK_EQ(kv(dir, "INCR n\nSNAPSHOT\nINCR n\nSNAPSHOT\nINCR n\nCRASH\n"), 3);
    EPT_CHECK(strstr(g_out, "recovered 3 keys (7 records replayed, 0 covered") != NULL);
    EPT_CHECK(strstr(g_out, "3\nOK\n4\nOK\n5\n") != NULL);
    EPT_CHECK_EQ(kv(dir, "GET n\nGET a\nGET s\nGET t\nCOUNT\nQUIT\n"), 0);
    EPT_CHECK(strstr(g_out, "covered by the snapshot)\n5\n2\n(nil)\ntext\n3\n") != NULL);
    EPT_CHECK(strstr(g_out, "(1 records replayed") != NULL); /* only the INCR after the last snapshot */
}

#endif /* _WIN32 */

EPT_MAIN()
