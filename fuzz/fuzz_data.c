/* fuzz_data.c - libFuzzer target: the data pipeline's readers and text stages on arbitrary
 * bytes: the JSONL document parser, the data policy parser, the identity-term list, the
 * token shard reader, and the quality rules, MinHash, exact key and identity counting on
 * the bytes as a document; the JSONL reader's direct path must read every line as jansson
 * does (same outcome, fields and message). */
#include "data/data_int.h"
#include "steward/data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bytes as a file at a fixed temporary path (one per process). */
static const char *as_file(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_data.%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    size_t w = fwrite(data, 1, size, f);
    return fclose(f) == 0 && w == size ? path : NULL;
}

/* 1 when both are NULL or both hold the same string. */
static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_err err;
    const char *text = (const char *)data;
    sw_data_doc d = {0};
    sw_data_doc j = {0};
    sw_err jerr;
    int rd = sw_data_doc_parse_json(text, size, &d, "fuzz.jsonl", 1, &err);
    int rj = sw_data_doc_parse_jansson(text, size, &j, "fuzz.jsonl", 1, &jerr);
    if (rd != rj || (rd && strcmp(err.msg, jerr.msg) != 0)) abort();
    if (rd == 0) {
        if (!d.text || (unsigned)d.consent >= SW_CONSENT_COUNT) abort();
        if (d.len != j.len || memcmp(d.text, j.text, d.len) || !same_str(d.source, j.source) ||
            !same_str(d.license, j.license) || !same_str(d.url, j.url) || !same_str(d.date, j.date) ||
            !same_str(d.lang_declared, j.lang_declared) || d.consent != j.consent || d.consent_valid != j.consent_valid)
            abort();
        sw_data_doc_clear(&d);
        sw_data_doc_clear(&j);
    }
    sw_data_policy p;
    sw_data_policy_default(&p);
    if (sw_data_policy_parse(&p, text, size, "fuzz.policy", &err) == 0) {
        if (p.n_licences > SW_DATA_MAX_LICENCES || !(p.harm_limit >= 0 && p.harm_limit <= 1)) abort();
        if (p.harm_sample < 1 || p.harm_sample > SW_DATA_HARM_SAMPLE_MAX) abort();
    }
    const char *path = as_file(data, size);
    sw_identity *id = path ? sw_identity_load(path, &err) : NULL;
    if (id) {
        uint64_t *counts = calloc((size_t)sw_identity_terms(id) + 1, sizeof *counts);
        if (counts) sw_identity_count(id, text, size, counts);
        free(counts);
        sw_identity_free(id);
    }
    sw_quality_result q;
    sw_buf out = {0};
    if (sw_quality_check(text, size, size && data[0] & 1 ? "zh" : "en", 1, 1, &q, &out, &err) == 0 && out.len > size)
        abort(); /* C4 only removes lines */
    sw_buf_free(&out);
    uint32_t sig[SW_MINHASH_K];
    sw_minhash(text, size, sig);
    if (sw_minhash_jaccard(sig, sig) != 1.0) abort();
    (void)sw_data_exact_key(text, size);
    sw_data_shard sh;
    if (sw_data_shard_parse(data, size, "fuzz.tok", &sh, &err) == 0) {
        if (SW_DATA_SHARD_HEADER + 4 * sh.n_tokens != size || strlen(sh.text_sha256) != 64) abort();
        sw_data_shard_free(&sh);
    }
    return 0;
}
