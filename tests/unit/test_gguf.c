/* test_gguf.c - the GGUF reader (on files built byte by byte here) and the writer. */
#include "steward/gguf.h"
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

/* ---- a byte-level builder, independent of the library's writer ---- */

static void put(sw_buf *b, const void *p, size_t n) { sw_buf_append(b, p, n); }
static void u32(sw_buf *b, uint32_t v) { put(b, &v, 4); }
static void u64(sw_buf *b, uint64_t v) { put(b, &v, 8); }
static void str(sw_buf *b, const char *s) {
    u64(b, strlen(s));
    put(b, s, strlen(s));
}
static void pad(sw_buf *b, size_t a) {
    while (b->len % a) put(b, "", 1);
}
static void header(sw_buf *b, uint64_t n_tensors, uint64_t n_kv) {
    u32(b, SW_GGUF_MAGIC);
    u32(b, 3);
    u64(b, n_tensors);
    u64(b, n_kv);
}
static void kv_u32(sw_buf *b, const char *k, uint32_t v) {
    str(b, k);
    u32(b, SW_GGUF_U32);
    u32(b, v);
}
static void tinfo(sw_buf *b, const char *name, uint32_t nd, const uint64_t *ne, uint32_t type, uint64_t off) {
    str(b, name);
    u32(b, nd);
    for (uint32_t i = 0; i < nd; i++) u64(b, ne[i]);
    u32(b, type);
    u64(b, off);
}

/* A valid file with one kv of every type and two tensors (F32 4x2, Q8_0 32). */
static void build_valid(sw_buf *b) {
    header(b, 2, 16);
    str(b, "a.u8"); u32(b, SW_GGUF_U8); put(b, "\xfe", 1);
    str(b, "a.i8"); u32(b, SW_GGUF_I8); put(b, "\xfe", 1);
    str(b, "a.u16"); u32(b, SW_GGUF_U16); put(b, "\x34\x12", 2);
    str(b, "a.i16"); u32(b, SW_GGUF_I16); put(b, "\xff\xff", 2);
    kv_u32(b, "a.u32", 4000000000u);
    str(b, "a.i32"); u32(b, SW_GGUF_I32); u32(b, (uint32_t)-7);
    float f = 1.5f;
    str(b, "a.f32"); u32(b, SW_GGUF_F32); put(b, &f, 4);
    str(b, "a.bool"); u32(b, SW_GGUF_BOOL); put(b, "\x01", 1);
    str(b, "a.str"); u32(b, SW_GGUF_STRING); str(b, "h\xc3\xa9llo");
    str(b, "a.u64"); u32(b, SW_GGUF_U64); u64(b, 1ull << 40);
    str(b, "a.i64"); u32(b, SW_GGUF_I64); u64(b, (uint64_t)-5);
    double d = -2.25;
    str(b, "a.f64"); u32(b, SW_GGUF_F64); put(b, &d, 8);
    str(b, "a.arr_i32"); u32(b, SW_GGUF_ARRAY); u32(b, SW_GGUF_I32); u64(b, 3);
    u32(b, 1); u32(b, 2); u32(b, (uint32_t)-3);
    str(b, "a.arr_str"); u32(b, SW_GGUF_ARRAY); u32(b, SW_GGUF_STRING); u64(b, 3);
    str(b, "x"); str(b, ""); str(b, "<0x0A>");
    /* [[1, 2], []] of u8 */
    str(b, "a.nested"); u32(b, SW_GGUF_ARRAY); u32(b, SW_GGUF_ARRAY); u64(b, 2);
    u32(b, SW_GGUF_U8); u64(b, 2); put(b, "\x01\x02", 2);
    u32(b, SW_GGUF_U8); u64(b, 0);
    str(b, "a.empty"); u32(b, SW_GGUF_ARRAY); u32(b, SW_GGUF_F32); u64(b, 0);
    uint64_t ne1[2] = {4, 2}, ne2[1] = {32};
    tinfo(b, "w.f32", 2, ne1, SW_TYPE_F32, 0);
    tinfo(b, "w.q8", 1, ne2, SW_TYPE_Q8_0, 32);
    pad(b, 32);
    for (int i = 0; i < 8; i++) {
        float v = (float)i;
        put(b, &v, 4);
    }
    for (int i = 0; i < 34; i++) put(b, (char[]){(char)i}, 1);
}

static int parse(const sw_buf *b, sw_gguf **g, sw_err *err) { return sw_gguf_parse(b->data, b->len, g, err); }

static void test_valid(void) {
    sw_buf b = {0};
    build_valid(&b);
    sw_gguf *g;
    sw_err err = {{0}};
    T_CHECK_MSG(parse(&b, &g, &err) == 0, "%s", err.msg);
    if (!g) return;
    T_CHECK(g->version == 3 && g->n_kv == 16 && g->n_tensors == 2 && g->alignment == 32);
    uint32_t u = 0;
    int64_t i = 0;
    float f = 0;
    int bo = 0;
    sw_gguf_str s;
    T_CHECK(sw_gguf_get_u32(g, "a.u8", &u) == 0 && u == 254);
    T_CHECK(sw_gguf_get_i64(g, "a.i8", &i) == 0 && i == -2);
    T_CHECK(sw_gguf_get_u32(g, "a.u16", &u) == 0 && u == 0x1234);
    T_CHECK(sw_gguf_get_i64(g, "a.i16", &i) == 0 && i == -1);
    T_CHECK(sw_gguf_get_u32(g, "a.u32", &u) == 0 && u == 4000000000u);
    T_CHECK(sw_gguf_get_i64(g, "a.i32", &i) == 0 && i == -7);
    T_CHECK(sw_gguf_get_f32(g, "a.f32", &f) == 0 && f == 1.5f);
    T_CHECK(sw_gguf_get_bool(g, "a.bool", &bo) == 0 && bo == 1);
    T_CHECK(sw_gguf_get_str(g, "a.str", &s) == 0 && s.len == 6 && memcmp(s.ptr, "h\xc3\xa9llo", 6) == 0);
    T_CHECK(sw_gguf_get_i64(g, "a.u64", &i) == 0 && i == 1ll << 40);
    T_CHECK(sw_gguf_get_i64(g, "a.i64", &i) == 0 && i == -5);
    T_CHECK(sw_gguf_get_f32(g, "a.f64", &f) == 0 && f == -2.25f);
    /* incompatible types leave the output unchanged */
    u = 99;
    T_CHECK(sw_gguf_get_u32(g, "a.i32", &u) < 0 && u == 99);  /* negative */
    T_CHECK(sw_gguf_get_u32(g, "a.u64", &u) < 0 && u == 99);  /* too large */
    T_CHECK(sw_gguf_get_u32(g, "a.str", &u) < 0 && u == 99);
    T_CHECK(sw_gguf_get_u32(g, "missing", &u) < 0 && u == 99);
    T_CHECK(sw_gguf_get_f32(g, "a.u32", &f) < 0);
    T_CHECK(sw_gguf_get_bool(g, "a.u8", &bo) < 0);
    T_CHECK(sw_gguf_get_str(g, "a.bool", &s) < 0);
    const sw_gguf_kv *a = sw_gguf_get_arr(g, "a.arr_i32", SW_GGUF_I32);
    T_CHECK(a && a->arr_count == 3 && a->arr_bytes == 12);
    if (a) {
        int32_t v[3];
        memcpy(v, a->arr_data, 12);
        T_CHECK(v[0] == 1 && v[1] == 2 && v[2] == -3);
    }
    T_CHECK(sw_gguf_get_arr(g, "a.arr_i32", SW_GGUF_U32) == NULL);
    a = sw_gguf_get_arr(g, "a.arr_str", SW_GGUF_STRING);
    T_CHECK(a && a->arr_count == 3);
    s = sw_gguf_arr_str(a, 0);
    T_CHECK(s.len == 1 && s.ptr[0] == 'x');
    T_CHECK(sw_gguf_arr_str(a, 1).len == 0);
    s = sw_gguf_arr_str(a, 2);
    T_CHECK(s.len == 6 && memcmp(s.ptr, "<0x0A>", 6) == 0);
    T_CHECK(sw_gguf_arr_str(a, 3).ptr == NULL);
    a = sw_gguf_get_arr(g, "a.nested", SW_GGUF_ARRAY);
    T_CHECK(a && a->arr_count == 2 && a->arr_bytes == 12 + 2 + 12);
    a = sw_gguf_get_arr(g, "a.empty", SW_GGUF_F32);
    T_CHECK(a && a->arr_count == 0 && a->arr_bytes == 0);

    const sw_gguf_tensor *t = sw_gguf_find_tensor(g, "w.f32");
    T_CHECK(t && t->n_dims == 2 && t->ne[0] == 4 && t->ne[1] == 2 && t->ne[2] == 1 && t->nbytes == 32);
    T_CHECK(g->data_offset % 32 == 0);
    if (t) {
        float v[8];
        memcpy(v, t->data, sizeof v);
        T_CHECK(v[0] == 0 && v[7] == 7);
        T_CHECK((const uint8_t *)t->data == g->base + g->data_offset);
    }
    t = sw_gguf_find_tensor(g, "w.q8");
    T_CHECK(t && t->type == SW_TYPE_Q8_0 && t->nbytes == 34 && t->offset == 32);
    if (t) T_CHECK(((const uint8_t *)t->data)[33] == 33);
    T_CHECK(sw_gguf_find_tensor(g, "w") == NULL);
    T_CHECK(strcmp(sw_gguf_vtype_name(SW_GGUF_STRING), "string") == 0);
    T_CHECK(strcmp(sw_gguf_vtype_name((sw_gguf_vtype)77), "unknown") == 0);
    sw_gguf_close(g);
    sw_buf_free(&b);
}

/* Parses b, expects failure with a message containing every needle. */
static int fails_with(const sw_buf *b, const char *n1, const char *n2) {
    sw_gguf *g = NULL;
    sw_err err = {{0}};
    int rc = parse(b, &g, &err);
    if (rc == 0) {
        sw_gguf_close(g);
        fprintf(stderr, "  parsed, expected an error with '%s'\n", n1);
        return 0;
    }
    int ok = g == NULL && strstr(err.msg, n1) && (!n2 || strstr(err.msg, n2));
    if (!ok) fprintf(stderr, "  message: %s\n", err.msg);
    return ok;
}

static void test_header_errors(void) {
    sw_buf b = {0};
    put(&b, "GGUX", 4);
    u32(&b, 3);
    u64(&b, 0);
    u64(&b, 0);
    T_CHECK(fails_with(&b, "not a GGUF file", NULL));
    sw_buf_reset(&b);
    u32(&b, SW_GGUF_MAGIC);
    u32(&b, 2);
    u64(&b, 0);
    u64(&b, 0);
    T_CHECK(fails_with(&b, "version 2", "only version 3"));
    sw_buf_reset(&b);
    header(&b, 0, 1000);
    kv_u32(&b, "k", 1);
    T_CHECK(fails_with(&b, "kv count 1000", "impossible"));
    sw_buf_reset(&b);
    header(&b, UINT64_MAX, 0);
    T_CHECK(fails_with(&b, "tensor count", "impossible"));
    sw_buf_reset(&b);
    u32(&b, SW_GGUF_MAGIC);
    T_CHECK(fails_with(&b, "version at offset 4", NULL));
    sw_buf_reset(&b);
    T_CHECK(fails_with(&b, "magic at offset 0", NULL));
    /* an empty file with no tensors and no padding is valid */
    header(&b, 0, 0);
    sw_gguf *g = NULL;
    T_CHECK(parse(&b, &g, NULL) == 0 && g && g->n_kv == 0 && g->data_offset == 24);
    sw_gguf_close(g);
    sw_buf_free(&b);
}

static void test_kv_errors(void) {
    sw_buf b = {0};
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, SW_GGUF_STRING);
    u64(&b, 1000);
    put(&b, "abc", 3);
    T_CHECK(fails_with(&b, "kv 0 'k': string length 1000 at offset 37", "past end of file"));
    sw_buf_reset(&b);
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, 13);
    u32(&b, 0);
    T_CHECK(fails_with(&b, "value type 13 at offset 33", NULL));
    sw_buf_reset(&b);
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, SW_GGUF_BOOL);
    put(&b, "\x02", 1);
    T_CHECK(fails_with(&b, "bool value 2", NULL));
    sw_buf_reset(&b);
    header(&b, 0, 2);
    kv_u32(&b, "k", 1);
    kv_u32(&b, "k", 2);
    T_CHECK(fails_with(&b, "duplicate key 'k'", NULL));
    sw_buf_reset(&b);
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, SW_GGUF_ARRAY);
    u32(&b, SW_GGUF_U64);
    u64(&b, 1ull << 61); /* count * 8 overflows */
    u64(&b, 0);
    T_CHECK(fails_with(&b, "array of 2305843009213693952", "past end of file"));
    sw_buf_reset(&b);
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, SW_GGUF_ARRAY);
    u32(&b, SW_GGUF_STRING);
    u64(&b, UINT64_MAX);
    u64(&b, 0);
    T_CHECK(fails_with(&b, "strings at offset", "cannot fit"));
    /* nesting: depth 5 is rejected */
    sw_buf_reset(&b);
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, SW_GGUF_ARRAY);
    for (int i = 0; i < 6; i++) {
        u32(&b, SW_GGUF_ARRAY);
        u64(&b, 1);
    }
    u32(&b, SW_GGUF_U8);
    u64(&b, 0);
    T_CHECK(fails_with(&b, "nested deeper than 4", NULL));
    /* bad general.alignment */
    sw_buf_reset(&b);
    header(&b, 0, 1);
    kv_u32(&b, "general.alignment", 12);
    T_CHECK(fails_with(&b, "general.alignment", "multiple of 8"));
    sw_buf_reset(&b);
    header(&b, 0, 1);
    str(&b, "general.alignment");
    u32(&b, SW_GGUF_U64);
    u64(&b, 32);
    T_CHECK(fails_with(&b, "general.alignment", "u64"));
    sw_buf_reset(&b);
    header(&b, 0, 1);
    u64(&b, 0);
    u32(&b, SW_GGUF_U32);
    u32(&b, 0);
    T_CHECK(fails_with(&b, "key length 0", NULL));
    sw_buf_free(&b);
}

/* A file with one tensor: name, dims, type, offset; data of `data` bytes after padding. */
static void one_tensor(sw_buf *b, const char *name, uint32_t nd, const uint64_t *ne, uint32_t type,
                       uint64_t off, size_t data) {
    sw_buf_reset(b);
    header(b, 1, 0);
    tinfo(b, name, nd, ne, type, off);
    pad(b, 32);
    for (size_t i = 0; i < data; i++) put(b, "\x11", 1);
}

static void test_tensor_errors(void) {
    sw_buf b = {0};
    uint64_t ne[5] = {32, 2, 1, 1, 1};
    one_tensor(&b, "w", 2, ne, SW_TYPE_F32, 0, 256);
    sw_gguf *g = NULL;
    T_CHECK(parse(&b, &g, NULL) == 0);
    sw_gguf_close(g);
    one_tensor(&b, "blk.0.attn_q.weight", 2, ne, SW_TYPE_F32, 0, 255);
    T_CHECK(fails_with(&b, "tensor 'blk.0.attn_q.weight': data offset 0 + size 256 runs past end of file",
                       "file size 351"));
    one_tensor(&b, "w", 2, ne, SW_TYPE_F32, 32, 256);
    T_CHECK(fails_with(&b, "tensor 'w': data offset 32 + size 256 runs past end", NULL));
    one_tensor(&b, "w", 2, ne, SW_TYPE_F32, 8, 512);
    T_CHECK(fails_with(&b, "tensor 'w': data offset 8 is not a multiple of the alignment 32", NULL));
    one_tensor(&b, "w", 2, ne, SW_TYPE_F32, UINT64_MAX - 31, 512);
    T_CHECK(fails_with(&b, "runs past end of file", NULL));
    one_tensor(&b, "w", 5, ne, SW_TYPE_F32, 0, 256);
    T_CHECK(fails_with(&b, "tensor 'w': n_dims 5", "at most 4"));
    one_tensor(&b, "w", 2, ne, 3, 0, 256);
    T_CHECK(fails_with(&b, "tensor 'w': type 3 is not supported", NULL));
    one_tensor(&b, "w", 2, ne, SW_TYPE_Q4_K, 0, 256);
    T_CHECK(fails_with(&b, "ne[0] = 32 is not a multiple of Q4_K's block size 256", NULL));
    uint64_t big[4] = {1ull << 32, 1ull << 32, 1, 1};
    one_tensor(&b, "w", 2, big, SW_TYPE_F32, 0, 0);
    T_CHECK(fails_with(&b, "element count overflows", NULL));
    uint64_t zero[2] = {32, 0};
    one_tensor(&b, "w", 2, zero, SW_TYPE_F32, 0, 256);
    T_CHECK(fails_with(&b, "dimension 1 is 0", NULL));
    char longname[70];
    memset(longname, 'n', 65);
    longname[65] = 0;
    one_tensor(&b, longname, 2, ne, SW_TYPE_F32, 0, 256);
    T_CHECK(fails_with(&b, "longer than 64 bytes", NULL));
    /* the same name twice */
    sw_buf_reset(&b);
    header(&b, 2, 0);
    tinfo(&b, "w", 1, ne, SW_TYPE_F32, 0);
    tinfo(&b, "w", 1, ne, SW_TYPE_F32, 128);
    pad(&b, 32);
    for (int i = 0; i < 256; i++) put(&b, "", 1);
    T_CHECK(fails_with(&b, "duplicate tensor name 'w'", NULL));
    /* a larger alignment moves the data blob */
    sw_buf_reset(&b);
    header(&b, 1, 1);
    kv_u32(&b, "general.alignment", 64);
    tinfo(&b, "w", 1, ne, SW_TYPE_F16, 0);
    pad(&b, 64);
    size_t start = b.len;
    for (int i = 0; i < 64; i++) put(&b, "", 1);
    T_CHECK(parse(&b, &g, NULL) == 0 && g && g->alignment == 64 && g->data_offset == start);
    sw_gguf_close(g);
    sw_buf_free(&b);
}

/* Every prefix of a valid file must fail cleanly; every single-byte change must either
 * parse or fail cleanly (ASan checks the "cleanly"). */
static void test_truncate_and_flip(void) {
    sw_buf b = {0};
    build_valid(&b);
    int bad = 0;
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees any over-read */
        memcpy(copy, b.data, n);
        sw_gguf *g = NULL;
        sw_err err = {{0}};
        if (sw_gguf_parse(copy, n, &g, &err) == 0 || err.msg[0] == 0) bad++;
        sw_gguf_close(g);
        free(copy);
    }
    T_CHECK_MSG(bad == 0, "%d truncated files parsed", bad);
    int parsed = 0;
    for (size_t i = 0; i < b.len; i++) {
        static const uint8_t flips[] = {0x01, 0x80, 0xff};
        for (size_t k = 0; k < sizeof flips; k++) {
            uint8_t *copy = malloc(b.len);
            memcpy(copy, b.data, b.len);
            copy[i] ^= flips[k];
            sw_gguf *g = NULL;
            sw_err err = {{0}};
            if (sw_gguf_parse(copy, b.len, &g, &err) == 0) {
                parsed++;
                for (uint64_t j = 0; j < g->n_tensors; j++) {
                    const sw_gguf_tensor *t = &g->tensors[j];
                    volatile uint8_t sink = 0;
                    if (t->nbytes) sink ^= ((const uint8_t *)t->data)[t->nbytes - 1];
                    (void)sink;
                }
                sw_gguf_close(g);
            } else {
                T_CHECK(err.msg[0] != 0);
            }
            free(copy);
        }
    }
    T_CHECK(parsed > 0); /* flips inside values and tensor data keep the file valid */
    sw_buf_free(&b);
}

static void test_open(void) {
    char path[] = "/tmp/steward_test_gguf_XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    if (fd < 0) return;
    sw_buf b = {0};
    build_valid(&b);
    T_CHECK(write(fd, b.data, b.len) == (ssize_t)b.len);
    close(fd);
    sw_gguf *g = NULL;
    sw_err err = {{0}};
    T_CHECK_MSG(sw_gguf_open(path, &g, &err) == 0, "%s", err.msg);
    T_CHECK(g && g->mapped && g->path && strcmp(g->path, path) == 0 && g->size == b.len);
    if (g) T_CHECK(sw_gguf_find_tensor(g, "w.q8") != NULL);
    sw_gguf_close(g);
    /* truncated on disk: the message starts with the path */
    T_CHECK(truncate(path, (off_t)(b.len - 1)) == 0);
    T_CHECK(sw_gguf_open(path, &g, &err) < 0 && g == NULL);
    T_CHECK_MSG(strncmp(err.msg, path, strlen(path)) == 0 && strstr(err.msg, "tensor 'w.q8'"), "%s", err.msg);
    T_CHECK(truncate(path, 0) == 0);
    T_CHECK(sw_gguf_open(path, &g, &err) < 0 && strstr(err.msg, "empty file"));
    unlink(path);
    T_CHECK(sw_gguf_open(path, &g, &err) < 0 && strstr(err.msg, "cannot open"));
    T_CHECK(sw_gguf_open("/tmp", &g, &err) < 0 && strstr(err.msg, "not a regular file"));
    sw_buf_free(&b);
}

int main(void) {
    T_RUN(test_valid);
    T_RUN(test_header_errors);
    T_RUN(test_kv_errors);
    T_RUN(test_tensor_errors);
    T_RUN(test_truncate_and_flip);
    T_RUN(test_open);
    return t_done();
}
