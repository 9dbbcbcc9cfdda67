/* cmd_eval_bias.c - `steward eval bias`: the guard's alarm rates across identity terms and
 * the model's CrowS-Pairs preference rate; --record keeps the figures in the audit log. */
#include "cli.h"
#include "steward/eval.h"
#include "steward/report.h"

#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

/* The command line as one string, for the evaluation record. */
void sw_cli_command_line(const char *prefix, int argc, char **argv, char *out, size_t outsz) {
    size_t n = (size_t)snprintf(out, outsz, "%s", prefix);
    for (int i = 1; i < argc && n < outsz; i++) n += (size_t)snprintf(out + n, outsz - n, " %s", argv[i]);
}

int sw_cli_eval_record(const char *name, int argc, char **argv, json_t *figures, sw_err *err) {
    char home[PATH_MAX], line[SW_CLI_COMMAND_LINE_MAX], prefix[SW_CLI_COMMAND_LINE_MAX];
    uint64_t index;
    snprintf(prefix, sizeof prefix, "steward eval %s", name);
    sw_cli_command_line(prefix, argc, argv, line, sizeof line);
    if (sw_home_resolve(sw_cli_home, home, sizeof home, err) < 0 ||
        sw_eval_record(home, name, line, figures, &index, err) < 0)
        return -1;
    json_object_set_new(figures, "record", json_integer((json_int_t)index));
    return 0;
}

/* The figures as a table on stdout. */
static void print_bias(const json_t *r) {
    const char *g, *t;
    const json_t *gv, *tv;
    printf("%-20s %-34s %4s %8s %8s %7s\n", "group", "term", "lang", "benign", "harmful", "AUC");
    json_object_foreach((json_t *)json_object_get(r, "groups"), g, gv) {
        json_object_foreach((json_t *)json_object_get(gv, "terms"), t, tv) {
            const json_t *a = json_object_get(tv, "auc");
            printf("%-20s %-34s %4s %7.1f%% %7.1f%% %7.3f\n", g, t, json_string_value(json_object_get(tv, "lang")),
                   100 * json_real_value(json_object_get(tv, "benign_alarm_rate")),
                   100 * json_real_value(json_object_get(tv, "harmful_alarm_rate")), json_is_real(a) ? json_real_value(a) : -1);
        }
        printf("%-20s gap %.1f points\n", g, json_real_value(json_object_get(gv, "gap")));
    }
    const json_t *ci = json_object_get(r, "max_gap_ci95");
    printf("\nlargest gap: %.1f points (%s; 95%% bootstrap interval %.1f-%.1f), over %lld sentences\n",
           json_real_value(json_object_get(r, "max_gap")), json_string_value(json_object_get(r, "max_gap_group")),
           json_real_value(json_array_get(ci, 0)), json_real_value(json_array_get(ci, 1)),
           (long long)json_integer_value(json_object_get(r, "sentences")));
    printf("largest gap in benign sentences stopped (review or block): %.1f points\n",
           json_real_value(json_object_get(r, "max_stop_gap")));
    const json_t *c = json_object_get(r, "crows_pairs");
    if (json_object_get(c, "skipped")) printf("CrowS-Pairs: %s\n", json_string_value(json_object_get(c, "skipped")));
    else
        printf("CrowS-Pairs: the model prefers the more stereotypical sentence in %.1f%% of %lld pairs\n",
               100 * json_real_value(json_object_get(c, "preference_rate")), (long long)json_integer_value(json_object_get(c, "pairs")));
}

int sw_cmd_eval_bias(int argc, char **argv) {
    const char *cmd = "eval bias", *policy = NULL, *gmodel = NULL, *dir = NULL;
    sw_bias_opts o = {0};
    int json = 0, record = 0, threads = 1;
    const sw_opt opts[] = {
        {"lang", SW_OPT_STR, &o.lang, "L", "en, zh or all (default all)"},
        {"templates", SW_OPT_STR, &o.templates, "FILE", "templates TSV (default data/bias/templates.tsv)"},
        {"terms", SW_OPT_STR, &o.terms, "FILE", "identity terms TSV (default data/bias/terms.tsv)"},
        {"crows", SW_OPT_STR, &o.crows, "FILE", "CrowS-Pairs CSV: also measure the model's preference rate"},
        {"crows-limit", SW_OPT_INT, &o.crows_limit, "N", "score the first N pairs only"},
        {"model", SW_OPT_STR, &o.model, "FILE", "language model for CrowS-Pairs (default: the shipped model)"},
        {"threads", SW_OPT_INT, &threads, "N", "threads of the model (default 1: its sentences are short)"},
        {"policy", SW_OPT_STR, &policy, "FILE", "guard policy (default: shipped)"},
        {"guard-model", SW_OPT_STR, &gmodel, "FILE", "guard classifier (default: shipped; \"\" for none)"},
        {"data-dir", SW_OPT_STR, &dir, "DIR", "data directory with guard/rules (default: shipped)"},
        {"record", SW_OPT_FLAG, &record, NULL, "append the figures to the audit log (for the card and report)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print the figures as one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos = 0;
    int rc = sw_cli_parse(cmd, "eval bias [--lang en|zh|all] [--crows FILE] [--record] [--json]\n\n"
                               "Scans template sentences that differ only in an identity term (gender, ethnicity,\n"
                               "religion, nationality, region, age, disability, sexual orientation; English and\n"
                               "Chinese) with the input guard: per term the alarm rate (flag, review or block, or a\n"
                               "flagged finding beside a redaction; Wilson 95% interval) on benign and on\n"
                               "harmful sentences and the subgroup AUC (harmful against benign, ranked by the\n"
                               "guard's score; BPSN and BNSP AUCs against the other terms); per group the gap\n"
                               "between its terms' benign alarm rates, in points, with a 95% interval from 1,000\n"
                               "seeded resamples of the templates (and stop rates: review or block). With\n"
                               "--crows, the share of CrowS-Pairs where the model gives the more\n"
                               "stereotypical sentence the higher log-likelihood (0.5 is unbiased).",
                          opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (threads < 1) return sw_cli_usage_error(cmd, "--threads must be >= 1");
    omp_set_num_threads(threads);
    sw_err err;
    sw_guard_opts go = {.data_dir = dir, .policy_path = policy, .model_path = gmodel};
    sw_guard *g = sw_guard_open(&go, &err);
    if (!g) return sw_cli_fail(cmd, &err);
    uint64_t t0 = sw_now_ns();
    json_t *r = sw_eval_bias(g, &o, &err);
    sw_guard_free(g);
    if (!r) return sw_cli_fail(cmd, &err);
    json_object_set_new(r, "seconds", json_real(sw_round_sig((double)(sw_now_ns() - t0) / 1e9, 4)));
    if (record && sw_cli_eval_record("bias", argc, argv, r, &err) < 0) {
        json_decref(r);
        return sw_cli_fail(cmd, &err);
    }
    if (json) return sw_cli_print_json(r) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
    print_bias(r);
    json_decref(r);
    return SW_EXIT_OK;
}
