/* api.h - JSON in, JSON out: what a second front end (the Python module, an HTTP server)
 * calls to scan, detect and verify, with the same JSON as `steward scan --json`,
 * `steward detect --json` and `steward verify --json`. */
#ifndef STEWARD_API_H
#define STEWARD_API_H

#include "steward/core.h"
#include "steward/label.h"

#include <jansson.h>

/* ---- watermark detection (the body of `steward detect`) ---- */
typedef struct sw_detect_opts {
    const char *home;    /* state directory (keys); NULL: $STEWARD_HOME / ~/.steward */
    const char *model;   /* GGUF file whose tokenizer to use; NULL: the shipped model */
    const char *scheme;  /* NULL: kgw-selfhash */
    int window;          /* smallest window for span search; 0: SW_DETECT_WINDOW */
    int tokens;          /* the input is a JSON array of token ids, not text */
} sw_detect_opts;
#define SW_DETECT_WINDOW 50
#define SW_DETECT_MIN_WINDOW 8

/* Scores text[0..len) under every watermark key of the home (current and retired) and
 * returns {watermarked, scheme, z, p, scored_tokens, score, key_id, windowed, span:
 * {start, end, token_start, token_end}} for the best key (caller decrefs). NULL with err
 * on a bad option, an unreadable model or key, or malformed token input. */
json_t *sw_detect_json(const sw_detect_opts *o, const char *text, size_t len, sw_err *err);

/* ---- verification of a delivered document ---- */
/* Verifies doc against manifest, or, when manifest is NULL, against the manifest in its
 * front matter, trusting the signing keys (current and retired) of home. 0 when valid
 * (check filled); -1 with the reason otherwise. *evidence (may be NULL) is set to 1 when
 * the failure is in the evidence (invalid), 0 when the keys could not be read. */
int sw_verify_document(const char *home, const char *doc, size_t len, const json_t *manifest,
                       sw_manifest_check *check, int *evidence, sw_err *err);

/* ---- C entry points for ctypes: strings in, a JSON string out ----
 * opts_json may be NULL or "{}". The result is always a JSON object (an error is
 * {"error": MSG}); free it with sw_api_free. NULL only when memory runs out.
 *   scan:   opts {"direction": "input"|"output", "policy": FILE, "home": DIR}
 *           -> the verdict of `steward scan --json` (char offsets included)
 *   detect: opts {"home", "model", "scheme", "window", "tokens"} -> as `steward detect --json`
 *   verify: opts {"home", "manifest": OBJECT} (no manifest: the text's front matter)
 *           -> as `steward verify --json` */
char *sw_api_scan_json(const char *text, size_t len, const char *opts_json);
char *sw_api_detect_json(const char *text, size_t len, const char *opts_json);
char *sw_api_verify_json(const char *text, size_t len, const char *opts_json);
void sw_api_free(char *s);

#endif
