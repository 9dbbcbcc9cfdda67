/* watermark_eval.c - `steward eval watermark`: detection rates against length, after
 * attacks and inside human text; false positives; perplexity and speed cost. */
#include "steward/eval.h"
#include "steward/tokenizer.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double FPRS[] = {1e-2, 1e-3, 1e-5};
#define N_FPR 3
static const char *FPR_NAMES[] = {"1e-2", "1e-3", "1e-5"};

/* Built-in prompts when no human text is given. */
static const char *DEFAULT_PROMPTS[] = {
    "The", "Once upon a time", "In the morning", "It was", "We", "There is", "My lord,",
    "The city", "When the", "And so",
};

void sw_wm_eval_opts_default(sw_wm_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->samples = 50;
    o->tokens = 200;
    o->temperature = 1.0f;
    o->human_bytes = 1u << 20;
    o->seed = 1;
}

/* z such that 1 - Phi(z) = alpha (bisection on erfc; |error| < 1e-9). */
static double z_for_fpr(double alpha) {
    double lo = 0, hi = 40;
    for (int i = 0; i < 100; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(mid / sqrt(2.0)) > alpha) lo = mid;
        else hi = mid;
    }
    return (lo + hi) / 2;
}

typedef struct seqs {
    int32_t **t;
    int *n;
    int count;
} seqs;

static void seqs_free(seqs *s) {
    for (int i = 0; i < s->count; i++) free(s->t[i]);
    free(s->t);
    free(s->n);
}

/* Fraction of sequences (each cut to at most len tokens) detected at each FPR's z. */
static json_t *rates(const sw_wm_params *wp, const uint8_t *key, const seqs *s, int len, double *mean_z) {
    int hits[N_FPR] = {0};
    double zsum = 0;
    for (int i = 0; i < s->count; i++) {
        sw_wm_detection d;
        int n = s->n[i] < len ? s->n[i] : len;
        sw_wm_detect(wp, key, s->t[i], n, &d);
        zsum += d.z;
        for (int f = 0; f < N_FPR; f++) hits[f] += d.z >= z_for_fpr(FPRS[f]);
    }
    if (mean_z) *mean_z = s->count ? zsum / s->count : 0;
    json_t *o = json_object();
    for (int f = 0; f < N_FPR; f++)
        json_object_set_new(o, FPR_NAMES[f], json_real(s->count ? (double)hits[f] / s->count : 0));
    return o;
}

/* Applies a random edit at `rate` per token: 's' substitutes, 'd' deletes, 'i' inserts a
 * random token. Returns the new length; out must hold 2n tokens. */
static int attack(const int32_t *in, int n, char kind, double rate, int n_vocab, sw_rng *r, int32_t *out) {
    int m = 0;
    for (int i = 0; i < n; i++) {
        int hit = sw_rng_uniform(r) < rate;
        int32_t rnd = (int32_t)(sw_rng_next(r) % (uint64_t)n_vocab);
        if (!hit) out[m++] = in[i];
        else if (kind == 's') out[m++] = rnd;
        else if (kind == 'i') { out[m++] = rnd; out[m++] = in[i]; }
        /* 'd': drop it */
    }
    return m;
}

/* Human text tokens, at most max_bytes of the file. */
static int human_tokens(const sw_tokenizer *tok, const char *path, size_t max_bytes, int32_t **ids,
                        size_t *n, size_t *bytes, sw_err *err) {
    sw_buf b = {0};
    *ids = NULL;
    *n = 0;
    if (sw_read_file(path, &b, err) < 0) return -1;
    size_t len = b.len < max_bytes ? b.len : max_bytes;
    while (len > 0 && len < b.len && ((unsigned char)b.data[len] & 0xC0) == 0x80) len--; /* whole chars */
    *bytes = len;
    int rc = sw_tokenize(tok, b.data, len, 0, ids, n, err);
    sw_buf_free(&b);
    return rc;
}

/* A prompt: the start of a line of the human text (a few words), or a built-in one. */
static void pick_prompt(const char *human, size_t hlen, sw_rng *r, char *out, size_t outsz) {
    if (!human || hlen < 200) {
        snprintf(out, outsz, "%s", DEFAULT_PROMPTS[sw_rng_next(r) % (sizeof DEFAULT_PROMPTS / sizeof *DEFAULT_PROMPTS)]);
        return;
    }
    size_t at = (size_t)(sw_rng_next(r) % (hlen - 100));
    while (at < hlen && human[at] != '\n') at++;
    while (at < hlen && (human[at] == '\n' || human[at] == ' ')) at++;
    size_t words = 0, end = at;
    while (end < hlen && human[end] != '\n' && words < 6 && end - at < outsz - 1) {
        if (human[end] == ' ') words++;
        end++;
    }
    if (end == at) {
        snprintf(out, outsz, "%s", DEFAULT_PROMPTS[0]);
        return;
    }
    while (end > at && ((unsigned char)human[end] & 0xC0) == 0x80) end--; /* whole chars */
    snprintf(out, outsz, "%.*s", (int)(end - at), human + at);
}

json_t *sw_eval_watermark(sw_pipeline *p, const sw_wm_params *wp_in, const sw_wm_eval_opts *o, sw_err *err) {
    sw_wm_params wp;
    uint8_t key[SW_WM_KEY_BYTES];
    sw_pipeline_watermark(p, &wp, key);
    if (wp_in) wp = *wp_in;
    const sw_model *m = sw_pipeline_model(p);
    const sw_tokenizer *tok = sw_model_tokenizer(m);
    int V = sw_model_hparams(m)->n_vocab;
    sw_buf human = {0};
    if (o->human && sw_read_file(o->human, &human, err) < 0) return NULL;

    seqs pos = {calloc((size_t)o->samples, sizeof(int32_t *)), calloc((size_t)o->samples, sizeof(int)), 0};
    seqs neg = {calloc((size_t)o->samples, sizeof(int32_t *)), calloc((size_t)o->samples, sizeof(int)), 0};
    json_t *report = NULL;
    sw_ctx *sc = NULL;
    int32_t *hum = NULL, *tmp = NULL;
    size_t n_hum = 0, hum_bytes = 0;
    double nll_w = 0, nll_p = 0, ms_w = 0, ms_p = 0;
    int sc_w = 0, sc_p = 0, tok_w = 0, tok_p = 0, n_ratio = 0;
    double *ratio = calloc((size_t)o->samples + 1, sizeof *ratio);
    sw_rng rng;
    sw_rng_seed(&rng, o->seed);
    if (!pos.t || !pos.n || !neg.t || !neg.n || !ratio) {
        sw_err_set(err, "out of memory");
        goto out;
    }
    sc = sw_ctx_new(m, sw_model_hparams(m)->n_ctx_train < 2048 ? sw_model_hparams(m)->n_ctx_train : 2048, err);
    if (!sc) goto out;

    /* 1. generations, with and without the watermark, from the same prompts and seeds.
     * A prompt that the guards refuse (no tokens either way) is replaced by another. */
    int refused = 0;
    for (int attempt = 0; pos.count < o->samples && attempt < 4 * o->samples; attempt++) {
        char prompt[256];
        pick_prompt(human.data, human.len, &rng, prompt, sizeof prompt);
        sw_gen_result res[2];
        int ok = 1;
        /* the pair runs back to back, in alternating order, so that the machine's load
         * and warm caches weigh on both alike */
        for (int j = 0; j < 2; j++) {
            int w = j ^ (attempt & 1);
            sw_gen_request req = {0};
            sw_sampler_params_default(&req.sampling);
            req.sampling.temperature = o->temperature;
            req.sampling.top_k = 0;
            req.sampling.top_p = 1.0f;
            req.sampling.min_p = 0;
            req.sampling.seed = o->seed * 1000003u + (uint64_t)attempt;
            req.prompt = prompt;
            req.max_tokens = o->tokens;
            req.ignore_eos = 1;
            req.no_watermark = !w;
            if (sw_pipeline_generate(p, &req, &res[w], err) < 0) {
                sw_gen_result_free(&res[w]);
                if (j == 1) sw_gen_result_free(&res[!w]);
                goto out;
            }
            ok = ok && res[w].n_tokens > 0;
        }
        for (int w = 1; w >= 0 && ok; w--) {
            double nll;
            int scored;
            /* the generated tokens' NLL given exactly the context the model saw */
            if (sw_ctx_nll(sc, res[w].context, res[w].prompt_tokens + res[w].n_tokens, res[w].prompt_tokens, &nll,
                           &scored, err) < 0) {
                sw_gen_result_free(&res[0]);
                sw_gen_result_free(&res[1]);
                goto out;
            }
            if (w) nll_w += nll, sc_w += scored, ms_w += res[w].gen_ms, tok_w += res[w].n_tokens;
            else nll_p += nll, sc_p += scored, ms_p += res[w].gen_ms, tok_p += res[w].n_tokens;
            seqs *s = w ? &pos : &neg;
            s->t[s->count] = res[w].tokens;
            s->n[s->count++] = res[w].n_tokens;
            res[w].tokens = NULL;
        }
        if (ok && res[0].gen_ms > 0 && res[1].gen_ms > 0)
            ratio[n_ratio++] = (res[1].gen_ms / res[1].n_tokens) / (res[0].gen_ms / res[0].n_tokens);
        refused += !ok;
        sw_gen_result_free(&res[0]);
        sw_gen_result_free(&res[1]);
        if (ok && o->progress) o->progress(o->ud, pos.count, o->samples);
    }
    if (pos.count == 0) {
        sw_err_set(err, "every prompt was refused by the guards; no sample to evaluate");
        goto out;
    }

    report = json_object();
    json_object_set_new(report, "watermark", sw_wm_params_json(&wp, key));
    json_object_set_new(report, "samples", json_integer(pos.count));
    json_object_set_new(report, "prompts_refused", json_integer(refused));
    json_object_set_new(report, "tokens", json_integer(o->tokens));
    json_object_set_new(report, "temperature", json_real(o->temperature));
    json_t *thr = json_object();
    for (int f = 0; f < N_FPR; f++) json_object_set_new(thr, FPR_NAMES[f], json_real(z_for_fpr(FPRS[f])));
    json_object_set_new(report, "z_thresholds", thr);

    /* 2. detection against length */
    json_t *by_len = json_array();
    static const int LENGTHS[] = {10, 25, 50, 100, 150, 200, 300, 400};
    for (size_t k = 0; k < sizeof LENGTHS / sizeof *LENGTHS && LENGTHS[k] <= o->tokens; k++) {
        double mz, mzn;
        json_t *tpr = rates(&wp, key, &pos, LENGTHS[k], &mz);
        json_t *fpr = rates(&wp, key, &neg, LENGTHS[k], &mzn);
        json_array_append_new(by_len, json_pack("{s:i,s:o,s:o,s:f,s:f}", "length", LENGTHS[k], "tpr", tpr,
                                                "fpr_unwatermarked", fpr, "mean_z", mz, "mean_z_unwatermarked", mzn));
    }
    json_object_set_new(report, "by_length", by_len);

    /* 3. attacks at full length */
    tmp = malloc(2 * (size_t)o->tokens * sizeof *tmp + 8);
    if (!tmp) {
        sw_err_set(err, "out of memory");
        goto fail;
    }
    json_t *attacks = json_array();
    static const char KINDS[] = {'s', 'd', 'i'};
    static const char *KIND_NAMES[] = {"substitution", "deletion", "insertion"};
    static const double RATES[] = {0.1, 0.2, 0.3};
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < 3; r++) {
            seqs att = {calloc((size_t)o->samples, sizeof(int32_t *)), calloc((size_t)o->samples, sizeof(int)), 0};
            if (!att.t || !att.n) {
                seqs_free(&att);
                sw_err_set(err, "out of memory");
                goto fail;
            }
            for (int i = 0; i < pos.count; i++) {
                int n = attack(pos.t[i], pos.n[i], KINDS[k], RATES[r], V, &rng, tmp);
                att.t[i] = malloc((size_t)(n + 1) * sizeof(int32_t));
                if (att.t[i]) memcpy(att.t[i], tmp, (size_t)n * sizeof(int32_t));
                att.n[i] = att.t[i] ? n : 0;
                att.count++;
            }
            double mz;
            json_t *tpr = rates(&wp, key, &att, 1 << 30, &mz);
            json_array_append_new(attacks, json_pack("{s:s,s:f,s:o,s:f}", "attack", KIND_NAMES[k], "rate",
                                                     RATES[r], "tpr", tpr, "mean_z", mz));
            seqs_free(&att);
        }
    json_object_set_new(report, "attacks", attacks);

    /* 4. human text: windows of `tokens` tokens as negatives; generated text embedded */
    if (o->human) {
        if (human_tokens(tok, o->human, o->human_bytes, &hum, &n_hum, &hum_bytes, err) < 0) goto fail;
        int windows = 0, over[N_FPR] = {0}, over4 = 0;
        double zmax = -INFINITY;
        for (size_t at = 0; at + (size_t)o->tokens <= n_hum; at += (size_t)o->tokens) {
            sw_wm_detection d;
            sw_wm_detect(&wp, key, hum + at, o->tokens, &d);
            windows++;
            if (d.z > zmax) zmax = d.z;
            over4 += d.z >= 4.0;
            for (int f = 0; f < N_FPR; f++) over[f] += d.z >= z_for_fpr(FPRS[f]);
        }
        sw_wm_detection whole;
        sw_wm_detect_windowed(&wp, key, hum, (int)n_hum, 50, &whole);
        json_t *fpr = json_object();
        for (int f = 0; f < N_FPR; f++)
            json_object_set_new(fpr, FPR_NAMES[f], json_real(windows ? (double)over[f] / windows : 0));
        json_object_set_new(report, "human", json_pack("{s:s,s:I,s:I,s:i,s:o,s:f,s:i,s:f,s:b}", "file", o->human,
                                                       "bytes", (json_int_t)hum_bytes, "tokens", (json_int_t)n_hum,
                                                       "windows", windows, "fpr", fpr, "max_window_z", zmax,
                                                       "windows_z_ge_4", over4, "scan_z", whole.z,
                                                       "scan_flagged", whole.watermarked));
        /* embedding: each watermarked generation inside 4x as much human text */
        int found = 0, located = 0, tries = 0;
        size_t span = 4 * (size_t)o->tokens;
        int32_t *doc = malloc((span + (size_t)o->tokens) * sizeof *doc);
        for (int i = 0; doc && i < pos.count && n_hum > span; i++) {
            size_t from = (size_t)(sw_rng_next(&rng) % (n_hum - span));
            size_t at = (size_t)(sw_rng_next(&rng) % (span - (size_t)pos.n[i] + 1));
            memcpy(doc, hum + from, at * sizeof *doc);
            memcpy(doc + at, pos.t[i], (size_t)pos.n[i] * sizeof *doc);
            memcpy(doc + at + pos.n[i], hum + from + at, (span - at - (size_t)pos.n[i]) * sizeof *doc);
            sw_wm_detection d;
            sw_wm_detect_windowed(&wp, key, doc, (int)span, 50, &d);
            tries++;
            found += d.watermarked;
            /* located: the reported span overlaps the inserted one by at least half of it */
            int lo = d.start > (int)at ? d.start : (int)at;
            int hi = d.end < (int)at + pos.n[i] ? d.end : (int)at + pos.n[i];
            located += d.watermarked && hi - lo >= pos.n[i] / 2;
        }
        free(doc);
        json_object_set_new(report, "embedded", json_pack("{s:i,s:i,s:f,s:f}", "documents", tries,
                                                          "human_tokens_per_document", (int)span - o->tokens,
                                                          "detected", tries ? (double)found / tries : 0,
                                                          "located", tries ? (double)located / tries : 0));
    }

    /* 5. cost: perplexity under the model and generation speed */
    double ppl_w = sc_w ? exp(nll_w / sc_w) : 0, ppl_p = sc_p ? exp(nll_p / sc_p) : 0;
    json_object_set_new(report, "perplexity", json_pack("{s:f,s:f,s:f}", "watermarked", ppl_w, "unwatermarked", ppl_p,
                                                        "increase", ppl_p > 0 ? ppl_w / ppl_p - 1 : 0));
    /* overhead: the median over pairs of (time per token watermarked / unwatermarked) - 1;
     * a median of paired ratios shrugs off the bursts of a shared machine, which a ratio
     * of totals does not */
    double tps_w = ms_w > 0 ? tok_w / (ms_w / 1000) : 0, tps_p = ms_p > 0 ? tok_p / (ms_p / 1000) : 0;
    double med = n_ratio == 0 ? 1 : sw_median(ratio, (size_t)n_ratio);
    json_object_set_new(report, "speed", json_pack("{s:f,s:f,s:f,s:i}", "watermarked_tokens_per_s", tps_w,
                                                   "unwatermarked_tokens_per_s", tps_p, "overhead", med - 1,
                                                   "pairs", n_ratio));
    goto out;
fail:
    json_decref(report);
    report = NULL;
out:
    sodium_memzero(key, sizeof key);
    free(ratio);
    free(tmp);
    free(hum);
    sw_ctx_free(sc);
    seqs_free(&pos);
    seqs_free(&neg);
    sw_buf_free(&human);
    return report;
}

int sw_eval_watermark_svg(const json_t *report, const char *path, sw_err *err) {
    FILE *f = fopen(path, "w");
    if (!f) return sw_err_set(err, "%s: cannot create", path);
    const int W = 640, H = 400, L = 60, R = 20, T = 40, B = 50;
    const json_t *rows = json_object_get(report, "by_length");
    size_t n = json_array_size(rows);
    double maxlen = n ? (double)json_integer_value(json_object_get(json_array_get(rows, n - 1), "length")) : 1;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\">Watermark detection (%s): true-positive rate against length</text>\n", L,
            json_string_value(json_object_get(json_object_get(report, "watermark"), "scheme")));
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L, H - B);
    for (int k = 0; k <= 4; k++) {
        double y = H - B - (H - B - T) * k / 4.0;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", L - 6, y + 4, k / 4.0);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, W - R, y);
    }
    static const char *colors[] = {"#1b9e77", "#d95f02", "#7570b3"};
    for (int fpr = 0; fpr < N_FPR; fpr++) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colors[fpr]);
        for (size_t i = 0; i < n; i++) {
            const json_t *row = json_array_get(rows, i);
            double len = (double)json_integer_value(json_object_get(row, "length"));
            double tpr = json_real_value(json_object_get(json_object_get(row, "tpr"), FPR_NAMES[fpr]));
            fprintf(f, "%.1f,%.1f ", L + (W - L - R) * len / maxlen, H - B - (H - B - T) * tpr);
        }
        fprintf(f, "\"/>\n<text x=\"%d\" y=\"%d\" fill=\"%s\">FPR %s</text>\n", W - R - 90, T + 16 * (fpr + 1), colors[fpr],
                FPR_NAMES[fpr]);
    }
    for (size_t i = 0; i < n; i++) {
        double len = (double)json_integer_value(json_object_get(json_array_get(rows, i), "length"));
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n", L + (W - L - R) * len / maxlen,
                H - B + 16, len);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">tokens</text>\n", (L + W - R) / 2, H - 12);
    fprintf(f, "</svg>\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return sw_err_set(err, "%s: write error", path);
    return 0;
}
