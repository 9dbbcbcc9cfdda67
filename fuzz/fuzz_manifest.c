/* fuzz_manifest.c - libFuzzer target: what `steward verify` reads from untrusted hands: a
 * document with manifest front matter, the manifest's JSON, its AIGC label. The first
 * byte picks the mode: odd, the rest is a whole document; even, the rest is a list of
 * (offset, xor) edits to a valid signed document, so that the fuzzer reaches the
 * signature, hash and label checks and not only the front-matter split. */
#include "steward/keys.h"
#include "steward/label.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static uint8_t g_pub[1][SW_SIGN_PUBLIC_BYTES];
static sw_buf g_doc;

/* A valid document signed by a fixed key; aborts if it does not verify (a broken
 * round trip is itself a finding). */
static void init_once(void) {
    static int done;
    if (done) return;
    done = 1;
    if (sodium_init() < 0) abort();
    uint8_t seed[crypto_sign_SEEDBYTES] = {7}, sk[SW_SIGN_SECRET_BYTES];
    crypto_sign_seed_keypair(g_pub[0], sk, seed);
    sw_label_opts lo;
    sw_label_opts_default(&lo);
    const char *text = "[AI-generated content]\nWhat light through yonder window breaks?";
    sw_manifest_input in = {.id = "fuzz-0001", .labelled_text = text, .labelled_len = strlen(text),
                            .text = text + 23, .text_len = strlen(text) - 23,
                            .model_sha256 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                            .policy_sha256 = NULL, .watermark = NULL, .audit_index = 3, .label = &lo};
    sw_err err;
    json_t *m = sw_manifest_create(&in, sk, &err);
    if (!m || sw_manifest_embed(m, text, strlen(text), &g_doc, &err) < 0) abort();
    json_decref(m);
    json_t *mm;
    const char *t;
    size_t tl;
    if (sw_manifest_extract(g_doc.data, g_doc.len, &mm, &t, &tl, &err) < 0) abort();
    if (sw_manifest_verify(mm, t, tl, (const uint8_t(*)[SW_SIGN_PUBLIC_BYTES])g_pub, 1, &err) < 0) abort();
    json_decref(mm);
}

static void check_doc(const char *doc, size_t len) {
    json_t *m = NULL;
    const char *text;
    size_t tl;
    sw_err err;
    if (sw_manifest_extract(doc, len, &m, &text, &tl, &err) < 0) return;
    if (text < doc || text + tl > doc + len) abort(); /* the text must lie inside the document */
    sw_manifest_verify(m, text, tl, (const uint8_t(*)[SW_SIGN_PUBLIC_BYTES])g_pub, 1, &err);
    json_t *label = json_object_get(m, "label");
    if (label) sw_label_aigc_check(label, &err);
    json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_once();
    if (size == 0) return 0;
    if (data[0] & 1) {
        check_doc((const char *)data + 1, size - 1);
        return 0;
    }
    char *doc = malloc(g_doc.len + 1);
    if (!doc) return 0;
    memcpy(doc, g_doc.data, g_doc.len + 1);
    for (size_t i = 1; i + 2 < size; i += 3) {
        size_t at = ((size_t)data[i] | (size_t)data[i + 1] << 8) % g_doc.len;
        doc[at] ^= (char)data[i + 2];
    }
    check_doc(doc, g_doc.len);
    free(doc);
    return 0;
}
