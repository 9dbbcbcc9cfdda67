/* unicode.h - internal: the Unicode categories the pre-tokenizers need (letter, number,
 * white space), from the generated tables in unicode_tables.c. */
#ifndef STEWARD_ENGINE_UNICODE_H
#define STEWARD_ENGINE_UNICODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sw_uni_range {
    uint32_t lo, hi; /* inclusive */
} sw_uni_range;

extern const sw_uni_range sw_uni_letter[], sw_uni_number[], sw_uni_space[];
extern const size_t sw_uni_letter_n, sw_uni_number_n, sw_uni_space_n;

enum { SW_UNI_OTHER = 0, SW_UNI_LETTER = 1, SW_UNI_NUMBER = 2, SW_UNI_SPACE = 4 };

/* The class of a code point: exactly one of the SW_UNI_* values. */
int sw_uni_class(uint32_t cp);

#endif
