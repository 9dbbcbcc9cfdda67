/* http.c - the server's HTTP layer: the libmicrohttpd daemon (a pool of epoll threads;
 * long work suspends its connection), request bodies within their limits, routing, responses, the access log and the graceful
 * shutdown. */
#include "server_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_POLL_NS 10000000ull     /* 10 ms between looks at the requests in flight */
#define CANCEL_GRACE_NS 5000000000ull /* after the deadline, time for cancelled work to end */
#define ACCESS_LINE_MAX 512
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define SRV_ID_BYTES 12
#define SRV_ID_POOL (SRV_ID_BYTES * 64)

const char *srv_route_name(srv_route r) {
    static const char *names[SRV_R_COUNT] = {"healthz",     "models",  "chat_completions", "completions",
                                             "chat_completion_get", "moderations", "metrics",
                                             "admin_halt",  "admin_resume", "admin_status", "review_list",
                                             "review_approve", "review_edit", "review_reject",
                                             "conversations", "conversation_takeover", "conversation_reply",
                                             "conversation_release", "feedback_add", "feedback_list",
                                             "feedback_handle", "console", "oversight_status", "other"};
    return r < SRV_R_COUNT ? names[r] : "other";
}

/* ---- responses ---- */

enum MHD_Result srv_queue(srv_req *r, int status, struct MHD_Response *resp) {
    if (!resp) return MHD_NO;
    if (atomic_load(&r->s->draining)) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(r->c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->responded = 1;
    r->status = status;
    return rc;
}

/* srv_send with one more header, hname: hvalue, when hname is not NULL. Takes ownership
 * of body (malloc'd); MHD_NO when no response can be made. */
static enum MHD_Result send_with_header(srv_req *r, int status, const char *ctype, char *body, size_t len,
                                        const char *hname, const char *hvalue) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (hname) MHD_add_response_header(resp, hname, hvalue);
    return srv_queue(r, status, resp);
}

/* Takes ownership of body (malloc'd). */
enum MHD_Result srv_send(srv_req *r, int status, const char *ctype, char *body, size_t len) {
    return send_with_header(r, status, ctype, body, len, NULL, NULL);
}

enum MHD_Result srv_send_json(srv_req *r, int status, json_t *obj) {
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text) return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "cannot build the response");
    return srv_send(r, status, "application/json", text, strlen(text));
}

/* The error object of srv_send_error with message msg, sent with the header hname:
 * hvalue as well when hname is not NULL (srv_send_error_header). */
static enum MHD_Result send_error_msg(srv_req *r, int status, const char *hname, const char *hvalue, const char *type,
                                      const char *code, const char *param, const char *msg) {
    json_t *e = json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", msg, "type", type, "param", param,
                          "code", code);
    /* a message that is not valid UTF-8 (it quotes no client bytes, but be safe) */
    if (!e) e = json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message", "error", "type", type, "param", "code");
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!text) return MHD_NO;
    return send_with_header(r, status, "application/json", text, strlen(text), hname, hvalue);
}

enum MHD_Result srv_send_error(srv_req *r, int status, const char *type, const char *code, const char *param,
                               const char *fmt, ...) {
    char msg[SW_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return send_error_msg(r, status, NULL, NULL, type, code, param, msg);
}

enum MHD_Result srv_send_error_header(srv_req *r, int status, const char *hname, const char *hvalue, const char *type,
                                      const char *code, const char *msg) {
    return send_error_msg(r, status, hname, hvalue, type, code, NULL, msg);
}

json_t *srv_body_json(srv_req *r) {
    json_error_t je;
    if (r->body.len == 0) {
        srv_send_error(r, 400, "invalid_request_error", "invalid_json", NULL, "the request needs a JSON body");
        return NULL;
    }
    json_t *o = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        srv_send_error(r, 400, "invalid_request_error", "invalid_json", NULL,
                       "the body is not valid JSON: %s at byte %d", je.text, je.position);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        srv_send_error(r, 400, "invalid_request_error", "invalid_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    return o;
}

void srv_new_id(sw_server *s, const char *prefix, char *out, size_t outsz) {
    (void)s;
    /* random bytes drawn a pool at a time per thread: one getrandom call per
     * SRV_ID_POOL / SRV_ID_BYTES ids, not one per request; each byte used once */
    static _Thread_local uint8_t pool[SRV_ID_POOL];
    static _Thread_local size_t used = SRV_ID_POOL;
    if (used + SRV_ID_BYTES > SRV_ID_POOL) {
        randombytes_buf(pool, sizeof pool);
        used = 0;
    }
    char hex[2 * SRV_ID_BYTES + 1];
    sw_hex(pool + used, SRV_ID_BYTES, hex);
    sodium_memzero(pool + used, SRV_ID_BYTES);
    used += SRV_ID_BYTES;
    snprintf(out, outsz, "%s-%s", prefix, hex);
}

/* ---- routing ---- */

typedef struct {
    const char *method, *path;
    int prefix; /* path is a prefix followed by one {id} segment, then suffix */
    srv_route route;
    const char *suffix; /* after the {id} (NULL: nothing) */
} route_entry;

static const route_entry routes[] = {
    {"GET", "/healthz", 0, SRV_R_HEALTHZ, NULL},
    {"GET", "/v1/models", 0, SRV_R_MODELS, NULL},
    {"POST", "/v1/chat/completions", 0, SRV_R_CHAT, NULL},
    {"GET", "/v1/chat/completions/", 1, SRV_R_CHAT_GET, NULL},
    {"POST", "/v1/completions", 0, SRV_R_COMPLETIONS, NULL},
    {"POST", "/v1/moderations", 0, SRV_R_MODERATIONS, NULL},
    {"GET", "/metrics", 0, SRV_R_METRICS, NULL},
    {"POST", "/v1/admin/halt", 0, SRV_R_ADMIN_HALT, NULL},
    {"POST", "/v1/admin/resume", 0, SRV_R_ADMIN_RESUME, NULL},
    {"GET", "/v1/admin/status", 0, SRV_R_ADMIN_STATUS, NULL},
    {"GET", "/v1/oversight/status", 0, SRV_R_OVERSIGHT_STATUS, NULL},
    {"GET", "/v1/review", 0, SRV_R_REVIEW_LIST, NULL},
    {"POST", "/v1/review/", 1, SRV_R_REVIEW_APPROVE, "/approve"},
    {"POST", "/v1/review/", 1, SRV_R_REVIEW_EDIT, "/edit"},
    {"POST", "/v1/review/", 1, SRV_R_REVIEW_REJECT, "/reject"},
    {"GET", "/v1/conversations", 0, SRV_R_CONV_LIST, NULL},
    {"POST", "/v1/conversations/", 1, SRV_R_CONV_TAKEOVER, "/takeover"},
    {"POST", "/v1/conversations/", 1, SRV_R_CONV_REPLY, "/reply"},
    {"POST", "/v1/conversations/", 1, SRV_R_CONV_RELEASE, "/release"},
    {"POST", "/v1/feedback", 0, SRV_R_FEEDBACK_ADD, NULL},
    {"GET", "/v1/feedback", 0, SRV_R_FEEDBACK_LIST, NULL},
    {"POST", "/v1/feedback/", 1, SRV_R_FEEDBACK_HANDLE, "/handle"},
    {"GET", "/console", 0, SRV_R_CONSOLE, NULL},
    {"GET", "/console/", 0, SRV_R_CONSOLE, NULL},
    {"GET", "/console/", 1, SRV_R_CONSOLE, NULL},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Finds the route of url; *allowed is the method the path takes when the method differs. */
static srv_route find_route(const char *method, const char *url, char *arg, size_t argsz, const char **allowed) {
    *allowed = NULL;
    for (size_t i = 0; i < N_ROUTES; i++) {
        const route_entry *e = &routes[i];
        size_t pl = strlen(e->path);
        const char *rest = url + pl, *slash = e->prefix ? strchr(rest, '/') : NULL;
        size_t arg_len = slash ? (size_t)(slash - rest) : strlen(rest);
        int match = e->prefix ? strncmp(url, e->path, pl) == 0 && arg_len > 0 && arg_len < argsz &&
                                    strcmp(rest + arg_len, e->suffix ? e->suffix : "") == 0
                              : strcmp(url, e->path) == 0;
        if (!match) continue;
        if (strcmp(method, e->method) != 0) {
            *allowed = e->method;
            continue;
        }
        if (e->prefix) snprintf(arg, argsz, "%.*s", (int)arg_len, rest);
        return e->route;
    }
    return SRV_R_OTHER;
}

/* The role a route needs; 0 for an open route. */
static int route_role(srv_route r) {
    switch (r) {
    case SRV_R_HEALTHZ:
    case SRV_R_CONSOLE: return 0;
    case SRV_R_METRICS:
    case SRV_R_ADMIN_HALT:
    case SRV_R_ADMIN_RESUME:
    case SRV_R_ADMIN_STATUS: return SW_ROLE_ADMIN;
    case SRV_R_OVERSIGHT_STATUS:
    case SRV_R_REVIEW_LIST:
    case SRV_R_REVIEW_APPROVE:
    case SRV_R_REVIEW_EDIT:
    case SRV_R_REVIEW_REJECT:
    case SRV_R_CONV_LIST:
    case SRV_R_CONV_TAKEOVER:
    case SRV_R_CONV_REPLY:
    case SRV_R_CONV_RELEASE:
    case SRV_R_FEEDBACK_LIST:
    case SRV_R_FEEDBACK_HANDLE: return SW_ROLE_REVIEWER;
    default: return SW_ROLE_USER;
    }
}

static enum MHD_Result dispatch(srv_req *r) {
    switch (r->route) {
    case SRV_R_HEALTHZ: return srv_route_healthz(r);
    case SRV_R_MODELS: return srv_route_models(r);
    case SRV_R_CHAT: return srv_route_generate(r, 1);
    case SRV_R_COMPLETIONS: return srv_route_generate(r, 0);
    case SRV_R_CHAT_GET: return srv_route_chat_get(r);
    case SRV_R_MODERATIONS: return srv_route_moderations(r);
    case SRV_R_METRICS: return srv_route_metrics(r);
    case SRV_R_ADMIN_HALT: return srv_route_admin_halt(r, 1);
    case SRV_R_ADMIN_RESUME: return srv_route_admin_halt(r, 0);
    case SRV_R_ADMIN_STATUS: return srv_route_admin_status(r);
    case SRV_R_REVIEW_LIST: return srv_route_review_list(r);
    case SRV_R_REVIEW_APPROVE: return srv_route_review_decide(r, SW_REVIEW_APPROVED);
    case SRV_R_REVIEW_EDIT: return srv_route_review_decide(r, SW_REVIEW_EDITED);
    case SRV_R_REVIEW_REJECT: return srv_route_review_decide(r, SW_REVIEW_REJECTED);
    case SRV_R_CONV_LIST: return srv_route_conv_list(r);
    case SRV_R_CONV_TAKEOVER:
    case SRV_R_CONV_REPLY:
    case SRV_R_CONV_RELEASE: return srv_route_conv_action(r, r->route);
    case SRV_R_FEEDBACK_ADD: return srv_route_feedback_add(r);
    case SRV_R_FEEDBACK_LIST: return srv_route_feedback_list(r);
    case SRV_R_FEEDBACK_HANDLE: return srv_route_feedback_handle(r);
    case SRV_R_CONSOLE: return srv_route_console(r);
    case SRV_R_OVERSIGHT_STATUS: return srv_route_oversight_status(r);
    default: break;
    }
    return srv_send_error(r, 404, "invalid_request_error", "not_found", NULL, "no such route");
}

/* The first call for a request: its head has arrived, no body yet. Refuses early what
 * can be refused from the head (shutting down, unknown route, no key, body too large). */
static enum MHD_Result on_head(srv_req *r, const char *url) {
    sw_server *s = r->s;
    const char *allowed;
    r->route = find_route(r->method, url, r->path_arg, sizeof r->path_arg, &allowed);
    if (atomic_load(&s->draining))
        return srv_send_error(r, 503, "server_error", "shutting_down", NULL, "the server is shutting down");
    if (r->route == SRV_R_OTHER && allowed)
        return srv_send_error_header(r, 405, MHD_HTTP_HEADER_ALLOW, allowed, "invalid_request_error",
                                     "method_not_allowed", "method not allowed on this route");
    if (r->route == SRV_R_OTHER)
        return srv_send_error(r, 404, "invalid_request_error", "not_found", NULL, "no such route");
    int need = route_role(r->route);
    if (need && !srv_auth(r, (sw_role)need)) return MHD_YES; /* answered */
    const char *cl = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || *end || n > s->o.max_body)
            return srv_send_error(r, 413, "invalid_request_error", "request_too_large", NULL,
                                  "the request body is over the limit of %zu bytes", s->o.max_body);
    }
    return MHD_YES;
}

/* A piece of the body: kept while within the size limit; past it, read and dropped (so
 * that the client, still sending, gets the 413 at the end) until the body deadline. */
static enum MHD_Result on_body(srv_req *r, const char *data, size_t *size) {
    sw_server *s = r->s;
    size_t n = *size;
    *size = 0;
    if (r->responded) return MHD_YES; /* refused already: the rest is dropped */
    if (sw_now_ns() - r->t0 > (uint64_t)s->o.body_deadline_s * NS_PER_S)
        return srv_send_error(r, 408, "invalid_request_error", "request_timeout", NULL,
                              "the request body took more than %d s to arrive", s->o.body_deadline_s);
    if (r->over_limit || r->body.len + n > s->o.max_body) {
        r->over_limit = 1;
        sw_buf_free(&r->body);
        return MHD_YES;
    }
    if (sw_buf_append(&r->body, data, n) < 0)
        return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "out of memory reading the body");
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    sw_server *s = cls;
    srv_req *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r))) return MHD_NO;
        r->s = s;
        r->c = c;
        r->t0 = sw_now_ns();
        r->method = method;
        *con_cls = r;
        atomic_fetch_add(&s->inflight, 1);
        return on_head(r, url);
    }
    if (*upload_size) return on_body(r, upload, upload_size);
    if (r->resume) return r->resume(r); /* its connection was suspended and is now resumed */
    if (r->responded) return MHD_YES;
    if (r->over_limit)
        return srv_send_error(r, 413, "invalid_request_error", "request_too_large", NULL,
                              "the request body is over the limit of %zu bytes", s->o.max_body);
    return dispatch(r);
}

/* ---- completion: metrics, the access log, freeing ---- */

static void access_log(const srv_req *r, uint64_t latency_ns) {
    const sw_server *s = r->s;
    if (!s->o.access_log) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32], line[ACCESS_LINE_MAX];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(line, sizeof line,
                     "{\"time\":\"%s.%03ldZ\",\"method\":\"%s\",\"route\":\"%s\",\"status\":%d,\"key\":%s%s%s,"
                     "\"latency_ms\":%.3f,\"prompt_tokens\":%lld,\"completion_tokens\":%lld}",
                     when, ts.tv_nsec / 1000000, r->method && strlen(r->method) < 8 ? r->method : "?",
                     srv_route_name(r->route), r->status, r->has_key ? "\"" : "", r->has_key ? r->key.id : "null",
                     r->has_key ? "\"" : "", (double)latency_ns / NS_PER_MS, r->prompt_tokens, r->completion_tokens);
    if (n > 0 && (size_t)n < sizeof line) s->o.access_log(s->o.access_log_ud, line, (size_t)n);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)c;
    sw_server *s = cls;
    srv_req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    if (!r->responded) r->status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408 : 499;
    uint64_t lat = sw_now_ns() - r->t0;
    srv_metrics_request(&s->m, r->route, r->status, lat, r->prompt_tokens, r->completion_tokens);
    access_log(r, lat);
    sw_buf_free(&r->body);
    free(r);
    atomic_fetch_sub(&s->inflight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[SW_ERR_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    sw_log(SW_LOG_DEBUG, "http: %s", msg);
}

/* ---- the daemon ---- */

/* Fills a socket address from a numeric host and port. -1 when host is not an address. */
static int make_addr(const char *host, int port, struct sockaddr_storage *ss, sw_err *err) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        return 0;
    }
    return sw_err_set(err, "serve: host '%s' is not a numeric IPv4 or IPv6 address", host);
}

static int start_daemon(sw_server *s, sw_err *err) {
    struct sockaddr_storage ss;
    int port = s->o.port < 0 ? 0 : s->o.port;
    if (make_addr(s->o.host, port, &ss, err) < 0) return -1;
    /* A few epoll threads serve every connection (an idle one costs its buffers, not a
     * thread); a handler never blocks them: generations run on threads of their own and
     * suspend their connection until there is something to send (generate.c). */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    /* one connection thread is the daemon's own: no pool option then (a pool of 1 or 0 is
     * refused with a warning on stderr) */
    struct MHD_OptionItem pool[] = {{MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->o.http_threads, NULL},
                                    {MHD_OPTION_END, 0, NULL}};
    s->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->o.max_header,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_connections,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.conn_timeout_s,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_ARRAY, s->o.http_threads > 1 ? pool : pool + 1,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_END);
    if (!s->d)
        return sw_err_set(err, "serve: cannot listen on %s port %d (address in use, or not permitted)", s->o.host,
                          port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : port;
    return 0;
}

int sw_server_port(const sw_server *s) { return s->port; }

/* Waits until no request is in flight or the clock passes until_ns. 1 when drained. */
static int wait_drained(sw_server *s, uint64_t until_ns) {
    for (;;) {
        if (atomic_load(&s->inflight) == 0) return 1;
        if (sw_now_ns() >= until_ns) return 0;
        struct timespec ts = {0, (long)DRAIN_POLL_NS};
        nanosleep(&ts, NULL);
    }
}

int sw_server_shutdown(sw_server *s, int deadline_ms) {
    if (!s || atomic_exchange(&s->shut, 1)) return s ? atomic_load(&s->cancelled) : 0;
    atomic_store(&s->draining, 1);
    srv_oversight_signal(s); /* requests waiting for a person answer now */
    MHD_socket lfd = s->d ? MHD_quiesce_daemon(s->d) : MHD_INVALID_SOCKET;
    uint64_t now = sw_now_ns();
    if (!wait_drained(s, now + (uint64_t)(deadline_ms > 0 ? deadline_ms : 0) * NS_PER_MS)) {
        atomic_store(&s->cancel, 1);
        srv_oversight_signal(s);
        wait_drained(s, sw_now_ns() + CANCEL_GRACE_NS);
    }
    if (s->d) MHD_stop_daemon(s->d);
    s->d = NULL;
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    return atomic_load(&s->cancelled);
}

/* The model's name as clients see it: the file's name without its directory and .gguf
 * (or the upstream model's name). */
static void model_id(sw_server *s) {
    if (s->o.upstream) { /* the upstream server's model, as it was asked for */
        snprintf(s->model_id, sizeof s->model_id, "%s", s->o.upstream_model ? s->o.upstream_model : "default");
        return;
    }
    const char *path = sw_pipeline_model_path(s->p);
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : (path ? path : "steward");
    snprintf(s->model_id, sizeof s->model_id, "%s", base);
    size_t n = strlen(s->model_id);
    if (n > 5 && strcmp(s->model_id + n - 5, ".gguf") == 0) s->model_id[n - 5] = 0;
}

static void apply_defaults(sw_server_opts *o) {
    if (!o->host) o->host = "127.0.0.1";
    if (o->port == 0) o->port = SW_SERVER_DEFAULT_PORT;
    if (!o->max_body) o->max_body = SW_SERVER_MAX_BODY;
    if (!o->max_header) o->max_header = SW_SERVER_MAX_HEADER;
    if (o->conn_timeout_s <= 0) o->conn_timeout_s = SW_SERVER_CONN_TIMEOUT_S;
    if (o->body_deadline_s <= 0) o->body_deadline_s = SW_SERVER_BODY_DEADLINE_S;
    if (o->max_connections <= 0) o->max_connections = SW_SERVER_MAX_CONNECTIONS;
    if (o->http_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN) * SW_SERVER_HTTP_THREADS_PER_CPU;
        o->http_threads = n < 1 ? 1 : n > SW_SERVER_DEFAULT_HTTP_THREADS ? SW_SERVER_DEFAULT_HTTP_THREADS : (int)n;
    }
    if (o->http_threads > SW_SERVER_MAX_HTTP_THREADS) o->http_threads = SW_SERVER_MAX_HTTP_THREADS;
}

int sw_server_open(const sw_server_opts *opts, sw_server **out, sw_err *err) {
    *out = NULL;
    sw_server *s = calloc(1, sizeof *s);
    if (!s) return sw_err_set(err, "serve: out of memory");
    s->o = *opts;
    apply_defaults(&s->o);
    s->created = (long long)time(NULL);
    srv_metrics_init(&s->m);
    srv_oversight_init(s);
    if (sw_home_resolve(opts->home, s->home, sizeof s->home, err) < 0) goto fail;
    s->o.home = s->home;
    if (sw_store_open(s->home, &s->st, err) < 0) goto fail;
    if (srv_pipeline_open(s, err) < 0 || srv_halt_load(s, err) < 0) goto fail;
    model_id(s);
    if (start_daemon(s, err) < 0) goto fail;
    *out = s;
    return 0;
fail:
    sw_server_close(s);
    return -1;
}

void sw_server_close(sw_server *s) {
    if (!s) return;
    sw_server_shutdown(s, 0);
    srv_pipeline_close(s);
    sw_store_close(s->st);
    srv_metrics_destroy(&s->m);
    srv_oversight_destroy(s);
    free(s);
}
