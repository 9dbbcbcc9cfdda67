/* redteam_translate.c - the red-team translation converters: an English goal translated
 * phrase by phrase into French, German, Spanish or Chinese with a dictionary written for
 * steward (data/redteam/dict/LANG.tsv), and the reader of those dictionaries. */
#include "steward/redteam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DICT_PHRASE_WORDS_MAX 12 /* words of one dictionary phrase */
#define DICT_KEY_MAX 256         /* bytes of one phrase (its words joined by single spaces) */
#define TRANSLATE_TOKENS_MAX 256 /* words and marks of a text translated (longer: not translated) */
#define TRANSLATE_WORD_MAX 48    /* bytes of one word of the text (longer: not translated) */
#define DICT_WHAT_MAX 512
#define DICT_LANG_MAX 8

/* The languages there are dictionaries for: how translated pieces are joined, and whether
 * ASCII punctuation becomes full-width (Chinese). */
static const struct {
    const char *lang, *name, *sep;
    int fullwidth_marks;
} LANGS[] = {
    {"fr", "translate_fr", " ", 0},
    {"de", "translate_de", " ", 0},
    {"es", "translate_es", " ", 0},
    {"zh", "translate_zh", "", 1},
};
#define N_LANGS (sizeof LANGS / sizeof LANGS[0])

/* ASCII marks and their full-width forms (for Chinese). */
static const char MARKS[] = ".,?!:;";
static const char *const FULLWIDTH_MARKS[] = {"\xe3\x80\x82", "\xef\xbc\x8c", "\xef\xbc\x9f",
                                              "\xef\xbc\x81", "\xef\xbc\x9a", "\xef\xbc\x9b"};

typedef struct dict_entry {
    char *key, *value; /* key: lower-case English words joined by single spaces */
    int line;
} dict_entry;

struct sw_redteam_dict {
    dict_entry *e;
    size_t n;
    size_t lang; /* index in LANGS */
};

size_t sw_redteam_translation_count(void) { return N_LANGS; }

const char *sw_redteam_translation_name(size_t i) { return i < N_LANGS ? LANGS[i].name : NULL; }

const char *sw_redteam_translation_lang(const char *name)
{
    for (size_t i = 0; name && i < N_LANGS; i++)
        if (strcmp(LANGS[i].name, name) == 0) return LANGS[i].lang;
    return NULL;
}

void sw_redteam_dict_free(sw_redteam_dict *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) free(d->e[i].key), free(d->e[i].value);
    free(d->e);
    free(d);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const dict_entry *)a)->key, ((const dict_entry *)b)->key);
}

/* Normalises the phrase s[0..n) into key (lower-case ASCII words joined by one space).
 * Returns its word count, or -1 when it is empty, too long, has more than
 * DICT_PHRASE_WORDS_MAX words, or a byte that is not printable ASCII. */
static int make_key(const char *s, size_t n, char key[DICT_KEY_MAX])
{
    size_t k = 0;
    int words = 0, in_word = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\r') { in_word = 0; continue; }
        if (c < 0x21 || c > 0x7e) return -1;
        if (!in_word && words++ > 0) {
            if (k + 1 >= DICT_KEY_MAX) return -1;
            key[k++] = ' ';
        }
        in_word = 1;
        if (k + 1 >= DICT_KEY_MAX) return -1;
        key[k++] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    key[k] = 0;
    return words >= 1 && words <= DICT_PHRASE_WORDS_MAX ? words : -1;
}

/* Adds the line "PHRASE<TAB>TRANSLATION" (line[0..len)) to d. Returns 0, or -1 with err
 * naming where and what is wrong. */
static int add_line(sw_redteam_dict *d, size_t *cap, const char *line, size_t len, const char *where, int line_no,
                    sw_err *err)
{
    const char *tab = memchr(line, '\t', len);
    if (!tab) return sw_err_set(err, "%s: expected ENGLISH<TAB>TRANSLATION", where);
    size_t klen = (size_t)(tab - line), vlen = len - klen - 1;
    const char *v = tab + 1;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' ')) vlen--;
    if (memchr(v, '\t', vlen)) return sw_err_set(err, "%s: more than one TAB", where);
    if (!sw_utf8_valid((const unsigned char *)v, vlen)) return sw_err_set(err, "%s: the translation is not UTF-8", where);
    char key[DICT_KEY_MAX];
    if (make_key(line, klen, key) < 0)
        return sw_err_set(err, "%s: the English phrase must be 1 to %d words of printable ASCII (at most %d bytes)",
                          where, DICT_PHRASE_WORDS_MAX, DICT_KEY_MAX - 1);
    if (d->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        dict_entry *ne = realloc(d->e, nc * sizeof *ne);
        if (!ne) return sw_err_set(err, "%s: out of memory", where);
        d->e = ne, *cap = nc;
    }
    dict_entry *e = &d->e[d->n];
    e->key = strdup(key);
    e->value = malloc(vlen + 1);
    e->line = line_no;
    if (!e->key || !e->value) {
        free(e->key), free(e->value);
        return sw_err_set(err, "%s: out of memory", where);
    }
    memcpy(e->value, v, vlen);
    e->value[vlen] = 0;
    d->n++;
    return 0;
}

sw_redteam_dict *sw_redteam_dict_parse(const char *data, size_t len, const char *what, const char *lang, sw_err *err)
{
    size_t li = 0;
    while (li < N_LANGS && (!lang || strcmp(LANGS[li].lang, lang) != 0)) li++;
    if (li == N_LANGS) return sw_err_set(err, "%s: no translation converter for language '%s'", what, lang ? lang : ""), NULL;
    sw_redteam_dict *d = calloc(1, sizeof *d);
    if (!d) return sw_err_set(err, "%s: out of memory", what), NULL;
    d->lang = li;
    size_t pos = 0, cap = 0, line_len;
    int line_no = 0;
    const char *line;
    while (sw_next_line(data, len, &pos, &line_no, &line, &line_len)) {
        size_t k = 0;
        while (k < line_len && (line[k] == ' ' || line[k] == '\r')) k++;
        if (k == line_len || line[k] == '#') continue;
        char where[DICT_WHAT_MAX];
        snprintf(where, sizeof where, "line %d of %s", line_no, what);
        if (add_line(d, &cap, line, line_len, where, line_no, err) < 0) return sw_redteam_dict_free(d), NULL;
    }
    if (d->n) qsort(d->e, d->n, sizeof *d->e, cmp_entry);
    for (size_t i = 1; i < d->n; i++)
        if (strcmp(d->e[i - 1].key, d->e[i].key) == 0) {
            sw_err_set(err, "%s: '%s' on lines %d and %d", what, d->e[i].key, d->e[i - 1].line < d->e[i].line ? d->e[i - 1].line : d->e[i].line,
                       d->e[i - 1].line < d->e[i].line ? d->e[i].line : d->e[i - 1].line);
            return sw_redteam_dict_free(d), NULL;
        }
    return d;
}

/* The translation of key, or NULL when the dictionary lacks it. */
static const char *lookup(const sw_redteam_dict *d, const char *key)
{
    dict_entry probe = {.key = (char *)key};
    const dict_entry *e = d->n ? bsearch(&probe, d->e, d->n, sizeof *d->e, cmp_entry) : NULL;
    return e ? e->value : NULL;
}

/* A text cut into words (lower case) and marks (one ASCII punctuation byte each). */
typedef struct tokens {
    char word[TRANSLATE_TOKENS_MAX][TRANSLATE_WORD_MAX]; /* "" for a mark */
    char mark[TRANSLATE_TOKENS_MAX];
    size_t n;
} tokens;

static int word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' || c == '-';
}

/* Cuts in[0..len) into tokens. Returns 0, or 1 when it cannot be translated (a byte that
 * is neither ASCII word, white space nor punctuation, e.g. Chinese; too many or too long
 * words), with err naming it. */
static int tokenize(const char *in, size_t len, tokens *t, sw_err *err)
{
    t->n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') { i++; continue; }
        if (t->n == TRANSLATE_TOKENS_MAX) return sw_err_set(err, "more than %d words", TRANSLATE_TOKENS_MAX), 1;
        if (c >= 0x80 || c < 0x20) return sw_err_set(err, "byte 0x%02x is not English text", c), 1;
        if (!word_byte(c)) {
            t->word[t->n][0] = 0, t->mark[t->n++] = (char)c, i++;
            continue;
        }
        size_t k = 0;
        while (i < len && word_byte((unsigned char)in[i])) {
            if (k + 1 >= TRANSLATE_WORD_MAX) return sw_err_set(err, "a word of more than %d bytes", TRANSLATE_WORD_MAX - 1), 1;
            char w = in[i++];
            t->word[t->n][k++] = (char)(w >= 'A' && w <= 'Z' ? w | 0x20 : w);
        }
        t->word[t->n][k] = 0, t->mark[t->n++] = 0;
    }
    return 0;
}

/* Appends one translated piece or mark, with the language's separator before a piece
 * that follows another. Returns 0, or -1 when memory runs out. */
static int put_piece(const sw_redteam_dict *d, sw_buf *out, size_t start, const char *piece, char mark)
{
    if (mark) {
        const char *m = strchr(MARKS, mark);
        if (m && LANGS[d->lang].fullwidth_marks) return sw_buf_puts(out, FULLWIDTH_MARKS[m - MARKS]);
        return sw_buf_append(out, &mark, 1);
    }
    if (!*piece) return 0;
    if (out->len > start && sw_buf_puts(out, LANGS[d->lang].sep) < 0) return -1;
    size_t at = out->len;
    if (sw_buf_puts(out, piece) < 0) return -1;
    if (at == start && out->data[at] >= 'a' && out->data[at] <= 'z') out->data[at] = (char)(out->data[at] & ~0x20);
    return 0;
}

/* Words i .. i+k-1 of t joined by single spaces into key; 0 when they do not fit or a
 * mark is among them. */
static int join_words(const tokens *t, size_t i, size_t k, char key[DICT_KEY_MAX])
{
    size_t n = 0;
    for (size_t j = i; j < i + k; j++) {
        size_t wl = strlen(t->word[j]);
        if (t->mark[j] || n + wl + 2 > DICT_KEY_MAX) return 0;
        if (j > i) key[n++] = ' ';
        memcpy(key + n, t->word[j], wl);
        n += wl;
    }
    key[n] = 0;
    return 1;
}

int sw_redteam_translate(const sw_redteam_dict *d, const char *in, size_t len, sw_buf *out, sw_err *err)
{
    tokens *t = malloc(sizeof *t);
    if (!t) return sw_err_set(err, "redteam: out of memory");
    size_t start = out->len;
    int rc = tokenize(in, len, t, err) ? 0 : 1;
    for (size_t i = 0; rc == 1 && i < t->n;) {
        if (t->mark[i]) {
            rc = put_piece(d, out, start, "", t->mark[i]) < 0 ? -1 : 1, i++;
            continue;
        }
        const char *v = NULL; /* the longest phrase from word i that the dictionary has */
        size_t k = DICT_PHRASE_WORDS_MAX < t->n - i ? DICT_PHRASE_WORDS_MAX : t->n - i;
        char key[DICT_KEY_MAX];
        while (k > 0 && !(join_words(t, i, k, key) && (v = lookup(d, key)))) k--;
        if (!v) {
            rc = 0;
            sw_err_set(err, "'%s' is not in the %s dictionary", t->word[i], LANGS[d->lang].lang);
            break;
        }
        rc = put_piece(d, out, start, v, 0) < 0 ? -1 : 1;
        i += k;
    }
    if (rc == -1) sw_err_set(err, "redteam: out of memory");
    if (rc != 1) out->len = start;
    free(t);
    return rc;
}
