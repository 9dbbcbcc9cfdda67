/* routes.c - the server's small routes: /healthz, /v1/models, GET /v1/chat/completions/{id}
 * and /v1/moderations (the guard alone, no generation, in OpenAI's shape). */
#include "server_int.h"
#include "steward/jcs.h"

#include <stdlib.h>
#include <string.h>

enum MHD_Result srv_route_healthz(srv_req *r) {
    char *body = strdup("{\"status\":\"ok\"}");
    if (!body) return MHD_NO;
    return srv_send(r, 200, "application/json", body, strlen(body));
}

enum MHD_Result srv_route_models(srv_req *r) {
    sw_server *s = r->s;
    json_t *m = json_pack("{s:s, s:s, s:I, s:s, s:{s:s?, s:s?}}", "id", s->model_id, "object", "model", "created",
                          (json_int_t)s->created, "owned_by", "steward", "steward", "sha256",
                          sw_pipeline_model_sha256(s->p), "policy_sha256", sw_pipeline_policy_sha256(s->p));
    return srv_send_json(r, 200, json_pack("{s:s, s:[o]}", "object", "list", "data", m));
}

enum MHD_Result srv_route_chat_get(srv_req *r) {
    sw_err err;
    char *text = NULL;
    int found = sw_store_completion_get_as(r->s->st, r->path_arg, &r->key, &text, &err);
    if (found < 0) {
        sw_log(SW_LOG_ERROR, "serve: %s", err.msg);
        return srv_send_error(r, 500, "server_error", "store_error", NULL, "the completion store failed");
    }
    if (!found)
        return srv_send_error(r, 404, "invalid_request_error", "not_found", "completion_id",
                              "no stored completion with this id for this key");
    return srv_send(r, 200, "application/json", text, strlen(text));
}

/* ---- moderations ---- */

/* OpenAI's moderation categories, and the guard categories each one gathers
 * (Llama Guard 3's S1..S14 and the guard's own). */
typedef struct {
    const char *openai;
    const char *guard[4];
} category_map;

static const category_map cats[] = {
    {"harassment", {"profanity"}},
    {"harassment/threatening", {0}},
    {"hate", {"S10"}},
    {"hate/threatening", {0}},
    {"illicit", {"S2", "S8", "S14"}},
    {"illicit/violent", {"S9"}},
    {"self-harm", {"S11"}},
    {"self-harm/intent", {0}},
    {"self-harm/instructions", {0}},
    {"sexual", {"S3", "S12"}},
    {"sexual/minors", {"S4"}},
    {"violence", {"S1"}},
    {"violence/graphic", {0}},
};
#define N_CATS (sizeof cats / sizeof cats[0])

static int maps_to(const category_map *c, const char *guard_cat) {
    for (int i = 0; i < 4 && c->guard[i]; i++)
        if (strcmp(c->guard[i], guard_cat) == 0) return 1;
    return 0;
}

/* Appends a category score as a JSON real in its shortest form, always with a point or an
 * exponent (0.0, not 0), as OpenAI's clients expect a float. -1 on no memory. */
static int put_score(sw_buf *b, double score) {
    char num[SW_JCS_NUMBER_MAX];
    if (score == 0 || sw_jcs_number(score, num, NULL) < 0) return sw_buf_puts(b, "0.0");
    return sw_buf_puts(b, num) | (strpbrk(num, ".e") ? 0 : sw_buf_puts(b, ".0"));
}

/* Appends one result: flagged when the policy sends the text to review or blocks it; a
 * category is true when one of its findings is sent to review or blocked; its score is
 * the highest. Written straight into b (the categories are fixed names), only the
 * guard's verdict goes through jansson. -1 on no memory. */
static int put_result(sw_server *s, const sw_guard_verdict *v, sw_buf *b) {
    int hit[N_CATS] = {0};
    double best[N_CATS] = {0};
    for (size_t k = 0; k < N_CATS; k++)
        for (size_t i = 0; i < v->n_findings; i++) {
            const sw_guard_finding *f = &v->findings[i];
            if (!maps_to(&cats[k], f->category)) continue;
            if (f->score > best[k]) best[k] = f->score;
            if (f->action >= SW_ACT_REVIEW) hit[k] = 1;
        }
    for (size_t i = 0; i < v->n_findings; i++)
        if (v->findings[i].action >= SW_ACT_REVIEW) srv_metrics_block(&s->m, v->findings[i].category);
    int rc = sw_buf_puts(b, v->action >= SW_ACT_REVIEW ? "{\"flagged\":true,\"categories\":{"
                                                       : "{\"flagged\":false,\"categories\":{");
    for (size_t k = 0; k < N_CATS; k++)
        rc |= sw_buf_puts(b, k ? ",\"" : "\"") | sw_buf_puts(b, cats[k].openai) |
              sw_buf_puts(b, hit[k] ? "\":true" : "\":false");
    rc |= sw_buf_puts(b, "},\"category_scores\":{");
    for (size_t k = 0; k < N_CATS; k++)
        rc |= sw_buf_puts(b, k ? ",\"" : "\"") | sw_buf_puts(b, cats[k].openai) | sw_buf_puts(b, "\":") |
              put_score(b, best[k]);
    rc |= sw_buf_puts(b, "},\"steward\":");
    json_t *verdict = sw_guard_verdict_json(v);
    rc |= verdict ? sw_json_compact_append(verdict, b, NULL) : -1;
    json_decref(verdict);
    return rc | sw_buf_puts(b, "}");
}

/* The texts of "input": a string, or an array of strings or of {"type":"text","text":...}.
 * Fills texts (borrowed from in) and returns their count, or -1 naming the problem in why. */
#define MAX_INPUTS 256
typedef struct {
    const char *s;
    size_t n;
} mod_text;
static int input_texts(json_t *in, mod_text *texts, const char **why) {
    if (json_is_string(in)) {
        texts[0] = (mod_text){json_string_value(in), json_string_length(in)};
        return 1;
    }
    if (!json_is_array(in) || json_array_size(in) == 0 || json_array_size(in) > MAX_INPUTS) {
        *why = "'input' must be a string or an array of 1 to 256 strings or text parts";
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(in, i, e) {
        json_t *t = json_is_object(e) ? json_object_get(e, "text") : e;
        if (!json_is_string(t)) {
            *why = "each element of 'input' must be a string or {\"type\": \"text\", \"text\": ...}";
            return -1;
        }
        texts[i] = (mod_text){json_string_value(t), json_string_length(t)};
    }
    return (int)json_array_size(in);
}

enum MHD_Result srv_route_moderations(srv_req *r) {
    sw_server *s = r->s;
    mod_text texts[MAX_INPUTS];
    json_t *req = NULL;
    int n = 1;
    if (!srv_moderation_simple_input(r->body.data, r->body.len, &texts[0].s, &texts[0].n)) {
        if (!(req = srv_body_json(r))) return MHD_YES; /* answered */
        const char *why = NULL;
        n = input_texts(json_object_get(req, "input"), texts, &why);
        if (n < 0) {
            json_decref(req);
            return srv_send_error(r, 400, "invalid_request_error", "invalid_value", "input", "%s", why);
        }
    }
    char id[64];
    srv_new_id(s, "modr", id, sizeof id);
    sw_buf out = {0};
    int rc = sw_buf_printf(&out, "{\"id\":\"%s\",\"model\":\"steward-guard\",\"policy_sha256\":\"%s\",\"results\":[",
                           id, sw_guard_policy_hash(s->guard));
    for (int i = 0; i < n && rc == 0; i++) {
        sw_guard_verdict v = {0};
        sw_err err;
        if (sw_guard_scan(s->guard, SW_GUARD_INPUT, texts[i].s, texts[i].n, &v, &err) < 0) {
            sw_guard_verdict_free(&v);
            sw_buf_free(&out);
            json_decref(req);
            return srv_send_error(r, 500, "server_error", "guard_error", NULL, "the guard failed: %s", err.msg);
        }
        rc |= (i ? sw_buf_puts(&out, ",") : 0) | put_result(s, &v, &out);
        sw_guard_verdict_free(&v);
    }
    json_decref(req);
    if (rc < 0 || sw_buf_puts(&out, "]}") < 0) {
        sw_buf_free(&out);
        return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "cannot build the response");
    }
    return srv_send(r, 200, "application/json", out.data, out.len);
}
