/* test_model.c - the model API on random-weight models written by sw_model_write_random:
 * batched and one-by-one evaluation agree, logits_all agrees with logits, quantisation
 * picks the right types and falls back, and errors are reported. (Numerical parity with
 * an independent reference is tests/engine/test_forward_parity.py.) */
#include "steward/model.h"
#include "t.h"

#include <omp.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/steward-test-model-XXXXXX";
static char path_f32[128], path_q[128];
static const sw_model_shape shape = {.n_vocab = 0, .n_ctx = 64, .n_embd = 64, .n_layer = 2, .n_ff = 96,
                                     .n_head = 4, .n_head_kv = 2, .tied = 0};

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static void test_write_and_load(void) {
    sw_err err;
    T_CHECK_MSG(sw_model_write_random(path_f32, &shape, SW_TYPE_F32, 1, &err) == 0, "%s", err.msg);
    sw_model *m = NULL;
    T_CHECK_MSG(sw_model_load(path_f32, &m, &err) == 0, "%s", err.msg);
    if (!m) return;
    const sw_hparams *h = sw_model_hparams(m);
    T_CHECK(h->n_vocab == sw_model_demo_vocab_size());
    T_CHECK(h->n_embd == 64 && h->n_layer == 2 && h->n_head == 4 && h->n_head_kv == 2 && h->head_dim == 16);
    T_CHECK(h->n_rot == 16 && !h->tied_output && !h->has_qkv_bias && strcmp(h->arch, "llama") == 0);
    T_CHECK(sw_tokenizer_find(sw_model_tokenizer(m), "<|im_end|>") >= 0);
    /* per token: 2 blocks x (2 norms + 4 attention + 3 FFN matrices), output norm and
     * matrix, one embedding row; all F32 */
    uint64_t E = 64, KV = 32, F = 96, V = (uint64_t)h->n_vocab;
    uint64_t want = 4 * (2 * (2 * E + E * E * 2 + 2 * KV * E + 3 * E * F) + E + V * E + E);
    T_CHECK_MSG(sw_model_weight_bytes(m) == want, "%llu vs %llu", (unsigned long long)sw_model_weight_bytes(m),
                (unsigned long long)want);
    sw_model_free(m);
}

/* Evaluates the same tokens in one batch, one by one, and in two batches; the results
 * must agree (up to float summation order inside the kernels). */
static void check_batching(const char *path, double tol) {
    sw_err err;
    sw_model *m = NULL;
    if (sw_model_load(path, &m, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        return;
    }
    int V = sw_model_hparams(m)->n_vocab, T = 10;
    int32_t tok[10] = {3, 100, 7, 250, 42, 1, 300, 17, 64, 9};
    float *all = malloc(sizeof(float) * (size_t)(T * V)), *step = malloc(sizeof(float) * (size_t)(T * V));
    float *last = malloc(sizeof(float) * (size_t)V);
    sw_ctx *c = sw_ctx_new(m, 16, &err);
    T_CHECK(c && sw_ctx_n_ctx(c) == 16);
    T_CHECK(sw_ctx_eval(c, tok, T, 0, last, all, &err) == 0);
    T_CHECK(memcmp(last, all + (size_t)(T - 1) * V, sizeof(float) * (size_t)V) == 0);
    for (int i = 0; i < T; i++) T_CHECK(sw_ctx_eval(c, tok + i, 1, i, step + (size_t)i * V, NULL, &err) == 0);
    double d = max_abs_diff(all, step, (size_t)(T * V));
    T_CHECK_MSG(d <= tol, "batch vs one by one: %g", d);
    /* two batches (4 + 6) reuse the cache of the first */
    T_CHECK(sw_ctx_eval(c, tok, 4, 0, NULL, step, &err) == 0);
    T_CHECK(sw_ctx_eval(c, tok + 4, 6, 4, NULL, step + (size_t)4 * V, &err) == 0);
    d = max_abs_diff(all, step, (size_t)(T * V));
    T_CHECK_MSG(d <= tol, "4+6 vs 10: %g", d);
    /* threads do not change the result beyond summation order */
    omp_set_num_threads(1);
    T_CHECK(sw_ctx_eval(c, tok, T, 0, NULL, step, &err) == 0);
    omp_set_num_threads(2);
    d = max_abs_diff(all, step, (size_t)(T * V));
    T_CHECK_MSG(d <= tol, "1 vs 2 threads: %g", d);
    /* more threads than when the context last ran: the prompt attention's scratch grows */
    omp_set_num_threads(4);
    T_CHECK(sw_ctx_eval(c, tok, T, 0, NULL, step, &err) == 0);
    omp_set_num_threads(2);
    d = max_abs_diff(all, step, (size_t)(T * V));
    T_CHECK_MSG(d <= tol, "2 vs 4 threads: %g", d);
    sw_ctx_free(c);
    free(all);
    free(step);
    free(last);
    sw_model_free(m);
}

static void test_batching_f32(void) { check_batching(path_f32, 1e-4); }

static void test_quantize(void) {
    sw_err err;
    int nf = -1;
    /* rows of 64 and 96 elements: Q4_K and Q6_K blocks are 256, so every matrix falls back */
    T_CHECK_MSG(sw_model_quantize(path_f32, path_q, SW_TYPE_Q4_K, &nf, &err) == 0, "%s", err.msg);
    T_CHECK_MSG(nf == 2 * 7 + 2, "%d fallbacks", nf);
    sw_gguf *g = NULL;
    T_CHECK(sw_gguf_open(path_q, &g, &err) == 0);
    if (g) {
        const sw_gguf_tensor *t = sw_gguf_find_tensor(g, "blk.0.ffn_down.weight");
        T_CHECK(t && t->type == SW_TYPE_Q5_0); /* llama.cpp's fallback for Q4_K */
        t = sw_gguf_find_tensor(g, "blk.1.attn_norm.weight");
        T_CHECK(t && t->type == SW_TYPE_F32);
        uint32_t ft = 0;
        T_CHECK(sw_gguf_get_u32(g, "general.file_type", &ft) == 0 && ft == 14);
        T_CHECK(sw_gguf_find(g, "tokenizer.ggml.merges") != NULL);
        sw_gguf_close(g);
    }
    check_batching(path_q, 1e-3);
    T_CHECK(sw_quant_type_for_row(SW_TYPE_Q4_K, 512) == SW_TYPE_Q4_K);
    T_CHECK(sw_quant_type_for_row(SW_TYPE_Q6_K, 576) == SW_TYPE_Q8_0);
    T_CHECK(sw_quant_type_for_row(SW_TYPE_Q4_K, 576) == SW_TYPE_Q5_0);
    T_CHECK(sw_quant_type_for_row(SW_TYPE_Q8_0, 48) == SW_TYPE_F16);
    T_CHECK(sw_quant_type_for_row(SW_TYPE_F32, 7) == SW_TYPE_F32);
}

static void test_errors(void) {
    sw_err err = {{0}};
    sw_model *m = NULL;
    T_CHECK(sw_model_load("/nonexistent/model.gguf", &m, &err) < 0 && m == NULL);
    T_CHECK(strstr(err.msg, "/nonexistent/model.gguf") != NULL);
    T_CHECK(sw_model_quantize("/nonexistent/model.gguf", path_q, SW_TYPE_Q8_0, NULL, &err) < 0);
    T_CHECK(sw_model_quantize(path_f32, path_q, (sw_ggml_type)3, NULL, &err) < 0);
    sw_model_shape bad = shape;
    bad.n_head = 3; /* 64 is not a multiple of 3 */
    T_CHECK(sw_model_write_random(path_q, &bad, SW_TYPE_F32, 1, &err) < 0);
    if (sw_model_load(path_f32, &m, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        return;
    }
    T_CHECK(sw_ctx_new(m, 65, &err) == NULL && strstr(err.msg, "context_length"));
    sw_ctx *c = sw_ctx_new(m, 4, &err);
    int32_t tok[2] = {1, -1};
    T_CHECK(c != NULL);
    if (c) {
        T_CHECK(sw_ctx_eval(c, tok, 0, 0, NULL, NULL, &err) < 0);
        T_CHECK(sw_ctx_eval(c, tok, 1, -1, NULL, NULL, &err) < 0);
        T_CHECK(sw_ctx_eval(c, tok, 2, 0, NULL, NULL, &err) < 0 && strstr(err.msg, "out of range"));
        T_CHECK(sw_ctx_eval(c, tok, 1, 4, NULL, NULL, &err) < 0 && strstr(err.msg, "past the context"));
        T_CHECK(sw_ctx_eval(c, tok, 1, 3, NULL, NULL, &err) == 0);
    }
    sw_ctx_free(c);
    sw_model_free(m);
}

/* A prompt longer than one chunk (SW_MAX_BATCH = 256 positions) is split; the result
 * must equal evaluating it one position at a time. */
static void test_long_batch(void) {
    sw_err err;
    char p[140];
    snprintf(p, sizeof p, "%s/long.gguf", dir);
    sw_model_shape s = shape;
    s.n_ctx = 512;
    s.n_embd = 32;
    s.n_head = 2;
    s.n_head_kv = 1;
    s.n_ff = 32;
    s.n_layer = 1;
    s.tied = 1;
    sw_model *m = NULL;
    if (sw_model_write_random(p, &s, SW_TYPE_F32, 5, &err) < 0 || sw_model_load(p, &m, &err) < 0) {
        T_CHECK_MSG(0, "%s", err.msg);
        unlink(p);
        return;
    }
    int V = sw_model_hparams(m)->n_vocab, T = 300;
    int32_t *tok = malloc(sizeof(int32_t) * (size_t)T);
    float *all = malloc(sizeof(float) * (size_t)T * (size_t)V), *one = malloc(sizeof(float) * (size_t)V);
    for (int i = 0; i < T; i++) tok[i] = (i * 37 + 11) % V;
    sw_ctx *c = sw_ctx_new(m, T, &err);
    T_CHECK(c && sw_ctx_eval(c, tok, T, 0, NULL, all, &err) == 0);
    double d = 0;
    for (int i = 0; c && i < T; i++) {
        T_CHECK(sw_ctx_eval(c, tok + i, 1, i, one, NULL, &err) == 0);
        d = fmax(d, max_abs_diff(one, all + (size_t)i * V, (size_t)V));
    }
    T_CHECK_MSG(d <= 1e-4, "300 positions in one call vs one by one: %g", d);
    sw_ctx_free(c);
    free(tok);
    free(all);
    free(one);
    sw_model_free(m);
    unlink(p);
}

static void test_deterministic(void) {
    sw_err err;
    char p2[140];
    snprintf(p2, sizeof p2, "%s/again.gguf", dir);
    T_CHECK(sw_model_write_random(p2, &shape, SW_TYPE_F32, 1, &err) == 0);
    sw_buf a = {0}, b = {0};
    T_CHECK(sw_read_file(path_f32, &a, &err) == 0 && sw_read_file(p2, &b, &err) == 0);
    T_CHECK(a.len == b.len && a.len > 0 && memcmp(a.data, b.data, a.len) == 0);
    sw_buf_free(&a);
    sw_buf_free(&b);
    unlink(p2);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    snprintf(path_f32, sizeof path_f32, "%s/f32.gguf", dir);
    snprintf(path_q, sizeof path_q, "%s/q.gguf", dir);
    omp_set_num_threads(2);
    T_RUN(test_write_and_load);
    T_RUN(test_batching_f32);
    T_RUN(test_quantize);
    T_RUN(test_errors);
    T_RUN(test_long_batch);
    T_RUN(test_deterministic);
    unlink(path_f32);
    unlink(path_q);
    rmdir(dir);
    return t_done();
}
