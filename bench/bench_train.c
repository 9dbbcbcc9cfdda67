/* bench_train.c - training throughput (tokens/s) of the default model's configuration on
 * 1 and 2 threads; the ratio is the speed-up over the 1-thread baseline of the same run.
 * Also CPU-seconds per step, which a machine shared with other work distorts less.
 *   STEWARD_BENCH_QUICK=1  fewer steps */
#include "steward/train.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { double tps, cpu_per_step; } figure;

static figure measure(int threads, int steps) {
    omp_set_num_threads(threads);
    sw_tconfig c = {.n_vocab = 1024, .n_ctx = 128, .n_embd = 128, .n_layer = 4, .n_head = 4, .n_head_kv = 2,
                    .n_ff = 384, .tied = 1};
    sw_topts o = {.batch = 8, .seq = 128, .steps = 1000, .warmup = 10, .lr = 1e-3f, .clip = 1, .seed = 1};
    size_t n = 100000;
    int32_t *d = malloc(n * sizeof *d);
    sw_rng r;
    sw_rng_seed(&r, 1);
    for (size_t i = 0; i < n; i++) d[i] = (int32_t)(sw_rng_next(&r) % 1024);
    sw_err e;
    sw_trainer *t = sw_trainer_new(&c, &o, d, n, &e);
    figure f = {0, 0};
    if (!t) {
        fprintf(stderr, "bench_train: %s\n", e.msg);
        free(d);
        return f;
    }
    sw_trainer_step(t, NULL, &e); /* warm-up */
    uint64_t t0 = sw_now_ns();
    double c0 = sw_process_cpu_seconds();
    for (int s = 0; s < steps; s++) sw_trainer_step(t, NULL, &e);
    double wall = (double)(sw_now_ns() - t0) / 1e9;
    f.tps = (double)steps * o.batch * o.seq / wall;
    f.cpu_per_step = (sw_process_cpu_seconds() - c0) / steps;
    sw_trainer_free(t);
    free(d);
    return f;
}

int main(void) {
    int steps = getenv("STEWARD_BENCH_QUICK") ? 2 : 8;
    figure one = measure(1, steps), two = measure(2, steps);
    printf("train (0.9M params, batch 8 x 128 tokens), %d steps each:\n", steps);
    printf("  1 thread : %7.0f tokens/s  %.3f CPU-s/step  (baseline)\n", one.tps, one.cpu_per_step);
    printf("  2 threads: %7.0f tokens/s  %.3f CPU-s/step  speed-up %.2fx\n", two.tps, two.cpu_per_step,
           one.tps > 0 ? two.tps / one.tps : 0);
    return 0;
}
