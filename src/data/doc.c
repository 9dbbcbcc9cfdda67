/* doc.c - one input document with its provenance, read from a JSONL line: a direct reader
 * for the common shape (a flat object of string values), jansson for everything else. */
#include "data_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void sw_data_doc_clear(sw_data_doc *d) {
    free(d->text);
    free(d->source);
    free(d->license);
    free(d->url);
    free(d->date);
    free(d->lang_declared);
    memset(d, 0, sizeof *d);
}

/* A copy of the string field key of o, or NULL when absent or not a string. *oom is set
 * when the copy could not be made. */
static char *opt_string(json_t *o, const char *key, int *oom) {
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) return NULL;
    size_t n = json_string_length(v);
    char *s = malloc(n + 1);
    if (!s) {
        *oom = 1;
        return NULL;
    }
    memcpy(s, json_string_value(v), n);
    s[n] = 0;
    return s;
}

int sw_data_doc_parse_jansson(const char *line, size_t len, sw_data_doc *d, const char *name, int line_no,
                              sw_err *err) {
    sw_data_doc_clear(d);
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, &je);
    if (!o) return sw_err_set(err, "%s:%d: not JSON: %s", name, line_no, je.text);
    int rc = -1, oom = 0;
    if (!json_is_object(o)) {
        sw_err_set(err, "%s:%d: not a JSON object", name, line_no);
        goto out;
    }
    json_t *t = json_object_get(o, "text");
    if (!json_is_string(t)) {
        sw_err_set(err, "%s:%d: no string field 'text'", name, line_no);
        goto out;
    }
    d->len = json_string_length(t);
    d->text = opt_string(o, "text", &oom);
    d->source = opt_string(o, "source", &oom);
    d->license = opt_string(o, "license", &oom);
    if (!d->license) d->license = opt_string(o, "licence", &oom);
    d->url = opt_string(o, "url", &oom);
    d->date = opt_string(o, "date", &oom);
    d->lang_declared = opt_string(o, "lang", &oom);
    json_t *c = json_object_get(o, "consent");
    int cv = json_is_string(c) ? sw_data_consent_parse(json_string_value(c)) : -1;
    d->consent = cv < 0 ? SW_CONSENT_UNKNOWN : (sw_consent)cv;
    d->consent_valid = cv >= 0;
    if (oom) {
        sw_err_set(err, "%s:%d: out of memory", name, line_no);
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    if (rc) sw_data_doc_clear(d);
    return rc;
}

/* ---- the direct reader ---- */
enum { F_TEXT = 0, F_SOURCE, F_LICENSE, F_LICENCE, F_URL, F_DATE, F_LANG, F_CONSENT, F_COUNT };
static const char *const field_keys[F_COUNT] = {"text", "source", "license", "licence", "url", "date", "lang", "consent"};

typedef struct {
    const char *p, *end;
    char *val[F_COUNT];
    size_t len[F_COUNT];
} fast_doc;

static void fast_skip_ws(fast_doc *f) {
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r')) f->p++;
}

static int hex4(const char *s, uint32_t *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int h = c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
        if (h < 0) return -1;
        *v = *v << 4 | (uint32_t)h;
    }
    return 0;
}

/* Decodes the string value at f->p (its opening quote) into a malloc'd *out (NUL-ended,
 * length *n). 1 when done, 0 when the direct reader leaves the line to jansson (a control
 * byte, a \u escape of a surrogate or of U+0000, a bad escape, no closing quote), -1 on OOM. */
static int fast_string(fast_doc *f, char **out, size_t *n) {
    const char *p = f->p + 1, *end = f->end;
    char *o = malloc((size_t)(end - p) + 1), *w = o; /* decoded is never longer than written */
    if (!o) return -1;
    static const char esc_from[] = "\"\\/bfnrt", esc_to[] = "\"\\/\b\f\n\r\t";
    for (;;) {
        if (p >= end || (unsigned char)*p < 0x20) break;
        if (*p == '"') {
            *w = 0, *out = o, *n = (size_t)(w - o), f->p = p + 1;
            return 1;
        }
        if (*p != '\\') {
            *w++ = *p++;
            continue;
        }
        if (p + 1 >= end) break;
        const char *e = memchr(esc_from, p[1], sizeof esc_from - 1);
        if (e && p[1]) {
            *w++ = esc_to[e - esc_from], p += 2;
            continue;
        }
        uint32_t cp;
        if (p[1] != 'u' || end - p < 6 || hex4(p + 2, &cp) || cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) break;
        w += sw_utf8_encode(cp, (unsigned char *)w);
        p += 6;
    }
    free(o);
    return 0;
}

/* Reads a line of the shape {"key": "string", ...} (no other value types, no escapes in
 * keys, no repeated field of the document) into f->val. 1 when read, 0 when the line is
 * left to jansson, -1 on OOM. */
static int fast_fields(fast_doc *f) {
    fast_skip_ws(f);
    if (f->p >= f->end || *f->p++ != '{') return 0;
    for (;;) {
        fast_skip_ws(f);
        if (f->p >= f->end || *f->p != '"') return 0;
        const char *k = ++f->p, *ke = k;
        while (ke < f->end && *ke != '"' && *ke != '\\' && (unsigned char)*ke >= 0x20) ke++;
        if (ke >= f->end || *ke != '"') return 0;
        f->p = ke + 1;
        fast_skip_ws(f);
        if (f->p >= f->end || *f->p++ != ':') return 0;
        fast_skip_ws(f);
        if (f->p >= f->end || *f->p != '"') return 0;
        char *v;
        size_t vn;
        int rc = fast_string(f, &v, &vn);
        if (rc <= 0) return rc;
        int field = -1;
        for (int i = 0; i < F_COUNT && field < 0; i++)
            if ((size_t)(ke - k) == strlen(field_keys[i]) && memcmp(k, field_keys[i], (size_t)(ke - k)) == 0) field = i;
        if (field < 0 || f->val[field]) { /* another key, or a field given twice (jansson keeps the last) */
            free(v);
            if (field >= 0) return 0;
        } else {
            f->val[field] = v, f->len[field] = vn;
        }
        fast_skip_ws(f);
        if (f->p < f->end && *f->p == ',') {
            f->p++;
            continue;
        }
        if (f->p >= f->end || *f->p++ != '}') return 0;
        fast_skip_ws(f);
        return f->p == f->end && f->val[F_TEXT] != NULL;
    }
}

/* The direct reader: 1 when d is filled, 0 when the line is left to jansson, -1 on OOM. */
static int parse_fast(const char *line, size_t len, sw_data_doc *d) {
    if (!sw_utf8_valid((const unsigned char *)line, len)) return 0; /* jansson names the byte */
    fast_doc f = {.p = line, .end = line + len};
    int rc = fast_fields(&f);
    if (rc == 1) {
        d->text = f.val[F_TEXT], d->len = f.len[F_TEXT];
        d->source = f.val[F_SOURCE];
        d->license = f.val[F_LICENSE] ? f.val[F_LICENSE] : f.val[F_LICENCE];
        if (f.val[F_LICENSE]) free(f.val[F_LICENCE]);
        d->url = f.val[F_URL], d->date = f.val[F_DATE], d->lang_declared = f.val[F_LANG];
        int cv = f.val[F_CONSENT] ? sw_data_consent_parse(f.val[F_CONSENT]) : -1;
        free(f.val[F_CONSENT]);
        d->consent = cv < 0 ? SW_CONSENT_UNKNOWN : (sw_consent)cv;
        d->consent_valid = cv >= 0;
        return 1;
    }
    for (int i = 0; i < F_COUNT; i++) free(f.val[i]);
    return rc;
}

int sw_data_doc_parse_json(const char *line, size_t len, sw_data_doc *d, const char *name, int line_no,
                           sw_err *err) {
    sw_data_doc_clear(d);
    int rc = parse_fast(line, len, d);
    if (rc < 0) return sw_err_set(err, "%s:%d: out of memory", name, line_no);
    return rc ? 0 : sw_data_doc_parse_jansson(line, len, d, name, line_no, err);
}
