/* test_guard_ppl.c - the perplexity signals on a small random-weight model: the values
 * are the model's own perplexities of the whole text and of its first and last 20 words,
 * calibration puts the thresholds at the benign quantile, and the findings and the scan
 * follow the thresholds. (Random weights say nothing about real attacks; what a model
 * scores is tested here, not how well.) */
#include "t.h"
#include "steward/guard.h"
#include "steward/model.h"
#include "steward/tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sw_model *m;
static sw_ctx *c;
static char dir[64], model_path[128];

static double ppl_direct(const char *t, size_t n) {
    int32_t *ids = NULL;
    size_t k = 0;
    sw_err err;
    sw_tokenize(sw_model_tokenizer(m), t, n, 0, &ids, &k, &err);
    double nll = 0;
    int scored = 0;
    sw_ctx_nll(c, ids, (int)k, 1, &nll, &scored, &err);
    free(ids);
    return exp(nll / scored);
}

static const char *TEXT = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                          "fifteen sixteen seventeen eighteen nineteen twenty twentyone twentytwo zq xv kj";

static void test_signals(void) {
    sw_guard_ppl_signals s;
    sw_err err;
    T_CHECK_MSG(sw_guard_ppl_score(c, sw_model_tokenizer(m), TEXT, strlen(TEXT), &s, &err) == 0, "%s", err.msg);
    T_CHECK(s.valid);
    T_NEAR(s.ppl, ppl_direct(TEXT, strlen(TEXT)), 1e-6 * s.ppl);
    T_NEAR(s.len_per_ppl, strlen(TEXT) / s.ppl, 1e-9);
    const char *p20 = strstr(TEXT, " twentyone"); /* the first 20 words end here */
    T_NEAR(s.prefix_ppl, ppl_direct(TEXT, (size_t)(p20 - TEXT)), 1e-6 * s.prefix_ppl);
    const char *s20 = strstr(TEXT, "six"); /* the last 20 of the 25 words start here */
    T_NEAR(s.suffix_ppl, ppl_direct(s20, strlen(s20)), 1e-6 * s.suffix_ppl);
    T_CHECK(s.edge_valid);
    T_CHECK(sw_guard_ppl_score(c, sw_model_tokenizer(m), "a", 1, &s, &err) == 0 && !s.valid);
    /* under 20 words the edges are not judged (as in NeMo): they would be the whole text */
    const char *t19 = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                      "fifteen sixteen seventeen eighteen nineteen  ";
    T_CHECK(sw_guard_ppl_score(c, sw_model_tokenizer(m), t19, strlen(t19), &s, &err) == 0);
    T_CHECK(s.valid && !s.edge_valid && s.prefix_ppl == 0 && s.suffix_ppl == 0);
}

/* A text over SW_GUARD_PPL_MAX_TOKENS is judged by its first tokens: bounded cost. */
static void test_long_text_bounded(void) {
    size_t n = 0, cap = 40000;
    char *t = malloc(cap);
    while (n + 16 < cap) n += (size_t)snprintf(t + n, cap - n, "word%zu ", n % 97);
    int32_t *ids = NULL;
    size_t k = 0;
    sw_err err;
    T_CHECK(sw_tokenize(sw_model_tokenizer(m), t, n, 0, &ids, &k, &err) == 0);
    T_CHECK_MSG(k > SW_GUARD_PPL_MAX_TOKENS, "%zu tokens", k);
    double nll = 0;
    int scored = 0;
    sw_ctx_nll(c, ids, SW_GUARD_PPL_MAX_TOKENS, 1, &nll, &scored, &err);
    sw_guard_ppl_signals s;
    T_CHECK(sw_guard_ppl_score(c, sw_model_tokenizer(m), t, n, &s, &err) == 0 && s.valid);
    T_NEAR(s.ppl, exp(nll / scored), 1e-6 * s.ppl);
    T_NEAR(s.len_per_ppl, n / s.ppl, 1e-9); /* the length is still the whole text's */
    free(ids);
    free(t);
}

static void test_calibrate_and_findings(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/benign.jsonl", dir);
    FILE *f = fopen(path, "w");
    static const char *w[] = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "slept", "all", "day", "long"};
    for (int i = 0; i < 20; i++) {
        fprintf(f, "{\"text\": \"");
        for (int k = 0; k < 17 + i; k++) fprintf(f, "%s%s", k ? " " : "", w[(k * 7 + i) % 12]);
        fprintf(f, " n%d\"}\n", i); /* no two texts, prefixes or suffixes alike */
    }
    fclose(f);
    sw_guard_ppl th;
    sw_err err;
    T_CHECK_MSG(sw_guard_ppl_calibrate(c, sw_model_tokenizer(m), path, 0.1, &th, &err) == 0, "%s", err.msg);
    T_CHECK(th.calibrated_on == 20 && th.calibrated_on_edge == 18 && th.fpr == 0.1);
    /* exactly two of the twenty benign texts lie above the length threshold, and one of
     * the eighteen with 20 words or more above the edge threshold */
    f = fopen(path, "r");
    char line[512];
    int above_len = 0, above_edge = 0;
    while (fgets(line, sizeof line, f)) {
        char *t = strstr(line, ": \"") + 3;
        *strrchr(t, '"') = 0;
        sw_guard_ppl_signals s;
        sw_guard_ppl_score(c, sw_model_tokenizer(m), t, strlen(t), &s, &err);
        above_len += s.len_per_ppl > th.len_per_ppl_max;
        above_edge += s.edge_valid && fmax(s.prefix_ppl, s.suffix_ppl) > th.edge_ppl_max;
    }
    fclose(f);
    T_CHECK_MSG(above_len == 2 && above_edge == 1, "%d %d", above_len, above_edge);
    unlink(path);
    /* findings follow the thresholds */
    sw_guard_ppl_signals s;
    sw_guard_ppl_score(c, sw_model_tokenizer(m), TEXT, strlen(TEXT), &s, &err);
    sw_guard_ppl low = {s.len_per_ppl * 0.999, fmax(s.prefix_ppl, s.suffix_ppl) * 0.999, 0.01, 1, 1};
    sw_guard_ppl high = {s.len_per_ppl + 1, fmax(s.prefix_ppl, s.suffix_ppl) + 1, 0.01, 1, 1};
    sw_guard_verdict v = {0};
    T_CHECK(sw_guard_ppl_findings(&high, &s, strlen(TEXT), &v) == 0 && v.n_findings == 0);
    T_CHECK(sw_guard_ppl_findings(&low, &s, strlen(TEXT), &v) == 0 && v.n_findings == 2);
    if (v.n_findings == 2) {
        T_CHECK(strcmp(v.findings[0].type, "perplexity_length") == 0 && strcmp(v.findings[1].type, "perplexity_edge") == 0);
        T_CHECK(strcmp(v.findings[0].category, "jailbreak") == 0 && v.findings[0].end == strlen(TEXT));
    }
    sw_guard_verdict_free(&v);
    /* and the scan runs them with everything else, under the policy */
    const char *root = getenv("STEWARD_ROOT");
    char data[4096];
    snprintf(data, sizeof data, "%s/data", root ? root : ".");
    sw_guard_opts o = {.data_dir = data, .model_path = ""};
    sw_guard *g = sw_guard_open(&o, &err);
    T_CHECK(g != NULL);
    if (!g) return;
    T_CHECK(sw_guard_scan_lm(g, SW_GUARD_INPUT, TEXT, strlen(TEXT), c, sw_model_tokenizer(m), &low, &v, &err) == 0);
    int n = 0;
    for (size_t i = 0; i < v.n_findings; i++) n += v.findings[i].source == SW_SRC_HEURISTIC;
    T_CHECK(n == 2 && v.action == SW_ACT_FLAG && strlen(v.policy_hash) == 64);
    sw_guard_verdict_free(&v);
    T_CHECK(sw_guard_scan_lm(g, SW_GUARD_INPUT, TEXT, strlen(TEXT), c, sw_model_tokenizer(m), &high, &v, &err) == 0);
    T_CHECK(v.n_findings == 0 && v.action == SW_ACT_ALLOW);
    sw_guard_verdict_free(&v);
    sw_guard_free(g);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/steward-ppl-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(model_path, sizeof model_path, "%s/m.gguf", dir);
    sw_model_shape shape = {.n_vocab = sw_model_demo_vocab_size(), .n_ctx = 256, .n_embd = 32, .n_layer = 1,
                            .n_ff = 64, .n_head = 4, .n_head_kv = 2, .tied = 1};
    sw_err err;
    if (sw_model_write_random(model_path, &shape, SW_TYPE_F32, 3, &err) < 0 || sw_model_load(model_path, &m, &err) < 0 ||
        !(c = sw_ctx_new(m, 256, &err))) {
        printf("not ok - model: %s\n", err.msg);
        return 1;
    }
    T_RUN(test_signals);
    T_RUN(test_calibrate_and_findings);
    T_RUN(test_long_text_bounded);
    sw_ctx_free(c);
    sw_model_free(m);
    unlink(model_path);
    rmdir(dir);
    return t_done();
}
