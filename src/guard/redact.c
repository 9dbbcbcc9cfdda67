/* redact.c - redaction operators: <TYPE>, masking, keyed pseudonyms (HMAC-SHA256) and
 * reversible encryption (XChaCha20-Poly1305) with restoration of encrypted values. */
#include "guard_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Subkeys, so that a pseudonym never reveals anything about the encryption key. */
static void subkey(const uint8_t *key, const char *label, uint8_t out[32]) {
    crypto_generichash(out, 32, (const unsigned char *)label, strlen(label), key, 32);
}

static const char *label_of(const sw_guard_finding *f) {
    if (strcmp(f->category, "pii") == 0 || strcmp(f->category, "secret") == 0) return f->type;
    return f->category;
}

static int put_mask(sw_buf *b, const char *s, size_t n, int keep) {
    /* count code points, then star all but the last `keep` */
    size_t cps = 0;
    for (size_t i = 0; i < n; i++) cps += ((unsigned char)s[i] & 0xC0) != 0x80;
    size_t star = cps > (size_t)keep ? cps - (size_t)keep : 0;
    if (cps <= (size_t)keep) star = cps; /* a value no longer than `keep` is hidden whole */
    size_t i = 0, c = 0;
    while (i < n) {
        size_t l = 1;
        while (i + l < n && ((unsigned char)s[i + l] & 0xC0) == 0x80) l++;
        if (c < star) {
            if (sw_buf_append(b, "*", 1) < 0) return -1;
        } else if (sw_buf_append(b, s + i, l) < 0) return -1;
        i += l;
        c++;
    }
    return 0;
}

static int put_hash(sw_buf *b, const uint8_t *key, const char *label, const char *s, size_t n) {
    uint8_t k[32], mac[crypto_auth_hmacsha256_BYTES];
    subkey(key, "steward-guard-pseudonym", k);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k, sizeof k);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, strlen(label) + 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)s, n);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(k, sizeof k);
    char hex[17];
    sw_hex(mac, 8, hex);
    return sw_buf_printf(b, "<%s_%s>", label, hex);
}

static int put_encrypted(sw_buf *b, const uint8_t *key, const char *label, const char *s, size_t n) {
    uint8_t k[32];
    subkey(key, "steward-guard-encrypt", k);
    size_t clen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + n + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    unsigned char *c = malloc(clen);
    size_t b64len = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *e = malloc(b64len);
    int rc = -1;
    if (c && e) {
        randombytes_buf(c, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
        unsigned long long out;
        crypto_aead_xchacha20poly1305_ietf_encrypt(c + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &out,
                                                   (const unsigned char *)s, n, (const unsigned char *)label,
                                                   strlen(label), NULL, c, k);
        sodium_bin2base64(e, b64len, c, clen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        rc = sw_buf_printf(b, "<ENC:%s:%s>", label, e);
    }
    sodium_memzero(k, sizeof k);
    free(c);
    free(e);
    return rc;
}

static int cmp_start(const void *a, const void *b) {
    const sw_guard_finding *x = *(const sw_guard_finding *const *)a, *y = *(const sw_guard_finding *const *)b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

int gredact(const char *text, size_t len, const uint8_t *key, sw_guard_verdict *v) {
    sw_guard_finding **r = malloc((v->n_findings + 1) * sizeof *r);
    if (!r) return -1;
    size_t nr = 0;
    for (size_t i = 0; i < v->n_findings; i++)
        if (v->findings[i].action == SW_ACT_REDACT && v->findings[i].end <= len) r[nr++] = &v->findings[i];
    qsort(r, nr, sizeof *r, cmp_start);
    sw_buf b = {0};
    int rc = sw_buf_append(&b, "", 0);
    size_t pos = 0;
    for (size_t i = 0; i < nr && rc == 0; i++) {
        const sw_guard_finding *f = r[i];
        size_t s = f->start, e = f->end;
        if (s < pos) { /* overlaps the previous redaction: extend it only */
            if (e > pos) pos = e;
            continue;
        }
        /* the union of findings overlapping this one is redacted by this one's operator */
        for (size_t j = i + 1; j < nr && r[j]->start < e; j++)
            if (r[j]->end > e) e = r[j]->end;
        rc = sw_buf_append(&b, text + pos, s - pos);
        const char *label = label_of(f);
        int op = f->op;
        if ((op == GOP_HASH || op == GOP_ENCRYPT) && !key) op = GOP_REPLACE;
        if (rc == 0) switch (op) {
            case GOP_MASK: rc = put_mask(&b, text + s, e - s, f->op_arg); break;
            case GOP_HASH: rc = put_hash(&b, key, label, text + s, e - s); break;
            case GOP_ENCRYPT: rc = put_encrypted(&b, key, label, text + s, e - s); break;
            case GOP_REMOVE: break;
            default: rc = sw_buf_printf(&b, "<%s>", label); break;
            }
        pos = e;
    }
    if (rc == 0 && pos < len) rc = sw_buf_append(&b, text + pos, len - pos);
    free(r);
    if (rc < 0) {
        sw_buf_free(&b);
        return -1;
    }
    free(v->redacted);
    v->redacted = b.data;
    v->redacted_len = b.len;
    return 0;
}

/* Decrypts one <ENC:LABEL:DATA> token into out; 0 when it decrypted, 1 when not. */
static int restore_token(const uint8_t *key, const char *tok, size_t n, sw_buf *out) {
    const char *label = tok + 5, *colon = memchr(label, ':', n - 5);
    if (!colon) return 1;
    size_t ll = (size_t)(colon - label);
    const char *data = colon + 1;
    size_t dl = n - 5 - ll - 1 - 1; /* minus the closing '>' */
    if (ll == 0 || ll > 40) return 1;
    size_t maxbin = dl * 3 / 4 + 3, bin_len;
    unsigned char *bin = malloc(maxbin + 1), *m = malloc(maxbin + 1);
    int rc = 1;
    char lab[41];
    memcpy(lab, label, ll);
    lab[ll] = 0;
    if (bin && m &&
        sodium_base642bin(bin, maxbin, data, dl, NULL, &bin_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
        bin_len >= crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        uint8_t k[32];
        subkey(key, "steward-guard-encrypt", k);
        unsigned long long mlen;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                m, &mlen, NULL, bin + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                bin_len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, (const unsigned char *)lab, ll, bin, k) == 0)
            rc = sw_buf_append(out, m, (size_t)mlen) < 0 ? -1 : 0;
        sodium_memzero(k, sizeof k);
    }
    if (m) sodium_memzero(m, maxbin + 1);
    free(bin);
    free(m);
    return rc;
}

int gredact_restore(const uint8_t *key, const char *text, size_t len, sw_buf *out) {
    size_t pos = 0;
    if (sw_buf_append(out, "", 0) < 0) return -1;
    while (pos < len) {
        const char *p = key ? memmem(text + pos, len - pos, "<ENC:", 5) : NULL;
        if (!p) break;
        const char *end = memchr(p, '>', len - (size_t)(p - text));
        if (!end) break;
        if (sw_buf_append(out, text + pos, (size_t)(p - text) - pos) < 0) return -1;
        int rc = restore_token(key, p, (size_t)(end - p) + 1, out);
        if (rc < 0) return -1;
        if (rc == 1 && sw_buf_append(out, p, (size_t)(end - p) + 1) < 0) return -1;
        pos = (size_t)(end - text) + 1;
    }
    return sw_buf_append(out, text + pos, len - pos);
}
