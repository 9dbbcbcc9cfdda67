/* docinstr_int.h - what the document detector's two halves share: the judgement of one
 * sentence (docinstr.c scores words of Latin-script languages, docinstr_cues.c substrings
 * of Chinese, Japanese and Russian). */
#ifndef SW_GUARD_DOCINSTR_INT_H
#define SW_GUARD_DOCINSTR_INT_H

#include <stddef.h>

#define DOC_EXPLAIN 200 /* bytes of a finding's explanation */

/* Feature weights. A sentence is an injection when its features sum to DOC_MIN_SCORE or
 * more, one of them asks for something (an imperative, a prescription, an override) and one
 * anchors it to an AI reader or its answer (an addressee, the answer or summary of this
 * document, a link to send to, instructions set aside): naming an AI is no instruction, and
 * "please reboot the router" is one for people. */
#define DOC_MIN_SCORE 3.0
#define W_ADDR_STRONG 3.0 /* an AI addressed: "note to the AI:", "any model reading this", "if you are an LLM" */
#define W_ADDR_MEDIUM 1.5 /* a reader that may be a machine addressed: "the bot handling this ticket" */
#define W_ADDR_WEAK 1.0   /* an AI mentioned, not addressed (not an anchor) */
#define W_ASK 1.0         /* an imperative, "you must", a prescription with a verb of answering */
#define W_AIM 1.5         /* "the user", "your answer" (not an anchor: people have users too) */
#define W_READER 2.0      /* what only an AI reader makes: "your response", "when summarising" */
#define W_SELFREF 2.0     /* the answer or summary of this very document: "any summary of this page" */
#define W_FRAME 2.0       /* "the correct reply to this message is ..." (asks and anchors) */
#define W_EXFIL 1.5       /* a link or address to send to or load, a URL carrying the user's data */
#define W_TOOL 1.5        /* a tool or function call, a piped shell command */
#define W_SECRET 1.5      /* the user's data, passwords, the conversation */
#define W_LANG 1.5        /* changes the answer's language or form */
#define W_OVERRIDE 3.0    /* earlier instructions set aside (asks and anchors) */

typedef struct {
    double score, addr; /* all features; the addressee's part of them */
    int ask, anchor;    /* something is asked; something ties it to an AI reader */
    char why[DOC_EXPLAIN];
} gdoc_judgement;

/* Adds a feature of weight w (ask, anchor: what it counts as) and names it in why. */
void gdoc_note(gdoc_judgement *j, double w, int ask, int anchor, const char *what);
/* Raises the addressee's weight to w (the strongest addressee counts, once). */
void gdoc_addr(gdoc_judgement *j, double w, const char *what);
/* 1 when t[s..e) holds a link: http, www., an e-mail address, a markdown image, host.tld/path. */
int gdoc_has_link(const char *t, size_t s, size_t e);
/* Scores the Chinese, Japanese and Russian cues of sentence t[s..e) of the light view. */
void gdoc_judge_cues(const char *t, size_t s, size_t e, gdoc_judgement *j);

#endif
