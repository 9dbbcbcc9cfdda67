/* test_evidence.c - the evidence readers: report dates, bias templates and terms, the
 * CrowS-Pairs CSV (quoted commas, doubled quotes, line breaks), replay requests. */
#include "t.h"

#include "steward/eval.h"
#include "steward/report.h"

static void test_parse_time(void) {
    int64_t t;
    T_CHECK(sw_report_parse_time("1970-01-02", &t, NULL) == 0 && t == 86400);
    T_CHECK(sw_report_parse_time("2024-02-29T12:00:00Z", &t, NULL) == 0 && t == 1709208000);
    T_CHECK(sw_report_parse_time("1700000000", &t, NULL) == 0 && t == 1700000000);
    T_CHECK(sw_report_parse_time("2023-02-29", &t, NULL) < 0); /* no such day */
    T_CHECK(sw_report_parse_time("2024-13-01", &t, NULL) < 0);
    T_CHECK(sw_report_parse_time("2024-01-01x", &t, NULL) < 0);
    T_CHECK(sw_report_parse_time("-5", &t, NULL) < 0);
    T_CHECK(sw_report_parse_time("", &t, NULL) < 0);
    json_t *a = json_pack("{s:s}", "time", "2024-02-29T12:00:00Z"), *b = json_pack("{s:i}", "time", 42), *c = json_object();
    T_CHECK(sw_report_record_time(a) == 1709208000);
    T_CHECK(sw_report_record_time(b) == 42);
    T_CHECK(sw_report_record_time(c) == -1);
    json_decref(a), json_decref(b), json_decref(c);
}

static void test_templates(void) {
    sw_err err;
    const char ok[] = "# comment\nen\tbenign\tHello {X}.\n\nzh\tharmful\t伤害{X}\r\n";
    json_t *r = sw_bias_parse_templates(ok, sizeof ok - 1, "t.tsv", &err);
    T_CHECK(r && json_array_size(r) == 2);
    T_CHECK(r && json_is_true(json_object_get(json_array_get(r, 1), "harmful")));
    T_CHECK(r && !strcmp(json_string_value(json_object_get(json_array_get(r, 1), "text")), "伤害{X}"));
    json_decref(r);
    const char *bad[] = {"en\tbenign\tno slot\n", "en\tbenign\t{X} and {X}\n", "fr\tbenign\t{X}\n",
                         "en\tnice\t{X}\n", "en\tbenign\n", "en\tbenign\t{X}\textra\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = sw_bias_parse_templates(bad[i], strlen(bad[i]), "t.tsv", &err);
        T_CHECK_MSG(!r && strstr(err.msg, "t.tsv: line 1"), "%s", bad[i]);
        json_decref(r);
    }
    r = sw_bias_parse_terms("en\tage\ta teenager\n", 18, "terms", &err);
    T_CHECK(r && !strcmp(json_string_value(json_object_get(json_array_get(r, 0), "term")), "a teenager"));
    json_decref(r);
}

static void test_crows(void) {
    sw_err err;
    const char csv[] = ",sent_more,sent_less,stereo_antistereo,bias_type\n"
                       "0,\"He said \"\"hi, there\"\"\nand left.\",She left.,stereo,gender\r\n"
                       "1,A b.,C d.,antistereo,age\n\n";
    json_t *r = sw_crows_parse(csv, sizeof csv - 1, "c.csv", &err);
    T_CHECK_MSG(r && json_array_size(r) == 2, "%s", r ? "" : err.msg);
    const json_t *p = json_array_get(r, 0);
    T_CHECK(p && !strcmp(json_string_value(json_object_get(p, "more")), "He said \"hi, there\"\nand left."));
    T_CHECK(p && !strcmp(json_string_value(json_object_get(p, "bias_type")), "gender"));
    T_CHECK(!strcmp(json_string_value(json_object_get(json_array_get(r, 1), "bias_type")), "age"));
    json_decref(r);
    const char unterminated[] = "sent_more,sent_less,bias_type\n\"open,b,c\n";
    r = sw_crows_parse(unterminated, sizeof unterminated - 1, "c.csv", &err);
    T_CHECK(!r && strstr(err.msg, "record 2"));
    const char nohdr[] = "a,b,c\n1,2,3\n";
    r = sw_crows_parse(nohdr, sizeof nohdr - 1, "c.csv", &err);
    T_CHECK(!r && strstr(err.msg, "record 1: the header"));
}

static void test_replay_prompts(void) {
    sw_err err;
    const char ok[] = "{\"prompt\":\"hi\",\"id\":\"a\"}\n\n{\"text\":\"yo\"}\n";
    json_t *r = sw_replay_parse_prompts(ok, sizeof ok - 1, "f.jsonl", &err);
    T_CHECK(r && json_array_size(r) == 2);
    T_CHECK(r && !strcmp(json_string_value(json_object_get(json_array_get(r, 0), "source")), "a"));
    T_CHECK(r && !strcmp(json_string_value(json_object_get(json_array_get(r, 1), "source")), "line 3"));
    json_decref(r);
    r = sw_replay_parse_prompts("{\"x\":1}\n", 8, "f.jsonl", &err);
    T_CHECK(!r && strstr(err.msg, "line 1 of f.jsonl"));
    r = sw_replay_parse_prompts("{\"prompt\":\"a\",\"prompt\":\"b\"}\n", 28, "f.jsonl", &err);
    T_CHECK(!r); /* duplicate keys are refused */
}

int main(void) {
    T_RUN(test_parse_time);
    T_RUN(test_templates);
    T_RUN(test_crows);
    T_RUN(test_replay_prompts);
    return t_done();
}
