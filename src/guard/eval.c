/* eval.c - guard evaluation on labelled JSONL: precision, recall, F1 and false-positive
 * rate per category, a confusion table, and false-positive rates per benign source. */
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

json_t *sw_guard_eval(const sw_guard *g, const char *path, sw_err *err) {
    sw_buf b = {0};
    if (sw_read_file(path, &b, err) < 0) {
        sw_buf_free(&b);
        return NULL;
    }
    int tp[NCATS] = {0}, fp[NCATS] = {0}, fn[NCATS] = {0}, tn[NCATS] = {0}, bfp[NCATS] = {0}, nbenign = 0;
    int conf[NCATS + 1][NPRED] = {{0}}; /* true label (benign = NCATS) x predicted */
    source_stat src[64];
    int nsrc = 0, line = 0, n = 0, rc = 0;
    size_t i = 0;
    const char *l;
    size_t ll;
    while (rc == 0 && sw_next_line(b.data, b.len, &i, &line, &l, &ll)) {
        if (ll == 0) continue;
        json_error_t je;
        json_t *o = json_loadb(l, ll, 0, &je);
        json_t *jt = json_object_get(o, "text");
        const char *lab = json_string_value(json_object_get(o, "label"));
        const char *source = json_string_value(json_object_get(o, "source"));
        int truth = -1;
        if (lab) {
            if (strcmp(lab, "benign") == 0) truth = NCATS;
            for (int c = 0; c < NCATS; c++)
                if (strcmp(lab, CATS[c]) == 0) truth = c;
        }
        if (!json_is_string(jt) || truth < 0) {
            json_decref(o);
            rc = sw_err_set(err, "%s:%d: expected {\"text\": ..., \"label\": benign|prompt_injection|jailbreak|harmful}",
                            path, line);
            break;
        }
        sw_guard_verdict v;
        if (sw_guard_scan(g, SW_GUARD_INPUT, json_string_value(jt), json_string_length(jt), &v, err) < 0) {
            sw_guard_verdict_free(&v);
            json_decref(o);
            rc = -1;
            break;
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
            tp[c] += y && pred[c];
            fn[c] += y && !pred[c];
            fp[c] += !y && pred[c];
            tn[c] += !y && !pred[c];
            bfp[c] += truth == NCATS && pred[c];
        }
        nbenign += truth == NCATS;
        conf[truth][top]++;
        if (truth == NCATS) {
            const char *sname = source ? source : "benign";
            int s = 0;
            while (s < nsrc && strcmp(src[s].name, sname) != 0) s++;
            if (s == nsrc && nsrc < 64) {
                snprintf(src[nsrc].name, sizeof src[nsrc].name, "%s", sname);
                src[nsrc].n = src[nsrc].flagged = 0;
                nsrc++;
            }
            if (s < nsrc) {
                src[s].n++;
                src[s].flagged += top != NCATS;
            }
        }
        n++;
        json_decref(o);
    }
    sw_buf_free(&b);
    if (rc < 0) return NULL;
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
        for (int p = 0; p < NPRED; p++) json_object_set_new(row, p == NCATS ? "none" : CATS[p], json_integer(conf[t][p]));
        json_object_set_new(cm, t == NCATS ? "benign" : CATS[t], row);
    }
    for (int s = 0; s < nsrc; s++) {
        json_t *x = json_object();
        json_object_set_new(x, "n", json_integer(src[s].n));
        json_object_set_new(x, "flagged", json_integer(src[s].flagged));
        json_object_set_new(x, "fpr", json_real(src[s].n ? (double)src[s].flagged / src[s].n : 0));
        json_object_set_new(bs, src[s].name, x);
    }
    json_object_set_new(out, "examples", json_integer(n));
    json_object_set_new(out, "policy_hash", json_string(sw_guard_policy_hash(g)));
    json_object_set_new(out, "classifier", json_boolean(sw_guard_has_classifier(g)));
    json_object_set_new(out, "categories", cats);
    json_object_set_new(out, "confusion", cm);
    json_object_set_new(out, "benign_fpr_by_source", bs);
    return out;
}
