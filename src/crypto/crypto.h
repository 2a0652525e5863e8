/* crypto: AES-256-GCM written here (no OpenSSL), OS randomness for nonces,
 * and the key object. A portable constant-time path and an AES-NI + PCLMULQDQ
 * path (AArch64 crypto extensions where they compile), chosen at run time.
 * EP_NO_ENCRYPTION compiles all of it out (key calls return EP_ERR_UNSUPPORTED). */
#ifndef EP_CRYPTO_H
#define EP_CRYPTO_H

#include "base/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Private: 0 under EP_NO_ENCRYPTION. No key can be made there, and a reader
 * or writer given one anyway refuses it at open (EP__KEY_REFUSED:
 * EP_ERR_UNSUPPORTED), so the file layer tests its v3 (encrypted) paths
 * with EP__CRYPTO and they leave the link. */
#if defined(EP_NO_ENCRYPTION)
#define EP__CRYPTO 0
#else
#define EP__CRYPTO 1
#endif
#define EP__KEY_REFUSED(key) (!EP__CRYPTO && (key) != NULL)
#define EP_KEY_SIZE 32
#define EP_NONCE_SIZE 12
#define EP_TAG_SIZE 16

/* Which implementation a GCM context uses. */
typedef enum ep_crypto_impl {
    EP_CRYPTO_AUTO = 0,      /* the fastest this CPU supports */
    EP_CRYPTO_PORTABLE = 1,  /* constant-time C */
    EP_CRYPTO_HW = 2         /* AES-NI/PCLMULQDQ or ARMv8 crypto; EP_ERR_UNSUPPORTED if absent */
} ep_crypto_impl;

/* Non-zero if the hardware path is compiled in and this CPU has it. */
EP_API int ep_crypto_hw_available(void);

/* ---- low level AES-256-GCM ---------------------------------------------- */
/* Expanded key material for one key; wipe with ep_gcm_wipe. Opaque size so
 * it can live on the stack. */
typedef struct ep_gcm {
    uint64_t opaque[128];
    int impl;                /* the resolved ep_crypto_impl */
} ep_gcm;

EP_API ep_result ep_gcm_init(ep_gcm *ctx, const uint8_t key[EP_KEY_SIZE], ep_crypto_impl impl);
EP_API void ep_gcm_wipe(ep_gcm *ctx);
/* ct (len bytes) and tag; iv of iv_len bytes (12 is the normal case; other
 * lengths go through GHASH as the GCM spec says); aad may be NULL if aad_len 0.
 * ct may equal pt (in place). */
EP_API ep_result ep_gcm_seal(const ep_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                             size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
                             uint8_t tag[EP_TAG_SIZE]);
/* EP_ERR_DECRYPT if the tag does not match (compared in constant time); pt is
 * then zeroed. pt may equal ct. */
EP_API ep_result ep_gcm_open(const ep_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                             size_t aad_len, const uint8_t *ct, size_t len, const uint8_t tag[EP_TAG_SIZE],
                             uint8_t *pt);

/* ---- OS randomness ------------------------------------------------------ */
/* getrandom / getentropy / /dev/urandom / BCryptGenRandom; EP_ERR_NO_RANDOM if none works. */
EP_API ep_result ep_random_bytes(void *buf, size_t len);

/* ---- key object --------------------------------------------------------- */
/* An AES-256-GCM key as ember uses it: random 96-bit nonce per message, no
 * AAD, tag appended. The key wipes itself on free. */
typedef struct ep_key ep_key;

EP_API ep_result ep_key_create(const uint8_t bytes[EP_KEY_SIZE], const ep_allocator *alloc, ep_key **out);
/* Same with an explicit implementation (tests compare the paths). */
EP_API ep_result ep_key_create_impl(const uint8_t bytes[EP_KEY_SIZE], ep_crypto_impl impl,
                                    const ep_allocator *alloc, ep_key **out);
EP_API void ep_key_free(ep_key *key);
/* Key file content: exactly 32 bytes = raw key; otherwise ASCII whitespace
 * around exactly 64 hex digits. Anything else is EP_ERR_KEY_FILE. */
EP_API ep_result ep_key_parse(const uint8_t *content, size_t len, uint8_t out[EP_KEY_SIZE]);
/* out = nonce(12) || ciphertext(len) || tag(16): len + 28 bytes; a fresh random nonce. */
EP_API ep_result ep_key_seal(const ep_key *key, const void *pt, size_t len, uint8_t *out);
/* The same with a caller-chosen nonce (test vectors). */
EP_API ep_result ep_key_seal_nonce(const ep_key *key, const uint8_t nonce[EP_NONCE_SIZE], const void *pt,
                                   size_t len, uint8_t *out_ct_and_tag);
/* ct_and_tag is len bytes (>= 16); pt gets len - 16 bytes. EP_ERR_DECRYPT on any mismatch. */
EP_API ep_result ep_key_open(const ep_key *key, const uint8_t nonce[EP_NONCE_SIZE], const uint8_t *ct_and_tag,
                             size_t len, uint8_t *pt);

#ifdef __cplusplus
}
#endif

#endif /* EP_CRYPTO_H */
