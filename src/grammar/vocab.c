/* vocab.c - a vocabulary prepared for masking: every token's bytes in one trie, stored
 * in preorder (byte, depth, end of subtree, tokens ending here) so that a mask walks it
 * as a flat loop and checks each shared prefix once. */
#include "grammar/vocab_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct sort_ctx {
    const char *const *tokens;
    const size_t *lens;
} sort_ctx;

static int cmp_token(const void *a, const void *b, void *ud) {
    const sort_ctx *c0 = ud;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    size_t lx = c0->lens[x], ly = c0->lens[y], m = lx < ly ? lx : ly;
    int c = memcmp(c0->tokens[x], c0->tokens[y], m);
    if (c) return c;
    if (lx != ly) return lx < ly ? -1 : 1;
    return x < y ? -1 : x > y;
}

void sw_grammar_vocab_free(sw_grammar_vocab *v) {
    if (!v) return;
    free(v->byte);
    free(v->depth);
    free(v->end);
    free(v->tok_first);
    free(v->tok_n);
    free(v->order);
    free(v->is_eog);
    free(v->bytes);
    free(v->off);
    free(v->len);
    free(v);
}

int sw_grammar_vocab_size(const sw_grammar_vocab *v) { return v->n_vocab; }

const char *sw_grammar_vocab_token(const sw_grammar_vocab *v, int32_t t, size_t *len) {
    if (t < 0 || t >= v->n_vocab) return NULL;
    *len = v->len[t];
    return v->bytes + v->off[t];
}

/* Builds the preorder trie over the tokens in v->order (sorted by bytes). */
static int build_trie(sw_grammar_vocab *v, const char *const *tokens, const size_t *lens, int n_sorted) {
    size_t total = 0;
    for (int i = 0; i < n_sorted; i++) total += lens[v->order[i]];
    v->byte = malloc(total + 1);
    v->depth = malloc((total + 1) * sizeof *v->depth);
    v->end = malloc((total + 1) * sizeof *v->end);
    v->tok_first = malloc((total + 1) * sizeof *v->tok_first);
    v->tok_n = calloc(total + 1, sizeof *v->tok_n);
    int32_t path[SW_GV_MAX_TOKEN_BYTES + 1];
    if (!v->byte || !v->depth || !v->end || !v->tok_first || !v->tok_n) return -1;
    int32_t n = 0, d = 0; /* nodes so far; depth of the current path */
    const char *prev = "";
    size_t prev_len = 0;
    for (int i = 0; i < n_sorted; i++) {
        int32_t id = v->order[i];
        const char *s = tokens[id];
        size_t len = lens[id], common = 0;
        while (common < len && common < prev_len && s[common] == prev[common]) common++;
        while (d > (int32_t)common) v->end[path[--d]] = n; /* close nodes off the path */
        for (size_t k = common; k < len; k++) {
            v->byte[n] = (uint8_t)s[k];
            v->depth[n] = (int32_t)k + 1;
            v->tok_first[n] = i;
            path[d++] = n++;
        }
        if (v->tok_n[path[d - 1]] == 0) v->tok_first[path[d - 1]] = i;
        v->tok_n[path[d - 1]]++;
        prev = s;
        prev_len = len;
    }
    while (d > 0) v->end[path[--d]] = n;
    v->n_nodes = n;
    return 0;
}

int sw_grammar_vocab_from_bytes(int n_vocab, const char *const *tokens, const size_t *lens, const uint8_t *is_eog,
                                sw_grammar_vocab **out, sw_err *err) {
    *out = NULL;
    sw_grammar_vocab *v = calloc(1, sizeof *v);
    if (!v) return sw_err_set(err, "grammar vocabulary: out of memory");
    v->n_vocab = n_vocab;
    v->order = malloc((size_t)n_vocab * sizeof *v->order);
    v->is_eog = calloc((size_t)n_vocab, 1);
    v->off = malloc((size_t)n_vocab * sizeof *v->off);
    v->len = malloc((size_t)n_vocab * sizeof *v->len);
    if (!v->order || !v->is_eog || !v->off || !v->len) goto oom;
    size_t total = 0;
    for (int i = 0; i < n_vocab; i++) total += lens[i];
    v->bytes = malloc(total + 1);
    if (!v->bytes) goto oom;
    total = 0;
    for (int i = 0; i < n_vocab; i++) {
        v->off[i] = total;
        v->len[i] = lens[i];
        if (lens[i]) memcpy(v->bytes + total, tokens[i], lens[i]);
        total += lens[i];
    }
    int n_sorted = 0;
    for (int i = 0; i < n_vocab; i++) {
        if (is_eog && is_eog[i]) {
            v->is_eog[i] = 1;
            v->n_eog++;
        } else if (lens[i] > 0 && lens[i] <= SW_GV_MAX_TOKEN_BYTES) {
            v->order[n_sorted++] = i;
        }
    }
    sort_ctx ctx = {tokens, lens};
    qsort_r(v->order, (size_t)n_sorted, sizeof *v->order, cmp_token, &ctx);
    v->n_sorted = n_sorted;
    if (build_trie(v, tokens, lens, n_sorted) < 0) goto oom;
    *out = v;
    return 0;
oom:
    sw_grammar_vocab_free(v);
    return sw_err_set(err, "grammar vocabulary: out of memory");
}

int sw_grammar_vocab_new(const sw_tokenizer *t, sw_grammar_vocab **out, sw_err *err) {
    int n = sw_tokenizer_n_vocab(t);
    sw_buf all = {0};
    size_t *off = malloc((size_t)n * sizeof *off), *lens = malloc((size_t)n * sizeof *lens);
    const char **toks = malloc((size_t)n * sizeof *toks);
    uint8_t *eog = calloc((size_t)n, 1);
    int rc = -1;
    if (!off || !lens || !toks || !eog) {
        sw_err_set(err, "grammar vocabulary: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        off[i] = all.len;
        if (sw_token_to_bytes(t, i, 0, &all) < 0) {
            sw_err_set(err, "grammar vocabulary: token %d cannot be decoded", i);
            goto done;
        }
        lens[i] = all.len - off[i];
        eog[i] = (uint8_t)(sw_tokenizer_is_eog(t, i) != 0);
    }
    for (int i = 0; i < n; i++) toks[i] = all.data + off[i];
    rc = sw_grammar_vocab_from_bytes(n, toks, lens, eog, out, err);
done:
    sw_buf_free(&all);
    free(off);
    free(lens);
    free(toks);
    free(eog);
    return rc;
}
