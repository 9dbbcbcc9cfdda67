/* model.h - the transformer: hyper-parameters and weights of the `llama` and `qwen2`
 * architectures read from GGUF, and the forward pass with a KV cache. */
#ifndef STEWARD_MODEL_H
#define STEWARD_MODEL_H

#include "steward/core.h"
#include "steward/gguf.h"
#include "steward/tokenizer.h"

typedef struct sw_hparams {
    char arch[32];      /* "llama" or "qwen2" */
    int n_vocab;
    int n_ctx_train;    /* <arch>.context_length */
    int n_embd;         /* <arch>.embedding_length */
    int n_layer;        /* <arch>.block_count */
    int n_ff;           /* <arch>.feed_forward_length */
    int n_head;         /* <arch>.attention.head_count */
    int n_head_kv;      /* <arch>.attention.head_count_kv (= n_head when absent) */
    int head_dim;       /* <arch>.attention.key_length, else n_embd / n_head */
    int n_rot;          /* <arch>.rope.dimension_count (= head_dim when absent) */
    float rms_eps;      /* <arch>.attention.layer_norm_rms_epsilon */
    float rope_base;    /* <arch>.rope.freq_base (10000 when absent) */
    int has_qkv_bias;   /* qwen2 */
    int tied_output;    /* no output.weight: the output projection is token_embd */
} sw_hparams;

typedef struct sw_model sw_model;

/* Opens a GGUF file, checks every tensor the architecture needs (name, type, shape)
 * and builds its tokenizer. The weights stay in the file mapping. -1 with a message
 * naming the file and the tensor or key at fault. */
int sw_model_load(const char *path, sw_model **out, sw_err *err);
/* The same checks on a GGUF file already open (e.g. parsed from memory); takes ownership
 * of g, also on failure (it is closed then). `name` names the file in messages. */
int sw_model_from_gguf(sw_gguf *g, const char *name, sw_model **out, sw_err *err);
void sw_model_free(sw_model *m);
const sw_hparams *sw_model_hparams(const sw_model *m);
const sw_tokenizer *sw_model_tokenizer(const sw_model *m);
const sw_gguf *sw_model_gguf(const sw_model *m);
/* Bytes of weights read to generate one token (for the bandwidth figure). */
uint64_t sw_model_weight_bytes(const sw_model *m);

/* An inference context: KV cache and scratch for up to n_ctx positions. */
typedef struct sw_ctx sw_ctx;
sw_ctx *sw_ctx_new(const sw_model *m, int n_ctx, sw_err *err); /* NULL on error */
void sw_ctx_free(sw_ctx *c);
int sw_ctx_n_ctx(const sw_ctx *c);

/* Evaluates n tokens at positions pos..pos+n-1 (a batch: prompt processing, or n = 1
 * when generating), filling the KV cache. Writes the logits of the last position to
 * logits[n_vocab] (when not NULL) and, when logits_all is not NULL, those of every
 * position to logits_all[n][n_vocab]. -1 when pos + n exceeds the context or a token
 * id is out of range. Uses the OpenMP threads set by omp_set_num_threads. */
int sw_ctx_eval(sw_ctx *c, const int32_t *tokens, int n, int pos, float *logits,
                float *logits_all, sw_err *err);

/* Evaluates one token for each of n sequences, sequence b with its own context ctxs[b]
 * (its KV cache) at position pos[b], in one pass: the weights are read once for all of
 * them, which is what makes decoding several streams together cheap. logits receives
 * n rows of n_vocab. Each row is bit-identical to what sw_ctx_eval of that token alone
 * gives, whatever else shares the pass. The contexts must be distinct, of one model and
 * one size; n at most the batch size (256). The pass runs in ctxs[0]'s scratch. -1 on a
 * bad position, token or context. */
int sw_ctx_eval_multi(sw_ctx *const *ctxs, const int32_t *tokens, const int *pos, int n, float *logits,
                      sw_err *err);

/* ---- writing models ---- */

/* The type a matrix with rows of row_len elements gets when `want` is asked for:
 * want itself when row_len is a multiple of its block size, else Q5_0 for Q4_K and Q8_0
 * for Q6_K (as llama.cpp's quantiser falls back), else F16, else F32. */
sw_ggml_type sw_quant_type_for_row(sw_ggml_type want, uint64_t row_len);

/* Rewrites the GGUF file `in` as `out` with every matrix (n_dims >= 2) in `type` (or its
 * fallback, see above; each fallback is logged at SW_LOG_WARN and counted in
 * *n_fallback when not NULL), vectors (norms, biases) in F32, all metadata copied, and
 * general.file_type (and general.quantization_version) set. -1 with a message naming
 * the file or tensor. */
int sw_model_quantize(const char *in, const char *out, sw_ggml_type type, int *n_fallback, sw_err *err);

/* Shape of a random-weight llama model (see sw_model_write_random). */
typedef struct sw_model_shape {
    int n_vocab; /* at least the built-in byte-level BPE vocabulary; padded with unused tokens */
    int n_ctx, n_embd, n_layer, n_ff, n_head, n_head_kv;
    int tied; /* 1: no output.weight (the output projection is token_embd) */
} sw_model_shape;

/* Size of the built-in byte-level BPE vocabulary (256 bytes, learned merges, specials). */
int sw_model_demo_vocab_size(void);

/* Writes a llama model with random weights (deterministic for a seed) of the given
 * shape in `type` (matrices; norms F32), with a byte-level BPE tokenizer learned from a
 * built-in text, <|endoftext|>, ChatML <|im_start|>/<|im_end|> and a ChatML chat
 * template. For demos and benchmarks, not for use. -1 on a bad shape or I/O error. */
int sw_model_write_random(const char *path, const sw_model_shape *shape, sw_ggml_type type,
                          uint64_t seed, sw_err *err);

/* Negative log-likelihood (nats) of tokens[first..n) given the tokens before each, with
 * the context reset at position 0 (teacher forcing; evaluated in one batch when it fits
 * the context, else in windows of the context's size). *scored receives n - first.
 * -1 on an evaluation error. Used by perplexity and watermark evaluation. */
int sw_ctx_nll(sw_ctx *c, const int32_t *tokens, int n, int first, double *nll, int *scored, sw_err *err);

#endif
