/* recover_internal: helpers shared by the recover layer's parts (private). */
#ifndef EP_RECOVER_INTERNAL_H
#define EP_RECOVER_INTERNAL_H

#include "base/internal.h"
#include "recover/recovery.h"

#ifndef EP_NO_KEYSPACE /* defined in maintain.c, which needs the keyspace */

/* Recovers shard shard_id of dir into a keyspace (out, freed by the caller
 * with ep_recover_result_free when this returns EP_OK or EP_ERR_CORRUPT)
 * and refuses a shard that does not recover cleanly: a snapshot present
 * but not loaded, or an AOF that stops at an error, is EP_ERR_CORRUPT
 * (acting on it would make the loss permanent). The one call of
 * ep_recover_shard for the tools' whole-shard operations. */
EP__PRIV ep_result ep__recover_clean(const char *dir, ep_shard_id shard_id, const ep_recover_config *rc,
                                     ep_recover_result *out, int *have_out, ep_error *err);

/* now + ttl_ms (both >= 0), or INT64_MAX if that does not fit: the
 * absolute deadline of a remaining ttl. */
EP__PRIV int64_t ep__deadline(int64_t now, int64_t ttl_ms);

/* A recovery clock that reads the int64_t Unix ms user points to. */
EP__PRIV int64_t ep__fixed_clock(void *user);

#endif /* EP_NO_KEYSPACE */
#endif
