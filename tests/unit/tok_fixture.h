/* tok_fixture.h - small in-memory tokenizers for the unit tests and the fuzzer.
 *
 * fx_bpe: byte-level BPE; the 256 byte characters (GPT-2's alphabet, rebuilt here from its
 *   definition), a few merges, and special tokens <|endoftext|> (control, eos),
 *   <|im_end|> (control) and <think> (user-defined).
 * fx_spm: SentencePiece BPE; <unk>, <s>, </s>, the 256 <0xXX> byte tokens, and pieces
 *   with scores chosen so that the merge order is visible. */
#ifndef STEWARD_TOK_FIXTURE_H
#define STEWARD_TOK_FIXTURE_H

#include "steward/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GPT-2's byte alphabet: printable Latin-1 bytes stand for themselves, the other 68
 * bytes take U+0100.. in byte order. */
static inline int fx_printable(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); }
static inline uint32_t fx_byte_cp(int b) {
    if (fx_printable(b)) return (uint32_t)b;
    uint32_t n = 0;
    for (int c = 0; c < b; c++) n += !fx_printable(c);
    return 0x100 + n;
}

/* The byte-level text of s ("Ġ" for a space, ...), in a static buffer. */
static inline const char *fx_bl(const char *s) {
    static char out[8][64];
    static int k;
    char *o = out[k++ & 7];
    size_t n = 0;
    for (; *s; s++) n += (size_t)sw_utf8_encode(fx_byte_cp((unsigned char)*s), (unsigned char *)o + n);
    o[n] = 0;
    return o;
}

/* In rank order, written in raw bytes as "left|right". */
static const char *const fx_bpe_merges[] = {"b|c", "a|b", "h|e", "l|l", "he|ll", "hell|o", " |w", "o|r", " w|or",
                                            " wor|l", " worl|d", "e|\xc3", "\xc3|\xa9"};
#define FX_N_MERGES (sizeof fx_bpe_merges / sizeof fx_bpe_merges[0])

static inline sw_tokenizer *fx_bpe(const char *pre) {
    static char texts[512][64];
    const char *tokens[512];
    int32_t types[512];
    size_t n = 0;
    for (int b = 0; b < 256; b++) {
        unsigned char u[4];
        int l = sw_utf8_encode(fx_byte_cp(b), u);
        memcpy(texts[n], u, (size_t)l);
        texts[n][l] = 0;
        types[n++] = SW_TOK_NORMAL;
    }
    char merges[FX_N_MERGES][64];
    const char *mp[FX_N_MERGES];
    for (size_t i = 0; i < FX_N_MERGES; i++) {
        char left[32], right[32];
        const char *m = fx_bpe_merges[i];
        const char *sp = strchr(m, '|');
        snprintf(left, sizeof left, "%.*s", (int)(sp - m), m);
        snprintf(right, sizeof right, "%s", sp + 1);
        snprintf(merges[i], sizeof merges[i], "%s %s", fx_bl(left), fx_bl(right));
        mp[i] = merges[i];
        snprintf(texts[n], sizeof texts[n], "%s%s", fx_bl(left), fx_bl(right));
        types[n++] = SW_TOK_NORMAL;
    }
    const char *specials[] = {"<|endoftext|>", "<|im_end|>", "<think>"};
    int32_t eos = (int32_t)n;
    for (int i = 0; i < 3; i++) {
        snprintf(texts[n], sizeof texts[n], "%s", specials[i]);
        types[n++] = i < 2 ? SW_TOK_CONTROL : SW_TOK_USER;
    }
    for (size_t i = 0; i < n; i++) tokens[i] = texts[i];
    sw_tokenizer_spec s = {.model = "gpt2", .pre = pre, .n_vocab = (int32_t)n, .tokens = tokens, .types = types,
                           .merges = mp, .n_merges = FX_N_MERGES, .bos = -1, .eos = eos, .eot = -1, .eom = -1,
                           .unk = -1, .add_bos = -1, .add_space_prefix = -1};
    sw_tokenizer *t = NULL;
    sw_err e;
    if (sw_tokenizer_new(&s, &t, &e) < 0) fprintf(stderr, "fx_bpe: %s\n", e.msg);
    return t;
}

/* SentencePiece pieces and scores ("\xe2\x96\x81" is U+2581, the visible space). */
static const struct { const char *text; float score; } fx_spm_pieces[] = {
    {"\xe2\x96\x81", -1}, {"h", -10}, {"e", -10}, {"l", -10}, {"o", -10}, {"w", -10}, {"r", -10}, {"d", -10},
    {"a", -10}, {"b", -10}, {"c", -10}, {"he", -1}, {"ll", -2}, {"hell", -3}, {"llo", -4}, {"hello", -0.5f},
    {"\xe2\x96\x81hello", -0.1f}, {"\xe2\x96\x81w", -6}, {"or", -5}, {"\xe2\x96\x81wor", -5.5f},
    {"ld", -7}, {"\xe2\x96\x81world", -0.2f}, {"ab", -2}, {"bc", -1},
};
#define FX_SPM_FIRST 259 /* id of the first piece: after <unk>, <s>, </s> and 256 bytes */

static inline sw_tokenizer *fx_spm(int add_space_prefix) {
    static char texts[300][16];
    const char *tokens[300];
    int32_t types[300];
    float scores[300];
    size_t n = 0;
    const char *head[] = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < 3; i++) {
        snprintf(texts[n], sizeof texts[n], "%s", head[i]);
        types[n] = i ? SW_TOK_CONTROL : SW_TOK_UNKNOWN;
        scores[n++] = 0;
    }
    for (int b = 0; b < 256; b++) {
        snprintf(texts[n], sizeof texts[n], "<0x%02X>", b);
        types[n] = SW_TOK_BYTE;
        scores[n++] = 0;
    }
    for (size_t i = 0; i < sizeof fx_spm_pieces / sizeof fx_spm_pieces[0]; i++) {
        snprintf(texts[n], sizeof texts[n], "%s", fx_spm_pieces[i].text);
        types[n] = SW_TOK_NORMAL;
        scores[n++] = fx_spm_pieces[i].score;
    }
    for (size_t i = 0; i < n; i++) tokens[i] = texts[i];
    sw_tokenizer_spec s = {.model = "llama", .n_vocab = (int32_t)n, .tokens = tokens, .types = types, .scores = scores,
                           .bos = 1, .eos = 2, .eot = -1, .eom = -1, .unk = 0, .add_bos = -1,
                           .add_space_prefix = add_space_prefix};
    sw_tokenizer *t = NULL;
    sw_err e;
    if (sw_tokenizer_new(&s, &t, &e) < 0) fprintf(stderr, "fx_spm: %s\n", e.msg);
    return t;
}

#endif
