/* build.c - `data build`: sets up the stages, runs pass 1 (journal.c), then pass 2 in
 * input order: sources over the harm limit rejected whole, exact and near-duplicate
 * removal, and the outputs (clean.jsonl, lineage.jsonl, stats.json, card.md, shards/)
 * with a lineage record in the audit log. */
#include "build_int.h"
#include "steward/audit.h"
#include "steward/gguf.h"
#include "steward/guard.h"
#include "steward/tokenizer.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define SHARD_BYTES (64u << 20) /* a shard is cut at the first document end past 64 MiB */
#define MAX_SHARDS 4096
#define EXACT_INITIAL_SLOTS 4096
#define PARA_MIN_BYTES 64 /* shorter paragraphs are never near-duplicate candidates */

/* ---- a set of 64-bit keys with the id that first had each ---- */
typedef struct {
    uint64_t *k;
    int64_t *v;
    size_t mask, used;
} u64map;

static int64_t *u64map_slot(u64map *m, uint64_t key, int *found) {
    key = key ? key : 1;
    size_t i = (size_t)key & m->mask;
    while (m->k[i] && m->k[i] != key) i = (i + 1) & m->mask;
    *found = m->k[i] != 0;
    m->k[i] = key;
    return &m->v[i];
}

/* Returns the id that had key first, or -1 after recording id for it; INT64_MIN when
 * memory runs out (nothing recorded). */
static int64_t u64map_first(u64map *m, uint64_t key, int64_t id) {
    if ((m->used + 1) * 2 > m->mask + 1 || !m->k) {
        size_t cap = m->k ? (m->mask + 1) * 2 : EXACT_INITIAL_SLOTS;
        u64map n = {calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(int64_t)), cap - 1, 0};
        if (!n.k || !n.v) return free(n.k), free(n.v), INT64_MIN;
        for (size_t i = 0; m->k && i <= m->mask; i++) {
            int f;
            if (m->k[i]) *u64map_slot(&n, m->k[i], &f) = m->v[i];
        }
        n.used = m->used;
        free(m->k);
        free(m->v);
        *m = n;
    }
    int found;
    int64_t *v = u64map_slot(m, key, &found);
    if (found) return *v;
    *v = id;
    m->used++;
    return -1;
}

/* ---- statistics ---- */
static json_t *child(json_t *o, const char *key) {
    json_t *c = json_object_get(o, key);
    if (!c) json_object_set_new(o, key, c = json_object());
    return c;
}
static void add(json_t *o, const char *key, json_int_t by) {
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + by));
}

/* ---- pass 2 ---- */
typedef struct {
    sw_data_build_ctx *b;
    json_t *stats, *harm; /* harm: source -> [docs, harmful] over all chunks */
    u64map exact;
    sw_lsh *lsh, *plsh;
    FILE *clean, *lineage;
    char clean_tmp[SW_DATA_PATH_MAX], lineage_tmp[SW_DATA_PATH_MAX];
    sw_buf shard;
    int n_shards;
    sw_tokenizer *tk; /* token shards beside the text shards when set */
    char tk_sha[2 * SW_SHA256_BYTES + 1];
    uint64_t docs_out, bytes_out, para_seq;
} pass2;

static void decide(json_t *rec, const char *stage, const char *rule, const char *action, json_t *detail) {
    json_t *d = json_pack("{s:s, s:s, s:s}", "stage", stage, "rule", rule, "action", action);
    if (detail) json_object_set_new(d, "detail", detail);
    json_array_append_new(json_object_get(rec, "decisions"), d);
}

/* Sums the chunks' per-source counts. -1 with err. */
static int load_harm(pass2 *p, sw_err *err) {
    p->harm = json_object();
    for (uint64_t c = 0; c < p->b->n_chunks; c++) {
        char path[SW_DATA_PATH_MAX];
        sw_data_chunk_path(p->b, c, "sum", path, sizeof path);
        json_error_t je;
        json_t *s = json_load_file(path, 0, &je);
        if (!json_is_object(s)) {
            json_decref(s);
            return sw_err_set(err, "%s: unreadable journal summary: %s", path, je.text);
        }
        const char *k;
        json_t *v;
        json_object_foreach(s, k, v) {
            json_t *e = json_object_get(p->harm, k);
            if (!e) json_object_set_new(p->harm, k, e = json_pack("[i, i]", 0, 0));
            for (int i = 0; i < 2; i++)
                json_array_set_new(e, (size_t)i, json_integer(json_integer_value(json_array_get(e, (size_t)i)) +
                                                              json_integer_value(json_array_get(v, (size_t)i))));
        }
        json_decref(s);
    }
    return 0;
}

static int source_rejected(const pass2 *p, const char *src) {
    json_t *e = json_object_get(p->harm, src);
    json_int_t docs = json_integer_value(json_array_get(e, 0)), harmful = json_integer_value(json_array_get(e, 1));
    return docs > 0 && (double)harmful / (double)docs > p->b->stages.policy->harm_limit;
}

/* Parses a signature written as hex by the stages. -1 when malformed. */
static int parse_sig(const char *hex, uint32_t *sig) {
    if (!hex || strlen(hex) != SW_MINHASH_K * 8) return -1;
    for (int i = 0; i < SW_MINHASH_K; i++) { /* eight hex digits each, as stage.c writes them */
        uint32_t v = 0;
        for (int j = 0; j < 8; j++) {
            unsigned char c = (unsigned char)hex[8 * i + j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) return -1;
            v = v << 4 | (uint32_t)d;
        }
        sig[i] = v;
    }
    return 0;
}

/* Removes near-duplicate paragraphs of a kept text (rewrites rec's text). -1 on OOM. */
static int dedup_paragraphs(pass2 *p, json_t *rec) {
    const char *t = json_string_value(json_object_get(rec, "text"));
    size_t len = json_string_length(json_object_get(rec, "text")), i = 0;
    sw_buf out = {0};
    int removed = 0, oom = 0;
    while (i < len) {
        const char *e = memmem(t + i, len - i, "\n\n", 2);
        size_t end = e ? (size_t)(e - t) : len;
        int dup = 0;
        if (end - i >= PARA_MIN_BYTES) {
            uint32_t sig[SW_MINHASH_K];
            sw_minhash(t + i, end - i, sig);
            dup = sw_lsh_query_insert(p->plsh, sig, (int64_t)p->para_seq++, p->b->stages.policy->near_dup_jaccard,
                                      NULL, &oom) >= 0;
            if (oom) break;
        }
        if (dup) removed++;
        else if ((out.len && sw_buf_append(&out, "\n\n", 2)) || sw_buf_append(&out, t + i, end - i)) oom = 1;
        i = end + 2;
    }
    if (!oom && removed) {
        decide(rec, "dedup", "dedup.near_paragraph", "edit", json_pack("{s:i}", "paragraphs", removed));
        json_object_set_new(rec, "text", json_stringn(out.data ? out.data : "", out.len));
    }
    sw_buf_free(&out);
    return oom ? -1 : 0;
}

/* Exact and near-duplicate stages of a kept record. Returns 1 when dropped, -1 on OOM. */
static int dedup(pass2 *p, json_t *rec, int64_t id) {
    uint64_t key = strtoull(json_string_value(json_object_get(rec, "exact")) ?: "0", NULL, 16);
    int64_t first = u64map_first(&p->exact, key, id);
    if (first == INT64_MIN) return -1;
    if (first >= 0) return decide(rec, "dedup", "dedup.exact", "drop", json_pack("{s:I}", "of", (json_int_t)first)), 1;
    uint32_t sig[SW_MINHASH_K];
    if (parse_sig(json_string_value(json_object_get(rec, "sig")), sig)) return -1;
    double j = 0;
    int oom = 0;
    int64_t of = sw_lsh_query_insert(p->lsh, sig, id, p->b->stages.policy->near_dup_jaccard, &j, &oom);
    if (oom) return -1;
    if (of >= 0)
        return decide(rec, "dedup", "dedup.near", "drop", json_pack("{s:I, s:f}", "of", (json_int_t)of, "jaccard", j)), 1;
    if (p->b->stages.policy->para_dedup && dedup_paragraphs(p, rec)) return -1;
    if (json_string_length(json_object_get(rec, "text")) == 0)
        return decide(rec, "dedup", "dedup.nothing_left", "drop", NULL), 1;
    return 0;
}

/* Adds a record's decisions and outcome to the statistics. */
static void count_record(pass2 *p, json_t *rec, int kept) {
    json_t *st = p->stats;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(rec, "decisions"), i, d) {
        add(child(child(st, "stages"), json_string_value(json_object_get(d, "stage"))),
            json_string_value(json_object_get(d, "action")), 1);
        add(child(st, "rules"), json_string_value(json_object_get(d, "rule")), 1);
    }
    const char *src = json_string_value(json_object_get(rec, "source"));
    const char *lic = json_string_value(json_object_get(rec, "license"));
    const char *lang = json_string_value(json_object_get(rec, "lang"));
    json_t *groups[] = {src ? child(child(st, "sources"), src) : NULL, lic ? child(child(st, "licences"), lic) : NULL,
                        lang ? child(child(st, "languages"), lang) : NULL};
    size_t out_bytes = kept ? json_string_length(json_object_get(rec, "text")) : 0;
    for (int g = 0; g < 3; g++) {
        if (!groups[g]) continue;
        add(groups[g], "documents", 1);
        add(groups[g], "kept", kept);
        add(groups[g], "bytes_out", (json_int_t)out_bytes);
    }
    const sw_identity *id = p->b->stages.identity;
    json_t *e;
    if (!kept || !id) return;
    json_t *seen = json_object();
    json_array_foreach(json_object_get(rec, "identity"), i, e) {
        int t = (int)json_integer_value(json_array_get(e, 0));
        if (t < 0 || t >= sw_identity_terms(id)) continue;
        json_t *grp = child(child(st, "identity"), sw_identity_group(id, t));
        add(child(grp, "terms"), sw_identity_term(id, t), json_integer_value(json_array_get(e, 1)));
        if (!json_object_get(seen, sw_identity_group(id, t))) {
            json_object_set_new(seen, sw_identity_group(id, t), json_true());
            add(grp, "documents", 1);
        }
    }
    json_decref(seen);
}

/* Writes the current shard (when not empty). -1 with err. */
static int flush_shard(pass2 *p, sw_err *err) {
    if (!p->shard.len) return 0;
    if (p->n_shards >= MAX_SHARDS) return sw_err_set(err, "more than %d shards", MAX_SHARDS);
    char path[SW_DATA_PATH_MAX];
    snprintf(path, sizeof path, "%s/shards/train-%05d.txt", p->b->o->out_dir, p->n_shards);
    int rc = sw_data_write_durable(path, &p->shard, err);
    if (!rc && p->tk) {
        snprintf(path, sizeof path, "%s/shards/train-%05d.tok", p->b->o->out_dir, p->n_shards);
        rc = sw_data_shard_write(path, p->tk, p->tk_sha, p->shard.data, p->shard.len, err);
    }
    p->n_shards++;
    sw_buf_reset(&p->shard);
    return rc;
}

/* Adds a kept record's text to the shard (cut past SHARD_BYTES). -1 with err. */
static int shard_add(pass2 *p, json_t *rec, sw_err *err) {
    json_t *text = json_object_get(rec, "text");
    size_t n = json_string_length(text);
    if ((p->shard.len && sw_buf_append(&p->shard, "\n\n", 2)) || sw_buf_append(&p->shard, json_string_value(text), n))
        return sw_err_set(err, "out of memory");
    p->docs_out++;
    p->bytes_out += n;
    return p->shard.len >= SHARD_BYTES ? flush_shard(p, err) : 0;
}

/* The clean.jsonl line of a kept record (malloc'd, without its newline); NULL on OOM. */
static char *clean_line(json_t *rec) {
    json_t *c = json_pack("{s:O, s:O}", "id", json_object_get(rec, "id"), "text", json_object_get(rec, "text"));
    if (!c) return NULL;
    static const char *const keys[] = {"source", "license", "consent", "url", "date", "lang"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (json_object_get(rec, keys[i])) json_object_set(c, keys[i], json_object_get(rec, keys[i]));
    char *line = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return line;
}

/* The lineage line of a record: its decisions, not its text (malloc'd, without its
 * newline); NULL on OOM. */
static char *lineage_line(json_t *rec, int kept) {
    json_t *l = json_copy(rec); /* shallow: the text is not copied, and only l's keys change */
    if (!l) return NULL;
    if (kept) {
        char sha[2 * SW_SHA256_BYTES + 1];
        json_t *t = json_object_get(rec, "text");
        sw_sha256_hex(json_string_value(t), json_string_length(t), sha);
        json_object_set_new(l, "out_sha256", json_string(sha));
    }
    static const char *const drop[] = {"text", "sig", "exact", "identity", "keep"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++) json_object_del(l, drop[i]);
    json_object_set_new(l, "outcome", json_string(kept ? "kept" : "dropped"));
    char *line = json_dumps(l, JSON_COMPACT);
    json_decref(l);
    return line;
}

/* The decisions of pass 2 on one record, in input order (harm limit, dedup, statistics,
 * shard). Returns 1 when kept, 0 when dropped, -1 with err. */
static int pass2_decide(pass2 *p, json_t *rec, sw_err *err) {
    int kept = json_is_true(json_object_get(rec, "keep"));
    const char *src = json_string_value(json_object_get(rec, "source"));
    if (kept && src && source_rejected(p, src)) {
        decide(rec, "harm", "harm.source_rejected", "drop", NULL);
        kept = 0;
    }
    if (kept) {
        int d = dedup(p, rec, (int64_t)json_integer_value(json_object_get(rec, "id")));
        if (d < 0) return sw_err_set(err, "out of memory or a damaged signature in the journal");
        kept = d == 0;
    }
    count_record(p, rec, kept);
    if (kept && shard_add(p, rec, err)) return -1;
    return kept;
}

/* The records of one journal chunk: its lines, parsed, decided and written out. */
typedef struct {
    char **lines;   /* the journal's lines, then the clean.jsonl lines (NULL: dropped) */
    size_t *lens;
    json_t **recs;
    char **lineage; /* the lineage.jsonl lines */
    signed char *kept;
    size_t n, cap;
} chunk_recs;

static void chunk_recs_clear(chunk_recs *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->lines[i]);
        free(c->lineage[i]);
        json_decref(c->recs[i]);
        c->lines[i] = c->lineage[i] = NULL;
        c->recs[i] = NULL;
    }
    c->n = 0;
}

static void chunk_recs_free(chunk_recs *c) {
    chunk_recs_clear(c);
    free(c->lines);
    free(c->lens);
    free(c->recs);
    free(c->lineage);
    free(c->kept);
}

/* Room for one more record in c. -1 on OOM (c stays valid). */
static int chunk_reserve(chunk_recs *c) {
    if (c->n < c->cap) return 0;
    size_t nc = c->cap ? c->cap * 2 : 256;
    char **nl = realloc(c->lines, nc * sizeof *nl);
    if (nl) c->lines = nl;
    char **ng = realloc(c->lineage, nc * sizeof *ng);
    if (ng) c->lineage = ng;
    size_t *ln = realloc(c->lens, nc * sizeof *ln);
    if (ln) c->lens = ln;
    json_t **nr = realloc(c->recs, nc * sizeof *nr);
    if (nr) c->recs = nr;
    signed char *nk = realloc(c->kept, nc);
    if (nk) c->kept = nk;
    if (!nl || !ng || !ln || !nr || !nk) return -1;
    c->cap = nc;
    return 0;
}

/* Reads the lines of a journal chunk file into c (cleared first). -1 with err. */
static int chunk_read(chunk_recs *c, const char *path, sw_err *err) {
    chunk_recs_clear(c);
    FILE *f = fopen(path, "rb");
    if (!f) return sw_err_set(err, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (chunk_reserve(c)) {
            rc = sw_err_set(err, "out of memory");
            break;
        }
        c->lines[c->n] = line;
        c->lens[c->n] = (size_t)n;
        c->lineage[c->n] = NULL;
        c->recs[c->n++] = NULL;
        line = NULL, lcap = 0;
    }
    free(line);
    fclose(f);
    return rc;
}

/* Parses the chunk's lines on all threads (they are independent). -1 with err naming the
 * first damaged line. */
static int chunk_parse(const pass2 *p, chunk_recs *c, const char *path, sw_err *err) {
    long bad = -1;
#pragma omp parallel for schedule(dynamic, 16) num_threads(p->b->threads)
    for (size_t i = 0; i < c->n; i++) {
        json_t *rec = json_loadb(c->lines[i], c->lens[i], 0, NULL);
        if (!json_is_object(rec)) {
            json_decref(rec);
            rec = NULL;
#pragma omp critical(sw_data_parse)
            if (bad < 0 || (long)i < bad) bad = (long)i;
            continue; /* the line stays for the message */
        }
        c->recs[i] = rec;
        free(c->lines[i]);
        c->lines[i] = NULL;
    }
    if (bad < 0) return 0;
    json_error_t je;
    json_t *again = json_loadb(c->lines[bad], c->lens[bad], 0, &je);
    json_decref(again);
    return sw_err_set(err, "%s:%ld: damaged journal record: %s", path, bad + 1, again ? "not an object" : je.text);
}

/* Writes the chunk's clean and lineage lines on all threads, then in order. -1 with err. */
static int chunk_emit(pass2 *p, chunk_recs *c, sw_err *err) {
    int oom = 0;
#pragma omp parallel for schedule(dynamic, 16) num_threads(p->b->threads) reduction(| : oom)
    for (size_t i = 0; i < c->n; i++) {
        if (c->kept[i] && !(c->lines[i] = clean_line(c->recs[i]))) oom = 1;
        if (!(c->lineage[i] = lineage_line(c->recs[i], c->kept[i]))) oom = 1;
    }
    if (oom) return sw_err_set(err, "out of memory");
    for (size_t i = 0; i < c->n; i++) {
        if (c->lines[i] && (fputs(c->lines[i], p->clean) == EOF || fputc('\n', p->clean) == EOF))
            return sw_err_set(err, "%s: write failed", p->clean_tmp);
        if (fputs(c->lineage[i], p->lineage) == EOF || fputc('\n', p->lineage) == EOF)
            return sw_err_set(err, "%s: write failed", p->lineage_tmp);
    }
    return 0;
}

/* Reads the journal's chunks in order: each parsed on all threads, decided in input
 * order on one, and its lines made on all threads and written in order. -1 with err. */
static int pass2_chunks(pass2 *p, sw_err *err) {
    chunk_recs c = {0};
    int rc = 0;
    for (uint64_t k = 0; k < p->b->n_chunks && !rc; k++) {
        char path[SW_DATA_PATH_MAX];
        sw_data_chunk_path(p->b, k, "jsonl", path, sizeof path);
        rc = chunk_read(&c, path, err) || chunk_parse(p, &c, path, err) ? -1 : 0;
        for (size_t i = 0; i < c.n && !rc; i++) {
            int kept = pass2_decide(p, c.recs[i], err);
            if (kept < 0) rc = -1;
            c.kept[i] = (signed char)(kept > 0);
        }
        if (!rc) rc = chunk_emit(p, &c, err);
        if (p->b->o->progress) p->b->o->progress(p->b->o->progress_ud, (k + 1) * (uint64_t)p->b->chunk_docs, 0, "dedup");
    }
    chunk_recs_free(&c);
    return rc;
}

/* Removes the files of dir whose names start with prefix. */
static void remove_prefixed(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            char path[SW_DATA_PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

/* A key of everything that decides the journal's contents: options, policy, inputs
 * (path, size, modification time). */
static void run_key(const sw_data_build_ctx *b, char out[2 * SW_SHA256_BYTES + 1]) {
    sw_buf k = {0};
    const sw_data_opts *o = b->o;
    sw_buf_printf(&k, "steward %s data v1\nchunk %d\npolicy %s\ntext %s|%s|%d\n", SW_VERSION, b->chunk_docs,
                  b->stages.policy->sha256, o->text_source ? o->text_source : "", o->text_license ? o->text_license : "",
                  (int)o->text_consent);
    for (int i = 0; i < o->n_inputs; i++) {
        struct stat st;
        memset(&st, 0, sizeof st);
        stat(o->inputs[i], &st);
        sw_buf_printf(&k, "input %s %lld %lld.%09ld\n", o->inputs[i], (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                      st.st_mtim.tv_nsec);
    }
    sw_sha256_hex(k.data ? k.data : "", k.len, out);
    sw_buf_free(&k);
}

/* Creates OUT/.journal and OUT/shards; empties a journal left by a different run. -1 with err. */
static int prepare_dirs(sw_data_build_ctx *b, sw_err *err) {
    char path[SW_DATA_PATH_MAX], key[2 * SW_SHA256_BYTES + 1];
    snprintf(b->journal, sizeof b->journal, "%s/.journal", b->o->out_dir);
    snprintf(path, sizeof path, "%s/shards", b->o->out_dir);
    if (sw_mkdirs(b->journal, 0755, err) || sw_mkdirs(path, 0755, err)) return -1;
    run_key(b, key);
    snprintf(path, sizeof path, "%s/run.key", b->journal);
    sw_buf old = {0};
    sw_err ignore;
    int same = sw_read_file(path, &old, &ignore) == 0 && old.len == strlen(key) && memcmp(old.data, key, old.len) == 0;
    sw_buf_free(&old);
    if (same) return 0;
    remove_prefixed(b->journal, "chunk-");
    sw_buf kb = {0};
    int rc = sw_buf_puts(&kb, key) ? sw_err_set(err, "out of memory") : sw_data_write_durable(path, &kb, err);
    sw_buf_free(&kb);
    return rc;
}

/* Adds the per-source harm figures to the statistics. */
static void finish_stats(pass2 *p, const sw_data_report *rep) {
    json_t *st = p->stats;
    const char *k;
    json_t *v;
    json_object_foreach(p->harm, k, v) {
        json_t *s = child(child(st, "sources"), k);
        json_int_t docs = json_integer_value(json_array_get(v, 0)), harmful = json_integer_value(json_array_get(v, 1));
        double lo, hi;
        sw_data_wilson((uint64_t)harmful, (uint64_t)docs, &lo, &hi);
        /* in harm-scan all, every document past the licence stage is scanned */
        uint64_t population = p->b->sample ? sw_data_sample_population(p->b->sample, k) : (uint64_t)docs;
        json_object_set_new(s, "harm_population", json_integer((json_int_t)population));
        json_object_set_new(s, "scanned", json_integer(docs));
        json_object_set_new(s, "harmful", json_integer(harmful));
        json_object_set_new(s, "harm_rate", json_real(docs ? (double)harmful / (double)docs : 0));
        json_object_set_new(s, "harm_rate_ci95", json_pack("[f, f]", lo, hi));
        json_object_set_new(s, "rejected", json_boolean(source_rejected(p, k)));
    }
    const sw_data_policy *pol = p->b->stages.policy;
    json_object_set_new(st, "harm_scan", json_string(pol->harm_sample_on ? "sample" : "all"));
    if (pol->harm_sample_on) json_object_set_new(st, "harm_sample", json_integer(pol->harm_sample));
    json_object_set_new(st, "documents_in", json_integer((json_int_t)rep->docs_in));
    json_object_set_new(st, "documents_out", json_integer((json_int_t)p->docs_out));
    json_object_set_new(st, "bytes_in", json_integer((json_int_t)rep->bytes_in));
    json_object_set_new(st, "bytes_out", json_integer((json_int_t)p->bytes_out));
    json_object_set_new(st, "shards", json_integer(p->n_shards));
    json_object_set_new(st, "policy_sha256", json_string(p->b->stages.policy->sha256));
    json_object_set_new(st, "harm_limit", json_real(p->b->stages.policy->harm_limit));
    json_object_set_new(st, "near_dup_jaccard", json_real(p->b->stages.policy->near_dup_jaccard));
}

/* Opens OUT/NAME.tmp for writing into *f (path in tmp). -1 with err. */
static int open_tmp(const char *out_dir, const char *name, FILE **f, char *tmp, sw_err *err) {
    snprintf(tmp, SW_DATA_PATH_MAX, "%s/%s.tmp", out_dir, name);
    if (!(*f = fopen(tmp, "wb"))) return sw_err_set(err, "%s: %s", tmp, strerror(errno));
    return 0;
}

/* Flushes, syncs, closes and renames OUT/NAME.tmp to OUT/NAME. -1 with err. */
static int commit_tmp(FILE **f, const char *tmp, sw_err *err) {
    char path[SW_DATA_PATH_MAX];
    snprintf(path, sizeof path, "%.*s", (int)(strlen(tmp) - 4), tmp);
    int bad = fflush(*f) || fsync(fileno(*f));
    bad |= fclose(*f) != 0;
    *f = NULL;
    if (bad || rename(tmp, path)) return sw_err_set(err, "%s: %s", path, strerror(errno));
    return 0;
}

static void pass2_free(pass2 *p) {
    if (p->clean) fclose(p->clean);
    if (p->lineage) fclose(p->lineage);
    json_decref(p->stats);
    json_decref(p->harm);
    free(p->exact.k);
    free(p->exact.v);
    sw_lsh_free(p->lsh);
    sw_lsh_free(p->plsh);
    sw_buf_free(&p->shard);
    sw_tokenizer_free(p->tk);
}

/* Loads the tokenizer of the token shards (when asked for). -1 with err. */
static int open_tokenizer(pass2 *p, sw_err *err) {
    const char *path = p->b->o->tokenizer;
    if (!path) return 0;
    sw_gguf *g = NULL;
    int rc = sw_sha256_file_hex(path, p->tk_sha, err) || sw_gguf_open(path, &g, err) || sw_tokenizer_from_gguf(g, &p->tk, err);
    sw_gguf_close(g);
    return rc ? sw_err_prefix(err, "tokenizer %s", path) : 0;
}

/* Pass 2 and the outputs. -1 with err. */
static int run_pass2(sw_data_build_ctx *b, sw_data_report *rep, sw_err *err) {
    pass2 p = {.b = b, .stats = json_object()};
    char shards[SW_DATA_PATH_MAX], path[SW_DATA_PATH_MAX];
    snprintf(shards, sizeof shards, "%s/shards", b->o->out_dir);
    remove_prefixed(shards, "train-");
    int rc = -1;
    if (!(p.lsh = sw_lsh_new()) || !(p.plsh = sw_lsh_new())) {
        sw_err_set(err, "out of memory");
        goto out;
    }
    if (open_tokenizer(&p, err) || load_harm(&p, err) || open_tmp(b->o->out_dir, "clean.jsonl", &p.clean, p.clean_tmp, err) ||
        open_tmp(b->o->out_dir, "lineage.jsonl", &p.lineage, p.lineage_tmp, err) || pass2_chunks(&p, err) ||
        flush_shard(&p, err))
        goto out;
    finish_stats(&p, rep);
    char *s = json_dumps(p.stats, JSON_INDENT(2) | JSON_SORT_KEYS);
    sw_buf sb = {0};
    snprintf(path, sizeof path, "%s/stats.json", b->o->out_dir);
    int bad = !s || sw_buf_puts(&sb, s) || sw_buf_puts(&sb, "\n");
    free(s);
    if (bad) sw_err_set(err, "out of memory");
    if (bad || sw_data_write_durable(path, &sb, err)) {
        sw_buf_free(&sb);
        goto out;
    }
    sw_buf_free(&sb);
    snprintf(path, sizeof path, "%s/card.md", b->o->out_dir);
    if (sw_data_card_write(path, p.stats, b->stages.identity, err) || commit_tmp(&p.clean, p.clean_tmp, err) ||
        commit_tmp(&p.lineage, p.lineage_tmp, err))
        goto out;
    rep->docs_out = p.docs_out;
    rep->bytes_out = p.bytes_out;
    b->n_shards = p.n_shards;
    rc = 0;
out:
    pass2_free(&p);
    return rc;
}

/* Appends the "data" lineage record: the inputs' and policy's hashes to the outputs'. -1 with err. */
static int record_lineage(const sw_data_build_ctx *b, sw_data_report *rep, sw_err *err) {
    const sw_data_opts *o = b->o;
    int per_shard = o->tokenizer ? 2 : 1; /* text, and tokens */
    size_t nin = (size_t)o->n_inputs + 2, nout = 4 + (size_t)b->n_shards * (size_t)per_shard;
    sw_audit_artifact *in = calloc(nin, sizeof *in), *out = calloc(nout, sizeof *out);
    char(*hin)[65] = calloc(nin, 65), (*hout)[65] = calloc(nout, 65), (*names)[SW_DATA_PATH_MAX] = calloc(nout, SW_DATA_PATH_MAX);
    int rc = -1;
    if (!in || !out || !hin || !hout || !names) {
        sw_err_set(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < o->n_inputs; i++) {
        if (sw_sha256_file_hex(o->inputs[i], hin[i], err)) goto done;
        in[i] = (sw_audit_artifact){"input", o->inputs[i], hin[i]};
    }
    in[o->n_inputs] = (sw_audit_artifact){"policy", "data policy", b->stages.policy->sha256};
    if (o->tokenizer) {
        if (sw_sha256_file_hex(o->tokenizer, hin[o->n_inputs + 1], err)) goto done;
        in[o->n_inputs + 1] = (sw_audit_artifact){"tokenizer", o->tokenizer, hin[o->n_inputs + 1]};
    } else {
        nin--;
    }
    static const char *const files[] = {"clean.jsonl", "lineage.jsonl", "stats.json", "card.md"};
    static const char *const roles[] = {"dataset", "lineage", "statistics", "dataset_card"};
    for (size_t i = 0; i < nout; i++) {
        if (i < 4) snprintf(names[i], SW_DATA_PATH_MAX, "%s/%s", o->out_dir, files[i]);
        else snprintf(names[i], SW_DATA_PATH_MAX, "%s/shards/train-%05d.%s", o->out_dir, (int)(i - 4) / per_shard,
                      (i - 4) % (size_t)per_shard ? "tok" : "txt");
        if (sw_sha256_file_hex(names[i], hout[i], err)) goto done;
        out[i] = (sw_audit_artifact){i < 4 ? roles[i] : "shard", names[i], hout[i]};
    }
    char details[256];
    snprintf(details, sizeof details, "{\"documents_in\":%llu,\"documents_out\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu}",
             (unsigned long long)rep->docs_in, (unsigned long long)rep->docs_out, (unsigned long long)rep->bytes_in,
             (unsigned long long)rep->bytes_out);
    rc = sw_audit_lineage_home(o->home, "data", "steward data build", in, nin, out, nout, details, &rep->audit_index, err);
    rep->audited = rc == 0;
done:
    free(in);
    free(out);
    free(hin);
    free(hout);
    free(names);
    return rc;
}

/* Loads the guard, language profiles and identity terms. -1 with err. */
static int open_stages(sw_data_build_ctx *b, sw_err *err) {
    char dir[SW_DATA_PATH_MAX], path[SW_DATA_PATH_MAX + 64];
    const char *data_dir = b->o->data_dir;
    if (!data_dir) {
        if (sw_guard_data_dir(dir, sizeof dir, err)) return -1;
        data_dir = dir;
    }
    sw_guard_opts go = {.data_dir = data_dir};
    b->stages.policy = b->o->policy;
    if (!(b->stages.guard = sw_guard_open(&go, err))) return -1;
    if (!(b->stages.langid = sw_langid_open_default(data_dir, err))) return -1;
    snprintf(path, sizeof path, "%s/dataset/identity-terms.tsv", data_dir);
    if (!(b->stages.identity = sw_identity_load(path, err))) return -1;
    return 0;
}

static void close_stages(sw_data_build_ctx *b) {
    sw_guard_free((sw_guard *)b->stages.guard);
    sw_langid_free((sw_langid *)b->stages.langid);
    sw_identity_free((sw_identity *)b->stages.identity);
}

int sw_data_build(const sw_data_opts *o, sw_data_report *rep, sw_err *err) {
    memset(rep, 0, sizeof *rep);
    if (!o->n_inputs || !o->out_dir || !o->policy) return sw_err_set(err, "data build: inputs, an output directory and a policy are needed");
    if (strlen(o->out_dir) > SW_DATA_DIR_MAX - 64) return sw_err_set(err, "data build: output directory path too long");
    if (o->n_inputs > SW_DATA_MAX_INPUTS) return sw_err_set(err, "data build: more than %d inputs", SW_DATA_MAX_INPUTS);
    uint64_t t0 = sw_now_ns();
    sw_data_build_ctx b = {.o = o, .chunk_docs = o->chunk_docs > 0 ? o->chunk_docs : SW_DATA_CHUNK_DOCS};
    b.threads = o->threads;
#ifdef _OPENMP
    if (b.threads <= 0) b.threads = omp_get_num_procs();
#endif
    if (b.threads <= 0) b.threads = 1;
    int rc = -1;
    if (sw_crypto_init(err) || open_stages(&b, err)) goto out;
    if (sw_mkdirs(o->out_dir, 0755, err) || prepare_dirs(&b, err)) goto out;
    if (o->policy->harm_sample_on && sw_data_pass0(&b, err)) goto out;
    if (sw_data_pass1(&b, rep, err)) goto out;
    if (rep->stopped) {
        rc = 0;
        goto out;
    }
    if (run_pass2(&b, rep, err)) goto out;
    if (o->home && record_lineage(&b, rep, err)) goto out;
    remove_prefixed(b.journal, "chunk-");
    remove_prefixed(b.journal, "run.key");
    rmdir(b.journal);
    rc = 0;
out:
    close_stages(&b);
    sw_data_sample_free(b.sample);
    rep->seconds = (double)(sw_now_ns() - t0) / 1e9;
    return rc;
}
