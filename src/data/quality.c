/* quality.c - document quality rules after Gopher (Rae et al. 2021, appendix A: length,
 * mean word length, symbol ratios, bullets, ellipses, alphabetic words, stop words,
 * repeated lines, paragraphs and n-grams) and C4 (Raffel et al. 2020: line rules). */
#include "steward/data.h"

#include <stdlib.h>
#include <string.h>

/* Gopher thresholds (the paper's values). */
#define G_MIN_WORDS 50
#define G_MAX_WORDS 100000
#define G_MIN_MEAN_WORD 3.0
#define G_MAX_MEAN_WORD 10.0
#define G_MAX_SYMBOL_RATIO 0.1
#define G_MAX_BULLET_LINES 0.9
#define G_MAX_ELLIPSIS_LINES 0.3
#define G_MIN_ALPHA_WORDS 0.8
#define G_MIN_STOP_WORDS 2
#define G_MAX_DUP_LINE_FRAC 0.3
#define G_MAX_DUP_PARA_FRAC 0.3
#define G_MAX_DUP_LINE_CHARS 0.2
#define G_MAX_DUP_PARA_CHARS 0.2
#define G_TOP_NGRAM_MIN 2
#define G_TOP_NGRAM_MAX 4
#define G_DUP_NGRAM_MIN 5
#define G_DUP_NGRAM_MAX 10
static const double g_top_ngram_max[] = {0.20, 0.18, 0.16};                   /* n = 2, 3, 4 */
static const double g_dup_ngram_max[] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10}; /* n = 5..10 */
/* Chinese has no spaces between words: the word rules are skipped for it, and its
 * length is counted in characters. */
#define ZH_MIN_CHARS 100
/* C4 */
#define C4_MIN_LINE_WORDS 5
#define C4_MIN_SENTENCES 3

enum { L_TERMINAL = 0, L_MIN_WORDS, L_JAVASCRIPT, L_POLICY, L_COUNT };
static const char *line_rule_names[L_COUNT] = {"c4.line_terminal_punct", "c4.line_min_words",
                                               "c4.line_javascript", "c4.line_policy"};
int sw_quality_line_rules(void) { return L_COUNT; }
const char *sw_quality_line_rule_name(int i) { return i >= 0 && i < L_COUNT ? line_rule_names[i] : "?"; }

typedef struct {
    uint32_t start, len; /* byte span of the word */
    uint64_t hash;       /* of its lower-cased bytes */
} word;

typedef struct {
    word *w;
    size_t n, cap;
} words;

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* The eight bytes of x with ASCII upper-case letters lowered (other bytes unchanged). */
static uint64_t lower8(uint64_t x) {
    const uint64_t high = 0x8080808080808080ull;
    uint64_t h7 = x & ~high;                        /* each byte's low seven bits */
    uint64_t ge_a = h7 + 0x3F3F3F3F3F3F3F3Full;     /* high bit: low bits >= 'A' */
    uint64_t gt_z = h7 + 0x2525252525252525ull;     /* high bit: low bits > 'Z' */
    return x | ((ge_a & ~gt_z & ~x & high) >> 2); /* ASCII 'A'..'Z' gain 0x20 */
}

/* Hash of a word ignoring ASCII case, eight bytes at a time (only equality of words is
 * asked of it, by the n-gram rules). */
static uint64_t word_hash(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ lower8(w)) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s + i, n - i);
    return mix64(h ^ lower8(w));
}

/* Splits text into white-space separated words. -1 on out of memory. */
static int split_words(const char *t, size_t len, words *ws) {
    ws->n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space((unsigned char)t[i])) i++;
        if (i >= len) break;
        size_t s = i;
        while (i < len && !is_space((unsigned char)t[i])) i++;
        if (ws->n == ws->cap) {
            size_t nc = ws->cap ? ws->cap * 2 : 256;
            word *nw = realloc(ws->w, nc * sizeof *nw);
            if (!nw) return -1;
            ws->w = nw, ws->cap = nc;
        }
        ws->w[ws->n++] = (word){(uint32_t)s, (uint32_t)(i - s), word_hash(t + s, i - s)};
    }
    return 0;
}

/* An open-addressing set/counter of 64-bit keys, sized per document. A slot is in use
 * when its generation is the table's, so that clearing the table is one increment. */
typedef struct {
    uint64_t k;
    uint32_t v;
    uint32_t gen;
} slot;

/* Open-addressing counter; key and count share a slot so that a probe touches one cache line. */
typedef struct {
    slot *s;
    size_t mask;
    uint32_t gen; /* of the slots in use (calloc'd slots have 0: free) */
} table;

/* 0, or -1 on OOM (table_free is still safe). */
static int table_init(table *t, size_t n) {
    size_t cap = 64;
    while (cap < 2 * n) cap *= 2;
    t->s = calloc(cap, sizeof *t->s);
    t->mask = cap - 1;
    t->gen = 1;
    return t->s ? 0 : -1;
}
static void table_free(table *t) { free(t->s); }
static void table_clear(table *t) {
    if (++t->gen == 0) { /* wrapped: every slot free again */
        memset(t->s, 0, (t->mask + 1) * sizeof *t->s);
        t->gen = 1;
    }
}
/* The slot of key, claimed (count 0) if key is new. */
static slot *table_slot(table *t, uint64_t key) {
    size_t i = (size_t)key & t->mask;
    while (t->s[i].gen == t->gen && t->s[i].k != key) i = (i + 1) & t->mask;
    if (t->s[i].gen != t->gen) t->s[i] = (slot){key, 0, t->gen};
    return &t->s[i];
}
/* Adds by to key's count and returns the new count. */
static uint32_t table_add(table *t, uint64_t key, uint32_t by) { return table_slot(t, key)->v += by; }

/* Hash of a line or paragraph, eight bytes at a time (only equality of spans is asked of
 * it: two spans are duplicates when their hashes are equal). */
static uint64_t span_hash(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    return mix64(h ^ w);
}

/* Tripped rule (name, value) or 0. */
static int trip(sw_quality_result *r, const char *rule, double value) {
    r->drop_rule = rule;
    r->value = value;
    return 1;
}

static const char *const stop_words[] = {"the", "be", "to", "of", "and", "that", "have", "with"};

static int is_stop_word(const char *s, size_t n) {
    for (size_t i = 0; i < sizeof stop_words / sizeof *stop_words; i++) {
        size_t k = strlen(stop_words[i]);
        if (n != k) continue;
        size_t j = 0;
        while (j < n && lower((unsigned char)s[j]) == stop_words[i][j]) j++;
        if (j == n) return 1;
    }
    return 0;
}

static int has_alpha(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c | 32) >= 'a' && (c | 32) <= 'z') return 1;
        if (c >= 0xC0) return 1; /* a non-ASCII letter most likely */
    }
    return 0;
}

static size_t count_sub(const char *t, size_t len, const char *needle) {
    size_t n = strlen(needle), c = 0;
    for (const char *p = t; (p = memmem(p, len - (size_t)(p - t), needle, n)); p += n) c++;
    return c;
}

/* Gopher's word statistics: count, mean length, symbols, alphabetic and stop words. */
static int gopher_word_rules(const char *t, size_t len, const words *ws, sw_quality_result *r) {
    size_t n = ws->n, chars = 0, alpha = 0, stops = 0;
    if (n < G_MIN_WORDS) return trip(r, "gopher.min_words", (double)n);
    if (n > G_MAX_WORDS) return trip(r, "gopher.max_words", (double)n);
    for (size_t i = 0; i < n; i++) {
        const char *s = t + ws->w[i].start;
        chars += ws->w[i].len;
        alpha += has_alpha(s, ws->w[i].len);
        if (stops < G_MIN_STOP_WORDS) stops += is_stop_word(s, ws->w[i].len);
    }
    double mean = (double)chars / (double)n;
    if (mean < G_MIN_MEAN_WORD || mean > G_MAX_MEAN_WORD) return trip(r, "gopher.mean_word_length", mean);
    double hash_ratio = (double)count_sub(t, len, "#") / (double)n;
    if (hash_ratio > G_MAX_SYMBOL_RATIO) return trip(r, "gopher.hash_ratio", hash_ratio);
    double ell = (double)(count_sub(t, len, "...") + count_sub(t, len, "\xe2\x80\xa6")) / (double)n;
    if (ell > G_MAX_SYMBOL_RATIO) return trip(r, "gopher.ellipsis_ratio", ell);
    double af = (double)alpha / (double)n;
    if (af < G_MIN_ALPHA_WORDS) return trip(r, "gopher.alpha_words", af);
    if (stops < G_MIN_STOP_WORDS) return trip(r, "gopher.stop_words", (double)stops);
    return 0;
}

/* Trims white space at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n) {
    while (*n && is_space((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && is_space((unsigned char)(*s)[*n - 1])) (*n)--;
}

static int starts_bullet(const char *s, size_t n) {
    if (n && (s[0] == '-' || s[0] == '*')) return 1;
    return n >= 3 && (memcmp(s, "\xe2\x80\xa2", 3) == 0 || memcmp(s, "\xe2\x80\xa3", 3) == 0);
}
static int ends_ellipsis(const char *s, size_t n) {
    return (n >= 3 && memcmp(s + n - 3, "...", 3) == 0) || (n >= 3 && memcmp(s + n - 3, "\xe2\x80\xa6", 3) == 0);
}

/* Bullet and ellipsis lines, duplicate lines (count and characters). -1 on OOM. */
static int gopher_line_rules(const char *t, size_t len, sw_quality_result *r, int *tripped) {
    size_t pos = 0, lines = 0, bullets = 0, ellipses = 0, dup = 0, dup_chars = 0, chars = 0;
    int line_no = 0;
    const char *s;
    size_t n;
    table seen = {0};
    if (table_init(&seen, len / 16 + 16)) return table_free(&seen), -1;
    while (sw_next_line(t, len, &pos, &line_no, &s, &n)) {
        trim(&s, &n);
        if (!n) continue;
        lines++;
        chars += n;
        bullets += starts_bullet(s, n);
        ellipses += ends_ellipsis(s, n);
        if (table_add(&seen, span_hash(s, n), 1) > 1) dup++, dup_chars += n;
    }
    table_free(&seen);
    *tripped = 0;
    if (!lines) return 0;
    double fl = (double)lines;
    if (bullets / fl > G_MAX_BULLET_LINES) *tripped = trip(r, "gopher.bullet_lines", bullets / fl);
    else if (ellipses / fl > G_MAX_ELLIPSIS_LINES) *tripped = trip(r, "gopher.ellipsis_lines", ellipses / fl);
    else if (dup / fl > G_MAX_DUP_LINE_FRAC) *tripped = trip(r, "gopher.dup_line_frac", dup / fl);
    else if ((double)dup_chars / (double)chars > G_MAX_DUP_LINE_CHARS)
        *tripped = trip(r, "gopher.dup_line_chars", (double)dup_chars / (double)chars);
    return 0;
}

/* Duplicate paragraphs (blocks between blank lines): count and characters. -1 on OOM. */
static int gopher_para_rules(const char *t, size_t len, sw_quality_result *r, int *tripped) {
    size_t paras = 0, dup = 0, dup_chars = 0, chars = 0, i = 0;
    table seen = {0};
    *tripped = 0;
    if (table_init(&seen, len / 64 + 16)) return table_free(&seen), -1;
    while (i < len) {
        const char *end = memmem(t + i, len - i, "\n\n", 2);
        size_t e = end ? (size_t)(end - t) : len;
        const char *s = t + i;
        size_t n = e - i;
        trim(&s, &n);
        if (n) {
            paras++;
            chars += n;
            if (table_add(&seen, span_hash(s, n), 1) > 1) dup++, dup_chars += n;
        }
        i = e + 2;
    }
    table_free(&seen);
    if (!paras) return 0;
    if ((double)dup / (double)paras > G_MAX_DUP_PARA_FRAC)
        *tripped = trip(r, "gopher.dup_para_frac", (double)dup / (double)paras);
    else if ((double)dup_chars / (double)chars > G_MAX_DUP_PARA_CHARS)
        *tripped = trip(r, "gopher.dup_para_chars", (double)dup_chars / (double)chars);
    return 0;
}

static const char *top_rule_names[] = {"gopher.top_2gram", "gopher.top_3gram", "gopher.top_4gram"};
static const char *dup_rule_names[] = {"gopher.dup_5gram", "gopher.dup_6gram", "gopher.dup_7gram",
                                       "gopher.dup_8gram", "gopher.dup_9gram", "gopher.dup_10gram"};
#define NGRAM_BASE 0x9E3779B97F4A7C15ull

/* Prefix hashes of the word hashes: pre[k] = sum of w[j] * B^(k-1-j), j < k (mod 2^64),
 * so that the n-gram at i hashes in O(1) (ngram_hash). pw[n] = B^n. */
typedef struct {
    uint64_t *pre;
    uint64_t pw[G_DUP_NGRAM_MAX + 1];
} prefix;

static int prefix_init(prefix *p, const words *ws) {
    if (!(p->pre = malloc((ws->n + 1) * sizeof *p->pre))) return -1;
    p->pre[0] = 0;
    for (size_t i = 0; i < ws->n; i++) p->pre[i + 1] = p->pre[i] * NGRAM_BASE + ws->w[i].hash;
    p->pw[0] = 1;
    for (int n = 1; n <= G_DUP_NGRAM_MAX; n++) p->pw[n] = p->pw[n - 1] * NGRAM_BASE;
    return 0;
}

/* Hash of the n-gram of words starting at i (polynomial in the word hashes). */
static uint64_t ngram_hash(const prefix *p, size_t i, int n) {
    return mix64((p->pre[i + (size_t)n] - p->pre[i] * p->pw[n]) ^ (uint64_t)n);
}

/* Characters (word bytes) of the n-gram starting at i. */
static size_t ngram_chars(const words *ws, size_t i, int n) {
    size_t c = 0;
    for (int j = 0; j < n; j++) c += ws->w[i + (size_t)j].len;
    return c;
}

#define SEEN_BIT 0x80000000u /* in a count: an occurrence has been passed in the duplicate sweep */

/* Marks the duplicate n-grams' words in covered and returns their characters' share.
 * Every occurrence of a repeated n-gram starts at a position of cand (the positions whose
 * (n-1)-gram repeats; all positions for the first n): an n-gram starting elsewhere has a
 * unique prefix, so it is unique too. Keeps in cand only the positions whose n-gram
 * repeats (*n_cand updated). */
static double dup_share(const words *ws, const prefix *px, table *cnt, slot **at, size_t *cand, size_t *n_cand,
                        int n, uint8_t *covered, size_t total) {
    size_t nw = ws->n, k = 0;
    table_clear(cnt);
    for (size_t c = 0; c < *n_cand; c++)
        if (cand[c] + (size_t)n <= nw) ++(at[cand[c]] = table_slot(cnt, ngram_hash(px, cand[c], n)))->v;
    memset(covered, 0, nw);
    for (size_t c = 0; c < *n_cand; c++) {
        size_t i = cand[c];
        if (i + (size_t)n > nw) continue;
        slot *e = at[i];
        if ((e->v & ~SEEN_BIT) < 2) continue;
        cand[k++] = i;
        if (e->v & SEEN_BIT) memset(covered + i, 1, (size_t)n);
        e->v |= SEEN_BIT;
    }
    *n_cand = k;
    size_t dup = 0;
    for (size_t i = 0; i < nw; i++) dup += covered[i] ? ws->w[i].len : 0;
    return (double)dup / (double)total;
}

/* Top n-gram (n = 2..4) and duplicate n-gram (n = 5..10) character shares. -1 on OOM.
 * One probe per n-gram; for n > 5 only the n-grams whose (n-1)-gram prefix repeats are
 * counted (dup_share), which finds the same duplicates. */
static int gopher_ngram_rules(const words *ws, sw_quality_result *r, int *tripped) {
    *tripped = 0;
    size_t total = 0, nw = ws->n;
    for (size_t i = 0; i < nw; i++) total += ws->w[i].len;
    table cnt = {0};
    prefix px = {0};
    uint8_t *covered = calloc(nw ? nw : 1, 1);
    slot **at = malloc((nw ? nw : 1) * sizeof *at);
    size_t *cand = malloc((nw ? nw : 1) * sizeof *cand), n_cand = nw;
    if (!covered || !at || !cand || table_init(&cnt, nw) || prefix_init(&px, ws)) {
        free(covered);
        free(at);
        free(cand);
        free(px.pre);
        table_free(&cnt);
        return -1;
    }
    for (size_t i = 0; i < nw; i++) cand[i] = i;
    for (int n = G_TOP_NGRAM_MIN; n <= G_TOP_NGRAM_MAX && !*tripped && (size_t)n <= nw; n++) {
        table_clear(&cnt);
        uint32_t best = 0;
        size_t best_at = 0;
        for (size_t i = 0; i + (size_t)n <= nw; i++) {
            uint32_t c = table_add(&cnt, ngram_hash(&px, i, n), 1);
            if (c > best) best = c, best_at = i;
        }
        double share = best > 1 ? (double)best * (double)ngram_chars(ws, best_at, n) / (double)total : 0;
        if (share > g_top_ngram_max[n - G_TOP_NGRAM_MIN]) *tripped = trip(r, top_rule_names[n - G_TOP_NGRAM_MIN], share);
    }
    for (int n = G_DUP_NGRAM_MIN; n <= G_DUP_NGRAM_MAX && !*tripped && (size_t)n <= nw && n_cand; n++) {
        double share = dup_share(ws, &px, &cnt, at, cand, &n_cand, n, covered, total);
        if (share > g_dup_ngram_max[n - G_DUP_NGRAM_MIN]) *tripped = trip(r, dup_rule_names[n - G_DUP_NGRAM_MIN], share);
    }
    free(covered);
    free(at);
    free(cand);
    free(px.pre);
    table_free(&cnt);
    return 0;
}

/* The text with ASCII letters lower-cased into low (len bytes), eight at a time. */
static void lower_copy(const char *t, size_t len, char *low) {
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, t + i, 8);
        w = lower8(w);
        memcpy(low + i, &w, 8);
    }
    for (; i < len; i++) low[i] = (char)lower((unsigned char)t[i]);
}

/* Every C4 line phrase (javascript, policy_phrases) holds one of these: a document
 * without any has no line that c4_needles would remove. */
static const char *const needle_anchors[] = {"javascript", "cookie", "privacy policy", "terms of use"};

static const char *const policy_phrases[] = {"terms of use", "privacy policy", "cookie policy", "uses cookies",
                                             "use of cookies", "use cookies"};

static int ends_terminal(const char *s, size_t n) {
    if (!n || ends_ellipsis(s, n)) return 0;
    char c = s[n - 1];
    if (c == '.' || c == '!' || c == '?' || c == '"' || c == '\'') return 1;
    /* 。！？」” */
    static const char *const cjk[] = {"\xe3\x80\x82", "\xef\xbc\x81", "\xef\xbc\x9f", "\xe3\x80\x8d", "\xe2\x80\x9d"};
    for (size_t i = 0; i < sizeof cjk / sizeof *cjk; i++)
        if (n >= 3 && memcmp(s + n - 3, cjk[i], 3) == 0) return 1;
    return 0;
}

static size_t count_words_in(const char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_space((unsigned char)s[i]) && (i == 0 || is_space((unsigned char)s[i - 1]))) w++;
    return w;
}

/* 1 when s holds the lower-case ASCII needle at i, ignoring case. */
static int at_needle_ci(const char *s, size_t n, size_t i, const char *needle) {
    size_t k = 0;
    while (needle[k] && i + k < n && lower((unsigned char)s[i + k]) == (unsigned char)needle[k]) k++;
    return needle[k] == 0;
}

#define PAIR(a, b) ((unsigned)(a) << 8 | (unsigned)(b))

/* L_JAVASCRIPT when a line mentions javascript (any case), else L_POLICY when it holds a
 * policy phrase, else -1: one pass, trying a needle only where its first two letters are
 * (byte | 32 equals a lower-case letter exactly when the byte is that letter in either
 * case). The pairs are those of "javascript" and of policy_phrases: keep them together. */
static int c4_needles(const char *s, size_t n) {
    int policy = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i + 1 < n; i++) {
        switch (PAIR(u[i] | 32, u[i + 1] | 32)) {
        case PAIR('j', 'a'):
            if (at_needle_ci(s, n, i, "javascript")) return L_JAVASCRIPT;
            break;
        case PAIR('t', 'e'):
        case PAIR('p', 'r'):
        case PAIR('c', 'o'):
        case PAIR('u', 's'):
            for (size_t k = 0; !policy && k < sizeof policy_phrases / sizeof *policy_phrases; k++)
                policy = at_needle_ci(s, n, i, policy_phrases[k]);
            break;
        default: break;
        }
    }
    return policy ? L_POLICY : -1;
}

/* The C4 rule that removes this (trimmed, non-empty) line, or -1 to keep it; needles: 0
 * when the document holds no needle_anchors (no line phrase can be in the line). */
static int c4_line_rule(const char *s, size_t n, int cjk, int needles) {
    int rule = needles ? c4_needles(s, n) : -1;
    if (rule >= 0) return rule;
    if (!ends_terminal(s, n)) return L_TERMINAL;
    if (!cjk && count_words_in(s, n) < C4_MIN_LINE_WORDS) return L_MIN_WORDS;
    return -1;
}

/* Counts sentence ends (terminal punctuation followed by space or the end). */
static size_t count_sentences(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if ((ch == '.' || ch == '!' || ch == '?') && (i + 1 == n || is_space((unsigned char)s[i + 1]))) c++;
        if ((unsigned char)ch == 0xE3 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x82) c++;
        if ((unsigned char)ch == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBC &&
            ((unsigned char)s[i + 2] == 0x81 || (unsigned char)s[i + 2] == 0x9F)) c++;
    }
    return c;
}

/* C4: keeps the lines no rule removes (blank lines kept as paragraph breaks), then the
 * document rules. -1 on OOM. */
static int c4_rules(const char *t, size_t len, int cjk, sw_quality_result *r, sw_buf *out, int *tripped) {
    *tripped = 0;
    char *low = malloc(len + 1); /* the phrases are searched for once in a lower-cased copy */
    if (!low) return -1;
    lower_copy(t, len, low);
    int lorem = memmem(low, len, "lorem ipsum", 11) != NULL, needles = 0;
    for (size_t i = 0; i < sizeof needle_anchors / sizeof *needle_anchors; i++)
        needles |= memmem(low, len, needle_anchors[i], strlen(needle_anchors[i])) != NULL;
    free(low);
    if (lorem) return *tripped = trip(r, "c4.lorem_ipsum", 1), 0;
    if (memchr(t, '{', len)) return *tripped = trip(r, "c4.curly_brace", 1), 0;
    size_t pos = 0;
    int line_no = 0;
    const char *s;
    size_t n;
    while (sw_next_line(t, len, &pos, &line_no, &s, &n)) {
        const char *ts = s;
        size_t tn = n;
        trim(&ts, &tn);
        if (tn) {
            int rule = c4_line_rule(ts, tn, cjk, needles);
            if (rule >= 0) {
                r->lines_removed[rule]++;
                continue;
            }
        }
        if (!tn && (out->len == 0 || (out->len >= 2 && out->data[out->len - 2] == '\n')))
            continue; /* no runs of blank lines, none at the start */
        if (sw_buf_append(out, ts, tn) || sw_buf_append(out, "\n", 1)) return -1;
    }
    while (out->len && is_space((unsigned char)out->data[out->len - 1])) out->data[--out->len] = 0;
    size_t sentences = count_sentences(out->data ? out->data : "", out->len);
    if (sentences < C4_MIN_SENTENCES) *tripped = trip(r, "c4.min_sentences", (double)sentences);
    return 0;
}

/* Code points of text (for Chinese, whose words are not spaced). */
static size_t count_chars(const char *t, size_t len) {
    size_t c = 0;
    for (size_t i = 0; i < len; i++) c += ((unsigned char)t[i] & 0xC0) != 0x80 && !is_space((unsigned char)t[i]);
    return c;
}

/* The Gopher rules in order (cheapest first). -1 on OOM. */
static int gopher_rules(const char *text, size_t len, int cjk, words *ws, sw_quality_result *r, int *tripped) {
    *tripped = 0;
    if (cjk) {
        size_t c = count_chars(text, len);
        if (c < ZH_MIN_CHARS) return *tripped = trip(r, "gopher.min_chars", (double)c), 0;
    } else {
        if (split_words(text, len, ws)) return -1;
        if ((*tripped = gopher_word_rules(text, len, ws, r))) return 0;
    }
    if (gopher_para_rules(text, len, r, tripped) || *tripped) return *tripped ? 0 : -1;
    if (gopher_line_rules(text, len, r, tripped) || *tripped) return *tripped ? 0 : -1;
    if (!cjk && gopher_ngram_rules(ws, r, tripped)) return -1;
    return 0;
}

int sw_quality_check(const char *text, size_t len, const char *lang, int gopher, int c4,
                     sw_quality_result *r, sw_buf *out, sw_err *err) {
    memset(r, 0, sizeof *r);
    sw_buf_reset(out);
    int cjk = lang && strcmp(lang, "zh") == 0, tripped = 0;
    words ws = {0};
    if (gopher && gopher_rules(text, len, cjk, &ws, r, &tripped)) goto oom;
    free(ws.w);
    ws.w = NULL;
    if (tripped) return 0;
    if (c4) {
        if (c4_rules(text, len, cjk, r, out, &tripped)) goto oom;
    } else if (sw_buf_append(out, text, len)) {
        goto oom;
    }
    return 0;
oom:
    free(ws.w);
    return sw_err_set(err, "quality: out of memory");
}
