/* redteam_html.c - the red-team report as one self-contained HTML page: settings, tables
 * and inline SVG bar charts (rate with its 95% Wilson whisker); no script, no fetch. */
#include "redteam_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CHART_LABEL_W 170 /* px: the label column */
#define CHART_BAR_W 420   /* px: 100% */
#define CHART_ROW_H 20
#define CHART_PAD 24      /* px: axis labels below, margin right */

/* Appends s with &, <, >, " escaped. */
static int put_esc(sw_buf *b, const char *s)
{
    int rc = 0;
    for (; *s && rc == 0; s++) {
        switch (*s) {
        case '&': rc = sw_buf_puts(b, "&amp;"); break;
        case '<': rc = sw_buf_puts(b, "&lt;"); break;
        case '>': rc = sw_buf_puts(b, "&gt;"); break;
        case '"': rc = sw_buf_puts(b, "&quot;"); break;
        default: rc = sw_buf_append(b, s, 1);
        }
    }
    return rc;
}

/* The number under key of o (0 when absent), and the i-th bound of o's "ci95". */
static double num(const json_t *o, const char *key) { return json_number_value(json_object_get(o, key)); }
static double ci(const json_t *o, size_t i) { return json_number_value(json_array_get(json_object_get(o, "ci95"), i)); }

/* One horizontal bar with its whisker, at row y. */
static int put_bar(sw_buf *b, int y, const char *label, double rate, double lo, double hi)
{
    double x0 = CHART_LABEL_W, yc = y + CHART_ROW_H / 2.0;
    int rc = sw_buf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">",
                           CHART_LABEL_W - 6, yc);
    rc |= put_esc(b, label);
    rc |= sw_buf_printf(b, "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#4a7bb7\"/>", x0, y + 3,
                        rate * CHART_BAR_W, CHART_ROW_H - 6);
    rc |= sw_buf_printf(b,
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>"
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>"
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>",
                        x0 + lo * CHART_BAR_W, x0 + hi * CHART_BAR_W, yc, yc, x0 + lo * CHART_BAR_W,
                        x0 + lo * CHART_BAR_W, y + 5, y + CHART_ROW_H - 5, x0 + hi * CHART_BAR_W,
                        x0 + hi * CHART_BAR_W, y + 5, y + CHART_ROW_H - 5);
    rc |= sw_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\" font-size=\"11\">%.1f%%</text>",
                        x0 + hi * CHART_BAR_W + 4, yc, 100 * rate);
    return rc;
}

/* A chart of the entries of obj (rate under rate_key), with a 0-100% axis. */
static int put_chart(sw_buf *b, const json_t *obj, const char *rate_key, const char *title)
{
    size_t rows = json_object_size(obj);
    int h = (int)rows * CHART_ROW_H + CHART_PAD, w = CHART_LABEL_W + CHART_BAR_W + 2 * CHART_PAD + 20;
    int rc = sw_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
                              "font-family=\"sans-serif\" font-size=\"12\"><title>", w, h);
    rc |= put_esc(b, title);
    rc |= sw_buf_puts(b, "</title>");
    for (int t = 0; t <= 100; t += 25)
        rc |= sw_buf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%d\" stroke=\"#ddd\"/>"
                               "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">%d%%</text>",
                            CHART_LABEL_W + t / 100.0 * CHART_BAR_W, CHART_LABEL_W + t / 100.0 * CHART_BAR_W,
                            h - CHART_PAD + 2, CHART_LABEL_W + t / 100.0 * CHART_BAR_W, h - 8, t);
    const char *key;
    const json_t *v;
    int y = 0;
    json_object_foreach((json_t *)obj, key, v) {
        rc |= put_bar(b, y, key, num(v, rate_key), ci(v, 0), ci(v, 1));
        y += CHART_ROW_H;
    }
    return rc | sw_buf_puts(b, "</svg>\n");
}

/* A table of the entries of obj: name, count, rate, 95% interval. */
static int put_table(sw_buf *b, const json_t *obj, const char *n_key, const char *rate_key, const char *head)
{
    int rc = sw_buf_printf(b, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>95%% interval</th></tr>\n", head,
                           n_key, rate_key);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        rc |= sw_buf_puts(b, "<tr><td>");
        rc |= put_esc(b, key);
        rc |= sw_buf_printf(b, "</td><td>%lld</td><td>%.1f%%</td><td>%.1f%% - %.1f%%</td></tr>\n",
                            (long long)json_integer_value(json_object_get(v, n_key)), 100 * num(v, rate_key),
                            100 * ci(v, 0), 100 * ci(v, 1));
    }
    return rc | sw_buf_puts(b, "</table>\n");
}

/* A section: heading, chart and table of the group named key. */
static int put_group(sw_buf *b, const json_t *report, const char *key, const char *title)
{
    const json_t *g = json_object_get(report, key);
    if (!json_is_object(g)) return 0;
    int rc = sw_buf_puts(b, "<h2>");
    rc |= put_esc(b, title);
    rc |= sw_buf_puts(b, "</h2>\n");
    rc |= put_chart(b, g, "asr", title);
    return rc | put_table(b, g, "attempts", "asr", "name");
}

/* The head of the page: settings and the overall figure. */
static int put_head(sw_buf *b, const json_t *r)
{
    int rc = sw_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                            "<title>steward eval redteam</title><style>body{font-family:sans-serif;margin:2em;"
                            "max-width:60em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
                            "padding:2px 8px;text-align:right}td:first-child{text-align:left}</style></head><body>\n"
                            "<h1>Red-team evaluation</h1>\n<p>Target: <code>");
    rc |= put_esc(b, json_string_value(json_object_get(r, "target")) ? json_string_value(json_object_get(r, "target")) : "");
    rc |= sw_buf_puts(b, "</code>; model <code>");
    rc |= put_esc(b, json_string_value(json_object_get(r, "model")) ? json_string_value(json_object_get(r, "model")) : "");
    rc |= sw_buf_puts(b, json_is_true(json_object_get(r, "chat_format")) ? "</code> (chat format)" : "</code> (plain text)");
    rc |= sw_buf_printf(b, "; seed %lld; limit %lld (0: all); %d tokens per answer.</p>\n",
                        (long long)json_integer_value(json_object_get(r, "seed")),
                        (long long)json_integer_value(json_object_get(r, "limit")),
                        (int)json_integer_value(json_object_get(r, "max_tokens")));
    rc |= sw_buf_printf(b, "<p><b>Attack success rate: %.2f%%</b> (95%% interval %.2f%% - %.2f%%) over %lld attempts. "
                           "An attack succeeds when it is ",
                        100 * num(r, "asr"), 100 * ci(r, 0), 100 * ci(r, 1),
                        (long long)json_integer_value(json_object_get(r, "attempts")));
    rc |= put_esc(b, json_string_value(json_object_get(r, "passed_means")) ? json_string_value(json_object_get(r, "passed_means")) : "");
    rc |= sw_buf_puts(b, ".</p>\n<h2>Outcomes</h2>\n<table><tr><th>outcome</th><th>attempts</th></tr>\n");
    const char *key;
    const json_t *v;
    json_object_foreach(json_object_get(r, "outcomes"), key, v) {
        rc |= sw_buf_printf(b, "<tr><td>%s</td><td>%lld</td></tr>\n", key, (long long)json_integer_value(v));
    }
    rc |= sw_buf_puts(b, "</table>\n");
    const json_t *ans = json_object_get(r, "asr_answered");
    return rc | sw_buf_printf(b, "<p>%lld attacks were never answered (the guards let them through but the target "
                                 "could not take the prompt, e.g. longer than the model's context: the user gets an "
                                 "error): no control stopped them. Over the %lld answered attacks the success rate is "
                                 "%.2f%% (95%% interval %.2f%% - %.2f%%).</p>\n",
                              (long long)json_integer_value(json_object_get(r, "not_answered")),
                              (long long)json_integer_value(json_object_get(ans, "attempts")),
                              100 * json_number_value(json_object_get(ans, "asr")),
                              100 * json_number_value(json_array_get(json_object_get(ans, "ci95"), 0)),
                              100 * json_number_value(json_array_get(json_object_get(ans, "ci95"), 1)));
}

/* Over-refusal: stop rates of the benign sets. */
static int put_over(sw_buf *b, const json_t *r)
{
    const json_t *o = json_object_get(r, "over_refusal");
    if (!json_is_object(o)) return 0;
    int rc = sw_buf_puts(b, "<h2>Over-refusal: stop rate on prompts that must be answered</h2>\n"
                            "<p>Stopped = blocked at input or output, or answered with a refusal; a prompt the "
                            "target could not answer (too long for its context) is counted apart, not as stopped.</p>\n");
    rc |= put_chart(b, o, "stop_rate", "Over-refusal stop rate");
    return rc | put_table(b, o, "prompts", "stop_rate", "set");
}

int sw_redteam_write_html(const json_t *report, const char *path, sw_err *err)
{
    sw_buf b = {0};
    int rc = put_head(&b, report);
    rc |= put_group(&b, report, "by_category", "Attack success by harm category");
    rc |= put_group(&b, report, "by_set", "Attack success by goal set (v1: the first goals, v2: written later)");
    rc |= put_group(&b, report, "by_template", "Attack success by template");
    rc |= put_group(&b, report, "by_converter", "Attack success by converter");
    rc |= put_over(&b, report);
    rc |= sw_buf_puts(&b, "</body></html>\n");
    if (rc) {
        sw_buf_free(&b);
        return sw_err_set(err, "%s: out of memory", path);
    }
    FILE *f = fopen(path, "w");
    int ok = f && fwrite(b.data, 1, b.len, f) == b.len;
    if (f && fclose(f) != 0) ok = 0;
    sw_buf_free(&b);
    return ok ? 0 : sw_err_set(err, "%s: cannot write: %s", path, strerror(errno));
}
