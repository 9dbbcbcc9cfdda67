/* mask.c - the state of one constrained generation: the token mask (a walk of the token
 * trie through the cached byte transitions, cached per configuration), the budget that
 * steers to the shortest completion, and advancing by tokens or bytes. */
#include "grammar/state_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sw_grammar_state_new(const sw_grammar *g, const sw_grammar_vocab *v, int max_tokens, sw_grammar_state **out,
                         sw_err *err) {
    *out = NULL;
    sw_grammar_state *s = calloc(1, sizeof *s);
    if (!s) return sw_err_set(err, "grammar state: out of memory");
    s->g = g;
    s->v = v;
    s->budget = max_tokens > 0 ? max_tokens : INT32_MAX;
    for (int i = 0; i < SW_GS_MASK_SLOTS; i++) s->slots[i].cfg = -1;
    s->walk = malloc((SW_GV_MAX_TOKEN_BYTES + 1) * sizeof *s->walk);
    if (!s->walk || sw_gs_init(s, err) < 0) {
        if (s->walk) sw_err_set(err, "grammar state: out of memory");
        sw_grammar_state_free(s);
        return -1;
    }
    int32_t need = s->cfgs[s->cur].min;
    if (max_tokens > 0 && need > max_tokens) {
        sw_grammar_state_free(s);
        return sw_err_set(err,
                          "grammar: the shortest valid document is %d bytes, more than the budget of %d tokens "
                          "(one token per byte is budgeted so that the document always completes)",
                          need, max_tokens);
    }
    *out = s;
    return 0;
}

void sw_grammar_state_free(sw_grammar_state *s) {
    if (!s) return;
    sw_gs_release(s);
    for (int i = 0; i < SW_GS_MASK_SLOTS; i++) free(s->slots[i].next);
    free(s->walk);
    free(s);
}

/* Walks the trie from configuration c, filling next[t] for every token. */
static void walk_trie(sw_grammar_state *s, int32_t c, int32_t *next) {
    const sw_grammar_vocab *v = s->v;
    int32_t *w = s->walk;
    w[0] = c;
    for (int32_t k = 0; k < v->n_nodes;) {
        int32_t d = v->depth[k];
        int32_t nc = sw_gs_step(s, w[d - 1], v->byte[k]);
        if (nc == SW_GS_DEAD) {
            k = v->end[k];
            continue;
        }
        w[d] = nc;
        for (int32_t j = v->tok_first[k], e = j + v->tok_n[k]; j < e; j++) next[v->order[j]] = nc;
        k++;
    }
}

/* The configuration after each token from the current one (cached per configuration).
 * NULL when out of memory. */
static const int32_t *token_next(sw_grammar_state *s) {
    int32_t c = s->cur;
    if (s->cfgs[c].mask_slot >= 0) return s->slots[s->cfgs[c].mask_slot].next;
    int k = s->next_slot;
    sw_gmask_slot *slot = &s->slots[k];
    s->next_slot = (k + 1) % SW_GS_MASK_SLOTS;
    if (slot->cfg >= 0) s->cfgs[slot->cfg].mask_slot = -1;
    slot->cfg = -1;
    if (!slot->next) slot->next = malloc((size_t)s->v->n_vocab * sizeof *slot->next);
    if (!slot->next) return NULL;
    memset(slot->next, 0, (size_t)s->v->n_vocab * sizeof *slot->next); /* SW_GS_DEAD is 0 */
    walk_trie(s, c, slot->next);
    slot->cfg = c;
    s->cfgs[c].mask_slot = k;
    return slot->next;
}

/* The mask's decision for token t given next (from token_next). */
static int allowed(const sw_grammar_state *s, const int32_t *next, int32_t t) {
    if (s->v->is_eog[t]) return s->cfgs[s->cur].accepting && s->budget > 0;
    int32_t c = next[t];
    if (c == SW_GS_DEAD) return 0;
    return s->budget == INT32_MAX || s->cfgs[c].min <= s->budget - 1;
}

int sw_grammar_state_mask(sw_grammar_state *s, float *logits, sw_err *err) {
    const int32_t *next = token_next(s);
    if (!next) return sw_err_set(err, "grammar mask: out of memory");
    int32_t n = s->v->n_vocab, kept = 0;
    for (int32_t t = 0; t < n; t++) {
        if (allowed(s, next, t)) kept++;
        else logits[t] = -INFINITY;
    }
    if (kept == 0)
        return sw_err_set(err, "grammar mask: no token can continue the document (%d more bytes needed, %d tokens left)",
                          s->cfgs[s->cur].min, s->budget);
    return 0;
}

int sw_grammar_state_allows(sw_grammar_state *s, int32_t t) {
    if (t < 0 || t >= s->v->n_vocab) return 0;
    const int32_t *next = token_next(s);
    return next ? allowed(s, next, t) : 0;
}

int sw_grammar_state_accept_token(sw_grammar_state *s, int32_t t, sw_err *err) {
    if (t < 0 || t >= s->v->n_vocab) return sw_err_set(err, "grammar: token %d out of range", t);
    if (s->v->is_eog[t]) {
        if (!s->cfgs[s->cur].accepting) return sw_err_set(err, "grammar: end of generation before the document is complete");
    } else {
        int32_t c = s->cfgs[s->cur].mask_slot >= 0 ? s->slots[s->cfgs[s->cur].mask_slot].next[t]
                                                   : sw_gs_step_bytes(s, s->cur, (const uint8_t *)s->v->bytes + s->v->off[t],
                                                                      s->v->len[t]);
        if (c == SW_GS_DEAD || s->v->len[t] == 0) return sw_err_set(err, "grammar: token %d is not allowed here", t);
        s->cur = c;
    }
    if (s->budget != INT32_MAX) s->budget--;
    return 0;
}

int sw_grammar_state_accept_bytes(sw_grammar_state *s, const char *p, size_t n, sw_err *err) {
    int32_t c = sw_gs_step_bytes(s, s->cur, (const uint8_t *)p, n);
    if (c == SW_GS_DEAD) return sw_err_set(err, "grammar: the text is not allowed here");
    s->cur = c;
    return 0;
}

int sw_grammar_state_is_complete(const sw_grammar_state *s) { return s->cfgs[s->cur].accepting; }

int sw_grammar_state_is_done(const sw_grammar_state *s) {
    const sw_gcfg *c = &s->cfgs[s->cur];
    return c->accepting && c->n == 0;
}

int sw_grammar_state_min_bytes(const sw_grammar_state *s) { return s->cfgs[s->cur].min; }

int sw_grammar_state_budget_left(const sw_grammar_state *s) { return s->budget; }

void sw_grammar_state_limit_budget(sw_grammar_state *s, int tokens) {
    if (tokens >= 0 && tokens < s->budget) s->budget = tokens;
}

static int hook_mask(void *ud, float *logits, int n_vocab, sw_err *err) {
    sw_grammar_state *s = ud;
    if (n_vocab != s->v->n_vocab)
        return sw_err_set(err, "grammar mask: %d logits for a vocabulary of %d tokens", n_vocab, s->v->n_vocab);
    return sw_grammar_state_mask(s, logits, err);
}

static int hook_accept(void *ud, int32_t token, sw_err *err) { return sw_grammar_state_accept_token(ud, token, err); }

void sw_grammar_mask_hook(sw_grammar_state *s, sw_sampler_mask *out) {
    out->mask = hook_mask;
    out->accept = hook_accept;
    out->ud = s;
}
