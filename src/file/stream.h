/* stream: the one file-layer core under every writer and reader of the
 * library (ember AOF and snapshot today; WAL segments, RESP AOF, RDB next).
 * Private (ep__*): the public API is the formats' own. */
#ifndef EP_STREAM_H
#define EP_STREAM_H

#include "base/internal.h"
#include "vfs/vfs.h"

/* Creates the missing directories of dir, shortest first ("a", "a/b" ...),
 * and syncs the parent of each one created so its entry survives power
 * loss. Directories that exist are left alone. */
EP__PRIV ep_result ep__stream_make_dirs(ep_vfs *vfs, const ep_allocator *alloc, const char *dir, ep_error *err);

#endif /* EP_STREAM_H */
