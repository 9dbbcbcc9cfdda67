/* fuzz_redteam.c - libFuzzer target for the red-team attack-library reader (goals and
 * templates JSONL), decoders and converters: the first byte picks a converter; the rest
 * is parsed as a library, decoded (where it has an inverse), encoded, and scanned by the
 * refusal detector; the same bytes are also filled in as a template (placeholders
 * {goal}, {goal_a}, {goal_b}) and as a goal for attack prompts. */
#include "eval/redteam_internal.h"
#include "steward/redteam.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input (NUL-terminated copy) as the template and the goal of one attack. */
static void attack_prompts(const char *name, const char *in, size_t len)
{
    char *text = malloc(len + 1);
    if (!text) return;
    memcpy(text, in, len);
    text[len] = 0;
    sw_redteam_item goal = {"g", "S1", "en", text, "v1"}, tpl = {"t", "", "", text, ""};
    const char *conv[] = {"none", name};
    rt_library lib = {.goals = &goal, .n_goals = 1, .templates = &tpl, .n_templates = 1, .conv = conv, .n_conv = 2};
    sw_buf out = {0};
    sw_err err = {0};
    for (size_t c = 0; c < 2; c++) {
        if (rt_attack_applies(&lib, 0, c, &err) < 0 || rt_attack_prompt(&lib, 0, 0, c, &out, &err) < 0) abort();
        sw_buf_reset(&out);
    }
    sw_buf_free(&out);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *name = sw_redteam_converter_name(data[0] % sw_redteam_converter_count());
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    sw_buf enc = {0}, dec = {0}, again = {0};
    sw_err err = {0};
    if (sw_redteam_convert(name, in, len, &enc, &err) < 0) abort();
    if (sw_redteam_converter_invertible(name) == 1 && sw_redteam_unconvert(name, in, len, &dec, &err) == 0 &&
        dec.len > 0 && sw_redteam_convert(name, dec.data, dec.len, &again, &err) < 0)
        abort();
    (void)sw_redteam_is_refusal(in, len);
    attack_prompts(name, in, len);
    sw_redteam_item *items = NULL;
    size_t n = 0;
    if (sw_redteam_items_parse(in, len, "fuzz", data[0] & 1 ? "goal" : "template", &items, &n, &err) == 0)
        sw_redteam_items_free(items, n);
    sw_buf_free(&enc);
    sw_buf_free(&dec);
    sw_buf_free(&again);
    return 0;
}
