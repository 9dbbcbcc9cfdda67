/* redteam_convert.c - prompt converters for `steward eval redteam` (pure functions, with
 * inverses where one exists) and the Wilson 95% interval of an attack success rate. */
#include "steward/redteam.h"

#include <math.h>
#include <string.h>

#define WILSON_Z 1.959964
#define CP_ZERO_WIDTH_SPACE 0x200Bu
#define CP_TAG_BASE 0xE0000u
#define CP_FULLWIDTH_OFFSET 0xFEE0u /* U+FF01 - '!' */
#define CP_IDEOGRAPHIC_SPACE 0x3000u

typedef int (*conv_fn)(const char *in, size_t len, sw_buf *out);

/* Decodes one UTF-8 code point at s[*i..len) and advances *i; an invalid byte decodes
 * as itself. Never fails. */
static unsigned utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[*i];
    size_t n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (c < 0xC0 || *i + n >= len) { (*i)++; return c; }
    unsigned cp = c & (0x3Fu >> n);
    for (size_t k = 1; k <= n; k++) {
        if ((u[*i + k] & 0xC0) != 0x80) { (*i)++; return c; }
        cp = (cp << 6) | (u[*i + k] & 0x3Fu);
    }
    *i += n + 1;
    return cp;
}

/* Appends code point cp as UTF-8 (an invalid input byte, decoded as itself, comes out
 * re-encoded: converters keep valid UTF-8 only). Returns 0, or -1 when memory runs out. */
static int utf8_put(sw_buf *b, unsigned cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) { t[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { t[0] = (char)(0xC0 | cp >> 6); t[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) { t[0] = (char)(0xE0 | cp >> 12); t[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); t[2] = (char)(0x80 | (cp & 0x3F)); n = 3; }
    else { t[0] = (char)(0xF0 | cp >> 18); t[1] = (char)(0x80 | ((cp >> 12) & 0x3F)); t[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); t[3] = (char)(0x80 | (cp & 0x3F)); n = 4; }
    return sw_buf_append(b, t, n);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding. Returns 0, or -1 when memory runs out. */
static int conv_base64(const char *in, size_t len, sw_buf *out)
{
    const unsigned char *u = (const unsigned char *)in;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)u[i] << 16 | (i + 1 < len ? (unsigned)u[i + 1] << 8 : 0) | (i + 2 < len ? u[i + 2] : 0);
        char q[4] = {B64[v >> 18], B64[(v >> 12) & 63], i + 1 < len ? B64[(v >> 6) & 63] : '=', i + 2 < len ? B64[v & 63] : '='};
        if (sw_buf_append(out, q, 4) < 0) return -1;
    }
    return 0;
}

static int b64_val(char c)
{
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Decodes padded base64. Returns 0, -1 on bad input (or out of memory). */
static int unconv_base64(const char *in, size_t len, sw_buf *out)
{
    if (len % 4) return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (in[i + k] == '=' && i + 4 == len && k >= 2) { v[k] = 0; pad++; continue; }
            if (pad || (v[k] = b64_val(in[i + k])) < 0) return -1;
        }
        unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        char t[3] = {(char)(w >> 16), (char)(w >> 8), (char)w};
        if (sw_buf_append(out, t, (size_t)(3 - pad)) < 0) return -1;
    }
    return 0;
}

/* Lower-case hex of every byte. Returns 0, or -1 when memory runs out. */
static int conv_hex(const char *in, size_t len, sw_buf *out)
{
    static const char H[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        char t[2] = {H[c >> 4], H[c & 15]};
        if (sw_buf_append(out, t, 2) < 0) return -1;
    }
    return 0;
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex pairs. Returns 0, -1 on an odd length or a non-hex digit. */
static int unconv_hex(const char *in, size_t len, sw_buf *out)
{
    if (len % 2) return -1;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_val(in[i]), lo = hex_val(in[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        char c = (char)(hi << 4 | lo);
        if (sw_buf_append(out, &c, 1) < 0) return -1;
    }
    return 0;
}

/* ROT13 of ASCII letters (its own inverse). Returns 0, or -1 when memory runs out. */
static int conv_rot13(const char *in, size_t len, sw_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c >= 'a' && c <= 'z') c = (char)('a' + (c - 'a' + 13) % 26);
        else if (c >= 'A' && c <= 'Z') c = (char)('A' + (c - 'A' + 13) % 26);
        if (sw_buf_append(out, &c, 1) < 0) return -1;
    }
    return 0;
}

/* Atbash (a<->z) of ASCII letters (its own inverse). Returns 0, or -1 out of memory. */
static int conv_atbash(const char *in, size_t len, sw_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c >= 'a' && c <= 'z') c = (char)('z' - (c - 'a'));
        else if (c >= 'A' && c <= 'Z') c = (char)('Z' - (c - 'A'));
        if (sw_buf_append(out, &c, 1) < 0) return -1;
    }
    return 0;
}

/* Leetspeak (a->4, e->3, i->1, o->0, s->5, t->7; lossy). Returns 0, or -1 out of memory. */
static int conv_leet(const char *in, size_t len, sw_buf *out)
{
    static const char FROM[] = "aeiostAEIOST", TO[] = "431057431057";
    for (size_t i = 0; i < len; i++) {
        const char *p = in[i] ? strchr(FROM, in[i]) : NULL;
        char c = p ? TO[p - FROM] : in[i];
        if (sw_buf_append(out, &c, 1) < 0) return -1;
    }
    return 0;
}

static const char *const MORSE[36] = {
    ".-", "-...", "-.-.", "-..", ".", "..-.", "--.", "....", "..", ".---", "-.-", ".-..", "--",
    "-.", "---", ".--.", "--.-", ".-.", "...", "-", "..-", "...-", ".--", "-..-", "-.--", "--..",
    "-----", ".----", "..---", "...--", "....-", ".....", "-....", "--...", "---..", "----.",
};

/* Morse code of letters (folded to lower case) and digits, letters separated by ' ' and
 * words by " / "; other characters are dropped. Returns 0, or -1 out of memory. */
static int conv_morse(const char *in, size_t len, sw_buf *out)
{
    int need_sep = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int k = c >= 'a' && c <= 'z' ? c - 'a' : c >= 'A' && c <= 'Z' ? c - 'A' : c >= '0' && c <= '9' ? 26 + c - '0' : -1;
        if (c == ' ' && need_sep) { if (sw_buf_puts(out, " /") < 0) return -1; continue; }
        if (k < 0) continue;
        if ((need_sep && sw_buf_puts(out, " ") < 0) || sw_buf_puts(out, MORSE[k]) < 0) return -1;
        need_sep = 1;
    }
    return 0;
}

/* Decodes Morse written by conv_morse (lower case). Returns 0, -1 on an unknown code. */
static int unconv_morse(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && in[j] != ' ') j++;
        size_t n = j - i;
        if (n == 1 && in[i] == '/') { if (sw_buf_puts(out, " ") < 0) return -1; }
        else if (n > 0) {
            int k = -1;
            for (int m = 0; m < 36 && k < 0; m++)
                if (strlen(MORSE[m]) == n && memcmp(MORSE[m], in + i, n) == 0) k = m;
            if (k < 0) return -1;
            char c = (char)(k < 26 ? 'a' + k : '0' + k - 26);
            if (sw_buf_append(out, &c, 1) < 0) return -1;
        }
        i = j + 1;
    }
    return 0;
}

/* Inserts `sep` (a code point) after every code point but the last. Returns 0 or -1. */
static int interleave(const char *in, size_t len, sw_buf *out, unsigned sep)
{
    size_t i = 0;
    while (i < len) {
        if (utf8_put(out, utf8_next(in, len, &i)) < 0) return -1;
        if (i < len && utf8_put(out, sep) < 0) return -1;
    }
    return 0;
}

static int conv_spacing(const char *in, size_t len, sw_buf *out) { return interleave(in, len, out, ' '); }
static int conv_zerowidth(const char *in, size_t len, sw_buf *out) { return interleave(in, len, out, CP_ZERO_WIDTH_SPACE); }

/* Removes every zero-width space. Returns 0, or -1 when memory runs out. */
static int unconv_zerowidth(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp = utf8_next(in, len, &i);
        if (cp != CP_ZERO_WIDTH_SPACE && utf8_put(out, cp) < 0) return -1;
    }
    return 0;
}

/* ASCII smuggled as invisible Unicode tag characters (U+E0000 + c); others unchanged. */
static int conv_tags(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp = utf8_next(in, len, &i);
        if (utf8_put(out, cp > 0 && cp < 0x80 ? CP_TAG_BASE + cp : cp) < 0) return -1;
    }
    return 0;
}

static int unconv_tags(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp = utf8_next(in, len, &i);
        if (utf8_put(out, cp > CP_TAG_BASE && cp < CP_TAG_BASE + 0x80 ? cp - CP_TAG_BASE : cp) < 0) return -1;
    }
    return 0;
}

/* Latin letters and their Cyrillic look-alikes. */
static const char HG_LATIN[] = "aceopxyACEHKMOPTX";
static const unsigned HG_CYR[] = {0x430, 0x441, 0x435, 0x43E, 0x440, 0x445, 0x443, 0x410, 0x421,
                                  0x415, 0x41D, 0x41A, 0x41C, 0x41E, 0x420, 0x422, 0x425};
#define HG_N (sizeof HG_CYR / sizeof HG_CYR[0])

static int conv_homoglyph(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp = utf8_next(in, len, &i);
        const char *p = cp && cp < 0x80 ? strchr(HG_LATIN, (int)cp) : NULL;
        if (utf8_put(out, p ? HG_CYR[p - HG_LATIN] : cp) < 0) return -1;
    }
    return 0;
}

static int unconv_homoglyph(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp = utf8_next(in, len, &i);
        for (size_t k = 0; k < HG_N; k++)
            if (HG_CYR[k] == cp) { cp = (unsigned char)HG_LATIN[k]; break; }
        if (utf8_put(out, cp) < 0) return -1;
    }
    return 0;
}

/* Printable ASCII as full-width forms (U+FF01..U+FF5E), space as U+3000. */
static int conv_fullwidth(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp = utf8_next(in, len, &i);
        if (cp == ' ') cp = CP_IDEOGRAPHIC_SPACE;
        else if (cp >= 0x21 && cp <= 0x7E) cp += CP_FULLWIDTH_OFFSET;
        if (utf8_put(out, cp) < 0) return -1;
    }
    return 0;
}

static int unconv_fullwidth(const char *in, size_t len, sw_buf *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp = utf8_next(in, len, &i);
        if (cp == CP_IDEOGRAPHIC_SPACE) cp = ' ';
        else if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= CP_FULLWIDTH_OFFSET;
        if (utf8_put(out, cp) < 0) return -1;
    }
    return 0;
}

/* Alternating case of ASCII letters (lossy). Returns 0, or -1 out of memory. */
static int conv_casemix(const char *in, size_t len, sw_buf *out)
{
    int upper = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            c = upper ? (char)(c & ~0x20) : (char)(c | 0x20);
            upper = !upper;
        }
        if (sw_buf_append(out, &c, 1) < 0) return -1;
    }
    return 0;
}

static const struct {
    const char *name;
    conv_fn fwd, inv;
} CONVERTERS[] = {
    {"base64", conv_base64, unconv_base64}, {"hex", conv_hex, unconv_hex},
    {"rot13", conv_rot13, conv_rot13},       {"atbash", conv_atbash, conv_atbash},
    {"leetspeak", conv_leet, NULL},          {"morse", conv_morse, unconv_morse},
    {"spacing", conv_spacing, NULL},         {"zerowidth", conv_zerowidth, unconv_zerowidth},
    {"tags", conv_tags, unconv_tags},        {"homoglyph", conv_homoglyph, unconv_homoglyph},
    {"fullwidth", conv_fullwidth, unconv_fullwidth}, {"casemix", conv_casemix, NULL},
};
#define N_CONVERTERS (sizeof CONVERTERS / sizeof CONVERTERS[0])

size_t sw_redteam_converter_count(void) { return N_CONVERTERS; }

const char *sw_redteam_converter_name(size_t i) { return i < N_CONVERTERS ? CONVERTERS[i].name : NULL; }

/* Index of the converter called name, or -1. */
static int find_converter(const char *name)
{
    for (size_t i = 0; name && i < N_CONVERTERS; i++)
        if (strcmp(CONVERTERS[i].name, name) == 0) return (int)i;
    return -1;
}

int sw_redteam_converter_invertible(const char *name)
{
    int k = find_converter(name);
    return k < 0 ? -1 : CONVERTERS[k].inv != NULL;
}

int sw_redteam_convert(const char *name, const char *in, size_t len, sw_buf *out, sw_err *err)
{
    int k = find_converter(name);
    if (k < 0) return sw_err_set(err, "redteam: unknown converter '%s'", name ? name : "(null)");
    if (CONVERTERS[k].fwd(in, len, out) < 0) return sw_err_set(err, "redteam: converter %s: out of memory", name);
    return 0;
}

int sw_redteam_unconvert(const char *name, const char *in, size_t len, sw_buf *out, sw_err *err)
{
    int k = find_converter(name);
    if (k < 0) return sw_err_set(err, "redteam: unknown converter '%s'", name ? name : "(null)");
    if (!CONVERTERS[k].inv) return sw_err_set(err, "redteam: converter %s has no inverse", name);
    if (CONVERTERS[k].inv(in, len, out) < 0)
        return sw_err_set(err, "redteam: converter %s: input is not a valid encoding (or out of memory)", name);
    return 0;
}

void sw_redteam_wilson95(size_t k, size_t n, double *lo, double *hi)
{
    if (n == 0) { *lo = *hi = 0; return; }
    double p = (double)k / (double)n, z2 = WILSON_Z * WILSON_Z, nn = (double)n;
    double denom = 1 + z2 / nn, centre = (p + z2 / (2 * nn)) / denom;
    double half = WILSON_Z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
    /* the bounds are exactly 0 and 1 at the extremes (rounding left 0.9999999999999999,
     * an interval that did not contain its own rate of 1) */
    if (k == 0) *lo = 0;
    if (k >= n) *hi = 1;
}
