/* bias.c - `steward eval bias`: the guard's alarm rates on sentences that differ only in an
 * identity term (per group and term, with subgroup AUCs and the largest gap), and the
 * model's preference for the more stereotypical sentence of CrowS-Pairs. */
#include "steward/eval.h"
#include "steward/model.h"
#include "steward/redteam.h"
#include "steward/report.h"
#include "steward/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT "{X}"
#define FIELD_MAX 4096      /* bytes of one TSV field at most */
#define POINTS 100.0        /* rates are reported as shares; gaps in points */
#define BOOT_RESAMPLES 1000 /* bootstrap resamples of the templates for the gaps' intervals */
#define BOOT_SEED 8         /* their seed: the same data give the same intervals */
#define BOOT_LO 0.025       /* percentiles of a 95% interval */
#define BOOT_HI 0.975
#define N_LANGS 2           /* en, zh */

/* What the guard did on the sentences of one term. */
typedef struct term_stats {
    int nb, ab, nh, ah;        /* benign and harmful sentences, and those alarmed */
    int sbn;                   /* benign sentences stopped (review or block) */
    double *sb, *sh;           /* their scores */
    unsigned char *alarmed;    /* per benign sentence, in template order: 1 when alarmed */
} term_stats;

/* Mann-Whitney AUC of harmful over benign scores (ties count one half); -1 when a side is empty. */
static double auc(const double *h, int nh, const double *b, int nb) {
    if (nh == 0 || nb == 0) return -1;
    double wins = 0;
    for (int i = 0; i < nh; i++)
        for (int j = 0; j < nb; j++) wins += h[i] > b[j] ? 1 : h[i] == b[j] ? 0.5 : 0;
    return wins / ((double)nh * nb);
}

/* Scans one sentence: *alarm as `eval guard` counts it (sw_guard_verdict_alarmed: a
 * redaction alone is none), *stop when the verdict is review or block; *score the highest
 * finding score (0 with none). */
static int scan_sentence(const sw_guard *g, const char *text, int *alarm, int *stop, double *score, sw_err *err) {
    sw_guard_verdict v;
    memset(&v, 0, sizeof v);
    int rc = sw_guard_scan(g, SW_GUARD_INPUT, text, strlen(text), &v, err);
    *alarm = rc == 0 && sw_guard_verdict_alarmed(&v), *stop = v.action >= SW_ACT_REVIEW, *score = 0;
    for (size_t i = 0; rc == 0 && i < v.n_findings; i++)
        if (v.findings[i].score > *score) *score = v.findings[i].score;
    sw_guard_verdict_free(&v);
    return rc;
}

/* The template with {X} replaced by term, into out. */
static int fill(sw_buf *out, const char *tpl, const char *term) {
    const char *x = strstr(tpl, SLOT);
    sw_buf_reset(out);
    return sw_buf_append(out, tpl, (size_t)(x - tpl)) || sw_buf_puts(out, term) || sw_buf_puts(out, x + strlen(SLOT));
}

/* 1 when lang is the one wanted (NULL or "all": every language). */
static int lang_selected(const char *lang, const char *want) {
    return !want || !strcmp(want, "all") || !strcmp(lang, want);
}

/* Runs every template of a term's language with that term. */
static int measure_term(const sw_guard *g, const json_t *tpls, const json_t *term, term_stats *st, sw_err *err) {
    const char *lang = json_string_value(json_object_get(term, "lang"));
    sw_buf s = {0};
    size_t i;
    const json_t *t;
    int rc = 0;
    json_array_foreach(tpls, i, t) {
        if (strcmp(json_string_value(json_object_get(t, "lang")), lang) != 0) continue;
        int alarm, stop;
        double score;
        if (fill(&s, json_string_value(json_object_get(t, "text")), json_string_value(json_object_get(term, "term"))) ||
            scan_sentence(g, s.data, &alarm, &stop, &score, err)) {
            rc = -1;
            break;
        }
        if (json_is_true(json_object_get(t, "harmful"))) st->sh[st->nh++] = score, st->ah += alarm;
        else st->alarmed[st->nb] = (unsigned char)alarm, st->sb[st->nb++] = score, st->ab += alarm, st->sbn += stop;
    }
    sw_buf_free(&s);
    return rc;
}

/* [lo, hi] rounded to 4 significant digits, scaled by k (NULL on OOM). */
static json_t *interval(double lo, double hi, double k) {
    return json_pack("[f, f]", sw_round_sig(lo * k, 4), sw_round_sig(hi * k, 4));
}

/* One term's figures (NULL on OOM). */
static json_t *term_json(const term_stats *st, const char *lang) {
    double a = auc(st->sh, st->nh, st->sb, st->nb), lo, hi;
    sw_redteam_wilson95((size_t)st->ab, (size_t)st->nb, &lo, &hi);
    return json_pack("{s:s, s:i, s:f, s:o, s:f, s:i, s:f, s:o}", "lang", lang, "benign", st->nb, "benign_alarm_rate",
                     st->nb ? sw_round_sig((double)st->ab / st->nb, 4) : 0.0, "benign_alarm_ci95", interval(lo, hi, 1),
                     "benign_stop_rate",
                     st->nb ? sw_round_sig((double)st->sbn / st->nb, 4) : 0.0, "harmful", st->nh, "harmful_alarm_rate",
                     st->nh ? sw_round_sig((double)st->ah / st->nh, 4) : 0.0, "auc",
                     a < 0 ? json_null() : json_real(sw_round_sig(a, 4)));
}

/* Sets each group's `gap_key` (largest minus smallest `rate_key` among its terms of one
 * language, in points; the larger language's) and out's max_<gap_key> (and, for "gap",
 * max_gap_group). */
static void gaps(json_t *groups, json_t *out, const char *rate_key, const char *gap_key) {
    const char *gname, *tname;
    json_t *g, *t;
    double max_gap = 0;
    const char *max_group = "";
    json_object_foreach(groups, gname, g) {
        double lo[2] = {2, 2}, hi[2] = {-1, -1}, gap = 0;
        json_object_foreach(json_object_get(g, "terms"), tname, t) {
            int l = strcmp(json_string_value(json_object_get(t, "lang")), "zh") == 0;
            double r = json_real_value(json_object_get(t, rate_key));
            lo[l] = r < lo[l] ? r : lo[l], hi[l] = r > hi[l] ? r : hi[l];
        }
        for (int l = 0; l < 2; l++)
            if (hi[l] >= 0 && (hi[l] - lo[l]) * POINTS > gap) gap = (hi[l] - lo[l]) * POINTS;
        json_object_set_new(g, gap_key, json_real(sw_round_sig(gap, 4)));
        if (gap > max_gap || !*max_group) max_gap = gap, max_group = gname;
    }
    char key[64];
    snprintf(key, sizeof key, "max_%s", gap_key);
    json_object_set_new(out, key, json_real(sw_round_sig(max_gap, 4)));
    if (strcmp(gap_key, "gap") == 0) json_object_set_new(out, "max_gap_group", json_string(max_group));
}

/* Adds one term's figures under groups[group].terms[term] and subgroup_auc["group/term"]. */
static int add_term(json_t *out, const json_t *term, const term_stats *st) {
    const char *group = json_string_value(json_object_get(term, "group"));
    const char *name = json_string_value(json_object_get(term, "term"));
    json_t *groups = json_object_get(out, "groups"), *g = json_object_get(groups, group);
    if (!g && (!(g = json_pack("{s:{}}", "terms")) || json_object_set_new(groups, group, g))) return -1;
    json_t *tj = term_json(st, json_string_value(json_object_get(term, "lang")));
    if (!tj || json_object_set_new(json_object_get(g, "terms"), name, tj)) return -1;
    char key[2 * FIELD_MAX + 2];
    snprintf(key, sizeof key, "%s/%s", group, name);
    return json_object_set(json_object_get(out, "subgroup_auc"), key, json_object_get(tj, "auc"));
}

/* Scores of the other measured terms of one language (the background), harmful or benign,
 * into buf (room for every sentence); returns how many. */
static int background(const term_stats *st, const json_t *terms, size_t n, size_t self, int harmful, double *buf) {
    const char *lang = json_string_value(json_object_get(json_array_get(terms, self), "lang"));
    int k = 0;
    for (size_t t = 0; t < n; t++) {
        if (t == self || strcmp(json_string_value(json_object_get(json_array_get(terms, t), "lang")), lang)) continue;
        int m = harmful ? st[t].nh : st[t].nb;
        memcpy(buf + k, harmful ? st[t].sh : st[t].sb, (size_t)m * sizeof *buf);
        k += m;
    }
    return k;
}

/* BPSN (background harmful against this term's benign sentences) and BNSP (this term's
 * harmful against background benign) AUCs (Borkan et al. 2019), set on the term's object. */
static int cross_aucs(json_t *out, const term_stats *st, const json_t *terms, size_t n, size_t self, double *buf) {
    const json_t *term = json_array_get(terms, self);
    json_t *tj = json_object_get(json_object_get(json_object_get(json_object_get(out, "groups"),
                                                                 json_string_value(json_object_get(term, "group"))),
                                                 "terms"),
                                 json_string_value(json_object_get(term, "term")));
    int k = background(st, terms, n, self, 1, buf);
    double bpsn = auc(buf, k, st[self].sb, st[self].nb);
    k = background(st, terms, n, self, 0, buf);
    double bnsp = auc(st[self].sh, st[self].nh, buf, k);
    return json_object_set_new(tj, "bpsn_auc", bpsn < 0 ? json_null() : json_real(sw_round_sig(bpsn, 4))) ||
                   json_object_set_new(tj, "bnsp_auc", bnsp < 0 ? json_null() : json_real(sw_round_sig(bnsp, 4)))
               ? -1
               : 0;
}

/* Frees n term_stats and their score arrays (NULL ok). */
static void stats_free(term_stats *st, size_t n) {
    for (size_t i = 0; st && i < n; i++) free(st[i].sb), free(st[i].sh), free(st[i].alarmed);
    free(st);
}

/* The index of term t's group in names (added when new; at most n names). */
static int group_index(const json_t *term, const char **names, int *ng) {
    const char *g = json_string_value(json_object_get(term, "group"));
    for (int k = 0; k < *ng; k++)
        if (strcmp(names[k], g) == 0) return k;
    names[*ng] = g;
    return (*ng)++;
}

/* One bootstrap resample: the benign templates of each language drawn with replacement
 * (the same draw for every term, as the sentences of two terms differ only in the term);
 * writes each group's gap in points to gap[group] and returns the largest. */
static double resample_gaps(sw_rng *r, const term_stats *st, const int *grp, const int *lng, size_t n, int ng,
                            int **draw, const int *nb, double *lo, double *hi, double *gap) {
    for (int l = 0; l < N_LANGS; l++)
        for (int k = 0; k < nb[l]; k++) draw[l][k] = (int)(sw_rng_uniform(r) * nb[l]);
    for (int k = 0; k < ng * N_LANGS; k++) lo[k] = 2, hi[k] = -1;
    for (size_t t = 0; t < n; t++) {
        if (st[t].nb == 0 || st[t].nb != nb[lng[t]]) continue;
        int a = 0;
        for (int k = 0; k < st[t].nb; k++) a += st[t].alarmed[draw[lng[t]][k]];
        double rate = (double)a / st[t].nb;
        int c = grp[t] * N_LANGS + lng[t];
        lo[c] = rate < lo[c] ? rate : lo[c], hi[c] = rate > hi[c] ? rate : hi[c];
    }
    double max = 0;
    for (int g = 0; g < ng; g++) {
        gap[g] = 0;
        for (int l = 0; l < N_LANGS; l++) {
            int c = g * N_LANGS + l;
            if (hi[c] >= 0 && (hi[c] - lo[c]) * POINTS > gap[g]) gap[g] = (hi[c] - lo[c]) * POINTS;
        }
        max = gap[g] > max ? gap[g] : max;
    }
    return max;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The value at quantile q of v[0..n) (sorted in place). */
static double quantile(double *v, int n, double q) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int k = (int)(q * (n - 1) + 0.5);
    return v[k];
}

/* 95% percentile-bootstrap intervals of each group's gap ("gap_ci95") and of max_gap
 * ("max_gap_ci95"), over BOOT_RESAMPLES resamples of the benign templates. The gap is a
 * largest-minus-smallest, so its interval lies above 0 even when no term differs: read its
 * width, not its lower end. Returns 0, or -1 with err (out of memory). */
static int gap_intervals(json_t *out, const term_stats *st, const json_t *terms, size_t n, sw_err *err) {
    const char **names = calloc(n + 1, sizeof *names);
    int *grp = calloc(n + 1, sizeof *grp), *lng = calloc(n + 1, sizeof *lng), nb[N_LANGS] = {0}, ng = 0;
    int *draw[N_LANGS] = {0};
    double *lo = calloc(2 * N_LANGS * (n + 1), sizeof *lo), *hi = lo ? lo + N_LANGS * (n + 1) : NULL;
    double *gap = calloc(n + 1, sizeof *gap), *boot = calloc((n + 2) * BOOT_RESAMPLES, sizeof *boot);
    int rc = names && grp && lng && lo && gap && boot ? 0 : sw_err_set(err, "out of memory");
    for (size_t t = 0; rc == 0 && t < n; t++) {
        const json_t *term = json_array_get(terms, t);
        grp[t] = group_index(term, names, &ng);
        lng[t] = strcmp(json_string_value(json_object_get(term, "lang")), "zh") == 0;
        if (st[t].nb > nb[lng[t]]) nb[lng[t]] = st[t].nb;
    }
    for (int l = 0; rc == 0 && l < N_LANGS; l++)
        if (!(draw[l] = malloc((size_t)(nb[l] + 1) * sizeof *draw[l]))) rc = sw_err_set(err, "out of memory");
    sw_rng r;
    sw_rng_seed(&r, BOOT_SEED);
    /* boot[b] the max gap of resample b; boot[(g + 1) * BOOT_RESAMPLES + b] group g's gap */
    for (int b = 0; rc == 0 && b < BOOT_RESAMPLES; b++) {
        boot[b] = resample_gaps(&r, st, grp, lng, n, ng, draw, nb, lo, hi, gap);
        for (int g = 0; g < ng; g++) boot[(size_t)(g + 1) * BOOT_RESAMPLES + (size_t)b] = gap[g];
    }
    for (int g = 0; rc == 0 && g <= ng; g++) {
        double *v = boot + (size_t)g * BOOT_RESAMPLES;
        double a = quantile(v, BOOT_RESAMPLES, BOOT_LO), z = quantile(v, BOOT_RESAMPLES, BOOT_HI);
        json_t *gj = g ? json_object_get(json_object_get(out, "groups"), names[g - 1]) : out;
        if (gj && json_object_set_new(gj, g ? "gap_ci95" : "max_gap_ci95", interval(a, z, 1)) < 0)
            rc = sw_err_set(err, "out of memory");
    }
    if (rc == 0 && json_object_set_new(out, "bootstrap", json_pack("{s:i, s:i, s:s}", "resamples", BOOT_RESAMPLES, "seed",
                                                                  BOOT_SEED, "over", "benign templates")) < 0)
        rc = sw_err_set(err, "out of memory");
    for (int l = 0; l < N_LANGS; l++) free(draw[l]);
    free(names), free(grp), free(lng), free(lo), free(gap), free(boot);
    return rc;
}

/* The guard part: every template of a language with every term of it. */
static int guard_bias(const sw_guard *g, const json_t *tpls, const json_t *terms, const char *lang, json_t *out,
                      sw_err *err) {
    size_t n_tpl = json_array_size(tpls), n = json_array_size(terms), i, sentences = 0;
    term_stats *st = calloc(n + 1, sizeof *st);
    double *buf = malloc((n * n_tpl + 1) * sizeof *buf);
    int rc = st && buf ? 0 : sw_err_set(err, "out of memory");
    for (i = 0; rc == 0 && i < n; i++) {
        const json_t *term = json_array_get(terms, i);
        st[i].sb = malloc((n_tpl + 1) * sizeof *st[i].sb), st[i].sh = malloc((n_tpl + 1) * sizeof *st[i].sh);
        st[i].alarmed = malloc(n_tpl + 1);
        if (!st[i].sb || !st[i].sh || !st[i].alarmed) rc = sw_err_set(err, "out of memory");
        else if (!lang_selected(json_string_value(json_object_get(term, "lang")), lang)) continue;
        else if (measure_term(g, tpls, term, &st[i], err) < 0) rc = -1;
        else if (add_term(out, term, &st[i]) < 0) rc = sw_err_set(err, "out of memory");
        sentences += (size_t)(st[i].nb + st[i].nh);
    }
    for (i = 0; rc == 0 && i < n; i++)
        if (st[i].nb + st[i].nh > 0 && cross_aucs(out, st, terms, n, i, buf) < 0) rc = sw_err_set(err, "out of memory");
    if (rc == 0 && sentences == 0) rc = sw_err_set(err, "no sentence to scan: no template and term of language %s", lang ? lang : "all");
    if (rc == 0) json_object_set_new(out, "sentences", json_integer((json_int_t)sentences));
    if (rc == 0) gaps(json_object_get(out, "groups"), out, "benign_alarm_rate", "gap");
    if (rc == 0) gaps(json_object_get(out, "groups"), out, "benign_stop_rate", "stop_gap");
    if (rc == 0) rc = gap_intervals(out, st, terms, n, err);
    stats_free(st, n);
    free(buf);
    return rc;
}

/* ======================= CrowS-Pairs under the language model ======================= */

/* Log-likelihood of a sentence under the model (every token after BOS scored; without a
 * BOS token the first token is not scored). Sentences longer than the context are cut. */
static int sentence_ll(sw_ctx *c, const sw_tokenizer *tk, int n_ctx, const char *text, double *ll, sw_err *err) {
    int32_t *ids = NULL;
    size_t n = 0;
    int32_t bos = sw_tokenizer_bos(tk);
    if (bos >= 0) {
        if (!(ids = malloc(sizeof *ids))) return sw_err_set(err, "out of memory");
        ids[n++] = bos;
    }
    if (sw_tokenize(tk, text, strlen(text), 0, &ids, &n, err) < 0) {
        free(ids);
        return -1;
    }
    if (n > (size_t)n_ctx) n = (size_t)n_ctx;
    double nll = 0;
    int scored = 0;
    int rc = n < 2 ? (*ll = 0, 0) : sw_ctx_nll(c, ids, (int)n, 1, &nll, &scored, err);
    *ll = -nll;
    free(ids);
    return rc;
}

/* Counts pairs where the more stereotypical sentence is the likelier, overall and by type. */
static json_t *crows_score(sw_model *m, const json_t *pairs, int limit, sw_err *err) {
    int n_ctx = sw_model_hparams(m)->n_ctx_train;
    sw_ctx *c = sw_ctx_new(m, n_ctx, err);
    if (!c) return NULL;
    const sw_tokenizer *tk = sw_model_tokenizer(m);
    json_t *by = json_object();
    int n = 0, pref = 0, rc = by ? 0 : sw_err_set(err, "out of memory");
    size_t i;
    const json_t *p;
    json_array_foreach(pairs, i, p) {
        if (rc || (limit > 0 && n >= limit)) break;
        double lm, ll;
        if (sentence_ll(c, tk, n_ctx, json_string_value(json_object_get(p, "more")), &lm, err) < 0 ||
            sentence_ll(c, tk, n_ctx, json_string_value(json_object_get(p, "less")), &ll, err) < 0) {
            rc = -1;
            break;
        }
        const char *type = json_string_value(json_object_get(p, "bias_type"));
        json_t *t = json_object_get(by, type);
        if (!t && (!(t = json_pack("{s:i, s:i}", "pairs", 0, "more_preferred", 0)) || json_object_set_new(by, type, t))) {
            rc = sw_err_set(err, "out of memory");
            break;
        }
        sw_report_count(t, "pairs");
        if (lm > ll) sw_report_count(t, "more_preferred");
        n++, pref += lm > ll;
    }
    sw_ctx_free(c);
    if (rc) {
        json_decref(by);
        return NULL;
    }
    const char *k;
    json_t *t;
    json_object_foreach(by, k, t) {
        double r = (double)json_integer_value(json_object_get(t, "more_preferred")) / (double)json_integer_value(json_object_get(t, "pairs"));
        json_object_set_new(t, "preference_rate", json_real(sw_round_sig(r, 4)));
    }
    return json_pack("{s:i, s:f, s:o}", "pairs", n, "preference_rate", n ? sw_round_sig((double)pref / n, 4) : 0.0,
                     "by_bias_type", by);
}

/* The "crows_pairs" member: skipped without a file, else the scores; NULL with err. */
static json_t *crows_part(const sw_bias_opts *o, sw_err *err) {
    if (!o->crows) return json_pack("{s:s}", "skipped", "no CrowS-Pairs file given (--crows FILE)");
    char mbuf[4096];
    const char *model = o->model ? o->model : sw_pipeline_default_model(mbuf, sizeof mbuf);
    if (!model) {
        sw_err_set(err, "CrowS-Pairs: no model given and no default model found");
        return NULL;
    }
    sw_buf data = {0};
    json_t *pairs = NULL, *out = NULL;
    sw_model *m = NULL;
    if (sw_read_file(o->crows, &data, err) == 0 && (pairs = sw_crows_parse(data.data, data.len, o->crows, err)) &&
        sw_model_load(model, &m, err) == 0 && (out = crows_score(m, pairs, o->crows_limit, err)))
        json_object_set_new(out, "model", json_string(model));
    sw_model_free(m);
    json_decref(pairs);
    sw_buf_free(&data);
    return out;
}

/* Reads and parses a data file: path, or <data>/bias/NAME when path is NULL. */
static json_t *load_data(const char *path, const char *name, json_t *(*parse)(const char *, size_t, const char *, sw_err *),
                         sw_err *err) {
    char dir[4096], def[4200];
    if (!path) {
        if (sw_guard_data_dir(dir, sizeof dir, err) < 0) return NULL;
        snprintf(def, sizeof def, "%s/bias/%s", dir, name);
        path = def;
    }
    sw_buf b = {0};
    json_t *out = sw_file_read_all(path, SW_FILE_MAX_SMALL, &b, err) == 0 ? parse(b.data ? b.data : "", b.len, path, err) : NULL;
    sw_buf_free(&b);
    return out;
}

json_t *sw_eval_bias(const sw_guard *g, const sw_bias_opts *o, sw_err *err) {
    if (o->lang && strcmp(o->lang, "en") && strcmp(o->lang, "zh") && strcmp(o->lang, "all")) {
        sw_err_set(err, "language '%s': expected en, zh or all", o->lang);
        return NULL;
    }
    json_t *tpls = load_data(o->templates, "templates.tsv", sw_bias_parse_templates, err);
    json_t *terms = tpls ? load_data(o->terms, "terms.tsv", sw_bias_parse_terms, err) : NULL;
    json_t *out = terms ? json_pack("{s:{}, s:{}}", "groups", "subgroup_auc") : NULL;
    json_t *crows = NULL;
    if (out && (guard_bias(g, tpls, terms, o->lang, out, err) < 0 || !(crows = crows_part(o, err)))) {
        json_decref(out);
        out = NULL;
    }
    if (out) {
        json_object_set_new(out, "crows_pairs", crows);
        json_object_set_new(out, "policy_sha256", json_string(sw_guard_policy_hash(g)));
    }
    json_decref(tpls);
    json_decref(terms);
    return out;
}
