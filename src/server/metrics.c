/* metrics.c - the server's counters and GET /metrics in Prometheus' text format: requests
 * and tokens by route and status, latency histograms, guard blocks by category, the
 * generation queue and the halt. */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Status codes counted one by one; any other counts as "other". */
static const int codes[SRV_CODES] = {200, 400, 401, 403, 404, 405, 408, 413, 429, 499, 500, 503};
/* Upper bounds of the latency buckets, in seconds. */
static const double lat_le[SRV_LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,   0.5,   1,      2.5,   5,    10,   30};

void srv_metrics_init(srv_metrics *m) {
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->cat_mu, NULL);
}

void srv_metrics_destroy(srv_metrics *m) { pthread_mutex_destroy(&m->cat_mu); }

static int code_slot(int status) {
    for (int i = 0; i < SRV_CODES; i++)
        if (codes[i] == status) return i;
    return SRV_CODES;
}

void srv_metrics_request(srv_metrics *m, srv_route r, int status, uint64_t latency_ns, long long prompt_tokens,
                         long long completion_tokens) {
    if (r >= SRV_R_COUNT) r = SRV_R_OTHER;
    atomic_fetch_add_explicit(&m->requests[r][code_slot(status)], 1, memory_order_relaxed);
    double sec = (double)latency_ns / 1e9;
    int b = 0;
    while (b < SRV_LAT_BUCKETS && sec > lat_le[b]) b++;
    atomic_fetch_add_explicit(&m->lat_bucket[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->lat_sum_us[r], (long long)(latency_ns / 1000), memory_order_relaxed);
    if (prompt_tokens) atomic_fetch_add_explicit(&m->prompt_tokens[r], prompt_tokens, memory_order_relaxed);
    if (completion_tokens)
        atomic_fetch_add_explicit(&m->completion_tokens[r], completion_tokens, memory_order_relaxed);
}

void srv_metrics_block(srv_metrics *m, const char *category) {
    pthread_mutex_lock(&m->cat_mu);
    int i = 0;
    while (i < m->n_cat && strcmp(m->cat_name[i], category) != 0) i++;
    if (i == m->n_cat && m->n_cat < SRV_MAX_CATEGORIES) snprintf(m->cat_name[m->n_cat++], 32, "%s", category);
    if (i < m->n_cat) m->cat_blocks[i]++;
    pthread_mutex_unlock(&m->cat_mu);
}

static int emit_requests(const srv_metrics *m, sw_buf *b) {
    int rc = sw_buf_puts(b, "# HELP steward_http_requests_total HTTP requests by route and status.\n"
                            "# TYPE steward_http_requests_total counter\n");
    for (int r = 0; r < SRV_R_COUNT; r++)
        for (int k = 0; k <= SRV_CODES; k++) {
            long long n = atomic_load(&m->requests[r][k]);
            if (!n) continue;
            char code[8];
            if (k < SRV_CODES) snprintf(code, sizeof code, "%d", codes[k]);
            else snprintf(code, sizeof code, "other");
            rc |= sw_buf_printf(b, "steward_http_requests_total{route=\"%s\",code=\"%s\"} %lld\n",
                                srv_route_name((srv_route)r), code, n);
        }
    rc |= sw_buf_puts(b, "# HELP steward_tokens_total Tokens by route and kind (prompt or completion).\n"
                         "# TYPE steward_tokens_total counter\n");
    for (int r = 0; r < SRV_R_COUNT; r++) {
        long long p = atomic_load(&m->prompt_tokens[r]), c = atomic_load(&m->completion_tokens[r]);
        if (!p && !c) continue;
        rc |= sw_buf_printf(b, "steward_tokens_total{route=\"%s\",kind=\"prompt\"} %lld\n",
                            srv_route_name((srv_route)r), p);
        rc |= sw_buf_printf(b, "steward_tokens_total{route=\"%s\",kind=\"completion\"} %lld\n",
                            srv_route_name((srv_route)r), c);
    }
    return rc;
}

static int emit_latency(const srv_metrics *m, sw_buf *b) {
    int rc = sw_buf_puts(b, "# HELP steward_http_request_duration_seconds Time from a request's head to the "
                            "end of its response.\n# TYPE steward_http_request_duration_seconds histogram\n");
    for (int r = 0; r < SRV_R_COUNT; r++) {
        long long cum = 0, count = 0;
        for (int k = 0; k <= SRV_LAT_BUCKETS; k++) count += atomic_load(&m->lat_bucket[r][k]);
        if (!count) continue;
        const char *name = srv_route_name((srv_route)r);
        for (int k = 0; k < SRV_LAT_BUCKETS; k++) {
            cum += atomic_load(&m->lat_bucket[r][k]);
            rc |= sw_buf_printf(b, "steward_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
                                name, lat_le[k], cum);
        }
        rc |= sw_buf_printf(b, "steward_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n",
                            name, count);
        rc |= sw_buf_printf(b, "steward_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
                            (double)atomic_load(&m->lat_sum_us[r]) / 1e6);
        rc |= sw_buf_printf(b, "steward_http_request_duration_seconds_count{route=\"%s\"} %lld\n", name, count);
    }
    return rc;
}

static int emit_blocks(srv_metrics *m, sw_buf *b) {
    int rc = sw_buf_puts(b, "# HELP steward_guard_blocks_total Requests and answers the guard blocked or sent "
                            "to review, by category.\n# TYPE steward_guard_blocks_total counter\n");
    pthread_mutex_lock(&m->cat_mu);
    for (int i = 0; i < m->n_cat; i++)
        rc |= sw_buf_printf(b, "steward_guard_blocks_total{category=\"%s\"} %lld\n", m->cat_name[i],
                            m->cat_blocks[i]);
    pthread_mutex_unlock(&m->cat_mu);
    return rc;
}

/* Feedback by category and what waits for people, from the state store. */
static int emit_oversight(sw_server *s, sw_buf *b) {
    sw_err err;
    long long counts[SW_FEEDBACK_CATEGORIES];
    sw_oversight_depths d;
    if (sw_store_feedback_counts(s->st, counts, &err) < 0 || sw_store_oversight_depths(s->st, &d, &err) < 0) {
        sw_log(SW_LOG_ERROR, "serve: metrics: %s", err.msg);
        return 0; /* the other metrics still go out */
    }
    int rc = sw_buf_puts(b, "# HELP steward_feedback_total Feedback from users on completions, by category.\n"
                            "# TYPE steward_feedback_total counter\n");
    for (int c = 0; c < SW_FEEDBACK_CATEGORIES; c++)
        rc |= sw_buf_printf(b, "steward_feedback_total{category=\"%s\"} %lld\n",
                            sw_feedback_category_name((sw_feedback_category)c), counts[c]);
    return rc | sw_buf_printf(b,
                              "# HELP steward_review_pending Answers held for review, not yet decided.\n"
                              "# TYPE steward_review_pending gauge\nsteward_review_pending %lld\n"
                              "# HELP steward_takeovers Conversations taken over by a person.\n"
                              "# TYPE steward_takeovers gauge\nsteward_takeovers %lld\n"
                              "# HELP steward_feedback_unhandled Feedback not yet marked handled.\n"
                              "# TYPE steward_feedback_unhandled gauge\nsteward_feedback_unhandled %lld\n",
                              d.review_pending, d.takeovers, d.feedback_unhandled);
}

enum MHD_Result srv_route_metrics(srv_req *r) {
    sw_server *s = r->s;
    sw_buf b = {0};
    int halted = atomic_load(&s->halted);
    int rc = emit_requests(&s->m, &b) | emit_latency(&s->m, &b) | emit_blocks(&s->m, &b) | emit_oversight(s, &b);
    int gen = atomic_load(&s->gen_inflight), running = 0, waiting = 0;
    sw_pipeline_load(s->p, &running, &waiting);
    rc |= sw_buf_printf(&b,
                        "# HELP steward_generations_in_flight Generations running or waiting for a slot.\n"
                        "# TYPE steward_generations_in_flight gauge\nsteward_generations_in_flight %d\n"
                        "# HELP steward_generations_running Generations being decoded now.\n"
                        "# TYPE steward_generations_running gauge\nsteward_generations_running %d\n"
                        "# HELP steward_queue_depth Generations waiting for a decoding slot.\n"
                        "# TYPE steward_queue_depth gauge\nsteward_queue_depth %d\n"
                        "# HELP steward_halted 1 while a person has halted all generation.\n"
                        "# TYPE steward_halted gauge\nsteward_halted %d\n"
                        "# HELP steward_http_requests_in_flight Requests being read or answered.\n"
                        "# TYPE steward_http_requests_in_flight gauge\nsteward_http_requests_in_flight %d\n",
                        gen, running, waiting, halted ? 1 : 0,
                        atomic_load(&s->inflight));
    if (rc) {
        sw_buf_free(&b);
        return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "cannot build the metrics");
    }
    return srv_send(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
}
