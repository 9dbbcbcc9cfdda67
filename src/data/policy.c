/* policy.c - the data policy: licences allowed, what to do with personal data by consent
 * status, the harmful-content limit per source, languages kept and which rules run. */
#include "steward/data.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HARM_LIMIT 0.05
#define DEFAULT_NEAR_DUP 0.7
#define MAX_WORDS 72

void sw_data_policy_default(sw_data_policy *p) {
    memset(p, 0, sizeof *p);
    p->personal[SW_CONSENT_YES] = SW_PD_KEEP;
    p->personal[SW_CONSENT_NO] = SW_PD_DROP;
    p->personal[SW_CONSENT_UNKNOWN] = SW_PD_REDACT;
    p->personal[SW_CONSENT_NOT_APPLICABLE] = SW_PD_REDACT;
    p->harm_limit = DEFAULT_HARM_LIMIT;
    p->harm_sample = SW_DATA_HARM_SAMPLE;
    p->c4_lines = 1;
    p->gopher = 1;
    p->near_dup_jaccard = DEFAULT_NEAR_DUP;
    sw_sha256_hex("", 0, p->sha256);
}

static const char *consent_names[SW_CONSENT_COUNT] = {"yes", "no", "unknown", "not-applicable"};

const char *sw_data_consent_name(sw_consent c) {
    return (unsigned)c < SW_CONSENT_COUNT ? consent_names[c] : "invalid";
}

int sw_data_consent_parse(const char *s) {
    for (int i = 0; i < SW_CONSENT_COUNT; i++)
        if (s && strcmp(s, consent_names[i]) == 0) return i;
    return -1;
}

/* Adds one licence id of n bytes. -1 with err when too long or too many. */
static int add_licence(sw_data_policy *p, const char *s, size_t n, sw_err *err) {
    if (n == 0) return 0;
    if (n >= SW_DATA_LICENCE_MAX) return sw_err_set(err, "licence id '%.*s' is too long", (int)n, s);
    for (int i = 0; i < p->n_licences; i++)
        if (strlen(p->licences[i]) == n && memcmp(p->licences[i], s, n) == 0) return 0;
    if (p->n_licences >= SW_DATA_MAX_LICENCES)
        return sw_err_set(err, "more than %d licences", SW_DATA_MAX_LICENCES);
    memcpy(p->licences[p->n_licences], s, n);
    p->licences[p->n_licences++][n] = 0;
    return 0;
}

int sw_data_policy_add_licences(sw_data_policy *p, const char *list, sw_err *err) {
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ", ");
        if (add_licence(p, s, n, err)) return -1;
        s += n;
        while (*s == ',' || *s == ' ') s++;
    }
    return 0;
}

int sw_data_policy_allows(const sw_data_policy *p, const char *licence) {
    if (!licence) return 0;
    for (int i = 0; i < p->n_licences; i++)
        if (strcmp(p->licences[i], licence) == 0) return 1;
    return 0;
}

/* Parses "on"/"off" into *v. -1 when neither. */
static int parse_onoff(const char *s, int *v) {
    if (strcmp(s, "on") == 0) *v = 1;
    else if (strcmp(s, "off") == 0) *v = 0;
    else return -1;
    return 0;
}

/* Parses a fraction in [0, 1]. -1 when not a number in range. */
static int parse_fraction(const char *s, double *v) {
    char *end;
    double x = strtod(s, &end);
    if (end == s || *end || !(x >= 0 && x <= 1)) return -1;
    *v = x;
    return 0;
}

static int parse_pd(const char *s) {
    if (strcmp(s, "keep") == 0) return SW_PD_KEEP;
    if (strcmp(s, "redact") == 0) return SW_PD_REDACT;
    if (strcmp(s, "drop") == 0) return SW_PD_DROP;
    return -1;
}

/* Applies one split line (w[0] the key). -1 with err (without the location) on error. */
/* "all" (0) or "sample" (1) into *on. -1 for anything else. */
static int parse_harm_scan(const char *s, int *on) {
    if (strcmp(s, "all") == 0 || strcmp(s, "sample") == 0) return *on = strcmp(s, "sample") == 0, 0;
    return -1;
}

/* A sample size of 1..SW_DATA_HARM_SAMPLE_MAX documents. -1 otherwise. */
static int parse_sample_size(const char *s, int *k) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 1 || v > SW_DATA_HARM_SAMPLE_MAX) return -1;
    *k = (int)v;
    return 0;
}

static int apply_line(sw_data_policy *p, char **w, int n, sw_err *err) {
    const char *k = w[0];
    if (strcmp(k, "licences") == 0 || strcmp(k, "licenses") == 0) {
        for (int i = 1; i < n; i++)
            if (sw_data_policy_add_licences(p, w[i], err)) return -1;
        return 0;
    }
    if (strcmp(k, "languages") == 0) {
        for (int i = 1; i < n; i++) {
            if (p->n_langs >= SW_DATA_MAX_LANGS || strlen(w[i]) >= sizeof p->langs[0])
                return sw_err_set(err, "too many or too long languages");
            strcpy(p->langs[p->n_langs++], w[i]);
        }
        return 0;
    }
    int values = strcmp(k, "personal-data") == 0 ? 2 : 1; /* after the key */
    if (n != values + 1) return sw_err_set(err, "'%s' takes %s", k, values == 2 ? "two values" : "one value");
    if (strcmp(k, "personal-data") == 0) {
        int c = sw_data_consent_parse(w[1]), a = parse_pd(w[2]);
        if (c < 0) return sw_err_set(err, "unknown consent '%s' (yes, no, unknown, not-applicable)", w[1]);
        if (a < 0) return sw_err_set(err, "unknown action '%s' (keep, redact, drop)", w[2]);
        p->personal[c] = (sw_pd_action)a;
        return 0;
    }
    int rc = -1;
    if (strcmp(k, "harm-limit") == 0) rc = parse_fraction(w[1], &p->harm_limit);
    else if (strcmp(k, "near-dup-jaccard") == 0) rc = parse_fraction(w[1], &p->near_dup_jaccard);
    else if (strcmp(k, "c4-lines") == 0) rc = parse_onoff(w[1], &p->c4_lines);
    else if (strcmp(k, "gopher") == 0) rc = parse_onoff(w[1], &p->gopher);
    else if (strcmp(k, "paragraph-dedup") == 0) rc = parse_onoff(w[1], &p->para_dedup);
    else if (strcmp(k, "harm-scan") == 0) rc = parse_harm_scan(w[1], &p->harm_sample_on);
    else if (strcmp(k, "harm-sample") == 0) rc = parse_sample_size(w[1], &p->harm_sample);
    else return sw_err_set(err, "unknown key '%s'", k);
    return rc ? sw_err_set(err, "bad value '%s' for '%s'", w[1], k) : 0;
}

int sw_data_policy_parse(sw_data_policy *p, const char *text, size_t len, const char *name, sw_err *err) {
    size_t pos = 0;
    int line_no = 0;
    const char *line;
    size_t n;
    while (sw_next_line(text, len, &pos, &line_no, &line, &n)) {
        char buf[1024];
        if (n >= sizeof buf) return sw_err_set(err, "%s:%d: line too long", name, line_no);
        memcpy(buf, line, n);
        buf[n] = 0;
        char *hash = strchr(buf, '#');
        if (hash) *hash = 0;
        char *w[MAX_WORDS];
        int nw = 0;
        char *save = NULL;
        for (char *t = strtok_r(buf, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
            if (nw == MAX_WORDS) return sw_err_set(err, "%s:%d: too many words", name, line_no);
            w[nw++] = t;
        }
        if (nw == 0) continue;
        if (apply_line(p, w, nw, err)) return sw_err_prefix(err, "%s:%d", name, line_no);
    }
    sw_sha256_hex(text, len, p->sha256);
    return 0;
}

int sw_data_policy_load(sw_data_policy *p, const char *path, sw_err *err) {
    sw_buf b = {0};
    if (sw_read_file(path, &b, err)) return -1;
    int rc = sw_data_policy_parse(p, b.data ? b.data : "", b.len, path, err);
    sw_buf_free(&b);
    return rc;
}
