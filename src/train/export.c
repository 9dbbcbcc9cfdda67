/* export.c - a trained model and its tokenizer as GGUF (F32 weights, `llama`
 * architecture, `gpt2` byte-level BPE), loadable by steward and llama.cpp. */
#include "steward/train.h"
#include "steward/gguf.h"

#include <stdlib.h>
#include <string.h>

int sw_bpe_put_gguf(sw_gguf_writer *w, const sw_bpe *b, sw_err *err) {
    size_t *lens = malloc(((size_t)b->n_vocab + (size_t)b->n_merges + 1) * sizeof *lens);
    if (!lens) return sw_err_set(err, "export: out of memory");
    for (int i = 0; i < b->n_vocab; i++) lens[i] = strlen(b->tokens[i]);
    size_t *mlens = lens + b->n_vocab;
    for (int i = 0; i < b->n_merges; i++) mlens[i] = strlen(b->merges[i]);
    int rc = sw_gguf_set_str(w, "tokenizer.ggml.model", "gpt2") ||
             sw_gguf_set_str(w, "tokenizer.ggml.pre", "gpt-2") /* llama.cpp's name */ ||
             sw_gguf_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)b->tokens, lens, (uint64_t)b->n_vocab) ||
             sw_gguf_set_arr_i32(w, "tokenizer.ggml.token_type", b->token_type, (uint64_t)b->n_vocab) ||
             sw_gguf_set_arr_str(w, "tokenizer.ggml.merges", (const char *const *)b->merges, mlens, (uint64_t)b->n_merges) ||
             sw_gguf_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)b->eos_id) ||
             sw_gguf_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)b->eos_id) ||
             sw_gguf_set_bool(w, "tokenizer.ggml.add_bos_token", 0);
    free(lens);
    return rc ? sw_err_set(err, "export: out of memory for the tokenizer keys") : 0;
}

/* Finds the id of a token's text; -1 when absent. Linear: vocabularies here are small. */
static int32_t find_tok(const sw_bpe *b, const char *s, size_t n) {
    for (int i = 0; i < b->n_vocab; i++)
        if (strlen(b->tokens[i]) == n && memcmp(b->tokens[i], s, n) == 0) return i;
    return -1;
}

int sw_bpe_from_gguf(const sw_gguf *g, sw_bpe *b, sw_err *err) {
    memset(b, 0, sizeof *b);
    sw_gguf_str model;
    if (sw_gguf_get_str(g, "tokenizer.ggml.model", &model) || model.len != 4 || memcmp(model.ptr, "gpt2", 4))
        return sw_err_set(err, "tokenizer.ggml.model: missing or not \"gpt2\"");
    const sw_gguf_kv *tk = sw_gguf_get_arr(g, "tokenizer.ggml.tokens", SW_GGUF_STRING);
    const sw_gguf_kv *mg = sw_gguf_get_arr(g, "tokenizer.ggml.merges", SW_GGUF_STRING);
    const sw_gguf_kv *ty = sw_gguf_get_arr(g, "tokenizer.ggml.token_type", SW_GGUF_I32);
    if (!tk || !mg) return sw_err_set(err, "tokenizer.ggml.tokens or .merges: missing or not string arrays");
    if (tk->arr_count < 257 || tk->arr_count > 4096 || mg->arr_count + 256 >= tk->arr_count)
        return sw_err_set(err, "tokenizer.ggml.tokens: %llu tokens and %llu merges are not a steward-trained vocabulary",
                          (unsigned long long)tk->arr_count, (unsigned long long)mg->arr_count);
    b->n_vocab = (int)tk->arr_count;
    b->n_merges = (int)mg->arr_count;
    b->tokens = calloc((size_t)b->n_vocab, sizeof *b->tokens);
    b->merges = calloc((size_t)b->n_merges + 1, sizeof *b->merges);
    b->merge_left = calloc((size_t)b->n_merges + 1, sizeof(int32_t));
    b->merge_right = calloc((size_t)b->n_merges + 1, sizeof(int32_t));
    b->token_type = calloc((size_t)b->n_vocab, sizeof(int32_t));
    if (!b->tokens || !b->merges || !b->merge_left || !b->merge_right || !b->token_type) goto oom;
    for (int i = 0; i < b->n_vocab; i++) {
        sw_gguf_str s = sw_gguf_arr_str(tk, (uint64_t)i);
        if (!(b->tokens[i] = strndup(s.ptr, s.len))) goto oom;
        int32_t t = 1;
        if (ty && (uint64_t)i < ty->arr_count) memcpy(&t, ty->arr_data + 4 * (size_t)i, 4);
        b->token_type[i] = t;
        if (t == 3 && !b->eos_id) b->eos_id = i; /* <|endoftext|>: the first control token */
    }
    for (int k = 0; k < b->n_merges; k++) {
        sw_gguf_str s = sw_gguf_arr_str(mg, (uint64_t)k);
        if (!(b->merges[k] = strndup(s.ptr, s.len))) goto oom;
        const char *sp = memchr(s.ptr, ' ', s.len);
        int32_t l = sp ? find_tok(b, s.ptr, (size_t)(sp - s.ptr)) : -1;
        int32_t r = sp ? find_tok(b, sp + 1, s.len - (size_t)(sp - s.ptr) - 1) : -1;
        /* steward's trainer puts merge k's result at id 256 + k; anything else is a
         * vocabulary this encoder does not handle */
        if (l < 0 || r < 0 || strlen(b->tokens[256 + k]) != strlen(b->tokens[l]) + strlen(b->tokens[r]))
            return sw_bpe_free(b), sw_err_set(err, "tokenizer.ggml.merges[%d]: not a merge of this vocabulary", k);
        b->merge_left[k] = l;
        b->merge_right[k] = r;
    }
    b->pair_rank = malloc((size_t)b->n_vocab * b->n_vocab * sizeof(int32_t));
    if (!b->pair_rank) goto oom;
    for (size_t i = 0; i < (size_t)b->n_vocab * b->n_vocab; i++) b->pair_rank[i] = -1;
    for (int k = b->n_merges - 1; k >= 0; k--)
        b->pair_rank[(size_t)b->merge_left[k] * b->n_vocab + (size_t)b->merge_right[k]] = k;
    return 0;
oom:
    sw_bpe_free(b);
    return sw_err_set(err, "tokenizer: out of memory");
}

int sw_tmodel_put_gguf(sw_gguf_writer *w, sw_tmodel *m, sw_err *err) {
    const sw_tconfig *c = sw_tmodel_config(m);
    int rc = sw_gguf_set_str(w, "general.architecture", "llama") ||
             sw_gguf_set_u32(w, "general.alignment", SW_GGUF_DEFAULT_ALIGNMENT) ||
             sw_gguf_set_u32(w, "general.file_type", 0) || /* all F32 */
             sw_gguf_set_u32(w, "llama.context_length", (uint32_t)c->n_ctx) ||
             sw_gguf_set_u32(w, "llama.embedding_length", (uint32_t)c->n_embd) ||
             sw_gguf_set_u32(w, "llama.block_count", (uint32_t)c->n_layer) ||
             sw_gguf_set_u32(w, "llama.feed_forward_length", (uint32_t)c->n_ff) ||
             sw_gguf_set_u32(w, "llama.rope.dimension_count", (uint32_t)(c->n_embd / c->n_head)) ||
             sw_gguf_set_u32(w, "llama.attention.head_count", (uint32_t)c->n_head) ||
             sw_gguf_set_u32(w, "llama.attention.head_count_kv", (uint32_t)c->n_head_kv) ||
             sw_gguf_set_f32(w, "llama.attention.layer_norm_rms_epsilon", c->rms_eps) ||
             sw_gguf_set_f32(w, "llama.rope.freq_base", c->rope_base) ||
             sw_gguf_set_u32(w, "llama.vocab_size", (uint32_t)c->n_vocab);
    if (rc) return sw_err_set(err, "export: out of memory for the model keys");
    const float *p = sw_tmodel_params(m, NULL);
    for (int i = 0; i < sw_tmodel_n_tensors(m); i++) {
        sw_ttensor t = sw_tmodel_tensor(m, i);
        if (sw_gguf_add_tensor(w, t.name, SW_TYPE_F32, (uint32_t)t.n_dims, t.ne, p + t.offset,
                               (uint64_t)t.size * sizeof(float), err))
            return sw_err_prefix(err, "export: tensor %s", t.name);
    }
    return 0;
}
