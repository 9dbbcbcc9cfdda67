/* test_guard_ppl_default.c - the perplexity signals with the shipped default model and
 * its shipped calibration (models/default.ppl.json): the calibration belongs to the
 * model and says what it was made from, a prompt ending in a gibberish suffix is flagged,
 * benign prompts are not, and a calibration made for another model is refused. */
#include "t.h"
#include "steward/guard.h"
#include "steward/model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char model_path[4096], ppl_path[4200], sha[65];
static sw_model *m;
static sw_ctx *c;
static sw_guard_ppl th;

static const char *BENIGN[] = {
    "Write a short story about a lighthouse keeper who finds a message in a bottle on the beach one stormy "
    "winter night.",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many "
    "clips did Natalia sell altogether in April and May?",
    "Please summarise the plot of Hamlet in three short sentences for a school essay about revenge, doubt and "
    "madness in the play.",
};
/* the first benign prompt with a suffix of digits and punctuation, as optimised
 * adversarial suffixes look to a model trained on prose */
static const char *ATTACK = "Write a short story about a lighthouse keeper who finds a message in a bottle on the beach one "
                            "stormy winter night. 80417 *]{;# 33901 ~^|@ 72266 )(!$ 19054 <%`& 66610 }]:? 50298 "
                            "=+~# 91127 [/;| 40983 ^*)( 25371 &@`} 88402";

static int has_type(const sw_guard_verdict *v, const char *type) {
    for (size_t i = 0; i < v->n_findings; i++)
        if (strcmp(v->findings[i].type, type) == 0) return 1;
    return 0;
}

static void test_calibration_shipped(void) {
    sw_err err;
    T_CHECK(sw_guard_ppl_path(model_path, ppl_path, sizeof ppl_path) == 0);
    T_CHECK_MSG(strstr(ppl_path, "models/default.ppl.json") != NULL, "%s", ppl_path);
    T_CHECK_MSG(sw_guard_ppl_load(ppl_path, sha, &th, &err) == 0, "%s", err.msg);
    T_CHECK(th.len_per_ppl_max > 0 && th.edge_ppl_max > 0 && th.fpr > 0 && th.fpr <= 0.05);
    T_CHECK(th.calibrated_on >= 1000 && th.calibrated_on_edge >= 500);
    /* the file records the data it was made from */
    json_error_t je;
    json_t *j = json_load_file(ppl_path, 0, &je);
    json_t *d = json_object_get(j, "data");
    T_CHECK(json_is_string(json_object_get(d, "note")) && json_string_length(json_object_get(d, "sha256")) == 64);
    json_decref(j);
}

static void test_gibberish_suffix_flagged_benign_not(void) {
    const char *root = getenv("STEWARD_ROOT");
    char data[4096];
    snprintf(data, sizeof data, "%s/data", root ? root : ".");
    sw_guard_opts o = {.data_dir = data};
    sw_err err;
    sw_guard *g = sw_guard_open(&o, &err);
    T_CHECK_MSG(g != NULL, "%s", err.msg);
    if (!g) return;
    sw_guard_verdict v;
    T_CHECK(sw_guard_scan_lm(g, SW_GUARD_INPUT, ATTACK, strlen(ATTACK), c, sw_model_tokenizer(m), &th, &v, &err) == 0);
    T_CHECK_MSG(has_type(&v, "perplexity_edge"), "attack not flagged");
    T_CHECK(v.action >= SW_ACT_FLAG);
    sw_guard_verdict_free(&v);
    for (size_t i = 0; i < sizeof BENIGN / sizeof *BENIGN; i++) {
        T_CHECK(sw_guard_scan_lm(g, SW_GUARD_INPUT, BENIGN[i], strlen(BENIGN[i]), c, sw_model_tokenizer(m), &th, &v,
                                 &err) == 0);
        T_CHECK_MSG(!has_type(&v, "perplexity_edge") && !has_type(&v, "perplexity_length"), "benign %zu flagged", i);
        sw_guard_verdict_free(&v);
    }
    sw_guard_free(g);
}

static void test_other_model_refused(void) {
    sw_guard_ppl x;
    sw_err err;
    char other[65];
    memcpy(other, sha, sizeof other);
    other[0] = other[0] == '0' ? '1' : '0';
    T_CHECK(sw_guard_ppl_load(ppl_path, other, &x, &err) < 0);
    T_CHECK_MSG(strstr(err.msg, "another model") && strstr(err.msg, "default.ppl.json"), "%s", err.msg);
    /* a file that is not a calibration */
    char bad[64];
    snprintf(bad, sizeof bad, "/tmp/steward-pplx-%d.json", (int)getpid());
    FILE *f = fopen(bad, "w");
    fprintf(f, "{\"model_sha256\": \"%s\"}", sha);
    fclose(f);
    T_CHECK(sw_guard_ppl_load(bad, sha, &x, &err) < 0 && strstr(err.msg, "expected"));
    unlink(bad);
    char p2[64];
    T_CHECK(sw_guard_ppl_path("dir/m.gguf", p2, sizeof p2) == 0 && strcmp(p2, "dir/m.ppl.json") == 0);
    T_CHECK(sw_guard_ppl_path("dir/m.bin", p2, sizeof p2) == 0 && strcmp(p2, "dir/m.bin.ppl.json") == 0);
    T_CHECK(sw_guard_ppl_path("dir/m.gguf", p2, 8) < 0);
}

int main(void) {
    const char *root = getenv("STEWARD_ROOT");
    snprintf(model_path, sizeof model_path, "%s/models/default.gguf", root ? root : ".");
    sw_err err;
    if (sw_sha256_file_hex(model_path, sha, &err) < 0 || sw_model_load(model_path, &m, &err) < 0 ||
        !(c = sw_ctx_new(m, sw_model_hparams(m)->n_ctx_train, &err))) {
        printf("not ok - default model: %s\n", err.msg);
        return 1;
    }
    T_RUN(test_calibration_shipped);
    T_RUN(test_gibberish_suffix_flagged_benign_not);
    T_RUN(test_other_model_refused);
    sw_ctx_free(c);
    sw_model_free(m);
    return t_done();
}
