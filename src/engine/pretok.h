/* pretok.h - internal: the regex pre-tokenizers of byte-level BPE models, hand-written. */
#ifndef STEWARD_ENGINE_PRETOK_H
#define STEWARD_ENGINE_PRETOK_H

#include <stddef.h>

typedef enum sw_pretok_kind {
    SW_PRETOK_GPT2 = 0, /* GPT-2: 's|'t|... ?\p{L}+| ?\p{N}+|... */
    SW_PRETOK_LLAMA3,   /* Llama 3: case-insensitive contractions, \p{N}{1,3} */
    SW_PRETOK_QWEN2,    /* Qwen 2: like Llama 3 but single digits \p{N} */
    SW_PRETOK_SMOLLM,   /* SmolLM: every digit its own piece, then GPT-2 between them */
} sw_pretok_kind;

/* Splits text[0..len) into consecutive pieces that cover it, and appends the byte offset
 * where each piece ends to *ends (realloc'd; *n and *cap updated; caller frees).
 * Invalid UTF-8 bytes count as single characters of class "other". -1 when out of memory. */
int sw_pretok_split(sw_pretok_kind kind, const char *text, size_t len, size_t **ends,
                    size_t *n, size_t *cap);

#endif
