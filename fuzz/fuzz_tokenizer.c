/* fuzz_tokenizer.c - libFuzzer target: arbitrary bytes through the tokenizers.
 *
 * Small in-memory tokenizers are built once (byte-level BPE with each pre-tokenizer, and
 * SentencePiece). For byte-level BPE, decode(encode(x)) must equal x with and without
 * special-token parsing; for SentencePiece too when x holds no U+2581 (which decodes to a
 * space). The streaming decoder must only ever emit well-formed UTF-8. */
#include "../tests/unit/tok_fixture.h"

#include <stdlib.h>

static sw_tokenizer *tok[4];

static void stream_check(const sw_tokenizer *t, const int32_t *ids, size_t n) {
    sw_detok_stream s;
    sw_buf out = {0};
    sw_detok_stream_init(&s);
    if (sw_buf_append(&out, "", 0) < 0) abort(); /* out.data is never NULL below */
    for (size_t i = 0; i < n; i++) {
        size_t before = out.len;
        if (sw_detok_stream_push(t, &s, ids[i], &out) < 0) abort();
        if (!sw_utf8_valid((const unsigned char *)out.data + before, out.len - before)) abort();
    }
    size_t before = out.len;
    if (sw_detok_stream_finish(&s, &out) < 0) abort();
    if (!sw_utf8_valid((const unsigned char *)out.data + before, out.len - before)) abort();
    sw_buf_free(&out);
}

static void run(const sw_tokenizer *t, const uint8_t *data, size_t size, int parse_special, int must_round_trip) {
    int32_t *ids = NULL;
    size_t n = 0;
    sw_buf d = {0};
    if (sw_tokenize(t, (const char *)data, size, parse_special, &ids, &n, NULL) < 0) abort();
    if (sw_detokenize(t, ids, n, 1, &d, NULL) < 0) abort();
    if (must_round_trip && (d.len != size || (size && memcmp(d.data, data, size) != 0))) abort();
    stream_check(t, ids, n);
    free(ids);
    sw_buf_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!tok[0]) {
        tok[0] = fx_bpe("gpt2");
        tok[1] = fx_bpe("llama-bpe");
        tok[2] = fx_bpe("qwen2");
        tok[3] = fx_spm(1);
        for (int i = 0; i < 4; i++)
            if (!tok[i]) abort();
    }
    for (int i = 0; i < 3; i++) {
        run(tok[i], data, size, 0, 1);
        run(tok[i], data, size, 1, 1);
    }
    int has_spm_space = memmem(data, size, "\xe2\x96\x81", 3) != NULL;
    run(tok[3], data, size, 0, !has_spm_space);
    run(tok[3], data, size, 1, 0);
    return 0;
}
