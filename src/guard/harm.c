/* harm.c - harmful requests: a request frame ("how do I", "write", 如何, 教我) near a harm
 * concept of a Llama Guard 3 category (an action with its object, or a term that is harm
 * by itself), lowered by frames that ask about a danger instead of for it. */
#include "guard_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The lexicon (data/guard/harm/NAME.rules, the rules format) names its categories:
 *   req       request frames        about   frames that ask about, not for
 *   safe      harmless targets      evade   intent to escape notice ("without getting caught")
 *   Sk_act    actions of category Sk, Sk_obj their objects, Sk_term harm by itself;
 *   Sk_claim  like an action, but a claim that needs no request frame and that asking
 *             "why" does not excuse ("why are <group> so <slur>?" carries the slur)
 *   Sk_sure   a term that is a request by itself ("how many pills to overdose"): needs
 *             no request frame; an about-frame still cancels it
 *   Skx_act   with a group letter x: pairs only with Skx_obj (a generic verb such as
 *             "get" pairs with drugs, not with every object of its category)
 *   Sk[x]_inf an action that is never an imperative by itself (an infinitive: French,
 *             Spanish, ... statements begin with one, "Tuer un homme est un crime"):
 *             like _act, but it always needs a request frame */
enum { HK_REQ = 0, HK_ABOUT, HK_SAFE, HK_EVADE, HK_ACT, HK_OBJ, HK_TERM, HK_CLAIM, HK_SURE, HK_NONE };

#define HARM_CATS 14
#define PAIR_WINDOW 48   /* bytes between an action and its object */
#define REQ_BEFORE 160   /* a request frame this far before a concept */
#define REQ_AFTER 48     /* ... or this far after it ("a bomb: how do I make one") */
#define ABOUT_BEFORE 96  /* an about-frame this far before a concept */
#define SAFE_WINDOW 32   /* a harmless target this close after an action voids it */
#define EVADE_WINDOW 200 /* intent to escape notice this close to a concept */
#define SCORE_REQUEST 0.75 /* the policy reviews S* at 0.7 and blocks some at 0.8 */
#define SCORE_EVADE 0.9
#define SCORE_TERM_BONUS 0.05
#define SCORE_MILD 0.6 /* S6, S8, S12, S10d: advice, copies, adult content, insulting a
                          * person: flagged, not stopped (the policy may say otherwise) */

typedef struct {
    size_t s, e; /* span in the original text */
    int kind, cat; /* cat: 0..13 for S1..S14, -1 otherwise */
    int group;     /* Skx_: x - 'a' + 1; 0 without a letter */
    int inf;       /* an action of an Sk_inf category: no imperative by itself */
} hhit;

/* Kind and category of a lexicon category name (*inf: an _inf action); HK_NONE for a
 * name it does not know. */
static int hit_kind(const char *name, int *cat, int *group, int *inf) {
    static const char *plain[] = {"req", "about", "safe", "evade"};
    *cat = -1;
    *group = 0;
    *inf = 0;
    for (int k = 0; k < 4; k++)
        if (strcmp(name, plain[k]) == 0) return k;
    if (name[0] != 'S') return HK_NONE;
    char *end;
    long c = strtol(name + 1, &end, 10);
    if (*end >= 'a' && *end <= 'z') *group = *end++ - 'a' + 1;
    if (c < 1 || c > HARM_CATS || *end != '_') return HK_NONE;
    *cat = (int)c - 1;
    if (strcmp(end, "_act") == 0) return HK_ACT;
    if (strcmp(end, "_inf") == 0) {
        *inf = 1;
        return HK_ACT;
    }
    if (strcmp(end, "_obj") == 0) return HK_OBJ;
    if (strcmp(end, "_term") == 0) return HK_TERM;
    if (strcmp(end, "_claim") == 0) return HK_CLAIM;
    if (strcmp(end, "_sure") == 0) return HK_SURE;
    return HK_NONE;
}

static int cmp_hit(const void *a, const void *b) {
    const hhit *x = a, *y = b;
    return x->s != y->s ? (x->s < y->s ? -1 : 1) : (x->e < y->e ? -1 : x->e > y->e);
}

/* 1 when hits a and b overlap. */
static int overlap(const hhit *a, const hhit *b) { return a->s < b->e && b->s < a->e; }

/* Drops the shorter of each overlapping request and about frame: "what is the best way
 * to" is a request although it holds "what is"; "how to protect" is about although it
 * holds "how to". */
static void settle_frames(hhit *h, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (h[i].kind != HK_REQ && h[i].kind != HK_ABOUT) continue;
        for (size_t j = i + 1; j < n && h[j].s < h[i].e; j++) {
            if (h[j].kind == h[i].kind || (h[j].kind != HK_REQ && h[j].kind != HK_ABOUT) || !overlap(&h[i], &h[j]))
                continue;
            size_t li = h[i].e - h[i].s, lj = h[j].e - h[j].s;
            if (li >= lj) h[j].kind = HK_NONE;
            else h[i].kind = HK_NONE;
        }
    }
}

/* The index of the first hit (sorted by start) that starts at or after pos. */
static size_t first_at(const hhit *h, size_t n, size_t pos) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h[mid].s < pos) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* 1 when a sentence ends between bytes a and b of text (. ! ? a newline, 。！？). */
static int sentence_between(const char *text, size_t a, size_t b) {
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || ((c == '.' || c == '!' || c == '?') && (i + 1 >= b || text[i + 1] == ' ' || text[i + 1] == '\n')))
            return 1;
        if (i + 2 < b && c == 0xE3 && (unsigned char)text[i + 1] == 0x80 && (unsigned char)text[i + 2] == 0x82) return 1;
        if (i + 2 < b && c == 0xEF && (unsigned char)text[i + 1] == 0xBC &&
            ((unsigned char)text[i + 2] == 0x81 || (unsigned char)text[i + 2] == 0x9F))
            return 1;
    }
    return 0;
}

/* The first hit of kind starting in [lo, hi) in the sentence of the concept [cs, ce) of
 * text, or NULL. */
static const hhit *near(const char *text, const hhit *h, size_t n, int kind, size_t lo, size_t hi, size_t cs,
                        size_t ce) {
    for (size_t i = first_at(h, n, lo); i < n && h[i].s < hi; i++) {
        if (h[i].kind != kind) continue;
        size_t a = h[i].e < cs ? h[i].e : ce, b = h[i].e < cs ? cs : h[i].s;
        if (a >= b || !sentence_between(text, a, b)) return &h[i];
    }
    return NULL;
}

static size_t sub(size_t a, size_t b) { return a > b ? a - b : 0; }

/* 1 when the text before byte s opens a clause (an imperative: "Synthesize ...", "DAN, write"). */
static int clause_start(const char *text, size_t s) {
    while (s > 0 && (text[s - 1] == ' ' || text[s - 1] == '"' || text[s - 1] == '\'' || text[s - 1] == '\t')) s--;
    if (s == 0) return 1;
    unsigned char c = (unsigned char)text[s - 1];
    if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';' || c == '\n' || c == ',' || c == '(') return 1;
    /* 。，：；！？ end in these bytes after E3 80 / EF BC */
    if (s >= 3 && (unsigned char)text[s - 3] == 0xE3 && (unsigned char)text[s - 2] == 0x80 && (c == 0x82 || c == 0x81))
        return 1;
    return s >= 3 && (unsigned char)text[s - 3] == 0xEF && (unsigned char)text[s - 2] == 0xBC &&
           (c == 0x8C || c == 0x9A || c == 0x9B || c == 0x81 || c == 0x9F);
}

/* 1 when the first word of h is a participle or a third person ("shooting a person is",
 * "kills people"): a statement, not an imperative. */
static int inflected(const char *text, const hhit *h) {
    size_t e = h->s;
    while (e < h->e && ((text[e] >= 'a' && text[e] <= 'z') || (text[e] >= 'A' && text[e] <= 'Z'))) e++;
    size_t n = e - h->s;
    const char *w = text + h->s;
    return (n > 4 && strncasecmp(w + n - 3, "ing", 3) == 0) || (n > 3 && strncasecmp(w + n - 2, "ed", 2) == 0) ||
           (n > 3 && (w[n - 1] == 's' || w[n - 1] == 'S'));
}

/* 1 when the action h opens a clause in its base form: an English imperative
 * ("Synthesize ...", "DAN, write ..."). Chinese needs a request frame. */
static int imperative(const char *text, const hhit *h) {
    return (unsigned char)text[h->s] < 0x80 && clause_start(text, h->s) && !inflected(text, h);
}

/* The best finding per category. */
typedef struct {
    double score;
    size_t s, e;
    const hhit *req, *act, *obj;
} hbest;

/* Judges the concept (act with obj, or a term alone) against the frames around it. */
static void judge(const char *text, const hhit *h, size_t n, const hhit *act, const hhit *obj, hbest *best) {
    size_t cs = obj && obj->s < act->s ? obj->s : act->s, ce = obj && obj->e > act->e ? obj->e : act->e;
    if (act->kind == HK_ACT && near(text, h, n, HK_SAFE, act->s, act->e + SAFE_WINDOW, cs, ce)) return;
    const hhit *req = near(text, h, n, HK_REQ, sub(cs, REQ_BEFORE), ce + REQ_AFTER, cs, ce);
    if (act->kind != HK_CLAIM && act->kind != HK_SURE && !req &&
        (act->kind != HK_ACT || act->inf || !imperative(text, act)))
        return;
    if (act->kind != HK_CLAIM && near(text, h, n, HK_ABOUT, sub(cs, ABOUT_BEFORE), ce, cs, ce)) return;
    int c = act->cat;
    int mild = c == 5 || c == 7 || c == 11 || (c == 9 && act->group == 4); /* S10d: insults */
    double sc = mild ? SCORE_MILD : SCORE_REQUEST;
    if (act->kind == HK_TERM || act->kind == HK_SURE) sc += SCORE_TERM_BONUS;
    if (near(text, h, n, HK_EVADE, sub(cs, EVADE_WINDOW), ce + EVADE_WINDOW, cs, ce)) sc = SCORE_EVADE;
    if (sc <= best[c].score) return;
    best[c] = (hbest){sc, req && req->s < cs ? req->s : cs, req && req->e > ce ? req->e : ce, req, act, obj};
}

/* Quotes the original bytes of a hit into out (at most cap bytes with the NUL). */
static void quote(char *out, size_t cap, const char *text, const hhit *h) {
    size_t n = h ? h->e - h->s : 0;
    if (n >= cap) n = cap - 1;
    while (n > 0 && ((unsigned char)text[h->s + n] & 0xC0) == 0x80) n--; /* whole characters */
    if (n) memcpy(out, text + h->s, n);
    out[n] = 0;
}

static int emit(const char *text, const hbest *best, sw_guard_verdict *v) {
    for (int c = 0; c < HARM_CATS; c++) {
        const hbest *b = &best[c];
        if (b->score <= 0) continue;
        char cat[16], r[48], a[48], o[48], why[160];
        snprintf(cat, sizeof cat, "S%d", c + 1);
        quote(r, sizeof r, text, b->req);
        quote(a, sizeof a, text, b->act);
        quote(o, sizeof o, text, b->obj);
        if (snprintf(why, sizeof why, "asks for harm: request '%s', concept '%s%s%s' (%s)", b->req ? r : "(imperative)",
                     a, b->obj ? " ... " : "", o, grules_tc260(cat)) < 0)
            why[0] = 0; /* a long quote is cut by gf_add at a whole character */
        if (gf_add(v, cat, "harm_request", b->s, b->e, b->score, SW_SRC_HEURISTIC, why) < 0) return -1;
        snprintf(v->findings[v->n_findings - 1].tc260, sizeof v->findings[0].tc260, "%s", grules_tc260(cat));
    }
    return 0;
}

struct gharm {
    grules *lex;
    uint8_t *kind, *cat, *group, *inf; /* per lexicon category: HK_*, 0..13 (0xFF: none), group, _inf */
};

void gharm_free(gharm *h) {
    if (!h) return;
    grules_free(h->lex);
    free(h->kind);
    free(h->cat);
    free(h->group);
    free(h->inf);
    free(h);
}

gharm *gharm_load(const char *dir, sw_err *err) {
    gharm *h = calloc(1, sizeof *h);
    if (!h || !(h->lex = grules_load(dir, err))) {
        if (!h) sw_err_set(err, "guard harm lexicon: out of memory");
        gharm_free(h);
        return NULL;
    }
    size_t n = grules_categories(h->lex);
    h->kind = malloc(n + 1);
    h->cat = malloc(n + 1);
    h->group = malloc(n + 1);
    h->inf = malloc(n + 1);
    if (!h->kind || !h->cat || !h->group || !h->inf) {
        sw_err_set(err, "guard harm lexicon: out of memory");
        gharm_free(h);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int c, g, f, k = hit_kind(grules_category(h->lex, i), &c, &g, &f);
        if (k == HK_NONE) {
            sw_err_set(err, "%s: unknown category '%s' (req, about, safe, evade, or Sk[x]_act|inf|obj|term|claim|sure)", dir,
                       grules_category(h->lex, i));
            gharm_free(h);
            return NULL;
        }
        h->kind[i] = (uint8_t)k;
        h->cat[i] = (uint8_t)(c < 0 ? 0xFF : c);
        h->group[i] = (uint8_t)g;
        h->inf[i] = (uint8_t)f;
    }
    return h;
}

typedef struct {
    const gharm *lex;
    hhit *h;
    size_t n, cap;
} hits;

static int on_hit(size_t cat, size_t s, size_t e, void *ud) {
    hits *hs = ud;
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 64;
        hhit *p = realloc(hs->h, cap * sizeof *p);
        if (!p) return -1;
        hs->h = p;
        hs->cap = cap;
    }
    const gharm *x = hs->lex;
    hs->h[hs->n++] = (hhit){s, e, x->kind[cat], x->cat[cat] == 0xFF ? -1 : x->cat[cat], x->group[cat], x->inf[cat]};
    return 0;
}

/* Judges the collected hits of hs (sorted here) and appends the findings to v; frees the
 * hits. 0, or -1 when memory runs out. */
static int judge_hits(hits *hs, const char *text, sw_guard_verdict *v) {
    hhit *h = hs->h;
    size_t n = hs->n;
    if (n == 0) return 0; /* nothing allocated */
    qsort(h, n, sizeof *h, cmp_hit);
    settle_frames(h, n);
    hbest best[HARM_CATS] = {{0}};
    for (size_t i = 0; i < n; i++) {
        if (h[i].kind == HK_TERM || h[i].kind == HK_SURE) judge(text, h, n, &h[i], NULL, best);
        if (h[i].kind != HK_ACT && h[i].kind != HK_CLAIM) continue;
        /* every object of its category close by */
        for (size_t j = first_at(h, n, sub(h[i].s, PAIR_WINDOW)); j < n && h[j].s <= h[i].e + PAIR_WINDOW; j++)
            if (h[j].kind == HK_OBJ && h[j].cat == h[i].cat && h[j].group == h[i].group && !overlap(&h[i], &h[j]))
                judge(text, h, n, &h[i], &h[j], best);
    }
    int rc = emit(text, best, v);
    free(h);
    return rc;
}

int gharm_scan(const gharm *lex, const sw_guard_norm *nm, const char *text, sw_guard_verdict *v) {
    if (!lex) return 0;
    hits hs = {lex, NULL, 0, 0};
    if (grules_scan_hits(lex->lex, nm, 0, on_hit, &hs) < 0) { /* the match view: spaced letters are joined */
        free(hs.h);
        return -1;
    }
    return judge_hits(&hs, text, v);
}

int gharm_scan_rules(const gharm *lex, const grules *rules, const sw_guard_norm *nm, const char *text,
                     sw_guard_verdict *v) {
    hits hs = {lex, NULL, 0, 0};
    if (grules_scan_with(rules, nm, v, lex ? lex->lex : NULL, on_hit, &hs) < 0) {
        free(hs.h);
        return -1;
    }
    return judge_hits(&hs, text, v);
}
