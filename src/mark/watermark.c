/* watermark.c - KGW and SynthID-style watermarks: the keyed PRF, the sampler hook that
 * embeds them, and their detection. */
#include "steward/watermark.h"
#include "steward/keys.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SEEN_BITS 12 /* SynthID: remember contexts of the last 1024 steps (4096 slots) */
#define SEEN_SLOTS (1u << SEEN_BITS)
#define SEEN_WINDOW 1024

struct sw_watermark {
    sw_wm_params p;
    uint8_t key[SW_WM_KEY_BYTES];
    int n_vocab;
    /* SynthID context memory: ring of recent context hashes and an open-addressing set */
    uint64_t ring[SEEN_WINDOW];
    int ring_len, ring_pos;
    uint64_t *seen; /* SEEN_SLOTS entries; 0 is empty */
    double *probs;  /* scratch for the tournament: n_vocab each */
    uint64_t *tokhash; /* KGW self-hash only: H(v) for every v (depends on the key only) */
    uint32_t *bits; /* g-values, split in 32-bit words: bits[(l / 32) * n_vocab + i] bit l % 32 */
    int *idx;
};

void sw_wm_params_default(sw_wm_scheme scheme, sw_wm_params *p) {
    p->scheme = scheme;
    p->gamma = 0.25f;
    p->delta = 2.0f;
    p->context = scheme == SW_WM_KGW_LEFTHASH ? 1 : scheme == SW_WM_KGW_SELFHASH ? 3 : 4;
    p->layers = 30;
    p->z_threshold = 4.0f;
}

const char *sw_wm_scheme_name(sw_wm_scheme s) {
    switch (s) {
    case SW_WM_KGW_SELFHASH: return "kgw-selfhash";
    case SW_WM_KGW_LEFTHASH: return "kgw-lefthash";
    case SW_WM_SYNTHID: return "synthid";
    default: return "none";
    }
}

int sw_wm_scheme_parse(const char *name, sw_wm_scheme *out) {
    for (int s = SW_WM_NONE; s <= SW_WM_SYNTHID; s++)
        if (strcmp(name, sw_wm_scheme_name((sw_wm_scheme)s)) == 0) {
            *out = (sw_wm_scheme)s;
            return 0;
        }
    return -1;
}

void sw_wm_key_id(const uint8_t key[SW_WM_KEY_BYTES], char out[17]) { sw_keys_id_bytes(key, SW_WM_KEY_BYTES, out); }

json_t *sw_wm_params_json(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES]) {
    char id[17];
    sw_wm_key_id(key, id);
    json_t *o = json_pack("{s:s,s:i,s:i,s:s}", "scheme", sw_wm_scheme_name(p->scheme), "prf_version",
                          SW_WM_PRF_VERSION, "context", p->context, "key_id", id);
    if (!o) return NULL;
    if (p->scheme == SW_WM_SYNTHID) {
        json_object_set_new(o, "layers", json_integer(p->layers));
    } else {
        json_object_set_new(o, "gamma", json_real(p->gamma));
        json_object_set_new(o, "delta", json_real(p->delta));
    }
    return o;
}

/* ---- PRF v1 ----
 * seed = SipHash-2-4(key[0..16), domain || words)   (little-endian 64-bit words)
 * draw(seed, v) = mix64(seed ^ (v+1) * golden)       per-token uniform 64-bit value
 * The second half of the key keys token hashes H(t) for the anchored min-hash. */
static uint64_t prf_seed(const uint8_t *key16, uint64_t domain, const uint64_t *words, int n) {
    uint64_t in[8];
    in[0] = domain;
    for (int i = 0; i < n && i < 7; i++) in[i + 1] = words[i];
    uint8_t out[8];
    crypto_shorthash_siphash24(out, (const unsigned char *)in, (unsigned long long)(n + 1) * 8, key16);
    uint64_t s;
    memcpy(&s, out, 8);
    return s;
}

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t draw(uint64_t seed, int32_t v) {
    return mix64(seed ^ ((uint64_t)(uint32_t)v + 1) * 0x9E3779B97F4A7C15ull);
}

/* Threshold so that draw < threshold with probability gamma. */
static inline uint64_t green_threshold(float gamma) {
    return (uint64_t)((double)gamma * 18446744073709551616.0 * (1 - 1e-12));
}

/* KGW: the PRF seed that decides whether candidate v is green after context
 * ctx[0..n_ctx) (most recent last). Two positions with the same (seed, v) draw the same
 * coin, so detection scores each such pair once. */
/* Self-hash seed (PRF v2): the previous token keys a per-position secret k, and the
 * min-hash m selects the seed within it. One SipHash per position, not per candidate. */
static inline uint64_t selfhash_seed(uint64_t k, uint64_t m) { return mix64(k ^ mix64(m ^ 0x5851F42D4C957F2Dull)); }

/* Self-hash: the seed of the token hashes H(t) = draw(th, t) for the min-hash (keyed by
 * the key's second half), and the per-position secret keyed by the previous token. */
static uint64_t selfhash_token_key(const uint8_t *key) { return prf_seed(key + 16, 0x746f6b, NULL, 0); }
static uint64_t selfhash_position_key(const uint8_t *key, int32_t prev) {
    uint64_t last = (uint64_t)(uint32_t)prev;
    return prf_seed(key, 2, &last, 1);
}

static uint64_t kgw_seed(const sw_wm_params *p, const uint8_t *key, const int32_t *ctx, int n_ctx, int32_t v) {
    if (p->scheme == SW_WM_KGW_LEFTHASH) {
        uint64_t w = (uint64_t)(uint32_t)ctx[n_ctx - 1];
        return prf_seed(key, 1, &w, 1);
    }
    /* anchored min-hash over the context and the candidate itself, anchored on the
     * previous token so that the seed still moves with every position */
    uint64_t th = selfhash_token_key(key);
    uint64_t m = draw(th, v);
    for (int i = 0; i < n_ctx; i++) {
        uint64_t h = draw(th, ctx[i]);
        if (h < m) m = h;
    }
    return selfhash_seed(selfhash_position_key(key, ctx[n_ctx - 1]), m);
}

/* SynthID: the seed of a context; the m tournament bits g_l(ctx, v) are the bits of
 * draw(seed, v). */
static uint64_t synthid_seed(const uint8_t *key, const int32_t *ctx, int n_ctx) {
    uint64_t w[4];
    for (int i = 0; i < n_ctx && i < 4; i++) w[i] = (uint64_t)(uint32_t)ctx[i];
    return prf_seed(key, 3, w, n_ctx < 4 ? n_ctx : 4);
}

static uint64_t context_hash(const int32_t *ctx, int n) {
    uint64_t h = 0x243F6A8885A308D3ull;
    for (int i = 0; i < n; i++) h = mix64(h ^ (uint64_t)(uint32_t)ctx[i]);
    return h | 1; /* never 0, the empty marker */
}

sw_watermark *sw_wm_new(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES], int n_vocab) {
    if (p->scheme == SW_WM_NONE || n_vocab <= 0 || p->gamma <= 0 || p->gamma >= 1 ||
        p->context < 1 || p->context > 4 || p->layers < 1 || p->layers > SW_WM_MAX_LAYERS)
        return NULL;
    sw_watermark *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->p = *p;
    memcpy(w->key, key, SW_WM_KEY_BYTES);
    w->n_vocab = n_vocab;
    w->seen = calloc(SEEN_SLOTS, sizeof *w->seen);
    w->probs = malloc((size_t)n_vocab * sizeof *w->probs);
    w->bits = malloc(2 * (size_t)n_vocab * sizeof *w->bits);
    w->idx = malloc((size_t)n_vocab * sizeof *w->idx);
    int selfhash = p->scheme == SW_WM_KGW_SELFHASH;
    if (selfhash) w->tokhash = malloc((size_t)n_vocab * sizeof *w->tokhash);
    if (!w->seen || !w->probs || !w->bits || !w->idx || (selfhash && !w->tokhash)) {
        sw_wm_free(w);
        return NULL;
    }
    if (selfhash) {
        uint64_t th = selfhash_token_key(w->key);
        for (int v = 0; v < n_vocab; v++) w->tokhash[v] = draw(th, v);
    }
    return w;
}

void sw_wm_free(sw_watermark *w) {
    if (!w) return;
    sodium_memzero(w->key, sizeof w->key);
    free(w->seen);
    free(w->probs);
    free(w->bits);
    free(w->idx);
    free(w->tokhash);
    free(w);
}

/* ---- SynthID context memory (set of the last SEEN_WINDOW context hashes) ---- */
static int seen_find(const sw_watermark *w, uint64_t h) {
    for (uint32_t i = (uint32_t)h & (SEEN_SLOTS - 1);; i = (i + 1) & (SEEN_SLOTS - 1)) {
        if (w->seen[i] == h) return (int)i;
        if (w->seen[i] == 0) return -1;
    }
}

static void seen_remove(sw_watermark *w, uint64_t h) {
    int i = seen_find(w, h);
    if (i < 0) return;
    /* backward-shift deletion keeps probe chains intact */
    uint32_t hole = (uint32_t)i;
    for (uint32_t j = (hole + 1) & (SEEN_SLOTS - 1); w->seen[j]; j = (j + 1) & (SEEN_SLOTS - 1)) {
        uint32_t home = (uint32_t)w->seen[j] & (SEEN_SLOTS - 1);
        if (((j - home) & (SEEN_SLOTS - 1)) >= ((j - hole) & (SEEN_SLOTS - 1))) {
            w->seen[hole] = w->seen[j];
            hole = j;
        }
    }
    w->seen[hole] = 0;
}

static void seen_add(sw_watermark *w, uint64_t h) {
    if (w->ring_len == SEEN_WINDOW) {
        uint64_t old = w->ring[w->ring_pos];
        int still = 0; /* the same hash may sit in the ring twice: keep it if so */
        for (int i = 0; i < SEEN_WINDOW && !still; i++) still = i != w->ring_pos && w->ring[i] == old;
        if (!still) seen_remove(w, old);
    } else {
        w->ring_len++;
    }
    w->ring[w->ring_pos] = h;
    w->ring_pos = (w->ring_pos + 1) % SEEN_WINDOW;
    if (seen_find(w, h) < 0) {
        uint32_t i = (uint32_t)h & (SEEN_SLOTS - 1);
        while (w->seen[i]) i = (i + 1) & (SEEN_SLOTS - 1);
        w->seen[i] = h;
    }
}

/* ---- generation: the sampler hook ---- */

/* KGW adds delta to green logits. Only tokens that could still be chosen after the bias
 * are tested (logit >= best - delta - SW_WM_LOGIT_WINDOW): below that a token's
 * probability is under e^-16 relative to the best either way, and skipping them keeps
 * the cost per step small with large vocabularies. */
#define SW_WM_LOGIT_WINDOW 16.0f
/* The self-hash green list over the whole vocabulary: logits[v] += delta where v is
 * green and logits[v] >= floor. Branch-free so that it vectorises (64-bit multiplies:
 * AVX-512DQ), cloned and chosen at load time; the same coins as kgw_seed. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=skylake-avx512", "avx2", "default")))
#endif
static void selfhash_green(float *logits, int n, const uint64_t *tokhash, uint64_t m, uint64_t k, uint64_t seed_ctx,
                           uint64_t thr, float floor, float delta) {
#pragma omp simd
    for (int v = 0; v < n; v++) {
        uint64_t hv = tokhash[v];
        uint64_t seed = hv < m ? selfhash_seed(k, hv) : seed_ctx;
        int green = draw(seed, v) < thr && logits[v] >= floor;
        logits[v] += green ? delta : 0.0f;
    }
}

static void kgw_adjust(void *ud, float *logits, int n, const int32_t *hist, int n_hist) {
    sw_watermark *w = ud;
    int h = w->p.context;
    if (n_hist < h) return;
    const int32_t *ctx = hist + n_hist - h;
    float best = logits[0];
    for (int i = 1; i < n; i++) if (logits[i] > best) best = logits[i];
    float floor = best - w->p.delta - SW_WM_LOGIT_WINDOW;
    if (w->p.scheme == SW_WM_KGW_LEFTHASH) {
        uint64_t word = (uint64_t)(uint32_t)ctx[h - 1];
        uint64_t seed = prf_seed(w->key, 1, &word, 1);
        uint64_t thr = green_threshold(w->p.gamma);
        for (int v = 0; v < n; v++)
            if (logits[v] >= floor && draw(seed, v) < thr) logits[v] += w->p.delta;
        return;
    }
    /* Self-hash, computed as kgw_seed does but with the context's part hoisted: the
     * min-hash of the context and its seed are the same for every candidate, and only a
     * candidate whose own hash is smaller needs a seed of its own. */
    uint64_t m = UINT64_MAX;
    for (int i = 0; i < h; i++) {
        uint64_t hv = w->tokhash[(uint32_t)ctx[i] % (uint32_t)w->n_vocab]; /* ids < n_vocab: from the model */
        if (hv < m) m = hv;
    }
    uint64_t k = selfhash_position_key(w->key, ctx[h - 1]);
    selfhash_green(logits, n, w->tokhash, m, k, selfhash_seed(k, m), green_threshold(w->p.gamma), floor,
                   w->p.delta);
}

/* The tournament's layers over k candidates: p[i] <- p[i] (1 + g_l(i) - E_p[g_l]) for
 * l = 0..layers-1, g_l(i) bit l of hi[i]:lo[i]. O(layers x k) per token, the whole cost
 * of the scheme, so the words are 32-bit and converted through int (both loops
 * vectorise), and the function is cloned for AVX2 and AVX-512, chosen at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void tournament(double *p, const uint32_t *lo, const uint32_t *hi, int k, int layers) {
    for (int l = 0; l < layers; l++) {
        const uint32_t *word = l < 32 ? lo : hi;
        int sh = l & 31;
        double e = 0;
#pragma omp simd reduction(+ : e)
        for (int i = 0; i < k; i++) e += p[i] * (double)(int32_t)((word[i] >> sh) & 1u);
        double base = 1.0 - e;
#pragma omp simd
        for (int i = 0; i < k; i++) p[i] *= base + (double)(int32_t)((word[i] >> sh) & 1u);
    }
}

/* SynthID tournament over the filtered candidates: for each layer, the non-distortionary
 * two-leaf update p_v <- p_v (1 + g_l(v) - E_p[g_l]); then one draw with rng_u. A context
 * seen in the last 1024 steps is left unwatermarked (returns -1: plain sampling). */
static int synthid_choose(void *ud, const sw_candidate *c, int n, const int32_t *hist, int n_hist,
                          double rng_u) {
    sw_watermark *w = ud;
    int h = w->p.context;
    if (n_hist < h) return -1;
    const int32_t *ctx = hist + n_hist - h;
    uint64_t ch = context_hash(ctx, h);
    if (seen_find(w, ch) >= 0) return -1;
    seen_add(w, ch);
    /* The tournament runs over the candidates that carry probability: below 1e-9 of the
     * best a candidate can neither win nor shift E_p[g_l] measurably. */
    double pmax = 0;
    for (int i = 0; i < n; i++) pmax = c[i].p > pmax ? c[i].p : pmax;
    double *p = w->probs;
    int *idx = w->idx;
    uint32_t *lo = w->bits, *hi = w->bits + w->n_vocab;
    uint64_t seed = synthid_seed(w->key, ctx, h);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].p < 1e-9 * pmax) continue;
        p[k] = c[i].p;
        idx[k] = i;
        uint64_t b = draw(seed, c[i].id);
        lo[k] = (uint32_t)b;
        hi[k++] = (uint32_t)(b >> 32);
    }
    tournament(p, lo, hi, k, w->p.layers);
    double cum = 0, total = 0;
    for (int i = 0; i < k; i++) total += p[i];
    for (int i = 0; i < k; i++) {
        cum += p[i] / total;
        if (rng_u < cum) return idx[i];
    }
    return idx[k - 1];
}

void sw_wm_hook(sw_watermark *w, sw_sampler_hook *hook) {
    memset(hook, 0, sizeof *hook);
    hook->ud = w;
    if (w->p.scheme == SW_WM_SYNTHID) hook->choose = synthid_choose;
    else hook->adjust = kgw_adjust;
}

/* ---- detection ---- */

/* Per-token scores: hit[i] is the token's score (KGW: 0/1 green; SynthID: count of
 * g bits set), mask[i] is 1 when position i is scored (enough context, and its
 * (context, token) pair not seen before). Returns trials per scored token. */
static int score_tokens(const sw_wm_params *p, const uint8_t *key, const int32_t *t, int n,
                        int *hit, uint8_t *mask) {
    int h = p->context;
    uint32_t cap = 16;
    while (cap < 2u * (uint32_t)n) cap <<= 1;
    uint64_t *set = calloc(cap, sizeof *set);
    if (!set) return -1;
    for (int i = 0; i < n; i++) {
        hit[i] = 0;
        mask[i] = 0;
        if (i < h) continue;
        const int32_t *ctx = t + i - h;
        /* mask repeats of the PRF's input (the seed and the token): they add no evidence */
        uint64_t unit = p->scheme == SW_WM_SYNTHID ? context_hash(ctx, h) : kgw_seed(p, key, ctx, h, t[i]);
        uint64_t key2 = mix64(unit ^ (uint64_t)(uint32_t)t[i]) | 1;
        uint32_t j = (uint32_t)key2 & (cap - 1);
        while (set[j] && set[j] != key2) j = (j + 1) & (cap - 1);
        if (set[j]) continue;
        set[j] = key2;
        mask[i] = 1;
        if (p->scheme == SW_WM_SYNTHID) {
            uint64_t bits = draw(synthid_seed(key, ctx, h), t[i]);
            if (p->layers < 64) bits &= (1ull << p->layers) - 1;
            hit[i] = __builtin_popcountll(bits);
        } else {
            hit[i] = draw(unit, t[i]) < green_threshold(p->gamma);
        }
    }
    free(set);
    return p->scheme == SW_WM_SYNTHID ? p->layers : 1;
}

/* z-score of `hits` successes in `trials` Bernoulli(q) trials; 0 when nothing was scored. */
static double z_score(double hits, double trials, double q) {
    if (trials <= 0) return 0;
    return (hits - q * trials) / sqrt(trials * q * (1 - q));
}

static double p_value(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

static void fill(const sw_wm_params *p, double hits, int scored, int per, int start, int end,
                 double n_tests, sw_wm_detection *out) {
    double q = p->scheme == SW_WM_SYNTHID ? 0.5 : p->gamma;
    double trials = (double)scored * per;
    out->z = z_score(hits, trials, q);
    out->p = p_value(out->z) * n_tests;
    if (out->p > 1) out->p = 1;
    out->scored = scored;
    out->score = trials > 0 ? hits / trials : 0;
    out->start = start;
    out->end = end;
    /* the threshold is on the corrected p when windows were tried */
    out->watermarked = n_tests > 1 ? out->p <= p_value(p->z_threshold) : out->z >= p->z_threshold;
}

int sw_wm_detect(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES], const int32_t *tokens,
                 int n, sw_wm_detection *out) {
    memset(out, 0, sizeof *out);
    if (n <= 0) {
        fill(p, 0, 0, 1, 0, 0, 1, out);
        return 0;
    }
    int *hit = malloc((size_t)n * sizeof *hit);
    uint8_t *mask = malloc((size_t)n);
    int per = hit && mask ? score_tokens(p, key, tokens, n, hit, mask) : -1;
    if (per < 0) {
        free(hit);
        free(mask);
        return -1;
    }
    double hits = 0;
    int scored = 0;
    for (int i = 0; i < n; i++) if (mask[i]) { hits += hit[i]; scored++; }
    fill(p, hits, scored, per, 0, n, 1, out);
    free(hit);
    free(mask);
    return 0;
}

int sw_wm_detect_windowed(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES],
                          const int32_t *tokens, int n, int min_window, sw_wm_detection *out) {
    if (min_window < 8) min_window = 8;
    if (n <= min_window) return sw_wm_detect(p, key, tokens, n, out);
    int *hit = malloc((size_t)n * sizeof *hit);
    uint8_t *mask = malloc((size_t)n);
    double *ph = malloc(((size_t)n + 1) * sizeof *ph); /* prefix sums of hits */
    int *ps = malloc(((size_t)n + 1) * sizeof *ps);    /* prefix sums of scored */
    int per = hit && mask && ph && ps ? score_tokens(p, key, tokens, n, hit, mask) : -1;
    if (per < 0) {
        free(hit); free(mask); free(ph); free(ps);
        return -1;
    }
    ph[0] = 0;
    ps[0] = 0;
    for (int i = 0; i < n; i++) {
        ph[i + 1] = ph[i] + (mask[i] ? hit[i] : 0);
        ps[i + 1] = ps[i] + mask[i];
    }
    double q = p->scheme == SW_WM_SYNTHID ? 0.5 : p->gamma;
    double best_z = -INFINITY, n_tests = 0;
    int bs = 0, be = n;
    for (int wlen = min_window;; wlen *= 2) {
        if (wlen > n) wlen = n;
        int step = wlen / 4 > 0 ? wlen / 4 : 1;
        for (int s = 0;; s += step) {
            if (s + wlen > n) s = n - wlen;
            double z = z_score(ph[s + wlen] - ph[s], (double)(ps[s + wlen] - ps[s]) * per, q);
            n_tests++;
            if (z > best_z) { best_z = z; bs = s; be = s + wlen; }
            if (s + wlen >= n) break;
        }
        if (wlen == n) break;
    }
    fill(p, ph[be] - ph[bs], ps[be] - ps[bs], per, bs, be, n_tests, out);
    free(hit); free(mask); free(ph); free(ps);
    return 0;
}
