/* normalize.c - the guard's text normalisation with an exact map back to original bytes. */
#include "guard_int.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NORM_MAX_LEN (1u << 30)

static int view_reserve(sw_guard_view *v, size_t extra) {
    size_t need = v->len + extra + 1;
    if (need <= v->cap) return 0;
    size_t cap = v->cap ? v->cap : need; /* the first reserve is exact: most views never grow */
    while (cap < need) cap *= 2;
    char *s = realloc(v->s, cap);
    if (!s) return -1;
    v->s = s;
    uint32_t *a = realloc(v->ostart, cap * sizeof *a);
    if (!a) return -1;
    v->ostart = a;
    uint32_t *b = realloc(v->oend, cap * sizeof *b);
    if (!b) return -1;
    v->oend = b;
    v->cap = cap;
    return 0;
}

/* Appends n bytes that all came from original bytes [os, oe). Caller reserved room. */
static inline void view_put(sw_guard_view *v, const char *p, size_t n, uint32_t os, uint32_t oe) {
    for (size_t i = 0; i < n; i++) {
        v->s[v->len] = p[i];
        v->ostart[v->len] = os;
        v->oend[v->len] = oe;
        v->len++;
    }
}

static void view_free(sw_guard_view *v) {
    free(v->s);
    free(v->ostart);
    free(v->oend);
    memset(v, 0, sizeof *v);
}

void sw_guard_norm_free(sw_guard_norm *n) {
    if (!n) return;
    view_free(&n->light);
    view_free(&n->match);
    view_free(&n->squeeze);
    free(n->joined);
    free(n->sq2m);
    free(n->invis);
    memset(n, 0, sizeof *n);
}

/* -1 when cp is visible; else the kind of invisible character it is. */
static int invisible_kind(uint32_t cp) {
    if (cp < 0xAD) return -1;
    if (cp == 0xAD || cp == 0x34F || cp == 0x180E || (cp >= 0x200B && cp <= 0x200D) ||
        (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || cp == 0x115F || cp == 0x1160 ||
        cp == 0x3164 || cp == 0xFFA0 || (cp >= 0x1D173 && cp <= 0x1D17A) ||
        (cp >= 0x206A && cp <= 0x206F))
        return SW_INVIS_ZERO_WIDTH;
    if (cp == 0x200E || cp == 0x200F || cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069))
        return SW_INVIS_BIDI;
    if (cp >= 0xE0000 && cp <= 0xE007F) return SW_INVIS_TAG;
    if ((cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF))
        return SW_INVIS_VARIATION_SELECTOR;
    return -1;
}

/* Letters from other scripts that look like Latin ones (after case folding). */
static uint32_t confusable(uint32_t cp) {
    switch (cp) {
    case 0x430: case 0x3b1: case 0x251: return 'a';
    case 0x432: case 0x3b2: return 'b';
    case 0x441: case 0x3f2: return 'c';
    case 0x501: return 'd';
    case 0x435: case 0x3b5: case 0x454: return 'e';
    case 0x261: return 'g';
    case 0x4bb: case 0x43d: return 'h';
    case 0x456: case 0x3b9: case 0x131: case 0x457: return 'i';
    case 0x458: case 0x3f3: return 'j';
    case 0x3ba: case 0x43a: return 'k';
    case 0x4cf: return 'l';
    case 0x43c: return 'm';
    case 0x3b7: return 'n';
    case 0x43e: case 0x3bf: return 'o';
    case 0x440: case 0x3c1: return 'p';
    case 0x51b: return 'q';
    case 0x433: return 'r';
    case 0x455: return 's';
    case 0x442: case 0x3c4: return 't';
    case 0x3c5: return 'u';
    case 0x3bd: case 0x475: return 'v';
    case 0x51d: case 0x461: return 'w';
    case 0x445: case 0x3c7: return 'x';
    case 0x443: case 0x3b3: case 0x4af: return 'y';
    case 0x3b6: return 'z';
    default: return cp;
    }
}

static int add_invis(sw_guard_norm *n, int kind, uint32_t os, uint32_t oe) {
    if (n->n_invis) {
        sw_guard_invis *last = &n->invis[n->n_invis - 1];
        if ((int)last->kind == kind && last->end == os) {
            last->end = oe;
            last->count++;
            return 0;
        }
    }
    if (n->n_invis == n->cap_invis) {
        size_t cap = n->cap_invis ? n->cap_invis * 2 : 8;
        sw_guard_invis *p = realloc(n->invis, cap * sizeof *p);
        if (!p) return -1;
        n->invis = p;
        n->cap_invis = cap;
    }
    n->invis[n->n_invis++] = (sw_guard_invis){(sw_invis_kind)kind, os, oe, 1};
    return 0;
}

/* Emits the folded form of one non-ASCII code point into the light view. */
static int emit_folded(sw_guard_view *v, uint32_t cp, uint32_t os, uint32_t oe) {
    utf8proc_int32_t buf[16];
    utf8proc_ssize_t k;
    if (cp >= 0xAC00 && cp <= 0xD7A3) { /* keep Hangul syllables whole */
        buf[0] = (utf8proc_int32_t)cp;
        k = 1;
    } else {
        int bc = 0;
        k = utf8proc_decompose_char((utf8proc_int32_t)cp, buf, 16,
                                    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE |
                                        UTF8PROC_STRIPMARK | UTF8PROC_LUMP,
                                    &bc);
        if (k < 0 || k > 16) {
            buf[0] = (utf8proc_int32_t)cp;
            k = 1;
        }
    }
    if (view_reserve(v, (size_t)k * 4) < 0) return -1;
    for (utf8proc_ssize_t i = 0; i < k; i++) {
        uint32_t c = confusable((uint32_t)buf[i]);
        const utf8proc_property_t *pr = utf8proc_get_property((utf8proc_int32_t)c);
        if (pr->category == UTF8PROC_CATEGORY_ZS) c = ' ';
        else if (c >= 'A' && c <= 'Z') c += 32;
        unsigned char u[4];
        int l = sw_utf8_encode(c, u);
        if (l) view_put(v, (const char *)u, (size_t)l, os, oe);
    }
    return 0;
}

/* Variation selectors and joiners that are part of ordinary emoji are not findings. */
static int emoji_like(uint32_t cp) { return cp >= 0x2000 && !(cp >= 0x3000 && cp < 0xA000); }

static int build_light(const unsigned char *t, size_t len, sw_guard_norm *n) {
    sw_guard_view *v = &n->light;
    if (view_reserve(v, len + 16) < 0) return -1;
    uint32_t prev = 0;
    size_t i = 0;
    while (i < len) {
        unsigned c = t[i];
        if (c < 0x80) { /* ASCII fast path: a run at a time, one capacity check */
            if (v->cap < v->len + (len - i) + 1 && view_reserve(v, len - i) < 0) return -1;
            size_t o = v->len;
            char *vs = v->s; /* locals: stores through char pointers would make the compiler reload the fields */
            uint32_t *vo = v->ostart, *ve = v->oend;
            do {
                vs[o] = (char)(c - 'A' < 26u ? c + 32 : c);
                vo[o] = (uint32_t)i;
                ve[o] = (uint32_t)i + 1;
                o++;
                prev = c;
                i++;
            } while (i < len && (c = t[i]) < 0x80);
            v->len = o;
            continue;
        }
        uint32_t cp;
        int l = sw_utf8_decode(t + i, len - i, &cp);
        if (l == 0) { /* one ill-formed byte -> U+FFFD */
            if (view_reserve(v, 3) < 0) return -1;
            view_put(v, "\xEF\xBF\xBD", 3, (uint32_t)i, (uint32_t)i + 1);
            prev = 0xFFFD;
            i++;
            continue;
        }
        uint32_t os = (uint32_t)i, oe = (uint32_t)(i + (size_t)l);
        int kind = invisible_kind(cp);
        if (kind >= 0) {
            int benign = (cp == 0xFE0F || cp == 0xFE0E || cp == 0x200D) && emoji_like(prev) &&
                         !(n->n_invis && n->invis[n->n_invis - 1].end == os);
            if (!benign && add_invis(n, kind, os, oe) < 0) return -1;
            i += (size_t)l;
            continue; /* prev stays: an emoji followed by VS16 then ZWJ is still benign */
        }
        if (emit_folded(v, cp, os, oe) < 0) return -1;
        prev = cp;
        i += (size_t)l;
    }
    v->s[v->len] = 0;
    return 0;
}

/* ---- the match view ---- */

static inline int is_alpha(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_leet_sym(unsigned char c) {
    return c == '@' || c == '$' || c == '!' || c == '|' || c == '+';
}

/* Bytes that belong to words: ASCII letters and digits, and every non-ASCII byte (CJK
 * text has no spaces) except those of the CJK punctuation block U+3000..U+303F. */
static inline int is_cjk_punct(const unsigned char *s, size_t i, size_t n) {
    return s[i] == 0xE3 && i + 2 < n && s[i + 1] == 0x80;
}
static inline size_t cp_len(unsigned char c) {
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* the letter a leetspeak character stands for; 0: none (a table: a switch here was an
 * indirect jump per byte) */
static const char LEET[256] = {['0'] = 'o', ['1'] = 'i', ['3'] = 'e', ['4'] = 'a', ['5'] = 's', ['7'] = 't',
                               ['8'] = 'b', ['9'] = 'g', ['@'] = 'a', ['$'] = 's', ['!'] = 'i', ['|'] = 'l',
                               ['+'] = 't'};
static inline char leet(unsigned char c) { return LEET[c] ? LEET[c] : (char)c; }

typedef struct {
    size_t s, e;   /* token bytes in the light view */
    int single;    /* exactly one code point */
    int has_alpha; /* leet folding applies only to tokens with letters */
} token;

/* Finds the next word token at or after i. Leet symbols belong to a word when a letter
 * or digit follows them ("h@ck", "$tupid"); a trailing "!" is punctuation. Returns 0
 * when there is none. */
static int next_token(const sw_guard_view *v, size_t i, token *tk) {
    const unsigned char *s = (const unsigned char *)v->s;
    size_t n = v->len;
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            if (!is_cjk_punct(s, i, n)) break;
            i += 3;
            continue;
        }
        if (is_alpha(c) || is_digit(c)) break;
        if (is_leet_sym(c) && i + 1 < n && (is_alpha(s[i + 1]) || is_digit(s[i + 1]))) break;
        i++;
    }
    if (i >= n) return 0;
    size_t st = i, cps = 0;
    int alpha = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            if (is_cjk_punct(s, i, n)) break;
            i += cp_len(c);
            if (i > n) i = n;
            cps++;
            alpha = 1;
            continue;
        }
        if (is_alpha(c)) alpha = 1;
        else if (!is_digit(c) &&
                 !(is_leet_sym(c) && i + 1 < n && (is_alpha(s[i + 1]) || is_digit(s[i + 1]))))
            break;
        cps++;
        i++;
    }
    tk->s = st;
    tk->e = i;
    tk->single = (cps == 1);
    tk->has_alpha = alpha;
    return 1;
}

/* The match view holds at most as many bytes as the light view: token bytes map 1:1 and
 * each separator run (at least one byte) becomes one space or nothing. */
static int build_match(sw_guard_norm *n) {
    sw_guard_view *lv = &n->light, *m = &n->match;
    if (view_reserve(m, lv->len + 2) < 0) return -1;
    uint8_t *jn = realloc(n->joined, m->cap); /* every byte below len is written */
    if (!jn) return -1;
    n->joined = jn;
    token prev = {0, 0, 0, 0}, tk;
    int have_prev = 0;
    size_t i = 0;
    while (next_token(lv, i, &tk)) {
        i = tk.e;
        /* a run of one-character tokens separated by at most 2 bytes (no newline) is a
         * spaced-out word and is joined: "k i l l" -> "kill" */
        int join = 0;
        if (have_prev && prev.single && tk.single && tk.s - prev.e <= 2) {
            join = 1;
            for (size_t j = prev.e; j < tk.s; j++) join &= lv->s[j] != '\n';
        }
        if (have_prev && !join) {
            n->joined[m->len] = 0;
            view_put(m, " ", 1, lv->oend[prev.e - 1], lv->ostart[tk.s]);
        }
        if (join) n->joined[m->len - 1] = 1;
        const unsigned char *ls = (const unsigned char *)lv->s;
        const uint32_t *lo = lv->ostart, *le = lv->oend;
        char *ms = m->s;
        uint32_t *mo = m->ostart, *me = m->oend;
        uint8_t *jn = n->joined;
        size_t ml = m->len;
        for (size_t j = tk.s; j < tk.e; j++, ml++) { /* capacity reserved above */
            unsigned char c = ls[j];
            ms[ml] = (char)(tk.has_alpha && c < 0x80 ? leet(c) : c);
            jn[ml] = (uint8_t)join;
            mo[ml] = lo[j];
            me[ml] = le[j];
        }
        m->len = ml;
        prev = tk;
        have_prev = 1;
    }
    m->s[m->len] = 0;
    return 0;
}

static int build_squeeze(sw_guard_norm *n) {
    const sw_guard_view *m = &n->match;
    sw_guard_view *q = &n->squeeze;
    if (view_reserve(q, m->len + 1) < 0) return -1;
    uint32_t *sq = realloc(n->sq2m, q->cap * sizeof *n->sq2m);
    if (!sq) return -1;
    n->sq2m = sq;
    const char *ms = m->s;
    const uint32_t *mo = m->ostart, *me = m->oend;
    char *qs = q->s;
    uint32_t *qo = q->ostart, *qe = q->oend;
    size_t ql = 0;
    for (size_t i = 0; i < m->len; i++)
        if (ms[i] != ' ') {
            sq[ql] = (uint32_t)i;
            qs[ql] = ms[i];
            qo[ql] = mo[i];
            qe[ql] = me[i];
            ql++;
        }
    q->len = ql;
    q->s[q->len] = 0;
    return 0;
}

int sw_guard_normalize(const char *text, size_t len, sw_guard_norm *out, sw_err *err) {
    memset(out, 0, sizeof *out);
    return gnormalize_reuse(text, len, out, err);
}

int gnormalize_light_reuse(const char *text, size_t len, sw_guard_norm *out) {
    out->light.len = out->match.len = out->squeeze.len = 0;
    out->n_invis = 0;
    if (len > NORM_MAX_LEN) return -1;
    return build_light((const unsigned char *)text, len, out) < 0 ? -1 : 0;
}

int gnormalize_reuse(const char *text, size_t len, sw_guard_norm *out, sw_err *err) {
    out->light.len = out->match.len = out->squeeze.len = 0;
    out->n_invis = 0;
    if (len > NORM_MAX_LEN) return sw_err_set(err, "guard: text of %zu bytes is over the 1 GiB limit", len);
    if (build_light((const unsigned char *)text, len, out) < 0 || build_match(out) < 0 ||
        build_squeeze(out) < 0)
        return sw_err_set(err, "guard: out of memory normalising %zu bytes", len);
    return 0;
}
