/* cmd_generate.c - `steward generate`: one request through the whole pipeline. */
#include "cli.h"
#include "steward/guard.h"
#include "steward/pipeline.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE =
    "generate [-m FILE] [-p TEXT | -f FILE] [--chat] [-n N] [-c N] [--temp T] [--top-k K]\n"
    "         [--top-p P] [--min-p P] [--repeat-penalty R] [-s S] [-t N] [--ignore-eos]\n"
    "         [--no-watermark] [--no-context-shift] [--logprobs N] [--policy FILE]\n"
    "         [--label-lang en|zh|both] [--producer NAME] [--manifest-out FILE]\n"
    "         [--front-matter | --json]\n\n"
    "Generates text. The prompt comes from -p/--prompt, -f/--file or stdin; without --chat\n"
    "the model continues it exactly as given, with --chat it is a user message in the\n"
    "model's chat template. Short flags mean what they mean in llama.cpp.\n\n"
    "The input and output guards scan the prompt and the generated text under the policy.\n"
    "A refused prompt is answered with the policy's refusal message (stdout) and the reason\n"
    "(stderr); an output the guard cuts short ends with the policy's notice. Every\n"
    "generation is watermarked, labelled (an explicit notice and a signed manifest carrying\n"
    "the GB 45438 AIGC label; language, position and producer from $STEWARD_HOME/label.conf\n"
    "and the flags) and measured. Plain output streams the labelled text (a newline is\n"
    "added only on a terminal, so a redirected file is exactly what the manifest signs);\n"
    "--manifest-out writes the manifest beside it; --front-matter prints the labelled\n"
    "text under its manifest; --json prints one object (text, labelled_text, label,\n"
    "manifest, ...). 'steward verify' checks either form.\n\n"
    "Exit status: 0 delivered, 3 sent to review, 4 prompt refused, 5 output cut by the\n"
    "guard, 1 error, 2 usage error.";

/* Streams text to stdout as it comes. */
static int stream_out(void *ud, const char *text, size_t len) {
    (void)ud;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

static json_t *tokens_json(const int32_t *ids, int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_integer(ids[i]));
    return a;
}

/* Per-step log-probabilities: the chosen token's and the top alternatives. */
static json_t *logprobs_json(const sw_gen_result *r, int k) {
    json_t *a = json_array();
    for (int i = 0; i < r->n_tokens; i++) {
        json_t *top = json_array();
        for (int j = 0; j < k; j++)
            json_array_append_new(top, json_pack("{s:i,s:f}", "id", r->logprobs[i].top[j].id,
                                                 "logprob", (double)r->logprobs[i].top[j].logprob));
        json_array_append_new(a, json_pack("{s:i,s:f,s:o}", "id", r->tokens[i], "logprob",
                                           (double)r->logprobs[i].chosen, "top", top));
    }
    return a;
}

static json_t *result_json(const sw_pipeline *p, const sw_gen_result *r, uint64_t seed, int k) {
    double tps = r->gen_ms > 0 ? r->n_tokens / (r->gen_ms / 1000.0) : 0;
    json_t *o = json_object();
    json_object_set_new(o, "text", json_stringn(r->text.data ? r->text.data : "", r->text.len));
    json_object_set_new(o, "labelled_text",
                        json_stringn(r->labelled_text.data ? r->labelled_text.data : "", r->labelled_text.len));
    json_object_set_new(o, "finish_reason", json_string(r->finish_reason));
    if (r->manifest) {
        json_object_set(o, "label", json_object_get(r->manifest, "label"));
        json_object_set(o, "manifest", r->manifest);
    }
    json_object_set_new(o, "tokens", tokens_json(r->tokens, r->n_tokens));
    json_object_set_new(o, "model", json_pack("{s:s,s:s}", "path", sw_pipeline_model_path(p),
                                              "sha256", sw_pipeline_model_sha256(p)));
    json_object_set_new(o, "seed", json_integer((json_int_t)seed));
    json_object_set_new(o, "audit", json_pack("{s:I}", "index", (json_int_t)r->audit_index));
    json_object_set_new(o, "verdicts", json_pack("{s:O*,s:O*}", "input", r->verdict_in, "output", r->verdict_out));
    json_object_set_new(o, "policy_sha256", json_string(sw_pipeline_policy_sha256(p)));
    json_object_set_new(o, "timings",
                        json_pack("{s:i,s:f,s:i,s:f,s:f,s:i}", "prompt_tokens", r->prompt_tokens,
                                  "prompt_ms", r->prompt_ms, "gen_tokens", r->n_tokens, "gen_ms",
                                  r->gen_ms, "gen_tokens_per_s", tps, "context_shifts", r->context_shifts));
    json_object_set_new(o, "energy", json_pack("{s:f,s:s}", "joules", r->joules, "method",
                                               r->energy_method ? r->energy_method : "none"));
    if (k > 0 && r->logprobs) json_object_set_new(o, "logprobs", logprobs_json(r, k));
    return o;
}

/* Flags beyond the sampling ones. */
typedef struct gen_flags {
    const char *model, *prompt, *prompt_file, *policy, *seed_s, *manifest_out, *label_lang, *producer;
    int chat, max_tokens, n_ctx, top_k, threads, ignore_eos, json, front_matter, logprobs, no_watermark, no_shift;
    double temperature, top_p, min_p, repeat_penalty;
} gen_flags;

/* Parses argv into f; 0 to go on, else the exit status. */
static int parse_flags(int argc, char **argv, gen_flags *f) {
    *f = (gen_flags){.max_tokens = 256, .top_k = -1, .temperature = -1, .top_p = -1, .min_p = -1, .repeat_penalty = -1};
    const sw_opt opts[] = {
        {"model|m", SW_OPT_STR, &f->model, "FILE", "GGUF model (default: the shipped model)"},
        {"prompt|p", SW_OPT_STR, &f->prompt, "TEXT", "prompt text (default: read stdin)"},
        {"file|f", SW_OPT_STR, &f->prompt_file, "FILE", "read the prompt from FILE"},
        {"chat", SW_OPT_FLAG, &f->chat, NULL, "format the prompt with the model's chat template"},
        {"max-tokens|n|n-predict", SW_OPT_INT, &f->max_tokens, "N", "tokens to generate at most (default 256)"},
        {"ctx-size|c", SW_OPT_INT, &f->n_ctx, "N", "context size (default: min(model's, 4096))"},
        {"temperature|temp", SW_OPT_DOUBLE, &f->temperature, "T", "0 is greedy (default 0.8)"},
        {"top-k", SW_OPT_INT, &f->top_k, "K", "keep the K most likely tokens (default 40, 0 off)"},
        {"top-p", SW_OPT_DOUBLE, &f->top_p, "P", "nucleus sampling (default 0.95, 1 off)"},
        {"min-p", SW_OPT_DOUBLE, &f->min_p, "P", "drop tokens under P x the best (default 0.05)"},
        {"repeat-penalty", SW_OPT_DOUBLE, &f->repeat_penalty, "R", "repetition penalty (default 1, off)"},
        {"seed|s", SW_OPT_STR, &f->seed_s, "S", "random seed (default: random, reported in --json)"},
        {"threads|t", SW_OPT_INT, &f->threads, "N", "threads (default: all cores)"},
        {"ignore-eos", SW_OPT_FLAG, &f->ignore_eos, NULL, "keep generating past end-of-sequence"},
        {"no-watermark", SW_OPT_FLAG, &f->no_watermark, NULL, "do not watermark (labels stay)"},
        {"no-context-shift", SW_OPT_FLAG, &f->no_shift, NULL,
         "stop when the context is full (default: drop its older half and go on)"},
        {"logprobs", SW_OPT_INT, &f->logprobs, "N", "report the N best alternatives per token (0-20)"},
        {"policy", SW_OPT_STR, &f->policy, "FILE", "guard policy (default: the shipped policy)"},
        {"label-lang", SW_OPT_STR, &f->label_lang, "L", "label language: en, zh or both (default: label.conf, else en)"},
        {"producer", SW_OPT_STR, &f->producer, "NAME", "producer named in the label (default: label.conf, else steward)"},
        {"manifest-out", SW_OPT_STR, &f->manifest_out, "FILE", "write the signed manifest (JSON sidecar) to FILE"},
        {"front-matter", SW_OPT_FLAG, &f->front_matter, NULL, "print the labelled text under its manifest"},
        {"json", SW_OPT_FLAG, &f->json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("generate", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return rc;
    if (f->max_tokens <= 0) return sw_cli_usage_error("generate", "--max-tokens must be positive");
    if (f->n_ctx < 0) return sw_cli_usage_error("generate", "--ctx-size must be positive");
    if (f->logprobs < 0 || f->logprobs > 20) return sw_cli_usage_error("generate", "--logprobs takes 0 to 20");
    if (f->top_p > 1 || f->min_p > 1) return sw_cli_usage_error("generate", "--top-p and --min-p take 0 to 1");
    if (f->threads < 0) return sw_cli_usage_error("generate", "--threads must be positive");
    if (f->json && f->front_matter) return sw_cli_usage_error("generate", "--json and --front-matter exclude each other");
    if (f->prompt && f->prompt_file) return sw_cli_usage_error("generate", "--prompt and --file exclude each other");
    return 0;
}

/* The request's sampling and limits from the flags; 0 or a usage error's status. */
static int fill_request(const gen_flags *f, sw_gen_request *req, uint64_t *seed) {
    memset(req, 0, sizeof *req);
    sw_sampler_params_default(&req->sampling);
    if (f->temperature >= 0) req->sampling.temperature = (float)f->temperature;
    if (f->top_k >= 0) req->sampling.top_k = f->top_k;
    if (f->top_p >= 0) req->sampling.top_p = (float)f->top_p;
    if (f->min_p >= 0) req->sampling.min_p = (float)f->min_p;
    if (f->repeat_penalty >= 0) req->sampling.repeat_penalty = (float)f->repeat_penalty;
    if (f->seed_s) {
        char *end;
        *seed = strtoull(f->seed_s, &end, 10);
        if (*end || end == f->seed_s) return sw_cli_usage_error("generate", "--seed expects a non-negative integer");
    } else {
        randombytes_buf(seed, sizeof *seed);
        *seed &= 0x7fffffffffffffffull; /* fits JSON integers */
    }
    req->sampling.seed = *seed;
    req->sampling.n_logprobs = f->logprobs;
    req->chat = f->chat;
    req->first_turn = 1; /* each CLI invocation is a conversation of its own */
    req->max_tokens = f->max_tokens;
    req->ignore_eos = f->ignore_eos;
    req->no_watermark = f->no_watermark;
    req->no_context_shift = f->no_shift;
    return 0;
}

/* Prints the policy's refusal (or cut notice) once per language of the label ("en+zh":
 * both lines). The policy file is read again for its messages; the defaults stand when
 * it cannot be (the pipeline read it a moment ago, so it rarely fails). */
static void print_words(const char *policy_path, const char *lang, int refusal) {
    sw_err err;
    sw_guard_policy *pol = sw_guard_policy_load(policy_path, &err);
    const char *langs[] = {"en", "zh"};
    for (int i = 0; i < 2; i++)
        if (strstr(lang, langs[i]))
            printf("%s\n", refusal ? sw_guard_policy_refusal(pol, langs[i]) : sw_guard_policy_cut_notice(pol, langs[i]));
    fflush(stdout);
    sw_guard_policy_free(pol);
}

/* After the generation: the refusal or cut notice, the reason on stderr, the exit status. */
static int report_outcome(const sw_gen_result *r, const char *policy, const char *lang, int words) {
    int blocked = strcmp(r->finish_reason, "blocked") == 0, review = strcmp(r->finish_reason, "review") == 0;
    if (!blocked && !review) return SW_EXIT_OK;
    int on_input = r->verdict_out == NULL;
    char why[SW_ERR_MAX];
    sw_guard_verdict_reason(on_input ? r->verdict_in : r->verdict_out, why, sizeof why);
    if (words) print_words(policy, lang, on_input);
    fprintf(stderr, "steward generate: %s: %s\n",
            review ? "sent to review" : on_input ? "prompt refused" : "output cut", why);
    return review ? SW_EXIT_REVIEW : on_input ? SW_EXIT_BLOCK : SW_EXIT_CUT;
}

/* Writes the manifest sidecar (indented JSON; any layout verifies). */
static int write_manifest(const char *path, const json_t *m, sw_err *err) {
    if (!m) return sw_err_set(err, "no manifest to write (nothing was generated)");
    if (json_dump_file(m, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) return sw_err_set(err, "%s: cannot write", path);
    return 0;
}

/* Plain and --front-matter output after the generation. 0 or -1 with err. */
static int print_text(const gen_flags *f, const sw_gen_result *r, sw_err *err) {
    if (f->front_matter && r->manifest) {
        sw_buf doc = {0};
        int rc = sw_manifest_embed(r->manifest, r->labelled_text.data ? r->labelled_text.data : "",
                                   r->labelled_text.len, &doc, err);
        if (rc == 0) fwrite(doc.data, 1, doc.len, stdout);
        sw_buf_free(&doc);
        if (rc < 0) return -1;
    }
    if (isatty(1)) fputc('\n', stdout);
    fflush(stdout);
    if (isatty(2))
        fprintf(stderr, "[%d prompt tokens in %.1f ms, %d tokens in %.1f ms (%.1f tok/s), %.3f J by %s]\n",
                r->prompt_tokens, r->prompt_ms, r->n_tokens, r->gen_ms,
                r->gen_ms > 0 ? r->n_tokens / (r->gen_ms / 1000) : 0, r->joules, r->energy_method);
    return 0;
}

/* The label configuration: label.conf under the state directory, then the flags. */
static int load_label(const gen_flags *f, sw_label_config *lc, sw_err *err) {
    if (sw_label_opts_load(sw_cli_home, lc, err) < 0) return -1;
    if (f->label_lang && sw_label_config_set(lc, "lang", f->label_lang, err) < 0) return -1;
    if (f->producer && sw_label_config_set(lc, "producer", f->producer, err) < 0) return -1;
    return 0;
}

int sw_cmd_generate(int argc, char **argv) {
    gen_flags f;
    int rc = parse_flags(argc, argv, &f);
    if (rc) return sw_cli_exit(rc);
    sw_gen_request req;
    uint64_t seed;
    if ((rc = fill_request(&f, &req, &seed))) return rc;

    sw_err err;
    sw_label_config lc;
    if (load_label(&f, &lc, &err) < 0) return sw_cli_fail("generate", &err);
    sw_buf input = {0};
    if (!f.prompt) {
        if (sw_read_file(f.prompt_file ? f.prompt_file : "-", &input, &err) < 0) return sw_cli_fail("generate", &err);
        f.prompt = input.data ? input.data : "";
    }
    req.prompt = f.prompt;
    sw_pipeline_opts po = {.home = sw_cli_home, .model_path = f.model, .n_ctx = f.n_ctx, .threads = f.threads,
                           .policy_path = f.policy, .label = &lc.opts};
    sw_pipeline *p;
    if (sw_pipeline_open(&po, &p, &err) < 0) {
        sw_buf_free(&input);
        return sw_cli_fail("generate", &err);
    }
    if (!f.json && !f.front_matter) req.on_text = stream_out;
    sw_gen_result res;
    rc = sw_pipeline_generate(p, &req, &res, &err);
    if (rc < 0) {
        rc = sw_cli_fail("generate", &err);
    } else {
        if (f.json) sw_cli_print_json(result_json(p, &res, seed, f.logprobs));
        rc = f.json ? 0 : print_text(&f, &res, &err);
        if (rc == 0 && f.manifest_out && res.manifest) rc = write_manifest(f.manifest_out, res.manifest, &err);
        rc = rc < 0 ? sw_cli_fail("generate", &err) : report_outcome(&res, f.policy, lc.opts.lang, !f.json);
    }
    sw_gen_result_free(&res);
    sw_pipeline_close(p);
    sw_buf_free(&input);
    return rc;
}
