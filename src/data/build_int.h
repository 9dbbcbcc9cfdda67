/* build_int.h - the state of one `data build` shared by its two passes (journal.c, build.c). */
#ifndef STEWARD_DATA_BUILD_INT_H
#define STEWARD_DATA_BUILD_INT_H

#include "data_int.h"

#include <stdio.h>

#define SW_DATA_PATH_MAX 4096
#define SW_DATA_DIR_MAX 2048 /* the output directory's path, so that its files' paths fit */

typedef struct sw_data_build_ctx {
    const sw_data_opts *o;
    sw_data_stage_ctx stages;
    int threads, chunk_docs;
    char journal[SW_DATA_DIR_MAX]; /* OUT/.journal */
    uint64_t n_chunks;              /* chunks of the inputs (set by pass 1) */
    int n_shards;                   /* shards written (set by pass 2) */
    sw_data_sample *sample;         /* harm-scan sample: the sources' samples (set by pass 0) */
} sw_data_build_ctx;

/* One raw input document: a JSONL line or a whole text file (text NULL when skipped;
 * len is its size in bytes either way). */
typedef struct sw_data_raw {
    char *text;
    size_t len;
    int input;
    long line;
    int jsonl;
} sw_data_raw;

/* Streams the documents of the inputs in order. */
typedef struct sw_data_reader {
    const char *const *inputs;
    int n_inputs, input, opened, jsonl;
    FILE *f;
    long line;
    char *buf;
    size_t cap;
} sw_data_reader;
/* The next document (its text loaded only when keep). 1, 0 at the end, -1 with err. */
int sw_data_reader_next(sw_data_reader *r, sw_data_raw *out, int keep, sw_err *err);
void sw_data_reader_close(sw_data_reader *r);

/* Builds the document of a raw input: parsed JSON, or a text file with the provenance of
 * the options (raw->text moves into d). 0, or 1 when the input is malformed (a decision
 * is recorded in rec). d is cleared by the caller either way. */
struct json_t;
int sw_data_make_doc(const sw_data_build_ctx *b, sw_data_raw *raw, sw_data_doc *d, struct json_t *rec);
/* Pass 0 (`harm-scan sample`): reads every input once and sets b->sample and
 * b->stages.sample to each source's sample. -1 with err. */
int sw_data_pass0(sw_data_build_ctx *b, sw_err *err);
/* Pass 1: runs the stages over every chunk not yet in the journal. -1 with err. */
int sw_data_pass1(sw_data_build_ctx *b, sw_data_report *rep, sw_err *err);
/* The journal file of a chunk ("jsonl" records, "sum" per-source counts). */
void sw_data_chunk_path(const sw_data_build_ctx *b, uint64_t chunk, const char *ext, char *out, size_t n);
/* Writes data to path through path.tmp, fsync and rename. -1 with err. */
int sw_data_write_durable(const char *path, const sw_buf *data, sw_err *err);

#endif
