/* resp_server: a small Redis-protocol server on ember_persist.h.
 *
 *   main.c     arguments, the poll loop, clients, group commit, expiry
 *   resp.c     request parsing (RESP multibulk and inline) and reply encoding
 *   commands.c the command table and the commands, on ep_keyspace
 *   persist.c  recovery at start, AOF appends, snapshots, rewrite
 *   repl_master.c  the master side: PSYNC full sync (our RDB) to a real
 *              redis-server replica, then every logged record propagated as
 *              a Redis command; ember followers get the record bytes
 *   repl_replica.c the replica side (--replicaof): link, handshake, RDB in,
 *              the command stream applied and persisted, ACK/GETACK
 *   follow.c   the ember-native follower (--follow): snapshot bytes, then
 *              record bytes, from another resp_server
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
#define SRV_CMD_SLOTS 256                       /* command lookup slots (a power of two) */
#define SRV_CMD_NAME_MAX 16                     /* no command name is longer */


/* What a connection is, for replication. */
enum {
    CLIENT_NORMAL = 0,
    CLIENT_REPLICA,    /* a Redis replica attached to us (after PSYNC) */
    CLIENT_FOLLOWER,   /* an ember follower attached to us (after EMBER.SYNC) */
    CLIENT_MASTER,     /* our link to a Redis master (--replicaof) */
    CLIENT_LEADER      /* our link to an ember leader (--follow) */
};

typedef struct client {
    int fd;
    int role;          /* CLIENT_* */
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
    /* a replica or follower being sent its full sync: the file (fd), the
     * bytes left, and what was propagated meanwhile (sent after the file) */
    int sync_fd;
    uint64_t sync_left;
    ep_buf sync_pending;
    uint64_t ack;            /* the offset it acknowledged (REPLCONF ACK) */
    int listening_port;      /* REPLCONF listening-port */
    int64_t ack_ms;
    unsigned ev_want;  /* main.c's readiness interest as registered (EV_* bits) */
    unsigned revents;  /* EV_* readiness found by this loop iteration's wait */
    struct client *next;
} client;

/* The replication link's states (repl_replica.c). */
enum { LINK_NONE = 0, LINK_WAIT, LINK_CONNECTING, LINK_HANDSHAKE, LINK_TRANSFER_HDR, LINK_TRANSFER, LINK_UP };

/* Replication state (both sides). */
typedef struct repl_state {
    /* master side */
    char replid[41];
    uint64_t offset;         /* master_repl_offset: bytes of the Redis stream made */
    uint64_t records;        /* records sent to ember followers (their offset) */
    int seldb;               /* -1: the next propagated command goes after a SELECT 0 */
    size_t nreplicas, nfollowers;
    int64_t last_ping_ms;
    ep_buf cmd;              /* one propagated command */
    uint64_t skipped;        /* records Redis has no command for (vectors, proto values) */
    /* replica / follower side */
    int mode;                /* 0 master, CLIENT_MASTER (--replicaof), CLIENT_LEADER (--follow) */
    char host[256];
    int port;
    client *link;
    int connect_fd;          /* a connect in progress, or -1 */
    int state;               /* repl_replica.c's link states */
    int64_t next_try_ms, state_ms, last_io_ms, last_ack_ms;
    int backoff_ms;
    uint64_t attempts, full_syncs;
    uint64_t link_offset;    /* the master's stream offset we applied up to */
    uint64_t transfer_left;
    int transfer_fd;
    int link_db;             /* the database the master's stream is in (only 0 is kept) */
    int hs_step;             /* handshake replies read */
    ep_resp_parser *parser;
} repl_state;

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
    int ev_fd;               /* main.c: the epoll instance (Linux), else -1 */
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
    repl_state repl;
    /* the command table's lookup slots (commands.c): index + 1, 0 empty */
    uint8_t cmd_slots[SRV_CMD_SLOTS];
    int cmd_slots_built;
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
/* Replaces the keyspace by ks (TTLs as remaining ms from base_ms, the
 * instant the loader measured them from) and makes it the durable state:
 * snapshot + AOF reset. 0 or -1. */
int persist_replace(server *s, ep_keyspace *ks, int64_t base_ms, char *why, size_t cap);

/* ---- replication: repl_master.c ---- */
void repl_init(server *s);
void repl_free(server *s);
/* Every logged record, in order (persist_apply): to Redis replicas as
 * commands, to ember followers as record bytes. */
void repl_propagate(server *s, const ep_aof_record *log, size_t n);
/* FLUSHDB (not a record). */
void repl_propagate_flush(server *s);
/* REPLCONF, PSYNC/SYNC, EMBER.SYNC, REPLICAOF/SLAVEOF and the link's
 * GETACK: 1 when handled (replied) here. */
int repl_command(server *s, client *c);
/* 1 (and -READONLY replied) when c may not run a write command now. */
int repl_refuse_write(server *s, client *c);
/* Once per loop iteration: full syncs fed, pings, acks, the link. */
void repl_cron(server *s);
/* A connection is being freed. */
void repl_client_gone(server *s, client *c);
/* INFO's # Replication section appended to b[*n..cap). */
void repl_info(server *s, char *b, size_t cap, size_t *n);
/* Sends file fd (size bytes, "$size\r\n" first) to c, then what is
 * propagated meanwhile; the fd is closed when sent. */
void repl_send_file(client *c, int fd, uint64_t size);
void repl_new_replid(server *s);

/* ---- replication: repl_replica.c ---- */
/* Starts following host:port (mode CLIENT_MASTER or CLIENT_LEADER); host
 * NULL: stop (REPLICAOF NO ONE). */
void repl_set_master(server *s, int mode, const char *host, int port);
/* Input on the link (instead of resp_process). 0, or -1 to drop the link. */
int repl_link_input(server *s, client *c);
void repl_link_cron(server *s);
int repl_link_up(const server *s);
int repl_link_syncing(const server *s);
/* Drops the link (why printed if not NULL) and retries after the backoff. */
void repl_link_failed(server *s, const char *why);
/* ks (remaining-ms TTLs) becomes the durable state and the link is up; 0,
 * or -1 (link dropped). what names the sync in messages. */
int repl_link_synced(server *s, ep_keyspace *ks, int64_t base_ms, const char *what);
/* "$<digits>" at most cap: 0 and *out, or -1. */
int repl_parse_len(const char *line, uint64_t cap, uint64_t *out);
/* One line (no CR LF) from c's input: 1, 0 incomplete, -1 too long. */
int repl_take_line(client *c, char *out, size_t cap);
/* Opens path for reading, then removes the name (the fd keeps the bytes). */
int repl_open_unlinked(const char *path, uint64_t *size);
/* Makes a client on fd (main.c). */
client *server_add_client(server *s, int fd);

/* ---- follow.c ---- */
/* EMBER.SYNC from c: snapshot bytes, then record bytes. */
void follow_sync(server *s, client *c);
/* The record bytes of log[0..n) to every follower. */
void follow_propagate(server *s, const ep_aof_record *log, size_t n);
void follow_propagate_flush(server *s);
/* Leader link input after the handshake line: 0, or -1 to drop. */
int follow_link_input(server *s, client *c);

#endif
