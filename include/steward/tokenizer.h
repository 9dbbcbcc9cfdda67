/* tokenizer.h - tokenizers read from GGUF metadata: byte-level BPE (`gpt2`, with the
 * gpt2, llama3 and qwen2 pre-tokenizers) and SentencePiece BPE (`llama`, byte fallback),
 * special and control tokens, and a streaming decoder that never emits broken UTF-8. */
#ifndef STEWARD_TOKENIZER_H
#define STEWARD_TOKENIZER_H

#include "steward/core.h"
#include "steward/gguf.h"

typedef struct sw_tokenizer sw_tokenizer;

/* Token types of tokenizer.ggml.token_type. */
enum { SW_TOK_NORMAL = 1, SW_TOK_UNKNOWN = 2, SW_TOK_CONTROL = 3, SW_TOK_USER = 4,
       SW_TOK_UNUSED = 5, SW_TOK_BYTE = 6 };

/* Builds a tokenizer from a GGUF file's tokenizer.* keys (the file may be closed after;
 * everything needed is copied). -1 with a message naming the key that is missing or bad. */
int sw_tokenizer_from_gguf(const sw_gguf *g, sw_tokenizer **out, sw_err *err);
void sw_tokenizer_free(sw_tokenizer *t);

/* The parts of a tokenizer, as tokenizer.ggml.* holds them (sw_tokenizer_from_gguf fills
 * one; tests and the trainer build tokenizers from memory). Everything is copied. */
typedef struct sw_tokenizer_spec {
    const char *model;               /* "gpt2" (byte-level BPE) or "llama" (SentencePiece) */
    const char *pre;                 /* gpt2 only: "gpt2" (NULL, "default"), "llama-bpe"
                                      * ("llama3"), "qwen2" */
    int32_t n_vocab;
    const char *const *tokens;       /* n_vocab texts */
    const size_t *token_lens;        /* NULL: the texts are NUL-terminated */
    const int32_t *types;            /* NULL: all SW_TOK_NORMAL */
    const float *scores;             /* llama: merge priorities; NULL: all 0 */
    const char *const *merges;       /* gpt2: "left right" in rank order */
    const size_t *merge_lens;        /* NULL: NUL-terminated */
    size_t n_merges;
    int32_t bos, eos, eot, eom, unk; /* -1 for none */
    int add_bos, add_space_prefix;   /* -1: the model's default (llama 1/1, gpt2 0/0) */
} sw_tokenizer_spec;

/* Builds a tokenizer from spec. -1 with a message naming what is wrong (an id out of
 * range, a missing byte token, an unknown model or pre-tokenizer). Free with
 * sw_tokenizer_free. */
int sw_tokenizer_new(const sw_tokenizer_spec *spec, sw_tokenizer **out, sw_err *err);

int32_t sw_tokenizer_n_vocab(const sw_tokenizer *t);
int32_t sw_tokenizer_bos(const sw_tokenizer *t); /* -1 when none */
int32_t sw_tokenizer_eos(const sw_tokenizer *t); /* -1 when none */
int sw_tokenizer_add_bos(const sw_tokenizer *t); /* tokenizer.ggml.add_bos_token */
/* 1 for tokens that end a generation (eos, eot, <|im_end|>, <|eot_id|>, ...). */
int sw_tokenizer_is_eog(const sw_tokenizer *t, int32_t id);
/* Id of a token given its exact text (e.g. "<|im_start|>"), or -1. */
int32_t sw_tokenizer_find(const sw_tokenizer *t, const char *text);

/* Encodes len bytes of text (any bytes: invalid UTF-8 is encoded through the byte
 * tokens). With parse_special, control/user-defined token texts in the input become
 * their ids; without, they are encoded as plain text. No BOS is added here.
 * Appends to *ids (realloc'd; caller frees), updating *n. -1 only when out of memory
 * (texts over 256 MiB count as that). */
int sw_tokenize(const sw_tokenizer *t, const char *text, size_t len, int parse_special,
                int32_t **ids, size_t *n, sw_err *err);

/* The bytes a token decodes to (byte-level mapping undone, U+2581 -> space, <0xXX> ->
 * that byte). Control tokens decode to their text only when render_special. Appends
 * to out; -1 for an id out of range or no memory. */
int sw_token_to_bytes(const sw_tokenizer *t, int32_t id, int render_special, sw_buf *out);
/* Decodes a whole sequence into out (may contain invalid UTF-8 if the tokens do). */
int sw_detokenize(const sw_tokenizer *t, const int32_t *ids, size_t n, int render_special,
                  sw_buf *out, sw_err *err);

/* Streaming decode: bytes are held back until they form complete UTF-8 sequences;
 * sequences that can never complete are replaced with U+FFFD. */
typedef struct sw_detok_stream {
    unsigned char pending[8];
    int npending;
    int first; /* SentencePiece: strip the leading space of the first piece if asked */
} sw_detok_stream;
void sw_detok_stream_init(sw_detok_stream *s);
/* Appends to out the text that token id completes. -1 for a bad id or no memory. */
int sw_detok_stream_push(const sw_tokenizer *t, sw_detok_stream *s, int32_t id, sw_buf *out);
/* Flushes what is pending at the end (as U+FFFD when incomplete). */
int sw_detok_stream_finish(sw_detok_stream *s, sw_buf *out);

#endif
