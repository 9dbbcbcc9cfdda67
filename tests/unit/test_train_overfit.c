/* test_train_overfit.c - a tiny model memorises a small batch within seconds; training
 * is reproducible, independent of the thread count, and resumes exactly. */
#include "steward/train.h"
#include "t.h"

#include <omp.h>
#include <stdlib.h>
#include <unistd.h>

static const sw_tconfig tiny = {.n_vocab = 16, .n_ctx = 16, .n_embd = 32, .n_layer = 2, .n_head = 4,
                                .n_head_kv = 2, .n_ff = 64, .tied = 1};

static int32_t data[24];
static void make_data(void) {
    sw_rng r;
    sw_rng_seed(&r, 99);
    for (int i = 0; i < 24; i++) data[i] = (int32_t)(sw_rng_next(&r) % 16);
}

static sw_topts opts(int steps) {
    sw_topts o = {.batch = 4, .seq = 16, .accum = 2, .steps = steps, .warmup = 5, .lr = 1e-2f, .lr_min = 1e-3f,
                  .weight_decay = 0.01f, .clip = 1.0f, .seed = 42};
    return o;
}

/* One sequence of 17 tokens is the whole data set, so every batch is the same: the loss
 * is stated to fall below 0.05 nats per token within 60 steps (from ~2.77 = ln 16). */
static void test_overfit(void) {
    sw_err err = {{0}};
    sw_topts o = opts(60);
    o.batch = 2;
    o.accum = 1;
    sw_trainer *t = sw_trainer_new(&tiny, &o, data, 17, &err);
    T_CHECK_MSG(t != NULL, "%s", err.msg);
    if (!t) return;
    sw_step_info info = {0}, first = {0};
    for (int s = 0; s < o.steps; s++) {
        T_CHECK(sw_trainer_step(t, &info, &err) == 0);
        if (s == 0) first = info;
    }
    T_CHECK_MSG(first.loss > 2.0, "first loss %g", first.loss);
    T_CHECK_MSG(info.loss < 0.05, "final loss %g", info.loss);
    double ev = sw_trainer_eval(t, data, 17, 0);
    T_CHECK_MSG(ev < 0.05, "eval loss %g", ev);
    sw_trainer_free(t);
}

static float *run(int steps, int threads) {
    omp_set_num_threads(threads);
    sw_err err = {{0}};
    sw_topts o = opts(20);
    sw_trainer *t = sw_trainer_new(&tiny, &o, data, 24, &err);
    if (!t) return NULL;
    for (int s = 0; s < steps; s++) sw_trainer_step(t, NULL, &err);
    size_t np;
    float *p = sw_tmodel_params(sw_trainer_model(t), &np);
    float *copy = malloc(np * sizeof(float));
    memcpy(copy, p, np * sizeof(float));
    sw_trainer_free(t);
    omp_set_num_threads(2);
    return copy;
}

static void test_reproducible_any_threads(void) {
    size_t np = sw_tconfig_n_params(&tiny);
    float *a = run(6, 1), *b = run(6, 2), *c = run(6, 3);
    T_CHECK(a && b && c);
    if (a && b && c) {
        T_CHECK(memcmp(a, b, np * sizeof(float)) == 0);
        T_CHECK(memcmp(a, c, np * sizeof(float)) == 0);
    }
    free(a), free(b), free(c);
}

static void test_resume_exact(void) {
    sw_err err = {{0}};
    char path[] = "/tmp/steward-ckpt-XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    close(fd);
    sw_topts o = opts(20);
    size_t np = sw_tconfig_n_params(&tiny);
    float *whole = run(8, 2);
    /* 4 steps, save, a fresh trainer loads and does the other 4 */
    sw_trainer *t = sw_trainer_new(&tiny, &o, data, 24, &err);
    for (int s = 0; s < 4; s++) sw_trainer_step(t, NULL, &err);
    T_CHECK_MSG(sw_trainer_save(t, path, &err) == 0, "%s", err.msg);
    sw_trainer_free(t);
    sw_topts o2 = o;
    o2.seed = 777; /* the checkpoint's RNG state must win over a fresh seed */
    t = sw_trainer_new(&tiny, &o2, data, 24, &err);
    T_CHECK_MSG(sw_trainer_load(t, path, &err) == 0, "%s", err.msg);
    T_CHECK(sw_trainer_step_count(t) == 4);
    for (int s = 0; s < 4; s++) sw_trainer_step(t, NULL, &err);
    float *p = sw_tmodel_params(sw_trainer_model(t), NULL);
    T_CHECK(whole && memcmp(whole, p, np * sizeof(float)) == 0);
    sw_trainer_free(t);

    /* peek gives back the stored configuration */
    sw_tconfig c;
    sw_topts po;
    int step = 0;
    T_CHECK(sw_checkpoint_peek(path, &c, &po, &step, &err) == 0);
    T_CHECK(step == 4 && c.n_embd == 32 && po.accum == 2);

    /* a damaged file is refused with a message */
    FILE *f = fopen(path, "r+b");
    fseek(f, 600, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    t = sw_trainer_new(&tiny, &o, data, 24, &err);
    T_CHECK(sw_trainer_load(t, path, &err) == -1 && strstr(err.msg, "damaged"));
    /* a different configuration is refused */
    sw_tconfig other = tiny;
    other.n_ff = 32;
    sw_trainer *t2 = sw_trainer_new(&other, &o, data, 24, &err);
    T_CHECK(sw_trainer_load(t2, path, &err) == -1 && strstr(err.msg, "differs"));
    sw_trainer_free(t2);
    sw_trainer_free(t);
    unlink(path);
    free(whole);
}

static void test_schedule(void) {
    sw_topts o = {.steps = 100, .warmup = 10, .lr = 1.0f, .lr_min = 0.1f};
    sw_topts_defaults(&o);
    T_NEAR(sw_lr_at(&o, 0), 0.1, 1e-6);
    T_NEAR(sw_lr_at(&o, 9), 1.0, 1e-6);
    T_NEAR(sw_lr_at(&o, 10), 1.0, 1e-6);
    T_NEAR(sw_lr_at(&o, 99), 0.1, 1e-6);
    T_NEAR(sw_lr_at(&o, 10 + 89 / 2.0), 0.55, 1e-2);
    for (int s = 11; s < 100; s++) T_CHECK(sw_lr_at(&o, s) <= sw_lr_at(&o, s - 1));
}

static void test_bad_inputs(void) {
    sw_err err = {{0}};
    sw_topts o = opts(5);
    int32_t bad[24];
    memcpy(bad, data, sizeof bad);
    bad[3] = 16;
    T_CHECK(sw_trainer_new(&tiny, &o, bad, 24, &err) == NULL && strstr(err.msg, "index 3"));
    T_CHECK(sw_trainer_new(&tiny, &o, data, 10, &err) == NULL && strstr(err.msg, "cannot fill"));
    sw_tconfig c = tiny;
    c.n_head = 3;
    T_CHECK(sw_trainer_new(&c, &o, data, 24, &err) == NULL && strstr(err.msg, "heads"));
}

int main(void) {
    make_data();
    T_RUN(test_schedule);
    T_RUN(test_bad_inputs);
    T_RUN(test_overfit);
    T_RUN(test_reproducible_any_threads);
    T_RUN(test_resume_exact);
    return t_done();
}
