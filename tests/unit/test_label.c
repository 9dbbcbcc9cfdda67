/* test_label.c - explicit labels, AIGC field rules, signed manifests: any one-byte change
 * to the text, the manifest or the signature fails verification, and says which. */
#include "steward/label.h"
#include "t.h"

#include <sodium.h>
#include <stdlib.h>

static uint8_t pk[SW_SIGN_PUBLIC_BYTES], sk[SW_SIGN_SECRET_BYTES];

static json_t *make_manifest(const char *labelled, const char *text, long long audit) {
    sw_label_opts lo;
    sw_label_opts_default(&lo);
    json_t *wm = json_pack("{s:s,s:f}", "scheme", "kgw-selfhash", "gamma", 0.25);
    sw_manifest_input in = {NULL, labelled, strlen(labelled), text, strlen(text), "ab12", NULL, wm, audit, &lo};
    json_t *m = sw_manifest_create(&in, sk, NULL);
    json_decref(wm);
    return m;
}

static void test_explicit_label(void) {
    sw_label_opts o;
    sw_label_opts_default(&o);
    sw_buf b = {0};
    T_CHECK(sw_label_apply(&o, "hello", 5, &b, NULL) == 0);
    T_CHECK(strcmp(b.data, "[AI-generated content]\nhello") == 0);
    sw_buf_reset(&b);
    o.position = SW_LABEL_BOTH;
    o.lang = "zh";
    T_CHECK(sw_label_apply(&o, "你好", strlen("你好"), &b, NULL) == 0);
    T_CHECK(strcmp(b.data, "【本内容由人工智能生成】\n你好\n【本内容由人工智能生成】") == 0);
    o.lang = "fr";
    sw_err e;
    T_CHECK(sw_label_apply(&o, "x", 1, &b, &e) == -1 && strstr(e.msg, "fr"));
    sw_buf_free(&b);
}

static void test_aigc_rules(void) {
    sw_label_opts o;
    sw_label_opts_default(&o);
    json_t *l = sw_label_aigc(&o, "id1", "00ff");
    sw_err e;
    T_CHECK(sw_label_aigc_check(l, &e) == 0);
    json_t *a = json_object_get(l, "AIGC");
    T_CHECK(strcmp(json_string_value(json_object_get(a, "Label")), "1") == 0);
    json_object_set_new(a, "Label", json_string("4"));
    T_CHECK(sw_label_aigc_check(l, &e) == -1 && strstr(e.msg, "Label"));
    json_object_set_new(a, "Label", json_string("2"));
    json_object_del(a, "PropagateID");
    T_CHECK(sw_label_aigc_check(l, &e) == -1 && strstr(e.msg, "PropagateID"));
    json_decref(l);
}

static void test_manifest_roundtrip(void) {
    const char *text = "The quick brown fox.";
    const char *labelled = "[AI-generated content]\nThe quick brown fox.";
    json_t *m = make_manifest(labelled, text, 7);
    T_CHECK(m != NULL);
    sw_err e;
    T_CHECK_MSG(sw_manifest_verify(m, labelled, strlen(labelled), &pk, 1, &e) == 0, "%s", e.msg);
    T_CHECK(json_integer_value(json_object_get(m, "audit_index")) == 7);
    /* front matter form */
    sw_buf doc = {0};
    T_CHECK(sw_manifest_embed(m, labelled, strlen(labelled), &doc, &e) == 0);
    json_t *m2;
    const char *body;
    size_t blen;
    T_CHECK(sw_manifest_extract(doc.data, doc.len, &m2, &body, &blen, &e) == 0);
    T_CHECK(blen == strlen(labelled) && memcmp(body, labelled, blen) == 0);
    T_CHECK(sw_manifest_verify(m2, body, blen, &pk, 1, &e) == 0);
    json_decref(m2);
    T_CHECK(sw_manifest_extract("plain text", 10, &m2, &body, &blen, &e) == -1 && strstr(e.msg, "no manifest"));
    sw_buf_free(&doc);
    json_decref(m);
}

static void test_any_byte_change_fails(void) {
    const char *labelled = "[AI-generated content]\nSome generated text, 42.";
    json_t *m = make_manifest(labelled, labelled + 23, -1);
    sw_err e;
    size_t n = strlen(labelled);
    char *t = strdup(labelled);
    int undetected = 0;
    for (size_t i = 0; i < n; i++) {
        t[i] ^= 1;
        if (sw_manifest_verify(m, t, n, &pk, 1, &e) == 0 || !strstr(e.msg, "content")) undetected++;
        t[i] ^= 1;
    }
    T_CHECK_MSG(undetected == 0, "%d text changes undetected", undetected);
    free(t);
    /* every byte of the serialised manifest (signature included) */
    char *js = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
    size_t jn = strlen(js);
    int sig_named = 0;
    undetected = 0;
    for (size_t i = 0; i < jn; i++) {
        js[i] ^= 1;
        json_t *mm = json_loads(js, 0, NULL);
        if (mm) {
            if (sw_manifest_verify(mm, labelled, n, &pk, 1, &e) == 0) undetected++;
            else sig_named += strstr(e.msg, "signature") != NULL;
            json_decref(mm);
        }
        js[i] ^= 1;
    }
    T_CHECK_MSG(undetected == 0, "%d manifest changes undetected", undetected);
    T_CHECK(sig_named > 0);
    free(js);
    json_decref(m);
}

/* A key repeated in the front matter (a forged content_sha256 put before the real one)
 * must not verify: jansson kept the last, the signature covered it, the reader saw the
 * first. Now the manifest does not even parse. A BOM or CRLF front matter is named. */
static void test_duplicate_keys_and_editors(void) {
    const char *text = "Hello.";
    json_t *m = make_manifest(text, text, 1);
    sw_buf doc = {0};
    sw_err e;
    T_CHECK(sw_manifest_embed(m, text, strlen(text), &doc, &e) == 0);
    const char *open = "---\naigc_manifest: {";
    T_CHECK(doc.len > strlen(open) && memcmp(doc.data, open, strlen(open)) == 0);
    sw_buf forged = {0};
    sw_buf_append(&forged, doc.data, strlen(open));
    sw_buf_puts(&forged, "\"content_sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\",");
    sw_buf_append(&forged, doc.data + strlen(open), doc.len - strlen(open));
    json_t *m2 = NULL;
    const char *body;
    size_t blen;
    T_CHECK(sw_manifest_extract(forged.data, forged.len, &m2, &body, &blen, &e) == -1);
    T_CHECK_MSG(strstr(e.msg, "twice") != NULL, "%s", e.msg);
    json_decref(m2);
    sw_buf bom = {0};
    sw_buf_puts(&bom, "\xEF\xBB\xBF");
    sw_buf_append(&bom, doc.data, doc.len);
    T_CHECK(sw_manifest_extract(bom.data, bom.len, &m2, &body, &blen, &e) == -1 && strstr(e.msg, "byte-order mark"));
    const char *crlf = "---\r\naigc_manifest: {}\r\n---\r\nHello.";
    T_CHECK(sw_manifest_extract(crlf, strlen(crlf), &m2, &body, &blen, &e) == -1 && strstr(e.msg, "CRLF"));
    sw_buf_free(&bom);
    sw_buf_free(&forged);
    sw_buf_free(&doc);
    json_decref(m);
}

static void test_key_rotation(void) {
    const char *labelled = "text";
    json_t *old = make_manifest(labelled, labelled, -1);
    uint8_t trusted[2][SW_SIGN_PUBLIC_BYTES];
    memcpy(trusted[0], pk, sizeof pk);
    crypto_sign_keypair(pk, sk); /* rotate */
    memcpy(trusted[1], pk, sizeof pk);
    json_t *fresh = make_manifest(labelled, labelled, -1);
    sw_err e;
    T_CHECK(sw_manifest_verify(old, labelled, 4, trusted, 2, &e) == 0);
    T_CHECK(sw_manifest_verify(fresh, labelled, 4, trusted, 2, &e) == 0);
    /* an untrusted signer fails even though its signature is internally valid */
    T_CHECK(sw_manifest_verify(old, labelled, 4, &trusted[1], 1, &e) == -1 && strstr(e.msg, "trust"));
    json_decref(old);
    json_decref(fresh);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    crypto_sign_keypair(pk, sk);
    T_RUN(test_explicit_label);
    T_RUN(test_aigc_rules);
    T_RUN(test_manifest_roundtrip);
    T_RUN(test_any_byte_change_fails);
    T_RUN(test_key_rotation);
    T_RUN(test_duplicate_keys_and_editors);
    return t_done();
}
