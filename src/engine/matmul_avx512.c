/* matmul_avx512.c - AVX-512 (F, BW, VL, VNNI) tile kernels for F32, Q8_0, Q5_0 and Q4_0
 * weights (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; only called
 * when the CPU has them, see sw_kernels()).
 *
 * A tile is up to SW_TILE_M weight rows times up to SW_TILE_N activation rows: each
 * weight vector and each activation vector is loaded (and unpacked) once per tile and
 * used SW_TILE_N / SW_TILE_M times, with the SW_TILE_M x SW_TILE_N accumulators in the 32
 * vector registers. Every (row, activation) pair runs the same operations in the same
 * order whatever the tile's size, so a result does not depend on how rows are tiled. */
#include "engine/kernels.h"

#include <immintrin.h>
#include <string.h>

#define AI static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")

/* Calls NAME with compile-time tile sizes so that the loops over the tile unroll and
 * the accumulators stay in registers. */
#define DISPATCH_TILE(NAME, ...)                                                   \
    switch ((nw - 1) * SW_TILE_N + (nx - 1)) {                                     \
    case 0: NAME(1, 1, __VA_ARGS__); break;                                        \
    case 1: NAME(1, 2, __VA_ARGS__); break;                                        \
    case 2: NAME(1, 3, __VA_ARGS__); break;                                        \
    case 3: NAME(1, 4, __VA_ARGS__); break;                                        \
    case 4: NAME(2, 1, __VA_ARGS__); break;                                        \
    case 5: NAME(2, 2, __VA_ARGS__); break;                                        \
    case 6: NAME(2, 3, __VA_ARGS__); break;                                        \
    case 7: NAME(2, 4, __VA_ARGS__); break;                                        \
    case 8: NAME(3, 1, __VA_ARGS__); break;                                        \
    case 9: NAME(3, 2, __VA_ARGS__); break;                                        \
    case 10: NAME(3, 3, __VA_ARGS__); break;                                       \
    case 11: NAME(3, 4, __VA_ARGS__); break;                                       \
    case 12: NAME(4, 1, __VA_ARGS__); break;                                       \
    case 13: NAME(4, 2, __VA_ARGS__); break;                                       \
    case 14: NAME(4, 3, __VA_ARGS__); break;                                       \
    default: NAME(4, 4, __VA_ARGS__); break;                                       \
    }
_Static_assert(SW_TILE_M == 4 && SW_TILE_N == 4, "DISPATCH_TILE spells out 4 x 4");

/* ---- F32 weights, F32 activations: 16 elements per step, a masked step for the tail ---- */

AI void f32_tile(const int RM, const int RN, int64_t n, const void *wv, size_t ws, const void *xv,
                 size_t xs, float *s, size_t ld) {
    const float *a[SW_TILE_M], *b[SW_TILE_N];
    __m512 acc[SW_TILE_M][SW_TILE_N];
    UNROLL for (int i = 0; i < RM; i++) a[i] = (const float *)((const char *)wv + i * ws);
    UNROLL for (int j = 0; j < RN; j++) b[j] = (const float *)((const char *)xv + j * xs);
    UNROLL for (int i = 0; i < RM; i++) UNROLL for (int j = 0; j < RN; j++) acc[i][j] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        __m512 w[SW_TILE_M];
        UNROLL for (int i = 0; i < RM; i++) w[i] = _mm512_loadu_ps(a[i] + k);
        UNROLL for (int j = 0; j < RN; j++) {
            __m512 x = _mm512_loadu_ps(b[j] + k);
            UNROLL for (int i = 0; i < RM; i++) acc[i][j] = _mm512_fmadd_ps(w[i], x, acc[i][j]);
        }
    }
    if (k < n) {
        __mmask16 m = (__mmask16)((1u << (n - k)) - 1);
        __m512 w[SW_TILE_M];
        UNROLL for (int i = 0; i < RM; i++) w[i] = _mm512_maskz_loadu_ps(m, a[i] + k);
        UNROLL for (int j = 0; j < RN; j++) {
            __m512 x = _mm512_maskz_loadu_ps(m, b[j] + k);
            UNROLL for (int i = 0; i < RM; i++) acc[i][j] = _mm512_fmadd_ps(w[i], x, acc[i][j]);
        }
    }
    UNROLL for (int i = 0; i < RM; i++) UNROLL for (int j = 0; j < RN; j++)
        s[j * ld + i] = _mm512_reduce_add_ps(acc[i][j]);
}

static void tile_f32(int64_t n, const void *w, size_t ws, int nw, const void *x, size_t xs, int nx,
                     float *s, size_t ld) {
    DISPATCH_TILE(f32_tile, n, w, ws, x, xs, s, ld)
}

/* ---- Q8_0, Q5_0 and Q4_0 weights, Q8_0 activations: two blocks per 512-bit vector ----
 *
 * vpdpbusd multiplies unsigned by signed bytes, four products at a time into int32 lanes
 * (exact: no saturation). Lanes 0..7 hold block k, lanes 8..15 block k+1, each with its
 * own scale product. Two ways to meet its operand types:
 *  - signed weights (Q8_0): the activations (-127..127) are made unsigned by adding 128
 *    (an xor of the sign bit), and the 128 * sum(w) that adds is taken out by starting
 *    the row's sums at -128 * sum(w), once per weight block;
 *  - Q4_0 and Q5_0: the stored unsigned values (0..15, 0..31) are the unsigned operand,
 *    and the offset of every value (-8, -16) is taken out by starting the sums at
 *    -offset * sum(y), once per activation block.
 * The pair's sum then is one vpdpbusd from that start; each start is computed once for
 * the whole tile. */

/* lanes 0..7 = lo, 8..15 = hi */
AI __m512 pair_ps(__m128 lohi) {
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                                 _mm512_castps128_ps512(lohi));
}

/* the f16 scales of blocks b[0] and (when two) b[1], d at the start of each block */
#define HALF_PAIR(b, two)                                                                  \
    pair_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)(b)[0].d |                      \
                                                 (two ? (uint32_t)(b)[1].d << 16 : 0)))))

AI __m512i pair_si(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

AI __m512i q8_0_pair(const sw_block_q8_0 *b, const int two) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)b[0].qs);
    return pair_si(lo, two ? _mm256_loadu_si256((const __m256i *)b[1].qs) : _mm256_setzero_si256());
}

/* The nibbles of two blocks' qs[16] in element order: 128-bit lanes [q0 low, q0 high,
 * q1 low, q1 high] */
AI __m512i nibbles_pair(const uint8_t *q0p, const uint8_t *q1p, const int two) {
    __m128i q0 = _mm_loadu_si128((const __m128i *)q0p);
    __m128i q1 = two ? _mm_loadu_si128((const __m128i *)q1p) : _mm_setzero_si128();
    __m512i z = _mm512_castsi256_si512(_mm256_set_m128i(q1, q0));
    z = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3), z);
    z = _mm512_srlv_epi64(z, _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4));
    return _mm512_and_si512(z, _mm512_set1_epi8(0x0f));
}

/* Q4_0 as unsigned bytes: the nibbles, value + 8 */
AI __m512i q4_0_pair(const sw_block_q4_0 *b, const int two) { return nibbles_pair(b[0].qs, b[1].qs, two); }

/* Q5_0 as unsigned bytes, value + 16: the nibbles plus 16 where the element's qh bit is
 * set, the 64 bits of the two blocks' qh serving as a byte mask in element order */
AI __m512i q5_0_pair(const sw_block_q5_0 *b, const int two) {
    uint32_t h0, h1 = 0;
    memcpy(&h0, b[0].qh, 4);
    if (two) memcpy(&h1, b[1].qh, 4);
    __m512i z = nibbles_pair(b[0].qs, b[1].qs, two);
    return _mm512_mask_add_epi8(z, (__mmask64)h0 | (__mmask64)h1 << 32, z, _mm512_set1_epi8(16));
}

/* One step (blocks k and, when two, k+1) of a tile: RM rows a[i] of BT, RN rows b[j]. */
#define Q_STEP(NAME, BT, WPAIR, OFFSET)                                                  \
    AI void NAME(const int RM, const int RN, const int two, const BT *const *a,             \
                 const sw_block_q8_0x *const *b, int64_t k, __m512 acc[SW_TILE_M][SW_TILE_N]) { \
        const __m512i zero = _mm512_setzero_si512();                                         \
        const int UNSIGNED_W = OFFSET != 0;                                                  \
        const __m512i bias = _mm512_set1_epi8(UNSIGNED_W ? OFFSET : (char)0x80);            \
        __m512i y[SW_TILE_N], offy[SW_TILE_N];                                               \
        __m512 dy[SW_TILE_N];                                                                \
        UNROLL for (int j = 0; j < RN; j++) {                                                \
            const sw_block_q8_0x *p = &b[j][k];                                              \
            __m256i lo = _mm256_loadu_si256((const __m256i *)p[0].qs);                       \
            __m256i hi = two ? _mm256_loadu_si256((const __m256i *)p[1].qs) : _mm256_setzero_si256(); \
            y[j] = pair_si(lo, hi);                                                          \
            if (UNSIGNED_W) offy[j] = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, bias, y[j])); \
            else y[j] = _mm512_xor_si512(y[j], bias);                                        \
            dy[j] = pair_ps(_mm_setr_ps(p[0].d, two ? p[1].d : 0.0f, 0, 0));                 \
        }                                                                                    \
        UNROLL for (int i = 0; i < RM; i++) {                                                \
            const BT *p = &a[i][k];                                                          \
            __m512i w = WPAIR(p, two), offw = zero;                                          \
            if (!UNSIGNED_W) offw = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, bias, w)); \
            __m512 dw = HALF_PAIR(p, two);                                                   \
            UNROLL for (int j = 0; j < RN; j++) {                                            \
                __m512i sum = UNSIGNED_W ? _mm512_dpbusd_epi32(offy[j], w, y[j])             \
                                         : _mm512_dpbusd_epi32(offw, y[j], w);               \
                acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dw, dy[j]), \
                                            acc[i][j]);                                      \
            }                                                                                \
        }                                                                                    \
    }

#define Q_TILE(NAME, STEP, BT)                                                                \
    AI void NAME(const int RM, const int RN, int64_t n, const void *wv, size_t ws,            \
                 const void *xv, size_t xs, float *s, size_t ld) {                            \
        const BT *a[SW_TILE_M];                                                               \
        const sw_block_q8_0x *b[SW_TILE_N];                                                   \
        __m512 acc[SW_TILE_M][SW_TILE_N];                                                     \
        UNROLL for (int i = 0; i < RM; i++) a[i] = (const BT *)((const char *)wv + i * ws);   \
        UNROLL for (int j = 0; j < RN; j++)                                                   \
            b[j] = (const sw_block_q8_0x *)((const char *)xv + j * xs);                       \
        UNROLL for (int i = 0; i < RM; i++) UNROLL for (int j = 0; j < RN; j++)               \
            acc[i][j] = _mm512_setzero_ps();                                                  \
        int64_t nb = n / 32, k = 0;                                                           \
        for (; k + 2 <= nb; k += 2) STEP(RM, RN, 1, a, b, k, acc);                            \
        if (k < nb) STEP(RM, RN, 0, a, b, k, acc); /* an odd last block: zeros above */     \
        UNROLL for (int i = 0; i < RM; i++) UNROLL for (int j = 0; j < RN; j++)               \
            s[j * ld + i] = _mm512_reduce_add_ps(acc[i][j]);                                  \
    }

Q_STEP(q8_0_step, sw_block_q8_0, q8_0_pair, 0)
Q_STEP(q5_0_step, sw_block_q5_0, q5_0_pair, 16)
Q_STEP(q4_0_step, sw_block_q4_0, q4_0_pair, 8)
Q_TILE(q8_0_tile, q8_0_step, sw_block_q8_0)
Q_TILE(q5_0_tile, q5_0_step, sw_block_q5_0)
Q_TILE(q4_0_tile, q4_0_step, sw_block_q4_0)

static void tile_q8_0(int64_t n, const void *w, size_t ws, int nw, const void *x, size_t xs, int nx,
                      float *s, size_t ld) {
    DISPATCH_TILE(q8_0_tile, n, w, ws, x, xs, s, ld)
}

static void tile_q5_0(int64_t n, const void *w, size_t ws, int nw, const void *x, size_t xs, int nx,
                      float *s, size_t ld) {
    DISPATCH_TILE(q5_0_tile, n, w, ws, x, xs, s, ld)
}

static void tile_q4_0(int64_t n, const void *w, size_t ws, int nw, const void *x, size_t xs, int nx,
                      float *s, size_t ld) {
    DISPATCH_TILE(q4_0_tile, n, w, ws, x, xs, s, ld)
}

const sw_tile_table sw_tiles_avx512 = {tile_f32, tile_q8_0, tile_q4_0, tile_q5_0};
