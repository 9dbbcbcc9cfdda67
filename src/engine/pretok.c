/* pretok.c - hand-written equivalents of the GPT-2, Llama 3 and Qwen 2 split regexes.
 *
 * gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *         | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * qwen2:  as llama3 with \p{N} (one digit per piece) instead of \p{N}{1,3}.
 * smollm: \p{N} first (each digit a piece), then gpt2 on each stretch between digits, as
 *         llama.cpp applies its two regexes one after the other.
 * Each alternative is tried in order at the current position, as the regex engine would;
 * the backtracking of \s+(?!\S) and \s*[\r\n]+ is resolved by looking at the whole run. */
#include "engine/pretok.h"
#include "engine/unicode.h"
#include "steward/core.h"

#include <stdlib.h>

#define NOT_A_CHAR 0xFFFFFFFFu /* an invalid UTF-8 byte */

typedef struct chars {
    uint32_t *cp;
    unsigned char *cls;
    size_t *off; /* byte offset of char i; off[n] = len */
    size_t n;
} chars;

static int decode(const char *text, size_t len, chars *c) {
    /* one allocation: n <= len characters */
    size_t per = sizeof(uint32_t) + sizeof(size_t) + 1;
    char *mem = malloc((len + 1) * per);
    if (!mem) return -1;
    c->off = (size_t *)mem;
    c->cp = (uint32_t *)(mem + (len + 1) * sizeof(size_t));
    c->cls = (unsigned char *)(mem + (len + 1) * (sizeof(size_t) + sizeof(uint32_t)));
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, n = 0;
    while (i < len) {
        uint32_t cp;
        int l = s[i] < 0x80 ? (cp = s[i], 1) : sw_utf8_decode(s + i, len - i, &cp);
        if (l == 0) { cp = NOT_A_CHAR; l = 1; }
        c->off[n] = i;
        c->cp[n] = cp;
        c->cls[n] = (unsigned char)(cp == NOT_A_CHAR ? SW_UNI_OTHER : sw_uni_class(cp));
        n++;
        i += (size_t)l;
    }
    c->off[n] = len;
    c->n = n;
    return 0;
}

static uint32_t lower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp; }

/* Length (in chars) of a contraction 's 't 're 've 'm 'll 'd at i, or 0. */
static size_t contraction(const chars *c, size_t i, int fold) {
    if (c->cp[i] != '\'' || i + 1 >= c->n) return 0;
    uint32_t a = c->cp[i + 1], b = i + 2 < c->n ? c->cp[i + 2] : 0;
    if (fold) { a = lower(a); b = lower(b); }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

static size_t run_of(const chars *c, size_t i, int cls) {
    while (i < c->n && c->cls[i] == cls) i++;
    return i;
}

static int is_nl(uint32_t cp) { return cp == '\r' || cp == '\n'; }

/* \s+(?!\S) then \s+ at i (a white-space char): the run, less its last char when a
 * non-space follows and the run is longer than one. */
static size_t space_run(const chars *c, size_t i) {
    size_t k = run_of(c, i, SW_UNI_SPACE);
    if (k < c->n && k - i >= 2) return k - 1;
    return k;
}

static size_t next_gpt2(const chars *c, size_t i) {
    size_t k = contraction(c, i, 0);
    if (k) return i + k;
    size_t j = i;
    if (c->cp[j] == ' ' && j + 1 < c->n && c->cls[j + 1] != SW_UNI_SPACE) j++;
    int cls = c->cls[j];
    if (cls == SW_UNI_LETTER || cls == SW_UNI_NUMBER) return run_of(c, j, cls);
    if (cls == SW_UNI_OTHER) return run_of(c, j, SW_UNI_OTHER);
    return space_run(c, i);
}

static size_t next_llama3(const chars *c, size_t i, size_t max_digits) {
    size_t k = contraction(c, i, 1);
    if (k) return i + k;
    int cls = c->cls[i];
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (cls == SW_UNI_LETTER) return run_of(c, i, SW_UNI_LETTER);
    if (cls != SW_UNI_NUMBER && !is_nl(c->cp[i]) && i + 1 < c->n && c->cls[i + 1] == SW_UNI_LETTER)
        return run_of(c, i + 1, SW_UNI_LETTER);
    /* \p{N}{1,3} or \p{N} */
    if (cls == SW_UNI_NUMBER) {
        size_t j = i;
        while (j < c->n && j - i < max_digits && c->cls[j] == SW_UNI_NUMBER) j++;
        return j;
    }
    /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
    size_t j = i;
    if (c->cp[j] == ' ' && j + 1 < c->n && c->cls[j + 1] == SW_UNI_OTHER) j++;
    if (c->cls[j] == SW_UNI_OTHER) {
        j = run_of(c, j, SW_UNI_OTHER);
        while (j < c->n && is_nl(c->cp[j])) j++;
        return j;
    }
    /* \s*[\r\n]+ : up to the last newline of the white-space run */
    size_t end = run_of(c, i, SW_UNI_SPACE), last_nl = 0;
    for (size_t p = i; p < end; p++)
        if (is_nl(c->cp[p])) last_nl = p + 1;
    if (last_nl) return last_nl;
    return space_run(c, i);
}

int sw_pretok_split(sw_pretok_kind kind, const char *text, size_t len, size_t **ends,
                    size_t *n, size_t *cap) {
    chars c;
    if (len == 0) return 0;
    if (decode(text, len, &c) < 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < c.n;) {
        size_t j;
        if (kind == SW_PRETOK_SMOLLM) {
            /* a digit alone, else gpt2 within the stretch that ends at the next digit */
            size_t stop = i;
            while (stop < c.n && c.cls[stop] != SW_UNI_NUMBER) stop++;
            chars seg = c;
            seg.n = stop;
            j = stop == i ? i + 1 : next_gpt2(&seg, i);
        } else {
            j = kind == SW_PRETOK_GPT2    ? next_gpt2(&c, i)
                : kind == SW_PRETOK_QWEN2 ? next_llama3(&c, i, 1)
                                          : next_llama3(&c, i, 3);
        }
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            size_t *p = realloc(*ends, nc * sizeof *p);
            if (!p) { rc = -1; break; }
            *ends = p;
            *cap = nc;
        }
        (*ends)[(*n)++] = c.off[j];
        i = j;
    }
    free(c.off);
    return rc;
}
