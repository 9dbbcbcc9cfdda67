/* sample.c - the harm sample of each source (`harm-scan sample`): a bottom-k sketch of the
 * documents' content hashes, so that the sample is random, the same on every run, on any
 * thread count and after any interruption, and checkable from lineage.jsonl. */
#include "build_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define SAMPLE_SLOTS0 64 /* initial slots of the source table (a power of two) */

/* One source: its population past the licence stage and a max-heap of its k smallest hashes. */
typedef struct {
    char *name;
    uint64_t population, *heap;
    size_t n, cap;
} sample_src;

struct sw_data_sample {
    int k;
    sample_src *slots; /* open addressing by the name's hash */
    size_t n_slots, used;
};

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

sw_data_sample *sw_data_sample_new(int k) {
    sw_data_sample *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->k = k > 0 ? k : 1;
    s->n_slots = SAMPLE_SLOTS0;
    if (!(s->slots = calloc(s->n_slots, sizeof *s->slots))) return free(s), NULL;
    return s;
}

void sw_data_sample_free(sw_data_sample *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_slots; i++) free(s->slots[i].name), free(s->slots[i].heap);
    free(s->slots);
    free(s);
}

/* The slot of name in slots (its own or the empty one where it would go). */
static sample_src *slot_of(sample_src *slots, size_t n_slots, const char *name) {
    size_t i = (size_t)name_hash(name) & (n_slots - 1);
    while (slots[i].name && strcmp(slots[i].name, name) != 0) i = (i + 1) & (n_slots - 1);
    return &slots[i];
}

/* Doubles the table. -1 on OOM. */
static int grow(sw_data_sample *s) {
    size_t n = s->n_slots * 2;
    sample_src *t = calloc(n, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < s->n_slots; i++)
        if (s->slots[i].name) *slot_of(t, n, s->slots[i].name) = s->slots[i];
    free(s->slots);
    s->slots = t, s->n_slots = n;
    return 0;
}

static const sample_src *find(const sw_data_sample *s, const char *name) {
    const sample_src *e = slot_of(s->slots, s->n_slots, name);
    return e->name ? e : NULL;
}

/* Pushes h into the max-heap of e, keeping its k smallest values. -1 on OOM. */
static int heap_offer(sample_src *e, size_t k, uint64_t h) {
    if (e->n == k) {
        if (h >= e->heap[0]) return 0;
        size_t i = 0; /* replace the largest and sift down */
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= e->n) break;
            if (c + 1 < e->n && e->heap[c + 1] > e->heap[c]) c++;
            if (e->heap[c] <= h) break;
            e->heap[i] = e->heap[c], i = c;
        }
        e->heap[i] = h;
        return 0;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        if (cap > k) cap = k;
        uint64_t *p = realloc(e->heap, cap * sizeof *p);
        if (!p) return -1;
        e->heap = p, e->cap = cap;
    }
    size_t i = e->n++; /* sift up */
    while (i && e->heap[(i - 1) / 2] < h) e->heap[i] = e->heap[(i - 1) / 2], i = (i - 1) / 2;
    e->heap[i] = h;
    return 0;
}

int sw_data_sample_add(sw_data_sample *s, const char *source, uint64_t hash) {
    if (2 * (s->used + 1) > s->n_slots && grow(s)) return -1;
    sample_src *e = slot_of(s->slots, s->n_slots, source);
    if (!e->name) {
        if (!(e->name = strdup(source))) return -1;
        s->used++;
    }
    e->population++;
    return heap_offer(e, (size_t)s->k, hash);
}

int sw_data_sample_in(const sw_data_sample *s, const char *source, uint64_t hash) {
    const sample_src *e = source ? find(s, source) : NULL;
    if (!e || e->n < (size_t)s->k) return 1; /* a source of k documents or fewer: all of them */
    return hash <= e->heap[0];
}

uint64_t sw_data_sample_population(const sw_data_sample *s, const char *source) {
    const sample_src *e = find(s, source);
    return e ? e->population : 0;
}

uint64_t sw_data_content_hash(const uint8_t sha[SW_SHA256_BYTES]) {
    uint64_t h = 0;
    for (int i = 0; i < 8; i++) h = h << 8 | sha[i];
    return h;
}

void sw_data_wilson(uint64_t x, uint64_t n, double *lo, double *hi) {
    if (!n) return (void)(*lo = 0, *hi = 1);
    const double z = 1.959963984540054, nn = (double)n, p = (double)x / nn;
    double den = 1 + z * z / nn, mid = (p + z * z / (2 * nn)) / den;
    double half = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / den;
    *lo = mid - half < 0 ? 0 : mid - half;
    *hi = mid + half > 1 ? 1 : mid + half;
}

/* The source and content hash of one raw document when it passes the licence stage
 * (*src malloc'd, NULL when it does not). -1 on OOM. */
static int sample_key(const sw_data_build_ctx *b, sw_data_raw *raw, char **src, uint64_t *hash) {
    sw_data_doc d = {0};
    *src = NULL;
    json_t *rec = json_pack("{s:[]}", "decisions");
    if (!rec) return -1;
    int rc = 0;
    if (sw_data_make_doc(b, raw, &d, rec) == 0 && !sw_data_licence_rule(b->stages.policy, &d)) {
        uint8_t sha[SW_SHA256_BYTES];
        sw_sha256(d.text, d.len, sha);
        *hash = sw_data_content_hash(sha);
        *src = d.source, d.source = NULL;
    }
    json_decref(rec);
    sw_data_doc_clear(&d);
    return rc;
}

/* Adds one chunk of raw documents (their keys found on all threads) in input order. */
static int sample_chunk(sw_data_build_ctx *b, sw_data_sample *s, sw_data_raw *raws, size_t n, sw_err *err) {
    char **src = calloc(n ? n : 1, sizeof *src);
    uint64_t *hash = calloc(n ? n : 1, sizeof *hash);
    int failed = 0, rc = 0;
    if (!src || !hash) failed = 1;
#pragma omp parallel for schedule(dynamic, 16) num_threads(b->threads) reduction(| : failed)
    for (size_t i = 0; i < (src && hash ? n : 0); i++) failed |= sample_key(b, &raws[i], &src[i], &hash[i]) != 0;
    for (size_t i = 0; i < n && !failed && rc == 0; i++)
        if (src[i]) rc = sw_data_sample_add(s, src[i], hash[i]);
    for (size_t i = 0; src && i < n; i++) free(src[i]);
    free(src);
    free(hash);
    return failed || rc ? sw_err_set(err, "out of memory sampling the sources") : 0;
}

int sw_data_pass0(sw_data_build_ctx *b, sw_err *err) {
    if (!(b->sample = sw_data_sample_new(b->stages.policy->harm_sample))) return sw_err_set(err, "out of memory");
    sw_data_reader r = {.inputs = b->o->inputs, .n_inputs = b->o->n_inputs};
    size_t cap = (size_t)b->chunk_docs;
    sw_data_raw *raws = calloc(cap, sizeof *raws);
    if (!raws) return sw_err_set(err, "out of memory");
    int rc = 0, got = 1;
    uint64_t docs = 0, bytes = 0;
    while (rc == 0 && got == 1) {
        size_t n = 0;
        while (n < cap && (got = sw_data_reader_next(&r, &raws[n], 1, err)) == 1) n++;
        if (got < 0) rc = -1;
        if (rc == 0 && n) rc = sample_chunk(b, b->sample, raws, n, err);
        for (size_t i = 0; i < n; i++) bytes += raws[i].len, free(raws[i].text);
        docs += n;
        if (b->o->progress && n) b->o->progress(b->o->progress_ud, docs, bytes, "sample");
    }
    sw_data_reader_close(&r);
    free(raws);
    b->stages.sample = rc == 0 ? b->sample : NULL;
    return rc;
}
