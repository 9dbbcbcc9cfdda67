/* personal.c - personal data beyond patterns: names of people, postal addresses and
 * dates (of birth) in English and Chinese, found from name lists and context words over
 * the original text (capital letters matter for English names). */
#include "guard_int.h"

#include <stdlib.h>
#include <string.h>

#define CTX_BEFORE 40     /* bytes looked at before a candidate for context words */
#define NAME_WORDS 3      /* words of an English name after its first */
#define ZH_GIVEN_MAX 2    /* characters of a Chinese given name */
#define ZH_COMP_MAX 6     /* Han characters of one component of a Chinese address */
#define HAN_BYTES 3       /* UTF-8 bytes of a BMP Han character */

/* Scores: a name with personal context (a title, "my name is", 姓名：) reaches the
 * policy's redaction threshold (0.8); a name met in running text stays under it. */
#define SC_NAME_CONTEXT 0.9
#define SC_NAME_FULL 0.75  /* a listed first name and a surname */
#define SC_NAME_PAIR 0.7   /* a listed first name and a capitalised word, or a word and a listed surname */
#define SC_NAME_ONE 0.6    /* a listed first name alone */
#define SC_NAME_SURNAME 0.55
#define SC_ADDRESS 0.85
#define SC_LOCATION 0.6    /* a Chinese province/city/district chain without a street */
#define SC_DOB 0.9
#define SC_DATE 0.6
#define SC_DATE_WEAK 0.5   /* a weekday, a year after "in" */

typedef struct {
    uint32_t s, e;
    char kind;        /* 'w' word of letters, 'n' digits, 'p' one punctuation byte */
    uint8_t cap, sent; /* begins upper case; first word of a sentence or line */
    uint8_t looked;   /* flags below is known */
    uint32_t flags;   /* GNAME_* of the word in lower case (names and word classes) */
} tok;

typedef struct {
    const gnames *names;
    const char *t;
    size_t n;
    tok *k;
    size_t nk;
    sw_guard_verdict *v;
    uint8_t *taken; /* per token: inside a finding already */
} pctx;

static int up(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int lo(unsigned char c) { return c >= 'a' && c <= 'z'; }
static int dg(unsigned char c) { return c >= '0' && c <= '9'; }

/* A letter of a Latin, Greek or Cyrillic word (not CJK, not punctuation). */
static size_t letter_slow(const char *t, size_t n, size_t i);
static inline size_t letter_at(const char *t, size_t n, size_t i) {
    unsigned char c = (unsigned char)t[i];
    if (up(c) || lo(c)) return 1;
    return c < 0xC0 ? 0 : letter_slow(t, n, i);
}
static size_t letter_slow(const char *t, size_t n, size_t i) {
    uint32_t cp;
    int l = sw_utf8_decode((const unsigned char *)t + i, n - i, &cp);
    return l > 0 && cp >= 0xC0 && cp < 0x530 && cp != 0xD7 && cp != 0xF7 ? (size_t)l : 0;
}

/* Splits t into tokens. Returns the count, or (size_t)-1 on OOM (*out NULL). */
static size_t tokenize(const char *t, size_t n, tok **out) {
    tok *k = malloc((n + 1) * sizeof *k); /* at most one token per byte */
    *out = k;
    if (!k) return (size_t)-1;
    size_t nk = 0, i = 0;
    int sent = 1;
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        size_t l;
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        if (c == '\n') sent = 1;
        tok x = {(uint32_t)i, 0, 'p', 0, 0, 0, 0};
        if ((l = letter_at(t, n, i))) {
            x.kind = 'w';
            x.cap = up(c) || (c == 0xC3 && i + 1 < n && (unsigned char)t[i + 1] < 0x9F); /* À..Þ */
            while (i < n && (l = letter_at(t, n, i))) {
                i += l;
                while (i < n && (up((unsigned char)t[i]) || lo((unsigned char)t[i]))) i++; /* ASCII run */
                /* inner apostrophe or hyphen; "'s" ends the word */
                if (i + 1 < n && (t[i] == '\'' || t[i] == '-') && letter_at(t, n, i + 1) &&
                    !(t[i] == '\'' && (t[i + 1] == 's') && (i + 2 >= n || !letter_at(t, n, i + 2))))
                    i++;
            }
        } else if (dg(c)) {
            x.kind = 'n';
            while (i < n && dg((unsigned char)t[i])) i++;
        } else {
            size_t sl = c < 0x80 ? 1 : (size_t)sw_utf8_seq_len((const unsigned char *)t + i, n - i);
            i += sl ? sl : 1;
        }
        x.e = (uint32_t)i;
        if (x.kind == 'w') x.sent = (uint8_t)sent;
        if (x.kind != 'p' || (c != '"' && c != '(' && c != '>' && c != '*')) sent = x.kind == 'p' && (c == '.' || c == '!' || c == '?' || c == ':' || c == '\n');
        k[nk++] = x;
    }
    return nk;
}

/* 1 when t[s..e) equals (ASCII case-insensitively) one of the NUL-separated words. */
static int in_list(const char *t, size_t s, size_t e, const char *list) {
    for (const char *w = list; *w; w += strlen(w) + 1)
        if (strlen(w) == e - s && strncasecmp(t + s, w, e - s) == 0) return 1;
    return 0;
}

/* 1 when one of the NUL-separated phrases occurs (case-insensitively) in the CTX_BEFORE
 * bytes before s. */
static int ctx_before(const char *t, size_t s, const char *list) {
    size_t from = s > CTX_BEFORE ? s - CTX_BEFORE : 0;
    char win[CTX_BEFORE + 1];
    for (size_t i = from; i < s; i++) win[i - from] = (char)(up((unsigned char)t[i]) ? t[i] + 32 : t[i]);
    win[s - from] = 0;
    for (const char *w = list; *w; w += strlen(w) + 1)
        if (strstr(win, w)) return 1;
    return 0;
}

/* 1 when the text right before s ends with one of the phrases (after spaces). */
static int ends_with(const char *t, size_t s, const char *list) {
    while (s > 0 && (t[s - 1] == ' ' || t[s - 1] == '\t')) s--;
    for (const char *w = list; *w; w += strlen(w) + 1) {
        size_t l = strlen(w);
        if (l <= s && strncasecmp(t + s - l, w, l) == 0 && (l == s || !letter_at(t, s, s - l - 1) || (unsigned char)*w >= 0x80))
            return 1;
    }
    return 0;
}

/* The GNAME_* flags of word token k: listed names and word classes, one lookup per
 * token (cached). 0 for a non-word. */
static uint32_t wflags(const pctx *c, size_t k) {
    tok *x = &c->k[k];
    if (x->looked) return x->flags;
    x->looked = 1;
    char w[GNAMES_MAX_ENTRY];
    size_t l = x->e - x->s;
    if (x->kind != 'w' || l > GNAMES_MAX_ENTRY) return 0;
    for (size_t i = 0; i < l; i++) w[i] = (char)(up((unsigned char)c->t[x->s + i]) ? c->t[x->s + i] + 32 : c->t[x->s + i]);
    return x->flags = gnames_lookup(c->names, w, l);
}
#define name_flags(c, x) wflags(c, (size_t)((x) - (c)->k))

static int emit(pctx *c, const char *type, size_t s, size_t e, double score, const char *why) {
    return gf_add(c->v, "pii", type, s, e, score, SW_SRC_PII, why);
}

/* ---- English names ---- */
static const char TITLES[] = "mr\0mrs\0ms\0miss\0dr\0prof\0sir\0madam\0mister\0mx\0";
/* Capitalised words that are not names: they end a name. */
static const char NOT_NAME[] =
    "the\0and\0or\0of\0in\0on\0at\0to\0for\0with\0from\0by\0is\0was\0i\0a\0an\0my\0your\0his\0her\0our\0"
    "this\0that\0it\0he\0she\0we\0they\0you\0but\0if\0so\0not\0no\0yes\0hi\0hello\0dear\0thanks\0"
    "street\0st\0avenue\0ave\0road\0rd\0lane\0ln\0drive\0boulevard\0blvd\0court\0ct\0place\0pl\0"
    "terrace\0way\0square\0sq\0crescent\0parkway\0highway\0hwy\0circle\0trail\0alley\0close\0mall\0"
    "university\0college\0school\0company\0inc\0ltd\0llc\0corp\0bank\0hospital\0city\0county\0"
    "january\0february\0march\0april\0may\0june\0july\0august\0september\0october\0november\0december\0"
    "monday\0tuesday\0wednesday\0thursday\0friday\0saturday\0sunday\0";
static const char STREET[] = "street\0st\0avenue\0ave\0road\0rd\0lane\0ln\0drive\0dr\0boulevard\0blvd\0court\0ct\0"
                             "place\0pl\0terrace\0way\0square\0sq\0crescent\0parkway\0pkwy\0highway\0hwy\0"
                             "circle\0cir\0trail\0alley\0close\0mall\0row\0walk\0gardens\0grove\0heights\0";
static const char NAME_CTX[] = "my name is\0name is\0i'm\0i am\0dear\0name:\0call me\0calls me\0named\0signed\0"
                               "regards,\0sincerely,\0patient\0customer\0account holder\0";

/* The last words of the NAME_CTX phrases: a cheap test before ends_with. */
static const char NAME_CTX_END[] = "is\0i'm\0am\0dear\0name\0me\0named\0signed\0regards\0sincerely\0patient\0"
                                   "customer\0holder\0";
static int ctx_word_before(const pctx *c, size_t i) {
    if (i > 1 && c->k[i - 1].kind == 'p' && (c->t[c->k[i - 1].s] == ':' || c->t[c->k[i - 1].s] == ',')) i--;
    return i > 0 && (wflags(c, i - 1) & GNAME_CTX_END);
}

/* Words of a name from token j on: capitalised words (not NOT_NAME) and initials, on one
 * line, one space apart. Returns the index past the last, j when none. */
static size_t name_run(const pctx *c, size_t j, size_t max) {
    size_t k = j, words = 0;
    while (k < c->nk && words < max) {
        const tok *x = &c->k[k];
        if (k > j && (x->s - c->k[k - 1].e > 2 || memchr(c->t + c->k[k - 1].e, '\n', x->s - c->k[k - 1].e))) break;
        if (x->kind != 'w' || !x->cap || c->taken[k] || (wflags(c, k) & GNAME_NOT_NAME)) break;
        size_t l = x->e - x->s;
        if (l > 1) { /* an all-capitals word is a heading or an acronym */
            int all = 1;
            for (size_t i = x->s; i < x->e; i++) all &= !lo((unsigned char)c->t[i]);
            if (all) break;
        }
        k++;
        words++;
        if (l == 1 && k < c->nk && c->t[c->k[k].s] == '.' && c->k[k].kind == 'p') k++; /* "C." */
    }
    while (k > j && c->k[k - 1].kind == 'p') k--;
    if (k > j && c->k[k - 1].e - c->k[k - 1].s == 1 && k - 1 > j) k--; /* a name does not end on an initial */
    return k;
}

/* The street suffix right after token k (a name followed by "Street" is a street). */
static int street_next(const pctx *c, size_t k) {
    return k < c->nk && (wflags(c, k) & GNAME_STREET);
}

static int names_en(pctx *c) {
    for (size_t i = 0; i < c->nk; i++) {
        const tok *x = &c->k[i];
        if (x->kind != 'w' || !x->cap || c->taken[i]) continue;
        double sc = 0;
        size_t a = i, b = i;
        const char *why = NULL;
        if (wflags(c, i) & GNAME_TITLE) { /* Mr. Smith, Dr Jane Doe */
            a = i + 1 + (i + 1 < c->nk && c->t[c->k[i + 1].s] == '.');
            b = name_run(c, a, NAME_WORDS);
            sc = SC_NAME_CONTEXT;
            why = "a title before capitalised words";
        } else if (ctx_word_before(c, i) && ends_with(c->t, x->s, NAME_CTX)) {
            b = name_run(c, i, NAME_WORDS);
            sc = SC_NAME_CONTEXT;
            why = "capitalised words after a naming phrase";
        } else {
            uint32_t f = name_flags(c, x);
            if (f & GNAME_FIRST) {
                b = name_run(c, i + 1, NAME_WORDS);
                if (b > i + 1) {
                    sc = name_flags(c, &c->k[b - 1]) & GNAME_LAST ? SC_NAME_FULL : SC_NAME_PAIR;
                    why = "a listed first name and a family name";
                } else if (!(f & GNAME_AMBIG)) {
                    sc = SC_NAME_ONE;
                    why = "a listed first name";
                }
            } else if (i + 1 < c->nk && c->k[i + 1].kind == 'w' && c->k[i + 1].cap && c->k[i + 1].s - x->e == 1 &&
                       (name_flags(c, &c->k[i + 1]) & GNAME_LAST) && !(name_flags(c, &c->k[i + 1]) & GNAME_AMBIG) &&
                       !(wflags(c, i) & GNAME_NOT_NAME) && !x->sent) {
                b = i + 2;
                sc = SC_NAME_PAIR;
                why = "a capitalised word and a listed surname";
            } else if ((f & GNAME_LAST) && !(f & GNAME_AMBIG) && !x->sent) {
                b = i + 1;
                sc = SC_NAME_SURNAME;
                why = "a listed surname";
            }
            if (b == i) b = sc > 0 ? i + 1 : i;
        }
        if (sc <= 0 || b <= a || street_next(c, b)) continue;
        if (emit(c, "PERSON", c->k[a].s, c->k[b - 1].e, sc, why) < 0) return -1;
        for (size_t k = a; k < b; k++) c->taken[k] = 1;
        i = b - 1;
    }
    return 0;
}

/* ---- Chinese names: a listed surname, a one- or two-character given name, context ---- */
static const char ZH_BEFORE[] = "我叫\0我是\0名叫\0叫做\0姓名：\0姓名:\0姓名\0名字是\0联系人：\0联系人\0收件人：\0收件人\0"
                                "收货人：\0收货人\0患者\0客户\0本人\0持卡人\0申请人\0";
static const char ZH_AFTER[] = "先生\0女士\0小姐\0同学\0老师\0医生\0经理\0教授\0主任\0的电话\0的手机\0的地址\0"
                               "的身份证\0的邮箱\0出生于\0住在\0";
/* Characters that end a given name (grammar words, not names). */
static const char ZH_STOP[] = "的是在和今年说住出生了来去也都就把被给与及先女小同老医经教主总岁号，。、；：！？（）";

/* Common two-character words that begin with a listed surname: before a title they are the
 * word, not a surname with a one-character given name ("他想成为老师": become a teacher). */
static const char ZH_NOT_NAMES[] = "成为\0关于\0高于\0于是\0马上\0方便\0关心\0成功\0向往\0高兴\0";

static int is_han_at(const char *t, size_t n, size_t i) {
    uint32_t cp;
    int l = i < n ? sw_utf8_decode((const unsigned char *)t + i, n - i, &cp) : 0;
    return l == HAN_BYTES && gis_han(cp);
}

static int zh_stop(const char *t, size_t i) {
    for (const char *p = ZH_STOP; *p; p += HAN_BYTES)
        if (memcmp(p, t + i, HAN_BYTES) == 0) return 1;
    return 0;
}

static int starts_with_any(const char *t, size_t n, size_t i, const char *list) {
    for (const char *w = list; *w; w += strlen(w) + 1)
        if (strlen(w) <= n - i && memcmp(t + i, w, strlen(w)) == 0) return 1;
    return 0;
}

static int names_zh(pctx *c) {
    const char *t = c->t;
    size_t n = c->n;
    for (size_t i = 0; i + HAN_BYTES <= n;) {
        if (!is_han_at(t, n, i)) {
            i++;
            continue;
        }
        size_t sl = 0;
        if (is_han_at(t, n, i + HAN_BYTES) && (gnames_lookup(c->names, t + i, 2 * HAN_BYTES) & GNAME_ZH_SURNAME)) sl = 2 * HAN_BYTES;
        else if (gnames_lookup(c->names, t + i, HAN_BYTES) & GNAME_ZH_SURNAME) sl = HAN_BYTES;
        int before = sl && ends_with(t, i, ZH_BEFORE);
        size_t g = i + sl, ge = g;
        while (sl && ge - g < ZH_GIVEN_MAX * HAN_BYTES && is_han_at(t, n, ge) && !zh_stop(t, ge) &&
               !starts_with_any(t, n, ge, ZH_AFTER))
            ge += HAN_BYTES;
        int after = sl && ge > g && starts_with_any(t, n, ge, ZH_AFTER);
        int word = sl == HAN_BYTES && ge - g == HAN_BYTES && starts_with_any(t, n, i, ZH_NOT_NAMES);
        if (!sl || ge == g || !(before || after) || word) {
            i += HAN_BYTES;
            continue;
        }
        if (emit(c, "PERSON", i, ge, SC_NAME_CONTEXT, before ? "a listed surname after a naming phrase"
                                                               : "a listed surname before a title or a personal noun") < 0)
            return -1;
        i = ge;
    }
    return 0;
}

/* ---- English addresses: "42 Baker Street", "221B", "29 Rue de Tanger", "P.O. Box 149" ---- */
static const char STREET_FIRST[] = "rue\0rua\0av\0avenida\0calle\0via\0viale\0strada\0avenue\0";
static const char UNIT[] = "apt\0apartment\0suite\0ste\0unit\0room\0floor\0fl\0";
static const char ADDR_CTX[] = "address\0live at\0lives at\0live on\0lives on\0located at\0ship to\0deliver to\0"
                               "send to\0send it to\0mail to\0reside at\0resides at\0";

/* Tokens on one line within two bytes of each other. */
static int near(const pctx *c, size_t k) {
    return c->k[k].s - c->k[k - 1].e <= 2 && !memchr(c->t + c->k[k - 1].e, '\n', c->k[k].s - c->k[k - 1].e);
}

/* After a street at token k: ", Apt. 5", "Suite 578". Returns the index past it. */
static size_t unit_after(const pctx *c, size_t k) {
    size_t j = k;
    if (j < c->nk && c->k[j].kind == 'p' && c->t[c->k[j].s] == ',') j++;
    if (j < c->nk && (wflags(c, j) & GNAME_UNIT)) {
        j++;
        if (j < c->nk && c->k[j].kind == 'p' && (c->t[c->k[j].s] == '.' || c->t[c->k[j].s] == '#')) j++;
        if (j < c->nk && c->k[j].kind == 'n') return j + 1;
    }
    return k;
}

static int addresses_en(pctx *c) {
    for (size_t i = 0; i < c->nk; i++) {
        if (c->k[i].kind != 'n' || c->taken[i] || c->k[i].e - c->k[i].s > 6) continue;
        size_t j = i + 1, end = 0;
        if (j < c->nk && c->k[j].kind == 'n' && near(c, j)) j++; /* "0896 69 Farnell Street" */
        if (j < c->nk && near(c, j) && (wflags(c, j) & GNAME_STREET_FIRST)) {
            size_t k = j + 1; /* Rue de Tanger: a few words of any case */
            while (k < c->nk && k < j + 5 && c->k[k].kind == 'w' && near(c, k)) k++;
            if (k > j + 1) end = k;
        } else {
            size_t k = j;
            while (k < c->nk && k < j + 4 && c->k[k].kind == 'w' && c->k[k].cap && near(c, k) &&
                   !(wflags(c, k) & GNAME_STREET))
                k++;
            if (k > j && k < c->nk && near(c, k) && (wflags(c, k) & GNAME_STREET))
                end = k + 1 + (k + 1 < c->nk && c->t[c->k[k + 1].s] == '.' && c->k[k].e - c->k[k].s <= 4);
        }
        if (!end) continue;
        if (c->k[end - 1].kind == 'p') end--;
        end = unit_after(c, end);
        double sc = SC_ADDRESS + (ctx_before(c->t, c->k[i].s, ADDR_CTX) ? 0.1 : 0);
        if (emit(c, "ADDRESS", c->k[i].s, c->k[end - 1].e, sc, "a house number, street words and a street type") < 0)
            return -1;
        for (size_t k = i; k < end; k++) c->taken[k] = 1;
        i = end - 1;
    }
    /* P.O. Box 149, PO Box 149 */
    for (size_t i = 0; i + 1 < c->nk; i++) {
        if (c->k[i].kind != 'w' || !in_list(c->t, c->k[i].s, c->k[i].e, "box\0")) continue;
        if (c->k[i + 1].kind != 'n' || !near(c, i + 1) || i == 0) continue;
        size_t a = i - 1;
        while (a > 0 && (c->k[a].kind == 'p' || (c->k[a].kind == 'w' && c->k[a].e - c->k[a].s <= 2)) && i - a < 4) a--;
        if (!(c->k[a].kind == 'w' && (c->t[c->k[a].s] | 0x20) == 'p')) a++;
        if (a >= i || (c->t[c->k[a].s] | 0x20) != 'p') continue;
        if (emit(c, "ADDRESS", c->k[a].s, c->k[i + 1].e, SC_ADDRESS, "a post-office box") < 0) return -1;
    }
    return 0;
}

/* ---- Chinese addresses: 北京市海淀区中关村大街27号 ---- */
/* Component suffixes by level; a chain's levels rise (rooms and floors may repeat). */
static const struct { const char *suf; int level; } ZH_SUF[] = {
    {"自治区", 1}, {"省", 1}, {"自治州", 2}, {"市", 2}, {"盟", 2}, {"区", 3}, {"县", 3}, {"旗", 3},
    {"街道", 4}, {"镇", 4}, {"乡", 4}, {"大街", 5}, {"大道", 5}, {"胡同", 5}, {"路", 5}, {"街", 5},
    {"巷", 5}, {"弄", 5}, {"村", 5},
};
#define ZH_LEVEL_STREET 5
static const struct { const char *suf; int level; } ZH_NUM[] = {
    {"号楼", 7}, {"号院", 6}, {"号", 6}, {"栋", 7}, {"幢", 7}, {"单元", 8}, {"层", 9}, {"楼", 9}, {"室", 10},
};
/* Characters that never begin an address (a verb or preposition before it). */
static const char ZH_NOT_FIRST[] = "在住于到是我的从往寄位址：:";
static const char ZH_ADDR_CTX[] = "地址\0住址\0住在\0寄到\0收货\0位于\0";

/* One component at i: Han characters ending in a suffix of a level above last, or digits
 * with a numbered suffix. Returns its end (and *level), or i. */
static size_t zh_component(const char *t, size_t n, size_t i, int last, int *level) {
    if (i < n && dg((unsigned char)t[i])) {
        size_t j = i;
        while (j < n && (dg((unsigned char)t[j]) || t[j] == '-')) j++;
        for (size_t k = 0; k < sizeof ZH_NUM / sizeof ZH_NUM[0]; k++) {
            size_t l = strlen(ZH_NUM[k].suf);
            if (l <= n - j && memcmp(t + j, ZH_NUM[k].suf, l) == 0 && (ZH_NUM[k].level > last || ZH_NUM[k].level >= 7)) {
                *level = ZH_NUM[k].level;
                return j + l;
            }
        }
        return i;
    }
    /* divisions end at their first suffix (北京市|海淀区); a street at its last one
     * (中关村大街, not 中关村|大街) */
    size_t best = i;
    for (size_t j = i + HAN_BYTES, m = 1; m <= ZH_COMP_MAX && is_han_at(t, n, j - HAN_BYTES); j += HAN_BYTES, m++)
        for (size_t k = 0; k < sizeof ZH_SUF / sizeof ZH_SUF[0]; k++) {
            size_t l = strlen(ZH_SUF[k].suf);
            if (m < 2 || l >= j - i || memcmp(t + j - l, ZH_SUF[k].suf, l) != 0 || ZH_SUF[k].level <= last) continue;
            if (ZH_SUF[k].level < ZH_LEVEL_STREET - 1) {
                if (best == i) *level = ZH_SUF[k].level;
                return best == i ? j : best;
            }
            *level = ZH_SUF[k].level;
            best = j;
            break;
        }
    return best;
}

static int addresses_zh(pctx *c) {
    const char *t = c->t;
    size_t n = c->n;
    for (size_t i = 0; i < n;) {
        if (!is_han_at(t, n, i)) {
            i++;
            continue;
        }
        int first_bad = 0;
        for (const char *p = ZH_NOT_FIRST; *p;) {
            int l = sw_utf8_seq_len((const unsigned char *)p, strlen(p));
            if (l == HAN_BYTES && memcmp(p, t + i, HAN_BYTES) == 0) first_bad = 1;
            p += l > 0 ? l : 1;
        }
        int last = 0, parts = 0, street = 0, lv = 0;
        size_t e = i;
        for (size_t k; !first_bad && (k = zh_component(t, n, e, last, &lv)) > e; e = k) {
            parts++;
            street |= lv >= ZH_LEVEL_STREET;
            last = lv;
        }
        if (parts < 2) {
            i += HAN_BYTES;
            continue;
        }
        double bonus = ends_with(t, i, ZH_ADDR_CTX) || ctx_before(t, i, ZH_ADDR_CTX) ? 0.05 : 0;
        int rc = street ? emit(c, "ADDRESS", i, e, SC_ADDRESS + bonus, "administrative divisions and a street or number")
                        : emit(c, "LOCATION", i, e, SC_LOCATION, "a chain of administrative divisions");
        if (rc < 0) return -1;
        i = e;
    }
    return 0;
}

/* ---- dates: a date near "born", "DOB", 出生 is a date of birth ---- */
static const char MONTHS[] = "january\0february\0march\0april\0may\0june\0july\0august\0september\0october\0"
                             "november\0december\0jan\0feb\0mar\0apr\0jun\0jul\0aug\0sep\0sept\0oct\0nov\0dec\0";
static const char WEEKDAYS[] = "monday\0tuesday\0wednesday\0thursday\0friday\0saturday\0sunday\0";
static const char YEAR_CTX[] = "in\0since\0of\0year\0until\0from\0by\0founded\0born\0circa\0";
static const char DOB_CTX[] = "born\0birth\0dob\0d.o.b\0出生\0生日\0生于\0"; /* birth: birthday, date of birth */

static int num(const pctx *c, size_t k) {
    int v = 0;
    for (size_t i = c->k[k].s; i < c->k[k].e && v < 100000; i++) v = v * 10 + (c->t[i] - '0');
    return v;
}
static int ndig(const pctx *c, size_t k) { return (int)(c->k[k].e - c->k[k].s); }
static int is_p(const pctx *c, size_t k, char ch) {
    return k < c->nk && c->k[k].kind == 'p' && c->t[c->k[k].s] == ch && c->k[k].s == c->k[k - 1].e;
}
static int is_n(const pctx *c, size_t k) { return k < c->nk && c->k[k].kind == 'n' && c->k[k].s == c->k[k - 1].e; }
static int month_at(const pctx *c, size_t k) {
    return k < c->nk && c->k[k].cap && (wflags(c, k) & GNAME_MONTH);
}
static int valid_dmy(int d, int m, int y) { return d >= 1 && d <= 31 && m >= 1 && m <= 12 && y >= 0; }

/* A numeric date at token i (12/05/1980, 1980-05-12, 12.05.1980, 7/5/81); returns the
 * index past it or i. Both d/m and m/d readings are accepted. */
static size_t numeric_date(const pctx *c, size_t i) {
    if (!is_n(c, i + 2) || c->k[i + 1].kind != 'p') return i;
    char sep = c->t[c->k[i + 1].s];
    if ((sep != '/' && sep != '-' && sep != '.') || !is_p(c, i + 3, sep) || !is_n(c, i + 4) ||
        c->k[i + 1].s != c->k[i].e)
        return i;
    if (i + 5 < c->nk && c->k[i + 5].s == c->k[i + 4].e && (c->k[i + 5].kind == 'n' || is_p(c, i + 5, sep)))
        return i; /* more parts: a version or an address */
    int a = num(c, i), b = num(c, i + 2), y = num(c, i + 4);
    if (ndig(c, i) == 4) return valid_dmy(y, b, a) && ndig(c, i + 2) <= 2 && ndig(c, i + 4) <= 2 ? i + 5 : i;
    if (ndig(c, i + 4) != 4 && !(ndig(c, i + 4) == 2 && sep == '/')) return i;
    if (ndig(c, i) > 2 || ndig(c, i + 2) > 2) return i;
    return valid_dmy(a, b, y) || valid_dmy(b, a, y) ? i + 5 : i;
}

/* "May 12, 1980", "May 12th", "12 May 1980", "May 1980"; returns the index past it or i. */
static size_t worded_date(const pctx *c, size_t i) {
    size_t k = i;
    int day = 0;
    if (c->k[k].kind == 'n' && ndig(c, k) <= 2 && num(c, k) >= 1 && num(c, k) <= 31) { /* 12 May 1980 */
        day = 1;
        k++;
        if (k < c->nk && (wflags(c, k) & GNAME_ORDINAL)) k++;
        if (k < c->nk && c->k[k].kind == 'w' && in_list(c->t, c->k[k].s, c->k[k].e, "of\0")) k++;
    }
    if (!month_at(c, k)) return i;
    size_t e = ++k;
    if (k < c->nk && c->k[k].kind == 'p' && c->t[c->k[k].s] == '.') e = ++k;
    if (!day && k < c->nk && c->k[k].kind == 'n' && ndig(c, k) <= 2 && num(c, k) >= 1 && num(c, k) <= 31) { /* May 12 */
        day = 1;
        e = ++k;
        if (k < c->nk && (wflags(c, k) & GNAME_ORDINAL)) e = ++k;
        if (k < c->nk && c->k[k].kind == 'p' && c->t[c->k[k].s] == ',') k++;
    }
    if (k < c->nk && c->k[k].kind == 'n' && ndig(c, k) == 4) return k + 1;
    return day ? e : i; /* "May" alone is a month or a name, not a date */
}

/* 1990年5月12日, 1990年5月, 5月12日 (日 or 号). Returns the end byte or i. */
static size_t zh_date(const char *t, size_t n, size_t i) {
    size_t j = i, parts = 0;
    static const char *UNITS[] = {"年", "月", "日", "号"};
    int next = 0;
    while (j < n && dg((unsigned char)t[j])) {
        size_t d = j;
        while (j < n && dg((unsigned char)t[j])) j++;
        int u = -1;
        for (int k = next; k < 4 && u < 0; k++)
            if (j + HAN_BYTES <= n && memcmp(t + j, UNITS[k], HAN_BYTES) == 0) u = k;
        if (u < 0 || (u == 0 && j - d != 4) || (u > 0 && j - d > 2)) {
            j = d;
            break;
        }
        j += HAN_BYTES;
        parts++;
        next = u == 0 ? 1 : 2;
        if (u >= 2) break;
    }
    return parts >= 2 ? j : i;
}

static int dates(pctx *c) {
    for (size_t i = 0; i < c->nk; i++) {
        if (c->taken[i]) continue;
        const tok *x = &c->k[i];
        size_t e = i;
        size_t ze = 0;
        if (x->kind == 'n') {
            e = numeric_date(c, i);
            if (e == i) e = worded_date(c, i);
            if (e == i && (ze = zh_date(c->t, c->n, x->s)) > x->s) e = i + 1;
        } else if (x->kind == 'w' && x->cap) {
            e = worded_date(c, i);
            if (e == i && (wflags(c, i) & GNAME_WEEKDAY)) {
                if (emit(c, "DATE_TIME", x->s, x->e, SC_DATE_WEAK, "a day of the week") < 0) return -1;
                continue;
            }
        }
        if (e == i && x->kind == 'n' && ndig(c, i) == 4 && num(c, i) >= 1900 && num(c, i) <= 2099 && i > 0 &&
            (wflags(c, i - 1) & GNAME_YEAR_CTX) &&
            !(i + 1 < c->nk && c->k[i + 1].s == x->e && c->k[i + 1].kind != 'p')) {
            if (emit(c, "DATE_TIME", x->s, x->e, SC_DATE_WEAK, "a year after a preposition") < 0) return -1;
            continue;
        }
        if (e == i) continue;
        size_t end = ze > x->s ? ze : c->k[e - 1].e;
        int dob = ctx_before(c->t, x->s, DOB_CTX);
        if (emit(c, dob ? "DATE_OF_BIRTH" : "DATE_TIME", x->s, end, dob ? SC_DOB : SC_DATE,
                 dob ? "a date after a word of birth" : "a day, month and year") < 0)
            return -1;
        for (size_t k = i; k < e; k++) c->taken[k] = 1;
        while (e < c->nk && c->k[e].s < end) e++;
        i = e - 1;
    }
    return 0;
}

int gpersonal_words(gnames *t) {
    static const struct { const char *list; uint32_t flag; } CLASSES[] = {
        {TITLES, GNAME_TITLE},   {NOT_NAME, GNAME_NOT_NAME}, {STREET, GNAME_STREET}, {STREET_FIRST, GNAME_STREET_FIRST},
        {UNIT, GNAME_UNIT},      {MONTHS, GNAME_MONTH},      {WEEKDAYS, GNAME_WEEKDAY}, {YEAR_CTX, GNAME_YEAR_CTX},
        {"st\0nd\0rd\0th\0", GNAME_ORDINAL}, {NAME_CTX_END, GNAME_CTX_END},
    };
    for (size_t i = 0; i < sizeof CLASSES / sizeof CLASSES[0]; i++)
        if (gnames_add_words(t, CLASSES[i].list, CLASSES[i].flag) < 0) return -1;
    return 0;
}

int gpersonal_scan(const gnames *names, const char *text, size_t len, sw_guard_verdict *v) {
    pctx c = {names, text, len, NULL, 0, v, NULL};
    size_t nk = tokenize(text, len, &c.k);
    if (nk == (size_t)-1) return -1;
    c.nk = nk;
    c.taken = calloc(nk + 1, 1);
    int rc = c.taken ? 0 : -1;
    if (rc == 0) rc = dates(&c);
    if (rc == 0) rc = addresses_en(&c);
    if (rc == 0) rc = names_en(&c);
    int u8 = 0; /* any non-ASCII byte? (word at a time) */
    size_t i = 0;
    for (; i + 8 <= len && !u8; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        u8 = (w & 0x8080808080808080ull) != 0;
    }
    for (; i < len && !u8; i++) u8 = (unsigned char)text[i] >= 0x80;
    if (rc == 0 && u8) rc = names_zh(&c);
    if (rc == 0 && u8) rc = addresses_zh(&c);
    free(c.taken);
    free(c.k);
    return rc;
}
