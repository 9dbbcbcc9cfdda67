/* classifier_avx2.c - the classifier's character n-gram sums with AVX2 (compiled with
 * -mavx2; only called when the CPU has it, see window_sums in classifier.c): the FNV-1a
 * hashes of eight positions at once, and one gather of their packed weights per order. */
#include "guard_int.h"

#include <immintrin.h>

/* Adds the lanes of acc (each two 16-bit sums) into sum[a] (low halves) and sum[b]. */
static void drain(__m256i acc, int64_t *sum, int a, int b) {
    uint32_t l[8];
    _mm256_storeu_si256((__m256i *)l, acc);
    for (int k = 0; k < 8; k++) {
        sum[a] += l[k] & 0xFFFF;
        sum[b] += l[k] >> 16;
    }
}

size_t gclf_chars_avx2(const uint32_t *wb, uint32_t mask, const unsigned char *s, size_t npos, int64_t *sum) {
    const __m256i prime = _mm256_set1_epi32(16777619), basis = _mm256_set1_epi32((int)2166136261u);
    const __m256i k2 = _mm256_set1_epi32((int)(2u * 0x9E3779B9u)), k3 = _mm256_set1_epi32((int)(3u * 0x9E3779B9u)),
                  k4 = _mm256_set1_epi32((int)(4u * 0x9E3779B9u));
    const __m256i m = _mm256_set1_epi32((int)mask), bytes = _mm256_set1_epi32(0x00FF00FF);
    size_t i = 0;
    while (i + 8 <= npos) {
        /* lanes hold 16-bit sums of biased bytes (<= 255 each): 80 steps of 3 adds stay below 2^16 */
        __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
        for (int step = 0; step < 80 && i + 8 <= npos; step++, i += 8) {
            __m256i h = basis;
            h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(s + i)))), prime);
            h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(s + i + 1)))), prime);
            h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(s + i + 2)))), prime);
            __m256i g3 = _mm256_i32gather_epi32((const int *)wb, _mm256_and_si256(_mm256_xor_si256(h, k2), m), 4);
            h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(s + i + 3)))), prime);
            __m256i g4 = _mm256_i32gather_epi32((const int *)wb, _mm256_and_si256(_mm256_xor_si256(h, k3), m), 4);
            h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(s + i + 4)))), prime);
            __m256i g5 = _mm256_i32gather_epi32((const int *)wb, _mm256_and_si256(_mm256_xor_si256(h, k4), m), 4);
            lo = _mm256_add_epi32(lo, _mm256_and_si256(g3, bytes));
            hi = _mm256_add_epi32(hi, _mm256_and_si256(_mm256_srli_epi32(g3, 8), bytes));
            lo = _mm256_add_epi32(lo, _mm256_and_si256(g4, bytes));
            hi = _mm256_add_epi32(hi, _mm256_and_si256(_mm256_srli_epi32(g4, 8), bytes));
            lo = _mm256_add_epi32(lo, _mm256_and_si256(g5, bytes));
            hi = _mm256_add_epi32(hi, _mm256_and_si256(_mm256_srli_epi32(g5, 8), bytes));
        }
        drain(lo, sum, 0, 2); /* bytes 0 and 2 of each weight word */
        drain(hi, sum, 1, 3);
    }
    return i;
}
