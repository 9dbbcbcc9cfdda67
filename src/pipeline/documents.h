/* documents.h - third-party text inside a request: the contents of `tool` messages are
 * documents (tool results, retrieved pages, attached files), scanned by the input guard
 * as source=document, the rest of the conversation as the user's own text. */
#ifndef STEWARD_PIPELINE_DOCUMENTS_H
#define STEWARD_PIPELINE_DOCUMENTS_H

#include "steward/guard.h"
#include "steward/pipeline.h"

#include <jansson.h>

/* Where a document lies in the joined request text, and which message it is. */
typedef struct sw_docspan {
    size_t start, end; /* bytes of the joined text */
    int message;       /* index in the request's messages */
} sw_docspan;

/* Joins the request as the input guard reads it: the prompt, or the messages' contents
 * one after another, separated by newlines. *docs (malloc'd, the caller frees; NULL when
 * there is none) receives the spans of the tool messages. -1 when out of memory. */
int sw_request_join(const sw_gen_request *req, sw_buf *out, sw_docspan **docs, int *n_docs, sw_err *err);

/* The text the guard scans as the user's: a copy of text with every document's bytes
 * replaced by spaces, so that offsets stay those of the joined text. -1: no memory. */
int sw_request_user_view(const char *text, size_t len, const sw_docspan *docs, int n_docs, sw_buf *out,
                         sw_err *err);

/* Scans each document of text as source=document (input direction) and adds its findings
 * to *v, their spans moved to the joined text; v's action becomes the most severe of
 * both. -1 (out of memory, or the guard's error) with err set; v stays valid to free. */
int sw_request_scan_documents(const sw_guard *g, const char *text, const sw_docspan *docs, int n_docs,
                              sw_guard_verdict *v, sw_err *err);

/* The spans as JSON: [{"message": i, "start": s, "end": e}, ...]. New reference. */
json_t *sw_docspans_json(const sw_docspan *docs, int n_docs);

#endif
