/* fuzz_scan.c - libFuzzer target: the whole guard scan (normalisation, recognisers,
 * rules, decoders, document mode, policy, redaction) on arbitrary bytes; every finding's span must lie
 * inside the input, and the streaming guard must agree on the bytes it was given. */
#include "steward/guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sw_guard *g;

static void open_guard(void) {
    static const uint8_t key[32] = {7};
    sw_err err;
    if (sw_crypto_init(&err) < 0) abort();
    sw_guard_opts o = {.data_dir = getenv("STEWARD_DATA") ? NULL : "data", .key = key};
    g = sw_guard_open(&o, &err);
    if (!g) {
        fprintf(stderr, "fuzz_scan: %s (run from the repository root or set STEWARD_DATA)\n", err.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g) open_guard();
    sw_guard_verdict v;
    sw_err err;
    /* the low bits pick the direction and the source (document mode's sentence detector) */
    sw_guard_scan_opts so = {.dir = size & 1 ? SW_GUARD_OUTPUT : SW_GUARD_INPUT,
                             .source = size & 2 ? SW_TEXT_DOCUMENT : SW_TEXT_USER};
    if (sw_guard_scan_opts_scan(g, &so, (const char *)data, size, &v, &err) < 0) abort();
    for (size_t i = 0; i < v.n_findings; i++)
        if (v.findings[i].start >= v.findings[i].end || v.findings[i].end > size) abort();
    if (!v.redacted) abort();
    sw_buf out = {0};
    if (sw_guard_restore(g, v.redacted, v.redacted_len, &out, &err) < 0) abort();
    sw_buf_free(&out);
    sw_guard_verdict_free(&v);
    /* the same bytes streamed in three chunks */
    sw_guard_stream *s = sw_guard_stream_new(g, &err);
    int stop = 0;
    size_t a = size / 3, b = 2 * size / 3;
    if (sw_guard_stream_push(s, (const char *)data, a, &stop, &err) < 0 ||
        sw_guard_stream_push(s, (const char *)data + a, b - a, &stop, &err) < 0 ||
        sw_guard_stream_push(s, (const char *)data + b, size - b, &stop, &err) < 0 ||
        sw_guard_stream_finish(s, &stop, &err) < 0)
        abort();
    const sw_guard_verdict *sv = sw_guard_stream_verdict(s);
    for (size_t i = 0; i < sv->n_findings; i++)
        if (sv->findings[i].start >= sv->findings[i].end || sv->findings[i].end > size) abort();
    sw_guard_stream_free(s);
    return 0;
}
