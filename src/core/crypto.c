/* crypto.c - SHA-256 and hex helpers over libsodium. */
#include "steward/core.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int sw_crypto_init(sw_err *err) {
    if (sodium_init() < 0) return sw_err_set(err, "libsodium: initialisation failed");
    return 0;
}

void sw_sha256(const void *p, size_t n, uint8_t out[SW_SHA256_BYTES]) {
    crypto_hash_sha256(out, (const unsigned char *)p, n);
}

void sw_hex(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

void sw_sha256_hex(const void *p, size_t n, char out[2 * SW_SHA256_BYTES + 1]) {
    uint8_t h[SW_SHA256_BYTES];
    sw_sha256(p, n, h);
    sw_hex(h, sizeof h, out);
}

int sw_sha256_file_hex(const char *path, char hex[2 * SW_SHA256_BYTES + 1], sw_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) crypto_hash_sha256_update(&st, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) return sw_err_set(err, "%s: read error", path);
    uint8_t out[SW_SHA256_BYTES];
    crypto_hash_sha256_final(&st, out);
    sw_hex(out, sizeof out, hex);
    return 0;
}
