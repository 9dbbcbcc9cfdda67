/* state_int.h - the automaton's internals shared by state.c (stepping) and mask.c (the
 * public state API, the mask and its cache). */
#ifndef STEWARD_GRAMMAR_STATE_INT_H
#define STEWARD_GRAMMAR_STATE_INT_H

#include "grammar/grammar_int.h"
#include "grammar/vocab_int.h"

#define SW_GS_DEAD 0                 /* the configuration that accepts nothing */
#define SW_GS_MAX_STACKS 1024        /* parallel parses kept; more makes a byte rejected */
#define SW_GS_MAX_NODES (1 << 22)    /* interned stack nodes of one generation */
#define SW_GS_MAX_CFGS (1 << 21)     /* interned configurations of one generation */
#define SW_GS_MAX_TRANS_BLOCKS 16384 /* configurations with a cached 256-byte transition row */
#define SW_GS_MASK_SLOTS 16          /* configurations whose per-token results are cached */

/* A stack frame: the element to match next (top) or to return to, and the frame
 * below. min: fewest bytes to empty the stack from here; pmin: the same for parent. */
typedef struct sw_gnode {
    int32_t pos, parent, min, pmin;
} sw_gnode;

/* A configuration: the sorted set of stack tops, a partial UTF-8 sequence (acc holds its
 * bits, need more continuation bytes, seqlen its length), complete or not. */
typedef struct sw_gcfg {
    int32_t first, n; /* into tops */
    uint32_t acc;
    uint8_t need, seqlen, accepting;
    int32_t min;       /* fewest bytes to complete */
    int32_t trans;     /* row of cached transitions, or -1 */
    int32_t mask_slot; /* mask cache slot, or -1 */
} sw_gcfg;

typedef struct sw_gscratch {
    int32_t *tops;
    int32_t n, cap;
    int accepting, failed;
} sw_gscratch;

typedef struct sw_gmask_slot {
    int32_t cfg;   /* -1: empty */
    int32_t *next; /* per token: the configuration after it (SW_GS_DEAD: rejected) */
} sw_gmask_slot;

struct sw_grammar_state {
    const sw_grammar *g;
    const sw_grammar_vocab *v;
    sw_gnode *nodes;
    int32_t *node_next, *node_head;
    uint64_t *node_hashes;
    int32_t n_nodes, cap_nodes, node_buckets;
    sw_gcfg *cfgs;
    int32_t *cfg_next, *cfg_head;
    uint64_t *cfg_hashes;
    int32_t n_cfgs, cap_cfgs, cfg_buckets;
    int32_t *tops;
    int32_t n_tops, cap_tops;
    int32_t *trans; /* rows of 256: 0 unknown, else the next configuration + 1 */
    int32_t n_trans, cap_trans;
    sw_gscratch sc;
    int32_t cur;    /* the current configuration */
    int32_t budget; /* tokens left; INT32_MAX: none */
    sw_gmask_slot slots[SW_GS_MASK_SLOTS];
    int next_slot;
    int32_t *walk; /* configuration per trie depth */
};

/* Sets up the tables and the start configuration (s->g set). -1: no memory. */
int sw_gs_init(sw_grammar_state *s, sw_err *err);
void sw_gs_release(sw_grammar_state *s);
/* The configuration after byte b from c (SW_GS_DEAD when rejected or past the limits). */
int32_t sw_gs_step(sw_grammar_state *s, int32_t c, uint8_t b);
int32_t sw_gs_step_bytes(sw_grammar_state *s, int32_t c, const uint8_t *p, size_t n);

#endif
