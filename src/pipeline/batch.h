/* batch.h - the runtime's decoder: the sequences of concurrent requests decoded
 * together, one batched forward pass per step (as llama-server's slots), on a thread of
 * its own that is the only one to run the model. Not public. */
#ifndef STEWARD_BATCH_H
#define STEWARD_BATCH_H

#include "steward/model.h"

typedef struct sw_batch sw_batch;

/* What one sequence does with each position's logits, on the decoder's thread. */
typedef struct sw_seq_ops {
    /* Chooses the next token from logits: returns 1 to go on with *next, 0 when the
     * sequence has ended (end of text, max tokens, stopped or cancelled), -1 on error
     * (with err). Keep it short: every other sequence waits for it. The steps of
     * different sequences may run at the same time on the decoder's OpenMP threads. */
    int (*step)(void *ud, const float *logits, int32_t *next, sw_err *err);
    /* The context is full: fills *tokens (owned by the sequence) and *n with what to
     * evaluate again from position 0 before *next is fed (the context shift); -1 on error. */
    int (*shift)(void *ud, int32_t next, const int32_t **tokens, int *n, sw_err *err);
    void *ud;
} sw_seq_ops;

/* What sw_batch_run measured for its sequence. */
typedef struct sw_seq_stats {
    uint64_t prompt_ns, decode_ns; /* prompt evaluation; from then to the end */
    int shifts;                    /* context shifts */
} sw_seq_stats;

/* Starts a decoder for up to `parallel` sequences at once, each with a context of n_ctx
 * positions (allocated when first needed), running `threads` OpenMP threads. NULL with
 * err when out of memory or the thread cannot start. */
sw_batch *sw_batch_new(const sw_model *m, int parallel, int n_ctx, int threads, sw_err *err);
/* Stops the decoder thread (after the sequences running) and frees it. NULL is a no-op. */
void sw_batch_free(sw_batch *b);
int sw_batch_n_ctx(const sw_batch *b);

/* Decodes one sequence to its end, together with whatever else is running: evaluates
 * the prompt (n_prompt < n_ctx tokens), then calls ops->step with each position's logits
 * and feeds back the token it chose. Blocks until the sequence ends; waits first for a
 * free slot when `parallel` sequences run. Thread-safe. -1 with err when evaluation or
 * ops fail. */
int sw_batch_run(sw_batch *b, const int32_t *prompt, int n_prompt, const sw_seq_ops *ops, sw_seq_stats *stats,
                 sw_err *err);

/* Runs fn with a context of its own on the decoder's thread, between two steps (for
 * other uses of the model: the input guard's perplexity). Blocks until done; returns
 * fn's result. Thread-safe. */
int sw_batch_call(sw_batch *b, int (*fn)(void *ud, sw_ctx *ctx, sw_err *err), void *ud, sw_err *err);

/* Sequences decoding now and requests waiting for a slot (for metrics). */
void sw_batch_load(sw_batch *b, int *running, int *waiting);

#endif
