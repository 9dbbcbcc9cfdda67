/* fuzz_evidence.c - libFuzzer target for the evidence readers: the first byte picks the
 * bias templates or terms TSV, the CrowS-Pairs CSV, the replay's JSONL requests or the
 * report's date parser; the rest is the input. A parser must return a result or an
 * error, never crash, and a result must have the documented shape. */
#include "steward/eval.h"
#include "steward/report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_PARSERS 5

static void check_strings(const json_t *arr, const char *const *keys, int n) {
    size_t i;
    const json_t *o;
    json_array_foreach(arr, i, o)
        for (int k = 0; k < n; k++)
            if (!json_is_string(json_object_get(o, keys[k]))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    sw_err err;
    json_t *r = NULL;
    static const char *const tpl[] = {"lang", "text"}, *const term[] = {"lang", "group", "term"},
                             *const crows[] = {"more", "less", "bias_type"}, *const req[] = {"prompt", "source"};
    switch (data[0] % N_PARSERS) {
    case 0: check_strings(r = sw_bias_parse_templates(in, len, "fuzz", &err), tpl, 2); break;
    case 1: check_strings(r = sw_bias_parse_terms(in, len, "fuzz", &err), term, 3); break;
    case 2: check_strings(r = sw_crows_parse(in, len, "fuzz", &err), crows, 3); break;
    case 3: check_strings(r = sw_replay_parse_prompts(in, len, "fuzz", &err), req, 2); break;
    default: {
        char *s = malloc(len + 1);
        if (!s) return 0;
        memcpy(s, in, len), s[len] = 0;
        int64_t t;
        if (sw_report_parse_time(s, &t, &err) == 0 && t < 0) abort();
        free(s);
    }
    }
    json_decref(r);
    return 0;
}
