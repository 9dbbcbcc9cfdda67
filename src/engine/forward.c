/* forward.c - the transformer forward pass: RMSNorm, RoPE, grouped-query attention
 * over an F32 KV cache, SwiGLU feed-forward, for a batch of positions at a time. */
#include "model_internal.h"
#include "engine/kernels.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
#include <string.h>

/* Queries per work item of attention_tiled */
#define ATT_QT 8

static int max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Floats of attention_tiled's scratch for npos positions: the values of one layer
 * transposed, and ATT_QT rows of scores per thread. */
static size_t att_tmp_floats(const sw_ctx *c, int npos) {
    const sw_hparams *hp = &c->m->hp;
    size_t KV = (size_t)hp->n_head_kv * (size_t)hp->head_dim;
    return (KV + (size_t)max_threads() * ATT_QT) * (size_t)npos;
}

sw_ctx *sw_ctx_new(const sw_model *m, int n_ctx, sw_err *err) {
    const sw_hparams *hp = &m->hp;
    if (n_ctx <= 0) n_ctx = hp->n_ctx_train;
    if (n_ctx > hp->n_ctx_train) {
        sw_err_set(err, "context of %d positions exceeds the model's context_length %d", n_ctx,
                   hp->n_ctx_train);
        return NULL;
    }
    sw_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        sw_err_set(err, "out of memory");
        return NULL;
    }
    c->m = m;
    c->n_ctx = n_ctx;
    c->n_batch = n_ctx < SW_MAX_BATCH ? n_ctx : SW_MAX_BATCH;
    size_t E = (size_t)hp->n_embd, F = (size_t)hp->n_ff, B = (size_t)c->n_batch;
    size_t QD = (size_t)hp->n_head * (size_t)hp->head_dim;
    size_t KV = (size_t)hp->n_head_kv * (size_t)hp->head_dim;
    size_t cache = (size_t)hp->n_layer * (size_t)n_ctx * KV;
    c->k_cache = malloc(cache * sizeof(float));
    c->v_cache = malloc(cache * sizeof(float));
    c->x = malloc(B * E * sizeof(float));
    c->xb = malloc(B * E * sizeof(float));
    c->proj = malloc(B * E * sizeof(float));
    c->q = malloc(B * QD * sizeof(float));
    c->att_out = malloc(B * QD * sizeof(float));
    c->k = malloc(B * KV * sizeof(float));
    c->v = malloc(B * KV * sizeof(float));
    c->gate = malloc(B * F * sizeof(float));
    c->up = malloc(B * F * sizeof(float));
    c->att = malloc((size_t)hp->n_head * (size_t)n_ctx * sizeof(float));
    c->rope_cs = malloc(B * (size_t)hp->n_rot * sizeof(float));
    c->inv_freq = malloc((size_t)hp->n_rot / 2 * sizeof(double) + sizeof(double));
    c->att_tmp_cap = att_tmp_floats(c, n_ctx);
    c->att_tmp = malloc(c->att_tmp_cap * sizeof(float));
    if (!c->k_cache || !c->v_cache || !c->x || !c->xb || !c->proj || !c->q || !c->att_out || !c->k ||
        !c->v || !c->gate || !c->up || !c->att || !c->rope_cs || !c->inv_freq || !c->att_tmp) {
        sw_ctx_free(c);
        sw_err_set(err, "out of memory for a context of %d positions", n_ctx);
        return NULL;
    }
    /* theta_j = base^(-2j / n_rot), the rotation speed of pair j, times the linear
     * scaling and divided by the pair's frequency factor (as GGML's rope does). */
    for (int j = 0; j < hp->n_rot / 2; j++)
        c->inv_freq[j] = (double)m->rope_freq_scale * pow((double)hp->rope_base, -2.0 * j / (double)hp->n_rot) /
                         (m->rope_freqs ? (double)m->rope_freqs[j] : 1.0);
    return c;
}

void sw_ctx_free(sw_ctx *c) {
    if (!c) return;
    free(c->k_cache);
    free(c->v_cache);
    free(c->x);
    free(c->xb);
    free(c->proj);
    free(c->q);
    free(c->att_out);
    free(c->k);
    free(c->v);
    free(c->gate);
    free(c->up);
    free(c->att);
    free(c->att_tmp);
    free(c->rope_cs);
    free(c->inv_freq);
    free(c);
}

int sw_ctx_n_ctx(const sw_ctx *c) { return c->n_ctx; }

/* Element-wise work of a prompt is split across the threads too (it is a tenth of the
 * work on one thread); a row or two (generation) is not worth waking them. */
#define PAR_NB 4

/* out[b] = x[b] / rms(x[b]) * w for nb rows of n. */
static void rmsnorm(float *out, const float *x, const float *w, int nb, int n, float eps) {
#pragma omp parallel for schedule(static) if (nb >= PAR_NB)
    for (int b = 0; b < nb; b++) {
        const float *xr = x + (size_t)b * n;
        float *o = out + (size_t)b * n;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
        float s = (float)(1.0 / sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) o[i] = xr[i] * s * w[i];
    }
}

/* x[i] += y[i] for n values of nb rows */
static void add_to(float *x, const float *y, size_t n, int nb) {
#pragma omp parallel for schedule(static) if (nb >= PAR_NB)
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

static void add_bias(float *y, const float *bias, int nb, int n) {
    if (!bias) return;
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < n; i++) y[(size_t)b * n + i] += bias[i];
}

/* Rotates the first n_rot dimensions of each of n_heads heads of one position.
 * llama files pair (2j, 2j+1) (the converter permuted Q/K rows to make it so);
 * qwen2 files pair (j, j + n_rot/2) ("NEOX" mode). */
static void rope(float *v, int n_heads, int hd, int n_rot, int neox, const float *cs) {
    int half = n_rot / 2;
    for (int h = 0; h < n_heads; h++) {
        float *x = v + (size_t)h * hd;
        for (int j = 0; j < half; j++) {
            int i0 = neox ? j : 2 * j, i1 = neox ? j + half : 2 * j + 1;
            float c = cs[2 * j], s = cs[2 * j + 1];
            float a = x[i0], b = x[i1];
            x[i0] = a * c - b * s;
            x[i1] = a * s + b * c;
        }
    }
}

/* sc[0..n) <- softmax(sc * scale), in place (the sum in double). */
static void softmax_scaled(float *sc, int n, float scale) {
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) {
        sc[j] *= scale;
        if (sc[j] > mx) mx = sc[j];
    }
    double sum = 0;
    for (int j = 0; j < n; j++) {
        sc[j] = expf(sc[j] - mx);
        sum += sc[j];
    }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < n; j++) sc[j] *= inv;
}

/* Where the rows of one pass belong: a prompt chunk is one sequence at consecutive
 * positions (kv NULL: the context doing the pass, from pos0); a decoding step of several
 * sequences is one row each, with its own context (KV cache) and position. */
typedef struct pass {
    sw_ctx *const *kv; /* [nb] or NULL */
    const int *pos;    /* [nb] or NULL */
    int pos0;
} pass;

static sw_ctx *row_ctx(sw_ctx *c, const pass *ps, int b) { return ps->kv ? ps->kv[b] : c; }
static int row_pos(const pass *ps, int b) { return ps->pos ? ps->pos[b] : ps->pos0 + b; }

/* Causal attention for the nb new rows of a pass, each against the cache of layer l of
 * its own context (which already holds it). One OpenMP task per head. */
static void attention(sw_ctx *c, int l, int nb, const pass *ps) {
    const sw_hparams *hp = &c->m->hp;
    int hd = hp->head_dim, QD = hp->n_head * hd, KV = hp->n_head_kv * hd;
    int group = hp->n_head / hp->n_head_kv;
    float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for schedule(static)
    for (int h = 0; h < hp->n_head; h++) {
        float *sc = c->att + (size_t)h * c->n_ctx;
        int g = h / group;
        for (int b = 0; b < nb; b++) {
            const sw_ctx *rc = row_ctx(c, ps, b);
            const float *kc = rc->k_cache + (size_t)l * rc->n_ctx * KV;
            const float *vc = rc->v_cache + (size_t)l * rc->n_ctx * KV;
            int p = row_pos(ps, b);
            const float *qh = c->q + (size_t)b * QD + (size_t)h * hd;
            for (int j = 0; j <= p; j++) {
                const float *kj = kc + (size_t)j * KV + (size_t)g * hd;
                float d = 0;
#pragma omp simd reduction(+ : d)
                for (int i = 0; i < hd; i++) d += qh[i] * kj[i];
                sc[j] = d;
            }
            softmax_scaled(sc, p + 1, scale);
            float *o = c->att_out + (size_t)b * QD + (size_t)h * hd;
            memset(o, 0, (size_t)hd * sizeof(float));
            for (int j = 0; j <= p; j++) {
                const float *vj = vc + (size_t)j * KV + (size_t)g * hd;
                float w = sc[j];
#pragma omp simd
                for (int i = 0; i < hd; i++) o[i] += w * vj[i];
            }
        }
    }
}

/* The same attention for a prompt chunk (nb >= ATT_QT), through the F32 matmul kernels:
 * the values of each KV head are transposed once, then each (head, ATT_QT queries) item
 * takes the scores of its queries against their keys as one product and the weighted
 * sums of the values as another. Items run in parallel, so a prompt keeps every thread
 * busy however few heads there are. The scratch is allocated with the context for the
 * thread count of that time; returns -1, having done nothing, when more threads need
 * more of it and it cannot grow. */
static int attention_tiled(sw_ctx *c, int l, int nb, int pos) {
    const sw_hparams *hp = &c->m->hp;
    int hd = hp->head_dim, QD = hp->n_head * hd, KV = hp->n_head_kv * hd;
    int group = hp->n_head / hp->n_head_kv, npos = pos + nb;
    int ntiles = (nb + ATT_QT - 1) / ATT_QT;
    size_t need = att_tmp_floats(c, npos);
    if (need > c->att_tmp_cap) {
        float *p = realloc(c->att_tmp, need * sizeof(float));
        if (!p) return -1;
        c->att_tmp = p;
        c->att_tmp_cap = need;
    }
    const float *kc = c->k_cache + (size_t)l * c->n_ctx * KV;
    const float *vc = c->v_cache + (size_t)l * c->n_ctx * KV;
    float *vt = c->att_tmp; /* [KV][npos]: row g*hd + i holds dimension i of head g's values */
    float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel
    {
#ifdef _OPENMP
        float *S = c->att_tmp + (size_t)KV * npos + (size_t)omp_get_thread_num() * ATT_QT * npos;
#else
        float *S = c->att_tmp + (size_t)KV * npos;
#endif
#pragma omp for schedule(static)
        for (int r = 0; r < KV; r++)
            for (int j = 0; j < npos; j++) vt[(size_t)r * npos + j] = vc[(size_t)j * KV + r];
#pragma omp for schedule(dynamic)
        for (int it = 0; it < hp->n_head * ntiles; it++) {
            int h = it / ntiles, b0 = it % ntiles * ATT_QT, g = h / group;
            int qn = nb - b0 < ATT_QT ? nb - b0 : ATT_QT, kn = pos + b0 + qn; /* keys 0..kn-1 */
            /* S[b][j] = q_(b0+b) . k_j */
            sw_dots_f32(kc + (size_t)g * hd, (size_t)KV, kn, c->q + (size_t)b0 * QD + (size_t)h * hd,
                        (size_t)QD, qn, hd, S, (size_t)kn);
            for (int b = 0; b < qn; b++) {
                float *sc = S + (size_t)b * kn;
                int p = pos + b0 + b;
                softmax_scaled(sc, p + 1, scale);
                for (int j = p + 1; j < kn; j++) sc[j] = 0; /* the future */
            }
            /* out[b][i] = sum_j S[b][j] v_j[i] */
            sw_dots_f32(vt + (size_t)g * hd * npos, (size_t)npos, hd, S, (size_t)kn, qn, kn,
                        c->att_out + (size_t)b0 * QD + (size_t)h * hd, (size_t)QD);
        }
    }
    return 0;
}

static void matmul(const sw_wt *w, int rows, int cols, const float *x, int nb, float *y) {
    sw_matmul(w->data, w->type, rows, cols, x, nb, y);
}

/* The products of one pass: several sequences' rows must each come out as they would
 * alone, so they keep to the row-wise kernels. */
static void matmul_jobs(const pass *ps, const sw_matmul_job *jobs, int n, int cols, const float *x, int nb) {
    if (ps->kv) sw_matmul_multi_rowwise(jobs, n, cols, x, nb);
    else sw_matmul_multi(jobs, n, cols, x, nb);
}

/* One transformer block over the nb rows of a pass: x += attn(norm(x)); x += ffn(norm(x)). */
static void block(sw_ctx *c, int l, int nb, const pass *ps) {
    const sw_model *m = c->m;
    const sw_hparams *hp = &m->hp;
    const sw_layer *L = &m->layers[l];
    int E = hp->n_embd, F = hp->n_ff, hd = hp->head_dim;
    int QD = hp->n_head * hd, KV = hp->n_head_kv * hd;

    rmsnorm(c->xb, c->x, L->attn_norm, nb, E, hp->rms_eps);
    sw_matmul_job qkv[3] = {{L->wq.data, L->wq.type, QD, c->q}, {L->wk.data, L->wk.type, KV, c->k},
                            {L->wv.data, L->wv.type, KV, c->v}};
    matmul_jobs(ps, qkv, 3, E, c->xb, nb);
    add_bias(c->q, L->bq, nb, QD);
    add_bias(c->k, L->bk, nb, KV);
    add_bias(c->v, L->bv, nb, KV);
#pragma omp parallel for schedule(static) if (nb >= PAR_NB)
    for (int b = 0; b < nb; b++) {
        const float *cs = c->rope_cs + (size_t)b * hp->n_rot;
        rope(c->q + (size_t)b * QD, hp->n_head, hd, hp->n_rot, m->rope_neox, cs);
        rope(c->k + (size_t)b * KV, hp->n_head_kv, hd, hp->n_rot, m->rope_neox, cs);
    }
    for (int b = 0; b < nb; b++) {
        sw_ctx *rc = row_ctx(c, ps, b);
        size_t at = ((size_t)l * rc->n_ctx + (size_t)row_pos(ps, b)) * KV;
        memcpy(rc->k_cache + at, c->k + (size_t)b * KV, (size_t)KV * sizeof(float));
        memcpy(rc->v_cache + at, c->v + (size_t)b * KV, (size_t)KV * sizeof(float));
    }
    if (ps->kv || nb < ATT_QT || attention_tiled(c, l, nb, ps->pos0) != 0) attention(c, l, nb, ps);
    sw_matmul_job wo = {L->wo.data, L->wo.type, E, c->proj};
    matmul_jobs(ps, &wo, 1, QD, c->att_out, nb);
    add_to(c->x, c->proj, (size_t)nb * E, nb);

    rmsnorm(c->xb, c->x, L->ffn_norm, nb, E, hp->rms_eps);
    sw_matmul_job gate_up[2] = {{L->w_gate.data, L->w_gate.type, F, c->gate},
                                {L->w_up.data, L->w_up.type, F, c->up}};
    matmul_jobs(ps, gate_up, 2, E, c->xb, nb);
    sw_swiglu_fn swiglu = sw_kernels()->swiglu;
#pragma omp parallel for schedule(static) if (nb >= PAR_NB)
    for (int b = 0; b < nb; b++) swiglu(c->gate + (size_t)b * F, c->up + (size_t)b * F, F);
    sw_matmul_job down = {L->w_down.data, L->w_down.type, E, c->proj};
    matmul_jobs(ps, &down, 1, F, c->gate, nb);
    add_to(c->x, c->proj, (size_t)nb * E, nb);
}

/* Evaluates the nb <= n_batch rows of a pass; logits_all (if any) gets nb rows, logits
 * (if any) the last one. */
static void eval_chunk(sw_ctx *c, const int32_t *tokens, int nb, const pass *ps, float *logits,
                       float *logits_all) {
    const sw_model *m = c->m;
    const sw_hparams *hp = &m->hp;
    int E = hp->n_embd, V = hp->n_vocab, half = hp->n_rot / 2;
    for (int b = 0; b < nb; b++)
        sw_get_row(m->tok_embd.data, m->tok_embd.type, E, tokens[b], c->x + (size_t)b * E);
    for (int b = 0; b < nb; b++)
        for (int j = 0; j < half; j++) {
            double a = (double)row_pos(ps, b) * c->inv_freq[j];
            c->rope_cs[(size_t)b * hp->n_rot + 2 * j] = (float)cos(a);
            c->rope_cs[(size_t)b * hp->n_rot + 2 * j + 1] = (float)sin(a);
        }
    for (int l = 0; l < hp->n_layer; l++) block(c, l, nb, ps);
    if (logits_all) {
        rmsnorm(c->xb, c->x, m->output_norm, nb, E, hp->rms_eps);
        sw_matmul_job out = {m->output.data, m->output.type, V, logits_all};
        matmul_jobs(ps, &out, 1, E, c->xb, nb);
        if (logits) memcpy(logits, logits_all + (size_t)(nb - 1) * V, (size_t)V * sizeof(float));
    } else if (logits) {
        rmsnorm(c->xb, c->x + (size_t)(nb - 1) * E, m->output_norm, 1, E, hp->rms_eps);
        matmul(&m->output, V, E, c->xb, 1, logits);
    }
}

/* Checks that token ids are in the vocabulary; -1 with err naming the first that is not. */
static int check_tokens(const sw_hparams *hp, const int32_t *tokens, int n, sw_err *err) {
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= hp->n_vocab)
            return sw_err_set(err, "eval: token %d (at index %d) is out of range 0..%d", (int)tokens[i], i,
                              hp->n_vocab - 1);
    return 0;
}

int sw_ctx_eval(sw_ctx *c, const int32_t *tokens, int n, int pos, float *logits, float *logits_all,
                sw_err *err) {
    const sw_hparams *hp = &c->m->hp;
    if (n <= 0) return sw_err_set(err, "eval: no tokens to evaluate");
    if (pos < 0 || pos > c->n_ctx - n)
        return sw_err_set(err, "eval: positions %d..%d are past the context of %d positions", pos,
                          pos + n - 1, c->n_ctx);
    if (check_tokens(hp, tokens, n, err) < 0) return -1;
    for (int done = 0; done < n; done += c->n_batch) {
        int nb = n - done < c->n_batch ? n - done : c->n_batch;
        int last = done + nb == n;
        pass ps = {NULL, NULL, pos + done};
        eval_chunk(c, tokens + done, nb, &ps, last ? logits : NULL,
                   logits_all ? logits_all + (size_t)done * hp->n_vocab : NULL);
    }
    return 0;
}

int sw_ctx_eval_multi(sw_ctx *const *ctxs, const int32_t *tokens, const int *pos, int n, float *logits,
                      sw_err *err) {
    if (n <= 0) return sw_err_set(err, "eval: no sequences to evaluate");
    sw_ctx *c = ctxs[0];
    const sw_hparams *hp = &c->m->hp;
    if (n > c->n_batch) return sw_err_set(err, "eval: %d sequences in one pass; at most %d", n, c->n_batch);
    for (int b = 0; b < n; b++) {
        if (ctxs[b]->m != c->m || ctxs[b]->n_ctx != c->n_ctx)
            return sw_err_set(err, "eval: sequence %d's context is of another model or size", b);
        if (pos[b] < 0 || pos[b] >= ctxs[b]->n_ctx)
            return sw_err_set(err, "eval: position %d of sequence %d is past its context of %d positions", pos[b],
                              b, ctxs[b]->n_ctx);
        for (int a = 0; a < b; a++)
            if (ctxs[a] == ctxs[b]) return sw_err_set(err, "eval: sequences %d and %d share a context", a, b);
    }
    if (check_tokens(hp, tokens, n, err) < 0) return -1;
    pass ps = {ctxs, pos, 0};
    eval_chunk(c, tokens, n, &ps, NULL, logits);
    return 0;
}
