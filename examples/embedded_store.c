/* ember_persist.h on a microcontroller: no OS file system, no heap.
 *
 * A device keeps a few settings and counters (its own small table in RAM)
 * and persists every change as an AOF record on a RAM region standing in
 * for flash. At boot it replays snapshot + AOF through the visitor API into
 * that table; when the AOF grows it writes a snapshot of the table and
 * resets the AOF. Everything the library allocates comes from one static
 * arena through the allocator callbacks; the default allocator (malloc) is
 * replaced by one that refuses and counts, so any allocation that forgets
 * the arena shows up (embedded_heap_calls() stays 0).
 *
 * Built three ways:
 *   make                 build/examples/embedded_store: runs the demo on the host
 *   make size            arm-none-eabi-gcc -mthumb -mcpu=cortex-m4 -Os, newlib
 *                        nano: compiled and linked for the MCU (tools/size.sh)
 *   tests/examples/test_embedded_store.c includes this file (EMBEDDED_NO_MAIN)
 *                        and runs its logic: reboots, power cuts, a full region
 *
 * The storage (one region of SLOTS fixed-size files, each a name and its
 * bytes) is the part a port replaces: on real flash each operation maps to
 * erase/program of the slot's sectors, and rename to one metadata write
 * (which is what makes it atomic), as littlefs or a vendor FTL do. */
#define EMBER_PERSIST_IMPLEMENTATION
#define EMBER_PERSIST_STATIC /* all static: the demo is one translation unit */
#define EP_NO_OS_VFS
#define EP_NO_ENCRYPTION
#define EP_SMALL_CRC /* 1 KiB of CRC table instead of 16 */
#define EP_MALLOC(sz) embedded_heap_refused(sz)
#define EP_REALLOC(p, sz) ((void)(p), embedded_heap_refused(sz))
#define EP_FREE(p) ((void)(p))
#include <stddef.h>
static void *embedded_heap_refused(size_t size);
#include "ember_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- no heap: the default allocator refuses and counts ----------------- */

static unsigned embedded_heap_count;
static void *embedded_heap_refused(size_t size) {
    (void)size;
    embedded_heap_count++;
    return NULL;
}
unsigned embedded_heap_calls(void) { return embedded_heap_count; }

/* ---- the arena: first fit over a static buffer -------------------------- */

#define ARENA_SIZE (24u * 1024u)
#define ARENA_ALIGN 8u

typedef struct arena_block {
    size_t size; /* bytes after this header */
    int used;
} arena_block;

static union {
    uint8_t bytes[ARENA_SIZE];
    uint64_t align;
} arena;
static size_t arena_high_water; /* most bytes in use at once */
static size_t arena_in_use;

#define HDR ((sizeof(arena_block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

static void arena_reset(void) {
    arena_block *b = (arena_block *)(void *)arena.bytes;
    b->size = ARENA_SIZE - HDR;
    b->used = 0;
    arena_in_use = 0;
}

static arena_block *arena_next(arena_block *b) {
    uint8_t *p = (uint8_t *)b + HDR + b->size;
    return p < arena.bytes + ARENA_SIZE ? (arena_block *)(void *)p : NULL;
}

static void *arena_malloc(size_t size, void *user) {
    arena_block *b;
    (void)user;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    for (b = (arena_block *)(void *)arena.bytes; b; b = arena_next(b)) {
        if (b->used || b->size < size) continue;
        if (b->size >= size + HDR + ARENA_ALIGN) { /* split */
            arena_block *rest = (arena_block *)(void *)((uint8_t *)b + HDR + size);
            rest->size = b->size - size - HDR;
            rest->used = 0;
            b->size = size;
        }
        b->used = 1;
        arena_in_use += b->size + HDR;
        if (arena_in_use > arena_high_water) arena_high_water = arena_in_use;
        return (uint8_t *)b + HDR;
    }
    return NULL; /* the library reports EP_ERR_NOMEM */
}

static void arena_free(void *ptr, void *user) {
    arena_block *b, *n;
    (void)user;
    if (!ptr) return;
    b = (arena_block *)(void *)((uint8_t *)ptr - HDR);
    b->used = 0;
    arena_in_use -= b->size + HDR;
    /* coalesce every run of free blocks (the arena is small) */
    for (b = (arena_block *)(void *)arena.bytes; b; b = arena_next(b))
        while (!b->used && (n = arena_next(b)) != NULL && !n->used) b->size += HDR + n->size;
}

static void *arena_realloc(void *ptr, size_t size, void *user) {
    arena_block *b;
    void *q;
    if (!ptr) return arena_malloc(size, user);
    b = (arena_block *)(void *)((uint8_t *)ptr - HDR);
    if (b->size >= size) return ptr;
    q = arena_malloc(size, user);
    if (q) {
        memcpy(q, ptr, b->size);
        arena_free(ptr, user);
    }
    return q;
}

static const ep_allocator arena_alloc = {NULL, arena_malloc, arena_realloc, arena_free};

/* ---- the storage: SLOTS files in one RAM region -------------------------- */

#define SLOTS 4
#define SLOT_BYTES (8u * 1024u)
#define NAME_MAX_LEN 31

typedef struct {
    char name[NAME_MAX_LEN + 1]; /* "" = free */
    uint32_t size;
    uint32_t open_count;
    uint8_t data[SLOT_BYTES];
} slot;

typedef struct {
    slot slots[SLOTS];
    unsigned syncs; /* program/flush operations, for the demo's report */
} region;

static region flash; /* a port: the flash device behind these calls */

/* An ep_file is a pointer to its slot; a removed or replaced slot stays
 * readable through handles open on it, as on POSIX, until they close. */
static slot *slot_find(region *r, const char *name) {
    int i;
    for (i = 0; i < SLOTS; i++)
        if (r->slots[i].name[0] && strcmp(r->slots[i].name, name) == 0) return &r->slots[i];
    return NULL;
}

static slot *slot_free(region *r) {
    int i;
    for (i = 0; i < SLOTS; i++)
        if (!r->slots[i].name[0] && r->slots[i].open_count == 0) return &r->slots[i];
    return NULL;
}

#define REGION(v) ((region *)(v)->ctx)
#define SLOT(f) ((slot *)(void *)(f))

static ep_result rv_open(ep_vfs *v, const char *path, unsigned flags, ep_file **out, ep_error *err) {
    slot *s = slot_find(REGION(v), path);
    *out = NULL;
    if (strlen(path) > NAME_MAX_LEN) return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "name too long");
    if (s && (flags & EP_OPEN_CREATE) && (flags & EP_OPEN_EXCLUSIVE)) return EP_ERR_EXISTS;
    if (!s) {
        if (!(flags & EP_OPEN_CREATE)) return ep_error_set(err, EP_ERR_NOT_FOUND, UINT64_MAX, "%s", path);
        if ((s = slot_free(REGION(v))) == NULL) return ep_error_set(err, EP_ERR_NO_SPACE, UINT64_MAX, "no slot");
        strcpy(s->name, path);
        s->size = 0;
    }
    if (flags & EP_OPEN_TRUNCATE) s->size = 0;
    s->open_count++;
    *out = (ep_file *)(void *)s;
    return EP_OK;
}

static ep_result rv_close(ep_vfs *v, ep_file *f, ep_error *err) {
    (void)v, (void)err;
    if (f) SLOT(f)->open_count--;
    return EP_OK;
}

static ep_result rv_read(ep_vfs *v, ep_file *f, uint64_t off, void *buf, size_t len, size_t *got, ep_error *err) {
    slot *s = SLOT(f);
    (void)v, (void)err;
    *got = off >= s->size ? 0 : (size_t)(s->size - off < len ? s->size - off : len);
    if (*got) memcpy(buf, s->data + off, *got);
    return EP_OK;
}

static ep_result rv_write(ep_vfs *v, ep_file *f, uint64_t off, const void *buf, size_t len, ep_error *err) {
    slot *s = SLOT(f);
    (void)v;
    if (off > SLOT_BYTES || len > SLOT_BYTES - off) return ep_error_set(err, EP_ERR_NO_SPACE, off, "slot full");
    if (off > s->size) memset(s->data + s->size, 0, (size_t)(off - s->size));
    memcpy(s->data + off, buf, len);
    if (off + len > s->size) s->size = (uint32_t)(off + len);
    return EP_OK;
}

static ep_result rv_truncate(ep_vfs *v, ep_file *f, uint64_t size, ep_error *err) {
    slot *s = SLOT(f);
    (void)v;
    if (size > SLOT_BYTES) return ep_error_set(err, EP_ERR_NO_SPACE, size, "slot full");
    if (size > s->size) memset(s->data + s->size, 0, (size_t)(size - s->size));
    s->size = (uint32_t)size;
    return EP_OK;
}

static ep_result rv_size(ep_vfs *v, ep_file *f, uint64_t *out, ep_error *err) {
    (void)v, (void)err;
    *out = SLOT(f)->size;
    return EP_OK;
}

static ep_result rv_sync(ep_vfs *v, ep_file *f, ep_error *err) {
    (void)f, (void)err;
    REGION(v)->syncs++; /* a port: wait for the flash program to finish */
    return EP_OK;
}

static ep_result rv_lock(ep_vfs *v, ep_file *f, ep_error *err) {
    (void)v, (void)f, (void)err;
    return EP_OK; /* one writer: the firmware */
}

static ep_result rv_sync_dir(ep_vfs *v, const char *dir, ep_error *err) {
    (void)v, (void)dir, (void)err;
    return EP_OK; /* names live in the slot table: written with each slot */
}

static ep_result rv_rename(ep_vfs *v, const char *from, const char *to, ep_error *err) {
    slot *s = slot_find(REGION(v), from), *t = slot_find(REGION(v), to);
    if (!s) return ep_error_set(err, EP_ERR_NOT_FOUND, UINT64_MAX, "%s", from);
    if (strlen(to) > NAME_MAX_LEN) return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "name too long");
    if (t && t != s) t->name[0] = 0; /* replaced: its open handles keep the bytes */
    strcpy(s->name, to);
    return EP_OK;
}

static ep_result rv_remove(ep_vfs *v, const char *path, ep_error *err) {
    slot *s = slot_find(REGION(v), path);
    if (!s) return ep_error_set(err, EP_ERR_NOT_FOUND, UINT64_MAX, "%s", path);
    s->name[0] = 0;
    return EP_OK;
}

static ep_result rv_mkdir(ep_vfs *v, const char *path, ep_error *err) {
    (void)v, (void)path, (void)err;
    return EP_OK; /* flat: a directory is a name prefix */
}

static ep_result rv_list(ep_vfs *v, const char *dir, ep_list_fn fn, void *ctx, ep_error *err) {
    size_t n = strlen(dir);
    int i;
    (void)err;
    for (i = 0; i < SLOTS; i++) {
        const char *name = REGION(v)->slots[i].name;
        if (name[0] && strncmp(name, dir, n) == 0 && name[n] == '/' && fn(ctx, name + n + 1)) break;
    }
    return EP_OK;
}

static ep_result rv_stat(ep_vfs *v, const char *path, uint64_t *size, ep_error *err) {
    slot *s = slot_find(REGION(v), path);
    if (!s) return ep_error_set(err, EP_ERR_NOT_FOUND, UINT64_MAX, "%s", path);
    if (size) *size = s->size;
    return EP_OK;
}

static void region_vfs(ep_vfs *v, region *r) {
    ep_vfs_init(v);
    v->ctx = r;
    v->open = rv_open, v->close = rv_close, v->read = rv_read, v->write = rv_write;
    v->truncate = rv_truncate, v->size = rv_size, v->sync = rv_sync, v->lock = rv_lock;
    v->sync_dir = rv_sync_dir, v->rename = rv_rename, v->remove = rv_remove, v->mkdir = rv_mkdir;
    v->list = rv_list, v->stat = rv_stat;
}

/* ---- the device's own store ---------------------------------------------- */

#define SETTINGS 8
#define VALUE_MAX 32

typedef struct {
    char key[16];
    char value[VALUE_MAX + 1];
} setting;

typedef struct {
    setting items[SETTINGS];
    int count;
} settings;

static setting *settings_find(settings *s, const uint8_t *key, size_t len, int create) {
    int i;
    for (i = 0; i < s->count; i++)
        if (strlen(s->items[i].key) == len && memcmp(s->items[i].key, key, len) == 0) return &s->items[i];
    if (!create || s->count == SETTINGS || len >= sizeof s->items[0].key) return NULL;
    memcpy(s->items[s->count].key, key, len);
    s->items[s->count].key[len] = 0;
    s->items[s->count].value[0] = 0;
    return &s->items[s->count++];
}

static void settings_put(settings *s, ep_bytes key, ep_bytes value) {
    setting *e = settings_find(s, key.data, key.len, 1);
    size_t n = value.len > VALUE_MAX ? VALUE_MAX : value.len;
    if (!e) return;
    memcpy(e->value, value.data, n);
    e->value[n] = 0;
}

/* Replay: only the records this device writes (SET, DEL); others are ignored. */
static ep_result visit_entry(void *user, const ep_snap_entry *e) {
    if (e->type == EP_TYPE_STRING) settings_put((settings *)user, e->key, e->value);
    return EP_OK;
}

static ep_result visit_record(void *user, const ep_aof_record *rec, uint64_t index) {
    settings *s = (settings *)user;
    (void)index;
    if (rec->tag == EP_AOF_SET) settings_put(s, rec->key, rec->value);
    if (rec->tag == EP_AOF_DEL) {
        setting *e = settings_find(s, rec->key.data, rec->key.len, 0);
        if (e) *e = s->items[--s->count];
    }
    return EP_OK;
}

/* ---- the device --------------------------------------------------------- */

#define DIR "/fs"
#define COMPACT_AT 2048u /* AOF bytes that trigger a snapshot and an AOF reset */

typedef struct {
    ep_vfs vfs;
    settings table;
    ep_aof_writer *aof;
    char aof_path[32], snap_path[32];
} device;

static ep_result device_boot(device *d) {
    ep_recover_config rc;
    ep_recover_result res;
    ep_aof_writer_config wc;
    ep_result r;
    memset(&d->table, 0, sizeof d->table);
    region_vfs(&d->vfs, &flash);
    if ((r = ep_aof_path(DIR, 0, d->aof_path, sizeof d->aof_path)) != EP_OK) return r;
    if ((r = ep_snapshot_path(DIR, 0, d->snap_path, sizeof d->snap_path)) != EP_OK) return r;
    ep_recover_config_init(&rc);
    rc.vfs = &d->vfs;
    rc.alloc = &arena_alloc;
    rc.mode = EP_RECOVER_VISIT;
    rc.visitor.entry = visit_entry;
    rc.visitor.record = visit_record;
    rc.visitor.user = &d->table;
    if ((r = ep_recover_shard(DIR, 0, &rc, &res, NULL)) != EP_OK) return r;
    ep_recover_result_free(&res);
    ep_aof_writer_config_init(&wc);
    wc.vfs = &d->vfs;
    wc.alloc = &arena_alloc;
    wc.fsync = EP_FSYNC_ALWAYS; /* each change is on flash when the call returns */
    wc.buffer_size = 256;
    wc.repair_tail = 1;         /* a power cut mid-program leaves garbage, not just a short tail */
    return ep_aof_writer_open(d->aof_path, &wc, &d->aof, NULL);
}

/* Snapshot of the table (tmp + rename), then an empty AOF: what the device
 * does when the AOF slot fills up. */
static ep_result device_compact(device *d) {
    ep_snapshot_writer_config sc;
    ep_snapshot_writer *w = NULL;
    ep_result r;
    int i;
    ep_snapshot_writer_config_init(&sc);
    sc.vfs = &d->vfs;
    sc.alloc = &arena_alloc;
    sc.buffer_size = 256;
    if ((r = ep_snapshot_writer_begin(d->snap_path, 0, &sc, &w, NULL)) != EP_OK) return r;
    for (i = 0; i < d->table.count && r == EP_OK; i++)
        r = ep_snapshot_writer_add_string(w, ep_bytes_str(d->table.items[i].key),
                                          ep_bytes_str(d->table.items[i].value), -1);
    if (r == EP_OK) r = ep_snapshot_writer_commit(w, NULL);
    else (void)ep_snapshot_writer_abort(w);
    if (r == EP_OK) r = ep_aof_writer_rewrite(d->aof);
    return r;
}

static ep_result device_set(device *d, const char *key, const char *value) {
    ep_aof_stats st;
    ep_result r = ep_aof_set(d->aof, ep_bytes_str(key), ep_bytes_str(value), -1);
    if (r != EP_OK) return r;
    settings_put(&d->table, ep_bytes_str(key), ep_bytes_str(value));
    ep_aof_writer_stats(d->aof, &st);
    return st.size >= COMPACT_AT ? device_compact(d) : EP_OK;
}

static void device_halt(device *d) { /* orderly shutdown */
    (void)ep_aof_writer_close(d->aof);
    d->aof = NULL;
}

static const char *device_get(device *d, const char *key) {
    setting *e = settings_find(&d->table, (const uint8_t *)key, strlen(key), 0);
    return e ? e->value : NULL;
}

/* The demo: boot, count boots, log readings; reboot; check. Returns 0 if
 * everything held. */
int embedded_demo(int boots, int readings_per_boot) {
    static device d;
    int b, i;
    char v[24];
    arena_reset();
    memset(&flash, 0, sizeof flash);
    for (b = 1; b <= boots; b++) {
        const char *count;
        long n;
        if (device_boot(&d) != EP_OK) return 1;
        count = device_get(&d, "boots");
        n = count ? strtol(count, NULL, 10) : 0;
        if (n != b - 1) return 2;
        snprintf(v, sizeof v, "%ld", n + 1);
        if (device_set(&d, "boots", v) != EP_OK) return 3;
        for (i = 0; i < readings_per_boot; i++) {
            snprintf(v, sizeof v, "%d.%d", b, i);
            if (device_set(&d, "last_reading", v) != EP_OK) return 4;
        }
        if (device_set(&d, "wifi_ssid", "sensor-net") != EP_OK) return 5;
        device_halt(&d);
        if (arena_in_use != 0) return 6; /* everything handed back */
    }
    return embedded_heap_calls() == 0 ? 0 : 7;
}

#ifndef EMBEDDED_NO_MAIN
int main(void) {
    int r = embedded_demo(20, 30);
    printf("embedded_store: %s (20 boots, 620 records; arena high water %lu of %u bytes, %u flash syncs)\n",
           r == 0 ? "ok" : "FAILED", (unsigned long)arena_high_water, ARENA_SIZE, flash.syncs);
    return r;
}
#endif
