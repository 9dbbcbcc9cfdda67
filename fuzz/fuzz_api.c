/* fuzz_api.c - libFuzzer target: the JSON entry points a Python program calls. The first
 * byte splits the input into the options JSON and the document; verify runs on both
 * against a scratch home. Every answer must be a JSON object ({"error"} included). */
#include "steward/api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static char g_home[256];

static void remove_home(void) { sw_home_remove(g_home, NULL); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_home[0]) {
        if (sw_home_scratch(g_home, sizeof g_home, NULL) < 0) abort();
        atexit(remove_home);
    }
    if (size == 0) return 0;
    size_t cut = data[0] < size - 1 ? data[0] : size - 1;
    char *opts = malloc(cut + 1);
    if (!opts) return 0;
    memcpy(opts, data + 1, cut);
    opts[cut] = 0;
    /* the options as given, then with the scratch home forced (so no real home is used) */
    json_t *o = json_loads(opts, 0, NULL);
    if (json_is_object(o)) {
        json_object_set_new(o, "home", json_string(g_home));
        free(opts);
        opts = json_dumps(o, JSON_COMPACT);
    } else {
        free(opts);
        char buf[300];
        snprintf(buf, sizeof buf, "{\"home\":\"%s\"}", g_home);
        opts = strdup(buf);
    }
    json_decref(o);
    if (!opts) return 0;
    const char *doc = (const char *)data + 1 + cut;
    char *r = sw_api_verify_json(doc, size - 1 - cut, opts);
    json_t *back = r ? json_loads(r, 0, NULL) : NULL;
    if (r && !json_is_object(back)) abort(); /* an answer is always an object */
    json_decref(back);
    sw_api_free(r);
    free(opts);
    return 0;
}
