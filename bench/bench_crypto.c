/* AES-256-GCM seal throughput: our portable and hardware paths against
 * OpenSSL's EVP with its assembly (AES-NI + PCLMUL) and without it. The
 * no-assembly figures come from re-running this program with
 * OPENSSL_ia32cap masking CPU features, since OpenSSL reads it once:
 *   ~0x200000200000000  AES-NI and PCLMUL off; OpenSSL then still runs its
 *                       SSSE3 assembly (vpaes + 4-bit GHASH tables)
 *   ~0x200020200000000  SSSE3 off as well: OpenSSL's C code (T-table AES),
 *                       the fair peer for our portable C. */
#include "bench.h"
#include "ember_persist.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define NSIZES 3
static const size_t sizes[NSIZES] = {64, 1024, 16384};
/* The machine is shared: each figure is the best of several short runs,
 * taken in turns (the masked OpenSSL children too) so that load hits every
 * contender alike, and timed in CPU time of the process, which another
 * program's load disturbs far less than wall time. */
static const double min_time = 0.06;
#define ROUNDS 7

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t key[32], iv[12], buf[16384], out[16384], tag[16];

static double max2(double a, double b) {
    return a > b ? a : b;
}

static double mbps(size_t size, long iters, double secs) {
    return (double)size * (double)iters / secs / 1e6;
}

static double bench_ours(ep_crypto_impl impl, size_t size) {
    ep_gcm g;
    long iters = 0, batch = (long)(4000000 / (size + 64)) + 1, i;
    double t0, t;
    if (ep_gcm_init(&g, key, impl) != EP_OK) return 0;
    t0 = cpu_now();
    do {
        for (i = 0; i < batch; i++) {
            iv[0]++;
            ep_gcm_seal(&g, iv, 12, NULL, 0, buf, size, out, tag);
        }
        iters += batch;
        t = cpu_now() - t0;
    } while (t < min_time);
    ep_gcm_wipe(&g);
    return mbps(size, iters, t);
}

/* Per message what a caller does: set the IV, encrypt, finish, take the tag. */
static double bench_openssl(size_t size) {
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    long iters = 0, batch = (long)(4000000 / (size + 64)) + 1, i;
    double t0, t;
    int n;
    EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, NULL);
    t0 = cpu_now();
    do {
        for (i = 0; i < batch; i++) {
            iv[0]++;
            EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv);
            EVP_EncryptUpdate(x, out, &n, buf, (int)size);
            EVP_EncryptFinal_ex(x, out + n, &n);
            EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag);
        }
        iters += batch;
        t = cpu_now() - t0;
    } while (t < min_time);
    EVP_CIPHER_CTX_free(x);
    return mbps(size, iters, t);
}

/* Runs this program again with CPU features masked for OpenSSL (one run per
 * size) and keeps the best figures in res. */
static int openssl_masked(const char *self, const char *mask, double *res) {
    char cmd[1200];
    FILE *p;
    int i, ok = 1;
    snprintf(cmd, sizeof cmd, "OPENSSL_ia32cap='%s' '%s' --openssl-only", mask, self);
    p = popen(cmd, "r");
    if (!p) return 0;
    for (i = 0; i < NSIZES; i++) {
        double v;
        if (fscanf(p, "%lf", &v) != 1) ok = 0;
        else res[i] = max2(res[i], v);
    }
    if (pclose(p) != 0) ok = 0;
    return ok;
}

int main(int argc, char **argv) {
    double port[NSIZES], hw[NSIZES], ossl[NSIZES], noasm[NSIZES], vpaes[NSIZES];
    int i, k, have_hw = ep_crypto_hw_available(), have_noasm, have_vpaes;
    char label[96];
    memset(key, 0x42, sizeof key);
    for (i = 0; i < (int)sizeof buf; i++) buf[i] = (uint8_t)i;
    if (argc > 1 && strcmp(argv[1], "--openssl-only") == 0) {
        for (i = 0; i < NSIZES; i++) printf("%f\n", bench_openssl(sizes[i]));
        return 0;
    }
    printf("AES-256-GCM seal, MB/s of CPU time, best of %d interleaved rounds (12-byte IV, no AAD)\n", ROUNDS);
    have_noasm = have_vpaes = 1;
    for (i = 0; i < NSIZES; i++) port[i] = hw[i] = ossl[i] = noasm[i] = vpaes[i] = 0;
    for (k = 0; k < ROUNDS; k++) {
        have_noasm &= openssl_masked(argv[0], "~0x200020200000000", noasm);
        have_vpaes &= openssl_masked(argv[0], "~0x200000200000000", vpaes);
        for (i = 0; i < NSIZES; i++) {
            port[i] = max2(port[i], bench_ours(EP_CRYPTO_PORTABLE, sizes[i]));
            if (have_hw) hw[i] = max2(hw[i], bench_ours(EP_CRYPTO_HW, sizes[i]));
            ossl[i] = max2(ossl[i], bench_openssl(sizes[i]));
        }
    }
    for (i = 0; i < NSIZES; i++) {
        printf(" %zu-byte messages\n", sizes[i]);
        bench_line("ep portable (constant-time C)", port[i], "MB/s", have_noasm ? port[i] / noasm[i] : 0,
                   have_noasm ? "vs OpenSSL no-asm" : NULL);
        if (have_noasm) bench_line("OpenSSL EVP, no asm (C AES)", noasm[i], "MB/s", 0, NULL);
        if (have_vpaes) bench_line("OpenSSL EVP, AES-NI/PCLMUL off (SSSE3 asm)", vpaes[i], "MB/s", 0, NULL);
        if (have_hw) bench_line("ep hardware (AES-NI or VAES + PCLMUL)", hw[i], "MB/s", hw[i] / ossl[i], "vs OpenSSL EVP");
        bench_line("OpenSSL EVP (AES-NI)", ossl[i], "MB/s", 0, NULL);
    }
    printf(" at 16 KiB:\n");
    if (have_hw) {
        snprintf(label, sizeof label, "hw / OpenSSL EVP");
        bench_line(label, hw[2] / ossl[2], "x", 0, NULL);
    } else {
        printf("  hardware path not available on this CPU/build\n");
    }
    if (have_noasm) bench_line("portable / OpenSSL no-asm (C AES)", port[2] / noasm[2], "x", 0, NULL);
    if (have_vpaes) bench_line("portable / OpenSSL SSSE3 asm (vpaes)", port[2] / vpaes[2], "x", 0, NULL);
    else printf("  OpenSSL no-asm run failed\n");
    return 0;
}
