/* gguf_write.c - builds GGUF v3 files in memory and writes them atomically
 * (path.tmp, fsync, rename), with every tensor's data aligned. */
#include "gguf_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct wkv {
    char *key;
    size_t klen;
    sw_gguf_vtype type;
    sw_buf val; /* the value's bytes as they follow the type field in the file */
} wkv;

typedef struct wtensor {
    char name[SW_GGUF_MAX_NAME + 1];
    uint32_t type, n_dims;
    uint64_t ne[SW_GGUF_MAX_DIMS];
    void *data;
    uint64_t nbytes;
} wtensor;

struct sw_gguf_writer {
    wkv *kv;
    size_t n_kv, cap_kv;
    wtensor *t;
    size_t n_t, cap_t;
};

sw_gguf_writer *sw_gguf_writer_new(void) { return calloc(1, sizeof(sw_gguf_writer)); }

void sw_gguf_writer_free(sw_gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        sw_buf_free(&w->kv[i].val);
    }
    for (size_t i = 0; i < w->n_t; i++) free(w->t[i].data);
    free(w->kv);
    free(w->t);
    free(w);
}

/* Grows an array of elements of size sz so that one more fits. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz) {
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, c * sz);
    if (!p) return -1;
    *arr = p;
    *cap = c;
    return 0;
}

/* Sets key (klen bytes) to a value of type t whose file bytes are val[n]; replaces an
 * existing value of the same key. */
static int set_raw(sw_gguf_writer *w, const char *key, size_t klen, sw_gguf_vtype t, const void *val, size_t n) {
    sw_buf b = {0};
    if (sw_buf_append(&b, val, n) < 0) return -1;
    for (size_t i = 0; i < w->n_kv; i++)
        if (w->kv[i].klen == klen && memcmp(w->kv[i].key, key, klen) == 0) {
            sw_buf_free(&w->kv[i].val);
            w->kv[i].val = b;
            w->kv[i].type = t;
            return 0;
        }
    char *k = malloc(klen + 1);
    if (!k || grow((void **)&w->kv, &w->cap_kv, w->n_kv, sizeof *w->kv) < 0) {
        free(k);
        sw_buf_free(&b);
        return -1;
    }
    memcpy(k, key, klen);
    k[klen] = 0;
    w->kv[w->n_kv++] = (wkv){.key = k, .klen = klen, .type = t, .val = b};
    return 0;
}

static void le_put(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int set_scalar(sw_gguf_writer *w, const char *key, sw_gguf_vtype t, uint64_t bits, int n) {
    uint8_t b[8];
    le_put(b, bits, n);
    return set_raw(w, key, strlen(key), t, b, (size_t)n);
}

static uint32_t f32_bits(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

int sw_gguf_set_u32(sw_gguf_writer *w, const char *key, uint32_t v) { return set_scalar(w, key, SW_GGUF_U32, v, 4); }
int sw_gguf_set_i32(sw_gguf_writer *w, const char *key, int32_t v) { return set_scalar(w, key, SW_GGUF_I32, (uint32_t)v, 4); }
int sw_gguf_set_u64(sw_gguf_writer *w, const char *key, uint64_t v) { return set_scalar(w, key, SW_GGUF_U64, v, 8); }
int sw_gguf_set_f32(sw_gguf_writer *w, const char *key, float v) { return set_scalar(w, key, SW_GGUF_F32, f32_bits(v), 4); }
int sw_gguf_set_bool(sw_gguf_writer *w, const char *key, int v) { return set_scalar(w, key, SW_GGUF_BOOL, v != 0, 1); }

/* Appends a GGUF string (u64 length, bytes). */
static int put_str(sw_buf *b, const char *s, uint64_t n) {
    uint8_t len[8];
    le_put(len, n, 8);
    return sw_buf_append(b, len, 8) < 0 || sw_buf_append(b, s, (size_t)n) < 0 ? -1 : 0;
}

static int put_arr_header(sw_buf *b, sw_gguf_vtype et, uint64_t n) {
    uint8_t h[12];
    le_put(h, et, 4);
    le_put(h + 4, n, 8);
    return sw_buf_append(b, h, 12);
}

int sw_gguf_set_str(sw_gguf_writer *w, const char *key, const char *v) {
    sw_buf b = {0};
    int rc = put_str(&b, v, strlen(v)) < 0 ? -1 : set_raw(w, key, strlen(key), SW_GGUF_STRING, b.data, b.len);
    sw_buf_free(&b);
    return rc;
}

int sw_gguf_set_arr_str(sw_gguf_writer *w, const char *key, const char *const *v, const size_t *lens, uint64_t n) {
    sw_buf b = {0};
    int rc = put_arr_header(&b, SW_GGUF_STRING, n);
    for (uint64_t i = 0; rc == 0 && i < n; i++) rc = put_str(&b, v[i], lens ? lens[i] : strlen(v[i]));
    if (rc == 0) rc = set_raw(w, key, strlen(key), SW_GGUF_ARRAY, b.data, b.len);
    sw_buf_free(&b);
    return rc;
}

/* An array of n 4-byte elements (f32 or i32) given as their bit patterns. */
static int set_arr4(sw_gguf_writer *w, const char *key, sw_gguf_vtype et, const void *v, uint64_t n) {
    sw_buf b = {0};
    int rc = put_arr_header(&b, et, n);
    const uint8_t *p = v;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        uint32_t x;
        uint8_t e[4];
        memcpy(&x, p + 4 * i, 4);
        le_put(e, x, 4);
        rc = sw_buf_append(&b, e, 4);
    }
    if (rc == 0) rc = set_raw(w, key, strlen(key), SW_GGUF_ARRAY, b.data, b.len);
    sw_buf_free(&b);
    return rc;
}

int sw_gguf_set_arr_f32(sw_gguf_writer *w, const char *key, const float *v, uint64_t n) {
    return set_arr4(w, key, SW_GGUF_F32, v, n);
}
int sw_gguf_set_arr_i32(sw_gguf_writer *w, const char *key, const int32_t *v, uint64_t n) {
    return set_arr4(w, key, SW_GGUF_I32, v, n);
}

/* Serialises one key/value of a parsed file back into its file bytes. */
static int kv_bytes(const sw_gguf_kv *kv, sw_buf *b) {
    static const int size[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    uint8_t e[8];
    switch (kv->type) {
    case SW_GGUF_STRING: return put_str(b, kv->v.s.ptr, kv->v.s.len);
    case SW_GGUF_ARRAY:
        /* arr_data..arr_bytes are the elements exactly as stored, nested arrays included */
        if (put_arr_header(b, kv->arr_type, kv->arr_count) < 0) return -1;
        return sw_buf_append(b, kv->arr_data, (size_t)kv->arr_bytes);
    case SW_GGUF_F32: le_put(e, f32_bits((float)kv->v.f), 4); break;
    case SW_GGUF_F64: memcpy(e, &kv->v.f, 8); break;
    default: le_put(e, kv->v.u, size[kv->type]); break; /* v.i shares v.u's bits */
    }
    return sw_buf_append(b, e, (size_t)size[kv->type]);
}

int sw_gguf_copy_kv(sw_gguf_writer *w, const sw_gguf *g) {
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const sw_gguf_kv *kv = &g->kv[i];
        sw_buf b = {0};
        int rc = kv_bytes(kv, &b);
        if (rc == 0) rc = set_raw(w, kv->key.ptr, (size_t)kv->key.len, kv->type, b.data, b.len);
        sw_buf_free(&b);
        if (rc < 0) return -1;
    }
    return 0;
}

int sw_gguf_add_tensor(sw_gguf_writer *w, const char *name, sw_ggml_type type, uint32_t n_dims,
                       const uint64_t *ne, const void *data, uint64_t nbytes, sw_err *err) {
    size_t len = strlen(name);
    if (len == 0 || len > SW_GGUF_MAX_NAME)
        return sw_err_set(err, "tensor '%.80s': name must be 1..%d bytes", name, SW_GGUF_MAX_NAME);
    for (size_t i = 0; i < w->n_t; i++)
        if (strcmp(w->t[i].name, name) == 0) return sw_err_set(err, "tensor '%s': added twice", name);
    uint64_t n, want;
    if (sw_gguf_tensor_size(name, type, n_dims, ne, &n, &want, err) < 0) return -1;
    if (nbytes != want)
        return sw_err_set(err, "tensor '%s': %llu bytes given, its type and dims need %llu", name,
                          (unsigned long long)nbytes, (unsigned long long)want);
    if (want > SIZE_MAX || grow((void **)&w->t, &w->cap_t, w->n_t, sizeof *w->t) < 0)
        return sw_err_set(err, "tensor '%s': out of memory", name);
    wtensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    t->data = malloc(want ? (size_t)want : 1);
    if (!t->data) return sw_err_set(err, "tensor '%s': out of memory for %llu bytes", name, (unsigned long long)want);
    memcpy(t->data, data, (size_t)want);
    memcpy(t->name, name, len + 1);
    t->type = type;
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < SW_GGUF_MAX_DIMS; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    t->nbytes = want;
    w->n_t++;
    return 0;
}

/* The alignment the file will use: general.alignment when set (it must be a u32
 * multiple of 8, as the reader demands), else the default. */
static int writer_alignment(const sw_gguf_writer *w, uint64_t *a, sw_err *err) {
    *a = SW_GGUF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, "general.alignment") != 0) continue;
        uint32_t v = 0;
        if (w->kv[i].type == SW_GGUF_U32) v = (uint32_t)((uint8_t)w->kv[i].val.data[0] |
            (uint8_t)w->kv[i].val.data[1] << 8 | (uint32_t)(uint8_t)w->kv[i].val.data[2] << 16 |
            (uint32_t)(uint8_t)w->kv[i].val.data[3] << 24);
        if (v == 0 || v % 8) return sw_err_set(err, "general.alignment must be a u32 multiple of 8");
        *a = v;
    }
    return 0;
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* The header, kvs, tensor infos and padding up to the data blob. */
static int build_head(const sw_gguf_writer *w, uint64_t a, sw_buf *b, sw_err *err) {
    uint8_t h[24];
    le_put(h, SW_GGUF_MAGIC, 4);
    le_put(h + 4, SW_GGUF_VERSION, 4);
    le_put(h + 8, w->n_t, 8);
    le_put(h + 16, w->n_kv, 8);
    int rc = sw_buf_append(b, h, 24);
    for (size_t i = 0; rc == 0 && i < w->n_kv; i++) {
        const wkv *kv = &w->kv[i];
        if (kv->klen == 0 || kv->klen > 65535)
            return sw_err_set(err, "kv %zu: key length %zu (must be 1..65535)", i, kv->klen);
        uint8_t t[4];
        le_put(t, kv->type, 4);
        rc = put_str(b, kv->key, kv->klen) < 0 || sw_buf_append(b, t, 4) < 0 ||
             sw_buf_append(b, kv->val.data, kv->val.len) < 0 ? -1 : 0;
    }
    uint64_t off = 0;
    for (size_t i = 0; rc == 0 && i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        uint8_t e[8];
        rc = put_str(b, t->name, strlen(t->name));
        le_put(e, t->n_dims, 4);
        if (rc == 0) rc = sw_buf_append(b, e, 4);
        for (uint32_t d = 0; rc == 0 && d < t->n_dims; d++) {
            le_put(e, t->ne[d], 8);
            rc = sw_buf_append(b, e, 8);
        }
        le_put(e, t->type, 4);
        if (rc == 0) rc = sw_buf_append(b, e, 4);
        le_put(e, off, 8);
        if (rc == 0) rc = sw_buf_append(b, e, 8);
        off = align_up(off + t->nbytes, a);
    }
    while (rc == 0 && b->len % a) rc = sw_buf_append(b, "", 1);
    return rc < 0 ? sw_err_set(err, "out of memory building the GGUF header") : 0;
}

/* Makes the rename durable: fsync of the directory that holds path. */
static void sync_dir(const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int sw_gguf_write(sw_gguf_writer *w, const char *path, sw_err *err) {
    uint64_t a;
    sw_buf head = {0}, tmp = {0};
    if (writer_alignment(w, &a, err) < 0 || build_head(w, a, &head, err) < 0) {
        sw_buf_free(&head);
        return sw_err_prefix(err, "%s", path);
    }
    if (sw_buf_printf(&tmp, "%s.tmp", path) < 0) {
        sw_buf_free(&head);
        return sw_err_set(err, "%s: out of memory", path);
    }
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : sw_write_all(fd, head.data, head.len);
    static const char zeros[64];
    for (size_t i = 0; rc == 0 && i < w->n_t; i++) {
        uint64_t n = w->t[i].nbytes, p = align_up(n, a) - n;
        rc = sw_write_all(fd, w->t[i].data, (size_t)n);
        for (; rc == 0 && p; p -= p < 64 ? p : 64) rc = sw_write_all(fd, zeros, p < 64 ? (size_t)p : 64);
    }
    if (rc == 0) rc = fsync(fd);
    int e = errno;
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && (rc = rename(tmp.data, path)) < 0) e = errno;
    if (rc < 0) {
        sw_err_set(err, "%s: cannot write (via %s): %s", path, tmp.data, strerror(e ? e : EIO));
        if (fd >= 0) unlink(tmp.data);
    } else {
        sync_dir(path);
    }
    sw_buf_free(&head);
    sw_buf_free(&tmp);
    return rc < 0 ? -1 : 0;
}
