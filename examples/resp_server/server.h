/* resp_server: a small Redis-protocol server on ember_persist.h.
 *
 *   main.c     arguments, the poll loop, clients, group commit, expiry
 *   resp.c     request parsing (RESP multibulk and inline) and reply encoding
 *   commands.c the command table and the commands, on ep_keyspace
 *   persist.c  recovery at start, AOF appends, snapshots, rewrite
 *
 * Every change is made as ember AOF records: appended to the AOF (when it
 * is open) and applied to the keyspace, so what recovery rebuilds is what the
 * server held. TTLs in the keyspace are absolute Unix ms deadlines while the
 * server runs (recovery gives remaining ms; persist.c converts both ways). */
#ifndef RESP_SERVER_H
#define RESP_SERVER_H

#include "ember_persist.h"

#include <stddef.h>
#include <stdint.h>

/* Request limits: the RESP codec's (512 MiB bulk, 1 M arguments); an
 * inline line of Redis's 64 KiB (PROTO_INLINE_MAX_SIZE; the codec would take
 * 64 MiB); and these. */
#define SRV_MAX_BULK EP_RESP_MAX_BULK           /* also the largest string value */
#define SRV_MAX_INLINE ((size_t)64 << 10)
#define SRV_MAX_QUERY ((size_t)1 << 30)         /* bytes buffered for one client's input */
#define SRV_OUT_PAUSE ((size_t)1 << 20)         /* stop reading a client whose output is this big */
#define SRV_OUT_HARD ((size_t)512 << 20)        /* and drop it beyond this (--client-output-limit) */


typedef struct client {
    int fd;
    int resp;          /* 2 or 3 */
    int close_after;   /* close once the output is sent */
    int closed;
    ep_buf in;
    size_t in_pos;     /* parsed up to here */
    ep_resp_parser *parser;
    ep_buf out;
    size_t out_pos;    /* sent up to here */
    size_t out_ready;  /* bytes that may be sent (the rest waits for the sync covering it) */
    /* the request being run: views into in (or the parser's scratch) */
    const ep_bytes *argv;
    size_t argc;
    struct client *next;
} client;

typedef struct server {
    ep_keyspace *ks;
    ep_aof_writer *aof;
    char dir[1024];
    ep_vfs *vfs;             /* NULL: the OS (a test or fuzz target may give a memory vfs) */
    int port;
    const char *bind;
    ep_fsync_policy fsync;
    ep_key *key;
    size_t out_hard;         /* drop a client with more unsent output than this */
    int listen_fd;
    client *clients;
    size_t nclients;
    int shutdown;
    int64_t last_save_unix;
    uint64_t dirty;          /* changes since the last snapshot */
    uint64_t aof_records;    /* records appended since the last sync (group commit) */
    uint64_t cmds;
    int64_t start_ms;
    ep_keyspace_iter expire_cursor;
    ep_buf scratch;          /* record items */
    ep_buf scratch2;
    int verbose;
} server;

/* ---- time ---- */
int64_t srv_now_ms(void);

/* ---- resp.c ---- */
/* Parses as many complete requests as c->in holds, running each through
 * cmd_run. Returns 0, or -1 when the client must be closed (after its output
 * is sent: a protocol error has been replied). */
int resp_process(server *s, client *c);
void reply_simple(client *c, const char *s);
void reply_error(client *c, const char *s);
void reply_errorf(client *c, const char *fmt, ...);
void reply_int(client *c, int64_t v);
void reply_bulk(client *c, const void *p, size_t n);
void reply_cstr(client *c, const char *s);
void reply_null(client *c);         /* RESP2 $-1, RESP3 _ */
void reply_null_array(client *c);   /* RESP2 *-1, RESP3 _ */
void reply_array(client *c, size_t n);
void reply_map(client *c, size_t n);   /* RESP3 %n, RESP2 *2n */
void reply_set(client *c, size_t n);   /* RESP3 ~n, RESP2 *n */
void reply_double(client *c, double d);
void reply_ok(client *c);

/* ---- commands.c ---- */
void cmd_run(server *s, client *c);
/* Active expiry: examine up to budget keys from the rolling cursor. */
void expire_cycle(server *s, size_t budget);

/* ---- persist.c ---- */
int persist_open(server *s);          /* recover + open the AOF; 0 or -1 (message printed) */
void persist_close(server *s);
/* Log rec (when an AOF is open) and apply mem (or rec if mem is NULL) to the
 * keyspace. 0, or -1 with an error replied to c (nothing changed). */
int persist_change(server *s, client *c, const ep_aof_record *rec, const ep_aof_record *mem);
/* Records logged together (one append call) and the records applied to the
 * keyspace (mem NULL: the logged ones). c may be NULL (no reply on error). */
int persist_apply(server *s, client *c, const ep_aof_record *log, size_t nlog, const ep_aof_record *mem,
                  size_t nmem);
int persist_save(server *s, char *why, size_t cap);      /* snapshot (SAVE/BGSAVE) */
int persist_rewrite(server *s, char *why, size_t cap);   /* BGREWRITEAOF / FLUSHDB */
/* Group commit: called once per loop iteration; syncs if records are
 * pending under appendfsync always. 0, or -1 if the sync failed. */
int persist_commit(server *s);
void persist_tick(server *s);

#endif
