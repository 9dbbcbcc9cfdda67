/* server_int.h - what the server's files share: the server, one request's state, the
 * routes, the response helpers and the metrics. */
#ifndef STEWARD_SERVER_INT_H
#define STEWARD_SERVER_INT_H

#include "steward/server.h"
#include "steward/grammar.h"
#include "steward/pipeline.h"
#include "steward/store.h"
#include "steward/guard.h"
#include "steward/chat.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

typedef enum {
    SRV_R_HEALTHZ = 0,
    SRV_R_MODELS,
    SRV_R_CHAT,
    SRV_R_COMPLETIONS,
    SRV_R_CHAT_GET,
    SRV_R_MODERATIONS,
    SRV_R_METRICS,
    SRV_R_ADMIN_HALT,
    SRV_R_ADMIN_RESUME,
    SRV_R_ADMIN_STATUS,
    SRV_R_REVIEW_LIST,
    SRV_R_REVIEW_APPROVE,
    SRV_R_REVIEW_EDIT,
    SRV_R_REVIEW_REJECT,
    SRV_R_CONV_LIST,
    SRV_R_CONV_TAKEOVER,
    SRV_R_CONV_REPLY,
    SRV_R_CONV_RELEASE,
    SRV_R_FEEDBACK_ADD,
    SRV_R_FEEDBACK_LIST,
    SRV_R_FEEDBACK_HANDLE,
    SRV_R_CONSOLE,
    SRV_R_OVERSIGHT_STATUS,
    SRV_R_OTHER,
    SRV_R_COUNT
} srv_route;
const char *srv_route_name(srv_route r);

/* ---- metrics (metrics.c): lock-free counters, a small locked table of categories ---- */
#define SRV_CODES 12           /* status codes counted one by one (the rest: "other") */
#define SRV_LAT_BUCKETS 15
#define SRV_MAX_CATEGORIES 64
typedef struct srv_metrics {
    atomic_llong requests[SRV_R_COUNT][SRV_CODES + 1];
    atomic_llong lat_bucket[SRV_R_COUNT][SRV_LAT_BUCKETS + 1]; /* last: +Inf */
    atomic_llong lat_sum_us[SRV_R_COUNT];
    atomic_llong prompt_tokens[SRV_R_COUNT], completion_tokens[SRV_R_COUNT];
    pthread_mutex_t cat_mu;
    char cat_name[SRV_MAX_CATEGORIES][32];
    long long cat_blocks[SRV_MAX_CATEGORIES];
    int n_cat;
} srv_metrics;
void srv_metrics_init(srv_metrics *m);
void srv_metrics_destroy(srv_metrics *m);
void srv_metrics_request(srv_metrics *m, srv_route r, int status, uint64_t latency_ns, long long prompt_tokens,
                         long long completion_tokens);
/* Counts one block (or review) for a guard category. */
void srv_metrics_block(srv_metrics *m, const char *category);

/* A stream waiting for text, so that a halt can wake it at once. */
typedef struct srv_waiter {
    pthread_mutex_t *mu;      /* held while wake runs */
    void (*wake)(void *ud);   /* resumes the stream's connection if it is suspended */
    void *ud;
    struct srv_waiter *prev, *next;
} srv_waiter;

/* A request of a conversation taken over whose client is waiting for a person's reply (in
 * memory while its job's thread waits; once its client is answered "pending", the wait is
 * kept in the store, sw_store_conv_wait_add, so that a restart does not lose it). */
typedef struct srv_conv_wait {
    sw_conv_wait w;
    struct srv_conv_wait *next;
} srv_conv_wait;

struct sw_server {
    sw_server_opts o;
    char home[4096];
    struct MHD_Daemon *d;
    sw_pipeline *p;
    sw_store *st;
    const sw_guard *guard;   /* the pipeline's, which moderations scan with */
    srv_metrics m;
    char model_id[128];
    long long created;
    int port;
    atomic_int inflight;     /* requests between their head and their response's end */
    atomic_int gen_inflight; /* generations running or waiting for a slot */
    atomic_int draining;     /* shutting down: new requests get 503 */
    atomic_int cancel;       /* generations still running must stop */
    atomic_int cancelled;    /* generations stopped by the shutdown */
    atomic_int shut;
    atomic_int halted;       /* a person halted generation (mirrors the store) */
    /* people in charge (oversight.c): every decision, reply and halt bumps ov_seq and
     * wakes the requests waiting for one */
    pthread_mutex_t ov_mu;
    pthread_cond_t ov_cv;
    unsigned long long ov_seq;
    srv_waiter *streams;     /* streams waiting for text (under ov_mu) */
    srv_conv_wait *conv_waits; /* requests whose client waits for a person's reply (under ov_mu) */
    char halt_reason[SW_HALT_REASON_MAX + 1]; /* under ov_mu */
};

/* One HTTP request, from its head to the end of its response. */
typedef struct srv_req {
    sw_server *s;
    struct MHD_Connection *c;
    uint64_t t0;
    srv_route route;
    const char *method;
    char path_arg[160]; /* the {id} of a route with one */
    sw_buf body;
    int over_limit;     /* body larger than max_body: dropped, answered 413 at its end */
    int responded;
    int status;
    int has_key;
    sw_key_info key;
    long long prompt_tokens, completion_tokens;
    /* set by a route that suspended the connection for long work: called (in place of
     * the route) when the work resumes it, to send the answer */
    enum MHD_Result (*resume)(struct srv_req *r);
    void *work;
} srv_req;

/* ---- responses (http.c). Each returns MHD_YES/MHD_NO for the access handler. ---- */
enum MHD_Result srv_send(srv_req *r, int status, const char *ctype, char *body, size_t len);
/* Sends obj compactly and releases it (NULL: a 500). */
enum MHD_Result srv_send_json(srv_req *r, int status, json_t *obj);
/* OpenAI's error object {"error": {"message", "type", "param", "code"}}. */
enum MHD_Result srv_send_error(srv_req *r, int status, const char *type, const char *code, const char *param,
                               const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* srv_send_error (param null, message msg as it is) with one more header, hname: hvalue
 * (Retry-After on a 429, Allow on a 405). */
enum MHD_Result srv_send_error_header(srv_req *r, int status, const char *hname, const char *hvalue, const char *type,
                                      const char *code, const char *msg);
/* Queues a response built elsewhere (streams) and records its status. */
enum MHD_Result srv_queue(srv_req *r, int status, struct MHD_Response *resp);

/* What work done off the connection's thread answers: body (sent with status; owned), or,
 * when body is NULL, an error (status, type, code and err's message). */
typedef struct srv_outcome {
    int status;
    const char *type, *code;
    sw_err err;
    json_t *body;
} srv_outcome;
/* Sends o (generate.c): body with its status, else the error; releases body. */
enum MHD_Result srv_send_outcome(srv_req *r, srv_outcome *o);
/* Work run by srv_defer on a job's thread: fills *out (zeroed before the call). */
typedef void (*srv_work_fn)(void *ud, srv_outcome *out);
/* Runs fn(ud) on a thread of its own while r's connection is suspended (as a generation
 * runs), then sends its outcome: the connection threads never wait for a model. ud_free(ud)
 * runs once the work is done or could not start (the error is then answered). r stays
 * valid for fn: its connection waits for it. */
enum MHD_Result srv_defer(srv_req *r, srv_work_fn fn, void *ud, void (*ud_free)(void *ud));

/* ---- access (auth.c) ---- */
/* Checks the bearer key, the role the route needs and the key's rate. Returns 1 when
 * the request may go on (r->key filled); 0 after sending 401/403/429/500. */
int srv_auth(srv_req *r, sw_role need);

/* ---- routes ---- */
enum MHD_Result srv_route_models(srv_req *r);
enum MHD_Result srv_route_healthz(srv_req *r);
enum MHD_Result srv_route_metrics(srv_req *r);
enum MHD_Result srv_route_moderations(srv_req *r);
enum MHD_Result srv_route_generate(srv_req *r, int chat);
enum MHD_Result srv_route_chat_get(srv_req *r);
enum MHD_Result srv_route_admin_status(srv_req *r);
enum MHD_Result srv_route_admin_halt(srv_req *r, int halt);
/* GET /v1/oversight/status (reviewer): the halt, the queue depths and the caller's role. */
enum MHD_Result srv_route_oversight_status(srv_req *r);
/* The console's page and files, embedded in the binary (console.c); no key needed. */
enum MHD_Result srv_route_console(srv_req *r);
/* Reads the halt from the store into s->halted. -1 with err. */
int srv_halt_load(sw_server *s, sw_err *err);

/* ---- people in charge (oversight.c) ---- */
/* The refusal delivered when no policy message applies (a held request rejected). */
#define SRV_REFUSAL SW_REFUSAL_EN " " SW_REFUSAL_ZH
void srv_oversight_init(sw_server *s);
void srv_oversight_destroy(sw_server *s);
/* Bumps ov_seq and wakes every request waiting for a decision, a reply or a halt. */
void srv_oversight_signal(sw_server *s);
/* The current event number (to wait for a later one). */
unsigned long long srv_oversight_seq(sw_server *s);
/* Waits until an event after `seen`, the halt, the shutdown or deadline_ns (monotonic).
 * 0 when the deadline passed, 1 otherwise. */
int srv_oversight_wait(sw_server *s, unsigned long long seen, uint64_t deadline_ns);
/* The deadline of a request that waits for a person, from now. */
uint64_t srv_review_deadline(sw_server *s);
/* Streams register while they run so that a halt wakes them. */
void srv_stream_register(sw_server *s, srv_waiter *w);
void srv_stream_unregister(sw_server *s, srv_waiter *w);
/* The halt's reason as a message for clients (copied into out). */
void srv_halt_message(sw_server *s, char *out, size_t outsz);
/* Appends an oversight record naming the key's id, name and role, the decision and the
 * hashes of what was shown and delivered (either may be NULL). Logs on failure. */
void srv_audit_action(srv_req *r, const char *action, const char *subject, const char *decision,
                      const char *shown_sha256, const char *delivered_sha256);

/* What is held for review (review.c). */
typedef struct srv_hold {
    const char *completion_id;
    const char *owner_key_id;
    int chat;
    const json_t *request;       /* the request's body, retained encrypted in the audit vault */
    const char *held;            /* the model's text withheld (NULL: the input was held) */
    size_t held_len;
    const json_t *verdict_in, *verdict_out;
    const char *conversation;    /* may be NULL */
    long long created;
    const char *model;
} srv_hold;
/* Queues h for review and stores its pending completion for its owner. *id receives the
 * review id; *pending (new reference) the completion object the client gets while it is
 * pending. -1 with err. */
int srv_review_hold(sw_server *s, const srv_hold *h, long long *id, json_t **pending, sw_err *err);
/* Waits (up to --review-wait) for review id to be decided; then *answer (new reference)
 * is the stored completion. 1 decided, 0 still pending, -1 with err. */
int srv_review_wait(sw_server *s, long long id, const char *completion_id, const char *owner, json_t **answer,
                    sw_err *err);
enum MHD_Result srv_route_review_list(srv_req *r);
enum MHD_Result srv_route_review_decide(srv_req *r, sw_review_status decision);
enum MHD_Result srv_route_conv_list(srv_req *r);
enum MHD_Result srv_route_conv_action(srv_req *r, srv_route which);
enum MHD_Result srv_route_feedback_add(srv_req *r);
enum MHD_Result srv_route_feedback_list(srv_req *r);
enum MHD_Result srv_route_feedback_handle(srv_req *r);

/* The answer object of a text delivered by sw_pipeline_deliver (generate.c): chat or
 * text completion with id, its steward object (finish_reason, author, verdicts, label,
 * manifest, audit, policy_sha256). New reference. */
json_t *srv_answer_delivered(sw_server *s, const char *id, int chat, long long created, const sw_gen_result *res);
/* Generates the answer of a request a person approved after the input guard held it
 * (generate.c): the request's body as the client sent it, for owner. *res is filled as
 * sw_pipeline_generate fills it. -1 with err; when a person halted generation while it
 * ran, also *halted = 1, err carries the halt's message and *res is left empty (the cut
 * answer is not delivered). */
int srv_generate_approved(sw_server *s, const json_t *body, int chat, const sw_key_info *owner,
                          sw_gen_result *res, int *halted, sw_err *err);
/* A conversation's request while a person has taken it over (oversight.c): waits for
 * the person's reply; 1 with *res delivered (sw_pipeline_deliver), 0 when no reply came
 * in time: then `pending` (the completion its client gets now) is stored for owner before
 * the request is recorded as waiting, so that the next reply, delivered to completion_id,
 * is never overwritten by it. -1 with err. */
int srv_takeover_answer(sw_server *s, const char *conv, const char *owner, const char *completion_id, int chat,
                        long long created, const json_t *pending, sw_gen_result *res, sw_err *err);
/* The answer object of a person's reply in a conversation taken over (generate.c):
 * srv_answer_delivered with steward.takeover {conversation, status "answered"}. */
json_t *srv_answer_reply(sw_server *s, const char *id, int chat, long long created, const char *conv,
                         const sw_gen_result *res);

/* ---- the common moderation body (request.c) ---- */
/* The common moderation body read without jansson: {"input": "TEXT"} (JSON whitespace
 * allowed around each token) where TEXT has no escape and no control character and is
 * well-formed UTF-8, so that its bytes are the string jansson would give. 1 with *text and
 * *text_len pointing into body; 0 for any other body (jansson then parses it and reports
 * its errors). Never fails; body may be NULL when len is 0. */
int srv_moderation_simple_input(const char *body, size_t len, const char **text, size_t *text_len);

/* ---- generation requests (request.c) ---- */
#define SRV_MAX_MESSAGES 1024
#define SRV_MAX_STOP 4
#define SRV_MAX_TOKENS 1000000
#define SRV_MAX_TOP_LOGPROBS 20
typedef struct srv_gen_params {
    sw_chat_msg *msgs; /* chat: strings borrowed from the body or owned below */
    int n_msgs;
    const char *prompt; /* completions */
    int max_tokens;     /* 0: the pipeline's default */
    double temperature, top_p;
    int has_temperature, has_top_p, has_seed;
    uint64_t seed;
    const char *stop[SRV_MAX_STOP];
    int n_stop;
    int logprobs, top_logprobs;
    const char *user, *conversation;
    int ignore_eos, stream, include_usage, proof, store;
    sw_grammar *grammar; /* response_format json_object / json_schema, compiled; owned */
    char **owned;
    int n_owned;
    const char *param; /* on error: the field at fault (may be NULL) */
    char why[256];     /* on error: what was wrong */
} srv_gen_params;
/* Parses a request object (chat: messages; else: prompt). 0, or -1 with p->why and
 * p->param set. Strings point into o, which must outlive p. Free with srv_gen_params_free
 * (also after a failure). */
int srv_gen_params_parse(json_t *o, int chat, srv_gen_params *p);
void srv_gen_params_free(srv_gen_params *p);

/* ---- the pipeline (generate.c) ---- */
/* Opens the pipeline (and what moderations scan with) for s->o. -1 with err. */
int srv_pipeline_open(sw_server *s, sw_err *err);
void srv_pipeline_close(sw_server *s);

/* The inclusion proof of audit record index against a checkpoint signed now (proof.c):
 * {index, size, leaf_hash, root, path, checkpoint}. NULL with err. */
json_t *srv_audit_proof(sw_server *s, long long index, sw_err *err);

/* Parses the request body as a JSON object; NULL after sending a 400 naming the problem. */
json_t *srv_body_json(srv_req *r);
/* A fresh identifier "prefix-<24 hex>". */
void srv_new_id(sw_server *s, const char *prefix, char *out, size_t outsz);

#endif
