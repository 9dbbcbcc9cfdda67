/* card_format.c - the system card written out as Markdown or as an HTML page: one layout
 * (headings, paragraphs, lists, tables) with two small renderers. */
#include "report_int.h"

#include <string.h>

#define MAX_COLS 6

typedef struct doc {
    sw_buf *out;
    int html;
    int rc; /* -1 once an append failed */
} doc;

/* Appends text escaped for the format (HTML entities; Markdown: '|' and newlines). */
static void text(doc *d, const char *s) {
    if (!s) return;
    if (d->html) {
        d->rc |= sw_html_escape(d->out, s);
        return;
    }
    for (; *s; s++) {
        if (*s == '|') d->rc |= sw_buf_puts(d->out, "\\|");
        else if (*s == '\n') d->rc |= sw_buf_puts(d->out, " ");
        else d->rc |= sw_buf_append(d->out, s, 1);
    }
}

/* A JSON value as escaped display text. */
static void value(doc *d, const json_t *v) {
    sw_buf t = {0};
    if (v) d->rc |= sw_report_value_text(&t, v);
    text(d, t.data ? t.data : "");
    sw_buf_free(&t);
}

/* A section heading, a paragraph, a bullet list of a JSON array's values. */
static void heading(doc *d, const char *s) {
    d->rc |= sw_buf_puts(d->out, d->html ? "<h2>" : "\n## ");
    text(d, s);
    d->rc |= sw_buf_puts(d->out, d->html ? "</h2>\n" : "\n\n");
}

static void para(doc *d, const char *s) {
    d->rc |= sw_buf_puts(d->out, d->html ? "<p>" : "");
    text(d, s);
    d->rc |= sw_buf_puts(d->out, d->html ? "</p>\n" : "\n\n");
}

static void list(doc *d, const json_t *items) {
    size_t i;
    const json_t *v;
    d->rc |= sw_buf_puts(d->out, d->html ? "<ul>\n" : "");
    json_array_foreach(items, i, v) {
        d->rc |= sw_buf_puts(d->out, d->html ? "<li>" : "- ");
        value(d, v);
        d->rc |= sw_buf_puts(d->out, d->html ? "</li>\n" : "\n");
    }
    d->rc |= sw_buf_puts(d->out, d->html ? "</ul>\n" : "\n");
}

/* A table row of n cells (the header row when head is set). */
static void row(doc *d, int head, const json_t *const *cells, const char *const *labels, int n) {
    d->rc |= sw_buf_puts(d->out, d->html ? "<tr>" : "|");
    for (int i = 0; i < n; i++) {
        d->rc |= sw_buf_puts(d->out, d->html ? (head ? "<th>" : "<td>") : " ");
        if (labels) text(d, labels[i]);
        else value(d, cells[i]);
        d->rc |= sw_buf_puts(d->out, d->html ? (head ? "</th>" : "</td>") : " |");
    }
    d->rc |= sw_buf_puts(d->out, d->html ? "</tr>\n" : "\n");
    if (head && !d->html) {
        d->rc |= sw_buf_puts(d->out, "|");
        for (int i = 0; i < n; i++) d->rc |= sw_buf_puts(d->out, "---|");
        d->rc |= sw_buf_puts(d->out, "\n");
    }
}

/* A table's start with its header row, and its end. */
static void table_begin(doc *d, const char *const *labels, int n) {
    d->rc |= sw_buf_puts(d->out, d->html ? "<table>\n" : "");
    row(d, 1, NULL, labels, n);
}

static void table_end(doc *d) { d->rc |= sw_buf_puts(d->out, d->html ? "</table>\n" : "\n"); }

/* The members of an object as a two-column table. */
static void kv_table(doc *d, const char *k1, const char *k2, const json_t *obj) {
    const char *labels[] = {k1, k2};
    table_begin(d, labels, 2);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        json_t *key = json_string(k);
        const json_t *cells[] = {key, v};
        row(d, 0, cells, NULL, 2);
        json_decref(key);
    }
    table_end(d);
}

/* Rows of the named members of each object in an array (or of each member of an object,
 * whose key fills the first column when first_is_key). */
static void objects_table(doc *d, const json_t *items, const char *const *cols, int n, int first_is_key) {
    table_begin(d, cols, n);
    const char *k;
    const json_t *it;
    size_t i;
    if (json_is_array(items)) {
        json_array_foreach(items, i, it) {
            const json_t *cells[MAX_COLS];
            for (int c = 0; c < n; c++) cells[c] = json_object_get(it, cols[c]);
            row(d, 0, cells, NULL, n);
        }
    } else {
        json_object_foreach((json_t *)items, k, it) {
            json_t *key = json_string(k);
            const json_t *cells[MAX_COLS];
            for (int c = 0; c < n; c++) cells[c] = c == 0 && first_is_key ? key : json_object_get(it, cols[c]);
            row(d, 0, cells, NULL, n);
            json_decref(key);
        }
    }
    table_end(d);
}

/* The card's sections in order. */
static void card_body(doc *d, const json_t *card) {
    const json_t *dep = json_object_get(card, "deployment"), *model = json_object_get(card, "model");
    const json_t *data = json_object_get(card, "data"), *log = json_object_get(card, "audit_log");
    heading(d, "Deployment");
    json_t *dep_flat = json_pack("{s:O, s:O}", "version", json_object_get(dep, "version"), "policy_sha256",
                                 json_object_get(dep, "policy_sha256"));
    kv_table(d, "item", "value", dep_flat);
    json_decref(dep_flat);
    para(d, "Public key ids (first 8 bytes of SHA-256 of each public key):");
    kv_table(d, "key", "id", json_object_get(dep, "keys"));
    heading(d, "Model");
    json_t *mf = json_pack("{s:O, s:O}", "path", json_object_get(model, "path"), "sha256", json_object_get(model, "sha256"));
    kv_table(d, "item", "value", mf);
    json_decref(mf);
    kv_table(d, "GGUF metadata", "value", json_object_get(model, "metadata"));
    heading(d, "Data and lineage");
    json_t *df = json_pack("{s:O, s:O, s:O}", "corpus_manifest", json_object_get(data, "corpus_manifest"), "sha256",
                           json_object_get(data, "sha256"), "model_trained_on_it", json_object_get(data, "model_trained_on_it"));
    kv_table(d, "item", "value", df);
    json_decref(df);
    static const char *const src_cols[] = {"name", "licence", "consent", "origin"};
    if (json_array_size(json_object_get(data, "sources"))) objects_table(d, json_object_get(data, "sources"), src_cols, 4, 0);
    static const char *const lin_cols[] = {"record", "time", "event", "principal", "inputs", "outputs"};
    if (json_array_size(json_object_get(card, "lineage"))) objects_table(d, json_object_get(card, "lineage"), lin_cols, 6, 0);
    else para(d, "No lineage record in the audit log.");
    heading(d, "Intended use");
    para(d, json_string_value(json_object_get(card, "intended_use")));
    heading(d, "Capabilities");
    list(d, json_object_get(card, "capabilities"));
    heading(d, "Limitations");
    list(d, json_object_get(card, "limitations"));
    heading(d, "Evaluations");
    static const char *const ev_cols[] = {"name", "date", "command", "figures", "record"};
    if (json_object_size(json_object_get(card, "evaluations")))
        objects_table(d, json_object_get(card, "evaluations"), ev_cols, 5, 1);
    else
        para(d, "No evaluation recorded in the audit log yet: run the evaluations with --record (steward eval bias "
                "--record, steward eval replay).");
    heading(d, "Audit log");
    if (json_is_true(json_object_get(log, "present"))) kv_table(d, "checkpoint", "value", json_object_get(log, "checkpoint"));
    else para(d, "No audit log here yet.");
}

/* The card as a page of either format, appended to out. -1 with err on OOM. */
static int card_write(const json_t *card, sw_buf *out, int html, sw_err *err) {
    doc d = {out, html, 0};
    char title[64];
    snprintf(title, sizeof title, "System card: steward %s",
             json_string_value(json_object_get(json_object_get(card, "deployment"), "version")));
    if (html) d.rc |= sw_html_begin(out, title);
    else d.rc |= sw_buf_printf(out, "# %s\n", title);
    card_body(&d, card);
    if (html) d.rc |= sw_html_end(out);
    return d.rc ? sw_err_set(err, "out of memory writing the card") : 0;
}

int sw_card_markdown(const json_t *card, sw_buf *out, sw_err *err) { return card_write(card, out, 0, err); }
int sw_card_html(const json_t *card, sw_buf *out, sw_err *err) { return card_write(card, out, 1, err); }
