/* state.c - the grammar's pushdown automaton over UTF-8 bytes, determinised lazily:
 * stacks of rule positions share their tails (interned nodes), a configuration (the set
 * of stacks, a partial UTF-8 sequence, whether the document is complete) is interned
 * too, and each configuration's transitions by byte are cached, so that masking walks
 * the token trie with one table look-up per trie node once a configuration is known. */
#include "grammar/state_int.h"

#include <stdlib.h>
#include <string.h>

#define HASH_MUL 0x9E3779B97F4A7C15ull

#define STATE_FIRST_CAP 64 /* elements of an automaton's array at its first growth */

static int grow(void **p, int32_t *cap, int32_t need, size_t sz) { return sw_g_grow(p, cap, need, sz, STATE_FIRST_CAP); }

static uint64_t mix(uint64_t h, uint64_t x) { return (h ^ x) * HASH_MUL; }

/* Rebuilds a chained hash table of 2 x count buckets; 0 or -1 (no memory). */
static int rehash(int32_t **head, int32_t *nbuckets, int32_t count, int32_t *next, const uint64_t *hashes) {
    int32_t nb = 1024;
    while (nb < 2 * count) nb *= 2;
    if (nb == *nbuckets) return 0;
    int32_t *h = malloc((size_t)nb * sizeof *h);
    if (!h) return -1;
    for (int32_t i = 0; i < nb; i++) h[i] = -1;
    for (int32_t i = 0; i < count; i++) {
        int32_t b = (int32_t)(hashes[i] & (uint64_t)(nb - 1));
        next[i] = h[b];
        h[b] = i;
    }
    free(*head);
    *head = h;
    *nbuckets = nb;
    return 0;
}

/* ---- stack nodes: (position, parent), interned ---- */

static uint64_t node_hash(int32_t pos, int32_t parent) { return mix(mix(17, (uint32_t)pos), (uint32_t)parent); }

/* The node (pos, parent), created when new. Its id, or -1 (no memory, limit). */
static int32_t node_intern(sw_grammar_state *s, int32_t pos, int32_t parent) {
    uint64_t h = node_hash(pos, parent);
    if (s->node_buckets) {
        for (int32_t i = s->node_head[h & (uint64_t)(s->node_buckets - 1)]; i >= 0; i = s->node_next[i])
            if (s->nodes[i].pos == pos && s->nodes[i].parent == parent) return i;
    }
    if (s->n_nodes >= SW_GS_MAX_NODES) return -1;
    int32_t cap = s->cap_nodes;
    if (grow((void **)&s->nodes, &s->cap_nodes, s->n_nodes + 1, sizeof *s->nodes) < 0) return -1;
    if (s->cap_nodes != cap) {
        int32_t c2 = cap;
        if (grow((void **)&s->node_next, &c2, s->cap_nodes, sizeof *s->node_next) < 0) return -1;
        c2 = cap;
        if (grow((void **)&s->node_hashes, &c2, s->cap_nodes, sizeof *s->node_hashes) < 0) return -1;
    }
    int32_t id = s->n_nodes++;
    int32_t pmin = parent >= 0 ? s->nodes[parent].min : 0;
    int32_t m = s->g->rest[pos] + pmin;
    s->nodes[id] = (sw_gnode){pos, parent, m > SW_G_INF ? SW_G_INF : m, pmin};
    s->node_hashes[id] = h;
    if (s->n_nodes > s->node_buckets) {
        if (rehash(&s->node_head, &s->node_buckets, s->n_nodes, s->node_next, s->node_hashes) < 0) return -1;
    } else {
        int32_t b = (int32_t)(h & (uint64_t)(s->node_buckets - 1));
        s->node_next[id] = s->node_head[b];
        s->node_head[b] = id;
    }
    return id;
}

/* ---- settling: from a position, down to the CHARS elements that can come next ---- */

typedef sw_gscratch scratch;

static void add_top(scratch *sc, int32_t node) {
    if (node < 0 || sc->n >= SW_GS_MAX_STACKS) {
        sc->failed = 1;
        return;
    }
    if (grow((void **)&sc->tops, &sc->cap, sc->n + 1, sizeof *sc->tops) < 0) sc->failed = 1;
    else sc->tops[sc->n++] = node;
}

/* Continues at element pos with the return chain parent: pops finished rules, expands
 * references into their alternatives, and records each stack whose top is a CHARS
 * element (or that the document is complete when the whole stack is popped). */
static void settle(sw_grammar_state *s, int32_t pos, int32_t parent, scratch *sc) {
    const sw_grammar *g = s->g;
    for (;;) {
        const sw_gelem *e = &g->el[pos];
        if (e->kind == SW_GE_CHARS) {
            add_top(sc, node_intern(s, pos, parent));
            return;
        }
        if (e->kind == SW_GE_END || e->kind == SW_GE_ALT) {
            if (parent < 0) {
                sc->accepting = 1;
                return;
            }
            pos = s->nodes[parent].pos;
            parent = s->nodes[parent].parent;
            continue;
        }
        /* a reference: returning to an END needs no frame (right recursion stays flat) */
        int32_t kind_next = g->el[pos + 1].kind, ret = parent;
        if (kind_next != SW_GE_END && kind_next != SW_GE_ALT) {
            ret = node_intern(s, pos + 1, parent);
            if (ret < 0) {
                sc->failed = 1;
                return;
            }
        }
        int32_t a = g->rule_start[e->arg];
        for (;;) {
            settle(s, a, ret, sc);
            while (g->el[a].kind != SW_GE_END && g->el[a].kind != SW_GE_ALT) a++;
            if (g->el[a].kind == SW_GE_END) break;
            a++;
        }
        return;
    }
}

/* ---- configurations, interned ---- */

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t cfg_hash(const int32_t *tops, int32_t n, const sw_gcfg *c) {
    uint64_t h = mix(mix(mix(29, c->acc), c->need | (uint64_t)c->seqlen << 8), c->accepting);
    for (int32_t i = 0; i < n; i++) h = mix(h, (uint32_t)tops[i]);
    return h;
}

static int cfg_equal(const sw_grammar_state *s, const sw_gcfg *a, const int32_t *tops, int32_t n, const sw_gcfg *k) {
    return a->n == n && a->acc == k->acc && a->need == k->need && a->seqlen == k->seqlen &&
           a->accepting == k->accepting && (n == 0 || !memcmp(s->tops + a->first, tops, (size_t)n * sizeof *tops));
}

/* Fewest bytes to complete from a configuration. */
static int32_t cfg_min(const sw_grammar_state *s, const int32_t *tops, int32_t n, const sw_gcfg *k) {
    if (k->accepting) return 0;
    int32_t best = SW_G_INF;
    for (int32_t i = 0; i < n; i++) {
        const sw_gnode *t = &s->nodes[tops[i]];
        int32_t m = k->need ? k->need + s->g->rest[t->pos + 1] + t->pmin : t->min;
        if (m < best) best = m;
    }
    return best > SW_G_INF ? SW_G_INF : best;
}

/* The configuration of the (sorted, unique) tops and key fields. Id, or -1. */
static int32_t cfg_intern(sw_grammar_state *s, const int32_t *tops, int32_t n, sw_gcfg key) {
    uint64_t h = cfg_hash(tops, n, &key);
    for (int32_t i = s->cfg_head[h & (uint64_t)(s->cfg_buckets - 1)]; i >= 0; i = s->cfg_next[i])
        if (cfg_equal(s, &s->cfgs[i], tops, n, &key)) return i;
    if (s->n_cfgs >= SW_GS_MAX_CFGS) return -1;
    int32_t cap = s->cap_cfgs;
    if (grow((void **)&s->cfgs, &s->cap_cfgs, s->n_cfgs + 1, sizeof *s->cfgs) < 0 ||
        grow((void **)&s->tops, &s->cap_tops, s->n_tops + n, sizeof *s->tops) < 0)
        return -1;
    if (s->cap_cfgs != cap) {
        int32_t c2 = cap;
        if (grow((void **)&s->cfg_next, &c2, s->cap_cfgs, sizeof *s->cfg_next) < 0) return -1;
        c2 = cap;
        if (grow((void **)&s->cfg_hashes, &c2, s->cap_cfgs, sizeof *s->cfg_hashes) < 0) return -1;
    }
    int32_t id = s->n_cfgs++;
    if (n > 0) memcpy(s->tops + s->n_tops, tops, (size_t)n * sizeof *tops);
    key.first = s->n_tops;
    key.n = n;
    key.min = cfg_min(s, tops, n, &key);
    key.trans = -1;
    key.mask_slot = -1;
    s->n_tops += n;
    s->cfgs[id] = key;
    s->cfg_hashes[id] = h;
    if (s->n_cfgs > s->cfg_buckets) return rehash(&s->cfg_head, &s->cfg_buckets, s->n_cfgs, s->cfg_next, s->cfg_hashes) < 0 ? -1 : id;
    int32_t b = (int32_t)(h & (uint64_t)(s->cfg_buckets - 1));
    s->cfg_next[id] = s->cfg_head[b];
    s->cfg_head[b] = id;
    return id;
}

/* Interns the scratch's stacks (sorted, duplicates dropped) with the UTF-8 fields. */
static int32_t cfg_from_scratch(sw_grammar_state *s, scratch *sc, uint32_t acc, int need, int seqlen) {
    if (sc->failed) return SW_GS_DEAD;
    if (sc->n > 1) qsort(sc->tops, (size_t)sc->n, sizeof *sc->tops, cmp_i32);
    int32_t k = 0;
    for (int32_t i = 0; i < sc->n; i++)
        if (k == 0 || sc->tops[k - 1] != sc->tops[i]) sc->tops[k++] = sc->tops[i];
    if (k == 0 && !sc->accepting) return SW_GS_DEAD;
    sw_gcfg key = {0};
    key.acc = acc;
    key.need = (uint8_t)need;
    key.seqlen = (uint8_t)seqlen;
    key.accepting = (uint8_t)(sc->accepting && need == 0);
    int32_t id = cfg_intern(s, sc->tops, k, key);
    return id < 0 ? SW_GS_DEAD : id;
}

/* ---- stepping by one byte ---- */

/* After a whole code point: every stack whose top admits cp moves past it. */
static int32_t advance_cp(sw_grammar_state *s, int32_t c, uint32_t cp) {
    scratch *sc = &s->sc;
    sc->n = 0;
    sc->accepting = sc->failed = 0;
    int32_t first = s->cfgs[c].first, n = s->cfgs[c].n;
    for (int32_t i = 0; i < n; i++) {
        sw_gnode t = s->nodes[s->tops[first + i]];
        if (sw_g_set_has(s->g, s->g->el[t.pos].arg, cp)) settle(s, t.pos + 1, t.parent, sc);
    }
    return cfg_from_scratch(s, sc, 0, 0, 0);
}

/* Inside a code point: keeps the stacks whose top admits some code point that starts
 * with the bytes so far (acc, with need continuation bytes to come). */
static const uint32_t min_cp_of_len[5] = {0, 0, 0x80, 0x800, 0x10000};
static const uint32_t max_cp_of_len[5] = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};

static int32_t keep_partial(sw_grammar_state *s, int32_t c, uint32_t acc, int need, int seqlen) {
    scratch *sc = &s->sc;
    sc->n = 0;
    sc->accepting = sc->failed = 0;
    uint32_t lo = acc << (6 * need), hi = lo | ((1u << (6 * need)) - 1);
    /* what a well-formed sequence of this length can still become (no overlong forms) */
    if (lo < min_cp_of_len[seqlen]) lo = min_cp_of_len[seqlen];
    if (hi > max_cp_of_len[seqlen]) hi = max_cp_of_len[seqlen];
    if (lo > hi || (lo >= 0xD800 && hi <= 0xDFFF)) return SW_GS_DEAD; /* surrogates are not characters */
    int32_t first = s->cfgs[c].first, n = s->cfgs[c].n;
    for (int32_t i = 0; i < n; i++) {
        int32_t id = s->tops[first + i];
        if (sw_g_set_meets(s->g, s->g->el[s->nodes[id].pos].arg, lo, hi)) add_top(sc, id);
    }
    return cfg_from_scratch(s, sc, acc, need, seqlen);
}

static int32_t step_uncached(sw_grammar_state *s, int32_t c, uint8_t b) {
    const sw_gcfg cfg = s->cfgs[c];
    if (cfg.need > 0) {
        if ((b & 0xC0) != 0x80) return SW_GS_DEAD;
        uint32_t acc = cfg.acc << 6 | (b & 0x3Fu);
        if (cfg.need > 1) return keep_partial(s, c, acc, cfg.need - 1, cfg.seqlen);
        if (acc < min_cp_of_len[cfg.seqlen] || acc > 0x10FFFF || (acc >= 0xD800 && acc <= 0xDFFF)) return SW_GS_DEAD;
        return advance_cp(s, c, acc);
    }
    if (b < 0x80) return advance_cp(s, c, b);
    int len = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    if (!len) return SW_GS_DEAD;
    return keep_partial(s, c, b & (0x7Fu >> len), len - 1, len);
}

int32_t sw_gs_step(sw_grammar_state *s, int32_t c, uint8_t b) {
    if (c == SW_GS_DEAD) return SW_GS_DEAD;
    int32_t t = s->cfgs[c].trans;
    if (t < 0 && s->n_trans < SW_GS_MAX_TRANS_BLOCKS) {
        if (grow((void **)&s->trans, &s->cap_trans, (s->n_trans + 1) * 256, sizeof *s->trans) == 0) {
            t = s->n_trans++;
            memset(s->trans + (size_t)t * 256, 0, 256 * sizeof *s->trans);
            s->cfgs[c].trans = t;
        }
    }
    if (t >= 0 && s->trans[(size_t)t * 256 + b]) return s->trans[(size_t)t * 256 + b] - 1;
    int32_t r = step_uncached(s, c, b);
    if (t >= 0) s->trans[(size_t)t * 256 + b] = r + 1;
    return r;
}

int32_t sw_gs_step_bytes(sw_grammar_state *s, int32_t c, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n && c != SW_GS_DEAD; i++) c = sw_gs_step(s, c, p[i]);
    return c;
}

/* ---- life cycle ---- */

int sw_gs_init(sw_grammar_state *s, sw_err *err) {
    s->cfg_buckets = 1024;
    s->cfg_head = malloc((size_t)s->cfg_buckets * sizeof *s->cfg_head);
    if (!s->cfg_head) return sw_err_set(err, "grammar state: out of memory");
    for (int32_t i = 0; i < s->cfg_buckets; i++) s->cfg_head[i] = -1;
    scratch *sc = &s->sc;
    sc->n = 0;
    sc->accepting = sc->failed = 0;
    /* the dead configuration (no stack, not complete) is id 0 */
    sw_gcfg dead = {0};
    if (cfg_intern(s, NULL, 0, dead) != SW_GS_DEAD) return sw_err_set(err, "grammar state: out of memory");
    /* the start: root's alternatives, with nothing to return to */
    const sw_grammar *g = s->g;
    int32_t a = g->rule_start[g->root];
    for (;;) {
        settle(s, a, -1, sc);
        while (g->el[a].kind != SW_GE_END && g->el[a].kind != SW_GE_ALT) a++;
        if (g->el[a].kind == SW_GE_END) break;
        a++;
    }
    s->cur = cfg_from_scratch(s, sc, 0, 0, 0);
    if (s->cur == SW_GS_DEAD) return sw_err_set(err, "grammar state: the grammar's start is too ambiguous or too large");
    return 0;
}

void sw_gs_release(sw_grammar_state *s) {
    free(s->nodes);
    free(s->node_next);
    free(s->node_hashes);
    free(s->node_head);
    free(s->cfgs);
    free(s->cfg_next);
    free(s->cfg_hashes);
    free(s->cfg_head);
    free(s->tops);
    free(s->trans);
    free(s->sc.tops);
}
