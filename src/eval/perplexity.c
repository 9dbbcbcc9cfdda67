/* perplexity.c - the perplexity (per token) and bits per byte of a model on a text, in
 * windows of its context: `steward eval perplexity` and any other front end. */
#include "steward/eval.h"
#include "steward/tokenizer.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

/* Bytes of the text that the scored tokens (all but the first) decode to. */
static double scored_bytes(const sw_tokenizer *tk, const int32_t *ids, size_t n) {
    sw_buf b = {0};
    double bytes = 0;
    for (size_t i = 1; i < n; i++) {
        sw_buf_reset(&b);
        if (sw_token_to_bytes(tk, ids[i], 1, &b) == 0) bytes += (double)b.len;
    }
    sw_buf_free(&b);
    return bytes;
}

int sw_eval_perplexity_on(sw_ctx *c, const sw_tokenizer *tk, const char *text, size_t len, int max_tokens,
                          sw_ppl_result *out, sw_err *err) {
    *out = (sw_ppl_result){0};
    int32_t *ids = NULL;
    size_t n = 0;
    if (sw_tokenize(tk, text, len, 0, &ids, &n, err)) return -1;
    if (max_tokens > 0 && n > (size_t)max_tokens) n = (size_t)max_tokens;
    int rc = 0;
    double nll = 0;
    int scored = 0;
    if (n > INT32_MAX) rc = sw_err_set(err, "perplexity: too many tokens (%zu)", n);
    else if (n >= 2 && sw_ctx_nll(c, ids, (int)n, 1, &nll, &scored, err)) rc = -1;
    if (rc == 0 && scored > 0) {
        out->tokens = scored;
        out->nll_per_token = nll / (double)scored;
        out->perplexity = exp(out->nll_per_token);
        out->bytes = scored_bytes(tk, ids, n);
        out->bits_per_byte = out->bytes > 0 ? nll / out->bytes / log(2.0) : 0;
    }
    free(ids);
    return rc;
}

int sw_eval_perplexity(const sw_model *m, const char *text, size_t len, int ctx, sw_ppl_result *out, sw_err *err) {
    *out = (sw_ppl_result){0};
    int n_ctx = sw_model_hparams(m)->n_ctx_train;
    if (ctx <= 0 || ctx > n_ctx) ctx = n_ctx;
    uint64_t t0 = sw_now_ns();
    sw_ctx *c = sw_ctx_new(m, ctx, err);
    int rc = c ? sw_eval_perplexity_on(c, sw_model_tokenizer(m), text, len, 0, out, err) : -1;
    sw_ctx_free(c);
    if (rc == 0 && out->tokens < 1) rc = sw_err_set(err, "perplexity: fewer than two tokens to score");
    out->ctx = ctx;
    out->seconds = (double)(sw_now_ns() - t0) / 1e9;
    return rc;
}

json_t *sw_ppl_result_json(const sw_ppl_result *r, const char *model, const char *file) {
    return json_pack("{s:s?,s:s?,s:I,s:f,s:f,s:f,s:f,s:i,s:f}", "model", model, "file", file, "tokens",
                     (json_int_t)r->tokens, "nll_per_token", r->nll_per_token, "perplexity", r->perplexity,
                     "bits_per_byte", r->bits_per_byte, "bytes", r->bytes, "ctx", r->ctx, "seconds", r->seconds);
}
