/* label.h - content labels: the explicit notice a person reads, the implicit AIGC
 * metadata object of GB 45438-2025, and the signed provenance manifest that binds the
 * delivered text to the model, the policy, the watermark and the audit record. */
#ifndef STEWARD_LABEL_H
#define STEWARD_LABEL_H

#include "steward/core.h"

#include <jansson.h>

/* Version 2 signs the RFC 8785 canonical form (sw_jcs_dumps) of the manifest without
 * "signature", so a manifest rewritten by any JSON tool still verifies; version 1 signed
 * jansson's sorted compact dump and is still verified that way. */
#define SW_MANIFEST_VERSION "steward-manifest/2"
#define SW_MANIFEST_VERSION_1 "steward-manifest/1"
#define SW_SIGN_PUBLIC_BYTES 32
#define SW_SIGN_SECRET_BYTES 64
#define SW_SIGN_BYTES 64

typedef enum { SW_LABEL_START = 1, SW_LABEL_END = 2, SW_LABEL_BOTH = 3 } sw_label_position;

/* Who wrote a delivered text: the model, a person (a reply in a conversation taken over),
 * or the model with a person's edit (a review decision). */
typedef enum { SW_AUTHOR_MODEL = 0, SW_AUTHOR_HUMAN = 1, SW_AUTHOR_EDITED = 2 } sw_author;
/* "model" | "human" | "edited". */
const char *sw_author_name(sw_author a);
/* The explicit notice for a language and an author: sw_label_notice for the model,
 * "[Written by a person]" for a person, "[AI-generated content, edited by a person]" for
 * an edit (and their Chinese forms). NULL for an unknown language. */
const char *sw_label_notice_by(const char *lang, sw_author a);

/* The explicit label: a notice per language at the start, the end or both. */
typedef struct sw_label_opts {
    sw_label_position position;
    const char *lang;        /* "en", "zh" or "en+zh" */
    const char *notice;      /* overrides the language's notice when not NULL */
    const char *producer;    /* the provider's name */
    const char *propagator;  /* ContentPropagator (may be empty) */
    const char *disclosure;  /* first-interaction notice for chat; NULL: the language's */
    const char *producer_id; /* filing code; when set it is the AIGC ContentProducer, else
                                the name is */
} sw_label_opts;

void sw_label_opts_default(sw_label_opts *o);

/* ---- label configuration: $STEWARD_HOME/label.conf ----
 * "key = value" lines, '#' starts a comment line:
 *   lang = en | zh | both        (both is en+zh)
 *   position = start | end | both
 *   producer = NAME              producer_id = FILING-CODE
 *   propagator = NAME            notice = TEXT        disclosure = TEXT */
#define SW_LABEL_CONF_FILE "label.conf"
#define SW_LABEL_LANG_MAX 8
#define SW_LABEL_NAME_MAX 128
#define SW_LABEL_TEXT_MAX 512

/* A configuration and the strings its opts point into (keep it alive while opts is used). */
typedef struct sw_label_config {
    sw_label_opts opts;
    char lang[SW_LABEL_LANG_MAX];
    char producer[SW_LABEL_NAME_MAX], producer_id[SW_LABEL_NAME_MAX], propagator[SW_LABEL_NAME_MAX];
    char notice[SW_LABEL_TEXT_MAX], disclosure[SW_LABEL_TEXT_MAX];
} sw_label_config;

/* Defaults, then $home/label.conf when it exists (home NULL: $STEWARD_HOME or ~/.steward).
 * -1 with err naming file:line for a bad line or an unreadable file. */
int sw_label_opts_load(const char *home, sw_label_config *conf, sw_err *err);
/* Applies the lines of a configuration text (name is used in messages) over conf, which
 * sw_label_config_default or an earlier call prepared. -1 with err naming name:line. */
int sw_label_config_parse(const char *text, size_t len, const char *name, sw_label_config *conf, sw_err *err);
void sw_label_config_default(sw_label_config *conf);
/* Sets one key ("lang", "position", "producer", ...) as a flag or a file line would.
 * -1 with err naming the key and what it takes. */
int sw_label_config_set(sw_label_config *conf, const char *key, const char *value, sw_err *err);
/* "start", "end" or "both". */
const char *sw_label_position_name(sw_label_position p);
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
    sw_author author;                               /* 0: the model */
    const char *original_sha256;                    /* edited: hex SHA-256 of the model's text
                                                       before the person's edit */
} sw_manifest_input;

/* Builds and signs a manifest (Ed25519 over the RFC 8785 form of the manifest without
 * "signature"). It names its "author" ("model", or "human" for a person's text or edit);
 * a person's own text has AIGC.Label "0" (not AI-generated) and the C2PA source type
 * digitalCreation; an edit keeps Label "1" and records "edit": {original_sha256,
 * edited_sha256}. Returns a new object (caller decrefs) or NULL with a message. */
json_t *sw_manifest_create(const sw_manifest_input *in, const uint8_t sk[SW_SIGN_SECRET_BYTES],
                           sw_err *err);

/* Verifies a delivered text against a manifest: the signature (by one of the n trusted
 * public keys), the content hash, the label fields and their agreement with the
 * manifest. 0 when valid; -1 with the reason (which part failed) otherwise. */
int sw_manifest_verify(const json_t *manifest, const char *text, size_t len,
                       const uint8_t (*trusted)[SW_SIGN_PUBLIC_BYTES], int n_trusted, sw_err *err);

/* What a successful verification checked, for a one-line report. */
typedef struct sw_manifest_check {
    char version[32];
    char id[64];
    char key_id[17];        /* the signer's key id */
    int key_index;          /* its place among the trusted keys: 0 current, > 0 retired */
    long long audit_index;  /* the audit record the manifest names; -1 when none */
    size_t text_len;        /* bytes of text whose hash matched */
} sw_manifest_check;

/* sw_manifest_verify that also fills *check (may be NULL) when the manifest is valid. */
int sw_manifest_verify_check(const json_t *manifest, const char *text, size_t len,
                             const uint8_t (*trusted)[SW_SIGN_PUBLIC_BYTES], int n_trusted,
                             sw_manifest_check *check, sw_err *err);
/* The one-line summary of a valid check ("valid: ed25519 signature by current key ...").
 * Never fails (truncates to outsz). */
void sw_manifest_check_line(const sw_manifest_check *c, char *out, size_t outsz);
/* {"valid": true, "checked": {...}} for a valid check, {"valid": false, "reason": MSG}
 * when check is NULL. NULL on OOM; caller decrefs. */
json_t *sw_manifest_check_json(const sw_manifest_check *c, const char *reason);
/* Parses a manifest's JSON, refusing duplicate member names (two "content_sha256"
 * would let a reader and the verifier see different values). NULL with err naming
 * name, line and column. */
json_t *sw_manifest_parse(const char *json, size_t len, const char *name, sw_err *err);

/* Front matter: "---\naigc_manifest: {json}\n---\n" followed by the text. */
int sw_manifest_embed(const json_t *manifest, const char *text, size_t len, sw_buf *out, sw_err *err);
/* Splits a document with front matter into its manifest (new reference) and the text
 * after it. -1 when the document has no manifest front matter or it does not parse. */
int sw_manifest_extract(const char *doc, size_t len, json_t **manifest, const char **text,
                        size_t *text_len, sw_err *err);


#endif
