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

static const char *USAGE =
    "scan [--direction input|output] [--source user|document] [--policy FILE] [--json | --jsonl] [--lm FILE] < TEXT\n\n"
    "Runs the input (default) or output guard on stdin, without generating: the action,\n"
    "the findings (category, type, byte span [start,end) and, in JSON, char_start/char_end\n"
    "in characters for Python slicing, score to 4 significant digits, why) and the redacted\n"
    "text. --source document scans third-party text (a tool result, a web page, an e-mail,\n"
    "an attached file): it should carry no instructions, so any instruction addressed to\n"
    "an AI reader is a prompt_injection finding (document_instruction); in a user's text,\n"
    "so is one inside a document pasted between '---' lines, code fences or <document> tags.\n"
    "--jsonl reads one {\"text\": ..., \"id\": ..., \"source\": \"user\"|\"document\"} object per\n"
    "line (source: default --source) and prints one verdict per line with the id echoed; a\n"
    "bad line gets {\"error\", \"line\", \"id\"} and the rest go on. --restore reverses the reversible pseudonyms (<ENC:TYPE:...>, the\n"
    "policy's encrypt operator) in stdin with this instance's guard key; keyed hashes\n"
    "(<TYPE_xxxxxxxx>) are one-way.\n\n"
    "Exit status: 0 allow, flag or redact; 3 review; 4 block (--jsonl: the most severe\n"
    "line's); 1 error (--jsonl: any bad line); 2 usage error.";

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

/* The exit status that tells a script what the guard decided. */
static int action_status(sw_guard_action a) {
    return a == SW_ACT_BLOCK ? SW_EXIT_BLOCK : a == SW_ACT_REVIEW ? SW_EXIT_REVIEW : SW_EXIT_OK;
}

/* Scans one text; prints the verdict (JSON with id echoed when id is not NULL). Stores
 * the action in *action. Returns 0, or -1 with err. */
static int scan_one(const sw_guard *g, const sw_guard_scan_opts *so, const char *text, size_t len, int json,
                    const json_t *id, sw_guard_action *action, sw_err *err) {
    sw_guard_verdict v;
    int src = lm.c && so->source == SW_TEXT_USER ? sw_guard_scan_lm(g, so->dir, text, len, lm.c, sw_model_tokenizer(lm.m), &lm.th, &v, err)
                   : sw_guard_scan_opts_scan(g, so, text, len, &v, err);
    if (src < 0) {
        sw_guard_verdict_free(&v);
        return -1;
    }
    *action = v.action;
    int rc = 0;
    if (json) {
        json_t *o = sw_guard_verdict_json(&v);
        if (!o || sw_guard_verdict_json_chars(o, text, len) < 0) rc = -1;
        if (o && id) json_object_set(o, "id", (json_t *)id);
        if (sw_cli_print_json(o) < 0) rc = -1;
    } else {
        print_plain(&v);
    }
    sw_guard_verdict_free(&v);
    return rc < 0 ? sw_err_set(err, "cannot write the verdict as JSON") : 0;
}

/* An error record for a bad --jsonl line: {"error": ..., "line": N, "id"?}. */
static void print_line_error(int line, const char *msg, const json_t *id) {
    json_t *o = json_pack("{s:s,s:i}", "error", msg, "line", line);
    if (o && id) json_object_set(o, "id", (json_t *)id);
    sw_cli_print_json(o);
}

/* The options of one --jsonl record: its "source" (user|document) replaces the default's.
 * Returns 0, or -1 with msg set when "source" is not one of them. */
static int record_opts(const json_t *o, const sw_guard_scan_opts *def, sw_guard_scan_opts *out, char *msg,
                       size_t msz) {
    *out = *def;
    const json_t *s = json_object_get(o, "source");
    if (!s) return 0;
    int k = sw_guard_text_source_parse(json_string_value(s));
    if (k < 0) {
        snprintf(msg, msz, "\"source\" must be \"user\" or \"document\"");
        return -1;
    }
    out->source = (sw_guard_text_source)k;
    return 0;
}

/* --jsonl: one {"text": ..., "id"?: ..., "source"?: ...} per line in, one verdict per line
 * out (with the id echoed); a bad line gets an error record and the rest go on. Returns
 * the status of the most severe action, or SW_EXIT_FAIL when any line was bad. */
static int scan_lines(const sw_guard *g, const sw_guard_scan_opts *def, const sw_buf *in) {
    size_t i = 0;
    int line = 0, bad = 0;
    sw_guard_action worst = SW_ACT_ALLOW;
    const char *l;
    size_t ll;
    while (sw_next_line(in->data, in->len, &i, &line, &l, &ll)) {
        if (ll == 0 || (ll == 1 && l[0] == '\r')) continue;
        char what[64];
        snprintf(what, sizeof what, "stdin line %d", line);
        sw_err err;
        json_t *o = sw_json_parse(l, ll, what, 0, &err);
        json_t *t = json_object_get(o, "text"), *id = json_object_get(o, "id");
        sw_guard_action a = SW_ACT_ALLOW;
        sw_guard_scan_opts so;
        if (!o) {
            print_line_error(line, err.msg, id);
            bad = 1;
        } else if (!json_is_string(t)) {
            snprintf(err.msg, sizeof err.msg, "expected {\"text\": \"...\"}");
            print_line_error(line, err.msg, id);
            bad = 1;
        } else if (record_opts(o, def, &so, err.msg, sizeof err.msg) < 0) {
            print_line_error(line, err.msg, id);
            bad = 1;
        } else if (scan_one(g, &so, json_string_value(t), json_string_length(t), 1, id, &a, &err) < 0) {
            print_line_error(line, err.msg, id);
            bad = 1;
        }
        if (a > worst) worst = a;
        json_decref(o);
    }
    return bad ? SW_EXIT_FAIL : action_status(worst);
}

/* --restore: the text with the values the encrypt operator replaced put back (as
 * Presidio's deanonymizer does); tokens this instance's key did not make stay as they are. */
static int restore_text(const sw_guard *g, const sw_buf *in) {
    sw_buf out = {0};
    sw_err err;
    if (sw_guard_restore(g, in->data ? in->data : "", in->len, &out, &err) < 0) {
        sw_buf_free(&out);
        return sw_cli_fail("scan", &err);
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    sw_buf_free(&out);
    return SW_EXIT_OK;
}

int sw_cmd_scan(int argc, char **argv) {
    const char *direction = "input", *source = "user", *policy = NULL, *data = NULL, *model = NULL, *lm_path = NULL, *ppl = NULL;
    int json = 0, jsonl = 0, restore = 0;
    sw_opt opts[] = {
        {"direction", SW_OPT_STR, &direction, "input|output", "which guard to run (default input)"},
        {"source", SW_OPT_STR, &source, "user|document", "a user's request (default) or a third-party document"},
        {"policy", SW_OPT_STR, &policy, "FILE", "guard policy (default data/policy/default.policy)"},
        {"data", SW_OPT_STR, &data, "DIR", "data directory with guard/rules (default: shipped)"},
        {"model", SW_OPT_STR, &model, "FILE", "guard classifier (default models/guard-classifier.bin; \"\" for none)"},
        {"lm", SW_OPT_STR, &lm_path, "FILE", "language model for the perplexity signals"},
        {"ppl", SW_OPT_STR, &ppl, "FILE", "its thresholds ('steward guard calibrate-ppl'; default: FILE.ppl.json beside it)"},
        {"json", SW_OPT_FLAG, &json, NULL, "read all of stdin as one text; print one JSON verdict"},
        {"jsonl", SW_OPT_FLAG, &jsonl, NULL, "read {\"text\": ...} lines; print one verdict per line"},
        {"restore", SW_OPT_FLAG, &restore, NULL, "print stdin with its <ENC:...> pseudonyms decrypted (no scan)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("scan", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (json + jsonl + restore > 1) return sw_cli_usage_error("scan", "--json, --jsonl and --restore exclude each other");
    sw_guard_dir dir;
    if (strcmp(direction, "input") == 0) dir = SW_GUARD_INPUT;
    else if (strcmp(direction, "output") == 0) dir = SW_GUARD_OUTPUT;
    else return sw_cli_usage_error("scan", "--direction must be input or output, not '%s'", direction);
    sw_guard_scan_opts so = {.dir = dir};
    int src = sw_guard_text_source_parse(source);
    if (src < 0) return sw_cli_usage_error("scan", "--source must be user or document, not '%s'", source);
    so.source = (sw_guard_text_source)src;
    if (ppl && !lm_path) return sw_cli_usage_error("scan", "--ppl needs --lm");
    if (lm_path && so.source == SW_TEXT_DOCUMENT)
        return sw_cli_usage_error("scan", "--lm judges a user's request; not with --source document");
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
    sw_guard_action action;
    if (restore) rc = restore_text(g, &in);
    else if (jsonl) rc = scan_lines(g, &so, &in);
    else if (scan_one(g, &so, in.data ? in.data : "", in.len, json, NULL, &action, &err) < 0) rc = sw_cli_fail("scan", &err);
    else rc = action_status(action);
    sw_buf_free(&in);
    sw_guard_free(g);
    sw_ctx_free(lm.c);
    sw_model_free(lm.m);
    return rc;
}
