/* jcs.c - RFC 8785 JSON canonicalisation: ECMAScript number form, minimal string escapes,
 * members sorted by UTF-16 code units; and the same writer with members kept in order,
 * for output that people and scripts read (0.92, not 0.92000000000000004). */
#include "steward/jcs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most significant digits a double needs to read back exactly. */
#define DOUBLE_MAX_DIGITS 17
/* ECMAScript writes decimal notation while the decimal point lies within 21 digits. */
#define ES_MAX_DECIMAL_EXP 21
#define ES_MIN_DECIMAL_EXP (-6)

/* The shortest decimal digits of d > 0 that read back as d, and the exponent n such
 * that d = 0.DIGITS x 10^n. Never fails. */
static void shortest_digits(double d, char digits[DOUBLE_MAX_DIGITS + 1], int *n) {
    char buf[SW_JCS_NUMBER_MAX + 8];
    for (int p = 1; p <= DOUBLE_MAX_DIGITS; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d || p == DOUBLE_MAX_DIGITS) break;
    }
    /* buf is "D[.DDD]e[+-]XX" */
    int k = 0;
    const char *s = buf;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') digits[k++] = *s;
    while (k > 1 && digits[k - 1] == '0') k--;
    digits[k] = 0;
    *n = atoi(s + 1) + 1;
}

int sw_jcs_number(double d, char out[SW_JCS_NUMBER_MAX], sw_err *err) {
    if (!isfinite(d)) return sw_err_set(err, "jcs: NaN or an infinity cannot be written as JSON");
    if (d == 0) {
        strcpy(out, "0"); /* -0 as well */
        return 0;
    }
    char digits[DOUBLE_MAX_DIGITS + 1], *o = out;
    int n;
    if (d < 0) *o++ = '-';
    shortest_digits(fabs(d), digits, &n);
    int k = (int)strlen(digits);
    if (k <= n && n <= ES_MAX_DECIMAL_EXP) { /* 1e20 -> "100000000000000000000" */
        memcpy(o, digits, (size_t)k);
        memset(o + k, '0', (size_t)(n - k));
        o[n] = 0;
    } else if (0 < n && n <= ES_MAX_DECIMAL_EXP) { /* 12.5 */
        sprintf(o, "%.*s.%s", n, digits, digits + n);
    } else if (ES_MIN_DECIMAL_EXP < n && n <= 0) { /* 0.000125 */
        memcpy(o, "0.", 2);
        memset(o + 2, '0', (size_t)-n);
        strcpy(o + 2 - n, digits);
    } else { /* 1.25e-7, 1e+21 */
        int e = n - 1;
        if (k == 1) sprintf(o, "%se%c%d", digits, e < 0 ? '-' : '+', abs(e));
        else sprintf(o, "%c.%se%c%d", digits[0], digits + 1, e < 0 ? '-' : '+', abs(e));
    }
    return 0;
}

/* The next UTF-16 code unit of the UTF-8 string at *s (advanced past each code point);
 * *low holds the second half of a surrogate pair between calls. 0 at the end. */
static unsigned next_unit(const unsigned char **s, const unsigned char *end, unsigned *low) {
    if (*low) {
        unsigned u = *low;
        *low = 0;
        return u;
    }
    if (*s >= end) return 0;
    uint32_t cp;
    int n = sw_utf8_decode(*s, (size_t)(end - *s), &cp);
    if (n == 0) { /* not UTF-8 (jansson checks names, so only by misuse): order by byte */
        cp = **s;
        n = 1;
    }
    *s += n;
    if (cp < 0x10000) return cp;
    cp -= 0x10000;
    *low = 0xDC00 + (cp & 0x3FF);
    return 0xD800 + (cp >> 10);
}

/* Orders two member names by their UTF-16 code units (RFC 8785 section 3.2.3). */
static int cmp_names(const void *pa, const void *pb) {
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    const unsigned char *sa = (const unsigned char *)a, *sb = (const unsigned char *)b;
    const unsigned char *ea = sa + strlen(a), *eb = sb + strlen(b);
    unsigned la = 0, lb = 0;
    for (;;) {
        int more_a = la || sa < ea, more_b = lb || sb < eb;
        if (!more_a || !more_b) return more_a - more_b;
        unsigned ua = next_unit(&sa, ea, &la), ub = next_unit(&sb, eb, &lb);
        if (ua != ub) return ua < ub ? -1 : 1;
    }
}

/* Appends s[0..n) as a JSON string with only the escapes RFC 8785 requires. */
static int put_string(sw_buf *out, const char *s, size_t n) {
    int rc = sw_buf_puts(out, "\"");
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(u, sizeof u, "\\u%04x", c);
                esc = u;
            }
        }
        if (!esc) continue;
        rc |= sw_buf_append(out, s + run, i - run);
        rc |= sw_buf_puts(out, esc);
        run = i + 1;
    }
    if (rc == 0) rc = sw_buf_append(out, s + run, n - run);
    return rc | sw_buf_puts(out, "\"");
}

static int put_value(const json_t *v, sw_buf *out, int depth, int sort, sw_err *err);

/* Appends an object with its members in UTF-16 order (sort) or in their own order. */
static int put_object(const json_t *v, sw_buf *out, int depth, int sort, sw_err *err) {
    size_t n = json_object_size(v), i = 0;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) return sw_err_set(err, "jcs: out of memory");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)v, key, val) names[i++] = key;
    if (sort) qsort(names, n, sizeof *names, cmp_names);
    int rc = sw_buf_puts(out, "{") ? sw_err_set(err, "jcs: out of memory") : 0;
    for (i = 0; i < n && rc == 0; i++) {
        if ((i && sw_buf_puts(out, ",")) || put_string(out, names[i], strlen(names[i])) || sw_buf_puts(out, ":"))
            rc = sw_err_set(err, "jcs: out of memory");
        else rc = put_value(json_object_get(v, names[i]), out, depth + 1, sort, err);
    }
    free(names);
    if (rc == 0 && sw_buf_puts(out, "}")) rc = sw_err_set(err, "jcs: out of memory");
    return rc;
}

static int put_value(const json_t *v, sw_buf *out, int depth, int sort, sw_err *err) {
    char num[SW_JCS_NUMBER_MAX];
    int rc = 0;
    if (depth > SW_JCS_MAX_DEPTH) return sw_err_set(err, "jcs: nested deeper than %d", SW_JCS_MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return put_object(v, out, depth, sort, err);
    case JSON_ARRAY:
        rc = sw_buf_puts(out, "[");
        for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
            if (i && sw_buf_puts(out, ",")) rc = -1;
            else if (put_value(json_array_get(v, i), out, depth + 1, sort, err) < 0) return -1;
        }
        rc |= sw_buf_puts(out, "]");
        break;
    case JSON_STRING:
        rc = put_string(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        if (!sort) { /* output keeps integers exact (seeds are 63-bit); JCS reads them as doubles */
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            rc = sw_buf_puts(out, num);
            break;
        }
        /* fall through */
    case JSON_REAL:
        if (sw_jcs_number(json_number_value(v), num, err) < 0) return -1;
        rc = sw_buf_puts(out, num);
        break;
    case JSON_TRUE: rc = sw_buf_puts(out, "true"); break;
    case JSON_FALSE: rc = sw_buf_puts(out, "false"); break;
    case JSON_NULL: rc = sw_buf_puts(out, "null"); break;
    }
    return rc ? sw_err_set(err, "jcs: out of memory") : 0;
}

int sw_jcs_append(const json_t *v, sw_buf *out, sw_err *err) {
    if (!v) return sw_err_set(err, "jcs: no value");
    return put_value(v, out, 0, 1, err);
}

int sw_json_compact_append(const json_t *v, sw_buf *out, sw_err *err) {
    if (!v) return sw_err_set(err, "json: no value");
    return put_value(v, out, 0, 0, err);
}

char *sw_jcs_dumps(const json_t *v, sw_err *err) {
    sw_buf b = {0};
    if (sw_jcs_append(v, &b, err) < 0) {
        sw_buf_free(&b);
        return NULL;
    }
    return b.data; /* a value is never empty, so data is allocated */
}
