#include "ember_persist.h"
#include "support/gcm_fast.h"

int gcm_fast_seal(int impl, const uint8_t key[32], const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                  size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16]) {
    ep_gcm g;
    ep_result r = ep_gcm_init(&g, key, (ep_crypto_impl)impl);
    if (r == EP_OK) r = ep_gcm_seal(&g, iv, iv_len, aad, aad_len, pt, len, ct, tag);
    ep_gcm_wipe(&g);
    return (int)r;
}

int gcm_fast_hw(void) { return ep_crypto_hw_available(); }
