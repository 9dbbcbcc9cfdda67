/* fuzz_redteam.c - libFuzzer target for the red-team attack-library reader (goals and
 * templates JSONL), decoders and converters: the first byte picks a converter; the rest
 * is parsed as a library, decoded (where it has an inverse), encoded, and scanned by the
 * refusal detector. */
#include "steward/redteam.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    sw_redteam_item *items = NULL;
    size_t n = 0;
    if (sw_redteam_items_parse(in, len, "fuzz", data[0] & 1 ? "goal" : "template", &items, &n, &err) == 0)
        sw_redteam_items_free(items, n);
    sw_buf_free(&enc);
    sw_buf_free(&dec);
    sw_buf_free(&again);
    return 0;
}
