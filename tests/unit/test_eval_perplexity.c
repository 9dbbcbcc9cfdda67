/* test_eval_perplexity.c - sw_eval_perplexity (the library's perplexity, which `steward
 * eval perplexity` prints): on the shipped model, perplexity is exp of the mean NLL, bits
 * per byte is the total NLL in bits over the scored bytes, a shorter window scores the same
 * tokens no better, a text of one token is refused, and the JSON form carries every figure. */
#include "steward/eval.h"
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

static const char *TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n";
static char model_path[1024];
static sw_model *m;

static void test_figures(void) {
    sw_ppl_result r;
    sw_err err = {{0}};
    T_CHECK_MSG(sw_eval_perplexity(m, TEXT, strlen(TEXT), 0, &r, &err) == 0, "%s", err.msg);
    T_CHECK(r.tokens > 10 && r.ctx == sw_model_hparams(m)->n_ctx_train);
    T_NEAR(r.perplexity, exp(r.nll_per_token), 1e-9 * r.perplexity);
    T_NEAR(r.bits_per_byte, r.nll_per_token * r.tokens / r.bytes / log(2.0), 1e-9);
    T_CHECK(r.bytes > 0 && r.bytes < (double)strlen(TEXT));   /* the first token is not scored */
    T_CHECK(r.perplexity > 1 && r.perplexity < sw_model_hparams(m)->n_vocab); /* a trained model beats uniform */
    sw_ppl_result w;
    T_CHECK(sw_eval_perplexity(m, TEXT, strlen(TEXT), 8, &w, &err) == 0 && w.ctx == 8 && w.tokens == r.tokens);
    T_CHECK(w.nll_per_token >= r.nll_per_token - 0.05); /* less context predicts no better */
    json_t *j = sw_ppl_result_json(&r, "m.gguf", NULL);
    T_CHECK(j && json_integer_value(json_object_get(j, "tokens")) == r.tokens &&
            json_is_null(json_object_get(j, "file")) && json_object_get(j, "bits_per_byte"));
    json_decref(j);
}

static void test_too_short(void) {
    sw_ppl_result r;
    sw_err err = {{0}};
    T_CHECK(sw_eval_perplexity(m, "a", 1, 0, &r, &err) == -1 && strstr(err.msg, "fewer than two tokens"));
}

int main(void) {
    const char *root = getenv("STEWARD_ROOT");
    snprintf(model_path, sizeof model_path, "%s/models/default.gguf", root ? root : ".");
    sw_err err;
    if (access(model_path, R_OK) != 0 || sw_model_load(model_path, &m, &err) < 0) {
        printf("ok - test_eval_perplexity # SKIP no shipped model at %s\n", model_path);
        return 0;
    }
    T_RUN(test_figures);
    T_RUN(test_too_short);
    sw_model_free(m);
    return t_done();
}
