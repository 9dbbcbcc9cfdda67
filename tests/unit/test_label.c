/* test_label.c - explicit labels, AIGC field rules, signed manifests: any one-byte change
 * to the text, the manifest or the signature fails verification, and says which. */
#include "steward/jcs.h"
#include "steward/label.h"
#include "t.h"

#include <sodium.h>
#include <stdlib.h>

static uint8_t pk[SW_SIGN_PUBLIC_BYTES], sk[SW_SIGN_SECRET_BYTES];

static json_t *make_manifest(const char *labelled, const char *text, long long audit) {
    sw_label_opts lo;
    sw_label_opts_default(&lo);
    json_t *wm = json_pack("{s:s,s:f}", "scheme", "kgw-selfhash", "gamma", 0.25);
    sw_manifest_input in = {NULL, labelled, strlen(labelled), text, strlen(text), "ab12", NULL, wm, audit, &lo, SW_AUTHOR_MODEL, NULL};
    json_t *m = sw_manifest_create(&in, sk, NULL);
    json_decref(wm);
    return m;
}

/* Signs m again as sw_manifest_create does (to test the rules behind the signature). */
static void resign(json_t *m) {
    json_object_del(m, "signature");
    char *msg = sw_jcs_dumps(m, NULL);
    uint8_t sig[SW_SIGN_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg), sk);
    free(msg);
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    json_object_set_new(m, "signature", json_string(b64));
}

/* A person's text: its own notice, AIGC Label "0", author "human", and it verifies; the
 * same manifest claiming the model, or a model's manifest claiming Label "0", does not.
 * An edit keeps Label "1" and records both hashes. */
static void test_author(void) {
    sw_label_opts lo;
    sw_label_opts_default(&lo);
    lo.notice = sw_label_notice_by("en", SW_AUTHOR_HUMAN);
    T_CHECK(strcmp(lo.notice, "[Written by a person]") == 0);
    T_CHECK(strstr(sw_label_notice_by("zh", SW_AUTHOR_EDITED), "经人工编辑") != NULL);
    T_CHECK(sw_label_notice_by("fr", SW_AUTHOR_HUMAN) == NULL);
    sw_buf b = {0};
    T_CHECK(sw_label_apply(&lo, "hi", 2, &b, NULL) == 0);
    sw_manifest_input in = {NULL, b.data, b.len, "hi", 2, "", NULL, NULL, 7, &lo, SW_AUTHOR_HUMAN, NULL};
    json_t *m = sw_manifest_create(&in, sk, NULL);
    sw_err e;
    T_CHECK(strcmp(json_string_value(json_object_get(m, "author")), "human") == 0);
    T_CHECK(strcmp(json_string_value(json_object_get(json_object_get(json_object_get(m, "label"), "AIGC"), "Label")),
                   "0") == 0);
    T_CHECK_MSG(sw_manifest_verify(m, b.data, b.len, &pk, 1, &e) == 0, "%s", e.msg);
    json_object_set_new(m, "author", json_string("model")); /* validly signed, but Label 0 on a model's text */
    resign(m);
    T_CHECK(sw_manifest_verify(m, b.data, b.len, &pk, 1, &e) == -1 && strstr(e.msg, "Label"));
    json_decref(m);
    in.author = SW_AUTHOR_EDITED;
    in.original_sha256 = "00ff";
    m = sw_manifest_create(&in, sk, NULL);
    json_t *edit = json_object_get(m, "edit");
    T_CHECK(edit && strcmp(json_string_value(json_object_get(edit, "original_sha256")), "00ff") == 0);
    T_CHECK(strcmp(json_string_value(json_object_get(json_object_get(json_object_get(m, "label"), "AIGC"), "Label")),
                   "1") == 0);
    T_CHECK_MSG(sw_manifest_verify(m, b.data, b.len, &pk, 1, &e) == 0, "%s", e.msg);
    json_decref(m);
    sw_buf_free(&b);
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

/* The explicit notice in each language at each position, exactly. */
static void test_label_positions_and_languages(void) {
    static const struct {
        const char *lang, *notice;
    } L[] = {
        {"en", "[AI-generated content]"},
        {"zh", "【本内容由人工智能生成】"},
        {"en+zh", "[AI-generated content | 本内容由人工智能生成]"},
    };
    static const sw_label_position P[] = {SW_LABEL_START, SW_LABEL_END, SW_LABEL_BOTH};
    for (size_t l = 0; l < 3; l++) {
        T_CHECK(sw_label_notice(L[l].lang) && strcmp(sw_label_notice(L[l].lang), L[l].notice) == 0);
        T_CHECK(sw_label_disclosure(L[l].lang) != NULL);
        for (size_t p = 0; p < 3; p++) {
            sw_label_opts o;
            sw_label_opts_default(&o);
            o.lang = L[l].lang;
            o.position = P[p];
            sw_buf b = {0};
            char want[256];
            snprintf(want, sizeof want, "%s%s%s%s%s", P[p] & SW_LABEL_START ? L[l].notice : "",
                     P[p] & SW_LABEL_START ? "\n" : "", "body text", P[p] & SW_LABEL_END ? "\n" : "",
                     P[p] & SW_LABEL_END ? L[l].notice : "");
            T_CHECK(sw_label_apply(&o, "body text", 9, &b, NULL) == 0);
            T_CHECK_MSG(b.data && strcmp(b.data, want) == 0, "%s position %d: '%s'", L[l].lang, (int)P[p],
                        b.data ? b.data : "");
            sw_buf_free(&b);
        }
    }
    T_CHECK(sw_label_notice("fr") == NULL && sw_label_disclosure("fr") == NULL);
    /* the default: English, at the start */
    sw_label_opts d;
    sw_label_opts_default(&d);
    T_CHECK(d.position == SW_LABEL_START && strcmp(d.lang, "en") == 0 && d.producer && *d.producer);
}

/* GB 45438's implicit label in a manifest: ProduceID is the manifest's id, ReservedCode1
 * "sha256:" and the hash of the delivered (labelled) text, Label "1", seven fields. */
static void test_label_rules_in_manifest(void) {
    const char *labelled = "[AI-generated content]\n你好, world.", *text = labelled + 23;
    json_t *m = make_manifest(labelled, text, 3);
    T_CHECK(m != NULL);
    if (!m) return;
    const json_t *a = json_object_get(json_object_get(m, "label"), "AIGC");
    const char *id = json_string_value(json_object_get(m, "id"));
    T_CHECK(id && *id && strcmp(json_string_value(json_object_get(a, "ProduceID")), id) == 0);
    char hex[65], want[80];
    sw_sha256_hex(labelled, strlen(labelled), hex);
    snprintf(want, sizeof want, "sha256:%s", hex);
    T_CHECK(strcmp(json_string_value(json_object_get(m, "content_sha256")), hex) == 0);
    T_CHECK_MSG(strcmp(json_string_value(json_object_get(a, "ReservedCode1")), want) == 0, "%s",
                json_string_value(json_object_get(a, "ReservedCode1")));
    T_CHECK(strcmp(json_string_value(json_object_get(a, "Label")), "1") == 0 && json_object_size(a) == 7);
    /* two manifests, two ids: ProduceID is not a constant */
    json_t *m2 = make_manifest(labelled, text, 3);
    T_CHECK(m2 && strcmp(json_string_value(json_object_get(m2, "id")), id) != 0);
    json_decref(m2);
    json_decref(m);
}

/* The field rules: Label 0 (a person's text, see the manifest's author), 1, 2 or 3; the seven fields, strings, no more; producer and id set. */
static void test_label_field_values(void) {
    sw_label_opts o;
    sw_label_opts_default(&o);
    const char *labels_ok[] = {"0", "1", "2", "3"}, *labels_bad[] = {"00", "4", "", "11", "１"};
    sw_err e;
    for (int i = 0; i < 4; i++) {
        json_t *l = sw_label_aigc(&o, "id", "00");
        json_object_set_new(json_object_get(l, "AIGC"), "Label", json_string(labels_ok[i]));
        T_CHECK_MSG(sw_label_aigc_check(l, &e) == 0, "Label %s", labels_ok[i]);
        json_decref(l);
    }
    for (int i = 0; i < 5; i++) {
        json_t *l = sw_label_aigc(&o, "id", "00");
        json_object_set_new(json_object_get(l, "AIGC"), "Label", json_string(labels_bad[i]));
        T_CHECK_MSG(sw_label_aigc_check(l, &e) == -1 && strstr(e.msg, "Label"), "Label '%s' accepted", labels_bad[i]);
        json_decref(l);
    }
    json_t *l = sw_label_aigc(&o, "id", "00");
    json_object_set_new(json_object_get(l, "AIGC"), "Label", json_integer(1));
    T_CHECK(sw_label_aigc_check(l, &e) == -1 && strstr(e.msg, "Label"));
    json_decref(l);
    l = sw_label_aigc(&o, "id", "00");
    json_object_set_new(json_object_get(l, "AIGC"), "Extra", json_string("x"));
    T_CHECK(sw_label_aigc_check(l, &e) == -1 && strstr(e.msg, "seven"));
    json_decref(l);
    l = sw_label_aigc(&o, "", "00");
    T_CHECK(sw_label_aigc_check(l, &e) == -1 && strstr(e.msg, "ProduceID"));
    json_decref(l);
    o.producer = "";
    l = sw_label_aigc(&o, "id", "00");
    T_CHECK(sw_label_aigc_check(l, &e) == -1 && strstr(e.msg, "ContentProducer"));
    json_decref(l);
}

/* A manifest rewritten as other JSON tools write it (2.0 as 2, indented, non-ASCII
 * escaped, keys in another order) still verifies; a changed value still does not. */
static void test_rewritten_manifest_verifies(void) {
    const char *labelled = "[AI-generated content]\nCaf\xc3\xa9 au lait.";
    json_t *wm = json_pack("{s:s,s:f,s:f}", "scheme", "kgw-selfhash", "gamma", 0.25, "delta", 2.0);
    sw_label_opts lo;
    sw_label_opts_default(&lo);
    sw_manifest_input in = {NULL, labelled, strlen(labelled), labelled + 23, strlen(labelled) - 23, "ab12", NULL, wm, 3, &lo, SW_AUTHOR_MODEL, NULL};
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
    sw_manifest_input in = {NULL, b.data, b.len, "x", 1, "ab12", NULL, NULL, -1, &c.opts, SW_AUTHOR_MODEL, NULL};
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
    T_RUN(test_author);
    T_RUN(test_aigc_rules);
    T_RUN(test_manifest_roundtrip);
    T_RUN(test_any_byte_change_fails);
    T_RUN(test_key_rotation);
    T_RUN(test_label_positions_and_languages);
    T_RUN(test_label_rules_in_manifest);
    T_RUN(test_label_field_values);
    T_RUN(test_duplicate_keys_and_editors);
    T_RUN(test_rewritten_manifest_verifies);
    T_RUN(test_version_1_still_verifies);
    T_RUN(test_label_config);
    return t_done();
}
