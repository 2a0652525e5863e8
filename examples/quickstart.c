/* The README's quick start, compiled by `make` so it stays true.
 * Appends to shard-0.aof in the current directory, then recovers it. */
#include "ember_persist.h"
#include <stdio.h>
#include <string.h>

static ep_bytes str(const char *s) { return ep_bytes_of(s, strlen(s)); }

int main(void) {
    ep_aof_writer_config wc;
    ep_aof_writer *aof;
    ep_recover_config rc;
    ep_recover_result res;
    ep_keyspace_iter it;
    const ep_ks_entry *e;
    ep_error err;

    /* Write: every call returns once its record is fsynced (EP_FSYNC_ALWAYS). */
    ep_aof_writer_config_init(&wc);
    wc.fsync = EP_FSYNC_ALWAYS;
    if (ep_aof_writer_open("shard-0.aof", &wc, &aof, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    ep_aof_set(aof, str("user:1"), str("ada"), -1);   /* -1: no expiry */
    ep_aof_incr(aof, str("visits"));
    if (ep_aof_writer_close(aof)) return 1;

    /* Read back: snapshot (if any) + AOF replay into an in-memory keyspace. */
    ep_recover_config_init(&rc);
    if (ep_recover_shard(".", 0, &rc, &res, NULL)) return 1;
    ep_keyspace_iter_init(&it);
    while ((e = ep_keyspace_next(res.keyspace, &it)) != NULL) {
        ep_bytes k = ep_ks_entry_key(e), v = ep_ks_entry_value(e);
        printf("%.*s = %.*s\n", (int)k.len, (const char *)k.data, (int)v.len, (const char *)v.data);
    }
    ep_recover_result_free(&res);
    return 0;
}
