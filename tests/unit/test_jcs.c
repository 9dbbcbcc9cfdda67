/* test_jcs.c - RFC 8785 canonical JSON against the RFC's own examples: the number table
 * of its appendix B, the example of section 3.2.2 and the member order of 3.2.3. */
#include "steward/jcs.h"
#include "t.h"

#include <stdlib.h>

static double from_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static void test_numbers_appendix_b(void) {
    static const struct { uint64_t bits; const char *want; } cases[] = {
        {0x0000000000000000ull, "0"},
        {0x8000000000000000ull, "0"},
        {0x0000000000000001ull, "5e-324"},
        {0x8000000000000001ull, "-5e-324"},
        {0x7fefffffffffffffull, "1.7976931348623157e+308"},
        {0xffefffffffffffffull, "-1.7976931348623157e+308"},
        {0x4340000000000000ull, "9007199254740992"},
        {0xc340000000000000ull, "-9007199254740992"},
        {0x4430000000000000ull, "295147905179352830000"},
        {0x44b52d02c7e14af5ull, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6ull, "1e+23"},
        {0x44b52d02c7e14af7ull, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4eull, "999999999999999700000"},
        {0x444b1ae4d6e2ef4full, "999999999999999900000"},
        {0x444b1ae4d6e2ef50ull, "1e+21"},
        {0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8dull, "0.000001"},
        {0x41b3de4355555553ull, "333333333.3333332"},
        {0x41b3de4355555554ull, "333333333.33333325"},
        {0x41b3de4355555555ull, "333333333.3333333"},
        {0x41b3de4355555556ull, "333333333.3333334"},
        {0x41b3de4355555557ull, "333333333.33333343"},
        {0xbecbf647612f3696ull, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959ull, "1424953923781206.2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[SW_JCS_NUMBER_MAX];
        T_CHECK(sw_jcs_number(from_bits(cases[i].bits), out, NULL) == 0);
        T_CHECK_MSG(strcmp(out, cases[i].want) == 0, "%016llx: got %s, want %s",
                    (unsigned long long)cases[i].bits, out, cases[i].want);
    }
    char out[SW_JCS_NUMBER_MAX];
    sw_err e;
    T_CHECK(sw_jcs_number(from_bits(0x7ff0000000000000ull), out, &e) == -1 && strstr(e.msg, "NaN"));
    T_CHECK(sw_jcs_number(from_bits(0x7ff8000000000000ull), out, NULL) == -1);
    T_CHECK(sw_jcs_number(2.0, out, NULL) == 0 && strcmp(out, "2") == 0);
    T_CHECK(sw_jcs_number(0.25, out, NULL) == 0 && strcmp(out, "0.25") == 0);
}

static void check_canon(const char *in, const char *want) {
    json_error_t je;
    json_t *v = json_loads(in, JSON_DECODE_ANY, &je);
    T_CHECK_MSG(v != NULL, "%s", je.text);
    char *got = sw_jcs_dumps(v, NULL);
    T_CHECK_MSG(got && strcmp(got, want) == 0, "got %s\n  want %s", got ? got : "(null)", want);
    free(got);
    json_decref(v);
}

static void test_example_3_2_2(void) {
    check_canon("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
                "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
                "  \"literals\": [null, true, false]\n}",
                "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

static void test_sorting_3_2_3(void) {
    check_canon("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", \"\\ufb33\": \"Hebrew Letter Dalet "
                "With Dagesh\", \"1\": \"One\", \"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": "
                "\"Control\", \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}",
                "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\",\"\xc3\xb6\":\"Latin Small "
                "Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning "
                "Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* The rewrite that broke signatures before: jq and Python write 2.0 as 2, indent, and
 * escape non-ASCII; all of them canonicalise to the same bytes. */
static void test_rewrites_agree(void) {
    const char *want = "{\"a\":[2,\"\xc3\xa9\"],\"b\":{\"delta\":2,\"z\":0.5}}";
    check_canon("{\"b\":{\"z\":0.50,\"delta\":2.0},\"a\":[2,\"\xc3\xa9\"]}", want);
    check_canon("{\n  \"a\": [\n    2.0,\n    \"\\u00e9\"\n  ],\n  \"b\": {\n    \"delta\": 2,\n    \"z\": 5e-1\n  }\n}",
                want);
    json_t *deep = json_array();
    for (int i = 0; i < SW_JCS_MAX_DEPTH + 2; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, deep);
        deep = outer;
    }
    sw_err e;
    T_CHECK(sw_jcs_dumps(deep, &e) == NULL && strstr(e.msg, "deeper"));
    json_decref(deep);
}

/* The output form keeps member order and exact 63-bit integers, reals shortest. */
static void test_compact_output(void) {
    json_t *v = json_pack("{s:I,s:f,s:s}", "seed", (json_int_t)4611686018427387905LL, "score", 0.92, "a", "x");
    sw_buf b = {0};
    T_CHECK(sw_json_compact_append(v, &b, NULL) == 0);
    T_CHECK_MSG(b.data && strcmp(b.data, "{\"seed\":4611686018427387905,\"score\":0.92,\"a\":\"x\"}") == 0, "%s", b.data);
    sw_buf_free(&b);
    json_decref(v);
}

int main(void) {
    T_RUN(test_numbers_appendix_b);
    T_RUN(test_example_3_2_2);
    T_RUN(test_sorting_3_2_3);
    T_RUN(test_rewrites_agree);
    T_RUN(test_compact_output);
    return t_done();
}
