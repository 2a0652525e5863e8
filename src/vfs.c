/* vfs: helpers shared by every vfs (whole-file read/write, paths); placeholder. */
#include "internal.h"
#include "vfs.h"
