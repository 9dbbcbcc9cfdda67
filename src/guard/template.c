/* template.c - chat-template control tokens typed in text (ChatML, Llama 2 and 3, Gemma,
 * Mistral, Phi): `template_injection` findings, of type turn_open when the token forges
 * a turn (a role follows, or the token is a system block) and control_token otherwise. */
#include "guard_int.h"

#include <stdio.h>
#include <string.h>

/* How a marker can open a turn. */
enum {
    MK_TOKEN = 0, /* a boundary token: never opens a turn by itself */
    MK_ROLE_NEXT, /* opens a turn when a role name follows it (<|im_start|>system) */
    MK_LINE,      /* a role marker: opens a turn when a newline follows it (<|system|>\n) */
    MK_ALWAYS,    /* a system block: always opens one (<<SYS>>) */
    MK_INST,      /* [INST]: opens an instruction turn when [/INST] follows later */
};

typedef struct {
    const char *text; /* as in the light view: case-folded */
    const char *family;
    int kind;
} marker;

static const marker MARKERS[] = {
    {"<|im_start|>", "ChatML", MK_ROLE_NEXT},     {"<|im_end|>", "ChatML", MK_TOKEN},
    {"<|start_header_id|>", "Llama 3", MK_ROLE_NEXT}, {"<|end_header_id|>", "Llama 3", MK_TOKEN},
    {"<|eot_id|>", "Llama 3", MK_TOKEN},          {"<|eom_id|>", "Llama 3", MK_TOKEN},
    {"<|begin_of_text|>", "Llama 3", MK_TOKEN},   {"<|end_of_text|>", "Llama 3", MK_TOKEN},
    {"<|endoftext|>", "GPT", MK_TOKEN},           {"<start_of_turn>", "Gemma", MK_ROLE_NEXT},
    {"<end_of_turn>", "Gemma", MK_TOKEN},         {"<<sys>>", "Llama 2", MK_ALWAYS},
    {"<</sys>>", "Llama 2", MK_TOKEN},            {"</s>", "Llama 2/Mistral", MK_TOKEN},
    {"<s>", "Llama 2/Mistral", MK_TOKEN},         {"<|system|>", "Phi", MK_LINE},
    {"<|user|>", "Phi", MK_LINE},                 {"<|assistant|>", "Phi", MK_LINE},
    {"<|end|>", "Phi", MK_TOKEN},                 {"[inst]", "Llama 2/Mistral", MK_INST},
    {"[/inst]", "Llama 2/Mistral", MK_TOKEN},     {"[system_prompt]", "Mistral", MK_ALWAYS},
    {"[/system_prompt]", "Mistral", MK_TOKEN},
};
#define N_MARKERS (sizeof MARKERS / sizeof MARKERS[0])
#define TEMPLATE_SCORE_TURN 0.95  /* a forged turn: no benign message needs one */
#define TEMPLATE_SCORE_TOKEN 0.6  /* a token alone may be a question about templates */

static const char *ROLES[] = {"system", "user", "assistant", "model", "developer", "tool", "ipython"};

static int is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

/* The role name that begins at s[i..n) after spaces, or NULL. */
static const char *role_at(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    for (size_t r = 0; r < sizeof ROLES / sizeof ROLES[0]; r++) {
        size_t l = strlen(ROLES[r]);
        if (i + l <= n && memcmp(s + i, ROLES[r], l) == 0 && (i + l == n || !is_letter((unsigned char)s[i + l])))
            return ROLES[r];
    }
    return NULL;
}

/* 1 when only spaces lie between s[i] and a newline. */
static int newline_next(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) i++;
    return i < n && s[i] == '\n';
}

/* Whether marker m, ending at e in light view s[0..n), opens a turn; *role receives the
 * role it names (or a description). */
static int opens_turn(const marker *m, const char *s, size_t n, size_t e, const char **role) {
    switch (m->kind) {
    case MK_ROLE_NEXT: return (*role = role_at(s, n, e)) != NULL;
    case MK_LINE: *role = m->text + 2; return newline_next(s, n, e);
    case MK_ALWAYS: *role = "system"; return 1;
    case MK_INST: *role = "instruction"; return memmem(s + e, n - e, "[/inst]", 7) != NULL;
    default: return 0;
    }
}

/* Appends the finding of marker m at light-view span [s, e). 0 or -1 on OOM. */
static int add_marker(const sw_guard_norm *nm, const marker *m, size_t s, size_t e, sw_guard_verdict *v) {
    const char *role = NULL;
    int turn = opens_turn(m, nm->light.s, nm->light.len, e, &role);
    char why[160];
    if (turn) snprintf(why, sizeof why, "%s control token %s opens a %.20s turn", m->family, m->text, role);
    else snprintf(why, sizeof why, "%s control token %s", m->family, m->text);
    size_t os, oe;
    gv_span(&nm->light, s, e, &os, &oe);
    return gf_add(v, "template_injection", turn ? "turn_open" : "control_token", os, oe,
                  turn ? TEMPLATE_SCORE_TURN : TEMPLATE_SCORE_TOKEN, SW_SRC_RULE, why);
}

/* Finds the markers that begin with byte c. */
static int scan_from(const sw_guard_norm *nm, char c, sw_guard_verdict *v) {
    const char *s = nm->light.s;
    size_t n = nm->light.len;
    for (const char *p = memchr(s, c, n); p; p = memchr(p + 1, c, n - (size_t)(p + 1 - s))) {
        size_t i = (size_t)(p - s);
        if (i + 1 >= n) break;
        for (size_t k = 0; k < N_MARKERS; k++) {
            const char *t = MARKERS[k].text;
            if (t[0] != c || t[1] != p[1]) continue; /* most '<' begin HTML tags or comparisons */
            size_t l = strlen(t);
            if (i + l > n || memcmp(p, t, l) != 0) continue;
            if (add_marker(nm, &MARKERS[k], i, i + l, v) < 0) return -1;
            break;
        }
    }
    return 0;
}

int gtemplate_scan(const sw_guard_norm *nm, sw_guard_verdict *v) {
    if (nm->light.len == 0) return 0;
    if (scan_from(nm, '<', v) < 0) return -1;
    return scan_from(nm, '[', v);
}
