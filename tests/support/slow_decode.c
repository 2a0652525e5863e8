/* A second, private copy of the implementation (every function static), built
 * without the decoders' fast paths; see slow_decode.h. */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE /* MAP_ANONYMOUS and MAP_NORESERVE under -std=c99 */
#endif
#define EMBER_PERSIST_IMPLEMENTATION
#define EMBER_PERSIST_STATIC
#define EP__NO_FAST_DECODE
#include "ember_persist.h"
#include "slow_decode.h"

#if !defined(_WIN32)
#  include <sys/mman.h>
#endif

ep_result slow_aof_frame(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed) {
    return ep_aof_frame(data, len, rec, consumed);
}

ep_result slow_aof_decode(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed) {
    return ep_aof_decode(data, len, rec, consumed);
}

ep_result slow_snap_entry_decode(const uint8_t *data, size_t len, int version, ep_snap_entry *out,
                                 size_t *consumed) {
    return ep_snap_entry_decode(data, len, version, out, consumed);
}

uint8_t *ept_zero_map(size_t size) {
#if !defined(_WIN32) && defined(MAP_ANONYMOUS) && defined(MAP_NORESERVE)
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? NULL : (uint8_t *)m;
#else
    (void)size;
    return NULL;
#endif
}

void ept_zero_unmap(uint8_t *p, size_t size) {
#if !defined(_WIN32) && defined(MAP_ANONYMOUS) && defined(MAP_NORESERVE)
    if (p) munmap(p, size);
#else
    (void)p;
    (void)size;
#endif
}
