/* vfs_win32: placeholder; its issue fills this part in. */
#include "internal.h"
