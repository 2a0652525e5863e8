/* tool_run: see tool_run.h. */
#include "support/tool_run.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#  include <sys/wait.h>
#  include <unistd.h>
#endif

static char ept__tool_dir[512];

const char *ept_tool_path(void) {
    const char *p = getenv("EP_CLI");
    return p ? p : "build/ember-persist";
}

int ept_tool_ready(void) {
#ifdef _WIN32
    ept_skip("the tool tests need a POSIX shell");
    return 0;
#else
    snprintf(ept__tool_dir, sizeof ept__tool_dir, "%s", ept_tmpdir());
    if (access(ept_tool_path(), X_OK) != 0 || system("python3 -c 'import json' 2>/dev/null") != 0) {
        char why[600];
        snprintf(why, sizeof why, "%s or python3 missing", ept_tool_path());
        ept_skip(why);
        return 0;
    }
    return 1;
#endif
}

void ept_tool_file(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", ept__tool_dir, name); }

int ept_tool_run(const char *args, const char *out, const char *err) {
#ifdef _WIN32
    (void)args, (void)out, (void)err;
    return -1;
#else
    char cmd[4096];
    int st;
    snprintf(cmd, sizeof cmd, "%s %s > %s 2> %s", ept_tool_path(), args, out ? out : "/dev/null", err ? err : "/dev/null");
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
#endif
}

int ept_tool_py(const char *file, const char *statements) {
    char script[600], cmd[1400];
    FILE *f;
    ept_tool_file(script, sizeof script, "check.py");
    f = fopen(script, "w");
    if (!f) return 0;
    fprintf(f, "import json, sys\nd = json.load(open(sys.argv[1]))\n%s\n", statements);
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 %s %s 1>&2", script, file);
    return system(cmd) == 0;
}
