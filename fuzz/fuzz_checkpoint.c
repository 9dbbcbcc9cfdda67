/* fuzz_checkpoint.c - libFuzzer target: arbitrary bytes as a training checkpoint.
 * sw_checkpoint_peek and sw_trainer_load / sw_trainer_load_weights must refuse damaged
 * input with a message, never crash or read past the file. The seed is a valid
 * checkpoint of the tiny model below (fuzz/corpus/fuzz_checkpoint/tiny). */
#include "steward/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const sw_tconfig tiny = {.n_vocab = 8, .n_ctx = 4, .n_embd = 4, .n_layer = 1, .n_head = 2,
                                .n_head_kv = 1, .n_ff = 4, .tied = 1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static sw_trainer *t;
    if (!t) {
        int32_t toks[16];
        for (int i = 0; i < 16; i++) toks[i] = i % 8;
        sw_topts o = {.batch = 1, .seq = 4, .steps = 4, .seed = 1};
        t = sw_trainer_new(&tiny, &o, toks, 16, NULL);
        if (!t) abort();
        /* FUZZ_WRITE_SEED=path writes the seed: a checkpoint after one step */
        const char *seed = getenv("FUZZ_WRITE_SEED");
        if (seed && (sw_trainer_step(t, NULL, NULL) < 0 || sw_trainer_save(t, seed, NULL) < 0)) abort();
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_checkpoint.%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    sw_err err;
    sw_tconfig c;
    sw_topts o;
    int step;
    sw_checkpoint_peek(path, &c, &o, &step, &err);
    sw_trainer_load(t, path, &err);
    sw_trainer_load_weights(t, path, &err);
    unlink(path);
    return 0;
}
