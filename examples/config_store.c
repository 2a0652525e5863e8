/* An embedded device's configuration on ep_store: settings live in one
 * hash, every change is durable when the call returns (EP_FSYNC_ALWAYS),
 * and a version counter goes up with each change. Settings can expire
 * (a temporary override) and the log is compacted when it outgrows the
 * snapshot (ep_store_tick with rewrite_factor).
 *
 *   config_store DIR set NAME VALUE     set a setting
 *   config_store DIR get NAME           print it (exit 1 if unset)
 *   config_store DIR del NAME           remove it
 *   config_store DIR override VALUE MS  a temporary "mode" for MS milliseconds
 *   config_store DIR list               every setting, sorted, and the version
 */
#include "ember_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 256

typedef struct setting {
    ep_bytes name, value;
} setting;

static int by_name(const void *a, const void *b) {
    const setting *x = (const setting *)a, *y = (const setting *)b;
    size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
    int c = n ? memcmp(x->name.data, y->name.data, n) : 0;
    return c ? c : (x->name.len > y->name.len) - (x->name.len < y->name.len);
}

static int list(ep_store *st) {
    static setting s[MAX_LIST];
    ep_ks_value_iter it;
    ep_item item;
    ep_bytes mode;
    size_t n = 0, i;
    ep_bytes ver = EP_LIT("0");
    if (ep_store_hgetall(st, EP_LIT("config"), &it) != EP_OK) return 1;
    while (n < MAX_LIST && ep_ks_value_next(&it, &item)) {
        s[n].name = item.a;
        s[n].value = item.b;
        n++;
    }
    qsort(s, n, sizeof s[0], by_name);
    for (i = 0; i < n; i++)
        printf("%.*s=%.*s\n", (int)s[i].name.len, (const char *)s[i].name.data, (int)s[i].value.len,
               (const char *)s[i].value.data);
    if (ep_store_get(st, EP_LIT("mode"), &mode) == EP_OK)
        printf("mode=%.*s (override)\n", (int)mode.len, (const char *)mode.data);
    ep_store_get(st, EP_LIT("version"), &ver);
    printf("version %.*s\n", (int)ver.len, (const char *)ver.data);
    return 0;
}

int main(int argc, char **argv) {
    ep_store_config cfg;
    ep_store *st;
    ep_error err;
    ep_result r = EP_OK;
    int rc = 0, changed = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIR set NAME VALUE | get NAME | del NAME | override VALUE MS | list\n", argv[0]);
        return 2;
    }
    ep_store_config_init(&cfg);
    cfg.create_dir = 1;
    cfg.fsync = EP_FSYNC_ALWAYS; /* a setting is saved when the call returns */
    cfg.aof_buffer_size = 1024;  /* small device: small buffers */
    cfg.rewrite_factor = 4;      /* compact once the log is 4x the snapshot ... */
    cfg.rewrite_min_bytes = 16384; /* ... and over 16 KiB */
    cfg.error_out = &err;
    if (ep_store_open(argv[1], 0, &cfg, &st) != EP_OK) {
        fprintf(stderr, "open %s: %s\n", argv[1], err.message);
        return 1;
    }
    if (strcmp(argv[2], "set") == 0 && argc == 5) {
        ep_bytes name = ep_bytes_str(argv[3]), value = ep_bytes_str(argv[4]);
        r = ep_store_hset(st, EP_LIT("config"), &name, &value, 1, NULL);
        changed = 1;
    } else if (strcmp(argv[2], "get") == 0 && argc == 4) {
        ep_bytes v;
        r = ep_store_hget(st, EP_LIT("config"), ep_bytes_str(argv[3]), &v);
        if (r == EP_OK) printf("%.*s\n", (int)v.len, (const char *)v.data);
        else if (r == EP_ERR_NOT_FOUND) rc = 1, r = EP_OK;
    } else if (strcmp(argv[2], "del") == 0 && argc == 4) {
        ep_bytes name = ep_bytes_str(argv[3]);
        size_t removed = 0;
        r = ep_store_hdel(st, EP_LIT("config"), &name, 1, &removed);
        changed = removed > 0;
    } else if (strcmp(argv[2], "override") == 0 && argc == 5) {
        r = ep_store_set(st, EP_LIT("mode"), ep_bytes_str(argv[3]), atoll(argv[4]), 0);
        changed = 1;
    } else if (strcmp(argv[2], "list") == 0) {
        rc = list(st);
    } else {
        fprintf(stderr, "bad command\n");
        rc = 2;
    }
    if (r == EP_OK && changed) r = ep_store_incr(st, EP_LIT("version"), NULL);
    if (r == EP_OK) r = ep_store_tick(st); /* expiry and compaction, as a main loop would */
    if (r != EP_OK) {
        fprintf(stderr, "%s: %s\n", argv[2], ep_store_error(st)->message);
        rc = 1;
    }
    if (ep_store_close(st) != EP_OK && rc == 0) rc = 1;
    return rc;
}
