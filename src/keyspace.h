/* keyspace: placeholder; its issue fills this part in. */
#ifndef EP_KEYSPACE_H
#define EP_KEYSPACE_H

#include "base.h"

#endif /* EP_KEYSPACE_H */
