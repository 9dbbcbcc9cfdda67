/* fuzz_gbnf.c - libFuzzer target: the GBNF parser on arbitrary bytes; a grammar that
 * compiles is then run: a state fed the input's bytes, and masks over a small byte
 * vocabulary with a budget, checking that an allowed token is accepted. */
#include "steward/grammar.h"

#include <math.h>
#include <stdlib.h>

#define FUZZ_VOCAB 258 /* the 256 bytes, a two-byte token and an end-of-generation token */

static sw_grammar_vocab *vocab(void) {
    static sw_grammar_vocab *v;
    if (v) return v;
    static char bytes[256];
    const char *toks[FUZZ_VOCAB];
    size_t lens[FUZZ_VOCAB];
    uint8_t eog[FUZZ_VOCAB] = {0};
    for (int i = 0; i < 256; i++) {
        bytes[i] = (char)i;
        toks[i] = bytes + i;
        lens[i] = 1;
    }
    toks[256] = "\xc3\xa9";
    lens[256] = 2;
    toks[257] = "";
    lens[257] = 0;
    eog[257] = 1;
    sw_err err;
    if (sw_grammar_vocab_from_bytes(FUZZ_VOCAB, toks, lens, eog, &v, &err) < 0) abort();
    return v;
}

/* Runs a compiled grammar: the input's bytes, then a few masked steps. */
void sw_fuzz_run_grammar(const sw_grammar *g, const uint8_t *data, size_t size) {
    sw_grammar_state *s = NULL;
    sw_err err;
    int budget = sw_grammar_min_bytes(g) + 8;
    if (budget > 4096 || sw_grammar_state_new(g, vocab(), budget, &s, &err) < 0) return;
    (void)sw_grammar_state_accept_bytes(s, (const char *)data, size < 64 ? size : 64, &err);
    float logits[FUZZ_VOCAB];
    for (int step = 0; step < 16 && !sw_grammar_state_is_done(s) && sw_grammar_state_budget_left(s) > 0; step++) {
        for (int t = 0; t < FUZZ_VOCAB; t++) logits[t] = 0;
        if (sw_grammar_state_mask(s, logits, &err) < 0) break;
        int t = (step * 97 + (int)size) % FUZZ_VOCAB, k = 0;
        while (logits[t] == -INFINITY && k++ < FUZZ_VOCAB) t = (t + 1) % FUZZ_VOCAB;
        if (t == FUZZ_VOCAB - 1) break;
        if (sw_grammar_state_accept_token(s, t, &err) < 0) abort(); /* the mask allowed it */
    }
    sw_grammar_state_free(s);
}

#ifndef SW_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_grammar *g = NULL;
    sw_err err;
    if (sw_grammar_from_gbnf((const char *)data, size, &g, &err) == 0) sw_fuzz_run_grammar(g, data, size);
    sw_grammar_free(g);
    return 0;
}
#endif
