/* docinstr.c - document mode: instructions addressed to an AI reader inside third-party
 * text (an e-mail, a web page, a table, code), which should carry none. Each sentence is
 * scored from a few features (who it addresses, an imperative, what it aims at: the
 * answer, the user's data, a link, the answer's language, earlier instructions); one that
 * scores DOC_MIN_SCORE or more, of which at least W_IMPER asks for something, is a prompt_injection finding of type document_instruction.
 * The policy decides what a finding costs. */
#include "guard_int.h"

#include <stdio.h>
#include <string.h>

#define DOC_MAX_SENT 600   /* a longer run without a sentence end is judged in pieces */
#define DOC_MAX_WORDS 128  /* words of a sentence considered */
#define DOC_MIN_SCORE 3.0  /* sum of feature weights that makes a finding */
#define DOC_EXPLAIN 160

/* Feature weights: a sentence needs an addressee or an aim besides an imperative. */
#define W_ADDR_STRONG 3.0 /* "if you are an AI", "AI assistant:", "note to the model" */
#define W_ADDR_WEAK 1.0   /* a bare mention of an AI, an assistant, a chatbot */
#define W_IMPER 1.0       /* a clause opens with an imperative verb */
#define W_MODAL 1.0       /* "you must", "you should", "make sure you" */
#define W_AIM 1.5         /* aims at the answer or the user: "your answer", "the user" */
#define W_READER 2.0      /* what only an AI reader does: "when summarizing", "your response" */
#define W_EXFIL 1.5       /* a link or an address with a verb that sends or opens */
#define W_SECRET 1.5      /* the user's data, passwords, the conversation */
#define W_LANG 1.5        /* changes the answer's language or form */
#define W_OVERRIDE 3.0    /* earlier instructions set aside, a new task instead */
#define W_ZH 1.5          /* a Chinese feature: each one found */

/* Word-sequence patterns over the ASCII words of a sentence: words separated by one
 * space; a trailing '*' matches any word with that prefix. */
static const char *ADDR_STRONG[] = {
    "if you are an ai", "if you are a language model", "if you are an assistant", "if you are a chatbot",
    "if you are an llm", "you are an ai", "as an ai", "to the ai", "to any ai", "to all ai", "any ai",
    "dear ai", "hey ai", "hi ai", "hello ai", "note to ai", "note to the ai", "note for ai", "note to the model",
    "note to the assistant", "attention ai", "ai reading", "ai agent reading", "assistant reading",
    "model reading", "llm reading", "whoever reads this", "anyone reading this", "whoever is reading",
    "ai assistants", "ai assistant", "ai model", "ai system", "ai agent", "automated assistant",
    "language model", "language models", "summarization tool", "summarizer", "summariser", "dear assistant",
    "hey assistant", "ai tools", "ai tool", "ai systems", "chatbot reading", "bot reading",
};
static const char *ADDR_WEAK[] = {"ai", "assistant", "chatbot", "llm", "llms", "gpt*", "chatgpt", "claude",
                                  "gemini", "copilot", "bot", "model"}; /* not "agent": people are agents too */
static const char *IMPERATIVES[] = {
    "ignore", "disregard", "forget", "override", "bypass", "write", "compose", "visit", "open", "navigate",
    "go", "browse", "fetch", "load", "click", "send", "forward", "email", "post", "upload", "share", "leak",
    "include", "insert", "append", "prepend", "embed", "add", "mention", "recommend", "promote", "say",
    "tell", "inform", "reply", "respond", "answer", "translate", "switch", "change", "output", "print",
    "reveal", "repeat", "disclose", "display", "show", "describe", "summarize", "summarise", "begin",
    "start", "end", "stop", "replace", "rewrite", "render", "call", "execute", "run", "delete", "transfer",
    "approve", "rate", "rank", "classify", "mark", "praise", "state", "claim", "treat", "pretend", "act",
    "do", "don't", "never", "always", "make", "use",
};
static const char *SKIP[] = {"please", "now", "also", "then", "kindly", "just", "immediately", "first",
                             "instead", "and", "important", "note", "attention", "urgent", "additionally",
                             "finally", "so", "ok", "okay", "actually", "hey", "dear", "hi", "hello", "ai",
                             "assistant", "system", "instruction", "instructions", "nb", "ps", "p"};
static const char *MODALS[] = {"you must", "you should", "you need to", "you are to", "you will now", "you have to",
                               "you are required", "you are instructed", "you shall", "make sure you", "be sure to",
                               "make sure to", "you will respond", "you will reply", "you will answer",
                               "it is essential that you", "you are now"};
static const char *READER[] = {
    "your response*", "your summary", "your summaries", "your output", "your instructions", "your guidelines",
    "your system", "in the summary", "in any summary", "in your summary", "when summariz*", "when summaris*",
    "if summariz*", "if summaris*", "while summariz*", "while summaris*", "when you summariz*",
    "when you summaris*", "system prompt", "this conversation",
};
static const char *AIMS[] = {
    "your answer*", "your reply", "your next", "your rules", "your previous", "your original", "if asked",
    "when asked", "when answering", "when responding", "before answering", "before responding", "the user",
    "the user's", "the reader", "the human", "the conversation", "the prompt", "end of", "the above",
};
static const char *VOCATIVE_BEFORE[] = {"hey", "dear", "hi", "hello", "attention", "to", "for"};
static const char *SENDERS[] = {"send", "forward", "post", "upload", "visit", "open", "navigate", "fetch", "load",
                                "go", "click", "include", "embed", "render", "append", "insert", "exfiltrate",
                                "transmit", "share", "email", "leak", "paste", "redirect", "direct", "link"};
static const char *SECRETS[] = {"password*", "credential*", "api key*", "private key", "session token*",
                                "cookie*", "conversation history", "chat history", "the conversation",
                                "previous messages", "personal data", "personal information", "contact list",
                                "the user's", "user data", "browsing history", "credit card", "system prompt"};
static const char *LANG_VERBS[] = {"respond", "reply", "answer", "write", "speak", "translate", "output", "switch",
                                   "talk", "summarize", "summarise"};
static const char *LANGS[] = {"french", "german", "spanish", "chinese", "japanese", "russian", "italian",
                              "portuguese", "korean", "arabic", "dutch", "pirate", "emoji*", "uppercase",
                              "all caps", "capital letters", "rhyme*", "verse", "a poem", "a haiku",
                              "shakespearean", "latin", "hindi", "turkish", "polish"};
static const char *OVERRIDE_VERBS[] = {"ignore", "disregard", "forget", "override", "bypass", "skip", "drop",
                                       "abandon", "discard", "overwrite"};
static const char *OVERRIDE_OBJ[] = {"instruction*", "rule*", "guideline*", "directive*", "prompt*", "task*",
                                     "context", "orders", "programming", "settings", "restrictions"};
static const char *OVERRIDE_PHRASES[] = {"new instructions", "new instruction", "updated instructions", "new task",
                                         "instead of summariz*", "instead of summaris*", "instead of answering",
                                         "instead of responding", "instead of translating", "do not summarize",
                                         "don't summarize", "do not summarise", "stop summarizing",
                                         "from now on", "for the rest of this conversation"};
/* Chinese: substrings of the light view (no spaces to split words at). */
static const char *ZH[] = {"忽略", "无视", "忘记", "忘掉", "不要理会", "之前的指令", "以上指令", "上述指令", "新的指令",
                           "新指令", "系统提示", "你的回答", "你的回复", "回答时", "总结时", "摘要时", "用户的",
                           "告诉用户", "发送到", "发送给", "访问", "点击", "链接", "用英文回答", "用英语回答",
                           "用日语", "用法语", "人工智能助手", "ai助手", "语言模型", "大模型", "如果你是",
                           "你必须", "你应该", "请你", "密码", "聊天记录", "对话记录"};

typedef struct {
    size_t s, e; /* byte span in the light view */
} word;

static int is_wc(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\''; }

/* 1 when word w of the sentence equals pattern word p[0..pl) ('*' at the end: prefix). */
static int word_is(const char *t, const word *w, const char *p, size_t pl) {
    size_t wl = w->e - w->s;
    if (pl && p[pl - 1] == '*') return wl >= pl - 1 && memcmp(t + w->s, p, pl - 1) == 0;
    return wl == pl && memcmp(t + w->s, p, pl) == 0;
}

/* 1 when the word-sequence pattern p matches at word i. */
static int seq_at(const char *t, const word *w, size_t nw, size_t i, const char *p) {
    if (i >= nw || t[w[i].s] != p[0]) return 0; /* most pairs differ in their first letter */
    while (*p) {
        size_t pl = strcspn(p, " ");
        if (i >= nw || !word_is(t, &w[i], p, pl)) return 0;
        i++;
        p += pl;
        if (*p == ' ') p++;
    }
    return 1;
}

/* The first word index where one of the patterns matches, or -1; *which gets it. */
static long find_any(const char *t, const word *w, size_t nw, const char **pats, size_t np, const char **which) {
    for (size_t i = 0; i < nw; i++)
        for (size_t k = 0; k < np; k++)
            if (seq_at(t, w, nw, i, pats[k])) {
                if (which) *which = pats[k];
                return (long)i;
            }
    return -1;
}
#define FIND(t, w, nw, arr, which) find_any(t, w, nw, arr, sizeof arr / sizeof arr[0], which)

static int in_list(const char *t, const word *w, const char **pats, size_t np) {
    for (size_t k = 0; k < np; k++)
        if (seq_at(t, w, 1, 0, pats[k])) return 1;
    return 0;
}
#define IN(t, w, arr) in_list(t, w, arr, sizeof arr / sizeof arr[0])

/* The first imperative verb that opens a clause (after fillers and vocatives), or NULL.
 * A clause starts the sentence or follows ',', ':' or ';' (clause_start[i] set). */
static const char *imperative(const char *t, const word *w, size_t nw, const unsigned char *clause_start) {
    for (size_t i = 0; i < nw; i++) {
        if (!clause_start[i]) continue;
        size_t j = i;
        while (j < nw && j < i + 3 && IN(t, &w[j], SKIP)) j++;
        if (j < nw && IN(t, &w[j], IMPERATIVES)) {
            for (size_t k = 0; k < sizeof IMPERATIVES / sizeof IMPERATIVES[0]; k++)
                if (word_is(t, &w[j], IMPERATIVES[k], strlen(IMPERATIVES[k]))) return IMPERATIVES[k];
        }
    }
    return NULL;
}

/* 1 when the sentence holds a link or an e-mail address. */
static int has_link(const char *t, size_t s, size_t e) {
    for (size_t i = s; i < e; i++) {
        if (i + 4 <= e && (memcmp(t + i, "http", 4) == 0 || memcmp(t + i, "www.", 4) == 0)) return 1;
        if (t[i] == '@' && i > s && i + 1 < e && is_wc((unsigned char)t[i - 1]) && is_wc((unsigned char)t[i + 1]))
            return 1;
        if (i + 2 <= e && memcmp(t + i, "![", 2) == 0) return 1; /* a markdown image: fetched when rendered */
    }
    return 0;
}

/* An override: a verb that sets aside, then within four words what it sets aside. */
static int override(const char *t, const word *w, size_t nw) {
    if (FIND(t, w, nw, OVERRIDE_PHRASES, NULL) >= 0) return 1;
    for (size_t i = 0; i < nw; i++) {
        if (!IN(t, &w[i], OVERRIDE_VERBS)) continue;
        for (size_t j = i + 1; j < nw && j <= i + 5; j++)
            if (IN(t, &w[j], OVERRIDE_OBJ)) return 1;
    }
    return 0;
}

/* A verb of answering, then within six words a language or form. */
static int lang_change(const char *t, const word *w, size_t nw) {
    for (size_t i = 0; i < nw; i++) {
        if (!IN(t, &w[i], LANG_VERBS)) continue;
        for (size_t j = i + 1; j < nw && j <= i + 6; j++)
            if (FIND(t, w + j, 1 + (j + 1 < nw), LANGS, NULL) == 0) return 1;
    }
    return 0;
}

typedef struct {
    double score, addr; /* all features; the addressee's part of them */
    char why[DOC_EXPLAIN];
} judgement;

static void note(judgement *j, double wgt, const char *what) {
    j->score += wgt;
    size_t l = strlen(j->why);
    snprintf(j->why + l, sizeof j->why - l, "%s%s", l ? ", " : "", what);
}

/* Scores the Chinese features of sentence t[s..e). */
static void judge_zh(const char *t, size_t s, size_t e, judgement *j) {
    int found = 0;
    for (size_t k = 0; k < sizeof ZH / sizeof ZH[0] && found < 3; k++) {
        size_t pl = strlen(ZH[k]);
        for (size_t i = s; i + pl <= e; i++)
            if (memcmp(t + i, ZH[k], pl) == 0) {
                char w[48];
                snprintf(w, sizeof w, "zh '%s'", ZH[k]);
                note(j, W_ZH, w);
                found++;
                break;
            }
    }
}

/* 1 when word k (an AI's name) is called: it opens a clause and ',' or ':' follows it, or a
 * greeting ("hey", "dear", "note to") comes before it. */
static int vocative(const char *t, const word *w, const unsigned char *cs, size_t k, size_t s, size_t e) {
    size_t after = w[k].e;
    while (after < e && t[after] == ' ') after++;
    if (cs[k] && after < e && (t[after] == ',' || t[after] == ':')) return 1;
    (void)s;
    return k > 0 && IN(t, &w[k - 1], VOCATIVE_BEFORE);
}

/* Scores sentence t[s..e) of the light view. */
static void judge(const char *t, size_t s, size_t e, judgement *j) {
    word w[DOC_MAX_WORDS];
    unsigned char cs[DOC_MAX_WORDS];
    size_t nw = 0;
    int nonascii = 0, clause = 1;
    for (size_t i = s; i < e && nw < DOC_MAX_WORDS;) {
        unsigned char c = (unsigned char)t[i];
        if (c >= 0x80) nonascii = 1;
        if (c == ',' || c == ':' || c == ';' || c == '-' || c == '(' || c == '"') clause = 1;
        if (!is_wc(c)) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < e && is_wc((unsigned char)t[i])) i++;
        w[nw] = (word){a, i};
        cs[nw++] = (unsigned char)clause;
        clause = 0;
    }
    memset(j, 0, sizeof *j);
    const char *which = NULL;
    long k;
    if (FIND(t, w, nw, ADDR_STRONG, &which) >= 0) note(j, W_ADDR_STRONG, which);
    else if ((k = FIND(t, w, nw, ADDR_WEAK, &which)) >= 0) /* called by name: "Assistant, ...", "hey Copilot" */
        note(j, vocative(t, w, cs, (size_t)k, s, e) ? W_ADDR_STRONG : W_ADDR_WEAK, which);
    j->addr = j->score;
    const char *verb = imperative(t, w, nw, cs);
    if (verb) note(j, W_IMPER, verb);
    else if (FIND(t, w, nw, MODALS, &which) >= 0) note(j, W_MODAL, which);
    if (FIND(t, w, nw, READER, &which) >= 0) note(j, W_READER, which);
    else if (FIND(t, w, nw, AIMS, &which) >= 0) note(j, W_AIM, which);
    if (has_link(t, s, e) && FIND(t, w, nw, SENDERS, &which) >= 0) note(j, W_EXFIL, "link");
    if (FIND(t, w, nw, SECRETS, &which) >= 0) note(j, W_SECRET, which);
    if (lang_change(t, w, nw)) note(j, W_LANG, "answer's language or form");
    if (override(t, w, nw)) note(j, W_OVERRIDE, "sets instructions aside");
    if (nonascii) judge_zh(t, s, e, j);
}

static int sentence_end(const char *t, size_t i, size_t n, size_t *len) {
    unsigned char c = (unsigned char)t[i];
    *len = 1;
    if (c == '\n') return 1;
    if (c == '.' || c == '!' || c == '?') /* not 3.14, example.com, ![image](...) or ?q=x */
        return i + 1 >= n || t[i + 1] == ' ' || t[i + 1] == '\n' || t[i + 1] == '"' || t[i + 1] == '<';
    if (c == 0xE3 && i + 2 < n && (unsigned char)t[i + 1] == 0x80 && (unsigned char)t[i + 2] == 0x82) {
        *len = 3; /* 。 */
        return 1;
    }
    if (c == 0xEF && i + 2 < n && (unsigned char)t[i + 1] == 0xBC &&
        ((unsigned char)t[i + 2] == 0x81 || (unsigned char)t[i + 2] == 0x9F)) {
        *len = 3; /* ！ ？ (full-width forms, should NFKC have left them) */
        return 1;
    }
    return 0;
}

int gdocinstr_scan(const sw_guard_norm *n, sw_guard_verdict *v) {
    const sw_guard_view *lv = &n->light;
    const char *t = lv->s;
    size_t s = 0;
    for (size_t i = 0; i <= lv->len;) {
        size_t el = 1;
        int end = i == lv->len || sentence_end(t, i, lv->len, &el) || i - s >= DOC_MAX_SENT;
        if (!end) {
            i++;
            continue;
        }
        size_t e = i < lv->len ? i + el : i;
        if (e > s + 1) {
            judgement j;
            judge(t, s, i, &j);
            /* naming an AI is no instruction: something must be asked of it */
            if (j.score >= DOC_MIN_SCORE && j.score - j.addr >= W_IMPER) {
                size_t os, oe;
                gv_span(lv, s, i > s ? i : s + 1, &os, &oe);
                double sc = 0.6 + 0.1 * j.score;
                if (gf_add(v, "prompt_injection", "document_instruction", os, oe, sc > 0.99 ? 0.99 : sc,
                           SW_SRC_HEURISTIC, j.why) < 0)
                    return -1;
            }
        }
        s = e;
        i = e > i ? e : i + 1;
    }
    return 0;
}
