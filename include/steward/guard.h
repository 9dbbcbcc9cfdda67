/* guard.h - input and output guards: normalisation with an offset map, keyword rules,
 * PII and secret recognisers with validators, encoded and invisible payloads, a policy
 * that turns findings into an action, and redaction.
 *
 * One call, sw_guard_scan, scans a text under a loaded guard (rules + policy + key) and
 * returns a verdict: the action, the findings with byte spans into the ORIGINAL text,
 * the redacted text and the SHA-256 of the policy that decided.  A loaded sw_guard is
 * read-only during scans, so one guard may serve many threads. */
#ifndef STEWARD_GUARD_H
#define STEWARD_GUARD_H

#include "steward/core.h"

#include <stddef.h>
#include <stdint.h>

/* ---- normalisation ---- */

/* A normalised view of a text: bytes plus, for every byte, the span [ostart, oend) of
 * the original bytes it came from.  A span [s, e) of the view maps back to
 * [ostart[s], oend[e-1]) of the original. */
typedef struct sw_guard_view {
    char *s; /* NUL-terminated */
    size_t len, cap;
    uint32_t *ostart, *oend;
} sw_guard_view;

/* An invisible character run found while normalising: zero-width, bidi control,
 * Unicode tag or variation selector characters, which are removed from the views. */
typedef enum {
    SW_INVIS_ZERO_WIDTH = 0,
    SW_INVIS_BIDI,
    SW_INVIS_TAG,
    SW_INVIS_VARIATION_SELECTOR,
} sw_invis_kind;

typedef struct sw_guard_invis {
    sw_invis_kind kind;
    uint32_t start, end; /* original byte span of the run */
    uint32_t count;      /* characters in the run */
} sw_guard_invis;

/* The result of normalising a text:
 *   light: NFKC, case folding, marks stripped, confusables folded, invisible removed
 *          (used by the PII recognisers);
 *   match: light + leetspeak folded inside words, separator runs collapsed to one space,
 *          spaced-out letters joined (used by the keyword rules);
 *   squeeze: match without its spaces (long phrases split inside words: "ign ore"). */
typedef struct sw_guard_norm {
    sw_guard_view light, match, squeeze;
    uint8_t *joined; /* per byte of match: 1 inside a joined spaced-out run */
    uint32_t *sq2m;  /* per byte of squeeze: its position in match */
    sw_guard_invis *invis;
    size_t n_invis, cap_invis;
} sw_guard_norm;

/* Normalises text[0..len). Texts over 1 GiB are refused. Ill-formed UTF-8 bytes become
 * U+FFFD in the views (still mapped to their own byte). Returns 0, or -1 (out of memory
 * or too long) with err set. Free with sw_guard_norm_free (also after a failure). */
int sw_guard_normalize(const char *text, size_t len, sw_guard_norm *out, sw_err *err);
void sw_guard_norm_free(sw_guard_norm *n);

/* ---- validators (exposed for tests and for the data pipeline) ---- */
/* Each takes the candidate as written (separators allowed where noted) and returns 1
 * when it is valid, 0 when not. */
int sw_valid_luhn(const char *s, size_t n);      /* 12-19 digits; spaces/dashes allowed */
int sw_valid_iban(const char *s, size_t n);      /* country length + mod 97; spaces allowed */
int sw_valid_cn_id(const char *s, size_t n);     /* 18 chars, GB 11643 check + birth date */
int sw_valid_us_ssn(const char *s, size_t n);    /* AAA-GG-SSSS or 9 digits */
int sw_valid_ipv4(const char *s, size_t n);
int sw_valid_ipv6(const char *s, size_t n);
int sw_valid_mac(const char *s, size_t n);       /* 6 octets, ':' or '-' separated */
int sw_valid_email(const char *s, size_t n);
int sw_valid_jwt(const char *s, size_t n);       /* three base64url parts, JSON header */
/* Shannon entropy of s in bits per byte. */
double sw_entropy(const char *s, size_t n);

/* ---- scanning ---- */

typedef enum { SW_GUARD_INPUT = 0, SW_GUARD_OUTPUT = 1 } sw_guard_dir;

/* Ordered by severity: the verdict's action is the most severe of its findings'. */
typedef enum {
    SW_ACT_ALLOW = 0,
    SW_ACT_FLAG,
    SW_ACT_REDACT,
    SW_ACT_REVIEW,
    SW_ACT_BLOCK,
} sw_guard_action;

typedef enum { SW_SRC_RULE = 0, SW_SRC_PII, SW_SRC_CLASSIFIER, SW_SRC_HEURISTIC } sw_guard_source;

typedef struct sw_guard_finding {
    char category[32]; /* prompt_injection, jailbreak, pii, secret, encoded_payload,
                          invisible_text, profanity, S1..S14 */
    char type[40];     /* EMAIL_ADDRESS, keyword, base64, ZERO_WIDTH, ... */
    char tc260[8];     /* TC260-003 risk code for harm categories, else "" */
    size_t start, end; /* byte span in the original text */
    double score;      /* 0..1 */
    sw_guard_source source;
    char explain[160]; /* why: the matched keyword, the validator that passed, ... */
    sw_guard_action action; /* what the policy decided for this finding */
    int op;                 /* redaction operator chosen by the policy (internal use) */
    int op_arg;
} sw_guard_finding;

typedef struct sw_guard_verdict {
    sw_guard_action action;
    sw_guard_finding *findings;
    size_t n_findings, cap_findings;
    char *redacted; /* the text with the findings whose action is redact replaced */
    size_t redacted_len;
    char policy_hash[65]; /* hex SHA-256 of the policy file's bytes */
    sw_guard_dir dir;
    int truncated; /* more than SW_GUARD_MAX_FINDINGS findings: the rest were dropped, and
                      the action is at least review (later spans were not redacted) */
    int text_source; /* sw_guard_text_source the text was scanned as (user or document) */
} sw_guard_verdict;
#define SW_GUARD_MAX_FINDINGS 65536

typedef struct sw_guard sw_guard;

/* The key of pseudonyms and reversible redaction: $STEWARD_HOME/keys/guard.key, 32 bytes,
 * loaded with sw_keys_secret_load_or_create by every front end. */
#define SW_GUARD_KEY_NAME "guard"

typedef struct sw_guard_opts {
    const char *data_dir;    /* holds guard/rules/ and policy/; NULL: sw_guard_data_dir */
    const char *policy_path; /* NULL: <data_dir>/policy/default.policy */
    const uint8_t *key;      /* 32 bytes for pseudonyms and encryption; NULL: none, and
                                the hash/encrypt operators then fall back to <TYPE> */
    const char *model_path;  /* classifier; NULL: <data_dir>/../models/guard-classifier.bin
                                when that file exists (else no classifier); "" for none */
} sw_guard_opts;

/* Finds the shipped data directory: $STEWARD_DATA, else a "data" folder holding
 * guard/rules next to the running executable or up to three levels above it.
 * Writes it to out. Returns 0, or -1 with err set. */
int sw_guard_data_dir(char *out, size_t outsz, sw_err *err);

/* Loads rules and the policy. Returns the guard, or NULL with err set (naming the file
 * and line that was wrong). Free with sw_guard_free. */
sw_guard *sw_guard_open(const sw_guard_opts *opts, sw_err *err);
void sw_guard_free(sw_guard *g);
const char *sw_guard_policy_hash(const sw_guard *g);
/* 1 when a classifier model is loaded. */
int sw_guard_has_classifier(const sw_guard *g);
/* Word-list entries ("language:" sections of the rules files) refused at load: with a
 * digit, without a letter, of another script, or too short (docs/guard.md). */
size_t sw_guard_rules_refused(const sw_guard *g);

/* Scans text[0..len) flowing in direction dir. Fills *v (which the caller frees with
 * sw_guard_verdict_free, also after a failure). Returns 0, or -1 (out of memory, text
 * over 1 GiB) with err set. */
int sw_guard_scan(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len,
                  sw_guard_verdict *v, sw_err *err);
void sw_guard_verdict_free(sw_guard_verdict *v);
/* 1 when the verdict is an alarm for the user: flag, review or block, or a finding flagged
 * beside a redaction (a redacted text alone goes through and is no alarm); else 0. The one
 * definition `eval guard` (alarm_rate) and `eval bias` (benign_alarm_rate) count. */
int sw_guard_verdict_alarmed(const sw_guard_verdict *v);

/* Where a text comes from. A user's own request may ask for anything the policy allows; a
 * document is third-party content the model reads (a tool result, a retrieved web page,
 * an attached file, an e-mail): it should carry no instructions, so in a document any
 * instruction addressed to an AI reader is a prompt_injection finding of type
 * document_instruction. Policy lines may be scoped to one source ("user" or "document"
 * after the direction). In JSON and on the command line: "source": "user" | "document". */
typedef enum { SW_TEXT_USER = 0, SW_TEXT_DOCUMENT = 1 } sw_guard_text_source;
/* "user" or "document". */
const char *sw_guard_text_source_name(sw_guard_text_source s);
/* Parses "user" or "document"; -1 for anything else (NULL included). */
int sw_guard_text_source_parse(const char *s);

/* How one text is scanned. Zero-initialised: the input guard on a user's text. */
typedef struct sw_guard_scan_opts {
    sw_guard_dir dir;
    sw_guard_text_source source;
} sw_guard_scan_opts;

/* sw_guard_scan with options (o may be NULL: input, user). Same contract. */
int sw_guard_scan_opts_scan(const sw_guard *g, const sw_guard_scan_opts *o, const char *text, size_t len,
                            sw_guard_verdict *v, sw_err *err);

/* Restores the values that the encrypt operator replaced by <ENC:...> tokens in text
 * (e.g. a model's output answering a redacted prompt). Appends the result to out.
 * Tokens that do not decrypt under the guard's key are left as they are. 0 or -1. */
int sw_guard_restore(const sw_guard *g, const char *text, size_t len, sw_buf *out, sw_err *err);

/* ---- data governance: what `steward data build` needs of a training document ----
 * sw_guard_scan_data scans text as sw_guard_scan (user text, direction dir) does, but
 * keeps only the findings data governance uses -- personal data (categories pii and
 * secret) and harm (category harmful, or a TC260-003 code) -- and skips the recognisers
 * that find nothing else (invisible text, template tokens, document instructions), the
 * other classifier heads' explanations and redaction (v->redacted stays NULL). Those
 * findings have the same spans, types, scores and actions as in sw_guard_scan's verdict
 * (unless either is truncated); v->action is the most severe of them. Same contract as
 * sw_guard_scan otherwise: -1 with err on OOM or a text over 1 GiB; the caller frees v. */
int sw_guard_scan_data(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, sw_guard_verdict *v,
                       sw_err *err);
/* sw_guard_scan_data's personal-data findings alone (categories pii and secret), for a
 * document whose harm is not measured: it also skips the harmful-request detector, the
 * joined encoded pieces, and the keyword rules and classifier unless they define a pii
 * or secret category. Same spans, types, scores and actions as sw_guard_scan_data's
 * personal-data findings (unless either is truncated at SW_GUARD_MAX_FINDINGS). Same
 * contract as sw_guard_scan_data. */
int sw_guard_scan_pii(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, sw_guard_verdict *v,
                      sw_err *err);
/* 1 for a finding category sw_guard_scan_data keeps (tc260: its code, may be NULL or ""). */
int sw_guard_category_is_data(const char *category, const char *tc260);
/* 1 when a finding is personal data (pii or secret). */
int sw_guard_finding_is_personal(const sw_guard_finding *f);
/* 1 when a finding makes a document harmful: harm (category harmful or a TC260-003
 * code) that the policy sends to review or blocks. */
int sw_guard_finding_is_harmful(const sw_guard_finding *f);

const char *sw_guard_action_name(sw_guard_action a);
const char *sw_guard_source_name(sw_guard_source s);
/* Parses an action name; -1 when unknown. */
int sw_guard_action_parse(const char *s);

/* ---- classifiers: linear models over hashed n-grams of the match view ---- */
/* One binary logistic head per category (prompt_injection, jailbreak, harmful), over
 * hashed character 3-5-grams and word 1-2-grams of the normalised text, in windows of
 * 2 KB (the text's score is its highest window's). Scores are calibrated so that 0.85 is
 * each head's operating threshold (1% false positives on the validation split). */
typedef struct sw_guard_clf sw_guard_clf;
#define SW_CLF_MAX_HEADS 4

/* Loads a model file written by sw_guard_clf_train. NULL with err naming the file and
 * the field on error. sw_guard_clf_parse does the same from memory (for the fuzzer). */
sw_guard_clf *sw_guard_clf_load(const char *path, sw_err *err);
sw_guard_clf *sw_guard_clf_parse(const void *data, size_t len, const char *name, sw_err *err);
void sw_guard_clf_free(sw_guard_clf *c);
int sw_guard_clf_heads(const sw_guard_clf *c);
const char *sw_guard_clf_head_name(const sw_guard_clf *c, int h);

/* Scores a text: scores[h] in 0..1 for each head. explain (may be NULL) receives, per
 * head, the n-grams that contributed most (up to explain_size bytes each). -1 on OOM. */
int sw_guard_clf_score(const sw_guard_clf *c, const char *text, size_t len, double *scores,
                       char (*explain)[160], sw_err *err);

typedef struct sw_guard_train_opts {
    const char *train_path; /* JSONL: {"text": ..., "label": benign|prompt_injection|jailbreak|harmful} */
    const char *valid_path; /* same format; calibrates each head's threshold */
    const char *out_path;   /* model file to write */
    int epochs;             /* <= 0: 8 */
    int dim_bits;           /* hashed feature space 2^dim_bits; <= 0: 17 */
    uint64_t seed;
    double l2; /* L2 penalty per update; <= 0: 1e-4 */
    double target_fpr; /* share of validation negatives each head's threshold lets through; <= 0: 0.002 */
    int per_source;    /* 1: ... and of each validation source's negatives ("source" field; sources
                          of 20 texts or more, a smaller share than one text meaning above them all) */
} sw_guard_train_opts;

typedef struct sw_guard_train_report {
    int heads;
    char name[SW_CLF_MAX_HEADS][32];
    int n_pos[SW_CLF_MAX_HEADS], n_neg[SW_CLF_MAX_HEADS];          /* training examples */
    double valid_precision[SW_CLF_MAX_HEADS], valid_recall[SW_CLF_MAX_HEADS],
        valid_fpr[SW_CLF_MAX_HEADS];                                 /* at the threshold */
    double seconds;
} sw_guard_train_report;

/* Trains the heads with AdaGrad logistic regression, calibrates them on valid_path and
 * writes the model. Fills *rep. -1 with err (file, line) on error. */
int sw_guard_clf_train(const sw_guard_train_opts *o, sw_guard_train_report *rep, sw_err *err);

/* Evaluates the guard (input direction, its policy) on labelled JSONL lines {"text",
 * "label": benign|prompt_injection|jailbreak|harmful, "source"?}. A category counts as
 * predicted when a finding of it (harm codes S1..S14 count as harmful) is sent to review
 * or blocked; fpr is the share of benign examples predicted as the category. Per source
 * (the label when an example has none; past 63 sources, "other"), what the user gets:
 * the share of examples whose verdict is review or block (stop_rate) and flag or more
 * (alarm_rate: flag, review or block, or a flagged finding beside a redaction). Returns {examples, rules_refused, categories: {cat: {support, tp, fp, fn,
 * tn, precision, recall, f1, fpr}}, confusion, benign_fpr_by_source, actions_by_source:
 * {source: {label, n, stopped, alarmed, stop_rate, alarm_rate, causes}}}, or NULL with err;
 * causes: {"category:type action": texts where a finding of that kind was flagged,
 * reviewed or blocked}, so that each alarm can be traced to the rule or model behind it. */
struct json_t *sw_guard_eval(const sw_guard *g, const char *path, sw_err *err);
/* sw_guard_eval with every example scanned as source (a document: document mode), which
 * the result names ("source"). NULL with err, also for an unknown source. */
struct json_t *sw_guard_eval_source(const sw_guard *g, const char *path, sw_guard_text_source source, sw_err *err);

/* Evaluates the PII recognisers (input direction) on a labelled set in Presidio's format:
 * a JSON array of {"full_text", "spans": [{"entity_type", "start_position",
 * "end_position"}]}, positions in code points. Gold STREET_ADDRESS counts as ADDRESS, GPE
 * as LOCATION; found DATE_OF_BIRTH as DATE_TIME. A gold span is found when a finding of
 * its type (score >= 0.5) overlaps it by half of the longer of the two; other findings of
 * a measured type are false positives. Returns {texts, min_score, types: {TYPE: {support,
 * tp, fp, fn, precision, recall, f1, kind: structured|unstructured}}} (types with no gold
 * span and no finding left out), or NULL with err naming the file and record. */
struct json_t *sw_guard_eval_pii(const sw_guard *g, const char *path, sw_err *err);

/* ---- language-model signals (NeMo Guardrails' perplexity heuristics) ---- */
/* With a language model loaded, two more signals: length per perplexity (chars / PPL;
 * long, fluent jailbreaks score high) and, for texts of at least 20 words, the
 * perplexity of the first and of the last 20 words (adversarial suffixes score high).
 * Thresholds come from benign text scored by the same model (sw_guard_ppl_calibrate);
 * above one, a `jailbreak` finding of type perplexity_length or perplexity_edge (source
 * heuristic) spans the whole text. */
struct sw_ctx;
struct sw_tokenizer;
#define SW_GUARD_PPL_EDGE_WORDS 20
#define SW_GUARD_PPL_MAX_TOKENS 2048 /* a longer text's perplexity is that of its first 2,048 tokens */
typedef struct sw_guard_ppl_signals {
    int valid;          /* 0 when the text has fewer than two tokens */
    int edge_valid;     /* the text has at least SW_GUARD_PPL_EDGE_WORDS words */
    double ppl, len_per_ppl, prefix_ppl, suffix_ppl;
} sw_guard_ppl_signals;
typedef struct sw_guard_ppl {
    double len_per_ppl_max, edge_ppl_max; /* flag above these */
    double fpr;                           /* share of the benign texts above them */
    int calibrated_on;                    /* benign texts scored (length signal) */
    int calibrated_on_edge;               /* of which long enough for the edge signal */
} sw_guard_ppl;

/* Scores text with the model behind c (tk its tokenizer). -1 with err on an evaluation error. */
int sw_guard_ppl_score(struct sw_ctx *c, const struct sw_tokenizer *tk, const char *text, size_t len,
                         sw_guard_ppl_signals *s, sw_err *err);
/* Thresholds that `fpr` of the benign texts (JSONL {"text"}) exceed. -1 with err. */
int sw_guard_ppl_calibrate(struct sw_ctx *c, const struct sw_tokenizer *tk, const char *benign_jsonl, double fpr,
                           sw_guard_ppl *out, sw_err *err);
/* Reads thresholds written by `steward guard calibrate-ppl` (JSON with model_sha256,
 * len_per_ppl_max, edge_ppl_max, fpr) and checks that they belong to the model whose
 * hex SHA-256 is model_sha256: -1 with err naming the file when they do not, or when the
 * file is unreadable or lacks a field. */
int sw_guard_ppl_load(const char *path, const char *model_sha256, sw_guard_ppl *out, sw_err *err);
/* The calibration file that belongs beside a model file: "DIR/NAME.gguf" ->
 * "DIR/NAME.ppl.json" (any other name: NAME + ".ppl.json"). -1 when out is too small. */
int sw_guard_ppl_path(const char *model_path, char *out, size_t outsz);
/* Loads the calibration beside model_path (sw_guard_ppl_path) for the model whose hex
 * SHA-256 is model_sha256. Returns 1 when loaded, 0 when there is none (where, when not
 * NULL, receives the path looked for), -1 with err when the path is too long or the file
 * is unreadable, malformed or made for another model. */
int sw_guard_ppl_load_beside(const char *model_path, const char *model_sha256, sw_guard_ppl *out, char *where,
                             size_t wsz, sw_err *err);
/* Appends the findings that signals s raise under thresholds th. -1 on OOM. */
int sw_guard_ppl_findings(const sw_guard_ppl *th, const sw_guard_ppl_signals *s, size_t len, sw_guard_verdict *v);
/* sw_guard_scan plus the language-model signals (c is the caller's: a context is not
 * shared between threads). Same contract as sw_guard_scan. */
int sw_guard_scan_lm(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, struct sw_ctx *c,
                     const struct sw_tokenizer *tk, const sw_guard_ppl *th, sw_guard_verdict *v, sw_err *err);

/* ---- policy (exposed for the fuzzer and for tools) ---- */
typedef struct sw_guard_policy sw_guard_policy;
/* Parses a policy from memory; name is used in error messages. NULL with err set
 * naming the line on error. */
sw_guard_policy *sw_guard_policy_parse(const char *text, size_t len, const char *name, sw_err *err);
void sw_guard_policy_free(sw_guard_policy *p);
/* Applies the policy to each finding (sets finding.action/op) and to the verdict; rules
 * scoped to a source (user|document) match v->text_source, which the caller sets. */
void sw_guard_policy_apply(const sw_guard_policy *p, sw_guard_dir dir, sw_guard_verdict *v);
/* Reads and parses a policy file (NULL: the shipped data/policy/default.policy). NULL
 * with err naming the file and line. */
sw_guard_policy *sw_guard_policy_load(const char *path, sw_err *err);

/* ---- the words a person reads when the guard stops something ----
 * A policy may set them ("refusal en TEXT", "cut_notice zh TEXT"); English and Chinese
 * defaults stand otherwise. */
#define SW_GUARD_N_LANGS 2          /* en, zh */
#define SW_GUARD_MESSAGE_MAX 512
/* The answer to a blocked request in lang ("en" or "zh"); NULL for another language.
 * p or g may be NULL (the defaults). */
const char *sw_guard_policy_refusal(const sw_guard_policy *p, const char *lang);
const char *sw_guard_refusal(const sw_guard *g, const char *lang);

/* Generation settings a policy may carry besides its rules:
 *   uncertainty p_below P entropy_above H   where the model counts as unsure
 *   consistency min A flag|review           a self-consistency agreement under A flags the
 *                                           answer or sends it to review
 * Fields a policy does not set are 0 (the pipeline's defaults stand). */
typedef struct sw_guard_gen_settings {
    float uncertain_p, uncertain_entropy, consistency_min;
    int consistency_review;
} sw_guard_gen_settings;
void sw_guard_policy_gen_settings(const sw_guard_policy *p, sw_guard_gen_settings *out);
void sw_guard_gen_settings_get(const sw_guard *g, sw_guard_gen_settings *out);
/* The notice that ends an output the guard cut short; NULL for another language. */
const char *sw_guard_policy_cut_notice(const sw_guard_policy *p, const char *lang);
const char *sw_guard_cut_notice(const sw_guard *g, const char *lang);
/* Why a verdict (in its JSON form, sw_guard_verdict_json) decided as it did, in one line:
 * "block by the input guard: prompt_injection/keyword (rule, score 0.95): ...", from its
 * first finding with the verdict's action. Never fails (truncates to outsz). */
struct json_t;
void sw_guard_verdict_reason(const struct json_t *verdict, char *out, size_t outsz);

/* ---- streaming output guard ---- */
/* Scans generated text as it arrives. Each push re-scans a window holding the new
 * chunk and enough of the previous text to catch matches that straddle chunks; findings
 * carry offsets into the whole stream. */
typedef struct sw_guard_stream sw_guard_stream;
sw_guard_stream *sw_guard_stream_new(const sw_guard *g, sw_err *err);
void sw_guard_stream_free(sw_guard_stream *s);
/* Appends chunk and scans. *stop is set to 1 when the policy blocks the stream (the
 * caller should stop generating). New findings join the stream's cumulative verdict;
 * a finding that touches the end of the text so far waits for more text (it may grow)
 * unless it blocks. Returns 0 or -1. */
int sw_guard_stream_push(sw_guard_stream *s, const char *chunk, size_t n, int *stop, sw_err *err);
/* Ends the stream: reports findings held back because they touched the end of the
 * text, and fills the verdict's redacted text. Returns 0 or -1. */
int sw_guard_stream_finish(sw_guard_stream *s, int *stop, sw_err *err);
/* The cumulative verdict (findings over the whole stream, action so far). */
const sw_guard_verdict *sw_guard_stream_verdict(const sw_guard_stream *s);

/* The verdict as the JSON object of `steward scan --json`; NULL on OOM.
 * The caller owns the reference. */
struct json_t;
struct json_t *sw_guard_verdict_json(const sw_guard_verdict *v);
/* Finding scores in the JSON form keep this many significant digits. */
#define SW_GUARD_SCORE_DIGITS 4
/* Adds char_start and char_end (offsets in Unicode code points, as Python's str slicing
 * counts; an ill-formed byte counts as one) beside the byte offsets of each finding of a
 * verdict's JSON form, for the text it was made from. -1 on OOM (verdict unchanged). */
int sw_guard_verdict_json_chars(struct json_t *verdict, const char *text, size_t len);

#endif
