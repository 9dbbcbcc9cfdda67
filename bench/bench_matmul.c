/* bench_matmul.c - sw_matmul speed for SmolLM2-135M's matrix shapes, per element type,
 * for generation (nb = 1) and prompt processing (nb = 64), on 1 and 2 threads.
 *
 * Baseline, measured in the same run: a plain streaming read of a 256 MB buffer with the
 * same thread count, in 1 MiB pieces whose median time is the figure, as the median call
 * is for sw_matmul (both robust to the disturbances of a shared machine). Generation is memory-bound, so the figure that matters is weight
 * bytes read / time as a fraction of that bandwidth. Weights are cycled through enough
 * copies (as large as the baseline buffer) that each call reads them from memory, not from cache, as a forward
 * pass over a whole model does.
 *
 *   STEWARD_BENCH_QUICK=1   fewer repetitions (a smoke run)
 *   STEWARD_BENCH_MB=N      size of the baseline buffer and of the cycled weight copies
 *                           (default 256; make it exceed the last-level cache)
 *   STEWARD_KERNELS=portable|avx2  measure that family instead of the best one the CPU has
 *                           (avx512: AVX-512 VNNI tiles for nb 64, the AVX2 kernels for nb 1) */
#include "steward/core.h"
#include "steward/quant.h"
#include "engine/kernels.h" /* sw_kernels_select, to compare the kernel families */

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

#define MAX_CALLS 4000
static double times[MAX_CALLS];

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(int n) {
    qsort(times, (size_t)n, sizeof *times, cmp_double);
    return times[n / 2];
}

/* GB/s of a streaming read with t threads, measured the way sw_matmul is: the buffer is
 * read in 1 MiB pieces (each split over the threads, as a matmul call splits its rows),
 * every piece timed, and the median piece is the figure. */
static double measure_bandwidth(const uint8_t *buf, size_t n, int t, int passes) {
    int avx2 = __builtin_cpu_supports("avx2");
    const size_t piece = (size_t)1 << 20;
    volatile uint64_t sink = 0;
    int count = 0;
    for (int p = 0; p <= passes; p++) { /* pass 0 warms up */
        for (size_t off = 0; off + piece <= n && count < MAX_CALLS; off += piece) {
            double t0 = now_s();
#pragma omp parallel num_threads(t)
            {
                int k = omp_get_thread_num(), nt = omp_get_num_threads();
                size_t per = piece / (size_t)nt / 128 * 128, o = off + per * (size_t)k;
                if (k == nt - 1) per = off + piece - o;
                sink ^= avx2 ? read_avx2(buf + o, per) : read_sse2(buf + o, per);
            }
            if (p) times[count++] = now_s() - t0;
        }
    }
    return (double)piece / median(count) * 1e-9;
}

typedef struct { int64_t rows, cols; const char *what; } shape;

/* GB/s of one thread on a weight matrix that stays in L2 (256 rows, repeated calls):
 * the kernel's own ceiling, to compare with the memory bandwidth it must keep up with. */
static double hot_gbs(sw_ggml_type t, int64_t cols, double budget) {
    int64_t rows = 256;
    size_t rb = sw_type_row_bytes(t, (uint64_t)cols);
    uint8_t *W = malloc(rb * (size_t)rows);
    float *x = malloc((size_t)cols * sizeof *x), *y = malloc((size_t)rows * sizeof *y);
    if (!W || !x || !y) return 0;
    for (int64_t c = 0; c < cols; c++) x[c] = (float)((c * 37) % 100) * 0.01f - 0.5f;
    for (int64_t r = 0; r < rows; r++) sw_quantize_row(t, x, W + (size_t)r * rb, cols);
    omp_set_num_threads(1);
    double spent = 0;
    int calls = 0;
    while (spent < budget && calls < MAX_CALLS) {
        double t0 = now_s();
        sw_matmul(W, t, rows, cols, x, 1, y);
        times[calls] = now_s() - t0;
        spent += times[calls++];
    }
    double med = median(calls);
    free(W); free(x); free(y);
    return (double)rb * (double)rows / med * 1e-9;
}

int main(void) {
    int quick = getenv("STEWARD_BENCH_QUICK") != NULL;
    const char *mb_env = getenv("STEWARD_BENCH_MB");
    size_t mb = mb_env && atoi(mb_env) >= 16 ? (size_t)atoi(mb_env) : 256;
    const size_t bw_bytes = mb << 20;
    uint8_t *bw_buf = aligned_alloc(64, bw_bytes);
    if (!bw_buf) { fprintf(stderr, "bench_matmul: out of memory\n"); return 1; }
    for (size_t i = 0; i < bw_bytes; i++) bw_buf[i] = (uint8_t)(i * 131);

    const int threads[] = {1, 2};
    double bw[3] = {0};
    for (int ti = 0; ti < 2; ti++) {
        bw[threads[ti]] = measure_bandwidth(bw_buf, bw_bytes, threads[ti], quick ? 2 : 5);
        printf("baseline: streaming read of %zu MB in 1 MiB pieces (median), %d thread%s: %.2f GB/s\n", mb, threads[ti],
               threads[ti] > 1 ? "s" : "", bw[threads[ti]]);
    }
    free(bw_buf);
    char family[32]; /* the family in use (the best the CPU has, or STEWARD_KERNELS's) */
    snprintf(family, sizeof family, "%s", sw_kernels_name());
    printf("kernels: %s\n", family);
    if (sw_kernels_select("avx2") == 0) {
        const sw_ggml_type ht[] = {SW_TYPE_F32, SW_TYPE_F16, SW_TYPE_Q8_0, SW_TYPE_Q4_0, SW_TYPE_Q5_0,
                                   SW_TYPE_Q4_K, SW_TYPE_Q6_K, SW_TYPE_BF16};
        printf("kernel ceiling, weights hot in L2 (256 rows, nb 1, 1 thread), GB/s of weights:\n");
        for (int i = 0; i < (int)(sizeof ht / sizeof ht[0]); i++) {
            int64_t cols = sw_type_block_elems(ht[i]) == 256 ? 512 : 576;
            sw_kernels_select("avx2");
            double a = hot_gbs(ht[i], cols, quick ? 0.02 : 0.1);
            sw_kernels_select("portable");
            double p = hot_gbs(ht[i], cols, quick ? 0.02 : 0.1);
            printf("  %-5s avx2 %6.2f  portable %6.2f  (x%.1f)\n", sw_type_name(ht[i]), a, p, a / p);
        }
        sw_kernels_select(family);
    }
    printf("(ms/call: median call; GB/s = weight bytes / that time; of bw = GB/s / baseline;\n"
           " fastest = GB/s of the fastest call, flattered by lucky caching)\n");
    printf("%-5s %-11s %-10s %3s %2s %10s %9s %7s %9s %9s\n", "type", "shape", "tensor", "nb", "t",
           "ms/call", "GB/s", "of bw", "GFLOP/s", "fastest");

    const shape shapes[] = {{576, 576, "attn_q/o"}, {1536, 576, "ffn_up"},
                            {576, 1536, "ffn_down"}, {49152, 576, "output"}};
    const sw_ggml_type types[] = {SW_TYPE_F32, SW_TYPE_F16, SW_TYPE_Q8_0, SW_TYPE_Q4_0,
                                  SW_TYPE_Q5_0, SW_TYPE_Q4_K, SW_TYPE_Q6_K};
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
            int copies = (int)((bw_bytes + wbytes - 1) / wbytes);
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
                     * time budget; the median call is the figure (robust to the calls that
                     * other processes on a shared machine disturb), the fastest beside it */
                    sw_matmul(W, types[ty], s.rows, s.cols, X, nb, Y);
                    double budget = quick ? 0.03 : 0.25, spent = 0;
                    int calls = 0;
                    while ((spent < budget && calls < MAX_CALLS) || calls < 3) {
                        double t0 = now_s();
                        sw_matmul(W + (size_t)((calls + 1) % copies) * wbytes, types[ty], s.rows, s.cols, X, nb, Y);
                        times[calls] = now_s() - t0;
                        spent += times[calls++];
                    }
                    double best = median(calls), fastest = times[0];
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
