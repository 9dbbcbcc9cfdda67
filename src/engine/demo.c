/* demo.c - writes random-weight llama models with a small byte-level BPE tokenizer
 * learned from a built-in text: the model `make run` uses before a trained one exists,
 * and the SmolLM2-shaped model of the benchmarks. Deterministic for a seed. */
#include "model_internal.h"
#include "steward/chat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char demo_text[] =
    "steward is a responsible generative runtime. every generation passes through the "
    "controls of the pipeline: the input guard, the output guard, the labels and the audit "
    "log. the model you are talking to has random weights, so the text it writes has no "
    "meaning. it is here so that the whole path can run before a trained model is shipped. "
    "the guard reads the prompt, the model writes the answer, the label says that the text "
    "was generated, and the audit log keeps a record that can be proved later. the energy "
    "of each request is measured and reported. people can review what the model said, take "
    "over a conversation, or stop the service. the tokenizer splits the text into pieces; "
    "the pieces are the tokens that the model reads and writes.";

#define MAX_MERGES 400

typedef struct vocab {
    char **tok;   /* UTF-8 text of each token */
    int32_t *type;
    size_t *len;
    int n;
    char **merges; /* "A B" in rank order */
    int n_merges;
} vocab;

static void vocab_free(vocab *v) {
    for (int i = 0; i < v->n; i++) free(v->tok[i]);
    for (int i = 0; i < v->n_merges; i++) free(v->merges[i]);
    free(v->tok);
    free(v->type);
    free(v->len);
    free(v->merges);
    memset(v, 0, sizeof *v);
}

static int vocab_add(vocab *v, const char *s, int32_t type) {
    char *d = strdup(s);
    if (!d) return -1;
    v->tok[v->n] = d;
    v->len[v->n] = strlen(d);
    v->type[v->n++] = type;
    return 0;
}

/* GPT-2's printable stand-in for byte b, as UTF-8 into out (NUL-terminated). */
static void byte_char(int b, char out[4]) {
    int keep = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    uint32_t cp = (uint32_t)b;
    if (!keep) {
        int extra = 0; /* rank of b among the bytes that are not kept */
        for (int c = 0; c < b; c++)
            if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE)) extra++;
        cp = 256u + (uint32_t)extra;
    }
    int n = sw_utf8_encode(cp, (unsigned char *)out);
    out[n] = 0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Learns byte-level BPE merges from demo_text: words are runs of non-spaces with their
 * leading space; the most frequent adjacent pair (ties: lowest ids) is merged while it
 * occurs at least twice. */
static int learn_vocab(vocab *v) {
    size_t tl = sizeof demo_text - 1;
    v->tok = calloc(256 + MAX_MERGES + 3, sizeof *v->tok);
    v->type = calloc(256 + MAX_MERGES + 3, sizeof *v->type);
    v->len = calloc(256 + MAX_MERGES + 3, sizeof *v->len);
    v->merges = calloc(MAX_MERGES, sizeof *v->merges);
    int *sym = malloc(2 * tl * sizeof *sym);  /* symbols; -1 separates words */
    uint64_t *pairs = malloc(tl * sizeof *pairs);
    int rc = -1;
    if (!v->tok || !v->type || !v->len || !v->merges || !sym || !pairs) goto done;
    for (int b = 0; b < 256; b++) {
        char s[5];
        byte_char(b, s);
        if (vocab_add(v, s, SW_TOK_NORMAL) < 0) goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < tl; i++) {
        if (demo_text[i] == ' ' && i > 0) sym[n++] = -1;
        sym[n++] = (unsigned char)demo_text[i];
    }
    while (v->n_merges < MAX_MERGES) {
        size_t np = 0;
        for (size_t i = 0; i + 1 < n; i++)
            if (sym[i] >= 0 && sym[i + 1] >= 0) pairs[np++] = (uint64_t)sym[i] << 32 | (uint32_t)sym[i + 1];
        if (!np) break;
        qsort(pairs, np, sizeof *pairs, cmp_u64);
        uint64_t best = 0;
        size_t best_n = 0;
        for (size_t i = 0; i < np;) {
            size_t j = i;
            while (j < np && pairs[j] == pairs[i]) j++;
            if (j - i > best_n) best_n = j - i, best = pairs[i];
            i = j;
        }
        if (best_n < 2) break;
        int a = (int)(best >> 32), b = (int)(uint32_t)best;
        size_t la = v->len[a], lb = v->len[b];
        char *joined = malloc(la + lb + 1), *merge = malloc(la + lb + 2);
        if (!joined || !merge) {
            free(joined);
            free(merge);
            goto done;
        }
        memcpy(joined, v->tok[a], la);
        memcpy(joined + la, v->tok[b], lb + 1);
        memcpy(merge, v->tok[a], la);
        merge[la] = ' ';
        memcpy(merge + la + 1, v->tok[b], lb + 1);
        v->merges[v->n_merges++] = merge;
        int id = -1;
        for (int t = 0; t < v->n && id < 0; t++)
            if (strcmp(v->tok[t], joined) == 0) id = t;
        if (id < 0) {
            id = v->n;
            if (vocab_add(v, joined, SW_TOK_NORMAL) < 0) {
                free(joined);
                goto done;
            }
        }
        free(joined);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n && sym[i] == a && sym[i + 1] == b) {
                sym[o++] = id;
                i++;
            } else {
                sym[o++] = sym[i];
            }
        }
        n = o;
    }
    if (vocab_add(v, "<|endoftext|>", SW_TOK_CONTROL) < 0 || vocab_add(v, "<|im_start|>", SW_TOK_CONTROL) < 0 ||
        vocab_add(v, "<|im_end|>", SW_TOK_CONTROL) < 0)
        goto done;
    rc = 0;
done:
    free(sym);
    free(pairs);
    return rc;
}

int sw_model_demo_vocab_size(void) {
    vocab v = {0};
    int n = learn_vocab(&v) < 0 ? -1 : v.n;
    vocab_free(&v);
    return n;
}

/* splitmix64: a small, well-mixed generator; values are uniform with variance 1. */
static float rand_unit(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double u = (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
    return (float)((u * 2.0 - 1.0) * 1.7320508075688772);
}

/* Adds a rows x cols matrix (or a vector when rows == 0: base + scale * noise, F32). */
static int add_random(sw_gguf_writer *w, const char *name, int64_t rows, int64_t cols, sw_ggml_type want,
                      float base, float scale, uint64_t *rng, sw_err *err) {
    int64_t nr = rows ? rows : 1;
    float *f = malloc((size_t)(nr * cols) * sizeof(float));
    if (!f) return sw_err_set(err, "demo: out of memory for %s", name);
    for (int64_t i = 0; i < nr * cols; i++) f[i] = base + scale * rand_unit(rng);
    sw_ggml_type to = rows ? sw_quant_type_for_row(want, (uint64_t)cols) : SW_TYPE_F32;
    size_t row = sw_type_row_bytes(to, (uint64_t)cols);
    uint8_t *q = malloc(row * (size_t)nr);
    if (!q) {
        free(f);
        return sw_err_set(err, "demo: out of memory for %s", name);
    }
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t r = 0; r < nr; r++) sw_row_from_f32(to, f + r * cols, q + (size_t)r * row, cols);
    uint64_t ne[2] = {(uint64_t)cols, (uint64_t)rows};
    int rc = sw_gguf_add_tensor(w, name, to, rows ? 2 : 1, ne, q, row * (size_t)nr, err);
    free(f);
    free(q);
    return rc;
}

static int put_tokenizer(sw_gguf_writer *w, const vocab *v, int n_vocab) {
    /* pad to n_vocab with unused tokens, so that the benchmark can use a large vocabulary */
    const char **tok = calloc((size_t)n_vocab, sizeof *tok);
    size_t *len = calloc((size_t)n_vocab, sizeof *len);
    int32_t *type = calloc((size_t)n_vocab, sizeof *type);
    char *pad = malloc((size_t)n_vocab * 24 + 1);
    int rc = -1;
    if (!tok || !len || !type || !pad) goto done;
    for (int i = 0; i < n_vocab; i++) {
        if (i < v->n) {
            tok[i] = v->tok[i];
            len[i] = v->len[i];
            type[i] = v->type[i];
        } else {
            char *p = pad + (size_t)i * 24;
            len[i] = (size_t)snprintf(p, 24, "<|unused_%d|>", i);
            tok[i] = p;
            type[i] = SW_TOK_UNUSED;
        }
    }
    size_t *mlen = calloc((size_t)v->n_merges + 1, sizeof *mlen);
    if (!mlen) goto done;
    for (int i = 0; i < v->n_merges; i++) mlen[i] = strlen(v->merges[i]);
    int32_t eot = v->n - 3, im_end = v->n - 1;
    rc = sw_gguf_set_str(w, "tokenizer.ggml.model", "gpt2") | sw_gguf_set_str(w, "tokenizer.ggml.pre", "gpt-2") |
         sw_gguf_set_arr_str(w, "tokenizer.ggml.tokens", tok, len, (uint64_t)n_vocab) |
         sw_gguf_set_arr_i32(w, "tokenizer.ggml.token_type", type, (uint64_t)n_vocab) |
         sw_gguf_set_arr_str(w, "tokenizer.ggml.merges", (const char *const *)v->merges, mlen,
                             (uint64_t)v->n_merges) |
         sw_gguf_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)eot) |
         sw_gguf_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)im_end) |
         sw_gguf_set_bool(w, "tokenizer.ggml.add_bos_token", 0) |
         sw_gguf_set_str(w, "tokenizer.chat_template", sw_chat_template_text(SW_CHAT_CHATML));
    free(mlen);
done:
    free(tok);
    free(len);
    free(type);
    free(pad);
    return rc;
}

static int put_hparams(sw_gguf_writer *w, const sw_model_shape *s, sw_ggml_type type) {
    return sw_gguf_set_str(w, "general.architecture", "llama") |
           sw_gguf_set_str(w, "general.name", "steward-demo (random weights)") |
           sw_gguf_set_u32(w, "general.file_type", sw_file_type_of(type)) |
           sw_gguf_set_u32(w, "llama.context_length", (uint32_t)s->n_ctx) |
           sw_gguf_set_u32(w, "llama.embedding_length", (uint32_t)s->n_embd) |
           sw_gguf_set_u32(w, "llama.block_count", (uint32_t)s->n_layer) |
           sw_gguf_set_u32(w, "llama.feed_forward_length", (uint32_t)s->n_ff) |
           sw_gguf_set_u32(w, "llama.attention.head_count", (uint32_t)s->n_head) |
           sw_gguf_set_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv) |
           sw_gguf_set_u32(w, "llama.rope.dimension_count", (uint32_t)(s->n_embd / s->n_head)) |
           sw_gguf_set_f32(w, "llama.rope.freq_base", 10000.0f) |
           sw_gguf_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
}

int sw_model_write_random(const char *path, const sw_model_shape *s, sw_ggml_type type, uint64_t seed,
                          sw_err *err) {
    if (s->n_embd <= 0 || s->n_head <= 0 || s->n_head_kv <= 0 || s->n_layer <= 0 || s->n_ff <= 0 ||
        s->n_ctx <= 0 || s->n_embd % s->n_head || s->n_head % s->n_head_kv || (s->n_embd / s->n_head) % 2)
        return sw_err_set(err, "demo: inconsistent model shape");
    if (!sw_type_supported(type)) return sw_err_set(err, "demo: unsupported type %u", (unsigned)type);
    vocab v = {0};
    sw_gguf_writer *w = sw_gguf_writer_new();
    int rc = -1;
    if (!w || learn_vocab(&v) < 0) {
        sw_err_set(err, "demo: out of memory");
        goto done;
    }
    int n_vocab = s->n_vocab > v.n ? s->n_vocab : v.n;
    if (put_hparams(w, s, type) < 0 || put_tokenizer(w, &v, n_vocab) < 0 ||
        (type != SW_TYPE_F32 && type != SW_TYPE_F16 && sw_gguf_set_u32(w, "general.quantization_version", 2) < 0)) {
        sw_err_set(err, "demo: out of memory");
        goto done;
    }
    uint64_t rng = seed;
    int64_t E = s->n_embd, F = s->n_ff, KV = (int64_t)s->n_head_kv * (E / s->n_head);
    float ie = 1.0f / sqrtf((float)E), iff = 1.0f / sqrtf((float)F);
    if (add_random(w, "token_embd.weight", n_vocab, E, type, 0, 1.0f, &rng, err) < 0) goto done;
    for (int l = 0; l < s->n_layer; l++) {
        char n[9][64];
        static const char *names[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                       "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
        for (int i = 0; i < 9; i++) snprintf(n[i], sizeof n[i], "blk.%d.%s.weight", l, names[i]);
        if (add_random(w, n[0], 0, E, type, 1, 0.1f, &rng, err) < 0 ||
            add_random(w, n[1], E, E, type, 0, ie, &rng, err) < 0 ||
            add_random(w, n[2], KV, E, type, 0, ie, &rng, err) < 0 ||
            add_random(w, n[3], KV, E, type, 0, ie, &rng, err) < 0 ||
            add_random(w, n[4], E, E, type, 0, ie, &rng, err) < 0 ||
            add_random(w, n[5], 0, E, type, 1, 0.1f, &rng, err) < 0 ||
            add_random(w, n[6], F, E, type, 0, ie, &rng, err) < 0 ||
            add_random(w, n[7], F, E, type, 0, ie, &rng, err) < 0 ||
            add_random(w, n[8], E, F, type, 0, iff, &rng, err) < 0)
            goto done;
    }
    if (add_random(w, "output_norm.weight", 0, E, type, 1, 0.1f, &rng, err) < 0 ||
        (!s->tied && add_random(w, "output.weight", n_vocab, E, type, 0, ie * 4, &rng, err) < 0))
        goto done;
    rc = sw_gguf_write(w, path, err);
done:
    vocab_free(&v);
    sw_gguf_writer_free(w);
    return rc;
}
