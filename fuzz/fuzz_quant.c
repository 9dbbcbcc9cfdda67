/* fuzz_quant.c - arbitrary bytes as weight blocks and arbitrary floats (NaN, inf,
 * subnormals) as activations through dequantisation, quantisation and sw_matmul:
 * nothing may read out of bounds or hit undefined behaviour, whatever the bits. */
#include "steward/quant.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const sw_ggml_type k_types[] = {SW_TYPE_F32, SW_TYPE_F16, SW_TYPE_Q4_0,
                                       SW_TYPE_Q8_0, SW_TYPE_Q4_K, SW_TYPE_Q6_K, SW_TYPE_Q5_0,
                                       SW_TYPE_BF16};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    sw_ggml_type t = k_types[data[0] % (sizeof k_types / sizeof k_types[0])];
    int64_t rows = 1 + data[1] % 8, nb = 1 + data[2] % 5;
    data += 3;
    size -= 3;
    int64_t be = (int64_t)sw_type_block_elems(t), bb = (int64_t)sw_type_block_bytes(t);
    int64_t blocks = (int64_t)size / bb / rows;
    if (blocks < 1) blocks = 1;
    if (blocks > 16) blocks = 16;
    int64_t cols = blocks * be;
    size_t wbytes = sw_type_row_bytes(t, (uint64_t)cols) * (size_t)rows;
    uint8_t *W = calloc(1, wbytes);
    float *X = calloc((size_t)(nb * cols), sizeof *X), *Y = malloc((size_t)(nb * rows) * sizeof *Y);
    float *row = malloc((size_t)cols * sizeof *row);
    void *q = malloc(sw_type_row_bytes(t, (uint64_t)cols));
    if (!W || !X || !Y || !row || !q) abort();
    memcpy(W, data, size < wbytes ? size : wbytes);
    /* activations: the same bytes read as floats, wrapping around */
    for (int64_t i = 0; i < nb * cols && size >= 4; i++)
        memcpy(&X[i], data + (size_t)(i * 4) % (size - 3), 4);
    for (int64_t r = 0; r < rows; r++) sw_get_row(W, t, cols, r, row);
    sw_matmul(W, t, rows, cols, X, nb, Y);
    for (int64_t b = 0; b < nb; b++) {
        sw_quantize_row(t, X + b * cols, q, cols);
        sw_dequantize_row(t, q, row, cols);
    }
    free(W); free(X); free(Y); free(row); free(q);
    return 0;
}
