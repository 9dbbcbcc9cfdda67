/* card.c - identity-term counts and the dataset card (after Gebru et al., "Datasheets for
 * Datasets") written from a build's statistics. */
#include "data_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDENTITY_MAX_TERMS 1024
#define IDENTITY_FIELD_MAX 64
#define IDENTITY_MAX_WORDS 3

typedef struct {
    char group[IDENTITY_FIELD_MAX];
    char term[IDENTITY_FIELD_MAX];
    uint64_t hash; /* phrase hash of its lower-cased words (ASCII terms) */
    int ascii;
} id_term;

#define IDENTITY_SLOTS 4096 /* open addressing over the ASCII terms' hashes */

struct sw_identity {
    id_term *t;
    int n;
    int32_t slot[IDENTITY_SLOTS]; /* term index + 1, 0: empty */
};

#define FNV_OFFSET 0xcbf29ce484222325ull
#define PHRASE_MUL 0x9E3779B97F4A7C15ull

static uint64_t fnv_step(uint64_t h, unsigned char c) { return (h ^ c) * 0x100000001b3ull; }
static int is_word_byte(unsigned char c) { return ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') || c == '\''; }

/* Hash of the lower-cased word s[0..n). */
static uint64_t word_hash(const char *s, size_t n) {
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        h = fnv_step(h, c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return h;
}

/* Indexes a term: its phrase hash into the slot table. Returns its word count, 0 for a
 * non-ASCII term (matched as a substring). */
static int term_index(sw_identity *id, int i) {
    id_term *t = &id->t[i];
    const char *p = t->term;
    uint64_t h = 0;
    int words = 0;
    t->ascii = 1;
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q >= 0x80) t->ascii = 0;
    if (!t->ascii) return 0;
    while (*p) {
        while (*p && !is_word_byte((unsigned char)*p)) p++;
        const char *s = p;
        while (*p && is_word_byte((unsigned char)*p)) p++;
        if (p > s) h = h * PHRASE_MUL + word_hash(s, (size_t)(p - s)), words++;
    }
    t->hash = h;
    size_t k = (size_t)h & (IDENTITY_SLOTS - 1);
    while (id->slot[k]) k = (k + 1) & (IDENTITY_SLOTS - 1);
    id->slot[k] = i + 1;
    return words;
}

sw_identity *sw_identity_load(const char *path, sw_err *err) {
    sw_buf b = {0};
    if (sw_read_file(path, &b, err)) return NULL;
    sw_identity *id = calloc(1, sizeof *id);
    if (!id || !(id->t = calloc(IDENTITY_MAX_TERMS, sizeof *id->t))) {
        sw_buf_free(&b);
        sw_identity_free(id);
        return sw_err_set(err, "%s: out of memory", path), NULL;
    }
    size_t pos = 0;
    int line_no = 0;
    const char *line;
    size_t n;
    while (sw_next_line(b.data ? b.data : "", b.len, &pos, &line_no, &line, &n)) {
        if (n == 0 || line[0] == '#') continue;
        const char *tab = memchr(line, '\t', n);
        size_t gl = tab ? (size_t)(tab - line) : 0, tl = tab ? n - gl - 1 : 0;
        if (!tab || !gl || !tl || gl >= IDENTITY_FIELD_MAX || tl >= IDENTITY_FIELD_MAX || memchr(tab + 1, '\t', tl)) {
            sw_err_set(err, "%s:%d: expected group<TAB>term", path, line_no);
            goto fail;
        }
        if (id->n == IDENTITY_MAX_TERMS) {
            sw_err_set(err, "%s:%d: more than %d terms", path, line_no, IDENTITY_MAX_TERMS);
            goto fail;
        }
        id_term *t = &id->t[id->n++];
        memcpy(t->group, line, gl);
        memcpy(t->term, tab + 1, tl);
        if (term_index(id, id->n - 1) > IDENTITY_MAX_WORDS) {
            sw_err_set(err, "%s:%d: a term has at most %d words", path, line_no, IDENTITY_MAX_WORDS);
            goto fail;
        }
    }
    sw_buf_free(&b);
    return id;
fail:
    sw_buf_free(&b);
    sw_identity_free(id);
    return NULL;
}

void sw_identity_free(sw_identity *t) {
    if (!t) return;
    free(t->t);
    free(t);
}

int sw_identity_terms(const sw_identity *t) { return t->n; }
const char *sw_identity_group(const sw_identity *t, int i) { return t->t[i].group; }
const char *sw_identity_term(const sw_identity *t, int i) { return t->t[i].term; }

/* Adds one to every ASCII term whose phrase hash is h. */
static void count_hash(const sw_identity *t, uint64_t h, uint64_t *counts) {
    for (size_t k = (size_t)h & (IDENTITY_SLOTS - 1); t->slot[k]; k = (k + 1) & (IDENTITY_SLOTS - 1))
        if (t->t[t->slot[k] - 1].hash == h) counts[t->slot[k] - 1]++;
}

/* Whole words: at each word, the phrases of the last 1..3 words are looked up. */
void sw_identity_count(const sw_identity *t, const char *text, size_t len, uint64_t *counts) {
    uint64_t ring[IDENTITY_MAX_WORDS];
    size_t nw = 0, i = 0;
    while (i < len) {
        while (i < len && !is_word_byte((unsigned char)text[i])) i++;
        if (i >= len) break;
        size_t s = i;
        while (i < len && is_word_byte((unsigned char)text[i])) i++;
        ring[nw++ % IDENTITY_MAX_WORDS] = word_hash(text + s, i - s);
        for (size_t k = 1; k <= IDENTITY_MAX_WORDS && k <= nw; k++) {
            uint64_t h = 0;
            for (size_t w = nw - k; w < nw; w++) h = h * PHRASE_MUL + ring[w % IDENTITY_MAX_WORDS];
            count_hash(t, h, counts);
        }
    }
    unsigned char any = 0;
    for (size_t k = 0; k < len; k++) any |= (unsigned char)text[k];
    for (int j = 0; j < t->n && (any & 0x80); j++) {
        if (t->t[j].ascii) continue;
        size_t tl = strlen(t->t[j].term);
        for (const char *p = text; (p = memmem(p, len - (size_t)(p - text), t->t[j].term, tl)); p += tl) counts[j]++;
    }
}

/* ---- the dataset card ---- */
static json_int_t geti(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }
static const char **sorted_keys(json_t *o, size_t *n);

/* A table of name | documents | kept | bytes out over the objects of o (sorted keys). */
static void card_table(FILE *f, json_t *o, const char *what) {
    fprintf(f, "| %s | documents in | kept | bytes kept |\n|---|---:|---:|---:|\n", what);
    size_t n;
    const char **keys = sorted_keys(o, &n);
    for (size_t i = 0; keys && i < n; i++) {
        json_t *v = json_object_get(o, keys[i]);
        fprintf(f, "| %s | %lld | %lld | %lld |\n", keys[i], (long long)geti(v, "documents"), (long long)geti(v, "kept"),
                (long long)geti(v, "bytes_out"));
    }
    free(keys);
    fputc('\n', f);
}

static void card_preprocessing(FILE *f, json_t *stats) {
    fprintf(f, "## Preprocessing\n\nEach document went through these stages in order; every decision is in "
               "`lineage.jsonl` (one line per input document) and counted in `stats.json`.\n\n"
               "1. licence and provenance (policy `%s`), consent for personal data;\n"
               "2. harmful content (steward's guard; a source whose harmful share exceeds %.1f%% is rejected whole, TC260-003);\n"
               "3. personal data replaced by typed placeholders (`<EMAIL>`, `<PHONE>`, ...) unless consent allows keeping it;\n"
               "4. language identification (character n-gram profiles);\n"
               "5. quality rules after Gopher (Rae et al. 2021) and C4's line rules (Raffel et al. 2020);\n"
               "6. exact deduplication (hash of normalised text) and near-duplicate removal (MinHash LSH, estimated "
               "Jaccard >= %.2f).\n\n| rule | documents |\n|---|---:|\n",
            json_string_value(json_object_get(stats, "policy_sha256")), 100 * json_real_value(json_object_get(stats, "harm_limit")),
            json_real_value(json_object_get(stats, "near_dup_jaccard")));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(stats, "rules"), k, v) fprintf(f, "| `%s` | %lld |\n", k, (long long)json_integer_value(v));
    fputc('\n', f);
}

/* Keys of o sorted (the caller frees the array, not the keys); NULL on OOM. */
static const char **sorted_keys(json_t *o, size_t *n) {
    const char **keys = calloc(json_object_size(o) + 1, sizeof *keys);
    const char *k;
    json_t *v;
    *n = 0;
    json_object_foreach(o, k, v) if (keys) keys[(*n)++] = k;
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1], keys[j - 1] = t;
        }
    return keys;
}

/* How each source's harmful share was measured: documents scanned of those past the
 * licence stage, harmful, the rate with its 95% interval, and the decision. */
static void card_harm(FILE *f, json_t *stats) {
    const char *mode = json_string_value(json_object_get(stats, "harm_scan"));
    fprintf(f, "### Harmful content by source\n\n");
    if (mode && strcmp(mode, "sample") == 0)
        fprintf(f, "Measured on a sample (`harm-scan sample`): in each source, the %lld documents past the licence "
                   "stage with the smallest content hashes (the first 8 bytes of the `sha256` in `lineage.jsonl`), or "
                   "all of them in a smaller source. Harmful documents of the sample are dropped; the others carry "
                   "`harm.not_sampled` and were not scanned for harm (personal data was looked for in every "
                   "document).\n\n",
                (long long)geti(stats, "harm_sample"));
    else
        fprintf(f, "Every document past the licence stage was scanned (`harm-scan all`); harmful ones are dropped.\n\n");
    fprintf(f, "| source | documents | scanned | harmful | rate | 95%% interval (Wilson) | rejected |\n"
               "|---|---:|---:|---:|---:|---|---|\n");
    json_t *src = json_object_get(stats, "sources");
    size_t n;
    const char **keys = sorted_keys(src, &n);
    for (size_t i = 0; keys && i < n; i++) {
        json_t *v = json_object_get(src, keys[i]), *ci = json_object_get(v, "harm_rate_ci95");
        if (!json_object_get(v, "scanned")) continue;
        fprintf(f, "| %s | %lld | %lld | %lld | %.2f%% | %.2f%%-%.2f%% | %s |\n", keys[i], (long long)geti(v, "harm_population"),
                (long long)geti(v, "scanned"), (long long)geti(v, "harmful"), 100 * json_real_value(json_object_get(v, "harm_rate")),
                100 * json_real_value(json_array_get(ci, 0)), 100 * json_real_value(json_array_get(ci, 1)),
                json_is_true(json_object_get(v, "rejected")) ? "yes" : "no");
    }
    free(keys);
    fputc('\n', f);
}

static void card_representation(FILE *f, json_t *stats, const sw_identity *id) {
    json_t *idn = json_object_get(stats, "identity");
    json_int_t kept = geti(stats, "documents_out");
    fprintf(f, "## Representation\n\nIdentity terms by group (`data/dataset/identity-terms.tsv`, whole words): the "
               "documents kept that mention at least one term of the group, and each term's occurrences. A coarse "
               "probe of who the text talks about, not of how.\n\n| group | documents | share | terms (occurrences) |\n|---|---:|---:|---|\n");
    static const char *const groups[] = {"gender", "ethnicity", "religion", "nationality", "region", "age", "disability"};
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        json_t *gr = json_object_get(idn, groups[g]);
        json_int_t docs = geti(gr, "documents");
        fprintf(f, "| %s | %lld | %.1f%% | ", groups[g], (long long)docs, kept ? 100.0 * (double)docs / (double)kept : 0.0);
        int first = 1;
        for (int i = 0; id && i < sw_identity_terms(id); i++) {
            if (strcmp(sw_identity_group(id, i), groups[g]) != 0) continue;
            json_int_t c = geti(json_object_get(gr, "terms"), sw_identity_term(id, i));
            if (c) fprintf(f, "%s%s (%lld)", first ? "" : ", ", sw_identity_term(id, i), (long long)c), first = 0;
        }
        fprintf(f, "%s |\n", first ? "none" : "");
    }
    fputc('\n', f);
}

int sw_data_card_write(const char *path, json_t *stats, const sw_identity *id, sw_err *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return sw_err_set(err, "%s: cannot write", tmp);
    fprintf(f, "# Dataset card\n\nWritten by `steward data build` after *Datasheets for Datasets* (Gebru et al. 2021). "
               "Fill in the sections marked *(owner)*; the figures come from `stats.json`.\n\n"
               "## Motivation\n\n*(owner)* Why the dataset was created, by whom, and who funded it. steward builds "
               "training sets whose every decision is recorded (Consensus articles 07 and 09).\n\n"
               "## Composition\n\n%lld documents kept of %lld read (%lld of %lld bytes), in %lld shard(s).\n\n",
            (long long)geti(stats, "documents_out"), (long long)geti(stats, "documents_in"), (long long)geti(stats, "bytes_out"),
            (long long)geti(stats, "bytes_in"), (long long)geti(stats, "shards"));
    card_table(f, json_object_get(stats, "languages"), "language");
    card_table(f, json_object_get(stats, "licences"), "licence (SPDX)");
    card_table(f, json_object_get(stats, "sources"), "source");
    fprintf(f, "## Collection process\n\nEach input document carries its provenance: `source`, `license` (SPDX), "
               "`consent` for personal data (`yes`, `no`, `unknown`, `not-applicable`), and optionally `url`, `date`, "
               "`lang`. *(owner)* How the sources were collected, over what time frame, and whether the people "
               "concerned were told.\n\n");
    card_preprocessing(f, stats);
    card_harm(f, stats);
    card_representation(f, stats, id);
    fprintf(f, "## Uses\n\nTraining language models with `steward train` (the shards in `shards/`). *(owner)* Uses to "
               "avoid.\n\n## Distribution\n\nEach document keeps its licence in `clean.jsonl`; the dataset may be "
               "distributed only under terms compatible with all of them (see the licence table).\n\n"
               "## Maintenance\n\n*(owner)* Who maintains the dataset and how errors are reported. Rebuilding from the "
               "same inputs and policy gives the same bytes; the audit log holds a lineage record linking the inputs' "
               "hashes to these outputs'.\n");
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) return sw_err_set(err, "%s: cannot write", path);
    return 0;
}
