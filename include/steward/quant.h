/* quant.h - tensor element types (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K), their
 * (de)quantisation, and the matrix kernels of the forward pass.
 *
 * Block layouts are those of GGML so that files load in both steward and llama.cpp.
 * Kernels are chosen at run time: AVX-512 VNNI tiles for prompts plus AVX2/FMA where the
 * CPU has them, AVX2/FMA alone, else portable C. */
#ifndef STEWARD_QUANT_H
#define STEWARD_QUANT_H

#include <stddef.h>
#include <stdint.h>

typedef enum sw_ggml_type {
    SW_TYPE_F32 = 0,
    SW_TYPE_F16 = 1,
    SW_TYPE_Q4_0 = 2,
    SW_TYPE_Q5_0 = 6,
    SW_TYPE_Q8_0 = 8,
    SW_TYPE_Q4_K = 12,
    SW_TYPE_Q6_K = 14,
    SW_TYPE_BF16 = 30,
} sw_ggml_type;

#define SW_QK8_0 32
#define SW_QK4_0 32
#define SW_QK5_0 32
#define SW_QK_K 256

/* 1 when steward can load and compute with tensors of this type. */
int sw_type_supported(uint32_t type);
/* Parses a type name ("F32", "q8_0", ...; case-insensitive); -1 when unknown. */
int sw_type_parse(const char *name, sw_ggml_type *out);
/* "F32", "Q4_K", ...; "unknown" for others. */
const char *sw_type_name(uint32_t type);
/* Elements per block (1 for F32/F16/BF16) and bytes per block; 0 for unsupported types. */
size_t sw_type_block_elems(uint32_t type);
size_t sw_type_block_bytes(uint32_t type);
/* Bytes for n elements; 0 when n is not a multiple of the block size or the type is
 * unsupported (callers treat 0 as an error). */
size_t sw_type_row_bytes(uint32_t type, uint64_t n);

/* IEEE half <-> single, round to nearest even. */
float sw_fp16_to_fp32(uint16_t h);
uint16_t sw_fp32_to_fp16(float f);
/* bfloat16 (the top half of a single) <-> single; to bf16 rounds to nearest even as
 * GGML and llama.cpp's converter do, NaN stays a quiet NaN. */
float sw_bf16_to_fp32(uint16_t h);
uint16_t sw_fp32_to_bf16(float f);

/* Dequantises n elements (a multiple of the block size) of the given type. */
void sw_dequantize_row(sw_ggml_type type, const void *src, float *dst, int64_t n);
/* Quantises n elements with GGML's reference rounding (for writing models). */
void sw_quantize_row(sw_ggml_type type, const float *src, void *dst, int64_t n);

/* Y[b][r] = sum_c W[r][c] * X[b][c] for b < nb, r < rows: W has `rows` rows of `cols`
 * elements of wtype, X and Y are row-major F32. cols must be a multiple of wtype's block
 * size. Parallel over rows with OpenMP (call it from outside a parallel region).
 * Quantised types quantise X to the matching 8-bit form as GGML does. Never fails. */
void sw_matmul(const void *W, sw_ggml_type wtype, int64_t rows, int64_t cols,
               const float *X, int64_t nb, float *Y);

/* Copies row r of W (dequantised) into dst[cols], e.g. for embedding lookup. */
void sw_get_row(const void *W, sw_ggml_type wtype, int64_t cols, int64_t r, float *dst);

/* Name of the kernel family in use ("avx512", "avx2" or "portable");
 * STEWARD_KERNELS=portable|avx2|avx512 forces one the CPU has (for tests and comparisons). */
const char *sw_kernels_name(void);

#endif
