/* buf.c - a growable, always NUL-terminated byte buffer and a line iterator over one. */
#include "steward/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(sw_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int sw_buf_append(sw_buf *b, const void *p, size_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int sw_buf_puts(sw_buf *b, const char *s) { return sw_buf_append(b, s, strlen(s)); }

int sw_buf_printf(sw_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void sw_buf_reset(sw_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void sw_buf_free(sw_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int sw_next_line(const char *data, size_t len, size_t *pos, int *line_no, const char **line, size_t *line_len) {
    if (*pos >= len) return 0;
    const char *l = data + *pos;
    const char *nl = memchr(l, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - l) : len - *pos;
    *pos += n + 1;
    (*line_no)++;
    *line = l;
    *line_len = n;
    return 1;
}
