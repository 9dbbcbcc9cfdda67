/* request.c - parses the body of /v1/chat/completions and /v1/completions (OpenAI's
 * fields plus llama-server's ignore_eos and steward's own "steward" object) into the
 * parameters of one generation, checking every type and range; and reads the common
 * /v1/moderations body, {"input": "TEXT"}, without building JSON objects. */
#include "server_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(srv_gen_params *p, const char *param, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(srv_gen_params *p, const char *param, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, sizeof p->why, fmt, ap);
    va_end(ap);
    p->param = param;
    return -1;
}

void srv_gen_params_free(srv_gen_params *p) {
    sw_grammar_free(p->grammar);
    p->grammar = NULL;
    for (int i = 0; i < p->n_owned; i++) free(p->owned[i]);
    free(p->owned);
    free(p->msgs);
    p->owned = NULL;
    p->msgs = NULL;
    p->n_owned = 0;
}

/* Keeps s (malloc'd) until srv_gen_params_free; returns it, or NULL on OOM. */
static char *own(srv_gen_params *p, char *s) {
    if (!s) return NULL;
    char **o = realloc(p->owned, (size_t)(p->n_owned + 1) * sizeof *o);
    if (!o) {
        free(s);
        return NULL;
    }
    p->owned = o;
    o[p->n_owned++] = s;
    return s;
}

/* A message's content: a string, null, or an array of {"type":"text","text":...} parts
 * (joined). NULL with p->why set when it is none of these. */
static const char *content_text(srv_gen_params *p, json_t *c) {
    if (!c || json_is_null(c)) return "";
    if (json_is_string(c)) return json_string_value(c);
    if (!json_is_array(c)) return NULL;
    sw_buf b = {0};
    size_t i;
    json_t *part;
    json_array_foreach(c, i, part) {
        json_t *t = json_object_get(part, "text");
        const char *ty = json_string_value(json_object_get(part, "type"));
        if (!json_is_string(t) || !ty || strcmp(ty, "text") != 0 ||
            sw_buf_append(&b, json_string_value(t), json_string_length(t)) < 0) {
            sw_buf_free(&b);
            return NULL;
        }
    }
    if (!b.data && sw_buf_puts(&b, "") < 0) return NULL;
    return own(p, b.data);
}

static int parse_messages(srv_gen_params *p, json_t *m) {
    if (!json_is_array(m) || json_array_size(m) == 0 || json_array_size(m) > SRV_MAX_MESSAGES)
        return bad(p, "messages", "'messages' must be an array of 1 to %d messages", SRV_MAX_MESSAGES);
    if (!(p->msgs = calloc(json_array_size(m), sizeof *p->msgs))) return bad(p, NULL, "out of memory");
    size_t i;
    json_t *e;
    json_array_foreach(m, i, e) {
        const char *role = json_string_value(json_object_get(e, "role"));
        if (!json_is_object(e) || !role)
            return bad(p, "messages", "messages[%zu] must be an object with a string 'role'", i);
        if (strcmp(role, "developer") == 0) role = "system";
        if (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "tool"))
            return bad(p, "messages", "messages[%zu].role must be system, developer, user, assistant or tool", i);
        const char *text = content_text(p, json_object_get(e, "content"));
        if (!text) return bad(p, "messages", "messages[%zu].content must be a string or an array of text parts", i);
        p->msgs[i].role = role;
        p->msgs[i].content = text;
    }
    p->n_msgs = (int)json_array_size(m);
    return 0;
}

static int parse_prompt(srv_gen_params *p, json_t *v) {
    if (json_is_array(v) && json_array_size(v) == 1) v = json_array_get(v, 0);
    if (!json_is_string(v)) return bad(p, "prompt", "'prompt' must be a string (or an array of one string)");
    p->prompt = json_string_value(v);
    return 0;
}

/* A number in [lo, hi] when present: 1 and *out set, 0 when absent, -1 when wrong. */
static int number_in(srv_gen_params *p, json_t *o, const char *key, double lo, double hi, double *out) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return bad(p, key, "'%s' must be a number from %g to %g", key, lo, hi);
    *out = json_number_value(v);
    return 1;
}

static int int_in(srv_gen_params *p, json_t *o, const char *key, long long lo, long long hi, long long *out) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return bad(p, key, "'%s' must be an integer from %lld to %lld", key, lo, hi);
    *out = json_integer_value(v);
    return 1;
}

static int bool_of(srv_gen_params *p, json_t *o, const char *key, int *out) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return bad(p, key, "'%s' must be true or false", key);
    *out = json_is_true(v);
    return 1;
}

static int parse_stop(srv_gen_params *p, json_t *v) {
    if (!v || json_is_null(v)) return 0;
    if (json_is_string(v)) {
        p->stop[p->n_stop++] = json_string_value(v);
    } else if (json_is_array(v) && json_array_size(v) <= SRV_MAX_STOP) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) return bad(p, "stop", "'stop' must be a string or an array of strings");
            p->stop[p->n_stop++] = json_string_value(e);
        }
    } else {
        return bad(p, "stop", "'stop' must be a string or an array of up to %d strings", SRV_MAX_STOP);
    }
    for (int i = 0; i < p->n_stop; i++)
        if (!p->stop[i][0]) return bad(p, "stop", "'stop' strings must not be empty");
    return 0;
}

/* logprobs: chat takes "logprobs": bool and "top_logprobs": 0..20; completions take
 * "logprobs": 0..5 (the number of alternatives). */
static int parse_logprobs(srv_gen_params *p, json_t *o, int chat) {
    long long n = 0;
    if (chat) {
        if (bool_of(p, o, "logprobs", &p->logprobs) < 0) return -1;
        if (int_in(p, o, "top_logprobs", 0, SRV_MAX_TOP_LOGPROBS, &n) < 0) return -1;
        if (n && !p->logprobs) return bad(p, "top_logprobs", "'top_logprobs' needs 'logprobs': true");
    } else {
        int has = int_in(p, o, "logprobs", 0, 5, &n);
        if (has < 0) return -1;
        p->logprobs = has;
    }
    p->top_logprobs = (int)n;
    return 0;
}

static int parse_options(srv_gen_params *p, json_t *o) {
    json_t *so = json_object_get(o, "stream_options");
    if (so && !json_is_null(so)) {
        if (!json_is_object(so)) return bad(p, "stream_options", "'stream_options' must be an object");
        if (bool_of(p, so, "include_usage", &p->include_usage) < 0) return -1;
    }
    json_t *st = json_object_get(o, "steward");
    if (st && !json_is_null(st)) {
        if (!json_is_object(st)) return bad(p, "steward", "'steward' must be an object");
        if (bool_of(p, st, "proof", &p->proof) < 0) return -1;
        json_t *conv = json_object_get(st, "conversation");
        if (conv && !json_is_string(conv)) return bad(p, "steward", "'steward.conversation' must be a string");
        p->conversation = json_string_value(conv);
    }
    json_t *user = json_object_get(o, "user");
    if (user && !json_is_null(user) && !json_is_string(user)) return bad(p, "user", "'user' must be a string");
    p->user = json_string_value(user);
    json_t *model = json_object_get(o, "model");
    if (model && !json_is_null(model) && !json_is_string(model)) return bad(p, "model", "'model' must be a string");
    long long n = 1;
    if (int_in(p, o, "n", 1, 1, &n) < 0) return -1;
    return 0;
}

/* response_format: "text"; "json_object" (any JSON object: compiled from the schema
 * {"type": "object"}); "json_schema" with json_schema.schema (OpenAI's structured
 * outputs). The answer is then always a complete, valid document (docs/grammar.md). */
static int parse_response_format(srv_gen_params *p, json_t *v) {
    if (!v || json_is_null(v)) return 0;
    const char *type = json_string_value(json_object_get(v, "type"));
    if (!json_is_object(v) || !type)
        return bad(p, "response_format", "'response_format' must be an object with a 'type'");
    if (strcmp(type, "text") == 0) return 0;
    json_t *schema = NULL;
    if (strcmp(type, "json_object") == 0) {
        schema = json_pack("{s:s}", "type", "object");
    } else if (strcmp(type, "json_schema") == 0) {
        json_t *s = json_object_get(json_object_get(v, "json_schema"), "schema");
        if (!json_is_object(s))
            return bad(p, "response_format", "'response_format.json_schema.schema' must be a JSON Schema object");
        schema = json_incref(s);
    } else {
        return bad(p, "response_format", "'response_format.type' must be text, json_object or json_schema");
    }
    char *text = schema ? json_dumps(schema, JSON_COMPACT) : NULL;
    json_decref(schema);
    sw_err err;
    int rc = text ? sw_grammar_from_schema(text, strlen(text), &p->grammar, &err) : sw_err_set(&err, "out of memory");
    free(text);
    if (rc < 0) return bad(p, "response_format", "response_format: %s", err.msg);
    return 0;
}

int srv_gen_params_parse(json_t *o, int chat, srv_gen_params *p) {
    memset(p, 0, sizeof *p);
    p->store = 1;
    if (chat ? parse_messages(p, json_object_get(o, "messages")) : parse_prompt(p, json_object_get(o, "prompt")))
        return -1;
    long long mt = 0, seed = 0;
    int has = int_in(p, o, "max_completion_tokens", 1, SRV_MAX_TOKENS, &mt);
    if (has < 0 || (!has && int_in(p, o, "max_tokens", 1, SRV_MAX_TOKENS, &mt) < 0)) return -1;
    p->max_tokens = (int)mt;
    if ((p->has_temperature = number_in(p, o, "temperature", 0, 2, &p->temperature)) < 0) return -1;
    if ((p->has_top_p = number_in(p, o, "top_p", 0, 1, &p->top_p)) < 0) return -1;
    if ((p->has_seed = int_in(p, o, "seed", 0, (long long)(~0ull >> 1), &seed)) < 0) return -1;
    p->seed = (uint64_t)seed;
    if (parse_stop(p, json_object_get(o, "stop")) < 0 || parse_logprobs(p, o, chat) < 0) return -1;
    if (bool_of(p, o, "stream", &p->stream) < 0 || bool_of(p, o, "ignore_eos", &p->ignore_eos) < 0 ||
        bool_of(p, o, "store", &p->store) < 0)
        return -1;
    if (parse_response_format(p, json_object_get(o, "response_format")) < 0) return -1;
    return parse_options(p, o);
}

/* ---- the common moderation body ---- */

static size_t skip_ws(const char *s, size_t i, size_t n) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

#define INPUT_KEY "\"input\""
#define INPUT_KEY_LEN (sizeof INPUT_KEY - 1)

int srv_moderation_simple_input(const char *body, size_t len, const char **text, size_t *text_len) {
    size_t i = skip_ws(body, 0, len);
    if (i >= len || body[i] != '{') return 0;
    i = skip_ws(body, i + 1, len);
    if (len - i < INPUT_KEY_LEN || memcmp(body + i, INPUT_KEY, INPUT_KEY_LEN) != 0) return 0;
    i = skip_ws(body, i + INPUT_KEY_LEN, len);
    if (i >= len || body[i] != ':') return 0;
    i = skip_ws(body, i + 1, len);
    if (i >= len || body[i] != '"') return 0;
    size_t start = ++i;
    for (; i < len && body[i] != '"'; i++)
        if (body[i] == '\\' || (unsigned char)body[i] < 0x20) return 0; /* an escape or a control: jansson's */
    if (i >= len) return 0;
    size_t end = i;
    i = skip_ws(body, i + 1, len);
    if (i >= len || body[i] != '}' || skip_ws(body, i + 1, len) != len) return 0;
    if (!sw_utf8_valid((const unsigned char *)body + start, end - start)) return 0;
    *text = body + start;
    *text_len = end - start;
    return 1;
}
