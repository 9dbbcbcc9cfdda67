/* cmd_guard.c - `steward guard train | eval`: trains the guard's classifiers, measures the guard. */
#include "cli.h"
#include "steward/guard.h"
#include "steward/model.h"

#include <stdio.h>
#include <string.h>

static int cmd_train(int argc, char **argv) {
    const char *data = NULL, *valid = NULL, *out = "models/guard-classifier.bin";
    int epochs = 8, bits = 17, seed = 42, per_source = 0;
    double l2 = 1e-4, target_fpr = 0.002;
    sw_opt opts[] = {
        {"data", SW_OPT_STR, &data, "FILE.jsonl", "training examples {\"text\", \"label\"} (required)"},
        {"valid", SW_OPT_STR, &valid, "FILE.jsonl", "validation examples for calibration (required)"},
        {"out", SW_OPT_STR, &out, "FILE", "model file to write (default models/guard-classifier.bin)"},
        {"epochs", SW_OPT_INT, &epochs, "N", "passes over the data (default 8)"},
        {"dim-bits", SW_OPT_INT, &bits, "B", "2^B hashed features (default 17)"},
        {"seed", SW_OPT_INT, &seed, "S", "shuffling seed (default 42)"},
        {"l2", SW_OPT_DOUBLE, &l2, "X", "L2 penalty (default 1e-4; larger: smoother weights)"},
        {"target-fpr", SW_OPT_DOUBLE, &target_fpr, "F", "validation negatives each threshold lets through (default 0.002)"},
        {"per-source", SW_OPT_FLAG, &per_source, NULL,
         "... and at most F of each validation source's negatives (the \"source\" field; sources of 20 texts or more)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("guard train", "guard train --data TRAIN.jsonl --valid VALID.jsonl [--out FILE]", opts, argc,
                          argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!data || !valid) return sw_cli_usage_error("guard train", "--data and --valid are required");
    if (bits < 8 || bits > 24) return sw_cli_usage_error("guard train", "--dim-bits must be 8..24");
    if (!(l2 > 0 && l2 < 1)) return sw_cli_usage_error("guard train", "--l2 must be in (0, 1)");
    if (!(target_fpr > 0 && target_fpr < 0.5)) return sw_cli_usage_error("guard train", "--target-fpr must be in (0, 0.5)");
    sw_guard_train_opts o = {data, valid, out, epochs, bits, (uint64_t)seed, l2, target_fpr, per_source};
    sw_guard_train_report r;
    sw_err err;
    if (sw_guard_clf_train(&o, &r, &err) < 0) return sw_cli_fail("guard train", &err);
    json_t *j = json_object(), *heads = json_array();
    for (int h = 0; h < r.heads; h++) {
        json_t *x = json_object();
        json_object_set_new(x, "head", json_string(r.name[h]));
        json_object_set_new(x, "train_pos", json_integer(r.n_pos[h]));
        json_object_set_new(x, "train_neg", json_integer(r.n_neg[h]));
        json_object_set_new(x, "valid_precision", json_real(r.valid_precision[h]));
        json_object_set_new(x, "valid_recall", json_real(r.valid_recall[h]));
        json_object_set_new(x, "valid_fpr", json_real(r.valid_fpr[h]));
        json_array_append_new(heads, x);
        fprintf(stderr, "guard train: %-16s %5d pos %5d neg  valid precision %.3f recall %.3f FPR %.3f\n", r.name[h],
                r.n_pos[h], r.n_neg[h], r.valid_precision[h], r.valid_recall[h], r.valid_fpr[h]);
    }
    json_object_set_new(j, "model", json_string(out));
    json_object_set_new(j, "heads", heads);
    json_object_set_new(j, "seconds", json_real(r.seconds));
    return sw_cli_print_json(j) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
}

/* `guard calibrate-ppl`: perplexity thresholds of a model on benign text, as JSON that
 * `steward scan --lm MODEL --ppl FILE` reads. */
static int cmd_calibrate_ppl(int argc, char **argv) {
    const char *model = NULL, *data = NULL, *note = NULL;
    double fpr = 0.01;
    sw_opt opts[] = {
        {"model", SW_OPT_STR, &model, "FILE", "GGUF language model (required)"},
        {"data", SW_OPT_STR, &data, "FILE.jsonl", "benign texts {\"text\": ...} (required)"},
        {"note", SW_OPT_STR, &note, "TEXT", "what the data is (recorded in the output)"},
        {"fpr", SW_OPT_DOUBLE, &fpr, "F", "share of benign texts allowed above each threshold (default 0.01)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("guard calibrate-ppl", "guard calibrate-ppl --model FILE --data BENIGN.jsonl [--fpr F] [--note TEXT]", opts,
                          argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!model || !data) return sw_cli_usage_error("guard calibrate-ppl", "--model and --data are required");
    if (!(fpr >= 0 && fpr < 1)) return sw_cli_usage_error("guard calibrate-ppl", "--fpr must be in [0, 1)");
    sw_err err;
    sw_model *m = NULL;
    sw_ctx *c = NULL;
    char sha[65], dsha[65];
    if (sw_sha256_file_hex(model, sha, &err) < 0 || sw_sha256_file_hex(data, dsha, &err) < 0 ||
        sw_model_load(model, &m, &err) < 0 ||
        !(c = sw_ctx_new(m, sw_model_hparams(m)->n_ctx_train, &err))) {
        sw_model_free(m);
        return sw_cli_fail("guard calibrate-ppl", &err);
    }
    sw_guard_ppl th;
    rc = sw_guard_ppl_calibrate(c, sw_model_tokenizer(m), data, fpr, &th, &err);
    sw_ctx_free(c);
    sw_model_free(m);
    if (rc < 0) return sw_cli_fail("guard calibrate-ppl", &err);
    const char *mb = strrchr(model, '/'), *db = strrchr(data, '/');
    json_t *j = json_object(), *d = json_object();
    json_object_set_new(j, "model", json_string(mb ? mb + 1 : model));
    json_object_set_new(j, "model_sha256", json_string(sha));
    json_object_set_new(j, "len_per_ppl_max", json_real(th.len_per_ppl_max));
    json_object_set_new(j, "edge_ppl_max", json_real(th.edge_ppl_max));
    json_object_set_new(j, "edge_words", json_integer(SW_GUARD_PPL_EDGE_WORDS));
    json_object_set_new(j, "fpr", json_real(th.fpr));
    json_object_set_new(j, "calibrated_on", json_integer(th.calibrated_on));
    json_object_set_new(j, "calibrated_on_edge", json_integer(th.calibrated_on_edge));
    json_object_set_new(d, "file", json_string(db ? db + 1 : data));
    json_object_set_new(d, "sha256", json_string(dsha));
    if (note) json_object_set_new(d, "note", json_string(note));
    json_object_set_new(j, "data", d);
    return sw_cli_print_json(j) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
}

int sw_cmd_guard(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: steward guard train --data TRAIN.jsonl --valid VALID.jsonl [--out FILE]\n"
                   "       steward guard eval --data FILE.jsonl [--json]\n"
                   "       steward guard calibrate-ppl --model FILE --data BENIGN.jsonl [--fpr F] [--note TEXT]\n"
                   "  train   train the prompt-injection, jailbreak and harmful-request classifiers\n"
                   "  eval    precision, recall, F1 and false-positive rate of the guard per category\n"
                   "  calibrate-ppl  perplexity thresholds of a language model on benign text\n");
        return argc < 2 ? SW_EXIT_USAGE : SW_EXIT_OK;
    }
    if (strcmp(argv[1], "train") == 0) return cmd_train(argc - 1, argv + 1);
    if (strcmp(argv[1], "eval") == 0) return sw_cmd_eval_guard(argc - 1, argv + 1);
    if (strcmp(argv[1], "calibrate-ppl") == 0) return cmd_calibrate_ppl(argc - 1, argv + 1);
    return sw_cli_usage_error("guard", "unknown subcommand '%s'", argv[1]);
}
