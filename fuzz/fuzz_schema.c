/* fuzz_schema.c - libFuzzer target: the JSON Schema compiler on arbitrary bytes; a
 * schema that compiles is run as fuzz_gbnf runs a grammar. */
#define SW_FUZZ_NO_MAIN
#include "fuzz_gbnf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_grammar *g = NULL;
    sw_err err;
    if (sw_grammar_from_schema((const char *)data, size, &g, &err) == 0) sw_fuzz_run_grammar(g, data, size);
    sw_grammar_free(g);
    return 0;
}
