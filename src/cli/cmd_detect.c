/* cmd_detect.c - `steward detect`: does a text carry this instance's watermark, and where? */
#include "cli.h"
#include "steward/pipeline.h"
#include "steward/tokenizer.h"
#include "steward/json.h"
#include "steward/keys.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

static const char *USAGE =
    "detect [--model FILE] [--scheme S] [--window N] [--tokens] [--json]\n\n"
    "Reads text on stdin and reports whether it carries steward's watermark: z-score,\n"
    "p-value and the number of scored tokens. Needs only the model's tokenizer and the\n"
    "watermark keys (current and retired), not the weights. A watermarked span inside\n"
    "longer text is found by windowed scoring (windows of N tokens and up, default 50)\n"
    "and reported with its byte offsets. Schemes: kgw-selfhash (default), kgw-lefthash,\n"
    "synthid. With --tokens, stdin is a JSON array of token ids (as in generate --json)\n"
    "instead of text.";

/* Reads a JSON array of token ids from text. -1 naming the bad element. */
static int parse_token_array(const sw_buf *in, int32_t **ids, size_t *n, sw_err *err) {
    json_t *a = sw_json_parse(in->data, in->len, "stdin", 0, err);
    if (!a) return sw_err_prefix(err, "--tokens");
    if (!json_is_array(a)) {
        const char *kind = json_is_object(a) ? "object" : "value";
        json_decref(a);
        return sw_err_set(err, "--tokens: stdin holds a JSON %s, not an array of token ids", kind);
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
            return sw_err_set(err, "stdin: element %zu is not a token id", i);
        }
        (*ids)[i] = (int32_t)json_integer_value(v);
    }
    json_decref(a);
    return 0;
}

/* Byte offset of token index i (the bytes of tokens before it). */
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

int sw_cmd_detect(int argc, char **argv) {
    const char *model = NULL, *scheme_name = "kgw-selfhash";
    int window = 50, json = 0, tokens_in = 0;
    const sw_opt opts[] = {
        {"model", SW_OPT_STR, &model, "FILE", "GGUF file whose tokenizer to use (default: the shipped model)"},
        {"scheme", SW_OPT_STR, &scheme_name, "S", "watermark scheme (default kgw-selfhash)"},
        {"window", SW_OPT_INT, &window, "N", "smallest window for span search (default 50)"},
        {"tokens", SW_OPT_FLAG, &tokens_in, NULL, "read a JSON array of token ids instead of text"},
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("detect", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    sw_wm_scheme scheme;
    if (sw_wm_scheme_parse(scheme_name, &scheme) < 0 || scheme == SW_WM_NONE)
        return sw_cli_usage_error("detect", "unknown --scheme '%s' (kgw-selfhash, kgw-lefthash, synthid)", scheme_name);
    if (window < 8) return sw_cli_usage_error("detect", "--window must be at least 8");

    sw_err err;
    char home[PATH_MAX], mbuf[PATH_MAX];
    if (!model) model = sw_pipeline_default_model(mbuf, sizeof mbuf);
    if (!model) {
        sw_err_set(&err, "no model given (--model FILE) and no default model found");
        return sw_cli_fail("detect", &err);
    }
    uint8_t keys[SW_WM_MAX_KEYS][SW_WM_KEY_BYTES];
    size_t n_keys = 0;
    sw_gguf *g = NULL;
    sw_tokenizer *tok = NULL;
    sw_buf text = {0};
    int32_t *ids = NULL;
    size_t n = 0;
    rc = SW_EXIT_FAIL;
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0 ||
        sw_keys_secret_all(home, SW_WM_KEY_NAME, &keys[0][0], SW_WM_KEY_BYTES, SW_WM_MAX_KEYS, &n_keys, &err) < 0 || sw_gguf_open(model, &g, &err) < 0 ||
        sw_tokenizer_from_gguf(g, &tok, &err) < 0 || sw_read_file("-", &text, &err) < 0 ||
        (tokens_in ? parse_token_array(&text, &ids, &n, &err)
                   : sw_tokenize(tok, text.data ? text.data : "", text.len, 0, &ids, &n, &err)) < 0) {
        rc = sw_cli_fail("detect", &err);
        goto out;
    }
    sw_wm_params wp;
    sw_wm_params_default(scheme, &wp);
    sw_wm_detection best = {0};
    best.p = 1;
    size_t best_key = 0;
    int windowed = 0;
    for (size_t k = 0; k < n_keys; k++) {
        sw_wm_detection whole, win;
        sw_wm_detect(&wp, keys[k], ids, (int)n, &whole);
        sw_wm_detection *pick = &whole;
        int w = 0;
        if (!whole.watermarked && (uint64_t)n > 2 * (uint64_t)window) { /* window may be INT_MAX */
            sw_wm_detect_windowed(&wp, keys[k], ids, (int)n, window, &win);
            if (win.watermarked) pick = &win, w = 1;
        }
        if (k == 0 || (pick->watermarked && !best.watermarked) ||
            (pick->watermarked == best.watermarked && pick->z > best.z)) {
            best = *pick;
            best_key = k;
            windowed = w;
        }
    }
    char kid[17];
    sw_wm_key_id(keys[best_key], kid);
    size_t bs = byte_offset(tok, ids, best.start), be = byte_offset(tok, ids, best.end);
    if (json) {
        json_t *o = json_pack("{s:b,s:s,s:f,s:f,s:i,s:f,s:s,s:b}", "watermarked", best.watermarked,
                              "scheme", sw_wm_scheme_name(scheme), "z", best.z, "p", best.p,
                              "scored_tokens", best.scored, "score", best.score, "key_id", kid,
                              "windowed", windowed);
        json_object_set_new(o, "span", json_pack("{s:I,s:I,s:i,s:i}", "start", (json_int_t)bs, "end",
                                                 (json_int_t)be, "token_start", best.start, "token_end", best.end));
        sw_cli_print_json(o);
    } else {
        printf("%s: %s z=%.2f p=%.3g over %d scored tokens (key %s)", best.watermarked ? "watermarked" : "not watermarked",
               sw_wm_scheme_name(scheme), best.z, best.p, best.scored, kid);
        if (windowed) printf(", span at bytes %zu..%zu", bs, be);
        printf("\n");
    }
    rc = SW_EXIT_OK;
out:
    sodium_memzero(keys, sizeof keys);
    free(ids);
    sw_buf_free(&text);
    sw_tokenizer_free(tok);
    sw_gguf_close(g);
    return rc;
}
