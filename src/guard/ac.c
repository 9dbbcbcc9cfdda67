/* ac.c - an Aho-Corasick automaton compiled to a dense DFA over byte classes, so that
 * every keyword of every category is matched in one pass over the text.
 * Bytes that occur in no pattern share class 0, which keeps the table small. */
#include "guard_int.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define HIT 0x80000000u  /* the target state has outputs without GAC_SET2 (itself or through dict) */
#define HIT2 0x40000000u /* ... with GAC_SET2 */
#define ENDS 0x20000000u /* ... and those without GAC_SET2 all have GAC_WORD_END */
#define ROW (ENDS - 1)   /* the target's row offset */

struct gac {
    /* trie (build phase) */
    uint32_t *child, *sib; /* first child and next sibling of each node */
    uint8_t *label;
    uint32_t *out; /* head of the node's output list */
    size_t nnodes, capnodes;
    /* output lists */
    uint32_t *o_id, *o_len, *o_next;
    uint8_t *o_flags; /* GAC_* of each output */
    size_t nout, capout;
    /* compiled */
    uint8_t cls[256];
    uint32_t ncls;
    uint32_t *delta; /* nnodes x ncls */
    uint64_t inv;    /* 2^32 / ncls + 1: a row offset times inv, >> 32, is its state */
    uint32_t *dict;  /* nearest proper suffix node with outputs, or NONE */
    uint8_t *hit;    /* what outputs the node has itself or through dict: 1 plain, 2 GAC_SET2,
                      * 4 plain without GAC_WORD_END */
    int built;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t nptr) {
    (void)nptr;
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    return 0;
}

static int node_reserve(gac *a) {
    if (a->nnodes < a->capnodes) return 0;
    size_t cap = a->capnodes ? a->capnodes * 2 : 1024, c0;
    c0 = a->capnodes; if (grow((void **)&a->child, &c0, cap, sizeof(uint32_t), 0) < 0) return -1;
    c0 = a->capnodes; if (grow((void **)&a->sib, &c0, cap, sizeof(uint32_t), 0) < 0) return -1;
    c0 = a->capnodes; if (grow((void **)&a->out, &c0, cap, sizeof(uint32_t), 0) < 0) return -1;
    c0 = a->capnodes; if (grow((void **)&a->label, &c0, cap, 1, 0) < 0) return -1;
    a->capnodes = cap;
    return 0;
}

static uint32_t new_node(gac *a, uint8_t label) {
    if (node_reserve(a) < 0) return NONE;
    uint32_t n = (uint32_t)a->nnodes++;
    a->child[n] = a->sib[n] = a->out[n] = NONE;
    a->label[n] = label;
    return n;
}

gac *gac_new(void) {
    gac *a = calloc(1, sizeof *a);
    if (!a || new_node(a, 0) == NONE) {
        gac_free(a);
        return NULL;
    }
    return a;
}

void gac_free(gac *a) {
    if (!a) return;
    free(a->child); free(a->sib); free(a->label); free(a->out);
    free(a->o_id); free(a->o_len); free(a->o_next); free(a->o_flags);
    free(a->delta); free(a->dict); free(a->hit);
    free(a);
}

int gac_add(gac *a, const char *p, size_t n, uint32_t id, uint8_t flags) {
    if (a->built || n == 0 || n > 0xFFFF) return -1;
    uint32_t u = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)p[i];
        uint32_t c = a->child[u];
        while (c != NONE && a->label[c] != b) c = a->sib[c];
        if (c == NONE) {
            c = new_node(a, b);
            if (c == NONE) return -1;
            a->sib[c] = a->child[u];
            a->child[u] = c;
        }
        u = c;
    }
    if (a->nout == a->capout) {
        size_t cap = a->capout ? a->capout * 2 : 256, c0;
        c0 = a->capout; if (grow((void **)&a->o_id, &c0, cap, sizeof(uint32_t), 0) < 0) return -1;
        c0 = a->capout; if (grow((void **)&a->o_len, &c0, cap, sizeof(uint32_t), 0) < 0) return -1;
        c0 = a->capout; if (grow((void **)&a->o_next, &c0, cap, sizeof(uint32_t), 0) < 0) return -1;
        c0 = a->capout; if (grow((void **)&a->o_flags, &c0, cap, 1, 0) < 0) return -1;
        a->capout = cap;
    }
    uint32_t o = (uint32_t)a->nout++;
    a->o_id[o] = id;
    a->o_len[o] = (uint32_t)n;
    a->o_flags[o] = flags;
    a->o_next[o] = a->out[u];
    a->out[u] = o;
    return 0;
}

size_t gac_states(const gac *a) { return a->nnodes; }

int gac_build(gac *a) {
    if (a->built) return 0;
    /* byte classes: one per byte used by some pattern, 0 for all others */
    memset(a->cls, 0, sizeof a->cls);
    a->ncls = 1;
    for (size_t i = 1; i < a->nnodes; i++)
        if (!a->cls[a->label[i]]) a->cls[a->label[i]] = (uint8_t)a->ncls++;
    size_t nn = a->nnodes, nc = a->ncls;
    a->delta = malloc(nn * nc * sizeof(uint32_t));
    a->dict = malloc(nn * sizeof(uint32_t));
    a->hit = calloc(nn, 1);
    uint32_t *fail = malloc(nn * sizeof(uint32_t));
    uint32_t *queue = malloc(nn * sizeof(uint32_t));
    if (!a->delta || !a->dict || !a->hit || !fail || !queue) {
        free(fail);
        free(queue);
        return -1;
    }
    size_t qh = 0, qt = 0;
    uint32_t *row0 = a->delta;
    for (size_t c = 0; c < nc; c++) row0[c] = 0;
    fail[0] = 0;
    a->dict[0] = NONE;
    for (uint32_t c = a->child[0]; c != NONE; c = a->sib[c]) {
        row0[a->cls[a->label[c]]] = c;
        fail[c] = 0;
        a->dict[c] = NONE;
        queue[qt++] = c;
    }
    while (qh < qt) {
        uint32_t u = queue[qh++];
        uint32_t *row = a->delta + (size_t)u * nc, *frow = a->delta + (size_t)fail[u] * nc;
        memcpy(row, frow, nc * sizeof(uint32_t));
        for (uint32_t c = a->child[u]; c != NONE; c = a->sib[c]) {
            uint32_t k = a->cls[a->label[c]];
            uint32_t f = frow[k];
            fail[c] = f;
            a->dict[c] = a->out[f] != NONE ? f : a->dict[f];
            row[k] = c;
            queue[qt++] = c;
        }
    }
    for (size_t q = 0; q < qt; q++) { /* breadth first: a node's dict is shallower */
        uint32_t u = queue[q];
        for (uint32_t o = a->out[u]; o != NONE; o = a->o_next[o]) {
            uint8_t f = a->o_flags[o];
            a->hit[u] |= f & GAC_SET2 ? 2 : f & GAC_WORD_END ? 1 : 1 | 4;
        }
        if (a->dict[u] != NONE) a->hit[u] |= a->hit[a->dict[u]];
    }
    free(fail);
    free(queue);
    /* the scan's table: each entry is the target's row offset (target x ncls), with the
     * top bits telling what outputs the target has, so one load per byte drives the loop */
    if (nn * nc > ROW) return -1;
    /* row offsets are below 2^29, so (row * inv) >> 32 is row / nc exactly (the error is
     * under row / 2^32 < 1/2) without a division on every hit */
    a->inv = ((uint64_t)1 << 32) / nc + 1;
    static const uint32_t BITS[8] = {0, HIT | ENDS, HIT2, HIT | HIT2 | ENDS, 0, HIT, HIT2, HIT | HIT2}; /* by hit */
    for (size_t i = 0; i < nn * nc; i++) {
        uint32_t t = a->delta[i];
        a->delta[i] = (uint32_t)(t * nc) | BITS[a->hit[t]];
    }
    a->built = 1;
    return 0;
}

/* 1 when a word starts at byte s of t: the text's start, after a space or a non-ASCII
 * byte, or inside a glued run. */
static inline int word_start(const gac_text *t, size_t s) {
    if (s == 0) return 1;
    unsigned char c = (unsigned char)t->s[s - 1];
    return c == ' ' || c >= 0x80 || (t->glue && t->glue[s - 1] && t->glue[s]);
}

/* 1 when a word ends before byte e of t: the text's end, a space or a non-ASCII byte at
 * e, or inside a glued run. */
static inline int word_end(const gac_text *t, size_t e) {
    if (e >= t->n) return 1;
    unsigned char c = (unsigned char)t->s[e];
    return c == ' ' || c >= 0x80 || (t->glue && t->glue[e - 1] && t->glue[e]);
}

/* Reports the outputs of the state reached at byte i of t (its row) and of its suffixes
 * that t asks for; 1 when t's fn stopped the walk. */
static inline int emit(const gac_text *t, uint32_t row, size_t i) {
    const gac *a = t->a;
    uint8_t set = t->set2 ? GAC_SET2 : 0;
    for (uint32_t x = (uint32_t)((row * a->inv) >> 32); x != NONE; x = a->dict[x])
        for (uint32_t o = a->out[x]; o != NONE; o = a->o_next[o]) {
            uint8_t f = a->o_flags[o];
            size_t s = i + 1 - a->o_len[o];
            if ((f & GAC_SET2) != set) continue;
            if (!set && (((f & GAC_WORD) && !word_start(t, s)) || ((f & GAC_WORD_END) && !word_end(t, i + 1))))
                continue;
            if (t->fn(a->o_id[o], s, i + 1, t->ud)) return 1;
        }
    return 0;
}

/* A walk in progress: what one step reads, held in registers. */
typedef struct {
    const gac_text *t;
    const uint32_t *delta;
    const uint8_t *cls;
    const unsigned char *s;
    uint32_t hit; /* HIT or HIT2: the outputs t asks for */
} walker;

static walker walker_of(const gac_text *t) {
    return (walker){t, t->a->delta, t->a->cls, (const unsigned char *)t->s, t->set2 ? HIT2 : HIT};
}

/* One step of walk w at byte i from state *row; 1 when its fn stopped the walk. */
static inline int step(const walker *w, uint32_t *row, size_t i) {
    uint32_t x = w->delta[*row + w->cls[w->s[i]]];
    *row = x & ROW;
    if (!(x & w->hit)) return 0;
    /* no output of the state can end here: the common case of a key that begins a word */
    if ((x & ENDS) && w->hit == HIT && !word_end(w->t, i + 1)) return 0;
    return emit(w->t, *row, i);
}

/* Walks bytes [from, to) of k texts (1 to 3) side by side from states row[]: each step
 * of a DFA waits for the load of the step before, so walks side by side keep k loads in
 * flight. 1 when a fn stopped the walk. */
static int walk(const gac_text *const *t, uint32_t *row, size_t k, size_t from, size_t to) {
    walker w0 = walker_of(t[0]), w1 = walker_of(t[k > 1 ? 1 : 0]), w2 = walker_of(t[k > 2 ? 2 : 0]);
    uint32_t r0 = row[0], r1 = k > 1 ? row[1] : 0, r2 = k > 2 ? row[2] : 0;
    size_t i = from;
    if (k == 3)
        for (; i < to; i++)
            if (step(&w0, &r0, i) || step(&w1, &r1, i) || step(&w2, &r2, i)) return 1;
    if (k == 2)
        for (; i < to; i++)
            if (step(&w0, &r0, i) || step(&w1, &r1, i)) return 1;
    if (k == 1)
        for (; i < to; i++)
            if (step(&w0, &r0, i)) return 1;
    row[0] = r0;
    if (k > 1) row[1] = r1;
    if (k > 2) row[2] = r2;
    return 0;
}

int gac_scan_texts(const gac_text *texts, size_t k) {
    const gac_text *t[GAC_MAX_TEXTS];
    uint32_t row[GAC_MAX_TEXTS] = {0};
    size_t live = 0, i = 0;
    for (size_t j = 0; j < k && j < GAC_MAX_TEXTS; j++)
        if (texts[j].a->built && texts[j].n > 0) t[live++] = &texts[j];
    while (live > 0) {
        size_t to = t[0]->n; /* side by side up to the end of the shortest text */
        for (size_t j = 1; j < live; j++)
            if (t[j]->n < to) to = t[j]->n;
        if (walk(t, row, live, i, to)) return 1;
        i = to;
        size_t w = 0; /* the texts that go on */
        for (size_t j = 0; j < live; j++)
            if (t[j]->n > to) {
                t[w] = t[j];
                row[w++] = row[j];
            }
        live = w;
    }
    return 0;
}

int gac_scan(const gac *a, const char *s, size_t n, gac_match_fn fn, void *ud) {
    gac_text t = {a, s, n, fn, ud, 0, NULL};
    return gac_scan_texts(&t, 1);
}
