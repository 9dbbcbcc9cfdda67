/* bench_data.c - the data pipeline's figures: throughput per core through all stages on
 * English text (thread CPU time), near-duplicate recall at Jaccard >= 0.8 and merges at
 * Jaccard <= 0.5 (pairs with exactly computed Jaccard), and language identification on
 * held-out English and Chinese paragraphs of 100+ characters (../shared/data). */
#include "data/data_int.h"
#include "steward/guard.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define DOC_LINES 60         /* a Shakespeare "document" */
#define PAIRS 1000           /* near-duplicate pairs per similarity band */
#define PAIR_WORDS 300
#define PASSES 3             /* throughput: best of */

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Splits text into documents of DOC_LINES lines (pointers into text, lengths in lens). */
static size_t split_docs(char *text, size_t len, char **docs, size_t *lens, size_t max) {
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        size_t s = i;
        for (int l = 0; l < DOC_LINES && i < len; l++) {
            char *nl = memchr(text + i, '\n', len - i);
            i = nl ? (size_t)(nl - text) + 1 : len;
        }
        docs[n] = text + s, lens[n++] = i - s;
    }
    return n;
}

static void stage_split(const sw_data_stage_ctx *c, char **docs, size_t *lens, size_t n, double mb);
static void cores(const sw_data_stage_ctx *c, char **docs, size_t *lens, size_t n, double mb);
static void data_scan_equal(const sw_guard *g, char **docs, size_t *lens, size_t n);

/* Thread CPU seconds of all the stages over the documents, as pass 1 and pass 2 run them
 * on one thread (best of PASSES); *kept receives the documents kept. */
static double all_stages(const sw_data_stage_ctx *c, char **docs, size_t *lens, size_t n, size_t *kept) {
    sw_err err;
    double best = 1e30;
    for (int pass = 0; pass < PASSES; pass++) {
        double t0 = cpu_s();
        sw_lsh *lsh = sw_lsh_new();
        *kept = 0;
        for (size_t i = 0; i < n; i++) {
            sw_data_doc d = {.text = docs[i], .len = lens[i], .source = "s", .license = "MIT", .consent_valid = 1};
            json_t *rec = json_pack("{s:[]}", "decisions");
            sw_data_stage_run(c, &d, rec, &err);
            const char *sig = json_string_value(json_object_get(rec, "sig"));
            if (sig) { /* pass 2's near-duplicate index on the kept documents */
                uint32_t s[SW_MINHASH_K];
                for (int k = 0; k < SW_MINHASH_K; k++) {
                    char w[9] = {0};
                    memcpy(w, sig + 8 * k, 8);
                    s[k] = (uint32_t)strtoul(w, NULL, 16);
                }
                int oom;
                sw_lsh_query_insert(lsh, s, (int64_t)i, c->policy->near_dup_jaccard, NULL, &oom);
                (*kept)++;
            }
            json_decref(rec);
        }
        sw_lsh_free(lsh);
        double total = cpu_s() - t0;
        if (total < best) best = total;
    }
    return best;
}

static int throughput(const char *data_dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/corpus/tinyshakespeare/train.txt", data_dir);
    sw_buf text = {0};
    sw_err err;
    if (sw_read_file(path, &text, &err)) return fprintf(stderr, "%s\n", err.msg), -1;
    static char *docs[4096];
    static size_t lens[4096];
    size_t n = split_docs(text.data, text.len, docs, lens, 4096);
    sw_data_policy pol;
    sw_data_policy_default(&pol);
    sw_data_policy_add_licences(&pol, "MIT", &err);
    sw_guard_opts go = {.data_dir = data_dir};
    sw_data_stage_ctx c = {&pol, sw_guard_open(&go, &err), sw_langid_open_default(data_dir, &err), NULL, NULL};
    snprintf(path, sizeof path, "%s/dataset/identity-terms.tsv", data_dir);
    c.identity = sw_identity_load(path, &err);
    if (!c.guard || !c.langid || !c.identity) return fprintf(stderr, "%s\n", err.msg), -1;
    size_t kept = 0, kept_s = 0;
    double best = all_stages(&c, docs, lens, n, &kept);
    /* harm-scan sample in a source far larger than its sample: no document of it is in the
     * sample (a one-document sketch holding hash 0), so each gets the PII-only scan */
    sw_data_sample *none = sw_data_sample_new(1);
    sw_data_sample_add(none, "s", 0);
    sw_data_stage_ctx cs = c;
    cs.sample = none;
    double best_s = all_stages(&cs, docs, lens, n, &kept_s);
    double mb = (double)text.len / 1e6;
    printf("throughput (tinyshakespeare, %zu documents of %d lines, %.2f MB, %zu kept; thread CPU time, best of %d):\n",
           n, DOC_LINES, mb, kept, PASSES);
    printf("  all stages (licence, guard harm+PII, language, Gopher+C4, MinHash, identity terms, records, LSH): "
           "%.1f MB/s per core (%.1f ns/byte)\n",
           mb / best, best / mb * 1e3);
    printf("  the same, harm-scan sample, documents outside the sample (PII-only scan; %zu kept): "
           "%.1f MB/s per core (%.1f ns/byte)\n",
           kept_s, mb / best_s, best_s / mb * 1e3);
    cores(&c, docs, lens, n, mb);
    printf("  harm-scan sample, documents outside the sample:\n");
    cores(&cs, docs, lens, n, mb);
    sw_data_sample_free(none);
    stage_split(&c, docs, lens, n, mb);
    data_scan_equal(c.guard, docs, lens, n);
    sw_guard_free((sw_guard *)c.guard);
    sw_langid_free((sw_langid *)c.langid);
    sw_identity_free((sw_identity *)c.identity);
    sw_buf_free(&text);
    return 0;
}

/* The per-document stages on THREADS threads as `data build` runs them (OpenMP, dynamic
 * schedule): MB per CPU second of the process (per core) and per wall second, best of
 * PASSES, for one thread and for both cores. */
#define CORES_MAX 2
static void cores(const sw_data_stage_ctx *c, char **docs, size_t *lens, size_t n, double mb) {
    for (int threads = 1; threads <= CORES_MAX; threads++) {
        double best_cpu = 1e30, best_wall = 1e30;
        for (int pass = 0; pass < PASSES; pass++) {
            double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
            for (size_t i = 0; i < n; i++) {
                sw_err err;
                sw_data_doc d = {.text = docs[i], .len = lens[i], .source = "s", .license = "MIT", .consent_valid = 1};
                json_t *rec = json_pack("{s:[]}", "decisions");
                sw_data_stage_run(c, &d, rec, &err);
                json_decref(rec);
            }
            double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = clock_s(CLOCK_MONOTONIC) - w0;
            if (cpu < best_cpu) best_cpu = cpu;
            if (wall < best_wall) best_wall = wall;
        }
        printf("  per-document stages on %d thread%s: %.1f MB/s per core (process CPU time), %.1f MB/s wall\n", threads,
               threads > 1 ? "s" : "", mb / best_cpu, mb / best_wall);
    }
}

/* Thread CPU seconds of each per-document stage alone over the documents (best of
 * PASSES), so that the throughput's split is measured, not guessed. */
enum { ST_SHA, ST_GUARD, ST_GUARD_DATA, ST_GUARD_PII, ST_LANG, ST_GOPHER, ST_C4, ST_EXACT, ST_MINHASH, ST_IDENTITY, ST_COUNT };
static const char *const stage_names[ST_COUNT] = {"sha256", "guard scan (full, sw_guard_scan)", "guard scan (data, sw_guard_scan_data)",
                                                  "guard scan (PII only, sw_guard_scan_pii)", "language", "Gopher", "C4",
                                                  "exact key", "MinHash", "identity terms"};

static double stage_time(const sw_data_stage_ctx *c, int st, char **docs, size_t *lens, size_t n) {
    sw_err err;
    sw_buf out = {0};
    uint64_t *counts = calloc((size_t)sw_identity_terms(c->identity), sizeof *counts);
    double t0 = cpu_s();
    for (size_t i = 0; i < n; i++) {
        char sha[2 * SW_SHA256_BYTES + 1];
        sw_guard_verdict v = {0};
        sw_quality_result q;
        uint32_t sig[SW_MINHASH_K];
        volatile uint64_t key;
        switch (st) {
        case ST_SHA: sw_sha256_hex(docs[i], lens[i], sha); break;
        case ST_GUARD: sw_guard_scan(c->guard, SW_GUARD_OUTPUT, docs[i], lens[i], &v, &err), sw_guard_verdict_free(&v); break;
        case ST_GUARD_DATA:
            sw_guard_scan_data(c->guard, SW_GUARD_OUTPUT, docs[i], lens[i], &v, &err), sw_guard_verdict_free(&v);
            break;
        case ST_GUARD_PII:
            sw_guard_scan_pii(c->guard, SW_GUARD_OUTPUT, docs[i], lens[i], &v, &err), sw_guard_verdict_free(&v);
            break;
        case ST_LANG: sw_langid_classify(c->langid, docs[i], lens[i], NULL); break;
        case ST_GOPHER: sw_quality_check(docs[i], lens[i], "en", 1, 0, &q, &out, &err); break;
        case ST_C4: sw_quality_check(docs[i], lens[i], "en", 0, 1, &q, &out, &err); break;
        case ST_EXACT: key = sw_data_exact_key(docs[i], lens[i]), (void)key; break;
        case ST_MINHASH: sw_minhash(docs[i], lens[i], sig); break;
        default: sw_identity_count(c->identity, docs[i], lens[i], counts); break;
        }
    }
    double t = cpu_s() - t0;
    free(counts);
    sw_buf_free(&out);
    return t;
}

static void stage_split(const sw_data_stage_ctx *c, char **docs, size_t *lens, size_t n, double mb) {
    printf("  each stage alone (thread CPU time, best of %d):\n", PASSES);
    for (int st = 0; st < ST_COUNT; st++) {
        double best = 1e30;
        for (int pass = 0; pass < PASSES; pass++) {
            double t = stage_time(c, st, docs, lens, n);
            if (t < best) best = t;
        }
        printf("    %-40s %7.1f MB/s per core  %6.2f ns/byte\n", stage_names[st], mb / best, best / mb * 1e3);
    }
}

/* 1 when two findings agree in what the data stages read of them. */
static int same_finding(const sw_guard_finding *a, const sw_guard_finding *b) {
    return strcmp(a->category, b->category) == 0 && strcmp(a->type, b->type) == 0 && strcmp(a->tc260, b->tc260) == 0 &&
           a->start == b->start && a->end == b->end && a->score == b->score && a->action == b->action;
}

/* The data scan against the full scan on every document: the full scan's harm and
 * personal-data findings must be the data scan's, one for one. */
static void data_scan_equal(const sw_guard *g, char **docs, size_t *lens, size_t n) {
    sw_err err;
    size_t differ = 0, findings = 0, harmful = 0, differ_pii = 0, personal = 0;
    for (size_t i = 0; i < n; i++) {
        sw_guard_verdict full = {0}, data = {0};
        sw_guard_scan(g, SW_GUARD_OUTPUT, docs[i], lens[i], &full, &err);
        sw_guard_scan_data(g, SW_GUARD_OUTPUT, docs[i], lens[i], &data, &err);
        size_t k = 0, bad = 0;
        for (size_t j = 0; j < full.n_findings; j++) {
            const sw_guard_finding *f = &full.findings[j];
            if (!sw_guard_category_is_data(f->category, f->tc260)) continue;
            bad |= k >= data.n_findings || !same_finding(f, &data.findings[k]);
            k++;
            harmful += sw_guard_finding_is_harmful(f);
        }
        findings += k;
        differ += bad || k != data.n_findings;
        sw_guard_verdict pii = {0}; /* the PII-only scan against the data scan's personal findings */
        sw_guard_scan_pii(g, SW_GUARD_OUTPUT, docs[i], lens[i], &pii, &err);
        size_t kp = 0, badp = 0;
        for (size_t j = 0; j < data.n_findings; j++) {
            if (!sw_guard_finding_is_personal(&data.findings[j])) continue;
            badp |= kp >= pii.n_findings || !same_finding(&data.findings[j], &pii.findings[kp]);
            kp++;
        }
        personal += kp;
        differ_pii += badp || kp != pii.n_findings;
        sw_guard_verdict_free(&pii);
        sw_guard_verdict_free(&full);
        sw_guard_verdict_free(&data);
    }
    printf("  data scan vs full scan: %zu of %zu documents differ (%zu harm and personal-data findings, %zu harmful)\n",
           differ, n, findings, harmful);
    printf("  PII-only scan vs data scan's personal data: %zu of %zu documents differ (%zu personal-data findings)\n",
           differ_pii, n, personal);
}

/* ---- near duplicates: pairs with exactly computed Jaccard ---- */
static void words_text(const uint32_t *ids, int n, sw_buf *b) {
    sw_buf_reset(b);
    for (int i = 0; i < n; i++) sw_buf_printf(b, "w%u ", ids[i]);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Exact Jaccard of the 5-word shingle sets of two id sequences. */
static double exact_jaccard(const uint32_t *a, const uint32_t *b, int n) {
    int m = n - SW_MINHASH_SHINGLE + 1, na = 0, nb = 0;
    uint64_t *sa = malloc(sizeof(uint64_t) * (size_t)m), *sb = malloc(sizeof(uint64_t) * (size_t)m);
    for (int i = 0; i < m; i++) {
        uint64_t ha = 0, hb = 0;
        for (int k = 0; k < SW_MINHASH_SHINGLE; k++)
            ha = ha * 1000003u + a[i + k], hb = hb * 1000003u + b[i + k];
        sa[na++] = ha, sb[nb++] = hb;
    }
    qsort(sa, (size_t)na, 8, cmp_u64);
    qsort(sb, (size_t)nb, 8, cmp_u64);
    int i = 0, j = 0, inter = 0, ua = 0, ub = 0;
    while (i < na || j < nb) { /* distinct values */
        if (j >= nb || (i < na && sa[i] < sb[j])) { ua++; uint64_t v = sa[i]; while (i < na && sa[i] == v) i++; }
        else if (i >= na || sb[j] < sa[i]) { ub++; uint64_t v = sb[j]; while (j < nb && sb[j] == v) j++; }
        else { inter++; uint64_t v = sa[i]; while (i < na && sa[i] == v) i++; while (j < nb && sb[j] == v) j++; }
    }
    free(sa);
    free(sb);
    return (double)inter / (double)(inter + ua + ub);
}

static int near_dups(void) {
    sw_rng r;
    sw_rng_seed(&r, 20261203);
    sw_lsh *lsh = sw_lsh_new();
    sw_buf b = {0};
    uint32_t a[PAIR_WORDS], v[PAIR_WORDS], sig[SW_MINHASH_K];
    int hi = 0, hi_found = 0, lo = 0, lo_merged = 0, oom;
    uint32_t next_id = 0;
    for (int p = 0; p < 4 * PAIRS && (hi < PAIRS || lo < PAIRS); p++) {
        for (int i = 0; i < PAIR_WORDS; i++) a[i] = next_id++;
        memcpy(v, a, sizeof a);
        /* a random number of scattered or clustered word changes */
        int changes = (int)(sw_rng_uniform(&r) * 80), clustered = sw_rng_uniform(&r) < 0.5;
        int at = (int)(sw_rng_uniform(&r) * (PAIR_WORDS - changes));
        for (int c = 0; c < changes; c++) v[clustered ? at + c : (int)(sw_rng_uniform(&r) * PAIR_WORDS)] = next_id++;
        double j = exact_jaccard(a, v, PAIR_WORDS);
        int band = j >= 0.8 ? 1 : j <= 0.5 ? 0 : -1;
        if (band < 0 || (band == 1 && hi >= PAIRS) || (band == 0 && lo >= PAIRS)) continue;
        words_text(a, PAIR_WORDS, &b);
        sw_minhash(b.data, b.len, sig);
        sw_lsh_query_insert(lsh, sig, 2 * p, 0.7, NULL, &oom);
        words_text(v, PAIR_WORDS, &b);
        sw_minhash(b.data, b.len, sig);
        int merged = sw_lsh_query_insert(lsh, sig, 2 * p + 1, 0.7, NULL, &oom) == 2 * p;
        if (band) hi++, hi_found += merged;
        else lo++, lo_merged += merged;
    }
    printf("near duplicates (MinHash %d x 32-bit, %d bands, confirm at estimated J >= 0.7; %d-word documents):\n",
           SW_MINHASH_K, SW_MINHASH_BANDS, PAIR_WORDS);
    printf("  recall at exact Jaccard >= 0.8: %.4f (%d/%d pairs)  [target >= 0.95]\n", (double)hi_found / hi, hi_found, hi);
    printf("  merged at exact Jaccard <= 0.5: %.4f (%d/%d pairs)  [target <= 0.01]\n", (double)lo_merged / lo, lo_merged, lo);
    sw_lsh_free(lsh);
    sw_buf_free(&b);
    return 0;
}

/* ---- language identification on held-out paragraphs ---- */
static void held_out(const sw_langid *l, const char *path, const char *field, int odd_only, const char *lang, int *tot,
                     int *right) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    sw_buf para = {0};
    while (getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        json_t *t = json_object_get(o, field);
        if (json_is_string(t) && (!odd_only || json_integer_value(json_object_get(o, "id_")) % 2 == 1))
            sw_buf_puts(&para, json_string_value(t)), sw_buf_puts(&para, " ");
        json_decref(o);
        size_t chars = 0;
        for (size_t i = 0; i < para.len; i++) chars += ((unsigned char)para.data[i] & 0xC0) != 0x80;
        if (chars >= 100) {
            (*tot)++;
            *right += strcmp(sw_langid_classify(l, para.data, para.len, NULL), lang) == 0;
            sw_buf_reset(&para);
        }
    }
    free(line);
    sw_buf_free(&para);
    fclose(f);
}

static void langid(const char *data_dir) {
    sw_err err;
    sw_langid *l = sw_langid_open_default(data_dir, &err);
    if (!l) return (void)fprintf(stderr, "%s\n", err.msg);
    int zt = 0, zr = 0, et = 0, er = 0;
    held_out(l, "../shared/data/chinese-safety/cvalues/cvalues_responsibility_prompts.jsonl", "prompt", 1, "zh", &zt, &zr);
    held_out(l, "../shared/data/benign/gsm8k/test.jsonl", "question", 0, "en", &et, &er);
    held_out(l, "../shared/data/benign/self-instruct/seed_tasks.jsonl", "instruction", 0, "en", &et, &er);
    if (!zt || !et) printf("language identification: ../shared/data not found, skipped\n");
    else
        printf("language identification (held out, paragraphs of 100+ characters): zh %.4f (%d/%d, CValues odd ids), "
               "en %.4f (%d/%d, gsm8k + self-instruct)  [target >= 0.99]\n",
               (double)zr / zt, zr, zt, (double)er / et, er, et);
    sw_langid_free(l);
}

int main(void) {
    char dir[4096];
    sw_err err;
    if (sw_guard_data_dir(dir, sizeof dir, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    if (throughput(dir)) return 1;
    near_dups();
    langid(dir);
    return 0;
}
