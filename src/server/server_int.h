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
};

/* One HTTP request, from its head to the end of its response. */
typedef struct srv_req {
    sw_server *s;
    struct MHD_Connection *c;
    uint64_t t0;
    srv_route route;
    const char *method;
    char path_arg[96];  /* {id} of GET /v1/chat/completions/{id} */
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
/* Queues a response built elsewhere (streams) and records its status. */
enum MHD_Result srv_queue(srv_req *r, int status, struct MHD_Response *resp);

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
/* Reads the halt from the store into s->halted. -1 with err. */
int srv_halt_load(sw_server *s, sw_err *err);

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
