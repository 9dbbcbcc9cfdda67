/* data.h - the data pipeline: raw text with provenance in, a training set and a record of
 * every decision made on it out (licence and consent policy, language identification,
 * exact and near-duplicate removal, Gopher and C4 quality rules, harmful-content rate per
 * source, PII replaced by typed placeholders).
 *
 * The stages are exposed one by one (for tests, benchmarks and other front ends) and
 * driven together by sw_data_build, which streams the inputs in fixed-size chunks with a
 * journal in the output directory, so that an interrupted run resumes to the same bytes. */
#ifndef STEWARD_DATA_H
#define STEWARD_DATA_H

#include "steward/core.h"

#include <stddef.h>
#include <stdint.h>

/* ---- documents ---- */
typedef enum {
    SW_CONSENT_YES = 0,
    SW_CONSENT_NO,
    SW_CONSENT_UNKNOWN,
    SW_CONSENT_NOT_APPLICABLE,
    SW_CONSENT_COUNT
} sw_consent;

/* One input document. Strings are owned by the document (sw_data_doc_clear frees them);
 * optional fields are NULL when absent. */
typedef struct sw_data_doc {
    char *text;
    size_t len;
    char *source, *license, *url, *date, *lang_declared;
    sw_consent consent;
    int consent_valid; /* 0: the consent field was missing or not one of the four words */
} sw_data_doc;
void sw_data_doc_clear(sw_data_doc *d);

/* Name of a consent value ("yes", "no", "unknown", "not-applicable"); parse returns -1
 * for anything else. */
const char *sw_data_consent_name(sw_consent c);
int sw_data_consent_parse(const char *s);

/* Parses one JSONL line {"text", "source", "license", "consent", "url"?, "date"?, "lang"?}
 * into *d (cleared first). name and line_no are used in the message. -1 with err when
 * the line is not a JSON object or `text` is missing or not a string; missing provenance
 * fields are left NULL (the policy drops such documents with a named rule). */
int sw_data_doc_parse_json(const char *line, size_t len, sw_data_doc *d, const char *name, int line_no,
                           sw_err *err);

/* ---- data policy (policy.c) ---- */
#define SW_DATA_MAX_LICENCES 64
#define SW_DATA_MAX_LANGS 8
#define SW_DATA_LICENCE_MAX 48
#define SW_DATA_HARM_SAMPLE 4000        /* documents per source in `harm-scan sample` (TC260-003's sample size) */
#define SW_DATA_HARM_SAMPLE_MAX 10000000
typedef enum { SW_PD_KEEP = 0, SW_PD_REDACT, SW_PD_DROP } sw_pd_action;

typedef struct sw_data_policy {
    char licences[SW_DATA_MAX_LICENCES][SW_DATA_LICENCE_MAX]; /* SPDX ids allowed */
    int n_licences;
    sw_pd_action personal[SW_CONSENT_COUNT]; /* what to do with PII by consent status */
    double harm_limit;      /* a source whose harmful share exceeds this is rejected whole */
    int harm_sample_on;     /* 1 (`harm-scan sample`): harm measured on a sample of each source */
    int harm_sample;        /* its size: the documents of a source with the smallest content hashes */
    char langs[SW_DATA_MAX_LANGS][8]; /* languages kept; none listed: all */
    int n_langs;
    int c4_lines;           /* 1: apply C4's line rules */
    int gopher;             /* 1: apply Gopher's document rules */
    double near_dup_jaccard; /* estimated Jaccard at or above which a document is a near duplicate */
    int para_dedup;         /* 1: near-duplicate paragraphs are removed too */
    char sha256[65];        /* of the policy text */
} sw_data_policy;

/* The defaults: no licence allowed (the caller lists them), PII kept with consent "yes",
 * redacted for "unknown" and "not-applicable", document dropped for "no"; harm limit 5%,
 * every document scanned for harm (`harm-scan all`; sample size 4,000 when `sample`);
 * all languages; C4 and Gopher on; near-duplicate at Jaccard 0.7; no paragraph dedup. */
void sw_data_policy_default(sw_data_policy *p);
/* Parses a policy text over the defaults. Lines: `licences ID...` (adds), `personal-data
 * CONSENT keep|redact|drop`, `harm-limit X`, `harm-scan all|sample`, `harm-sample K`,
 * `languages en zh ...`, `c4-lines on|off`,
 * `gopher on|off`, `near-dup-jaccard X`, `paragraph-dedup on|off`; `#` comments. -1 with
 * err naming name:line on an unknown key or bad value. */
int sw_data_policy_parse(sw_data_policy *p, const char *text, size_t len, const char *name, sw_err *err);
/* Reads and parses a policy file (sw_data_policy_parse). */
int sw_data_policy_load(sw_data_policy *p, const char *path, sw_err *err);
/* Adds the comma-separated SPDX ids of list. -1 with err when there are too many. */
int sw_data_policy_add_licences(sw_data_policy *p, const char *list, sw_err *err);
int sw_data_policy_allows(const sw_data_policy *p, const char *licence);

/* ---- language identification (langid.c) ---- */
/* Naive Bayes over hashed code-point 1-3-grams, one profile per language, built from
 * shipped text; "other" when no profile explains the text well enough. */
typedef struct sw_langid sw_langid;
#define SW_LANGID_MAX 8
/* Builds profiles from text files: names[i] is the language code of paths[i]. NULL with
 * err naming the file on error. */
sw_langid *sw_langid_build(const char *const *names, const char *const *paths, int n, sw_err *err);
/* The shipped profiles: English from data/corpus/tinyshakespeare/train.txt, Chinese from
 * data/dataset/langid-zh.txt, under data_dir (NULL: sw_guard_data_dir). */
sw_langid *sw_langid_open_default(const char *data_dir, sw_err *err);
void sw_langid_free(sw_langid *l);
/* The language code of text ("en", "zh", ... or "other"); *score receives the mean
 * log-likelihood margin per n-gram over the uniform model (may be NULL). Never fails. */
const char *sw_langid_classify(const sw_langid *l, const char *text, size_t len, double *score);

/* ---- quality rules (quality.c) ---- */
/* Why a document or line was dropped: a rule name such as "gopher.min_words",
 * "gopher.dup_line_frac", "c4.lorem_ipsum", "c4.line_terminal_punct". */
#define SW_QUALITY_MAX_LINE_RULES 8
typedef struct sw_quality_result {
    const char *drop_rule;   /* NULL: kept */
    double value;            /* the measured value that tripped drop_rule */
    int lines_removed[SW_QUALITY_MAX_LINE_RULES]; /* per C4 line rule (sw_quality_line_rule_name) */
} sw_quality_result;
int sw_quality_line_rules(void);
const char *sw_quality_line_rule_name(int i);
/* Applies the Gopher document rules (when gopher) and C4 line and document rules (when
 * c4) to text[0..len) of language lang. The text kept (C4 removes lines) is written to
 * out (reset first). Returns 0, or -1 (out of memory) with err. */
int sw_quality_check(const char *text, size_t len, const char *lang, int gopher, int c4,
                     sw_quality_result *r, sw_buf *out, sw_err *err);

/* ---- exact and near-duplicate detection (minhash.c) ---- */
#define SW_MINHASH_K 128     /* hash functions */
#define SW_MINHASH_BANDS 32  /* LSH bands of SW_MINHASH_K / SW_MINHASH_BANDS rows */
#define SW_MINHASH_SHINGLE 5 /* tokens per shingle */
/* 64-bit hash of the normalised text (lower case, runs of white space as one space,
 * trimmed): equal for texts that differ only in case and spacing. */
uint64_t sw_data_exact_key(const char *text, size_t len);
/* The MinHash signature of text: shingles are SW_MINHASH_SHINGLE consecutive tokens (an
 * ASCII letter/digit run, lower-cased, or one non-ASCII, non-space character); a text with
 * fewer tokens is one shingle. */
void sw_minhash(const char *text, size_t len, uint32_t sig[SW_MINHASH_K]);
double sw_minhash_jaccard(const uint32_t *a, const uint32_t *b);

/* An LSH index over signatures. */
typedef struct sw_lsh sw_lsh;
sw_lsh *sw_lsh_new(void);
void sw_lsh_free(sw_lsh *l);
/* Looks sig up: when an indexed signature shares a band and its estimated Jaccard is >=
 * threshold, returns its id (and *jaccard); otherwise inserts sig under id and returns -1.
 * On out of memory returns -1 without inserting and sets *oom to 1. */
int64_t sw_lsh_query_insert(sw_lsh *l, const uint32_t sig[SW_MINHASH_K], int64_t id, double threshold,
                            double *jaccard, int *oom);

/* ---- identity terms for the dataset card (card.c) ---- */
typedef struct sw_identity sw_identity;
/* Loads a TSV of `group<TAB>term` lines. NULL with err naming file:line. */
sw_identity *sw_identity_load(const char *path, sw_err *err);
void sw_identity_free(sw_identity *t);
int sw_identity_terms(const sw_identity *t);
/* Counts whole-word, case-insensitive occurrences of each term in text into counts[]
 * (one per term, added to). */
void sw_identity_count(const sw_identity *t, const char *text, size_t len, uint64_t *counts);
const char *sw_identity_group(const sw_identity *t, int i);
const char *sw_identity_term(const sw_identity *t, int i);

/* ---- token shards (shards.c): what `steward train --corpus` reads ---- */
/* A shard: magic "SWTOKSH1", then little-endian u32 version (1), u32 zero, the hex SHA-256
 * of the tokenizer GGUF file (64 bytes) and of the shard's text (64 bytes), u64 bytes of
 * that text, u64 token count, and the tokens as little-endian int32. */
#define SW_DATA_SHARD_MAGIC "SWTOKSH1"
#define SW_DATA_SHARD_HEADER 160
struct sw_tokenizer;
typedef struct sw_data_shard {
    int32_t *tokens; /* malloc'd; sw_data_shard_free */
    uint64_t n_tokens, text_bytes;
    char tokenizer_sha256[65], text_sha256[65];
} sw_data_shard;
/* Tokenizes text (no BOS, special tokens as text: as `steward train` encodes a text
 * corpus) and writes the shard at path (tmp, fsync, rename). -1 with err. */
int sw_data_shard_write(const char *path, const struct sw_tokenizer *tk, const char *tokenizer_sha256,
                        const char *text, size_t len, sw_err *err);
/* 1 when corpus text is tokenized with control tokens parsed: the tokenizer has a chat
 * template's control tokens (`steward tokenizer train --chat-template`), so conversations
 * rendered in that template train on its tokens, as `generate --chat` feeds them. 0 for
 * every other tokenizer (text containing "<|endoftext|>" stays text). Used for the token
 * shards and by `steward train` for text files alike. */
int sw_data_corpus_special(const struct sw_tokenizer *tk);
/* 1 when the file at path starts with the shard magic, 0 when not, -1 when unreadable. */
int sw_data_shard_is(const char *path);
/* Reads a shard (from memory: sw_data_shard_parse, name used in messages). -1 with err
 * naming the file and field when the magic, version, hashes or sizes are wrong. */
int sw_data_shard_read(const char *path, sw_data_shard *s, sw_err *err);
int sw_data_shard_parse(const void *data, size_t len, const char *name, sw_data_shard *s, sw_err *err);
void sw_data_shard_free(sw_data_shard *s);

/* ---- the whole build (build.c) ---- */
#define SW_DATA_CHUNK_DOCS 1024 /* documents per journaled chunk */
#define SW_DATA_MAX_INPUTS 256

typedef void (*sw_data_progress_fn)(void *ud, uint64_t docs, uint64_t bytes, const char *phase);

typedef struct sw_data_opts {
    const char *const *inputs; /* JSONL files, or plain text files (one document each) */
    int n_inputs;
    const char *out_dir;
    const sw_data_policy *policy;
    const char *data_dir;   /* NULL: sw_guard_data_dir */
    const char *home;       /* state directory for the audit lineage record; NULL: none */
    const char *tokenizer;  /* GGUF tokenizer: token shards beside the text shards; NULL: none */
    /* provenance of plain text inputs */
    const char *text_source, *text_license;
    sw_consent text_consent;
    int threads;            /* <= 0: all cores */
    int chunk_docs;         /* <= 0: SW_DATA_CHUNK_DOCS */
    uint64_t stop_after_chunks; /* > 0: stop (as if killed) after this many new chunks (tests) */
    sw_data_progress_fn progress;
    void *progress_ud;
} sw_data_opts;

typedef struct sw_data_report {
    uint64_t docs_in, docs_out, bytes_in, bytes_out;
    uint64_t chunks_resumed; /* chunks found done in the journal */
    int stopped;             /* stop_after_chunks reached */
    uint64_t audit_index;
    int audited;
    double seconds;
} sw_data_report;

/* Runs the pipeline. Writes OUT/clean.jsonl, lineage.jsonl, stats.json, card.md,
 * shards/, and appends a "data" lineage record to the audit log under home. Returns 0,
 * or -1 with err naming the input file and line (or output file) that failed. */
int sw_data_build(const sw_data_opts *o, sw_data_report *rep, sw_err *err);

#endif
