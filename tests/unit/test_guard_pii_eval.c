/* test_guard_pii_eval.c - PII F1 per structured type on Presidio's synthetic set
 * ($STEWARD_ROOT/../shared/data/presidio-synth), and no validator-failing decoy reported.
 * A gold span counts as found when a finding of the same type (score >= 0.5) overlaps
 * it by at least half of the longer of the two; every other finding of a structured type
 * is a false positive. Skips (TAP "# SKIP") when the data set is absent; fails when it
 * is there but holds no gold span of a type (an F1 on nothing proves nothing). */
#include "t.h"
#include "steward/guard.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *TYPES[] = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS"};
#define NT 6
static int tp[NT], fp[NT], fn[NT];
static sw_guard *g;

static int type_index(const char *t) {
    for (int i = 0; i < NT; i++)
        if (strcmp(TYPES[i], t) == 0) return i;
    return -1;
}

static int overlaps(size_t a, size_t b, size_t c, size_t d) {
    size_t lo = a > c ? a : c, hi = b < d ? b : d;
    if (hi <= lo) return 0;
    size_t longer = (b - a) > (d - c) ? (b - a) : (d - c);
    return (hi - lo) * 2 >= longer;
}

/* Presidio's positions count code points; the guard's count bytes. */
static size_t cp_to_byte(const char *s, size_t cp) {
    size_t i = 0, c = 0;
    while (s[i] && c < cp) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80) i++;
        c++;
    }
    return i;
}

static int verbose;

static void eval_record(json_t *rec) {
    const char *text = json_string_value(json_object_get(rec, "full_text"));
    if (!text) return;
    sw_guard_verdict v;
    sw_err err;
    if (sw_guard_scan(g, SW_GUARD_INPUT, text, strlen(text), &v, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        sw_guard_verdict_free(&v);
        return;
    }
    int used[256] = {0};
    json_t *spans = json_object_get(rec, "spans"), *sp;
    size_t k;
    json_array_foreach(spans, k, sp) {
        int t = type_index(json_string_value(json_object_get(sp, "entity_type")));
        if (t < 0) continue;
        size_t s = cp_to_byte(text, (size_t)json_integer_value(json_object_get(sp, "start_position")));
        size_t e = cp_to_byte(text, (size_t)json_integer_value(json_object_get(sp, "end_position")));
        int found = 0;
        for (size_t i = 0; i < v.n_findings && i < 256; i++) {
            const sw_guard_finding *f = &v.findings[i];
            if (f->score < 0.5 || strcmp(f->type, TYPES[t]) != 0) continue;
            if (overlaps(s, e, f->start, f->end)) {
                found = 1;
                used[i] = 1;
            }
        }
        if (found) tp[t]++;
        else {
            fn[t]++;
            if (verbose) fprintf(stderr, "FN %s '%.*s' in: %s\n", TYPES[t], (int)(e - s), text + s, text);
        }
    }
    for (size_t i = 0; i < v.n_findings && i < 256; i++) {
        const sw_guard_finding *f = &v.findings[i];
        int t = type_index(f->type);
        if (t < 0 || f->score < 0.5 || used[i]) continue;
        fp[t]++;
        if (verbose)
            fprintf(stderr, "FP %s '%.*s' in: %s\n", TYPES[t], (int)(f->end - f->start), text + f->start, text);
    }
    sw_guard_verdict_free(&v);
}

static void test_presidio_f1(void) {
    /* ../shared beside the clone (CI); ../../shared from a worktree under wt/ */
    const char *root = getenv("STEWARD_ROOT");
    char path[4096];
    json_error_t je;
    json_t *all = NULL;
    for (int up = 1; up <= 2 && !all; up++) {
        snprintf(path, sizeof path, "%s/%sshared/data/presidio-synth/synth_dataset_v2.json", root ? root : ".",
                 up == 1 ? "../" : "../../");
        all = json_load_file(path, 0, &je);
    }
    if (!all) {
        T_SKIP("%.200s not readable", path);
        return;
    }
    verbose = getenv("PII_VERBOSE") != NULL;
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec) eval_record(rec);
    json_decref(all);
    for (int t = 0; t < NT; t++) {
        if (tp[t] + fn[t] == 0) {
            T_CHECK_MSG(0, "%s: no gold span of this type in %.200s", TYPES[t], path);
            continue;
        }
        double p = tp[t] + fp[t] ? (double)tp[t] / (tp[t] + fp[t]) : 1;
        double r = (double)tp[t] / (tp[t] + fn[t]);
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        printf("# %-14s tp %3d fp %3d fn %3d precision %.3f recall %.3f F1 %.3f\n", TYPES[t], tp[t], fp[t], fn[t], p,
               r, f1);
        T_CHECK_MSG(f1 >= 0.95, "%s F1 %.3f < 0.95", TYPES[t], f1);
    }
}

/* Values shaped like PII that fail their validator must not be reported. */
static void test_decoys_not_reported(void) {
    static const char *decoys[] = {
        "card 4111 1111 1111 1112 on file",        /* Luhn fails */
        "IBAN GB82 WEST 1234 5698 7654 33",         /* mod 97 fails */
        "SSN 666-12-3456 and 000-12-3456, 123-00-4567, 123-45-0000",
        "身份证 11010519491231002Y 110105194913310021", /* bad check char; bad date */
        "server 256.1.1.1 and 1.2.3",
        "mail me at bob@@example or alice@localhost",
        "MAC 00:1G:22:33:44:55",
    };
    for (size_t k = 0; k < sizeof decoys / sizeof decoys[0]; k++) {
        sw_guard_verdict v;
        sw_err err;
        T_CHECK(sw_guard_scan(g, SW_GUARD_INPUT, decoys[k], strlen(decoys[k]), &v, &err) == 0);
        for (size_t i = 0; i < v.n_findings; i++)
            T_CHECK_MSG(strcmp(v.findings[i].category, "pii") != 0, "decoy %zu reported as %s: '%.*s'", k,
                        v.findings[i].type, (int)(v.findings[i].end - v.findings[i].start),
                        decoys[k] + v.findings[i].start);
        sw_guard_verdict_free(&v);
    }
}

int main(void) {
    sw_err err;
    char data[4096];
    const char *root = getenv("STEWARD_ROOT");
    snprintf(data, sizeof data, "%s/data", root ? root : ".");
    sw_guard_opts o = {.data_dir = data};
    g = sw_guard_open(&o, &err);
    if (!g) {
        printf("not ok - open guard: %s\n", err.msg);
        return 1;
    }
    T_RUN(test_presidio_f1);
    T_RUN(test_decoys_not_reported);
    sw_guard_free(g);
    return t_done();
}
