/* docinstr_cues.c - document mode in Chinese, Japanese and Russian: substrings of the light
 * view (no spaces to split words at; Cyrillic look-alikes already folded to Latin letters and
 * Japanese voicing marks stripped, so the cues are written as the light view has them).
 * Who is addressed, what is asked, what anchors it to an AI reader. */
#include "docinstr_int.h"

#include <stdio.h>
#include <string.h>

#define CUE_BEFORE 36 /* bytes before an AI noun where a marker of address is looked for */
#define CUE_AFTER 12  /* bytes after it where ':', ',' or a request makes it called */
#define CUE_NEAR 48   /* bytes between this document and its answer or summary */

typedef enum {
    C_NOUN,     /* an AI, a model, an assistant */
    C_TO,       /* before a noun: addressed to it ("致", "给", "如果你是", "для") */
    C_PROC,     /* before a noun: what reads or handles this ("处理本文档的AI", "要約するモテル") */
    C_ASK,      /* asks: "请", "必须", "ください", "должна" */
    C_OVERRIDE, /* sets earlier instructions aside */
    C_SELF,     /* this document */
    C_ANSWER,   /* an answer, a summary, a reply */
    C_READER,   /* the AI's own answer, the user it answers: "你的回答", "告诉用户" */
    C_SEND,     /* sends, opens, loads (with a link) */
    C_TOOL,     /* calls a tool */
    C_SECRET,   /* the user's data */
    C_LANG,     /* the answer's language */
    C_KINDS
} cue_kind;

typedef struct {
    const char *s;
    cue_kind k;
} cue;

static const cue CUES[] = {
    /* Chinese */
    {"人工智能", C_NOUN}, {"语言模型", C_NOUN}, {"大模型", C_NOUN}, {"模型", C_NOUN}, {"智能体", C_NOUN},
    {"机器人", C_NOUN}, {"助手", C_NOUN}, {"助理", C_NOUN}, {"致", C_TO}, {"给", C_TO}, {"如果你是", C_TO},
    {"作为", C_TO}, {"阅读", C_PROC}, {"处理", C_PROC}, {"总结", C_PROC}, {"读取", C_PROC}, {"解析", C_PROC},
    {"分析", C_PROC}, {"读到", C_PROC}, {"审阅", C_PROC}, {"请", C_ASK}, {"必须", C_ASK}, {"应当", C_ASK},
    {"应该", C_ASK}, {"须", C_ASK}, {"务必", C_ASK}, {"一定要", C_ASK}, {"不要", C_ASK}, {"都要", C_ASK},
    {"需要", C_ASK}, {"只能", C_ASK}, {"只用", C_ASK}, {"一律", C_ASK}, {"改为", C_ASK}, {"改用", C_ASK}, {"忽略", C_OVERRIDE}, {"无视", C_OVERRIDE}, {"忘记", C_OVERRIDE}, {"忘掉", C_OVERRIDE},
    {"不要理会", C_OVERRIDE}, {"之前的指令", C_OVERRIDE}, {"以上指令", C_OVERRIDE}, {"上述指令", C_OVERRIDE},
    {"先前的", C_OVERRIDE}, {"已失效", C_OVERRIDE}, {"新的指令", C_OVERRIDE}, {"系统消息", C_OVERRIDE},
    {"不要总结", C_OVERRIDE}, {"本文档", C_SELF}, {"本文件", C_SELF}, {"本页", C_SELF}, {"本文", C_SELF},
    {"这段", C_SELF}, {"这篇", C_SELF}, {"此文档", C_SELF}, {"该文档", C_SELF}, {"这份", C_SELF},
    {"摘要", C_ANSWER}, {"总结", C_ANSWER}, {"回答", C_ANSWER}, {"回复", C_ANSWER}, {"问题", C_ANSWER},
    {"你的回答", C_READER}, {"你的回复", C_READER}, {"回答时", C_READER}, {"回复时", C_READER},
    {"总结时", C_READER}, {"摘要时", C_READER}, {"回答末尾", C_READER}, {"告诉用户", C_READER},
    {"向用户", C_READER}, {"对用户", C_READER}, {"系统提示", C_READER}, {"发送", C_SEND}, {"访问", C_SEND},
    {"打开", C_SEND}, {"点击", C_SEND}, {"附上", C_SEND}, {"发给", C_SEND}, {"上传", C_SEND}, {"加载", C_SEND},
    {"调用", C_TOOL}, {"执行", C_TOOL}, {"聊天记录", C_SECRET}, {"对话记录", C_SECRET}, {"通讯录", C_SECRET},
    {"密码", C_SECRET}, {"用户数据", C_SECRET}, {"个人信息", C_SECRET}, {"用英文", C_LANG}, {"用英语", C_LANG},
    {"用日语", C_LANG}, {"用法语", C_LANG}, {"用德语", C_LANG}, {"使用日语", C_LANG}, {"使用英语", C_LANG},
    {"使用英文", C_LANG},
    /* Japanese (voicing marks stripped: モデル is モテル, ください is くたさい) */
    {"アシスタント", C_NOUN}, {"モテル", C_NOUN}, {"エーシェント", C_NOUN}, {"要約する", C_PROC},
    {"読む", C_PROC}, {"処理する", C_PROC}, {"読んている", C_PROC}, {"くたさい", C_ASK}, {"すること", C_ASK},
    {"必す", C_ASK}, {"せよ", C_ASK}, {"以前の指示", C_OVERRIDE}, {"指示を無視", C_OVERRIDE},
    {"無視して", C_OVERRIDE}, {"この文書", C_SELF}, {"このヘーシ", C_SELF}, {"要約", C_ANSWER},
    {"回答", C_ANSWER}, {"ハスワート", C_SECRET}, {"送信", C_SEND}, {"英語て", C_LANG},
    /* Russian (look-alike letters folded: модель is "moдeль") */
    {"ии", C_NOUN}, {"moдeль", C_NOUN}, {"accиcteht", C_NOUN}, {"heиpocetь", C_NOUN}, {"для", C_TO},
    {"чиtaющ", C_PROC}, {"oбpaбatыbaющ", C_PROC}, {"дoлжha", C_ASK}, {"дoлжeh", C_ASK}, {"дoлжhы", C_ASK},
    {"hyжho", C_ASK}, {"ckaжи", C_ASK}, {"cooбщи", C_ASK}, {"otbeчa", C_ASK}, {"otпpab", C_SEND},
    {"иrhopиpy", C_OVERRIDE}, {"пpeдыдyщиe иhctpykции", C_OVERRIDE}, {"эtot фaил", C_SELF},
    {"эtot дokymeht", C_SELF}, {"иctopию чata", C_SECRET}, {"пapoль", C_SECRET}, {"ha ahrлииckom", C_LANG},
};
#define N_CUES (sizeof CUES / sizeof CUES[0])

/* Where a cue was found: its first start and last start in the sentence. */
typedef struct {
    size_t first[C_KINDS], last[C_KINDS];
    int seen[C_KINDS];
    size_t noun_at[8], noun_len[8]; /* AI nouns ("ai" included), at most 8 */
    int n_nouns;
} cue_map;

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static void mark(cue_map *m, cue_kind k, size_t at, size_t len) {
    if (!m->seen[k] || at < m->first[k]) m->first[k] = at;
    if (!m->seen[k] || at > m->last[k]) m->last[k] = at;
    m->seen[k] = 1;
    if (k == C_NOUN && m->n_nouns < (int)(sizeof m->noun_at / sizeof m->noun_at[0])) {
        m->noun_at[m->n_nouns] = at;
        m->noun_len[m->n_nouns++] = len;
    }
}

/* Finds every cue in t[s..e); "ai" counts as an AI noun where no Latin letter touches it. */
static void map_cues(const char *t, size_t s, size_t e, cue_map *m) {
    memset(m, 0, sizeof *m);
    for (size_t i = s; i < e; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == 'a' && i + 1 < e && t[i + 1] == 'i' && (i == s || !is_alpha((unsigned char)t[i - 1])) &&
            (i + 2 >= e || !is_alpha((unsigned char)t[i + 2])))
            mark(m, C_NOUN, i, 2);
        if (c < 0xC0 || i + 1 >= e) continue; /* cues start at a lead byte of UTF-8 */
        for (size_t k = 0; k < N_CUES; k++) {
            const char *q = CUES[k].s;
            if ((unsigned char)q[0] != c || q[1] != t[i + 1]) continue;
            size_t l = strlen(q);
            if (i + l <= e && memcmp(t + i, q, l) == 0) mark(m, CUES[k].k, i, l);
        }
    }
}

/* 1 when a cue of kind k starts in t[a..b) and ends by e (the sentence's end). */
static int kind_in(const cue_map *m, const char *t, size_t a, size_t b, size_t e, cue_kind k) {
    if (!m->seen[k] || m->last[k] < a || m->first[k] >= b) return 0;
    for (size_t q = 0; q < N_CUES; q++) {
        if (CUES[q].k != k) continue;
        size_t l = strlen(CUES[q].s);
        for (size_t i = a; i < b && i + l <= e; i++)
            if (memcmp(t + i, CUES[q].s, l) == 0) return 1;
    }
    return 0;
}

/* 1 when the AI noun at byte at is addressed: a marker of address or what reads this
 * document before it, or ':' / ',' or a request right after it. */
static int noun_addressed(const cue_map *m, const char *t, size_t s, size_t e, size_t at, size_t len) {
    size_t a = at > s + CUE_BEFORE ? at - CUE_BEFORE : s;
    if (kind_in(m, t, a, at, e, C_TO) || kind_in(m, t, a, at, e, C_PROC)) return 1;
    size_t i = at + len;
    for (size_t k = i; k < e && k < i + CUE_AFTER; k++)
        if (t[k] == ':' || t[k] == ',' || (k + 3 <= e && memcmp(t + k, "\xe3\x80\x81", 3) == 0)) return 1; /* 、 */
    return kind_in(m, t, i, i + CUE_AFTER < e ? i + CUE_AFTER : e, e, C_ASK);
}

void gdoc_judge_cues(const char *t, size_t s, size_t e, gdoc_judgement *j) {
    cue_map m;
    map_cues(t, s, e, &m);
    for (int k = 0; k < m.n_nouns; k++)
        if (noun_addressed(&m, t, s, e, m.noun_at[k], m.noun_len[k])) {
            gdoc_addr(j, W_ADDR_STRONG, "an AI addressed (cue)");
            break;
        }
    if (m.n_nouns && j->addr < W_ADDR_WEAK) gdoc_addr(j, W_ADDR_WEAK, "an AI named (cue)");
    if (m.seen[C_ASK]) gdoc_note(j, W_ASK, 1, 0, "asks (cue)");
    if (m.seen[C_OVERRIDE]) gdoc_note(j, W_OVERRIDE, 1, 1, "sets instructions aside (cue)");
    if (m.seen[C_SELF] && m.seen[C_ANSWER] &&
        (m.first[C_ANSWER] > m.first[C_SELF] ? m.first[C_ANSWER] - m.first[C_SELF]
                                              : m.first[C_SELF] - m.first[C_ANSWER]) <= CUE_NEAR)
        gdoc_note(j, W_SELFREF, 0, 1, "the answer about this document (cue)");
    if (m.seen[C_READER]) gdoc_note(j, W_READER, 0, 1, "the AI's answer or user (cue)");
    if (m.seen[C_SEND] && gdoc_has_link(t, s, e)) gdoc_note(j, W_EXFIL, 0, 1, "a link to send to (cue)");
    if (m.seen[C_TOOL] && m.seen[C_ASK]) gdoc_note(j, W_TOOL, 0, 1, "a tool to call (cue)");
    if (m.seen[C_SECRET]) gdoc_note(j, W_SECRET, 0, 0, "the user's data (cue)");
    if (m.seen[C_LANG]) gdoc_note(j, W_LANG, 0, 0, "the answer's language (cue)");
}
