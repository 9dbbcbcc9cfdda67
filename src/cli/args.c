/* args.c - table-driven option parsing and uniform error output for every command. */
#include "cli.h"
#include "steward/jcs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of an option's primary name (its name up to the first '|'). */
static int primary_len(const sw_opt *o) { return (int)strcspn(o->name, "|"); }

/* The option's names as help shows them: "-m, --model FILE", "--temperature, --temp T". */
static void help_left(const sw_opt *o, char *out, size_t outsz) {
    size_t n = 0;
    const char *p = o->name;
    char shorts[32] = "", longs[96] = "";
    while (*p) {
        size_t len = strcspn(p, "|");
        char *dst = len == 1 ? shorts : longs;
        size_t used = strlen(dst), cap = len == 1 ? sizeof shorts : sizeof longs;
        snprintf(dst + used, cap - used, "%s%s%.*s", used ? ", " : "", len == 1 ? "-" : "--", (int)len, p);
        p += len + (p[len] == '|');
    }
    n = (size_t)snprintf(out, outsz, "%s%s%s", shorts, *shorts ? ", " : "", longs);
    if (o->kind != SW_OPT_FLAG && n < outsz)
        snprintf(out + n, outsz - n, " %s", o->metavar ? o->metavar : "VALUE");
}

static void print_help(const char *cmd, const char *usage, const sw_opt *opts) {
    printf("usage: steward %s\n\n", usage);
    printf("options:\n");
    for (const sw_opt *o = opts; o->name; o++) {
        char left[128];
        help_left(o, left, sizeof left);
        if (strlen(left) > 24) printf("  %s\n  %-24s %s\n", left, "", o->help);
        else printf("  %-24s %s\n", left, o->help);
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
    sw_buf b = {0};
    int rc = sw_json_compact_append(obj, &b, NULL);
    json_decref(obj);
    if (rc == 0) {
        fwrite(b.data, 1, b.len, stdout);
        fputc('\n', stdout);
    }
    sw_buf_free(&b);
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
    case SW_OPT_LIST: {
        sw_opt_list *l = o->dst;
        if (l->n == SW_OPT_LIST_MAX) return sw_cli_usage_error(cmd, "--%s given more than %d times", o->name, SW_OPT_LIST_MAX);
        l->v[l->n++] = val;
        return 0;
    }
    case SW_OPT_INT: {
        errno = 0;
        long v = strtol(val, &end, 10);
        if (errno || *end || end == val || v < -2147483647L || v > 2147483647L)
            return sw_cli_usage_error(cmd, "--%.*s expects an integer, got '%s'", primary_len(o), o->name, val);
        *(int *)o->dst = (int)v;
        return 0;
    }
    case SW_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (errno || *end || end == val)
            return sw_cli_usage_error(cmd, "--%.*s expects a number, got '%s'", primary_len(o), o->name, val);
        if (!isfinite(v)) /* strtod takes "nan" and "inf"; no option means either */
            return sw_cli_usage_error(cmd, "--%.*s expects a finite number, got '%s'", primary_len(o), o->name, val);
        *(double *)o->dst = v;
        return 0;
    }
    default:
        return sw_cli_usage_error(cmd, "--%.*s takes no value", primary_len(o), o->name);
    }
}

/* The option one of whose '|'-separated names is name[0..nlen) (a one-letter name is
 * written -X, a longer one --NAME); NULL when none is. */
static const sw_opt *find_opt(const sw_opt *opts, const char *name, size_t nlen) {
    for (const sw_opt *o = opts; o->name; o++)
        for (const char *p = o->name; *p;) {
            size_t len = strcspn(p, "|");
            if (len == nlen && strncmp(p, name, nlen) == 0) return o;
            p += len + (p[len] == '|');
        }
    return NULL;
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
        /* a short option: "-X" when X is one of the option names, else a positional */
        const sw_opt *o = a[0] == '-' && a[1] && a[1] != '-' && !a[2] ? find_opt(opts, a + 1, 1) : NULL;
        const char *eq = NULL;
        if (!o) {
            if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
                if (*npos >= max_pos) return sw_cli_usage_error(cmd, "unexpected argument '%s'", a);
                pos[(*npos)++] = a;
                continue;
            }
            const char *name = a + 2;
            eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            o = nlen > 1 ? find_opt(opts, name, nlen) : NULL;
            if (!o) return sw_cli_usage_error(cmd, "unknown option '--%.*s'", (int)nlen, name);
        }
        if (o->kind == SW_OPT_FLAG) {
            if (eq) return sw_cli_usage_error(cmd, "--%.*s takes no value", primary_len(o), o->name);
            *(int *)o->dst = 1;
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (i + 1 >= argc) return sw_cli_usage_error(cmd, "--%.*s needs a value", primary_len(o), o->name);
            val = argv[++i];
        }
        int rc = store_value(cmd, o, val);
        if (rc) return rc;
    }
    return 0;
}
