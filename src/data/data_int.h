/* data_int.h - internals of the data module shared between its files. */
#ifndef STEWARD_DATA_INT_H
#define STEWARD_DATA_INT_H

#include "steward/data.h"

/* Lowers sig[i] to min(sig[i], a[i] * x + b[i]) (mod 2^32) for every x of xs[0..n). */
void sw_minhash_update_portable(uint32_t *sig, const uint32_t *a, const uint32_t *b, const uint32_t *xs, size_t n);
void sw_minhash_update_avx2(uint32_t *sig, const uint32_t *a, const uint32_t *b, const uint32_t *xs, size_t n);

/* sw_data_doc_parse_json through jansson alone (the direct reader's fallback; the fuzzer
 * checks that both read every line alike). Same contract. */
int sw_data_doc_parse_jansson(const char *line, size_t len, sw_data_doc *d, const char *name, int line_no,
                              sw_err *err);

/* ---- the harm sample of each source (sample.c) ----
 * A bottom-k sketch: a source's sample is its documents (past the licence stage) whose
 * content hash is among its k smallest; a source of k documents or fewer is sampled whole. */
typedef struct sw_data_sample sw_data_sample;
/* An empty sketch of k per source; NULL on OOM. */
sw_data_sample *sw_data_sample_new(int k);
void sw_data_sample_free(sw_data_sample *s);
/* Counts a document of source with content hash into the sketch. -1 on OOM. */
int sw_data_sample_add(sw_data_sample *s, const char *source, uint64_t hash);
/* 1 when a document of source with content hash is in its sample (a source the sketch
 * has not seen, or NULL: 1). */
int sw_data_sample_in(const sw_data_sample *s, const char *source, uint64_t hash);
/* The documents of source counted (past the licence stage); 0 when unseen. */
uint64_t sw_data_sample_population(const sw_data_sample *s, const char *source);
/* The content hash of a document: the first 8 bytes of its text's SHA-256, big-endian
 * (the lineage's sha256 begins with it, so the sample can be checked from lineage.jsonl). */
uint64_t sw_data_content_hash(const uint8_t sha[SW_SHA256_BYTES]);
/* The Wilson score interval at 95% of x successes in n trials into [*lo, *hi] ([0, 1] for n 0). */
void sw_data_wilson(uint64_t x, uint64_t n, double *lo, double *hi);

/* What the per-document stages read (all read-only during a build, shared by threads). */
struct sw_guard;
struct json_t;
typedef struct sw_data_stage_ctx {
    const sw_data_policy *policy;
    const struct sw_guard *guard;
    const sw_langid *langid;
    const sw_identity *identity; /* may be NULL */
    const sw_data_sample *sample; /* NULL: every document's harm is measured */
} sw_data_stage_ctx;

/* The licence-stage rule that drops d (provenance.missing_source, licence.missing,
 * licence.not_allowed), or NULL when d passes. */
const char *sw_data_licence_rule(const sw_data_policy *p, const sw_data_doc *d);

/* Runs licence/consent, harm, PII, language, quality and key stages on d, filling rec (a
 * JSON object with an empty "decisions" array): provenance, sha256, bytes, harmful,
 * lang, decisions, keep, and for a kept document text, exact, sig, identity. Returns
 * rec, or NULL with err (out of memory, a scan error). */
struct json_t *sw_data_stage_run(const sw_data_stage_ctx *c, const sw_data_doc *d, struct json_t *rec, sw_err *err);

/* Writes the dataset card for the statistics of a build (stats.json's object). -1 with
 * err naming path when it cannot be written. */
int sw_data_card_write(const char *path, struct json_t *stats, const sw_identity *identity, sw_err *err);

#endif
