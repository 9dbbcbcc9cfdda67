/* trainer.c - a training run: seeded sampling of sequences, gradient accumulation,
 * global-norm clipping, AdamW with warm-up and cosine decay, DP-SGD, checkpoints. */
#include "steward/train.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sw_trainer {
    sw_tconfig cfg;
    sw_topts o;
    sw_tmodel *m;
    float *mom;     /* AdamW first and second moments: [2][n_params] */
    float *dp_acc;  /* DP: sum of clipped per-example gradients */
    int32_t *data;  /* training tokens */
    size_t n_data;
    int32_t *batch; /* [2][B*T] tokens and targets */
    sw_rng rng;
    int step;
    sw_tledger ledger;
};

void sw_topts_defaults(sw_topts *o) {
    if (!o->batch) o->batch = 8;
    if (!o->seq) o->seq = 128;
    if (!o->accum) o->accum = 1;
    if (!o->steps) o->steps = 1000;
    if (o->warmup < 0) o->warmup = 0;
    if (o->lr == 0) o->lr = 1e-3f;
    if (o->lr_min == 0) o->lr_min = o->lr / 10;
    if (o->beta1 == 0) o->beta1 = 0.9f;
    if (o->beta2 == 0) o->beta2 = 0.95f;
    if (o->adam_eps == 0) o->adam_eps = 1e-8f;
    if (o->dp_delta == 0) o->dp_delta = 1e-5;
}

float sw_lr_at(const sw_topts *o, int s) {
    if (s < o->warmup) return o->lr * (float)(s + 1) / (float)o->warmup;
    int rest = o->steps - o->warmup;
    if (rest <= 1) return o->lr;
    double t = (double)(s - o->warmup) / (double)(rest - 1);
    if (t > 1) t = 1;
    return (float)(o->lr_min + 0.5 * (o->lr - o->lr_min) * (1 + cos(M_PI * t)));
}

sw_trainer *sw_trainer_new(const sw_tconfig *cfg, const sw_topts *opts, const int32_t *tokens,
                           size_t n_tokens, sw_err *err) {
    sw_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        sw_err_set(err, "trainer: out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    t->o = *opts;
    sw_topts_defaults(&t->o);
    if (sw_tconfig_check(&t->cfg, err)) goto fail;
    for (size_t i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= t->cfg.n_vocab) {
            sw_err_set(err, "trainer: token %d at index %zu is outside the vocabulary of %d", (int)tokens[i], i,
                       t->cfg.n_vocab);
            goto fail;
        }
    if (n_tokens < (size_t)t->o.seq + 1) {
        sw_err_set(err, "trainer: %zu tokens cannot fill one sequence of %d (+1)", n_tokens, t->o.seq);
        goto fail;
    }
    /* DP needs each example's gradient alone: micro-batches of one sequence. */
    int B = t->o.dp_clip > 0 ? 1 : t->o.batch;
    t->m = sw_tmodel_new(&t->cfg, B, t->o.seq, err);
    if (!t->m) goto fail;
    t->cfg = *sw_tmodel_config(t->m);
    size_t np;
    sw_tmodel_params(t->m, &np);
    t->mom = calloc(2 * np, sizeof(float));
    t->dp_acc = t->o.dp_clip > 0 ? calloc(np, sizeof(float)) : NULL;
    t->data = malloc(n_tokens * sizeof(int32_t));
    t->batch = malloc(2 * (size_t)B * t->o.seq * sizeof(int32_t));
    if (!t->mom || !t->data || !t->batch || (t->o.dp_clip > 0 && !t->dp_acc)) {
        sw_err_set(err, "trainer: out of memory");
        goto fail;
    }
    memcpy(t->data, tokens, n_tokens * sizeof(int32_t));
    t->n_data = n_tokens;
    sw_tmodel_init(t->m, t->o.seed);
    sw_rng_seed(&t->rng, t->o.seed ^ 0x5eed5eedULL);
    return t;
fail:
    sw_trainer_free(t);
    return NULL;
}

void sw_trainer_free(sw_trainer *t) {
    if (!t) return;
    sw_tmodel_free(t->m);
    free(t->mom);
    free(t->dp_acc);
    free(t->data);
    free(t->batch);
    free(t);
}

sw_tmodel *sw_trainer_model(sw_trainer *t) { return t->m; }
const sw_topts *sw_trainer_opts(const sw_trainer *t) { return &t->o; }
int sw_trainer_step_count(const sw_trainer *t) { return t->step; }
sw_tledger *sw_trainer_ledger(sw_trainer *t) { return &t->ledger; }

/* Draws nb sequences at uniformly random offsets (seeded, so runs repeat exactly). */
static void sample_batch(sw_trainer *t, int nb) {
    int T = t->o.seq;
    size_t span = t->n_data - (size_t)T; /* offsets 0..span-1 leave room for the target */
    int32_t *x = t->batch, *y = t->batch + (size_t)nb * T;
    for (int b = 0; b < nb; b++) {
        size_t off = (size_t)(sw_rng_uniform(&t->rng) * (double)span);
        memcpy(x + (size_t)b * T, t->data + off, (size_t)T * sizeof(int32_t));
        memcpy(y + (size_t)b * T, t->data + off + 1, (size_t)T * sizeof(int32_t));
    }
}

/* Sum of squares in a fixed number of chunks summed in order: the same result for
 * any number of threads. */
static double sumsq(const float *g, size_t n) {
    enum { CH = 64 };
    double part[CH];
    size_t per = (n + CH - 1) / CH;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < CH; c++) {
        size_t a = (size_t)c * per, b = a + per < n ? a + per : n;
        double s = 0;
        for (size_t i = a; i < b; i++) s += (double)g[i] * g[i];
        part[c] = s;
    }
    double s = 0;
    for (int c = 0; c < CH; c++) s += part[c];
    return s;
}

static void adamw_update(sw_trainer *t, float lr) {
    size_t np;
    float *p = sw_tmodel_params(t->m, &np), *g = sw_tmodel_grads(t->m, NULL);
    float *mm = t->mom, *vv = t->mom + np;
    const sw_topts *o = &t->o;
    int step = t->step + 1;
    float bc1 = 1.0f - powf(o->beta1, (float)step), bc2 = 1.0f - powf(o->beta2, (float)step);
    int nt = sw_tmodel_n_tensors(t->m);
    for (int k = 0; k < nt; k++) {
        sw_ttensor tt = sw_tmodel_tensor(t->m, k);
        float wd = tt.decay ? o->weight_decay : 0.0f;
#pragma omp parallel for schedule(static)
        for (size_t i = tt.offset; i < tt.offset + tt.size; i++) {
            float m1 = o->beta1 * mm[i] + (1 - o->beta1) * g[i];
            float v1 = o->beta2 * vv[i] + (1 - o->beta2) * g[i] * g[i];
            mm[i] = m1;
            vv[i] = v1;
            p[i] -= lr * ((m1 / bc1) / (sqrtf(v1 / bc2) + o->adam_eps) + wd * p[i]);
        }
    }
}

int sw_trainer_step(sw_trainer *t, sw_step_info *info, sw_err *err) {
    const sw_topts *o = &t->o;
    sw_tmodel *m = t->m;
    size_t np;
    float *g = sw_tmodel_grads(m, &np);
    int T = o->seq;
    double loss = 0;
    if (o->dp_clip > 0) {
        /* DP-SGD: each of batch*accum examples is clipped alone, noise on the sum. */
        int n_ex = o->batch * o->accum;
        memset(t->dp_acc, 0, np * sizeof(float));
        for (int e = 0; e < n_ex; e++) {
            sample_batch(t, 1);
            sw_tmodel_zero_grad(m);
            loss += sw_tmodel_forward(m, t->batch, t->batch + T) / n_ex;
            sw_tmodel_backward(m, 1.0f);
            double nrm = sqrt(sumsq(g, np));
            float f = nrm > o->dp_clip ? (float)(o->dp_clip / nrm) : 1.0f;
            for (size_t i = 0; i < np; i++) t->dp_acc[i] += f * g[i];
        }
        double sd = (double)o->dp_noise * o->dp_clip;
        for (size_t i = 0; i < np; i++) g[i] = (float)((t->dp_acc[i] + sd * sw_rng_normal(&t->rng)) / n_ex);
    } else {
        sw_tmodel_zero_grad(m);
        for (int a = 0; a < o->accum; a++) {
            sample_batch(t, o->batch);
            loss += sw_tmodel_forward(m, t->batch, t->batch + (size_t)o->batch * T) / o->accum;
            sw_tmodel_backward(m, 1.0f / (float)o->accum);
        }
    }
    if (!isfinite(loss)) return sw_err_set(err, "train: the loss is not finite at step %d", t->step + 1);
    double gn = sqrt(sumsq(g, np));
    if (o->clip > 0 && gn > o->clip) {
        float f = (float)(o->clip / gn);
        for (size_t i = 0; i < np; i++) g[i] *= f;
    }
    float lr = sw_lr_at(o, t->step);
    adamw_update(t, lr);
    t->step++;
    t->ledger.tokens += (double)o->batch * o->accum * T;
    if (info) {
        info->step = t->step;
        info->loss = loss;
        info->grad_norm = gn;
        info->lr = lr;
    }
    return 0;
}

double sw_trainer_eval(sw_trainer *t, const int32_t *tokens, size_t n, int max_seqs) {
    /* The model's batch shape is fixed: evaluate B sequences at a time, padding the last
     * call with repeats whose losses are not counted. */
    int T = t->o.seq, B = t->o.dp_clip > 0 ? 1 : t->o.batch;
    if (n < (size_t)T + 1) return NAN;
    size_t nseq = (n - 1) / T;
    if (max_seqs > 0 && nseq > (size_t)max_seqs) nseq = (size_t)max_seqs;
    double total = 0;
    size_t counted = 0;
    int32_t *x = t->batch, *y = t->batch + (size_t)B * T;
    for (size_t s = 0; s < nseq; s += B) {
        int real = nseq - s < (size_t)B ? (int)(nseq - s) : B;
        for (int b = 0; b < B; b++) {
            size_t off = (s + (size_t)(b < real ? b : 0)) * T;
            memcpy(x + (size_t)b * T, tokens + off, (size_t)T * sizeof(int32_t));
            memcpy(y + (size_t)b * T, tokens + off + 1, (size_t)T * sizeof(int32_t));
        }
        sw_tmodel_forward(t->m, x, y);
        const float *losses = sw_tmodel_losses(t->m);
        for (size_t i = 0; i < (size_t)real * T; i++) total += losses[i];
        counted += (size_t)real * T;
    }
    return total / (double)counted;
}

double sw_trainer_dp_epsilon(const sw_trainer *t, size_t n_examples) {
    if (t->o.dp_clip <= 0 || t->o.dp_noise <= 0 || n_examples == 0) return 0;
    double q = (double)(t->o.batch * t->o.accum) / (double)n_examples;
    if (q > 1) q = 1;
    return sw_rdp_epsilon(q, t->o.dp_noise, t->step, t->o.dp_delta, NULL);
}

/* ---- checkpoints ---- */
#define CKPT_MAGIC "SWTCKPT1"

typedef struct ckpt_head {
    char magic[8];
    uint32_t header_bytes;
    int32_t step;
    sw_tconfig cfg;
    sw_topts opts;
    sw_rng rng;
    sw_tledger ledger;
    uint64_t n_params;
} ckpt_head;

int sw_trainer_save(const sw_trainer *t, const char *path, sw_err *err) {
    size_t np;
    const float *p = sw_tmodel_params(t->m, &np);
    ckpt_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CKPT_MAGIC, 8);
    h.header_bytes = sizeof h;
    h.step = t->step;
    h.cfg = t->cfg;
    h.opts = t->o;
    h.rng = t->rng;
    h.ledger = t->ledger;
    h.n_params = np;
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return sw_err_set(err, "checkpoint: path too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return sw_err_set(err, "checkpoint %s: %s", tmp, strerror(errno));
    uint8_t sum[SW_SHA256_BYTES];
    int rc = sw_write_all(fd, &h, sizeof h) || sw_write_all(fd, p, np * sizeof(float)) ||
             sw_write_all(fd, t->mom, 2 * np * sizeof(float));
    if (!rc) {
        /* A trailing hash of the weights catches truncated or damaged files. */
        sw_sha256(p, np * sizeof(float), sum);
        rc = sw_write_all(fd, sum, sizeof sum);
    }
    if (rc || fsync(fd)) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return sw_err_set(err, "checkpoint %s: write failed: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return sw_err_set(err, "checkpoint %s: rename failed: %s", path, strerror(e));
    }
    return 0;
}

static int read_head(FILE *f, const char *path, ckpt_head *h, sw_err *err) {
    if (fread(h, sizeof *h, 1, f) != 1) return sw_err_set(err, "checkpoint %s: too short for its header", path);
    if (memcmp(h->magic, CKPT_MAGIC, 8) || h->header_bytes != sizeof *h)
        return sw_err_set(err, "checkpoint %s: not a steward checkpoint of this version (offset 0)", path);
    return 0;
}

/* Opens a checkpoint for reading: a regular file only (a FIFO or device fails at once).
 * NULL with err naming it. */
static FILE *open_ckpt(const char *path, sw_err *err) {
    int fd = sw_file_open_regular(path, 0, NULL, err);
    if (fd < 0) {
        sw_err_prefix(err, "checkpoint");
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        sw_err_set(err, "checkpoint %s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int sw_checkpoint_peek(const char *path, sw_tconfig *cfg, sw_topts *opts, int *step, sw_err *err) {
    FILE *f = open_ckpt(path, err);
    if (!f) return -1;
    ckpt_head h;
    int rc = read_head(f, path, &h, err);
    fclose(f);
    if (rc) return -1;
    if (cfg) *cfg = h.cfg;
    if (opts) *opts = h.opts;
    if (step) *step = h.step;
    return 0;
}

static int load(sw_trainer *t, const char *path, int weights_only, sw_err *err) {
    FILE *f = open_ckpt(path, err);
    if (!f) return -1;
    ckpt_head h;
    if (read_head(f, path, &h, err)) {
        fclose(f);
        return -1;
    }
    size_t np;
    float *p = sw_tmodel_params(t->m, &np);
    if (memcmp(&h.cfg, &t->cfg, sizeof h.cfg) || h.n_params != np ||
        (!weights_only && (h.opts.seq != t->o.seq || h.opts.batch != t->o.batch ||
                           (h.opts.dp_clip > 0) != (t->o.dp_clip > 0)))) {
        fclose(f);
        return sw_err_set(err, "checkpoint %s: its model configuration or batch shape differs from this run's", path);
    }
    float *np_buf = malloc(np * sizeof(float)), *mom = malloc(2 * np * sizeof(float));
    uint8_t want[SW_SHA256_BYTES], got[SW_SHA256_BYTES];
    int ok = np_buf && mom && fread(np_buf, sizeof(float), np, f) == np &&
             fread(mom, sizeof(float), 2 * np, f) == 2 * np && fread(want, 1, sizeof want, f) == sizeof want;
    fclose(f);
    if (ok) {
        sw_sha256(np_buf, np * sizeof(float), got);
        ok = memcmp(got, want, sizeof got) == 0;
    }
    if (!ok) {
        free(np_buf);
        free(mom);
        return sw_err_set(err, "checkpoint %s: truncated or damaged (weights hash mismatch or short read)", path);
    }
    memcpy(p, np_buf, np * sizeof(float));
    free(np_buf);
    t->ledger = h.ledger; /* the cost of the weights so far goes on into this run's */
    if (!weights_only) {
        memcpy(t->mom, mom, 2 * np * sizeof(float));
        t->step = h.step;
        t->rng = h.rng;
    }
    free(mom);
    return 0;
}

int sw_trainer_load(sw_trainer *t, const char *path, sw_err *err) { return load(t, path, 0, err); }
int sw_trainer_load_weights(sw_trainer *t, const char *path, sw_err *err) { return load(t, path, 1, err); }
