/* cmd_report.c - `steward report`: the transparency report of a period, from the audit log
 * (and the oversight store), as JSON or one HTML page. */
#include "cli.h"
#include "steward/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes text to path, or to stdout when path is NULL. -1 with err naming the file. */
int sw_cli_write_text(const char *path, const sw_buf *text, sw_err *err) {
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) return sw_err_set(err, "%s: cannot create", path);
    size_t n = text->len ? fwrite(text->data, 1, text->len, f) : 0;
    int bad = n != text->len || (path ? fclose(f) != 0 : fflush(f) != 0);
    return bad ? sw_err_set(err, "%s: write failed", path ? path : "stdout") : 0;
}

int sw_cmd_report(int argc, char **argv) {
    const char *cmd = "report", *since_s = NULL, *until_s = NULL, *format = "html", *out = NULL;
    double grid = 0;
    const sw_opt opts[] = {
        {"since", SW_OPT_STR, &since_s, "DATE", "start of the period (YYYY-MM-DD, ISO time or unix seconds; required)"},
        {"until", SW_OPT_STR, &until_s, "DATE", "end of the period, excluded (default: now)"},
        {"format", SW_OPT_STR, &format, "F", "html (default) or json"},
        {"out", SW_OPT_STR, &out, "FILE", "write the report to FILE (default: stdout)"},
        {"grid", SW_OPT_DOUBLE, &grid, "G", "grid carbon intensity, g CO2e/kWh (default 400)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos = 0;
    int rc = sw_cli_parse(cmd, "report --since DATE [--until DATE] [--format html|json] [--out FILE] [--grid G]\n\n"
                               "The transparency report of a period, computed from the audit log (and the\n"
                               "server's oversight store state.db when present): traffic, stops by category,\n"
                               "reviews, takeovers, halts, feedback, labels and watermarks issued, energy and\n"
                               "CO2e, then one section per article of the Consensus (02, 05-10) naming each\n"
                               "control, its evidence (figure, command, when, audit record numbers) and what\n"
                               "evidence is missing. It carries the log size and Merkle root it was computed at.",
                          opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!since_s) return sw_cli_usage_error(cmd, "--since is required");
    int html = strcmp(format, "html") == 0;
    if (!html && strcmp(format, "json") != 0) return sw_cli_usage_error(cmd, "--format must be html or json");
    sw_err err;
    sw_report_opts o = {.grid = grid};
    char home[4096];
    if (sw_report_parse_time(since_s, &o.since, &err) < 0 || (until_s && sw_report_parse_time(until_s, &o.until, &err) < 0))
        return sw_cli_usage_error(cmd, "%s", err.msg);
    if (until_s && o.until <= o.since) return sw_cli_usage_error(cmd, "--until must come after --since");
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0) return sw_cli_fail(cmd, &err);
    o.home = home;
    json_t *r = sw_report_build(&o, &err);
    if (!r) return sw_cli_fail(cmd, &err);
    sw_buf text = {0};
    if (html) rc = sw_report_html(r, &text, &err);
    else {
        char *s = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(10));
        rc = s && sw_buf_puts(&text, s) == 0 && sw_buf_puts(&text, "\n") == 0 ? 0 : sw_err_set(&err, "out of memory");
        free(s);
    }
    json_decref(r);
    if (rc == 0) rc = sw_cli_write_text(out, &text, &err);
    sw_buf_free(&text);
    return rc < 0 ? sw_cli_fail(cmd, &err) : SW_EXIT_OK;
}
