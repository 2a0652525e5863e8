/* run_cmd: see run_cmd.h. */
#define _XOPEN_SOURCE 700 /* putenv */
#include "run_cmd.h"
#include "redis_util.h" /* ept_write_file */
#include "harness.h"   /* ept_tmpdir, ept_skip */
#include "procs.h"     /* ept_ms, ept_sleep_ms */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ept_cli_path(void) {
    const char *p = getenv("EP_CLI");
    return p && *p ? p : "build/ember-persist";
}

void ept_cmd_out_free(ept_cmd_out *o) {
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
    o->out_len = o->err_len = 0;
}

#ifdef _WIN32

int ept_cmd_supported(void) { return 0; }
static int executable(const char *path) {
    (void)path;
    return 0;
}
int ept_run_argv(const char *const *argv, const char *stdin_path, const char *const *extra_env, int timeout_ms,
                 ept_cmd_out *o) {
    (void)argv, (void)stdin_path, (void)extra_env, (void)timeout_ms;
    memset(o, 0, sizeof *o);
    o->status = -1;
    return -1;
}

#else

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define EPT_CMD_CAP (64u << 20)

int ept_cmd_supported(void) { return 1; }
static int executable(const char *path) { return access(path, X_OK) == 0; }

typedef struct sink {
    int fd;
    char *buf;
    size_t len, cap;
} sink;

/* Reads what is there; 0 at end of stream. */
static int drain(sink *s) {
    char tmp[65536];
    ssize_t r = read(s->fd, tmp, sizeof tmp);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
    if (r <= 0) return 0;
    if (s->len + (size_t)r + 1 > s->cap && s->len < EPT_CMD_CAP) {
        size_t ncap = s->cap ? s->cap : 4096;
        char *nb;
        while (ncap < s->len + (size_t)r + 1) ncap *= 2;
        if ((nb = (char *)realloc(s->buf, ncap)) == NULL) return 0;
        s->buf = nb;
        s->cap = ncap;
    }
    if (s->len + (size_t)r + 1 <= s->cap) {
        memcpy(s->buf + s->len, tmp, (size_t)r);
        s->len += (size_t)r;
    }
    return 1;
}

static void child(const char *const *argv, const char *stdin_path, const char *const *extra_env, int out_fd,
                  int err_fd) {
    int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    /* only 0, 1 and 2 go on: a daemon the command starts must not hold the
     * pipes open (the parent reads until both close) */
    if (in > 2) close(in);
    if (out_fd > 2) close(out_fd);
    if (err_fd > 2) close(err_fd);
    for (; extra_env && *extra_env; extra_env++) putenv((char *)*extra_env);
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "cannot run %s\n", argv[0]);
    _exit(127);
}

int ept_run_argv(const char *const *argv, const char *stdin_path, const char *const *extra_env, int timeout_ms,
                 ept_cmd_out *o) {
    int po[2], pe[2], st = 0, open_streams = 2;
    sink s[2];
    pid_t pid;
    long long end = ept_ms() + timeout_ms;
    memset(o, 0, sizeof *o);
    o->status = -1;
    if (pipe(po) != 0) return -1;
    if (pipe(pe) != 0) {
        close(po[0]), close(po[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        return -1;
    }
    if (pid == 0) {
        close(po[0]);
        close(pe[0]);
        child(argv, stdin_path, extra_env, po[1], pe[1]);
    }
    close(po[1]);
    close(pe[1]);
    memset(s, 0, sizeof s);
    s[0].fd = po[0];
    s[1].fd = pe[0];
    while (open_streams > 0) {
        struct pollfd pf[2];
        int n = 0, i;
        long long left = end - ept_ms();
        if (left <= 0) {
            o->timed_out = 1;
            break;
        }
        for (i = 0; i < 2; i++)
            if (s[i].fd >= 0) {
                pf[n].fd = s[i].fd;
                pf[n].events = POLLIN;
                pf[n].revents = 0;
                n++;
            }
        if (poll(pf, (nfds_t)n, (int)(left < 100 ? left : 100)) <= 0) continue;
        for (i = 0; i < 2; i++) {
            int k;
            if (s[i].fd < 0) continue;
            for (k = 0; k < n; k++)
                if (pf[k].fd == s[i].fd && (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) && !drain(&s[i])) {
                    close(s[i].fd);
                    s[i].fd = -1;
                    open_streams--;
                }
        }
    }
    if (o->timed_out) kill(pid, SIGKILL);
    for (;;) { /* bounded: after the kill, or once both pipes closed, the child is gone or about to be */
        pid_t r = waitpid(pid, &st, o->timed_out ? 0 : WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) break;
        if (ept_ms() > end) {
            kill(pid, SIGKILL);
            o->timed_out = 1;
        } else {
            ept_sleep_ms(2);
        }
    }
    if (s[0].fd >= 0) close(s[0].fd);
    if (s[1].fd >= 0) close(s[1].fd);
    o->out = s[0].buf ? s[0].buf : (char *)calloc(1, 1);
    o->out_len = s[0].len;
    o->err = s[1].buf ? s[1].buf : (char *)calloc(1, 1);
    o->err_len = s[1].len;
    if (o->out) o->out[o->out_len] = 0;
    if (o->err) o->err[o->err_len] = 0;
    if (!o->timed_out && WIFEXITED(st)) o->status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st)) o->signal = WTERMSIG(st);
    return o->status;
}

#endif

/* Splits copy at spaces, in place, into argv[n..]: at most cap - 1 words in
 * all, NULL-terminated. Returns the count. */
static int split_words(char *copy, const char **argv, int n, int cap) {
    char *c = copy;
    while (*c && n < cap - 1) {
        while (*c == ' ') *c++ = 0;
        if (!*c) break;
        argv[n++] = c;
        while (*c && *c != ' ') c++;
    }
    argv[n] = NULL;
    return n;
}

static char *copy_of(const char *s) {
    char *copy = (char *)malloc(strlen(s) + 1);
    if (copy) strcpy(copy, s);
    return copy;
}

int ept_run_words(const char *prog, const char *args, const char *stdin_path, int timeout_ms, ept_cmd_out *o) {
    char *copy = copy_of(args);
    const char *argv[128];
    int n = 0, rc;
    if (!copy) {
        memset(o, 0, sizeof *o);
        o->status = -1;
        return -1;
    }
    if (prog) argv[n++] = prog;
    split_words(copy, argv, n, 128);
    rc = ept_run_argv(argv, stdin_path, NULL, timeout_ms, o);
    free(copy);
    return rc;
}

int ept_run_line(const char *line, int timeout_ms, ept_cmd_out *o) { return ept_run_words(NULL, line, NULL, timeout_ms, o); }

/* ---- the tool in a case ----------------------------------------------------- */

#define EPT_TOOL_TIMEOUT_MS 600000

static char ept__tool_dir[512]; /* the current case's scratch directory */

int ept_tool_ready(void) {
    char why[600];
    snprintf(ept__tool_dir, sizeof ept__tool_dir, "%s", ept_tmpdir());
    if (!ept_cmd_supported()) {
        ept_skip("the tool tests run programs (fork, pipes): POSIX only");
        return 0;
    }
    if (!executable(ept_cli_path()) || !ept_have_python()) {
        snprintf(why, sizeof why, "%s or python3 missing", ept_cli_path());
        ept_skip(why);
        return 0;
    }
    return 1;
}

const char *ept_tool_dir(void) { return ept__tool_dir; }
void ept_tool_file(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", ept__tool_dir, name); }

/* Writes what a stream said to path (NULL: nowhere). 0 or -1. */
static int save_stream(const char *path, const char *data, size_t n) {
    return !path || ept_write_file(path, data ? data : "", n) == 0 ? 0 : -1;
}

int ept_tool_run(const char *args, const char *out, const char *err) {
    ept_cmd_out o;
    int rc = ept_run_words(ept_cli_path(), args, NULL, EPT_TOOL_TIMEOUT_MS, &o);
    if (save_stream(out, o.out, o.out_len) != 0 || save_stream(err, o.err, o.err_len) != 0) rc = -1;
    ept_cmd_out_free(&o);
    return rc;
}

int ept_tool_py(const char *file, const char *statements) {
    char script[600];
    const char *argv[4];
    FILE *f;
    ept_cmd_out o;
    int ok;
    ept_tool_file(script, sizeof script, "check.py");
    if ((f = fopen(script, "w")) == NULL) return 0;
    fprintf(f, "import json, sys\nd = json.load(open(sys.argv[1]))\n%s\n", statements);
    fclose(f);
    argv[0] = "python3", argv[1] = script, argv[2] = file, argv[3] = NULL;
    ok = ept_run_argv(argv, NULL, NULL, EPT_TOOL_TIMEOUT_MS, &o) == 0;
    if (!ok) fprintf(stderr, "%s%s", o.out ? o.out : "", o.err ? o.err : "");
    ept_cmd_out_free(&o);
    return ok;
}

/* ---- python3 checks in one batch ----------------------------------------- */

int ept_have_python(void) {
    ept_cmd_out o;
    const char *argv[] = {"python3", "-c", "import json, base64", NULL};
    int ok = ept_cmd_supported() && ept_run_argv(argv, NULL, NULL, 20000, &o) == 0;
    ept_cmd_out_free(&o);
    return ok;
}

int ept_py_begin(ept_py *p, const char *dir) {
    char path[700];
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/checks.py", dir);
    if ((p->script = fopen(path, "w")) == NULL) return 0;
    fprintf(p->script, "import json, sys, os, base64, traceback\nfailed = 0\n"
                       "def no_dups(pairs):\n    keys = [k for k, _ in pairs]\n"
                       "    assert len(keys) == len(set(keys)), 'duplicate keys in a JSON object: %%r' %% keys\n"
                       "    return dict(pairs)\n"
                       "def load(i):\n"
                       "    return json.load(open(os.path.join(%s, 'doc-%%d.json' %% i), encoding='utf-8'), object_pairs_hook=no_dups)\n",
            "sys.argv[1]");
    return 1;
}

/* Writes s as a python string literal (repr of the bytes, decoded). */
static void py_literal(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f) fprintf(f, "\\x%02x", c);
        else fputc(c, f);
    }
    fputc('\'', f);
}

int ept_py_add(ept_py *p, const char *label, const char *json, size_t json_len, const char *block) {
    char path[700];
    const char *line = block;
    if (!p->script) return -1;
    snprintf(path, sizeof path, "%s/doc-%d.json", p->dir, p->n);
    ept_write_file(path, json, json_len);
    fprintf(p->script, "label = ");
    py_literal(p->script, label);
    fprintf(p->script, "\ntry:\n    d = load(%d)\n", p->n);
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len) fprintf(p->script, "    %.*s\n", (int)len, line);
        line += len + (nl ? 1 : 0);
    }
    fprintf(p->script, "except Exception as e:\n    failed += 1\n"
                       "    tb = traceback.extract_tb(e.__traceback__)[-1]\n"
                       "    print('python check failed: %%s: %%s: %%r\\n      at: %%s' %% (label, type(e).__name__, e, tb.line))\n");
    return p->n++;
}

int ept_py_run(ept_py *p) {
    char path[700], *end;
    const char *argv[4];
    ept_cmd_out o;
    long failed;
    if (!p->script) return -1;
    fprintf(p->script, "print('FAILED %%d' %% failed)\n");
    fclose(p->script);
    p->script = NULL;
    snprintf(path, sizeof path, "%s/checks.py", p->dir);
    argv[0] = "python3", argv[1] = path, argv[2] = p->dir, argv[3] = NULL;
    if (ept_run_argv(argv, NULL, NULL, 600000, &o) != 0) {
        printf("    python3 %s: exit %d\n%s%s", path, o.status, o.out, o.err);
        ept_cmd_out_free(&o);
        return -1;
    }
    {
        char *last = strstr(o.out, "FAILED ");
        failed = last ? strtol(last + 7, &end, 10) : -1;
        if (failed != 0) fputs(o.out, stdout);
    }
    ept_cmd_out_free(&o);
    return (int)failed;
}
