/* cli.h - the command-line front end's shared helpers: option parsing, output, errors. */
#ifndef STEWARD_CLI_H
#define STEWARD_CLI_H

#include "steward/core.h"

#include <jansson.h>
#include <stdio.h>

/* Exit statuses (README.md, "Exit statuses"): 0 done; 1 failed, or the answer is no
 * (detect: not watermarked; verify: invalid); 2 usage error (and, for detect and verify,
 * any error, so that 1 stays their "no"); 3 sent to review; 4 blocked; 5 output cut. */
#define SW_EXIT_OK 0
#define SW_EXIT_FAIL 1
#define SW_EXIT_USAGE 2
#define SW_EXIT_REVIEW 3
#define SW_EXIT_BLOCK 4
#define SW_EXIT_CUT 5

typedef enum { SW_OPT_FLAG, SW_OPT_STR, SW_OPT_INT, SW_OPT_DOUBLE, SW_OPT_LIST } sw_opt_kind;

/* The values of a repeatable option (SW_OPT_LIST), in the order given. */
#define SW_OPT_LIST_MAX 16
typedef struct sw_opt_list {
    const char *v[SW_OPT_LIST_MAX];
    int n;
} sw_opt_list;

/* One option: --name (or "name|n|alias": -n and --alias mean the same), its kind, where
 * its value goes (int* for FLAG and INT, const char** for STR, double* for DOUBLE,
 * sw_opt_list* for LIST), a metavariable and a help line. A table ends with name == NULL. */
typedef struct sw_opt {
    const char *name;
    sw_opt_kind kind;
    void *dst;
    const char *metavar;
    const char *help;
} sw_opt;

/* Parses argv[1..argc) against opts; positional arguments are collected into pos
 * (at most max_pos; more is a usage error). Accepts --name VALUE and --name=VALUE.
 * Returns 0 to go on; SW_CLI_HELP_SHOWN after printing --help (to stdout); or
 * SW_EXIT_USAGE after printing what was wrong (to stderr). `usage` is the text shown
 * above the option list. Callers end with `return sw_cli_exit(rc)` when rc != 0. */
#define SW_CLI_HELP_SHOWN (-1)
static inline int sw_cli_exit(int parse_rc) { return parse_rc < 0 ? SW_EXIT_OK : parse_rc; }
int sw_cli_parse(const char *cmd, const char *usage, const sw_opt *opts, int argc, char **argv,
                 const char **pos, int max_pos, int *npos);

/* Prints "steward CMD: error: MSG" to stderr and returns SW_EXIT_FAIL. */
int sw_cli_fail(const char *cmd, const sw_err *err);
/* Same, for a usage error; returns SW_EXIT_USAGE. */
int sw_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints obj as one compact JSON line on stdout (numbers in their shortest form, members
 * in their order) and releases it. -1 on failure (a NaN, no memory). */
int sw_cli_print_json(json_t *obj);

/* The state directory given by the global --home option (NULL when absent). */
extern const char *sw_cli_home;

/* A command's entry point: argv[0] is the command's name. Returns the exit status. */
typedef int (*sw_cmd_fn)(int argc, char **argv);
int sw_cmd_audit(int argc, char **argv);
/* Writes the audit subcommands' names, comma-separated, for `steward --help`. */
void sw_cli_audit_subcommands(FILE *f);

int sw_cmd_generate(int argc, char **argv);
int sw_cmd_detect(int argc, char **argv);
int sw_cmd_verify(int argc, char **argv);
int sw_cmd_keygen(int argc, char **argv);


/* `steward model quantize IN OUT TYPE` and `steward model demo OUT` (argv[0] is the
 * subcommand's name); wired into the `model` command. */
int sw_cmd_model_quantize(int argc, char **argv);
int sw_cmd_model_demo(int argc, char **argv);
int sw_cmd_model(int argc, char **argv);
int sw_cmd_train(int argc, char **argv);
int sw_cmd_tokenizer(int argc, char **argv);
int sw_cmd_eval(int argc, char **argv);
int sw_cmd_eval_guard(int argc, char **argv);
int sw_cmd_eval_redteam(int argc, char **argv);
int sw_cmd_eval_pii(int argc, char **argv); /* cmd_eval_pii.c */

int sw_cmd_scan(int argc, char **argv);
int sw_cmd_guard(int argc, char **argv);
int sw_cmd_serve(int argc, char **argv);
int sw_cmd_keys(int argc, char **argv);
int sw_cmd_data(int argc, char **argv);
/* Evidence (issue 16): `report`, `card`, `eval bias`, `eval replay`. */
int sw_cmd_report(int argc, char **argv);
int sw_cmd_card(int argc, char **argv);
int sw_cmd_eval_bias(int argc, char **argv);
int sw_cmd_eval_replay(int argc, char **argv);
/* Writes text to path, or to stdout when path is NULL (cmd_report.c). -1 with err. */
int sw_cli_write_text(const char *path, const sw_buf *text, sw_err *err);
/* prefix and argv[1..argc) joined by spaces into out (cut to outsz), for records. */
#define SW_CLI_COMMAND_LINE_MAX 1024 /* the command line an evaluation record keeps */
void sw_cli_command_line(const char *prefix, int argc, char **argv, char *out, size_t outsz);
/* `eval NAME --record`: appends figures to the audit log of the state directory as an
 * evaluation record (with the command line) that `card` and `report` cite, and sets
 * figures.record to its index. -1 with err (cmd_eval_bias.c). */
int sw_cli_eval_record(const char *name, int argc, char **argv, json_t *figures, sw_err *err);


#endif
