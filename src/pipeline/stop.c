/* stop.c - stop sequences across token boundaries (see stop.h). */
#include "pipeline/stop.h"

#include <string.h>

void sw_stopper_init(sw_stopper *s, const char *const *stops, int n) {
    memset(s, 0, sizeof *s);
    s->stops = stops;
    s->n_stops = n;
}

void sw_stopper_free(sw_stopper *s) { sw_buf_free(&s->pending); }

/* Length of the longest suffix of p[0..n) that is a proper prefix of stop. */
static size_t partial_tail(const char *p, size_t n, const char *stop) {
    size_t sl = strlen(stop);
    for (size_t k = sl > n + 1 ? n : sl - 1; k > 0; k--)
        if (!memcmp(p + n - k, stop, k)) return k;
    return 0;
}

/* Removes the first n bytes of the pending text. */
static void drop_front(sw_buf *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = 0;
}

int sw_stopper_push(sw_stopper *s, const char *text, size_t len, sw_buf *out) {
    if (s->hit) return 0;
    if (sw_buf_append(&s->pending, text, len) < 0) return -1;
    const char *p = s->pending.data;
    size_t n = s->pending.len, cut = n, keep = 0;
    for (int i = 0; i < s->n_stops; i++) { /* the earliest stop sequence wins */
        if (!s->stops[i][0]) continue;
        const char *at = memmem(p, n, s->stops[i], strlen(s->stops[i]));
        if (at && (size_t)(at - p) < cut) {
            cut = (size_t)(at - p);
            s->hit = 1;
        }
    }
    if (s->hit) {
        int rc = sw_buf_append(out, p, cut);
        sw_buf_reset(&s->pending);
        return rc;
    }
    for (int i = 0; i < s->n_stops; i++) {
        if (!s->stops[i][0]) continue;
        size_t k = partial_tail(p, n, s->stops[i]);
        if (k > keep) keep = k;
    }
    if (n == keep) return 0;
    if (sw_buf_append(out, p, n - keep) < 0) return -1;
    drop_front(&s->pending, n - keep);
    return 0;
}

int sw_stopper_finish(sw_stopper *s, sw_buf *out) {
    if (s->hit || !s->pending.len) return 0;
    int rc = sw_buf_append(out, s->pending.data, s->pending.len);
    sw_buf_reset(&s->pending);
    return rc;
}
