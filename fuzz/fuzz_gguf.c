/* fuzz_gguf.c - libFuzzer target: sw_gguf_parse over arbitrary bytes, then every key,
 * value, array element and tensor byte range the parser accepted is read back. */
#include "steward/gguf.h"

#include <string.h>

static volatile uint64_t sink;

static void walk_kv(const sw_gguf *g, const sw_gguf_kv *kv) {
    char key[128];
    size_t n = kv->key.len < sizeof key - 1 ? (size_t)kv->key.len : sizeof key - 1;
    memcpy(key, kv->key.ptr, n);
    key[n] = 0;
    sink += sw_gguf_find(g, key) != NULL;
    uint32_t u;
    int64_t i;
    float f;
    int b;
    sw_gguf_str s;
    sink += sw_gguf_get_u32(g, key, &u) + sw_gguf_get_i64(g, key, &i) + sw_gguf_get_f32(g, key, &f) +
            sw_gguf_get_bool(g, key, &b);
    if (sw_gguf_get_str(g, key, &s) == 0 && s.len) sink += (uint8_t)s.ptr[s.len - 1];
    sink += strlen(sw_gguf_vtype_name(kv->type));
    if (kv->type != SW_GGUF_ARRAY) return;
    if (kv->arr_bytes) sink += kv->arr_data[0] + kv->arr_data[kv->arr_bytes - 1];
    if (kv->arr_type == SW_GGUF_STRING)
        for (uint64_t j = 0; j < kv->arr_count; j++) {
            sw_gguf_str e = sw_gguf_arr_str(kv, j);
            if (e.len) sink += (uint8_t)e.ptr[0] + (uint8_t)e.ptr[e.len - 1];
        }
    sink += sw_gguf_get_arr(g, key, kv->arr_type) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_gguf *g;
    sw_err err;
    if (sw_gguf_parse(data, size, &g, &err) < 0) {
        sink += strlen(err.msg);
        return 0;
    }
    for (uint64_t i = 0; i < g->n_kv; i++) walk_kv(g, &g->kv[i]);
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const sw_gguf_tensor *t = &g->tensors[i];
        const uint8_t *p = t->data;
        if (t->nbytes) sink += p[0] + p[t->nbytes - 1];
        sink += sw_gguf_find_tensor(g, t->name) == t;
    }
    sw_gguf_close(g);
    return 0;
}
