/* tokenizer.c - byte-level BPE and SentencePiece BPE: vocabulary, special tokens, encoding,
 * decoding and a streaming decoder that only ever emits well-formed UTF-8.
 *
 * Vocabulary and merge ranks live in open-addressing hash tables; a word is merged with a
 * binary heap over a linked list of symbols, so encoding is O(n log n) per piece. Plain
 * text never produces a control token: only normal and user-defined tokens come out of
 * the merges, and special texts become ids only when the caller asks (parse_special). */
#include "steward/tokenizer.h"
#include "engine/pretok.h"

#include <stdlib.h>
#include <string.h>

enum { MODEL_BPE = 1, MODEL_SPM = 2 };
#define SPM_SPACE "\xe2\x96\x81" /* U+2581, SentencePiece's visible space */

struct sw_tokenizer {
    int model;
    sw_pretok_kind pre;
    int ignore_merges; /* Llama 3: a piece that is itself a token is not merged */
    int32_t n_vocab;
    char *arena;       /* all token texts, each NUL-terminated */
    uint32_t *off, *len;
    uint8_t *type, *eog;
    float *score;
    int32_t *vslot; /* vocab hash: token ids, -1 empty */
    uint32_t vmask;
    struct merge {
        uint64_t key; /* left << 32 | right; UINT64_MAX: empty */
        int32_t rank, res;
    } *merge; /* merge hash: one probe reads one 16-byte slot */
    uint32_t mmask;
    int32_t byte_tok[256];  /* BPE: the one-character token of each byte; SPM: <0xXX> */
    int16_t cp_byte[324];   /* BPE decode: code point of the byte-level alphabet -> byte */
    char byte_txt[256][2];  /* BPE: UTF-8 of each byte's character in that alphabet */
    uint8_t byte_txt_len[256];
    int32_t *special;       /* control and user-defined ids, longest text first */
    size_t n_special;
    uint16_t first_special[257]; /* specials whose text starts with byte b: [fs[b], fs[b+1]) */
    int32_t bos, eos, unk;
    int add_bos, add_space_prefix;
};

/* ---- hashing ---- */

static uint32_t hash_bytes(const char *p, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static uint32_t hash_u64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (uint32_t)k;
}

static uint32_t table_size(size_t n) {
    uint32_t s = 16;
    while (s < 2 * n) s <<= 1;
    return s;
}

/* Id of the token whose text is p[0..n), or -1. */
static int32_t vocab_find(const sw_tokenizer *t, const char *p, size_t n) {
    for (uint32_t h = hash_bytes(p, n) & t->vmask;; h = (h + 1) & t->vmask) {
        int32_t id = t->vslot[h];
        if (id < 0) return -1;
        if (t->len[id] == n && memcmp(t->arena + t->off[id], p, n) == 0) return id;
    }
}

static void merge_find(const sw_tokenizer *t, int32_t a, int32_t b, int32_t *rank, int32_t *res) {
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    for (uint32_t h = hash_u64(key) & t->mmask;; h = (h + 1) & t->mmask) {
        const struct merge *m = &t->merge[h];
        if (m->key == UINT64_MAX) { *rank = -1; return; }
        if (m->key == key) { *rank = m->rank; *res = m->res; return; }
    }
}

static const char *tok_text(const sw_tokenizer *t, int32_t id) { return t->arena + t->off[id]; }

/* Tokens that text may turn into by merging (never control, unknown or unused ones). */
static int mergeable(const sw_tokenizer *t, int32_t id) {
    return id >= 0 && (t->type[id] == SW_TOK_NORMAL || t->type[id] == SW_TOK_USER);
}

/* ---- construction ---- */

void sw_tokenizer_free(sw_tokenizer *t) {
    if (!t) return;
    free(t->arena); free(t->off); free(t->len); free(t->type); free(t->eog); free(t->score);
    free(t->vslot); free(t->merge); free(t->special);
    free(t);
}

/* The byte-level alphabet of GPT-2: printable bytes map to themselves, the others to
 * U+0100 + n in byte order. */
static uint32_t byte_to_cp(int b) {
    if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return (uint32_t)b;
    int n = 0;
    for (int c = 0; c < b; c++)
        if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) n++;
    return 0x100u + (uint32_t)n;
}

static int load_vocab(sw_tokenizer *t, const sw_tokenizer_spec *s, sw_err *err) {
    size_t n = (size_t)s->n_vocab, total = 0;
    t->off = malloc(n * sizeof *t->off);
    t->len = malloc(n * sizeof *t->len);
    t->type = malloc(n);
    t->eog = calloc(n, 1);
    t->score = malloc(n * sizeof *t->score);
    if (!t->off || !t->len || !t->type || !t->eog || !t->score) return sw_err_set(err, "tokenizer: out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t l = s->token_lens ? s->token_lens[i] : strlen(s->tokens[i]);
        if (l > UINT32_MAX / 2 || total > UINT32_MAX / 2) return sw_err_set(err, "tokenizer.ggml.tokens[%zu]: too long", i);
        t->off[i] = (uint32_t)total;
        t->len[i] = (uint32_t)l;
        total += l + 1;
        int32_t ty = s->types ? s->types[i] : SW_TOK_NORMAL;
        if (ty == 0) ty = SW_TOK_NORMAL; /* llama.cpp's "undefined" */
        if (ty < SW_TOK_NORMAL || ty > SW_TOK_BYTE)
            return sw_err_set(err, "tokenizer.ggml.token_type[%zu]: unknown type %d", i, (int)ty);
        t->type[i] = (uint8_t)ty;
        t->score[i] = s->scores ? s->scores[i] : 0.0f;
    }
    t->arena = malloc(total ? total : 1);
    uint32_t size = table_size(n);
    t->vslot = malloc(size * sizeof *t->vslot);
    if (!t->arena || !t->vslot) return sw_err_set(err, "tokenizer: out of memory");
    t->vmask = size - 1;
    memset(t->vslot, 0xff, size * sizeof *t->vslot);
    for (size_t i = 0; i < n; i++) {
        char *dst = t->arena + t->off[i];
        memcpy(dst, s->tokens[i], t->len[i]);
        dst[t->len[i]] = 0;
        if (vocab_find(t, dst, t->len[i]) >= 0) continue; /* a duplicate text: the first id wins */
        uint32_t h = hash_bytes(dst, t->len[i]) & t->vmask;
        while (t->vslot[h] >= 0) h = (h + 1) & t->vmask;
        t->vslot[h] = (int32_t)i;
    }
    return 0;
}

static int load_merges(sw_tokenizer *t, const sw_tokenizer_spec *s, sw_err *err) {
    uint32_t size = table_size(s->n_merges);
    t->merge = malloc(size * sizeof *t->merge);
    if (!t->merge) return sw_err_set(err, "tokenizer: out of memory");
    t->mmask = size - 1;
    for (uint32_t i = 0; i < size; i++) t->merge[i].key = UINT64_MAX;
    sw_buf joined = {0};
    for (size_t r = 0; r < s->n_merges && r < INT32_MAX; r++) {
        const char *m = s->merges[r];
        size_t ml = s->merge_lens ? s->merge_lens[r] : strlen(m);
        const char *sp = memchr(m, ' ', ml);
        if (!sp || sp == m || sp == m + ml - 1) {
            sw_buf_free(&joined);
            return sw_err_set(err, "tokenizer.ggml.merges[%zu]: not \"left right\"", r);
        }
        size_t ll = (size_t)(sp - m), rl = ml - ll - 1;
        int32_t a = vocab_find(t, m, ll), b = vocab_find(t, sp + 1, rl);
        sw_buf_reset(&joined);
        if (sw_buf_append(&joined, m, ll) < 0 || sw_buf_append(&joined, sp + 1, rl) < 0) {
            sw_buf_free(&joined);
            return sw_err_set(err, "tokenizer: out of memory");
        }
        int32_t c = vocab_find(t, joined.data, joined.len);
        if (a < 0 || b < 0 || c < 0) continue; /* names a token the vocabulary lacks: unusable */
        uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
        uint32_t h = hash_u64(key) & t->mmask;
        while (t->merge[h].key != UINT64_MAX && t->merge[h].key != key) h = (h + 1) & t->mmask;
        if (t->merge[h].key == key) continue; /* a repeated pair keeps its first rank */
        t->merge[h] = (struct merge){key, (int32_t)r, c};
    }
    sw_buf_free(&joined);
    return 0;
}

static int byte_tokens(sw_tokenizer *t, sw_err *err) {
    for (int b = 0; b < 324; b++) t->cp_byte[b] = -1;
    for (int b = 0; b < 256; b++) {
        char txt[8];
        size_t n;
        if (t->model == MODEL_BPE) {
            uint32_t cp = byte_to_cp(b);
            t->cp_byte[cp] = (int16_t)b;
            n = (size_t)sw_utf8_encode(cp, (unsigned char *)txt);
            memcpy(t->byte_txt[b], txt, n);
            t->byte_txt_len[b] = (uint8_t)n;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            memcpy(txt, "<0x", 3);
            txt[3] = hex[b >> 4];
            txt[4] = hex[b & 15];
            txt[5] = '>';
            n = 6;
        }
        t->byte_tok[b] = vocab_find(t, txt, n);
        if (t->model == MODEL_BPE && t->byte_tok[b] < 0)
            return sw_err_set(err, "tokenizer.ggml.tokens: byte-level vocabulary lacks the token of byte 0x%02X", b);
        if (t->model == MODEL_SPM && t->byte_tok[b] < 0 && t->unk < 0)
            return sw_err_set(err, "tokenizer.ggml.tokens: no <0x%02X> byte token and no unknown token", b);
    }
    return 0;
}

/* Orders special ids by first byte, then longest text first (qsort_r context: t). */
static int by_len_desc(const void *a, const void *b, void *ctx) {
    const sw_tokenizer *t = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    int fx = (unsigned char)tok_text(t, x)[0], fy = (unsigned char)tok_text(t, y)[0];
    if (fx != fy) return fx - fy;
    if (t->len[x] != t->len[y]) return t->len[x] > t->len[y] ? -1 : 1;
    return x - y;
}

/* Special texts grouped by first byte, longest first, so the longest match wins. */
static int index_specials(sw_tokenizer *t, sw_err *err) {
    size_t n = 0;
    for (int32_t i = 0; i < t->n_vocab; i++)
        if ((t->type[i] == SW_TOK_CONTROL || t->type[i] == SW_TOK_USER) && t->len[i] > 0) n++;
    if (n > 65535) return sw_err_set(err, "tokenizer: %zu special tokens, at most 65535", n);
    t->special = malloc((n ? n : 1) * sizeof *t->special);
    if (!t->special) return sw_err_set(err, "tokenizer: out of memory");
    t->n_special = 0;
    for (int32_t i = 0; i < t->n_vocab; i++)
        if ((t->type[i] == SW_TOK_CONTROL || t->type[i] == SW_TOK_USER) && t->len[i] > 0)
            t->special[t->n_special++] = i;
    qsort_r(t->special, n, sizeof *t->special, by_len_desc, t);
    size_t k = 0;
    for (int b = 0; b < 256; b++) {
        t->first_special[b] = (uint16_t)k;
        while (k < n && (unsigned char)tok_text(t, t->special[k])[0] == b) k++;
    }
    t->first_special[256] = (uint16_t)n;
    return 0;
}

/* End-of-generation: eos, eot, eom, and control tokens with the usual end-of-turn texts. */
static void mark_eog(sw_tokenizer *t, const sw_tokenizer_spec *s) {
    static const char *const names[] = {"<|eot_id|>", "<|im_end|>", "<|end_of_text|>", "<|endoftext|>",
                                        "<|eom_id|>", "<end_of_turn>", "<|end|>", "</s>", "<|return|>"};
    int32_t ids[] = {s->eos, s->eot, s->eom};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i] >= 0 && ids[i] < t->n_vocab) t->eog[ids[i]] = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int32_t id = vocab_find(t, names[i], strlen(names[i]));
        if (id >= 0 && t->type[id] == SW_TOK_CONTROL) t->eog[id] = 1;
    }
}

static int check_id(int32_t id, int32_t n, const char *what, sw_err *err) {
    if (id < -1 || id >= n) return sw_err_set(err, "tokenizer.ggml.%s: id %d out of range (vocabulary of %d)", what, (int)id, (int)n);
    return 0;
}

int sw_tokenizer_new(const sw_tokenizer_spec *s, sw_tokenizer **out, sw_err *err) {
    *out = NULL;
    if (!s->model) return sw_err_set(err, "tokenizer.ggml.model: missing");
    if (s->n_vocab <= 0 || !s->tokens) return sw_err_set(err, "tokenizer.ggml.tokens: empty vocabulary");
    if (check_id(s->bos, s->n_vocab, "bos_token_id", err) < 0 || check_id(s->eos, s->n_vocab, "eos_token_id", err) < 0 ||
        check_id(s->eot, s->n_vocab, "eot_token_id", err) < 0 || check_id(s->eom, s->n_vocab, "eom_token_id", err) < 0 ||
        check_id(s->unk, s->n_vocab, "unknown_token_id", err) < 0)
        return -1;
    sw_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return sw_err_set(err, "tokenizer: out of memory");
    t->n_vocab = s->n_vocab;
    t->bos = s->bos;
    t->eos = s->eos;
    t->unk = s->unk;
    if (strcmp(s->model, "gpt2") == 0) {
        t->model = MODEL_BPE;
        const char *pre = s->pre ? s->pre : "gpt2";
        /* "gpt-2" is llama.cpp's name; "gpt2" and "default" are accepted as well */
        if (!strcmp(pre, "gpt-2") || !strcmp(pre, "gpt2") || !strcmp(pre, "default")) t->pre = SW_PRETOK_GPT2;
        else if (!strcmp(pre, "llama-bpe") || !strcmp(pre, "llama3")) t->pre = SW_PRETOK_LLAMA3, t->ignore_merges = 1;
        else if (!strcmp(pre, "qwen2")) t->pre = SW_PRETOK_QWEN2;
        else if (!strcmp(pre, "smollm")) t->pre = SW_PRETOK_SMOLLM;
        else { free(t); return sw_err_set(err, "tokenizer.ggml.pre: unsupported pre-tokenizer \"%s\"", pre); }
    } else if (strcmp(s->model, "llama") == 0) {
        t->model = MODEL_SPM;
    } else {
        free(t);
        return sw_err_set(err, "tokenizer.ggml.model: unsupported model \"%s\" (gpt2 or llama)", s->model);
    }
    int spm = t->model == MODEL_SPM;
    t->add_bos = s->add_bos >= 0 ? s->add_bos : spm;
    t->add_space_prefix = s->add_space_prefix >= 0 ? s->add_space_prefix : spm;
    if (load_vocab(t, s, err) < 0 || (!spm && load_merges(t, s, err) < 0) || byte_tokens(t, err) < 0 ||
        index_specials(t, err) < 0) {
        sw_tokenizer_free(t);
        return -1;
    }
    mark_eog(t, s);
    *out = t;
    return 0;
}

int32_t sw_tokenizer_n_vocab(const sw_tokenizer *t) { return t->n_vocab; }
int32_t sw_tokenizer_bos(const sw_tokenizer *t) { return t->bos; }
int32_t sw_tokenizer_eos(const sw_tokenizer *t) { return t->eos; }
int sw_tokenizer_add_bos(const sw_tokenizer *t) { return t->add_bos; }

int sw_tokenizer_is_eog(const sw_tokenizer *t, int32_t id) {
    return id >= 0 && id < t->n_vocab && t->eog[id];
}

int32_t sw_tokenizer_find(const sw_tokenizer *t, const char *text) {
    return vocab_find(t, text, strlen(text));
}

/* ---- encoding ---- */

typedef struct sym {
    int32_t id, prev, next;
    uint32_t start, len; /* SentencePiece: bytes of the escaped text */
} sym;

typedef struct cand {
    double key; /* BPE: rank; SentencePiece: -score (lower pops first) */
    int32_t left, right, res, a, b;
} cand;

/* A remembered piece of a long text: words repeat, merging them again is wasted. */
#define CACHE_MAX_SLOTS 65536  /* direct-mapped; about one slot per 16 bytes of text */
#define CACHE_MAX_PIECE 32     /* bytes */
#define CACHE_MIN_TEXT 4096    /* shorter texts are encoded without a cache */
typedef struct cslot {
    const char *p; /* into the caller's text (NULL: empty) */
    uint32_t len, off, nids;
} cslot;

/* Scratch memory reused across the pieces of one sw_tokenize call. */
typedef struct work {
    sym *syms;
    cand *heap;
    size_t cap, nheap;
    sw_buf esc; /* escaped text (byte-level alphabet or U+2581 spaces) */
    int32_t **ids;
    size_t *n, idcap;
    cslot *cache;  /* NULL for short texts */
    size_t cmask;  /* slots - 1 */
    int32_t *cids; /* the cached pieces' ids */
    size_t ncids, capcids;
} work;

static int work_reserve(work *w, size_t n) {
    if (n <= w->cap) return 0;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < n) cap *= 2;
    sym *s = realloc(w->syms, cap * sizeof *s);
    if (!s) return -1;
    w->syms = s;
    cand *h = realloc(w->heap, 2 * cap * sizeof *h); /* each merge adds at most two */
    if (!h) return -1;
    w->heap = h;
    w->cap = cap;
    return 0;
}

static int cand_less(const cand *x, const cand *y) {
    return x->key < y->key || (x->key == y->key && x->left < y->left);
}

static void heap_push(work *w, cand c) {
    size_t i = w->nheap++;
    while (i > 0 && cand_less(&c, &w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = c;
}

static cand heap_pop(work *w) {
    cand top = w->heap[0], last = w->heap[--w->nheap];
    size_t i = 0, n = w->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && cand_less(&w->heap[c + 1], &w->heap[c])) c++;
        if (!cand_less(&w->heap[c], &last)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n) w->heap[i] = last;
    return top;
}

static int emit(work *w, int32_t id) {
    if (*w->n == w->idcap) {
        size_t cap = w->idcap ? w->idcap * 2 : 64;
        int32_t *p = realloc(*w->ids, cap * sizeof *p);
        if (!p) return -1;
        *w->ids = p;
        w->idcap = cap;
    }
    (*w->ids)[(*w->n)++] = id;
    return 0;
}

/* Rebuilds the list links after merging: right is absorbed into left. */
static void absorb(sym *s, int32_t left, int32_t right) {
    s[left].next = s[right].next;
    if (s[right].next >= 0) s[s[right].next].prev = left;
    s[right].len = 0;
    s[right].id = -1;
}

static void bpe_pair(const sw_tokenizer *t, work *w, int32_t left) {
    int32_t right = left >= 0 ? w->syms[left].next : -1, rank, res;
    if (right < 0) return;
    merge_find(t, w->syms[left].id, w->syms[right].id, &rank, &res);
    if (rank < 0) return;
    heap_push(w, (cand){rank, left, right, res, w->syms[left].id, w->syms[right].id});
}

/* Byte-level BPE of one pre-tokenized piece. */
static int bpe_piece(const sw_tokenizer *t, work *w, const unsigned char *p, size_t n) {
    if (t->ignore_merges) {
        sw_buf_reset(&w->esc);
        for (size_t i = 0; i < n; i++)
            if (sw_buf_append(&w->esc, t->byte_txt[p[i]], t->byte_txt_len[p[i]]) < 0) return -1;
        int32_t id = vocab_find(t, w->esc.data, w->esc.len);
        if (mergeable(t, id)) return emit(w, id);
    }
    if (work_reserve(w, n) < 0) return -1;
    sym *s = w->syms;
    for (size_t i = 0; i < n; i++)
        s[i] = (sym){t->byte_tok[p[i]], (int32_t)i - 1, i + 1 < n ? (int32_t)i + 1 : -1, 0, 1};
    w->nheap = 0;
    for (size_t i = 0; i + 1 < n; i++) bpe_pair(t, w, (int32_t)i);
    while (w->nheap) {
        cand c = heap_pop(w);
        if (s[c.left].id != c.a || s[c.left].next != c.right || s[c.right].id != c.b) continue; /* stale */
        s[c.left].id = c.res;
        absorb(s, c.left, c.right);
        bpe_pair(t, w, s[c.left].prev);
        bpe_pair(t, w, c.left);
    }
    for (int32_t i = 0; i >= 0; i = s[i].next)
        if (emit(w, s[i].id) < 0) return -1;
    return 0;
}

/* Remembers the ids that piece p[0..len) gave (emitted from index first on). */
static void cache_put(work *w, cslot *c, const char *p, size_t len, size_t first) {
    size_t k = *w->n - first;
    if (w->ncids + k > w->capcids) {
        if (w->capcids >= (1u << 20)) { /* full: start over rather than grow without bound */
            memset(w->cache, 0, (w->cmask + 1) * sizeof *w->cache);
            w->ncids = 0;
        }
        size_t cap = w->capcids ? w->capcids : 4096;
        while (cap < w->ncids + k) cap *= 2;
        if (cap != w->capcids) {
            int32_t *q = realloc(w->cids, cap * sizeof *q);
            if (!q) return; /* the cache is an optimisation: do without */
            w->cids = q;
            w->capcids = cap;
        }
    }
    memcpy(w->cids + w->ncids, *w->ids + first, k * sizeof *w->cids);
    *c = (cslot){p, (uint32_t)len, (uint32_t)w->ncids, (uint32_t)k};
    w->ncids += k;
}

static int bpe_text(const sw_tokenizer *t, work *w, const char *text, size_t len) {
    size_t *ends = NULL, n = 0, cap = 0;
    if (sw_pretok_split(t->pre, text, len, &ends, &n, &cap) < 0) return -1;
    if (!w->cache && len >= CACHE_MIN_TEXT) {
        size_t slots = 256;
        while (slots < len / 16 && slots < CACHE_MAX_SLOTS) slots *= 2;
        w->cache = calloc(slots, sizeof *w->cache);
        w->cmask = slots - 1;
    }
    int rc = 0;
    for (size_t i = 0, start = 0; i < n && rc == 0; start = ends[i++]) {
        const char *p = text + start;
        size_t pl = ends[i] - start, first = *w->n;
        cslot *c = NULL;
        if (w->cache && pl <= CACHE_MAX_PIECE) {
            c = &w->cache[hash_bytes(p, pl) & w->cmask];
            if (c->p && c->len == pl && memcmp(c->p, p, pl) == 0) {
                for (uint32_t k = 0; k < c->nids && rc == 0; k++) rc = emit(w, w->cids[c->off + k]);
                continue;
            }
        }
        rc = bpe_piece(t, w, (const unsigned char *)p, pl);
        if (rc == 0 && c) cache_put(w, c, p, pl, first);
    }
    free(ends);
    return rc;
}

static void spm_pair(const sw_tokenizer *t, work *w, int32_t left) {
    int32_t right = left >= 0 ? w->syms[left].next : -1;
    if (right < 0) return;
    const sym *l = &w->syms[left], *r = &w->syms[right];
    int32_t id = vocab_find(t, w->esc.data + l->start, l->len + r->len);
    if (!mergeable(t, id)) return;
    heap_push(w, (cand){-(double)t->score[id], left, right, id, (int32_t)l->len, (int32_t)r->len});
}

/* SentencePiece BPE of one text fragment: spaces become U+2581, adjacent symbols merge
 * by the highest score of their concatenation, unknown characters fall back to bytes. */
static int spm_text(const sw_tokenizer *t, work *w, const char *text, size_t len, int prefix) {
    sw_buf_reset(&w->esc);
    if (prefix && sw_buf_puts(&w->esc, SPM_SPACE) < 0) return -1;
    for (size_t i = 0; i < len; i++) {
        int rc = text[i] == ' ' ? sw_buf_puts(&w->esc, SPM_SPACE) : sw_buf_append(&w->esc, text + i, 1);
        if (rc < 0) return -1;
    }
    size_t n = 0, elen = w->esc.len;
    if (work_reserve(w, elen) < 0) return -1;
    const unsigned char *e = (const unsigned char *)w->esc.data;
    for (size_t i = 0; i < elen; n++) {
        int l = sw_utf8_seq_len(e + i, elen - i);
        if (l == 0) l = 1; /* an invalid byte stands alone and falls back to its byte token */
        w->syms[n] = (sym){-1, (int32_t)n - 1, -1, (uint32_t)i, (uint32_t)l};
        if (n) w->syms[n - 1].next = (int32_t)n;
        i += (size_t)l;
    }
    sym *s = w->syms;
    w->nheap = 0;
    for (size_t i = 0; i + 1 < n; i++) spm_pair(t, w, (int32_t)i);
    while (w->nheap) {
        cand c = heap_pop(w);
        if (s[c.left].next != c.right || (int32_t)s[c.left].len != c.a || (int32_t)s[c.right].len != c.b) continue;
        s[c.left].len += s[c.right].len;
        absorb(s, c.left, c.right);
        s[c.left].id = c.res;
        spm_pair(t, w, s[c.left].prev);
        spm_pair(t, w, c.left);
    }
    for (int32_t i = n ? 0 : -1; i >= 0; i = s[i].next) {
        int32_t id = s[i].id >= 0 ? s[i].id : vocab_find(t, w->esc.data + s[i].start, s[i].len);
        if (mergeable(t, id)) {
            if (emit(w, id) < 0) return -1;
            continue;
        }
        for (uint32_t k = 0; k < s[i].len; k++) {
            int32_t b = t->byte_tok[e[s[i].start + k]];
            if (emit(w, b >= 0 ? b : t->unk) < 0) return -1;
        }
    }
    return 0;
}

/* The special token whose text starts at p (longest first), or -1. */
static int32_t match_special(const sw_tokenizer *t, const char *p, size_t left) {
    unsigned char b = (unsigned char)p[0];
    for (size_t k = t->first_special[b]; k < t->first_special[b + 1]; k++) {
        int32_t id = t->special[k];
        if (t->len[id] <= left && memcmp(p, tok_text(t, id), t->len[id]) == 0) return id;
    }
    return -1;
}

static int encode_fragment(const sw_tokenizer *t, work *w, const char *text, size_t len, int prev_special) {
    if (t->model == MODEL_SPM) return len ? spm_text(t, w, text, len, t->add_space_prefix && prev_special) : 0;
    return bpe_text(t, w, text, len);
}

int sw_tokenize(const sw_tokenizer *t, const char *text, size_t len, int parse_special, int32_t **ids,
                size_t *n, sw_err *err) {
    if (len > (size_t)INT32_MAX / 8) /* symbol indices are int32 */
        return sw_err_set(err, "tokenize: text of %zu bytes is too long (at most %d)", len, INT32_MAX / 8);
    work w = {0};
    w.ids = ids;
    w.n = n;
    w.idcap = *n; /* the caller's array holds at least *n; grow from there */
    int rc = 0, prev_special = 1;
    size_t start = 0;
    for (size_t i = 0; parse_special && i < len && rc == 0; i++) {
        int32_t id = match_special(t, text + i, len - i);
        if (id < 0) continue;
        rc = encode_fragment(t, &w, text + start, i - start, prev_special);
        if (rc == 0) rc = emit(&w, id);
        prev_special = 1;
        i += t->len[id] - 1;
        start = i + 1;
    }
    if (rc == 0 && start < len) rc = encode_fragment(t, &w, text + start, len - start, prev_special);
    free(w.syms);
    free(w.heap);
    free(w.cache);
    free(w.cids);
    sw_buf_free(&w.esc);
    if (rc < 0) return sw_err_set(err, "tokenize: out of memory for %zu bytes", len);
    return 0;
}

/* ---- decoding ---- */

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int sw_token_to_bytes(const sw_tokenizer *t, int32_t id, int render_special, sw_buf *out) {
    if (id < 0 || id >= t->n_vocab) return -1;
    const char *p = tok_text(t, id);
    size_t n = t->len[id];
    switch (t->type[id]) {
    case SW_TOK_CONTROL:
    case SW_TOK_UNKNOWN:
        return render_special ? sw_buf_append(out, p, n) : 0;
    case SW_TOK_UNUSED:
        return 0;
    case SW_TOK_BYTE:
        if (n == 6 && memcmp(p, "<0x", 3) == 0 && p[5] == '>' && hex_digit(p[3]) >= 0 && hex_digit(p[4]) >= 0) {
            unsigned char b = (unsigned char)(hex_digit(p[3]) * 16 + hex_digit(p[4]));
            return sw_buf_append(out, &b, 1);
        }
        return sw_buf_append(out, p, n);
    case SW_TOK_USER:
        return sw_buf_append(out, p, n); /* stored as raw text */
    default:
        break;
    }
    if (t->model == MODEL_SPM) {
        for (size_t i = 0; i < n;) {
            if (n - i >= 3 && memcmp(p + i, SPM_SPACE, 3) == 0) {
                if (sw_buf_append(out, " ", 1) < 0) return -1;
                i += 3;
            } else {
                size_t j = i + 1;
                while (j < n && !(n - j >= 3 && memcmp(p + j, SPM_SPACE, 3) == 0)) j++;
                if (sw_buf_append(out, p + i, j - i) < 0) return -1;
                i = j;
            }
        }
        return 0;
    }
    /* byte-level: each character of the alphabet is one byte; anything else is kept */
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = sw_utf8_decode((const unsigned char *)p + i, n - i, &cp);
        if (l == 0) l = 1, cp = 0xFFFFFFFFu;
        if (cp < 324 && t->cp_byte[cp] >= 0) {
            unsigned char b = (unsigned char)t->cp_byte[cp];
            if (sw_buf_append(out, &b, 1) < 0) return -1;
        } else if (sw_buf_append(out, p + i, (size_t)l) < 0) {
            return -1;
        }
        i += (size_t)l;
    }
    return 0;
}

/* Decoding a SentencePiece text drops the space that add_space_prefix put in front. */
static int strips_first_space(const sw_tokenizer *t) { return t->model == MODEL_SPM && t->add_space_prefix; }

int sw_detokenize(const sw_tokenizer *t, const int32_t *ids, size_t n, int render_special, sw_buf *out,
                  sw_err *err) {
    int first = strips_first_space(t);
    for (size_t i = 0; i < n; i++) {
        size_t before = out->len;
        if (sw_token_to_bytes(t, ids[i], render_special, out) < 0) {
            if (ids[i] < 0 || ids[i] >= t->n_vocab)
                return sw_err_set(err, "detokenize: token %zu: id %d out of range (vocabulary of %d)", i, (int)ids[i], (int)t->n_vocab);
            return sw_err_set(err, "detokenize: out of memory");
        }
        if (first && out->len > before) {
            if (out->data[before] == ' ') {
                memmove(out->data + before, out->data + before + 1, out->len - before); /* with the NUL */
                out->len--;
            }
            first = 0;
        }
    }
    return 0;
}

/* ---- streaming ---- */

void sw_detok_stream_init(sw_detok_stream *s) {
    memset(s, 0, sizeof *s);
    s->first = 1;
}

/* Examines the UTF-8 sequence at p[0..n): its length when complete and well-formed, 0
 * when it is a proper prefix of one (more bytes may complete it), or -k when its first k
 * bytes can never be part of one (k >= 1, the maximal ill-formed subpart). */
static int utf8_check(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    int need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) need = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) need = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return -1;
    for (int k = 1; k < need; k++) {
        if ((size_t)k >= n) return 0;
        if (p[k] < lo || p[k] > hi) return -k;
        lo = 0x80, hi = 0xBF;
    }
    return need;
}

static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

int sw_detok_stream_push(const sw_tokenizer *t, sw_detok_stream *s, int32_t id, sw_buf *out) {
    sw_buf b = {0};
    if (sw_buf_append(&b, s->pending, (size_t)s->npending) < 0) return -1;
    size_t before = b.len;
    if (sw_token_to_bytes(t, id, 0, &b) < 0) {
        sw_buf_free(&b);
        return -1;
    }
    size_t skip = 0;
    if (s->first && b.len > before && strips_first_space(t)) {
        if (b.data[before] == ' ') skip = 1; /* the pending bytes come first: none for the first piece */
        s->first = 0;
    } else if (b.len > before) {
        s->first = 0;
    }
    if (skip) memmove(b.data + before, b.data + before + 1, b.len - before), b.len--;
    const unsigned char *p = (const unsigned char *)b.data;
    size_t i = 0;
    int rc = 0;
    s->npending = 0;
    while (i < b.len && rc == 0) {
        int k = utf8_check(p + i, b.len - i);
        if (k > 0) rc = sw_buf_append(out, p + i, (size_t)k), i += (size_t)k;
        else if (k < 0) rc = sw_buf_puts(out, REPLACEMENT), i += (size_t)-k;
        else { /* an incomplete sequence is at most 3 bytes: keep it for the next token */
            s->npending = (int)(b.len - i);
            memcpy(s->pending, p + i, (size_t)s->npending);
            break;
        }
    }
    sw_buf_free(&b);
    return rc;
}

int sw_detok_stream_finish(sw_detok_stream *s, sw_buf *out) {
    int rc = s->npending ? sw_buf_puts(out, REPLACEMENT) : 0;
    s->npending = 0;
    return rc;
}
