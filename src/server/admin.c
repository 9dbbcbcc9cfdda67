/* admin.c - the person in charge's routes (admin key): halt all generation, resume, and
 * the server's status. The halt is kept in the state store, so a halted server starts
 * halted; while halted, generation routes answer 503 and generations running stop. A
 * reviewer sees the halt and the queue depths (GET /v1/oversight/status). */
#include "server_int.h"

#include <stdio.h>
#include <time.h>

/* What a reviewer may see of the server's state: the halt (halted, since, by, reason) and
 * the people-in-charge queue depths. New reference; NULL with err. */
static json_t *oversight_json(sw_server *s, sw_err *err) {
    int halted = 0;
    long long since = 0;
    char by[SW_HALT_BY_MAX + 1] = "", reason[SW_HALT_REASON_MAX + 1] = "";
    if (sw_store_halt_get(s->st, &halted, &since, by, reason, err) < 0) return NULL;
    sw_oversight_depths d;
    if (sw_store_oversight_depths(s->st, &d, err) < 0) return NULL;
    return json_pack("{s:b, s:I, s:s, s:s, s:{s:I, s:I, s:I, s:I}}", "halted", halted, "since", (json_int_t)since,
                     "by", by, "reason", reason, "queues", "review_pending", (json_int_t)d.review_pending,
                     "takeovers", (json_int_t)d.takeovers, "replies_queued", (json_int_t)d.replies_queued,
                     "feedback_unhandled", (json_int_t)d.feedback_unhandled);
}

/* The admin's status: oversight_json and the generations, model and policy. NULL with err. */
static json_t *status_json(sw_server *s, sw_err *err) {
    json_t *o = oversight_json(s, err);
    if (!o) return NULL;
    int running = 0, waiting = 0;
    sw_pipeline_load(s->p, &running, &waiting);
    json_t *more = json_pack("{s:i, s:i, s:i, s:s, s:s?, s:s?, s:I}", "generations_in_flight",
                             atomic_load(&s->gen_inflight), "running", running, "waiting", waiting, "model",
                             s->model_id, "model_sha256", sw_pipeline_model_sha256(s->p), "policy_sha256",
                             sw_pipeline_policy_sha256(s->p), "uptime_s", (json_int_t)(time(NULL) - s->created));
    json_object_update(o, more);
    json_decref(more);
    return o;
}

/* Mirrors the halt's reason for the messages clients get. */
static void set_reason(sw_server *s, const char *reason) {
    pthread_mutex_lock(&s->ov_mu);
    snprintf(s->halt_reason, sizeof s->halt_reason, "%s", reason ? reason : "");
    pthread_mutex_unlock(&s->ov_mu);
}

int srv_halt_load(sw_server *s, sw_err *err) {
    int halted = 0;
    char reason[SW_HALT_REASON_MAX + 1] = "";
    if (sw_store_halt_get(s->st, &halted, NULL, NULL, reason, err) < 0) return -1;
    set_reason(s, reason);
    atomic_store(&s->halted, halted ? 1 : 0);
    return 0;
}

enum MHD_Result srv_route_admin_status(srv_req *r) {
    sw_err err;
    json_t *o = status_json(r->s, &err);
    if (!o) return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    return srv_send_json(r, 200, o);
}

/* GET /v1/oversight/status (reviewer or admin): oversight_json and the caller's role, so
 * that the console learns what it may show without probing an admin route. */
enum MHD_Result srv_route_oversight_status(srv_req *r) {
    sw_err err;
    json_t *o = oversight_json(r->s, &err);
    if (!o) return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    json_object_set_new(o, "role", json_string(sw_role_name(r->key.role)));
    return srv_send_json(r, 200, o);
}

/* POST /v1/admin/halt {"reason": "..."} and POST /v1/admin/resume. */
enum MHD_Result srv_route_admin_halt(srv_req *r, int halt) {
    sw_err err;
    const char *reason = NULL;
    json_t *body = NULL;
    if (r->body.len) {
        if (!(body = srv_body_json(r))) return MHD_YES;
        json_t *v = json_object_get(body, "reason");
        if (v && !json_is_string(v)) {
            json_decref(body);
            return srv_send_error(r, 400, "invalid_request_error", "invalid_value", "reason",
                                  "'reason' must be a string");
        }
        reason = json_string_value(v);
    }
    char by[SW_HALT_BY_MAX + 1];
    snprintf(by, sizeof by, "%s", r->key.name[0] ? r->key.name : r->key.id);
    if (halt) { /* stop first, persist after: the 100 ms budget is for the streams */
        set_reason(r->s, reason);
        atomic_store(&r->s->halted, 1);
        srv_oversight_signal(r->s);
    }
    int rc = sw_store_halt_set(r->s->st, halt, by, reason, &err);
    if (rc < 0) {
        json_decref(body);
        return srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", err.msg);
    }
    if (!halt) {
        atomic_store(&r->s->halted, 0);
        srv_oversight_signal(r->s);
    }
    srv_audit_action(r, halt ? "halt" : "resume", NULL, halt ? "halted" : "resumed", NULL, NULL);
    json_decref(body);
    sw_log(SW_LOG_WARN, "serve: generation %s by key %s", halt ? "halted" : "resumed", r->key.id);
    return srv_route_admin_status(r);
}
