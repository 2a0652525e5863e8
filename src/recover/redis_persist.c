/* redis_persist: the AiKv-shaped persistence handle: RDB saves through the
 * RDB writer, command logging through the RESP AOF writer, save rules on an
 * injectable clock, and the startup choice between AOF and RDB. */
#include "recover/redis_persist.h"
#include "file/stream.h"

#ifndef EP_NO_REDIS

struct ep_redis_persist {
    ep_redis_persist_config cfg;
    ep_vfs os, *vfs;
    ep_resp_aof_writer *aof;
    ep_error err;
    uint64_t dirty;
    uint64_t last_save_ms;   /* on cfg's clock: the last save, or the open */
};

EP_API void ep_redis_persist_config_init(ep_redis_persist_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->rdb_enabled = 1;
    cfg->rdb_path = "dump.rdb";
    cfg->save[0].seconds = 3600, cfg->save[0].changes = 1;
    cfg->save[1].seconds = 300, cfg->save[1].changes = 100;
    cfg->save[2].seconds = 60, cfg->save[2].changes = 10000;
    cfg->save_count = 3;
    ep_rdb_writer_config_init(&cfg->rdb);
    cfg->aof_path = "appendonly.aof";
    cfg->aof_fsync = EP_FSYNC_EVERYSEC;
    cfg->rdb_when_aof_missing = 1;
}

static int ep__rp_number(const char **s, uint64_t *out) {
    uint64_t v = 0;
    int digits = 0;
    while (**s == ' ' || **s == '\t') (*s)++;
    while (**s >= '0' && **s <= '9') {
        if (v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(**s - '0');
        (*s)++, digits++;
    }
    if (digits == 0) return **s ? -1 : 0;
    if (**s && **s != ' ' && **s != '\t') return -1;
    *out = v;
    return 1;
}

EP_API ep_result ep_redis_persist_parse_save(ep_redis_persist_config *cfg, const char *text, ep_error *err) {
    ep_redis_save_rule rules[EP_REDIS_SAVE_RULES_MAX];
    size_t n = 0;
    const char *s = text ? text : "";
    for (;;) {
        uint64_t sec = 0, ch = 0;
        int a = ep__rp_number(&s, &sec), b;
        if (a == 0) break;
        b = a > 0 ? ep__rp_number(&s, &ch) : -1;
        if (a < 0 || b <= 0 || sec == 0)
            return ep_error_set(err, EP_ERR_INVALID_ARG, (uint64_t)(s - (text ? text : "")),
                                "save rules are pairs of <seconds> <changes> with seconds > 0: \"%s\"", text ? text : "");
        if (n == EP_REDIS_SAVE_RULES_MAX)
            return ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "more than %d save rules", EP_REDIS_SAVE_RULES_MAX);
        rules[n].seconds = sec;
        rules[n].changes = ch;
        n++;
    }
    memcpy(cfg->save, rules, n * sizeof rules[0]);
    cfg->save_count = n;
    return EP_OK;
}

static uint64_t ep__rp_now(const ep_redis_persist *p) {
    return p->cfg.clock_ms ? p->cfg.clock_ms(p->cfg.clock_user) : ep__clock_monotonic_ms();
}

EP_API ep_result ep_redis_persist_open(const ep_redis_persist_config *cfg, ep_redis_persist **out, ep_error *err) {
    ep_redis_persist_config def;
    ep_redis_persist *p;
    ep_result r;
    if (!out) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "redis persist: NULL argument");
    *out = NULL;
    if (!cfg) ep_redis_persist_config_init(&def), cfg = &def;
    if ((cfg->rdb_enabled && !cfg->rdb_path) || (cfg->aof_enabled && !cfg->aof_path) ||
        cfg->save_count > EP_REDIS_SAVE_RULES_MAX)
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "redis persist: a path is missing or too many rules");
    p = (ep_redis_persist *)ep_malloc(cfg->alloc, sizeof *p);
    if (!p) return ep_error_set(err, EP_ERR_NOMEM, UINT64_MAX, "out of memory");
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    ep_error_clear(&p->err);
    r = ep__vfs_pick(cfg->vfs, &p->os, &p->vfs);
    if (r == EP_OK && cfg->aof_enabled) {
        ep_resp_aof_writer_config wc;
        ep_resp_aof_writer_config_init(&wc);
        wc.vfs = p->vfs;
        wc.alloc = cfg->alloc;
        wc.fsync = cfg->aof_fsync;
        wc.clock_ms = cfg->clock_ms;
        wc.clock_user = cfg->clock_user;
        r = ep_resp_aof_writer_open(cfg->aof_path, &wc, &p->aof, err);
    }
    if (r != EP_OK) {
        ep_free(cfg->alloc, p);
        return r;
    }
    p->last_save_ms = ep__rp_now(p);
    *out = p;
    return EP_OK;
}

EP_API ep_result ep_redis_persist_save(ep_redis_persist *p) {
    ep_rdb_writer_config wc;
    ep_rdb_writer *w = NULL;
    ep_result r;
    if (!p) return EP_ERR_INVALID_ARG;
    if (!p->cfg.rdb_enabled || !p->cfg.dump)
        return ep_error_set(&p->err, EP_ERR_INVALID_ARG, UINT64_MAX, "RDB saves are off or no dump callback is set");
    wc = p->cfg.rdb;
    wc.vfs = p->vfs;
    wc.alloc = p->cfg.alloc;
    r = ep_rdb_writer_begin(p->cfg.rdb_path, &wc, &w, &p->err);
    if (r == EP_OK) {
        r = p->cfg.dump(p->cfg.user, w);
        if (r != EP_OK) {
            if (ep_rdb_writer_error(w)->code != EP_OK) p->err = *ep_rdb_writer_error(w);
            else ep_error_set(&p->err, r, UINT64_MAX, "the dump callback failed: %s", ep_result_str(r));
            (void)ep_rdb_writer_abort(w);
            return r;
        }
        r = ep_rdb_writer_commit(w, &p->err);
    }
    if (r == EP_OK) {
        /* As Redis: the counter and the clock restart at a good save only
         * (a failed one is retried by the next tick). */
        p->dirty = 0;
        p->last_save_ms = ep__rp_now(p);
    }
    return r;
}

EP_API ep_result ep_redis_persist_log(ep_redis_persist *p, uint64_t db, size_t argc, const ep_bytes *argv) {
    ep_result r = EP_OK;
    if (!p) return EP_ERR_INVALID_ARG;
    if (p->aof) {
        r = ep_resp_aof_append_db(p->aof, db, argc, argv);
        if (r != EP_OK) p->err = *ep_resp_aof_writer_error(p->aof);
    }
    if (r == EP_OK) p->dirty++;
    return r;
}

EP_API void ep_redis_persist_changed(ep_redis_persist *p, uint64_t n) {
    if (p) p->dirty += n;
}

EP_API uint64_t ep_redis_persist_dirty(const ep_redis_persist *p) { return p ? p->dirty : 0; }

/* Whether a save rule (or AiKv's interval) fires now. */
static int ep__rp_rule_fires(const ep_redis_persist *p, uint64_t now) {
    uint64_t elapsed = now > p->last_save_ms ? now - p->last_save_ms : 0;
    size_t i;
    if (!p->cfg.rdb_enabled || p->dirty == 0) return 0;
    for (i = 0; i < p->cfg.save_count; i++)
        if (p->dirty >= p->cfg.save[i].changes && elapsed >= p->cfg.save[i].seconds * 1000u) return 1;
    return p->cfg.save_interval_s && elapsed >= p->cfg.save_interval_s * 1000u;
}

EP_API ep_result ep_redis_persist_tick(ep_redis_persist *p, int *saved) {
    ep_result r = EP_OK;
    if (saved) *saved = 0;
    if (!p) return EP_ERR_INVALID_ARG;
    if (p->aof && (r = ep_resp_aof_tick(p->aof)) != EP_OK) {
        p->err = *ep_resp_aof_writer_error(p->aof);
        return r;
    }
    if (ep__rp_rule_fires(p, ep__rp_now(p))) {
        r = ep_redis_persist_save(p);
        if (r == EP_OK && saved) *saved = 1;
    }
    return r;
}

static int ep__rp_exists(ep_redis_persist *p, const char *path) {
    uint64_t size = 0;
    return path && p->vfs->stat(p->vfs, path, &size, NULL) == EP_OK;
}

EP_API ep_result ep_redis_persist_recover(ep_redis_persist *p, const ep_rdb_visitor *rdb,
                                          ep_result (*command)(void *user, size_t argc, const ep_bytes *argv),
                                          void *user, ep_redis_source *from) {
    ep_result r;
    if (from) *from = EP_REDIS_FROM_NOTHING;
    if (!p) return EP_ERR_INVALID_ARG;
    if (p->cfg.aof_enabled && ep_resp_aof_size(p->aof) > 0) {
        ep_resp_aof_reader_config rc;
        ep_resp_aof_status st;
        ep_resp_aof_reader_config_init(&rc);
        rc.vfs = p->vfs;
        rc.alloc = p->cfg.alloc;
        /* The writer is open: everything it trimmed or appended is flushed
         * first so the reader sees the file as the writer does. */
        if ((r = ep_resp_aof_flush(p->aof)) != EP_OK) return r;
        r = ep_resp_aof_read_all(p->cfg.aof_path, &rc, command, user, &st, &p->err);
        if (r == EP_OK && from) *from = EP_REDIS_FROM_AOF;
        return r;
    }
    if (p->cfg.aof_enabled && !p->cfg.rdb_when_aof_missing) return EP_OK;
    if (p->cfg.rdb_enabled && ep__rp_exists(p, p->cfg.rdb_path)) {
        ep_rdb_reader_config rc;
        ep_rdb_visitor none;
        memset(&none, 0, sizeof none);
        ep_rdb_reader_config_init(&rc);
        rc.vfs = p->vfs;
        rc.alloc = p->cfg.alloc;
        r = ep_rdb_read(p->cfg.rdb_path, &rc, rdb ? rdb : &none, NULL, &p->err);
        if (r == EP_OK && from) *from = EP_REDIS_FROM_RDB;
        return r;
    }
    return EP_OK;
}

EP_API ep_result ep_redis_persist_close(ep_redis_persist *p) {
    ep_result r = EP_OK;
    if (!p) return EP_OK;
    if (p->aof) r = ep_resp_aof_writer_close(p->aof);
    ep_free(p->cfg.alloc, p);
    return r;
}

EP_API const ep_error *ep_redis_persist_error(const ep_redis_persist *p) { return p ? &p->err : NULL; }

#endif /* EP_NO_REDIS */
