/* unicode.c - classifies code points as letter, number, white space or other, from
 * utf8proc's tables: the program's one Unicode version (the guard normalises with the
 * same library). */
#include "engine/unicode.h"

#include <utf8proc.h>

/* NEL (U+0085) is White_Space but of category Cc; every other White_Space code point
 * above ASCII is of category Zs, Zl or Zp (Unicode 6.3 and later). */
#define CP_NEL 0x85

int sw_uni_class(uint32_t cp) {
    if (cp < 0x80) { /* ASCII fast path: most text is here */
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return SW_UNI_LETTER;
        if (cp >= '0' && cp <= '9') return SW_UNI_NUMBER;
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return SW_UNI_SPACE;
        return SW_UNI_OTHER;
    }
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return SW_UNI_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return SW_UNI_NUMBER;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return SW_UNI_SPACE;
    default: return cp == CP_NEL ? SW_UNI_SPACE : SW_UNI_OTHER;
    }
}

const char *sw_uni_version(void) { return utf8proc_unicode_version(); }
