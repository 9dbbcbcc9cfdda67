/* replay.c - the sandbox: past requests (retained content from the audit log, or a JSONL
 * file) run through the configuration in force and through a candidate one, each in a
 * scratch state directory, and every decision that would change is listed. */
#include "steward/audit.h"
#include "steward/eval.h"
#include "steward/json.h"
#include "steward/report.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX_TOKENS_DEFAULT 32
#define SOURCE_MAX 96

/* Records with retained content at or after `since`, found by a scan of the log. */
typedef struct retained_scan {
    int64_t since;
    uint64_t *idx;
    size_t n, cap;
} retained_scan;

/* Scan callback: collects the numbers of records with retained content since r->since.
 * Non-zero on OOM. */
static int find_retained(void *ud, uint64_t index, const uint8_t *rec, size_t len) {
    retained_scan *r = ud;
    json_t *j = json_loadb((const char *)rec, len, 0, NULL);
    int keep = json_is_object(json_object_get(j, "retained")) && sw_report_record_time(j) >= r->since;
    json_decref(j);
    if (!keep) return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        uint64_t *p = realloc(r->idx, cap * sizeof *p);
        if (!p) return 1;
        r->idx = p, r->cap = cap;
    }
    r->idx[r->n++] = index;
    return 0;
}

/* The retained requests of the log under home: [{"prompt", "source": "record N"}]; content
 * already forgotten (crypto-shredded) is counted in *forgotten and skipped. */
static json_t *prompts_from_log(const char *home, int64_t since, json_int_t *forgotten, sw_err *err) {
    sw_audit_opts ao = {.read_only = 1};
    sw_audit *log;
    if (sw_audit_open(home, &ao, &log, err) < 0) return NULL;
    retained_scan r = {since, NULL, 0, 0};
    json_t *arr = NULL;
    if (sw_audit_scan(log, 0, find_retained, &r, err) == 0 && (arr = json_array())) {
        sw_buf b = {0};
        for (size_t i = 0; i < r.n; i++) {
            sw_buf_reset(&b);
            if (sw_audit_recall_record(log, r.idx[i], &b, NULL) < 0) {
                (*forgotten)++;
                continue;
            }
            char src[SOURCE_MAX];
            snprintf(src, sizeof src, "record %llu", (unsigned long long)r.idx[i]);
            json_array_append_new(arr, json_pack("{s:s%, s:s}", "prompt", b.data ? b.data : "", b.len, "source", src));
        }
        sw_buf_free(&b);
    }
    free(r.idx);
    sw_audit_close(log, NULL);
    return arr;
}

/* The decision a configuration made on one request. */
static json_t *decision(const sw_gen_result *res) {
    json_t *cats = json_object();
    const json_t *vs[2] = {res->verdict_in, res->verdict_out};
    for (int d = 0; d < 2; d++) {
        size_t i;
        const json_t *f;
        json_array_foreach(json_object_get(vs[d], "findings"), i, f) {
            const char *c = json_string_value(json_object_get(f, "category"));
            int a = sw_guard_action_parse(json_string_value(json_object_get(f, "action")));
            const char *prev = json_string_value(json_object_get(cats, c ? c : "?"));
            if (c && a >= 0 && (!prev || a > sw_guard_action_parse(prev)))
                json_object_set_new(cats, c, json_string(sw_guard_action_name((sw_guard_action)a)));
        }
    }
    const char *fin = res->finish_reason ? res->finish_reason : "error";
    int refused = res->verdict_in && sw_guard_action_parse(json_string_value(json_object_get(res->verdict_in, "action"))) >= SW_ACT_REVIEW;
    const char *outcome = refused ? "refused" : !strcmp(fin, "review") ? "review" : !strcmp(fin, "blocked") ? "cut" : "delivered";
    return json_pack("{s:s, s:s, s:O*, s:O*, s:o}", "outcome", outcome, "finish_reason", fin, "input",
                     json_object_get(res->verdict_in, "action"), "output", json_object_get(res->verdict_out, "action"),
                     "categories", cats);
}

/* Runs every request through one configuration in a scratch state directory. Returns the
 * decisions (one per request, in order) and fills *info with its hashes. */
static json_t *run_config(const json_t *prompts, const char *policy, const char *model, const sw_replay_opts *o,
                          json_t **info, sw_err *err) {
    char scratch[PATH_MAX];
    if (sw_home_scratch(scratch, sizeof scratch, err) < 0) return NULL;
    sw_pipeline_opts po = {.home = scratch, .model_path = model, .policy_path = policy, .principal = "replay"};
    sw_pipeline *p = NULL;
    json_t *out = NULL;
    if (sw_pipeline_open(&po, &p, err) == 0 && (out = json_array())) {
        *info = json_pack("{s:s, s:s, s:s}", "policy", policy ? policy : "(shipped)", "policy_sha256",
                          sw_pipeline_policy_sha256(p), "model_sha256", sw_pipeline_model_sha256(p));
        size_t i;
        const json_t *pr;
        json_array_foreach(prompts, i, pr) {
            sw_gen_request req = {.prompt = json_string_value(json_object_get(pr, "prompt")), .no_watermark = 1,
                                  .max_tokens = o->max_tokens > 0 ? o->max_tokens : REPLAY_MAX_TOKENS_DEFAULT};
            sw_sampler_params_default(&req.sampling);
            req.sampling.temperature = 0, req.sampling.seed = o->seed;
            sw_gen_result res;
            memset(&res, 0, sizeof res);
            int rc = sw_pipeline_generate(p, &req, &res, err);
            if (rc == 0) json_array_append_new(out, decision(&res));
            sw_gen_result_free(&res);
            if (rc < 0) {
                sw_err_prefix(err, "%s", json_string_value(json_object_get(pr, "source")));
                json_decref(out);
                out = NULL;
                break;
            }
        }
    }
    sw_pipeline_close(p);
    sw_home_remove(scratch, NULL);
    return out;
}

/* json_equal, with two absent values equal. */
static int same(const json_t *a, const json_t *b) { return (!a && !b) || json_equal(a, b); }

/* Categories whose strongest action differs between two decisions, counted in by_cat;
 * returns them as an array. */
static json_t *changed_categories(const json_t *a, const json_t *b, json_t *by_cat) {
    json_t *out = json_array();
    const json_t *ca = json_object_get(a, "categories"), *cb = json_object_get(b, "categories");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ca, k, v) {
        if (!same(v, json_object_get(cb, k))) json_array_append_new(out, json_string(k)), sw_report_count(by_cat, k);
    }
    json_object_foreach((json_t *)cb, k, v) {
        if (!json_object_get(ca, k)) json_array_append_new(out, json_string(k)), sw_report_count(by_cat, k);
    }
    return out;
}

/* Compares the two runs request by request. */
static json_t *compare(const json_t *prompts, const json_t *before, const json_t *after) {
    json_t *changes = json_array(), *by_cat = json_object(), *by_tr = json_object();
    size_t i;
    const json_t *pr;
    json_array_foreach(prompts, i, pr) {
        const json_t *a = json_array_get(before, i), *b = json_array_get(after, i);
        json_t *cats = changed_categories(a, b, by_cat);
        int unchanged = same(json_object_get(a, "finish_reason"), json_object_get(b, "finish_reason")) &&
                        same(json_object_get(a, "input"), json_object_get(b, "input")) &&
                        same(json_object_get(a, "output"), json_object_get(b, "output")) && json_array_size(cats) == 0;
        if (unchanged) {
            json_decref(cats);
            continue;
        }
        char tr[64];
        snprintf(tr, sizeof tr, "%s->%s", json_string_value(json_object_get(a, "outcome")),
                 json_string_value(json_object_get(b, "outcome")));
        sw_report_count(by_tr, tr);
        json_array_append_new(changes, json_pack("{s:O, s:O, s:O, s:o}", "source", json_object_get(pr, "source"),
                                                 "before", a, "after", b, "categories", cats));
    }
    return json_pack("{s:I, s:I, s:o, s:o, s:o}", "requests", (json_int_t)json_array_size(prompts), "changed",
                     (json_int_t)json_array_size(changes), "by_category", by_cat, "by_transition", by_tr, "changes",
                     changes);
}

/* Appends the replay's own record (figures without the per-request list) to the real log. */
static int record_replay(const sw_replay_opts *o, json_t *r, sw_err *err) {
    json_t *fig = json_deep_copy(r);
    if (!fig) return sw_err_set(err, "out of memory");
    json_object_del(fig, "changes");
    uint64_t index;
    int rc = sw_eval_record(o->home, "replay", o->command, fig, &index, err);
    json_decref(fig);
    if (rc == 0) json_object_set_new(r, "record", json_integer((json_int_t)index));
    return rc;
}

json_t *sw_eval_replay(const sw_replay_opts *o, sw_err *err) {
    if (!o->policy && !o->model) {
        sw_err_set(err, "replay: a candidate --policy or --model is required");
        return NULL;
    }
    sw_buf data = {0};
    json_int_t forgotten = 0;
    json_t *prompts = NULL, *before = NULL, *after = NULL, *ib = NULL, *ia = NULL, *r = NULL;
    if (o->file) {
        if (sw_read_file(o->file, &data, err) == 0) prompts = sw_replay_parse_prompts(data.data ? data.data : "", data.len, o->file, err);
    } else {
        prompts = prompts_from_log(o->home, o->since, &forgotten, err);
    }
    if (prompts && (before = run_config(prompts, o->base_policy, o->base_model, o, &ib, err)) &&
        (after = run_config(prompts, o->policy ? o->policy : o->base_policy, o->model ? o->model : o->base_model, o, &ia, err)) &&
        (r = compare(prompts, before, after))) {
        json_object_set_new(r, "source", json_string(o->file ? o->file : "audit log (retained content)"));
        json_object_set_new(r, "forgotten", json_integer(forgotten));
        json_object_set(r, "baseline", ib);
        json_object_set(r, "candidate", ia);
        if (o->command && record_replay(o, r, err) < 0) {
            json_decref(r);
            r = NULL;
        }
    }
    json_decref(prompts), json_decref(before), json_decref(after), json_decref(ib), json_decref(ia);
    sw_buf_free(&data);
    return r;
}
