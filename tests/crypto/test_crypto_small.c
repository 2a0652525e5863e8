/* EP_SMALL_AES (byte-wise AES with the S-box computed into the context,
 * bitwise GHASH): the library is compiled here with the option (and
 * EMBER_PERSIST_STATIC, beside the default build this program also links),
 * and the whole of test_crypto.c runs on it (Wycheproof, OpenSSL live or
 * committed, ember's E1/E2, every flipped bit, key files). One more case
 * seals random messages with the small path and with the default build's
 * bitsliced and hardware paths and compares them byte for byte. */
#define EP_SMALL_AES
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "support/gcm_fast.h"

#include "crypto/test_crypto.c"

EPT_CASE(small_matches_the_fast_paths) {
    uint64_t st = ept_seed();
    uint8_t key[32], iv[64], aad[80], pt[600], ct[600], tag[16], ct2[600], tag2[16];
    int impl_list[2] = {EP_CRYPTO_PORTABLE, EP_CRYPTO_HW};
    long n, rounds = ept_scale(300, 10), compared = 0;
    EPT_CHECK(ep_crypto_hw_available() == 0); /* the small build has no hardware path */
    for (n = 0; n < rounds; n++) {
        size_t len = (size_t)(ept_rand(&st) % sizeof pt), aad_len = (size_t)(ept_rand(&st) % sizeof aad);
        size_t iv_len = n % 4 == 3 ? 1 + (size_t)(ept_rand(&st) % sizeof iv) : 12, i;
        ep_gcm g;
        int k;
        for (i = 0; i < sizeof key; i++) key[i] = (uint8_t)ept_rand(&st);
        for (i = 0; i < iv_len; i++) iv[i] = (uint8_t)ept_rand(&st);
        for (i = 0; i < aad_len; i++) aad[i] = (uint8_t)ept_rand(&st);
        for (i = 0; i < len; i++) pt[i] = (uint8_t)ept_rand(&st);
        EPT_CHECK_OK(ep_gcm_init(&g, key, EP_CRYPTO_AUTO));
        EPT_CHECK_OK(ep_gcm_seal(&g, iv, iv_len, aad, aad_len, pt, len, ct, tag));
        ep_gcm_wipe(&g);
        for (k = 0; k < 2; k++) {
            if (impl_list[k] == EP_CRYPTO_HW && !gcm_fast_hw()) continue;
            EPT_CHECK_EQ(gcm_fast_seal(impl_list[k], key, iv, iv_len, aad, aad_len, pt, len, ct2, tag2), EP_OK);
            EPT_CHECK(memcmp(ct, ct2, len) == 0);
            EPT_CHECK(memcmp(tag, tag2, 16) == 0);
            compared++;
        }
    }
    printf("  %ld seals compared with the default build's paths (hardware: %s)\n", compared,
           gcm_fast_hw() ? "yes" : "no");
}
