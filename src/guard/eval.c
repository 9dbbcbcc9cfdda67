/* eval.c - guard evaluation on labelled JSONL: precision, recall, F1 and false-positive
 * rate per category, a confusion table, false-positive rates per benign source, and per
 * source of every label what the user gets: the stop and alarm rates of the verdict. */
#include "guard_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *CATS[] = {"prompt_injection", "jailbreak", "harmful"};
#define NCATS 3
#define NPRED (NCATS + 1) /* "none" last */

/* The evaluated category of a finding: Llama Guard harm codes and the harmful head are
 * "harmful"; -1 for findings that are not about requests (PII, profanity, ...). */
static int cat_of(const sw_guard_finding *f) {
    for (int i = 0; i < NCATS; i++)
        if (strcmp(f->category, CATS[i]) == 0) return i;
    if (f->category[0] == 'S' && f->category[1] >= '1' && f->category[1] <= '9') return 2;
    return -1;
}

typedef struct {
    char name[48];
    int n, flagged;
} source_stat;

#define MAX_SOURCES 64

/* What the user gets from one source: the verdict's action, as `steward scan` answers. */
typedef struct {
    char name[48], label[24];
    int n, stopped, alarmed; /* stopped: review or block; alarmed: flag or more */
    json_t *causes;          /* "category:type action" -> texts where such a finding alarmed */
} action_stat;

/* The counts of an evaluation, filled one example at a time. */
typedef struct eval_state {
    const sw_guard *g;
    sw_guard_scan_opts so; /* input; the source every example is scanned as */
    int tp[NCATS], fp[NCATS], fn[NCATS], tn[NCATS], bfp[NCATS], nbenign, n;
    int conf[NCATS + 1][NPRED]; /* true label (benign = NCATS) x predicted */
    source_stat src[MAX_SOURCES];
    int nsrc;
    action_stat act[MAX_SOURCES];
    int nact;
} eval_state;

static void count_source(eval_state *st, const char *source, int flagged) {
    const char *sname = source ? source : "benign";
    int s = 0;
    while (s < st->nsrc && strcmp(st->src[s].name, sname) != 0) s++;
    if (s == st->nsrc && st->nsrc < MAX_SOURCES) {
        snprintf(st->src[s].name, sizeof st->src[s].name, "%s", sname);
        st->src[s].n = st->src[s].flagged = 0;
        st->nsrc++;
    }
    if (s < st->nsrc) {
        st->src[s].n++;
        st->src[s].flagged += flagged;
    }
}

/* Adds one to causes[key] for each distinct "category:type action" of v's findings that
 * are flagged, reviewed or blocked (a redaction is no alarm). -1 on OOM. */
static int count_causes(json_t *causes, const sw_guard_verdict *v) {
    json_t *seen = json_object();
    int rc = seen ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < v->n_findings; k++) {
        const sw_guard_finding *f = &v->findings[k];
        if (f->action != SW_ACT_FLAG && f->action < SW_ACT_REVIEW) continue;
        char key[sizeof f->category + sizeof f->type + 16];
        snprintf(key, sizeof key, "%s:%s %s", f->category, f->type, sw_guard_action_name(f->action));
        if (json_object_get(seen, key)) continue;
        json_t *c = json_object_get(causes, key);
        if (json_object_set_new(seen, key, json_true()) < 0 ||
            json_object_set_new(causes, key, json_integer(json_integer_value(c) + 1)) < 0)
            rc = -1;
    }
    json_decref(seen);
    return rc;
}

/* Counts what the verdict v gives the user, for the example's source (its label when it
 * has none; sources past MAX_SOURCES are counted under "other"): stopped when it is review
 * or block, alarmed when it is flag, review or block or any finding is flagged (a redacted
 * text goes through, but a flag beside the redaction is still an alarm), and which
 * findings alarmed. Returns 0, or -1 on OOM. */
static int count_action(eval_state *st, const sw_guard_verdict *v, const gjsonl_rec *r) {
    sw_guard_action a = v->action;
    int flagged = sw_guard_verdict_alarmed(v);
    const char *sname = r->source ? r->source : r->label;
    int s = 0;
    while (s < st->nact && strcmp(st->act[s].name, sname) != 0) s++;
    if (s == st->nact && st->nact == MAX_SOURCES - 1) { /* the last slot collects the rest */
        sname = "other";
        for (s = 0; s < st->nact && strcmp(st->act[s].name, sname) != 0;) s++;
    }
    if (s == st->nact) {
        snprintf(st->act[s].name, sizeof st->act[s].name, "%s", sname);
        snprintf(st->act[s].label, sizeof st->act[s].label, "%s", r->label);
        if (!(st->act[s].causes = json_object())) return -1;
        st->nact++;
    }
    st->act[s].n++;
    st->act[s].stopped += a >= SW_ACT_REVIEW;
    st->act[s].alarmed += flagged;
    return count_causes(st->act[s].causes, v);
}

/* Frees the per-source causes still held by st (after a failure). */
static void free_causes(eval_state *st) {
    for (int s = 0; s < st->nact; s++) json_decref(st->act[s].causes);
}

static int eval_one(void *ud, const gjsonl_rec *r, sw_err *err) {
    eval_state *st = ud;
    int truth = -1;
    if (strcmp(r->label, "benign") == 0) truth = NCATS;
    for (int c = 0; c < NCATS; c++)
        if (strcmp(r->label, CATS[c]) == 0) truth = c;
    if (truth < 0)
        return sw_err_set(err, "%s:%d: label \"%s\" is not benign, prompt_injection, jailbreak or harmful", r->path,
                          r->line, r->label);
    sw_guard_verdict v;
    if (sw_guard_scan_opts_scan(st->g, &st->so, r->text, r->len, &v, err) < 0) {
        sw_guard_verdict_free(&v);
        return -1;
    }
    if (count_action(st, &v, r) < 0) {
        sw_guard_verdict_free(&v);
        return sw_err_set(err, "out of memory");
    }
    /* predicted: categories with a finding the policy sends to review or blocks */
    int pred[NCATS] = {0}, top = NCATS;
    double best = -1;
    for (size_t k = 0; k < v.n_findings; k++) {
        const sw_guard_finding *f = &v.findings[k];
        int c = cat_of(f);
        if (c < 0 || f->action < SW_ACT_REVIEW) continue;
        pred[c] = 1;
        if (f->score > best) {
            best = f->score;
            top = c;
        }
    }
    sw_guard_verdict_free(&v);
    for (int c = 0; c < NCATS; c++) {
        int y = truth == c;
        st->tp[c] += y && pred[c];
        st->fn[c] += y && !pred[c];
        st->fp[c] += !y && pred[c];
        st->tn[c] += !y && !pred[c];
        st->bfp[c] += truth == NCATS && pred[c];
    }
    st->nbenign += truth == NCATS;
    st->conf[truth][top]++;
    if (truth == NCATS) count_source(st, r->source, top != NCATS);
    st->n++;
    return 0;
}

json_t *sw_guard_eval(const sw_guard *g, const char *path, sw_err *err) {
    return sw_guard_eval_source(g, path, SW_TEXT_USER, err);
}

json_t *sw_guard_eval_source(const sw_guard *g, const char *path, sw_guard_text_source source, sw_err *err) {
    if (sw_guard_text_source_parse(sw_guard_text_source_name(source)) != (int)source) {
        sw_err_set(err, "guard eval: unknown text source %d", (int)source);
        return NULL;
    }
    eval_state *st = calloc(1, sizeof *st);
    if (!st) {
        sw_err_set(err, "out of memory");
        return NULL;
    }
    st->g = g;
    st->so = (sw_guard_scan_opts){.dir = SW_GUARD_INPUT, .source = source};
    if (gjsonl_each(path, 1, eval_one, st, err) < 0) {
        free_causes(st);
        free(st);
        return NULL;
    }
    int *tp = st->tp, *fp = st->fp, *fn = st->fn, *tn = st->tn, nbenign = st->nbenign, nsrc = st->nsrc, n = st->n;
    int *bfp = st->bfp;
    source_stat *src = st->src;
    json_t *out = json_object(), *cats = json_object(), *cm = json_object(), *bs = json_object();
    for (int c = 0; c < NCATS; c++) {
        double p = tp[c] + fp[c] ? (double)tp[c] / (tp[c] + fp[c]) : 0, r = tp[c] + fn[c] ? (double)tp[c] / (tp[c] + fn[c]) : 0;
        json_t *x = json_object();
        json_object_set_new(x, "support", json_integer(tp[c] + fn[c]));
        json_object_set_new(x, "tp", json_integer(tp[c]));
        json_object_set_new(x, "fp", json_integer(fp[c]));
        json_object_set_new(x, "fn", json_integer(fn[c]));
        json_object_set_new(x, "tn", json_integer(tn[c]));
        json_object_set_new(x, "precision", json_real(p));
        json_object_set_new(x, "recall", json_real(r));
        json_object_set_new(x, "f1", json_real(p + r > 0 ? 2 * p * r / (p + r) : 0));
        /* false-positive rate on benign examples (other attack labels are not "false") */
        json_object_set_new(x, "fpr", json_real(nbenign ? (double)bfp[c] / nbenign : 0));
        json_object_set_new(cats, CATS[c], x);
    }
    for (int t = 0; t <= NCATS; t++) {
        json_t *row = json_object();
        for (int p = 0; p < NPRED; p++)
            json_object_set_new(row, p == NCATS ? "none" : CATS[p], json_integer(st->conf[t][p]));
        json_object_set_new(cm, t == NCATS ? "benign" : CATS[t], row);
    }
    for (int s = 0; s < nsrc; s++) {
        json_t *x = json_object();
        json_object_set_new(x, "n", json_integer(src[s].n));
        json_object_set_new(x, "flagged", json_integer(src[s].flagged));
        json_object_set_new(x, "fpr", json_real(src[s].n ? (double)src[s].flagged / src[s].n : 0));
        json_object_set_new(bs, src[s].name, x);
    }
    json_t *as = json_object();
    for (int s = 0; s < st->nact; s++) {
        const action_stat *a = &st->act[s];
        json_t *x = json_object();
        json_object_set_new(x, "label", json_string(a->label));
        json_object_set_new(x, "n", json_integer(a->n));
        json_object_set_new(x, "stopped", json_integer(a->stopped));
        json_object_set_new(x, "alarmed", json_integer(a->alarmed));
        json_object_set_new(x, "stop_rate", json_real(a->n ? (double)a->stopped / a->n : 0));
        json_object_set_new(x, "alarm_rate", json_real(a->n ? (double)a->alarmed / a->n : 0));
        json_object_set_new(x, "causes", a->causes);
        json_object_set_new(as, a->name, x);
    }
    json_object_set_new(out, "examples", json_integer(n));
    json_object_set_new(out, "source", json_string(sw_guard_text_source_name(source)));
    json_object_set_new(out, "rules_refused", json_integer((json_int_t)sw_guard_rules_refused(g)));
    json_object_set_new(out, "policy_hash", json_string(sw_guard_policy_hash(g)));
    json_object_set_new(out, "classifier", json_boolean(sw_guard_has_classifier(g)));
    json_object_set_new(out, "categories", cats);
    json_object_set_new(out, "confusion", cm);
    json_object_set_new(out, "benign_fpr_by_source", bs);
    json_object_set_new(out, "actions_by_source", as);
    free(st);
    return out;
}
