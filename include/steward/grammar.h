/* grammar.h - constrained decoding: GBNF grammars (llama.cpp's syntax) and a JSON Schema
 * subset compiled to them, a pushdown automaton over UTF-8 bytes, and a token mask over
 * a tokenizer's vocabulary that also steers to the shortest completion as the token
 * budget runs out. See docs/grammar.md. */
#ifndef STEWARD_GRAMMAR_H
#define STEWARD_GRAMMAR_H

#include "steward/core.h"
#include "steward/sampler.h"
#include "steward/tokenizer.h"

/* ---- compiled grammars (immutable; one may serve many generations at once) ---- */
typedef struct sw_grammar sw_grammar;

/* Compiles GBNF text (rules `name ::= ...`, alternation |, sequences, groups ( ),
 * repetition * + ? {m} {m,} {m,n}, character classes [a-z] [^...], `.`, string
 * literals with escapes, # comments); the start rule is `root`. -1 with a message
 * "line L:C: what" for syntax errors, naming the rule for undefined, left-recursive or
 * endless rules. Free with sw_grammar_free. */
int sw_grammar_from_gbnf(const char *text, size_t len, sw_grammar **out, sw_err *err);

/* Compiles a JSON Schema (text) to a grammar of the JSON documents it accepts: type
 * (object, array, string, number, integer, boolean, null, or a list of them),
 * properties/required/additionalProperties, enum, const, pattern, minLength/maxLength,
 * format (date, time, date-time, email, uuid), minimum/maximum/exclusive* (integers),
 * items/minItems/maxItems, anyOf/oneOf, $ref to #/$defs/... or #/definitions/...; `{}`
 * accepts any JSON value. Output is compact JSON in the schema's property order.
 * -1 with "line L:C: ..." for JSON syntax, or the JSON pointer of an unsupported or bad
 * keyword. */
int sw_grammar_from_schema(const char *json, size_t len, sw_grammar **out, sw_err *err);

/* The GBNF text a schema compiles to (appended to out; for inspection and tests). -1 as
 * sw_grammar_from_schema. */
int sw_grammar_schema_to_gbnf(const char *json, size_t len, sw_buf *out, sw_err *err);

void sw_grammar_free(sw_grammar *g);

/* Length in bytes of the shortest document the grammar accepts. */
int sw_grammar_min_bytes(const sw_grammar *g);

/* ---- a vocabulary prepared for masking: each token's bytes in a trie ---- */
typedef struct sw_grammar_vocab sw_grammar_vocab;

/* From a tokenizer: each token's decoded bytes (control tokens decode to nothing and are
 * never allowed, except end-of-generation tokens once the document is complete). -1 when
 * out of memory. Free with sw_grammar_vocab_free. */
int sw_grammar_vocab_new(const sw_tokenizer *t, sw_grammar_vocab **out, sw_err *err);
/* From raw token bytes (tests, benchmarks): tokens[i][0..lens[i]); is_eog may be NULL. */
int sw_grammar_vocab_from_bytes(int n_vocab, const char *const *tokens, const size_t *lens,
                                const uint8_t *is_eog, sw_grammar_vocab **out, sw_err *err);
void sw_grammar_vocab_free(sw_grammar_vocab *v);
int sw_grammar_vocab_size(const sw_grammar_vocab *v);
/* The bytes of token t (*len of them; not NUL-terminated), or NULL when t is out of range. */
const char *sw_grammar_vocab_token(const sw_grammar_vocab *v, int32_t t, size_t *len);

/* ---- the state of one generation ---- */
typedef struct sw_grammar_state sw_grammar_state;

/* A state at the grammar's start for a generation of at most max_tokens tokens (<= 0:
 * no budget). g and v must outlive the state. -1 when the budget cannot hold the
 * shortest valid document (one token per byte is budgeted, which every vocabulary with
 * single-byte tokens can always honour), or out of memory. */
int sw_grammar_state_new(const sw_grammar *g, const sw_grammar_vocab *v, int max_tokens,
                         sw_grammar_state **out, sw_err *err);
void sw_grammar_state_free(sw_grammar_state *s);

/* Sets logits[t] = -inf for every token t that the grammar does not allow next, or that
 * would leave a shortest completion longer than the budget left after it. logits has
 * sw_grammar_vocab_size entries. -1 (message) when no token is allowed. */
int sw_grammar_state_mask(sw_grammar_state *s, float *logits, sw_err *err);
/* 1 when token t may come next (the mask's decision for it, budget included). */
int sw_grammar_state_allows(sw_grammar_state *s, int32_t t);
/* Advances by token t (one unit of the budget). -1 when the grammar rejects its bytes
 * (the state is unchanged). */
int sw_grammar_state_accept_token(sw_grammar_state *s, int32_t t, sw_err *err);
/* Advances by raw bytes (no budget used). -1 when rejected (state unchanged). */
int sw_grammar_state_accept_bytes(sw_grammar_state *s, const char *p, size_t n, sw_err *err);
/* 1 when the text so far is a complete document. */
int sw_grammar_state_is_complete(const sw_grammar_state *s);
/* 1 when complete and nothing more may follow (generation should end here). */
int sw_grammar_state_is_done(const sw_grammar_state *s);
/* Bytes still needed at least to reach a complete document (0 when complete). */
int sw_grammar_state_min_bytes(const sw_grammar_state *s);
/* Tokens of the budget left (INT32_MAX without a budget). */
int sw_grammar_state_budget_left(const sw_grammar_state *s);
/* Lowers the budget to tokens (never raises it): with tokens = sw_grammar_state_min_bytes,
 * the mask steers straight to the shortest completion (a time limit reached). */
void sw_grammar_state_limit_budget(sw_grammar_state *s, int tokens);

/* A sampler mask stage that applies sw_grammar_state_mask before anything else and
 * accepts the chosen token (see sw_sampler_set_mask). */
void sw_grammar_mask_hook(sw_grammar_state *s, sw_sampler_mask *out);

#endif
