/* api.c - the JSON-in, JSON-out entry points for scan and verify (detect's is in
 * detect.c, so that a program that only verifies does not pull in the engine) and the
 * verification of a delivered document shared with `steward verify`. */
#include "api_int.h"
#include "steward/guard.h"
#include "steward/jcs.h"
#include "steward/keys.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_KEY_NAME "guard" /* the pseudonym key the pipeline and `steward scan` use */
#define GUARD_KEY_BYTES 32

int sw_verify_document(const char *home, const char *doc, size_t len, const json_t *manifest,
                       sw_manifest_check *check, int *evidence, sw_err *err) {
    char dir[PATH_MAX];
    uint8_t trusted[SW_KEYS_MAX_OLD + 1][SW_SIGN_PUBLIC_BYTES];
    size_t n_trusted = 0;
    if (evidence) *evidence = 0;
    if (sw_home_resolve(home, dir, sizeof dir, err) < 0 ||
        sw_keys_public_all(dir, "signing", trusted, SW_KEYS_MAX_OLD + 1, &n_trusted, err) < 0)
        return -1;
    if (evidence) *evidence = 1;
    json_t *own = NULL;
    const char *text = doc;
    size_t text_len = len;
    if (!manifest && sw_manifest_extract(doc, len, &own, &text, &text_len, err) < 0) return -1;
    int rc = sw_manifest_verify_check(manifest ? manifest : own, text, text_len,
                                      (const uint8_t(*)[SW_SIGN_PUBLIC_BYTES])trusted, (int)n_trusted, check, err);
    json_decref(own);
    return rc;
}

char *sw_api_finish(json_t *obj, const sw_err *err) {
    if (!obj) obj = json_pack("{s:s}", "error", err->msg);
    sw_buf b = {0};
    int rc = obj ? sw_json_compact_append(obj, &b, NULL) : -1;
    json_decref(obj);
    if (rc < 0) {
        sw_buf_free(&b);
        return NULL;
    }
    return b.data;
}

json_t *sw_api_parse_opts(const char *opts_json, sw_err *err) {
    if (!opts_json || !*opts_json) return json_object();
    json_error_t je;
    json_t *o = json_loads(opts_json, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        sw_err_set(err, "options: not a JSON object (%s)", je.text);
        return NULL;
    }
    return o;
}

const char *sw_api_opt_str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The scan itself: the guard of the home's key and the policy, the verdict with char offsets. */
static json_t *scan(const json_t *o, const char *text, size_t len, sw_err *err) {
    const char *dir_s = sw_api_opt_str(o, "direction");
    if (dir_s && strcmp(dir_s, "input") && strcmp(dir_s, "output")) {
        sw_err_set(err, "direction must be input or output, not '%.40s'", dir_s);
        return NULL;
    }
    char home[PATH_MAX];
    uint8_t key[GUARD_KEY_BYTES];
    if (sw_home_resolve(sw_api_opt_str(o, "home"), home, sizeof home, err) < 0 ||
        sw_keys_secret_load_or_create(home, GUARD_KEY_NAME, key, sizeof key, err) < 0)
        return NULL;
    sw_guard_opts go = {.policy_path = sw_api_opt_str(o, "policy"), .key = key};
    sw_guard *g = sw_guard_open(&go, err);
    sodium_memzero(key, sizeof key);
    if (!g) return NULL;
    sw_guard_verdict v;
    json_t *out = NULL;
    if (sw_guard_scan(g, dir_s && !strcmp(dir_s, "output") ? SW_GUARD_OUTPUT : SW_GUARD_INPUT, text, len, &v, err) == 0) {
        out = sw_guard_verdict_json(&v);
        if (!out || sw_guard_verdict_json_chars(out, text, len) < 0) {
            json_decref(out);
            out = NULL;
            sw_err_set(err, "out of memory");
        }
    }
    sw_guard_verdict_free(&v);
    sw_guard_free(g);
    return out;
}

char *sw_api_scan_json(const char *text, size_t len, const char *opts_json) {
    sw_err err;
    if (sw_crypto_init(&err) < 0) return sw_api_finish(NULL, &err);
    json_t *o = sw_api_parse_opts(opts_json, &err);
    json_t *r = o ? scan(o, text ? text : "", text ? len : 0, &err) : NULL;
    json_decref(o);
    return sw_api_finish(r, &err);
}

char *sw_api_verify_json(const char *text, size_t len, const char *opts_json) {
    sw_err err;
    if (sw_crypto_init(&err) < 0) return sw_api_finish(NULL, &err);
    json_t *o = sw_api_parse_opts(opts_json, &err), *r = NULL;
    if (o) {
        sw_manifest_check c;
        const json_t *m = json_object_get(o, "manifest");
        int evidence;
        int rc = sw_verify_document(sw_api_opt_str(o, "home"), text ? text : "", text ? len : 0, m, &c, &evidence, &err);
        r = rc == 0 || evidence ? sw_manifest_check_json(rc == 0 ? &c : NULL, err.msg) : NULL;
    }
    json_decref(o);
    return sw_api_finish(r, &err);
}

void sw_api_free(char *s) { free(s); }
