/* vocab_int.h - the token trie of a grammar vocabulary (see vocab.c). */
#ifndef STEWARD_GRAMMAR_VOCAB_INT_H
#define STEWARD_GRAMMAR_VOCAB_INT_H

#include "steward/grammar.h"

#define SW_GV_MAX_TOKEN_BYTES 1024 /* longer tokens are never allowed */

struct sw_grammar_vocab {
    int n_vocab;
    /* trie nodes in preorder: byte on the edge into the node, depth (1 for the root's
     * children), end (index past the subtree), tokens ending here: order[tok_first ..
     * tok_first + tok_n) */
    uint8_t *byte;
    int32_t *depth, *end, *tok_first, *tok_n;
    int32_t n_nodes;
    int32_t *order; /* token ids with bytes, sorted by their bytes */
    int32_t n_sorted;
    char *bytes;     /* every token's bytes: bytes + off[t], len[t] of them */
    size_t *off, *len;
    uint8_t *is_eog; /* end-of-generation tokens (allowed once the document is complete) */
    int n_eog;
};

#endif
