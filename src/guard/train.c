/* train.c - `steward guard train`: AdaGrad logistic regression for each classifier head
 * over hashed n-grams, then calibration of each head on a validation split. */
#include "guard_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAIN_WINDOW 2048
#define L2_DEFAULT 1e-4
#define LR 0.2
#define TARGET_FPR_DEFAULT 0.002
#define OPERATING_SCORE 0.85 /* a head's threshold maps to this score */
#define SOURCES_MAX 256      /* distinct "source" names told apart in calibration */
#define SOURCE_MIN_NEG 20    /* a source with fewer negatives is calibrated with the others only */

/* Heads and which labels are positive; labels listed in `skip` are left out of the
 * head's training (a jailbreak is neither a positive nor a negative for injection). */
static const struct { const char *name, *pos, *skip1, *skip2; } HEADS[] = {
    {"prompt_injection", "prompt_injection", "jailbreak", NULL},
    {"jailbreak", "jailbreak", "prompt_injection", NULL},
    {"harmful", "harmful", "jailbreak", "prompt_injection"},
};
#define NHEADS 3

typedef struct {
    uint32_t *f; /* feature buckets (with repeats) */
    size_t nf;
    int label;   /* index into LABELS */
    int src;     /* index into dataset.src (0: none or too many sources) */
} example;

static const char *LABELS[] = {"benign", "prompt_injection", "jailbreak", "harmful"};

static int label_index(const char *s) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, LABELS[i]) == 0) return i;
    return -1;
}

/* -1 skip, 0 negative, 1 positive */
static int head_y(int h, int label) {
    const char *l = LABELS[label];
    if (strcmp(l, HEADS[h].pos) == 0) return 1;
    if ((HEADS[h].skip1 && strcmp(l, HEADS[h].skip1) == 0) || (HEADS[h].skip2 && strcmp(l, HEADS[h].skip2) == 0))
        return -1;
    return 0;
}

typedef struct {
    uint32_t *f;
    size_t n, cap;
    uint32_t mask;
    int oom;
} fcollect;

static void collect(uint32_t h, size_t st, size_t len, void *ud) {
    fcollect *c = ud;
    (void)st;
    (void)len;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        uint32_t *p = realloc(c->f, cap * sizeof *p);
        if (!p) {
            c->oom = 1;
            return;
        }
        c->f = p;
        c->cap = cap;
    }
    c->f[c->n++] = h & c->mask;
}

typedef struct {
    example *e;
    size_t n, cap;
    char **texts; /* kept for calibration (valid set only) */
    char *src[SOURCES_MAX]; /* source names; src[0] is NULL (no source) */
    int nsrc;
} dataset;

static void dataset_free(dataset *d) {
    for (size_t i = 0; i < d->n; i++) free(d->e[i].f);
    if (d->texts)
        for (size_t i = 0; i < d->n; i++) free(d->texts[i]);
    for (int i = 0; i < d->nsrc; i++) free(d->src[i]);
    free(d->e);
    free(d->texts);
    memset(d, 0, sizeof *d);
}

/* The index of source name s in d (added when new); 0 for none, for too many sources, or
 * when out of memory (calibration then pools those texts). */
static int source_index(dataset *d, const char *s) {
    if (!s || !*s) return 0;
    if (d->nsrc == 0) d->nsrc = 1; /* slot 0: no source */
    for (int i = 1; i < d->nsrc; i++)
        if (strcmp(d->src[i], s) == 0) return i;
    if (d->nsrc == SOURCES_MAX || !(d->src[d->nsrc] = strdup(s))) return 0;
    return d->nsrc++;
}

/* What load() gathers: the features of each example (and its text when kept). */
typedef struct load_state {
    dataset *d;
    uint32_t mask;
    int keep_text;
} load_state;

static int load_one(void *ud, const gjsonl_rec *r, sw_err *err) {
    load_state *st = ud;
    dataset *d = st->d;
    int li = label_index(r->label);
    if (li < 0)
        return sw_err_set(err, "%s:%d: label \"%s\" is not benign, prompt_injection, jailbreak or harmful", r->path,
                          r->line, r->label);
    sw_guard_norm nm;
    if (sw_guard_normalize(r->text, r->len, &nm, err) < 0) {
        sw_guard_norm_free(&nm);
        return -1;
    }
    size_t n = nm.match.len > TRAIN_WINDOW ? TRAIN_WINDOW : nm.match.len;
    while (n < nm.match.len && n > 0 && ((unsigned char)nm.match.s[n] & 0xC0) == 0x80) n--;
    fcollect fc = {NULL, 0, 0, st->mask, 0};
    gclf_features(nm.match.s, n, collect, &fc);
    sw_guard_norm_free(&nm);
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        example *e = realloc(d->e, cap * sizeof *e);
        char **t = st->keep_text ? realloc(d->texts, cap * sizeof *t) : d->texts;
        if (e) d->e = e;
        if (t) d->texts = t;
        if (!e || (st->keep_text && !t)) fc.oom = 1;
        else d->cap = cap;
    }
    char *kept = st->keep_text && !fc.oom ? strdup(r->text) : NULL;
    if (fc.oom || (st->keep_text && !kept)) {
        free(fc.f);
        free(kept);
        return sw_err_set(err, "%s:%d: out of memory", r->path, r->line);
    }
    d->e[d->n] = (example){fc.f, fc.n, li, source_index(d, r->source)};
    if (st->keep_text) d->texts[d->n] = kept;
    d->n++;
    return 0;
}

/* Reads a labelled JSONL file into d. -1 with err naming path:line. */
static int load(const char *path, uint32_t mask, int keep_text, dataset *d, sw_err *err) {
    load_state st = {d, mask, keep_text};
    int rc = gjsonl_each(path, 1, load_one, &st, err);
    if (rc == 0 && d->n == 0) rc = sw_err_set(err, "%s: no examples", path);
    return rc;
}

static uint64_t rng_next(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The raw-logit threshold that lets at most target_fpr of head h's validation negatives
 * (of source src, or all when src < 0) through; neg is scratch space for d->n values, *nn
 * receives the number of negatives. 0 when there are none. */
static double threshold_of(const dataset *d, const double *raw, int h, int src, double target_fpr, double *neg,
                           size_t *nn) {
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (head_y(h, d->e[i].label) == 0 && (src < 0 || d->e[i].src == src)) neg[n++] = raw[i * NHEADS + (size_t)h];
    *nn = n;
    if (!n) return 0;
    qsort(neg, n, sizeof *neg, cmp_desc);
    size_t allowed = (size_t)floor(target_fpr * (double)n);
    return allowed < n ? neg[allowed] + 1e-6 : neg[n - 1];
}

int sw_guard_clf_train(const sw_guard_train_opts *o, sw_guard_train_report *rep, sw_err *err) {
    uint64_t t0 = sw_now_ns();
    memset(rep, 0, sizeof *rep);
    int epochs = o->epochs > 0 ? o->epochs : 8;
    float l2 = (float)(o->l2 > 0 ? o->l2 : L2_DEFAULT);
    uint32_t bits = o->dim_bits > 0 ? (uint32_t)o->dim_bits : 17;
    if (bits < 8 || bits > 24) return sw_err_set(err, "dim_bits must be 8..24");
    size_t dim = (size_t)1 << bits;
    dataset tr = {0}, va = {0};
    if (load(o->train_path, (uint32_t)dim - 1, 0, &tr, err) < 0 || load(o->valid_path, (uint32_t)dim - 1, 1, &va, err) < 0) {
        dataset_free(&tr);
        dataset_free(&va);
        return -1;
    }
    float *w[NHEADS], *g2[NHEADS], bias[NHEADS] = {0}, gb[NHEADS] = {0}, shift[NHEADS] = {0};
    int rc = 0;
    for (int h = 0; h < NHEADS; h++) {
        w[h] = calloc(dim, sizeof(float));
        g2[h] = calloc(dim, sizeof(float));
        if (!w[h] || !g2[h]) rc = sw_err_set(err, "out of memory for %zu weights", dim);
    }
    size_t *order = malloc(tr.n * sizeof *order);
    if (!order) rc = sw_err_set(err, "out of memory");
    /* class weights balance positives and negatives in each head */
    double cw[NHEADS][2];
    for (int h = 0; h < NHEADS && rc == 0; h++) {
        int np = 0, nn = 0;
        for (size_t i = 0; i < tr.n; i++) {
            int y = head_y(h, tr.e[i].label);
            np += y == 1;
            nn += y == 0;
        }
        if (np == 0 || nn == 0) rc = sw_err_set(err, "%s: head %s has no %s examples", o->train_path, HEADS[h].name, np ? "negative" : "positive");
        rep->n_pos[h] = np;
        rep->n_neg[h] = nn;
        cw[h][1] = np ? (double)(np + nn) / (2.0 * np) : 0;
        cw[h][0] = nn ? (double)(np + nn) / (2.0 * nn) : 0;
    }
    uint64_t seed = o->seed ? o->seed : 42;
    for (size_t i = 0; i < tr.n && order; i++) order[i] = i;
    for (int ep = 0; ep < epochs && rc == 0; ep++) {
        for (size_t i = tr.n; i > 1; i--) { /* Fisher-Yates */
            size_t j = (size_t)(rng_next(&seed) % i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; k < tr.n; k++) {
            const example *e = &tr.e[order[k]];
            if (!e->nf) continue;
            float norm = gclf_norm(e->nf);
            for (int h = 0; h < NHEADS; h++) {
                int y = head_y(h, e->label);
                if (y < 0) continue;
                double z = bias[h];
                for (size_t f = 0; f < e->nf; f++) z += w[h][e->f[f]] * norm;
                double p = 1.0 / (1.0 + exp(-z));
                float g = (float)((p - y) * cw[h][y]);
                gb[h] += g * g;
                bias[h] -= (float)(LR * g / sqrt(gb[h] + 1e-8));
                float gf = g * norm;
                for (size_t f = 0; f < e->nf; f++) {
                    uint32_t b = e->f[f];
                    float gg = gf + l2 * w[h][b];
                    g2[h][b] += gg * gg;
                    w[h][b] -= (float)(LR * gg / sqrt(g2[h][b] + 1e-8));
                }
            }
        }
    }
    char names[NHEADS][32];
    for (int h = 0; h < NHEADS; h++) snprintf(names[h], 32, "%s", HEADS[h].name);
    /* calibrate the quantised model: write it with no shift, read it back, score valid */
    if (rc == 0) rc = gclf_write(o->out_path, bits, NHEADS, names, bias, shift, w, err);
    sw_guard_clf *c = rc == 0 ? sw_guard_clf_load(o->out_path, err) : NULL;
    if (rc == 0 && !c) rc = -1;
    double *raw = rc == 0 ? malloc(va.n * NHEADS * sizeof *raw) : NULL;
    if (rc == 0 && !raw) rc = sw_err_set(err, "out of memory");
    for (size_t i = 0; i < va.n && rc == 0; i++) {
        double sc[SW_CLF_MAX_HEADS];
        if (sw_guard_clf_score(c, va.texts[i], strlen(va.texts[i]), sc, NULL, err) < 0) rc = -1;
        for (int h = 0; h < NHEADS; h++) raw[i * NHEADS + (size_t)h] = log(sc[h] / (1 - sc[h] + 1e-300) + 1e-300);
    }
    double *neg = rc == 0 ? malloc((va.n + 1) * sizeof *neg) : NULL;
    double target_fpr = o->target_fpr > 0 ? o->target_fpr : TARGET_FPR_DEFAULT;
    for (int h = 0; h < NHEADS && rc == 0 && neg; h++) {
        size_t nn = 0, np = 0;
        double t = threshold_of(&va, raw, h, -1, target_fpr, neg, &nn);
        /* per source: no benign source of the validation split may see more than
         * target_fpr of its texts through (a large easy source cannot hide a hard one) */
        for (int s = 1; s < va.nsrc && o->per_source; s++) {
            size_t ns;
            double ts = threshold_of(&va, raw, h, s, target_fpr, neg, &ns);
            if (ns >= SOURCE_MIN_NEG && ts > t) t = ts;
        }
        /* never below the model's own decision boundary: when validation separates the
         * classes perfectly the quantile says little about texts unlike any seen */
        if (t < 0) t = 0;
        shift[h] = (float)(log(OPERATING_SCORE / (1 - OPERATING_SCORE)) - t);
        size_t tp = 0, fp = 0;
        for (size_t i = 0; i < va.n; i++) {
            int y = head_y(h, va.e[i].label);
            if (y < 0) continue;
            int pred = raw[i * NHEADS + (size_t)h] >= t;
            np += y == 1;
            tp += pred && y == 1;
            fp += pred && y == 0;
        }
        rep->valid_recall[h] = np ? (double)tp / np : 0;
        rep->valid_precision[h] = tp + fp ? (double)tp / (tp + fp) : 0;
        rep->valid_fpr[h] = nn ? (double)fp / nn : 0;
    }
    if (rc == 0 && !neg) rc = sw_err_set(err, "out of memory");
    if (rc == 0) rc = gclf_write(o->out_path, bits, NHEADS, names, bias, shift, w, err);
    rep->heads = NHEADS;
    for (int h = 0; h < NHEADS; h++) snprintf(rep->name[h], 32, "%s", HEADS[h].name);
    rep->seconds = (sw_now_ns() - t0) / 1e9;
    sw_guard_clf_free(c);
    free(raw);
    free(neg);
    free(order);
    for (int h = 0; h < NHEADS; h++) {
        free(w[h]);
        free(g2[h]);
    }
    dataset_free(&tr);
    dataset_free(&va);
    return rc;
}
