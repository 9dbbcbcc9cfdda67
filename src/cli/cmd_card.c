/* cmd_card.c - `steward card`: the system card as Markdown or HTML. */
#include "cli.h"
#include "steward/report.h"

#include <stdio.h>
#include <string.h>

int sw_cmd_card(int argc, char **argv) {
    const char *cmd = "card", *format = "md", *out = NULL, *model = NULL;
    const sw_opt opts[] = {
        {"format", SW_OPT_STR, &format, "F", "md (default) or html"},
        {"model", SW_OPT_STR, &model, "FILE", "the deployed GGUF model (default: the shipped model)"},
        {"out", SW_OPT_STR, &out, "FILE", "write the card to FILE (default: stdout)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos = 0;
    int rc = sw_cli_parse(cmd, "card [--format md|html] [--model FILE] [--out FILE]\n\n"
                               "The system card: deployment (version, policy hash, public key ids), the model\n"
                               "(GGUF metadata and SHA-256) and its data lineage (the corpus manifest and the\n"
                               "audit log's lineage records), intended use, capabilities and limitations, and\n"
                               "the latest evaluation recorded in the audit log of each kind (date, command,\n"
                               "figures, record number).",
                          opts, argc, argv, pos, 0, &npos);
    if (rc) return sw_cli_exit(rc);
    int html = strcmp(format, "html") == 0;
    if (!html && strcmp(format, "md") != 0) return sw_cli_usage_error(cmd, "--format must be md or html");
    sw_err err;
    char home[4096];
    if (sw_home_resolve(sw_cli_home, home, sizeof home, &err) < 0) return sw_cli_fail(cmd, &err);
    json_t *card = sw_card_build(home, model, &err);
    if (!card) return sw_cli_fail(cmd, &err);
    sw_buf text = {0};
    rc = html ? sw_card_html(card, &text, &err) : sw_card_markdown(card, &text, &err);
    json_decref(card);
    if (rc == 0) rc = sw_cli_write_text(out, &text, &err);
    sw_buf_free(&text);
    return rc < 0 ? sw_cli_fail(cmd, &err) : SW_EXIT_OK;
}
