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

/* A manifest rewritten as other JSON tools write it (2.0 as 2, indented, non-ASCII
 * escaped, keys in another order) still verifies; a changed value still does not. */
static void test_rewritten_manifest_verifies(void) {
    const char *labelled = "[AI-generated content]\nCaf\xc3\xa9 au lait.";
    json_t *wm = json_pack("{s:s,s:f,s:f}", "scheme", "kgw-selfhash", "gamma", 0.25, "delta", 2.0);
    sw_label_opts lo;
    sw_label_opts_default(&lo);
    sw_manifest_input in = {NULL, labelled, strlen(labelled), labelled + 23, strlen(labelled) - 23, "ab12", NULL, wm, 3, &lo};
    json_t *m = sw_manifest_create(&in, sk, NULL);
    json_decref(wm);
    T_CHECK(m && strcmp(json_string_value(json_object_get(m, "version")), SW_MANIFEST_VERSION) == 0);
    char *js = json_dumps(m, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    char *two = strstr(js, "2.0");
    T_CHECK(two != NULL);
    if (two) memmove(two + 1, two + 3, strlen(two + 3) + 1); /* "delta": 2.0 -> 2 */
    sw_err e;
    json_t *re = sw_manifest_parse(js, strlen(js), "rewritten", &e);
    T_CHECK(re && json_is_integer(json_object_get(json_object_get(re, "watermark"), "delta")));
    sw_manifest_check c;
    T_CHECK_MSG(sw_manifest_verify_check(re, labelled, strlen(labelled), &pk, 1, &c, &e) == 0, "%s", e.msg);
    T_CHECK(c.key_index == 0 && c.audit_index == 3 && strcmp(c.version, SW_MANIFEST_VERSION) == 0);
    char line[256];
    sw_manifest_check_line(&c, line, sizeof line);
    T_CHECK_MSG(strncmp(line, "valid: ", 7) == 0 && strstr(line, "audit record 3"), "%s", line);
    json_object_set_new(json_object_get(re, "watermark"), "delta", json_real(2.5));
    T_CHECK(sw_manifest_verify(re, labelled, strlen(labelled), &pk, 1, &e) == -1 && strstr(e.msg, "signature"));
    json_decref(re);
    free(js);
    /* duplicate names are refused: a reader and the verifier could see different values */
    const char *dup = "{\"id\":\"a\",\"id\":\"b\"}";
    T_CHECK(sw_manifest_parse(dup, strlen(dup), "dup", &e) == NULL && strstr(e.msg, "dup"));
    json_decref(m);
}

/* A version-1 manifest (signed over jansson's sorted compact dump) still verifies. */
static void test_version_1_still_verifies(void) {
    const char *labelled = "old text";
    json_t *m = make_manifest(labelled, labelled, -1);
    json_object_set_new(m, "version", json_string(SW_MANIFEST_VERSION_1));
    json_object_del(m, "signature");
    char *msg = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
    uint8_t sig[SW_SIGN_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg), sk);
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    json_object_set_new(m, "signature", json_string(b64));
    sw_err e;
    T_CHECK_MSG(sw_manifest_verify(m, labelled, strlen(labelled), &pk, 1, &e) == 0, "%s", e.msg);
    json_object_set_new(m, "version", json_string("steward-manifest/9"));
    T_CHECK(sw_manifest_verify(m, labelled, strlen(labelled), &pk, 1, &e) == -1 && strstr(e.msg, "version"));
    free(msg);
    json_decref(m);
}

/* label.conf: each key reaches the explicit label, the AIGC object and the manifest. */
static void test_label_config(void) {
    sw_label_config c;
    sw_label_config_default(&c);
    const char *conf = "# ours\nlang = both\nposition = end\nproducer = Acme AI\nproducer_id = FC-0042\n";
    sw_err e;
    T_CHECK_MSG(sw_label_config_parse(conf, strlen(conf), "label.conf", &c, &e) == 0, "%s", e.msg);
    T_CHECK(strcmp(c.opts.lang, "en+zh") == 0 && c.opts.position == SW_LABEL_END);
    sw_buf b = {0};
    T_CHECK(sw_label_apply(&c.opts, "x", 1, &b, NULL) == 0 && strcmp(b.data, "x\n[AI-generated content | \xe6\x9c\xac\xe5\x86\x85\xe5\xae\xb9\xe7\x94\xb1\xe4\xba\xba\xe5\xb7\xa5\xe6\x99\xba\xe8\x83\xbd\xe7\x94\x9f\xe6\x88\x90]") == 0);
    sw_manifest_input in = {NULL, b.data, b.len, "x", 1, "ab12", NULL, NULL, -1, &c.opts};
    json_t *m = sw_manifest_create(&in, sk, NULL);
    T_CHECK(strcmp(json_string_value(json_object_get(json_object_get(json_object_get(m, "label"), "AIGC"),
                                                     "ContentProducer")), "FC-0042") == 0);
    json_t *x = json_object_get(m, "explicit_label");
    T_CHECK(strcmp(json_string_value(json_object_get(x, "lang")), "en+zh") == 0);
    T_CHECK(strcmp(json_string_value(json_object_get(x, "producer")), "Acme AI") == 0);
    T_CHECK(strcmp(json_string_value(json_object_get(x, "position")), "end") == 0);
    json_decref(m);
    sw_buf_free(&b);
    const char *bad = "lang = fr\n";
    T_CHECK(sw_label_config_parse(bad, strlen(bad), "label.conf", &c, &e) == -1 && strstr(e.msg, "label.conf:1"));
    const char *unknown = "\ncolour = red\n";
    T_CHECK(sw_label_config_parse(unknown, strlen(unknown), "label.conf", &c, &e) == -1 && strstr(e.msg, "label.conf:2"));
}

int main(void) {
    if (sodium_init() < 0) return 1;
    crypto_sign_keypair(pk, sk);
    T_RUN(test_explicit_label);
    T_RUN(test_aigc_rules);
    T_RUN(test_manifest_roundtrip);
    T_RUN(test_any_byte_change_fails);
    T_RUN(test_key_rotation);
    T_RUN(test_rewritten_manifest_verifies);
    T_RUN(test_version_1_still_verifies);
    T_RUN(test_label_config);
    return t_done();
}
