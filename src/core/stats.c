/* stats.c - order statistics over arrays of doubles (medians and quantiles for
 * calibration, evaluation and benchmarks), and rounding to significant digits. */
#include "steward/core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_double_asc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void sw_sort_doubles(double *xs, size_t n) {
    if (n > 1) qsort(xs, n, sizeof *xs, cmp_double_asc);
}

double sw_median(double *xs, size_t n) {
    if (n == 0) return NAN;
    sw_sort_doubles(xs, n);
    return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

double sw_upper_quantile(double *xs, size_t n, double share) {
    if (n == 0) return NAN;
    sw_sort_doubles(xs, n);
    size_t allowed = share <= 0 ? 0 : (size_t)floor(share * (double)n);
    return allowed >= n ? xs[0] : xs[n - 1 - allowed];
}

double sw_round_sig(double x, int digits) {
    if (x == 0 || !isfinite(x) || digits < 1) return x;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*g", digits, x);
    return strtod(buf, NULL);
}
