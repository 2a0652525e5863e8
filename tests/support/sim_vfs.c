/* sim_vfs: the power-loss simulator (see sim_vfs.h). */
#include "sim_vfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------- */

static void *sim_xalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "sim_vfs: out of memory\n");
        abort(); /* test-only code: no point limping on */
    }
    return p;
}

static void *sim_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "sim_vfs: out of memory\n");
        abort();
    }
    return q;
}

static char *sim_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = (char *)sim_xalloc(n);
    memcpy(d, s, n);
    return d;
}

static uint64_t sim_rand(uint64_t *st) {
    uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Same normalization as the memory vfs: no "." or empty components, no
 * trailing '/', a leading '/' kept; "" is the current directory. */
static char *sim_normalize(const char *path) {
    size_t n = strlen(path), i = 0, o = 0;
    char *out = (char *)sim_xalloc(n + 1);
    if (n > 0 && path[0] == '/') out[o++] = '/';
    while (i < n) {
        size_t start, len;
        while (i < n && path[i] == '/') i++;
        start = i;
        while (i < n && path[i] != '/') i++;
        len = i - start;
        if (len == 0 || (len == 1 && path[start] == '.')) continue;
        if (o > 0 && out[o - 1] != '/') out[o++] = '/';
        memcpy(out + o, path + start, len);
        o += len;
    }
    out[o] = '\0';
    return out;
}

static size_t sim_parent_len(const char *p) {
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] != '/') n--;
    if (n > 1) n--;
    return n;
}

static char *sim_parent(const char *p) {
    size_t n = sim_parent_len(p);
    char *d = (char *)sim_xalloc(n + 1);
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static int sim_is_root(const char *p, size_t n) { return n == 0 || (n == 1 && p[0] == '/'); }

/* ---- inodes ------------------------------------------------------------------ */

enum { SIM_OP_WRITE, SIM_OP_TRUNC };

typedef struct sim_op {
    int kind;
    uint64_t off;  /* write offset, or the new size of a truncate */
    size_t len;
    uint8_t *data;
} sim_op;

typedef struct sim_bytes {
    uint8_t *p;
    size_t len, cap;
} sim_bytes;

typedef struct sim_inode {
    sim_bytes cur;          /* what reads see now */
    sim_bytes dur;          /* as of the last sync */
    sim_op *ops;            /* unsynced changes since then, in order */
    size_t nops, capops;
    unsigned handles;
    const void *lock_holder;
    int last_outcome;
    int mark;               /* crash GC */
    struct sim_inode *next; /* all inodes */
} sim_inode;

static void sim_bytes_set_len(sim_bytes *b, size_t len) {
    if (len > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        while (c < len) c *= 2;
        b->p = (uint8_t *)sim_xrealloc(b->p, c);
        b->cap = c;
    }
    if (len > b->len) memset(b->p + b->len, 0, len - b->len);
    b->len = len;
}

static void sim_bytes_write(sim_bytes *b, uint64_t off, const void *data, size_t len) {
    if (!len) return;
    if ((size_t)off + len > b->len) sim_bytes_set_len(b, (size_t)off + len);
    memcpy(b->p + (size_t)off, data, len);
}

static void sim_bytes_copy(sim_bytes *dst, const sim_bytes *src) {
    dst->len = 0;
    sim_bytes_set_len(dst, src->len);
    if (src->len) memcpy(dst->p, src->p, src->len);
}

static void sim_inode_clear_ops(sim_inode *ino) {
    size_t i;
    for (i = 0; i < ino->nops; i++) free(ino->ops[i].data);
    ino->nops = 0;
}

static void sim_inode_add_op(sim_inode *ino, int kind, uint64_t off, const void *data, size_t len) {
    sim_op *op;
    if (ino->nops == ino->capops) {
        ino->capops = ino->capops ? ino->capops * 2 : 8;
        ino->ops = (sim_op *)sim_xrealloc(ino->ops, ino->capops * sizeof *ino->ops);
    }
    op = &ino->ops[ino->nops++];
    op->kind = kind;
    op->off = off;
    op->len = len;
    op->data = NULL;
    if (kind == SIM_OP_WRITE) {
        op->data = (uint8_t *)sim_xalloc(len);
        memcpy(op->data, data, len);
    }
}

static void sim_inode_free(sim_inode *ino) {
    sim_inode_clear_ops(ino);
    free(ino->ops);
    free(ino->cur.p);
    free(ino->dur.p);
    free(ino);
}

/* ---- namespaces: path -> inode (NULL inode = directory) ------------------------ */

typedef struct sim_entry {
    char *path;
    sim_inode *ino;
} sim_entry;

typedef struct sim_ns {
    sim_entry *e;
    size_t n, cap;
} sim_ns;

static sim_entry *sim_ns_find(sim_ns *ns, const char *p) {
    size_t i;
    for (i = 0; i < ns->n; i++)
        if (strcmp(ns->e[i].path, p) == 0) return &ns->e[i];
    return NULL;
}

static int sim_ns_dir_exists(sim_ns *ns, const char *p, size_t n) {
    size_t i;
    if (sim_is_root(p, n)) return 1;
    for (i = 0; i < ns->n; i++)
        if (!ns->e[i].ino && strlen(ns->e[i].path) == n && memcmp(ns->e[i].path, p, n) == 0) return 1;
    return 0;
}

/* Adds or replaces the entry for p. */
static void sim_ns_set(sim_ns *ns, const char *p, sim_inode *ino) {
    sim_entry *e = sim_ns_find(ns, p);
    if (e) {
        e->ino = ino;
        return;
    }
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 16;
        ns->e = (sim_entry *)sim_xrealloc(ns->e, ns->cap * sizeof *ns->e);
    }
    ns->e[ns->n].path = sim_strdup(p);
    ns->e[ns->n].ino = ino;
    ns->n++;
}

static void sim_ns_del_at(sim_ns *ns, size_t i) {
    free(ns->e[i].path);
    memmove(&ns->e[i], &ns->e[i + 1], (ns->n - i - 1) * sizeof *ns->e);
    ns->n--;
}

static void sim_ns_del(sim_ns *ns, const char *p) {
    sim_entry *e = sim_ns_find(ns, p);
    if (e) sim_ns_del_at(ns, (size_t)(e - ns->e));
}

static void sim_ns_clear(sim_ns *ns) {
    while (ns->n) sim_ns_del_at(ns, ns->n - 1);
}

static void sim_ns_free(sim_ns *ns) {
    sim_ns_clear(ns);
    free(ns->e);
    ns->e = NULL;
    ns->cap = 0;
}

static void sim_ns_copy(sim_ns *dst, const sim_ns *src) {
    size_t i;
    sim_ns_clear(dst);
    for (i = 0; i < src->n; i++) sim_ns_set(dst, src->e[i].path, src->e[i].ino);
}

/* ---- directory changes ----------------------------------------------------------- */

enum { SIM_DC_CREATE, SIM_DC_MKDIR, SIM_DC_REMOVE, SIM_DC_RENAME, SIM_DC_LINK, SIM_DC_UNLINK };

typedef struct sim_dirchange {
    int kind;
    char *dir;      /* the directory whose sync_dir makes it durable */
    char *a;        /* the path created / removed / renamed from */
    char *b;        /* rename target */
    sim_inode *ino; /* the file concerned (NULL for mkdir) */
} sim_dirchange;

/* Applies one change to ns. A change whose starting point is not there
 * (because an earlier change it depends on was reverted) does nothing. */
static void sim_dc_apply(sim_ns *ns, const sim_dirchange *c) {
    sim_entry *e;
    switch (c->kind) {
    case SIM_DC_CREATE:
    case SIM_DC_LINK:
        sim_ns_set(ns, c->a, c->ino);
        break;
    case SIM_DC_MKDIR:
        e = sim_ns_find(ns, c->a);
        if (!e) sim_ns_set(ns, c->a, NULL);
        break;
    case SIM_DC_REMOVE:
    case SIM_DC_UNLINK:
        e = sim_ns_find(ns, c->a);
        if (e && e->ino == c->ino) sim_ns_del(ns, c->a);
        break;
    case SIM_DC_RENAME:
        e = sim_ns_find(ns, c->a);
        if (e && e->ino == c->ino) {
            sim_ns_del(ns, c->a);
            sim_ns_set(ns, c->b, c->ino);
        }
        break;
    }
}

/* ---- the simulator state ------------------------------------------------------------ */

typedef struct sim_handle {
    sim_inode *ino;
    int writable;
    uint64_t generation;     /* the boot it was opened in */
    struct sim_handle *prev, *next;
} sim_handle;

typedef struct sim_state {
    ep_vfs vfs;              /* first: the table pointer is the state pointer */
    sim_ns cur;              /* names as reads see them */
    sim_ns dur;              /* names as of the last sync_dir of each directory */
    sim_dirchange *dc;       /* unsynced directory changes, in order */
    size_t ndc, capdc;
    sim_inode *inodes;
    sim_handle *handles;
    uint64_t generation;
    uint64_t ops;
    uint64_t crash_after;    /* operations left before the wall; SIM_NEVER = none */
    int dead;
    uint64_t crashes;
    uint64_t outcomes[SIM_OUTCOME_COUNT];
    uint64_t dc_kept, dc_reverted;
} sim_state;

#define SIM(v) ((sim_state *)(v)->ctx)
#define SIMH(f) ((sim_handle *)(void *)(f))

static sim_inode *sim_new_inode(sim_state *s) {
    sim_inode *ino = (sim_inode *)sim_xalloc(sizeof *ino);
    memset(ino, 0, sizeof *ino);
    ino->next = s->inodes;
    s->inodes = ino;
    return ino;
}

static void sim_add_dc(sim_state *s, int kind, const char *dir, const char *a, const char *b,
                       sim_inode *ino) {
    sim_dirchange *c;
    if (s->ndc == s->capdc) {
        s->capdc = s->capdc ? s->capdc * 2 : 16;
        s->dc = (sim_dirchange *)sim_xrealloc(s->dc, s->capdc * sizeof *s->dc);
    }
    c = &s->dc[s->ndc++];
    c->kind = kind;
    c->dir = sim_strdup(dir);
    c->a = sim_strdup(a);
    c->b = b ? sim_strdup(b) : NULL;
    c->ino = ino;
}

static void sim_free_dc(sim_dirchange *c) {
    free(c->dir);
    free(c->a);
    free(c->b);
}

/* Counts the operation; fails it if the machine is dead. */
static int sim_tick(sim_state *s, ep_error *err) {
    s->ops++;
    if (s->crash_after != SIM_NEVER) {
        if (s->crash_after == 0) s->dead = 1;
        else s->crash_after--;
    }
    if (s->dead) {
        ep_error_set(err, EP_ERR_IO, UINT64_MAX, "sim_vfs: the machine is down");
        if (err) err->sys_errno = 5; /* EIO */
        return 1;
    }
    return 0;
}

static ep_result sim_fail(ep_error *err, ep_result code, const char *op, const char *path,
                          const char *why) {
    ep_error_set(err, code, UINT64_MAX, "%s %s: %s", op, path, why);
    if (err) err->sys_errno = 0;
    return code;
}

/* A handle from before the last crash, or the machine is dead: EP_ERR_IO. */
static int sim_handle_bad(sim_state *s, sim_handle *h, ep_error *err) {
    if (sim_tick(s, err)) return 1;
    if (h->generation != s->generation) {
        sim_fail(err, EP_ERR_IO, "sim_vfs", "", "handle from before the crash");
        return 1;
    }
    return 0;
}

/* ---- the table -------------------------------------------------------------------- */

static ep_result sim_open(ep_vfs *v, const char *path, unsigned flags, ep_file **out, ep_error *err) {
    sim_state *s = SIM(v);
    char *p;
    sim_entry *e;
    sim_inode *ino;
    sim_handle *h;
    *out = NULL;
    if (sim_tick(s, err)) return EP_ERR_IO;
    p = sim_normalize(path);
    e = sim_ns_find(&s->cur, p);
    if (e && (flags & EP_OPEN_CREATE) && (flags & EP_OPEN_EXCLUSIVE)) {
        free(p);
        return sim_fail(err, EP_ERR_EXISTS, "open", path, "file exists");
    }
    if (e && !e->ino) {
        free(p);
        return sim_fail(err, EP_ERR_IO, "open", path, "is a directory");
    }
    if (!e && (!(flags & EP_OPEN_CREATE) || !sim_ns_dir_exists(&s->cur, p, sim_parent_len(p)))) {
        free(p);
        return sim_fail(err, EP_ERR_NOT_FOUND, "open", path, "no such file or directory");
    }
    if (e) {
        ino = e->ino;
    } else {
        char *dir = sim_parent(p);
        ino = sim_new_inode(s);
        sim_ns_set(&s->cur, p, ino);
        sim_add_dc(s, SIM_DC_CREATE, dir, p, NULL, ino);
        free(dir);
    }
    free(p);
    if ((flags & EP_OPEN_TRUNCATE) && ino->cur.len) {
        sim_inode_add_op(ino, SIM_OP_TRUNC, 0, NULL, 0);
        ino->cur.len = 0;
    }
    h = (sim_handle *)sim_xalloc(sizeof *h);
    h->ino = ino;
    h->writable = (flags & EP_OPEN_WRITE) != 0;
    h->generation = s->generation;
    h->prev = NULL;
    h->next = s->handles;
    if (s->handles) s->handles->prev = h;
    s->handles = h;
    ino->handles++;
    *out = (ep_file *)(void *)h;
    return EP_OK;
}

static void sim_free_handle(sim_state *s, sim_handle *h) {
    if (h->generation == s->generation) {
        if (h->ino->lock_holder == (const void *)h) h->ino->lock_holder = NULL;
        h->ino->handles--;
    }
    if (h->prev) h->prev->next = h->next;
    else s->handles = h->next;
    if (h->next) h->next->prev = h->prev;
    free(h);
}

/* Close always frees the handle, even when it reports the machine is down. */
static ep_result sim_close(ep_vfs *v, ep_file *f, ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    int bad;
    if (!h) return EP_OK;
    bad = sim_handle_bad(s, h, err);
    sim_free_handle(s, h);
    return bad ? EP_ERR_IO : EP_OK;
}

static ep_result sim_read(ep_vfs *v, ep_file *f, uint64_t off, void *buf, size_t len, size_t *got,
                          ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    size_t n;
    *got = 0;
    if (sim_handle_bad(s, h, err)) return EP_ERR_IO;
    if (off >= (uint64_t)h->ino->cur.len) return EP_OK;
    n = h->ino->cur.len - (size_t)off;
    if (n > len) n = len;
    if (n) memcpy(buf, h->ino->cur.p + (size_t)off, n);
    *got = n;
    return EP_OK;
}

static ep_result sim_write(ep_vfs *v, ep_file *f, uint64_t off, const void *buf, size_t len,
                           ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    if (sim_handle_bad(s, h, err)) return EP_ERR_IO;
    if (!h->writable) return sim_fail(err, EP_ERR_IO, "write", "", "handle is read-only");
    if (off + len < off || off + len > (uint64_t)SIZE_MAX / 2)
        return ep_error_set(err, EP_ERR_LIMIT, off, "write: offset too large");
    if (!len) return EP_OK;
    sim_inode_add_op(h->ino, SIM_OP_WRITE, off, buf, len);
    sim_bytes_write(&h->ino->cur, off, buf, len);
    return EP_OK;
}

static ep_result sim_truncate(ep_vfs *v, ep_file *f, uint64_t size, ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    if (sim_handle_bad(s, h, err)) return EP_ERR_IO;
    if (!h->writable) return sim_fail(err, EP_ERR_IO, "truncate", "", "handle is read-only");
    if (size > (uint64_t)SIZE_MAX / 2) return ep_error_set(err, EP_ERR_LIMIT, size, "truncate: too large");
    sim_inode_add_op(h->ino, SIM_OP_TRUNC, size, NULL, 0);
    sim_bytes_set_len(&h->ino->cur, (size_t)size);
    return EP_OK;
}

/* Preallocation grows the file with zeros: an unsynced size change like a truncate. */
static ep_result sim_preallocate(ep_vfs *v, ep_file *f, uint64_t size, ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    if (sim_handle_bad(s, h, err)) return EP_ERR_IO;
    if (!h->writable) return sim_fail(err, EP_ERR_IO, "preallocate", "", "handle is read-only");
    if (size > (uint64_t)SIZE_MAX / 2) return ep_error_set(err, EP_ERR_LIMIT, size, "preallocate: too large");
    if ((size_t)size <= h->ino->cur.len) return EP_OK;
    sim_inode_add_op(h->ino, SIM_OP_TRUNC, size, NULL, 0);
    sim_bytes_set_len(&h->ino->cur, (size_t)size);
    return EP_OK;
}

static ep_result sim_size(ep_vfs *v, ep_file *f, uint64_t *out, ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    *out = 0;
    if (sim_handle_bad(s, h, err)) return EP_ERR_IO;
    *out = (uint64_t)h->ino->cur.len;
    return EP_OK;
}

/* The content becomes durable; the name does not (that takes sync_dir). */
static ep_result sim_sync(ep_vfs *v, ep_file *f, ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    if (sim_handle_bad(s, h, err)) return EP_ERR_IO;
    sim_bytes_copy(&h->ino->dur, &h->ino->cur);
    sim_inode_clear_ops(h->ino);
    return EP_OK;
}

static ep_result sim_lock(ep_vfs *v, ep_file *f, ep_error *err) {
    sim_state *s = SIM(v);
    sim_handle *h = SIMH(f);
    if (sim_handle_bad(s, h, err)) return EP_ERR_IO;
    if (h->ino->lock_holder && h->ino->lock_holder != (const void *)h)
        return sim_fail(err, EP_ERR_LOCKED, "lock", "", "held by another handle");
    h->ino->lock_holder = h;
    return EP_OK;
}

static ep_result sim_sync_dir(ep_vfs *v, const char *dir, ep_error *err) {
    sim_state *s = SIM(v);
    char *d;
    size_t i, o;
    if (sim_tick(s, err)) return EP_ERR_IO;
    d = sim_normalize(dir);
    if (!sim_ns_dir_exists(&s->cur, d, strlen(d))) {
        free(d);
        return sim_fail(err, EP_ERR_NOT_FOUND, "sync_dir", dir, "no such directory");
    }
    /* Apply this directory's changes to the durable names, in order; keep the rest. */
    for (i = 0, o = 0; i < s->ndc; i++) {
        if (strcmp(s->dc[i].dir, d) == 0) {
            sim_dc_apply(&s->dur, &s->dc[i]);
            sim_free_dc(&s->dc[i]);
        } else {
            s->dc[o++] = s->dc[i];
        }
    }
    s->ndc = o;
    free(d);
    return EP_OK;
}

static ep_result sim_rename(ep_vfs *v, const char *from, const char *to, ep_error *err) {
    sim_state *s = SIM(v);
    char *pf, *pt, *df, *dt;
    sim_entry *ef, *et;
    sim_inode *ino;
    ep_result r = EP_OK;
    if (sim_tick(s, err)) return EP_ERR_IO;
    pf = sim_normalize(from);
    pt = sim_normalize(to);
    df = sim_parent(pf);
    dt = sim_parent(pt);
    ef = sim_ns_find(&s->cur, pf);
    et = sim_ns_find(&s->cur, pt);
    if (!ef) {
        r = sim_fail(err, EP_ERR_NOT_FOUND, "rename", from, "no such file");
    } else if (!ef->ino) {
        r = sim_fail(err, EP_ERR_UNSUPPORTED, "rename", from, "directories cannot be renamed");
    } else if (strcmp(pf, pt) == 0) {
        r = EP_OK;
    } else if (!sim_ns_dir_exists(&s->cur, dt, strlen(dt))) {
        r = sim_fail(err, EP_ERR_NOT_FOUND, "rename", to, "no such directory");
    } else if (et && !et->ino) {
        r = sim_fail(err, EP_ERR_IO, "rename", to, "is a directory");
    } else {
        ino = ef->ino;
        sim_ns_del(&s->cur, pf);
        sim_ns_set(&s->cur, pt, ino);
        if (strcmp(df, dt) == 0) {
            sim_add_dc(s, SIM_DC_RENAME, df, pf, pt, ino);
        } else {
            sim_add_dc(s, SIM_DC_LINK, dt, pt, NULL, ino);
            sim_add_dc(s, SIM_DC_UNLINK, df, pf, NULL, ino);
        }
    }
    free(pf);
    free(pt);
    free(df);
    free(dt);
    return r;
}

static ep_result sim_remove(ep_vfs *v, const char *path, ep_error *err) {
    sim_state *s = SIM(v);
    char *p, *d;
    sim_entry *e;
    if (sim_tick(s, err)) return EP_ERR_IO;
    p = sim_normalize(path);
    e = sim_ns_find(&s->cur, p);
    if (!e || !e->ino) {
        free(p);
        if (!e) return sim_fail(err, EP_ERR_NOT_FOUND, "remove", path, "no such file");
        return sim_fail(err, EP_ERR_IO, "remove", path, "is a directory");
    }
    d = sim_parent(p);
    sim_add_dc(s, SIM_DC_REMOVE, d, p, NULL, e->ino);
    sim_ns_del(&s->cur, p);
    free(d);
    free(p);
    return EP_OK;
}

static ep_result sim_mkdir(ep_vfs *v, const char *path, ep_error *err) {
    sim_state *s = SIM(v);
    char *p, *d;
    sim_entry *e;
    ep_result r = EP_OK;
    if (sim_tick(s, err)) return EP_ERR_IO;
    p = sim_normalize(path);
    d = sim_parent(p);
    e = sim_ns_find(&s->cur, p);
    if (sim_is_root(p, strlen(p)) || (e && !e->ino)) {
        r = EP_OK;
    } else if (e) {
        r = sim_fail(err, EP_ERR_EXISTS, "mkdir", path, "a file has that name");
    } else if (!sim_ns_dir_exists(&s->cur, d, strlen(d))) {
        r = sim_fail(err, EP_ERR_NOT_FOUND, "mkdir", path, "no parent directory");
    } else {
        sim_ns_set(&s->cur, p, NULL);
        sim_add_dc(s, SIM_DC_MKDIR, d, p, NULL, NULL);
    }
    free(p);
    free(d);
    return r;
}

static ep_result sim_list(ep_vfs *v, const char *dir, ep_list_fn fn, void *ctx, ep_error *err) {
    sim_state *s = SIM(v);
    char *d;
    char **names;
    size_t dl, i, n = 0;
    int stop = 0;
    if (sim_tick(s, err)) return EP_ERR_IO;
    d = sim_normalize(dir);
    dl = strlen(d);
    if (!sim_ns_dir_exists(&s->cur, d, dl)) {
        free(d);
        return sim_fail(err, EP_ERR_NOT_FOUND, "list", dir, "no such directory");
    }
    /* Copy the names first: the callback may change the directory. */
    names = (char **)sim_xalloc((s->cur.n + 1) * sizeof *names);
    for (i = 0; i < s->cur.n; i++) {
        const char *ep = s->cur.e[i].path;
        size_t skip;
        if (sim_parent_len(ep) != dl || memcmp(ep, d, dl) != 0) continue;
        skip = dl == 0 ? 0 : (dl == 1 && d[0] == '/') ? 1 : dl + 1;
        names[n++] = sim_strdup(ep + skip);
    }
    for (i = 0; i < n; i++) {
        if (!stop && fn(ctx, names[i]) != 0) stop = 1;
        free(names[i]);
    }
    free(names);
    free(d);
    return EP_OK;
}

static ep_result sim_stat(ep_vfs *v, const char *path, uint64_t *size, ep_error *err) {
    sim_state *s = SIM(v);
    char *p;
    sim_entry *e;
    int root;
    if (size) *size = 0;
    if (sim_tick(s, err)) return EP_ERR_IO;
    p = sim_normalize(path);
    root = sim_is_root(p, strlen(p));
    e = sim_ns_find(&s->cur, p);
    free(p);
    if (root) return EP_OK;
    if (!e) return sim_fail(err, EP_ERR_NOT_FOUND, "stat", path, "no such file");
    if (size && e->ino) *size = (uint64_t)e->ino->cur.len;
    return EP_OK;
}

/* ---- the crash ------------------------------------------------------------------------ */

/* Replays ops[0..k) on b, then (if cut is not SIZE_MAX) the first cut bytes of op k. */
static void sim_replay(sim_bytes *b, const sim_inode *ino, size_t k, size_t cut) {
    size_t i;
    for (i = 0; i < k; i++) {
        const sim_op *op = &ino->ops[i];
        if (op->kind == SIM_OP_WRITE) sim_bytes_write(b, op->off, op->data, op->len);
        else sim_bytes_set_len(b, (size_t)op->off);
    }
    if (cut != (size_t)-1 && k < ino->nops && ino->ops[k].kind == SIM_OP_WRITE)
        sim_bytes_write(b, ino->ops[k].off, ino->ops[k].data, cut);
}

/* Decides what of the unsynced content survives; the result becomes durable. */
static void sim_crash_inode(sim_state *s, sim_inode *ino, uint64_t *rng, int forced) {
    int outcome;
    sim_bytes b;
    size_t i;
    if (ino->nops == 0) {
        ino->last_outcome = SIM_OUTCOME_CLEAN;
        return;
    }
    outcome = forced >= SIM_OUTCOME_ALL && forced <= SIM_OUTCOME_GARBAGE
                  ? forced
                  : SIM_OUTCOME_ALL + (int)(sim_rand(rng) % 4u);
    memset(&b, 0, sizeof b);
    sim_bytes_copy(&b, &ino->dur);
    switch (outcome) {
    case SIM_OUTCOME_ALL:
        sim_replay(&b, ino, ino->nops, (size_t)-1);
        break;
    case SIM_OUTCOME_NONE:
        break;
    case SIM_OUTCOME_TORN: {
        size_t k = (size_t)(sim_rand(rng) % ino->nops);
        size_t cut = ino->ops[k].kind == SIM_OP_WRITE ? (size_t)(sim_rand(rng) % ino->ops[k].len) : 0;
        sim_replay(&b, ino, k, cut);
        break;
    }
    case SIM_OUTCOME_GARBAGE:
        sim_replay(&b, ino, ino->nops, (size_t)-1);
        for (i = 0; i < ino->nops; i++) {
            const sim_op *op = &ino->ops[i];
            size_t j;
            if (op->kind != SIM_OP_WRITE) continue;
            for (j = 0; j < op->len && (size_t)op->off + j < b.len; j++)
                b.p[(size_t)op->off + j] = (uint8_t)sim_rand(rng);
        }
        break;
    }
    free(ino->dur.p);
    ino->dur = b;
    sim_bytes_copy(&ino->cur, &ino->dur);
    sim_inode_clear_ops(ino);
    ino->last_outcome = outcome;
    s->outcomes[outcome]++;
}

/* Drops entries whose directory did not survive, until nothing changes. */
static void sim_prune_orphans(sim_ns *ns) {
    int changed = 1;
    while (changed) {
        size_t i = 0;
        changed = 0;
        while (i < ns->n) {
            const char *p = ns->e[i].path;
            if (!sim_ns_dir_exists(ns, p, sim_parent_len(p))) {
                sim_ns_del_at(ns, i);
                changed = 1;
            } else {
                i++;
            }
        }
    }
}

void sim_crash_ex(ep_vfs *vfs, uint64_t seed, const sim_crash_opts *opts) {
    sim_state *s = SIM(vfs);
    uint64_t rng = seed ^ 0x5157c4a5ull;
    int forced = opts ? opts->file_outcome : -1;
    int dirmode = opts ? opts->dir_changes : SIM_DIR_RANDOM;
    sim_inode **pp;
    size_t i;
    /* Names: the durable ones plus each pending change that happens to survive. */
    for (i = 0; i < s->ndc; i++) {
        int keep = dirmode == SIM_DIR_KEEP_ALL ? 1
                 : dirmode == SIM_DIR_REVERT_ALL ? 0
                 : (int)(sim_rand(&rng) & 1u);
        if (keep) {
            sim_dc_apply(&s->dur, &s->dc[i]);
            s->dc_kept++;
        } else {
            s->dc_reverted++;
        }
        sim_free_dc(&s->dc[i]);
    }
    s->ndc = 0;
    sim_prune_orphans(&s->dur);
    /* Content: every inode, in creation order of the list (deterministic per seed). */
    for (pp = &s->inodes; *pp; pp = &(*pp)->next) {
        (*pp)->mark = 0;
        (*pp)->handles = 0;
        (*pp)->lock_holder = NULL;
    }
    for (i = 0; i < s->dur.n; i++)
        if (s->dur.e[i].ino) s->dur.e[i].ino->mark = 1;
    pp = &s->inodes;
    while (*pp) {
        sim_inode *ino = *pp;
        if (!ino->mark) { /* no name survived: the file is gone */
            *pp = ino->next;
            sim_inode_free(ino);
            continue;
        }
        sim_crash_inode(s, ino, &rng, forced);
        pp = &ino->next;
    }
    sim_ns_copy(&s->cur, &s->dur);
    s->generation++; /* every handle is now from before the crash */
    s->dead = 0;
    s->crash_after = SIM_NEVER;
    s->crashes++;
}

void sim_crash(ep_vfs *vfs, uint64_t seed) { sim_crash_ex(vfs, seed, NULL); }

/* ---- life cycle and test accessors -------------------------------------------------------- */

ep_result sim_vfs_create(ep_vfs **out) {
    sim_state *s;
    if (!out) return EP_ERR_INVALID_ARG;
    s = (sim_state *)sim_xalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->crash_after = SIM_NEVER;
    ep_vfs_init(&s->vfs);
    s->vfs.ctx = s;
    s->vfs.open = sim_open;
    s->vfs.close = sim_close;
    s->vfs.read = sim_read;
    s->vfs.write = sim_write;
    s->vfs.truncate = sim_truncate;
    s->vfs.size = sim_size;
    s->vfs.sync = sim_sync;
    s->vfs.lock = sim_lock;
    s->vfs.sync_dir = sim_sync_dir;
    s->vfs.rename = sim_rename;
    s->vfs.remove = sim_remove;
    s->vfs.mkdir = sim_mkdir;
    s->vfs.list = sim_list;
    s->vfs.stat = sim_stat;
    s->vfs.preallocate = sim_preallocate;
    *out = &s->vfs;
    return EP_OK;
}

void sim_vfs_destroy(ep_vfs *vfs) {
    sim_state *s;
    size_t i;
    if (!vfs) return;
    s = SIM(vfs);
    while (s->handles) {
        sim_handle *h = s->handles;
        s->handles = h->next;
        free(h);
    }
    while (s->inodes) {
        sim_inode *ino = s->inodes;
        s->inodes = ino->next;
        sim_inode_free(ino);
    }
    for (i = 0; i < s->ndc; i++) sim_free_dc(&s->dc[i]);
    free(s->dc);
    sim_ns_free(&s->cur);
    sim_ns_free(&s->dur);
    free(s);
}

void sim_vfs_set_crash_after(ep_vfs *vfs, uint64_t k) { SIM(vfs)->crash_after = k; }
int sim_vfs_is_dead(ep_vfs *vfs) { return SIM(vfs)->dead; }
uint64_t sim_vfs_op_count(ep_vfs *vfs) { return SIM(vfs)->ops; }
uint64_t sim_vfs_crash_count(ep_vfs *vfs) { return SIM(vfs)->crashes; }

void sim_vfs_outcome_counts(ep_vfs *vfs, uint64_t counts[SIM_OUTCOME_COUNT]) {
    memcpy(counts, SIM(vfs)->outcomes, sizeof SIM(vfs)->outcomes);
}

void sim_vfs_dir_change_counts(ep_vfs *vfs, uint64_t *kept, uint64_t *reverted) {
    if (kept) *kept = SIM(vfs)->dc_kept;
    if (reverted) *reverted = SIM(vfs)->dc_reverted;
}

int sim_vfs_last_outcome(ep_vfs *vfs, const char *path) {
    char *p = sim_normalize(path);
    sim_entry *e = sim_ns_find(&SIM(vfs)->cur, p);
    free(p);
    return e && e->ino ? e->ino->last_outcome : -1;
}

void sim_vfs_pending(ep_vfs *vfs, size_t *files, size_t *dir_changes) {
    sim_state *s = SIM(vfs);
    sim_inode *ino;
    size_t n = 0;
    for (ino = s->inodes; ino; ino = ino->next)
        if (ino->nops) n++;
    if (files) *files = n;
    if (dir_changes) *dir_changes = s->ndc;
}

ep_result sim_vfs_read_file(ep_vfs *vfs, const char *path, uint8_t **data, size_t *len) {
    char *p = sim_normalize(path);
    sim_entry *e = sim_ns_find(&SIM(vfs)->cur, p);
    free(p);
    *data = NULL;
    *len = 0;
    if (!e || !e->ino) return EP_ERR_NOT_FOUND;
    *data = (uint8_t *)sim_xalloc(e->ino->cur.len);
    if (e->ino->cur.len) memcpy(*data, e->ino->cur.p, e->ino->cur.len);
    *len = e->ino->cur.len;
    return EP_OK;
}

int sim_vfs_exists(ep_vfs *vfs, const char *path) {
    char *p = sim_normalize(path);
    sim_state *s = SIM(vfs);
    int r = sim_is_root(p, strlen(p)) || sim_ns_find(&s->cur, p) != NULL;
    free(p);
    return r;
}
