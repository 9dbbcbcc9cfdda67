/* sha256.c - the program's one SHA-256: OpenSSL libcrypto's, which picks its SHA-NI,
 * AVX2 or portable code at run time; measured fastest here (docs/DEPENDENCIES.md). */
#include "steward/core.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#define FILE_CHUNK (1 << 16)

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md; /* fetched once: an implicit fetch per call costs a lookup */
static pthread_key_t ctx_key;
static int ctx_key_ok;

static void free_ctx(void *c) { EVP_MD_CTX_free(c); }

static void setup(void) {
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    ctx_key_ok = pthread_key_create(&ctx_key, free_ctx) == 0;
}

/* This thread's digest context, made on first use and freed when the thread ends;
 * NULL only when OpenSSL cannot allocate it. */
static EVP_MD_CTX *thread_ctx(void) {
    pthread_once(&setup_once, setup);
    if (!sha256_md || !ctx_key_ok) return NULL;
    EVP_MD_CTX *c = pthread_getspecific(ctx_key);
    if (!c && (c = EVP_MD_CTX_new()) != NULL && pthread_setspecific(ctx_key, c) != 0) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    if (c && EVP_DigestInit_ex(c, sha256_md, NULL) != 1) c = NULL;
    return c;
}

/* When OpenSSL cannot allocate (out of memory), libsodium's SHA-256 computes the same
 * digest without allocating: hashing never fails. */
void sw_sha256_parts(const void *const *parts, const size_t *lens, size_t count, uint8_t out[SW_SHA256_BYTES]) {
    EVP_MD_CTX *c = thread_ctx();
    unsigned int olen = SW_SHA256_BYTES;
    int ok = c != NULL;
    for (size_t i = 0; ok && i < count; i++) ok = EVP_DigestUpdate(c, parts[i], lens[i]) == 1;
    if (ok && EVP_DigestFinal_ex(c, out, &olen) == 1) return;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < count; i++) crypto_hash_sha256_update(&st, parts[i], lens[i]);
    crypto_hash_sha256_final(&st, out);
}

void sw_sha256(const void *p, size_t n, uint8_t out[SW_SHA256_BYTES]) { sw_sha256_parts(&p, &n, 1, out); }

void sw_sha256_hex(const void *p, size_t n, char out[2 * SW_SHA256_BYTES + 1]) {
    uint8_t h[SW_SHA256_BYTES];
    sw_sha256(p, n, h);
    sw_hex(h, sizeof h, out);
}

int sw_sha256_file_hex(const char *path, char hex[2 * SW_SHA256_BYTES + 1], sw_err *err) {
    EVP_MD_CTX *c = thread_ctx();
    if (!c) return sw_err_set(err, "%s: SHA-256: out of memory", path);
    int fd = sw_file_open_regular(path, 0, NULL, err);
    if (fd < 0) return -1;
    static _Thread_local unsigned char chunk[FILE_CHUNK];
    ssize_t n;
    int ok = 1;
    while (ok && ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0) ok = EVP_DigestUpdate(c, chunk, (size_t)n) == 1;
    int e = errno;
    close(fd);
    if (ok && n < 0) return sw_err_set(err, "%s: read error: %s", path, strerror(e));
    uint8_t out[SW_SHA256_BYTES];
    unsigned int olen = sizeof out;
    if (!ok || EVP_DigestFinal_ex(c, out, &olen) != 1) return sw_err_set(err, "%s: SHA-256 failed", path);
    sw_hex(out, sizeof out, hex);
    return 0;
}
