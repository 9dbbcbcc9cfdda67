/* gguf.c - a checked reader of GGUF v3 files: every count, length and offset is
 * validated against the bytes that remain before it is used. */
#include "gguf_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARRAY_DEPTH 4      /* nested arrays deeper than this are rejected */
#define MAX_KEY_LEN 65535      /* the GGUF specification's limit on key length */
#define MIN_KV_BYTES 14        /* key length (8) + 1 key byte + type (4) + 1 value byte */
#define MIN_TENSOR_BYTES 25    /* name length (8) + 1 name byte + n_dims + type + offset */

/* ---- tensor sizes (block sizes from quant.h's type table) ---- */

int sw_gguf_tensor_size(const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne,
                        uint64_t *n_elems, uint64_t *nbytes, sw_err *err) {
    uint64_t be = sw_type_block_elems(type), bb = sw_type_block_bytes(type);
    if (!be || !bb)
        return sw_err_set(err, "tensor '%s': type %u is not supported "
                               "(supported: F32 0, F16 1, Q4_0 2, Q5_0 6, Q8_0 8, Q4_K 12, Q6_K 14, BF16 30)",
                          name, type);
    if (n_dims > SW_GGUF_MAX_DIMS)
        return sw_err_set(err, "tensor '%s': %u dimensions (at most %d)", name, n_dims,
                          SW_GGUF_MAX_DIMS);
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] == 0 || ne[d] > (uint64_t)INT64_MAX)
            return sw_err_set(err, "tensor '%s': dimension %u is %llu (must be 1..2^63-1)", name,
                              d, (unsigned long long)ne[d]);
        if (n > (uint64_t)INT64_MAX / ne[d])
            return sw_err_set(err, "tensor '%s': element count overflows 64 bits", name);
        n *= ne[d];
    }
    uint64_t ne0 = n_dims ? ne[0] : 1;
    if (ne0 % be)
        return sw_err_set(err, "tensor '%s': ne[0] = %llu is not a multiple of %s's block size %llu",
                          name, (unsigned long long)ne0, sw_type_name(type),
                          (unsigned long long)be);
    if (n / be > UINT64_MAX / bb)
        return sw_err_set(err, "tensor '%s': byte size overflows 64 bits", name);
    *n_elems = n;
    *nbytes = n / be * bb;
    return 0;
}

/* ---- cursor over the file's bytes ---- */

typedef struct rd {
    const uint8_t *p;
    size_t size, pos;
    sw_err *err;
    char ctx[320]; /* what is being read, for messages: "kv 3 'general.name'" */
} rd;

/* Fails unless n bytes remain at the cursor. */
static int need(rd *r, uint64_t n, const char *what) {
    if (n <= r->size - r->pos) return 0;
    return sw_err_set(r->err, "%s: %s at offset %zu needs %llu bytes, %zu remain (file size %zu)",
                      r->ctx, what, r->pos, (unsigned long long)n, r->size - r->pos, r->size);
}

static uint64_t le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static int rd_uint(rd *r, int n, uint64_t *v, const char *what) {
    if (need(r, (uint64_t)n, what) < 0) return -1;
    *v = le(r->p + r->pos, n);
    r->pos += (size_t)n;
    return 0;
}

static int rd_u32(rd *r, uint32_t *v, const char *what) {
    uint64_t x;
    if (rd_uint(r, 4, &x, what) < 0) return -1;
    *v = (uint32_t)x;
    return 0;
}

/* A string: u64 length then the bytes, which must lie inside the file. */
static int rd_str(rd *r, sw_gguf_str *s, const char *what) {
    size_t at = r->pos;
    uint64_t n;
    if (rd_uint(r, 8, &n, what) < 0) return -1;
    if (n > r->size - r->pos)
        return sw_err_set(r->err, "%s: %s length %llu at offset %zu runs past end of file (size %zu)",
                          r->ctx, what, (unsigned long long)n, at, r->size);
    s->ptr = (const char *)r->p + r->pos;
    s->len = n;
    r->pos += (size_t)n;
    return 0;
}

/* Writes a printable, bounded rendering of s into out (for error messages). */
static void show(const sw_gguf_str *s, char *out, size_t outsz) {
    size_t o = 0;
    uint64_t i = 0;
    for (; i < s->len && o + 5 < outsz; i++) {
        unsigned char c = (unsigned char)s->ptr[i];
        if (c >= 0x20 && c < 0x7f && c != '\'') out[o++] = (char)c;
        else o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
    }
    if (i < s->len && o >= 3) memcpy(out + o - 3, "...", 3); /* truncated */
    out[o] = 0;
}

/* ---- metadata values ---- */

static const uint8_t vt_size[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *sw_gguf_vtype_name(sw_gguf_vtype t) {
    static const char *names[13] = {"u8",  "i8",   "u16",    "i16",   "u32", "i32", "f32",
                                    "bool", "string", "array", "u64", "i64", "f64"};
    return (unsigned)t < 13 ? names[t] : "unknown";
}

static int check_vtype(rd *r, uint32_t t, size_t at, const char *what) {
    if (t <= SW_GGUF_F64) return 0;
    return sw_err_set(r->err, "%s: %s %u at offset %zu is not a value type (0..12)", r->ctx, what,
                      t, at);
}

static int check_bools(rd *r, const uint8_t *p, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        if (p[i] > 1)
            return sw_err_set(r->err, "%s: bool value %u at offset %zu (must be 0 or 1)", r->ctx,
                              p[i], (size_t)(p + i - r->p));
    return 0;
}

/* Reads the body of an array of element type et (its header already read); stores string
 * elements into strs when not NULL. */
static int rd_array_body(rd *r, uint32_t et, uint64_t count, int depth, sw_gguf_str *strs);

/* Reads an array header (element type, count) and its body; used for nested arrays. */
static int rd_array(rd *r, int depth) {
    if (depth > MAX_ARRAY_DEPTH)
        return sw_err_set(r->err, "%s: arrays nested deeper than %d at offset %zu", r->ctx,
                          MAX_ARRAY_DEPTH, r->pos);
    size_t at = r->pos;
    uint32_t et;
    uint64_t count;
    if (rd_u32(r, &et, "array element type") < 0 || check_vtype(r, et, at, "array element type") < 0 ||
        rd_uint(r, 8, &count, "array count") < 0)
        return -1;
    return rd_array_body(r, et, count, depth, NULL);
}

static int rd_array_body(rd *r, uint32_t et, uint64_t count, int depth, sw_gguf_str *strs) {
    size_t at = r->pos;
    uint64_t left = r->size - r->pos;
    if (et == SW_GGUF_STRING || et == SW_GGUF_ARRAY) {
        uint64_t min = et == SW_GGUF_STRING ? 8 : 12;
        if (count > left / min)
            return sw_err_set(r->err, "%s: array of %llu %ss at offset %zu cannot fit in the %llu bytes left",
                              r->ctx, (unsigned long long)count, sw_gguf_vtype_name(et), at,
                              (unsigned long long)left);
        for (uint64_t i = 0; i < count; i++) {
            sw_gguf_str s;
            int rc = et == SW_GGUF_STRING ? rd_str(r, &s, "array string") : rd_array(r, depth + 1);
            if (rc < 0) return -1;
            if (strs) strs[i] = s;
        }
        return 0;
    }
    if (count > left / vt_size[et])
        return sw_err_set(r->err, "%s: array of %llu %s at offset %zu runs past end of file (size %zu)",
                          r->ctx, (unsigned long long)count, sw_gguf_vtype_name(et), at, r->size);
    if (et == SW_GGUF_BOOL && check_bools(r, r->p + r->pos, count) < 0) return -1;
    r->pos += (size_t)(count * vt_size[et]);
    return 0;
}

/* Reads one scalar of type t into kv's union. */
static int rd_scalar(rd *r, uint32_t t, sw_gguf_kv *kv) {
    uint64_t x;
    int n = vt_size[t];
    if (rd_uint(r, n, &x, "value") < 0) return -1;
    switch (t) {
    case SW_GGUF_I8: kv->v.i = (int8_t)x; break;
    case SW_GGUF_I16: kv->v.i = (int16_t)x; break;
    case SW_GGUF_I32: kv->v.i = (int32_t)x; break;
    case SW_GGUF_I64: kv->v.i = (int64_t)x; break;
    case SW_GGUF_F32: {
        float f;
        uint32_t b = (uint32_t)x;
        memcpy(&f, &b, 4);
        kv->v.f = f;
        break;
    }
    case SW_GGUF_F64: memcpy(&kv->v.f, &x, 8); break;
    case SW_GGUF_BOOL:
        if (check_bools(r, r->p + r->pos - 1, 1) < 0) return -1;
        kv->v.u = x;
        break;
    default: kv->v.u = x; break;
    }
    return 0;
}

static int rd_kv(rd *r, uint64_t i, sw_gguf_kv *kv) {
    snprintf(r->ctx, sizeof r->ctx, "kv %llu", (unsigned long long)i);
    size_t at = r->pos;
    if (rd_str(r, &kv->key, "key") < 0) return -1;
    if (kv->key.len == 0 || kv->key.len > MAX_KEY_LEN)
        return sw_err_set(r->err, "%s: key length %llu at offset %zu (must be 1..%d)", r->ctx,
                          (unsigned long long)kv->key.len, at, MAX_KEY_LEN);
    char shown[72];
    show(&kv->key, shown, sizeof shown);
    snprintf(r->ctx, sizeof r->ctx, "kv %llu '%s'", (unsigned long long)i, shown);
    at = r->pos;
    uint32_t t;
    if (rd_u32(r, &t, "value type") < 0 || check_vtype(r, t, at, "value type") < 0) return -1;
    kv->type = (sw_gguf_vtype)t;
    if (t == SW_GGUF_STRING) return rd_str(r, &kv->v.s, "string");
    if (t != SW_GGUF_ARRAY) return rd_scalar(r, t, kv);

    at = r->pos;
    uint32_t et;
    if (rd_u32(r, &et, "array element type") < 0 || check_vtype(r, et, at, "array element type") < 0 ||
        rd_uint(r, 8, &kv->arr_count, "array count") < 0)
        return -1;
    kv->arr_type = (sw_gguf_vtype)et;
    size_t start = r->pos;
    if (et == SW_GGUF_STRING) {
        /* bound the allocation by the bytes left: each string takes at least 8 */
        if (kv->arr_count > (r->size - r->pos) / 8)
            return sw_err_set(r->err, "%s: array of %llu strings at offset %zu cannot fit in the %zu bytes left",
                              r->ctx, (unsigned long long)kv->arr_count, start, r->size - r->pos);
        sw_gguf_str *strs = calloc(kv->arr_count ? (size_t)kv->arr_count : 1, sizeof *strs);
        if (!strs) return sw_err_set(r->err, "%s: out of memory", r->ctx);
        kv->arr_strs = strs;
        if (rd_array_body(r, et, kv->arr_count, 1, strs) < 0) return -1;
    } else if (rd_array_body(r, et, kv->arr_count, 1, NULL) < 0) {
        return -1;
    }
    kv->arr_data = r->p + start;
    kv->arr_bytes = r->pos - start;
    return 0;
}

/* ---- duplicate detection: sort the indices by name, compare neighbours ----
 * O(n log n) whatever the names are: a hash set with a fixed hash let names built to
 * collide take quadratic time (2^17 keys, 8.4 MB, took 19 s). */

/* Orders indices by name (length, then bytes), equal names by index. */
static int cmp_name_idx(const void *a, const void *b, void *ud) {
    const sw_gguf_str *names = ud;
    uint64_t i = *(const uint64_t *)a, j = *(const uint64_t *)b;
    const sw_gguf_str *x = &names[i], *y = &names[j];
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    int c = x->len ? memcmp(x->ptr, y->ptr, x->len) : 0;
    if (c) return c;
    return i < j ? -1 : i > j;
}

/* Returns 1 and in *dup the first index whose name an earlier index already has, 0 when
 * all names differ, -1 when out of memory. */
static int find_dup(const sw_gguf_str *names, uint64_t n, uint64_t *dup) {
    if (n < 2) return 0;
    uint64_t *ord = malloc((size_t)n * sizeof *ord);
    if (!ord) return -1;
    for (uint64_t i = 0; i < n; i++) ord[i] = i;
    qsort_r(ord, (size_t)n, sizeof *ord, cmp_name_idx, (void *)names);
    int found = 0;
    for (uint64_t k = 1; k < n; k++) {
        const sw_gguf_str *x = &names[ord[k - 1]], *y = &names[ord[k]];
        if (x->len != y->len || (x->len && memcmp(x->ptr, y->ptr, x->len) != 0)) continue;
        if (!found || ord[k] < *dup) *dup = ord[k]; /* the second of a run of equal names */
        found = 1;
    }
    free(ord);
    return found;
}

/* Fails when two of names[n] are equal, naming the second: "kv 3: duplicate key 'x'". */
static int check_unique(rd *r, const sw_gguf_str *names, uint64_t n, const char *item, const char *what) {
    uint64_t i = 0;
    int dup = find_dup(names, n, &i);
    if (dup < 0) return sw_err_set(r->err, "out of memory");
    if (dup == 0) return 0;
    char shown[4 * SW_GGUF_MAX_NAME + 8];
    show(&names[i], shown, sizeof shown);
    return sw_err_set(r->err, "%s %llu: duplicate %s '%s'", item, (unsigned long long)i, what, shown);
}

/* ---- tensors ---- */

static int rd_tensor_info(rd *r, uint64_t i, sw_gguf_tensor *t) {
    snprintf(r->ctx, sizeof r->ctx, "tensor %llu", (unsigned long long)i);
    size_t at = r->pos;
    sw_gguf_str name;
    if (rd_str(r, &name, "name") < 0) return -1;
    char shown[4 * SW_GGUF_MAX_NAME + 8];
    show(&name, shown, sizeof shown);
    if (name.len == 0 || name.len > SW_GGUF_MAX_NAME || memchr(name.ptr, 0, name.len))
        return sw_err_set(r->err, "%s: name '%s' at offset %zu is empty, longer than %d bytes or holds a NUL",
                          r->ctx, shown, at, SW_GGUF_MAX_NAME);
    memcpy(t->name, name.ptr, name.len);
    t->name[name.len] = 0;
    snprintf(r->ctx, sizeof r->ctx, "tensor '%s'", shown);
    at = r->pos;
    if (rd_u32(r, &t->n_dims, "n_dims") < 0) return -1;
    if (t->n_dims > SW_GGUF_MAX_DIMS)
        return sw_err_set(r->err, "%s: n_dims %u at offset %zu (at most %d)", r->ctx, t->n_dims, at,
                          SW_GGUF_MAX_DIMS);
    for (uint32_t d = 0; d < SW_GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++)
        if (rd_uint(r, 8, &t->ne[d], "dimension") < 0) return -1;
    uint32_t type;
    if (rd_u32(r, &type, "type") < 0) return -1;
    t->type = (sw_ggml_type)type;
    return rd_uint(r, 8, &t->offset, "data offset");
}

/* Checks sizes, alignment and bounds of every tensor once the data blob's start is known. */
static int place_tensors(rd *r, sw_gguf *g) {
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        sw_gguf_tensor *t = &g->tensors[i];
        char name[4 * SW_GGUF_MAX_NAME + 8];
        sw_gguf_str s = {t->name, strlen(t->name)};
        show(&s, name, sizeof name);
        uint64_t n;
        if (sw_gguf_tensor_size(name, t->type, t->n_dims, t->ne, &n, &t->nbytes, r->err) < 0)
            return -1;
        if (t->offset % g->alignment)
            return sw_err_set(r->err, "tensor '%s': data offset %llu is not a multiple of the alignment %u",
                              name, (unsigned long long)t->offset, g->alignment);
        uint64_t blob = r->size - g->data_offset;
        if (t->offset > blob || t->nbytes > blob - t->offset)
            return sw_err_set(r->err, "tensor '%s': data offset %llu + size %llu runs past end of file "
                                      "(data starts at %llu, file size %zu)",
                              name, (unsigned long long)t->offset, (unsigned long long)t->nbytes,
                              (unsigned long long)g->data_offset, r->size);
        t->data = r->p + g->data_offset + t->offset;
    }
    return 0;
}

/* general.alignment, when present: u32, a positive multiple of 8. */
static int read_alignment(rd *r, sw_gguf *g) {
    g->alignment = SW_GGUF_DEFAULT_ALIGNMENT;
    const sw_gguf_kv *kv = sw_gguf_find(g, "general.alignment");
    if (!kv) return 0;
    if (kv->type != SW_GGUF_U32 || kv->v.u == 0 || kv->v.u % 8)
        return sw_err_set(r->err, "general.alignment must be a u32 multiple of 8 (got %s %llu)",
                          sw_gguf_vtype_name(kv->type),
                          kv->type == SW_GGUF_U32 ? (unsigned long long)kv->v.u : 0ull);
    g->alignment = (uint32_t)kv->v.u;
    return 0;
}

static int parse_into(rd *r, sw_gguf *g) {
    uint64_t magic, version;
    snprintf(r->ctx, sizeof r->ctx, "header");
    if (rd_uint(r, 4, &magic, "magic") < 0) return -1;
    if (magic != SW_GGUF_MAGIC)
        return sw_err_set(r->err, "not a GGUF file (magic %02x %02x %02x %02x at offset 0)", r->p[0],
                          r->p[1], r->p[2], r->p[3]);
    if (rd_uint(r, 4, &version, "version") < 0) return -1;
    if (version != SW_GGUF_VERSION)
        return sw_err_set(r->err, "GGUF version %llu at offset 4 is not supported (only version 3)",
                          (unsigned long long)version);
    g->version = (uint32_t)version;
    if (rd_uint(r, 8, &g->n_tensors, "tensor count") < 0 || rd_uint(r, 8, &g->n_kv, "kv count") < 0)
        return -1;
    uint64_t left = r->size - r->pos;
    if (g->n_kv > left / MIN_KV_BYTES)
        return sw_err_set(r->err, "kv count %llu at offset 16 is impossible: %llu bytes remain",
                          (unsigned long long)g->n_kv, (unsigned long long)left);
    if (g->n_tensors > (left - g->n_kv * MIN_KV_BYTES) / MIN_TENSOR_BYTES)
        return sw_err_set(r->err, "tensor count %llu at offset 8 is impossible: %llu bytes remain",
                          (unsigned long long)g->n_tensors, (unsigned long long)left);
    g->kv = calloc(g->n_kv ? (size_t)g->n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(g->n_tensors ? (size_t)g->n_tensors : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors) return sw_err_set(r->err, "out of memory for the header tables");

    for (uint64_t i = 0; i < g->n_kv; i++)
        if (rd_kv(r, i, &g->kv[i]) < 0) return -1;
    sw_gguf_str *names = malloc((size_t)(g->n_kv > g->n_tensors ? g->n_kv : g->n_tensors) * sizeof *names + 1);
    if (!names) return sw_err_set(r->err, "out of memory");
    for (uint64_t i = 0; i < g->n_kv; i++) names[i] = g->kv[i].key;
    int rc = check_unique(r, names, g->n_kv, "kv", "key");
    if (rc == 0) rc = read_alignment(r, g); /* before the tensors: their offsets use it */
    for (uint64_t i = 0; rc == 0 && i < g->n_tensors; i++) {
        rc = rd_tensor_info(r, i, &g->tensors[i]);
        names[i].ptr = g->tensors[i].name;
        names[i].len = strlen(g->tensors[i].name);
    }
    if (rc == 0) rc = check_unique(r, names, g->n_tensors, "tensor", "tensor name");
    free(names);
    if (rc < 0) return -1;
    uint64_t a = g->alignment;
    g->data_offset = (r->pos + a - 1) / a * a;
    if (g->data_offset > r->size) {
        if (g->n_tensors)
            return sw_err_set(r->err, "data blob start %llu (tensor infos end at %zu, aligned to %u) "
                                      "is past end of file (size %zu)",
                              (unsigned long long)g->data_offset, r->pos, g->alignment, r->size);
        g->data_offset = r->size; /* no tensors: the final padding may be absent */
    }
    return place_tensors(r, g);
}

int sw_gguf_parse(const void *data, size_t size, sw_gguf **out, sw_err *err) {
    *out = NULL;
    sw_gguf *g = calloc(1, sizeof *g);
    if (!g) return sw_err_set(err, "out of memory");
    g->base = data;
    g->size = size;
    rd r = {.p = data, .size = size, .pos = 0, .err = err};
    if (parse_into(&r, g) < 0) {
        sw_gguf_close(g);
        return -1;
    }
    *out = g;
    return 0;
}

int sw_gguf_open(const char *path, sw_gguf **out, sw_err *err) {
    *out = NULL;
    uint64_t size;
    int fd = sw_file_open_regular(path, 0, &size, err); /* no FIFO, device or directory */
    if (fd < 0) return -1;
    if (size == 0 || size > SIZE_MAX) {
        close(fd);
        return sw_err_set(err, "%s: %s, not a GGUF file", path, size ? "too large to map" : "empty file");
    }
    /* Private and read-only: writes by others after the mapping are not promised to us,
     * and a file truncated under us raises SIGBUS, which the registration below lets the
     * front end's handler (sw_map_fault_handler_install) report by name. */
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    struct stat st;
    int shrank = map != MAP_FAILED && (fstat(fd, &st) != 0 || (uint64_t)st.st_size < size);
    close(fd);
    if (map == MAP_FAILED) return sw_err_set(err, "%s: cannot map: %s", path, strerror(errno));
    if (shrank) {
        munmap(map, (size_t)size);
        return sw_err_set(err, "%s: the file shrank while it was being opened", path);
    }
    sw_gguf *g;
    if (sw_gguf_parse(map, (size_t)size, &g, err) < 0) {
        munmap(map, (size_t)size);
        return sw_err_prefix(err, "%s", path);
    }
    sw_map_register(map, (size_t)size, path);
    g->mapped = 1;
    g->path = strdup(path);
    if (!g->path) {
        sw_gguf_close(g);
        return sw_err_set(err, "%s: out of memory", path);
    }
    *out = g;
    return 0;
}

void sw_gguf_close(sw_gguf *g) {
    if (!g) return;
    if (g->kv)
        for (uint64_t i = 0; i < g->n_kv; i++) free((void *)g->kv[i].arr_strs);
    free(g->kv);
    free(g->tensors);
    if (g->mapped) {
        sw_map_unregister(g->base);
        munmap((void *)g->base, g->size);
    }
    free(g->path);
    free(g);
}

/* ---- look-ups ---- */

const sw_gguf_kv *sw_gguf_find(const sw_gguf *g, const char *key) {
    size_t n = strlen(key);
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (g->kv[i].key.len == n && memcmp(g->kv[i].key.ptr, key, n) == 0) return &g->kv[i];
    return NULL;
}

static int is_unsigned(sw_gguf_vtype t) {
    return t == SW_GGUF_U8 || t == SW_GGUF_U16 || t == SW_GGUF_U32 || t == SW_GGUF_U64;
}
static int is_signed(sw_gguf_vtype t) {
    return t == SW_GGUF_I8 || t == SW_GGUF_I16 || t == SW_GGUF_I32 || t == SW_GGUF_I64;
}

int sw_gguf_get_u32(const sw_gguf *g, const char *key, uint32_t *out) {
    const sw_gguf_kv *kv = sw_gguf_find(g, key);
    if (!kv) return -1;
    if (is_unsigned(kv->type) && kv->v.u <= UINT32_MAX) *out = (uint32_t)kv->v.u;
    else if (is_signed(kv->type) && kv->v.i >= 0 && kv->v.i <= (int64_t)UINT32_MAX) *out = (uint32_t)kv->v.i;
    else return -1;
    return 0;
}

int sw_gguf_get_i64(const sw_gguf *g, const char *key, int64_t *out) {
    const sw_gguf_kv *kv = sw_gguf_find(g, key);
    if (!kv) return -1;
    if (is_signed(kv->type)) *out = kv->v.i;
    else if (is_unsigned(kv->type) && kv->v.u <= (uint64_t)INT64_MAX) *out = (int64_t)kv->v.u;
    else return -1;
    return 0;
}

int sw_gguf_get_f32(const sw_gguf *g, const char *key, float *out) {
    const sw_gguf_kv *kv = sw_gguf_find(g, key);
    if (!kv || (kv->type != SW_GGUF_F32 && kv->type != SW_GGUF_F64)) return -1;
    *out = (float)kv->v.f;
    return 0;
}

int sw_gguf_get_bool(const sw_gguf *g, const char *key, int *out) {
    const sw_gguf_kv *kv = sw_gguf_find(g, key);
    if (!kv || kv->type != SW_GGUF_BOOL) return -1;
    *out = kv->v.u != 0;
    return 0;
}

int sw_gguf_get_str(const sw_gguf *g, const char *key, sw_gguf_str *out) {
    const sw_gguf_kv *kv = sw_gguf_find(g, key);
    if (!kv || kv->type != SW_GGUF_STRING) return -1;
    *out = kv->v.s;
    return 0;
}

const sw_gguf_kv *sw_gguf_get_arr(const sw_gguf *g, const char *key, sw_gguf_vtype want) {
    const sw_gguf_kv *kv = sw_gguf_find(g, key);
    return kv && kv->type == SW_GGUF_ARRAY && kv->arr_type == want ? kv : NULL;
}

sw_gguf_str sw_gguf_arr_str(const sw_gguf_kv *kv, uint64_t i) {
    sw_gguf_str none = {NULL, 0};
    if (!kv || kv->type != SW_GGUF_ARRAY || kv->arr_type != SW_GGUF_STRING || !kv->arr_strs ||
        i >= kv->arr_count)
        return none;
    return kv->arr_strs[i];
}

const sw_gguf_tensor *sw_gguf_find_tensor(const sw_gguf *g, const char *name) {
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return &g->tensors[i];
    return NULL;
}
