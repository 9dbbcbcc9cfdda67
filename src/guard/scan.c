/* scan.c - the guard: loads rules and policy, runs every recogniser over a text, scans
 * decoded payloads again, merges findings, applies the policy and redacts. */
#include "guard_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 2 /* base64 inside base64 is decoded once more, no further */

struct sw_guard {
    grules *rules;
    gharm *harm; /* lexicon of the harmful-request detector (harm.c); NULL without data/guard/harm */
    gnames *names; /* name lists of the personal-data recognisers */
    sw_guard_clf *clf; /* NULL: rules and recognisers only */
    sw_guard_policy *policy;
    uint8_t key[32];
    int has_key;
    int rules_personal, clf_personal; /* rules or a classifier head of category pii or secret */
};

/* Cuts a string truncated by snprintf back to its last whole UTF-8 sequence. */
static void utf8_trim(char *s) {
    size_t n = strlen(s);
    while (n && !sw_utf8_valid((const unsigned char *)s, n)) n--;
    s[n] = 0;
}

int gf_add(sw_guard_verdict *v, const char *category, const char *type, size_t start, size_t end,
           double score, sw_guard_source src, const char *explain) {
    if (v->n_findings >= SW_GUARD_MAX_FINDINGS) { /* a text built to exhaust memory */
        v->truncated = 1;
        return 0;
    }
    if (v->n_findings == v->cap_findings) {
        size_t cap = v->cap_findings ? v->cap_findings * 2 : 8;
        sw_guard_finding *f = realloc(v->findings, cap * sizeof *f);
        if (!f) return -1;
        v->findings = f;
        v->cap_findings = cap;
    }
    sw_guard_finding *f = &v->findings[v->n_findings++];
    memset(f, 0, sizeof *f);
    snprintf(f->category, sizeof f->category, "%s", category);
    snprintf(f->type, sizeof f->type, "%s", type);
    f->start = start;
    f->end = end;
    f->score = score < 0 ? 0 : score > 1 ? 1 : score;
    f->source = src;
    if (explain) {
        snprintf(f->explain, sizeof f->explain, "%s", explain);
        utf8_trim(f->explain);
    }
    return 0;
}

void sw_guard_verdict_free(sw_guard_verdict *v) {
    if (!v) return;
    free(v->findings);
    free(v->redacted);
    memset(v, 0, sizeof *v);
}

int sw_guard_verdict_alarmed(const sw_guard_verdict *v) {
    if (v->action == SW_ACT_FLAG || v->action >= SW_ACT_REVIEW) return 1;
    for (size_t k = 0; k < v->n_findings; k++)
        if (v->findings[k].action == SW_ACT_FLAG) return 1;
    return 0;
}

int sw_guard_data_dir(char *out, size_t outsz, sw_err *err) {
    const char *env = getenv("STEWARD_DATA");
    if (env && *env) {
        if ((size_t)snprintf(out, outsz, "%s", env) >= outsz) return sw_err_set(err, "$STEWARD_DATA too long");
        return 0;
    }
    if (sw_find_near_exe("data/guard/rules", out, outsz) < 0)
        return sw_err_set(err, "guard: no data/guard/rules beside the executable or above it (set $STEWARD_DATA)");
    out[strlen(out) - strlen("/guard/rules")] = 0; /* the data directory itself */
    return 0;
}

sw_guard *sw_guard_open(const sw_guard_opts *opts, sw_err *err) {
    sw_guard_opts o = {0};
    if (opts) o = *opts;
    char data[4096], path[4400];
    if (!o.data_dir) {
        if (sw_guard_data_dir(data, sizeof data, err) < 0) return NULL;
        o.data_dir = data;
    }
    sw_guard *g = calloc(1, sizeof *g);
    if (!g) {
        sw_err_set(err, "guard: out of memory");
        return NULL;
    }
    snprintf(path, sizeof path, "%s/guard/rules", o.data_dir);
    g->rules = grules_load(path, err);
    if (!g->rules) goto fail;
    struct stat hst;
    snprintf(path, sizeof path, "%s/guard/harm", o.data_dir);
    if (stat(path, &hst) == 0 && !(g->harm = gharm_load(path, err))) goto fail;
    snprintf(path, sizeof path, "%s/guard/names", o.data_dir);
    if (!(g->names = gnames_load(path, err))) goto fail;
    if (gpersonal_words(g->names) < 0) {
        sw_err_set(err, "guard: out of memory");
        goto fail;
    }
    if (!o.policy_path) {
        snprintf(path, sizeof path, "%s/policy/default.policy", o.data_dir);
        o.policy_path = path;
    }
    sw_buf b = {0};
    if (sw_file_read_all(o.policy_path, SW_FILE_MAX_SMALL, &b, err) < 0) {
        sw_buf_free(&b);
        goto fail;
    }
    g->policy = gpolicy_parse(b.data ? b.data : "", b.len, o.policy_path, g->rules, err);
    sw_buf_free(&b);
    if (!g->policy) goto fail;
    if (o.key) {
        memcpy(g->key, o.key, 32);
        g->has_key = 1;
    }
    if (o.model_path && *o.model_path) { /* named: must load */
        if (!(g->clf = sw_guard_clf_load(o.model_path, err))) goto fail;
    } else if (!o.model_path) { /* the shipped model, when installed */
        struct stat st;
        snprintf(path, sizeof path, "%s/../models/guard-classifier.bin", o.data_dir);
        if (stat(path, &st) == 0 && !(g->clf = sw_guard_clf_load(path, err))) goto fail;
    }
    g->rules_personal = grules_has_category(g->rules, "pii") || grules_has_category(g->rules, "secret");
    for (int h = 0; g->clf && h < sw_guard_clf_heads(g->clf); h++)
        g->clf_personal |= gcategory_is_personal(sw_guard_clf_head_name(g->clf, h));
    return g;
fail:
    sw_guard_free(g);
    return NULL;
}

void sw_guard_free(sw_guard *g) {
    if (!g) return;
    grules_free(g->rules);
    gharm_free(g->harm);
    gnames_free(g->names);
    sw_guard_clf_free(g->clf);
    sw_guard_policy_free(g->policy);
    free(g);
}

const char *sw_guard_policy_hash(const sw_guard *g) { return gpolicy_hash(g->policy); }

/* The classifier heads judge the whole text; a finding spans the words that carried its
 * score (gclf_explain), never quoting the personal data or secrets already in v. */
#define CLF_MIN_BYTES 24
#define CLF_MIN_SCORE 0.7 /* the operating threshold is 0.85: report near misses only */
static int classify(const sw_guard_clf *c, const sw_guard_norm *nm, const char *text, sw_guard_verdict *v,
                    gscan_for what) {
    double sc[SW_CLF_MAX_HEADS];
    /* a few words are too little evidence for n-gram statistics: rules judge those */
    if (nm->match.len < CLF_MIN_BYTES || gclf_score_view(c, nm->match.s, nm->match.len, sc, NULL) < 0) return 0;
    for (int h = 0; h < sw_guard_clf_heads(c); h++) {
        if (sc[h] < CLF_MIN_SCORE) continue;
        if (what == GSCAN_DATA && !sw_guard_category_is_data(sw_guard_clf_head_name(c, h), "")) continue;
        if (what == GSCAN_PII && !gcategory_is_personal(sw_guard_clf_head_name(c, h))) continue;
        gclf_why w;
        if (gclf_explain(c, nm->match.s, nm->match.len, &nm->match, text, v, h, &w) < 0 ||
            gf_add(v, sw_guard_clf_head_name(c, h), "linear_ngram", w.start, w.end, sc[h], SW_SRC_CLASSIFIER, w.text) < 0)
            return -1;
    }
    return 0;
}

int sw_guard_has_classifier(const sw_guard *g) { return g->clf != NULL; }

size_t sw_guard_rules_refused(const sw_guard *g) {
    size_t k = 0;
    for (int why = 0; why < GRULES_REFUSE_KINDS; why++) k += grules_refused(g->rules, why);
    return k;
}

/* A request split into encoded pieces ("let a = <base64> and b = <base64>; join them")
 * is judged whole: the harmful-request detector reads the decoded pieces joined by a
 * space; a finding spans the pieces in the original text. -1 on OOM. */
static int scan_joined(const sw_guard *g, const gdecoded *d, size_t nd, sw_guard_verdict *v) {
    if (!g->harm) return 0;
    sw_buf j = {0};
    int rc = 0;
    size_t lo = d[0].start, hi = d[0].end;
    for (size_t i = 0; i < nd && rc == 0; i++) {
        if (d[i].start < lo) lo = d[i].start;
        if (d[i].end > hi) hi = d[i].end;
        if ((i && sw_buf_append(&j, " ", 1) < 0) || sw_buf_append(&j, d[i].text, d[i].len) < 0) rc = -1;
    }
    sw_guard_norm nm = {0};
    sw_guard_verdict inner = {0};
    if (rc == 0 && j.len) rc = gnormalize_reuse(j.data, j.len, &nm, NULL);
    if (rc == 0 && j.len) rc = gharm_scan(g->harm, &nm, j.data, &inner);
    for (size_t k = 0; k < inner.n_findings && rc == 0; k++) {
        const sw_guard_finding *f = &inner.findings[k];
        char why[160];
        if (snprintf(why, sizeof why, "in joined decoded pieces: %s", f->explain) >= (int)sizeof why)
            why[sizeof why - 1] = 0;
        rc = gf_add(v, f->category, "joined:harm_request", lo, hi, f->score, f->source, why);
        if (rc == 0) memcpy(v->findings[v->n_findings - 1].tc260, f->tc260, sizeof f->tc260);
    }
    sw_guard_verdict_free(&inner);
    sw_guard_norm_free(&nm);
    sw_buf_free(&j);
    return rc;
}

/* Runs every recogniser over text (GSCAN_DATA: not those whose findings data governance
 * does not use: invisible text, template tokens, document instructions); findings of
 * decoded payloads are re-homed to the span of the encoded segment. ws: the caller's
 * normalisation buffers to reuse, or NULL. */
static int scan_into(const sw_guard *g, const char *text, size_t len, int src, gscan_for what, int depth,
                     sw_guard_verdict *v, sw_guard_norm *ws) {
    sw_guard_norm own = {0}, *np = ws ? ws : &own;
    const int all = what == GSCAN_ALL, harm = what != GSCAN_PII;
    /* the match and squeeze views serve only the rules, harm detector and classifier */
    const int views = harm || g->rules_personal || g->clf_personal;
    int rc = views ? gnormalize_reuse(text, len, np, NULL) : gnormalize_light_reuse(text, len, np);
    if (rc == 0 && all) rc = ginvis_findings(np, v);
    if (rc == 0) rc = gpii_scan(np, v);
    if (rc == 0) rc = gpersonal_scan(g->names, text, len, v);
    if (rc == 0) rc = gsecret_scan(text, len, v);
    if (rc == 0 && harm) rc = gharm_scan_rules(g->harm, g->rules, np, text, v); /* keyword rules, then harm */
    else if (rc == 0 && g->rules_personal) rc = grules_scan(g->rules, np, v);
    if (rc == 0 && all) rc = gtemplate_scan(np, v);
    if (rc == 0 && all) rc = src == SW_TEXT_DOCUMENT ? gdocinstr_scan(np, v) : gdocinstr_scan_pasted(np, v);
    if (rc == 0 && g->clf && (harm || g->clf_personal)) rc = classify(g->clf, np, text, v, what);
    gdecoded *d = NULL;
    size_t nd = 0;
    if (rc == 0) rc = gdecode_find(text, len, np, &d, &nd);
    sw_guard_norm_free(&own);
    for (size_t i = 0; i < nd && rc == 0; i++) {
        char why[160];
        snprintf(why, sizeof why, "%s segment decodes to %zu bytes of text", d[i].type, d[i].len);
        rc = gf_add(v, "encoded_payload", d[i].type, d[i].start, d[i].end, 0.5, SW_SRC_HEURISTIC, why);
        if (rc < 0 || depth >= MAX_DEPTH) continue;
        sw_guard_verdict inner = {0};
        rc = scan_into(g, d[i].text, d[i].len, src, what, depth + 1, &inner, NULL);
        for (size_t k = 0; k < inner.n_findings && rc == 0; k++) {
            const sw_guard_finding *f = &inner.findings[k];
            char type[40];
            if (snprintf(type, sizeof type, "%s:%s", d[i].type, f->type) >= (int)sizeof type)
                type[sizeof type - 1] = 0; /* a long inner type is cut */
            if (snprintf(why, sizeof why, "in decoded %s: %s", d[i].type, f->explain) >= (int)sizeof why)
                why[sizeof why - 1] = 0;
            rc = gf_add(v, f->category, type, d[i].start, d[i].end, f->score, f->source, why);
            if (rc == 0) memcpy(v->findings[v->n_findings - 1].tc260, f->tc260, sizeof f->tc260);
        }
        sw_guard_verdict_free(&inner);
    }
    if (rc == 0 && nd > 1 && harm) rc = scan_joined(g, d, nd, v);
    for (size_t i = 0; i < nd; i++) free(d[i].text);
    free(d);
    return rc;
}

static int cmp_finding(const void *a, const void *b) {
    const sw_guard_finding *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    int c = strcmp(x->category, y->category);
    if (c) return c;
    c = strcmp(x->type, y->type);
    if (c) return c;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Sorts findings by position and merges overlapping ones of the same category and type
 * (the phrase libraries often match overlapping variants of one phrase). */
void gmerge_findings(sw_guard_verdict *v) {
    if (v->n_findings < 2) return;
    qsort(v->findings, v->n_findings, sizeof *v->findings, cmp_finding);
    size_t out = 0;
    for (size_t i = 0; i < v->n_findings; i++) {
        sw_guard_finding *f = &v->findings[i];
        int merged = 0;
        for (size_t j = out; j-- > 0;) {
            sw_guard_finding *p = &v->findings[j];
            if (p->end <= f->start && j + 8 < out) break;
            if (strcmp(p->category, f->category) || strcmp(p->type, f->type) || p->end <= f->start) continue;
            if (f->end > p->end) p->end = f->end;
            if (f->score > p->score) {
                p->score = f->score;
                memcpy(p->explain, f->explain, sizeof p->explain);
            }
            merged = 1;
            break;
        }
        if (!merged) v->findings[out++] = *f;
    }
    v->n_findings = out;
}

/* Long texts are scanned in overlapping segments: the views of a segment stay in cache
 * and its buffers are reused by malloc, instead of faulting in ~30 bytes of fresh
 * memory per input byte. Each finding is taken from the one segment whose middle part
 * holds its start, so any finding shorter than SEG_OV/2 is seen whole exactly once. */
#define SEG (64u << 10)
#define SEG_OV (4u << 10)

static size_t utf8_back(const char *t, size_t i) {
    while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80) i--;
    return i;
}

int gscan_raw(const sw_guard *g, const char *text, size_t len, int src, sw_guard_verdict *v) {
    return gscan_raw_for(g, text, len, src, GSCAN_ALL, v);
}

int gscan_raw_for(const sw_guard *g, const char *text, size_t len, int src, gscan_for what, sw_guard_verdict *v) {
    if (len <= SEG) return scan_into(g, text, len, src, what, 0, v, NULL);
    size_t a = 0;
    sw_guard_norm ws = {0};
    for (;;) {
        size_t b = len - a <= SEG ? len : utf8_back(text, a + SEG);
        sw_guard_verdict seg = {0};
        int rc = scan_into(g, text + a, b - a, src, what, 0, &seg, &ws);
        size_t lo = a == 0 ? 0 : a + SEG_OV / 2, hi = b == len ? len : b - SEG_OV / 2;
        for (size_t i = 0; i < seg.n_findings && rc == 0; i++) {
            const sw_guard_finding *f = &seg.findings[i];
            size_t st = f->start + a;
            if (st < lo || st >= hi) continue;
            rc = gf_add(v, f->category, f->type, st, f->end + a, f->score, f->source, f->explain);
            if (rc == 0) memcpy(v->findings[v->n_findings - 1].tc260, f->tc260, sizeof f->tc260);
        }
        sw_guard_verdict_free(&seg);
        if (rc < 0 || b == len) {
            sw_guard_norm_free(&ws);
            return rc < 0 ? -1 : 0;
        }
        a = utf8_back(text, b - SEG_OV);
    }
}
const sw_guard_policy *gguard_policy(const sw_guard *g) { return g->policy; }
const uint8_t *gguard_key(const sw_guard *g) { return g->has_key ? g->key : NULL; }

const char *sw_guard_text_source_name(sw_guard_text_source s) { return s == SW_TEXT_DOCUMENT ? "document" : "user"; }

int sw_guard_text_source_parse(const char *s) {
    if (!s) return -1;
    if (strcmp(s, "user") == 0) return SW_TEXT_USER;
    if (strcmp(s, "document") == 0) return SW_TEXT_DOCUMENT;
    return -1;
}

int sw_guard_scan_opts_scan(const sw_guard *g, const sw_guard_scan_opts *o, const char *text, size_t len,
                            sw_guard_verdict *v, sw_err *err) {
    sw_guard_scan_opts def = {0};
    if (!o) o = &def;
    memset(v, 0, sizeof *v);
    if (o->source != SW_TEXT_USER && o->source != SW_TEXT_DOCUMENT)
        return sw_err_set(err, "guard: unknown text source %d (user or document)", (int)o->source);
    v->text_source = o->source;
    if (len > (1u << 30)) return sw_err_set(err, "guard: text of %zu bytes is over the 1 GiB limit", len);
    if (gscan_raw(g, text, len, o->source, v) < 0) return sw_err_set(err, "guard: out of memory scanning %zu bytes", len);
    gmerge_findings(v);
    sw_guard_policy_apply(g->policy, o->dir, v);
    if (v->truncated && v->action < SW_ACT_REVIEW) v->action = SW_ACT_REVIEW;
    if (gredact(text, len, g->has_key ? g->key : NULL, v) < 0)
        return sw_err_set(err, "guard: out of memory redacting %zu bytes", len);
    return 0;
}

int sw_guard_scan(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, sw_guard_verdict *v,
                  sw_err *err) {
    sw_guard_scan_opts o = {.dir = dir, .source = SW_TEXT_USER};
    return sw_guard_scan_opts_scan(g, &o, text, len, v, err);
}

int sw_guard_restore(const sw_guard *g, const char *text, size_t len, sw_buf *out, sw_err *err) {
    if (gredact_restore(g->has_key ? g->key : NULL, text, len, out) < 0)
        return sw_err_set(err, "guard: out of memory restoring %zu bytes", len);
    return 0;
}

int sw_guard_verdict_json_chars(json_t *verdict, const char *text, size_t len) {
    uint32_t *chars = malloc((len + 1) * sizeof *chars); /* character index of each byte */
    if (!chars) return -1;
    uint32_t c = 0;
    for (size_t i = 0; i < len; c++) {
        int l = sw_utf8_seq_len((const unsigned char *)text + i, len - i);
        for (int k = 0; k < (l ? l : 1); k++) chars[i++] = c; /* an ill-formed byte is one U+FFFD */
    }
    chars[len] = c;
    json_t *fs = json_object_get(verdict, "findings");
    for (size_t i = 0; i < json_array_size(fs); i++) {
        json_t *f = json_array_get(fs, i);
        json_int_t s = json_integer_value(json_object_get(f, "start")), e = json_integer_value(json_object_get(f, "end"));
        if (s < 0 || e < s || (size_t)e > len) continue; /* not a span of this text */
        json_object_set_new(f, "char_start", json_integer(chars[s]));
        json_object_set_new(f, "char_end", json_integer(chars[e]));
    }
    free(chars);
    return 0;
}

json_t *sw_guard_verdict_json(const sw_guard_verdict *v) {
    json_t *o = json_object(), *fs = json_array();
    if (!o || !fs) {
        json_decref(o);
        json_decref(fs);
        return NULL;
    }
    json_object_set_new(o, "action", json_string(sw_guard_action_name(v->action)));
    json_object_set_new(o, "direction", json_string(v->dir == SW_GUARD_OUTPUT ? "output" : "input"));
    json_object_set_new(o, "source", json_string(sw_guard_text_source_name(v->text_source)));
    for (size_t i = 0; i < v->n_findings; i++) {
        const sw_guard_finding *f = &v->findings[i];
        json_t *j = json_object();
        json_object_set_new(j, "category", json_string(f->category));
        json_object_set_new(j, "type", json_string(f->type));
        json_object_set_new(j, "start", json_integer((json_int_t)f->start));
        json_object_set_new(j, "end", json_integer((json_int_t)f->end));
        json_object_set_new(j, "score", json_real(sw_round_sig(f->score, SW_GUARD_SCORE_DIGITS)));
        json_object_set_new(j, "source", json_string(sw_guard_source_name(f->source)));
        json_object_set_new(j, "explain", json_string(f->explain));
        json_object_set_new(j, "action", json_string(sw_guard_action_name(f->action)));
        if (f->tc260[0]) json_object_set_new(j, "tc260", json_string(f->tc260));
        json_array_append_new(fs, j);
    }
    json_object_set_new(o, "findings", fs);
    sw_buf r = {0};
    const unsigned char *t = (const unsigned char *)(v->redacted ? v->redacted : "");
    if (sw_utf8_valid(t, v->redacted_len)) { /* the common case: as it is, no copy */
        json_object_set_new(o, "redacted", json_stringn_nocheck((const char *)t, v->redacted_len));
    } else {
        for (size_t i = 0; i < v->redacted_len;) { /* ill-formed bytes become U+FFFD */
            int l = sw_utf8_seq_len(t + i, v->redacted_len - i);
            if (l) sw_buf_append(&r, t + i, (size_t)l);
            else sw_buf_append(&r, "\xEF\xBF\xBD", 3);
            i += l ? (size_t)l : 1;
        }
        json_object_set_new(o, "redacted", json_stringn(r.data ? r.data : "", r.len));
    }
    sw_buf_free(&r);
    json_object_set_new(o, "policy_hash", json_string(v->policy_hash));
    if (v->truncated) json_object_set_new(o, "findings_truncated", json_true());
    return o;
}
