/* train_model.c - the llama-architecture model for training: parameters, gradients and
 * activations each in one allocation, forward and backward over a micro-batch. */
#define treal float
#include "kernels.h"
#undef treal

#include "steward/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per-layer parameter pointers into the one block (same layout for gradients). */
typedef struct tlayer {
    float *attn_norm, *wq, *wk, *wv, *wo, *ffn_norm, *w_gate, *w_up, *w_down;
} tlayer;

/* Saved activations of one layer. x is the layer's input residual stream. */
typedef struct tacts {
    float *x, *xn1, *rstd1, *q, *k, *v, *att, *ao, *xm, *xn2, *rstd2, *gate, *up, *hh;
} tacts;

struct sw_tmodel {
    sw_tconfig c;
    int B, T;
    size_t n_params, n_acts, n_scratch;
    float *params, *grads, *acts, *scratch;
    float *wte, *out_norm, *wout;    /* parameters */
    float *gwte, *gout_norm, *gwout; /* gradients */
    tlayer *lp, *lg;                 /* [n_layer] */
    tacts *la;                       /* [n_layer] */
    float *xf, *xnf, *rstdf, *logits, *losses;
    float *dres, *dxn, *dq, *dk, *dv, *dao, *dgate, *dup, *dhh, *datt;
    float *rope_cs;                  /* [T][n_rot] (cos, sin) pairs */
    int32_t *tokens, *targets;
    int have_targets;
    sw_ttensor *tensors;
    int n_tensors;
};

int sw_tconfig_check(sw_tconfig *c, sw_err *err) {
    if (c->n_head_kv == 0) c->n_head_kv = c->n_head;
    if (c->rms_eps == 0) c->rms_eps = 1e-5f;
    if (c->rope_base == 0) c->rope_base = 10000.0f;
    if (c->n_vocab < 2 || c->n_ctx < 1 || c->n_embd < 2 || c->n_layer < 1 || c->n_head < 1 || c->n_ff < 1)
        return sw_err_set(err, "model config: vocab %d, ctx %d, embd %d, layers %d, heads %d, ff %d: all must be positive",
                          c->n_vocab, c->n_ctx, c->n_embd, c->n_layer, c->n_head, c->n_ff);
    if (c->n_embd % c->n_head || (c->n_embd / c->n_head) % 2)
        return sw_err_set(err, "model config: embd %d is not a multiple of heads %d with an even head size",
                          c->n_embd, c->n_head);
    if (c->n_head_kv < 1 || c->n_head % c->n_head_kv)
        return sw_err_set(err, "model config: heads %d is not a multiple of kv heads %d", c->n_head,
                          c->n_head_kv);
    if (c->n_vocab > (1 << 24) || c->n_embd > 65536 || c->n_ff > 262144 || c->n_layer > 1024 || c->n_ctx > 65536)
        return sw_err_set(err, "model config: a dimension is too large");
    return 0;
}

size_t sw_tconfig_n_params(const sw_tconfig *c) {
    size_t E = c->n_embd, hd = E / c->n_head, QD = E, KV = hd * c->n_head_kv, F = c->n_ff, V = c->n_vocab;
    size_t per = E + QD * E + 2 * KV * E + E * QD + E + 3 * F * E;
    return V * E + (size_t)c->n_layer * per + E + (c->tied ? 0 : V * E);
}

static void add_tensor(sw_tmodel *m, const char *name, int nd, uint64_t ne0, uint64_t ne1, size_t *off) {
    sw_ttensor *t = &m->tensors[m->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->n_dims = nd;
    t->ne[0] = ne0;
    t->ne[1] = nd > 1 ? ne1 : 1;
    t->offset = *off;
    t->size = (size_t)ne0 * (nd > 1 ? ne1 : 1);
    t->decay = nd > 1;
    *off += t->size;
}

/* Lays out the tensors in the parameter block, in GGUF order and naming. */
static void layout(sw_tmodel *m) {
    const sw_tconfig *c = &m->c;
    size_t E = c->n_embd, hd = E / c->n_head, QD = E, KV = hd * c->n_head_kv, F = c->n_ff;
    size_t off = 0;
    char nm[64];
    add_tensor(m, "token_embd.weight", 2, E, c->n_vocab, &off);
    for (int l = 0; l < c->n_layer; l++) {
#define T_(suffix, nd, a, b)                                     \
    snprintf(nm, sizeof nm, "blk.%d." suffix ".weight", l);     \
    add_tensor(m, nm, nd, a, b, &off)
        T_("attn_norm", 1, E, 1);
        T_("attn_q", 2, E, QD);
        T_("attn_k", 2, E, KV);
        T_("attn_v", 2, E, KV);
        T_("attn_output", 2, QD, E);
        T_("ffn_norm", 1, E, 1);
        T_("ffn_gate", 2, E, F);
        T_("ffn_up", 2, E, F);
        T_("ffn_down", 2, F, E);
#undef T_
    }
    add_tensor(m, "output_norm.weight", 1, E, 1, &off);
    if (!c->tied) add_tensor(m, "output.weight", 2, E, c->n_vocab, &off);
    m->n_params = off;
}

static void bind_params(sw_tmodel *m, float *base, float **wte, float **onorm, float **wout, tlayer *L) {
    int i = 0;
    *wte = base + m->tensors[i++].offset;
    for (int l = 0; l < m->c.n_layer; l++) {
        float **f[] = {&L[l].attn_norm, &L[l].wq, &L[l].wk, &L[l].wv, &L[l].wo,
                       &L[l].ffn_norm, &L[l].w_gate, &L[l].w_up, &L[l].w_down};
        for (int k = 0; k < 9; k++) *f[k] = base + m->tensors[i++].offset;
    }
    *onorm = base + m->tensors[i++].offset;
    *wout = m->c.tied ? *wte : base + m->tensors[i++].offset;
}

/* Carves n floats off *p. */
static float *take(float **p, size_t n) {
    float *r = *p;
    *p += n;
    return r;
}

sw_tmodel *sw_tmodel_new(const sw_tconfig *cfg, int B, int T, sw_err *err) {
    sw_tconfig c = *cfg;
    if (sw_tconfig_check(&c, err)) return NULL;
    if (B < 1 || T < 1 || T > c.n_ctx) {
        sw_err_set(err, "model: batch %d x sequence %d (context %d) is not a valid shape", B, T, c.n_ctx);
        return NULL;
    }
    sw_tmodel *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    m->c = c;
    m->B = B;
    m->T = T;
    m->tensors = calloc((size_t)c.n_layer * 9 + 3, sizeof *m->tensors);
    m->lp = calloc((size_t)c.n_layer, sizeof *m->lp);
    m->lg = calloc((size_t)c.n_layer, sizeof *m->lg);
    m->la = calloc((size_t)c.n_layer, sizeof *m->la);
    if (!m->tensors || !m->lp || !m->lg || !m->la) goto oom;
    layout(m);
    size_t N = (size_t)B * T, E = c.n_embd, hd = E / c.n_head, QD = E, KV = hd * c.n_head_kv;
    size_t F = c.n_ff, V = c.n_vocab, H = c.n_head;
    size_t per = N * (4 * E + 2 * QD + 2 * KV + 3 * F + 2) + (size_t)B * H * T * T;
    m->n_acts = (size_t)c.n_layer * per + N * (2 * E + V + 2) + (size_t)T * hd;
    m->n_scratch = N * (2 * E + 2 * QD + 2 * KV + 3 * F) + (size_t)B * c.n_head_kv * T;
    m->params = calloc(m->n_params, sizeof(float));
    m->grads = calloc(m->n_params, sizeof(float));
    m->acts = malloc(m->n_acts * sizeof(float));
    m->scratch = malloc(m->n_scratch * sizeof(float));
    m->tokens = malloc(N * sizeof(int32_t));
    m->targets = malloc(N * sizeof(int32_t));
    if (!m->params || !m->grads || !m->acts || !m->scratch || !m->tokens || !m->targets) goto oom;
    bind_params(m, m->params, &m->wte, &m->out_norm, &m->wout, m->lp);
    bind_params(m, m->grads, &m->gwte, &m->gout_norm, &m->gwout, m->lg);
    float *p = m->acts;
    for (int l = 0; l < c.n_layer; l++) {
        tacts *a = &m->la[l];
        a->x = take(&p, N * E);
        a->xn1 = take(&p, N * E);
        a->rstd1 = take(&p, N);
        a->q = take(&p, N * QD);
        a->k = take(&p, N * KV);
        a->v = take(&p, N * KV);
        a->att = take(&p, (size_t)B * H * T * T);
        a->ao = take(&p, N * QD);
        a->xm = take(&p, N * E);
        a->xn2 = take(&p, N * E);
        a->rstd2 = take(&p, N);
        a->gate = take(&p, N * F);
        a->up = take(&p, N * F);
        a->hh = take(&p, N * F);
    }
    m->xf = take(&p, N * E);
    m->xnf = take(&p, N * E);
    m->rstdf = take(&p, N);
    m->logits = take(&p, N * V);
    m->losses = take(&p, N);
    m->rope_cs = take(&p, (size_t)T * hd);
    p = m->scratch;
    m->dres = take(&p, N * E);
    m->dxn = take(&p, N * E);
    m->dq = take(&p, N * QD);
    m->dao = take(&p, N * QD);
    m->dk = take(&p, N * KV);
    m->dv = take(&p, N * KV);
    m->dgate = take(&p, N * F);
    m->dup = take(&p, N * F);
    m->dhh = take(&p, N * F);
    m->datt = take(&p, (size_t)B * c.n_head_kv * T);
    /* RoPE table exactly as the engine computes it: angles in double, then float. */
    int half = (int)hd / 2;
    for (int t = 0; t < T; t++)
        for (int j = 0; j < half; j++) {
            double a = (double)t * pow((double)c.rope_base, -2.0 * j / (double)hd);
            m->rope_cs[(size_t)t * hd + 2 * j] = (float)cos(a);
            m->rope_cs[(size_t)t * hd + 2 * j + 1] = (float)sin(a);
        }
    return m;
oom:
    sw_tmodel_free(m);
    sw_err_set(err, "model: out of memory");
    return NULL;
}

void sw_tmodel_free(sw_tmodel *m) {
    if (!m) return;
    free(m->tensors);
    free(m->lp);
    free(m->lg);
    free(m->la);
    free(m->params);
    free(m->grads);
    free(m->acts);
    free(m->scratch);
    free(m->tokens);
    free(m->targets);
    free(m);
}

const sw_tconfig *sw_tmodel_config(const sw_tmodel *m) { return &m->c; }
float *sw_tmodel_params(sw_tmodel *m, size_t *n) {
    if (n) *n = m->n_params;
    return m->params;
}
float *sw_tmodel_grads(sw_tmodel *m, size_t *n) {
    if (n) *n = m->n_params;
    return m->grads;
}
const float *sw_tmodel_logits(const sw_tmodel *m) { return m->logits; }
const float *sw_tmodel_losses(const sw_tmodel *m) { return m->losses; }
int sw_tmodel_n_tensors(const sw_tmodel *m) { return m->n_tensors; }
sw_ttensor sw_tmodel_tensor(const sw_tmodel *m, int i) { return m->tensors[i]; }
void sw_tmodel_zero_grad(sw_tmodel *m) { memset(m->grads, 0, m->n_params * sizeof(float)); }

void sw_tmodel_init(sw_tmodel *m, uint64_t seed) {
    sw_rng r;
    sw_rng_seed(&r, seed);
    float resid = 0.02f / sqrtf(2.0f * (float)m->c.n_layer);
    for (int i = 0; i < m->n_tensors; i++) {
        const sw_ttensor *t = &m->tensors[i];
        float *p = m->params + t->offset;
        int is_resid = strstr(t->name, "attn_output") || strstr(t->name, "ffn_down");
        float sd = is_resid ? resid : 0.02f;
        for (size_t k = 0; k < t->size; k++) p[k] = t->n_dims == 1 ? 1.0f : (float)(sw_rng_normal(&r) * sd);
    }
}

double sw_tmodel_forward(sw_tmodel *m, const int32_t *tokens, const int32_t *targets) {
    const sw_tconfig *c = &m->c;
    int B = m->B, T = m->T, N = B * T, E = c->n_embd, H = c->n_head, Hkv = c->n_head_kv;
    int hd = E / H, QD = E, KV = hd * Hkv, F = c->n_ff, V = c->n_vocab;
    memcpy(m->tokens, tokens, (size_t)N * sizeof(int32_t));
    embed_forward(m->la[0].x, tokens, m->wte, N, E);
    for (int l = 0; l < c->n_layer; l++) {
        tacts *a = &m->la[l];
        const tlayer *w = &m->lp[l];
        float *xout = l + 1 < c->n_layer ? m->la[l + 1].x : m->xf;
        rmsnorm_forward(a->xn1, a->rstd1, a->x, w->attn_norm, N, E, c->rms_eps);
        matmul_forward(a->q, a->xn1, w->wq, N, E, QD);
        matmul_forward(a->k, a->xn1, w->wk, N, E, KV);
        matmul_forward(a->v, a->xn1, w->wv, N, E, KV);
        rope_forward(a->q, m->rope_cs, B, T, H, hd, hd);
        rope_forward(a->k, m->rope_cs, B, T, Hkv, hd, hd);
        attention_forward(a->ao, a->att, a->q, a->k, a->v, B, T, H, Hkv, hd);
        matmul_forward(a->xm, a->ao, w->wo, N, QD, E);
        for (size_t i = 0; i < (size_t)N * E; i++) a->xm[i] += a->x[i];
        rmsnorm_forward(a->xn2, a->rstd2, a->xm, w->ffn_norm, N, E, c->rms_eps);
        matmul_forward(a->gate, a->xn2, w->w_gate, N, E, F);
        matmul_forward(a->up, a->xn2, w->w_up, N, E, F);
        swiglu_forward(a->hh, a->gate, a->up, (size_t)N * F);
        matmul_forward(xout, a->hh, w->w_down, N, F, E);
        for (size_t i = 0; i < (size_t)N * E; i++) xout[i] += a->xm[i];
    }
    rmsnorm_forward(m->xnf, m->rstdf, m->xf, m->out_norm, N, E, c->rms_eps);
    matmul_forward(m->logits, m->xnf, m->wout, N, E, V);
    m->have_targets = targets != NULL;
    if (!targets) return 0;
    memcpy(m->targets, targets, (size_t)N * sizeof(int32_t));
    return crossentropy_forward(m->logits, m->losses, targets, N, V) / N;
}

#define ZERO(p, n) memset((p), 0, (size_t)(n) * sizeof(float))

void sw_tmodel_backward(sw_tmodel *m, float scale) {
    if (!m->have_targets) return;
    const sw_tconfig *c = &m->c;
    int B = m->B, T = m->T, N = B * T, E = c->n_embd, H = c->n_head, Hkv = c->n_head_kv;
    int hd = E / H, QD = E, KV = hd * Hkv, F = c->n_ff, V = c->n_vocab;
    crossentropy_backward(m->logits, m->targets, N, V, scale / (float)N);
    ZERO(m->dxn, N * E);
    matmul_backward(m->dxn, m->gwout, m->logits, m->xnf, m->wout, N, E, V);
    ZERO(m->dres, N * E);
    rmsnorm_backward(m->dres, m->gout_norm, m->dxn, m->xf, m->out_norm, m->rstdf, N, E);
    for (int l = c->n_layer - 1; l >= 0; l--) {
        tacts *a = &m->la[l];
        const tlayer *w = &m->lp[l];
        tlayer *g = &m->lg[l];
        /* feed-forward: xout = xm + down(swiglu(gate(xn2), up(xn2))) */
        ZERO(m->dhh, (size_t)N * F);
        matmul_backward(m->dhh, g->w_down, m->dres, a->hh, w->w_down, N, F, E);
        ZERO(m->dgate, (size_t)N * F);
        ZERO(m->dup, (size_t)N * F);
        swiglu_backward(m->dgate, m->dup, m->dhh, a->gate, a->up, (size_t)N * F);
        ZERO(m->dxn, N * E);
        matmul_backward(m->dxn, g->w_gate, m->dgate, a->xn2, w->w_gate, N, E, F);
        matmul_backward(m->dxn, g->w_up, m->dup, a->xn2, w->w_up, N, E, F);
        rmsnorm_backward(m->dres, g->ffn_norm, m->dxn, a->xm, w->ffn_norm, a->rstd2, N, E);
        /* attention: xm = x + wo(attn(rope(q), rope(k), v)) */
        ZERO(m->dao, N * QD);
        matmul_backward(m->dao, g->wo, m->dres, a->ao, w->wo, N, QD, E);
        ZERO(m->dq, N * QD);
        ZERO(m->dk, N * KV);
        ZERO(m->dv, N * KV);
        attention_backward(m->dq, m->dk, m->dv, m->datt, m->dao, a->att, a->q, a->k, a->v, B, T, H, Hkv, hd);
        rope_backward(m->dq, m->rope_cs, B, T, H, hd, hd);
        rope_backward(m->dk, m->rope_cs, B, T, Hkv, hd, hd);
        ZERO(m->dxn, N * E);
        matmul_backward(m->dxn, g->wq, m->dq, a->xn1, w->wq, N, E, QD);
        matmul_backward(m->dxn, g->wk, m->dk, a->xn1, w->wk, N, E, KV);
        matmul_backward(m->dxn, g->wv, m->dv, a->xn1, w->wv, N, E, KV);
        rmsnorm_backward(m->dres, g->attn_norm, m->dxn, a->x, w->attn_norm, a->rstd1, N, E);
    }
    embed_backward(m->gwte, m->dres, m->tokens, N, E);
    m->have_targets = 0; /* the probabilities were overwritten */
}
