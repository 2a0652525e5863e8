/* The tool's progress bar (stderr, only on a terminal), driven through a
 * pseudo-terminal by python3's pty module: on a 20000-record AOF with
 * EP_PROGRESS_AFTER_MS=0 and EP_PROGRESS_EVERY_MS=0 (draw at once, at every
 * update) the bar appears, updates with growing byte counts, and is cleared
 * at the end (the last thing on the terminal is "\r\033[K"); stdout stays
 * free of it. With stderr a pipe, nothing of it is written. For verify,
 * info, dump, stats and repair. */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"
#include "support/run_cmd.h"

#include <stdlib.h>
#include <string.h>


/* Runs the tool with args under a pty (stderr) and prints one JSON line:
 * the exit code, what the terminal got, what stdout got. Then the same with
 * stderr a pipe. */
static const char driver[] =
    "import json, os, pty, subprocess, sys, select, tempfile, time\n"
    "args = sys.argv[1:]\n"
    "env = dict(os.environ, EP_PROGRESS_AFTER_MS='0', EP_PROGRESS_EVERY_MS='0')\n"
    "m, s = pty.openpty()\n"
    "so = tempfile.TemporaryFile()\n"
    "p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=so, stderr=s, env=env)\n"
    "os.close(s)\n"
    "term = b''\n"
    "end = time.time() + 60\n"
    "while time.time() < end:\n"
    "    r, _, _ = select.select([m], [], [], 0.2)\n"
    "    if r:\n"
    "        try:\n"
    "            chunk = os.read(m, 65536)\n"
    "        except OSError:\n"
    "            break\n"
    "        if not chunk:\n"
    "            break\n"
    "        term += chunk\n"
    "    elif p.poll() is not None:\n"
    "        break\n"
    "rc = p.wait(timeout=60)\n"
    "so.seek(0)\n"
    "out = so.read()\n"
    "os.close(m)\n"
    "q = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)\n"
    "print(json.dumps({'rc': rc, 'term': term.decode('latin-1'), 'out': out.decode('latin-1'),\n"
    "                  'piped_rc': q.returncode, 'piped_err': q.stderr.decode('latin-1'),\n"
    "                  'piped_out': q.stdout.decode('latin-1')}))\n";

/* The checks on the driver's report (d), for the bar's label. */
static const char checks[] =
    "t = d['term']\n"
    "draws = [x for x in t.split('\\r') if x.startswith(LABEL + ' [')]\n"
    "assert len(draws) >= 3, (len(draws), t[:300])\n"
    "import re\n"
    "done = [re.search(r'\\] +(\\d+)% ([0-9.]+ [KMG]?i?B) / ([0-9.]+ [KMG]?i?B), ', x) for x in draws]\n"
    "assert all(done), draws[:3]\n"
    "pct = [int(x.group(1)) for x in done]\n"
    "assert pct == sorted(pct) and pct[0] < pct[-1], pct\n"
    "assert all('/s, ' in x for x in draws)\n"
    "assert t.endswith('\\r\\x1b[K'), repr(t[-40:])\n"
    "assert '\\x1b' not in d['out'] and '\\r' not in d['out']\n"
    "assert d['piped_rc'] == d['rc'], (d['piped_rc'], d['rc'])\n"
    "assert '\\x1b' not in d['piped_err'] and LABEL + ' [' not in d['piped_err'], d['piped_err'][:200]\n"
    "assert d['piped_out'] == d['out'] or LABEL == 'repair: scanning'\n";

EPT_CASE(bar_on_a_terminal_only) {
    char dir[600], aof[700], aof2[700], script[700], k[32], v[64];
    const char *dir0 = ept_tmpdir();
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ept_py p;
    int i, n;
    struct {
        const char *args, *label;
        int rc;
    } rows[] = {
        {"verify", "reading", 0}, {"info", "reading", 0}, {"dump", "reading", 0},
        {"stats", "reading", 0},  {"repair", "repair: scanning", 0},
    };
    snprintf(dir, sizeof dir, "%s", dir0);
    if (!ept_cmd_supported() || !ept_have_python()) {
        ept_skip("needs fork/exec and python3 (pty module)");
        return;
    }
    {
        ept_cmd_out o;
        const char *argv[] = {ept_cli_path(), "--version", NULL};
        int rc = ept_run_argv(argv, NULL, NULL, 30000, &o);
        ept_cmd_out_free(&o);
        if (rc != 0) {
            ept_skip("the tool is not built (make)");
            return;
        }
    }
    snprintf(aof, sizeof aof, "%s/shard-0.aof", dir);
    snprintf(script, sizeof script, "%s/pty_driver.py", dir);
    EPT_CHECK(ept_write_file(script, driver, strlen(driver)) == 0);
    ep_aof_writer_config_init(&c);
    c.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open(aof, &c, &w, NULL));
    for (i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "key:%d", i % 5000);
        snprintf(v, sizeof v, "value number %d", i);
        EPT_CHECK_OK(ep_aof_set(w, ep_bytes_str(k), ep_bytes_str(v), -1));
    }
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK(ept_py_begin(&p, dir));
    for (n = 0; n < (int)(sizeof rows / sizeof rows[0]); n++) {
        const char *argv[8];
        ept_cmd_out o;
        char block[2400];
        int rc;
        const char *file = aof;
        if (!strcmp(rows[n].args, "repair")) { /* a torn copy: repair scans, trims, backs up */
            size_t len = 0;
            uint8_t *b = ept_read_file(aof, &len);
            snprintf(aof2, sizeof aof2, "%s/torn-%d.aof", dir, n);
            EPT_CHECK(b && ept_write_file(aof2, b, len - 3) == 0);
            free(b);
            file = aof2;
        }
        argv[0] = "python3", argv[1] = script, argv[2] = ept_cli_path(), argv[3] = rows[n].args, argv[4] = file;
        argv[5] = NULL;
        rc = ept_run_argv(argv, NULL, NULL, 180000, &o);
        if (rc != 0) printf("    pty driver for %s: exit %d\n%.500s\n", rows[n].args, rc, o.err);
        EPT_EXPECT(rc == 0);
        snprintf(block, sizeof block, "LABEL = '%s'\nassert d['rc'] == %d, d['rc']\n%s", rows[n].label, rows[n].rc,
                 checks);
        ept_py_add(&p, rows[n].args, o.out, o.out_len, block);
        if (!strcmp(rows[n].args, "repair")) {
            /* the piped run found the file repaired already: clean now */
            EPT_EXPECT(strstr(o.out, "nothing to repair") != NULL);
        }
        ept_cmd_out_free(&o);
    }
    n = ept_py_run(&p);
    if (n) printf("    %d checks failed\n", n);
    EPT_CHECK_EQ(n, 0);
}

EPT_MAIN()
