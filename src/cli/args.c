/* args.c - table-driven option parsing and uniform error output for every command. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(const char *cmd, const char *usage, const sw_opt *opts) {
    printf("usage: steward %s\n\n", usage);
    printf("options:\n");
    for (const sw_opt *o = opts; o->name; o++) {
        char left[64];
        if (o->kind == SW_OPT_FLAG) snprintf(left, sizeof left, "--%s", o->name);
        else snprintf(left, sizeof left, "--%s %s", o->name, o->metavar ? o->metavar : "VALUE");
        printf("  %-24s %s\n", left, o->help);
    }
    printf("  %-24s %s\n", "--home DIR", "state directory (default $STEWARD_HOME or ~/.steward)");
    printf("  %-24s %s\n", "--help", "show this help");
    (void)cmd;
}

int sw_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "steward %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'steward %s --help')\n", cmd);
    va_end(ap);
    return SW_EXIT_USAGE;
}

int sw_cli_fail(const char *cmd, const sw_err *err) {
    fprintf(stderr, "steward %s: error: %s\n", cmd, err->msg);
    return SW_EXIT_FAIL;
}

int sw_cli_print_json(json_t *obj) {
    if (!obj) return -1;
    int rc = json_dumpf(obj, stdout, JSON_COMPACT | JSON_ENSURE_ASCII * 0);
    json_decref(obj);
    fputc('\n', stdout);
    fflush(stdout);
    return rc;
}

/* Stores a textual value into an option's destination; returns 0 or a usage error. */
static int store_value(const char *cmd, const sw_opt *o, const char *val) {
    char *end;
    switch (o->kind) {
    case SW_OPT_STR:
        *(const char **)o->dst = val;
        return 0;
    case SW_OPT_INT: {
        errno = 0;
        long v = strtol(val, &end, 10);
        if (errno || *end || end == val || v < -2147483647L || v > 2147483647L)
            return sw_cli_usage_error(cmd, "--%s expects an integer, got '%s'", o->name, val);
        *(int *)o->dst = (int)v;
        return 0;
    }
    case SW_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (errno || *end || end == val)
            return sw_cli_usage_error(cmd, "--%s expects a number, got '%s'", o->name, val);
        if (!isfinite(v)) /* strtod takes "nan" and "inf"; no option means either */
            return sw_cli_usage_error(cmd, "--%s expects a finite number, got '%s'", o->name, val);
        *(double *)o->dst = v;
        return 0;
    }
    default:
        return sw_cli_usage_error(cmd, "--%s takes no value", o->name);
    }
}

int sw_cli_parse(const char *cmd, const char *usage, const sw_opt *opts, int argc, char **argv,
                 const char **pos, int max_pos, int *npos) {
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(cmd, usage, opts);
            return SW_CLI_HELP_SHOWN;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (*npos >= max_pos) return sw_cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const sw_opt *o = opts;
        while (o->name && !(strlen(o->name) == nlen && strncmp(o->name, name, nlen) == 0)) o++;
        if (!o->name) return sw_cli_usage_error(cmd, "unknown option '--%.*s'", (int)nlen, name);
        if (o->kind == SW_OPT_FLAG) {
            if (eq) return sw_cli_usage_error(cmd, "--%s takes no value", o->name);
            *(int *)o->dst = 1;
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (i + 1 >= argc) return sw_cli_usage_error(cmd, "--%s needs a value", o->name);
            val = argv[++i];
        }
        int rc = store_value(cmd, o, val);
        if (rc) return rc;
    }
    return 0;
}
