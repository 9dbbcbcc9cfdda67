/* matmul_avx2.c - AVX2/FMA/F16C versions of the dot-product kernels (compiled with
 * -mavx2 -mfma -mf16c; only called when the CPU has them, see sw_kernels()).
 *
 * Each kernel takes one weight row and up to SW_DOT_MAX_NX activation rows: a weight
 * block is loaded and unpacked once and multiplied into every activation row, so that
 * prompt processing reads the weights once per tile. Integer sums within a block are
 * exact (maddubs never saturates for these value ranges), as in the portable kernels. */
#include "engine/kernels.h"

#include <immintrin.h>
#include <math.h>

#define AI static inline __attribute__((always_inline))
/* Loops over the few activation rows (and unrolled steps) must unroll fully so that
 * their accumulators live in registers, not on the stack. */
#define UNROLL _Pragma("GCC unroll 8")

AI float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AI float half(uint16_t h) { return _cvtsh_ss(h); }

/* Calls body##_n with a compile-time row count so that the loops over rows unroll. */
#define DISPATCH_NX(fn, n, w, x, xs, nx, s)    \
    switch (nx) {                              \
    case 1: fn(1, n, w, x, xs, s); break;      \
    case 2: fn(2, n, w, x, xs, s); break;      \
    case 3: fn(3, n, w, x, xs, s); break;      \
    default: fn(4, n, w, x, xs, s); break;     \
    }

/* ---- F32, F16 and BF16 weights, F32 activations ---- */

/* U vectors of 8 weights per step: 4 for a single row (independent FMA chains), 2 else. */
#define FLOAT_DOT(NAME, WT, LOADW)                                                        \
    AI void NAME(const int NX, int64_t n, const void *wv, const void *xv, size_t xs,      \
                 float *s) {                                                              \
        const WT *a = wv;                                                                 \
        const int U = NX == 1 ? 4 : 2;                                                    \
        const float *b[SW_DOT_MAX_NX];                                                    \
        __m256 acc[SW_DOT_MAX_NX][4];                                                     \
        UNROLL for (int j = 0; j < NX; j++) {                                                    \
            b[j] = (const float *)((const char *)xv + j * xs);                            \
            UNROLL for (int u = 0; u < U; u++) acc[j][u] = _mm256_setzero_ps();                  \
        }                                                                                 \
        int64_t i = 0;                                                                    \
        for (; i + 8 * U <= n; i += 8 * U)                                                \
            UNROLL for (int u = 0; u < U; u++) {                                                 \
                __m256 w = LOADW(a + i + 8 * u);                                          \
                UNROLL for (int j = 0; j < NX; j++)                                              \
                    acc[j][u] = _mm256_fmadd_ps(w, _mm256_loadu_ps(b[j] + i + 8 * u),     \
                                                acc[j][u]);                               \
            }                                                                             \
        for (; i + 8 <= n; i += 8) {                                                      \
            __m256 w = LOADW(a + i);                                                      \
            UNROLL for (int j = 0; j < NX; j++)                                                  \
                acc[j][0] = _mm256_fmadd_ps(w, _mm256_loadu_ps(b[j] + i), acc[j][0]);     \
        }                                                                                 \
        UNROLL for (int j = 0; j < NX; j++) {                                                    \
            __m256 t = acc[j][0];                                                         \
            UNROLL for (int u = 1; u < U; u++) t = _mm256_add_ps(t, acc[j][u]);                  \
            float r = hsum_ps(t);                                                         \
            for (int64_t k = i; k < n; k++) r += LOADS(a[k]) * b[j][k];                   \
            s[j] = r;                                                                     \
        }                                                                                 \
    }

#define LOADS(v) (v)
FLOAT_DOT(f32_n, float, _mm256_loadu_ps)
#undef LOADS
#define LOAD_F16x8(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define LOADS(v) half(v)
FLOAT_DOT(f16_n, uint16_t, LOAD_F16x8)
#undef LOADS
/* bf16 -> f32: widen each 16-bit value to 32 bits and shift it into the top half */
#define LOAD_BF16x8(p) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p))), 16))
#define LOADS(v) sw_bf16_to_float(v)
FLOAT_DOT(bf16_n, uint16_t, LOAD_BF16x8)
#undef LOADS

static void dot_f32(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(f32_n, n, w, x, xs, nx, s)
}

static void dot_f16(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(f16_n, n, w, x, xs, nx, s)
}

static void dot_bf16(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(bf16_n, n, w, x, xs, nx, s)
}

/* ---- Q8_0, Q4_0 and Q5_0 weights, Q8_0 activations ---- */

/* Sum of products of 32 signed bytes, in 8 float lanes. |w| as unsigned times y with w's
 * sign: exact for w in -128..127 and y in -127..127 (y never is -128). */
AI __m256 dot32_i8(__m256i absw, __m256i w, __m256i y) {
    __m256i p16 = _mm256_maddubs_epi16(absw, _mm256_sign_epi8(y, w));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

AI __m256i unpack_q4_0(const sw_block_q4_0 *b) {
    const __m128i m4 = _mm_set1_epi8(0x0f);
    __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    __m256i v = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

/* Q5_0: the nibbles as for Q4_0, plus 16 in each byte whose qh bit is set, minus 16.
 * Byte e gets qh's byte e/8 (shuffle), then keeps only bit e%8 (mask, compare). */
AI __m256i unpack_q5_0(const sw_block_q5_0 *b) {
    const __m128i m4 = _mm_set1_epi8(0x0f);
    __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    __m256i v = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
    int32_t qh;
    memcpy(&qh, b->qh, 4);
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                             0x0101010101010101, 0x0000000000000000);
    const __m256i bit = _mm256_set1_epi64x((int64_t)0x8040201008040201);
    __m256i h = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(qh), spread), bit);
    h = _mm256_and_si256(_mm256_cmpeq_epi8(h, bit), _mm256_set1_epi8(16));
    return _mm256_sub_epi8(_mm256_or_si256(v, h), _mm256_set1_epi8(16));
}

/* Two blocks per step into two accumulator sets, so a single row has two FMA chains. */
#define Q8_DOT(NAME, BT, UNPACK)                                                          \
    AI void NAME(const int NX, int64_t n, const void *wv, const void *xv, size_t xs,      \
                 float *s) {                                                              \
        const BT *a = wv;                                                                 \
        const sw_block_q8_0x *b[SW_DOT_MAX_NX];                                           \
        __m256 acc[2][SW_DOT_MAX_NX];                                                     \
        UNROLL for (int j = 0; j < NX; j++) {                                                    \
            b[j] = (const sw_block_q8_0x *)((const char *)xv + j * xs);                   \
            acc[0][j] = acc[1][j] = _mm256_setzero_ps();                                  \
        }                                                                                 \
        int64_t nb = n / 32, i = 0;                                                       \
        for (; i + 2 <= nb; i += 2)                                                       \
            UNROLL for (int u = 0; u < 2; u++) {                                                 \
                __m256i w = UNPACK(&a[i + u]);                                            \
                __m256i aw = _mm256_sign_epi8(w, w);                                      \
                float dw = half(a[i + u].d);                                              \
                UNROLL for (int j = 0; j < NX; j++) {                                            \
                    const sw_block_q8_0x *y = &b[j][i + u];                                \
                    __m256 p = dot32_i8(aw, w, _mm256_loadu_si256((const __m256i *)y->qs)); \
                    acc[u][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * y->d), p, acc[u][j]); \
                }                                                                         \
            }                                                                             \
        for (; i < nb; i++) {                                                             \
            __m256i w = UNPACK(&a[i]);                                                    \
            __m256i aw = _mm256_sign_epi8(w, w);                                          \
            float dw = half(a[i].d);                                                      \
            UNROLL for (int j = 0; j < NX; j++) {                                                \
                const sw_block_q8_0x *y = &b[j][i];                                        \
                __m256 p = dot32_i8(aw, w, _mm256_loadu_si256((const __m256i *)y->qs));   \
                acc[0][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * y->d), p, acc[0][j]); \
            }                                                                             \
        }                                                                                 \
        UNROLL for (int j = 0; j < NX; j++) s[j] = hsum_ps(_mm256_add_ps(acc[0][j], acc[1][j])); \
    }

#define LOAD_Q8_0(p) _mm256_loadu_si256((const __m256i *)(p)->qs)
Q8_DOT(q8_0_n, sw_block_q8_0, LOAD_Q8_0)
Q8_DOT(q4_0_n, sw_block_q4_0, unpack_q4_0)
Q8_DOT(q5_0_n, sw_block_q5_0, unpack_q5_0)

static void dot_q8_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(q8_0_n, n, w, x, xs, nx, s)
}

static void dot_q4_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(q4_0_n, n, w, x, xs, nx, s)
}

static void dot_q5_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(q5_0_n, n, w, x, xs, nx, s)
}

/* ---- K-quants, Q8_K activations ---- */

AI int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

AI void q4_K_n(const int NX, int64_t n, const void *wv, const void *xv, size_t xs, float *s) {
    const sw_block_q4_K *a = wv;
    const sw_block_q8_K *b[SW_DOT_MAX_NX];
    __m256 acc[SW_DOT_MAX_NX];
    float accm[SW_DOT_MAX_NX];
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    /* repeats each of the 8 mins twice, to meet the 16 bsums */
    const __m128i dup = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    UNROLL for (int j = 0; j < NX; j++) {
        b[j] = (const sw_block_q8_K *)((const char *)xv + j * xs);
        acc[j] = _mm256_setzero_ps();
        accm[j] = 0;
    }
    for (int64_t i = 0; i < n / SW_QK_K; i++) {
        uint8_t sc[8], mn[8];
        UNROLL for (int k = 0; k < 8; k++) sw_q4_K_scale_min(a[i].scales, k, &sc[k], &mn[k]);
        float d = half(a[i].d), dmin = half(a[i].dmin);
        __m256i sumi[SW_DOT_MAX_NX];
        UNROLL for (int j = 0; j < NX; j++) sumi[j] = _mm256_setzero_si256();
        UNROLL for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(a[i].qs + 32 * c));
            __m256i lo = _mm256_and_si256(q, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            __m256i slo = _mm256_set1_epi16(sc[2 * c]), shi = _mm256_set1_epi16(sc[2 * c + 1]);
            UNROLL for (int j = 0; j < NX; j++) {
                const int8_t *y = b[j][i].qs + 64 * c;
                __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)y));
                __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(y + 32)));
                sumi[j] = _mm256_add_epi32(sumi[j], _mm256_add_epi32(_mm256_madd_epi16(plo, slo),
                                                                     _mm256_madd_epi16(phi, shi)));
            }
        }
        uint64_t mn8;
        memcpy(&mn8, mn, 8);
        __m256i mn16 = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_cvtsi64_si128((long long)mn8), dup));
        UNROLL for (int j = 0; j < NX; j++) {
            const sw_block_q8_K *y = &b[j][i];
            __m256i bs = _mm256_loadu_si256((const __m256i *)y->bsums);
            int32_t summ = hsum_epi32(_mm256_madd_epi16(bs, mn16));
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * y->d), _mm256_cvtepi32_ps(sumi[j]), acc[j]);
            accm[j] += dmin * y->d * (float)summ;
        }
    }
    UNROLL for (int j = 0; j < NX; j++) s[j] = hsum_ps(acc[j]) - accm[j];
}

AI void q6_K_n(const int NX, int64_t n, const void *wv, const void *xv, size_t xs, float *s) {
    const sw_block_q6_K *a = wv;
    const sw_block_q8_K *b[SW_DOT_MAX_NX];
    __m256 acc[SW_DOT_MAX_NX];
    const __m256i m4 = _mm256_set1_epi8(0x0f), m3 = _mm256_set1_epi8(3);
    UNROLL for (int j = 0; j < NX; j++) {
        b[j] = (const sw_block_q8_K *)((const char *)xv + j * xs);
        acc[j] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < n / SW_QK_K; i++) {
        __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)a[i].scales));
        __m256i sumi[SW_DOT_MAX_NX];
        UNROLL for (int j = 0; j < NX; j++) sumi[j] = _mm256_setzero_si256();
        UNROLL for (int h = 0; h < 2; h++) {
            __m256i l0 = _mm256_loadu_si256((const __m256i *)(a[i].ql + 64 * h));
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(a[i].ql + 64 * h + 32));
            __m256i hb = _mm256_loadu_si256((const __m256i *)(a[i].qh + 32 * h));
            __m256i q[4]; /* 6-bit values 0..63 of elements 128h + 32k .. +31 */
            q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m3), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m3), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m3), 4));
            UNROLL for (int k = 0; k < 4; k++) {
                int g = 8 * h + 2 * k; /* 16-element groups g (low lane) and g+1 (high lane) */
                __m256i sv = _mm256_set_m128i(_mm_set1_epi16(a[i].scales[g + 1]),
                                              _mm_set1_epi16(a[i].scales[g]));
                UNROLL for (int j = 0; j < NX; j++) {
                    __m256i y = _mm256_loadu_si256((const __m256i *)(b[j][i].qs + 128 * h + 32 * k));
                    sumi[j] = _mm256_add_epi32(sumi[j],
                                               _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], y), sv));
                }
            }
        }
        float d = half(a[i].d);
        UNROLL for (int j = 0; j < NX; j++) {
            const sw_block_q8_K *y = &b[j][i];
            /* the -32 offset of every value: 32 * sum_g scale_g * bsum_g */
            __m256i off = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *)y->bsums));
            __m256i t = _mm256_sub_epi32(sumi[j], _mm256_slli_epi32(off, 5));
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * y->d), _mm256_cvtepi32_ps(t), acc[j]);
        }
    }
    UNROLL for (int j = 0; j < NX; j++) s[j] = hsum_ps(acc[j]);
}

static void dot_q4_K(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(q4_K_n, n, w, x, xs, nx, s)
}

static void dot_q6_K(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    DISPATCH_NX(q6_K_n, n, w, x, xs, nx, s)
}

/* ---- activation quantisers: the same bytes as the reference ones in quant.c ---- */

AI float hmax_ps(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* 32 integral floats (|v| <= 127) to 32 bytes in element order. */
AI __m256i pack_i8(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256i ab = _mm256_packs_epi32(_mm256_cvtps_epi32(a), _mm256_cvtps_epi32(b));
    __m256i cd = _mm256_packs_epi32(_mm256_cvtps_epi32(c), _mm256_cvtps_epi32(d));
    __m256i q = _mm256_packs_epi16(ab, cd); /* lanes interleave: undo with a permute */
    return _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* roundf: truncate, then step away from zero when the dropped part is >= 0.5 (exact:
 * v - trunc(v) is representable). */
AI __m256 round_away(__m256 v) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, t));
    __m256 step = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(1.0f));
    return _mm256_add_ps(t, _mm256_and_ps(step, _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ)));
}

static void to_q8_0(const float *x, void *yv, int64_t n) {
    sw_block_q8_0x *y = yv;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / 32; i++, x += 32) {
        __m256 v[4], m = _mm256_setzero_ps();
        UNROLL for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
        }
        float amax = hmax_ps(m), d = amax / 127, id = d != 0 ? 1.0f / d : 0.0f;
        y[i].d = half(sw_fp32_to_fp16(d)); /* the f16 scale's value, as a float */
        __m256 s = _mm256_set1_ps(id);
        UNROLL for (int k = 0; k < 4; k++) v[k] = round_away(_mm256_mul_ps(v[k], s));
        _mm256_storeu_si256((__m256i *)y[i].qs, pack_i8(v[0], v[1], v[2], v[3]));
    }
}

static void to_q8_K(const float *x, void *yv, int64_t n) {
    sw_block_q8_K *y = yv;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / SW_QK_K; i++, x += SW_QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < 32; k++) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k)));
        float amax = hmax_ps(m);
        if (!(amax > 0)) { /* zeros (or NaN): let the reference decide */
            sw_quantize_row_q8_K(x, &y[i], SW_QK_K);
            continue;
        }
        int j = 0; /* the first element of largest magnitude, with its sign */
        while (fabsf(x[j]) != amax) j++;
        float iscale = -127.f / x[j];
        __m256 s = _mm256_set1_ps(iscale), top = _mm256_set1_ps(127.f);
        for (int k = 0; k < 8; k++) {
            __m256 v[4];
            UNROLL for (int u = 0; u < 4; u++) /* ties to even, as the reference */
                v[u] = _mm256_min_ps(top, _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * k + 8 * u), s),
                                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            __m256i q = pack_i8(v[0], v[1], v[2], v[3]);
            _mm256_storeu_si256((__m256i *)(y[i].qs + 32 * k), q);
            /* two sums of 16: bytes -> int16 pairs -> int32 -> the two halves */
            __m256i s16 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q), _mm256_set1_epi16(1));
            __m128i lo = _mm256_castsi256_si128(s16), hi = _mm256_extracti128_si256(s16, 1);
            lo = _mm_hadd_epi32(lo, lo);
            hi = _mm_hadd_epi32(hi, hi);
            y[i].bsums[2 * k] = (int16_t)(_mm_cvtsi128_si32(lo) + _mm_extract_epi32(lo, 1));
            y[i].bsums[2 * k + 1] = (int16_t)(_mm_cvtsi128_si32(hi) + _mm_extract_epi32(hi, 1));
        }
        y[i].d = 1 / iscale;
    }
}

/* ---- SwiGLU ---- */

/* exp(x), 8 lanes: x = k ln2 + r with k = round(x / ln2) and |r| <= ln2 / 2 (ln2 in two
 * parts, so that r is exact), exp(r) by Cephes' degree-7 polynomial, times 2^k put into the
 * exponent. x is clamped to [-87, 88] so that 2^k stays a normal float, and x > 88 gives
 * infinity (expf overflows from 88.73); relative error about 1e-7. NaN stays NaN (the
 * clamps keep a NaN operand). */
AI __m256 exp_ps(__m256 x) {
    __m256 big = _mm256_cmp_ps(x, _mm256_set1_ps(88.0f), _CMP_GT_OQ);
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), x);
    x = _mm256_max_ps(_mm256_set1_ps(-87.0f), x);
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_blendv_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), _mm256_set1_ps(INFINITY), big);
}

static void swiglu(float *g, const float *u, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(g + i);
        __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
        __m256 s = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

const sw_kernel_table sw_kernels_avx2 = {
    "avx2", dot_f32, dot_f16, dot_q4_0, dot_q8_0, dot_q4_K, dot_q6_K, dot_q5_0, to_q8_0, to_q8_K,
    dot_bf16, {NULL, NULL, NULL, NULL}, swiglu,
};
