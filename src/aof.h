/* aof: placeholder; its issue fills this part in. */
#ifndef EP_AOF_H
#define EP_AOF_H

#include "base.h"

#endif /* EP_AOF_H */
