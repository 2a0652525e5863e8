/* The decoders with their fast paths compiled out (EP__NO_FAST_DECODE): the
 * general path, as a reference for differential tests of the fast ones. */
#ifndef EPT_SLOW_DECODE_H
#define EPT_SLOW_DECODE_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

ep_result slow_aof_frame(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed);
ep_result slow_aof_decode(const uint8_t *data, size_t len, ep_aof_record *rec, size_t *consumed);
ep_result slow_snap_entry_decode(const uint8_t *data, size_t len, int version, ep_snap_entry *out,
                                 size_t *consumed);

/* Field by field (views by address and length): do the fast and the
 * general path agree on what they decoded? */
int ept_same_aof_record(const ep_aof_record *a, const ep_aof_record *b);
int ept_same_snap_entry(const ep_snap_entry *a, const ep_snap_entry *b);

/* size bytes of zeros that cost no memory until written (a sparse private
 * mapping), for inputs whose lengths sit at the format's caps; NULL where
 * the platform or address space has none. */
uint8_t *ept_zero_map(size_t size);
void ept_zero_unmap(uint8_t *p, size_t size);

#ifdef __cplusplus
}
#endif

#endif
