/* validators.c - checksums and structure checks that PII candidates must pass. */
#include "steward/guard.h"

#include <math.h>
#include <string.h>

static int isdig(char c) { return c >= '0' && c <= '9'; }
static int isalph(char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int ishex(char c) { return isdig(c) || ((c | 32) >= 'a' && (c | 32) <= 'f'); }

int sw_valid_luhn(const char *s, size_t n) {
    int digits[32], nd = 0;
    for (size_t i = 0; i < n; i++) {
        if (isdig(s[i])) {
            if (nd == 32) return 0;
            digits[nd++] = s[i] - '0';
        } else if (s[i] != ' ' && s[i] != '-') return 0;
    }
    if (nd < 12 || nd > 19) return 0;
    int sum = 0, allsame = 1;
    for (int i = 0; i < nd; i++) {
        int d = digits[nd - 1 - i];
        if (i & 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
        allsame &= digits[i] == digits[0];
    }
    return sum % 10 == 0 && !allsame;
}

/* IBAN length per country (ISO 13616 registry). */
static int iban_length(char a, char b) {
    static const struct { char cc[3]; int len; } t[] = {
        {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
        {"BG", 22}, {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28},
        {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24},
        {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18},
        {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23},
        {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
        {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22},
        {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
        {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
        {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28},
        {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
    };
    a = (char)(a & ~32);
    b = (char)(b & ~32);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].cc[0] == a && t[i].cc[1] == b) return t[i].len;
    return 0;
}

int sw_valid_iban(const char *s, size_t n) {
    char c[40];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') continue;
        if (!isdig(s[i]) && !isalph(s[i])) return 0;
        if (k == sizeof c) return 0;
        c[k++] = s[i];
    }
    if (k < 15 || !isalph(c[0]) || !isalph(c[1]) || !isdig(c[2]) || !isdig(c[3])) return 0;
    if ((size_t)iban_length(c[0], c[1]) != k) return 0;
    /* move the first four characters to the end; letters are 10..35; reduce mod 97 */
    unsigned rem = 0;
    for (size_t j = 0; j < k; j++) {
        char ch = c[(j + 4) % k];
        if (isdig(ch)) rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
        else {
            unsigned v = (unsigned)((ch | 32) - 'a') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    return rem == 1;
}

static int valid_date(int y, int m, int d) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return 0;
    int md = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) md = 29;
    return d <= md;
}

int sw_valid_cn_id(const char *s, size_t n) {
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    if (n != 18) return 0;
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!isdig(s[i])) return 0;
        sum += (s[i] - '0') * w[i];
    }
    char last = (char)(s[17] == 'x' ? 'X' : s[17]);
    if (last != check[sum % 11]) return 0;
    if (s[0] == '0' || s[0] == '9') return 0; /* no province codes start with 0 or 9 */
    int y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
    int m = (s[10] - '0') * 10 + (s[11] - '0');
    int d = (s[12] - '0') * 10 + (s[13] - '0');
    return valid_date(y, m, d);
}

int sw_valid_us_ssn(const char *s, size_t n) {
    char d[9];
    int k = 0;
    if (n == 11) {
        if (s[3] != s[6] || (s[3] != '-' && s[3] != ' ' && s[3] != '.')) return 0;
        for (size_t i = 0; i < n; i++) {
            if (i == 3 || i == 6) continue;
            if (!isdig(s[i])) return 0;
            d[k++] = s[i];
        }
    } else if (n == 9) {
        for (size_t i = 0; i < n; i++) {
            if (!isdig(s[i])) return 0;
            d[k++] = s[i];
        }
    } else return 0;
    int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    int group = (d[3] - '0') * 10 + (d[4] - '0');
    int serial = (d[5] - '0') * 1000 + (d[6] - '0') * 100 + (d[7] - '0') * 10 + (d[8] - '0');
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return 0;
    int same = 1;
    for (int i = 1; i < 9; i++) same &= d[i] == d[0];
    if (same) return 0;
    if (memcmp(d, "123456789", 9) == 0) return 0; /* the best-known sample number */
    return 1;
}

int sw_valid_ipv4(const char *s, size_t n) {
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        int v = 0, nd = 0;
        while (i < n && isdig(s[i])) {
            if (nd == 1 && v == 0) return 0; /* leading zero */
            v = v * 10 + (s[i] - '0');
            if (++nd > 3 || v > 255) return 0;
            i++;
        }
        if (!nd) return 0;
        parts++;
        if (parts < 4) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
    }
    return i == n;
}

int sw_valid_ipv6(const char *s, size_t n) {
    if (n < 2 || n > 45) return 0;
    int groups = 0, dbl = 0;
    size_t i = 0;
    if (s[0] == ':') {
        if (s[1] != ':') return 0;
        dbl = 1;
        i = 2;
        if (i == n) return 1; /* "::" */
    }
    while (i < n) {
        size_t st = i;
        while (i < n && ishex(s[i]) && i - st < 5) i++;
        size_t gl = i - st;
        if (gl == 0 || gl > 4) {
            /* an embedded IPv4 tail: a.b.c.d */
            return 0;
        }
        if (i < n && s[i] == '.') { /* IPv4 tail */
            if (!sw_valid_ipv4(s + st, n - st)) return 0;
            groups += 2;
            i = n;
            break;
        }
        groups++;
        if (i == n) break;
        if (s[i] != ':') return 0;
        i++;
        if (i < n && s[i] == ':') {
            if (dbl) return 0;
            dbl = 1;
            i++;
            if (i == n) break;
        } else if (i == n) return 0; /* trailing single colon */
    }
    return dbl ? groups < 8 : groups == 8;
}

int sw_valid_mac(const char *s, size_t n) {
    if (n != 17) return 0;
    char sep = s[2];
    if (sep != ':' && sep != '-') return 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 2) {
            if (s[i] != sep) return 0;
        } else if (!ishex(s[i])) return 0;
    }
    return 1;
}

int sw_valid_email(const char *s, size_t n) {
    const char *at = memchr(s, '@', n);
    if (!at || at == s) return 0;
    size_t local = (size_t)(at - s), dom = n - local - 1;
    if (local > 64 || dom < 4 || dom > 253) return 0;
    if (s[0] == '.' || at[-1] == '.') return 0;
    for (size_t i = 0; i < local; i++) {
        char c = s[i];
        if (!(isalph(c) || isdig(c) || strchr(".!#$%&'*+/=?^_`{|}~-", c)) || c == 0) return 0;
        if (c == '.' && i + 1 < local && s[i + 1] == '.') return 0;
    }
    const char *d = at + 1;
    size_t label = 0, last_dot = (size_t)-1;
    for (size_t i = 0; i < dom; i++) {
        char c = d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-') return 0;
            label = 0;
            last_dot = i;
            continue;
        }
        if (!(isalph(c) || isdig(c) || c == '-')) return 0;
        if (label == 0 && c == '-') return 0;
        if (++label > 63) return 0;
    }
    if (last_dot == (size_t)-1 || label < 2) return 0;
    for (size_t i = last_dot + 1; i < dom; i++)
        if (!isalph(d[i])) return 0; /* the top-level domain is letters */
    return 1;
}

static int b64url_val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (isdig(c)) return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

int sw_valid_jwt(const char *s, size_t n) {
    /* header.payload.signature, each base64url; the header decodes to a JSON object
     * that starts with '{"' which is always encoded as "eyJ" */
    if (n < 20 || memcmp(s, "eyJ", 3) != 0) return 0;
    int dots = 0;
    size_t part = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (part < (dots == 2 ? 0u : 4u)) return 0;
            dots++;
            part = 0;
            if (dots == 1 && (i + 3 >= n || memcmp(s + i + 1, "eyJ", 3) != 0)) return 0;
            continue;
        }
        if (b64url_val(s[i]) < 0 && s[i] != '=') return 0;
        part++;
    }
    return dots == 2 && part >= 16;
}

double sw_entropy(const char *s, size_t n) {
    if (n == 0) return 0;
    unsigned cnt[256] = {0};
    for (size_t i = 0; i < n; i++) cnt[(unsigned char)s[i]]++;
    double h = 0;
    for (int i = 0; i < 256; i++) {
        if (!cnt[i]) continue;
        double p = (double)cnt[i] / (double)n;
        h -= p * log2(p);
    }
    return h;
}
