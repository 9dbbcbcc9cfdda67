/* keys.h - the instance's keys under $STEWARD_HOME/keys: Ed25519 signing keys and
 * symmetric secret keys (watermark, guard pseudonyms).
 *
 * A key named NAME lives in keys/NAME.key (64-byte libsodium secret key, mode 0600) and
 * keys/NAME.pub (32-byte public key). Rotating keeps the old public key as
 * keys/NAME.pub.<keyid>, so that what it signed still verifies. */
#ifndef STEWARD_KEYS_H
#define STEWARD_KEYS_H

#include "steward/core.h"

#define SW_KEYS_MAX_OLD 64

typedef struct sw_keypair {
    uint8_t pk[32];
    uint8_t sk[64];
} sw_keypair;

/* Loads key NAME from home/keys, creating it (directory 0700, secret 0600) on first use.
 * -1 when a file is not a regular file, unreadable, has the wrong size, or the secret is
 * readable by others; and -1 when the secret is missing but NAME.pub exists: a lost key
 * is never replaced silently (the message says to restore it or rotate explicitly). */
int sw_keys_load_or_create(const char *home, const char *name, sw_keypair *kp, sw_err *err);
/* Generates a new key NAME, archiving the current public key first (also when the secret
 * was lost: this is the way to start over). old (may be NULL) receives the previous
 * public key and *had_old whether there was one. */
int sw_keys_rotate(const char *home, const char *name, sw_keypair *kp, uint8_t old[32],
                   int *had_old, sw_err *err);
/* All public keys of NAME, current first, then archived ones; *n receives the count
 * (at most max). Missing keys give n = 0 and success. */
int sw_keys_public_all(const char *home, const char *name, uint8_t (*pubs)[32], size_t max,
                       size_t *n, sw_err *err);
/* Short identifier of a public key: hex of the first 8 bytes of SHA-256(pk), out[17]. */
void sw_keys_id(const uint8_t pk[32], char out[17]);
/* Wipes a key pair from memory. */
void sw_keys_wipe(sw_keypair *kp);
/* Short identifier of any key bytes: hex of the first 8 bytes of SHA-256(key). */
void sw_keys_id_bytes(const uint8_t *key, size_t n, char out[17]);

/* ---- symmetric secret keys: keys/NAME.key (n random bytes, mode 0600) ---- */
#define SW_KEYS_SECRET_MAX 64
/* Loads secret key NAME, creating it on first use (two processes starting at once get
 * the same key). -1 when unreadable, of another size, or readable by others; and -1 when
 * it is missing but retired keys NAME.key.<id> exist (lost, not replaced silently). */
int sw_keys_secret_load_or_create(const char *home, const char *name, uint8_t *key, size_t n,
                                  sw_err *err);
/* Retires the current key as keys/NAME.key.<keyid> (kept, 0600) and creates a new one
 * (also when the current one was lost). */
int sw_keys_secret_rotate(const char *home, const char *name, uint8_t *key, size_t n, sw_err *err);
/* The current key, then retired ones, into keys[max][n]; *count receives how many. */
int sw_keys_secret_all(const char *home, const char *name, uint8_t *keys, size_t n, size_t max,
                       size_t *count, sw_err *err);

#endif
