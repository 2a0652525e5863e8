/* The CRC-32 oracle for the tests: zlib's crc32, or, in builds for a target
 * with no zlib to link (EPT_NO_ZLIB, set by tools/cross.sh), a bitwise CRC-32
 * written from the polynomial alone. Both are independent of the library's
 * table and folding paths; the bitwise one is slow but has nothing to get
 * wrong about word size or byte order. */
#ifndef EPT_ORACLE_CRC_H
#define EPT_ORACLE_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifndef EPT_NO_ZLIB
#include <zlib.h>
#endif

static inline uint32_t ept_oracle_crc32(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
#ifndef EPT_NO_ZLIB
    /* zlib takes uInt lengths; feed it in pieces so any size_t works. */
    while (n > 0) {
        uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, step);
        p += step;
        n -= step;
    }
    return crc;
#else
    crc = ~crc;
    while (n-- > 0) {
        int k;
        crc ^= *p++;
        for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
#endif
}

/* The name printed next to a mismatch. */
#ifndef EPT_NO_ZLIB
#define EPT_ORACLE_CRC_NAME "zlib"
#else
#define EPT_ORACLE_CRC_NAME "bitwise reference"
#endif

#endif
