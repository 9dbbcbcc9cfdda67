/* json.c - strict JSON parsing (duplicate keys rejected) with readable errors. */
#include "steward/json.h"

#include <string.h>

/* jansson's message, reworded where it names jansson's own flags. */
static const char *reword(const char *text) {
    if (strstr(text, "JSON_ALLOW_NUL")) return "a \\u0000 (NUL) escape is not allowed in a string";
    if (strstr(text, "duplicate object key")) return "duplicate key: a key appears twice in the same object";
    return text;
}

json_t *sw_json_parse(const char *data, size_t len, const char *what, size_t flags, sw_err *err) {
    json_error_t je;
    json_t *v = json_loadb(data ? data : "", len, flags | JSON_REJECT_DUPLICATES, &je);
    if (v) return v;
    if (je.line > 0)
        sw_err_set(err, "%s: line %d, column %d: %s", what, je.line, je.column, reword(je.text));
    else
        sw_err_set(err, "%s: %s", what, reword(je.text));
    return NULL;
}

json_t *sw_json_load_file(const char *path, size_t max_bytes, size_t flags, sw_err *err) {
    sw_buf b = {0};
    json_t *v = NULL;
    if (sw_file_read_all(path, max_bytes, &b, err) == 0) v = sw_json_parse(b.data, b.len, path, flags, err);
    sw_buf_free(&b);
    return v;
}
