/* crc: CRC-32 (IEEE 802.3 / zlib polynomial, reflected, init and xorout
 * 0xFFFFFFFF; check value 0xCBF43926). A portable slicing path and a
 * carry-less-multiply folding path (x86-64 PCLMULQDQ, AArch64 PMULL), chosen
 * at run time. Incremental: crc = ep_crc32_update(crc, more, n), starting at 0. */
#ifndef EP_CRC_H
#define EP_CRC_H

#include "base/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The best path this CPU supports. ep_crc32_update(0, d, n) == zlib crc32(0, d, n). */
EP_API uint32_t ep_crc32_update(uint32_t crc, const void *data, size_t len);
EP_API uint32_t ep_crc32(const void *data, size_t len);
/* The portable path, forced (tests and benchmarks compare the two). */
EP_API uint32_t ep_crc32_update_portable(uint32_t crc, const void *data, size_t len);
/* Non-zero if the carry-less-multiply path is compiled in and this CPU has it. */
EP_API int ep_crc32_hw_available(void);
/* The carry-less-multiply path, forced; falls back to portable if unavailable. */
EP_API uint32_t ep_crc32_update_hw(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* EP_CRC_H */
