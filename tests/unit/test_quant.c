/* test_quant.c - element types: half conversion, quantisation error bounds, and
 * sw_matmul against a double-precision reference for every type, shape and kernel family. */
#include "t.h"
#include "steward/quant.h"
#include "engine/kernels.h"

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static float rndf(void) { return (float)((double)(rnd() >> 11) / 9007199254740992.0) * 2.0f - 1.0f; }
static float rnd_gauss(void) { /* sum of uniforms: roughly normal, heavy enough tails */
    float s = 0;
    for (int i = 0; i < 4; i++) s += rndf();
    return s * 0.8660254f;
}

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static const sw_ggml_type k_all[] = {SW_TYPE_F32, SW_TYPE_F16, SW_TYPE_Q4_0,
                                     SW_TYPE_Q8_0, SW_TYPE_Q4_K, SW_TYPE_Q6_K, SW_TYPE_Q5_0,
                                     SW_TYPE_BF16};
#define N_TYPES (int)(sizeof k_all / sizeof k_all[0])

/* ---- type table ---- */

static void test_type_table(void) {
    T_CHECK(sw_type_row_bytes(SW_TYPE_F32, 10) == 40);
    T_CHECK(sw_type_row_bytes(SW_TYPE_F16, 10) == 20);
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q4_0, 64) == 36);
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q8_0, 64) == 68);
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q4_K, 512) == 288);
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q6_K, 256) == 210);
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q5_0, 576) == 18 * 22);
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q5_0, 48) == 0);
    sw_ggml_type pt;
    T_CHECK(sw_type_parse("q5_0", &pt) == 0 && pt == SW_TYPE_Q5_0 && SW_TYPE_Q5_0 == 6);
    T_CHECK(strcmp(sw_type_name(6), "Q5_0") == 0);
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q8_0, 33) == 0);  /* not a multiple of the block */
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q4_K, 32) == 0);
    T_CHECK(sw_type_row_bytes(3, 32) == 0);             /* Q4_1: not supported */
    T_CHECK(sw_type_row_bytes(SW_TYPE_Q8_0, UINT64_MAX / 32 * 32) == 0 ||
            sizeof(size_t) > 8); /* overflow is an error, not a wrap */
    T_CHECK(!sw_type_supported(3) && !sw_type_supported(10) && !sw_type_supported(99));
    for (int i = 0; i < N_TYPES; i++) T_CHECK(sw_type_supported(k_all[i]));
    T_CHECK(strcmp(sw_type_name(SW_TYPE_Q4_K), "Q4_K") == 0);
    T_CHECK(strcmp(sw_type_name(SW_TYPE_Q6_K), "Q6_K") == 0);
    T_CHECK(strcmp(sw_type_name(7), "unknown") == 0);
    T_CHECK(sw_type_block_elems(SW_TYPE_Q6_K) == 256 && sw_type_block_bytes(SW_TYPE_Q6_K) == 210);
    T_CHECK(sw_type_block_elems(SW_TYPE_F16) == 1 && sw_type_block_bytes(SW_TYPE_F16) == 2);
    T_CHECK(sw_type_block_elems(42) == 0 && sw_type_block_bytes(42) == 0);
    T_CHECK(sw_type_parse("bf16", &pt) == 0 && pt == SW_TYPE_BF16 && SW_TYPE_BF16 == 30);
    T_CHECK(strcmp(sw_type_name(30), "BF16") == 0 && sw_type_row_bytes(SW_TYPE_BF16, 10) == 20);
}

/* ---- bfloat16 ---- */

static void test_bf16(void) {
    T_CHECK(sw_fp32_to_bf16(1.0f) == 0x3f80 && sw_fp32_to_bf16(-2.0f) == 0xc000);
    T_CHECK(sw_fp32_to_bf16(0.0f) == 0x0000 && sw_fp32_to_bf16(-0.0f) == 0x8000);
    /* 8 significant bits: ties to even, above the tie up */
    T_CHECK(sw_fp32_to_bf16(1.0f + 0x1p-8f) == 0x3f80);
    T_CHECK(sw_fp32_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3f82);
    T_CHECK(sw_fp32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3f81);
    T_CHECK(sw_fp32_to_bf16(-(1.0f + 0x1p-8f + 0x1p-20f)) == 0xbf81);
    T_CHECK(sw_fp32_to_bf16(0x1p-130f) == 0x0008 && sw_bf16_to_fp32(0x0008) == 0x1p-130f); /* subnormal */
    T_CHECK(sw_fp32_to_bf16(INFINITY) == 0x7f80 && sw_fp32_to_bf16(-INFINITY) == 0xff80);
    T_CHECK(sw_fp32_to_bf16(3.4028235e38f) == 0x7f80); /* FLT_MAX rounds up to inf, as GGML's */
    uint16_t nan = sw_fp32_to_bf16(u2f(0x7f800001u)); /* a signalling NaN whose payload is below bit 16 */
    T_CHECK((nan & 0x7f80) == 0x7f80 && (nan & 0x7f) != 0);
    T_CHECK(sw_bf16_to_fp32(0x3f80) == 1.0f && sw_bf16_to_fp32(0xc049) == -3.140625f);
    /* every non-NaN bf16 survives a trip through float */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = sw_bf16_to_fp32((uint16_t)h);
        if (!isnan(f) && sw_fp32_to_bf16(f) != h) bad++;
    }
    T_CHECK_MSG(bad == 0, "%d bf16 values change through float", bad);
}

/* ---- IEEE half ---- */

static void test_fp16_cases(void) {
    T_CHECK(sw_fp32_to_fp16(1.0f) == 0x3c00);
    T_CHECK(sw_fp32_to_fp16(-2.0f) == 0xc000);
    T_CHECK(sw_fp32_to_fp16(0.0f) == 0x0000);
    T_CHECK(sw_fp32_to_fp16(-0.0f) == 0x8000);
    T_CHECK(sw_fp32_to_fp16(65504.0f) == 0x7bff);          /* largest half */
    T_CHECK(sw_fp32_to_fp16(65519.99f) == 0x7bff);         /* just under the tie */
    T_CHECK(sw_fp32_to_fp16(65520.0f) == 0x7c00);          /* tie rounds to even: inf */
    T_CHECK(sw_fp32_to_fp16(1e10f) == 0x7c00);
    T_CHECK(sw_fp32_to_fp16(-INFINITY) == 0xfc00);
    uint16_t nan = sw_fp32_to_fp16(NAN);
    T_CHECK((nan & 0x7c00) == 0x7c00 && (nan & 0x3ff) != 0);
    T_CHECK(isnan(sw_fp16_to_fp32(0x7e00)) && isnan(sw_fp16_to_fp32(0xfc01)));
    T_CHECK(sw_fp16_to_fp32(0x7c00) == INFINITY && sw_fp16_to_fp32(0xfc00) == -INFINITY);
    /* halfway between two normals: ties to even */
    T_CHECK(sw_fp32_to_fp16(1.0f + 0x1p-11f) == 0x3c00);
    T_CHECK(sw_fp32_to_fp16(1.0f + 3 * 0x1p-11f) == 0x3c02);
    T_CHECK(sw_fp32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01);
    /* subnormals: units of 2^-24 */
    T_CHECK(sw_fp32_to_fp16(0x1p-24f) == 0x0001);
    T_CHECK(sw_fp32_to_fp16(0x1p-25f) == 0x0000);           /* tie to even: 0 */
    T_CHECK(sw_fp32_to_fp16(-0x1p-25f) == 0x8000);
    T_CHECK(sw_fp32_to_fp16(0x1.000002p-25f) == 0x0001);    /* just past the tie */
    T_CHECK(sw_fp32_to_fp16(3 * 0x1p-25f) == 0x0002);       /* 1.5 units: to even 2 */
    T_CHECK(sw_fp32_to_fp16(5 * 0x1p-25f) == 0x0002);       /* 2.5 units: to even 2 */
    T_CHECK(sw_fp32_to_fp16(1e-30f) == 0x0000);
    T_CHECK(sw_fp32_to_fp16(0x1p-14f) == 0x0400);           /* smallest normal */
    T_CHECK(sw_fp32_to_fp16(0x1p-14f - 0x1p-26f) == 0x0400);/* rounds up into the normals */
    T_CHECK(sw_fp32_to_fp16(1023 * 0x1p-24f) == 0x03ff);    /* largest subnormal */
    T_CHECK(sw_fp16_to_fp32(0x0001) == 0x1p-24f);
    T_CHECK(sw_fp16_to_fp32(0x03ff) == 1023 * 0x1p-24f);
    T_CHECK(sw_fp16_to_fp32(0x8001) == -0x1p-24f);
    T_CHECK(sw_fp16_to_fp32(0x3555) == 0x1.554p-2f);
}

static void test_fp16_roundtrip_all(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = sw_fp16_to_fp32((uint16_t)h);
        int is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (is_nan) {
            if (!isnan(f) || (sw_fp32_to_fp16(f) & 0x7fff) != (h & 0x7fff) ||
                (sw_fp32_to_fp16(f) & 0x8000) != (h & 0x8000)) {
                /* a NaN comes back quiet with its payload's top bits */
                uint16_t back = sw_fp32_to_fp16(f);
                if (!((back & 0x7e00) == 0x7e00 && (back & 0x1ff) == (h & 0x1ff))) bad++;
            }
        } else if (sw_fp32_to_fp16(f) != h) {
            bad++;
        }
    }
    T_CHECK_MSG(bad == 0, "%d halves do not round-trip", bad);
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) static uint16_t hw_to_half(float f) { return _cvtss_sh(f, 0); }
__attribute__((target("f16c"))) static float hw_from_half(uint16_t h) { return _cvtsh_ss(h); }
#endif

/* Compares with the CPU's own conversion (F16C) on random and edge bit patterns. */
static void test_fp16_vs_hardware(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("f16c")) {
        T_SKIP("no F16C on this CPU");
        return;
    }
    int bad = 0;
    for (int i = 0; i < 2000000; i++) {
        uint32_t u = (uint32_t)rnd();
        if (i & 1) u = (u & 0x80000000u) | (0x30000000u + (u & 0x1fffffffu)); /* near half range */
        float f = u2f(u);
        uint16_t a = sw_fp32_to_fp16(f), b = hw_to_half(f);
        if (isnan(f) ? !((a & 0x7c00) == 0x7c00 && (a & 0x3ff)) : a != b) {
            if (bad++ < 5) fprintf(stderr, "  %08x: %04x vs hw %04x\n", u, a, b);
        }
    }
    for (uint32_t h = 0; h < 65536; h++) {
        float a = sw_fp16_to_fp32((uint16_t)h), b = hw_from_half((uint16_t)h);
        if (f2u(a) != f2u(b) && !(isnan(a) && isnan(b))) bad++;
    }
    T_CHECK_MSG(bad == 0, "%d conversions differ from F16C", bad);
#else
    T_SKIP("F16C is an x86-64 instruction set");
#endif
}

/* ---- quantise -> dequantise ---- */

static void fill_gauss(float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) x[i] = rnd_gauss() * scale;
}

static double rel_rms_error(sw_ggml_type t, const float *x, int64_t n, float *y) {
    void *q = malloc(sw_type_row_bytes(t, (uint64_t)n));
    sw_quantize_row(t, x, q, n);
    sw_dequantize_row(t, q, y, n);
    free(q);
    double e = 0, s = 0;
    for (int64_t i = 0; i < n; i++) {
        e += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
        s += (double)x[i] * x[i];
    }
    return sqrt(e / s);
}

static void test_quant_error_bounds(void) {
    enum { N = 4096 };
    static float x[N], y[N];
    /* relative RMS error limits for near-normal data (GGML types measure ~ these / 1.5) */
    const double limit[] = {0, 0.0005, 0.12, 0.006, 0.08, 0.02, 0.06, 0.003};
    const float scales[] = {1.0f, 0.02f, 300.0f};
    for (int s = 0; s < 3; s++) {
        fill_gauss(x, N, scales[s]);
        for (int t = 0; t < N_TYPES; t++) {
            double e = rel_rms_error(k_all[t], x, N, y);
            T_CHECK_MSG(e <= limit[t], "%s scale %g: rms error %g > %g", sw_type_name(k_all[t]),
                        (double)scales[s], e, limit[t]);
            if (s == 0) printf("# %s relative rms error %.5f\n", sw_type_name(k_all[t]), e);
        }
    }
    /* per-element bounds where the format gives one */
    fill_gauss(x, N, 1.0f);
    for (int t = 0; t < N_TYPES; t++) {
        sw_ggml_type ty = k_all[t];
        if (ty == SW_TYPE_Q4_K || ty == SW_TYPE_Q6_K) continue;
        rel_rms_error(ty, x, N, y);
        int64_t blk = (int64_t)sw_type_block_elems(ty) < 32 ? 32 : (int64_t)sw_type_block_elems(ty);
        for (int64_t b = 0; b < N; b += blk) {
            float amax = 0;
            for (int64_t i = b; i < b + blk; i++) amax = fmaxf(amax, fabsf(x[i]));
            for (int64_t i = b; i < b + blk; i++) {
                double err = fabs((double)x[i] - y[i]), bound;
                if (ty == SW_TYPE_F32) bound = 0;
                else if (ty == SW_TYPE_F16) bound = fabs(x[i]) * 0x1p-11 + 0x1p-25;
                else if (ty == SW_TYPE_BF16) bound = fabs(x[i]) * 0x1p-8; /* half an ulp of 8 bits */
                else if (ty == SW_TYPE_Q8_0) bound = amax / 127.0 * 0.5 + amax * 0x1p-10;
                else if (ty == SW_TYPE_Q5_0) bound = amax / 16.0 * (1 + 0x1p-9); /* clips to 15 */
                else bound = amax / 8.0 * (1 + 0x1p-9); /* Q4_0: the +max end clips to 7 */
                if (err > bound) {
                    T_CHECK_MSG(err <= bound, "%s element %lld: error %g > %g", sw_type_name(ty),
                                (long long)i, err, bound);
                    b = N;
                    break;
                }
            }
        }
    }
    /* all-zero and constant blocks */
    memset(x, 0, sizeof x);
    for (int t = 0; t < N_TYPES; t++) {
        rel_rms_error(k_all[t], x, 512, y);
        int zero = 1;
        for (int i = 0; i < 512; i++) zero &= y[i] == 0;
        T_CHECK_MSG(zero, "%s: zeros do not stay zero", sw_type_name(k_all[t]));
    }
    for (int i = 0; i < 512; i++) x[i] = 0.75f;
    for (int t = 0; t < N_TYPES; t++) {
        rel_rms_error(k_all[t], x, 512, y);
        double worst = 0;
        for (int i = 0; i < 512; i++) worst = fmax(worst, fabs(y[i] - 0.75));
        T_CHECK_MSG(worst <= 0.75 * 0.01, "%s: constant 0.75 comes back off by %g", sw_type_name(k_all[t]), worst);
    }
}

/* Known encodings: GGML's reference rounding rules on hand-made blocks. */
static void test_quant_known_blocks(void) {
    float x[32];
    for (int i = 0; i < 32; i++) x[i] = (float)(i - 16) / 16.0f; /* -1 .. 0.9375 */
    sw_block_q8_0 q8;
    sw_quantize_row(SW_TYPE_Q8_0, x, &q8, 32);
    T_CHECK(q8.d == sw_fp32_to_fp16(1.0f / 127));
    T_CHECK(q8.qs[0] == -127 && q8.qs[16] == 0);
    T_CHECK(q8.qs[24] == 64);  /* 0.5*127 = 63.5 rounds away from zero */
    T_CHECK(q8.qs[8] == -64);
    sw_block_q4_0 q4;
    sw_quantize_row(SW_TYPE_Q4_0, x, &q4, 32);
    T_CHECK(q4.d == sw_fp32_to_fp16(1.0f / 8)); /* max is -1: d = -1/-8 */
    /* x[0] = -1 -> -8 -> nibble 0; x[16] = 0 -> 8; x[31] = 0.9375 -> 7.5+8.5 = 16 -> 15 */
    T_CHECK((q4.qs[0] & 0x0f) == 0 && (q4.qs[0] >> 4) == 8 && (q4.qs[15] >> 4) == 15);
    /* Q5_0: d = -1/-16; x[i] = (i-16)/16 -> q5 = i exactly (i - 16 + 16.5 truncates);
     * element i's low nibble in qs[i%16] (low half for i < 16), bit 4 in qh bit i */
    unsigned char q5[22];
    sw_quantize_row(SW_TYPE_Q5_0, x, q5, 32);
    uint16_t d5 = (uint16_t)(q5[0] | q5[1] << 8);
    T_CHECK(d5 == sw_fp32_to_fp16(1.0f / 16));
    T_CHECK(q5[2] == 0x00 && q5[3] == 0x00 && q5[4] == 0xff && q5[5] == 0xff); /* i >= 16 */
    int q5ok = 1;
    for (int j = 0; j < 16; j++) q5ok &= q5[6 + j] == (uint8_t)(j | j << 4);
    T_CHECK(q5ok);
    /* a positive extreme: d = 2/-16 = -0.125, x = 2 -> 0, x = -2 -> 32 clipped to 31 */
    float xp[32] = {2.0f, -2.0f, 1.0f};
    sw_quantize_row(SW_TYPE_Q5_0, xp, q5, 32);
    float yp[32];
    sw_dequantize_row(SW_TYPE_Q5_0, q5, yp, 32);
    T_CHECK(yp[0] == 2.0f && yp[1] == -1.875f && yp[2] == 1.0f && yp[3] == 0.0f);
    /* dequantisation of a hand-made block: d = 0.5, qh = 0x80000001 (elements 0 and 31) */
    unsigned char hb[22] = {0x00, 0x38, 0x01, 0x00, 0x00, 0x80};
    hb[6] = 0x3f;  /* element 0: 15 | 16 = 31 -> 7.5; element 16: 3 -> -6.5 */
    hb[21] = 0xf0; /* element 15: 0 -> -8; element 31: 15 | 16 = 31 -> 7.5 */
    float hy[32];
    sw_dequantize_row(SW_TYPE_Q5_0, hb, hy, 32);
    T_CHECK(hy[0] == 7.5f && hy[16] == -6.5f && hy[15] == -8.0f && hy[31] == 7.5f && hy[1] == -8.0f);
    /* Q8_K: extreme maps to -127 exactly and sums are per 16 */
    float xk[256];
    for (int i = 0; i < 256; i++) xk[i] = (float)((i * 37) % 101 - 50) / 50.0f;
    sw_block_q8_K k;
    sw_quantize_row_q8_K(xk, &k, 256);
    int minq = 0, maxq = 0;
    for (int i = 0; i < 256; i++) { minq = k.qs[i] < minq ? k.qs[i] : minq; maxq = k.qs[i] > maxq ? k.qs[i] : maxq; }
    T_CHECK(minq >= -127 && maxq <= 127 && (minq == -127 || maxq == 127));
    for (int g = 0; g < 16; g++) {
        int s = 0;
        for (int l = 0; l < 16; l++) s += k.qs[16 * g + l];
        T_CHECK(k.bsums[g] == s);
    }
    for (int i = 0; i < 256; i++) T_NEAR(k.d * k.qs[i], xk[i], fabsf(k.d) * 0.5f + 1e-6f);
}

/* ---- sw_matmul ---- */

/* Random weights in `t`: quantised from Gaussian data, or (raw) random bytes with sane
 * f16 scales, so that every bit pattern of the quants and scales is exercised. */
static void *make_weights(sw_ggml_type t, int64_t rows, int64_t cols, int raw) {
    size_t rb = sw_type_row_bytes(t, (uint64_t)cols);
    uint8_t *w = malloc(rb * (size_t)rows);
    if (!raw || t == SW_TYPE_F32 || t == SW_TYPE_F16 || t == SW_TYPE_BF16) {
        float *row = malloc((size_t)cols * sizeof *row);
        for (int64_t r = 0; r < rows; r++) {
            fill_gauss(row, cols, 0.1f);
            sw_quantize_row(t, row, w + (size_t)r * rb, cols);
        }
        free(row);
        return w;
    }
    for (size_t i = 0; i < rb * (size_t)rows; i++) w[i] = (uint8_t)rnd();
    size_t bb = sw_type_block_bytes(t), nblk = rb * (size_t)rows / bb;
    for (size_t i = 0; i < nblk; i++) {
        uint8_t *b = w + i * bb;
        uint16_t d = sw_fp32_to_fp16((rndf() + 1.5f) * 0.001f), dm = sw_fp32_to_fp16((rndf() + 1.5f) * 0.002f);
        if (t == SW_TYPE_Q6_K) memcpy(b + 208, &d, 2);
        else memcpy(b, &d, 2);
        if (t == SW_TYPE_Q4_K) memcpy(b + 2, &dm, 2);
    }
    return w;
}

/* X as the kernels see it: the 8-bit form for quantised weights, dequantised again. */
static void x_as_seen(sw_ggml_type t, const float *x, int64_t cols, float *out) {
    if (t == SW_TYPE_F32 || t == SW_TYPE_F16 || t == SW_TYPE_BF16) {
        memcpy(out, x, (size_t)cols * sizeof *x);
    } else if (t == SW_TYPE_Q4_0 || t == SW_TYPE_Q5_0 || t == SW_TYPE_Q8_0) {
        void *q = malloc(sw_type_row_bytes(SW_TYPE_Q8_0, (uint64_t)cols));
        sw_quantize_row(SW_TYPE_Q8_0, x, q, cols);
        sw_dequantize_row(SW_TYPE_Q8_0, q, out, cols);
        free(q);
    } else {
        sw_block_q8_K *q = malloc((size_t)cols / 256 * sizeof *q);
        sw_quantize_row_q8_K(x, q, cols);
        for (int64_t i = 0; i < cols; i++) out[i] = q[i / 256].d * q[i / 256].qs[i % 256];
        free(q);
    }
}

typedef struct { double max_rel_seen, max_rel_raw; int bad; } cmp_result;

/* Runs sw_matmul and checks every output against double-precision sums: tightly against
 * X as quantised (only float rounding differs), loosely against the raw X (the 8-bit
 * quantisation of X is the only approximation). */
static cmp_result check_matmul(sw_ggml_type t, int64_t rows, int64_t cols, int64_t nb, int raw) {
    cmp_result res = {0, 0, 0};
    void *W = make_weights(t, rows, cols, raw);
    float *X = malloc((size_t)(nb * cols) * sizeof *X), *Y = malloc((size_t)(nb * rows) * sizeof *Y);
    float *xs = malloc((size_t)cols * sizeof *xs), *wr = malloc((size_t)cols * sizeof *wr);
    fill_gauss(X, nb * cols, 1.0f);
    for (int64_t i = 0; i < nb * rows; i++) Y[i] = NAN;
    sw_matmul(W, t, rows, cols, X, nb, Y);
    for (int64_t b = 0; b < nb; b++) {
        x_as_seen(t, X + b * cols, cols, xs);
        for (int64_t r = 0; r < rows; r++) {
            sw_get_row(W, t, cols, r, wr);
            double seen = 0, rawsum = 0, mag = 0, qerr = 0;
            for (int64_t c = 0; c < cols; c++) {
                seen += (double)wr[c] * xs[c];
                rawsum += (double)wr[c] * X[b * cols + c];
                mag += fabs((double)wr[c] * X[b * cols + c]);
                qerr += fabs((double)wr[c]) * fabs((double)xs[c] - X[b * cols + c]);
            }
            double y = Y[b * rows + r];
            double e1 = fabs(y - seen) / (mag + 1e-30), e2 = fabs(y - rawsum) / (qerr + mag * 1e-5 + 1e-30);
            if (e1 > res.max_rel_seen) res.max_rel_seen = e1;
            if (e2 > res.max_rel_raw) res.max_rel_raw = e2;
            if (!(e1 <= 2e-6 * sqrt((double)cols)) || !(e2 <= 1.0 + 1e-3)) {
                if (res.bad++ < 3)
                    fprintf(stderr, "  %s %lldx%lld nb %lld raw %d: Y[%lld][%lld] = %.9g, want %.9g (raw X %.9g)\n",
                            sw_type_name(t), (long long)rows, (long long)cols, (long long)nb, raw,
                            (long long)b, (long long)r, y, seen, rawsum);
            }
        }
    }
    free(W); free(X); free(Y); free(xs); free(wr);
    return res;
}

static void run_matmul_checks(void) {
    const int64_t rows_list[] = {1, 5, 37, 70};
    const int64_t nb_list[] = {1, 3, 17};
    for (int ti = 0; ti < N_TYPES; ti++) {
        sw_ggml_type t = k_all[ti];
        int64_t bs = (int64_t)sw_type_block_elems(t);
        int64_t cols_list[2] = {bs >= 256 ? 256 : 96, bs >= 256 ? 768 : (bs == 1 ? 203 : 544)};
        for (int raw = 0; raw < 2; raw++)
            for (int ri = 0; ri < 4; ri++)
                for (int ci = 0; ci < 2; ci++)
                    for (int ni = 0; ni < 3; ni++) {
                        if (raw && (ri == 0 || ni == 1)) continue; /* keep the run short */
                        cmp_result r = check_matmul(t, rows_list[ri], cols_list[ci], nb_list[ni], raw);
                        T_CHECK_MSG(r.bad == 0, "%s %lldx%lld nb %lld raw %d: %d outputs off (rel %g / %g)",
                                    sw_type_name(t), (long long)rows_list[ri], (long long)cols_list[ci],
                                    (long long)nb_list[ni], raw, r.bad, r.max_rel_seen, r.max_rel_raw);
                    }
    }
}

static void test_matmul_default(void) {
    printf("# kernels: %s\n", sw_kernels_name());
    run_matmul_checks();
    /* more X rows than one result group (64): the group boundary and a ragged tile */
    const sw_ggml_type big[] = {SW_TYPE_F32, SW_TYPE_Q8_0, SW_TYPE_Q6_K};
    for (int i = 0; i < 3; i++) {
        cmp_result r = check_matmul(big[i], 21, big[i] == SW_TYPE_Q6_K ? 256 : 64, 70, 0);
        T_CHECK_MSG(r.bad == 0, "%s nb 70: %d outputs off", sw_type_name(big[i]), r.bad);
    }
}

static void test_matmul_portable(void) {
    T_CHECK(sw_kernels_select("portable") == 0);
    T_CHECK(strcmp(sw_kernels_name(), "portable") == 0);
    run_matmul_checks();
    T_CHECK(sw_kernels_select("bogus") == -1);
}

/* Same inputs through a kernel family and the portable one: equal up to float
 * summation order. */
static void family_vs_portable(const char *fam) {
    char was[32];
    snprintf(was, sizeof was, "%s", sw_kernels_name());
    if (sw_kernels_select(fam) != 0) {
        T_SKIP("this CPU lacks what the %s kernels need", fam);
        return;
    }
    for (int ti = 0; ti < N_TYPES; ti++) {
        sw_ggml_type t = k_all[ti];
        for (int raw = 0; raw < 2; raw++) {
            int64_t rows = 45, cols = (int64_t)sw_type_block_elems(t) >= 256 ? 1024 : 1003, nb = 6;
            if (sw_type_block_elems(t) == 32) cols = 1024;
            void *W = make_weights(t, rows, cols, raw);
            float *X = malloc((size_t)(nb * cols) * sizeof *X);
            float *Ya = malloc((size_t)(nb * rows) * sizeof *Ya), *Yp = malloc((size_t)(nb * rows) * sizeof *Yp);
            fill_gauss(X, nb * cols, 1.0f);
            sw_kernels_select(fam);
            sw_matmul(W, t, rows, cols, X, nb, Ya);
            sw_kernels_select("portable");
            sw_matmul(W, t, rows, cols, X, nb, Yp);
            float *wr = malloc((size_t)cols * sizeof *wr);
            int bad = 0;
            for (int64_t b = 0; b < nb; b++)
                for (int64_t r = 0; r < rows; r++) {
                    sw_get_row(W, t, cols, r, wr);
                    double mag = 0;
                    for (int64_t c = 0; c < cols; c++) mag += fabs((double)wr[c] * X[b * cols + c]);
                    if (fabs((double)Ya[b * rows + r] - Yp[b * rows + r]) > 1e-5 * mag) bad++;
                }
            T_CHECK_MSG(bad == 0, "%s raw %d: %d outputs differ between %s and portable", sw_type_name(t), raw,
                        bad, fam);
            free(W); free(X); free(Ya); free(Yp); free(wr);
        }
    }
    sw_kernels_select(was);
}

static void test_avx2_vs_portable(void) { family_vs_portable("avx2"); }
static void test_avx512_vs_portable(void) { family_vs_portable("avx512"); }

/* The tile kernels against the portable single-row kernels, called directly: every
 * tile shape (1..SW_TILE_M rows x 1..SW_TILE_N activations, with gaps between the rows
 * and between the activations), lengths with tails (F32: not a multiple of 16; Q8_0,
 * Q5_0 and Q4_0: odd block counts), raw weight bytes (Q8_0's -128 included). A pair's result must
 * not depend on the tile it was computed in: all shapes give the same bits. */
static void check_tiles(const char *fam, sw_ggml_type t, int64_t n) {
    const sw_kernel_table *k = NULL;
    sw_kernels_select(fam);
    k = sw_kernels();
    sw_tile_fn tile = t == SW_TYPE_F32 ? k->tile.f32 : t == SW_TYPE_Q8_0 ? k->tile.q8_0
                      : t == SW_TYPE_Q5_0 ? k->tile.q5_0 : k->tile.q4_0;
    sw_dot_fn dot = t == SW_TYPE_F32 ? sw_kernels_portable.f32 : t == SW_TYPE_Q8_0 ? sw_kernels_portable.q8_0
                    : t == SW_TYPE_Q5_0 ? sw_kernels_portable.q5_0 : sw_kernels_portable.q4_0;
    if (!tile) {
        T_CHECK_MSG(0, "%s has no %s tile", fam, sw_type_name(t));
        return;
    }
    enum { M = SW_TILE_M, N = SW_TILE_N };
    size_t wrow = sw_type_row_bytes(t, (uint64_t)n), ws = wrow + 40; /* gaps: strides are honoured */
    uint8_t *Wr = make_weights(t, M, n, 1), *W = calloc(M, ws);
    for (int i = 0; i < M; i++) memcpy(W + (size_t)i * ws, Wr + (size_t)i * wrow, wrow);
    size_t xrow = t == SW_TYPE_F32 ? (size_t)n * 4 : (size_t)n / 32 * sizeof(sw_block_q8_0x), xs = xrow + 72;
    float *xf = malloc((size_t)n * sizeof *xf);
    uint8_t *X = calloc(N, xs);
    for (int j = 0; j < N; j++) {
        fill_gauss(xf, n, 1.0f);
        if (j == 1) for (int64_t e = 0; e < n; e += 3) xf[e] = 0; /* zeros and extremes */
        if (t == SW_TYPE_F32) memcpy(X + (size_t)j * xs, xf, xrow);
        else sw_kernels_portable.to_q8_0(xf, X + (size_t)j * xs, n);
    }
    float ref[M][N], full[N][M];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) dot(n, W + (size_t)i * ws, X + (size_t)j * xs, 0, 1, &ref[i][j]);
    tile(n, W, ws, M, X, xs, N, &full[0][0], M);
    /* tolerance: float rounding of sums of n products, against the sum of |w x| */
    float *wd = malloc((size_t)n * sizeof *wd), *xd = malloc((size_t)n * sizeof *xd);
    int off = 0, differ = 0;
    for (int i = 0; i < M; i++) {
        sw_get_row(Wr, t, n, i, wd);
        for (int j = 0; j < N; j++) {
            const uint8_t *xj = X + (size_t)j * xs;
            for (int64_t e = 0; e < n; e++) {
                const sw_block_q8_0x *q = (const sw_block_q8_0x *)xj + e / 32;
                xd[e] = t == SW_TYPE_F32 ? ((const float *)xj)[e] : q->d * q->qs[e % 32];
            }
            double mag = 0;
            for (int64_t e = 0; e < n; e++) mag += fabs((double)wd[e] * xd[e]);
            off += !(fabs((double)full[j][i] - ref[i][j]) <= 2e-6 * sqrt((double)n) * mag + 1e-30);
        }
    }
    free(wd);
    free(xd);
    for (int nw = 1; nw <= M; nw++)
        for (int nx = 1; nx <= N; nx++)
            for (int i0 = 0; i0 + nw <= M; i0 += nw)
                for (int j0 = 0; j0 + nx <= N; j0 += nx) {
                    float part[N][M];
                    tile(n, W + (size_t)i0 * ws, ws, nw, X + (size_t)j0 * xs, xs, nx, &part[0][0], M);
                    for (int i = 0; i < nw; i++)
                        for (int j = 0; j < nx; j++) differ += f2u(part[j][i]) != f2u(full[j0 + j][i0 + i]);
                }
    T_CHECK_MSG(off == 0, "%s %s tile n %lld: %d results off the portable kernel", fam, sw_type_name(t),
                (long long)n, off);
    T_CHECK_MSG(differ == 0, "%s %s tile n %lld: %d results depend on the tile shape", fam,
                sw_type_name(t), (long long)n, differ);
    free(Wr); free(W); free(X); free(xf);
}

static void test_tiles(void) {
    char was[32];
    snprintf(was, sizeof was, "%s", sw_kernels_name());
    if (sw_kernels_select("avx512") != 0) {
        T_SKIP("no AVX-512 F/BW/VL/VNNI on this CPU");
        return;
    }
    const int64_t nf[] = {1, 7, 15, 16, 17, 64, 203, 576};
    for (int i = 0; i < 8; i++) check_tiles("avx512", SW_TYPE_F32, nf[i]);
    const int64_t nq[] = {32, 64, 96, 160, 576, 1024};
    for (int i = 0; i < 6; i++) {
        check_tiles("avx512", SW_TYPE_Q8_0, nq[i]);
        check_tiles("avx512", SW_TYPE_Q4_0, nq[i]);
        check_tiles("avx512", SW_TYPE_Q5_0, nq[i]);
    }
    sw_kernels_select(was);
}

/* Every family's activation quantisers write the reference's bytes, ties included. */
static void test_activation_quantisers_agree(void) {
    enum { N = 256 * 24 };
    static float x[N];
    fill_gauss(x, N, 1.0f);
    for (int i = 256; i < 512; i++) x[i] = (float)((i % 40) - 20) + 0.5f; /* halves: ties */
    x[256] = 127.0f;                                /* Q8_0 block: d = 1, id = 1 */
    for (int b = 1; b < 8; b++) x[256 + 32 * b] = 127.0f;
    x[300] = -127.0f;                               /* Q8_K: a later extreme of the other sign */
    for (int i = 512; i < 768; i++) x[i] = 0;       /* a zero block */
    for (int i = 768; i < 1024; i++) x[i] = 1e-3f * (float)(i % 7) - 3e-3f;
    x[5000] = 40.0f;
    x[5001] = -40.0f;                               /* equal magnitudes: the first decides */
    const sw_kernel_table *fam[2] = {&sw_kernels_portable, &sw_kernels_avx2};
    if (sw_kernels_select("avx2") != 0) {
        T_SKIP("no AVX2 on this CPU");
        return;
    }
    static sw_block_q8_0x a0[N / 32], b0[N / 32];
    static sw_block_q8_K aK[N / 256], bK[N / 256];
    fam[0]->to_q8_0(x, a0, N);
    fam[1]->to_q8_0(x, b0, N);
    fam[0]->to_q8_K(x, aK, N);
    fam[1]->to_q8_K(x, bK, N);
    T_CHECK_MSG(memcmp(a0, b0, sizeof a0) == 0, "Q8_0 activations differ");
    T_CHECK_MSG(memcmp(aK, bK, sizeof aK) == 0, "Q8_K activations differ");
    /* x[257] = -2.5 with d = 1: Q8_0 rounds halves away (-3); Q8_K (scale -1 from the
     * first extreme, x[256] = 127) rounds 2.5 to even (2) */
    T_CHECK(a0[8].qs[1] == -3);
    T_CHECK(aK[1].qs[1] == 2 && aK[1].d == -1.0f);
}

/* The result of a row does not depend on the thread count (static row chunks). */
static void test_threads_deterministic(void) {
    int64_t rows = 203, cols = 512, nb = 5;
    for (int ti = 0; ti < N_TYPES; ti++) {
        sw_ggml_type t = k_all[ti];
        void *W = make_weights(t, rows, cols, 0);
        float *X = malloc((size_t)(nb * cols) * sizeof *X);
        float *Y1 = malloc((size_t)(nb * rows) * sizeof *Y1), *Y3 = malloc((size_t)(nb * rows) * sizeof *Y3);
        fill_gauss(X, nb * cols, 1.0f);
        omp_set_num_threads(1);
        sw_matmul(W, t, rows, cols, X, nb, Y1);
        omp_set_num_threads(3);
        sw_matmul(W, t, rows, cols, X, nb, Y3);
        T_CHECK_MSG(memcmp(Y1, Y3, (size_t)(nb * rows) * sizeof *Y1) == 0, "%s differs by thread count",
                    sw_type_name(t));
        /* nb rows one at a time give the same rows as the tiled call */
        float *Yr = malloc((size_t)rows * sizeof *Yr);
        int same = 1;
        for (int64_t b = 0; b < nb; b++) {
            sw_matmul(W, t, rows, cols, X + b * cols, 1, Yr);
            for (int64_t r = 0; r < rows; r++) same &= fabsf(Yr[r] - Y1[b * rows + r]) <= 1e-5f * (1 + fabsf(Yr[r]));
        }
        T_CHECK_MSG(same, "%s: tiled rows differ from single rows", sw_type_name(t));
        free(W); free(X); free(Y1); free(Y3); free(Yr);
    }
    omp_set_num_threads(2);
}

/* sw_matmul called from several threads at once (each with its own scratch). */
static void test_concurrent_callers(void) {
    int64_t rows = 64, cols = 512, nb = 3;
    void *W = make_weights(SW_TYPE_Q4_K, rows, cols, 0);
    float *X = malloc((size_t)(nb * cols) * sizeof *X), *Yref = malloc((size_t)(nb * rows) * sizeof *Yref);
    fill_gauss(X, nb * cols, 1.0f);
    sw_matmul(W, SW_TYPE_Q4_K, rows, cols, X, nb, Yref);
    int bad = 0;
#pragma omp parallel num_threads(4) reduction(+ : bad)
    {
        float Y[3 * 64];
        for (int it = 0; it < 20; it++) {
            sw_matmul(W, SW_TYPE_Q4_K, rows, cols, X, nb, Y);
            bad += memcmp(Y, Yref, sizeof Y) != 0;
        }
    }
    T_CHECK_MSG(bad == 0, "%d concurrent results differ", bad);
    free(W); free(X); free(Yref);
}

/* sw_matmul_multi gives each job the bits sw_matmul gives it alone: jobs sharing an
 * activation form (Q8_0, Q5_0, Q4_0), forms that differ (Q4_K among them), a job with no
 * rows, prompts and single rows, 1 and 2 threads. */
static void test_matmul_multi(void) {
    const int64_t cols = 512, rows[3] = {37, 16, 5};
    const sw_ggml_type sets[3][3] = {{SW_TYPE_Q8_0, SW_TYPE_Q5_0, SW_TYPE_Q4_0},
                                     {SW_TYPE_Q8_0, SW_TYPE_Q4_K, SW_TYPE_F32},
                                     {SW_TYPE_F32, SW_TYPE_F32, SW_TYPE_F16}};
    const int64_t nbs[2] = {1, 19};
    float *X = malloc((size_t)(19 * cols) * sizeof *X);
    fill_gauss(X, 19 * cols, 1.0f);
    for (int si = 0; si < 3; si++)
        for (int ni = 0; ni < 2; ni++)
            for (int threads = 1; threads <= 2; threads++) {
                int64_t nb = nbs[ni];
                void *W[3];
                float *Ym[3], *Ys[3];
                sw_matmul_job jobs[4];
                for (int i = 0; i < 3; i++) {
                    W[i] = make_weights(sets[si][i], rows[i], cols, 1);
                    Ym[i] = calloc((size_t)(nb * rows[i]), sizeof(float));
                    Ys[i] = calloc((size_t)(nb * rows[i]), sizeof(float));
                    jobs[i] = (sw_matmul_job){W[i], sets[si][i], rows[i], Ym[i]};
                }
                jobs[3] = (sw_matmul_job){W[0], sets[si][0], 0, NULL}; /* nothing to do */
                omp_set_num_threads(threads);
                sw_matmul_multi(jobs, 4, cols, X, nb);
                int same = 1;
                for (int i = 0; i < 3; i++) {
                    sw_matmul(W[i], sets[si][i], rows[i], cols, X, nb, Ys[i]);
                    same &= memcmp(Ym[i], Ys[i], (size_t)(nb * rows[i]) * sizeof(float)) == 0;
                    free(W[i]); free(Ym[i]); free(Ys[i]);
                }
                T_CHECK_MSG(same, "set %d nb %lld threads %d: multi differs from single products", si,
                            (long long)nb, threads);
            }
    omp_set_num_threads(2);
    free(X);
}

/* SwiGLU's gate: every family against expf, over the range that matters and the edges
 * (exp overflowing, vanishing, zeros, NaN), on lengths with tails. */
static void test_swiglu(void) {
    enum { N = 4000 };
    static float g[N], u[N], want[N], got[N];
    for (int i = 0; i < N; i++) {
        g[i] = i < 3000 ? rndf() * 30.0f : rndf() * 200.0f;
        u[i] = rnd_gauss();
    }
    const float edge[] = {0.0f, -0.0f, 87.0f, -87.0f, 88.0f, -88.0f, 88.5f, -88.5f, 89.0f, -89.0f,
                          1e-30f, -1e-30f, 1e30f, -1e30f, 0.5f, -0.5f, 20.0f, -20.0f};
    for (int i = 0; i < (int)(sizeof edge / sizeof edge[0]); i++) g[3500 + i] = edge[i];
    g[3600] = NAN;
    for (int i = 0; i < N; i++) want[i] = (float)((double)g[i] / (1.0 + exp(-(double)g[i])) * u[i]);
    const char *fam[] = {"portable", "avx2", "avx512"};
    char was[32];
    snprintf(was, sizeof was, "%s", sw_kernels_name());
    for (int f = 0; f < 3; f++) {
        if (sw_kernels_select(fam[f]) != 0) continue;
        const int64_t lens[] = {N, 13, 7}; /* tails of the 8-wide loop */
        int bad = 0;
        for (int li = 0; li < 3; li++) {
            memcpy(got, g, sizeof g);
            sw_kernels()->swiglu(got, u, lens[li]);
            for (int64_t i = 0; i < lens[li]; i++) {
                if (isnan(want[i])) {
                    bad += !isnan(got[i]);
                    continue;
                }
                double tol = 1e-6 * fabs((double)want[i]) + 1e-30;
                if (!(fabs((double)got[i] - want[i]) <= tol) && bad++ < 3)
                    fprintf(stderr, "  %s swiglu(%g, %g) = %.9g, want %.9g\n", fam[f], g[i], u[i], got[i], want[i]);
            }
        }
        T_CHECK_MSG(bad == 0, "%s: %d SwiGLU values off", fam[f], bad);
    }
    sw_kernels_select(was);
}

/* The path taken when the scratch cannot grow gives the same sums. */
static void test_low_memory_path(void) {
    for (int ti = 0; ti < N_TYPES; ti++) {
        sw_ggml_type t = k_all[ti];
        int64_t rows = 9, cols = 4608, nb = 2; /* 4608 = 2048 * 2 + 512: three slices */
        void *W = make_weights(t, rows, cols, 1);
        float *X = malloc((size_t)(nb * cols) * sizeof *X);
        float *Y = malloc((size_t)(nb * rows) * sizeof *Y), *Yl = malloc((size_t)(nb * rows) * sizeof *Yl);
        fill_gauss(X, nb * cols, 1.0f);
        sw_matmul(W, t, rows, cols, X, nb, Y);
        sw_matmul_sliced(W, t, rows, cols, X, nb, Yl);
        int ok = 1;
        for (int64_t i = 0; i < nb * rows; i++) ok &= fabsf(Y[i] - Yl[i]) <= 1e-4f * (1 + fabsf(Y[i]));
        T_CHECK_MSG(ok, "%s: sliced path differs", sw_type_name(t));
        free(W); free(X); free(Y); free(Yl);
    }
}

/* ---- sw_get_row against an independent reference ---- */

/* GGML's block layouts, written out here from the format's definition (not from
 * src/engine/quant.c), so that sw_get_row is checked against a second reading of it. */
static float ref_f16(const uint8_t *p) { return sw_fp16_to_fp32((uint16_t)(p[0] | p[1] << 8)); }

/* Q4_K's 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes. */
static void ref_q4k_scale(int j, const uint8_t *q, int *sc, int *mn) {
    if (j < 4) {
        *sc = q[j] & 63;
        *mn = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
        *mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* Decodes one block of type t at b into y; returns the block's byte size. */
static size_t ref_block(sw_ggml_type t, const uint8_t *b, float *y) {
    switch (t) {
    case SW_TYPE_F32: memcpy(y, b, 4); return 4;
    case SW_TYPE_F16: y[0] = ref_f16(b); return 2;
    case SW_TYPE_BF16: y[0] = u2f((uint32_t)(b[0] | b[1] << 8) << 16); return 2;
    case SW_TYPE_Q8_0:
        for (int i = 0; i < 32; i++) y[i] = ref_f16(b) * (float)(int8_t)b[2 + i];
        return 34;
    case SW_TYPE_Q4_0:
        for (int i = 0; i < 16; i++) {
            y[i] = ref_f16(b) * (float)((b[2 + i] & 0x0f) - 8);
            y[i + 16] = ref_f16(b) * (float)((b[2 + i] >> 4) - 8);
        }
        return 18;
    case SW_TYPE_Q5_0: {
        uint32_t qh = (uint32_t)b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
        for (int i = 0; i < 16; i++) {
            int lo = (b[6 + i] & 0x0f) | (int)((qh >> i) & 1) << 4, hi = (b[6 + i] >> 4) | (int)((qh >> (i + 16)) & 1) << 4;
            y[i] = ref_f16(b) * (float)(lo - 16);
            y[i + 16] = ref_f16(b) * (float)(hi - 16);
        }
        return 22;
    }
    case SW_TYPE_Q4_K: /* d, dmin, scales[12], qs[128]: 4 pairs of 32-element sub-blocks */
        for (int g = 0; g < 4; g++) {
            int s0, m0, s1, m1;
            ref_q4k_scale(2 * g, b + 4, &s0, &m0);
            ref_q4k_scale(2 * g + 1, b + 4, &s1, &m1);
            for (int l = 0; l < 32; l++) {
                uint8_t q = b[16 + 32 * g + l];
                y[64 * g + l] = ref_f16(b) * (float)s0 * (float)(q & 0x0f) - ref_f16(b + 2) * (float)m0;
                y[64 * g + 32 + l] = ref_f16(b) * (float)s1 * (float)(q >> 4) - ref_f16(b + 2) * (float)m1;
            }
        }
        return 144;
    case SW_TYPE_Q6_K: /* ql[128], qh[64], int8 scales[16], d: two halves of 128 */
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
            const int8_t *sc = (const int8_t *)(b + 192 + 8 * h);
            for (int l = 0; l < 32; l++) {
                int q[4] = {(ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4, (ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4,
                            (ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4, (ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4};
                for (int k = 0; k < 4; k++)
                    y[128 * h + 32 * k + l] = ref_f16(b + 208) * (float)sc[l / 16 + 2 * k] * (float)(q[k] - 32);
            }
        }
        return 210;
    default: return 0;
    }
}

/* Every row of a matrix, quantised from data and of random bytes, decodes as the
 * reference reads the same bytes (to float rounding: the order of d * scale * q). */
static void test_get_row(void) {
    enum { ROWS = 5, COLS = 512 };
    for (int ti = 0; ti < N_TYPES; ti++) {
        sw_ggml_type t = k_all[ti];
        for (int raw = 0; raw < 2; raw++) {
            uint8_t *W = make_weights(t, ROWS, COLS, raw);
            const uint8_t *p = W;
            int bad = 0;
            for (int r = 0; r < ROWS; r++) {
                float got[COLS], want[COLS];
                for (int c = 0; c < COLS; c += (int)sw_type_block_elems(t)) p += ref_block(t, p, want + c);
                for (int c = 0; c < COLS; c++) got[c] = NAN;
                sw_get_row(W, t, COLS, r, got);
                for (int c = 0; c < COLS; c++)
                    if (!(fabsf(got[c] - want[c]) <= 1e-6f * fabsf(want[c]) + 1e-12f) && bad++ < 3)
                        fprintf(stderr, "  %s raw %d row %d col %d: %.9g, want %.9g\n", sw_type_name(t), raw, r, c,
                                got[c], want[c]);
            }
            T_CHECK_MSG(bad == 0, "%s raw %d: %d values differ from the reference", sw_type_name(t), raw, bad);
            free(W);
        }
    }
}

int main(void) {
    omp_set_num_threads(2);
    T_RUN(test_type_table);
    T_RUN(test_fp16_cases);
    T_RUN(test_bf16);
    T_RUN(test_fp16_roundtrip_all);
    T_RUN(test_fp16_vs_hardware);
    T_RUN(test_quant_error_bounds);
    T_RUN(test_quant_known_blocks);
    T_RUN(test_get_row);
    T_RUN(test_matmul_default);
    T_RUN(test_matmul_portable);
    T_RUN(test_avx2_vs_portable);
    T_RUN(test_avx512_vs_portable);
    T_RUN(test_tiles);
    T_RUN(test_activation_quantisers_agree);
    T_RUN(test_threads_deterministic);
    T_RUN(test_concurrent_callers);
    T_RUN(test_matmul_multi);
    T_RUN(test_swiglu);
    T_RUN(test_low_memory_path);
    return t_done();
}
