/* journal.c - the first pass of a build: reads the inputs in fixed-size chunks, runs the
 * per-document stages on all cores and commits each chunk's records to the journal in
 * OUT/.journal (write, fsync, rename), so that a rerun skips the chunks already done. */
#include "build_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int is_jsonl(const char *path) {
    size_t n = strlen(path);
    return (n > 6 && strcmp(path + n - 6, ".jsonl") == 0) || (n > 5 && strcmp(path + n - 5, ".json") == 0);
}

void sw_data_reader_close(sw_data_reader *r) {
    if (r->f) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Opens input r->input (r->f). -1 with err when it cannot be opened. */
static int open_input(sw_data_reader *r, sw_err *err) {
    const char *path = r->inputs[r->input];
    r->line = 0;
    r->jsonl = is_jsonl(path);
    if (!r->jsonl) return 0;
    if (!(r->f = fopen(path, "rb"))) return sw_err_set(err, "%s: %s", path, strerror(errno));
    return 0;
}

int sw_data_reader_next(sw_data_reader *r, sw_data_raw *out, int keep, sw_err *err) {
    memset(out, 0, sizeof *out);
    while (r->input < r->n_inputs) {
        if (!r->opened) {
            if (open_input(r, err)) return -1;
            r->opened = 1;
        }
        const char *path = r->inputs[r->input];
        if (!r->jsonl) { /* one document per plain text file */
            r->opened = 0;
            out->input = r->input++;
            out->line = 1;
            struct stat st;
            if (!keep && stat(path, &st) == 0) out->len = (size_t)st.st_size;
            if (keep) {
                sw_buf b = {0};
                if (sw_read_file(path, &b, err)) return -1;
                out->text = b.data ? b.data : strdup("");
                out->len = b.len;
                if (!out->text) return sw_err_set(err, "%s: out of memory", path);
            }
            return 1;
        }
        ssize_t n;
        while ((n = getline(&r->buf, &r->cap, r->f)) >= 0) {
            r->line++;
            while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r')) n--;
            if (n == 0) continue;
            out->input = r->input;
            out->line = r->line;
            out->jsonl = 1;
            out->len = (size_t)n;
            if (keep) {
                if (!(out->text = malloc((size_t)n + 1))) return sw_err_set(err, "%s: out of memory", path);
                memcpy(out->text, r->buf, (size_t)n);
                out->text[n] = 0;
            }
            return 1;
        }
        if (ferror(r->f)) return sw_err_set(err, "%s: read error", path);
        fclose(r->f);
        r->f = NULL;
        r->opened = 0;
        r->input++;
    }
    return 0;
}

int sw_data_make_doc(const sw_data_build_ctx *b, sw_data_raw *raw, sw_data_doc *d, json_t *rec) {
    sw_err e = {{0}};
    const char *path = b->o->inputs[raw->input];
    if (raw->jsonl) {
        if (sw_data_doc_parse_json(raw->text, raw->len, d, path, (int)raw->line, &e) == 0) return 0;
        json_array_append_new(json_object_get(rec, "decisions"),
                              json_pack("{s:s, s:s, s:s, s:s}", "stage", "input", "rule", "input.malformed",
                                        "action", "drop", "detail", e.msg));
        return 1;
    }
    if (!sw_utf8_valid((const unsigned char *)raw->text, raw->len)) {
        json_array_append_new(json_object_get(rec, "decisions"),
                              json_pack("{s:s, s:s, s:s}", "stage", "input", "rule", "input.invalid_utf8", "action", "drop"));
        return 1;
    }
    memset(d, 0, sizeof *d);
    d->text = raw->text, d->len = raw->len;
    raw->text = NULL;
    d->source = b->o->text_source ? strdup(b->o->text_source) : NULL;
    d->license = b->o->text_license ? strdup(b->o->text_license) : NULL;
    d->consent = b->o->text_consent;
    d->consent_valid = 1;
    return 0;
}

/* What a chunk's summary needs of one record: its source (NULL: none) and whether the
 * guard scanned it (harmful: 1 or 0; -1 when not scanned). */
typedef struct {
    char *source;
    int harmful;
} harm_tally;

/* Runs the stages on one raw document; returns its record as one JSON line (malloc'd),
 * or NULL with err. *tally receives the record's source (malloc'd) and harm state. */
static char *process_one(const sw_data_build_ctx *b, sw_data_raw *raw, uint64_t id, harm_tally *tally, sw_err *err) {
    json_t *rec = json_pack("{s:I, s:s, s:I, s:[]}", "id", (json_int_t)id, "input", b->o->inputs[raw->input],
                            "line", (json_int_t)raw->line, "decisions");
    if (!rec) return sw_err_set(err, "out of memory"), NULL;
    sw_data_doc d = {0};
    char *line = NULL;
    if (sw_data_make_doc(b, raw, &d, rec)) {
        json_object_set_new(rec, "bytes", json_integer((json_int_t)raw->len));
        json_object_set_new(rec, "keep", json_false());
    } else if (!sw_data_stage_run(&b->stages, &d, rec, err)) {
        goto out;
    }
    const char *src = json_string_value(json_object_get(rec, "source"));
    json_t *harmful = json_object_get(rec, "harmful");
    tally->harmful = harmful ? json_is_true(harmful) : -1;
    if ((src && !(tally->source = strdup(src))) || !(line = json_dumps(rec, JSON_COMPACT))) sw_err_set(err, "out of memory");
out:
    sw_data_doc_clear(&d);
    json_decref(rec);
    return line;
}

/* Writes data to path durably (tmp file, fsync, rename). -1 with err. */
int sw_data_write_durable(const char *path, const sw_buf *data, sw_err *err) {
    char tmp[SW_DATA_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return sw_err_set(err, "%s: %s", tmp, strerror(errno));
    if (sw_write_all(fd, data->data, data->len) < 0) {
        int e = errno;
        close(fd);
        return sw_err_set(err, "%s: %s", tmp, strerror(e));
    }
    if (fsync(fd) || close(fd)) return sw_err_set(err, "%s: %s", tmp, strerror(errno));
    if (rename(tmp, path)) return sw_err_set(err, "%s: %s", path, strerror(errno));
    return 0;
}

void sw_data_chunk_path(const sw_data_build_ctx *b, uint64_t chunk, const char *ext, char *out, size_t n) {
    snprintf(out, n, "%s/chunk-%06llu.%s", b->journal, (unsigned long long)chunk, ext);
}

/* Per-source counts of the documents the guard scanned (those past the licence stage)
 * and of the harmful ones, as {"source": [scanned, harmful]}. */
static json_t *chunk_summary(const harm_tally *t, size_t n) {
    json_t *sum = json_object();
    for (size_t i = 0; i < n; i++) {
        if (!t[i].source || t[i].harmful < 0) continue;
        json_t *e = json_object_get(sum, t[i].source);
        if (!e) json_object_set_new(sum, t[i].source, e = json_pack("[i, i]", 0, 0));
        json_array_set_new(e, 0, json_integer(json_integer_value(json_array_get(e, 0)) + 1));
        if (t[i].harmful) json_array_set_new(e, 1, json_integer(json_integer_value(json_array_get(e, 1)) + 1));
    }
    return sum;
}

/* Processes one chunk in parallel and commits it. -1 with err. */
static int run_chunk(sw_data_build_ctx *b, sw_data_raw *raws, size_t n, uint64_t first_id, uint64_t chunk,
                     sw_err *err) {
    char **lines = calloc(n ? n : 1, sizeof *lines);
    harm_tally *tally = calloc(n ? n : 1, sizeof *tally);
    if (!lines || !tally) return free(lines), free(tally), sw_err_set(err, "out of memory");
    int failed = 0;
    sw_err first_err = {{0}};
#pragma omp parallel for schedule(dynamic, 1) num_threads(b->threads)
    for (size_t i = 0; i < n; i++) {
        sw_err e = {{0}};
        lines[i] = process_one(b, &raws[i], first_id + i, &tally[i], &e);
        if (!lines[i]) {
#pragma omp critical(sw_data_err)
            if (!failed) failed = 1, first_err = e;
        }
    }
    int rc = -1;
    sw_buf body = {0}, sumb = {0};
    if (failed) {
        *err = first_err;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (sw_buf_puts(&body, lines[i]) || sw_buf_puts(&body, "\n")) goto oom;
    json_t *sum = chunk_summary(tally, n);
    char *s = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(sum);
    if (!s || sw_buf_puts(&sumb, s)) {
        free(s);
        goto oom;
    }
    free(s);
    char path[SW_DATA_PATH_MAX];
    sw_data_chunk_path(b, chunk, "sum", path, sizeof path);
    if (sw_data_write_durable(path, &sumb, err)) goto out;
    sw_data_chunk_path(b, chunk, "jsonl", path, sizeof path);
    if (sw_data_write_durable(path, &body, err)) goto out; /* the commit point */
    rc = 0;
    goto out;
oom:
    sw_err_set(err, "out of memory");
out:
    for (size_t i = 0; i < n; i++) free(lines[i]), free(tally[i].source);
    free(lines);
    free(tally);
    sw_buf_free(&body);
    sw_buf_free(&sumb);
    return rc;
}

static int chunk_done(const sw_data_build_ctx *b, uint64_t chunk) {
    char path[SW_DATA_PATH_MAX];
    struct stat st;
    sw_data_chunk_path(b, chunk, "jsonl", path, sizeof path);
    return stat(path, &st) == 0;
}

static void free_raws(sw_data_raw *raws, size_t n) {
    for (size_t i = 0; i < n; i++) free(raws[i].text);
}

int sw_data_pass1(sw_data_build_ctx *b, sw_data_report *rep, sw_err *err) {
    sw_data_reader r = {.inputs = b->o->inputs, .n_inputs = b->o->n_inputs};
    size_t cap = (size_t)b->chunk_docs;
    sw_data_raw *raws = calloc(cap, sizeof *raws);
    if (!raws) return sw_err_set(err, "out of memory");
    uint64_t chunk = 0, id = 0, new_chunks = 0;
    int rc = 0;
    for (;; chunk++) {
        int keep = !chunk_done(b, chunk), got = 0;
        size_t n = 0;
        while (n < cap && (got = sw_data_reader_next(&r, &raws[n], keep, err)) == 1) n++;
        if (got < 0) {
            rc = -1;
            free_raws(raws, n);
            break;
        }
        if (n == 0) break;
        if (keep) {
            rc = run_chunk(b, raws, n, id, chunk, err);
            new_chunks++;
        } else {
            rep->chunks_resumed++;
        }
        for (size_t i = 0; i < n; i++) rep->bytes_in += raws[i].len;
        free_raws(raws, n);
        id += n;
        if (rc) break;
        if (b->o->progress) b->o->progress(b->o->progress_ud, id, rep->bytes_in, "filter");
        if (b->o->stop_after_chunks && new_chunks >= b->o->stop_after_chunks) {
            rep->stopped = 1;
            break;
        }
        if (n < cap) {
            chunk++;
            break;
        }
    }
    b->n_chunks = chunk;
    rep->docs_in = id;
    sw_data_reader_close(&r);
    free(raws);
    return rc;
}
