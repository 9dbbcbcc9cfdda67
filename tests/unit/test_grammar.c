/* test_grammar.c - GBNF parsing and errors, the automaton on known strings, the token
 * mask against a brute-force check over the whole vocabulary, budget steering, and the
 * mask stage of the sampler under the watermark. */
#include "steward/grammar.h"
#include "steward/watermark.h"
#include "t.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *JSON_GBNF =
    "# JSON values, compact\n"
    "root   ::= value\n"
    "value  ::= object | array | string | number | (\"true\" | \"false\" | \"null\")\n"
    "object ::= \"{\" ( string \":\" value (\",\" string \":\" value)* )? \"}\"\n"
    "array  ::= \"[\" ( value (\",\" value)* )? \"]\"\n"
    "string ::= \"\\\"\" ( [^\"\\\\\\x00-\\x1f] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4}) )* \"\\\"\"\n"
    "number ::= \"-\"? ([0-9] | [1-9] [0-9]{1,15}) (\".\" [0-9]+)? ([eE] [-+]? [0-9]+)?\n";

static sw_grammar *compile(const char *text) {
    sw_grammar *g = NULL;
    sw_err err = {{0}};
    if (sw_grammar_from_gbnf(text, strlen(text), &g, &err) < 0) fprintf(stderr, "  compile: %s\n", err.msg);
    return g;
}

/* Feeds a whole string to a fresh state: 1 complete, 0 incomplete, -1 rejected. */
static int run(const sw_grammar *g, const sw_grammar_vocab *v, const char *text) {
    sw_grammar_state *s = NULL;
    sw_err err;
    if (sw_grammar_state_new(g, v, 0, &s, &err) < 0) return -2;
    int rc = sw_grammar_state_accept_bytes(s, text, strlen(text), &err) < 0 ? -1 : sw_grammar_state_is_complete(s);
    sw_grammar_state_free(s);
    return rc;
}

/* A vocabulary: the 256 single bytes, then words, pieces of JSON, UTF-8 (whole and
 * split), and an end-of-generation token with no bytes. */
static const char *const EXTRA[] = {"{\"", "\":", "\",\"", "true", "false", "null", "12", "3.5", "e+", "-0",
                                    "\"}", "}]", "[{", "ab", "abc", "\xc3\xa9", "\xc3", "\xa9\"", "\xe2\x82",
                                    "\xac", "\\u00", "\\n", " ", "\"", "nul", "[]", "{}", ",", "x\"y", "é\"}"};
#define N_EXTRA ((int)(sizeof EXTRA / sizeof *EXTRA))

static sw_grammar_vocab *make_vocab(void) {
    int n = 256 + N_EXTRA + 1;
    const char **toks = malloc((size_t)n * sizeof *toks);
    size_t *lens = malloc((size_t)n * sizeof *lens);
    uint8_t *eog = calloc((size_t)n, 1);
    static char bytes[256];
    for (int i = 0; i < 256; i++) {
        bytes[i] = (char)i;
        toks[i] = bytes + i;
        lens[i] = 1;
    }
    for (int i = 0; i < N_EXTRA; i++) {
        toks[256 + i] = EXTRA[i];
        lens[256 + i] = strlen(EXTRA[i]);
    }
    toks[n - 1] = "";
    lens[n - 1] = 0;
    eog[n - 1] = 1;
    sw_grammar_vocab *v = NULL;
    sw_err err;
    if (sw_grammar_vocab_from_bytes(n, toks, lens, eog, &v, &err) < 0) v = NULL;
    free(toks);
    free(lens);
    free(eog);
    return v;
}

static void test_gbnf_errors(void) {
    struct {
        const char *text, *want;
    } cases[] = {
        {"root ::= \"a\"\nfoo ::= [a-\n", "line 2:"},
        {"root ::= \"a\" bar\n", "'bar' is used but not defined"},
        {"root ::= root \"a\" | \"b\"\n", "left-recursive"},
        {"x ::= \"a\"\n", "no rule 'root'"},
        {"root ::= \"a\" )\n", "line 1:14"},
        {"root ::= \"a\"{3,1}\n", "n < m"},
        {"root ::= \"a\" root\n", "never ends"},
        {"root ::= \"\\q\"\n", "unknown escape"},
        {"root ::= \"a\"\nroot ::= \"b\"\n", "defined twice"},
        {"root ::= (\"\")*\n", "left-recursive"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sw_grammar *g = NULL;
        sw_err err = {{0}};
        int rc = sw_grammar_from_gbnf(cases[i].text, strlen(cases[i].text), &g, &err);
        T_CHECK_MSG(rc < 0 && strstr(err.msg, cases[i].want), "case %zu: rc %d, '%s'", i, rc, err.msg);
        sw_grammar_free(g);
    }
}

static void test_gbnf_language(void) {
    sw_grammar_vocab *v = make_vocab();
    sw_grammar *g = compile("root ::= \"a\" [b-d]+ (\"x\" | \"yz\")? rep\nrep ::= [0-9]{2,3} | \"-\"{0,1} # c\n");
    T_CHECK(g && v);
    if (!g || !v) return;
    T_CHECK(run(g, v, "ab12") == 1);
    T_CHECK(run(g, v, "abdcyz123") == 1);
    T_CHECK(run(g, v, "abx-") == 1);
    T_CHECK(run(g, v, "ab") == 1);    /* rep may be empty */
    T_CHECK(run(g, v, "a") == 0);     /* [b-d]+ needs one */
    T_CHECK(run(g, v, "abyz1") == 0); /* one digit of two */
    T_CHECK(run(g, v, "abyz1234") == -1);
    T_CHECK(run(g, v, "ae") == -1);
    T_CHECK(sw_grammar_min_bytes(g) == 2);
    sw_grammar_free(g);
    g = compile(JSON_GBNF);
    T_CHECK(g != NULL);
    if (g) {
        T_CHECK(run(g, v, "{\"a\":[1,2.5e-3,true,null,\"x\\u00e9\"],\"b\":{}}") == 1);
        T_CHECK(run(g, v, "\"caf\xc3\xa9\"") == 1);
        T_CHECK(run(g, v, "\"caf\xc3") == 0);      /* inside a code point */
        T_CHECK(run(g, v, "\"caf\xc3\x28") == -1); /* a broken sequence */
        T_CHECK(run(g, v, "\"\xc0\x80\"") == -1);  /* overlong */
        T_CHECK(run(g, v, "[1,]") == -1);
        T_CHECK(run(g, v, "01") == -1);
        T_CHECK(sw_grammar_min_bytes(g) == 1);
    }
    sw_grammar_free(g);
    g = compile("root ::= [^a-c\\x00-\\x1f] \"\xe4\xb8\xad\" .\n");
    T_CHECK(g != NULL);
    if (g) {
        T_CHECK(run(g, v, "d\xe4\xb8\xad\xc3\xa9") == 1);
        T_CHECK(run(g, v, "b\xe4\xb8\xad\xc3\xa9") == -1);
        T_CHECK(run(g, v, "d\xe4\xb8\xae") == -1);
        T_CHECK(sw_grammar_min_bytes(g) == 5);
    }
    sw_grammar_free(g);
    sw_grammar_vocab_free(v);
}

/* Brute force: for random reachable states, a token is allowed by the mask iff its
 * bytes, fed one by one to a fresh state that has seen the same history, are accepted
 * (without a budget). Also checks that the budget always ends in a complete document. */
static void check_mask_brute(const char *gbnf, int budget, int walks) {
    sw_grammar_vocab *v = make_vocab();
    sw_grammar *g = compile(gbnf);
    T_CHECK(g && v);
    if (!g || !v) return;
    int n = sw_grammar_vocab_size(v);
    float *logits = malloc((size_t)n * sizeof *logits);
    sw_rng rng;
    sw_rng_seed(&rng, 7);
    sw_err err;
    int mismatches = 0, incomplete = 0;
    for (int w = 0; w < walks; w++) {
        sw_grammar_state *s = NULL, *ref = NULL;
        T_CHECK(sw_grammar_state_new(g, v, budget, &s, &err) == 0);
        if (!s) break;
        sw_buf hist = {0};
        for (int step = 0; step < budget; step++) {
            for (int t = 0; t < n; t++) logits[t] = 0;
            if (sw_grammar_state_mask(s, logits, &err) < 0) {
                fprintf(stderr, "  mask: %s after [%.*s]\n", err.msg, (int)hist.len, hist.data ? hist.data : "");
                mismatches++;
                break;
            }
            int allowed[400], n_allowed = 0;
            for (int t = 0; t < n - 1; t++) {
                T_CHECK(sw_grammar_state_new(g, v, 0, &ref, &err) == 0);
                int ok = sw_grammar_state_accept_bytes(ref, hist.data ? hist.data : "", hist.len, &err) == 0;
                char tb[16];
                size_t tl = t < 256 ? 1 : strlen(EXTRA[t - 256]);
                memcpy(tb, t < 256 ? (char[]){(char)t} : EXTRA[t - 256], tl);
                int brute = ok && sw_grammar_state_accept_bytes(ref, tb, tl, &err) == 0;
                /* with a budget, the mask may also drop tokens that cannot finish in time */
                int masked = logits[t] == -INFINITY;
                int budget_ok = brute && sw_grammar_state_min_bytes(ref) <= budget - step - 1;
                if (budget_ok == masked) mismatches++;
                sw_grammar_state_free(ref);
                if (!masked) allowed[n_allowed++] = t;
            }
            int eog_ok = logits[n - 1] != -INFINITY;
            if (eog_ok != sw_grammar_state_is_complete(s)) mismatches++;
            if (eog_ok && (sw_rng_next(&rng) % 4 == 0 || n_allowed == 0)) break;
            if (n_allowed == 0) break;
            int t = allowed[sw_rng_next(&rng) % (uint64_t)n_allowed];
            T_CHECK(sw_grammar_state_accept_token(s, t, &err) == 0);
            sw_buf_append(&hist, t < 256 ? (char[]){(char)t} : EXTRA[t - 256], t < 256 ? 1 : strlen(EXTRA[t - 256]));
        }
        if (!sw_grammar_state_is_complete(s)) incomplete++;
        sw_buf_free(&hist);
        sw_grammar_state_free(s);
    }
    T_CHECK_MSG(mismatches == 0, "%d mask decisions differ from the brute force", mismatches);
    T_CHECK_MSG(incomplete == 0, "%d of %d walks ended incomplete", incomplete, walks);
    free(logits);
    sw_grammar_free(g);
    sw_grammar_vocab_free(v);
}

static void test_mask_brute_json(void) { check_mask_brute(JSON_GBNF, 24, 12); }
static void test_mask_brute_classes(void) {
    check_mask_brute("root ::= (\"ab\" | [a-c]+ \"\xc3\xa9\" | [^a-z\\x00-\\x20\\x7f-\\xff]{2,4})+ \"!\"?\n", 12, 12);
}

/* The sampler applies the mask before the watermark: every chosen token is allowed and
 * the document completes within the budget, greedy and sampled. */
static void test_sampler_mask_with_watermark(void) {
    sw_grammar_vocab *v = make_vocab();
    sw_grammar *g = compile(JSON_GBNF);
    T_CHECK(g && v);
    if (!g || !v) return;
    int n = sw_grammar_vocab_size(v);
    uint8_t key[SW_WM_KEY_BYTES] = {1, 2, 3};
    float *logits = malloc((size_t)n * sizeof *logits);
    int32_t hist[64];
    sw_err err;
    for (int seed = 0; seed < 20; seed++) {
        sw_sampler_params p;
        sw_sampler_params_default(&p);
        p.seed = (uint64_t)seed;
        p.temperature = seed % 4 == 0 ? 0 : 1.0f;
        p.top_k = 0;
        p.top_p = 1;
        p.min_p = 0;
        sw_wm_params wp;
        sw_wm_params_default(seed % 2 ? SW_WM_SYNTHID : SW_WM_KGW_SELFHASH, &wp);
        sw_watermark *wm = sw_wm_new(&wp, key, n);
        sw_sampler *smp = sw_sampler_new(&p, n);
        sw_grammar_state *st = NULL;
        T_CHECK(sw_grammar_state_new(g, v, 40, &st, &err) == 0);
        sw_sampler_hook hook;
        sw_wm_hook(wm, &hook);
        sw_sampler_set_hook(smp, &hook);
        sw_sampler_mask mk;
        sw_grammar_mask_hook(st, &mk);
        sw_sampler_set_mask(smp, &mk);
        sw_rng rng;
        sw_rng_seed(&rng, (uint64_t)seed);
        int k = 0;
        for (; k < 40 && !sw_grammar_state_is_done(st); k++) {
            for (int t = 0; t < n; t++) logits[t] = (float)sw_rng_normal(&rng) * 3;
            int32_t tok = sw_sampler_sample(smp, logits, hist, k, NULL, NULL);
            T_CHECK_MSG(tok >= 0, "seed %d: %s", seed, sw_sampler_error(smp));
            if (tok < 0 || tok == n - 1) break;
            hist[k] = tok;
        }
        T_CHECK_MSG(sw_grammar_state_is_complete(st), "seed %d: incomplete after %d tokens", seed, k);
        sw_grammar_state_free(st);
        sw_sampler_free(smp);
        sw_wm_free(wm);
    }
    free(logits);
    sw_grammar_free(g);
    sw_grammar_vocab_free(v);
}

static void test_budget_too_small(void) {
    sw_grammar_vocab *v = make_vocab();
    sw_grammar *g = compile("root ::= \"hello\" \" world\"?\n");
    sw_grammar_state *s = NULL;
    sw_err err = {{0}};
    T_CHECK(sw_grammar_state_new(g, v, 4, &s, &err) < 0 && strstr(err.msg, "5 bytes"));
    T_CHECK(sw_grammar_state_new(g, v, 5, &s, &err) == 0);
    sw_grammar_state_free(s);
    sw_grammar_free(g);
    sw_grammar_vocab_free(v);
}

/* Random documents of each schema in tests/cli/grammar (uniform choices among the
 * allowed tokens, a budget of 120 tokens): every one complete and parsed by jansson.
 * With $STEWARD_GRAMMAR_DUMP set, each document is appended to that file as
 * "schema-file<TAB>document" for the Python validator. */
static void test_schema_random_docs(void) {
    const char *files[] = {"person", "enums", "tree", "arrays"};
    sw_grammar_vocab *v = make_vocab();
    int n = sw_grammar_vocab_size(v);
    float *logits = malloc((size_t)n * sizeof *logits);
    const char *dump = getenv("STEWARD_GRAMMAR_DUMP");
    FILE *df = dump ? fopen(dump, "a") : NULL;
    sw_rng rng;
    sw_rng_seed(&rng, 11);
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[256];
        snprintf(path, sizeof path, "tests/cli/grammar/%s.schema.json", files[f]);
        sw_buf text = {0};
        sw_err err = {{0}};
        sw_grammar *g = NULL;
        T_CHECK_MSG(sw_read_file(path, &text, &err) == 0 && sw_grammar_from_schema(text.data, text.len, &g, &err) == 0,
                    "%s: %s", path, err.msg);
        sw_buf_free(&text);
        if (!g) continue;
        for (int w = 0; w < 30; w++) {
            sw_grammar_state *s = NULL;
            T_CHECK(sw_grammar_state_new(g, v, 120, &s, &err) == 0);
            if (!s) break;
            sw_buf doc = {0};
            while (!sw_grammar_state_is_done(s) && sw_grammar_state_budget_left(s) > 0) {
                for (int t = 0; t < n; t++) logits[t] = 0;
                if (sw_grammar_state_mask(s, logits, &err) < 0) break;
                int pick[400], k = 0;
                for (int t = 0; t < n; t++) if (logits[t] == 0) pick[k++] = t;
                int t = pick[sw_rng_next(&rng) % (uint64_t)k];
                if (t == n - 1) break; /* end of generation */
                T_CHECK(sw_grammar_state_accept_token(s, t, &err) == 0);
                sw_buf_append(&doc, t < 256 ? (char[]){(char)t} : EXTRA[t - 256], t < 256 ? 1 : strlen(EXTRA[t - 256]));
            }
            T_CHECK_MSG(sw_grammar_state_is_complete(s), "%s: incomplete: %s", files[f], doc.data);
            json_error_t je;
            json_t *j = json_loadb(doc.data, doc.len, JSON_DECODE_ANY, &je);
            T_CHECK_MSG(j != NULL, "%s: not JSON: %s (%s)", files[f], doc.data, je.text);
            json_decref(j);
            if (df) fprintf(df, "%s.schema.json\t%s\n", files[f], doc.data);
            sw_buf_free(&doc);
            sw_grammar_state_free(s);
        }
        sw_grammar_free(g);
    }
    if (df) fclose(df);
    free(logits);
    sw_grammar_vocab_free(v);
}

/* A time limit: lowering the budget to the fewest bytes left steers straight to the
 * shortest completion, whatever tokens are picked among the allowed ones. */
static void test_limit_budget(void) {
    sw_grammar_vocab *v = make_vocab();
    sw_grammar *g = compile(JSON_GBNF);
    int n = sw_grammar_vocab_size(v);
    float *logits = malloc((size_t)n * sizeof *logits);
    sw_err err;
    for (int seed = 0; seed < 8; seed++) {
        sw_grammar_state *s = NULL;
        T_CHECK(sw_grammar_state_new(g, v, 0, &s, &err) == 0);
        const char *start = "{\"a\":[1,{\"b\":\"x";
        T_CHECK(sw_grammar_state_accept_bytes(s, start, strlen(start), &err) == 0);
        int need = sw_grammar_state_min_bytes(s), used = 0;
        T_CHECK(need == 4); /* the closing quote, "}", "]" and "}" */
        sw_grammar_state_limit_budget(s, need);
        sw_rng rng;
        sw_rng_seed(&rng, (uint64_t)seed);
        while (!sw_grammar_state_is_complete(s) && used <= need) {
            for (int t = 0; t < n; t++) logits[t] = 0;
            if (sw_grammar_state_mask(s, logits, &err) < 0) break;
            int t;
            do t = (int)(sw_rng_next(&rng) % (uint64_t)(n - 1)); while (logits[t] != 0);
            T_CHECK(sw_grammar_state_accept_token(s, t, &err) == 0);
            used++;
        }
        T_CHECK_MSG(sw_grammar_state_is_complete(s) && used <= need, "seed %d: %d tokens", seed, used);
        sw_grammar_state_free(s);
    }
    free(logits);
    sw_grammar_free(g);
    sw_grammar_vocab_free(v);
}

int main(void) {
    T_RUN(test_gbnf_errors);
    T_RUN(test_gbnf_language);
    T_RUN(test_mask_brute_json);
    T_RUN(test_mask_brute_classes);
    T_RUN(test_sampler_mask_with_watermark);
    T_RUN(test_budget_too_small);
    T_RUN(test_schema_random_docs);
    T_RUN(test_limit_budget);
    return t_done();
}
