/* test_eval_multi.c - sw_ctx_eval_multi: one pass over several sequences, each with its
 * own context, gives every sequence the very bits sw_ctx_eval gives it alone (so a
 * stream's tokens do not depend on who shares its pass), for every weight type with
 * its own kernels, and rejects bad input. */
#include "steward/model.h"
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

#define N_SEQ 6 /* more than SW_DOT_MAX_NX rows, so the row groups are exercised */
#define N_STEPS 5

static char dir[] = "/tmp/steward-test-multi-XXXXXX";
static const sw_model_shape shape = {.n_vocab = 0, .n_ctx = 64, .n_embd = 64, .n_layer = 2, .n_ff = 96,
                                     .n_head = 4, .n_head_kv = 2, .tied = 0};
/* rows of 256, so that the K-quants are used rather than their fallbacks */
static const sw_model_shape shape_k = {.n_vocab = 0, .n_ctx = 64, .n_embd = 256, .n_layer = 1, .n_ff = 256,
                                       .n_head = 4, .n_head_kv = 2, .tied = 1};

/* Prompts of different lengths, so the sequences sit at different positions. */
static int prompt(int s, int32_t *out) {
    int n = 2 + 3 * s;
    for (int i = 0; i < n; i++) out[i] = (int32_t)((s * 37 + i * 11 + 5) % 200);
    return n;
}

static void check_type(const sw_model_shape *shp, sw_ggml_type type, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s.gguf", dir, name);
    sw_err err;
    sw_model *m = NULL;
    if (sw_model_write_random(path, shp, type, 7, &err) < 0 || sw_model_load(path, &m, &err) < 0) {
        T_CHECK_MSG(0, "%s: %s", name, err.msg);
        return;
    }
    int V = sw_model_hparams(m)->n_vocab;
    sw_ctx *alone[N_SEQ], *batched[N_SEQ];
    int pos[N_SEQ];
    int32_t tok[N_SEQ], buf[64];
    float *la = malloc(sizeof(float) * (size_t)V), *lb = malloc(sizeof(float) * (size_t)V * N_SEQ);
    for (int s = 0; s < N_SEQ; s++) {
        alone[s] = sw_ctx_new(m, 48, &err);
        batched[s] = sw_ctx_new(m, 48, &err);
        int n = prompt(s, buf);
        T_CHECK(sw_ctx_eval(alone[s], buf, n, 0, la, NULL, &err) == 0);
        T_CHECK(sw_ctx_eval(batched[s], buf, n, 0, la, NULL, &err) == 0);
        pos[s] = n;
        tok[s] = (int32_t)(s + 1);
    }
    int same = 1;
    for (int step = 0; step < N_STEPS; step++) {
        /* a different number of sequences each step: 6, 5, 4, ... share the pass */
        int n = N_SEQ - step;
        T_CHECK_MSG(sw_ctx_eval_multi(batched, tok, pos, n, lb, &err) == 0, "%s", err.msg);
        for (int s = 0; s < n; s++) {
            T_CHECK(sw_ctx_eval(alone[s], &tok[s], 1, pos[s], la, NULL, &err) == 0);
            if (memcmp(la, lb + (size_t)s * V, sizeof(float) * (size_t)V) != 0) same = 0;
            /* the next token: the argmax, as greedy decoding would take */
            int best = 0;
            for (int v = 1; v < V; v++)
                if (la[v] > la[best]) best = v;
            tok[s] = best;
            pos[s]++;
        }
    }
    T_CHECK_MSG(same, "%s: a sequence's logits differ between the shared pass and alone", name);
    for (int s = 0; s < N_SEQ; s++) {
        sw_ctx_free(alone[s]);
        sw_ctx_free(batched[s]);
    }
    free(la);
    free(lb);
    sw_model_free(m);
}

static void test_bit_identical_f32(void) { check_type(&shape, SW_TYPE_F32, "f32"); }
static void test_bit_identical_q8_0(void) { check_type(&shape, SW_TYPE_Q8_0, "q8_0"); }
static void test_bit_identical_q4_0(void) { check_type(&shape, SW_TYPE_Q4_0, "q4_0"); }
static void test_bit_identical_f16(void) { check_type(&shape, SW_TYPE_F16, "f16"); }
static void test_bit_identical_q4_k(void) { check_type(&shape_k, SW_TYPE_Q4_K, "q4_k"); }
static void test_bit_identical_q6_k(void) { check_type(&shape_k, SW_TYPE_Q6_K, "q6_k"); }

static void test_errors(void) {
    char path[256];
    snprintf(path, sizeof path, "%s/err.gguf", dir);
    sw_err err;
    sw_model *m = NULL;
    if (sw_model_write_random(path, &shape, SW_TYPE_F32, 1, &err) < 0 || sw_model_load(path, &m, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        return;
    }
    sw_ctx *a = sw_ctx_new(m, 16, &err), *b = sw_ctx_new(m, 16, &err), *small = sw_ctx_new(m, 8, &err);
    int V = sw_model_hparams(m)->n_vocab;
    float *l = malloc(sizeof(float) * (size_t)V * 2);
    int32_t tok[2] = {1, 2};
    int pos[2] = {0, 0};
    sw_ctx *same[2] = {a, a}, *mixed[2] = {a, small}, *ok[2] = {a, b};
    T_CHECK(sw_ctx_eval_multi(same, tok, pos, 2, l, &err) < 0 && strstr(err.msg, "share"));
    T_CHECK(sw_ctx_eval_multi(mixed, tok, pos, 2, l, &err) < 0 && strstr(err.msg, "size"));
    T_CHECK(sw_ctx_eval_multi(ok, tok, pos, 0, l, &err) < 0);
    pos[1] = 16;
    T_CHECK(sw_ctx_eval_multi(ok, tok, pos, 2, l, &err) < 0 && strstr(err.msg, "position 16"));
    pos[1] = 0;
    tok[0] = V;
    T_CHECK(sw_ctx_eval_multi(ok, tok, pos, 2, l, &err) < 0 && strstr(err.msg, "out of range"));
    free(l);
    sw_ctx_free(a);
    sw_ctx_free(b);
    sw_ctx_free(small);
    sw_model_free(m);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    T_RUN(test_bit_identical_f32);
    T_RUN(test_bit_identical_q8_0);
    T_RUN(test_bit_identical_q4_0);
    T_RUN(test_bit_identical_f16);
    T_RUN(test_bit_identical_q4_k);
    T_RUN(test_bit_identical_q6_k);
    T_RUN(test_errors);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return t_done();
}
