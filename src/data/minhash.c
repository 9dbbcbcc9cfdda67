/* minhash.c - exact-duplicate keys, MinHash signatures over token shingles and an LSH
 * index (banding) that confirms candidates by their estimated Jaccard similarity. */
#include "data_int.h"
#include "steward/quant.h" /* sw_kernels_name: the engine's kernel choice */

#include <stdlib.h>
#include <string.h>

#define MINHASH_ROWS (SW_MINHASH_K / SW_MINHASH_BANDS)
#define MINHASH_SEED 0x5157455741524431ull /* fixed: signatures are comparable across runs */
#define SHINGLE_BATCH 1024
#define LSH_INITIAL_SLOTS 1024


static uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

uint64_t sw_data_exact_key(const char *text, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull;
    int pending_space = 0, started = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_space(c)) {
            pending_space = started;
            continue;
        }
        if (pending_space) h = (h ^ ' ') * 0x100000001b3ull;
        pending_space = 0;
        started = 1;
        if (c >= 'A' && c <= 'Z') c += 32;
        h = (h ^ c) * 0x100000001b3ull;
    }
    return mix64(h);
}

/* The hash functions' coefficients: odd multipliers and offsets from a fixed seed. */
static uint32_t coef_a[SW_MINHASH_K], coef_b[SW_MINHASH_K];
static int coef_ready;

static void coef_init(void) {
    if (__atomic_load_n(&coef_ready, __ATOMIC_ACQUIRE)) return;
    sw_rng r;
    sw_rng_seed(&r, MINHASH_SEED);
    uint32_t a[SW_MINHASH_K], b[SW_MINHASH_K];
    for (int i = 0; i < SW_MINHASH_K; i++) {
        a[i] = (uint32_t)sw_rng_next(&r) | 1u;
        b[i] = (uint32_t)sw_rng_next(&r);
    }
    /* every thread computes the same values, so a race only rewrites equal bytes */
    memcpy(coef_a, a, sizeof a);
    memcpy(coef_b, b, sizeof b);
    __atomic_store_n(&coef_ready, 1, __ATOMIC_RELEASE);
}

void sw_minhash_update_portable(uint32_t *sig, const uint32_t *a, const uint32_t *b, const uint32_t *xs, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < SW_MINHASH_K; j++) {
            uint32_t v = a[j] * xs[i] + b[j];
            if (v < sig[j]) sig[j] = v;
        }
}

/* The next token of text from *pos: its hash, or 0 at the end. */
static uint64_t next_token(const unsigned char *s, size_t len, size_t *pos) {
    size_t i = *pos;
    for (;;) {
        while (i < len && s[i] < 0x80 && !((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z') && !(s[i] >= '0' && s[i] <= '9')) i++;
        if (i >= len) {
            *pos = i;
            return 0;
        }
        uint64_t h = 0xcbf29ce484222325ull;
        if (s[i] >= 0x80) { /* one non-ASCII character */
            int k = sw_utf8_seq_len(s + i, len - i);
            if (k == 0) k = 1;
            for (int j = 0; j < k; j++) h = (h ^ s[i + (size_t)j]) * 0x100000001b3ull;
            int skip = k == 3 && s[i] == 0xE3 && s[i + 1] == 0x80 && s[i + 2] <= 0x82; /* ideographic space, 、 。 */
            i += (size_t)k;
            *pos = i;
            if (skip) continue;
            return h | 1;
        }
        while (i < len && s[i] < 0x80 && (((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z') || (s[i] >= '0' && s[i] <= '9'))) {
            unsigned char c = s[i++];
            if (c >= 'A' && c <= 'Z') c += 32;
            h = (h ^ c) * 0x100000001b3ull;
        }
        *pos = i;
        return h | 1;
    }
}

void sw_minhash(const char *text, size_t len, uint32_t sig[SW_MINHASH_K]) {
    coef_init();
    void (*update)(uint32_t *, const uint32_t *, const uint32_t *, const uint32_t *, size_t) =
        strcmp(sw_kernels_name(), "portable") != 0 ? sw_minhash_update_avx2 : sw_minhash_update_portable;
    memset(sig, 0xFF, sizeof(uint32_t) * SW_MINHASH_K);
    const unsigned char *s = (const unsigned char *)text;
    uint64_t win[SW_MINHASH_SHINGLE];
    uint32_t xs[SHINGLE_BATCH];
    size_t pos = 0, nx = 0, ntok = 0;
    uint64_t t;
    while ((t = next_token(s, len, &pos))) {
        win[ntok++ % SW_MINHASH_SHINGLE] = t;
        if (ntok < SW_MINHASH_SHINGLE) continue;
        uint64_t h = 0;
        for (size_t j = ntok - SW_MINHASH_SHINGLE; j < ntok; j++) h = h * 0x9E3779B97F4A7C15ull + win[j % SW_MINHASH_SHINGLE];
        uint64_t m = mix64(h);
        xs[nx++] = (uint32_t)(m >> 32) ^ (uint32_t)m;
        if (nx == SHINGLE_BATCH) update(sig, coef_a, coef_b, xs, nx), nx = 0;
    }
    if (ntok > 0 && ntok < SW_MINHASH_SHINGLE) { /* a short text is one shingle */
        uint64_t h = 0;
        for (size_t j = 0; j < ntok; j++) h = h * 0x9E3779B97F4A7C15ull + win[j];
        uint64_t m = mix64(h);
        xs[nx++] = (uint32_t)(m >> 32) ^ (uint32_t)m;
    }
    if (nx) update(sig, coef_a, coef_b, xs, nx);
}

double sw_minhash_jaccard(const uint32_t *a, const uint32_t *b) {
    int eq = 0;
    for (int i = 0; i < SW_MINHASH_K; i++) eq += a[i] == b[i];
    return (double)eq / SW_MINHASH_K;
}

/* ---- the LSH index ---- */
typedef struct {
    uint64_t key;  /* band key (never 0) */
    uint32_t head; /* first entry + 1 (0: empty slot) */
} slot;

typedef struct {
    uint32_t doc;  /* index into sigs */
    uint32_t next; /* next entry + 1 with the same key, 0: none */
} entry;

struct sw_lsh {
    slot *slots;
    size_t mask, used;
    entry *entries;
    size_t n_entries, cap_entries;
    uint32_t *sigs;
    int64_t *ids;
    size_t n_docs, cap_docs;
};

sw_lsh *sw_lsh_new(void) {
    sw_lsh *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->slots = calloc(LSH_INITIAL_SLOTS, sizeof *l->slots);
    if (!l->slots) return free(l), NULL;
    l->mask = LSH_INITIAL_SLOTS - 1;
    return l;
}

void sw_lsh_free(sw_lsh *l) {
    if (!l) return;
    free(l->slots);
    free(l->entries);
    free(l->sigs);
    free(l->ids);
    free(l);
}

static uint64_t band_key(const uint32_t *sig, int band) {
    uint64_t h = (uint64_t)band + 1;
    for (int r = 0; r < MINHASH_ROWS; r++) h = mix64(h * 0x9E3779B97F4A7C15ull + sig[band * MINHASH_ROWS + r]);
    return h ? h : 1;
}

static slot *find_slot(slot *slots, size_t mask, uint64_t key) {
    size_t i = (size_t)key & mask;
    while (slots[i].key && slots[i].key != key) i = (i + 1) & mask;
    return &slots[i];
}

/* Doubles the slot table. -1 on out of memory. */
static int grow_slots(sw_lsh *l) {
    size_t cap = (l->mask + 1) * 2;
    slot *ns = calloc(cap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i <= l->mask; i++)
        if (l->slots[i].key) *find_slot(ns, cap - 1, l->slots[i].key) = l->slots[i];
    free(l->slots);
    l->slots = ns;
    l->mask = cap - 1;
    return 0;
}

/* Reserves room for one more document and its band entries. -1 on out of memory. */
static int reserve(sw_lsh *l) {
    if (l->n_docs == l->cap_docs) {
        size_t nc = l->cap_docs ? l->cap_docs * 2 : 256;
        uint32_t *ns = realloc(l->sigs, nc * SW_MINHASH_K * sizeof *ns);
        if (!ns) return -1;
        l->sigs = ns;
        int64_t *ni = realloc(l->ids, nc * sizeof *ni);
        if (!ni) return -1;
        l->ids = ni;
        l->cap_docs = nc;
    }
    if (l->n_entries + SW_MINHASH_BANDS > l->cap_entries) {
        size_t nc = l->cap_entries ? l->cap_entries * 2 : 256 * SW_MINHASH_BANDS;
        entry *ne = realloc(l->entries, nc * sizeof *ne);
        if (!ne) return -1;
        l->entries = ne;
        l->cap_entries = nc;
    }
    while ((l->used + SW_MINHASH_BANDS) * 2 > l->mask + 1)
        if (grow_slots(l)) return -1;
    return 0;
}

int64_t sw_lsh_query_insert(sw_lsh *l, const uint32_t sig[SW_MINHASH_K], int64_t id, double threshold,
                            double *jaccard, int *oom) {
    *oom = 0;
    uint64_t keys[SW_MINHASH_BANDS];
    for (int b = 0; b < SW_MINHASH_BANDS; b++) {
        keys[b] = band_key(sig, b);
        slot *s = find_slot(l->slots, l->mask, keys[b]);
        for (uint32_t e = s->key ? s->head : 0; e; e = l->entries[e - 1].next) {
            uint32_t d = l->entries[e - 1].doc;
            double j = sw_minhash_jaccard(sig, l->sigs + (size_t)d * SW_MINHASH_K);
            if (j >= threshold) {
                if (jaccard) *jaccard = j;
                return l->ids[d];
            }
        }
    }
    if (reserve(l)) {
        *oom = 1;
        return -1;
    }
    uint32_t d = (uint32_t)l->n_docs++;
    memcpy(l->sigs + (size_t)d * SW_MINHASH_K, sig, sizeof(uint32_t) * SW_MINHASH_K);
    l->ids[d] = id;
    for (int b = 0; b < SW_MINHASH_BANDS; b++) {
        slot *s = find_slot(l->slots, l->mask, keys[b]);
        if (!s->key) s->key = keys[b], s->head = 0, l->used++;
        l->entries[l->n_entries] = (entry){d, s->head};
        s->head = (uint32_t)++l->n_entries;
    }
    return -1;
}
