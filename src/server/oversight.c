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

static void waits_free(sw_server *s);

void srv_oversight_destroy(sw_server *s) {
    waits_free(s);
    pthread_cond_destroy(&s->ov_cv);
    pthread_mutex_destroy(&s->ov_mu);
}

void srv_oversight_signal(sw_server *s) {
    pthread_mutex_lock(&s->ov_mu);
    s->ov_seq++;
    pthread_cond_broadcast(&s->ov_cv);
    for (srv_waiter *w = s->streams; w; w = w->next) {
        pthread_mutex_lock(w->mu);
        w->wake(w->ud);
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

/* Registers a request of conv whose client waits (under ov_mu). */
static srv_conv_wait *wait_add(sw_server *s, const char *conv, const char *owner, const char *cid, int chat,
                               long long created) {
    srv_conv_wait *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    snprintf(w->w.conv_id, sizeof w->w.conv_id, "%s", conv);
    snprintf(w->w.owner_key_id, sizeof w->w.owner_key_id, "%s", owner);
    snprintf(w->w.completion_id, sizeof w->w.completion_id, "%s", cid);
    w->w.chat = chat;
    w->w.created = created;
    pthread_mutex_lock(&s->ov_mu);
    w->next = s->conv_waits;
    s->conv_waits = w;
    pthread_mutex_unlock(&s->ov_mu);
    return w;
}

/* Unlinks w (ov_mu held). */
static void wait_unlink(sw_server *s, srv_conv_wait *w) {
    for (srv_conv_wait **p = &s->conv_waits; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            return;
        }
}

int srv_takeover_answer(sw_server *s, const char *conv, const char *owner, const char *completion_id, int chat,
                        long long created, const json_t *pending, sw_gen_result *res, sw_err *err) {
    memset(res, 0, sizeof *res);
    uint64_t deadline = srv_review_deadline(s);
    srv_conv_wait *w = wait_add(s, conv, owner, completion_id, chat, created);
    if (!w) return sw_err_set(err, "takeover: out of memory");
    int rc = 0;
    for (;;) {
        unsigned long long seen = srv_oversight_seq(s);
        char *text = NULL;
        int got = sw_store_reply_take(s->st, conv, &text, err);
        if (got) {
            if (got > 0) {
                sw_deliver_request d = {.text = text, .len = strlen(text), .author = SW_AUTHOR_HUMAN,
                                        .principal = owner, .conversation = conv, .decided_by = "person"};
                rc = sw_pipeline_deliver(s->p, &d, res, err) < 0 ? -1 : 1;
                free(text);
            } else {
                rc = -1;
            }
            break;
        }
        if (atomic_load(&s->halted) || atomic_load(&s->draining) || !srv_oversight_wait(s, seen, deadline)) break;
    }
    char *js = rc == 0 ? json_dumps(pending, JSON_COMPACT) : NULL; /* kept even with store: false, to be polled */
    if (rc == 0 && (!js || sw_store_completion_put(s->st, completion_id, owner, js, err) < 0))
        rc = js ? -1 : sw_err_set(err, "takeover: out of memory");
    free(js);
    pthread_mutex_lock(&s->ov_mu); /* pending from now: the next reply goes to its stored completion */
    wait_unlink(s, w);
    if (rc == 0 && sw_store_conv_wait_add(s->st, &w->w, err) < 0) rc = -1;
    pthread_mutex_unlock(&s->ov_mu);
    free(w);
    return rc;
}

/* The oldest pending request of conv, taken from the store into *pend, when no request of
 * conv is waiting live (that one takes the reply from the queue): 1, 0 when none, -1 with
 * err. */
static int take_pending(sw_server *s, const char *conv, sw_conv_wait *pend, sw_err *err) {
    int live = 0;
    pthread_mutex_lock(&s->ov_mu);
    for (srv_conv_wait *w = s->conv_waits; w; w = w->next) live |= strcmp(w->w.conv_id, conv) == 0;
    int got = live ? 0 : sw_store_conv_wait_take(s->st, conv, pend, err);
    pthread_mutex_unlock(&s->ov_mu);
    return got;
}

/* Delivers a reply just queued to the oldest pending request of conv (take_pending). 1
 * when delivered (*cid receives the completion id), 0 when left queued, -1 with err. */
static int reply_to_pending(sw_server *s, const char *conv, char cid[64], sw_err *err) {
    sw_conv_wait pend;
    int rc = take_pending(s, conv, &pend, err);
    if (rc <= 0) return rc;
    char *text = NULL;
    sw_gen_result res;
    memset(&res, 0, sizeof res);
    int got = sw_store_reply_take(s->st, conv, &text, err);
    rc = got;
    if (got == 0) rc = sw_store_conv_wait_add(s->st, &pend, err); /* a new request took the reply: still pending */
    if (got > 0) {
        sw_deliver_request d = {.text = text, .len = strlen(text), .author = SW_AUTHOR_HUMAN,
                                .principal = pend.owner_key_id, .conversation = conv, .decided_by = "person"};
        rc = sw_pipeline_deliver(s->p, &d, &res, err) < 0 ? -1 : 1;
    }
    json_t *a = rc > 0 ? srv_answer_reply(s, pend.completion_id, pend.chat, pend.created, conv, &res) : NULL;
    char *js = a ? json_dumps(a, JSON_COMPACT) : NULL;
    if (rc > 0 && (!js || sw_store_completion_put(s->st, pend.completion_id, pend.owner_key_id, js, err) < 0))
        rc = js ? -1 : sw_err_set(err, "takeover: out of memory");
    if (rc > 0) snprintf(cid, 64, "%s", pend.completion_id);
    free(js);
    json_decref(a);
    sw_gen_result_free(&res);
    free(text);
    return rc;
}

/* On release: the pending requests of conv get no reply; their stored completions say
 * steward.takeover.status "released" (the client asks again, and the model answers). */
static void release_pending(sw_server *s, const char *conv) {
    sw_conv_wait w;
    sw_err err;
    int got;
    while ((got = sw_store_conv_wait_take(s->st, conv, &w, &err)) > 0) {
        char *text = NULL;
        json_t *o = sw_store_completion_get(s->st, w.completion_id, w.owner_key_id, &text, &err) == 1
                        ? json_loads(text, 0, NULL) : NULL;
        json_t *tk = json_object_get(json_object_get(o, "steward"), "takeover");
        if (tk) json_object_set_new(tk, "status", json_string("released"));
        char *js = tk ? json_dumps(o, JSON_COMPACT) : NULL;
        if (js && sw_store_completion_put(s->st, w.completion_id, w.owner_key_id, js, &err) < 0)
            sw_log(SW_LOG_ERROR, "serve: release of %s: %s", conv, err.msg);
        free(js);
        json_decref(o);
        free(text);
    }
    if (got < 0) sw_log(SW_LOG_ERROR, "serve: release of %s: %s", conv, err.msg);
}

/* Requests of conv waiting for a reply, live or pending. */
static long long waiting_count(sw_server *s, const char *conv) {
    long long n = 0;
    sw_err err;
    if (sw_store_conv_wait_count(s->st, conv, &n, &err) < 0) sw_log(SW_LOG_ERROR, "serve: %s", err.msg);
    pthread_mutex_lock(&s->ov_mu);
    for (srv_conv_wait *w = s->conv_waits; w; w = w->next) n += strcmp(w->w.conv_id, conv) == 0;
    pthread_mutex_unlock(&s->ov_mu);
    return n;
}

/* Frees the list of live waits (at close: none is left once every job has ended). */
static void waits_free(sw_server *s) {
    while (s->conv_waits) {
        srv_conv_wait *w = s->conv_waits;
        s->conv_waits = w->next;
        free(w);
    }
}

static int list_conv(void *ud, const char *conv, const char *by, long long since) {
    sw_server *s = ((void **)ud)[0];
    json_array_append_new(((void **)ud)[1], json_pack("{s:s, s:s, s:I, s:I}", "id", conv, "by", by, "since",
                                                      (json_int_t)since, "waiting",
                                                      (json_int_t)waiting_count(s, conv)));
    return 0;
}

enum MHD_Result srv_route_conv_list(srv_req *r) {
    sw_err err;
    json_t *data = json_array();
    void *ud[2] = {r->s, data};
    if (sw_store_takeover_list(r->s->st, list_conv, ud, &err) < 0) {
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
    char cid[64] = "";
    int to_pending = reply_to_pending(r->s, conv, cid, &err);
    if (to_pending < 0) sw_log(SW_LOG_ERROR, "serve: reply to %s: %s", conv, err.msg);
    srv_audit_action(r, "reply", conv, to_pending > 0 ? "delivered" : "queued", NULL, hex);
    srv_oversight_signal(r->s);
    return srv_send_json(r, 200, json_pack("{s:I, s:s, s:s, s:s, s:s?}", "id", (json_int_t)id, "object",
                                           "conversation.reply", "conversation", conv, "content_sha256", hex,
                                           "delivered_to", to_pending > 0 ? cid : NULL));
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
    if (!on) release_pending(r->s, conv);
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
    return srv_send_json(r, 200,
                         json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "object", "feedback", "handled", 1));
}
