/* retention.c - optional retention of generated content, each item encrypted under its own
 * key (secretbox); forgetting destroys the key (crypto-shredding) while the audit records
 * and their hashes stay verifiable.
 *
 * vault/keys: 64-byte slots {u64 created (unix s), u64 data offset, u32 data length,
 *             u32 state (1 live, 2 forgotten), key[32], reserved[8]}
 * vault/data: per slot, nonce[24] || secretbox ciphertext */
#include "audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SLOT_BYTES 64
#define STATE_LIVE 1
#define STATE_FORGOTTEN 2

typedef struct slot_t {
    uint64_t created, off;
    uint32_t len, state;
    uint8_t key[crypto_secretbox_KEYBYTES];
} slot_t;

static void enc_slot(const slot_t *s, uint8_t b[SLOT_BYTES]) {
    memset(b, 0, SLOT_BYTES);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(s->created >> (8 * i));
    for (int i = 0; i < 8; i++) b[8 + i] = (uint8_t)(s->off >> (8 * i));
    for (int i = 0; i < 4; i++) b[16 + i] = (uint8_t)(s->len >> (8 * i));
    for (int i = 0; i < 4; i++) b[20 + i] = (uint8_t)(s->state >> (8 * i));
    memcpy(b + 24, s->key, 32);
}

static void dec_slot(const uint8_t b[SLOT_BYTES], slot_t *s) {
    s->created = s->off = 0;
    s->len = s->state = 0;
    for (int i = 7; i >= 0; i--) s->created = s->created << 8 | b[i];
    for (int i = 7; i >= 0; i--) s->off = s->off << 8 | b[8 + i];
    for (int i = 3; i >= 0; i--) s->len = s->len << 8 | b[16 + i];
    for (int i = 3; i >= 0; i--) s->state = s->state << 8 | b[20 + i];
    memcpy(s->key, b + 24, 32);
}

/* Opens the vault files on first use; vault_mu held. */
static int vault_open(sw_audit *a, sw_err *err) {
    if (a->vault_keys_fd >= 0) return 0;
    char dir[4300], path[4400];
    snprintf(dir, sizeof dir, "%s/vault", a->dir);
    if (!a->read_only && sw_mkdirs(dir, 0700, err) < 0) return -1;
    int flags = (a->read_only ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC;
    snprintf(path, sizeof path, "%s/keys", dir);
    a->vault_keys_fd = open(path, flags, 0600);
    if (a->vault_keys_fd < 0) return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/data", dir);
    a->vault_data_fd = open(path, flags, 0600);
    if (a->vault_data_fd < 0) {
        close(a->vault_keys_fd);
        a->vault_keys_fd = -1;
        return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    }
    return 0;
}

void audit_vault_close(sw_audit *a) {
    if (a->vault_keys_fd >= 0) close(a->vault_keys_fd);
    if (a->vault_data_fd >= 0) close(a->vault_data_fd);
    a->vault_keys_fd = a->vault_data_fd = -1;
}

static int nslots(sw_audit *a, uint64_t *n, sw_err *err) {
    struct stat st;
    if (fstat(a->vault_keys_fd, &st) != 0) return sw_err_set(err, "vault keys: stat: %s", strerror(errno));
    *n = (uint64_t)st.st_size / SLOT_BYTES;
    return 0;
}

static int read_slot(sw_audit *a, uint64_t i, slot_t *s, sw_err *err) {
    uint64_t n;
    if (nslots(a, &n, err) < 0) return -1;
    if (i >= n) return sw_err_set(err, "retained content slot %" PRIu64 " does not exist (%" PRIu64 " slots)", i, n);
    uint8_t b[SLOT_BYTES];
    if (audit_pread(a->vault_keys_fd, b, SLOT_BYTES, i * SLOT_BYTES, "vault keys", err) < 0) return -1;
    dec_slot(b, s);
    sodium_memzero(b, sizeof b);
    return 0;
}

static int write_slot(sw_audit *a, uint64_t i, const slot_t *s, sw_err *err) {
    uint8_t b[SLOT_BYTES];
    enc_slot(s, b);
    int rc = audit_pwrite(a->vault_keys_fd, b, SLOT_BYTES, i * SLOT_BYTES, "vault keys", err);
    sodium_memzero(b, sizeof b);
    if (rc == 0 && fdatasync(a->vault_keys_fd) != 0) rc = sw_err_set(err, "vault keys: fdatasync: %s", strerror(errno));
    return rc;
}

int sw_audit_retain(sw_audit *a, const void *content, size_t len, uint64_t *slot_out, sw_err *err) {
    if (a->read_only) return sw_err_set(err, "audit log opened read-only");
    if (len > SW_AUDIT_MAX_RECORD) return sw_err_set(err, "retained content of %zu bytes is too large", len);
    size_t clen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    uint8_t *box = malloc(clen);
    if (!box) return sw_err_set(err, "out of memory");
    slot_t s = {0};
    crypto_secretbox_keygen(s.key);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, content, len, box, s.key);
    pthread_mutex_lock(&a->vault_mu);
    int rc = vault_open(a, err);
    uint64_t n = 0;
    struct stat st;
    if (rc == 0) rc = nslots(a, &n, err);
    if (rc == 0 && fstat(a->vault_data_fd, &st) != 0) rc = sw_err_set(err, "vault data: stat failed");
    if (rc == 0) {
        s.created = (uint64_t)time(NULL);
        s.off = (uint64_t)st.st_size;
        s.len = (uint32_t)clen;
        s.state = STATE_LIVE;
        rc = audit_pwrite(a->vault_data_fd, box, clen, s.off, "vault data", err);
        if (rc == 0 && fdatasync(a->vault_data_fd) != 0) rc = sw_err_set(err, "vault data: fdatasync failed");
        if (rc == 0) rc = write_slot(a, n, &s, err);
    }
    pthread_mutex_unlock(&a->vault_mu);
    sodium_memzero(&s, sizeof s);
    free(box);
    if (rc == 0) *slot_out = n;
    return rc;
}

/* Decrypts slot i into out; vault open, vault_mu held. */
static int recall_locked(sw_audit *a, uint64_t i, sw_buf *out, sw_err *err) {
    slot_t s;
    int rc = read_slot(a, i, &s, err);
    uint8_t *box = NULL;
    if (rc == 0 && s.state != STATE_LIVE)
        rc = sw_err_set(err, "retained content slot %" PRIu64 " was forgotten (its key is destroyed)", i);
    if (rc == 0 && (s.len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
                    s.len > SW_AUDIT_MAX_RECORD + 64))
        rc = sw_err_set(err, "retained content slot %" PRIu64 ": bad length %u", i, s.len);
    if (rc == 0 && !(box = malloc(s.len))) rc = sw_err_set(err, "out of memory");
    if (rc == 0) rc = audit_pread(a->vault_data_fd, box, s.len, s.off, "vault data", err);
    if (rc == 0) {
        size_t plen = s.len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
        size_t base = out->len;
        if (sw_buf_append(out, NULL, 0) < 0) rc = sw_err_set(err, "out of memory");
        uint8_t *pt = malloc(plen + 1);
        if (!pt) rc = sw_err_set(err, "out of memory");
        else if (crypto_secretbox_open_easy(pt, box + crypto_secretbox_NONCEBYTES,
                                            s.len - crypto_secretbox_NONCEBYTES, box, s.key) != 0)
            rc = sw_err_set(err, "retained content slot %" PRIu64 ": does not decrypt (altered)", i);
        else if (sw_buf_append(out, pt, plen) < 0)
            rc = sw_err_set(err, "out of memory");
        if (rc < 0) out->len = base;
        if (pt) sodium_memzero(pt, plen);
        free(pt);
    }
    sodium_memzero(&s, sizeof s);
    free(box);
    return rc;
}

int sw_audit_recall(sw_audit *a, uint64_t i, sw_buf *out, sw_err *err) {
    pthread_mutex_lock(&a->vault_mu);
    int rc = vault_open(a, err);
    if (rc == 0) rc = recall_locked(a, i, out, err);
    pthread_mutex_unlock(&a->vault_mu);
    return rc;
}

/* What record `index` claims: "retained":{"slot":N} and "content_sha256" (64 lower-case
 * hex digits). -1 naming the record when either is missing or malformed. */
static int record_claim(sw_audit *a, uint64_t index, uint64_t *slot_out, uint8_t hash[SW_HASH_BYTES],
                        sw_err *err) {
    sw_buf b = {0};
    if (sw_audit_read(a, index, &b, err) < 0) {
        sw_buf_free(&b);
        return -1;
    }
    json_error_t je;
    json_t *rec = json_loadb(b.data, b.len, 0, &je);
    sw_buf_free(&b);
    json_t *r = json_object_get(rec, "retained"), *s = json_object_get(r, "slot");
    const char *hx = json_string_value(json_object_get(rec, "content_sha256"));
    int rc = 0;
    if (!json_is_object(r) || !json_is_integer(s) || json_integer_value(s) < 0)
        rc = sw_err_set(err, "record %" PRIu64 " has no retained content (no \"retained\":{\"slot\":N})", index);
    else if (!hx || strlen(hx) != 2 * SW_HASH_BYTES || strspn(hx, "0123456789abcdef") != 2 * SW_HASH_BYTES ||
             sodium_hex2bin(hash, SW_HASH_BYTES, hx, strlen(hx), NULL, NULL, NULL) != 0)
        rc = sw_err_set(err, "record %" PRIu64 " claims retained content but has no \"content_sha256\" "
                        "to check the slot against: refusing", index);
    else
        *slot_out = (uint64_t)json_integer_value(s);
    json_decref(rec);
    return rc;
}

static int forget_locked(sw_audit *a, uint64_t i, int *did, sw_err *err) {
    slot_t s;
    *did = 0;
    if (read_slot(a, i, &s, err) < 0) return -1;
    if (s.state == STATE_FORGOTTEN) return 0;
    sodium_memzero(s.key, sizeof s.key);
    s.state = STATE_FORGOTTEN;
    *did = 1;
    return write_slot(a, i, &s, err);
}

int sw_audit_forget(sw_audit *a, uint64_t i, sw_err *err) {
    if (a->read_only) return sw_err_set(err, "audit log opened read-only");
    pthread_mutex_lock(&a->vault_mu);
    int did;
    int rc = vault_open(a, err);
    if (rc == 0) rc = forget_locked(a, i, &did, err);
    pthread_mutex_unlock(&a->vault_mu);
    return rc;
}

int sw_audit_forget_expired(sw_audit *a, int64_t max_age_s, int64_t now, uint64_t *count, sw_err *err) {
    *count = 0;
    if (a->read_only) return sw_err_set(err, "audit log opened read-only");
    pthread_mutex_lock(&a->vault_mu);
    uint64_t n = 0;
    int rc = vault_open(a, err);
    if (rc == 0) rc = nslots(a, &n, err);
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        slot_t s;
        if ((rc = read_slot(a, i, &s, err)) < 0) break;
        int expired = s.state == STATE_LIVE && (int64_t)s.created + max_age_s <= now;
        sodium_memzero(&s, sizeof s);
        int did = 0;
        if (expired && (rc = forget_locked(a, i, &did, err)) == 0 && did) (*count)++;
    }
    pthread_mutex_unlock(&a->vault_mu);
    return rc;
}

int sw_audit_record_slot(sw_audit *a, uint64_t index, uint64_t *slot_out, sw_err *err) {
    uint8_t hash[SW_HASH_BYTES];
    return record_claim(a, index, slot_out, hash, err);
}

/* 1 when the slot's content decrypts and hashes to `hash`; 0 when it holds other content;
 * -1 when it cannot be read or was forgotten. vault_mu held. */
static int slot_matches(sw_audit *a, uint64_t i, const uint8_t hash[SW_HASH_BYTES], sw_err *err) {
    sw_buf b = {0};
    if (recall_locked(a, i, &b, err) < 0) {
        sw_buf_free(&b);
        return -1;
    }
    uint8_t h[SW_HASH_BYTES];
    sw_sha256(b.data, b.len, h);
    if (b.data) sodium_memzero(b.data, b.len);
    sw_buf_free(&b);
    return sodium_memcmp(h, hash, SW_HASH_BYTES) == 0;
}

/* The error for a record whose slot holds other content; returns -1. */
static int claim_mismatch(uint64_t index, uint64_t slot, sw_err *err) {
    return sw_err_set(err, "record %" PRIu64 " claims retained content slot %" PRIu64 ", but that slot "
                      "holds content whose hash differs from the record's content_sha256 (the slot "
                      "belongs to another record): refusing", index, slot);
}

int sw_audit_recall_record(sw_audit *a, uint64_t index, sw_buf *out, sw_err *err) {
    uint64_t slot;
    uint8_t hash[SW_HASH_BYTES];
    if (record_claim(a, index, &slot, hash, err) < 0) return -1;
    size_t base = out->len;
    pthread_mutex_lock(&a->vault_mu);
    int rc = vault_open(a, err);
    if (rc == 0) rc = recall_locked(a, slot, out, err);
    pthread_mutex_unlock(&a->vault_mu);
    if (rc < 0) return sw_err_prefix(err, "record %" PRIu64, index);
    uint8_t h[SW_HASH_BYTES];
    sw_sha256(out->data + base, out->len - base, h);
    if (sodium_memcmp(h, hash, SW_HASH_BYTES) != 0) {
        sodium_memzero(out->data + base, out->len - base);
        out->len = base;
        return claim_mismatch(index, slot, err);
    }
    return 0;
}

int sw_audit_forget_record(sw_audit *a, uint64_t index, sw_err *err) {
    if (a->read_only) return sw_err_set(err, "audit log opened read-only");
    uint64_t slot;
    uint8_t hash[SW_HASH_BYTES];
    if (record_claim(a, index, &slot, hash, err) < 0) return -1;
    pthread_mutex_lock(&a->vault_mu);
    slot_t s;
    int did, rc = vault_open(a, err);
    if (rc == 0) rc = read_slot(a, slot, &s, err);
    if (rc == 0 && s.state == STATE_LIVE) { /* a forgotten slot stays forgotten: idempotent */
        int m = slot_matches(a, slot, hash, err);
        rc = m < 0 ? -1 : m == 0 ? claim_mismatch(index, slot, err) : forget_locked(a, slot, &did, err);
    }
    sodium_memzero(&s, sizeof s);
    pthread_mutex_unlock(&a->vault_mu);
    return rc;
}
