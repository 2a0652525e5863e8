/* The default build's AES-256-GCM (bitsliced portable path, or the
 * hardware one), callable from a test program that compiles the library
 * itself with other options (test_crypto_small) and so cannot name it. */
#ifndef GCM_FAST_H
#define GCM_FAST_H

#include <stddef.h>
#include <stdint.h>

/* ep_gcm_init + ep_gcm_seal of the linked library; impl as ep_crypto_impl.
 * Returns the ep_result. */
int gcm_fast_seal(int impl, const uint8_t key[32], const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                  size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16]);
/* ep_crypto_hw_available of the linked library. */
int gcm_fast_hw(void);

#endif
