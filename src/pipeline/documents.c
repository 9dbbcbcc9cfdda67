/* documents.c - tool messages as documents: where they lie in the joined request, the
 * user's view without them, and their scan as source=document merged into the verdict. */
#include "documents.h"

#include <stdlib.h>
#include <string.h>

#define TOOL_ROLE "tool"

int sw_request_join(const sw_gen_request *req, sw_buf *out, sw_docspan **docs, int *n_docs, sw_err *err) {
    *docs = NULL;
    *n_docs = 0;
    if (req->n_messages == 0) {
        if (sw_buf_append(out, req->prompt ? req->prompt : "", req->prompt ? strlen(req->prompt) : 0) < 0)
            return sw_err_set(err, "out of memory");
        return 0;
    }
    int n_tool = 0;
    for (int i = 0; i < req->n_messages; i++)
        n_tool += req->messages[i].role && strcmp(req->messages[i].role, TOOL_ROLE) == 0;
    if (n_tool && !(*docs = calloc((size_t)n_tool, sizeof **docs))) return sw_err_set(err, "out of memory");
    for (int i = 0; i < req->n_messages; i++) {
        const char *c = req->messages[i].content ? req->messages[i].content : "";
        if (i && sw_buf_append(out, "\n", 1) < 0) return sw_err_set(err, "out of memory");
        size_t at = out->len;
        if (sw_buf_append(out, c, strlen(c)) < 0) return sw_err_set(err, "out of memory");
        if (req->messages[i].role && strcmp(req->messages[i].role, TOOL_ROLE) == 0)
            (*docs)[(*n_docs)++] = (sw_docspan){at, out->len, i};
    }
    return 0;
}

int sw_request_user_view(const char *text, size_t len, const sw_docspan *docs, int n_docs, sw_buf *out,
                         sw_err *err) {
    if (sw_buf_append(out, text, len) < 0) return sw_err_set(err, "out of memory");
    for (int i = 0; i < n_docs; i++) memset(out->data + docs[i].start, ' ', docs[i].end - docs[i].start);
    return 0;
}

/* Appends src's findings to dst, their spans moved by offset (at most
 * SW_GUARD_MAX_FINDINGS in all; past it dst is marked truncated). -1: no memory. */
static int add_findings(sw_guard_verdict *dst, const sw_guard_verdict *src, size_t offset) {
    size_t room = SW_GUARD_MAX_FINDINGS - (dst->n_findings < SW_GUARD_MAX_FINDINGS ? dst->n_findings
                                                                                     : SW_GUARD_MAX_FINDINGS);
    size_t n = src->n_findings < room ? src->n_findings : room;
    if (n < src->n_findings || src->truncated) dst->truncated = 1;
    if (dst->n_findings + n > dst->cap_findings) {
        size_t cap = dst->n_findings + n;
        sw_guard_finding *f = realloc(dst->findings, cap * sizeof *f);
        if (!f) return -1;
        dst->findings = f;
        dst->cap_findings = cap;
    }
    for (size_t i = 0; i < n; i++) {
        sw_guard_finding f = src->findings[i];
        f.start += offset;
        f.end += offset;
        dst->findings[dst->n_findings++] = f;
    }
    if (src->action > dst->action) dst->action = src->action;
    return 0;
}

int sw_request_scan_documents(const sw_guard *g, const char *text, const sw_docspan *docs, int n_docs,
                              sw_guard_verdict *v, sw_err *err) {
    sw_guard_scan_opts o = {.dir = SW_GUARD_INPUT, .source = SW_TEXT_DOCUMENT};
    for (int i = 0; i < n_docs; i++) {
        sw_guard_verdict dv;
        memset(&dv, 0, sizeof dv);
        int rc = sw_guard_scan_opts_scan(g, &o, text + docs[i].start, docs[i].end - docs[i].start, &dv, err);
        if (rc == 0 && add_findings(v, &dv, docs[i].start) < 0)
            rc = sw_err_set(err, "out of memory merging the findings of message %d", docs[i].message);
        sw_guard_verdict_free(&dv);
        if (rc < 0) return sw_err_prefix(err, "message %d (tool, scanned as a document)", docs[i].message);
    }
    return 0;
}

json_t *sw_docspans_json(const sw_docspan *docs, int n_docs) {
    json_t *a = json_array();
    for (int i = 0; a && i < n_docs; i++)
        json_array_append_new(a, json_pack("{s:i,s:I,s:I}", "message", docs[i].message, "start",
                                           (json_int_t)docs[i].start, "end", (json_int_t)docs[i].end));
    return a;
}
