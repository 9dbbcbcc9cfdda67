/* fuzz_model.c - libFuzzer target: arbitrary bytes parsed as GGUF and checked as a model
 * (hyper-parameters, every tensor's presence, type and shape, the tokenizer); whatever
 * the checks accept must then evaluate two positions without a memory error. (Fuzz
 * builds have no OpenMP: the pragmas are ignored and everything runs on one thread.) */
#include "steward/model.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_gguf *g;
    sw_model *m;
    if (sw_gguf_parse(data, size, &g, NULL) < 0) return 0;
    if (sw_model_from_gguf(g, "fuzz", &m, NULL) < 0) return 0;
    const sw_hparams *hp = sw_model_hparams(m);
    /* Keep each input cheap: skip models whose one-token cost is large. */
    if ((uint64_t)hp->n_layer * hp->n_embd * (hp->n_ff + hp->n_embd) < (1u << 24)) {
        sw_ctx *c = sw_ctx_new(m, hp->n_ctx_train < 4 ? hp->n_ctx_train : 4, NULL);
        float *logits = malloc(sizeof(float) * (size_t)hp->n_vocab);
        int32_t tok[2] = {0, hp->n_vocab - 1};
        if (c && logits) {
            int n = sw_ctx_n_ctx(c) >= 2 ? 2 : 1;
            sw_ctx_eval(c, tok, n, 0, logits, NULL, NULL);
        }
        free(logits);
        sw_ctx_free(c);
    }
    sw_model_free(m);
    return 0;
}
