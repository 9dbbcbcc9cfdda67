/* cmd_model_quantize.c - `steward model quantize IN OUT TYPE`: rewrites a model's
 * matrices as F32, F16, Q8_0, Q4_0, Q4_K or Q6_K (norms and biases stay F32). */
#include "cli.h"
#include "steward/model.h"

#include <stdio.h>
#include <strings.h>

static const struct {
    const char *name;
    sw_ggml_type type;
} types[] = {{"F32", SW_TYPE_F32},   {"F16", SW_TYPE_F16},   {"Q8_0", SW_TYPE_Q8_0},
             {"Q4_0", SW_TYPE_Q4_0}, {"Q4_K", SW_TYPE_Q4_K}, {"Q6_K", SW_TYPE_Q6_K}};

/* argv[0] is "quantize" (the subcommand of `model`). */
int sw_cmd_model_quantize(int argc, char **argv) {
    const char *cmd = "model quantize";
    sw_opt opts[] = {{NULL, 0, NULL, NULL, NULL}};
    const char *pos[3];
    int npos;
    int rc = sw_cli_parse(cmd,
                          "model quantize IN OUT TYPE\n\nRewrites the model IN as OUT with its matrices in TYPE "
                          "(F32, F16, Q8_0, Q4_0, Q4_K, Q6_K).\nNorms and biases stay F32. A matrix whose rows "
                          "do not fit TYPE's blocks gets Q8_0 (K-quants) or F16.",
                          opts, argc, argv, pos, 3, &npos);
    if (rc) return rc == SW_EXIT_OK ? SW_EXIT_OK : rc;
    if (npos != 3) return sw_cli_usage_error(cmd, "expects IN OUT TYPE");
    int t = -1;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(pos[2], types[i].name) == 0) t = (int)i;
    if (t < 0) return sw_cli_usage_error(cmd, "unknown TYPE '%s' (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K)", pos[2]);
    sw_err err;
    int n_fallback = 0;
    if (sw_model_quantize(pos[0], pos[1], types[t].type, &n_fallback, &err) < 0) return sw_cli_fail(cmd, &err);
    fprintf(stderr, "steward %s: wrote %s (%s", cmd, pos[1], types[t].name);
    if (n_fallback) fprintf(stderr, "; %d tensor%s in a fallback type", n_fallback, n_fallback > 1 ? "s" : "");
    fprintf(stderr, ")\n");
    return SW_EXIT_OK;
}
