/* sha256_ni.c - SHA-256 with the x86 SHA extensions, for the Merkle tree's hot path (leaf and
 * node hashes: verification hashes every record, proofs hash up to 2 log n nodes). Chosen at
 * run time; other CPUs use libsodium. Checked against libsodium by the unit tests. */
#include "audit_int.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#include <stdlib.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define NI __attribute__((target("sha,sse4.1,ssse3")))

/* State as the instructions want it: abef = {A,B,E,F}, cdgh = {C,D,G,H} (high to low). */
NI static void blocks(__m128i *abef, __m128i *cdgh, const uint8_t *p, size_t nblocks) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    __m128i s0 = *abef, s1 = *cdgh;
    for (size_t b = 0; b < nblocks; b++, p += 64) {
        __m128i save0 = s0, save1 = s1, w[4];
        for (int g = 0; g < 16; g++) { /* four rounds per group */
            __m128i *m = &w[g & 3];
            if (g < 4) {
                *m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
            } else { /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
                __m128i t = _mm_sha256msg1_epu32(*m, w[(g + 1) & 3]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
                *m = _mm_sha256msg2_epu32(t, w[(g + 3) & 3]);
            }
            __m128i wk = _mm_add_epi32(*m, _mm_loadu_si128((const __m128i *)(K + 4 * g)));
            s1 = _mm_sha256rnds2_epu32(s1, s0, wk);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk, 0x0E));
        }
        s0 = _mm_add_epi32(s0, save0);
        s1 = _mm_add_epi32(s1, save1);
    }
    *abef = s0;
    *cdgh = s1;
}

NI static void sha256_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                          uint8_t out[32]) {
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    /* {D,C,B,A} and {H,G,F,E} in memory order -> {A,B,E,F} and {C,D,G,H} */
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)H0), 0xB1);     /* C D A B */
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(H0 + 4)), 0x1B); /* E F G H */
    __m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);
    __m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);
    uint64_t total = (uint64_t)alen + blen;
    uint8_t buf[128];
    size_t have = 0; /* bytes in buf */
    /* feed a then b through buf only where a block straddles or is partial */
    const uint8_t *segs[2] = {a, b};
    size_t lens[2] = {alen, blen};
    for (int s = 0; s < 2; s++) {
        const uint8_t *p = segs[s];
        size_t n = lens[s];
        if (n == 0) continue;
        if (have) {
            size_t take = 64 - have < n ? 64 - have : n;
            memcpy(buf + have, p, take);
            have += take;
            p += take;
            n -= take;
            if (have == 64) {
                blocks(&abef, &cdgh, buf, 1);
                have = 0;
            }
        }
        if (n >= 64) {
            blocks(&abef, &cdgh, p, n / 64);
            p += n / 64 * 64;
            n %= 64;
        }
        if (n) {
            memcpy(buf + have, p, n);
            have += n;
        }
    }
    buf[have++] = 0x80;
    size_t padded = have <= 56 ? 64 : 128;
    memset(buf + have, 0, padded - have);
    uint64_t bits = total * 8;
    for (int i = 0; i < 8; i++) buf[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks(&abef, &cdgh, buf, padded / 64);
    /* back to {A..H}, big-endian words */
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    __m128i lo = _mm_blend_epi16(feba, dchg, 0xF0); /* D C B A */
    __m128i hi = _mm_alignr_epi8(dchg, feba, 8);    /* H G F E */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(lo, bswap));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(hi, bswap));
}

int audit_sha256_ni_available(void) {
    static int cached = -1;
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        unsigned a = 0, b = 0, c = 0, d = 0;
        /* CPUID leaf 7, EBX bit 29: SHA extensions (not all compilers know "sha" here) */
        int sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1);
        v = sha && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
        const char *off = getenv("STEWARD_NO_SHA_NI"); /* to test the portable path */
        if (off && *off && *off != '0') v = 0;
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

void audit_sha256_ni(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32]) {
    sha256_two(a, alen, b, blen, out);
}
#else
int audit_sha256_ni_available(void) { return 0; }
void audit_sha256_ni(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32]) {
    (void)a, (void)alen, (void)b, (void)blen, (void)out;
}
#endif
