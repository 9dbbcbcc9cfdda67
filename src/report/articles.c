/* articles.c - the report's sections, one per article of the Consensus (02, 05-10): the
 * controls in force, the measured evidence of each (figure, command, when, records), and
 * plainly what evidence is missing. */
#include "report_int.h"

#include <string.h>

/* The hint for evaluations whose command does not record its figures yet. */
#define NO_RECORDER "no command records it yet: an evaluation record with this name would be cited (docs/report.md)"

/* One article under construction. */
typedef struct article {
    json_t *obj, *controls, *missing;
} article;

/* Appends a new article (id, title, empty controls and missing) to arr; on OOM its
 * members are NULL and the additions below do nothing. */
static article article_new(json_t *arr, const char *id, const char *title) {
    article a = {json_pack("{s:s, s:s, s:[], s:[]}", "id", id, "title", title, "controls", "missing"), NULL, NULL};
    if (a.obj && json_array_append_new(arr, a.obj) == 0) {
        a.controls = json_object_get(a.obj, "controls");
        a.missing = json_object_get(a.obj, "missing");
    }
    return a;
}

/* Adds a control with one piece of evidence (figure stolen; records borrowed, may be NULL). */
static void control(article *a, const char *name, const char *what, json_t *figure, const char *command,
                    const char *when, const json_t *records) {
    json_t *ev = json_pack("{s:s, s:o, s:s, s:s}", "what", what, "figure", figure ? figure : json_null(), "command",
                           command, "when", when);
    if (ev && records) json_object_set(ev, "records", (json_t *)records);
    json_t *c = json_pack("{s:s, s:[o]}", "name", name, "evidence", ev);
    json_array_append_new(a->controls, c);
}

/* Adds a sentence to the article's missing evidence. */
static void missing(article *a, const char *text) { json_array_append_new(a->missing, json_string(text)); }

/* Fields of the report that the sections read. */
typedef struct src {
    const json_t *totals, *refs, *evals, *store, *checkpoint;
    char period[2 * SW_REPORT_ISO_MAX + 8];
} src;

/* A new reference to totals[key] (NULL when absent); refs: the record numbers of a total. */
static json_t *total(const src *s, const char *key) {
    return json_incref(json_object_get(s->totals, key));
}
static const json_t *refs(const src *s, const char *key) { return json_object_get(s->refs, key); }

/* Cites the latest evaluation record `name`, or says that there is none and how to get
 * one (how: a hint in words). */
static void eval_control(article *a, const src *s, const char *control_name, const char *name, const char *how) {
    const json_t *e = json_object_get(s->evals, name);
    if (!e) {
        char text[512];
        snprintf(text, sizeof text, "%s: no '%s' evaluation recorded in the audit log (%s)", control_name, name, how);
        missing(a, text);
        return;
    }
    char when[SW_REPORT_ISO_MAX];
    sw_report_iso(sw_report_record_time(e), when);
    json_t *rec = json_pack("[O]", json_object_get(e, "record"));
    const char *cmd = json_string_value(json_object_get(e, "command"));
    control(a, control_name, "latest evaluation record", json_incref(json_object_get(e, "figures")), cmd ? cmd : name,
            when, rec);
    json_decref(rec);
}

/* Article 02, green development: energy and CO2e. */
static void art02(json_t *arr, const src *s) {
    article a = article_new(arr, "02", "Green development");
    const json_t *en = json_object_get(s->totals, "energy");
    control(&a, "energy measured per request", "joules over the period's generations (methods and counts)",
            json_pack("{s:O, s:O}", "joules", json_object_get(en, "joules"), "methods", json_object_get(en, "methods")),
            "steward report", s->period, refs(s, "generations"));
    control(&a, "carbon accounting", "grams CO2e = joules / 3.6e6 x grid intensity (g/kWh)",
            json_pack("{s:O, s:O}", "co2e_grams", json_object_get(en, "co2e_grams"), "grid_gco2e_per_kwh",
                      json_object_get(en, "grid_gco2e_per_kwh")),
            "steward report --grid G", s->period, refs(s, "generations"));
    if (json_integer_value(json_object_get(s->totals, "generations")) == 0)
        missing(&a, "no generation in the period: no energy was measured");
    if (!json_object_get(json_object_get(s->totals, "lineage"), "train"))
        missing(&a, "no training run recorded in the period (lineage event 'train')");
}

/* Article 05, safety and control: the guards, review, disclosure, oversight. */
static void art05(json_t *arr, const src *s) {
    article a = article_new(arr, "05", "Safe, robust and controllable");
    control(&a, "input guard", "requests refused or held at input", total(s, "refused_input"), "steward generate / serve",
            s->period, refs(s, "refused_input"));
    control(&a, "output guard", "outputs cut or held by the output guard", total(s, "stopped_output"),
            "steward generate / serve", s->period, refs(s, "stopped_output"));
    control(&a, "stops by category", "records stopped (review or block), per finding category",
            total(s, "stops_by_category"), "steward generate / serve", s->period, NULL);
    control(&a, "human review", "generations sent to review", total(s, "sent_to_review"), "steward serve", s->period,
            refs(s, "review"));
    control(&a, "disclosure that the user talks to an AI", "deliveries carrying the explicit label",
            total(s, "labels"), "steward generate / serve", s->period, refs(s, "labels"));
    control(&a, "oversight actions (review decisions, takeovers, halts)", "oversight records by action",
            total(s, "oversight"), "steward serve (oversight API)", s->period, NULL);
    if (json_is_null(s->store) || !s->store)
        missing(&a, "no oversight store (state.db): the server has not run here, so review outcomes, takeovers "
                    "and halts were not exercised");
    else
        control(&a, "review outcomes and kill switch", "oversight store: reviews by status, halt state now",
                json_pack("{s:O, s:O}", "reviews", json_object_get(s->store, "reviews"), "halted_now",
                          json_object_get(s->store, "halted_now")),
                "steward serve", s->period, NULL);
    eval_control(&a, s, "guard accuracy", "guard", NO_RECORDER);
    eval_control(&a, s, "red-team testing", "redteam", "run 'steward eval redteam --record'");
}

/* Article 06, transparency: explanations, card, report, feedback. */
static void art06(json_t *arr, const src *s) {
    article a = article_new(arr, "06", "Transparency and explainability");
    json_int_t stops = json_integer_value(json_object_get(s->totals, "refused_input")) +
                       json_integer_value(json_object_get(s->totals, "stopped_output"));
    control(&a, "explained guard decisions", "stopped requests whose record carries the verdict and its findings",
            json_integer(stops), "steward audit show N", s->period, refs(s, "refused_input"));
    control(&a, "system card", "built on demand from the model, the policy, the keys and this log", json_null(),
            "steward card", s->period, NULL);
    control(&a, "transparency report", "this report, computed at the checkpoint it carries",
            json_incref((json_t *)s->checkpoint), "steward report", s->period, NULL);
    if (!s->store || json_is_null(s->store))
        missing(&a, "feedback channel: no oversight store (state.db), so no user feedback was collected");
    else
        control(&a, "feedback channel", "feedback received in the period, by category",
                json_incref(json_object_get(s->store, "feedback")), "steward serve (feedback)", s->period,
                NULL);
}

/* Article 07, data governance: redaction, retention, dataset lineage. */
static void art07(json_t *arr, const src *s) {
    article a = article_new(arr, "07", "Data governance and privacy");
    control(&a, "PII redaction at run time", "findings redacted by the guards", total(s, "redactions"),
            "steward generate / serve", s->period, NULL);
    control(&a, "encrypted, expiring retention", "records whose content is retained (encrypted)", total(s, "retained"),
            "steward audit forget --older-than-days D", s->period, NULL);
    const json_t *data = json_object_get(json_object_get(s->totals, "lineage"), "data");
    if (data)
        control(&a, "training-data pipeline with lineage", "dataset lineage records", json_incref(json_object_get(data, "count")),
                "steward data build", s->period, json_object_get(data, "records"));
    else
        missing(&a, "no dataset lineage record in the period (steward data build)");
}

/* Article 08, fairness: the bias evaluation. */
static void art08(json_t *arr, const src *s) {
    article a = article_new(arr, "08", "Fairness and inclusiveness");
    eval_control(&a, s, "bias of the guard and the model", "bias", "run 'steward eval bias --record'");
}

/* Article 09, accountability: the log, lineage, the sandbox. */
static void art09(json_t *arr, const src *s) {
    article a = article_new(arr, "09", "Accountability, traceability and sandbox");
    control(&a, "append-only Merkle audit log", "records and root this report was computed at",
            json_incref((json_t *)s->checkpoint), "steward audit verify", s->period, NULL);
    control(&a, "lineage of data, models, policies and keys", "lineage records by event", total(s, "lineage"),
            "steward audit lineage", s->period, NULL);
    eval_control(&a, s, "sandbox replay of a candidate configuration", "replay",
                 "run 'steward eval replay --policy NEW', which records itself");
    const json_t *cp = s->checkpoint;
    if (!json_object_get(cp, "signed_size"))
        missing(&a, "no signed checkpoint in the log yet");
    else if (json_integer_value(json_object_get(cp, "signed_size")) < json_integer_value(json_object_get(cp, "size")))
        missing(&a, "the latest signed checkpoint does not yet cover every record read");
}

/* Article 10, value alignment: watermark, labels, filters, red-teaming. */
static void art10(json_t *arr, const src *s) {
    article a = article_new(arr, "10", "Value alignment");
    control(&a, "statistical watermark", "generations watermarked", total(s, "watermarks"), "steward generate / serve",
            s->period, refs(s, "watermarks"));
    control(&a, "content labels (explicit and signed implicit)", "deliveries labelled", total(s, "labels"),
            "steward generate / serve", s->period, refs(s, "labels"));
    control(&a, "keyword and classifier filters", "records stopped, per finding category", total(s, "stops_by_category"),
            "steward generate / serve", s->period, NULL);
    eval_control(&a, s, "red-team testing", "redteam", "run 'steward eval redteam --record'");
}

json_t *sw_report_articles(const json_t *report) {
    src s = {json_object_get(report, "totals"), NULL, json_object_get(report, "evaluations"),
             json_object_get(report, "oversight_store"), json_object_get(report, "checkpoint"), ""};
    s.refs = json_object_get(s.totals, "records");
    const json_t *p = json_object_get(report, "period");
    snprintf(s.period, sizeof s.period, "%s/%s", json_string_value(json_object_get(p, "since")),
             json_string_value(json_object_get(p, "until")));
    json_t *arr = json_array();
    if (!arr) return NULL;
    art02(arr, &s);
    art05(arr, &s);
    art06(arr, &s);
    art07(arr, &s);
    art08(arr, &s);
    art09(arr, &s);
    art10(arr, &s);
    return arr;
}
