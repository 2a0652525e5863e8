/* wal_recover: directory replay and checkpoint recovery (wal_recover.h). */
#include "base/internal.h"
#include "file/wal_internal.h"
#include "recover/wal_recover.h"

#ifndef EP_NO_WAL

static ep_vfs *ep__walr_vfs(ep_vfs *given, ep_vfs *os, ep_error *err) {
    ep_vfs *v = NULL;
    if (ep__vfs_pick(given, os, &v) != EP_OK) {
        ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "wal: no OS file system in this build");
        return NULL;
    }
    return v;
}

/* One walk over the directory's segments; fn (may be NULL) sees each segment's info. */
static ep_result ep__walr_walk(const char *dir, const ep_wal_read_config *cfg, ep_wal_record_fn rec_fn,
                               void *rec_user, ep_wal_segment_fn seg_fn, void *seg_user, ep_wal_replay_info *info,
                               ep_error *err) {
    ep_wal_read_config c;
    ep_vfs os, *vfs;
    ep__wal_list list;
    ep__wal_reader rd;
    ep_wal_replay_info dummy;
    ep_result r = EP_OK;
    uint64_t prev_last = 0;
    size_t i;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    if (!dir) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "wal replay: no directory");
    ep_wal_read_config_init(&c);
    if (cfg) c = *cfg;
    info->last_delivered = c.after_id;
    if (!(vfs = ep__walr_vfs(c.vfs, &os, err))) return EP_ERR_UNSUPPORTED;
    r = ep__wal_list_dir(vfs, c.alloc, dir, &list, err);
    if (r != EP_OK) return r;
    ep__wal_reader_init(&rd, vfs, c.alloc, c.read_bytes, c.max_record);
    for (i = 0; i < list.n; i++) {
        char path[EP__WAL_PATH_MAX];
        ep__wal_scan sc;
        ep_wal_segment_info si;
        if (i > 0 && list.ids[i] != list.ids[i - 1] + 1) {
            r = ep_error_set(err, EP_ERR_GAP, UINT64_MAX, "wal %s: segments %llu to %llu are missing", dir,
                             (unsigned long long)(list.ids[i - 1] + 1), (unsigned long long)(list.ids[i] - 1));
            if (err) err->index = prev_last + 1;
            break;
        }
        if (ep__wal_seg_path(dir, list.ids[i], path, sizeof path) != EP_OK) {
            r = ep_error_set(err, EP_ERR_LIMIT, UINT64_MAX, "wal %s: path too long", dir);
            break;
        }
        memset(&sc, 0, sizeof sc);
        sc.path = path;
        sc.segment_id = list.ids[i];
        sc.final = i + 1 == list.n;
        sc.mode = c.mode;
        sc.expect_first = i > 0 ? prev_last + 1 : 0;
        sc.after_id = c.after_id;
        sc.ceiling = c.ceiling;
        sc.max_record = c.max_record;
        sc.fn = rec_fn;
        sc.user = rec_user;
        r = ep__wal_scan_segment(&rd, &sc, &si, &info->delivered, &info->last_delivered, err);
        info->segments++;
        if (i == 0) info->first_id = si.first_id;
        if (r == EP_OK || r == EP_END) {
            if (si.end != EP_WAL_SEG_SHORT) prev_last = si.last_id;
            info->end = si.end;
            info->tail_bytes = si.end == EP_WAL_SEG_SHORT ? si.file_bytes : si.file_bytes - si.valid_bytes;
        }
        if (seg_fn && seg_fn(seg_user, &si)) break;
        if (r == EP_END) {
            r = EP_OK;
            break;
        }
        if (r != EP_OK) break;
    }
    info->last_id = info->first_id ? prev_last : 0;
    ep__wal_reader_free(&rd);
    ep__wal_list_free(&list);
    return r;
}

EP_API ep_result ep_wal_replay(const char *dir, const ep_wal_read_config *cfg, ep_wal_record_fn fn, void *user,
                               ep_wal_replay_info *info, ep_error *err) {
    return ep__walr_walk(dir, cfg, fn, user, NULL, NULL, info, err);
}

EP_API ep_result ep_wal_segments(const char *dir, const ep_wal_read_config *cfg, ep_wal_segment_fn fn, void *user,
                                 ep_error *err) {
    return ep__walr_walk(dir, cfg, NULL, NULL, fn, user, NULL, err);
}

EP_API void ep_wal_recover_config_init(ep_wal_recover_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    ep_wal_read_config_init(&cfg->read);
}

/* The first id of the WAL (its first segment's header), 0 if it has none
 * or the only segment is a torn create. */
static ep_result ep__walr_first_id(ep_vfs *vfs, const ep_allocator *alloc, const char *dir, uint64_t *first,
                                   ep_error *err) {
    ep__wal_list list;
    ep_result r;
    *first = 0;
    r = ep__wal_list_dir(vfs, alloc, dir, &list, err);
    if (r != EP_OK) return r;
    if (list.n > 0) {
        char path[EP__WAL_PATH_MAX];
        ep_wal_segment_header h;
        uint64_t size = 0;
        ep_error e2;
        r = ep__wal_seg_path(dir, list.ids[0], path, sizeof path);
        /* An unreadable header is the replay's to report (or to accept as a torn create). */
        if (r == EP_OK && ep__wal_read_header(vfs, path, list.ids[0], &h, &size, &e2) == EP_OK) *first = h.first_id;
        r = EP_OK;
    }
    ep__wal_list_free(&list);
    return r;
}

typedef struct ep__walr_apply {
    ep_wal_record_fn apply;
    void *user;
    uint64_t applied;
} ep__walr_apply;

static ep_result ep__walr_apply_fn(void *user, uint64_t id, const uint8_t *data, size_t len) {
    ep__walr_apply *a = (ep__walr_apply *)user;
    a->applied++;
    return a->apply ? a->apply(a->user, id, data, len) : EP_OK;
}

EP_API ep_result ep_wal_recover(const char *dir, const ep_wal_recover_config *cfg, ep_wal_init_fn init,
                                ep_wal_record_fn apply, void *user, ep_wal_recover_info *info, ep_error *err) {
    ep_wal_recover_config c;
    ep_wal_recover_info dummy;
    ep_checkpoint_config cc;
    ep_vfs os, *vfs;
    uint8_t *state = NULL;
    size_t state_len = 0;
    uint64_t ckpt_id = 0, first = 0;
    ep__walr_apply a;
    ep_result r;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    if (!dir) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "wal recover: no directory");
    ep_wal_recover_config_init(&c);
    if (cfg) c = *cfg;
    if (!(vfs = ep__walr_vfs(c.read.vfs, &os, err))) return EP_ERR_UNSUPPORTED;
    c.read.vfs = vfs;
    if (c.checkpoint_path) {
        ep_checkpoint_config_init(&cc);
        cc.vfs = vfs;
        cc.alloc = c.read.alloc;
        cc.max_payload = c.max_checkpoint;
        r = ep_checkpoint_read(&cc, c.checkpoint_path, &ckpt_id, &state, &state_len, err);
        if (r == EP_OK) {
            info->has_checkpoint = 1;
        } else if (r == EP_ERR_NOT_FOUND) {
            ckpt_id = 0;
        } else if (c.ignore_corrupt_checkpoint && r != EP_ERR_NOMEM && r != EP_ERR_IO) {
            info->checkpoint_ignored = 1;
            ckpt_id = 0;
        } else {
            return r;
        }
    }
    info->checkpoint_id = ckpt_id;
    if (c.read.ceiling && c.read.ceiling < ckpt_id) {
        ep_free(c.read.alloc, state);
        return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX,
                            "wal recover: ceiling %llu is before the checkpoint at %llu",
                            (unsigned long long)c.read.ceiling, (unsigned long long)ckpt_id);
    }
    /* The gap rule, before anything is applied: the WAL must start at or
     * before the record after the checkpoint (at 1 without one). */
    r = ep__walr_first_id(vfs, c.read.alloc, dir, &first, err);
    if (r == EP_OK && first > ckpt_id + 1) {
        r = ep_error_set(err, EP_ERR_GAP, UINT64_MAX,
                         info->has_checkpoint
                             ? "wal %s starts at id %llu: the records after the checkpoint at %llu are missing"
                             : "wal %s starts at id %llu with no checkpoint covering ids before it (checkpoint id %llu)",
                         dir, (unsigned long long)first, (unsigned long long)ckpt_id);
        if (err) err->index = ckpt_id + 1;
    }
    if (r == EP_OK && init) r = init(user, info->has_checkpoint, ckpt_id, state, state_len);
    ep_free(c.read.alloc, state);
    if (r != EP_OK) return r;
    a.apply = apply;
    a.user = user;
    a.applied = 0;
    c.read.after_id = ckpt_id;
    r = ep_wal_replay(dir, &c.read, ep__walr_apply_fn, &a, &info->replay, err);
    info->applied = a.applied;
    if (r != EP_OK) return r;
    /* ... and reach it: a WAL that ends before the checkpoint lost records
     * the checkpoint claims to cover (nothing was applied: all were <= it). */
    if (info->replay.first_id && info->replay.last_id < ckpt_id &&
        !(c.read.ceiling && info->replay.last_id >= c.read.ceiling)) {
        r = ep_error_set(err, EP_ERR_GAP, UINT64_MAX, "wal %s ends at id %llu, before the checkpoint at %llu", dir,
                         (unsigned long long)info->replay.last_id, (unsigned long long)ckpt_id);
        if (err) err->index = info->replay.last_id + 1;
        return r;
    }
    info->last_id = info->replay.last_delivered > ckpt_id ? info->replay.last_delivered : ckpt_id;
    return EP_OK;
}

#endif /* EP_NO_WAL */
