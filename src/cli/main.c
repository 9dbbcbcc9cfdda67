/* main.c - `steward`: dispatches to one command per file, after the global options. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

const char *sw_cli_home;

typedef struct {
    const char *name;
    sw_cmd_fn fn;
    const char *summary;
} command;

static const command commands[] = {
    {"generate", sw_cmd_generate, "generate text through the whole pipeline"},
    {"detect", sw_cmd_detect, "does a text carry the watermark, and where?"},
    {"verify", sw_cmd_verify, "check delivered text against its signed manifest"},
    {"keygen", sw_cmd_keygen, "create or rotate the signing and watermark keys"},
    {"model", sw_cmd_model, "GGUF model files: info, quantize, demo"},
    {"train", sw_cmd_train, "train a model on a text corpus (checkpoints, records, DP-SGD)"},
    {"tokenizer", sw_cmd_tokenizer, "train a byte-level BPE vocabulary (tokenizer train)"},
    {"eval", sw_cmd_eval, "evaluations: perplexity, watermark, guard, pii (in a scratch home)"},
    {"audit", sw_cmd_audit, "the Merkle audit log (subcommands below)"},
    {"scan", sw_cmd_scan, "run the input or output guard on a text (no generation)"},
    {"guard", sw_cmd_guard, "guard tools: train, eval, calibrate-ppl"},
    {"serve", sw_cmd_serve, "the HTTP API (OpenAI-compatible) over the pipeline"},
    {"keys", sw_cmd_keys, "the server's API keys: add, list, revoke"},
    {"data", sw_cmd_data, "build a training set from raw text with its lineage (data build)"},
    {"card", sw_cmd_card, "the system card: deployment, model and data lineage, evaluations"},
    {"report", sw_cmd_report, "the transparency report of a period, from the audit log"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f) {
    fprintf(f, "usage: steward [--home DIR] [-v|-q] COMMAND [OPTIONS]\n\n"
               "steward is a responsible generative-AI runtime: every generation passes\n"
               "through the pipeline's controls.\n\ncommands:\n");
    for (const command *c = commands; c->name; c++) fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\naudit subcommands: ");
    sw_cli_audit_subcommands(f);
    fprintf(f, "\n\nglobal options:\n"
               "  --home DIR  state directory (default $STEWARD_HOME, else ~/.steward)\n"
               "  -v, -q      more or fewer messages on stderr\n"
               "  --version   print the version\n"
               "\nexit statuses: 0 done (scan: allow, flag or redact; detect: watermarked;\n"
               "verify: valid); 1 error, or the answer is no (detect: not watermarked; verify:\n"
               "invalid); 2 usage error (detect, verify: any error); 3 sent to review; 4 blocked\n"
               "(scan) or prompt refused (generate); 5 output cut by the guard (generate).\n"
               "\n'steward COMMAND --help' and 'steward COMMAND SUBCOMMAND --help' show the options.\n");
}

static void log_to_stderr(sw_log_level level, const char *msg, void *ud) {
    static const char *names[] = {"error", "warning", "info", "debug"};
    (void)ud;
    fprintf(stderr, "steward: %s: %s\n", names[level], msg);
}

/* Removes "--home DIR" / "--home=DIR" wherever it stands, so that every command
 * accepts it. Returns the new argc, or -1 when the value is missing. */
static int take_home_option(int argc, char **argv) {
    int out = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--home") == 0) {
            if (i + 1 >= argc) return -1;
            sw_cli_home = argv[++i];
            continue;
        }
        if (strncmp(argv[i], "--home=", 7) == 0) {
            sw_cli_home = argv[i] + 7;
            continue;
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv) {
    argc = take_home_option(argc, argv);
    if (argc < 0) {
        fprintf(stderr, "steward: --home needs a directory\n");
        return SW_EXIT_USAGE;
    }
    sw_log_level level = SW_LOG_WARN;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("steward %s\n", SW_VERSION);
            return SW_EXIT_OK;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return SW_EXIT_OK;
        } else if (strcmp(argv[i], "-v") == 0) {
            level = SW_LOG_DEBUG;
        } else if (strcmp(argv[i], "-q") == 0) {
            level = SW_LOG_ERROR;
        } else {
            fprintf(stderr, "steward: unknown option '%s' (see 'steward --help')\n", argv[i]);
            return SW_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return SW_EXIT_USAGE;
    }
    sw_log_set(log_to_stderr, NULL, level);
    sw_err err;
    if (sw_crypto_init(&err) < 0 || sw_map_fault_handler_install(&err) < 0) return sw_cli_fail(argv[i], &err);
    for (const command *c = commands; c->name; c++)
        if (strcmp(c->name, argv[i]) == 0) return c->fn(argc - i, argv + i);
    fprintf(stderr, "steward: unknown command '%s' (see 'steward --help')\n", argv[i]);
    return SW_EXIT_USAGE;
}
