/* pipeline.h - the one path every request takes: input guard, generation (sampler with
 * its hooks), output guard, labels, audit. Every front end (CLI, HTTP server, red-team
 * harness) calls sw_pipeline_generate, so no front end can skip a control.
 *
 * A sw_pipeline is the runtime, one per process and shared by every request: the model
 * (and its hash), the guard and policy, the keys, the audit log (its one writer) and the
 * decoder. Each sw_pipeline_generate call is a session of its own (its context slot,
 * sampler, watermark state, output guard, principal); sessions may run at once from any
 * number of threads, and those generating at the same time are decoded together, one
 * batched forward pass per step. */
#ifndef STEWARD_PIPELINE_H
#define STEWARD_PIPELINE_H

#include "steward/core.h"
#include "steward/chat.h"
#include "steward/guard.h"
#include "steward/model.h"
#include "steward/label.h"
#include "steward/grammar.h"
#include "steward/sampler.h"
#include "steward/watermark.h"

typedef struct sw_pipeline sw_pipeline;

#define SW_CONTENT_ID_BYTES 16 /* random bytes of a content id (32 hex characters) */
#define SW_REFUSAL_EN "I can't help with that request."
#define SW_REFUSAL_ZH "抱歉，我无法协助处理该请求。"

typedef struct sw_pipeline_opts {
    const char *home;        /* state directory override (NULL: $STEWARD_HOME / ~/.steward) */
    const char *model_path;  /* NULL: the default model */
    int n_ctx;               /* 0: min(model context, 4096) */
    int threads;             /* 0: sw_threads_default() (steward/threads.h) */
    sw_wm_scheme watermark;  /* SW_WM_NONE (0) selects the default, KGW self-hash */
    const sw_label_opts *label; /* NULL: sw_label_opts_default */
    const char *principal;   /* who asks (recorded in the audit log); NULL: "cli" */
    const char *policy_path; /* guard policy; NULL: the shipped default policy */
    int parallel;            /* sessions decoded together at most (0: 1); more wait for a slot */
    const char *chat_template; /* "chatml" | "llama3" when the model's is missing or wrong;
                                  NULL: recognised from the model's tokenizer.chat_template */
    const char *upstream;       /* an OpenAI-compatible server's URL: generation goes there
                                   (no local model, no token watermark); NULL: local */
    const char *upstream_key;   /* its API key (from the environment, never a flag); may be NULL */
    const char *upstream_model; /* the model to ask it for; NULL: "default" */
} sw_pipeline_opts;

/* Loads the model and opens the state directory. The model's SHA-256 is remembered under
 * the state directory, so an unchanged file is hashed once. -1 with a message on error. */
int sw_pipeline_open(const sw_pipeline_opts *opts, sw_pipeline **out, sw_err *err);
void sw_pipeline_close(sw_pipeline *p);
/* The local model; NULL when generation goes upstream. */
const sw_model *sw_pipeline_model(const sw_pipeline *p);
/* Hex SHA-256 of the model file (computed once, at open). */
const char *sw_pipeline_model_sha256(const sw_pipeline *p);
const char *sw_pipeline_model_path(const sw_pipeline *p);
const char *sw_pipeline_home(const sw_pipeline *p);
/* The guard in force (thread-safe to scan with: for moderation without generation). */
const sw_guard *sw_pipeline_guard(const sw_pipeline *p);
/* The audit log the pipeline writes (thread-safe; owned by p): for inclusion proofs and
 * checkpoints of its records while the pipeline holds the log's one writer lock. */
struct sw_audit *sw_pipeline_audit(sw_pipeline *p);
/* Appends the text of token id (special tokens rendered) to out: for log-probabilities
 * shown as strings. -1 on an id out of range or OOM. */
int sw_pipeline_token_text(const sw_pipeline *p, int32_t id, sw_buf *out, sw_err *err);
/* Sessions generating now and sessions waiting for a slot. */
void sw_pipeline_load(sw_pipeline *p, int *running, int *waiting);
/* The watermark parameters and key in use (for evaluation and detection). */
void sw_pipeline_watermark(const sw_pipeline *p, sw_wm_params *params, uint8_t key[SW_WM_KEY_BYTES]);
/* The trusted signing public keys (current first, then retired ones); *n receives the
 * count. -1 when the key files cannot be read. */
int sw_pipeline_trusted_keys(const sw_pipeline *p, uint8_t (*pubs)[SW_SIGN_PUBLIC_BYTES], size_t max,
                             size_t *n, sw_err *err);

/* Called with each piece of delivered text as it becomes valid UTF-8: the label's
 * prefix, the generated text, the label's suffix. Returning non-zero stops the
 * generation (finish_reason "stop": the client is gone); returning SW_TEXT_HALT stops it
 * because a person halted generation (finish_reason "halted"): the text of that call
 * was not delivered, and nothing more is passed on (not the rest, not the suffix).
 * Called from the decoder's threads (several sessions' callbacks may run at once, each
 * session's in order) while other sessions wait: keep it short. */
typedef int (*sw_text_fn)(void *ud, const char *text, size_t len);
#define SW_TEXT_HALT 2 /* sw_text_fn's answer when a person halted generation */

typedef struct sw_gen_request {
    const char *prompt;         /* continued as given; or, with chat, one user message */
    const sw_chat_msg *messages; /* a conversation (system, user, assistant, tool), used
                                    instead of prompt when n_messages > 0; formatted by the
                                    chat template, every content as plain text */
    int n_messages;
    int chat;          /* format the prompt as a user message in the model's template */
    const char *principal;    /* who asks (recorded in the audit log); NULL: the pipeline's */
    const char *conversation; /* conversation id, recorded in the audit log; may be NULL */
    int max_tokens;    /* <= 0: 256 */
    int ignore_eos;
    int no_watermark;  /* generate without the statistical watermark (labels stay) */
    int first_turn;    /* with chat: the first interaction, which opens with the disclosure */
    int no_context_shift; /* stop at the context's end instead of shifting (see below) */
    sw_sampler_params sampling;
    int uncertainty;         /* report the spans where the model was unsure (see below) */
    int mark_uncertain;      /* ... and mark them in the delivered text (not when streaming) */
    float uncertain_p;       /* a token is uncertain under this probability (0: the policy's
                                "uncertainty" line, else 0.1) ... */
    float uncertain_entropy; /* ... or over this entropy in nats (0: the policy's, else 3.0) of
                                the model's own distribution (temperature 1, before any
                                sampling rule) */
    int consistency;         /* N > 1: also sample N - 1 other answers (seeds seed+1 ...,
                                not delivered) and measure how the answer agrees with them */
    float consistency_min;   /* agreement under this (0: the policy's "consistency" line,
                                else 0.3) flags the answer ... */
    int consistency_review;  /* ... or, when set (or the policy says review), sends it to
                                review (withheld) */
    const sw_grammar *grammar; /* constrained decoding (see grammar.h): the answer is a
                                  complete document of it within max_tokens; NULL: free text */
    const char *const *stop;   /* stop sequences: generation ends at the first one, matched
                                  across token boundaries; it is not delivered */
    int n_stop;
    double max_time;           /* seconds of decoding at most (<= 0: no limit); then it ends
                                  ("length"), with a grammar once the shortest completion
                                  is written */
    int input_approved;        /* a person approved this request after the input guard sent
                                  it to review: a review verdict on it no longer holds it
                                  (a block still does) */
    sw_text_fn on_text; /* may be NULL */
    void *ud;
    int buffered;       /* on_text only watches the generation: the front end delivers the
                           answer once it is whole (a plain HTTP answer), so one halted
                           (SW_TEXT_HALT) delivered nothing: its record has no delivered hash */
    int (*halted)(void *ud); /* may be NULL; asked before every token (with ud): non-zero when a
                                person halted generation, which then ends as when on_text
                                answers SW_TEXT_HALT, even while the output guard holds all
                                text back (on_text is then not called until the end) */
} sw_gen_request;

typedef struct sw_gen_step_logprobs {
    float chosen;
    sw_logprob top[20];
} sw_gen_step_logprobs;

/* A run of consecutive uncertain tokens: token indices [token_start, token_end) of the
 * generated ids, byte offsets [start, end) in the delivered text (valid when
 * offsets_valid: the output guard changed nothing), the least probability and the most
 * entropy among them. */
typedef struct sw_gen_span {
    int token_start, token_end;
    size_t start, end;
    float min_p, max_entropy;
} sw_gen_span;

#define SW_CONSISTENCY_MIN_DEFAULT 0.3f
#define SW_CONSISTENCY_MAX 16 /* samples per request at most */
#define SW_UNCERTAIN_P_DEFAULT 0.1f
#define SW_UNCERTAIN_ENTROPY_DEFAULT 3.0f
#define SW_UNCERTAIN_OPEN "\xe2\x9f\xa6"  /* U+27E6 ⟦ before a marked span */
#define SW_UNCERTAIN_CLOSE "\xe2\x9f\xa7" /* U+27E7 ⟧ after it */

typedef struct sw_gen_result {
    sw_buf text;              /* the text delivered (no label): generated, then redacted or
                                 cut short as the output guard's policy says */
    int32_t *tokens;          /* generated ids (none when generation went upstream) */
    int n_tokens;
    int usage_tokens;         /* tokens generated: n_tokens, or what the upstream server counted */
    int32_t *context;         /* what the model saw: prompt_tokens ids (BOS, template, the
                                 prompt as the input guard passed it) then the generated ids */
    sw_gen_step_logprobs *logprobs; /* n_tokens entries when sampling.n_logprobs > 0 */
    const char *finish_reason; /* "stop" | "length" | "blocked" | "review" | "halted" (on_text
                                  answered SW_TEXT_HALT: text is what was delivered before
                                  the halt, nothing when buffered) */
    char id[2 * SW_CONTENT_ID_BYTES + 1]; /* content id: the manifest's and the audit record's */
    const char *refusal;      /* with "blocked": the policy's refusal message, to deliver */
    int prompt_tokens;
    int context_shifts;       /* times the context was full and its older half dropped */
    double prompt_ms, gen_ms;
    double joules;
    const char *energy_method;
    sw_buf labelled_text;     /* the text as delivered: explicit label around text */
    json_t *manifest;         /* signed provenance manifest (label inside) */
    long long audit_index;    /* number of the generation's record in the audit log */
    json_t *verdict_in;       /* input guard verdict (scan --json form) */
    json_t *verdict_out;      /* output guard verdict; NULL when the input was refused */
    char raw_sha256[2 * SW_SHA256_BYTES + 1]; /* of the generated text before the guard */
    sw_gen_span *uncertain;   /* with request.uncertainty: the uncertain spans, n_uncertain */
    int n_uncertain;
    int uncertain_offsets_valid;
    int uncertain_marked;     /* the spans were marked in text with SW_UNCERTAIN_OPEN/CLOSE */
    double agreement;         /* with request.consistency: mean agreement of the answer with
                                 the other samples, (word Dice + word-bigram Dice) / 2 */
    double agreement_unigram, agreement_bigram;
    int low_consistency;      /* agreement under the minimum in force */
    sw_guard_gen_settings settings; /* the thresholds in force: the request's, else the
                                       policy's, else the defaults */
    sw_buf held;              /* with finish_reason "review" after generation: the text
                                 withheld (as generated), for a person to decide on */
    sw_author author;         /* who wrote the delivered text (sw_pipeline_deliver) */
} sw_gen_result;

/* Runs one request through the pipeline (thread-safe: a session of its own). Streaming
 * (on_text set) first appends a durable "generation_started" record, so no text leaves
 * without a trace. The result is filled even on error (partial
 * text); free it with sw_gen_result_free. When the context fills before max_tokens,
 * the model goes on from the newest half of what it has seen (BOS kept), re-evaluated
 * from position 0 (a context shift, counted in context_shifts); with no_context_shift
 * it stops there (finish_reason "length"). The watermark and the repetition penalty
 * always see the whole history. -1 with a message on error (the prompt does
 * not fit the context, a token cannot be decoded, no memory). */
int sw_pipeline_generate(sw_pipeline *p, const sw_gen_request *req, sw_gen_result *res, sw_err *err);
void sw_gen_result_free(sw_gen_result *r);
/* The result as `steward generate --json` prints it and the server's `steward` object
 * takes it (text, labelled_text, finish_reason, label, manifest, tokens, model, seed,
 * audit, verdicts, policy_sha256, timings, energy, logprobs with token strings).
 * New reference; NULL when out of memory. */
json_t *sw_gen_result_json(const sw_pipeline *p, const sw_gen_request *req, const sw_gen_result *r);

/* ---- text a person decided on: delivered through the same labels, audit and manifest ---- */
typedef struct sw_deliver_request {
    const char *text;          /* the text to deliver (unlabelled) */
    size_t len;
    sw_author author;          /* model (a held answer approved), human (a person's reply) or
                                  edited (a person's edit of a held answer) */
    const char *original_sha256; /* edited: hex SHA-256 of the model's text before the edit */
    const char *principal;     /* whose answer it is (the audit record); NULL: the pipeline's */
    const char *conversation;  /* may be NULL */
    const char *decided_by;    /* the person who approved, edited or wrote it (audit record) */
    int rejected;              /* a person rejected the held answer: text is the refusal to
                                  deliver (not scanned), finish_reason "blocked", labelled and
                                  signed for author like any answer (refusal stays NULL) */
} sw_deliver_request;
/* Delivers a text a person approved, edited or wrote: a person's text (human, edited)
 * passes the output guard like any answer (redacted as the policy says; a block delivers
 * the policy's refusal with finish_reason "blocked"; review is not applied again: a
 * person already decided), a model's approved text is delivered as it was held. Then the
 * explicit label for its author (sw_label_notice_by), an audit record of type "delivery"
 * and the signed manifest naming the author. Fills res as sw_pipeline_generate does (text,
 * labelled_text, finish_reason "stop" or "blocked", refusal, verdict_out, manifest,
 * audit_index, id, author); free it with sw_gen_result_free. -1 with a message on error. */
int sw_pipeline_deliver(sw_pipeline *p, const sw_deliver_request *req, sw_gen_result *res, sw_err *err);

/* A verdict's JSON as the audit log keeps it (and anything else that stores verdicts in
 * clear): decisions, categories, spans and scores, but not the redacted text nor the
 * explanations, which quote the content. New reference; NULL for NULL or out of memory. */
json_t *sw_pipeline_verdict_plain(const json_t *v);

/* Hex SHA-256 of the guard policy in force. */
const char *sw_pipeline_policy_sha256(const sw_pipeline *p);

/* Path of the default model: $STEWARD_MODEL, else the shipped models/default.gguf next
 * to the executable (or in the data directory), else NULL. */
const char *sw_pipeline_default_model(char *buf, size_t bufsz);
/* Path of the default chat model (one with a chat template): $STEWARD_MODEL, else the
 * shipped models/chat.gguf next to the executable (or in the data directory), else NULL. */
const char *sw_pipeline_default_chat_model(char *buf, size_t bufsz);

#endif
