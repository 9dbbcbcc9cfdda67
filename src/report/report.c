/* report.c - the transparency report of a period: counts computed from the audit log's
 * records (and the oversight store), set out article by article of the Consensus, each
 * figure with the records it came from. */
#include "report_int.h"

#include "steward/guard.h"
#include "steward/store.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define JOULES_PER_KWH 3.6e6
#define MAX_REFS 200 /* record numbers listed per figure at most (the count is exact) */

/* Counts of one period, with the record numbers behind each. */
typedef struct tally {
    int64_t since, until;
    json_int_t generations, refused_input, stopped_output, review, delivered, labels, watermarks;
    json_int_t prompt_tokens, gen_tokens, retained, redactions;
    double joules;
    json_t *energy_methods; /* {method: records} */
    json_t *stops;          /* {category: {"count", "records"}} */
    json_t *oversight;      /* {action: {"count", "records"}} */
    json_t *lineage;        /* {event: {"count", "records"}} */
    json_t *evals;          /* {name: latest evaluation record up to `until`, with "record"} */
    json_t *refs;           /* {"generations": [...], ...}: record numbers of the totals */
    int oom;
} tally;

/* Adds index to the counted entry obj[key] ({"count", "records"}). */
static void count_ref(tally *t, json_t *obj, const char *key, uint64_t index) {
    json_t *e = json_object_get(obj, key);
    if (!e) {
        e = json_pack("{s:I, s:[]}", "count", (json_int_t)0, "records");
        if (!e || json_object_set_new(obj, key, e)) {
            t->oom = 1;
            return;
        }
    }
    json_object_set_new(e, "count", json_integer(json_integer_value(json_object_get(e, "count")) + 1));
    json_t *r = json_object_get(e, "records");
    if (json_array_size(r) < MAX_REFS) json_array_append_new(r, json_integer((json_int_t)index));
}

/* Adds index to the record list of a total. */
static void total_ref(tally *t, const char *key, uint64_t index) {
    json_t *r = json_object_get(t->refs, key);
    if (!r && (!(r = json_array()) || json_object_set_new(t->refs, key, r))) {
        t->oom = 1;
        return;
    }
    if (json_array_size(r) < MAX_REFS) json_array_append_new(r, json_integer((json_int_t)index));
}

/* 1 when a verdict or finding object's "action" is at least a. */
static int action_at_least(const json_t *verdict, sw_guard_action a) {
    const json_t *act = json_object_get(verdict, "action");
    int v = json_is_string(act) ? sw_guard_action_parse(json_string_value(act)) : -1;
    return v >= (int)a;
}

/* The categories of a verdict's findings that stopped it (review or block), and its
 * redactions; each category counted once per record. */
static void tally_verdict(tally *t, const json_t *verdict, uint64_t index) {
    const json_t *fs = json_object_get(verdict, "findings");
    json_t *seen = json_object();
    size_t i;
    const json_t *f;
    json_array_foreach(fs, i, f) {
        const char *cat = json_string_value(json_object_get(f, "category"));
        if (!cat) continue;
        if (action_at_least(f, SW_ACT_REVIEW) && !json_object_get(seen, cat)) {
            json_object_set_new(seen, cat, json_true());
            count_ref(t, t->stops, cat, index);
        }
        const char *act = json_string_value(json_object_get(f, "action"));
        if (act && strcmp(act, "redact") == 0) t->redactions++;
    }
    json_decref(seen);
}

/* Counts one generation record: outcome, stops, labels, watermark, tokens, energy. */
static void tally_generation(tally *t, const json_t *rec, uint64_t index) {
    const json_t *v = json_object_get(rec, "verdicts");
    const json_t *vin = json_object_get(v, "input"), *vout = json_object_get(v, "output");
    const char *fin = json_string_value(json_object_get(rec, "finish_reason"));
    t->generations++;
    total_ref(t, "generations", index);
    int refused = action_at_least(vin, SW_ACT_REVIEW), cut = vout && action_at_least(vout, SW_ACT_REVIEW);
    if (refused) t->refused_input++, total_ref(t, "refused_input", index);
    if (cut) t->stopped_output++, total_ref(t, "stopped_output", index);
    /* a plain answer a person's halt cut short was not delivered: no delivered hash */
    int undelivered = fin && strcmp(fin, "halted") == 0 && !json_object_get(rec, "delivered_sha256");
    if (fin && strcmp(fin, "review") == 0) t->review++, total_ref(t, "review", index);
    if (!refused && !undelivered && !(fin && strcmp(fin, "review") == 0)) t->labels++, total_ref(t, "labels", index);
    if (!refused && !cut && !undelivered) t->delivered++;
    tally_verdict(t, vin, index);
    if (vout) tally_verdict(t, vout, index);
    const json_t *tm = json_object_get(rec, "timings");
    json_int_t gen = json_integer_value(json_object_get(tm, "gen_tokens"));
    t->prompt_tokens += json_integer_value(json_object_get(tm, "prompt_tokens"));
    t->gen_tokens += gen;
    if (json_is_object(json_object_get(rec, "watermark")) && gen > 0) t->watermarks++, total_ref(t, "watermarks", index);
    const json_t *en = json_object_get(rec, "energy");
    if (json_is_number(json_object_get(en, "joules"))) {
        t->joules += json_number_value(json_object_get(en, "joules"));
        const char *m = json_string_value(json_object_get(en, "method"));
        if (sw_report_count(t->energy_methods, m ? m : "unknown") < 0) t->oom = 1;
    }
    if (json_object_get(rec, "retained")) t->retained++;
}

/* The latest evaluation record of each name up to the period's end (evidence may
 * predate the period: it is cited with its date). */
static void tally_eval(tally *t, const json_t *rec, uint64_t index, int64_t when) {
    const char *name = json_string_value(json_object_get(rec, "name"));
    if (!name || when >= t->until) return;
    json_t *e = json_deep_copy(rec);
    if (!e) {
        t->oom = 1;
        return;
    }
    json_object_set_new(e, "record", json_integer((json_int_t)index));
    json_object_set_new(t->evals, name, e);
}

/* Scan callback: evaluations up to the period's end, everything else inside the period.
 * Non-zero on OOM. */
static int tally_record(void *ud, uint64_t index, json_t *rec) {
    tally *t = ud;
    const char *type = json_string_value(json_object_get(rec, "type"));
    int64_t when = sw_report_record_time(rec);
    if (!type) return 0;
    if (strcmp(type, SW_EVAL_RECORD_TYPE) == 0) tally_eval(t, rec, index, when);
    if (when < t->since || when >= t->until) return t->oom;
    if (strcmp(type, "generation") == 0) tally_generation(t, rec, index);
    else if (strcmp(type, "oversight") == 0) {
        const char *a = json_string_value(json_object_get(rec, "action"));
        count_ref(t, t->oversight, a ? a : "unknown", index);
    } else if (strcmp(type, "lineage") == 0) {
        const char *e = json_string_value(json_object_get(rec, "event"));
        count_ref(t, t->lineage, e ? e : "unknown", index);
    }
    return t->oom;
}

/* Frees what a tally holds. */
static void tally_free(tally *t) {
    json_decref(t->energy_methods);
    json_decref(t->stops);
    json_decref(t->oversight);
    json_decref(t->lineage);
    json_decref(t->evals);
    json_decref(t->refs);
}

/* The oversight store's figures of the period: reviews by outcome, feedback by
 * category, the halt switch now. NULL when the server never ran here (no state.db). */
typedef struct store_tally {
    int64_t since, until;
    json_t *reviews, *feedback;
} store_tally;

/* Store callbacks: count the items created in the period. */
static int store_review_fn(void *ud, const sw_review_item *it) {
    store_tally *s = ud;
    if (it->created >= s->since && it->created < s->until) sw_report_count(s->reviews, sw_review_status_name(it->status));
    return 0;
}

static int store_feedback_fn(void *ud, const sw_feedback *f) {
    store_tally *s = ud;
    if (f->created >= s->since && f->created < s->until) sw_report_count(s->feedback, sw_feedback_category_name(f->category));
    return 0;
}

/* Reads the store under home; json null when there is none, NULL with err on a store error. */
static json_t *store_figures(const char *home, int64_t since, int64_t until, sw_err *err) {
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/state.db", home);
    if (stat(path, &st) != 0) return json_null();
    sw_store *db;
    if (sw_store_open(home, &db, err) < 0) return NULL;
    store_tally s = {since, until, json_object(), json_object()};
    int halted = 0;
    long long halt_since = 0;
    json_t *out = NULL;
    if (sw_store_review_list(db, SW_REVIEW_ANY, store_review_fn, &s, err) == 0 &&
        sw_store_feedback_list(db, 0, store_feedback_fn, &s, err) == 0 &&
        sw_store_halt_get(db, &halted, &halt_since, NULL, NULL, err) == 0)
        out = json_pack("{s:O, s:O, s:b, s:I}", "reviews", s.reviews, "feedback", s.feedback, "halted_now", halted,
                        "halt_changed", (json_int_t)halt_since);
    json_decref(s.reviews);
    json_decref(s.feedback);
    sw_store_close(db);
    return out;
}

/* The report's "totals" (NULL on OOM). */
static json_t *totals_json(const tally *t, double grid) {
    double kwh = t->joules / JOULES_PER_KWH;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:f, s:f, s:f, s:O}, s:O, s:O, "
                     "s:O, s:O}",
                     "generations", t->generations, "delivered", t->delivered, "refused_input", t->refused_input,
                     "stopped_output", t->stopped_output, "sent_to_review", t->review, "labels", t->labels,
                     "watermarks", t->watermarks, "prompt_tokens", t->prompt_tokens, "generated_tokens",
                     t->gen_tokens, "redactions", t->redactions, "retained", t->retained, "energy", "joules",
                     t->joules, "co2e_grams", kwh * grid, "grid_gco2e_per_kwh", grid, "methods",
                     t->energy_methods, "stops_by_category", t->stops, "oversight", t->oversight, "lineage",
                     t->lineage, "records", t->refs);
}

json_t *sw_report_build(const sw_report_opts *o, sw_err *err) {
    tally t = {.since = o->since, .until = o->until > 0 ? o->until : (int64_t)time(NULL) + 1};
    t.energy_methods = json_object(), t.stops = json_object(), t.oversight = json_object();
    t.lineage = json_object(), t.evals = json_object(), t.refs = json_object();
    double grid = o->grid > 0 ? o->grid : SW_REPORT_GRID_DEFAULT;
    sw_report_checkpoint cp;
    json_t *report = NULL, *store = NULL;
    if (!t.energy_methods || !t.stops || !t.oversight || !t.lineage || !t.evals || !t.refs) {
        sw_err_set(err, "out of memory");
        goto done;
    }
    if (sw_report_scan(o->home, &cp, tally_record, &t, err) < 0) goto done;
    if (!(store = store_figures(o->home, t.since, t.until, err))) goto done;
    char a[SW_REPORT_ISO_MAX], b[SW_REPORT_ISO_MAX];
    sw_report_iso(t.since, a);
    sw_report_iso(t.until, b);
    report = json_pack("{s:{s:s, s:s}, s:o, s:o, s:O, s:O}", "period", "since", a, "until", b, "checkpoint",
                       sw_report_checkpoint_json(&cp), "totals", totals_json(&t, grid), "oversight_store", store,
                       "evaluations", t.evals);
    if (report) json_object_set_new(report, "articles", sw_report_articles(report));
    if (!report || !json_is_array(json_object_get(report, "articles"))) {
        json_decref(report);
        report = NULL;
        sw_err_set(err, "out of memory building the report");
    }
done:
    json_decref(store);
    tally_free(&t);
    return report;
}
