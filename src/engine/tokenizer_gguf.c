/* tokenizer_gguf.c - reads a tokenizer from a GGUF file's tokenizer.ggml.* keys. */
#include "steward/tokenizer.h"

#include <stdlib.h>
#include <string.h>

/* A string key as a NUL-terminated copy in buf (truncated keys are an error). */
static int get_cstr(const sw_gguf *g, const char *key, char *buf, size_t cap, int required, sw_err *err) {
    sw_gguf_str s;
    buf[0] = 0;
    if (sw_gguf_get_str(g, key, &s) < 0) {
        if (sw_gguf_find(g, key)) return sw_err_set(err, "%s: not a string", key);
        return required ? sw_err_set(err, "%s: missing", key) : 0;
    }
    if (s.len >= cap) return sw_err_set(err, "%s: value of %llu bytes is too long", key, (unsigned long long)s.len);
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    return 0;
}

/* An optional token id: -1 when absent. */
static int get_id(const sw_gguf *g, const char *key, int32_t *out, sw_err *err) {
    int64_t v;
    *out = -1;
    if (!sw_gguf_find(g, key)) return 0;
    if (sw_gguf_get_i64(g, key, &v) < 0 || v < 0 || v > INT32_MAX) return sw_err_set(err, "%s: not a token id", key);
    *out = (int32_t)v;
    return 0;
}

static int get_flag(const sw_gguf *g, const char *key, int *out, sw_err *err) {
    *out = -1;
    if (!sw_gguf_find(g, key)) return 0;
    if (sw_gguf_get_bool(g, key, out) < 0) return sw_err_set(err, "%s: not a bool", key);
    return 0;
}

/* Copies a string array's pointers and lengths (the strings stay in the file's memory). */
static int str_array(const sw_gguf_kv *kv, const char ***ptrs, size_t **lens, const char *key, sw_err *err) {
    size_t n = (size_t)kv->arr_count;
    *ptrs = malloc((n ? n : 1) * sizeof **ptrs);
    *lens = malloc((n ? n : 1) * sizeof **lens);
    if (!*ptrs || !*lens) return sw_err_set(err, "%s: out of memory for %zu strings", key, n);
    for (size_t i = 0; i < n; i++) {
        sw_gguf_str s = sw_gguf_arr_str(kv, i);
        (*ptrs)[i] = s.ptr ? s.ptr : "";
        (*lens)[i] = (size_t)s.len;
    }
    return 0;
}

int sw_tokenizer_from_gguf(const sw_gguf *g, sw_tokenizer **out, sw_err *err) {
    char model[32], pre[64];
    sw_tokenizer_spec s = {0};
    const char **tokens = NULL, **merges = NULL;
    size_t *token_lens = NULL, *merge_lens = NULL;
    int32_t *types = NULL;
    float *scores = NULL;
    int rc = -1;
    *out = NULL;
    if (get_cstr(g, "tokenizer.ggml.model", model, sizeof model, 1, err) < 0 ||
        get_cstr(g, "tokenizer.ggml.pre", pre, sizeof pre, 0, err) < 0)
        return -1;
    const sw_gguf_kv *tk = sw_gguf_get_arr(g, "tokenizer.ggml.tokens", SW_GGUF_STRING);
    if (!tk) return sw_err_set(err, "tokenizer.ggml.tokens: missing or not an array of strings");
    if (tk->arr_count == 0 || tk->arr_count > INT32_MAX)
        return sw_err_set(err, "tokenizer.ggml.tokens: %llu tokens", (unsigned long long)tk->arr_count);
    size_t n = (size_t)tk->arr_count;
    if (str_array(tk, &tokens, &token_lens, "tokenizer.ggml.tokens", err) < 0) goto done;

    const sw_gguf_kv *ty = sw_gguf_find(g, "tokenizer.ggml.token_type");
    if (ty) {
        if (ty->type != SW_GGUF_ARRAY || (ty->arr_type != SW_GGUF_I32 && ty->arr_type != SW_GGUF_U32) || ty->arr_count != n) {
            sw_err_set(err, "tokenizer.ggml.token_type: want %zu int32 values", n);
            goto done;
        }
        if (!(types = malloc(n * sizeof *types))) { sw_err_set(err, "tokenizer: out of memory"); goto done; }
        memcpy(types, ty->arr_data, n * sizeof *types); /* little-endian, as the file */
    }
    const sw_gguf_kv *sc = sw_gguf_find(g, "tokenizer.ggml.scores");
    if (sc) {
        if (sc->type != SW_GGUF_ARRAY || sc->arr_type != SW_GGUF_F32 || sc->arr_count != n) {
            sw_err_set(err, "tokenizer.ggml.scores: want %zu float32 values", n);
            goto done;
        }
        if (!(scores = malloc(n * sizeof *scores))) { sw_err_set(err, "tokenizer: out of memory"); goto done; }
        memcpy(scores, sc->arr_data, n * sizeof *scores);
    }
    const sw_gguf_kv *mg = sw_gguf_find(g, "tokenizer.ggml.merges");
    if (mg) {
        if (mg->type != SW_GGUF_ARRAY || mg->arr_type != SW_GGUF_STRING) {
            sw_err_set(err, "tokenizer.ggml.merges: not an array of strings");
            goto done;
        }
        if (str_array(mg, &merges, &merge_lens, "tokenizer.ggml.merges", err) < 0) goto done;
        s.n_merges = (size_t)mg->arr_count;
    } else if (strcmp(model, "gpt2") == 0) {
        sw_err_set(err, "tokenizer.ggml.merges: missing (needed by model gpt2)");
        goto done;
    }
    if (get_id(g, "tokenizer.ggml.bos_token_id", &s.bos, err) < 0 || get_id(g, "tokenizer.ggml.eos_token_id", &s.eos, err) < 0 ||
        get_id(g, "tokenizer.ggml.eot_token_id", &s.eot, err) < 0 || get_id(g, "tokenizer.ggml.eom_token_id", &s.eom, err) < 0 ||
        get_id(g, "tokenizer.ggml.unknown_token_id", &s.unk, err) < 0 ||
        get_flag(g, "tokenizer.ggml.add_bos_token", &s.add_bos, err) < 0 ||
        get_flag(g, "tokenizer.ggml.add_space_prefix", &s.add_space_prefix, err) < 0)
        goto done;
    s.model = model;
    s.pre = pre[0] ? pre : NULL;
    s.n_vocab = (int32_t)n;
    s.tokens = tokens;
    s.token_lens = token_lens;
    s.types = types;
    s.scores = scores;
    s.merges = merges;
    s.merge_lens = merge_lens;
    rc = sw_tokenizer_new(&s, out, err);
done:
    free(tokens); free(token_lens); free(merges); free(merge_lens); free(types); free(scores);
    return rc;
}
