/* gguf.h - GGUF v3 model container: a checked, mmap-backed reader and a writer.
 *
 * Every count, length, offset and tensor size is checked against the file; errors name
 * the field and the byte offset where reading failed. Format: docs/gguf.md. */
#ifndef STEWARD_GGUF_H
#define STEWARD_GGUF_H

#include "steward/core.h"
#include "steward/quant.h"

#define SW_GGUF_MAGIC 0x46554747u /* "GGUF" little-endian */
#define SW_GGUF_VERSION 3
#define SW_GGUF_DEFAULT_ALIGNMENT 32
#define SW_GGUF_MAX_DIMS 4
#define SW_GGUF_MAX_NAME 64

/* Metadata value types. */
typedef enum sw_gguf_vtype {
    SW_GGUF_U8 = 0, SW_GGUF_I8 = 1, SW_GGUF_U16 = 2, SW_GGUF_I16 = 3,
    SW_GGUF_U32 = 4, SW_GGUF_I32 = 5, SW_GGUF_F32 = 6, SW_GGUF_BOOL = 7,
    SW_GGUF_STRING = 8, SW_GGUF_ARRAY = 9, SW_GGUF_U64 = 10, SW_GGUF_I64 = 11,
    SW_GGUF_F64 = 12,
} sw_gguf_vtype;

/* A string as stored in the file: not NUL-terminated. */
typedef struct sw_gguf_str {
    const char *ptr;
    uint64_t len;
} sw_gguf_str;

/* One key/value. Scalars are decoded into the union; strings and arrays point into the
 * mapped file. For arrays, arr_type is the element type and arr_count the element
 * count; arr_data points at the first element (for string arrays, use
 * sw_gguf_arr_str). Nested arrays are accepted by the reader and left opaque. */
typedef struct sw_gguf_kv {
    sw_gguf_str key;
    sw_gguf_vtype type;
    union {
        uint64_t u; /* U8..U64, BOOL */
        int64_t i;  /* I8..I64 */
        double f;   /* F32, F64 */
        sw_gguf_str s;
    } v;
    sw_gguf_vtype arr_type;
    uint64_t arr_count;
    const uint8_t *arr_data;
    uint64_t arr_bytes;
    const sw_gguf_str *arr_strs; /* for string arrays: arr_count entries (owned by sw_gguf) */
} sw_gguf_kv;

typedef struct sw_gguf_tensor {
    char name[SW_GGUF_MAX_NAME + 1];
    uint32_t n_dims;
    uint64_t ne[SW_GGUF_MAX_DIMS]; /* ne[0] is the contiguous dimension; unused dims are 1 */
    sw_ggml_type type;
    uint64_t offset;  /* into the data blob */
    uint64_t nbytes;  /* checked to lie inside the file */
    const void *data; /* points into the mapping */
} sw_gguf_tensor;

typedef struct sw_gguf {
    uint32_t version;
    uint64_t n_kv, n_tensors;
    sw_gguf_kv *kv;
    sw_gguf_tensor *tensors;
    uint32_t alignment;
    uint64_t data_offset; /* start of the data blob in the file */
    const uint8_t *base;  /* the whole file */
    size_t size;
    int mapped;           /* 1: base is an mmap owned by this struct */
    char *path;           /* may be NULL for in-memory files */
} sw_gguf;

/* Maps and parses a file. On error returns -1 with a message naming the path, the
 * field and its offset. The result is freed with sw_gguf_close. */
int sw_gguf_open(const char *path, sw_gguf **out, sw_err *err);
/* Parses a file already in memory (not copied: data must outlive the result). */
int sw_gguf_parse(const void *data, size_t size, sw_gguf **out, sw_err *err);
void sw_gguf_close(sw_gguf *g);

/* Looks up a key; NULL when absent. */
const sw_gguf_kv *sw_gguf_find(const sw_gguf *g, const char *key);
/* Typed getters: 0 when the key exists with a compatible type (any integer type that
 * fits, for the integer getters; F32 or F64 for the float getter), -1 otherwise
 * (the output is left unchanged, so callers may preset defaults). */
int sw_gguf_get_u32(const sw_gguf *g, const char *key, uint32_t *out);
int sw_gguf_get_i64(const sw_gguf *g, const char *key, int64_t *out);
int sw_gguf_get_f32(const sw_gguf *g, const char *key, float *out);
int sw_gguf_get_bool(const sw_gguf *g, const char *key, int *out);
int sw_gguf_get_str(const sw_gguf *g, const char *key, sw_gguf_str *out);
/* The array under key when its element type is want; NULL otherwise. */
const sw_gguf_kv *sw_gguf_get_arr(const sw_gguf *g, const char *key, sw_gguf_vtype want);
/* Element i of a string array (i < arr_count). */
sw_gguf_str sw_gguf_arr_str(const sw_gguf_kv *kv, uint64_t i);

const sw_gguf_tensor *sw_gguf_find_tensor(const sw_gguf *g, const char *name);
const char *sw_gguf_vtype_name(sw_gguf_vtype t);

/* ---- writer ---- */
typedef struct sw_gguf_writer sw_gguf_writer;

sw_gguf_writer *sw_gguf_writer_new(void); /* NULL when out of memory */
void sw_gguf_writer_free(sw_gguf_writer *w);
/* Setters copy their arguments. Setting a key twice replaces its value. Return -1 only
 * when memory runs out. */
int sw_gguf_set_u32(sw_gguf_writer *w, const char *key, uint32_t v);
int sw_gguf_set_i32(sw_gguf_writer *w, const char *key, int32_t v);
int sw_gguf_set_u64(sw_gguf_writer *w, const char *key, uint64_t v);
int sw_gguf_set_f32(sw_gguf_writer *w, const char *key, float v);
int sw_gguf_set_bool(sw_gguf_writer *w, const char *key, int v);
int sw_gguf_set_str(sw_gguf_writer *w, const char *key, const char *v);
int sw_gguf_set_arr_str(sw_gguf_writer *w, const char *key, const char *const *v, const size_t *lens, uint64_t n);
int sw_gguf_set_arr_f32(sw_gguf_writer *w, const char *key, const float *v, uint64_t n);
int sw_gguf_set_arr_i32(sw_gguf_writer *w, const char *key, const int32_t *v, uint64_t n);
/* Copies every key/value of g (e.g. to re-write a model after quantising it). */
int sw_gguf_copy_kv(sw_gguf_writer *w, const sw_gguf *g);
/* Adds a tensor; data (nbytes, which must equal the size that type and dims give) is
 * copied. -1 with a message on a size mismatch, a long name or no memory. */
int sw_gguf_add_tensor(sw_gguf_writer *w, const char *name, sw_ggml_type type, uint32_t n_dims,
                       const uint64_t *ne, const void *data, uint64_t nbytes, sw_err *err);
/* Writes the file atomically (to path.tmp, fsync, rename). -1 on I/O error. */
int sw_gguf_write(sw_gguf_writer *w, const char *path, sw_err *err);

#endif
