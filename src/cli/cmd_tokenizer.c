/* cmd_tokenizer.c - `steward tokenizer train`: learns a byte-level BPE vocabulary from
 * a text and writes it as a GGUF file holding only the tokenizer.* keys. */
#include "cli.h"
#include "steward/chat.h"
#include "steward/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tokenizer_train(int argc, char **argv) {
    const char *cmd = "tokenizer train", *input = NULL, *out = NULL, *chat = NULL;
    int vocab = 1024, json = 0;
    const sw_opt opts[] = {
        {"input", SW_OPT_STR, &input, "FILE", "training text (required)"},
        {"vocab-size", SW_OPT_INT, &vocab, "N", "tokens including 256 bytes and <|endoftext|> (default 1024)"},
        {"out", SW_OPT_STR, &out, "FILE", "GGUF file to write (required)"},
        {"chat-template", SW_OPT_STR, &chat, "T",
         "chatml or llama3: add the template's control tokens (counted in --vocab-size) and its tokenizer.chat_template"},
        {"json", SW_OPT_FLAG, &json, NULL, "print statistics as JSON"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos_unused[1];
    int npos_unused = 0;
    int rc = sw_cli_parse(cmd, "tokenizer train --input FILE --out FILE [--vocab-size N] [--chat-template T] [--json]\n\n"
                               "Learns a byte-level BPE vocabulary (GPT-2 pre-tokenisation, `gpt2` model type,\n"
                               "merges in rank order) and writes it as GGUF tokenizer metadata.",
                          opts, argc, argv, pos_unused, 0, &npos_unused);
    if (rc) return sw_cli_exit(rc);
    if (!input || !out) return sw_cli_usage_error(cmd, "--input and --out are required");
    sw_chat_style style = SW_CHAT_NONE;
    if (chat && sw_chat_style_parse(chat, &style)) return sw_cli_usage_error(cmd, "--chat-template: chatml or llama3");
    int n_special = 0;
    const char *const *special = sw_chat_control_tokens(style, &n_special);
    sw_err err = {{0}};
    sw_buf text = {0};
    sw_bpe b;
    memset(&b, 0, sizeof b);
    int32_t *ids = NULL;
    size_t n = 0;
    sw_gguf_writer *w = NULL;
    uint64_t t0 = sw_now_ns();
    int status = SW_EXIT_FAIL;
    if (sw_read_file(input, &text, &err) || sw_bpe_train_special(text.data, text.len, vocab, special, n_special, &b, &err)) goto done;
    double secs = (double)(sw_now_ns() - t0) / 1e9;
    if (sw_bpe_encode(&b, text.data, text.len, &ids, &n, &err)) goto done;
    char hex[65];
    sw_sha256_hex(text.data, text.len, hex);
    w = sw_gguf_writer_new();
    if (!w || sw_bpe_put_gguf(w, &b, &err) || sw_gguf_set_str(w, "steward.tokenizer.corpus_sha256", hex) ||
        sw_gguf_set_str(w, "general.name", "steward byte-level BPE") ||
        (style != SW_CHAT_NONE && sw_gguf_set_str(w, "tokenizer.chat_template", sw_chat_template_text(style))) ||
        sw_gguf_write(w, out, &err)) {
        if (!err.msg[0]) sw_err_set(&err, "out of memory");
        goto done;
    }
    double bpt = n ? (double)text.len / (double)n : 0;
    if (json)
        sw_cli_print_json(json_pack("{s:s,s:i,s:i,s:I,s:I,s:f,s:f,s:s}", "out", out, "vocab_size", b.n_vocab,
                                    "merges", b.n_merges, "bytes", (json_int_t)text.len, "tokens", (json_int_t)n,
                                    "bytes_per_token", bpt, "seconds", secs, "corpus_sha256", hex));
    fprintf(stderr, "tokenizer: %d tokens (%d merges) in %.2f s; %.3f bytes per token on the input\n", b.n_vocab,
            b.n_merges, secs, bpt);
    status = SW_EXIT_OK;
done:
    if (status != SW_EXIT_OK) sw_cli_fail(cmd, &err);
    sw_gguf_writer_free(w);
    free(ids);
    sw_bpe_free(&b);
    sw_buf_free(&text);
    return status;
}

int sw_cmd_tokenizer(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "train") == 0) return tokenizer_train(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: steward tokenizer train --input FILE --out FILE [--vocab-size N] [--chat-template T] [--json]\n");
        return SW_EXIT_OK;
    }
    return sw_cli_usage_error("tokenizer", "expected a subcommand: train");
}
