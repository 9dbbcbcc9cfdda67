/* bpe_train.c - byte-level BPE: learns merges over a corpus (GPT-2 pre-tokenisation,
 * GPT-2 byte-to-unicode token strings, merges in rank order) and encodes with them. */
#include "steward/train.h"

#include <stdlib.h>
#include <string.h>

#define BPE_MAX_VOCAB 4096 /* pair tables are vocab x vocab */
#define BPE_MAX_SPECIAL 16 /* control tokens after <|endoftext|> */

/* ---- GPT-2 pre-tokeniser: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * Non-ASCII bytes count as letters (a simplification: exact for ASCII text; the
 * engine's tokenizer, not this splitter, encodes at run time, and any split yields
 * valid merges). ---- */
enum { C_L, C_N, C_S, C_O };
static int cls(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) return C_L;
    if (c >= '0' && c <= '9') return C_N;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return C_S;
    return C_O;
}
static size_t run_of(const unsigned char *s, size_t i, size_t n, int k) {
    while (i < n && cls(s[i]) == k) i++;
    return i;
}
static size_t contraction(const unsigned char *s, size_t i, size_t n) {
    if (s[i] != '\'' || i + 1 >= n) return 0;
    unsigned char a = s[i + 1], b = i + 2 < n ? s[i + 2] : 0;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

void sw_bpe_pretokenize(const char *text, size_t len, void (*fn)(const char *p, size_t n, void *ud), void *ud) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t j, c = contraction(s, i, len);
        int k = cls(s[i]);
        if (c) {
            j = i + c;
        } else if (k != C_S) {
            j = run_of(s, i, len, k);
        } else if (s[i] == ' ' && i + 1 < len && cls(s[i + 1]) != C_S) {
            j = run_of(s, i + 1, len, cls(s[i + 1]));
        } else {
            j = run_of(s, i, len, C_S);
            if (j < len && j - i > 1) j--; /* \s+(?!\S): leave the last space to the word */
        }
        fn(text + i, j - i, ud);
        i = j;
    }
}

/* ---- GPT-2 byte-to-unicode mapping ---- */
static void byte_map(uint32_t cp[256]) {
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
    }
}

/* ---- a hash map of pieces to counts ---- */
typedef struct piece {
    char *s;
    size_t n;
    uint64_t count;
} piece;
typedef struct pmap {
    piece *slots;
    size_t cap, used;
    int oom;
} pmap;

static uint64_t fnv(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}
static int pmap_grow(pmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 4096;
    piece *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].s) {
            size_t h = fnv(m->slots[i].s, m->slots[i].n) & (ncap - 1);
            while (ns[h].s) h = (h + 1) & (ncap - 1);
            ns[h] = m->slots[i];
        }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}
static void pmap_add(const char *p, size_t n, void *ud) {
    pmap *m = ud;
    if (m->oom) return;
    if ((m->used + 1) * 2 > m->cap && pmap_grow(m)) {
        m->oom = 1;
        return;
    }
    size_t h = fnv(p, n) & (m->cap - 1);
    while (m->slots[h].s && !(m->slots[h].n == n && memcmp(m->slots[h].s, p, n) == 0)) h = (h + 1) & (m->cap - 1);
    if (!m->slots[h].s) {
        m->slots[h].s = malloc(n);
        if (!m->slots[h].s) {
            m->oom = 1;
            return;
        }
        memcpy(m->slots[h].s, p, n);
        m->slots[h].n = n;
        m->used++;
    }
    m->slots[h].count++;
}
static void pmap_free(pmap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].s);
    free(m->slots);
}

/* ---- training ---- */
typedef struct word {
    int32_t *sym;
    int n;
    uint64_t count;
} word;

/* Token strings: the byte-mapped UTF-8 of each token's bytes. */
static char *token_string(const unsigned char *bytes, int n, const uint32_t map[256]) {
    char *s = malloc((size_t)n * 2 + 1), *o = s;
    if (!s) return NULL;
    for (int i = 0; i < n; i++) o += sw_utf8_encode(map[bytes[i]], (unsigned char *)o);
    *o = 0;
    return s;
}

static int cmp_piece(const void *a, const void *b) {
    const piece *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Builds the merge texts ("left right") and the pair-rank table from merge_left/right. */
static int bpe_finish(sw_bpe *b, sw_err *err) {
    int V = b->n_vocab;
    b->pair_rank = malloc((size_t)V * V * sizeof(int32_t));
    if (!b->pair_rank) return sw_err_set(err, "bpe: out of memory");
    for (size_t i = 0; i < (size_t)V * V; i++) b->pair_rank[i] = -1;
    for (int k = 0; k < b->n_merges; k++) {
        const char *l = b->tokens[b->merge_left[k]], *r = b->tokens[b->merge_right[k]];
        if (!b->merges[k]) {
            b->merges[k] = malloc(strlen(l) + strlen(r) + 2);
            if (!b->merges[k]) return sw_err_set(err, "bpe: out of memory");
            sprintf(b->merges[k], "%s %s", l, r);
        }
        size_t idx = (size_t)b->merge_left[k] * V + (size_t)b->merge_right[k];
        if (b->pair_rank[idx] < 0) b->pair_rank[idx] = k;
    }
    return 0;
}

int sw_bpe_train(const char *text, size_t len, int vocab_size, sw_bpe *out, sw_err *err) {
    memset(out, 0, sizeof *out);
    if (vocab_size < 257 || vocab_size > BPE_MAX_VOCAB)
        return sw_err_set(err, "bpe: vocabulary size %d is outside 257..%d", vocab_size, BPE_MAX_VOCAB);
    int V = vocab_size, n_merges = V - 257;
    pmap pm = {0};
    sw_bpe_pretokenize(text, len, pmap_add, &pm);
    word *w = NULL;
    uint32_t *cnt = NULL;
    int32_t *touched = NULL;
    unsigned char **tbytes = NULL;
    int *tlen = NULL, rc = -1;
    size_t nw = 0, nsym = 0;
    if (pm.oom) goto oom;
    /* Unique pieces in sorted order, so that the result does not depend on hashing. */
    piece *ps = malloc((pm.used ? pm.used : 1) * sizeof *ps);
    if (!ps) goto oom;
    for (size_t i = 0; i < pm.cap; i++)
        if (pm.slots[i].s) ps[nw++] = pm.slots[i];
    qsort(ps, nw, sizeof *ps, cmp_piece);
    w = calloc(nw ? nw : 1, sizeof *w);
    if (!w) {
        free(ps);
        goto oom;
    }
    for (size_t i = 0; i < nw; i++) {
        w[i].sym = malloc(ps[i].n * sizeof(int32_t));
        if (!w[i].sym) {
            free(ps);
            goto oom;
        }
        for (size_t k = 0; k < ps[i].n; k++) w[i].sym[k] = (unsigned char)ps[i].s[k];
        w[i].n = (int)ps[i].n;
        w[i].count = ps[i].count;
        nsym += ps[i].n;
    }
    free(ps);
    cnt = calloc((size_t)V * V, sizeof *cnt);
    touched = malloc((nsym + 1) * sizeof *touched);
    tbytes = calloc((size_t)V, sizeof *tbytes);
    tlen = calloc((size_t)V, sizeof *tlen);
    out->tokens = calloc((size_t)V, sizeof *out->tokens);
    out->merges = calloc((size_t)(n_merges ? n_merges : 1), sizeof *out->merges);
    out->merge_left = calloc((size_t)(n_merges ? n_merges : 1), sizeof(int32_t));
    out->merge_right = calloc((size_t)(n_merges ? n_merges : 1), sizeof(int32_t));
    out->token_type = calloc((size_t)V, sizeof *out->token_type);
    if (!cnt || !touched || !tbytes || !tlen || !out->tokens || !out->merges || !out->token_type || !out->merge_left ||
        !out->merge_right)
        goto oom;
    for (int b = 0; b < 256; b++) {
        tbytes[b] = malloc(1);
        if (!tbytes[b]) goto oom;
        tbytes[b][0] = (unsigned char)b;
        tlen[b] = 1;
    }
    int next = 256;
    for (; next < 256 + n_merges; next++) {
        /* Count adjacent pairs, weighted by piece frequency. */
        size_t nt = 0;
        for (size_t i = 0; i < nw; i++)
            for (int k = 0; k + 1 < w[i].n; k++) {
                size_t idx = (size_t)w[i].sym[k] * V + (size_t)w[i].sym[k + 1];
                if (!cnt[idx]) touched[nt++] = (int32_t)idx;
                cnt[idx] += (uint32_t)w[i].count;
            }
        size_t best = 0;
        uint32_t bc = 0;
        for (size_t i = 0; i < nt; i++) {
            size_t idx = (size_t)touched[i];
            if (cnt[idx] > bc || (cnt[idx] == bc && idx < best)) bc = cnt[idx], best = idx;
        }
        for (size_t i = 0; i < nt; i++) cnt[touched[i]] = 0;
        if (bc < 2) break; /* nothing left worth merging: the vocabulary ends smaller */
        int32_t a = (int32_t)(best / V), b = (int32_t)(best % V);
        tlen[next] = tlen[a] + tlen[b];
        tbytes[next] = malloc((size_t)tlen[next]);
        if (!tbytes[next]) goto oom;
        memcpy(tbytes[next], tbytes[a], (size_t)tlen[a]);
        memcpy(tbytes[next] + tlen[a], tbytes[b], (size_t)tlen[b]);
        for (size_t i = 0; i < nw; i++) {
            int o = 0;
            for (int k = 0; k < w[i].n; k++) {
                if (k + 1 < w[i].n && w[i].sym[k] == a && w[i].sym[k + 1] == b) {
                    w[i].sym[o++] = next;
                    k++;
                } else {
                    w[i].sym[o++] = w[i].sym[k];
                }
            }
            w[i].n = o;
        }
        out->merge_left[next - 256] = a;
        out->merge_right[next - 256] = b;
    }
    out->n_merges = next - 256;
    out->n_vocab = next + 1;
    out->eos_id = next;
    uint32_t map[256];
    byte_map(map);
    for (int t = 0; t < next; t++) {
        out->tokens[t] = token_string(tbytes[t], tlen[t], map);
        if (!out->tokens[t]) goto oom;
        out->token_type[t] = 1;
    }
    out->tokens[next] = strdup("<|endoftext|>");
    if (!out->tokens[next]) goto oom;
    out->token_type[next] = 3;
    if (bpe_finish(out, err)) goto done;
    rc = 0;
    goto done;
oom:
    sw_err_set(err, "bpe: out of memory");
done:
    for (size_t i = 0; i < nw; i++) free(w[i].sym);
    free(w);
    free(cnt);
    free(touched);
    if (tbytes)
        for (int t = 0; t < V; t++) free(tbytes[t]);
    free(tbytes);
    free(tlen);
    pmap_free(&pm);
    if (rc) sw_bpe_free(out);
    return rc;
}

void sw_bpe_free(sw_bpe *b) {
    if (!b) return;
    for (int t = 0; b->tokens && t < b->n_vocab; t++) free(b->tokens[t]);
    for (int k = 0; b->merges && k < b->n_merges; k++) free(b->merges[k]);
    free(b->tokens);
    free(b->merges);
    free(b->merge_left);
    free(b->merge_right);
    free(b->token_type);
    free(b->pair_rank);
    memset(b, 0, sizeof *b);
}

/* ---- encoding: within each piece, repeatedly merge the lowest-ranked adjacent pair
 * (leftmost first), as GPT-2 and llama.cpp do ---- */
typedef struct enc_state {
    const sw_bpe *b;
    int32_t **ids;
    size_t *n, cap;
    int32_t *tmp;
    size_t tmpcap;
    int oom;
} enc_state;

static void enc_piece(const char *p, size_t n, void *ud) {
    enc_state *e = ud;
    const sw_bpe *b = e->b;
    if (e->oom) return;
    if (n > e->tmpcap) {
        int32_t *t = realloc(e->tmp, n * sizeof *t);
        if (!t) {
            e->oom = 1;
            return;
        }
        e->tmp = t;
        e->tmpcap = n;
    }
    int32_t *s = e->tmp;
    int m = (int)n;
    for (int i = 0; i < m; i++) s[i] = (unsigned char)p[i];
    for (;;) {
        int best = -1, at = -1;
        for (int i = 0; i + 1 < m; i++) {
            int r = b->pair_rank[(size_t)s[i] * b->n_vocab + (size_t)s[i + 1]];
            if (r >= 0 && (best < 0 || r < best)) best = r, at = i;
        }
        if (best < 0) break;
        int o = 0;
        for (int i = 0; i < m; i++) {
            if (i >= at && i + 1 < m && s[i] == b->merge_left[best] && s[i + 1] == b->merge_right[best]) {
                s[o++] = 256 + best;
                i++;
            } else {
                s[o++] = s[i];
            }
        }
        m = o;
    }
    if (*e->n + (size_t)m > e->cap) {
        size_t nc = (*e->n + (size_t)m) * 2 + 64;
        int32_t *t = realloc(*e->ids, nc * sizeof *t);
        if (!t) {
            e->oom = 1;
            return;
        }
        *e->ids = t;
        e->cap = nc;
    }
    memcpy(*e->ids + *e->n, s, (size_t)m * sizeof *s);
    *e->n += (size_t)m;
}

int sw_bpe_encode(const sw_bpe *b, const char *text, size_t len, int32_t **ids, size_t *n, sw_err *err) {
    enc_state e = {b, ids, n, *n, NULL, 0, 0};
    sw_bpe_pretokenize(text, len, enc_piece, &e);
    free(e.tmp);
    if (e.oom) return sw_err_set(err, "bpe: out of memory while encoding");
    return 0;
}

/* Copies text with every occurrence of the special texts replaced by a newline, so that
 * no merge is learned across or inside them. NULL when out of memory. */
static char *strip_specials(const char *text, size_t len, const char *const *special, int n_special, size_t *out_len) {
    char *o = malloc(len + 1);
    if (!o) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        int hit = -1;
        for (int s = 0; s < n_special && hit < 0; s++) {
            size_t sl = strlen(special[s]);
            if (sl && sl <= len - i && memcmp(text + i, special[s], sl) == 0) hit = s;
        }
        if (hit >= 0) o[j++] = '\n', i += strlen(special[hit]);
        else o[j++] = text[i++];
    }
    *out_len = j;
    return o;
}

int sw_bpe_train_special(const char *text, size_t len, int vocab_size, const char *const *special, int n_special,
                         sw_bpe *out, sw_err *err) {
    memset(out, 0, sizeof *out);
    if (n_special < 0 || n_special > BPE_MAX_SPECIAL)
        return sw_err_set(err, "bpe: %d special tokens (at most %d)", n_special, BPE_MAX_SPECIAL);
    size_t slen;
    char *stripped = strip_specials(text, len, special, n_special, &slen);
    if (!stripped) return sw_err_set(err, "bpe: out of memory");
    int rc = sw_bpe_train(stripped, slen, vocab_size - n_special, out, err);
    free(stripped);
    if (rc) return -1;
    int V = out->n_vocab + n_special;
    char **tok = realloc(out->tokens, (size_t)V * sizeof *tok);
    if (tok) out->tokens = tok;
    int32_t *ty = tok ? realloc(out->token_type, (size_t)V * sizeof *ty) : NULL;
    if (ty) out->token_type = ty;
    if (!tok || !ty) return sw_bpe_free(out), sw_err_set(err, "bpe: out of memory");
    for (int s = 0; s < n_special; s++) {
        out->tokens[out->n_vocab] = strdup(special[s]);
        out->token_type[out->n_vocab] = 3; /* control */
        if (!out->tokens[out->n_vocab]) return sw_bpe_free(out), sw_err_set(err, "bpe: out of memory");
        out->n_vocab++;
    }
    free(out->pair_rank); /* indexed by the vocabulary's size: rebuilt for the new one */
    out->pair_rank = NULL;
    if (bpe_finish(out, err)) return sw_bpe_free(out), -1;
    return 0;
}
