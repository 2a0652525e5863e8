/* Constant-time check of the portable AES-256-GCM path, run under valgrind
 * (make ctcheck). The key, plaintext, AAD and tag are marked undefined; memcheck
 * then reports every branch and every memory index that depends on them,
 * so a clean run means no secret-dependent branch or lookup. Outputs are
 * marked defined before they are checked; the library itself marks only the
 * final "tag matched" bit defined (EP__CT_DECLASSIFY) before branching on it.
 *
 * Built with -DEP_CTCHECK_SELFTEST the library compares tags with an early
 * exit, and this run must fail (make ctcheck-selftest shows it does). */
#include <valgrind/memcheck.h>
#define EP__CT_DECLASSIFY(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdio.h>

#define SECRET(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))

static int failures = 0;

static void expect(int cond, const char *what) {
    if (!cond) {
        printf("ctcheck: FAIL %s\n", what);
        failures++;
    }
}

int main(void) {
    static uint8_t pt[300], ct[300], back[300], aad[40];
    uint8_t key[32], iv[12], iv16[16], tag[16], tag2[16];
    ep_gcm g;
    ep_result r;
    size_t i;
    for (i = 0; i < sizeof key; i++) key[i] = (uint8_t)(i * 7 + 1);
    for (i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)i;
    for (i = 0; i < sizeof aad; i++) aad[i] = (uint8_t)(i ^ 0x5a);
    memset(iv, 3, sizeof iv);
    memset(iv16, 4, sizeof iv16);

    SECRET(key, sizeof key);
    SECRET(pt, sizeof pt);
    SECRET(aad, sizeof aad);
    r = ep_gcm_init(&g, key, EP_CRYPTO_PORTABLE); /* key schedule, H */
    expect(r == EP_OK, "init");

    /* seal: 12-byte IV, a partial last block, AAD */
    r = ep_gcm_seal(&g, iv, 12, aad, sizeof aad, pt, 299, ct, tag);
    PUBLIC(ct, sizeof ct);
    PUBLIC(tag, sizeof tag);
    expect(r == EP_OK, "seal");

    /* open with a secret tag: succeeds, then fails on a flipped bit */
    memcpy(tag2, tag, 16);
    SECRET(tag2, sizeof tag2);
    r = ep_gcm_open(&g, iv, 12, aad, sizeof aad, ct, 299, tag2, back);
    PUBLIC(back, sizeof back);
    PUBLIC(pt, sizeof pt);
    expect(r == EP_OK && memcmp(back, pt, 299) == 0, "open");
    ct[5] ^= 1;
    SECRET(tag2, sizeof tag2);
    r = ep_gcm_open(&g, iv, 12, aad, sizeof aad, ct, 299, tag2, back);
    PUBLIC(back, sizeof back);
    expect(r == EP_ERR_DECRYPT, "open of a tampered ciphertext fails");
    for (i = 0; i < 299; i++) expect(back[i] == 0, "failed open leaves zeros");
    ct[5] ^= 1;
    tag2[15] ^= 0x80; /* differs only in the last byte */
    SECRET(tag2, sizeof tag2);
    r = ep_gcm_open(&g, iv, 12, aad, sizeof aad, ct, 299, tag2, back);
    expect(r == EP_ERR_DECRYPT, "open with a wrong tag fails");

    /* another IV length goes through GHASH */
    SECRET(pt, sizeof pt);
    r = ep_gcm_seal(&g, iv16, 16, NULL, 0, pt, 64, ct, tag);
    PUBLIC(ct, sizeof ct);
    PUBLIC(tag, sizeof tag);
    expect(r == EP_OK, "seal, 16-byte IV");
    ep_gcm_wipe(&g);

    /* the key object too */
    {
        ep_key *k;
        uint8_t env[12 + 100 + 16];
        SECRET(key, sizeof key);
        SECRET(pt, sizeof pt);
        r = ep_key_create_impl(key, EP_CRYPTO_PORTABLE, NULL, &k);
        expect(r == EP_OK, "key");
        if (r == EP_OK) {
            expect(ep_key_seal(k, pt, 100, env) == EP_OK, "key seal");
            PUBLIC(env, sizeof env);
            expect(ep_key_open(k, env, env + 12, 116, back) == EP_OK, "key open");
            ep_key_free(k);
        }
    }
    printf("ctcheck: portable AES-256-GCM ran with secret key, data and tag%s\n",
           failures ? "" : "; see valgrind's verdict");
    return failures ? 1 : 0;
}
