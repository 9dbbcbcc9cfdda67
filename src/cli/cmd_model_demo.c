/* cmd_model_demo.c - `steward model demo OUT`: writes a small random-weight llama model
 * with a byte-level BPE tokenizer and a ChatML template, so that the whole pipeline runs
 * before a trained model exists. Deterministic for a seed. */
#include "cli.h"
#include "steward/model.h"

#include <stdio.h>
#include <strings.h>

/* argv[0] is "demo" (the subcommand of `model`). */
int sw_cmd_model_demo(int argc, char **argv) {
    const char *cmd = "model demo";
    int seed = 1;
    const char *type_name = "F32";
    sw_opt opts[] = {
        {"seed", SW_OPT_INT, &seed, "N", "random seed of the weights (default 1)"},
        {"type", SW_OPT_STR, &type_name, "TYPE", "F32 (default), F16, Q8_0 or Q4_0"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse(cmd,
                          "model demo [--seed N] [--type TYPE] OUT\n\nWrites a small llama model with random "
                          "weights (it writes gibberish) and a real tokenizer to OUT.",
                          opts, argc, argv, pos, 1, &npos);
    if (rc) return sw_cli_exit(rc);
    if (npos != 1) return sw_cli_usage_error(cmd, "expects OUT");
    sw_ggml_type type;
    if (sw_type_parse(type_name, &type) < 0 || type == SW_TYPE_Q4_K || type == SW_TYPE_Q6_K)
        return sw_cli_usage_error(cmd, "unknown --type '%s' (F32, F16, Q8_0, Q4_0)", type_name);
    /* 2 blocks of width 256, 4 heads sharing 2 KV heads: a few MB, instant on any CPU */
    sw_model_shape shape = {.n_vocab = 0, .n_ctx = 2048, .n_embd = 256, .n_layer = 2, .n_ff = 768,
                            .n_head = 4, .n_head_kv = 2};
    sw_err err;
    if (sw_model_write_random(pos[0], &shape, type, (uint64_t)seed, &err) < 0) return sw_cli_fail(cmd, &err);
    fprintf(stderr, "steward %s: wrote %s (random weights, %d-token vocabulary)\n", cmd, pos[0],
            sw_model_demo_vocab_size());
    return SW_EXIT_OK;
}
