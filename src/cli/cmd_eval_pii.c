/* cmd_eval_pii.c - `steward eval pii`: precision and recall of the PII recognisers per
 * type on a labelled set in Presidio's format (the library does the work). */
#include "cli.h"
#include "steward/guard.h"

#include <stdio.h>
#include <string.h>

static void print_table(json_t *r) {
    printf("%lld texts (a finding counts from score %.2f; a gold span is found when a finding of its type overlaps "
           "half of the longer)\n%-16s %-13s %7s %5s %5s %5s %9s %7s %7s\n",
           (long long)json_integer_value(json_object_get(r, "texts")), json_real_value(json_object_get(r, "min_score")),
           "type", "kind", "support", "tp", "fp", "fn", "precision", "recall", "F1");
    const char *k;
    json_t *x;
    for (int pass = 0; pass < 2; pass++)
        json_object_foreach(json_object_get(r, "types"), k, x) {
            const char *kind = json_string_value(json_object_get(x, "kind"));
            if ((pass == 0) != (kind && !strcmp(kind, "structured"))) continue;
            printf("%-16s %-13s %7lld %5lld %5lld %5lld %9.3f %7.3f %7.3f\n", k, kind,
                   (long long)json_integer_value(json_object_get(x, "support")),
                   (long long)json_integer_value(json_object_get(x, "tp")), (long long)json_integer_value(json_object_get(x, "fp")),
                   (long long)json_integer_value(json_object_get(x, "fn")), json_real_value(json_object_get(x, "precision")),
                   json_real_value(json_object_get(x, "recall")), json_real_value(json_object_get(x, "f1")));
        }
}

/* argv[0] is "pii" (the subcommand of `eval`). */
int sw_cmd_eval_pii(int argc, char **argv) {
    const char *data = NULL, *policy = NULL, *dir = NULL;
    int json = 0;
    sw_opt opts[] = {
        {"data", SW_OPT_STR, &data, "FILE.json",
         "labelled set in Presidio's format: [{\"full_text\", \"spans\": [{\"entity_type\", \"start_position\", "
         "\"end_position\"}]}] (required)"},
        {"policy", SW_OPT_STR, &policy, "FILE", "guard policy (default: shipped)"},
        {"data-dir", SW_OPT_STR, &dir, "DIR", "data directory with guard/rules and guard/names (default: shipped)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print the figures as one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("eval pii", "eval pii --data FILE.json [--json]", opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!data) return sw_cli_usage_error("eval pii", "--data is required");
    sw_err err;
    sw_guard_opts o = {.data_dir = dir, .policy_path = policy, .model_path = ""};
    sw_guard *g = sw_guard_open(&o, &err);
    if (!g) return sw_cli_fail("eval pii", &err);
    json_t *r = sw_guard_eval_pii(g, data, &err);
    sw_guard_free(g);
    if (!r) return sw_cli_fail("eval pii", &err);
    if (json) return sw_cli_print_json(r) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
    print_table(r);
    json_decref(r);
    return SW_EXIT_OK;
}
