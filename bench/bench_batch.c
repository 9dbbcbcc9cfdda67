/* bench_batch.c - decoding several streams together: aggregate tokens/s of N concurrent
 * requests through the pipeline (the decoder's batched passes) against one request
 * alone, on a SmolLM2-135M-shaped Q8_0 model with random weights (576 wide, 30 blocks,
 * 9/3 heads, FFN 1536, 49152 tokens, tied), 64 tokens per request, 2 threads.
 *
 *   build/bench/bench_batch [--quick] [--model FILE]   (--quick: 4 blocks instead of 30)
 *   build/bench/bench_batch --write FILE               (only writes the model, for other
 *                                                        servers to load: bench_vs_llama.sh)
 *
 * The baseline is measured in the same run: the same request alone, best of 3. */
#include "steward/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKENS 64
#define MAX_STREAMS 8
#define THREADS 2

typedef struct {
    sw_pipeline *p;
    uint64_t seed;
    int n_tokens;
    double gen_ms;
    int rc;
} stream;

static void *run_stream(void *arg) {
    stream *s = arg;
    sw_gen_request req = {0};
    sw_sampler_params_default(&req.sampling);
    req.sampling.seed = s->seed;
    req.prompt = "Once upon a time, in a land far away, there lived";
    req.max_tokens = TOKENS;
    req.ignore_eos = 1;
    sw_gen_result res;
    sw_err err;
    s->rc = sw_pipeline_generate(s->p, &req, &res, &err);
    if (s->rc < 0) fprintf(stderr, "bench_batch: %s\n", err.msg);
    s->n_tokens = res.n_tokens;
    s->gen_ms = res.gen_ms;
    sw_gen_result_free(&res);
    return NULL;
}

/* Runs n streams at once; returns aggregate generated tokens per second of wall time. */
static double run_streams(sw_pipeline *p, int n) {
    stream s[MAX_STREAMS];
    pthread_t th[MAX_STREAMS];
    uint64_t t0 = sw_now_ns();
    for (int i = 0; i < n; i++) {
        s[i] = (stream){.p = p, .seed = 1 + (uint64_t)i};
        pthread_create(&th[i], NULL, run_stream, &s[i]);
    }
    int tokens = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (s[i].rc < 0) return 0;
        tokens += s[i].n_tokens;
    }
    return tokens / ((double)(sw_now_ns() - t0) * 1e-9);
}

int main(int argc, char **argv) {
    int quick = 0;
    const char *model = NULL, *write_only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
        else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc) write_only = argv[++i];
    }
    char dir[] = "/tmp/steward-bench-batch-XXXXXX", path[128], home[128];
    if (!mkdtemp(dir)) return 1;
    snprintf(home, sizeof home, "%s/home", dir);
    sw_err err;
    if (!model) {
        snprintf(path, sizeof path, "%s", write_only ? write_only : "");
        if (!write_only) snprintf(path, sizeof path, "%s/smollm2-shape-q8_0.gguf", dir);
        sw_model_shape shape = {.n_vocab = 49152, .n_ctx = 2048, .n_embd = 576, .n_layer = quick ? 4 : 30,
                                .n_ff = 1536, .n_head = 9, .n_head_kv = 3, .tied = 1};
        if (sw_model_write_random(path, &shape, SW_TYPE_Q8_0, 1, &err) < 0) {
            fprintf(stderr, "bench_batch: %s\n", err.msg);
            return 1;
        }
        model = path;
        if (write_only) {
            snprintf(home, sizeof home, "rm -rf %s", dir);
            return system(home) == 0 ? 0 : 1;
        }
    }
    sw_pipeline_opts o = {.home = home, .model_path = model, .threads = THREADS, .parallel = MAX_STREAMS,
                          .n_ctx = 512};
    sw_pipeline *p;
    if (sw_pipeline_open(&o, &p, &err) < 0) {
        fprintf(stderr, "bench_batch: %s\n", err.msg);
        return 1;
    }
    printf("bench_batch: %s, %d tokens per request, %d threads, through the whole pipeline\n",
           quick ? "SmolLM2-135M shape cut to 4 blocks" : "SmolLM2-135M shape", TOKENS, THREADS);
    run_streams(p, 1); /* warm-up: pages in the weights */
    double alone = 0;
    for (int r = 0; r < 3; r++) {
        double t = run_streams(p, 1);
        if (t > alone) alone = t;
    }
    printf("  1 stream alone: %8.1f tok/s (baseline, best of 3)\n", alone);
    for (int n = 2; n <= MAX_STREAMS; n *= 2) {
        double agg = run_streams(p, n);
        printf("  %d streams     : %8.1f tok/s aggregate = %.2fx the baseline\n", n, agg, alone > 0 ? agg / alone : 0);
    }
    sw_pipeline_close(p);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
