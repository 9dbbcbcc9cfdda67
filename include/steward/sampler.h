/* sampler.h - turning logits into the next token: greedy, temperature, top-k, top-p,
 * min-p, repetition penalty; seeded and reproducible; a hook for the watermark; top-k
 * log-probabilities of each step. */
#ifndef STEWARD_SAMPLER_H
#define STEWARD_SAMPLER_H

#include "steward/core.h"

typedef struct sw_sampler_params {
    float temperature;    /* 0: greedy */
    int top_k;            /* 0: off */
    float top_p;          /* 1: off */
    float min_p;          /* 0: off */
    float repeat_penalty; /* 1: off */
    int repeat_last_n;    /* window of the penalty */
    uint64_t seed;
    int n_logprobs;       /* how many alternatives to report per step (0..20) */
} sw_sampler_params;

#define SW_SAMPLER_MAX_LOGPROBS 20
#define SW_SAMPLER_NO_TOKEN (-1) /* sw_sampler_sample: no logit was a number */

void sw_sampler_params_default(sw_sampler_params *p);
/* Checks the values no sampler can honour: temperature, top_p, min_p and repeat_penalty
 * must be finite; temperature >= 0; top_p and min_p in [0, 1]; repeat_penalty > 0;
 * top_k, repeat_last_n >= 0; n_logprobs in 0..SW_SAMPLER_MAX_LOGPROBS. 0, or -1 with
 * err naming the parameter and its value. Front ends call it before sw_sampler_new. */
int sw_sampler_params_check(const sw_sampler_params *p, sw_err *err);

/* One candidate of the final distribution. */
typedef struct sw_candidate {
    int32_t id;
    float logit;
    float p;
} sw_candidate;

/* Hook for a later stage (the watermark):
 *  - adjust: may change logits[n_vocab] in place before any filtering; history holds
 *    the tokens so far (prompt and generated).
 *  - choose: when set and sampling (temperature > 0), picks the token from the filtered
 *    candidates (probabilities normalised; sorted by p descending when top-k or top-p
 *    filtered them, else in id order) using its own keyed randomness; rng_u is a uniform
 *    draw from the sampler's seeded stream.
 *    Returns an index into cands.
 *  - observe: sees every chosen token. */
typedef struct sw_sampler_hook {
    void (*adjust)(void *ud, float *logits, int n_vocab, const int32_t *history, int n_history);
    int (*choose)(void *ud, const sw_candidate *cands, int n, const int32_t *history,
                  int n_history, double rng_u);
    void (*observe)(void *ud, int32_t token);
    void *ud;
} sw_sampler_hook;

typedef struct sw_logprob {
    int32_t id;
    float logprob;
} sw_logprob;

typedef struct sw_sampler sw_sampler;

sw_sampler *sw_sampler_new(const sw_sampler_params *p, int n_vocab); /* NULL: no memory */
void sw_sampler_free(sw_sampler *s);
void sw_sampler_set_hook(sw_sampler *s, const sw_sampler_hook *hook); /* NULL removes */

/* Chooses the next token from logits[n_vocab] (modified in place). history holds the
 * tokens so far. When the params ask for logprobs, fills out_logprobs (n_logprobs
 * entries, best first, log-softmax of the raw logits) and *chosen_logprob.
 * Non-finite logits have a defined meaning: NaN is never chosen (as -inf), +inf is the
 * largest float; a repeat_penalty that sw_sampler_params_check refuses is ignored.
 * Returns SW_SAMPLER_NO_TOKEN when no logit is a number (a model with NaN weights):
 * the caller must stop with an error, as there is nothing to sample from. */
int32_t sw_sampler_sample(sw_sampler *s, float *logits, const int32_t *history, int n_history,
                          sw_logprob *out_logprobs, float *chosen_logprob);

#endif
