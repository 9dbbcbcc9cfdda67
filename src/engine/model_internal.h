/* model_internal.h - the model's weights and the inference context, shared by
 * model.c (loading and checking) and forward.c (the forward pass). Not public. */
#ifndef STEWARD_MODEL_INTERNAL_H
#define STEWARD_MODEL_INTERNAL_H

#include "steward/model.h"

/* A weight tensor as the forward pass needs it: data in the mapping and its type.
 * data is NULL for an absent optional tensor (a bias). */
typedef struct sw_wt {
    const void *data;
    sw_ggml_type type;
} sw_wt;

typedef struct sw_layer {
    const float *attn_norm, *ffn_norm; /* F32 [n_embd] */
    sw_wt wq, wk, wv, wo;              /* [n_embd -> q_dim], [n_embd -> kv_dim] x2, [q_dim -> n_embd] */
    const float *bq, *bk, *bv;         /* F32 biases or NULL */
    sw_wt w_gate, w_up, w_down;        /* [n_embd -> n_ff] x2, [n_ff -> n_embd] */
} sw_layer;

struct sw_model {
    sw_gguf *g;
    sw_tokenizer *tok;
    sw_hparams hp;
    int rope_neox;      /* 1: pairs (i, i + n_rot/2) (qwen2); 0: pairs (2i, 2i+1) (llama) */
    float rope_freq_scale;    /* 1 / linear RoPE scaling factor (1: none) */
    const float *rope_freqs;  /* F32 [n_rot/2] divisors of each pair's frequency, or NULL */
    sw_wt tok_embd;     /* [n_vocab][n_embd] */
    const float *output_norm;
    sw_wt output;       /* = tok_embd when tied */
    sw_layer *layers;
    uint64_t weight_bytes;
};

/* Largest number of positions evaluated in one pass; longer batches are split. */
#define SW_MAX_BATCH 256

struct sw_ctx {
    const sw_model *m;
    int n_ctx, n_batch;
    float *k_cache, *v_cache; /* [n_layer][n_ctx][kv_dim] */
    /* scratch, [n_batch][...] each */
    float *x, *xb, *q, *k, *v, *att_out, *proj, *gate, *up;
    float *att;               /* [n_head][n_ctx] attention scores */
    float *att_tmp;           /* prompts' attention: values transposed, scores per thread */
    size_t att_tmp_cap;       /* floats in att_tmp */
    float *rope_cs;           /* [n_batch][n_rot/2][2] cos, sin */
    double *inv_freq;         /* [n_rot/2] */
};

/* Row conversions through F32 (quantize.c): any supported type to and from F32. */
void sw_row_to_f32(sw_ggml_type type, const void *src, float *dst, int64_t n);
void sw_row_from_f32(sw_ggml_type type, const float *src, void *dst, int64_t n);
/* general.file_type (llama.cpp's llama_ftype) for a model mostly in `type`. */
uint32_t sw_file_type_of(sw_ggml_type type);

#endif
