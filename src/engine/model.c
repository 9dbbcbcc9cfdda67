/* model.c - loads a `llama` or `qwen2` model from GGUF: hyper-parameters from the
 * metadata, every weight checked for presence, type and shape before any is used. */
#include "model_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads <arch>.<suffix> as a positive integer no larger than max. Missing keys take
 * *out's preset value when optional, else fail. */
static int get_dim(const sw_gguf *g, const char *arch, const char *suffix, int optional, int max,
                   int *out, const char *path, sw_err *err) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    int64_t v;
    if (sw_gguf_get_i64(g, key, &v) < 0) {
        if (sw_gguf_find(g, key)) return sw_err_set(err, "%s: key %s is not an integer", path, key);
        if (optional) return 0;
        return sw_err_set(err, "%s: missing key %s", path, key);
    }
    if (v <= 0 || v > max)
        return sw_err_set(err, "%s: key %s = %lld is out of range (1..%d)", path, key, (long long)v, max);
    *out = (int)v;
    return 0;
}

static int get_float(const sw_gguf *g, const char *arch, const char *suffix, float *out,
                     const char *path, sw_err *err) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (sw_gguf_get_f32(g, key, out) < 0 && sw_gguf_find(g, key))
        return sw_err_set(err, "%s: key %s is not a float", path, key);
    if (!(*out > 0.0f) || *out != *out || *out > 1e30f)
        return sw_err_set(err, "%s: key %s = %g is out of range", path, key, (double)*out);
    return 0;
}

/* RoPE scaling as llama.cpp reads it: <arch>.rope.scaling.type ("linear" when absent)
 * and .factor (or the older .rope.scale_linear); positions are divided by the factor,
 * except for type "none". Other types (yarn, longrope) change more than the angles and
 * are refused rather than run wrong. (Llama 3.1's scaling comes as the rope_freqs.weight
 * tensor instead, see take_weights.) */
static int read_rope_scaling(sw_model *m, const char *path, sw_err *err) {
    const char *a = m->hp.arch;
    char key[128], type[32] = "linear";
    sw_gguf_str s;
    snprintf(key, sizeof key, "%s.rope.scaling.type", a);
    if (sw_gguf_get_str(m->g, key, &s) == 0) {
        if (s.len >= sizeof type) s.len = sizeof type - 1;
        memcpy(type, s.ptr, s.len);
        type[s.len] = 0;
    } else if (sw_gguf_find(m->g, key)) {
        return sw_err_set(err, "%s: key %s is not a string", path, key);
    }
    if (strcmp(type, "linear") != 0 && strcmp(type, "none") != 0)
        return sw_err_set(err, "%s: %s = '%s' is not supported (steward runs linear RoPE scaling only)", path, key,
                          type);
    float factor = 0;
    snprintf(key, sizeof key, "%s.rope.scaling.factor", a);
    const char *suffix = sw_gguf_find(m->g, key) ? "rope.scaling.factor" : "rope.scale_linear";
    snprintf(key, sizeof key, "%s.%s", a, suffix);
    if (sw_gguf_find(m->g, key) && get_float(m->g, a, suffix, &factor, path, err) < 0) return -1;
    m->rope_freq_scale = factor == 0 || strcmp(type, "none") == 0 ? 1.0f : 1.0f / factor;
    return 0;
}

static int read_hparams(sw_model *m, const char *path, sw_err *err) {
    const sw_gguf *g = m->g;
    sw_hparams *hp = &m->hp;
    sw_gguf_str arch;
    if (sw_gguf_get_str(g, "general.architecture", &arch) < 0)
        return sw_err_set(err, "%s: missing key general.architecture", path);
    if (arch.len >= sizeof hp->arch)
        return sw_err_set(err, "%s: unsupported architecture (name too long)", path);
    memcpy(hp->arch, arch.ptr, arch.len);
    hp->arch[arch.len] = 0;
    if (strcmp(hp->arch, "llama") == 0) m->rope_neox = 0;
    else if (strcmp(hp->arch, "qwen2") == 0) m->rope_neox = 1;
    else return sw_err_set(err, "%s: unsupported architecture '%s' (steward runs llama and qwen2)", path, hp->arch);

    const char *a = hp->arch;
    if (get_dim(g, a, "context_length", 0, 1 << 24, &hp->n_ctx_train, path, err) < 0 ||
        get_dim(g, a, "embedding_length", 0, 1 << 16, &hp->n_embd, path, err) < 0 ||
        get_dim(g, a, "block_count", 0, 1024, &hp->n_layer, path, err) < 0 ||
        get_dim(g, a, "feed_forward_length", 0, 1 << 18, &hp->n_ff, path, err) < 0 ||
        get_dim(g, a, "attention.head_count", 0, 1024, &hp->n_head, path, err) < 0)
        return -1;
    hp->n_head_kv = hp->n_head;
    if (get_dim(g, a, "attention.head_count_kv", 1, 1024, &hp->n_head_kv, path, err) < 0) return -1;
    if (hp->n_head % hp->n_head_kv)
        return sw_err_set(err, "%s: %s.attention.head_count %d is not a multiple of head_count_kv %d", path,
                          a, hp->n_head, hp->n_head_kv);
    /* The head size is attention.key_length when given: models with head_dim in their
     * config (Mistral-Nemo, Qwen3) do not have n_embd == n_head * head size. */
    hp->head_dim = 0;
    if (get_dim(g, a, "attention.key_length", 1, 1 << 16, &hp->head_dim, path, err) < 0) return -1;
    if (!hp->head_dim) {
        if (hp->n_embd % hp->n_head)
            return sw_err_set(err, "%s: %s.embedding_length %d is not a multiple of head_count %d", path, a,
                              hp->n_embd, hp->n_head);
        hp->head_dim = hp->n_embd / hp->n_head;
    }
    int v_len = hp->head_dim;
    if (get_dim(g, a, "attention.value_length", 1, 1 << 16, &v_len, path, err) < 0) return -1;
    if (v_len != hp->head_dim)
        return sw_err_set(err, "%s: %s.attention.value_length %d differs from the key length %d (not supported)",
                          path, a, v_len, hp->head_dim);
    hp->n_rot = hp->head_dim;
    if (get_dim(g, a, "rope.dimension_count", 1, 1 << 16, &hp->n_rot, path, err) < 0) return -1;
    if (hp->n_rot > hp->head_dim || hp->n_rot % 2)
        return sw_err_set(err, "%s: %s.rope.dimension_count %d must be even and at most the head size %d",
                          path, a, hp->n_rot, hp->head_dim);
    hp->rms_eps = 1e-5f;
    char key[128];
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", a);
    if (!sw_gguf_find(g, key)) return sw_err_set(err, "%s: missing key %s", path, key);
    hp->rope_base = 10000.0f;
    if (get_float(g, a, "attention.layer_norm_rms_epsilon", &hp->rms_eps, path, err) < 0 ||
        get_float(g, a, "rope.freq_base", &hp->rope_base, path, err) < 0)
        return -1;
    return read_rope_scaling(m, path, err);
}

/* Formats a tensor's shape as "[a, b]" into out. */
static void shape_str(const sw_gguf_tensor *t, char *out, size_t n) {
    int k = snprintf(out, n, "[");
    for (uint32_t i = 0; i < t->n_dims && k > 0 && (size_t)k < n; i++)
        k += snprintf(out + k, n - (size_t)k, "%s%llu", i ? ", " : "", (unsigned long long)t->ne[i]);
    if (k > 0 && (size_t)k < n) snprintf(out + k, n - (size_t)k, "]");
}

/* Finds tensor `name` and checks it: a matrix of ne1 rows of ne0 elements (ne1 == 0:
 * a vector of ne0 F32 values). Absent optional tensors give data NULL. */
static int take(sw_model *m, const char *path, const char *name, uint64_t ne0, uint64_t ne1,
                int optional, sw_wt *out, sw_err *err) {
    out->data = NULL;
    out->type = SW_TYPE_F32;
    const sw_gguf_tensor *t = sw_gguf_find_tensor(m->g, name);
    if (!t) {
        if (optional) return 0;
        return sw_err_set(err, "%s: tensor %s is missing", path, name);
    }
    if (!sw_type_supported(t->type))
        return sw_err_set(err, "%s: tensor %s has unsupported type %s (%u)", path, name,
                          sw_type_name(t->type), (unsigned)t->type);
    int want_dims = ne1 ? 2 : 1;
    int shape_ok = t->n_dims == (uint32_t)want_dims && t->ne[0] == ne0 && (!ne1 || t->ne[1] == ne1);
    if (!shape_ok) {
        char got[96];
        shape_str(t, got, sizeof got);
        if (ne1)
            return sw_err_set(err, "%s: tensor %s has shape %s, expected [%llu, %llu]", path, name, got,
                              (unsigned long long)ne0, (unsigned long long)ne1);
        return sw_err_set(err, "%s: tensor %s has shape %s, expected [%llu]", path, name, got,
                          (unsigned long long)ne0);
    }
    if (!ne1 && t->type != SW_TYPE_F32)
        return sw_err_set(err, "%s: tensor %s has type %s; norms and biases must be F32", path, name,
                          sw_type_name(t->type));
    size_t row = sw_type_row_bytes(t->type, ne0);
    if (row == 0)
        return sw_err_set(err, "%s: tensor %s: row length %llu is not a multiple of the %s block size",
                          path, name, (unsigned long long)ne0, sw_type_name(t->type));
    if ((uint64_t)row * (ne1 ? ne1 : 1) != t->nbytes)
        return sw_err_set(err, "%s: tensor %s: %llu bytes, expected %llu", path, name,
                          (unsigned long long)t->nbytes, (unsigned long long)row * (ne1 ? ne1 : 1));
    out->data = t->data;
    out->type = (sw_ggml_type)t->type;
    m->weight_bytes += t->nbytes;
    return 0;
}

static int take_vec(sw_model *m, const char *path, const char *name, uint64_t n, int optional,
                    const float **out, sw_err *err) {
    sw_wt w;
    if (take(m, path, name, n, 0, optional, &w, err) < 0) return -1;
    *out = w.data;
    return 0;
}

static int take_layer(sw_model *m, const char *path, int il, sw_err *err) {
    const sw_hparams *hp = &m->hp;
    sw_layer *L = &m->layers[il];
    uint64_t E = (uint64_t)hp->n_embd, F = (uint64_t)hp->n_ff;
    uint64_t QD = (uint64_t)hp->n_head * (uint64_t)hp->head_dim;
    uint64_t KV = (uint64_t)hp->n_head_kv * (uint64_t)hp->head_dim;
    char n[96];
#define NAME(s) (snprintf(n, sizeof n, "blk.%d.%s", il, s), n)
    if (take_vec(m, path, NAME("attn_norm.weight"), E, 0, &L->attn_norm, err) < 0 ||
        take(m, path, NAME("attn_q.weight"), E, QD, 0, &L->wq, err) < 0 ||
        take(m, path, NAME("attn_k.weight"), E, KV, 0, &L->wk, err) < 0 ||
        take(m, path, NAME("attn_v.weight"), E, KV, 0, &L->wv, err) < 0 ||
        take(m, path, NAME("attn_output.weight"), QD, E, 0, &L->wo, err) < 0 ||
        take_vec(m, path, NAME("ffn_norm.weight"), E, 0, &L->ffn_norm, err) < 0 ||
        take(m, path, NAME("ffn_gate.weight"), E, F, 0, &L->w_gate, err) < 0 ||
        take(m, path, NAME("ffn_up.weight"), E, F, 0, &L->w_up, err) < 0 ||
        take(m, path, NAME("ffn_down.weight"), F, E, 0, &L->w_down, err) < 0)
        return -1;
    /* qwen2 always has Q/K/V biases; llama files may carry them too. */
    int opt = !m->rope_neox;
    if (take_vec(m, path, NAME("attn_q.bias"), QD, opt, &L->bq, err) < 0 ||
        take_vec(m, path, NAME("attn_k.bias"), KV, opt, &L->bk, err) < 0 ||
        take_vec(m, path, NAME("attn_v.bias"), KV, opt, &L->bv, err) < 0)
        return -1;
#undef NAME
    if ((L->bq != NULL) != (L->bk != NULL) || (L->bq != NULL) != (L->bv != NULL))
        return sw_err_set(err, "%s: layer %d has some but not all of the attn_q/k/v biases", path, il);
    if (il == 0) m->hp.has_qkv_bias = L->bq != NULL;
    else if (m->hp.has_qkv_bias != (L->bq != NULL))
        return sw_err_set(err, "%s: layer %d: attention biases differ from layer 0", path, il);
    return 0;
}

static int take_weights(sw_model *m, const char *path, sw_err *err) {
    sw_hparams *hp = &m->hp;
    const sw_gguf_tensor *te = sw_gguf_find_tensor(m->g, "token_embd.weight");
    if (!te) return sw_err_set(err, "%s: tensor token_embd.weight is missing", path);
    if (te->n_dims != 2 || te->ne[1] == 0 || te->ne[1] > (1u << 24))
        return sw_err_set(err, "%s: tensor token_embd.weight must be a matrix [n_embd, n_vocab]", path);
    hp->n_vocab = (int)te->ne[1];
    uint64_t E = (uint64_t)hp->n_embd, V = (uint64_t)hp->n_vocab;
    if (take(m, path, "token_embd.weight", E, V, 0, &m->tok_embd, err) < 0) return -1;
    /* Generation reads one embedding row per token, not the whole table. */
    m->weight_bytes -= te->nbytes - sw_type_row_bytes(m->tok_embd.type, E);
    if (take_vec(m, path, "output_norm.weight", E, 0, &m->output_norm, err) < 0 ||
        take(m, path, "output.weight", E, V, 1, &m->output, err) < 0)
        return -1;
    hp->tied_output = m->output.data == NULL;
    if (hp->tied_output) {
        m->output = m->tok_embd;
        m->weight_bytes += te->nbytes;
    }
    /* Llama 3.1-style RoPE scaling: per-pair frequency divisors (llama.cpp's converter
     * computes them from the config's "llama3" rope_scaling). */
    if (take_vec(m, path, "rope_freqs.weight", (uint64_t)hp->n_rot / 2, 1, &m->rope_freqs, err) < 0) return -1;
    for (int j = 0; m->rope_freqs && j < hp->n_rot / 2; j++)
        if (!(m->rope_freqs[j] > 0 && m->rope_freqs[j] < 1e30f))
            return sw_err_set(err, "%s: tensor rope_freqs.weight: element %d = %g is not a positive number", path,
                              j, (double)m->rope_freqs[j]);
    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers) return sw_err_set(err, "%s: out of memory", path);
    for (int il = 0; il < hp->n_layer; il++)
        if (take_layer(m, path, il, err) < 0) return -1;
    return 0;
}

int sw_model_from_gguf(sw_gguf *g, const char *path, sw_model **out, sw_err *err) {
    *out = NULL;
    sw_model *m = calloc(1, sizeof *m);
    if (!m) {
        sw_gguf_close(g);
        return sw_err_set(err, "%s: out of memory", path);
    }
    m->g = g;
    if (read_hparams(m, path, err) < 0 || take_weights(m, path, err) < 0) goto fail;
    if (sw_tokenizer_from_gguf(m->g, &m->tok, err) < 0) {
        sw_err_prefix(err, "%s", path);
        goto fail;
    }
    int32_t nv = sw_tokenizer_n_vocab(m->tok);
    if (nv > m->hp.n_vocab) {
        sw_err_set(err, "%s: the tokenizer has %d tokens but token_embd.weight only %d rows", path, (int)nv,
                   m->hp.n_vocab);
        goto fail;
    }
    *out = m;
    return 0;
fail:
    sw_model_free(m);
    return -1;
}

int sw_model_load(const char *path, sw_model **out, sw_err *err) {
    *out = NULL;
    sw_gguf *g;
    if (sw_gguf_open(path, &g, err) < 0) return -1;
    return sw_model_from_gguf(g, path, out, err);
}

void sw_model_free(sw_model *m) {
    if (!m) return;
    sw_tokenizer_free(m->tok);
    sw_gguf_close(m->g);
    free(m->layers);
    free(m);
}

const sw_hparams *sw_model_hparams(const sw_model *m) { return &m->hp; }
const sw_tokenizer *sw_model_tokenizer(const sw_model *m) { return m->tok; }
const sw_gguf *sw_model_gguf(const sw_model *m) { return m->g; }
uint64_t sw_model_weight_bytes(const sw_model *m) { return m->weight_bytes; }
