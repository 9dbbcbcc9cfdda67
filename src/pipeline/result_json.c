/* result_json.c - the JSON form of a generation's result, shared by `steward generate
 * --json` and the server's `steward` object. */
#include "steward/pipeline.h"

#define SCORE_DIGITS 4 /* significant digits of scores, as the guard's findings have */

static json_t *tokens_json(const int32_t *ids, int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_integer(ids[i]));
    return a;
}

/* A token's text for people (special tokens rendered); "" when it cannot be decoded. */
static json_t *token_text_json(const sw_pipeline *p, int32_t id) {
    sw_buf b = {0};
    sw_err err;
    json_t *s = sw_pipeline_token_text(p, id, &b, &err) == 0 ? json_stringn(b.data ? b.data : "", b.len) : NULL;
    sw_buf_free(&b);
    return s ? s : json_string(""); /* a piece of a multi-byte character is not valid UTF-8 alone */
}

/* Per-step log-probabilities: the chosen token's and the top k alternatives, with ids and
 * token strings. */
static json_t *logprobs_json(const sw_pipeline *p, const sw_gen_result *r, int k) {
    json_t *a = json_array();
    for (int i = 0; i < r->n_tokens; i++) {
        json_t *top = json_array();
        for (int j = 0; j < k; j++)
            json_array_append_new(top, json_pack("{s:i,s:o,s:f}", "id", r->logprobs[i].top[j].id, "token",
                                                 token_text_json(p, r->logprobs[i].top[j].id), "logprob",
                                                 (double)r->logprobs[i].top[j].logprob));
        json_array_append_new(a, json_pack("{s:i,s:o,s:f,s:o}", "id", r->tokens[i], "token",
                                           token_text_json(p, r->tokens[i]), "logprob",
                                           (double)r->logprobs[i].chosen, "top", top));
    }
    return a;
}

/* The uncertain spans: token indices, byte offsets (when they hold), the text, the
 * least probability and the most entropy. */
static json_t *uncertain_json(const sw_gen_request *req, const sw_gen_result *r) {
    json_t *spans = json_array();
    for (int i = 0; i < r->n_uncertain; i++) {
        const sw_gen_span *u = &r->uncertain[i];
        json_t *o = json_pack("{s:i,s:i,s:f,s:f}", "token_start", u->token_start, "token_end", u->token_end,
                              "min_p", sw_round_sig(u->min_p, SCORE_DIGITS),
                              "max_entropy", sw_round_sig(u->max_entropy, SCORE_DIGITS));
        if (r->uncertain_offsets_valid && !r->uncertain_marked) {
            json_object_set_new(o, "start", json_integer((json_int_t)u->start));
            json_object_set_new(o, "end", json_integer((json_int_t)u->end));
            json_object_set_new(o, "text", json_stringn(r->text.data + u->start, u->end - u->start));
        }
        json_array_append_new(spans, o);
    }
    (void)req;
    return json_pack("{s:f,s:f,s:b,s:o}", "p_below", sw_round_sig(r->settings.uncertain_p, SCORE_DIGITS),
                     "entropy_above", sw_round_sig(r->settings.uncertain_entropy, SCORE_DIGITS), "marked", r->uncertain_marked, "spans", spans);
}

json_t *sw_gen_result_json(const sw_pipeline *p, const sw_gen_request *req, const sw_gen_result *r) {
    double tps = r->gen_ms > 0 ? r->n_tokens / (r->gen_ms / 1000.0) : 0;
    int k = req->sampling.n_logprobs;
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "text", json_stringn(r->text.data ? r->text.data : "", r->text.len));
    json_object_set_new(o, "labelled_text",
                        json_stringn(r->labelled_text.data ? r->labelled_text.data : "", r->labelled_text.len));
    json_object_set_new(o, "finish_reason", json_string(r->finish_reason));
    if (r->refusal) json_object_set_new(o, "refusal", json_string(r->refusal));
    if (r->manifest) {
        json_object_set(o, "label", json_object_get(r->manifest, "label"));
        json_object_set(o, "manifest", r->manifest);
    }
    json_object_set_new(o, "tokens", tokens_json(r->tokens, r->n_tokens));
    json_object_set_new(o, "model", json_pack("{s:s,s:s}", "path", sw_pipeline_model_path(p), "sha256",
                                              sw_pipeline_model_sha256(p)));
    json_object_set_new(o, "seed", json_integer((json_int_t)req->sampling.seed));
    json_object_set_new(o, "audit", json_pack("{s:I}", "index", (json_int_t)r->audit_index));
    json_object_set_new(o, "verdicts", json_pack("{s:O*,s:O*}", "input", r->verdict_in, "output", r->verdict_out));
    json_object_set_new(o, "policy_sha256", json_string(sw_pipeline_policy_sha256(p)));
    json_object_set_new(o, "timings",
                        json_pack("{s:i,s:f,s:i,s:f,s:f,s:i}", "prompt_tokens", r->prompt_tokens, "prompt_ms",
                                  r->prompt_ms, "gen_tokens", r->n_tokens, "gen_ms", r->gen_ms, "gen_tokens_per_s",
                                  tps, "context_shifts", r->context_shifts));
    json_object_set_new(o, "energy", json_pack("{s:f,s:s}", "joules", r->joules, "method",
                                               r->energy_method ? r->energy_method : "none"));
    if (k > 0 && r->logprobs) json_object_set_new(o, "logprobs", logprobs_json(p, r, k));
    if (req->uncertainty) json_object_set_new(o, "uncertainty", uncertain_json(req, r));
    if (req->consistency > 1)
        json_object_set_new(o, "consistency",
                            json_pack("{s:i,s:f,s:f,s:f,s:f,s:b,s:s}", "samples", req->consistency, "agreement",
                                      sw_round_sig(r->agreement, SCORE_DIGITS), "unigram",
                                      sw_round_sig(r->agreement_unigram, SCORE_DIGITS), "bigram",
                                      sw_round_sig(r->agreement_bigram, SCORE_DIGITS),
                                      "min", sw_round_sig(r->settings.consistency_min, SCORE_DIGITS), "low", r->low_consistency, "action",
                                      r->low_consistency ? (r->settings.consistency_review ? "review" : "flag") : "none"));
    return o;
}
