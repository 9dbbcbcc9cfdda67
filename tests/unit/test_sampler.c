/* test_sampler.c - sampling: greedy, filters, reproducibility, hook, logprobs; chat formats. */
#include "steward/chat.h"
#include "steward/sampler.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>

#define NV 100

static void fill_logits(float *l) {
    for (int i = 0; i < NV; i++) l[i] = (float)((i * 37) % NV) / 10.0f;
}

static void test_greedy(void) {
    sw_sampler_params p;
    sw_sampler_params_default(&p);
    p.temperature = 0;
    sw_sampler *s = sw_sampler_new(&p, NV);
    float l[NV];
    fill_logits(l);
    int best = 0;
    for (int i = 1; i < NV; i++) if (l[i] > l[best]) best = i;
    T_CHECK(sw_sampler_sample(s, l, NULL, 0, NULL, NULL) == best);
    sw_sampler_free(s);
}

static void test_reproducible(void) {
    sw_sampler_params p;
    sw_sampler_params_default(&p);
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0;
    p.seed = 42;
    int a[200], b[200], c[200];
    for (int run = 0; run < 3; run++) {
        if (run == 2) p.seed = 43;
        sw_sampler *s = sw_sampler_new(&p, NV);
        int *dst = run == 0 ? a : run == 1 ? b : c;
        for (int i = 0; i < 200; i++) {
            float l[NV];
            fill_logits(l);
            dst[i] = sw_sampler_sample(s, l, NULL, 0, NULL, NULL);
        }
        sw_sampler_free(s);
    }
    T_CHECK(memcmp(a, b, sizeof a) == 0);
    T_CHECK(memcmp(a, c, sizeof a) != 0);
}

static void test_top_k_limits_choices(void) {
    sw_sampler_params p;
    sw_sampler_params_default(&p);
    p.temperature = 5.0f; /* flat: every kept candidate is likely */
    p.top_k = 3;
    p.top_p = 1.0f;
    p.min_p = 0;
    sw_sampler *s = sw_sampler_new(&p, NV);
    float l[NV];
    fill_logits(l);
    /* the three best ids of fill_logits: values 9.9, 9.8, 9.7 */
    int seen_other = 0, seen[NV] = {0};
    for (int i = 0; i < 500; i++) {
        float x[NV];
        memcpy(x, l, sizeof x);
        int t = sw_sampler_sample(s, x, NULL, 0, NULL, NULL);
        seen[t]++;
        if (l[t] < 9.65f) seen_other = 1;
    }
    int distinct = 0;
    for (int i = 0; i < NV; i++) distinct += seen[i] > 0;
    T_CHECK(!seen_other);
    T_CHECK(distinct == 3);
    sw_sampler_free(s);
}

static void test_top_p_and_min_p(void) {
    sw_sampler_params p;
    sw_sampler_params_default(&p);
    p.temperature = 1.0f;
    p.top_k = 0;
    float l[NV];
    for (int i = 0; i < NV; i++) l[i] = -10;
    l[7] = 5;   /* p ~ 0.73 */
    l[8] = 4;   /* p ~ 0.27 */
    p.top_p = 0.5f;
    p.min_p = 0;
    sw_sampler *s = sw_sampler_new(&p, NV);
    for (int i = 0; i < 100; i++) {
        float x[NV];
        memcpy(x, l, sizeof x);
        T_CHECK(sw_sampler_sample(s, x, NULL, 0, NULL, NULL) == 7);
    }
    sw_sampler_free(s);
    p.top_p = 1.0f;
    p.min_p = 0.5f; /* 0.27 < 0.5 * 0.73: only token 7 survives */
    s = sw_sampler_new(&p, NV);
    for (int i = 0; i < 100; i++) {
        float x[NV];
        memcpy(x, l, sizeof x);
        T_CHECK(sw_sampler_sample(s, x, NULL, 0, NULL, NULL) == 7);
    }
    sw_sampler_free(s);
}

static void test_repeat_penalty(void) {
    sw_sampler_params p;
    sw_sampler_params_default(&p);
    p.temperature = 0;
    p.repeat_penalty = 2.0f;
    sw_sampler *s = sw_sampler_new(&p, NV);
    float l[NV] = {0};
    l[3] = 2.0f;
    l[4] = 1.5f;
    int32_t hist[] = {3, 3};
    T_CHECK(sw_sampler_sample(s, l, hist, 2, NULL, NULL) == 4); /* 2.0/2 = 1.0 < 1.5 */
    T_NEAR(l[3], 1.0, 1e-6); /* penalised once, not per occurrence */
    sw_sampler_free(s);
}

typedef struct {
    int adjusted, observed, last;
} hook_state;
static void h_adjust(void *ud, float *logits, int n, const int32_t *h, int nh) {
    (void)h; (void)nh;
    ((hook_state *)ud)->adjusted++;
    logits[n - 1] = 1000; /* force the last token */
}
static void h_observe(void *ud, int32_t t) {
    ((hook_state *)ud)->observed++;
    ((hook_state *)ud)->last = t;
}

static void test_hook_and_logprobs(void) {
    sw_sampler_params p;
    sw_sampler_params_default(&p);
    p.temperature = 0.7f;
    p.n_logprobs = 5;
    sw_sampler *s = sw_sampler_new(&p, NV);
    hook_state st = {0};
    sw_sampler_hook h = {h_adjust, NULL, h_observe, &st};
    sw_sampler_set_hook(s, &h);
    float l[NV];
    fill_logits(l);
    sw_logprob lp[5];
    float chosen;
    int t = sw_sampler_sample(s, l, NULL, 0, lp, &chosen);
    T_CHECK(t == NV - 1);
    T_CHECK(st.adjusted == 1 && st.observed == 1 && st.last == NV - 1);
    /* logprobs describe the model's own distribution, before the hook */
    float raw[NV];
    fill_logits(raw);
    double z = 0;
    for (int i = 0; i < NV; i++) z += exp(raw[i]);
    T_NEAR(lp[0].logprob, raw[lp[0].id] - log(z), 1e-4);
    for (int i = 1; i < 5; i++) T_CHECK(lp[i].logprob <= lp[i - 1].logprob);
    T_NEAR(chosen, raw[NV - 1] - log(z), 1e-4);
    sw_sampler_free(s);
}

/* A repeat penalty of 0 turned a positive logit into +inf, every candidate into NaN and
 * the choice into cands[-1] (heap overflow, NUL bytes delivered): now the check refuses
 * it and the sampler, given it anyway, still picks a real token. */
static void test_degenerate_penalty(void) {
    sw_sampler_params p;
    sw_sampler_params_default(&p);
    p.repeat_penalty = 0;
    sw_err e;
    T_CHECK(sw_sampler_params_check(&p, &e) == -1 && strstr(e.msg, "repeat_penalty"));
    sw_sampler *s = sw_sampler_new(&p, NV);
    int32_t hist[NV];
    for (int i = 0; i < NV; i++) hist[i] = i;
    for (int round = 0; round < 20; round++) {
        float l[NV];
        fill_logits(l);
        int32_t t = sw_sampler_sample(s, l, hist, NV, NULL, NULL);
        T_CHECK_MSG(t >= 0 && t < NV, "token %d", t);
    }
    sw_sampler_free(s);
    sw_sampler_params_default(&p);
    T_CHECK(sw_sampler_params_check(&p, &e) == 0);
    p.temperature = NAN;
    T_CHECK(sw_sampler_params_check(&p, &e) == -1 && strstr(e.msg, "temperature"));
    sw_sampler_params_default(&p);
    p.top_p = NAN;
    T_CHECK(sw_sampler_params_check(&p, &e) == -1 && strstr(e.msg, "top_p"));
    sw_sampler_params_default(&p);
    p.min_p = 1.5f;
    T_CHECK(sw_sampler_params_check(&p, &e) == -1 && strstr(e.msg, "min_p"));
}

/* NaN logits (a model with NaN weights) are never chosen; all NaN gives no token rather
 * than an index before the candidates; +inf is the best. With logprobs too. */
static void test_non_finite_logits(void) {
    for (int temp = 0; temp < 2; temp++) {
        sw_sampler_params p;
        sw_sampler_params_default(&p);
        p.temperature = temp ? 0.8f : 0;
        p.n_logprobs = 2;
        sw_sampler *s = sw_sampler_new(&p, NV);
        float l[NV];
        sw_logprob lp[2];
        float chosen;
        for (int i = 0; i < NV; i++) l[i] = NAN;
        T_CHECK(sw_sampler_sample(s, l, NULL, 0, lp, &chosen) == SW_SAMPLER_NO_TOKEN);
        for (int i = 0; i < NV; i++) l[i] = i == 7 ? 1.0f : NAN;
        T_CHECK(sw_sampler_sample(s, l, NULL, 0, lp, &chosen) == 7);
        T_CHECK(lp[0].id == 7 && isfinite(chosen));
        fill_logits(l);
        l[42] = INFINITY;
        l[3] = NAN;
        T_CHECK(sw_sampler_sample(s, l, NULL, 0, lp, &chosen) == 42);
        sw_sampler_free(s);
    }
}

static void test_chat_formats(void) {
    sw_chat_msg m[] = {{"system", "Be brief."}, {"user", "Hi"}};
    sw_buf b = {0};
    const char *chatml = "{% for m in messages %}<|im_start|>{{m.role}}...";
    T_CHECK(sw_chat_detect(chatml, strlen(chatml)) == SW_CHAT_CHATML);
    T_CHECK(sw_chat_format(SW_CHAT_CHATML, m, 2, 1, &b, NULL) == 0);
    T_CHECK(strcmp(b.data, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                           "<|im_start|>assistant\n") == 0);
    sw_buf_reset(&b);
    const char *l3 = "{{ bos_token }}<|start_header_id|>{{ role }}<|end_header_id|>\n\n{{ c }}<|eot_id|>";
    T_CHECK(sw_chat_detect(l3, strlen(l3)) == SW_CHAT_LLAMA3);
    T_CHECK(sw_chat_format(SW_CHAT_LLAMA3, m + 1, 1, 1, &b, NULL) == 0);
    T_CHECK(strcmp(b.data, "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                           "<|start_header_id|>assistant<|end_header_id|>\n\n") == 0);
    sw_err e;
    T_CHECK(sw_chat_format(SW_CHAT_NONE, m, 1, 1, &b, &e) == -1 && strstr(e.msg, "chat template"));
    T_CHECK(sw_chat_detect(NULL, 0) == SW_CHAT_NONE);
    sw_buf_free(&b);
}

int main(void) {
    T_RUN(test_greedy);
    T_RUN(test_reproducible);
    T_RUN(test_top_k_limits_choices);
    T_RUN(test_top_p_and_min_p);
    T_RUN(test_repeat_penalty);
    T_RUN(test_hook_and_logprobs);
    T_RUN(test_chat_formats);
    T_RUN(test_degenerate_penalty);
    T_RUN(test_non_finite_logits);
    return t_done();
}
