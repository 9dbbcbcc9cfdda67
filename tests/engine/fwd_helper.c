/* fwd_helper.c - drives libsteward's model for tests/engine/test_forward_parity.py
 * (compiled by that test against the ASan library):
 *   fwd_helper logits MODEL OUT NPROMPT NTHREADS TOK...  batch of NPROMPT, then one by one;
 *                                                       writes every position's logits (F32)
 *   fwd_helper greedy MODEL N TOK...                     prints N greedy continuation ids
 *   fwd_helper load MODEL                                prints the hparams or the error
 *   fwd_helper ctx MODEL                                 checks the context's error paths
 *   fwd_helper quantize IN OUT TYPE | demo OUT           the `steward model` subcommands */
#include "cli/cli.h"
#include "steward/model.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sw_cli_home;

static int load(const char *path, sw_model **m) {
    sw_err err;
    if (sw_model_load(path, m, &err) < 0) {
        printf("error: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int cmd_logits(int argc, char **argv) {
    sw_model *m;
    if (argc < 7 || load(argv[2], &m) < 0) return 1;
    int np = atoi(argv[4]), T = argc - 6, V = sw_model_hparams(m)->n_vocab;
    sw_err err = {{0}};
    omp_set_num_threads(atoi(argv[5]));
    int32_t *tok = malloc((size_t)T * sizeof *tok);
    float *all = malloc((size_t)T * V * sizeof *all), *last = malloc((size_t)V * sizeof *last);
    for (int i = 0; i < T; i++) tok[i] = atoi(argv[6 + i]);
    sw_ctx *c = sw_ctx_new(m, 0, &err);
    int rc = 1;
    if (!c) goto done;
    if (np > 0) {
        if (sw_ctx_eval(c, tok, np, 0, last, all, &err) < 0) goto done;
        if (memcmp(last, all + (size_t)(np - 1) * V, (size_t)V * sizeof *last) != 0) {
            printf("error: last-position logits differ from logits_all\n");
            goto done;
        }
    }
    for (int i = np; i < T; i++)
        if (sw_ctx_eval(c, tok + i, 1, i, all + (size_t)i * V, NULL, &err) < 0) goto done;
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(all, sizeof *all, (size_t)T * V, f) != (size_t)T * V) {
        printf("error: cannot write %s\n", argv[3]);
        if (f) fclose(f);
        goto done;
    }
    fclose(f);
    rc = 0;
done:
    if (rc && err.msg[0]) printf("error: %s\n", err.msg);
    sw_ctx_free(c);
    free(tok);
    free(all);
    free(last);
    sw_model_free(m);
    return rc;
}

static int argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

static int cmd_greedy(int argc, char **argv) {
    sw_model *m;
    if (argc < 5 || load(argv[2], &m) < 0) return 1;
    int N = atoi(argv[3]), P = argc - 4, V = sw_model_hparams(m)->n_vocab;
    int32_t *tok = malloc((size_t)(P + N) * sizeof *tok);
    float *logits = malloc((size_t)V * sizeof *logits);
    for (int i = 0; i < P; i++) tok[i] = atoi(argv[4 + i]);
    sw_err err = {{0}};
    sw_ctx *c = sw_ctx_new(m, 0, &err);
    int rc = 1;
    if (!c || sw_ctx_eval(c, tok, P, 0, logits, NULL, &err) < 0) goto done;
    for (int i = 0; i < N; i++) {
        tok[P + i] = argmax(logits, V);
        printf("%s%d", i ? " " : "", (int)tok[P + i]);
        if (i + 1 < N && sw_ctx_eval(c, tok + P + i, 1, P + i, logits, NULL, &err) < 0) goto done;
    }
    printf("\n");
    rc = 0;
done:
    if (rc) printf("error: %s\n", err.msg);
    sw_ctx_free(c);
    free(tok);
    free(logits);
    sw_model_free(m);
    return rc;
}

static int cmd_load(char **argv) {
    sw_model *m;
    if (load(argv[2], &m) < 0) return 1;
    const sw_hparams *h = sw_model_hparams(m);
    printf("ok arch=%s n_vocab=%d n_embd=%d n_layer=%d n_head=%d n_head_kv=%d n_rot=%d rope_base=%g "
           "bias=%d tied=%d weight_bytes=%llu\n",
           h->arch, h->n_vocab, h->n_embd, h->n_layer, h->n_head, h->n_head_kv, h->n_rot, (double)h->rope_base,
           h->has_qkv_bias, h->tied_output, (unsigned long long)sw_model_weight_bytes(m));
    sw_model_free(m);
    return 0;
}

/* Every line printed is "ok ..." or "not ok ..." so the test can count them. */
static int cmd_ctx(char **argv) {
    sw_model *m;
    if (load(argv[2], &m) < 0) return 1;
    const sw_hparams *h = sw_model_hparams(m);
    sw_err err = {{0}};
    int bad = 0;
    float *logits = malloc((size_t)h->n_vocab * sizeof *logits);
    int32_t tok[5] = {1, 2, 3, 4, 5};
    sw_ctx *c = sw_ctx_new(m, h->n_ctx_train + 1, &err);
    printf("%s ctx_new rejects n_ctx past context_length: %s\n", c ? (bad++, "not ok") : "ok", err.msg);
    sw_ctx_free(c);
    c = sw_ctx_new(m, 4, &err);
    int r1 = sw_ctx_eval(c, tok, 4, 0, logits, NULL, &err);
    printf("%s eval fills the context\n", r1 == 0 ? "ok" : (bad++, "not ok"));
    err.msg[0] = 0;
    int r2 = sw_ctx_eval(c, tok + 4, 1, 4, logits, NULL, &err);
    printf("%s eval past the context fails: %s\n", r2 < 0 && strstr(err.msg, "past the context") ? "ok" : (bad++, "not ok"),
           err.msg);
    err.msg[0] = 0;
    int r3 = sw_ctx_eval(c, tok, 5, 0, logits, NULL, &err);
    printf("%s batch longer than the context fails: %s\n", r3 < 0 ? "ok" : (bad++, "not ok"), err.msg);
    int32_t badtok = h->n_vocab;
    err.msg[0] = 0;
    int r4 = sw_ctx_eval(c, &badtok, 1, 0, logits, NULL, &err);
    printf("%s token out of range fails: %s\n", r4 < 0 && strstr(err.msg, "out of range") ? "ok" : (bad++, "not ok"),
           err.msg);
    sw_ctx_free(c);
    free(logits);
    sw_model_free(m);
    return bad ? 1 : 0;
}

static void log_to_stderr(sw_log_level level, const char *msg, void *ud) {
    (void)level, (void)ud;
    fprintf(stderr, "steward: %s\n", msg);
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    sw_log_set(log_to_stderr, NULL, SW_LOG_WARN);
    if (strcmp(argv[1], "logits") == 0) return cmd_logits(argc, argv);
    if (strcmp(argv[1], "greedy") == 0) return cmd_greedy(argc, argv);
    if (strcmp(argv[1], "load") == 0) return cmd_load(argv);
    if (strcmp(argv[1], "ctx") == 0) return cmd_ctx(argv);
    if (strcmp(argv[1], "quantize") == 0) return sw_cmd_model_quantize(argc - 1, argv + 1);
    if (strcmp(argv[1], "demo") == 0) return sw_cmd_model_demo(argc - 1, argv + 1);
    return 2;
}
