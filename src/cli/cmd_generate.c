/* cmd_generate.c - `steward generate`: one request through the whole pipeline. */
#include "cli.h"
#include "steward/guard.h"
#include "steward/grammar.h"
#include "steward/pipeline.h"

#include <errno.h>
#include <sodium.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE =
    "generate [-m FILE] [-p TEXT | -f FILE] [--chat] [--system TEXT] [-n N] [-c N] [--temp T] [--top-k K]\n"
    "         [--top-p P] [--min-p P] [--repeat-penalty R] [-s S] [-t N] [--ignore-eos]\n"
    "         [--no-watermark] [--no-context-shift] [--logprobs N] [--policy FILE]\n"
    "         [--label-lang en|zh|both] [--producer NAME] [--manifest-out FILE]\n"
    "         [--chat-template T] [--upstream URL [--upstream-model NAME]]\n"
    "         [--schema FILE | --grammar FILE] [--stop STR]... [--max-time SECONDS]\n"
    "         [--consistency N [--consistency-min A] [--consistency-review]]\n"
    "         [--uncertainty | --mark-uncertain] [--front-matter | --json]\n\n"
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
    "With --schema (a JSON Schema) or --grammar (GBNF) the answer is always a complete,\n"
    "valid document within --max-tokens (see docs/grammar.md); a budget too small for the\n"
    "shortest document is an error before generating.\n\n"
    "Exit status: 0 delivered, 3 sent to review, 4 prompt refused, 5 output cut by the\n"
    "guard, 1 error, 2 usage error.";

/* Streams text to stdout as it comes. */
static int stream_out(void *ud, const char *text, size_t len) {
    (void)ud;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

/* Compiles --schema or --grammar (at most one) into *g. -1 with err naming the file. */
static int load_constraint(const char *schema, const char *grammar, sw_grammar **g, sw_err *err) {
    *g = NULL;
    const char *path = schema ? schema : grammar;
    if (!path) return 0;
    sw_buf text = {0};
    int rc = sw_read_file(path, &text, err);
    if (rc == 0)
        rc = schema ? sw_grammar_from_schema(text.data ? text.data : "", text.len, g, err)
                    : sw_grammar_from_gbnf(text.data ? text.data : "", text.len, g, err);
    if (rc < 0) sw_err_prefix(err, "%s", path);
    sw_buf_free(&text);
    return rc;
}

/* Flags beyond the sampling ones. */
typedef struct gen_flags {
    const char *model, *prompt, *prompt_file, *policy, *seed_s, *manifest_out, *label_lang, *producer;
    const char *chat_template, *upstream, *upstream_model, *schema, *grammar, *system;
    int chat, max_tokens, n_ctx, top_k, threads, ignore_eos, json, front_matter, logprobs, no_watermark, no_shift;
    int consistency, consistency_review, uncertainty, mark_uncertain;
    double temperature, top_p, min_p, repeat_penalty, consistency_min, max_time;
    sw_opt_list stops;
} gen_flags;

/* Parses argv into f; 0 to go on, else the exit status. */
static int parse_flags(int argc, char **argv, gen_flags *f) {
    *f = (gen_flags){.max_tokens = 256, .top_k = -1, .temperature = -1, .top_p = -1, .min_p = -1, .repeat_penalty = -1,
                     .consistency_min = -1};
    const sw_opt opts[] = {
        {"model|m", SW_OPT_STR, &f->model, "FILE", "GGUF model (default: the shipped model; with --chat or --system and no --chat-template, the shipped chat model)"},
        {"prompt|p", SW_OPT_STR, &f->prompt, "TEXT", "prompt text (default: read stdin)"},
        {"file|f", SW_OPT_STR, &f->prompt_file, "FILE", "read the prompt from FILE"},
        {"chat", SW_OPT_FLAG, &f->chat, NULL, "format the prompt with the model's chat template"},
        {"system|sys|system-prompt", SW_OPT_STR, &f->system, "TEXT",
         "a system message before the prompt (implies --chat)"},
        {"chat-template", SW_OPT_STR, &f->chat_template, "T",
         "chat template when the model has none or the wrong one: chatml, llama3"},
        {"max-tokens|n|n-predict", SW_OPT_INT, &f->max_tokens, "N", "tokens to generate at most (default 256)"},
        {"ctx-size|c", SW_OPT_INT, &f->n_ctx, "N", "context size (default: min(model's, 4096))"},
        {"temperature|temp", SW_OPT_DOUBLE, &f->temperature, "T", "0 is greedy (default 0.8)"},
        {"top-k", SW_OPT_INT, &f->top_k, "K", "keep the K most likely tokens (default 40, 0 off)"},
        {"top-p", SW_OPT_DOUBLE, &f->top_p, "P", "nucleus sampling (default 0.95, 1 off)"},
        {"min-p", SW_OPT_DOUBLE, &f->min_p, "P", "drop tokens under P x the best (default 0.05)"},
        {"repeat-penalty", SW_OPT_DOUBLE, &f->repeat_penalty, "R", "repetition penalty > 0 (default 1, off)"},
        {"seed|s", SW_OPT_STR, &f->seed_s, "S", "random seed 0..2^63-1 (default: random, reported in --json)"},
        {"threads|t", SW_OPT_INT, &f->threads, "N", "threads (default: the cores other work leaves free)"},
        {"ignore-eos", SW_OPT_FLAG, &f->ignore_eos, NULL, "keep generating past end-of-sequence"},
        {"no-watermark", SW_OPT_FLAG, &f->no_watermark, NULL, "do not watermark (labels stay)"},
        {"no-context-shift", SW_OPT_FLAG, &f->no_shift, NULL,
         "stop when the context is full (default: drop its older half and go on)"},
        {"logprobs", SW_OPT_INT, &f->logprobs, "N", "report the N best alternatives per token (0-20)"},
        {"consistency", SW_OPT_INT, &f->consistency, "N",
         "sample N answers (2-16) and report how the answer agrees with the others"},
        {"consistency-min", SW_OPT_DOUBLE, &f->consistency_min, "A",
         "agreement under A (0-1; default: the policy's, else 0.3) flags the answer ..."},
        {"consistency-review", SW_OPT_FLAG, &f->consistency_review, NULL, "... or sends it to review (withheld)"},
        {"uncertainty", SW_OPT_FLAG, &f->uncertainty, NULL,
         "report the spans where the model was unsure (probability < 0.1 or entropy > 3 nats)"},
        {"mark-uncertain", SW_OPT_FLAG, &f->mark_uncertain, NULL,
         "mark those spans in the delivered text with \u27e6...\u27e7 (with --json)"},
        {"policy", SW_OPT_STR, &f->policy, "FILE", "guard policy (default: the shipped policy)"},
        {"upstream", SW_OPT_STR, &f->upstream, "URL",
         "generate on an OpenAI-compatible server instead (key in $STEWARD_UPSTREAM_KEY)"},
        {"upstream-model", SW_OPT_STR, &f->upstream_model, "NAME", "the model to ask the upstream server for"},
        {"schema", SW_OPT_STR, &f->schema, "FILE", "answer with JSON valid under this JSON Schema"},
        {"grammar", SW_OPT_STR, &f->grammar, "FILE", "answer in the language of this GBNF grammar"},
        {"stop", SW_OPT_LIST, &f->stops, "STR", "end before this text (repeatable; not delivered)"},
        {"max-time", SW_OPT_DOUBLE, &f->max_time, "SECONDS",
         "decode at most this long (with a grammar: then finish the shortest valid way)"},
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
    if (f->schema && f->grammar) return sw_cli_usage_error("generate", "--schema and --grammar exclude each other");
    if (f->max_time < 0) return sw_cli_usage_error("generate", "--max-time must not be negative");
    if (f->consistency != 0 && (f->consistency < 2 || f->consistency > SW_CONSISTENCY_MAX))
        return sw_cli_usage_error("generate", "--consistency takes 2 to %d samples", SW_CONSISTENCY_MAX);
    if (f->consistency_min != -1 && (f->consistency_min <= 0 || f->consistency_min > 1))
        return sw_cli_usage_error("generate", "--consistency-min takes a value in (0, 1]");
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
        /* strtoull takes "-1" as 2^64-1 and skips blanks: only digits, and no more than
         * a JSON integer (which is how --json reports the seed) holds */
        char *end;
        errno = 0;
        *seed = strtoull(f->seed_s, &end, 10);
        if (f->seed_s[0] < '0' || f->seed_s[0] > '9' || *end || errno || *seed > (uint64_t)INT64_MAX)
            return sw_cli_usage_error("generate", "--seed expects an integer from 0 to %lld, got '%s'",
                                      (long long)INT64_MAX, f->seed_s);
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
    req->consistency = f->consistency;
    req->consistency_min = f->consistency_min > 0 ? (float)f->consistency_min : 0; /* 0: the policy's */
    req->consistency_review = f->consistency_review;
    req->uncertainty = f->uncertainty || f->mark_uncertain;
    req->mark_uncertain = f->mark_uncertain;
    req->stop = f->stops.v;
    req->n_stop = f->stops.n;
    req->max_time = f->max_time;
    sw_err err;
    if (sw_sampler_params_check(&req->sampling, &err) < 0) return sw_cli_usage_error("generate", "%s", err.msg);
    return 0;
}

/* Prints the policy's refusal (or cut notice) once per language of the label ("en+zh":
 * both lines), from the guard the pipeline runs. */
static void print_words(const sw_guard *g, const char *lang, int refusal) {
    const char *langs[] = {"en", "zh"};
    for (int i = 0; i < 2; i++)
        if (strstr(lang, langs[i])) printf("%s\n", refusal ? sw_guard_refusal(g, langs[i]) : sw_guard_cut_notice(g, langs[i]));
    fflush(stdout);
}

/* After the generation: the refusal or cut notice, the reason on stderr, the exit status. */
static int report_outcome(const sw_gen_result *r, const sw_guard *g, const char *lang, int words) {
    int blocked = strcmp(r->finish_reason, "blocked") == 0, review = strcmp(r->finish_reason, "review") == 0;
    if (!blocked && !review) return SW_EXIT_OK;
    int on_input = r->verdict_out == NULL;
    char why[SW_ERR_MAX];
    sw_guard_verdict_reason(on_input ? r->verdict_in : r->verdict_out, why, sizeof why);
    if (words) print_words(g, lang, on_input);
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

/* The prompt: --prompt, --file or stdin. 0; -1 with err when it cannot be read; 1 with
 * err when it holds a NUL (a usage error: from here on the prompt is a C string, and it
 * would end there unseen). */
static int read_prompt(gen_flags *f, sw_buf *input, sw_err *err) {
    if (f->prompt) return 0;
    if (sw_read_file(f->prompt_file ? f->prompt_file : "-", input, err) < 0) return -1;
    const char *nul = input->len ? memchr(input->data, 0, input->len) : NULL;
    if (nul) {
        sw_err_set(err, "the prompt on %s holds a NUL byte at offset %zu", f->prompt_file ? f->prompt_file : "stdin",
                   (size_t)(nul - input->data));
        return 1;
    }
    f->prompt = input->data ? input->data : "";
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
    sw_buf input = {0};
    sw_grammar *constraint = NULL;
    sw_pipeline *p = NULL;
    if (load_label(&f, &lc, &err) < 0 || (rc = read_prompt(&f, &input, &err)) != 0 ||
        load_constraint(f.schema, f.grammar, &constraint, &err) < 0) {
        rc = rc > 0 ? sw_cli_usage_error("generate", "%s", err.msg) : sw_cli_fail("generate", &err);
        goto out;
    }
    req.prompt = f.prompt;
    req.grammar = constraint;
    sw_chat_msg conversation[2] = {{"system", f.system}, {"user", f.prompt}};
    if (f.system) { /* a conversation of two messages, every content plain text */
        req.messages = conversation;
        req.n_messages = 2;
    }
    char chat_model[PATH_MAX];
    if ((f.chat || f.system) && !f.model && !f.chat_template && !f.upstream) /* the shipped chat model */
        f.model = sw_pipeline_default_chat_model(chat_model, sizeof chat_model);
    sw_pipeline_opts po = {.home = sw_cli_home, .model_path = f.model, .n_ctx = f.n_ctx, .threads = f.threads,
                           .policy_path = f.policy, .label = &lc.opts, .chat_template = f.chat_template,
                           .upstream = f.upstream, .upstream_key = getenv("STEWARD_UPSTREAM_KEY"),
                           .upstream_model = f.upstream_model};
    if (sw_pipeline_open(&po, &p, &err) < 0) {
        rc = sw_cli_fail("generate", &err);
        goto out;
    }
    if (!f.json && !f.front_matter) req.on_text = stream_out;
    sw_gen_result res;
    rc = sw_pipeline_generate(p, &req, &res, &err);
    if (rc < 0) {
        rc = sw_cli_fail("generate", &err);
    } else {
        if (f.json) sw_cli_print_json(sw_gen_result_json(p, &req, &res));
        rc = f.json ? 0 : print_text(&f, &res, &err);
        if (rc == 0 && f.manifest_out && res.manifest) rc = write_manifest(f.manifest_out, res.manifest, &err);
        rc = rc < 0 ? sw_cli_fail("generate", &err)
                    : report_outcome(&res, sw_pipeline_guard(p), lc.opts.lang, !f.json);
    }
    sw_gen_result_free(&res);
out:
    sw_pipeline_close(p);
    sw_buf_free(&input);
    sw_grammar_free(constraint);
    return rc;
}
