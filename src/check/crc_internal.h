/* crc_internal: what the CRC part offers other parts privately. */
#ifndef EP_CRC_INTERNAL_H
#define EP_CRC_INTERNAL_H

#include "base/internal.h"
#include "check/crc.h"

/* ep_crc32_update(ep_crc32(a, alen), b, blen): the CRC of a followed by b,
 * which need not be adjacent (a WAL frame's CRC skips its own field), in one
 * folding pass where the CPU has it. */
EP__PRIV uint32_t ep__crc32_two(const void *a, size_t alen, const void *b, size_t blen);

#endif /* EP_CRC_INTERNAL_H */
