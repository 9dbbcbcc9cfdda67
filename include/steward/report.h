/* report.h - evidence from the audit log: evaluation records, the transparency report of
 * a period (one section per article of the Consensus) and the system card.
 *
 * Evaluations keep their results in the audit log: a command run with --record appends
 * {"type":"evaluation","name":NAME,"time":UNIX,"command":...,"figures":{...}}, so that the
 * card and the report cite each figure by its record number, under a signed checkpoint. */
#ifndef STEWARD_REPORT_H
#define STEWARD_REPORT_H

#include "steward/core.h"

#include <jansson.h>

#define SW_EVAL_RECORD_TYPE "evaluation"
#define SW_REPORT_GRID_DEFAULT 400.0 /* g CO2e per kWh when none is given (as `steward train`) */

/* Parses a date: "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM:SSZ" or unix seconds.
 * -1 with err quoting the text otherwise. */
int sw_report_parse_time(const char *s, int64_t *out, sw_err *err);
/* The time of an audit record: its "time" member as unix seconds (an integer) or an
 * ISO 8601 UTC string (lineage records); -1 when it has none. */
int64_t sw_report_record_time(const json_t *rec);

/* Adds one to the integer obj[key] (0 when absent): the counters of reports and
 * evaluations. -1 on OOM. */
int sw_report_count(json_t *obj, const char *key);

/* Appends an evaluation record (see above) to the log under home (opened, appended
 * durably, closed). figures is borrowed. *index (may be NULL) receives its number. -1
 * when the log cannot be opened (another process writes it) or written. */
int sw_eval_record(const char *home, const char *name, const char *command, const json_t *figures,
                   uint64_t *index, sw_err *err);

typedef struct sw_report_opts {
    const char *home;  /* state directory (audit/, state.db) */
    int64_t since;     /* records with since <= time < until */
    int64_t until;     /* <= 0: now */
    double grid;       /* g CO2e per kWh; <= 0: SW_REPORT_GRID_DEFAULT */
} sw_report_opts;

/* Computes the transparency report from the audit log (read-only, at its current size,
 * which the report carries with the root as its checkpoint) and, when present, the
 * oversight store: {"period", "checkpoint", "totals", "articles": [{"id", "title",
 * "controls": [{"name", "evidence": [...]}], "missing": [...]}]} (docs/report.md).
 * NULL with err when there is no log or a record cannot be read. */
json_t *sw_report_build(const sw_report_opts *o, sw_err *err);
/* The report as one self-contained HTML page, appended to out. -1 on OOM. */
int sw_report_html(const json_t *report, sw_buf *out, sw_err *err);

/* Appends text to out with &, <, >, " and ' escaped for HTML. -1 on OOM. */
int sw_html_escape(sw_buf *out, const char *text);

/* Builds the system card: deployment (version, policy hash, keys' ids), model (GGUF
 * metadata and hash), data (the shipped dataset card and the log's lineage records),
 * intended use, capabilities and limitations, and the latest evaluation record of each
 * kind. model_path NULL: the default model. The audit log may be absent (then the card
 * says so). NULL with err when the model cannot be read. */
json_t *sw_card_build(const char *home, const char *model_path, sw_err *err);
/* The card as Markdown or as an HTML page, appended to out. -1 on OOM. */
int sw_card_markdown(const json_t *card, sw_buf *out, sw_err *err);
int sw_card_html(const json_t *card, sw_buf *out, sw_err *err);

#endif
