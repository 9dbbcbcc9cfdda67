/* quantize.c - rewrites a model's matrices in another element type (F32, F16, BF16, Q8_0,
 * Q4_0, Q5_0, Q4_K, Q6_K), keeping norms and biases F32 and every metadata key. */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

sw_ggml_type sw_quant_type_for_row(sw_ggml_type want, uint64_t row_len) {
    if (sw_type_row_bytes(want, row_len)) return want;
    /* llama.cpp's choices: Q5_0 for Q4_K (same 32-element blocks, close in size), Q8_0
     * for Q6_K */
    if (want == SW_TYPE_Q4_K && sw_type_row_bytes(SW_TYPE_Q5_0, row_len)) return SW_TYPE_Q5_0;
    if (want == SW_TYPE_Q6_K && sw_type_row_bytes(SW_TYPE_Q8_0, row_len)) return SW_TYPE_Q8_0;
    return want == SW_TYPE_F32 ? SW_TYPE_F32 : SW_TYPE_F16;
}

void sw_row_to_f32(sw_ggml_type type, const void *src, float *dst, int64_t n) {
    if (type == SW_TYPE_F32) memcpy(dst, src, (size_t)n * sizeof(float));
    else if (type == SW_TYPE_F16)
        for (int64_t i = 0; i < n; i++) dst[i] = sw_fp16_to_fp32(((const uint16_t *)src)[i]);
    else sw_dequantize_row(type, src, dst, n);
}

void sw_row_from_f32(sw_ggml_type type, const float *src, void *dst, int64_t n) {
    if (type == SW_TYPE_F32) memcpy(dst, src, (size_t)n * sizeof(float));
    else if (type == SW_TYPE_F16)
        for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = sw_fp32_to_fp16(src[i]);
    else sw_quantize_row(type, src, dst, n);
}

uint32_t sw_file_type_of(sw_ggml_type type) {
    /* llama.cpp's llama_ftype: ALL_F32 0, MOSTLY_F16 1, Q4_0 2, Q8_0 7, Q5_0 8, Q4_K_S 14,
     * Q6_K 18, MOSTLY_BF16 32 */
    switch (type) {
    case SW_TYPE_F16: return 1;
    case SW_TYPE_Q4_0: return 2;
    case SW_TYPE_Q8_0: return 7;
    case SW_TYPE_Q5_0: return 8;
    case SW_TYPE_Q4_K: return 14;
    case SW_TYPE_Q6_K: return 18;
    case SW_TYPE_BF16: return 32;
    default: return 0;
    }
}

/* Converts one tensor to `to`: rows of ne[0] elements, in parallel. NULL when out of
 * memory. */
static void *convert(const sw_gguf_tensor *t, sw_ggml_type to, size_t *nbytes) {
    int64_t cols = (int64_t)t->ne[0], rows = 1;
    for (uint32_t i = 1; i < t->n_dims; i++) rows *= (int64_t)t->ne[i];
    size_t src_row = sw_type_row_bytes(t->type, (uint64_t)cols);
    size_t dst_row = sw_type_row_bytes(to, (uint64_t)cols);
    *nbytes = dst_row * (size_t)rows;
    uint8_t *dst = malloc(*nbytes ? *nbytes : 1);
    if (!dst) return NULL;
    int oom = 0;
#pragma omp parallel
    {
        float *tmp = malloc((size_t)cols * sizeof(float));
        if (!tmp) {
#pragma omp atomic write
            oom = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t r = 0; r < rows; r++) {
            if (!tmp) continue;
            sw_row_to_f32(t->type, (const uint8_t *)t->data + (size_t)r * src_row, tmp, cols);
            sw_row_from_f32(to, tmp, dst + (size_t)r * dst_row, cols);
        }
        free(tmp);
    }
    if (oom) {
        free(dst);
        return NULL;
    }
    return dst;
}

int sw_model_quantize(const char *in, const char *out, sw_ggml_type type, int *n_fallback, sw_err *err) {
    if (n_fallback) *n_fallback = 0;
    if (!sw_type_supported(type)) return sw_err_set(err, "quantize: unsupported target type %u", (unsigned)type);
    sw_gguf *g = NULL;
    if (sw_gguf_open(in, &g, err) < 0) return -1;
    sw_gguf_writer *w = sw_gguf_writer_new();
    int rc = -1;
    if (!w || sw_gguf_copy_kv(w, g) < 0 || sw_gguf_set_u32(w, "general.file_type", sw_file_type_of(type)) < 0 ||
        (type != SW_TYPE_F32 && type != SW_TYPE_F16 && type != SW_TYPE_BF16 &&
         sw_gguf_set_u32(w, "general.quantization_version", 2) < 0)) {
        sw_err_set(err, "quantize: out of memory");
        goto done;
    }
    int warned = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const sw_gguf_tensor *t = &g->tensors[i];
        if (!sw_type_supported(t->type)) {
            sw_err_set(err, "%s: tensor %s has unsupported type %s (%u)", in, t->name, sw_type_name(t->type),
                       (unsigned)t->type);
            goto done;
        }
        if (!warned && t->type != SW_TYPE_F32 && t->type != SW_TYPE_F16 && t->type != SW_TYPE_BF16 &&
            t->type != type) {
            sw_log(SW_LOG_WARN, "%s: re-quantising from %s (%s) loses precision; quantise from F32 or F16", in,
                   sw_type_name(t->type), t->name);
            warned = 1;
        }
        sw_ggml_type to = SW_TYPE_F32;
        if (t->n_dims >= 2) {
            to = sw_quant_type_for_row(type, t->ne[0]);
            if (to != type) {
                sw_log(SW_LOG_WARN, "%s: row length %llu is not a multiple of the %s block size; using %s",
                       t->name, (unsigned long long)t->ne[0], sw_type_name(type), sw_type_name(to));
                if (n_fallback) (*n_fallback)++;
            }
        }
        size_t nbytes;
        void *data = convert(t, to, &nbytes);
        if (!data) {
            sw_err_set(err, "quantize: out of memory converting %s", t->name);
            goto done;
        }
        int ok = sw_gguf_add_tensor(w, t->name, to, t->n_dims, t->ne, data, nbytes, err);
        free(data);
        if (ok < 0) goto done;
    }
    rc = sw_gguf_write(w, out, err);
done:
    sw_gguf_writer_free(w);
    sw_gguf_close(g);
    return rc;
}
