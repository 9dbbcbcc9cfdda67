/* test_guard_personal.c - names, addresses and dates (of birth) in English and Chinese:
 * positives with their exact spans, near misses ("May" the month, "Paris", numbers that
 * are not dates, surname characters inside words), the policy's actions for them, the
 * name-list parser, and the figures of `steward eval pii` on the project's Chinese set
 * and on Presidio's synthetic set (printed; floors asserted). */
#include "guard_fixture.h"
#include "t.h"
#include "guard/guard_int.h"
#include "steward/guard.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static sw_guard *g;
static char root_dir[4096];

/* The pii finding of type in text covering exactly want (a substring), or NULL. */
static const sw_guard_finding *find(const sw_guard_verdict *v, const char *text, const char *type, const char *want) {
    const char *w = strstr(text, want);
    for (size_t i = 0; w && i < v->n_findings; i++) {
        const sw_guard_finding *f = &v->findings[i];
        if (!strcmp(f->category, "pii") && !strcmp(f->type, type) && f->start == (size_t)(w - text) &&
            f->end == f->start + strlen(want))
            return f;
    }
    return NULL;
}

static size_t count_type(const sw_guard_verdict *v, const char *type) {
    size_t k = 0;
    for (size_t i = 0; i < v->n_findings; i++) k += !strcmp(v->findings[i].category, "pii") && !strcmp(v->findings[i].type, type);
    return k;
}

/* Scans text and checks that each (type, substring) pair is found with action act (-1: any). */
static void expect(const char *text, const char *type, const char *want, int act) {
    sw_guard_verdict v;
    sw_err err;
    T_CHECK(sw_guard_scan(g, SW_GUARD_INPUT, text, strlen(text), &v, &err) == 0);
    const sw_guard_finding *f = find(&v, text, type, want);
    T_CHECK_MSG(f != NULL, "%s '%s' not found in: %s", type, want, text);
    if (f && act >= 0) T_CHECK_MSG((int)f->action == act, "%s '%s': action %d, want %d", type, want, (int)f->action, act);
    sw_guard_verdict_free(&v);
}

/* Scans text and checks that no finding of type is reported. */
static void expect_none(const char *text, const char *type) {
    sw_guard_verdict v;
    sw_err err;
    T_CHECK(sw_guard_scan(g, SW_GUARD_INPUT, text, strlen(text), &v, &err) == 0);
    size_t k = count_type(&v, type);
    T_CHECK_MSG(k == 0, "%zu %s finding(s) in: %s", k, type, text);
    sw_guard_verdict_free(&v);
}

static void test_names_en(void) {
    expect("My name is John Smith and I need help.", "PERSON", "John Smith", SW_ACT_REDACT);
    expect("Dear Dr. Jane Doe, thank you.", "PERSON", "Jane Doe", SW_ACT_REDACT);
    expect("Please change it to Mrs. Meagan Wallace.", "PERSON", "Meagan Wallace", SW_ACT_REDACT);
    expect("I'm Quarto Angelo, originally from Krize.", "PERSON", "Quarto Angelo", SW_ACT_REDACT);
    expect("You can tell Joseph Tolbert was a fan of Yuri Bulgakov's songs.", "PERSON", "Joseph Tolbert", -1);
    /* a name in running text is reported and allowed, not rewritten */
    expect("George Washington was president.", "PERSON", "George Washington", SW_ACT_ALLOW);
    expect("I'm so jealous! said Carla to Sandra", "PERSON", "Carla", SW_ACT_ALLOW);
}

static void test_names_en_near_misses(void) {
    expect_none("May I ask what the weather is like in May?", "PERSON"); /* the month, a verb */
    expect_none("Paris is lovely in spring; we flew to Paris on Friday.", "PERSON");
    expect_none("The Committee Will Meet At Noon.", "PERSON");
    expect_none("We live at 42 Gordon Terrace now.", "PERSON"); /* a street, not Gordon */
    expect_none("I hope you will mark the rose garden on the map.", "PERSON");
    expect_none("NEW YORK STOCK EXCHANGE REPORT", "PERSON");
}

static void test_names_zh(void) {
    expect("我叫张伟，今年三十岁。", "PERSON", "张伟", SW_ACT_REDACT);
    expect("姓名：欧阳娜娜\n电话：13800138000", "PERSON", "欧阳娜娜", SW_ACT_REDACT);
    expect("王芳女士的电话是13800138000。", "PERSON", "王芳", SW_ACT_REDACT);
    expect_none("请把行李放在一张桌子上，然后去王府井。", "PERSON"); /* 李, 张, 王 inside words */
    expect_none("这个王国的历史很长，周末我们去看了展览。", "PERSON");
    /* 成, 关, 高 are surnames; 成为, 关于 and 高兴 are words (become, about, glad) */
    expect_none("他想成为老师。", "PERSON");
    expect_none("关于老师的问题，我很高兴医生回答了。", "PERSON");
    expect("成为民老师明天来。", "PERSON", "成为民", -1); /* a two-character given name still counts */
}

static void test_addresses(void) {
    expect("I live at 42 Baker Street, Apt. 5, in London.", "ADDRESS", "42 Baker Street, Apt. 5", SW_ACT_REDACT);
    expect("Sofie lives on 69 Av Sidi Lakhmi street.", "ADDRESS", "69 Av Sidi Lakhmi street", SW_ACT_REDACT);
    expect("Send it to P.O. Box 149 please.", "ADDRESS", "P.O. Box 149", SW_ACT_REDACT);
    expect("住址：北京市海淀区中关村大街27号，邮编100080", "ADDRESS", "北京市海淀区中关村大街27号", SW_ACT_REDACT);
    expect("上海市浦东新区世纪大道100号3栋2单元501室", "ADDRESS", "上海市浦东新区世纪大道100号3栋2单元501室", SW_ACT_REDACT);
    /* divisions without a street are a place: reported, allowed */
    expect("我在北京市海淀区工作。", "LOCATION", "北京市海淀区", SW_ACT_ALLOW);
    expect_none("We sold 42 Big Boxes and 7 red cars.", "ADDRESS");
    expect_none("北京是中国的首都。", "ADDRESS");
    expect_none("北京是中国的首都。", "LOCATION");
}

static void test_dates(void) {
    expect("I was born on 12 May 1980.", "DATE_OF_BIRTH", "12 May 1980", SW_ACT_REDACT);
    expect("DOB: 07/05/1981", "DATE_OF_BIRTH", "07/05/1981", SW_ACT_REDACT);
    expect("Date of birth: May 3, 1975", "DATE_OF_BIRTH", "May 3, 1975", SW_ACT_REDACT);
    expect("出生日期：1990年5月12日", "DATE_OF_BIRTH", "1990年5月12日", SW_ACT_REDACT);
    /* a date that is not a birth date is reported and allowed */
    expect("The meeting is on 2024-03-15 at noon.", "DATE_TIME", "2024-03-15", SW_ACT_ALLOW);
    expect("Mr. Rangel flew to Oslo on Monday morning.", "DATE_TIME", "Monday", SW_ACT_ALLOW);
    expect("The orchestra was founded in 1973.", "DATE_TIME", "1973", SW_ACT_ALLOW);
    expect("会议定于2024年3月15日召开。", "DATE_TIME", "2024年3月15日", SW_ACT_ALLOW);
    /* numbers that are not dates */
    expect_none("Room 13/25/2020 is not a date; version 1.2.3.4; pi is 3.14; 1/3 of 12", "DATE_TIME");
    expect_none("Room 13/25/2020 is not a date; version 1.2.3.4; pi is 3.14; 1/3 of 12", "DATE_OF_BIRTH");
    expect_none("We sold 1980 units and 2001 boxes.", "DATE_TIME");
    expect_none("She was born in May.", "DATE_OF_BIRTH"); /* a month alone is no date */
}

/* The name-list parser: entries are lower-case letters; anything else names file:line. */
static void test_name_lists(void) {
    sw_err err;
    gnames *t = gnames_new();
    const char *ok = "# comment\nsmith\n  o'brien \nmary-jane\n张\n欧阳\nsmith\n";
    T_CHECK(t && gnames_add_text(t, ok, strlen(ok), "ok.txt", GNAME_LAST, &err) == 0);
    T_CHECK(gnames_count(t) == 5);
    T_CHECK(gnames_lookup(t, "smith", 5) == GNAME_LAST && gnames_lookup(t, "欧阳", 6) == GNAME_LAST);
    T_CHECK(gnames_add_text(t, "smith\n", 6, "f.txt", GNAME_FIRST, &err) == 0);
    T_CHECK(gnames_lookup(t, "smith", 5) == (GNAME_LAST | GNAME_FIRST) && gnames_lookup(t, "smit", 4) == 0);
    static const char *bad[] = {"ok\nSmith\n", "ok\nr2d2\n", "ok\n-ann\n", "ok\nthis-name-is-far-too-long-to-be-a-name\n",
                                "ok\n\xff\xfe\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_CHECK_MSG(gnames_add_text(t, bad[i], strlen(bad[i]), "bad.txt", GNAME_FIRST, &err) < 0 &&
                        strstr(err.msg, "bad.txt:2:"),
                    "entry %zu: %s", i, err.msg);
    for (int i = 0; i < 3000; i++) { /* the table grows */
        char w[16];
        int l = snprintf(w, sizeof w, "n%c%c%c", 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i / 676);
        T_CHECK(gnames_add_text(t, w, (size_t)l, "g.txt", GNAME_FIRST, &err) == 0);
    }
    T_CHECK(gnames_count(t) == 6 + 3000 && /* and "ok" of the bad files */ gnames_lookup(t, "smith", 5) == (GNAME_LAST | GNAME_FIRST));
    gnames_free(t);
}

/* Per-type figures: printed, with floors a regression would break. */
static void eval_set(const char *path, const char *const *types, const double *min_p, const double *min_r, int n) {
    sw_err err;
    json_t *r = sw_guard_eval_pii(g, path, &err);
    if (!r) {
        T_SKIP("%.200s", err.msg);
        return;
    }
    const char *k;
    json_t *x;
    json_object_foreach(json_object_get(r, "types"), k, x)
        printf("# %-15s support %4lld precision %.3f recall %.3f F1 %.3f\n", k,
               (long long)json_integer_value(json_object_get(x, "support")), json_real_value(json_object_get(x, "precision")),
               json_real_value(json_object_get(x, "recall")), json_real_value(json_object_get(x, "f1")));
    for (int i = 0; i < n; i++) {
        json_t *t = json_object_get(json_object_get(r, "types"), types[i]);
        double p = json_real_value(json_object_get(t, "precision")), rc = json_real_value(json_object_get(t, "recall"));
        T_CHECK_MSG(t && p >= min_p[i] && rc >= min_r[i], "%s: precision %.3f recall %.3f under %.2f / %.2f", types[i], p,
                    rc, min_p[i], min_r[i]);
    }
    json_decref(r);
}

static void test_eval_zh(void) {
    char path[4200];
    snprintf(path, sizeof path, "%s/tests/data/pii-zh-synth.json", root_dir);
    static const char *types[] = {"PERSON", "ADDRESS", "LOCATION", "DATE_TIME", "PHONE_NUMBER", "CN_RESIDENT_ID"};
    static const double p[] = {0.95, 0.95, 0.95, 0.95, 0.95, 0.95}, r[] = {0.7, 0.95, 0.95, 0.95, 0.95, 0.95};
    eval_set(path, types, p, r, 6);
}

static void test_eval_presidio(void) {
    char path[4200];
    snprintf(path, sizeof path, "%s/../shared/data/presidio-synth/synth_dataset_v2.json", root_dir);
    FILE *f = fopen(path, "r");
    if (!f) snprintf(path, sizeof path, "%s/../../shared/data/presidio-synth/synth_dataset_v2.json", root_dir);
    else fclose(f);
    static const char *types[] = {"PERSON", "ADDRESS", "DATE_TIME", "EMAIL_ADDRESS", "CREDIT_CARD"};
    static const double p[] = {0.8, 0.5, 0.85, 0.95, 0.95}, r[] = {0.3, 0.1, 0.8, 0.95, 0.95};
    eval_set(path, types, p, r, 5);
}

int main(void) {
    sw_err err;
    snprintf(root_dir, sizeof root_dir, "%s", tg_root());
    if (sw_crypto_init(&err) < 0) return 1;
    if (!(g = test_guard_open(TG_RULES_ONLY))) return 1;
    T_RUN(test_names_en);
    T_RUN(test_names_en_near_misses);
    T_RUN(test_names_zh);
    T_RUN(test_addresses);
    T_RUN(test_dates);
    T_RUN(test_name_lists);
    T_RUN(test_eval_zh);
    T_RUN(test_eval_presidio);
    sw_guard_free(g);
    return t_done();
}
