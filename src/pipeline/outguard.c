/* outguard.c - streaming output guard with a hold-back window: generated text reaches
 * the client only after the guard has seen enough of what follows it. */
#include "outguard.h"

#include <string.h>

int sw_outguard_begin(sw_outguard *o, const sw_guard *guard, int hold_all, sw_text_fn emit, void *ud,
                      sw_err *err) {
    memset(o, 0, sizeof *o);
    o->guard = guard;
    o->holding = hold_all && guard;
    o->emit = emit;
    o->ud = ud;
    if (guard && !(o->stream = sw_guard_stream_new(guard, err))) return -1;
    return 0;
}

/* 1 when a finding so far needs more than passing text on: redaction rewrites bytes,
 * review and block withhold them. */
static int needs_whole_text(const sw_guard_verdict *v) {
    for (size_t i = 0; i < v->n_findings; i++)
        if (v->findings[i].action >= SW_ACT_REDACT) return 1;
    return 0;
}

/* Largest UTF-8 character boundary <= at. */
static size_t char_boundary(const char *s, size_t at) {
    while (at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80) at--;
    return at;
}

/* Delivers raw[emitted .. upto). Returns 1 when the client asked to stop or a person
 * halted generation (o->halted: that text and all after it stay undelivered). */
static int deliver(sw_outguard *o, size_t upto) {
    if (o->halted) return 1;
    if (upto <= o->emitted) return 0;
    int stop = o->emit ? o->emit(o->ud, o->raw.data + o->emitted, upto - o->emitted) : 0;
    if (stop == SW_TEXT_HALT) {
        o->halted = 1;
        return 1;
    }
    o->emitted = upto;
    return stop != 0;
}

int sw_outguard_push(sw_outguard *o, const char *text, size_t len, int *stop, sw_err *err) {
    *stop = 0;
    if (sw_buf_append(&o->raw, text, len) < 0) return sw_err_set(err, "out of memory");
    if (!o->stream) {
        *stop = deliver(o, o->raw.len);
        return 0;
    }
    int blocked = 0;
    if (sw_guard_stream_push(o->stream, text, len, &blocked, err) < 0) return -1;
    const sw_guard_verdict *v = sw_guard_stream_verdict(o->stream);
    if (blocked || v->action >= SW_ACT_REVIEW) {
        o->stopped = 1;
        *stop = 1;
        return 0;
    }
    if (needs_whole_text(v)) o->holding = 1;
    if (o->halted) {
        *stop = 1;
        return 0;
    }
    if (!o->holding && o->raw.len > SW_OUTGUARD_HOLD)
        *stop = deliver(o, char_boundary(o->raw.data, o->raw.len - SW_OUTGUARD_HOLD));
    return 0;
}

int sw_outguard_finish(sw_outguard *o, sw_buf *delivered, sw_guard_action *action, sw_err *err) {
    *action = SW_ACT_ALLOW;
    if (!o->stream) {
        deliver(o, o->raw.len);
        return sw_buf_append(delivered, o->raw.data, o->emitted) < 0 ? sw_err_set(err, "out of memory") : 0;
    }
    int blocked = 0;
    if (sw_guard_stream_finish(o->stream, &blocked, err) < 0) return -1;
    const sw_guard_verdict *v = sw_guard_stream_verdict(o->stream);
    *action = v->action;
    if (blocked || v->action >= SW_ACT_REVIEW || o->halted) {
        /* withheld: the client keeps only what it had already received */
        return sw_buf_append(delivered, o->raw.data, o->emitted) < 0 ? sw_err_set(err, "out of memory") : 0;
    }
    /* Redaction only rewrites spans after what was delivered (text with such a finding
     * was never let through), so the redacted text starts with the delivered bytes. */
    sw_buf text = {0};
    const char *src = v->redacted ? v->redacted : o->raw.data;
    size_t n = v->redacted ? v->redacted_len : o->raw.len;
    int rc = sw_guard_restore(o->guard, src ? src : "", n, &text, err);
    if (rc == 0 && (text.len < o->emitted || (o->emitted && memcmp(text.data, o->raw.data, o->emitted) != 0)))
        sw_log(SW_LOG_WARN, "output guard: a finding reached into text already delivered");
    if (rc == 0 && text.len < o->emitted) o->emitted = text.len;
    if (rc == 0) {
        if (o->emit && text.len > o->emitted) o->emit(o->ud, text.data + o->emitted, text.len - o->emitted);
        o->emitted = text.len;
        if (sw_buf_append(delivered, text.data ? text.data : "", text.len) < 0) rc = sw_err_set(err, "out of memory");
    }
    sw_buf_free(&text);
    return rc;
}

const sw_guard_verdict *sw_outguard_verdict(const sw_outguard *o) {
    return o->stream ? sw_guard_stream_verdict(o->stream) : NULL;
}

void sw_outguard_free(sw_outguard *o) {
    sw_guard_stream_free(o->stream);
    sw_buf_free(&o->raw);
    memset(o, 0, sizeof *o);
}
