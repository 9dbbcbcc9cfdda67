/* uncertainty.h - where the model was unsure: per-token probability and entropy of the
 * model's own distribution, runs of uncertain tokens as spans, marks in the text. Not
 * public. */
#ifndef STEWARD_UNCERTAINTY_H
#define STEWARD_UNCERTAINTY_H

#include "steward/pipeline.h"

/* The model's own view of one position, before any sampling rule. */
typedef struct sw_unc_stats {
    double lse;     /* log of the sum of exp(logits): log-softmax normaliser */
    double entropy; /* in nats */
} sw_unc_stats;

/* Computes both from n raw logits (temperature 1). Cannot fail. */
void sw_unc_measure(const float *logits, int n, sw_unc_stats *out);

/* Notes token i (bytes [start, end) of the generated text) with probability p and
 * entropy h: an uncertain token opens a span or extends the one ending at token i - 1.
 * -1 when out of memory. */
int sw_unc_note(sw_gen_result *r, int *cap, int i, size_t start, size_t end, float p, float h,
                float p_below, float entropy_above);

/* Writes text into out with each span (byte offsets, valid and in order) between
 * SW_UNCERTAIN_OPEN and SW_UNCERTAIN_CLOSE. -1 when out of memory. */
int sw_unc_mark(const sw_gen_span *spans, int n, const char *text, size_t len, sw_buf *out);

#endif
