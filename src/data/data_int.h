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

/* What the per-document stages read (all read-only during a build, shared by threads). */
struct sw_guard;
struct json_t;
typedef struct sw_data_stage_ctx {
    const sw_data_policy *policy;
    const struct sw_guard *guard;
    const sw_langid *langid;
    const sw_identity *identity; /* may be NULL */
} sw_data_stage_ctx;

/* Runs licence/consent, harm, PII, language, quality and key stages on d, filling rec (a
 * JSON object with an empty "decisions" array): provenance, sha256, bytes, harmful,
 * lang, decisions, keep, and for a kept document text, exact, sig, identity. Returns
 * rec, or NULL with err (out of memory, a scan error). */
struct json_t *sw_data_stage_run(const sw_data_stage_ctx *c, const sw_data_doc *d, struct json_t *rec, sw_err *err);

/* Writes the dataset card for the statistics of a build (stats.json's object). -1 with
 * err naming path when it cannot be written. */
int sw_data_card_write(const char *path, struct json_t *stats, const sw_identity *identity, sw_err *err);

#endif
