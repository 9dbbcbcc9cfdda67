/* shards.c - token shards: the kept text tokenized once by `data build`, read by
 * `steward train --corpus` instead of a text file. */
#include "build_int.h"
#include "steward/chat.h"
#include "steward/tokenizer.h"

#include <stdlib.h>
#include <string.h>

#define SHARD_VERSION 1
#define HEX_LEN (2 * SW_SHA256_BYTES)
#define MAX_SHARD_TOKENS (1ull << 34) /* 64 GiB of tokens: anything larger is a damaged header */

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

int sw_data_corpus_special(const sw_tokenizer *tk) {
    static const sw_chat_style styles[] = {SW_CHAT_CHATML, SW_CHAT_LLAMA3};
    for (size_t i = 0; i < sizeof styles / sizeof *styles; i++) {
        int n;
        const char *const *ctl = sw_chat_control_tokens(styles[i], &n);
        int all = 1;
        for (int k = 0; k < n; k++) all &= sw_tokenizer_find(tk, ctl[k]) >= 0;
        if (all) return 1;
    }
    return 0;
}

int sw_data_shard_write(const char *path, const sw_tokenizer *tk, const char *tokenizer_sha256, const char *text,
                        size_t len, sw_err *err) {
    int32_t *ids = NULL;
    size_t n = 0;
    if (sw_tokenize(tk, text, len, sw_data_corpus_special(tk), &ids, &n, err)) return sw_err_prefix(err, "%s", path);
    sw_buf b = {0};
    uint8_t h[SW_DATA_SHARD_HEADER] = {0};
    memcpy(h, SW_DATA_SHARD_MAGIC, 8);
    put_u32(h + 8, SHARD_VERSION);
    memcpy(h + 16, tokenizer_sha256, HEX_LEN);
    sw_sha256_hex(text, len, (char *)h + 16 + HEX_LEN); /* writes a NUL at h[144], overwritten next */
    put_u64(h + 144, (uint64_t)len);
    put_u64(h + 152, (uint64_t)n);
    int rc = sw_buf_append(&b, h, sizeof h);
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t t[4];
        put_u32(t, (uint32_t)ids[i]);
        rc = sw_buf_append(&b, t, 4);
    }
    free(ids);
    if (rc) rc = sw_err_set(err, "%s: out of memory", path);
    else rc = sw_data_write_durable(path, &b, err);
    sw_buf_free(&b);
    return rc;
}

int sw_data_shard_is(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char m[8];
    int is = fread(m, 1, 8, f) == 8 && memcmp(m, SW_DATA_SHARD_MAGIC, 8) == 0;
    fclose(f);
    return is;
}

static int is_hex(const uint8_t *p) {
    for (int i = 0; i < HEX_LEN; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return 0;
    return 1;
}

int sw_data_shard_parse(const void *data, size_t len, const char *name, sw_data_shard *s, sw_err *err) {
    memset(s, 0, sizeof *s);
    const uint8_t *p = data;
    if (len < SW_DATA_SHARD_HEADER || memcmp(p, SW_DATA_SHARD_MAGIC, 8) != 0)
        return sw_err_set(err, "%s: not a token shard (magic)", name);
    if (get_u32(p + 8) != SHARD_VERSION) return sw_err_set(err, "%s: shard version %u, expected %d", name, get_u32(p + 8), SHARD_VERSION);
    if (!is_hex(p + 16) || !is_hex(p + 16 + HEX_LEN)) return sw_err_set(err, "%s: shard hashes are not hex", name);
    uint64_t n = get_u64(p + 152);
    if (n > MAX_SHARD_TOKENS || n != (len - SW_DATA_SHARD_HEADER) / 4 || (len - SW_DATA_SHARD_HEADER) % 4)
        return sw_err_set(err, "%s: token count %llu does not match the file size %zu", name, (unsigned long long)n, len);
    memcpy(s->tokenizer_sha256, p + 16, HEX_LEN);
    memcpy(s->text_sha256, p + 16 + HEX_LEN, HEX_LEN);
    s->text_bytes = get_u64(p + 144);
    s->n_tokens = n;
    if (!(s->tokens = malloc(n ? n * 4 : 4))) return sw_err_set(err, "%s: out of memory", name);
    for (uint64_t i = 0; i < n; i++) s->tokens[i] = (int32_t)get_u32(p + SW_DATA_SHARD_HEADER + 4 * i);
    return 0;
}

int sw_data_shard_read(const char *path, sw_data_shard *s, sw_err *err) {
    sw_buf b = {0};
    memset(s, 0, sizeof *s);
    if (sw_read_file(path, &b, err)) return -1;
    int rc = sw_data_shard_parse(b.data, b.len, path, s, err);
    sw_buf_free(&b);
    return rc;
}

void sw_data_shard_free(sw_data_shard *s) {
    free(s->tokens);
    memset(s, 0, sizeof *s);
}
