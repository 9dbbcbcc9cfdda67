/* record.c - the training record: what a run was made of (corpus, tokenizer, manifest,
 * initial weights, configuration, code) and what it cost (time, energy, CO2e, DP epsilon),
 * written as the GGUF's steward.train.* metadata, a model card and an audit lineage record.
 * `steward train` and any other front end call these. */
#include "steward/train.h"
#include "steward/audit.h"
#include "steward/data.h"
#include "steward/tokenizer.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a token shard written by `steward data build --tokenizer`: its tokens, and the
 * bytes and SHA-256 of the text they encode. -1 when it was made with another tokenizer
 * than tok_path. */
static int read_shard(const char *tok_path, const char *path, int32_t **ids, size_t *n, size_t *bytes, char sha[65],
                      sw_err *err) {
    char tok_sha[65];
    sw_data_shard s;
    if (sw_sha256_file_hex(tok_path, tok_sha, err) || sw_data_shard_read(path, &s, err)) return -1;
    if (strcmp(s.tokenizer_sha256, tok_sha) != 0) {
        sw_data_shard_free(&s);
        return sw_err_set(err, "%s: made with tokenizer %.12s..., not %s", path, s.tokenizer_sha256, tok_path);
    }
    *ids = s.tokens;
    *n = (size_t)s.n_tokens;
    *bytes = (size_t)s.text_bytes;
    if (sha) memcpy(sha, s.text_sha256, 65);
    return 0;
}

int sw_train_read_tokens(const sw_tokenizer *tk, const char *tok_path, const char *path, int32_t **ids, size_t *n,
                       size_t *bytes, char sha[65], sw_err *err) {
    if (sw_data_shard_is(path) == 1) {
        if (read_shard(tok_path, path, ids, n, bytes, sha, err)) return -1;
        for (size_t i = 0; i < *n; i++)
            if ((*ids)[i] < 0 || (*ids)[i] >= sw_tokenizer_n_vocab(tk))
                return sw_err_set(err, "%s: token %zu is %d, outside the vocabulary", path, i, (int)(*ids)[i]);
        return 0;
    }
    sw_buf b = {0};
    if (sw_read_file(path, &b, err)) return -1;
    if (sha) {
        sw_sha256_hex(b.data, b.len, sha);
    }
    *bytes = b.len;
    *n = 0;
    int rc = sw_tokenize(tk, b.data, b.len, sw_data_corpus_special(tk), ids, n, err);
    sw_buf_free(&b);
    return rc ? sw_err_prefix(err, "%s", path) : 0;
}

double sw_train_predicted_bytes(const sw_tokenizer *tk, const int32_t *ids, size_t n, int T, int max_seqs) {
    size_t nseq = (n - 1) / (size_t)T;
    if (max_seqs > 0 && nseq > (size_t)max_seqs) nseq = (size_t)max_seqs;
    sw_buf b = {0};
    double total = 0;
    for (size_t i = 1; i <= nseq * (size_t)T; i++) {
        sw_buf_reset(&b);
        sw_token_to_bytes(tk, ids[i], 1, &b);
        total += (double)b.len;
    }
    sw_buf_free(&b);
    return total;
}

void sw_train_config_json(char *cfgjson, size_t size, const sw_tconfig *c, const sw_topts *o) {
    snprintf(cfgjson, size,
             "{\"n_vocab\":%d,\"n_ctx\":%d,\"n_embd\":%d,\"n_layer\":%d,\"n_head\":%d,\"n_head_kv\":%d,\"n_ff\":%d,"
             "\"tied\":%s,\"rms_eps\":%g,\"rope_base\":%g,\"batch\":%d,\"seq\":%d,\"accum\":%d,\"steps\":%d,"
             "\"warmup\":%d,\"lr\":%g,\"lr_min\":%g,\"beta1\":%g,\"beta2\":%g,\"weight_decay\":%g,\"clip\":%g,"
             "\"dp_clip\":%g,\"dp_noise\":%g}",
             c->n_vocab, c->n_ctx, c->n_embd, c->n_layer, c->n_head, c->n_head_kv, c->n_ff, c->tied ? "true" : "false",
             (double)c->rms_eps, (double)c->rope_base, o->batch, o->seq, o->accum, o->steps, o->warmup, (double)o->lr,
             (double)o->lr_min, (double)o->beta1, (double)o->beta2, (double)o->weight_decay, (double)o->clip,
             (double)o->dp_clip, (double)o->dp_noise);
}

static int set_records(sw_gguf_writer *w, const sw_train_record *r, sw_trainer *t, const sw_train_outcome *oc) {
    const sw_topts *o = sw_trainer_opts(t);
    sw_tledger *L = sw_trainer_ledger(t);
    char cfgjson[1024];
    sw_train_config_json(cfgjson, sizeof cfgjson, &r->cfg, o);
    const char *git = getenv("STEWARD_GIT_COMMIT");
    char code[256];
    snprintf(code, sizeof code, "steward %s%s%s; executable sha256 %s", SW_VERSION, git ? " commit " : "",
             git ? git : "", r->exe_sha);
    int rc = sw_gguf_set_str(w, "general.name", r->name) ||
             sw_gguf_set_str(w, "general.license", r->license ? r->license : "MIT (weights); training text public domain") ||
             sw_gguf_set_str(w, "general.description",
                             "trained by steward itself on the corpus its manifest records; see the model card") ||
             sw_gguf_set_str(w, "steward.train.config", cfgjson) ||
             sw_gguf_set_str(w, "steward.train.corpus_manifest_sha256", r->manifest_sha) ||
             sw_gguf_set_str(w, "steward.train.corpus_sha256", r->corpus_sha) ||
             sw_gguf_set_str(w, "steward.train.code_version", code) ||
             sw_gguf_set_u64(w, "steward.train.seed", o->seed) ||
             sw_gguf_set_u32(w, "steward.train.steps", (uint32_t)sw_trainer_step_count(t)) ||
             sw_gguf_set_u64(w, "steward.train.tokens", (uint64_t)L->tokens) ||
             sw_gguf_set_f32(w, "steward.train.train_loss", (float)oc->train_loss) ||
             sw_gguf_set_f32(w, "steward.train.val_loss", (float)oc->val_loss) ||
             sw_gguf_set_f32(w, "steward.train.val_bits_per_byte", (float)oc->val_bits_per_byte) ||
             sw_gguf_set_f32(w, "steward.train.wall_seconds", (float)L->wall_s) ||
             sw_gguf_set_f32(w, "steward.train.cpu_seconds", (float)L->cpu_s) ||
             sw_gguf_set_f32(w, "steward.train.energy_joules", (float)L->joules) ||
             sw_gguf_set_str(w, "steward.train.energy_method", L->energy_method[0] ? L->energy_method : "none") ||
             sw_gguf_set_f32(w, "steward.train.grid_gco2e_per_kwh", (float)r->grid) ||
             sw_gguf_set_f32(w, "steward.train.co2e_grams", (float)oc->co2e_grams) ||
             sw_gguf_set_str(w, "steward.train.co2e_method", "energy_joules / 3.6e6 x grid_gco2e_per_kwh");
    if (!rc && r->init_from)
        rc = sw_gguf_set_str(w, "steward.train.init_from", r->init_record) ||
             sw_gguf_set_u32(w, "steward.train.total_steps", (uint32_t)(r->parent_steps + sw_trainer_step_count(t)));
    if (!rc && o->dp_clip > 0)
        rc = sw_gguf_set_f32(w, "steward.train.dp_epsilon", (float)oc->dp_epsilon) ||
             sw_gguf_set_f32(w, "steward.train.dp_delta", (float)o->dp_delta);
    return rc ? -1 : 0;
}

int sw_train_write_card(const sw_train_record *r, sw_trainer *t, const sw_train_outcome *oc, const char *path,
                        sw_err *err) {
    const sw_tconfig *c = &r->cfg;
    const sw_topts *o = sw_trainer_opts(t);
    sw_tledger *L = sw_trainer_ledger(t);
    FILE *f = fopen(path, "w");
    if (!f) return sw_err_set(err, "%s: cannot write the model card", path);
    fprintf(f, "# Model card: %s\n\n", r->name);
    sw_buf about = {0};
    if (r->about && sw_read_file(r->about, &about, err)) return fclose(f), sw_err_prefix(err, "--card-about");
    if (r->about) fwrite(about.data ? about.data : "", 1, about.len, f), fputs("\n", f);
    else fprintf(f, "A small `llama`-architecture language model that steward trained itself (`steward train`),\n"
               "shipped so that steward runs with no download. It continues English text in the style of\n"
               "Shakespeare's plays. It is a demonstration model: it knows nothing else, follows no\n"
               "instructions, and its text is often ungrammatical.\n\n");
    fprintf(f, "## Architecture\n\n| | |\n|---|---|\n| parameters | %zu |\n| layers | %d |\n| width | %d |\n"
               "| heads (kv heads) | %d (%d) |\n| feed-forward | %d (SwiGLU) |\n| context | %d tokens |\n"
               "| vocabulary | %d (byte-level BPE, trained by `steward tokenizer train`) |\n| output | %s |\n"
               "| weights | F32 GGUF |\n\n",
            sw_tconfig_n_params(c), c->n_layer, c->n_embd, c->n_head, c->n_head_kv, c->n_ff, c->n_ctx, c->n_vocab,
            c->tied ? "tied to the token embedding" : "separate matrix");
    sw_buf_free(&about);
    if (r->about)
        fprintf(f, "## Training data\n\nCorpus manifest sha256 `%s`; training text sha256 `%s`.\n\n", r->manifest_sha,
                r->corpus_sha);
    else
        fprintf(f, "## Training data\n\nThe corpus in `data/corpus/` (manifest `data/corpus/MANIFEST.json`, sha256 `%s`):\n"
               "tinyshakespeare (public-domain text; see the manifest for origin, licence and hashes),\n"
               "split into training (first 90%%) and held-out validation (last 10%%) text. Training text\n"
               "sha256 `%s`. No personal data is expected in it.\n\n",
            r->manifest_sha, r->corpus_sha);
    fprintf(f, "## Training\n\n| | |\n|---|---|\n| steps | %d (batch %d x %d tokens x %d accumulation) |\n"
               "| tokens processed | %.0f |\n| optimiser | AdamW (beta %.2f, %.3f; weight decay %g on matrices) |\n"
               "| learning rate | %g peak, %d warm-up steps, cosine to %g |\n| gradient clip | %g |\n| seed | %llu |\n"
               "| code | steward %s%s%s |\n",
            sw_trainer_step_count(t), o->batch, o->seq, o->accum, L->tokens, (double)o->beta1, (double)o->beta2,
            (double)o->weight_decay, (double)o->lr, o->warmup, (double)o->lr_min, (double)o->clip,
            (unsigned long long)o->seed, SW_VERSION, getenv("STEWARD_GIT_COMMIT") ? ", commit " : "",
            getenv("STEWARD_GIT_COMMIT") ? getenv("STEWARD_GIT_COMMIT") : "");
    if (r->init_from)
        fprintf(f, "| initial weights | %s (%d steps before this run; %d in all) |\n", r->init_record, r->parent_steps,
                r->parent_steps + sw_trainer_step_count(t));
    if (o->dp_clip > 0)
        fprintf(f, "| differential privacy | per-example clip %g, noise %g: epsilon %.3f at delta %g (RDP) |\n",
                (double)o->dp_clip, (double)o->dp_noise, oc->dp_epsilon, o->dp_delta);
    fprintf(f, "\n## Results\n\n| | |\n|---|---|\n| final training loss | %.4f nats/token |\n"
               "| validation loss | %.4f nats/token |\n| validation bits per byte | %.4f |\n\n",
            oc->train_loss, oc->val_loss, oc->val_bits_per_byte);
    fprintf(f, "## Cost%s\n\n| | |\n|---|---|\n| wall time | %.0f s |\n| CPU time | %.0f s |\n"
               "| energy | %.0f J (%s) |\n| CO2e | %.2f g (energy x %g g/kWh) |\n\n",
            r->init_from ? " (all phases, from the first step of the first run)" : "", L->wall_s, L->cpu_s, L->joules,
            L->energy_method[0] ? L->energy_method : "none", oc->co2e_grams, r->grid);
    fprintf(f, "The same records are in the GGUF metadata under `steward.train.*`.\n");
    if (!r->about)
        fprintf(f, "\n## Limitations and risks\n\nTrained on about one megabyte of 400-year-old drama, the model "
               "reproduces its vocabulary,\nits archaic forms and its social attitudes (including those of its "
               "time about gender and\nclass). It has no knowledge of facts and must not be used to answer "
               "questions. Its output\npasses through steward's guards, labels and audit log like any model's.\n");
    if (fclose(f) != 0) return sw_err_set(err, "%s: cannot write the model card", path);
    return 0;
}

/* A "train" lineage record; see train.h. */
int sw_train_record_lineage(const char *home, const sw_train_record *r, const char *model_path, int steps,
                            double val_bpb, uint64_t *idx, sw_err *err) {
    char tok_sha[65], model_sha[65], val_sha[65] = "", init_sha[65] = "";
    if (sw_sha256_file_hex(r->tokenizer, tok_sha, err) < 0 || sw_sha256_file_hex(model_path, model_sha, err) < 0)
        return -1;
    if (r->val && sw_sha256_file_hex(r->val, val_sha, err) < 0) return -1;
    if (r->init_from && sw_sha256_file_hex(r->init_from, init_sha, err) < 0) return -1;
    sw_audit_artifact in[5];
    size_t nin = 0;
    in[nin++] = (sw_audit_artifact){"corpus", r->corpus, r->corpus_sha};
    if (r->val) in[nin++] = (sw_audit_artifact){"validation", r->val, val_sha};
    in[nin++] = (sw_audit_artifact){"tokenizer", r->tokenizer, tok_sha};
    if (r->manifest) in[nin++] = (sw_audit_artifact){"manifest", r->manifest, r->manifest_sha};
    if (r->init_from) in[nin++] = (sw_audit_artifact){"initial_weights", r->init_from, init_sha};
    sw_audit_artifact out = {"model", model_path, model_sha};
    char details[512];
    snprintf(details, sizeof details, "{\"name\":\"%s\",\"steps\":%d,\"val_bits_per_byte\":%.6g,\"code\":\"%s\"}",
             r->name, steps, isfinite(val_bpb) ? val_bpb : -1.0, r->exe_sha);
    return sw_audit_lineage_home(home, "train", "cli", in, nin, &out, 1, details, idx, err) < 0 ? -1 : 0;
}

int sw_train_record_parent(sw_train_record *r, sw_err *err) {
    sw_topts po;
    char hex[65], pj[1024];
    if (sw_checkpoint_peek(r->init_from, &r->cfg, &po, &r->parent_steps, err) ||
        sw_sha256_file_hex(r->init_from, hex, err))
        return -1;
    sw_train_config_json(pj, sizeof pj, &r->cfg, &po);
    snprintf(r->init_record, sizeof r->init_record, "checkpoint sha256 %s at step %d, seed %llu, config %s", hex,
             r->parent_steps, (unsigned long long)po.seed, pj);
    return 0;
}

void sw_train_exe_sha(char out[65]) {
    sw_err e;
    if (sw_sha256_file_hex("/proc/self/exe", out, &e)) snprintf(out, 65, "unknown");
}

void sw_train_outcome_measure(sw_trainer *t, const sw_train_record *r, const sw_tokenizer *tk,
                              const int32_t *val_ids, size_t n_val, size_t n_train, double train_loss,
                              sw_train_outcome *out) {
    const sw_topts *o = sw_trainer_opts(t);
    out->train_loss = train_loss;
    out->val_loss = out->val_bits_per_byte = NAN;
    if (val_ids && n_val > (size_t)o->seq) {
        out->val_loss = sw_trainer_eval(t, val_ids, n_val, 0);
        double toks = (double)((n_val - 1) / (size_t)o->seq) * o->seq;
        out->val_bits_per_byte =
            out->val_loss * toks / sw_train_predicted_bytes(tk, val_ids, n_val, o->seq, 0) / log(2.0);
    }
    out->co2e_grams = sw_trainer_ledger(t)->joules / 3.6e6 * r->grid;
    out->dp_epsilon = sw_trainer_dp_epsilon(t, n_train > (size_t)o->seq ? n_train - (size_t)o->seq : 1);
}

int sw_train_export(const sw_train_record *r, sw_trainer *t, const sw_gguf *tokg, const sw_train_outcome *oc,
                    const char *path, sw_err *err) {
    sw_gguf_writer *w = sw_gguf_writer_new();
    if (!w) return sw_err_set(err, "%s: out of memory", path);
    int rc = sw_gguf_copy_kv(w, tokg) || set_records(w, r, t, oc);
    if (rc) sw_err_set(err, "%s: out of memory for the metadata", path);
    if (!rc) rc = sw_tmodel_put_gguf(w, sw_trainer_model(t), err);
    if (!rc) rc = sw_gguf_write(w, path, err);
    sw_gguf_writer_free(w);
    return rc ? -1 : 0;
}

json_t *sw_train_outcome_json(sw_trainer *t, const sw_train_outcome *oc, const char *model_path) {
    const sw_tledger *L = sw_trainer_ledger(t);
    json_t *j = json_pack("{s:s,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:s,s:f,s:f}", "model", model_path, "steps",
                          sw_trainer_step_count(t), "train_loss", oc->train_loss, "val_loss", oc->val_loss,
                          "val_bits_per_byte", oc->val_bits_per_byte, "tokens", L->tokens, "wall_seconds", L->wall_s,
                          "energy_joules", L->joules, "energy_method", L->energy_method, "co2e_grams", oc->co2e_grams,
                          "tokens_per_second", L->wall_s > 0 ? L->tokens / L->wall_s : 0.0);
    if (j && sw_trainer_opts(t)->dp_clip > 0) json_object_set_new(j, "dp_epsilon", json_real(oc->dp_epsilon));
    return j;
}
