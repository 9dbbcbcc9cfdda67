/* eval_pii.c - precision and recall of the PII recognisers per type on a labelled set
 * in Presidio's format (presidio-research's synth_dataset_v2.json, the project's
 * Chinese set). */
#include "guard_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_MIN_SCORE 0.5 /* a finding counts from this score on (the policy's lowest pii line) */

/* The guard's types, structured first; a gold type of the set maps to one of them. */
static const char *TYPES[] = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS",
                              "CN_RESIDENT_ID", "MAC_ADDRESS", "PERSON", "ADDRESS", "LOCATION", "DATE_TIME"};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])
#define MAX_SPANS 256 /* findings and gold spans matched per text */

typedef struct {
    size_t tp[NTYPES], fp[NTYPES], fn[NTYPES];
} tally;

/* Index of a type (gold or found) in TYPES, or -1 for a type not measured. */
static int type_index(const char *t) {
    if (!t) return -1;
    if (!strcmp(t, "STREET_ADDRESS")) t = "ADDRESS";
    else if (!strcmp(t, "GPE")) t = "LOCATION";
    else if (!strcmp(t, "DATE_OF_BIRTH")) t = "DATE_TIME";
    for (size_t i = 0; i < NTYPES; i++)
        if (!strcmp(TYPES[i], t)) return (int)i;
    return -1;
}

/* Spans overlap by at least half of the longer of the two. */
static int overlaps(size_t a, size_t b, size_t c, size_t d) {
    size_t lo = a > c ? a : c, hi = b < d ? b : d;
    size_t longer = (b - a) > (d - c) ? (b - a) : (d - c);
    return hi > lo && (hi - lo) * 2 >= longer;
}

/* Byte offset of code point cp of s (Presidio counts code points). */
static size_t cp_to_byte(const char *s, size_t len, size_t cp) {
    size_t i = 0;
    for (size_t c = 0; i < len && c < cp; c++) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    }
    return i;
}

static int eval_record(const sw_guard *g, json_t *rec, size_t idx, tally *t, sw_err *err) {
    const char *text = json_string_value(json_object_get(rec, "full_text"));
    json_t *spans = json_object_get(rec, "spans");
    if (!text || !json_is_array(spans))
        return sw_err_set(err, "record %zu: expected {\"full_text\": string, \"spans\": [...]}", idx);
    size_t len = strlen(text);
    sw_guard_verdict v;
    if (sw_guard_scan(g, SW_GUARD_INPUT, text, len, &v, err) < 0) {
        sw_guard_verdict_free(&v);
        return -1;
    }
    uint8_t used[MAX_SPANS] = {0};
    size_t k;
    json_t *sp;
    json_array_foreach(spans, k, sp) {
        int ti = type_index(json_string_value(json_object_get(sp, "entity_type")));
        json_t *js = json_object_get(sp, "start_position"), *je = json_object_get(sp, "end_position");
        if (!json_is_integer(js) || !json_is_integer(je) || json_integer_value(js) < 0 ||
            json_integer_value(je) < json_integer_value(js)) {
            sw_guard_verdict_free(&v);
            return sw_err_set(err, "record %zu span %zu: start_position and end_position must be integers, start <= end", idx, k);
        }
        if (ti < 0) continue;
        size_t s = cp_to_byte(text, len, (size_t)json_integer_value(js)), e = cp_to_byte(text, len, (size_t)json_integer_value(je));
        int found = 0;
        for (size_t i = 0; i < v.n_findings && i < MAX_SPANS; i++) {
            const sw_guard_finding *f = &v.findings[i];
            if (f->score >= EVAL_MIN_SCORE && type_index(f->type) == ti && overlaps(s, e, f->start, f->end)) found = used[i] = 1;
        }
        found ? t->tp[ti]++ : t->fn[ti]++;
    }
    for (size_t i = 0; i < v.n_findings && i < MAX_SPANS; i++) {
        int ti = type_index(v.findings[i].type);
        if (ti >= 0 && v.findings[i].score >= EVAL_MIN_SCORE && !used[i] && !strcmp(v.findings[i].category, "pii")) t->fp[ti]++;
    }
    sw_guard_verdict_free(&v);
    return 0;
}

static json_t *report(const tally *t, size_t texts) {
    json_t *types = json_object();
    for (size_t i = 0; i < NTYPES; i++) {
        size_t tp = t->tp[i], fp = t->fp[i], fn = t->fn[i];
        if (tp + fp + fn == 0) continue;
        double p = tp + fp ? (double)tp / (double)(tp + fp) : 0, r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
        json_object_set_new(types, TYPES[i],
                            json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:s}", "support", (json_int_t)(tp + fn), "tp",
                                      (json_int_t)tp, "fp", (json_int_t)fp, "fn", (json_int_t)fn, "precision", p, "recall", r,
                                      "f1", p + r > 0 ? 2 * p * r / (p + r) : 0.0, "kind", i < 8 ? "structured" : "unstructured"));
    }
    return json_pack("{s:I, s:f, s:o}", "texts", (json_int_t)texts, "min_score", EVAL_MIN_SCORE, "types", types);
}

json_t *sw_guard_eval_pii(const sw_guard *g, const char *path, sw_err *err) {
    sw_buf b = {0};
    if (sw_read_file(path, &b, err) < 0) {
        sw_buf_free(&b);
        return NULL;
    }
    json_error_t je;
    json_t *all = json_loadb(b.data ? b.data : "", b.len, 0, &je);
    sw_buf_free(&b);
    if (!json_is_array(all)) {
        sw_err_set(err, "%s:%d: %s", path, all ? 1 : je.line, all ? "expected an array of records" : je.text);
        json_decref(all);
        return NULL;
    }
    tally t;
    memset(&t, 0, sizeof t);
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec) {
        if (eval_record(g, rec, i, &t, err) < 0) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "%s", err->msg);
            sw_err_set(err, "%s: %s", path, m);
            json_decref(all);
            return NULL;
        }
    }
    size_t n = json_array_size(all);
    json_decref(all);
    json_t *r = report(&t, n);
    if (!r) sw_err_set(err, "%s: out of memory", path);
    return r;
}
