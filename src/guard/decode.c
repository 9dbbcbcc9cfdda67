/* decode.c - encoded payloads (base64, base32, hex, Morse, ROT13 and Atbash text) and
 * smuggled invisible text (Unicode tag characters, variation-selector bytes): found,
 * decoded, handed back so that the scanner can scan the decoded text again. */
#include "guard_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_RUN 16 /* shorter runs are words, numbers and identifiers */

typedef struct {
    gdecoded *d;
    size_t n, cap;
} dlist;

static int push(dlist *l, size_t s, size_t e, const char *type, char *text, size_t len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        gdecoded *p = realloc(l->d, cap * sizeof *p);
        if (!p) {
            free(text);
            return -1;
        }
        l->d = p;
        l->cap = cap;
    }
    gdecoded *g = &l->d[l->n++];
    g->start = s;
    g->end = e;
    strncpy(g->type, type, sizeof g->type - 1);
    g->type[sizeof g->type - 1] = 0;
    g->text = text;
    g->len = len;
    return 0;
}

/* Decoded bytes count as text when they are valid UTF-8 with at most 10% control or
 * replacement characters and at least 4 letters. */
static int is_text(const unsigned char *p, size_t n) {
    if (n < 4 || !sw_utf8_valid(p, n)) return 0;
    size_t bad = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') bad++;
        else if (c == 0x7f) bad++;
        else if ((c | 32) >= 'a' && (c | 32) <= 'z') letters++;
        else if (c >= 0x80) letters++;
    }
    return bad * 10 <= n && letters >= 4 && letters * 2 >= n / 2;
}

static int b64v(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static char *b64_decode(const char *s, size_t n, size_t *out) {
    char *o = malloc(n * 3 / 4 + 4);
    if (!o) return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64v((unsigned char)s[i]);
        if (v < 0) break;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (char)((acc >> bits) & 0xFF);
        }
    }
    o[k] = 0;
    *out = k;
    return o;
}

static char *b32_decode(const char *s, size_t n, size_t *out) {
    char *o = malloc(n * 5 / 8 + 4);
    if (!o) return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
        if (v < 0) break;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (char)((acc >> bits) & 0xFF);
        }
    }
    o[k] = 0;
    *out = k;
    return o;
}

static int hexv(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 32;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Hex in three spellings: "48656c6c6f", "\x48\x65" and "48 65 6c" (pairs + spaces). A run of
 * decimal digits alone is a number (a card, an order, a street number), not hex: unescaped
 * hex text has a letter a-f in practice ('.', ',', '?', j-o, z all encode with one). */
static size_t hex_run(const char *t, size_t n, size_t i, char **out, size_t *olen) {
    /* measure first: most runs are words like "bad" or "face", too short to decode */
    size_t j0 = i, hexes = 0;
    while (j0 < n && (hexv((unsigned char)t[j0]) >= 0 || t[j0] == '\\' || t[j0] == 'x' || t[j0] == ' ')) {
        hexes += hexv((unsigned char)t[j0]) >= 0;
        if (t[j0] == ' ' && !(j0 + 1 < n && hexv((unsigned char)t[j0 + 1]) >= 0)) break;
        j0++;
    }
    *out = NULL;
    *olen = 0;
    if (hexes < MIN_RUN) return i;
    char *o = malloc((j0 - i) / 2 + 2);
    if (!o) return 0;
    size_t k = 0, j = i, end = i;
    int style = (j + 1 < n && t[j] == '\\' && t[j + 1] == 'x') ? 1 : 0;
    while (j < n) {
        if (style == 1) {
            if (!(j + 1 < n && t[j] == '\\' && t[j + 1] == 'x')) break;
            j += 2;
        }
        if (j + 1 >= n || hexv((unsigned char)t[j]) < 0 || hexv((unsigned char)t[j + 1]) < 0) break;
        o[k++] = (char)(hexv((unsigned char)t[j]) * 16 + hexv((unsigned char)t[j + 1]));
        j += 2;
        end = j;
        if (style == 0 && j + 2 < n && t[j] == ' ' && hexv((unsigned char)t[j + 1]) >= 0 &&
            hexv((unsigned char)t[j + 2]) >= 0 && (j + 3 >= n || hexv((unsigned char)t[j + 3]) < 0))
            j++; /* "48 65 6c": a single space between pairs */
    }
    o[k] = 0;
    size_t letters = 0;
    for (size_t q = i; style == 0 && q < end; q++) letters += hexv((unsigned char)t[q]) >= 10;
    if (style == 0 && letters == 0) { /* digits alone: a number */
        free(o);
        return i;
    }
    *out = o;
    *olen = k;
    return end;
}

/* International Morse: letters and digits. */
static char morse_char(const char *s, size_t n) {
    static const char *codes[] = {".-", "-...", "-.-.", "-..", ".", "..-.", "--.", "....", "..", ".---",
                                  "-.-", ".-..", "--", "-.", "---", ".--.", "--.-", ".-.", "...", "-",
                                  "..-", "...-", ".--", "-..-", "-.--", "--..", "-----", ".----", "..---",
                                  "...--", "....-", ".....", "-....", "--...", "---..", "----."};
    for (int i = 0; i < 36; i++)
        if (strlen(codes[i]) == n && memcmp(codes[i], s, n) == 0) return (char)(i < 26 ? 'a' + i : '0' + i - 26);
    return 0;
}

static int morse_run(const char *t, size_t n, size_t i, size_t *end, char **out, size_t *olen) {
    size_t j = i;
    while (j < n && (t[j] == '.' || t[j] == '-' || t[j] == ' ' || t[j] == '/')) j++;
    while (j > i && t[j - 1] == ' ') j--;
    *end = j;
    if (j - i < MIN_RUN) return 0;
    char *o = malloc(j - i + 1);
    if (!o) return -1;
    size_t k = 0, letters = 0, a = i;
    while (a < j) {
        if (t[a] == ' ' || t[a] == '/') {
            size_t sp = 0;
            while (a < j && (t[a] == ' ' || t[a] == '/')) { sp += t[a] == '/' ? 2 : 1; a++; }
            if (sp >= 2 && k && o[k - 1] != ' ') o[k++] = ' ';
            continue;
        }
        size_t b = a;
        while (b < j && (t[b] == '.' || t[b] == '-')) b++;
        char c = morse_char(t + a, b - a);
        if (!c) {
            free(o);
            return 0;
        }
        o[k++] = c;
        letters++;
        a = b;
    }
    o[k] = 0;
    if (letters < 4) {
        free(o);
        return 0;
    }
    *out = o;
    *olen = k;
    return 1;
}

/* 1 for the base64 and base64url alphabets (a table: this runs on every byte) */
static const uint8_t B64CH[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1,
    ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,
    ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1,
    ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1,
    ['/'] = 1, ['-'] = 1, ['_'] = 1,
};
static inline int b64ch(unsigned char c) { return B64CH[c]; }

static int find_text_encodings(const char *t, size_t n, dlist *l) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        if (b64ch(c) && (i == 0 || !b64ch((unsigned char)t[i - 1]))) {
            size_t j = i;
            while (j < n && b64ch((unsigned char)t[j])) j++;
            if (j - i < MIN_RUN && !(j < n && (t[j] == ' ' || t[j] == '\\') && hexv(c) >= 0 && j - i == 2)) {
                i = j; /* a word: too short for any encoding ("48 65 6c" hex pairs excepted) */
                continue;
            }
        }
        if (i == 0 || !b64ch((unsigned char)t[i - 1])) {
            /* hex first: a hex run is also a base64 run */
            if ((c == '\\' && i + 1 < n && t[i + 1] == 'x') || hexv(c) >= 0) {
                char *o = NULL;
                size_t ol = 0, e = hex_run(t, n, i, &o, &ol);
                if (!o && e != i) return -1;
                if (o && ol * 2 >= MIN_RUN && (e >= n || !b64ch((unsigned char)t[e])) && is_text((unsigned char *)o, ol)) {
                    if (push(l, i, e, "hex", o, ol) < 0) return -1;
                    i = e;
                    continue;
                }
                free(o);
            }
            if (b64ch(c)) {
                size_t j = i, upper_b32 = 1;
                while (j < n && b64ch((unsigned char)t[j])) {
                    unsigned char d = (unsigned char)t[j];
                    upper_b32 &= (d >= 'A' && d <= 'Z') || (d >= '2' && d <= '7');
                    j++;
                }
                size_t e = j;
                while (e < n && t[e] == '=' && e - j < 6) e++;
                if (j - i >= MIN_RUN) {
                    size_t ol;
                    char *o = NULL;
                    const char *type = "base64";
                    if (upper_b32) {
                        o = b32_decode(t + i, j - i, &ol);
                        type = "base32";
                        if (o && !is_text((unsigned char *)o, ol)) { free(o); o = NULL; }
                    }
                    if (!o) {
                        o = b64_decode(t + i, j - i, &ol);
                        type = "base64";
                        if (!o) return -1;
                        if (!is_text((unsigned char *)o, ol)) { free(o); o = NULL; }
                    }
                    if (o) {
                        if (push(l, i, e, type, o, ol) < 0) return -1;
                    }
                }
                i = e > i ? e : i + 1;
                continue;
            }
        }
        if ((c == '.' || c == '-') && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\n' || t[i - 1] == ':')) {
            size_t e;
            char *o = NULL;
            size_t ol;
            int r = morse_run(t, n, i, &e, &o, &ol);
            if (r < 0) return -1;
            if (r == 1) {
                if (push(l, i, e, "morse", o, ol) < 0) return -1;
                i = e;
                continue;
            }
            i = e > i ? e : i + 1;
            continue;
        }
        i++;
    }
    return 0;
}

/* ---- whole-text ciphers: ROT13 and Atbash ----
 * A letter cipher leaves no run of odd characters to find: the enciphered text is words.
 * What gives it away is that its words are not English and their decoding is: a text
 * split into clauses (at . ! ? : ; brackets and newlines) is read clause by clause, counting the
 * words that are common English function words as written, after ROT13 and after
 * Atbash. Consecutive clauses where a cipher's count beats the plain one form a piece;
 * the piece is decoded when enough of its words, and enough different ones, decode to
 * function words. Ordinary English has function words as written: its clauses cost one
 * table look-up per short word and are never decoded. */
#define CIPHER_ROT13 1
#define CIPHER_ATBASH 2
#define CIPHER_WORD_MIN 2     /* shorter words ("a", "I") are not counted */
#define CIPHER_WORD_MAX 8     /* longer words are never function words here */
#define CIPHER_MIN_HITS 3     /* decoded function words in a piece */
#define CIPHER_MIN_DISTINCT 3 /* ... of this many different words ("GB" alone decodes to "to") */
#define CIPHER_MIN_SHARE 4    /* ... at least one word in this many */

/* Common English function and request words, each packed little-endian into a 64-bit
 * key (first letter in the low byte) for STOP_TABLE below (scripts/guard_stop_table.py
 * holds the same list). Left out: words whose ROT13 or Atbash form is itself a common
 * token or a word of this list ("be" / "or", "an" / "na", "no" / "ab", "if" / "vs", "we" / "jr"):
 *   about, and, are, can, could, do, explain, for, from, get, give, guide, have, how,
 *   in, into, is, it, make, me, my, need, not, of, on, please, should, some, steps,
 *   tell, that, the, there, this, to, use, want, was, what, when, where, which, will,
 *   with, would, write, you, your */

/* The list as a collision-free hash table (printed by scripts/guard_stop_table.py: each
 * word alone in its slot (key * STOP_HASH_MUL) >> 57; idx is the word's number plus one, 0
 * for an empty slot): one multiply, one load and one compare per word. */
#define STOP_HASH_MUL 0xF55B8CF7CECD6747ull
#define STOP_SLOTS 128
#define STOP_SHIFT 57 /* 64 - log2(STOP_SLOTS) */
static const struct {
    uint64_t key;
    uint8_t idx;
} STOP_TABLE[STOP_SLOTS] = {
    [1] = {0x65766967ull, 25} /* give */,
    [8] = {0x736177ull, 16} /* was */,
    [9] = {0x74616874ull, 34} /* that */,
    [11] = {0x756f79ull, 19} /* you */,
    [12] = {0x74756f6261ull, 45} /* about */,
    [14] = {0x65766168ull, 24} /* have */,
    [15] = {0x7469ull, 8} /* it */,
    [18] = {0x6e6163ull, 14} /* can */,
    [19] = {0x68746977ull, 26} /* with */,
    [20] = {0x6d6f7266ull, 29} /* from */,
    [29] = {0x726f66ull, 15} /* for */,
    [34] = {0x646c756f6873ull, 46} /* should */,
    [38] = {0x6f746e69ull, 31} /* into */,
    [39] = {0x6c6c6574ull, 27} /* tell */,
    [42] = {0x646c756f63ull, 37} /* could */,
    [43] = {0x6e656877ull, 30} /* when */,
    [45] = {0x657261ull, 12} /* are */,
    [47] = {0x646e61ull, 10} /* and */,
    [53] = {0x657361656c70ull, 47} /* please */,
    [56] = {0x72756f79ull, 32} /* your */,
    [64] = {0x646c756f77ull, 38} /* would */,
    [65] = {0x73696874ull, 33} /* this */,
    [66] = {0x6574697277ull, 42} /* write */,
    [68] = {0x6f64ull, 5} /* do */,
    [75] = {0x656dull, 1} /* me */,
    [77] = {0x746e6177ull, 36} /* want */,
    [79] = {0x6c6c6977ull, 28} /* will */,
    [81] = {0x7370657473ull, 44} /* steps */,
    [90] = {0x656d6f73ull, 23} /* some */,
    [91] = {0x746567ull, 17} /* get */,
    [92] = {0x6e6full, 4} /* on */,
    [94] = {0x796dull, 9} /* my */,
    [97] = {0x7369ull, 7} /* is */,
    [98] = {0x6564697567ull, 39} /* guide */,
    [102] = {0x6572656877ull, 41} /* where */,
    [108] = {0x656b616dull, 22} /* make */,
    [110] = {0x666full, 2} /* of */,
    [111] = {0x6f74ull, 6} /* to */,
    [112] = {0x657375ull, 13} /* use */,
    [115] = {0x776f68ull, 20} /* how */,
    [116] = {0x6863696877ull, 43} /* which */,
    [117] = {0x6e69616c707865ull, 48} /* explain */,
    [118] = {0x6572656874ull, 40} /* there */,
    [121] = {0x74616877ull, 35} /* what */,
    [123] = {0x6465656eull, 21} /* need */,
    [124] = {0x6e69ull, 3} /* in */,
    [126] = {0x656874ull, 11} /* the */,
    [127] = {0x746f6eull, 18} /* not */,
};

/* The number (0..63) of the function word with packed lowercase key, or -1. A key that is
 * not in the list finds another word's key or an empty slot (key 0) in its slot. */
static int stop_index(uint64_t key) {
    size_t j = (size_t)((key * STOP_HASH_MUL) >> STOP_SHIFT);
    return STOP_TABLE[j].key == key ? STOP_TABLE[j].idx - 1 : -1;
}

/* The letter c (ASCII) under cipher (0: itself), case kept; other bytes unchanged. */
static char cipher_char(char c, int cipher) {
    int up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
    if (!cipher || (!up && !lo)) return c;
    char base = up ? 'A' : 'a';
    int k = c - base;
    return (char)(base + (cipher == CIPHER_ROT13 ? (k + 13) % 26 : 25 - k));
}

/* 1 for ASCII letters, 2 for the bytes that end a clause: sentence marks, newlines and
 * brackets ("(rot13; decode it) <cipher>"). A table: this runs on every byte. */
#define CH_LETTER 1
#define CH_END 2
static const uint8_t CHCLASS[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['.'] = 2, ['!'] = 2, ['?'] = 2, [':'] = 2, [';'] = 2, ['('] = 2, [')'] = 2, ['['] = 2,
    [']'] = 2, ['\n'] = 2,
};
static int is_letter(unsigned char c) { return CHCLASS[c] == CH_LETTER; }
static int clause_end(unsigned char c) { return CHCLASS[c] == CH_END; }

#define BYTES_01 0x0101010101010101ull
#define BYTES_80 (BYTES_01 * 0x80)
#define WORD_LOAD 8 /* bytes read at once by word_key */

/* The mask of the bytes of a packed key of n letters (0..CIPHER_WORD_MAX). */
static uint64_t word_mask(size_t n) { return n >= CIPHER_WORD_MAX ? ~0ull : (1ull << (8 * n)) - 1; }

/* 0x80 in each byte of v (text bytes, the first in the low byte) that is an ASCII letter,
 * 0 in the others: (byte | 0x20) in 'a'..'z' for bytes under 0x80, worked out on their low
 * seven bits so that no byte carries into the next. */
static uint64_t letter_bytes(uint64_t v) {
    uint64_t low = (v & BYTES_01 * 0x7F) | BYTES_01 * 0x20;
    uint64_t from_a = low + BYTES_01 * (0x80 - 'a'), past_z = low + BYTES_01 * (0x80 - 'z' - 1);
    return from_a & ~past_z & ~v & BYTES_80;
}

/* Reads the word of letters that starts at t[i] (a letter) and ends before e: returns its
 * end; *key gets its first CIPHER_WORD_MAX letters lowercased and packed as in STOP_TABLE.
 * With WORD_LOAD bytes left (and little-endian bytes) the first ones are read at once. */
static size_t word_key(const char *t, size_t i, size_t e, uint64_t *key) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && CIPHER_WORD_MAX == WORD_LOAD
    if (e - i >= WORD_LOAD) {
        uint64_t v;
        memcpy(&v, t + i, sizeof v);
        uint64_t others = ~letter_bytes(v) & BYTES_80;
        size_t len = others ? (size_t)__builtin_ctzll(others) / 8 : WORD_LOAD;
        *key = (v | BYTES_01 * 0x20) & word_mask(len);
        i += len;
        if (len == WORD_LOAD)
            while (i < e && is_letter((unsigned char)t[i])) i++;
        return i;
    }
#endif
    size_t s = i;
    uint64_t k = 0;
    for (; i < e && i - s < CIPHER_WORD_MAX && is_letter((unsigned char)t[i]); i++)
        k |= (uint64_t)((unsigned char)t[i] | 32) << (8 * (i - s));
    while (i < e && is_letter((unsigned char)t[i])) i++;
    *key = k;
    return i;
}

/* The packed key of a lowercase word under each cipher, all its bytes at once (mask: its
 * bytes, see word_mask). Atbash maps letter x to 'a' + 'z' - x (0xDB - x); ROT13 adds 13
 * to a-m and takes 13 from n-z. No byte borrows from or carries into its neighbour:
 * letters are 0x61..0x7A. */
#define ATBASH_SUM ('a' + 'z')    /* 0xDB */
#define ROT13_N_BIAS (0x80 - 'n') /* lifts n..z, and only those, to 0x80 and above */
static uint64_t atbash_key(uint64_t key, uint64_t mask) {
    return (BYTES_01 * ATBASH_SUM & mask) - key;
}
static uint64_t rot13_key(uint64_t key, uint64_t mask) {
    uint64_t late = ((key + (BYTES_01 * ROT13_N_BIAS & mask)) >> 7) & (BYTES_01 & mask); /* 1 per n..z */
    return key + (BYTES_01 * 13 & mask) - late * 26;
}

/* Counts of one clause or piece: words, plain function words, words short enough to be
 * one (CIPHER_WORD_MIN..MAX letters), and per cipher the function words after decoding
 * and which ones (a bit per STOP entry). */
typedef struct {
    size_t words, plain, shorts, hits[3];
    uint64_t seen[3];
} ccount;

/* Adds the packed word key to cc's hits of cipher c when it is a function word. */
static void add_hit(ccount *cc, int c, uint64_t key) {
    int x = stop_index(key);
    if (x < 0) return;
    cc->hits[c]++;
    cc->seen[c] |= 1ull << x;
}

/* Counts into cc the function words of clause t[a, b) after ROT13 and after Atbash (the
 * second look at a clause that is not English as written; its words and plain function
 * words are plain_clause's and stay). */
static void count_clause(const char *t, size_t a, size_t b, ccount *cc) {
    for (size_t i = a; i < b;) {
        if (!is_letter((unsigned char)t[i])) {
            i++;
            continue;
        }
        size_t s = i;
        uint64_t key;
        i = word_key(t, i, b, &key);
        size_t len = i - s;
        if (len < CIPHER_WORD_MIN || len > CIPHER_WORD_MAX) continue;
        uint64_t mask = word_mask(len);
        add_hit(cc, CIPHER_ROT13, rot13_key(key, mask));
        add_hit(cc, CIPHER_ATBASH, atbash_key(key, mask));
    }
}

/* The first look at the clause that starts at a: counts its words, the short ones and
 * the plain function words among them into cc (the rest zeroed); returns the clause's end
 * (its end mark or n). */
static size_t plain_clause(const char *t, size_t a, size_t n, ccount *cc) {
    memset(cc, 0, sizeof *cc);
    size_t i = a;
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        if (CHCLASS[c] == CH_END) break;
        if (CHCLASS[c] != CH_LETTER) {
            i++;
            continue;
        }
        size_t s = i;
        uint64_t key;
        i = word_key(t, i, n, &key);
        size_t len = i - s, is_short = len - CIPHER_WORD_MIN <= CIPHER_WORD_MAX - CIPHER_WORD_MIN;
        cc->words += len >= CIPHER_WORD_MIN; /* counted without branches: word lengths vary */
        cc->shorts += is_short;
        cc->plain += is_short & (stop_index(key) >= 0);
    }
    return i;
}

/* The cipher under which clause t[a, b) reads as English rather than as written, or 0;
 * cc (plain_clause's counts) gets the cipher counts when they are needed. A cipher can
 * find at most one function word per short word: with no more short words than plain
 * function words it cannot beat the text as written, and the clause is not decoded. */
static int clause_cipher(const char *t, size_t a, size_t b, ccount *cc) {
    if (cc->words == 0 || cc->plain * CIPHER_MIN_SHARE >= cc->words) return 0; /* English as written */
    if (cc->shorts <= cc->plain) return 0;
    count_clause(t, a, b, cc);
    int best = cc->hits[CIPHER_ROT13] >= cc->hits[CIPHER_ATBASH] ? CIPHER_ROT13 : CIPHER_ATBASH;
    return cc->hits[best] > cc->plain ? best : 0;
}

/* Decodes the piece t[a, b) of cipher c and appends it when its counts cc qualify. */
static int push_cipher(dlist *l, const char *t, size_t a, size_t b, int c, const ccount *cc) {
    if (cc->hits[c] < CIPHER_MIN_HITS || cc->hits[c] * CIPHER_MIN_SHARE < cc->words ||
        (size_t)__builtin_popcountll(cc->seen[c]) < CIPHER_MIN_DISTINCT)
        return 0;
    char *o = malloc(b - a + 1);
    if (!o) return -1;
    for (size_t i = a; i < b; i++) o[i - a] = cipher_char(t[i], c);
    o[b - a] = 0;
    return push(l, a, b, c == CIPHER_ROT13 ? "rot13" : "atbash", o, b - a);
}

/* Finds the ROT13 and Atbash pieces of t[0, n): runs of clauses of one cipher. */
static int find_ciphers(const char *t, size_t n, dlist *l) {
    size_t ps = 0, pe = 0; /* the open piece: first and last word byte */
    int pc = 0;
    ccount sum = {0};
    for (size_t a = 0; a <= n;) {
        ccount cc;
        size_t b = plain_clause(t, a, n, &cc);
        int c = clause_cipher(t, a, b, &cc);
        if (cc.words && c != pc) { /* the open piece ends */
            if (pc && push_cipher(l, t, ps, pe, pc, &sum) < 0) return -1;
            pc = c;
            memset(&sum, 0, sizeof sum);
            if (c) {
                ps = a;
                while (!is_letter((unsigned char)t[ps])) ps++;
            }
        }
        if (c) {
            pe = b;
            while (!is_letter((unsigned char)t[pe - 1])) pe--;
            pe += pe < n && clause_end((unsigned char)t[pe]) && t[pe] != '\n' && t[pe] != '(' && t[pe] != '['; /* its full stop */
            sum.words += cc.words;
            sum.plain += cc.plain;
            sum.hits[c] += cc.hits[c];
            sum.seen[c] |= cc.seen[c];
        }
        a = b + 1;
    }
    return pc ? push_cipher(l, t, ps, pe, pc, &sum) : 0;
}

/* Tag characters U+E0020..E007E spell ASCII; variation selectors carry one byte each
 * (U+FE00..FE0F = 0..15, U+E0100..E01EF = 16..255). */
static int find_invisible_payloads(const char *t, const sw_guard_norm *nm, dlist *l) {
    for (size_t k = 0; k < nm->n_invis; k++) {
        const sw_guard_invis *iv = &nm->invis[k];
        if (iv->kind != SW_INVIS_TAG && iv->kind != SW_INVIS_VARIATION_SELECTOR) continue;
        if (iv->count < 4) continue;
        char *o = malloc(iv->count + 1);
        if (!o) return -1;
        size_t ol = 0;
        for (size_t i = iv->start; i < iv->end;) {
            uint32_t cp;
            int len = sw_utf8_decode((const unsigned char *)t + i, iv->end - i, &cp);
            if (len <= 0) break;
            i += (size_t)len;
            if (iv->kind == SW_INVIS_TAG) {
                if (cp >= 0xE0020 && cp <= 0xE007E) o[ol++] = (char)(cp - 0xE0000);
            } else if (cp >= 0xFE00 && cp <= 0xFE0F) o[ol++] = (char)(cp - 0xFE00);
            else if (cp >= 0xE0100 && cp <= 0xE01EF) o[ol++] = (char)(cp - 0xE0100 + 16);
        }
        o[ol] = 0;
        if (ol < 4 || (iv->kind == SW_INVIS_VARIATION_SELECTOR && !is_text((unsigned char *)o, ol))) {
            free(o);
            continue;
        }
        if (push(l, iv->start, iv->end, iv->kind == SW_INVIS_TAG ? "unicode_tags" : "variation_selectors", o, ol) < 0)
            return -1;
    }
    return 0;
}

int gdecode_find(const char *text, size_t len, const sw_guard_norm *n, gdecoded **out, size_t *nout) {
    dlist l = {0};
    int rc = find_text_encodings(text, len, &l);
    if (rc == 0) rc = find_ciphers(text, len, &l);
    if (rc == 0 && n) rc = find_invisible_payloads(text, n, &l);
    if (rc < 0) {
        for (size_t i = 0; i < l.n; i++) free(l.d[i].text);
        free(l.d);
        *out = NULL;
        *nout = 0;
        return -1;
    }
    *out = l.d;
    *nout = l.n;
    return 0;
}

int ginvis_findings(const sw_guard_norm *n, sw_guard_verdict *v) {
    static const char *types[] = {"ZERO_WIDTH", "BIDI_CONTROL", "UNICODE_TAG", "VARIATION_SELECTOR"};
    static const double scores[] = {0.6, 0.8, 1.0, 0.7};
    for (size_t i = 0; i < n->n_invis; i++) {
        const sw_guard_invis *iv = &n->invis[i];
        char why[96];
        snprintf(why, sizeof why, "%u invisible character%s removed", iv->count, iv->count == 1 ? "" : "s");
        if (gf_add(v, "invisible_text", types[iv->kind], iv->start, iv->end, scores[iv->kind],
                   SW_SRC_HEURISTIC, why) < 0)
            return -1;
    }
    return 0;
}
