/* rdp.c - Renyi-DP accountant for DP-SGD (the sampled Gaussian mechanism), after
 * Mironov 2017 and Mironov, Talwar and Zhang 2019 (integer orders). */
#include "steward/train.h"

#include <math.h>

static double log_add(double a, double b) {
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

/* For integer alpha: A = sum_k C(alpha,k) (1-q)^(alpha-k) q^k exp((k^2-k) / (2 sigma^2)),
 * and the step's RDP is log(A) / (alpha - 1). Summed in the log domain. */
double sw_rdp_sgm(double q, double sigma, int alpha) {
    if (q <= 0) return 0;
    if (sigma <= 0 || alpha < 2) return INFINITY;
    if (q >= 1) return alpha / (2 * sigma * sigma);
    double la = -INFINITY, lq = log(q), l1q = log1p(-q);
    for (int k = 0; k <= alpha; k++) {
        double lc = lgamma(alpha + 1.0) - lgamma(k + 1.0) - lgamma(alpha - k + 1.0);
        double term = lc + (alpha - k) * l1q + k * lq + ((double)k * k - k) / (2 * sigma * sigma);
        la = log_add(la, term);
    }
    return la / (alpha - 1);
}

/* epsilon = min over alpha of steps * rdp(alpha) + log(1/delta) / (alpha - 1)
 * (Mironov 2017, Proposition 3). */
double sw_rdp_epsilon(double q, double sigma, long steps, double delta, int *best_order) {
    double best = INFINITY;
    int bo = 0;
    for (int a = 2; a <= 256; a++) {
        double e = (double)steps * sw_rdp_sgm(q, sigma, a) + log(1 / delta) / (a - 1);
        if (e < best) {
            best = e;
            bo = a;
        }
    }
    if (best_order) *best_order = bo;
    return best;
}
