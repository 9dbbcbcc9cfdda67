/* cmd_keygen.c - `steward keygen`: creates or rotates the signing and watermark keys. */
#include "cli.h"
#include "steward/audit.h"
#include "steward/keys.h"
#include "steward/watermark.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *USAGE =
    "keygen [--rotate] [--signing | --watermark] [--json]\n\n"
    "Creates the instance's keys under $STEWARD_HOME/keys (mode 0600) when missing and\n"
    "prints their ids. --rotate replaces them; old public signing keys and old watermark\n"
    "keys are kept so that earlier manifests still verify and earlier text is still\n"
    "detected. Without --signing or --watermark, both keys are handled.";

/* Records a key change in the audit log: the old key's hash in, the new key's out (for
 * the watermark key, SHA-256 of the key, from which it cannot be recovered). */
static int record_key_change(const char *home, const char *name, const uint8_t *old, int had_old,
                             const uint8_t *fresh, size_t n, sw_err *err) {
    char old_hex[65], new_hex[65], details[128];
    sw_sha256_hex(old, n, old_hex);
    sw_sha256_hex(fresh, n, new_hex);
    sw_audit_artifact in = {"key", name, old_hex}, out = {"key", name, new_hex};
    snprintf(details, sizeof details, "{\"key\":\"%s\",\"action\":\"rotate\"}", name);
    uint64_t idx;
    return sw_audit_lineage_home(home, "key", "cli", &in, had_old ? 1 : 0, &out, 1, details, &idx, err);
}

int sw_cmd_keygen(int argc, char **argv) {
    int rotate = 0, signing = 0, watermark = 0, json = 0;
    const sw_opt opts[] = {
        {"rotate", SW_OPT_FLAG, &rotate, NULL, "replace the key(s), keeping the old ones for verification"},
        {"signing", SW_OPT_FLAG, &signing, NULL, "only the Ed25519 signing key"},
        {"watermark", SW_OPT_FLAG, &watermark, NULL, "only the watermark key"},
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("keygen", USAGE, opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    if (!signing && !watermark) signing = watermark = 1;

    sw_err err;
    char home[PATH_MAX];
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0) return sw_cli_fail("keygen", &err);
    json_t *out = json_object();
    if (signing) {
        sw_keypair kp;
        uint8_t old_pk[32];
        int had_old = 0;
        rc = rotate ? sw_keys_rotate(home, "signing", &kp, old_pk, &had_old, &err)
                    : sw_keys_load_or_create(home, "signing", &kp, &err);
        if (rc == 0 && rotate) rc = record_key_change(home, "signing", old_pk, had_old, kp.pk, 32, &err);
        if (rc < 0) {
            json_decref(out);
            return sw_cli_fail("keygen", &err);
        }
        char id[17], pk[64];
        sw_keys_id(kp.pk, id);
        sodium_bin2base64(pk, sizeof pk, kp.pk, sizeof kp.pk, sodium_base64_VARIANT_ORIGINAL);
        sw_keys_wipe(&kp);
        json_object_set_new(out, "signing", json_pack("{s:s,s:s,s:s}", "alg", "ed25519", "key_id", id,
                                                      "public_key", pk));
        if (!json) printf("signing key   ed25519 %s  public %s\n", id, pk);
    }
    if (watermark) {
        uint8_t key[SW_WM_KEY_BYTES], old[SW_WM_KEY_BYTES];
        rc = sw_keys_secret_load_or_create(home, SW_WM_KEY_NAME, old, sizeof old, &err);
        if (rc == 0 && rotate) rc = sw_keys_secret_rotate(home, SW_WM_KEY_NAME, key, sizeof key, &err);
        else memcpy(key, old, sizeof key);
        if (rc == 0 && rotate) rc = record_key_change(home, SW_WM_KEY_NAME, old, 1, key, sizeof key, &err);
        sodium_memzero(old, sizeof old);
        if (rc < 0) {
            json_decref(out);
            return sw_cli_fail("keygen", &err);
        }
        char id[17];
        sw_wm_key_id(key, id);
        sodium_memzero(key, sizeof key);
        json_object_set_new(out, "watermark", json_pack("{s:s}", "key_id", id));
        if (!json) printf("watermark key %s\n", id);
    }
    json_object_set_new(out, "home", json_string(home));
    json_object_set_new(out, "rotated", json_boolean(rotate));
    if (json) sw_cli_print_json(out);
    else json_decref(out);
    return SW_EXIT_OK;
}
