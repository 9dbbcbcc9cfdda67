/* bench_matmul.c - sw_matmul speed for SmolLM2-135M's matrix shapes, per element type,
 * for generation (nb = 1) and prompt processing (nb = 64), on 1 and 2 threads.
 *
 * Baseline, measured in the same run: a plain streaming read of a 256 MB buffer with the
 * same thread count. Generation is memory-bound, so the figure that matters is weight
 * bytes read / time as a fraction of that bandwidth. Weights are cycled through enough
 * copies (>= 256 MB, as the baseline) that each call reads them from memory, not from cache, as a forward
 * pass over a whole model does.
 *
 *   STEWARD_BENCH_QUICK=1   fewer repetitions (a smoke run)
 *   STEWARD_KERNELS=portable  measure the portable kernels instead of AVX2 */
#include "steward/core.h"
#include "steward/quant.h"

#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double now_s(void) { return (double)sw_now_ns() * 1e-9; }

/* Sum of n bytes (multiple of 128) read with 32-byte loads into four independent sums,
 * so that the loop is bound by memory, not by the adds. */
__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t *b, size_t n) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < n; i += 128) {
        const __m256i *q = (const __m256i *)(b + i);
        s0 = _mm256_add_epi64(s0, _mm256_load_si256(q));
        s1 = _mm256_add_epi64(s1, _mm256_load_si256(q + 1));
        s2 = _mm256_add_epi64(s2, _mm256_load_si256(q + 2));
        s3 = _mm256_add_epi64(s3, _mm256_load_si256(q + 3));
    }
    s0 = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
    return (uint64_t)_mm256_extract_epi64(s0, 0) ^ (uint64_t)_mm256_extract_epi64(s0, 3);
}

static uint64_t read_sse2(const uint8_t *b, size_t n) {
    __m128i s0 = _mm_setzero_si128(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < n; i += 64) {
        const __m128i *q = (const __m128i *)(b + i);
        s0 = _mm_add_epi64(s0, _mm_load_si128(q));
        s1 = _mm_add_epi64(s1, _mm_load_si128(q + 1));
        s2 = _mm_add_epi64(s2, _mm_load_si128(q + 2));
        s3 = _mm_add_epi64(s3, _mm_load_si128(q + 3));
    }
    s0 = _mm_add_epi64(_mm_add_epi64(s0, s1), _mm_add_epi64(s2, s3));
    return (uint64_t)_mm_cvtsi128_si64(s0);
}

/* GB/s of a streaming read of n bytes split over t threads: bytes / mean time of passes. */
static double measure_bandwidth(const uint8_t *buf, size_t n, int t, int passes) {
    int avx2 = __builtin_cpu_supports("avx2");
    volatile uint64_t sink = 0;
    double total = 0;
    for (int p = 0; p <= passes; p++) { /* pass 0 warms up */
        double t0 = now_s();
#pragma omp parallel num_threads(t)
        {
            int k = omp_get_thread_num(), nt = omp_get_num_threads();
            size_t per = n / (size_t)nt / 128 * 128, off = per * (size_t)k;
            if (k == nt - 1) per = n - off;
            sink ^= avx2 ? read_avx2(buf + off, per) : read_sse2(buf + off, per);
        }
        if (p) total += now_s() - t0;
    }
    return (double)n * passes / total * 1e-9;
}

typedef struct { int64_t rows, cols; const char *what; } shape;

int main(void) {
    int quick = getenv("STEWARD_BENCH_QUICK") != NULL;
    const size_t bw_bytes = (size_t)256 << 20;
    uint8_t *bw_buf = aligned_alloc(64, bw_bytes);
    if (!bw_buf) { fprintf(stderr, "bench_matmul: out of memory\n"); return 1; }
    for (size_t i = 0; i < bw_bytes; i++) bw_buf[i] = (uint8_t)(i * 131);

    const int threads[] = {1, 2};
    double bw[3] = {0};
    for (int ti = 0; ti < 2; ti++) {
        bw[threads[ti]] = measure_bandwidth(bw_buf, bw_bytes, threads[ti], quick ? 2 : 5);
        printf("baseline: streaming read of 256 MB, %d thread%s: %.2f GB/s\n", threads[ti],
               threads[ti] > 1 ? "s" : "", bw[threads[ti]]);
    }
    free(bw_buf);
    printf("kernels: %s\n", sw_kernels_name());
    printf("(ms/call, GB/s = weight bytes / mean time; of bw = GB/s / baseline; fastest = GB/s of\n"
           " the fastest call, less disturbed by other load but flattered by lucky caching)\n");
    printf("%-5s %-11s %-10s %3s %2s %10s %9s %7s %9s %9s\n", "type", "shape", "tensor", "nb", "t",
           "ms/call", "GB/s", "of bw", "GFLOP/s", "fastest");

    const shape shapes[] = {{576, 576, "attn_q/o"}, {1536, 576, "ffn_up"},
                            {576, 1536, "ffn_down"}, {49152, 576, "output"}};
    const sw_ggml_type types[] = {SW_TYPE_F32, SW_TYPE_F16, SW_TYPE_Q8_0, SW_TYPE_Q4_0,
                                  SW_TYPE_Q4_K, SW_TYPE_Q6_K};
    const int64_t nbs[] = {1, 64};
    for (size_t ty = 0; ty < sizeof types / sizeof types[0]; ty++) {
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            shape s = shapes[si];
            size_t rb = sw_type_row_bytes(types[ty], (uint64_t)s.cols);
            if (!rb) { /* K-quants need columns in multiples of 256 (576 is not) */
                printf("%-5s %5lldx%-5lld %-10s  -- not representable (cols %% %zu != 0)\n",
                       sw_type_name(types[ty]), (long long)s.rows, (long long)s.cols, s.what,
                       sw_type_block_elems(types[ty]));
                continue;
            }
            size_t wbytes = rb * (size_t)s.rows;
            int copies = (int)((((size_t)256 << 20) + wbytes - 1) / wbytes);
            if (copies < 1) copies = 1;
            uint8_t *W = malloc(wbytes * (size_t)copies);
            float *X = malloc((size_t)(64 * s.cols) * sizeof *X), *Y = malloc((size_t)(64 * s.rows) * sizeof *Y);
            float *tmp = malloc((size_t)s.cols * sizeof *tmp);
            if (!W || !X || !Y || !tmp) { fprintf(stderr, "bench_matmul: out of memory\n"); return 1; }
            uint64_t st = 12345;
            for (int64_t r = 0; r < s.rows; r++) {
                for (int64_t c = 0; c < s.cols; c++) {
                    st = st * 6364136223846793005ull + 1442695040888963407ull;
                    tmp[c] = (float)((int64_t)(st >> 33) % 2001 - 1000) * 1e-4f;
                }
                sw_quantize_row(types[ty], tmp, W + (size_t)r * rb, s.cols);
            }
            for (int k = 1; k < copies; k++) memcpy(W + (size_t)k * wbytes, W, wbytes);
            for (int64_t i = 0; i < 64 * s.cols; i++) X[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
            for (size_t ni = 0; ni < 2; ni++) {
                for (int ti = 0; ti < 2; ti++) {
                    int t = threads[ti];
                    int64_t nb = nbs[ni];
                    omp_set_num_threads(t);
                    /* one warm-up call, then calls cycling through the copies for the
                     * time budget: throughput = bytes / total time (a mean, not a best) */
                    sw_matmul(W, types[ty], s.rows, s.cols, X, nb, Y);
                    double budget = quick ? 0.03 : 0.25, spent = 0, fastest = 1e30;
                    int calls = 0;
                    while ((spent < budget && calls < 4000) || calls < 3) {
                        double t0 = now_s();
                        sw_matmul(W + (size_t)((calls + 1) % copies) * wbytes, types[ty], s.rows, s.cols, X, nb, Y);
                        double dt = now_s() - t0;
                        spent += dt;
                        if (dt < fastest) fastest = dt;
                        calls++;
                    }
                    double best = spent / calls;
                    double gbs = (double)wbytes / best * 1e-9;
                    double gflops = 2.0 * (double)s.rows * (double)s.cols * (double)nb / best * 1e-9;
                    printf("%-5s %5lldx%-5lld %-10s %3lld %2d %10.3f %9.2f %7.2f %9.2f %9.2f\n",
                           sw_type_name(types[ty]), (long long)s.rows, (long long)s.cols, s.what,
                           (long long)nb, t, best * 1e3, gbs, gbs / bw[t], gflops,
                           (double)wbytes / fastest * 1e-9);
                    fflush(stdout);
                }
            }
            free(W); free(X); free(Y); free(tmp);
        }
    }
    return 0;
}
