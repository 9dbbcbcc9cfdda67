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

int sw_eval_perplexity(const sw_model *m, const char *text, size_t len, int ctx, sw_ppl_result *out, sw_err *err) {
    *out = (sw_ppl_result){0};
    const sw_tokenizer *tk = sw_model_tokenizer(m);
    int32_t *ids = NULL;
    size_t n = 0;
    if (sw_tokenize(tk, text, len, 0, &ids, &n, err)) return -1;
    int rc = -1;
    sw_ctx *c = NULL;
    if (n < 2) {
        sw_err_set(err, "perplexity: fewer than two tokens to score");
        goto done;
    }
    if (n > INT32_MAX) {
        sw_err_set(err, "perplexity: too many tokens (%zu)", n);
        goto done;
    }
    int n_ctx = sw_model_hparams(m)->n_ctx_train;
    if (ctx <= 0 || ctx > n_ctx) ctx = n_ctx;
    uint64_t t0 = sw_now_ns();
    double nll = 0;
    int scored = 0;
    if (!(c = sw_ctx_new(m, ctx, err)) || sw_ctx_nll(c, ids, (int)n, 1, &nll, &scored, err)) goto done;
    if (scored < 1) {
        sw_err_set(err, "perplexity: no token scored");
        goto done;
    }
    out->tokens = scored;
    out->nll_per_token = nll / (double)scored;
    out->perplexity = exp(out->nll_per_token);
    out->bytes = scored_bytes(tk, ids, n);
    out->bits_per_byte = out->bytes > 0 ? nll / out->bytes / log(2.0) : 0;
    out->ctx = ctx;
    out->seconds = (double)(sw_now_ns() - t0) / 1e9;
    rc = 0;
done:
    sw_ctx_free(c);
    free(ids);
    return rc;
}

json_t *sw_ppl_result_json(const sw_ppl_result *r, const char *model, const char *file) {
    return json_pack("{s:s?,s:s?,s:I,s:f,s:f,s:f,s:f,s:i,s:f}", "model", model, "file", file, "tokens",
                     (json_int_t)r->tokens, "nll_per_token", r->nll_per_token, "perplexity", r->perplexity,
                     "bits_per_byte", r->bits_per_byte, "bytes", r->bytes, "ctx", r->ctx, "seconds", r->seconds);
}
