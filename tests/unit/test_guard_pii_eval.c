/* test_guard_pii_eval.c - PII F1 per structured type on Presidio's synthetic set
 * ($STEWARD_ROOT/../shared/data/presidio-synth), through sw_guard_eval_pii (a gold span
 * counts as found when a finding of its type with score >= 0.5 overlaps it by at least
 * half of the longer of the two; every other finding of the type is a false positive),
 * and no validator-failing decoy reported. Skips (TAP "# SKIP") when the data set is
 * absent; fails when it is there but holds no gold span of a type (an F1 on nothing
 * proves nothing). */
#include "guard_fixture.h"
#include "t.h"
#include "steward/guard.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *TYPES[] = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS"};
#define NT 6
static sw_guard *g;

/* The figures come from the library's evaluator (sw_guard_eval_pii, `steward eval pii`). */
static void test_presidio_f1(void) {
    /* ../shared beside the clone (CI); ../../shared from a worktree under wt/ */
    const char *root = getenv("STEWARD_ROOT");
    char path[4096];
    json_t *r = NULL;
    sw_err err;
    for (int up = 1; up <= 2 && !r; up++) {
        snprintf(path, sizeof path, "%s/%sshared/data/presidio-synth/synth_dataset_v2.json", root ? root : ".",
                 up == 1 ? "../" : "../../");
        FILE *f = fopen(path, "r");
        if (!f) continue;
        fclose(f);
        r = sw_guard_eval_pii(g, path, &err);
        T_CHECK_MSG(r != NULL, "%s", err.msg);
    }
    if (!r) {
        T_SKIP("%.200s not readable", path);
        return;
    }
    for (int t = 0; t < NT; t++) {
        json_t *x = json_object_get(json_object_get(r, "types"), TYPES[t]);
        if (!x || json_integer_value(json_object_get(x, "support")) == 0) {
            T_CHECK_MSG(0, "%s: no gold span of this type in %.200s", TYPES[t], path);
            continue;
        }
        double f1 = json_real_value(json_object_get(x, "f1"));
        printf("# %-14s tp %3lld fp %3lld fn %3lld precision %.3f recall %.3f F1 %.3f\n", TYPES[t],
               (long long)json_integer_value(json_object_get(x, "tp")), (long long)json_integer_value(json_object_get(x, "fp")),
               (long long)json_integer_value(json_object_get(x, "fn")), json_real_value(json_object_get(x, "precision")),
               json_real_value(json_object_get(x, "recall")), f1);
        T_CHECK_MSG(f1 >= 0.95, "%s F1 %.3f < 0.95", TYPES[t], f1);
    }
    json_decref(r);
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
    if (!(g = test_guard_open(TG_WITH_CLASSIFIER))) return 1;
    T_RUN(test_presidio_f1);
    T_RUN(test_decoys_not_reported);
    sw_guard_free(g);
    return t_done();
}
