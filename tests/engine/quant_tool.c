/* quant_tool.c - test helper for test_quant_ref.py (not part of the product): converts
 * between float32 and one element type through libsteward, stdin to stdout.
 *   quant_tool d TYPE   raw blocks of TYPE in, float32 out (sw_dequantize_row)
 *   quant_tool q TYPE   float32 in, raw blocks out (sw_quantize_row)               */
#include "steward/quant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_all(size_t *n) {
    size_t cap = 1 << 16, len = 0;
    unsigned char *p = malloc(cap);
    size_t got;
    while (p && (got = fread(p + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) p = realloc(p, cap *= 2);
    }
    *n = len;
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "d") && strcmp(argv[1], "q"))) {
        fprintf(stderr, "usage: quant_tool d|q TYPE\n");
        return 2;
    }
    unsigned type = (unsigned)atoi(argv[2]);
    size_t be = sw_type_block_elems(type), bb = sw_type_block_bytes(type), n;
    if (!be) {
        fprintf(stderr, "quant_tool: unsupported type %u\n", type);
        return 2;
    }
    unsigned char *in = read_all(&n);
    if (!in) return 1;
    int deq = argv[1][0] == 'd';
    size_t unit = deq ? bb : be * sizeof(float);
    if (n % unit) {
        fprintf(stderr, "quant_tool: %zu bytes is not a whole number of blocks\n", n);
        return 1;
    }
    int64_t elems = (int64_t)(n / unit * be);
    size_t out_bytes = deq ? (size_t)elems * sizeof(float) : n / unit * bb;
    void *out = malloc(out_bytes ? out_bytes : 1);
    if (!out) return 1;
    if (deq) sw_dequantize_row((sw_ggml_type)type, in, out, elems);
    else sw_quantize_row((sw_ggml_type)type, (const float *)in, out, elems);
    fwrite(out, 1, out_bytes, stdout);
    free(in);
    free(out);
    return 0;
}
