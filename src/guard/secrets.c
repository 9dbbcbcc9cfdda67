/* secrets.c - API keys, private keys, JWTs, passwords and high-entropy tokens, found in
 * the original bytes (case matters for these formats, so not in the folded views). */
#include "guard_int.h"

#include <string.h>

static inline int tokch(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '/' || c == '=' || c == '.' || c == '~';
}
static inline int alnum_(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

typedef struct {
    const char *prefix;
    size_t min_len; /* whole token, prefix included */
    const char *type;
    const char *what;
} keyfmt;

static const keyfmt KEYS[] = {
    {"sk-ant-", 40, "API_KEY", "Anthropic API key prefix"},
    {"sk-proj-", 40, "API_KEY", "OpenAI project key prefix"},
    {"sk-", 32, "API_KEY", "OpenAI-style secret key prefix"},
    {"AKIA", 20, "AWS_ACCESS_KEY", "AWS access key id"},
    {"ASIA", 20, "AWS_ACCESS_KEY", "AWS temporary access key id"},
    {"ghp_", 40, "GITHUB_TOKEN", "GitHub personal access token"},
    {"gho_", 40, "GITHUB_TOKEN", "GitHub OAuth token"},
    {"ghs_", 40, "GITHUB_TOKEN", "GitHub app token"},
    {"ghu_", 40, "GITHUB_TOKEN", "GitHub user-to-server token"},
    {"github_pat_", 40, "GITHUB_TOKEN", "GitHub fine-grained token"},
    {"glpat-", 26, "GITLAB_TOKEN", "GitLab personal access token"},
    {"xoxb-", 24, "SLACK_TOKEN", "Slack bot token"},
    {"xoxp-", 24, "SLACK_TOKEN", "Slack user token"},
    {"xoxa-", 24, "SLACK_TOKEN", "Slack app token"},
    {"AIza", 39, "GOOGLE_API_KEY", "Google API key"},
    {"sk_live_", 24, "STRIPE_KEY", "Stripe live secret key"},
    {"rk_live_", 24, "STRIPE_KEY", "Stripe restricted key"},
    {"hf_", 34, "HUGGINGFACE_TOKEN", "Hugging Face token"},
    {"npm_", 40, "NPM_TOKEN", "npm token"},
};

static const char CTX_SECRET[] = "key\0token\0secret\0password\0passwd\0api\0auth\0bearer\0credential\0"
                                 "密钥\0密码\0令牌\0";

static int ctx_before(const char *t, size_t s, const char *words) {
    size_t from = s > 48 ? s - 48 : 0;
    char win[56];
    size_t n = s - from;
    for (size_t i = 0; i < n; i++) {
        char c = t[from + i];
        win[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    win[n] = 0;
    for (const char *w = words; *w; w += strlen(w) + 1)
        if (strstr(win, w)) return 1;
    return 0;
}

/* -----BEGIN ... PRIVATE KEY----- through the matching END line (or the BEGIN line). */
static int scan_private_keys(const char *t, size_t n, sw_guard_verdict *v) {
    static const char tag[] = "PRIVATE KEY-----";
    const char *p = t, *end = t + n;
    while ((p = memmem(p, (size_t)(end - p), tag, sizeof tag - 1))) {
        const char *b = p;
        while (b > t && b[-1] != '\n' && p - b < 64) b--;
        const char *after = p + sizeof tag - 1;
        if ((size_t)(end - b) < 10 || memcmp(b, "-----BEGIN", 10) != 0) {
            p = after;
            continue;
        }
        const char *e = memmem(after, (size_t)(end - after), "-----END", 8);
        const char *stop = after;
        if (e) {
            const char *q = memmem(e, (size_t)(end - e), tag, sizeof tag - 1);
            if (q) stop = q + sizeof tag - 1;
        }
        if (gf_add(v, "secret", "PRIVATE_KEY", (size_t)(b - t), (size_t)(stop - t), 1.0, SW_SRC_PII,
                   "PEM private key block") < 0)
            return -1;
        p = stop;
    }
    return 0;
}

/* "password: x", "password=x", "pwd=x": the value after the label. 1 when found. */
static int scan_passwords(const char *t, size_t n, size_t s, size_t e, sw_guard_verdict *v) {
    (void)n;
    if (s < 2) return 0;
    size_t j = s;
    while (j > 0 && (t[j - 1] == ' ' || t[j - 1] == '"' || t[j - 1] == '\'')) j--;
    if (j == 0 || (t[j - 1] != '=' && t[j - 1] != ':')) return 0;
    j--;
    while (j > 0 && t[j - 1] == ' ') j--;
    static const char *labels[] = {"password", "passwd", "pwd", "pass", "密码", NULL};
    for (int k = 0; labels[k]; k++) {
        size_t l = strlen(labels[k]);
        if (j < l || strncasecmp(t + j - l, labels[k], l) != 0) continue;
        while (e < n && t[e] != ' ' && t[e] != '\n' && t[e] != '\t' && t[e] != '"' && t[e] != '\'') e++;
        if (e - s < 6) return 0;
        return gf_add(v, "secret", "PASSWORD", s, e, 0.8, SW_SRC_PII, "value after a password label") < 0 ? -1 : 1;
    }
    return 0;
}

static int classify_token(const char *t, size_t n, size_t s, size_t e, sw_guard_verdict *v) {
    const char *p = t + s;
    size_t len = e - s;
    /* a plain word (letters, an optional capital first) is only ever a password value */
    int plain = 1;
    for (size_t i = 1; i < len && plain; i++) plain = p[i] >= 'a' && p[i] <= 'z';
    if (plain) {
        int pw = scan_passwords(t, n, s, e, v);
        return pw < 0 ? -1 : 0;
    }
    for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
        size_t pl = strlen(KEYS[k].prefix);
        if (len >= KEYS[k].min_len && memcmp(p, KEYS[k].prefix, pl) == 0) {
            int ok = 1;
            for (size_t i = pl; i < len; i++) ok &= alnum_((unsigned char)p[i]) || p[i] == '_' || p[i] == '-';
            if (ok) return gf_add(v, "secret", KEYS[k].type, s, e, 0.95, SW_SRC_PII, KEYS[k].what);
        }
    }
    if (sw_valid_jwt(p, len)) return gf_add(v, "secret", "JWT", s, e, 0.95, SW_SRC_PII, "JSON web token: eyJ header, three base64url parts");
    int pw = scan_passwords(t, n, s, e, v);
    if (pw != 0) return pw < 0 ? -1 : 0;
    /* high-entropy token: mixed character classes, few repeats */
    int up = 0, lo = 0, di = 0, slash = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        up |= c >= 'A' && c <= 'Z';
        lo |= c >= 'a' && c <= 'z';
        di |= c >= '0' && c <= '9';
        slash += c == '/' || c == '.';
    }
    if (slash > 1) return 0; /* paths and URLs */
    int classes = up + lo + di;
    if (len < 16 || classes < 2) return 0;
    int ctx = ctx_before(t, s, CTX_SECRET);
    if (!(ctx || (len >= 24 && classes == 3))) return 0;
    double h = sw_entropy(p, len);
    if ((len >= 24 && classes == 3 && h >= 4.3) || (ctx && h >= 3.5))
        return gf_add(v, "secret", "HIGH_ENTROPY_TOKEN", s, e, ctx ? 0.85 : 0.6, SW_SRC_HEURISTIC,
                      ctx ? "high-entropy token after a secret context word" : "high-entropy token");
    return 0;
}

int gsecret_scan(const char *t, size_t n, sw_guard_verdict *v) {
    if (scan_private_keys(t, n, v) < 0) return -1;
    size_t i = 0;
    while (i < n) {
        if (!tokch((unsigned char)t[i])) {
            i++;
            continue;
        }
        size_t s = i;
        /* '=' inside a token separates a label from its value ("secret=..."); only
         * trailing '=' (base64 padding) belongs to the token */
        while (i < n && tokch((unsigned char)t[i]) &&
               !(t[i] == '=' && i + 1 < n && tokch((unsigned char)t[i + 1]) && t[i + 1] != '='))
            i++;
        if (i < n && t[i] == '=' && i == s) {
            i++;
            continue;
        }
        size_t e = i;
        while (e > s && (t[e - 1] == '.' || t[e - 1] == '-')) e--; /* sentence punctuation */
        if (e - s >= 6 && classify_token(t, n, s, e, v) < 0) return -1;
    }
    return 0;
}
