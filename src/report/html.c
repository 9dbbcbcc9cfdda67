/* html.c - the transparency report as one self-contained HTML page (no scripts, no
 * external resources): the period and checkpoint, the totals, then one section per
 * article with its controls, their evidence and what is missing. */
#include "report_int.h"

#include <string.h>

#define STYLE                                                                                                   \
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"                        \
    "table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em;"          \
    "text-align:left;vertical-align:top}th{background:#f3f3f3}code{font-size:90%}.missing{color:#a00}"

int sw_html_begin(sw_buf *out, const char *title) {
    int rc = sw_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    rc |= sw_html_escape(out, title);
    rc |= sw_buf_puts(out, "</title>\n<style>" STYLE "</style>\n</head>\n<body>\n<h1>");
    rc |= sw_html_escape(out, title);
    rc |= sw_buf_puts(out, "</h1>\n");
    return rc ? -1 : 0;
}

int sw_html_end(sw_buf *out) { return sw_buf_puts(out, "</body>\n</html>\n"); }

/* One escaped table cell holding a JSON value's display text. */
static int cell(sw_buf *out, const json_t *v) {
    sw_buf t = {0};
    int rc = sw_buf_puts(out, "<td>");
    rc |= v ? sw_report_value_text(&t, v) : 0;
    rc |= sw_html_escape(out, t.data ? t.data : "");
    rc |= sw_buf_puts(out, "</td>");
    sw_buf_free(&t);
    return rc ? -1 : 0;
}

/* A two-column table of an object's members. */
int sw_html_kv_table(sw_buf *out, const json_t *obj) {
    const char *k;
    const json_t *v;
    int rc = sw_buf_puts(out, "<table>\n");
    json_object_foreach((json_t *)obj, k, v) {
        rc |= sw_buf_puts(out, "<tr><th>");
        rc |= sw_html_escape(out, k);
        rc |= sw_buf_puts(out, "</th>");
        rc |= cell(out, v);
        rc |= sw_buf_puts(out, "</tr>\n");
    }
    rc |= sw_buf_puts(out, "</table>\n");
    return rc ? -1 : 0;
}

/* One article's section: its controls' evidence as a table, then what is missing. */
static int article_html(sw_buf *out, const json_t *a) {
    int rc = sw_buf_puts(out, "<section>\n<h2>Article ");
    rc |= sw_html_escape(out, json_string_value(json_object_get(a, "id")));
    rc |= sw_buf_puts(out, ": ");
    rc |= sw_html_escape(out, json_string_value(json_object_get(a, "title")));
    rc |= sw_buf_puts(out, "</h2>\n<table>\n<tr><th>control</th><th>evidence</th><th>figure</th><th>command</th>"
                           "<th>when</th><th>records</th></tr>\n");
    size_t i, j;
    const json_t *c, *e;
    json_array_foreach(json_object_get(a, "controls"), i, c) {
        json_array_foreach(json_object_get(c, "evidence"), j, e) {
            rc |= sw_buf_puts(out, "<tr>");
            rc |= cell(out, json_object_get(c, "name"));
            rc |= cell(out, json_object_get(e, "what"));
            rc |= cell(out, json_object_get(e, "figure"));
            rc |= cell(out, json_object_get(e, "command"));
            rc |= cell(out, json_object_get(e, "when"));
            rc |= cell(out, json_object_get(e, "records"));
            rc |= sw_buf_puts(out, "</tr>\n");
        }
    }
    rc |= sw_buf_puts(out, "</table>\n");
    const json_t *m = json_object_get(a, "missing");
    if (json_array_size(m)) {
        rc |= sw_buf_puts(out, "<p>Evidence missing:</p>\n<ul class=\"missing\">\n");
        json_array_foreach(m, i, e) {
            rc |= sw_buf_puts(out, "<li>");
            rc |= sw_html_escape(out, json_string_value(e));
            rc |= sw_buf_puts(out, "</li>\n");
        }
        rc |= sw_buf_puts(out, "</ul>\n");
    }
    rc |= sw_buf_puts(out, "</section>\n");
    return rc ? -1 : 0;
}

int sw_report_html(const json_t *report, sw_buf *out, sw_err *err) {
    const json_t *p = json_object_get(report, "period");
    int rc = sw_html_begin(out, "steward transparency report");
    rc |= sw_buf_puts(out, "<p>Period ");
    rc |= sw_html_escape(out, json_string_value(json_object_get(p, "since")));
    rc |= sw_buf_puts(out, " to ");
    rc |= sw_html_escape(out, json_string_value(json_object_get(p, "until")));
    rc |= sw_buf_puts(out, " (end excluded). Every figure is computed from the audit log's records at the "
                           "checkpoint below; the record numbers let anyone check them with "
                           "<code>steward audit show N</code> and <code>steward audit prove N</code>.</p>\n"
                           "<h2>Checkpoint</h2>\n");
    rc |= sw_html_kv_table(out, json_object_get(report, "checkpoint"));
    rc |= sw_buf_puts(out, "<h2>Totals</h2>\n");
    json_t *totals = json_deep_copy(json_object_get(report, "totals"));
    if (totals) json_object_del(totals, "records");
    rc |= totals ? sw_html_kv_table(out, totals) : -1;
    json_decref(totals);
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(report, "articles"), i, a) rc |= article_html(out, a);
    rc |= sw_html_end(out);
    return rc ? sw_err_set(err, "out of memory writing the report") : 0;
}
