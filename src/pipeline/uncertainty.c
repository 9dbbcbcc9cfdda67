/* uncertainty.c - uncertain spans: a token is uncertain when the model gave it a low
 * probability or its distribution was flat (high entropy); runs of them become spans
 * that a reader can see. */
#include "uncertainty.h"

#include <math.h>
#include <stdlib.h>

void sw_unc_measure(const float *logits, int n, sw_unc_stats *out) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (logits[i] > mx) mx = logits[i];
    double sum = 0, dot = 0; /* sum e^(l-mx), sum e^(l-mx) (l-mx) */
    for (int i = 0; i < n; i++) {
        if (!isfinite(logits[i])) continue;
        double d = (double)logits[i] - mx, e = exp(d);
        sum += e;
        dot += e * d;
    }
    if (!isfinite(mx) || sum <= 0) { /* no finite logit: nothing to say */
        out->lse = 0;
        out->entropy = 0;
        return;
    }
    out->lse = mx + log(sum);
    out->entropy = log(sum) - dot / sum; /* H = -sum p log p, p = e^(l-lse) */
}

int sw_unc_note(sw_gen_result *r, int *cap, int i, size_t start, size_t end, float p, float h,
                float p_below, float entropy_above) {
    if (!(p < p_below || h > entropy_above)) return 0;
    sw_gen_span *last = r->n_uncertain ? &r->uncertain[r->n_uncertain - 1] : NULL;
    if (last && last->token_end == i) {
        last->token_end = i + 1;
        last->end = end;
        if (p < last->min_p) last->min_p = p;
        if (h > last->max_entropy) last->max_entropy = h;
        return 0;
    }
    if (r->n_uncertain == *cap) {
        int c = *cap ? 2 * *cap : 16;
        sw_gen_span *s = realloc(r->uncertain, (size_t)c * sizeof *s);
        if (!s) return -1;
        r->uncertain = s;
        *cap = c;
    }
    r->uncertain[r->n_uncertain++] = (sw_gen_span){i, i + 1, start, end, p, h};
    return 0;
}

int sw_unc_mark(const sw_gen_span *spans, int n, const char *text, size_t len, sw_buf *out) {
    size_t at = 0;
    for (int k = 0; k < n; k++) {
        if (spans[k].start < at || spans[k].end > len || spans[k].start > spans[k].end) return -1;
        if (sw_buf_append(out, text + at, spans[k].start - at) || sw_buf_puts(out, SW_UNCERTAIN_OPEN) ||
            sw_buf_append(out, text + spans[k].start, spans[k].end - spans[k].start) ||
            sw_buf_puts(out, SW_UNCERTAIN_CLOSE))
            return -1;
        at = spans[k].end;
    }
    return sw_buf_append(out, text + at, len - at) ? -1 : 0;
}
