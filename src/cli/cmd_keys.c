/* cmd_keys.c - `steward keys add|list|revoke`: the server's API keys in $STEWARD_HOME/state.db. */
#include "cli.h"
#include "steward/audit.h"
#include "steward/store.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define KEYS_PRINCIPAL "cli"

static const char *ADD_USAGE =
    "keys add --role user|reviewer|admin [--name NAME] [--rate N/min] [--tokens-per-day N] [--json]\n\n"
    "Creates an API key for the server and prints it once, as the last word of the line:\n"
    "only a hash of it is kept, so it cannot be shown again. --rate limits requests per\n"
    "minute (N, N/min or N/s); --tokens-per-day limits generated tokens per UTC day (k and M\n"
    "suffixes allowed); 0 or absent means unlimited. The action is recorded in the audit log\n"
    "(never the key itself).";
static const char *LIST_USAGE =
    "keys list [--json]\n\n"
    "Lists every key (revoked ones too): id, name, role, limits, tokens used today, when it\n"
    "was created and whether it is revoked. Secrets are never shown.";
static const char *REVOKE_USAGE =
    "keys revoke ID|NAME [--json]\n\n"
    "Revokes a key by its id or name: it no longer authenticates (a running server sees it\n"
    "within a fraction of a second). Recorded in the audit log.";

/* Opens the audit log and the store under the state directory. On failure prints the error
 * and returns SW_EXIT_FAIL with nothing left open. */
static int open_both(const char *cmd, int with_audit, sw_audit **log, sw_store **s) {
    sw_err err;
    char home[PATH_MAX];
    *log = NULL;
    *s = NULL;
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0) return sw_cli_fail(cmd, &err);
    if (with_audit) {
        sw_audit_opts o = {0};
        if (sw_audit_open(home, &o, log, &err) < 0) {
            sw_err_prefix(&err, "audit log (key changes are recorded there; stop the process that holds it)");
            return sw_cli_fail(cmd, &err);
        }
    }
    if (sw_store_open(home, s, &err) < 0) {
        sw_audit_close(*log, NULL);
        *log = NULL;
        return sw_cli_fail(cmd, &err);
    }
    return SW_EXIT_OK;
}

/* Closes both; SW_EXIT_FAIL when the audit log's final flush failed. */
static int close_both(const char *cmd, sw_audit *log, sw_store *s, int rc) {
    sw_err err;
    sw_store_close(s);
    if (sw_audit_close(log, &err) < 0 && rc == SW_EXIT_OK) return sw_cli_fail(cmd, &err);
    return rc;
}

static json_t *key_json(const sw_key_info *k) {
    return json_pack("{s:s,s:s,s:s,s:i,s:I,s:I,s:b}", "id", k->id, "name", k->name, "role", sw_role_name(k->role),
                     "rate_per_min", k->rate_per_min, "tokens_per_day", (json_int_t)k->tokens_per_day, "created",
                     (json_int_t)k->created, "revoked", k->revoked);
}

/* Parses add's options into the role and limits. 0, or the exit status of a usage error. */
static int add_options(const char *role_s, const char *rate_s, const char *tokens_s, sw_role *role, int *rate,
                       long long *tokens) {
    sw_err err;
    if (!role_s) return sw_cli_usage_error("keys add", "--role is required (user, reviewer or admin)");
    if (sw_role_parse(role_s, role) < 0)
        return sw_cli_usage_error("keys add", "unknown role '%s' (user, reviewer or admin)", role_s);
    if (rate_s && sw_store_parse_rate(rate_s, rate, &err) < 0) return sw_cli_usage_error("keys add", "%s", err.msg);
    if (tokens_s && sw_store_parse_tokens(tokens_s, tokens, &err) < 0)
        return sw_cli_usage_error("keys add", "%s", err.msg);
    return 0;
}

static int keys_add(int argc, char **argv) {
    const char *role_s = NULL, *name = NULL, *rate_s = NULL, *tokens_s = NULL;
    int json = 0;
    const sw_opt opts[] = {
        {"role", SW_OPT_STR, &role_s, "ROLE", "user, reviewer or admin (required)"},
        {"name", SW_OPT_STR, &name, "NAME", "unique among live keys; printable ASCII, no spaces, <= 64 bytes"},
        {"rate", SW_OPT_STR, &rate_s, "N/min", "requests per minute (N, N/min or N/s); 0: unlimited"},
        {"tokens-per-day", SW_OPT_STR, &tokens_s, "N", "generated tokens per UTC day; 0: unlimited"},
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object (the key in \"key\")"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos, rate = 0;
    long long tokens = 0;
    sw_role role = SW_ROLE_USER;
    int rc = sw_cli_parse("keys add", ADD_USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if ((rc = add_options(role_s, rate_s, tokens_s, &role, &rate, &tokens)) != 0) return rc;
    sw_audit *log;
    sw_store *s;
    if ((rc = open_both("keys add", 1, &log, &s)) != SW_EXIT_OK) return rc;
    sw_err err;
    char secret[SW_KEY_SECRET_CHARS];
    sw_key_info k;
    if (sw_store_key_add(s, name, role, rate, tokens, secret, &k, &err) < 0)
        return close_both("keys add", log, s, sw_cli_fail("keys add", &err));
    if (sw_store_key_audit(log, "add", &k, KEYS_PRINCIPAL, NULL, &err) < 0) {
        sw_store_key_revoke(s, k.id, NULL); /* an unrecorded key must not work */
        sodium_memzero(secret, sizeof secret);
        return close_both("keys add", log, s, sw_cli_fail("keys add", &err));
    }
    if (json) {
        json_t *o = key_json(&k);
        json_object_set_new(o, "key", json_string(secret));
        sw_cli_print_json(o);
    } else {
        printf("created key %s (name %s, role %s): %s\n", k.id, k.name[0] ? k.name : "-", sw_role_name(k.role),
               secret);
    }
    sodium_memzero(secret, sizeof secret);
    return close_both("keys add", log, s, SW_EXIT_OK);
}

typedef struct {
    sw_store *s;
    json_t *arr; /* NULL: print a table */
    int failed;
    sw_err err;
} list_ctx;

static void format_limit(char *out, size_t n, long long v, const char *unit) {
    if (v) snprintf(out, n, "%lld%s", v, unit);
    else snprintf(out, n, "-");
}

static int print_key(void *ud, const sw_key_info *k) {
    list_ctx *c = ud;
    long long used = 0;
    if (sw_store_limit_used(c->s, k->id, &used, &c->err) < 0) {
        c->failed = 1;
        return 1;
    }
    if (c->arr) {
        json_t *o = key_json(k);
        json_object_set_new(o, "tokens_today", json_integer(used));
        json_array_append_new(c->arr, o);
        return 0;
    }
    char created[32], rate[24], tokens[32];
    time_t t = (time_t)k->created;
    struct tm tm;
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    format_limit(rate, sizeof rate, k->rate_per_min, "/min");
    format_limit(tokens, sizeof tokens, k->tokens_per_day, "/day");
    printf("%-16s  %-20s  %-8s  %-10s  %-14s  %-11lld  %-20s  %s\n", k->id, k->name[0] ? k->name : "-",
           sw_role_name(k->role), rate, tokens, used, created, k->revoked ? "revoked" : "live");
    return 0;
}

static int keys_list(int argc, char **argv) {
    int json = 0;
    const sw_opt opts[] = {
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object {\"keys\":[...]}"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("keys list", LIST_USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    sw_audit *log;
    list_ctx c = {0};
    if ((rc = open_both("keys list", 0, &log, &c.s)) != SW_EXIT_OK) return rc;
    c.arr = json ? json_array() : NULL;
    if (!json)
        printf("%-16s  %-20s  %-8s  %-10s  %-14s  %-11s  %-20s  %s\n", "ID", "NAME", "ROLE", "RATE", "TOKENS",
               "USED_TODAY", "CREATED", "STATE");
    if (sw_store_key_list(c.s, print_key, &c, &c.err) < 0) c.failed = 1;
    sw_store_close(c.s);
    if (c.failed) {
        json_decref(c.arr);
        return sw_cli_fail("keys list", &c.err);
    }
    if (json) sw_cli_print_json(json_pack("{s:o}", "keys", c.arr));
    return SW_EXIT_OK;
}

static int keys_revoke(int argc, char **argv) {
    int json = 0;
    const sw_opt opts[] = {
        {"json", SW_OPT_FLAG, &json, NULL, "print the revoked key as one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("keys revoke", REVOKE_USAGE, opts, argc, argv, pos, 1, &npos);
    if (rc) return sw_cli_exit(rc);
    if (npos != 1) return sw_cli_usage_error("keys revoke", "which key? give its id or name");
    sw_audit *log;
    sw_store *s;
    if ((rc = open_both("keys revoke", 1, &log, &s)) != SW_EXIT_OK) return rc;
    sw_err err;
    sw_key_info k;
    int found = sw_store_key_get(s, pos[0], &k, &err);
    if (found == 0) sw_err_set(&err, "no key with id or name '%s' (see 'steward keys list')", pos[0]);
    else if (found == 1 && k.revoked) sw_err_set(&err, "key %s (%s) is already revoked", k.id, k.name[0] ? k.name : "-");
    else if (found == 1 && sw_store_key_revoke(s, k.id, &err) == 1) found = 2;
    if (found == 2 && sw_store_key_audit(log, "revoke", &k, KEYS_PRINCIPAL, NULL, &err) == 0) {
        k.revoked = 1;
        if (json) sw_cli_print_json(key_json(&k));
        else printf("revoked key %s (name %s, role %s)\n", k.id, k.name[0] ? k.name : "-", sw_role_name(k.role));
        return close_both("keys revoke", log, s, SW_EXIT_OK);
    }
    return close_both("keys revoke", log, s, sw_cli_fail("keys revoke", &err));
}

/* ---- dispatch ---- */

static const struct {
    const char *name;
    sw_cmd_fn fn;
    const char *summary;
} subcommands[] = {
    {"add", keys_add, "create an API key (printed once)"},
    {"list", keys_list, "list the keys, their roles and limits"},
    {"revoke", keys_revoke, "revoke a key by id or name"},
    {NULL, NULL, NULL},
};

static void keys_usage(FILE *f) {
    fprintf(f, "usage: steward keys SUBCOMMAND [OPTIONS]\n\n"
               "The server's API keys, kept (hashed) in $STEWARD_HOME/state.db.\n\nsubcommands:\n");
    for (int i = 0; subcommands[i].name; i++) fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n'steward keys SUBCOMMAND --help' shows its options.\n");
}

int sw_cmd_keys(int argc, char **argv) {
    if (argc < 2) {
        keys_usage(stderr);
        return SW_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        keys_usage(stdout);
        return SW_EXIT_OK;
    }
    for (int i = 0; subcommands[i].name; i++)
        if (strcmp(subcommands[i].name, argv[1]) == 0) return subcommands[i].fn(argc - 1, argv + 1);
    return sw_cli_usage_error("keys", "unknown subcommand '%s'", argv[1]);
}
