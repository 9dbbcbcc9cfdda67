/* cmd_train.c - `steward train`: trains a llama-architecture model on a text corpus,
 * with checkpoints and exact resume, progress on a terminal, and a GGUF whose metadata
 * records how it was made (configuration, corpus, code, seed, losses, time, energy). */
#include "cli.h"
#include "steward/audit.h"
#include "steward/model.h"
#include "steward/tokenizer.h"
#include "steward/data.h"
#include "steward/train.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "train"

typedef struct run {
    const char *corpus, *val, *tokenizer, *out, *ckpt, *manifest, *name, *card, *init_from;
    const char *about, *license; /* the card's own text and general.license (NULL: the default model's) */
    char init_record[1536]; /* where the initial weights came from (--init-from) */
    int parent_steps;
    int resume, threads, eval_every, eval_seqs, ckpt_every, max_seconds, json, untied, export_only, stop_after;
    double grid;
    sw_tconfig cfg;
    sw_topts o;
    /* derived */
    int32_t *train_ids, *val_ids;
    size_t n_train, n_val;
    double val_bytes_per_token;
    char manifest_sha[65], corpus_sha[65], exe_sha[65];
} run;

/* Reads and tokenises a text file with the engine's tokenizer (no BOS: the model
 * continues plain text). */
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

static int encode_file(const sw_tokenizer *tk, const char *tok_path, const char *path, int32_t **ids, size_t *n,
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

/* Bytes of the tokens that an evaluation over the first nseq sequences predicts. */
static double predicted_bytes(const sw_tokenizer *tk, const int32_t *ids, size_t n, int T, int max_seqs) {
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

static void fmt_secs(char *out, size_t n, double s) {
    if (s < 0 || !isfinite(s)) s = 0;
    long t = (long)s;
    if (t >= 3600) snprintf(out, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
}

static void config_json(char *cfgjson, size_t size, const sw_tconfig *c, const sw_topts *o) {
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

static int set_records(sw_gguf_writer *w, const run *r, sw_trainer *t, double train_loss, double val_loss,
                       double val_bpb, double co2e, double eps) {
    const sw_topts *o = sw_trainer_opts(t);
    sw_tledger *L = sw_trainer_ledger(t);
    char cfgjson[1024];
    config_json(cfgjson, sizeof cfgjson, &r->cfg, o);
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
             sw_gguf_set_f32(w, "steward.train.train_loss", (float)train_loss) ||
             sw_gguf_set_f32(w, "steward.train.val_loss", (float)val_loss) ||
             sw_gguf_set_f32(w, "steward.train.val_bits_per_byte", (float)val_bpb) ||
             sw_gguf_set_f32(w, "steward.train.wall_seconds", (float)L->wall_s) ||
             sw_gguf_set_f32(w, "steward.train.cpu_seconds", (float)L->cpu_s) ||
             sw_gguf_set_f32(w, "steward.train.energy_joules", (float)L->joules) ||
             sw_gguf_set_str(w, "steward.train.energy_method", L->energy_method[0] ? L->energy_method : "none") ||
             sw_gguf_set_f32(w, "steward.train.grid_gco2e_per_kwh", (float)r->grid) ||
             sw_gguf_set_f32(w, "steward.train.co2e_grams", (float)co2e) ||
             sw_gguf_set_str(w, "steward.train.co2e_method", "energy_joules / 3.6e6 x grid_gco2e_per_kwh");
    if (!rc && r->init_from)
        rc = sw_gguf_set_str(w, "steward.train.init_from", r->init_record) ||
             sw_gguf_set_u32(w, "steward.train.total_steps", (uint32_t)(r->parent_steps + sw_trainer_step_count(t)));
    if (!rc && o->dp_clip > 0)
        rc = sw_gguf_set_f32(w, "steward.train.dp_epsilon", (float)eps) ||
             sw_gguf_set_f32(w, "steward.train.dp_delta", (float)o->dp_delta);
    return rc ? -1 : 0;
}

static int write_card(const run *r, sw_trainer *t, double train_loss, double val_loss, double val_bpb, double co2e,
                      double eps, sw_err *err) {
    const sw_tconfig *c = &r->cfg;
    const sw_topts *o = sw_trainer_opts(t);
    sw_tledger *L = sw_trainer_ledger(t);
    FILE *f = fopen(r->card, "w");
    if (!f) return sw_err_set(err, "%s: cannot write the model card", r->card);
    fprintf(f, "# Model card: %s\n\n", r->name);
    sw_buf about = {0};
    if (r->about && sw_read_file(r->about, &about, err)) return fclose(f), sw_err_prefix(err, "--card-about");
    if (r->about) fwrite(about.data ? about.data : "", 1, about.len, f), fputs("\n", f);
    else fprintf(f, "A small `llama`-architecture language model that steward trained itself (`steward train`),\n"
               "shipped so that steward runs with no download. It continues English text in the style of\n"
               "Shakespeare's plays. It is a demonstration model: it knows nothing else, follows no\n"
               "instructions, and its text is often ungrammatical.\n\n");
    sw_buf_free(&about);
    fprintf(f, "## Architecture\n\n| | |\n|---|---|\n| parameters | %zu |\n| layers | %d |\n| width | %d |\n"
               "| heads (kv heads) | %d (%d) |\n| feed-forward | %d (SwiGLU) |\n| context | %d tokens |\n"
               "| vocabulary | %d (byte-level BPE, trained by `steward tokenizer train`) |\n| output | %s |\n"
               "| weights | F32 GGUF |\n\n",
            sw_tconfig_n_params(c), c->n_layer, c->n_embd, c->n_head, c->n_head_kv, c->n_ff, c->n_ctx, c->n_vocab,
            c->tied ? "tied to the token embedding" : "separate matrix");
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
                (double)o->dp_clip, (double)o->dp_noise, eps, o->dp_delta);
    fprintf(f, "\n## Results\n\n| | |\n|---|---|\n| final training loss | %.4f nats/token |\n"
               "| validation loss | %.4f nats/token |\n| validation bits per byte | %.4f |\n\n",
            train_loss, val_loss, val_bpb);
    fprintf(f, "## Cost%s\n\n| | |\n|---|---|\n| wall time | %.0f s |\n| CPU time | %.0f s |\n"
               "| energy | %.0f J (%s) |\n| CO2e | %.2f g (energy x %g g/kWh) |\n\n",
            r->init_from ? " (all phases, from the first step of the first run)" : "", L->wall_s, L->cpu_s, L->joules,
            L->energy_method[0] ? L->energy_method : "none", co2e, r->grid);
    fprintf(f, "The same records are in the GGUF metadata under `steward.train.*`.\n");
    if (!r->about)
        fprintf(f, "\n## Limitations and risks\n\nTrained on about one megabyte of 400-year-old drama, the model "
               "reproduces its vocabulary,\nits archaic forms and its social attitudes (including those of its "
               "time about gender and\nclass). It has no knowledge of facts and must not be used to answer "
               "questions. Its output\npasses through steward's guards, labels and audit log like any model's.\n");
    fclose(f);
    return 0;
}

/* Evaluates and writes the GGUF (and the card) for the trainer's current weights. */
/* Appends a "train" lineage record to the audit log: the corpus, validation text,
 * tokenizer, manifest and initial weights in, the model out. */
static int record_lineage(const run *r, int steps, double val_bpb, sw_err *err) {
    char home[4096], tok_sha[65], model_sha[65], val_sha[65] = "", init_sha[65] = "";
    if (sw_home_resolve(sw_cli_home, home, sizeof home, err) < 0 ||
        sw_sha256_file_hex(r->tokenizer, tok_sha, err) < 0 || sw_sha256_file_hex(r->out, model_sha, err) < 0)
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
    sw_audit_artifact out = {"model", r->out, model_sha};
    char details[512];
    snprintf(details, sizeof details, "{\"name\":\"%s\",\"steps\":%d,\"val_bits_per_byte\":%.6g,\"code\":\"%s\"}",
             r->name, steps, isfinite(val_bpb) ? val_bpb : -1.0, r->exe_sha);
    uint64_t idx;
    if (sw_audit_lineage_home(home, "train", "cli", in, nin, &out, 1, details, &idx, err) < 0) return -1;
    fprintf(stderr, "train: lineage recorded in the audit log as record %llu\n", (unsigned long long)idx);
    return 0;
}

static int finish(run *r, sw_trainer *t, const sw_tokenizer *tk, const sw_gguf *tokg, double train_loss, sw_err *err) {
    const sw_topts *o = sw_trainer_opts(t);
    double val_loss = NAN, val_bpb = NAN;
    if (r->val_ids && r->n_val > (size_t)o->seq) {
        val_loss = sw_trainer_eval(t, r->val_ids, r->n_val, 0);
        double toks = (double)((r->n_val - 1) / (size_t)o->seq) * o->seq;
        val_bpb = val_loss * toks / predicted_bytes(tk, r->val_ids, r->n_val, o->seq, 0) / log(2.0);
    }
    sw_tledger *L = sw_trainer_ledger(t);
    double co2e = L->joules / 3.6e6 * r->grid;
    double eps = sw_trainer_dp_epsilon(t, r->n_train > (size_t)o->seq ? r->n_train - (size_t)o->seq : 1);
    sw_gguf_writer *w = sw_gguf_writer_new();
    if (!w) return sw_err_set(err, "out of memory");
    int rc = sw_gguf_copy_kv(w, tokg) || set_records(w, r, t, train_loss, val_loss, val_bpb, co2e, eps);
    if (rc) sw_err_set(err, "out of memory for the metadata");
    if (!rc) rc = sw_tmodel_put_gguf(w, sw_trainer_model(t), err);
    if (!rc) rc = sw_gguf_write(w, r->out, err);
    sw_gguf_writer_free(w);
    if (!rc && r->card) rc = write_card(r, t, train_loss, val_loss, val_bpb, co2e, eps, err);
    if (rc) return -1;
    if (r->json) {
        json_t *j = json_pack("{s:s,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:s,s:f,s:f}", "model", r->out, "steps",
                              sw_trainer_step_count(t), "train_loss", train_loss, "val_loss", val_loss,
                              "val_bits_per_byte", val_bpb, "tokens", L->tokens, "wall_seconds", L->wall_s,
                              "energy_joules", L->joules, "energy_method", L->energy_method, "co2e_grams", co2e,
                              "tokens_per_second", L->wall_s > 0 ? L->tokens / L->wall_s : 0.0);
        if (j && o->dp_clip > 0) json_object_set_new(j, "dp_epsilon", json_real(eps));
        sw_cli_print_json(j);
    }
    fprintf(stderr, "train: wrote %s (val loss %.4f, %.4f bits/byte)\n", r->out, val_loss, val_bpb);
    return record_lineage(r, sw_trainer_step_count(t), val_bpb, err);
}

static void merge_method(sw_tledger *L, const char *m) {
    if (!L->energy_method[0]) snprintf(L->energy_method, sizeof L->energy_method, "%s", m);
    else if (!strstr(L->energy_method, m) && strlen(L->energy_method) + strlen(m) + 2 < sizeof L->energy_method) {
        strcat(L->energy_method, "+");
        strcat(L->energy_method, m);
    }
}

static int train_loop(run *r, sw_trainer *t, const sw_tokenizer *tk, const sw_gguf *tokg, sw_err *err) {
    const sw_topts *o = sw_trainer_opts(t);
    int tty = isatty(2);
    sw_tledger *L = sw_trainer_ledger(t);
    sw_energy en;
    sw_energy_begin(&en, 0);
    uint64_t t0 = sw_now_ns(), last_ckpt = t0;
    double cpu0 = sw_process_cpu_seconds(), wall_base = L->wall_s, cpu_base = L->cpu_s, j_base = L->joules;
    int start = sw_trainer_step_count(t);
    double ema = NAN, last_loss = NAN;
    const char *method = "none";
    double vb = r->val_ids ? predicted_bytes(tk, r->val_ids, r->n_val, o->seq, r->eval_seqs) : 0;
    while (sw_trainer_step_count(t) < o->steps) {
        sw_step_info in;
        if (sw_trainer_step(t, &in, err)) return -1;
        last_loss = in.loss;
        ema = isnan(ema) ? in.loss : 0.95 * ema + 0.05 * in.loss;
        uint64_t now = sw_now_ns();
        double el = (double)(now - t0) / 1e9;
        L->wall_s = wall_base + el;
        L->cpu_s = cpu_base + sw_process_cpu_seconds() - cpu0;
        L->joules = j_base + sw_energy_end(&en, &method);
        int done_here = in.step - start;
        double tps = done_here * (double)o->batch * o->accum * o->seq / el;
        double left = el / done_here * (o->steps - in.step);
        int last = in.step == o->steps;
        if (tty) {
            char eta[32];
            fmt_secs(eta, sizeof eta, left);
            fprintf(stderr, "\rstep %d/%d  loss %.4f  lr %.2e  %.0f tok/s  left %s   ", in.step, o->steps, ema,
                    (double)in.lr, tps, eta);
        }
        if (r->eval_every > 0 && (in.step % r->eval_every == 0 || last) && r->val_ids) {
            double vl = sw_trainer_eval(t, r->val_ids, r->n_val, r->eval_seqs);
            size_t nseq = (r->n_val - 1) / (size_t)o->seq;
            if (r->eval_seqs > 0 && nseq > (size_t)r->eval_seqs) nseq = (size_t)r->eval_seqs;
            double bpb = vl * (double)nseq * o->seq / vb / log(2.0);
            /* a log line also when not on a terminal: long runs are watched through logs */
            fprintf(stderr, "%sstep %d: train %.4f, val %.4f (%.4f bits/byte), %.0f tok/s, %.0f s\n", tty ? "\n" : "",
                    in.step, ema, vl, bpb, tps, L->wall_s);
        }
        int stop = (r->max_seconds > 0 && el >= r->max_seconds) || (r->stop_after > 0 && done_here >= r->stop_after);
        if (r->ckpt && (last || stop || (double)(now - last_ckpt) / 1e9 >= r->ckpt_every)) {
            merge_method(L, method);
            if (sw_trainer_save(t, r->ckpt, err)) return -1;
            last_ckpt = now;
        }
        if (stop && !last) {
            fprintf(stderr, "%strain: stopped after %.0f s at step %d; resume with --resume --checkpoint %s\n",
                    tty ? "\n" : "", el, in.step, r->ckpt ? r->ckpt : "(none)");
            return 1;
        }
    }
    merge_method(L, method);
    if (tty) fputc('\n', stderr);
    return finish(r, t, tk, tokg, isnan(ema) ? last_loss : ema, err);
}

static int exe_hash(char out[65]) {
    sw_err e;
    if (sw_sha256_file_hex("/proc/self/exe", out, &e)) snprintf(out, 65, "unknown");
    return 0;
}

int sw_cmd_train(int argc, char **argv) {
    run r = {.ckpt_every = 300, .eval_every = 200, .eval_seqs = 32, .grid = 400, .name = "steward-model"};
    r.cfg = (sw_tconfig){.n_ctx = 128, .n_embd = 128, .n_layer = 4, .n_head = 4, .n_ff = 352};
    double lr = 0, lr_min = 0, wd = 0.1, clip = 1.0, dp_clip = 0, dp_noise = 0, dp_delta = 1e-5;
    const char *seed_s = NULL;
    int ctx = 0;
    sw_topts *o = &r.o;
    o->batch = 8, o->accum = 1, o->steps = 1000, o->warmup = 100;
    const sw_opt opts[] = {
        {"corpus", SW_OPT_STR, &r.corpus, "FILE", "training text, or a token shard of steward data build --tokenizer (required)"},
        {"val", SW_OPT_STR, &r.val, "FILE", "held-out validation text"},
        {"tokenizer", SW_OPT_STR, &r.tokenizer, "FILE", "GGUF with the vocabulary (steward tokenizer train) (required)"},
        {"out", SW_OPT_STR, &r.out, "FILE", "the trained model, GGUF (required)"},
        {"card", SW_OPT_STR, &r.card, "FILE", "also write a model card (Markdown)"},
        {"card-about", SW_OPT_STR, &r.about, "FILE",
         "Markdown for the card's description, data and limitations (default: the Shakespeare model's)"},
        {"license", SW_OPT_STR, &r.license, "TEXT", "general.license of the weights (default: the Shakespeare model's)"},
        {"manifest", SW_OPT_STR, &r.manifest, "FILE", "corpus manifest whose sha256 is recorded"},
        {"name", SW_OPT_STR, &r.name, "NAME", "general.name of the model"},
        {"checkpoint", SW_OPT_STR, &r.ckpt, "FILE", "checkpoint file, written atomically"},
        {"resume", SW_OPT_FLAG, &r.resume, NULL, "continue the run stored in --checkpoint (its settings win)"},
        {"checkpoint-every", SW_OPT_INT, &r.ckpt_every, "SECONDS", "checkpoint interval (default 300)"},
        {"max-seconds", SW_OPT_INT, &r.max_seconds, "S", "checkpoint and stop after S seconds (exit 3)"},
        {"stop-after", SW_OPT_INT, &r.stop_after, "N", "checkpoint and stop after N steps of this session (exit 3)"},
        {"init-from", SW_OPT_STR, &r.init_from, "CKPT", "start from another run's checkpoint's weights (new schedule)"},
        {"export-only", SW_OPT_FLAG, &r.export_only, NULL, "with --resume: write the GGUF of the checkpoint's weights now"},
        {"layers", SW_OPT_INT, &r.cfg.n_layer, "N", "transformer blocks (default 4)"},
        {"embd", SW_OPT_INT, &r.cfg.n_embd, "N", "width (default 128)"},
        {"heads", SW_OPT_INT, &r.cfg.n_head, "N", "attention heads (default 4)"},
        {"kv-heads", SW_OPT_INT, &r.cfg.n_head_kv, "N", "key/value heads (default: heads)"},
        {"ff", SW_OPT_INT, &r.cfg.n_ff, "N", "feed-forward width (default 352)"},
        {"ctx", SW_OPT_INT, &ctx, "N", "context and training sequence length (default 128)"},
        {"untied", SW_OPT_FLAG, &r.untied, NULL, "a separate output matrix (default: tied to the embedding)"},
        {"batch", SW_OPT_INT, &o->batch, "N", "sequences per micro-batch (default 8)"},
        {"accum", SW_OPT_INT, &o->accum, "N", "micro-batches per step (default 1)"},
        {"steps", SW_OPT_INT, &o->steps, "N", "optimiser steps (default 1000)"},
        {"warmup", SW_OPT_INT, &o->warmup, "N", "warm-up steps (default 100)"},
        {"lr", SW_OPT_DOUBLE, &lr, "X", "peak learning rate (default 1e-3)"},
        {"lr-min", SW_OPT_DOUBLE, &lr_min, "X", "final learning rate (default lr/10)"},
        {"weight-decay", SW_OPT_DOUBLE, &wd, "X", "AdamW weight decay on matrices (default 0.1)"},
        {"clip", SW_OPT_DOUBLE, &clip, "X", "global gradient-norm clip (default 1, 0 off)"},
        {"seed", SW_OPT_STR, &seed_s, "S", "seed of initialisation and sampling (default 1)"},
        {"threads", SW_OPT_INT, &r.threads, "N", "threads (default: all cores)"},
        {"eval-every", SW_OPT_INT, &r.eval_every, "N", "validation every N steps (default 200, 0 off)"},
        {"eval-seqs", SW_OPT_INT, &r.eval_seqs, "N", "sequences per periodic validation (default 32)"},
        {"dp-clip", SW_OPT_DOUBLE, &dp_clip, "C", "DP-SGD: clip each example's gradient to norm C"},
        {"dp-noise", SW_OPT_DOUBLE, &dp_noise, "SIGMA", "DP-SGD: Gaussian noise multiplier"},
        {"dp-delta", SW_OPT_DOUBLE, &dp_delta, "D", "DP-SGD: delta of the reported epsilon (default 1e-5)"},
        {"grid", SW_OPT_DOUBLE, &r.grid, "G", "grid carbon intensity, g CO2e/kWh (default 400)"},
        {"json", SW_OPT_FLAG, &r.json, NULL, "print the run's record as JSON"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos_unused[1];
    int npos_unused = 0;
    int rc = sw_cli_parse(CMD,
                          "train --corpus FILE --tokenizer FILE --out FILE [--val FILE] [--checkpoint FILE [--resume]] "
                          "[model and optimiser options]\n\nTrains a llama-architecture model (AdamW, warm-up and "
                          "cosine schedule, clipping,\naccumulation; optional DP-SGD) and writes it as GGUF with its "
                          "training records.\nProgress goes to stderr on a terminal. Exit 3: stopped by --max-seconds.",
                          opts, argc, argv, pos_unused, 0, &npos_unused);
    if (rc) return sw_cli_exit(rc);
    if (!r.corpus || !r.tokenizer || !r.out) return sw_cli_usage_error(CMD, "--corpus, --tokenizer and --out are required");
    if (r.resume && !r.ckpt) return sw_cli_usage_error(CMD, "--resume needs --checkpoint");
    if (ctx) r.cfg.n_ctx = ctx;
    r.cfg.tied = !r.untied;
    o->seq = r.cfg.n_ctx;
    o->lr = (float)lr, o->lr_min = (float)lr_min, o->weight_decay = (float)wd, o->clip = (float)clip;
    o->dp_clip = (float)dp_clip, o->dp_noise = (float)dp_noise, o->dp_delta = dp_delta;
    o->seed = seed_s ? strtoull(seed_s, NULL, 10) : 1;
    if (r.threads > 0) omp_set_num_threads(r.threads);
    exe_hash(r.exe_sha);

    sw_err err = {{0}};
    sw_gguf *tokg = NULL;
    sw_tokenizer *tk = NULL;
    sw_trainer *t = NULL;
    int status = SW_EXIT_FAIL;
    size_t bytes, train_bytes = 0;
    if (sw_gguf_open(r.tokenizer, &tokg, &err) || sw_tokenizer_from_gguf(tokg, &tk, &err)) goto out;
    if (r.manifest) {
        if (sw_sha256_file_hex(r.manifest, r.manifest_sha, &err)) goto out;
    } else {
        snprintf(r.manifest_sha, sizeof r.manifest_sha, "none");
    }
    if (encode_file(tk, r.tokenizer, r.corpus, &r.train_ids, &r.n_train, &train_bytes, r.corpus_sha, &err)) goto out;
    if (r.val && encode_file(tk, r.tokenizer, r.val, &r.val_ids, &r.n_val, &bytes, NULL, &err)) goto out;
    if (r.resume) {
        int step;
        if (sw_checkpoint_peek(r.ckpt, &r.cfg, o, &step, &err)) goto out;
        fprintf(stderr, "train: resuming %s at step %d of %d\n", r.ckpt, step, o->steps);
    }
    if (r.init_from) {
        /* the model's shape is the parent's; the schedule and seed are this run's */
        sw_topts po;
        char hex[65], pj[1024];
        if (sw_checkpoint_peek(r.init_from, &r.cfg, &po, &r.parent_steps, &err) ||
            sw_sha256_file_hex(r.init_from, hex, &err))
            goto out;
        if (!r.resume) o->seq = r.cfg.n_ctx;
        config_json(pj, sizeof pj, &r.cfg, &po);
        snprintf(r.init_record, sizeof r.init_record, "checkpoint sha256 %s at step %d, seed %llu, config %s", hex,
                 r.parent_steps, (unsigned long long)po.seed, pj);
    }
    r.cfg.n_vocab = sw_tokenizer_n_vocab(tk);
    t = sw_trainer_new(&r.cfg, o, r.train_ids, r.n_train, &err);
    if (!t) goto out;
    r.cfg = *sw_tmodel_config(sw_trainer_model(t));
    if (r.resume && sw_trainer_load(t, r.ckpt, &err)) goto out;
    if (!r.resume && r.init_from && sw_trainer_load_weights(t, r.init_from, &err)) goto out;
    if (!r.resume)
        fprintf(stderr, "train: %zu parameters, %zu training tokens (%.2f bytes/token), %zu validation tokens\n",
                sw_tconfig_n_params(&r.cfg), r.n_train, (double)train_bytes / (double)(r.n_train ? r.n_train : 1), r.n_val);
    if (r.export_only) {
        if (!r.resume) {
            sw_err_set(&err, "--export-only needs --resume and --checkpoint");
            goto out;
        }
        /* The checkpoint keeps no running loss: measure it on the training split's start. */
        double tl = sw_trainer_eval(t, r.train_ids, r.n_train, r.eval_seqs > 0 ? r.eval_seqs : 64);
        fprintf(stderr, "train: exporting step %d of %d (training loss %.4f on %d sequences)\n",
                sw_trainer_step_count(t), o->steps, tl, r.eval_seqs > 0 ? r.eval_seqs : 64);
        status = finish(&r, t, tk, tokg, tl, &err) ? SW_EXIT_FAIL : SW_EXIT_OK;
        goto out;
    }
    rc = train_loop(&r, t, tk, tokg, &err);
    status = rc < 0 ? SW_EXIT_FAIL : rc == 1 ? 3 : SW_EXIT_OK;
out:
    if (status == SW_EXIT_FAIL) sw_cli_fail(CMD, &err);
    sw_trainer_free(t);
    free(r.train_ids);
    free(r.val_ids);
    sw_tokenizer_free(tk);
    sw_gguf_close(tokg);
    return status;
}
