/* fuzz_moderation_body.c - libFuzzer target for the moderation route's reading of
 * {"input": "TEXT"} without jansson (srv_moderation_simple_input): whenever it accepts a
 * body, jansson must parse the same body to an object whose one member "input" is a
 * string of exactly those bytes (a differential check against the full parser). */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *body = (const char *)data, *text = NULL;
    size_t n = 0;
    if (!srv_moderation_simple_input(body, size, &text, &n)) return 0;
    if (text < body || n > size || (size_t)(text - body) > size - n) abort();
    json_error_t je;
    json_t *o = json_loadb(body, size, JSON_REJECT_DUPLICATES, &je);
    json_t *in = o ? json_object_get(o, "input") : NULL;
    if (!o || json_object_size(o) != 1 || !json_is_string(in) || json_string_length(in) != n ||
        memcmp(json_string_value(in), text, n) != 0)
        abort();
    json_decref(o);
    return 0;
}
