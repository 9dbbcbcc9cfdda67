/* eval.h - evaluations that prove the controls work: watermark detection rates,
 * robustness, false positives on human text, and its cost in quality and speed; the
 * perplexity and bits per byte of a model on a text. */
#ifndef STEWARD_EVAL_H
#define STEWARD_EVAL_H

#include "steward/pipeline.h"

#include <jansson.h>

typedef struct sw_wm_eval_opts {
    int samples;        /* generations with and without the watermark (default 50) */
    int tokens;         /* tokens per generation (default 200) */
    float temperature;  /* default 1 */
    const char *human;  /* human-written text for negatives and prompts (may be NULL) */
    size_t human_bytes; /* at most this much of it is used (default 1 MB) */
    uint64_t seed;
    /* progress: called after each sample (may be NULL) */
    void (*progress)(void *ud, int done, int total);
    void *ud;
} sw_wm_eval_opts;

void sw_wm_eval_opts_default(sw_wm_eval_opts *o);

/* Generates o->samples texts with and without the watermark through the pipeline, then
 * measures: true-positive rate at false-positive rates 1e-2, 1e-3 and 1e-5 against text
 * length; the same after random token substitution, deletion and insertion at 10, 20 and
 * 30% and after embedding in human text; the false-positive rate on the unwatermarked
 * generations and on windows of the human text; the perplexity of both under the model;
 * the generation speed with and without the watermark. Returns a new JSON object, or
 * NULL with a message. */
json_t *sw_eval_watermark(sw_pipeline *p, const sw_wm_params *wp, const sw_wm_eval_opts *o, sw_err *err);

/* Writes an SVG plot of true-positive rate against length (one line per FPR) from the
 * object sw_eval_watermark returned. -1 on I/O error. */
int sw_eval_watermark_svg(const json_t *report, const char *path, sw_err *err);

/* ---- perplexity ---- */
typedef struct sw_ppl_result {
    int tokens;            /* tokens scored: all but the first */
    double nll_per_token;  /* mean negative log-likelihood, nats */
    double perplexity;     /* exp(nll_per_token) */
    double bits_per_byte;  /* the total NLL in bits over the bytes the scored tokens decode to */
    double bytes;
    int ctx;               /* window in tokens */
    double seconds;
} sw_ppl_result;
/* Scores text[0..len) under m in windows of ctx tokens (ctx <= 0 or over the model's
 * training context: that context). -1 with err: fewer than two tokens, too many, no
 * memory. */
int sw_eval_perplexity(const sw_model *m, const char *text, size_t len, int ctx, sw_ppl_result *out, sw_err *err);
/* The result as JSON, with the model's and the text's names (either may be NULL). New
 * reference (NULL: no memory). */
json_t *sw_ppl_result_json(const sw_ppl_result *r, const char *model, const char *file);

#endif
