/* doc.c - one input document with its provenance, read from a JSONL line. */
#include "steward/data.h"

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

int sw_data_doc_parse_json(const char *line, size_t len, sw_data_doc *d, const char *name, int line_no,
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
