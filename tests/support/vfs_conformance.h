/* vfs_conformance: one behaviour suite that every ep_vfs must pass (the OS
 * vfs, the in-memory vfs, the fault wrapper, the power-loss simulator). */
#ifndef VFS_CONFORMANCE_H
#define VFS_CONFORMANCE_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs every check against vfs with files under root (an existing, empty
 * directory). Failures go to the current test case via ept_fail. */
void vfs_conformance_run(ep_vfs *vfs, const char *root);

#ifdef __cplusplus
}
#endif

#endif
