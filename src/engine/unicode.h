/* unicode.h - internal: the Unicode categories the pre-tokenizers need (letter, number,
 * white space), from utf8proc (unicode.c). */
#ifndef STEWARD_ENGINE_UNICODE_H
#define STEWARD_ENGINE_UNICODE_H

#include <stdint.h>

enum { SW_UNI_OTHER = 0, SW_UNI_LETTER = 1, SW_UNI_NUMBER = 2, SW_UNI_SPACE = 4 };

/* The class of a code point: exactly one of the SW_UNI_* values (\p{L}, \p{N},
 * White_Space, anything else; unassigned and out-of-range values are "other"). */
int sw_uni_class(uint32_t cp);

/* The Unicode version of the tables in use ("15.0.0" for utf8proc 2.8). */
const char *sw_uni_version(void);

#endif
