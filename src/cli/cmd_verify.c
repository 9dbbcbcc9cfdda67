/* cmd_verify.c - `steward verify`: checks delivered text against its signed manifest. */
#include "cli.h"
#include "steward/api.h"

#include <stdio.h>

static const char *USAGE =
    "verify [--manifest FILE] [--json] [FILE]\n\n"
    "Checks a text as it was delivered (FILE, or stdin) against its provenance manifest:\n"
    "the signature (by this instance's current or retired signing keys), the content hash\n"
    "and the label fields. The manifest comes from --manifest (the JSON sidecar) or from\n"
    "the text's front matter. The signature covers the manifest's RFC 8785 canonical form,\n"
    "so a manifest rewritten by any JSON tool (jq, Python) still verifies.\n\n"
    "On success prints one line saying what was checked (--json: {\"valid\": true,\n"
    "\"checked\": {...}}). Exit status: 0 valid, 1 invalid (the reason on stderr),\n"
    "2 usage error or unreadable input.";

int sw_cmd_verify(int argc, char **argv) {
    const char *manifest_path = NULL;
    int json = 0;
    const sw_opt opts[] = {
        {"manifest", SW_OPT_STR, &manifest_path, "FILE", "manifest JSON (default: the text's front matter)"},
        {"json", SW_OPT_FLAG, &json, NULL, "print {\"valid\": ..., \"reason\": ..., \"checked\": ...}"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1] = {"-"};
    int npos;
    int rc = sw_cli_parse("verify", USAGE, opts, argc, argv, pos, 1, &npos);
    if (rc) return sw_cli_exit(rc);
    const char *path = npos ? pos[0] : "-";

    sw_err err;
    sw_buf doc = {0}, mbuf = {0};
    json_t *manifest = NULL;
    sw_manifest_check check;
    int evidence = 0; /* 1 once a failure is in the evidence (invalid), not in reading it */
    rc = -1;
    if (sw_read_file(path, &doc, &err) < 0) goto out;
    if (manifest_path && sw_read_file(manifest_path, &mbuf, &err) < 0) goto out;
    if (manifest_path && !(manifest = sw_manifest_parse(mbuf.data ? mbuf.data : "", mbuf.len, manifest_path, &err))) {
        evidence = 1;
        goto out;
    }
    rc = sw_verify_document(sw_cli_home, doc.data ? doc.data : "", doc.len, manifest, &check, &evidence, &err);
out:
    if (json) sw_cli_print_json(sw_manifest_check_json(rc == 0 ? &check : NULL, err.msg));
    if (rc == 0 && !json) {
        char line[SW_ERR_MAX];
        sw_manifest_check_line(&check, line, sizeof line);
        printf("%s\n", line);
    }
    if (rc < 0) fprintf(stderr, "steward verify: %s: %s\n", evidence ? "invalid" : "error", err.msg);
    json_decref(manifest);
    sw_buf_free(&doc);
    sw_buf_free(&mbuf);
    return rc == 0 ? SW_EXIT_OK : evidence ? SW_EXIT_FAIL : SW_EXIT_USAGE;
}
