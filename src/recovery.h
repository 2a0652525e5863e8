/* recovery: placeholder; its issue fills this part in. */
#ifndef EP_RECOVERY_H
#define EP_RECOVERY_H

#include "base.h"

#endif /* EP_RECOVERY_H */
