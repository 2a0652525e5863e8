/* EP_NO_KEYSPACE: the library without the keyspace, keyspace-mode recovery,
 * the store, maintain and the Redis loader, for users who replay into their
 * own map through the visitor API. The implementation is compiled here with
 * the switch and EMBER_PERSIST_STATIC, beside the one the test programs link:
 * visitor recovery of a snapshot + AOF still delivers every entry and record
 * in order, and keyspace mode says EP_ERR_UNSUPPORTED. */
#define EP_NO_KEYSPACE
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "harness.h"

#include <string.h>

static ep_bytes S(const char *s) { return ep_bytes_of(s, strlen(s)); }

typedef struct seen {
    char log[256];
    size_t n;
} seen;

static void note(seen *s, const char *what, ep_bytes key) {
    size_t room = sizeof s->log - s->n - 1;
    size_t k = key.len < room ? key.len : room;
    if (strlen(what) + k + 1 > room) return;
    memcpy(s->log + s->n, what, strlen(what));
    s->n += strlen(what);
    memcpy(s->log + s->n, key.data, k);
    s->n += k;
    s->log[s->n++] = ' ';
    s->log[s->n] = 0;
}

static ep_result on_entry(void *user, const ep_snap_entry *e) {
    note((seen *)user, "E:", e->key);
    return EP_OK;
}

static ep_result on_record(void *user, const ep_aof_record *rec, uint64_t index) {
    (void)index;
    note((seen *)user, rec->tag == EP_AOF_DEL ? "D:" : "R:", rec->key);
    return EP_OK;
}

/* A shard in d/: a snapshot with two keys, an AOF with a SET and a DEL. */
static ep_vfs *make_shard(void) {
    ep_vfs *vfs = NULL;
    ep_snapshot_writer_config sc;
    ep_snapshot_writer *sw = NULL;
    ep_aof_writer_config ac;
    ep_aof_writer *aw = NULL;
    char path[64];
    if (ep_vfs_mem_create(NULL, &vfs) != EP_OK || vfs->mkdir(vfs, "d", NULL) != EP_OK) return NULL;
    ep_snapshot_writer_config_init(&sc);
    sc.vfs = vfs;
    if (ep_snapshot_path("d", 0, path, sizeof path) != EP_OK) return NULL;
    if (ep_snapshot_writer_begin(path, 0, &sc, &sw, NULL) != EP_OK) return NULL;
    if (ep_snapshot_writer_add_string(sw, S("a"), S("1"), -1) != EP_OK) return NULL;
    if (ep_snapshot_writer_add_string(sw, S("b"), S("2"), -1) != EP_OK) return NULL;
    if (ep_snapshot_writer_commit(sw, NULL) != EP_OK) return NULL;
    ep_aof_writer_config_init(&ac);
    ac.vfs = vfs;
    ac.fsync = EP_FSYNC_ALWAYS;
    if (ep_aof_path("d", 0, path, sizeof path) != EP_OK) return NULL;
    if (ep_aof_writer_open(path, &ac, &aw, NULL) != EP_OK) return NULL;
    if (ep_aof_set(aw, S("c"), S("3"), -1) != EP_OK || ep_aof_del(aw, S("a")) != EP_OK) return NULL;
    if (ep_aof_writer_close(aw) != EP_OK) return NULL;
    return vfs;
}

EPT_CASE(visitor_recovery_delivers_everything) {
    ep_vfs *vfs = make_shard();
    ep_recover_config cfg;
    ep_recover_result res;
    seen s;
    EPT_CHECK(vfs != NULL);
    memset(&s, 0, sizeof s);
    ep_recover_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.mode = EP_RECOVER_VISIT;
    cfg.visitor.entry = on_entry;
    cfg.visitor.record = on_record;
    cfg.visitor.user = &s;
    EPT_CHECK_OK(ep_recover_shard("d", 0, &cfg, &res, NULL));
    EPT_CHECK(strcmp(s.log, "E:a E:b R:c D:a ") == 0);
    EPT_CHECK(res.snapshot_loaded && res.snapshot_entries == 2);
    EPT_CHECK(res.records_applied == 2 && res.aof_end == EP_AOF_END_CLEAN);
    EPT_CHECK(res.keyspace == NULL);
    ep_recover_result_free(&res);
    ep_vfs_mem_free(vfs);
}

EPT_CASE(keyspace_mode_is_unsupported) {
    ep_vfs *vfs = make_shard();
    ep_recover_config cfg;
    ep_recover_result res;
    EPT_CHECK(vfs != NULL);
    ep_recover_config_init(&cfg);
    cfg.vfs = vfs;
    EPT_CHECK_EQ(cfg.mode, EP_RECOVER_KEYSPACE);
    EPT_CHECK_EQ(ep_recover_shard("d", 0, &cfg, &res, NULL), EP_ERR_UNSUPPORTED);
    EPT_CHECK(res.keyspace == NULL);
    ep_recover_result_free(&res);
    ep_vfs_mem_free(vfs);
}

/* The covering snapshot from the user's own map needs no keyspace: after
 * it, recovery delivers the map's entries and only the record that follows. */
EPT_CASE(covering_snapshot_from_the_users_map) {
    ep_vfs *vfs = make_shard();
    ep_aof_writer_config ac;
    ep_aof_writer *aw = NULL;
    ep_shard_snapshot_writer *w = NULL;
    ep_recover_config cfg;
    ep_recover_result res;
    ep_shard_config sc;
    seen s;
    EPT_CHECK(vfs != NULL);
    ep_aof_writer_config_init(&ac);
    ac.vfs = vfs;
    EPT_CHECK_OK(ep_aof_writer_open("d/shard-0.aof", &ac, &aw, NULL));
    ep_shard_config_init(&sc);
    sc.vfs = vfs;
    EPT_CHECK_OK(ep_shard_snapshot_begin("d", 0, aw, &sc, &w, NULL)); /* the map: b=2, c=3 */
    {
        ep_snapshot_writer *entries = NULL;
        ep_shard_snapshot_entries(w, &entries);
        EPT_CHECK_OK(ep_snapshot_writer_add_string(entries, S("b"), S("2"), -1));
        EPT_CHECK_OK(ep_snapshot_writer_add_string(entries, S("c"), S("3"), -1));
    }
    EPT_CHECK_OK(ep_shard_snapshot_commit(w, NULL));
    EPT_CHECK_OK(ep_aof_set(aw, S("e"), S("5"), -1));
    EPT_CHECK_OK(ep_aof_writer_close(aw));
    memset(&s, 0, sizeof s);
    ep_recover_config_init(&cfg);
    cfg.vfs = vfs;
    cfg.mode = EP_RECOVER_VISIT;
    cfg.visitor.entry = on_entry;
    cfg.visitor.record = on_record;
    cfg.visitor.user = &s;
    EPT_CHECK_OK(ep_recover_shard("d", 0, &cfg, &res, NULL));
    EPT_CHECK(strcmp(s.log, "E:b E:c R:e ") == 0);
    EPT_CHECK(res.trailer == EP_TRAILER_APPLIED && res.records_skipped == 2 && res.records_applied == 1);
    ep_recover_result_free(&res);
    ep_vfs_mem_free(vfs);
}

int main(int argc, char **argv) { return ept_run(argc, argv); }
