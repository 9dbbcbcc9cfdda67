/* evidence_parse.c - the readers of the evaluation data that `eval bias` and `eval replay`
 * take (TSV templates and terms, the CrowS-Pairs CSV, JSONL prompts), kept apart from the
 * evaluations so that their fuzz target links the readers alone. */
#include "steward/eval.h"
#include "steward/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT "{X}"
#define TSV_FIELDS 3
#define FIELD_MAX 4096      /* bytes of one TSV field at most */
#define CSV_MAX_COLS 64
#define SOURCE_MAX 96

/* Splits a line into exactly TSV_FIELDS tab-separated fields. -1 when it has another count. */
static int split_tsv(const char *line, size_t len, const char *f[TSV_FIELDS], size_t flen[TSV_FIELDS]) {
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != '\t') continue;
        if (k == TSV_FIELDS) return -1;
        f[k] = line + start, flen[k] = i - start, k++;
        start = i + 1;
    }
    return k == TSV_FIELDS ? 0 : -1;
}

/* Parses a three-field TSV file; check validates each line and builds its object. */
static json_t *parse_tsv(const char *data, size_t len, const char *name, sw_err *err,
                         json_t *(*build)(const char *f[TSV_FIELDS], const size_t flen[TSV_FIELDS], const char **why)) {
    json_t *arr = json_array();
    size_t pos = 0, ll;
    int no = 0;
    const char *line;
    while (arr && sw_next_line(data, len, &pos, &no, &line, &ll)) {
        if (ll && line[ll - 1] == '\r') ll--;
        if (ll == 0 || line[0] == '#') continue;
        const char *f[TSV_FIELDS], *why = "expected three tab-separated fields";
        size_t flen[TSV_FIELDS];
        json_t *o = NULL;
        if (split_tsv(line, ll, f, flen) == 0) {
            int ok = 1;
            for (int i = 0; i < TSV_FIELDS; i++) ok &= flen[i] > 0 && flen[i] < FIELD_MAX && sw_utf8_valid((const unsigned char *)f[i], flen[i]);
            why = ok ? why : "a field is empty, too long or not UTF-8";
            if (ok) o = build(f, flen, &why);
        }
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            sw_err_set(err, "%s: line %d: %s", name, no, why);
            return NULL;
        }
    }
    if (!arr) sw_err_set(err, "out of memory");
    return arr;
}

/* 1 for the languages the data may use: en and zh. */
static int is_lang(const char *s, size_t n) { return (n == 2 && !memcmp(s, "en", 2)) || (n == 2 && !memcmp(s, "zh", 2)); }

/* Line builders for parse_tsv: the object of a valid line, or NULL with *why set. */
static json_t *build_template(const char *f[TSV_FIELDS], const size_t flen[TSV_FIELDS], const char **why) {
    int harmful = flen[1] == 7 && !memcmp(f[1], "harmful", 7);
    char text[FIELD_MAX];
    memcpy(text, f[2], flen[2]), text[flen[2]] = 0;
    const char *x = strstr(text, SLOT);
    if (!is_lang(f[0], flen[0])) *why = "the language must be en or zh";
    else if (!harmful && !(flen[1] == 6 && !memcmp(f[1], "benign", 6))) *why = "the label must be benign or harmful";
    else if (!x || strstr(x + 1, SLOT) || memchr(text, 0, flen[2])) *why = "the template must hold {X} exactly once";
    else return json_pack("{s:s%, s:b, s:s}", "lang", f[0], flen[0], "harmful", harmful, "text", text);
    return NULL;
}

static json_t *build_term(const char *f[TSV_FIELDS], const size_t flen[TSV_FIELDS], const char **why) {
    if (!is_lang(f[0], flen[0])) {
        *why = "the language must be en or zh";
        return NULL;
    }
    return json_pack("{s:s%, s:s%, s:s%}", "lang", f[0], flen[0], "group", f[1], flen[1], "term", f[2], flen[2]);
}

json_t *sw_bias_parse_templates(const char *data, size_t len, const char *name, sw_err *err) {
    return parse_tsv(data, len, name, err, build_template);
}

json_t *sw_bias_parse_terms(const char *data, size_t len, const char *name, sw_err *err) {
    return parse_tsv(data, len, name, err, build_term);
}

/* Reads one CSV record (RFC 4180: quoted fields may hold commas, doubled quotes and line
 * breaks) from data[*pos..len) into fields (NUL-terminated copies in *store, offsets in
 * off). Returns the number of fields, 0 at the end, -1 on an unterminated quote. */
static int csv_record(const char *data, size_t len, size_t *pos, sw_buf *store, size_t off[CSV_MAX_COLS]) {
    size_t p = *pos;
    int n = 0;
    if (p >= len) return 0;
    sw_buf_reset(store);
    for (;;) {
        if (n < CSV_MAX_COLS) off[n] = store->len;
        if (p < len && data[p] == '"') {
            for (p++;; p++) {
                if (p >= len) return -1;
                if (data[p] == '"' && (p + 1 >= len || data[p + 1] != '"')) break;
                if (data[p] == '"') p++;
                if (n < CSV_MAX_COLS && sw_buf_append(store, data + p, 1)) return -1;
            }
            p++;
        }
        for (; p < len && data[p] != ',' && data[p] != '\n'; p++) {
            if (n >= CSV_MAX_COLS || data[p] == '\r') continue;
            if (sw_buf_append(store, data + p, 1)) return -1;
        }
        if (n < CSV_MAX_COLS && sw_buf_append(store, "", 1)) return -1;
        n++;
        if (p >= len || data[p] == '\n') break;
        p++;
    }
    *pos = p + 1;
    return n;
}

/* The column of each wanted name in a header record; 0 when all are found, -1 if not. */
static int crows_header(const sw_buf *b, const size_t *off, int n, int col[3]) {
    static const char *const want[] = {"sent_more", "sent_less", "bias_type"};
    for (int w = 0; w < 3; w++) {
        col[w] = -1;
        for (int i = 0; i < n && i < CSV_MAX_COLS; i++)
            if (strcmp(b->data + off[i], want[w]) == 0) col[w] = i;
        if (col[w] < 0) return -1;
    }
    return 0;
}

json_t *sw_crows_parse(const char *data, size_t len, const char *name, sw_err *err) {
    int col[3], rec = 0, n;
    size_t pos = 0, off[CSV_MAX_COLS];
    sw_buf b = {0};
    json_t *arr = json_array();
    const char *why = arr ? NULL : "out of memory";
    while (!why && (n = csv_record(data, len, &pos, &b, off)) != 0) {
        if (n == 1 && b.data[0] == 0) continue; /* a blank line */
        rec++;
        if (n < 0) why = "unterminated quote";
        else if (rec == 1) why = crows_header(&b, off, n, col) < 0 ? "the header lacks sent_more, sent_less or bias_type" : NULL;
        else if (n <= col[0] || n <= col[1] || n <= col[2] || n > CSV_MAX_COLS) why = "too few or too many columns";
        else {
            json_t *o = json_pack("{s:s, s:s, s:s}", "more", b.data + off[col[0]], "less", b.data + off[col[1]],
                                  "bias_type", b.data + off[col[2]]);
            if (!o || json_array_append_new(arr, o)) why = "not UTF-8, or out of memory";
        }
    }
    sw_buf_free(&b);
    if (!why && rec == 0) why = "empty";
    if (!why) return arr;
    json_decref(arr);
    sw_err_set(err, "%s: record %d: %s", name, rec, why);
    return NULL;
}

/* ======================= the guard on identity templates ======================= */

json_t *sw_replay_parse_prompts(const char *data, size_t len, const char *name, sw_err *err) {
    json_t *arr = json_array();
    size_t pos = 0, ll;
    int no = 0;
    const char *line;
    while (arr && sw_next_line(data, len, &pos, &no, &line, &ll)) {
        if (ll == 0 || (ll == 1 && line[0] == '\r')) continue;
        char what[SOURCE_MAX];
        snprintf(what, sizeof what, "line %d of %s", no, name);
        json_t *o = sw_json_parse(line, ll, what, 0, err);
        const json_t *p = json_object_get(o, "prompt");
        if (!p) p = json_object_get(o, "text");
        const json_t *id = json_object_get(o, "id");
        char src[SOURCE_MAX];
        if (json_is_string(id)) snprintf(src, sizeof src, "%s", json_string_value(id));
        else if (json_is_integer(id)) snprintf(src, sizeof src, "%lld", (long long)json_integer_value(id));
        else snprintf(src, sizeof src, "line %d", no);
        json_t *item = json_is_string(p) ? json_pack("{s:O, s:s}", "prompt", p, "source", src) : NULL;
        if (o && !item) sw_err_set(err, "%s: no \"prompt\" (or \"text\") string", what);
        json_decref(o);
        if (!item || json_array_append_new(arr, item)) {
            json_decref(arr);
            return NULL;
        }
    }
    if (!arr) sw_err_set(err, "out of memory");
    return arr;
}
