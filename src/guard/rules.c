/* rules.c - keyword and phrase libraries by category (data/guard/rules/NAME.rules),
 * normalised like the text and matched together in one Aho-Corasick pass over the match
 * view.
 *
 * A pattern line is a sequence of slots ({a|b|} alternations and literal words). Fully
 * expanding every line would give hundreds of thousands of phrases, so only the leading
 * slots up to the first mandatory one are expanded into automaton keys; each key hit is
 * then extended slot by slot against the text (a short walk over a few alternatives).
 *
 * File format (line based, UTF-8):
 *   # comment
 *   category: prompt_injection      sets the category of the lines that follow
 *   score: 0.9                      sets their score
 *   encodings: rot13 atbash         also match these encodings of the following lines
 *   language: en                    the lines that follow are a word list of one language
 *                                   (en: Latin script, zh: Han script; any: no scope)
 *   ignore {all |}{previous|prior} instructions      a pattern; {a|b|} is an alternation
 *   =0.6 some phrase                a pattern with its own score
 */
#include "guard_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXPANSIONS 4096 /* automaton keys from one line's leading slots */
#define MAX_SLOTS 32
#define ENC_NONE 0
#define ENC_ROT13 1
#define ENC_ATBASH 2
#define LANG_ANY 0   /* phrase libraries: no scope */
#define LANG_LATIN 1 /* a word list of a Latin-script language: whole words only */
#define LANG_HAN 2   /* a Chinese word list: Han entries, not next to Japanese kana */
#define HAN_MIN_CHARS 2 /* one Han character is a morpheme inside many words (性 in 性能) */
#define LATIN_MIN_LETTERS 3 /* "xx", "sm" (from "s&m"): abbreviations and numerals met by chance */
#define RULE_WHERE_MAX 64 /* "file.rules:line" of a rule, cut to this */
#define KANA_WINDOW 4   /* code points looked at on each side of a Chinese match */

typedef struct {
    uint32_t off; /* normalised alternative in r->strings */
    uint16_t len;
} galt;

typedef struct {
    uint32_t first; /* first alternative in r->alts */
    uint16_t n;
    uint8_t empty;     /* one alternative is empty */
    uint8_t alnum;     /* every alternative begins with a letter or digit (or is empty) */
    uint32_t lead[8];  /* a bit per byte that begins an alternative */
} gslot;

typedef struct {
    uint16_t cat;
    uint8_t enc;
    uint8_t lang; /* LANG_*: the scope of a word list's entry */
    float score;
    uint32_t text;  /* where the line is written ("10-injection.rules:12"), in r->strings */
    uint32_t slot0; /* first slot in r->slots */
    uint16_t nslots;
} gline;

typedef struct {
    uint32_t line;
    uint16_t next;   /* first slot still to match after the key */
    uint8_t bl;      /* the key starts with a letter or digit: needs a word boundary */
    uint8_t squeeze; /* a key without spaces, for the squeezed view */
} gkey;

/* Squeezed matches shorter than this are not reported: across word edges short
 * phrases appear by chance ("the rapist"). */
#define MIN_SQUEEZED 16

struct grules {
    gac *ac;    /* keys of ASCII bytes only: a small alphabet, rows stay in L1 */
    gac *ac_u8; /* keys with non-ASCII bytes (CJK): run only on text that has some */
    gline *lines;
    size_t nlines, caplines;
    gslot *slots;
    size_t nslots, capslots;
    galt *alts;
    size_t nalts, capalts;
    gkey *keys;
    size_t nkeys, capkeys;
    char **cats;
    size_t ncats;
    sw_buf strings;
    size_t refused[GRULES_REFUSE_KINDS]; /* word-list entries refused at load, by reason */
};

static const struct { const char *cat, *code, *name; } TAXONOMY[] = {
    {"S1", "A.1", "violent crimes"},       {"S2", "A.1", "non-violent crimes"},
    {"S3", "A.1", "sex-related crimes"},   {"S4", "A.1", "child sexual exploitation"},
    {"S5", "A.4", "defamation"},           {"S6", "A.5", "specialised advice"},
    {"S7", "A.4", "privacy"},              {"S8", "A.3", "intellectual property"},
    {"S9", "A.1", "indiscriminate weapons"}, {"S10", "A.2", "hate"},
    {"S11", "A.4", "suicide and self-harm"}, {"S12", "A.1", "sexual content"},
    {"S13", "A.1", "elections"},           {"S14", "A.1", "code interpreter abuse"},
    {"profanity", "A.1", "obscene language"},
};

const char *grules_tc260(const char *category) {
    for (size_t i = 0; i < sizeof TAXONOMY / sizeof TAXONOMY[0]; i++)
        if (strcmp(TAXONOMY[i].cat, category) == 0) return TAXONOMY[i].code;
    return "";
}

grules *grules_new(void) {
    grules *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->ac = gac_new();
    r->ac_u8 = gac_new();
    if (!r->ac || !r->ac_u8) {
        gac_free(r->ac);
        gac_free(r->ac_u8);
        free(r);
        return NULL;
    }
    return r;
}

void grules_free(grules *r) {
    if (!r) return;
    gac_free(r->ac);
    gac_free(r->ac_u8);
    free(r->lines);
    free(r->slots);
    free(r->alts);
    free(r->keys);
    for (size_t i = 0; i < r->ncats; i++) free(r->cats[i]);
    free(r->cats);
    sw_buf_free(&r->strings);
    free(r);
}

size_t grules_count(const grules *r) { return r->nlines; }
size_t grules_keys(const grules *r) { return r->nkeys; }
size_t grules_states(const grules *r) { return gac_states(r->ac) + gac_states(r->ac_u8); }
size_t grules_refused(const grules *r, int why) {
    return why >= 0 && why < GRULES_REFUSE_KINDS ? r->refused[why] : 0;
}

/* Grows *p (of *cap elements of size sz) to hold one more. */
static int more(void **p, size_t *cap, size_t n, size_t sz) {
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 256;
    void *q = realloc(*p, c * sz);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

int grules_has_category(const grules *r, const char *category) {
    for (size_t i = 0; i < r->ncats; i++)
        if (strcmp(r->cats[i], category) == 0) return 1;
    return 0;
}

static int cat_index(grules *r, const char *name) {
    for (size_t i = 0; i < r->ncats; i++)
        if (strcmp(r->cats[i], name) == 0) return (int)i;
    if (r->ncats >= 65535) return -1;
    char **c = realloc(r->cats, (r->ncats + 1) * sizeof *c);
    if (!c) return -1;
    r->cats = c;
    c[r->ncats] = strdup(name);
    if (!c[r->ncats]) return -1;
    return (int)r->ncats++;
}

static void encode(char *s, size_t n, int enc) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c < 'a' || c > 'z') continue;
        if (enc == ENC_ROT13) s[i] = (char)('a' + (c - 'a' + 13) % 26);
        else if (enc == ENC_ATBASH) s[i] = (char)('z' - (c - 'a'));
    }
}

static int isalnum_ascii(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Two pieces are written with a space between them when both sides are letters or
 * digits; CJK pieces join directly. */
static int needs_space(unsigned char left, unsigned char right) {
    return isalnum_ascii(left) && isalnum_ascii(right);
}

/* Normalises raw[0..n) as the match view would, encodes it, appends it to strings. */
static int add_alt(grules *r, const char *raw, size_t n, int enc) {
    sw_guard_norm nm;
    if (sw_guard_normalize(raw, n, &nm, NULL) < 0) {
        sw_guard_norm_free(&nm);
        return -1;
    }
    int rc = more((void **)&r->alts, &r->capalts, r->nalts, sizeof *r->alts);
    if (rc == 0 && nm.match.len > 0xFFFF) rc = -2;
    if (rc == 0) {
        galt *a = &r->alts[r->nalts++];
        a->off = (uint32_t)r->strings.len;
        a->len = (uint16_t)nm.match.len;
        rc = sw_buf_append(&r->strings, nm.match.s ? nm.match.s : "", nm.match.len);
        if (rc == 0) rc = sw_buf_append(&r->strings, "", 1);
        if (rc == 0) encode(r->strings.data + a->off, a->len, enc);
    }
    sw_guard_norm_free(&nm);
    return rc;
}

/* Sets what begins the alternatives of sl: lead, empty, alnum. */
static void slot_leads(const grules *r, gslot *sl) {
    memset(sl->lead, 0, sizeof sl->lead);
    sl->empty = 0;
    sl->alnum = 1;
    for (uint16_t i = 0; i < sl->n; i++) {
        const galt *a = &r->alts[sl->first + i];
        unsigned char c = a->len ? (unsigned char)r->strings.data[a->off] : 0;
        if (!a->len) sl->empty = 1;
        else sl->lead[c >> 5] |= 1u << (c & 31);
        if (a->len && !isalnum_ascii(c)) sl->alnum = 0;
    }
}

/* Splits a pattern line into slots of normalised alternatives (one line per encoding). */
static int compile_slots(grules *r, const char *p, size_t n, int enc, gline *ln, const char *name, int line,
                         sw_err *err) {
    ln->slot0 = (uint32_t)r->nslots;
    ln->nslots = 0;
    size_t i = 0;
    while (i < n) {
        size_t a = i, b;
        int group = p[i] == '{';
        if (group) {
            b = a + 1;
            while (b < n && p[b] != '}') {
                if (p[b] == '{') return sw_err_set(err, "%s:%d: nested '{' is not supported", name, line);
                b++;
            }
            if (b >= n) return sw_err_set(err, "%s:%d: '{' without '}'", name, line);
        } else {
            b = a;
            while (b < n && p[b] != '{') {
                if (p[b] == '}') return sw_err_set(err, "%s:%d: '}' without '{'", name, line);
                b++;
            }
        }
        /* the slot's alternatives */
        if (more((void **)&r->slots, &r->capslots, r->nslots, sizeof *r->slots) < 0) goto oom;
        gslot *sl = &r->slots[r->nslots];
        sl->first = (uint32_t)r->nalts;
        sl->n = 0;
        size_t from = group ? a + 1 : a, to = b;
        int nonempty = 0;
        for (size_t k = from;; k++) {
            if (k == to || (group && p[k] == '|')) {
                int rc = add_alt(r, p + from, k - from, enc);
                if (rc == -2) return sw_err_set(err, "%s:%d: alternative too long", name, line);
                if (rc < 0) goto oom;
                nonempty |= r->alts[r->nalts - 1].len > 0;
                sl->n++;
                from = k + 1;
                if (k == to) break;
            }
        }
        if (!group && !nonempty) r->nalts -= sl->n; /* spaces between groups: no slot */
        else {
            slot_leads(r, sl);
            if (ln->nslots == MAX_SLOTS) return sw_err_set(err, "%s:%d: more than %d slots", name, line, MAX_SLOTS);
            r->nslots++;
            ln->nslots++;
        }
        i = group ? b + 1 : b;
    }
    if (ln->nslots == 0) return sw_err_set(err, "%s:%d: empty pattern", name, line);
    return 0;
oom:
    return sw_err_set(err, "%s:%d: out of memory", name, line);
}

static int slot_has_empty(const grules *r, const gslot *s) {
    for (uint16_t k = 0; k < s->n; k++)
        if (r->alts[s->first + k].len == 0) return 1;
    return 0;
}

/* 1 when whatever follows a key that ends before slot k of ln begins with a letter or a
 * digit, or nothing does (the line ends): such a key, ending in a letter or digit, can
 * only match where a word ends (extend needs a space or a boundary there). */
static int followed_by_word(const grules *r, const gline *ln, int k) {
    int ok = 1; /* of slot k + 1 onwards, from the last slot back */
    for (int j = ln->nslots - 1; j >= k; j--) {
        const gslot *sl = &r->slots[ln->slot0 + (uint32_t)j];
        ok = sl->alnum && (!sl->empty || ok);
    }
    return ok;
}

/* The automaton flags of key[0..kl) of ln, followed by slot next: it must begin a word
 * when it begins with a letter or digit, and end one when it ends with one and only
 * words or the line's end can follow. */
static uint8_t key_flags(const grules *r, const gline *ln, int next, const char *key, size_t kl) {
    uint8_t f = isalnum_ascii((unsigned char)key[0]) ? GAC_WORD : 0;
    if (isalnum_ascii((unsigned char)key[kl - 1]) && followed_by_word(r, ln, next)) f |= GAC_WORD_END;
    return f;
}

/* Adds automaton keys: every combination of the slots up to the first mandatory one. */
static int add_keys(grules *r, uint32_t li, const char *name, int line, sw_err *err) {
    const gline *ln = &r->lines[li];
    int last = 0;
    while (last < ln->nslots - 1 && slot_has_empty(r, &r->slots[ln->slot0 + last])) last++;
    long combos = 1;
    for (int k = 0; k <= last; k++) combos *= r->slots[ln->slot0 + k].n;
    /* squeezed keys only for lines whose longest phrase can reach MIN_SQUEEZED bytes */
    size_t longest = 0;
    for (int k = 0; k < ln->nslots; k++) {
        const gslot *sl = &r->slots[ln->slot0 + k];
        size_t mx = 0;
        for (uint16_t i = 0; i < sl->n; i++)
            if (r->alts[sl->first + i].len > mx) mx = r->alts[sl->first + i].len;
        longest += mx;
    }
    /* a word of a Latin word list is matched whole, never across word edges */
    int squeezable = longest >= MIN_SQUEEZED && ln->lang != LANG_LATIN;
    if (combos > MAX_EXPANSIONS)
        return sw_err_set(err, "%s:%d: leading slots expand to more than %d keys", name, line, MAX_EXPANSIONS);
    int choice[MAX_SLOTS] = {0};
    for (long c = 0; c < combos; c++) {
        char key[1024];
        size_t kl = 0;
        for (int k = 0; k <= last; k++) {
            const galt *a = &r->alts[r->slots[ln->slot0 + k].first + (uint32_t)choice[k]];
            if (a->len == 0) continue;
            const char *t = r->strings.data + a->off;
            if (kl + a->len + 2 > sizeof key) return sw_err_set(err, "%s:%d: phrase too long", name, line);
            if (kl && needs_space((unsigned char)key[kl - 1], (unsigned char)t[0])) key[kl++] = ' ';
            memcpy(key + kl, t, a->len);
            kl += a->len;
        }
        if (kl) {
            int ascii = 1;
            for (size_t k = 0; k < kl; k++) ascii &= (unsigned char)key[k] < 0x80;
            gac *ac = ascii ? r->ac : r->ac_u8;
            if (more((void **)&r->keys, &r->capkeys, r->nkeys, sizeof *r->keys) < 0 ||
                gac_add(ac, key, kl, (uint32_t)r->nkeys, key_flags(r, ln, last + 1, key, kl)) < 0)
                return sw_err_set(err, "%s:%d: out of memory", name, line);
            r->keys[r->nkeys++] = (gkey){li, (uint16_t)(last + 1), (uint8_t)isalnum_ascii((unsigned char)key[0]), 0};
            /* the same key without spaces, for text split inside words */
            size_t sl = 0;
            for (size_t k = 0; k < kl; k++)
                if (key[k] != ' ') key[sl++] = key[k];
            if (squeezable) { /* a one-word key may begin a phrase split inside its words */
                if (more((void **)&r->keys, &r->capkeys, r->nkeys, sizeof *r->keys) < 0 ||
                    gac_add(ac, key, sl, (uint32_t)r->nkeys, GAC_SET2) < 0)
                    return sw_err_set(err, "%s:%d: out of memory", name, line);
                r->keys[r->nkeys++] = (gkey){li, (uint16_t)(last + 1), 0, 1};
            }
        }
        for (int k = last; k >= 0; k--) {
            if (++choice[k] < r->slots[ln->slot0 + k].n) break;
            choice[k] = 0;
        }
    }
    return 0;
}

static int add_line(grules *r, const char *p, size_t n, int cat, float score, int encs, int lang, uint32_t toff,
                    const char *name, int line, sw_err *err) {
    for (int enc = 0; enc <= ENC_ATBASH; enc++) {
        if (enc && !(encs & (1 << enc))) continue;
        if (more((void **)&r->lines, &r->caplines, r->nlines, sizeof *r->lines) < 0)
            return sw_err_set(err, "%s:%d: out of memory", name, line);
        gline *ln = &r->lines[r->nlines];
        ln->cat = (uint16_t)cat;
        ln->enc = (uint8_t)enc;
        ln->lang = (uint8_t)lang;
        ln->score = score;
        ln->text = toff;
        if (compile_slots(r, p, n, enc, ln, name, line, err) < 0) return -1;
        r->nlines++;
        if (add_keys(r, (uint32_t)(r->nlines - 1), name, line, err) < 0) return -1;
    }
    return 0;
}

static int is_kana(uint32_t c) {
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) || (c >= 0xFF66 && c <= 0xFF9F);
}

/* Why an entry of a word list of language lang is refused (GRULES_REFUSE_*), or -1 when
 * it is kept. A word list holds words of its own script: an entry with a digit would
 * match numbers in any text ("13." in "Room 13"), one without a letter of the script
 * matches punctuation or another script, a single Han character is a morpheme inside
 * many ordinary words, and two Latin letters are an abbreviation or a numeral ("xx"). Pattern syntax ({, |, }) is not part of the words. */
static int refuse_entry(const char *p, size_t n, int lang) {
    size_t latin = 0, han = 0, other = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        int l = sw_utf8_decode((const unsigned char *)p + i, n - i, &c);
        if (l == 0) return GRULES_REFUSE_SCRIPT;
        i += (size_t)l;
        if (c >= '0' && c <= '9') return GRULES_REFUSE_DIGITS;
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') latin++;
        else if (gis_han(c)) han++;
        else if (c >= 0xC0 && c < 0x250 && c != 0xD7 && c != 0xF7) latin++; /* Latin-1 and Extended letters */
        else if (c >= 0x80 && !(c >= 0x3100 && c <= 0x312F)) other++;  /* bopomofo goes with Han */
    }
    if (lang == LANG_LATIN) {
        if (han || other) return GRULES_REFUSE_SCRIPT;
        if (latin == 0) return GRULES_REFUSE_NO_LETTER;
        return latin < LATIN_MIN_LETTERS ? GRULES_REFUSE_SHORT : -1;
    }
    if (han == 0) return latin ? GRULES_REFUSE_SCRIPT : GRULES_REFUSE_NO_LETTER;
    return han < HAN_MIN_CHARS ? GRULES_REFUSE_SHORT : -1;
}

/* Parses the value of a "language:" line into *lang. 0, or -1 when unknown. */
static int parse_language(const char *v, size_t n, int *lang) {
    static const char *LATIN[] = {"en", "de", "fr", "es", "it", "pt", "nl"};
    if (n == 3 && memcmp(v, "any", 3) == 0) *lang = LANG_ANY;
    else if (n == 2 && memcmp(v, "zh", 2) == 0) *lang = LANG_HAN;
    else {
        for (size_t i = 0; i < sizeof LATIN / sizeof LATIN[0]; i++)
            if (n == 2 && memcmp(v, LATIN[i], 2) == 0) {
                *lang = LANG_LATIN;
                return 0;
            }
        return -1;
    }
    return 0;
}

static int valid_cat_name(const char *s, size_t n) {
    if (n == 0 || n >= 32) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static size_t trim(const char **p, size_t n) {
    while (n && (**p == ' ' || **p == '\t')) { (*p)++; n--; }
    while (n && ((*p)[n - 1] == ' ' || (*p)[n - 1] == '\t' || (*p)[n - 1] == '\r')) n--;
    return n;
}

int grules_add_text(grules *r, const char *text, size_t len, const char *name, sw_err *err) {
    int cat = -1, line = 0, encs = 0, lang = LANG_ANY;
    float score = 0.8f;
    size_t i = 0;
    const char *l;
    size_t ll;
    while (sw_next_line(text, len, &i, &line, &l, &ll)) {
        ll = trim(&l, ll);
        if (ll == 0 || l[0] == '#') continue;
        if (ll > 9 && memcmp(l, "category:", 9) == 0) {
            const char *v = l + 9;
            size_t vl = trim(&v, ll - 9);
            if (!valid_cat_name(v, vl)) return sw_err_set(err, "%s:%d: bad category name", name, line);
            char c[32];
            memcpy(c, v, vl);
            c[vl] = 0;
            if ((cat = cat_index(r, c)) < 0) return sw_err_set(err, "%s:%d: out of memory", name, line);
            encs = 0;
            lang = LANG_ANY;
            continue;
        }
        if (ll > 9 && memcmp(l, "language:", 9) == 0) {
            const char *v = l + 9;
            size_t vl = trim(&v, ll - 9);
            if (parse_language(v, vl, &lang) < 0)
                return sw_err_set(err, "%s:%d: unknown language '%.*s' (en, de, fr, es, it, pt, nl, zh or any)", name,
                                  line, (int)(vl > 20 ? 20 : vl), v);
            continue;
        }
        if (ll > 6 && memcmp(l, "score:", 6) == 0) {
            char tmp[32];
            const char *v = l + 6;
            size_t vl = trim(&v, ll - 6);
            if (vl == 0 || vl >= sizeof tmp) return sw_err_set(err, "%s:%d: bad score", name, line);
            memcpy(tmp, v, vl);
            tmp[vl] = 0;
            char *end;
            double d = strtod(tmp, &end);
            if (*end || !(d >= 0 && d <= 1)) return sw_err_set(err, "%s:%d: score must be 0..1", name, line);
            score = (float)d;
            continue;
        }
        if (ll >= 10 && memcmp(l, "encodings:", 10) == 0) {
            encs = 0;
            const char *v = l + 10;
            size_t vl = ll - 10;
            for (size_t k = 0; k < vl;) {
                while (k < vl && v[k] == ' ') k++;
                size_t st = k;
                while (k < vl && v[k] != ' ') k++;
                if (k - st == 5 && memcmp(v + st, "rot13", 5) == 0) encs |= 1 << ENC_ROT13;
                else if (k - st == 6 && memcmp(v + st, "atbash", 6) == 0) encs |= 1 << ENC_ATBASH;
                else if (k > st) return sw_err_set(err, "%s:%d: unknown encoding '%.*s'", name, line, (int)(k - st), v + st);
            }
            continue;
        }
        if (cat < 0) return sw_err_set(err, "%s:%d: pattern before any 'category:' line", name, line);
        float sc = score;
        if (l[0] == '=') {
            char tmp[16];
            size_t k = 1;
            while (k < ll && l[k] != ' ' && k < sizeof tmp) k++;
            if (k >= sizeof tmp || k == 1) return sw_err_set(err, "%s:%d: bad '=score'", name, line);
            memcpy(tmp, l + 1, k - 1);
            tmp[k - 1] = 0;
            char *end;
            double d = strtod(tmp, &end);
            if (*end || !(d >= 0 && d <= 1)) return sw_err_set(err, "%s:%d: score must be 0..1", name, line);
            sc = (float)d;
            l += k;
            ll = trim(&l, ll - k);
            if (ll == 0) return sw_err_set(err, "%s:%d: score without a pattern", name, line);
        }
        int why = lang == LANG_ANY ? -1 : refuse_entry(l, ll, lang);
        if (why >= 0) {
            r->refused[why]++;
            continue;
        }
        /* an explanation names the rule by file and line: a pattern cut to fit is unreadable */
        uint32_t toff = (uint32_t)r->strings.len;
        const char *base = strrchr(name, '/');
        char where[RULE_WHERE_MAX];
        snprintf(where, sizeof where, "%s:%d", base ? base + 1 : name, line);
        if (sw_buf_append(&r->strings, where, strlen(where) + 1) < 0)
            return sw_err_set(err, "%s:%d: out of memory", name, line);
        if (add_line(r, l, ll, cat, sc, encs, lang, toff, name, line, err) < 0) return -1;
    }
    return 0;
}

int grules_build(grules *r, sw_err *err) {
    if (gac_build(r->ac) < 0 || gac_build(r->ac_u8) < 0) return sw_err_set(err, "guard rules: out of memory building the automaton");
    return 0;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

grules *grules_load(const char *dir, sw_err *err) {
    grules *r = grules_new();
    if (!r) {
        sw_err_set(err, "guard rules: out of memory");
        return NULL;
    }
    DIR *d = opendir(dir);
    if (!d) {
        sw_err_set(err, "%s: cannot open the rules directory", dir);
        grules_free(r);
        return NULL;
    }
    char *names[256];
    int nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 256) {
        size_t l = strlen(de->d_name);
        if (l > 6 && strcmp(de->d_name + l - 6, ".rules") == 0) names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof names[0], cmp_names);
    int bad = 0;
    for (int i = 0; i < nn && !bad; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i] ? names[i] : "");
        sw_buf b = {0};
        if (!names[i] || sw_read_file(path, &b, err) < 0 || grules_add_text(r, b.data ? b.data : "", b.len, path, err) < 0)
            bad = 1;
        sw_buf_free(&b);
    }
    for (int i = 0; i < nn; i++) free(names[i]);
    if (!bad && nn == 0) {
        sw_err_set(err, "%s: no *.rules files", dir);
        bad = 1;
    }
    if (bad || grules_build(r, err) < 0) {
        grules_free(r);
        return NULL;
    }
    return r;
}

typedef struct {
    const grules *r;
    const sw_guard_norm *n;
    sw_guard_verdict *v;
    int rc;
    int squeeze; /* scanning the squeezed view */
    grules_hit_fn fn; /* grules_scan_hits: called for each match instead of adding a finding */
    void *ud;
} scan_ctx;

/* Extends through slots k.. in the squeezed view: alternatives compared without their
 * spaces, no boundaries. Returns the end or 0. */
static size_t extend_squeezed(const grules *r, const sw_guard_view *q, const gline *ln, int k, size_t p) {
    if (k == ln->nslots) return p;
    const gslot *sl = &r->slots[ln->slot0 + (uint32_t)k];
    for (uint16_t i = 0; i < sl->n; i++) {
        const galt *a = &r->alts[sl->first + i];
        const char *t = r->strings.data + a->off;
        size_t j = p, ok = 1;
        for (uint16_t c = 0; c < a->len && ok; c++) {
            if (t[c] == ' ') continue;
            ok = j < q->len && q->s[j] == t[c];
            j++;
        }
        if (!ok) continue;
        size_t e = extend_squeezed(r, q, ln, k + 1, j);
        if (e) return e;
    }
    return 0;
}

/* The edge between match-view bytes a and a+1 is a word boundary when either side is
 * outside the text, a space or non-ASCII, or both lie in one joined spaced-out run. */
static int boundary(const sw_guard_norm *n, size_t a) {
    const unsigned char *m = (const unsigned char *)n->match.s;
    size_t b = a + 1;
    if (b >= n->match.len) return 1;
    if (m[a] == ' ' || m[b] == ' ' || m[a] >= 0x80 || m[b] >= 0x80) return 1;
    return n->joined[a] && n->joined[b];
}

/* 1 when byte c begins an alternative of sl. */
static inline int lead(const gslot *sl, unsigned char c) { return (sl->lead[c >> 5] >> (c & 31)) & 1; }

/* Extends a key hit ending at p through slots k.. of line ln; returns the end of the
 * whole match or 0 when the rest does not follow. Alternatives are tried in order. */
static size_t extend(const grules *r, const sw_guard_norm *n, const gline *ln, int k, size_t p) {
    const char *m = n->match.s;
    size_t len = n->match.len;
    if (k == ln->nslots) {
        if (p < len && isalnum_ascii((unsigned char)m[p - 1]) && !boundary(n, p - 1)) return 0;
        return p;
    }
    const gslot *sl = &r->slots[ln->slot0 + (uint32_t)k];
    /* an alternative begins at p, or after a space at p: no byte there begins one */
    if (!sl->empty && !(p < len && (lead(sl, (unsigned char)m[p]) ||
                                    (m[p] == ' ' && p + 1 < len && lead(sl, (unsigned char)m[p + 1])))))
        return 0;
    for (uint16_t i = 0; i < sl->n; i++) {
        const galt *a = &r->alts[sl->first + i];
        if (a->len == 0) {
            size_t e = extend(r, n, ln, k + 1, p);
            if (e) return e;
            continue;
        }
        const char *t = r->strings.data + a->off;
        size_t q = p;
        if (needs_space((unsigned char)m[p - 1], (unsigned char)t[0])) {
            if (q < len && m[q] == ' ') q++;
            else if (!(q < len && n->joined[q - 1] && n->joined[q])) continue;
        } else if (q < len && m[q] == ' ')
            q++; /* CJK next to a word: the space is optional */
        if (q + a->len > len || m[q] != t[0] || memcmp(m + q, t, a->len) != 0) continue; /* the first byte: no call */
        size_t e = extend(r, n, ln, k + 1, q + a->len);
        if (e) return e;
    }
    return 0;
}

/* A strict word edge between match-view bytes a and a+1: not two ASCII letters or digits
 * (letters joined from a spaced-out run are one word here: "c l a s s" holds no "ass"). */
static int word_edge(const sw_guard_norm *n, size_t a) {
    const unsigned char *m = (const unsigned char *)n->match.s;
    return a + 1 >= n->match.len || !(isalnum_ascii(m[a]) && isalnum_ascii(m[a + 1]));
}

/* 1 when a Japanese kana lies within KANA_WINDOW code points before s or after e. */
static int kana_near(const sw_guard_view *v, size_t s, size_t e) {
    const unsigned char *m = (const unsigned char *)v->s;
    size_t i = s;
    for (int k = 0; k < KANA_WINDOW && i > 0; k++) {
        do i--; while (i > 0 && (m[i] & 0xC0) == 0x80);
        uint32_t c;
        if (sw_utf8_decode(m + i, v->len - i, &c) && is_kana(c)) return 1;
    }
    for (int k = 0; k < KANA_WINDOW && e < v->len; k++) {
        uint32_t c;
        int l = sw_utf8_decode(m + e, v->len - e, &c);
        if (l && is_kana(c)) return 1;
        e += l ? (size_t)l : 1;
    }
    return 0;
}

/* Whether a match [s, end) of line ln in the match view lies in its list's scope: a
 * Latin word list's entry is a whole word; a Chinese one is not inside Japanese text. */
static int in_scope(const sw_guard_norm *n, const gline *ln, size_t s, size_t end) {
    if (ln->lang == LANG_LATIN) return (s == 0 || word_edge(n, s - 1)) && word_edge(n, end - 1);
    if (ln->lang == LANG_HAN) return !kana_near(&n->match, s, end);
    return 1;
}

/* Appends the words w[0..n) to out (cap bytes in all), cut at a word edge with "..."
 * when they do not fit. */
static void quote_words(char *out, size_t cap, const char *w, size_t n) {
    size_t o = strlen(out);
    if (o + 4 >= cap) return;
    size_t room = cap - o - 4;
    if (n > room) {
        size_t k = room;
        while (k > 0 && w[k] != ' ') k--;
        if (k == 0) /* one long word: whole characters */
            for (k = room; k > 0 && ((unsigned char)w[k] & 0xC0) == 0x80;) k--;
        memcpy(out + o, w, k);
        memcpy(out + o + k, "...", 4);
        return;
    }
    memcpy(out + o, w, n);
    out[o + n] = 0;
}

/* A key's hit (the automaton reports squeezed keys only in the squeezed view, the others
 * only in the match view, a key marked bl only at a boundary: gac_text with joined). */
static int on_match(uint32_t id, size_t s, size_t e, void *ud) {
    scan_ctx *c = ud;
    const gkey *key = &c->r->keys[id];
    const gline *ln = &c->r->lines[key->line];
    const sw_guard_view *view = c->squeeze ? &c->n->squeeze : &c->n->match;
    size_t end;
    if (c->squeeze) {
        end = extend_squeezed(c->r, view, ln, key->next, e);
        if (!end || end - s < MIN_SQUEEZED) return 0;
        if (ln->lang == LANG_HAN && kana_near(view, s, end)) return 0;
        /* the phrase must begin and end on word edges of the match view: "c4" folded
         * to "ca" must not match the start of "catchy" */
        size_t ms = c->n->sq2m[s], me = c->n->sq2m[end - 1];
        if ((ms > 0 && !boundary(c->n, ms - 1)) || !boundary(c->n, me)) return 0;
    } else {
        end = extend(c->r, c->n, ln, key->next, e);
        if (end && !in_scope(c->n, ln, s, end)) return 0;
    }
    if (!end) return 0;
    size_t os, oe;
    gv_span(view, s, end, &os, &oe);
    if (c->fn) {
        if (c->fn(ln->cat, os, oe, c->ud) < 0) {
            c->rc = -1;
            return 1;
        }
        return 0;
    }
    const char *cat = c->r->cats[ln->cat];
    char why[160];
    static const char *encname[] = {"keyword", "keyword_rot13", "keyword_atbash"};
    if (snprintf(why, sizeof why, "%smatched '", ln->enc ? (ln->enc == ENC_ROT13 ? "rot13: " : "atbash: ") : "") < 0)
        why[0] = 0;
    size_t qs = c->squeeze ? c->n->sq2m[s] : s, qe = c->squeeze ? c->n->sq2m[end - 1] + 1 : end; /* with spaces */
    quote_words(why, sizeof why - RULE_WHERE_MAX - 24, c->n->match.s + qs, qe - qs);
    size_t o = strlen(why);
    snprintf(why + o, sizeof why - o, "' (%s rule %s)", cat, c->r->strings.data + ln->text);
    if (gf_add(c->v, cat, encname[ln->enc], os, oe, ln->score, SW_SRC_RULE, why) < 0) {
        c->rc = -1;
        return 1;
    }
    sw_guard_finding *f = &c->v->findings[c->v->n_findings - 1];
    snprintf(f->tc260, sizeof f->tc260, "%s", grules_tc260(cat));
    return 0;
}

/* 1 when the match view has a non-ASCII byte (tested a word at a time). */
static int has_u8(const sw_guard_norm *n) {
    int u8 = 0;
    for (size_t i = 0; i + 8 <= n->match.len && !u8; i += 8) {
        uint64_t w;
        memcpy(&w, n->match.s + i, 8);
        u8 = (w & 0x8080808080808080ull) != 0;
    }
    for (size_t i = n->match.len & ~(size_t)7; i < n->match.len; i++) u8 |= (unsigned char)n->match.s[i] >= 0x80;
    return u8;
}

/* A walk of view v (the squeezed one when squeeze) by automaton a for context c. */
static gac_text view_text(const gac *a, const sw_guard_norm *n, int squeeze, scan_ctx *c) {
    const sw_guard_view *v = squeeze ? &n->squeeze : &n->match;
    return (gac_text){a, v->s, v->len, on_match, c, squeeze, squeeze ? NULL : n->joined};
}

int grules_scan_hits(const grules *r, const sw_guard_norm *n, int squeezed, grules_hit_fn fn, void *ud) {
    scan_ctx c = {r, n, NULL, 0, 0, fn, ud}, cq = {r, n, NULL, 0, 1, fn, ud};
    int u8 = has_u8(n), sq = squeezed && n->squeeze.len < n->match.len;
    gac_text t[2] = {view_text(r->ac, n, 0, &c), view_text(r->ac, n, 1, &cq)};
    gac_scan_texts(t, sq ? 2 : 1);
    if (u8 && c.rc == 0) gac_scan_texts((gac_text[]){view_text(r->ac_u8, n, 0, &c)}, 1);
    if (sq && u8 && c.rc == 0) gac_scan_texts((gac_text[]){view_text(r->ac_u8, n, 1, &cq)}, 1);
    return c.rc < 0 || cq.rc < 0 ? -1 : 0;
}

size_t grules_categories(const grules *r) { return r->ncats; }
const char *grules_category(const grules *r, size_t i) { return i < r->ncats ? r->cats[i] : ""; }

int grules_scan_with(const grules *r, const sw_guard_norm *n, sw_guard_verdict *v, const grules *x, grules_hit_fn fn,
                     void *ud) {
    scan_ctx c = {r, n, v, 0, 0, NULL, NULL}, cx = {x, n, NULL, 0, 0, fn, ud};
    int u8 = has_u8(n); /* any non-ASCII byte? */
    int sq = n->squeeze.len < n->match.len; /* else the squeezed view is the match view */
    /* the ASCII automata walk the views side by side; the squeezed view's findings are
     * held back and appended after the match view's, in the order of separate passes */
    sw_guard_verdict held = {0};
    scan_ctx cq = {r, n, &held, 0, 1, NULL, NULL};
    gac_text t[GAC_MAX_TEXTS];
    size_t k = 0;
    t[k++] = view_text(r->ac, n, 0, &c);
    if (sq) t[k++] = view_text(r->ac, n, 1, &cq);
    if (x) t[k++] = view_text(x->ac, n, 0, &cx);
    gac_scan_texts(t, k);
    if (u8 && c.rc == 0 && cx.rc == 0) {
        k = 0;
        t[k++] = view_text(r->ac_u8, n, 0, &c);
        if (x) t[k++] = view_text(x->ac_u8, n, 0, &cx);
        gac_scan_texts(t, k);
    }
    if (c.rc == 0 && (cq.rc < 0 || cx.rc < 0)) c.rc = -1;
    for (size_t i = 0; i < held.n_findings && c.rc == 0; i++) {
        const sw_guard_finding *f = &held.findings[i];
        c.rc = gf_add(v, f->category, f->type, f->start, f->end, f->score, f->source, f->explain);
        if (c.rc == 0) memcpy(v->findings[v->n_findings - 1].tc260, f->tc260, sizeof f->tc260);
    }
    if (held.truncated) v->truncated = 1;
    sw_guard_verdict_free(&held);
    if (sq && u8 && c.rc == 0) {
        c.squeeze = 1;
        gac_scan_texts((gac_text[]){view_text(r->ac_u8, n, 1, &c)}, 1);
    }
    return c.rc;
}

int grules_scan(const grules *r, const sw_guard_norm *n, sw_guard_verdict *v) {
    return grules_scan_with(r, n, v, NULL, NULL, NULL);
}
