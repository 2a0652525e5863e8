/* wal_util: see wal_util.h. */
#include "wal_util.h"

#include <string.h>

static uint64_t walu_mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

size_t walu_record(uint64_t id, uint32_t salt, size_t spread, uint8_t *out) {
    uint64_t h = walu_mix(id * 0x9e3779b97f4a7c15ull + salt);
    size_t len = spread ? (size_t)(h % spread) : 0, i;
    for (i = 0; i < len; i++) {
        if ((i & 7) == 0) h = walu_mix(h + i);
        out[i] = (uint8_t)(h >> ((i & 7) * 8));
    }
    return len;
}

void walu_collect_init(walu_collect *c, uint32_t salt, size_t spread) {
    memset(c, 0, sizeof *c);
    c->salt = salt;
    c->spread = spread;
}

ep_result walu_collect_fn(void *user, uint64_t id, const uint8_t *data, size_t len) {
    walu_collect *c = (walu_collect *)user;
    uint8_t want[70000];
    size_t n = walu_record(id, c->salt, c->spread < 65536 ? c->spread : 65536, want);
    if (c->count == 0) c->first = id;
    else if (id != c->last + 1) c->bad++;
    if (n != len || (n && memcmp(want, data, n) != 0)) c->bad++;
    c->count++;
    c->last = id;
    if (c->stop_at && id == c->stop_at) return EP_END;
    return EP_OK;
}

ep_result walu_append_n(ep_wal *w, uint64_t n, uint32_t salt, size_t spread) {
    uint8_t buf[70000];
    ep_wal_stats st;
    uint64_t i;
    ep_wal_stats_get(w, &st);
    for (i = 0; i < n; i++) {
        uint64_t id = 0;
        size_t len = walu_record(st.next_id + i, salt, spread, buf);
        ep_result r = ep_wal_append(w, buf, len, &id);
        if (r != EP_OK) return r;
        if (id != st.next_id + i) return EP_ERR_STATE;
    }
    return EP_OK;
}

ep_result walu_replay(ep_vfs *vfs, const char *dir, ep_wal_mode mode, walu_collect *c, ep_wal_replay_info *info,
                      ep_error *err) {
    ep_wal_read_config rc;
    ep_wal_read_config_init(&rc);
    rc.vfs = vfs;
    rc.mode = mode;
    return ep_wal_replay(dir, &rc, walu_collect_fn, c, info, err);
}
