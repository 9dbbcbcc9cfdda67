/* bench_grammar.c - the cost of constrained decoding: the token mask per generated token
 * on a 49,152-token vocabulary (SmolLM2-135M's size; byte-level pieces learned from
 * the shipped tinyshakespeare text), sampled under the watermark as the pipeline
 * samples, against the forward pass of a random-weight model of SmolLM2-135M's shape
 * (measured in the same run). Also counts how many documents complete and validate. */
#include "steward/grammar.h"
#include "steward/model.h"
#include "steward/watermark.h"

#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_VOCAB 49152
#define MAX_PIECE 12
#define BUDGET 256
#define DOCS 12
#define FWD_TOKENS 24

static int piece_char(int c) { return c != '\n' && c != '\r' && c >= 0x20 && c < 0x7f; }

/* 256 single bytes, then pieces of the corpus (words with their leading space, and
 * their prefixes) by first appearance, then numbers and JSON punctuation, to N_VOCAB.
 * The last token is an end-of-generation token with no bytes. */
static int make_vocab(sw_grammar_vocab **out) {
    sw_buf text = {0};
    sw_err err;
    if (sw_read_file("data/corpus/tinyshakespeare/train.txt", &text, &err) < 0) {
        fprintf(stderr, "bench_grammar: %s (run from the repository root)\n", err.msg);
        return -1;
    }
    char **tok = calloc(N_VOCAB, sizeof *tok);
    size_t *len = calloc(N_VOCAB, sizeof *len);
    uint8_t *eog = calloc(N_VOCAB, 1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
        tok[n] = malloc(1);
        tok[n][0] = (char)b;
        len[n++] = 1;
    }
    const char *extra[] = {"{\"", "\":\"", "\",\"", "\":", "\"}", "},{", "[{", "}]", "\":[", "],\"", "\": ", "\", \"", "null", "true", "false"};
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
        tok[n] = strdup(extra[i]);
        len[n++] = strlen(extra[i]);
    }
    for (int v = 0; v < 1000; v++) { /* numbers as BPE vocabularies hold them */
        char num[8];
        len[n] = (size_t)snprintf(num, sizeof num, "%d", v);
        tok[n++] = strdup(num);
    }
    /* pieces: every prefix (2..MAX_PIECE bytes) of each word, with and without its space */
    json_t *seen = json_object();
    for (size_t i = 0; i < text.len && n < N_VOCAB - 1; i++) {
        if (!(i == 0 || text.data[i - 1] == ' ' || text.data[i - 1] == '\n')) continue;
        for (int space = 0; space < 2 && n < N_VOCAB - 1; space++) {
            char piece[MAX_PIECE + 2];
            size_t k = 0;
            if (space) piece[k++] = ' ';
            for (size_t j = i; j < text.len && k < MAX_PIECE && piece_char((unsigned char)text.data[j]) &&
                               (text.data[j] != ' ' || k == 0);
                 j++) {
                piece[k++] = text.data[j];
                piece[k] = 0;
                if (k < 2 || json_object_get(seen, piece)) continue;
                json_object_set_new(seen, piece, json_true());
                tok[n] = strdup(piece);
                len[n++] = k;
                if (n == N_VOCAB - 1) break;
            }
        }
    }
    json_decref(seen);
    while (n < N_VOCAB - 1) { /* never reached with the shipped corpus */
        char num[16];
        len[n] = (size_t)snprintf(num, sizeof num, "%d", n);
        tok[n++] = strdup(num);
    }
    tok[n] = strdup("");
    len[n] = 0;
    eog[n++] = 1;
    int rc = sw_grammar_vocab_from_bytes(N_VOCAB, (const char *const *)tok, len, eog, out, &err);
    if (rc < 0) fprintf(stderr, "bench_grammar: %s\n", err.msg);
    for (int i = 0; i < N_VOCAB; i++) free(tok[i]);
    free(tok);
    free(len);
    free(eog);
    sw_buf_free(&text);
    return rc;
}

typedef struct figures {
    double mask_s, sample_s; /* total seconds in the mask; in sampling (mask included) */
    double plain_s;          /* the same logits sampled without the mask (the baseline) */
    long tokens, docs, complete, parsed;
} figures;

/* Generates DOCS documents of the grammar with random logits (a model's stand-in),
 * sampled at temperature 0.8 under the KGW watermark with the mask stage. */
static int run_grammar(const sw_grammar *g, const sw_grammar_vocab *v, figures *f) {
    float *logits = malloc(N_VOCAB * sizeof *logits), *raw = malloc(N_VOCAB * sizeof *raw);
    int32_t hist[BUDGET];
    uint8_t key[SW_WM_KEY_BYTES] = {7};
    sw_err err;
    sw_rng rng;
    sw_rng_seed(&rng, 3);
    for (int d = 0; d < DOCS; d++) {
        sw_sampler_params p;
        sw_sampler_params_default(&p);
        p.seed = (uint64_t)d;
        sw_wm_params wp;
        sw_wm_params_default(SW_WM_KGW_SELFHASH, &wp);
        sw_watermark *wm = sw_wm_new(&wp, key, N_VOCAB);
        sw_sampler *smp = sw_sampler_new(&p, N_VOCAB), *plain = sw_sampler_new(&p, N_VOCAB);
        sw_grammar_state *st = NULL;
        if (!wm || !smp || sw_grammar_state_new(g, v, BUDGET, &st, &err) < 0) return -1;
        sw_sampler_hook hook;
        sw_wm_hook(wm, &hook);
        sw_sampler_set_hook(smp, &hook);
        sw_buf doc = {0};
        int n = 0;
        while (n < BUDGET && !sw_grammar_state_is_done(st)) {
            for (int t = 0; t < N_VOCAB; t++) raw[t] = logits[t] = (float)sw_rng_normal(&rng) * 2.5f;
            uint64_t p0 = sw_now_ns();
            (void)sw_sampler_sample(plain, raw, hist, n, NULL, NULL);
            f->plain_s += (double)(sw_now_ns() - p0) / 1e9;
            uint64_t t0 = sw_now_ns();
            if (sw_grammar_state_mask(st, logits, &err) < 0) break;
            uint64_t t1 = sw_now_ns();
            int32_t tok = sw_sampler_sample(smp, logits, hist, n, NULL, NULL);
            uint64_t t2 = sw_now_ns();
            if (tok == N_VOCAB - 1 || sw_grammar_state_accept_token(st, tok, &err) < 0) break;
            f->mask_s += (double)(t1 - t0) / 1e9;
            f->sample_s += (double)(t2 - t0) / 1e9;
            hist[n++] = tok;
            size_t len;
            const char *piece = sw_grammar_vocab_token(v, tok, &len);
            sw_buf_append(&doc, piece, len);
        }
        f->tokens += n;
        f->docs++;
        f->complete += sw_grammar_state_is_complete(st);
        json_t *j = json_loadb(doc.data ? doc.data : "", doc.len, JSON_DECODE_ANY, NULL);
        f->parsed += j != NULL;
        if (!j && getenv("BENCH_GRAMMAR_SHOW")) fprintf(stderr, "not JSON: %.*s\n", (int)doc.len, doc.data);
        json_decref(j);
        sw_grammar_state_free(st);
        sw_sampler_free(smp);
        sw_sampler_free(plain);
        sw_wm_free(wm);
        sw_buf_free(&doc);
    }
    free(logits);
    free(raw);
    return 0;
}

/* Seconds per generated token of the forward pass (one thread and all threads) of a
 * random model of SmolLM2-135M's shape, Q8_0. */
static int forward_seconds(double *per_token_1, double *per_token_all) {
    char dir[] = "/tmp/steward-bench-grammar-XXXXXX", path[80];
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/model.gguf", dir);
    sw_model_shape shape = {.n_vocab = N_VOCAB, .n_ctx = 512, .n_embd = 576, .n_layer = 30, .n_ff = 1536,
                            .n_head = 9, .n_head_kv = 3, .tied = 1};
    sw_err err;
    sw_model *m = NULL;
    sw_ctx *c = NULL;
    float *logits = malloc(N_VOCAB * sizeof *logits);
    int rc = -1;
    if (sw_model_write_random(path, &shape, SW_TYPE_Q8_0, 7, &err) < 0 || sw_model_load(path, &m, &err) < 0 ||
        !(c = sw_ctx_new(m, 512, &err))) {
        fprintf(stderr, "bench_grammar: %s\n", err.msg);
        goto done;
    }
    int32_t toks[FWD_TOKENS + 8];
    for (int i = 0; i < FWD_TOKENS + 8; i++) toks[i] = (int32_t)((i * 7919) % 40000);
    if (sw_ctx_eval(c, toks, 8, 0, logits, NULL, &err) < 0) goto done; /* pages the weights in */
    for (int pass = 0; pass < 2; pass++) {
        omp_set_num_threads(pass == 0 ? 1 : omp_get_num_procs());
        uint64_t t0 = sw_now_ns();
        for (int i = 0; i < FWD_TOKENS; i++)
            if (sw_ctx_eval(c, toks + 8 + i, 1, 8 + pass * FWD_TOKENS + i, logits, NULL, &err) < 0) goto done;
        double s = (double)(sw_now_ns() - t0) / 1e9 / FWD_TOKENS;
        *(pass == 0 ? per_token_1 : per_token_all) = s;
    }
    rc = 0;
done:
    sw_ctx_free(c);
    sw_model_free(m);
    free(logits);
    unlink(path);
    rmdir(dir);
    return rc;
}

int main(void) {
    sw_grammar_vocab *v = NULL;
    if (make_vocab(&v) < 0) return 1;
    static const char *const files[] = {"tests/cli/grammar/person.schema.json", "tests/cli/grammar/arrays.schema.json",
                                        "tests/cli/grammar/tree.schema.json", "tests/cli/grammar/json.gbnf"};
    printf("bench_grammar: %d-token vocabulary, %d documents per grammar, budget %d tokens, random logits, "
           "temperature 0.8, top-k 40, KGW watermark after the mask\n", N_VOCAB, DOCS, BUDGET);
    figures all = {0};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        sw_buf text = {0};
        sw_err err;
        sw_grammar *g = NULL;
        int gbnf = strstr(files[i], ".gbnf") != NULL;
        if (sw_read_file(files[i], &text, &err) < 0 ||
            (gbnf ? sw_grammar_from_gbnf(text.data, text.len, &g, &err) : sw_grammar_from_schema(text.data, text.len, &g, &err)) < 0) {
            fprintf(stderr, "bench_grammar: %s\n", err.msg);
            return 1;
        }
        figures f = {0};
        if (run_grammar(g, v, &f) < 0) return 1;
        printf("%-20s %5ld tokens  mask %6.1f us/token  sampling: plain %6.1f, with mask %6.1f us/token  "
               "complete %ld/%ld  JSON %ld/%ld\n", files[i] + 18, f.tokens, 1e6 * f.mask_s / (double)f.tokens,
               1e6 * f.plain_s / (double)f.tokens, 1e6 * f.sample_s / (double)f.tokens, f.complete, f.docs, f.parsed,
               f.docs);
        all.plain_s += f.plain_s;
        all.mask_s += f.mask_s;
        all.sample_s += f.sample_s;
        all.tokens += f.tokens;
        all.docs += f.docs;
        all.complete += f.complete;
        sw_grammar_free(g);
        sw_buf_free(&text);
    }
    double mask = all.mask_s / (double)all.tokens, plain = all.plain_s / (double)all.tokens;
    double with = all.sample_s / (double)all.tokens, fwd1 = 0, fwdn = 0;
    if (forward_seconds(&fwd1, &fwdn) < 0) return 1;
    double free_tps = 1 / (fwd1 + plain), cons_tps = 1 / (fwd1 + with);
    printf("all: mask %.1f us/token; forward pass (SmolLM2-135M shape, Q8_0, 1 thread) %.1f ms/token (%.1f ms on %d "
           "threads); generation %.2f tok/s unconstrained, %.2f tok/s constrained: constrained decoding costs %.1f%% "
           "of generation speed (target <= 10%%); complete %ld/%ld\n",
           1e6 * mask, 1e3 * fwd1, 1e3 * fwdn, omp_get_num_procs(), free_tps, cons_tps,
           100 * (1 - cons_tps / free_tps), all.complete, all.docs);
    sw_grammar_vocab_free(v);
    return 0;
}
