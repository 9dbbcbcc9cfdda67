/* fuzz_bpe_train.c - libFuzzer target: the BPE trainer on arbitrary text.
 *
 * Learns a small vocabulary from the input, then: the trainer's encoding must decode
 * (through the merges) back to the input; the vocabulary written as GGUF must read back
 * (sw_bpe_from_gguf) to the same encoding; and for ASCII input the engine's tokenizer,
 * loading that GGUF, must encode exactly as the trainer does. With ChatML's control
 * tokens (sw_bpe_train_special): they follow <|endoftext|> as control tokens, and the
 * vocabulary reads back with the same size and eos. */
#include "steward/chat.h"
#include "steward/tokenizer.h"
#include "steward/train.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void expand(const sw_bpe *b, int32_t t, sw_buf *out) {
    if (t < 256) {
        char c = (char)t;
        if (sw_buf_append(out, &c, 1) < 0) abort();
        return;
    }
    expand(b, b->merge_left[t - 256], out);
    expand(b, b->merge_right[t - 256], out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    const char *text = (const char *)data;
    sw_bpe b;
    if (sw_bpe_train(text, size, 320, &b, NULL) < 0) abort();
    int32_t *ids = NULL;
    size_t n = 0;
    if (sw_bpe_encode(&b, text, size, &ids, &n, NULL) < 0) abort();
    sw_buf back = {0};
    if (sw_buf_append(&back, "", 0) < 0) abort();
    for (size_t i = 0; i < n; i++) expand(&b, ids[i], &back);
    if (back.len != size || (size && memcmp(back.data, data, size))) abort();

    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_bpe_train.%d.gguf", (int)getpid());
    sw_gguf_writer *w = sw_gguf_writer_new();
    if (!w || sw_bpe_put_gguf(w, &b, NULL) < 0 || sw_gguf_write(w, path, NULL) < 0) abort();
    sw_gguf_writer_free(w);
    sw_gguf *g = NULL;
    sw_bpe b2;
    if (sw_gguf_open(path, &g, NULL) < 0 || sw_bpe_from_gguf(g, &b2, NULL) < 0) abort();
    int32_t *ids2 = NULL;
    size_t n2 = 0;
    if (sw_bpe_encode(&b2, text, size, &ids2, &n2, NULL) < 0 || n2 != n || (n && memcmp(ids, ids2, n * 4))) abort();
    int ascii = 1;
    for (size_t i = 0; i < size; i++)
        if (data[i] >= 0x80) ascii = 0;
    if (ascii) {
        sw_tokenizer *tk = NULL;
        int32_t *e = NULL;
        size_t ne = 0;
        if (sw_tokenizer_from_gguf(g, &tk, NULL) < 0 || sw_tokenize(tk, text, size, 0, &e, &ne, NULL) < 0) abort();
        if (ne != n || (n && memcmp(e, ids, n * 4))) abort();
        free(e);
        sw_tokenizer_free(tk);
    }
    sw_gguf_close(g);
    unlink(path);
    free(ids);
    free(ids2);
    sw_bpe_free(&b2);
    sw_buf_free(&back);
    sw_bpe_free(&b);

    int ns;
    const char *const *ctl = sw_chat_control_tokens(SW_CHAT_CHATML, &ns);
    if (sw_bpe_train_special(text, size, 320, ctl, ns, &b, NULL) < 0) abort();
    if (strcmp(b.tokens[b.eos_id], "<|endoftext|>") || b.eos_id != b.n_vocab - 1 - ns) abort();
    for (int k = 0; k < ns; k++)
        if (strcmp(b.tokens[b.n_vocab - ns + k], ctl[k]) || b.token_type[b.n_vocab - ns + k] != 3) abort();
    w = sw_gguf_writer_new();
    if (!w || sw_bpe_put_gguf(w, &b, NULL) < 0 || sw_gguf_write(w, path, NULL) < 0) abort();
    sw_gguf_writer_free(w);
    if (sw_gguf_open(path, &g, NULL) < 0 || sw_bpe_from_gguf(g, &b2, NULL) < 0) abort();
    if (b2.n_vocab != b.n_vocab || b2.eos_id != b.eos_id) abort();
    sw_gguf_close(g);
    unlink(path);
    sw_bpe_free(&b2);
    sw_bpe_free(&b);
    return 0;
}
