/* upstream.h - generation by an OpenAI-compatible server (llama-server, vLLM, another
 * steward) instead of the local engine: the answer streams back through the pipeline's
 * output guard, labels, manifest and audit like a local one. Not public. */
#ifndef STEWARD_UPSTREAM_H
#define STEWARD_UPSTREAM_H

#include "steward/pipeline.h"

typedef struct sw_upstream sw_upstream;

#define SW_UPSTREAM_FINISH_MAX 32

/* Receives each piece of generated text as it arrives; non-zero cancels the request. */
typedef int (*sw_upstream_piece_fn)(void *ud, const char *text, size_t len);

/* What one upstream request gave besides its text. */
typedef struct sw_upstream_result {
    char finish_reason[SW_UPSTREAM_FINISH_MAX]; /* upstream's word ("stop", "length", ...) */
    int completion_tokens;                      /* from its usage report; -1 when absent */
    int prompt_tokens;
} sw_upstream_result;

/* A client of the server at base_url (".../v1" is added when the URL does not end in it),
 * authenticated with api_key when not NULL, asking for model (NULL: "default"). NULL with
 * err on a malformed URL or when libcurl cannot start. */
sw_upstream *sw_upstream_new(const char *base_url, const char *api_key, const char *model, sw_err *err);
void sw_upstream_free(sw_upstream *u);
/* "URL model": what the manifest and the audit log name as the model. */
const char *sw_upstream_name(const sw_upstream *u);

/* Streams one generation: a chat completion of msgs (n > 0), else a completion of
 * prompt, with the request's sampling and max_tokens. Thread-safe (one connection per
 * call). -1 with err on a connection, HTTP (the server's error message quoted) or
 * protocol error; cancelling through piece is not an error. */
int sw_upstream_generate(sw_upstream *u, const sw_chat_msg *msgs, int n, const char *prompt,
                         const sw_gen_request *req, int max_tokens, sw_upstream_piece_fn piece, void *ud,
                         sw_upstream_result *out, sw_err *err);

#endif
