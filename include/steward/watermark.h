/* watermark.h - statistical watermarks in the token choices (KGW self-hash and
 * previous-token variants; SynthID-style tournament sampling) and their detection.
 *
 * Everything is keyed by a secret watermark key through a versioned PRF (v2: SipHash-2-4
 * for per-position secrets, a 64-bit mixer for per-token draws); see docs/watermark.md. The
 * generation side plugs into the sampler's hook; detection needs only the tokens and the
 * key, not the model. */
#ifndef STEWARD_WATERMARK_H
#define STEWARD_WATERMARK_H

#include "steward/core.h"
#include "steward/sampler.h"

#include <jansson.h>

#define SW_WM_KEY_BYTES 32
#define SW_WM_PRF_VERSION 2
#define SW_WM_MAX_LAYERS 64
#define SW_WM_KEY_NAME "watermark" /* keys/watermark.key under $STEWARD_HOME */
#define SW_WM_MAX_KEYS 64          /* current and retired keys tried by detection */

typedef enum sw_wm_scheme {
    SW_WM_NONE = 0,
    SW_WM_KGW_SELFHASH, /* h = 4 including the candidate; anchored min-hash seed */
    SW_WM_KGW_LEFTHASH, /* h = 1: seed from the previous token */
    SW_WM_SYNTHID,      /* tournament sampling, m layers, context of 4 previous tokens */
} sw_wm_scheme;

typedef struct sw_wm_params {
    sw_wm_scheme scheme;
    float gamma;  /* KGW: green fraction of the vocabulary */
    float delta;  /* KGW: logit bias of green tokens */
    int context;  /* tokens of context the seed uses (KGW self-hash: 3 + the candidate) */
    int layers;   /* SynthID: tournament layers m */
    float z_threshold; /* detection threshold on z */
} sw_wm_params;

/* Defaults (docs/watermark.md): gamma 0.25, delta 2, z 4; SynthID m = 30, H = 4. */
void sw_wm_params_default(sw_wm_scheme scheme, sw_wm_params *p);
const char *sw_wm_scheme_name(sw_wm_scheme s); /* "kgw-selfhash", "kgw-lefthash", "synthid", "none" */
/* Parses a scheme name; -1 when unknown. */
int sw_wm_scheme_parse(const char *name, sw_wm_scheme *out);
/* Key id: the first 8 bytes of SHA-256(key) as 16 hex characters (+ NUL). */
void sw_wm_key_id(const uint8_t key[SW_WM_KEY_BYTES], char out[17]);

/* The parameters as they go into a manifest: scheme, prf_version, gamma, delta, context,
 * layers (SynthID) and key_id. NULL when out of memory. */
json_t *sw_wm_params_json(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES]);

typedef struct sw_watermark sw_watermark;

/* A watermarking state for one generation. NULL when out of memory or params invalid. */
sw_watermark *sw_wm_new(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES], int n_vocab);
void sw_wm_free(sw_watermark *w);
/* Fills a sampler hook that applies the watermark (pass it to sw_sampler_set_hook). */
void sw_wm_hook(sw_watermark *w, sw_sampler_hook *hook);

typedef struct sw_wm_detection {
    int watermarked;   /* z >= threshold */
    double z, p;       /* z-score and one-sided p-value (Bonferroni-corrected when windowed) */
    int scored;        /* tokens scored (repeated contexts masked) */
    double score;      /* KGW: green fraction; SynthID: mean g */
    int start, end;    /* token span that was scored best: [start, end) */
} sw_wm_detection;

/* Scores a whole token sequence. -1 only when out of memory. */
int sw_wm_detect(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES], const int32_t *tokens,
                 int n, sw_wm_detection *out);
/* Finds the best-scoring span (windows of min_window tokens and up, doubling) inside a
 * longer text and reports it with a p-value corrected for the windows tried. -1 only
 * when out of memory. */
int sw_wm_detect_windowed(const sw_wm_params *p, const uint8_t key[SW_WM_KEY_BYTES],
                          const int32_t *tokens, int n, int min_window, sw_wm_detection *out);

#endif
