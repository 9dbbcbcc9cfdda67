/* bench_forward.c - forward-pass speed on a SmolLM2-135M-shaped model with random
 * weights (576 wide, 30 blocks, 9 heads / 3 KV heads, FFN 1536, 49152 tokens, tied
 * output) in F32, Q8_0 and Q4_K: prompt processing (pp 128) and generation (tg 64)
 * on 1 and 2 threads, peak RSS, and generation against the memory-bandwidth bound
 * (weight bytes per token / a streaming-read bandwidth measured in the same run).
 *
 *   build/bench/bench_forward [--quick]     (--quick: 4 blocks instead of 30)
 *
 * Each model is written to a temporary file and measured in its own child process, so
 * that peak RSS is per model (and OpenMP never runs in a process that forks). */
#include "steward/model.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PP 128
#define TG 64

static double now_s(void) { return (double)sw_now_ns() * 1e-9; }

/* Best-of-3 streaming read bandwidth (bytes/s) over a buffer much larger than the
 * caches; integer sums so that the loop vectorises and is not latency-bound. */
static double read_bandwidth(int threads) {
    size_t n = (size_t)32 << 20; /* 32 Mi words = 256 MiB */
    uint64_t *a = malloc(n * sizeof *a);
    if (!a) return 0;
    for (size_t i = 0; i < n; i++) a[i] = i & 7;
    omp_set_num_threads(threads);
    double best = 0;
    uint64_t sink = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        uint64_t s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static)
        for (size_t i = 0; i < n; i++) s += a[i];
        double bw = (double)(n * sizeof *a) / (now_s() - t0);
        sink += s;
        if (bw > best) best = bw;
    }
    free(a);
    return sink == 1 ? 0 : best;
}

/* Bandwidth per thread count (index 1 and 2), measured in a child so that its buffer
 * does not count in the models' peak RSS; shared with the parent through an mmap. */
static double *bandwidth;

static int measure_bandwidth(void *unused) {
    (void)unused;
    for (int t = 1; t <= 2; t++) bandwidth[t] = read_bandwidth(t);
    return 0;
}

static long child_max_rss_kb;

/* Runs fn(arg) in a child process; returns its exit status, and its peak RSS in
 * child_max_rss_kb. */
static int in_child(int (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) _exit(fn(arg));
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) return -1;
    child_max_rss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct job {
    const char *path;
    const char *label;
    sw_ggml_type type;
    sw_model_shape shape;
} job;

static int write_model(void *p) {
    job *j = p;
    sw_err err;
    if (sw_model_write_random(j->path, &j->shape, j->type, 7, &err) < 0) {
        fprintf(stderr, "bench_forward: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int measure(void *p) {
    job *j = p;
    sw_err err;
    sw_model *m;
    if (sw_model_load(j->path, &m, &err) < 0) {
        fprintf(stderr, "bench_forward: %s\n", err.msg);
        return 1;
    }
    const sw_hparams *hp = sw_model_hparams(m);
    double wbytes = (double)sw_model_weight_bytes(m);
    int32_t toks[PP + TG];
    uint64_t s = 12345;
    for (int i = 0; i < PP + TG; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        toks[i] = (int32_t)((s >> 33) % (uint64_t)hp->n_vocab);
    }
    float *logits = malloc((size_t)hp->n_vocab * sizeof *logits);
    sw_ctx *c = sw_ctx_new(m, PP + TG, &err);
    if (!c || !logits) {
        fprintf(stderr, "bench_forward: %s\n", c ? "out of memory" : err.msg);
        return 1;
    }
    sw_ctx_eval(c, toks, 8, 0, logits, NULL, &err); /* warm-up: pages the weights in */
    for (int threads = 1; threads <= 2; threads++) {
        double bw = bandwidth[threads];
        omp_set_num_threads(threads);
        double c0 = sw_process_cpu_seconds(), t0 = now_s();
        if (sw_ctx_eval(c, toks, PP, 0, logits, NULL, &err) < 0) break;
        double t1 = now_s();
        for (int i = 0; i < TG; i++)
            if (sw_ctx_eval(c, toks + PP + i, 1, PP + i, logits, NULL, &err) < 0) break;
        double t2 = now_s(), c2 = sw_process_cpu_seconds();
        double pp = PP / (t1 - t0), tg = TG / (t2 - t1), bound = bw / wbytes;
        /* CPU seconds / (wall seconds x threads): below ~90% the machine was busy */
        double share = (c2 - c0) / ((t2 - t0) * threads);
        printf("%-6s %d thr  pp%d %7.1f tok/s  tg%d %6.1f tok/s  cpu share %3.0f%% | read bw %5.1f GB/s, "
               "%5.1f MB/token -> bound %6.1f tok/s, tg at %3.0f%% of it\n",
               j->label, threads, PP, pp, TG, tg, 100 * share, bw / 1e9, wbytes / 1e6, bound, 100 * tg / bound);
        fflush(stdout);
    }
    sw_ctx_free(c);
    free(logits);
    sw_model_free(m);
    return 0;
}

int main(int argc, char **argv) {
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    sw_model_shape shape = {.n_vocab = 49152, .n_ctx = 2048, .n_embd = 576, .n_layer = quick ? 4 : 30,
                            .n_ff = 1536, .n_head = 9, .n_head_kv = 3, .tied = 1};
    printf("bench_forward: SmolLM2-135M shape (%d blocks, width %d, 9/3 heads, FFN %d, vocab %d, tied), "
           "random weights; kernels: %s\n",
           shape.n_layer, shape.n_embd, shape.n_ff, shape.n_vocab, sw_kernels_name());
    const char *wp = getenv("OMP_WAIT_POLICY");
    printf("OMP_WAIT_POLICY=%s (passive is fairer on a machine shared with other work)\n", wp ? wp : "(unset)");
    printf("Q4_K: rows of 576 do not fit 256-element blocks, so those matrices are Q5_0 (as in llama.cpp's "
           "Q4_K_M) and only ffn_down (rows of 1536) is Q4_K.\n");
    static const struct {
        const char *label;
        sw_ggml_type type;
    } types[] = {{"F32", SW_TYPE_F32}, {"Q8_0", SW_TYPE_Q8_0}, {"Q4_K", SW_TYPE_Q4_K}};
    bandwidth = mmap(NULL, 4 * sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (bandwidth == MAP_FAILED) return 1;
    char dir[] = "/tmp/steward-bench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    int rc = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0] && rc == 0; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s/model.gguf", dir);
        job j = {path, types[i].label, types[i].type, shape};
        rc = in_child(write_model, &j);
        /* bandwidth just before each model, so that both see the same machine load */
        if (rc == 0) rc = in_child(measure_bandwidth, NULL);
        if (rc == 0) rc = in_child(measure, &j);
        if (rc == 0) printf("%-6s peak RSS %.0f MB (mmapped weights included)\n", j.label,
                            child_max_rss_kb / 1024.0);
        unlink(path);
    }
    rmdir(dir);
    return rc ? 1 : 0;
}
