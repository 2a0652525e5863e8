/* keyfile: key files on a vfs (32 raw bytes, or 64 hex digits with ASCII
 * whitespace around them; ep_key_parse in crypto says exactly what passes). */
#ifndef EP_KEYFILE_H
#define EP_KEYFILE_H

#include "base/base.h"
#include "crypto/crypto.h"
#include "vfs/vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read and parse a key file through a vfs (NULL = OS). */
EP_API ep_result ep_key_load_file(ep_vfs *vfs, const char *path, const ep_allocator *alloc,
                                  ep_key **out, ep_error *err);
/* Write a fresh random key as 64 hex digits + newline, mode 0600; refuses to overwrite. */
EP_API ep_result ep_key_generate_file(ep_vfs *vfs, const char *path, ep_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EP_KEYFILE_H */
