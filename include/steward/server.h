/* server.h - the HTTP API: OpenAI-compatible routes over the pipeline, the guard and the
 * state store (libmicrohttpd: a few epoll threads serve every connection; generations run
 * on threads of their own), with limits, metrics and an access log. `steward serve` is a thin front end over these four calls. */
#ifndef STEWARD_SERVER_H
#define STEWARD_SERVER_H

#include "steward/core.h"

typedef struct sw_server sw_server;

/* Defaults of the limits (an option left at 0 takes them). */
#define SW_SERVER_DEFAULT_PORT 8080
#define SW_SERVER_MAX_BODY (1u << 20)      /* request body bytes */
#define SW_SERVER_MAX_HEADER (16u << 10)   /* per-connection memory for the request head */
#define SW_SERVER_CONN_TIMEOUT_S 30        /* a connection silent this long is closed */
#define SW_SERVER_BODY_DEADLINE_S 30       /* a body still arriving after this is refused */
#define SW_SERVER_MAX_CONNECTIONS 4096
#define SW_SERVER_MAX_INFLIGHT 256         /* generations running or queued at once */
#define SW_SERVER_REVIEW_WAIT_S 3.0        /* --review-wait default */
#define SW_SERVER_MAX_HTTP_THREADS 64      /* connection threads at most */
#define SW_SERVER_HTTP_THREADS_PER_CPU 2   /* default: two per CPU (a shared machine), at most: */
#define SW_SERVER_DEFAULT_HTTP_THREADS 8

/* Receives one line of the access log (JSON, no newline, never prompt content). Called
 * from the server's threads, so it must be thread-safe. */
typedef void (*sw_server_log_fn)(void *ud, const char *line, size_t len);

/* ---- the access log with one writer thread (access_log.c): a request's thread copies its
 * line into a buffer and goes on; the writer writes the gathered lines in one write. ---- */
#define SW_ACCESS_LOG_FLUSH_MS 10               /* a line is written at most this long after it came */
#define SW_ACCESS_LOG_FLUSH_BYTES (32u << 10)   /* ... or at once when this much is waiting */
#define SW_ACCESS_LOG_MAX_BYTES (1u << 20)      /* waiting at most: past it, appends wait for the writer */
typedef struct sw_access_log sw_access_log;
/* Opens path for appending (NULL: standard error, which close leaves open) and starts the
 * writer. NULL with err naming the path. Free with sw_access_log_close. */
sw_access_log *sw_access_log_open(const char *path, sw_err *err);
/* An sw_server_log_fn (ud: the sw_access_log): appends line and a newline. Never waits for
 * the disk; waits for the writer only while SW_ACCESS_LOG_MAX_BYTES are waiting, so no
 * line is dropped. Thread-safe; not after sw_access_log_close has begun. */
void sw_access_log_line(void *ud, const char *line, size_t len);
/* Writes every line appended before it, stops the writer and closes the file. 0, or -1
 * with err counting the lines lost (a failed write or no memory). NULL is accepted. A
 * process killed without it loses at most the last SW_ACCESS_LOG_FLUSH_MS of lines. */
int sw_access_log_close(sw_access_log *l, sw_err *err);

typedef struct sw_server_opts {
    const char *home;          /* state directory (NULL: $STEWARD_HOME / ~/.steward) */
    const char *model_path;    /* NULL: the default model */
    const char *host;          /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
    int port;                  /* 0: SW_SERVER_DEFAULT_PORT; -1: any free port */
    int parallel;              /* requests decoded together; 0: the pipeline's default */
    int threads;               /* compute threads; 0: all cores */
    const char *chat_template; /* NULL: the model's own */
    const char *policy_path;   /* guard policy; NULL: the shipped default */
    const char *upstream;      /* an OpenAI-compatible server generation goes to; NULL: local */
    const char *upstream_key;  /* its API key; may be NULL */
    const char *upstream_model; /* the model to ask it for; NULL: the pipeline's default */
    size_t max_body;           /* 0: SW_SERVER_MAX_BODY */
    size_t max_header;         /* 0: SW_SERVER_MAX_HEADER */
    int conn_timeout_s;        /* 0: SW_SERVER_CONN_TIMEOUT_S */
    int body_deadline_s;       /* 0: SW_SERVER_BODY_DEADLINE_S */
    int max_connections;       /* 0: SW_SERVER_MAX_CONNECTIONS */
    double review_wait_s;      /* seconds a request held for review (or for a person's reply
                                  in a conversation taken over) waits before it is answered
                                  "pending"; 0: SW_SERVER_REVIEW_WAIT_S; < 0: no wait */
    int http_threads;          /* epoll threads serving the connections; 0: two per CPU
                                * online, at most SW_SERVER_DEFAULT_HTTP_THREADS */
    sw_server_log_fn access_log; /* NULL: no access log */
    void *access_log_ud;
} sw_server_opts;

/* Opens the pipeline and the state store, then listens. -1 with a message naming what
 * failed (the model, the store, the address in use). Free with sw_server_close. */
int sw_server_open(const sw_server_opts *opts, sw_server **out, sw_err *err);
/* The port listened on (useful with port -1). */
int sw_server_port(const sw_server *s);
/* Graceful stop: accepts no new connection, lets requests in flight finish for up to
 * deadline_ms, then cancels the generations still running and closes every connection.
 * Returns the number of requests that had to be cancelled. Idempotent. */
int sw_server_shutdown(sw_server *s, int deadline_ms);
/* Shuts down (deadline 0 when not done yet), closes the pipeline (flushing the audit log
 * and writing its checkpoint) and the store, and frees. NULL is accepted. */
void sw_server_close(sw_server *s);

#endif
