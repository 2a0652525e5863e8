/* make install PREFIX=<tmp>: the header, the tool and the man page land
 * under the prefix; a program built against the installed header alone
 * (cc -I PREFIX/include) writes an AOF and a snapshot; the installed tool,
 * run from there, shows --help and verifies them and the golden files; man
 * -l renders the page (when man is installed). The tool is not rebuilt: the
 * one under test ($EP_CLI or build/ember-persist) is what gets installed. */
#include "ember_persist.h"
#include "harness.h"
#include "support/redis_util.h"
#include "support/run_cmd.h"

#include <stdlib.h>
#include <string.h>


/* A user's program: one file, the installed header, its implementation. */
static const char user_program[] =
    "#define EMBER_PERSIST_IMPLEMENTATION\n"
    "#include <ember_persist.h>\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "int main(int argc, char **argv) {\n"
    "    char aof[4096], snap[4096];\n"
    "    ep_aof_writer_config c;\n"
    "    ep_aof_writer *w = NULL;\n"
    "    ep_snapshot_writer *s = NULL;\n"
    "    if (argc != 2) return 2;\n"
    "    snprintf(aof, sizeof aof, \"%s/shard-3.aof\", argv[1]);\n"
    "    snprintf(snap, sizeof snap, \"%s/shard-3.snap\", argv[1]);\n"
    "    ep_aof_writer_config_init(&c);\n"
    "    if (ep_aof_writer_open(aof, &c, &w, NULL)) return 1;\n"
    "    if (ep_aof_set(w, ep_bytes_str(\"greeting\"), ep_bytes_str(\"hello\"), -1)) return 1;\n"
    "    if (ep_aof_incrby(w, ep_bytes_str(\"visits\"), 41)) return 1;\n"
    "    if (ep_aof_writer_close(w)) return 1;\n"
    "    if (ep_snapshot_writer_begin(snap, 3, NULL, &s, NULL)) return 1;\n"
    "    if (ep_snapshot_writer_add_string(s, ep_bytes_str(\"k\"), ep_bytes_str(\"v\"), -1)) return 1;\n"
    "    if (ep_snapshot_writer_commit(s, NULL)) return 1;\n"
    "    printf(\"ember_persist %s\\n\", ep_version());\n"
    "    return 0;\n"
    "}\n";

static int exists(const char *path) {
    size_t n = 0;
    uint8_t *b = ept_read_file(path, &n);
    free(b);
    return b != NULL;
}

static int run(const char *const *argv, ept_cmd_out *o, int want, const char *what) {
    int rc = ept_run_argv(argv, NULL, NULL, 300000, o);
    if (rc != want) printf("    %s: exit %d, expected %d\n    stdout: %.800s\n    stderr: %.800s\n", what, rc, want, o->out, o->err);
    return rc == want;
}

EPT_CASE(install_into_a_prefix_then_use_it) {
    char prefix[700], pre_arg[800], tool_arg[800], inc[800], bin[800], man[800], src[800], prog[800], data[800];
    const char *d = ept_tmpdir();
    ept_cmd_out o;
    if (!ept_cmd_supported() || !ept_have_program("make") || !ept_have_program("cc")) {
        ept_skip("needs fork/exec, make and cc");
        return;
    }
    {
        const char *argv[] = {ept_cli_path(), "--version", NULL};
        int rc = ept_run_argv(argv, NULL, NULL, 30000, &o);
        ept_cmd_out_free(&o);
        if (rc != 0 || !exists("Makefile")) {
            ept_skip("the tool is not built, or not run from the repository root");
            return;
        }
    }
    snprintf(prefix, sizeof prefix, "%s/prefix", d);
    snprintf(pre_arg, sizeof pre_arg, "PREFIX=%s", prefix);
    snprintf(tool_arg, sizeof tool_arg, "TOOL=%s", ept_cli_path());
    {
        /* -o: the tool under test is taken as it is, never remade */
        const char *argv[] = {"make", "--no-print-directory", "-o", ept_cli_path(), "install", pre_arg, tool_arg, NULL};
        EPT_CHECK(run(argv, &o, 0, "make install"));
        ept_cmd_out_free(&o);
    }
    snprintf(inc, sizeof inc, "%s/include/ember_persist.h", prefix);
    snprintf(bin, sizeof bin, "%s/bin/ember-persist", prefix);
    snprintf(man, sizeof man, "%s/share/man/man1/ember-persist.1", prefix);
    {
        size_t a = 0, b = 0;
        uint8_t *x = ept_read_file(inc, &a), *y = ept_read_file("ember_persist.h", &b);
        EPT_CHECK(x && y && a == b && memcmp(x, y, a) == 0); /* the header, byte for byte */
        free(x);
        free(y);
        x = ept_read_file(man, &a);
        EPT_CHECK(x && a > 100);
        free(x);
    }
    /* a program built against the installed header alone */
    snprintf(src, sizeof src, "%s/user.c", d);
    snprintf(prog, sizeof prog, "%s/user", d);
    snprintf(data, sizeof data, "%s/data", d);
    EPT_CHECK(ept_write_file(src, user_program, strlen(user_program)) == 0);
    {
        char incdir[800];
        const char *argv[] = {"cc", "-std=c99", "-O0", "-I", incdir, src, "-o", prog, "-lpthread", "-lm", NULL};
        snprintf(incdir, sizeof incdir, "%s/include", prefix);
        EPT_CHECK(run(argv, &o, 0, "cc against the installed header"));
        ept_cmd_out_free(&o);
    }
    {
        const char *mk[] = {"mkdir", data, NULL};
        const char *argv[] = {prog, data, NULL};
        EPT_CHECK(run(mk, &o, 0, "mkdir"));
        ept_cmd_out_free(&o);
        EPT_CHECK(run(argv, &o, 0, "the user's program"));
        EPT_EXPECT(strncmp(o.out, "ember_persist ", 14) == 0);
        ept_cmd_out_free(&o);
    }
    /* the installed tool, run from there */
    {
        char aof[900], snap[900];
        const char *help[] = {bin, "--help", NULL};
        const char *vhelp[] = {bin, "verify", "-h", NULL};
        const char *va[] = {bin, "verify", aof, NULL};
        const char *vs[] = {bin, "verify", snap, NULL};
        const char *vg[] = {bin, "verify", "tests/data/golden/plain/shard-0.aof", NULL};
        const char *rec[] = {bin, "recover", data, "3", NULL};
        snprintf(aof, sizeof aof, "%s/shard-3.aof", data);
        snprintf(snap, sizeof snap, "%s/shard-3.snap", data);
        EPT_CHECK(run(help, &o, 0, "ember-persist --help"));
        EPT_EXPECT(strstr(o.out, "usage: ember-persist COMMAND") != NULL);
        ept_cmd_out_free(&o);
        EPT_CHECK(run(vhelp, &o, 0, "ember-persist verify -h"));
        ept_cmd_out_free(&o);
        EPT_CHECK(run(va, &o, 0, "verify the program's AOF"));
        EPT_EXPECT(strstr(o.out, "clean: 2 records") != NULL);
        ept_cmd_out_free(&o);
        EPT_CHECK(run(vs, &o, 0, "verify the program's snapshot"));
        EPT_EXPECT(strstr(o.out, "clean: 1 entries") != NULL);
        ept_cmd_out_free(&o);
        if (exists("tests/data/golden/plain/shard-0.aof")) {
            EPT_CHECK(run(vg, &o, 0, "verify a golden file"));
            ept_cmd_out_free(&o);
        }
        EPT_CHECK(run(rec, &o, 0, "recover the program's shard"));
        EPT_EXPECT(strstr(o.out, "greeting") != NULL && strstr(o.out, "visits") != NULL);
        ept_cmd_out_free(&o);
    }
    /* man -l renders the installed page */
    if (ept_have_program("man")) {
        const char *argv[] = {"man", "-l", man, NULL};
        const char *env[] = {"MANPAGER=cat", "PAGER=cat", "MANWIDTH=80", NULL};
        int rc = ept_run_argv(argv, NULL, env, 60000, &o);
        if (rc != 0 || !strstr(o.out, "ember-persist") || !strstr(o.out, "EXIT")) {
            printf("    man -l: exit %d\n%.600s\n%.600s\n", rc, o.out, o.err);
            EPT_EXPECT(0);
        }
        ept_cmd_out_free(&o);
    } else {
        printf("    (man is not installed: the page was installed, not rendered)\n");
    }
}

EPT_MAIN()
