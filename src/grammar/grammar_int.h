/* grammar_int.h - the compiled form of a grammar shared by the GBNF parser, the schema
 * compiler and the automaton: rules as flat arrays of elements. */
#ifndef STEWARD_GRAMMAR_INT_H
#define STEWARD_GRAMMAR_INT_H

#include "steward/grammar.h"

/* Element kinds. A rule is its alternatives, each a sequence of CHARS and REF elements
 * closed by ALT (another alternative follows) or END (the rule's last). */
enum { SW_GE_END = 0, SW_GE_ALT, SW_GE_REF, SW_GE_CHARS };

typedef struct sw_gelem {
    uint8_t kind;
    int32_t arg; /* REF: rule index; CHARS: set index */
} sw_gelem;

/* A set of code points: ranges [lo, hi] sorted, disjoint and not adjacent; neg: the
 * complement (within 0..0x10FFFF). */
typedef struct sw_gset {
    int32_t first, n; /* into sw_grammar.ranges */
    uint8_t neg;
} sw_gset;

typedef struct sw_grange {
    uint32_t lo, hi;
} sw_grange;

#define SW_G_INF (1 << 28)      /* "no finite derivation" in min-length sums */
#define SW_G_MAX_ELEMS (1 << 22) /* elements of one grammar, all rules together */
#define SW_G_MAX_RULES (1 << 18)

struct sw_grammar {
    sw_gelem *el;    /* all rules' elements, rule after rule, each closed by END */
    int32_t n_el;
    int32_t *rule_start; /* first element of each rule */
    int32_t n_rules;
    int32_t root;
    sw_gset *sets;
    int32_t n_sets, n_sets_cap;
    sw_grange *ranges;
    int32_t n_ranges, n_ranges_cap;
    int32_t *rest; /* per element: fewest bytes from it to the end of its alternative */
    int32_t *rule_min; /* per rule: fewest bytes of a derivation */
};

/* Adds a set from ranges (any order, may overlap); returns its index, or -1 (no memory). */
int32_t sw_g_add_set(sw_grammar *g, const sw_grange *r, int n, int neg, sw_err *err);
/* Grows *p (an array of *cap elements of size sz; *cap 0: none yet) to hold need
 * elements, doubling from first; 0, or -1 when out of memory (*p and *cap unchanged). */
int sw_g_grow(void **p, int32_t *cap, int32_t need, size_t sz, int32_t first);

/* ---- building (the GBNF parser): rules by name, each a growing element list ---- */
typedef struct sw_grule {
    char *name;
    sw_gelem *el; /* alternatives separated by ALT; END is added when flattening */
    int32_t n, cap;
    int defined;
} sw_grule;

typedef struct sw_gbuild {
    sw_grammar *g; /* sets and ranges go straight in */
    sw_grule *rules;
    int32_t n_rules, cap_rules;
    int32_t n_elems;
} sw_gbuild;

int sw_gb_init(sw_gbuild *b, sw_err *err); /* -1: no memory */
void sw_gb_free(sw_gbuild *b);
/* The rule of that name, created (undefined) on first use. Index or -1 (limits, memory). */
int32_t sw_gb_rule(sw_gbuild *b, const char *name, size_t len, sw_err *err);
/* A new generated rule "base-N" (defined). Index or -1. */
int32_t sw_gb_fresh(sw_gbuild *b, const char *base, sw_err *err);
/* Appends an element to a rule. 0 or -1 (limits, memory). */
int sw_gb_push(sw_gbuild *b, int32_t rule, int kind, int32_t arg, sw_err *err);
/* Flattens the rules into a grammar, computes rest/rule_min and checks that every rule
 * is defined, root exists and ends, and no rule is left-recursive. On success *out owns
 * the grammar (the builder still needs sw_gb_free). -1 with a message naming the rule. */
int sw_gb_finish(sw_gbuild *b, sw_grammar **out, sw_err *err);
/* 1 when set s contains code point cp. */
int sw_g_set_has(const sw_grammar *g, int32_t s, uint32_t cp);
/* 1 when set s contains some code point of [lo, hi]. */
int sw_g_set_meets(const sw_grammar *g, int32_t s, uint32_t lo, uint32_t hi);
/* The smallest code point of set s (0x110000 when empty). */
uint32_t sw_g_set_min(const sw_grammar *g, int32_t s);

#endif
