/* reviews.c - answers held for review: queued with the request and the held text retained
 * encrypted in the audit log's vault (forgotten with it), the client waiting for a
 * decision, the reviewer's list and decisions (approve, edit, reject), each delivered
 * through the pipeline's labels, audit and manifest and audited as an oversight action. */
#include "server_int.h"
#include "steward/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEX_SHA (2 * SW_SHA256_BYTES + 1)

/* 1 when the held request was a chat request (meta's "route"). */
static int route_is_chat(const json_t *meta) {
    const char *route = json_string_value(json_object_get(meta, "route"));
    return !route || strcmp(route, "chat") == 0;
}

/* The completion object while pending: no content, steward.review {id, status}. */
static json_t *pending_json(const srv_hold *h, long long id) {
    json_t *choice = h->chat ? json_pack("{s:i, s:{s:s, s:n, s:n}, s:n, s:s}", "index", 0, "message", "role",
                                         "assistant", "content", "refusal", "logprobs", "finish_reason",
                                         "content_filter")
                             : json_pack("{s:i, s:s, s:n, s:s}", "index", 0, "text", "", "logprobs", "finish_reason",
                                         "content_filter");
    json_t *st = json_pack("{s:s, s:{s:I, s:s}, s:{s:O*, s:O*}}", "finish_reason", "review", "review", "id",
                           (json_int_t)id, "status", "pending", "verdicts", "input", h->verdict_in, "output",
                           h->verdict_out);
    return json_pack("{s:s, s:s, s:I, s:s, s:[o], s:{s:i, s:i, s:i}, s:o}", "id", h->completion_id, "object",
                     h->chat ? "chat.completion" : "text_completion", "created", (json_int_t)h->created, "model",
                     h->model, "choices", choice, "usage", "prompt_tokens", 0, "completion_tokens", 0,
                     "total_tokens", 0, "steward", st);
}

static int put_completion(sw_server *s, const char *id, const char *owner, const json_t *o, sw_err *err) {
    char *text = json_dumps(o, JSON_COMPACT);
    if (!text) return sw_err_set(err, "review: out of memory");
    int rc = sw_store_completion_put(s->st, id, owner, text, err);
    free(text);
    return rc;
}

/* srv_review_hold with verdicts that quote no content. */
static int hold_plain(sw_server *s, const srv_hold *h, long long *id, json_t **pending, sw_err *err) {
    *pending = NULL;
    json_t *content = json_pack("{s:O, s:s%}", "request", h->request, "held", h->held ? h->held : "",
                                h->held ? h->held_len : 0);
    char *text = content ? json_dumps(content, JSON_COMPACT) : NULL;
    json_decref(content);
    if (!text) return sw_err_set(err, "review: out of memory");
    uint64_t slot;
    char shown[HEX_SHA], held_sha[HEX_SHA];
    sw_sha256_hex(text, strlen(text), shown);
    sw_sha256_hex(h->held ? h->held : "", h->held ? h->held_len : 0, held_sha);
    int rc = sw_audit_retain(sw_pipeline_audit(s->p), text, strlen(text), &slot, err);
    free(text);
    if (rc < 0) return -1;
    json_t *meta = json_pack("{s:s, s:I, s:b, s:s, s:s, s:s?}", "route", h->chat ? "chat" : "completions",
                             "retained_slot", (json_int_t)slot, "input_held", h->held == NULL, "shown_sha256", shown,
                             "held_sha256", held_sha, "conversation", h->conversation);
    json_t *verd = json_pack("{s:O*, s:O*}", "input", h->verdict_in, "output", h->verdict_out);
    char *mt = meta ? json_dumps(meta, JSON_COMPACT) : NULL, *vt = verd ? json_dumps(verd, JSON_COMPACT) : NULL;
    json_decref(meta);
    json_decref(verd);
    rc = mt && vt ? sw_store_review_add(s->st, h->completion_id, h->owner_key_id, mt, vt, NULL, id, err)
                  : sw_err_set(err, "review: out of memory");
    free(mt);
    free(vt);
    if (rc < 0) return -1;
    *pending = pending_json(h, *id);
    if (!*pending) return sw_err_set(err, "review: out of memory");
    if (put_completion(s, h->completion_id, h->owner_key_id, *pending, err) < 0) {
        json_decref(*pending);
        *pending = NULL;
        return -1;
    }
    srv_oversight_signal(s); /* the console's counts */
    return 0;
}

int srv_review_hold(sw_server *s, const srv_hold *h, long long *id, json_t **pending, sw_err *err) {
    srv_hold hc = *h;
    json_t *vin = sw_pipeline_verdict_plain(h->verdict_in), *vout = sw_pipeline_verdict_plain(h->verdict_out);
    hc.verdict_in = vin;
    hc.verdict_out = vout;
    int rc = hold_plain(s, &hc, id, pending, err);
    json_decref(vin);
    json_decref(vout);
    return rc;
}

int srv_review_wait(sw_server *s, long long id, const char *completion_id, const char *owner, json_t **answer,
                    sw_err *err) {
    *answer = NULL;
    uint64_t deadline = srv_review_deadline(s);
    for (;;) {
        unsigned long long seen = srv_oversight_seq(s);
        sw_review_item it;
        int found = sw_store_review_get(s->st, id, &it, err);
        if (found <= 0) return found < 0 ? -1 : sw_err_set(err, "review %lld vanished", id);
        sw_review_status st = it.status;
        sw_review_item_free(&it);
        if (st != SW_REVIEW_PENDING) break;
        if (!srv_oversight_wait(s, seen, deadline) || atomic_load(&s->halted) || atomic_load(&s->draining)) return 0;
    }
    char *text = NULL;
    int got = sw_store_completion_get(s->st, completion_id, owner, &text, err);
    if (got <= 0) return got < 0 ? -1 : sw_err_set(err, "review %lld: its completion %s is missing", id, completion_id);
    *answer = json_loads(text, 0, NULL);
    free(text);
    return *answer ? 1 : sw_err_set(err, "review %lld: its stored completion does not parse", id);
}

/* ---- the reviewer's side ---- */

/* The retained request and held text of an item: *content (new reference) or NULL when
 * forgotten (its key destroyed). -1 on another error. */
static int recall(sw_server *s, const json_t *meta, json_t **content, sw_err *err) {
    *content = NULL;
    json_t *slot = json_object_get(meta, "retained_slot");
    if (!json_is_integer(slot)) return 0;
    sw_buf b = {0};
    if (sw_audit_recall(sw_pipeline_audit(s->p), (uint64_t)json_integer_value(slot), &b, err) < 0) {
        sw_buf_free(&b);
        return 0; /* forgotten (or unreadable): shown as forgotten */
    }
    *content = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    sw_buf_free(&b);
    return 0;
}

static json_t *item_json(sw_server *s, const sw_review_item *it) {
    sw_err err;
    json_t *meta = json_loads(it->request_json, 0, NULL), *content = NULL;
    recall(s, meta, &content, &err);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:s?, s:s, s:O*, s:o*, s:b}", "id", (json_int_t)it->id,
                          "completion_id", it->completion_id, "owner", it->owner_key_id, "status",
                          sw_review_status_name(it->status), "created", (json_int_t)it->created, "decided",
                          (json_int_t)it->decided, "reviewer", it->reviewer_key_id[0] ? it->reviewer_key_id : NULL,
                          "decision_text", it->decision_text, "meta", meta, "verdicts",
                          json_loads(it->verdicts_json, 0, NULL), "forgotten", content == NULL);
    json_object_set(o, "request", content ? json_object_get(content, "request") : json_null());
    json_object_set(o, "held", content ? json_object_get(content, "held") : json_null());
    json_decref(meta);
    json_decref(content);
    return o;
}

typedef struct {
    sw_server *s;
    json_t *data;
} list_ctx;

static int list_one(void *ud, const sw_review_item *it) {
    list_ctx *c = ud;
    json_array_append_new(c->data, item_json(c->s, it));
    return 0;
}

/* GET /v1/review[?status=pending|approved|edited|rejected|all]: oldest first. */
enum MHD_Result srv_route_review_list(srv_req *r) {
    sw_err err;
    const char *q = MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, "status");
    sw_review_status st = SW_REVIEW_PENDING;
    int filter = SW_REVIEW_PENDING;
    if (q && strcmp(q, "all") == 0) filter = SW_REVIEW_ANY;
    else if (q && sw_review_status_parse(q, &st) < 0)
        return srv_send_error(r, 400, "invalid_request_error", "invalid_value", "status",
                              "status is pending, approved, edited, rejected or all");
    else if (q) filter = (int)st;
    list_ctx c = {r->s, json_array()};
    if (sw_store_review_list(r->s->st, filter, list_one, &c, &err) < 0) {
        json_decref(c.data);
        return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    }
    return srv_send_json(r, 200, json_pack("{s:s, s:o}", "object", "list", "data", c.data));
}

/* What a decision delivers, into res: the held text approved (or, when the input was
 * held, the answer generated now), the edit, or the refusal. -1 with err; *halted = 1 too
 * when a person halted generation while the approved input was being answered. */
static int decide_delivery(srv_req *r, const sw_review_item *it, const json_t *meta, const json_t *content,
                           sw_review_status decision, const char *text, sw_gen_result *res, int *halted,
                           sw_err *err) {
    sw_server *s = r->s;
    int chat = route_is_chat(meta);
    const char *conv = json_string_value(json_object_get(meta, "conversation"));
    sw_deliver_request d = {.principal = it->owner_key_id, .conversation = conv, .decided_by = r->key.id};
    if (decision == SW_REVIEW_REJECTED) { /* the refusal, labelled and signed as the person's decision */
        d.text = SRV_REFUSAL, d.len = strlen(SRV_REFUSAL), d.author = SW_AUTHOR_HUMAN, d.rejected = 1;
        return sw_pipeline_deliver(s->p, &d, res, err);
    }
    const char *held = json_string_value(json_object_get(content, "held"));
    size_t held_len = json_string_length(json_object_get(content, "held"));
    if (decision == SW_REVIEW_EDITED) {
        d.text = text, d.len = strlen(text), d.author = SW_AUTHOR_EDITED;
        d.original_sha256 = json_string_value(json_object_get(meta, "held_sha256"));
        return sw_pipeline_deliver(s->p, &d, res, err);
    }
    if (!content) return sw_err_set(err, "review %lld: the held content was forgotten; edit or reject it", it->id);
    if (!held_len) { /* the input was held: a person approved the request, generate now */
        sw_key_info owner = {0};
        if (sw_store_key_get(s->st, it->owner_key_id, &owner, err) <= 0) /* the principal, at least */
            snprintf(owner.id, sizeof owner.id, "%s", it->owner_key_id);
        if (srv_generate_approved(s, json_object_get(content, "request"), chat, &owner, res, halted, err) < 0)
            return -1;
        if (strcmp(res->finish_reason, "review") != 0 || !res->held.len) return 0;
        sw_buf again = res->held; /* the answer was held too: the approval covers it */
        memset(&res->held, 0, sizeof res->held);
        sw_gen_result_free(res);
        d.text = again.data, d.len = again.len, d.author = SW_AUTHOR_MODEL;
        int rc = sw_pipeline_deliver(s->p, &d, res, err);
        sw_buf_free(&again);
        return rc;
    }
    d.text = held, d.len = held_len, d.author = SW_AUTHOR_MODEL;
    return sw_pipeline_deliver(s->p, &d, res, err);
}

/* The decided completion: the delivered answer with steward.review. */
static json_t *decided_json(srv_req *r, const sw_review_item *it, const json_t *meta, sw_review_status decision,
                            const char *reason, const sw_gen_result *res) {
    int chat = route_is_chat(meta);
    json_t *a = srv_answer_delivered(r->s, it->completion_id, chat, it->created, res);
    json_t *st = json_object_get(a, "steward");
    json_object_set_new(st, "review", json_pack("{s:I, s:s, s:s, s:s, s:I, s:s?}", "id", (json_int_t)it->id, "status",
                                                sw_review_status_name(decision), "reviewer", r->key.id,
                                                "reviewer_name", r->key.name, "decided", (json_int_t)time(NULL),
                                                "reason", reason));
    return a;
}

/* Reads the decision's body: edit needs "content", reject may give "reason". */
static int decision_text(srv_req *r, sw_review_status decision, json_t **body, const char **text) {
    *body = NULL;
    *text = NULL;
    if (decision == SW_REVIEW_APPROVED && r->body.len == 0) return 0;
    if (decision != SW_REVIEW_EDITED && r->body.len == 0) return 0;
    if (!(*body = srv_body_json(r))) return -1;
    const char *field = decision == SW_REVIEW_EDITED ? "content" : "reason";
    json_t *v = json_object_get(*body, field);
    if ((decision == SW_REVIEW_EDITED && (!json_is_string(v) || !json_string_length(v))) || (v && !json_is_string(v))) {
        srv_send_error(r, 400, "invalid_request_error", "invalid_value", field, "'%s' must be a %sstring", field,
                       decision == SW_REVIEW_EDITED ? "non-empty " : "");
        return -1;
    }
    *text = json_string_value(v);
    return 0;
}

/* The failure of a decision, into out. */
static void fail(srv_outcome *out, int status, const char *type, const char *code, const sw_err *err) {
    out->status = status;
    out->type = type;
    out->code = code;
    out->err = *err;
}

/* An approval whose generation a halt cut short: nothing is delivered, the item stays
 * pending (to be approved again after resume), the owner's stored completion stays the
 * pending one, and the oversight record says "halted" with no delivered hash. The
 * reviewer gets 503 "halted" with the halt's message (err). */
static void approval_halted(srv_req *r, const sw_review_item *it, const json_t *meta, const sw_err *err,
                            srv_outcome *out) {
    char subject[64];
    snprintf(subject, sizeof subject, "review:%lld", it->id);
    srv_audit_action(r, "review.approve", subject, "halted", json_string_value(json_object_get(meta, "shown_sha256")),
                     NULL);
    fail(out, 503, "server_error", "halted", err);
}

/* Decides item it: delivers what the decision delivers, records the decision, stores the
 * owner's completion, audits the action and wakes the waiting client. Fills out with the
 * answer or the failure. May generate (an approved input): run on a job's thread. */
static void decide(srv_req *r, const sw_review_item *it, sw_review_status decision, const char *text,
                   srv_outcome *out) {
    sw_err err;
    json_t *meta = json_loads(it->request_json, 0, NULL), *content = NULL;
    recall(r->s, meta, &content, &err);
    sw_gen_result res;
    memset(&res, 0, sizeof res);
    int halted = 0;
    if (decide_delivery(r, it, meta, content, decision, text, &res, &halted, &err) < 0) {
        if (halted) approval_halted(r, it, meta, &err, out);
        else
            fail(out, content ? 500 : 410, content ? "server_error" : "invalid_request_error",
                 content ? "delivery_failed" : "forgotten", &err);
        goto done;
    }
    json_t *a = decided_json(r, it, meta, decision, decision == SW_REVIEW_REJECTED ? text : NULL, &res);
    int rc = sw_store_review_decide(r->s->st, it->id, decision, r->key.id, text, &err);
    if (rc <= 0) {
        json_decref(a);
        if (rc == 0) sw_err_set(&err, "no such review item");
        fail(out, 409, "invalid_request_error", "already_decided", &err);
        goto done;
    }
    if (put_completion(r->s, it->completion_id, it->owner_key_id, a, &err) < 0)
        sw_log(SW_LOG_ERROR, "serve: review %lld: %s", it->id, err.msg);
    char subject[64], delivered[HEX_SHA];
    snprintf(subject, sizeof subject, "review:%lld", it->id);
    sw_sha256_hex(res.labelled_text.data ? res.labelled_text.data : "", res.labelled_text.len, delivered);
    char action[32];
    snprintf(action, sizeof action, "review.%s", decision == SW_REVIEW_APPROVED ? "approve"
                                                 : decision == SW_REVIEW_EDITED ? "edit" : "reject");
    srv_audit_action(r, action, subject, sw_review_status_name(decision),
                     json_string_value(json_object_get(meta, "shown_sha256")), delivered);
    srv_oversight_signal(r->s);
    out->status = 200;
    out->body = json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)it->id, "object", "review", "status",
                          sw_review_status_name(decision), "completion_id", it->completion_id, "completion", a);
done:
    sw_gen_result_free(&res);
    json_decref(meta);
    json_decref(content);
}

/* An approval whose held input must now be generated, decided on a job's thread. */
typedef struct {
    srv_req *r;
    sw_review_item it;
} approval;

static void approval_run(void *ud, srv_outcome *out) {
    approval *a = ud;
    decide(a->r, &a->it, SW_REVIEW_APPROVED, NULL, out);
}

static void approval_free(void *ud) {
    approval *a = ud;
    sw_review_item_free(&a->it);
    free(a);
}

/* 1 when the item's input was held (approving it generates the answer). */
static int input_held(const sw_review_item *it) {
    json_t *meta = json_loads(it->request_json, 0, NULL);
    int held = json_is_true(json_object_get(meta, "input_held"));
    json_decref(meta);
    return held;
}

/* Decides a pending item: an approval that generates on a job's thread (taking *it), any
 * other decision here. */
static enum MHD_Result decide_pending(srv_req *r, sw_review_item *it, sw_review_status decision, const char *text) {
    if (decision == SW_REVIEW_APPROVED && input_held(it)) {
        approval *a = malloc(sizeof *a);
        if (!a) {
            sw_review_item_free(it);
            return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "out of memory");
        }
        a->r = r;
        a->it = *it;
        return srv_defer(r, approval_run, a, approval_free);
    }
    srv_outcome o;
    memset(&o, 0, sizeof o);
    decide(r, it, decision, text, &o);
    sw_review_item_free(it);
    return srv_send_outcome(r, &o);
}

enum MHD_Result srv_route_review_decide(srv_req *r, sw_review_status decision) {
    sw_err err;
    char *end;
    long long id = strtoll(r->path_arg, &end, 10);
    if (*end || id <= 0)
        return srv_send_error(r, 400, "invalid_request_error", "invalid_value", "id", "a review id is a number");
    if (decision == SW_REVIEW_APPROVED && atomic_load(&r->s->halted)) { /* approving may generate */
        char msg[SW_HALT_REASON_MAX + 64];
        srv_halt_message(r->s, msg, sizeof msg);
        return srv_send_error(r, 503, "server_error", "halted", NULL, "%s", msg);
    }
    json_t *body;
    const char *text;
    if (decision_text(r, decision, &body, &text) < 0) {
        json_decref(body);
        return MHD_YES;
    }
    sw_review_item it;
    int found = sw_store_review_get(r->s->st, id, &it, &err);
    enum MHD_Result out;
    if (found > 0 && it.status == SW_REVIEW_PENDING) {
        out = decide_pending(r, &it, decision, text); /* takes it */
    } else if (found > 0) {
        out = srv_send_error(r, 409, "invalid_request_error", "already_decided", "id", "review %lld is already %s", id,
                             sw_review_status_name(it.status));
        sw_review_item_free(&it);
    } else {
        out = found < 0 ? srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg)
                        : srv_send_error(r, 404, "invalid_request_error", "not_found", "id", "no review item %lld", id);
    }
    json_decref(body);
    return out;
}
