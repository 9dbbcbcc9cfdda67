/* schema.c - a JSON Schema subset compiled to GBNF (compact JSON in the schema's
 * property order), then to a grammar by the GBNF parser. Errors name the JSON pointer
 * of the keyword, or line:column for JSON syntax. */
#include "grammar/grammar_int.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_MAX_DEPTH 64      /* nested schemas */
#define SCHEMA_MAX_REPEAT 1000   /* maxLength, maxItems honoured exactly up to this */
#define SCHEMA_MAX_REFS 256      /* distinct $ref targets */
#define SCHEMA_INT_LIMIT 1000000000000LL /* integer bounds are clamped to +-10^12 */
/* Numbers have at most 12 integer digits: longer runs of digits read as card numbers to
 * the output guard's default policy, whose redaction would break the document. */
#define SCHEMA_MAX_DIGITS 12

/* Rules every schema grammar can use. */
static const char *const PRIMITIVES =
    "value ::= object | array | string | number | boolean | null\n"
    "object ::= \"{\" ( string \":\" value ( \",\" string \":\" value )* )? \"}\"\n"
    "array ::= \"[\" ( value ( \",\" value )* )? \"]\"\n"
    "string ::= \"\\\"\" char* \"\\\"\"\n"
    "char ::= [^\"\\\\\\x7f\\x00-\\x1f] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4} )\n"
    "safechar ::= [^\"\\\\\\x7f\\x00-\\x1f]\n"
    "nat ::= \"0\" | [1-9] [0-9]{0,11}\n"
    "integer ::= \"-\"? nat\n"
    "number ::= \"-\"? nat ( \".\" [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?\n"
    "boolean ::= \"true\" | \"false\"\n"
    "null ::= \"null\"\n"
    "date ::= [0-9]{4} \"-\" ( ( \"0\" [13578] | \"1\" [02] ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"3\" [01] )"
    " | ( \"0\" [469] | \"11\" ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"30\" )"
    " | \"02-\" ( \"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8] ) )\n"
    "time ::= ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{1,6} )?"
    " ( \"Z\" | [+-] ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )\n"
    "date-time ::= date \"T\" time\n"
    "emailpart ::= [a-zA-Z0-9_+-]{1,32}\n"
    "email ::= emailpart ( \".\" emailpart ){0,3} \"@\" [a-zA-Z0-9]{1,20} ( \".\" [a-zA-Z0-9]{1,20} ){0,3}"
    " \".\" [a-z]{2,6}\n"
    "uuid ::= [0-9a-f]{8} \"-\" [0-9a-f]{4} \"-\" [0-9a-f]{4} \"-\" [0-9a-f]{4} \"-\" [0-9a-f]{12}\n";

typedef struct sctx {
    json_t *root;
    sw_buf *all; /* the grammar: finished rules */
    sw_buf *out; /* the body of the rule being written */
    sw_err *err;
    int n_rules, depth;
    char *ref_path[SCHEMA_MAX_REFS];
    int ref_rule[SCHEMA_MAX_REFS];
    int n_refs;
} sctx;

static int gen(sctx *c, json_t *s, const char *path, int *rule);
static int gen_into(sctx *c, json_t *s, const char *path, int r);

static int oom(sctx *c) { return sw_err_set(c->err, "schema: out of memory"); }

/* Appends s as a GBNF string literal. */
static int put_literal(sw_buf *b, const char *s, size_t n) {
    if (sw_buf_puts(b, "\"") < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        int rc = ch == '"' || ch == '\\' ? sw_buf_printf(b, "\\%c", ch)
                 : ch < 0x20 || ch == 0x7f ? sw_buf_printf(b, "\\x%02x", ch)
                                           : sw_buf_append(b, &ch, 1);
        if (rc < 0) return -1;
    }
    return sw_buf_puts(b, "\"");
}

/* Appends value v, as compact JSON, as a literal. */
static int put_json_literal(sctx *c, json_t *v) {
    char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!txt) return oom(c);
    int rc = put_literal(c->out, txt, strlen(txt));
    free(txt);
    return rc < 0 ? oom(c) : 0;
}

static int put(sctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(sctx *c, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return sw_buf_puts(c->out, tmp) < 0 ? oom(c) : 0;
}

/* ---- integers in a range ---- */

/* Alternatives for the decimal numbers of exactly len digits in [lo, hi] (as digit
 * strings of that length). */
static int put_same_len(sctx *c, const char *lo, const char *hi, int len) {
    if (len == 1) return put(c, "[%c-%c]", lo[0], hi[0]);
    int full = 1; /* lo = d00..0 and hi = e99..9: any digits after the first */
    for (int i = 1; i < len && full; i++) full = lo[i] == '0' && hi[i] == '9';
    if (full) return put(c, "[%c-%c] [0-9]{%d}", lo[0], hi[0], len - 1);
    if (lo[0] == hi[0]) {
        if (put(c, "\"%c\" ", lo[0]) < 0) return -1;
        return put_same_len(c, lo + 1, hi + 1, len - 1);
    }
    char nines[24], zeros[24];
    memset(nines, '9', (size_t)len);
    memset(zeros, '0', (size_t)len);
    if (put(c, "( \"%c\" ( ", lo[0]) < 0 || put_same_len(c, lo + 1, nines, len - 1) < 0) return -1;
    if (hi[0] - lo[0] > 1 && put(c, " ) | [%c-%c] [0-9]{%d} | \"%c\" ( ", lo[0] + 1, hi[0] - 1, len - 1, hi[0]) < 0)
        return -1;
    if (hi[0] - lo[0] == 1 && put(c, " ) | \"%c\" ( ", hi[0]) < 0) return -1;
    if (put_same_len(c, zeros, hi + 1, len - 1) < 0) return -1;
    return put(c, " ) )");
}

/* Alternatives for the natural numbers in [lo, hi] (hi < 0: unbounded, up to
 * SCHEMA_MAX_DIGITS digits). */
static int put_nat_range(sctx *c, long long lo, long long hi) {
    char a[24], b[24];
    int la = snprintf(a, sizeof a, "%lld", lo);
    int lb = hi < 0 ? SCHEMA_MAX_DIGITS : snprintf(b, sizeof b, "%lld", hi);
    if (lb < la) lb = la;
    if (put(c, "( ") < 0) return -1;
    for (int len = la; len <= lb; len++) {
        char from[24], to[24];
        if (len == la) memcpy(from, a, (size_t)len + 1);
        else {
            memset(from, '0', (size_t)len);
            from[0] = '1';
        }
        if (len == lb && hi >= 0) memcpy(to, b, (size_t)len + 1);
        else memset(to, '9', (size_t)len);
        if (len > la && put(c, " | ") < 0) return -1;
        if (put_same_len(c, from, to, len) < 0) return -1;
    }
    return put(c, " )");
}

/* A bound of the schema as an integer: minimum/exclusiveMinimum (lower) or
 * maximum/exclusiveMaximum (upper); *has is 0 when absent. */
static int int_bound(sctx *c, json_t *s, const char *path, int upper, long long *v, int *has) {
    json_t *incl = json_object_get(s, upper ? "maximum" : "minimum");
    json_t *excl = json_object_get(s, upper ? "exclusiveMaximum" : "exclusiveMinimum");
    *has = 0;
    for (int k = 0; k < 2; k++) {
        json_t *x = k ? excl : incl;
        if (!x) continue;
        if (!json_is_number(x))
            return sw_err_set(c->err, "schema: %s/%s: not a number", path, k ? (upper ? "exclusiveMaximum" : "exclusiveMinimum") : (upper ? "maximum" : "minimum"));
        double d = json_number_value(x);
        double r = upper ? (k && floor(d) == d ? d - 1 : floor(d)) : (k && ceil(d) == d ? d + 1 : ceil(d));
        if (r > (double)SCHEMA_INT_LIMIT) r = (double)SCHEMA_INT_LIMIT;
        if (r < -(double)SCHEMA_INT_LIMIT) r = -(double)SCHEMA_INT_LIMIT;
        long long iv = (long long)r;
        if (!*has || (upper ? iv < *v : iv > *v)) *v = iv;
        *has = 1;
    }
    return 0;
}

static int gen_integer(sctx *c, json_t *s, const char *path) {
    long long lo = 0, hi = 0;
    int has_lo, has_hi;
    if (int_bound(c, s, path, 0, &lo, &has_lo) < 0 || int_bound(c, s, path, 1, &hi, &has_hi) < 0) return -1;
    if (!has_lo && !has_hi) return put(c, "integer");
    if (has_lo && has_hi && lo > hi) return sw_err_set(c->err, "schema: %s: no integer lies in the range", path);
    int alt = 0;
    if (put(c, "( ") < 0) return -1;
    if (!has_lo || lo < 0) { /* negative part: -x for x in [max(1, -hi), -lo] */
        long long nlo = has_hi && hi < 0 ? -hi : 1, nhi = has_lo ? -lo : -1;
        if (put(c, "\"-\" ") < 0 || put_nat_range(c, nlo, nhi) < 0) return -1;
        alt = 1;
    }
    if (!has_hi || hi >= 0) {
        if (alt && put(c, " | ") < 0) return -1;
        if (put_nat_range(c, has_lo && lo > 0 ? lo : 0, has_hi ? hi : -1) < 0) return -1;
    }
    return put(c, " )");
}

/* number with bounds: the integers in range, and (for the non-negative ones below the
 * upper bound) the same with a fraction: a subset of the range's numbers, all valid. */
static int gen_number(sctx *c, json_t *s, const char *path) {
    long long lo = 0, hi = 0;
    int has_lo, has_hi;
    if (int_bound(c, s, path, 0, &lo, &has_lo) < 0 || int_bound(c, s, path, 1, &hi, &has_hi) < 0) return -1;
    if (!has_lo && !has_hi) return put(c, "number");
    if (put(c, "( ") < 0 || gen_integer(c, s, path) < 0) return -1;
    long long flo = has_lo && lo > 0 ? lo : 0, fhi = has_hi ? hi - 1 : -1;
    if ((!has_hi || fhi >= flo) && (put(c, " | ") < 0 || put_nat_range(c, flo, fhi) < 0 ||
                                    put(c, " \".\" [0-9]{1,6}") < 0))
        return -1;
    return put(c, " )");
}

/* A regular expression (ECMA subset: literals, escapes \d \w \s \. etc., classes,
 * ., groups, |, * + ? {m,n}; anchors dropped, so that the whole string matches) as a
 * GBNF expression over JSON string content. */
static int gen_pattern(sctx *c, const char *re, const char *path) {
    size_t n = strlen(re), i = 0;
    if (n && re[0] == '^') i++;
    if (n > i && re[n - 1] == '$' && (n < 2 || re[n - 2] != '\\')) n--;
    if (put(c, "( ") < 0) return -1;
    for (; i < n; i++) {
        char ch = re[i];
        int rc = 0;
        if (ch == '(') {
            if (i + 2 < n && re[i + 1] == '?' && re[i + 2] == ':') i += 2;
            else if (i + 1 < n && re[i + 1] == '?') return sw_err_set(c->err, "schema: %s/pattern: lookaround is not supported", path);
            rc = put(c, "( ");
        } else if (ch == ')' || ch == '|' || ch == '*' || ch == '+' || ch == '?') {
            if (ch == '?' && i > 0 && (re[i - 1] == '*' || re[i - 1] == '+' || re[i - 1] == '?' || re[i - 1] == '}')) continue;
            rc = put(c, "%c ", ch);
        } else if (ch == '{') {
            size_t j = i;
            while (j < n && re[j] != '}') j++;
            if (j >= n) return sw_err_set(c->err, "schema: %s/pattern: '{' without '}'", path);
            rc = put(c, "%.*s ", (int)(j - i + 1), re + i);
            i = j;
        } else if (ch == '.') {
            rc = put(c, "safechar ");
        } else if (ch == '[') {
            size_t j = i + 1;
            int neg = j < n && re[j] == '^';
            if (neg) j++;
            rc = put(c, neg ? "[^\"\\\\\\x00-\\x1f" : "[");
            for (; j < n && re[j] != ']' && rc == 0; j++) {
                if (re[j] == '"') return sw_err_set(c->err, "schema: %s/pattern: '\"' in a class is not supported", path);
                if (re[j] == '\\' && j + 1 < n) {
                    char e = re[++j];
                    rc = e == 'd' ? put(c, "0-9") : e == 'w' ? put(c, "a-zA-Z0-9_") : e == 's' ? put(c, " ")
                         : e == '\\' || e == '"' ? sw_err_set(c->err, "schema: %s/pattern: quote or backslash in a class is not supported", path)
                                                 : put(c, "\\%c", e);
                } else rc = put(c, "%c", re[j]);
            }
            if (j >= n) return sw_err_set(c->err, "schema: %s/pattern: '[' without ']'", path);
            rc = rc < 0 ? -1 : put(c, "] ");
            i = j;
        } else if (ch == '\\' && i + 1 < n) {
            char e = re[++i];
            rc = e == 'd' ? put(c, "[0-9] ") : e == 'w' ? put(c, "[a-zA-Z0-9_] ") : e == 's' ? put(c, "\" \" ")
                 : e == 'D' ? put(c, "[^0-9\"\\\\\\x00-\\x1f] ") : e == '\\' ? put(c, "\"\\\\\\\\\" ")
                 : (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')
                     ? sw_err_set(c->err, "schema: %s/pattern: escape '\\%c' is not supported", path, e)
                     : e == '"' ? put(c, "\"\\\\\\\"\" ") : (sw_buf_puts(c->out, "") < 0 || put_literal(c->out, &e, 1) < 0 || put(c, " ") < 0) ? oom(c) : 0;
        } else if (ch == '"') {
            rc = put(c, "\"\\\\\\\"\" ");
        } else {
            size_t len = 1;
            while (i + len < n && ((unsigned char)re[i + len] & 0xC0) == 0x80) len++;
            rc = put_literal(c->out, re + i, len) < 0 || put(c, " ") < 0 ? oom(c) : 0;
            i += len - 1;
        }
        if (rc < 0) return -1;
    }
    return put(c, ")");
}

static int gen_string(sctx *c, json_t *s, const char *path) {
    json_t *fmt = json_object_get(s, "format"), *pat = json_object_get(s, "pattern");
    json_t *mn = json_object_get(s, "minLength"), *mx = json_object_get(s, "maxLength");
    if ((mn && !json_is_integer(mn)) || (mx && !json_is_integer(mx)))
        return sw_err_set(c->err, "schema: %s: minLength and maxLength must be integers", path);
    if (pat) {
        if (!json_is_string(pat)) return sw_err_set(c->err, "schema: %s/pattern: not a string", path);
        if (mn || mx) return sw_err_set(c->err, "schema: %s: pattern with minLength/maxLength is not supported", path);
        return put(c, "\"\\\"\" ") < 0 || gen_pattern(c, json_string_value(pat), path) < 0 ? -1 : put(c, " \"\\\"\"");
    }
    const char *f = json_is_string(fmt) ? json_string_value(fmt) : "";
    if (!strcmp(f, "date") || !strcmp(f, "time") || !strcmp(f, "date-time") || !strcmp(f, "email") || !strcmp(f, "uuid")) {
        if (mn || mx) return sw_err_set(c->err, "schema: %s: format %s with minLength/maxLength is not supported", path, f);
        return put(c, "\"\\\"\" %s \"\\\"\"", f);
    }
    long long lo = mn ? json_integer_value(mn) : 0, hi = mx ? json_integer_value(mx) : -1;
    if (lo < 0 || lo > SCHEMA_MAX_REPEAT || hi > SCHEMA_MAX_REPEAT || (mx && hi < lo))
        return sw_err_set(c->err, "schema: %s: string length bounds must satisfy 0 <= minLength <= maxLength <= %d", path,
                          SCHEMA_MAX_REPEAT);
    if (!mn && !mx) return put(c, "string");
    if (hi < 0) return put(c, "\"\\\"\" char{%lld,} \"\\\"\"", lo);
    return put(c, "\"\\\"\" char{%lld,%lld} \"\\\"\"", lo, hi);
}

static int gen_array(sctx *c, json_t *s, const char *path) {
    json_t *items = json_object_get(s, "items");
    json_t *mn = json_object_get(s, "minItems"), *mx = json_object_get(s, "maxItems");
    if ((mn && !json_is_integer(mn)) || (mx && !json_is_integer(mx)))
        return sw_err_set(c->err, "schema: %s: minItems and maxItems must be integers", path);
    long long lo = mn ? json_integer_value(mn) : 0, hi = mx ? json_integer_value(mx) : -1;
    if (lo < 0 || lo > SCHEMA_MAX_REPEAT || hi > SCHEMA_MAX_REPEAT || (mx && hi < lo))
        return sw_err_set(c->err, "schema: %s: item counts must satisfy 0 <= minItems <= maxItems <= %d", path,
                          SCHEMA_MAX_REPEAT);
    int item = -1;
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/items", path);
    if (items && gen(c, items, sub, &item) < 0) return -1;
    char iname[32];
    snprintf(iname, sizeof iname, item >= 0 ? "r%d" : "value", item);
    if (hi == 0) return put(c, "\"[\" \"]\"");
    char tail[64];
    if (hi < 0) snprintf(tail, sizeof tail, "{%lld,}", lo > 0 ? lo - 1 : 0);
    else snprintf(tail, sizeof tail, "{%lld,%lld}", lo > 0 ? lo - 1 : 0, hi - 1);
    if (lo == 0) return put(c, "\"[\" ( %s ( \",\" %s )%s )? \"]\"", iname, iname, tail);
    return put(c, "\"[\" %s ( \",\" %s )%s \"]\"", iname, iname, tail);
}

/* One link of an object's property chain (see gen_object). */
static int chain_rule(sctx *c, int base, int k, int e, const char *key, int val, int required) {
    int me = base + 2 * k + e, after = base + 2 * k + 3, skip = base + 2 * k + 2 + e;
    json_t *js = json_string(key);
    char *kj = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
    sw_buf kv = {0};
    int rc = !kj || put_literal(&kv, kj, strlen(kj)) < 0 ||
                     sw_buf_printf(c->all, "r%d ::= %s%s \":\" r%d r%d", me, e ? "\",\" " : "", kv.data, val, after) < 0 ||
                     (!required && sw_buf_printf(c->all, " | r%d", skip) < 0) || sw_buf_puts(c->all, "\n") < 0
                 ? oom(c) : 0;
    free(kj);
    json_decref(js);
    sw_buf_free(&kv);
    return rc;
}

/* Properties in the schema's order; optional ones may be left out. Rule chain
 * o<i>_<e>: properties i.. with e = 1 when one was written already (a comma first). */
static int gen_object(sctx *c, json_t *s, const char *path) {
    json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
    json_t *addl = json_object_get(s, "additionalProperties");
    if (props && !json_is_object(props)) return sw_err_set(c->err, "schema: %s/properties: not an object", path);
    if (req && !json_is_array(req)) return sw_err_set(c->err, "schema: %s/required: not an array", path);
    if (!props || json_object_size(props) == 0) {
        if (json_is_object(addl) && json_object_size(addl)) { /* a dictionary */
            char sub[1024];
            int v;
            snprintf(sub, sizeof sub, "%s/additionalProperties", path);
            if (gen(c, addl, sub, &v) < 0) return -1;
            return put(c, "\"{\" ( string \":\" r%d ( \",\" string \":\" r%d )* )? \"}\"", v, v);
        }
        return put(c, json_is_false(addl) ? "\"{\" \"}\"" : "object");
    }
    size_t n = json_object_size(props), i = 0;
    int *val = malloc(n * sizeof *val), *need = calloc(n, sizeof *need);
    const char **keys = malloc(n * sizeof *keys);
    int rc = val && need && keys ? 0 : oom(c);
    const char *key;
    json_t *sub;
    json_object_foreach(props, key, sub) {
        if (rc < 0) break;
        char p2[1024];
        snprintf(p2, sizeof p2, "%s/properties/%s", path, key);
        keys[i] = key;
        rc = gen(c, sub, p2, &val[i]);
        for (size_t k = 0; k < json_array_size(req); k++)
            if (json_is_string(json_array_get(req, k)) && !strcmp(json_string_value(json_array_get(req, k)), key)) need[i] = 1;
        i++;
    }
    for (size_t k = 0; k < json_array_size(req) && rc == 0; k++)
        if (!json_is_string(json_array_get(req, k)) || !json_object_get(props, json_string_value(json_array_get(req, k))))
            rc = sw_err_set(c->err, "schema: %s/required/%zu: not one of the properties", path, k);
    /* the chain: rule base + 2i + e; the last pair is empty */
    int base = c->n_rules;
    c->n_rules += 2 * (int)n + 2;
    for (size_t k = 0; k < n && rc == 0; k++)
        for (int e = 0; e < 2 && rc == 0; e++) rc = chain_rule(c, base, (int)k, e, keys[k], val[k], need[k]);
    if (rc == 0)
        rc = sw_buf_printf(c->all, "r%d ::= \"\"\nr%d ::= \"\"\n", base + 2 * (int)n, base + 2 * (int)n + 1) < 0 ? oom(c) : 0;
    if (rc == 0) rc = put(c, "\"{\" r%d \"}\"", base);
    free(val);
    free(need);
    free(keys);
    return rc;
}

static int gen_type(sctx *c, json_t *s, const char *type, const char *path) {
    if (!strcmp(type, "object")) return gen_object(c, s, path);
    if (!strcmp(type, "array")) return gen_array(c, s, path);
    if (!strcmp(type, "string")) return gen_string(c, s, path);
    if (!strcmp(type, "integer")) return gen_integer(c, s, path);
    if (!strcmp(type, "number")) return gen_number(c, s, path);
    if (!strcmp(type, "boolean") || !strcmp(type, "null")) return put(c, "%s", type);
    return sw_err_set(c->err, "schema: %s/type: unknown type '%s'", path, type);
}

/* "#", "#/$defs/x", "#/definitions/x" (any JSON pointer into the document). */
static int gen_ref(sctx *c, const char *ref, const char *path) {
    for (int i = 0; i < c->n_refs; i++)
        if (!strcmp(c->ref_path[i], ref)) return put(c, "r%d", c->ref_rule[i]);
    if (ref[0] != '#') return sw_err_set(c->err, "schema: %s/$ref: only references inside the document (#...) are supported", path);
    json_t *t = c->root;
    for (const char *p = ref + 1; *p && t;) {
        if (*p != '/') return sw_err_set(c->err, "schema: %s/$ref: '%s' is not a JSON pointer", path, ref);
        const char *e = strchr(p + 1, '/');
        size_t len = e ? (size_t)(e - p - 1) : strlen(p + 1);
        char tok[256];
        size_t k = 0;
        for (size_t i = 0; i < len && k + 1 < sizeof tok; i++) {
            char ch = p[1 + i];
            if (ch == '~' && i + 1 < len) ch = p[1 + ++i] == '1' ? '/' : '~';
            tok[k++] = ch;
        }
        tok[k] = 0;
        t = json_is_object(t) ? json_object_get(t, tok) : NULL;
        p += 1 + len;
    }
    if (!t) return sw_err_set(c->err, "schema: %s/$ref: '%s' does not resolve", path, ref);
    if (c->n_refs >= SCHEMA_MAX_REFS) return sw_err_set(c->err, "schema: more than %d $ref targets", SCHEMA_MAX_REFS);
    int r = c->n_rules++, i = c->n_refs++;
    c->ref_path[i] = strdup(ref);
    c->ref_rule[i] = r;
    if (!c->ref_path[i]) return oom(c);
    if (put(c, "r%d", r) < 0) return -1;
    sw_buf *saved = c->out;
    int rc = gen_into(c, t, ref, r);
    c->out = saved;
    return rc;
}

static const char *const UNSUPPORTED[] = {"not", "if", "then", "else", "dependentRequired", "dependentSchemas",
                                          "patternProperties", "propertyNames", "minProperties", "maxProperties",
                                          "contains", "prefixItems", "multipleOf", "unevaluatedProperties",
                                          "unevaluatedItems", "uniqueItems", NULL};

/* Alternatives of a list of schemas (anyOf, oneOf, type lists handled by the caller). */
static int gen_alts(sctx *c, json_t *list, const char *path, const char *kw) {
    if (!json_is_array(list) || json_array_size(list) == 0) return sw_err_set(c->err, "schema: %s/%s: not a non-empty array", path, kw);
    if (put(c, "( ") < 0) return -1;
    for (size_t i = 0; i < json_array_size(list); i++) {
        char sub[1024];
        int r;
        snprintf(sub, sizeof sub, "%s/%s/%zu", path, kw, i);
        if (gen(c, json_array_get(list, i), sub, &r) < 0 || put(c, "%sr%d", i ? " | " : "", r) < 0) return -1;
    }
    return put(c, " )");
}

static int gen_body(sctx *c, json_t *s, const char *path) {
    if (json_is_true(s)) return put(c, "value");
    if (!json_is_object(s)) return sw_err_set(c->err, "schema: %s: a schema must be an object or true", path);
    for (int i = 0; UNSUPPORTED[i]; i++)
        if (json_object_get(s, UNSUPPORTED[i]) && !(i == 15 && json_is_false(json_object_get(s, UNSUPPORTED[i]))))
            return sw_err_set(c->err, "schema: %s/%s: keyword not supported", path, UNSUPPORTED[i]);
    json_t *x;
    if ((x = json_object_get(s, "$ref"))) {
        if (!json_is_string(x)) return sw_err_set(c->err, "schema: %s/$ref: not a string", path);
        return gen_ref(c, json_string_value(x), path);
    }
    if ((x = json_object_get(s, "const"))) return put_json_literal(c, x);
    if ((x = json_object_get(s, "enum"))) {
        if (!json_is_array(x) || !json_array_size(x)) return sw_err_set(c->err, "schema: %s/enum: not a non-empty array", path);
        for (size_t i = 0; i < json_array_size(x); i++)
            if ((i && put(c, " | ") < 0) || put_json_literal(c, json_array_get(x, i)) < 0) return -1;
        return 0;
    }
    if ((x = json_object_get(s, "anyOf"))) return gen_alts(c, x, path, "anyOf");
    if ((x = json_object_get(s, "oneOf"))) return gen_alts(c, x, path, "oneOf");
    if ((x = json_object_get(s, "allOf"))) {
        if (!json_is_array(x) || json_array_size(x) != 1) return sw_err_set(c->err, "schema: %s/allOf: only one schema is supported", path);
        return gen_alts(c, x, path, "allOf");
    }
    json_t *type = json_object_get(s, "type");
    if (json_is_string(type)) return gen_type(c, s, json_string_value(type), path);
    if (json_is_array(type)) {
        if (!json_array_size(type)) return sw_err_set(c->err, "schema: %s/type: empty", path);
        for (size_t i = 0; i < json_array_size(type); i++) {
            json_t *t = json_array_get(type, i);
            if (!json_is_string(t)) return sw_err_set(c->err, "schema: %s/type/%zu: not a string", path, i);
            if (put(c, i ? " | ( " : "( ") < 0 || gen_type(c, s, json_string_value(t), path) < 0 || put(c, " )") < 0) return -1;
        }
        return 0;
    }
    if (type) return sw_err_set(c->err, "schema: %s/type: not a string or array", path);
    if (json_object_get(s, "properties")) return gen_object(c, s, path);
    if (json_object_get(s, "items")) return gen_array(c, s, path);
    return put(c, "value");
}

/* Writes rule r for schema s. */
static int gen_into(sctx *c, json_t *s, const char *path, int r) {
    if (++c->depth > SCHEMA_MAX_DEPTH) return sw_err_set(c->err, "schema: %s: nested deeper than %d", path, SCHEMA_MAX_DEPTH);
    sw_buf body = {0};
    sw_buf *saved = c->out;
    c->out = &body;
    int rc = gen_body(c, s, path);
    c->out = saved;
    if (rc == 0 && sw_buf_printf(c->all, "r%d ::= %s\n", r, body.len ? body.data : "\"\"") < 0) rc = oom(c);
    sw_buf_free(&body);
    c->depth--;
    return rc;
}

static int gen(sctx *c, json_t *s, const char *path, int *rule) {
    *rule = c->n_rules++;
    return gen_into(c, s, path, *rule);
}

int sw_grammar_schema_to_gbnf(const char *json, size_t len, sw_buf *out, sw_err *err) {
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_DECODE_ANY, &je);
    if (!root) return sw_err_set(err, "schema: line %d:%d: %s", je.line, je.column, je.text);
    sctx c = {0};
    c.root = root;
    c.all = out;
    c.err = err;
    int r = 0;
    int rc = sw_buf_puts(out, PRIMITIVES) < 0 ? oom(&c) : gen(&c, root, "", &r);
    if (rc == 0 && sw_buf_printf(out, "root ::= r%d\n", r) < 0) rc = oom(&c);
    for (int i = 0; i < c.n_refs; i++) free(c.ref_path[i]);
    json_decref(root);
    return rc;
}

int sw_grammar_from_schema(const char *json, size_t len, sw_grammar **out, sw_err *err) {
    *out = NULL;
    sw_buf gbnf = {0};
    int rc = sw_grammar_schema_to_gbnf(json, len, &gbnf, err);
    if (rc == 0 && sw_grammar_from_gbnf(gbnf.data, gbnf.len, out, err) < 0) rc = sw_err_prefix(err, "schema compiled to");
    sw_buf_free(&gbnf);
    return rc;
}
