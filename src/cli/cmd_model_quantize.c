/* cmd_model_quantize.c - `steward model quantize IN OUT TYPE`: rewrites a model's
 * matrices as F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K or Q6_K (norms and biases stay F32). */
#include "cli.h"
#include "steward/model.h"

#include <stdio.h>
#include <strings.h>

/* argv[0] is "quantize" (the subcommand of `model`). */
int sw_cmd_model_quantize(int argc, char **argv) {
    const char *cmd = "model quantize";
    sw_opt opts[] = {{NULL, 0, NULL, NULL, NULL}};
    const char *pos[3];
    int npos;
    int rc = sw_cli_parse(cmd,
                          "model quantize IN OUT TYPE\n\nRewrites the model IN as OUT with its matrices in TYPE "
                          "(F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K).\nNorms and biases stay F32. A matrix whose rows "
                          "do not fit TYPE's blocks gets llama.cpp's fallback: Q5_0 for Q4_K, Q8_0 for Q6_K, else F16.",
                          opts, argc, argv, pos, 3, &npos);
    if (rc) return sw_cli_exit(rc);
    if (npos != 3) return sw_cli_usage_error(cmd, "expects IN OUT TYPE");
    sw_ggml_type type;
    if (sw_type_parse(pos[2], &type) < 0)
        return sw_cli_usage_error(cmd, "unknown TYPE '%s' (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K)", pos[2]);
    sw_err err;
    int n_fallback = 0;
    if (sw_model_quantize(pos[0], pos[1], type, &n_fallback, &err) < 0) return sw_cli_fail(cmd, &err);
    fprintf(stderr, "steward %s: wrote %s (%s", cmd, pos[1], sw_type_name(type));
    if (n_fallback) fprintf(stderr, "; %d tensor%s in a fallback type", n_fallback, n_fallback > 1 ? "s" : "");
    fprintf(stderr, ")\n");
    return SW_EXIT_OK;
}
