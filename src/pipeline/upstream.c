/* upstream.c - an OpenAI-compatible streaming client (libcurl): POSTs a chat or text
 * completion with "stream": true and hands each delta of the server-sent events on. */
#include "upstream.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define URL_MAX 2048
#define MODEL_MAX 256
#define ERROR_BODY_MAX 4096       /* bytes of an error answer kept for the message */
#define EVENT_LINE_MAX (1 << 20)  /* a longer server-sent line is a protocol error */
#define CONNECT_TIMEOUT_S 10L

struct sw_upstream {
    char base[URL_MAX];   /* ends in /v1 */
    char *auth_header;    /* "Authorization: Bearer KEY" or NULL */
    char model[MODEL_MAX];
    char name[URL_MAX + MODEL_MAX + 2];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;
static void curl_init(void) { curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }

sw_upstream *sw_upstream_new(const char *base_url, const char *api_key, const char *model, sw_err *err) {
    pthread_once(&curl_once, curl_init);
    if (!curl_ok) {
        sw_err_set(err, "libcurl cannot start");
        return NULL;
    }
    size_t n = strlen(base_url);
    if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0) {
        sw_err_set(err, "--upstream '%s': expected an http:// or https:// URL", base_url);
        return NULL;
    }
    while (n && base_url[n - 1] == '/') n--;
    if (n + 4 >= URL_MAX) {
        sw_err_set(err, "--upstream: the URL is longer than %d bytes", URL_MAX - 5);
        return NULL;
    }
    sw_upstream *u = calloc(1, sizeof *u);
    if (!u) {
        sw_err_set(err, "out of memory");
        return NULL;
    }
    int has_v1 = n >= 3 && memcmp(base_url + n - 3, "/v1", 3) == 0;
    snprintf(u->base, sizeof u->base, "%.*s%s", (int)n, base_url, has_v1 ? "" : "/v1");
    snprintf(u->model, sizeof u->model, "%s", model && *model ? model : "default");
    snprintf(u->name, sizeof u->name, "%s %s", u->base, u->model);
    if (api_key && *api_key) {
        size_t len = strlen(api_key) + 32;
        if (!(u->auth_header = malloc(len))) {
            free(u);
            sw_err_set(err, "out of memory");
            return NULL;
        }
        snprintf(u->auth_header, len, "Authorization: Bearer %s", api_key);
    }
    return u;
}

void sw_upstream_free(sw_upstream *u) {
    if (!u) return;
    if (u->auth_header) {
        memset(u->auth_header, 0, strlen(u->auth_header)); /* the key does not linger */
        free(u->auth_header);
    }
    free(u);
}

const char *sw_upstream_name(const sw_upstream *u) { return u->name; }

/* The request body: the messages or the prompt, the sampling, streaming on. */
static char *request_body(const sw_upstream *u, const sw_chat_msg *msgs, int n, const char *prompt,
                          const sw_gen_request *req, int max_tokens) {
    json_t *o = json_pack("{s:s,s:b,s:i,s:f,s:f,s:I,s:{s:b}}", "model", u->model, "stream", 1, "max_tokens",
                          max_tokens, "temperature", (double)req->sampling.temperature, "top_p",
                          (double)req->sampling.top_p, "seed", (json_int_t)(req->sampling.seed & 0x7fffffffffffffffull),
                          "stream_options", "include_usage", 1);
    if (!o) return NULL;
    if (req->ignore_eos) json_object_set_new(o, "ignore_eos", json_true());
    if (n > 0) {
        json_t *a = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(a, json_pack("{s:s,s:s}", "role", msgs[i].role, "content",
                                               msgs[i].content ? msgs[i].content : ""));
        json_object_set_new(o, "messages", a);
    } else {
        json_object_set_new(o, "prompt", json_string(prompt ? prompt : ""));
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* The state of one streamed answer. */
typedef struct {
    int chat;
    sw_upstream_piece_fn piece;
    void *ud;
    sw_upstream_result *out;
    sw_buf line;      /* the event line being received */
    sw_buf error;     /* the body of a non-200 answer */
    CURL *curl;
    long status;
    int cancelled, done;
    sw_err *err;
    int failed;
} stream_state;

/* One "data: {...}" event: its text to the client, its finish reason and usage kept. */
static int handle_event(stream_state *st, const char *data, size_t len) {
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        st->done = 1;
        return 0;
    }
    json_error_t je;
    json_t *ev = json_loadb(data, len, 0, &je);
    if (!ev) return sw_err_set(st->err, "upstream sent an event that is not JSON (%s)", je.text);
    json_t *error = json_object_get(ev, "error"); /* a failure after the 200 head (OpenAI's form) */
    if (error) {
        const char *msg = json_string_value(json_object_get(error, "message"));
        sw_err_set(st->err, "upstream failed mid-stream: %.300s", msg ? msg : json_string_value(error) ? json_string_value(error) : "(no message)");
        json_decref(ev);
        return -1;
    }
    json_t *usage = json_object_get(ev, "usage");
    if (json_is_object(usage)) {
        st->out->completion_tokens = (int)json_integer_value(json_object_get(usage, "completion_tokens"));
        st->out->prompt_tokens = (int)json_integer_value(json_object_get(usage, "prompt_tokens"));
    }
    json_t *choice = json_array_get(json_object_get(ev, "choices"), 0);
    json_t *text = st->chat ? json_object_get(json_object_get(choice, "delta"), "content")
                            : json_object_get(choice, "text");
    const char *fr = json_string_value(json_object_get(choice, "finish_reason"));
    if (fr) snprintf(st->out->finish_reason, sizeof st->out->finish_reason, "%s", fr);
    if (json_is_string(text) && json_string_length(text) && !st->cancelled &&
        st->piece(st->ud, json_string_value(text), json_string_length(text)) != 0)
        st->cancelled = 1;
    json_decref(ev);
    return 0;
}

/* Splits what arrives into lines; "data: " lines are events, the rest (comments,
 * blank lines between events) are skipped. */
static int feed(stream_state *st, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (st->line.len >= EVENT_LINE_MAX) return sw_err_set(st->err, "upstream sent a line over %d bytes", EVENT_LINE_MAX);
            if (sw_buf_append(&st->line, &p[i], 1) < 0) return sw_err_set(st->err, "out of memory");
            continue;
        }
        size_t len = st->line.len;
        const char *l = st->line.data ? st->line.data : "";
        if (len && l[len - 1] == '\r') len--;
        if (len >= 6 && memcmp(l, "data: ", 6) == 0 && handle_event(st, l + 6, len - 6) < 0) return -1;
        sw_buf_reset(&st->line);
    }
    return 0;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud) {
    stream_state *st = ud;
    size_t n = size * nmemb;
    if (st->status == 0) curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &st->status);
    if (st->status != 200) {
        if (st->error.len < ERROR_BODY_MAX) sw_buf_append(&st->error, p, n);
        return n;
    }
    if (feed(st, p, n) < 0) {
        st->failed = 1;
        return 0; /* aborts the transfer */
    }
    return st->cancelled ? 0 : n;
}

/* The server's own message from an error answer, else its first bytes. */
static void http_error(stream_state *st, const char *url) {
    json_t *o = json_loadb(st->error.data ? st->error.data : "", st->error.len, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
    if (!msg) msg = json_string_value(json_object_get(o, "error"));
    sw_err_set(st->err, "upstream %s answered HTTP %ld: %.300s", url, st->status,
               msg ? msg : st->error.data ? st->error.data : "");
    json_decref(o);
}

int sw_upstream_generate(sw_upstream *u, const sw_chat_msg *msgs, int n, const char *prompt,
                         const sw_gen_request *req, int max_tokens, sw_upstream_piece_fn piece, void *ud,
                         sw_upstream_result *out, sw_err *err) {
    memset(out, 0, sizeof *out);
    out->completion_tokens = -1;
    char url[URL_MAX + 32];
    snprintf(url, sizeof url, "%s/%s", u->base, n > 0 ? "chat/completions" : "completions");
    char *body = request_body(u, msgs, n, prompt, req, max_tokens);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: text/event-stream");
    if (u->auth_header) h = curl_slist_append(h, u->auth_header);
    if (!body || !c || !h) {
        free(body);
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
        return sw_err_set(err, "out of memory");
    }
    stream_state st = {.curl = c, .chat = n > 0, .piece = piece, .ud = ud, .out = out, .err = err};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st.status);
    int ret = 0;
    if (st.status != 0 && st.status != 200) {
        http_error(&st, url);
        ret = -1;
    } else if (st.failed) {
        ret = -1;
    } else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && st.cancelled)) {
        ret = sw_err_set(err, "upstream %s: %s", url, curl_easy_strerror(rc));
    } else if (!st.done && !st.cancelled && !out->finish_reason[0]) {
        ret = sw_err_set(err, "upstream %s: the stream ended without [DONE] or a finish reason", url);
    }
    sw_buf_free(&st.line);
    sw_buf_free(&st.error);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(body);
    return ret;
}
