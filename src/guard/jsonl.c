/* jsonl.c - one reader for the guard's labelled JSONL files (training, evaluation and
 * perplexity calibration): one {"text", "label"?, "source"?} object per line. */
#include "guard_int.h"

#include "steward/json.h"

#include <stdio.h>

int gjsonl_each(const char *path, int need_label, gjsonl_fn fn, void *ud, sw_err *err) {
    sw_buf b = {0};
    if (sw_read_file(path, &b, err) < 0) {
        sw_buf_free(&b);
        return -1;
    }
    int rc = 0, line = 0;
    size_t i = 0;
    const char *l;
    size_t ll;
    while (rc == 0 && sw_next_line(b.data, b.len, &i, &line, &l, &ll)) {
        if (ll == 0) continue;
        char what[300];
        snprintf(what, sizeof what, "%s:%d", path, line);
        json_t *o = sw_json_parse(l, ll, what, 0, err);
        if (!o) {
            rc = -1;
            break;
        }
        json_t *t = json_object_get(o, "text");
        gjsonl_rec r = {
            .text = json_string_value(t),
            .len = json_string_length(t),
            .label = json_string_value(json_object_get(o, "label")),
            .source = json_string_value(json_object_get(o, "source")),
            .path = path,
            .line = line,
        };
        if (!r.text || (need_label && !r.label))
            rc = sw_err_set(err, "%s:%d: expected {\"text\": ...%s}", path, line,
                            need_label ? ", \"label\": benign|prompt_injection|jailbreak|harmful" : "");
        else rc = fn(ud, &r, err);
        json_decref(o);
    }
    sw_buf_free(&b);
    return rc < 0 ? -1 : 0;
}
