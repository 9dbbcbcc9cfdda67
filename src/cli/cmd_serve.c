/* cmd_serve.c - `steward serve`: parses flags, starts the HTTP server (src/server/), writes
 * the access log, and stops gracefully on SIGTERM or SIGINT. */
#include "cli.h"
#include "steward/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define DEFAULT_DRAIN_MS 10000

static const char *USAGE =
    "serve [--model F] [--host 127.0.0.1] [--port 8080] [--parallel N] [--threads N]\n"
    "      [--chat-template T] [--policy F] [--access-log FILE|off] [OPTIONS]\n\n"
    "The HTTP API, OpenAI-compatible: POST /v1/chat/completions, POST /v1/completions (plain and\n"
    "streamed), GET /v1/chat/completions/{id}, POST /v1/moderations, GET /v1/models; with an admin\n"
    "key GET /metrics, POST /v1/admin/halt|resume and GET /v1/admin/status; GET /healthz is open.\n"
    "Every other route needs 'Authorization: Bearer KEY' (keys: `steward keys add`). SIGTERM or\n"
    "SIGINT lets requests in flight finish (up to --drain-ms), then closes the pipeline, which\n"
    "flushes the audit log and writes a checkpoint.\n"
    "GET /console (open; the page asks for a reviewer or admin key) is the console for people in\n"
    "charge: review queue, takeover and reply, feedback, halt and resume, live counts.\n"
    "The access log has one JSON line per request (never prompt content), on stderr by default;\n"
    "one writer thread writes it, each line within 10 ms (all of it on SIGTERM or SIGINT).\n"
    "The shipped demonstration model has no chat template: give --chat-template chatml for chat.";

/* Many idle keep-alive connections need as many descriptors as the hard limit allows. */
static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Blocks SIGTERM/SIGINT in every thread (the server's threads inherit the mask), so that
 * the main thread alone takes them with sigwait. */
static void block_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Serves until SIGTERM or SIGINT (blocked in every thread: set) arrives, then closes the
 * server and after it the access log alog (may be NULL), so that every answered request's
 * line is written. */
static int run(sw_server_opts *o, sigset_t *set, int drain_ms, sw_access_log *alog) {
    raise_fd_limit();
    sw_err err;
    sw_server *srv;
    if (sw_server_open(o, &srv, &err) < 0) {
        sw_access_log_close(alog, NULL);
        return sw_cli_fail("serve", &err);
    }
    fprintf(stderr, "steward serve: listening on http://%s%s%s:%d/ (SIGTERM stops)\n",
            strchr(o->host, ':') ? "[" : "", o->host, strchr(o->host, ':') ? "]" : "", sw_server_port(srv));
    int sig = 0;
    sigwait(set, &sig);
    fprintf(stderr, "steward serve: %s: finishing requests in flight (up to %d ms)\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", drain_ms);
    int cancelled = sw_server_shutdown(srv, drain_ms);
    sw_server_close(srv);
    int rc = SW_EXIT_OK;
    if (sw_access_log_close(alog, &err) < 0) rc = sw_cli_fail("serve", &err);
    fprintf(stderr, "steward serve: stopped (%d generation%s cancelled); audit log closed\n", cancelled,
            cancelled == 1 ? "" : "s");
    return rc;
}

int sw_cmd_serve(int argc, char **argv) {
    sw_server_opts o = {.home = sw_cli_home, .host = "127.0.0.1", .port = SW_SERVER_DEFAULT_PORT};
    const char *access = NULL;
    int max_body = 0, drain_ms = DEFAULT_DRAIN_MS;
    double review_wait = SW_SERVER_REVIEW_WAIT_S;
    const sw_opt opts[] = {
        {"model", SW_OPT_STR, &o.model_path, "FILE", "GGUF model (default: the shipped model)"},
        {"host", SW_OPT_STR, &o.host, "ADDR", "numeric address to listen on (default 127.0.0.1)"},
        {"port", SW_OPT_INT, &o.port, "N", "port (default 8080; 0 picks a free one, printed at start)"},
        {"parallel", SW_OPT_INT, &o.parallel, "N", "requests decoded together (default: the pipeline's)"},
        {"threads", SW_OPT_INT, &o.threads, "N", "compute threads (default: all cores)"},
        {"chat-template", SW_OPT_STR, &o.chat_template, "T", "chatml or llama3 (default: the model's own)"},
        {"policy", SW_OPT_STR, &o.policy_path, "FILE", "guard policy (default: the shipped policy)"},
        {"upstream", SW_OPT_STR, &o.upstream, "URL",
         "generate on this OpenAI-compatible server (key: $STEWARD_UPSTREAM_KEY), guards and labels here"},
        {"upstream-model", SW_OPT_STR, &o.upstream_model, "NAME", "the model to ask the upstream server for"},
        {"max-body", SW_OPT_INT, &max_body, "BYTES", "largest request body (default 1 MiB)"},
        {"timeout", SW_OPT_INT, &o.conn_timeout_s, "S", "close connections silent this long (default 30)"},
        {"body-deadline", SW_OPT_INT, &o.body_deadline_s, "S", "a body must arrive within S (default 30)"},
        {"max-connections", SW_OPT_INT, &o.max_connections, "N", "connections at once (default 4096)"},
        {"http-threads", SW_OPT_INT, &o.http_threads, "N", "epoll threads serving connections (default: 2 per CPU, <= 8)"},
        {"drain-ms", SW_OPT_INT, &drain_ms, "MS", "on SIGTERM, wait this long for requests (default 10000)"},
        {"review-wait", SW_OPT_DOUBLE, &review_wait, "S",
         "an answer held for review (or a conversation taken over) waits S seconds for a person, then is "
         "answered pending (default 3; 0: at once)"},
        {"access-log", SW_OPT_STR, &access, "FILE", "access log file, or 'off' (default: stderr)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("serve", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    o.upstream_key = getenv("STEWARD_UPSTREAM_KEY");
    if (o.port < 0 || o.port > 65535) return sw_cli_usage_error("serve", "--port takes 0 to 65535");
    if (o.port == 0) o.port = -1; /* the library's "any free port" */
    if (o.parallel < 0 || o.threads < 0 || max_body < 0 || o.conn_timeout_s < 0 || o.body_deadline_s < 0 ||
        o.max_connections < 0 || o.http_threads < 0 || drain_ms < 0 || review_wait < 0)
        return sw_cli_usage_error("serve", "numeric options must not be negative");
    o.review_wait_s = review_wait > 0 ? review_wait : -1; /* the library's "no wait" */
    o.max_body = (size_t)max_body;
    sigset_t set;
    block_signals(&set); /* before any thread starts (the access log's writer included) */
    sw_access_log *alog = NULL;
    if (!access || strcmp(access, "off") != 0) {
        sw_err err;
        if (!(alog = sw_access_log_open(access, &err))) return sw_cli_fail("serve", &err);
        o.access_log = sw_access_log_line;
        o.access_log_ud = alog;
    }
    return run(&o, &set, drain_ms, alog);
}
