/* quant.c - tensor element types: the type table, IEEE half conversion, and
 * dequantisation / reference quantisation of F32, F16, BF16, Q4_0, Q5_0, Q8_0, Q4_K and Q6_K in
 * GGML's block layouts (see kernels.h and docs/kernels.md). */
#include "engine/kernels.h"

#include <math.h>
#include <string.h>
#include <strings.h>

/* ---- type table ---- */

typedef struct {
    uint32_t type;
    const char *name;
    size_t elems, bytes;
} type_info;

static const type_info k_types[] = {
    {SW_TYPE_F32, "F32", 1, 4},
    {SW_TYPE_F16, "F16", 1, 2},
    {SW_TYPE_BF16, "BF16", 1, 2},
    {SW_TYPE_Q4_0, "Q4_0", SW_QK4_0, sizeof(sw_block_q4_0)},
    {SW_TYPE_Q5_0, "Q5_0", SW_QK5_0, sizeof(sw_block_q5_0)},
    {SW_TYPE_Q8_0, "Q8_0", SW_QK8_0, sizeof(sw_block_q8_0)},
    {SW_TYPE_Q4_K, "Q4_K", SW_QK_K, sizeof(sw_block_q4_K)},
    {SW_TYPE_Q6_K, "Q6_K", SW_QK_K, sizeof(sw_block_q6_K)},
};

static const type_info *type_find(uint32_t type) {
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++)
        if (k_types[i].type == type) return &k_types[i];
    return NULL;
}

int sw_type_supported(uint32_t type) { return type_find(type) != NULL; }

int sw_type_parse(const char *name, sw_ggml_type *out) {
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++)
        if (strcasecmp(name, k_types[i].name) == 0) {
            *out = (sw_ggml_type)k_types[i].type;
            return 0;
        }
    return -1;
}

const char *sw_type_name(uint32_t type) {
    const type_info *t = type_find(type);
    return t ? t->name : "unknown";
}

size_t sw_type_block_elems(uint32_t type) {
    const type_info *t = type_find(type);
    return t ? t->elems : 0;
}

size_t sw_type_block_bytes(uint32_t type) {
    const type_info *t = type_find(type);
    return t ? t->bytes : 0;
}

size_t sw_type_row_bytes(uint32_t type, uint64_t n) {
    const type_info *t = type_find(type);
    if (!t || n % t->elems) return 0;
    uint64_t blocks = n / t->elems;
    if (blocks > SIZE_MAX / t->bytes) return 0; /* would overflow: treat as an error */
    return (size_t)(blocks * t->bytes);
}

/* ---- IEEE half ---- */

float sw_fp16_to_fp32(uint16_t h) { return sw_half_to_float(h); }

uint16_t sw_fp32_to_fp16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) /* inf, or NaN kept quiet with the top of its payload */
        return sign | (x > 0x7f800000u ? (uint16_t)(0x7e00 | ((x >> 13) & 0x3ff)) : 0x7c00);
    if (x >= 0x47800000u) return sign | 0x7c00; /* >= 2^16: past the largest half */
    uint32_t e = x >> 23;
    if (e < 102) return sign; /* below 2^-25: rounds to zero (2^-25 itself is a tie to 0) */
    if (e < 113) {            /* half subnormal: units of 2^-24 */
        uint32_t m = (x & 0x7fffff) | 0x800000, s = 126 - e;
        uint32_t q = m >> s, rem = m & ((1u << s) - 1), half = 1u << (s - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return sign | (uint16_t)q; /* q may carry into the smallest normal: still right */
    }
    uint32_t h = ((e - 112) << 10) | ((x >> 13) & 0x3ff), rem = x & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* carries into the exponent */
    return sign | (uint16_t)h;
}

/* ---- bfloat16 ---- */

float sw_bf16_to_fp32(uint16_t h) { return sw_bf16_to_float(h); }

uint16_t sw_fp32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 64); /* NaN: keep it quiet */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16); /* nearest even; may carry to inf */
}

/* ---- dequantisation ---- */

static void dequant_q4_0(const sw_block_q4_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += SW_QK4_0) {
        float d = sw_half_to_float(b[i].d);
        for (int j = 0; j < SW_QK4_0 / 2; j++) {
            y[j] = (float)((b[i].qs[j] & 0x0f) - 8) * d;
            y[j + SW_QK4_0 / 2] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

static void dequant_q5_0(const sw_block_q5_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += SW_QK5_0) {
        float d = sw_half_to_float(b[i].d);
        int8_t q[SW_QK5_0];
        sw_q5_0_unpack(&b[i], q);
        for (int e = 0; e < SW_QK5_0; e++) y[e] = (float)q[e] * d;
    }
}

static void dequant_q8_0(const sw_block_q8_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += SW_QK8_0) {
        float d = sw_half_to_float(b[i].d);
        for (int j = 0; j < SW_QK8_0; j++) y[j] = (float)b[i].qs[j] * d;
    }
}

static void dequant_q4_K(const sw_block_q4_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = sw_half_to_float(b[i].d), dmin = sw_half_to_float(b[i].dmin);
        const uint8_t *q = b[i].qs;
        for (int c = 0; c < 4; c++, q += 32, y += 64) { /* chunk of 64: two sub-blocks */
            uint8_t sc, mn;
            sw_q4_K_scale_min(b[i].scales, 2 * c, &sc, &mn);
            float d1 = d * sc, m1 = dmin * mn;
            sw_q4_K_scale_min(b[i].scales, 2 * c + 1, &sc, &mn);
            float d2 = d * sc, m2 = dmin * mn;
            for (int l = 0; l < 32; l++) y[l] = d1 * (float)(q[l] & 0x0f) - m1;
            for (int l = 0; l < 32; l++) y[l + 32] = d2 * (float)(q[l] >> 4) - m2;
        }
    }
}

/* The 6-bit value (0..63) of element e (0..255) of a Q6_K block. */
static inline int q6_K_value(const sw_block_q6_K *b, int e) {
    int half = e / 128, k = (e % 128) / 32, l = e % 32;
    uint8_t lo = b->ql[64 * half + l + (k & 1) * 32];
    lo = (k & 2) ? lo >> 4 : lo & 0x0f;
    int hi = (b->qh[32 * half + l] >> (2 * k)) & 3;
    return lo | (hi << 4);
}

static void dequant_q6_K(const sw_block_q6_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += SW_QK_K) {
        float d = sw_half_to_float(b[i].d);
        for (int e = 0; e < SW_QK_K; e++) {
            float ds = d * (float)b[i].scales[e / 16];
            y[e] = ds * (float)(q6_K_value(&b[i], e) - 32);
        }
    }
}

void sw_dequantize_row(sw_ggml_type type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case SW_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case SW_TYPE_F16: {
        const uint16_t *h = src;
#pragma omp simd
        for (int64_t i = 0; i < n; i++) dst[i] = sw_half_to_float(h[i]);
        break;
    }
    case SW_TYPE_BF16: {
        const uint16_t *h = src;
#pragma omp simd
        for (int64_t i = 0; i < n; i++) dst[i] = sw_bf16_to_float(h[i]);
        break;
    }
    case SW_TYPE_Q4_0: dequant_q4_0(src, dst, n / SW_QK4_0); break;
    case SW_TYPE_Q5_0: dequant_q5_0(src, dst, n / SW_QK5_0); break;
    case SW_TYPE_Q8_0: dequant_q8_0(src, dst, n / SW_QK8_0); break;
    case SW_TYPE_Q4_K: dequant_q4_K(src, dst, n / SW_QK_K); break;
    case SW_TYPE_Q6_K: dequant_q6_K(src, dst, n / SW_QK_K); break;
    }
}

/* ---- reference quantisation (GGML's rounding, so files match llama.cpp's) ---- */

/* v (already in range for finite input) as an int in lo..hi; NaN, which inf or NaN in the
 * input produce, becomes 0 instead of an undefined conversion. */
static inline int to_int_clamped(float v, int lo, int hi) {
    if (!(v >= (float)lo)) return v != v ? 0 : lo;
    return v > (float)hi ? hi : (int)v;
}

/* roundf (halves away from zero) for |v| <= 127, inline: v +- 0.5 is exact in double and
 * truncation then rounds as roundf does. NaN gives 0. This runs on every activation of
 * every Q8_0/Q4_0 product, where a libm call per element was a quarter of the time. */
static inline int round_away_q8(float v) {
    double t = (double)v;
    if (!(t > -127.5 && t < 127.5)) return t != t ? 0 : t < 0 ? -127 : 127;
    return (int)(t >= 0 ? t + 0.5 : t - 0.5);
}

static void quant_q8_0(const float *x, sw_block_q8_0 *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += SW_QK8_0) {
        float amax = 0;
        for (int j = 0; j < SW_QK8_0; j++) amax = amax > fabsf(x[j]) ? amax : fabsf(x[j]); /* no libm call */
        float d = amax / 127, id = d != 0 ? 1.0f / d : 0.0f;
        y[i].d = sw_fp32_to_fp16(d);
        for (int j = 0; j < SW_QK8_0; j++) y[i].qs[j] = (int8_t)round_away_q8(x[j] * id);
    }
}

static void quant_q4_0(const float *x, sw_block_q4_0 *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += SW_QK4_0) {
        float amax = 0, max = 0; /* the value of largest magnitude, with its sign */
        for (int j = 0; j < SW_QK4_0; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        float d = max / -8, id = d != 0 ? 1.0f / d : 0.0f;
        y[i].d = sw_fp32_to_fp16(d);
        for (int j = 0; j < SW_QK4_0 / 2; j++) {
            /* truncation after +8.5 rounds half up; the -8 end is exact, 16 is clipped */
            int a = to_int_clamped(x[j] * id + 8.5f, 0, 15);
            int b = to_int_clamped(x[j + SW_QK4_0 / 2] * id + 8.5f, 0, 15);
            y[i].qs[j] = (uint8_t)(a | (b << 4));
        }
    }
}

/* As Q4_0 with 5 bits: the extreme maps to -16, +16 is clipped to 15; bit 4 of each
 * value goes to qh (bit e for element e). */
static void quant_q5_0(const float *x, sw_block_q5_0 *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += SW_QK5_0) {
        float amax = 0, max = 0;
        for (int j = 0; j < SW_QK5_0; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        float d = max / -16, id = d != 0 ? 1.0f / d : 0.0f;
        y[i].d = sw_fp32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < SW_QK5_0 / 2; j++) {
            int a = to_int_clamped(x[j] * id + 16.5f, 0, 31);
            int b = to_int_clamped(x[j + SW_QK5_0 / 2] * id + 16.5f, 0, 31);
            y[i].qs[j] = (uint8_t)((a & 0x0f) | (b & 0x0f) << 4);
            qh |= (uint32_t)(a >> 4) << j | (uint32_t)(b >> 4) << (j + SW_QK5_0 / 2);
        }
        for (int k = 0; k < 4; k++) y[i].qh[k] = (uint8_t)(qh >> (8 * k));
    }
}

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Weighted fit of x ~ scale*L + min with L in 0..nmax and min <= 0 (GGML's
 * make_qkx2_quants): starts from the min/max grid, then tries nstep+1 slightly different
 * grids, each followed by a closed-form least-squares scale and min, and keeps the best
 * by weighted squared (or absolute, use_mad) error. Returns scale; *neg_min = -min. */
static float fit_scale_min(int n, int nmax, const float *x, const float *w, uint8_t *L,
                           float *neg_min, float rmin, float rdelta, int nstep, int use_mad) {
    uint8_t Laux[32];
    float min = x[0], max = x[0], sum_w = w[0], sum_x = w[0] * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        memset(L, 0, (size_t)n);
        *neg_min = -min;
        return 0;
    }
    float iscale = nmax / (max - min), scale = 1 / iscale, best = 0;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)clampi(sw_nearest_int(iscale * (x[i] - min)), 0, nmax);
        float diff = scale * L[i] + min - x[i];
        best += w[i] * (use_mad ? fabsf(diff) : diff * diff);
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = clampi(sw_nearest_int(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D <= 0) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        if (this_min > 0) { /* the min must not be positive: refit the scale alone */
            this_min = 0;
            this_scale = sum_xl / sum_l2;
        }
        float err = 0;
        for (int i = 0; i < n; i++) {
            float diff = this_scale * Laux[i] + this_min - x[i];
            err += w[i] * (use_mad ? fabsf(diff) : diff * diff);
        }
        if (err < best) {
            memcpy(L, Laux, (size_t)n);
            best = err;
            scale = this_scale;
            min = this_min;
        }
    }
    *neg_min = -min;
    return scale;
}

static void quant_q4_K(const float *x, sw_block_q4_K *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += SW_QK_K) {
        uint8_t L[SW_QK_K];
        float scales[8], mins[8], w[32], max_scale = 0, max_min = 0;
        for (int j = 0; j < 8; j++) {
            const float *xs = x + 32 * j;
            float sum_x2 = 0;
            for (int l = 0; l < 32; l++) sum_x2 += xs[l] * xs[l];
            float av_x = sqrtf(sum_x2 / 32);
            for (int l = 0; l < 32; l++) w[l] = av_x + fabsf(xs[l]);
            scales[j] = fit_scale_min(32, 15, xs, w, L + 32 * j, &mins[j], -1.f, 0.1f, 20, 0);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
        float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
        memset(y[i].scales, 0, sizeof y[i].scales);
        for (int j = 0; j < 8; j++) {
            uint8_t ls = (uint8_t)sw_nearest_int(inv_scale * scales[j]);
            uint8_t lm = (uint8_t)sw_nearest_int(inv_min * mins[j]);
            if (ls > 63) ls = 63;
            if (lm > 63) lm = 63;
            if (j < 4) {
                y[i].scales[j] = ls;
                y[i].scales[j + 4] = lm;
            } else { /* low 4 bits in byte j+4, high 2 bits in the top of bytes j-4 / j */
                y[i].scales[j + 4] = (uint8_t)((ls & 0x0f) | ((lm & 0x0f) << 4));
                y[i].scales[j - 4] |= (uint8_t)((ls >> 4) << 6);
                y[i].scales[j] |= (uint8_t)((lm >> 4) << 6);
            }
        }
        y[i].d = sw_fp32_to_fp16(max_scale / 63.f);
        y[i].dmin = sw_fp32_to_fp16(max_min / 63.f);
        /* requantise against the scales as they were stored */
        for (int j = 0; j < 8; j++) {
            uint8_t sc, mn;
            sw_q4_K_scale_min(y[i].scales, j, &sc, &mn);
            float d = sw_half_to_float(y[i].d) * sc;
            if (d == 0) continue;
            float dm = sw_half_to_float(y[i].dmin) * mn;
            for (int l = 0; l < 32; l++)
                L[32 * j + l] = (uint8_t)clampi(sw_nearest_int((x[32 * j + l] + dm) / d), 0, 15);
        }
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                y[i].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
}

/* Symmetric fit x ~ scale*(L - nmax), L in 0..2*nmax-1, weighted by x^2 (GGML's
 * make_qx_quants with rmse_type 1): tries 19 grids around nmax/max and keeps the best
 * least-squares fit. Returns the scale (may be negative). */
static float fit_scale_sym(int n, int nmax, const float *x, int8_t *L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++)
        if (fabsf(x[i]) > amax) { amax = fabsf(x[i]); max = x[i]; }
    if (amax < 1e-15f) {
        memset(L, 0, (size_t)n);
        return 0;
    }
    float iscale = -nmax / max, sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = clampi(sw_nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 != 0 ? sumlx / suml2 : 0.0f, best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clampi(sw_nearest_int(iscale * x[i]), -nmax, nmax - 1);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++)
                L[i] = (int8_t)(nmax + clampi(sw_nearest_int(iscale * x[i]), -nmax, nmax - 1));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

static void quant_q6_K(const float *x, sw_block_q6_K *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += SW_QK_K) {
        int8_t L[SW_QK_K];
        float scales[16], max_scale = 0, max_abs = 0;
        for (int g = 0; g < 16; g++) {
            scales[g] = fit_scale_sym(16, 32, x + 16 * g, L + 16 * g);
            if (fabsf(scales[g]) > max_abs) { max_abs = fabsf(scales[g]); max_scale = scales[g]; }
        }
        memset(&y[i], 0, sizeof y[i]);
        if (max_abs < 1e-15f) continue; /* all zero: d = 0 */
        float iscale = -128.f / max_scale;
        y[i].d = sw_fp32_to_fp16(1 / iscale);
        for (int g = 0; g < 16; g++) {
            int s = sw_nearest_int(iscale * scales[g]);
            y[i].scales[g] = (int8_t)(s > 127 ? 127 : s);
        }
        /* requantise against the stored scales */
        for (int g = 0; g < 16; g++) {
            float d = sw_half_to_float(y[i].d) * y[i].scales[g];
            if (d == 0) continue;
            for (int l = 0; l < 16; l++)
                L[16 * g + l] = (int8_t)(clampi(sw_nearest_int(x[16 * g + l] / d), -32, 31) + 32);
        }
        for (int h = 0; h < 2; h++) {
            const int8_t *Lh = L + 128 * h;
            uint8_t *ql = y[i].ql + 64 * h, *qh = y[i].qh + 32 * h;
            for (int l = 0; l < 32; l++) {
                ql[l] = (uint8_t)((Lh[l] & 0x0f) | ((Lh[l + 64] & 0x0f) << 4));
                ql[l + 32] = (uint8_t)((Lh[l + 32] & 0x0f) | ((Lh[l + 96] & 0x0f) << 4));
                qh[l] = (uint8_t)((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) |
                                  ((Lh[l + 96] >> 4) << 6));
            }
        }
    }
}

void sw_quantize_row_q8_K(const float *x, sw_block_q8_K *y, int64_t n) {
    for (int64_t i = 0; i < n / SW_QK_K; i++, x += SW_QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < SW_QK_K; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        if (amax == 0) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float iscale = -127.f / max; /* the extreme maps to -127, never -128 */
        for (int j = 0; j < SW_QK_K; j++) {
            int v = sw_nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v > 127 ? 127 : v);
        }
        for (int g = 0; g < SW_QK_K / 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[16 * g + l];
            y[i].bsums[g] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

void sw_quantize_row(sw_ggml_type type, const float *src, void *dst, int64_t n) {
    switch (type) {
    case SW_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case SW_TYPE_F16: {
        uint16_t *h = dst;
        for (int64_t i = 0; i < n; i++) h[i] = sw_fp32_to_fp16(src[i]);
        break;
    }
    case SW_TYPE_BF16: {
        uint16_t *h = dst;
        for (int64_t i = 0; i < n; i++) h[i] = sw_fp32_to_bf16(src[i]);
        break;
    }
    case SW_TYPE_Q4_0: quant_q4_0(src, dst, n / SW_QK4_0); break;
    case SW_TYPE_Q5_0: quant_q5_0(src, dst, n / SW_QK5_0); break;
    case SW_TYPE_Q8_0: quant_q8_0(src, dst, n / SW_QK8_0); break;
    case SW_TYPE_Q4_K: quant_q4_K(src, dst, n / SW_QK_K); break;
    case SW_TYPE_Q6_K: quant_q6_K(src, dst, n / SW_QK_K); break;
    }
}

void sw_get_row(const void *W, sw_ggml_type wtype, int64_t cols, int64_t r, float *dst) {
    size_t rb = sw_type_row_bytes(wtype, (uint64_t)cols);
    sw_dequantize_row(wtype, (const uint8_t *)W + (size_t)r * rb, dst, cols);
}
