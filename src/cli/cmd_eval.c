/* cmd_eval.c - `steward eval SUBCOMMAND`: measurements of a model. `perplexity`:
 * perplexity and bits per byte of a model on a text, through the inference engine. */
#include "cli.h"
#include "steward/model.h"
#include "steward/tokenizer.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Non-overlapping windows of ctx tokens: window k reads tokens [k ctx, (k+1) ctx) and is
 * scored on the next token at each position, so that every token but the first is
 * predicted once (with up to ctx tokens of context). Returns the summed NLL (nats). */
static int score(const sw_model *m, const int32_t *ids, size_t n, int ctx, double *nll, size_t *scored,
                 double *bytes, sw_err *err) {
    const sw_tokenizer *tk = sw_model_tokenizer(m);
    int V = sw_model_hparams(m)->n_vocab;
    sw_ctx *c = sw_ctx_new(m, ctx, err);
    if (!c) return -1;
    float *logits = malloc((size_t)ctx * V * sizeof(float));
    if (!logits) {
        sw_ctx_free(c);
        return sw_err_set(err, "out of memory");
    }
    sw_buf b = {0};
    *nll = 0, *scored = 0, *bytes = 0;
    for (size_t at = 0; at + 1 < n; at += (size_t)ctx) {
        int w = n - 1 - at < (size_t)ctx ? (int)(n - 1 - at) : ctx;
        if (sw_ctx_eval(c, ids + at, w, 0, NULL, logits, err)) {
            free(logits);
            sw_ctx_free(c);
            sw_buf_free(&b);
            return -1;
        }
        for (int i = 0; i < w; i++) {
            const float *l = logits + (size_t)i * V;
            int32_t y = ids[at + i + 1];
            float mx = l[0];
            for (int k = 1; k < V; k++) mx = l[k] > mx ? l[k] : mx;
            double s = 0;
            for (int k = 0; k < V; k++) s += exp((double)(l[k] - mx));
            *nll += log(s) + mx - l[y];
            sw_buf_reset(&b);
            sw_token_to_bytes(tk, y, 1, &b);
            *bytes += (double)b.len;
        }
        *scored += (size_t)w;
    }
    free(logits);
    sw_ctx_free(c);
    sw_buf_free(&b);
    return 0;
}

static int eval_perplexity(int argc, char **argv) {
    const char *cmd = "eval perplexity", *model = NULL, *file = NULL;
    int json = 0, ctx = 0, threads = 0;
    const sw_opt opts[] = {
        {"model", SW_OPT_STR, &model, "FILE", "GGUF model (default: the shipped model)"},
        {"file", SW_OPT_STR, &file, "FILE", "text to score (required; - for stdin)"},
        {"ctx", SW_OPT_INT, &ctx, "N", "window in tokens (default: the model's context)"},
        {"threads", SW_OPT_INT, &threads, "N", "threads (default: all cores)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print the result as JSON"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos_unused[1];
    int npos_unused = 0;
    int rc = sw_cli_parse(cmd, "eval perplexity [--model FILE] --file TEXT [--ctx N] [--json]\n\n"
                               "Perplexity (per token) and bits per byte of the model on a text, in windows\n"
                               "of the model's context.",
                          opts, argc, argv, pos_unused, 0, &npos_unused);
    if (rc) return sw_cli_exit(rc);
    if (!file) return sw_cli_usage_error(cmd, "--file is required");
    if (!model) model = getenv("STEWARD_MODEL") ? getenv("STEWARD_MODEL") : "models/default.gguf";
    if (threads > 0) omp_set_num_threads(threads);
    sw_err err = {{0}};
    sw_model *m = NULL;
    sw_buf text = {0};
    int32_t *ids = NULL;
    size_t n = 0, scored = 0;
    double nll = 0, bytes = 0;
    int status = SW_EXIT_FAIL;
    if (sw_model_load(model, &m, &err) || sw_read_file(file, &text, &err)) goto done;
    if (sw_tokenize(sw_model_tokenizer(m), text.data, text.len, 0, &ids, &n, &err)) goto done;
    if (n < 2) {
        sw_err_set(&err, "%s: fewer than two tokens to score", file);
        goto done;
    }
    if (ctx <= 0 || ctx > sw_model_hparams(m)->n_ctx_train) ctx = sw_model_hparams(m)->n_ctx_train;
    uint64_t t0 = sw_now_ns();
    if (score(m, ids, n, ctx, &nll, &scored, &bytes, &err)) goto done;
    double secs = (double)(sw_now_ns() - t0) / 1e9;
    double ppl = exp(nll / (double)scored), bpb = nll / bytes / log(2.0);
    if (json)
        sw_cli_print_json(json_pack("{s:s,s:s,s:I,s:f,s:f,s:f,s:f,s:i,s:f}", "model", model, "file", file, "tokens",
                                    (json_int_t)scored, "nll_per_token", nll / (double)scored, "perplexity", ppl,
                                    "bits_per_byte", bpb, "bytes", bytes, "ctx", ctx, "seconds", secs));
    else
        printf("perplexity %.4f (%.4f nats/token over %zu tokens), %.4f bits per byte, window %d\n", ppl,
               nll / (double)scored, scored, bpb, ctx);
    status = SW_EXIT_OK;
done:
    if (status != SW_EXIT_OK) sw_cli_fail(cmd, &err);
    free(ids);
    sw_buf_free(&text);
    sw_model_free(m);
    return status;
}

int sw_cmd_eval(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "perplexity") == 0) return eval_perplexity(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: steward eval perplexity [--model FILE] --file TEXT [--ctx N] [--json]\n");
        return SW_EXIT_OK;
    }
    return sw_cli_usage_error("eval", "expected a subcommand: perplexity");
}
