/* test_data.c - the data pipeline's stages: policy, quality rules (each triggered by a
 * document built for it), MinHash at planted Jaccard similarities, LSH, language
 * identification (also on held-out text from ../shared/data), identity terms. */
#include "data/data_int.h"
#include "steward/data.h"
#include "t.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers: unique filler words and documents ---- */
static void filler_word(sw_buf *b, unsigned i) {
    char w[16];
    int n = 0;
    w[n++] = 'q';
    do w[n++] = (char)('a' + i % 26), i /= 26;
    while (i);
    while (n < 5) w[n++] = 'x';
    sw_buf_append(b, w, (size_t)n);
}

/* A clean English document: `lines` lines of 10 unique words each, ending in periods,
 * with stop words. */
static void good_doc(sw_buf *b, unsigned seed, int lines) {
    for (int l = 0; l < lines; l++) {
        sw_buf_puts(b, "The ");
        for (int w = 0; w < 8; w++) {
            filler_word(b, seed + (unsigned)(l * 8 + w));
            sw_buf_puts(b, w == 3 ? " and " : w == 7 ? ".\n" : " ");
        }
    }
}

static const char *rule_of(const char *text, size_t len, const char *lang, sw_buf *out) {
    sw_quality_result r;
    sw_err err;
    if (sw_quality_check(text, len, lang, 1, 1, &r, out, &err)) return "error";
    return r.drop_rule ? r.drop_rule : "kept";
}

static void test_quality_good_doc_kept(void) {
    sw_buf b = {0}, out = {0};
    good_doc(&b, 0, 8);
    const char *rule = rule_of(b.data, b.len, "en", &out);
    T_CHECK_MSG(strcmp(rule, "kept") == 0, "%s", rule);
    T_CHECK(out.len == b.len - 1); /* only the final newline trimmed */
    sw_buf_free(&b);
    sw_buf_free(&out);
}

/* Checks that doc trips expected. */
static void expect_rule(const char *doc, const char *expected) {
    sw_buf out = {0};
    const char *rule = rule_of(doc, strlen(doc), "en", &out);
    T_CHECK_MSG(strcmp(rule, expected) == 0, "expected %s, got %s", expected, rule);
    sw_buf_free(&out);
}

static void test_quality_gopher_word_rules(void) {
    sw_buf b = {0};
    expect_rule("The cat and the dog sat with care.", "gopher.min_words");
    for (int i = 0; i < 60; i++) sw_buf_puts(&b, i % 2 ? "to be " : "ab of ");
    expect_rule(b.data, "gopher.mean_word_length");
    sw_buf_reset(&b);
    good_doc(&b, 100, 7);
    for (int i = 0; i < 12; i++) sw_buf_puts(&b, " #tag");
    expect_rule(b.data, "gopher.hash_ratio");
    sw_buf_reset(&b);
    good_doc(&b, 200, 7);
    for (int i = 0; i < 12; i++) sw_buf_puts(&b, " wait...");
    expect_rule(b.data, "gopher.ellipsis_ratio");
    sw_buf_reset(&b);
    good_doc(&b, 300, 6);
    for (int i = 0; i < 60; i++) sw_buf_printf(&b, " %d", 1000 + i);
    expect_rule(b.data, "gopher.alpha_words");
    sw_buf_reset(&b);
    for (int l = 0; l < 8; l++) {
        for (int w = 0; w < 10; w++) filler_word(&b, 400u + (unsigned)(l * 10 + w)), sw_buf_puts(&b, " ");
        sw_buf_puts(&b, "end.\n");
    }
    expect_rule(b.data, "gopher.stop_words");
    sw_buf_free(&b);
}

static void test_quality_gopher_line_rules(void) {
    sw_buf b = {0}, g = {0};
    good_doc(&g, 500, 8);
    for (size_t i = 0, start = 1; i < g.len; i++) { /* every line a bullet */
        if (start) sw_buf_puts(&b, "- ");
        sw_buf_append(&b, g.data + i, 1);
        start = g.data[i] == '\n';
    }
    expect_rule(b.data, "gopher.bullet_lines");
    sw_buf_reset(&b);
    sw_buf_reset(&g);
    good_doc(&g, 600, 8);
    for (size_t i = 0, line = 0; i < g.len; i++) { /* half the lines end in an ellipsis */
        if (g.data[i] == '.' && g.data[i + 1] == '\n' && line++ % 2 == 0) sw_buf_puts(&b, "...");
        else sw_buf_append(&b, g.data + i, 1);
    }
    expect_rule(b.data, "gopher.ellipsis_lines");
    sw_buf_reset(&b);
    good_doc(&b, 700, 6);
    for (int i = 0; i < 5; i++) sw_buf_puts(&b, "The same line and the same words with care.\n");
    expect_rule(b.data, "gopher.dup_line_frac");
    sw_buf_reset(&b);
    good_doc(&b, 800, 8);
    sw_buf_reset(&g);
    good_doc(&g, 900, 4); /* one long line: 32 unique words */
    for (size_t i = 0; i < g.len; i++)
        if (g.data[i] == '\n') g.data[i] = ' ';
    for (int i = 0; i < 2; i++) sw_buf_append(&b, g.data, g.len), sw_buf_puts(&b, "\n");
    expect_rule(b.data, "gopher.dup_line_chars");
    sw_buf_free(&b);
    sw_buf_free(&g);
}

static void test_quality_gopher_paragraph_rules(void) {
    sw_buf b = {0}, p = {0};
    good_doc(&p, 1000, 3);
    good_doc(&b, 1100, 3);
    sw_buf_puts(&b, "\n");
    for (int i = 0; i < 2; i++) sw_buf_append(&b, p.data, p.len), sw_buf_puts(&b, "\n");
    expect_rule(b.data, "gopher.dup_para_frac");
    sw_buf_reset(&b);
    for (int k = 0; k < 4; k++) good_doc(&b, 1200u + (unsigned)k * 8, 1), sw_buf_puts(&b, "\n");
    sw_buf_reset(&p);
    good_doc(&p, 1300, 6);
    for (int i = 0; i < 2; i++) sw_buf_append(&b, p.data, p.len), sw_buf_puts(&b, "\n");
    expect_rule(b.data, "gopher.dup_para_chars");
    sw_buf_free(&b);
    sw_buf_free(&p);
}

/* A document of `filler` unique words (10 a line, with stop words) followed by a phrase
 * of `plen` unique words written `reps` times, lines of 10 words without punctuation (so
 * that every copy of the phrase is the same words). */
static void ngram_doc(sw_buf *b, int filler, int plen, int reps) {
    sw_buf_reset(b);
    int col = 0;
    sw_buf_puts(b, "The cat and the dog ");
    for (int i = 0; i < filler + plen * reps; i++) {
        unsigned w = i < filler ? 5000u + (unsigned)i : 9000u + (unsigned)((i - filler) % plen);
        filler_word(b, w);
        sw_buf_puts(b, ++col % 10 == 0 ? "\n" : " ");
    }
    sw_buf_puts(b, "end.\n");
}

/* 1 when some filler size makes the document trip rule. */
static int some_doc_trips(int plen, int reps, const char *rule) {
    sw_buf b = {0}, out = {0};
    int found = 0;
    for (int filler = 0; filler < 1500 && !found; filler++) {
        ngram_doc(&b, filler, plen, reps);
        found = strcmp(rule_of(b.data, b.len, "en", &out), rule) == 0;
    }
    sw_buf_free(&b);
    sw_buf_free(&out);
    return found;
}

static void test_quality_gopher_ngram_rules(void) {
    T_CHECK(some_doc_trips(2, 40, "gopher.top_2gram"));
    T_CHECK(some_doc_trips(3, 30, "gopher.top_3gram"));
    T_CHECK(some_doc_trips(4, 30, "gopher.top_4gram"));
    static const char *dup[] = {"gopher.dup_5gram", "gopher.dup_6gram", "gopher.dup_7gram",
                                "gopher.dup_8gram", "gopher.dup_9gram", "gopher.dup_10gram"};
    for (int i = 0; i < 6; i++) T_CHECK_MSG(some_doc_trips(12, 2, dup[i]), "%s", dup[i]);
}

/* Words are compared ignoring ASCII case, long words (past eight bytes) whole: a phrase
 * repeated with a different letter of each word upper-cased each time trips a duplicate
 * n-gram rule; the phrase with the first letter of each word changed each time does not. */
static void test_quality_ngram_case(void) {
    static const char *const words[] = {"extraordinarily", "wonderful", "international", "conversations", "happened"};
    sw_buf b = {0}, out = {0};
    good_doc(&b, 5000, 8);
    for (int i = 0; i < 8; i++) { /* every word at least 8 letters: each line's case differs */
        for (int w = 0; w < 5; w++) {
            for (int k = 0; words[w][k]; k++) sw_buf_printf(&b, "%c", k == i ? words[w][k] - 32 : words[w][k]);
            sw_buf_puts(&b, " ");
        }
        filler_word(&b, 6000u + (unsigned)i); /* lines all different: the line rules stay quiet */
        sw_buf_puts(&b, ".\n");
    }
    const char *rule = rule_of(b.data, b.len, "en", &out);
    T_CHECK_MSG(strncmp(rule, "gopher.", 7) == 0 && strstr(rule, "gram"), "mixed case: %s", rule);
    sw_buf_reset(&b);
    good_doc(&b, 5000, 8);
    for (int i = 0; i < 8; i++) {
        for (int w = 0; w < 5; w++) sw_buf_printf(&b, "%c%s ", 'a' + i, words[w]);
        filler_word(&b, 6000u + (unsigned)i);
        sw_buf_puts(&b, ".\n");
    }
    rule = rule_of(b.data, b.len, "en", &out);
    T_CHECK_MSG(!strstr(rule, "gram"), "distinct long words: %s", rule);
    sw_buf_free(&b);
    sw_buf_free(&out);
}

static void test_quality_c4_rules(void) {
    sw_buf b = {0}, out = {0};
    good_doc(&b, 2000, 8);
    sw_buf_puts(&b, "Lorem ipsum dolor sit amet.\n");
    expect_rule(b.data, "c4.lorem_ipsum");
    sw_buf_reset(&b);
    good_doc(&b, 2100, 8);
    sw_buf_puts(&b, "int main() { return 0; }\n");
    expect_rule(b.data, "c4.curly_brace");
    sw_buf_reset(&b);
    good_doc(&b, 2200, 2);
    for (int i = 0; i < 40; i++) filler_word(&b, 2300u + (unsigned)i), sw_buf_puts(&b, " ");
    sw_buf_puts(&b, "\n");
    expect_rule(b.data, "c4.min_sentences");
    /* line rules: the document is kept without the lines */
    sw_buf_reset(&b);
    good_doc(&b, 2400, 8);
    sw_buf_puts(&b, "A heading without an end mark\nToo short.\nPlease enable JavaScript to view this page now.\n"
                    "Read our privacy policy before you go on reading.\n");
    sw_quality_result r;
    sw_err err;
    T_CHECK(sw_quality_check(b.data, b.len, "en", 1, 1, &r, &out, &err) == 0);
    T_CHECK(r.drop_rule == NULL);
    const char *names[] = {"c4.line_terminal_punct", "c4.line_min_words", "c4.line_javascript", "c4.line_policy"};
    for (int i = 0; i < 4; i++) {
        T_CHECK(strcmp(sw_quality_line_rule_name(i), names[i]) == 0);
        T_CHECK_MSG(r.lines_removed[i] == 1, "%s removed %d", names[i], r.lines_removed[i]);
    }
    T_CHECK(!strstr(out.data, "heading") && !strstr(out.data, "JavaScript") && !strstr(out.data, "privacy"));
    sw_buf_free(&b);
    sw_buf_free(&out);
}

/* Each C4 phrase removes its line in any case and at any place in the line; lines with
 * near misses stay. */
static void test_quality_c4_phrases(void) {
    static const char *const removed[] = {
        "Please enable JAVASCRIPT in your browser to see this page.", "Our Terms Of Use apply to every visitor here.",
        "See the PRIVACY policy for what we keep about you.", "This site's cookie Policy explains it all to you.",
        "This website Uses Cookies to make your visit better.", "We explain our use of COOKIES on this page for you.",
        "By staying you accept that we use cookies on this site.", "javascript"};
    static const char *const kept[] = {"The java script was written for the play in one night.",
                                       "The terms of their use were agreed by all of them.",
                                       "A private policy of the house was kept by all of us.",
                                       "The cook made cookies for the guests of the house."};
    sw_buf b = {0}, out = {0};
    sw_quality_result r;
    sw_err err;
    for (size_t i = 0; i < sizeof removed / sizeof *removed; i++) {
        T_CHECK(sw_quality_check(removed[i], strlen(removed[i]), "en", 0, 1, &r, &out, &err) == 0);
        int rule = strstr(removed[i], "JAVASCRIPT") || strstr(removed[i], "javascript") ? 2 : 3;
        T_CHECK_MSG(r.lines_removed[rule] == 1, "'%s' not removed by %s", removed[i], sw_quality_line_rule_name(rule));
    }
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        T_CHECK(sw_quality_check(kept[i], strlen(kept[i]), "en", 0, 1, &r, &out, &err) == 0);
        T_CHECK_MSG(r.lines_removed[2] == 0 && r.lines_removed[3] == 0, "'%s' removed", kept[i]);
    }
    sw_buf_free(&b);
    sw_buf_free(&out);
}

static void test_quality_chinese(void) {
    sw_buf out = {0};
    const char *short_zh = "这是一个很短的句子。";
    T_CHECK(strcmp(rule_of(short_zh, strlen(short_zh), "zh", &out), "gopher.min_chars") == 0);
    sw_buf b = {0};
    for (int i = 0; i < 12; i++) sw_buf_printf(&b, "第%d段：今天的天气很好，我们一起去公园散步，看见很多人在锻炼身体。\n", i);
    const char *rule = rule_of(b.data, b.len, "zh", &out);
    T_CHECK_MSG(strcmp(rule, "kept") == 0, "%s", rule);
    sw_buf_free(&b);
    sw_buf_free(&out);
}

/* ---- MinHash and LSH at planted similarities ---- */
/* The words base+start .. base+start+n-1, space separated. Two such texts with the same
 * base and n, shifted by s words, share n-4-s of their n-4 five-word shingles each:
 * Jaccard (n-4-s)/(n-4+s). */
static void window_text(sw_buf *b, unsigned base, int start, int n) {
    sw_buf_reset(b);
    for (int i = 0; i < n; i++) filler_word(b, base + (unsigned)(start + i)), sw_buf_puts(b, " ");
}

static int shift_for(double j, int shingles) { return (int)(shingles * (1 - j) / (1 + j) + 0.5); }

static void test_minhash_estimates_planted_jaccard(void) {
    const int n = 1004;
    const double js[] = {0.2, 0.5, 0.8, 0.95, 1.0};
    sw_buf a = {0}, b = {0};
    for (size_t k = 0; k < sizeof js / sizeof *js; k++) {
        int s = shift_for(js[k], n - 4);
        double truth = (double)(n - 4 - s) / (n - 4 + s);
        window_text(&a, 100000, 0, n);
        window_text(&b, 100000, s, n);
        uint32_t sa[SW_MINHASH_K], sb[SW_MINHASH_K];
        sw_minhash(a.data, a.len, sa);
        sw_minhash(b.data, b.len, sb);
        T_NEAR(sw_minhash_jaccard(sa, sb), truth, 0.12);
    }
    /* case and spacing do not change the shingles */
    uint32_t s1[SW_MINHASH_K], s2[SW_MINHASH_K];
    sw_minhash("The quick brown fox jumps over the lazy dog", 43, s1);
    sw_minhash("the  QUICK brown, fox jumps over the lazy dog!", 46, s2);
    T_CHECK(sw_minhash_jaccard(s1, s2) == 1.0);
    T_CHECK(sw_data_exact_key("Hello  World\n", 13) == sw_data_exact_key(" hello world", 12));
    T_CHECK(sw_data_exact_key("Hello World", 11) != sw_data_exact_key("Hello Word", 10));
    sw_buf_free(&a);
    sw_buf_free(&b);
}

static void test_lsh_merges_close_pairs_only(void) {
    sw_lsh *l = sw_lsh_new();
    sw_buf a = {0};
    int found_high = 0, merged_low = 0, pairs = 40;
    for (int p = 0; p < pairs; p++) {
        unsigned base = 200000u + (unsigned)p * 5000u;
        uint32_t sig[SW_MINHASH_K];
        int oom;
        window_text(&a, base, 0, 304);
        sw_minhash(a.data, a.len, sig);
        T_CHECK(sw_lsh_query_insert(l, sig, p * 10, 0.7, NULL, &oom) == -1); /* new */
        window_text(&a, base, shift_for(0.85, 300), 304);                    /* J = 0.85 */
        sw_minhash(a.data, a.len, sig);
        double j = 0;
        found_high += sw_lsh_query_insert(l, sig, p * 10 + 1, 0.7, &j, &oom) == p * 10;
        window_text(&a, base, 2000, 304); /* unrelated text */
        sw_minhash(a.data, a.len, sig);
        merged_low += sw_lsh_query_insert(l, sig, p * 10 + 2, 0.7, NULL, &oom) >= 0;
        window_text(&a, base, 2000 + shift_for(0.5, 300), 304); /* J = 0.5 to the last */
        sw_minhash(a.data, a.len, sig);
        merged_low += sw_lsh_query_insert(l, sig, p * 10 + 3, 0.7, NULL, &oom) >= 0;
    }
    T_CHECK_MSG(found_high == pairs, "%d of %d", found_high, pairs);
    T_CHECK_MSG(merged_low == 0, "%d", merged_low);
    sw_lsh_free(l);
    sw_buf_free(&a);
}

/* ---- language identification ---- */
static sw_langid *open_langid(void) {
    sw_err err;
    sw_langid *l = sw_langid_open_default(NULL, &err);
    if (!l) fprintf(stderr, "  %s\n", err.msg);
    return l;
}

static void test_langid_examples(void) {
    sw_langid *l = open_langid();
    T_CHECK(l != NULL);
    if (!l) return;
    struct {
        const char *text, *lang;
    } ex[] = {
        {"The committee will meet on Thursday to discuss the budget for the new school building.", "en"},
        {"Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.", "en"},
        {"我们今天下午去图书馆看书，然后一起吃晚饭。这个问题需要认真考虑。", "zh"},
        {"人工智能的发展给社会带来了很多变化，也带来了新的挑战。", "zh"},
        {"Съешь же ещё этих мягких французских булок, да выпей чаю.", "other"},
        {"いろはにほへと ちりぬるを わかよたれそ つねならむ", "other"},
        {"نص عربي قصير للتجربة فقط وليس له معنى خاص", "other"},
        /* Latin-script languages without a profile of their own (German, French) score close
         * to English and are identified as "en": a known limit (docs/data.md). */
    };
    for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
        double score;
        const char *got = sw_langid_classify(l, ex[i].text, strlen(ex[i].text), &score);
        T_CHECK_MSG(strcmp(got, ex[i].lang) == 0, "'%.30s...': %s (margin %.2f), expected %s", ex[i].text, got, score,
                    ex[i].lang);
    }
    T_CHECK(strcmp(sw_langid_classify(l, "", 0, NULL), "other") == 0);
    sw_langid_free(l);
}

/* Paragraphs of at least 100 characters from held-out text: lines of a file (JSONL field
 * `field` when given) joined until long enough. Counts correct identifications. */
static void held_out(const sw_langid *l, const char *path, const char *field, int odd_ids_only, const char *lang,
                     int *total, int *right) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    sw_buf para = {0};
    while (getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        json_t *t = json_object_get(o, field);
        json_t *id = json_object_get(o, "id_");
        if (json_is_string(t) && (!odd_ids_only || json_integer_value(id) % 2 == 1)) {
            sw_buf_puts(&para, json_string_value(t));
            sw_buf_puts(&para, " ");
        }
        json_decref(o);
        size_t chars = 0;
        for (size_t i = 0; i < para.len; i++) chars += ((unsigned char)para.data[i] & 0xC0) != 0x80;
        if (chars >= 100) {
            (*total)++;
            *right += strcmp(sw_langid_classify(l, para.data, para.len, NULL), lang) == 0;
            sw_buf_reset(&para);
        }
    }
    free(line);
    sw_buf_free(&para);
    fclose(f);
}

static void test_langid_held_out_accuracy(void) {
    const char *zh = "../shared/data/chinese-safety/cvalues/cvalues_responsibility_prompts.jsonl";
    const char *en = "../shared/data/benign/gsm8k/test.jsonl";
    FILE *probe = fopen(zh, "r");
    if (!probe) {
        T_SKIP("../shared/data is not here");
        return;
    }
    fclose(probe);
    sw_langid *l = open_langid();
    T_CHECK(l != NULL);
    if (!l) return;
    int zt = 0, zr = 0, et = 0, er = 0;
    held_out(l, zh, "prompt", 1, "zh", &zt, &zr);
    held_out(l, en, "question", 0, "en", &et, &er);
    printf("# langid held out: zh %d/%d, en %d/%d paragraphs of 100+ characters\n", zr, zt, er, et);
    T_CHECK(zt >= 30 && et >= 300);
    T_CHECK(zr >= 0.99 * zt && er >= 0.99 * et);
    sw_langid_free(l);
}

/* ---- policy and documents ---- */
static void test_policy_parse(void) {
    sw_data_policy p;
    sw_err err;
    sw_data_policy_default(&p);
    const char *txt = "# comment\nlicences MIT Apache-2.0\npersonal-data unknown drop\nharm-limit 0.1\n"
                      "languages en\nc4-lines off\nparagraph-dedup on\n";
    T_CHECK(sw_data_policy_parse(&p, txt, strlen(txt), "p", &err) == 0);
    T_CHECK(sw_data_policy_allows(&p, "MIT") && sw_data_policy_allows(&p, "Apache-2.0") && !sw_data_policy_allows(&p, "GPL-3.0"));
    T_CHECK(p.personal[SW_CONSENT_UNKNOWN] == SW_PD_DROP && p.personal[SW_CONSENT_YES] == SW_PD_KEEP);
    T_NEAR(p.harm_limit, 0.1, 1e-12);
    T_CHECK(p.n_langs == 1 && !p.c4_lines && p.para_dedup && p.gopher);
    T_CHECK(!p.harm_sample_on && p.harm_sample == SW_DATA_HARM_SAMPLE); /* the defaults */
    const char *smp = "harm-scan sample\nharm-sample 100\n";
    T_CHECK(sw_data_policy_parse(&p, smp, strlen(smp), "p", &err) == 0 && p.harm_sample_on && p.harm_sample == 100);
    T_CHECK(sw_data_policy_add_licences(&p, "CC0-1.0,CC-BY-4.0", &err) == 0 && sw_data_policy_allows(&p, "CC-BY-4.0"));
    const char *bad[] = {"harm-limit 2\n", "personal-data maybe keep\n", "personal-data yes shred\n", "colour blue\n",
                         "c4-lines maybe\n", "harm-scan some\n", "harm-sample 0\n", "harm-sample 12x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sw_data_policy q;
        sw_data_policy_default(&q);
        T_CHECK(sw_data_policy_parse(&q, bad[i], strlen(bad[i]), "bad.policy", &err) == -1);
        T_CHECK(strstr(err.msg, "bad.policy:1") != NULL);
    }
}

/* The bottom-k sketch: a source's sample is its k smallest hashes (ties at the k-th
 * included), a smaller source is whole; the Wilson interval at known values. */
static void test_harm_sample(void) {
    sw_data_sample *s = sw_data_sample_new(3);
    T_CHECK(s != NULL);
    uint64_t big[] = {50, 10, 70, 30, 90, 20, 60, 30};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) T_CHECK(sw_data_sample_add(s, "big", big[i]) == 0);
    T_CHECK(sw_data_sample_add(s, "small", 999) == 0 && sw_data_sample_add(s, "small", 5) == 0);
    char name[16]; /* many sources: the table grows */
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "s%d", i);
        T_CHECK(sw_data_sample_add(s, name, (uint64_t)i) == 0);
    }
    int in = 0;
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) in += sw_data_sample_in(s, "big", big[i]);
    T_CHECK(in == 4); /* 10, 20, 30 and the second 30 */
    T_CHECK(!sw_data_sample_in(s, "big", 31) && sw_data_sample_in(s, "big", 30) && !sw_data_sample_in(s, "big", 50));
    T_CHECK(sw_data_sample_in(s, "small", 999) && sw_data_sample_in(s, "unseen", ~0ull));
    T_CHECK(sw_data_sample_population(s, "big") == 8 && sw_data_sample_population(s, "small") == 2);
    snprintf(name, sizeof name, "s%d", 199);
    T_CHECK(sw_data_sample_population(s, name) == 1 && sw_data_sample_population(s, "nope") == 0);
    sw_data_sample_free(s);
    uint8_t sha[SW_SHA256_BYTES] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xff};
    T_CHECK(sw_data_content_hash(sha) == 0x0102030405060708ull);
    double lo, hi;
    sw_data_wilson(200, 4000, &lo, &hi); /* 5% of 4,000: 4.37%..5.72% */
    T_NEAR(lo, 0.043667, 1e-5);
    T_NEAR(hi, 0.057196, 1e-5);
    sw_data_wilson(0, 10, &lo, &hi);
    T_CHECK(lo == 0 && hi > 0.27 && hi < 0.28);
}

static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* The JSONL reader's direct path reads lines as jansson does: escapes, fields, licence
 * spellings, and every shape it leaves to jansson (errors with jansson's message). */
static void test_doc_parse_direct_equals_jansson(void) {
    static const char *const lines[] = {
        "{\"text\":\"hello\\nworld \\u00e9\\u4e2d \\\"q\\\" \\\\ \\/ \\b\\f\\r\\t\",\"source\":\"s\",\"license\":\"MIT\",\"consent\":\"yes\"}",
        "{\"text\":\"a\",\"licence\":\"MIT\",\"license\":\"Apache-2.0\"}", "{\"text\":\"a\",\"licence\":\"MIT\"}",
        "{\"text\":\"a\",\"text\":\"b\"}", "{\"text\":\"a\\u0000b\"}", "{\"text\":\"\\ud83d\\ude00\"}", "{\"text\":\"\\ude00\"}",
        "{\"text\":5}", "{\"text\":\"a\",\"x\":[1,2]}", "{\"text\":\"a\"} x", "  {  \"text\" : \"a\" , \"url\" : \"u\" }  ",
        "[1]", "{}", "{\"text\":\"a\tb\"}", "{\"te\\u0078t\":\"a\"}", "{\"text\":\"\xc3\x28\"}", "{\"text\":\"\xed\xa0\x80\"}",
        "{\"text\":\"abc", "{\"text\":\"a\\q\"}", "{\"text\":\"\xe4\xb8\xad\xe6\x96\x87\",\"consent\":\"maybe\"}",
        "{\"text\":\"a\",\"consent\":\"not-applicable\",\"date\":\"2020\",\"lang\":\"en\"}", "{\"text\":\"a\\u12\"}",
        "{\"text\":\"x\",}", "{\"source\":\"s\"}", "{\"text\":\"\",\"consent\":null}", "{\"text\":\"a\",\"source\":\"s\",\"source\":\"t\"}"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        sw_data_doc a = {0}, b = {0};
        sw_err ea = {{0}}, eb = {{0}};
        size_t n = strlen(lines[i]);
        int ra = sw_data_doc_parse_json(lines[i], n, &a, "f.jsonl", 3, &ea);
        int rb = sw_data_doc_parse_jansson(lines[i], n, &b, "f.jsonl", 3, &eb);
        T_CHECK_MSG(ra == rb, "line %zu: %d vs jansson %d", i, ra, rb);
        if (ra == rb && ra) T_CHECK_MSG(strcmp(ea.msg, eb.msg) == 0, "line %zu: '%s' vs '%s'", i, ea.msg, eb.msg);
        if (ra == 0 && rb == 0)
            T_CHECK_MSG(a.len == b.len && memcmp(a.text, b.text, a.len) == 0 && same_str(a.source, b.source) &&
                            same_str(a.license, b.license) && same_str(a.url, b.url) && same_str(a.date, b.date) &&
                            same_str(a.lang_declared, b.lang_declared) && a.consent == b.consent &&
                            a.consent_valid == b.consent_valid,
                        "line %zu read differently", i);
        sw_data_doc_clear(&a);
        sw_data_doc_clear(&b);
    }
    /* the direct path decodes: a known line's fields */
    sw_data_doc d = {0};
    sw_err err;
    T_CHECK(sw_data_doc_parse_json(lines[0], strlen(lines[0]), &d, "f", 1, &err) == 0);
    T_CHECK(d.text && strncmp(d.text, "hello\nworld \xc3\xa9\xe4\xb8\xad \"q\" \\ / \b\f\r\t", d.len) == 0);
    T_CHECK(d.consent == SW_CONSENT_YES && d.consent_valid && same_str(d.license, "MIT"));
    sw_data_doc_clear(&d);
}

static void test_doc_parse(void) {
    sw_data_doc d = {0};
    sw_err err;
    const char *ok = "{\"text\":\"hi\",\"source\":\"s\",\"license\":\"MIT\",\"consent\":\"no\",\"url\":\"u\",\"lang\":\"en\"}";
    T_CHECK(sw_data_doc_parse_json(ok, strlen(ok), &d, "f", 1, &err) == 0);
    T_CHECK(d.len == 2 && strcmp(d.source, "s") == 0 && d.consent == SW_CONSENT_NO && d.consent_valid && !d.date);
    const char *nocons = "{\"text\":\"hi\"}";
    T_CHECK(sw_data_doc_parse_json(nocons, strlen(nocons), &d, "f", 2, &err) == 0);
    T_CHECK(!d.consent_valid && d.consent == SW_CONSENT_UNKNOWN && !d.source);
    T_CHECK(sw_data_doc_parse_json("[1]", 3, &d, "f", 3, &err) == -1 && strstr(err.msg, "f:3"));
    T_CHECK(sw_data_doc_parse_json("{\"text\":1}", 10, &d, "f", 4, &err) == -1 && strstr(err.msg, "text"));
    sw_data_doc_clear(&d);
}

static void test_identity_terms(void) {
    char path[4096];
    sw_err err;
    T_CHECK(sw_find_near_exe("data/dataset/identity-terms.tsv", path, sizeof path) == 0);
    sw_identity *t = sw_identity_load(path, &err);
    T_CHECK(t != NULL);
    if (!t) return;
    uint64_t *c = calloc((size_t)sw_identity_terms(t), sizeof *c);
    const char *text = "Women and men; a Woman, African American elders. Womanhood is not a term. 残疾人和老年人";
    sw_identity_count(t, text, strlen(text), c);
    for (int i = 0; i < sw_identity_terms(t); i++) {
        const char *term = sw_identity_term(t, i);
        uint64_t want = strcmp(term, "women") == 0 || strcmp(term, "men") == 0 || strcmp(term, "woman") == 0 ||
                        strcmp(term, "african american") == 0 || strcmp(term, "american") == 0 || strcmp(term, "残疾") == 0 || strcmp(term, "老年人") == 0;
        T_CHECK_MSG(c[i] == want, "%s: %llu", term, (unsigned long long)c[i]);
    }
    free(c);
    sw_identity_free(t);
}

int main(void) {
    T_RUN(test_quality_good_doc_kept);
    T_RUN(test_quality_gopher_word_rules);
    T_RUN(test_quality_gopher_line_rules);
    T_RUN(test_quality_gopher_paragraph_rules);
    T_RUN(test_quality_gopher_ngram_rules);
    T_RUN(test_quality_c4_rules);
    T_RUN(test_quality_ngram_case);
    T_RUN(test_quality_c4_phrases);
    T_RUN(test_quality_chinese);
    T_RUN(test_minhash_estimates_planted_jaccard);
    T_RUN(test_lsh_merges_close_pairs_only);
    T_RUN(test_langid_examples);
    T_RUN(test_langid_held_out_accuracy);
    T_RUN(test_policy_parse);
    T_RUN(test_harm_sample);
    T_RUN(test_doc_parse);
    T_RUN(test_doc_parse_direct_equals_jansson);
    T_RUN(test_identity_terms);
    return t_done();
}
