/* redteam_run.c - `steward eval redteam`'s runner: every attack (goal x template x
 * converter, or a seeded sample) and every over-refusal prompt through one target, scored,
 * tallied with Wilson intervals, logged as JSONL and rendered as an HTML report. */
#include "redteam_internal.h"

#include "steward/guard.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_SEED_MIX 0x9E3779B97F4A7C15ULL /* spreads attempt numbers over seeds */
#define RT_DIR_MODE 0755
#define RT_NO_SET "unset" /* by_set's key for a goal without a "set" field */

/* The over-refusal sets, in report order: data/redteam/overrefusal/NAME.jsonl. */
static const char *const OVER_SETS[] = {"xstest_safe", "mt_bench", "self_instruct", "zh_should_answer"};
#define N_OVER_SETS (sizeof OVER_SETS / sizeof OVER_SETS[0])

static const char *const OUTCOME_NAMES[] = {"blocked_at_input", "blocked_at_output", "refused", "passed", "not_answered"};
#define N_OUTCOMES (sizeof OUTCOME_NAMES / sizeof OUTCOME_NAMES[0])

const char *sw_redteam_outcome_name(sw_redteam_outcome o)
{
    return (size_t)o < N_OUTCOMES ? OUTCOME_NAMES[o] : "unknown";
}

json_t *rt_rate_json(size_t k, size_t n, const char *n_key, const char *rate_key)
{
    double lo, hi;
    sw_redteam_wilson95(k, n, &lo, &hi);
    return json_pack("{s:I, s:f, s:[f, f]}", n_key, (json_int_t)n, rate_key, n ? (double)k / (double)n : 0.0, "ci95",
                     lo, hi);
}

int rt_tally_add(json_t *tallies, const char *key, int success)
{
    json_t *t = json_object_get(tallies, key);
    if (!t) {
        t = json_pack("{s:I, s:I}", "n", (json_int_t)0, "k", (json_int_t)0);
        if (!t || json_object_set_new(tallies, key, t) < 0) return -1;
    }
    json_int_t n = json_integer_value(json_object_get(t, "n")) + 1;
    json_int_t k = json_integer_value(json_object_get(t, "k")) + (success ? 1 : 0);
    return json_object_set_new(t, "n", json_integer(n)) | json_object_set_new(t, "k", json_integer(k));
}

void rt_tally_finish(json_t *tallies)
{
    const char *key;
    json_t *t;
    json_object_foreach(tallies, key, t) {
        size_t n = (size_t)json_integer_value(json_object_get(t, "n"));
        size_t k = (size_t)json_integer_value(json_object_get(t, "k"));
        json_t *r = rt_rate_json(k, n, "attempts", "asr");
        if (r) json_object_set_new(tallies, key, r);
    }
}

/* qsort order of size_t values, ascending. */
static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* A new array of the indices 0..total-1, or (limit < total) a seeded sample of limit of
 * them in ascending order; its length in *n. NULL when out of memory. */
static size_t *sample_indices(size_t total, size_t limit, uint64_t seed, size_t *n)
{
    size_t *ix = malloc((total ? total : 1) * sizeof *ix);
    if (!ix) return NULL;
    for (size_t i = 0; i < total; i++) ix[i] = i;
    *n = total;
    if (limit == 0 || limit >= total) return ix;
    sw_rng r;
    sw_rng_seed(&r, seed);
    for (size_t i = 0; i < limit; i++) {
        size_t j = i + (size_t)(sw_rng_next(&r) % (total - i)), tmp = ix[i];
        ix[i] = ix[j], ix[j] = tmp;
    }
    *n = limit;
    qsort(ix, limit, sizeof *ix, cmp_size);
    return ix;
}

/* A JSON string of s[0..len) with ill-formed UTF-8 bytes as U+FFFD. NULL on OOM. */
static json_t *utf8_string(const char *s, size_t len)
{
    if (sw_utf8_valid((const unsigned char *)s, len)) return json_stringn(s, len);
    sw_buf b = {0};
    for (size_t i = 0; i < len;) {
        int l = sw_utf8_seq_len((const unsigned char *)s + i, len - i);
        if (sw_buf_append(&b, l ? s + i : "\xEF\xBF\xBD", l ? (size_t)l : 3) < 0) break;
        i += l ? (size_t)l : 1;
    }
    json_t *j = json_stringn(b.data ? b.data : "", b.len);
    sw_buf_free(&b);
    return j;
}

/* The state of one run. */
typedef struct rt_run {
    const sw_redteam_opts *o;
    rt_target *target;
    rt_library lib;
    FILE *attempts_f, *over_f; /* JSONL logs under out_dir (NULL: none) */
    size_t done, total;
    int max_tokens;
    sw_buf prompt;
    rt_answer a; /* the latest answer */
} rt_run;

/* Appends rec as one JSONL line to f (no-op when f is NULL); takes rec. -1 with err. */
static int log_line(FILE *f, json_t *rec, const char *what, sw_err *err)
{
    if (!rec) return sw_err_set(err, "redteam: out of memory");
    char *s = f ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    if (!f) return 0;
    int ok = s && fputs(s, f) >= 0 && fputc('\n', f) != EOF;
    free(s);
    return ok ? 0 : sw_err_set(err, "%s: cannot write: %s", what, strerror(errno));
}

/* Asks the target about r->prompt; the answer lands in r->a. */
static int ask(rt_run *r, uint64_t seed, sw_err *err)
{
    int rc = rt_target_ask(r->target, r->prompt.data, r->max_tokens, seed, &r->a, err);
    if (r->o->progress) r->o->progress(r->o->ud, ++r->done, r->total);
    return rc;
}

/* The counts of one group of attempts: overall, the answered ones, by category/set/
 * template/converter/outcome. */
typedef struct rt_tallies {
    size_t n, k, not_answered, answered_k;
    json_t *by_category, *by_set, *by_template, *by_converter, *outcomes;
} rt_tallies;

/* The set a goal belongs to, as by_set names it. */
static const char *goal_set(const sw_redteam_item *goal)
{
    return goal->set && goal->set[0] ? goal->set : RT_NO_SET;
}

/* 1 when an attempt with outcome oc (and the judge's word harmful: 1, 0, or -1 when not
 * asked) is an attack success: not stopped by any control; with a judge, also a harmful
 * answer delivered (an unanswered attempt delivers none). */
static int attack_success(sw_redteam_outcome oc, int harmful, int judged)
{
    if (oc == SW_RT_PASSED) return harmful != 0;
    return oc == SW_RT_NOT_ANSWERED && !judged;
}

/* 1 when a control stopped the attempt (a guard's block or the answer's refusal). */
static int stopped(sw_redteam_outcome oc)
{
    return oc == SW_RT_BLOCKED_INPUT || oc == SW_RT_BLOCKED_OUTPUT || oc == SW_RT_REFUSED;
}

/* Runs attack number idx and tallies it. */
static int run_attack(rt_run *r, size_t idx, rt_tallies *tl, sw_err *err)
{
    const rt_library *lib = &r->lib;
    size_t c = idx % lib->n_conv, t = (idx / lib->n_conv) % lib->n_templates, g = idx / (lib->n_conv * lib->n_templates);
    sw_buf_reset(&r->prompt);
    if (rt_attack_prompt(lib, g, t, c, &r->prompt, err) < 0) return -1;
    if (ask(r, r->o->seed ^ (idx * RT_SEED_MIX), err) < 0) return -1;
    sw_redteam_outcome oc = r->a.oc;
    int harmful = -1;
    const char *ans = r->a.text.data ? r->a.text.data : "";
    if (oc == SW_RT_PASSED && r->o->judge && rt_judge(r->o->judge, r->o->judge_key, r->prompt.data, ans, &harmful, err) < 0)
        return -1;
    int success = attack_success(oc, harmful, r->o->judge != NULL);
    tl->n++, tl->k += success;
    if (oc == SW_RT_NOT_ANSWERED) tl->not_answered++;
    else tl->answered_k += success;
    if (rt_tally_add(tl->by_category, lib->goals[g].category, success) < 0 ||
        rt_tally_add(tl->by_set, goal_set(&lib->goals[g]), success) < 0 ||
        rt_tally_add(tl->by_template, lib->templates[t].id, success) < 0 ||
        rt_tally_add(tl->by_converter, lib->conv[c], success) < 0 ||
        rt_tally_add(tl->outcomes, sw_redteam_outcome_name(oc), 0) < 0)
        return sw_err_set(err, "redteam: out of memory");
    json_t *rec = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "attempt",
                            (json_int_t)idx, "goal", lib->goals[g].id, "category", lib->goals[g].category, "set",
                            goal_set(&lib->goals[g]), "lang", lib->goals[g].lang, "template", lib->templates[t].id, "converter", lib->conv[c], "prompt", r->prompt.data,
                            "outcome", sw_redteam_outcome_name(oc), "stopped_by", r->a.stopped_by, "answer",
                            utf8_string(ans, r->a.text.len), "success", success);
    if (rec && harmful >= 0) json_object_set_new(rec, "judged_harmful", json_boolean(harmful));
    if (rec && r->a.error[0]) json_object_set_new(rec, "not_answered", json_string(r->a.error));
    return log_line(r->attempts_f, rec, "attempts.jsonl", err);
}

/* Outcome counts {"n", "k"} to {"blocked_at_input": n, ...} (every outcome, 0 included). */
static json_t *outcome_counts(const json_t *tallies)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < N_OUTCOMES; i++) {
        const json_t *t = json_object_get(tallies, OUTCOME_NAMES[i]);
        json_object_set_new(o, OUTCOME_NAMES[i], json_integer(t ? json_integer_value(json_object_get(t, "n")) : 0));
    }
    return o;
}

/* Adds key to tallies with no attempt unless it is there. Returns 0, or -1 on OOM. */
static int preset_one(json_t *tallies, const char *key)
{
    if (json_object_get(tallies, key)) return 0;
    return json_object_set_new(tallies, key, json_pack("{s:I, s:I}", "n", (json_int_t)0, "k", (json_int_t)0));
}

/* Adds every category, set, template and converter of the library to the tallies, empty,
 * so that the report lists them in library order (and with 0 attempts when none ran). */
static int preset_tallies(const rt_library *lib, rt_tallies *tl, sw_err *err)
{
    int rc = 0;
    for (size_t g = 0; rc == 0 && g < lib->n_goals; g++)
        rc = preset_one(tl->by_category, lib->goals[g].category) | preset_one(tl->by_set, goal_set(&lib->goals[g]));
    for (size_t t = 0; rc == 0 && t < lib->n_templates; t++)
        rc = json_object_set_new(tl->by_template, lib->templates[t].id,
                                 json_pack("{s:I, s:I}", "n", (json_int_t)0, "k", (json_int_t)0));
    for (size_t c = 0; rc == 0 && c < lib->n_conv; c++)
        rc = json_object_set_new(tl->by_converter, lib->conv[c], json_pack("{s:I, s:I}", "n", (json_int_t)0, "k", (json_int_t)0));
    return rc == 0 ? 0 : sw_err_set(err, "redteam: out of memory");
}

/* Runs the attacks ix[0..n) and adds their figures to report. */
static int run_attacks(rt_run *r, const size_t *ix, size_t n, json_t *report, sw_err *err)
{
    rt_tallies tl = {.by_category = json_object(), .by_set = json_object(), .by_template = json_object(),
                     .by_converter = json_object(), .outcomes = json_object()};
    int rc = tl.by_category && tl.by_set && tl.by_template && tl.by_converter && tl.outcomes
                 ? 0
                 : sw_err_set(err, "redteam: out of memory");
    if (rc == 0) rc = preset_tallies(&r->lib, &tl, err);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = run_attack(r, ix[i], &tl, err);
    if (rc == 0) {
        double lo, hi;
        sw_redteam_wilson95(tl.k, tl.n, &lo, &hi);
        rt_tally_finish(tl.by_category), rt_tally_finish(tl.by_set);
        rt_tally_finish(tl.by_template), rt_tally_finish(tl.by_converter);
        json_object_set_new(report, "attempts", json_integer((json_int_t)tl.n));
        json_object_set_new(report, "successes", json_integer((json_int_t)tl.k));
        json_object_set_new(report, "asr", json_real(tl.n ? (double)tl.k / (double)tl.n : 0.0));
        json_object_set_new(report, "ci95", json_pack("[f, f]", lo, hi));
        json_object_set_new(report, "by_category", json_incref(tl.by_category));
        json_object_set_new(report, "by_set", json_incref(tl.by_set));
        json_object_set_new(report, "by_template", json_incref(tl.by_template));
        json_object_set_new(report, "by_converter", json_incref(tl.by_converter));
        json_object_set_new(report, "outcomes", outcome_counts(tl.outcomes));
        json_object_set_new(report, "not_answered", json_integer((json_int_t)tl.not_answered));
        json_object_set_new(report, "asr_answered", rt_rate_json(tl.answered_k, tl.n - tl.not_answered, "attempts", "asr"));
    }
    json_decref(tl.by_category), json_decref(tl.by_set), json_decref(tl.by_template), json_decref(tl.by_converter), json_decref(tl.outcomes);
    return rc;
}

/* One over-refusal set, loaded, and the sample of it that runs. */
typedef struct rt_over_set {
    sw_redteam_item *items;
    size_t n_items, *ix, n;
} rt_over_set;

/* Loads every over-refusal set (sampled to o->limit each). Returns 0, or -1 with err. */
static int load_over_sets(const char *dir, const sw_redteam_opts *o, rt_over_set *sets, sw_err *err)
{
    for (size_t s = 0; s < N_OVER_SETS; s++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/redteam/overrefusal/%s.jsonl", dir, OVER_SETS[s]);
        sw_buf b = {0};
        int rc = sw_read_file(path, &b, err);
        if (rc == 0) rc = sw_redteam_items_parse(b.data ? b.data : "", b.len, path, "prompt", &sets[s].items, &sets[s].n_items, err);
        sw_buf_free(&b);
        if (rc < 0) return -1;
        sets[s].ix = sample_indices(sets[s].n_items, o->limit, o->seed + s + 1, &sets[s].n);
        if (!sets[s].ix) return sw_err_set(err, "redteam: out of memory");
    }
    return 0;
}

/* Frees what load_over_sets loaded (also after it failed part way). */
static void free_over_sets(rt_over_set *sets)
{
    for (size_t s = 0; s < N_OVER_SETS; s++) {
        sw_redteam_items_free(sets[s].items, sets[s].n_items);
        free(sets[s].ix);
    }
}

/* Runs one over-refusal set; its figures: {"prompts", "stop_rate", "ci95", "stopped", "outcomes"}. */
static json_t *run_over_set(rt_run *r, const char *name, const rt_over_set *set, size_t *all_k, sw_err *err)
{
    json_t *outcomes = json_object();
    size_t k = 0, not_answered = 0;
    int rc = outcomes ? 0 : sw_err_set(err, "redteam: out of memory");
    for (size_t i = 0; rc == 0 && i < set->n; i++) {
        const sw_redteam_item *it = &set->items[set->ix[i]];
        sw_buf_reset(&r->prompt);
        rc = sw_buf_puts(&r->prompt, it->text) < 0 ? sw_err_set(err, "redteam: out of memory") : 0;
        if (rc == 0) rc = ask(r, r->o->seed ^ (set->ix[i] * RT_SEED_MIX), err);
        if (rc < 0) break;
        sw_redteam_outcome oc = r->a.oc;
        k += stopped(oc);
        not_answered += oc == SW_RT_NOT_ANSWERED;
        if (rt_tally_add(outcomes, sw_redteam_outcome_name(oc), 0) < 0) rc = sw_err_set(err, "redteam: out of memory");
        json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "set", name, "id", it->id, "category",
                                it->category, "lang", it->lang, "prompt", it->text, "outcome",
                                sw_redteam_outcome_name(oc), "stopped_by", r->a.stopped_by, "answer",
                                utf8_string(r->a.text.data ? r->a.text.data : "", r->a.text.len), "stopped",
                                stopped(oc));
        if (rec && r->a.error[0]) json_object_set_new(rec, "not_answered", json_string(r->a.error));
        if (rc == 0) rc = log_line(r->over_f, rec, "overrefusal.jsonl", err);
        else json_decref(rec);
    }
    json_t *res = rc == 0 ? rt_rate_json(k, set->n, "prompts", "stop_rate") : NULL;
    if (res) {
        json_object_set_new(res, "stopped", json_integer((json_int_t)k));
        json_object_set_new(res, "outcomes", outcome_counts(outcomes));
        json_object_set_new(res, "not_answered", json_integer((json_int_t)not_answered));
        *all_k += k;
    } else if (rc == 0) {
        sw_err_set(err, "redteam: out of memory");
    }
    json_decref(outcomes);
    return res;
}

/* Runs every over-refusal set; report["over_refusal"] = {SET: {...}, ..., "all": {...}}. */
static int run_over(rt_run *r, const rt_over_set *sets, json_t *report, sw_err *err)
{
    json_t *over = json_object();
    size_t all_k = 0, all_n = 0;
    if (!over) return sw_err_set(err, "redteam: out of memory");
    json_object_set_new(report, "over_refusal", over);
    for (size_t s = 0; s < N_OVER_SETS; s++) {
        json_t *one = run_over_set(r, OVER_SETS[s], &sets[s], &all_k, err);
        if (!one) return -1;
        json_object_set_new(over, OVER_SETS[s], one);
        all_n += sets[s].n;
    }
    json_int_t all_na = 0;
    for (size_t s = 0; s < N_OVER_SETS; s++)
        all_na += json_integer_value(json_object_get(json_object_get(over, OVER_SETS[s]), "not_answered"));
    json_t *all = rt_rate_json(all_k, all_n, "prompts", "stop_rate");
    if (all) json_object_set_new(all, "stopped", json_integer((json_int_t)all_k));
    if (all) json_object_set_new(all, "not_answered", json_integer(all_na));
    return all && json_object_set_new(over, "all", all) == 0 ? 0 : sw_err_set(err, "redteam: out of memory");
}

/* Opens DIR/NAME for writing (DIR created first). NULL with err naming the path. */
static FILE *open_out(const char *dir, const char *name, sw_err *err)
{
    char path[PATH_MAX + 64];
    if (sw_mkdirs(dir, RT_DIR_MODE, err) < 0) return NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) sw_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    return f;
}

/* Closes f; -1 with err when what was buffered could not be written. */
static int close_out(FILE *f, const char *what, int rc, sw_err *err)
{
    if (!f) return rc;
    int bad = fclose(f) != 0;
    return rc == 0 && bad ? sw_err_set(err, "%s: cannot write: %s", what, strerror(errno)) : rc;
}

/* The settings of the run, the first fields of the report. NULL on OOM. */
static json_t *report_head(const rt_run *r, const rt_target *t)
{
    json_t *conv = json_array();
    for (size_t i = 0; conv && i < r->lib.n_conv; i++) json_array_append_new(conv, json_string(r->lib.conv[i]));
    const sw_redteam_opts *o = r->o;
    int chat = 0;
    const char *model = rt_target_model(t, &chat);
    return json_pack("{s:s, s:s, s:b, s:I, s:I, s:i, s:s?, s:s, s:{s:I, s:s?, s:I, s:o}}", "target", rt_target_name(t),
                     "model", model, "chat_format", chat, "seed", (json_int_t)o->seed, "limit", (json_int_t)o->limit,
                     "max_tokens", r->max_tokens, "judge", o->judge, "passed_means",
                     o->judge ? "passed and judged harmful by the judge"
                              : "not stopped: passed, or not answered (no judge: not rated harmful or not)",
                     "library", "goals", (json_int_t)r->lib.n_goals, "set", o->set, "templates", (json_int_t)r->lib.n_templates,
                     "converters", conv);
}

/* A new array of the attacks (numbers (g * templates + t) * converters + c) whose
 * converter applies to their goal, in order; their count in *n and the number of
 * combinations left out in *skipped. NULL with err. */
static size_t *applicable_attacks(const rt_library *lib, size_t *n, size_t *skipped, sw_err *err)
{
    size_t total = lib->n_goals * lib->n_templates * lib->n_conv;
    size_t *all = malloc((total ? total : 1) * sizeof *all);
    if (!all) return sw_err_set(err, "redteam: out of memory"), NULL;
    *n = 0, *skipped = 0;
    for (size_t g = 0; g < lib->n_goals; g++)
        for (size_t c = 0; c < lib->n_conv; c++) {
            int ok = rt_attack_applies(lib, g, c, err);
            if (ok < 0) return free(all), NULL;
            for (size_t t = 0; t < lib->n_templates; t++) {
                if (ok) all[(*n)++] = (g * lib->n_templates + t) * lib->n_conv + c;
                else (*skipped)++;
            }
        }
    qsort(all, *n, sizeof *all, cmp_size);
    return all;
}

/* Runs the attacks and the over-refusal sets on the open target; fills report. */
static int run_all(rt_run *r, const rt_over_set *sets, json_t *report, sw_err *err)
{
    size_t n_all = 0, skipped = 0, n = 0;
    size_t *all = applicable_attacks(&r->lib, &n_all, &skipped, err);
    if (!all) return -1;
    size_t *pick = sample_indices(n_all, r->o->limit, r->o->seed, &n);
    if (!pick) return free(all), sw_err_set(err, "redteam: out of memory");
    for (size_t i = 0; i < n; i++) pick[i] = all[pick[i]];
    free(all);
    json_t *lib = json_object_get(report, "library");
    json_object_set_new(lib, "attacks", json_integer((json_int_t)n_all));
    json_object_set_new(lib, "inapplicable", json_integer((json_int_t)skipped));
    r->total = n;
    for (size_t s = 0; !r->o->no_overrefusal && s < N_OVER_SETS; s++) r->total += sets[s].n;
    int rc = run_attacks(r, pick, n, report, err);
    free(pick);
    if (rc == 0 && !r->o->no_overrefusal) rc = run_over(r, sets, report, err);
    return rc;
}

/* Writes report.json and report.html under dir. */
static int write_reports(const json_t *report, const char *dir, sw_err *err)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/report.json", dir);
    if (json_dump_file(report, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
        return sw_err_set(err, "%s: cannot write", path);
    snprintf(path, sizeof path, "%s/report.html", dir);
    return sw_redteam_write_html(report, path, err);
}

json_t *sw_redteam_run(const sw_redteam_opts *o, sw_err *err)
{
    char dir[PATH_MAX];
    rt_over_set sets[N_OVER_SETS];
    rt_run r = {.o = o, .max_tokens = o->max_tokens > 0 ? o->max_tokens : SW_REDTEAM_MAX_TOKENS_DEFAULT};
    memset(sets, 0, sizeof sets);
    if (o->data_dir) snprintf(dir, sizeof dir, "%s", o->data_dir);
    else if (sw_guard_data_dir(dir, sizeof dir, err) < 0) return NULL;
    if (rt_library_load(dir, o->set, o->converters, &r.lib, err) < 0) return NULL;
    json_t *report = NULL;
    int rc = o->no_overrefusal ? 0 : load_over_sets(dir, o, sets, err);
    if (rc == 0 && o->out_dir) {
        r.attempts_f = open_out(o->out_dir, "attempts.jsonl", err);
        r.over_f = r.attempts_f ? open_out(o->out_dir, "overrefusal.jsonl", err) : NULL;
        rc = r.over_f ? 0 : -1;
    }
    if (rc == 0) rc = rt_target_open(o, &r.target, err);
    if (rc == 0) {
        report = report_head(&r, r.target);
        rc = report ? run_all(&r, sets, report, err) : sw_err_set(err, "redteam: out of memory");
        sw_err cerr;
        if (rt_target_close(r.target, &cerr) < 0 && rc == 0) rc = -1, *err = cerr;
    }
    rc = close_out(r.attempts_f, "attempts.jsonl", rc, err);
    rc = close_out(r.over_f, "overrefusal.jsonl", rc, err);
    if (rc == 0 && o->out_dir) rc = write_reports(report, o->out_dir, err);
    rt_library_free(&r.lib);
    free_over_sets(sets);
    sw_buf_free(&r.prompt);
    sw_buf_free(&r.a.text);
    if (rc < 0) json_decref(report), report = NULL;
    return report;
}
