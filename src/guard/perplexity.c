/* perplexity.c - language-model signals for the guard (NeMo Guardrails' heuristics):
 * length per perplexity (long, fluent jailbreak prompts) and the perplexity of the first
 * and last 20 words (adversarial suffixes such as GCG's), with thresholds calibrated on
 * benign text for the loaded model. */
#include "guard_int.h"
#include "steward/eval.h"
#include "steward/model.h"
#include "steward/json.h"
#include "steward/tokenizer.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EDGE_WORDS SW_GUARD_PPL_EDGE_WORDS

/* Perplexity of text[0..len) under the model (sw_eval_perplexity_on), of at most its
 * first SW_GUARD_PPL_MAX_TOKENS tokens (a longer text is judged by its beginning: the cost
 * stays bounded, ~0.2 s with the default model, whatever the size of the prompt). 1 with
 * *ppl, 0 when the text has fewer than two tokens (*ppl untouched), -1 with err. */
static int ppl_of(sw_ctx *c, const sw_tokenizer *tk, const char *text, size_t len, double *ppl, sw_err *err) {
    sw_ppl_result r;
    if (sw_eval_perplexity_on(c, tk, text, len, SW_GUARD_PPL_MAX_TOKENS, &r, err) < 0) return -1;
    if (r.tokens < 1) return 0;
    *ppl = r.perplexity;
    return 1;
}

static inline int is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

/* Byte offset where the first `words` whitespace-separated words end (prefix; *found
 * receives how many there were, at most `words`) or where the last `words` begin
 * (suffix). */
static size_t words_prefix(const char *t, size_t n, int words, int *found) {
    size_t i = 0;
    int w = 0;
    while (w < words) {
        while (i < n && is_ws(t[i])) i++;
        if (i == n) break;
        w++;
        while (i < n && !is_ws(t[i])) i++;
    }
    *found = w;
    return i;
}
static size_t words_suffix(const char *t, size_t n, int words) {
    size_t i = n;
    for (int w = 0; w < words && i > 0; w++) {
        while (i > 0 && is_ws(t[i - 1])) i--;
        while (i > 0 && !is_ws(t[i - 1])) i--;
    }
    return i;
}

int sw_guard_ppl_score(sw_ctx *c, const sw_tokenizer *tk, const char *text, size_t len, sw_guard_ppl_signals *s,
                         sw_err *err) {
    memset(s, 0, sizeof *s);
    double ppl = 0;
    int rc = ppl_of(c, tk, text, len, &ppl, err);
    if (rc < 0) return -1;
    if (rc > 0) {
        s->ppl = ppl;
        s->len_per_ppl = (double)len / ppl;
        s->valid = 1;
    }
    /* like NeMo, the edges of texts under 20 words are not judged: they are the whole
     * text, which the length signal already covers */
    int words;
    size_t pe = words_prefix(text, len, EDGE_WORDS, &words);
    if (words < EDGE_WORDS) return 0;
    size_t ss = words_suffix(text, len, EDGE_WORDS);
    s->edge_valid = 1;
    double pp = 0, sp = 0;
    int a = ppl_of(c, tk, text, pe, &pp, err), b = a < 0 ? -1 : ppl_of(c, tk, text + ss, len - ss, &sp, err);
    if (a < 0 || b < 0) return -1;
    s->prefix_ppl = a > 0 ? pp : 0;
    s->suffix_ppl = b > 0 ? sp : 0;
    return 0;
}

/* The benign texts' signals, gathered for the quantiles. */
typedef struct calib_state {
    sw_ctx *c;
    const sw_tokenizer *tk;
    double *lp, *ep; /* length/perplexity of each text; edge perplexity of the long ones */
    size_t n, ne, cap;
} calib_state;

static int calib_one(void *ud, const gjsonl_rec *r, sw_err *err) {
    calib_state *st = ud;
    sw_guard_ppl_signals s;
    if (sw_guard_ppl_score(st->c, st->tk, r->text, r->len, &s, err) < 0) return -1;
    if (!s.valid) return 0;
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 256;
        double *a = realloc(st->lp, cap * sizeof *a), *e = a ? realloc(st->ep, cap * sizeof *e) : NULL;
        if (a) st->lp = a;
        if (e) st->ep = e;
        if (!a || !e) return sw_err_set(err, "out of memory");
        st->cap = cap;
    }
    st->lp[st->n++] = s.len_per_ppl;
    if (s.edge_valid) st->ep[st->ne++] = fmax(s.prefix_ppl, s.suffix_ppl);
    return 0;
}

int sw_guard_ppl_calibrate(sw_ctx *c, const sw_tokenizer *tk, const char *benign_jsonl, double fpr,
                           sw_guard_ppl *out, sw_err *err) {
    calib_state st = {.c = c, .tk = tk};
    int rc = gjsonl_each(benign_jsonl, 0, calib_one, &st, err);
    if (rc == 0 && st.n == 0) rc = sw_err_set(err, "%s: no text long enough to score", benign_jsonl);
    if (rc == 0) {
        out->len_per_ppl_max = sw_upper_quantile(st.lp, st.n, fpr);
        out->edge_ppl_max = st.ne ? sw_upper_quantile(st.ep, st.ne, fpr) : 0; /* 0: no edge check */
        out->calibrated_on = (int)st.n;
        out->calibrated_on_edge = (int)st.ne;
        out->fpr = fpr;
    }
    free(st.lp);
    free(st.ep);
    return rc;
}

int sw_guard_ppl_load(const char *path, const char *model_sha256, sw_guard_ppl *out, sw_err *err) {
    json_t *j = sw_json_load_file(path, SW_FILE_MAX_SMALL, 0, err);
    if (!j) return -1;
    const char *sha = json_string_value(json_object_get(j, "model_sha256"));
    json_t *a = json_object_get(j, "len_per_ppl_max"), *b = json_object_get(j, "edge_ppl_max");
    int rc = 0;
    if (!sha || !json_is_number(a) || !json_is_number(b))
        rc = sw_err_set(err, "%s: expected model_sha256, len_per_ppl_max and edge_ppl_max", path);
    else if (strcmp(sha, model_sha256) != 0)
        rc = sw_err_set(err, "%s: calibrated for another model (sha256 %.12s..., this one %.12s...)", path, sha,
                        model_sha256);
    else {
        memset(out, 0, sizeof *out);
        out->len_per_ppl_max = json_number_value(a);
        out->edge_ppl_max = json_number_value(b);
        out->fpr = json_number_value(json_object_get(j, "fpr"));
        out->calibrated_on = (int)json_integer_value(json_object_get(j, "calibrated_on"));
        out->calibrated_on_edge = (int)json_integer_value(json_object_get(j, "calibrated_on_edge"));
    }
    json_decref(j);
    return rc;
}

int sw_guard_ppl_path(const char *model_path, char *out, size_t outsz) {
    size_t n = strlen(model_path);
    if (n >= 5 && strcmp(model_path + n - 5, ".gguf") == 0) n -= 5;
    int w = snprintf(out, outsz, "%.*s.ppl.json", (int)n, model_path);
    return w < 0 || (size_t)w >= outsz ? -1 : 0;
}

int sw_guard_ppl_load_beside(const char *model_path, const char *model_sha256, sw_guard_ppl *out, char *where,
                             size_t wsz, sw_err *err) {
    char path[PATH_MAX + 16]; /* room for any model path and the suffix */
    if (sw_guard_ppl_path(model_path, path, sizeof path) < 0) return sw_err_set(err, "%s: path too long", model_path);
    if (where) snprintf(where, wsz, "%s", path);
    if (access(path, F_OK) != 0) return 0;
    return sw_guard_ppl_load(path, model_sha256, out, err) < 0 ? -1 : 1;
}

int sw_guard_ppl_findings(const sw_guard_ppl *th, const sw_guard_ppl_signals *s, size_t len, sw_guard_verdict *v) {
    if (!s->valid) return 0;
    char why[160];
    if (s->len_per_ppl > th->len_per_ppl_max) {
        snprintf(why, sizeof why, "length/perplexity %.3g above %.3g (benign %.1f%% quantile)", s->len_per_ppl,
                 th->len_per_ppl_max, 100 * (1 - th->fpr));
        if (gf_add(v, "jailbreak", "perplexity_length", 0, len, 0.7, SW_SRC_HEURISTIC, why) < 0) return -1;
    }
    double edge = fmax(s->prefix_ppl, s->suffix_ppl);
    if (s->edge_valid && th->edge_ppl_max > 0 && edge > th->edge_ppl_max) {
        snprintf(why, sizeof why, "%s perplexity %.3g above %.3g", s->suffix_ppl >= s->prefix_ppl ? "suffix" : "prefix",
                 edge, th->edge_ppl_max);
        if (gf_add(v, "jailbreak", "perplexity_edge", 0, len, 0.8, SW_SRC_HEURISTIC, why) < 0) return -1;
    }
    return 0;
}

int sw_guard_scan_lm(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, sw_ctx *c,
                     const sw_tokenizer *tk, const sw_guard_ppl *th, sw_guard_verdict *v, sw_err *err) {
    memset(v, 0, sizeof *v);
    if (len > (1u << 30)) return sw_err_set(err, "guard: text of %zu bytes is over the 1 GiB limit", len);
    if (gscan_raw(g, text, len, SW_TEXT_USER, v) < 0) return sw_err_set(err, "guard: out of memory scanning %zu bytes", len);
    sw_guard_ppl_signals s;
    if (sw_guard_ppl_score(c, tk, text, len, &s, err) < 0) return -1;
    if (sw_guard_ppl_findings(th, &s, len, v) < 0) return sw_err_set(err, "guard: out of memory");
    gmerge_findings(v);
    sw_guard_policy_apply(gguard_policy(g), dir, v);
    if (v->truncated && v->action < SW_ACT_REVIEW) v->action = SW_ACT_REVIEW;
    if (gredact(text, len, gguard_key(g), v) < 0) return sw_err_set(err, "guard: out of memory redacting");
    return 0;
}
