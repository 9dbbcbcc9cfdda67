/* cmd_eval_guard.c - `steward eval guard`: the guard measured on labelled examples. */
#include "cli.h"
#include "steward/guard.h"

#include <stdio.h>
#include <string.h>

static void print_table(json_t *r) {
    json_t *cats = json_object_get(r, "categories"), *x;
    const char *k;
    printf("%lld examples\n%-18s %7s %9s %7s %7s %7s\n", (long long)json_integer_value(json_object_get(r, "examples")),
           "category", "support", "precision", "recall", "F1", "FPR");
    json_object_foreach(cats, k, x) {
        printf("%-18s %7lld %9.3f %7.3f %7.3f %7.3f\n", k, (long long)json_integer_value(json_object_get(x, "support")),
               json_real_value(json_object_get(x, "precision")), json_real_value(json_object_get(x, "recall")),
               json_real_value(json_object_get(x, "f1")), json_real_value(json_object_get(x, "fpr")));
    }
    printf("\nconfusion (rows: true label; columns: predicted)\n%-18s", "");
    static const char *cols[] = {"none", "prompt_injection", "jailbreak", "harmful"};
    for (int c = 0; c < 4; c++) printf(" %16s", cols[c]);
    printf("\n");
    json_object_foreach(json_object_get(r, "confusion"), k, x) {
        printf("%-18s", k);
        for (int c = 0; c < 4; c++) printf(" %16lld", (long long)json_integer_value(json_object_get(x, cols[c])));
        printf("\n");
    }
    printf("\nbenign false-positive rate by source\n");
    json_object_foreach(json_object_get(r, "benign_fpr_by_source"), k, x)
        printf("  %-22s %5lld examples  FPR %.3f\n", k, (long long)json_integer_value(json_object_get(x, "n")),
               json_real_value(json_object_get(x, "fpr")));
    printf("\nwhat the user gets, by source (stop: review or block; alarm: flag, review, block or a flagged finding)\n");
    json_object_foreach(json_object_get(r, "actions_by_source"), k, x)
        printf("  %-22s %-16s %5lld examples  stop %.3f  alarm %.3f\n", k,
               json_string_value(json_object_get(x, "label")), (long long)json_integer_value(json_object_get(x, "n")),
               json_real_value(json_object_get(x, "stop_rate")), json_real_value(json_object_get(x, "alarm_rate")));
    printf("\nword-list entries refused at load: %lld\n", (long long)json_integer_value(json_object_get(r, "rules_refused")));
}

/* argv[0] is "guard" (the subcommand of `eval`). */
int sw_cmd_eval_guard(int argc, char **argv) {
    const char *data = NULL, *policy = NULL, *model = NULL, *dir = NULL, *source = "user";
    int json = 0;
    sw_opt opts[] = {
        {"data", SW_OPT_STR, &data, "FILE.jsonl", "labelled examples {\"text\", \"label\"[, \"source\"]} (required)"},
        {"source", SW_OPT_STR, &source, "user|document", "scan every example as a user's request (default) or a document"},
        {"policy", SW_OPT_STR, &policy, "FILE", "guard policy (default: shipped)"},
        {"model", SW_OPT_STR, &model, "FILE", "guard classifier (default: shipped; \"\" for none)"},
        {"data-dir", SW_OPT_STR, &dir, "DIR", "data directory with guard/rules (default: shipped)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print the figures as one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("eval guard", "eval guard --data FILE.jsonl [--source user|document] [--json]", opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!data) return sw_cli_usage_error("eval guard", "--data is required");
    int src = sw_guard_text_source_parse(source);
    if (src < 0) return sw_cli_usage_error("eval guard", "--source must be user or document, not '%s'", source);
    sw_err err;
    sw_guard_opts o = {.data_dir = dir, .policy_path = policy, .model_path = model};
    sw_guard *g = sw_guard_open(&o, &err);
    if (!g) return sw_cli_fail("eval guard", &err);
    json_t *r = sw_guard_eval_source(g, data, (sw_guard_text_source)src, &err);
    sw_guard_free(g);
    if (!r) return sw_cli_fail("eval guard", &err);
    if (json) return sw_cli_print_json(r) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
    print_table(r);
    json_decref(r);
    return SW_EXIT_OK;
}
