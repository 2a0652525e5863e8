/* vfs_mem: placeholder; its issue fills this part in. */
#include "internal.h"
