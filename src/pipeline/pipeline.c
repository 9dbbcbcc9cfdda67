/* pipeline.c - the request path: prompt -> tokens -> forward/sample loop -> text, with
 * timings and energy; the place where every control plugs in. The runtime (struct
 * sw_pipeline) is shared by every request and read-only once open, apart from the parts
 * that lock for themselves (the audit log, the decoder); a request's state lives in its
 * session (struct session), on the requesting thread's stack. */
#include "steward/pipeline.h"
#include "steward/threads.h"
#include "steward/audit.h"
#include "steward/keys.h"
#include "batch.h"
#include "outguard.h"
#include "consistency.h"
#include "documents.h"
#include "uncertainty.h"
#include "upstream.h"
#include "stop.h"

#include <sodium.h>

#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIGNING_KEY_NAME "signing"
#define PRINCIPAL_MAX 128
#define DEFAULT_MAX_TOKENS 256
#define N_CTX_DEFAULT_MAX 4096 /* the context when none is asked: the model's, up to this */
#define N_CTX_FALLBACK 2048    /* ... or this when the model does not say */

struct sw_pipeline {
    sw_model *model;    /* NULL when generation goes upstream */
    sw_batch *batch;    /* the decoder: every forward pass runs on its thread (NULL upstream) */
    sw_upstream *upstream; /* generation by another server, or NULL */
    sw_chat_style chat; /* the chat template in use */
    char home[PATH_MAX];
    char model_path[PATH_MAX];
    char model_sha256[2 * SW_SHA256_BYTES + 1];
    sw_wm_params wm;
    uint8_t wm_key[SW_WM_KEY_BYTES];
    sw_keypair signer;
    sw_label_opts label;
    sw_audit *audit;
    char principal[PRINCIPAL_MAX];
    sw_guard *guard;
    uint8_t guard_key[32];
    sw_guard_ppl ppl; /* perplexity thresholds for this model, when calibrated */
    int has_ppl;
    sw_grammar_vocab *gvocab; /* the model's tokens for grammar masks */
};

#define SHIPPED_REL_MAX 128 /* "share/steward/models/" and a model's file name */

/* $STEWARD_MODEL, else models/NAME beside the executable or in an installed share/. */
static const char *shipped_model(const char *name, char *buf, size_t bufsz) {
    const char *env = getenv("STEWARD_MODEL");
    if (env && *env) {
        snprintf(buf, bufsz, "%s", env);
        return buf;
    }
    char rel[SHIPPED_REL_MAX];
    /* ./steward at the repository root, or an installed bin/ beside share/steward */
    snprintf(rel, sizeof rel, "models/%s", name);
    if (sw_find_near_exe(rel, buf, bufsz) == 0) return buf;
    snprintf(rel, sizeof rel, "share/steward/models/%s", name);
    if (sw_find_near_exe(rel, buf, bufsz) == 0) return buf;
    return NULL;
}

const char *sw_pipeline_default_model(char *buf, size_t bufsz) { return shipped_model("default.gguf", buf, bufsz); }

const char *sw_pipeline_default_chat_model(char *buf, size_t bufsz) { return shipped_model("chat.gguf", buf, bufsz); }

/* The first generation under a policy that differs from the last one used appends a
 * "policy" lineage record (previous policy hash in, the new one out). The hash in force
 * is kept in $STEWARD_HOME/policy.sha256. */
static int record_policy_change(sw_pipeline *p, const char *policy_path, sw_err *err) {
    char path[PATH_MAX + 32], last[65] = "";
    snprintf(path, sizeof path, "%s/policy.sha256", p->home);
    const char *now = sw_guard_policy_hash(p->guard);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(last, sizeof last, f)) last[0] = 0;
        fclose(f);
    }
    if (strcmp(last, now) == 0) return 0;
    sw_audit_artifact in = {"policy", "previous", last}, out = {"policy", policy_path ? policy_path : "default", now};
    uint64_t idx;
    if (sw_audit_lineage(p->audit, "policy", p->principal, &in, last[0] ? 1 : 0, &out, 1, NULL, &idx, err) < 0)
        return -1;
    char tmp[PATH_MAX + 40];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s", now) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        return sw_err_set(err, "%s: cannot write", path);
    return 0;
}

/* Keys, guard, audit log: the state directory's part of opening. */
static int open_state(sw_pipeline *p, const sw_pipeline_opts *opts, sw_err *err) {
    if (sw_home_resolve(opts->home, p->home, sizeof p->home, err) < 0) return -1;
    if (sw_keys_secret_load_or_create(p->home, SW_WM_KEY_NAME, p->wm_key, SW_WM_KEY_BYTES, err) < 0) return -1;
    if (sw_keys_load_or_create(p->home, SIGNING_KEY_NAME, &p->signer, err) < 0) return -1;
    sw_wm_params_default(opts->watermark ? opts->watermark : SW_WM_KGW_SELFHASH, &p->wm);
    if (opts->label) p->label = *opts->label;
    else sw_label_opts_default(&p->label);
    snprintf(p->principal, sizeof p->principal, "%s", opts->principal ? opts->principal : "cli");
    if (sw_keys_secret_load_or_create(p->home, SW_GUARD_KEY_NAME, p->guard_key, sizeof p->guard_key, err) < 0)
        return -1;
    sw_guard_opts go = {.policy_path = opts->policy_path, .key = p->guard_key};
    if (!(p->guard = sw_guard_open(&go, err))) return -1;
    sw_audit_opts ao = {0};
    if (sw_audit_open(p->home, &ao, &p->audit, err) < 0) return -1;
    return record_policy_change(p, opts->policy_path, err);
}

/* The chat template: the one named, else the model's own. */
static int choose_chat_template(sw_pipeline *p, const char *name, sw_err *err) {
    if (name) {
        if (sw_chat_style_parse(name, &p->chat) < 0)
            return sw_err_set(err, "unknown chat template '%s' (known: chatml, llama3)", name);
        return 0;
    }
    sw_gguf_str tmpl = {0};
    sw_gguf_get_str(sw_model_gguf(p->model), "tokenizer.chat_template", &tmpl);
    p->chat = sw_chat_detect(tmpl.ptr, tmpl.len);
    return 0;
}

/* The model, its hash and calibration, the chat template and the decoder. */
static int open_model(sw_pipeline *p, const sw_pipeline_opts *opts, sw_err *err) {
    const char *path = opts->model_path;
    if (!path) path = sw_pipeline_default_model(p->model_path, sizeof p->model_path);
    if (!path)
        return sw_err_set(err, "no model given (--model FILE) and no default model found "
                               "(models/default.gguf beside the executable, or $STEWARD_MODEL)");
    if (path != p->model_path) snprintf(p->model_path, sizeof p->model_path, "%s", path);
    if (sw_sha256_file_hex_cached(p->home, p->model_path, p->model_sha256, err) < 0) return -1;
    /* the guard's perplexity signals, when a calibration for this model lies beside it
     * (models/default.ppl.json); one for another model is an error, not ignored */
    if ((p->has_ppl = sw_guard_ppl_load_beside(p->model_path, p->model_sha256, &p->ppl, NULL, 0, err)) < 0) return -1;
    if (sw_model_load(p->model_path, &p->model, err) < 0) return -1;
    if (choose_chat_template(p, opts->chat_template, err) < 0) return -1;
    int n_ctx = opts->n_ctx;
    const sw_hparams *hp = sw_model_hparams(p->model);
    if (n_ctx <= 0) n_ctx = hp->n_ctx_train < N_CTX_DEFAULT_MAX ? hp->n_ctx_train : N_CTX_DEFAULT_MAX;
    if (n_ctx <= 0) n_ctx = N_CTX_FALLBACK;
    if (n_ctx > hp->n_ctx_train)
        return sw_err_set(err, "context of %d positions exceeds the model's context_length %d", n_ctx,
                          hp->n_ctx_train);
    if (sw_grammar_vocab_new(sw_model_tokenizer(p->model), &p->gvocab, err) < 0) return -1;
    int threads = opts->threads > 0 ? opts->threads : sw_threads_default();
    p->batch = sw_batch_new(p->model, opts->parallel, n_ctx, threads, err);
    return p->batch ? 0 : -1;
}

/* Generation by an upstream server: no local model; what records and manifests name as
 * the model is the hash of "URL model". */
static int open_upstream(sw_pipeline *p, const sw_pipeline_opts *opts, sw_err *err) {
    if (!(p->upstream = sw_upstream_new(opts->upstream, opts->upstream_key, opts->upstream_model, err))) return -1;
    const char *name = sw_upstream_name(p->upstream);
    snprintf(p->model_path, sizeof p->model_path, "upstream:%s", name);
    sw_sha256_hex(name, strlen(name), p->model_sha256);
    return 0;
}

int sw_pipeline_open(const sw_pipeline_opts *opts, sw_pipeline **out, sw_err *err) {
    *out = NULL;
    sw_pipeline *p = calloc(1, sizeof *p);
    if (!p) return sw_err_set(err, "out of memory");
    if (open_state(p, opts, err) < 0 || (opts->upstream ? open_upstream(p, opts, err) : open_model(p, opts, err)) < 0) {
        sw_pipeline_close(p);
        return -1;
    }
    *out = p;
    return 0;
}

void sw_pipeline_close(sw_pipeline *p) {
    if (!p) return;
    sw_batch_free(p->batch);
    sw_model_free(p->model);
    sw_grammar_vocab_free(p->gvocab);
    sw_upstream_free(p->upstream);
    sw_audit_close(p->audit, NULL); /* its final checkpoint is best effort at close */
    sw_guard_free(p->guard);
    sodium_memzero(p->guard_key, sizeof p->guard_key);
    sodium_memzero(p->wm_key, sizeof p->wm_key);
    sw_keys_wipe(&p->signer);
    free(p);
}

const sw_model *sw_pipeline_model(const sw_pipeline *p) { return p->model; }
const char *sw_pipeline_model_sha256(const sw_pipeline *p) { return p->model_sha256; }
const char *sw_pipeline_model_path(const sw_pipeline *p) { return p->model_path; }
const char *sw_pipeline_home(const sw_pipeline *p) { return p->home; }
const char *sw_pipeline_policy_sha256(const sw_pipeline *p) { return sw_guard_policy_hash(p->guard); }
const sw_guard *sw_pipeline_guard(const sw_pipeline *p) { return p->guard; }
sw_audit *sw_pipeline_audit(sw_pipeline *p) { return p->audit; }
void sw_pipeline_load(sw_pipeline *p, int *running, int *waiting) {
    *running = *waiting = 0;
    if (p->batch) sw_batch_load(p->batch, running, waiting);
}

int sw_pipeline_token_text(const sw_pipeline *p, int32_t id, sw_buf *out, sw_err *err) {
    if (!p->model) return sw_err_set(err, "no local tokenizer (generation goes upstream)");
    const sw_tokenizer *tok = sw_model_tokenizer(p->model);
    if (id < 0 || id >= sw_tokenizer_n_vocab(tok)) return sw_err_set(err, "token %d is out of range", (int)id);
    if (sw_token_to_bytes(tok, id, 1, out) < 0) return sw_err_set(err, "out of memory");
    return 0;
}

void sw_pipeline_watermark(const sw_pipeline *p, sw_wm_params *params, uint8_t key[SW_WM_KEY_BYTES]) {
    *params = p->wm;
    memcpy(key, p->wm_key, SW_WM_KEY_BYTES);
}

int sw_pipeline_trusted_keys(const sw_pipeline *p, uint8_t (*pubs)[SW_SIGN_PUBLIC_BYTES], size_t max,
                             size_t *n, sw_err *err) {
    return sw_keys_public_all(p->home, SIGNING_KEY_NAME, pubs, max, n, err);
}

void sw_gen_result_free(sw_gen_result *r) {
    sw_buf_free(&r->text);
    sw_buf_free(&r->labelled_text);
    json_decref(r->manifest);
    json_decref(r->verdict_in);
    json_decref(r->verdict_out);
    free(r->tokens);
    free(r->context);
    free(r->logprobs);
    free(r->uncertain);
    sw_buf_free(&r->held);
    memset(r, 0, sizeof *r);
}

/* ---- a session: one request's state through the stages ---- */

typedef struct session {
    sw_pipeline *p;
    const sw_gen_request *req;
    sw_gen_result *res;
    const char *principal;
    sw_guard_verdict vin;
    sw_docspan *docs; /* the tool messages in the joined request: scanned as documents */
    int n_docs;
    sw_outguard out;
    int32_t *hist;  /* the whole history: prompt, then generated ids */
    int n_hist;
    int32_t *window; /* the tokens of the last context shift */
    sw_sampler *smp;
    sw_watermark *wm;
    sw_buf prefix, suffix;
    sw_detok_stream ds;
    sw_buf piece;
    size_t n_prompt;
    int max_tokens;
    int logprobs; /* the request wants log-probabilities */
    int cap;      /* generated tokens that hist, res->tokens and res->logprobs have room for */
    int unc_cap;  /* spans res->uncertain has room for */
    sw_err step_err;
    sw_grammar_state *gs; /* the request's grammar, when it has one */
    sw_stopper stopper;   /* its stop sequences */
    sw_buf held;          /* what the stop sequences let through, for the output guard */
    uint64_t deadline_ns; /* with max_time: when decoding must end (0: never) */
    int timed_out;
    int prefix_cut;       /* a halt came before the label's prefix was delivered */
} session;

static void session_free(session *s) {
    sw_guard_verdict_free(&s->vin);
    free(s->docs);
    sw_outguard_free(&s->out);
    free(s->hist);
    free(s->window);
    sw_sampler_free(s->smp);
    sw_wm_free(s->wm);
    sw_buf_free(&s->prefix);
    sw_buf_free(&s->suffix);
    sw_buf_free(&s->piece);
    sw_grammar_state_free(s->gs);
    sw_stopper_free(&s->stopper);
    sw_buf_free(&s->held);
}

/* Tokenizes the pieces of a rendered chat: the template's own text with its special
 * tokens, message contents as plain text. */
typedef struct {
    const sw_tokenizer *tok;
    int32_t **ids;
    size_t *n;
    sw_err *err;
} tokenize_ctx;

static int tokenize_piece(void *ud, const char *text, size_t len, int is_template) {
    tokenize_ctx *t = ud;
    return sw_tokenize(t->tok, text, len, is_template, t->ids, t->n, t->err);
}

/* The request's conversation: its messages, or its prompt as one user message. The
 * prompt the guard passed (redacted) stands for the last user message. */
static int prompt_tokens(const sw_pipeline *p, const sw_gen_request *req, const char *prompt, int32_t **ids,
                         size_t *n, sw_err *err) {
    const sw_tokenizer *tok = sw_model_tokenizer(p->model);
    *ids = NULL;
    *n = 0;
    if (sw_tokenizer_add_bos(tok) && sw_tokenizer_bos(tok) >= 0) {
        *ids = malloc(sizeof **ids);
        if (!*ids) return sw_err_set(err, "out of memory");
        (*ids)[0] = sw_tokenizer_bos(tok);
        *n = 1;
    }
    if (!req->chat && req->n_messages == 0) return sw_tokenize(tok, prompt, strlen(prompt), 0, ids, n, err);
    tokenize_ctx t = {tok, ids, n, err};
    if (req->n_messages == 0) {
        sw_chat_msg msg = {"user", prompt};
        return sw_chat_render(p->chat, &msg, 1, 1, tokenize_piece, &t, err);
    }
    return sw_chat_render(p->chat, req->messages, req->n_messages, 1, tokenize_piece, &t, err);
}

static json_t *sha256_json(const void *data, size_t len) {
    char hex[2 * SW_SHA256_BYTES + 1];
    sw_sha256_hex(data, len, hex);
    return json_string(hex);
}

json_t *sw_pipeline_verdict_plain(const json_t *v) {
    if (!v) return NULL;
    json_t *c = json_deep_copy(v);
    if (!c) return NULL;
    json_object_del(c, "redacted");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(c, "findings"), i, f) json_object_del(f, "explain");
    return c;
}

/* Appends a record durably; its index goes to *index when not NULL. */
static int append_record(sw_pipeline *p, json_t *r, long long *index, sw_err *err) {
    char *text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(r);
    if (!text) return sw_err_set(err, "out of memory");
    uint64_t i;
    int rc = sw_audit_append(p->audit, text, strlen(text), &i, err);
    free(text);
    if (rc == 0 && index) *index = (long long)i;
    return rc;
}

/* The fields a session's records share: who, what, under which model and policy. */
static json_t *record_base(session *s, const char *type, const sw_buf *request) {
    json_t *r = json_object();
    json_object_set_new(r, "type", json_string(type));
    json_object_set_new(r, "time", json_integer((json_int_t)time(NULL)));
    json_object_set_new(r, "principal", json_string(s->principal));
    json_object_set_new(r, "content_id", json_string(s->res->id));
    if (s->req->conversation) json_object_set_new(r, "conversation", json_string(s->req->conversation));
    json_object_set_new(r, "model_sha256", json_string(s->p->model_sha256));
    json_object_set_new(r, "prompt_sha256", sha256_json(request->data ? request->data : "", request->len));
    json_object_set_new(r, "policy_sha256", json_string(sw_guard_policy_hash(s->p->guard)));
    return r;
}

/* Before the first byte of a streamed answer leaves: a durable record that it started,
 * so that no delivered text is ever without a trace (the final record follows). */
static int audit_started(session *s, const sw_buf *request, sw_err *err) {
    json_t *r = record_base(s, "generation_started", request);
    json_object_set_new(r, "verdicts", json_pack("{s:o*}", "input", sw_pipeline_verdict_plain(s->res->verdict_in)));
    return append_record(s->p, r, NULL, err);
}

/* 1 when a halt cut the generation short before anything of it reached the client (a
 * buffered answer, delivered only whole, is then not delivered at all). */
static int nothing_delivered(const session *s) { return s->out.halted && s->req->buffered; }

/* Appends the generation's record to the audit log (durably) and stores its index in
 * res. Input and output appear only as SHA-256 hashes; the delivered hashes only when
 * something was delivered. */
static int audit_generation(session *s, const sw_buf *request, json_t *wmj, sw_err *err) {
    sw_gen_result *res = s->res;
    const sw_sampler_params *sp = &s->req->sampling;
    json_t *r = record_base(s, "generation", request);
    json_object_set_new(r, "output_sha256", json_string(res->raw_sha256));
    if (!nothing_delivered(s)) {
        json_object_set_new(r, "delivered_text_sha256",
                            sha256_json(res->text.data ? res->text.data : "", res->text.len));
        json_object_set_new(r, "delivered_sha256", sha256_json(res->labelled_text.data ? res->labelled_text.data : "",
                                                               res->labelled_text.len));
    }
    json_object_set_new(r, "verdicts", json_pack("{s:o*,s:o*}", "input", sw_pipeline_verdict_plain(res->verdict_in),
                                                 "output", sw_pipeline_verdict_plain(res->verdict_out)));
    json_object_set_new(r, "finish_reason", json_string(res->finish_reason));
    json_object_set_new(r, "watermark", wmj ? json_incref(wmj) : json_null());
    json_object_set_new(r, "sampling", json_pack("{s:f,s:i,s:f,s:f,s:f,s:I}", "temperature", (double)sp->temperature,
                                                 "top_k", sp->top_k, "top_p", (double)sp->top_p, "min_p",
                                                 (double)sp->min_p, "repeat_penalty", (double)sp->repeat_penalty,
                                                 "seed", (json_int_t)sp->seed));
    json_object_set_new(r, "timings", json_pack("{s:i,s:f,s:i,s:f}", "prompt_tokens", res->prompt_tokens,
                                                "prompt_ms", res->prompt_ms, "gen_tokens", res->n_tokens,
                                                "gen_ms", res->gen_ms));
    json_object_set_new(r, "energy", json_pack("{s:f,s:s}", "joules", res->joules, "method", res->energy_method));
    if (s->req->consistency > 1)
        json_object_set_new(r, "consistency", json_pack("{s:i,s:f,s:b}", "samples", s->req->consistency, "agreement",
                                                        res->agreement, "low", res->low_consistency));
    return append_record(s->p, r, &res->audit_index, err);
}

/* The manifest's input for res as delivered (its id, texts, audit record), the pipeline's
 * model and policy, and the label lo: the model's answer; callers set what differs. */
static sw_manifest_input manifest_input(const sw_pipeline *p, const sw_gen_result *res, const sw_label_opts *lo) {
    sw_manifest_input in = {
        .id = res->id,
        .labelled_text = res->labelled_text.data ? res->labelled_text.data : "",
        .labelled_len = res->labelled_text.len,
        .text = res->text.data ? res->text.data : "",
        .text_len = res->text.len,
        .model_sha256 = p->model_sha256,
        .policy_sha256 = sw_guard_policy_hash(p->guard),
        .audit_index = res->audit_index,
        .label = lo,
    };
    return in;
}

/* Builds the delivered text (after a halt: what had been delivered before it, without the
 * label's suffix; nothing for a buffered answer), records the generation in the audit
 * log and signs the manifest (which carries the record's index). */
static int finish_labels(session *s, const sw_buf *request, sw_err *err) {
    sw_pipeline *p = s->p;
    sw_gen_result *res = s->res;
    if (nothing_delivered(s)) sw_buf_reset(&res->text);
    int prefix = !nothing_delivered(s) && !s->prefix_cut, suffix = !s->out.halted;
    if ((prefix && sw_buf_append(&res->labelled_text, s->prefix.data, s->prefix.len)) ||
        sw_buf_append(&res->labelled_text, res->text.data, res->text.len) ||
        (suffix && sw_buf_append(&res->labelled_text, s->suffix.data, s->suffix.len)))
        return sw_err_set(err, "out of memory");
    json_t *wmj = s->wm ? sw_wm_params_json(&p->wm, p->wm_key) : NULL;
    if (audit_generation(s, request, wmj, err) < 0) {
        json_decref(wmj);
        return -1;
    }
    sw_manifest_input in = manifest_input(p, res, &p->label);
    in.watermark = wmj;
    res->manifest = sw_manifest_create(&in, p->signer.sk, err);
    json_decref(wmj);
    return res->manifest ? 0 : -1;
}

/* The input guard with the language-model signals, on the decoder's thread (the only one
 * that runs the model). */
typedef struct {
    sw_pipeline *p;
    const sw_buf *text;
    sw_guard_verdict *v;
} scan_lm_job;

static int scan_lm_on_decoder(void *ud, sw_ctx *ctx, sw_err *err) {
    scan_lm_job *j = ud;
    sw_pipeline *p = j->p;
    return sw_guard_scan_lm(p->guard, SW_GUARD_INPUT, j->text->data ? j->text->data : "", j->text->len, ctx,
                            sw_model_tokenizer(p->model), &p->ppl, j->v, err);
}

/* Input stage: scans the request, the tool messages in it as documents and the rest as
 * the user's text (with the documents blanked out, so that spans stay those of the joined
 * request). Fills s->vin; *prompt is the text the model sees in place of the prompt (the
 * redacted prompt when the policy redacts). */
static int input_stage(session *s, const sw_buf *request, const char **prompt, sw_err *err) {
    sw_pipeline *p = s->p;
    *prompt = s->req->prompt ? s->req->prompt : "";
    sw_buf view = {0};
    const sw_buf *user = request;
    if (s->n_docs) {
        if (sw_request_user_view(request->data, request->len, s->docs, s->n_docs, &view, err) < 0) {
            sw_buf_free(&view);
            return -1;
        }
        user = &view;
    }
    int rc;
    if (p->has_ppl && p->batch) {
        scan_lm_job j = {p, user, &s->vin};
        rc = sw_batch_call(p->batch, scan_lm_on_decoder, &j, err);
    } else {
        rc = sw_guard_scan(p->guard, SW_GUARD_INPUT, user->data ? user->data : "", user->len, &s->vin, err);
    }
    sw_buf_free(&view);
    if (rc == 0 && s->n_docs) rc = sw_request_scan_documents(p->guard, request->data, s->docs, s->n_docs, &s->vin, err);
    if (rc < 0) return -1;
    /* the redacted text stands for the prompt; messages are redacted when they are
     * scanned one by one (a later change), not through the joined text */
    if (s->vin.action == SW_ACT_REDACT && s->vin.redacted && s->req->n_messages == 0) *prompt = s->vin.redacted;
    return 0;
}

/* The input verdict as JSON; with tool messages, "documents" lists the spans of the
 * request that were scanned as documents, and there is no "redacted" (the user's view,
 * documents blanked, is no text anybody sent; messages are not redacted). New reference
 * (NULL: no memory). */
static json_t *input_verdict_json(const session *s) {
    json_t *v = sw_guard_verdict_json(&s->vin);
    if (v && s->n_docs) {
        json_object_del(v, "redacted");
        json_object_set_new(v, "documents", sw_docspans_json(s->docs, s->n_docs));
    }
    return v;
}

/* Is there a Han character in text? Then a refusal speaks Chinese. */
static int has_han(const char *text) {
    for (const unsigned char *t = (const unsigned char *)text; t && *t; t++)
        if (t[0] >= 0xE4 && t[0] <= 0xE9 && t[1] >= 0x80) return 1; /* U+4E00..U+9FFF lead bytes */
    return 0;
}

/* A request the input guard stopped: recorded in the audit log; nothing is generated,
 * labelled or signed. A blocked request gets the policy's refusal to deliver. */
static int refuse(session *s, const sw_buf *request, sw_err *err) {
    sw_gen_result *res = s->res;
    res->finish_reason = s->vin.action == SW_ACT_BLOCK ? "blocked" : "review";
    if (s->vin.action == SW_ACT_BLOCK) res->refusal = has_han(request->data) ? SW_REFUSAL_ZH : SW_REFUSAL_EN;
    res->verdict_in = input_verdict_json(s);
    sw_sha256_hex("", 0, res->raw_sha256);
    return audit_generation(s, request, NULL, err);
}

/* Makes room for `need` generated tokens in the history, the result's ids and its
 * log-probabilities, growing by doubling (up to max): with the context shift a request
 * may ask for any number of tokens, so room is not taken up front. -1 when out of memory. */
static int reserve(session *s, int need, int max, sw_err *err) {
    sw_gen_result *res = s->res;
    if (need <= s->cap) return 0;
    int cap = s->cap ? s->cap : DEFAULT_MAX_TOKENS;
    while (cap < need) cap = cap > max / 2 ? max : 2 * cap;
    int32_t *h = realloc(s->hist, (s->n_prompt + (size_t)cap) * sizeof *h);
    if (h) s->hist = h;
    int32_t *t = h ? realloc(res->tokens, ((size_t)cap + 1) * sizeof *t) : NULL;
    if (t) res->tokens = t;
    if (t && s->logprobs) {
        sw_gen_step_logprobs *l = realloc(res->logprobs, ((size_t)cap + 1) * sizeof *l);
        if (!l) return sw_err_set(err, "out of memory (room for %d tokens)", cap);
        memset(l + s->cap, 0, ((size_t)cap + 1 - (size_t)s->cap) * sizeof *l);
        res->logprobs = l;
    }
    if (!h || !t) return sw_err_set(err, "out of memory (room for %d tokens)", cap);
    s->cap = cap;
    return 0;
}

static int prepare_sampler(session *s, sw_err *err);

/* Sets up the sampler (with the watermark unless the request opts out), the labels
 * around the text and the output guard. */
static int prepare(session *s, sw_err *err) {
    sw_pipeline *p = s->p;
    const sw_gen_request *req = s->req;
    if (p->model && prepare_sampler(s, err) < 0) return -1;
    if ((req->chat || req->n_messages) && req->first_turn) {
        const char *d = p->label.disclosure ? p->label.disclosure : sw_label_disclosure(p->label.lang);
        if (d && sw_buf_printf(&s->prefix, "%s\n", d) < 0) return sw_err_set(err, "out of memory");
    }
    if (sw_label_affixes(&p->label, &s->prefix, &s->suffix, err) < 0) return -1;
    sw_detok_stream_init(&s->ds);
    /* nothing leaves before the end when the input was redacted (restored values must
     * not leave unrestored) or when the answer's agreement decides whether it leaves */
    int hold_all = s->vin.action == SW_ACT_REDACT || req->consistency > 1;
    return sw_outguard_begin(&s->out, p->guard, hold_all, req->on_text, req->ud, err);
}

/* The local engine's part of prepare: room for the tokens, the sampler and watermark. */
static int prepare_sampler(session *s, sw_err *err) {
    sw_pipeline *p = s->p;
    const sw_gen_request *req = s->req;
    int n_vocab = sw_model_hparams(p->model)->n_vocab;
    s->logprobs = req->sampling.n_logprobs > 0;
    if (reserve(s, s->max_tokens < DEFAULT_MAX_TOKENS ? s->max_tokens : DEFAULT_MAX_TOKENS, s->max_tokens, err) < 0)
        return -1;
    if (sw_sampler_params_check(&req->sampling, err) < 0) return -1;
    s->smp = sw_sampler_new(&req->sampling, n_vocab);
    if (!s->smp) return sw_err_set(err, "out of memory");
    if (!req->no_watermark) {
        if (!(s->wm = sw_wm_new(&p->wm, p->wm_key, n_vocab))) return sw_err_set(err, "out of memory");
        sw_sampler_hook hook;
        sw_wm_hook(s->wm, &hook);
        sw_sampler_set_hook(s->smp, &hook);
    }
    if (req->grammar) { /* the mask first, then the watermark among the allowed tokens */
        if (sw_grammar_state_new(req->grammar, p->gvocab, s->max_tokens, &s->gs, err) < 0) return -1;
        sw_sampler_mask mask;
        sw_grammar_mask_hook(s->gs, &mask);
        sw_sampler_set_mask(s->smp, &mask);
    }
    return 0;
}

/* Text of the model on its way out: through the stop sequences to the output guard. */
static int deliver(session *s, const char *text, size_t len, int *stop, sw_err *err) {
    sw_buf_reset(&s->held);
    if (sw_stopper_push(&s->stopper, text, len, &s->held) < 0) return sw_err_set(err, "out of memory");
    if (s->held.len && sw_outguard_push(&s->out, s->held.data, s->held.len, stop, err) < 0) return -1;
    if (s->stopper.hit) *stop = 1;
    return 0;
}

/* The time limit: without a grammar decoding ends; with one, the budget shrinks to the
 * shortest completion, and decoding ends once the document is complete. 1: end now. */
static int time_is_up(session *s) {
    if (!s->deadline_ns || sw_now_ns() < s->deadline_ns) return 0;
    if (!s->gs) return 1;
    if (!s->timed_out) sw_grammar_state_limit_budget(s->gs, sw_grammar_state_min_bytes(s->gs));
    s->timed_out = 1;
    return sw_grammar_state_is_complete(s->gs);
}

/* 1 when a person halted generation (the request's halted callback says so): nothing more
 * is delivered, the generation ends with finish_reason "halted". */
static int halt_asked(session *s) {
    if (!s->out.halted && s->req->halted && s->req->halted(s->req->ud)) s->out.halted = 1;
    return s->out.halted;
}

/* Why the output stage stopped the generation: a person's halt, the guard, or the client. */
static const char *stop_reason(const session *s) {
    return s->out.halted ? "halted" : s->out.stopped ? "blocked" : "stop";
}

/* sw_seq_ops.step: samples the next token, hands its text to the output guard; ends the
 * sequence at end of text, max tokens, or when the guard or the client stops it. */
static int session_step(void *ud, const float *logits, int32_t *next, sw_err *err) {
    session *s = ud;
    sw_gen_result *res = s->res;
    const sw_tokenizer *tok = sw_model_tokenizer(s->p->model);
    int i = res->n_tokens, stop = 0;
    if (reserve(s, i + 1, s->max_tokens, err) < 0) return -1;
    sw_gen_step_logprobs *lp = res->logprobs ? &res->logprobs[i] : NULL;
    sw_unc_stats us;
    float chosen = 0;
    if (s->req->uncertainty) sw_unc_measure(logits, sw_tokenizer_n_vocab(tok), &us);
    /* the sampler may change the logits it is given (penalties, the watermark's bias) */
    if (time_is_up(s)) return 0; /* finish_reason stays "length" */
    if (halt_asked(s)) {
        res->finish_reason = "halted";
        return 0;
    }
    int32_t t = sw_sampler_sample(s->smp, (float *)logits, s->hist, s->n_hist, lp ? lp->top : NULL,
                                  lp ? &lp->chosen : s->req->uncertainty ? &chosen : NULL);
    if (t == SW_SAMPLER_NO_TOKEN) /* the grammar's mask stage says why, else the model */
        return sw_err_set(err, "%s", sw_sampler_error(s->smp)[0] ? sw_sampler_error(s->smp)
                                                              : "the model gave no finite logits (NaN weights?)");
    if (lp) chosen = lp->chosen;
    if (!s->req->ignore_eos && sw_tokenizer_is_eog(tok, t)) {
        res->finish_reason = "stop";
        return 0;
    }
    s->hist[s->n_hist++] = t;
    res->tokens[res->n_tokens++] = t;
    sw_buf_reset(&s->piece);
    if (sw_detok_stream_push(tok, &s->ds, t, &s->piece) < 0) return sw_err_set(err, "cannot decode token %d", t);
    size_t at = s->out.raw.len;
    if (s->piece.len && deliver(s, s->piece.data, s->piece.len, &stop, err) < 0) return -1;
    if (s->req->uncertainty &&
        sw_unc_note(res, &s->unc_cap, i, at, s->out.raw.len, expf(chosen), (float)us.entropy, res->settings.uncertain_p,
                    res->settings.uncertain_entropy) < 0)
        return sw_err_set(err, "out of memory");
    if (stop) res->finish_reason = stop_reason(s);
    if (!stop && s->gs && sw_grammar_state_is_done(s->gs) && !s->timed_out) res->finish_reason = "stop";
    if (stop || res->n_tokens >= s->max_tokens || (s->gs && sw_grammar_state_is_done(s->gs))) return 0;
    *next = t;
    return 1;
}

/* sw_seq_ops.shift: the context is full, so keep the newest half of the history (and
 * the BOS the model starts from) to be evaluated again from position 0. Re-evaluating
 * costs one batched pass over n_ctx/2 tokens per n_ctx/2 generated, cheap next to the
 * decoding, and unlike rotating cached keys it is exact for every RoPE type. */
static int session_shift(void *ud, int32_t next, const int32_t **tokens, int *n, sw_err *err) {
    session *s = ud;
    (void)next; /* already the last of the history */
    int n_ctx = sw_batch_n_ctx(s->p->batch);
    int32_t bos = sw_tokenizer_bos(sw_model_tokenizer(s->p->model));
    int keep_bos = bos >= 0 && s->hist[0] == bos;
    int n_keep = n_ctx / 2;
    if (n_keep < 1) return sw_err_set(err, "the context (%d) is too small to shift", n_ctx);
    if (!s->window && !(s->window = malloc((size_t)(n_keep + keep_bos) * sizeof *s->window)))
        return sw_err_set(err, "out of memory");
    if (keep_bos) s->window[0] = bos;
    memcpy(s->window + keep_bos, s->hist + s->n_hist - n_keep, (size_t)n_keep * sizeof *s->window);
    *tokens = s->window;
    *n = n_keep + keep_bos;
    return 0;
}

/* The local engine: the prompt, then the decoder's steps until the sequence ends. */
static int decode_local(session *s, sw_err *err) {
    sw_gen_result *res = s->res;
    sw_seq_ops ops = {session_step, session_shift, s};
    sw_seq_stats st;
    int rc = sw_batch_run(s->p->batch, s->hist, (int)s->n_prompt, &ops, &st, err);
    res->prompt_ms = (double)st.prompt_ns / 1e6;
    res->gen_ms = (double)st.decode_ns / 1e6;
    res->context_shifts = st.shifts;
    res->usage_tokens = res->n_tokens;
    if (rc < 0) return -1;
    int stop = 0;
    sw_buf tail = {0};
    sw_detok_stream_finish(&s->ds, &tail);
    rc = 0;
    if (tail.len && !s->out.stopped && !s->stopper.hit) rc = deliver(s, tail.data, tail.len, &stop, err);
    sw_buf_reset(&tail);
    if (rc == 0 && !s->out.stopped && sw_stopper_finish(&s->stopper, &tail) < 0) rc = sw_err_set(err, "out of memory");
    if (rc == 0 && tail.len && !s->out.stopped) rc = sw_outguard_push(&s->out, tail.data, tail.len, &stop, err);
    sw_buf_free(&tail);
    return rc;
}

/* sw_upstream_piece_fn: upstream's text goes through the output guard like the
 * engine's; the guard (or the client) stopping it cancels the request. */
static int upstream_piece(void *ud, const char *text, size_t len) {
    session *s = ud;
    int stop = halt_asked(s);
    if (!stop && sw_outguard_push(&s->out, text, len, &stop, &s->step_err) < 0) return 1;
    if (stop) s->res->finish_reason = stop_reason(s);
    return stop;
}

/* An upstream server generates: the conversation (or the prompt, the guard's redacted
 * one) goes there, its answer streams back through the output guard. */
static int decode_upstream(session *s, const char *prompt, sw_err *err) {
    const sw_gen_request *req = s->req;
    if (req->grammar) return sw_err_set(err, "a grammar or schema needs the local engine, not --upstream");
    sw_gen_result *res = s->res;
    sw_chat_msg one = {"user", prompt};
    const sw_chat_msg *msgs = req->n_messages ? req->messages : req->chat ? &one : NULL;
    int n = req->n_messages ? req->n_messages : req->chat ? 1 : 0;
    sw_upstream_result ur;
    uint64_t t0 = sw_now_ns();
    s->step_err.msg[0] = 0;
    int rc = sw_upstream_generate(s->p->upstream, msgs, n, prompt, req, s->max_tokens, upstream_piece, s, &ur, err);
    res->gen_ms = (double)(sw_now_ns() - t0) / 1e6;
    if (rc < 0) return -1;
    if (s->step_err.msg[0]) {
        *err = s->step_err;
        return -1;
    }
    if (!s->out.stopped && strcmp(res->finish_reason, "blocked") != 0)
        res->finish_reason = strcmp(ur.finish_reason, "length") == 0 ? "length" : "stop";
    res->usage_tokens = ur.completion_tokens > 0 ? ur.completion_tokens : 0;
    res->prompt_tokens = ur.prompt_tokens;
    return 0;
}

/* The uncertain spans' offsets hold in the delivered text when the output guard changed
 * nothing and no stop sequence held text back (tokens then reach the guard in other
 * pieces); then, when asked and nothing has been streamed, the spans are marked. Else
 * the spans keep their token indices only. */
static int mark_uncertain(session *s, sw_err *err) {
    sw_gen_result *res = s->res;
    res->uncertain_offsets_valid = s->req->n_stop == 0 && res->text.len == s->out.raw.len &&
                                   (res->text.len == 0 || memcmp(res->text.data, s->out.raw.data, res->text.len) == 0);
    if (!s->req->mark_uncertain || s->req->on_text || !res->uncertain_offsets_valid || !res->n_uncertain) return 0;
    sw_buf marked = {0};
    if (sw_unc_mark(res->uncertain, res->n_uncertain, res->text.data, res->text.len, &marked) < 0) {
        sw_buf_free(&marked);
        return sw_err_set(err, "out of memory marking uncertain spans");
    }
    sw_buf_free(&res->text);
    res->text = marked;
    res->uncertain_marked = 1;
    return 0;
}

static int decode_local(session *s, sw_err *err);
static int decode_upstream(session *s, const char *prompt, sw_err *err);
static int prepare(session *s, sw_err *err);

/* Starts session s of req into res for principal: its token budget, its stop sequences
 * and its deadline from now. */
static void session_init(session *s, sw_pipeline *p, const sw_gen_request *req, sw_gen_result *res,
                         const char *principal) {
    *s = (session){.p = p, .req = req, .res = res, .principal = principal};
    s->max_tokens = req->max_tokens > 0 ? req->max_tokens : DEFAULT_MAX_TOKENS;
    sw_stopper_init(&s->stopper, req->stop, req->n_stop);
    if (req->max_time > 0) s->deadline_ns = sw_now_ns() + (uint64_t)(req->max_time * 1e9);
}

/* Samples one more answer to the session's request with another seed, silently (no
 * delivery, no labels, no record): its raw text goes to out. */
static int sample_again(session *parent, const char *prompt, uint64_t seed, sw_buf *out, sw_err *err) {
    sw_gen_request req = *parent->req;
    req.sampling.seed = seed;
    req.on_text = NULL;
    req.uncertainty = req.mark_uncertain = 0;
    req.consistency = 0;
    req.sampling.n_logprobs = 0;
    sw_gen_result res;
    memset(&res, 0, sizeof res);
    res.finish_reason = "length";
    session c;
    session_init(&c, parent->p, &req, &res, parent->principal); /* the same budget, stops and time */
    c.n_prompt = parent->n_prompt;
    c.n_hist = (int)parent->n_prompt;
    int rc = -1;
    if (parent->hist && !(c.hist = malloc(c.n_prompt * sizeof *c.hist))) {
        sw_err_set(err, "out of memory");
        goto done;
    }
    if (parent->hist) memcpy(c.hist, parent->hist, c.n_prompt * sizeof *c.hist);
    if (prepare(&c, err) < 0 || (c.p->upstream ? decode_upstream(&c, prompt, err) : decode_local(&c, err)) < 0) goto done;
    rc = sw_buf_append(out, c.out.raw.data ? c.out.raw.data : "", c.out.raw.len) < 0 ? sw_err_set(err, "out of memory") : 0;
done:
    session_free(&c);
    sw_gen_result_free(&res);
    return rc;
}

/* Self-consistency: the answer against consistency - 1 other samples; a mean agreement
 * under the request's minimum marks it low (flagged, or withheld for review). */
static int judge_consistency(session *s, const char *prompt, sw_err *err) {
    sw_gen_result *res = s->res;
    const sw_gen_request *req = s->req;
    int n = req->consistency < SW_CONSISTENCY_MAX ? req->consistency : SW_CONSISTENCY_MAX;
    double sum = 0, sum_u = 0, sum_b = 0;
    sw_buf other = {0};
    for (int k = 1; k < n; k++) {
        sw_buf_reset(&other);
        if (sample_again(s, prompt, req->sampling.seed + (uint64_t)k, &other, err) < 0) {
            sw_buf_free(&other);
            return -1;
        }
        double u, b, a = sw_text_agreement(s->out.raw.data ? s->out.raw.data : "", s->out.raw.len,
                                          other.data ? other.data : "", other.len, &u, &b);
        if (a < 0) {
            sw_buf_free(&other);
            return sw_err_set(err, "out of memory");
        }
        sum += a, sum_u += u, sum_b += b;
    }
    sw_buf_free(&other);
    res->agreement = sum / (n - 1);
    res->agreement_unigram = sum_u / (n - 1);
    res->agreement_bigram = sum_b / (n - 1);
    res->low_consistency = res->agreement < res->settings.consistency_min;
    if (res->low_consistency && res->settings.consistency_review) s->out.emit = NULL; /* held, not delivered */
    return 0;
}

/* The prompt must leave room in the context; without shifting, max_tokens ends there. */
static int fit_context(session *s, sw_err *err) {
    int n_ctx = sw_batch_n_ctx(s->p->batch);
    if ((int)s->n_prompt >= n_ctx)
        return sw_err_set(err, "the prompt has %zu tokens; the context holds %d", s->n_prompt, n_ctx);
    if (s->req->no_context_shift && (int)s->n_prompt + s->max_tokens > n_ctx) s->max_tokens = n_ctx - (int)s->n_prompt;
    s->res->prompt_tokens = (int)s->n_prompt;
    s->n_hist = (int)s->n_prompt;
    return 0;
}

/* Generation, locally or upstream, through the output guard: its verdict and the
 * delivered text. */
static int generate(session *s, const char *prompt, sw_err *err) {
    sw_gen_result *res = s->res;
    if (s->p->model && fit_context(s, err) < 0) return -1;
    if (prepare(s, err) < 0) return -1;
    if (s->req->on_text && s->prefix.len &&
        s->req->on_text(s->req->ud, s->prefix.data, s->prefix.len) == SW_TEXT_HALT)
        s->out.halted = s->prefix_cut = 1; /* nothing of the generation leaves */
    if ((s->p->upstream ? decode_upstream(s, prompt, err) : decode_local(s, err)) < 0) return -1;
    if (s->req->consistency > 1 && judge_consistency(s, prompt, err) < 0) return -1;
    sw_guard_action out_action;
    if (sw_outguard_finish(&s->out, &res->text, &out_action, err) < 0) return -1;
    if (out_action >= SW_ACT_REVIEW) res->finish_reason = out_action == SW_ACT_BLOCK ? "blocked" : "review";
    if (res->low_consistency && res->settings.consistency_review) {
        res->finish_reason = "review";
        sw_buf_reset(&res->text); /* withheld: nothing was delivered */
    }
    if (s->out.halted) res->finish_reason = "halted"; /* the reason it ended, whatever followed */
    if (strcmp(res->finish_reason, "review") == 0 && s->out.raw.len &&
        sw_buf_append(&res->held, s->out.raw.data, s->out.raw.len))
        return sw_err_set(err, "out of memory (the text held for review)");
    res->verdict_out = sw_guard_verdict_json(sw_outguard_verdict(&s->out));
    sw_sha256_hex(s->out.raw.data ? s->out.raw.data : "", s->out.raw.len, res->raw_sha256);
    if (s->req->uncertainty && mark_uncertain(s, err) < 0) return -1;
    if (s->req->on_text && s->suffix.len && !s->out.halted) s->req->on_text(s->req->ud, s->suffix.data, s->suffix.len);
    return 0;
}

/* The request's thresholds, else the policy's, else the defaults. */
static void settings_in_force(const sw_pipeline *p, const sw_gen_request *req, sw_guard_gen_settings *out) {
    sw_guard_gen_settings pol;
    sw_guard_gen_settings_get(p->guard, &pol);
    out->uncertain_p = req->uncertain_p > 0   ? req->uncertain_p
                       : pol.uncertain_p > 0 ? pol.uncertain_p
                                             : SW_UNCERTAIN_P_DEFAULT;
    out->uncertain_entropy = req->uncertain_entropy > 0   ? req->uncertain_entropy
                             : pol.uncertain_entropy > 0 ? pol.uncertain_entropy
                                                         : SW_UNCERTAIN_ENTROPY_DEFAULT;
    out->consistency_min = req->consistency_min > 0   ? req->consistency_min
                           : pol.consistency_min > 0 ? pol.consistency_min
                                                     : SW_CONSISTENCY_MIN_DEFAULT;
    out->consistency_review = req->consistency_review || pol.consistency_review;
}

/* A fresh content id: the manifest's ProduceID and the audit records' content_id. */
static void new_content_id(char id[2 * SW_CONTENT_ID_BYTES + 1]) {
    uint8_t rnd[SW_CONTENT_ID_BYTES];
    randombytes_buf(rnd, sizeof rnd);
    sw_hex(rnd, sizeof rnd, id);
}

int sw_pipeline_generate(sw_pipeline *p, const sw_gen_request *req, sw_gen_result *res, sw_err *err) {
    memset(res, 0, sizeof *res);
    res->finish_reason = "length";
    res->audit_index = -1;
    new_content_id(res->id);
    session s;
    session_init(&s, p, req, res, req->principal ? req->principal : p->principal);
    settings_in_force(p, req, &res->settings);
    sw_energy energy;
    sw_energy_begin(&energy, 0);
    sw_buf request = {0};
    const char *prompt;
    int rc = -1;
    /* 1. input guard */
    if (sw_request_join(req, &request, &s.docs, &s.n_docs, err) < 0 || input_stage(&s, &request, &prompt, err) < 0)
        goto done;
    if (s.vin.action >= SW_ACT_REVIEW && !(req->input_approved && s.vin.action == SW_ACT_REVIEW)) {
        res->joules = sw_energy_end(&energy, &res->energy_method);
        rc = refuse(&s, &request, err);
        goto done;
    }
    res->verdict_in = input_verdict_json(&s);
    /* 2. generation, watermarked in the sampler, through the output guard */
    if (p->model && prompt_tokens(p, req, prompt, &s.hist, &s.n_prompt, err) < 0) goto done;
    if (p->model && s.n_prompt == 0) {
        sw_err_set(err, "the prompt is empty and the model adds no BOS token");
        goto done;
    }
    if (req->on_text && audit_started(&s, &request, err) < 0) goto done;
    if (generate(&s, prompt, err) < 0) goto done;
    res->joules = sw_energy_end(&energy, &res->energy_method);
    /* 3. labels, audit record, signed manifest */
    rc = finish_labels(&s, &request, err);
    res->context = s.hist; /* prompt then generated ids, n_prompt + n_tokens of them */
    s.hist = NULL;
done:
    if (rc < 0 && !res->energy_method) res->joules = sw_energy_end(&energy, &res->energy_method);
    sw_buf_free(&request);
    session_free(&s);
    return rc;
}

/* ---- text a person decided on ---- */

/* A person's text through the output guard: redacted as the policy says, or the refusal
 * when the policy blocks it (review is not applied again). Fills res->text, verdict_out,
 * finish_reason and refusal. -1 with err. */
static int deliver_guard(sw_pipeline *p, const sw_deliver_request *req, sw_gen_result *res, sw_err *err) {
    sw_guard_verdict v = {0};
    if (sw_guard_scan(p->guard, SW_GUARD_OUTPUT, req->text, req->len, &v, err) < 0) {
        sw_guard_verdict_free(&v);
        return -1;
    }
    int rc = 0;
    res->verdict_out = sw_guard_verdict_json(&v);
    if (v.action == SW_ACT_BLOCK) {
        res->finish_reason = "blocked";
        res->refusal = has_han(req->text) ? SW_REFUSAL_ZH : SW_REFUSAL_EN;
    } else if (v.action == SW_ACT_REDACT && v.redacted) {
        rc = sw_buf_append(&res->text, v.redacted, v.redacted_len);
    } else {
        rc = sw_buf_append(&res->text, req->text, req->len);
    }
    sw_guard_verdict_free(&v);
    return rc < 0 ? sw_err_set(err, "out of memory") : 0;
}

/* The audit record of a delivery: who wrote and who decided, hashes only. */
static int audit_delivery(sw_pipeline *p, const sw_deliver_request *req, sw_gen_result *res, sw_err *err) {
    json_t *r = json_object();
    json_object_set_new(r, "type", json_string("delivery"));
    json_object_set_new(r, "time", json_integer((json_int_t)time(NULL)));
    json_object_set_new(r, "principal", json_string(req->principal ? req->principal : p->principal));
    json_object_set_new(r, "content_id", json_string(res->id));
    if (req->conversation) json_object_set_new(r, "conversation", json_string(req->conversation));
    json_object_set_new(r, "author", json_string(sw_author_name(req->author)));
    if (req->decided_by) json_object_set_new(r, "decided_by", json_string(req->decided_by));
    if (req->original_sha256) json_object_set_new(r, "original_sha256", json_string(req->original_sha256));
    json_object_set_new(r, "model_sha256", json_string(p->model_sha256));
    json_object_set_new(r, "policy_sha256", json_string(sw_guard_policy_hash(p->guard)));
    json_object_set_new(r, "input_sha256", sha256_json(req->text, req->len));
    json_object_set_new(r, "delivered_text_sha256", sha256_json(res->text.data ? res->text.data : "", res->text.len));
    json_object_set_new(r, "delivered_sha256",
                        sha256_json(res->labelled_text.data ? res->labelled_text.data : "", res->labelled_text.len));
    json_object_set_new(r, "verdicts", json_pack("{s:o*}", "output", sw_pipeline_verdict_plain(res->verdict_out)));
    json_object_set_new(r, "finish_reason", json_string(res->finish_reason));
    return append_record(p, r, &res->audit_index, err);
}

int sw_pipeline_deliver(sw_pipeline *p, const sw_deliver_request *req, sw_gen_result *res, sw_err *err) {
    memset(res, 0, sizeof *res);
    res->finish_reason = "stop";
    res->audit_index = -1;
    res->author = req->author;
    new_content_id(res->id);
    if (!req->text && req->len) return sw_err_set(err, "deliver: %zu bytes of text without data", req->len);
    sw_deliver_request r = *req;
    if (!r.text) r.text = "";
    if (r.rejected) res->finish_reason = "blocked"; /* the refusal a person chose, delivered as it is */
    if (r.author != SW_AUTHOR_MODEL && !r.rejected) {
        if (deliver_guard(p, &r, res, err) < 0) return -1;
    } else if (sw_buf_append(&res->text, r.text, r.len) < 0) {
        return sw_err_set(err, "out of memory");
    }
    sw_label_opts lo = p->label;
    if (r.author != SW_AUTHOR_MODEL) lo.notice = sw_label_notice_by(lo.lang, r.author);
    if (res->refusal) {
        if (sw_buf_puts(&res->labelled_text, res->refusal) < 0) return sw_err_set(err, "out of memory");
        return audit_delivery(p, &r, res, err); /* a refusal is not labelled nor signed */
    }
    if (sw_label_apply(&lo, res->text.data ? res->text.data : "", res->text.len, &res->labelled_text, err) < 0)
        return -1;
    char orig[2 * SW_SHA256_BYTES + 1];
    if (!r.original_sha256 && r.author == SW_AUTHOR_EDITED) { /* edited from nothing held */
        sw_sha256_hex("", 0, orig);
        r.original_sha256 = orig;
    }
    sw_sha256_hex(res->text.data ? res->text.data : "", res->text.len, res->raw_sha256);
    if (audit_delivery(p, &r, res, err) < 0) return -1;
    sw_manifest_input in = manifest_input(p, res, &lo);
    if (r.author == SW_AUTHOR_HUMAN) in.model_sha256 = "";
    in.author = r.author;
    in.original_sha256 = r.original_sha256;
    res->manifest = sw_manifest_create(&in, p->signer.sk, err);
    return res->manifest ? 0 : -1;
}
