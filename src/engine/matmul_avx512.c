/* matmul_avx512.c - AVX-512 (F, BW, VL, VNNI) tile kernels for F32, Q8_0 and Q4_0
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

/* ---- Q8_0 and Q4_0 weights, Q8_0 activations: two blocks per 512-bit vector ----
 *
 * vpdpbusd multiplies unsigned by signed bytes. The activations (-127..127) are made
 * unsigned by adding 128 (an xor of the sign bit), and the 128 * sum(w) this adds is
 * taken out by starting each row's integer sums at -128 * sum(w), which is computed once
 * per weight block for the whole tile. All sums are exact in int32. Lanes 0..7 hold
 * block k, lanes 8..15 block k+1, each with its own scale product. */

/* The 32 weights of a block as signed bytes. */
AI __m256i q8_0_w(const sw_block_q8_0 *b) { return _mm256_loadu_si256((const __m256i *)b->qs); }

AI __m256i q4_0_w(const sw_block_q4_0 *b) {
    const __m128i m4 = _mm_set1_epi8(0x0f);
    __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    __m256i v = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

/* lanes 0..7 = lo, 8..15 = hi */
AI __m512 pair_ps(float lo, float hi) {
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                                 _mm512_castps128_ps512(_mm_setr_ps(lo, hi, 0, 0)));
}

AI __m512i pair_si(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

#define Q8_TILE(NAME, BT, WLOAD)                                                            \
    AI void NAME(const int RM, const int RN, int64_t n, const void *wv, size_t ws,            \
                 const void *xv, size_t xs, float *s, size_t ld) {                            \
        const BT *a[SW_TILE_M];                                                               \
        const sw_block_q8_0x *b[SW_TILE_N];                                                   \
        __m512 acc[SW_TILE_M][SW_TILE_N];                                                     \
        const __m512i sign = _mm512_set1_epi8((char)0x80);                                    \
        UNROLL for (int i = 0; i < RM; i++) a[i] = (const BT *)((const char *)wv + i * ws);   \
        UNROLL for (int j = 0; j < RN; j++)                                                   \
            b[j] = (const sw_block_q8_0x *)((const char *)xv + j * xs);                       \
        UNROLL for (int i = 0; i < RM; i++) UNROLL for (int j = 0; j < RN; j++)               \
            acc[i][j] = _mm512_setzero_ps();                                                  \
        int64_t nb = n / 32;                                                                  \
        for (int64_t k = 0; k < nb; k += 2) {                                                 \
            int two = k + 1 < nb; /* an odd last block: zeros in the high half */            \
            __m512i y[SW_TILE_N];                                                             \
            __m512 dy[SW_TILE_N];                                                             \
            UNROLL for (int j = 0; j < RN; j++) {                                             \
                const sw_block_q8_0x *p = &b[j][k];                                           \
                __m256i lo = _mm256_loadu_si256((const __m256i *)p->qs);                      \
                __m256i hi = two ? _mm256_loadu_si256((const __m256i *)p[1].qs)               \
                                 : _mm256_setzero_si256();                                    \
                y[j] = _mm512_xor_si512(pair_si(lo, hi), sign);                               \
                dy[j] = pair_ps(p->d, two ? p[1].d : 0.0f);                                   \
            }                                                                                 \
            UNROLL for (int i = 0; i < RM; i++) {                                             \
                const BT *p = &a[i][k];                                                       \
                __m512i w = pair_si(WLOAD(p), two ? WLOAD(p + 1) : _mm256_setzero_si256());   \
                __m512i off = _mm512_sub_epi32(_mm512_setzero_si512(),                        \
                                               _mm512_dpbusd_epi32(_mm512_setzero_si512(),    \
                                                                   sign, w));                 \
                __m512 dw = pair_ps(_cvtsh_ss(p->d), two ? _cvtsh_ss(p[1].d) : 0.0f);         \
                UNROLL for (int j = 0; j < RN; j++) {                                         \
                    __m512i sum = _mm512_dpbusd_epi32(off, y[j], w);                          \
                    acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum),                      \
                                                _mm512_mul_ps(dw, dy[j]), acc[i][j]);         \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
        UNROLL for (int i = 0; i < RM; i++) UNROLL for (int j = 0; j < RN; j++)               \
            s[j * ld + i] = _mm512_reduce_add_ps(acc[i][j]);                                  \
    }

Q8_TILE(q8_0_tile, sw_block_q8_0, q8_0_w)
Q8_TILE(q4_0_tile, sw_block_q4_0, q4_0_w)

static void tile_q8_0(int64_t n, const void *w, size_t ws, int nw, const void *x, size_t xs, int nx,
                      float *s, size_t ld) {
    DISPATCH_TILE(q8_0_tile, n, w, ws, x, xs, s, ld)
}

static void tile_q4_0(int64_t n, const void *w, size_t ws, int nw, const void *x, size_t xs, int nx,
                      float *s, size_t ld) {
    DISPATCH_TILE(q4_0_tile, n, w, ws, x, xs, s, ld)
}

const sw_tile_table sw_tiles_avx512 = {tile_f32, tile_q8_0, tile_q4_0};
