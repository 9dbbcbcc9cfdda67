/* stream.c - the streaming output guard: rescans a window that overlaps the previous
 * chunk, so that matches straddling chunk boundaries are caught, and stops the stream
 * as soon as the policy blocks. */
#include "guard_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of already-scanned text rescanned with each chunk: longer than any keyword
 * phrase or PII value, so that every match that straddles a boundary is seen whole. */
#define OVERLAP 512

struct sw_guard_stream {
    const sw_guard *g;
    sw_buf text;
    size_t scanned; /* bytes covered by the last scan */
    sw_guard_verdict v;
};

sw_guard_stream *sw_guard_stream_new(const sw_guard *g, sw_err *err) {
    sw_guard_stream *s = calloc(1, sizeof *s);
    if (!s) {
        sw_err_set(err, "guard stream: out of memory");
        return NULL;
    }
    s->g = g;
    s->v.dir = SW_GUARD_OUTPUT;
    snprintf(s->v.policy_hash, sizeof s->v.policy_hash, "%s", sw_guard_policy_hash(g));
    return s;
}

void sw_guard_stream_free(sw_guard_stream *s) {
    if (!s) return;
    sw_buf_free(&s->text);
    sw_guard_verdict_free(&s->v);
    free(s);
}

const sw_guard_verdict *sw_guard_stream_verdict(const sw_guard_stream *s) { return &s->v; }

static int known(const sw_guard_verdict *v, const sw_guard_finding *f) {
    for (size_t i = v->n_findings; i-- > 0;) {
        const sw_guard_finding *p = &v->findings[i];
        if (p->start == f->start && p->end == f->end && strcmp(p->category, f->category) == 0 &&
            strcmp(p->type, f->type) == 0)
            return 1;
    }
    return 0;
}

/* Scans the window and adopts new findings; final: also those touching the end. */
static int scan_window(sw_guard_stream *s, int final, int *stop) {
    size_t len = s->text.len;
    size_t ws = s->scanned > OVERLAP ? s->scanned - OVERLAP : 0;
    while (ws > 0 && ((unsigned char)s->text.data[ws] & 0xC0) == 0x80) ws--;
    sw_guard_verdict w = {0};
    if (gscan_raw(s->g, s->text.data + ws, len - ws, SW_TEXT_USER, &w) < 0) {
        sw_guard_verdict_free(&w);
        return -1;
    }
    gmerge_findings(&w);
    sw_guard_policy_apply(gguard_policy(s->g), SW_GUARD_OUTPUT, &w);
    int rc = 0;
    for (size_t i = 0; i < w.n_findings && rc == 0; i++) {
        sw_guard_finding f = w.findings[i];
        f.start += ws;
        f.end += ws;
        if (f.end < s->scanned) continue; /* seen whole by an earlier scan */
        if (!final && f.end >= len && f.action != SW_ACT_BLOCK) continue; /* may still grow */
        if (known(&s->v, &f)) continue;
        rc = gf_add(&s->v, f.category, f.type, f.start, f.end, f.score, f.source, f.explain);
        if (rc == 0) s->v.findings[s->v.n_findings - 1] = f;
        if (f.action > s->v.action) s->v.action = f.action;
    }
    sw_guard_verdict_free(&w);
    s->scanned = len;
    if (stop) *stop = s->v.action == SW_ACT_BLOCK;
    return rc;
}

int sw_guard_stream_push(sw_guard_stream *s, const char *chunk, size_t n, int *stop, sw_err *err) {
    if (stop) *stop = 0;
    if (sw_buf_append(&s->text, chunk, n) < 0) return sw_err_set(err, "guard stream: out of memory");
    if (scan_window(s, 0, stop) < 0) return sw_err_set(err, "guard stream: out of memory scanning");
    return 0;
}

int sw_guard_stream_finish(sw_guard_stream *s, int *stop, sw_err *err) {
    if (stop) *stop = 0;
    if (sw_buf_append(&s->text, "", 0) < 0 || scan_window(s, 1, stop) < 0)
        return sw_err_set(err, "guard stream: out of memory scanning");
    if (gredact(s->text.data, s->text.len, gguard_key(s->g), &s->v) < 0)
        return sw_err_set(err, "guard stream: out of memory redacting");
    return 0;
}
