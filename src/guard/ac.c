/* ac.c - an Aho-Corasick automaton compiled to a dense DFA over byte classes, so that
 * every keyword of every category is matched in one pass over the text.
 * Bytes that occur in no pattern share class 0, which keeps the table small. */
#include "guard_int.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define HIT 0x80000000u

struct gac {
    /* trie (build phase) */
    uint32_t *child, *sib; /* first child and next sibling of each node */
    uint8_t *label;
    uint32_t *out; /* head of the node's output list */
    size_t nnodes, capnodes;
    /* output lists */
    uint32_t *o_id, *o_len, *o_next;
    size_t nout, capout;
    /* compiled */
    uint8_t cls[256];
    uint32_t ncls;
    uint32_t *delta; /* nnodes x ncls */
    uint32_t *dict;  /* nearest proper suffix node with outputs, or NONE */
    uint8_t *hit;    /* node has outputs itself or through dict */
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
    free(a->o_id); free(a->o_len); free(a->o_next);
    free(a->delta); free(a->dict); free(a->hit);
    free(a);
}

int gac_add(gac *a, const char *p, size_t n, uint32_t id) {
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
        a->capout = cap;
    }
    uint32_t o = (uint32_t)a->nout++;
    a->o_id[o] = id;
    a->o_len[o] = (uint32_t)n;
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
    for (size_t u = 0; u < nn; u++) a->hit[u] = a->out[u] != NONE || a->dict[u] != NONE;
    free(fail);
    free(queue);
    /* the scan's table: each entry is the target's row offset (target x ncls), with the
     * top bit set when the target has outputs, so one load per byte drives the loop */
    if (nn * nc >= HIT) return -1;
    for (size_t i = 0; i < nn * nc; i++) {
        uint32_t t = a->delta[i];
        a->delta[i] = (uint32_t)(t * nc) | (a->hit[t] ? HIT : 0);
    }
    a->built = 1;
    return 0;
}

/* Reports the outputs of the state reached at byte i (its row) and of its suffixes. */
static inline int emit(const gac *a, uint32_t row, size_t i, gac_match_fn fn, void *ud) {
    for (uint32_t x = row / a->ncls; x != NONE; x = a->dict[x])
        for (uint32_t o = a->out[x]; o != NONE; o = a->o_next[o])
            if (fn(a->o_id[o], i + 1 - a->o_len[o], i + 1, ud)) return 1;
    return 0;
}

/* Walks p[from..n) from state row, reporting matches; 1 when fn stopped the walk. */
static int walk(const gac *a, const uint8_t *p, size_t from, size_t n, uint32_t row, gac_match_fn fn, void *ud) {
    const uint32_t *delta = a->delta;
    const uint8_t *cls = a->cls;
    for (size_t i = from; i < n; i++) {
        uint32_t t = delta[row + cls[p[i]]];
        row = t & ~HIT;
        if ((t & HIT) && emit(a, row, i, fn, ud)) return 1;
    }
    return 0;
}

int gac_scan(const gac *a, const char *s, size_t n, gac_match_fn fn, void *ud) {
    return a->built ? walk(a, (const uint8_t *)s, 0, n, 0, fn, ud) : 0;
}

int gac_scan2(const gac *a, const char *s1, size_t n1, gac_match_fn fn1, void *ud1, const char *s2, size_t n2,
              gac_match_fn fn2, void *ud2) {
    if (!a->built) return 0;
    const uint8_t *p = (const uint8_t *)s1, *q = (const uint8_t *)s2;
    const uint32_t *delta = a->delta;
    const uint8_t *cls = a->cls;
    uint32_t r1 = 0, r2 = 0;
    size_t i = 0, both = n1 < n2 ? n1 : n2;
    /* each step of a DFA waits for the load of the step before: two walks side by side
     * keep two loads in flight */
    for (; i < both; i++) {
        uint32_t t1 = delta[r1 + cls[p[i]]], t2 = delta[r2 + cls[q[i]]];
        r1 = t1 & ~HIT;
        r2 = t2 & ~HIT;
        if ((t1 & HIT) && emit(a, r1, i, fn1, ud1)) return 1;
        if ((t2 & HIT) && emit(a, r2, i, fn2, ud2)) return 1;
    }
    /* the longer text's rest, alone */
    return walk(a, p, i, n1, r1, fn1, ud1) || walk(a, q, i, n2, r2, fn2, ud2);
}
