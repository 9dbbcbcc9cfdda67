/* sampler.c - from logits to the next token: penalties, temperature, top-k/top-p/min-p,
 * seeded sampling, the watermark hook and per-step log-probabilities. */
#include "steward/sampler.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sw_sampler {
    sw_sampler_params p;
    int n_vocab;
    sw_rng rng;
    sw_candidate *cands; /* n_vocab entries of scratch */
    sw_sampler_hook hook;
    int has_hook;
};

void sw_sampler_params_default(sw_sampler_params *p) {
    /* The defaults of llama.cpp's CLI, so that figures compare like with like. */
    p->temperature = 0.8f;
    p->top_k = 40;
    p->top_p = 0.95f;
    p->min_p = 0.05f;
    p->repeat_penalty = 1.0f;
    p->repeat_last_n = 64;
    p->seed = 0;
    p->n_logprobs = 0;
}

int sw_sampler_params_check(const sw_sampler_params *p, sw_err *err) {
    if (!isfinite(p->temperature) || p->temperature < 0)
        return sw_err_set(err, "sampler: temperature %g is not a number >= 0", (double)p->temperature);
    if (!(p->top_p >= 0 && p->top_p <= 1)) /* NaN fails too */
        return sw_err_set(err, "sampler: top_p %g is not in [0, 1]", (double)p->top_p);
    if (!(p->min_p >= 0 && p->min_p <= 1))
        return sw_err_set(err, "sampler: min_p %g is not in [0, 1]", (double)p->min_p);
    if (!isfinite(p->repeat_penalty) || p->repeat_penalty <= 0)
        return sw_err_set(err, "sampler: repeat_penalty %g is not a number > 0 (1 is off)", (double)p->repeat_penalty);
    if (p->top_k < 0) return sw_err_set(err, "sampler: top_k %d is negative", p->top_k);
    if (p->repeat_last_n < 0) return sw_err_set(err, "sampler: repeat_last_n %d is negative", p->repeat_last_n);
    if (p->n_logprobs < 0 || p->n_logprobs > SW_SAMPLER_MAX_LOGPROBS)
        return sw_err_set(err, "sampler: n_logprobs %d is not in 0..%d", p->n_logprobs, SW_SAMPLER_MAX_LOGPROBS);
    return 0;
}

sw_sampler *sw_sampler_new(const sw_sampler_params *p, int n_vocab) {
    if (n_vocab <= 0) return NULL;
    sw_sampler *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cands = malloc((size_t)n_vocab * sizeof *s->cands);
    if (!s->cands) {
        free(s);
        return NULL;
    }
    s->p = *p;
    s->n_vocab = n_vocab;
    sw_rng_seed(&s->rng, p->seed);
    return s;
}

void sw_sampler_free(sw_sampler *s) {
    if (!s) return;
    free(s->cands);
    free(s);
}

void sw_sampler_set_hook(sw_sampler *s, const sw_sampler_hook *hook) {
    s->has_hook = hook != NULL;
    if (hook) s->hook = *hook;
}

/* log-sum-exp of the logits, computed stably. */
static double logsumexp(const float *x, int n) {
    float m = -FLT_MAX;
    for (int i = 0; i < n; i++) if (x[i] > m) m = x[i];
    double sum = 0;
    for (int i = 0; i < n; i++) sum += exp((double)(x[i] - m));
    return m + log(sum);
}

/* Fills out[k] with the k largest logits as log-probabilities, best first. */
static void top_logprobs(const float *logits, int n, int k, double lse, sw_logprob *out) {
    for (int j = 0; j < k; j++) out[j] = (sw_logprob){-1, -INFINITY};
    for (int i = 0; i < n; i++) {
        float lp = (float)(logits[i] - lse);
        if (lp <= out[k - 1].logprob) continue;
        int j = k - 1;
        while (j > 0 && out[j - 1].logprob < lp) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = (sw_logprob){i, lp};
    }
}

/* Gives every logit a defined value: NaN becomes -inf (never chosen), +inf the largest
 * float (so that differences stay numbers). Returns how many are above -inf. */
static int sanitize(float *x, int n) {
    int usable = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) x[i] = -INFINITY;
        else if (x[i] > FLT_MAX) x[i] = FLT_MAX;
        usable += x[i] > -INFINITY;
    }
    return usable;
}

static void apply_repeat_penalty(const sw_sampler_params *p, float *logits, int n_vocab,
                                 const int32_t *hist, int n_hist) {
    if (p->repeat_penalty == 1.0f || p->repeat_last_n <= 0) return;
    if (!isfinite(p->repeat_penalty) || p->repeat_penalty <= 0) return; /* degenerate: off */
    int from = n_hist > p->repeat_last_n ? n_hist - p->repeat_last_n : 0;
    /* Penalise each distinct token once, as llama.cpp does. Mark by sign trick free:
     * a small seen-set over the window (window is at most a few hundred tokens). */
    for (int i = from; i < n_hist; i++) {
        int32_t t = hist[i];
        if (t < 0 || t >= n_vocab) continue;
        int dup = 0;
        for (int j = from; j < i && !dup; j++) dup = hist[j] == t;
        if (dup) continue;
        logits[t] = logits[t] > 0 ? logits[t] / p->repeat_penalty : logits[t] * p->repeat_penalty;
    }
}

static int32_t argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

static int cmp_cand_desc(const void *a, const void *b) {
    const sw_candidate *x = a, *y = b;
    if (x->logit != y->logit) return x->logit < y->logit ? 1 : -1;
    return x->id - y->id; /* ties broken by id: deterministic everywhere */
}

/* Keeps the k best candidates of n, sorted descending. Returns the new count. */
static int keep_top_k(sw_candidate *c, int n, int k) {
    if (k <= 0 || k >= n) {
        qsort(c, (size_t)n, sizeof *c, cmp_cand_desc);
        return n;
    }
    /* Partial selection: maintain the best k in c[0..k) by insertion (k is small). */
    qsort(c, (size_t)k, sizeof *c, cmp_cand_desc);
    for (int i = k; i < n; i++) {
        if (cmp_cand_desc(&c[i], &c[k - 1]) >= 0) continue;
        sw_candidate v = c[i];
        int j = k - 1;
        while (j > 0 && cmp_cand_desc(&v, &c[j - 1]) < 0) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = v;
    }
    return k;
}

/* The candidates that survive the filters, with probabilities at the temperature,
 * renormalised. Tokens under min_p x the best are dropped first (no sort needed); top-k
 * and top-p sort only what is left (top-p alone prefilters at 1e-12 x the best, which
 * changes no cumulative sum that matters). Without top-k and top-p the candidates stay in
 * id order. Returns the count (>= 1). */
static int filter_candidates(const sw_sampler_params *p, const float *logits, int n_vocab, sw_candidate *c) {
    float m = logits[0];
    for (int i = 1; i < n_vocab; i++) if (logits[i] > m) m = logits[i];
    double cut = p->min_p > 0 ? p->min_p : p->top_p < 1.0f ? 1e-12 : 0;
    int n = 0;
    for (int i = 0; i < n_vocab; i++) {
        double pi = exp((double)(logits[i] - m) / p->temperature);
        if (pi >= cut) c[n++] = (sw_candidate){i, logits[i], (float)pi};
    }
    if (n == 0) { /* only when min_p > 1 (refused by the check): keep the best */
        int32_t b = argmax(logits, n_vocab);
        c[n++] = (sw_candidate){b, logits[b], 1.0f};
    }
    if (p->top_k > 0 && p->top_k < n) n = keep_top_k(c, n, p->top_k);
    else if (p->top_p < 1.0f) qsort(c, (size_t)n, sizeof *c, cmp_cand_desc);
    if (p->top_p < 1.0f) {
        double total = 0, cum = 0;
        for (int i = 0; i < n; i++) total += c[i].p;
        int k = 0;
        while (k < n) {
            cum += c[k++].p;
            if (cum >= p->top_p * total) break;
        }
        n = k;
    }
    double sum = 0;
    for (int i = 0; i < n; i++) sum += c[i].p;
    for (int i = 0; i < n; i++) c[i].p = (float)(c[i].p / sum);
    return n;
}

int32_t sw_sampler_sample(sw_sampler *s, float *logits, const int32_t *history, int n_history,
                          sw_logprob *out_logprobs, float *chosen_logprob) {
    const sw_sampler_params *p = &s->p;
    int n = s->n_vocab;
    if (sanitize(logits, n) == 0) {
        if (chosen_logprob) *chosen_logprob = NAN;
        if (p->n_logprobs > 0 && out_logprobs)
            for (int j = 0; j < p->n_logprobs; j++) out_logprobs[j] = (sw_logprob){SW_SAMPLER_NO_TOKEN, -INFINITY};
        return SW_SAMPLER_NO_TOKEN;
    }
    double lse = 0;
    int want_lp = p->n_logprobs > 0 || chosen_logprob;
    if (want_lp) lse = logsumexp(logits, n);
    if (p->n_logprobs > 0 && out_logprobs) top_logprobs(logits, n, p->n_logprobs, lse, out_logprobs);
    /* The raw logit of the chosen token is needed after logits are modified. */
    float *raw = NULL;
    if (chosen_logprob) {
        raw = malloc((size_t)n * sizeof *raw);
        if (raw) memcpy(raw, logits, (size_t)n * sizeof *raw);
    }

    if (s->has_hook && s->hook.adjust) s->hook.adjust(s->hook.ud, logits, n, history, n_history);
    apply_repeat_penalty(p, logits, n, history, n_history);
    if (sanitize(logits, n) == 0) { /* the hook took every candidate away */
        free(raw);
        if (chosen_logprob) *chosen_logprob = NAN;
        return SW_SAMPLER_NO_TOKEN;
    }

    int32_t tok;
    if (p->temperature <= 0) {
        tok = argmax(logits, n);
    } else {
        int k = filter_candidates(p, logits, n, s->cands);
        double u = sw_rng_uniform(&s->rng);
        int idx = -1;
        if (s->has_hook && s->hook.choose)
            idx = s->hook.choose(s->hook.ud, s->cands, k, history, n_history, u);
        if (idx < 0 || idx >= k) {
            double cum = 0;
            idx = k - 1;
            for (int i = 0; i < k; i++) {
                cum += s->cands[i].p;
                if (u < cum) {
                    idx = i;
                    break;
                }
            }
        }
        tok = s->cands[idx].id;
    }
    if (chosen_logprob) *chosen_logprob = raw ? (float)(raw[tok] - lse) : NAN;
    free(raw);
    if (s->has_hook && s->hook.observe) s->hook.observe(s->hook.ud, tok);
    return tok;
}
