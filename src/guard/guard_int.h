/* guard_int.h - what the guard's source files share and the public header does not show. */
#ifndef STEWARD_GUARD_INT_H
#define STEWARD_GUARD_INT_H

#include "steward/guard.h"

#ifndef GCLF_NORM_POW
#define GCLF_NORM_POW 0.5
#endif

/* Appends a finding to v. Returns 0 or -1 when memory runs out. explain may be NULL. */
int gf_add(sw_guard_verdict *v, const char *category, const char *type, size_t start,
           size_t end, double score, sw_guard_source src, const char *explain);

const char *gpolicy_hash(const sw_guard_policy *p);
/* Scans text with every recogniser (no policy, no merge) into v; src is a
 * sw_guard_text_source (documents also get the instruction detector). -1 on OOM. */
int gscan_raw(const sw_guard *g, const char *text, size_t len, int src, sw_guard_verdict *v);
/* What a scan looks for: everything (the guards), what data governance needs
 * (sw_guard_scan_data: harm and personal data), or personal data alone (sw_guard_scan_pii). */
typedef enum { GSCAN_ALL = 0, GSCAN_DATA, GSCAN_PII } gscan_for;
/* gscan_raw for what; GSCAN_DATA skips the recognisers whose findings it does not keep
 * (its caller filters the rest with sw_guard_category_is_data); GSCAN_PII also skips the
 * harm detector, the joined-pieces check and the rules and classifier heads, unless they
 * have a personal-data category. -1 on OOM. */
int gscan_raw_for(const sw_guard *g, const char *text, size_t len, int src, gscan_for what, sw_guard_verdict *v);
/* 1 for the categories of personal data (pii, secret). */
int gcategory_is_personal(const char *category);
/* Sorts and merges overlapping findings of one category and type. */
void gmerge_findings(sw_guard_verdict *v);
const sw_guard_policy *gguard_policy(const sw_guard *g);
const uint8_t *gguard_key(const sw_guard *g);

/* Script tests shared by the recognisers. */
static inline int gis_han(uint32_t c) {
    return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
}
/* A character that is a word of its own for explanations: Han, kana or Hangul. */
static inline int gis_cjk(uint32_t c) {
    return gis_han(c) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF);
}

/* Maps a span of a view back to the original text. */
static inline void gv_span(const sw_guard_view *v, size_t s, size_t e, size_t *os, size_t *oe) {
    *os = v->ostart[s];
    *oe = v->oend[e - 1];
}

/* Recognisers: each appends findings to v (spans into the original text). -1 on OOM. */
/* sw_guard_normalize into a norm that holds the buffers of an earlier call (or zeros),
 * reusing them: no fresh pages per segment of a long text. Same result. */
int gnormalize_reuse(const char *text, size_t len, sw_guard_norm *out, sw_err *err);
/* The light view and the invisible characters alone (match and squeeze stay empty), for
 * the recognisers that read nothing else (personal data, secrets, encoded payloads).
 * -1 on OOM or a text over the limit. */
int gnormalize_light_reuse(const char *text, size_t len, sw_guard_norm *out);
int gpii_scan(const sw_guard_norm *n, sw_guard_verdict *v);
int gsecret_scan(const char *text, size_t len, sw_guard_verdict *v);
/* Chat-template control tokens in the light view (template.c): template_injection
 * findings of type turn_open or control_token. -1 on OOM. */
int gtemplate_scan(const sw_guard_norm *n, sw_guard_verdict *v);
/* Instructions addressed to an AI reader inside a document (docinstr.c): prompt_injection
 * findings of type document_instruction, one per sentence. -1 on OOM. */
int gdocinstr_scan(const sw_guard_norm *n, sw_guard_verdict *v);
/* The same detector on the parts of a user's text pasted between delimiters ("---" lines,
 * code fences, <document> tags): a document the user quotes. -1 on OOM. */
int gdocinstr_scan_pasted(const sw_guard_norm *n, sw_guard_verdict *v);

/* ---- name lists (names.c): data/guard/names/{en-first,en-surnames,en-ambiguous,zh-surnames}.txt ---- */
enum {
    GNAME_FIRST = 1, GNAME_LAST = 2, GNAME_AMBIG = 4, GNAME_ZH_SURNAME = 8, /* the lists */
    /* word classes of the recognisers (gpersonal_words): one lookup tells them all */
    GNAME_NOT_NAME = 1 << 4, GNAME_TITLE = 1 << 5, GNAME_MONTH = 1 << 6, GNAME_WEEKDAY = 1 << 7,
    GNAME_STREET = 1 << 8, GNAME_STREET_FIRST = 1 << 9, GNAME_UNIT = 1 << 10, GNAME_YEAR_CTX = 1 << 11,
    GNAME_ORDINAL = 1 << 12, GNAME_CTX_END = 1 << 13,
};
#define GNAMES_MAX_ENTRY 32 /* bytes of one entry */
typedef struct gnames gnames;
gnames *gnames_new(void);
void gnames_free(gnames *t);
/* Adds each entry of a list file's text (one a line, '#' comments) with flag. An entry
 * that is not a name (digits, punctuation, upper case, over GNAMES_MAX_ENTRY bytes, not
 * UTF-8) is an error naming name:line. Returns 0 or -1 with err. */
int gnames_add_text(gnames *t, const char *text, size_t len, const char *name, uint32_t flag, sw_err *err);
/* Adds each word of a NUL-separated list (ending in an empty word) with flag. -1 on OOM. */
int gnames_add_words(gnames *t, const char *list, uint32_t flag);
/* Loads the lists under dir (a missing directory or file: no entries). NULL with err
 * naming file:line on a bad list. */
gnames *gnames_load(const char *dir, sw_err *err);
/* The GNAME_* flags of the entry w[0..n) (exact bytes), 0 when absent. */
uint32_t gnames_lookup(const gnames *t, const char *w, size_t n);
size_t gnames_count(const gnames *t);
/* Names, addresses and dates in English and Chinese (personal.c): PERSON, ADDRESS,
 * DATE_OF_BIRTH and DATE_TIME findings of category pii over the original text. -1 on OOM. */
int gpersonal_scan(const gnames *names, const char *text, size_t len, sw_guard_verdict *v);
/* Adds the recognisers' word classes (titles, months, street types, ...) to t. -1 on OOM. */
int gpersonal_words(gnames *t);

/* ---- labelled JSONL files (jsonl.c) ---- */
typedef struct gjsonl_rec {
    const char *text; /* the "text" string (NUL-terminated; len bytes) */
    size_t len;
    const char *label, *source; /* NULL when absent */
    const char *path;
    int line;
} gjsonl_rec;
/* Called for each record; returns 0 to go on, -1 (err set) to stop. */
typedef int (*gjsonl_fn)(void *ud, const gjsonl_rec *r, sw_err *err);
/* Reads path and calls fn for each non-empty line. A line that is not an object with a
 * string "text" (and, with need_label, a string "label") is an error naming path:line.
 * Returns 0, or -1 with err (the file, a bad line, or fn's error). */
int gjsonl_each(const char *path, int need_label, gjsonl_fn fn, void *ud, sw_err *err);

/* ---- Aho-Corasick automaton over bytes (ac.c) ---- */
typedef struct gac gac;
gac *gac_new(void);
void gac_free(gac *a);
/* Pattern flags. GAC_WORD: reported only where a word starts (see gac_text); GAC_WORD_END:
 * only where one ends; GAC_SET2: of a second set, reported only in texts that ask for it
 * (a view of the text that needs other patterns). */
#define GAC_WORD 1u
#define GAC_SET2 2u
#define GAC_WORD_END 4u
/* Adds a pattern with a caller's id and GAC_* flags. Returns 0 or -1 (OOM, or after
 * gac_build). */
int gac_add(gac *a, const char *p, size_t n, uint32_t id, uint8_t flags);
/* Builds the DFA. -1 on OOM. */
int gac_build(gac *a);
size_t gac_states(const gac *a);
/* Called for every match (end is exclusive); stops early when fn returns non-zero. */
typedef int (*gac_match_fn)(uint32_t id, size_t start, size_t end, void *ud);
/* A text to walk and what to report. set2 0: the patterns without GAC_SET2, those with
 * GAC_WORD only where a word starts (at 0, after a space or a non-ASCII byte, or where
 * glue[start - 1] and glue[start] are both set; glue may be NULL), those with
 * GAC_WORD_END only where one ends (at the text's end, before a space or a non-ASCII
 * byte, or where glue[end - 1] and glue[end] are both set); set2 1: only the GAC_SET2
 * patterns, anywhere. */
typedef struct gac_text {
    const gac *a;
    const char *s;
    size_t n;
    gac_match_fn fn;
    void *ud;
    int set2;
    const uint8_t *glue;
} gac_text;
#define GAC_MAX_TEXTS 3
/* Walks up to GAC_MAX_TEXTS texts (each with its automaton) side by side in one loop,
 * which hides the latency of each walk's loads behind the others'. Each text's calls
 * come in the order a walk of it alone makes them,
 * those of different texts interleaved. 1 when a fn stopped the walks, else 0. */
int gac_scan_texts(const gac_text *t, size_t k);
/* gac_scan_texts of one text with set2 0 and no glue (1 when fn stopped it). */
int gac_scan(const gac *a, const char *s, size_t n, gac_match_fn fn, void *ud);

/* ---- keyword rules (rules.c) ---- */
typedef struct grules grules;
/* Loads every *.rules file under dir. NULL with err naming file:line on error. */
grules *grules_load(const char *dir, sw_err *err);
/* Parses one rules file's text into r (used by the loader and by tests). */
int grules_add_text(grules *r, const char *text, size_t len, const char *name, sw_err *err);
grules *grules_new(void);
int grules_build(grules *r, sw_err *err);
void grules_free(grules *r);
size_t grules_count(const grules *r); /* pattern lines (one per encoding) */
size_t grules_keys(const grules *r);  /* automaton keys */
size_t grules_states(const grules *r);
/* Word-list entries ("language:" sections) refused at load, by reason. */
enum {
    GRULES_REFUSE_DIGITS = 0, /* has a digit: numbers never match a word list */
    GRULES_REFUSE_NO_LETTER,  /* no letter at all (punctuation, symbols) */
    GRULES_REFUSE_SCRIPT,     /* letters of another script than the list's language */
    GRULES_REFUSE_SHORT,      /* one Han character (a morpheme of ordinary words) or < 3 Latin letters */
    GRULES_REFUSE_KINDS
};
size_t grules_refused(const grules *r, int why);
int grules_scan(const grules *r, const sw_guard_norm *n, sw_guard_verdict *v);
/* Called for each match of grules_scan_hits: the category's index and the span in the
 * original text. Returns 0, or -1 to stop the scan with an error. */
typedef int (*grules_hit_fn)(size_t cat, size_t start, size_t end, void *ud);
/* Matches like grules_scan (same views and scopes; the squeezed view only when squeezed
 * is 1) but reports each match to fn instead of adding a finding (no explanation is
 * written), in no particular order. 0 or -1. */
int grules_scan_hits(const grules *r, const sw_guard_norm *n, int squeezed, grules_hit_fn fn, void *ud);
/* grules_scan of r into v and, in the same walks (the views side by side), the hits of
 * rules x (may be NULL) in the match view as grules_scan_hits(x, n, 0, fn, ud) reports
 * them, in the same order. 0, or -1 when memory runs out or fn failed. */
int grules_scan_with(const grules *r, const sw_guard_norm *n, sw_guard_verdict *v, const grules *x, grules_hit_fn fn,
                     void *ud);
size_t grules_categories(const grules *r);
const char *grules_category(const grules *r, size_t i); /* "" past the end */
/* TC260-003 code of a harm category, or "" */
const char *grules_tc260(const char *category);
int grules_has_category(const grules *r, const char *category); /* 1 when a rules file defines it */
/* sw_guard_policy_parse, also accepting the categories that rules define (may be NULL). */
sw_guard_policy *gpolicy_parse(const char *text, size_t len, const char *name, const grules *rules, sw_err *err);

/* ---- harmful requests (harm.c) ---- */
typedef struct gharm gharm;
/* Loads the lexicon of data/guard/harm/NAME.rules (the rules format). NULL with err naming
 * the file and line of a bad rule, or a category the detector does not know. */
gharm *gharm_load(const char *dir, sw_err *err);
void gharm_free(gharm *h);
/* Asks for harm: a request frame near a harm concept of the lexicon (NULL: nothing to do)
 * in the views nm of text. Appends at most one finding per category S1..S14 (type
 * harm_request, with its TC260 code). Returns 0, or -1 when memory runs out. */
int gharm_scan(const gharm *lex, const sw_guard_norm *nm, const char *text, sw_guard_verdict *v);
/* grules_scan(rules, nm, v) then gharm_scan(lex, nm, text, v), with the same findings in
 * the same order, the lexicon matched in the rules' walks (one loop over the views).
 * 0, or -1 when memory runs out. */
int gharm_scan_rules(const gharm *lex, const grules *rules, const sw_guard_norm *nm, const char *text,
                     sw_guard_verdict *v);

/* ---- encoded payloads and invisible text (decode.c) ---- */
/* A decoded segment: the original span it came from and the decoded bytes. */
typedef struct gdecoded {
    size_t start, end;
    char type[16];
    char *text;
    size_t len;
} gdecoded;
/* Finds base64/base32/hex/Morse/ROT13/Atbash/tag/variation-selector payloads in text; the caller
 * frees each .text and the array. -1 on OOM. */
int gdecode_find(const char *text, size_t len, const sw_guard_norm *n, gdecoded **out,
                 size_t *nout);
/* Appends invisible_text findings for the norm's invisible runs. */
int ginvis_findings(const sw_guard_norm *n, sw_guard_verdict *v);

/* ---- classifiers (classifier.c) ---- */
#include <math.h>
/* How a text's summed feature weights are scaled by its number of features nf. */
static inline float gclf_norm(size_t nf) { return nf ? (float)(1.0 / pow((double)nf, GCLF_NORM_POW)) : 0.0f; }
/* Calls fn for every hashed feature of s[0..n); returns how many. */
size_t gclf_features(const char *s, size_t n, void (*fn)(uint32_t h, size_t st, size_t len, void *ud), void *ud);
/* The exact sum of each head's int8 weights over gclf_features(s, n) (heads beyond the
 * model's count are 0), computed in one pass for all heads; returns the feature count.
 * simd: 1 AVX2 (the caller checked the CPU), 0 portable, -1 the best the CPU has. */
size_t gclf_window_sums(const sw_guard_clf *c, const char *s, size_t n, int64_t *sum, int simd);
/* classifier_avx2.c: adds the biased packed weights (bytes k of wb[]: head k + 128) of
 * the character 3-, 4- and 5-grams at positions [0, done) of s to sum[0..3], where done
 * is npos rounded down to 8; s[i + 4] must exist for i < npos. Returns done. */
size_t gclf_chars_avx2(const uint32_t *wb, uint32_t mask, const unsigned char *s, size_t npos, int64_t *sum);
/* Scores a match view (windows of 2 KB, the best window per head). */
int gclf_score_view(const sw_guard_clf *c, const char *s, size_t n, double *scores, char (*explain)[160]);
/* Why a head scored as it did: the strongest words or phrases of the text, and the span
 * from the first to the last of them. */
typedef struct gclf_why {
    size_t start, end; /* in the original text when a map is given, else in s */
    char text[160];    /* "strongest words: 'ignore all previous' +0.31, 'prompt' +0.12" */
} gclf_why;
/* Explains head's score of the match view s[0..n): the words of its best window that
 * carried the most weight, quoted from orig through map (the view's offsets; both may be
 * NULL: quotes and span from s). Words inside a pii or secret finding of hide (spans in
 * orig; may be NULL) are never quoted. Without such words the span is the whole text and
 * the text names none. Returns 0, or -1 when memory runs out. */
int gclf_explain(const sw_guard_clf *c, const char *s, size_t n, const sw_guard_view *map, const char *orig,
                 const sw_guard_verdict *hide, int head, gclf_why *why);
int gclf_write(const char *path, uint32_t bits, int heads, char (*names)[32], const float *bias, const float *shift,
               float *const *w, sw_err *err);

/* ---- redaction (redact.c) ---- */
enum { GOP_REPLACE = 0, GOP_MASK, GOP_HASH, GOP_ENCRYPT, GOP_REMOVE };
/* Builds v->redacted from text and the findings whose action is SW_ACT_REDACT. key may
 * be NULL (hash and encrypt then fall back to replace). -1 on OOM. */
int gredact(const char *text, size_t len, const uint8_t *key, sw_guard_verdict *v);
int gredact_restore(const uint8_t *key, const char *text, size_t len, sw_buf *out);

#endif
