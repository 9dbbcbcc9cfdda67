/* classifier.c - linear classifiers over hashed n-grams: features, scoring with the
 * n-grams that contributed most, and the model file.
 *
 * Model file (little-endian):
 *   "SWGC" u32 version(1) u32 dim_bits u32 heads
 *   per head: char name[32], f32 bias, f32 scale, f32 shift, then i8 weight[2^dim_bits]
 * A weight is scale * i8; a head's logit is bias + sum(weights of the text's features) /
 * sqrt(number of features), and its score sigmoid(logit + shift). */
#include "guard_int.h"
#include "steward/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[32];
    float bias, scale, shift;
    int8_t *w;
} chead;

struct sw_guard_clf {
    uint32_t dim_bits;
    int nheads;
    chead h[SW_CLF_MAX_HEADS];
    int8_t *weights; /* one allocation for all heads */
    uint32_t *wb;    /* the same, interleaved: byte k of wb[bucket] is head k's weight + 128 */
};

void sw_guard_clf_free(sw_guard_clf *c) {
    if (!c) return;
    free(c->weights);
    free(c->wb);
    free(c);
}

int sw_guard_clf_heads(const sw_guard_clf *c) { return c->nheads; }
const char *sw_guard_clf_head_name(const sw_guard_clf *c, int h) { return c->h[h].name; }

/* ---- features ---- */

static inline uint32_t fnv(uint32_t h, unsigned char c) { return (h ^ c) * 16777619u; }

/* Calls fn(hash, start, len) for every feature of s[0..n): character 3-, 4- and 5-grams
 * (over the text with a space at each end) and word uni- and bigrams. Returns the count. */
typedef void (*feat_fn)(uint32_t h, size_t st, size_t len, void *ud);

/* The reference definition of the features, used by training and explanations; scoring
 * computes the same sums faster (window_sums below). */
static size_t features(const char *s, size_t n, feat_fn fn, void *ud) {
    size_t count = 0;
    /* character n-grams; position -1 and n are virtual spaces */
    for (long i = -1; i < (long)n; i++) {
        uint32_t h = 2166136261u;
        for (int k = 0; k < 5; k++) {
            long j = i + k;
            if (j > (long)n) break;
            unsigned char c = (j < 0 || j == (long)n) ? ' ' : (unsigned char)s[j];
            h = fnv(h, c);
            if (k >= 2) {
                size_t st = i < 0 ? 0 : (size_t)i, en = j == (long)n ? n : (size_t)j + 1;
                fn(h ^ (uint32_t)k * 0x9E3779B9u, st, en - st, ud);
                count++;
            }
        }
    }
    /* words and word pairs */
    size_t ps = 0, pe = 0;
    int have_prev = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == ' ') i++;
        if (i >= n) break;
        size_t ws = i;
        while (i < n && s[i] != ' ') i++;
        uint32_t h = 0x811C9DC5u ^ 0x5bd1e995u;
        for (size_t k = ws; k < i; k++) h = fnv(h, (unsigned char)s[k]);
        fn(h, ws, i - ws, ud);
        count++;
        if (have_prev) {
            uint32_t b = 0x1234567u;
            for (size_t k = ps; k < pe; k++) b = fnv(b, (unsigned char)s[k]);
            b = fnv(b, ' ');
            for (size_t k = ws; k < i; k++) b = fnv(b, (unsigned char)s[k]);
            fn(b, ps, i - ps, ud);
            count++;
        }
        ps = ws;
        pe = i;
        have_prev = 1;
    }
    return count;
}

size_t gclf_features(const char *s, size_t n, void (*fn)(uint32_t h, size_t st, size_t len, void *ud), void *ud) {
    return features(s, n, fn, ud);
}

/* ---- scoring ---- */

#define WINDOW 2048
#define STRIDE 1792 /* windows overlap by 256 bytes: a phrase that long is always whole in one */

/* Scoring sums the int8 weights of all heads at once, four lanes of 16 bits in one
 * uint64 (SWAR): wb[bucket] holds the four weights as bytes biased by +128, so that each
 * lane only grows; a lane holds 256 additions of at most 255 before it could carry, so
 * the lanes are emptied into exact int32 sums every FLUSH features, and the bias taken
 * off at the end. The sums are those of features() above, exactly (a test compares). */
#define FLUSH 240

typedef struct {
    const uint32_t *wb;
    uint32_t mask;
    uint64_t lanes;
    unsigned pending;
    int64_t sum[4];
} swar;

static inline void swar_flush(swar *a) {
    a->sum[0] += (int64_t)(a->lanes & 0xFFFF);
    a->sum[1] += (int64_t)(a->lanes >> 32 & 0xFFFF);
    a->sum[2] += (int64_t)(a->lanes >> 16 & 0xFFFF);
    a->sum[3] += (int64_t)(a->lanes >> 48);
    a->lanes = 0;
    a->pending = 0;
}

/* bytes b3 b2 b1 b0 of x go to lanes 3, 1, 2, 0 of a uint64 */
static inline void swar_add(swar *a, uint32_t h) {
    uint32_t x = a->wb[h & a->mask];
    a->lanes += (uint64_t)(x & 0x00FF00FFu) | (uint64_t)(x & 0xFF00FF00u) << 24;
}

static inline uint32_t byte_at(const char *s, long n, long j) { return (j < 0 || j == n) ? ' ' : (unsigned char)s[j]; }

/* Character n-grams of positions i in [from, to) that touch a virtual space (slow path). */
static size_t char_edges(swar *a, const char *s, long n, long from, long to) {
    size_t count = 0;
    for (long i = from; i < to; i++) {
        uint32_t h = 2166136261u;
        for (long k = 0; k < 5 && i + k <= n; k++) {
            h = fnv(h, (unsigned char)byte_at(s, n, i + k));
            if (k >= 2) {
                swar_add(a, h ^ (uint32_t)k * 0x9E3779B9u);
                count++;
            }
        }
    }
    return count;
}

/* AVX2 whenever the engine runs an AVX2 family (avx2 or avx512): one choice of kernels
 * for the whole program, from the CPU and STEWARD_KERNELS (sw_kernels_name). */
static int simd_ok(void) { return strcmp(sw_kernels_name(), "portable") != 0; }

/* The exact int sums of every head's weights over features(s, n); returns the count. */
static size_t window_sums(const sw_guard_clf *c, const char *s, size_t n, int64_t *sum, int simd) {
    swar a = {c->wb, (1u << c->dim_bits) - 1, 0, 0, {0}};
    const unsigned char *u = (const unsigned char *)s;
    long ln = (long)n, inner = ln >= 5 ? ln - 4 : 0; /* positions [0, inner) see five real bytes */
    size_t count = char_edges(&a, s, ln, -1, 0);
    swar_flush(&a);
    long i = 0;
#if defined(__x86_64__)
    if (simd) i = (long)gclf_chars_avx2(a.wb, a.mask, u, (size_t)inner, a.sum);
#else
    (void)simd;
#endif
    while (i < inner) {
        long e = i + FLUSH / 3 < inner ? i + FLUSH / 3 : inner;
        for (; i < e; i++) {
            uint32_t h = fnv(fnv(fnv(2166136261u, u[i]), u[i + 1]), u[i + 2]);
            swar_add(&a, h ^ 2u * 0x9E3779B9u);
            h = fnv(h, u[i + 3]);
            swar_add(&a, h ^ 3u * 0x9E3779B9u);
            h = fnv(h, u[i + 4]);
            swar_add(&a, h ^ 4u * 0x9E3779B9u);
        }
        swar_flush(&a);
    }
    count += 3 * (size_t)inner + char_edges(&a, s, ln, inner, ln);
    swar_flush(&a);
    /* words and word pairs, one pass: while reading a word, its unigram hash, its pair
     * with the previous word, and the prefix "word " of the pair it starts */
    uint32_t pref = 0;
    int have_prev = 0;
    i = 0;
    while (i < ln) {
        while (i < ln && u[i] == ' ') i++;
        if (i >= ln) break;
        uint32_t h = 0x811C9DC5u ^ 0x5bd1e995u, b = pref, p = 0x1234567u;
        for (; i < ln && u[i] != ' '; i++) {
            h = fnv(h, u[i]);
            b = fnv(b, u[i]);
            p = fnv(p, u[i]);
        }
        swar_add(&a, h);
        count++;
        if (have_prev) {
            swar_add(&a, b);
            count++;
        }
        pref = fnv(p, ' ');
        have_prev = 1;
        if (++a.pending >= FLUSH / 2) swar_flush(&a);
    }
    swar_flush(&a);
    for (int k = 0; k < 4; k++) sum[k] = a.sum[k] - 128 * (int64_t)count;
    return count;
}

size_t gclf_window_sums(const sw_guard_clf *c, const char *s, size_t n, int64_t *sum, int simd) {
    return window_sums(c, s, n, sum, simd < 0 ? simd_ok() : simd);
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Logits of one window; fills raw[h]. */
static size_t window_logits(const sw_guard_clf *c, const char *s, size_t n, double *raw) {
    int64_t sum[4];
    size_t nf = window_sums(c, s, n, sum, simd_ok());
    double norm = gclf_norm(nf);
    for (int k = 0; k < c->nheads; k++) raw[k] = c->h[k].bias + (int32_t)sum[k] * c->h[k].scale * norm;
    return nf;
}

/* Length of the window at offset at: WINDOW bytes, ended on a character boundary. */
static size_t window_len(const char *s, size_t n, size_t at) {
    size_t wl = n - at > WINDOW ? WINDOW : n - at;
    while (wl < n - at && wl > 0 && ((unsigned char)s[at + wl] & 0xC0) == 0x80) wl--;
    return wl;
}

int sw_guard_clf_score(const sw_guard_clf *c, const char *text, size_t len, double *scores, char (*explain)[160],
                       sw_err *err) {
    sw_guard_norm nm;
    if (sw_guard_normalize(text, len, &nm, err) < 0) {
        sw_guard_norm_free(&nm);
        return -1;
    }
    int rc = gclf_score_view(c, nm.match.s, nm.match.len, scores, explain);
    sw_guard_norm_free(&nm);
    return rc;
}

/* The best window of each head: best[k] its logit, at[k] its offset. */
static void best_windows(const sw_guard_clf *c, const char *s, size_t n, double *best, size_t *best_at) {
    for (int k = 0; k < c->nheads; k++) {
        best[k] = -1e30;
        best_at[k] = 0;
    }
    size_t at = 0;
    for (;;) {
        size_t wl = window_len(s, n, at);
        double raw[SW_CLF_MAX_HEADS];
        window_logits(c, s + at, wl, raw);
        for (int k = 0; k < c->nheads; k++)
            if (raw[k] > best[k]) {
                best[k] = raw[k];
                best_at[k] = at;
            }
        if (at + wl >= n) break;
        at += STRIDE;
        while (at < n && ((unsigned char)s[at] & 0xC0) == 0x80) at++;
    }
}

int gclf_score_view(const sw_guard_clf *c, const char *s, size_t n, double *scores, char (*explain)[160]) {
    double best[SW_CLF_MAX_HEADS];
    size_t best_at[SW_CLF_MAX_HEADS];
    best_windows(c, s, n, best, best_at);
    for (int k = 0; k < c->nheads; k++) {
        scores[k] = sigmoid(best[k] + c->h[k].shift);
        if (!explain) continue;
        explain[k][0] = 0;
        if (scores[k] < 0.5) continue;
        gclf_why w;
        if (gclf_explain(c, s, n, NULL, NULL, NULL, k, &w) < 0) return -1;
        memcpy(explain[k], w.text, sizeof w.text);
    }
    return 0;
}

/* ---- explanations: the words of the text that carried a head's score ----
 * Every feature's weight in the best window is shared equally among the units it
 * touches (a unit: a word of letters and digits, or one Han, kana or Hangul character);
 * the strongest units grow into phrases with the neighbours that carried weight too. */
#define EXPLAIN_PHRASES 3  /* phrases named */
#define PHRASE_UNITS 6     /* words (or CJK characters) in one phrase at most */
#define PHRASE_GROW 0.5f   /* a neighbour joins with at least this share of the seed's weight */
#define PHRASE_GAP 3       /* bytes between two units of one phrase (", " and the like) */
#define QUOTE_MAX 48       /* bytes of one quoted phrase */

typedef struct {
    const sw_guard_clf *c;
    uint32_t mask;
    int head;
    float norm;
    int16_t unit_of[WINDOW]; /* the unit of each byte of the window, -1 between units */
    uint16_t us[WINDOW], ue[WINDOW];
    float w[WINDOW];
    uint8_t used[WINDOW];
    int nu;
} attr_ctx;

/* Splits the window s[0..n) into units. */
static void split_units(attr_ctx *a, const char *s, size_t n) {
    a->nu = 0;
    int in_word = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = (unsigned char)s[i];
        int l = cp < 0x80 ? 1 : sw_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (l <= 0) l = 1;
        int word = cp < 0x80 ? (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') : 1;
        int alone = cp >= 0x80 && gis_cjk(cp);
        if (!word) in_word = 0;
        else if (alone || !in_word) {
            a->us[a->nu] = (uint16_t)i;
            a->w[a->nu] = 0;
            a->used[a->nu] = 0;
            a->nu++;
            in_word = !alone;
        }
        for (int k = 0; k < l; k++) a->unit_of[i + (size_t)k] = (int16_t)(word ? a->nu - 1 : -1);
        if (word) a->ue[a->nu - 1] = (uint16_t)(i + (size_t)l);
        i += (size_t)l;
    }
}

static void attribute(uint32_t h, size_t st, size_t len, void *ud) {
    attr_ctx *a = ud;
    int first = -1, last = -1;
    for (size_t i = st; i < st + len; i++)
        if (a->unit_of[i] >= 0) {
            if (first < 0) first = a->unit_of[i];
            last = a->unit_of[i];
        }
    if (first < 0) return;
    float v = a->c->h[a->head].w[h & a->mask] * a->c->h[a->head].scale * a->norm;
    for (int u = first; u <= last; u++) a->w[u] += v / (float)(last - first + 1);
}

typedef struct {
    int lo, hi; /* units */
    float v;    /* their summed weight */
} phrase;

/* Grows the phrase [*lo, *hi] around its seed by neighbours that carried weight. */
static float grow_phrase(const attr_ctx *a, int *lo, int *hi) {
    float seed = a->w[*lo], sum = seed;
    while (*hi - *lo + 1 < PHRASE_UNITS) {
        int l = *lo - 1, r = *hi + 1;
        float wl = l >= 0 && !a->used[l] && a->us[*lo] - a->ue[l] <= PHRASE_GAP ? a->w[l] : 0;
        float wr = r < a->nu && !a->used[r] && a->us[r] - a->ue[*hi] <= PHRASE_GAP ? a->w[r] : 0;
        float wn = wl > wr ? wl : wr;
        if (wn <= 0 || wn < PHRASE_GROW * seed) break;
        if (wl >= wr) *lo = l;
        else *hi = r;
        sum += wn;
    }
    return sum;
}

/* Appends " 'phrase' +0.12" (", 'phrase' ..." unless first) to out, quoting q[os..oe)
 * with controls as spaces. 0 when it did not fit (out unchanged). */
static int quote_phrase(char *out, size_t cap, const char *q, size_t os, size_t oe, float v, int first) {
    char buf[QUOTE_MAX + 8];
    size_t k = 0, o = strlen(out);
    int cut = 0;
    for (size_t i = os; i < oe; i++) {
        if (k >= QUOTE_MAX && ((unsigned char)q[i] & 0xC0) != 0x80) {
            cut = 1;
            break;
        }
        buf[k++] = (unsigned char)q[i] < 0x20 ? ' ' : q[i];
    }
    buf[k] = 0;
    int w = snprintf(out + o, cap - o, "%s '%s%s' %+.2f", first ? "" : ",", buf, cut ? "..." : "", v);
    if (w < 0 || (size_t)w >= cap - o) {
        out[o] = 0;
        return 0;
    }
    return 1;
}

/* Units inside a personal-data or secret finding of hide are never quoted. */
static void hide_sensitive(attr_ctx *a, size_t at, const sw_guard_view *map, const sw_guard_verdict *hide) {
    for (int u = 0; u < a->nu; u++) {
        size_t os = map->ostart[at + a->us[u]], oe = map->oend[at + a->ue[u] - 1];
        for (size_t i = 0; i < hide->n_findings; i++) {
            const sw_guard_finding *f = &hide->findings[i];
            if ((strcmp(f->category, "pii") == 0 || strcmp(f->category, "secret") == 0) && f->start < oe &&
                os < f->end) {
                a->used[u] = 1;
                break;
            }
        }
    }
}

int gclf_explain(const sw_guard_clf *c, const char *s, size_t n, const sw_guard_view *map, const char *orig,
                 const sw_guard_verdict *hide, int head, gclf_why *why) {
    why->start = 0;
    why->end = map ? (n ? map->oend[n - 1] : 0) : n;
    snprintf(why->text, sizeof why->text, "strongest words:");
    attr_ctx *a = malloc(sizeof *a);
    if (!a) return -1;
    double best[SW_CLF_MAX_HEADS];
    size_t at[SW_CLF_MAX_HEADS];
    best_windows(c, s, n, best, at);
    size_t wl = window_len(s, n, at[head]);
    const char *ws = s + at[head];
    int64_t sum[4];
    a->c = c;
    a->mask = (1u << c->dim_bits) - 1;
    a->head = head;
    a->norm = gclf_norm(window_sums(c, ws, wl, sum, simd_ok()));
    split_units(a, ws, wl);
    gclf_features(ws, wl, attribute, a);
    if (map && hide) hide_sensitive(a, at[head], map, hide);
    phrase ph[EXPLAIN_PHRASES];
    int np = 0;
    for (; np < EXPLAIN_PHRASES; np++) {
        int seed = -1;
        for (int u = 0; u < a->nu; u++)
            if (!a->used[u] && a->w[u] > 0 && (seed < 0 || a->w[u] > a->w[seed])) seed = u;
        if (seed < 0) break;
        ph[np].lo = ph[np].hi = seed;
        ph[np].v = grow_phrase(a, &ph[np].lo, &ph[np].hi);
        for (int u = ph[np].lo; u <= ph[np].hi; u++) a->used[u] = 1;
        for (int k = np; k > 0 && ph[k].v > ph[k - 1].v; k--) { /* strongest first */
            phrase t = ph[k];
            ph[k] = ph[k - 1];
            ph[k - 1] = t;
        }
    }
    size_t lo_b = SIZE_MAX, hi_b = 0;
    for (int p = 0; p < np; p++) {
        size_t vs = at[head] + a->us[ph[p].lo], ve = at[head] + a->ue[ph[p].hi];
        int seen = 0; /* the same words elsewhere in the text are named once */
        for (int q = 0; q < p; q++) {
            size_t qs = at[head] + a->us[ph[q].lo], qe = at[head] + a->ue[ph[q].hi];
            seen |= qe - qs == ve - vs && memcmp(s + qs, s + vs, ve - vs) == 0;
        }
        if (seen) continue;
        size_t os = map ? map->ostart[vs] : vs, oe = map ? map->oend[ve - 1] : ve;
        int own = map && orig && sw_utf8_valid((const unsigned char *)orig + os, oe - os); /* the words as written */
        if (!quote_phrase(why->text, sizeof why->text, own ? orig : s, own ? os : vs, own ? oe : ve, ph[p].v, hi_b == 0))
            break;
        if (os < lo_b) lo_b = os;
        if (oe > hi_b) hi_b = oe;
    }
    if (hi_b > lo_b) {
        why->start = lo_b;
        why->end = hi_b;
    }
    free(a);
    return 0;
}

/* ---- model file ---- */

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static float rdf(const unsigned char *p) {
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

sw_guard_clf *sw_guard_clf_parse(const void *data, size_t len, const char *name, sw_err *err) {
    const unsigned char *p = data;
    if (len < 16 || memcmp(p, "SWGC", 4) != 0) {
        sw_err_set(err, "%s: not a guard classifier (magic SWGC)", name);
        return NULL;
    }
    uint32_t ver = rd32(p + 4), bits = rd32(p + 8), heads = rd32(p + 12);
    if (ver != 1) {
        sw_err_set(err, "%s: offset 4: version %u, expected 1", name, ver);
        return NULL;
    }
    if (bits < 8 || bits > 24) {
        sw_err_set(err, "%s: offset 8: dim_bits %u out of 8..24", name, bits);
        return NULL;
    }
    if (heads < 1 || heads > SW_CLF_MAX_HEADS) {
        sw_err_set(err, "%s: offset 12: %u heads, expected 1..%d", name, heads, SW_CLF_MAX_HEADS);
        return NULL;
    }
    size_t dim = (size_t)1 << bits, per = 32 + 12 + dim;
    if ((len - 16) / heads < per || len - 16 != per * heads) {
        sw_err_set(err, "%s: %zu bytes, expected %zu for %u heads of 2^%u weights", name, len, 16 + per * heads, heads, bits);
        return NULL;
    }
    sw_guard_clf *c = calloc(1, sizeof *c);
    if (c) c->weights = malloc(dim * heads);
    if (c) c->wb = malloc(dim * 4);
    if (!c || !c->weights || !c->wb) {
        sw_guard_clf_free(c);
        sw_err_set(err, "%s: out of memory", name);
        return NULL;
    }
    c->dim_bits = bits;
    c->nheads = (int)heads;
    const unsigned char *q = p + 16;
    for (uint32_t k = 0; k < heads; k++, q += per) {
        chead *h = &c->h[k];
        memcpy(h->name, q, 32);
        h->name[31] = 0;
        for (int i = 0; h->name[i]; i++) {
            char ch = h->name[i];
            if (!((ch >= 'a' && ch <= 'z') || ch == '_')) {
                sw_err_set(err, "%s: head %u: bad name", name, k);
                sw_guard_clf_free(c);
                return NULL;
            }
        }
        h->bias = rdf(q + 32);
        h->scale = rdf(q + 36);
        h->shift = rdf(q + 40);
        if (!isfinite(h->bias) || !isfinite(h->scale) || !isfinite(h->shift) || !h->name[0]) {
            sw_err_set(err, "%s: head %u: bad name or non-finite parameters", name, k);
            sw_guard_clf_free(c);
            return NULL;
        }
        h->w = c->weights + k * dim;
        memcpy(h->w, q + 44, dim);
    }
    for (size_t i = 0; i < dim; i++) { /* heads absent weigh 0 */
        uint32_t x = 0;
        for (uint32_t k = 0; k < 4; k++) x |= (uint32_t)(uint8_t)((k < heads ? c->h[k].w[i] : 0) + 128) << (8 * k);
        c->wb[i] = x;
    }
    return c;
}

sw_guard_clf *sw_guard_clf_load(const char *path, sw_err *err) {
    sw_buf b = {0};
    if (sw_read_file(path, &b, err) < 0) {
        sw_buf_free(&b);
        return NULL;
    }
    sw_guard_clf *c = sw_guard_clf_parse(b.data ? b.data : "", b.len, path, err);
    sw_buf_free(&b);
    return c;
}

/* Writes a model; weights are float per head, quantised here to int8. */
int gclf_write(const char *path, uint32_t bits, int heads, char (*names)[32], const float *bias,
               const float *shift, float *const *w, sw_err *err) {
    FILE *f = fopen(path, "wb");
    if (!f) return sw_err_set(err, "%s: cannot create", path);
    size_t dim = (size_t)1 << bits;
    unsigned char hdr[16] = {'S', 'W', 'G', 'C', 1, 0, 0, 0};
    memcpy(hdr + 8, &bits, 4);
    uint32_t h32 = (uint32_t)heads;
    memcpy(hdr + 12, &h32, 4);
    int ok = fwrite(hdr, 1, 16, f) == 16;
    int8_t *q = malloc(dim);
    if (!q) ok = 0;
    for (int k = 0; k < heads && ok; k++) {
        float mx = 0;
        for (size_t i = 0; i < dim; i++) mx = fabsf(w[k][i]) > mx ? fabsf(w[k][i]) : mx;
        float scale = mx > 0 ? mx / 127.0f : 1.0f;
        for (size_t i = 0; i < dim; i++) q[i] = (int8_t)lrintf(w[k][i] / scale);
        char nm[32] = {0};
        snprintf(nm, sizeof nm, "%s", names[k]);
        ok = fwrite(nm, 1, 32, f) == 32 && fwrite(&bias[k], 4, 1, f) == 1 && fwrite(&scale, 4, 1, f) == 1 &&
             fwrite(&shift[k], 4, 1, f) == 1 && fwrite(q, 1, dim, f) == dim;
    }
    free(q);
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : sw_err_set(err, "%s: write failed", path);
}
