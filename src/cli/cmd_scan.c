/* cmd_scan.c - `steward scan`: the input or output guard alone, no generation. */
#include "cli.h"
#include "steward/guard.h"
#include "steward/json.h"
#include "steward/keys.h"
#include "steward/model.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Loads $STEWARD_HOME/keys/guard.key with the checks generate makes (one loader: 32
 * bytes, mode 0600, created on first use). */
static int load_key(uint8_t key[32], sw_err *err) {
    char home[PATH_MAX];
    if (sw_home_resolve(sw_cli_home, home, sizeof home, err) < 0) return -1;
    return sw_keys_secret_load_or_create(home, SW_GUARD_KEY_NAME, key, 32, err);
}

static void print_plain(const sw_guard_verdict *v) {
    printf("action: %s\n", sw_guard_action_name(v->action));
    for (size_t i = 0; i < v->n_findings; i++) {
        const sw_guard_finding *f = &v->findings[i];
        printf("  %-7s %-16s %-22s [%zu,%zu) score %.2f %s: %s\n", sw_guard_action_name(f->action), f->category,
               f->type, f->start, f->end, f->score, sw_guard_source_name(f->source), f->explain);
    }
    printf("redacted: %.*s\n", (int)v->redacted_len, v->redacted ? v->redacted : "");
    printf("policy: %s\n", v->policy_hash);
}

/* The language model and thresholds of --lm/--ppl, when given. */
typedef struct {
    sw_model *m;
    sw_ctx *c;
    sw_guard_ppl th;
} lm_state;
static lm_state lm;

/* Loads the model and its thresholds: --ppl FILE, else the calibration file beside the
 * model (models/default.ppl.json for models/default.gguf), which must belong to it. */
static int load_lm(const char *model, const char *ppl, sw_err *err) {
    char sha[65], beside[PATH_MAX + 16];
    if (sw_sha256_file_hex(model, sha, err) < 0) return -1;
    if (ppl) {
        if (sw_guard_ppl_load(ppl, sha, &lm.th, err) < 0) return -1;
    } else {
        int found = sw_guard_ppl_load_beside(model, sha, &lm.th, beside, sizeof beside, err);
        if (found < 0) return -1;
        if (found == 0)
            return sw_err_set(err, "%s: no perplexity calibration beside it (%s); make one with 'steward guard "
                                   "calibrate-ppl' and give it with --ppl",
                              model, beside);
    }
    if (sw_model_load(model, &lm.m, err) < 0 || !(lm.c = sw_ctx_new(lm.m, sw_model_hparams(lm.m)->n_ctx_train, err)))
        return -1;
    return 0;
}

static int scan_one(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, int json) {
    sw_guard_verdict v;
    sw_err err;
    int src = lm.c ? sw_guard_scan_lm(g, dir, text, len, lm.c, sw_model_tokenizer(lm.m), &lm.th, &v, &err)
                   : sw_guard_scan(g, dir, text, len, &v, &err);
    if (src < 0) {
        sw_guard_verdict_free(&v);
        return sw_cli_fail("scan", &err);
    }
    int rc = 0;
    if (json) rc = sw_cli_print_json(sw_guard_verdict_json(&v));
    else print_plain(&v);
    sw_guard_verdict_free(&v);
    if (rc < 0) {
        sw_err_set(&err, "cannot write the verdict as JSON");
        return sw_cli_fail("scan", &err);
    }
    return SW_EXIT_OK;
}

/* --jsonl: one {"text": ...} per line in, one verdict per line out. */
static int scan_lines(const sw_guard *g, sw_guard_dir dir, const sw_buf *in) {
    size_t i = 0;
    int line = 0;
    const char *l;
    size_t ll;
    while (sw_next_line(in->data, in->len, &i, &line, &l, &ll)) {
        if (ll == 0 || (ll == 1 && l[0] == '\r')) continue;
        char what[64];
        snprintf(what, sizeof what, "stdin line %d", line);
        sw_err err;
        json_t *o = sw_json_parse(l, ll, what, 0, &err);
        if (!o) return sw_cli_fail("scan", &err);
        json_t *t = json_object_get(o, "text");
        if (!json_is_string(t)) {
            json_decref(o);
            sw_err_set(&err, "%s: expected {\"text\": \"...\"}", what);
            return sw_cli_fail("scan", &err);
        }
        int rc = scan_one(g, dir, json_string_value(t), json_string_length(t), 1);
        json_decref(o);
        if (rc) return rc;
    }
    return SW_EXIT_OK;
}

int sw_cmd_scan(int argc, char **argv) {
    const char *direction = "input", *policy = NULL, *data = NULL, *model = NULL, *lm_path = NULL, *ppl = NULL;
    int json = 0, jsonl = 0;
    sw_opt opts[] = {
        {"direction", SW_OPT_STR, &direction, "input|output", "which guard to run (default input)"},
        {"policy", SW_OPT_STR, &policy, "FILE", "guard policy (default data/policy/default.policy)"},
        {"data", SW_OPT_STR, &data, "DIR", "data directory with guard/rules (default: shipped)"},
        {"model", SW_OPT_STR, &model, "FILE", "guard classifier (default models/guard-classifier.bin; \"\" for none)"},
        {"lm", SW_OPT_STR, &lm_path, "FILE", "language model for the perplexity signals"},
        {"ppl", SW_OPT_STR, &ppl, "FILE", "its thresholds ('steward guard calibrate-ppl'; default: FILE.ppl.json beside it)"},
        {"json", SW_OPT_FLAG, &json, NULL, "read all of stdin as one text; print one JSON verdict"},
        {"jsonl", SW_OPT_FLAG, &jsonl, NULL, "read {\"text\": ...} lines; print one verdict per line"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("scan", "scan [--direction input|output] [--policy FILE] [--json | --jsonl] < TEXT",
                          opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (json && jsonl) return sw_cli_usage_error("scan", "--json and --jsonl exclude each other");
    sw_guard_dir dir;
    if (strcmp(direction, "input") == 0) dir = SW_GUARD_INPUT;
    else if (strcmp(direction, "output") == 0) dir = SW_GUARD_OUTPUT;
    else return sw_cli_usage_error("scan", "--direction must be input or output, not '%s'", direction);
    if (ppl && !lm_path) return sw_cli_usage_error("scan", "--ppl needs --lm");
    sw_err err;
    if (lm_path && load_lm(lm_path, ppl, &err) < 0) {
        sw_ctx_free(lm.c);
        sw_model_free(lm.m);
        return sw_cli_fail("scan", &err);
    }
    uint8_t key[32];
    if (load_key(key, &err) < 0) return sw_cli_fail("scan", &err);
    sw_guard_opts go = {.data_dir = data, .policy_path = policy, .key = key, .model_path = model};
    sw_guard *g = sw_guard_open(&go, &err);
    sodium_memzero(key, sizeof key);
    if (!g) return sw_cli_fail("scan", &err);
    sw_buf in = {0};
    if (sw_read_file("-", &in, &err) < 0) {
        sw_guard_free(g);
        sw_buf_free(&in);
        return sw_cli_fail("scan", &err);
    }
    if (jsonl) rc = scan_lines(g, dir, &in);
    else rc = scan_one(g, dir, in.data ? in.data : "", in.len, json);
    sw_buf_free(&in);
    sw_guard_free(g);
    sw_ctx_free(lm.c);
    sw_model_free(lm.m);
    return rc;
}
