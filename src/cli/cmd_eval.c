/* cmd_eval.c - `steward eval SUBCOMMAND`: measurements. `perplexity`: perplexity and bits
 * per byte of a model on a text; `watermark`: how well the watermark is detected, and
 * what it costs; `guard` (cmd_eval_guard.c): the guard on labelled examples; `redteam`
 * (cmd_eval_redteam.c): attacks and over-refusal. */
#include "cli.h"
#include "steward/eval.h"
#include "steward/model.h"

#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    char mbuf[4096];
    if (!model) model = sw_pipeline_default_model(mbuf, sizeof mbuf);
    if (!model) return sw_cli_usage_error(cmd, "no --model given and no default model found");
    if (threads > 0) omp_set_num_threads(threads);
    sw_err err = {{0}};
    sw_model *m = NULL;
    sw_buf text = {0};
    sw_ppl_result r;
    int status = SW_EXIT_FAIL;
    if (sw_model_load(model, &m, &err) || sw_read_file(file, &text, &err)) goto done;
    if (sw_eval_perplexity(m, text.data, text.len, ctx, &r, &err)) {
        sw_err_prefix(&err, "%s", file);
        goto done;
    }
    if (json)
        sw_cli_print_json(sw_ppl_result_json(&r, model, file));
    else
        printf("perplexity %.4f (%.4f nats/token over %d tokens), %.4f bits per byte, window %d\n", r.perplexity,
               r.nll_per_token, r.tokens, r.bits_per_byte, r.ctx);
    status = SW_EXIT_OK;
done:
    if (status != SW_EXIT_OK) sw_cli_fail(cmd, &err);
    sw_buf_free(&text);
    sw_model_free(m);
    return status;
}

/* Progress on a terminal only. */
static void wm_progress(void *ud, int done, int total) {
    (void)ud;
    if (isatty(2)) fprintf(stderr, "\rsteward eval watermark: %d/%d samples", done, total);
    if (isatty(2) && done == total) fputc('\n', stderr);
}

static int eval_watermark(int argc, char **argv) {
    const char *cmd = "eval watermark", *model = NULL, *human = NULL, *svg = NULL, *scheme_name = NULL;
    int json = 0, samples = 50, tokens = 200, threads = 0;
    double temperature = 1.0;
    const sw_opt opts[] = {
        {"model", SW_OPT_STR, &model, "FILE", "GGUF model (default: the shipped model)"},
        {"samples", SW_OPT_INT, &samples, "N", "generations with and without the watermark (default 50)"},
        {"tokens", SW_OPT_INT, &tokens, "T", "tokens per generation (default 200)"},
        {"temperature", SW_OPT_DOUBLE, &temperature, "T", "sampling temperature (default 1)"},
        {"scheme", SW_OPT_STR, &scheme_name, "S", "kgw-selfhash (default), kgw-lefthash or synthid"},
        {"human", SW_OPT_STR, &human, "FILE", "human-written text: negatives, prompts, embedding"},
        {"svg", SW_OPT_STR, &svg, "FILE", "write a plot of detection against length"},
        {"threads", SW_OPT_INT, &threads, "N", "threads (default: all cores)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print the report as one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos = 0;
    int rc = sw_cli_parse(cmd, "eval watermark [--model FILE] [--samples N] [--tokens T] [--scheme S]\n"
                               "               [--human FILE] [--svg FILE] [--json]\n\n"
                               "Generates N samples with and without the watermark and reports the true-positive\n"
                               "rate at false-positive rates 1e-2, 1e-3 and 1e-5 against length, after token\n"
                               "substitution, deletion and insertion (10/20/30%) and inside human text; false\n"
                               "positives on human text; the perplexity cost under the model; the speed cost.\n"
                               "It runs in a scratch state directory (fresh keys, its own audit log), removed\n"
                               "afterwards, so the real one is never touched; --home DIR runs it there instead.",
                          opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (samples < 1 || tokens < 10) return sw_cli_usage_error(cmd, "--samples must be >= 1 and --tokens >= 10");
    sw_wm_scheme scheme = SW_WM_KGW_SELFHASH;
    if (scheme_name && (sw_wm_scheme_parse(scheme_name, &scheme) < 0 || scheme == SW_WM_NONE))
        return sw_cli_usage_error(cmd, "unknown --scheme '%s'", scheme_name);
    sw_err err;
    char scratch[PATH_MAX] = "";
    if (!sw_cli_home && sw_home_scratch(scratch, sizeof scratch, &err) < 0) return sw_cli_fail(cmd, &err);
    sw_pipeline_opts po = {.home = sw_cli_home ? sw_cli_home : scratch, .model_path = model, .threads = threads,
                           .watermark = scheme, .principal = "eval"};
    sw_pipeline *p = NULL;
    json_t *report = NULL;
    if (sw_pipeline_open(&po, &p, &err) == 0) {
        sw_wm_eval_opts o;
        sw_wm_eval_opts_default(&o);
        o.samples = samples;
        o.tokens = tokens;
        o.temperature = (float)temperature;
        o.human = human;
        o.progress = wm_progress;
        report = sw_eval_watermark(p, NULL, &o, &err);
        sw_pipeline_close(p);
    }
    sw_err rm_err;
    if (*scratch && sw_home_remove(scratch, &rm_err) < 0) sw_cli_fail(cmd, &rm_err);
    if (!report) return sw_cli_fail(cmd, &err);
    if (svg && sw_eval_watermark_svg(report, svg, &err) < 0) {
        json_decref(report);
        return sw_cli_fail(cmd, &err);
    }
    if (json) {
        sw_cli_print_json(report);
        return SW_EXIT_OK;
    }
    const json_t *rows = json_object_get(report, "by_length");
    printf("%-8s %-10s %-10s %-10s %s\n", "tokens", "TPR@1e-2", "TPR@1e-3", "TPR@1e-5", "mean z");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *r = json_array_get(rows, i), *t = json_object_get(r, "tpr");
        printf("%-8lld %-10.3f %-10.3f %-10.3f %.2f\n", (long long)json_integer_value(json_object_get(r, "length")),
               json_real_value(json_object_get(t, "1e-2")), json_real_value(json_object_get(t, "1e-3")),
               json_real_value(json_object_get(t, "1e-5")), json_real_value(json_object_get(r, "mean_z")));
    }
    const json_t *px = json_object_get(report, "perplexity"), *sp = json_object_get(report, "speed");
    printf("perplexity %.3f watermarked vs %.3f plain (%+.1f%%); speed overhead %+.1f%%\n",
           json_real_value(json_object_get(px, "watermarked")), json_real_value(json_object_get(px, "unwatermarked")),
           100 * json_real_value(json_object_get(px, "increase")), 100 * json_real_value(json_object_get(sp, "overhead")));
    json_decref(report);
    return SW_EXIT_OK;
}

int sw_cmd_eval(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "perplexity") == 0) return eval_perplexity(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "watermark") == 0) return eval_watermark(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "guard") == 0) return sw_cmd_eval_guard(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "redteam") == 0) return sw_cmd_eval_redteam(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bias") == 0) return sw_cmd_eval_bias(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "replay") == 0) return sw_cmd_eval_replay(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "pii") == 0) return sw_cmd_eval_pii(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: steward eval SUBCOMMAND [OPTIONS]\n\nsubcommands:\n"
               "  perplexity  perplexity and bits per byte of a model on a text\n"
               "  watermark   watermark detection rates, robustness, false positives and cost\n"
               "  guard       precision, recall, F1 and false-positive rate of the guard per category\n"
               "  redteam     attack success rates (red teaming) and over-refusal of a target\n"
               "  bias        the guard's alarm rates across identity terms; CrowS-Pairs preference\n"
               "  replay      past requests through a candidate policy or model: what would change\n"
               "  pii         precision and recall of the PII recognisers per type (Presidio's format)\n");
        return SW_EXIT_OK;
    }
    return sw_cli_usage_error("eval", "expected a subcommand: perplexity, watermark, guard, redteam, bias, replay or pii");
}
