/* test_watermark.c - watermark embedding through the sampler hook, and detection:
 * found in watermarked text, absent without it, absent with a wrong key, robust to
 * substitutions, located inside longer unwatermarked text. */
#include "steward/sampler.h"
#include "steward/watermark.h"
#include "t.h"

#include <stdlib.h>

#define NV 2000
#define LEN 200

/* A stand-in language model: logits drawn from a normal distribution seeded by the
 * previous token, scaled so that the entropy per step is moderate (as in real text). */
static void fake_logits(int32_t prev, float *logits) {
    sw_rng r;
    sw_rng_seed(&r, 1000003u * (uint64_t)(prev + 7));
    for (int v = 0; v < NV; v++) logits[v] = (float)(2.5 * sw_rng_normal(&r));
}

static const uint8_t KEY[SW_WM_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                             17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* Generates LEN tokens (after a 4-token prompt) with or without the watermark. */
static void generate(sw_wm_scheme scheme, int watermark, uint64_t seed, int32_t *out) {
    sw_sampler_params sp;
    sw_sampler_params_default(&sp);
    sp.temperature = 1.0f;
    sp.top_k = 0;
    sp.top_p = 1.0f;
    sp.min_p = 0;
    sp.seed = seed;
    sw_sampler *s = sw_sampler_new(&sp, NV);
    sw_wm_params wp;
    sw_wm_params_default(scheme, &wp);
    sw_watermark *w = NULL;
    if (watermark) {
        w = sw_wm_new(&wp, KEY, NV);
        sw_sampler_hook h;
        sw_wm_hook(w, &h);
        sw_sampler_set_hook(s, &h);
    }
    int32_t hist[LEN + 4] = {11, 22, 33, 44};
    float logits[NV];
    for (int i = 0; i < LEN; i++) {
        fake_logits(hist[i + 3], logits);
        hist[i + 4] = sw_sampler_sample(s, logits, hist, i + 4, NULL, NULL);
    }
    memcpy(out, hist + 4, LEN * sizeof *out);
    sw_wm_free(w);
    sw_sampler_free(s);
}

static void check_scheme(sw_wm_scheme scheme) {
    sw_wm_params wp;
    sw_wm_params_default(scheme, &wp);
    int32_t wm[LEN], plain[LEN];
    generate(scheme, 1, 5, wm);
    generate(scheme, 0, 5, plain);
    sw_wm_detection d;
    T_CHECK(sw_wm_detect(&wp, KEY, wm, LEN, &d) == 0);
    if (getenv("WM_VERBOSE")) fprintf(stderr, "%s z=%.2f score=%.3f\n", sw_wm_scheme_name(scheme), d.z, d.score);
    T_CHECK_MSG(d.watermarked && d.z > 6, "%s: z %.2f on watermarked text", sw_wm_scheme_name(scheme), d.z);
    T_CHECK(d.scored > LEN / 2);
    T_CHECK(sw_wm_detect(&wp, KEY, plain, LEN, &d) == 0);
    T_CHECK_MSG(!d.watermarked && d.z < 4, "%s: z %.2f on plain text", sw_wm_scheme_name(scheme), d.z);
    uint8_t wrong[SW_WM_KEY_BYTES];
    memcpy(wrong, KEY, sizeof wrong);
    wrong[0] ^= 1;
    T_CHECK(sw_wm_detect(&wp, wrong, wm, LEN, &d) == 0);
    T_CHECK_MSG(!d.watermarked && d.z < 4, "%s: z %.2f with a wrong key", sw_wm_scheme_name(scheme), d.z);
    /* 20% of tokens replaced at random: still detected */
    sw_rng r;
    sw_rng_seed(&r, 9);
    int32_t att[LEN];
    memcpy(att, wm, sizeof att);
    for (int i = 0; i < LEN; i++)
        if (sw_rng_uniform(&r) < 0.2) att[i] = (int32_t)(sw_rng_next(&r) % NV);
    T_CHECK(sw_wm_detect(&wp, KEY, att, LEN, &d) == 0);
    T_CHECK_MSG(d.watermarked, "%s: z %.2f after 20%% substitution", sw_wm_scheme_name(scheme), d.z);
}

/* The generator's green list is the detector's, token for token: the hook raises
 * exactly the candidates v that sw_wm_detect scores green after the same context. */
static void check_green_list(sw_wm_scheme scheme) {
    sw_wm_params wp;
    sw_wm_params_default(scheme, &wp);
    sw_watermark *w = sw_wm_new(&wp, KEY, NV);
    T_CHECK(w != NULL);
    if (!w) return;
    sw_sampler_hook h;
    sw_wm_hook(w, &h);
    int32_t seq[5] = {5, 1999, 17, 42, 0};
    static float logits[NV];
    for (int v = 0; v < NV; v++) logits[v] = 0;
    h.adjust(h.ud, logits, NV, seq, wp.context);
    int mismatches = 0, green = 0;
    for (int v = 0; v < NV; v++) {
        seq[wp.context] = v;
        sw_wm_detection d;
        T_CHECK(sw_wm_detect(&wp, KEY, seq, wp.context + 1, &d) == 0);
        int det_green = d.scored == 1 && d.score > 0.5;
        int gen_green = logits[v] > 0;
        green += gen_green;
        mismatches += det_green != gen_green;
    }
    T_CHECK_MSG(mismatches == 0, "%s: %d of %d candidates differ", sw_wm_scheme_name(scheme), mismatches, NV);
    T_CHECK_MSG(green > NV / 5 && green < NV / 3, "%s: %d green of %d (gamma 0.25)", sw_wm_scheme_name(scheme),
                green, NV);
    sw_wm_free(w);
}
static void test_green_list_selfhash(void) { check_green_list(SW_WM_KGW_SELFHASH); }
static void test_green_list_lefthash(void) { check_green_list(SW_WM_KGW_LEFTHASH); }

static void test_kgw_selfhash(void) { check_scheme(SW_WM_KGW_SELFHASH); }
static void test_kgw_lefthash(void) { check_scheme(SW_WM_KGW_LEFTHASH); }
static void test_synthid(void) { check_scheme(SW_WM_SYNTHID); }

/* Random token sequences: z never reaches the threshold (about 3e-5 per test). */
static void test_no_false_positives(void) {
    sw_rng r;
    sw_rng_seed(&r, 77);
    int32_t t[LEN];
    int fp = 0;
    double zmax = -1e9;
    for (int s = SW_WM_KGW_SELFHASH; s <= SW_WM_SYNTHID; s++) {
        sw_wm_params wp;
        sw_wm_params_default((sw_wm_scheme)s, &wp);
        for (int k = 0; k < 300; k++) {
            for (int i = 0; i < LEN; i++) t[i] = (int32_t)(sw_rng_next(&r) % NV);
            sw_wm_detection d;
            sw_wm_detect(&wp, KEY, t, LEN, &d);
            fp += d.watermarked;
            if (d.z > zmax) zmax = d.z;
        }
    }
    T_CHECK_MSG(fp == 0, "%d false positives, max z %.2f", fp, zmax);
}

/* Repeated text scores each (context, token) pair once. */
static void test_repeats_masked(void) {
    sw_wm_params wp;
    sw_wm_params_default(SW_WM_KGW_LEFTHASH, &wp);
    int32_t t[LEN];
    for (int i = 0; i < LEN; i++) t[i] = i % 2 ? 5 : 9;
    sw_wm_detection d;
    sw_wm_detect(&wp, KEY, t, LEN, &d);
    T_CHECK(d.scored <= 2);
    T_CHECK(!d.watermarked);
}

/* A watermarked span inside human-like (random) text is found and located. */
static void test_windowed(void) {
    sw_wm_params wp;
    sw_wm_params_default(SW_WM_KGW_SELFHASH, &wp);
    enum { N = 1200, AT = 500 };
    int32_t *t = malloc(N * sizeof *t);
    sw_rng r;
    sw_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) t[i] = (int32_t)(sw_rng_next(&r) % NV);
    int32_t wm[LEN];
    generate(SW_WM_KGW_SELFHASH, 1, 8, wm);
    memcpy(t + AT, wm, sizeof wm);
    sw_wm_detection whole, win;
    sw_wm_detect(&wp, KEY, t, N, &whole);
    T_CHECK(sw_wm_detect_windowed(&wp, KEY, t, N, 50, &win) == 0);
    T_CHECK_MSG(win.watermarked, "windowed z %.2f p %.3g", win.z, win.p);
    T_CHECK(win.z > whole.z);
    T_CHECK_MSG(win.start >= AT - 50 && win.end <= AT + LEN + 50, "span %d..%d", win.start, win.end);
    free(t);
}

static void test_names_and_key_id(void) {
    sw_wm_scheme s;
    T_CHECK(sw_wm_scheme_parse("synthid", &s) == 0 && s == SW_WM_SYNTHID);
    T_CHECK(sw_wm_scheme_parse("kgw-selfhash", &s) == 0 && s == SW_WM_KGW_SELFHASH);
    T_CHECK(sw_wm_scheme_parse("bogus", &s) == -1);
    char id[17];
    sw_wm_key_id(KEY, id);
    T_CHECK(strlen(id) == 16);
    sw_wm_params wp;
    sw_wm_params_default(SW_WM_NONE, &wp);
    T_CHECK(sw_wm_new(&wp, KEY, NV) == NULL);
}

int main(void) {
    T_RUN(test_kgw_selfhash);
    T_RUN(test_kgw_lefthash);
    T_RUN(test_synthid);
    T_RUN(test_green_list_selfhash);
    T_RUN(test_green_list_lefthash);
    T_RUN(test_no_false_positives);
    T_RUN(test_repeats_masked);
    T_RUN(test_windowed);
    T_RUN(test_names_and_key_id);
    return t_done();
}
