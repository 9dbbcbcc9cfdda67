/* minhash_avx2.c - the MinHash update with AVX2: eight hash functions per instruction. */
#include "data_int.h"

#include <immintrin.h>

void sw_minhash_update_avx2(uint32_t *sig, const uint32_t *a, const uint32_t *b, const uint32_t *xs, size_t n) {
    for (int j = 0; j < SW_MINHASH_K; j += 8) {
        __m256i va = _mm256_loadu_si256((const __m256i *)(a + j));
        __m256i vb = _mm256_loadu_si256((const __m256i *)(b + j));
        __m256i acc = _mm256_loadu_si256((const __m256i *)(sig + j));
        for (size_t i = 0; i < n; i++) {
            __m256i x = _mm256_set1_epi32((int)xs[i]);
            __m256i v = _mm256_add_epi32(_mm256_mullo_epi32(va, x), vb);
            acc = _mm256_min_epu32(acc, v);
        }
        _mm256_storeu_si256((__m256i *)(sig + j), acc);
    }
}
