/* policy.c - the human-editable guard policy: which action each finding gets.
 *
 * One rule per line, first match wins; a finding no rule matches is allowed:
 *   # comment
 *   CATEGORY[:TYPE]  [input|output]  [user|document]  [score>=X]  ACTION  [OPERATOR]
 * user|document scopes a rule to the texts scanned as that source (sw_guard_scan_opts).
 * CATEGORY is one the guard produces (BUILTIN_CATS, or one a loaded rules file defines)
 * or '*'; TYPE may be '*'. ACTION is allow, flag, redact, review or block. A typo is an
 * error, never a rule that silently matches nothing, and a policy without rules is an
 * error too: allowing everything takes the explicit line `* allow`.
 * OPERATOR (for redact) is replace (default: <TYPE>), mask[:N] (keep the last N
 * characters), hash (keyed pseudonym), encrypt (reversible) or remove.
 * The policy's SHA-256 travels with every verdict. Two more kinds of line give the words a
 * person reads (the rest of the line after the language, '#' included):
 *   refusal en|zh TEXT       what a blocked request is answered with
 *   cut_notice en|zh TEXT    what ends an output the guard cut short */
#include "guard_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char cat[32], type[40];
    int dir; /* -1 both */
    int src; /* sw_guard_text_source, -1 both */
    double min;
    int action, op, op_arg, line;
} prule;

/* The languages refusal and cut-notice lines may name, in the order of the arrays below. */
static const char *LANGS[SW_GUARD_N_LANGS] = {"en", "zh"};
static const char *DEFAULT_REFUSAL[SW_GUARD_N_LANGS] = {
    "I can't help with that request.",
    "抱歉，我无法协助处理该请求。",
};
static const char *DEFAULT_CUT[SW_GUARD_N_LANGS] = {
    "[The rest of this answer was withheld by the content guard.]",
    "【其余内容已被内容安全策略拦截。】",
};

struct sw_guard_policy {
    prule *r;
    size_t n;
    char hash[65];
    char refusal[SW_GUARD_N_LANGS][SW_GUARD_MESSAGE_MAX];
    char cut[SW_GUARD_N_LANGS][SW_GUARD_MESSAGE_MAX];
    sw_guard_gen_settings gen;
};

static int lang_index(const char *lang) {
    for (int i = 0; i < SW_GUARD_N_LANGS; i++)
        if (lang && strcmp(lang, LANGS[i]) == 0) return i;
    return -1;
}

const char *sw_guard_policy_refusal(const sw_guard_policy *p, const char *lang) {
    int i = lang_index(lang);
    if (i < 0) return NULL;
    return p && p->refusal[i][0] ? p->refusal[i] : DEFAULT_REFUSAL[i];
}

const char *sw_guard_policy_cut_notice(const sw_guard_policy *p, const char *lang) {
    int i = lang_index(lang);
    if (i < 0) return NULL;
    return p && p->cut[i][0] ? p->cut[i] : DEFAULT_CUT[i];
}

void sw_guard_policy_gen_settings(const sw_guard_policy *p, sw_guard_gen_settings *out) {
    if (p) *out = p->gen;
    else memset(out, 0, sizeof *out);
}

void sw_guard_gen_settings_get(const sw_guard *g, sw_guard_gen_settings *out) {
    sw_guard_policy_gen_settings(g ? gguard_policy(g) : NULL, out);
}

/* A number in (lo, hi] after keyword kw in w[i]; -1 with err naming the line. */
static int setting_number(char **w, int nw, int i, const char *kw, double lo, double hi, float *out,
                          const char *name, int line, sw_err *err) {
    char *end = NULL;
    double v = i + 1 < nw && strcmp(w[i], kw) == 0 ? strtod(w[i + 1], &end) : NAN;
    if (!end || *end || !(v > lo && v <= hi))
        return sw_err_set(err, "%s:%d: expected '%s' and a number in (%g, %g]", name, line, kw, lo, hi);
    *out = (float)v;
    return 0;
}

/* An "uncertainty p_below P entropy_above H" or "consistency min A flag|review" line (its
 * words in w): 1 when it is one and was stored, 0 when the line is a rule, -1 with err. */
static int parse_gen_setting(sw_guard_policy *p, char **w, int nw, const char *name, int line, sw_err *err) {
    if (strcmp(w[0], "uncertainty") == 0) {
        if (nw != 5 || setting_number(w, nw, 1, "p_below", 0, 1, &p->gen.uncertain_p, name, line, err) < 0 ||
            setting_number(w, nw, 3, "entropy_above", 0, 100, &p->gen.uncertain_entropy, name, line, err) < 0)
            return sw_err_set(err, "%s:%d: expected 'uncertainty p_below P entropy_above H'", name, line);
        return 1;
    }
    if (strcmp(w[0], "consistency") != 0) return 0;
    if (nw != 4 || setting_number(w, nw, 1, "min", 0, 1, &p->gen.consistency_min, name, line, err) < 0 ||
        (strcmp(w[3], "flag") != 0 && strcmp(w[3], "review") != 0))
        return sw_err_set(err, "%s:%d: expected 'consistency min A flag|review'", name, line);
    p->gen.consistency_review = strcmp(w[3], "review") == 0;
    return 1;
}

const char *sw_guard_refusal(const sw_guard *g, const char *lang) {
    return sw_guard_policy_refusal(g ? gguard_policy(g) : NULL, lang);
}

const char *sw_guard_cut_notice(const sw_guard *g, const char *lang) {
    return sw_guard_policy_cut_notice(g ? gguard_policy(g) : NULL, lang);
}

void sw_guard_verdict_reason(const json_t *verdict, char *out, size_t outsz) {
    const char *action = json_string_value(json_object_get(verdict, "action"));
    const json_t *fs = json_object_get(verdict, "findings");
    snprintf(out, outsz, "%s", action ? action : "no verdict");
    for (size_t i = 0; action && i < json_array_size(fs); i++) {
        const json_t *f = json_array_get(fs, i);
        const char *fa = json_string_value(json_object_get(f, "action"));
        if (!fa || strcmp(fa, action)) continue;
        const char *ex = json_string_value(json_object_get(f, "explain"));
        snprintf(out, outsz, "%s by the %s guard: %s/%s (%s, score %.2f)%s%s", action,
                 json_string_value(json_object_get(verdict, "direction")),
                 json_string_value(json_object_get(f, "category")), json_string_value(json_object_get(f, "type")),
                 json_string_value(json_object_get(f, "source")), json_number_value(json_object_get(f, "score")),
                 ex && *ex ? ": " : "", ex ? ex : "");
        return;
    }
}

/* A "refusal LANG TEXT" or "cut_notice LANG TEXT" line (l is NUL-terminated): 1 when it
 * is one and was stored, 0 when the line is a rule, -1 with err naming the line. */
static int parse_message(sw_guard_policy *p, const char *l, const char *name, int line, sw_err *err) {
    const char *s = l + strspn(l, " \t");
    size_t kw = strcspn(s, " \t\r");
    int refusal = kw == 7 && strncmp(s, "refusal", 7) == 0;
    if (!refusal && !(kw == 10 && strncmp(s, "cut_notice", 10) == 0)) return 0;
    s += kw;
    s += strspn(s, " \t");
    size_t ll = strcspn(s, " \t\r");
    char lang[8];
    snprintf(lang, sizeof lang, "%.*s", (int)(ll < sizeof lang ? ll : sizeof lang - 1), s);
    int i = ll < sizeof lang ? lang_index(lang) : -1;
    if (i < 0) return sw_err_set(err, "%s:%d: %s needs a language, en or zh", name, line, refusal ? "refusal" : "cut_notice");
    s += ll;
    s += strspn(s, " \t");
    size_t tl = strlen(s);
    while (tl && (s[tl - 1] == '\r' || s[tl - 1] == ' ' || s[tl - 1] == '\t')) tl--;
    if (!tl) return sw_err_set(err, "%s:%d: empty message", name, line);
    if (tl >= SW_GUARD_MESSAGE_MAX) return sw_err_set(err, "%s:%d: message longer than %d bytes", name, line, SW_GUARD_MESSAGE_MAX - 1);
    if (!sw_utf8_valid((const unsigned char *)s, tl)) return sw_err_set(err, "%s:%d: message is not UTF-8", name, line);
    char *dst = refusal ? p->refusal[i] : p->cut[i];
    memcpy(dst, s, tl);
    dst[tl] = 0;
    return 1;
}

static const char *ACTIONS[] = {"allow", "flag", "redact", "review", "block"};

/* The categories the scanners, classifiers and shipped taxonomy produce. */
static const char *BUILTIN_CATS[] = {
    "prompt_injection", "jailbreak", "harmful", "pii", "secret", "encoded_payload", "invisible_text",
    "profanity", "template_injection", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S14",
};

/* 1 when cat is '*', a built-in category, or one the rules define. */
static int known_category(const char *cat, const grules *rules) {
    if (strcmp(cat, "*") == 0) return 1;
    for (size_t i = 0; i < sizeof BUILTIN_CATS / sizeof BUILTIN_CATS[0]; i++)
        if (strcmp(cat, BUILTIN_CATS[i]) == 0) return 1;
    return rules && grules_has_category(rules, cat);
}

const char *sw_guard_action_name(sw_guard_action a) {
    return (unsigned)a < 5 ? ACTIONS[a] : "allow";
}

int sw_guard_action_parse(const char *s) {
    for (int i = 0; i < 5; i++)
        if (strcmp(s, ACTIONS[i]) == 0) return i;
    return -1;
}

const char *sw_guard_source_name(sw_guard_source s) {
    static const char *names[] = {"rule", "pii", "classifier", "heuristic"};
    return (unsigned)s < 4 ? names[s] : "rule";
}

void sw_guard_policy_free(sw_guard_policy *p) {
    if (!p) return;
    free(p->r);
    free(p);
}

static int name_ok(const char *s) {
    if (!*s) return 0;
    if (strcmp(s, "*") == 0) return 1;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* Parses one rule from the words of a line. 0, or -1 with err naming the line. */
static int parse_rule(char **w, int nw, prule *r, const grules *rules, const char *name, int line, sw_err *err) {
    memset(r, 0, sizeof *r);
    r->dir = -1;
    r->src = -1;
    r->line = line;
    char *colon = strchr(w[0], ':');
    if (colon) *colon = 0;
    if (strlen(w[0]) >= sizeof r->cat || !name_ok(w[0]))
        return sw_err_set(err, "%s:%d: bad category '%.40s'", name, line, w[0]);
    if (!known_category(w[0], rules))
        return sw_err_set(err, "%s:%d: unknown category '%.40s' (categories are lower-case: prompt_injection, "
                               "jailbreak, harmful, pii, secret, encoded_payload, invisible_text, profanity, "
                               "template_injection, S1..S14, those of the rules files, or *)", name, line, w[0]);
    strcpy(r->cat, w[0]);
    strcpy(r->type, "*");
    if (colon) {
        if (strlen(colon + 1) >= sizeof r->type || !name_ok(colon + 1))
            return sw_err_set(err, "%s:%d: bad type '%.40s'", name, line, colon + 1);
        strcpy(r->type, colon + 1);
    }
    int i = 1;
    if (i < nw && (strcmp(w[i], "input") == 0 || strcmp(w[i], "output") == 0 || strcmp(w[i], "both") == 0)) {
        r->dir = strcmp(w[i], "input") == 0 ? SW_GUARD_INPUT : strcmp(w[i], "output") == 0 ? SW_GUARD_OUTPUT : -1;
        i++;
    }
    if (i < nw && sw_guard_text_source_parse(w[i]) >= 0) r->src = sw_guard_text_source_parse(w[i++]);
    if (i < nw && strncmp(w[i], "score>=", 7) == 0) {
        char *end;
        double d = strtod(w[i] + 7, &end);
        if (end == w[i] + 7 || *end || !(d >= 0 && d <= 1))
            return sw_err_set(err, "%s:%d: bad threshold '%.40s' (want score>=0..1)", name, line, w[i]);
        r->min = d;
        i++;
    }
    if (i >= nw) return sw_err_set(err, "%s:%d: missing action (allow|flag|redact|review|block)", name, line);
    r->action = sw_guard_action_parse(w[i]);
    if (r->action < 0) return sw_err_set(err, "%s:%d: unknown action '%.40s'", name, line, w[i]);
    i++;
    r->op = GOP_REPLACE;
    r->op_arg = 4;
    if (i < nw) {
        if (r->action != SW_ACT_REDACT)
            return sw_err_set(err, "%s:%d: an operator is only allowed with redact", name, line);
        char *op = w[i];
        char *arg = strchr(op, ':');
        if (arg) *arg++ = 0;
        if (strcmp(op, "replace") == 0) r->op = GOP_REPLACE;
        else if (strcmp(op, "mask") == 0) r->op = GOP_MASK;
        else if (strcmp(op, "hash") == 0) r->op = GOP_HASH;
        else if (strcmp(op, "encrypt") == 0) r->op = GOP_ENCRYPT;
        else if (strcmp(op, "remove") == 0) r->op = GOP_REMOVE;
        else return sw_err_set(err, "%s:%d: unknown operator '%.40s'", name, line, op);
        if (arg) {
            char *end;
            long k = strtol(arg, &end, 10);
            if (r->op != GOP_MASK || end == arg || *end || k < 0 || k > 64)
                return sw_err_set(err, "%s:%d: bad operator argument '%.40s'", name, line, arg);
            r->op_arg = (int)k;
        }
        i++;
    }
    if (i < nw) return sw_err_set(err, "%s:%d: unexpected '%.40s'", name, line, w[i]);
    return 0;
}

sw_guard_policy *sw_guard_policy_parse(const char *text, size_t len, const char *name, sw_err *err) {
    return gpolicy_parse(text, len, name, NULL, err);
}

sw_guard_policy *gpolicy_parse(const char *text, size_t len, const char *name, const grules *rules, sw_err *err) {
    sw_guard_policy *p = calloc(1, sizeof *p);
    if (!p) {
        sw_err_set(err, "%s: out of memory", name);
        return NULL;
    }
    sw_sha256_hex(text, len, p->hash);
    size_t cap = 0, i = 0;
    int line = 0;
    const char *l;
    size_t ll;
    while (sw_next_line(text, len, &i, &line, &l, &ll)) {
        char buf[512];
        if (ll >= sizeof buf) {
            sw_err_set(err, "%s:%d: line longer than %zu bytes", name, line, sizeof buf - 1);
            goto fail;
        }
        memcpy(buf, l, ll);
        buf[ll] = 0;
        if (memchr(buf, 0, ll)) {
            sw_err_set(err, "%s:%d: NUL byte", name, line);
            goto fail;
        }
        int msg = parse_message(p, buf, name, line, err);
        if (msg < 0) goto fail;
        if (msg) continue;
        char *hash = strchr(buf, '#');
        if (hash) *hash = 0;
        char *w[8];
        int nw = 0;
        for (char *tok = strtok(buf, " \t\r"); tok; tok = strtok(NULL, " \t\r")) {
            if (nw == 8) {
                sw_err_set(err, "%s:%d: too many fields", name, line);
                goto fail;
            }
            w[nw++] = tok;
        }
        if (nw == 0) continue;
        int setting = parse_gen_setting(p, w, nw, name, line, err);
        if (setting < 0) goto fail;
        if (setting) continue;
        if (p->n == cap) {
            cap = cap ? cap * 2 : 16;
            prule *r = realloc(p->r, cap * sizeof *r);
            if (!r) {
                sw_err_set(err, "%s: out of memory", name);
                goto fail;
            }
            p->r = r;
        }
        if (parse_rule(w, nw, &p->r[p->n], rules, name, line, err) < 0) goto fail;
        p->n++;
    }
    if (p->n == 0) {
        sw_err_set(err, "%s: no rules; a policy that allows everything says so with the line '* allow'", name);
        goto fail;
    }
    return p;
fail:
    sw_guard_policy_free(p);
    return NULL;
}

const char *gpolicy_hash(const sw_guard_policy *p) { return p->hash; }

sw_guard_policy *sw_guard_policy_load(const char *path, sw_err *err) {
    char data[4096], def[4200];
    if (!path) {
        if (sw_guard_data_dir(data, sizeof data, err) < 0) return NULL;
        snprintf(def, sizeof def, "%s/policy/default.policy", data);
        path = def;
    }
    sw_buf b = {0};
    sw_guard_policy *p = NULL;
    if (sw_read_file(path, &b, err) == 0) p = sw_guard_policy_parse(b.data ? b.data : "", b.len, path, err);
    sw_buf_free(&b);
    return p;
}

void sw_guard_policy_apply(const sw_guard_policy *p, sw_guard_dir dir, sw_guard_verdict *v) {
    /* v->text_source is the caller's: rules scoped to user or document read it */
    v->action = SW_ACT_ALLOW;
    v->dir = dir;
    snprintf(v->policy_hash, sizeof v->policy_hash, "%s", p->hash);
    for (size_t k = 0; k < v->n_findings; k++) {
        sw_guard_finding *f = &v->findings[k];
        f->action = SW_ACT_ALLOW;
        f->op = GOP_REPLACE;
        f->op_arg = 4;
        for (size_t i = 0; i < p->n; i++) {
            const prule *r = &p->r[i];
            if (r->dir >= 0 && r->dir != (int)dir) continue;
            if (r->src >= 0 && r->src != v->text_source) continue;
            if (strcmp(r->cat, "*") != 0 && strcmp(r->cat, f->category) != 0) continue;
            if (strcmp(r->type, "*") != 0 && strcmp(r->type, f->type) != 0) continue;
            if (f->score + 1e-6 < r->min) continue; /* scores pass through float */
            f->action = (sw_guard_action)r->action;
            f->op = r->op;
            f->op_arg = r->op_arg;
            break;
        }
        if (f->action > v->action) v->action = f->action;
    }
}
