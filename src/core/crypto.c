/* crypto.c - libsodium initialisation and the hex helper (SHA-256 is in sha256.c). */
#include "steward/core.h"

#include <sodium.h>

int sw_crypto_init(sw_err *err) {
    if (sodium_init() < 0) return sw_err_set(err, "libsodium: initialisation failed");
    return 0;
}

void sw_hex(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}
