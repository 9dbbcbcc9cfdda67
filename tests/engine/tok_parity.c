/* tok_parity.c - test helper: steward's tokenizer against ids from the npm oracles.
 *
 *   tok_parity MODEL.gguf NAME CORPUS.hex EXPECT.txt PARSE_SPECIAL INVALID.hex INVALID_FFFD.hex
 *
 * Prints TAP lines: ids equal to the oracle's for every text; decode(encode(x)) == x;
 * the streaming decoder equals the whole decode and only ever emits UTF-8; invalid UTF-8
 * round-trips through the byte tokens and streams as U+FFFD per maximal ill-formed part.
 *   tok_parity pretok gpt2|llama3|qwen2 CORPUS.hex PIECES.txt
 * compares the hand-written pre-tokenizer with the regex's split (piece end offsets).
 *   tok_parity bench MODEL.gguf CORPUS.hex   prints encode speed in MB/s.
 *   tok_parity encode MODEL.gguf TEXT         prints the ids of TEXT (parse_special on),
 *                                             or the loading error (exit 1). */
#include "engine/pretok.h"
#include "steward/gguf.h"
#include "steward/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lines {
    sw_buf *v;
    size_t n;
} lines;

static int read_lines(const char *path, lines *out) {
    sw_buf all = {0};
    sw_err e;
    if (sw_read_file(path, &all, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < all.len; i++) n += all.data[i] == '\n';
    out->v = calloc(n + 1, sizeof *out->v);
    out->n = 0;
    char *p = all.data, *end = all.data + all.len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        sw_buf_append(&out->v[out->n], "", 0);
        sw_buf_append(&out->v[out->n++], p, (size_t)(nl - p));
        p = nl + 1;
    }
    sw_buf_free(&all);
    return 0;
}

static void free_lines(lines *l) {
    for (size_t i = 0; i < l->n; i++) sw_buf_free(&l->v[i]);
    free(l->v);
}

/* Hex text to bytes, in place. */
static void unhex(sw_buf *b) {
    size_t n = b->len / 2;
    for (size_t i = 0; i < n; i++) {
        char h[3] = {b->data[2 * i], b->data[2 * i + 1], 0};
        b->data[i] = (char)strtoul(h, NULL, 16);
    }
    b->len = n;
    b->data[n] = 0;
}

/* a->len == n and the same bytes (empty buffers may have a NULL data pointer). */
static int same(const sw_buf *a, const char *p, size_t n) { return a->len == n && (n == 0 || memcmp(a->data, p, n) == 0); }

static void fmt_ids(sw_buf *dst, const int32_t *ids, size_t n) {
    sw_buf_append(dst, "", 0);
    for (size_t i = 0; i < n; i++) sw_buf_printf(dst, "%s%d", i ? " " : "", ids[i]);
}

static sw_tokenizer *load(const char *path) {
    sw_gguf *g;
    sw_tokenizer *t = NULL;
    sw_err e;
    if (sw_gguf_open(path, &g, &e) < 0 || sw_tokenizer_from_gguf(g, &t, &e) < 0) {
        printf("not ok - load %s: %s\n", path, e.msg);
        return NULL;
    }
    sw_gguf_close(g); /* the tokenizer keeps copies */
    return t;
}

/* Streams ids through sw_detok_stream_*; 0 when every chunk was UTF-8. */
static int stream(const sw_tokenizer *t, const int32_t *ids, size_t n, sw_buf *out) {
    sw_detok_stream s;
    sw_detok_stream_init(&s);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = out->len;
        if (sw_detok_stream_push(t, &s, ids[i], out) < 0) return -1;
        bad |= !sw_utf8_valid((const unsigned char *)out->data + before, out->len - before);
    }
    size_t before = out->len;
    sw_detok_stream_finish(&s, out);
    bad |= !sw_utf8_valid((const unsigned char *)out->data + before, out->len - before);
    return bad ? -1 : 0;
}

static int check(const sw_tokenizer *t, const char *name, lines *corpus, lines *expect, int parse_special) {
    size_t mism = 0, rt = 0, st = 0, shown = 0;
    if (expect->n != corpus->n) {
        printf("not ok - %s: %zu expected lines for %zu texts\n", name, expect->n, corpus->n);
        return 1;
    }
    for (size_t i = 0; i < corpus->n; i++) {
        sw_buf *x = &corpus->v[i];
        int32_t *ids = NULL;
        size_t n = 0;
        sw_err e;
        if (sw_tokenize(t, x->data, x->len, parse_special, &ids, &n, &e) < 0) {
            printf("not ok - %s: text %zu: %s\n", name, i, e.msg);
            return 1;
        }
        sw_buf got = {0};
        fmt_ids(&got, ids, n);
        if (strcmp(got.data, expect->v[i].data) != 0) {
            if (shown++ < 5)
                fprintf(stderr, "  %s text %zu %.80s\n    want %.300s\n    got  %.300s\n", name, i, x->data, expect->v[i].data, got.data);
            mism++;
        }
        sw_buf_free(&got);
        sw_buf d = {0}, s = {0}, plain = {0};
        if (sw_detokenize(t, ids, n, 1, &d, &e) < 0 || !same(&d, x->data, x->len)) {
            if (rt++ < 3) fprintf(stderr, "  %s text %zu: decode differs from the input\n", name, i);
        }
        sw_detokenize(t, ids, n, 0, &plain, &e);
        if (stream(t, ids, n, &s) < 0 || !same(&s, plain.data, plain.len)) {
            if (st++ < 3) fprintf(stderr, "  %s text %zu: streamed decode differs\n", name, i);
        }
        sw_buf_free(&d); sw_buf_free(&s); sw_buf_free(&plain);
        free(ids);
    }
    printf("%s - %s: ids equal the oracle's (%zu texts, %zu differ)\n", mism ? "not ok" : "ok", name, corpus->n, mism);
    printf("%s - %s: decode(encode(x)) == x (%zu differ)\n", rt ? "not ok" : "ok", name, rt);
    printf("%s - %s: streamed decode == decode, UTF-8 only (%zu differ)\n", st ? "not ok" : "ok", name, st);
    return mism || rt || st;
}

static int check_invalid(const sw_tokenizer *t, const char *name, lines *bad, lines *fffd) {
    size_t rt = 0, st = 0;
    for (size_t i = 0; i < bad->n; i++) {
        sw_buf *x = &bad->v[i];
        int32_t *ids = NULL;
        size_t n = 0;
        sw_err e;
        sw_buf d = {0}, s = {0};
        if (sw_tokenize(t, x->data, x->len, 0, &ids, &n, &e) < 0 || sw_detokenize(t, ids, n, 1, &d, &e) < 0 ||
            !same(&d, x->data, x->len))
            rt++;
        if (stream(t, ids, n, &s) < 0 || !same(&s, fffd->v[i].data, fffd->v[i].len)) {
            if (st++ < 3) fprintf(stderr, "  %s invalid %zu: stream gave %zu bytes, want %zu\n", name, i, s.len, fffd->v[i].len);
        }
        sw_buf_free(&d); sw_buf_free(&s);
        free(ids);
    }
    printf("%s - %s: invalid UTF-8 round-trips through byte tokens (%zu texts, %zu differ)\n", rt ? "not ok" : "ok", name, bad->n, rt);
    printf("%s - %s: invalid UTF-8 streams as U+FFFD per maximal part (%zu differ)\n", st ? "not ok" : "ok", name, st);
    return rt || st;
}

static int bench(const char *model, const char *corpus_path) {
    sw_tokenizer *t = load(model);
    lines c;
    if (!t || read_lines(corpus_path, &c) < 0) return 1;
    sw_buf all = {0};
    for (size_t i = 0; i < c.n; i++) {
        unhex(&c.v[i]);
        sw_buf_append(&all, c.v[i].data, c.v[i].len);
        sw_buf_append(&all, "\n", 1);
    }
    int32_t *ids = NULL;
    size_t n = 0, total = 0;
    uint64_t t0 = sw_now_ns();
    double c0 = sw_process_cpu_seconds();
    int reps = 0;
    while (sw_now_ns() - t0 < 2000000000ull) {
        n = 0;
        sw_tokenize(t, all.data, all.len, 0, &ids, &n, NULL);
        total += all.len;
        reps++;
    }
    double secs = (double)(sw_now_ns() - t0) / 1e9, cpu = sw_process_cpu_seconds() - c0;
    printf("# %s: encode %.2f MB/s of CPU time, %.2f MB/s wall (%zu bytes -> %zu tokens, %d passes)\n", model,
           total / cpu / 1e6, total / secs / 1e6, all.len, n, reps);
    free(ids);
    sw_buf_free(&all);
    free_lines(&c);
    sw_tokenizer_free(t);
    return 0;
}

static int pretok(const char *kind, const char *corpus_path, const char *expect_path) {
    sw_pretok_kind k = !strcmp(kind, "gpt2")     ? SW_PRETOK_GPT2
                       : !strcmp(kind, "qwen2")  ? SW_PRETOK_QWEN2
                       : !strcmp(kind, "smollm") ? SW_PRETOK_SMOLLM
                                                 : SW_PRETOK_LLAMA3;
    lines c, x;
    if (read_lines(corpus_path, &c) < 0 || read_lines(expect_path, &x) < 0) return 1;
    size_t bad = 0;
    for (size_t i = 0; i < c.n && i < x.n; i++) {
        unhex(&c.v[i]);
        size_t *ends = NULL, n = 0, cap = 0;
        sw_buf got = {0};
        sw_pretok_split(k, c.v[i].data, c.v[i].len, &ends, &n, &cap);
        sw_buf_append(&got, "", 0);
        for (size_t j = 0; j < n; j++) sw_buf_printf(&got, "%s%zu", j ? " " : "", ends[j]);
        if (strcmp(got.data, x.v[i].data) != 0 && bad++ < 5)
            fprintf(stderr, "  %s text %zu %.60s\n    want %.200s\n    got  %.200s\n", kind, i, c.v[i].data, x.v[i].data, got.data);
        sw_buf_free(&got);
        free(ends);
    }
    printf("%s - pre-tokenizer %s splits as its regex (%zu texts, %zu differ)\n", bad || c.n != x.n ? "not ok" : "ok", kind, c.n, bad);
    free_lines(&c);
    free_lines(&x);
    return bad != 0;
}

static int encode(const char *model, const char *text) {
    sw_gguf *g = NULL;
    sw_tokenizer *t = NULL;
    sw_err e;
    if (sw_gguf_open(model, &g, &e) < 0 || sw_tokenizer_from_gguf(g, &t, &e) < 0) {
        printf("error: %s\n", e.msg);
        sw_gguf_close(g);
        return 1;
    }
    sw_gguf_close(g);
    int32_t *ids = NULL;
    size_t n = 0;
    sw_buf out = {0};
    if (sw_tokenize(t, text, strlen(text), 1, &ids, &n, &e) < 0) return 1;
    fmt_ids(&out, ids, n);
    printf("%s\n", out.data);
    sw_buf_free(&out);
    free(ids);
    sw_tokenizer_free(t);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "encode") == 0) return encode(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "bench") == 0) return bench(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "pretok") == 0) return pretok(argv[2], argv[3], argv[4]);
    if (argc != 8) {
        fprintf(stderr, "usage: tok_parity MODEL.gguf NAME CORPUS.hex EXPECT.txt PARSE_SPECIAL INVALID.hex FFFD.hex\n");
        return 2;
    }
    sw_tokenizer *t = load(argv[1]);
    if (!t) return 1;
    lines c, x, bad, fffd;
    if (read_lines(argv[3], &c) < 0 || read_lines(argv[4], &x) < 0 || read_lines(argv[6], &bad) < 0 ||
        read_lines(argv[7], &fffd) < 0)
        return 1;
    for (size_t i = 0; i < c.n; i++) unhex(&c.v[i]);
    for (size_t i = 0; i < bad.n; i++) unhex(&bad.v[i]);
    for (size_t i = 0; i < fffd.n; i++) unhex(&fffd.v[i]);
    int rc = check(t, argv[2], &c, &x, atoi(argv[5]));
    rc |= check_invalid(t, argv[2], &bad, &fffd);
    free_lines(&c); free_lines(&x); free_lines(&bad); free_lines(&fffd);
    sw_tokenizer_free(t);
    return rc;
}
