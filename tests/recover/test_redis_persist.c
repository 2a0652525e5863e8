/* redis_persist: AiKv's API shape. Redis's `save` directive parsed (and
 * refused when malformed); save rules fire from tick on an injected clock
 * only when both their seconds and their changes are reached (and AiKv's
 * plain interval); save all databases -> load all databases through the
 * RDB; log commands -> load all commands through the AOF; the startup
 * choice: AOF when on and present, else the RDB, or nothing as Redis 7.0
 * does with rdb_when_aof_missing = 0. */
#include "ember_persist.h"
#include "harness.h"

#include <stdio.h>

static uint64_t now_ms;
static uint64_t clock_fn(void *u) {
    (void)u;
    return now_ms;
}

static int dumps;
static ep_result dump_two_dbs(void *u, ep_rdb_writer *w) {
    ep_result r;
    (void)u;
    dumps++;
    if ((r = ep_rdb_writer_select_db(w, 0, 1, 0)) != EP_OK) return r;
    if ((r = ep_rdb_writer_string(w, EP_LIT("k0"), EP_LIT("v0"), -1)) != EP_OK) return r;
    if ((r = ep_rdb_writer_select_db(w, 3, 1, 1)) != EP_OK) return r;
    return ep_rdb_writer_string(w, EP_LIT("k3"), EP_LIT("v3"), 4102444800000);
}

EPT_CASE(save_directive_parsed_like_redis) {
    ep_redis_persist_config c;
    ep_error err;
    ep_redis_persist_config_init(&c);
    EPT_CHECK(c.save_count == 3 && c.save[1].seconds == 300 && c.save[1].changes == 100);
    EPT_CHECK_OK(ep_redis_persist_parse_save(&c, "900 1 300 10", &err));
    EPT_CHECK(c.save_count == 2 && c.save[0].seconds == 900 && c.save[1].changes == 10);
    EPT_CHECK_OK(ep_redis_persist_parse_save(&c, "", &err));
    EPT_CHECK(c.save_count == 0);
    EPT_CHECK(ep_redis_persist_parse_save(&c, "60", &err) == EP_ERR_INVALID_ARG);
    EPT_CHECK(ep_redis_persist_parse_save(&c, "0 5", &err) == EP_ERR_INVALID_ARG);
    EPT_CHECK(ep_redis_persist_parse_save(&c, "60 x", &err) == EP_ERR_INVALID_ARG);
    EPT_CHECK(ep_redis_persist_parse_save(&c, "60 10x", &err) == EP_ERR_INVALID_ARG);
    EPT_CHECK(c.save_count == 0); /* a refused directive changes nothing */
}

EPT_CASE(save_rules_fire_on_the_clock) {
    ep_vfs *vfs = NULL;
    ep_redis_persist_config c;
    ep_redis_persist *p;
    ep_error err;
    int saved, i;
    ep_bytes argv[3];
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_redis_persist_config_init(&c);
    c.vfs = vfs;
    c.clock_ms = clock_fn;
    c.dump = dump_two_dbs;
    c.rdb.ctime = 1700000000;
    EPT_CHECK_OK(ep_redis_persist_parse_save(&c, "60 1 10 3", &err));
    now_ms = 1000000;
    dumps = 0;
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    argv[0] = EP_LIT("SET"), argv[1] = EP_LIT("a"), argv[2] = EP_LIT("1");
    now_ms += 120000; /* nothing changed: no save however long */
    EPT_CHECK_OK(ep_redis_persist_tick(p, &saved));
    EPT_CHECK(!saved && dumps == 0);
    EPT_CHECK_OK(ep_redis_persist_log(p, 0, 3, argv)); /* 1 change */
    now_ms += 30000;
    /* the clock runs from the open (as Redis's lastsave from startup): 150 s
     * and 1 change -> "60 1" fires ("10 3" has too few changes) */
    EPT_CHECK_OK(ep_redis_persist_tick(p, &saved));
    EPT_CHECK(saved && dumps == 1 && ep_redis_persist_dirty(p) == 0);
    EPT_CHECK(vfs->stat(vfs, "dump.rdb", NULL, NULL) == EP_OK);
    for (i = 0; i < 3; i++) EPT_CHECK_OK(ep_redis_persist_log(p, 0, 3, argv));
    now_ms += 9999;
    EPT_CHECK_OK(ep_redis_persist_tick(p, &saved));
    EPT_CHECK(!saved && dumps == 1);
    now_ms += 1;
    EPT_CHECK_OK(ep_redis_persist_tick(p, &saved));
    EPT_CHECK(saved && dumps == 2);
    EPT_CHECK_OK(ep_redis_persist_close(p));
    /* AiKv's rdb_save_interval alone */
    EPT_CHECK_OK(ep_redis_persist_parse_save(&c, "", &err));
    c.save_interval_s = 300;
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    ep_redis_persist_changed(p, 1);
    now_ms += 299999;
    EPT_CHECK_OK(ep_redis_persist_tick(p, &saved));
    EPT_CHECK(!saved);
    now_ms += 1;
    EPT_CHECK_OK(ep_redis_persist_tick(p, &saved));
    EPT_CHECK(saved && dumps == 3);
    EPT_CHECK_OK(ep_redis_persist_close(p));
    ep_vfs_mem_free(vfs);
}

typedef struct got {
    char text[4096];
    size_t len;
} got;
static void add(got *g, const char *s, size_t n) {
    if (g->len + n + 1 < sizeof g->text) memcpy(g->text + g->len, s, n), g->len += n, g->text[g->len] = 0;
}
static ep_result on_el(void *u, const ep_rdb_key *k, const ep_item *e) {
    got *g = (got *)u;
    char line[64];
    int n = snprintf(line, sizeof line, "db%llu %.*s=%.*s exp=%lld;", (unsigned long long)k->db, (int)k->key.len,
                     (const char *)k->key.data, (int)e->a.len, (const char *)e->a.data, (long long)k->expire_ms);
    add(g, line, (size_t)n);
    return EP_OK;
}
static ep_result on_cmd(void *u, size_t argc, const ep_bytes *argv) {
    got *g = (got *)u;
    size_t i;
    for (i = 0; i < argc; i++) {
        add(g, (const char *)argv[i].data, argv[i].len);
        add(g, i + 1 < argc ? " " : ";", 1);
    }
    return EP_OK;
}

EPT_CASE(recovery_chooses_like_redis) {
    ep_vfs *vfs = NULL;
    ep_redis_persist_config c;
    ep_redis_persist *p;
    ep_redis_source from;
    ep_rdb_visitor v;
    ep_error err;
    got g;
    ep_bytes argv[3];
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_redis_persist_config_init(&c);
    c.vfs = vfs;
    c.dump = dump_two_dbs;
    memset(&v, 0, sizeof v);
    v.element = on_el;
    v.user = &g;
    /* nothing on disk */
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    memset(&g, 0, sizeof g);
    EPT_CHECK_OK(ep_redis_persist_recover(p, &v, on_cmd, &g, &from));
    EPT_CHECK(from == EP_REDIS_FROM_NOTHING && g.len == 0);
    /* save all databases, load all databases */
    EPT_CHECK_OK(ep_redis_persist_save(p));
    EPT_CHECK_OK(ep_redis_persist_close(p));
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    memset(&g, 0, sizeof g);
    EPT_CHECK_OK(ep_redis_persist_recover(p, &v, on_cmd, &g, &from));
    EPT_CHECK(from == EP_REDIS_FROM_RDB);
    EPT_CHECK(strcmp(g.text, "db0 k0=v0 exp=-1;db3 k3=v3 exp=4102444800000;") == 0);
    EPT_CHECK_OK(ep_redis_persist_close(p));
    /* AOF on but absent: the RDB (default), or nothing as Redis 7.0 */
    c.aof_enabled = 1;
    c.aof_fsync = EP_FSYNC_ALWAYS;
    c.rdb_when_aof_missing = 0;
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    memset(&g, 0, sizeof g);
    EPT_CHECK_OK(ep_redis_persist_recover(p, &v, on_cmd, &g, &from));
    EPT_CHECK(from == EP_REDIS_FROM_NOTHING);
    EPT_CHECK_OK(ep_redis_persist_close(p));
    c.rdb_when_aof_missing = 1;
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    memset(&g, 0, sizeof g);
    EPT_CHECK_OK(ep_redis_persist_recover(p, &v, on_cmd, &g, &from));
    EPT_CHECK(from == EP_REDIS_FROM_RDB);
    /* log commands, load all commands: the AOF wins over the RDB */
    argv[0] = EP_LIT("SET"), argv[1] = EP_LIT("a"), argv[2] = EP_LIT("1");
    EPT_CHECK_OK(ep_redis_persist_log(p, 2, 3, argv));
    EPT_CHECK_OK(ep_redis_persist_close(p));
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    memset(&g, 0, sizeof g);
    EPT_CHECK_OK(ep_redis_persist_recover(p, &v, on_cmd, &g, &from));
    EPT_CHECK(from == EP_REDIS_FROM_AOF);
    EPT_CHECK(strcmp(g.text, "SELECT 2;SET a 1;") == 0);
    EPT_CHECK_OK(ep_redis_persist_close(p));
    /* RDB off: the save is refused, recovery from the AOF still works */
    c.rdb_enabled = 0;
    EPT_CHECK_OK(ep_redis_persist_open(&c, &p, &err));
    EPT_CHECK(ep_redis_persist_save(p) == EP_ERR_INVALID_ARG);
    EPT_CHECK_OK(ep_redis_persist_close(p));
    ep_vfs_mem_free(vfs);
}

EPT_MAIN()
