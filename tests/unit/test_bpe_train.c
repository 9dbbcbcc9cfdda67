/* test_bpe_train.c - the byte-level BPE trainer: GPT-2 pre-tokenisation, merge order,
 * token strings, determinism and lossless encoding. */
#include "steward/chat.h"
#include "steward/data.h"
#include "steward/gguf.h"
#include "steward/tokenizer.h"
#include "steward/train.h"
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

typedef struct { char out[32][32]; int n; } pieces;
static void collect(const char *p, size_t n, void *ud) {
    pieces *ps = ud;
    if (ps->n < 32 && n < 32) {
        memcpy(ps->out[ps->n], p, n);
        ps->out[ps->n][n] = 0;
    }
    ps->n++;
}

static void test_pretokenize(void) {
    const char *s = "Hello world's  end\n\nfoo 123 ?!x  ";
    const char *want[] = {"Hello", " world", "'s", " ", " end", "\n", "\n", "foo", " 123", " ?!", "x", "  "};
    pieces ps = {.n = 0};
    sw_bpe_pretokenize(s, strlen(s), collect, &ps);
    T_CHECK_MSG(ps.n == 12, "%d pieces", ps.n);
    for (int i = 0; i < 12 && i < ps.n; i++) T_CHECK_MSG(strcmp(ps.out[i], want[i]) == 0, "piece %d: '%s'", i, ps.out[i]);
}

static void test_train_small(void) {
    const char *text = "the cat sat on the mat. the cat ate the rat. that is that.";
    sw_bpe b;
    sw_err err = {{0}};
    T_CHECK(sw_bpe_train(text, strlen(text), 270, &b, &err) == 0);
    T_CHECK(b.n_vocab <= 270 && b.n_vocab == 256 + b.n_merges + 1);
    T_CHECK(b.eos_id == b.n_vocab - 1 && strcmp(b.tokens[b.eos_id], "<|endoftext|>") == 0 && b.token_type[b.eos_id] == 3);
    /* byte tokens: printable bytes stand for themselves, space is U+0120 'Ġ' */
    T_CHECK(strcmp(b.tokens['a'], "a") == 0);
    T_CHECK(strcmp(b.tokens[' '], "\xc4\xa0") == 0);
    T_CHECK(strcmp(b.tokens['\n'], "\xc4\x8a") == 0);
    /* the most frequent pair comes first: "a" "t" (cat, sat, mat, ate, rat, that x2) */
    T_CHECK_MSG(strcmp(b.merges[0], "a t") == 0, "first merge '%s'", b.merges[0]);
    /* each merge's text is its parts' texts; the new token concatenates them */
    for (int k = 0; k < b.n_merges; k++) {
        char want[128];
        snprintf(want, sizeof want, "%s %s", b.tokens[b.merge_left[k]], b.tokens[b.merge_right[k]]);
        T_CHECK(strcmp(want, b.merges[k]) == 0);
        snprintf(want, sizeof want, "%s%s", b.tokens[b.merge_left[k]], b.tokens[b.merge_right[k]]);
        T_CHECK(strcmp(want, b.tokens[256 + k]) == 0);
        T_CHECK(b.merge_left[k] < 256 + k && b.merge_right[k] < 256 + k);
    }
    /* deterministic */
    sw_bpe b2;
    T_CHECK(sw_bpe_train(text, strlen(text), 270, &b2, &err) == 0);
    T_CHECK(b2.n_merges == b.n_merges);
    for (int k = 0; k < b.n_merges && k < b2.n_merges; k++) T_CHECK(strcmp(b.merges[k], b2.merges[k]) == 0);
    /* encoding is shorter than bytes and decodes back exactly */
    int32_t *ids = NULL;
    size_t n = 0;
    T_CHECK(sw_bpe_encode(&b, text, strlen(text), &ids, &n, &err) == 0);
    T_CHECK_MSG(n < strlen(text) * 2 / 3, "%zu tokens", n);
    char back[256];
    size_t bl = 0;
    for (size_t i = 0; i < n; i++) {
        /* undo merges recursively through merge_left/right */
        int32_t stack[64];
        int sp = 0;
        stack[sp++] = ids[i];
        while (sp) {
            int32_t t = stack[--sp];
            if (t < 256) {
                back[bl++] = (char)t;
            } else {
                stack[sp++] = b.merge_right[t - 256];
                stack[sp++] = b.merge_left[t - 256];
            }
        }
    }
    T_CHECK(bl == strlen(text) && memcmp(back, text, bl) == 0);
    /* "the" became one token (with and without a leading space) */
    int32_t *one = NULL;
    size_t n1 = 0;
    T_CHECK(sw_bpe_encode(&b, " the", 4, &one, &n1, &err) == 0 && n1 == 1);
    free(one);
    free(ids);
    sw_bpe_free(&b2);
    sw_bpe_free(&b);
    /* bad sizes */
    T_CHECK(sw_bpe_train(text, strlen(text), 100, &b, &err) == -1 && strstr(err.msg, "vocabulary size"));
}

/* Chat control tokens: appended after <|endoftext|> as control tokens, never inside a
 * merge; read back with <|endoftext|> still the eos; the engine's tokenizer turns them
 * into single ids in corpus text (sw_data_corpus_special), and not for a plain vocabulary. */
static void test_train_special(void) {
    const char *text = "<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\nhello to you<|im_end|>\n"
                       "<|im_start|>user\nthe cat sat<|im_end|>\n<|im_start|>assistant\nthe cat sat on the mat<|im_end|>\n";
    int n;
    const char *const *ctl = sw_chat_control_tokens(SW_CHAT_CHATML, &n);
    T_CHECK(n == 2);
    sw_bpe b;
    sw_err err = {{0}};
    T_CHECK_MSG(sw_bpe_train_special(text, strlen(text), 300, ctl, n, &b, &err) == 0, "%s", err.msg);
    T_CHECK(b.n_vocab <= 300 && b.n_vocab == 256 + b.n_merges + 3);
    T_CHECK(strcmp(b.tokens[b.eos_id], "<|endoftext|>") == 0);
    T_CHECK(strcmp(b.tokens[b.n_vocab - 2], "<|im_start|>") == 0 && b.token_type[b.n_vocab - 2] == 3);
    T_CHECK(strcmp(b.tokens[b.n_vocab - 1], "<|im_end|>") == 0 && b.token_type[b.n_vocab - 1] == 3);
    for (int k = 0; k < b.n_merges; k++) T_CHECK_MSG(!strstr(b.merges[k], "|"), "merge %d '%s'", k, b.merges[k]);
    /* GGUF round trip: the vocabulary reads back with the same eos */
    char path[] = "/tmp/sw_bpe_specialXXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    close(fd);
    sw_gguf_writer *w = sw_gguf_writer_new();
    T_CHECK(w && sw_bpe_put_gguf(w, &b, &err) == 0 &&
            sw_gguf_set_str(w, "tokenizer.chat_template", sw_chat_template_text(SW_CHAT_CHATML)) == 0 &&
            sw_gguf_write(w, path, &err) == 0);
    sw_gguf_writer_free(w);
    sw_gguf *g = NULL;
    sw_tokenizer *tk = NULL;
    sw_bpe b2;
    T_CHECK_MSG(sw_gguf_open(path, &g, &err) == 0 && sw_bpe_from_gguf(g, &b2, &err) == 0, "%s", err.msg);
    T_CHECK(b2.eos_id == b.eos_id && b2.n_vocab == b.n_vocab);
    T_CHECK_MSG(sw_tokenizer_from_gguf(g, &tk, &err) == 0, "%s", err.msg);
    T_CHECK(sw_data_corpus_special(tk) == 1);
    int32_t *ids = NULL;
    size_t nid = 0;
    T_CHECK(sw_tokenize(tk, text, strlen(text), sw_data_corpus_special(tk), &ids, &nid, &err) == 0);
    T_CHECK(nid > 0 && ids[0] == b.n_vocab - 2);
    int ends = 0;
    for (size_t i = 0; i < nid; i++) ends += ids[i] == b.n_vocab - 1;
    T_CHECK_MSG(ends == 4, "%d <|im_end|> ids", ends);
    free(ids);
    sw_tokenizer_free(tk);
    sw_bpe_free(&b2);
    sw_gguf_close(g);
    unlink(path);
    /* a plain vocabulary: corpus text is never parsed for control tokens */
    sw_bpe_free(&b);
    T_CHECK(sw_bpe_train(text, strlen(text), 280, &b, &err) == 0);
    w = sw_gguf_writer_new();
    T_CHECK(w && sw_bpe_put_gguf(w, &b, &err) == 0 && sw_gguf_write(w, path, &err) == 0);
    sw_gguf_writer_free(w);
    T_CHECK(sw_gguf_open(path, &g, &err) == 0 && sw_tokenizer_from_gguf(g, &tk, &err) == 0);
    T_CHECK(sw_data_corpus_special(tk) == 0);
    sw_tokenizer_free(tk);
    sw_gguf_close(g);
    unlink(path);
    sw_bpe_free(&b);
    T_CHECK(sw_bpe_train_special(text, strlen(text), 300, ctl, 17, &b, &err) == -1);
}

int main(void) {
    T_RUN(test_pretokenize);
    T_RUN(test_train_small);
    T_RUN(test_train_special);
    return t_done();
}
