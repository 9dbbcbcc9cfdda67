/* gbnf.c - the GBNF parser (llama.cpp's grammar syntax) into the rule builder; groups
 * and repetitions become generated rules, errors name line:column. */
#include "grammar/grammar_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GBNF_MAX_DEPTH 128    /* nested groups */
#define GBNF_MAX_REPEAT 10000 /* m and n of {m,n} */
#define GBNF_MAX_CLASS 1024   /* ranges in one character class */

typedef struct gparser {
    const char *s;
    size_t n, i;
    sw_gbuild *b;
    sw_err *err;
    int depth;
} gparser;

/* Sets "grammar: line L:C: msg" for the current position. Returns -1. */
static int fail(gparser *p, const char *fmt, ...) {
    int line = 1, col = 1;
    for (size_t k = 0; k < p->i && k < p->n; k++) {
        if (p->s[k] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)p->s[k] & 0xC0) != 0x80) {
            col++;
        }
    }
    char msg[SW_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sw_err_set(p->err, "grammar: line %d:%d: %s", line, col, msg);
}

static int peek(const gparser *p) { return p->i < p->n ? (unsigned char)p->s[p->i] : -1; }

/* Skips blanks and # comments; newlines too when newline_ok. */
static void skip_space(gparser *p, int newline_ok) {
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == '#') {
            while (p->i < p->n && p->s[p->i] != '\n') p->i++;
        } else if (c == ' ' || c == '\t' || c == '\r' || (newline_ok && c == '\n')) {
            p->i++;
        } else {
            break;
        }
    }
}

static int is_name_char(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static size_t name_len(const gparser *p) {
    size_t k = p->i;
    while (k < p->n && is_name_char((unsigned char)p->s[k])) k++;
    return k - p->i;
}

static int hex_digits(gparser *p, int count, uint32_t *cp) {
    uint32_t v = 0;
    for (int k = 0; k < count; k++) {
        int c = peek(p), d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return fail(p, "expected %d hex digits", count);
        v = v * 16 + (uint32_t)d;
        p->i++;
    }
    *cp = v;
    return 0;
}

/* One character of a literal or class: an escape or a UTF-8 sequence. */
static int parse_char(gparser *p, uint32_t *cp) {
    if (p->i >= p->n) return fail(p, "unexpected end of grammar");
    if (p->s[p->i] != '\\') {
        int len = sw_utf8_decode((const unsigned char *)p->s + p->i, p->n - p->i, cp);
        if (len <= 0) return fail(p, "invalid UTF-8");
        p->i += (size_t)len;
        return 0;
    }
    p->i++;
    int c = peek(p);
    p->i++;
    switch (c) {
    case 'n': *cp = '\n'; return 0;
    case 'r': *cp = '\r'; return 0;
    case 't': *cp = '\t'; return 0;
    case '\\': case '"': case '[': case ']': case '/': case '-': case '^': *cp = (uint32_t)c; return 0;
    case 'x': return hex_digits(p, 2, cp);
    case 'u': return hex_digits(p, 4, cp);
    case 'U': return hex_digits(p, 8, cp) < 0 ? -1 : *cp > 0x10FFFF ? fail(p, "code point past U+10FFFF") : 0;
    default: p->i--; return fail(p, "unknown escape '\\%c'", c > 31 && c < 127 ? c : '?');
    }
}

static int push_cp(gparser *p, int32_t rule, uint32_t cp) {
    sw_grange r = {cp, cp};
    int32_t set = sw_g_add_set(p->b->g, &r, 1, 0, p->err);
    return set < 0 ? -1 : sw_gb_push(p->b, rule, SW_GE_CHARS, set, p->err);
}

static int parse_literal(gparser *p, int32_t rule) {
    p->i++; /* the opening quote */
    while (peek(p) != '"') {
        uint32_t cp;
        if (parse_char(p, &cp) < 0 || push_cp(p, rule, cp) < 0) return -1;
    }
    p->i++;
    return 0;
}

static int parse_class(gparser *p, int32_t rule) {
    sw_grange r[GBNF_MAX_CLASS];
    int n = 0, neg = 0;
    p->i++;
    if (peek(p) == '^') {
        neg = 1;
        p->i++;
    }
    while (peek(p) != ']') {
        if (n == GBNF_MAX_CLASS) return fail(p, "more than %d ranges in a class", GBNF_MAX_CLASS);
        uint32_t lo, hi;
        size_t at = p->i;
        if (parse_char(p, &lo) < 0) return -1;
        hi = lo;
        if (peek(p) == '-' && p->i + 1 < p->n && p->s[p->i + 1] != ']') {
            p->i++;
            if (parse_char(p, &hi) < 0) return -1;
            if (hi < lo) {
                p->i = at;
                return fail(p, "range ends before it starts");
            }
        }
        r[n++] = (sw_grange){lo, hi};
    }
    p->i++;
    int32_t set = sw_g_add_set(p->b->g, r, n, neg, p->err);
    return set < 0 ? -1 : sw_gb_push(p->b, rule, SW_GE_CHARS, set, p->err);
}

static int parse_alts(gparser *p, int32_t rule, int nested);

static int parse_group(gparser *p, int32_t rule) {
    if (++p->depth > GBNF_MAX_DEPTH) return fail(p, "groups nested deeper than %d", GBNF_MAX_DEPTH);
    p->i++;
    skip_space(p, 1);
    int32_t sub = sw_gb_fresh(p->b, p->b->rules[rule].name, p->err);
    if (sub < 0 || parse_alts(p, sub, 1) < 0) return -1;
    if (peek(p) != ')') return fail(p, "expected ')'");
    p->i++;
    p->depth--;
    return sw_gb_push(p->b, rule, SW_GE_REF, sub, p->err);
}

/* x* as a new rule R ::= x R | (empty); returns R or -1. */
static int32_t star_rule(gparser *p, int32_t rule, sw_gelem x) {
    int32_t r = sw_gb_fresh(p->b, p->b->rules[rule].name, p->err);
    if (r < 0 || sw_gb_push(p->b, r, x.kind, x.arg, p->err) < 0 || sw_gb_push(p->b, r, SW_GE_REF, r, p->err) < 0 ||
        sw_gb_push(p->b, r, SW_GE_ALT, 0, p->err) < 0)
        return -1;
    return r;
}

/* x repeated min..max times (max < 0: unbounded), appended to rule. */
static int emit_repeat(gparser *p, int32_t rule, sw_gelem x, int min, int max) {
    for (int k = 0; k < min; k++)
        if (sw_gb_push(p->b, rule, x.kind, x.arg, p->err) < 0) return -1;
    if (max < 0) {
        int32_t r = star_rule(p, rule, x);
        return r < 0 ? -1 : sw_gb_push(p->b, rule, SW_GE_REF, r, p->err);
    }
    int32_t prev = -1; /* optional chain: R_k ::= x R_(k-1) | (empty) */
    for (int k = min; k < max; k++) {
        int32_t r = sw_gb_fresh(p->b, p->b->rules[rule].name, p->err);
        if (r < 0 || sw_gb_push(p->b, r, x.kind, x.arg, p->err) < 0) return -1;
        if (prev >= 0 && sw_gb_push(p->b, r, SW_GE_REF, prev, p->err) < 0) return -1;
        if (sw_gb_push(p->b, r, SW_GE_ALT, 0, p->err) < 0) return -1;
        prev = r;
    }
    return prev < 0 ? 0 : sw_gb_push(p->b, rule, SW_GE_REF, prev, p->err);
}

static int parse_count(gparser *p, int *out) {
    int v = 0, digits = 0;
    while (peek(p) >= '0' && peek(p) <= '9') {
        v = v * 10 + (p->s[p->i++] - '0');
        digits++;
        if (v > GBNF_MAX_REPEAT) return fail(p, "repetition count over %d", GBNF_MAX_REPEAT);
    }
    if (!digits) return fail(p, "expected a number");
    *out = v;
    return 0;
}

/* {m}, {m,}, {m,n} after the opening brace. */
static int parse_braces(gparser *p, int *min, int *max) {
    p->i++;
    skip_space(p, 1);
    if (parse_count(p, min) < 0) return -1;
    skip_space(p, 1);
    *max = *min;
    if (peek(p) == ',') {
        p->i++;
        skip_space(p, 1);
        *max = -1;
        if (peek(p) != '}' && parse_count(p, max) < 0) return -1;
        skip_space(p, 1);
    }
    if (peek(p) != '}') return fail(p, "expected '}'");
    p->i++;
    if (*max >= 0 && *max < *min) return fail(p, "{m,n} with n < m");
    return 0;
}

/* Applies a postfix operator to the elements of rule from index start (the last atom). */
static int parse_postfix(gparser *p, int32_t rule, int32_t start) {
    int c = peek(p), min, max;
    if (c == '*') min = 0, max = -1, p->i++;
    else if (c == '+') min = 1, max = -1, p->i++;
    else if (c == '?') min = 0, max = 1, p->i++;
    else if (c == '{') {
        if (parse_braces(p, &min, &max) < 0) return -1;
    } else return 0;
    sw_gelem x;
    sw_grule *r = &p->b->rules[rule];
    if (r->n - start == 1) {
        x = r->el[start];
    } else { /* several elements (a literal): they become a rule of their own */
        int32_t sub = sw_gb_fresh(p->b, p->b->rules[rule].name, p->err);
        if (sub < 0) return -1;
        for (int32_t k = start; k < p->b->rules[rule].n; k++) {
            sw_gelem e = p->b->rules[rule].el[k];
            if (sw_gb_push(p->b, sub, e.kind, e.arg, p->err) < 0) return -1;
        }
        x = (sw_gelem){SW_GE_REF, sub};
    }
    p->b->n_elems -= p->b->rules[rule].n - start;
    p->b->rules[rule].n = start;
    return emit_repeat(p, rule, x, min, max);
}

static int parse_seq(gparser *p, int32_t rule, int nested) {
    for (;;) {
        int c = peek(p);
        int32_t start = p->b->rules[rule].n;
        int rc;
        if (c == '"') rc = parse_literal(p, rule);
        else if (c == '[') rc = parse_class(p, rule);
        else if (c == '(') rc = parse_group(p, rule);
        else if (c == '.') {
            p->i++;
            int32_t set = sw_g_add_set(p->b->g, NULL, 0, 1, p->err);
            rc = set < 0 ? -1 : sw_gb_push(p->b, rule, SW_GE_CHARS, set, p->err);
        } else if (c >= 0 && is_name_char(c)) {
            size_t len = name_len(p);
            int32_t ref = sw_gb_rule(p->b, p->s + p->i, len, p->err);
            p->i += len;
            rc = ref < 0 ? -1 : sw_gb_push(p->b, rule, SW_GE_REF, ref, p->err);
        } else return 0;
        if (rc < 0) return -1;
        skip_space(p, nested);
        if (parse_postfix(p, rule, start) < 0) return -1;
        skip_space(p, nested);
    }
}

static int parse_alts(gparser *p, int32_t rule, int nested) {
    if (parse_seq(p, rule, nested) < 0) return -1;
    while (peek(p) == '|') {
        if (sw_gb_push(p->b, rule, SW_GE_ALT, 0, p->err) < 0) return -1;
        p->i++;
        skip_space(p, 1);
        if (parse_seq(p, rule, nested) < 0) return -1;
    }
    return 0;
}

static int parse_rule(gparser *p) {
    size_t len = name_len(p);
    if (!len) return fail(p, "expected a rule name");
    int32_t rule = sw_gb_rule(p->b, p->s + p->i, len, p->err);
    if (rule < 0) return -1;
    if (p->b->rules[rule].defined) return fail(p, "rule '%s' defined twice", p->b->rules[rule].name);
    p->b->rules[rule].defined = 1;
    p->i += len;
    skip_space(p, 0);
    if (p->n - p->i < 3 || memcmp(p->s + p->i, "::=", 3) != 0) return fail(p, "expected '::='");
    p->i += 3;
    skip_space(p, 1);
    if (parse_alts(p, rule, 0) < 0) return -1;
    skip_space(p, 0);
    int c = peek(p);
    if (c != '\n' && c != -1) return fail(p, "unexpected '%c'", c > 31 && c < 127 ? c : '?');
    return 0;
}

int sw_grammar_from_gbnf(const char *text, size_t len, sw_grammar **out, sw_err *err) {
    *out = NULL;
    sw_gbuild b;
    if (sw_gb_init(&b, err) < 0) return -1;
    gparser p = {text, len, 0, &b, err, 0};
    int rc = 0;
    skip_space(&p, 1);
    while (rc == 0 && p.i < p.n) {
        rc = parse_rule(&p);
        skip_space(&p, 1);
    }
    if (rc == 0) rc = sw_gb_finish(&b, out, err);
    sw_gb_free(&b);
    return rc;
}
