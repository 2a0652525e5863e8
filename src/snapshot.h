/* snapshot: placeholder; its issue fills this part in. */
#ifndef EP_SNAPSHOT_H
#define EP_SNAPSHOT_H

#include "base.h"

#endif /* EP_SNAPSHOT_H */
