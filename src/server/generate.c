/* generate.c - the generation routes (/v1/chat/completions, /v1/completions): one request
 * through sw_pipeline_generate, answered whole or streamed as server-sent events, every
 * answer with its `steward` object; stored for its owner; tokens charged to the key. */
#include "server_int.h"


#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STREAM_WAIT 2 /* stream_fill: nothing to send yet, the connection is suspended */
#define ID_MAX 64


/* One generation: the parsed request, the result, and for streams the text waiting to
 * be sent (filled by the decoding thread, drained by the content reader). It runs on a
 * thread of its own while its connection is suspended, so that the server's few
 * connection threads never wait for a model or a person; the job's thread resumes the
 * connection when it has delivered text or finished. Two owners (the connection and the
 * job's thread) hold references; the last one frees it. */
typedef struct gen_job {
    sw_server *s;
    srv_req *r;         /* valid only inside the access handler and the content reader */
    json_t *body;
    srv_gen_params prm;
    int chat;
    sw_gen_request req;
    json_t *steward;    /* the answer's steward object, once built */
    char id[ID_MAX];
    long long created;
    char owner[SW_KEY_ID_CHARS + 1];
    sw_key_info key;
    sw_gen_result res;
    int rc;
    sw_err err;
    struct MHD_Connection *conn;
    atomic_int refs;
    int takeover;       /* the conversation is answered by a person */
    json_t *final;      /* whole answers decided on the job's thread (held, a person's) */
    const char *fail_code; /* error code when rc < 0 (NULL: generation_failed) */
    /* under mu */
    pthread_mutex_t mu;
    sw_buf pending;     /* delivered text not yet sent (streams) */
    int done, client_gone, counted;
    int suspended;      /* the connection waits for the job's thread */
    int halted_stop;    /* the generation stopped because a person halted generation */
    int halt_seen;      /* streams: stream_fill saw the halt; nothing more is appended */
    int halted_wait;    /* a halt ended the wait for a person (review, takeover reply) */
    srv_waiter waiter;  /* streams: registered so that a halt wakes them */
    long long review_id; /* > 0 once the answer is held for review */
    /* work other than a generation (srv_defer): run on the job's thread, its outcome sent */
    srv_work_fn work;
    void *work_ud;
    void (*work_free)(void *ud);
    srv_outcome outcome;
    /* owned by the content reader */
    sw_buf out;
    size_t out_off;
    int role_sent, final_sent;
} gen_job;

/* ---- opening the pipeline ---- */

int srv_pipeline_open(sw_server *s, sw_err *err) {
    sw_pipeline_opts po = {.home = s->home,
                           .model_path = s->o.model_path,
                           .threads = s->o.threads,
                           .principal = "server",
                           .policy_path = s->o.policy_path,
                           .parallel = s->o.parallel,
                           .chat_template = s->o.chat_template,
                           .upstream = s->o.upstream,
                           .upstream_key = s->o.upstream_key,
                           .upstream_model = s->o.upstream_model};
    if (sw_pipeline_open(&po, &s->p, err) < 0) return -1;
    s->guard = sw_pipeline_guard(s->p);
    return 0;
}

void srv_pipeline_close(sw_server *s) {
    s->guard = NULL;
    sw_pipeline_close(s->p);
    s->p = NULL;
}

/* ---- the request as the pipeline takes it ---- */

static int first_turn(const srv_gen_params *p) {
    for (int i = 0; i < p->n_msgs; i++)
        if (strcmp(p->msgs[i].role, "assistant") == 0) return 0;
    return 1;
}

static int on_text(void *ud, const char *text, size_t len);
static int job_halted(void *ud);

static void fill_request(gen_job *j, sw_gen_request *req) {
    const srv_gen_params *p = &j->prm;
    memset(req, 0, sizeof *req);
    sw_sampler_params_default(&req->sampling);
    if (p->has_temperature) req->sampling.temperature = (float)p->temperature;
    if (p->has_top_p) req->sampling.top_p = (float)p->top_p;
    if (p->has_seed) req->sampling.seed = p->seed;
    else randombytes_buf(&req->sampling.seed, sizeof req->sampling.seed);
    req->sampling.seed &= 0x7fffffffffffffffull; /* fits JSON integers */
    req->sampling.n_logprobs = p->logprobs ? (p->top_logprobs > 0 ? p->top_logprobs : 1) : 0;
    req->chat = j->chat;
    req->messages = p->msgs;
    req->n_messages = p->n_msgs;
    req->prompt = p->prompt;
    req->principal = j->owner;
    req->conversation = p->conversation;
    req->first_turn = j->chat && first_turn(p);
    req->max_tokens = p->max_tokens;
    req->ignore_eos = p->ignore_eos;
    req->stop = p->stop;
    req->n_stop = p->n_stop;
    req->grammar = p->grammar;
    req->on_text = on_text;
    req->ud = j;
    req->buffered = !p->stream; /* a plain answer leaves whole: a halted one delivers nothing */
    req->halted = job_halted;
}

static const char *refusal_text(const sw_gen_result *res) { return res->refusal ? res->refusal : SRV_REFUSAL; }

/* The fields of `steward generate --json` (sw_gen_result_json) that every answer carries. */
static json_t *steward_build(gen_job *j) {
    static const char *keep[] = {"finish_reason", "verdicts", "label",  "manifest", "audit",
                                 "policy_sha256", "seed",     "timings", "energy"};
    json_t *all = sw_gen_result_json(j->s->p, &j->req, &j->res);
    json_t *o = json_object();
    for (size_t i = 0; all && i < sizeof keep / sizeof keep[0]; i++) {
        json_t *v = json_object_get(all, keep[i]);
        if (v) json_object_set(o, keep[i], v);
    }
    json_decref(all);
    if (j->prm.proof) {
        sw_err err;
        json_t *pr = srv_audit_proof(j->s, j->res.audit_index, &err);
        json_object_set_new(o, "proof", pr ? pr : json_pack("{s:s}", "error", err.msg));
    }
    return o;
}

/* The steward object, built once per answer (a stream and its stored copy share it); a
 * new reference. */
static json_t *steward_object(gen_job *j) {
    if (!j->steward) j->steward = steward_build(j);
    return json_incref(j->steward);
}

/* ---- running it ---- */

/* Resumes the connection when it waits for this job. Called with j->mu held. */
static void wake(gen_job *j) {
    if (!j->suspended || j->client_gone) return;
    j->suspended = 0;
    MHD_resume_connection(j->conn);
}

/* A halt's wake-up of a registered stream (srv_waiter.wake; called with j->mu held). */
static void wake_waiter(void *ud) { wake(ud); }

/* Suspends the connection until wake(). Called with j->mu held, from the access handler
 * or the content reader (the only places libmicrohttpd allows it). */
static void wait_for_work(gen_job *j) {
    j->suspended = 1;
    MHD_suspend_connection(j->conn);
}

/* sw_text_fn: a stream's text waits in pending for the content reader. The halt is read
 * under j->mu, as stream_fill reads it, so that the text the pipeline counts as delivered
 * (passed before SW_TEXT_HALT) is exactly what the stream sends before its halt event. */
static int on_text(void *ud, const char *text, size_t len) {
    gen_job *j = ud;
    int stop = 0;
    if (j->prm.stream) {
        pthread_mutex_lock(&j->mu);
        if (atomic_load(&j->s->halted) || j->halt_seen) {
            j->halted_stop = 1;
        } else {
            sw_buf_append(&j->pending, text, len);
            stop = j->client_gone;
            wake(j);
        }
        pthread_mutex_unlock(&j->mu);
    } else if (atomic_load(&j->s->halted)) {
        j->halted_stop = 1;
    }
    if (j->halted_stop) return SW_TEXT_HALT; /* a person halted generation */
    if (atomic_load(&j->s->cancel)) {
        if (!j->counted) atomic_fetch_add(&j->s->cancelled, 1);
        j->counted = 1;
        stop = 1;
    }
    return stop;
}

/* sw_gen_request.halted: asked before every token, so that a halt ends the generation
 * even while the output guard holds its text back (on_text is then not called). A stream
 * that has sent its halt event stays halted after a resume. */
static int job_halted(void *ud) {
    gen_job *j = ud;
    int halted = atomic_load(&j->s->halted);
    if (!halted && j->prm.stream) {
        pthread_mutex_lock(&j->mu);
        halted = j->halt_seen;
        pthread_mutex_unlock(&j->mu);
    }
    if (halted) j->halted_stop = 1;
    return halted;
}

static void job_release(gen_job *j);

static void run(gen_job *j) {
    fill_request(j, &j->req);
    j->rc = sw_pipeline_generate(j->s->p, &j->req, &j->res, &j->err);
    sw_err err;
    if (j->rc == 0 && sw_store_limit_charge(j->s->st, &j->key, j->res.usage_tokens, &err) < 0)
        sw_log(SW_LOG_ERROR, "serve: %s", err.msg);
    const json_t *vs[2] = {j->res.verdict_in, j->res.verdict_out};
    for (int v = 0; v < 2; v++) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(vs[v], "findings"), i, f) {
            const char *act = json_string_value(json_object_get(f, "action"));
            if (act && (strcmp(act, "block") == 0 || strcmp(act, "review") == 0))
                srv_metrics_block(&j->s->m, json_string_value(json_object_get(f, "category")));
        }
    }
}

static json_t *decide_whole(gen_job *j);

/* The job's thread: the generation (or a person's answer), then the connection resumed. */
static void *run_thread(void *ud) {
    gen_job *j = ud;
    if (j->work) {
        j->work(j->work_ud, &j->outcome);
    } else {
        if (!j->takeover) run(j);
        if (j->takeover || !j->prm.stream) j->final = decide_whole(j); /* a person's answer streams whole */
    }
    pthread_mutex_lock(&j->mu);
    j->done = 1;
    wake(j);
    pthread_mutex_unlock(&j->mu);
    job_release(j);
    return NULL;
}

/* Drops one reference; the last frees the job. */
static void job_release(gen_job *j) {
    if (!j || atomic_fetch_sub(&j->refs, 1) != 1) return;
    if (j->work_free) j->work_free(j->work_ud);
    json_decref(j->outcome.body);
    json_decref(j->steward);
    json_decref(j->final);
    sw_gen_result_free(&j->res);
    srv_gen_params_free(&j->prm);
    json_decref(j->body);
    sw_buf_free(&j->pending);
    sw_buf_free(&j->out);
    pthread_mutex_destroy(&j->mu);
    if (!j->work) atomic_fetch_sub(&j->s->gen_inflight, 1);
    free(j);
}

/* Runs the job on a detached thread of its own, which holds a reference. -1 when no
 * thread can be started. */
static int start_thread(gen_job *j) {
    pthread_t th;
    atomic_fetch_add(&j->refs, 1);
    if (pthread_create(&th, NULL, run_thread, j) != 0) {
        atomic_fetch_sub(&j->refs, 1);
        return -1;
    }
    pthread_detach(th);
    return 0;
}

/* ---- the answer's JSON ---- */

static const char *finish_reason(const sw_gen_result *r) {
    const char *f = r->finish_reason ? r->finish_reason : "stop";
    if (strcmp(f, "blocked") == 0 || strcmp(f, "review") == 0) return "content_filter";
    return f;
}

static int refused(const sw_gen_result *r) { return strcmp(finish_reason(r), "content_filter") == 0; }

/* A token's text as valid UTF-8 (ill-formed bytes as U+FFFD) and its bytes. */
static json_t *token_json(const sw_pipeline *p, int32_t id, float lp, const char *key_lp) {
    sw_buf b = {0}, u = {0};
    sw_pipeline_token_text(p, id, &b, NULL);
    json_t *bytes = json_array();
    const unsigned char *t = (const unsigned char *)(b.data ? b.data : "");
    for (size_t i = 0; i < b.len; i++) json_array_append_new(bytes, json_integer(t[i]));
    for (size_t i = 0; i < b.len;) {
        int l = sw_utf8_seq_len(t + i, b.len - i);
        sw_buf_append(&u, l ? (const char *)t + i : "\xEF\xBF\xBD", l ? (size_t)l : 3);
        i += l ? (size_t)l : 1;
    }
    json_t *o = json_pack("{s:s%, s:f, s:o}", "token", u.data ? u.data : "", u.len, key_lp, (double)lp, "bytes", bytes);
    sw_buf_free(&b);
    sw_buf_free(&u);
    return o;
}

/* Chat's {"content": [{token, logprob, bytes, top_logprobs}]}. */
static json_t *chat_logprobs(gen_job *j) {
    const sw_gen_result *r = &j->res;
    if (!j->prm.logprobs || !r->logprobs) return json_null();
    const sw_pipeline *tk = j->s->p;
    json_t *content = json_array();
    for (int i = 0; i < r->n_tokens; i++) {
        json_t *t = token_json(tk, r->tokens[i], r->logprobs[i].chosen, "logprob");
        json_t *top = json_array();
        for (int k = 0; k < j->prm.top_logprobs; k++)
            json_array_append_new(top, token_json(tk, r->logprobs[i].top[k].id, r->logprobs[i].top[k].logprob,
                                                  "logprob"));
        json_object_set_new(t, "top_logprobs", top);
        json_array_append_new(content, t);
    }
    return json_pack("{s:o, s:n}", "content", content, "refusal");
}

/* Completions' {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}. */
static json_t *completion_logprobs(gen_job *j) {
    const sw_gen_result *r = &j->res;
    if (!j->prm.logprobs || !r->logprobs) return json_null();
    const sw_pipeline *tk = j->s->p;
    json_t *toks = json_array(), *lps = json_array(), *tops = json_array(), *offs = json_array();
    long long off = 0;
    for (int i = 0; i < r->n_tokens; i++) {
        json_t *t = token_json(tk, r->tokens[i], r->logprobs[i].chosen, "logprob");
        const char *text = json_string_value(json_object_get(t, "token"));
        json_array_append_new(toks, json_string(text));
        json_array_append_new(lps, json_real(r->logprobs[i].chosen));
        json_array_append_new(offs, json_integer(off));
        off += (long long)strlen(text);
        json_t *top = json_object();
        for (int k = 0; k < j->prm.top_logprobs; k++) {
            json_t *a = token_json(tk, r->logprobs[i].top[k].id, r->logprobs[i].top[k].logprob, "logprob");
            json_object_set(top, json_string_value(json_object_get(a, "token")), json_object_get(a, "logprob"));
            json_decref(a);
        }
        json_array_append_new(tops, top);
        json_decref(t);
    }
    return json_pack("{s:o, s:o, s:o, s:o}", "tokens", toks, "token_logprobs", lps, "top_logprobs", tops,
                     "text_offset", offs);
}

static json_t *usage_json(const sw_gen_result *r) {
    return json_pack("{s:i, s:i, s:i}", "prompt_tokens", r->prompt_tokens, "completion_tokens", r->usage_tokens,
                     "total_tokens", r->prompt_tokens + r->usage_tokens);
}

/* The whole answer (chat.completion or text_completion). */
static json_t *answer_json(gen_job *j) {
    const sw_gen_result *r = &j->res;
    const char *text = refused(r) ? refusal_text(r) : (r->labelled_text.data ? r->labelled_text.data : "");
    json_t *choice;
    if (j->chat)
        choice = json_pack("{s:i, s:{s:s, s:s, s:n}, s:o, s:s}", "index", 0, "message", "role", "assistant",
                           "content", text, "refusal", "logprobs", chat_logprobs(j), "finish_reason",
                           finish_reason(r));
    else
        choice = json_pack("{s:i, s:s, s:o, s:s}", "index", 0, "text", text, "logprobs", completion_logprobs(j),
                           "finish_reason", finish_reason(r));
    return json_pack("{s:s, s:s, s:I, s:s, s:[o], s:o, s:o}", "id", j->id, "object",
                     j->chat ? "chat.completion" : "text_completion", "created", (json_int_t)j->created, "model",
                     j->s->model_id, "choices", choice, "usage", usage_json(r), "steward", steward_object(j));
}

static void store_answer(gen_job *j, const json_t *answer) {
    if (!j->chat || !j->prm.store || !answer) return;
    char *text = json_dumps(answer, JSON_COMPACT);
    sw_err err;
    if (!text || sw_store_completion_put(j->s->st, j->id, j->owner, text, &err) < 0)
        sw_log(SW_LOG_ERROR, "serve: cannot store completion %s: %s", j->id, text ? err.msg : "out of memory");
    free(text);
}

/* ---- streaming: server-sent events ---- */

static int sse(sw_buf *out, json_t *obj) {
    char *t = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!t) return -1;
    int rc = sw_buf_printf(out, "data: %s\n\n", t);
    free(t);
    return rc;
}

/* A chunk with one choice: delta (chat) or text (completions), and finish_reason. */
static json_t *chunk(gen_job *j, const char *text, size_t len, int role, const char *finish) {
    json_t *choice = json_pack("{s:i, s:n, s:s?}", "index", 0, "logprobs", "finish_reason", finish);
    if (!finish) json_object_set_new(choice, "finish_reason", json_null());
    if (j->chat) {
        json_t *delta = json_object();
        if (role) json_object_set_new(delta, "role", json_string("assistant"));
        if (text) json_object_set_new(delta, "content", json_stringn(text, len));
        json_object_set_new(choice, "delta", delta);
    } else {
        json_object_set_new(choice, "text", json_stringn(text ? text : "", text ? len : 0));
    }
    return json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", j->id, "object",
                     j->chat ? "chat.completion.chunk" : "text_completion", "created", (json_int_t)j->created,
                     "model", j->s->model_id, "choices", choice);
}

static int is_review(const sw_gen_result *r) { return r->finish_reason && strcmp(r->finish_reason, "review") == 0; }

/* Holds the answer for review; *pending receives the completion object to answer with
 * while it is pending (new reference). -1 with j->err. */
static int hold(gen_job *j, json_t **pending) {
    srv_hold h = {.completion_id = j->id, .owner_key_id = j->owner, .chat = j->chat, .request = j->body,
                  .held = j->res.held.len ? j->res.held.data : NULL, .held_len = j->res.held.len,
                  .verdict_in = j->res.verdict_in, .verdict_out = j->res.verdict_out,
                  .conversation = j->prm.conversation, .created = j->created, .model = j->s->model_id};
    return srv_review_hold(j->s, &h, &j->review_id, pending, &j->err);
}

/* A stream held for review: the last chunk (finish_reason content_filter, steward with
 * review {id, status "pending"}), an "event: review" with {id, status, completion_id},
 * then [DONE]. */
static int stream_review(gen_job *j) {
    sw_buf *o = &j->out;
    json_t *pending = NULL;
    if (hold(j, &pending) < 0) {
        json_t *e = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", j->err.msg, "type", "server_error",
                              "param", "code", "review_failed");
        return sse(o, e) | sw_buf_puts(o, "data: [DONE]\n\n");
    }
    json_t *last = chunk(j, NULL, 0, 0, "content_filter");
    json_object_set(last, "steward", json_object_get(pending, "steward"));
    json_decref(pending);
    int rc = sse(o, last);
    json_t *ev = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)j->review_id, "status", "pending", "completion_id",
                           j->id);
    char *t = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    rc |= t ? sw_buf_printf(o, "event: review\ndata: %s\n\n", t) : -1;
    free(t);
    return rc | sw_buf_puts(o, "data: [DONE]\n\n");
}

/* A stream stopped by a halt: an error event carrying the reason, then [DONE]. */
static int stream_halted(gen_job *j) {
    char msg[SW_HALT_REASON_MAX + 64];
    srv_halt_message(j->s, msg, sizeof msg);
    json_t *e = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", msg, "type", "server_error", "param", "code",
                          "halted");
    return sse(&j->out, e) | sw_buf_puts(&j->out, "data: [DONE]\n\n");
}

/* The end of a stream: the refusal when the answer was refused, the finishing chunk with
 * its logprobs and `steward` object, usage when asked, [DONE]. */
static int stream_end(gen_job *j) {
    sw_buf *o = &j->out;
    if (j->rc < 0) {
        json_t *e = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", j->err.msg, "type", "server_error",
                              "param", "code", "generation_failed");
        return sse(o, e) | sw_buf_puts(o, "data: [DONE]\n\n");
    }
    int rc = 0;
    if (is_review(&j->res)) return stream_review(j);
    if (refused(&j->res)) {
        const char *t = refusal_text(&j->res);
        rc |= sse(o, chunk(j, t, strlen(t), 0, NULL));
    }
    json_t *last = chunk(j, NULL, 0, 0, finish_reason(&j->res));
    json_t *c0 = json_array_get(json_object_get(last, "choices"), 0);
    json_object_set_new(c0, "logprobs", j->chat ? chat_logprobs(j) : completion_logprobs(j));
    json_object_set_new(last, "steward", steward_object(j));
    rc |= sse(o, last);
    if (j->prm.include_usage) {
        json_t *u = chunk(j, NULL, 0, 0, NULL);
        json_object_set_new(u, "choices", json_array());
        json_object_set_new(u, "usage", usage_json(&j->res));
        rc |= sse(o, u);
    }
    return rc | sw_buf_puts(o, "data: [DONE]\n\n");
}

/* Fills j->out with the next events: 1 when it did, 0 when there is nothing more to send,
 * STREAM_WAIT when the job's thread has delivered nothing yet (the connection is then
 * suspended until it does, or until a halt wakes it). */
static int stream_fill(gen_job *j) {
    if (!j->role_sent) {
        j->role_sent = 1;
        if (j->chat) return sse(&j->out, chunk(j, "", 0, 1, NULL)) == 0;
    }
    if (j->final_sent) return 0;
    pthread_mutex_lock(&j->mu);
    int halted = atomic_load(&j->s->halted);
    if (!j->pending.len && !j->done && !halted) {
        wait_for_work(j);
        pthread_mutex_unlock(&j->mu);
        return STREAM_WAIT;
    }
    sw_buf text = j->pending;
    memset(&j->pending, 0, sizeof j->pending);
    int done = j->done;
    if (halted) j->halt_seen = 1; /* from now on on_text appends nothing (even after a resume) */
    pthread_mutex_unlock(&j->mu);
    int rc = 0;
    if (halted && !(done && j->rc == 0 && !j->halted_stop)) {
        /* a halt: the text passed before it was delivered (the audit record's hash covers
         * it), then the halt's error event; nothing after it is sent */
        if (text.len) rc |= sse(&j->out, chunk(j, text.data, text.len, 0, NULL));
        sw_buf_free(&text);
        j->final_sent = 1;
        return (rc | stream_halted(j)) == 0;
    }
    if (text.len) rc |= sse(&j->out, chunk(j, text.data, text.len, 0, NULL));
    sw_buf_free(&text);
    if (done) {
        j->final_sent = 1;
        rc |= stream_end(j);
        json_t *a = j->rc == 0 && !is_review(&j->res) ? answer_json(j) : NULL;
        store_answer(j, a);
        json_decref(a);
        j->r->prompt_tokens = j->res.prompt_tokens;
        j->r->completion_tokens = j->res.usage_tokens;
    }
    return rc == 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    gen_job *j = cls;
    while (j->out_off == j->out.len) {
        sw_buf_reset(&j->out);
        j->out_off = 0;
        int f = stream_fill(j);
        if (f == STREAM_WAIT) return 0; /* called again once the connection is resumed */
        if (!f) return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = j->out.len - j->out_off;
    if (n > max) n = max;
    memcpy(buf, j->out.data + j->out_off, n);
    j->out_off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls) {
    gen_job *j = cls;
    srv_stream_unregister(j->s, &j->waiter);
    pthread_mutex_lock(&j->mu);
    j->client_gone = 1;
    pthread_mutex_unlock(&j->mu);
    job_release(j);
}

static enum MHD_Result start_stream(srv_req *r, gen_job *j) {
    if (start_thread(j) < 0) {
        job_release(j);
        return srv_send_error(r, 503, "server_error", "overloaded", NULL, "cannot start the generation");
    }
    j->waiter.mu = &j->mu;
    j->waiter.wake = wake_waiter;
    j->waiter.ud = j;
    srv_stream_register(r->s, &j->waiter);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, j, stream_free);
    if (!resp) {
        stream_free(j);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return srv_queue(r, 200, resp);
}

/* ---- the route ---- */

/* A job for owner's request body (borrowed: freed with the job). NULL when out of memory. */
static gen_job *job_alloc(sw_server *s, const sw_key_info *owner, json_t *body, int chat) {
    gen_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->s = s;
    atomic_init(&j->refs, 1);
    j->body = body;
    j->chat = chat;
    j->created = (long long)time(NULL);
    j->key = *owner;
    snprintf(j->owner, sizeof j->owner, "%s", owner->id);
    srv_new_id(s, chat ? "chatcmpl" : "cmpl", j->id, sizeof j->id);
    pthread_mutex_init(&j->mu, NULL);
    atomic_fetch_add(&s->gen_inflight, 1);
    return j;
}

static gen_job *job_new(srv_req *r, json_t *body, int chat) {
    gen_job *j = job_alloc(r->s, &r->key, body, chat);
    if (j) {
        j->r = r;
        j->conn = r->c;
    }
    return j;
}

int srv_generate_approved(sw_server *s, const json_t *body, int chat, const sw_key_info *owner,
                          sw_gen_result *res, int *halted, sw_err *err) {
    memset(res, 0, sizeof *res);
    *halted = 0;
    json_t *copy = json_deep_copy(body);
    gen_job *j = copy ? job_alloc(s, owner, copy, chat) : NULL;
    if (!j) {
        json_decref(copy);
        return sw_err_set(err, "approved generation: out of memory");
    }
    int rc = -1;
    if (srv_gen_params_parse(copy, chat, &j->prm) < 0) {
        sw_err_set(err, "approved generation: the held request no longer parses: %s", j->prm.why);
    } else {
        j->prm.stream = 0;
        fill_request(j, &j->req);
        j->req.input_approved = 1;
        rc = sw_pipeline_generate(s->p, &j->req, &j->res, err);
        sw_err cerr;
        if (rc == 0 && owner->id[0] && sw_store_limit_charge(s->st, owner, j->res.usage_tokens, &cerr) < 0)
            sw_log(SW_LOG_ERROR, "serve: %s", cerr.msg);
    }
    if (rc == 0 && j->halted_stop) { /* cut short by a halt: nothing of it is delivered */
        char msg[SW_HALT_REASON_MAX + 64];
        srv_halt_message(s, msg, sizeof msg);
        *halted = 1;
        job_release(j);
        return sw_err_set(err, "%s", msg);
    }
    *res = j->res;
    memset(&j->res, 0, sizeof j->res);
    job_release(j);
    return rc;
}

json_t *srv_answer_delivered(sw_server *s, const char *id, int chat, long long created, const sw_gen_result *res) {
    int refused_ = res->refusal != NULL; /* blocked by the output guard: the refusal, unlabelled */
    const char *text = refused_ ? res->refusal : (res->labelled_text.data ? res->labelled_text.data : "");
    const char *finish = refused_ || strcmp(res->finish_reason, "blocked") == 0 ? "content_filter" : "stop";
    json_t *choice = chat ? json_pack("{s:i, s:{s:s, s:s, s:n}, s:n, s:s}", "index", 0, "message", "role",
                                      "assistant", "content", text, "refusal", "logprobs", "finish_reason", finish)
                          : json_pack("{s:i, s:s, s:n, s:s}", "index", 0, "text", text, "logprobs", "finish_reason",
                                      finish);
    json_t *st = json_pack("{s:s, s:s, s:{s:O*}, s:O*, s:O*, s:{s:I}, s:s}", "finish_reason", res->finish_reason,
                           "author", res->author == SW_AUTHOR_MODEL ? "model" : "human", "verdicts", "output",
                           res->verdict_out, "label", json_object_get(res->manifest, "label"), "manifest",
                           res->manifest, "audit", "index", (json_int_t)res->audit_index, "policy_sha256",
                           sw_pipeline_policy_sha256(s->p));
    if (st && res->author == SW_AUTHOR_EDITED) json_object_set_new(st, "edited", json_true());
    return json_pack("{s:s, s:s, s:I, s:s, s:[o], s:{s:i, s:i, s:i}, s:o}", "id", id, "object",
                     chat ? "chat.completion" : "text_completion", "created", (json_int_t)created, "model",
                     s->model_id, "choices", choice, "usage", "prompt_tokens", res->prompt_tokens,
                     "completion_tokens", res->usage_tokens, "total_tokens", res->prompt_tokens + res->usage_tokens,
                     "steward", st);
}

json_t *srv_answer_reply(sw_server *s, const char *id, int chat, long long created, const char *conv,
                         const sw_gen_result *res) {
    json_t *a = srv_answer_delivered(s, id, chat, created, res);
    json_object_set_new(json_object_get(a, "steward"), "takeover",
                        json_pack("{s:s, s:s}", "conversation", conv, "status", "answered"));
    return a;
}

/* A whole answer as a stream: role, content, the last chunk with its steward object, [DONE].
 * Takes the answer; releases the job. */
static enum MHD_Result send_as_stream(srv_req *r, gen_job *j, json_t *answer) {
    json_t *c0 = json_array_get(json_object_get(answer, "choices"), 0);
    json_t *content =
        j->chat ? json_object_get(json_object_get(c0, "message"), "content") : json_object_get(c0, "text");
    int rc = j->chat ? sse(&j->out, chunk(j, "", 0, 1, NULL)) : 0;
    if (json_is_string(content))
        rc |= sse(&j->out, chunk(j, json_string_value(content), json_string_length(content), 0, NULL));
    json_t *last = chunk(j, NULL, 0, 0, json_string_value(json_object_get(c0, "finish_reason")));
    json_object_set(last, "steward", json_object_get(answer, "steward"));
    rc |= sse(&j->out, last) | sw_buf_puts(&j->out, "data: [DONE]\n\n");
    json_decref(answer);
    sw_buf out = j->out;
    memset(&j->out, 0, sizeof j->out);
    job_release(j);
    if (rc) {
        sw_buf_free(&out);
        return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "out of memory");
    }
    return srv_send(r, 200, "text/event-stream", out.data, out.len);
}

/* The answer of a conversation a person has taken over (on the job's thread: it waits up
 * to --review-wait for the person): the person's reply, delivered as human-written; or,
 * when none came, no content and steward.takeover {conversation, status "pending"}. NULL
 * with j->rc -1 and j->err on failure. */
static json_t *answer_taken_over(gen_job *j) {
    sw_gen_result none = {.finish_reason = "takeover", .audit_index = -1, .author = SW_AUTHOR_HUMAN};
    json_t *pending = srv_answer_delivered(j->s, j->id, j->chat, j->created, &none);
    json_t *c0 = json_array_get(json_object_get(pending, "choices"), 0);
    if (j->chat) json_object_set_new(json_object_get(c0, "message"), "content", json_null());
    json_object_set_new(json_object_get(pending, "steward"), "takeover",
                        json_pack("{s:s, s:s}", "conversation", j->prm.conversation, "status", "pending"));
    sw_gen_result res;
    int got = srv_takeover_answer(j->s, j->prm.conversation, j->owner, j->id, j->chat, j->created, pending, &res,
                                  &j->err);
    if (got < 0) {
        sw_gen_result_free(&res);
        json_decref(pending);
        j->rc = -1;
        j->fail_code = "delivery_failed";
        return NULL;
    }
    if (!got) {
        if (atomic_load(&j->s->halted)) j->halted_wait = 1; /* the client gets the halt, with the ids */
        return pending;
    }
    json_decref(pending);
    json_t *a = srv_answer_reply(j->s, j->id, j->chat, j->created, j->prm.conversation, &res);
    sw_gen_result_free(&res);
    store_answer(j, a);
    return a;
}

/* A plain answer the policy sent to review (on the job's thread): held, then the decision
 * if it comes within --review-wait, else the pending object. NULL with j->rc -1 on
 * failure. */
static json_t *answer_held(gen_job *j) {
    json_t *pending = NULL, *decided = NULL;
    int rc = hold(j, &pending);
    if (rc == 0) rc = srv_review_wait(j->s, j->review_id, j->id, j->owner, &decided, &j->err);
    if (rc < 0) {
        json_decref(pending);
        j->rc = -1;
        j->fail_code = "review_failed";
        return NULL;
    }
    if (decided) {
        json_decref(pending);
        return decided;
    }
    if (atomic_load(&j->s->halted)) j->halted_wait = 1; /* the client gets the halt, with the ids */
    return pending;
}

/* What a whole (not streamed) answer becomes on the job's thread when it is not the
 * generation's own: a person's answer, or the held one. NULL: the generation's answer. */
static json_t *decide_whole(gen_job *j) {
    if (j->takeover) return answer_taken_over(j);
    if (j->rc == 0 && !j->halted_stop && is_review(&j->res)) return answer_held(j);
    return NULL;
}

static enum MHD_Result send_halted(srv_req *r) {
    char msg[SW_HALT_REASON_MAX + 64];
    srv_halt_message(r->s, msg, sizeof msg);
    return srv_send_error(r, 503, "server_error", "halted", NULL, "%s", msg);
}

/* A whole answer whose wait for a person (review decision, takeover reply) a halt ended:
 * 503 "halted" with the halt's message, like every generation the halt stops, and the
 * pending answer's id and steward object (review or takeover status), so that its owner
 * can poll GET /v1/chat/completions/{id} after resume. */
static enum MHD_Result send_halted_wait(srv_req *r, const json_t *pending) {
    char msg[SW_HALT_REASON_MAX + 64];
    srv_halt_message(r->s, msg, sizeof msg);
    json_t *e = json_pack("{s:{s:s, s:s, s:n, s:s}, s:O?, s:O?}", "error", "message", msg, "type", "server_error",
                          "param", "code", "halted", "id", json_object_get(pending, "id"), "steward",
                          json_object_get(pending, "steward"));
    return srv_send_json(r, 503, e);
}

/* 1 when the request's conversation is taken over by a person; -1 on a store error. */
static int taken_over(gen_job *j) {
    if (!j->prm.conversation) return 0;
    return sw_store_takeover_get(j->s->st, j->prm.conversation, NULL, NULL, &j->err);
}

/* Sends a finished whole answer (or, for a conversation taken over, its stream form);
 * releases the job. */
static enum MHD_Result send_answer(srv_req *r) {
    gen_job *j = r->work;
    r->resume = NULL;
    r->work = NULL;
    if (j->work) {
        enum MHD_Result rc = srv_send_outcome(r, &j->outcome);
        job_release(j);
        return rc;
    }
    if (j->halted_stop) {
        job_release(j);
        return send_halted(r);
    }
    if (j->halted_wait && j->final) {
        enum MHD_Result rc = send_halted_wait(r, j->final);
        job_release(j);
        return rc;
    }
    if (j->rc < 0) {
        enum MHD_Result rc = srv_send_error(r, 500, "server_error", j->fail_code ? j->fail_code : "generation_failed",
                                            NULL, "%s", j->err.msg);
        job_release(j);
        return rc;
    }
    r->prompt_tokens = j->res.prompt_tokens;
    r->completion_tokens = j->res.usage_tokens;
    json_t *a = j->final ? json_incref(j->final) : answer_json(j);
    if (j->takeover && j->prm.stream) return send_as_stream(r, j, a);
    if (!j->final) store_answer(j, a);
    job_release(j);
    return srv_send_json(r, 200, a);
}

/* Starts a job answered whole: the connection is suspended until it ends, then
 * send_answer runs in place of the route. */
static enum MHD_Result start_whole(srv_req *r, gen_job *j) {
    if (start_thread(j) < 0) {
        job_release(j);
        return srv_send_error(r, 503, "server_error", "overloaded", NULL, "cannot start the generation");
    }
    r->work = j;
    pthread_mutex_lock(&j->mu);
    int done = j->done;
    if (!done) {
        r->resume = send_answer;
        wait_for_work(j);
    }
    pthread_mutex_unlock(&j->mu);
    return done ? send_answer(r) : MHD_YES;
}

enum MHD_Result srv_send_outcome(srv_req *r, srv_outcome *o) {
    json_t *body = o->body;
    o->body = NULL;
    if (body) return srv_send_json(r, o->status, body);
    return srv_send_error(r, o->status ? o->status : 500, o->type ? o->type : "server_error",
                          o->code ? o->code : "internal_error", NULL, "%s", o->err.msg);
}

enum MHD_Result srv_defer(srv_req *r, srv_work_fn fn, void *ud, void (*ud_free)(void *ud)) {
    gen_job *j = job_new(r, NULL, 0);
    if (!j) {
        ud_free(ud);
        return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "out of memory");
    }
    atomic_fetch_sub(&r->s->gen_inflight, 1); /* the work counts its own generations */
    j->work = fn;
    j->work_ud = ud;
    j->work_free = ud_free;
    return start_whole(r, j);
}

enum MHD_Result srv_route_generate(srv_req *r, int chat) {
    if (atomic_load(&r->s->halted)) return send_halted(r);
    json_t *body = srv_body_json(r);
    if (!body) return MHD_YES;
    if (atomic_load(&r->s->gen_inflight) >= SW_SERVER_MAX_INFLIGHT) {
        json_decref(body);
        return srv_send_error(r, 503, "server_error", "overloaded", NULL, "too many generations in flight; retry");
    }
    gen_job *j = job_new(r, body, chat);
    if (!j) {
        json_decref(body);
        return srv_send_error(r, 500, "server_error", "out_of_memory", NULL, "out of memory");
    }
    if (srv_gen_params_parse(body, chat, &j->prm) < 0) {
        enum MHD_Result rc =
            srv_send_error(r, 400, "invalid_request_error", "invalid_value", j->prm.param, "%s", j->prm.why);
        job_release(j);
        return rc;
    }
    int taken = taken_over(j);
    if (taken < 0) {
        enum MHD_Result rc = srv_send_error(r, 500, "server_error", "store_error", NULL, "%s", j->err.msg);
        job_release(j);
        return rc;
    }
    j->takeover = taken;
    return j->prm.stream && !taken ? start_stream(r, j) : start_whole(r, j);
}
