/* train.h - training a llama-architecture model on the CPU: the model with its
 * backward pass, AdamW with warm-up and cosine schedule, gradient clipping and
 * accumulation, DP-SGD with an RDP accountant, checkpoints, GGUF export, and a
 * byte-level BPE tokenizer trainer. */
#ifndef STEWARD_TRAIN_H
#define STEWARD_TRAIN_H

#include "steward/core.h"
#include "steward/gguf.h"

#include <stdint.h>
#include <stdio.h>

/* ---- the model ---- */
typedef struct sw_tconfig {
    int n_vocab, n_ctx, n_embd, n_layer, n_head, n_head_kv, n_ff;
    int tied;        /* 1: the output projection is the token embedding */
    float rms_eps;   /* 1e-5 */
    float rope_base; /* 10000 */
} sw_tconfig;

/* Fills the fields left 0 with defaults and checks the shapes; -1 with a message. */
int sw_tconfig_check(sw_tconfig *c, sw_err *err);
/* Number of parameters of a configuration. */
size_t sw_tconfig_n_params(const sw_tconfig *c);

typedef struct sw_tmodel sw_tmodel;

/* A model that trains on micro-batches of B sequences of T <= n_ctx positions.
 * Parameters, gradients and activations are each one allocation. Weights are zero
 * until sw_tmodel_init or a load. NULL on error. Free with sw_tmodel_free. */
sw_tmodel *sw_tmodel_new(const sw_tconfig *cfg, int B, int T, sw_err *err);
void sw_tmodel_free(sw_tmodel *m);
const sw_tconfig *sw_tmodel_config(const sw_tmodel *m);
/* GPT-2 style initialisation: N(0, 0.02), residual projections scaled by
 * 1/sqrt(2 n_layer), norms 1. Deterministic in seed. */
void sw_tmodel_init(sw_tmodel *m, uint64_t seed);
float *sw_tmodel_params(sw_tmodel *m, size_t *n);
float *sw_tmodel_grads(sw_tmodel *m, size_t *n);
/* Forward over B*T tokens. With targets, returns the mean cross-entropy (nats) and
 * keeps what backward needs; without, returns 0 and leaves the logits. */
double sw_tmodel_forward(sw_tmodel *m, const int32_t *tokens, const int32_t *targets);
/* Logits [B*T][n_vocab] of the last forward without targets. */
const float *sw_tmodel_logits(const sw_tmodel *m);
/* Per-position losses [B*T] of the last forward with targets. */
const float *sw_tmodel_losses(const sw_tmodel *m);
void sw_tmodel_zero_grad(sw_tmodel *m);
/* Adds scale * d(mean loss)/d(params) of the last forward (with targets) to the
 * gradients. */
void sw_tmodel_backward(sw_tmodel *m, float scale);

/* Tensor i (0 <= i < count) in GGUF naming ("token_embd.weight", "blk.0.attn_q.weight",
 * ...) with its dims (ne[0] contiguous) and data inside the parameter block. */
typedef struct sw_ttensor {
    char name[64];
    int n_dims;
    uint64_t ne[2];
    size_t offset, size; /* in floats, into the parameters */
    int decay;           /* 1: a matrix (weight decay applies) */
} sw_ttensor;
int sw_tmodel_n_tensors(const sw_tmodel *m);
sw_ttensor sw_tmodel_tensor(const sw_tmodel *m, int i);

/* ---- optimisation ---- */
typedef struct sw_topts {
    int batch;        /* sequences per micro-batch (B) */
    int seq;          /* positions per sequence (T) */
    int accum;        /* micro-batches per step */
    int steps;        /* total optimiser steps */
    int warmup;       /* linear warm-up steps */
    float lr, lr_min; /* peak and final learning rates (cosine decay between) */
    float beta1, beta2, adam_eps, weight_decay;
    float clip;       /* global gradient-norm clip; 0 = none */
    uint64_t seed;
    /* DP-SGD: dp_clip > 0 enables per-example clipping to dp_clip and Gaussian noise
     * of standard deviation dp_noise * dp_clip on the summed gradient. */
    float dp_clip, dp_noise;
    double dp_delta;
} sw_topts;
/* Defaults for the fields left 0. */
void sw_topts_defaults(sw_topts *o);
/* Learning rate at step s (0-based): linear warm-up, then cosine to lr_min. */
float sw_lr_at(const sw_topts *o, int s);

/* A training run: model, AdamW moments, step, RNG and the token streams. */
typedef struct sw_trainer sw_trainer;
typedef struct sw_step_info {
    int step;          /* steps done */
    double loss;       /* mean training loss of the step */
    double grad_norm;  /* before clipping */
    float lr;
} sw_step_info;

/* Builds a trainer over train tokens (copied). NULL on error. */
sw_trainer *sw_trainer_new(const sw_tconfig *cfg, const sw_topts *opts, const int32_t *tokens,
                           size_t n_tokens, sw_err *err);
void sw_trainer_free(sw_trainer *t);
sw_tmodel *sw_trainer_model(sw_trainer *t);
const sw_topts *sw_trainer_opts(const sw_trainer *t);
int sw_trainer_step_count(const sw_trainer *t);
/* One optimiser step (accum micro-batches). -1 when the tokens cannot fill a sequence. */
int sw_trainer_step(sw_trainer *t, sw_step_info *info, sw_err *err);
/* Mean loss (nats per token) over up to max_seqs non-overlapping sequences of tokens. */
double sw_trainer_eval(sw_trainer *t, const int32_t *tokens, size_t n, int max_seqs);
/* Writes a checkpoint atomically (path.tmp, fsync, rename): configuration, options,
 * step, RNG, weights and AdamW moments. -1 on I/O error. */
int sw_trainer_save(const sw_trainer *t, const char *path, sw_err *err);
/* Restores a checkpoint into a trainer built with the same configuration (checked).
 * -1 with a message on a mismatch or a damaged file. */
int sw_trainer_load(sw_trainer *t, const char *path, sw_err *err);
/* Starts a new run (new schedule, fresh AdamW moments, step 0, the trainer's own seed)
 * from the weights of another run's checkpoint with the same model configuration; the
 * other run's ledger (time, energy, tokens) carries over. -1 with a message. */
int sw_trainer_load_weights(sw_trainer *t, const char *path, sw_err *err);
/* Reads only the configuration and options stored in a checkpoint. */
int sw_checkpoint_peek(const char *path, sw_tconfig *cfg, sw_topts *opts, int *step, sw_err *err);
/* What a run has cost so far, summed over all its sessions (kept in checkpoints). */
typedef struct sw_tledger {
    double wall_s, cpu_s, joules;
    double tokens;           /* training tokens processed */
    char energy_method[32];  /* "rapl", "cpu-time-estimate", or a mix */
} sw_tledger;
sw_tledger *sw_trainer_ledger(sw_trainer *t);
/* DP: the epsilon spent so far at the options' delta (0 when DP is off). */
double sw_trainer_dp_epsilon(const sw_trainer *t, size_t n_examples);

/* ---- RDP accountant for the sampled Gaussian mechanism (Mironov et al. 2019) ---- */
/* RDP of one step at integer order alpha >= 2 with sampling rate q and noise multiplier
 * sigma. */
double sw_rdp_sgm(double q, double sigma, int alpha);
/* Smallest epsilon over integer orders 2..256 after `steps` steps at the given delta;
 * optionally the best order. */
double sw_rdp_epsilon(double q, double sigma, long steps, double delta, int *best_order);

/* ---- byte-level BPE tokenizer trainer ---- */
typedef struct sw_bpe {
    int n_vocab;   /* 256 byte tokens + merges + specials */
    int n_merges;
    char **tokens; /* GPT-2 byte-to-unicode strings, NUL-terminated */
    char **merges; /* "left right" in rank order */
    int32_t *merge_left, *merge_right; /* merge k makes token 256 + k */
    int32_t *token_type;
    int eos_id;    /* "<|endoftext|>" (the first control token; chat specials follow it) */
    int32_t *pair_rank; /* [n_vocab][n_vocab]: rank of the merge of a pair, or -1 */
} sw_bpe;
/* Learns vocab_size - 257 merges over text (GPT-2 pre-tokenisation, merges never cross
 * a piece), ties broken by the smaller pair of ids. -1 on a bad size or no memory. */
int sw_bpe_train(const char *text, size_t len, int vocab_size, sw_bpe *out, sw_err *err);
/* As sw_bpe_train, then the special texts (e.g. "<|im_start|>", "<|im_end|>") appended
 * as control tokens after <|endoftext|>; vocab_size counts them. Merges are learned on
 * the text with the specials cut out, so none crosses or enters them. -1 with err. */
int sw_bpe_train_special(const char *text, size_t len, int vocab_size, const char *const *special, int n_special,
                         sw_bpe *out, sw_err *err);
void sw_bpe_free(sw_bpe *b);
/* Encodes text with the learned merges (ranked application within each piece), for
 * training data. Appends to *ids (realloc'd). -1 when out of memory. */
int sw_bpe_encode(const sw_bpe *b, const char *text, size_t len, int32_t **ids, size_t *n, sw_err *err);
/* Splits text into GPT-2 pre-tokenizer pieces; calls fn for each (start, length). */
void sw_bpe_pretokenize(const char *text, size_t len, void (*fn)(const char *p, size_t n, void *ud),
                        void *ud);

/* ---- GGUF ---- */
/* Sets the tokenizer.* keys (model gpt2, pre-tokenizer gpt2, tokens, token types,
 * merges, <|endoftext|> as bos and eos, no BOS added). -1 when memory runs out. */
int sw_bpe_put_gguf(sw_gguf_writer *w, const sw_bpe *b, sw_err *err);
/* Reads back a vocabulary written by sw_bpe_put_gguf (merge k made token 256 + k).
 * -1 with a message naming the key at fault. Free with sw_bpe_free. */
int sw_bpe_from_gguf(const sw_gguf *g, sw_bpe *b, sw_err *err);
/* Sets the llama.* keys and adds every tensor (F32) of the model. */
int sw_tmodel_put_gguf(sw_gguf_writer *w, sw_tmodel *m, sw_err *err);

/* ---- the training record: what a run was made of and what it cost, in the GGUF's
 * steward.train.* metadata, a model card and a lineage record of the audit log ---- */
struct sw_tokenizer;
struct json_t;
#define SW_TRAIN_INIT_RECORD_MAX 1536
typedef struct sw_train_record {
    const char *name;                  /* general.name */
    const char *about;                 /* Markdown file: the card's description, data and limitations
                                        * (NULL: the Shakespeare model's) */
    const char *license;               /* general.license (NULL: the Shakespeare model's) */
    const char *corpus, *val, *tokenizer, *manifest, *init_from; /* paths; val, manifest, init_from may be NULL */
    char corpus_sha[65];               /* of the training text */
    char manifest_sha[65];             /* of the corpus manifest, or "none" */
    char exe_sha[65];                  /* of the running executable, or "unknown" */
    char init_record[SW_TRAIN_INIT_RECORD_MAX]; /* where the initial weights came from */
    int parent_steps;                  /* steps of the run init_from continues */
    double grid;                       /* grid carbon intensity, g CO2e/kWh */
    sw_tconfig cfg;
} sw_train_record;

/* The figures of a run at its end. */
typedef struct sw_train_outcome {
    double train_loss, val_loss, val_bits_per_byte; /* NAN when not measured */
    double co2e_grams, dp_epsilon;
} sw_train_outcome;

/* Reads a training text (tokenized with tk, no BOS) or a token shard of `steward data
 * build --tokenizer` (checked to be made with the tokenizer at tok_path and within its
 * vocabulary): *ids (malloc'd, the caller frees), their count, the text's bytes and, when
 * sha is not NULL, its SHA-256. -1 with a message naming the file. */
int sw_train_read_tokens(const struct sw_tokenizer *tk, const char *tok_path, const char *path, int32_t **ids,
                         size_t *n, size_t *bytes, char sha[65], sw_err *err);
/* Bytes of the tokens that an evaluation over the first max_seqs (<= 0: all) sequences of
 * T predicts: the denominator of bits per byte. */
double sw_train_predicted_bytes(const struct sw_tokenizer *tk, const int32_t *ids, size_t n, int T, int max_seqs);
/* The model's configuration and the options as one JSON object, into out. */
void sw_train_config_json(char *out, size_t size, const sw_tconfig *c, const sw_topts *o);
/* Fills r->init_record and r->parent_steps from the checkpoint r->init_from, and sets
 * r->cfg to its configuration. -1 when it cannot be read. */
int sw_train_record_parent(sw_train_record *r, sw_err *err);
/* The hash of the running executable into out ("unknown" when it cannot be read). */
void sw_train_exe_sha(char out[65]);
/* Measures the end of a run: the validation loss and bits per byte over all of
 * val_ids (when there are more than a sequence of them), CO2e from the ledger, the DP
 * epsilon over n_train tokens. */
void sw_train_outcome_measure(sw_trainer *t, const sw_train_record *r, const struct sw_tokenizer *tk,
                              const int32_t *val_ids, size_t n_val, size_t n_train, double train_loss,
                              sw_train_outcome *out);
/* Writes the trainer's model as GGUF at path: the tokenizer's keys copied from tokg, the
 * steward.train.* records, every tensor. -1 with err. */
int sw_train_export(const sw_train_record *r, sw_trainer *t, const sw_gguf *tokg, const sw_train_outcome *oc,
                    const char *path, sw_err *err);
/* Writes the model card (Markdown) at path. -1 when it cannot be written. */
int sw_train_write_card(const sw_train_record *r, sw_trainer *t, const sw_train_outcome *oc, const char *path,
                        sw_err *err);
/* Appends a "train" lineage record to the audit log under home: the corpus, validation
 * text, tokenizer, manifest and initial weights in, the model at model_path out. Its
 * index in *idx. -1 with err. */
int sw_train_record_lineage(const char *home, const sw_train_record *r, const char *model_path, int steps,
                            double val_bpb, uint64_t *idx, sw_err *err);
/* The run's figures as JSON (the model's path, steps, losses, tokens, time, energy,
 * CO2e, tokens/s, DP epsilon when DP is on). New reference (NULL: no memory). */
struct json_t *sw_train_outcome_json(sw_trainer *t, const sw_train_outcome *oc, const char *model_path);

#endif
