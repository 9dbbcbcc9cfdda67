/* oversight.c - what connects people in charge to the requests: the event that wakes
 * requests waiting for a decision, a reply or a halt; the audit record of every action;
 * conversations taken over (takeover, reply, release) and users' feedback. */
#include "server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000ull

void srv_oversight_init(sw_server *s) {
    pthread_mutex_init(&s->ov_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->ov_cv, &ca);
    pthread_condattr_destroy(&ca);
}

void srv_oversight_destroy(sw_server *s) {
    pthread_cond_destroy(&s->ov_cv);
    pthread_mutex_destroy(&s->ov_mu);
}

void srv_oversight_signal(sw_server *s) {
    pthread_mutex_lock(&s->ov_mu);
    s->ov_seq++;
    pthread_cond_broadcast(&s->ov_cv);
    for (srv_waiter *w = s->streams; w; w = w->next) {
        pthread_mutex_lock(w->mu);
        pthread_cond_broadcast(w->cv);
        pthread_mutex_unlock(w->mu);
    }
    pthread_mutex_unlock(&s->ov_mu);
}

unsigned long long srv_oversight_seq(sw_server *s) {
    pthread_mutex_lock(&s->ov_mu);
    unsigned long long q = s->ov_seq;
    pthread_mutex_unlock(&s->ov_mu);
    return q;
}

int srv_oversight_wait(sw_server *s, unsigned long long seen, uint64_t deadline_ns) {
    struct timespec ts = {(time_t)(deadline_ns / NS_PER_S), (long)(deadline_ns % NS_PER_S)};
    int rc = 0;
    pthread_mutex_lock(&s->ov_mu);
    while (s->ov_seq == seen && !atomic_load(&s->halted) && !atomic_load(&s->draining) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->ov_cv, &s->ov_mu, &ts);
    int woke = s->ov_seq != seen || atomic_load(&s->halted) || atomic_load(&s->draining);
    pthread_mutex_unlock(&s->ov_mu);
    return woke;
}

uint64_t srv_review_deadline(sw_server *s) {
    double w = s->o.review_wait_s == 0 ? SW_SERVER_REVIEW_WAIT_S : s->o.review_wait_s;
    return sw_now_ns() + (w > 0 ? (uint64_t)(w * 1e9) : 0);
}

void srv_stream_register(sw_server *s, srv_waiter *w) {
    pthread_mutex_lock(&s->ov_mu);
    w->prev = NULL;
    w->next = s->streams;
    if (s->streams) s->streams->prev = w;
    s->streams = w;
    pthread_mutex_unlock(&s->ov_mu);
}

void srv_stream_unregister(sw_server *s, srv_waiter *w) {
    pthread_mutex_lock(&s->ov_mu);
    if (w->prev) w->prev->next = w->next;
    else if (s->streams == w) s->streams = w->next;
    if (w->next) w->next->prev = w->prev;
    w->prev = w->next = NULL;
    pthread_mutex_unlock(&s->ov_mu);
}

void srv_halt_message(sw_server *s, char *out, size_t outsz) {
    pthread_mutex_lock(&s->ov_mu);
    snprintf(out, outsz, "generation is halted by a person in charge%s%s", s->halt_reason[0] ? ": " : "",
             s->halt_reason);
    pthread_mutex_unlock(&s->ov_mu);
}

void srv_audit_action(srv_req *r, const char *action, const char *subject, const char *decision,
                      const char *shown_sha256, const char *delivered_sha256) {
    json_t *d = json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "key_name", r->key.name, "role", sw_role_name(r->key.role),
                          "decision", decision, "shown_sha256", shown_sha256, "delivered_sha256", delivered_sha256);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    sw_err err;
    if (!text || sw_store_audit_oversight(sw_pipeline_audit(r->s->p), action, r->key.id, subject, text, NULL, &err) < 0)
        sw_log(SW_LOG_ERROR, "serve: audit of %s on %s failed: %s", action, subject ? subject : "-",
               text ? err.msg : "out of memory");
    free(text);
}

static void sha_hex(const char *text, size_t len, char out[2 * SW_SHA256_BYTES + 1]) {
    sw_sha256_hex(text ? text : "", text ? len : 0, out);
}

/* ---- conversations taken over ---- */

int srv_takeover_answer(sw_server *s, const char *conv, const char *owner, sw_gen_result *res, sw_err *err) {
    uint64_t deadline = srv_review_deadline(s);
    for (;;) {
        unsigned long long seen = srv_oversight_seq(s);
        char *text = NULL;
        int got = sw_store_reply_take(s->st, conv, &text, err);
        if (got < 0) return -1;
        if (got) {
            sw_deliver_request d = {.text = text, .len = strlen(text), .author = SW_AUTHOR_HUMAN,
                                    .principal = owner, .conversation = conv, .decided_by = "person"};
            int rc = sw_pipeline_deliver(s->p, &d, res, err);
            free(text);
            return rc < 0 ? -1 : 1;
        }
        if (atomic_load(&s->halted) || atomic_load(&s->draining)) return 0;
        if (!srv_oversight_wait(s, seen, deadline)) return 0;
    }
}

static int list_conv(void *ud, const char *conv, const char *by, long long since) {
    json_array_append_new(ud, json_pack("{s:s, s:s, s:I}", "id", conv, "by", by, "since", (json_int_t)since));
    return 0;
}

enum MHD_Result srv_route_conv_list(srv_req *r) {
    sw_err err;
    json_t *data = json_array();
    if (sw_store_takeover_list(r->s->st, list_conv, data, &err) < 0) {
        json_decref(data);
        return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    }
    return srv_send_json(r, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

/* POST /v1/conversations/{id}/reply {"content"}: queued for the conversation's request. */
static enum MHD_Result conv_reply(srv_req *r, const char *conv) {
    sw_err err;
    json_t *body = srv_body_json(r);
    if (!body) return MHD_YES;
    const char *content = json_string_value(json_object_get(body, "content"));
    if (!content || !*content) {
        json_decref(body);
        return srv_send_error(r, 400, "invalid_request_error", "invalid_value", "content",
                              "'content' must be a non-empty string");
    }
    char hex[2 * SW_SHA256_BYTES + 1];
    sha_hex(content, strlen(content), hex);
    long long id = 0;
    int rc = sw_store_reply_add(r->s->st, conv, r->key.id, content, &id, &err);
    json_decref(body);
    if (rc < 0) return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    srv_audit_action(r, "reply", conv, "queued", NULL, hex);
    srv_oversight_signal(r->s);
    return srv_send_json(r, 200, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "object",
                                           "conversation.reply", "conversation", conv, "content_sha256", hex));
}

enum MHD_Result srv_route_conv_action(srv_req *r, srv_route which) {
    sw_err err;
    const char *conv = r->path_arg;
    char by[SW_KEY_ID_CHARS + 1] = "";
    long long since = 0;
    int taken = sw_store_takeover_get(r->s->st, conv, by, &since, &err);
    if (taken < 0) return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    if (which == SRV_R_CONV_REPLY) {
        if (!taken)
            return srv_send_error(r, 409, "invalid_request_error", "not_taken_over", NULL,
                                  "conversation '%s' is not taken over: take it over first", conv);
        return conv_reply(r, conv);
    }
    int on = which == SRV_R_CONV_TAKEOVER;
    if (sw_store_takeover_set(r->s->st, conv, r->key.id, on, &err) < 0)
        return srv_send_error(r, 400, "invalid_request_error", "invalid_value", "id", "%s", err.msg);
    srv_audit_action(r, on ? "takeover" : "release", conv, on ? "taken over" : "released", NULL, NULL);
    srv_oversight_signal(r->s);
    if (on) sw_store_takeover_get(r->s->st, conv, by, &since, &err);
    return srv_send_json(r, 200, json_pack("{s:s, s:s, s:b, s:s?, s:I}", "id", conv, "object", "conversation",
                                           "taken_over", on, "by", on ? by : NULL, "since",
                                           (json_int_t)(on ? since : 0)));
}

/* ---- feedback ---- */

enum MHD_Result srv_route_feedback_add(srv_req *r) {
    sw_err err;
    json_t *body = srv_body_json(r);
    if (!body) return MHD_YES;
    const char *id = json_string_value(json_object_get(body, "id"));
    const char *cat = json_string_value(json_object_get(body, "category"));
    json_t *cj = json_object_get(body, "comment");
    sw_feedback_category c;
    const char *param = !id ? "id" : !cat || sw_feedback_category_parse(cat, &c) < 0 ? "category"
                       : (cj && !json_is_string(cj)) || json_string_length(cj) > SW_FEEDBACK_COMMENT_MAX ? "comment"
                                                                                                          : NULL;
    if (param) {
        json_decref(body);
        return srv_send_error(r, 400, "invalid_request_error", "invalid_value", param,
                              "feedback needs 'id' (a completion id), 'category' (wrong, harmful, biased or "
                              "other) and optionally 'comment' (a string of at most %d bytes)",
                              SW_FEEDBACK_COMMENT_MAX);
    }
    char *stored = NULL;
    int own = sw_store_completion_get(r->s->st, id, r->key.id, &stored, &err);
    free(stored);
    long long fid = 0;
    int rc = own == 1 ? sw_store_feedback_add(r->s->st, id, r->key.id, c, json_string_value(cj), &fid, &err) : own;
    enum MHD_Result out;
    if (rc < 0) out = srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    else if (own == 0)
        out = srv_send_error(r, 404, "invalid_request_error", "not_found", "id",
                             "no stored completion with this id for this key");
    else {
        char subject[64];
        snprintf(subject, sizeof subject, "feedback:%lld", fid);
        srv_audit_action(r, "feedback", subject, cat, NULL, NULL);
        srv_oversight_signal(r->s);
        out = srv_send_json(r, 200, json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)fid, "object", "feedback",
                                              "completion_id", id, "category", cat, "handled", 0));
    }
    json_decref(body);
    return out;
}

static int list_fb(void *ud, const sw_feedback *f) {
    json_array_append_new(ud, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:b}", "id", (json_int_t)f->id,
                                        "completion_id", f->completion_id, "owner", f->owner_key_id, "category",
                                        sw_feedback_category_name(f->category), "comment",
                                        f->comment ? f->comment : "", "created", (json_int_t)f->created, "handled",
                                        f->handled));
    return 0;
}

/* GET /v1/feedback[?handled=0]: oldest first, with the counts by category. */
enum MHD_Result srv_route_feedback_list(srv_req *r) {
    sw_err err;
    const char *h = MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, "handled");
    int only_unhandled = h && strcmp(h, "0") == 0;
    json_t *data = json_array();
    long long counts[SW_FEEDBACK_CATEGORIES];
    if (sw_store_feedback_list(r->s->st, only_unhandled, list_fb, data, &err) < 0 ||
        sw_store_feedback_counts(r->s->st, counts, &err) < 0) {
        json_decref(data);
        return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    }
    json_t *cj = json_object();
    for (int c = 0; c < SW_FEEDBACK_CATEGORIES; c++)
        json_object_set_new(cj, sw_feedback_category_name((sw_feedback_category)c), json_integer(counts[c]));
    return srv_send_json(r, 200, json_pack("{s:s, s:o, s:o}", "object", "list", "data", data, "counts", cj));
}

enum MHD_Result srv_route_feedback_handle(srv_req *r) {
    sw_err err;
    char *end;
    long long id = strtoll(r->path_arg, &end, 10);
    if (*end || id <= 0)
        return srv_send_error(r, 400, "invalid_request_error", "invalid_value", "id", "a feedback id is a number");
    int rc = sw_store_feedback_handle(r->s->st, id, &err);
    if (rc < 0) return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    if (rc == 0) return srv_send_error(r, 404, "invalid_request_error", "not_found", "id", "no feedback %lld", id);
    char subject[64];
    snprintf(subject, sizeof subject, "feedback:%lld", id);
    srv_audit_action(r, "feedback.handle", subject, "handled", NULL, NULL);
    srv_oversight_signal(r->s);
    return srv_send_json(r, 200, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "object", "feedback", "handled", 1));
}
