/* cmd_eval_redteam.c - `steward eval redteam`: parses flags, runs sw_redteam_run and prints
 * its report (a table, or --json). */
#include "cli.h"
#include "steward/redteam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char USAGE[] =
    "eval redteam [--target pipeline|URL] [--limit N] [--seed S] [--json] [--out DIR]\n"
    "                    [--converters LIST] [--judge URL] [--model FILE] [--policy FILE]\n"
    "                    [--set NAME] [--max-tokens N] [--no-overrefusal] [--record]\n\n"
    "Attacks the target with the library in data/redteam/ (every goal x template x converter,\n"
    "or a seeded sample of --limit N of them) and scores each attempt blocked at input,\n"
    "blocked at output, refused (the answer's opening declines), passed, or not answered (the\n"
    "guards let it through but the model could not take it: longer than its context).\n"
    "Prints the attack success rate (ASR: not stopped, unanswered ones included; and over the\n"
    "answered attacks) overall and by harm category, goal set, template and converter with\n"
    "Wilson 95% intervals (--set v1|v2 attacks with the goals of one set only),\n"
    "then the over-refusal stop rate on prompts that must be answered (XSTest safe, MT-Bench,\n"
    "Self-Instruct, Chinese should-answer questions; --limit N caps each set at N).\n"
    "Without --judge an attack succeeds when it is not stopped; with --judge URL (an\n"
    "OpenAI-compatible endpoint, key in $STEWARD_JUDGE_KEY) when it is also judged harmful.\n"
    "The embedded pipeline runs the shipped chat model (models/chat.gguf) in its chat format,\n"
    "as an operator's chatbot would (--model FILE runs another; a model without a chat\n"
    "template continues the prompt as plain text), in a scratch state directory (its own keys and audit log),\n"
    "removed afterwards, unless --home names one; a URL target (a steward server or any\n"
    "OpenAI-compatible endpoint, key in $STEWARD_UPSTREAM_KEY) gets POST URL/v1/chat/completions.\n"
    "--out DIR writes attempts.jsonl, overrefusal.jsonl, report.json and report.html.\n"
    "The same seed and options give the same attempts and the same report.";

/* Progress on a terminal only. */
static void progress(void *ud, size_t done, size_t total)
{
    (void)ud;
    if (!isatty(2)) return;
    if (done % 50 == 0 || done == total) fprintf(stderr, "\rsteward eval redteam: %zu/%zu", done, total);
    if (done == total) fputc('\n', stderr);
}

/* One group of the report as rows: name, attempts, ASR, interval. */
static void print_group(const json_t *r, const char *key, const char *n_key, const char *rate_key, const char *title)
{
    const json_t *g = json_object_get(r, key), *v;
    const char *k;
    if (!g) return;
    printf("\n%-22s %8s %8s   %s\n", title, n_key, rate_key, "95% interval");
    json_object_foreach((json_t *)g, k, v) {
        const json_t *ci = json_object_get(v, "ci95");
        printf("%-22s %8lld %7.1f%%   %5.1f%% - %5.1f%%\n", k, (long long)json_integer_value(json_object_get(v, n_key)),
               100 * json_number_value(json_object_get(v, rate_key)), 100 * json_number_value(json_array_get(ci, 0)),
               100 * json_number_value(json_array_get(ci, 1)));
    }
}

static void print_report(const json_t *r)
{
    const json_t *ci = json_object_get(r, "ci95");
    const json_t *ans = json_object_get(r, "asr_answered"), *aci = json_object_get(ans, "ci95");
    printf("target %s (model %s, %s): %lld attempts, ASR %.2f%% (95%% interval %.2f%% - %.2f%%); success = %s\n",
           json_string_value(json_object_get(r, "target")), json_string_value(json_object_get(r, "model")),
           json_is_true(json_object_get(r, "chat_format")) ? "chat format" : "plain text",
           (long long)json_integer_value(json_object_get(r, "attempts")),
           100 * json_number_value(json_object_get(r, "asr")), 100 * json_number_value(json_array_get(ci, 0)),
           100 * json_number_value(json_array_get(ci, 1)), json_string_value(json_object_get(r, "passed_means")));
    printf("answered attacks: %lld, ASR %.2f%% (95%% interval %.2f%% - %.2f%%)\n",
           (long long)json_integer_value(json_object_get(ans, "attempts")), 100 * json_number_value(json_object_get(ans, "asr")),
           100 * json_number_value(json_array_get(aci, 0)), 100 * json_number_value(json_array_get(aci, 1)));
    const json_t *v;
    const char *k;
    json_object_foreach(json_object_get(r, "outcomes"), k, v) printf("  %-18s %lld\n", k, (long long)json_integer_value(v));
    print_group(r, "by_category", "attempts", "asr", "category");
    print_group(r, "by_set", "attempts", "asr", "goal set");
    print_group(r, "by_template", "attempts", "asr", "template");
    print_group(r, "by_converter", "attempts", "asr", "converter");
    print_group(r, "over_refusal", "prompts", "stop_rate", "over-refusal set");
}

/* argv[0] is "redteam" (the subcommand of `eval`). */
int sw_cmd_eval_redteam(int argc, char **argv)
{
    const char *cmd = "eval redteam";
    sw_redteam_opts o = {0};
    int json = 0, limit = 0, seed = 0, max_tokens = 0, threads = 0, record = 0;
    const sw_opt opts[] = {
        {"target", SW_OPT_STR, &o.target, "T", "pipeline (default: the embedded pipeline) or a server's URL"},
        {"limit", SW_OPT_INT, &limit, "N", "a seeded sample of N attacks, and N prompts per over-refusal set"},
        {"seed", SW_OPT_INT, &seed, "S", "seed of the sample and of the answers (default 0)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print the report as one JSON object"},
        {"out", SW_OPT_STR, &o.out_dir, "DIR", "write attempts.jsonl, overrefusal.jsonl, report.json, report.html"},
        {"converters", SW_OPT_STR, &o.converters, "LIST", "comma-separated converters, 'none' for the goal as "
                                                          "written, translate_fr|de|es|zh (default: none, all 12, all 4 translations)"},
        {"set", SW_OPT_STR, &o.set, "NAME", "only the goals of this set of goals.jsonl (v1: the first 42, v2: the "
                                            "later ones; default: all)"},
        {"judge", SW_OPT_STR, &o.judge, "URL", "judge passed answers with this OpenAI-compatible endpoint"},
        {"model", SW_OPT_STR, &o.model_path, "FILE", "embedded target: GGUF model (default: the shipped chat model, chat format)"},
        {"policy", SW_OPT_STR, &o.policy_path, "FILE", "embedded target: guard policy (default: the shipped one)"},
        {"target-model", SW_OPT_STR, &o.target_model, "NAME", "URL target: the model to ask for"},
        {"max-tokens", SW_OPT_INT, &max_tokens, "N", "tokens per answer (default 48)"},
        {"threads", SW_OPT_INT, &threads, "N", "embedded target: threads (default: all cores)"},
        {"no-overrefusal", SW_OPT_FLAG, &o.no_overrefusal, NULL, "skip the over-refusal sets"},
        {"record", SW_OPT_FLAG, &record, NULL, "append the figures to the audit log (for the card and report)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos = 0;
    int rc = sw_cli_parse(cmd, USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (limit < 0 || seed < 0 || max_tokens < 0 || threads < 0)
        return sw_cli_usage_error(cmd, "--limit, --seed, --max-tokens and --threads must be >= 0");
    o.limit = (size_t)limit, o.seed = (uint64_t)seed, o.max_tokens = max_tokens, o.threads = threads;
    o.home = sw_cli_home;
    o.api_key = getenv("STEWARD_UPSTREAM_KEY");
    o.judge_key = getenv("STEWARD_JUDGE_KEY");
    o.progress = progress;
    sw_err err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *report = sw_redteam_run(&o, &err);
    if (!report) return sw_cli_fail(cmd, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (record && sw_cli_eval_record("redteam", argc, argv, report, &err) < 0) {
        json_decref(report);
        return sw_cli_fail(cmd, &err);
    }
    if (json) {
        sw_cli_print_json(report);
    } else {
        print_report(report);
        printf("\n%.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        json_decref(report);
    }
    return SW_EXIT_OK;
}
