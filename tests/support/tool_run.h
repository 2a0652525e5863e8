/* Running the built ember-persist tool from a test: where it is ($EP_CLI or
 * build/ember-persist), its exit code with stdout captured to a file, and
 * python3 assertions on a JSON document it wrote. POSIX shell only. */
#ifndef EPT_TOOL_RUN_H
#define EPT_TOOL_RUN_H

#include <stddef.h>

/* The tool's path. */
const char *ept_tool_path(void);
/* 1 if the tool is built and python3 has json; else ept_skip() and 0.
 * Sets the scratch directory (ept_tmpdir()) that ept_tool_file uses. */
int ept_tool_ready(void);
/* "<scratch>/name" into out. */
void ept_tool_file(char *out, size_t cap, const char *name);
/* Runs "tool args > out 2> err" (out, err may be NULL: /dev/null) through
 * /bin/sh; the exit code, or -1 if it did not exit. */
int ept_tool_run(const char *args, const char *out, const char *err);
/* Runs python3 with `d` bound to the JSON document in file and the given
 * statements (asserts); 1 if they all hold. */
int ept_tool_py(const char *file, const char *statements);

#endif
