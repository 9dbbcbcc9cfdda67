/* cmd_verify.c - `steward verify`: checks delivered text against its signed manifest. */
#include "cli.h"
#include "steward/json.h"
#include "steward/keys.h"
#include "steward/label.h"

#include <limits.h>
#include <stdio.h>

static const char *USAGE =
    "verify [--manifest FILE] [--json] [FILE]\n\n"
    "Checks a text as it was delivered (FILE, or stdin) against its provenance manifest:\n"
    "the signature (by this instance's current or retired signing keys), the content hash\n"
    "and the label fields. The manifest comes from --manifest (the JSON sidecar) or from\n"
    "the text's front matter. Exit 0 when valid; exit 1 with the reason when not.";

int sw_cmd_verify(int argc, char **argv) {
    const char *manifest_path = NULL;
    int json = 0;
    const sw_opt opts[] = {
        {"manifest", SW_OPT_STR, &manifest_path, "FILE", "manifest JSON (default: the text's front matter)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print {\"valid\": ..., \"reason\": ...}"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1] = {"-"};
    int npos;
    int rc = sw_cli_parse("verify", USAGE, opts, argc, argv, pos, 1, &npos);
    if (rc) return sw_cli_exit(rc);
    const char *path = npos ? pos[0] : "-";

    sw_err err;
    char home[PATH_MAX];
    sw_buf doc = {0};
    json_t *manifest = NULL;
    const char *text = NULL;
    size_t text_len = 0;
    uint8_t trusted[SW_KEYS_MAX_OLD + 1][32];
    size_t n_trusted = 0;
    rc = -1;
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0) goto out;
    if (sw_keys_public_all(home, "signing", trusted, SW_KEYS_MAX_OLD + 1, &n_trusted, &err) < 0) goto out;
    if (sw_read_file(path, &doc, &err) < 0) goto out;
    if (manifest_path) {
        if (!(manifest = sw_json_load_file(manifest_path, SW_FILE_MAX_SMALL, 0, &err))) goto out;
        text = doc.data ? doc.data : "";
        text_len = doc.len;
    } else if (sw_manifest_extract(doc.data ? doc.data : "", doc.len, &manifest, &text, &text_len, &err) < 0) {
        goto out;
    }
    rc = sw_manifest_verify(manifest, text, text_len, (const uint8_t(*)[32])trusted, (int)n_trusted, &err);
out:
    if (json)
        sw_cli_print_json(json_pack("{s:b,s:s}", "valid", rc == 0, "reason", rc == 0 ? "" : err.msg));
    if (rc < 0) fprintf(stderr, "steward verify: invalid: %s\n", err.msg);
    json_decref(manifest);
    sw_buf_free(&doc);
    return rc == 0 ? SW_EXIT_OK : SW_EXIT_FAIL;
}
