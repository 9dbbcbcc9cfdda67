/* bench_guard.c - guard speed: a full input scan of a 1 KB prompt (median of many runs,
 * one core) and throughput on English text, each beside a baseline measured in the same
 * run over the same bytes (a memchr pass, i.e. reading the bytes once).
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other processes
 * on a shared machine do not inflate them; wall-clock medians are printed beside. */
#include "steward/guard.h"
#include "steward/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *PARA =
    "The committee met on Tuesday to review the quarterly figures. Revenue grew by four percent, "
    "driven mostly by the new subscription plans, while costs stayed flat. Several members asked "
    "whether the marketing budget should be moved to the spring campaign, and the chair agreed to "
    "circulate a proposal before the next meeting. Please summarise the discussion above in three "
    "short bullet points, keep the tone neutral, and list any open questions at the end. ";

/* bench_server.sh's moderation input: 1 KB of words drawn from this list (a fixed
 * generator here, Python's random there: the same mix, not the same bytes) */
static const char *MOD_WORDS[] = {"the", "a", "report", "about", "weather", "travel", "plans", "for", "the",
                                  "week", "please", "summarise", "it", "briefly", "and", "list", "what",
                                  "to", "pack"};

static char *make_words(size_t n) {
    char *s = malloc(n + 1);
    uint32_t x = 7;
    size_t k = 0;
    while (k < n) {
        x = x * 1103515245u + 12345u;
        const char *w = MOD_WORDS[(x >> 16) % (sizeof MOD_WORDS / sizeof MOD_WORDS[0])];
        for (size_t i = 0; w[i] && k < n; i++) s[k++] = w[i];
        if (k < n) s[k++] = ' ';
    }
    s[n] = 0;
    return s;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static volatile size_t sink;

static double baseline_ns(const char *s, size_t n) {
    uint64_t t = cpu_ns();
    size_t c = 0;
    const char *p = s, *e = s + n;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) { c++; p++; }
    c += strlen(s);
    sink = c;
    return (double)(cpu_ns() - t);
}

static char *make_text(size_t n) {
    char *s = malloc(n + 1);
    size_t pl = strlen(PARA), k = 0;
    while (k < n) {
        size_t c = n - k < pl ? n - k : pl;
        memcpy(s + k, PARA, c);
        k += c;
    }
    s[n] = 0;
    return s;
}

int main(void) {
    sw_err err;
    if (sw_crypto_init(&err) < 0) return 1;
    static const uint8_t key[32] = {1};
    sw_guard_opts o = {.data_dir = getenv("STEWARD_DATA") ? NULL : "data", .key = key};
    uint64_t t0 = sw_now_ns();
    sw_guard *g = sw_guard_open(&o, &err);
    if (!g) {
        fprintf(stderr, "bench_guard: %s\n", err.msg);
        return 1;
    }
    printf("guard load (rules + automaton + policy): %.1f ms\n", (sw_now_ns() - t0) / 1e6);

    /* 1 KB prompt: median of 2000 full input scans */
    char *p = make_text(1024);
    enum { RUNS = 2000 };
    static double t[RUNS], b[RUNS], wall[RUNS];
    for (int i = 0; i < RUNS; i++) {
        sw_guard_verdict v;
        uint64_t s = cpu_ns(), w = sw_now_ns();
        if (sw_guard_scan(g, SW_GUARD_INPUT, p, 1024, &v, &err) < 0) return 1;
        t[i] = (double)(cpu_ns() - s);
        wall[i] = (double)(sw_now_ns() - w);
        sw_guard_verdict_free(&v);
        b[i] = baseline_ns(p, 1024);
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    qsort(b, RUNS, sizeof b[0], cmp_double);
    qsort(wall, RUNS, sizeof wall[0], cmp_double);
    printf("1 KB prompt, full input scan (%s): median %.1f us CPU (p90 %.1f us; wall median %.1f us); "
           "baseline memchr+strlen %.3f us; ratio %.0fx\n",
           sw_guard_has_classifier(g) ? "rules, recognisers, decoders, classifier" : "no classifier",
           t[RUNS / 2] / 1e3, t[RUNS * 9 / 10] / 1e3, wall[RUNS / 2] / 1e3, b[RUNS / 2] / 1e3, t[RUNS / 2] / b[RUNS / 2]);
    /* bench_server.sh's 1 KB moderation input: common words that begin many keys of the
     * keyword rules and the harm lexicon ("list", "what", "please", "we" in "weather") */
    char *mw = make_words(1024);
    for (int i = 0; i < RUNS; i++) {
        sw_guard_verdict v;
        uint64_t s = cpu_ns();
        if (sw_guard_scan(g, SW_GUARD_INPUT, mw, 1024, &v, &err) < 0) return 1;
        t[i] = (double)(cpu_ns() - s);
        sw_guard_verdict_free(&v);
    }
    free(mw);
    qsort(t, RUNS, sizeof t[0], cmp_double);
    printf("1 KB moderation input (bench_server.sh's word mix), full input scan: median %.1f us CPU (p90 %.1f us)\n",
           t[RUNS / 2] / 1e3, t[RUNS * 9 / 10] / 1e3);
    /* the same 1 KB scanned as a document (document mode's sentence detector added) */
    sw_guard_scan_opts dso = {.dir = SW_GUARD_INPUT, .source = SW_TEXT_DOCUMENT};
    for (int i = 0; i < RUNS; i++) {
        sw_guard_verdict v;
        uint64_t s = cpu_ns();
        if (sw_guard_scan_opts_scan(g, &dso, p, 1024, &v, &err) < 0) return 1;
        t[i] = (double)(cpu_ns() - s);
        sw_guard_verdict_free(&v);
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    printf("1 KB document, full input scan with --source document: median %.1f us CPU (p90 %.1f us)\n",
           t[RUNS / 2] / 1e3, t[RUNS * 9 / 10] / 1e3);
    free(p);

    /* throughput: 4 MB of English text in one scan, best of 3; with and without the
     * classifier (rules, recognisers and decoders alone) */
    size_t n = 4u << 20;
    char *big = make_text(n);
    sw_guard_opts o2 = o;
    o2.model_path = "";
    sw_guard *g2 = sw_guard_open(&o2, &err);
    if (!g2) return 1;
    for (int k = 0; k < 2; k++) {
        const sw_guard *gg = k == 0 ? g : g2;
        double best = 1e30, bbest = 1e30;
        for (int r = 0; r < 3; r++) {
            sw_guard_verdict v;
            uint64_t s = cpu_ns();
            if (sw_guard_scan(gg, SW_GUARD_INPUT, big, n, &v, &err) < 0) return 1;
            double d = (double)(cpu_ns() - s);
            sw_guard_verdict_free(&v);
            if (d < best) best = d;
            double bd = baseline_ns(big, n);
            if (bd < bbest) bbest = bd;
        }
        printf("English text, %zu MB in one scan%s: %.1f MB/s per core (CPU time); baseline memchr+strlen %.0f MB/s; "
               "ratio %.0fx\n",
               n >> 20, sw_guard_has_classifier(gg) ? "" : " without the classifier", n / (best / 1e9) / 1e6,
               n / (bbest / 1e9) / 1e6, best / bbest);
    }
    free(big);
    sw_guard_free(g2);

    /* the perplexity signals with the shipped default model (whole text, first and last
     * 20 words): what they add to an input scan; process CPU time counts every thread */
    sw_model *m = NULL;
    sw_ctx *c = NULL;
    if (sw_model_load("models/default.gguf", &m, &err) == 0 && (c = sw_ctx_new(m, sw_model_hparams(m)->n_ctx_train, &err))) {
        static const char *names[] = {"1 KB prompt", "100-word prompt"};
        for (int k = 0; k < 2; k++) {
            char *q = make_text(1024);
            size_t ql = 1024;
            if (k == 1) { /* the first 100 words */
                int w = 0;
                for (ql = 0; ql < 1024 && w < 100; ql++) w += q[ql] == ' ';
            }
            enum { PR = 40 };
            double pc[PR], pw[PR];
            for (int i = 0; i < PR; i++) {
                struct timespec a, b;
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
                uint64_t w0 = sw_now_ns();
                sw_guard_ppl_signals sg;
                if (sw_guard_ppl_score(c, sw_model_tokenizer(m), q, ql, &sg, &err) < 0) return 1;
                pw[i] = (double)(sw_now_ns() - w0);
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
                pc[i] = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
            }
            qsort(pc, PR, sizeof pc[0], cmp_double);
            qsort(pw, PR, sizeof pw[0], cmp_double);
            printf("perplexity signals, %s (%zu bytes), default model: median %.2f ms CPU (all threads), %.2f ms wall\n",
                   names[k], ql, pc[PR / 2] / 1e6, pw[PR / 2] / 1e6);
            free(q);
        }
    } else
        printf("perplexity signals: skipped (%s)\n", err.msg);
    sw_ctx_free(c);
    sw_model_free(m);
    sw_guard_free(g);
    return 0;
}
