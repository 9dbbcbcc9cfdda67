/* report_int.h - helpers shared by the report and the card (evidence.c). */
#ifndef STEWARD_REPORT_INT_H
#define STEWARD_REPORT_INT_H

#include "steward/report.h"

#define SW_REPORT_ISO_MAX 32
#define SW_REPORT_HEX_MAX 65

/* The state of the log that a report or card was computed at. */
typedef struct sw_report_checkpoint {
    uint64_t size;                  /* records read: [0, size) */
    char root[SW_REPORT_HEX_MAX];   /* hex Merkle root of those records */
    uint64_t signed_size;           /* the latest signed checkpoint's size, when has_signed */
    int has_signed;
} sw_report_checkpoint;

/* Opens the log under home read-only, fixes its size and root in *cp and calls fn with
 * every record that is a JSON object (borrowed for the call), in order. fn returns 0 to go
 * on, non-zero on failure (out of memory). -1 with err when there is no log, a record
 * cannot be read, or fn failed. */
int sw_report_scan(const char *home, sw_report_checkpoint *cp, int (*fn)(void *ud, uint64_t index, json_t *rec),
                   void *ud, sw_err *err);
/* {"size", "root", "signed_size"?}; NULL on OOM. */
json_t *sw_report_checkpoint_json(const sw_report_checkpoint *cp);
/* t as "YYYY-MM-DDTHH:MM:SSZ". */
void sw_report_iso(int64_t t, char out[SW_REPORT_ISO_MAX]);
/* Appends a JSON value as display text (strings bare, numbers short). -1 on OOM. */
int sw_report_value_text(sw_buf *out, const json_t *v);

/* The report's "articles" array built from its other members (articles.c); NULL on OOM. */
json_t *sw_report_articles(const json_t *report);

/* HTML pieces (html.c): a page's head with its title as <h1>, its end, and a table of an
 * object's members. Each appends to out; -1 on OOM. */
int sw_html_begin(sw_buf *out, const char *title);
int sw_html_end(sw_buf *out);
int sw_html_kv_table(sw_buf *out, const json_t *obj);

#endif
