/* docinstr.c - document mode: instructions addressed to an AI reader inside third-party
 * text (an e-mail, a web page, a table, code, a log), which should carry none. Each
 * sentence of the light view is judged from features (docinstr_int.h): who it addresses
 * (an AI named and called, described by what it does with this document, "whoever is
 * summarising this"), what it asks (an imperative, "you must", a prescription of what is
 * said), and what ties the request to an AI reader (the answer or summary of this very
 * document, "the correct reply is", a link to send data to, a tool call, instructions set
 * aside). English, German, French, Spanish, Italian and Portuguese here, as words;
 * Chinese, Japanese and Russian in docinstr_cues.c. The policy decides what a finding costs. */
#include "docinstr_int.h"
#include "guard_int.h"

#include <stdio.h>
#include <string.h>

#define DOC_MAX_SENT 600  /* a longer run without a sentence end is judged in pieces */
#define DOC_MAX_WORDS 128 /* words of a sentence considered */
#define DOC_WRAP_MIN 40   /* a line at least this long that runs on in lower case was wrapped */
#define NEAR_AFTER 4      /* words after an AI noun where what it does or must do is looked for */
#define NEAR_BEFORE 3     /* words before it where a greeting or "if you are" is looked for */
#define SELF_SPAN 6       /* words between an answer and "this document" */

/* Word-sequence patterns over the ASCII words of a sentence (accents are stripped in the
 * light view): words separated by one space; a trailing '*' matches any word with that prefix. */
/* AI nouns that name a machine whatever surrounds them */
static const char *AI_SURE[] = {
    "ai", "ki", "ia", "llm", "llms", "chatbot*", "chatgpt", "gpt*", "claude", "gemini", "copilot", "summarizer*",
    "summariser*", "language model*", "sprachmodell*", "modele de langage", "modeles de langage",
    "modelo de lenguaje", "modelos de lenguaje", "modelo de linguagem", "modello linguistico", "modelli linguistici",
    "crawler*", "intelligence artificielle", "kunstliche intelligenz", "inteligencia artificial",
    "intelligenza artificiale", "chatgpt's",
};
/* nouns that name a machine or a person: a machine when qualified ("automated agent") */
static const char *AI_AMBIG[] = {
    "assistant", "assistants", "assistent", "assistenten", "asistente", "asistentes", "assistente", "assistenti",
    "model", "models", "modell", "modelle", "modele", "modelo", "modello", "bot", "bots", "agent", "agents",
    "agente", "agentes", "agenti", "system", "systems", "systeme", "sistema", "tool", "tools", "outil", "outils",
    "herramienta", "reader", "readers", "program", "software", "machine", "machines", "robot", "robots",
};
static const char *PREMOD[] = {
    "ai", "ki", "ia", "automated", "automatic", "autonomous", "virtual", "digital", "machine", "llm", "gpt*",
    "language", "smart", "intelligent", "generative", "reading", "answering", "automatisiert*", "automatisch*",
    "automatique*", "automatic*", "automatizad*", "automatizzat*", "virtuel*", "kunstlich*", "any", "every",
    "whatever", "jede*", "cualquier", "qualsiasi", "qualquer",
};
/* what the reader does with this document: an AI noun followed by one is described as its reader */
static const char *PROC[] = {
    "reading", "reads", "read", "processing", "processes", "parsing", "parses", "ingesting", "ingests",
    "summarizing", "summarising", "summarizes", "summarises", "condensing", "condenses", "handling", "handles",
    "analyzing", "analysing", "analyzes", "analyses", "crawling", "crawls", "scraping", "scrapes", "indexing",
    "consuming", "consumes", "generating", "generates", "answering", "responding", "reviewing", "screening",
    "evaluating", "translating", "receiving", "receives", "sees", "seeing", "liest", "verarbeitet", "lit",
    "lisant", "traite", "lee", "leyendo", "procesa", "legge", "leggendo", "elabora", "lendo", "processa", "lesen",
    "verarbeiten", "lisent", "traitent", "leen", "procesan", "leggono", "leem", "processam",
};
/* before an AI noun: it is called ("note to the AI", "hey Copilot", "für KI-Assistenten") */
static const char *GREET[] = {"hey", "dear", "hi", "hello", "attention", "to", "for", "note", "message", "notice",
                              "instruction", "instructions", "an", "fur", "a", "pour", "para", "per", "al", "alla",
                              "aux", "au", "ai", "hinweis", "nachricht", "nota", "aviso"};
/* greetings proper: a comma after the noun suffices ("hey assistant, ", "note to the AI,");
 * after a bare "to" or "for" only ':' does ("thanks to AI, ..." calls nobody) */
static const char *HELLO[] = {"hey", "dear", "hi", "hello", "attention", "note to", "note for", "message to",
                              "message for", "notice to", "notice for", "instruction for", "instructions for",
                              "instructions to", "reminder for", "reminder to", "ps to", "ps for", "p s for",
                              "hinweis fur", "nachricht an", "note pour", "message pour", "aviso para",
                              "nota para", "mensaje para", "nota per", "messaggio per"};
/* may come between the start of a clause and a noun that is called */
static const char *DETS[] = {"the", "o", "you", "any", "all", "my", "our"};
/* before an AI noun: the reader is told what it is */
static const char *YOU_ARE[] = {"if you are", "you are", "as an", "as a", "you the", "si tu es", "si vous etes",
                                "si eres", "falls du", "wenn du", "se sei", "se voce e", "si usted es"};
/* someone described only by what they do with this document */
static const char *WHOEVER[] = {"whoever", "whatever", "anyone", "anybody", "anything", "wer", "quiconque",
                                "quienquiera", "chiunque", "quem"};
/* a prescription after its subject; any verb may follow */
static const char *MODAL_SUBJ[] = {
    "must", "should", "shall", "needs to", "need to", "has to", "have to", "is to", "are to", "is required",
    "are required", "is expected", "are expected", "will", "ought", "is instructed", "are instructed", "muss",
    "mussen", "soll", "sollen", "sollte", "doit", "doivent", "devra", "debe", "deben", "tiene que", "deve",
    "devono", "precisa", "devem",
};
/* "you must ...": the reader is told what to do */
static const char *MODALS_YOU[] = {"you must", "you should", "you need to", "you are to", "you will now", "you have to",
                                   "you are required", "you are instructed", "you shall", "make sure you", "be sure to",
                                   "make sure to", "you will respond", "you will reply", "you will answer",
                                   "it is essential that", "it is important that", "it is crucial that",
                                   "it is vital that", "it is mandatory that", "you are now", "du musst",
                                   "tu dois", "vous devez", "debes", "devi"};
/* verbs of what an answer says or an agent does: "must say", "are required to open" */
static const char *CONTENT_VERBS[] = {
    "say", "state", "mention", "include", "contain", "describe", "claim", "report", "begin", "start", "end",
    "recommend", "conclude", "call", "rate", "praise", "answer", "respond", "reply", "open", "fetch", "visit",
    "load", "tell", "warn", "ask", "inform", "append", "add", "render", "send", "forward", "upload", "post",
    "run", "execute", "invoke", "follow", "ignore", "disregard", "forget", "output", "print", "reveal",
    "display", "show", "write", "translate", "switch", "speak", "refer", "redirect", "direct", "link",
    "advise", "present", "list", "return", "navigate", "click", "download", "omit", "avoid", "read", "use",
    "emphasize", "emphasise", "highlight", "treat", "insist", "explain", "note", "declare", "assert",
};
static const char *ADVERBS[] = {"not", "never", "always", "also", "only", "clearly", "first", "immediately",
                                "then", "explicitly", "now", "be", "to", "just", "instead"};
static const char *IMPERATIVES[] = {
    "ignore", "disregard", "forget", "override", "bypass", "write", "compose", "visit", "open", "navigate",
    "go", "browse", "fetch", "load", "click", "send", "forward", "email", "post", "upload", "share", "leak",
    "include", "insert", "append", "prepend", "embed", "add", "mention", "recommend", "promote", "say",
    "tell", "inform", "reply", "respond", "answer", "translate", "switch", "change", "output", "print",
    "reveal", "repeat", "disclose", "display", "show", "describe", "summarize", "summarise", "begin",
    "start", "end", "stop", "replace", "rewrite", "render", "call", "execute", "run", "delete", "transfer",
    "approve", "rate", "rank", "classify", "mark", "praise", "state", "claim", "treat", "pretend", "act",
    "do", "don't", "never", "always", "make", "use", "report", "conclude", "warn", "ask", "notify", "invoke",
    "follow", "attach", "omit", "avoid", "refuse", "decline", "redirect", "provide", "give", "put", "place",
    /* German, French, Spanish, Italian, Portuguese */
    "ignoriere", "vergiss", "antworte", "sende", "schicke", "rufe", "offne", "schreibe", "sag", "sage", "schickt",
    "sendet", "ignoriert", "antwortet", "vergesst",
    "oublie", "oubliez", "ignorez", "envoie", "envoyez", "reponds", "repondez", "ecris", "dis", "ouvre",
    "affiche", "ignora", "olvida", "responde", "envia", "abre", "escribe", "di", "dile", "dimentica", "rispondi",
    "invia", "apri", "scrivi", "esqueca", "responda", "abra", "diga", "escreva", "repondre", "envoyer",
};
static const char *SKIP[] = {"please", "now", "also", "then", "kindly", "just", "immediately", "first", "instead",
                             "and", "important", "note", "attention", "urgent", "additionally", "finally", "so",
                             "ok", "okay", "actually", "hey", "dear", "hi", "hello", "ai", "assistant", "system",
                             "instruction", "instructions", "nb", "ps", "p", "bitte", "por", "favor", "per",
                             "merci", "de", "veuillez", "s'il", "vous", "plait"};
static const char *READER[] = {
    "your response*", "your summary", "your summaries", "your output", "your instructions", "your guidelines",
    "your system prompt", "your system message", "your system instructions", "in the summary", "in any summary", "in your summary", "when summariz*", "when summaris*",
    "if summariz*", "if summaris*", "while summariz*", "while summaris*", "when you summariz*",
    "when you summaris*", "system prompt", "this conversation", "your reply", "your replies", "your answer*",
    "deine antwort", "ta reponse", "votre reponse", "tu respuesta", "la tua risposta", "sua resposta",
};
static const char *AIMS[] = {"your next", "your rules", "your previous", "your original", "if asked", "when asked",
                             "when answering", "when responding", "before answering", "before responding",
                             "the user", "the user's", "the reader", "the human", "the conversation", "the prompt",
                             "end of", "the above", "the reply", "the response", "the answer", "dem nutzer",
                             "l'utilisateur", "utilisateur", "al usuario", "el usuario", "all'utente", "utente",
                             "ao usuario", "o usuario", "den nutzer", "der nutzer"};
/* an answer, a summary, a question, and this document (what the document says of its own answer) */
static const char *ANSWER_WORDS[] = {
    "summary", "summaries", "summarization", "summarisation", "answer", "answers", "response", "responses",
    "reply", "replies", "output", "outputs", "abstract", "overview", "description", "translation", "question",
    "questions", "asked", "answering", "responding", "summarizing", "summarising", "replying", "describing",
    "zusammenfassung", "antwort", "antworten", "resume", "reponse", "reponses", "resumen", "respuesta",
    "respuestas", "riassunto", "risposta", "resumo", "resposta",
};
static const char *THIS[] = {"this", "these", "the above", "the following", "dieser", "diese", "dieses", "ce",
                             "cette", "ces", "este", "esta", "estos", "questo", "questa", "deste", "desta"};
static const char *DOC_NOUNS[] = {
    "document*", "doc", "docs", "page", "pages", "file", "files", "text", "email", "e", "mail", "message*",
    "thread", "log", "logs", "export", "record*", "data", "dataset", "table", "sheet", "spreadsheet", "listing",
    "transcript", "chat", "review", "article", "post", "paper", "report", "pdf", "content", "webpage", "site",
    "website", "ticket", "dump", "code", "repository", "repo", "section", "note", "invoice", "entry", "row",
    "comment", "conversation", "seite", "datei", "dokument", "artikel", "fichier", "texte", "courriel", "pagina",
    "archivo", "documento", "texto", "correo", "testo", "arquivo",
};
/* just before "this document": what the answer is about (not "reply to this e-mail") */
static const char *ABOUT[] = {"about", "of", "on", "regarding", "concerning", "from", "use", "using", "in", "for",
                              "uber", "zu", "sur", "de", "du", "des", "sobre", "di", "su", "do", "da", "con"};
static const char *FRAME[] = {"the correct", "the right", "the only", "the proper", "the expected", "the official",
                              "the appropriate", "the acceptable", "the required", "the preferred", "the true"};
static const char *SENDERS[] = {"send", "forward", "post", "upload", "visit", "open", "navigate", "fetch", "load",
                                "go", "click", "include", "embed", "render", "append", "insert", "exfiltrate",
                                "transmit", "share", "email", "leak", "paste", "redirect", "direct", "link", "add",
                                "attach", "request", "ping", "display", "show", "put", "place", "call"};
static const char *SECRETS[] = {"password*", "credential*", "api key*", "private key", "session token*",
                                "cookie*", "conversation history", "chat history", "the conversation",
                                "previous messages", "personal data", "personal information", "contact list",
                                "contacts", "the user's", "user data", "browsing history", "credit card",
                                "card number", "cvv", "system prompt", "chatverlauf", "l'historique",
                                "historique", "passwort", "contrasena", "cronologia"};
static const char *LANG_VERBS[] = {"respond", "reply", "answer", "write", "speak", "translate", "output", "switch",
                                   "talk", "summarize", "summarise", "antworte", "antworten", "reponds", "repondez",
                                   "repondre", "responde", "responder", "rispondi", "rispondere", "responda",
                                   "schreibe", "ecris", "escribe", "scrivi", "escreva", "answers", "replies"};
static const char *LANGS[] = {
    "french", "german", "spanish", "chinese", "japanese", "russian", "italian", "portuguese", "korean", "arabic",
    "dutch", "pirate", "emoji*", "uppercase", "all caps", "capital letters", "rhyme*", "verse", "a poem",
    "a haiku", "shakespearean", "latin", "hindi", "turkish", "polish", "swedish", "greek", "hebrew", "english",
    "englisch", "italienisch", "franzosisch", "spanisch", "anglais", "allemand", "espagnol", "italien", "ingles",
    "aleman", "frances", "italiano", "inglese", "tedesco", "francese", "spagnolo", "alemao",
};
static const char *OVERRIDE_VERBS[] = {"ignore", "disregard", "forget", "override", "bypass", "skip", "drop",
                                       "abandon", "discard", "overwrite", "ignoriere", "ignorieren", "vergiss",
                                       "oublie", "oubliez", "ignorez", "ignora", "ignorar", "olvida", "dimentica",
                                       "esqueca", "esquece"};
static const char *OVERRIDE_OBJ[] = {"instruction*", "rule*", "guideline*", "directive*", "prompt*", "task*",
                                     "context", "orders", "programming", "settings", "restrictions", "anweisung*",
                                     "vorgaben", "regeln", "consignes", "regles", "instruccion*", "reglas",
                                     "istruzion*", "regole", "instruco*", "regras"};
static const char *OVERRIDE_PHRASES[] = {
    "instead of summariz*",
    "instead of summaris*", "instead of answering", "instead of responding", "instead of translating",
    "do not summarize", "don't summarize", "do not summarise", "stop summarizing", "prior directives",
    "previous directives",
};
/* for good: people say it too, so it only adds to what else the sentence has */
static const char *PERSIST[] = {"from now on", "for the rest of this conversation", "ab jetzt", "von nun an",
                                "a partir de maintenant", "desormais", "a partir de ahora", "d'ora in poi",
                                "a partir de agora", "de ahora en adelante"};
/* "l'assistant", "all'utente": the article is not part of the word */
static const char *ELISIONS[] = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "all", "dell", "nell", "sull", "dall"};

typedef struct {
    size_t s, e; /* byte span in the light view */
} word;

/* A sentence split into words: cs[i] set where word i opens a clause; after[i] is the
 * first character after word i that is not a space (0 at the end). */
typedef struct {
    const char *t;
    word w[DOC_MAX_WORDS];
    unsigned char cs[DOC_MAX_WORDS];
    char after[DOC_MAX_WORDS];
    size_t nw, s, e;
} sent;

static int is_wc(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\''; }

/* 1 when word w equals pattern word p[0..pl) ('*' at the end: prefix). */
static int word_is(const char *t, const word *w, const char *p, size_t pl) {
    size_t wl = w->e - w->s;
    if (pl && p[pl - 1] == '*') return wl >= pl - 1 && memcmp(t + w->s, p, pl - 1) == 0;
    return wl == pl && memcmp(t + w->s, p, pl) == 0;
}

/* 1 when the word-sequence pattern p matches at word i. */
static int seq_at(const sent *x, size_t i, const char *p) {
    if (i >= x->nw || x->t[x->w[i].s] != p[0]) return 0; /* most pairs differ in their first letter */
    while (*p) {
        size_t pl = strcspn(p, " ");
        if (i >= x->nw || !word_is(x->t, &x->w[i], p, pl)) return 0;
        i++;
        p += pl;
        if (*p == ' ') p++;
    }
    return 1;
}

/* The number of words pattern p covers. */
static size_t seq_len(const char *p) {
    size_t n = 1;
    for (; *p; p++) n += *p == ' ';
    return n;
}

/* The first word index in [from, to) where one of the patterns matches, or -1; *which gets
 * the pattern. */
static long find_in(const sent *x, size_t from, size_t to, const char **pats, size_t np, const char **which) {
    for (size_t i = from; i < to && i < x->nw; i++)
        for (size_t k = 0; k < np; k++)
            if (seq_at(x, i, pats[k])) {
                if (which) *which = pats[k];
                return (long)i;
            }
    return -1;
}
#define N_OF(arr) (sizeof arr / sizeof arr[0])
#define FIND(x, arr, which) find_in(x, 0, (x)->nw, arr, N_OF(arr), which)
#define FIND_IN(x, a, b, arr, which) find_in(x, a, b, arr, N_OF(arr), which)
#define IS(x, i, arr) (FIND_IN(x, i, (i) + 1, arr, NULL) >= 0)

/* Splits t[s..e) into words, an elided article cut off ("l'ia" is "ia"). */
static void split_words(const char *t, size_t s, size_t e, sent *x) {
    int clause = 1;
    x->t = t, x->s = s, x->e = e, x->nw = 0;
    for (size_t i = s; i < e && x->nw < DOC_MAX_WORDS;) {
        unsigned char c = (unsigned char)t[i];
        if (strchr(",:;-(\"[]|>#*/=", c) && c) clause = 1; /* also a table cell, a tag, a comment */
        if (!is_wc(c)) {
            if (x->nw && !x->after[x->nw - 1] && c != ' ') x->after[x->nw - 1] = (char)c;
            i++;
            continue;
        }
        size_t a = i;
        while (i < e && is_wc((unsigned char)t[i])) i++;
        for (size_t k = 0; k < N_OF(ELISIONS); k++) {
            size_t l = strlen(ELISIONS[k]);
            if (a + l + 2 < i && t[a + l] == '\'' && memcmp(t + a, ELISIONS[k], l) == 0) {
                a += l + 1;
                break;
            }
        }
        x->w[x->nw] = (word){a, i};
        x->after[x->nw] = 0;
        x->cs[x->nw++] = (unsigned char)clause;
        clause = 0;
    }
}

/* The first imperative verb that opens a clause (after fillers and vocatives), or NULL. */
static const char *imperative(const sent *x) {
    for (size_t i = 0; i < x->nw; i++) {
        if (!x->cs[i]) continue;
        size_t j = i;
        while (j < x->nw && j < i + 3 && IS(x, j, SKIP)) j++;
        const char *which = NULL;
        if (j < x->nw && FIND_IN(x, j, j + 1, IMPERATIVES, &which) >= 0) return which;
    }
    return NULL;
}

/* 1 when a verb of CONTENT_VERBS follows word i within three words (adverbs skipped). */
static int content_verb_after(const sent *x, size_t i) {
    for (size_t j = i; j < x->nw && j < i + 4; j++) {
        if (IS(x, j, CONTENT_VERBS)) return 1;
        if (!IS(x, j, ADVERBS)) return 0;
    }
    return 0;
}

/* A prescription: "you must ...", or a modal followed by a verb of what is said or done. */
static const char *prescription(const sent *x) {
    const char *which = NULL;
    if (FIND(x, MODALS_YOU, &which) >= 0) return which;
    for (size_t i = 0; i < x->nw; i++) {
        if (FIND_IN(x, i, i + 1, MODAL_SUBJ, &which) < 0) continue;
        if (content_verb_after(x, i + seq_len(which))) return which;
    }
    return NULL;
}

static const char *DEIXIS[] = {"this", "these", "the following", "ceci", "cela", "ce", "cette", "diese*",
                               "dieser", "hier", "here", "esto", "este", "esta", "questo", "questa", "isto",
                               "deste", "desta"};

/* 1 when a word of PROC comes within NEAR_AFTER words from word i and this document is
 * named near it ("the bot handling this ticket", "der Assistent, der diese Datei liest"). */
static int reads_this(const sent *x, size_t i) {
    long p = FIND_IN(x, i, i + NEAR_AFTER, PROC, NULL);
    return p >= 0 && FIND_IN(x, i, (size_t)p + NEAR_AFTER, DEIXIS, NULL) >= 0;
}

/* 1 when one of the words [a, b) is in the list (a clipped at 0). */
static int any_in(const sent *x, long a, size_t b, const char **pats, size_t np) {
    return find_in(x, a < 0 ? 0 : (size_t)a, b, pats, np, NULL) >= 0;
}

/* 1 when a word of GREET in [a, k) opens its clause or follows another ("P.S. for the
 * model:", "note to the AI:"; not "here is a model:"). */
static int greeted(const sent *x, long a, size_t k) {
    for (size_t b = a < 0 ? 0 : (size_t)a; b < k; b++)
        if (IS(x, b, GREET) && (x->cs[b] || (b > 0 && IS(x, b - 1, GREET)))) return 1;
    return 0;
}

/* The weight of the addressee named by the AI noun at words [k, k+n) (sure: it names a
 * machine): described by what it does with this document, told what it is ("if you are an
 * AI"), called after a greeting ("note to the model:") or at a clause's start ("Copilot,
 * ..."); a speaker's label ("AI: ...") counts less, a mention least. */
static double addressed(const sent *x, size_t k, size_t n, int sure) {
    size_t end = k + n;
    long kb = (long)k - NEAR_BEFORE;
    if (!sure && any_in(x, (long)k - 2, k, PREMOD, N_OF(PREMOD))) sure = 1;
    double called = sure ? W_ADDR_STRONG : W_ADDR_MEDIUM;
    if (reads_this(x, end)) return called;
    if (any_in(x, (long)k - 5, k, YOU_ARE, N_OF(YOU_ARE))) return W_ADDR_STRONG;
    char a = x->after[end - 1];
    int colon = a == ':' || a == ']' || a == '-';
    if (colon && greeted(x, kb, k)) return W_ADDR_STRONG;
    if ((colon || a == ',') && any_in(x, (long)k - 5, k, HELLO, N_OF(HELLO))) return W_ADDR_STRONG;
    /* the noun opens its clause, after a determiner or a qualifier at most ("AI assistant, ...") */
    int opens = x->cs[k];
    for (size_t b = k; !opens && b > 0 && b + 2 >= k; b--)
        opens = x->cs[b - 1] && (IS(x, b - 1, DETS) || IS(x, b - 1, PREMOD));
    if (opens && a == ',') return called;
    if (opens && colon) return sure ? W_ADDR_MEDIUM : 0; /* "AI: ..." may be a speaker's label */
    return sure ? W_ADDR_WEAK : 0;
}

/* Scores the strongest addressee of the sentence. */
static void judge_addressee(const sent *x, gdoc_judgement *j) {
    double best = 0;
    const char *who = NULL, *which = NULL;
    for (size_t i = 0; i < x->nw; i++) {
        double w = 0;
        if (FIND_IN(x, i, i + 1, AI_SURE, &which) >= 0) w = addressed(x, i, seq_len(which), 1);
        else if (FIND_IN(x, i, i + 1, AI_AMBIG, &which) >= 0) w = addressed(x, i, 1, 0);
        else if (FIND_IN(x, i, i + 1, WHOEVER, &which) >= 0 && reads_this(x, i + 1)) w = W_ADDR_STRONG;
        if (w > best) best = w, who = which;
    }
    if (best > 0) gdoc_addr(j, best, who);
}

/* An override: a verb that sets aside, then within five words what it sets aside;
 * instructions declared void; "new instructions:" announcing others. */
static int override(const sent *x) {
    static const char *VOID[] = {"void", "cancelled", "canceled", "lifted", "obsolete", "invalid", "revoked",
                                 "superseded", "ungultig", "caduques", "nulas", "annullate"};
    static const char *NEW[] = {"new instructions", "new instruction", "updated instructions", "new task",
                                "new rules", "neue anweisungen", "nouvelles instructions", "nuevas instrucciones"};
    static const char *PRIOR[] = {"previous", "prior", "earlier", "above", "all", "original", "former", "your",
                                  "system", "old", "existing", "bisherigen", "vorherigen", "precedentes",
                                  "anteriores", "precedenti"};
    const char *which = NULL;
    if (FIND(x, OVERRIDE_PHRASES, NULL) >= 0) return 1;
    long k = FIND(x, NEW, &which);
    if (k >= 0 && x->after[(size_t)k + seq_len(which) - 1] == ':') return 1;
    for (size_t i = 0; i < x->nw; i++) {
        if (IS(x, i, OVERRIDE_VERBS) && FIND_IN(x, i + 1, i + 6, OVERRIDE_OBJ, NULL) >= 0) return 1;
        if (i > 0 && IS(x, i - 1, PRIOR) && IS(x, i, OVERRIDE_OBJ) && FIND_IN(x, i + 1, i + 5, VOID, NULL) >= 0)
            return 1;
    }
    return 0;
}

/* A verb of answering, then within six words a language or form. */
static int lang_change(const sent *x) {
    for (size_t i = 0; i < x->nw; i++)
        if (IS(x, i, LANG_VERBS) && FIND_IN(x, i + 1, i + 7, LANGS, NULL) >= 0) return 1;
    return 0;
}

/* The answer about this very document: an answer word, then "about|of|on|from this
 * <document>" within SELF_SPAN words ("any summary of this page", "when asked about this
 * file"; not "reply to this e-mail", which people do). */
static int self_reference(const sent *x) {
    for (size_t i = 0; i < x->nw; i++) {
        if (!IS(x, i, ANSWER_WORDS)) continue;
        long d = FIND_IN(x, i + 1, i + 1 + SELF_SPAN, THIS, NULL);
        if (d >= 0 && IS(x, (size_t)d - 1, ABOUT) && FIND_IN(x, (size_t)d + 1, (size_t)d + 4, DOC_NOUNS, NULL) >= 0)
            return 1;
    }
    return 0;
}

/* "the correct reply", "the only acceptable answer": what the answer is to be; 2 when it is
 * the answer to this very document ("the correct reply to this message is"), 1 otherwise
 * (an answer key says "the correct answer is B"), 0 when there is no such frame. */
static int answer_frame(const sent *x) {
    for (size_t i = 0; i < x->nw; i++) {
        long w = FIND_IN(x, i, i + 1, FRAME, NULL) >= 0 ? FIND_IN(x, i + 2, i + 4, ANSWER_WORDS, NULL) : -1;
        if (w >= 0) return FIND_IN(x, (size_t)w + 1, (size_t)w + 5, DEIXIS, NULL) >= 0 ? 2 : 1;
    }
    return 0;
}

/* A tool or function call: an identifier with '_' before '(', a piped shell, "call the X
 * tool". */
static int tool_call(const sent *x) {
    const char *t = x->t;
    for (size_t i = x->s; i + 1 < x->e; i++) {
        if (t[i] == '(' && i > x->s && t[i - 1] != ' ') {
            size_t b = i;
            while (b > x->s && (is_wc((unsigned char)t[b - 1]) || t[b - 1] == '_')) b--;
            if (memchr(t + b, '_', i - b)) return 1;
        }
        if (t[i] == '|' && i + 4 <= x->e && (memcmp(t + i, "| sh", 4) == 0 || memcmp(t + i, "| bash", 4) == 0))
            return 1;
    }
    static const char *TOOLS[] = {"tool", "tools", "function", "plugin", "api", "action"};
    static const char *CALLS[] = {"call", "invoke", "use", "trigger", "run", "execute"};
    for (size_t i = 0; i < x->nw; i++)
        if (IS(x, i, TOOLS) && any_in(x, (long)i - 3, i, CALLS, N_OF(CALLS))) return 1;
    return 0;
}

/* 1 when a URL in t[s..e) carries what looks like the user's data in its query. */
static int data_in_url(const char *t, size_t s, size_t e) {
    static const char *DATA[] = {"[", "{", "user", "chat", "history", "session", "email", "conversation",
                                 "message", "prompt", "secret", "token", "data"};
    for (size_t i = s; i < e; i++) {
        if (t[i] != '?' && t[i] != '=') continue;
        for (size_t k = i + 1; k < e && k < i + 32 && t[k] != ' '; k++)
            for (size_t d = 0; d < N_OF(DATA); d++)
                if (k + strlen(DATA[d]) <= e && memcmp(t + k, DATA[d], strlen(DATA[d])) == 0) return 1;
    }
    return 0;
}

void gdoc_note(gdoc_judgement *j, double w, int ask, int anchor, const char *what) {
    j->score += w;
    j->ask |= ask;
    j->anchor |= anchor;
    size_t l = strlen(j->why);
    snprintf(j->why + l, sizeof j->why - l, "%s%s", l ? ", " : "", what);
}

void gdoc_addr(gdoc_judgement *j, double w, const char *what) {
    if (w <= j->addr) return;
    char b[64];
    snprintf(b, sizeof b, "%s '%s'", w >= W_ADDR_MEDIUM ? "addressed" : "named", what);
    gdoc_note(j, w - j->addr, 0, w >= W_ADDR_MEDIUM, b);
    j->addr = w;
}

int gdoc_has_link(const char *t, size_t s, size_t e) {
    for (size_t i = s; i < e; i++) {
        if (i + 4 <= e && (memcmp(t + i, "http", 4) == 0 || memcmp(t + i, "www.", 4) == 0)) return 1;
        if (t[i] == '@' && i > s && i + 1 < e && is_wc((unsigned char)t[i - 1]) && is_wc((unsigned char)t[i + 1]))
            return 1;
        if (i + 2 <= e && memcmp(t + i, "![", 2) == 0) return 1; /* a markdown image: fetched when rendered */
        if (t[i] == '.' && i > s && is_wc((unsigned char)t[i - 1])) { /* host.tld/path */
            size_t k = i + 1;
            while (k < e && t[k] >= 'a' && t[k] <= 'z') k++;
            if (k - i >= 3 && k < e && t[k] == '/') return 1;
        }
    }
    return 0;
}

/* Scores what sentence x asks and what it aims at. */
static void judge_request(const sent *x, gdoc_judgement *j) {
    const char *which = NULL;
    const char *verb = imperative(x);
    if (verb) gdoc_note(j, W_ASK, 1, 0, verb);
    else if ((verb = prescription(x))) gdoc_note(j, W_ASK, 1, 0, verb);
    if (FIND(x, READER, &which) >= 0) gdoc_note(j, W_READER, 0, 1, which);
    else if (FIND(x, AIMS, &which) >= 0) gdoc_note(j, W_AIM, 0, 0, which);
    if (self_reference(x)) gdoc_note(j, W_SELFREF, 0, 1, "the answer about this document");
    int frame = answer_frame(x);
    if (frame) gdoc_note(j, frame == 2 ? W_FRAME : W_ASK, 1, frame == 2, "what the answer is to be");
    int link = gdoc_has_link(x->t, x->s, x->e);
    if (link && (FIND(x, SENDERS, NULL) >= 0 || data_in_url(x->t, x->s, x->e)))
        gdoc_note(j, W_EXFIL, 0, 1, "link");
    if (tool_call(x)) gdoc_note(j, W_TOOL, 0, 1, "a tool call");
    if (FIND(x, SECRETS, &which) >= 0) gdoc_note(j, W_SECRET, 0, 0, which);
    if (lang_change(x)) gdoc_note(j, W_LANG, 0, 0, "answer's language or form");
    if (FIND(x, PERSIST, &which) >= 0) gdoc_note(j, W_ASK, 0, 0, which);
    if (override(x)) gdoc_note(j, W_OVERRIDE, 1, 1, "sets instructions aside");
}

/* Scores sentence t[s..e) of the light view. */
static void judge(const char *t, size_t s, size_t e, gdoc_judgement *j) {
    sent x;
    split_words(t, s, e, &x);
    memset(j, 0, sizeof *j);
    judge_addressee(&x, j);
    judge_request(&x, j);
    for (size_t i = s; i < e; i++)
        if ((unsigned char)t[i] >= 0x80) {
            gdoc_judge_cues(t, s, e, j);
            break;
        }
}

/* 1 when the newline at i ends a line wrapped inside a sentence (PDF text, hard-wrapped
 * prose): the line is DOC_WRAP_MIN bytes or longer, ends in a letter, digit or comma, and
 * the next begins with a letter. */
static int wrapped(const char *t, size_t i, size_t n) {
    size_t b = i;
    while (b > 0 && t[b - 1] != '\n') b--;
    if (i - b < DOC_WRAP_MIN || i + 1 >= n) return 0;
    unsigned char p = (unsigned char)t[i - 1], q = (unsigned char)t[i + 1];
    return (is_wc(p) || p == ',') && q >= 'a' && q <= 'z';
}

static int sentence_end(const char *t, size_t i, size_t n, size_t *len) {
    unsigned char c = (unsigned char)t[i];
    *len = 1;
    if (c == '\n') return !wrapped(t, i, n);
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

/* Judges each sentence of the light view's bytes [from, to); a finding for each one that
 * asks something of an AI reader, its explanation led by prefix. -1 on OOM. */
static int scan_range(const sw_guard_view *lv, size_t from, size_t to, const char *prefix, sw_guard_verdict *v) {
    const char *t = lv->s;
    size_t s = from;
    for (size_t i = from; i <= to;) {
        size_t el = 1;
        int end = i == to || sentence_end(t, i, to, &el) || i - s >= DOC_MAX_SENT;
        if (!end) {
            i++;
            continue;
        }
        size_t e = i < to ? i + el : i;
        if (e > s + 1) {
            gdoc_judgement j;
            judge(t, s, i, &j);
            if (j.score >= DOC_MIN_SCORE && j.ask && j.anchor) {
                size_t os, oe;
                char why[DOC_EXPLAIN + 32];
                snprintf(why, sizeof why, "%s%s", prefix, j.why);
                gv_span(lv, s, i > s ? i : s + 1, &os, &oe);
                double sc = 0.6 + 0.1 * j.score;
                if (gf_add(v, "prompt_injection", "document_instruction", os, oe, sc > 0.99 ? 0.99 : sc,
                           SW_SRC_HEURISTIC, why) < 0)
                    return -1;
            }
        }
        s = e;
        i = e > i ? e : i + 1;
    }
    return 0;
}

int gdocinstr_scan(const sw_guard_norm *n, sw_guard_verdict *v) {
    return scan_range(&n->light, 0, n->light.len, "", v);
}

/* The kind of delimiter line t[a..b) is: 1 a rule or fence ("---", "```py", '"""'), 2 an
 * opening tag of a document (<document>, <email>, ...), 3 its closing tag, 0 none. */
static int delimiter(const char *t, size_t a, size_t b) {
    while (a < b && (t[a] == ' ' || t[a] == '\t')) a++;
    while (b > a && (t[b - 1] == ' ' || t[b - 1] == '\t' || t[b - 1] == '\r')) b--;
    if (b - a >= 3 && (t[a] == '-' || t[a] == '=' || t[a] == '*' || t[a] == '~' || t[a] == '`' || t[a] == '"' ||
                       t[a] == '\'')) {
        size_t k = a;
        while (k < b && t[k] == t[a]) k++;
        if (k - a >= 3 && (k == b || t[a] == '`' || t[a] == '~')) return 1; /* a fence may name a language */
    }
    static const char *TAGS[] = {"document", "doc", "email", "context", "article", "text", "page", "file", "data"};
    if (b - a < 3 || t[a] != '<' || t[b - 1] != '>') return 0;
    int close = t[a + 1] == '/';
    size_t s = a + 1 + (size_t)close, l = b - 1 - s;
    for (size_t k = 0; k < N_OF(TAGS); k++)
        if (strlen(TAGS[k]) == l && memcmp(t + s, TAGS[k], l) == 0) return close ? 3 : 2;
    return 0;
}

int gdocinstr_scan_pasted(const sw_guard_norm *n, sw_guard_verdict *v) {
    const sw_guard_view *lv = &n->light;
    const char *t = lv->s;
    size_t open_at = 0;
    int open = 0; /* the kind of delimiter that opened the current pasted part, 0 outside one */
    for (size_t a = 0; a < lv->len;) {
        const char *nl = memchr(t + a, '\n', lv->len - a);
        size_t b = nl ? (size_t)(nl - t) : lv->len;
        int d = delimiter(t, a, b);
        if (d && !open && d != 3) {
            open = d;
            open_at = b;
        } else if (open && ((open == 1 && d == 1) || (open == 2 && d == 3))) {
            if (scan_range(lv, open_at, a, "in a pasted document: ", v) < 0) return -1;
            open = 0;
        }
        a = b + 1;
    }
    return 0;
}
