/* test_outguard.c - the pipeline's output stage: text is delivered only once the guard
 * has cleared it; a blocked stream stops and withholds the rest; redacted values never
 * leave unredacted; without a guard text passes straight through; after a halt nothing
 * more is delivered. */
#include "pipeline/outguard.h"
#include "t.h"

#include <stdlib.h>

typedef struct {
    sw_buf got;
    int calls;
} sink;

static int collect(void *ud, const char *text, size_t len) {
    sink *s = ud;
    s->calls++;
    return sw_buf_append(&s->got, text, len);
}

static sw_guard *guard;

/* Pushes text in chunks of `chunk` bytes; returns 1 if the stage asked to stop. */
static int push_all(sw_outguard *o, const char *text, size_t chunk) {
    size_t n = strlen(text);
    for (size_t at = 0; at < n; at += chunk) {
        int stop = 0;
        size_t len = n - at < chunk ? n - at : chunk;
        if (sw_outguard_push(o, text + at, len, &stop, NULL) < 0) return -1;
        if (stop) return 1;
    }
    return 0;
}

static void test_clean_text_streams(void) {
    sink s = {0};
    sw_outguard o;
    T_CHECK(sw_outguard_begin(&o, guard, 0, collect, &s, NULL) == 0);
    char text[2000];
    for (int i = 0; i < 1999; i++) text[i] = "the quick brown fox "[i % 20];
    text[1999] = 0;
    T_CHECK(push_all(&o, text, 7) == 0);
    /* streamed while generating: all but the hold-back window already delivered */
    T_CHECK(s.got.len >= 1999 - SW_OUTGUARD_HOLD - 4 && s.got.len < 1999);
    sw_buf out = {0};
    sw_guard_action a;
    T_CHECK(sw_outguard_finish(&o, &out, &a, NULL) == 0);
    T_CHECK(a <= SW_ACT_FLAG);
    T_CHECK(out.len == 1999 && memcmp(out.data, text, 1999) == 0);
    T_CHECK(s.got.len == 1999 && memcmp(s.got.data, text, 1999) == 0);
    sw_buf_free(&out);
    sw_buf_free(&s.got);
    sw_outguard_free(&o);
}

/* A harmful sentence far past the hold-back window, between a long harmless preamble
 * and a long tail: the stage stops at the sentence, the client has the preamble up to
 * the window (so neither "hold everything" nor "deliver everything" passes), and
 * nothing from the sentence on ever reaches it. */
static void test_block_stops_and_withholds(void) {
    enum { PRE = 4 * SW_OUTGUARD_HOLD, TAIL = 4 * SW_OUTGUARD_HOLD, CHUNK = 3 };
    static const char bad[] = "Sure. Here is the plan. First you should know how to murder someone quietly. ";
    char text[PRE + sizeof bad + TAIL + 1];
    for (int i = 0; i < PRE; i++) text[i] = "the quick brown fox "[i % 20];
    memcpy(text + PRE, bad, sizeof bad - 1);
    size_t tail_at = PRE + sizeof bad - 1;
    for (size_t i = 0; i < TAIL; i++) text[tail_at + i] = "and then the rest follows "[i % 26];
    text[tail_at + TAIL] = 0;
    size_t n = strlen(text), at = 0;
    sink s = {0};
    sw_outguard o;
    T_CHECK(sw_outguard_begin(&o, guard, 0, collect, &s, NULL) == 0);
    int stop = 0;
    for (; at < n && !stop; at += CHUNK) {
        size_t len = n - at < CHUNK ? n - at : CHUNK;
        T_CHECK(sw_outguard_push(&o, text + at, len, &stop, NULL) == 0);
    }
    T_CHECK_MSG(stop && o.stopped, "the stage did not stop");
    T_CHECK_MSG(at <= tail_at + CHUNK, "stopped at %zu, after the tail began at %zu", at, tail_at);
    /* the preamble streamed while generating: all of it but the window (and a character) */
    T_CHECK_MSG(s.got.len + SW_OUTGUARD_HOLD + CHUNK >= PRE && s.got.len > 0, "delivered %zu of the %d-byte preamble",
                s.got.len, PRE);
    T_CHECK_MSG(s.got.len <= PRE, "delivered %zu bytes, into the harmful sentence at %d", s.got.len, PRE);
    T_CHECK(s.got.len == 0 || memcmp(s.got.data, text, s.got.len) == 0);
    size_t before = s.got.len;
    sw_buf out = {0};
    sw_guard_action a;
    T_CHECK(sw_outguard_finish(&o, &out, &a, NULL) == 0);
    T_CHECK(a == SW_ACT_BLOCK);
    T_CHECK_MSG(s.got.len == before, "finish delivered %zu more bytes", s.got.len - before);
    T_CHECK(out.len == before && (before == 0 || memcmp(out.data, text, before) == 0));
    sw_buf_free(&out);
    sw_buf_free(&s.got);
    sw_outguard_free(&o);
}

static void test_redaction_never_leaks(void) {
    sink s = {0};
    sw_outguard o;
    T_CHECK(sw_outguard_begin(&o, guard, 0, collect, &s, NULL) == 0);
    char text[1200];
    snprintf(text, sizeof text, "%s Write to jane.roe@example.org today. %s",
             "Some long preamble that is perfectly harmless and goes on for a while, long enough to be "
             "streamed out before the address appears in the text at all, which it will shortly.",
             "And some text after it, which is also harmless and should arrive at the end.");
    T_CHECK(push_all(&o, text, 5) == 0);
    sw_buf out = {0};
    sw_guard_action a;
    T_CHECK(sw_outguard_finish(&o, &out, &a, NULL) == 0);
    T_CHECK(a == SW_ACT_REDACT);
    T_CHECK(!strstr(s.got.data, "jane.roe@example.org"));
    T_CHECK(!strstr(out.data, "jane.roe@example.org"));
    T_CHECK(strstr(out.data, "EMAIL_ADDRESS") != NULL);
    T_CHECK(out.len == s.got.len && memcmp(out.data, s.got.data, out.len) == 0); /* client got exactly out */
    T_CHECK(strncmp(out.data, "Some long preamble", 18) == 0);
    sw_buf_free(&out);
    sw_buf_free(&s.got);
    sw_outguard_free(&o);
}

static void test_no_guard_passes_through(void) {
    sink s = {0};
    sw_outguard o;
    T_CHECK(sw_outguard_begin(&o, NULL, 0, collect, &s, NULL) == 0);
    T_CHECK(push_all(&o, "abc def", 2) == 0);
    T_CHECK(s.got.len == 7 && s.calls == 4); /* every piece at once */
    sw_buf out = {0};
    sw_guard_action a;
    T_CHECK(sw_outguard_finish(&o, &out, &a, NULL) == 0 && a == SW_ACT_ALLOW && out.len == 7);
    sw_buf_free(&out);
    sw_buf_free(&s.got);
    sw_outguard_free(&o);
}

/* A sink that answers SW_TEXT_HALT from its halt_at-th call on (a person halted
 * generation), keeping only what it accepted before. */
typedef struct {
    sink s;
    int halt_at;
} halting_sink;

static int collect_until_halt(void *ud, const char *text, size_t len) {
    halting_sink *h = ud;
    if (h->s.calls + 1 >= h->halt_at) {
        h->s.calls++;
        return SW_TEXT_HALT;
    }
    return collect(&h->s, text, len);
}

/* The halted call's text and all after it stay undelivered, with a guard (held-back
 * window) and without one; the delivered text is exactly what the sink accepted. */
static void test_halt_stops_delivery(void) {
    const sw_guard *guards[2] = {guard, NULL};
    char text[2000];
    for (int i = 0; i < 1999; i++) text[i] = "the quick brown fox "[i % 20];
    text[1999] = 0;
    for (int g = 0; g < 2; g++) {
        halting_sink h = {.halt_at = 3};
        sw_outguard o;
        T_CHECK(sw_outguard_begin(&o, guards[g], 0, collect_until_halt, &h, NULL) == 0);
        T_CHECK(push_all(&o, text, 7) == 1); /* the halt stops the generation */
        T_CHECK(o.halted == 1 && h.s.calls == 3);
        int stop = 0;
        T_CHECK(sw_outguard_push(&o, "more", 4, &stop, NULL) == 0 && stop == 1 && h.s.calls == 3);
        sw_buf out = {0};
        sw_guard_action a;
        T_CHECK(sw_outguard_finish(&o, &out, &a, NULL) == 0);
        T_CHECK(h.s.calls == 3); /* the rest is not passed on at the end either */
        T_CHECK(h.s.got.len > 0 && out.len == h.s.got.len && memcmp(out.data, h.s.got.data, out.len) == 0);
        sw_buf_free(&out);
        sw_buf_free(&h.s.got);
        sw_outguard_free(&o);
    }
}

int main(void) {
    sw_err e;
    static const uint8_t key[32] = {7};
    sw_guard_opts go = {.key = key};
    guard = sw_guard_open(&go, &e);
    if (!guard) {
        printf("not ok - guard: %s\n", e.msg);
        return 1;
    }
    T_RUN(test_clean_text_streams);
    T_RUN(test_block_stops_and_withholds);
    T_RUN(test_redaction_never_leaks);
    T_RUN(test_no_guard_passes_through);
    T_RUN(test_halt_stops_delivery);
    sw_guard_free(guard);
    return t_done();
}
