/* repair: scan with the AOF reader (salvaging past damage to learn what
 * follows it), decide, then back up and rewrite through tmp + rename. */
#include "base/internal.h"
#include "vfs/vfs.h"
#include "file/aof.h"
#include "file/repair.h"

#define EP__REPAIR_COPY_BUF (256u * 1024u)

typedef struct ep__run {
    uint64_t start, end;
} ep__run;

typedef struct ep__repair {
    ep_vfs *vfs;
    const ep_aof_repair_config *cfg;
    ep_aof_repair_report *rep;
    ep__run *runs; /* intact stretches of records; runs[0] is the one before the first damage */
    size_t nruns, cap;
    int first_torn; /* the first damaged region is a torn tail */
    ep_error *err;
} ep__repair;

EP_API void ep_aof_repair_config_init(ep_aof_repair_config *cfg) { memset(cfg, 0, sizeof *cfg); }

EP_API const char *ep_aof_repair_action_name(ep_aof_repair_action a) {
    switch (a) {
    case EP_REPAIR_NOTHING: return "nothing";
    case EP_REPAIR_TRIM: return "trim";
    case EP_REPAIR_SALVAGE: return "salvage";
    case EP_REPAIR_REFUSED: return "refused";
    }
    return "unknown";
}

static ep_result ep__repair_add_run(ep__repair *s, uint64_t start, uint64_t end) {
    if (s->nruns == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8, bytes;
        ep__run *p;
        if (!ep__mul_size(ncap, sizeof *p, &bytes)) return EP_ERR_NOMEM;
        p = (ep__run *)ep_realloc(s->cfg->alloc, s->runs, bytes);
        if (!p) return ep_error_set(s->err, EP_ERR_NOMEM, UINT64_MAX, "repair: out of memory");
        s->runs = p;
        s->cap = ncap;
    }
    s->runs[s->nruns].start = start;
    s->runs[s->nruns].end = end;
    s->nruns++;
    return EP_OK;
}

static void ep__repair_region(ep__repair *s, const ep_aof_repair_region *reg) {
    ep_aof_repair_report *rep = s->rep;
    if (rep->regions == 0) {
        rep->first_damage = reg->error;
        s->first_torn = reg->torn;
    }
    rep->regions++;
    rep->damaged_bytes += reg->bytes;
    if (s->cfg->on_region) s->cfg->on_region(s->cfg->user, reg);
}

/* Reads every record, past damage too; fills runs and the counts. */
static ep_result ep__repair_scan(ep__repair *s, const char *path) {
    ep_aof_reader_config rc;
    ep_aof_reader *r = NULL;
    ep_aof_status st;
    ep_aof_record rec;
    ep_aof_repair_report *rep = s->rep;
    ep_aof_repair_region reg;
    uint64_t run_start = EP_AOF_HEADER_SIZE, before, resume;
    ep_result res;
    ep_aof_reader_config_init(&rc);
    rc.vfs = s->vfs;
    rc.alloc = s->cfg->alloc;
    rc.key = s->cfg->key;
    res = ep_aof_reader_open(path, &rc, &r, s->err);
    if (res != EP_OK) return res;
    rep->good_offset = EP_AOF_HEADER_SIZE;
    for (;;) {
        ep_aof_reader_status(r, &st);
        before = st.good_offset;
        res = ep_aof_reader_next(r, &rec);
        if (res == EP_OK) {
            ep_aof_reader_status(r, &st);
            if (rep->regions == 0) {
                rep->records_before++;
                rep->good_offset = st.good_offset;
            } else {
                rep->records_after++;
                rep->bytes_after += st.good_offset - before;
            }
            if (s->cfg->on_progress && (st.records & 1023u) == 0)
                s->cfg->on_progress(s->cfg->user, st.good_offset, rep->file_size);
            continue;
        }
        ep_aof_reader_status(r, &st);
        rep->version = st.version;
        if (res == EP_END) {
            if ((res = ep__repair_add_run(s, run_start, st.good_offset)) != EP_OK) break;
            if (st.end == EP_AOF_END_TORN) {
                memset(&reg, 0, sizeof reg);
                reg.offset = st.good_offset;
                reg.bytes = st.tail_bytes;
                reg.index = st.records;
                reg.torn = 1;
                ep_error_set(&reg.error, EP_ERR_EOF, st.good_offset,
                             "the last record is cut short (%llu bytes)",
                             (unsigned long long)st.tail_bytes);
                reg.error.index = st.records;
                ep__repair_region(s, &reg);
            }
            res = EP_OK;
            break;
        }
        /* damage at st.good_offset: the run so far ends there */
        memset(&reg, 0, sizeof reg);
        reg.offset = st.good_offset;
        reg.index = st.records;
        reg.error = *ep_aof_reader_error(r);
        if ((res = ep__repair_add_run(s, run_start, st.good_offset)) != EP_OK) break;
        res = ep_aof_reader_skip_damage(r, &resume);
        if (res != EP_OK && res != EP_END) {
            ep_error_set(s->err, res, reg.offset, "repair: reading past the damage at %llu: %s",
                         (unsigned long long)reg.offset, ep_result_str(res));
            break;
        }
        reg.bytes = resume - reg.offset;
        ep__repair_region(s, &reg);
        if (res == EP_END) {
            res = EP_OK;
            break;
        }
        run_start = resume;
    }
    ep_aof_reader_close(r);
    return res;
}

/* The header and runs [0, keep) of src into `to`, synced. */
static ep_result ep__repair_write(ep__repair *s, ep_file *src, const char *to, size_t keep) {
    ep_file *dst = NULL;
    uint64_t at = 0;
    size_t i;
    uint8_t *buf = (uint8_t *)ep_malloc(s->cfg->alloc, EP__REPAIR_COPY_BUF);
    ep_result r;
    if (!buf) return ep_error_set(s->err, EP_ERR_NOMEM, UINT64_MAX, "repair: out of memory");
    r = s->vfs->open(s->vfs, to, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &dst, s->err);
    if (r == EP_OK) {
        r = ep_vfs_copy_range(s->vfs, src, 0, dst, 0, EP_AOF_HEADER_SIZE, buf, EP__REPAIR_COPY_BUF, s->err);
        at = EP_AOF_HEADER_SIZE;
        for (i = 0; r == EP_OK && i < keep; i++) {
            uint64_t n = s->runs[i].end - s->runs[i].start;
            r = ep_vfs_copy_range(s->vfs, src, s->runs[i].start, dst, at, n, buf, EP__REPAIR_COPY_BUF, s->err);
            at += n;
        }
        if (r == EP_OK) r = s->vfs->sync(s->vfs, dst, s->err);
        if (r == EP_OK) r = s->vfs->close(s->vfs, dst, s->err);
        else (void)s->vfs->close(s->vfs, dst, NULL);
        if (r != EP_OK) (void)s->vfs->remove(s->vfs, to, NULL);
    }
    ep_free(s->cfg->alloc, buf);
    return r;
}

/* Backup first (durable), then the repaired file over path. */
static ep_result ep__repair_apply(ep__repair *s, const char *path, ep_file *src, size_t keep) {
    char tmp[4096], dir[4096];
    size_t n = strlen(path);
    ep_result r;
    if (!s->cfg->backup_path) return ep_error_set(s->err, EP_ERR_INVALID_ARG, UINT64_MAX, "repair: no backup path");
    if (n + 12 > sizeof tmp || ep_path_dirname(dir, sizeof dir, path) != EP_OK)
        return ep_error_set(s->err, EP_ERR_LIMIT, UINT64_MAX, "repair: path too long");
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".repair.tmp", 12);
    r = ep_vfs_copy_durable(s->vfs, path, s->cfg->backup_path, s->cfg->alloc, s->err);
    if (r == EP_OK) r = ep__repair_write(s, src, tmp, keep);
    if (r == EP_OK) {
        r = s->vfs->rename(s->vfs, tmp, path, s->err);
        if (r != EP_OK) (void)s->vfs->remove(s->vfs, tmp, NULL);
    }
    if (r == EP_OK) r = s->vfs->sync_dir(s->vfs, dir, s->err);
    return r;
}

/* What to do, from the scan. Returns how many runs to keep. */
static size_t ep__repair_plan(ep__repair *s) {
    ep_aof_repair_report *rep = s->rep;
    const ep_aof_repair_config *cfg = s->cfg;
    size_t keep = 1, i;
    /* a torn tail alone is what a crash leaves: trimmed without force */
    if (rep->regions == 0) rep->action = EP_REPAIR_NOTHING;
    else if (rep->regions == 1 && s->first_torn) rep->action = EP_REPAIR_TRIM;
    else if (!cfg->force) rep->action = EP_REPAIR_REFUSED;
    else rep->action = cfg->salvage ? EP_REPAIR_SALVAGE : EP_REPAIR_TRIM;
    if (rep->action == EP_REPAIR_SALVAGE) keep = s->nruns;
    rep->new_size = EP_AOF_HEADER_SIZE;
    for (i = 0; i < keep && i < s->nruns; i++) rep->new_size += s->runs[i].end - s->runs[i].start;
    if (rep->action == EP_REPAIR_NOTHING) rep->new_size = rep->file_size;
    rep->records_kept = rep->records_before + (rep->action == EP_REPAIR_SALVAGE ? rep->records_after : 0);
    rep->records_dropped = rep->action == EP_REPAIR_SALVAGE ? 0 : rep->records_after;
    rep->bytes_dropped = rep->file_size - rep->new_size;
    return keep;
}

EP_API ep_result ep_aof_repair(const char *path, const ep_aof_repair_config *cfg, ep_aof_repair_report *out,
                               ep_error *err) {
    ep_vfs os;
    ep__repair s;
    ep_file *f = NULL;
    ep_result r;
    size_t keep;
    if (!path || !cfg || !out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "repair: missing argument");
    memset(out, 0, sizeof *out);
    ep_error_clear(&out->first_damage);
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.rep = out;
    s.err = err;
    s.vfs = cfg->vfs;
    if (!s.vfs) {
        if ((r = ep_vfs_os_init(&os)) != EP_OK) return ep_error_set(err, r, UINT64_MAX, "repair: no OS file system");
        s.vfs = &os;
    }
    /* The writer's lock, held until the end: no writer appends meanwhile. */
    r = s.vfs->open(s.vfs, path, EP_OPEN_WRITE, &f, err);
    if (r == EP_OK) {
        ep_error lk;
        r = s.vfs->lock(s.vfs, f, &lk);
        if (r == EP_ERR_UNSUPPORTED) r = EP_OK;
        else if (r != EP_OK) ep_error_set(err, r, UINT64_MAX, "repair: %s is in use by a writer (%s)", path, lk.message);
    }
    if (r == EP_OK) r = s.vfs->size(s.vfs, f, &out->file_size, err);
    if (r == EP_OK) r = ep__repair_scan(&s, path);
    if (r == EP_OK) {
        keep = ep__repair_plan(&s);
        if (out->action == EP_REPAIR_REFUSED) {
            r = ep_error_set(err, EP_ERR_CORRUPT, out->first_damage.offset,
                             "repair: damage at offset %llu is not a torn tail; --force drops it",
                             (unsigned long long)out->first_damage.offset);
        } else if (out->action != EP_REPAIR_NOTHING && !cfg->dry_run) {
            r = ep__repair_apply(&s, path, f, keep);
            out->written = r == EP_OK;
        }
    }
    if (f) (void)s.vfs->close(s.vfs, f, NULL);
    ep_free(cfg->alloc, s.runs);
    return r;
}
