/* card.c - the system card: what is deployed (version, policy, keys), the model and its
 * data lineage (GGUF metadata, the corpus manifest, the log's lineage records), intended
 * use, capabilities and limitations, and the latest recorded evaluation of each kind. */
#include "report_int.h"

#include "steward/gguf.h"
#include "steward/guard.h"
#include "steward/json.h"
#include "steward/keys.h"
#include "steward/pipeline.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#define PATH_BYTES 4200
#define CARD_MAX_LINEAGE 50 /* the newest lineage records listed */
#define SW_GGUF_KEY_SHOWN 128 /* longer metadata keys are cut */

static const char *const INTENDED_USE =
    "A runtime that wraps every generation in guards, labels, a watermark and an audit record, for operators who "
    "must show what their generative service did. The shipped model is a demonstration (it continues text in the "
    "style of Shakespeare); deployments bring their own GGUF model or an upstream server.";
static const char *const CAPABILITIES[] = {
    "input and output guards in English and Chinese: prompt injection, jailbreak, harmful requests (Llama Guard "
    "categories), PII and secrets (redacted), encoded and invisible payloads",
    "explicit AI-content label and a signed manifest (GB 45438 implicit label) on every delivery; statistical "
    "watermark of generated tokens",
    "append-only Merkle audit log with signed checkpoints, inclusion and consistency proofs, lineage records",
    "human oversight through the server: review queue, takeover, halt, feedback",
    NULL,
};
static const char *const LIMITATIONS[] = {
    "the guards are keyword rules and linear classifiers: paraphrased or novel attacks can pass, and benign text "
    "can be flagged (see the evaluation figures)",
    "the shipped model knows nothing but its training text, follows no instructions and must not be relied on for "
    "facts",
    "the watermark survives light editing only; short texts cannot be detected reliably",
    "energy is measured with RAPL where readable, otherwise estimated from CPU time",
    NULL,
};

/* A JSON array of a NULL-terminated string list (NULL on OOM). */
static json_t *string_list(const char *const *items) {
    json_t *a = json_array();
    for (; a && *items; items++) json_array_append_new(a, json_string(*items));
    return a;
}

/* The public ids of every signing key under home/keys (NAME.pub). */
static json_t *key_ids(const char *home) {
    char dir[PATH_BYTES];
    snprintf(dir, sizeof dir, "%s/keys", home);
    json_t *out = json_object();
    DIR *d = opendir(dir);
    if (!d || !out) {
        if (d) closedir(d);
        return out;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= 4 || strcmp(e->d_name + n - 4, ".pub") != 0 || n - 4 >= 64) continue;
        char name[64];
        memcpy(name, e->d_name, n - 4), name[n - 4] = 0;
        uint8_t pubs[1][32];
        size_t np = 0;
        char id[17];
        if (sw_keys_public_all(home, name, pubs, 1, &np, NULL) == 0 && np == 1) {
            sw_keys_id(pubs[0], id);
            json_object_set_new(out, name, json_string(id));
        }
    }
    closedir(d);
    return out;
}

/* A GGUF value as JSON when it is a string or a number; NULL for arrays. */
static json_t *kv_json(const sw_gguf_kv *kv) {
    switch (kv->type) {
    case SW_GGUF_STRING: return json_stringn(kv->v.s.ptr, kv->v.s.len);
    case SW_GGUF_U8: case SW_GGUF_U16: case SW_GGUF_U32: case SW_GGUF_U64: return json_integer((json_int_t)kv->v.u);
    case SW_GGUF_I8: case SW_GGUF_I16: case SW_GGUF_I32: case SW_GGUF_I64: return json_integer((json_int_t)kv->v.i);
    case SW_GGUF_F32: case SW_GGUF_F64: return json_real(sw_round_sig(kv->v.f, 6));
    case SW_GGUF_BOOL: return json_boolean(kv->v.u);
    default: return NULL;
    }
}

/* The model's general.*, <arch>.* and steward.train.* metadata, its hash and path. */
static json_t *model_json(const char *home, const char *path, sw_err *err) {
    sw_gguf *g;
    char hex[65];
    if (sw_sha256_file_hex_cached(home, path, hex, err) < 0 || sw_gguf_open(path, &g, err) < 0) return NULL;
    json_t *meta = json_object();
    for (uint64_t i = 0; meta && i < g->n_kv; i++) {
        const sw_gguf_kv *kv = &g->kv[i];
        char k[SW_GGUF_KEY_SHOWN];
        snprintf(k, sizeof k, "%.*s", (int)(kv->key.len < sizeof k - 1 ? kv->key.len : sizeof k - 1), kv->key.ptr);
        if (strncmp(k, "tokenizer.", 10) == 0 || strcmp(k, "steward.train.init_from") == 0) continue;
        json_t *v = kv_json(kv);
        if (v) json_object_set_new(meta, k, v);
    }
    sw_gguf_close(g);
    return json_pack("{s:s, s:s, s:o}", "path", path, "sha256", hex, "metadata", meta);
}

/* The corpus manifest shipped beside the model's data, and whether the model says it was
 * trained on exactly that manifest. */
static json_t *data_json(const json_t *model) {
    char dir[PATH_BYTES], path[PATH_BYTES + 32], hex[65];
    if (sw_guard_data_dir(dir, sizeof dir, NULL) < 0) return json_pack("{s:s}", "corpus_manifest", "not found");
    snprintf(path, sizeof path, "%s/corpus/MANIFEST.json", dir);
    if (sw_sha256_file_hex(path, hex, NULL) < 0) return json_pack("{s:s}", "corpus_manifest", "not found");
    json_t *m = sw_json_load_file(path, SW_FILE_MAX_SMALL, 0, NULL);
    const char *claimed = json_string_value(
        json_object_get(json_object_get(model, "metadata"), "steward.train.corpus_manifest_sha256"));
    json_t *out = json_pack("{s:s, s:s, s:b, s:O*}", "corpus_manifest", path, "sha256", hex,
                            "model_trained_on_it", claimed && strcmp(claimed, hex) == 0, "sources",
                            json_object_get(m, "sources"));
    json_decref(m);
    return out;
}

/* What the card takes from the log: lineage records and the latest evaluations. */
typedef struct card_scan {
    json_t *lineage, *evals;
} card_scan;

/* Scan callback: keeps lineage records (the newest CARD_MAX_LINEAGE) and the latest
 * evaluation of each name, each with its record number. Non-zero on OOM. */
static int card_record(void *ud, uint64_t index, json_t *rec) {
    card_scan *c = ud;
    const char *type = json_string_value(json_object_get(rec, "type"));
    if (!type) return 0;
    int is_lineage = strcmp(type, "lineage") == 0, is_eval = strcmp(type, SW_EVAL_RECORD_TYPE) == 0;
    if (!is_lineage && !is_eval) return 0;
    json_t *e = json_deep_copy(rec);
    if (!e) return 1;
    json_object_set_new(e, "record", json_integer((json_int_t)index));
    if (is_lineage) {
        if (json_array_size(c->lineage) >= CARD_MAX_LINEAGE) json_array_remove(c->lineage, 0);
        return json_array_append_new(c->lineage, e) ? 1 : 0;
    }
    char when[SW_REPORT_ISO_MAX];
    sw_report_iso(sw_report_record_time(rec), when);
    json_object_set_new(e, "date", json_string(when));
    const char *name = json_string_value(json_object_get(rec, "name"));
    return json_object_set_new(c->evals, name ? name : "unnamed", e) ? 1 : 0;
}

/* The log's part of the card; {"present": false} when there is no log yet. */
static json_t *log_json(const char *home, json_t **lineage, json_t **evals) {
    card_scan c = {json_array(), json_object()};
    sw_report_checkpoint cp;
    sw_err err;
    json_t *out;
    if (c.lineage && c.evals && sw_report_scan(home, &cp, card_record, &c, &err) == 0)
        out = json_pack("{s:b, s:o}", "present", 1, "checkpoint", sw_report_checkpoint_json(&cp));
    else
        out = json_pack("{s:b, s:s}", "present", 0, "why", err.msg);
    *lineage = c.lineage;
    *evals = c.evals;
    return out;
}

json_t *sw_card_build(const char *home, const char *model_path, sw_err *err) {
    char mbuf[PATH_BYTES], ppath[PATH_BYTES + 32], dir[PATH_BYTES], phex[65] = "";
    if (!model_path && !(model_path = sw_pipeline_default_model(mbuf, sizeof mbuf))) {
        sw_err_set(err, "no model given and no default model found");
        return NULL;
    }
    json_t *model = model_json(home, model_path, err);
    if (!model) return NULL;
    if (sw_guard_data_dir(dir, sizeof dir, NULL) == 0) {
        snprintf(ppath, sizeof ppath, "%s/policy/default.policy", dir);
        if (sw_sha256_file_hex(ppath, phex, NULL) < 0) phex[0] = 0;
    }
    json_t *lineage = NULL, *evals = NULL, *log = log_json(home, &lineage, &evals);
    json_t *card = json_pack("{s:{s:s, s:s, s:o}, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "deployment", "version",
                             SW_VERSION, "policy_sha256", phex, "keys", key_ids(home), "model", model, "data",
                             data_json(model), "intended_use", INTENDED_USE, "capabilities", string_list(CAPABILITIES),
                             "limitations", string_list(LIMITATIONS), "audit_log", log, "lineage", lineage,
                             "evaluations", evals);
    if (!card) sw_err_set(err, "out of memory building the card");
    return card;
}
