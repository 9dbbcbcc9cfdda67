/* detect.c - watermark detection of a text or token ids under every key of a home: the
 * body of `steward detect` and of the API's detect. */
#include "api_int.h"
#include "steward/json.h"
#include "steward/keys.h"
#include "steward/pipeline.h"
#include "steward/tokenizer.h"
#include "steward/watermark.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Reads a JSON array of token ids. -1 naming the bad element. */
static int parse_token_array(const char *s, size_t len, int32_t **ids, size_t *n, sw_err *err) {
    json_t *a = sw_json_parse(s, len, "input", 0, err);
    if (!a) return sw_err_prefix(err, "--tokens");
    if (!json_is_array(a)) {
        const char *kind = json_is_object(a) ? "object" : "value";
        json_decref(a);
        return sw_err_set(err, "--tokens: the input holds a JSON %s, not an array of token ids", kind);
    }
    *n = json_array_size(a);
    *ids = malloc((*n ? *n : 1) * sizeof **ids);
    if (!*ids) {
        json_decref(a);
        return sw_err_set(err, "out of memory");
    }
    for (size_t i = 0; i < *n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX) {
            json_decref(a);
            return sw_err_set(err, "input: element %zu is not a token id", i);
        }
        (*ids)[i] = (int32_t)json_integer_value(v);
    }
    json_decref(a);
    return 0;
}

/* Byte offset of token index i (the bytes of the tokens before it). */
static size_t byte_offset(const sw_tokenizer *t, const int32_t *ids, int i) {
    sw_buf b = {0};
    size_t off = 0;
    for (int k = 0; k < i; k++) {
        sw_buf_reset(&b);
        if (sw_token_to_bytes(t, ids[k], 0, &b) == 0) off += b.len;
    }
    sw_buf_free(&b);
    return off;
}

/* The best detection over the keys: a watermarked one first, then the highest z; the
 * windowed search runs when the whole text is not watermarked. */
static void best_over_keys(const sw_wm_params *wp, const uint8_t (*keys)[SW_WM_KEY_BYTES], size_t n_keys,
                           const int32_t *ids, int n, int window, sw_wm_detection *best, size_t *best_key,
                           int *windowed) {
    memset(best, 0, sizeof *best);
    best->p = 1;
    *best_key = 0;
    *windowed = 0;
    for (size_t k = 0; k < n_keys; k++) {
        sw_wm_detection whole, win;
        sw_wm_detect(wp, keys[k], ids, n, &whole);
        sw_wm_detection *pick = &whole;
        int w = 0;
        if (!whole.watermarked && (int64_t)n > 2 * (int64_t)window) { /* window may be INT_MAX */
            sw_wm_detect_windowed(wp, keys[k], ids, n, window, &win);
            if (win.watermarked) pick = &win, w = 1;
        }
        if (k == 0 || (pick->watermarked && !best->watermarked) ||
            (pick->watermarked == best->watermarked && pick->z > best->z)) {
            *best = *pick;
            *best_key = k;
            *windowed = w;
        }
    }
}

json_t *sw_detect_json(const sw_detect_opts *o, const char *text, size_t len, sw_err *err) {
    sw_wm_scheme scheme;
    const char *scheme_name = o->scheme ? o->scheme : "kgw-selfhash";
    int window = o->window ? o->window : SW_DETECT_WINDOW;
    if (sw_wm_scheme_parse(scheme_name, &scheme) < 0 || scheme == SW_WM_NONE) {
        sw_err_set(err, "unknown scheme '%.40s' (kgw-selfhash, kgw-lefthash, synthid)", scheme_name);
        return NULL;
    }
    if (window < SW_DETECT_MIN_WINDOW) {
        sw_err_set(err, "window must be at least %d", SW_DETECT_MIN_WINDOW);
        return NULL;
    }
    char home[PATH_MAX], mbuf[PATH_MAX];
    const char *model = o->model ? o->model : sw_pipeline_default_model(mbuf, sizeof mbuf);
    if (!model) {
        sw_err_set(err, "no model given and no default model found");
        return NULL;
    }
    uint8_t keys[SW_WM_MAX_KEYS][SW_WM_KEY_BYTES];
    size_t n_keys = 0, n = 0;
    sw_gguf *g = NULL;
    sw_tokenizer *tok = NULL;
    int32_t *ids = NULL;
    json_t *out = NULL;
    if (sw_home_resolve(o->home, home, sizeof home, err) < 0 ||
        sw_keys_secret_all(home, SW_WM_KEY_NAME, &keys[0][0], SW_WM_KEY_BYTES, SW_WM_MAX_KEYS, &n_keys, err) < 0 ||
        sw_gguf_open(model, &g, err) < 0 || sw_tokenizer_from_gguf(g, &tok, err) < 0 ||
        (o->tokens ? parse_token_array(text, len, &ids, &n, err) : sw_tokenize(tok, text, len, 0, &ids, &n, err)) < 0)
        goto out;
    sw_wm_params wp;
    sw_wm_params_default(scheme, &wp);
    sw_wm_detection best;
    size_t best_key;
    int windowed;
    best_over_keys(&wp, (const uint8_t(*)[SW_WM_KEY_BYTES])keys, n_keys, ids, (int)n, window, &best, &best_key, &windowed);
    char kid[17];
    sw_wm_key_id(keys[best_key], kid);
    size_t bs = byte_offset(tok, ids, best.start), be = byte_offset(tok, ids, best.end);
    out = json_pack("{s:b,s:s,s:f,s:f,s:i,s:f,s:s,s:b}", "watermarked", best.watermarked, "scheme",
                    sw_wm_scheme_name(scheme), "z", best.z, "p", best.p, "scored_tokens", best.scored, "score",
                    best.score, "key_id", kid, "windowed", windowed);
    if (out)
        json_object_set_new(out, "span", json_pack("{s:I,s:I,s:i,s:i}", "start", (json_int_t)bs, "end",
                                                   (json_int_t)be, "token_start", best.start, "token_end", best.end));
    if (!out) sw_err_set(err, "out of memory");
out:
    sodium_memzero(keys, sizeof keys);
    free(ids);
    sw_tokenizer_free(tok);
    sw_gguf_close(g);
    return out;
}

char *sw_api_detect_json(const char *text, size_t len, const char *opts_json) {
    sw_err err;
    if (sw_crypto_init(&err) < 0) return sw_api_finish(NULL, &err);
    json_t *o = sw_api_parse_opts(opts_json, &err), *r = NULL;
    if (o) {
        sw_detect_opts d = {.home = sw_api_opt_str(o, "home"), .model = sw_api_opt_str(o, "model"), .scheme = sw_api_opt_str(o, "scheme"),
                            .window = (int)json_integer_value(json_object_get(o, "window")),
                            .tokens = json_is_true(json_object_get(o, "tokens"))};
        r = sw_detect_json(&d, text ? text : "", text ? len : 0, &err);
    }
    json_decref(o);
    return sw_api_finish(r, &err);
}
