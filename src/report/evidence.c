/* evidence.c - what the report and the card share: dates, record times, evaluation
 * records, reading the audit log's JSON records, and HTML escaping. */
#include "report_int.h"

#include "steward/audit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SW_REPORT_SHOWN_DIGITS 6 /* significant digits of numbers shown in pages */

/* Unix seconds of a broken-down UTC time; -1 when a field is out of range. */
static int64_t utc_seconds(int y, int mo, int d, int h, int mi, int s) {
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        s < 0 || s > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) return -1; /* 31 February and the like roll over */
    return (int64_t)t;
}

int sw_report_parse_time(const char *s, int64_t *out, sw_err *err) {
    if (!s || !*s) return sw_err_set(err, "empty date");
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);
    if (len == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
    } else if (len == 20 && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 && n == 20) {
    } else {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end || v < 0) return sw_err_set(err, "'%s': not a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or unix seconds)", s);
        *out = v;
        return 0;
    }
    int64_t t = utc_seconds(y, mo, d, h, mi, sec);
    if (t < 0) return sw_err_set(err, "'%s': no such date", s);
    *out = t;
    return 0;
}

int64_t sw_report_record_time(const json_t *rec) {
    const json_t *t = json_object_get(rec, "time");
    if (json_is_integer(t)) return (int64_t)json_integer_value(t);
    if (json_is_real(t)) return (int64_t)json_real_value(t);
    if (!json_is_string(t)) return -1;
    int64_t v;
    return sw_report_parse_time(json_string_value(t), &v, NULL) == 0 ? v : -1;
}

void sw_report_iso(int64_t t, char out[SW_REPORT_ISO_MAX]) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, SW_REPORT_ISO_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int sw_eval_record(const char *home, const char *name, const char *command, const json_t *figures,
                   uint64_t *index, sw_err *err) {
    json_t *rec = json_pack("{s:s, s:s, s:I, s:s, s:O}", "type", SW_EVAL_RECORD_TYPE, "name", name, "time",
                            (json_int_t)time(NULL), "command", command, "figures", figures);
    char *text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(rec);
    if (!text) return sw_err_set(err, "evaluation record of %s: cannot build it", name);
    sw_audit_opts o = {0};
    sw_audit *log;
    if (sw_audit_open(home, &o, &log, err) < 0) {
        free(text);
        return sw_err_prefix(err, "audit log");
    }
    int rc = sw_audit_append(log, text, strlen(text), index, err);
    free(text);
    sw_err close_err;
    if (sw_audit_close(log, &close_err) < 0 && rc == 0) {
        if (err) *err = close_err;
        rc = -1;
    }
    return rc;
}

typedef struct scan_ctx {
    uint64_t size;
    int (*fn)(void *ud, uint64_t index, json_t *rec);
    void *ud;
    int failed; /* the caller's function stopped the scan */
} scan_ctx;

/* Passes every record that is a JSON object to the caller's function; others are skipped
 * (the log holds any bytes). Stops at the size fixed when the scan began. */
static int scan_one(void *ud, uint64_t index, const uint8_t *rec, size_t len) {
    scan_ctx *c = ud;
    if (index >= c->size) return 1;
    json_t *j = json_loadb((const char *)rec, len, 0, NULL);
    int rc = 0;
    if (json_is_object(j)) rc = c->fn(c->ud, index, j);
    json_decref(j);
    if (rc) c->failed = 1;
    return rc;
}

int sw_report_scan(const char *home, sw_report_checkpoint *cp, int (*fn)(void *ud, uint64_t index, json_t *rec),
                   void *ud, sw_err *err) {
    memset(cp, 0, sizeof *cp);
    sw_audit_opts o = {.read_only = 1};
    sw_audit *log;
    if (sw_audit_open(home, &o, &log, err) < 0) return -1;
    cp->size = sw_audit_size(log);
    uint8_t root[SW_HASH_BYTES];
    int rc = sw_audit_root(log, cp->size, root, err);
    if (rc == 0) sw_hex(root, SW_HASH_BYTES, cp->root);
    sw_checkpoint signed_cp;
    if (rc == 0 && sw_audit_latest_checkpoint(log, &signed_cp, NULL, NULL) == 0) {
        cp->signed_size = signed_cp.size;
        cp->has_signed = 1;
    }
    scan_ctx c = {cp->size, fn, ud, 0};
    if (rc == 0 && cp->size > 0 && sw_audit_scan(log, 0, scan_one, &c, err) < 0) {
        rc = -1;
        if (c.failed) sw_err_set(err, "out of memory reading the audit log");
    }
    sw_audit_close(log, NULL);
    return rc;
}

json_t *sw_report_checkpoint_json(const sw_report_checkpoint *cp) {
    json_t *j = json_pack("{s:I, s:s}", "size", (json_int_t)cp->size, "root", cp->root);
    if (j && cp->has_signed) json_object_set_new(j, "signed_size", json_integer((json_int_t)cp->signed_size));
    return j;
}

int sw_report_count(json_t *obj, const char *key) {
    return json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

int sw_html_escape(sw_buf *out, const char *text) {
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep ? sw_buf_puts(out, rep) : sw_buf_append(out, p, 1)) return -1;
    }
    return 0;
}

/* The text of a JSON value for display: a string as it is, a number in its shortest
 * form, anything else compact JSON. Appended to out. */
int sw_report_value_text(sw_buf *out, const json_t *v) {
    if (json_is_string(v)) return sw_buf_puts(out, json_string_value(v));
    if (json_is_integer(v)) return sw_buf_printf(out, "%lld", (long long)json_integer_value(v));
    if (json_is_real(v)) return sw_buf_printf(out, "%.*g", SW_REPORT_SHOWN_DIGITS, json_real_value(v));
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(SW_REPORT_SHOWN_DIGITS));
    int rc = t ? sw_buf_puts(out, t) : -1;
    free(t);
    return rc;
}
