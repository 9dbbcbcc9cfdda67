/* test_guard_norm.c - normalisation: folding, invisible characters, and the offset map
 * (every byte of every view maps back to a well-formed span of the original). */
#include "t.h"
#include "steward/guard.h"

#include <stdlib.h>
#include <string.h>

static int norm(const char *s, sw_guard_norm *n) {
    sw_err err;
    return sw_guard_normalize(s, strlen(s), n, &err);
}

static void test_folding(void) {
    static const struct { const char *in, *light, *match; } cases[] = {
        {"HeLLo World", "hello world", "hello world"},
        {"\xEF\xBC\xA8\xEF\xBC\xA5\xEF\xBC\xAC\xEF\xBC\xAC\xEF\xBC\xAF", "hello", "hello"}, /* full-width */
        {"caf\xC3\xA9 na\xC3\xAFve", "cafe naive", "cafe naive"},                          /* diacritics */
        {"cafe\xCC\x81", "cafe", "cafe"},                                                   /* combining mark */
        {"\xD1\x80\x61y\xD1\x80\x61l", "paypal", "paypal"},                                 /* Cyrillic p, a */
        {"h3ll0 w0rld!", "h3ll0 w0rld!", "hello world"},                                    /* leet, trailing ! */
        {"k i l l   t h e m", "k i l l   t h e m", "kill them"},                            /* spaced letters */
        {"in 2024, 3 apples", "in 2024, 3 apples", "in 2024 3 apples"},                     /* numbers stay */
        {"$tupid @ss", "$tupid @ss", "stupid ass"},
        {"\xE2\x91\xA0 \xF0\x9D\x90\x80\xF0\x9D\x90\x81", "1 ab", "1 ab"},                  /* circled 1, bold AB */
        {"\xE5\xBF\xBD\xE7\x95\xA5\xE3\x80\x82\xE6\x8C\x87\xE4\xBB\xA4", NULL, "\xE5\xBF\xBD\xE7\x95\xA5 \xE6\x8C\x87\xE4\xBB\xA4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sw_guard_norm n;
        T_CHECK(norm(cases[i].in, &n) == 0);
        if (cases[i].light) T_CHECK_MSG(strcmp(n.light.s, cases[i].light) == 0, "case %zu light '%s'", i, n.light.s);
        T_CHECK_MSG(strcmp(n.match.s, cases[i].match) == 0, "case %zu match '%s'", i, n.match.s);
        sw_guard_norm_free(&n);
    }
}

static void test_invisible(void) {
    /* "ig<ZWSP>nore<RLO>x<TAG i><TAG g><VS16 after a letter>" */
    const char *s = "ig\xE2\x80\x8Bnore\xE2\x80\xAEx\xF3\xA0\x81\xA9\xF3\xA0\x81\xA7y\xEF\xB8\x8F";
    sw_guard_norm n;
    T_CHECK(norm(s, &n) == 0);
    T_CHECK_MSG(strcmp(n.light.s, "ignorexy") == 0, "light '%s'", n.light.s);
    T_CHECK(n.n_invis == 4);
    if (n.n_invis == 4) {
        T_CHECK(n.invis[0].kind == SW_INVIS_ZERO_WIDTH && n.invis[0].start == 2 && n.invis[0].end == 5);
        T_CHECK(n.invis[1].kind == SW_INVIS_BIDI && n.invis[1].start == 9 && n.invis[1].end == 12);
        T_CHECK(n.invis[2].kind == SW_INVIS_TAG && n.invis[2].count == 2 && n.invis[2].start == 13 &&
                n.invis[2].end == 21);
        T_CHECK(n.invis[3].kind == SW_INVIS_VARIATION_SELECTOR);
    }
    sw_guard_norm_free(&n);
    /* an emoji with VS16 and ZWJ sequences is ordinary text, not a finding */
    T_CHECK(norm("ok \xE2\x9D\xA4\xEF\xB8\x8F \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9", &n) == 0);
    T_CHECK_MSG(n.n_invis == 0, "%zu invisible runs in an emoji", n.n_invis);
    sw_guard_norm_free(&n);
}

/* Every byte of a view maps to a non-empty span inside the original, on UTF-8 sequence
 * boundaries, and spans never go backwards. */
static void check_view(const sw_guard_view *v, const unsigned char *t, size_t len) {
    uint32_t last = 0;
    for (size_t i = 0; i < v->len; i++) {
        uint32_t s = v->ostart[i], e = v->oend[i];
        T_CHECK_MSG(s < e && e <= len, "byte %zu -> [%u,%u) of %zu", i, s, e, len);
        if (!(s < e && e <= len)) return;
        T_CHECK_MSG(s >= last || v->s[i] == ' ', "byte %zu goes backwards", i);
        if (v->s[i] != ' ') last = s;
        T_CHECK((t[s] & 0xC0) != 0x80 || s == 0);
        T_CHECK(e == len || (t[e] & 0xC0) != 0x80);
        /* an ASCII original byte folds to itself or its lower case / leet letter */
        if (e - s == 1 && t[s] < 0x80 && v->s[i] != ' ') {
            unsigned char o = t[s], c = (unsigned char)v->s[i];
            int ok = c == o || (o >= 'A' && o <= 'Z' && c == o + 32) || (c >= 'a' && c <= 'z');
            T_CHECK_MSG(ok, "byte %zu: '%c' from '%c'", i, c, o);
        }
    }
}

static void test_offsets_random(void) {
    static const char *pieces[] = {"a", "B", "1", "3", " ", "  ", ".", "!", "@", "$", "\n", "\xC3\xA9", "e\xCC\x81",
                                   "\xEF\xBC\xA1", "\xE2\x80\x8B", "\xE2\x80\xAE", "\xF3\xA0\x81\xA9", "\xEF\xB8\x8F",
                                   "\xE5\xBF\xBD", "\xE3\x80\x82", "\xD1\x80", "\xF0\x9F\x98\x80", "\xFF", "\xC3",
                                   "\xEF\xAC\x81" /* fi ligature: one code point, two letters */};
    srand(7);
    for (int it = 0; it < 400; it++) {
        char buf[512];
        size_t len = 0;
        int np = rand() % 40;
        for (int k = 0; k < np; k++) {
            const char *p = pieces[rand() % (int)(sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            memcpy(buf + len, p, l);
            len += l;
        }
        sw_guard_norm n;
        sw_err err;
        T_CHECK(sw_guard_normalize(buf, len, &n, &err) == 0);
        check_view(&n.light, (const unsigned char *)buf, len);
        check_view(&n.match, (const unsigned char *)buf, len);
        check_view(&n.squeeze, (const unsigned char *)buf, len);
        for (size_t k = 0; k < n.n_invis; k++) T_CHECK(n.invis[k].start < n.invis[k].end && n.invis[k].end <= len);
        sw_guard_norm_free(&n);
    }
}

static void test_span_maps_back(void) {
    /* a full-width, zero-width-split word inside ASCII: the match view's span of the word
     * maps back to exactly its original bytes */
    const char *s = "say \xEF\xBD\x88\xE2\x80\x8B\xEF\xBD\x89 now"; /* "say ｈ<ZWSP>ｉ now" */
    sw_guard_norm n;
    T_CHECK(norm(s, &n) == 0);
    T_CHECK_MSG(strcmp(n.match.s, "say hi now") == 0, "'%s'", n.match.s);
    T_CHECK(n.match.ostart[4] == 4 && n.match.oend[5] == 13);
    T_CHECK(n.match.ostart[7] == 14 && n.match.oend[9] == 17);
    sw_guard_norm_free(&n);
}

static void test_empty_and_invalid(void) {
    sw_guard_norm n;
    sw_err err;
    T_CHECK(sw_guard_normalize("", 0, &n, &err) == 0 && n.light.len == 0 && n.match.len == 0);
    sw_guard_norm_free(&n);
    T_CHECK(sw_guard_normalize("a\xFF" "b", 3, &n, &err) == 0);
    T_CHECK_MSG(strcmp(n.light.s, "a\xEF\xBF\xBD" "b") == 0, "'%s'", n.light.s);
    T_CHECK(n.light.ostart[1] == 1 && n.light.oend[3] == 2);
    sw_guard_norm_free(&n);
}

int main(void) {
    T_RUN(test_folding);
    T_RUN(test_invisible);
    T_RUN(test_offsets_random);
    T_RUN(test_span_maps_back);
    T_RUN(test_empty_and_invalid);
    return t_done();
}
