/* crypto.c - SHA-256 and hex helpers over libsodium. */
#include "steward/core.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
    int fd = sw_file_open_regular(path, 0, NULL, err);
    if (fd < 0) return -1;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char chunk[1 << 16];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) crypto_hash_sha256_update(&st, chunk, (size_t)n);
    int e = errno;
    close(fd);
    if (n < 0) return sw_err_set(err, "%s: read error: %s", path, strerror(e));
    uint8_t out[SW_SHA256_BYTES];
    crypto_hash_sha256_final(&st, out);
    sw_hex(out, sizeof out, hex);
    return 0;
}
