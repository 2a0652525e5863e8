/* crc64: CRC-64/Jones as Redis computes it for RDB files and DUMP payloads
 * (polynomial 0xad93d23594c935a9, reflected, init 0, no final xor; check
 * value ep_crc64("123456789") = 0xe9c6d914c4b8d9ca). A slicing-by-8 table
 * path and a carry-less-multiply folding path (x86-64 PCLMULQDQ, AArch64
 * PMULL), chosen at run time. Incremental: crc = ep_crc64_update(crc, more, n), starting at 0. */
#ifndef EP_CRC64_H
#define EP_CRC64_H

#include "base/base.h"

#ifndef EP_NO_REDIS

#ifdef __cplusplus
extern "C" {
#endif

EP_API uint64_t ep_crc64_update(uint64_t crc, const void *data, size_t len);
EP_API uint64_t ep_crc64(const void *data, size_t len);
/* The table path, forced (tests and benchmarks compare the two). */
EP_API uint64_t ep_crc64_update_portable(uint64_t crc, const void *data, size_t len);
/* Non-zero if the folding path is compiled in and this CPU has it. */
EP_API int ep_crc64_hw_available(void);
/* The folding path, forced; the table path where it is unavailable. */
EP_API uint64_t ep_crc64_update_hw(uint64_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* EP_NO_REDIS */
#endif /* EP_CRC64_H */
