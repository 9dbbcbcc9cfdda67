/* pipeline.c - the request path: prompt -> tokens -> forward/sample loop -> text,
 * with timings and energy; the place where every control plugs in. */
#include "steward/pipeline.h"
#include "steward/threads.h"
#include "steward/audit.h"
#include "steward/chat.h"
#include "steward/guard.h"
#include "steward/keys.h"
#include "outguard.h"

#include <sodium.h>

#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sw_pipeline {
    sw_model *model;
    sw_ctx *ctx;
    char home[PATH_MAX];
    char model_path[PATH_MAX];
    char model_sha256[2 * SW_SHA256_BYTES + 1];
    int threads;
    sw_wm_params wm;
    uint8_t wm_key[SW_WM_KEY_BYTES];
    sw_keypair signer;
    sw_label_opts label;
    sw_audit *audit;
    char principal[128];
    sw_guard *guard;
    uint8_t guard_key[32];
    sw_guard_ppl ppl; /* perplexity thresholds for this model, when calibrated */
    int has_ppl;
};

#define GUARD_KEY_NAME "guard"

#define SIGNING_KEY_NAME "signing"

const char *sw_pipeline_default_model(char *buf, size_t bufsz) {
    const char *env = getenv("STEWARD_MODEL");
    if (env && *env) {
        snprintf(buf, bufsz, "%s", env);
        return buf;
    }
    /* ./steward at the repository root, or an installed bin/ beside share/steward */
    if (sw_find_near_exe("models/default.gguf", buf, bufsz) == 0) return buf;
    if (sw_find_near_exe("share/steward/models/default.gguf", buf, bufsz) == 0) return buf;
    return NULL;
}

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

int sw_pipeline_open(const sw_pipeline_opts *opts, sw_pipeline **out, sw_err *err) {
    *out = NULL;
    sw_pipeline *p = calloc(1, sizeof *p);
    if (!p) return sw_err_set(err, "out of memory");
    if (sw_home_resolve(opts->home, p->home, sizeof p->home, err) < 0) goto fail;
    if (sw_keys_secret_load_or_create(p->home, SW_WM_KEY_NAME, p->wm_key, SW_WM_KEY_BYTES, err) < 0) goto fail;
    if (sw_keys_load_or_create(p->home, SIGNING_KEY_NAME, &p->signer, err) < 0) goto fail;
    sw_wm_params_default(opts->watermark ? opts->watermark : SW_WM_KGW_SELFHASH, &p->wm);
    if (opts->label) p->label = *opts->label;
    else sw_label_opts_default(&p->label);
    snprintf(p->principal, sizeof p->principal, "%s", opts->principal ? opts->principal : "cli");
    if (sw_keys_secret_load_or_create(p->home, GUARD_KEY_NAME, p->guard_key, sizeof p->guard_key, err) < 0)
        goto fail;
    sw_guard_opts go = {.policy_path = opts->policy_path, .key = p->guard_key};
    if (!(p->guard = sw_guard_open(&go, err))) goto fail;
    sw_audit_opts ao = {0};
    if (sw_audit_open(p->home, &ao, &p->audit, err) < 0) goto fail;
    if (record_policy_change(p, opts->policy_path, err) < 0) goto fail;
    const char *path = opts->model_path;
    if (!path) path = sw_pipeline_default_model(p->model_path, sizeof p->model_path);
    if (!path) {
        sw_err_set(err, "no model given (--model FILE) and no default model found "
                        "(models/default.gguf beside the executable, or $STEWARD_MODEL)");
        goto fail;
    }
    if (path != p->model_path) snprintf(p->model_path, sizeof p->model_path, "%s", path);
    if (sw_sha256_file_hex(p->model_path, p->model_sha256, err) < 0) goto fail;
    /* the guard's perplexity signals, when a calibration for this model lies beside it
     * (models/default.ppl.json); one for another model is an error, not ignored */
    if ((p->has_ppl = sw_guard_ppl_load_beside(p->model_path, p->model_sha256, &p->ppl, NULL, 0, err)) < 0)
        goto fail;
    if (sw_model_load(p->model_path, &p->model, err) < 0) goto fail;
    p->threads = opts->threads > 0 ? opts->threads : sw_threads_default();
    int n_ctx = opts->n_ctx;
    const sw_hparams *hp = sw_model_hparams(p->model);
    if (n_ctx <= 0) n_ctx = hp->n_ctx_train < 4096 ? hp->n_ctx_train : 4096;
    if (n_ctx <= 0) n_ctx = 2048;
    p->ctx = sw_ctx_new(p->model, n_ctx, err);
    if (!p->ctx) goto fail;
    *out = p;
    return 0;
fail:
    sw_pipeline_close(p);
    return -1;
}

void sw_pipeline_close(sw_pipeline *p) {
    if (!p) return;
    sw_ctx_free(p->ctx);
    sw_model_free(p->model);
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
    memset(r, 0, sizeof *r);
}

/* Tokenizes the request's prompt (chat-formatted when asked), adding BOS when the
 * model asks for it. Caller frees *ids. */
static int prompt_tokens(const sw_pipeline *p, const sw_gen_request *req, int32_t **ids,
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
    if (!req->chat)
        return sw_tokenize(tok, req->prompt, strlen(req->prompt), 0, ids, n, err);
    sw_gguf_str tmpl = {0};
    sw_gguf_get_str(sw_model_gguf(p->model), "tokenizer.chat_template", &tmpl);
    sw_chat_style style = sw_chat_detect(tmpl.ptr, tmpl.len);
    sw_chat_msg msg = {"user", req->prompt};
    sw_buf text = {0};
    int rc = sw_chat_format(style, &msg, 1, 1, &text, err);
    /* The user's text must not be able to inject control tokens: parse special tokens
     * only in the template's own text. Tokenize piecewise around the message. */
    if (rc == 0) {
        const char *at = strstr(text.data, req->prompt);
        size_t pre = at ? (size_t)(at - text.data) : text.len;
        rc = sw_tokenize(tok, text.data, pre, 1, ids, n, err);
        if (rc == 0 && at) rc = sw_tokenize(tok, at, strlen(req->prompt), 0, ids, n, err);
        if (rc == 0 && at) {
            size_t post = pre + strlen(req->prompt);
            rc = sw_tokenize(tok, text.data + post, text.len - post, 1, ids, n, err);
        }
    }
    sw_buf_free(&text);
    return rc;
}

static json_t *sha256_json(const void *data, size_t len) {
    char hex[2 * SW_SHA256_BYTES + 1];
    sw_sha256_hex(data, len, hex);
    return json_string(hex);
}

/* A verdict as the audit log keeps it: decisions, categories, spans and scores, but no
 * text (the redacted text and the explanations quote the content). New reference. */
static json_t *verdict_for_audit(const json_t *v) {
    if (!v) return NULL;
    json_t *c = json_deep_copy(v);
    if (!c) return NULL;
    json_object_del(c, "redacted");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(c, "findings"), i, f) json_object_del(f, "explain");
    return c;
}

/* Appends the generation's record to the audit log (durably) and stores its index in
 * res. Input and output appear only as SHA-256 hashes. */
static int audit_generation(sw_pipeline *p, const sw_gen_request *req, const char *id,
                            json_t *wmj, sw_gen_result *res, sw_err *err) {
    json_t *r = json_object();
    json_object_set_new(r, "type", json_string("generation"));
    json_object_set_new(r, "time", json_integer((json_int_t)time(NULL)));
    json_object_set_new(r, "principal", json_string(p->principal));
    json_object_set_new(r, "content_id", json_string(id));
    json_object_set_new(r, "model_sha256", json_string(p->model_sha256));
    json_object_set_new(r, "prompt_sha256", sha256_json(req->prompt, strlen(req->prompt)));
    json_object_set_new(r, "output_sha256", json_string(res->raw_sha256));
    json_object_set_new(r, "delivered_text_sha256", sha256_json(res->text.data ? res->text.data : "", res->text.len));
    json_object_set_new(r, "policy_sha256", json_string(sw_guard_policy_hash(p->guard)));
    json_object_set_new(r, "verdicts", json_pack("{s:o*,s:o*}", "input", verdict_for_audit(res->verdict_in), "output",
                                                 verdict_for_audit(res->verdict_out)));
    json_object_set_new(r, "delivered_sha256",
                        sha256_json(res->labelled_text.data ? res->labelled_text.data : "", res->labelled_text.len));
    json_object_set_new(r, "finish_reason", json_string(res->finish_reason));
    json_object_set_new(r, "watermark", wmj ? json_incref(wmj) : json_null());
    json_object_set_new(r, "sampling", json_pack("{s:f,s:i,s:f,s:f,s:f,s:I}", "temperature",
                                                 (double)req->sampling.temperature, "top_k", req->sampling.top_k,
                                                 "top_p", (double)req->sampling.top_p, "min_p",
                                                 (double)req->sampling.min_p, "repeat_penalty",
                                                 (double)req->sampling.repeat_penalty, "seed",
                                                 (json_int_t)req->sampling.seed));
    json_object_set_new(r, "timings", json_pack("{s:i,s:f,s:i,s:f}", "prompt_tokens", res->prompt_tokens,
                                                "prompt_ms", res->prompt_ms, "gen_tokens", res->n_tokens,
                                                "gen_ms", res->gen_ms));
    json_object_set_new(r, "energy", json_pack("{s:f,s:s}", "joules", res->joules, "method", res->energy_method));
    char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(r);
    if (!s) return sw_err_set(err, "out of memory");
    uint64_t index;
    int rc = sw_audit_append(p->audit, s, strlen(s), &index, err);
    free(s);
    if (rc == 0) res->audit_index = (long long)index;
    return rc;
}

/* A request the input guard refused: recorded in the audit log; nothing is generated,
 * labelled or signed. */
static int record_refusal(sw_pipeline *p, const sw_gen_request *req, sw_gen_result *res, sw_err *err) {
    uint8_t rnd[16];
    char id[33];
    randombytes_buf(rnd, sizeof rnd);
    sw_hex(rnd, sizeof rnd, id);
    sw_sha256_hex("", 0, res->raw_sha256);
    return audit_generation(p, req, id, NULL, res, err);
}

/* Builds the delivered text, records the generation in the audit log and signs the
 * manifest (which carries the record's index). */
static int finish_labels(sw_pipeline *p, const sw_gen_request *req, const sw_wm_params *wm,
                         const sw_buf *prefix, const sw_buf *suffix, sw_gen_result *res, sw_err *err) {
    if (sw_buf_append(&res->labelled_text, prefix->data, prefix->len) ||
        sw_buf_append(&res->labelled_text, res->text.data, res->text.len) ||
        sw_buf_append(&res->labelled_text, suffix->data, suffix->len))
        return sw_err_set(err, "out of memory");
    json_t *wmj = wm ? sw_wm_params_json(wm, p->wm_key) : NULL;
    uint8_t rnd[16];
    char id[33];
    randombytes_buf(rnd, sizeof rnd);
    sw_hex(rnd, sizeof rnd, id);
    if (audit_generation(p, req, id, wmj, res, err) < 0) {
        json_decref(wmj);
        return -1;
    }
    sw_manifest_input in = {
        .id = id,
        .labelled_text = res->labelled_text.data ? res->labelled_text.data : "",
        .labelled_len = res->labelled_text.len,
        .text = res->text.data ? res->text.data : "",
        .text_len = res->text.len,
        .model_sha256 = p->model_sha256,
        .policy_sha256 = sw_guard_policy_hash(p->guard),
        .watermark = wmj,
        .audit_index = res->audit_index,
        .label = &p->label,
    };
    res->manifest = sw_manifest_create(&in, p->signer.sk, err);
    json_decref(wmj);
    return res->manifest ? 0 : -1;
}

/* Input stage: scans the prompt. Fills res->verdict_in; *prompt is the text the model
 * sees (the redacted prompt when the policy redacts). Returns 0, or -1 on error. */
static int input_stage(sw_pipeline *p, const sw_gen_request *req, sw_guard_verdict *v, const char **prompt,
                       sw_err *err) {
    *prompt = req->prompt;
    if (!p->guard) return 0;
    size_t n = strlen(req->prompt);
    int rc = p->has_ppl ? sw_guard_scan_lm(p->guard, SW_GUARD_INPUT, req->prompt, n, p->ctx,
                                           sw_model_tokenizer(p->model), &p->ppl, v, err)
                        : sw_guard_scan(p->guard, SW_GUARD_INPUT, req->prompt, n, v, err);
    if (rc < 0) return -1;
    if (v->action == SW_ACT_REDACT && v->redacted) *prompt = v->redacted;
    return 0;
}

/* The request's state through the stages, so that each stage's result is recorded. */
typedef struct gen_state {
    sw_guard_verdict vin;
    sw_outguard out;
    int32_t *hist;
    float *logits;
    sw_sampler *smp;
    sw_watermark *wm;
    sw_buf prefix, suffix;
    sw_detok_stream ds;
    sw_buf piece;
    size_t n_prompt;
    int logprobs; /* the request wants log-probabilities */
    int cap;      /* generated tokens that hist, res->tokens and res->logprobs have room for */
} gen_state;

static void gen_state_free(gen_state *g) {
    sw_guard_verdict_free(&g->vin);
    sw_outguard_free(&g->out);
    free(g->hist);
    free(g->logits);
    sw_sampler_free(g->smp);
    sw_wm_free(g->wm);
    sw_buf_free(&g->prefix);
    sw_buf_free(&g->suffix);
    sw_buf_free(&g->piece);
}

/* Makes room for `need` generated tokens in the history, the result's ids and its
 * log-probabilities, growing by doubling (up to max): with the context shift a request
 * may ask for any number of tokens, so room is not taken up front. -1 when out of memory. */
static int reserve(gen_state *g, sw_gen_result *res, int need, int max, sw_err *err) {
    if (need <= g->cap) return 0;
    int cap = g->cap ? g->cap : 256;
    while (cap < need) cap = cap > max / 2 ? max : 2 * cap;
    int32_t *h = realloc(g->hist, (g->n_prompt + (size_t)cap) * sizeof *h);
    if (h) g->hist = h;
    int32_t *t = h ? realloc(res->tokens, ((size_t)cap + 1) * sizeof *t) : NULL;
    if (t) res->tokens = t;
    if (t && g->logprobs) {
        sw_gen_step_logprobs *l = realloc(res->logprobs, ((size_t)cap + 1) * sizeof *l);
        if (!l) return sw_err_set(err, "out of memory (room for %d tokens)", cap);
        memset(l + g->cap, 0, ((size_t)cap + 1 - (size_t)g->cap) * sizeof *l);
        res->logprobs = l;
    }
    if (!h || !t) return sw_err_set(err, "out of memory (room for %d tokens)", cap);
    g->cap = cap;
    return 0;
}

/* Sets up the sampler (with the watermark unless the request opts out) and buffers. */
static int prepare(sw_pipeline *p, const sw_gen_request *req, gen_state *g, int max_tokens, sw_gen_result *res,
                   size_t n_prompt, sw_err *err) {
    const sw_hparams *hp = sw_model_hparams(p->model);
    g->n_prompt = n_prompt;
    g->logprobs = req->sampling.n_logprobs > 0;
    g->logits = malloc((size_t)hp->n_vocab * sizeof *g->logits);
    if (!g->logits) return sw_err_set(err, "out of memory");
    if (reserve(g, res, max_tokens < 256 ? max_tokens : 256, max_tokens, err) < 0) return -1;
    g->smp = sw_sampler_new(&req->sampling, hp->n_vocab);
    if (!g->smp) return sw_err_set(err, "out of memory");
    if (!req->no_watermark) {
        if (!(g->wm = sw_wm_new(&p->wm, p->wm_key, hp->n_vocab))) return sw_err_set(err, "out of memory");
        sw_sampler_hook hook;
        sw_wm_hook(g->wm, &hook);
        sw_sampler_set_hook(g->smp, &hook);
    }
    return 0;
}

/* Context shift: the KV cache is full, so keep the newest half of the history (and the
 * BOS the model starts from) and re-evaluate it from position 0. Re-evaluating costs one
 * batched pass over n_ctx/2 tokens per n_ctx/2 generated, which is cheap next to the
 * decoding, and unlike rotating cached keys it is exact for every RoPE type.
 * Returns the new number of positions in the cache, or -1 with err. */
static int shift_context(sw_pipeline *p, gen_state *g, int n_hist, sw_err *err) {
    int n_ctx = sw_ctx_n_ctx(p->ctx);
    int32_t bos = sw_tokenizer_bos(sw_model_tokenizer(p->model));
    int keep_bos = bos >= 0 && g->hist[0] == bos;
    int n_keep = n_ctx / 2;
    if (n_keep < 1) return sw_err_set(err, "the context (%d) is too small to shift", n_ctx);
    int32_t *win = malloc((size_t)(n_keep + keep_bos) * sizeof *win);
    if (!win) return sw_err_set(err, "out of memory");
    if (keep_bos) win[0] = bos;
    memcpy(win + keep_bos, g->hist + n_hist - n_keep, (size_t)n_keep * sizeof *win);
    int rc = sw_ctx_eval(p->ctx, win, n_keep + keep_bos, 0, g->logits, NULL, err);
    free(win);
    return rc < 0 ? -1 : n_keep + keep_bos;
}

/* The forward/sample loop: every piece of text goes to the output guard stage. n_past
 * counts the positions in the KV cache, n_hist the whole history (they part after a
 * context shift). */
static int decode_loop(sw_pipeline *p, const sw_gen_request *req, gen_state *g, int n_prompt, int max_tokens,
                       sw_gen_result *res, sw_err *err) {
    const sw_tokenizer *tok = sw_model_tokenizer(p->model);
    int n_ctx = sw_ctx_n_ctx(p->ctx);
    int n_hist = n_prompt, n_past = n_prompt, stop = 0;
    sw_detok_stream_init(&g->ds);
    for (int i = 0; i < max_tokens && !stop; i++) {
        if (reserve(g, res, i + 1, max_tokens, err) < 0) return -1;
        sw_gen_step_logprobs *lp = res->logprobs ? &res->logprobs[i] : NULL;
        int32_t t = sw_sampler_sample(g->smp, g->logits, g->hist, n_hist, lp ? lp->top : NULL, lp ? &lp->chosen : NULL);
        if (!req->ignore_eos && sw_tokenizer_is_eog(tok, t)) {
            res->finish_reason = "stop";
            break;
        }
        g->hist[n_hist++] = t;
        res->tokens[res->n_tokens++] = t;
        sw_buf_reset(&g->piece);
        if (sw_detok_stream_push(tok, &g->ds, t, &g->piece) < 0) return sw_err_set(err, "cannot decode token %d", t);
        if (g->piece.len && sw_outguard_push(&g->out, g->piece.data, g->piece.len, &stop, err) < 0) return -1;
        if (stop) res->finish_reason = g->out.stopped ? "blocked" : "stop";
        if (i + 1 >= max_tokens || stop) break;
        if (n_past == n_ctx) { /* only with shifting: without, max_tokens ends within the context */
            if ((n_past = shift_context(p, g, n_hist, err)) < 0) return -1;
            res->context_shifts++;
        } else {
            if (sw_ctx_eval(p->ctx, &t, 1, n_past, g->logits, NULL, err) < 0) return -1;
            n_past++;
        }
    }
    sw_buf_reset(&g->piece);
    sw_detok_stream_finish(&g->ds, &g->piece);
    if (g->piece.len && !g->out.stopped && sw_outguard_push(&g->out, g->piece.data, g->piece.len, &stop, err) < 0)
        return -1;
    return 0;
}

int sw_pipeline_generate(sw_pipeline *p, const sw_gen_request *req, sw_gen_result *res, sw_err *err) {
    memset(res, 0, sizeof *res);
    res->finish_reason = "length";
    res->audit_index = -1;
    int max_tokens = req->max_tokens > 0 ? req->max_tokens : 256;
    int n_ctx = sw_ctx_n_ctx(p->ctx);
    omp_set_num_threads(p->threads);
    sw_energy energy;
    sw_energy_begin(&energy, 0);
    gen_state g = {0};
    size_t n_prompt = 0;
    const char *prompt;
    int rc = -1;

    /* 1. input guard */
    if (input_stage(p, req, &g.vin, &prompt, err) < 0) goto done;
    if (p->guard && g.vin.action >= SW_ACT_REVIEW) {
        res->finish_reason = g.vin.action == SW_ACT_BLOCK ? "blocked" : "review";
        res->verdict_in = sw_guard_verdict_json(&g.vin);
        res->joules = sw_energy_end(&energy, &res->energy_method);
        rc = record_refusal(p, req, res, err);
        goto done;
    }
    /* 2. generation, watermarked in the sampler, through the output guard */
    sw_gen_request model_req = *req;
    model_req.prompt = prompt;
    if (prompt_tokens(p, &model_req, &g.hist, &n_prompt, err) < 0) goto done;
    if (n_prompt == 0) {
        sw_err_set(err, "the prompt is empty and the model adds no BOS token");
        goto done;
    }
    if ((int)n_prompt >= n_ctx) {
        sw_err_set(err, "the prompt has %zu tokens; the context holds %d", n_prompt, n_ctx);
        goto done;
    }
    if (req->no_context_shift && (int)n_prompt + max_tokens > n_ctx) max_tokens = n_ctx - (int)n_prompt;
    if (prepare(p, req, &g, max_tokens, res, n_prompt, err) < 0) goto done;
    res->prompt_tokens = (int)n_prompt;
    if (req->chat && req->first_turn) {
        const char *d = p->label.disclosure ? p->label.disclosure : sw_label_disclosure(p->label.lang);
        if (d && sw_buf_printf(&g.prefix, "%s\n", d) < 0) {
            sw_err_set(err, "out of memory");
            goto done;
        }
    }
    if (sw_label_affixes(&p->label, &g.prefix, &g.suffix, err) < 0) goto done;
    if (sw_outguard_begin(&g.out, p->guard, p->guard && g.vin.action == SW_ACT_REDACT, req->on_text, req->ud, err) < 0)
        goto done;
    if (req->on_text && g.prefix.len) req->on_text(req->ud, g.prefix.data, g.prefix.len);

    uint64_t t0 = sw_now_ns();
    if (sw_ctx_eval(p->ctx, g.hist, (int)n_prompt, 0, g.logits, NULL, err) < 0) goto done;
    uint64_t t1 = sw_now_ns();
    res->prompt_ms = (double)(t1 - t0) / 1e6;
    if (decode_loop(p, req, &g, (int)n_prompt, max_tokens, res, err) < 0) goto done;
    res->gen_ms = (double)(sw_now_ns() - t1) / 1e6;

    /* 3. output guard verdict; the delivered text */
    sw_guard_action out_action;
    if (sw_outguard_finish(&g.out, &res->text, &out_action, err) < 0) goto done;
    if (out_action >= SW_ACT_REVIEW) res->finish_reason = out_action == SW_ACT_BLOCK ? "blocked" : "review";
    if (p->guard) {
        res->verdict_in = sw_guard_verdict_json(&g.vin);
        res->verdict_out = sw_guard_verdict_json(sw_outguard_verdict(&g.out));
    }
    sw_sha256_hex(g.out.raw.data ? g.out.raw.data : "", g.out.raw.len, res->raw_sha256);
    if (req->on_text && g.suffix.len) req->on_text(req->ud, g.suffix.data, g.suffix.len);
    res->joules = sw_energy_end(&energy, &res->energy_method);
    /* 4. labels, audit record, signed manifest */
    rc = finish_labels(p, req, g.wm ? &p->wm : NULL, &g.prefix, &g.suffix, res, err);
    res->context = g.hist; /* prompt then generated ids, n_prompt + n_tokens of them */
    g.hist = NULL;
done:
    if (rc < 0) res->joules = sw_energy_end(&energy, &res->energy_method);
    gen_state_free(&g);
    return rc;
}
