/* cmd_keygen.c - `steward keygen`: creates or rotates the signing, watermark and audit keys. */
#include "cli.h"
#include "steward/audit.h"
#include "steward/keys.h"
#include "steward/watermark.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define AUDIT_KEY_NAME "audit"
#define SIGNING_KEY_NAME "signing"

static const char *USAGE =
    "keygen [--rotate] [--signing | --watermark | --audit] [--json]\n\n"
    "Creates the instance's keys under $STEWARD_HOME/keys (mode 0600) when missing and\n"
    "prints their ids. --rotate replaces them; old public signing keys and old watermark\n"
    "keys are kept so that earlier manifests still verify and earlier text is still\n"
    "detected. Without --signing, --watermark or --audit, the signing and watermark keys\n"
    "are handled. A rotation holds the audit log's writer lock from start to end, so it\n"
    "fails before changing anything while a generation runs, and each new key is recorded\n"
    "in the log. A lost secret key is never replaced on its own: restore it from a backup,\n"
    "or start a new one with --rotate (the old public key is archived).";

/* Appends a key-change record to the open log: the old key's hash in, the new key's out
 * (for a secret key, its SHA-256, from which it cannot be recovered). */
static int record_key_change(sw_audit *log, const char *name, const uint8_t *old, int had_old,
                             const uint8_t *fresh, size_t n, sw_err *err) {
    char old_hex[65], new_hex[65], details[128];
    sw_sha256_hex(old, n, old_hex);
    sw_sha256_hex(fresh, n, new_hex);
    sw_audit_artifact in = {"key", name, old_hex}, out = {"key", name, new_hex};
    snprintf(details, sizeof details, "{\"key\":\"%s\",\"action\":\"rotate\"}", name);
    uint64_t idx;
    return sw_audit_lineage(log, "key", "cli", &in, had_old ? 1 : 0, &out, 1, details, &idx, err);
}

/* Loads, or rotates under the open log, the signing key; adds it to out. */
static int do_signing(const char *home, sw_audit *log, json_t *out, int json, sw_err *err) {
    sw_keypair kp;
    uint8_t old_pk[32] = {0};
    int had_old = 0;
    int rc = log ? sw_keys_rotate(home, SIGNING_KEY_NAME, &kp, old_pk, &had_old, err)
                 : sw_keys_load_or_create(home, SIGNING_KEY_NAME, &kp, err);
    if (rc == 0 && log) rc = record_key_change(log, SIGNING_KEY_NAME, old_pk, had_old, kp.pk, 32, err);
    if (rc < 0) return -1;
    char id[17], pk[64];
    sw_keys_id(kp.pk, id);
    sodium_bin2base64(pk, sizeof pk, kp.pk, sizeof kp.pk, sodium_base64_VARIANT_ORIGINAL);
    sw_keys_wipe(&kp);
    json_object_set_new(out, "signing", json_pack("{s:s,s:s,s:s}", "alg", "ed25519", "key_id", id, "public_key", pk));
    if (!json) printf("signing key   ed25519 %s  public %s\n", id, pk);
    return 0;
}

/* 1 when keys/NAME exists under home (any kind of file). */
static int key_file_exists(const char *home, const char *file) {
    char path[PATH_MAX + 64];
    struct stat st;
    snprintf(path, sizeof path, "%s/keys/%s", home, file);
    return lstat(path, &st) == 0;
}

/* Loads, or rotates under the open log, the watermark key; adds it to out. */
static int do_watermark(const char *home, sw_audit *log, json_t *out, int json, sw_err *err) {
    uint8_t key[SW_WM_KEY_BYTES], old[SW_WM_KEY_BYTES] = {0};
    int had_old = 0, rc = 0;
    if (log && key_file_exists(home, SW_WM_KEY_NAME ".key")) {
        rc = sw_keys_secret_load_or_create(home, SW_WM_KEY_NAME, old, sizeof old, err);
        had_old = 1;
    }
    if (rc == 0)
        rc = log ? sw_keys_secret_rotate(home, SW_WM_KEY_NAME, key, sizeof key, err)
                 : sw_keys_secret_load_or_create(home, SW_WM_KEY_NAME, key, sizeof key, err);
    if (rc == 0 && log) rc = record_key_change(log, SW_WM_KEY_NAME, old, had_old, key, sizeof key, err);
    sodium_memzero(old, sizeof old);
    if (rc < 0) {
        sodium_memzero(key, sizeof key);
        return -1;
    }
    char id[17];
    sw_wm_key_id(key, id);
    sodium_memzero(key, sizeof key);
    json_object_set_new(out, "watermark", json_pack("{s:s}", "key_id", id));
    if (!json) printf("watermark key %s\n", id);
    return 0;
}

/* Rotates the audit checkpoint key. When its secret was lost the log cannot be opened
 * with it, so the key files are rotated first and the change recorded after. */
static int do_audit(const char *home, sw_audit **log, json_t *out, int json, sw_err *err) {
    uint64_t idx;
    if (*log) {
        if (sw_audit_rotate_key(*log, "cli", &idx, err) < 0) return -1;
    } else {
        sw_keypair kp;
        uint8_t old[32] = {0};
        int had_old = 0;
        if (sw_keys_rotate(home, AUDIT_KEY_NAME, &kp, old, &had_old, err) < 0) return -1;
        sw_keys_wipe(&kp);
        sw_audit_opts ao = {0};
        if (sw_audit_open(home, &ao, log, err) < 0) return -1;
        uint8_t pub[1][32];
        size_t n = 0;
        if (sw_keys_public_all(home, AUDIT_KEY_NAME, pub, 1, &n, err) < 0 || n != 1) return -1;
        if (record_key_change(*log, AUDIT_KEY_NAME, old, had_old, pub[0], 32, err) < 0) return -1;
    }
    uint8_t pub[1][32];
    size_t n = 0;
    if (sw_keys_public_all(home, AUDIT_KEY_NAME, pub, 1, &n, err) < 0 || n != 1)
        return sw_err_set(err, "keys/%s.pub: missing after rotation", AUDIT_KEY_NAME);
    char id[17];
    sw_keys_id(pub[0], id);
    json_object_set_new(out, "audit", json_pack("{s:s,s:s}", "alg", "ed25519", "key_id", id));
    if (!json) printf("audit key     ed25519 %s\n", id);
    return 0;
}

int sw_cmd_keygen(int argc, char **argv) {
    int rotate = 0, signing = 0, watermark = 0, audit = 0, json = 0;
    const sw_opt opts[] = {
        {"rotate", SW_OPT_FLAG, &rotate, NULL, "replace the key(s), keeping the old ones for verification"},
        {"signing", SW_OPT_FLAG, &signing, NULL, "only the Ed25519 signing key"},
        {"watermark", SW_OPT_FLAG, &watermark, NULL, "only the watermark key"},
        {"audit", SW_OPT_FLAG, &audit, NULL, "only the audit log's checkpoint key (with --rotate)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("keygen", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (audit && !rotate) return sw_cli_usage_error("keygen", "--audit only goes with --rotate");
    if (!signing && !watermark && !audit) signing = watermark = 1;

    sw_err err;
    char home[PATH_MAX];
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0) return sw_cli_fail("keygen", &err);
    /* A rotation takes the log's writer lock before touching any key: all or nothing
     * against a running writer. A lost audit key is the one case the log cannot open. */
    sw_audit *log = NULL;
    int audit_lost = audit && !key_file_exists(home, AUDIT_KEY_NAME ".key") && key_file_exists(home, AUDIT_KEY_NAME ".pub");
    if (rotate && !audit_lost) {
        sw_audit_opts ao = {0};
        if (sw_audit_open(home, &ao, &log, &err) < 0) return sw_cli_fail("keygen", &err);
    }
    json_t *out = json_object();
    rc = 0;
    if (audit) rc = do_audit(home, &log, out, json, &err);
    if (rc == 0 && signing) rc = do_signing(home, log, out, json, &err);
    if (rc == 0 && watermark) rc = do_watermark(home, log, out, json, &err);
    sw_err cerr;
    if (log && sw_audit_close(log, &cerr) < 0 && rc == 0) {
        rc = -1;
        err = cerr;
    }
    if (rc < 0) {
        json_decref(out);
        return sw_cli_fail("keygen", &err);
    }
    json_object_set_new(out, "home", json_string(home));
    json_object_set_new(out, "rotated", json_boolean(rotate));
    if (json) sw_cli_print_json(out);
    else json_decref(out);
    return SW_EXIT_OK;
}
