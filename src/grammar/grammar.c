/* grammar.c - building a compiled grammar: rules collected by name, code-point sets,
 * flattening, fewest-bytes analysis and the checks (undefined, endless, left-recursive). */
#include "grammar/grammar_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SW_G_MAX_NAME 256

#define G_FIRST_CAP 16 /* elements of a grammar's array at its first growth */

int sw_g_grow(void **p, int32_t *cap, int32_t need, size_t sz, int32_t first) {
    if (need <= *cap) return 0;
    int32_t nc = *cap ? *cap : first;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, (size_t)nc * sz);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static int grow(void **p, int32_t *cap, int32_t need, size_t sz) { return sw_g_grow(p, cap, need, sz, G_FIRST_CAP); }

static int utf8_len(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

/* ---- sets ---- */

static int cmp_range(const void *a, const void *b) {
    const sw_grange *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int32_t sw_g_add_set(sw_grammar *g, const sw_grange *r, int n, int neg, sw_err *err) {
    if (grow((void **)&g->sets, &g->n_sets_cap, g->n_sets + 1, sizeof *g->sets) < 0 ||
        grow((void **)&g->ranges, &g->n_ranges_cap, g->n_ranges + n, sizeof *g->ranges) < 0)
        return sw_err_set(err, "grammar: out of memory");
    int k = 0;
    sw_grange *dst = n > 0 ? g->ranges + g->n_ranges : NULL;
    if (n > 0) {
        memcpy(dst, r, (size_t)n * sizeof *r);
        qsort(dst, (size_t)n, sizeof *dst, cmp_range);
    }
    for (int i = 0; i < n; i++) {
        sw_grange x = dst[i];
        if (x.hi > 0x10FFFF) x.hi = 0x10FFFF;
        if (x.lo > x.hi) continue;
        if (k > 0 && x.lo <= dst[k - 1].hi + 1) {
            if (x.hi > dst[k - 1].hi) dst[k - 1].hi = x.hi;
        } else {
            dst[k++] = x;
        }
    }
    g->sets[g->n_sets] = (sw_gset){g->n_ranges, k, (uint8_t)(neg != 0)};
    g->n_ranges += k;
    return g->n_sets++;
}

/* Index of the first range of set s whose hi >= cp (n when none). */
static int32_t first_at_or_above(const sw_grammar *g, const sw_gset *s, uint32_t cp) {
    int32_t lo = 0, hi = s->n;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (g->ranges[s->first + mid].hi < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int sw_g_set_has(const sw_grammar *g, int32_t si, uint32_t cp) {
    const sw_gset *s = &g->sets[si];
    int32_t i = first_at_or_above(g, s, cp);
    int in = i < s->n && g->ranges[s->first + i].lo <= cp;
    return in != s->neg;
}

int sw_g_set_meets(const sw_grammar *g, int32_t si, uint32_t lo, uint32_t hi) {
    const sw_gset *s = &g->sets[si];
    int32_t i = first_at_or_above(g, s, lo);
    if (!s->neg) return i < s->n && g->ranges[s->first + i].lo <= hi;
    if (i >= s->n || g->ranges[s->first + i].lo > lo) return 1; /* lo itself is outside */
    return g->ranges[s->first + i].hi < hi;
}

uint32_t sw_g_set_min(const sw_grammar *g, int32_t si) {
    const sw_gset *s = &g->sets[si];
    if (!s->neg) return s->n ? g->ranges[s->first].lo : 0x110000;
    if (!s->n || g->ranges[s->first].lo > 0) return 0;
    return g->ranges[s->first].hi + 1;
}

/* ---- the builder ---- */

int sw_gb_init(sw_gbuild *b, sw_err *err) {
    memset(b, 0, sizeof *b);
    b->g = calloc(1, sizeof *b->g);
    if (!b->g) return sw_err_set(err, "grammar: out of memory");
    return 0;
}

void sw_gb_free(sw_gbuild *b) {
    for (int32_t i = 0; i < b->n_rules; i++) {
        free(b->rules[i].el);
        free(b->rules[i].name);
    }
    free(b->rules);
    sw_grammar_free(b->g);
    memset(b, 0, sizeof *b);
}

static int32_t new_rule(sw_gbuild *b, const char *name, size_t len, sw_err *err) {
    if (b->n_rules >= SW_G_MAX_RULES) return sw_err_set(err, "grammar: more than %d rules", SW_G_MAX_RULES);
    if (grow((void **)&b->rules, &b->cap_rules, b->n_rules + 1, sizeof *b->rules) < 0)
        return sw_err_set(err, "grammar: out of memory");
    sw_grule *r = &b->rules[b->n_rules];
    memset(r, 0, sizeof *r);
    r->name = strndup(name, len);
    if (!r->name) return sw_err_set(err, "grammar: out of memory");
    return b->n_rules++;
}

int32_t sw_gb_rule(sw_gbuild *b, const char *name, size_t len, sw_err *err) {
    if (len > SW_G_MAX_NAME) return sw_err_set(err, "grammar: rule name longer than %d", SW_G_MAX_NAME);
    for (int32_t i = 0; i < b->n_rules; i++)
        if (strlen(b->rules[i].name) == len && !memcmp(b->rules[i].name, name, len)) return i;
    return new_rule(b, name, len, err);
}

int32_t sw_gb_fresh(sw_gbuild *b, const char *base, sw_err *err) {
    char name[SW_G_MAX_NAME + 32];
    int n = snprintf(name, sizeof name, "%.*s-%d", SW_G_MAX_NAME, base, b->n_rules);
    int32_t r = new_rule(b, name, (size_t)n, err);
    if (r >= 0) b->rules[r].defined = 1;
    return r;
}

int sw_gb_push(sw_gbuild *b, int32_t rule, int kind, int32_t arg, sw_err *err) {
    sw_grule *r = &b->rules[rule];
    if (b->n_elems >= SW_G_MAX_ELEMS) return sw_err_set(err, "grammar: more than %d elements", SW_G_MAX_ELEMS);
    if (grow((void **)&r->el, &r->cap, r->n + 1, sizeof *r->el) < 0) return sw_err_set(err, "grammar: out of memory");
    r->el[r->n++] = (sw_gelem){(uint8_t)kind, arg};
    b->n_elems++;
    return 0;
}

/* ---- finishing: flatten, fewest bytes, checks ---- */

static int32_t elem_cost(const sw_grammar *g, const sw_gelem *e) {
    if (e->kind == SW_GE_CHARS) {
        uint32_t m = sw_g_set_min(g, e->arg);
        return m > 0x10FFFF ? SW_G_INF : utf8_len(m);
    }
    return e->kind == SW_GE_REF ? g->rule_min[e->arg] : 0;
}

/* rule_min by iteration to a fixed point, then rest (per element, right to left). */
static void compute_min(sw_grammar *g) {
    for (int32_t r = 0; r < g->n_rules; r++) g->rule_min[r] = SW_G_INF;
    for (int changed = 1; changed;) {
        changed = 0;
        for (int32_t r = 0; r < g->n_rules; r++) {
            int32_t best = SW_G_INF, sum = 0;
            for (int32_t i = g->rule_start[r];; i++) {
                const sw_gelem *e = &g->el[i];
                if (e->kind == SW_GE_END || e->kind == SW_GE_ALT) {
                    if (sum < best) best = sum;
                    sum = 0;
                    if (e->kind == SW_GE_END) break;
                    continue;
                }
                sum += elem_cost(g, e);
                if (sum > SW_G_INF) sum = SW_G_INF;
            }
            if (best < g->rule_min[r]) {
                g->rule_min[r] = best;
                changed = 1;
            }
        }
    }
    for (int32_t i = g->n_el - 1; i >= 0; i--) {
        const sw_gelem *e = &g->el[i];
        if (e->kind == SW_GE_END || e->kind == SW_GE_ALT) g->rest[i] = 0;
        else {
            int32_t s = elem_cost(g, e) + g->rest[i + 1];
            g->rest[i] = s > SW_G_INF ? SW_G_INF : s;
        }
    }
}

/* Left recursion: a rule that can reach itself through leftmost references (those
 * preceded only by nullable references). Iterative depth-first search with colours. */
static int check_left_recursion(const sw_grammar *g, const char *const *names, sw_err *err) {
    int32_t n = g->n_rules;
    uint8_t *colour = calloc((size_t)n, 1);
    int32_t *stack = malloc((size_t)n * 2 * sizeof *stack); /* (rule, element cursor) pairs */
    if (!colour || !stack) {
        free(colour);
        free(stack);
        return sw_err_set(err, "grammar: out of memory");
    }
    int rc = 0;
    for (int32_t s = 0; s < n && rc == 0; s++) {
        if (colour[s]) continue;
        int32_t top = 0;
        stack[0] = s;
        stack[1] = g->rule_start[s];
        colour[s] = 1;
        while (top >= 0 && rc == 0) {
            int32_t r = stack[2 * top], *cur = &stack[2 * top + 1];
            const sw_gelem *e = &g->el[*cur];
            if (e->kind == SW_GE_END) {
                colour[r] = 2;
                top--;
                continue;
            }
            (*cur)++;
            /* skip to the next alternative once a non-nullable element is met */
            int nullable_before = 1;
            for (int32_t j = *cur - 2; j >= g->rule_start[r] && g->el[j].kind != SW_GE_ALT; j--)
                if (elem_cost(g, &g->el[j]) > 0) nullable_before = 0;
            if (e->kind != SW_GE_REF || !nullable_before) continue;
            int32_t t = e->arg;
            if (colour[t] == 1) rc = sw_err_set(err, "grammar: rule '%s' is left-recursive", names[t]);
            else if (colour[t] == 0) {
                colour[t] = 1;
                top++;
                stack[2 * top] = t;
                stack[2 * top + 1] = g->rule_start[t];
            }
        }
    }
    free(colour);
    free(stack);
    return rc;
}

static int flatten(sw_gbuild *b, sw_err *err) {
    sw_grammar *g = b->g;
    g->n_rules = b->n_rules;
    g->n_el = 0;
    for (int32_t r = 0; r < b->n_rules; r++) g->n_el += b->rules[r].n + 1;
    g->el = malloc((size_t)g->n_el * sizeof *g->el);
    g->rule_start = malloc((size_t)g->n_rules * sizeof *g->rule_start);
    g->rest = malloc((size_t)g->n_el * sizeof *g->rest);
    g->rule_min = malloc((size_t)g->n_rules * sizeof *g->rule_min);
    if (!g->el || !g->rule_start || !g->rest || !g->rule_min) return sw_err_set(err, "grammar: out of memory");
    int32_t k = 0;
    for (int32_t r = 0; r < b->n_rules; r++) {
        g->rule_start[r] = k;
        if (b->rules[r].n) memcpy(g->el + k, b->rules[r].el, (size_t)b->rules[r].n * sizeof *g->el);
        k += b->rules[r].n;
        g->el[k++] = (sw_gelem){SW_GE_END, 0};
    }
    return 0;
}

int sw_gb_finish(sw_gbuild *b, sw_grammar **out, sw_err *err) {
    for (int32_t r = 0; r < b->n_rules; r++)
        if (!b->rules[r].defined) return sw_err_set(err, "grammar: rule '%s' is used but not defined", b->rules[r].name);
    int32_t root = -1;
    for (int32_t r = 0; r < b->n_rules && root < 0; r++)
        if (!strcmp(b->rules[r].name, "root")) root = r;
    if (root < 0) return sw_err_set(err, "grammar: no rule 'root'");
    if (flatten(b, err) < 0) return -1;
    sw_grammar *g = b->g;
    g->root = root;
    compute_min(g);
    const char **names = malloc((size_t)b->n_rules * sizeof *names);
    if (!names) return sw_err_set(err, "grammar: out of memory");
    for (int32_t r = 0; r < b->n_rules; r++) names[r] = b->rules[r].name;
    int rc = check_left_recursion(g, names, err);
    free(names);
    if (rc < 0) return -1;
    if (g->rule_min[root] >= SW_G_INF) return sw_err_set(err, "grammar: rule 'root' never ends (no finite string)");
    *out = g;
    b->g = NULL;
    return 0;
}

void sw_grammar_free(sw_grammar *g) {
    if (!g) return;
    free(g->el);
    free(g->rule_start);
    free(g->sets);
    free(g->ranges);
    free(g->rest);
    free(g->rule_min);
    free(g);
}

int sw_grammar_min_bytes(const sw_grammar *g) { return g->rule_min[g->root]; }
