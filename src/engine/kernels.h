/* kernels.h - internal: GGML block layouts, the dot-product kernel table and its
 * run-time selection, shared by quant.c, matmul.c and matmul_avx2.c. */
#ifndef STEWARD_ENGINE_KERNELS_H
#define STEWARD_ENGINE_KERNELS_H

#include "steward/quant.h"

#include <stdint.h>
#include <string.h>

/* ---- block layouts, byte for byte those of GGML (little-endian, no padding) ---- */
typedef struct {
    uint16_t d;             /* f16 scale */
    int8_t qs[SW_QK8_0];    /* value = qs[j] * d */
} sw_block_q8_0;           /* 34 bytes */

typedef struct {
    uint16_t d;                 /* f16 scale */
    uint8_t qs[SW_QK4_0 / 2];   /* element j in the low nibble of qs[j], j+16 in the high */
} sw_block_q4_0;               /* 18 bytes; value = (nibble - 8) * d */

typedef struct {
    uint16_t d;                 /* f16 scale */
    uint8_t qh[4];              /* bit j of this little-endian u32 = 5th bit of element j */
    uint8_t qs[SW_QK5_0 / 2];   /* low 4 bits: element j low nibble of qs[j], j+16 high */
} sw_block_q5_0;               /* 22 bytes; value = (q5 - 16) * d */

typedef struct {
    uint16_t d, dmin;           /* f16 super-block scale for the scales and for the mins */
    uint8_t scales[12];         /* 8 six-bit scales and 8 six-bit mins, packed */
    uint8_t qs[SW_QK_K / 2];    /* 4 chunks of 64: low nibbles = elements 0..31, high = 32..63 */
} sw_block_q4_K;               /* 144 bytes; value = d*sc[s]*q - dmin*m[s], s = element/32 */

typedef struct {
    uint8_t ql[SW_QK_K / 2];    /* low 4 bits */
    uint8_t qh[SW_QK_K / 4];    /* high 2 bits */
    int8_t scales[SW_QK_K / 16];/* one int8 scale per 16 elements */
    uint16_t d;                 /* f16 super-block scale */
} sw_block_q6_K;               /* 210 bytes; value = d*scales[e/16]*(q-32) */

/* The form activations take for Q8_0 / Q4_0 / Q5_0 dot products: Q8_0 (GGML's rounding, f16
 * scale) with the scale already converted to float, which saves a conversion per block
 * and weight row in the kernels. Never stored in files. */
typedef struct {
    float d;
    int8_t qs[SW_QK8_0];
} sw_block_q8_0x;          /* 36 bytes */

/* The 8-bit form activations take for K-quant dot products (never stored in files). */
typedef struct {
    float d;
    int8_t qs[SW_QK_K];
    int16_t bsums[SW_QK_K / 16]; /* sums of each 16 qs, for the min / offset terms */
} sw_block_q8_K;               /* 292 bytes */

_Static_assert(sizeof(sw_block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(sw_block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(sw_block_q5_0) == 22, "q5_0 layout");
_Static_assert(sizeof(sw_block_q4_K) == 144, "q4_K layout");
_Static_assert(sizeof(sw_block_q6_K) == 210, "q6_K layout");
_Static_assert(sizeof(sw_block_q8_K) == 292, "q8_K layout");
_Static_assert(sizeof(sw_block_q8_0x) == 36, "q8_0x layout");

/* IEEE half -> single, exact (every half is a single). Three candidate results merged
 * with masks, without branches, so that loops over it vectorise. */
static inline float sw_half_to_float(uint16_t h) {
    union { float f; uint32_t u; } sub, out;
    uint32_t em = h & 0x7fffu, e = em >> 10;
    uint32_t normal = (em << 13) + (112u << 23);       /* rebias the exponent: 15 -> 127 */
    uint32_t special = (em << 13) | 0x7f800000u;       /* inf and NaN keep their payload */
    sub.f = (float)(int32_t)em * 0x1p-24f;             /* zero and subnormals: m * 2^-24 */
    uint32_t is_sub = 0u - (uint32_t)(e == 0), is_special = 0u - (uint32_t)(e == 31);
    out.u = (sub.u & is_sub) | (special & is_special) | (normal & ~(is_sub | is_special));
    out.u |= (uint32_t)(h & 0x8000u) << 16;
    return out.f;
}

/* bfloat16 to float: its 16 bits are the top half of the single. */
static inline float sw_bf16_to_float(uint16_t h) {
    union { float f; uint32_t u; } out;
    out.u = (uint32_t)h << 16;
    return out.f;
}

/* Scale and min of sub-block j (0..7) of a Q4_K block: j < 4 keep the low 6 bits of
 * bytes j and j+4; j >= 4 take 4 bits from byte j+4 and the top 2 bits of bytes j-4 / j. */
static inline void sw_q4_K_scale_min(const uint8_t s[12], int j, uint8_t *sc, uint8_t *mn) {
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
        *mn = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

/* The 32 values of a Q5_0 block, q5 - 16 (-16..15), in element order. */
static inline void sw_q5_0_unpack(const sw_block_q5_0 *b, int8_t q[SW_QK5_0]) {
    uint32_t qh = (uint32_t)b->qh[0] | (uint32_t)b->qh[1] << 8 | (uint32_t)b->qh[2] << 16 |
                  (uint32_t)b->qh[3] << 24;
    /* bit tests against constants rather than shifts by j: these loops vectorise */
    static const uint32_t bit[SW_QK5_0] = {
        1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,
        1u << 8,  1u << 9,  1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
        1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
        1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31};
    for (int j = 0; j < SW_QK5_0 / 2; j++) q[j] = (int8_t)(b->qs[j] & 0x0f);
    for (int j = 0; j < SW_QK5_0 / 2; j++) q[j + 16] = (int8_t)(b->qs[j] >> 4);
    for (int j = 0; j < SW_QK5_0; j++) q[j] = (int8_t)(q[j] + ((qh & bit[j]) ? 0 : -16));
}

/* Round to nearest, ties to even, for |x| < 2^22 (adding 1.5*2^23 leaves the integer in
 * the low mantissa bits), as GGML's reference quantisers round. */
static inline int sw_nearest_int(float x) {
    float v = x + 12582912.f;
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

/* Quantises n (multiple of 256) floats to Q8_K blocks (GGML's reference rounding). */
void sw_quantize_row_q8_K(const float *x, sw_block_q8_K *y, int64_t n);

/* One kernel: s[j] = dot(w, x_j) for j < nx (1..SW_DOT_MAX_NX), x_j = x + j*xstride bytes,
 * n elements. w is one row of the weight type; x rows are in the weight type's
 * activation form (F32 for F32/F16/BF16 weights, Q8_0x for Q4_0/Q5_0/Q8_0, Q8_K for Q4_K/Q6_K). */
#define SW_DOT_MAX_NX 4
typedef void (*sw_dot_fn)(int64_t n, const void *w, const void *x, size_t xstride, int nx,
                          float *s);

/* Quantises n activations to Q8_0x / Q8_K blocks; every family's version writes the same
 * bytes (the values of the reference sw_quantize_row / sw_quantize_row_q8_K). */
typedef void (*sw_quant_fn)(const float *x, void *y, int64_t n);

/* A tile: s[j*ld + i] = dot(w_i, x_j) for i < nw (1..SW_TILE_M) weight rows
 * w_i = w + i*wstride bytes and j < nx (1..SW_TILE_N) activation rows x_j = x + j*xstride
 * bytes, n elements, activations in the weight type's form as for sw_dot_fn. Used for
 * products of several X rows (prompts) where the family has one. */
#define SW_TILE_M 4
#define SW_TILE_N 4
typedef void (*sw_tile_fn)(int64_t n, const void *w, size_t wstride, int nw, const void *x,
                           size_t xstride, int nx, float *s, size_t ld);

typedef struct {
    sw_tile_fn f32, q8_0, q4_0, q5_0;
} sw_tile_table;

/* SwiGLU's gate: g[i] = silu(g[i]) * u[i] = g[i] / (1 + exp(-g[i])) * u[i], n values. The
 * portable one uses expf; the AVX2 one a polynomial exp (within 2e-7 relative of it). */
typedef void (*sw_swiglu_fn)(float *g, const float *u, int64_t n);

typedef struct sw_kernel_table {
    const char *name;
    sw_dot_fn f32, f16, q4_0, q8_0, q4_K, q6_K, q5_0;
    sw_quant_fn to_q8_0, to_q8_K;
    sw_dot_fn bf16;
    sw_tile_table tile; /* NULL members: the type goes through its sw_dot_fn */
    sw_swiglu_fn swiglu;
} sw_kernel_table;

extern const sw_kernel_table sw_kernels_portable;
extern const sw_kernel_table sw_kernels_avx2;
/* The AVX-512 (F, BW, VL, VNNI) tiles; the "avx512" family is the AVX2 one plus these. */
extern const sw_tile_table sw_tiles_avx512;

/* The table in use: chosen once from the CPU and STEWARD_KERNELS. */
const sw_kernel_table *sw_kernels(void);
/* Forces a family ("portable", "avx2" or "avx512") for tests and benchmarks; -1 when
 * the CPU lacks it or the name is unknown. Not for use while another thread runs sw_matmul. */
int sw_kernels_select(const char *name);

/* sw_matmul without scratch memory: quantises X in column slices on the stack and adds
 * up partial dot products, serially. sw_matmul's fallback when its scratch cannot grow. */
void sw_matmul_sliced(const void *W, sw_ggml_type wtype, int64_t rows, int64_t cols,
                      const float *X, int64_t nb, float *Y);

/* One product of sw_matmul_multi: Y = X W^T for W of `rows` rows in `type`. */
typedef struct {
    const void *W;
    sw_ggml_type type;
    int64_t rows;
    float *Y;
} sw_matmul_job;

/* sw_matmul for up to 4 weight matrices of `cols` columns against the same X (Q, K and V;
 * gate and up): X is quantised once and all products run in one parallel region, when
 * their types share an activation form; otherwise (or for more jobs) one sw_matmul each.
 * Jobs with no rows or an unsupported type are skipped, as sw_matmul does. */
void sw_matmul_multi(const sw_matmul_job *jobs, int njobs, int64_t cols, const float *X, int64_t nb);
/* sw_matmul_multi where each X row's results are bit-identical to those of that row
 * alone (nb = 1): the dot kernels only, never the tiles, whose sums run in another
 * order. For decoding several sequences in one pass, where a stream's tokens must not
 * depend on which other streams share its pass. The weights are still read once per
 * SW_DOT_MAX_NX rows. */
void sw_matmul_multi_rowwise(const sw_matmul_job *jobs, int njobs, int64_t cols, const float *X, int64_t nb);

/* Y[b*ldy + r] = dot(W_r, X_b) in F32 for r < rows and b < nb, where W_r = W + r*ldw and
 * X_b = X + b*ldx (strides in floats), n elements: the kernels of sw_matmul for small
 * strided products (attention). Serial: callers parallelise. */
void sw_dots_f32(const float *W, size_t ldw, int64_t rows, const float *X, size_t ldx, int64_t nb,
                 int64_t n, float *Y, size_t ldy);

#endif
