/* pii.c - PII recognisers over the light view: candidate -> validator -> score,
 * raised by context words before the candidate (Presidio's model, hand-written scanners). */
#include "guard_int.h"

#include <stdio.h>
#include <string.h>

static inline int dig(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int alph(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline int alnum(unsigned char c) { return dig(c) || alph(c); }
static inline int hexc(unsigned char c) { return dig(c) || (c >= 'a' && c <= 'f'); }

/* 1 when one of the NUL-separated words occurs in the 64 bytes before s. */
static int context(const char *v, size_t s, const char *words) {
    size_t from = s > 64 ? s - 64 : 0;
    char win[72];
    size_t n = s - from;
    memcpy(win, v + from, n);
    win[n] = 0;
    for (const char *w = words; *w; w += strlen(w) + 1)
        if (strstr(win, w)) return 1;
    return 0;
}

static const char CTX_PHONE[] = "phone\0call\0tel\0mobile\0cell\0fax\0contact\0reach\0answering\0"
                                "dial\0whatsapp\0registered\0text me\0sms\0电话\0手机\0号码\0联系\0";
static const char CTX_PHONE_AFTER[] = "office\0fax\0mobile\0cell\0home\0work\0phone\0tel\0";
static const char CTX_NOT_PHONE[] = "license\0licence\0account\0passport\0order\0invoice\0zip\0postal\0"
                                    "id:\0id \0serial\0";

/* 1 when one of the NUL-separated words occurs in the 16 bytes after e. */
static int context_after(const char *v, size_t n, size_t e, const char *words) {
    char win[24];
    size_t k = n - e < 16 ? n - e : 16;
    memcpy(win, v + e, k);
    win[k] = 0;
    for (const char *w = words; *w; w += strlen(w) + 1)
        if (strstr(win, w)) return 1;
    return 0;
}
static const char CTX_CARD[] = "card\0visa\0mastercard\0amex\0credit\0debit\0payment\0pay \0"
                               "cc\0信用卡\0银行卡\0卡号\0";
static const char CTX_SSN[] = "ssn\0social security\0social sec\0";
static const char CTX_IP[] = "ip\0address\0host\0server\0addr\0";
static const char CTX_ID[] = "身份证\0id\0identity\0";

static int emit(const sw_guard_norm *nm, sw_guard_verdict *v, const char *type, size_t s,
                size_t e, double score, const char *why) {
    size_t os, oe;
    gv_span(&nm->light, s, e, &os, &oe);
    if (score > 1) score = 1;
    return gf_add(v, "pii", type, os, oe, score, SW_SRC_PII, why);
}

/* ---- email: around each '@' ---- */
static int local_ch(unsigned char c) { return alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
static int dom_ch(unsigned char c) { return alnum(c) || c == '.' || c == '-'; }

static size_t scan_email(const sw_guard_norm *nm, size_t at, sw_guard_verdict *v, int *rc) {
    const char *s = nm->light.s;
    size_t n = nm->light.len, a = at, b = at + 1;
    while (a > 0 && local_ch((unsigned char)s[a - 1])) a--;
    while (b < n && dom_ch((unsigned char)s[b])) b++;
    while (b > at + 1 && (s[b - 1] == '.' || s[b - 1] == '-')) b--;
    while (a < at && s[a] == '.') a++;
    if (a < at && sw_valid_email(s + a, b - a)) {
        *rc = emit(nm, v, "EMAIL_ADDRESS", a, b, 0.95, "email: local part, domain and TLD well formed");
        return b;
    }
    return at + 1;
}

/* ---- numbers: phones, cards, SSN, resident IDs, IPv4 ---- */
typedef struct {
    size_t s, e;     /* span in the light view */
    char d[40];      /* the digits (and a final 'x' of a resident ID) */
    int nd;
    int groups[12];  /* digit-group lengths */
    int ng;
    char seps[12];   /* separator before each group after the first */
    int plus, paren, ext, dots_only;
} numrun;

/* Reads digits separated by single separators (space - . / and parentheses) starting
 * at i. Stops at letters, double separators, and after 12 groups. */
static size_t read_number(const char *s, size_t n, size_t i, numrun *r) {
    memset(r, 0, sizeof *r);
    r->s = i;
    if (s[i] == '+') { r->plus = 1; i++; }
    size_t last_digit_end = i;
    while (i < n && r->ng < 12) {
        if (s[i] == '(') {
            r->paren = 1;
            i++;
            continue;
        }
        if (!dig((unsigned char)s[i])) break;
        int gl = 0;
        while (i < n && dig((unsigned char)s[i])) {
            if (r->nd < 38) r->d[r->nd++] = s[i];
            gl++;
            i++;
        }
        r->groups[r->ng++] = gl;
        last_digit_end = i;
        /* resident ID check character */
        if (i < n && s[i] == 'x' && r->nd == 17 && r->ng == 1 && (i + 1 >= n || !alnum((unsigned char)s[i + 1]))) {
            r->d[r->nd++] = 'x';
            i++;
            last_digit_end = i;
            break;
        }
        /* phone extension: x123 */
        if (i + 1 < n && s[i] == 'x' && dig((unsigned char)s[i + 1]) && r->nd >= 7) {
            size_t j = i + 1;
            while (j < n && dig((unsigned char)s[j])) j++;
            r->ext = 1;
            i = last_digit_end = j;
            break;
        }
        /* one separator (or ") " / ")") then a digit or "(" */
        size_t j = i;
        char sep = 0;
        if (j < n && s[j] == ')') { sep = ')'; j++; }
        if (j < n && (s[j] == ' ' || s[j] == '-' || s[j] == '.' || s[j] == '/')) {
            if (!sep || s[j] == ' ') sep = s[j];
            j++;
        }
        if (!sep || j >= n || !(dig((unsigned char)s[j]) || (s[j] == '(' && j + 1 < n && dig((unsigned char)s[j + 1]))))
            break;
        if (r->ng < 12) r->seps[r->ng] = sep;
        i = j;
    }
    r->e = last_digit_end;
    r->d[r->nd] = 0;
    r->dots_only = 1;
    for (int g = 1; g < r->ng; g++) r->dots_only &= r->seps[g] == '.';
    return r->e;
}

static int looks_like_date(const numrun *r) {
    if (r->ng < 3 || r->plus || r->paren) return 0;
    if (r->ng > 3 && r->seps[3] != ' ') return 0; /* "71-33-52-22" is a phone; a date may be followed by a time */
    char c = r->seps[1];
    if (c != r->seps[2] || (c != '-' && c != '/' && c != '.')) return 0;
    int a = r->groups[0], b = r->groups[1], d = r->groups[2];
    return (a == 4 && b <= 2 && d <= 2) || (a <= 2 && b <= 2 && (d == 4 || d == 2));
}

static int cn_mobile(const numrun *r, int *off) {
    const char *d = r->d;
    int k = 0;
    if (r->nd == 13 && d[0] == '8' && d[1] == '6' && r->plus) k = 2;
    else if (r->nd == 15 && memcmp(d, "0086", 4) == 0) k = 4;
    else if (r->nd != 11 || r->plus) return 0;
    /* written whole or as 3-4-4 after the prefix ("+1 415 555 2671" is not one) */
    int g0 = k ? 1 : 0;
    if (r->ng > g0 && r->groups[g0] != 3 && r->groups[g0] != 11 && !(k && r->ng == 1)) return 0;
    *off = k;
    return d[k] == '1' && d[k + 1] >= '3' && d[k + 1] <= '9';
}

static int nanp(const numrun *r) {
    const char *d = r->d;
    int k = 0;
    if (r->nd == 11 && d[0] == '1') k = 1;
    else if (r->nd == 14 && memcmp(d, "0011", 4) == 0) k = 4; /* 001-1 unusual */
    else if (r->nd == 13 && memcmp(d, "001", 3) == 0) k = 3;
    else if (r->nd != 10) return 0;
    return d[k] >= '2' && d[k] <= '9' && d[k + 3] >= '2' && d[k + 3] <= '9';
}

static int classify_number(const sw_guard_norm *nm, const numrun *r, sw_guard_verdict *v) {
    const char *s = nm->light.s;
    size_t len = r->e - r->s;
    int nd = r->nd;
    if (nd == 0) return 0;
    /* IPv4 */
    if (r->ng == 4 && r->dots_only && !r->plus && !r->paren) {
        if (sw_valid_ipv4(s + r->s, len))
            return emit(nm, v, "IP_ADDRESS", r->s, r->e, context(s, r->s, CTX_IP) ? 0.95 : 0.85,
                        "IPv4: four octets 0-255");
        return 0;
    }
    /* resident identity number (contiguous 18 characters) */
    if (r->ng == 1 && nd == 18) {
        if (sw_valid_cn_id(r->d, 18))
            return emit(nm, v, "CN_RESIDENT_ID", r->s, r->e, context(s, r->s, CTX_ID) ? 1.0 : 0.9,
                        "GB 11643 check character and birth date valid");
        if (r->d[17] == 'x') return 0; /* a failing ID is not a card or phone either */
    }
    /* US SSN: AAA-GG-SSSS */
    if (r->ng == 3 && r->groups[0] == 3 && r->groups[1] == 2 && r->groups[2] == 4 &&
        r->seps[1] == r->seps[2] && (r->seps[1] == '-' || r->seps[1] == ' ') && !r->plus && !r->paren) {
        if (sw_valid_us_ssn(s + r->s, len))
            return emit(nm, v, "US_SSN", r->s, r->e, context(s, r->s, CTX_SSN) ? 1.0 : 0.85,
                        "SSN: area, group and serial in valid ranges");
        return 0;
    }
    if (r->ng == 1 && nd == 9 && context(s, r->s, CTX_SSN)) {
        if (sw_valid_us_ssn(r->d, 9))
            return emit(nm, v, "US_SSN", r->s, r->e, 0.8, "SSN: valid ranges, context word");
        return 0;
    }
    /* credit card: 12-19 digits in groups separated by space or dash, Luhn */
    if (nd >= 12 && nd <= 19 && !r->plus && !r->paren && !r->ext) {
        int seps_ok = 1;
        for (int g = 1; g < r->ng; g++) seps_ok &= r->seps[g] == ' ' || r->seps[g] == '-';
        if (seps_ok && sw_valid_luhn(r->d, (size_t)nd)) {
            char p = r->d[0];
            int brand = p == '3' || p == '4' || p == '5' || p == '6' || p == '2' ||
                        memcmp(r->d, "1800", 4) == 0;
            double sc = brand ? 0.85 : 0.6;
            if (context(s, r->s, CTX_CARD)) sc += 0.15;
            return emit(nm, v, "CREDIT_CARD", r->s, r->e, sc, "card number: Luhn checksum valid");
        }
        if (seps_ok && r->ng == 1 && nd >= 13) return 0; /* a long digit string failing Luhn */
    }
    /* phones: not dates ("2006-04-07 09:00"), times or numbers labelled as something else */
    if (looks_like_date(r)) return 0;
    size_t n = nm->light.len;
    if (r->e + 1 < n && s[r->e] == ':' && dig((unsigned char)s[r->e + 1])) return 0;
    int off;
    int ctx = context(s, r->s, CTX_PHONE) || context_after(s, n, r->e, CTX_PHONE_AFTER);
    if (cn_mobile(r, &off))
        return emit(nm, v, "PHONE_NUMBER", r->s, r->e, ctx ? 0.95 : 0.8, "China mobile number 1[3-9]x{9}");
    if (!ctx && context(s, r->s, CTX_NOT_PHONE)) return 0;
    if (nd < 7 || nd > 15) return 0;
    int same = 1;
    for (int i = 1; i < nd; i++) same &= r->d[i] == r->d[0];
    if (same) return 0;
    double sc;
    if (nanp(r) && (r->ng >= 3 || r->paren || r->ng == 1)) sc = r->ng == 1 ? 0.5 : 0.8;
    else if (r->plus) sc = 0.75;
    else if (r->ng >= 3) sc = 0.6;
    else if (r->ng == 2 && r->seps[1] == '-' && nd >= 9) sc = 0.55; /* "0961-7596216" */
    else if (r->ng == 2) sc = 0.4; /* "17151 2450 Crown St": street numbers look alike */
    else sc = 0.3;
    if (ctx) sc += 0.3;
    if (r->dots_only && r->ng == 2) sc -= 0.2; /* a decimal number */
    if (r->ng == 1 && !ctx) return 0;           /* a bare digit string is rarely a phone */
    return emit(nm, v, "PHONE_NUMBER", r->s, r->e, sc,
                ctx ? "phone-number shape with a context word" : "phone-number shape");
}

/* ---- IBAN: two letters, two digits, then up to 30 letters/digits, spaces allowed ---- */
static size_t scan_iban(const sw_guard_norm *nm, size_t i, sw_guard_verdict *v, int *rc) {
    const char *s = nm->light.s;
    size_t n = nm->light.len;
    char c[40];
    size_t k = 0, j = i, ends[40];
    while (j < n && k < 34) {
        if (alnum((unsigned char)s[j])) {
            c[k] = s[j];
            ends[k++] = j + 1;
            j++;
        } else if (s[j] == ' ' && j + 1 < n && alnum((unsigned char)s[j + 1]) && k >= 4) j++;
        else break;
    }
    /* try the longest prefix that validates (a following word may have been absorbed) */
    for (size_t m = k; m >= 15; m--) {
        if (sw_valid_iban(c, m)) {
            size_t e = ends[m - 1];
            if (e < n && alnum((unsigned char)s[e])) continue;
            *rc = emit(nm, v, "IBAN_CODE", i, e, 0.95, "IBAN: country length and mod-97 check");
            return e;
        }
    }
    /* an IBAN-shaped run that fails the check is skipped whole: its digits are no phone */
    return k >= 15 ? ends[k - 1] : i + 1;
}

/* ---- IPv6 and MAC: hex groups with colons ---- */
static size_t scan_hexcolon(const sw_guard_norm *nm, size_t i, sw_guard_verdict *v, int *rc) {
    const char *s = nm->light.s;
    size_t n = nm->light.len, j = i;
    int colons = 0, groups = 0, ingroup = 0;
    while (j < n && (hexc((unsigned char)s[j]) || s[j] == ':' || s[j] == '-' || s[j] == '.')) {
        if (s[j] == ':') { colons++; ingroup = 0; }
        else if (!ingroup && hexc((unsigned char)s[j])) { groups++; ingroup = 1; }
        else if (s[j] == '-' || s[j] == '.') ingroup = 0;
        j++;
    }
    while (j > i && (s[j - 1] == '.' || s[j - 1] == '-' || (s[j - 1] == ':' && !(j >= 2 && s[j - 2] == ':')))) j--;
    if (j < n && alnum((unsigned char)s[j])) return i + 1;
    size_t len = j - i;
    if (len == 17 && sw_valid_mac(s + i, len)) {
        *rc = emit(nm, v, "MAC_ADDRESS", i, j, 0.85, "MAC address: six hex octets");
        return j;
    }
    if (colons >= 2 && groups >= 3 && sw_valid_ipv6(s + i, len)) {
        *rc = emit(nm, v, "IP_ADDRESS", i, j, context(s, i, CTX_IP) ? 0.95 : 0.85,
                   "IPv6: hex groups well formed");
        return j;
    }
    return i + 1;
}

int gpii_scan(const sw_guard_norm *nm, sw_guard_verdict *v) {
    const char *s = nm->light.s;
    size_t n = nm->light.len, i = 0;
    int rc = 0;
    /* The first pass finds '@' with memchr: emails are the only type needing it. The
     * second pass skips the emails' spans (digits in a local part are not a phone). */
    size_t em_s[64], em_e[64];
    int nem = 0, cur = 0;
    for (const char *p = memchr(s, '@', n); p && rc == 0; p = memchr(p + 1, '@', n - (size_t)(p + 1 - s))) {
        size_t before = v->n_findings;
        size_t e = scan_email(nm, (size_t)(p - s), v, &rc);
        if (v->n_findings > before && nem < 64) {
            size_t a = (size_t)(p - s);
            while (a > 0 && local_ch((unsigned char)s[a - 1])) a--;
            em_s[nem] = a;
            em_e[nem++] = e;
        }
        p = s + e - 1;
    }
    while (i < n && rc == 0) {
        while (cur < nem && em_e[cur] <= i) cur++;
        if (cur < nem && i >= em_s[cur]) {
            i = em_e[cur];
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        int start = i == 0 || !(alnum((unsigned char)s[i - 1]) || s[i - 1] == '@' || s[i - 1] == '.' ||
                                 s[i - 1] == '_');
        if (!start || !(alnum(c) || c == '+' || c == '(' || c == ':')) {
            i++;
            continue;
        }
        size_t next = i + 1;
        /* hex-with-colons first (IPv6 / MAC may begin with digits) */
        size_t k = i;
        while (k < n && hexc((unsigned char)s[k]) && k - i < 5) k++;
        if (k < n && (s[k] == ':' || (s[k] == '-' && k - i == 2)) && (k > i || s[k] == ':')) {
            size_t e = scan_hexcolon(nm, i, v, &rc);
            if (e > i + 1) { i = e; continue; }
        }
        if (alph(c)) {
            if (i + 3 < n && alph((unsigned char)s[i + 1]) && dig((unsigned char)s[i + 2]) &&
                dig((unsigned char)s[i + 3])) {
                size_t e = scan_iban(nm, i, v, &rc);
                if (e > i + 1) { i = e; continue; }
            }
            while (next < n && alnum((unsigned char)s[next])) next++; /* skip the word */
            i = next;
            continue;
        }
        if (dig(c) || c == '+' || c == '(') {
            if ((c == '+' || c == '(') && !(i + 1 < n && dig((unsigned char)s[i + 1]))) { i++; continue; }
            numrun r;
            size_t e = read_number(s, n, i, &r);
            if (e < n && alph((unsigned char)s[e])) { /* "123abc": not a number token */
                while (e < n && alnum((unsigned char)s[e])) e++;
                i = e;
                continue;
            }
            rc = classify_number(nm, &r, v);
            i = e > i ? e : i + 1;
            continue;
        }
        i++;
    }
    return rc;
}
