/* Redis files beside a real redis-server in the same run: 1 M string keys x
 * 64-byte values plus 10 k each of lists, hashes, sets and sorted sets of 100
 * elements. redis-server (127.0.0.1, a port the OS picked, its own temporary
 * directory, stopped by its pid on every exit path) is filled over pipelined
 * RESP, then timed: its SAVE (the command's round trip), its startup load of
 * that dump and of the same data as a RESP AOF (aof-use-rdb-preamble no),
 * both from its log ("DB loaded from ...: N seconds"). Then ours on the same
 * files: the RDB into ep_keyspace, the RDB saved again from that keyspace,
 * the AOF directory into ep_keyspace; each beside a raw read() of the same
 * bytes, with MB/s, keys/s, the peak RSS growth against the data, and the
 * ratio to Redis. CPU seconds (user + sys) are printed beside the wall ones,
 * for both sides (redis-server's from /proc/<pid>/stat: the SAVE's delta,
 * and its whole start for a load): on a shared, loaded machine the wall
 * ratio mostly measures who the scheduler ran. Each of ours runs BENCH_RUNS
 * times (default 3) in a fresh child (its own heap, its own VmHWM); the best
 * is printed. Also the CRC-64 of the dump in memory, folding vs table path.
 *
 *   BENCH_STRINGS (1000000), BENCH_COLLECTIONS (10000 of each kind),
 *   BENCH_RUNS (3), BENCH_DIR (where the files go), BENCH_KEEP (keep them). */
#include "bench.h"
#include "ember_persist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define ELEMENTS 100

static void sleep_us(long us) {
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    nanosleep(&ts, NULL);
}

/* The one server this program runs; the exit handler stops it. */
static pid_t server_pid = -1;

static void server_kill(void) {
    if (server_pid > 0) {
        int st, i;
        kill(server_pid, SIGKILL);
        for (i = 0; i < 100 && waitpid(server_pid, &st, WNOHANG) == 0; i++) sleep_us(20000);
        server_pid = -1;
    }
}

static void on_signal(int sig) {
    server_kill();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void die(const char *what) {
    fprintf(stderr, "bench_redis: %s\n", what);
    exit(1); /* atexit: server_kill */
}

/* ---- the server ------------------------------------------------------- */

/* A free port: bind port 0 on 127.0.0.1 and read back what the OS gave. */
static int free_port(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (s < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

typedef struct server {
    char dir[600];
    char log[700];
    int port;
} server;

/* Starts redis-server in s->dir (log appended to s->log); extra: "aof" for
 * appendonly yes (RESP AOF, no RDB preamble), else appendonly no. Waits
 * (bounded: 300 s, the load of a big file included) for "Ready to accept
 * connections" in the log after offset from. */
static long log_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static int log_find_after(const char *path, long from, const char *what, char *line, size_t cap) {
    FILE *f = fopen(path, "r");
    char buf[1024];
    int found = 0;
    if (!f) return 0;
    if (fseek(f, from, SEEK_SET) != 0) {
        fclose(f);
        return 0;
    }
    while (fgets(buf, sizeof buf, f))
        if (strstr(buf, what)) {
            if (line) snprintf(line, cap, "%s", buf);
            found = 1;
        }
    fclose(f);
    return found;
}

static void server_start(server *s, int aof, long *log_from) {
    char port[16];
    int i;
    if ((s->port = free_port()) < 0) die("no free port");
    snprintf(port, sizeof port, "%d", s->port);
    *log_from = log_size(s->log);
    server_pid = fork();
    if (server_pid < 0) die("fork");
    if (server_pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed bench takes its server along */
#endif
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", s->dir, "--logfile",
               s->log, "--save", "", "--daemonize", "no", "--protected-mode", "yes", "--dbfilename", "dump.rdb",
               "--appendonly", aof ? "yes" : "no", "--aof-use-rdb-preamble", "no", "--appenddirname", "appendonlydir",
               "--appendfsync", "no", (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 30000; i++) { /* 10 ms steps: 300 s */
        int st;
        if (log_find_after(s->log, *log_from, "Ready to accept connections", NULL, 0)) return;
        if (waitpid(server_pid, &st, WNOHANG) == server_pid) {
            server_pid = -1;
            die("redis-server exited while starting (see its log)");
        }
        sleep_us(10000);
    }
    die("redis-server did not become ready in 300 s");
}

/* SIGTERM (with save "" it writes no dump; an AOF is flushed), then wait
 * for it (bounded), SIGKILL after 60 s. */
static void server_stop(void) {
    int i, st;
    if (server_pid <= 0) return;
    kill(server_pid, SIGTERM);
    for (i = 0; i < 6000; i++) {
        if (waitpid(server_pid, &st, WNOHANG) == server_pid) {
            server_pid = -1;
            return;
        }
        sleep_us(10000);
    }
    server_kill();
}

/* CPU seconds (user + sys) redis-server has used so far: its load under a
 * loaded machine, where wall seconds also count the others' work. */
static double server_cpu(void) {
    char path[64], buf[1024];
    FILE *f;
    size_t n;
    char *p;
    unsigned long ut = 0, st = 0;
    int field;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)server_pid);
    if (!(f = fopen(path, "r"))) return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (!(p = strrchr(buf, ')'))) return -1;
    for (field = 2; *p && field < 14; p++)
        if (*p == ' ') field++;
    if (sscanf(p, "%lu %lu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Seconds in the log line "<what>: N seconds" after from; -1 if absent. */
static double log_seconds(const server *s, long from, const char *what) {
    char line[1024];
    const char *p;
    if (!log_find_after(s->log, from, what, line, sizeof line)) return -1;
    p = strstr(line, what) + strlen(what);
    return atof(p);
}

/* ---- a small pipelined RESP client ------------------------------------ */

typedef struct client {
    int fd;
    char in[1 << 16];
    size_t have, pos;
    ep_buf out;
    long pending;
} client;

static void client_connect(client *c, int port) {
    struct sockaddr_in a;
    int one = 1, i;
    memset(a.sin_zero, 0, sizeof a.sin_zero);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < 100; i++) {
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd >= 0 && connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0) break;
        if (c->fd >= 0) close(c->fd);
        c->fd = -1;
        sleep_us(20000);
    }
    if (c->fd < 0) die("cannot connect to redis-server");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    {
        struct timeval tv;
        tv.tv_sec = 600; /* a SAVE of the whole data set, on a loaded machine */
        tv.tv_usec = 0;
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    c->have = c->pos = 0;
    c->pending = 0;
    ep_buf_init(&c->out, NULL);
}

static int client_byte(client *c) {
    if (c->pos == c->have) {
        ssize_t n = read(c->fd, c->in, sizeof c->in);
        if (n <= 0) die("redis-server closed the connection or timed out");
        c->have = (size_t)n;
        c->pos = 0;
    }
    return (unsigned char)c->in[c->pos++];
}

/* One reply: its first line into line (cap bytes); a bulk reply's body into
 * body (its length in *blen) if body is non-NULL. Arrays are not used here. */
static void client_reply(client *c, char *line, size_t cap, char *body, size_t bcap, size_t *blen) {
    size_t n = 0;
    int ch;
    while ((ch = client_byte(c)) != '\n')
        if (n + 1 < cap) line[n++] = (char)ch;
    line[n > 0 && line[n - 1] == '\r' ? n - 1 : n] = '\0';
    if (line[0] == '-') {
        fprintf(stderr, "bench_redis: redis-server: %s\n", line);
        die("error reply");
    }
    if (line[0] == '$') {
        long len = atol(line + 1), i;
        for (i = 0; i < len + 2 && len >= 0; i++) {
            ch = client_byte(c);
            if (body && (size_t)i < bcap && i < len) body[i] = (char)ch;
        }
        if (blen) *blen = len < 0 ? 0 : (size_t)len < bcap ? (size_t)len : bcap;
    }
}

static void client_send(client *c) {
    size_t off = 0;
    while (off < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + off, c->out.len - off);
        if (n <= 0) die("write to redis-server failed");
        off += (size_t)n;
    }
    c->out.len = 0;
}

/* Queues one command; every 2000 it sends them and reads their replies. */
static void client_cmd(client *c, size_t argc, const ep_bytes *argv) {
    ep_resp_write_command(&c->out, argc, argv);
    if (++c->pending >= 2000) {
        char line[256];
        client_send(c);
        for (; c->pending > 0; c->pending--) client_reply(c, line, sizeof line, NULL, 0, NULL);
    }
}

static void client_drain(client *c) {
    char line[256];
    client_send(c);
    for (; c->pending > 0; c->pending--) client_reply(c, line, sizeof line, NULL, 0, NULL);
}

/* A command now (the queue drained first); its reply's first line, and a
 * bulk body into body. */
static void client_call(client *c, char *line, size_t cap, char *body, size_t bcap, size_t *blen, size_t argc,
                        const ep_bytes *argv) {
    client_drain(c);
    ep_resp_write_command(&c->out, argc, argv);
    client_send(c);
    client_reply(c, line, cap, body, bcap, blen);
}

static void client_close(client *c) {
    close(c->fd);
    ep_buf_free(&c->out);
}

/* ---- the data set ------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* 64 bytes of hex from the generator: what a cache holds (tokens, ids). */
static void value64(uint64_t *s, char *out) {
    static const char hex[] = "0123456789abcdef";
    int i;
    for (i = 0; i < 64; i += 16) {
        uint64_t v = rng_next(s);
        int k;
        for (k = 0; k < 16; k++) out[i + k] = hex[(v >> (4 * k)) & 15];
    }
}

/* Bytes of data: keys, values, elements (a score as 8 bytes). */
static uint64_t fill(client *c, long strings, long colls) {
    static const char *const cmd[4] = {"RPUSH", "HSET", "SADD", "ZADD"};
    static const char *const prefix[4] = {"list", "hash", "set", "zset"};
    uint64_t s = 42, data = 0;
    char key[64], val[64], el[ELEMENTS * 2][40];
    ep_bytes argv[2 + 2 * ELEMENTS];
    long i;
    int kind, e;
    for (i = 0; i < strings; i++) {
        int kl = snprintf(key, sizeof key, "key:%010ld", i);
        value64(&s, val);
        argv[0] = EP_LIT("SET");
        argv[1] = ep_bytes_of(key, (size_t)kl);
        argv[2] = ep_bytes_of(val, 64);
        client_cmd(c, 3, argv);
        data += (uint64_t)kl + 64;
    }
    for (kind = 0; kind < 4; kind++)
        for (i = 0; i < colls; i++) {
            int kl = snprintf(key, sizeof key, "%s:%08ld", prefix[kind], i);
            size_t argc = 2;
            argv[0] = ep_bytes_str(cmd[kind]);
            argv[1] = ep_bytes_of(key, (size_t)kl);
            data += (uint64_t)kl;
            for (e = 0; e < ELEMENTS; e++) {
                int n = snprintf(el[2 * e], sizeof el[0], "member-%03d-%08x", e, (unsigned)(rng_next(&s) & 0xffffffffu));
                if (kind == 1) { /* field, value */
                    int m = snprintf(el[2 * e + 1], sizeof el[0], "v%08x", (unsigned)(rng_next(&s) & 0xffffffffu));
                    argv[argc++] = ep_bytes_of(el[2 * e], (size_t)n);
                    argv[argc++] = ep_bytes_of(el[2 * e + 1], (size_t)m);
                    data += (uint64_t)(n + m);
                } else if (kind == 3) { /* score, member */
                    int m = snprintf(el[2 * e + 1], sizeof el[0], "%d.5", e * 3 + (int)(i % 7));
                    argv[argc++] = ep_bytes_of(el[2 * e + 1], (size_t)m);
                    argv[argc++] = ep_bytes_of(el[2 * e], (size_t)n);
                    data += (uint64_t)n + 8;
                } else {
                    argv[argc++] = ep_bytes_of(el[2 * e], (size_t)n);
                    data += (uint64_t)n;
                }
            }
            client_cmd(c, argc, argv);
        }
    client_drain(c);
    return data;
}

/* 1 once INFO persistence says no AOF rewrite runs or waits. */
static int aof_rewrite_done(client *c) {
    static char body[16384];
    char line[64];
    size_t n = 0;
    ep_bytes argv[2];
    argv[0] = EP_LIT("INFO");
    argv[1] = EP_LIT("persistence");
    client_call(c, line, sizeof line, body, sizeof body - 1, &n, 2, argv);
    body[n] = '\0';
    return strstr(body, "aof_rewrite_in_progress:0") && strstr(body, "aof_rewrite_scheduled:0") &&
           strstr(body, "aof_enabled:1");
}

/* ---- ours, each in a child ---------------------------------------------- */

typedef struct result {
    double wall, cpu;
    long rss_growth_kb;
    uint64_t keys, bytes;
    int ok;
} result;

/* The raw read of path: read() into a 1 MiB buffer, the physical floor. */
static result op_read(const char *path) {
    static uint8_t buf[1 << 20];
    result r;
    int fd = open(path, O_RDONLY);
    double t0 = bench_now();
    ssize_t n;
    memset(&r, 0, sizeof r);
    if (fd < 0) return r;
    while ((n = read(fd, buf, sizeof buf)) > 0) r.bytes += (uint64_t)n;
    close(fd);
    r.wall = bench_now() - t0;
    r.ok = n == 0;
    return r;
}

static uint64_t dbs_keys(const ep_redis_dbs *d) {
    uint64_t n = 0;
    size_t i;
    for (i = 0; i < d->count; i++)
        if (d->db[i]) n += ep_keyspace_count(d->db[i]);
    return n;
}

static int load_rdb(const char *rdb, ep_redis_dbs *dbs) {
    ep_redis_load_config lc;
    ep_error err;
    ep_redis_load_config_init(&lc);
    memset(dbs, 0, sizeof *dbs);
    if (ep_redis_load_rdb(rdb, &lc, dbs, NULL, &err) != EP_OK) {
        fprintf(stderr, "bench_redis: load %s: %s\n", rdb, err.message);
        return 0;
    }
    return 1;
}

static result op_load_rdb(const char *rdb) {
    ep_redis_dbs dbs;
    result r;
    double t0 = bench_now();
    memset(&r, 0, sizeof r);
    r.ok = load_rdb(rdb, &dbs);
    r.wall = bench_now() - t0;
    r.keys = dbs_keys(&dbs);
    ep_redis_dbs_free(&dbs);
    return r;
}

/* Loads rdb (untimed), then times the save of database 0 to out. */
static result op_save_rdb(const char *rdb, const char *out) {
    ep_redis_dbs dbs;
    ep_rdb_writer_config wc;
    ep_redis_map_config mc;
    ep_redis_map_result mr;
    ep_rdb_writer *w = NULL;
    ep_error err;
    result r;
    double t0;
    memset(&r, 0, sizeof r);
    memset(&mr, 0, sizeof mr);
    if (!load_rdb(rdb, &dbs) || dbs.count < 1 || !dbs.db[0]) return r;
    ep_rdb_writer_config_init(&wc);
    ep_redis_map_config_init(&mc);
    mc.db = 0;
    r.cpu = bench_cpu_seconds();
    t0 = bench_now();
    r.ok = ep_rdb_writer_begin(out, &wc, &w, &err) == EP_OK &&
           ep_redis_keyspace_to_rdb(dbs.db[0], w, &mc, &mr, &err) == EP_OK;
    if (r.ok) r.ok = ep_rdb_writer_commit(w, &err) == EP_OK;
    else if (w) ep_rdb_writer_abort(w);
    r.wall = bench_now() - t0;
    r.cpu = bench_cpu_seconds() - r.cpu;
    if (!r.ok) fprintf(stderr, "bench_redis: save: %s\n", err.message);
    r.keys = mr.converted;
    ep_redis_dbs_free(&dbs);
    return r;
}

/* RESP commands into the keyspace: the ones a rewrite writes for this data
 * set (SELECT, SET, RPUSH, HSET, SADD, ZADD) as ember records. */
typedef struct aof_apply {
    ep_keyspace *ks;
    ep_buf scratch;
    ep_bytes *a, *b;
    double *scores;
    size_t cap;
    uint64_t other;
} aof_apply;

static int name_is(ep_bytes n, const char *s) {
    size_t i, len = strlen(s);
    if (n.len != len) return 0;
    for (i = 0; i < len; i++)
        if ((n.data[i] & 0xdf) != s[i]) return 0;
    return 1;
}

static ep_result apply_cmd(void *user, ep_aof_file_type from, size_t argc, const ep_bytes *argv) {
    aof_apply *ap = (aof_apply *)user;
    ep_aof_record rec;
    ep_result r;
    size_t i, n;
    (void)from;
    if (argc < 2) return EP_OK;
    if (argc > ap->cap) return EP_ERR_LIMIT;
    ap->scratch.len = 0;
    if (name_is(argv[0], "SET") && argc == 3) {
        r = ep_aof_rec_set(&rec, argv[1], argv[2], -1);
    } else if (name_is(argv[0], "RPUSH")) {
        r = ep_aof_rec_rpush(&rec, &ap->scratch, argv[1], argv + 2, (uint32_t)(argc - 2));
    } else if (name_is(argv[0], "SADD")) {
        r = ep_aof_rec_sadd(&rec, &ap->scratch, argv[1], argv + 2, (uint32_t)(argc - 2));
    } else if (name_is(argv[0], "HSET") && argc % 2 == 0) {
        for (n = 0, i = 2; i + 1 < argc; i += 2, n++) ap->a[n] = argv[i], ap->b[n] = argv[i + 1];
        r = ep_aof_rec_hset(&rec, &ap->scratch, argv[1], ap->a, ap->b, (uint32_t)n);
    } else if (name_is(argv[0], "ZADD") && argc % 2 == 0) {
        for (n = 0, i = 2; i + 1 < argc; i += 2, n++) {
            char num[64];
            size_t l = argv[i].len < sizeof num - 1 ? argv[i].len : sizeof num - 1;
            memcpy(num, argv[i].data, l);
            num[l] = '\0';
            ap->scores[n] = strtod(num, NULL);
            ap->a[n] = argv[i + 1];
        }
        r = ep_aof_rec_zadd(&rec, &ap->scratch, argv[1], ap->scores, ap->a, (uint32_t)n);
    } else {
        ap->other++; /* SELECT 0 */
        return EP_OK;
    }
    if (r == EP_OK) r = ep_keyspace_apply(ap->ks, &rec, 0);
    return r;
}

static result op_load_aof(const char *aofdir) {
    ep_keyspace_config kc;
    ep_aof_dir_config dc;
    ep_aof_dir_visitor v;
    ep_aof_dir_status st;
    aof_apply ap;
    ep_error err;
    result r;
    double t0 = bench_now();
    memset(&r, 0, sizeof r);
    memset(&ap, 0, sizeof ap);
    ap.cap = 1u << 16;
    ap.a = (ep_bytes *)malloc(ap.cap * sizeof *ap.a);
    ap.b = (ep_bytes *)malloc(ap.cap * sizeof *ap.b);
    ap.scores = (double *)malloc(ap.cap * sizeof *ap.scores);
    ep_buf_init(&ap.scratch, NULL);
    ep_keyspace_config_init(&kc);
    if (!ap.a || !ap.b || !ap.scores || ep_keyspace_create(&kc, &ap.ks) != EP_OK) return r;
    ep_aof_dir_config_init(&dc);
    memset(&v, 0, sizeof v);
    v.command = apply_cmd;
    v.user = &ap;
    r.ok = ep_aof_dir_read(aofdir, &dc, &v, &st, &err) == EP_OK;
    r.wall = bench_now() - t0;
    if (!r.ok) fprintf(stderr, "bench_redis: aof %s: %s\n", aofdir, err.message);
    r.keys = ep_keyspace_count(ap.ks);
    ep_keyspace_free(ap.ks);
    ep_buf_free(&ap.scratch);
    free(ap.a);
    free(ap.b);
    free(ap.scores);
    return r;
}

enum { OP_READ, OP_LOAD_RDB, OP_SAVE_RDB, OP_LOAD_AOF };

/* One operation in a fresh child: its own heap, so VmHWM - VmRSS at the
 * start is this operation's peak growth alone. */
static result in_child(int op, const char *a, const char *b) {
    int fd[2];
    pid_t pid;
    result r;
    memset(&r, 0, sizeof r);
    if (pipe(fd) != 0) return r;
    fflush(stdout);
    if ((pid = fork()) < 0) return r;
    if (pid == 0) {
        long rss0;
        double c0;
        close(fd[0]);
        server_pid = -1; /* the parent's to stop, not ours */
        rss0 = bench_status_kb("VmRSS:");
        c0 = bench_cpu_seconds();
        r = op == OP_READ ? op_read(a) : op == OP_LOAD_RDB ? op_load_rdb(a) : op == OP_SAVE_RDB ? op_save_rdb(a, b) : op_load_aof(a);
        r.rss_growth_kb = bench_status_kb("VmHWM:") - rss0;
        if (r.cpu == 0) r.cpu = bench_cpu_seconds() - c0; /* the save sets its own (its load untimed) */
        if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(1);
        _exit(0);
    }
    close(fd[1]);
    {
        ssize_t got = read(fd[0], &r, sizeof r);
        int st = 0;
        close(fd[0]);
        waitpid(pid, &st, 0);
        if (got != (ssize_t)sizeof r || !WIFEXITED(st) || WEXITSTATUS(st) != 0) r.ok = 0;
    }
    return r;
}

/* Best of runs (least wall time, least RSS growth). */
static result best_of(int runs, int op, const char *a, const char *b) {
    result best;
    int i;
    memset(&best, 0, sizeof best);
    for (i = 0; i < runs; i++) {
        result r = in_child(op, a, b);
        if (!r.ok) die("one of our operations failed");
        if (i == 0) {
            best = r;
        } else {
            if (r.wall < best.wall) best.wall = r.wall;
            if (r.cpu < best.cpu) best.cpu = r.cpu;
            if (r.rss_growth_kb < best.rss_growth_kb) best.rss_growth_kb = r.rss_growth_kb;
        }
        printf("    run %d: %s %.3f s (CPU %.3f s)\n", i + 1, op == OP_READ ? "read" : op == OP_LOAD_RDB ? "rdb load" : op == OP_SAVE_RDB ? "rdb save" : "aof load", r.wall, r.cpu);
    }
    return best;
}

/* CRC-64 over the dump held in memory: the folding path, the table path and
 * a plain 64-bit read of the same bytes (the memory floor), GB/s, best of 3. */
static void crc64_lines(const char *path) {
    FILE *f = fopen(path, "rb");
    uint8_t *d = NULL;
    size_t n = 0, cap = 0, got;
    double best[3] = {0, 0, 0};
    volatile uint64_t sink = 0;
    int rep, k;
    if (!f) return;
    for (;;) {
        if (n == cap) {
            uint8_t *nd = (uint8_t *)realloc(d, cap = cap ? cap * 2 : (1u << 20));
            if (!nd) break;
            d = nd;
        }
        if ((got = fread(d + n, 1, cap - n, f)) == 0) break;
        n += got;
    }
    fclose(f);
    for (rep = 0; rep < 3 && d; rep++)
        for (k = 0; k < 3; k++) {
            double t0 = bench_now(), dt;
            if (k == 0) sink ^= ep_crc64_update_hw(0, d, n);
            else if (k == 1) sink ^= ep_crc64_update_portable(0, d, n);
            else {
                uint64_t acc = 0, w;
                size_t i;
                for (i = 0; i + 8 <= n; i += 8) {
                    memcpy(&w, d + i, 8);
                    acc ^= w;
                }
                sink ^= acc;
            }
            dt = bench_now() - t0;
            if ((double)n / 1e9 / dt > best[k]) best[k] = (double)n / 1e9 / dt;
        }
    free(d);
    (void)sink;
    printf("  CRC-64 of dump.rdb in memory (%s path available)\n", ep_crc64_hw_available() ? "folding" : "no folding");
    bench_line("  folding (PCLMULQDQ / PMULL)", best[0], "GB/s", best[0] / best[2], "of a plain memory read");
    bench_line("  table (slicing-by-8)", best[1], "GB/s", best[0] / best[1], "folding vs table");
}

static uint64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The AOF directory's files (base + incr), their total size. */
static uint64_t dir_bytes(const char *dir, char *base, size_t cap) {
    char path[900];
    uint64_t n = 0;
    int seq;
    base[0] = '\0';
    for (seq = 1; seq < 64; seq++) {
        snprintf(path, sizeof path, "%s/appendonly.aof.%d.base.aof", dir, seq);
        if (file_size(path)) {
            snprintf(base, cap, "%s", path);
            n += file_size(path);
            snprintf(path, sizeof path, "%s/appendonly.aof.%d.incr.aof", dir, seq);
            n += file_size(path);
        }
    }
    return n;
}

static void report(const char *what, result ours, result raw, double redis_s, double redis_cpu, uint64_t data,
                   const char *vs) {
    char l[128];
    double mb = (double)raw.bytes / 1e6;
    snprintf(l, sizeof l, "%s: ours", what);
    bench_line(l, ours.wall, "s", redis_s > 0 ? redis_s / ours.wall : 0, vs);
    snprintf(l, sizeof l, "%s: ours, CPU seconds", what);
    bench_line(l, ours.cpu, "s", redis_cpu > 0 ? redis_cpu / ours.cpu : 0, "vs redis-server's CPU seconds for it");
    snprintf(l, sizeof l, "%s: MB/s (file) / raw read()", what);
    bench_line(l, mb / ours.wall, "MB/s", raw.wall / ours.wall, "of raw read speed");
    snprintf(l, sizeof l, "%s: keys/s", what);
    bench_line(l, (double)ours.keys / ours.wall / 1e6, "M/s", 0, NULL);
    snprintf(l, sizeof l, "%s: peak RSS growth", what);
    bench_line(l, (double)ours.rss_growth_kb * 1024.0 / 1e6, "MB", (double)ours.rss_growth_kb * 1024.0 / (double)data,
               "vs data (target <= 2x)");
}

int main(void) {
    long strings = getenv("BENCH_STRINGS") ? atol(getenv("BENCH_STRINGS")) : 1000000;
    long colls = getenv("BENCH_COLLECTIONS") ? atol(getenv("BENCH_COLLECTIONS")) : 10000;
    int runs = getenv("BENCH_RUNS") ? atoi(getenv("BENCH_RUNS")) : 3;
    server s;
    client c;
    char line[256], rdb[700], ours_rdb[700], aofdir[700], aofbase[900], cmd[1600];
    ep_bytes argv[3];
    long from;
    double t0, redis_save, redis_rdb_load, redis_aof_load, cpu_save, cpu_rdb_load, cpu_aof_load;
    uint64_t data, rdb_bytes, aof_bytes;
    result raw_rdb, raw_aof, load, save, aof;
    if (system("command -v redis-server >/dev/null 2>&1") != 0) {
        printf("bench_redis: skipped: redis-server not installed\n");
        return 0;
    }
    atexit(server_kill);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    snprintf(s.dir, sizeof s.dir, "%s/ep_bench_redis_XXXXXX", bench_target_dir(NULL));
    if (!mkdtemp(s.dir)) die("mkdtemp");
    snprintf(s.log, sizeof s.log, "%s/redis.log", s.dir);
    snprintf(rdb, sizeof rdb, "%s/dump.rdb", s.dir);
    snprintf(ours_rdb, sizeof ours_rdb, "%s/ours.rdb", s.dir);
    snprintf(aofdir, sizeof aofdir, "%s/appendonlydir", s.dir);
    {
        FILE *p = popen("redis-server --version", "r");
        if (p && fgets(line, sizeof line, p)) printf("peer: %s", line);
        if (p) pclose(p);
    }
    printf("bench_redis: %ld strings x 64 B + %ld each of lists/hashes/sets/zsets x %d elements; ours best of %d\n",
           strings, colls, ELEMENTS, runs);

    /* 1. fill, SAVE (timed by its round trip) */
    server_start(&s, 0, &from);
    client_connect(&c, s.port);
    t0 = bench_now();
    data = fill(&c, strings, colls);
    printf("  filled redis-server in %.2f s (%.1f MB of keys, values, elements)\n", bench_now() - t0, (double)data / 1e6);
    argv[0] = EP_LIT("SAVE");
    cpu_save = server_cpu();
    t0 = bench_now();
    client_call(&c, line, sizeof line, NULL, 0, NULL, 1, argv);
    redis_save = bench_now() - t0;
    cpu_save = server_cpu() - cpu_save;
    client_close(&c);
    server_stop();
    rdb_bytes = file_size(rdb);

    /* 2. its startup load of the dump (from its log); then the AOF from it */
    server_start(&s, 0, &from);
    redis_rdb_load = log_seconds(&s, from, "DB loaded from disk: ");
    cpu_rdb_load = server_cpu(); /* its start: almost all of it the load */
    client_connect(&c, s.port);
    argv[0] = EP_LIT("CONFIG");
    argv[1] = EP_LIT("SET");
    argv[2] = EP_LIT("appendonly");
    {
        ep_bytes yes[4];
        int i;
        yes[0] = argv[0], yes[1] = argv[1], yes[2] = argv[2], yes[3] = EP_LIT("yes");
        client_call(&c, line, sizeof line, NULL, 0, NULL, 4, yes);
        for (i = 0; i < 6000 && !aof_rewrite_done(&c); i++) sleep_us(50000); /* 300 s */
        if (i == 6000) die("the AOF rewrite did not finish in 300 s");
    }
    client_close(&c);
    server_stop();
    aof_bytes = dir_bytes(aofdir, aofbase, sizeof aofbase);
    if (!aof_bytes) die("redis-server wrote no RESP AOF base");

    /* 3. its startup load of the AOF */
    server_start(&s, 1, &from);
    redis_aof_load = log_seconds(&s, from, "DB loaded from append only file: ");
    cpu_aof_load = server_cpu();
    server_stop();
    printf("  redis-server: SAVE %.3f s, RDB load %.3f s, AOF load %.3f s (its log); CPU %.3f / %.3f / %.3f s\n",
           redis_save, redis_rdb_load, redis_aof_load, cpu_save, cpu_rdb_load, cpu_aof_load);
    printf("  files: dump.rdb %.1f MB, RESP AOF %.1f MB\n", (double)rdb_bytes / 1e6, (double)aof_bytes / 1e6);

    /* 4. ours on the same files */
    raw_rdb = best_of(runs, OP_READ, rdb, NULL);
    raw_aof = best_of(runs, OP_READ, aofbase, NULL);
    load = best_of(runs, OP_LOAD_RDB, rdb, NULL);
    save = best_of(runs, OP_SAVE_RDB, rdb, ours_rdb);
    aof = best_of(runs, OP_LOAD_AOF, aofdir, NULL);

    bench_line("data (keys + values + elements)", (double)data / 1e6, "MB", 0, NULL);
    bench_line("keys", (double)load.keys, "", 0, NULL);
    bench_line("raw read() of dump.rdb", (double)raw_rdb.bytes / 1e6 / raw_rdb.wall, "MB/s", 0, NULL);
    bench_line("raw read() of the RESP AOF base", (double)raw_aof.bytes / 1e6 / raw_aof.wall, "MB/s", 0, NULL);
    crc64_lines(rdb);
    report("RDB load into ep_keyspace", load, raw_rdb, redis_rdb_load, cpu_rdb_load, data, "faster than redis's load (target >= 4x)");
    {
        result raw_save = raw_rdb;
        raw_save.bytes = file_size(ours_rdb);
        report("RDB save from ep_keyspace", save, raw_save, redis_save, cpu_save, data, "faster than redis's SAVE (target >= 4x)");
    }
    report("RESP AOF load into ep_keyspace", aof, raw_aof, redis_aof_load, cpu_aof_load, data,
           "faster than redis's AOF load (target >= 4x)");
    printf("  (our RDB: %.1f MB; ratios are redis seconds / our seconds)\n", (double)file_size(ours_rdb) / 1e6);

    if (getenv("BENCH_KEEP")) {
        printf("  files kept in %s\n", s.dir);
    } else {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s.dir);
        if (system(cmd) != 0) printf("  could not remove %s\n", s.dir);
    }
    return 0;
}
