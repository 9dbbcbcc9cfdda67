/* test_train_grad.c - every backward function of the trainer against double-precision
 * central finite differences (relative error <= 1e-3), then the whole float model's
 * gradient against a directional finite difference. */
#define treal double
#include "train/kernels.h"
#undef treal

#include "steward/train.h"
#include "t.h"

#include <stdlib.h>

#define REL_TOL 1e-3
#define H_FD 1e-6

static sw_rng rng;
static double *rnd(size_t n, double sd) {
    double *p = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) p[i] = sw_rng_normal(&rng) * sd;
    return p;
}
static double *zeros(size_t n) { return calloc(n, sizeof(double)); }

/* Compares analytic[i] with (L(x+h) - L(x-h)) / 2h for every element of x. */
typedef double (*loss_fn)(void *ctx);
static double fd_check(double *x, size_t n, const double *analytic, loss_fn f, void *ctx) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double keep = x[i];
        x[i] = keep + H_FD;
        double lp = f(ctx);
        x[i] = keep - H_FD;
        double lm = f(ctx);
        x[i] = keep;
        double num = (lp - lm) / (2 * H_FD);
        double den = fmax(fabs(num), fabs(analytic[i]));
        double rel = fabs(num - analytic[i]) / (den + 1e-6);
        if (rel > worst) worst = rel;
    }
    return worst;
}
static double dotr(const double *a, const double *r, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * r[i];
    return s;
}

/* ---- rmsnorm ---- */
enum { N_ = 6, E_ = 8 };
typedef struct { double *x, *w, *r, *out, *rstd; } rms_ctx;
static double rms_loss(void *p) {
    rms_ctx *c = p;
    rmsnorm_forward(c->out, c->rstd, c->x, c->w, N_, E_, 1e-5f);
    return dotr(c->out, c->r, N_ * E_);
}
static void test_rmsnorm_grad(void) {
    rms_ctx c = {rnd(N_ * E_, 1), rnd(E_, 1), rnd(N_ * E_, 1), zeros(N_ * E_), zeros(N_)};
    double *dx = zeros(N_ * E_), *dw = zeros(E_);
    rms_loss(&c);
    rmsnorm_backward(dx, dw, c.r, c.x, c.w, c.rstd, N_, E_);
    double ex = fd_check(c.x, N_ * E_, dx, rms_loss, &c), ew = fd_check(c.w, E_, dw, rms_loss, &c);
    T_CHECK_MSG(ex <= REL_TOL && ew <= REL_TOL, "dx %g dw %g", ex, ew);
    free(c.x), free(c.w), free(c.r), free(c.out), free(c.rstd), free(dx), free(dw);
}

/* ---- matmul (odd sizes to cover the 4-row and 4-column tails) ---- */
enum { MN = 7, MI = 5, MO = 6 };
typedef struct { double *in, *W, *r, *out; } mm_ctx;
static double mm_loss(void *p) {
    mm_ctx *c = p;
    matmul_forward(c->out, c->in, c->W, MN, MI, MO);
    return dotr(c->out, c->r, MN * MO);
}
static void test_matmul_grad(void) {
    mm_ctx c = {rnd(MN * MI, 1), rnd(MO * MI, 1), rnd(MN * MO, 1), zeros(MN * MO)};
    double *din = zeros(MN * MI), *dW = zeros(MO * MI);
    matmul_backward(din, dW, c.r, c.in, c.W, MN, MI, MO);
    double e1 = fd_check(c.in, MN * MI, din, mm_loss, &c), e2 = fd_check(c.W, MO * MI, dW, mm_loss, &c);
    T_CHECK_MSG(e1 <= REL_TOL && e2 <= REL_TOL, "din %g dW %g", e1, e2);
    free(c.in), free(c.W), free(c.r), free(c.out), free(din), free(dW);
}

/* ---- RoPE ---- */
enum { RB = 2, RT = 5, RH = 3, RHD = 4 };
typedef struct { double *x, *r, *tmp; float *cs; } rope_ctx;
static double rope_loss(void *p) {
    rope_ctx *c = p;
    memcpy(c->tmp, c->x, RB * RT * RH * RHD * sizeof(double));
    rope_forward(c->tmp, c->cs, RB, RT, RH, RHD, RHD);
    return dotr(c->tmp, c->r, RB * RT * RH * RHD);
}
static void test_rope_grad(void) {
    size_t n = RB * RT * RH * RHD;
    rope_ctx c = {rnd(n, 1), rnd(n, 1), zeros(n), malloc(RT * RHD * sizeof(float))};
    for (int t = 0; t < RT; t++)
        for (int j = 0; j < RHD / 2; j++) {
            double a = t * pow(10000.0, -2.0 * j / RHD);
            c.cs[t * RHD + 2 * j] = (float)cos(a), c.cs[t * RHD + 2 * j + 1] = (float)sin(a);
        }
    double *dx = malloc(n * sizeof(double));
    memcpy(dx, c.r, n * sizeof(double));
    rope_backward(dx, c.cs, RB, RT, RH, RHD, RHD);
    double e = fd_check(c.x, n, dx, rope_loss, &c);
    T_CHECK_MSG(e <= REL_TOL, "dx %g", e);
    free(c.x), free(c.r), free(c.tmp), free(c.cs), free(dx);
}

/* ---- grouped-query causal attention (4 query heads over 2 kv heads) ---- */
enum { AB = 2, AT = 4, AH = 4, AHKV = 2, AHD = 3 };
typedef struct { double *q, *k, *v, *r, *out, *att; } att_ctx;
static double att_loss(void *p) {
    att_ctx *c = p;
    attention_forward(c->out, c->att, c->q, c->k, c->v, AB, AT, AH, AHKV, AHD);
    return dotr(c->out, c->r, AB * AT * AH * AHD);
}
static void test_attention_grad(void) {
    size_t nq = AB * AT * AH * AHD, nk = AB * AT * AHKV * AHD;
    att_ctx c = {rnd(nq, 1), rnd(nk, 1), rnd(nk, 1), rnd(nq, 1), zeros(nq), zeros(AB * AH * AT * AT)};
    double *dq = zeros(nq), *dk = zeros(nk), *dv = zeros(nk), *scr = zeros(AB * AHKV * AT);
    att_loss(&c);
    attention_backward(dq, dk, dv, scr, c.r, c.att, c.q, c.k, c.v, AB, AT, AH, AHKV, AHD);
    double e1 = fd_check(c.q, nq, dq, att_loss, &c), e2 = fd_check(c.k, nk, dk, att_loss, &c),
           e3 = fd_check(c.v, nk, dv, att_loss, &c);
    T_CHECK_MSG(e1 <= REL_TOL && e2 <= REL_TOL && e3 <= REL_TOL, "dq %g dk %g dv %g", e1, e2, e3);
    /* causality: the last position's inputs must not change earlier outputs */
    double before = c.out[0];
    c.k[(AT - 1) * AHKV * AHD] += 1.0;
    att_loss(&c);
    T_CHECK(c.out[0] == before);
    free(c.q), free(c.k), free(c.v), free(c.r), free(c.out), free(c.att), free(dq), free(dk), free(dv), free(scr);
}

/* ---- SwiGLU ---- */
enum { SN = 20 };
typedef struct { double *g, *u, *r, *h; } sw_ctx_t;
static double swiglu_loss(void *p) {
    sw_ctx_t *c = p;
    swiglu_forward(c->h, c->g, c->u, SN);
    return dotr(c->h, c->r, SN);
}
static void test_swiglu_grad(void) {
    sw_ctx_t c = {rnd(SN, 2), rnd(SN, 1), rnd(SN, 1), zeros(SN)};
    double *dg = zeros(SN), *du = zeros(SN);
    swiglu_backward(dg, du, c.r, c.g, c.u, SN);
    double e1 = fd_check(c.g, SN, dg, swiglu_loss, &c), e2 = fd_check(c.u, SN, du, swiglu_loss, &c);
    T_CHECK_MSG(e1 <= REL_TOL && e2 <= REL_TOL, "dgate %g dup %g", e1, e2);
    free(c.g), free(c.u), free(c.r), free(c.h), free(dg), free(du);
}

/* ---- softmax cross-entropy ---- */
enum { CN = 5, CV = 7 };
typedef struct { double *logits, *tmp, *losses; int32_t *tg; } ce_ctx;
static double ce_loss(void *p) {
    ce_ctx *c = p;
    memcpy(c->tmp, c->logits, CN * CV * sizeof(double));
    return crossentropy_forward(c->tmp, c->losses, c->tg, CN, CV);
}
static void test_crossentropy_grad(void) {
    int32_t tg[CN] = {0, 3, 6, 2, 2};
    ce_ctx c = {rnd(CN * CV, 2), zeros(CN * CV), zeros(CN), tg};
    ce_loss(&c);
    double *d = malloc(CN * CV * sizeof(double));
    memcpy(d, c.tmp, CN * CV * sizeof(double));
    crossentropy_backward(d, tg, CN, CV, 1.0);
    double e = fd_check(c.logits, CN * CV, d, ce_loss, &c);
    T_CHECK_MSG(e <= REL_TOL, "dlogits %g", e);
    free(c.logits), free(c.tmp), free(c.losses), free(d);
}

/* ---- embedding (repeated tokens accumulate) ---- */
enum { EN = 6, EV = 4, EE = 3 };
typedef struct { double *wte, *r, *out; const int32_t *tok; } emb_ctx;
static double emb_loss(void *p) {
    emb_ctx *c = p;
    embed_forward(c->out, c->tok, c->wte, EN, EE);
    return dotr(c->out, c->r, EN * EE);
}
static void test_embedding_grad(void) {
    static const int32_t tok[EN] = {1, 3, 1, 0, 3, 3};
    emb_ctx c = {rnd(EV * EE, 1), rnd(EN * EE, 1), zeros(EN * EE), tok};
    double *d = zeros(EV * EE);
    embed_backward(d, c.r, tok, EN, EE);
    double e = fd_check(c.wte, EV * EE, d, emb_loss, &c);
    T_CHECK_MSG(e <= REL_TOL, "dwte %g", e);
    free(c.wte), free(c.r), free(c.out), free(d);
}

/* ---- the whole float model: the gradient g against the finite difference of the loss
 * along g/|g| (which is |g| when g is right); both tied and untied output ---- */
static void check_model(int tied) {
    sw_tconfig cfg = {.n_vocab = 11, .n_ctx = 8, .n_embd = 8, .n_layer = 2, .n_head = 2, .n_head_kv = 1,
                      .n_ff = 12, .tied = tied};
    sw_err err = {{0}};
    sw_tmodel *m = sw_tmodel_new(&cfg, 2, 6, &err);
    T_CHECK_MSG(m != NULL, "%s", err.msg);
    if (!m) return;
    sw_tmodel_init(m, 7);
    size_t np;
    float *p = sw_tmodel_params(m, &np), *g = sw_tmodel_grads(m, NULL);
    /* larger weights than the init so that every path carries a visible gradient */
    for (size_t i = 0; i < np; i++) p[i] += (float)(sw_rng_normal(&rng) * 0.3);
    int32_t tok[12], tg[12];
    for (int i = 0; i < 12; i++) tok[i] = (int32_t)(sw_rng_next(&rng) % 11), tg[i] = (int32_t)(sw_rng_next(&rng) % 11);
    sw_tmodel_zero_grad(m);
    sw_tmodel_forward(m, tok, tg);
    sw_tmodel_backward(m, 1.0f);
    double gn = 0;
    for (size_t i = 0; i < np; i++) gn += (double)g[i] * g[i];
    gn = sqrt(gn);
    float *keep = malloc(np * sizeof(float)), *dir = malloc(np * sizeof(float));
    memcpy(keep, p, np * sizeof(float));
    for (size_t i = 0; i < np; i++) dir[i] = (float)(g[i] / gn);
    double h = 1e-3, l[2];
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < np; i++) p[i] = keep[i] + (float)((s ? -h : h) * dir[i]);
        l[s] = sw_tmodel_forward(m, tok, tg);
    }
    double num = (l[0] - l[1]) / (2 * h);
    T_CHECK_MSG(fabs(num - gn) / gn < 1e-2, "directional derivative %g vs |g| %g (tied %d)", num, gn, tied);
    /* every tensor receives gradient */
    for (int t = 0; t < sw_tmodel_n_tensors(m); t++) {
        sw_ttensor tt = sw_tmodel_tensor(m, t);
        double s = 0;
        for (size_t i = 0; i < tt.size; i++) s += fabs(g[tt.offset + i]);
        T_CHECK_MSG(s > 0, "no gradient reaches %s", tt.name);
    }
    free(keep);
    free(dir);
    sw_tmodel_free(m);
}
static void test_model_grad(void) {
    check_model(1);
    check_model(0);
}

int main(void) {
    sw_rng_seed(&rng, 1234);
    T_RUN(test_rmsnorm_grad);
    T_RUN(test_matmul_grad);
    T_RUN(test_rope_grad);
    T_RUN(test_attention_grad);
    T_RUN(test_swiglu_grad);
    T_RUN(test_crossentropy_grad);
    T_RUN(test_embedding_grad);
    T_RUN(test_model_grad);
    return t_done();
}
