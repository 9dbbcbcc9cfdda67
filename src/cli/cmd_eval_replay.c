/* cmd_eval_replay.c - `steward eval replay`: the sandbox; past requests through a
 * candidate policy or model, and every decision that would change. */
#include "cli.h"
#include "steward/eval.h"
#include "steward/report.h"

#include <stdio.h>
#include <string.h>

/* The figures as a table on stdout. */
static void print_replay(const json_t *r) {
    printf("%lld requests replayed from %s; %lld decisions would change\n",
           (long long)json_integer_value(json_object_get(r, "requests")), json_string_value(json_object_get(r, "source")),
           (long long)json_integer_value(json_object_get(r, "changed")));
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(r, "changes"), i, c) {
        const json_t *a = json_object_get(c, "before"), *b = json_object_get(c, "after");
        printf("  %-16s %s -> %s (input %s -> %s)\n", json_string_value(json_object_get(c, "source")),
               json_string_value(json_object_get(a, "outcome")), json_string_value(json_object_get(b, "outcome")),
               json_string_value(json_object_get(a, "input")), json_string_value(json_object_get(b, "input")));
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(r, "by_category"), k, v)
        printf("category %-20s %lld changed\n", k, (long long)json_integer_value(v));
    json_object_foreach((json_t *)json_object_get(r, "by_transition"), k, v)
        printf("%-28s %lld\n", k, (long long)json_integer_value(v));
    if (json_object_get(r, "record"))
        printf("recorded as audit record %lld\n", (long long)json_integer_value(json_object_get(r, "record")));
}

int sw_cmd_eval_replay(int argc, char **argv) {
    const char *cmd = "eval replay", *since_s = NULL;
    sw_replay_opts o = {0};
    int json = 0, seed = 0;
    const sw_opt opts[] = {
        {"policy", SW_OPT_STR, &o.policy, "NEW", "the candidate guard policy"},
        {"model", SW_OPT_STR, &o.model, "NEW", "the candidate GGUF model"},
        {"base-policy", SW_OPT_STR, &o.base_policy, "FILE", "the policy in force (default: the shipped one)"},
        {"base-model", SW_OPT_STR, &o.base_model, "FILE", "the model in force (default: the shipped one)"},
        {"file", SW_OPT_STR, &o.file, "F", "JSONL requests {\"prompt\"|\"text\", \"id\"?} instead of the audit log"},
        {"since", SW_OPT_STR, &since_s, "DATE", "audit log: requests at or after DATE (YYYY-MM-DD)"},
        {"max-tokens", SW_OPT_INT, &o.max_tokens, "N", "tokens generated per request (default 32)"},
        {"seed", SW_OPT_INT, &seed, "S", "sampling seed (greedy decoding; default 0)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print the result as one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos = 0;
    int rc = sw_cli_parse(cmd, "eval replay --policy NEW [--model NEW] [--since DATE | --file F] [--json]\n\n"
                               "Runs past requests - the audit log's retained content (records with a\n"
                               "\"retained\" slot, since DATE) or a JSONL file - through the configuration in\n"
                               "force and through the candidate, each in a scratch state directory (nothing is\n"
                               "served; greedy decoding without the watermark, so only the configuration\n"
                               "differs), and lists every decision (input and output guard actions, finish\n"
                               "reason) that would change, with counts by category and by outcome. The replay\n"
                               "itself is recorded in the audit log (type \"evaluation\", name \"replay\").",
                          opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!o.policy && !o.model) return sw_cli_usage_error(cmd, "--policy NEW or --model NEW is required");
    if (o.file && since_s) return sw_cli_usage_error(cmd, "--since applies to the audit log, not to --file");
    sw_err err;
    if (since_s && sw_report_parse_time(since_s, &o.since, &err) < 0) return sw_cli_usage_error(cmd, "%s", err.msg);
    char home[4096], line[1024];
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0) return sw_cli_fail(cmd, &err);
    sw_cli_command_line("steward eval replay", argc, argv, line, sizeof line);
    o.home = home, o.command = line, o.seed = (uint64_t)seed;
    uint64_t t0 = sw_now_ns();
    json_t *r = sw_eval_replay(&o, &err);
    if (!r) return sw_cli_fail(cmd, &err);
    json_object_set_new(r, "seconds", json_real(sw_round_sig((double)(sw_now_ns() - t0) / 1e9, 4)));
    if (json) return sw_cli_print_json(r) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
    print_replay(r);
    json_decref(r);
    return SW_EXIT_OK;
}
