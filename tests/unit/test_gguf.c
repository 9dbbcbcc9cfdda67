/* test_gguf.c - the GGUF reader (on files built byte by byte here) and the writer.
 *
 * Run without arguments it is a unit test. tests/engine/test_gguf.py also uses it as a
 * tool to compare with the independent Python reader/writer (tests/oracle/gguf_io.py):
 *   test_gguf --dump FILE        prints the parsed file as one JSON object
 *   test_gguf --copy IN OUT      re-writes IN with the writer (copy_kv + add_tensor)
 *   test_gguf --write-sample OUT writes a fixed file with every setter */
#include "steward/gguf.h"
#include "t.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
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
static int fails_with(const sw_buf *b, const char *n1, const char *n2);

/* ---- keys built to collide under FNV-1a: the duplicate check must stay fast ---- */

#define COLLIDE_KEYS (1u << 17)      /* 2^17 keys: 19 s with the old FNV-1a set */
#define COLLIDE_MASK ((1u << 18) - 1) /* the old set's size for that many keys */
#define COLLIDE_MAX_S 3.0             /* generous: the sorted check takes well under 1 s */
#define FNV_PRIME 1099511628211ull

static uint64_t fnv_step(uint64_t h, uint8_t b) { return (h ^ b) * FNV_PRIME; }

/* Writes "k%06u" plus three bytes chosen so that the key's FNV-1a hash has the low 18
 * bits of target: low bits of a product depend only on low bits of its factors, so the
 * last byte is solved for and two bytes before it are searched. Returns the length. */
static size_t colliding_key(unsigned i, uint64_t target, char *out) {
    uint64_t inv = FNV_PRIME; /* FNV_PRIME^-1 mod 2^64 by Newton's iteration */
    for (int k = 0; k < 6; k++) inv *= 2 - FNV_PRIME * inv;
    uint64_t u = (target * inv) & COLLIDE_MASK;
    int n = snprintf(out, 16, "k%06u", i);
    uint64_t h = 1469598103934665603ull;
    for (int k = 0; k < n; k++) h = fnv_step(h, (uint8_t)out[k]);
    for (unsigned b1 = 1; b1 < 256; b1++)
        for (unsigned b2 = 1; b2 < 256; b2++) {
            uint64_t h2 = fnv_step(fnv_step(h, (uint8_t)b1), (uint8_t)b2) & COLLIDE_MASK;
            uint64_t b3 = (h2 ^ u) & 0xff;
            if ((h2 >> 8) != (u >> 8) || b3 == 0) continue;
            out[n] = (char)b1, out[n + 1] = (char)b2, out[n + 2] = (char)b3;
            return (size_t)n + 3;
        }
    return 0;
}

static void test_colliding_keys(void) {
    sw_buf b = {0};
    header(&b, 0, COLLIDE_KEYS);
    char key[16];
    int built = 1;
    for (unsigned i = 0; i < COLLIDE_KEYS && built; i++) {
        size_t n = colliding_key(i, 12345, key);
        built = n > 0;
        uint64_t h = 1469598103934665603ull;
        for (size_t k = 0; k < n; k++) h = fnv_step(h, (uint8_t)key[k]);
        built = built && (h & COLLIDE_MASK) == 12345;
        u64(&b, n);
        put(&b, key, n);
        u32(&b, SW_GGUF_U32);
        u32(&b, i);
    }
    T_CHECK(built);
    sw_gguf *g = NULL;
    sw_err e;
    uint64_t t0 = sw_now_ns();
    T_CHECK_MSG(parse(&b, &g, &e) == 0, "%s", e.msg);
    double s = (double)(sw_now_ns() - t0) / 1e9;
    T_CHECK_MSG(s < COLLIDE_MAX_S, "%u colliding keys took %.1f s", COLLIDE_KEYS, s);
    sw_gguf_close(g);
    /* and a duplicate among them is still found, naming the second */
    sw_buf_free(&b);
    header(&b, 0, 3);
    kv_u32(&b, "x", 1);
    kv_u32(&b, "y", 2);
    kv_u32(&b, "x", 3);
    T_CHECK(fails_with(&b, "kv 2: duplicate key 'x'", NULL));
    sw_buf_free(&b);
}

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


/* ---- writer ---- */

/* Every setter, a replaced key and three tensors; shared with tests/engine/test_gguf.py. */
static int write_sample(const char *path, sw_err *err) {
    sw_gguf_writer *w = sw_gguf_writer_new();
    if (!w) return sw_err_set(err, "out of memory");
    const char *toks[] = {"<s>", "h\xc3\xa9", "\xe4\xb8\xad", "a\0b"};
    size_t lens[] = {3, 3, 3, 3};
    float sc[] = {0.0f, -1.5f, 3.25f};
    int32_t ty[] = {3, 1, -1};
    int rc = sw_gguf_set_str(w, "general.architecture", "llama") | sw_gguf_set_u32(w, "llama.block_count", 7) |
             sw_gguf_set_i32(w, "s.i32", -12345) | sw_gguf_set_u64(w, "s.u64", 0xfedcba9876543210ull) |
             sw_gguf_set_f32(w, "s.f32", 1e-5f) | sw_gguf_set_bool(w, "s.bool", 7) |
             sw_gguf_set_u32(w, "llama.block_count", 2) /* replaces 7, keeps its place */ |
             sw_gguf_set_arr_str(w, "tokenizer.ggml.tokens", toks, lens, 4) |
             sw_gguf_set_arr_f32(w, "tokenizer.ggml.scores", sc, 3) |
             sw_gguf_set_arr_i32(w, "tokenizer.ggml.token_type", ty, 3) |
             sw_gguf_set_arr_str(w, "s.empty", NULL, NULL, 0);
    if (rc) {
        sw_gguf_writer_free(w);
        return sw_err_set(err, "setter failed");
    }
    float f[6] = {1, 2, 3, 4, 5, 6};
    uint8_t q[34 * 2];
    for (int i = 0; i < (int)sizeof q; i++) q[i] = (uint8_t)(i * 7);
    uint8_t one = 0x3c;
    uint64_t ne_f[2] = {3, 2}, ne_q[1] = {64}, ne_h[1] = {1};
    uint8_t h[2] = {0x00, one};
    rc = sw_gguf_add_tensor(w, "token_embd.weight", SW_TYPE_F32, 2, ne_f, f, sizeof f, err);
    if (rc == 0) rc = sw_gguf_add_tensor(w, "blk.0.attn_q.weight", SW_TYPE_Q8_0, 1, ne_q, q, sizeof q, err);
    if (rc == 0) rc = sw_gguf_add_tensor(w, "output_norm.weight", SW_TYPE_F16, 1, ne_h, h, 2, err);
    if (rc == 0) rc = sw_gguf_write(w, path, err);
    sw_gguf_writer_free(w);
    return rc;
}

static void tmp_path(char *out, size_t n, const char *tag) {
    snprintf(out, n, "/tmp/steward_test_gguf_%ld_%s.gguf", (long)getpid(), tag);
}

static void test_writer_roundtrip(void) {
    char path[128], tmp[140];
    tmp_path(path, sizeof path, "w");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    sw_err err = {{0}};
    T_CHECK_MSG(write_sample(path, &err) == 0, "%s", err.msg);
    struct stat st;
    T_CHECK(stat(tmp, &st) < 0); /* renamed away */
    sw_gguf *g = NULL;
    T_CHECK_MSG(sw_gguf_open(path, &g, &err) == 0, "%s", err.msg);
    if (!g) return;
    T_CHECK(g->n_kv == 10 && g->n_tensors == 3);
    T_CHECK(g->kv[1].key.len == 17 && memcmp(g->kv[1].key.ptr, "llama.block_count", 17) == 0);
    uint32_t u = 0;
    int64_t i = 0;
    float f = 0;
    int b = 0;
    sw_gguf_str s;
    T_CHECK(sw_gguf_get_u32(g, "llama.block_count", &u) == 0 && u == 2);
    T_CHECK(sw_gguf_get_i64(g, "s.i32", &i) == 0 && i == -12345);
    T_CHECK(sw_gguf_find(g, "s.u64") && sw_gguf_find(g, "s.u64")->v.u == 0xfedcba9876543210ull);
    T_CHECK(sw_gguf_get_f32(g, "s.f32", &f) == 0 && f == 1e-5f);
    T_CHECK(sw_gguf_get_bool(g, "s.bool", &b) == 0 && b == 1);
    T_CHECK(sw_gguf_get_str(g, "general.architecture", &s) == 0 && s.len == 5 && memcmp(s.ptr, "llama", 5) == 0);
    const sw_gguf_kv *a = sw_gguf_get_arr(g, "tokenizer.ggml.tokens", SW_GGUF_STRING);
    T_CHECK(a && a->arr_count == 4);
    s = sw_gguf_arr_str(a, 3);
    T_CHECK(s.len == 3 && memcmp(s.ptr, "a\0b", 3) == 0);
    a = sw_gguf_get_arr(g, "tokenizer.ggml.scores", SW_GGUF_F32);
    float sc[3];
    T_CHECK(a && a->arr_count == 3 && (memcpy(sc, a->arr_data, 12), sc[1] == -1.5f));
    T_CHECK(sw_gguf_get_arr(g, "s.empty", SW_GGUF_STRING) && sw_gguf_get_arr(g, "s.empty", SW_GGUF_STRING)->arr_count == 0);
    const sw_gguf_tensor *t = sw_gguf_find_tensor(g, "blk.0.attn_q.weight");
    T_CHECK(t && t->nbytes == 68 && t->offset == 32 && ((const uint8_t *)t->data)[67] == (uint8_t)(67 * 7));
    t = sw_gguf_find_tensor(g, "output_norm.weight");
    T_CHECK(t && t->offset == 128 && t->nbytes == 2 && ((const uint8_t *)t->data)[1] == 0x3c);
    T_CHECK(g->size == g->data_offset + 160); /* the last tensor is padded too */

    /* copy_kv + add_tensor reproduce the file byte for byte */
    char path2[128];
    tmp_path(path2, sizeof path2, "c");
    sw_gguf_writer *w = sw_gguf_writer_new();
    T_CHECK(sw_gguf_copy_kv(w, g) == 0);
    for (uint64_t k = 0; k < g->n_tensors; k++) {
        const sw_gguf_tensor *x = &g->tensors[k];
        T_CHECK(sw_gguf_add_tensor(w, x->name, x->type, x->n_dims, x->ne, x->data, x->nbytes, &err) == 0);
    }
    T_CHECK_MSG(sw_gguf_write(w, path2, &err) == 0, "%s", err.msg);
    sw_gguf_writer_free(w);
    sw_buf x = {0}, y = {0};
    T_CHECK(sw_read_file(path, &x, NULL) == 0 && sw_read_file(path2, &y, NULL) == 0);
    T_CHECK(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    sw_buf_free(&x);
    sw_buf_free(&y);
    sw_gguf_close(g);
    unlink(path);
    unlink(path2);
}

static void test_writer_errors(void) {
    sw_gguf_writer *w = sw_gguf_writer_new();
    sw_err err = {{0}};
    float d[64] = {0};
    uint64_t ne[2] = {8, 2};
    T_CHECK(sw_gguf_add_tensor(w, "a", SW_TYPE_F32, 2, ne, d, 60, &err) < 0 && strstr(err.msg, "60 bytes given"));
    T_CHECK(sw_gguf_add_tensor(w, "a", SW_TYPE_Q4_0, 2, ne, d, 18, &err) < 0 && strstr(err.msg, "block size 32"));
    T_CHECK(sw_gguf_add_tensor(w, "a", (sw_ggml_type)3, 2, ne, d, 64, &err) < 0 && strstr(err.msg, "type 3"));
    char longname[80];
    memset(longname, 'x', 65);
    longname[65] = 0;
    T_CHECK(sw_gguf_add_tensor(w, longname, SW_TYPE_F32, 2, ne, d, 64, &err) < 0 && strstr(err.msg, "1..64 bytes"));
    T_CHECK(sw_gguf_add_tensor(w, "a", SW_TYPE_F32, 2, ne, d, 64, &err) == 0);
    T_CHECK(sw_gguf_add_tensor(w, "a", SW_TYPE_F32, 2, ne, d, 64, &err) < 0 && strstr(err.msg, "added twice"));
    T_CHECK(sw_gguf_write(w, "/nonexistent-dir/x.gguf", &err) < 0 && strstr(err.msg, "/nonexistent-dir/x.gguf"));
    T_CHECK(sw_gguf_set_u32(w, "general.alignment", 12) == 0);
    char path[128];
    tmp_path(path, sizeof path, "e");
    T_CHECK(sw_gguf_write(w, path, &err) < 0 && strstr(err.msg, "general.alignment"));
    /* a valid larger alignment is used for the data */
    T_CHECK(sw_gguf_set_u32(w, "general.alignment", 256) == 0);
    T_CHECK(sw_gguf_write(w, path, &err) == 0);
    sw_gguf *g = NULL;
    T_CHECK(sw_gguf_open(path, &g, &err) == 0 && g && g->alignment == 256 && g->data_offset % 256 == 0);
    sw_gguf_close(g);
    unlink(path);
    sw_gguf_writer_free(w);
}

/* ---- tool modes for tests/engine/test_gguf.py ---- */

static json_t *hexj(const void *p, uint64_t n) {
    char *h = malloc(2 * n + 1);
    sw_hex(p, (size_t)n, h);
    json_t *j = json_string(h);
    free(h);
    return j;
}

/* A JSON number, or a string for what JSON cannot hold ("inf", "-inf", "nan"). */
static json_t *realj(double v) {
    if (isfinite(v)) return json_real(v);
    return json_string(isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

/* Element i of a scalar array, as JSON (integers as decimal strings, to keep u64 exact). */
static json_t *elem(sw_gguf_vtype t, const uint8_t *p) {
    char s[32];
    uint64_t u = 0;
    int n = t == SW_GGUF_U8 || t == SW_GGUF_I8 || t == SW_GGUF_BOOL ? 1 : t == SW_GGUF_U16 || t == SW_GGUF_I16 ? 2
          : t == SW_GGUF_U64 || t == SW_GGUF_I64 || t == SW_GGUF_F64 ? 8 : 4;
    memcpy(&u, p, (size_t)n);
    switch (t) {
    case SW_GGUF_I8: snprintf(s, sizeof s, "%d", (int8_t)u); break;
    case SW_GGUF_I16: snprintf(s, sizeof s, "%d", (int16_t)u); break;
    case SW_GGUF_I32: snprintf(s, sizeof s, "%d", (int32_t)u); break;
    case SW_GGUF_I64: snprintf(s, sizeof s, "%lld", (long long)(int64_t)u); break;
    case SW_GGUF_BOOL: return json_boolean(u);
    case SW_GGUF_F32: { float f; memcpy(&f, p, 4); return realj(f); }
    case SW_GGUF_F64: { double f; memcpy(&f, p, 8); return realj(f); }
    default: snprintf(s, sizeof s, "%llu", (unsigned long long)u); break;
    }
    return json_string(s);
}

static json_t *kv_json(const sw_gguf_kv *kv) {
    uint8_t raw[8];
    switch (kv->type) {
    case SW_GGUF_STRING: return hexj(kv->v.s.ptr, kv->v.s.len);
    case SW_GGUF_F32: case SW_GGUF_F64: return realj(kv->v.f);
    case SW_GGUF_ARRAY: break;
    default: memcpy(raw, &kv->v.u, 8); return elem(kv->type, raw);
    }
    if (kv->arr_type == SW_GGUF_ARRAY) return json_pack("{s:o}", "raw", hexj(kv->arr_data, kv->arr_bytes));
    json_t *a = json_array();
    for (uint64_t i = 0; i < kv->arr_count; i++) {
        if (kv->arr_type == SW_GGUF_STRING) {
            sw_gguf_str s = sw_gguf_arr_str(kv, i);
            json_array_append_new(a, hexj(s.ptr, s.len));
        } else {
            json_array_append_new(a, elem(kv->arr_type, kv->arr_data + i * (kv->arr_bytes / (kv->arr_count))));
        }
    }
    return a;
}

static int tool_dump(const char *path) {
    sw_gguf *g;
    sw_err err;
    if (sw_crypto_init(&err) < 0 || sw_gguf_open(path, &g, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    json_t *kvs = json_array(), *ts = json_array();
    int bad = 0; /* a value JSON cannot hold makes json_pack return NULL */
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const sw_gguf_kv *kv = &g->kv[i];
        bad |= json_array_append_new(kvs, json_pack("{s:o,s:i,s:i,s:o}", "key", hexj(kv->key.ptr, kv->key.len),
                                             "type", kv->type, "arr_type", kv->type == SW_GGUF_ARRAY ? (int)kv->arr_type : -1,
                                             "value", kv_json(kv)));
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const sw_gguf_tensor *t = &g->tensors[i];
        uint8_t h[SW_SHA256_BYTES];
        char hex[2 * SW_SHA256_BYTES + 1];
        sw_sha256(t->data, (size_t)t->nbytes, h);
        sw_hex(h, sizeof h, hex);
        json_t *ne = json_array();
        for (uint32_t d = 0; d < t->n_dims; d++) json_array_append_new(ne, json_integer((json_int_t)t->ne[d]));
        bad |= json_array_append_new(ts, json_pack("{s:s,s:i,s:o,s:I,s:I,s:s}", "name", t->name, "type", (int)t->type,
                                            "ne", ne, "offset", (json_int_t)t->offset,
                                            "nbytes", (json_int_t)t->nbytes, "sha256", hex));
    }
    json_t *o = json_pack("{s:i,s:i,s:I,s:I,s:o,s:o}", "version", (int)g->version, "alignment", (int)g->alignment,
                          "data_offset", (json_int_t)g->data_offset, "size", (json_int_t)g->size, "kv", kvs,
                          "tensors", ts);
    if (bad || !o) fprintf(stderr, "%s: cannot express the file in JSON\n", path);
    else json_dumpf(o, stdout, JSON_COMPACT), putchar('\n');
    json_decref(o);
    sw_gguf_close(g);
    return bad || !o;
}

static int tool_copy(const char *in, const char *out) {
    sw_gguf *g;
    sw_err err;
    if (sw_gguf_open(in, &g, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    sw_gguf_writer *w = sw_gguf_writer_new();
    int rc = sw_gguf_copy_kv(w, g);
    for (uint64_t i = 0; rc == 0 && i < g->n_tensors; i++) {
        const sw_gguf_tensor *t = &g->tensors[i];
        rc = sw_gguf_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, t->nbytes, &err);
    }
    if (rc == 0) rc = sw_gguf_write(w, out, &err);
    if (rc < 0) fprintf(stderr, "%s\n", err.msg);
    sw_gguf_writer_free(w);
    sw_gguf_close(g);
    return rc < 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return tool_dump(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--copy") == 0) return tool_copy(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "--write-sample") == 0) {
        sw_err err;
        if (write_sample(argv[2], &err) == 0) return 0;
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    T_RUN(test_valid);
    T_RUN(test_header_errors);
    T_RUN(test_kv_errors);
    T_RUN(test_tensor_errors);
    T_RUN(test_truncate_and_flip);
    T_RUN(test_open);
    T_RUN(test_writer_roundtrip);
    T_RUN(test_writer_errors);
    T_RUN(test_colliding_keys);
    return t_done();
}
