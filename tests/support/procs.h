/* Servers and clients for tests: our resp_server and a real redis-server,
 * each on 127.0.0.1, a port the OS picked, its own directory, stopped by its
 * pid (at the latest by an atexit hook, so no exit path leaves one running).
 * Every wait is bounded in time. POSIX only. */
#ifndef EPT_PROCS_H
#define EPT_PROCS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct ept_proc {
    pid_t pid;
    int port;
} ept_proc;

/* A monotonic clock in ms, and a sleep of ms (the bounds of every wait). */
long long ept_ms(void);
void ept_sleep_ms(int ms);

/* Free ports and "is it installed" come from redis_util.h (ept_free_port,
 * ept_have_program). */
/* The resp_server binary (EP_RESP_SERVER or build/examples/resp_server). */
const char *ept_resp_server_path(void);
/* 1 when resp_server is built and, if need_redis, redis-server and
 * redis-cli are installed; else ept_skip() with the reason and 0. */
int ept_need_servers(int need_redis);

/* Starts resp_server --dir dir --port 0 plus extra arguments (NULL
 * terminated, may be NULL); waits for its "ready PORT" line. 0 or -1. */
int ept_start_ours(ept_proc *p, const char *dir, const char *const *extra);
/* Starts redis-server on a free port in dir (no RDB saves, no AOF unless
 * extra says so); waits until it answers PING. 0 or -1. */
int ept_start_redis(ept_proc *p, const char *dir, const char *const *extra);
/* The same, waiting up to timeout_ms (ept_start_redis: 10 s) per attempt. */
int ept_start_redis_timeout(ept_proc *p, const char *dir, const char *const *extra, int timeout_ms);
/* SIGKILL (hard != 0) or SIGTERM, then waits for it (bounded; SIGKILL after 5 s). */
void ept_stop(ept_proc *p, int hard);
/* Waits up to ms for the process to exit by itself; 1 if it did. */
int ept_wait_exit(ept_proc *p, int ms);

/* A blocking client connection to 127.0.0.1:port with 5 s (or seconds)
 * send/receive timeouts; -1 on failure. */
int ept_connect(int port);
int ept_connect_timeout(int port, int seconds);
/* Sends one command (argv[i] of len[i] bytes; len NULL: strlen) as RESP. */
int ept_send(int fd, int argc, const char *const *argv, const size_t *len);
/* Reads exactly one complete reply (RESP2 or RESP3) into out (malloc'd,
 * *n bytes). 0, or -1 on timeout, close or a reply over 64 MiB. */
int ept_read_reply(int fd, char **out, size_t *n);
/* send + read; the reply NUL-terminated. */
int ept_call(int fd, char **out, size_t *n, int argc, const char *const *argv);
/* Length of the complete RESP value at the start of p[0..n), 0 if incomplete, -1 if malformed. */
long ept_resp_len(const char *p, size_t n);

/* Runs redis-cli -p port with args (NULL terminated) and more flags before
 * them, capturing stdout into out (cap bytes, NUL-terminated). Returns the
 * exit status, or -1. Bounded to 10 s. */
int ept_cli(int port, const char *flags, const char *const *args, char *out, size_t cap);

#endif
