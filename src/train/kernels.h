/* kernels.h - the training forward and backward functions, one pair per layer type.
 *
 * Written once over the element type `treal`: the library includes this file with
 * treal = float (train_model.c), the gradient test with treal = double, so that the
 * test checks this very code against double-precision finite differences.
 *
 * Shapes: N = rows (batch x positions), row-major. Every backward function
 * accumulates (+=) into the gradients of parameters and inputs, so callers zero them.
 * Parallel loops only ever split independent outputs, and each output is summed in
 * a fixed order: the results do not depend on the number of threads. */
#ifndef treal
#error "define treal (float or double) before including kernels.h"
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define K_ROWS(p, n, w) ((p) + (size_t)(n) * (size_t)(w))

/* ---- embedding ---- */
static void embed_forward(treal *out, const int32_t *tok, const treal *wte, int N, int E) {
    for (int n = 0; n < N; n++) memcpy(K_ROWS(out, n, E), K_ROWS(wte, tok[n], E), (size_t)E * sizeof(treal));
}
/* Serial: rows of dwte may repeat across n, and the order must stay fixed. */
static void embed_backward(treal *dwte, const treal *dout, const int32_t *tok, int N, int E) {
    for (int n = 0; n < N; n++) {
        treal *d = K_ROWS(dwte, tok[n], E);
        const treal *g = K_ROWS(dout, n, E);
        for (int i = 0; i < E; i++) d[i] += g[i];
    }
}

/* ---- RMSNorm: y = x * r * w, r = 1/sqrt(mean(x^2) + eps) (the sum in double, as the
 * engine does) ---- */
static void rmsnorm_forward(treal *out, treal *rstd, const treal *x, const treal *w, int N, int E,
                            float eps) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const treal *xr = K_ROWS(x, n, E);
        treal *o = K_ROWS(out, n, E);
        double ss = 0;
        for (int i = 0; i < E; i++) ss += (double)xr[i] * xr[i];
        treal s = (treal)(1.0 / sqrt(ss / E + eps));
        rstd[n] = s;
        for (int i = 0; i < E; i++) o[i] = xr[i] * s * w[i];
    }
}
/* dx_i = r w_i dy_i - r^3 x_i / E * sum_j dy_j w_j x_j;  dw_i = sum_n dy_i x_i r. */
static void rmsnorm_backward(treal *dx, treal *dw, const treal *dout, const treal *x, const treal *w,
                             const treal *rstd, int N, int E) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const treal *xr = K_ROWS(x, n, E), *g = K_ROWS(dout, n, E);
        treal *d = K_ROWS(dx, n, E);
        treal r = rstd[n];
        double dot = 0;
        for (int i = 0; i < E; i++) dot += (double)g[i] * w[i] * xr[i];
        treal c = (treal)(dot * r * r * r / E);
        for (int i = 0; i < E; i++) d[i] += r * w[i] * g[i] - c * xr[i];
    }
#pragma omp parallel for schedule(static)
    for (int i = 0; i < E; i++) {
        treal s = 0;
        for (int n = 0; n < N; n++) s += dout[(size_t)n * E + i] * x[(size_t)n * E + i] * rstd[n];
        dw[i] += s;
    }
}

/* ---- linear layer without bias: out[N][O] = in[N][I] . W[O][I]^T ---- */
static void matmul_forward(treal *out, const treal *in, const treal *W, int N, int I, int O) {
    /* Four input rows at a time, so that each row of W is read once per four. */
#pragma omp parallel for schedule(static)
    for (int n0 = 0; n0 < N; n0 += 4) {
        int nn = N - n0 < 4 ? N - n0 : 4;
        const treal *x0 = K_ROWS(in, n0, I);
        const treal *x1 = nn > 1 ? x0 + I : x0, *x2 = nn > 2 ? x0 + 2 * (size_t)I : x0;
        const treal *x3 = nn > 3 ? x0 + 3 * (size_t)I : x0;
        for (int o = 0; o < O; o++) {
            const treal *wr = K_ROWS(W, o, I);
            treal s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
            for (int i = 0; i < I; i++) {
                s0 += x0[i] * wr[i];
                s1 += x1[i] * wr[i];
                s2 += x2[i] * wr[i];
                s3 += x3[i] * wr[i];
            }
            treal s[4] = {s0, s1, s2, s3};
            for (int k = 0; k < nn; k++) out[(size_t)(n0 + k) * O + o] = s[k];
        }
    }
}
/* din[n] += sum_o dout[n][o] W[o];  dW[o] += sum_n dout[n][o] in[n]. */
static void matmul_backward(treal *din, treal *dW, const treal *dout, const treal *in, const treal *W,
                            int N, int I, int O) {
    if (din) {
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) {
            treal *d = K_ROWS(din, n, I);
            const treal *g = K_ROWS(dout, n, O);
            for (int o = 0; o < O; o++) {
                treal go = g[o];
                const treal *wr = K_ROWS(W, o, I);
#pragma omp simd
                for (int i = 0; i < I; i++) d[i] += go * wr[i];
            }
        }
    }
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < O; o0 += 4) {
        int oo = O - o0 < 4 ? O - o0 : 4;
        for (int k = 0; k < oo; k++) {
            treal *dw = K_ROWS(dW, o0 + k, I);
            for (int n = 0; n < N; n++) {
                treal go = dout[(size_t)n * O + o0 + k];
                const treal *x = K_ROWS(in, n, I);
#pragma omp simd
                for (int i = 0; i < I; i++) dw[i] += go * x[i];
            }
        }
    }
}

/* ---- RoPE, llama.cpp's "normal" mode: pairs (2j, 2j+1) of the first n_rot dims of
 * each head; cs[t][j] = (cos, sin) of position t times theta_j ---- */
static void rope_forward(treal *x, const float *cs, int B, int T, int H, int hd, int n_rot) {
    int half = n_rot / 2;
#pragma omp parallel for schedule(static)
    for (int bt = 0; bt < B * T; bt++) {
        const float *c = cs + (size_t)(bt % T) * n_rot;
        for (int h = 0; h < H; h++) {
            treal *v = x + ((size_t)bt * H + h) * hd;
            for (int j = 0; j < half; j++) {
                treal a = v[2 * j], b = v[2 * j + 1];
                v[2 * j] = a * c[2 * j] - b * c[2 * j + 1];
                v[2 * j + 1] = a * c[2 * j + 1] + b * c[2 * j];
            }
        }
    }
}
/* The rotation is orthogonal: its gradient is the inverse rotation (in place). */
static void rope_backward(treal *dx, const float *cs, int B, int T, int H, int hd, int n_rot) {
    int half = n_rot / 2;
#pragma omp parallel for schedule(static)
    for (int bt = 0; bt < B * T; bt++) {
        const float *c = cs + (size_t)(bt % T) * n_rot;
        for (int h = 0; h < H; h++) {
            treal *v = dx + ((size_t)bt * H + h) * hd;
            for (int j = 0; j < half; j++) {
                treal a = v[2 * j], b = v[2 * j + 1];
                v[2 * j] = a * c[2 * j] + b * c[2 * j + 1];
                v[2 * j + 1] = -a * c[2 * j + 1] + b * c[2 * j];
            }
        }
    }
}

/* ---- causal grouped-query attention. q [B*T][H*hd], k and v [B*T][Hkv*hd],
 * att [B][H][T][T] (probabilities, saved for backward), out [B*T][H*hd]. One task per
 * (sequence, kv head), so that backward can own dk and dv of its group. ---- */
static void attention_forward(treal *out, treal *att, const treal *q, const treal *k, const treal *v,
                              int B, int T, int H, int Hkv, int hd) {
    int QD = H * hd, KV = Hkv * hd, group = H / Hkv;
    treal scale = (treal)(1.0 / sqrt((double)hd));
#pragma omp parallel for schedule(static)
    for (int bg = 0; bg < B * Hkv; bg++) {
        int b = bg / Hkv, g = bg % Hkv;
        for (int h = g * group; h < (g + 1) * group; h++)
            for (int t = 0; t < T; t++) {
                const treal *qt = q + ((size_t)b * T + t) * QD + (size_t)h * hd;
                treal *p = att + (((size_t)b * H + h) * T + t) * T;
                treal mx = -INFINITY;
                for (int j = 0; j <= t; j++) {
                    const treal *kj = k + ((size_t)b * T + j) * KV + (size_t)g * hd;
                    treal d = 0;
                    for (int i = 0; i < hd; i++) d += qt[i] * kj[i];
                    p[j] = d * scale;
                    if (p[j] > mx) mx = p[j];
                }
                double sum = 0;
                for (int j = 0; j <= t; j++) {
                    p[j] = (treal)exp((double)(p[j] - mx));
                    sum += p[j];
                }
                treal inv = (treal)(1.0 / sum);
                for (int j = 0; j <= t; j++) p[j] *= inv;
                for (int j = t + 1; j < T; j++) p[j] = 0;
                treal *o = out + ((size_t)b * T + t) * QD + (size_t)h * hd;
                for (int i = 0; i < hd; i++) o[i] = 0;
                for (int j = 0; j <= t; j++) {
                    const treal *vj = v + ((size_t)b * T + j) * KV + (size_t)g * hd;
                    for (int i = 0; i < hd; i++) o[i] += p[j] * vj[i];
                }
            }
    }
}
/* dp_j = dout . v_j; ds_j = p_j (dp_j - sum_i p_i dp_i); dq += ds_j s k_j;
 * dk_j += ds_j s q; dv_j += p_j dout. scratch: T values per task (B*Hkv*T). */
static void attention_backward(treal *dq, treal *dk, treal *dv, treal *scratch, const treal *dout,
                               const treal *att, const treal *q, const treal *k, const treal *v, int B,
                               int T, int H, int Hkv, int hd) {
    int QD = H * hd, KV = Hkv * hd, group = H / Hkv;
    treal scale = (treal)(1.0 / sqrt((double)hd));
#pragma omp parallel for schedule(static)
    for (int bg = 0; bg < B * Hkv; bg++) {
        int b = bg / Hkv, g = bg % Hkv;
        treal *dp = scratch + (size_t)bg * T;
        for (int h = g * group; h < (g + 1) * group; h++)
            for (int t = 0; t < T; t++) {
                const treal *p = att + (((size_t)b * H + h) * T + t) * T;
                const treal *go = dout + ((size_t)b * T + t) * QD + (size_t)h * hd;
                const treal *qt = q + ((size_t)b * T + t) * QD + (size_t)h * hd;
                treal *dqt = dq + ((size_t)b * T + t) * QD + (size_t)h * hd;
                double pd = 0;
                for (int j = 0; j <= t; j++) {
                    const treal *vj = v + ((size_t)b * T + j) * KV + (size_t)g * hd;
                    treal *dvj = dv + ((size_t)b * T + j) * KV + (size_t)g * hd;
                    treal d = 0;
                    for (int i = 0; i < hd; i++) {
                        d += go[i] * vj[i];
                        dvj[i] += p[j] * go[i];
                    }
                    dp[j] = d;
                    pd += (double)p[j] * d;
                }
                for (int j = 0; j <= t; j++) {
                    treal ds = p[j] * (dp[j] - (treal)pd) * scale;
                    const treal *kj = k + ((size_t)b * T + j) * KV + (size_t)g * hd;
                    treal *dkj = dk + ((size_t)b * T + j) * KV + (size_t)g * hd;
                    for (int i = 0; i < hd; i++) {
                        dqt[i] += ds * kj[i];
                        dkj[i] += ds * qt[i];
                    }
                }
            }
    }
}

/* ---- SwiGLU: h = silu(gate) * up ---- */
static void swiglu_forward(treal *h, const treal *gate, const treal *up, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        treal g = gate[i];
        h[i] = g / (1 + (treal)exp(-(double)g)) * up[i];
    }
}
static void swiglu_backward(treal *dgate, treal *dup, const treal *dh, const treal *gate, const treal *up,
                            size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        treal g = gate[i];
        treal sg = 1 / (1 + (treal)exp(-(double)g));
        dgate[i] += dh[i] * up[i] * sg * (1 + g * (1 - sg));
        dup[i] += dh[i] * g * sg;
    }
}

/* ---- softmax cross-entropy. logits [N][V] become probabilities; losses[n] =
 * -log p[target]. Returns the sum of the losses (double). ---- */
static double crossentropy_forward(treal *logits, treal *losses, const int32_t *targets, int N, int V) {
    double total = 0;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        treal *l = K_ROWS(logits, n, V);
        treal mx = l[0];
        for (int i = 1; i < V; i++)
            if (l[i] > mx) mx = l[i];
        double sum = 0;
        for (int i = 0; i < V; i++) {
            l[i] = (treal)exp((double)(l[i] - mx));
            sum += l[i];
        }
        treal inv = (treal)(1.0 / sum);
        for (int i = 0; i < V; i++) l[i] *= inv;
        losses[n] = (treal)-log((double)l[targets[n]] > 1e-30 ? (double)l[targets[n]] : 1e-30);
    }
    for (int n = 0; n < N; n++) total += losses[n];
    return total;
}
/* dlogits = (p - onehot(target)) * dloss, in place of the probabilities. */
static void crossentropy_backward(treal *probs, const int32_t *targets, int N, int V, treal dloss) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        treal *p = K_ROWS(probs, n, V);
        for (int i = 0; i < V; i++) p[i] *= dloss;
        p[targets[n]] -= dloss;
    }
}
