/* test_pipeline_deliver.c - text a person decided on goes through the same controls: a
 * person's reply passes the output guard (redacted, or refused when blocked), carries the
 * human-written label, a "delivery" audit record and a manifest (author human, AIGC Label
 * "0") that verifies; an approved model text is delivered as held; an edit records both
 * hashes; a request the input guard sent to review is generated once a person approved
 * it. Runs on a random-weight model. */
#include "steward/audit.h"
#include "steward/pipeline.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/steward-test-deliver-XXXXXX";
static char model[256], home[256], policy[256];
static sw_pipeline *P;

static int verifies(const sw_gen_result *res) {
    uint8_t keys[4][SW_SIGN_PUBLIC_BYTES];
    size_t n = 0;
    sw_err e;
    if (sw_pipeline_trusted_keys(P, keys, 4, &n, &e) < 0) return 0;
    int ok = sw_manifest_verify(res->manifest, res->labelled_text.data, res->labelled_text.len,
                                (const uint8_t(*)[SW_SIGN_PUBLIC_BYTES])keys, (int)n, &e) == 0;
    if (!ok) fprintf(stderr, "  verify: %s\n", e.msg);
    return ok;
}

static const char *mstr(const sw_gen_result *res, const char *k) {
    return json_string_value(json_object_get(res->manifest, k));
}

static const char *aigc_label(const sw_gen_result *res) {
    return json_string_value(json_object_get(json_object_get(json_object_get(res->manifest, "label"), "AIGC"), "Label"));
}

static void test_human_reply(void) {
    sw_gen_result res;
    sw_err e;
    const char *t = "Hello, a person here.";
    sw_deliver_request d = {.text = t, .len = strlen(t), .author = SW_AUTHOR_HUMAN, .principal = "k1",
                            .conversation = "c1", .decided_by = "rev"};
    T_CHECK_MSG(sw_pipeline_deliver(P, &d, &res, &e) == 0, "%s", e.msg);
    T_CHECK(strcmp(res.finish_reason, "stop") == 0 && res.author == SW_AUTHOR_HUMAN);
    T_CHECK(strstr(res.labelled_text.data, "[Written by a person]") && strstr(res.labelled_text.data, t));
    T_CHECK(!strstr(res.labelled_text.data, "AI-generated"));
    T_CHECK(strcmp(mstr(&res, "author"), "human") == 0 && strcmp(aigc_label(&res), "0") == 0);
    T_CHECK(res.audit_index >= 0 && verifies(&res));
    sw_buf rec = {0};
    T_CHECK(sw_audit_read(sw_pipeline_audit(P), (uint64_t)res.audit_index, &rec, &e) == 0);
    T_CHECK(rec.data && strstr(rec.data, "\"type\":\"delivery\"") && strstr(rec.data, "\"author\":\"human\"") &&
            !strstr(rec.data, t)); /* hashes only */
    sw_buf_free(&rec);
    sw_gen_result_free(&res);
}

static void test_human_reply_guarded(void) {
    sw_gen_result res;
    sw_err e;
    const char *t = "Write to bob@example.com please.";
    sw_deliver_request d = {.text = t, .len = strlen(t), .author = SW_AUTHOR_HUMAN};
    T_CHECK_MSG(sw_pipeline_deliver(P, &d, &res, &e) == 0, "%s", e.msg);
    T_CHECK(res.text.data && !strstr(res.text.data, "bob@example.com") && strstr(res.text.data, "<EMAIL_ADDRESS>"));
    T_CHECK(verifies(&res));
    sw_gen_result_free(&res);
    const char *s = "the key is AKIAIOSFODNN7EXAMPLE";
    sw_deliver_request b = {.text = s, .len = strlen(s), .author = SW_AUTHOR_HUMAN};
    T_CHECK_MSG(sw_pipeline_deliver(P, &b, &res, &e) == 0, "%s", e.msg);
    T_CHECK(strcmp(res.finish_reason, "blocked") == 0 && res.refusal && !res.manifest);
    T_CHECK(!strstr(res.labelled_text.data, "AKIA") && res.audit_index >= 0);
    sw_gen_result_free(&res);
}

static void test_model_approved_and_edited(void) {
    sw_gen_result res;
    sw_err e;
    const char *held = "Mail bob@example.com for details."; /* a person approved it as it was */
    sw_deliver_request d = {.text = held, .len = strlen(held), .author = SW_AUTHOR_MODEL};
    T_CHECK_MSG(sw_pipeline_deliver(P, &d, &res, &e) == 0, "%s", e.msg);
    T_CHECK(strstr(res.labelled_text.data, held) && strstr(res.labelled_text.data, "[AI-generated content]"));
    T_CHECK(strcmp(mstr(&res, "author"), "model") == 0 && strcmp(aigc_label(&res), "1") == 0 && verifies(&res));
    sw_gen_result_free(&res);
    char orig[2 * SW_SHA256_BYTES + 1];
    sw_sha256_hex(held, strlen(held), orig);
    const char *ed = "Ask our support desk for details.";
    sw_deliver_request x = {.text = ed, .len = strlen(ed), .author = SW_AUTHOR_EDITED, .original_sha256 = orig};
    T_CHECK_MSG(sw_pipeline_deliver(P, &x, &res, &e) == 0, "%s", e.msg);
    T_CHECK(strstr(res.labelled_text.data, "edited by a person") && strcmp(aigc_label(&res), "1") == 0);
    json_t *edit = json_object_get(res.manifest, "edit");
    T_CHECK(edit && strcmp(json_string_value(json_object_get(edit, "original_sha256")), orig) == 0);
    T_CHECK(verifies(&res));
    sw_gen_result_free(&res);
}

/* A rejection delivers the refusal a person chose, not scanned (it names a secret here,
 * which the output guard would block), labelled and signed as the person's decision. */
static void test_rejected(void) {
    sw_gen_result res;
    sw_err e;
    const char *t = "Not answered: AKIAIOSFODNN7EXAMPLE";
    sw_deliver_request d = {.text = t, .len = strlen(t), .author = SW_AUTHOR_HUMAN, .decided_by = "rev",
                            .rejected = 1};
    T_CHECK_MSG(sw_pipeline_deliver(P, &d, &res, &e) == 0, "%s", e.msg);
    T_CHECK(strcmp(res.finish_reason, "blocked") == 0 && !res.refusal && res.manifest);
    T_CHECK(strstr(res.labelled_text.data, "[Written by a person]") && strstr(res.labelled_text.data, t));
    T_CHECK(strcmp(mstr(&res, "author"), "human") == 0 && res.audit_index >= 0 && verifies(&res));
    sw_gen_result_free(&res);
}

static void test_input_approved(void) {
    sw_gen_request req;
    memset(&req, 0, sizeof req);
    sw_sampler_params_default(&req.sampling);
    req.sampling.seed = 7;
    req.prompt = "Mail me at bob@example.com";
    req.max_tokens = 6;
    sw_gen_result res;
    sw_err e;
    T_CHECK_MSG(sw_pipeline_generate(P, &req, &res, &e) == 0, "%s", e.msg);
    T_CHECK(strcmp(res.finish_reason, "review") == 0 && res.n_tokens == 0 && !res.manifest);
    sw_gen_result_free(&res);
    req.input_approved = 1;
    T_CHECK_MSG(sw_pipeline_generate(P, &req, &res, &e) == 0, "%s", e.msg);
    T_CHECK(strcmp(res.finish_reason, "review") != 0 && res.n_tokens > 0 && res.manifest);
    sw_gen_result_free(&res);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    snprintf(model, sizeof model, "%s/m.gguf", dir);
    snprintf(home, sizeof home, "%s/home", dir);
    snprintf(policy, sizeof policy, "%s/p.policy", dir);
    FILE *f = fopen(policy, "w");
    if (!f || fputs("secret output block\npii output redact replace\npii input review\n* allow\n", f) < 0 ||
        fclose(f) != 0)
        return 1;
    sw_model_shape shape = {.n_vocab = 0, .n_ctx = 128, .n_embd = 64, .n_layer = 2, .n_ff = 96,
                            .n_head = 4, .n_head_kv = 2, .tied = 0};
    sw_err err;
    if (sw_model_write_random(model, &shape, SW_TYPE_Q8_0, 3, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    sw_pipeline_opts o = {.home = home, .model_path = model, .threads = 2, .policy_path = policy};
    if (sw_pipeline_open(&o, &P, &err) < 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    T_RUN(test_human_reply);
    T_RUN(test_rejected);
    T_RUN(test_human_reply_guarded);
    T_RUN(test_model_approved_and_edited);
    T_RUN(test_input_approved);
    sw_pipeline_close(P);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return t_done();
}
