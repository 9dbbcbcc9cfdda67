/* label.h - content labels: the explicit notice a person reads, the implicit AIGC
 * metadata object of GB 45438-2025, and the signed provenance manifest that binds the
 * delivered text to the model, the policy, the watermark and the audit record. */
#ifndef STEWARD_LABEL_H
#define STEWARD_LABEL_H

#include "steward/core.h"

#include <jansson.h>

#define SW_MANIFEST_VERSION "steward-manifest/1"
#define SW_SIGN_PUBLIC_BYTES 32
#define SW_SIGN_SECRET_BYTES 64
#define SW_SIGN_BYTES 64

typedef enum { SW_LABEL_START = 1, SW_LABEL_END = 2, SW_LABEL_BOTH = 3 } sw_label_position;

/* The explicit label: a notice per language at the start, the end or both. */
typedef struct sw_label_opts {
    sw_label_position position;
    const char *lang;        /* "en", "zh" or "en+zh" */
    const char *notice;      /* overrides the language's notice when not NULL */
    const char *producer;    /* ContentProducer: provider name or filing code */
    const char *propagator;  /* ContentPropagator (may be empty) */
    const char *disclosure;  /* first-interaction notice for chat; NULL: the language's */
} sw_label_opts;

void sw_label_opts_default(sw_label_opts *o);
/* The notice for a language ("AI-generated content." / "本内容由人工智能生成。"). NULL
 * for an unknown language. */
const char *sw_label_notice(const char *lang);
/* The notice shown at the first interaction of a chat (EU AI Act Art. 50(1)): "You are
 * talking to an AI system." and its Chinese form. NULL for an unknown language. */
const char *sw_label_disclosure(const char *lang);
/* The text that goes before and after the content (either may be empty), appended to
 * prefix and suffix; streaming front ends emit them around the generated text. -1 on an
 * unknown language or no memory. */
int sw_label_affixes(const sw_label_opts *o, sw_buf *prefix, sw_buf *suffix, sw_err *err);
/* Appends text with its explicit label to out. -1 on an unknown language or no memory. */
int sw_label_apply(const sw_label_opts *o, const char *text, size_t len, sw_buf *out, sw_err *err);

/* Builds the implicit label object {"AIGC": {Label, ContentProducer, ProduceID,
 * ReservedCode1, ContentPropagator, PropagateID, ReservedCode2}} for a content id and the
 * hex SHA-256 of the delivered text. NULL when out of memory. */
json_t *sw_label_aigc(const sw_label_opts *o, const char *produce_id, const char *content_sha256_hex);
/* Checks an AIGC object against the field rules; -1 naming the field at fault. */
int sw_label_aigc_check(const json_t *label, sw_err *err);

/* ---- provenance manifest ---- */
typedef struct sw_manifest_input {
    const char *id;                                 /* content id (ProduceID); NULL: random */
    const char *labelled_text; size_t labelled_len; /* the text as delivered */
    const char *text; size_t text_len;              /* the generated text, unlabelled */
    const char *model_sha256;                       /* hex */
    const char *policy_sha256;                      /* hex, or NULL while no policy exists */
    json_t *watermark;                              /* borrowed; NULL when none */
    long long audit_index;                          /* < 0 while no audit log exists */
    const sw_label_opts *label;
} sw_manifest_input;

/* Builds and signs a manifest (Ed25519 over its canonical JSON without "signature").
 * Returns a new object (caller decrefs) or NULL with a message. */
json_t *sw_manifest_create(const sw_manifest_input *in, const uint8_t sk[SW_SIGN_SECRET_BYTES],
                           sw_err *err);

/* Verifies a delivered text against a manifest: the signature (by one of the n trusted
 * public keys), the content hash, the label fields and their agreement with the
 * manifest. 0 when valid; -1 with the reason (which part failed) otherwise. */
int sw_manifest_verify(const json_t *manifest, const char *text, size_t len,
                       const uint8_t (*trusted)[SW_SIGN_PUBLIC_BYTES], int n_trusted, sw_err *err);

/* Front matter: "---\naigc_manifest: {json}\n---\n" followed by the text. */
int sw_manifest_embed(const json_t *manifest, const char *text, size_t len, sw_buf *out, sw_err *err);
/* Splits a document with front matter into its manifest (new reference) and the text
 * after it. -1 when the document has no manifest front matter or it does not parse. */
int sw_manifest_extract(const char *doc, size_t len, json_t **manifest, const char **text,
                        size_t *text_len, sw_err *err);


#endif
