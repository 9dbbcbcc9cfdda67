/* label.c - explicit labels, the GB 45438 AIGC object, and signed provenance manifests. */
#include "steward/label.h"
#include "steward/jcs.h"
#include "steward/keys.h"
#include "steward/json.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sw_label_opts_default(sw_label_opts *o) {
    o->position = SW_LABEL_START;
    o->lang = "en";
    o->notice = NULL;
    o->producer = "steward";
    o->propagator = "";
    o->disclosure = NULL;
    o->producer_id = NULL;
}

const char *sw_label_position_name(sw_label_position p) {
    return p == SW_LABEL_END ? "end" : p == SW_LABEL_BOTH ? "both" : "start";
}

void sw_label_config_default(sw_label_config *c) {
    memset(c, 0, sizeof *c);
    sw_label_opts_default(&c->opts);
    snprintf(c->lang, sizeof c->lang, "%s", c->opts.lang);
    snprintf(c->producer, sizeof c->producer, "%s", c->opts.producer);
    c->opts.lang = c->lang;
    c->opts.producer = c->producer;
    c->opts.propagator = c->propagator;
}

/* Copies value into a field of size n; -1 naming the key when it does not fit. */
static int set_text(char *dst, size_t n, const char **opt, const char *key, const char *value, sw_err *err) {
    if (strlen(value) >= n) return sw_err_set(err, "label %s: longer than %zu bytes", key, n - 1);
    if (!sw_utf8_valid((const unsigned char *)value, strlen(value)))
        return sw_err_set(err, "label %s: not UTF-8", key);
    strcpy(dst, value);
    *opt = dst;
    return 0;
}

int sw_label_config_set(sw_label_config *c, const char *key, const char *value, sw_err *err) {
    if (strcmp(key, "lang") == 0) {
        const char *v = strcmp(value, "both") == 0 ? "en+zh" : value;
        if (!sw_label_notice(v)) return sw_err_set(err, "label lang: '%.40s' is not en, zh or both", value);
        return set_text(c->lang, sizeof c->lang, &c->opts.lang, key, v, err);
    }
    if (strcmp(key, "position") == 0) {
        if (strcmp(value, "start") == 0) c->opts.position = SW_LABEL_START;
        else if (strcmp(value, "end") == 0) c->opts.position = SW_LABEL_END;
        else if (strcmp(value, "both") == 0) c->opts.position = SW_LABEL_BOTH;
        else return sw_err_set(err, "label position: '%.40s' is not start, end or both", value);
        return 0;
    }
    if (strcmp(key, "producer") == 0) {
        if (!*value) return sw_err_set(err, "label producer: empty (GB 45438 needs a ContentProducer)");
        return set_text(c->producer, sizeof c->producer, &c->opts.producer, key, value, err);
    }
    if (strcmp(key, "producer_id") == 0)
        return set_text(c->producer_id, sizeof c->producer_id, &c->opts.producer_id, key, value, err);
    if (strcmp(key, "propagator") == 0)
        return set_text(c->propagator, sizeof c->propagator, &c->opts.propagator, key, value, err);
    if (strcmp(key, "notice") == 0) return set_text(c->notice, sizeof c->notice, &c->opts.notice, key, value, err);
    if (strcmp(key, "disclosure") == 0)
        return set_text(c->disclosure, sizeof c->disclosure, &c->opts.disclosure, key, value, err);
    return sw_err_set(err, "label: unknown key '%.40s' (lang, position, producer, producer_id, propagator, "
                           "notice, disclosure)", key);
}

/* Trims spaces at both ends of s[0..*n) in place; returns the new start. */
static char *trim(char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

int sw_label_config_parse(const char *text, size_t len, const char *name, sw_label_config *c, sw_err *err) {
    size_t i = 0;
    int line = 0;
    const char *l;
    size_t ll;
    while (sw_next_line(text, len, &i, &line, &l, &ll)) {
        char buf[SW_LABEL_TEXT_MAX + SW_LABEL_NAME_MAX];
        if (ll >= sizeof buf) return sw_err_set(err, "%s:%d: line longer than %zu bytes", name, line, sizeof buf - 1);
        if (memchr(l, 0, ll)) return sw_err_set(err, "%s:%d: NUL byte", name, line);
        memcpy(buf, l, ll);
        buf[ll] = 0;
        char *s = trim(buf);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) return sw_err_set(err, "%s:%d: expected 'key = value'", name, line);
        *eq = 0;
        if (sw_label_config_set(c, trim(s), trim(eq + 1), err) < 0) return sw_err_prefix(err, "%s:%d", name, line);
    }
    return 0;
}

int sw_label_opts_load(const char *home, sw_label_config *c, sw_err *err) {
    char dir[PATH_MAX], path[PATH_MAX + 16];
    sw_label_config_default(c);
    if (sw_home_resolve(home, dir, sizeof dir, err) < 0) return -1;
    snprintf(path, sizeof path, "%s/%s", dir, SW_LABEL_CONF_FILE);
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 0 : sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    fclose(f);
    sw_buf b = {0};
    int rc = sw_read_file(path, &b, err);
    if (rc == 0) rc = sw_label_config_parse(b.data ? b.data : "", b.len, path, c, err);
    sw_buf_free(&b);
    return rc;
}

const char *sw_label_notice(const char *lang) {
    if (strcmp(lang, "en") == 0) return "[AI-generated content]";
    if (strcmp(lang, "zh") == 0) return "【本内容由人工智能生成】";
    if (strcmp(lang, "en+zh") == 0) return "[AI-generated content | 本内容由人工智能生成]";
    return NULL;
}

const char *sw_author_name(sw_author a) {
    return a == SW_AUTHOR_HUMAN ? "human" : a == SW_AUTHOR_EDITED ? "edited" : "model";
}

const char *sw_label_notice_by(const char *lang, sw_author a) {
    if (a == SW_AUTHOR_MODEL || !sw_label_notice(lang)) return sw_label_notice(lang);
    int human = a == SW_AUTHOR_HUMAN;
    if (strcmp(lang, "en") == 0) return human ? "[Written by a person]" : "[AI-generated content, edited by a person]";
    if (strcmp(lang, "zh") == 0) return human ? "【本内容由人工撰写】" : "【本内容由人工智能生成，经人工编辑】";
    return human ? "[Written by a person | 本内容由人工撰写]"
                 : "[AI-generated content, edited by a person | 本内容由人工智能生成，经人工编辑]";
}

const char *sw_label_disclosure(const char *lang) {
    if (strcmp(lang, "en") == 0) return "You are talking to an AI system; its answers are generated automatically.";
    if (strcmp(lang, "zh") == 0) return "您正在与人工智能系统对话，回答由人工智能自动生成。";
    if (strcmp(lang, "en+zh") == 0)
        return "You are talking to an AI system; its answers are generated automatically. "
               "您正在与人工智能系统对话，回答由人工智能自动生成。";
    return NULL;
}

int sw_label_affixes(const sw_label_opts *o, sw_buf *prefix, sw_buf *suffix, sw_err *err) {
    const char *notice = o->notice ? o->notice : sw_label_notice(o->lang);
    if (!notice) return sw_err_set(err, "label: unknown language '%s' (en, zh, en+zh)", o->lang);
    int rc = 0;
    if (o->position & SW_LABEL_START) rc |= sw_buf_printf(prefix, "%s\n", notice);
    if (o->position & SW_LABEL_END) rc |= sw_buf_printf(suffix, "\n%s", notice);
    return rc ? sw_err_set(err, "label: out of memory") : 0;
}

int sw_label_apply(const sw_label_opts *o, const char *text, size_t len, sw_buf *out, sw_err *err) {
    sw_buf suffix = {0};
    int rc = sw_label_affixes(o, out, &suffix, err);
    if (rc == 0 && (sw_buf_append(out, text, len) || sw_buf_append(out, suffix.data, suffix.len)))
        rc = sw_err_set(err, "label: out of memory");
    sw_buf_free(&suffix);
    return rc;
}

json_t *sw_label_aigc(const sw_label_opts *o, const char *produce_id, const char *content_sha256_hex) {
    char integrity[80];
    snprintf(integrity, sizeof integrity, "sha256:%s", content_sha256_hex);
    /* Label "1": generated by AI (2 and 3 are for content only possibly or suspected
     * to be, which a propagator, not the producer, assigns). */
    return json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s}}", "AIGC", "Label", "1", "ContentProducer",
                     o->producer_id && *o->producer_id ? o->producer_id : o->producer, "ProduceID", produce_id, "ReservedCode1", integrity,
                     "ContentPropagator", o->propagator ? o->propagator : "", "PropagateID", "",
                     "ReservedCode2", "");
}

int sw_label_aigc_check(const json_t *label, sw_err *err) {
    static const char *fields[] = {"Label", "ContentProducer", "ProduceID", "ReservedCode1",
                                   "ContentPropagator", "PropagateID", "ReservedCode2"};
    const json_t *a = json_object_get(label, "AIGC");
    if (!json_is_object(a)) return sw_err_set(err, "label: no AIGC object");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!json_is_string(json_object_get(a, fields[i])))
            return sw_err_set(err, "label: AIGC.%s is missing or not a string", fields[i]);
    if (json_object_size(a) != sizeof fields / sizeof fields[0])
        return sw_err_set(err, "label: AIGC has fields beyond the seven of GB 45438");
    const char *l = json_string_value(json_object_get(a, "Label"));
    if (strcmp(l, "0") && strcmp(l, "1") && strcmp(l, "2") && strcmp(l, "3"))
        return sw_err_set(err, "label: AIGC.Label is '%s', not 0 (a person's text), 1, 2 or 3", l);
    if (!*json_string_value(json_object_get(a, "ContentProducer")))
        return sw_err_set(err, "label: AIGC.ContentProducer is empty");
    if (!*json_string_value(json_object_get(a, "ProduceID")))
        return sw_err_set(err, "label: AIGC.ProduceID is empty");
    return 0;
}

static void b64(const uint8_t *p, size_t n, char *out, size_t outsz) {
    sodium_bin2base64(out, outsz, p, n, sodium_base64_VARIANT_ORIGINAL);
}

/* The bytes that are signed: the manifest without "signature", in RFC 8785 form
 * (version 2) or, for version 1, jansson's sorted compact dump. NULL with err. */
static char *canonical(const json_t *m, int version, sw_err *err) {
    json_t *copy = json_deep_copy(m);
    if (!copy) {
        sw_err_set(err, "manifest: out of memory");
        return NULL;
    }
    json_object_del(copy, "signature");
    char *s = version == 1 ? json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT) : sw_jcs_dumps(copy, err);
    json_decref(copy);
    if (!s && version == 1) sw_err_set(err, "manifest: out of memory");
    else if (!s) sw_err_prefix(err, "manifest");
    return s;
}

/* The explicit label that was applied: language, position and notice. */
static json_t *explicit_json(const sw_label_opts *o) {
    const char *notice = o->notice ? o->notice : sw_label_notice(o->lang);
    json_t *e = json_pack("{s:s,s:s,s:s?,s:s}", "lang", o->lang, "position", sw_label_position_name(o->position),
                          "notice", notice, "producer", o->producer);
    if (e && o->producer_id && *o->producer_id) json_object_set_new(e, "producer_id", json_string(o->producer_id));
    return e;
}

/* The author, the C2PA-style actions (what happened to the content) and, for a person's
 * text, AIGC.Label "0"; for an edit, both hashes. */
static void set_author(json_t *m, const sw_manifest_input *in, const char *generated) {
    int human = in->author == SW_AUTHOR_HUMAN, edited = in->author == SW_AUTHOR_EDITED;
    json_object_set_new(m, "author", json_string(human || edited ? "human" : "model"));
    if (human) json_object_set_new(json_object_get(json_object_get(m, "label"), "AIGC"), "Label", json_string("0"));
    json_t *acts = json_pack("[{s:s,s:s}]", "action", "c2pa.created", "digitalSourceType",
                             human ? "digitalCreation" : "trainedAlgorithmicMedia");
    if (edited) {
        json_array_append_new(acts, json_pack("{s:s,s:s}", "action", "c2pa.edited", "digitalSourceType",
                                              "compositeWithTrainedAlgorithmicMedia"));
        json_object_set_new(m, "edit", json_pack("{s:s,s:s}", "original_sha256",
                                                 in->original_sha256 ? in->original_sha256 : "", "edited_sha256",
                                                 generated));
    }
    json_object_set_new(m, "actions", acts);
}

json_t *sw_manifest_create(const sw_manifest_input *in, const uint8_t sk[SW_SIGN_SECRET_BYTES],
                           sw_err *err) {
    char content[65], generated[65], id[33], kid[17], pkb64[64], ts[32];
    sw_sha256_hex(in->labelled_text, in->labelled_len, content);
    sw_sha256_hex(in->text, in->text_len, generated);
    if (in->id) {
        snprintf(id, sizeof id, "%s", in->id);
    } else {
        uint8_t rnd[16];
        randombytes_buf(rnd, sizeof rnd);
        sw_hex(rnd, sizeof rnd, id);
    }
    const uint8_t *pk = sk + 32; /* libsodium's Ed25519 secret key = seed || public key */
    sw_keys_id(pk, kid);
    b64(pk, SW_SIGN_PUBLIC_BYTES, pkb64, sizeof pkb64);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);

    json_t *m = json_object();
    json_object_set_new(m, "version", json_string(SW_MANIFEST_VERSION));
    json_object_set_new(m, "id", json_string(id));
    json_object_set_new(m, "created", json_string(ts));
    json_object_set_new(m, "content_sha256", json_string(content));
    json_object_set_new(m, "generated_sha256", json_string(generated));
    json_object_set_new(m, "model_sha256", json_string(in->model_sha256 ? in->model_sha256 : ""));
    if (in->policy_sha256) json_object_set_new(m, "policy_sha256", json_string(in->policy_sha256));
    if (in->watermark) json_object_set(m, "watermark", in->watermark);
    if (in->audit_index >= 0) json_object_set_new(m, "audit_index", json_integer(in->audit_index));
    json_object_set_new(m, "label", sw_label_aigc(in->label, id, content));
    json_object_set_new(m, "explicit_label", explicit_json(in->label));
    set_author(m, in, generated);
    json_object_set_new(m, "signer", json_pack("{s:s,s:s,s:s}", "alg", "ed25519", "key_id", kid,
                                               "public_key", pkb64));
    char *msg = canonical(m, 2, err);
    if (!msg) {
        json_decref(m);
        return NULL;
    }
    uint8_t sig[SW_SIGN_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg), sk);
    free(msg);
    char sigb64[128];
    b64(sig, sizeof sig, sigb64, sizeof sigb64);
    json_object_set_new(m, "signature", json_string(sigb64));
    return m;
}

static const char *str_field(const json_t *m, const char *k) {
    return json_string_value(json_object_get(m, k));
}

/* Checks the signature: by a trusted key, over the canonical form of the manifest's
 * version. Stores which trusted key signed into *key_index. 0 or -1 with the reason. */
static int check_signature(const json_t *m, int version, const uint8_t (*trusted)[SW_SIGN_PUBLIC_BYTES],
                           int n_trusted, int *key_index, sw_err *err) {
    const char *sigb64 = str_field(m, "signature");
    const json_t *signer = json_object_get(m, "signer");
    const char *pkb64 = str_field(signer, "public_key");
    if (!sigb64 || !pkb64) return sw_err_set(err, "signature: the manifest has no signature or signer key");
    uint8_t sig[SW_SIGN_BYTES], pk[SW_SIGN_PUBLIC_BYTES];
    size_t n;
    if (sodium_base642bin(sig, sizeof sig, sigb64, strlen(sigb64), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) || n != sizeof sig)
        return sw_err_set(err, "signature: not 64 bytes of base64");
    if (sodium_base642bin(pk, sizeof pk, pkb64, strlen(pkb64), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) || n != sizeof pk)
        return sw_err_set(err, "signature: signer.public_key is not 32 bytes of base64");
    *key_index = -1;
    for (int i = 0; i < n_trusted && *key_index < 0; i++)
        if (sodium_memcmp(trusted[i], pk, sizeof pk) == 0) *key_index = i;
    if (*key_index < 0) return sw_err_set(err, "signature: signed by a key this instance does not trust");
    char *msg = canonical(m, version, err);
    if (!msg) return -1;
    int bad = crypto_sign_verify_detached(sig, (const unsigned char *)msg, strlen(msg), pk);
    free(msg);
    if (bad) return sw_err_set(err, "signature: does not match the manifest (the manifest or the signature was changed)");
    return 0;
}

/* Checks the content hash and the AIGC label's agreement with the manifest. */
static int check_content_and_label(const json_t *m, const char *text, size_t len, sw_err *err) {
    char content[65];
    sw_sha256_hex(text, len, content);
    const char *want = str_field(m, "content_sha256");
    if (!want || strcmp(want, content))
        return sw_err_set(err, "content: the text's SHA-256 differs from the manifest's content_sha256 (the text was changed)");
    const json_t *label = json_object_get(m, "label");
    if (sw_label_aigc_check(label, err) < 0) return -1;
    const json_t *a = json_object_get(label, "AIGC");
    const char *id = str_field(m, "id");
    if (!id || strcmp(str_field(a, "ProduceID"), id))
        return sw_err_set(err, "label: AIGC.ProduceID does not match the manifest id");
    char integrity[80];
    snprintf(integrity, sizeof integrity, "sha256:%s", content);
    if (strcmp(str_field(a, "ReservedCode1"), integrity))
        return sw_err_set(err, "label: AIGC.ReservedCode1 does not match the content hash");
    /* Label "0" (not AI-generated) only on a person's own text, and always on it */
    const char *author = str_field(m, "author");
    int human_text = author && strcmp(author, "human") == 0 && !json_object_get(m, "edit");
    if (human_text != (strcmp(str_field(a, "Label"), "0") == 0))
        return sw_err_set(err, "label: AIGC.Label is '%s' but the manifest's author is %s%s", str_field(a, "Label"),
                          author ? author : "the model", json_object_get(m, "edit") ? " (an edit)" : "");
    return 0;
}

int sw_manifest_verify_check(const json_t *m, const char *text, size_t len,
                             const uint8_t (*trusted)[SW_SIGN_PUBLIC_BYTES], int n_trusted,
                             sw_manifest_check *check, sw_err *err) {
    if (!json_is_object(m)) return sw_err_set(err, "manifest: not a JSON object");
    const char *ver = str_field(m, "version");
    int version = ver && strcmp(ver, SW_MANIFEST_VERSION) == 0 ? 2 : ver && strcmp(ver, SW_MANIFEST_VERSION_1) == 0 ? 1 : 0;
    if (!version)
        return sw_err_set(err, "manifest: version is '%.40s', not %s or %s", ver ? ver : "(none)", SW_MANIFEST_VERSION,
                          SW_MANIFEST_VERSION_1);
    int key_index = -1;
    if (check_signature(m, version, trusted, n_trusted, &key_index, err) < 0) return -1;
    if (check_content_and_label(m, text, len, err) < 0) return -1;
    if (check) {
        memset(check, 0, sizeof *check);
        snprintf(check->version, sizeof check->version, "%s", ver);
        snprintf(check->id, sizeof check->id, "%s", str_field(m, "id"));
        const char *kid = str_field(json_object_get(m, "signer"), "key_id");
        snprintf(check->key_id, sizeof check->key_id, "%s", kid ? kid : "");
        check->key_index = key_index;
        const json_t *ai = json_object_get(m, "audit_index");
        check->audit_index = json_is_integer(ai) ? (long long)json_integer_value(ai) : -1;
        check->text_len = len;
    }
    return 0;
}

int sw_manifest_verify(const json_t *m, const char *text, size_t len,
                       const uint8_t (*trusted)[SW_SIGN_PUBLIC_BYTES], int n_trusted, sw_err *err) {
    return sw_manifest_verify_check(m, text, len, trusted, n_trusted, NULL, err);
}

void sw_manifest_check_line(const sw_manifest_check *c, char *out, size_t outsz) {
    char audit[48] = "";
    if (c->audit_index >= 0) snprintf(audit, sizeof audit, ", audit record %lld", c->audit_index);
    snprintf(out, outsz,
             "valid: ed25519 signature by %s key %s, SHA-256 of %zu bytes of text, AIGC label (id %s%s; %s)",
             c->key_index == 0 ? "the current" : "a retired", c->key_id, c->text_len, c->id, audit, c->version);
}

json_t *sw_manifest_check_json(const sw_manifest_check *c, const char *reason) {
    if (!c) return json_pack("{s:b,s:s}", "valid", 0, "reason", reason ? reason : "");
    json_t *checked = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "signature", "ed25519", "key_id", c->key_id, "key",
                                c->key_index == 0 ? "current" : "retired", "version", c->version, "text_bytes",
                                (json_int_t)c->text_len, "id", c->id);
    if (checked) json_object_set_new(checked, "label", json_string("AIGC fields and content hash agree"));
    if (checked && c->audit_index >= 0) json_object_set_new(checked, "audit_index", json_integer(c->audit_index));
    return json_pack("{s:b,s:s,s:o}", "valid", 1, "reason", "", "checked", checked);
}

json_t *sw_manifest_parse(const char *js, size_t len, const char *name, sw_err *err) {
    return sw_json_parse(js, len, name, 0, err); /* duplicate names refused there */
}

#define FRONT_OPEN "---\naigc_manifest: "
#define FRONT_CLOSE "\n---\n"

int sw_manifest_embed(const json_t *manifest, const char *text, size_t len, sw_buf *out, sw_err *err) {
    char *js = sw_jcs_dumps(manifest, err);
    if (!js) return sw_err_prefix(err, "manifest");
    int rc = sw_buf_puts(out, FRONT_OPEN) | sw_buf_puts(out, js) | sw_buf_puts(out, FRONT_CLOSE) |
             sw_buf_append(out, text, len);
    free(js);
    return rc ? sw_err_set(err, "manifest: out of memory") : 0;
}

#define UTF8_BOM "\xEF\xBB\xBF"
#define FRONT_OPEN_CRLF "---\r\naigc_manifest: "

/* Why a document without our front matter has none: a byte-order mark or CRLF line ends
 * added by an editor are named, since the signed bytes no longer match. Returns -1. */
static int no_front_matter(const char *doc, size_t len, sw_err *err) {
    size_t bom = strlen(UTF8_BOM);
    if (len >= bom && memcmp(doc, UTF8_BOM, bom) == 0)
        return sw_err_set(err, "manifest: the document starts with a UTF-8 byte-order mark (EF BB BF) before its "
                               "front matter; an editor added it: remove it (the manifest covers the exact bytes)");
    if (len >= strlen(FRONT_OPEN_CRLF) && memcmp(doc, FRONT_OPEN_CRLF, strlen(FRONT_OPEN_CRLF)) == 0)
        return sw_err_set(err, "manifest: the front matter has CRLF line ends; the document was converted (an "
                               "editor or git autocrlf) after it was signed: restore its LF line ends");
    return sw_err_set(err, "no manifest: the text neither starts with aigc_manifest front matter nor came with --manifest");
}

int sw_manifest_extract(const char *doc, size_t len, json_t **manifest, const char **text,
                        size_t *text_len, sw_err *err) {
    size_t open = strlen(FRONT_OPEN);
    if (len < open || memcmp(doc, FRONT_OPEN, open)) return no_front_matter(doc, len, err);
    const char *js = doc + open;
    const char *end = memmem(js, len - open, FRONT_CLOSE, strlen(FRONT_CLOSE));
    if (!end) return sw_err_set(err, "manifest: front matter is not closed by a '---' line");
    *manifest = sw_manifest_parse(js, (size_t)(end - js), "manifest: front matter JSON", err);
    if (!*manifest) return -1;
    *text = end + strlen(FRONT_CLOSE);
    *text_len = len - (size_t)(*text - doc);
    return 0;
}
