/* test_consistency.c - self-consistency: the agreement measure against hand counts
 * (identical, disjoint, reordered, Chinese by character, case), and through the
 * pipeline: greedy samples agree fully; a low agreement flags the answer, or withholds
 * it for review with the decision in the audit record. */
#include "pipeline/consistency.h"
#include "steward/pipeline.h"
#include "t.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static double agree(const char *a, const char *b, double *u, double *bi) {
    return sw_text_agreement(a, strlen(a), b, strlen(b), u, bi);
}

static void test_measure(void) {
    double u, b;
    T_NEAR(agree("the cat sat", "The cat sat.", &u, &b), 1.0, 1e-12);
    T_NEAR(agree("alpha beta", "gamma delta", &u, &b), 0.0, 1e-12);
    /* same words, other order: unigrams agree fully, bigrams not at all */
    agree("one two three", "three two one", &u, &b);
    T_NEAR(u, 1.0, 1e-12);
    T_NEAR(b, 0.0, 1e-12);
    /* hand count: {a b c d} vs {a b x}: 2*2/7; bigrams {ab bc cd} vs {ab bx}: 2*1/5 */
    agree("a b c d", "a b x", &u, &b);
    T_NEAR(u, 4.0 / 7.0, 1e-12);
    T_NEAR(b, 2.0 / 5.0, 1e-12);
    /* Chinese compares character by character: 北京大学 vs 北京大楼: 3 of 4 chars */
    agree("北京大学", "北京大楼", &u, &b);
    T_NEAR(u, 0.75, 1e-12);
    T_NEAR(b, 2.0 * 2 / 6, 1e-12);
    T_NEAR(agree("", "", &u, &b), 1.0, 1e-12);
    T_NEAR(agree("word", "", &u, &b), 0.0, 1e-12);
}

/* On the shipped model (a random model's answers are too degenerate to disagree). */
static void test_pipeline(void) {
    char dir[] = "/tmp/steward-test-cons-XXXXXX", model[PATH_MAX], home[128];
    const char *root = getenv("STEWARD_ROOT");
    if (!mkdtemp(dir)) return;
    snprintf(model, sizeof model, "%s/models/default.gguf", root ? root : ".");
    snprintf(home, sizeof home, "%s/home", dir);
    sw_err err;
    sw_pipeline *p = NULL;
    sw_pipeline_opts o = {.home = home, .model_path = model, .threads = 1};
    if (sw_pipeline_open(&o, &p, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        return;
    }
    sw_gen_request req = {0};
    sw_sampler_params_default(&req.sampling);
    req.sampling.temperature = 0; /* greedy: every sample is the same */
    req.prompt = "ROMEO:";
    req.max_tokens = 16;
    req.ignore_eos = 1;
    req.no_watermark = 1;
    req.consistency = 3;
    sw_gen_result res;
    T_CHECK_MSG(sw_pipeline_generate(p, &req, &res, &err) == 0, "%s", err.msg);
    T_NEAR(res.agreement, 1.0, 1e-12);
    T_CHECK(!res.low_consistency && res.text.len > 0);
    sw_gen_result_free(&res);
    /* sampled, a small model's answers disagree: flagged ... */
    req.sampling.temperature = 1;
    req.sampling.seed = 9;
    req.consistency_min = 0.99f;
    T_CHECK(sw_pipeline_generate(p, &req, &res, &err) == 0);
    T_CHECK_MSG(res.low_consistency && res.agreement < 0.99 && res.text.len > 0 && strcmp(res.finish_reason, "length") == 0, "agreement %g, %zu bytes, %s: %.60s", res.agreement, res.text.len, res.finish_reason, res.text.data ? res.text.data : "");
    sw_gen_result_free(&res);
    /* ... or withheld for review */
    req.consistency_review = 1;
    T_CHECK(sw_pipeline_generate(p, &req, &res, &err) == 0);
    T_CHECK(res.low_consistency && strcmp(res.finish_reason, "review") == 0 && res.text.len == 0);
    sw_gen_result_free(&res);
    sw_pipeline_close(p);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    T_CHECK(system(cmd) == 0);
}

/* The thresholds may come from the policy: "consistency min A review" sends a low answer
 * to review without the request asking; "uncertainty ..." sets where tokens are unsure;
 * a malformed line names its line. */
static void test_policy_settings(void) {
    const char *text = "*  flag\nuncertainty p_below 0.5 entropy_above 1.5\nconsistency min 0.99 review\n";
    sw_err err;
    sw_guard_policy *pol = sw_guard_policy_parse(text, strlen(text), "t.policy", &err);
    T_CHECK_MSG(pol != NULL, "%s", err.msg);
    sw_guard_gen_settings g;
    sw_guard_policy_gen_settings(pol, &g);
    T_CHECK(g.uncertain_p == 0.5f && g.uncertain_entropy == 1.5f && g.consistency_min == 0.99f && g.consistency_review);
    sw_guard_policy_free(pol);
    const char *bad[] = {"consistency min 2 flag\n", "consistency min 0.5 maybe\n", "uncertainty p_below x entropy_above 1\n",
                         "uncertainty p_below 0.2\n"};
    for (int i = 0; i < 4; i++) {
        pol = sw_guard_policy_parse(bad[i], strlen(bad[i]), "t.policy", &err);
        T_CHECK_MSG(pol == NULL && strstr(err.msg, "t.policy:1"), "'%s' accepted", bad[i]);
        sw_guard_policy_free(pol);
    }
    /* through the pipeline: the policy's review applies to a request that says nothing */
    char dir[] = "/tmp/steward-test-cons-pol-XXXXXX", model[PATH_MAX], home[160], polpath[160];
    const char *root = getenv("STEWARD_ROOT");
    if (!mkdtemp(dir)) return;
    snprintf(model, sizeof model, "%s/models/default.gguf", root ? root : ".");
    snprintf(home, sizeof home, "%s/home", dir);
    snprintf(polpath, sizeof polpath, "%s/p.policy", dir);
    FILE *f = fopen(polpath, "w");
    T_CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0);
    sw_pipeline *p = NULL;
    sw_pipeline_opts o = {.home = home, .model_path = model, .threads = 1, .policy_path = polpath};
    if (sw_pipeline_open(&o, &p, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        return;
    }
    sw_gen_request req = {0};
    sw_sampler_params_default(&req.sampling);
    req.sampling.seed = 9;
    req.prompt = "ROMEO:";
    req.max_tokens = 16;
    req.ignore_eos = 1;
    req.consistency = 3;
    req.uncertainty = 1;
    sw_gen_result res;
    T_CHECK_MSG(sw_pipeline_generate(p, &req, &res, &err) == 0, "%s", err.msg);
    T_CHECK(res.settings.consistency_review && res.settings.uncertain_p == 0.5f && res.settings.uncertain_entropy == 1.5f);
    T_CHECK(res.low_consistency && strcmp(res.finish_reason, "review") == 0 && res.text.len == 0);
    sw_gen_result_free(&res);
    /* the request's own threshold wins over the policy's */
    req.consistency_min = 0.01f;
    T_CHECK(sw_pipeline_generate(p, &req, &res, &err) == 0);
    /* judged by the request's threshold: low only below 0.01 (three samples of a random
     * model under a new watermark key may still share nothing: agreement 0) */
    T_CHECK_MSG(res.settings.consistency_min == 0.01f && res.low_consistency == (res.agreement < 0.01f) &&
                    (res.text.len > 0) == !res.low_consistency,
                "agreement %.3f, low %d, finish %s, %zu bytes", res.agreement, res.low_consistency, res.finish_reason,
                res.text.len);
    sw_gen_result_free(&res);
    sw_pipeline_close(p);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    T_CHECK(system(cmd) == 0);
}

int main(void) {
    T_RUN(test_measure);
    T_RUN(test_pipeline);
    T_RUN(test_policy_settings);
    return t_done();
}
