/* run_cmd: runs a program for a test and captures what it says. The one
 * place for "run this command with a timeout, give me stdout, stderr and the
 * exit code" (every test of the ember-persist tool), and for checking JSON
 * output with python3 (one document at a time, or in one batch).
 *
 * The child gets stdin from /dev/null (or a file), its own stdout and stderr
 * pipes, and is killed (SIGKILL, by its pid) when the timeout passes; every
 * wait is bounded. POSIX only: on Windows every call fails (-1) and
 * ept_cmd_supported() is 0, so callers ept_skip(). */
#ifndef EPT_RUN_CMD_H
#define EPT_RUN_CMD_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ept_cmd_out {
    int status;     /* exit code 0-255; -1 killed by a signal, timed out or could not start */
    int signal;     /* the signal that ended it, 0 if none */
    int timed_out;  /* killed because the timeout passed */
    char *out;      /* stdout, NUL-terminated (malloc'd) */
    size_t out_len;
    char *err;      /* stderr, NUL-terminated (malloc'd) */
    size_t err_len;
} ept_cmd_out;

/* The ember-persist tool under test: $EP_CLI, else build/ember-persist. */
const char *ept_cli_path(void);

/* 1 where commands can be run (POSIX). */
int ept_cmd_supported(void);

/* Runs argv[0] (searched in PATH when it has no '/') with argv (NULL
 * terminated); stdin_path NULL means /dev/null. extra_env (NULL or
 * "NAME=value" strings, NULL terminated) is added to the environment.
 * Captures up to 64 MiB of each stream. Returns the exit code (as
 * o->status), or -1. Free o with ept_cmd_out_free. */
int ept_run_argv(const char *const *argv, const char *stdin_path, const char *const *extra_env, int timeout_ms,
                 ept_cmd_out *o);
/* The same with the arguments split at spaces (no quoting: for test paths
 * without spaces). ept_run_words runs prog with the words of args (prog
 * NULL: the first word is the program) and stdin from stdin_path (NULL:
 * /dev/null). */
int ept_run_line(const char *line, int timeout_ms, ept_cmd_out *o);
int ept_run_words(const char *prog, const char *args, const char *stdin_path, int timeout_ms, ept_cmd_out *o);
void ept_cmd_out_free(ept_cmd_out *o);

/* Files: ept_write_file and ept_read_file are in redis_util.h. */

/* The tool in a case: ept_tool_ready() skips the case (ept_skip) and
 * returns 0 unless the tool is built, commands can run and python3 has its
 * json module; it makes the case's scratch directory (ept_tmpdir()), which
 * ept_tool_file names files in and ept_tool_py writes its script to. */
int ept_tool_ready(void);
/* The case's scratch directory, and "<it>/name" into out. */
const char *ept_tool_dir(void);
void ept_tool_file(char *out, size_t cap, const char *name);
/* Runs the tool with args (split at spaces, as ept_run_line), bounded to
 * 10 minutes; its stdout is written to the file out and its stderr to the
 * file err (either NULL: dropped). Returns its exit code, or -1 if it did
 * not exit by itself (killed, timed out, could not start). */
int ept_tool_run(const char *args, const char *out, const char *err);
/* Runs python3 with `d` bound to the JSON document in file and then the
 * statements (asserts, flush left); 1 if they all hold, else 0 with
 * python's output printed. */
int ept_tool_py(const char *file, const char *statements);

/* A batch of python3 checks on JSON documents: each ept_py_add stores one
 * document (the tool's stdout) and a python statement block that sees it as
 * `d` (and the label as `label`); ept_py_run runs them all in one python3
 * process and returns the number that failed (each failure printed with its
 * label), or -1 when python3 could not run. */
typedef struct ept_py {
    char dir[512];
    FILE *script;
    int n;
} ept_py;

/* Non-zero when python3 with its json module is installed. */
int ept_have_python(void);
int ept_py_begin(ept_py *p, const char *dir);
/* The block is indented under a try: by ept_py_add itself (write it flush
 * left, one statement per line). Returns the document's number: another
 * block reads it as load(n). */
int ept_py_add(ept_py *p, const char *label, const char *json, size_t json_len, const char *block);
int ept_py_run(ept_py *p);

#ifdef __cplusplus
}
#endif

#endif
