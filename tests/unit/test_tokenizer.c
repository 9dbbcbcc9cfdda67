/* test_tokenizer.c - tokenizers on small hand-made vocabularies: BPE merge order,
 * SentencePiece scores, byte fallback and add_space_prefix, special-token parsing,
 * streaming decode across split UTF-8 characters, end-of-generation tokens, errors. */
#include "engine/unicode.h"
#include "steward/tokenizer.h"
#include "t.h"
#include "tok_fixture.h"

#include <stdlib.h>

/* Encodes text (NUL-terminated) and compares with want[0..nwant). */
static int enc_is(const sw_tokenizer *t, const char *text, int parse_special, const int32_t *want, size_t nwant) {
    int32_t *ids = NULL;
    size_t n = 0;
    sw_err e;
    int ok = sw_tokenize(t, text, strlen(text), parse_special, &ids, &n, &e) == 0 && n == nwant;
    for (size_t i = 0; ok && i < n; i++) ok = ids[i] == want[i];
    if (!ok) {
        fprintf(stderr, "  encode \"%s\": got", text);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, "; want");
        for (size_t i = 0; i < nwant; i++) fprintf(stderr, " %d", want[i]);
        fputc('\n', stderr);
    }
    free(ids);
    return ok;
}

/* decode(encode(text)) == text for len bytes. */
static int round_trips(const sw_tokenizer *t, const char *text, size_t len, int parse_special) {
    int32_t *ids = NULL;
    size_t n = 0;
    sw_buf d = {0};
    int ok = sw_tokenize(t, text, len, parse_special, &ids, &n, NULL) == 0 &&
             sw_detokenize(t, ids, n, 1, &d, NULL) == 0 && d.len == len && (len == 0 || memcmp(d.data, text, len) == 0);
    free(ids);
    sw_buf_free(&d);
    return ok;
}

static int32_t bl(const sw_tokenizer *t, const char *raw) { return sw_tokenizer_find(t, fx_bl(raw)); }

static void test_bpe_merge_order(void) {
    sw_tokenizer *t = fx_bpe("gpt2");
    T_CHECK(t != NULL);
    if (!t) return;
    /* "b c" ranks before "a b": abc -> a, bc */
    T_CHECK(enc_is(t, "abc", 0, (int32_t[]){bl(t, "a"), bl(t, "bc")}, 2));
    T_CHECK(enc_is(t, "hello world", 0, (int32_t[]){bl(t, "hello"), bl(t, " world")}, 2));
    /* pieces never merge across the pre-tokenizer's boundaries: "ab" and "c" split by '.' */
    T_CHECK(enc_is(t, "ab.c", 0, (int32_t[]){bl(t, "ab"), bl(t, "."), bl(t, "c")}, 3));
    T_CHECK(enc_is(t, "", 0, NULL, 0));
    const char bytes[] = "\xff\xfe hello \xc3 \xed\xa0\x80 world\x00\x01";
    T_CHECK(round_trips(t, bytes, sizeof bytes - 1, 0));
    const char *mixed = "tabs\t\tand\r\nnewlines \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80";
    T_CHECK(round_trips(t, mixed, strlen(mixed), 0));
    sw_tokenizer_free(t);
}

static void test_special_parsing(void) {
    sw_tokenizer *t = fx_bpe("llama-bpe");
    T_CHECK(t != NULL);
    if (!t) return;
    int32_t eot = sw_tokenizer_find(t, "<|endoftext|>"), think = sw_tokenizer_find(t, "<think>");
    T_CHECK(eot >= 0 && think >= 0 && eot == sw_tokenizer_eos(t));
    T_CHECK(enc_is(t, "a<|endoftext|>b", 1, (int32_t[]){bl(t, "a"), eot, bl(t, "b")}, 3));
    T_CHECK(enc_is(t, "<think>hello", 1, (int32_t[]){think, bl(t, "hello")}, 2));
    /* without parse_special the same texts are plain text: no special id comes out */
    int32_t *ids = NULL;
    size_t n = 0;
    T_CHECK(sw_tokenize(t, "a<|endoftext|>b<think>", 22, 0, &ids, &n, NULL) == 0);
    for (size_t i = 0; i < n; i++) T_CHECK(ids[i] != eot && ids[i] != think);
    T_CHECK(n > 3);
    free(ids);
    T_CHECK(round_trips(t, "a<|endoftext|>b<think>", 22, 0));
    T_CHECK(round_trips(t, "a<|endoftext|>b<think>", 22, 1));
    /* control tokens render only when asked; user-defined ones always */
    sw_buf d = {0};
    int32_t seq[] = {bl(t, "a"), eot, think};
    T_CHECK(sw_detokenize(t, seq, 3, 0, &d, NULL) == 0 && strcmp(d.data, "a<think>") == 0);
    sw_buf_reset(&d);
    T_CHECK(sw_detokenize(t, seq, 3, 1, &d, NULL) == 0 && strcmp(d.data, "a<|endoftext|><think>") == 0);
    sw_buf_free(&d);
    sw_tokenizer_free(t);
}

static int32_t piece(const sw_tokenizer *t, const char *text) { return sw_tokenizer_find(t, text); }
#define SP "\xe2\x96\x81"

static void test_spm_scores(void) {
    sw_tokenizer *t = fx_spm(0);
    T_CHECK(t != NULL);
    if (!t) return;
    /* "bc" (-1) scores above "ab" (-2), whatever the position */
    T_CHECK(enc_is(t, "abc", 0, (int32_t[]){piece(t, "a"), piece(t, "bc")}, 2));
    /* he (-1), ll (-2), hell (-3), hello (-0.5): one token, though "llo" exists */
    T_CHECK(enc_is(t, "hello", 0, (int32_t[]){piece(t, "hello")}, 1));
    T_CHECK(enc_is(t, "hello world", 0, (int32_t[]){piece(t, "hello"), piece(t, SP "world")}, 2));
    sw_tokenizer_free(t);
}

static void test_spm_byte_fallback(void) {
    sw_tokenizer *t = fx_spm(0);
    T_CHECK(t != NULL);
    if (!t) return;
    int32_t c3 = piece(t, "<0xC3>"), a9 = piece(t, "<0xA9>"), ff = piece(t, "<0xFF>");
    T_CHECK(c3 == 3 + 0xC3 && a9 == 3 + 0xA9 && ff == 3 + 0xFF);
    T_CHECK(enc_is(t, "h\xc3\xa9", 0, (int32_t[]){piece(t, "h"), c3, a9}, 3));
    T_CHECK(enc_is(t, "\xff" "a", 0, (int32_t[]){ff, piece(t, "a")}, 2));
    T_CHECK(round_trips(t, "h\xc3\xa9 \xff\xfe world", 13, 0));
    sw_buf d = {0};
    T_CHECK(sw_token_to_bytes(t, c3, 0, &d) == 0 && d.len == 1 && (unsigned char)d.data[0] == 0xC3);
    sw_buf_free(&d);
    sw_tokenizer_free(t);
}

static void test_spm_space_prefix(void) {
    sw_tokenizer *t = fx_spm(1);
    T_CHECK(t != NULL);
    if (!t) return;
    T_CHECK(sw_tokenizer_add_bos(t) == 1 && sw_tokenizer_bos(t) == 1 && sw_tokenizer_eos(t) == 2);
    T_CHECK(enc_is(t, "hello world", 0, (int32_t[]){piece(t, SP "hello"), piece(t, SP "world")}, 2));
    T_CHECK(round_trips(t, "hello world", 11, 0));
    T_CHECK(round_trips(t, " hello  world ", 14, 0)); /* a leading space survives the strip */
    /* after a special token the text gets the prefix again (as llama.cpp does) */
    T_CHECK(enc_is(t, "<s>hello</s>", 1, (int32_t[]){1, piece(t, SP "hello"), 2}, 3));
    int32_t *ids = NULL;
    size_t n = 0;
    T_CHECK(sw_tokenize(t, "<s>hello</s>", 12, 0, &ids, &n, NULL) == 0);
    for (size_t i = 0; i < n; i++) T_CHECK(ids[i] != 1 && ids[i] != 2);
    free(ids);
    T_CHECK(round_trips(t, "<s>hello</s>", 12, 0));
    sw_tokenizer_free(t);
}

/* Pushes ids one at a time; checks each chunk is UTF-8 and returns the concatenation. */
static void stream_all(const sw_tokenizer *t, const int32_t *ids, size_t n, const char *const *chunks, const char *final) {
    sw_detok_stream s;
    sw_detok_stream_init(&s);
    sw_buf out = {0};
    sw_buf_append(&out, "", 0); /* data is never NULL below */
    for (size_t i = 0; i < n; i++) {
        size_t before = out.len;
        T_CHECK(sw_detok_stream_push(t, &s, ids[i], &out) == 0);
        T_CHECK(sw_utf8_valid((const unsigned char *)out.data + before, out.len - before));
        if (chunks) T_CHECK_MSG(out.len - before == strlen(chunks[i]) && memcmp(out.data + before, chunks[i], out.len - before) == 0, "chunk %zu", i);
    }
    T_CHECK(sw_detok_stream_finish(&s, &out) == 0);
    T_CHECK_MSG(out.len == strlen(final) && memcmp(out.data, final, out.len) == 0, "streamed \"%s\"", out.data ? out.data : "");
    sw_buf_free(&out);
}

static void test_stream_utf8(void) {
    sw_tokenizer *b = fx_bpe("gpt2"), *s = fx_spm(1);
    T_CHECK(b && s);
    if (!b || !s) { sw_tokenizer_free(b); sw_tokenizer_free(s); return; }
    /* BPE: "e\xc3" is one token, so "é" is split across two tokens */
    int32_t *ids = NULL;
    size_t n = 0;
    T_CHECK(sw_tokenize(b, "e\xc3\xa9", 3, 0, &ids, &n, NULL) == 0 && n == 2 && ids[0] == bl(b, "e\xc3"));
    stream_all(b, ids, n, (const char *[]){"e", "\xc3\xa9"}, "e\xc3\xa9");
    free(ids);
    /* SentencePiece: an emoji as four byte tokens; nothing comes out until the last */
    int32_t emoji[] = {3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80};
    stream_all(s, emoji, 4, (const char *[]){"", "", "", "\xf0\x9f\x98\x80"}, "\xf0\x9f\x98\x80");
    /* the first piece loses the space that add_space_prefix added */
    int32_t hw[] = {1, piece(s, SP "hello"), piece(s, SP "world"), 2};
    stream_all(s, hw, 4, (const char *[]){"", "hello", " world", ""}, "hello world");
    /* a sequence that cannot complete becomes U+FFFD; a cut-off one too, at the end */
    int32_t bad[] = {3 + 0xC3, piece(s, "a"), 3 + 0xE4, 3 + 0xB8};
    stream_all(s, bad, 4, (const char *[]){"", "\xef\xbf\xbd" "a", "", ""}, "\xef\xbf\xbd" "a\xef\xbf\xbd");
    /* a stray continuation byte and a surrogate's bytes */
    int32_t bad2[] = {3 + 0x80, 3 + 0xED, 3 + 0xA0, 3 + 0x80};
    stream_all(s, bad2, 4, NULL, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    sw_tokenizer_free(b);
    sw_tokenizer_free(s);
}

static void test_is_eog(void) {
    sw_tokenizer *b = fx_bpe("qwen2"), *s = fx_spm(1);
    T_CHECK(b && s);
    if (!b || !s) { sw_tokenizer_free(b); sw_tokenizer_free(s); return; }
    T_CHECK(sw_tokenizer_is_eog(b, sw_tokenizer_eos(b)));
    T_CHECK(sw_tokenizer_is_eog(b, sw_tokenizer_find(b, "<|im_end|>")));
    T_CHECK(!sw_tokenizer_is_eog(b, sw_tokenizer_find(b, "<think>")));
    T_CHECK(!sw_tokenizer_is_eog(b, bl(b, "a")));
    T_CHECK(!sw_tokenizer_is_eog(b, -1) && !sw_tokenizer_is_eog(b, sw_tokenizer_n_vocab(b)));
    T_CHECK(sw_tokenizer_is_eog(s, 2) && !sw_tokenizer_is_eog(s, 1) && !sw_tokenizer_is_eog(s, 0));
    T_CHECK(sw_tokenizer_add_bos(b) == 0 && sw_tokenizer_bos(b) == -1);
    sw_tokenizer_free(b);
    sw_tokenizer_free(s);
}

static void test_errors(void) {
    const char *tokens[] = {"a", "b"};
    sw_tokenizer *t = NULL;
    sw_err e;
    sw_tokenizer_spec s = {.model = "wordpiece", .n_vocab = 2, .tokens = tokens, .bos = -1, .eos = -1, .eot = -1,
                           .eom = -1, .unk = -1, .add_bos = -1, .add_space_prefix = -1};
    T_CHECK(sw_tokenizer_new(&s, &t, &e) == -1 && t == NULL && strstr(e.msg, "tokenizer.ggml.model"));
    s.model = "gpt2";
    s.pre = "falcon";
    T_CHECK(sw_tokenizer_new(&s, &t, &e) == -1 && strstr(e.msg, "tokenizer.ggml.pre"));
    s.pre = NULL;
    T_CHECK(sw_tokenizer_new(&s, &t, &e) == -1 && strstr(e.msg, "byte")); /* no byte tokens */
    s.model = "llama";
    s.eos = 7;
    T_CHECK(sw_tokenizer_new(&s, &t, &e) == -1 && strstr(e.msg, "eos_token_id"));
    s.eos = -1;
    T_CHECK(sw_tokenizer_new(&s, &t, &e) == -1 && strstr(e.msg, "<0x00>")); /* no bytes, no unk */
    s.unk = 0;
    T_CHECK(sw_tokenizer_new(&s, &t, &e) == 0 && t != NULL);
    /* with neither byte tokens: unknown bytes become <unk> */
    /* U+2581's 3 bytes and "c" become <unk>; "a" is token 0, which is also the unknown id */
    T_CHECK(enc_is(t, "ac", 0, (int32_t[]){0, 0, 0, 0, 0}, 5));
    sw_buf d = {0};
    T_CHECK(sw_token_to_bytes(t, 2, 0, &d) == -1 && sw_token_to_bytes(t, -1, 0, &d) == -1);
    int32_t bad[] = {1, 5};
    T_CHECK(sw_detokenize(t, bad, 2, 0, &d, &e) == -1 && strstr(e.msg, "out of range"));
    sw_buf_free(&d);
    sw_tokenizer_free(t);
}

/* The pre-tokenizers' classes come from the program's one Unicode version (utf8proc's,
 * 15.0 or later): a letter first assigned in 15.0 is a letter, and each class has its
 * edge cases right (NEL is White_Space though of category Cc; BOM is not). */
static void test_unicode_classes(void) {
    T_CHECK_MSG(strcmp(sw_uni_version(), "15.0.0") >= 0, "Unicode %s", sw_uni_version());
    T_CHECK(sw_uni_class(0x11F04) == SW_UNI_LETTER); /* KAWI LETTER A, new in 15.0 */
    T_CHECK(sw_uni_class(0x1E4D0) == SW_UNI_LETTER); /* NAG MUNDARI LETTER O, new in 15.0 */
    T_CHECK(sw_uni_class(0x1E4F0) == SW_UNI_NUMBER); /* NAG MUNDARI DIGIT ZERO, new in 15.0 */
    T_CHECK(sw_uni_class('a') == SW_UNI_LETTER && sw_uni_class(0x4E2D) == SW_UNI_LETTER);
    T_CHECK(sw_uni_class(0x01C5) == SW_UNI_LETTER && sw_uni_class(0x02B0) == SW_UNI_LETTER); /* Lt, Lm */
    T_CHECK(sw_uni_class(0x0660) == SW_UNI_NUMBER && sw_uni_class(0x00B2) == SW_UNI_NUMBER); /* Nd, No */
    T_CHECK(sw_uni_class(0x2160) == SW_UNI_NUMBER);                                        /* Nl */
    T_CHECK(sw_uni_class(0x85) == SW_UNI_SPACE && sw_uni_class(0xA0) == SW_UNI_SPACE);
    T_CHECK(sw_uni_class(0x3000) == SW_UNI_SPACE && sw_uni_class(0x2028) == SW_UNI_SPACE &&
            sw_uni_class(0x2029) == SW_UNI_SPACE && sw_uni_class(0x1680) == SW_UNI_SPACE);
    T_CHECK(sw_uni_class(0x200B) == SW_UNI_OTHER && sw_uni_class(0xFEFF) == SW_UNI_OTHER); /* Cf */
    T_CHECK(sw_uni_class(0x180E) == SW_UNI_OTHER); /* not White_Space since 6.3 */
    T_CHECK(sw_uni_class(0x0301) == SW_UNI_OTHER && sw_uni_class(0xE000) == SW_UNI_OTHER);
    T_CHECK(sw_uni_class(0x10FFFF) == SW_UNI_OTHER && sw_uni_class(0x110000) == SW_UNI_OTHER);
    T_CHECK(sw_uni_class('_') == SW_UNI_OTHER && sw_uni_class('\n') == SW_UNI_SPACE);
}

int main(void) {
    T_RUN(test_bpe_merge_order);
    T_RUN(test_special_parsing);
    T_RUN(test_spm_scores);
    T_RUN(test_spm_byte_fallback);
    T_RUN(test_spm_space_prefix);
    T_RUN(test_stream_utf8);
    T_RUN(test_is_eog);
    T_RUN(test_errors);
    T_RUN(test_unicode_classes);
    return t_done();
}
