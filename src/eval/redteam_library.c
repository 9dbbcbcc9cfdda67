/* redteam_library.c - the reader of the red-team attack library (goals and templates,
 * JSONL). */
#include "steward/json.h"
#include "steward/redteam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_WHAT_MAX 512

void sw_redteam_items_free(sw_redteam_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free(items[i].id);
        free(items[i].category);
        free(items[i].lang);
        free(items[i].text);
        free(items[i].set);
    }
    free(items);
}

/* Copies the string field key of o into *dst ("" when absent and optional). Returns 0, or
 * -1 with err naming where when it is missing, not a string, or memory runs out. */
static int take_string(json_t *o, const char *key, int required, char **dst, const char *where, sw_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v && !required) v = json_string("");
    else if (v) json_incref(v);
    if (!json_is_string(v)) {
        json_decref(v);
        return sw_err_set(err, "%s: field \"%s\" %s", where, key, v ? "is not a string" : "is missing");
    }
    *dst = strdup(json_string_value(v));
    json_decref(v);
    return *dst ? 0 : sw_err_set(err, "%s: out of memory", where);
}

/* Parses one line into *it. Returns 0, or -1 with err (it is freed then). */
static int parse_item(const char *line, size_t len, const char *where, const char *text_key, sw_redteam_item *it, sw_err *err)
{
    json_t *o = sw_json_parse(line, len, where, 0, err);
    if (!o) return -1;
    int goal = strcmp(text_key, "goal") == 0;
    int rc = json_is_object(o) ? 0 : sw_err_set(err, "%s: not a JSON object", where);
    if (rc == 0) rc = take_string(o, "id", 1, &it->id, where, err);
    if (rc == 0) rc = take_string(o, "category", goal, &it->category, where, err);
    if (rc == 0) rc = take_string(o, "lang", goal, &it->lang, where, err);
    if (rc == 0) rc = take_string(o, text_key, 1, &it->text, where, err);
    if (rc == 0) rc = take_string(o, "set", 0, &it->set, where, err);
    json_decref(o);
    if (rc < 0) {
        free(it->id), free(it->category), free(it->lang), free(it->text), free(it->set);
        memset(it, 0, sizeof *it);
    }
    return rc;
}

int sw_redteam_items_parse(const char *data, size_t len, const char *what, const char *text_key,
                           sw_redteam_item **items, size_t *n, sw_err *err)
{
    size_t pos = 0, count = 0, cap = 0;
    int line_no = 0;
    const char *line;
    size_t line_len;
    sw_redteam_item *arr = NULL;
    *items = NULL, *n = 0;
    while (sw_next_line(data, len, &pos, &line_no, &line, &line_len)) {
        size_t k = 0;
        while (k < line_len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
        if (k == line_len) continue;
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 16;
            sw_redteam_item *na = realloc(arr, nc * sizeof *na);
            if (!na) { sw_redteam_items_free(arr, count); return sw_err_set(err, "%s: out of memory", what); }
            arr = na, cap = nc;
        }
        char where[ITEM_WHAT_MAX];
        snprintf(where, sizeof where, "line %d of %s", line_no, what);
        memset(&arr[count], 0, sizeof arr[count]);
        if (parse_item(line, line_len, where, text_key, &arr[count], err) < 0) {
            sw_redteam_items_free(arr, count);
            return -1;
        }
        count++;
    }
    *items = arr, *n = count;
    return 0;
}
