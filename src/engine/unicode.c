/* unicode.c - classifies code points as letter, number, white space or other. */
#include "engine/unicode.h"

static int in_ranges(const sw_uni_range *r, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo) hi = mid;
        else if (cp > r[mid].hi) lo = mid + 1;
        else return 1;
    }
    return 0;
}

int sw_uni_class(uint32_t cp) {
    if (cp < 0x80) { /* ASCII fast path: most text is here */
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return SW_UNI_LETTER;
        if (cp >= '0' && cp <= '9') return SW_UNI_NUMBER;
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return SW_UNI_SPACE;
        return SW_UNI_OTHER;
    }
    if (in_ranges(sw_uni_letter, sw_uni_letter_n, cp)) return SW_UNI_LETTER;
    if (in_ranges(sw_uni_number, sw_uni_number_n, cp)) return SW_UNI_NUMBER;
    if (in_ranges(sw_uni_space, sw_uni_space_n, cp)) return SW_UNI_SPACE;
    return SW_UNI_OTHER;
}
