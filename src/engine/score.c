/* score.c - teacher-forced log-likelihood of a token sequence under the model. */
#include "model_internal.h"

#include <math.h>
#include <stdlib.h>

/* -log softmax(logits)[y], computed stably. */
static double token_nll(const float *logits, int n_vocab, int32_t y) {
    float m = logits[0];
    for (int k = 1; k < n_vocab; k++) m = logits[k] > m ? logits[k] : m;
    double s = 0;
    for (int k = 0; k < n_vocab; k++) s += exp((double)(logits[k] - m));
    return log(s) + (double)(m - logits[y]);
}

int sw_ctx_nll(sw_ctx *c, const int32_t *tokens, int n, int first, double *nll, int *scored, sw_err *err) {
    *nll = 0;
    *scored = 0;
    if (first < 1) first = 1; /* the first token has no context to be predicted from */
    if (n <= first) return 0;
    int n_ctx = c->n_ctx;
    int V = sw_model_hparams(c->m)->n_vocab;
    float *logits = malloc((size_t)n_ctx * (size_t)V * sizeof *logits);
    if (!logits) return sw_err_set(err, "out of memory scoring %d tokens", n);
    /* Windows of n_ctx tokens; window k evaluates tokens [start, start + w) and scores
     * the prediction of each next token that lies at or past `first`. */
    for (int start = 0; start + 1 < n; start += n_ctx) {
        int w = n - 1 - start < n_ctx ? n - 1 - start : n_ctx;
        if (sw_ctx_eval(c, tokens + start, w, 0, NULL, logits, err) < 0) {
            free(logits);
            return -1;
        }
        for (int i = 0; i < w; i++) {
            int target = start + i + 1;
            if (target < first) continue;
            *nll += token_nll(logits + (size_t)i * V, V, tokens[target]);
            (*scored)++;
        }
    }
    free(logits);
    return 0;
}
