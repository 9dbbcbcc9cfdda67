/* test_uncertainty.c - uncertain spans: entropy and normaliser of a distribution against
 * closed forms, runs of uncertain tokens merged into spans, marks placed around them;
 * and through the pipeline: the spans' offsets slice the delivered text, the marked text
 * is what the manifest signs. */
#include "pipeline/uncertainty.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static void test_measure(void) {
    float uniform[8] = {0};
    sw_unc_stats st;
    sw_unc_measure(uniform, 8, &st);
    T_NEAR(st.entropy, log(8.0), 1e-9);
    T_NEAR(st.lse, log(8.0), 1e-9);
    /* one logit far above the rest: entropy near 0, normaliser near that logit */
    float peaked[4] = {50, 0, 0, 0};
    sw_unc_measure(peaked, 4, &st);
    T_CHECK(st.entropy < 1e-15 * 1e6 && st.entropy >= 0);
    T_NEAR(st.lse, 50.0, 1e-9);
    /* two equal logits and -inf: log 2 */
    float two[3] = {1, 1, -INFINITY};
    sw_unc_measure(two, 3, &st);
    T_NEAR(st.entropy, log(2.0), 1e-9);
}

static void test_spans(void) {
    sw_gen_result r = {0};
    int cap = 0;
    /* tokens 0..5 with bytes 0-2, 2-5, ...; uncertain: 1, 2 (low p), 4 (high entropy) */
    float p[6] = {0.9f, 0.05f, 0.01f, 0.8f, 0.7f, 0.9f}, h[6] = {1, 1, 1, 1, 4, 1};
    for (int i = 0; i < 6; i++) T_CHECK(sw_unc_note(&r, &cap, i, (size_t)3 * i, (size_t)3 * i + 3, p[i], h[i], 0.1f, 3.0f) == 0);
    T_CHECK(r.n_uncertain == 2);
    if (r.n_uncertain == 2) {
        T_CHECK(r.uncertain[0].token_start == 1 && r.uncertain[0].token_end == 3);
        T_CHECK(r.uncertain[0].start == 3 && r.uncertain[0].end == 9);
        T_NEAR(r.uncertain[0].min_p, 0.01, 1e-7);
        T_CHECK(r.uncertain[1].token_start == 4 && r.uncertain[1].token_end == 5 && r.uncertain[1].max_entropy == 4);
    }
    const char *text = "aaabbbcccdddeeefff";
    sw_buf out = {0};
    T_CHECK(sw_unc_mark(r.uncertain, r.n_uncertain, text, strlen(text), &out) == 0);
    T_CHECK(out.data && strcmp(out.data, "aaa" SW_UNCERTAIN_OPEN "bbbccc" SW_UNCERTAIN_CLOSE "ddd" SW_UNCERTAIN_OPEN
                                         "eee" SW_UNCERTAIN_CLOSE "fff") == 0);
    sw_buf_free(&out);
    /* spans out of order or past the text are refused, not written past */
    sw_gen_span bad[1] = {{0, 1, 10, 40, 0, 0}};
    T_CHECK(sw_unc_mark(bad, 1, text, strlen(text), &out) < 0);
    sw_buf_free(&out);
    free(r.uncertain);
}

/* Through the pipeline on a random model: offsets slice the text; marked text signs. */
static void test_pipeline(void) {
    char dir[] = "/tmp/steward-test-unc-XXXXXX", model[128], home[128];
    if (!mkdtemp(dir)) return;
    snprintf(model, sizeof model, "%s/m.gguf", dir);
    snprintf(home, sizeof home, "%s/home", dir);
    sw_model_shape shape = {.n_vocab = 0, .n_ctx = 64, .n_embd = 32, .n_layer = 1, .n_ff = 64, .n_head = 2,
                            .n_head_kv = 1, .tied = 1};
    sw_err err;
    sw_pipeline *p = NULL;
    sw_pipeline_opts o = {.home = home, .model_path = model, .threads = 1};
    if (sw_model_write_random(model, &shape, SW_TYPE_F32, 2, &err) < 0 || sw_pipeline_open(&o, &p, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        return;
    }
    sw_gen_request req = {0};
    sw_sampler_params_default(&req.sampling);
    req.sampling.seed = 4;
    req.prompt = "hello";
    req.max_tokens = 24;
    req.ignore_eos = 1;
    req.uncertainty = 1;
    req.uncertain_p = 1.5f; /* every token counts as uncertain: one span over the whole text */
    sw_gen_result res;
    T_CHECK_MSG(sw_pipeline_generate(p, &req, &res, &err) == 0, "%s", err.msg);
    T_CHECK_MSG(res.n_uncertain > 0 && res.uncertain_offsets_valid, "%d spans, valid %d, %d tokens, '%s'", res.n_uncertain,
                res.uncertain_offsets_valid, res.n_tokens, res.finish_reason);
    int inside = 1;
    for (int i = 0; i < res.n_uncertain; i++)
        inside &= res.uncertain[i].start <= res.uncertain[i].end && res.uncertain[i].end <= res.text.len;
    T_CHECK(inside);
    T_CHECK(res.n_uncertain == 1 && res.uncertain[0].start == 0 && res.uncertain[0].end == res.text.len &&
            res.uncertain[0].token_start == 0 && res.uncertain[0].token_end == res.n_tokens);
    sw_buf plain = {0};
    sw_buf_append(&plain, res.text.data, res.text.len);
    sw_gen_result_free(&res);
    req.mark_uncertain = 1;
    T_CHECK(sw_pipeline_generate(p, &req, &res, &err) == 0);
    T_CHECK(res.uncertain_marked && res.text.len > plain.len && strstr(res.text.data, SW_UNCERTAIN_OPEN));
    /* the manifest signs what is delivered: the marked text */
    const char *labelled = res.labelled_text.data;
    T_CHECK(labelled && strstr(labelled, res.text.data) != NULL);
    uint8_t pubs[4][SW_SIGN_PUBLIC_BYTES];
    size_t n = 0;
    T_CHECK(sw_pipeline_trusted_keys(p, pubs, 4, &n, &err) == 0 && n >= 1);
    T_CHECK_MSG(sw_manifest_verify(res.manifest, res.labelled_text.data, res.labelled_text.len, (const uint8_t(*)[32])pubs, n,
                                   &err) == 0,
                "%s", err.msg);
    sw_gen_result_free(&res);
    sw_buf_free(&plain);
    sw_pipeline_close(p);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    T_CHECK(system(cmd) == 0);
}

int main(void) {
    T_RUN(test_measure);
    T_RUN(test_spans);
    T_RUN(test_pipeline);
    return t_done();
}
