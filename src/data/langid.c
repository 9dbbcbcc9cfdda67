/* langid.c - language identification: an interpolated code-point 1-3-gram model per
 * language (hashed buckets) built from shipped text; "other" when no profile explains a
 * text much better than chance. */
#include "steward/data.h"
#include "steward/guard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANGID_BITS 18
#define LANGID_BUCKETS (1u << LANGID_BITS)
#define LANGID_MAX_ORDER 3
#define LANGID_ALPHA 0.01 /* add-alpha smoothing of the bucket counts */
#define LANGID_SAMPLE_BYTES 1024 /* a document is identified by its first 1 KB */
#define LANGID_LOG_EVERY 16      /* probabilities multiplied this many at a time before a log */
/* Mean log-likelihood gain per character over the uniform model below which a text is
 * "other": English and Chinese text score 5 or more under their profiles, scripts that no
 * profile has seen about 0 (tests/unit/test_data.c). */
#define LANGID_OTHER_MARGIN 3.0
/* Weights of the unigram, bigram and trigram estimates in a character's probability:
 * higher orders separate languages, the unigram keeps a small profile (Chinese) from
 * scoring its unseen pairs as if they were foreign. */
static const double langid_lambda[LANGID_MAX_ORDER] = {0.1, 0.3, 0.6};
#define LANGID_NAME_MAX 8

struct sw_langid {
    int n;
    char names[SW_LANGID_MAX][LANGID_NAME_MAX];
    /* smoothed probability of a bucket, the languages of a bucket side by side
     * (prob[bucket * n + language]) so that scoring reads one cache line per bucket */
    float *prob;
};

/* Calls fn(buckets, ud) at every code point of text (ASCII lower-cased, runs of white
 * space and ASCII punctuation as one space) with the buckets of the 1-, 2- and 3-gram
 * ending there. */
static void for_each_gram(const char *text, size_t len, void (*fn)(const uint32_t *, void *), void *ud) {
    uint32_t hist[LANGID_MAX_ORDER] = {' ', ' ', ' '};
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    int prev_space = 1;
    while (i < len) {
        uint32_t cp = s[i];
        int k = cp < 0x80 ? 1 : sw_utf8_decode(s + i, len - i, &cp); /* ASCII without the decoder */
        if (k == 0) {
            cp = 0xFFFD;
            k = 1;
        }
        i += (size_t)k;
        if (cp < 0x80) {
            if (cp >= 'A' && cp <= 'Z') cp += 32;
            else if (!((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))) cp = ' ';
        }
        if (cp == ' ' && prev_space) continue;
        prev_space = cp == ' ';
        hist[0] = hist[1];
        hist[1] = hist[2];
        hist[2] = cp;
        uint64_t h = 0xcbf29ce484222325ull;
        uint32_t b[LANGID_MAX_ORDER];
        for (int o = 0; o < LANGID_MAX_ORDER; o++) {
            h = (h ^ hist[2 - o]) * 0x100000001b3ull;
            uint64_t m = (h ^ (uint64_t)(o + 1)) * 0x9E3779B97F4A7C15ull;
            b[o] = (uint32_t)(m >> (64 - LANGID_BITS));
        }
        fn(b, ud);
    }
}

static void count_gram(const uint32_t *b, void *ud) {
    for (int o = 0; o < LANGID_MAX_ORDER; o++) ((double *)ud)[b[o]] += 1;
}

/* Sets language i's probabilities in p (stride n) from counts (each order's n-grams sum
 * to one, up to the smoothing). */
static void profile_from_counts(const double *counts, float *p, int i, int n) {
    double total = 0;
    for (uint32_t b = 0; b < LANGID_BUCKETS; b++) total += counts[b];
    double denom = total / LANGID_MAX_ORDER + LANGID_ALPHA * LANGID_BUCKETS;
    for (uint32_t b = 0; b < LANGID_BUCKETS; b++) p[(size_t)b * (size_t)n + (size_t)i] = (float)((counts[b] + LANGID_ALPHA) / denom);
}

sw_langid *sw_langid_build(const char *const *names, const char *const *paths, int n, sw_err *err) {
    if (n <= 0 || n > SW_LANGID_MAX) return sw_err_set(err, "langid: %d profiles (1..%d)", n, SW_LANGID_MAX), NULL;
    sw_langid *l = calloc(1, sizeof *l);
    double *counts = malloc(sizeof(double) * LANGID_BUCKETS);
    if (l) l->prob = malloc(sizeof(float) * LANGID_BUCKETS * (size_t)n);
    if (!l || !counts || !l->prob) {
        if (l) free(l->prob);
        free(l);
        free(counts);
        return sw_err_set(err, "langid: out of memory"), NULL;
    }
    for (int i = 0; i < n; i++) {
        sw_buf text = {0};
        if (strlen(names[i]) >= LANGID_NAME_MAX) {
            sw_err_set(err, "langid: language name '%s' too long", names[i]);
            goto fail;
        }
        if (sw_read_file(paths[i], &text, err)) {
            sw_err_prefix(err, "langid profile %s", names[i]);
            goto fail;
        }
        memset(counts, 0, sizeof(double) * LANGID_BUCKETS);
        for_each_gram(text.data ? text.data : "", text.len, count_gram, counts);
        sw_buf_free(&text);
        strcpy(l->names[i], names[i]);
        profile_from_counts(counts, l->prob, i, n);
        l->n = i + 1;
    }
    free(counts);
    return l;
fail:
    free(counts);
    sw_langid_free(l);
    return NULL;
}

sw_langid *sw_langid_open_default(const char *data_dir, sw_err *err) {
    char dir[4096], en[4200], zh[4200];
    if (!data_dir) {
        if (sw_guard_data_dir(dir, sizeof dir, err)) return NULL;
        data_dir = dir;
    }
    snprintf(en, sizeof en, "%s/corpus/tinyshakespeare/train.txt", data_dir);
    snprintf(zh, sizeof zh, "%s/dataset/langid-zh.txt", data_dir);
    const char *names[] = {"en", "zh"};
    const char *paths[] = {en, zh};
    return sw_langid_build(names, paths, 2, err);
}

void sw_langid_free(sw_langid *l) {
    if (!l) return;
    free(l->prob);
    free(l);
}

typedef struct {
    uint32_t (*b)[LANGID_MAX_ORDER]; /* the buckets of each character of the sample */
    size_t n;
} gram_list;

static void collect_gram(const uint32_t *b, void *ud) {
    gram_list *g = ud;
    memcpy(g->b[g->n++], b, sizeof g->b[0]);
}

#define LANGID_PREFETCH 8 /* characters ahead: the profile is MBs, each bucket a cache miss */

/* Adds each language's log-likelihood of the grams to sum[] (probabilities multiplied
 * LANGID_LOG_EVERY at a time before a log; each >= 1e-10, so the products stay far
 * above DBL_MIN). */
static void score_grams(const sw_langid *l, const gram_list *g, double *sum) {
    const int n = l->n;
    double prod[SW_LANGID_MAX];
    for (int i = 0; i < n; i++) prod[i] = 1;
    for (size_t k = 0; k < g->n; k++) {
        if (k + LANGID_PREFETCH < g->n)
            for (int o = 0; o < LANGID_MAX_ORDER; o++)
                __builtin_prefetch(l->prob + (size_t)g->b[k + LANGID_PREFETCH][o] * (size_t)n);
        const float *p[LANGID_MAX_ORDER];
        for (int o = 0; o < LANGID_MAX_ORDER; o++) p[o] = l->prob + (size_t)g->b[k][o] * (size_t)n;
        int flush = (k + 1) % LANGID_LOG_EVERY == 0;
        for (int i = 0; i < n; i++) {
            double q = 0;
            for (int o = 0; o < LANGID_MAX_ORDER; o++) q += langid_lambda[o] * p[o][i];
            prod[i] *= q;
            if (flush) sum[i] += log(prod[i]), prod[i] = 1;
        }
    }
    for (int i = 0; i < n; i++) sum[i] += log(prod[i]);
}

const char *sw_langid_classify(const sw_langid *l, const char *text, size_t len, double *score) {
    uint32_t buckets[LANGID_SAMPLE_BYTES][LANGID_MAX_ORDER]; /* at most one gram per byte */
    gram_list g = {buckets, 0};
    double sum[SW_LANGID_MAX] = {0};
    if (len > LANGID_SAMPLE_BYTES) {
        len = LANGID_SAMPLE_BYTES;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--;
    }
    for_each_gram(text, len, collect_gram, &g);
    score_grams(l, &g, sum);
    int best = -1;
    double best_margin = -INFINITY, uniform = -log((double)LANGID_BUCKETS);
    for (int i = 0; g.n && i < l->n; i++) {
        double m = sum[i] / (double)g.n - uniform;
        if (m > best_margin) best_margin = m, best = i;
    }
    if (score) *score = g.n ? best_margin : 0;
    if (best < 0 || best_margin < LANGID_OTHER_MARGIN) return "other";
    return l->names[best];
}
