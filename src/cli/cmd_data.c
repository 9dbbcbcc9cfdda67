/* cmd_data.c - `steward data build`: raw text with provenance in, a training set and the
 * record of every decision made on it out (the work is sw_data_build's). */
#include "cli.h"
#include "steward/data.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CMD "data build"
#define MAX_POS SW_DATA_MAX_INPUTS

typedef struct {
    uint64_t t0;
} progress_state;

/* Progress on a terminal: documents and megabytes so far, and the rate. */
static void progress(void *ud, uint64_t docs, uint64_t bytes, const char *phase) {
    progress_state *p = ud;
    double s = (double)(sw_now_ns() - p->t0) / 1e9;
    if (strcmp(phase, "filter") == 0)
        fprintf(stderr, "\rsteward data build: %s %llu documents, %.1f MB (%.1f MB/s)   ", phase,
                (unsigned long long)docs, (double)bytes / 1e6, s > 0 ? (double)bytes / 1e6 / s : 0.0);
    else
        fprintf(stderr, "\rsteward data build: %s up to document %llu                    ", phase, (unsigned long long)docs);
}

static int cmd_build(int argc, char **argv) {
    const char *licences = NULL, *policy_path = NULL, *out = NULL, *source = NULL, *license = NULL, *consent = "unknown",
               *tokenizer = NULL;
    int threads = 0, chunk = 0, stop_after = 0, quiet = 0;
    sw_opt opts[] = {
        {"out", SW_OPT_STR, &out, "DIR", "output directory (required)"},
        {"licences", SW_OPT_STR, &licences, "SPDX,...", "licences allowed, added to the policy's"},
        {"policy", SW_OPT_STR, &policy_path, "FILE", "data policy (default data/policy/data.policy)"},
        {"threads", SW_OPT_INT, &threads, "N", "threads (default: all cores)"},
        {"tokenizer", SW_OPT_STR, &tokenizer, "FILE.gguf", "also write token shards (train-N.tok) with this vocabulary"},
        {"source", SW_OPT_STR, &source, "NAME", "source of plain text inputs"},
        {"license", SW_OPT_STR, &license, "SPDX", "licence of plain text inputs"},
        {"consent", SW_OPT_STR, &consent, "C", "consent of plain text inputs: yes, no, unknown (default), not-applicable"},
        {"chunk-docs", SW_OPT_INT, &chunk, "N", "documents per journaled chunk (default 1024)"},
        {"stop-after-chunks", SW_OPT_INT, &stop_after, "N", "stop after N new chunks, as if interrupted (tests)"},
        {"quiet", SW_OPT_FLAG, &quiet, NULL, "no progress line"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[MAX_POS];
    int npos = 0;
    int rc = sw_cli_parse(CMD,
                          "data build [--licences SPDX,...] [--policy FILE] [--threads N] --out DIR INPUT...\n"
                          "INPUT: JSONL ({\"text\", \"source\", \"license\", \"consent\", \"url\"?, \"date\"?, \"lang\"?} per line)\n"
                          "or plain text files (one document each; provenance from --source --license --consent).\n"
                          "Writes DIR/clean.jsonl, lineage.jsonl, stats.json, card.md and shards/; an interrupted run\n"
                          "resumes from DIR/.journal. See docs/data.md.",
                          opts, argc, argv, pos, MAX_POS, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!out || npos == 0) return sw_cli_usage_error(CMD, "--out and at least one INPUT are required");
    int c = sw_data_consent_parse(consent);
    if (c < 0) return sw_cli_usage_error(CMD, "--consent must be yes, no, unknown or not-applicable");
    if (threads < 0 || chunk < 0 || stop_after < 0) return sw_cli_usage_error(CMD, "negative count");
    sw_err err;
    sw_data_policy pol;
    sw_data_policy_default(&pol);
    char found[4096];
    if (!policy_path && sw_find_near_exe("data/policy/data.policy", found, sizeof found) == 0) policy_path = found;
    if (policy_path && sw_data_policy_load(&pol, policy_path, &err)) return sw_cli_fail(CMD, &err);
    if (licences && sw_data_policy_add_licences(&pol, licences, &err)) return sw_cli_fail(CMD, &err);
    char home[4096];
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err)) return sw_cli_fail(CMD, &err);
    progress_state ps = {sw_now_ns()};
    sw_data_opts o = {.inputs = pos, .n_inputs = npos, .out_dir = out, .policy = &pol, .home = home, .tokenizer = tokenizer,
                      .text_source = source, .text_license = license, .text_consent = (sw_consent)c,
                      .threads = threads, .chunk_docs = chunk, .stop_after_chunks = (uint64_t)stop_after,
                      .progress = !quiet && isatty(2) ? progress : NULL, .progress_ud = &ps};
    sw_data_report r;
    rc = sw_data_build(&o, &r, &err);
    if (o.progress) fputc('\n', stderr);
    if (rc) return sw_cli_fail(CMD, &err);
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:f}", "documents_in", (json_int_t)r.docs_in, "documents_out",
                          (json_int_t)r.docs_out, "bytes_in", (json_int_t)r.bytes_in, "bytes_out", (json_int_t)r.bytes_out,
                          "chunks_resumed", (json_int_t)r.chunks_resumed, "stopped", r.stopped, "seconds", r.seconds);
    if (r.audited) json_object_set_new(j, "audit_index", json_integer((json_int_t)r.audit_index));
    return sw_cli_print_json(j) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
}

int sw_cmd_data(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: steward data build [--licences SPDX,...] [--policy FILE] [--threads N] [--tokenizer FILE.gguf]\n"
                   "                          --out DIR INPUT...\n"
                   "  build   filter, deduplicate and redact raw text into a training set with its lineage,\n"
                   "          statistics, dataset card and shards for `steward train`\n");
        return argc < 2 ? SW_EXIT_USAGE : SW_EXIT_OK;
    }
    if (strcmp(argv[1], "build") == 0) return cmd_build(argc - 1, argv + 1);
    return sw_cli_usage_error("data", "unknown subcommand '%s'", argv[1]);
}
