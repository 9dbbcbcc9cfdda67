/* fuzz_policy.c - libFuzzer target: the guard policy parser on arbitrary bytes, and the
 * rules-file parser (keyword libraries) on the same bytes. */
#include "steward/guard.h"
#include "guard/guard_int.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_err err;
    sw_guard_policy *p = sw_guard_policy_parse((const char *)data, size, "fuzz.policy", &err);
    if (p) {
        /* apply to a verdict with a finding of each source */
        sw_guard_verdict v = {0};
        sw_guard_finding f[2] = {{.category = "pii", .type = "EMAIL_ADDRESS", .start = 0, .end = 1, .score = 0.7},
                                 {.category = "S9", .type = "keyword", .start = 0, .end = 1, .score = 0.95}};
        v.findings = f;
        v.n_findings = 2;
        sw_guard_policy_apply(p, SW_GUARD_INPUT, &v);
        if ((unsigned)v.action > SW_ACT_BLOCK) abort();
    }
    sw_guard_policy_free(p);
    grules *r = grules_new();
    if (!r) return 0;
    if (grules_add_text(r, (const char *)data, size, "fuzz.rules", &err) == 0) grules_build(r, &err);
    grules_free(r);
    return 0;
}
