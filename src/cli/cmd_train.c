/* cmd_train.c - `steward train`: trains a llama-architecture model on a text corpus,
 * with checkpoints and exact resume, progress on a terminal, and a GGUF whose metadata
 * records how it was made (configuration, corpus, code, seed, losses, time, energy). */
#include "cli.h"
#include "steward/model.h"
#include "steward/tokenizer.h"
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
    sw_train_record rec; /* the inputs and the code, as the model's records keep them */
    const char *out, *ckpt, *card;
    int resume, threads, eval_every, eval_seqs, ckpt_every, max_seconds, json, untied, export_only, stop_after;
    sw_topts o;
    /* derived */
    int32_t *train_ids, *val_ids;
    size_t n_train, n_val;
} run;

static void fmt_secs(char *out, size_t n, double s) {
    if (s < 0 || !isfinite(s)) s = 0;
    long t = (long)s;
    if (t >= 3600) snprintf(out, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
}

/* Measures the run's end, writes the GGUF (and the card), prints the record and appends
 * the lineage record. -1 with err. */
static int finish(run *r, sw_trainer *t, const sw_tokenizer *tk, const sw_gguf *tokg, double train_loss, sw_err *err) {
    sw_train_outcome oc;
    sw_train_outcome_measure(t, &r->rec, tk, r->val_ids, r->n_val, r->n_train, train_loss, &oc);
    if (sw_train_export(&r->rec, t, tokg, &oc, r->out, err)) return -1;
    if (r->card && sw_train_write_card(&r->rec, t, &oc, r->card, err)) return -1;
    if (r->json) sw_cli_print_json(sw_train_outcome_json(t, &oc, r->out));
    fprintf(stderr, "train: wrote %s (val loss %.4f, %.4f bits/byte)\n", r->out, oc.val_loss, oc.val_bits_per_byte);
    char home[4096];
    uint64_t idx;
    if (sw_home_resolve(sw_cli_home, home, sizeof home, err) < 0 ||
        sw_train_record_lineage(home, &r->rec, r->out, sw_trainer_step_count(t), oc.val_bits_per_byte, &idx, err) < 0)
        return -1;
    fprintf(stderr, "train: lineage recorded in the audit log as record %llu\n", (unsigned long long)idx);
    return 0;
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
    double vb = r->val_ids ? sw_train_predicted_bytes(tk, r->val_ids, r->n_val, o->seq, r->eval_seqs) : 0;
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

int sw_cmd_train(int argc, char **argv) {
    run r = {.ckpt_every = 300, .eval_every = 200, .eval_seqs = 32, .rec = {.grid = 400, .name = "steward-model"}};
    r.rec.cfg = (sw_tconfig){.n_ctx = 128, .n_embd = 128, .n_layer = 4, .n_head = 4, .n_ff = 352};
    double lr = 0, lr_min = 0, wd = 0.1, clip = 1.0, dp_clip = 0, dp_noise = 0, dp_delta = 1e-5;
    const char *seed_s = NULL;
    int ctx = 0;
    sw_topts *o = &r.o;
    o->batch = 8, o->accum = 1, o->steps = 1000, o->warmup = 100;
    const sw_opt opts[] = {
        {"corpus", SW_OPT_STR, &r.rec.corpus, "FILE", "training text, or a token shard of steward data build --tokenizer (required)"},
        {"val", SW_OPT_STR, &r.rec.val, "FILE", "held-out validation text"},
        {"tokenizer", SW_OPT_STR, &r.rec.tokenizer, "FILE", "GGUF with the vocabulary (steward tokenizer train) (required)"},
        {"out", SW_OPT_STR, &r.out, "FILE", "the trained model, GGUF (required)"},
        {"card", SW_OPT_STR, &r.card, "FILE", "also write a model card (Markdown)"},
        {"card-about", SW_OPT_STR, &r.rec.about, "FILE",
         "Markdown for the card's description, data and limitations (default: the Shakespeare model's)"},
        {"license", SW_OPT_STR, &r.rec.license, "TEXT", "general.license of the weights (default: the Shakespeare model's)"},
        {"manifest", SW_OPT_STR, &r.rec.manifest, "FILE", "corpus manifest whose sha256 is recorded"},
        {"name", SW_OPT_STR, &r.rec.name, "NAME", "general.name of the model"},
        {"checkpoint", SW_OPT_STR, &r.ckpt, "FILE", "checkpoint file, written atomically"},
        {"resume", SW_OPT_FLAG, &r.resume, NULL, "continue the run stored in --checkpoint (its settings win)"},
        {"checkpoint-every", SW_OPT_INT, &r.ckpt_every, "SECONDS", "checkpoint interval (default 300)"},
        {"max-seconds", SW_OPT_INT, &r.max_seconds, "S", "checkpoint and stop after S seconds (exit 3)"},
        {"stop-after", SW_OPT_INT, &r.stop_after, "N", "checkpoint and stop after N steps of this session (exit 3)"},
        {"init-from", SW_OPT_STR, &r.rec.init_from, "CKPT", "start from another run's checkpoint's weights (new schedule)"},
        {"export-only", SW_OPT_FLAG, &r.export_only, NULL, "with --resume: write the GGUF of the checkpoint's weights now"},
        {"layers", SW_OPT_INT, &r.rec.cfg.n_layer, "N", "transformer blocks (default 4)"},
        {"embd", SW_OPT_INT, &r.rec.cfg.n_embd, "N", "width (default 128)"},
        {"heads", SW_OPT_INT, &r.rec.cfg.n_head, "N", "attention heads (default 4)"},
        {"kv-heads", SW_OPT_INT, &r.rec.cfg.n_head_kv, "N", "key/value heads (default: heads)"},
        {"ff", SW_OPT_INT, &r.rec.cfg.n_ff, "N", "feed-forward width (default 352)"},
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
        {"grid", SW_OPT_DOUBLE, &r.rec.grid, "G", "grid carbon intensity, g CO2e/kWh (default 400)"},
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
    if (!r.rec.corpus || !r.rec.tokenizer || !r.out) return sw_cli_usage_error(CMD, "--corpus, --tokenizer and --out are required");
    if (r.resume && !r.ckpt) return sw_cli_usage_error(CMD, "--resume needs --checkpoint");
    if (ctx) r.rec.cfg.n_ctx = ctx;
    r.rec.cfg.tied = !r.untied;
    o->seq = r.rec.cfg.n_ctx;
    o->lr = (float)lr, o->lr_min = (float)lr_min, o->weight_decay = (float)wd, o->clip = (float)clip;
    o->dp_clip = (float)dp_clip, o->dp_noise = (float)dp_noise, o->dp_delta = dp_delta;
    o->seed = seed_s ? strtoull(seed_s, NULL, 10) : 1;
    if (r.threads > 0) omp_set_num_threads(r.threads);
    sw_train_exe_sha(r.rec.exe_sha);

    sw_err err = {{0}};
    sw_gguf *tokg = NULL;
    sw_tokenizer *tk = NULL;
    sw_trainer *t = NULL;
    int status = SW_EXIT_FAIL;
    size_t bytes, train_bytes = 0;
    if (sw_gguf_open(r.rec.tokenizer, &tokg, &err) || sw_tokenizer_from_gguf(tokg, &tk, &err)) goto out;
    if (r.rec.manifest) {
        if (sw_sha256_file_hex(r.rec.manifest, r.rec.manifest_sha, &err)) goto out;
    } else {
        snprintf(r.rec.manifest_sha, sizeof r.rec.manifest_sha, "none");
    }
    if (sw_train_read_tokens(tk, r.rec.tokenizer, r.rec.corpus, &r.train_ids, &r.n_train, &train_bytes, r.rec.corpus_sha,
                             &err))
        goto out;
    if (r.rec.val && sw_train_read_tokens(tk, r.rec.tokenizer, r.rec.val, &r.val_ids, &r.n_val, &bytes, NULL, &err))
        goto out;
    if (r.resume) {
        int step;
        if (sw_checkpoint_peek(r.ckpt, &r.rec.cfg, o, &step, &err)) goto out;
        fprintf(stderr, "train: resuming %s at step %d of %d\n", r.ckpt, step, o->steps);
    }
    if (r.rec.init_from) { /* the model's shape is the parent's; the schedule and seed are this run's */
        if (sw_train_record_parent(&r.rec, &err)) goto out;
        if (!r.resume) o->seq = r.rec.cfg.n_ctx;
    }
    r.rec.cfg.n_vocab = sw_tokenizer_n_vocab(tk);
    t = sw_trainer_new(&r.rec.cfg, o, r.train_ids, r.n_train, &err);
    if (!t) goto out;
    r.rec.cfg = *sw_tmodel_config(sw_trainer_model(t));
    if (r.resume && sw_trainer_load(t, r.ckpt, &err)) goto out;
    if (!r.resume && r.rec.init_from && sw_trainer_load_weights(t, r.rec.init_from, &err)) goto out;
    if (!r.resume)
        fprintf(stderr, "train: %zu parameters, %zu training tokens (%.2f bytes/token), %zu validation tokens\n",
                sw_tconfig_n_params(&r.rec.cfg), r.n_train, (double)train_bytes / (double)(r.n_train ? r.n_train : 1), r.n_val);
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
