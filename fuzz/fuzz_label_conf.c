/* fuzz_label_conf.c - libFuzzer target: the label configuration parser
 * ($STEWARD_HOME/label.conf). Whatever it accepts must yield options that label a text
 * and build an AIGC object that passes its own field check. */
#include "steward/label.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_label_config c;
    sw_label_config_default(&c);
    sw_err err;
    if (sw_label_config_parse((const char *)data, size, "fuzz", &c, &err) < 0) return 0;
    sw_buf b = {0};
    if (sw_label_apply(&c.opts, "text", 4, &b, &err) < 0) abort(); /* accepted values always label */
    sw_buf_free(&b);
    json_t *l = sw_label_aigc(&c.opts, "id", "00");
    if (!l || sw_label_aigc_check(l, &err) < 0) abort();
    json_decref(l);
    return 0;
}
