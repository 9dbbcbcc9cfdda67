/* cmd_detect.c - `steward detect`: does a text carry this instance's watermark, and where? */
#include "cli.h"
#include "steward/api.h"

#include <stdio.h>

static const char *USAGE =
    "detect [--model FILE] [--scheme S] [--window N] [--tokens] [--json]\n\n"
    "Reads text on stdin and reports whether it carries steward's watermark: z-score,\n"
    "p-value and the number of scored tokens. Needs only the model's tokenizer and the\n"
    "watermark keys (current and retired), not the weights. A watermarked span inside\n"
    "longer text is found by windowed scoring (windows of N tokens and up, default 50)\n"
    "and reported with its byte offsets. Schemes: kgw-selfhash (default), kgw-lefthash,\n"
    "synthid. With --tokens, stdin is a JSON array of token ids (as in generate --json)\n"
    "instead of text.\n\n"
    "Exit status: 0 watermarked, 1 not watermarked, 2 usage error or any other error.";

int sw_cmd_detect(int argc, char **argv) {
    const char *model = NULL, *scheme_name = "kgw-selfhash";
    int window = 50, json = 0, tokens_in = 0;
    const sw_opt opts[] = {
        {"model|m", SW_OPT_STR, &model, "FILE", "GGUF file whose tokenizer to use (default: the shipped model)"},
        {"scheme", SW_OPT_STR, &scheme_name, "S", "watermark scheme (default kgw-selfhash)"},
        {"window", SW_OPT_INT, &window, "N", "smallest window for span search (default 50)"},
        {"tokens", SW_OPT_FLAG, &tokens_in, NULL, "read a JSON array of token ids instead of text"},
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("detect", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (window < SW_DETECT_MIN_WINDOW) return sw_cli_usage_error("detect", "--window must be at least %d", SW_DETECT_MIN_WINDOW);
    sw_err err;
    sw_buf text = {0};
    sw_detect_opts o = {.home = sw_cli_home, .model = model, .scheme = scheme_name, .window = window, .tokens = tokens_in};
    json_t *d = sw_read_file("-", &text, &err) < 0 ? NULL : sw_detect_json(&o, text.data ? text.data : "", text.len, &err);
    sw_buf_free(&text);
    if (!d) {
        sw_cli_fail("detect", &err);
        return SW_EXIT_USAGE; /* 1 means "not watermarked" */
    }
    int marked = json_is_true(json_object_get(d, "watermarked"));
    if (json) {
        sw_cli_print_json(d);
        return marked ? SW_EXIT_OK : SW_EXIT_FAIL;
    }
    const json_t *span = json_object_get(d, "span");
    printf("%s: %s z=%.2f p=%.3g over %d scored tokens (key %s)", marked ? "watermarked" : "not watermarked",
           json_string_value(json_object_get(d, "scheme")), json_number_value(json_object_get(d, "z")),
           json_number_value(json_object_get(d, "p")), (int)json_integer_value(json_object_get(d, "scored_tokens")),
           json_string_value(json_object_get(d, "key_id")));
    if (json_is_true(json_object_get(d, "windowed")))
        printf(", span at bytes %lld..%lld", (long long)json_integer_value(json_object_get(span, "start")),
               (long long)json_integer_value(json_object_get(span, "end")));
    printf("\n");
    json_decref(d);
    return marked ? SW_EXIT_OK : SW_EXIT_FAIL;
}
