/* The roots for tools/size.sh: the functions a subset of users call. The
 * linker (ld -r --gc-sections -u ep_size_roots) keeps these and what they
 * reach, and drops the rest of the implementation. One subset per
 * EP_SIZE_SUBSET_* define. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

typedef void (*ep_size_fn)(void);
#define EP_SIZE_ROOT(f) (ep_size_fn)(f)

/* AOF and snapshot writers and readers over the caller's vfs. */
#define EP_SIZE_CORE                                                                                         \
    EP_SIZE_ROOT(ep_vfs_init), EP_SIZE_ROOT(ep_result_str), EP_SIZE_ROOT(ep_aof_path),                       \
        EP_SIZE_ROOT(ep_snapshot_path), EP_SIZE_ROOT(ep_aof_writer_config_init),                             \
        EP_SIZE_ROOT(ep_aof_writer_open), EP_SIZE_ROOT(ep_aof_append), EP_SIZE_ROOT(ep_aof_set),             \
        EP_SIZE_ROOT(ep_aof_del), EP_SIZE_ROOT(ep_aof_writer_sync), EP_SIZE_ROOT(ep_aof_writer_rewrite),     \
        EP_SIZE_ROOT(ep_aof_writer_stats), EP_SIZE_ROOT(ep_aof_writer_close),                            \
        EP_SIZE_ROOT(ep_aof_reader_config_init), EP_SIZE_ROOT(ep_aof_reader_open),                           \
        EP_SIZE_ROOT(ep_aof_reader_next), EP_SIZE_ROOT(ep_aof_reader_close),                                 \
        EP_SIZE_ROOT(ep_snapshot_writer_config_init), EP_SIZE_ROOT(ep_snapshot_writer_begin),                \
        EP_SIZE_ROOT(ep_snapshot_writer_add), EP_SIZE_ROOT(ep_snapshot_writer_add_string),                   \
        EP_SIZE_ROOT(ep_snapshot_writer_commit), EP_SIZE_ROOT(ep_snapshot_writer_abort),                 \
        EP_SIZE_ROOT(ep_snapshot_reader_config_init), EP_SIZE_ROOT(ep_snapshot_reader_open),                 \
        EP_SIZE_ROOT(ep_snapshot_reader_next), EP_SIZE_ROOT(ep_snapshot_reader_close)

const ep_size_fn ep_size_roots[] = {
    EP_SIZE_CORE,
#if defined(EP_SIZE_SUBSET_core_gcm)
    EP_SIZE_ROOT(ep_key_create), EP_SIZE_ROOT(ep_key_free),
#endif
#if defined(EP_SIZE_SUBSET_core_recover)
    EP_SIZE_ROOT(ep_recover_config_init), EP_SIZE_ROOT(ep_recover_shard), EP_SIZE_ROOT(ep_recover_result_free),
#endif
};
