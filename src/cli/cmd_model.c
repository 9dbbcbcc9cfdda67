/* cmd_model.c - `steward model SUBCOMMAND`: work with GGUF model files.
 *
 * Each subcommand is one function `static int model_NAME(int argc, char **argv)` (argv[0]
 * is the subcommand's name) and one line in the table `subcommands` below. */
#include "cli.h"
#include "steward/gguf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_ITEMS 8   /* array elements shown before "..." */
#define SHOW_CHARS 72  /* string characters shown in the human form */

/* ---- values as text (human form) ---- */

/* Appends s quoted, cut after max bytes of input. Well-formed UTF-8 passes through;
 * control characters (C0, DEL, C1) and ill-formed bytes are escaped. */
static void quote(sw_buf *b, const char *s, uint64_t n, uint64_t max) {
    sw_buf_puts(b, "\"");
    uint64_t i = 0;
    while (i < n && i < max) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        int k = sw_utf8_decode((const unsigned char *)s + i, (size_t)(n - i), &cp);
        if (c == '"' || c == '\\') sw_buf_printf(b, "\\%c", c);
        else if (c == '\n') sw_buf_puts(b, "\\n");
        else if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            for (int j = 0; j < (k ? k : 1); j++) sw_buf_printf(b, "\\x%02x", (unsigned char)s[i + j]);
        } else {
            sw_buf_append(b, s + i, (size_t)k);
        }
        i += (uint64_t)(k ? k : 1);
    }
    sw_buf_puts(b, "\"");
    if (i < n) sw_buf_printf(b, "... (%llu bytes)", (unsigned long long)n);
}

/* A key or tensor name: bare when it is plain text, else quoted with escapes (so that
 * control bytes in a hostile file never reach the terminal). */
static void name_text(sw_buf *b, const char *s, uint64_t n) {
    size_t at = b->len;
    quote(b, s, n, 200);
    if (b->len - at == n + 2 && memcmp(b->data + at + 1, s, (size_t)n) == 0) {
        memmove(b->data + at, b->data + at + 1, (size_t)n);
        b->len = at + (size_t)n;
        b->data[b->len] = 0;
    }
}

static int vt_size(sw_gguf_vtype t) {
    static const int size[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return (unsigned)t < 13 ? size[t] : 0;
}

/* Decodes a little-endian scalar of type t at p into the fields of a kv. */
static sw_gguf_kv scalar_at(sw_gguf_vtype t, const uint8_t *p) {
    sw_gguf_kv kv = {.type = t};
    uint64_t u = 0;
    int n = vt_size(t);
    for (int i = n - 1; i >= 0; i--) u = u << 8 | p[i];
    kv.v.u = u;
    if (t == SW_GGUF_I8) kv.v.i = (int8_t)u;
    else if (t == SW_GGUF_I16) kv.v.i = (int16_t)u;
    else if (t == SW_GGUF_I32) kv.v.i = (int32_t)u;
    else if (t == SW_GGUF_F32) {
        float f;
        uint32_t x = (uint32_t)u;
        memcpy(&f, &x, 4);
        kv.v.f = f;
    } else if (t == SW_GGUF_F64) memcpy(&kv.v.f, &u, 8);
    return kv;
}

static void scalar_text(sw_buf *b, const sw_gguf_kv *kv) {
    switch (kv->type) {
    case SW_GGUF_I8: case SW_GGUF_I16: case SW_GGUF_I32: case SW_GGUF_I64:
        sw_buf_printf(b, "%lld", (long long)kv->v.i);
        break;
    case SW_GGUF_F32: case SW_GGUF_F64: { /* the shortest form that reads back the same */
        int prec = 6;
        char s[40];
        do snprintf(s, sizeof s, "%.*g", prec, kv->v.f);
        while (prec++ < 17 && (kv->type == SW_GGUF_F32 ? (float)strtod(s, NULL) != (float)kv->v.f
                                                        : strtod(s, NULL) != kv->v.f));
        sw_buf_puts(b, s);
        break;
    }
    case SW_GGUF_BOOL: sw_buf_puts(b, kv->v.u ? "true" : "false"); break;
    case SW_GGUF_STRING: quote(b, kv->v.s.ptr, kv->v.s.len, SHOW_CHARS); break;
    default: sw_buf_printf(b, "%llu", (unsigned long long)kv->v.u); break;
    }
}

static void value_text(sw_buf *b, const sw_gguf_kv *kv) {
    if (kv->type != SW_GGUF_ARRAY) {
        scalar_text(b, kv);
        return;
    }
    sw_buf_printf(b, "[%s x %llu]", sw_gguf_vtype_name(kv->arr_type), (unsigned long long)kv->arr_count);
    if (kv->arr_type == SW_GGUF_ARRAY) return; /* nested arrays stay opaque */
    for (uint64_t i = 0; i < kv->arr_count && i < HEAD_ITEMS; i++) {
        sw_buf_puts(b, i ? ", " : " ");
        if (kv->arr_type == SW_GGUF_STRING) {
            sw_gguf_str s = sw_gguf_arr_str(kv, i);
            quote(b, s.ptr, s.len, 24);
        } else {
            sw_gguf_kv e = scalar_at(kv->arr_type, kv->arr_data + i * (uint64_t)vt_size(kv->arr_type));
            scalar_text(b, &e);
        }
    }
    if (kv->arr_count > HEAD_ITEMS) sw_buf_puts(b, ", ...");
}

/* ---- values as JSON ---- */

/* A JSON string of arbitrary bytes: as is when valid UTF-8, else with each byte of an
 * ill-formed sequence written as the text \xNN. */
static json_t *bytes_json(const char *s, uint64_t n) {
    if (sw_utf8_valid((const unsigned char *)s, (size_t)n)) return json_stringn(s, (size_t)n);
    sw_buf b = {0};
    for (uint64_t i = 0; i < n;) {
        int k = sw_utf8_seq_len((const unsigned char *)s + i, (size_t)(n - i));
        if (k > 0) sw_buf_append(&b, s + i, (size_t)k), i += (uint64_t)k;
        else sw_buf_printf(&b, "\\x%02x", (unsigned char)s[i]), i++;
    }
    json_t *j = json_stringn(b.data ? b.data : "", b.len);
    sw_buf_free(&b);
    return j;
}

static json_t *scalar_json(const sw_gguf_kv *kv) {
    switch (kv->type) {
    case SW_GGUF_I8: case SW_GGUF_I16: case SW_GGUF_I32: case SW_GGUF_I64: return json_integer(kv->v.i);
    case SW_GGUF_F32: case SW_GGUF_F64:
        if (isfinite(kv->v.f)) return json_real(kv->v.f);
        return json_string(isnan(kv->v.f) ? "nan" : kv->v.f > 0 ? "inf" : "-inf");
    case SW_GGUF_BOOL: return json_boolean(kv->v.u);
    case SW_GGUF_STRING: return bytes_json(kv->v.s.ptr, kv->v.s.len);
    default:
        if (kv->v.u <= INT64_MAX) return json_integer((json_int_t)kv->v.u);
        char s[24];
        snprintf(s, sizeof s, "%llu", (unsigned long long)kv->v.u); /* beyond JSON integers */
        return json_string(s);
    }
}

static json_t *kv_json(const sw_gguf_kv *kv) {
    if (kv->type != SW_GGUF_ARRAY)
        return json_pack("{s:s,s:o}", "type", sw_gguf_vtype_name(kv->type), "value", scalar_json(kv));
    json_t *head = json_array();
    for (uint64_t i = 0; kv->arr_type != SW_GGUF_ARRAY && i < kv->arr_count && i < HEAD_ITEMS; i++) {
        if (kv->arr_type == SW_GGUF_STRING) {
            sw_gguf_str s = sw_gguf_arr_str(kv, i);
            json_array_append_new(head, bytes_json(s.ptr, s.len));
        } else {
            sw_gguf_kv e = scalar_at(kv->arr_type, kv->arr_data + i * (uint64_t)vt_size(kv->arr_type));
            json_array_append_new(head, scalar_json(&e));
        }
    }
    return json_pack("{s:s,s:s,s:I,s:o}", "type", "array", "elem_type", sw_gguf_vtype_name(kv->arr_type),
                     "count", (json_int_t)kv->arr_count, "head", head);
}

/* ---- model info ---- */

static const char *type_label(uint32_t t) { return sw_type_name(t); }

static uint64_t tensor_elems(const sw_gguf_tensor *t) {
    uint64_t n = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) n *= t->ne[d]; /* the reader bounds the product */
    return n;
}

static void dims_text(sw_buf *b, const sw_gguf_tensor *t) {
    sw_buf_puts(b, "[");
    for (uint32_t d = 0; d < t->n_dims; d++) sw_buf_printf(b, "%s%llu", d ? ", " : "", (unsigned long long)t->ne[d]);
    sw_buf_puts(b, "]");
}

static int info_json(const char *path, const sw_gguf *g, uint64_t params, uint64_t bytes) {
    json_t *meta = json_object(), *ts = json_array();
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const sw_gguf_kv *kv = &g->kv[i];
        json_t *k = bytes_json(kv->key.ptr, kv->key.len); /* keys may hold NUL: keep lengths */
        json_object_setn_new(meta, json_string_value(k), json_string_length(k), kv_json(kv));
        json_decref(k);
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const sw_gguf_tensor *t = &g->tensors[i];
        json_t *dims = json_array();
        for (uint32_t d = 0; d < t->n_dims; d++) json_array_append_new(dims, json_integer((json_int_t)t->ne[d]));
        json_array_append_new(ts, json_pack("{s:o,s:s,s:i,s:o,s:I,s:I,s:I}", "name", bytes_json(t->name, strlen(t->name)),
                                            "type", type_label(t->type), "type_id", (int)t->type, "dims", dims,
                                            "elements", (json_int_t)tensor_elems(t), "bytes", (json_int_t)t->nbytes,
                                            "offset", (json_int_t)t->offset));
    }
    json_t *o = json_pack("{s:s,s:i,s:I,s:i,s:I,s:I,s:I,s:o,s:o,s:I,s:I}", "file", path, "version", (int)g->version,
                          "file_size", (json_int_t)g->size, "alignment", (int)g->alignment,
                          "data_offset", (json_int_t)g->data_offset, "n_kv", (json_int_t)g->n_kv,
                          "n_tensors", (json_int_t)g->n_tensors, "metadata", meta, "tensors", ts,
                          "n_params", (json_int_t)params, "n_bytes", (json_int_t)bytes);
    return sw_cli_print_json(o) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
}

static void info_text(const char *path, const sw_gguf *g, uint64_t params, uint64_t bytes) {
    printf("%s: GGUF v%u, %llu bytes, %llu key/values, %llu tensors, alignment %u, data at offset %llu\n", path,
           g->version, (unsigned long long)g->size, (unsigned long long)g->n_kv, (unsigned long long)g->n_tensors,
           g->alignment, (unsigned long long)g->data_offset);
    sw_buf b = {0};
    printf("\nmetadata:\n");
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const sw_gguf_kv *kv = &g->kv[i];
        sw_buf_reset(&b);
        name_text(&b, kv->key.ptr, kv->key.len);
        printf("  %-40s %-7s ", b.data, sw_gguf_vtype_name(kv->type));
        sw_buf_reset(&b);
        value_text(&b, kv);
        printf("%s\n", b.data ? b.data : "");
    }
    printf("\ntensors:\n  %-32s %-5s %-24s %12s %12s\n", "name", "type", "dims", "bytes", "offset");
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const sw_gguf_tensor *t = &g->tensors[i];
        sw_buf_reset(&b);
        name_text(&b, t->name, strlen(t->name));
        printf("  %-32s ", b.data);
        sw_buf_reset(&b);
        dims_text(&b, t);
        printf("%-5s %-24s %12llu %12llu\n", type_label(t->type), b.data, (unsigned long long)t->nbytes,
               (unsigned long long)t->offset);
    }
    sw_buf_free(&b);
    printf("\ntotal: %llu parameters, %llu bytes of tensor data (%.2f MiB)\n", (unsigned long long)params,
           (unsigned long long)bytes, (double)bytes / (1024.0 * 1024.0));
}

static int model_info(int argc, char **argv) {
    int json = 0;
    const sw_opt opts[] = {
        {"json", SW_OPT_FLAG, &json, NULL, "print one JSON object instead of text"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = sw_cli_parse("model info", "model info FILE [--json]\n\nShows a GGUF file's metadata (long arrays "
                          "summarised)\nand its tensors, with the total parameter count and size.",
                          opts, argc, argv, pos, 1, &npos);
    if (rc) return sw_cli_exit(rc);
    if (npos != 1) return sw_cli_usage_error("model info", "expects one FILE");
    sw_gguf *g;
    sw_err err;
    if (sw_gguf_open(pos[0], &g, &err) < 0) return sw_cli_fail("model info", &err);
    uint64_t params = 0, bytes = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) { /* saturating: tensors may overlap */
        if (__builtin_add_overflow(params, tensor_elems(&g->tensors[i]), &params)) params = UINT64_MAX;
        if (__builtin_add_overflow(bytes, g->tensors[i].nbytes, &bytes)) bytes = UINT64_MAX;
    }
    rc = SW_EXIT_OK;
    if (json) rc = info_json(pos[0], g, params, bytes);
    else info_text(pos[0], g, params, bytes);
    sw_gguf_close(g);
    return rc;
}

/* ---- dispatch ---- */

static const struct {
    const char *name;
    sw_cmd_fn fn;
    const char *summary;
} subcommands[] = {
    {"info", model_info, "show a GGUF file's metadata and tensor table"},
    {"quantize", sw_cmd_model_quantize, "rewrite a model's matrices in another type"},
    {"demo", sw_cmd_model_demo, "write a small random-weight model (for trying steward out)"},
    {NULL, NULL, NULL},
};

static void model_usage(FILE *f) {
    fprintf(f, "usage: steward model SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
    for (int i = 0; subcommands[i].name; i++) fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n'steward model SUBCOMMAND --help' shows its options.\n");
}

int sw_cmd_model(int argc, char **argv) {
    if (argc < 2) {
        model_usage(stderr);
        return SW_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        model_usage(stdout);
        return SW_EXIT_OK;
    }
    for (int i = 0; subcommands[i].name; i++)
        if (strcmp(subcommands[i].name, argv[1]) == 0) return subcommands[i].fn(argc - 1, argv + 1);
    return sw_cli_usage_error("model", "unknown subcommand '%s'", argv[1]);
}
