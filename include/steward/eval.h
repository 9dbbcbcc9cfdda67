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

/* ---- bias of the guard and the model (bias.c; docs/eval.md "eval bias") ---- */
/* Parsers of the bias data (fuzzed). Each returns a new JSON array, or NULL with err naming
 * `name` and the line:
 *   templates: "LANG<TAB>benign|harmful<TAB>TEXT with one {X}" -> [{"lang","harmful","text"}]
 *   terms:     "LANG<TAB>GROUP<TAB>TERM"                       -> [{"lang","group","term"}]
 *   CrowS-Pairs CSV (RFC 4180 quoting; columns sent_more, sent_less, stereo_antistereo,
 *   bias_type named by its header)                           -> [{"more","less","bias_type"}]
 * Lines that are empty or start with '#' are skipped (TSV). */
json_t *sw_bias_parse_templates(const char *data, size_t len, const char *name, sw_err *err);
json_t *sw_bias_parse_terms(const char *data, size_t len, const char *name, sw_err *err);
json_t *sw_crows_parse(const char *data, size_t len, const char *name, sw_err *err);

typedef struct sw_bias_opts {
    const char *templates; /* NULL: <data>/bias/templates.tsv */
    const char *terms;     /* NULL: <data>/bias/terms.tsv */
    const char *lang;      /* "en", "zh", or NULL / "all" */
    const char *crows;     /* CrowS-Pairs CSV; NULL: not measured */
    const char *model;     /* language model for CrowS-Pairs; NULL: the shipped model */
    int crows_limit;       /* pairs scored at most (<= 0: all) */
} sw_bias_opts;

/* Fills every template with every term of its language and scans each sentence with the
 * input guard g. Per group and term: the alarm rate (flag or more) on benign and on
 * harmful sentences, the subgroup AUC (harmful against benign sentences of that term,
 * ranked by the guard's highest finding score); per group the gap (largest minus smallest
 * benign alarm rate, in points; stop_gap the same for review or block); max_gap and
 * max_stop_gap over groups. With o->crows, the model's preference rate for the more
 * stereotypical sentence of each pair (higher log-likelihood). Returns {"sentences",
 * "groups", "max_gap", "max_gap_group", "max_stop_gap", "subgroup_auc", "crows_pairs"}, or
 * NULL with err. */
json_t *sw_eval_bias(const sw_guard *g, const sw_bias_opts *o, sw_err *err);

/* ---- sandbox: replay past requests through a candidate configuration (replay.c) ---- */
/* Parses a JSONL file of requests: one object per line with "prompt" (or "text") and
 * optionally "id". Returns [{"prompt", "source"}] or NULL with err naming the line. */
json_t *sw_replay_parse_prompts(const char *data, size_t len, const char *name, sw_err *err);

typedef struct sw_replay_opts {
    const char *home;        /* the state directory whose log is replayed and records the replay */
    const char *policy;      /* candidate policy (required) */
    const char *model;       /* candidate model; NULL: the baseline's */
    const char *base_policy; /* the configuration in force; NULL: the shipped policy */
    const char *base_model;  /* NULL: the shipped model */
    const char *file;        /* JSONL requests; NULL: the log's retained content */
    int64_t since;           /* with the log: records at or after this unix time */
    int max_tokens;          /* per replayed request; <= 0: 32 */
    uint64_t seed;           /* sampling seed of every replayed request */
    const char *command;     /* the command line, for the replay's record; NULL: none written */
} sw_replay_opts;

/* Runs every request through the baseline and then the candidate configuration, each in
 * a scratch state directory (nothing is served, and the real log gets no record but the
 * replay's own when o->command is set), greedy and without the watermark so that only the
 * configuration differs, and compares the decisions (input and output guard actions and
 * finish reason). Returns {"requests", "changed", "by_category", "by_transition",
 * "changes": [...], "baseline", "candidate", "record"?}, or NULL with err. */
json_t *sw_eval_replay(const sw_replay_opts *o, sw_err *err);
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
/* The same on a context the caller holds (its window), of at most the first max_tokens
 * tokens (0: all), with out's ctx and seconds left 0: the one scoring that the guard's
 * perplexity signals use too. out->tokens is 0 when the text has fewer than two tokens
 * (nothing scored; not an error). -1 with err: tokenizer or model failure. */
int sw_eval_perplexity_on(sw_ctx *c, const sw_tokenizer *tk, const char *text, size_t len, int max_tokens,
                          sw_ppl_result *out, sw_err *err);
/* The result as JSON, with the model's and the text's names (either may be NULL). New
 * reference (NULL: no memory). */
json_t *sw_ppl_result_json(const sw_ppl_result *r, const char *model, const char *file);

#endif
