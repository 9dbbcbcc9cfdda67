/* consistency.c - agreement between sampled answers: Dice coefficients of word and
 * word-bigram multisets, computed on sorted 64-bit hashes. */
#include "consistency.h"
#include "steward/core.h"

#include <stdint.h>
#include <stdlib.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* Han, kana, hangul: a word per character. */
static int ideographic(uint32_t cp) {
    return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7af) ||
           (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x2fa1f);
}

static int word_char(uint32_t cp) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0x80 && !ideographic(cp));
}

static uint32_t fold(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp; }

/* Hashes of the words of text, in order; *n receives the count. NULL when out of memory
 * (or, with *n = 0, for a text without words). */
static uint64_t *word_hashes(const char *text, size_t len, size_t *n) {
    uint64_t *w = malloc((len + 1) * sizeof *w); /* never more words than bytes */
    *n = 0;
    if (!w) return NULL;
    uint64_t h = FNV_OFFSET;
    int in_word = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int k = sw_utf8_decode((const unsigned char *)text + i, len - i, &cp);
        if (k <= 0) k = 1, cp = 0xfffd;
        i += (size_t)k;
        if (word_char(cp)) {
            h = (h ^ fold(cp)) * FNV_PRIME;
            in_word = 1;
            continue;
        }
        if (in_word) w[(*n)++] = h;
        h = FNV_OFFSET;
        in_word = 0;
        if (ideographic(cp)) w[(*n)++] = (FNV_OFFSET ^ cp) * FNV_PRIME;
    }
    if (in_word) w[(*n)++] = h;
    return w;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Dice coefficient of two multisets given as arrays (sorted here). */
static double dice(uint64_t *a, size_t na, uint64_t *b, size_t nb) {
    if (na + nb == 0) return 1;
    qsort(a, na, sizeof *a, cmp_u64);
    qsort(b, nb, sizeof *b, cmp_u64);
    size_t i = 0, j = 0, common = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) common++, i++, j++;
        else if (a[i] < b[j]) i++;
        else j++;
    }
    return 2.0 * (double)common / (double)(na + nb);
}

/* Replaces the words by their bigrams (n - 1 of them) in place. */
static size_t to_bigrams(uint64_t *w, size_t n) {
    if (n < 2) return 0;
    for (size_t i = 0; i + 1 < n; i++) w[i] = (w[i] * FNV_PRIME) ^ (w[i + 1] + 0x9e3779b97f4a7c15ull);
    return n - 1;
}

double sw_text_agreement(const char *a, size_t na, const char *b, size_t nb, double *unigram, double *bigram) {
    size_t wa, wb;
    uint64_t *ha = word_hashes(a, na, &wa), *hb = word_hashes(b, nb, &wb);
    uint64_t *ca = ha ? malloc((wa + 1) * sizeof *ca) : NULL, *cb = hb ? malloc((wb + 1) * sizeof *cb) : NULL;
    if (!ha || !hb || !ca || !cb) {
        free(ha), free(hb), free(ca), free(cb);
        return -1;
    }
    for (size_t i = 0; i < wa; i++) ca[i] = ha[i]; /* order kept for the bigrams */
    for (size_t i = 0; i < wb; i++) cb[i] = hb[i];
    *unigram = dice(ca, wa, cb, wb);
    size_t ba = to_bigrams(ha, wa), bb = to_bigrams(hb, wb);
    /* one word each: the bigram view has nothing to add, so it follows the words */
    *bigram = ba + bb == 0 ? *unigram : dice(ha, ba, hb, bb);
    free(ha), free(hb), free(ca), free(cb);
    return (*unigram + *bigram) / 2;
}
