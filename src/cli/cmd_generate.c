/* cmd_generate.c - `steward generate`: one request through the whole pipeline. */
#include "cli.h"
#include "steward/pipeline.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE =
    "generate [--model FILE] [--prompt TEXT] [--chat] [--chat-template T] [--max-tokens N] [--temperature T]\n"
    "         [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S]\n"
    "         [--threads N] [--ignore-eos] [--no-watermark] [--no-context-shift] [--logprobs N]\n"
    "         [--policy FILE] [--upstream URL [--upstream-model NAME]]\n"
    "         [--json]\n\n"
    "Generates text. The prompt comes from --prompt or stdin; without --chat the model\n"
    "continues it exactly as given, with --chat it is a user message in the model's chat\n"
    "template. The input and output guards scan the prompt and the generated text under\n"
    "the policy (blocked or sent to review: finish_reason says so, exit 0). Every\n"
    "generation is watermarked, labelled (an explicit notice and a signed\n"
    "manifest carrying the GB 45438 AIGC label) and measured. Plain output streams the\n"
    "labelled text; --json prints one object (text, labelled_text, label, manifest, ...).";

/* Streams text to stdout as it comes. */
static int stream_out(void *ud, const char *text, size_t len) {
    (void)ud;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

int sw_cmd_generate(int argc, char **argv) {
    const char *model = NULL, *prompt = NULL, *policy = NULL, *chat_template = NULL, *upstream = NULL;
    const char *upstream_model = NULL;
    int chat = 0, max_tokens = 256, threads = 0, ignore_eos = 0, json = 0;
    int logprobs = 0, no_watermark = 0, no_shift = 0, uncertainty = 0, mark_uncertain = 0;
    int consistency = 0, consistency_review = 0;
    double consistency_min = SW_CONSISTENCY_MIN_DEFAULT;
    const char *seed_s = NULL;
    /* options start at the sampler's defaults, so that any value given is checked */
    sw_gen_request req = {0};
    sw_sampler_params_default(&req.sampling);
    int top_k = req.sampling.top_k;
    double temperature = req.sampling.temperature, top_p = req.sampling.top_p, min_p = req.sampling.min_p,
           repeat_penalty = req.sampling.repeat_penalty;
    const sw_opt opts[] = {
        {"model", SW_OPT_STR, &model, "FILE", "GGUF model (default: the shipped model)"},
        {"prompt", SW_OPT_STR, &prompt, "TEXT", "prompt text (default: read stdin)"},
        {"chat", SW_OPT_FLAG, &chat, NULL, "format the prompt with the model's chat template"},
        {"chat-template", SW_OPT_STR, &chat_template, "T",
         "chat template when the model has none or the wrong one: chatml, llama3"},
        {"max-tokens", SW_OPT_INT, &max_tokens, "N", "tokens to generate at most (default 256)"},
        {"temperature", SW_OPT_DOUBLE, &temperature, "T", "0 is greedy (default 0.8)"},
        {"top-k", SW_OPT_INT, &top_k, "K", "keep the K most likely tokens (default 40, 0 off)"},
        {"top-p", SW_OPT_DOUBLE, &top_p, "P", "nucleus sampling (default 0.95, 1 off)"},
        {"min-p", SW_OPT_DOUBLE, &min_p, "P", "drop tokens under P x the best (default 0.05)"},
        {"repeat-penalty", SW_OPT_DOUBLE, &repeat_penalty, "R", "repetition penalty > 0 (default 1, off)"},
        {"seed", SW_OPT_STR, &seed_s, "S", "random seed 0..2^63-1 (default: random, reported in --json)"},
        {"threads", SW_OPT_INT, &threads, "N", "threads (default: all cores)"},
        {"ignore-eos", SW_OPT_FLAG, &ignore_eos, NULL, "keep generating past end-of-sequence"},
        {"no-watermark", SW_OPT_FLAG, &no_watermark, NULL, "do not watermark (labels stay)"},
        {"no-context-shift", SW_OPT_FLAG, &no_shift, NULL,
         "stop when the context is full (default: drop its older half and go on)"},
        {"logprobs", SW_OPT_INT, &logprobs, "N", "report the N best alternatives per token (0-20)"},
        {"consistency", SW_OPT_INT, &consistency, "N",
         "sample N answers (2-16) and report how the answer agrees with the others"},
        {"consistency-min", SW_OPT_DOUBLE, &consistency_min, "A",
         "agreement under A (0-1, default 0.3) flags the answer ..."},
        {"consistency-review", SW_OPT_FLAG, &consistency_review, NULL, "... or sends it to review (withheld)"},
        {"uncertainty", SW_OPT_FLAG, &uncertainty, NULL,
         "report the spans where the model was unsure (probability < 0.1 or entropy > 3 nats)"},
        {"mark-uncertain", SW_OPT_FLAG, &mark_uncertain, NULL,
         "mark those spans in the delivered text with \u27e6...\u27e7 (with --json)"},
        {"policy", SW_OPT_STR, &policy, "FILE", "guard policy (default: the shipped policy)"},
        {"upstream", SW_OPT_STR, &upstream, "URL",
         "generate on an OpenAI-compatible server instead (key in $STEWARD_UPSTREAM_KEY)"},
        {"upstream-model", SW_OPT_STR, &upstream_model, "NAME", "the model to ask the upstream server for"},
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("generate", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);

    req.sampling.temperature = (float)temperature;
    req.sampling.top_k = top_k;
    req.sampling.top_p = (float)top_p;
    req.sampling.min_p = (float)min_p;
    req.sampling.repeat_penalty = (float)repeat_penalty;
    req.sampling.n_logprobs = logprobs;
    sw_err err;
    if (sw_sampler_params_check(&req.sampling, &err) < 0) return sw_cli_usage_error("generate", "%s", err.msg);
    if (max_tokens <= 0) return sw_cli_usage_error("generate", "--max-tokens must be positive");
    if (threads < 0) return sw_cli_usage_error("generate", "--threads must be positive");
    uint64_t seed;
    if (seed_s) {
        /* strtoull takes "-1" as 2^64-1 and skips blanks: only digits, and no more than
         * a JSON integer (which is how --json reports the seed) holds */
        char *end;
        errno = 0;
        seed = strtoull(seed_s, &end, 10);
        if (seed_s[0] < '0' || seed_s[0] > '9' || *end || errno || seed > (uint64_t)INT64_MAX)
            return sw_cli_usage_error("generate", "--seed expects an integer from 0 to %lld, got '%s'",
                                      (long long)INT64_MAX, seed_s);
    } else {
        randombytes_buf(&seed, sizeof seed);
        seed &= 0x7fffffffffffffffull; /* fits JSON integers */
    }
    req.sampling.seed = seed;
    req.chat = chat;
    req.first_turn = 1; /* each CLI invocation is a conversation of its own */
    req.max_tokens = max_tokens;
    req.ignore_eos = ignore_eos;
    req.no_watermark = no_watermark;
    req.no_context_shift = no_shift;
    if (consistency != 0 && (consistency < 2 || consistency > SW_CONSISTENCY_MAX))
        return sw_cli_usage_error("generate", "--consistency takes 2 to %d samples", SW_CONSISTENCY_MAX);
    if (consistency_min <= 0 || consistency_min > 1)
        return sw_cli_usage_error("generate", "--consistency-min takes a value in (0, 1]");
    req.consistency = consistency;
    req.consistency_min = (float)consistency_min;
    req.consistency_review = consistency_review;
    req.uncertainty = uncertainty || mark_uncertain;
    req.mark_uncertain = mark_uncertain;

    sw_buf input = {0};
    if (!prompt) {
        if (sw_read_file("-", &input, &err) < 0) {
            sw_buf_free(&input);
            return sw_cli_fail("generate", &err);
        }
        const char *nul = input.len ? memchr(input.data, 0, input.len) : NULL;
        if (nul) { /* the prompt is a C string from here on: it would end there, unseen */
            size_t at = (size_t)(nul - input.data);
            sw_buf_free(&input);
            return sw_cli_usage_error("generate", "the prompt on stdin holds a NUL byte at offset %zu", at);
        }
        prompt = input.data ? input.data : "";
    }
    req.prompt = prompt;
    sw_pipeline_opts po = {.home = sw_cli_home, .model_path = model, .threads = threads, .policy_path = policy,
                           .chat_template = chat_template, .upstream = upstream,
                           .upstream_key = getenv("STEWARD_UPSTREAM_KEY"), .upstream_model = upstream_model};
    sw_pipeline *p;
    if (sw_pipeline_open(&po, &p, &err) < 0) {
        sw_buf_free(&input);
        return sw_cli_fail("generate", &err);
    }
    if (!json) req.on_text = stream_out;
    sw_gen_result res;
    rc = sw_pipeline_generate(p, &req, &res, &err);
    if (rc < 0) {
        rc = sw_cli_fail("generate", &err);
    } else if (json) {
        sw_cli_print_json(sw_gen_result_json(p, &req, &res));
    } else {
        fputc('\n', stdout);
        if (isatty(2))
            fprintf(stderr, "[%d prompt tokens in %.1f ms, %d tokens in %.1f ms (%.1f tok/s), %.3f J by %s]\n",
                    res.prompt_tokens, res.prompt_ms, res.n_tokens, res.gen_ms,
                    res.gen_ms > 0 ? res.n_tokens / (res.gen_ms / 1000) : 0, res.joules, res.energy_method);
    }
    sw_gen_result_free(&res);
    sw_pipeline_close(p);
    sw_buf_free(&input);
    return rc;
}
